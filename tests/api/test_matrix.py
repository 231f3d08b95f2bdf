"""Every endpoint × every role (and no token): allowed, 401, 403 or 404 as the access
rules say, errors as problem+json with a reason, and no forbidden field in any answer."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest

import tests.api
from tests.api import matrix_audit
from tests.api.conftest import ApiStack
from tests.api.matrix import CALLER_NAMES, Case

API = "/api/v1"


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for module in pkgutil.iter_modules(tests.api.__path__):
        if module.name.startswith("matrix_"):
            cases += importlib.import_module(f"tests.api.{module.name}").CASES
    return cases


CASES = all_cases()


@pytest.fixture(scope="module", autouse=True)
def closed_month(api: ApiStack) -> None:
    """Real pay on the matrix's stack: E1's month closed (bonus and commission recorded),
    so the audit reads' forbidden-field checks have figures to catch."""
    api.services.store.cycles.close_month("E1", matrix_audit.MONTH, "month-close-matrix")
    api.caught_up()


def _values(body: Any, key: str) -> list[Any]:
    """Every value of `key` anywhere in a JSON body."""
    found: list[Any] = []
    if isinstance(body, dict):
        for k, v in body.items():
            if k == key:
                found.append(v)
            found += _values(v, key)
    elif isinstance(body, list):
        for item in body:
            found += _values(item, key)
    return found


async def test_every_route_is_in_the_matrix(api: ApiStack) -> None:
    paths = (await api.http.get("/openapi.json")).json()["paths"]
    routes = {
        (method.upper(), path)
        for path, item in paths.items()
        if path.startswith(API)
        for method in item
    }
    covered = {(c.method.upper(), API + c.route) for c in CASES}
    assert routes - covered == set(), "endpoints without an authorization-matrix case"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.path}" for c in CASES])
async def test_access(api: ApiStack, case: Case) -> None:
    for who in CALLER_NAMES:
        response = await api.call(
            None if who == "none" else who,
            case.method,
            API + case.path,
            json=case.json,
            content=case.content,
            headers=case.headers,
        )
        expected = case.outcome(who)
        status = response.status_code
        where = f"{case.method} {case.path} as {who}: {status} {response.text[:300]}"
        assert status < 500, where
        if expected == "ok":
            assert 200 <= status < 300, where
        elif expected == "refused":
            assert status == 422, where
        elif expected == "passed":
            assert 200 <= status < 300 or status == 422, where
        else:
            assert status == expected, where
        if status >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["detail"], where
            continue
        body = response.json()
        for key in case.forbidden_fields.get(who, []):
            assert all(v in (None, [], {}) for v in _values(body, key)), f"{where}: {key}"
        if case.check is not None:
            case.check(who, body)
