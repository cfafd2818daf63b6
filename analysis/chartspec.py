"""A chart as the app, the CSV download and the briefing pack all see it.

Every chart of the app is built by a function registered here: (connection, scenario values, lang) in,
`ChartSpec` out. The page shows it, the briefing pack (issue "Briefing export") renders the same spec
into a slide, so a chart and its exported copy cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import import_module

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analysis.chart_layout import SCREEN, lay_out


@dataclass(frozen=True)
class NativeSeries:
    """A series a PowerPoint chart can hold natively: one value per category (None for a gap)."""

    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class NativeChart:
    """What python-pptx needs to draw the chart as an editable chart object.

    kind: "line" | "bar" | "column" | "stacked_column" | "stacked_area" | "area".
    """

    kind: str
    categories: tuple[str, ...]
    series: tuple[NativeSeries, ...]
    y_title: str = ""
    number_format: str = "General"


@dataclass(frozen=True)
class ChartSpec:
    slug: str  # stable id, also the file-name stem: compute-atlas_<slug>_<lang>
    title: str
    takeaway: str  # one line a briefing slide can carry under the title
    figure: go.Figure
    data: pd.DataFrame  # the chart's own data, as downloaded (translated headers)
    source_line: str  # from analysis.data.source_line
    assumptions: Mapping[str, str] = field(default_factory=dict)  # label -> formatted value, for footnotes
    native: NativeChart | None = None  # None: the chart goes into a deck as an image (maps, sunbursts)
    # `figure` laid out for the app's screen (`laid_out`); None until a cache sets it. The page shows this one,
    # the briefing pack lays `figure` out for its own picture size.
    screen_figure: go.Figure | None = None


class ScreenFigure(go.Figure):
    """A shared, read-only figure whose `to_dict` is worked out once.

    `st.plotly_chart` calls `to_dict` on every rerun, and plotly walks every trace to encode its arrays (about
    5 ms for a forecast chart). This keeps the result as JSON and hands each caller a fresh copy parsed from
    it (well under 1 ms), so no caller can change what another sees. Only for figures nobody changes after
    they are shown (the shared specs' screen figures; tests/test_chart_sharing.py checks the rule).
    """

    def to_dict(self):
        cached = self.__dict__.get("_dict_json")
        if cached is None:
            cached = pio.to_json(super().to_dict(), validate=False)
            self._dict_json = cached
        return json.loads(cached)


def laid_out(spec: ChartSpec) -> ChartSpec:
    """The spec with its screen figure (`analysis.chart_layout.SCREEN`: a phone's width and wider), made once
    where the spec is cached, so no rerun copies or changes a figure to show it."""
    if spec.screen_figure is not None:
        return spec
    return replace(spec, screen_figure=ScreenFigure(lay_out(spec.figure, SCREEN).figure))


ChartBuilder = Callable[[duckdb.DuckDBPyConnection, Mapping[str, object], str], ChartSpec]


@dataclass(frozen=True)
class ChartDef:
    slug: str
    page_id: str
    title_key: str
    build: ChartBuilder


# Modules that define a `CHARTS: tuple[ChartDef, ...]`; each area of the app adds its module here.
CHART_MODULES: tuple[str, ...] = (
    "analysis.home_charts",
    "analysis.cycle_charts",
    "analysis.workload",
    "analysis.industry_charts",
    "analysis.regions",
    "analysis.compute_view",
    "analysis.market_charts",
    "analysis.later_view",
)


def chart_defs() -> tuple[ChartDef, ...]:
    """Every registered chart, in page order, then module order."""
    return _registry(CHART_MODULES)[0]


@cache
def _registry(modules: tuple[str, ...]) -> tuple[tuple[ChartDef, ...], dict[str, ChartDef]]:
    # Cached per module list: a page looks a chart up on every rerun.
    found: list[ChartDef] = []
    for name in modules:
        found.extend(import_module(name).CHARTS)
    slugs = [c.slug for c in found]
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicates:
        raise ValueError(f"chart slug(s) registered twice: {', '.join(duplicates)}")
    return tuple(found), {c.slug: c for c in found}


def chart_def(slug: str) -> ChartDef:
    found = _registry(CHART_MODULES)[1].get(slug)
    if found is None:
        raise ValueError(f"unknown chart {slug!r}")
    return found
