"""`python -m analysis`: build still works; import and sql exit non-zero with the message on bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import DATASETS_DIR, PROJECT_ROOT
from import_rows import csv_bytes, row

from analysis.__main__ import main
from analysis.imports import ImportStore


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch, built_db):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    return tmp_path


def test_build_subcommand_still_writes_the_database(tmp_path, capsys):
    out = tmp_path / "built" / "atlas.duckdb"
    assert main(["build", "--datasets", str(DATASETS_DIR), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out) and out.exists()


def test_import_then_list_rollback_restore(tmp_path, capsys):
    good = tmp_path / "actuals-2023.csv"
    good.write_bytes(csv_bytes([row()]))
    assert main(["import", str(good), "--name", "2023 actuals"]) == 0
    assert capsys.readouterr().out.strip() == "v0001"
    assert main(["versions"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "version,name,file,rows,imported_at,status"
    assert lines[1].startswith("v0001,2023 actuals,actuals-2023.csv,1,") and lines[1].endswith(",active")
    assert main(["rollback", "v0001"]) == 0
    assert [v.status for v in ImportStore().versions()] == ["rolled_back"]
    assert main(["restore", "v0001"]) == 0
    assert [v.status for v in ImportStore().versions()] == ["active"]
    assert main(["rollback", "v0042"]) == 1
    assert "no import version 'v0042'" in capsys.readouterr().err


def test_check_only_stores_nothing(tmp_path, env):
    good = tmp_path / "a.csv"
    good.write_bytes(csv_bytes([row()]))
    assert main(["import", str(good), "--check-only"]) == 0
    assert not (env / "userdata").exists()


def test_missing_file(tmp_path, capsys):
    assert main(["import", str(tmp_path / "nope.csv")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_sql_prints_csv(capsys):
    assert main(["sql", "SELECT kind, count(*) AS n FROM figures WHERE kind = 'editorial' GROUP BY kind"]) == 0
    assert capsys.readouterr().out.splitlines() == ["kind,n", "editorial,3"]


@pytest.mark.parametrize(
    "query, words",
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"),
        ("COPY figures TO '/tmp/x.csv'", "Only queries can run here"),
        ("SELECT 1; SELECT 2", "One statement at a time"),
    ],
)
def test_sql_refusal_exits_1_with_the_message(capsys, query, words):
    assert main(["sql", query]) == 1
    captured = capsys.readouterr()
    assert words in captured.err and captured.out == ""


def test_real_entry_point_exit_status_and_message_on_a_bad_file(tmp_path, env):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row(value="lots")]))
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "import", str(bad)],
        cwd=PROJECT_ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "bad.csv:2: column 'value': not a number: 'lots'" in result.stderr
    assert result.stdout == ""
    assert not (env / "userdata").exists()


def test_a_junk_import_prints_the_first_problems_and_a_count(tmp_path, capsys):
    from analysis.__main__ import MAX_PROBLEMS_PRINTED

    junk = tmp_path / "junk.csv"
    junk.write_bytes(csv_bytes([row(figure_id=f"junk_{i}", value="lots", unit="??") for i in range(2_000)]))
    assert main(["import", str(junk), "--check-only"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n  - ") == MAX_PROBLEMS_PRINTED
    assert "more problem(s)" in err and len(err) < 10_000


@pytest.mark.parametrize("timeout", ["inf", "-Infinity", "nan", "0", "-0", "1e9", "１", "1_0", " 1", "1e-400", "9" * 5000])
def test_sql_refuses_a_timeout_that_is_not_a_finite_positive_number(capsys, timeout):
    """A usage error (exit 2, as argparse gives), read by analysis.numbers: `--timeout １` ran with 1 s before."""
    with pytest.raises(SystemExit) as exited:
        main(["sql", "SELECT 1", f"--timeout={timeout}"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "The time limit must be a number of seconds above 0" in err and "Traceback" not in err


def test_sql_timeout_usage_error_from_the_real_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "sql", "SELECT 1", "--timeout", "１"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "--timeout" in result.stderr and "Traceback" not in result.stderr


def test_sql_error_while_streaming_is_a_message_not_a_traceback(capsys):
    assert main(["sql", "SELECT CASE WHEN range > 50000 THEN error('boom') END FROM range(100000)"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("DuckDB refused the query.") and "boom" in err and "Traceback" not in err


def test_repair_store_on_a_sound_store_says_so(capsys):
    assert main(["repair-store"]) == 0
    assert "nothing to repair" in capsys.readouterr().err


# ---------------------------------------------------------------- issue 28: the CLI's last guard


def test_an_unexpected_error_is_one_line_and_exit_1_and_usage_errors_stay_2(tmp_path):
    """/sys refuses new files even to root: DuckDB's IOException was a traceback with the folder's path."""

    def run(*args: str) -> subprocess.CompletedProcess:
        environment = {k: v for k, v in os.environ.items() if k != "ATLAS_DEBUG"}
        return subprocess.run(
            [sys.executable, "-m", "analysis", *args],
            cwd=PROJECT_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )

    failed = run("build", "--force", "--out", "/sys/atlas.duckdb")
    assert failed.returncode == 1
    assert "build: failed" in failed.stderr and "Permission denied" in failed.stderr
    assert "Traceback" not in failed.stderr and "/sys" not in failed.stderr, failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    usage = run("build", "--no-such-option")
    assert usage.returncode == 2 and "unrecognized arguments" in usage.stderr
