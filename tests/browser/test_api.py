"""In Chromium, on a real `streamlit run app.py`: the live link under a chart fetches the same CSV as the
page's download, and the API answers on the app's port while a session is open."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from analysis.i18n import LANGS, t
from analysis.sitemap import PAGES_BY_ID

from .test_deeplinks import PAGE_READY_MS


def _fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def _share_links(page, lang: str) -> list[str]:
    """Open the "Copy live link" popover under the chart and read its three code blocks."""
    button = page.get_by_role("button", name=t("share.heading", lang)).first
    button.wait_for(timeout=PAGE_READY_MS)
    button.click()
    body = page.locator("[data-testid=stPopoverBody]")
    codes = body.locator("[data-testid=stCode] code")
    expect(codes).to_have_count(3, timeout=PAGE_READY_MS)
    return [text.strip() for text in codes.all_inner_texts()]


@pytest.mark.parametrize("lang", LANGS)
def test_copied_link_fetches_the_same_csv_as_the_download(page, app_url, lang):
    page.goto(f"{app_url}/market?lang={lang}&mkt_cagr=25")
    csv_link, png_link, snippet = _share_links(page, lang)
    assert csv_link == f"{app_url}/api/v1/charts/ai-server-market.csv?lang={lang}&mkt_cagr=25"
    assert png_link == csv_link.replace(".csv?", ".png?")
    assert snippet.startswith(f'<img src="{png_link.replace("&", "&amp;")}"')
    page.keyboard.press("Escape")

    download_button = page.get_by_role("button", name=t("chart.download_csv", lang)).first
    with page.expect_download(timeout=PAGE_READY_MS) as info:
        download_button.click()
    assert info.value.suggested_filename == f"compute-atlas_ai-server-market_{lang}.csv"
    downloaded = open(info.value.path(), "rb").read()

    status, headers, fetched = _fetch(csv_link)
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert fetched == downloaded
    # 25% a year from IDC's USD 31.79 bn (2025): USD 97.015 bn (970.15 亿美元) in 2030, not the baseline's.
    assert (b"97.015" if lang == "en" else b"970.15") in fetched


def test_api_answers_on_the_apps_port_while_a_session_is_open(page, app_url):
    page.goto(f"{app_url}/?lang=en")
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    status, _, body = _fetch(f"{app_url}/api/v1/charts")
    assert status == 200 and len(json.loads(body)["charts"]) > 0
    status, headers, png = _fetch(f"{app_url}/api/v1/charts/workload-split.png?lang=en&width=600&height=400&scale=1")
    assert status == 200 and headers["content-type"] == "image/png" and png[:8] == b"\x89PNG\r\n\x1a\n"
    status, _, body = _fetch(f"{app_url}/api/v1/charts/ai-server-market.csv?mkt_cagr=999&lang=en")
    assert status == 400 and json.loads(body)["error"]["parameter"] == "mkt_cagr"
    # The session is still alive and moves to another page after the API calls.
    sources_title = t(PAGES_BY_ID["sources"].title_key, "en")
    page.locator("[data-testid=stSidebar]").get_by_role("link", name=sources_title).click()
    page.get_by_role("heading", name=sources_title).wait_for(timeout=PAGE_READY_MS)
