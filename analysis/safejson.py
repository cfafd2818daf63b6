"""JSON read from files and uploads that a visitor or a damaged disk may have written.

Python's `json` has no depth limit (100,000 nested brackets raise RecursionError from deep inside the
parser) and turns a 5,000-digit number into a ValueError about `sys.set_int_max_str_digits`, both after
reading the whole text. `loads` checks the nesting before parsing, refuses integers longer than any
figure or count this product stores, and refuses NaN and Infinity, so every bad input ends in one
exception type with a message a user can act on.

>>> loads('{"a": [1, 2.5]}')
{'a': [1, 2.5]}
>>> loads('[[[1]]]', max_depth=2)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
...
analysis.safejson.UnsafeJSON: the JSON is nested 3 levels deep; at most 2 are accepted
"""

from __future__ import annotations

import json
import re

# A saved scenario or manifest is 3-4 levels deep; 64 leaves room for any honest file.
MAX_DEPTH = 64
# Long enough for any count or figure stored here (a 64-bit integer has 19 digits), short enough to parse at once.
MAX_INT_DIGITS = 30
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class UnsafeJSON(ValueError):
    """Text that is not JSON, or JSON this product does not read; `code` names which rule it broke."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def nesting_depth(text: str) -> int:
    """How deep the brackets of `text` nest, ignoring brackets inside strings."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _parse_int(max_digits: int):
    def parse(digits: str) -> int:
        if len(digits.lstrip("-")) > max_digits:
            raise UnsafeJSON(
                "int_too_long", f"a number in the JSON has {len(digits.lstrip('-'))} digits; at most {max_digits} are accepted"
            )
        return int(digits)

    return parse


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise UnsafeJSON("not_finite", f"the number {text[:20]} in the JSON is too large to hold")
    return value


def _refuse_constant(name: str) -> float:
    raise UnsafeJSON("not_finite", f"the JSON holds {name}, which is not a number this product accepts")


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, max_int_digits: int = MAX_INT_DIGITS) -> object:
    """Parse `text` as JSON, refusing deep nesting, over-long integers and NaN/Infinity with `UnsafeJSON`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnsafeJSON("not_utf8", f"the file is not UTF-8 text (byte {exc.start})") from None
    depth = nesting_depth(text)
    if depth > max_depth:
        raise UnsafeJSON("too_deep", f"the JSON is nested {depth} levels deep; at most {max_depth} are accepted")
    try:
        return json.loads(text, parse_int=_parse_int(max_int_digits), parse_float=_parse_float, parse_constant=_refuse_constant)
    except UnsafeJSON:
        raise
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise UnsafeJSON("not_json", f"not valid JSON: {exc}") from None
