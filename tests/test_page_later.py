"""AppTest: the report card works out of the box in both languages; the later layer is a URL parameter;
one click sets a CAGR slider to the rate the later figures imply."""

from __future__ import annotations

import pytest
from chart_elements import chart_specs
from conftest import isolated_app, open_app_page
from streamlit.testing.v1 import AppTest

from analysis.i18n import t

TIMEOUT = 90


@pytest.fixture(autouse=True)
def isolated(tmp_path, built_db):
    with isolated_app(built_db, tmp_path / "userdata"):
        yield


def open_page(file: str, lang: str = "en", **query) -> AppTest:
    return open_app_page(file, lang, timeout=TIMEOUT, **query)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_card_is_filled_without_any_import(lang):
    at = open_page("pages/scorecard.py", lang)
    assert not at.exception, [e.value for e in at.exception]
    verdicts = "\n".join(m.value for m in at.markdown)
    assert t("card.series.shipments", lang) in verdicts and t("card.verdict_break", lang, year=2025) in verdicts
    card = at.dataframe[0].value
    assert len(card) > 10
    assert card[t("card.col.url", lang)].str.startswith("http").all()
    assert t("later.comparability.definitional_break", lang) in set(card[t("card.col.error", lang)])
    assert [i.value for i in at.info] == [t("scorecard.empty", lang)]  # the imported part still waits for imports
    assert "⟦" not in verdicts


def later_traces(at: AppTest, index: int) -> list[str]:
    names = [trace.get("name", "") for trace in chart_specs(at)[index]["data"]]
    return [n for n in names if n.startswith("Later")]


def test_later_layer_is_on_by_default_and_a_url_parameter():
    at = open_page("pages/intelligent_compute.py")
    assert not at.exception
    assert later_traces(at, 0), "the later figures are drawn by default"
    at.toggle(key="sc.later_layer").set_value(False).run()
    assert not later_traces(at, 0)
    assert at.query_params["later_layer"] == "0"
    reopened = open_page("pages/intelligent_compute.py", later_layer="0")
    assert not later_traces(reopened, 0)


def test_one_click_sets_the_cagr_to_the_rate_later_figures_imply():
    at = open_page("pages/market.py")
    assert not at.exception
    button = at.button(key="later.implied.shipments")
    # ((270 / 86.71)^(1/4) − 1) = 32.8% on "more than 2.7 million" (the re-based May 2026 edition is not used),
    # on the slider's 0.5 grid.
    assert "33" in button.label and "43.5" not in button.label
    caption = "\n".join(c.value for c in at.caption)
    assert "at least 32.8%" in caption and "43.7%" in caption
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["scenario.values"]["ship_cagr"] == 33.0
    assert at.slider(key="sc.ship_cagr").value == 33.0
    assert at.query_params["ship_cagr"] == "33"
    assert at.button(key="later.implied.shipments").disabled
