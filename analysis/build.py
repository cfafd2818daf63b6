"""Build the figure database from datasets/: load the CSVs, validate them, write DuckDB atomically."""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analysis import paths
from analysis.buildstamp import datasets_hash, write_stamp
from analysis.numbers import NumberError, parse_number
from analysis.schema import (
    LATER_KINDS,
    NOTE_COLUMN,
    SPLIT_TOLERANCE_PERCENT,
    SPLIT_TOTAL_PERCENT,
    SQL_TYPES,
    TABLES,
    TABLES_BY_NAME,
    UNKNOWN_DATE,
    Column,
    Table,
    later_kind_by_rule,
)

# ASCII digits only: without re.ASCII, \d also matches "٢٠٢٣" and "２０２３", which int() then reads as 2023.
PERIOD_PATTERN = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2]))?$|^(\d{4})-(\d{4})$", re.ASCII)
DATE_PATTERN = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$", re.ASCII)
URL_PATTERN = re.compile(r"^https?://\S+$")
TRUE_WORDS = {"true": True, "false": False}
# A cell a spreadsheet would evaluate (=, +, -, @ in front of something that is not a number): CSV injection.
FORMULA_PREFIXES = "=+-@"
SINGULAR = {"units": "unit", "sources": "source", "metrics": "metric", "entities": "entity", "dsxs_nodes": "dsxs_node"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: column '{self.column}': {self.reason}" if self.column else f"{where}: {self.reason}"


class BuildError(ValueError):
    """The datasets failed validation; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in datasets/:\n{shown}{more}")


@dataclass
class LoadedTable:
    spec: Table
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, raw cells)
    typed: list[dict[str, object]]


@dataclass(frozen=True)
class BuildResult:
    path: Path
    datasets_hash: str
    row_counts: dict[str, int]


def read_table(spec: Table, datasets_dir: Path, problems: list[Problem]) -> LoadedTable | None:
    path = datasets_dir / spec.file_name
    if not path.exists():
        if not spec.optional_file:
            problems.append(Problem(spec.file_name, None, None, "file is missing"))
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(spec.file_name, None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return None
    return read_csv_text(spec, text, problems)


def read_csv_text(spec: Table, text: str, problems: list[Problem]) -> LoadedTable | None:
    """Parse decoded CSV text and check its header against `spec` (also used for imported figures)."""
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        problems.append(Problem(spec.file_name, None, None, f"not valid CSV: {exc}"))
        return None
    duplicated = sorted({str(c) for c in header if header.count(c) > 1})
    if duplicated:  # csv.DictReader would keep only the last of them, silently
        problems.append(Problem(spec.file_name, 1, None, f"duplicate column(s): {', '.join(duplicated)}"))
        return None
    missing = [c for c in spec.column_names if c not in header]
    extra = [c for c in header if c not in spec.column_names]
    if missing:
        problems.append(Problem(spec.file_name, 1, None, f"missing column(s): {', '.join(missing)}"))
    if extra:
        problems.append(Problem(spec.file_name, 1, None, f"unexpected column(s): {', '.join(map(str, extra))}"))
    if missing or extra:
        return None
    return LoadedTable(spec, rows, [])


# ASCII decimal only: float() and int() also take "１２３", "٣٤", "1_000", "inf" and "nan".
FLOAT_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
INT_TEXT = re.compile(r"[+-]?\d+", re.ASCII)
MAX_TEXT_CHARS = 2_000
MAX_KEY_CHARS = 100
# C0/C1 controls and the bidirectional overrides that make text read differently from what it holds.
CONTROL_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _is_number(text: str) -> bool:
    return FLOAT_TEXT.fullmatch(text) is not None


def parse_cell(column: Column, raw: str | None) -> tuple[object, str | None]:
    """Return (typed value, error reason or None)."""
    if raw is None:
        return None, "row has fewer cells than the header"
    text = raw.strip()
    if text == "":
        return None, ("is required but empty" if column.required else None)
    if text[0] in FORMULA_PREFIXES and not _is_number(text):
        return None, f"looks like a spreadsheet formula: {text[:40]!r}"
    if column.choices and text not in column.choices:
        return None, f"unknown value {text[:40]!r} (allowed: {', '.join(column.choices)})"
    if column.type == "text":
        if CONTROL_TEXT.search(text):
            return None, "contains a control or text-direction character"
        if len(text) > MAX_TEXT_CHARS:
            return None, f"is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}"
        return text, None
    if column.type == "bool":
        if text.lower() not in TRUE_WORDS:
            return None, f"not true/false: {text!r}"
        return TRUE_WORDS[text.lower()], None
    return _number_cell(column, raw, text)


def _number_cell(column: Column, raw: str, text: str) -> tuple[object, str | None]:
    """A float or int cell, read by analysis.numbers: "  12 " (spaces around), "1e-400" (a non-zero literal read
    as 0), "１２" and "1_2" are refused, as they are in a link, the API and the CLI; "-0" reads as 0."""
    kind = "a number" if column.type == "float" else "an integer"
    if raw != text or (column.type == "int" and not INT_TEXT.fullmatch(text)):
        return None, f"not {kind}: {text[:40]!r}"
    try:
        number = parse_number(text, whole=column.type == "int")
    except NumberError as exc:
        if exc.code == "not_finite":
            return None, f"not a finite number: {text[:40]!r}"
        if exc.code == "underflow":
            return None, f"too close to zero to be told from zero: {text[:40]!r}"
        return None, f"not {kind}: {text[:40]!r}"
    if column.min_value is not None and number < column.min_value:
        return None, f"{number} is below the minimum {column.min_value}"
    if column.max_value is not None and number > column.max_value:
        return None, f"{number} is above the maximum {column.max_value}"
    return number, None


def type_rows(table: LoadedTable, problems: list[Problem]) -> None:
    for line, raw in table.rows:
        if None in raw:  # csv.DictReader collects surplus cells under the key None
            problems.append(Problem(table.spec.file_name, line, None, "row has more cells than the header"))
        typed: dict[str, object] = {"_line": line}
        for column in table.spec.columns:
            value, reason = parse_cell(column, raw.get(column.name))
            if not reason and column.name == table.spec.key and isinstance(value, str) and len(value) > MAX_KEY_CHARS:
                reason = f"is {len(value):,} characters long; the limit is {MAX_KEY_CHARS:,}"
            if reason:
                problems.append(Problem(table.spec.file_name, line, column.name, reason))
            typed[column.name] = value
        table.typed.append(typed)


def check_keys(table: LoadedTable, problems: list[Problem]) -> None:
    key_columns = (table.spec.key,) if table.spec.key else table.spec.unique_together
    if not key_columns:
        return
    first_seen: dict[tuple, int] = {}
    for row in table.typed:
        key = tuple(row[c] for c in key_columns)
        if None in key:
            continue
        if key in first_seen:
            label = ", ".join(map(str, key))
            problems.append(
                Problem(
                    table.spec.file_name,
                    row["_line"],
                    key_columns[0],
                    f"duplicate key {label!r} (first on line {first_seen[key]})",
                )
            )
        else:
            first_seen[key] = row["_line"]


def check_references(tables: dict[str, LoadedTable], problems: list[Problem]) -> None:
    for table in tables.values():
        for column in table.spec.columns:
            if not column.references:
                continue
            target_name, target_column = column.references.split(".")
            target = tables.get(target_name)
            if target is None:
                continue
            known = {r[target_column] for r in target.typed}
            for row in table.typed:
                value = row[column.name]
                if value is not None and value not in known:
                    problems.append(
                        Problem(
                            table.spec.file_name,
                            row["_line"],
                            column.name,
                            f"unknown {SINGULAR.get(target_name, target_name)} {value!r}",
                        )
                    )


def check_figures(tables: dict[str, LoadedTable], problems: list[Problem]) -> None:
    figures, metrics, units = tables.get("figures"), tables.get("metrics"), tables.get("units")
    if not (figures and metrics and units):
        return
    file_name = figures.spec.file_name
    dimension = {u["unit_id"]: u["dimension"] for u in units.typed}
    metric_by_id = {m["metric_id"]: m for m in metrics.typed}
    for row in figures.typed:
        line, value, low, high = row["_line"], row["value"], row["value_low"], row["value_high"]
        if value is None and (low is None or high is None):
            problems.append(Problem(file_name, line, "value", "needs a value, or both value_low and value_high"))
        if (low is None) != (high is None):
            problems.append(Problem(file_name, line, "value_low", "value_low and value_high must be given together"))
        if low is not None and high is not None and low > high:
            problems.append(Problem(file_name, line, "value_low", f"value_low {low} is above value_high {high}"))
        period = row["period"]
        if period:
            match = PERIOD_PATTERN.match(period)
            if not match:
                problems.append(Problem(file_name, line, "period", f"not a year, YYYY-MM or YYYY-YYYY range: {period!r}"))
            elif match.group(3) and int(match.group(3)) >= int(match.group(4)):
                problems.append(Problem(file_name, line, "period", f"range must run forwards: {period!r}"))
        metric = metric_by_id.get(row["metric"])
        if metric and row["unit"] in dimension and metric["unit"] in dimension:
            if dimension[row["unit"]] != dimension[metric["unit"]]:
                problems.append(
                    Problem(
                        file_name,
                        line,
                        "unit",
                        f"unit {row['unit']!r} measures {dimension[row['unit']]}, but metric {row['metric']!r} is in {dimension[metric['unit']]}",
                    )
                )
    check_splits(figures, metric_by_id, problems)


def check_splits(figures: LoadedTable, metric_by_id: dict, problems: list[Problem]) -> None:
    """Shares of a split (e.g. training + inference) must add up to 100 within a tolerance."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in figures.typed:
        metric = metric_by_id.get(row["metric"])
        if metric and metric["sums_to_100"] and row["value"] is not None:
            groups[(row["metric"], row["entity"], row["period"], row["source_id"])].append(row)
            if not 0 <= row["value"] <= SPLIT_TOTAL_PERCENT:
                reason = f"share {row['value']:g} is outside 0–100"
                problems.append(Problem(figures.spec.file_name, row["_line"], "value", reason))
    for (metric, entity, period, _), rows in groups.items():
        total = sum(r["value"] for r in rows)
        if abs(total - SPLIT_TOTAL_PERCENT) > SPLIT_TOLERANCE_PERCENT:
            lines = ", ".join(str(r["_line"]) for r in rows)
            problems.append(
                Problem(
                    figures.spec.file_name,
                    rows[0]["_line"],
                    "value",
                    f"split {metric} for {entity} {period} sums to {total:g}, not 100 (±{SPLIT_TOLERANCE_PERCENT}); rows on lines {lines}",
                )
            )


def check_sources_and_places(tables: dict[str, LoadedTable], problems: list[Problem]) -> None:
    sources = tables.get("sources")
    if sources:
        for row in sources.typed:
            if row["origin"] == "report" and not row["report_section"]:
                problems.append(
                    Problem(
                        sources.spec.file_name,
                        row["_line"],
                        "report_section",
                        "a report source must name the section it appears in",
                    )
                )
    for name in ("dsxs_nodes", "computing_centres", "icc_cities"):
        table = tables.get(name)
        if not table:
            continue
        for row in table.typed:
            if (row["lat"] is None) != (row["lon"] is None):
                problems.append(Problem(table.spec.file_name, row["_line"], "lat", "lat and lon must be given together"))
            if row["lat"] is not None and not row["coord_source_id"]:
                problems.append(
                    Problem(table.spec.file_name, row["_line"], "coord_source_id", "coordinates need their own source")
                )


def printed_number(printed: str) -> float | None:
    """'2,781.9' -> 2781.9; None when `printed` is not a number."""
    try:
        return float(printed.replace(",", ""))
    except ValueError:
        return None


def check_later_figures(tables: dict[str, LoadedTable], problems: list[Problem]) -> None:
    """A later figure is evidence only with its page, date and a quote that prints the stored number."""
    table = tables.get("later_figures")
    if not table:
        return
    name = table.spec.file_name
    dimension = {u["unit_id"]: u["dimension"] for u in tables["units"].typed} if "units" in tables else {}
    metric_unit = {m["metric_id"]: m["unit"] for m in tables["metrics"].typed} if "metrics" in tables else {}
    for row in table.typed:
        line = row["_line"]
        wanted = dimension.get(metric_unit.get(row["metric"], ""))
        if wanted and row["unit"] in dimension and dimension[row["unit"]] != wanted:
            problems.append(
                Problem(name, line, "unit", f"unit {row['unit']!r} does not measure {wanted}, the metric's dimension")
            )
        value, low, high, period = row["value"], row["value_low"], row["value_high"], row["period"]
        if value is None and (low is None or high is None):
            problems.append(Problem(name, line, "value", "needs a value, or both value_low and value_high"))
        if (low is None) != (high is None):
            problems.append(Problem(name, line, "value_low", "value_low and value_high must be given together"))
        if period and not PERIOD_PATTERN.match(period):
            problems.append(Problem(name, line, "period", f"not a year, YYYY-MM or YYYY-YYYY range: {period!r}"))
        for column in ("edition", "published_on"):
            if row[column] and row[column] != UNKNOWN_DATE and not DATE_PATTERN.match(row[column]):
                problems.append(
                    Problem(name, line, column, f"not a date (YYYY, YYYY-MM or YYYY-MM-DD, or {UNKNOWN_DATE!r}): {row[column]!r}")
                )
        # The kind follows from the dates: the publisher's edition where known, else the page's date.
        released = row["edition"] if row["edition"] and row["edition"] != UNKNOWN_DATE else row["published_on"]
        expected = later_kind_by_rule(period, released)
        if expected and row["kind"] in LATER_KINDS and row["kind"] != expected:
            problems.append(
                Problem(name, line, "kind", f"{row['kind']!r} breaks the kind rule: released {released} for {period}, so "
                        f"{expected!r} (before the year: forecast; during it: estimate; after it: reported)")
            )  # fmt: skip
        if row["url"] and not URL_PATTERN.match(row["url"]):
            problems.append(Problem(name, line, "url", f"not an http(s) address: {row['url']!r}"))
        printed, quote = row["printed"], row["quote"]
        if printed and quote and printed not in quote:
            problems.append(Problem(name, line, "quote", f"does not contain the printed number {printed!r}"))
        number = printed_number(printed) if printed else None
        if printed and number is None:
            problems.append(Problem(name, line, "printed", f"not a number as printed: {printed!r}"))
        elif number is not None and not any(v is not None and math.isclose(number, v) for v in (value, low, high)):
            problems.append(Problem(name, line, "printed", f"{printed!r} is not the stored value {value!r}"))


def check_note_translations(tables: dict[str, LoadedTable], problems: list[Problem]) -> None:
    """Every note shown to a user has its Chinese text, and every translation still has its note."""
    translations = tables.get("note_translations")
    if translations is None:
        return
    translated = {r["note_en"] for r in translations.typed}
    used: set[str] = set()
    for table in tables.values():
        if NOTE_COLUMN not in table.spec.column_names:
            continue
        for row in table.typed:
            note = row[NOTE_COLUMN]
            if note is None:
                continue
            used.add(note)
            if note not in translated:
                problems.append(
                    Problem(
                        table.spec.file_name,
                        row["_line"],
                        NOTE_COLUMN,
                        f"no Chinese text in {translations.spec.file_name} for the note {note!r}",
                    )
                )
    for row in translations.typed:
        if row["note_en"] not in used:
            problems.append(Problem(translations.spec.file_name, row["_line"], "note_en", "no table has this note any more"))


def load_and_validate(datasets_dir: Path | None = None) -> dict[str, LoadedTable]:
    """Read every table and run every check; raise BuildError listing all problems."""
    datasets_dir = Path(datasets_dir or paths.datasets_dir())
    problems: list[Problem] = []
    tables: dict[str, LoadedTable] = {}
    for spec in TABLES:
        table = read_table(spec, datasets_dir, problems)
        if table is not None:
            type_rows(table, problems)
            check_keys(table, problems)
            tables[spec.name] = table
    check_references(tables, problems)
    check_figures(tables, problems)
    check_sources_and_places(tables, problems)
    check_later_figures(tables, problems)
    check_note_translations(tables, problems)
    if problems:
        raise BuildError(problems)
    return tables


def write_database(tables: dict[str, LoadedTable], db_path: Path, content_hash: str) -> None:
    """Write to a temporary file beside the target, then rename: a failure leaves the old file intact."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
    tmp_path.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp_path))
        try:
            for name, table in tables.items():
                spec = TABLES_BY_NAME[name]
                columns = ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in spec.columns)
                con.execute(f'CREATE TABLE "{name}" ({columns})')
                placeholders = ", ".join("?" for _ in spec.columns)
                values = [[row[c.name] for c in spec.columns] for row in table.typed]
                if values:
                    con.executemany(f'INSERT INTO "{name}" VALUES ({placeholders})', values)
            con.execute("CREATE TABLE build_info (datasets_hash VARCHAR, built_at TIMESTAMP, figure_count INTEGER)")
            con.execute(
                "INSERT INTO build_info VALUES (?, ?, ?)",
                [content_hash, datetime.now(UTC).replace(tzinfo=None), len(tables["figures"].typed)],
            )
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp_path, db_path)
        write_stamp(db_path, content_hash)
    finally:
        tmp_path.unlink(missing_ok=True)
        Path(f"{tmp_path}.wal").unlink(missing_ok=True)


def build(datasets_dir: Path | None = None, db_path: Path | None = None) -> BuildResult:
    """Load inputs, validate, write the database; return where it went."""
    datasets_dir = Path(datasets_dir or paths.datasets_dir())
    db_path = Path(db_path or paths.database_path())
    content_hash = datasets_hash(datasets_dir)
    tables = load_and_validate(datasets_dir)
    write_database(tables, db_path, content_hash)
    return BuildResult(db_path, content_hash, {name: len(t.typed) for name, t in tables.items()})
