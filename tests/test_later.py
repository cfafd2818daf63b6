"""Later figures: the dataset's rules, the build's checks, vintages on the forecast charts, the implied CAGR,
and the report card, including the definitional break that must not be scored."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest
from conftest import DATASETS_DIR, find_problem, problems_of, set_cell
from numpy.testing import assert_allclose

from analysis import later, later_view, market, market_charts, scorecard
from analysis.build import BuildError, build
from analysis.i18n import LANGS, t
from analysis.schema import UNKNOWN_DATE, later_kind_by_rule

LATER = "later_figures.csv"
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def later_rows() -> list[dict[str, str]]:
    with (DATASETS_DIR / LATER).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------- the dataset's rules


def test_every_later_row_has_its_page_date_and_a_quote_that_prints_the_number():
    rows = later_rows()
    assert len(rows) >= 20
    for row in rows:
        where = row["later_id"]
        assert row["url"].startswith(("https://", "http://")), where
        for column in ("published_on", "edition"):
            assert DATE.match(row[column]) or row[column] == UNKNOWN_DATE, where
        assert row["quote"].strip(), where
        assert row["printed"] in row["quote"], f"{where}: {row['printed']!r} is not in the quote"
        assert float(row["printed"].replace(",", "")) == float(row["value"]), where
        assert row["origin"] == "supplementary", where
        assert row["kind"] in ("reported", "estimate", "forecast"), f"{where}: derived values are never a publisher's figure"


def test_caveats_are_kept_in_the_note():
    rows = {r["later_id"]: r for r in later_rows()}
    assert rows["idc_market_2025_2025ed"]["comparability"] == "definitional_break"
    assert "Definitional break" in rows["idc_market_2025_2025ed"]["note"]
    assert rows["tf_shipments_2023_actual"]["secondary"] == "true" and "Secondary" in rows["tf_shipments_2023_actual"]["note"]
    for row in rows.values():
        if row["secondary"] == "true":
            assert "Secondary" in row["note"], row["later_id"]


@pytest.mark.parametrize("column", ["url", "published_on", "quote"])
def test_build_rejects_a_later_row_without_its_url_date_or_quote(datasets_copy, tmp_path, column):
    line = set_cell(datasets_copy / LATER, "later_id", "idci_icc_2024_2025ed", column, "")
    with pytest.raises(BuildError) as excinfo:
        build(datasets_copy, tmp_path / "atlas.duckdb")
    find_problem(problems_of(excinfo), LATER, line, column, "required")


@pytest.mark.parametrize(
    "column, value, reason",
    [
        ("quote", "中国智能算力规模达到新高", "does not contain the printed number"),
        ("value", "752.3", "is not the stored value"),
        ("published_on", "14/02/2025", "not a date"),
        ("url", "cbinews.com/IDC/jvbsi3", "not an http(s) address"),
        ("kind", "derived", "unknown value"),
        ("origin", "report", "unknown value"),
        ("unit", "USD_bn", "does not measure"),
    ],
)
def test_build_rejects_a_later_row_that_breaks_a_rule(datasets_copy, tmp_path, column, value, reason):
    line = set_cell(datasets_copy / LATER, "later_id", "idci_icc_2024_2025ed", column, value)
    with pytest.raises(BuildError) as excinfo:
        build(datasets_copy, tmp_path / "atlas.duckdb")
    problem_column = "printed" if column == "value" else column
    find_problem(problems_of(excinfo), LATER, line, problem_column, reason)


# ---------------------------------------------------------------- kinds and dates by the project's rule


@pytest.mark.parametrize(
    "period, date, kind",
    [("2026", "2026-01-30", "estimate"), ("2026", "2025-11", "forecast"), ("2024", "2025-02-12", "reported"),
     ("2023", UNKNOWN_DATE, None), ("2025-06", "2025-08", None)],
)  # fmt: skip
def test_the_kind_rule(period, date, kind):
    assert later_kind_by_rule(period, date) == kind


def test_every_later_row_follows_the_kind_rule():
    for row in later_rows():
        released = row["edition"] if row["edition"] != UNKNOWN_DATE else row["published_on"]
        expected = later_kind_by_rule(row["period"], released)
        assert expected in (None, row["kind"]), f"{row['later_id']}: {row['kind']} published {released}"


@pytest.mark.parametrize(
    "later_id, kind",
    [("tf_shipments_2024_jul24", "forecast"), ("tf_shipments_2026_jan26", "forecast"), ("idci_icc_2024_2025ed", "estimate")],
)
def test_build_rejects_a_kind_against_the_rule(datasets_copy, tmp_path, later_id, kind):
    line = set_cell(datasets_copy / LATER, "later_id", later_id, "kind", kind)
    with pytest.raises(BuildError) as excinfo:
        build(datasets_copy, tmp_path / "atlas.duckdb")
    find_problem(problems_of(excinfo), LATER, line, "kind", "breaks the kind rule")


def test_an_unknown_date_is_recorded_as_unknown_and_shown_as_not_stated(db_con):
    rows = {r["later_id"]: r for r in later_rows()}
    # The besthub.dev page shows no date: nothing is inferred from its content.
    assert rows["tf_shipments_2023_actual"]["published_on"] == UNKNOWN_DATE == rows["tf_shipments_2023_actual"]["edition"]
    for lang in LANGS:
        table = later_view.sources_table(db_con, "shipments", lang)
        first = table[table[t("later.sources.col.year", lang)] == "2023"].iloc[0]
        assert first[t("later.sources.col.published_on", lang)] == t("later.date_unknown", lang)
        card = scorecard.report_card_display(db_con, scorecard.report_card(db_con), lang)
        assert "2024" not in set(card[t("card.col.published_on", lang)]) - {"2024-07-17"}
        assert t("later.date_unknown", lang) in set(card[t("card.col.published_on", lang)])


def test_an_edition_is_the_publishers_and_secondary_means_not_its_own_release():
    rows = {r["later_id"]: r for r in later_rows()}
    for later_id in ("idc_market_2021_askci", "idc_market_2022_askci", "idc_market_2023_askci"):
        assert rows[later_id]["edition"] == UNKNOWN_DATE  # 2023-06-21 is 中商产业研究院's page date, not an IDC edition
    own_release_hosts = ("trendforce.com", "iconnect007.com")  # TrendForce's press centre and the wire reposting it unchanged
    for row in rows.values():
        if row["secondary"] == "false":
            assert row["url"].split("/")[2].removeprefix("www.") in own_release_hosts, row["later_id"]


# ---------------------------------------------------------------- vintages on the chart


def test_each_later_edition_is_its_own_line_with_publisher_and_edition(db_con):
    view = market.series_view(db_con, "icc", {})
    labels = {v.edition: v.label("en") for v in view.vintages}
    assert labels == {"2023-11-29": "IDC; Inspur Information · 2023-11-29", "2025-02": "IDC; Inspur Information · 2025-02"}
    spec = market_charts.forecast_chart("icc", "cn-intelligent-compute")(db_con, {}, "en")
    traces = {trace.name: trace for trace in spec.figure.data}
    newest = traces[t("later.legend.vintage", "en", vintage="IDC; Inspur Information · 2025-02")]
    assert list(newest.x) == [2023, 2024, 2025, 2026, 2028]
    # IDC & Inspur 2025 edition: 1460.3 EFLOPS for 2026, against 1271.4 in the 2022–2023 edition (the report's figure).
    assert dict(zip(newest.x, newest.y, strict=True))[2026] == 1460.3
    stars = traces[t("later.legend.actuals", "en")]
    assert sorted(stars.x) == [2022, 2023, 2024]
    assert "IDC; Inspur Information" in spec.source_line


def test_the_layer_switches_off(db_con):
    spec = market_charts.forecast_chart("icc", "cn-intelligent-compute")(db_con, {later.LAYER_PARAM: False}, "en")
    names = [trace.name for trace in spec.figure.data]
    assert not any(name.startswith("Later") for name in names)
    assert "Later figures" not in spec.source_line


def test_later_values_are_converted_to_the_series_unit(db_con):
    rows = market.series_later(db_con, "shipments")
    by_id = rows.set_index("later_id")["value_series"]
    # TrendForce: 1.208 million units = 120.8 万台 (the report's unit).
    assert_allclose(by_id["tf_shipments_2023_actual"], 120.8, rtol=1e-12)
    market_rows = market.series_later(db_con, "market").set_index("later_id")["value_series"]
    assert_allclose(market_rows["idc_market_2025_2025ed"], 1587.0, rtol=1e-12)  # USD 158.7 bn = 1587 亿美元


def test_a_definitional_break_is_labelled_on_the_chart(db_con):
    spec = market_charts.forecast_chart("market", "ai-server-market")(db_con, {}, "en")
    names = [trace.name for trace in spec.figure.data]
    assert f"Later: IDC · 2025-02 ({t('later.comparability.definitional_break', 'en')})" in names


# ---------------------------------------------------------------- implied growth


def test_implied_cagr_carries_the_base_to_the_newest_comparable_later_figure(db_con):
    growth = market.implied_growth(db_con, "shipments")
    # Base: 86.71 万台 in 2022 (derived from 接近120万台 and +38.4%); end: TrendForce's "more than 2.7 million" for
    # 2026 (January 2026), a lower bound, so the rate is "at least". The May 2026 edition re-based the series.
    assert growth.end_row["later_id"] == "tf_shipments_2026_jan26" and growth.is_lower_bound
    assert_allclose(growth.cagr_percent, ((270 / 86.71) ** (1 / 4) - 1) * 100, rtol=1e-9)
    moved = market.implied_growth(db_con, "icc", {"icc_base_year": 2022, "icc_base_value": 268.0})
    assert_allclose(moved.cagr_percent, ((1460.3 / 268.0) ** (1 / 4) - 1) * 100, rtol=1e-9)


def test_a_rebased_edition_is_flagged_skipped_and_its_weight_shown(db_con):
    rows = {r["later_id"]: r for r in later_rows()}
    for later_id in ("tf_shipments_2026_may26", "tf_shipments_yoy_2026_may26"):
        assert rows[later_id]["comparability"] == "rebased"
        assert "3.7 ÷ 1.513 ≈ 2.45" in rows[later_id]["note"] and "1.208 × 1.46 × 1.243 ≈ 2.19" in rows[later_id]["note"]
    # The arithmetic in the note is true: 3.7 / 1.513 and TrendForce's own growth rates.
    assert round(3.7 / 1.513, 2) == 2.45 and round(1.208 * 1.46 * 1.243, 2) == 2.19
    card = scorecard.report_card(db_con)
    rebased = card_row(card, "tf_shipments_2026_may26")
    assert not rebased["scored"] and rebased["unscored_reason"] == "rebased" and pd.isna(rebased["error_percent"])
    growth = market.implied_growth(db_con, "shipments")
    assert growth.rebased_row["later_id"] == "tf_shipments_2026_may26"
    assert_allclose(growth.rebased_cagr_percent, ((370 / 86.71) ** (1 / 4) - 1) * 100, rtol=1e-9)
    for lang in LANGS:
        caption = later_view.implied_caption(growth, lang)
        assert "32.8" in caption and "43.7" in caption
        verdict = scorecard.verdicts(db_con, card, lang)["shipments"]
        part_2026 = verdict.split(t("card.join", lang))[3]
        assert part_2026.startswith("2026") and "41%" in part_2026  # scored on "more than 2.7 million"
        assert "93%" in part_2026 and "2026-05-12" in part_2026  # and how it would read on the re-based edition


def test_later_editions_missing_from_the_research_are_added_with_their_page():
    rows = {r["later_id"]: r for r in later_rows()}
    jan = rows["tf_shipments_yoy_2026_jan20"]
    assert (jan["edition"], jan["qualifier"], jan["url"]) == ("2026-01-20", "more_than", "https://news.cnyes.com/news/id/6316356")
    apr = rows["tf_shipments_yoy_2026_apr26"]
    assert (apr["edition"], apr["qualifier"], apr["kind"]) == ("2026-04-15", "approx", "estimate")


def test_no_implied_cagr_across_a_definitional_break(db_con):
    growth = market.implied_growth(db_con, "market")
    assert growth.cagr_percent is None and growth.reason == "definitional_break"


# ---------------------------------------------------------------- the report card


def card_row(card, later_id):
    rows = card[card["later_id"] == later_id]
    assert len(rows) == 1, later_id
    return rows.iloc[0]


def test_report_card_scores_a_forecast_against_a_later_actual(db_con):
    card = scorecard.report_card(db_con)
    row = card_row(card, "tf_shipments_2023_actual")
    # The report: 接近120万台 for 2023 (TrendForce); later: 1.208 million units (TrendForce, secondary).
    assert row["basis"] == "forecast" and row["report_figure_id"] == "global_ai_server_shipments_2023"
    assert_allclose(row["error"], 0.8, rtol=1e-9)
    assert_allclose(row["error_percent"], 0.8 / 120 * 100, rtol=1e-9)
    growth = card_row(card, "tf_shipments_yoy_2023_actual")
    assert_allclose(growth["error"], 37.7 - 38.4, rtol=1e-9)  # percentage points
    assert pd.isna(growth["error_percent"])


def test_report_card_scores_a_later_forecast_of_the_same_year(db_con):
    row = card_row(scorecard.report_card(db_con), "idci_icc_2026_2025ed")
    assert row["basis"] == "forecast" and row["later_kind"] == "forecast" and row["report_value"] == 1271.4
    assert_allclose(row["error_percent"], (1460.3 / 1271.4 - 1) * 100, rtol=1e-9)


def test_report_card_sets_years_without_a_forecast_against_the_report_path(db_con):
    row = card_row(scorecard.report_card(db_con), "idci_icc_2024_2025ed")
    # IDC & Inspur's path for 2024: geometric between its 268.0 (2022) and 1271.4 (2026) EFLOPS, halfway.
    assert row["basis"] == "path" and row["report_origin"] == "supplementary"
    assert_allclose(row["report_value"], 268.0 * (1271.4 / 268.0) ** 0.5, rtol=1e-9)
    assert_allclose(row["error_percent"], (725.3 / (268.0 * (1271.4 / 268.0) ** 0.5) - 1) * 100, rtol=1e-9)


@pytest.mark.parametrize("series_id", ["shipments", "market", "icc"])
def test_the_card_and_the_pages_dashed_line_read_one_report_path(db_con, series_id):
    """The same question gets one answer: the card's reference for a path year is the page's dashed line."""
    view = market.series_view(db_con, series_id, {})
    card = scorecard.report_card(db_con)
    level = card[(card["group"] == series_id) & (card["metric"] == market.SERIES[series_id].metric)]
    on_path = level[level["basis"] == "path"]
    assert not on_path.empty
    for row in on_path.itertuples():
        assert_allclose(row.report_value, view.derived[row.year], rtol=1e-12)
    later_spec = later_view.later_chart(series_id, "x")(db_con, {}, "en")
    path_trace = later_spec.figure.data[0]
    drawn = dict(zip(path_trace.x, path_trace.y, strict=True))
    scale = market.display_scale(view.unit, "en")
    for year, value in view.derived.items():
        assert_allclose(drawn[year], value * scale, rtol=1e-3)


def test_the_report_path_passes_through_the_printed_figures(db_con):
    # Shipments: 接近120万台 printed for 2023 (not 86.71 × 1.22 = 105.8 from the derived base); the 2024 value is
    # on the way from 120 to the 2026 end of the 22% CAGR (86.71 × 1.22⁴ = 192.09), not 86.71 × 1.22².
    path = market.report_path(db_con, "shipments")
    assert path.values[2023] == 120.0 and path.basis(2023) == "printed"
    assert_allclose(path.values[2024], 120 * (192.09 / 120) ** (1 / 3), rtol=1e-9)
    assert path.basis(2024) == "derived" and path.start_anchor(2024)["figure_id"] == "global_ai_server_shipments_2023"
    # Intelligent compute: through IDC's 268.0 for 2022 (the path no longer ignores it).
    assert market.report_path(db_con, "icc").values[2022] == 268.0


def test_no_figure_of_another_origin_is_labelled_the_reports(db_con):
    """IDC & Inspur's 268.0 and 1,271.4 EFLOPS (and the path through them) are the publisher's, never "the report's"."""
    card = scorecard.report_card(db_con)
    icc = card[card["group"] == "icc"]
    assert set(icc["report_origin"]) == {"supplementary"}
    for lang in LANGS:
        shown = scorecard.report_card_display(db_con, card, lang)
        report_words = [t("card.basis.forecast", lang), t("card.target.forecast", lang), t("card.target.path", lang)]
        report_words.append("report" if lang == "en" else "报告")
        for text in shown.loc[(card["group"] == "icc").to_numpy(), t("card.col.report", lang)]:
            assert "IDC" in text
            assert not any(word in text for word in report_words), text
        verdict = scorecard.verdicts(db_con, card, lang)["icc"]
        assert t("card.target.forecast", lang) not in verdict and t("card.target.path", lang) not in verdict
        path_name = later_view.later_chart("icc", "x")(db_con, {}, lang).figure.data[0].name
        assert path_name != t("later.line.path", lang) and "IDC" in path_name


# ---------------------------------------------------------------- like-for-like scores


def test_no_score_past_a_series_horizon(db_con):
    card = scorecard.report_card(db_con)
    for group, series in market.SERIES.items():
        rows = card[card["group"] == group]
        past = rows[rows["year"] > series.cagr_window_end]
        assert not past.empty or group == "shipments", group  # market 2026/2028, icc 2027/2028 exist
        assert (past["basis"] == "extended").all() and not past["scored"].any()
        assert past["error"].isna().all() and past["error_percent"].isna().all()
        assert (past["unscored_reason"] == "past_horizon").all()
    for lang in LANGS:
        verdicts = scorecard.verdicts(db_con, card, lang)
        assert t("card.verdict_past_horizon", lang, years="2027–2028", horizon=2026) in verdicts["icc"]
        assert "−42" not in verdicts["icc"] and "42%" not in verdicts["icc"]


@pytest.mark.parametrize(
    "relative, bound, expected",
    [
        (40.6, "lower", "at_least_above"),
        (0.7, "lower", "met_or_above"),
        (-20.0, "lower", "within_bound"),
        (-20.0, "upper", "at_most_below"),
        (3.0, "upper", "met_or_below"),
        (20.0, "upper", "within_bound"),
        (20.0, None, "above"),
        (-4.0, None, "met"),
    ],
)
def test_a_bound_is_judged_as_a_bound(relative, bound, expected):
    assert scorecard.judge(relative, bound) == expected


def test_a_lower_bound_is_scored_as_at_least(db_con):
    card = scorecard.report_card(db_con)
    row = card_row(card, "tf_shipments_2026_jan26")  # "more than 2.7 million" against the path's 192.09 万台
    assert row["bound"] == "lower" and row["judgement"] == "at_least_above"
    assert_allclose(row["error_percent"], (270 / 192.09 - 1) * 100, rtol=1e-6)
    first = card_row(card, "tf_shipments_2023_actual")  # "exceeded 1.208 million" against 接近120万台
    assert first["bound"] == "lower" and first["judgement"] == "met_or_above"
    for lang in LANGS:
        shown = scorecard.report_card_display(db_con, card, lang).set_index(t("card.col.quote", lang))
        assert shown.loc[row["quote"], t("card.col.error_percent", lang)] == "≥ +40.6%"
        assert shown.loc[first["quote"], t("card.col.error_percent", lang)] == "≥ +0.7%"
        verdict = scorecard.verdicts(db_con, card, lang)["shipments"]
        assert t("card.judge.met_or_above", lang, target=t("card.target.forecast", lang)) in verdict
    bars = later_view.card_chart(db_con, {}, "en").figure.data[0]
    assert "≥ +40.6%" in list(bars.text)


def test_a_full_year_figure_beats_an_in_year_estimate_and_the_card_says_which(db_con):
    # 2024: TrendForce's full-year +46% (published 2025-02-12) beats its July 2024 estimate of 1.67 million.
    card = scorecard.report_card(db_con)
    full_year = card_row(card, "tf_shipments_yoy_2024_actual")
    assert full_year["basis"] == "path"
    assert_allclose(full_year["report_value"], ((192.09 / 120) ** (1 / 3) - 1) * 100, rtol=1e-9)
    for lang in LANGS:
        verdict = scorecard.verdicts(db_con, card, lang)["shipments"]
        part = verdict.split(t("card.join", lang))[1]
        assert part.startswith("2024") and "46%" in part and t("later.kind.reported", lang) in part
        assert "1.67" not in part and "167" not in part


def test_a_definitional_break_is_said_and_not_scored(db_con):
    card = scorecard.report_card(db_con)
    row = card_row(card, "idc_market_2025_2025ed")
    assert row["basis"] == "forecast" and row["comparability"] == "definitional_break"
    assert pd.isna(row["error"]) and pd.isna(row["error_percent"])
    for lang in LANGS:
        shown = scorecard.report_card_display(db_con, card, lang)
        cells = shown[shown[t("card.col.quote", lang)] == row["quote"]].iloc[0]
        assert cells[t("card.col.error", lang)] == t("later.comparability.definitional_break", lang)
        assert cells[t("card.col.error_percent", lang)] == "—"
        verdict = scorecard.verdicts(db_con, card, lang)["market"]
        assert t("card.verdict_break", lang, year=2025) in verdict
        assert "1587" not in verdict and "158.7" not in verdict


def test_verdicts_read_as_one_line_per_series(db_con):
    card = scorecard.report_card(db_con)
    verdicts = scorecard.verdicts(db_con, card, "en")
    assert set(verdicts) == {"shipments", "market", "icc"}
    assert verdicts["shipments"].startswith(
        "TrendForce's AI server shipments: 2023 in line with or above the report's forecast "
        "(actual over 1.208 million units against nearly 1.2 million units)"
    )
    assert "2024 29.0 pp above the report's derived path (actual: growth of 46% against 17%)" in verdicts["shipments"]
    zh = scorecard.verdicts(db_con, card, "zh")
    assert zh["icc"].startswith("IDC与浪潮中国智能算力：2022年与IDC；浪潮信息预测（补充资料）基本一致")
    for text in [*verdicts.values(), *zh.values()]:
        assert "⟦" not in text


def test_every_card_row_carries_its_source(db_con):
    for lang in LANGS:
        view = scorecard.report_card_display(db_con, scorecard.report_card(db_con), lang)
        assert len(view) > 10
        assert view[t("card.col.url", lang)].str.startswith("http").all()
        assert (view[t("card.col.quote", lang)] != "").all()
        assert (view[t("card.col.published_on", lang)] != "").all()


# ---------------------------------------------------------------- briefing


def test_report_card_and_later_charts_are_briefing_charts(db_con):
    from analysis.briefing import select_charts

    slugs = {c.slug for c in select_charts()}
    assert {"report-card", "later-ai-server-market", "later-ai-server-shipments", "later-cn-intelligent-compute"} <= slugs
    for lang in LANGS:
        spec = later_view.card_chart(db_con, {}, lang)
        assert spec.native is not None and spec.native.kind == "bar"
        assert len(spec.native.categories) == len(spec.native.series[0].values) > 5
        assert "IDC" in spec.source_line and spec.takeaway
        chart = later_view.later_chart("icc", "later-cn-intelligent-compute")(db_con, {}, lang)
        assert chart.native is not None and len(chart.native.series) >= 4  # report, path, two editions


def test_briefing_pack_holds_the_report_card_as_a_native_chart_with_sources(db_con):
    import io
    import zipfile

    from pptx import Presentation

    from analysis.briefing import build_pack

    pack = build_pack(db_con, {}, "en", slugs=["report-card", "later-cn-intelligent-compute"], images_mode="never")
    assert pack.native_charts == 2 and not pack.left_out
    text = []
    for slide in Presentation(io.BytesIO(pack.pptx)).slides:
        text += [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
    joined = "\n".join(text)
    assert t("card.chart.title", "en") in joined
    assert "CAICT" in joined or "IDC" in joined  # the later figures' publishers in the footnote
    names = zipfile.ZipFile(io.BytesIO(pack.zip)).namelist()
    assert any("report-card" in name for name in names)


def test_sources_table_lists_every_later_figure_of_the_series_with_its_page(db_con):
    for lang in LANGS:
        table = later_view.sources_table(db_con, "icc", lang)
        expected = [r for r in later_rows() if r["metric"] == "intelligent_compute_capacity" and r["entity"] == "CN"]
        assert len(table) == len(expected)
        assert set(table[t("later.sources.col.url", lang)]) == {r["url"] for r in expected}
        assert "2025-06" in set(table[t("later.sources.col.year", lang)])  # MIIT's half-year count, listed though not drawn


# ---------------------------------------------------------------- source lines name what is drawn


def test_via_qbitai_only_for_figures_taken_from_the_report(db_con):
    from analysis import data, market_charts

    for lang in LANGS:
        via = t("chart.source_via", lang)
        # IDC & Inspur's intelligent compute is supplementary: not "via QbitAI", and marked so in both languages.
        icc = market_charts.forecast_chart("icc", "x")(db_con, {later.LAYER_PARAM: False}, lang).source_line
        assert via not in icc and t("chart.source_supplementary", lang) in icc
        shipments = market_charts.forecast_chart("shipments", "x")(db_con, {later.LAYER_PARAM: False}, lang).source_line
        assert shipments.count(via) == 1
        # The report card draws the report's figures, IDC & Inspur's and the later figures: each publisher once.
        card = later_view.card_chart(db_con, {}, lang).source_line
        assert card.count(via) == 1 and t("chart.source_supplementary", lang) in card
        assert card.count("「") == 2  # TrendForce's and IDC's sections of the report, once each
        both = data.source_line(db_con, ["idc_ai_server_market", "supp_idc_inspur_2022"], lang)
        assert both.index(via) < both.index(t("chart.source_supplementary", lang))  # "via" belongs to the report's part


# ---------------------------------------------------------------- the page agrees with itself


def test_waiting_for_an_actual_lists_only_forecasts_without_a_scored_actual(db_con):
    waiting = set(scorecard.awaiting_actuals(db_con)["figure_id"])
    # Scored above against later actuals: 2023 shipments (1.208 million), 2023 growth (+37.7%), and IDC & Inspur's
    # 2022 intelligent compute (259.9 EFLOPS).
    scored = {"global_ai_server_shipments_2023", "global_ai_server_shipments_yoy_2023", "cn_intelligent_compute_2022"}
    assert scored == scorecard.scored_by_later_actuals(db_con)
    assert not scored & waiting
    # Still waiting: the 2025 market (IDC's later figures are on another definition) and 2026 intelligent compute
    # (only a later forecast so far).
    assert {"global_ai_server_market_2025", "cn_intelligent_compute_2026"} <= waiting


def test_the_card_writes_numbers_as_numbers(db_con):
    """CSV cells carried a leading apostrophe ('+0.7%): the formula guard is for text, numbers are numbers."""
    from analysis.api import csv_bytes

    for lang in LANGS:
        spec = later_view.card_chart(db_con, {}, lang)
        percent = spec.data[t("card.col.error_percent", lang)]
        assert pd.api.types.is_numeric_dtype(percent)
        text = csv_bytes(spec.data).decode("utf-8-sig")
        assert "'+" not in text and "'-" not in text and "'−" not in text
        row = spec.data[spec.data[t("card.col.quote", lang)].str.contains("more than 2.7 million")].iloc[0]
        assert row[t("card.col.error_percent", lang)] == 40.6 and row[t("card.col.bound", lang)] == "≥"
        # The error is in the unit printed beside it: 77.91 万台 = 0.7791 million units.
        expected = 77.91 if lang == "zh" else 0.7791
        assert_allclose(row[t("card.col.error", lang)], expected, rtol=1e-9)


# ---------------------------------------------------------------- each publisher named once


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "IDC、浪潮信息、TrendForce（集邦咨询）"), ("en", "IDC, Inspur Information, TrendForce")],
)
def test_publisher_list_names_each_publisher_once(lang, expected):
    rows = [
        {"publisher_zh": "IDC；浪潮信息", "publisher_en": "IDC; Inspur Information"},
        {"publisher_zh": "IDC", "publisher_en": "IDC"},
        {"publisher_zh": "TrendForce（集邦咨询）", "publisher_en": "TrendForce"},
        {"publisher_zh": "IDC", "publisher_en": "IDC"},
    ]
    assert later.publisher_list(rows, lang) == expected


@pytest.mark.parametrize(("lang", "repeated"), [("zh", "IDC、IDC"), ("en", "IDC, IDC")])
def test_market_chart_source_line_names_idc_once(db_con, lang, repeated):
    from analysis import scenario
    from analysis.charts import full_source_text
    from analysis.chartspec import chart_def

    spec = chart_def("ai-server-market").build(db_con, scenario.defaults(), lang)
    line = full_source_text(spec.source_line, lang)
    assert ("浪潮信息" if lang == "zh" else "Inspur Information") in line  # the later layer is drawn
    assert repeated not in line


# ---------------------------------------------------------------- one rounding rule for the caption and its button


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("series_id", sorted(market.SERIES))
def test_implied_cagr_button_names_the_rate_the_caption_shows(db_con, series_id, lang):
    from analysis import scenario
    from analysis.format import rate_text

    growth = market.implied_growth(db_con, series_id)
    if growth.cagr_percent is None:
        return  # no implied rate for this series: no caption number and no button
    param = scenario.all_params()[market.SERIES[series_id].param("cagr")]
    caption = later_view.implied_caption(growth, lang)
    button = later_view.implied_button_label(growth, param, lang)
    shown = rate_text(growth.cagr_percent)
    assert f"{shown}%" in caption and f"{shown}%" in button  # the same number, from the same formatter
    assert f"{rate_text(later_view.slider_value(param, growth.cagr_percent))}%" in button


@pytest.mark.parametrize(("lang", "expected"), [("en", "33.0%, the slider step nearest 32.8%"), ("zh", "33.0%（最接近 32.8%")])
def test_implied_cagr_button_says_when_it_sets_the_nearest_step(db_con, lang, expected):
    from analysis import scenario

    growth = market.implied_growth(db_con, "shipments")
    param = scenario.all_params()[market.SERIES["shipments"].param("cagr")]
    assert expected in later_view.implied_button_label(growth, param, lang)


# ---------------------------------------------------------------- the card's table rounds what it computed


@pytest.mark.parametrize("lang", LANGS)
def test_report_card_table_rounds_computed_values_for_display(db_con, lang):
    card = scorecard.report_card(db_con)
    shown = scorecard.report_card_display(db_con, card, lang)
    report = " ".join(shown[t("card.col.report", lang)])
    # the derived path once read 1.4037 million units, 16.979% and a base of USD 15.853 bn
    for long in ("1.4037", "140.37", "1.9209", "192.09", "16.979", "15.853", "158.53"):
        assert long not in report, long
    for error in shown[t("card.col.error", lang)]:
        for number in re.findall(r"\d+\.\d+", error):  # the decimals (a year is a whole number)
            assert len(number.replace(".", "").lstrip("0")) <= 3, error  # three significant figures at most
    data = scorecard.report_card_data(db_con, card, lang)
    assert data[t("card.col.error", lang)].notna().any()  # the data keeps its numbers as numbers
