"""The start-up warm-up (ui/warmup.py) and the light server entry it relies on."""

from __future__ import annotations

import subprocess
import sys

from conftest import PROJECT_ROOT, isolated_app

from ui import frame as ui_frame
from ui import warmup


def test_the_server_entry_loads_neither_pandas_nor_duckdb_nor_the_api():
    # `streamlit run app.py` imports app.py before the server answers: what it loads delays the first answer,
    # and the warm-up loads the rest in a thread once the server is up.
    code = "import sys, app; print(sorted(m for m in ('pandas', 'duckdb', 'analysis.api', 'statsmodels') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_warm_up_leaves_the_database_checked_for_the_first_session(tmp_path, monkeypatch):
    calls = []
    original = ui_frame.ensure_database
    monkeypatch.setattr(ui_frame, "ensure_database", lambda: calls.append(1) or original())
    with isolated_app(tmp_path / "atlas.duckdb", tmp_path / "userdata"):
        seconds = warmup.warm_up()
        assert seconds > 0 and calls, "the warm-up checks (here: builds) the database"
        checked = len(calls)
        ui_frame.database_status()  # what the first session's frame asks
        assert len(calls) == checked, "the first session finds the check done"
        assert (tmp_path / "atlas.duckdb").exists()


def test_the_warm_up_starts_once_per_process(monkeypatch):
    monkeypatch.setattr(warmup, "_STARTED", type(warmup._STARTED)())
    runs = []
    monkeypatch.setattr(warmup, "_run", lambda: runs.append(1))
    assert warmup.start() is True
    assert warmup.start() is False
    warmup._STARTED.wait(1)
    assert len(runs) <= 1
