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
from analysis.format import format_figure, format_number, is_blank, shown_value
from analysis.i18n import t
from analysis.notes import note_text
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
    """The report's dated forecasts that have no scored actual yet (figures shape): neither an active import's
    nor a later actual the report card scores (so the page does not list what the card above already scores)."""
    forecasts = data.figures(con, kinds=["forecast"])
    forecasts = forecasts[forecasts["period"].notna()]
    matched = set(scorecard(con)["figure_id_forecast"]) | scored_by_later_actuals(con)
    return forecasts[~forecasts["figure_id"].isin(matched)].reset_index(drop=True)


def scored_by_later_actuals(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The report figures the report card scores against a later actual (a figure for a year already over)."""
    card = report_card(con)
    if card.empty:
        return set()
    scored = card[card["scored"] & (card["later_kind"] == "reported") & card["report_figure_id"].notna()]
    return set(scored["report_figure_id"])


# ---------------------------------------------------------------- the report card: the report against later figures

MET_TOLERANCE_PERCENT = 5.0  # within ±5% a forecast counts as met: the report's own figures are rounded (接近120万台)
CARD_KINDS = ("reported", "estimate", "forecast")  # a full-year actual before an in-year estimate before a forecast
LOWER_BOUNDS = ("more_than", "at_least")  # ">2.7 million": the figure says at least this much
UPPER_BOUNDS = ("at_most", "up_to")
# The series the card reads, in reading order: (verdict group, metric, entity). A group's verdict covers its metrics.
CARD_SERIES = (
    ("shipments", "ai_server_shipments", "global"),
    ("shipments", "ai_server_shipments_yoy", "global"),
    ("market", "ai_server_market_size", "global"),
    ("icc", "intelligent_compute_capacity", "CN"),
)
# Level series, scored against the report path (analysis.market.report_path) where the report printed no forecast.
PATH_SERIES = {"ai_server_shipments": "shipments", "ai_server_market_size": "market", "intelligent_compute_capacity": "icc"}
# Growth series, scored against the year-on-year growth of the same path (derived) where none was printed.
GROWTH_SERIES = {"ai_server_shipments_yoy": "shipments"}


def _unit_rows(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    return {r["unit_id"]: r for r in query(con, "SELECT * FROM units").to_dict("records")}


def bound_of(qualifier: str | None) -> str | None:
    """ "lower" for a figure printed as a lower bound (more than, at least), "upper" for an upper one, else None."""
    return "lower" if qualifier in LOWER_BOUNDS else "upper" if qualifier in UPPER_BOUNDS else None


def judge(relative_percent: float, bound: str | None) -> str:
    """met / above / below for a point; for a bound, only what the bound allows one to say.

    A lower bound well above the reference is "at least N% above"; one within the tolerance is "met or above";
    one below the reference says nothing against it ("within the bound"). Upper bounds mirror this.
    """
    tol = MET_TOLERANCE_PERCENT
    if bound == "lower":
        return "at_least_above" if relative_percent > tol else "met_or_above" if relative_percent >= -tol else "within_bound"
    if bound == "upper":
        return "at_most_below" if relative_percent < -tol else "met_or_below" if relative_percent <= tol else "within_bound"
    return "met" if abs(relative_percent) <= tol else "above" if relative_percent > 0 else "below"


def _publisher(rows: pd.DataFrame) -> tuple[str, str]:
    printed = rows[rows["kind"] != "derived"]
    first = (printed if not printed.empty else rows).iloc[0]
    return first["producer_zh"], first["producer_en"]


def _reference(metric: str, year: int, forecasts: dict, path, factors, unit_id: str):
    """(basis, report value, report figure or None) for one later figure's year; None when the card has no reference."""
    figure = forecasts.get(year)
    if figure is not None:
        return "forecast", convert(point_value(figure), figure["unit"], unit_id, factors), figure
    values = path.values if metric in PATH_SERIES else path.growth_percent()
    if year not in values.index:
        return None
    return ("extended" if year > path.horizon else "path"), float(values[year]), None


def report_card(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per (report figure or report path, later figure) of the same series and year.

    basis "forecast": the source printed a forecast for that year (`report_origin` says whether the report
    printed it or a supplementary source did); "path": it did not, and the later figure is set against the
    report path (analysis.market.report_path, derived); "extended": the year is past the report's own horizon,
    so the path is only extended there and nothing is scored. A later figure printed as a bound is scored as
    one (`bound`, `judgement`). `scored` is False, with `unscored_reason`, past the horizon and for a later
    figure of another definition. Values are in the report series' unit; error = later − report;
    error_percent of the report's value (None for percentages, whose difference is in percentage points).
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
        last_year = int(rows["year"].max()) if not rows.empty else None
        path = market.report_path(con, group, until=last_year)
        path_publisher = _publisher(path.anchors)
        for row in rows.to_dict("records"):
            year = int(row["year"])
            found = _reference(metric, year, forecasts, path, factors, unit_id)
            if found is None:
                continue
            basis, reference, figure = found
            origin = ("supplementary" if path.supplementary else "report") if figure is None else figure["origin"]
            publisher = path_publisher if figure is None else (figure["producer_zh"], figure["producer_en"])
            reason = (
                "past_horizon"
                if basis == "extended"
                else ("" if row["comparability"] == later.COMPARABLE else row["comparability"])
            )
            bound = bound_of(row["qualifier"])
            error, error_percent = _errors(row["value_series"], reference) if not reason else (None, None)
            relative = error_percent
            if units[unit_id]["unit_id"] == PERCENT_UNIT:
                error_percent = None
            anchor = path.start_anchor(year) if basis != "forecast" else None
            records.append(
                {
                    "group": group, "metric": metric, "entity": entity, "year": year, "basis": basis,
                    "report_origin": origin, "report_publisher_zh": publisher[0], "report_publisher_en": publisher[1],
                    "report_value": reference, "unit": unit_id, "report_figure_id": None if figure is None else figure["figure_id"],
                    "report_printed": None if figure is None else figure["printed"],
                    "report_qualifier": "none" if figure is None else figure["qualifier"],
                    "report_source": None if figure is None else _report_source(figure),
                    "path_base_figure_id": None if anchor is None else anchor["figure_id"],
                    "path_horizon": path.horizon,
                    "later_id": row["later_id"], "later_value": row["value_series"], "later_kind": row["kind"],
                    "later_value_as_printed": row["value"], "later_unit": row["unit"], "later_qualifier": row["qualifier"],
                    "publisher_zh": row["publisher_zh"], "publisher_en": row["publisher_en"], "edition": row["edition"],
                    "published_on": row["published_on"], "url": row["url"], "quote": row["quote"], "document": row["document"],
                    "comparability": row["comparability"], "secondary": bool(row["secondary"]), "note": row["note"],
                    "scored": not reason, "unscored_reason": reason, "bound": bound,
                    "judgement": None if reason or relative is None else judge(relative, bound),
                    "error": error, "error_percent": error_percent, "relative_percent": relative,
                }
            )  # fmt: skip
    if not records:
        return pd.DataFrame(records)
    # Reading order: series as listed, then year, then the oldest edition first (an unstated date first).
    order = {metric: i for i, (_, metric, _) in enumerate(CARD_SERIES)}
    frame = pd.DataFrame(records)
    frame = frame.assign(_order=frame["metric"].map(order), _dated=later.dated(frame["edition"]))
    return (
        frame.sort_values(["_order", "year", "_dated"], kind="stable").drop(columns=["_order", "_dated"]).reset_index(drop=True)
    )


def _report_source(figure: dict) -> str:
    return f"{figure['producer_en']} · {figure['report_section']}" if figure["origin"] == "report" else figure["citation"]


def _rank(card: pd.DataFrame) -> pd.DataFrame:
    """Most telling first: a full-year actual before an in-year estimate before a forecast, then the level
    before its growth rate, then the newest edition (an unstated date last)."""
    order = {k: i for i, k in enumerate(CARD_KINDS)}
    from analysis.later import dated

    return card.assign(
        _rank=card["later_kind"].map(order), _growth=card["metric"].isin(GROWTH_SERIES), _dated=dated(card["edition"])
    ).sort_values(["year", "_rank", "_growth", "_dated"], ascending=[True, True, True, False], kind="stable")


def target_label(row, lang: str) -> str:
    """What the later figure is set against, by its true origin: the report's forecast, a supplementary
    publisher's forecast, or a path derived from either."""
    basis = "path" if row["basis"] == "extended" else row["basis"]
    suffix = "_supplementary" if row["report_origin"] == "supplementary" else ""
    publisher = row["report_publisher_zh"] if lang == "zh" else row["report_publisher_en"]
    return t(f"card.target.{basis}{suffix}", lang, publisher=publisher)


def _amount(row, lang: str) -> str:
    if row["metric"] in GROWTH_SERIES:
        return t("scorecard.points", lang, value=f"{abs(float(row['error'])):.1f}")
    return f"{abs(float(row['relative_percent'])):.0f}%"


def judgement_text(row, lang: str) -> str:
    return t(f"card.judge.{row['judgement']}", lang, target=target_label(row, lang), amount=_amount(row, lang))


def significant(value: float, digits: int = 4) -> float:
    """129.0592 -> 129.1: a verdict quotes numbers, not the arithmetic behind them."""
    return float(f"{value:.{digits}g}")


def _point(value: float, qualifier: str) -> dict:
    return {"value": round(float(value), 10), "value_low": None, "value_high": None, "qualifier": qualifier}


def _year_span(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def verdicts(con: duckdb.DuckDBPyConnection, card: pd.DataFrame, lang: str, *, brief: bool = False) -> dict[str, str]:
    """One line per series group: for each year up to the report's horizon its most telling later figure
    (`_rank`), judged against its true reference; the years a definitional break or the horizon leaves unscored.
    `brief`: the same judgements without the figures behind them, for a slide's takeaway."""
    units = _unit_rows(con)
    out = {}
    for group in dict.fromkeys(g for g, _, _ in CARD_SERIES):
        rows = card[card["group"] == group] if not card.empty else card
        if rows.empty:
            continue
        parts = []
        for year, same in _rank(rows[rows["basis"] != "extended"]).groupby("year", sort=True):
            scored = same[same["scored"]]
            if scored.empty:
                if (same["comparability"] == "definitional_break").any():
                    parts.append(t("card.verdict_break", lang, year=year))
                continue
            best = scored.iloc[0]
            unit = units[best["unit"]]
            # Printed numbers keep their digits; a derived path value is rounded to what it can claim.
            digits = 3 if best["metric"] in GROWTH_SERIES else 4
            reference = best["report_value"] if best["basis"] == "forecast" else significant(best["report_value"], digits)
            values = {
                "year": year,
                "later": format_figure(_point(best["later_value"], best["later_qualifier"]), unit, lang),
                "report": format_figure(_point(reference, best["report_qualifier"]), unit, lang),
                "judgement": judgement_text(best, lang),
                "kind": t(f"later.kind.{best['later_kind']}", lang),
            }
            if brief:  # a slide's takeaway: the judgements, without the numbers behind them (they are on the chart)
                parts.append(t("card.verdict_brief", lang, year=year, judgement=values["judgement"]))
                continue
            key = "card.verdict_growth" if best["metric"] in GROWTH_SERIES else "card.verdict"
            parts.append(t(key, lang, **values) + _rebased_clause(same, units, lang))
        past = sorted(set(rows.loc[rows["basis"] == "extended", "year"]))
        if past:
            parts.append(t("card.verdict_past_horizon", lang, years=_year_span(past), horizon=int(rows["path_horizon"].iloc[0])))
        if parts:
            out[group] = t(f"card.series.{group}", lang) + t("card.colon", lang) + t("card.join", lang).join(parts)
    return out


def _rebased_clause(same: pd.DataFrame, units: dict, lang: str) -> str:
    """How the year's verdict would read on an edition that re-based the series (not scored): how much it depends on it."""
    rebased = same[same["comparability"] == "rebased"]
    if rebased.empty:
        return ""
    row = rebased.iloc[0].to_dict()
    error, relative = _errors(row["later_value"], row["report_value"])
    row |= {"error": error, "relative_percent": relative, "judgement": judge(relative, bound_of(row["later_qualifier"]))}
    publisher = row["publisher_zh"] if lang == "zh" else row["publisher_en"]
    later_text = format_figure(_point(row["later_value"], row["later_qualifier"]), units[row["unit"]], lang)
    return t("card.verdict_rebased", lang, publisher=publisher, edition=row["edition"], later=later_text,
             judgement=judgement_text(row, lang))  # fmt: skip


def _bound_prefix(row) -> str:
    return {"lower": "≥ ", "upper": "≤ "}.get(row["bound"] or "", "")


def report_side_text(con: duckdb.DuckDBPyConnection, row, unit: dict, lang: str) -> str:
    """The report side of a card row: the value and what it is (printed forecast, supplementary, derived path
    with the base it starts from, or the path extended past the horizon)."""
    reference = row["report_value"] if row["basis"] == "forecast" else shown_value(row["report_value"], row["unit"])
    value = format_figure(_point(reference, row["report_qualifier"]), unit, lang)
    publisher = row["report_publisher_zh"] if lang == "zh" else row["report_publisher_en"]
    suffix = "_supplementary" if row["report_origin"] == "supplementary" else ""
    base = ""
    if not is_blank(row["path_base_figure_id"]):
        anchor = data.figures(con, figure_ids=[row["path_base_figure_id"]]).iloc[0]
        kind = "derived" if anchor["kind"] == "derived" else "printed"
        shown = anchor if kind == "printed" else _point(shown_value(anchor["value"], anchor["unit"]), anchor["qualifier"])
        base = t(f"card.base.{kind}", lang, value=format_figure(shown, anchor, lang), year=anchor["period"])
    basis = t(f"card.basis.{row['basis']}{suffix}", lang, publisher=publisher, base=base, horizon=row["path_horizon"])
    return t("card.report_cell", lang, value=value, basis=basis)


def report_card_display(con: duckdb.DuckDBPyConnection, card: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The card for people: series, year, the report's side, the later side with its source, the error."""
    from analysis import later

    units = _unit_rows(con)
    rows = []
    for r in card.to_dict("records"):
        unit = units[r["unit"]]
        later_unit = units[r["later_unit"]]
        later_figure = _point(r["later_value_as_printed"], r["later_qualifier"])
        if not r["scored"]:
            reason = r["unscored_reason"]
            error_text = (
                t("card.unscored.past_horizon", lang, horizon=r["path_horizon"])
                if reason == "past_horizon"
                else t(f"later.comparability.{reason}", lang)
            )
            percent_text = "—"
        else:
            error_text = _bound_prefix(r) + format_difference(
                shown_value(r["error"], r["unit"]), {"unit": r["unit"], **unit}, lang
            )
            percent_text = "—" if is_blank(r["error_percent"]) else _bound_prefix(r) + format_percent(r["error_percent"])
        rows.append(
            {
                t("card.col.series", lang): t(f"card.series.{r['group']}", lang)
                + ("" if r["metric"] in PATH_SERIES else t("card.growth_suffix", lang)),
                t("card.col.year", lang): r["year"],
                t("card.col.report", lang): report_side_text(con, r, unit, lang),
                t("card.col.later", lang): format_figure(later_figure, later_unit, lang),
                t("card.col.later_kind", lang): t(f"later.kind.{r['later_kind']}", lang),
                t("card.col.error", lang): error_text,
                t("card.col.error_percent", lang): percent_text,
                t("card.col.judgement", lang): "—" if is_blank(r["judgement"]) else judgement_text(r, lang),
                t("card.col.publisher", lang): f"{r['publisher_zh'] if lang == 'zh' else r['publisher_en']} · "
                + later.date_text(r["edition"], lang),
                t("card.col.published_on", lang): later.date_text(r["published_on"], lang),
                t("card.col.quote", lang): r["quote"],
                t("card.col.url", lang): r["url"],
                t("card.col.report_source", lang): r["report_source"] or t("card.path_source", lang),
                t("card.col.note", lang): note_text(r["note"], lang),
            }
        )
    return pd.DataFrame(rows, columns=[t(f"card.col.{c}", lang) for c in CARD_COLUMNS])


def report_card_data(con: duckdb.DuckDBPyConnection, card: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The card as data (CSV, API, deck): the display's columns, but the error and the error in percent as
    numbers (a bound's sign in its own column, the error's unit beside it), so no number is written as text."""
    from analysis.market import display_scale, unit_label

    units = _unit_rows(con)
    frame = report_card_display(con, card, lang)
    if card.empty:
        return frame
    error_col, percent_col = t("card.col.error", lang), t("card.col.error_percent", lang)
    # In the unit as printed in `lang` (万台 in Chinese, million units in English), as the column beside it says.
    errors = [
        None if is_blank(e) else significant(float(e) * display_scale(units[u], lang))
        for e, u in zip(card["error"], card["unit"], strict=True)
    ]
    frame[error_col] = pd.array(errors, dtype="Float64")
    position = frame.columns.get_loc(error_col) + 1
    error_units = [t("card.unit_pp", lang) if u == PERCENT_UNIT else unit_label(units[u], lang) for u in card["unit"]]
    frame.insert(position, t("card.col.error_unit", lang), error_units)
    percents = [None if is_blank(p) else round(float(p), 1) for p in card["error_percent"]]
    frame[percent_col] = pd.array(percents, dtype="Float64")
    bounds = [{"lower": "≥", "upper": "≤"}.get(b, "") if isinstance(b, str) else "" for b in card["bound"]]
    frame.insert(frame.columns.get_loc(percent_col) + 1, t("card.col.bound", lang), bounds)
    reasons = [
        "" if r["scored"] else t("card.unscored.past_horizon", lang, horizon=r["path_horizon"])
        if r["unscored_reason"] == "past_horizon" else t(f"later.comparability.{r['unscored_reason']}", lang)
        for r in card.to_dict("records")
    ]  # fmt: skip
    frame.insert(frame.columns.get_loc(t("card.col.bound", lang)) + 1, t("card.col.unscored", lang), reasons)
    return frame


CARD_COLUMNS = (
    "series", "year", "report", "later", "later_kind", "error", "error_percent", "judgement",
    "publisher", "published_on", "quote", "url", "report_source", "note",
)  # fmt: skip


def report_card_view(con: duckdb.DuckDBPyConnection, lang: str) -> tuple[dict[str, str], pd.DataFrame]:
    """The card's verdict lines and its table, ready for a page."""
    card = report_card(con)
    return verdicts(con, card, lang), report_card_display(con, card, lang)
