"""Figures published after the report for its series, grouped into forecast vintages.

A later figure is a row of `datasets/later_figures.csv`: a value a publisher printed after the report (an
actual for a year already over, an estimate during the year, a forecast for later years), with the page it
was read on, the page's date and a verbatim quote. A vintage is one (publisher, edition): the view the
publisher held at that date, so the same year forecast in two editions shows how the view moved.

Values are stored in the unit the publisher printed (百万台, USD bn); `series_later` converts them to the
unit of the report's series through the units table, so they can sit on the same axis.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from analysis.db import query
from analysis.i18n import t
from analysis.scenario import Param
from analysis.schema import UNKNOWN_DATE

LAYER_PARAM = "later_layer"
COMPARABLE = "comparable"
KIND_RANK = {"reported": 0, "estimate": 1, "forecast": 2}  # an actual outranks an estimate, an estimate a forecast

PARAMS = (
    Param(
        LAYER_PARAM,
        True,
        kind="bool",
        label_key="later.param.later_layer",
        help_key="later.help.later_layer",
        page_id="market",
    ),
)

_LATER_SQL = """
SELECT l.*, m.name_zh AS metric_zh, m.name_en AS metric_en, e.name_zh AS entity_zh, e.name_en AS entity_en,
       u.format_zh, u.format_en, u.en_scale, u.to_dimension_base
FROM later_figures l
JOIN metrics m ON m.metric_id = l.metric
JOIN entities e ON e.entity_id = l.entity
JOIN units u ON u.unit_id = l.unit
"""


def later_figures(con: duckdb.DuckDBPyConnection, *, metrics: list[str] | None = None) -> pd.DataFrame:
    """Every later figure with its metric, entity and unit names, in file order."""
    if metrics:
        return query(con, f"{_LATER_SQL} WHERE list_contains(?::VARCHAR[], l.metric) ORDER BY l.rowid", [list(metrics)])
    return query(con, f"{_LATER_SQL} ORDER BY l.rowid")


def unit_base(con: duckdb.DuckDBPyConnection, unit_id: str) -> float | None:
    frame = query(con, "SELECT to_dimension_base FROM units WHERE unit_id = ?", [unit_id])
    if frame.empty or pd.isna(frame.iloc[0, 0]):
        return None
    return float(frame.iloc[0, 0])


def series_later(con: duckdb.DuckDBPyConnection, metric: str, entity: str, unit_id: str) -> pd.DataFrame:
    """Later figures of one series for whole years, with `year` and `value_series` (in `unit_id`).

    A range is placed at its midpoint. Rows whose unit cannot be converted are left out.
    """
    rows = later_figures(con, metrics=[metric])
    rows = rows[(rows["entity"] == entity) & rows["period"].str.fullmatch(r"\d{4}", na=False)].copy()
    target = unit_base(con, unit_id)
    if rows.empty or target is None:
        return rows.assign(year=pd.Series(dtype=int), value_series=pd.Series(dtype=float))
    point = rows["value"].where(rows["value"].notna(), (rows["value_low"] + rows["value_high"]) / 2)
    rows["year"] = rows["period"].astype(int)
    rows["value_series"] = point.astype(float) * rows["to_dimension_base"].astype(float) / target
    rows = rows[rows["value_series"].notna()]
    return rows.sort_values(["edition", "year"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Vintage:
    """One publisher's view at one edition date: its points for the series, in the series' unit."""

    publisher_zh: str
    publisher_en: str
    edition: str
    rows: pd.DataFrame  # series_later rows of this vintage, by year

    @property
    def has_forecast(self) -> bool:
        return bool((self.rows["kind"] == "forecast").any())

    def label(self, lang: str) -> str:
        return f"{self.publisher_zh if lang == 'zh' else self.publisher_en} · {date_text(self.edition, lang)}"


# A joint publisher is stored as "IDC; Inspur Information" (zh "IDC；浪潮信息"): its names, for listing each once.
PUBLISHER_SEPARATOR = re.compile(r"\s*[;；]\s*")


def publisher_list(rows: Iterable[Mapping], lang: str) -> str:
    """The publishers of `rows`, each name once ("IDC, Inspur Information", not "IDC, IDC; Inspur Information"),
    in the order of the publishers' sorted names."""
    column = "publisher_zh" if lang == "zh" else "publisher_en"
    names: dict[str, None] = {}
    for publisher in sorted({r[column] for r in rows}):
        names |= dict.fromkeys(n for n in PUBLISHER_SEPARATOR.split(publisher) if n)
    return ("、" if lang == "zh" else ", ").join(names)


def date_text(value: str, lang: str) -> str:
    """A later figure's edition or page date as shown: the date, or "date not stated" where the page gives none."""
    return t("later.date_unknown", lang) if value == UNKNOWN_DATE else value


def dated(values: pd.Series) -> pd.Series:
    """Dates for sorting newest first: an unstated date sorts as the oldest, never as the newest."""
    return values.where(values != UNKNOWN_DATE, "")


def vintages(rows: pd.DataFrame) -> list[Vintage]:
    """series_later rows grouped by (publisher, edition), oldest edition first."""
    out = []
    for (zh, en, edition), group in rows.groupby(["publisher_zh", "publisher_en", "edition"], sort=True):
        out.append(Vintage(zh, en, edition, group.sort_values("year").reset_index(drop=True)))
    return sorted(out, key=lambda v: (v.edition, v.publisher_en))


def best_per_year(rows: pd.DataFrame) -> pd.DataFrame:
    """For each year, the comparable figure that says most about what happened: an actual before an estimate
    before a forecast, then the most recently published."""
    usable = rows[rows["comparability"] == COMPARABLE]
    if usable.empty:
        return usable
    ranked = usable.assign(_rank=usable["kind"].map(KIND_RANK), _dated=dated(usable["published_on"]))
    ranked = ranked.sort_values(["year", "_rank", "_dated"], ascending=[True, True, False], kind="stable")
    return ranked.drop_duplicates("year").drop(columns=["_rank", "_dated"]).reset_index(drop=True)


REBASED = "rebased"


@dataclass(frozen=True)
class ImpliedGrowth:
    """The growth rate that carries the scenario's base point to a later figure."""

    cagr_percent: float | None  # None: no comparable later figure for the window's end year
    end_year: int
    base_year: int
    base_value: float
    end_row: Mapping | None  # the later figure used
    reason: str = ""  # "" | "no_later" | "definitional_break" | "different_method" | "rebased" | "same_year"
    # The newest figure for the end year from an edition that re-based the series: not used, and the rate it
    # would give, so the page can say how much the offer depends on that edition.
    rebased_row: Mapping | None = None
    rebased_cagr_percent: float | None = None

    @property
    def is_lower_bound(self) -> bool:
        """The later figure is printed as a lower bound (more than 2.7 million): the rate is at least this."""
        return bool(self.end_row) and self.end_row["qualifier"] in ("more_than", "at_least")


def _cagr(value: float, base_value: float, years: int) -> float:
    return ((value / base_value) ** (1 / years) - 1) * 100


def implied_cagr(rows: pd.DataFrame, *, base_year: int, base_value: float, end_year: int) -> ImpliedGrowth:
    """CAGR from (base_year, base_value) to the best later figure for `end_year` (same unit as base_value).

    Only comparable figures count; when the only figures for that year are of another definition the
    reason says so, so the page can explain why no number is offered. A figure from a re-based edition is
    never used; it is returned beside the offer with the rate it would give.
    """
    for_year = rows[rows["year"] == end_year] if not rows.empty else rows
    years = end_year - base_year
    rebased = for_year[for_year["comparability"] == REBASED] if not for_year.empty else for_year
    rebased_row, rebased_cagr = None, None
    if not rebased.empty:
        rebased_row = rebased.assign(_dated=dated(rebased["published_on"])).sort_values("_dated").iloc[-1].to_dict()
        if years > 0 and base_value > 0:
            rebased_cagr = _cagr(rebased_row["value_series"], base_value, years)
    extra = {"rebased_row": rebased_row, "rebased_cagr_percent": rebased_cagr}
    best = best_per_year(for_year)
    if best.empty:
        kinds = set(for_year["comparability"]) if not for_year.empty else set()
        reason = next((k for k in ("definitional_break", "different_method", REBASED) if k in kinds), "no_later")
        return ImpliedGrowth(None, end_year, base_year, base_value, None, reason, **extra)
    row = best.iloc[0].to_dict()
    if years == 0 or base_value <= 0:
        return ImpliedGrowth(None, end_year, base_year, base_value, row, "same_year", **extra)
    return ImpliedGrowth(_cagr(row["value_series"], base_value, years), end_year, base_year, base_value, row, **extra)
