"""Forecast against actual as a chart: each matched forecast's error in percent, on one comparable axis.

The matched figures come in different units (USD, units, EFLOPS), so the chart plots the error relative
to the forecast; the table beside it keeps each figure in its own unit.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from analysis.charts import PALETTE, apply_house_style
from analysis.i18n import t
from analysis.scorecard import scorecard_display

ROW_HEIGHT_PX = 34
MIN_HEIGHT_PX = 260
MARGIN_HEIGHT_PX = 170


def error_chart_data(card: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Figure label and error % (actual against forecast) per matched pair, as plotted; pairs without a % are left out."""
    labels = scorecard_display(card, lang)[t("scorecard.figure", lang)].tolist()
    errors = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in card["error_percent"]]
    data = pd.DataFrame({t("scorecard.figure", lang): labels, t("scorecard.error_percent", lang): errors})
    return data.dropna().reset_index(drop=True)


def error_chart(card: pd.DataFrame, lang: str, *, source_line: str) -> go.Figure:
    """Horizontal bars of the error in percent: right of zero the actual came in above the forecast."""
    data = error_chart_data(card, lang)
    labels, errors = data.iloc[:, 0], data.iloc[:, 1]
    colours = [PALETTE["secondary"] if e >= 0 else PALETTE["primary"] for e in errors]
    fig = go.Figure(
        go.Bar(
            x=errors,
            y=labels,
            orientation="h",
            marker_color=colours,
            text=[f"{e:+.1f}%" for e in errors],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:+.1f}%<extra></extra>",
        )
    )
    fig.add_vline(x=0, line_color=PALETTE["ink"], line_width=1)
    fig.update_xaxes(title_text=t("scorecard.chart_axis", lang), ticksuffix="%", zeroline=False)
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig = apply_house_style(fig, title=t("scorecard.chart_title", lang), source_line=source_line, lang=lang)
    fig.update_layout(height=max(MIN_HEIGHT_PX, MARGIN_HEIGHT_PX + ROW_HEIGHT_PX * len(data)), showlegend=False)
    return fig
