"""Queries and figure builders of the cycle page: the S-curves with computed phases, the sensitivity
tornado and the report's maturity matrices (editorial scores)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis import data
from analysis.charts import PALETTE, apply_house_style, tint, wrap_text
from analysis.chartspec import ChartDef, ChartSpec
from analysis.cycle import FIRST_YEAR, GROUPS, LAST_YEAR, PHASE_OF_GROUP, PHASES, CycleModel, CycleResults, sensitivity
from analysis.cycle_link import assumptions_for
from analysis.db import query
from analysis.i18n import localized, t
from analysis.phases import BAND_COLOURS, phases

GROUP_COLOURS = {"hardware": PALETTE["secondary"], "inference": PALETTE["primary"], "services": PALETTE["tertiary"]}
MATRIX_PHASES = ("development", "commercial")
CYCLE_SOURCES = ["qb_cycle"]
MATRIX_SOURCES = ["qb_cycle", "supp_editorial_cycle_scores"]


SENSITIVITY_LABEL_COLS = 20  # display columns per line of an assumption's name on the tornado's axis
SENSITIVITY_LABELS_PX = 150  # 20 display columns at 12 px, and the tick gap
LOWER_TINT = 0.5  # the lower (-) setting's bars: the phase's colour, half-way to white


def phase_items(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, "SELECT * FROM phase_items ORDER BY phase_id, item_type, item_order")


def matrix_scores(con: duckdb.DuckDBPyConnection, phase_id: str) -> pd.DataFrame:
    """The editorial maturity scores of one phase's bubble chart, with the item names."""
    return query(
        con,
        """
        SELECT m.phase_id, m.item_order, i.text_zh, i.text_en, m.x_axis,
               m.demand_maturity_score, m.x_maturity_score, m.scale_score, m.source_id, m.note
        FROM cycle_matrix m
        JOIN phase_items i USING (phase_id, item_type, item_order)
        WHERE m.phase_id = ?
        ORDER BY m.item_order
        """,
        [phase_id],
    )


def fit(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object]) -> CycleResults:
    return CycleModel(assumptions_for(con, scenario)).fit()


def curves_figure(results: CycleResults, phase_table: pd.DataFrame, *, source_line: str, lang: str) -> go.Figure:
    fig = go.Figure()
    starts = results.phase_starts
    names = {row.phase_id: localized(row._asdict(), "name", lang) for row in phase_table.itertuples()}
    for i, phase in enumerate(PHASES):
        begin = starts[phase]
        if begin is None:
            continue
        later = [starts[p] for p in PHASES[i + 1 :] if starts[p] is not None and starts[p] > begin]
        end = min(later) if later else LAST_YEAR + 1
        fig.add_vrect(x0=begin - 0.5, x1=end - 0.5, fillcolor=BAND_COLOURS[i], opacity=1, layer="below", line_width=0)
        # Staggered labels: adjacent phases can be only a year or two apart.
        fig.add_annotation(
            x=begin - 0.5,
            y=1 - 0.06 * i,
            xref="x",
            yref="paper",
            text=t("cycle.band_label", lang, phase=names.get(phase, phase), year=begin),
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": 11, "color": PALETTE["ink"]},
            bgcolor="rgba(255,255,255,0.7)",
        )
    for row in phase_table.itertuples():
        if not pd.isna(row.start_year):
            fig.add_vline(x=report_boundary(row), line={"color": PALETTE["muted"], "dash": "dot", "width": 1})
    curves = results.curves()
    for group in GROUPS:
        part = curves[curves["group"] == group]
        fig.add_trace(
            go.Scatter(
                x=part["year"],
                y=part["value_index"],
                name=t(f"cycle.group.{group}", lang),
                mode="lines",
                line={"color": GROUP_COLOURS[group], "width": 2.5},
                hovertemplate="%{x:.2f}: %{y:.1f}<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_xaxes(title_text=t("chart.year", lang), range=[FIRST_YEAR, LAST_YEAR], dtick=2)
    fig.update_yaxes(title_text=t("cycle.y_value", lang), rangemode="tozero")
    return apply_house_style(fig, title=t("cycle.chart.curves", lang), source_line=source_line, lang=lang)


def report_boundary(row) -> float:
    """Where the report's phase begins on a year axis: "2026年~2028年" at 2025½, "2028年后" at 2028½."""
    return row.start_year + 0.5 if pd.isna(row.end_year) else row.start_year - 0.5


def report_years_text(row, lang: str) -> str:
    if pd.isna(row.end_year):
        return t("cycle.after_year", lang, year=int(row.start_year))
    return f"{int(row.start_year)}–{int(row.end_year)}"


def curves_chart(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
    results = fit(con, scenario)
    source_line = data.source_line(con, CYCLE_SOURCES, lang)
    annual = results.curves(step_years=1.0)
    wide = annual.pivot(index="year", columns="group", values="value_index")
    table = wide.reset_index().rename(columns={"year": t("chart.year", lang)})
    table = table.rename(columns={g: t(f"cycle.group.{g}", lang) for g in GROUPS})
    table[t("cycle.column.leader", lang)] = [t(f"cycle.group.{results.leader(y)}", lang) for y in wide.index]
    return ChartSpec(
        slug="cycle-curves",
        title=t("cycle.chart.curves", lang),
        takeaway=takeaway(results, lang),
        figure=curves_figure(results, phases(con), source_line=source_line, lang=lang),
        data=table,
        source_line=source_line,
        assumptions=assumption_labels(results, lang),
        # The title promises the computed phases, drawn as shaded bands; a PowerPoint line chart cannot shade
        # year ranges, so the deck takes the picture rather than drop them.
        native=None,
    )


def takeaway(results: CycleResults, lang: str) -> str:
    starts = results.phase_starts
    text = {p: (str(starts[p]) if starts[p] is not None else t("cycle.not_within", lang, year=LAST_YEAR)) for p in PHASES}
    return t("cycle.takeaway", lang, **text)


def assumption_labels(results: CycleResults, lang: str) -> dict[str, str]:
    a = results.assumptions
    out = {}
    for group in GROUPS:
        ceiling, midpoint, steepness = a.curve(group)
        out[t(f"cycle.group.{group}", lang)] = t(
            "cycle.curve_text", lang, m=f"{midpoint:g}", k=f"{steepness:g}", c=f"{ceiling:g}"
        )
    out[t("cycle.param.takeoff_percent", lang)] = f"{a.takeoff_percent:g}%"
    return out


def sensitivity_chart(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
    table = sensitivity(assumptions_for(con, scenario))
    source_line = data.source_line(con, CYCLE_SOURCES, lang)
    table["label"] = [t(f"cycle.param.{name}", lang) for name in table["assumption"]]
    order = list(dict.fromkeys(table["label"]))
    # Wrapped tick labels: unwrapped, the longest pushes the plot off a phone and is cut in a slide picture.
    tick_text = [wrap_text(label, SENSITIVITY_LABEL_COLS) for label in order]
    fig = go.Figure()
    colours = {"development": PALETTE["primary"], "commercial": PALETTE["tertiary"], "infrastructure": PALETTE["secondary"]}
    for phase in PHASES:
        for direction in ("low", "high"):
            part = table[(table["phase"] == phase) & (table["direction"] == direction)].set_index("label").reindex(order)
            shifts = part["shift_years"].astype("float64").fillna(np.nan)
            name = t(
                "cycle.sens_series",
                lang,
                phase=t(f"cycle.phase.{phase}", lang),
                direction=t(f"cycle.direction.{direction}", lang),
            )
            fig.add_trace(
                go.Bar(
                    y=order,
                    x=shifts,
                    name=name,
                    orientation="h",
                    marker={"color": tint(colours[phase], LOWER_TINT) if direction == "low" else colours[phase]},
                    hovertemplate="%{y}: %{x:+.0f}<extra>%{fullData.name}</extra>",
                )
            )
    fig.update_layout(barmode="group", bargap=0.12, bargroupgap=0, height=620)
    fig.update_xaxes(title_text=t("cycle.shift_axis", lang), zeroline=True, zerolinecolor=PALETTE["muted"], dtick=1)
    fig.update_yaxes(autorange="reversed", tickvals=order, ticktext=tick_text)
    data_table = table.rename(
        columns={
            "label": t("cycle.column.assumption", lang),
            "direction": t("cycle.column.direction", lang),
            "value": t("cycle.column.value", lang),
            "phase": t("cycle.column.phase", lang),
            "start_year": t("cycle.column.start_year", lang),
            "base_start_year": t("cycle.column.base_start_year", lang),
            "shift_years": t("cycle.column.shift_years", lang),
        }
    ).drop(columns=["assumption"])
    return ChartSpec(
        slug="cycle-sensitivity",
        title=t("cycle.chart.sensitivity", lang),
        takeaway=t("cycle.sens_takeaway", lang),
        # A left margin with room for the wrapped names: the source line starts at the figure's edge, left of them.
        figure=apply_house_style(fig, title=t("cycle.chart.sensitivity", lang), source_line=source_line, lang=lang).update_layout(
            margin_l=SENSITIVITY_LABELS_PX
        ),
        data=data_table,
        source_line=source_line,
        native=None,  # a tornado of six offset series reads poorly as a PowerPoint bar chart; the deck takes the image
    )


def matrix_figure(scores: pd.DataFrame, phase_id: str, *, source_line: str, lang: str) -> go.Figure:
    x_axis = scores["x_axis"].iloc[0] if not scores.empty else "technology"
    fig = go.Figure(
        go.Scatter(
            x=scores["x_maturity_score"],
            y=scores["demand_maturity_score"],
            mode="markers+text",
            text=scores[f"text_{lang}"],
            textposition="top center",
            marker={
                "size": scores["scale_score"].clip(lower=0.5),
                "sizemode": "area",
                "sizeref": 2.0 * 10 / (56.0**2),  # a score of 10 draws a bubble about 56 px across
                "color": PALETTE["primary"] if phase_id == "development" else PALETTE["tertiary"],
                "opacity": 0.6,
                "line": {"color": "white", "width": 1},
            },
            customdata=scores[["scale_score"]],
            hovertemplate="%{text}<br>%{y} · %{x} · %{customdata[0]}<extra></extra>",
        )
    )
    fig.update_xaxes(
        title_text=t(f"cycle.axis.{x_axis}", lang), range=[0, 10.5], dtick=2, showgrid=True, gridcolor=PALETTE["grid"]
    )
    fig.update_yaxes(title_text=t("cycle.axis.demand", lang), range=[0, 10.5], dtick=2)
    title = t(f"cycle.chart.matrix_{phase_id}", lang)
    return apply_house_style(fig, title=title, source_line=source_line, lang=lang)


def matrix_table(scores: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("cycle.column.item", lang): scores[f"text_{lang}"],
            t("cycle.axis.demand", lang): scores["demand_maturity_score"],
            t(f"cycle.axis.{scores['x_axis'].iloc[0]}", lang): scores["x_maturity_score"],
            t("cycle.column.scale", lang): scores["scale_score"],
        }
    )


def matrix_chart_for(phase_id: str):
    def build(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
        scores = matrix_scores(con, phase_id)
        source_line = data.source_line(con, MATRIX_SOURCES, lang)
        return ChartSpec(
            slug=f"cycle-matrix-{phase_id}",
            title=t(f"cycle.chart.matrix_{phase_id}", lang),
            takeaway=t("cycle.matrix_takeaway", lang),
            figure=matrix_figure(scores, phase_id, source_line=source_line, lang=lang),
            data=matrix_table(scores, lang),
            source_line=source_line,
        )

    return build


SCORE_COLUMNS = ("demand_maturity_score", "x_maturity_score", "scale_score")


def valid_scores(scores: pd.DataFrame) -> bool:
    """Edited maturity scores are usable: every score a number from 0 to 10."""
    values = scores[list(SCORE_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    return bool(values.notna().all().all() and ((values >= 0) & (values <= 10)).all().all())


def phase_overview_for(con: duckdb.DuckDBPyConnection, scenario: tuple, lang: str) -> pd.DataFrame:
    """`phase_overview` for scenario items as a hashable tuple (cache-friendly)."""
    return phase_overview(con, fit(con, dict(scenario)), lang)


def phase_overview(con: duckdb.DuckDBPyConnection, results: CycleResults, lang: str) -> pd.DataFrame:
    """Per phase: computed start, the report's years, the leading group, items by type (one text each)."""
    items = phase_items(con)
    rows = []
    for row in phases(con).itertuples():
        mine = items[items["phase_id"] == row.phase_id]
        rows.append(
            {
                "phase_id": row.phase_id,
                "name": localized(row._asdict(), "name", lang),
                "report_years": report_years_text(row, lang),
                "computed_start": results.phase_starts.get(row.phase_id),
                "group": [g for g, p in PHASE_OF_GROUP.items() if p == row.phase_id][0],
                "items": {kind: list(part[f"text_{lang}"]) for kind, part in mine.groupby("item_type", sort=False)},
            }
        )
    return pd.DataFrame(rows)


CHARTS = (
    ChartDef("cycle-curves", "cycle", "cycle.chart.curves", curves_chart),
    ChartDef("cycle-sensitivity", "cycle", "cycle.chart.sensitivity", sensitivity_chart),
    *(ChartDef(f"cycle-matrix-{p}", "cycle", f"cycle.chart.matrix_{p}", matrix_chart_for(p)) for p in MATRIX_PHASES),
)
