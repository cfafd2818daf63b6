"""The industry pages in Chromium: deep links reopen a view, filters work by keyboard and a chart click, no errors."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from analysis.i18n import t

PAGE_READY_MS = 60_000
URL_CHANGE_MS = 30_000
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")


def _ready(page) -> None:
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    page.locator("[data-testid=stMain] .js-plotly-plot, [data-testid=stMain] [data-testid=stSelectbox]").first.wait_for(
        timeout=PAGE_READY_MS
    )


def _wait_for_query(page, fragment: str) -> None:
    # Streamlit updates the address with the history API; read it from the page itself.
    page.wait_for_function("(f) => window.location.search.includes(f)", arg=fragment, timeout=URL_CHANGE_MS)


def _no_errors(page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0
    assert "⟦" not in page.locator("[data-testid=stMain]").inner_text()
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
    assert page.external_requests == []


def test_deep_link_opens_filtered_profiles(page, app_url):
    page.goto(f"{app_url}/players?lang=en&ind_layer=compute_chips&ind_route=gpu")
    _ready(page)
    headings = page.locator("[data-testid=stMain] h3")
    expect(headings.first).to_have_text("Iluvatar CoreX", timeout=PAGE_READY_MS)
    names = [h.strip() for h in headings.all_inner_texts()]
    # Compute chips on the GPU route: 天数智芯, 摩尔线程 and NVIDIA's GPUs (then the two route columns).
    assert names[:3] == ["Iluvatar CoreX", "Moore Threads", "NVIDIA (DGX Cloud)"]
    _no_errors(page)


def test_layer_filter_by_keyboard_updates_profiles_and_url(page, app_url):
    page.goto(f"{app_url}/players?lang=en")
    _ready(page)
    box = page.get_by_role("combobox", name=t("industry.filter.layer", "en"))
    box.focus()
    page.keyboard.type("Server vendors")
    page.keyboard.press("Enter")
    _wait_for_query(page, "ind_layer=server_vendors")
    expect(page.locator("[data-testid=stMain] h3").first).to_have_text("Baidu", timeout=PAGE_READY_MS)
    caption = t("industry.profile.count", "en", shown=4, total=13)
    expect(page.get_by_text(caption)).to_be_visible(timeout=PAGE_READY_MS)
    _no_errors(page)


def test_node_picker_by_keyboard_and_chart_click_set_the_node(page, app_url):
    page.goto(f"{app_url}/industry?lang=en")
    _ready(page)
    page.locator(".js-plotly-plot g.slice").first.wait_for(timeout=PAGE_READY_MS)
    box = page.get_by_role("combobox", name=t("industry.node_label", "en"))
    box.focus()
    page.keyboard.type("ASIC")
    page.keyboard.press("Enter")
    _wait_for_query(page, "ind_node=asic")
    expect(page.get_by_role("heading", name="ASIC", exact=True)).to_be_visible(timeout=PAGE_READY_MS)

    # Clicking a box of the icicle selects that node too (plotly's click on a hierarchical chart).
    server_box = page.locator(".js-plotly-plot g.slice").filter(has_text="Server vendors").first
    server_box.locator("path").first.click(force=True)
    _wait_for_query(page, "ind_node=server_vendors")
    # ... and shows its details in a dialog over the chart (tests/browser/test_click_details.py), as in the panel
    panel = page.get_by_test_id("stMainBlockContainer")
    expect(panel.get_by_role("heading", name="Server vendors", exact=True)).to_be_visible(timeout=PAGE_READY_MS)
    _no_errors(page)


def test_detail_panel_links_to_the_layers_profiles(page, app_url):
    page.goto(f"{app_url}/industry?ind_node=cloud_platforms")
    _ready(page)
    page.get_by_role("link", name=t("industry.detail.to_players", "zh")).click()
    _wait_for_query(page, "ind_layer=cloud_platforms")
    expect(page.get_by_role("heading", name=t("page.players.title", "zh"), exact=True)).to_be_visible(timeout=PAGE_READY_MS)
    expect(page.get_by_text(t("industry.profile.count", "zh", shown=8, total=13))).to_be_visible(timeout=PAGE_READY_MS)
    _no_errors(page)
