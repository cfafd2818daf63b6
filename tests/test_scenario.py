"""Scenario parameters, their URL and JSON forms, and the saved-scenario store."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

from analysis import scenario as sc
from analysis import userstore
from analysis.userstore import ScenarioStore, StoreError

APP_PARAM_MODULES = sc.PARAM_MODULES  # read before the fixture below swaps in the test parameters


@pytest.fixture(autouse=True)
def fixture_params(monkeypatch):
    monkeypatch.setattr(sc, "PARAM_MODULES", ("scenario_params_fixture",))


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("t_growth", "25", 25.0),
        ("t_growth", "0", 0.0),
        ("t_growth", "-0", 0.0),  # read as 0: a -0.0 passed the range check and broke numpy's uniform()
        ("t_growth", 80, 80.0),
        ("t_horizon", "2032", 2032),
        ("t_horizon", "2031.0", 2031),
        ("t_bands", "1", True),
        ("t_bands", "false", False),
        ("t_mode", "manual", "manual"),
    ],
)
def test_good_values_parse(name, raw, expected):
    value = sc.all_params()[name].parse(raw)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("t_growth", "abc", "not a number"),
        ("t_growth", "900", "above the maximum 80"),
        ("t_growth", "-1", "below the minimum 0"),
        ("t_growth", "nan", "not a number"),
        ("t_growth", "inf", "not a number"),
        ("t_growth", float("inf"), "not a finite number"),
        ("t_horizon", "inf", "not a number"),
        ("t_horizon", float("-inf"), "not a finite number"),
        ("t_horizon", 10**400, "not a finite number"),
        ("t_growth", "１２", "not a number"),
        ("t_growth", "٣٤", "not a number"),
        ("t_growth", "1_0", "not a number"),
        ("t_growth", " 0 ", "not a number"),  # surrounding spaces: refused, as in imports and the API
        ("t_growth", "1e-400", "too close to zero"),
        ("t_horizon", "2030.5", "not a whole number"),
        ("t_bands", "yes", "not true/false"),
        ("t_mode", "trend'; DROP TABLE", "not one of trend, manual"),
        ("t_growth", True, "not a number"),
    ],
)
def test_bad_values_are_refused_with_a_reason(name, raw, reason):
    with pytest.raises(ValueError, match=reason):
        sc.all_params()[name].parse(raw)


def test_parse_values_reports_bad_values_and_keeps_defaults():
    values, problems = sc.parse_values({"t_growth": "abc", "t_horizon": "2031", "lang": "en", "unknown": "1"})
    assert values == {"t_growth": 19.0, "t_horizon": 2031, "t_bands": False, "t_mode": "trend"}
    assert [(p.name, p.given, p.default) for p in problems] == [("t_growth", "abc", 19.0)]


def test_url_form_has_only_changed_values_and_round_trips():
    values = {**sc.defaults(), "t_growth": 22.5, "t_bands": True}
    query = sc.to_query(values)
    assert query == {"t_bands": "1", "t_growth": "22.5"}
    assert sc.parse_values(query) == (values, [])


def test_json_round_trip_and_bad_files():
    values = {**sc.defaults(), "t_mode": "manual", "t_horizon": 2028}
    name, loaded, problems = sc.from_json(sc.to_json("快速推理", values))
    assert (name, loaded, problems) == ("快速推理", values, [])
    for text, message in (("{", "not a JSON file"), ("[]", "not a Compute Atlas scenario"), ('{"format": "x"}', "not a Compute")):
        with pytest.raises(ValueError, match=message):
            sc.from_json(text)


def test_a_default_outside_its_range_is_a_programming_error():
    with pytest.raises(ValueError, match="default 90.0 is above the maximum 80"):
        sc.Param("x", 90.0, min_value=0, max_value=80)


@pytest.mark.parametrize(("raw", "code"), [("", "empty"), ("   ", "empty"), ("x" * 61, "too_long"), ("Baseline", "reserved")])
def test_bad_names(raw, code):
    with pytest.raises(sc.ScenarioNameError) as info:
        sc.validate_name(raw)
    assert info.value.code == code


def test_store_saves_loads_lists_and_deletes(tmp_path):
    store = ScenarioStore(tmp_path)
    assert store.names() == ["baseline"]
    stored = store.save("  Fast   inference ", {**sc.defaults(), "t_growth": 30.0})
    assert stored == "Fast inference"
    assert store.names() == ["baseline", "Fast inference"]
    assert store.load("Fast inference")["t_growth"] == 30.0
    assert store.load("baseline") == sc.defaults()
    store.delete("Fast inference")
    assert store.names() == ["baseline"]
    with pytest.raises(KeyError):
        store.load("Fast inference")
    with pytest.raises(ValueError, match="cannot be deleted"):
        store.delete("baseline")


def test_store_refuses_bad_values_and_leaves_the_file_unchanged(tmp_path):
    store = ScenarioStore(tmp_path)
    store.save("a", sc.defaults())
    before = store.path.read_bytes()
    with pytest.raises(ValueError, match="t_growth"):
        store.save("b", {**sc.defaults(), "t_growth": 500.0})
    assert store.path.read_bytes() == before


def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    store = ScenarioStore(tmp_path)
    store.save("a", sc.defaults())
    before = store.path.read_bytes()

    def broken_replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr(userstore.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.save("b", sc.defaults())
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenarios.json", "scenarios.json.lock"]


def test_an_unreadable_store_is_reported_and_never_overwritten(tmp_path):
    store = ScenarioStore(tmp_path)
    store.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot read scenarios.json"):
        store.names()
    with pytest.raises(StoreError):
        store.save("a", sc.defaults())
    assert store.path.read_text(encoding="utf-8") == "{not json"


def test_concurrent_saves_from_threads_all_land(tmp_path):
    store = ScenarioStore(tmp_path)
    names = [f"s{i}" for i in range(12)]
    threads = [threading.Thread(target=store.save, args=(n, sc.defaults())) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.names() == ["baseline", *sorted(names)]


def test_a_saved_scenario_survives_a_new_process(tmp_path):
    ScenarioStore(tmp_path).save("持久", {**sc.defaults(), "t_horizon": 2027})
    code = (
        "import sys, json; sys.path.insert(0, 'tests');"
        "from analysis import scenario as sc; sc.PARAM_MODULES = ('scenario_params_fixture',);"
        "from analysis.userstore import ScenarioStore;"
        f"print(json.dumps(ScenarioStore(__import__('pathlib').Path({str(tmp_path)!r})).load('持久')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["t_horizon"] == 2027


def test_user_data_lives_outside_the_build_directory():
    from analysis import paths

    assert not Path(paths.user_data_dir()).resolve().is_relative_to(Path(paths.database_path()).resolve().parent)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refused_value_names_the_allowed_range_with_its_unit_in_the_users_language(lang):
    _, problems = sc.parse_values({"t_growth": "9999", "t_horizon": "inf"})
    growth, horizon = (p.text(lang).replace("\\", "") for p in problems)
    assert "0% " in growth and " 80%" in growth and "19%" in growth
    assert "2024" in horizon and "2032" in horizon
    assert ("之间" in growth) == (lang == "zh")


def test_a_refused_value_is_echoed_as_text_not_markdown():
    payload = "![i](http://host/u.png)[x](http://evil)<b>"
    _, problems = sc.parse_values({"t_growth": payload})
    text = problems[0].text("en")
    assert "![" not in text and "](" not in text and "<b>" not in text and "http://" not in text
    assert "\\!\\[i\\]\\(http\u200b\\:\\/\\/host" in text


def test_a_scenario_file_with_infinity_is_reported_not_raised():
    body = '{"format": "compute-atlas-scenario", "values": {"t_growth": Infinity, "t_horizon": -Infinity}}'
    _, values, problems = sc.from_json(body)
    assert values == sc.defaults()
    assert {p.name: p.reason for p in problems} == {"t_growth": "is not a finite number", "t_horizon": "is not a finite number"}


def test_year_sliders_print_years_without_a_thousands_separator():
    """Counts read 1,024; a year reads 2025, never 2,025 (found on the market page's base-year slider)."""
    from ui.scenario import _number_format

    params = dict(sc._collect(APP_PARAM_MODULES))  # the app's own, not this file's fixture parameters
    years = {name for name, p in params.items() if p.is_year}
    assert {"mkt_base_year", "wl_horizon", "cyc_inference_midpoint"} <= years
    # Every whole-number range of calendar years is marked, so a new year slider cannot miss the rule.
    for name, p in params.items():
        if p.kind in ("int", "float") and p.min_value is not None and 1990 <= p.min_value and p.max_value <= 2100:
            assert p.is_year, f"{name} spans calendar years but is not marked is_year"
    # The slider's label is formatted by sprintf-js, whose "," flag groups thousands.
    for name in years:
        assert "," not in _number_format(params[name]), name
    assert _number_format(params["mkt_base_year"]) == "%d"
    assert _number_format(params["cmp_gpus"]) == "%,d"
