"""A mistyped page address goes to the home page (ui/unknown_page.py); every other request passes through."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from ui.unknown_page import UnknownPageRedirect


def _call(path: str, query: str = "", method: str = "GET") -> tuple[int, dict[str, str]]:
    passed = []

    async def inner(scope, receive, send):
        passed.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": query.encode(), "headers": []}
    # A thread of its own: Playwright's sync API may leave an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, UnknownPageRedirect(inner)(scope, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], headers


@pytest.mark.parametrize(
    "path, query, location",
    [
        ("/nonexistent", "", "/?missing=nonexistent"),
        ("/markt", "lang=en&mkt_cagr=25", "/?missing=markt&lang=en"),
        ("/Regions/", "", "/?missing=Regions"),
    ],
)
def test_an_address_that_is_no_page_goes_home_and_keeps_the_language(path, query, location):
    status, headers = _call(path, query)
    assert status == 307
    assert headers["location"] == location


@pytest.mark.parametrize(
    "path",
    ["/", "/market", "/regions", "/_stcore/health", "/favicon.ico", "/api/v1/charts", "/app/static/x.geojson", "/market/x"],
)
def test_pages_and_everything_else_pass_through(path):
    assert _call(path) == (200, {})


def test_sign_in_return_address_passes_through():
    # st.login's provider sends the browser back to /oauth2callback?code=…; redirected home, nobody could sign in
    assert _call("/oauth2callback", "code=abc&state=xyz") == (200, {})


def test_only_reads_are_redirected():
    assert _call("/nonexistent", method="POST") == (200, {})
