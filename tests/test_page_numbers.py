"""AppTest: numbers at the edge of every range reach the market and intelligent-compute pages without a traceback
(issue 28, finding 2), lenient link numbers are refused with a warning, and a saved scenario whose values today's
checks refuse is reported, not run, on the page and in the comparison section."""

from __future__ import annotations

import json
import math

import pytest
from chart_elements import chart_specs
from conftest import PROJECT_ROOT, isolated_app
from streamlit.testing.v1 import AppTest

from analysis.i18n import t
from analysis.userstore import STORE_FORMAT, ScenarioStore

TIMEOUT = 90
PAGE_FILES = {"market": "pages/market.py", "intelligent_compute": "pages/intelligent_compute.py"}
PREFIX = {"market": "mkt", "intelligent_compute": "icc"}


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory):
    work = tmp_path_factory.mktemp("numbers-apptest")
    with isolated_app(work / "atlas.duckdb", work / "userdata"):
        yield work / "userdata"


@pytest.fixture
def userdata(isolated):
    store = ScenarioStore(isolated)
    yield isolated
    store.path.unlink(missing_ok=True)


def open_page(page_id: str, lang: str = "en", **query) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(PAGE_FILES[page_id])
    return at.run()


def write_store(folder, scenarios: dict[str, dict]) -> None:
    """A scenario file as one saved before today's checks (values written as they were, not re-validated)."""
    folder.mkdir(parents=True, exist_ok=True)
    body = {
        "format": STORE_FORMAT,
        "version": 1,
        "scenarios": {n: {"values": v, "saved_at": "2026-11-01T00:00:00+00:00"} for n, v in scenarios.items()},
    }
    (folder / "scenarios.json").write_text(json.dumps(body), encoding="utf-8")


def _warnings(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


@pytest.mark.parametrize("page_id", PAGE_FILES)
def test_negative_zero_growth_and_spread_draw_the_page(page_id):
    """`?mkt_cagr=-0&mkt_spread=-0` raised numpy's `high - low < 0` with a traceback; -0 now reads as 0."""
    prefix = PREFIX[page_id]
    at = open_page(page_id, **{f"{prefix}_cagr": "-0", f"{prefix}_spread": "-0"})
    assert not at.exception, [e.value for e in at.exception]
    values = at.session_state["scenario.values"]
    for name in (f"{prefix}_cagr", f"{prefix}_spread"):
        assert values[name] == 0 and math.copysign(1, values[name]) == 1
    assert chart_specs(at), "the forecast chart is drawn"


@pytest.mark.parametrize("page_id", PAGE_FILES)
@pytest.mark.parametrize("edge", ["min_value", "max_value"])
def test_every_slider_at_its_edge_draws_the_page(page_id, edge):
    from analysis.scenario import params_for_page

    numeric = [p for p in params_for_page(page_id) if p.kind in ("float", "int")]
    at = open_page(page_id, **{p.name: p.to_text(getattr(p, edge)) for p in numeric})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, _warnings(at)  # every edge value is a valid one


EDGE_PAGES = ("home", "workload", "cycle", "compute", "compute_audit", "scorecard")


@pytest.mark.parametrize("page_id", EDGE_PAGES)
@pytest.mark.parametrize("edge", ["min_value", "max_value"])
def test_every_numeric_parameter_at_its_edge_leaves_other_pages_without_a_traceback(page_id, edge):
    """Every numeric parameter of the app at once at its minimum (or maximum): a page may say that a combination
    does not compute, but never raises. Parameters of one page can be read by another (cycle reads workload)."""
    from analysis.scenario import all_params
    from analysis.sitemap import PAGES

    file = next(p.file for p in PAGES if p.page_id == page_id)
    numeric = [p for p in all_params().values() if p.kind in ("float", "int")]
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    for p in numeric:
        at.query_params[p.name] = p.to_text(getattr(p, edge))
    if file != "app.py":
        at.switch_page(file)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("Traceback" in e.value for e in at.error)


@pytest.mark.parametrize("given", ["１２", "  12 ", "1_2", "1e-400", "9" * 5000])
def test_lenient_link_numbers_are_refused_with_a_warning(given):
    at = open_page("market", mkt_cagr=given)
    assert not at.exception, [e.value for e in at.exception]
    assert t("scenario.bad_url", "en") in _warnings(at)
    assert at.session_state["scenario.values"]["mkt_cagr"] == 19.0  # the report's CAGR, as the warning says
    assert "mkt_cagr" not in at.query_params


BAD_STORED = {"mkt_cagr": 500.0, "mkt_spread": 5.0}  # a CAGR above the slider's 80%: refused today


def test_a_stored_scenario_out_of_range_is_left_out_of_the_comparison(userdata):
    write_store(userdata, {"Bull": BAD_STORED, "Flat": {"mkt_cagr": -0.0, "mkt_spread": -0.0}})
    at = open_page("market")
    assert not at.exception, [e.value for e in at.exception]
    warnings = _warnings(at)
    assert t("market.compare.stored_invalid", "en", name="Bull") in warnings
    assert "mkt_cagr" in warnings and "500" in warnings
    # The scenario saved with -0 before the fix is read as 0 and compared.
    compared = at.dataframe[-1].value
    assert any("Flat" in str(c) for c in compared.columns) or "Flat" in compared.to_string()


def test_a_link_to_a_stored_scenario_out_of_range_is_reported_not_opened(userdata):
    write_store(userdata, {"Bull": BAD_STORED})
    at = open_page("market", lang="zh", scenario="Bull")
    assert not at.exception, [e.value for e in at.exception]
    assert t("scenario.stored_invalid", "zh", name="Bull") in _warnings(at)
    assert at.session_state["scenario.values"]["mkt_cagr"] == 19.0
    assert at.session_state["scenario.name"] != "Bull"
    assert "scenario" not in at.query_params


def test_opening_a_stored_scenario_out_of_range_from_the_sidebar_reports_it(userdata):
    write_store(userdata, {"Bull": BAD_STORED})
    at = open_page("market")
    at.selectbox(key="scenario.pick").set_value("Bull")
    at.button(key="scenario.open_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("scenario.stored_invalid", "en", name="Bull") in _warnings(at)
    assert at.session_state["scenario.values"]["mkt_cagr"] == 19.0
