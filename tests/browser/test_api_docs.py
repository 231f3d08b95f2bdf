"""The API's documentation in a real browser, offline: /docs (Swagger UI) and /redoc
load their scripts and styles from this server only (vendored, static/VENDORED.md) and
draw the operations. The app needs no stack for this: the OpenAPI document is made from
the routes alone, so the app runs with a context nobody calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from unittest import mock
from urllib.parse import urlsplit

import pytest

from careerflow.api.app import create_app
from tests.browser.conftest import serve
from tests.browser.test_browser import DESKTOP, PHONE, browser, chromium  # noqa: F401

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, Request


@pytest.fixture(scope="module")
async def docs_base() -> AsyncIterator[str]:
    async with serve(create_app(mock.MagicMock())) as base:
        yield base


async def _open(
    browser: Browser,  # noqa: F811
    base: str,
    path: str,
    size: dict[str, int],
) -> tuple[Page, list[str]]:
    """The page opened, and every request that left for another host. A request the
    page's CSP stopped in the browser (ReDoc's "powered by" logo on its CDN) never reaches
    the network: it is not counted, but any other failure or answer from elsewhere is."""
    context = await browser.new_context(viewport=size)  # type: ignore[arg-type]
    elsewhere: list[str] = []

    def _outside(request: Request) -> bool:
        if request.url.startswith(("data:", "blob:")):
            return False
        return urlsplit(request.url).hostname != "127.0.0.1"

    def _answered(request: Request) -> None:
        if _outside(request):
            elsewhere.append(request.url)

    def _failed(request: Request) -> None:
        if _outside(request) and request.failure not in ("csp", "net::ERR_BLOCKED_BY_CSP"):
            elsewhere.append(f"{request.url} ({request.failure})")

    page = await context.new_page()
    page.on("requestfinished", _answered)
    page.on("requestfailed", _failed)
    await page.goto(base + path, wait_until="networkidle")
    return page, elsewhere


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_swagger_ui_draws_offline(
    browser: Browser,  # noqa: F811
    docs_base: str,
    size: dict[str, int],
) -> None:
    page, elsewhere = await _open(browser, docs_base, "/docs", size)
    try:
        await page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        operations = await page.locator(".swagger-ui .opblock").count()
        assert operations > 50
        assert await page.locator(".swagger-ui .info .title").inner_text()
        # An operation opens, with its summary and a request example.
        start = page.locator(".opblock-post", has_text="/api/v1/promotions/applications").first
        await start.locator(".opblock-summary").click()
        await page.wait_for_selector(".opblock.is-open pre", timeout=10_000)
        text = await page.locator(".opblock.is-open").first.inner_text()
        assert "Start a promotion application" in text
        assert "senior_sales_rep" in text
        assert elsewhere == [], elsewhere
    finally:
        await page.context.close()


async def test_redoc_draws_offline(browser: Browser, docs_base: str) -> None:  # noqa: F811
    page, elsewhere = await _open(browser, docs_base, "/redoc", DESKTOP)
    try:
        await page.wait_for_selector("redoc .api-content h2", timeout=30_000)
        assert "Start a promotion application" in await page.locator("redoc").inner_text()
        assert elsewhere == [], elsewhere
    finally:
        await page.context.close()


@pytest.mark.parametrize(
    ("lang", "size", "says"),
    [("zh", PHONE, "此地址没有页面"), ("en", DESKTOP, "There is no page at this address")],
    ids=["zh-phone", "en-desktop"],
)
async def test_an_unknown_page_is_an_error_page(
    browser: Browser,  # noqa: F811
    docs_base: str,
    lang: str,
    size: dict[str, int],
    says: str,
) -> None:
    """A browser sent to a path nothing answers sees the error page in its language, and
    the problem type's page from there; an API path still answers problem+json."""
    context = await browser.new_context(
        viewport=size,  # type: ignore[arg-type]
        locale={"zh": "zh-CN", "en": "en-US"}[lang],
    )
    try:
        page = await context.new_page()
        answer = await page.goto(docs_base + "/no/such/page")
        assert answer is not None and answer.status == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert says in await page.locator("main").inner_text()
        assert await page.locator("html").get_attribute("lang") == {"zh": "zh-CN", "en": "en"}[lang]
        kind = await page.goto(docs_base + "/problems/not-found")
        assert kind is not None and kind.status == 200
        assert "/problems/not-found" in await page.locator("main").inner_text()
        api = await page.goto(docs_base + "/api/v1/no/such/path")
        assert api is not None and api.status == 404
        assert api.headers["content-type"].startswith("application/problem+json")
    finally:
        await context.close()
