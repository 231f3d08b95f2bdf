"""One router per area (a module here with a `router`); each endpoint calls the service
layer the CLI uses. Routers are found by module, so adding an area touches no list."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter


def _routers() -> list[APIRouter]:
    found: list[APIRouter] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        router = getattr(importlib.import_module(f"{__name__}.{module.name}"), "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


ROUTERS: list[APIRouter] = _routers()
