"""One reader for every number a visitor, a file or a command line gives the app.

URL values and saved scenarios (`analysis.scenario.Param.parse`), import cells (`analysis.build.parse_cell`),
the API's query parameters (`analysis.api`) and the CLI's numeric options all read text through
`parse_number`, so the same text means the same number everywhere, or is refused everywhere:

- ASCII digits only, with an optional sign, point and exponent. Python's `float()` and `int()` also take
  full-width and Arabic-Indic digits, superscripts ("²" is a digit to `str.isdigit`), underscores
  ("1_000"), surrounding whitespace, "inf" and "nan": none of these is a number here.
- At most MAX_NUMBER_CHARS characters, checked before any conversion (`int()` of a 5,000-digit text raises).
- Finite: "1e400" is refused, and so is "1e-400", a non-zero literal that would silently read as 0.
- "-0" reads as 0: a negative zero passes `>= 0` checks but flips numpy's `uniform(low, high)` bounds.
- A range, when given, is checked here, before any model sees the value.

Refusals are `NumberError`s: a ValueError whose `code` a caller turns into its own translated message
(`numbers.reason.<code>` in the app and the API), and whose English text suits logs and the CLI.
"""

from __future__ import annotations

import math
import re

MAX_NUMBER_CHARS = 40  # a double needs at most 24 ("-2.2250738585072014e-308"); a year 4
NUMBER_TEXT = re.compile(r"[+-]?(?P<mantissa>\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
WHOLE_TEXT = re.compile(r"[+-]?\d+", re.ASCII)
NONZERO_DIGIT = re.compile(r"[1-9]", re.ASCII)


class NumberError(ValueError):
    """A text that is not an acceptable number. `code` is one of CODES; `limit` is the bound crossed, if any."""

    CODES = ("not_number", "too_long", "not_finite", "underflow", "not_whole", "below", "above")

    def __init__(self, code: str, message: str, *, limit: float | None = None):
        super().__init__(message)
        self.code, self.limit = code, limit


def parse_number(
    text: str,
    *,
    whole: bool = False,
    min_value: float | None = None,
    max_value: float | None = None,
) -> int | float:
    """The number `text` writes: an int when `whole`, else a float; NumberError says why not."""
    if not isinstance(text, str):
        raise NumberError("not_number", "is not a number")
    if len(text) > MAX_NUMBER_CHARS:
        raise NumberError("too_long", f"has more than {MAX_NUMBER_CHARS} characters")
    match = NUMBER_TEXT.fullmatch(text)
    if match is None:
        raise NumberError("not_number", "is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise NumberError("not_finite", "is not a finite number")
    if value == 0 and NONZERO_DIGIT.search(match["mantissa"]):
        raise NumberError("underflow", "is too close to zero to be told from zero")
    if whole:
        if WHOLE_TEXT.fullmatch(text):
            value = int(text)  # exact: a 17-digit id stays itself, where float() would round it
        elif value.is_integer():
            value = int(value)
        else:
            raise NumberError("not_whole", "is not a whole number")
    return check_range(normalise(value), min_value, max_value)


def normalise(value: int | float) -> int | float:
    """-0.0 as 0.0; every other number as it is."""
    return value + 0.0 if isinstance(value, float) and value == 0 else value


def check_range(value: int | float, min_value: float | None = None, max_value: float | None = None) -> int | float:
    """`value` if it lies within the bounds given, else NumberError('below' | 'above')."""
    if min_value is not None and value < min_value:
        raise NumberError("below", f"is below the minimum {min_value:g}", limit=min_value)
    if max_value is not None and value > max_value:
        raise NumberError("above", f"is above the maximum {max_value:g}", limit=max_value)
    return value
