"""One router per area; each endpoint calls the service layer the CLI uses."""

from __future__ import annotations

from fastapi import APIRouter

from careerflow.api.routes import me

ROUTERS: list[APIRouter] = [me.router]
