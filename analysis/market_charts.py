"""Forecast charts: the report's points, the derived series (dashed), the baseline, the user's scenario
(solid) and the Monte Carlo fan (band), with optional phase bands; and saved scenarios side by side."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis import data, later, textsafe
from analysis.chart_layout import off_axis_meta
from analysis.charts import PALETTE, apply_house_style
from analysis.chartspec import ChartDef, ChartSpec, NativeChart, NativeSeries
from analysis.format import display_unit, format_quantity, scaled_text
from analysis.i18n import t, with_aside
from analysis.market import (
    LATER_COMPARABILITY_CODES,
    SETTING_NAMES,
    SeriesView,
    _decimals,
    display_scale,
    long_data,
    series_def,
    series_label,
    series_view,
    settings,
    unit_label,
)
from analysis.phases import add_phase_bands, phases
from analysis.scenario import BASELINE_NAME, all_params
from analysis.schema import UNKNOWN_DATE

FAN_FILL = "rgba(31, 78, 121, 0.14)"  # PALETTE["primary"] at low opacity
COMPARE_COLOURS = (
    PALETTE["primary"],
    PALETTE["secondary"],
    PALETTE["tertiary"],
    PALETTE["quaternary"],
    PALETTE["ink"],
    PALETTE["muted"],
)
MAX_COMPARED = len(COMPARE_COLOURS)
HALF_YEAR = 0.5
# Legend order. Drawing order differs: fan at the back, then baseline, scenario, the dashed derived line
# (on top, so it shows where it coincides with the scenario) and the report's points.
LEGEND_RANK = {"report": 1, "derived": 2, "scenario": 3, "baseline": 4, "band": 5, "p50": 6}
LATER_COLOURS = ("#b8860b", "#2a7f9e", "#8c564b", "#7f7f7f", "#d62790", "#17becf")  # apart from the palette's lines
LATER_ACTUAL_COLOUR = "#b8860b"
CHART_HEIGHT_PX = 560
LATER_LEGEND_PX = 80
LEGEND_TOP_MARGIN_PX = 130
SUBTITLE_PX = 50
COMPARE_TOP_MARGIN_PX = 100


def _scaled(values: pd.Series, view: SeriesView, lang: str) -> pd.Series:
    return (values * display_scale(view.unit, lang)).round(_decimals(view.unit, lang))


def _fmt(value: float, view: SeriesView, lang: str) -> str:
    # A computed figure: three significant figures in the printed unit (USD 75.9 bn, 4.26 million units).
    return format_quantity(value, view.unit, lang)


def _source_line(con: duckdb.DuckDBPyConnection, view: SeriesView, lang: str) -> str:
    """The report's sources, and the later figures' publishers when that layer is drawn."""
    # Derived rows are named in the legend ("Derived from the report"); the line lists who printed the inputs.
    printed = view.figures[view.figures["kind"] != "derived"]
    report = data.source_line(con, sorted(set(printed["source_id"])), lang)
    if view.later.empty:
        return report
    return t("later.source_line", lang, report=report, later=later.publisher_list(view.later.to_dict("records"), lang))


def _layout(
    fig: go.Figure, con, view: SeriesView, lang: str, *, years: list[int], phase_bands: bool, title: str, source_line: str
):
    fig.update_xaxes(title_text=t("chart.year", lang), dtick=1, range=[min(years) - HALF_YEAR, max(years) + HALF_YEAR])
    fig.update_yaxes(title_text=unit_label(view.unit, lang), rangemode="tozero")
    if phase_bands:
        add_phase_bands(fig, phases(con), lang, x_max=max(years) + HALF_YEAR)
    fig = apply_house_style(fig, title=title, source_line=source_line, lang=lang)
    # Up to eight legend entries: give them their own rows between the title and the plot.
    extra = LATER_LEGEND_PX if not view.later.empty else 0  # the later layer adds two or three legend rows
    fig.update_layout(
        height=CHART_HEIGHT_PX + extra,
        margin={"t": LEGEND_TOP_MARGIN_PX + extra},
        title={"y": 0.98, "yanchor": "top", "yref": "container"},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
    )
    if view.series.supplementary:  # said under the title, so an exported image carries it too
        fig.update_layout(
            margin={"t": LEGEND_TOP_MARGIN_PX + extra + SUBTITLE_PX},
            title_subtitle={"text": t("market.supplementary_badge", lang), "font": {"size": 12, "color": PALETTE["secondary"]}},
        )
    return fig


def later_label(vintage: later.Vintage, lang: str) -> str:
    """Legend name of one vintage: publisher · edition, and a warning when it is not the report's definition."""
    kinds = set(vintage.rows["comparability"])
    label = t("later.legend.vintage", lang, vintage=vintage.label(lang))
    for code in ("definitional_break", "different_method", "rebased"):
        if code in kinds:
            return with_aside(label, t(f"later.comparability.{code}", lang), lang)
    return label


def _later_hover(rows: pd.DataFrame, view: SeriesView, lang: str, label: str) -> tuple[pd.DataFrame, str]:
    custom = pd.DataFrame(
        {
            "label": label,
            "kind": [t(f"later.kind.{k}", lang) for k in rows["kind"]],
            "printed": [_printed(r, lang) for r in rows.to_dict("records")],
            "date": [
                later.date_text(d, lang) if d == UNKNOWN_DATE else t("later.hover_date", lang, date=d)
                for d in rows["published_on"]
            ],
        }
    )
    template = "%{x}: %{customdata[2]} · %{customdata[1]}<br>%{customdata[0]} · %{customdata[3]}<extra></extra>"
    return custom, template


def _printed(row: dict, lang: str) -> str:
    from analysis.format import format_figure

    return format_figure(row, row, lang)


def later_off_axis(vintage: later.Vintage) -> str | None:
    """The comparability code (`analysis.chart_layout.OFF_AXIS`) of a vintage on another definition than the
    report's, which the screen keeps off the axis until asked for; None for one on the report's."""
    codes = {LATER_COMPARABILITY_CODES.get(k, k) for k in vintage.rows["comparability"]}
    return next((code for code in ("definition_changed", "another_definition") if code in codes), None)


def add_later_traces(fig: go.Figure, view: SeriesView, lang: str) -> None:
    """Later figures: each vintage with a forecast as its own thin line, the actuals as stars on top.

    One trace per vintage (edition), so no line joins figures of two editions."""
    for colour, vintage in zip(
        LATER_COLOURS * 4, (v for v in view.vintages if v.has_forecast or (v.rows["kind"] == "estimate").any()), strict=False
    ):
        rows = vintage.rows
        label = later_label(vintage, lang)
        custom, template = _later_hover(rows, view, lang, label)
        fig.add_trace(
            go.Scatter(
                x=rows["year"],
                y=_scaled(rows["value_series"], view, lang),
                mode="lines+markers" if len(rows) > 1 else "markers",
                name=label,
                legendrank=LEGEND_RANK["report"] + 0.7,
                line={"color": colour, "width": 1.3},
                marker={
                    "size": 8,
                    "color": colour,
                    "symbol": ["circle" if k == "reported" else "circle-open" for k in rows["kind"]],
                },
                customdata=custom,
                hovertemplate=template,
                meta=off_axis_meta(off_axis) if (off_axis := later_off_axis(vintage)) else None,
            )
        )
    actuals = (
        view.later[(view.later["kind"] == "reported") & (view.later["comparability"] == later.COMPARABLE)]
        if not view.later.empty
        else view.later
    )
    if not actuals.empty:
        custom, template = _later_hover(actuals, view, lang, "")
        custom["label"] = [
            f"{r['publisher_zh'] if lang == 'zh' else r['publisher_en']} · {later.date_text(r['edition'], lang)}"
            for r in actuals.to_dict("records")
        ]
        fig.add_trace(
            go.Scatter(
                x=actuals["year"],
                y=_scaled(actuals["value_series"], view, lang),
                mode="markers",
                name=t("later.legend.actuals", lang),
                legendrank=LEGEND_RANK["report"] + 0.6,
                marker={"symbol": "star", "size": 19, "color": LATER_ACTUAL_COLOUR, "line": {"color": "white", "width": 1}},
                customdata=custom,
                hovertemplate=template,
            )
        )


def forecast_figure(
    con, view: SeriesView, scenario: Mapping[str, object], lang: str, *, title: str, source_line: str
) -> go.Figure:
    sid = view.series.series_id
    fig = go.Figure()
    if not view.fan.empty:
        fan = view.fan.apply(lambda col: _scaled(col, view, lang))
        band_name = series_label("band", sid, lang)
        fig.add_trace(
            go.Scatter(
                x=fan.index,
                y=fan["p10"],
                mode="lines",
                line={"width": 0},
                name=series_label("p10", sid, lang),
                legendgroup="fan",
                showlegend=False,
                hovertemplate="%{x}: %{y}<extra>%{fullData.name}</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=fan.index,
                y=fan["p90"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=FAN_FILL,
                name=band_name,
                legendrank=LEGEND_RANK["band"],
                legendgroup="fan",
                hovertemplate="%{x}: %{y}<extra>" + series_label("p90", sid, lang) + "</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=fan.index,
                y=fan["p50"],
                mode="lines",
                name=series_label("p50", sid, lang),
                legendrank=LEGEND_RANK["p50"],
                legendgroup="fan",
                line={"color": PALETTE["primary"], "width": 1, "dash": "dot"},
            )
        )
    baseline = _scaled(view.baseline, view, lang)
    fig.add_trace(
        go.Scatter(
            x=baseline.index,
            y=baseline,
            mode="lines",
            name=series_label("baseline", sid, lang),
            legendrank=LEGEND_RANK["baseline"],
            line={"color": PALETTE["muted"], "width": 1.5, "dash": "dot"},
        )
    )
    path = _scaled(view.scenario, view, lang)
    fig.add_trace(
        go.Scatter(
            x=path.index,
            y=path,
            mode="lines",
            name=series_label("scenario", sid, lang),
            legendrank=LEGEND_RANK["scenario"],
            line={"color": PALETTE["primary"], "width": 3},
        )
    )
    derived = _scaled(view.derived, view, lang)
    derived_years = set(view.derived_figures["year"])
    fig.add_trace(
        go.Scatter(
            x=derived.index,
            y=derived,
            mode="lines+markers",
            name=series_label("derived", sid, lang),
            legendrank=LEGEND_RANK["derived"],
            line={"color": PALETTE["secondary"], "width": 2, "dash": "dash"},
            marker={"symbol": "circle-open", "size": [9 if y in derived_years else 0 for y in derived.index]},
        )
    )
    if not view.imported.empty:
        fig.add_trace(
            go.Scatter(
                x=view.imported["year"],
                y=_scaled(view.imported["value"], view, lang),
                mode="markers",
                name=series_label("imported", sid, lang),
                legendrank=LEGEND_RANK["report"] + 0.5,
                marker={"symbol": "square", "size": 11, "color": PALETTE["tertiary"], "line": {"color": "white", "width": 1}},
                # Both typed by whoever imported the file: drawn as text, never as plotly's HTML.
                customdata=view.imported[["version_name", "source"]].map(textsafe.escape_plot_text),
                hovertemplate="%{x}: %{y} (%{customdata[0]}; %{customdata[1]})<extra>%{fullData.name}</extra>",
            )
        )
    if not view.later.empty:
        add_later_traces(fig, view, lang)
    stated = view.stated if view.show_report else view.stated.iloc[0:0]
    fig.add_trace(
        go.Scatter(
            x=stated["year"],
            y=_scaled(stated["value"], view, lang),
            mode="markers",
            name=series_label("report", sid, lang),
            legendrank=LEGEND_RANK["report"],
            marker={"symbol": "diamond", "size": 12, "color": PALETTE["ink"]},
            customdata=stated[["printed"]],
            hovertemplate="%{x}: %{y} (%{customdata[0]})<extra>%{fullData.name}</extra>",
        )
    )
    return _layout(fig, con, view, lang, years=view.years, phase_bands=bool(scenario.get("phase_bands")), title=title, source_line=source_line)  # fmt: skip


def _native(view: SeriesView, lang: str) -> NativeChart:
    years = view.years
    sid = view.series.series_id
    lines = {
        "report": view.stated.set_index("year")["value"],
        "derived": view.derived,
        "baseline": view.baseline,
        "scenario": view.scenario,
        **{code: view.fan[code] for code in ("p10", "p50", "p90") if code in view.fan},
    }
    series = []
    for code, values in lines.items():
        scaled = _scaled(values, view, lang).reindex(years)
        series.append(NativeSeries(series_label(code, sid, lang), tuple(None if pd.isna(v) else float(v) for v in scaled)))
    best = later.best_per_year(view.later) if not view.later.empty else pd.DataFrame()
    # The most telling comparable figure per year, one series per edition: a line never joins two editions.
    for vintage in view.vintages if not best.empty else ():
        rows = best[(best["publisher_en"] == vintage.publisher_en) & (best["edition"] == vintage.edition)]
        if not rows.empty:
            scaled = _scaled(rows.set_index("year")["value_series"], view, lang).reindex(years)
            series.append(NativeSeries(later_label(vintage, lang), tuple(None if pd.isna(v) else float(v) for v in scaled)))
    return NativeChart("line", tuple(str(y) for y in years), tuple(series), y_title=unit_label(view.unit, lang))


def assumptions(series_id: str, values: Mapping[str, object], unit: Mapping, lang: str) -> dict[str, str]:
    """Label -> value of this series' five settings, for footnotes and the comparison table.

    The base value is given in the unit the chart prints (USD bn, million units), as its slider does.
    """
    params = all_params()
    s = series_def(series_id)
    chosen = settings(series_id, values)
    out = {}
    for name in SETTING_NAMES:
        param = params[s.param(name)]
        if name == "base_value":
            scale, _ = display_unit(unit, lang)
            out[t(f"{param.label_key}_shown", lang)] = scaled_text(chosen[name], scale)
        else:
            out[t(param.label_key, lang)] = f"{param.to_text(chosen[name])}{param.unit}"
    return out


def _takeaway(view: SeriesView, lang: str) -> str:
    year = max(view.years)
    scenario, baseline = view.scenario[year], view.baseline[year]
    text = t(
        "market.takeaway",
        lang,
        year=year,
        scenario=_fmt(scenario, view, lang),
        baseline=_fmt(baseline, view, lang),
        diff=f"{(scenario / baseline - 1) * 100:+.1f}%",
    )
    if not view.fan.empty and view.settings["spread"] > 0:
        text += t(
            "market.takeaway_fan", lang, p10=_fmt(view.fan["p10"][year], view, lang), p90=_fmt(view.fan["p90"][year], view, lang)
        )
    return text


def forecast_chart(series_id: str, slug: str):
    def build(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
        view = series_view(con, series_id, scenario)
        title = t(f"market.chart.{series_id}.title", lang, horizon=max(view.years))
        source_line = _source_line(con, view, lang)
        return ChartSpec(
            slug=slug,
            title=title,
            takeaway=_takeaway(view, lang),
            figure=forecast_figure(con, view, scenario, lang, title=title, source_line=source_line),
            data=long_data(view, lang),
            source_line=source_line,
            assumptions=assumptions(series_id, scenario, view.unit, lang),
            native=_native(view, lang),
        )

    return build


CHARTS = (
    ChartDef("ai-server-market", "market", "market.chart.market.title", forecast_chart("market", "ai-server-market")),
    ChartDef("ai-server-shipments", "market", "market.chart.shipments.title", forecast_chart("shipments", "ai-server-shipments")),
    ChartDef(
        "cn-intelligent-compute", "intelligent_compute", "market.chart.icc.title", forecast_chart("icc", "cn-intelligent-compute")
    ),
)


# ---------------------------------------------------------------- saved scenarios side by side


def scenario_display_name(name: str, lang: str) -> str:
    return t("scenario.baseline", lang) if name == BASELINE_NAME else name


def compare_chart(
    con: duckdb.DuckDBPyConnection,
    series_id: str,
    scenarios: Mapping[str, Mapping[str, object]],
    lang: str,
    *,
    phase_bands: bool = False,
) -> ChartSpec:
    """One line per saved scenario (at most MAX_COMPARED) over the report's points, with their data as CSV."""
    if not scenarios:
        raise ValueError("choose at least one scenario to compare")
    if len(scenarios) > MAX_COMPARED:
        raise ValueError(f"at most {MAX_COMPARED} scenarios can be compared at once")
    views = {name: series_view(con, series_id, values) for name, values in scenarios.items()}
    first = next(iter(views.values()))
    years = sorted({y for v in views.values() for y in v.years})
    fig = go.Figure()
    rows = []
    for colour, (name, view) in zip(COMPARE_COLOURS, views.items(), strict=False):
        label = scenario_display_name(name, lang)
        path = _scaled(view.scenario, view, lang)
        # A saved scenario's name is anyone's text: the legend and hover draw it literally, never as a link.
        shown = textsafe.escape_plot_text(label)
        fig.add_trace(go.Scatter(x=path.index, y=path, mode="lines", name=shown, line={"color": colour, "width": 2.5}))
        rows += [(label, int(y), float(v)) for y, v in path.items()]
    stated = first.stated
    fig.add_trace(
        go.Scatter(
            x=stated["year"],
            y=_scaled(stated["value"], first, lang),
            mode="markers",
            name=series_label("report", series_id, lang),
            marker={"symbol": "diamond", "size": 12, "color": PALETTE["ink"]},
        )
    )
    title = t("market.compare.chart_title", lang, series=t(f"market.series.{series_id}", lang))
    source_line = _source_line(con, first, lang)
    fig = _layout(fig, con, first, lang, years=years, phase_bands=phase_bands, title=title, source_line=source_line)
    fig.update_layout(margin={"t": COMPARE_TOP_MARGIN_PX})  # one legend row
    unit = unit_label(first.unit, lang)
    long = pd.DataFrame(rows, columns=[t("market.csv.scenario", lang), t("market.csv.year", lang), t("market.csv.value", lang)])
    long[t("market.csv.unit", lang)] = unit
    last = max(years)
    ends = {name: v.scenario.get(last) for name, v in views.items()}
    top = max((n for n in ends if ends[n] is not None and not pd.isna(ends[n])), key=lambda n: ends[n], default=None)
    takeaway = (
        ""
        if top is None
        else t(
            "market.compare.takeaway", lang, name=scenario_display_name(top, lang), year=last, value=_fmt(ends[top], first, lang)
        )
    )
    return ChartSpec(slug=f"compare-{series_id}", title=title, takeaway=takeaway, figure=fig, data=long, source_line=source_line)  # fmt: skip


def compare_table(
    con: duckdb.DuckDBPyConnection, series_id: str, scenarios: Mapping[str, Mapping[str, object]], lang: str
) -> pd.DataFrame:
    """Side by side: the settings, then the value per year, one column per scenario."""
    views = {name: series_view(con, series_id, values) for name, values in scenarios.items()}
    first = next(iter(views.values()))
    unit, decimals = unit_label(first.unit, lang), _decimals(first.unit, lang)
    years = sorted({y for v in views.values() for y in v.years})
    year_rows = {y: t("market.compare.year_row", lang, year=y, unit=unit) for y in years}
    setting_rows = list(assumptions(series_id, {}, first.unit, lang))
    columns = {}
    for name, view in views.items():
        cells = dict(assumptions(series_id, scenarios[name], view.unit, lang))
        cells.update({year_rows[y]: f"{v:,.{decimals}f}" for y, v in _scaled(view.scenario, view, lang).items()})
        columns[scenario_display_name(name, lang)] = cells
    table = pd.DataFrame(columns).reindex(setting_rows + list(year_rows.values()))
    table.index.name = t("market.compare.row", lang)
    return table.fillna("—").reset_index()
