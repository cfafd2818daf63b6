"""AppTest for the industry map and players pages: filters narrow the profiles, links reopen a view, both languages."""

from __future__ import annotations

import duckdb
import pytest
import streamlit as st
from chart_elements import chart_specs
from conftest import PROJECT_ROOT
from streamlit.testing.v1 import AppTest

from analysis import industry
from analysis.build import build
from analysis.i18n import LANGS, t
from analysis.sitemap import PAGES_BY_ID
from ui.industry import clicked_key

TIMEOUT = 60
INDUSTRY = PAGES_BY_ID["industry"].file
PLAYERS = PAGES_BY_ID["players"].file


@pytest.fixture(scope="module", autouse=True)
def isolated_app(tmp_path_factory: pytest.TempPathFactory):
    """The app builds its own database and keeps user data in a temp folder; Streamlit caches start empty."""
    work = tmp_path_factory.mktemp("industry-apptest")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATLAS_DB_PATH", str(work / "atlas.duckdb"))
        mp.setenv("ATLAS_USER_DATA_DIR", str(work / "userdata"))
        st.cache_data.clear()
        st.cache_resource.clear()
        yield work
        st.cache_data.clear()
        st.cache_resource.clear()


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("industry-db") / "atlas.duckdb"
    build(None, path)
    connection = duckdb.connect(str(path), read_only=True)
    yield connection
    connection.close()


def run_page(file: str, lang: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(file)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def profile_names(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


def expected_names(con, lang: str, **filters) -> list[str]:
    return [p["name"] for p in industry.profiles(con, lang=lang, **filters)]


def query_value(at: AppTest, key: str):
    value = at.query_params.get(key)
    return value[-1] if isinstance(value, list) else value


@pytest.mark.parametrize("lang", LANGS)
def test_choosing_a_layer_and_a_route_filters_the_profiles(con, lang):
    at = run_page(PLAYERS, lang)
    everyone = expected_names(con, lang)
    assert profile_names(at)[: len(everyone)] == everyone

    at.selectbox(key="ind_layer").set_value("compute_chips").run()
    assert not at.exception
    in_layer = expected_names(con, lang, layer="compute_chips")
    assert profile_names(at)[: len(in_layer)] == in_layer
    assert len(in_layer) < len(everyone)
    assert query_value(at, "ind_layer") == "compute_chips"

    at.selectbox(key="ind_route").set_value("gpu").run()
    assert not at.exception
    both = expected_names(con, lang, layer="compute_chips", route="gpu")
    assert 0 < len(both) < len(in_layer)
    assert profile_names(at)[: len(both)] == both
    assert profile_names(at)[len(both)] != in_layer[-1]  # the next subheader belongs to the routes section
    assert query_value(at, "ind_route") == "gpu"
    assert t("industry.profile.count", lang, shown=len(both), total=len(everyone)) in [c.value for c in at.caption]


def test_a_link_reopens_the_filtered_view():
    at = run_page(PLAYERS, "en", ind_layer="server_vendors", ind_route="gpu")
    assert at.selectbox(key="ind_layer").value == "server_vendors"
    assert at.selectbox(key="ind_route").value == "gpu"
    assert profile_names(at)[0] == "NVIDIA (DGX Cloud)"


def test_choosing_all_again_removes_the_filter_from_the_url():
    at = run_page(PLAYERS, "en", ind_layer="maas")
    at.selectbox(key="ind_layer").set_value(industry.ALL).run()
    assert not at.exception
    assert "ind_layer" not in at.query_params


def test_a_bad_filter_in_the_link_warns_and_shows_everyone():
    at = run_page(PLAYERS, "zh", ind_route="quantum")
    label = t("industry.filter.route", "zh")
    assert [w.value for w in at.warning] == [t("industry.bad_url_choice", "zh", label=label, value="quantum")]
    assert at.selectbox(key="ind_route").value == industry.ALL
    assert "ind_route" not in at.query_params


def test_a_route_without_profiled_companies_names_the_reports_companies():
    at = run_page(PLAYERS, "zh", ind_route="gpu_interconnect")
    # 趋势01: GPU+片间互联 — 海光信息、燧原科技等 (neither has a company case).
    infos = [i.value for i in at.info]
    assert len(infos) == 1 and "海光信息" in infos[0] and "燧原科技" in infos[0]


@pytest.mark.parametrize("lang", LANGS)
def test_choosing_a_node_fills_the_detail_panel(con, lang):
    at = run_page(INDUSTRY, lang)
    assert len(chart_specs(at)) == 1
    at.selectbox(key="ind_node").set_value("cloud_platforms").run()
    assert not at.exception
    detail = industry.node_detail(con, "cloud_platforms", lang)
    assert detail["name"] in [h.value for h in at.subheader]
    players = list(dict.fromkeys(p["player"] for p in detail["products"]))
    assert len(players) == 8
    table = at.dataframe[0].value
    assert list(dict.fromkeys(table[t("industry.col.player", lang)])) == players
    assert query_value(at, "ind_node") == "cloud_platforms"


def dialogs(at: AppTest) -> list:
    """The open dialogs of the last run (AppTest keeps them as blocks of type `dialog`)."""
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "dialog":
            found.append(node)
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return found


def picked_box(at: AppTest) -> str | None:
    icicle = chart_specs(at)[0]["data"][0]
    return (icicle.get("meta") or {}).get("picked")


@pytest.mark.parametrize("lang", LANGS)
def test_a_click_on_the_icicle_shows_the_details_over_the_chart_and_outlines_the_box(con, lang):
    at = run_page(INDUSTRY, lang)
    assert dialogs(at) == [] and picked_box(at) is None
    # What the chart's on_select callback (ui.industry.select_from_chart) leaves for a click on a box:
    at.session_state["ind_node"] = "cloud_platforms"
    at.session_state[clicked_key("ind_node")] = "cloud_platforms"
    at.run()
    assert not at.exception
    detail = industry.node_detail(con, "cloud_platforms", lang)
    [dialog] = dialogs(at)
    assert dialog.proto.dialog.title == t("industry.detail.dialog_title", lang) and dialog.proto.dialog.is_open
    assert detail["name"] in [h.value for h in dialog.subheader]
    players = list(dict.fromkeys(p["player"] for p in detail["products"]))
    assert list(dict.fromkeys(dialog.dataframe[0].value[t("industry.col.player", lang)])) == players
    assert picked_box(at) == "cloud_platforms"
    # The panel under the chart keeps the same details; the next run (e.g. the picker) opens no dialog again.
    assert [h.value for h in at.subheader].count(detail["name"]) == 2
    at.selectbox(key="ind_node").set_value("asic").run()
    assert not at.exception and dialogs(at) == [] and picked_box(at) == "asic"
    assert "ASIC" in [h.value for h in at.subheader]


def test_a_node_link_opens_its_panel():
    at = run_page(INDUSTRY, "en", ind_node="asic")
    assert at.selectbox(key="ind_node").value == "asic"
    assert "ASIC" in [h.value for h in at.subheader]
    assert [w.value for w in at.warning] == []


@pytest.mark.parametrize("lang", LANGS)
def test_both_languages_render_the_chain(con, lang):
    at = run_page(INDUSTRY, lang)
    headings = [m.value.removeprefix("#### ").removesuffix(" →") for m in at.markdown if m.value.startswith("#### ")]
    links = [link["name"] for link in industry.chain_cards(con, lang)]
    assert [h for h in headings if h in links] == links
