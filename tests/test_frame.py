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


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (1, 1.0),
        (1, True),
        (1, "1"),
        ("a,b", ("a", "b")),
        ((1,), [1]),
        ((1, 2), ((1,), 2)),
        ({"a": 1}, {"a": 2}),
        ({"a": 1, "b": None}, {"a": 1}),
        (float("nan"), None),
        ({"1": 1}, {1: 1}),
    ],
)
def test_plain_key_tells_different_values_apart(one, other):
    # frame_load keys its cache by this string: two values that share it would share a result.
    assert ui_frame.plain_key(one) is not None and ui_frame.plain_key(other) is not None
    assert ui_frame.plain_key(one) != ui_frame.plain_key(other)


def test_plain_key_is_the_same_for_equal_dicts_in_any_order_and_none_for_other_types():
    assert ui_frame.plain_key({"a": 1, "b": [2, 3.5]}) == ui_frame.plain_key({"b": [2, 3.5], "a": 1})
    import enum

    import pandas as pd

    class Level(enum.IntEnum):
        ONE = 1

    for other in (pd.DataFrame({"a": [1]}), Level.ONE, {"a": object()}, [b"bytes"]):
        assert ui_frame.plain_key(other) is None, other


def test_frame_chart_builds_once_per_scenario_keyed_by_its_plain_key(tmp_path, monkeypatch):
    import enum
    from types import SimpleNamespace

    from analysis.chartspec import chart_def

    class Mode(enum.Enum):  # not a plain value: keyed by Streamlit's own hashing
        A = "a"

    built = []
    monkeypatch.setattr(ui_frame, "_build_chart", lambda chart, con, scenario, lang: built.append(dict(scenario)) or object())
    definition = chart_def("cycle-curves")
    with isolated_app(tmp_path / "atlas.duckdb", tmp_path / "userdata"):
        status = ui_frame.database_status()
        frame = SimpleNamespace(status=status, lang="en", scenario={"mkt_cagr": 30, "mkt_band": True})
        first = ui_frame.frame_chart(frame, definition)
        assert ui_frame.frame_chart(frame, definition, {"mkt_band": True, "mkt_cagr": 30}) is first  # same, any order
        assert ui_frame.frame_chart(frame, definition, {"mkt_cagr": 30.0, "mkt_band": True}) is not first  # 30 ≠ 30.0
        odd = {"mkt_cagr": 30, "mode": Mode.A}
        assert ui_frame.frame_chart(frame, definition, odd) is ui_frame.frame_chart(frame, definition, dict(odd))
    assert len(built) == 3, built
