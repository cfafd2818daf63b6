"""The report's three-phase cycle (基建期 → 开发期 → 商业期) as shaded year bands on time charts.

The phases table is the single source: every page that draws bands reads it through `phases`.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis.db import query
from analysis.i18n import localized
from analysis.scenario import Param

BAND_COLOURS = ("#eef2f7", "#f6f1e9", "#edf5ef")  # quiet tints, one per phase in order
HALF_YEAR = 0.5  # bands cover whole calendar years on an axis of year numbers

PARAMS = (
    Param(
        "phase_bands",
        False,
        kind="bool",
        label_key="phases.show_bands",
        help_key="phases.show_bands_help",
    ),
)


def phases(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, "SELECT * FROM phases ORDER BY phase_order")


def add_phase_bands(fig: go.Figure, phase_table: pd.DataFrame, lang: str, *, x_max: float) -> go.Figure:
    """Shade each phase's years behind the data; an open-ended phase runs to `x_max`.

    A phase printed as "after 2028" (2028年后) starts after its start year, so its band begins at
    start + ½; the others cover their printed years inclusive.
    """
    for i, row in enumerate(phase_table.itertuples()):
        if pd.isna(row.start_year):
            continue
        open_ended = pd.isna(row.end_year)
        x0 = row.start_year + HALF_YEAR if open_ended else row.start_year - HALF_YEAR
        x1 = x_max if open_ended else row.end_year + HALF_YEAR
        if x1 <= x0:
            continue
        fig.add_vrect(
            x0=x0,
            x1=x1,
            fillcolor=BAND_COLOURS[i % len(BAND_COLOURS)],
            opacity=1,
            layer="below",
            line_width=0,
            annotation_text=f"{localized(row._asdict(), 'name', lang)}<br>{row.years_as_printed}",
            annotation_position="top left",
            annotation_font={"size": 10, "color": "#6b7785"},
        )
    return fig
