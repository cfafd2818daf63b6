"""Print a figure the way an analyst would read it: qualifier, value or range, unit, in zh or en."""

from __future__ import annotations

import math
import re
from decimal import Decimal

from analysis.i18n import t

# "{v} months" read with 1 is "1 month": English units that are one plural word lose their -s for exactly one.
_PLURAL_UNIT = re.compile(r"^\{v\} ([a-z-]+)s$")


def _decimal_text(value: float, scale: float = 1.0) -> str:
    # Decimal keeps 317.9 × 0.1 = 31.79 exact instead of 31.790000000000003.
    number = Decimal(repr(value)) * Decimal(repr(scale))
    text = format(number.normalize(), "f")
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def is_blank(value) -> bool:
    """Empty CSV cells arrive as None, "" or NaN; all mean 'not given'."""
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _scale_and_template(unit_row, lang: str) -> tuple[float, str]:
    if lang == "en":
        return float(unit_row["en_scale"]), unit_row["format_en"]
    return 1.0, unit_row["format_zh"]


def _fill(template: str, number: str) -> str:
    singular = _PLURAL_UNIT.match(template) if number == "1" else None
    return f"1 {singular.group(1)}" if singular else template.format(v=number)


def format_number(value, unit_row, lang: str) -> str:
    scale, template = _scale_and_template(unit_row, lang)
    return _fill(template, _decimal_text(float(value), scale))


def format_figure(figure, unit_row, lang: str) -> str:
    """`figure` needs value, value_low, value_high, qualifier; `unit_row` a row of units."""
    scale, template = _scale_and_template(unit_row, lang)
    if is_blank(figure["value"]):
        number = f"{_decimal_text(float(figure['value_low']), scale)}–{_decimal_text(float(figure['value_high']), scale)}"
    else:
        number = _decimal_text(float(figure["value"]), scale)
    body = _fill(template, number)
    qualifier = figure["qualifier"]
    if qualifier and qualifier != "none":
        return t(f"qualifier.{qualifier}", lang, value=body)
    return body
