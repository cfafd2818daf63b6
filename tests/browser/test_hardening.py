"""A Markdown payload in a link's value is shown as text and makes the browser fetch nothing."""

from __future__ import annotations

from urllib.parse import quote, urlparse

import pytest

PAGE_READY_MS = 90_000
IMAGE = "![i](http://evil.example/u.png)"
LINK = "[登录](http://evil.example/login)"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_markdown_url_value_is_text_and_fetches_nothing(page, app_url, lang):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{app_url}/market?lang={lang}&mkt_cagr={quote(IMAGE)}&cmp_gpus=inf")
    alert = page.locator("[data-testid=stAlertContentWarning]").filter(has_text="mkt_cagr").first
    alert.wait_for(timeout=PAGE_READY_MS)
    text = alert.inner_text().replace("\u200b", "")
    assert IMAGE in text, "the payload is shown literally"
    assert "inf" in text and "50000" in text, "the infinite value is refused with its range"
    assert alert.locator("img").count() == 0 and alert.locator("a").count() == 0
    page.wait_for_timeout(1_000)  # give a rendered <img> the time to be requested
    assert not [u for u in requested if urlparse(u).hostname == "evil.example"]
    assert not page.external_requests


def test_a_markdown_language_value_is_text_in_the_toast(page, app_url):
    page.goto(f"{app_url}/?lang={quote(LINK)}")
    toast = page.locator("[data-testid=stToast]").first
    toast.wait_for(timeout=PAGE_READY_MS)
    assert LINK[:20] in toast.inner_text().replace("\u200b", "")  # the toast quotes 20 characters
    assert toast.locator("a").count() == 0
    assert not page.external_requests
