"""Charts for the briefing tests (not part of the app): one per native PowerPoint kind, one picture-only.

They read real sources from the database, so footnotes and the closing slide carry real source lines
(`qb_chip_compute`'s producer contains "；", which a naive split of the source line would break).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.charts import apply_house_style
from analysis.chartspec import ChartDef, ChartSpec, NativeChart, NativeSeries
from analysis.data import source_line

CATEGORIES = ("2021", "2022", "2023")
# Title keys are deliberately not in the catalogs (the picker shows ⟦test.t-line⟧…); each must differ,
# as the page's multiselect tells options apart by their label.
TITLES = {
    "t-line": {"zh": "测试折线图：训练算力需求", "en": "Test line: training compute demand"},
    "t-column": {"zh": "测试柱状图：服务器出货量", "en": "Test columns: server shipments"},
    "t-stacked": {"zh": "测试堆积柱状图：推理与训练占比", "en": "Test stacked columns: inference vs training share"},
    "t-map": {"zh": "测试地图：算力枢纽", "en": "Test map: compute hubs"},
    "t-odd": {"zh": "测试未知类型", "en": "Test unknown kind"},
}
SERIES = {
    "t-line": (("A", (1.5, None, 3.25)), ("B", (2.0, 2.5, 4.0))),  # None: a gap PowerPoint must keep
    "t-column": (("Units", (120.0, 135.5, 150.0)),),
    "t-stacked": (("Inference", (51.5, 57.6, 62.2)), ("Training", (48.5, 42.4, 37.8))),
    "t-odd": (("X", (1.0, 2.0, 3.0)),),
}
KINDS = {"t-line": "line", "t-column": "column", "t-stacked": "stacked_column", "t-map": None, "t-odd": "radar"}
SOURCES = {
    "t-line": ["qb_chip_compute"],
    "t-column": ["idc_ai_server_market"],
    "t-stacked": ["idc_ai_server_market", "qb_chip_compute"],
    "t-map": ["qb_server"],
    "t-odd": ["qb_server"],
}


def _build(slug: str):
    def build(con, scenario, lang) -> ChartSpec:
        title = TITLES[slug][lang]
        line = source_line(con, SOURCES[slug], lang)
        series = SERIES.get(slug, (("Hubs", (8.0, 10.0, 12.0)),))
        fig = go.Figure([go.Scatter(x=list(CATEGORIES), y=list(values), name=name) for name, values in series])
        apply_house_style(fig, title=title, source_line=line, lang=lang)
        data = pd.DataFrame({"year": CATEGORIES, **{name: values for name, values in series}})
        kind = KINDS[slug]
        native = None
        if kind is not None:
            native = NativeChart(
                kind, CATEGORIES, tuple(NativeSeries(n, v) for n, v in series), y_title="Value", number_format="0.0"
            )
        growth = scenario.get("t_growth")
        assumptions = {"Growth": f"{growth:g}%"} if slug == "t-line" and growth is not None else {}
        takeaway = f"{title}: {series[0][0]} ends at {series[0][1][-1]:g}."
        return ChartSpec(slug, title, takeaway, fig, data, line, assumptions, native)

    return build


CHARTS = (
    ChartDef("t-line", "home", "test.t-line", _build("t-line")),
    ChartDef("t-column", "home", "test.t-column", _build("t-column")),
    ChartDef("t-stacked", "figures", "test.t-stacked", _build("t-stacked")),
    ChartDef("t-map", "figures", "test.t-map", _build("t-map")),
    ChartDef("t-odd", "sources", "test.t-odd", _build("t-odd")),
)
