"""Market forecasts: AI server market size and shipments, China's intelligent compute.

For each series: the report's stated figures (points), the series they imply (derived rows + geometric
interpolation), the baseline (the scenario at the report's defaults), the user's scenario and a Monte Carlo
fan over its growth paths. The maths is in `analysis.forecast`; this module reads the figures, applies the
scenario parameters and lays the result out as tables for people and CSV.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import duckdb
import pandas as pd

from analysis import data, later
from analysis.db import query
from analysis.forecast import GrowthScenario, interpolate_path, project
from analysis.format import column_decimals, format_figure, scaled, shown_value
from analysis.i18n import t
from analysis.scenario import Param
from analysis.tables import AlignedTable, aligned_table

HORIZON_MIN, HORIZON_MAX, HORIZON_DEFAULT = 2026, 2032, 2030
BASE_YEAR_MIN, BASE_YEAR_MAX = 2020, 2030
CAGR_MAX_PERCENT = 80
SPREAD_MAX_PP, SPREAD_DEFAULT_PP = 20, 5.0  # the spread is our assumption: the report gives none
DIFF_DECIMALS = 1


@dataclass(frozen=True)
class SeriesDef:
    """One forecast series; the defaults are the report's figures (a test checks them against figures.csv)."""

    series_id: str
    prefix: str  # of its scenario parameters
    page_id: str
    metric: str
    entity: str
    cagr_figure: str  # the printed CAGR the slider starts from
    base_figure: str  # the figure the scenario line passes through at the defaults
    default_cagr: float
    default_base_year: int
    default_base_value: float
    base_value_max: float
    base_value_step: float
    supplementary: bool = False
    cagr_window_end: int = 0  # the last year of the printed CAGR's window: where later figures are read for its update

    def param(self, name: str) -> str:
        return f"{self.prefix}_{name}"


SERIES: dict[str, SeriesDef] = {
    s.series_id: s
    for s in (
        # IDC: 317.9亿美元 in 2025, CAGR 19 %; the scenario pivots on the printed 2025 value.
        SeriesDef("market", "mkt", "market", "ai_server_market_size", "global", "global_ai_server_market_cagr",
                  "global_ai_server_market_2025", 19.0, 2025, 317.9, 2000.0, 0.1, cagr_window_end=2025),
        # TrendForce: CAGR 22 % for 2022–2026 runs from the 2022 base implied by +38.4 % (a derived row).
        SeriesDef("shipments", "ship", "market", "ai_server_shipments", "global", "global_ai_server_shipments_cagr",
                  "global_ai_server_shipments_2022_derived", 22.0, 2022, 86.71, 1000.0, 0.01, cagr_window_end=2026),
        # IDC/Inspur (supplementary): 155.2 EFLOPS in 2021, CAGR 52.3 % for 2021–2026.
        SeriesDef("icc", "icc", "intelligent_compute", "intelligent_compute_capacity", "CN", "cn_intelligent_compute_cagr",
                  "cn_intelligent_compute_2021", 52.3, 2021, 155.2, 20000.0, 0.1, supplementary=True,
                  cagr_window_end=2026),
    )
}  # fmt: skip


def _series_params(s: SeriesDef) -> tuple[Param, ...]:
    common = {"page_id": s.page_id}
    return (
        Param(s.param("cagr"), s.default_cagr, min_value=0, max_value=CAGR_MAX_PERCENT, step=0.5, unit="%",
              label_key=f"market.param.{s.param('cagr')}", help_key="market.help.cagr", **common),
        Param(s.param("base_year"), s.default_base_year, kind="int", is_year=True, min_value=BASE_YEAR_MIN, max_value=BASE_YEAR_MAX,
              step=1, label_key=f"market.param.{s.param('base_year')}", help_key="market.help.base_year", **common),
        Param(s.param("base_value"), s.default_base_value, min_value=s.base_value_step, max_value=s.base_value_max,
              step=s.base_value_step, label_key=f"market.param.{s.param('base_value')}", help_key="market.help.base_value",
              **common),
        Param(s.param("horizon"), HORIZON_DEFAULT, kind="int", is_year=True, min_value=HORIZON_MIN, max_value=HORIZON_MAX, step=1,
              label_key=f"market.param.{s.param('horizon')}", help_key="market.help.horizon", **common),
        Param(s.param("spread"), SPREAD_DEFAULT_PP, min_value=0, max_value=SPREAD_MAX_PP, step=0.5, unit="",
              label_key=f"market.param.{s.param('spread')}", help_key="market.help.spread", **common),
    )  # fmt: skip


PARAMS: tuple[Param, ...] = tuple(p for s in SERIES.values() for p in _series_params(s))
SETTING_NAMES = ("cagr", "base_year", "base_value", "horizon", "spread")


def series_def(series_id: str) -> SeriesDef:
    if series_id not in SERIES:
        raise ValueError(f"unknown series {series_id!r}; expected one of {', '.join(SERIES)}")
    return SERIES[series_id]


def settings(series_id: str, scenario: Mapping[str, object] | None = None) -> dict[str, float]:
    """This series' five settings from a scenario (missing ones at their defaults)."""
    s = series_def(series_id)
    defaults = {p.name: p.default for p in _series_params(s)}
    chosen = {**defaults, **{k: v for k, v in (scenario or {}).items() if k in defaults}}
    return {name: chosen[s.param(name)] for name in SETTING_NAMES}


# ---------------------------------------------------------------- data


def series_figures(con: duckdb.DuckDBPyConnection, series_id: str) -> pd.DataFrame:
    """The series' yearly figures (stated and derived), with year as a number."""
    s = series_def(series_id)
    rows = data.figures(con, metrics=[s.metric])
    rows = rows[(rows["entity"] == s.entity) & rows["period"].str.fullmatch(r"\d{4}", na=False)].copy()
    rows["year"] = rows["period"].astype(int)
    return rows.sort_values("year").reset_index(drop=True)


def unit_row(con: duckdb.DuckDBPyConnection, unit_id: str) -> dict:
    return query(con, "SELECT * FROM units WHERE unit_id = ?", [unit_id]).iloc[0].to_dict()


def series_unit_row(con: duckdb.DuckDBPyConnection, series_id: str) -> dict:
    """The unit the series is stored in (the metric's unit), with its print formats."""
    sql = "SELECT u.* FROM metrics m JOIN units u ON u.unit_id = m.unit WHERE m.metric_id = ?"
    return query(con, sql, [series_def(series_id).metric]).iloc[0].to_dict()


def display_scale(unit: Mapping, lang: str) -> float:
    """Stored value × scale = the number printed in `lang` (亿美元 → USD bn in English)."""
    return float(unit["en_scale"]) if lang == "en" else 1.0


def unit_label(unit: Mapping, lang: str) -> str:
    """The unit as an axis or column label, from the units table's print format ("USD {v} bn" → "USD bn")."""
    return " ".join(unit[f"format_{lang}"].replace("{v}", " ").split())


@dataclass(frozen=True)
class SeriesView:
    """Everything a chart or table of one series shows, in stored units, indexed by year."""

    series: SeriesDef
    figures: pd.DataFrame  # stated and derived rows
    derived: pd.Series  # the path the report's figures imply (stated + derived anchors, interpolated)
    baseline: pd.Series  # the scenario at the report's defaults
    scenario: pd.Series
    fan: pd.DataFrame  # p10 / p50 / p90 from the base year to the horizon; empty if the base is after it
    settings: Mapping[str, float]
    unit: Mapping
    imported: pd.DataFrame = field(default_factory=pd.DataFrame)  # year, value (series unit), version_name, source
    show_report: bool = True  # False when the user asks for imported figures only
    later: pd.DataFrame = field(default_factory=pd.DataFrame)  # later.series_later rows; empty when the layer is off

    @property
    def vintages(self) -> list[later.Vintage]:
        return later.vintages(self.later) if not self.later.empty else []

    @property
    def stated(self) -> pd.DataFrame:
        return self.figures[self.figures["kind"] != "derived"]

    @property
    def derived_figures(self) -> pd.DataFrame:
        return self.figures[self.figures["kind"] == "derived"]

    @property
    def years(self) -> list[int]:
        return list(self.scenario.index)


def imported_actuals(con: duckdb.DuckDBPyConnection, series_id: str) -> pd.DataFrame:
    """Active imported figures of this series (same metric and entity, a single year), in the series' unit.

    Imports may use another unit of the same dimension (units rather than 万台); values are converted
    through the units table's `to_dimension_base`.
    """
    from analysis.imports import active_imported_figures

    s = series_def(series_id)
    rows = active_imported_figures(con)
    columns = ["year", "value", "version_name", "source", "figure_id"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = rows[(rows["metric"] == s.metric) & (rows["entity"] == s.entity)]
    rows = rows[rows["period"].astype(str).str.fullmatch(r"\d{4}", na=False)]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    base = query(con, "SELECT unit_id, to_dimension_base FROM units").set_index("unit_id")["to_dimension_base"]
    target = float(base[series_unit_row(con, series_id)["unit_id"]])
    return pd.DataFrame(
        {
            "year": rows["period"].astype(int).to_numpy(),
            "value": (rows["value"].astype(float) * rows["unit"].map(base).astype(float) / target).to_numpy(),
            "version_name": rows["version_name"].to_numpy(),
            "source": rows["producer_en"].to_numpy(),
            "figure_id": rows["figure_id"].to_numpy(),
        }
    ).sort_values("year", ignore_index=True)


@dataclass(frozen=True)
class ReportPath:
    """The one path the report's figures imply for a series: the card, the pages' dashed line, the API and the
    deck all read it from `report_path`.

    It passes through every figure of the series (printed where printed, e.g. 接近120万台 for 2023; derived
    anchors such as the 2022 base 120 ÷ 1.384 where the report printed none) and grows geometrically between
    them, up to the report's own horizon. Past the horizon it is extended at the printed CAGR: drawn, never scored.
    """

    series: SeriesDef
    values: pd.Series  # by year, in the series' unit: the path to the horizon, then the extension
    anchors: pd.DataFrame  # the figures rows it passes through (stated and derived), by year
    horizon: int  # the last year the report forecast for this series

    @property
    def within_horizon(self) -> pd.Series:
        return self.values[self.values.index <= self.horizon]

    @property
    def supplementary(self) -> bool:
        return self.series.supplementary

    def basis(self, year: int) -> str | None:
        """ "printed" (an anchor the source printed), "derived" (our arithmetic), "extended" (past the horizon)."""
        if year not in self.values.index:
            return None
        if year > self.horizon:
            return "extended"
        printed = self.anchors[(self.anchors["year"] == year) & (self.anchors["kind"] != "derived")]
        return "printed" if not printed.empty else "derived"

    def start_anchor(self, year: int) -> dict:
        """The anchor the path runs from for `year`: the last anchor before it (the base a derived value starts
        from); the anchor itself when the year is printed or is the path's first."""
        year = min(year, self.horizon)
        if self.basis(year) == "printed" or year == int(self.anchors["year"].min()):
            return self.anchors[self.anchors["year"] == year].iloc[0].to_dict()
        return self.anchors[self.anchors["year"] < year].iloc[-1].to_dict()

    def growth_percent(self) -> pd.Series:
        """Year-on-year growth of the path, in percent (derived), for every year after its first."""
        return ((self.values / self.values.shift(1) - 1) * 100).dropna()


def report_path(con: duckdb.DuckDBPyConnection, series_id: str, *, until: int | None = None) -> ReportPath:
    """The series' report path to its horizon, extended at the printed CAGR to `until` (unscored past the horizon)."""
    s = series_def(series_id)
    figures = series_figures(con, series_id)
    path = interpolate_path(dict(zip(figures["year"], figures["value"], strict=True)))
    horizon = s.cagr_window_end or int(path.index.max())
    path = path[path.index <= horizon]
    end = float(path[horizon])
    extension = {y: project(end, s.default_cagr, y - horizon) for y in range(horizon + 1, (until or horizon) + 1)}
    values = pd.concat([path, pd.Series(extension, dtype=float)]).rename("value").rename_axis("year")
    anchors = figures.drop_duplicates("year", keep="first").reset_index(drop=True)
    return ReportPath(series=s, values=values, anchors=anchors, horizon=horizon)


def series_view(con: duckdb.DuckDBPyConnection, series_id: str, scenario: Mapping[str, object] | None = None) -> SeriesView:
    s = series_def(series_id)
    layer = str((scenario or {}).get("imports_layer", "both"))
    figures = series_figures(con, series_id)
    chosen = settings(series_id, scenario)
    baseline_settings = settings(series_id)
    derived = report_path(con, series_id).within_horizon  # the dashed line: the same path the report card scores against
    first = min(int(derived.index.min()), int(chosen["base_year"]))
    years = range(first, int(chosen["horizon"]) + 1)
    path = GrowthScenario(int(chosen["base_year"]), chosen["base_value"], chosen["cagr"], spread_pp=chosen["spread"])
    reference = GrowthScenario(int(baseline_settings["base_year"]), baseline_settings["base_value"], baseline_settings["cagr"])
    fan = path.simulate(int(chosen["horizon"])).percentiles() if chosen["base_year"] <= chosen["horizon"] else pd.DataFrame()
    return SeriesView(
        series=s,
        figures=figures,
        derived=derived,
        baseline=reference.path(years),
        scenario=path.path(years),
        fan=fan,
        settings=chosen,
        unit=unit_row(con, figures["unit"].iloc[0]),
        imported=imported_actuals(con, series_id) if layer != "report" else pd.DataFrame(columns=["year", "value"]),
        show_report=layer != "imported",
        later=series_later(con, series_id) if (scenario or {}).get(later.LAYER_PARAM, True) else pd.DataFrame(),
    )


def series_later(con: duckdb.DuckDBPyConnection, series_id: str) -> pd.DataFrame:
    """The later figures of this series, in its unit (see analysis.later)."""
    s = series_def(series_id)
    return later.series_later(con, s.metric, s.entity, series_unit_row(con, series_id)["unit_id"])


def implied_growth(con: duckdb.DuckDBPyConnection, series_id: str, scenario: Mapping[str, object] | None = None):
    """The CAGR that carries the scenario's base point to the best later figure for the end of the printed
    CAGR's window: the report's growth re-run with what is known now."""
    s = series_def(series_id)
    chosen = settings(series_id, scenario)
    return later.implied_cagr(
        series_later(con, series_id),
        base_year=int(chosen["base_year"]),
        base_value=float(chosen["base_value"]),
        end_year=s.cagr_window_end,
    )


# ---------------------------------------------------------------- tables


def _decimals(unit: Mapping, lang: str) -> int:
    # Two decimals in the stored unit, more when English prints a larger unit (亿美元 → USD bn: three).
    return 2 + max(0, round(-math.log10(display_scale(unit, lang))))


def series_label(code: str, series_id: str, lang: str) -> str:
    """Legend and CSV name of one line: report / derived / baseline / scenario / p10 / p50 / p90."""
    if code in ("report", "derived") and series_def(series_id).supplementary:
        return t(f"market.line.{code}_supplementary", lang)
    return t(f"market.line.{code}", lang)


TABLE_COLUMNS = ("baseline", "scenario", "difference", "difference_percent", "p10", "p50", "p90", "report", "derived")


def forecast_table(
    con: duckdb.DuckDBPyConnection, series_id: str, scenario: Mapping[str, object] | None, lang: str
) -> pd.DataFrame:
    """Per year: baseline, scenario, their difference (absolute and percent), the fan's percentiles, then the
    stated figure and the derived series for reference."""
    return _forecast_table(con, series_id, scenario, lang)[0]


def _forecast_table(
    con: duckdb.DuckDBPyConnection, series_id: str, scenario: Mapping[str, object] | None, lang: str
) -> tuple[pd.DataFrame, str]:
    """`forecast_table` and the unit its figures are in (as printed in `lang`)."""
    view = series_view(con, series_id, scenario)
    scale, unit = display_scale(view.unit, lang), unit_label(view.unit, lang)
    stated = view.stated.set_index("year")["value"]
    computed = [*view.baseline, *view.scenario, *view.derived, *(v for c in view.fan for v in view.fan[c])]
    decimals = column_decimals([v * scale for v in computed], [scaled(v, scale) for v in stated])
    wide = pd.DataFrame(index=pd.Index(view.years, name="year"))
    wide["report"] = stated.reindex(wide.index)
    wide["derived"] = view.derived.reindex(wide.index)
    wide["baseline"] = view.baseline
    wide["scenario"] = view.scenario
    wide["difference"] = wide["scenario"] - wide["baseline"]
    wide = (wide * scale).round(decimals)
    wide["difference_percent"] = ((view.scenario / view.baseline - 1) * 100).round(DIFF_DECIMALS)
    for column in ("p10", "p50", "p90"):
        fan = view.fan[column] if column in view.fan else pd.Series(dtype=float)
        wide[column] = (fan.reindex(wide.index) * scale).round(decimals)
    wide = wide[list(TABLE_COLUMNS)]
    headers = {"year": t("chart.year", lang), "difference_percent": t("market.column.difference_percent", lang)}
    for code in ("report", "derived", "baseline", "scenario", "difference", "p10", "p50", "p90"):
        name = t("market.column.difference", lang) if code == "difference" else series_label(code, series_id, lang)
        headers[code] = t("market.column.with_unit", lang, name=name, unit=unit)
    return wide.reset_index().rename(columns=headers), unit


def forecast_table_aligned(
    con: duckdb.DuckDBPyConnection, series_id: str, scenario: Mapping[str, object] | None, lang: str
) -> AlignedTable:
    """`forecast_table` as the page shows it (`analysis.tables.aligned_table`), for a cache to keep formatted:
    with short column labels, the unit said once in the heading (`unit`)."""
    table, unit = _forecast_table(con, series_id, scenario, lang)
    aligned = aligned_table(table)
    short = {"year": t("chart.year", lang)}
    for code in TABLE_COLUMNS:
        supplementary = code in ("report", "derived") and series_def(series_id).supplementary
        short[code] = t(f"market.column_short.{code}{'_supplementary' if supplementary else ''}", lang)
    labels = dict(zip(table.columns, [short["year"], *(short[c] for c in TABLE_COLUMNS)], strict=True))
    return replace(aligned, labels=labels, unit=unit)


LINE_CODES = ("report", "imported", "derived", "baseline", "scenario", "p10", "p50", "p90")


# A later figure's comparability with the report's series, as the chart CSVs and API tables name it.
LATER_COMPARABILITY_CODES = {
    "comparable": "comparable",
    "definitional_break": "definition_changed",
    "different_method": "another_definition",
    "rebased": "rebased",  # a later edition re-based the series (issue 24): its arithmetic is in the figure's note
}
LONG_DATA_COLUMNS = (
    "year", "line", "line_code", "value", "unit", "figure_id", "edition", "comparability", "document", "url",
)  # fmt: skip


def long_data(view: SeriesView, lang: str) -> pd.DataFrame:
    """The chart's data as CSV: one row per year and line, with a column naming the line; a later figure's row
    also gives its edition, its comparability (comparable, definition_changed, another_definition), its
    document and URL."""
    scale, unit = display_scale(view.unit, lang), unit_label(view.unit, lang)
    decimals = _decimals(view.unit, lang)
    lines = {
        "report": view.stated.set_index("year")["value"] if view.show_report else pd.Series(dtype=float),
        "imported": view.imported.set_index("year")["value"] if not view.imported.empty else pd.Series(dtype=float),
        "derived": view.derived,
        "baseline": view.baseline,
        "scenario": view.scenario,
        **{code: view.fan[code] for code in ("p10", "p50", "p90") if code in view.fan},
    }
    ids = {
        "report": dict(zip(view.stated["year"], view.stated["figure_id"], strict=True)),
        "derived": dict(zip(view.derived_figures["year"], view.derived_figures["figure_id"], strict=True)),
        "imported": dict(zip(view.imported.get("year", []), view.imported.get("figure_id", []), strict=True)),
    }
    rows = []
    for code, values in lines.items():
        for year, value in values.items():
            figure_id = ids.get(code, {}).get(year, "")
            rows.append(
                (
                    int(year),
                    series_label(code, view.series.series_id, lang),
                    code,
                    round(value * scale, decimals),
                    unit,
                    figure_id,
                    "",
                    "",
                    "",
                    "",
                )
            )
    for row in view.later.to_dict("records") if not view.later.empty else []:
        publisher = row["publisher_zh"] if lang == "zh" else row["publisher_en"]
        label = t("later.legend.vintage", lang, vintage=f"{publisher} · {later.date_text(row['edition'], lang)}")
        rows.append(
            (
                int(row["year"]),
                label,
                "later",
                round(row["value_series"] * scale, decimals),
                unit,
                row["later_id"],
                row["edition"],
                LATER_COMPARABILITY_CODES.get(row["comparability"], row["comparability"]),
                row["document"],
                row["url"],
            )
        )
    columns = [t(f"market.csv.{c}", lang) for c in LONG_DATA_COLUMNS]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- notes under the charts

# Which figures each note quotes; the numbers come from the database, the wording from the catalogs.
NOTE_FIGURES = {
    "market": {
        "value": "global_ai_server_market_2025",
        "cagr": "global_ai_server_market_cagr",
        "base": "global_ai_server_market_2021_derived",
    },
    "shipments": {
        "value": "global_ai_server_shipments_2023",
        "yoy": "global_ai_server_shipments_yoy_2023",
        "cagr": "global_ai_server_shipments_cagr",
        "base": "global_ai_server_shipments_2022_derived",
        "end": "global_ai_server_shipments_2026_derived",
        "implied": "global_ai_server_shipments_cagr_2023_2026_derived",
    },
    "icc": {
        "cagr": "cn_intelligent_compute_cagr",
        "implied": "cn_intelligent_compute_cagr_2022_2026_derived",
    },
}


def series_note(con: duckdb.DuckDBPyConnection, series_id: str, lang: str) -> str:
    """How the dashed line is derived, with the figures it uses (each number read from the database)."""

    wanted = NOTE_FIGURES[series_def(series_id).series_id]
    rows = data.figures(con, figure_ids=list(wanted.values())).set_index("figure_id")
    values = {}
    for role, figure_id in wanted.items():
        row = rows.loc[figure_id]
        if row["kind"] == "derived":  # our arithmetic: rounded as every computed value is (1.92 million, 17.0%)
            row = row.copy()
            row["value"] = shown_value(row["value"], row["unit"])
        values[role] = format_figure(row, row, lang)
        values[f"{role}_period"] = str(row["period"]).replace("-", "–")
        values[f"{role}_id"] = figure_id
    return t(f"market.note.{series_id}", lang, **values)
