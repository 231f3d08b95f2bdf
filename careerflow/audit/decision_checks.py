"""A recorded decision against its recomputation: leaf-by-leaf differences, shared by the
re-evaluation of applications and months and that of support requests and 360° rounds."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FieldDifference(BaseModel):
    path: str
    recorded: Any
    recomputed: Any


class DecisionCheck(BaseModel):
    decision: str
    policy_versions: dict[str, int]
    identical: bool
    differences: list[FieldDifference]


def differences(recorded: Any, recomputed: Any, path: str = "") -> list[FieldDifference]:
    """Leaf-by-leaf differences of two JSON-like values."""
    if isinstance(recorded, dict) and isinstance(recomputed, dict):
        out: list[FieldDifference] = []
        for key in sorted(set(recorded) | set(recomputed), key=str):
            out += differences(recorded.get(key), recomputed.get(key), f"{path}.{key}".lstrip("."))
        return out
    if (
        isinstance(recorded, list)
        and isinstance(recomputed, list)
        and len(recorded) == len(recomputed)
    ):
        out = []
        for i, (a, b) in enumerate(zip(recorded, recomputed, strict=True)):
            out += differences(a, b, f"{path}[{i}]")
        return out
    if recorded != recomputed:
        return [FieldDifference(path=path or "(value)", recorded=recorded, recomputed=recomputed)]
    return []


def check_decision(
    name: str, versions: dict[str, int], recorded: Any, recomputed: Any
) -> DecisionCheck:
    found = differences(_json(recorded), _json(recomputed))
    return DecisionCheck(
        decision=name, policy_versions=versions, identical=not found, differences=found
    )


def _json(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value
