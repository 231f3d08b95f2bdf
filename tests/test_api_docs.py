"""The API's documents without a stack: every operation has a summary and examples (each
request example valid for its model), /docs and /redoc reference only this server's
vendored assets, the service worker leaves them out, every problem kind has a page in both
languages, and a browser asking for an unknown page gets the HTML error page (programs
and /api/ paths get problem+json)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel

from careerflow.api import errors
from careerflow.api.app import create_app
from careerflow.api.examples import REQUEST_EXAMPLES, RESPONSE_EXAMPLES
from careerflow.api.pages.problems import KIND_TEXTS
from careerflow.api.pages.rendering import STATIC

LANG_COOKIE = errors.LANG_COOKIE
CJK = re.compile(r"[\u3400-\u9fff]")
# Technical words a Chinese page keeps (the brand, the protocol's names, paths).
ZH_KEEPS = {"careerflow", "API", "HR", "problem", "json", "errors", "docs", "Content", "Type",
            "Authorization", "Bearer", "problems", "type"}  # fmt: skip


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(mock.MagicMock())

    @app.get("/api/v1/test-fails", include_in_schema=False)
    def _fails() -> None:
        raise RuntimeError("boom")

    @app.get("/api/v1/test-too-large", include_in_schema=False)
    def _too_large() -> None:
        raise HTTPException(413, "too large")

    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]


def _has_example(content: dict[str, Any]) -> bool:
    return any("example" in c or "examples" in c for c in content.values())


def test_every_operation_has_a_summary_and_examples(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    assert len(operations) > 60
    for method, path, op in operations:
        summary = op.get("summary", "")
        assert summary and len(summary) <= 100, (method, path, summary)
        answers = [r.get("content", {}) for r in op["responses"].values()]
        assert any(_has_example(c) for c in answers), (method, path)
        body = op.get("requestBody")
        if method in ("post", "put", "patch") and body is not None:
            assert _has_example(body["content"]), (method, path)


def test_request_examples_are_valid_for_their_models(client: TestClient) -> None:
    """Each example is what the model accepts (found by component name)."""
    models: dict[str, type[BaseModel]] = {}
    for route in client.app.routes:  # type: ignore[attr-defined]
        for sub in getattr(getattr(route, "original_router", None), "routes", []):
            body = getattr(sub, "body_field", None)
            if body is not None and isinstance(body.field_info.annotation, type):
                annotation = body.field_info.annotation
                if issubclass(annotation, BaseModel):
                    models[annotation.__name__] = annotation
    assert len(models) >= 20
    assert set(REQUEST_EXAMPLES) <= set(models) | {"VerifyRequest"}
    for name, example in REQUEST_EXAMPLES.items():
        if name in models:
            models[name].model_validate(example)


def test_response_examples_are_valid_for_their_models(
    client: TestClient, spec: dict[str, Any]
) -> None:
    """Each answer example is what its response model would send, and is in the document."""
    models: dict[str, type[BaseModel]] = {}
    for route in client.app.routes:  # type: ignore[attr-defined]
        for sub in getattr(getattr(route, "original_router", None), "routes", []):
            model = getattr(sub, "response_model", None)
            if isinstance(model, type) and issubclass(model, BaseModel):
                models[model.__name__] = model
    assert set(RESPONSE_EXAMPLES) <= set(models)
    for name, example in RESPONSE_EXAMPLES.items():
        models[name].model_validate(example)
    documented = str(spec["paths"])
    for example in RESPONSE_EXAMPLES.values():
        assert str(example) in documented


def test_refusals_are_documented_as_problem_json_with_their_type(spec: dict[str, Any]) -> None:
    documented = spec["paths"]["/api/v1/promotions/applications"]["post"]["responses"]
    for code, kind in (("401", "unauthenticated"), ("403", "forbidden"), ("500", "internal")):
        content = documented[code]["content"]
        assert list(content) == [errors.PROBLEM]
        said = content[errors.PROBLEM]
        examples = (
            [said["example"]]
            if "example" in said
            else [e["value"] for e in said["examples"].values()]
        )
        assert all(e["type"] == f"/problems/{kind}" for e in examples), (code, examples)
    assert "HTTPValidationError" not in str(spec["paths"])


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_load_only_local_assets(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert urls and all(u.startswith("/static/") for u in urls), urls
    assert "http://" not in page.text and "https://" not in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "https:" not in csp
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_service_worker_leaves_out_the_api_viewers(client: TestClient) -> None:
    script = client.get("/sw.js").text
    assert '"/static/careerflow.css"' in script
    assert "swagger-ui" not in script and "redoc" not in script


def test_vendored_files_match_their_recorded_hashes() -> None:
    recorded = (STATIC / "VENDORED.md").read_text(encoding="utf-8")
    for name in (
        "vendor/swagger-ui/swagger-ui-bundle.js",
        "vendor/swagger-ui/swagger-ui.css",
        "vendor/redoc/redoc.standalone.js",
    ):
        digest = hashlib.sha256(Path(STATIC / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in recorded, name


def _visible_text(html: str) -> str:
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    html = re.sub(
        r"<(\w+)[^>]*\b(?:translate=\"no\"|lang=\"[^\"]+\")[^>]*>.*?</\1>", " ", html, flags=re.S
    )
    html = re.sub(r"<head>.*?</head>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _one_language(html: str, lang: str) -> None:
    text = _visible_text(html)
    if lang == "en":
        assert not CJK.search(text), CJK.findall(text)
    else:
        english = set(re.findall(r"[A-Za-z]{2,}", text)) - ZH_KEEPS
        assert not english, english


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_problem_kind_has_a_page(client: TestClient, lang: str) -> None:
    assert set(KIND_TEXTS) == set(errors.PROBLEM_KINDS)
    client.cookies.set(LANG_COOKIE, lang)
    try:
        listing = client.get("/problems", headers={"Accept": "text/html"})
        assert listing.status_code == 200
        _one_language(listing.text, lang)
        for kind, status in errors.PROBLEM_KINDS.items():
            page = client.get(f"/problems/{kind}")
            assert page.status_code == 200, kind
            assert f"/problems/{kind}" in page.text and f"({status})" in page.text
            _one_language(page.text, lang)
        assert ("内部错误" in page.text) == (lang == "zh")
        unknown = client.get("/problems/nonsense", headers={"Accept": "text/html"})
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("text/html")
    finally:
        client.cookies.clear()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_browser_gets_an_html_404_and_a_program_json(client: TestClient, lang: str) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": lang}
    page = client.get("/no/such/page", headers=browser)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert ("此地址没有页面" in page.text) == (lang == "zh")
    assert ("There is no page at this address" in page.text) == (lang == "en")
    _one_language(page.text, lang)

    for path, headers in (
        ("/no/such/page", {"Accept": "application/json"}),
        ("/no/such/page", {}),
        ("/api/v1/no/such/path", browser),
        ("/static/no-such-file.js", browser),
    ):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith(errors.PROBLEM), path
        assert answer.json()["type"] == "/problems/not-found"


def test_problem_types_of_the_frameworks_refusals(client: TestClient) -> None:
    failed = client.get("/api/v1/test-fails")
    assert (failed.status_code, failed.json()["type"]) == (500, "/problems/internal")
    large = client.get("/api/v1/test-too-large")
    assert (large.status_code, large.json()["type"]) == (413, "/problems/too-large")
    wrong_method = client.delete("/api/v1/tokens")
    assert (wrong_method.status_code, wrong_method.json()["type"]) == (
        405,
        "/problems/method-not-allowed",
    )
