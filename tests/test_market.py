"""Forecast series, tables, charts and scenario comparison of the market pages, on the real datasets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import market, market_charts
from analysis.i18n import LANGS, t
from analysis.market import SERIES, forecast_table, series_view, settings
from analysis.scenario import all_params

SERIES_IDS = list(SERIES)
SLUGS = {"market": "ai-server-market", "shipments": "ai-server-shipments", "icc": "cn-intelligent-compute"}


def _figure_value(db_con, figure_id: str) -> float:
    return db_con.execute("SELECT value FROM figures WHERE figure_id = ?", [figure_id]).fetchone()[0]


def _figure_period(db_con, figure_id: str) -> str:
    return db_con.execute("SELECT period FROM figures WHERE figure_id = ?", [figure_id]).fetchone()[0]


def _build(db_con, series_id: str, scenario: dict, lang: str = "en"):
    return market_charts.CHARTS[SERIES_IDS.index(series_id)].build(db_con, scenario, lang)


# ---------------------------------------------------------------- the defaults are the report's


@pytest.mark.parametrize("series_id", SERIES_IDS)
def test_slider_defaults_are_the_figures_in_the_database(db_con, series_id):
    s = SERIES[series_id]
    params = all_params()
    assert params[s.param("cagr")].default == _figure_value(db_con, s.cagr_figure)
    assert params[s.param("base_value")].default == _figure_value(db_con, s.base_figure)
    assert str(params[s.param("base_year")].default) == _figure_period(db_con, s.base_figure)


@pytest.mark.parametrize("series_id", SERIES_IDS)
def test_parameters_are_prefixed_and_bounded(series_id):
    s = SERIES[series_id]
    params = all_params()
    for name in market.SETTING_NAMES:
        param = params[s.param(name)]
        assert param.name.startswith(f"{s.prefix}_")
        assert param.page_id == s.page_id
    assert (params[s.param("cagr")].min_value, params[s.param("cagr")].max_value) == (0, 80)
    assert params[s.param("horizon")].max_value == 2032


def test_settings_ignore_other_parameters_and_fill_defaults():
    chosen = settings("market", {"mkt_cagr": 30.0, "ship_cagr": 5.0, "phase_bands": True})
    assert chosen["cagr"] == 30.0
    assert chosen["base_value"] == all_params()["mkt_base_value"].default
    with pytest.raises(ValueError, match="unknown series 'nope'"):
        settings("nope")


# ---------------------------------------------------------------- series


@pytest.mark.parametrize("series_id", SERIES_IDS)
def test_at_the_defaults_the_scenario_is_the_baseline(db_con, series_id):
    view = series_view(db_con, series_id, {})
    pd.testing.assert_series_equal(view.scenario, view.baseline)


@pytest.mark.parametrize("series_id", SERIES_IDS)
def test_derived_series_passes_through_every_stated_and_derived_figure(db_con, series_id):
    view = series_view(db_con, series_id, {})
    for row in view.figures.itertuples():
        assert view.derived[row.year] == row.value, row.figure_id


def test_market_derived_line_starts_at_the_derived_2021_base(db_con):
    view = series_view(db_con, "market", {})
    assert view.derived.index.min() == 2021
    assert view.derived[2021] == _figure_value(db_con, "global_ai_server_market_2021_derived")
    # The baseline through 317.9 in 2025 at 19% gives the same base, to the stored two decimals.
    assert round(view.baseline[2021], 2) == _figure_value(db_con, "global_ai_server_market_2021_derived")


def test_shipments_baseline_ends_at_the_derived_2026_endpoint(db_con):
    view = series_view(db_con, "shipments", {})
    assert round(view.baseline[2026], 2) == _figure_value(db_con, "global_ai_server_shipments_2026_derived")
    # …while the printed 2023 figure lies above the 22% line (the report's numbers are not one constant rate).
    assert view.baseline[2023] < _figure_value(db_con, "global_ai_server_shipments_2023")


def test_a_higher_cagr_moves_the_scenario_but_not_the_baseline(db_con):
    base = series_view(db_con, "market", {})
    high = series_view(db_con, "market", {"mkt_cagr": 30.0})
    pd.testing.assert_series_equal(base.baseline, high.baseline)
    assert high.scenario[2030] > base.scenario[2030]
    assert high.scenario[2025] == base.scenario[2025]  # the pivot: the printed 2025 value
    assert high.scenario[2021] < base.scenario[2021]


def test_years_run_from_the_earliest_figure_or_base_year_to_the_horizon(db_con):
    view = series_view(db_con, "icc", {"icc_base_year": 2020, "icc_horizon": 2032})
    assert view.years == list(range(2020, 2033))
    later = series_view(db_con, "market", {"mkt_base_year": 2030, "mkt_horizon": 2026})
    assert later.years == list(range(2021, 2027))
    assert later.fan.empty  # the base year is after the horizon: nothing to simulate forwards


# ---------------------------------------------------------------- tables


def test_table_has_per_year_baseline_scenario_difference_and_percentiles(db_con):
    table = forecast_table(db_con, "market", {"mkt_cagr": 25.0}, "en")
    unit = "USD bn"
    expected = [
        t("chart.year", "en"),
        f"{t('market.line.baseline', 'en')} ({unit})",
        f"{t('market.line.scenario', 'en')} ({unit})",
        f"{t('market.column.difference', 'en')} ({unit})",
        t("market.column.difference_percent", "en"),
        f"{t('market.line.p10', 'en')} ({unit})",
        f"{t('market.line.p50', 'en')} ({unit})",
        f"{t('market.line.p90', 'en')} ({unit})",
        f"{t('market.line.report', 'en')} ({unit})",
        f"{t('market.line.derived', 'en')} ({unit})",
    ]
    assert list(table.columns) == expected
    row = table.set_index(expected[0]).loc[2030]
    baseline, scenario = row[expected[1]], row[expected[2]]
    # USD bn, from 317.9亿美元 (× 0.1): 31.79 × 1.19⁵ and 31.79 × 1.25⁵
    # Two decimals: the printed 31.79 carries two; more would claim a precision the source does not have.
    assert baseline == round(31.79 * 1.19**5, 2)
    assert scenario == round(31.79 * 1.25**5, 2)
    assert row[expected[3]] == pytest.approx(scenario - baseline, abs=1e-2)
    assert row[expected[4]] == pytest.approx((1.25 / 1.19) ** 5 * 100 - 100, abs=0.05)
    assert row[expected[5]] < row[expected[6]] < row[expected[7]]
    assert table.set_index(expected[0]).loc[2025, expected[8]] == 31.79


@pytest.mark.parametrize("lang", LANGS)
def test_table_at_the_defaults_shows_no_difference(db_con, lang):
    table = forecast_table(db_con, "shipments", {}, lang)
    assert (table.iloc[:, 3] == 0).all()
    assert (table.iloc[:, 4] == 0).all()


def test_spread_zero_gives_equal_percentiles_in_the_table(db_con):
    table = forecast_table(db_con, "icc", {"icc_spread": 0.0}, "zh")
    scenario, p10, p50, p90 = table.iloc[:, 2], table.iloc[:, 5], table.iloc[:, 6], table.iloc[:, 7]
    np.testing.assert_array_equal(p10, p90)
    np.testing.assert_array_equal(p50, scenario)


# ---------------------------------------------------------------- charts and their CSV


@pytest.mark.parametrize("series_id", SERIES_IDS)
def test_chart_lines_are_distinguishable_in_the_figure(db_con, series_id):
    spec = _build(db_con, series_id, {})
    traces = {tr.name: tr for tr in spec.figure.data}
    label = lambda code: market.series_label(code, series_id, "en")  # noqa: E731
    assert traces[label("derived")].line.dash == "dash"
    assert traces[label("scenario")].line.dash in (None, "solid")
    assert traces[label("baseline")].line.dash == "dot"
    assert traces[label("band")].fill == "tonexty"
    assert traces[label("report")].mode == "markers"
    assert len(set(traces)) == len(spec.figure.data), "every trace needs its own name"


@pytest.mark.parametrize("series_id", SERIES_IDS)
def test_chart_csv_names_the_line_of_every_row(db_con, series_id):
    spec = _build(db_con, series_id, {}, "zh")
    codes = spec.data[t("market.csv.line_code", "zh")]
    # The later-figures layer is on by default: one line per vintage, every row naming its later_id.
    assert set(codes) == {"report", "derived", "baseline", "scenario", "p10", "p50", "p90", "later"}
    own = spec.data[codes != "later"]
    names = own.groupby(t("market.csv.line_code", "zh"))[t("market.csv.line", "zh")].unique()
    assert all(len(n) == 1 for n in names) and len({n[0] for n in names}) == len(names)
    report_rows = spec.data[codes == "report"]
    assert (report_rows[t("market.csv.figure_id", "zh")] != "").all()
    assert (spec.data[codes == "later"][t("market.csv.figure_id", "zh")] != "").all()
    off = _build(db_con, series_id, {"later_layer": False}, "zh").data
    assert "later" not in set(off[t("market.csv.line_code", "zh")])


def test_supplementary_series_is_marked_in_title_subtitle_legend_and_source(db_con):
    spec = _build(db_con, "icc", {}, "en")
    assert "supplementary" in spec.title.lower()
    assert spec.figure.layout.title.subtitle.text == t("market.supplementary_badge", "en")
    assert market.series_label("report", "icc", "en") in {tr.name for tr in spec.figure.data}
    assert "supplementary" in spec.source_line
    market_spec = _build(db_con, "market", {}, "en")
    assert "supplementary" not in market_spec.title.lower()


def test_phase_bands_follow_the_switch(db_con):
    off = _build(db_con, "market", {"phase_bands": False})
    on = _build(db_con, "market", {"phase_bands": True})
    assert len(off.figure.layout.shapes) == 0
    assert len(on.figure.layout.shapes) == 3  # 基建期, 开发期, 商业期 within 2021–2030


def test_takeaway_is_computed_from_the_scenario(db_con):
    default = _build(db_con, "market", {})
    high = _build(db_con, "market", {"mkt_cagr": 40.0})
    assert default.takeaway != high.takeaway
    assert "+0.0%" in default.takeaway
    no_fan = _build(db_con, "market", {"mkt_spread": 0.0})
    assert t("market.takeaway_fan", "en", p10="", p90="").split()[0] not in no_fan.takeaway


def test_native_chart_holds_every_line_per_year(db_con):
    spec = _build(db_con, "shipments", {"ship_horizon": 2032})
    assert spec.native.categories == tuple(str(y) for y in range(2022, 2033))
    names = [s.name for s in spec.native.series]
    assert names[:4] == [market.series_label(c, "shipments", "en") for c in ("report", "derived", "baseline", "scenario")]
    report = spec.native.series[0].values
    assert report[1] == pytest.approx(1.2) and report[0] is None  # 接近120万台 = 1.2 million units in 2023


# ---------------------------------------------------------------- saved scenarios side by side


def test_comparison_overlays_one_line_per_scenario(db_con):
    scenarios = {"baseline": {}, "High": {"mkt_cagr": 30.0, "mkt_horizon": 2032}}
    spec = market_charts.compare_chart(db_con, "market", scenarios, "en")
    names = [tr.name for tr in spec.figure.data]
    assert names[:2] == [t("scenario.baseline", "en"), "High"]
    assert "High" in spec.takeaway
    table = market_charts.compare_table(db_con, "market", scenarios, "en")
    assert list(table.columns) == [t("market.compare.row", "en"), t("scenario.baseline", "en"), "High"]
    rows = table.set_index(t("market.compare.row", "en"))
    assert rows.loc[t("market.param.mkt_cagr", "en"), "High"] == "30%"
    assert rows.loc[t("market.compare.year_row", "en", year=2032, unit="USD bn"), t("scenario.baseline", "en")] == "—"


def test_comparison_refuses_no_or_too_many_scenarios(db_con):
    with pytest.raises(ValueError, match="at least one"):
        market_charts.compare_chart(db_con, "market", {}, "en")
    many = {f"s{i}": {} for i in range(market_charts.MAX_COMPARED + 1)}
    with pytest.raises(ValueError, match="at most"):
        market_charts.compare_chart(db_con, "market", many, "en")


@pytest.mark.parametrize("series_id", SERIES_IDS)
@pytest.mark.parametrize("lang", LANGS)
def test_series_note_is_filled_from_the_database(db_con, series_id, lang):
    note = market.series_note(db_con, series_id, lang)
    assert "{" not in note and "⟦" not in note
    # Figure ids are internals: the note names the figures by their values, not their ids.
    ids = market.NOTE_FIGURES[series_id]
    assert not [fid for fid in ids.values() if fid in note]


@pytest.mark.parametrize("lang", LANGS)
def test_spread_help_states_the_number_of_simulated_paths(lang):
    from analysis.forecast import MC_PATHS

    assert f"{MC_PATHS:,}" in t("market.help.spread", lang)


# ---------------------------------------------------------------- imported actuals beside the report's figures


@pytest.fixture
def imported_store(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path / "userdata"


def _trace_names(spec) -> list[str]:
    return [trace.name for trace in spec.figure.data]


def test_imported_actuals_appear_in_the_chart_and_csv_and_can_be_hidden(db_con, imported_store):
    from import_rows import apply, csv_bytes, row

    from analysis import scenario as sc
    from analysis.chartspec import chart_def
    from analysis.i18n import t

    # 1,250,000 units given in a different unit than the series (万台): converted through the units table.
    apply(db_con, csv_bytes([row(figure_id="test_shipments_2024_actual", period="2024", value="125", unit="units_10k")]))
    build = chart_def("ai-server-shipments").build
    imported = t("market.line.imported", "en")

    both = build(db_con, sc.defaults(), "en")
    assert imported in _trace_names(both)
    trace = next(tr for tr in both.figure.data if tr.name == imported)
    # 125 万台 is 1.25 million units; English charts print million units (en_scale 0.01).
    assert list(trace.x) == [2024] and list(trace.y) == pytest.approx([1.25])
    assert "imported" in set(both.data.iloc[:, 2])

    report_only = build(db_con, {**sc.defaults(), "imports_layer": "report"}, "en")
    assert imported not in _trace_names(report_only)
    imported_only = build(db_con, {**sc.defaults(), "imports_layer": "imported"}, "en")
    report_trace = next(tr for tr in imported_only.figure.data if tr.name == t("market.line.report", "en"))
    assert len(report_trace.x) == 0 and imported in _trace_names(imported_only)


@pytest.mark.parametrize("lang", LANGS)
def test_footnote_gives_the_base_value_in_the_charts_unit(db_con, lang):
    spec = _build(db_con, "shipments", {"ship_base_value": 100.0}, lang)
    label = t("market.param.ship_base_value_shown", lang)
    # 100 万台 is 1 million units: English charts print million units, Chinese ones 万台.
    assert spec.assumptions[label] == {"en": "1", "zh": "100"}[lang]
    assert t("market.param.ship_base_value", "en") not in spec.assumptions


def test_the_shown_table_aligns_each_column_and_dashes_missing_years(db_con):
    from analysis.tables import NO_VALUE, aligned_table

    table = pd.DataFrame({"year": [2022, 2023, 2024], "a": [835.0, 6842.12, None], "b": ["x", "y", "z"]})
    aligned = aligned_table(table)
    assert aligned.numeric_columns == ("a",)
    assert list(aligned.shown["a"]) == ["835.00", "6,842.12", NO_VALUE]
    assert list(aligned.shown["b"]) == ["x", "y", "z"]
    # What the market page shows is the forecast table, formatted once where it is cached.
    shown = market.forecast_table_aligned(db_con, "market", None, "en")
    raw = forecast_table(db_con, "market", None, "en")
    assert list(shown.shown.columns) == list(raw.columns)
    assert set(shown.numeric_columns) <= set(raw.columns[1:]) and len(shown.numeric_columns) >= 5
    assert (shown.shown.map(lambda v: v is None or v != v)).sum().sum() == 0, "no None or NaN is shown"


@pytest.mark.parametrize("lang", LANGS)
def test_a_year_tables_figure_columns_are_as_wide_as_their_figures_not_their_headers(db_con, lang):
    """At 390 px the market's year table was 2,158 px wide: each column as wide as its header ("Monte Carlo 50th
    percentile (median) (USD bn)"), a phone showed one figure at a time. Now a column holds its longest
    figure whole, and the year and two figure columns fit a phone's 358 px table."""
    from analysis.tables import FIGURE_CHAR_PX, HEADER_SHOWN_PX, figure_column_width_px

    shown = market.forecast_table_aligned(db_con, "market", None, lang)
    widths = [figure_column_width_px(shown, c) for c in shown.numeric_columns]
    for column, width in zip(shown.numeric_columns, widths, strict=True):
        assert width >= max(len(v) for v in shown.shown[column]) * FIGURE_CHAR_PX, column  # figures whole
        assert width <= HEADER_SHOWN_PX, (column, width)
    assert 60 + widths[0] + widths[1] <= 358


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("series_id", list(market.SERIES))
def test_a_year_tables_short_labels_show_whole_and_its_unit_is_said_once(db_con, series_id, lang):
    """Headers cut at the column's width lost their unit ("Baseline (the source's"): each column is shown under a
    short label that fits its width whole, and the unit the labels leave out is the table's own."""
    from analysis.charts import display_width
    from analysis.tables import FIGURE_CELL_PAD_PX, FIGURE_CHAR_PX, figure_column_width_px

    shown = market.forecast_table_aligned(db_con, series_id, None, lang)
    assert set(shown.labels) == set(shown.shown.columns)
    assert shown.unit and all(shown.unit in column for column in shown.numeric_columns if "%" not in column)
    for column in shown.numeric_columns:
        label = shown.labels[column]
        assert shown.unit not in label and display_width(label) < display_width(column), column
        text_px = display_width(label) * FIGURE_CHAR_PX + FIGURE_CELL_PAD_PX
        assert text_px <= figure_column_width_px(shown, column), (label, text_px)
    assert len(set(shown.labels.values())) == len(shown.labels)  # no two columns read alike


@pytest.mark.parametrize("lang", LANGS)
def test_series_note_rounds_the_derived_figures_it_quotes(db_con, lang):
    """The derived figures (our arithmetic) read as every computed value does: three significant figures,
    a rate to one decimal; the stored 0.8671 million, 1.9209 million and 16.98% no longer show."""
    note = market.series_note(db_con, "shipments", lang)
    for long in ("0.8671", "86.71", "1.9209", "192.09", "16.98"):
        assert long not in note, note
    assert "38.4%" in note  # a printed figure keeps its digits
