"""Print a figure the way an analyst would read it: qualifier, value or range, unit, in zh or en."""

from __future__ import annotations

import math
from decimal import Decimal

from analysis.i18n import t


def _decimal_text(value: float, scale: float = 1.0) -> str:
    # Decimal keeps 317.9 × 0.1 = 31.79 exact instead of 31.790000000000003.
    number = Decimal(repr(value)) * Decimal(repr(scale))
    text = format(number.normalize(), "f")
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def format_number(value, unit_row, lang: str) -> str:
    scale = float(unit_row["en_scale"]) if lang == "en" else 1.0
    template = unit_row["format_en"] if lang == "en" else unit_row["format_zh"]
    return template.format(v=_decimal_text(float(value), scale))


def format_figure(figure, unit_row, lang: str) -> str:
    """`figure` needs value, value_low, value_high, qualifier; `unit_row` a row of units."""
    if _present(figure["value"]):
        body = format_number(figure["value"], unit_row, lang)
    else:
        scale = float(unit_row["en_scale"]) if lang == "en" else 1.0
        span = f"{_decimal_text(float(figure['value_low']), scale)}–{_decimal_text(float(figure['value_high']), scale)}"
        template = unit_row["format_en"] if lang == "en" else unit_row["format_zh"]
        body = template.format(v=span)
    qualifier = figure["qualifier"]
    if qualifier and qualifier != "none":
        return t(f"qualifier.{qualifier}", lang, value=body)
    return body
