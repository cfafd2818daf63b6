"""Shared fixtures and CSV-editing helpers for the Compute Atlas tests.

The helpers read and write the datasets with the csv module in UTF-8 (no BOM, "\n" line endings,
as the real files are written), so a test can change exactly one cell or add one row and know
which file line the build should blame.
"""

from __future__ import annotations

import csv
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATASETS_DIR = PROJECT_ROOT / "datasets"
# /work/main/tests -> /work/main -> /work -> /work/shared/report
REPORT_DIR = PROJECT_ROOT.parent / "shared" / "report"
REPORT_FILE = REPORT_DIR / "000_6ee0e0b097716dd5.txt"

if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from analysis.build import BuildError, Problem, build  # noqa: E402


def _show_error_details_in_tests() -> None:
    """.streamlit/config.toml hides an uncaught exception's details from visitors (showErrorDetails = "none");
    AppTest reads that file too, so the tests ask for them again: a failing test shows the real error."""
    from streamlit import config

    config.get_option("client.showErrorDetails")  # parse the config files first, then override
    config.set_option("client.showErrorDetails", "full")


_show_error_details_in_tests()

# ---------------------------------------------------------------- CSV helpers


def read_csv(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Return (header, rows, line numbers): line_numbers[i] is the file line where rows[i] ends,
    counted the way csv.DictReader.line_num counts (the header is line 1)."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows, lines = [], []
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
    return header, rows, lines


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def row_line(path: Path, key_column: str, key_value: str) -> int:
    """File line number of the row whose key_column equals key_value."""
    header, rows, lines = read_csv(path)
    index = header.index(key_column)
    for row, line in zip(rows, lines, strict=False):
        if row[index] == key_value:
            return line
    raise KeyError(f"{Path(path).name}: no row with {key_column}={key_value!r}")


def set_cell(path: Path, key_column: str, key_value: str, column: str, new_value: str) -> int:
    """Change one cell of the row whose key_column equals key_value; return that row's file line."""
    header, rows, lines = read_csv(path)
    key_index, col_index = header.index(key_column), header.index(column)
    matches = [i for i, row in enumerate(rows) if row[key_index] == key_value]
    if len(matches) != 1:
        raise KeyError(f"{Path(path).name}: {len(matches)} rows with {key_column}={key_value!r}")
    rows[matches[0]][col_index] = new_value
    write_csv(path, header, rows)
    return lines[matches[0]]


def get_row(path: Path, key_column: str, key_value: str) -> dict[str, str]:
    header, rows, _ = read_csv(path)
    index = header.index(key_column)
    for row in rows:
        if row[index] == key_value:
            return dict(zip(header, row, strict=False))
    raise KeyError(f"{Path(path).name}: no row with {key_column}={key_value!r}")


def append_row(path: Path, row: dict[str, str] | list[str]) -> int:
    """Append a row (a dict by column name, missing columns empty; or a raw list of cells,
    which may be longer than the header). Return the new row's file line."""
    header, rows, lines = read_csv(path)
    cells = [row.get(c, "") for c in header] if isinstance(row, dict) else list(row)
    unknown = set(row) - set(header) if isinstance(row, dict) else set()
    if unknown:
        raise KeyError(f"{Path(path).name}: no column(s) {sorted(unknown)}")
    rows.append(cells)
    write_csv(path, header, rows)
    return (lines[-1] if lines else 1) + 1


def drop_column(path: Path, column: str) -> None:
    header, rows, _ = read_csv(path)
    index = header.index(column)
    write_csv(path, [c for i, c in enumerate(header) if i != index], [[c for i, c in enumerate(r) if i != index] for r in rows])


def add_column(path: Path, column: str, value: str = "") -> None:
    header, rows, _ = read_csv(path)
    write_csv(path, header + [column], [r + [value] for r in rows])


def problems_of(excinfo: pytest.ExceptionInfo) -> list[Problem]:
    error = excinfo.value
    assert isinstance(error, BuildError)
    return list(error.problems)


def find_problem(problems: list[Problem], file: str, line: int | None, column: str | None, reason_part: str) -> Problem:
    """The one problem at file:line in column whose reason contains reason_part; fail with all problems shown."""
    for problem in problems:
        if problem.file == file and problem.line == line and problem.column == column and reason_part in problem.reason:
            return problem
    shown = "\n".join(f"  {p!r}" for p in problems)
    pytest.fail(f"no problem {file}:{line} column {column!r} containing {reason_part!r}; got:\n{shown}")


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def datasets_copy(tmp_path: Path) -> Path:
    """A private copy of datasets/*.csv that a test may corrupt."""
    target = tmp_path / "datasets"
    target.mkdir()
    copied = 0
    for csv_path in sorted(DATASETS_DIR.glob("*.csv")):
        shutil.copy2(csv_path, target / csv_path.name)
        copied += 1
    assert copied > 0, f"no CSVs found in {DATASETS_DIR}"
    return target


@pytest.fixture(scope="session")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real datasets/ built once into a temporary DuckDB file (read-only use)."""
    out = tmp_path_factory.mktemp("built") / "atlas.duckdb"
    result = build(DATASETS_DIR, out)
    assert result.path == out and out.exists()
    return out


@pytest.fixture(scope="session")
def db_con(built_db: Path):
    import duckdb

    con = duckdb.connect(str(built_db), read_only=True)
    yield con
    con.close()


def find_report_file() -> Path | None:
    """The report text: ../shared/report, else the nearest ancestor's shared/report (git worktrees sit deeper)."""
    for parent in PROJECT_ROOT.parents:
        candidate = parent / "shared" / "report" / REPORT_FILE.name
        if candidate.exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def report_text() -> str:
    # The report is not part of the repository: the checks against its text need the shared folder beside it.
    path = find_report_file()
    if path is None:
        pytest.skip(f"report text {REPORT_FILE.name} not found under any shared/report above {PROJECT_ROOT}")
    return path.read_text(encoding="utf-8")


@contextmanager
def isolated_app(db_path: Path, user_data_dir: Path):
    """Point the app at a database and user-data folder of its own for AppTest runs.

    Streamlit's caches are process-wide, so they are cleared on the way in and out: nothing cached
    against another database leaks into these tests, or out of them.
    """
    import streamlit as st

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATLAS_DB_PATH", str(db_path))
        mp.setenv("ATLAS_USER_DATA_DIR", str(user_data_dir))
        st.cache_data.clear()
        st.cache_resource.clear()
        try:
            yield
        finally:
            st.cache_data.clear()
            st.cache_resource.clear()


def open_app_page(file: str | None, lang: str = "en", *, timeout: float, **query):
    """An AppTest of the app at page `file` (None: home) with `?lang=` and the given query parameters, run once."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=timeout)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    if file:
        at.switch_page(file)
    return at.run()


# ---------------------------------------------------------------- a real PostgreSQL (issue 26: user data in a database)


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the session (tests/pgcluster.py); skipped only without the package."""
    from pgcluster import postgres_bindir, running_cluster

    if postgres_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (Debian package postgresql; make test-deps)")
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster, monkeypatch):
    """A fresh empty database, named by ATLAS_USERDATA_URL for the test; its connection pools closed after."""
    from analysis import userstore_pg

    url = pg_cluster.new_database()
    monkeypatch.setenv("ATLAS_USERDATA_URL", url)
    yield url
    userstore_pg.close_pools()
