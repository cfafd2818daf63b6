"""analysis.safejson: hostile JSON ends in UnsafeJSON with a code, never RecursionError or a bare ValueError."""

from __future__ import annotations

import pytest

from analysis.safejson import MAX_DEPTH, UnsafeJSON, loads, nesting_depth


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("[" * 100_000 + "]" * 100_000, "too_deep"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "too_deep"),
        ('{"n": ' + "9" * 5000 + "}", "int_too_long"),
        ('{"n": -' + "9" * 31 + "}", "int_too_long"),
        ('{"n": NaN}', "not_finite"),
        ('{"n": -Infinity}', "not_finite"),
        ('{"n": 1e999}', "not_finite"),
        ("{'single': 1}", "not_json"),
        (b"\xff\xfe{}", "not_utf8"),
        ("", "not_json"),
    ],
)
def test_hostile_json_is_refused_with_its_reason(text, code):
    with pytest.raises(UnsafeJSON) as caught:
        loads(text)
    assert caught.value.code == code
    assert "Traceback" not in str(caught.value)


def test_honest_json_at_the_limits_is_read():
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert nesting_depth(nested) == MAX_DEPTH
    loads(nested)
    assert loads('{"n": ' + "9" * 30 + ', "x": 1e-400, "s": "[[[[{{{{"}', max_depth=1) == {
        "n": int("9" * 30),
        "x": 0.0,
        "s": "[[[[{{{{",
    }


def test_brackets_inside_strings_do_not_count():
    assert nesting_depth('{"a": "[[[[\\"[[[["}') == 1
