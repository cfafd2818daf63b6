"""The training-vs-inference outlook: one fit feeds the answer, the fan chart, its CSV and its native form."""

from __future__ import annotations

import pytest

from analysis import scenario
from analysis.i18n import LANGS, t
from analysis.phases import phases
from analysis.share_trend import ShareTrend
from analysis.workload import (
    PARAMS,
    RIBBON_BOTTOM_PERCENT,
    answer_text,
    interval_text,
    outlook,
    outlook_args,
    outlook_chart,
    outlook_figure,
    takeaway,
)


def values(**changes) -> dict[str, object]:
    return {**scenario.defaults(), **changes}


def test_params_are_registered_with_the_workload_page():
    registered = scenario.all_params()
    for param in PARAMS:
        assert param.name.startswith("wl_")
        assert registered[param.name] is param
        assert param.page_id == "workload"
    assert registered["wl_horizon"].max_value == 2032


def test_default_answer_is_the_fitted_trend_reaching_60_percent(db_con):
    result = outlook(db_con, **outlook_args(scenario.defaults()))
    fit = ShareTrend(
        result.table.rename(columns={"idc_inference_percent": "share_percent"}).dropna(subset=["share_percent"])
    ).fit()
    assert result.answer_year == fit.first_year_reaching(60.0)
    assert result.early_year == fit.first_year_reaching(60.0, bound="upper")
    assert result.late_year == fit.first_year_reaching(60.0, bound="lower")
    assert result.early_year <= result.answer_year <= result.late_year
    assert answer_text(result, "en") == str(result.answer_year)
    assert (result.table["scenario_percent"] == result.table["fitted_percent"]).all()
    assert result.table["manual_percent"].isna().all()


def test_manual_mode_dates_the_target_on_the_users_path(db_con):
    result = outlook(db_con, target_percent=70.0, mode="manual", annual_change_pp=2.0, horizon=2032)
    # IDC's 62.2% in 2026, then +2 pp a year: 64.2, 66.2, 68.2, 70.2 → 70% in 2030.
    assert result.answer_year == 2030
    assert (result.table["scenario_percent"] == result.table["manual_percent"]).all()
    assert "2030" in takeaway(result, "en")


def test_an_unreached_target_says_not_before_the_horizon(db_con):
    result = outlook(db_con, target_percent=90.0, horizon=2030)
    assert result.answer_year is None
    for lang in LANGS:
        assert answer_text(result, lang) == t("workload.not_before", lang, year=2030)
        assert interval_text(result, lang) == t("workload.not_before", lang, year=2030)


def test_a_target_below_the_first_fitted_share_is_already_reached(db_con):
    result = outlook(db_con, target_percent=50.0)
    assert result.answer_year == result.first_year
    assert takeaway(result, "en").startswith(t("workload.takeaway.trend_already", "en").split("{")[0])


def test_bad_mode_is_refused(db_con):
    with pytest.raises(ValueError, match="mode must be one of trend, manual"):
        outlook(db_con, mode="magic")


@pytest.mark.parametrize("lang", LANGS)
def test_csv_distinguishes_idc_fitted_bounds_and_manual(db_con, lang):
    trend = outlook_chart(db_con, values(), lang).data
    manual = outlook_chart(db_con, values(wl_mode="manual", wl_change=0.5, wl_confidence="95"), lang).data
    basis = t("workload.column.basis", lang)
    assert set(trend[basis]) == {
        t("workload.basis.idc", lang, kind=t("kind.forecast", lang)),
        t("workload.basis.extrapolated", lang),
    }
    for key in ("workload.column.idc_inference", "workload.column.idc_training", "workload.column.fitted"):
        assert t(key, lang) in trend.columns
    assert t("workload.column.lower", lang, confidence="90%") in trend.columns
    assert t("workload.column.upper", lang, confidence="95%") in manual.columns
    manual_column = t("workload.column.manual", lang, change="+0.5")
    assert manual_column not in trend.columns and manual_column in manual.columns
    # IDC's printed numbers pass through unchanged (2026: 62.2% inference, 37.8% training).
    row_2026 = trend[trend[t("chart.year", lang)] == 2026].iloc[0]
    assert (row_2026[t("workload.column.idc_inference", lang)], row_2026[t("workload.column.idc_training", lang)]) == (62.2, 37.8)
    assert manual[manual_column].iloc[-1] == pytest.approx(62.2 + 0.5 * 6)


def test_chart_marks_the_target_year_and_draws_the_band(db_con):
    spec = outlook_chart(db_con, values(wl_target=65.0), "en")
    names = [trace.name for trace in spec.figure.data]
    result = outlook(db_con, **outlook_args(values(wl_target=65.0)))
    assert t("workload.chart.reached", "en", target="65%", year=result.answer_year) in names
    band = next(trace for trace in spec.figure.data if trace.name == t("workload.series.interval", "en", confidence="90%"))
    assert band.fill == "tonexty"
    assert "7" in spec.figure.layout.title.subtitle.text  # the interval's basis, n = 7, is said on the chart
    assert spec.native is not None and spec.native.categories[-1] == "2032"


def test_phase_bands_follow_the_switch(db_con):
    plain = outlook_chart(db_con, values(phase_bands=False), "en").figure
    banded = outlook_chart(db_con, values(phase_bands=True), "en").figure
    assert plain.layout.shapes and all(s.type == "line" for s in plain.layout.shapes)  # only the target line
    ribbons = [s for s in banded.layout.shapes if s.type == "rect"]
    assert len(ribbons) == len(phases(db_con))
    assert all(s.y0 == RIBBON_BOTTOM_PERCENT for s in ribbons)  # above the stacked areas, not hidden behind them


def test_horizon_shortens_every_series(db_con):
    result = outlook(db_con, horizon=2028)
    fig = outlook_figure(result, source_line="IDC", lang="zh")
    assert result.table["year"].max() == 2028
    assert max(max(trace.x) for trace in fig.data) == 2028
