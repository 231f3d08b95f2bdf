"""The API's documentation, offline: Swagger UI at /docs and ReDoc at /redoc load their
scripts and styles from the vendored copies under /static/vendor (static/VENDORED.md),
never from a CDN; and every operation's OpenAPI entry gets a summary and examples."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from careerflow.api.errors import PROBLEM, Problem, kind_of, problem_example
from careerflow.api.examples import REQUEST_EXAMPLES, RESPONSE_EXAMPLES

SWAGGER = "/static/vendor/swagger-ui"
REDOC = "/static/vendor/redoc"
FAVICON = "/static/icons/icon-192.png"


def install(app: FastAPI) -> None:
    """/docs and /redoc from vendored assets, and the OpenAPI document with summaries and
    examples (call after every router is included)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _confined(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} · API",
                swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                swagger_css_url=f"{SWAGGER}/swagger-ui.css",
                swagger_favicon_url=FAVICON,
                # no validator badge: it would load an image from validator.swagger.io
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _confined(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} · API",
                redoc_js_url=f"{REDOC}/redoc.standalone.js",
                redoc_favicon_url=FAVICON,
                with_google_fonts=False,
            )
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _summarise(app)
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _add_examples(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def _confined(page: HTMLResponse) -> HTMLResponse:
    """The viewers may load nothing from elsewhere: a content security policy allowing
    this origin only, and the page's own inline start-up script by its hash (ReDoc's
    "powered by" logo from its CDN is blocked, and hides itself)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(bytes(page.body))
    )
    page.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    page.headers["X-Content-Type-Options"] = "nosniff"
    page.headers["Referrer-Policy"] = "same-origin"
    return page


def summary_of(route: APIRoute) -> str:
    """An operation's summary: its docstring's first sentence (else its name)."""
    doc = (route.description or route.endpoint.__doc__ or "").strip()
    if not doc:
        return route.name.replace("_", " ").capitalize()
    first = " ".join(doc.split("\n\n")[0].split())
    sentence = first.split(". ")[0].rstrip(".")
    if len(sentence) <= 100:
        return sentence
    return sentence[:97].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def _summarise(app: FastAPI) -> None:
    for route in _api_routes(app.routes):
        if route.include_in_schema and not route.summary:
            route.summary = summary_of(route)


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every operation, also those of included routers (FastAPI keeps an included router
    as one route that refers to the original, whose routes the document is made of)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


_INVALID = problem_example("invalid", "Invalid request", "reason: Field required")
_INTERNAL = problem_example(
    "internal",
    "Internal error",
    "the engine failed (OperationalError); nothing you sent was wrong, try again, and "
    "report it if it persists",
)


def _problem_content(example: dict[str, Any]) -> dict[str, Any]:
    return {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}}


def _add_examples(schema: dict[str, Any]) -> None:
    """Each request body of a known model gets its example (examples.REQUEST_EXAMPLES);
    each operation's 200/201 JSON answer of a known model gets one too; a malformed
    request (422) is documented as the problem+json it is (FastAPI's default says
    HTTPValidationError), and every operation documents the engine's failure (500)."""
    schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            invalid = responses.get("422", {}).get("content", {})
            if "application/json" in invalid and "HTTPValidationError" in str(invalid):
                responses["422"]["content"] = _problem_content(_INVALID)
                responses["422"]["description"] = (
                    "A malformed request (type /problems/invalid); nothing changed"
                )
            for code, response in responses.items():
                if code[:1] in ("4", "5"):
                    _as_problem(int(code), response)
            responses.setdefault(
                "500",
                {
                    "description": "The engine failed (type /problems/internal)",
                    "content": _problem_content(_INTERNAL),
                },
            )
            body = operation.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                name = _model_name(content.get("schema", {}))
                if name in REQUEST_EXAMPLES and media == "application/json":
                    content["example"] = REQUEST_EXAMPLES[name]
            for code in ("200", "201", "202"):
                answer = operation.get("responses", {}).get(code, {}).get("content", {})
                json_answer = answer.get("application/json")
                if json_answer is None:
                    continue
                name = _model_name(json_answer.get("schema", {}))
                if name in RESPONSE_EXAMPLES:
                    json_answer["example"] = RESPONSE_EXAMPLES[name]


def _as_problem(status: int, response: dict[str, Any]) -> None:
    """A documented refusal is problem+json (FastAPI files a `model` under
    application/json) and has an example of its kind."""
    content = response.setdefault("content", {})
    as_json = content.get("application/json")
    if as_json is not None and _model_name(as_json.get("schema", {})) == "Problem":
        del content["application/json"]
        content.setdefault(PROBLEM, {})["schema"] = as_json["schema"]
    said = content.get(PROBLEM)
    if said is not None and "example" not in said and "examples" not in said:
        kind = kind_of(status)
        title = {401: "Not authenticated", 403: "Forbidden", 404: "Not found"}.get(
            status, "Refused"
        )
        said["example"] = problem_example(kind, title, "why, in the caller's language")


def _model_name(schema: dict[str, Any]) -> str:
    """The component a schema refers to (also through Optional[...], list[...])."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            if name := _model_name(option):
                return name
    return ""
