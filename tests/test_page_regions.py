"""AppTest: the Regions page toggles every layer (chart, table and URL follow), shows site details, handles all-off."""

from __future__ import annotations

import pytest
from chart_elements import chart_specs
from conftest import PROJECT_ROOT, isolated_app
from streamlit.testing.v1 import AppTest

from analysis import regions
from analysis.i18n import LANGS, t
from analysis.sitemap import PAGES_BY_ID

PAGE = PAGES_BY_ID["regions"].file
SITE_KEY = "regions.site"


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory):
    work = tmp_path_factory.mktemp("regions-apptest")
    with isolated_app(work / "atlas.duckdb", work / "userdata"):
        yield


def open_page(lang: str = "zh", **query) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def legend_names(at: AppTest) -> list[str]:
    spec = chart_specs(at)[0]
    return [trace.get("name") for trace in spec["data"] if trace.get("showlegend", True) is not False]


def table_layers(at: AppTest, lang: str) -> set[str]:
    return set(at.dataframe[0].value[t("regions.column.layer", lang)])


@pytest.mark.parametrize("layer", regions.POINT_LAYERS + regions.AREA_LAYERS)
def test_each_layer_toggles_the_map_the_table_and_the_url(layer):
    lang = "en"
    at = open_page(lang)
    param = regions.LAYER_PARAM[layer]
    default = regions.LAYER_DEFAULTS[layer]
    toggle = at.toggle(key=f"sc.{param}")
    assert toggle.value is default
    before_names, before_layers = legend_names(at), table_layers(at, lang)
    toggle.set_value(not default).run()
    assert not at.exception
    after_names, after_layers = legend_names(at), table_layers(at, lang)
    kind = t(f"regions.kind.{layer}", lang)
    assert (kind in after_layers) is (not default) and (kind in before_layers) is default
    assert before_names != after_names
    assert at.query_params[param] == ("1" if not default else "0")
    at.toggle(key=f"sc.{param}").set_value(default).run()
    assert legend_names(at) == before_names
    assert param not in at.query_params


def test_a_link_switches_layers_on():
    at = open_page("en", reg_cities="1", reg_eastwest="1")
    assert at.toggle(key="sc.reg_cities").value is True
    names = legend_names(at)
    assert t("regions.legend.east", "en") in names and t("regions.legend.west", "en") in names
    assert any(name.startswith(t("regions.legend.city", "en", count=0).split("(")[0]) for name in names)


@pytest.mark.parametrize("lang", LANGS)
def test_choosing_a_site_shows_its_details_and_source(lang):
    at = open_page(lang)
    at.selectbox(key=SITE_KEY).set_value("inspur_karamay").run()
    assert not at.exception
    details = " ".join(m.value for m in at.markdown)
    assert "克拉玛依" in details  # the site's Chinese name is shown in both languages
    assert t("regions.column.source", lang) in details
    assert ("国家信息中心" if lang == "zh" else "State Information Center") in details


def test_a_site_without_coordinates_can_still_be_chosen():
    at = open_page("en")
    at.selectbox(key=SITE_KEY).set_value("sugon_5a").run()
    details = " ".join(m.value for m in at.markdown)
    assert regions.markdown_escape(t("regions.detail.no_coords", "en")) in details


def test_switching_off_the_chosen_sites_layer_clears_the_choice():
    at = open_page("en")
    at.selectbox(key=SITE_KEY).set_value("hub_gansu").run()
    at.toggle(key="sc.reg_hubs").set_value(False).run()
    assert not at.exception
    assert at.selectbox(key=SITE_KEY).value is None
    assert "hub_gansu" not in at.selectbox(key=SITE_KEY).options


def test_all_site_layers_off_says_so_and_keeps_the_map():
    at = open_page("en", reg_hubs="0", reg_clusters="0", reg_centres="0", reg_cities="0")
    assert [i.value for i in at.info] == [t("regions.no_sites", "en")]
    assert at.selectbox(key=SITE_KEY).disabled
    assert len(chart_specs(at)) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_region_metrics_are_shown_with_their_sources(lang):
    at = open_page(lang)
    captions = " ".join(c.value for c in at.caption)
    for figure_id in regions.REGION_METRIC_IDS:
        assert t(f"regions.metric.{figure_id}", lang, year="2021") in captions  # all three are 2021 or undated
    values = " ".join(m.value for m in at.markdown)
    assert "75%" in values and "90%" in values  # 智算中心现状 slide: 75% and 90% (2021)
