"""The frame's cheap paths: the database status is checked again only when a file changed; calls name functions."""

from __future__ import annotations

import os

import pytest
from conftest import isolated_app

from analysis import data
from ui import frame as ui_frame


@pytest.fixture
def counted_checks(tmp_path, datasets_copy, monkeypatch):
    calls = []
    original = ui_frame.ensure_database

    def counting():
        calls.append(1)
        return original()

    monkeypatch.setenv("ATLAS_DATASETS_DIR", str(datasets_copy))
    monkeypatch.setattr(ui_frame, "ensure_database", counting)
    with isolated_app(tmp_path / "atlas.duckdb", tmp_path / "userdata"):
        yield calls, datasets_copy


def test_the_database_is_checked_again_only_when_a_file_changed(counted_checks):
    calls, datasets = counted_checks
    first = ui_frame.database_status()
    assert first.rebuilt and len(calls) == 1
    for _ in range(5):
        assert ui_frame.database_status().datasets_hash == first.datasets_hash
    # Once more after the build (the new database file changed the fingerprint), then never while nothing changes.
    assert len(calls) == 2, "nothing changed: no hashing of datasets/, no rebuild"
    edited = next(iter(sorted(datasets.glob("*.csv"))))
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    os.utime(edited, ns=(edited.stat().st_atime_ns, edited.stat().st_mtime_ns + 1_000_000))
    ui_frame.database_status()
    assert len(calls) == 3, "an edited file is checked for real"


def test_frame_load_keys_its_cache_by_the_function_itself():
    assert ui_frame.function_name(data.build_info) == "analysis.data.build_info"
    # A page written before frame_load took functions still works, resolved to the same function.
    assert ui_frame._legacy_function("build_info") is data.build_info
    assert ui_frame._legacy_function("regions.sites").__qualname__ == "sites"
