"""Scenarios: every assumption a user can set, with its default, range and URL form.

A scenario is a plain mapping of parameter name to value. The report's defaults form the fixed
scenario `baseline`. A scenario travels in the URL (only values that differ from the default),
in a saved-scenario store (`analysis.userstore`) and in a briefing pack's JSON; all three go
through `parse_value`, so a bad value is reported and replaced by the default the same way everywhere.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from analysis import textsafe
from analysis.i18n import t, with_aside
from analysis.numbers import normalise, parse_number
from analysis.textsafe import CONTROL_CHARS, escape_markdown

BASELINE_NAME = "baseline"
SCENARIO_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Param:
    """One assumption. `kind` is float | int | bool | choice; `label_key` is a translation key."""

    name: str
    default: object
    kind: str = "float"
    min_value: float | None = None
    max_value: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    label_key: str = ""
    help_key: str = ""
    unit: str = ""  # shown after the value, e.g. "%", "GPU"
    page_id: str = ""
    decimals: int | None = None  # digits a float shows in widgets and labels (None: as many as it has)
    is_year: bool = False  # a calendar year: printed 2025, never 2,025

    def __post_init__(self) -> None:
        if self.kind not in ("float", "int", "bool", "choice"):
            raise ValueError(f"parameter {self.name}: unknown kind {self.kind!r}")
        problem = self.check(self.default)
        if problem:
            raise ValueError(f"parameter {self.name}: default {self.default!r} {problem}")

    def check(self, value: object) -> str:
        """'' if `value` is acceptable, else why not (in English, for messages and logs)."""
        if self.kind == "bool":
            return "" if isinstance(value, bool) else "is not true/false"
        if self.kind == "choice":
            return "" if value in self.choices else f"is not one of {', '.join(self.choices)}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "is not a number"
        if not _finite(value):  # before int(value): int(inf) raises OverflowError
            return "is not a finite number"
        if self.kind == "int" and value != int(value):
            return "is not a whole number"
        if self.min_value is not None and value < self.min_value:
            return f"is below the minimum {self.min_value:g}"
        if self.max_value is not None and value > self.max_value:
            return f"is above the maximum {self.max_value:g}"
        return ""

    def parse(self, raw: object) -> object:
        """Turn a URL string or JSON value into this parameter's type; ValueError says why not."""
        value = raw
        if isinstance(raw, str):
            if self.kind in ("float", "int"):  # ASCII digits only, bounded, finite; "-0" reads as 0
                value = parse_number(raw)
            elif self.kind == "bool":
                lowered = raw.strip().lower()
                if lowered not in ("1", "0", "true", "false"):
                    raise ValueError("is not true/false")
                value = lowered in ("1", "true")
            else:
                value = raw.strip()
        elif isinstance(value, float):
            value = normalise(value)  # a -0.0 saved before it was read as 0, or in a hand-written file
        if self.kind == "int" and isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if self.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            if not _finite(value):  # float() of an int beyond float's range raises OverflowError
                raise ValueError("is not a finite number")
            value = float(value)
        problem = self.check(value)
        if problem:
            raise ValueError(problem)
        return value

    def display(self, value: object) -> str:
        """The value as a reader sees it, with its unit: 33.3%, 1024, 175B."""
        if self.kind == "float" and self.decimals is not None:
            return f"{float(value):.{self.decimals}f}{self.unit}"
        return f"{self.to_text(value)}{self.unit}"

    def to_text(self, value: object) -> str:
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "float":
            return format(float(value), ".10g")
        return str(value)


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float's range, e.g. from JSON
        return False


@dataclass(frozen=True)
class ValueProblem:
    """A rejected value: which parameter, what was given, why, and the default used instead."""

    name: str
    given: str
    reason: str
    default: object

    def __str__(self) -> str:
        return f"{self.name}={self.given!r} {self.reason}; using {self.default!r}"

    def text(self, lang: str, params: Mapping[str, Param] | None = None) -> str:
        """One translated line: the parameter, the value given, why it was refused (with the allowed
        range or choices) and the default used; everything user-supplied is escaped for Markdown."""
        param = (all_params() if params is None else params)[self.name]
        return t(
            "scenario.bad_url_value",
            lang,
            label=t(param.label_key, lang) if param.label_key else self.name,
            name=self.name,
            given=escape_markdown(self.given),
            reason=reason_text(param, self.reason, lang),
            default=escape_markdown(display_value(param, self.default, lang)),
        )

    def stored_text(self, lang: str, params: Mapping[str, Param] | None = None) -> str:
        """As `text`, for a saved scenario that is refused as a whole (no default is put in its place)."""
        param = (all_params() if params is None else params)[self.name]
        return t(
            "scenario.stored_value",
            lang,
            label=t(param.label_key, lang) if param.label_key else self.name,
            name=self.name,
            given=escape_markdown(self.given),
            reason=reason_text(param, self.reason, lang),
        )


class StoredScenarioInvalid(ValueError):
    """A saved scenario holding a value today's checks refuse (saved before a check existed, or edited by hand).

    It is reported, never run: a page, the API or `analysis export` that meets one says which values are
    wrong and leaves the scenario out, so one bad record cannot break a section for every visitor."""

    def __init__(self, name: str, problems: list[ValueProblem]):
        listed = "; ".join(f"{p.name}={p.given!r} {p.reason}" for p in problems)
        super().__init__(f"the saved scenario {name!r} holds values that are no longer accepted: {listed}")
        self.name, self.problems = name, problems

    def markdown(self, lang: str) -> str:
        """A translated Markdown list, one line per refused value."""
        return "\n".join(f"- {p.stored_text(lang)}" for p in self.problems)


def display_value(param: Param, value: object, lang: str) -> str:
    """A value as a reader sees it: on/off, the translated choice, or the number with its unit."""
    if param.kind == "bool":
        return t("scenario.on" if value else "scenario.off", lang)
    if param.kind == "choice":
        return t(f"{param.label_key}.{value}", lang) if param.label_key else str(value)
    return param.display(value)


def reason_text(param: Param, reason: str, lang: str) -> str:
    """Why a value was refused, in `lang`, naming what is allowed: the range with its unit, or the choices."""
    if param.kind == "bool":
        return t("scenario.reason.bool", lang)
    if param.kind == "choice":
        allowed = " / ".join(with_aside(c, display_value(param, c, lang), lang) for c in param.choices)
        return t("scenario.reason.choice", lang, allowed=escape_markdown(allowed))
    bound = int if param.kind == "int" else float
    low = display_value(param, bound(param.min_value), lang) if param.min_value is not None else "−∞"
    high = display_value(param, bound(param.max_value), lang) if param.max_value is not None else "∞"
    key = "scenario.reason.whole_range" if param.kind == "int" else "scenario.reason.range"
    if reason == "is not a whole number":
        key = "scenario.reason.whole_range"
    return t(key, lang, low=escape_markdown(low), high=escape_markdown(high))


# Modules that define `PARAMS: tuple[Param, ...]`; each area of the app adds its module here.
PARAM_MODULES: tuple[str, ...] = (
    "analysis.phases",
    "analysis.cycle",
    "analysis.workload",
    "analysis.imports",
    "analysis.regions",
    "analysis.compute",
    "analysis.market",
    "analysis.later",
)


def all_params() -> dict[str, Param]:
    """Every declared parameter by name (a fresh dict; the collection itself is cached per module list)."""
    return dict(_collect(PARAM_MODULES))


@cache
def _collect(modules: tuple[str, ...]) -> dict[str, Param]:
    found: dict[str, Param] = {}
    for module in modules:
        for param in import_module(module).PARAMS:
            if param.name in found or param.name in RESERVED_NAMES:
                raise ValueError(f"scenario parameter {param.name!r} is defined twice or reserved")
            found[param.name] = param
    return found


RESERVED_NAMES = frozenset({"lang", "scenario"})


def defaults(params: Mapping[str, Param] | None = None) -> dict[str, object]:
    params = all_params() if params is None else params
    return {name: p.default for name, p in params.items()}


def parse_values(
    raw: Mapping[str, object], params: Mapping[str, Param] | None = None
) -> tuple[dict[str, object], list[ValueProblem]]:
    """Defaults overlaid with every valid value in `raw`; unknown names are ignored, bad values reported."""
    params = all_params() if params is None else params
    values = defaults(params)
    problems: list[ValueProblem] = []
    for name, given in raw.items():
        param = params.get(name)
        if param is None:
            continue
        if isinstance(given, list):  # a repeated URL parameter: the last one wins, as in browsers
            given = given[-1] if given else ""
        try:
            values[name] = param.parse(given)
        except ValueError as exc:
            problems.append(ValueProblem(name, CONTROL_CHARS.sub(" ", _given_text(given))[:40], str(exc), param.default))
    return values, problems


def _given_text(given: object) -> str:
    """A refused value as a message quotes it. An integer too long to quote (str() raises ValueError beyond 4,300
    digits, and a message has 40 characters) is shown as its sign and an ellipsis: never as digits it does not have."""
    if isinstance(given, int) and not isinstance(given, bool) and given.bit_length() > MAX_QUOTED_INT_BITS:
        return "-…" if given < 0 else "…"
    return str(given)


MAX_QUOTED_INT_BITS = 128  # about 39 digits: a longer integer would be cut at 40 characters anyway


def to_query(values: Mapping[str, object], params: Mapping[str, Param] | None = None) -> dict[str, str]:
    """The URL form: only parameters that differ from their default, in a stable order."""
    params = all_params() if params is None else params
    return {
        name: params[name].to_text(values[name])
        for name in sorted(params)
        if name in values and values[name] != params[name].default
    }


def changed(values: Mapping[str, object], params: Mapping[str, Param] | None = None) -> dict[str, object]:
    params = all_params() if params is None else params
    return {n: v for n, v in values.items() if n in params and v != params[n].default}


def to_json(name: str, values: Mapping[str, object], params: Mapping[str, Param] | None = None) -> str:
    params = all_params() if params is None else params
    body = {
        "format": "compute-atlas-scenario",
        "version": SCENARIO_FORMAT_VERSION,
        "name": name,
        "values": {n: values[n] for n in sorted(params) if n in values},
    }
    return json.dumps(body, ensure_ascii=False, indent=2)


def from_json(text: str | bytes, params: Mapping[str, Param] | None = None) -> tuple[str, dict[str, object], list[ValueProblem]]:
    """Read a scenario file; raises ValueError with a readable message if it is not one."""
    try:
        body = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a JSON file: {exc}") from None
    if not isinstance(body, dict) or body.get("format") != "compute-atlas-scenario":
        raise ValueError("not a Compute Atlas scenario (the 'format' field is missing or different)")
    if not isinstance(body.get("values"), dict):
        raise ValueError("the scenario has no 'values' object")
    values, problems = parse_values(body["values"], params)
    return str(body.get("name") or ""), values, problems


def validate_name(name: str, *, stored: bool = False) -> str:
    """A new scenario name as stored (NFC, spaces collapsed); ScenarioNameError.code says why a name cannot be used.

    Refused: control, format and separator characters (NUL, BEL, tab, U+202E, zero-width spaces…), whose
    error names the character and its position, so a name cannot hide text or pose as another.
    `stored=True` checks a name read back from the store under the rules names were saved under before
    that refusal, so a scenario saved then stays readable (and can be deleted).
    """
    if stored:
        return _checked_name(" ".join(str(name).split()))
    text = textsafe.normalize_text(name)
    found = textsafe.refused_character(text)
    if found:
        raise ScenarioNameError(
            "bad_char",
            f"a scenario name cannot contain {found.code} ({found.name}), found at character {found.position}",
            char=found.code,
            char_name=found.name,
            position=found.position,
        )
    cleaned = " ".join(text.split())
    if cleaned in (".", ".."):  # a path segment a browser or server rewrites: its API URL could never reach it
        raise ScenarioNameError("dots", "a scenario name cannot be '.' or '..'")
    return _checked_name(cleaned)


def _checked_name(cleaned: str) -> str:
    if not cleaned:
        raise ScenarioNameError("empty", "a scenario name cannot be empty")
    if len(cleaned) > MAX_NAME_CHARS:
        raise ScenarioNameError("too_long", f"a scenario name has at most {MAX_NAME_CHARS} characters")
    if cleaned.lower() == BASELINE_NAME:
        raise ScenarioNameError("reserved", f"{BASELINE_NAME!r} is the report's baseline and cannot be overwritten")
    return cleaned


MAX_NAME_CHARS = 60


class ScenarioNameError(ValueError):
    """`code` picks the translated message (scenario.name_<code>); `details` fills it in."""

    def __init__(self, code: str, message: str, **details: object):
        super().__init__(message)
        self.code = code
        self.details = details


def params_for_page(page_id: str, params: Mapping[str, Param] | None = None) -> list[Param]:
    params = all_params() if params is None else params
    return [p for p in params.values() if p.page_id == page_id]


def describe(values: Mapping[str, object], labels: Iterable[tuple[str, str]]) -> dict[str, str]:
    """label -> value text for the given (name, label) pairs, for footnotes and comparisons."""
    params = all_params()
    out = {}
    for name, label in labels:
        param = params[name]
        out[label] = param.display(values[name])
    return out
