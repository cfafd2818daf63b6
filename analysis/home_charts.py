"""The home page's chart, registered for the briefing pack."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from analysis import data
from analysis.charts import workload_split_figure, workload_split_table
from analysis.chartspec import ChartDef, ChartSpec, NativeChart, NativeSeries
from analysis.i18n import t


def workload_split_chart(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
    split = data.workload_split(con)
    source_line = data.source_line(con, sorted(set(split["source_id"])), lang)
    wide = split.pivot(index="year", columns="segment", values="share_percent").sort_index()
    native = NativeChart(
        kind="stacked_area",
        categories=tuple(str(y) for y in wide.index),
        series=tuple(NativeSeries(t(f"segment.{s}", lang), tuple(float(v) for v in wide[s])) for s in ("inference", "training")),
        y_title=t("chart.workload.y", lang),
        number_format='0.0"%"',
    )
    return ChartSpec(
        slug="workload-split",
        title=t("chart.workload.title", lang),
        takeaway=t("chart.workload.takeaway", lang, year=wide.index[-1], share=f"{wide['inference'].iloc[-1]:g}%"),
        figure=workload_split_figure(split, source_line=source_line, lang=lang),
        data=workload_split_table(split, lang),
        source_line=source_line,
        native=native,
    )


CHARTS = (ChartDef("workload-split", "home", "chart.workload.title", workload_split_chart),)
