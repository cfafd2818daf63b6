"""Named queries on the figure database. Every parameter is bound with `?`."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from analysis.db import query
from analysis.i18n import normalize_lang, t

# The home page's cards: the numbers analysts quote most, in reading order.
HEADLINE_FIGURE_IDS = (
    "global_ai_server_market_2025",
    "global_ai_server_shipments_2023",
    "global_ai_server_shipments_cagr",
    "cn_ai_server_workload_inference_2026",
    "gpt3_175b_training_compute",
    "a100_threshold_large_model",
    "chatgpt_operating_compute_cost",
    "top5_ai_server_market_share_2021",
)

_FIGURES_SQL = """
SELECT f.figure_id, f.metric, m.name_zh AS metric_zh, m.name_en AS metric_en,
       f.entity, e.name_zh AS entity_zh, e.name_en AS entity_en,
       f.segment, f.period, f.value, f.value_low, f.value_high, f.unit, f.qualifier,
       f.printed, f.kind, f.source_id, s.producer_zh, s.producer_en, s.report_section,
       s.origin, s.citation, f.note,
       u.format_zh, u.format_en, u.en_scale
FROM figures f
JOIN metrics m ON m.metric_id = f.metric
JOIN entities e ON e.entity_id = f.entity
JOIN sources s ON s.source_id = f.source_id
JOIN units u ON u.unit_id = f.unit
"""


def figures(
    con: duckdb.DuckDBPyConnection,
    *,
    metrics: list[str] | None = None,
    kinds: list[str] | None = None,
    source_ids: list[str] | None = None,
    figure_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Figures joined with their metric, entity, unit and source; each filter is optional."""
    clauses, params = [], []
    for column, values in (("f.metric", metrics), ("f.kind", kinds), ("f.source_id", source_ids), ("f.figure_id", figure_ids)):
        if values:
            clauses.append(f"list_contains(?::VARCHAR[], {column})")
            params.append(list(values))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return query(con, f"{_FIGURES_SQL} {where} ORDER BY f.rowid", params)


def headline_figures(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = figures(con, figure_ids=list(HEADLINE_FIGURE_IDS))
    order = {fid: i for i, fid in enumerate(HEADLINE_FIGURE_IDS)}
    return frame.sort_values("figure_id", key=lambda s: s.map(order)).reset_index(drop=True)


def workload_split(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """IDC's China AI server workload split, one row per year and segment (percent)."""
    return query(
        con,
        """
        SELECT CAST(period AS INTEGER) AS year, segment, value AS share_percent, kind, source_id
        FROM figures
        WHERE metric = ? AND entity = ?
        ORDER BY year, segment
        """,
        ["ai_server_workload_share", "CN"],
    )


def sources(con: duckdb.DuckDBPyConnection, source_ids: list[str] | None = None) -> pd.DataFrame:
    sql = """
        SELECT s.*, (SELECT count(*) FROM figures f WHERE f.source_id = s.source_id) AS figure_count
        FROM sources s
    """
    if source_ids:
        return query(con, sql + " WHERE list_contains(?::VARCHAR[], s.source_id) ORDER BY s.source_id", [list(source_ids)])
    return query(con, sql + " ORDER BY s.origin, s.source_id")


def metrics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(
        con,
        """
        SELECT m.*, (SELECT count(*) FROM figures f WHERE f.metric = m.metric_id) AS figure_count
        FROM metrics m ORDER BY m.metric_id
        """,
    )


def units(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, "SELECT * FROM units ORDER BY dimension, unit_id")


def build_info(con: duckdb.DuckDBPyConnection) -> dict:
    frame = query(con, "SELECT datasets_hash, built_at, figure_count FROM build_info")
    return frame.iloc[0].to_dict()


def source_line(con: duckdb.DuckDBPyConnection, source_ids: list[str], lang: str) -> str:
    """One line naming each producer and the report section it is read from."""
    frame = sources(con, source_ids)
    return format_source_line(frame, lang)


def source_title(row, lang: str) -> str:
    """The source's title in `lang`: its English version where one is given, else the title as published."""
    given = row if isinstance(row, Mapping) else row._asdict()
    english = given.get("title_en")
    return english if lang == "en" and isinstance(english, str) and english else given["title"]


def format_source_line(frame: pd.DataFrame, lang: str) -> str:
    """The publishers of what a chart draws, each once: the report's sources with their sections, then
    "via QbitAI … (2023)" (only when something is taken from the report), then supplementary and derived
    sources, each marked so in both languages."""
    lang = normalize_lang(lang)
    zh = lang == "zh"
    report: dict[str, list[str]] = {}
    other: dict[tuple[str, str], list[str]] = {}
    for row in frame.itertuples():
        producer = row.producer_zh if zh else row.producer_en
        if row.origin == "report":
            sections = report.setdefault(producer, [])
            if f"「{row.report_section}」" not in sections:
                sections.append(f"「{row.report_section}」")
        else:
            titles = other.setdefault((producer, row.origin), [])
            title = f"《{source_title(row, lang)}》" if zh else source_title(row, lang)
            if title not in titles:
                titles.append(title)
    parts = [f"{p}，{''.join(s)}" if zh else f"{p}, {''.join(s)}" for p, s in report.items()]
    if parts:
        parts[-1] += ("，" if zh else ", ") + t("chart.source_via", lang)
    for (producer, origin), titles in other.items():
        label = t(f"chart.source_{origin}", lang)
        parts.append(f"{producer}{''.join(titles)}（{label}）" if zh else f"{producer}, {' / '.join(titles)} ({label})")
    return "；".join(parts) if zh else "; ".join(parts)
