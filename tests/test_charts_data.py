"""Named queries and chart builders: right rows, safe parameters, a source line under every chart."""

from __future__ import annotations

import csv

import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import DATASETS_DIR

from analysis import data
from analysis.charts import plotly_config, workload_split_figure
from analysis.i18n import LANGS, t
from analysis.tables import filter_figures

# The report's chart 「中国AI服务器工作负载预测」 (IDC; section 「趋势02——…」), read off the printed labels.
REPORT_TRAINING = {2020: 48.5, 2021: 42.4, 2022: 41.5, 2023: 40.5, 2024: 39.3, 2025: 38.2, 2026: 37.8}
REPORT_INFERENCE = {2020: 51.5, 2021: 57.6, 2022: 58.5, 2023: 59.5, 2024: 60.7, 2025: 61.8, 2026: 62.2}
TREND02_SECTION = "趋势02——新增长曲线：AI服务器异军突起，红利曲线先训练后推理"
INJECTION = "x' OR '1'='1"


def _csv_figures() -> list[dict]:
    with (DATASETS_DIR / "figures.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def split(db_con) -> pd.DataFrame:
    return data.workload_split(db_con)


@pytest.fixture(scope="module")
def all_figures(db_con) -> pd.DataFrame:
    return data.figures(db_con)


# ---------------------------------------------------------------- workload split


def test_workload_split_rows_and_years(split):
    assert len(split) == 14
    assert sorted(set(split["year"])) == list(range(2020, 2027))
    assert sorted(set(split["segment"])) == ["inference", "training"]
    assert split.groupby("year").size().eq(2).all()


def test_workload_split_sums_to_100_each_year(split):
    # Report chart 「中国AI服务器工作负载预测」: training + inference = 100% of the workload each year.
    totals = split.groupby("year")["share_percent"].sum()
    off = totals[(totals - 100).abs() > 0.1]
    assert off.empty, f"years not summing to 100: {off.to_dict()}"


def test_workload_split_matches_the_report(split):
    got = {(int(r.year), r.segment): r.share_percent for r in split.itertuples()}
    for year, value in REPORT_TRAINING.items():
        assert got[(year, "training")] == pytest.approx(value)
    for year, value in REPORT_INFERENCE.items():
        assert got[(year, "inference")] == pytest.approx(value)
    assert set(split["source_id"]) == {"idc_workload"}


# ---------------------------------------------------------------- the chart


@pytest.mark.parametrize("lang", LANGS)
def test_workload_split_figure(split, lang):
    source = "SOURCE-MARKER IDC"
    fig = workload_split_figure(split, source_line=source, lang=lang)
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 2
    names = {trace.name for trace in fig.data}
    assert names == {t("segment.training", lang), t("segment.inference", lang)}
    other = "en" if lang == "zh" else "zh"
    assert names.isdisjoint({t("segment.training", other), t("segment.inference", other)})
    assert tuple(fig.layout.yaxis.range) == (0, 100)
    assert fig.layout.title.text == t("chart.workload.title", lang)
    # Each trace carries the seven years of the report chart.
    for trace in fig.data:
        assert sorted(int(x) for x in trace.x) == list(range(2020, 2027))


@pytest.mark.parametrize("lang", LANGS)
def test_every_chart_has_a_source_line_below_it(split, lang):
    source = "SOURCE-MARKER IDC"
    fig = workload_split_figure(split, source_line=source, lang=lang)
    notes = [a for a in fig.layout.annotations if source in (a.text or "")]
    assert len(notes) == 1, [a.text for a in fig.layout.annotations]
    note = notes[0]
    assert note.yref == "paper" and note.y <= 0 and (note.yshift or 0) < 0 and note.yanchor == "top", (
        "the source line sits under the plot area"
    )
    # In the chosen language: the text around the source is the catalog's, not the other language's.
    assert note.text == t("chart.source_line", lang, sources=source)


@pytest.mark.parametrize("lang", LANGS)
def test_plotly_config_png_export(lang):
    options = plotly_config("workload-split", lang)["toImageButtonOptions"]
    assert options["format"] == "png"
    assert options["scale"] == 2
    assert options["filename"] == f"compute-atlas_workload-split_{lang}"


@pytest.mark.parametrize("missing", ["share_percent", "year", "segment"])
def test_bad_input_names_the_missing_column(split, missing):
    with pytest.raises(ValueError, match=missing):
        workload_split_figure(split.drop(columns=[missing]), source_line="x", lang="en")


# ---------------------------------------------------------------- data.figures


def test_figures_unfiltered_returns_every_csv_row(all_figures):
    expected = [r["figure_id"] for r in _csv_figures()]
    assert list(all_figures["figure_id"]) == expected


def test_figures_filter_by_metric(db_con):
    frame = data.figures(db_con, metrics=["ai_server_workload_share"])
    expected = {r["figure_id"] for r in _csv_figures() if r["metric"] == "ai_server_workload_share"}
    assert set(frame["figure_id"]) == expected and len(frame) == 14


def test_figures_filter_by_kind(db_con):
    frame = data.figures(db_con, kinds=["forecast", "editorial"])
    expected = {r["figure_id"] for r in _csv_figures() if r["kind"] in ("forecast", "editorial")}
    assert set(frame["figure_id"]) == expected
    assert set(frame["kind"]) == {"forecast", "editorial"}


def test_figures_filter_by_id_and_combined(db_con):
    ids = ["global_ai_server_market_2025", "gpt3_parameters"]
    assert set(data.figures(db_con, figure_ids=ids)["figure_id"]) == set(ids)
    # Filters combine with AND: gpt3_parameters is 'reported', so only the forecast survives.
    both = data.figures(db_con, figure_ids=ids, kinds=["forecast"])
    assert list(both["figure_id"]) == ["global_ai_server_market_2025"]


@pytest.mark.parametrize("param", ["metrics", "kinds", "source_ids", "figure_ids"])
def test_figures_parameters_are_bound_not_spliced(db_con, all_figures, param):
    assert len(all_figures) > 0
    frame = data.figures(db_con, **{param: [INJECTION]})
    assert len(frame) == 0, f"{param}={INJECTION!r} matched {len(frame)} rows"


def test_sources_parameter_is_bound(db_con):
    assert len(data.sources(db_con, [INJECTION])) == 0


def test_headline_figures_in_headline_order(db_con):
    frame = data.headline_figures(db_con)
    assert list(frame["figure_id"]) == list(data.HEADLINE_FIGURE_IDS)


def test_headline_order_follows_the_list_not_the_table(db_con, monkeypatch):
    reordered = tuple(reversed(data.HEADLINE_FIGURE_IDS))
    monkeypatch.setattr(data, "HEADLINE_FIGURE_IDS", reordered)
    assert list(data.headline_figures(db_con)["figure_id"]) == list(reordered)


@pytest.mark.parametrize("lang", LANGS)
def test_source_line_names_idc_and_the_section(db_con, lang):
    line = data.source_line(db_con, ["idc_workload"], lang)
    assert "IDC" in line
    assert f"「{TREND02_SECTION}」" in line


def test_source_line_joins_several_sources(db_con):
    zh = data.source_line(db_con, ["idc_workload", "supp_idc_inspur_2022"], "zh")
    assert "；" in zh and "浪潮" in zh
    en = data.source_line(db_con, ["idc_workload", "supp_idc_inspur_2022"], "en")
    assert "; " in en and "Inspur" in en and "supplementary" in en.lower()


# ---------------------------------------------------------------- filter_figures


def test_search_is_case_insensitive(all_figures):
    lower = filter_figures(all_figures, search="a100")
    upper = filter_figures(all_figures, search="A100")
    assert len(lower) > 0
    assert list(lower["figure_id"]) == list(upper["figure_id"])


def test_search_matches_the_printed_column(all_figures):
    # dgx_cloud_gpus_per_node is printed '8个Ampere A100或Hopper H100'; its id, metric and entity say nothing of A100.
    found = set(filter_figures(all_figures, search="a100")["figure_id"])
    assert "dgx_cloud_gpus_per_node" in found
    assert set(filter_figures(all_figures, search="AMPERE")["figure_id"]) == {"dgx_cloud_gpus_per_node"}
    # Every hit really contains the needle somewhere searchable.
    hay = ["figure_id", "metric_zh", "metric_en", "entity_zh", "entity_en", "printed", "note"]
    hits = filter_figures(all_figures, search="a100")
    assert hits[hay].fillna("").apply(lambda c: c.str.lower().str.contains("a100", regex=False)).any(axis=1).all()


def test_search_is_literal_and_filters_combine(all_figures):
    assert filter_figures(all_figures, search="no-such-text-zzz").empty
    # A regex metacharacter is matched literally (and must not raise): '(' appears in some notes.
    paren = filter_figures(all_figures, search="(")
    assert len(paren) > 0
    assert paren["note"].fillna("").str.contains("(", regex=False).any()
    forecast_a100 = filter_figures(all_figures, kinds=["forecast"], search="a100")
    assert forecast_a100.empty or set(forecast_a100["kind"]) == {"forecast"}
    workload = filter_figures(all_figures, metrics=["ai_server_workload_share"], search="2026")
    assert set(workload["figure_id"]) == {"cn_ai_server_workload_training_2026", "cn_ai_server_workload_inference_2026"}
    assert filter_figures(all_figures, search="   ").shape[0] == len(all_figures)
