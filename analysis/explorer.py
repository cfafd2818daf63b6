"""The data explorer (figures page): filters by source and year, source labels, Parquet downloads."""

from __future__ import annotations

import io
import re
import zipfile

import duckdb
import pandas as pd

from analysis import imports
from analysis.db import query
from analysis.format import is_blank
from analysis.i18n import t
from analysis.imports import escape_markdown
from analysis.schema import TABLES
from analysis.tables import filter_figures

_YEAR = re.compile(r"^(\d{4})(?:-(\d{2}|\d{4}))?$")


def period_years(period: object) -> set[int]:
    """Years a period covers: '2025' and '2023-02' → that year; '2021-2026' → 2021 to 2026; blank → none."""
    if is_blank(period):
        return set()
    match = _YEAR.match(str(period).strip())
    if not match:
        return set()
    start, end = int(match.group(1)), match.group(2)
    if end and len(end) == 4:
        return set(range(start, int(end) + 1))
    return {start}


def year_options(figures: pd.DataFrame) -> list[int]:
    years: set[int] = set()
    for period in figures["period"]:
        years |= period_years(period)
    return sorted(years)


def source_options(figures: pd.DataFrame, lang: str) -> dict[str, str]:
    """source_id → 'IDC · 「section」', 'producer (supplementary)' or 'citation (imported: version)', sorted by label."""
    labels: dict[str, str] = {}
    for row in figures.drop_duplicates("source_id").to_dict("records"):
        producer = row[f"producer_{lang}"]
        if row["origin"] == "report":
            labels[row["source_id"]] = f"{producer} ·「{row['report_section']}」"
        elif row["origin"] == imports.IMPORTED_ORIGIN:
            labels[row["source_id"]] = t("explorer.imported_source", lang, version=row["version_name"], source=producer)
        else:
            origin = t("origin." + row["origin"], lang)
            labels[row["source_id"]] = f"{producer} · {origin}"
    return dict(sorted(labels.items(), key=lambda item: item[1]))


def explore(
    figures: pd.DataFrame,
    *,
    metrics: list[str] | None = None,
    kinds: list[str] | None = None,
    origins: list[str] | None = None,
    source_ids: list[str] | None = None,
    years: list[int] | None = None,
    search: str = "",
) -> pd.DataFrame:
    """Every filter of the figures page; a figure matches a year when its period covers it."""
    shown = filter_figures(figures, metrics=metrics, kinds=kinds, origins=origins, source_ids=source_ids, search=search)
    if years:
        wanted = set(years)
        shown = shown[shown["period"].map(lambda p: bool(period_years(p) & wanted))]
    return shown


def metric_definitions(metrics: pd.DataFrame, units: pd.DataFrame, lang: str) -> str:
    """A Markdown list: **name** (unit) `metric_id`: definition, one line per metric."""
    unit_names = dict(zip(units["unit_id"], units[f"name_{lang}"], strict=False))
    lines = [
        f"- **{escape_markdown(m[f'name_{lang}'])}** ({escape_markdown(unit_names.get(m['unit'], m['unit']))}) `{m['metric_id']}`: "
        f"{escape_markdown(m[f'definition_{lang}'])}"
        for m in metrics.sort_values(f"name_{lang}").to_dict("records")
    ]
    return "\n".join(lines)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The database's tables in schema order (see analysis.schema), then any others such as build_info."""
    present = set(query(con, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")["table_name"])
    ordered = [spec.name for spec in TABLES if spec.name in present]
    return ordered + sorted(present - set(ordered))


def database_archive(con: duckdb.DuckDBPyConnection, revision: int | None = None) -> bytes:
    """A zip of one Parquet file per table of the database, plus the active imported figures.

    `revision` only keys caches (the imported figures change with it).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in table_names(con):
            archive.writestr(f"{name}.parquet", parquet_bytes(query(con, f'SELECT * FROM "{name}"')))
        archive.writestr("imported_figures.parquet", parquet_bytes(imports.readable_active_rows()))
    return buffer.getvalue()
