"""Details where the click was, and the phone's map and year tables, in Chromium (issue 25, item 7 and the
phone's last on-screen defects).

- A click on a box of the industry icicle opens the part's details in a dialog in the viewport (before: in the
  panel under the 860 px chart, off-screen), and the clicked box is outlined; both languages.
- At 390 px the regions map's China fills its frame (before: 239 px of a 428 px high map area), and a year table
  shows the year and two figures side by side (before: 1,750 to 2,160 px of header-wide columns, one figure at
  a time).
"""

from __future__ import annotations

import pytest

from analysis.i18n import LANGS, t
from tests.browser.test_industry import _no_errors, _ready
from tests.browser.test_regions import PAGE_READY_MS, assert_offline_and_clean, open_regions

PHONE = {"width": 390, "height": 844}
BOX = {"en": "Server vendors", "zh": "服务器厂商"}
NEXT_BOX = {"en": "Computing chips", "zh": "计算类芯片"}  # a second click, from a chart with a box outlined
PICKED_JS = """() => {
    const trace = document.querySelector('[data-testid=stMain] .js-plotly-plot').data[0];
    const lines = trace.marker.line.color;
    const outlined = Array.isArray(lines) ? trace.ids.filter((id, i) => lines[i] !== 'white') : [];
    return {picked: (trace.meta || {}).picked, outlined: outlined};
}"""
CHINA_IN_FRAME_JS = """() => {
    const sub = document.querySelector('.js-plotly-plot')._fullLayout.map._subplot;
    const frame = sub.div.getBoundingClientRect();
    const top = sub.map.project([73.0, 54.0]), bottom = sub.map.project([135.5, 17.5]);
    return {frame_w: frame.width, frame_h: frame.height, china_w: bottom.x - top.x, china_h: bottom.y - top.y};
}"""
GRID_JS = """(e) => {
    const scroller = e.querySelector('.dvn-scroller');
    const box = e.getBoundingClientRect();
    return {right: box.right, content_w: scroller.scrollWidth, shown_w: scroller.clientWidth};
}"""


@pytest.mark.parametrize("lang", LANGS)
def test_a_click_on_the_icicle_opens_the_details_in_view_and_outlines_the_box(page, app_url, lang):
    page.goto(f"{app_url}/industry" + ("?lang=en" if lang == "en" else ""))
    _ready(page)
    page.locator(".js-plotly-plot g.slice").first.wait_for(timeout=PAGE_READY_MS)
    box = page.locator(".js-plotly-plot g.slice").filter(has_text=BOX[lang]).first
    box.scroll_into_view_if_needed()
    box.locator("path").first.click(force=True)
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name=BOX[lang], exact=True).wait_for(timeout=PAGE_READY_MS)
    assert t("industry.detail.dialog_title", lang) in dialog.inner_text()
    assert t("industry.detail.to_players", lang) in dialog.inner_text()  # the panel's link to the layer's companies
    top = dialog.bounding_box()["y"]
    assert 0 <= top and top + 40 <= page.viewport_size["height"], top  # its top in view, not far below
    page.wait_for_function(
        "() => (document.querySelector('[data-testid=stMain] .js-plotly-plot').data[0].meta || {}).picked",
        timeout=PAGE_READY_MS,
    )
    assert page.evaluate(PICKED_JS) == {"picked": "server_vendors", "outlined": ["server_vendors"]}
    page.keyboard.press("Escape")  # closed by keyboard: the panel under the chart keeps the same part
    dialog.wait_for(state="hidden", timeout=PAGE_READY_MS)
    main = page.locator("[data-testid=stMain]")
    assert main.get_by_role("heading", name=BOX[lang], exact=True).count() == 1
    # A click on another box, from the chart with one outlined (a per-box outline width drew NaN paths here).
    page.locator(".js-plotly-plot g.slice").filter(has_text=NEXT_BOX[lang]).first.locator("path").first.click(force=True)
    dialog.get_by_role("heading", name=NEXT_BOX[lang], exact=True).wait_for(timeout=PAGE_READY_MS)
    page.wait_for_function(
        "() => (document.querySelector('[data-testid=stMain] .js-plotly-plot').data[0].meta || {}).picked === 'compute_chips'",
        timeout=PAGE_READY_MS,
    )
    _no_errors(page)


def test_on_a_phone_china_fills_the_maps_frame(page, app_url):
    page.set_viewport_size(PHONE)
    open_regions(page, app_url, "en")
    shape = page.evaluate(CHINA_IN_FRAME_JS)
    assert shape["china_w"] <= shape["frame_w"] + 1 and shape["china_h"] <= shape["frame_h"] + 1, shape  # whole
    assert shape["china_h"] >= 0.85 * shape["frame_h"], shape  # no empty band above or below it
    assert shape["china_w"] >= 0.85 * shape["frame_w"], shape
    assert_offline_and_clean(page)


@pytest.mark.parametrize("lang", LANGS)
def test_on_a_phone_a_year_table_shows_the_year_and_two_figures(page, app_url, lang):
    page.set_viewport_size(PHONE)
    page.goto(f"{app_url}/market" + ("?lang=en" if lang == "en" else ""))
    _ready(page)
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.locator(".dvn-scroller").wait_for(timeout=PAGE_READY_MS)
    shape = grid.evaluate(GRID_JS)
    assert shape["right"] <= PHONE["width"], shape  # the grid itself stays in the page; its columns scroll in it
    # ten columns; each figure column as wide as its figures (at most 132 px), not as its header
    assert shape["content_w"] <= 60 + 9 * 132 + 2, shape
    assert shape["content_w"] > shape["shown_w"]  # more columns than a phone shows: the grid scrolls sideways
    _no_errors(page)
