"""Forecast vs actual: the report's dated forecasts beside imported actuals, and an import's diff.

A forecast and an actual match when metric, entity, segment and period are the same, the forecast
is of kind `forecast` in the report and the actual of kind `reported` in an active import. An actual
printed in another unit of the same dimension (亿美元 vs 美元) is converted with units.to_dimension_base;
units without a conversion are compared only when they are the same unit. A range (value_low–value_high)
is compared at its midpoint, and the scorecard says whether the actual fell inside it.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from analysis import data, imports
from analysis.db import query
from analysis.format import format_figure, format_number, is_blank
from analysis.i18n import t
from analysis.tables import figure_label

MATCH_KEYS = ("metric", "entity", "segment", "period")
PERCENT_UNIT = "percent"  # differences of percentages are percentage points, not percent


def point_value(row) -> float | None:
    """The value, or the midpoint of value_low–value_high."""
    if not is_blank(row["value"]):
        return float(row["value"])
    if not is_blank(row["value_low"]) and not is_blank(row["value_high"]):
        return (float(row["value_low"]) + float(row["value_high"])) / 2
    return None


def unit_factors(con: duckdb.DuckDBPyConnection) -> dict[str, float | None]:
    frame = query(con, "SELECT unit_id, to_dimension_base FROM units")
    return {r.unit_id: (None if is_blank(r.to_dimension_base) else float(r.to_dimension_base)) for r in frame.itertuples()}


def convert(value: float | None, from_unit: str, to_unit: str, factors: dict[str, float | None]) -> float | None:
    """`value` in `from_unit` expressed in `to_unit`; None when the units cannot be compared."""
    if value is None:
        return None
    if from_unit == to_unit:
        return value
    a, b = factors.get(from_unit), factors.get(to_unit)
    return None if a is None or b is None else value * a / b


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(segment=frame["segment"].fillna(""), period=frame["period"].fillna(""))


def _errors(actual: float | None, reference: float | None) -> tuple[float | None, float | None]:
    if actual is None or reference is None:
        return None, None
    error = actual - reference
    return error, (error / abs(reference) * 100 if reference else None)


def scorecard(con: duckdb.DuckDBPyConnection, revision: int | None = None) -> pd.DataFrame:
    """One row per (report forecast, imported actual) pair; empty until an import brings an actual.

    Columns: the match keys and names; forecast_* and actual_* (value, unit, row); actual_converted
    (the actual in the forecast's unit); error (actual − forecast, forecast's unit); error_percent
    (of the forecast); in_range (for a forecast range). `revision` only keys caches.
    """
    forecasts = data.figures(con, kinds=["forecast"])
    forecasts = _keyed(forecasts[forecasts["period"].notna()])
    actuals = imports.active_imported_figures(con)
    actuals = _keyed(actuals[actuals["kind"] == "reported"])
    pairs = forecasts.merge(actuals, on=list(MATCH_KEYS), suffixes=("_forecast", "_actual"))
    factors = unit_factors(con)
    records = []
    for pair in pairs.to_dict("records"):
        forecast = point_value({k: pair[f"{k}_forecast"] for k in ("value", "value_low", "value_high")})
        actual = point_value({k: pair[f"{k}_actual"] for k in ("value", "value_low", "value_high")})
        converted = convert(actual, pair["unit_actual"], pair["unit_forecast"], factors)
        error, error_percent = _errors(converted, forecast)
        low, high = pair["value_low_forecast"], pair["value_high_forecast"]
        ranged = is_blank(pair["value_forecast"]) and converted is not None and not is_blank(low)
        records.append(
            pair | {"forecast": forecast, "actual": actual, "actual_converted": converted, "error": error,
                    "error_percent": error_percent, "in_range": (low <= converted <= high) if ranged else None}
        )  # fmt: skip
    return pd.DataFrame(
        records, columns=[*pairs.columns, "forecast", "actual", "actual_converted", "error", "error_percent", "in_range"]
    )


def _side(pair: dict, side: str) -> dict:
    """The forecast or actual half of a merged row, under the figure column names format_figure reads."""
    names = ("value", "value_low", "value_high", "qualifier", "unit", "format_zh", "format_en", "en_scale")
    return (
        {n: pair[f"{n}_{side}"] for n in names}
        | {k: pair[k] for k in MATCH_KEYS}
        | {
            f"{b}_{lang}": pair[f"{b}_{lang}_{side}"] if f"{b}_{lang}_{side}" in pair else pair[f"{b}_{lang}"]
            for b in ("metric", "entity")
            for lang in ("zh", "en")
        }
    )


def format_difference(value: float | None, unit_row, lang: str) -> str:
    """'+1.2 万台', '−3.4 pp'; '—' when the two cannot be compared."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sign = "+" if value > 0 else ""
    if unit_row["unit"] == PERCENT_UNIT:
        return t("scorecard.points", lang, value=f"{sign}{value:.4g}")
    return sign + format_number(round(value, 10), unit_row, lang)


def format_percent(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:+.1f}%"


def scorecard_display(card: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Human columns: figure, forecast and its source, actual and its source, error and error in percent."""
    rows = []
    for pair in card.to_dict("records"):
        forecast, actual = _side(pair, "forecast"), _side(pair, "actual")
        producer = pair[f"producer_{lang}_forecast"]
        rows.append(
            {
                t("scorecard.figure", lang): figure_label(forecast, lang),
                t("scorecard.forecast", lang): format_figure(forecast, forecast, lang),
                t("scorecard.forecast_source", lang): f"{producer} ·「{pair['report_section_forecast']}」"
                if pair["origin_forecast"] == "report"
                else producer,
                t("scorecard.actual", lang): format_figure(actual, actual, lang),
                t("scorecard.actual_source", lang): f"{pair['citation_actual']} · {pair['version_name']}",
                t("scorecard.error", lang): format_difference(pair["error"], forecast, lang),
                t("scorecard.error_percent", lang): format_percent(pair["error_percent"]),
            }
        )
    return pd.DataFrame(rows, columns=[t(f"scorecard.{c}", lang) for c in _DISPLAY_COLUMNS])


_DISPLAY_COLUMNS = ("figure", "forecast", "forecast_source", "actual", "actual_source", "error", "error_percent")


# ---------------------------------------------------------------- an import's diff against current values


def _value_and_kind(figure: dict, lang: str) -> str:
    return t("imports.value_and_kind", lang, value=format_figure(figure, figure, lang), kind=t("kind." + figure["kind"], lang))


def import_diff(con: duckdb.DuckDBPyConnection, check: imports.ImportCheck, lang: str) -> pd.DataFrame:
    """For each row of a checked file: the value now shown for the same figure, where it comes from, and the change.

    Same figure_id in an active import: the import would replace it (a correction). Same metric, entity,
    segment and period in the report: shown beside the report's value. Otherwise: a new figure.
    """
    new = imports.as_figures(con, imports.check_rows(check))
    current_imports = imports.active_imported_figures(con)
    factors = unit_factors(con)
    by_id = {r["figure_id"]: r for r in current_imports.to_dict("records")}
    # One hash join on the match keys, not a filter of the report per row: a 2 MB file has ~15,000 rows.
    by_key: dict[tuple, list[dict]] = {}
    for figure in _keyed(data.figures(con)).to_dict("records"):
        by_key.setdefault(tuple(figure[k] for k in MATCH_KEYS), []).append(figure)
    rows = []
    for row in _keyed(new).to_dict("records"):
        if row["figure_id"] in by_id:
            current, status = (
                [by_id[row["figure_id"]]],
                t("imports.diff_replaces", lang, version=by_id[row["figure_id"]]["version_name"]),
            )
        else:
            current = by_key.get(tuple(row[k] for k in MATCH_KEYS), [])
            status = t("imports.diff_beside_report", lang) if current else t("imports.diff_new", lang)
        change = "—"
        if len(current) == 1:
            error, percent = _errors(convert(point_value(row), row["unit"], current[0]["unit"], factors), point_value(current[0]))
            if error == 0:
                change = t("imports.unchanged", lang)
            elif error is not None:
                change = t(
                    "imports.change", lang, difference=format_difference(error, current[0], lang), percent=format_percent(percent)
                )
        rows.append(
            {
                t("scorecard.figure", lang): figure_label(row, lang),
                t("imports.diff_value", lang): format_figure(row, row, lang),
                t("imports.diff_kind", lang): t(f"kind.{row['kind']}", lang),
                t("imports.diff_current", lang): "; ".join(_value_and_kind(c, lang) for c in current) or "—",
                t("imports.diff_status", lang): status,
                t("imports.diff_change", lang): change,
                t("column.figure_id", lang): row["figure_id"],
            }
        )
    return pd.DataFrame(rows)


def awaiting_actuals(con: duckdb.DuckDBPyConnection, revision: int | None = None) -> pd.DataFrame:
    """The report's dated forecasts that no active import has an actual for yet (figures shape)."""
    forecasts = data.figures(con, kinds=["forecast"])
    forecasts = forecasts[forecasts["period"].notna()]
    matched = set(scorecard(con)["figure_id_forecast"])
    return forecasts[~forecasts["figure_id"].isin(matched)].reset_index(drop=True)


# ---------------------------------------------------------------- the report card: the report against later figures

MET_TOLERANCE_PERCENT = 5.0  # within ±5% a forecast counts as met: the report's own figures are rounded (接近120万台)
CARD_KINDS = ("reported", "estimate", "forecast")
# The series the card reads, in reading order: (verdict group, metric, entity). A group's verdict covers its metrics.
CARD_SERIES = (
    ("shipments", "ai_server_shipments", "global"),
    ("shipments", "ai_server_shipments_yoy", "global"),
    ("market", "ai_server_market_size", "global"),
    ("icc", "intelligent_compute_capacity", "CN"),
)
# Level series whose report path (the baseline: the printed CAGR through the printed base) scores later
# figures for years the report printed no forecast of.
PATH_SERIES = {"ai_server_shipments": "shipments", "ai_server_market_size": "market", "intelligent_compute_capacity": "icc"}


def _unit_rows(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    return {r["unit_id"]: r for r in query(con, "SELECT * FROM units").to_dict("records")}


def report_card(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per (report figure or report path, later figure) of the same series and year.

    basis "forecast": the report printed a forecast for that year; basis "path": it did not, and the later
    figure is set against the report's CAGR path (derived, labelled as such). Values are in the report
    series' unit; error = later − report; error_percent of the report's value (None for percentages, whose
    difference is in percentage points, and for a later figure of another definition).
    """
    from analysis import later, market

    units = _unit_rows(con)
    factors = unit_factors(con)
    records = []
    for group, metric, entity in CARD_SERIES:
        report = data.figures(con, metrics=[metric])
        report = report[(report["entity"] == entity) & report["period"].str.fullmatch(r"\d{4}", na=False)]
        forecasts = {int(r["period"]): r for r in report[report["kind"] == "forecast"].to_dict("records")}
        unit_id = market.series_unit_row(con, group)["unit_id"] if metric in PATH_SERIES else report["unit"].iloc[0]
        rows = later.series_later(con, metric, entity, unit_id)
        path = market.series_view(con, group, {later.LAYER_PARAM: False}).baseline if metric in PATH_SERIES else None
        for row in rows.to_dict("records"):
            year = int(row["year"])
            figure = forecasts.get(year)
            if figure is not None:
                basis = "forecast"
                reference = convert(point_value(figure), figure["unit"], unit_id, factors)
            elif path is not None and year in path.index:
                reference, basis, figure = float(path[year]), "path", None
            else:
                continue
            comparable = row["comparability"] == later.COMPARABLE
            error, error_percent = _errors(row["value_series"], reference) if comparable else (None, None)
            if units[unit_id]["unit_id"] == PERCENT_UNIT:
                error_percent = None
            records.append(
                {
                    "group": group, "metric": metric, "entity": entity, "year": year, "basis": basis,
                    "report_value": reference, "unit": unit_id, "report_figure_id": None if figure is None else figure["figure_id"],
                    "report_printed": None if figure is None else figure["printed"],
                    "report_qualifier": "none" if figure is None else figure["qualifier"],
                    "report_source": None if figure is None else _report_source(figure),
                    "later_id": row["later_id"], "later_value": row["value_series"], "later_kind": row["kind"],
                    "later_value_as_printed": row["value"], "later_unit": row["unit"], "later_qualifier": row["qualifier"],
                    "publisher_zh": row["publisher_zh"], "publisher_en": row["publisher_en"], "edition": row["edition"],
                    "published_on": row["published_on"], "url": row["url"], "quote": row["quote"], "document": row["document"],
                    "comparability": row["comparability"], "secondary": bool(row["secondary"]), "note": row["note"],
                    "error": error, "error_percent": error_percent,
                }
            )  # fmt: skip
    return pd.DataFrame(records)


def _report_source(figure: dict) -> str:
    return f"{figure['producer_en']} · {figure['report_section']}" if figure["origin"] == "report" else figure["citation"]


def _rank(card: pd.DataFrame) -> pd.DataFrame:
    order = {k: i for i, k in enumerate(CARD_KINDS)}
    return card.assign(_rank=card["later_kind"].map(order)).sort_values(
        ["year", "_rank", "published_on"], ascending=[True, True, False], kind="stable"
    )


def _judgement(error_percent: float, basis: str, lang: str) -> str:
    if abs(error_percent) <= MET_TOLERANCE_PERCENT:
        return t(f"card.met.{basis}", lang)
    return t(f"card.{'above' if error_percent > 0 else 'below'}.{basis}", lang, percent=f"{abs(error_percent):.0f}%")


def significant(value: float, digits: int = 4) -> float:
    """129.0592 -> 129.1: a verdict quotes numbers, not the arithmetic behind them."""
    return float(f"{value:.{digits}g}")


def _window_end(group: str) -> int:
    from analysis.market import SERIES

    return SERIES[group].cagr_window_end


def verdicts(con: duckdb.DuckDBPyConnection, card: pd.DataFrame, lang: str) -> dict[str, str]:
    """One line per series group: for each year its most telling later figure (an actual first, then the
    newest), met / above / below the report, and the years a definitional break leaves unscored."""
    units = _unit_rows(con)
    out = {}
    for group in dict.fromkeys(g for g, _, _ in CARD_SERIES):
        rows = card[(card["group"] == group) & (card["metric"].isin(PATH_SERIES))] if not card.empty else card
        if rows.empty:
            continue
        parts = []
        # The verdict stays within the window of the report's own CAGR; the table lists every pair.
        rows = rows[rows["year"] <= _window_end(group)]
        for year, same in _rank(rows).groupby("year", sort=True):
            scored = same[same["comparability"] == "comparable"]
            if scored.empty:
                if (same["comparability"] == "definitional_break").any():
                    parts.append(t("card.verdict_break", lang, year=year))
                continue
            best = scored.iloc[0]
            unit = units[best["unit"]]
            # Printed numbers keep their digits; a derived path value is rounded to what it can claim.
            reference = best["report_value"] if best["basis"] == "forecast" else significant(best["report_value"])
            later_side = {
                "value": round(float(best["later_value"]), 10),
                "value_low": None,
                "value_high": None,
                "qualifier": best["later_qualifier"],
            }
            report_side = {
                "value": round(float(reference), 10),
                "value_low": None,
                "value_high": None,
                "qualifier": best["report_qualifier"],
            }
            values = {
                "year": year,
                "later": format_figure(later_side, unit, lang),
                "report": format_figure(report_side, unit, lang),
                "judgement": _judgement(float(best["error_percent"]), best["basis"], lang),
                "kind": t(f"later.kind.{best['later_kind']}", lang),
            }
            key = "card.verdict_forecast" if best["basis"] == "forecast" else "card.verdict_path"
            parts.append(t(key, lang, **values))
        if parts:
            out[group] = t(f"card.series.{group}", lang) + t("card.colon", lang) + t("card.join", lang).join(parts)
    return out


def report_card_display(con: duckdb.DuckDBPyConnection, card: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The card for people: series, year, the report's side, the later side with its source, the error."""
    units = _unit_rows(con)
    rows = []
    for r in card.to_dict("records"):
        unit = units[r["unit"]]
        later_unit = units[r["later_unit"]]
        later_figure = {
            "value": r["later_value_as_printed"],
            "value_low": None,
            "value_high": None,
            "qualifier": r["later_qualifier"],
        }
        reference = r["report_value"] if r["basis"] == "forecast" else significant(r["report_value"], 5)
        report_figure = {
            "value": round(float(reference), 10),
            "value_low": None,
            "value_high": None,
            "qualifier": r["report_qualifier"],
        }
        report_text = format_figure(report_figure, unit, lang)
        report_side = t(f"card.basis.{r['basis']}", lang)
        if r["comparability"] != "comparable":
            error_text = t(f"later.comparability.{r['comparability']}", lang)
            percent_text = "—"
        else:
            error_text = format_difference(significant(r["error"]), {"unit": r["unit"], **unit}, lang)
            percent_text = format_percent(r["error_percent"])
        rows.append(
            {
                t("card.col.series", lang): t(f"card.series.{r['group']}", lang)
                + ("" if r["metric"] in PATH_SERIES else t("card.growth_suffix", lang)),
                t("card.col.year", lang): r["year"],
                t("card.col.report", lang): t("card.report_cell", lang, value=report_text, basis=report_side),
                t("card.col.later", lang): format_figure(later_figure, later_unit, lang),
                t("card.col.later_kind", lang): t(f"later.kind.{r['later_kind']}", lang),
                t("card.col.error", lang): error_text,
                t("card.col.error_percent", lang): percent_text,
                t("card.col.publisher", lang): f"{r['publisher_zh'] if lang == 'zh' else r['publisher_en']} · {r['edition']}",
                t("card.col.published_on", lang): r["published_on"],
                t("card.col.quote", lang): r["quote"],
                t("card.col.url", lang): r["url"],
                t("card.col.report_source", lang): r["report_source"] or t("card.path_source", lang),
                t("card.col.note", lang): r["note"] or "",
            }
        )
    return pd.DataFrame(rows, columns=[t(f"card.col.{c}", lang) for c in CARD_COLUMNS])


CARD_COLUMNS = (
    "series", "year", "report", "later", "later_kind", "error", "error_percent",
    "publisher", "published_on", "quote", "url", "report_source", "note",
)  # fmt: skip


def report_card_view(con: duckdb.DuckDBPyConnection, lang: str) -> tuple[dict[str, str], pd.DataFrame]:
    """The card's verdict lines and its table, ready for a page."""
    card = report_card(con)
    return verdicts(con, card, lang), report_card_display(con, card, lang)
