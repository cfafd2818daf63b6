"""analysis.numbers: the one number reader behind URL values, saved scenarios, imports, the API and the CLI."""

from __future__ import annotations

import json
import math

import pytest
from import_rows import csv_bytes, row

from analysis import imports
from analysis.forecast import GrowthScenario
from analysis.imports import check_import, describe_problem, reason_code
from analysis.numbers import MAX_NUMBER_CHARS, NumberError, parse_number
from analysis.scenario import all_params, parse_values


@pytest.mark.parametrize(
    ("text", "whole", "expected"),
    [
        ("12", False, 12.0),
        ("-3.5", False, -3.5),
        ("+.5", False, 0.5),
        ("1e3", False, 1000.0),
        ("2.5E-3", False, 0.0025),
        ("0", False, 0.0),
        ("0.000", False, 0.0),
        ("0e-400", False, 0.0),  # zero written with a large exponent is still zero, not an underflow
        ("2025", True, 2025),
        ("2025.0", True, 2025),
        ("1e3", True, 1000),
        ("12345678901234567", True, 12345678901234567),  # exact, where float() would round it
    ],
)
def test_ascii_numbers_are_read(text, whole, expected):
    value = parse_number(text, whole=whole)
    assert value == expected
    assert type(value) is (int if whole else float)


@pytest.mark.parametrize("text", ["-0", "-0.0", "-0e5", "-.0"])
def test_negative_zero_reads_as_zero(text):
    value = parse_number(text)
    assert value == 0 and math.copysign(1, value) == 1  # +0.0: numpy's uniform(0, -0.0) raises "high - low < 0"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("  12 ", "not_number"),
        ("12 ", "not_number"),
        ("\t12", "not_number"),
        ("１０００", "not_number"),  # full-width digits
        ("٢٠٢٣", "not_number"),  # Arabic-Indic digits
        ("²", "not_number"),  # a superscript: str.isdigit() says yes
        ("1_000", "not_number"),
        ("inf", "not_number"),
        ("nan", "not_number"),
        ("Infinity", "not_number"),
        ("", "not_number"),
        ("1,000", "not_number"),
        ("0x10", "not_number"),
        ("1e400", "not_finite"),
        ("-1e400", "not_finite"),
        ("1e-400", "underflow"),
        ("-5e-324000", "underflow"),
        ("9" * 5000, "too_long"),
        ("1" + "0" * MAX_NUMBER_CHARS, "too_long"),
    ],
)
def test_lenient_numbers_are_refused(text, code):
    with pytest.raises(NumberError) as caught:
        parse_number(text)
    assert caught.value.code == code


def test_whole_numbers_refuse_fractions():
    with pytest.raises(NumberError) as caught:
        parse_number("2025.5", whole=True)
    assert caught.value.code == "not_whole"


@pytest.mark.parametrize(("text", "code", "limit"), [("299", "below", 300), ("2401", "above", 2400)])
def test_ranges_are_checked_with_the_bound_crossed(text, code, limit):
    with pytest.raises(NumberError) as caught:
        parse_number(text, whole=True, min_value=300, max_value=2400)
    assert (caught.value.code, caught.value.limit) == (code, limit)
    assert parse_number("300", whole=True, min_value=300, max_value=2400) == 300


def test_non_text_is_not_a_number():
    with pytest.raises(NumberError):
        parse_number(12)  # type: ignore[arg-type]


# ---------------------------------------------------------------- scenario values (URL and saved)


@pytest.mark.parametrize("given", ["-0", -0.0])
def test_scenario_reads_negative_zero_as_zero(given):
    values, problems = parse_values({"mkt_cagr": given, "mkt_spread": given})
    assert problems == []
    assert math.copysign(1, values["mkt_cagr"]) == 1 and math.copysign(1, values["mkt_spread"]) == 1


@pytest.mark.parametrize("given", ["  12 ", "１２", "1_2", "1e-400", "9" * 5000])
def test_scenario_refuses_lenient_url_numbers(given):
    values, problems = parse_values({"mkt_cagr": given})
    assert [p.name for p in problems] == ["mkt_cagr"]
    assert values["mkt_cagr"] == all_params()["mkt_cagr"].default


def test_growth_scenario_with_negative_zero_spread_draws_the_line():
    """The model itself survives a -0.0 that reached it some other way (the root of the issue's traceback)."""
    fan = GrowthScenario(2025, 317.9, -0.0, spread_pp=-0.0).simulate(2030, paths=10)
    assert (fan.paths == 317.9).all()


def test_growth_scenario_with_zero_spread_collapses_onto_the_scenario_line():
    scenario = GrowthScenario(2025, 100.0, 10.0, spread_pp=0.0)
    fan = scenario.simulate(2027, paths=5)
    # 100 × 1.1 × 1.1 by hand
    assert fan.paths[:, -1] == pytest.approx([121.0] * 5)


# ---------------------------------------------------------------- import cells and the import size limit


@pytest.mark.parametrize(
    ("changes", "column", "code"),
    [
        ({"value": "  12 "}, "value", "not_number"),  # read as 12 before
        ({"value": "12 "}, "value", "not_number"),
        ({"value": "1e-400"}, "value", "underflow"),  # read as 0 before
        ({"value": "9" * 5000}, "value", "not_number"),
        ({"period": "٢٠٢٣"}, "period", "bad_period"),  # Arabic-Indic digits: charted as 2023 before
        ({"period": "２０２３"}, "period", "bad_period"),  # full-width digits
        ({"period": "２０２２-２０２６"}, "period", "bad_period"),
    ],
)
def test_import_cells_refuse_lenient_numbers_and_periods(db_con, changes, column, code):
    check = check_import(db_con, csv_bytes([row(**changes)]), "x.csv")
    assert (check.problems[0].column, reason_code(check.problems[0].reason)[0]) == (column, code)
    for lang in ("en", "zh"):
        assert "imports.reason" not in describe_problem(check.problems[0], lang)  # a translated message


def test_import_cells_still_take_plain_numbers(db_con):
    check = check_import(db_con, csv_bytes([row(value="-0", value_low="", value_high="")]), "x.csv")
    assert check.ok, [str(p) for p in check.problems]
    assert math.copysign(1, check.rows[0]["value"]) == 1


def test_the_import_limit_is_one_number_of_bytes_in_the_uploaders_unit():
    """Streamlit's uploader counts a MB as 10**6 bytes in the browser; the check, the CLI and the README say the
    same 2 MB. Before, the check allowed 2 MiB, so a file the uploader refused was accepted by the CLI."""
    assert imports.MAX_IMPORT_BYTES == imports.MAX_IMPORT_MB * 1_000_000


def test_a_file_one_byte_over_the_limit_is_refused_and_says_so(db_con):
    payload = csv_bytes([row()])
    at_limit = payload + b"\n" * (imports.MAX_IMPORT_BYTES - len(payload))
    assert "too_large" not in [reason_code(p.reason)[0] for p in check_import(db_con, at_limit, "x.csv").problems]
    over = check_import(db_con, at_limit + b"\n", "x.csv")
    assert [reason_code(p.reason)[0] for p in over.problems] == ["too_large"]
    assert "2.01 MB" in describe_problem(over.problems[0], "en")  # rounded up: never "2.00 MB; the limit is 2 MB"


def test_a_saved_scenario_is_validated_again_when_loaded(tmp_path):
    from analysis.scenario import StoredScenarioInvalid
    from analysis.userstore import STORE_FORMAT, ScenarioStore

    scenarios = {
        "Bull": {"values": {"mkt_cagr": 500.0, "mkt_horizon": 2031}, "saved_at": ""},
        "Flat": {"values": {"mkt_cagr": -0.0, "mkt_spread": -0.0}, "saved_at": ""},
    }
    body = {"format": STORE_FORMAT, "version": 1, "scenarios": scenarios}
    (tmp_path / "scenarios.json").write_text(json.dumps(body), encoding="utf-8")
    store = ScenarioStore(tmp_path)
    with pytest.raises(StoredScenarioInvalid) as refused:
        store.load("Bull")
    assert [(p.name, p.given) for p in refused.value.problems] == [("mkt_cagr", "500.0")]
    assert "above the maximum 80" in str(refused.value)
    flat = store.load("Flat")  # saved with -0 before the parser read it as 0
    assert math.copysign(1, flat["mkt_cagr"]) == 1 and math.copysign(1, flat["mkt_spread"]) == 1


@pytest.mark.parametrize("given", [10**5000, -(10**6000), 10**400], ids=["5001-digits", "minus-6001-digits", "401-digits"])
def test_a_json_integer_beyond_floats_range_is_refused_not_raised(given):
    """A saved or uploaded scenario may hold any JSON integer: float() of a huge one raised OverflowError, and
    str() of one with more than 4,300 digits raises ValueError inside the report of the problem."""
    values, problems = parse_values({"mkt_cagr": given, "mkt_horizon": given})
    assert [(p.name, p.reason) for p in problems] == [
        ("mkt_cagr", "is not a finite number"),
        ("mkt_horizon", "is not a finite number"),
    ]
    assert values["mkt_cagr"] == all_params()["mkt_cagr"].default
    assert all(set(p.given) <= set("-…") for p in problems)  # no digits the value does not have
