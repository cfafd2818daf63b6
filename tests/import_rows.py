"""Rows and files for the import tests (test_imports, test_scorecard, the page tests)."""

from __future__ import annotations

import csv
import io

from analysis.imports import IMPORT_COLUMNS, check_import, open_import_store

# An actual for a figure the report forecast (TrendForce: global AI server shipments 2023, 120 万台);
# the value is a test value, not a published one.
SHIPMENTS = {
    "figure_id": "test_shipments_2023_actual",
    "metric": "ai_server_shipments",
    "entity": "global",
    "segment": "",
    "period": "2023",
    "value": "118.9",
    "value_low": "",
    "value_high": "",
    "unit": "units_10k",
    "qualifier": "approx",
    "printed": "约118.9万台",
    "kind": "reported",
    "source": "Test source, not a real publication",
    "note": "",
}


def csv_bytes(rows: list[dict], header: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = header or IMPORT_COLUMNS
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return out.getvalue().encode(encoding)


def row(**changes) -> dict:
    return SHIPMENTS | changes


def good_file(figure_id: str = "test_shipments_2023_actual", value: str = "118.9") -> bytes:
    return csv_bytes([row(figure_id=figure_id, value=value)])


def apply(db_con, payload: bytes, name: str = "test", file_name: str = "actuals.csv"):
    check = check_import(db_con, payload, file_name)
    assert check.ok, [str(p) for p in check.problems]
    return open_import_store().apply(check, name)
