"""A click on the map shows the site's details where the user is looking (a dialog over the map, in the
viewport), and the clicked site is picked out on the map; the keyboard path (the site picker) stays."""

from __future__ import annotations

from analysis import regions
from analysis.i18n import t
from tests.browser.test_regions import KARAMAY, PAGE_READY_MS, SCREEN_POINT_JS, assert_offline_and_clean, open_regions

HALO_JS = """(name) => {
    const gd = document.querySelector('.js-plotly-plot');
    return gd.data.filter(trace => trace.name === name).map(trace => [trace.lon[0], trace.lat[0]]);
}"""


def test_a_click_opens_the_details_in_view_and_picks_the_site_out(page, app_url):
    open_regions(page, app_url, "en")
    x, y = page.evaluate(SCREEN_POINT_JS, list(KARAMAY))
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Karamay Inspur Intelligent Computing Center").first.wait_for(timeout=PAGE_READY_MS)
    assert t("regions.details_heading", "en") in dialog.inner_text()
    assert "State Information Center" in dialog.inner_text()
    box = dialog.bounding_box()
    viewport = page.viewport_size
    assert box["y"] >= 0 and box["y"] + 40 <= viewport["height"], (box, viewport)  # its top in view, not far below
    page.wait_for_function(
        "(name) => document.querySelector('.js-plotly-plot').data.some(trace => trace.name === name)",
        arg=regions.HALO_NAME,
        timeout=PAGE_READY_MS,
    )
    assert page.evaluate(HALO_JS, regions.HALO_NAME) == [list(KARAMAY)]
    page.keyboard.press("Escape")  # closed by keyboard; the panel under the map keeps the choice
    dialog.wait_for(state="hidden", timeout=PAGE_READY_MS)
    main = page.locator("[data-testid=stMain]").inner_text()
    under_map = main[main.index(t("regions.details_heading", "en")) :]
    assert "Karamay Inspur Intelligent Computing Center" in under_map
    assert_offline_and_clean(page)
