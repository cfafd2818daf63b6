"""Display tables: filter and label query results for people, in zh or en."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from analysis.charts import display_width
from analysis.data import source_title
from analysis.format import column_decimals, format_figure, is_blank
from analysis.i18n import t, with_aside
from analysis.notes import note_text
from analysis.textsafe import csv_safe_frame


def figure_label(row, lang: str) -> str:
    """'AI server market size · Global · 2025' — metric, entity, segment and period as present."""
    parts = [row[f"metric_{lang}"], row[f"entity_{lang}"]]
    segment, period = row.get("segment"), row.get("period")
    if not is_blank(segment):
        parts.append(t(f"segment.{segment}", lang) if _has_segment_name(segment, lang) else segment)
    if not is_blank(period):
        parts.append(period)
    return " · ".join(str(p) for p in parts)


def _has_segment_name(segment: str, lang: str) -> bool:
    return not t(f"segment.{segment}", lang).startswith("⟦")


def filter_figures(
    figures: pd.DataFrame,
    *,
    metrics: list[str] | None = None,
    kinds: list[str] | None = None,
    origins: list[str] | None = None,
    source_ids: list[str] | None = None,
    search: str = "",
) -> pd.DataFrame:
    """Each filter narrows the rows when given; search matches ids, names, printed text and notes."""
    mask = pd.Series(True, index=figures.index)
    for column, values in (("metric", metrics), ("kind", kinds), ("origin", origins), ("source_id", source_ids)):
        if values:
            mask &= figures[column].isin(values)
    needle = search.strip().lower()
    if needle:
        haystack = figures[["figure_id", "metric_zh", "metric_en", "entity_zh", "entity_en", "printed", "note"]].fillna("")
        mask &= haystack.apply(lambda col: col.str.lower().str.contains(needle, regex=False)).any(axis=1)
    return figures[mask]


def figures_display(figures: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Human columns: label, value as read, as printed, kind, source and note."""
    records = figures.to_dict("records")
    return pd.DataFrame(
        {
            t("column.figure", lang): [figure_label(r, lang) for r in records],
            t("column.value", lang): [format_figure(r, r, lang) for r in records],
            t("column.printed", lang): [r["printed"] for r in records],
            t("column.kind", lang): [t(f"kind.{r['kind']}", lang) for r in records],
            t("column.source", lang): [_source_cell(r, lang) for r in records],
            t("column.note", lang): [note_text(r["note"], lang) for r in records],
            t("column.figure_id", lang): [r["figure_id"] for r in records],
        }
    )


# The columns of figures_display that can hold an importer's text (printed, citation and version, note, id).
USER_TEXT_COLUMNS = ("column.printed", "column.source", "column.note", "column.figure_id")


def guarded_figures_display(figures: pd.DataFrame, lang: str) -> pd.DataFrame:
    """figures_display for st.dataframe: an imported text cell cannot start a formula in the grid's CSV download."""
    return csv_safe_frame(figures_display(figures, lang), [t(key, lang) for key in USER_TEXT_COLUMNS])


def _source_cell(row, lang: str) -> str:
    producer = row[f"producer_{lang}"]
    if row["origin"] == "report":
        return f"{producer} ·「{row['report_section']}」"
    origin = t(f"origin.{row['origin']}", lang)
    version = row.get("version_name")  # imported figures (analysis.imports) name their version
    return f"{producer} · {origin}" + ("" if is_blank(version) else f" · {version}")


def figures_export(figures: pd.DataFrame) -> pd.DataFrame:
    """The machine-readable columns, as in datasets/figures.csv plus the source citation."""
    columns = [
        "figure_id", "metric", "entity", "segment", "period", "value", "value_low", "value_high",
        "unit", "qualifier", "printed", "kind", "source_id", "origin", "citation", "note",
    ]  # fmt: skip
    return figures[columns + [c for c in ("version", "version_name") if c in figures.columns]]


def sources_display(sources: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("column.source_id", lang): sources["source_id"],
            t("column.producer", lang): sources[f"producer_{lang}"],
            t("column.title", lang): [source_title(row, lang) for row in sources.to_dict("records")],
            t("column.report_section", lang): sources["report_section"].fillna(""),
            t("column.year", lang): sources["published_year"],
            t("column.origin", lang): [t(f"origin.{o}", lang) for o in sources["origin"]],
            t("column.figure_count", lang): sources["figure_count"],
            t("column.note", lang): [note_text(n, lang) for n in sources["note"]],
        }
    )


def metrics_display(metrics: pd.DataFrame, units: pd.DataFrame, lang: str) -> pd.DataFrame:
    unit_names = dict(zip(units["unit_id"], units[f"name_{lang}"], strict=False))
    return pd.DataFrame(
        {
            t("column.metric_id", lang): metrics["metric_id"],
            t("column.metric", lang): metrics[f"name_{lang}"],
            t("column.unit", lang): [with_aside(unit_names.get(u, u), u, lang) for u in metrics["unit"]],
            t("column.definition", lang): metrics[f"definition_{lang}"],
            t("column.figure_count", lang): metrics["figure_count"],
        }
    )


def units_display(units: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("column.unit_id", lang): units["unit_id"],
            t("column.unit", lang): units[f"name_{lang}"],
            t("column.symbol", lang): units["symbol"],
            t("column.dimension", lang): units["dimension"],
            t("column.note", lang): [note_text(n, lang) for n in units["note"]],
        }
    )


NO_VALUE = "—"


@dataclass(frozen=True)
class AlignedTable:
    """A year table as text: one count of decimals per numeric column, so the numbers line up."""

    shown: pd.DataFrame
    numeric_columns: tuple[str, ...]
    # Shown in place of a header where it is long (the full header stays the column's name, its tooltip and the
    # CSV's); `unit`: the one unit those short labels leave out, for the table's heading.
    labels: Mapping[str, str] = field(default_factory=dict)
    unit: str = ""


def aligned_table(table: pd.DataFrame) -> AlignedTable:
    """Numbers with thousands separators and the decimals of the column's most precise value (835.0 under
    6,842.1, not 835); a dash where a line has no value for that year (not 'None')."""
    numbers = [c for c in table.columns[1:] if _is_numeric(table[c])]
    shown = table.astype({c: object for c in numbers})
    for column in numbers:
        decimals = column_decimals((), table[column].dropna())  # the decimals its most precise value carries
        shown[column] = [NO_VALUE if pd.isna(v) else f"{v:,.{decimals}f}" for v in table[column]]
    return AlignedTable(shown, tuple(numbers))


FIGURE_CHAR_PX = 8  # one character of a table's figure (13 px tabular digits)
FIGURE_CELL_PAD_PX = 28  # a grid cell's padding, left and right
HEADER_SHOWN_PX = 140  # of a figure column's header, the most a column is widened for: a phone shows the year
# and two such columns side by side; the rest of a long header is in its tooltip


def figure_column_width_px(table: AlignedTable, column: str) -> int:
    """A figure column's width on screen: its longest figure whole, and its header up to HEADER_SHOWN_PX (a header
    such as "Monte Carlo 50th percentile (median) (USD bn)" would otherwise make the column 300 px wide, and a
    phone's table show one figure at a time)."""
    figures_px = max((len(str(v)) for v in table.shown[column]), default=0) * FIGURE_CHAR_PX + FIGURE_CELL_PAD_PX
    header_px = display_width(table.labels.get(column, str(column))) * FIGURE_CHAR_PX + FIGURE_CELL_PAD_PX
    return max(figures_px, min(header_px, HEADER_SHOWN_PX))


def _is_numeric(column: pd.Series) -> bool:
    # An object column of numbers and None (a series that ends before the table does) is numeric too.
    if pd.api.types.is_numeric_dtype(column):
        return True
    given = column.dropna()
    return not given.empty and all(isinstance(v, int | float) and not isinstance(v, bool) for v in given)
