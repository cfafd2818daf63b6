"""The chart element in the browser (ui/plot_element.py, ui/plot_element.js): drawn offline from the app's own
plotly.js, updated in place on the same node, zoom kept across an update, hover labels, the text alternative,
and the dark theme's colours. The map's click is tests/browser/test_regions_click.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from analysis.i18n import t
from analysis.sitemap import PAGES_BY_ID
from tests.browser.conftest import serve_app
from ui.http_api import plotly_js_url

PAGE_READY_MS = 60_000
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")
GD = "document.querySelector('.atlas-plot .js-plotly-plot')"


def open_workload(page, app_url: str, lang: str = "en"):
    page.goto(f"{app_url}/{PAGES_BY_ID['workload'].url_path}?lang={lang}")
    page.get_by_role("heading", name=t("page.workload.title", lang)).wait_for(timeout=PAGE_READY_MS)
    chart = page.locator(".atlas-plot").first
    chart.locator(".main-svg").first.wait_for(timeout=PAGE_READY_MS)
    return chart


def target_slider(page):
    return page.locator("[data-testid=stSlider]").filter(has_text=t("workload.target", "en")).get_by_role("slider")


def move_target_right(page, chart):
    """One keyboard step of the target slider (60% → 60.5%), and wait for the chart to show it."""
    thumb = target_slider(page)
    thumb.focus()
    thumb.press("ArrowRight")
    page.wait_for_url(re.compile(r"[?&]wl_target=60\.5"), timeout=PAGE_READY_MS)
    expect(chart.get_by_text(t("workload.chart.target", "en", target="60.5%"))).to_be_visible(timeout=PAGE_READY_MS)


def assert_clean(page):
    assert page.locator("[data-testid=stException]").count() == 0
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
    assert page.external_requests == []


def test_the_chart_draws_from_the_apps_own_plotly_js_with_every_outside_request_blocked(page, app_url):
    loaded = []
    page.on(
        "response", lambda r: loaded.append((r.url, r.status, r.headers.get("content-encoding"))) if "plotly" in r.url else None
    )
    chart = open_workload(page, app_url)
    assert chart.locator(".main-svg .scatterlayer .trace").count() > 0
    assert (f"{app_url}{plotly_js_url()}", 200, "gzip") in loaded, loaded
    # Kept under the element's own name: the page's window.Plotly is not touched.
    state = page.evaluate(
        "(url) => ({own: !!(window.__atlasPlotly && window.__atlasPlotly[url]), global: typeof window.Plotly})", plotly_js_url()
    )
    assert state == {"own": True, "global": "undefined"}
    assert page.evaluate(f"{GD}._context.showSendToCloud") is False
    assert_clean(page)


def test_a_slider_updates_the_chart_on_the_same_node(page, app_url):
    """st.plotly_chart re-mounted a changed figure (a new node, Plotly.newPlot); the element reacts in place."""
    chart = open_workload(page, app_url)
    page.evaluate(f"() => {{ {GD}.__sameNode = 'before the slider'; }}")
    move_target_right(page, chart)
    assert page.evaluate(f"() => {GD}.__sameNode") == "before the slider"
    assert page.locator(".atlas-plot .js-plotly-plot").count() == page.locator(".atlas-plot").count()
    assert_clean(page)


def test_a_zoom_survives_an_update(page, app_url):
    chart = open_workload(page, app_url)
    drawn = page.evaluate(f"() => {GD}._fullLayout.xaxis.range.slice()")
    drag = chart.locator(".nsewdrag").first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, y, steps=8)
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
    page.mouse.up()
    page.wait_for_function(f"(drawn) => {GD}._fullLayout.xaxis.range[1] < drawn[1] - 1", arg=drawn, timeout=PAGE_READY_MS)
    zoomed = page.evaluate(f"() => {GD}._fullLayout.xaxis.range.slice()")
    move_target_right(page, chart)
    assert page.evaluate(f"() => {GD}._fullLayout.xaxis.range.slice()") == zoomed
    assert_clean(page)


def test_a_hover_shows_its_label(page, app_url):
    chart = open_workload(page, app_url)
    marker = chart.locator(".scatterlayer .point").first
    marker.scroll_into_view_if_needed()
    box = marker.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2 + 1, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # A hover label (one per point, or the unified box the x-hover draws): not drawn in a shadow root's element.
    expect(chart.locator(".hoverlayer > g").first).to_be_visible(timeout=PAGE_READY_MS)
    assert_clean(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_chart_has_a_text_alternative_in_the_page_language(page, app_url, lang):
    chart = open_workload(page, app_url, lang)
    title = page.evaluate(f"() => {GD}.layout.meta.title")
    assert chart.get_attribute("role") == "figure" and chart.get_attribute("aria-label") == title
    assert chart.locator("figcaption").inner_text() == t("chart.text_alternative", lang, title=title)
    assert_clean(page)


@pytest.fixture(scope="module")
def dark_app_url(tmp_path_factory):
    """The app again, on Streamlit's dark theme (the product's config sets a light one)."""
    yield from serve_app(tmp_path_factory, "browser-dark-app", "--theme.base", "dark")


def test_on_the_dark_theme_the_chart_takes_the_themes_colours(page, dark_app_url):
    """The figures are laid out for a light page (white, dark ink): on the dark theme those become the theme's."""
    open_workload(page, dark_app_url)
    colours = page.evaluate(
        f"""() => {{
        const gd = {GD}; const css = getComputedStyle(gd.closest('.atlas-plot'));
        return {{paper: gd._fullLayout.paper_bgcolor, plot: gd._fullLayout.plot_bgcolor, font: gd._fullLayout.font.color,
                 background: css.getPropertyValue('--st-background-color').trim(),
                 text: css.getPropertyValue('--st-text-color').trim()}}; }}"""
    )
    assert colours["background"] and colours["paper"].lower() == colours["background"].lower() == colours["plot"].lower()
    assert colours["font"].lower() == colours["text"].lower()
    assert colours["paper"].lower() not in ("white", "#ffffff", "#fff"), colours
    assert_clean(page)


def test_the_chart_is_drawn_at_its_columns_width_after_the_window_narrows(page, app_url):
    chart = open_workload(page, app_url)
    wide = page.evaluate(f"() => {GD}._fullLayout.width")
    page.set_viewport_size({"width": 700, "height": 1000})
    page.wait_for_function(
        f"() => Math.abs({GD}._fullLayout.width - {GD}.getBoundingClientRect().width) < 2 && {GD}._fullLayout.width < {wide}",
        timeout=PAGE_READY_MS,
    )
    assert chart.bounding_box()["width"] <= 700
    assert_clean(page)
