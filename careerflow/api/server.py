"""Serving the API: `careerflow api` (the embedded stack starts it too)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from careerflow.api.app import create_app
from careerflow.api.context import ApiContext
from careerflow.config import Settings
from careerflow.engine import Engine
from careerflow.heap import freeze_startup_heap

log = logging.getLogger("careerflow.api")


def build_app(settings: Settings) -> FastAPI:
    from careerflow.engine import connect

    services = Engine.open(settings)
    context = ApiContext(services, lambda: connect(settings), settings.temporal.task_queue)
    app = create_app(context)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            services.close()

    app.router.lifespan_context = lifespan
    return app


def serve(settings: Settings) -> None:
    app = build_app(settings)
    freeze_startup_heap()  # the app is built: keep full collections short
    log.info("API on http://%s:%s", settings.api_host, settings.api_port)
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="info")
