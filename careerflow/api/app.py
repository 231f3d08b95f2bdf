"""The FastAPI application: routers under /api/v1, OpenAPI at /openapi.json, errors as
problem+json, dashboards at /."""

from __future__ import annotations

from fastapi import FastAPI

from careerflow.api import docs, errors
from careerflow.api.context import ApiContext
from careerflow.api.routes import ROUTERS
from careerflow.api.routes.codec import install_cors
from careerflow.codec import codec_origins
from careerflow.config import TemporalSettings

API_PREFIX = "/api/v1"


def create_app(context: ApiContext) -> FastAPI:
    app = FastAPI(
        title="careerflow",
        version="1",
        description="Promotions, weekly performance cycles and development plans for "
        "sales teams. Every call acts as the person and role of its bearer token.",
        openapi_url="/openapi.json",
        # /docs and /redoc are served from vendored assets (careerflow/api/docs.py)
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    # The Web UI decrypts Temporal payloads through /api/v1/codec from its own origin.
    install_cors(app, codec_origins(TemporalSettings.from_env().ui_port))
    docs.install(app)
    _mount_pages(app)
    return app


def _mount_pages(app: FastAPI) -> None:
    """The dashboards (server-rendered, same app) and their static files."""
    from careerflow.api.pages import mount

    mount(app)
