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


def scaled_text(value: float, scale: float = 1.0) -> str:
    """`value` × `scale` with every digit it has and no float noise (317.9 × 0.1 → "31.79")."""
    return _decimal_text(float(value), scale)


RATE_DECIMALS = 1  # a growth rate or share computed by the app reads 43.7%, in a sentence and on a button alike


def rate_text(percent: float, decimals: int = RATE_DECIMALS) -> str:
    """A computed rate in percent, without the sign: one rule for every sentence and button ("43.7", "1,240.5")."""
    return f"{float(percent):,.{decimals}f}"


def shown_value(value: float, unit_id: str) -> float:
    """A value the app computed, as text shows it: a percentage to RATE_DECIMALS (16.979 -> 17.0, as every rate
    the app prints), anything else to SIGNIFICANT_DIGITS (1.4037 million -> 1.4 million). Data (CSV, API) keeps
    its own precision."""
    return round(float(value), RATE_DECIMALS) if unit_id == "percent" else round_significant(float(value))


def is_blank(value) -> bool:
    """Empty CSV cells arrive as None, "" or NaN; all mean 'not given'."""
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _scale_and_template(unit_row, lang: str) -> tuple[float, str]:
    if lang == "en":
        return float(unit_row["en_scale"]), unit_row["format_en"]
    return 1.0, unit_row["format_zh"]


MILLIONS_MARK = "{v} m"  # English money printed in millions ("USD {v} m a month")
MILLION = 1_000_000
_MILLIONS_WORD = re.compile(re.escape(MILLIONS_MARK) + r"\b")


def _in_whole_units(scale: float, template: str, values: list[float]) -> tuple[float, str]:
    """Below a million, English prints money in whole dollars (USD 37,000, not USD 0.037 m), as the audit does."""
    # "{v} m" as a word only: "{v} million units" is a count, not money in millions.
    if _MILLIONS_WORD.search(template) and values and all(abs(v * scale) < 1 for v in values):
        return scale * MILLION, _MILLIONS_WORD.sub("{v}", template)
    return scale, template


def _fill(template: str, number: str) -> str:
    singular = _PLURAL_UNIT.match(template) if number == "1" else None
    return f"1 {singular.group(1)}" if singular else template.format(v=number)


def format_number(value, unit_row, lang: str) -> str:
    scale, template = _in_whole_units(*_scale_and_template(unit_row, lang), [float(value)])
    return _fill(template, _decimal_text(float(value), scale))


SIGNIFICANT_DIGITS = 3  # computed figures (forecasts, totals): as many digits as an analyst would print


def display_unit(unit_row, lang: str) -> tuple[float, str]:
    """(scale, label) of the unit a quantity stored in `unit_row` is shown in for `lang`.

    The store keeps the report's own unit (亿美元, 万台); English prints the larger unit of the units
    table's `en_scale` (USD bn, million units). A stored value × scale is the displayed number;
    the label is the print format without its number ("USD {v} bn" → "USD bn").
    """
    scale, template = _scale_and_template(unit_row, lang)
    return scale, " ".join(template.replace("{v}", " ").split())


def round_significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """`value` rounded to `digits` significant figures (758.62 → 759, 4.2555 → 4.26, 6842.12 → 6840)."""
    if value == 0 or not math.isfinite(value):
        return value
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    return float(round(Decimal(repr(value)), decimals))


def column_decimals(computed, printed=(), *, significant: int = SIGNIFICANT_DIGITS, most: int = 6) -> int:
    """Decimals for a table of computed values beside printed figures, one count for the whole table.

    Enough that the smallest computed value keeps `significant` figures, and never fewer than the
    printed figures carry (31.79 beside 75.862 prints 75.86), so a column's numbers align.
    """
    given = [abs(float(v)) for v in computed if v is not None and math.isfinite(float(v)) and float(v) != 0]
    needed = max((significant - 1 - math.floor(math.log10(v)) for v in given), default=0)
    shown = [v for v in printed if v is not None and math.isfinite(float(v))]
    carried = max((decimal_places(v, most=most) for v in shown), default=0)
    return max(0, min(most, max(needed, carried)))


def decimal_places(value: float, *, most: int = 6) -> int:
    """Decimals `value` is written with (31.79 → 2, 120.0 → 0), float noise beyond `most` ignored."""
    return max(0, -Decimal(repr(round(float(value), most))).normalize().as_tuple().exponent)


def scaled(value: float, scale: float) -> float:
    """`value` × `scale` without float noise (317.9 × 0.1 = 31.79, not 31.790000000000003)."""
    return float(Decimal(repr(float(value))) * Decimal(repr(float(scale))))


def format_quantity(value, unit_row, lang: str, *, significant: int | None = SIGNIFICANT_DIGITS) -> str:
    """A stored value as a reader sees it: in the display unit of `lang`, to `significant` figures.

    Every place that prints the same quantity (slider, chart, table, headline, deck) goes through
    `display_unit` and this, so they agree on the unit. `significant=None` keeps every digit given
    (a source figure printed with more digits than three).
    """
    scale, template = _in_whole_units(*_scale_and_template(unit_row, lang), [float(value)])
    shown = float(Decimal(repr(float(value))) * Decimal(repr(scale)))
    if significant is not None:
        shown = round_significant(shown, significant)
    return _fill(template, _decimal_text(shown))


def format_figure(figure, unit_row, lang: str) -> str:
    """`figure` needs value, value_low, value_high, qualifier; `unit_row` a row of units."""
    given = [figure["value"]] if not is_blank(figure["value"]) else [figure["value_low"], figure["value_high"]]
    scale, template = _in_whole_units(*_scale_and_template(unit_row, lang), [float(v) for v in given])
    if is_blank(figure["value"]):
        number = f"{_decimal_text(float(figure['value_low']), scale)}–{_decimal_text(float(figure['value_high']), scale)}"
    else:
        number = _decimal_text(float(figure["value"]), scale)
    body = _fill(template, number)
    qualifier = figure["qualifier"]
    if qualifier and qualifier != "none":
        return t(f"qualifier.{qualifier}", lang, value=body)
    return body
