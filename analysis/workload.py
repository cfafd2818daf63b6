"""Training vs inference: IDC's China AI server workload split, its logistic trend and the user's override.

The page's scenario parameters (`wl_*`), the one call the page makes (`outlook`), the fan chart and
the per-year table. The model itself is `analysis.share_trend`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis import data
from analysis.charts import PALETTE, SEGMENT_COLOURS, apply_house_style
from analysis.chartspec import ChartDef, ChartSpec, NativeChart, NativeSeries
from analysis.i18n import t
from analysis.phases import add_phase_bands, phases
from analysis.scenario import Param
from analysis.share_trend import PERCENT, ShareTrend, first_year_reaching

PAGE_ID = "workload"
SEGMENT = "inference"
MODES = ("trend", "manual")
CONFIDENCE_CHOICES = ("80", "90", "95")
HORIZON_MIN, HORIZON_MAX = 2027, 2032

PARAMS = (
    Param(
        "wl_target",
        60.0,
        min_value=50,
        max_value=90,
        step=0.5,
        unit="%",
        label_key="workload.target",
        help_key="workload.target_help",
        page_id=PAGE_ID,
    ),
    Param(
        "wl_confidence",
        "90",
        kind="choice",
        choices=CONFIDENCE_CHOICES,
        unit="%",
        label_key="workload.confidence",
        help_key="workload.confidence_help",
        page_id=PAGE_ID,
    ),
    Param(
        "wl_mode",
        "trend",
        kind="choice",
        choices=MODES,
        label_key="workload.mode",
        help_key="workload.mode_help",
        page_id=PAGE_ID,
    ),
    Param(
        "wl_change",
        1.0,
        min_value=-3,
        max_value=5,
        step=0.1,
        label_key="workload.change",
        help_key="workload.change_help",
        page_id=PAGE_ID,
    ),
    Param(
        "wl_horizon",
        HORIZON_MAX,
        kind="int",
        is_year=True,
        min_value=HORIZON_MIN,
        max_value=HORIZON_MAX,
        label_key="workload.horizon",
        help_key="workload.horizon_help",
        page_id=PAGE_ID,
    ),
)

BAND_FILL = "rgba(31, 41, 51, 0.16)"  # PALETTE["ink"], translucent: the interval over both areas
EXTRAPOLATED_FILL = {"inference": "rgba(31, 78, 121, 0.35)", "training": "rgba(200, 85, 61, 0.25)"}
# The stacked areas fill 0–100%, so phase bands go in a ribbon above them (axis units, percent).
RIBBON_BOTTOM_PERCENT, RIBBON_TOP_PERCENT = 101.0, 114.0
Y_TICKS = tuple(range(0, 101, 20))  # explicit, so the ribbon above 100% gets no tick
HALF_YEAR = 0.5
FIGURE_HEIGHT_PX = 560  # room for the subtitle above and the source line below the year axis


@dataclass(frozen=True)
class Outlook:
    """Everything the page, the chart and its CSV show, from one fit.

    table: one row per year from the first IDC year to `horizon` with year, is_extrapolation,
    idc_kind, idc_inference_percent, idc_training_percent, fitted_percent, lower_percent,
    upper_percent, manual_percent (NaN in trend mode) and scenario_percent (the path the answer
    uses: fitted in trend mode, IDC then the manual change in manual mode).
    """

    table: pd.DataFrame
    target_percent: float
    confidence_percent: int
    mode: str
    annual_change_pp: float
    horizon: int
    answer_year: int | None  # first year the scenario path is at or above the target
    early_year: int | None  # ... the interval's upper bound
    late_year: int | None  # ... the interval's lower bound
    first_year: int
    last_year: int
    intercept: float
    slope: float
    intercept_se: float
    slope_se: float
    rsquared: float
    nobs: int
    df_resid: int
    resid_std: float
    mean_change_pp: float  # IDC series, average change a year over its span
    last_change_pp: float  # IDC series, change in its last year
    source_ids: tuple[str, ...]


def outlook_args(scenario: Mapping[str, object]) -> dict[str, object]:
    """Keyword arguments of `outlook` from scenario values."""
    return {
        "target_percent": float(scenario["wl_target"]),
        "confidence_percent": int(scenario["wl_confidence"]),
        "mode": str(scenario["wl_mode"]),
        "annual_change_pp": float(scenario["wl_change"]),
        "horizon": int(scenario["wl_horizon"]),
    }


def outlook(
    con: duckdb.DuckDBPyConnection,
    *,
    target_percent: float = 60.0,
    confidence_percent: int = 90,
    mode: str = "trend",
    annual_change_pp: float = 1.0,
    horizon: int = HORIZON_MAX,
) -> Outlook:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    split = data.workload_split(con)
    results = ShareTrend(split, segment=SEGMENT).fit()
    confidence = confidence_percent / PERCENT
    fan = results.forecast(horizon, confidence=confidence)
    manual = results.manual_path(annual_change_pp, until_year=horizon)
    wide = split.pivot(index="year", columns="segment", values="share_percent")
    kinds = split[split["segment"] == SEGMENT].set_index("year")["kind"]
    table = fan.drop(columns="observed_percent").assign(
        idc_kind=fan["year"].map(kinds),
        idc_inference_percent=fan["year"].map(wide[SEGMENT]),
        idc_training_percent=fan["year"].map(wide["training"]),
        manual_percent=manual["share_percent"] if mode == "manual" else float("nan"),
        scenario_percent=manual["share_percent"] if mode == "manual" else fan["fitted_percent"],
    )
    observed = wide[SEGMENT].sort_index()
    return Outlook(
        table=table,
        target_percent=target_percent,
        confidence_percent=confidence_percent,
        mode=mode,
        annual_change_pp=annual_change_pp,
        horizon=horizon,
        answer_year=first_year_reaching(table, target_percent, column="scenario_percent"),
        early_year=first_year_reaching(table, target_percent, column="upper_percent"),
        late_year=first_year_reaching(table, target_percent, column="lower_percent"),
        first_year=results.first_year,
        last_year=results.last_year,
        intercept=results.intercept,
        slope=results.slope,
        intercept_se=results.intercept_se,
        slope_se=results.slope_se,
        rsquared=results.rsquared,
        nobs=results.nobs,
        df_resid=results.df_resid,
        resid_std=results.resid_std,
        mean_change_pp=float((observed.iloc[-1] - observed.iloc[0]) / (observed.index[-1] - observed.index[0])),
        last_change_pp=float(observed.iloc[-1] - observed.iloc[-2]),
        source_ids=tuple(sorted(set(split["source_id"]))),
    )


# ---------------------------------------------------------------- words


def pct(value: float) -> str:
    return f"{value:g}%"


def answer_text(result: Outlook, lang: str) -> str:
    """The metric's value: the year, or "not before <horizon>"."""
    if result.answer_year is None:
        return t("workload.not_before", lang, year=result.horizon)
    return str(result.answer_year)


def interval_text(result: Outlook, lang: str) -> str:
    """When the interval's bounds reach the target: "2022–2027", "2025 – after 2032" or "not before 2032"."""
    if result.early_year is None:
        return t("workload.not_before", lang, year=result.horizon)
    if result.late_year is None:
        return t("workload.interval_open", lang, early=result.early_year, horizon=result.horizon)
    return t("workload.interval_range", lang, early=result.early_year, late=result.late_year)


def takeaway(result: Outlook, lang: str) -> str:
    values = {
        "target": pct(result.target_percent),
        "year": result.answer_year,
        "horizon": result.horizon,
        "first": result.first_year,
        "last": result.last_year,
        "change": f"{result.annual_change_pp:+g}",
        "confidence": pct(result.confidence_percent),
        "interval": interval_text(result, lang),
    }
    if result.answer_year is None:
        state = "never"
    elif result.answer_year == result.first_year:
        state = "already"
    else:
        state = "year"
    return t(f"workload.takeaway.{result.mode}_{state}", lang, **values)


def odds_growth_percent(result: Outlook) -> float:
    """How much the odds inference : training grow a year, in percent (exp(b) − 1)."""
    return (math.exp(result.slope) - 1) * PERCENT


# ---------------------------------------------------------------- chart


def outlook_figure(result: Outlook, *, source_line: str, lang: str, phase_table: pd.DataFrame | None = None) -> go.Figure:
    """Stacked areas of IDC's split, the extrapolated split, the fitted line and its interval as a fan."""
    table = result.table
    idc = table[~table["is_extrapolation"]]
    ahead = table[table["year"] >= result.last_year]  # joins the extrapolation to the last IDC year
    fig = go.Figure()
    for segment in ("inference", "training"):
        fig.add_trace(
            go.Scatter(
                x=idc["year"],
                y=idc[f"idc_{segment}_percent"],
                name=t(f"workload.series.idc_{segment}", lang),
                mode="lines+markers" if segment == SEGMENT else "lines",
                stackgroup="idc",
                line={"color": SEGMENT_COLOURS[segment], "width": 1.5},
                hovertemplate="%{x}: %{y:.1f}%<extra>%{fullData.name}</extra>",
            )
        )
    scenario_share = ahead["scenario_percent"]
    for segment, values in (("inference", scenario_share), ("training", PERCENT - scenario_share)):
        fig.add_trace(
            go.Scatter(
                x=ahead["year"],
                y=values,
                name=t(f"workload.series.{result.mode}_{segment}", lang),
                mode="lines",
                stackgroup="ahead",
                fillcolor=EXTRAPOLATED_FILL[segment],
                line={"color": SEGMENT_COLOURS[segment], "width": 1.5, "dash": "dot"},
                hovertemplate="%{x}: %{y:.1f}%<extra>%{fullData.name}</extra>",
            )
        )
    band_name = t("workload.series.interval", lang, confidence=pct(result.confidence_percent))
    fig.add_trace(
        go.Scatter(x=table["year"], y=table["upper_percent"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    )
    fig.add_trace(
        go.Scatter(
            x=table["year"],
            y=table["lower_percent"],
            name=band_name,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=BAND_FILL,
            customdata=table[["upper_percent"]],
            hovertemplate="%{x}: %{y:.1f}% – %{customdata[0]:.1f}%<extra>" + band_name + "</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=table["year"],
            y=table["fitted_percent"],
            name=t("workload.series.fitted", lang),
            mode="lines",
            line={"color": PALETTE["ink"], "width": 2, "dash": "dash"},
            hovertemplate="%{x}: %{y:.1f}%<extra>%{fullData.name}</extra>",
        )
    )
    _mark_target(fig, result, lang)
    x_max = result.horizon + HALF_YEAR
    y_max = PERCENT
    if phase_table is not None:
        _add_phase_ribbon(fig, phase_table, lang, x_max=x_max)
        y_max = RIBBON_TOP_PERCENT
    fig.update_yaxes(
        title_text=t("workload.chart.y", lang), range=[0, y_max], tickvals=Y_TICKS, ticktext=[f"{v}%" for v in Y_TICKS]
    )
    fig.update_xaxes(title_text=t("chart.year", lang), dtick=1, range=[result.first_year - HALF_YEAR, x_max])
    title = t("workload.chart.title", lang)
    apply_house_style(fig, title=title, source_line=source_line, lang=lang)
    note = t(
        "workload.chart.note",
        lang,
        confidence=pct(result.confidence_percent),
        n=result.nobs,
        first=result.first_year,
        last=result.last_year,
    )
    fig.update_layout(
        title={"subtitle": {"text": note, "font": {"size": 12, "color": PALETTE["muted"]}}},
        height=FIGURE_HEIGHT_PX,
        margin={"t": 100, "r": 24, "b": 130},
        legend={"orientation": "v", "y": 1, "yanchor": "top", "x": 1.02, "xanchor": "left", "traceorder": "normal"},
    )
    return fig


def _mark_target(fig: go.Figure, result: Outlook, lang: str) -> None:
    fig.add_hline(
        y=result.target_percent,
        line={"color": PALETTE["ink"], "width": 1, "dash": "dot"},
        annotation_text=t("workload.chart.target", lang, target=pct(result.target_percent)),
        annotation_position="bottom right",
        annotation_font={"size": 11, "color": PALETTE["ink"]},
    )
    if result.answer_year is None:
        return
    fig.add_trace(
        go.Scatter(
            x=[result.answer_year],
            y=[result.target_percent],
            name=t("workload.chart.reached", lang, target=pct(result.target_percent), year=result.answer_year),
            mode="markers",
            marker={"symbol": "diamond", "size": 12, "color": "white", "line": {"color": PALETTE["ink"], "width": 2}},
            hovertemplate="%{x}<extra>%{fullData.name}</extra>",
        )
    )


def _add_phase_ribbon(fig: go.Figure, phase_table: pd.DataFrame, lang: str, *, x_max: float) -> None:
    """The shared phase bands, moved into a ribbon above 100% (the stacked areas fill the plot below it),
    with a dotted line down the plot where each phase begins."""
    before = len(fig.layout.shapes)
    add_phase_bands(fig, phase_table, lang, x_max=x_max)
    shapes = list(fig.layout.shapes)
    for shape in shapes[before:]:
        shape.update(yref="y", y0=RIBBON_BOTTOM_PERCENT, y1=RIBBON_TOP_PERCENT, line={"width": 0})
        shapes.append(
            go.layout.Shape(
                type="line",
                x0=shape.x0,
                x1=shape.x0,
                yref="y",
                y0=0,
                y1=RIBBON_TOP_PERCENT,
                layer="above",
                line={"width": 1, "color": PALETTE["muted"], "dash": "dot"},
            )
        )
    fig.layout.shapes = shapes


# ---------------------------------------------------------------- table and registered chart


def outlook_table(result: Outlook, lang: str) -> pd.DataFrame:
    """The per-year table shown on the page and downloaded as the chart's CSV (translated headers)."""
    table = result.table
    confidence = pct(result.confidence_percent)
    basis = [
        t("workload.basis.idc", lang, kind=t(f"kind.{kind}", lang)) if not extra else t("workload.basis.extrapolated", lang)
        for kind, extra in zip(table["idc_kind"], table["is_extrapolation"], strict=True)
    ]
    columns = {
        t("chart.year", lang): table["year"],
        t("workload.column.basis", lang): basis,
        t("workload.column.idc_inference", lang): table["idc_inference_percent"],
        t("workload.column.idc_training", lang): table["idc_training_percent"],
        t("workload.column.fitted", lang): table["fitted_percent"].round(2),
        t("workload.column.lower", lang, confidence=confidence): table["lower_percent"].round(2),
        t("workload.column.upper", lang, confidence=confidence): table["upper_percent"].round(2),
    }
    if result.mode == "manual":
        columns[t("workload.column.manual", lang, change=f"{result.annual_change_pp:+g}")] = table["manual_percent"].round(2)
    return pd.DataFrame(columns)


def fit_table(result: Outlook, lang: str) -> pd.DataFrame:
    """Coefficients and fit statistics of the log-odds regression, for the model expander."""
    rows = [
        (t("workload.fit.intercept", lang, year=result.first_year), f"{result.intercept:.4f}", f"{result.intercept_se:.4f}"),
        (t("workload.fit.slope", lang), f"{result.slope:.4f}", f"{result.slope_se:.4f}"),
        (t("workload.fit.rsquared", lang), f"{result.rsquared:.3f}", ""),
        (t("workload.fit.nobs", lang), str(result.nobs), ""),
        (t("workload.fit.df_resid", lang), str(result.df_resid), ""),
        (t("workload.fit.resid_std", lang), f"{result.resid_std:.4f}", ""),
    ]
    return pd.DataFrame(
        rows, columns=[t("workload.fit.term", lang), t("workload.fit.estimate", lang), t("workload.fit.se", lang)]
    )


def outlook_chart(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
    result = outlook(con, **outlook_args(scenario))
    source_line = data.source_line(con, list(result.source_ids), lang)
    phase_table = phases(con) if scenario.get("phase_bands") else None
    table = result.table
    series = [
        ("workload.series.idc_inference", table["idc_inference_percent"]),
        ("workload.series.fitted", table["fitted_percent"]),
        ("workload.native.lower", table["lower_percent"]),
        ("workload.native.upper", table["upper_percent"]),
    ]
    if result.mode == "manual":
        series.append(("workload.series.manual_inference", table["manual_percent"]))
    confidence = pct(result.confidence_percent)
    native = NativeChart(
        kind="line",
        categories=tuple(str(y) for y in table["year"]),
        series=tuple(
            NativeSeries(t(key, lang, confidence=confidence), tuple(None if pd.isna(v) else round(float(v), 2) for v in values))
            for key, values in series
        ),
        y_title=t("workload.chart.y", lang),
        number_format='0.0"%"',
    )
    assumptions = {
        t("workload.target", lang): pct(result.target_percent),
        t("workload.confidence", lang): confidence,
        t("workload.mode", lang): t(f"workload.mode.{result.mode}", lang),
        t("workload.horizon", lang): str(result.horizon),
    }
    if result.mode == "manual":
        assumptions[t("workload.change", lang)] = f"{result.annual_change_pp:+g}"
    return ChartSpec(
        slug="workload-outlook",
        title=t("workload.chart.title", lang),
        takeaway=takeaway(result, lang),
        figure=outlook_figure(result, source_line=source_line, lang=lang, phase_table=phase_table),
        data=outlook_table(result, lang),
        source_line=source_line,
        assumptions=assumptions,
        native=native,
    )


CHARTS = (ChartDef("workload-outlook", PAGE_ID, "workload.chart.title", outlook_chart),)
