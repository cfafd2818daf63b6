"""The Regions map in a real browser with every non-local request refused: it draws, toggles by keyboard,
shows a clicked site's details and exports as PNG, and the browser never asks the network for anything."""

from __future__ import annotations

import re

import pytest

from analysis import regions
from analysis.i18n import LANGS, t
from analysis.sitemap import PAGES_BY_ID

PAGE_READY_MS = 60_000
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")  # see test_deeplinks
KARAMAY = (84.89, 45.58)  # inspur_karamay: alone in the north-west, so a click cannot hit another site

MAP_READY_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    return !!(sub && sub.map && sub.map.loaded() && sub.map.queryRenderedFeatures().length > 0);
}"""
RENDERED_FEATURES_JS = (
    "() => document.querySelector('.js-plotly-plot')._fullLayout.map._subplot.map.queryRenderedFeatures().length"
)
TRACE_NAMES_JS = "() => document.querySelector('.js-plotly-plot').data.map(trace => trace.name)"
SCREEN_POINT_JS = """([lon, lat]) => {
    const sub = document.querySelector('.js-plotly-plot')._fullLayout.map._subplot;
    const point = sub.map.project([lon, lat]);
    const box = sub.div.getBoundingClientRect();
    return [box.left + point.x, box.top + point.y];
}"""


def open_regions(page, app_url, lang: str = "zh", query: str = ""):
    params = "&".join(p for p in (("" if lang == "zh" else f"lang={lang}"), query) if p)
    page.goto(f"{app_url}/{PAGES_BY_ID['regions'].url_path}{'?' + params if params else ''}")
    page.locator(".js-plotly-plot .maplibregl-canvas").first.wait_for(timeout=PAGE_READY_MS)
    page.wait_for_function(MAP_READY_JS, timeout=PAGE_READY_MS)


def assert_offline_and_clean(page):
    assert page.external_requests == []
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
    assert page.locator("[data-testid=stException]").count() == 0


@pytest.mark.parametrize("lang", LANGS)
def test_map_draws_with_every_non_local_request_blocked(page, app_url, lang):
    open_regions(page, app_url, lang, "reg_cities=1&reg_eastwest=1")
    assert page.evaluate(RENDERED_FEATURES_JS) > 30  # the provinces and the sites are on the canvas
    names = page.evaluate(TRACE_NAMES_JS)
    assert t("regions.legend.east", lang) in names and t("regions.legend.west", lang) in names
    assert_offline_and_clean(page)


def test_a_layer_switched_by_keyboard_changes_the_map_and_the_url(page, app_url):
    open_regions(page, app_url, "en")
    city_legend = t("regions.legend.city", "en", count=0).split("(")[0]
    assert not any(name.startswith(city_legend) for name in page.evaluate(TRACE_NAMES_JS))
    switch = page.get_by_role("switch", name=t("regions.layer.city", "en"))
    switch.focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"[?&]reg_cities=1"), timeout=PAGE_READY_MS)
    page.wait_for_function(
        "(prefix) => document.querySelector('.js-plotly-plot').data.some(trace => (trace.name || '').startsWith(prefix))",
        arg=city_legend,
        timeout=PAGE_READY_MS,
    )
    assert_offline_and_clean(page)


def test_clicking_a_site_shows_its_details_and_source(page, app_url):
    open_regions(page, app_url, "en")
    x, y = page.evaluate(SCREEN_POINT_JS, list(KARAMAY))
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    main = page.locator("[data-testid=stMain]")
    main.get_by_text("Karamay Inspur Intelligent Computing Center").first.wait_for(timeout=PAGE_READY_MS)
    details = main.inner_text()
    assert "State Information Center" in details
    assert t("regions.kind.centre", "en") in details
    assert_offline_and_clean(page)


def test_png_download_draws_the_map(page, app_url):
    # The picture comes from the server, laid out for a file (analysis.chart_layout); the toolbar keeps no
    # camera, which could only save the screen's layout.
    from io import BytesIO

    from PIL import Image

    open_regions(page, app_url, "zh")
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    assert chart.locator(".modebar-btn[data-title*='png' i]").count() == 0
    with page.expect_download(timeout=PAGE_READY_MS) as info:
        page.get_by_role("button", name=t("export.png", "zh")).first.click()
    download = info.value
    assert download.suggested_filename == "compute-atlas_regions-map_zh.png"
    with open(download.path(), "rb") as handle:
        body = handle.read()
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    picture = Image.open(BytesIO(body)).convert("RGB")
    width, height = picture.size
    middle = picture.crop((width // 4, height // 5, 3 * width // 4, 3 * height // 5))
    coloured = sum(1 for pixel in middle.get_flattened_data() if min(pixel) < 245)
    # China's provinces fill much of the middle of the picture; a blank export (tiles or shapes missing) has none.
    assert coloured > 0.2 * middle.width * middle.height, (coloured, middle.size)
    assert_offline_and_clean(page)


def test_the_geometry_is_fetched_once_from_the_app_itself(page, app_url):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    open_regions(page, app_url, "en")
    shapes = [url for url in requested if url.endswith(".geojson")]
    assert shapes == [f"{app_url}/app/static/{regions.GEOJSON_PATH.name}"]
    # A layer switch sends a figure naming the same URL: the browser keeps the shapes it has.
    page.get_by_role("switch", name=t("regions.layer.eastwest", "en")).focus()
    page.keyboard.press("Space")
    page.wait_for_function(
        "(name) => document.querySelector('.js-plotly-plot').data.some(trace => trace.name === name)",
        arg=t("regions.legend.east", "en"),
        timeout=PAGE_READY_MS,
    )
    page.wait_for_function(MAP_READY_JS, timeout=PAGE_READY_MS)
    assert [url for url in requested if url.endswith(".geojson")] == shapes
    assert not [url for url in requested if url.endswith((".json", ".pbf", ".topojson")) and "_stcore" not in url]
    assert_offline_and_clean(page)
