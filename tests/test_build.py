"""The build refuses bad datasets with a precise message, writes a faithful database, and is atomic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import (
    PROJECT_ROOT,
    add_column,
    append_row,
    drop_column,
    find_problem,
    get_row,
    problems_of,
    read_csv,
    row_line,
    set_cell,
)

from analysis.build import BuildError, build, datasets_hash, load_and_validate

FIG = "figures.csv"


# ---------------------------------------------------------------- one mutation per kind of bad row
#
# Each mutation takes the datasets folder, breaks exactly one thing, and returns the Problem it
# expects: (file, line, column, substring of the reason).


def _figure_cell(figure_id: str, column: str, value: str, reason: str):
    def mutate(d: Path):
        line = set_cell(d / FIG, "figure_id", figure_id, column, value)
        return FIG, line, column, reason

    return mutate


def _split_no_longer_100(d: Path):
    # 2020 training 48.5 + inference 51.5 = 100 in the report's chart; 49.5 + 51.5 = 101.
    line = set_cell(d / FIG, "figure_id", "cn_ai_server_workload_training_2020", "value", "49.5")
    inference_line = row_line(d / FIG, "figure_id", "cn_ai_server_workload_inference_2020")
    return (
        FIG,
        line,
        "value",
        f"split ai_server_workload_share for CN 2020 sums to 101, not 100 (±0.1); rows on lines {line}, {inference_line}",
    )


def _duplicate_figure_id(d: Path):
    first = row_line(d / FIG, "figure_id", "gpt3_parameters")
    line = append_row(d / FIG, get_row(d / FIG, "figure_id", "gpt3_parameters"))
    return FIG, line, "figure_id", f"duplicate key 'gpt3_parameters' (first on line {first})"


def _missing_column(d: Path):
    drop_column(d / FIG, "unit")
    return FIG, 1, None, "missing column(s): unit"


def _extra_column(d: Path):
    add_column(d / FIG, "bonus", "x")
    return FIG, 1, None, "unexpected column(s): bonus"


def _low_above_high(d: Path):
    # hp_server_chip_cost_share is printed as 50%～83%; make the low end 90.
    line = set_cell(d / FIG, "figure_id", "hp_server_chip_cost_share", "value_low", "90")
    return FIG, line, "value_low", "value_low 90.0 is above value_high 83.0"


def _gbk(d: Path):
    text = (d / FIG).read_text(encoding="utf-8")
    (d / FIG).write_bytes(text.encode("gbk", errors="replace"))
    return FIG, None, None, "not UTF-8"


def _missing_file(d: Path):
    (d / "metrics.csv").unlink()
    return "metrics.csv", None, None, "file is missing"


def _too_many_cells(d: Path):
    header, _, _ = read_csv(d / FIG)
    good = get_row(d / FIG, "figure_id", "gpt3_parameters")
    cells = [good[c] for c in header]
    cells[0] = "gpt3_parameters_copy_with_surplus_cell"
    line = append_row(d / FIG, cells + ["surplus"])
    return FIG, line, None, "row has more cells than the header"


def _metric_without_name_en(d: Path):
    line = set_cell(d / "metrics.csv", "metric_id", "model_parameters", "name_en", "")
    return "metrics.csv", line, "name_en", "is required but empty"


def _report_source_without_section(d: Path):
    line = set_cell(d / "sources.csv", "source_id", "qb_intro", "report_section", "")
    return "sources.csv", line, "report_section", "a report source must name the section it appears in"


def _lat_without_lon(d: Path):
    line = set_cell(d / "computing_centres.csv", "centre_id", "ulanqab", "lon", "")
    return "computing_centres.csv", line, "lat", "lat and lon must be given together"


BAD_ROWS = [
    pytest.param(
        _figure_cell("gpt3_parameters", "metric", "no_such_metric", "unknown metric 'no_such_metric'"), id="unknown-metric"
    ),
    pytest.param(_figure_cell("gpt3_parameters", "unit", "furlongs", "unknown unit 'furlongs'"), id="unknown-unit"),
    pytest.param(
        _figure_cell("gpt3_parameters", "kind", "guesswork", "unknown value 'guesswork' (allowed: reported,"), id="unknown-kind"
    ),
    pytest.param(_figure_cell("gpt3_parameters", "source_id", "nowhere", "unknown source 'nowhere'"), id="unknown-source"),
    pytest.param(
        _figure_cell("gpt3_parameters", "qualifier", "roughly", "unknown value 'roughly' (allowed: none,"), id="unknown-qualifier"
    ),
    pytest.param(_figure_cell("gpt3_parameters", "value", "abc", "not a number: 'abc'"), id="non-numeric-value"),
    pytest.param(_figure_cell("gpt3_parameters", "value", "1e999", "not a finite number: '1e999'"), id="non-finite-value"),
    pytest.param(_figure_cell("gpt3_parameters", "value", "inf", "not a number: 'inf'"), id="inf-is-not-a-number"),
    pytest.param(_figure_cell("gpt3_parameters", "value", "１７５０", "not a number: '１７５０'"), id="full-width-digits"),
    pytest.param(_split_no_longer_100, id="split-not-100"),
    pytest.param(_duplicate_figure_id, id="duplicate-figure-id"),
    pytest.param(_missing_column, id="missing-column"),
    pytest.param(_extra_column, id="extra-column"),
    pytest.param(_figure_cell("gpt3_parameters", "source_id", "", "is required but empty"), id="empty-required-source"),
    pytest.param(_low_above_high, id="low-above-high"),
    pytest.param(
        _figure_cell(
            "cn_ai_server_workload_training_2023",
            "unit",
            "USD",
            "unit 'USD' measures money_usd, but metric 'ai_server_workload_share' is in share",
        ),
        id="unit-dimension-mismatch",
    ),
    pytest.param(
        _figure_cell("gpt3_parameters", "period", "20x6", "not a year, YYYY-MM or YYYY-YYYY range: '20x6'"), id="bad-period"
    ),
    pytest.param(
        _figure_cell("gpt3_parameters", "note", "=cmd|' /C calc'!A0", "looks like a spreadsheet formula"), id="formula-cell"
    ),
    pytest.param(_gbk, id="gbk-encoding"),
    pytest.param(_missing_file, id="missing-file"),
    pytest.param(_too_many_cells, id="too-many-cells"),
    pytest.param(_metric_without_name_en, id="metric-empty-name-en"),
    pytest.param(_report_source_without_section, id="report-source-without-section"),
    pytest.param(_lat_without_lon, id="lat-without-lon"),
]


def test_real_datasets_are_valid():
    """The baseline every mutation starts from passes, so each failure below is the mutation's doing."""
    tables = load_and_validate(PROJECT_ROOT / "datasets")
    assert len(tables["figures"].typed) == len(read_csv(PROJECT_ROOT / "datasets" / FIG)[1])


@pytest.mark.parametrize("mutate", BAD_ROWS)
def test_bad_row_fails_build_with_precise_problem(datasets_copy, tmp_path, mutate):
    file, line, column, reason = mutate(datasets_copy)
    out = tmp_path / "out" / "atlas.duckdb"
    with pytest.raises(BuildError) as excinfo:
        build(datasets_copy, out)
    find_problem(problems_of(excinfo), file, line, column, reason)
    assert not out.exists(), "a failed build must not write a database"


def test_problem_renders_file_line_column_and_reason(datasets_copy, tmp_path):
    line = set_cell(datasets_copy / FIG, "figure_id", "gpt3_parameters", "value", "abc")
    with pytest.raises(BuildError) as excinfo:
        build(datasets_copy, tmp_path / "atlas.duckdb")
    rendered = [str(p) for p in problems_of(excinfo)]
    expected = f"figures.csv:{line}: column 'value': not a number: 'abc'"
    # The parse error comes first; a follow-on "needs a value" for the same cell may follow it.
    assert rendered[0] == expected
    assert all(r.startswith(f"figures.csv:{line}: column 'value': ") for r in rendered)
    assert expected in str(excinfo.value)


def test_gbk_message_mentions_utf8(datasets_copy, tmp_path):
    _gbk(datasets_copy)
    with pytest.raises(BuildError) as excinfo:
        build(datasets_copy, tmp_path / "atlas.duckdb")
    assert "UTF-8" in str(excinfo.value)
    assert any(p.file == FIG and "UTF-8" in p.reason for p in problems_of(excinfo))


# ---------------------------------------------------------------- a good build


def test_good_build_figures_match_csv_row_for_row(datasets_copy, tmp_path):
    out = tmp_path / "atlas.duckdb"
    result = build(datasets_copy, out)
    assert result.path == out
    header, rows, _ = read_csv(datasets_copy / FIG)
    csv_rows = [dict(zip(header, r, strict=False)) for r in rows]
    assert result.row_counts["figures"] == len(csv_rows)

    con = duckdb.connect(str(out), read_only=True)
    try:
        db_rows = con.execute(
            "SELECT figure_id, value, value_low, value_high, unit, kind, source_id, printed FROM figures"
        ).fetchall()
    finally:
        con.close()
    assert len(db_rows) == len(csv_rows)
    by_id = {r[0]: r for r in db_rows}
    assert len(by_id) == len(db_rows), "figure_id must be unique in the database"

    def number(cell: str):
        return None if cell.strip() == "" else float(cell)

    for csv_row in csv_rows:
        fid = csv_row["figure_id"]
        assert fid in by_id, f"{fid} missing from the database"
        _, value, low, high, unit, kind, source_id, printed = by_id[fid]
        for got, cell in ((value, csv_row["value"]), (low, csv_row["value_low"]), (high, csv_row["value_high"])):
            expected = number(cell)
            if expected is None:
                assert got is None, f"{fid}: expected NULL, got {got!r}"
            else:
                # Parsed from the same decimal text: equal to within 1e-12 relative.
                assert got == pytest.approx(expected, rel=1e-12, abs=0), fid
        assert (unit, kind, source_id, printed) == (
            csv_row["unit"],
            csv_row["kind"],
            csv_row["source_id"],
            csv_row["printed"],
        ), fid


def test_failed_build_leaves_previous_database_untouched(datasets_copy, tmp_path):
    out_dir = tmp_path / "out"
    out = out_dir / "atlas.duckdb"
    build(datasets_copy, out)
    before_bytes = out.read_bytes()
    before_mtime = out.stat().st_mtime_ns
    before_listing = sorted(p.name for p in out_dir.iterdir())
    assert before_listing == ["atlas.duckdb", "atlas.duckdb.stamp.json"]

    set_cell(datasets_copy / FIG, "figure_id", "gpt3_parameters", "value", "abc")
    with pytest.raises(BuildError):
        build(datasets_copy, out)

    assert out.read_bytes() == before_bytes
    assert out.stat().st_mtime_ns == before_mtime
    assert sorted(p.name for p in out_dir.iterdir()) == before_listing, "temp files left behind"


def test_datasets_hash_changes_with_one_byte(datasets_copy):
    original = datasets_hash(datasets_copy)
    assert datasets_hash(datasets_copy) == original, "hash must be deterministic"
    path = datasets_copy / FIG
    data = bytearray(path.read_bytes())
    index = data.index(b"48.5")  # the 2020 training share, first printed digit
    data[index + 3] = ord("6")  # 48.5 -> 48.6: one byte
    path.write_bytes(bytes(data))
    changed = datasets_hash(datasets_copy)
    assert changed != original
    data[index + 3] = ord("5")
    path.write_bytes(bytes(data))
    assert datasets_hash(datasets_copy) == original


def test_build_result_carries_datasets_hash(datasets_copy, tmp_path):
    result = build(datasets_copy, tmp_path / "atlas.duckdb")
    assert result.datasets_hash == datasets_hash(datasets_copy)
    con = duckdb.connect(str(result.path), read_only=True)
    try:
        stored = con.execute("SELECT datasets_hash FROM build_info").fetchall()
    finally:
        con.close()
    assert stored == [(result.datasets_hash,)]


# ---------------------------------------------------------------- the command line


def _run_cli(datasets: Path, out: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    return subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--datasets", str(datasets), "--out", str(out)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_good_data_prints_path_and_exits_0(datasets_copy, tmp_path):
    out = tmp_path / "cli" / "atlas.duckdb"
    proc = _run_cli(datasets_copy, out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    assert out.exists()


def test_cli_bad_data_exits_1_and_names_line(datasets_copy, tmp_path):
    line = set_cell(datasets_copy / FIG, "figure_id", "global_ai_server_market_2025", "value", "abc")
    out = tmp_path / "cli" / "atlas.duckdb"
    proc = _run_cli(datasets_copy, out)
    assert proc.returncode == 1
    assert f"figures.csv:{line}" in proc.stderr
    assert "not a number: 'abc'" in proc.stderr
    assert proc.stdout.strip() == ""
    assert not out.exists()
