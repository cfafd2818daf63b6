"""AppTest: the briefing page picks charts by page, builds the pack, offers both downloads and reopens scenarios."""

from __future__ import annotations

import io
import json

import pytest
from conftest import PROJECT_ROOT, isolated_app
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from analysis import chartspec, images
from analysis import scenario as sc
from analysis.chartspec import chart_defs
from analysis.i18n import LANGS, t
from analysis.sitemap import PAGES_BY_ID
from analysis.textsafe import escape_markdown

PAGE = PAGES_BY_ID["briefing"].file
PACK_KEY = "briefing.pack"  # pages/briefing.py keeps (what it was built for, the pack) here


@pytest.fixture(autouse=True)
def isolated(tmp_path):
    with isolated_app(tmp_path / "atlas.duckdb", tmp_path / "userdata"):
        yield tmp_path


@pytest.fixture
def fake_params(monkeypatch):
    monkeypatch.setattr(sc, "PARAM_MODULES", (*sc.PARAM_MODULES, "scenario_params_fixture"))


def open_page(lang: str = "en", file: str = PAGE, **query) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    if file != "app.py":
        at.switch_page(file)
    return at.run()


def pickers(at: AppTest) -> dict[str, object]:
    return {m.key: m for m in at.multiselect if m.key.startswith("briefing.pick.")}


def download(at: AppTest, key: str):
    return next(b for b in at.get("download_button") if b.key == key)


def build(at: AppTest) -> AppTest:
    at.button(key="briefing.build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", LANGS)
def test_charts_are_grouped_by_page_and_all_selected(lang):
    at = open_page(lang)
    assert not at.exception and not at.error
    by_page = {}
    for chart in chart_defs():
        by_page.setdefault(chart.page_id, []).append(chart.slug)
    shown = pickers(at)
    assert set(shown) == {f"briefing.pick.{page_id}" for page_id in by_page}
    for page_id, slugs in by_page.items():
        picker = shown[f"briefing.pick.{page_id}"]
        assert picker.label == t(PAGES_BY_ID[page_id].title_key, lang)
        assert picker.value == slugs
    name = t("scenario.baseline", lang)
    assert t("briefing.current", lang, name=escape_markdown(name), language={"zh": "中文", "en": "English"}[lang]) in [
        i.value for i in at.info
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_build_gives_a_deck_and_a_zip_for_the_selection(lang):
    at = build(open_page(lang))
    pack = at.session_state[PACK_KEY][1]
    assert len(Presentation(io.BytesIO(pack.pptx)).slides) == len(chart_defs()) + 3
    assert [s.value for s in at.success] == [
        t("briefing.built", lang, slides=pack.slide_count, native=pack.native_charts, images=pack.image_charts)
    ]
    assert download(at, "briefing.download_pptx").label == t("briefing.download_pptx", lang)
    assert download(at, "briefing.download_zip").label == t("briefing.download_zip", lang)


def test_nothing_selected_disables_the_build_and_says_why():
    at = open_page("en")
    for picker in pickers(at).values():
        picker.set_value([])
    at.run()
    assert at.button(key="briefing.build").disabled
    assert t("briefing.none_selected", "en") in [c.value for c in at.caption]


def test_a_changed_selection_marks_the_built_pack_as_stale(monkeypatch):
    monkeypatch.setattr(chartspec, "CHART_MODULES", (*chartspec.CHART_MODULES, "briefing_charts_fixture"))
    at = build(open_page("en"))
    assert download(at, "briefing.download_pptx")
    pickers(at)["briefing.pick.home"].set_value(["workload-split"]).run()
    assert t("briefing.stale", "en") in [i.value for i in at.info]
    assert not [b for b in at.get("download_button") if b.key.startswith("briefing.download")]


def test_without_chromium_the_page_builds_and_lists_what_was_left_out(monkeypatch, tmp_path):
    monkeypatch.setattr(chartspec, "CHART_MODULES", (*chartspec.CHART_MODULES, "briefing_charts_fixture"))
    monkeypatch.setenv(images.BROWSER_ENV, str(tmp_path / "no-chromium"))
    at = build(open_page("en"))
    warning = " ".join(w.value for w in at.warning)
    assert t("briefing.left_out_warning", "en") in warning
    assert "Test map: compute hubs" in warning and "no-chromium" in warning
    assert download(at, "briefing.download_pptx")


def test_the_zip_reopens_its_scenario(fake_params):
    at = build(open_page("en", t_growth="33", t_mode="manual"))
    pack = at.session_state[PACK_KEY][1]
    at = open_page("en")  # a fresh session at the baseline
    assert at.session_state["scenario.values"]["t_growth"] == 19.0
    at.file_uploader(key="briefing.loader").set_value(("pack.zip", pack.zip, "application/zip")).run()
    assert not at.exception and not at.error
    values = at.session_state["scenario.values"]
    assert (values["t_growth"], values["t_mode"]) == (33.0, "manual")
    assert at.query_params["t_growth"] == "33"
    name = t("briefing.unsaved_scenario", "en")
    # names echoed through Markdown are escaped (analysis.textsafe)
    assert [s.value for s in at.success] == [
        t("briefing.loaded", "en", name=escape_markdown(name), file=escape_markdown("pack.zip"))
    ]


def test_a_scenario_json_with_a_bad_value_opens_with_a_warning(fake_params):
    body = json.loads(sc.to_json("Mine", {**sc.defaults(), "t_growth": 33.0, "t_horizon": 2031}))
    body["values"]["t_growth"] = "lots"
    at = open_page("en")
    at.file_uploader(key="briefing.loader").set_value(("mine.json", json.dumps(body).encode(), "application/json")).run()
    assert not at.exception
    assert at.session_state["scenario.values"]["t_horizon"] == 2031
    assert at.session_state["scenario.values"]["t_growth"] == 19.0
    assert "“lots” is not a number from 0% to 80%" in " ".join(w.value for w in at.warning).replace("\\", "")


@pytest.mark.parametrize("lang", LANGS)
def test_a_file_that_is_not_a_scenario_is_refused_and_changes_nothing(fake_params, lang):
    at = open_page(lang, t_growth="33")
    at.file_uploader(key="briefing.loader").set_value(("notes.json", b"{not json", "application/json")).run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith(
        t("briefing.file_error.not_json", lang, file=escape_markdown("notes.json"), detail="\x00").split("\x00")[0]
    )
    assert at.session_state["scenario.values"]["t_growth"] == 33.0


def test_each_chart_offers_svg_and_html(monkeypatch, tmp_path):
    at = open_page("en", file="app.py")
    svg, html = download(at, "svg-workload-split"), download(at, "html-workload-split")
    assert (svg.label, html.label) == (t("briefing.svg", "en"), t("briefing.html", "en"))
    assert not svg.proto.disabled and svg.help == t("briefing.svg_help", "en")
    monkeypatch.setenv(images.BROWSER_ENV, str(tmp_path / "no-chromium"))
    at.run()
    svg = download(at, "svg-workload-split")
    assert svg.proto.disabled and "no-chromium" in svg.help


# ---------------------------------------------------------------- a language switch without Streamlit's warning


@pytest.fixture
def widget_warnings(monkeypatch):
    """Streamlit's log records 'created with a default value but also had its value set via the Session State
    API' (once per process: the once-flag is reset for the test)."""
    import logging

    from streamlit.elements.lib import policies

    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger(policies.__name__)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize(("first", "second"), [("zh", "en"), ("en", "zh")])
def test_language_switch_sets_the_pickers_without_a_widget_warning(widget_warnings, first, second):
    at = open_page(first)
    assert all(m.value for m in pickers(at).values())
    at.button_group(key="lang_switch").set_value(second).run()
    assert not at.exception, [e.value for e in at.exception]
    messages = [r.getMessage() for r in widget_warnings]
    assert not [m for m in messages if "default value" in m], messages
    # still every chart picked, in the new language
    assert sum(len(m.value) for m in pickers(at).values()) == len(chart_defs())
    assert at.multiselect(key="briefing.pick.home").options[0] == t(chart_defs()[0].title_key, second)
