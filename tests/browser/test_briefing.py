"""The briefing page in a real browser: build and download the deck, reopen a scenario from the zip,
and each chart's SVG and offline HTML downloads."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from playwright.sync_api import expect
from pptx import Presentation

from analysis.chartspec import chart_defs
from analysis.i18n import t
from analysis.scenario import all_params
from analysis.sitemap import PAGES_BY_ID

from .test_deeplinks import BENIGN_CONSOLE, PAGE_READY_MS, deep_link

BUILD_MS = 120_000
PPTX_NAME = re.compile(r"^compute-atlas_briefing_en_\d{4}-\d{2}-\d{2}\.pptx$")


def changed_param() -> tuple[str, str]:
    """Some scenario parameter with a non-default value, in its URL form (works for any registry)."""
    name, param = sorted(all_params().items())[0]
    if param.kind == "bool":
        value = not param.default
    elif param.kind == "choice":
        value = next(c for c in param.choices if c != param.default)
    else:
        value = param.max_value if param.max_value != param.default else param.min_value
    return name, param.to_text(value)


def build_pack(page) -> None:
    page.get_by_role("button", name=t("briefing.build", "en")).click()
    page.get_by_role("button", name=t("briefing.download_pptx", "en")).wait_for(timeout=BUILD_MS)


def test_build_and_download_the_deck(page, app_url, tmp_path):
    page.goto(deep_link(app_url, PAGES_BY_ID["briefing"], "en"))
    page.get_by_role("heading", name=t("page.briefing.title", "en")).wait_for(timeout=PAGE_READY_MS)
    build_pack(page)
    with page.expect_download() as info:
        page.get_by_role("button", name=t("briefing.download_pptx", "en")).click()
    download = info.value
    assert PPTX_NAME.match(download.suggested_filename), download.suggested_filename
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    deck = Presentation(str(target))
    # the cover, one slide per chart, the later figures' documents and the sources
    assert len(deck.slides) == len(chart_defs()) + 3
    assert page.locator("[data-testid=stException]").count() == 0
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
    assert page.external_requests == []


def test_the_zip_reopens_the_same_scenario(page, app_url, tmp_path):
    name, value = changed_param()
    page.goto(f"{deep_link(app_url, PAGES_BY_ID['briefing'], 'en')}&{name}={value}")
    page.get_by_role("heading", name=t("page.briefing.title", "en")).wait_for(timeout=PAGE_READY_MS)
    build_pack(page)
    with page.expect_download() as info:
        page.get_by_role("button", name=t("briefing.download_zip", "en")).click()
    pack_zip = tmp_path / "pack.zip"
    info.value.save_as(pack_zip)
    assert "scenario.json" in zipfile.ZipFile(pack_zip).namelist()

    page.goto(deep_link(app_url, PAGES_BY_ID["briefing"], "en"))  # a new session, at the baseline
    page.get_by_role("heading", name=t("page.briefing.title", "en")).wait_for(timeout=PAGE_READY_MS)
    assert f"{name}=" not in page.url
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(pack_zip))
    page.wait_for_url(re.compile(rf"[?&]{name}={re.escape(value)}"), timeout=PAGE_READY_MS)
    expect(page.locator("[data-testid=stAlertContentSuccess]").first).to_contain_text("pack.zip", timeout=PAGE_READY_MS)
    assert page.locator("[data-testid=stException]").count() == 0


def test_a_chart_downloads_as_svg_and_as_html_that_works_offline(page, app_url, tmp_path, browser):
    page.goto(deep_link(app_url, PAGES_BY_ID["home"], "en"))
    svg_button = page.get_by_role("button", name=t("briefing.svg", "en"))
    svg_button.wait_for(timeout=PAGE_READY_MS)
    with page.expect_download(timeout=BUILD_MS) as info:
        svg_button.click()
    assert info.value.suggested_filename == "compute-atlas_workload-split_en.svg"
    assert Path(info.value.path()).read_bytes().lstrip().startswith(b"<svg")

    with page.expect_download(timeout=BUILD_MS) as info:
        page.get_by_role("button", name=t("briefing.html", "en")).click()
    assert info.value.suggested_filename == "compute-atlas_workload-split_en.html"
    html_file = tmp_path / "chart.html"
    info.value.save_as(html_file)

    offline = browser.new_context()
    requests: list[str] = []

    def only_the_file(route):
        if not route.request.url.startswith("file://"):
            requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    viewer = offline.new_page()
    viewer.route("**/*", only_the_file)
    viewer.goto(html_file.as_uri())
    viewer.locator(".plotly .main-svg").first.wait_for(timeout=PAGE_READY_MS)
    assert viewer.title() == t("chart.workload.title", "en")
    assert requests == []
    offline.close()
