"""Pure helpers of the benchmark: summaries of timing samples, ratios against the trivial page,
pass/fail against the targets, the shape of bench/results.json and bench/loadtest.json, and text tables.

No Streamlit, no browser, no clock: everything here is unit-tested in tests/test_bench_stats.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

# Targets from the issue: every page within 2× the trivial page's AppTest rerun and within 1.5× its
# browser redraw (slider key press → chart redrawn).
RERUN_RATIO_TARGET = 2.0
REDRAW_RATIO_TARGET = 1.5
COLD_START_RATIO_TARGET = 1.5  # first chart visible after `streamlit run`, against the trivial app's
LOADTEST_P95_RATIO_TARGET = 2.0  # p95 redraw under load, against the trivial app under the same load
RESULTS_SCHEMA = 1
SECONDS_TO_MS = 1000.0
BYTES_PER_MB = 1024 * 1024


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between closest ranks (numpy's default)."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {q}")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 50)


def summarize(samples_s: Sequence[float]) -> dict[str, float | int]:
    """Seconds in, a summary in milliseconds out (rounded to 0.1 ms): n, median, p95, min, max."""
    if not samples_s:
        raise ValueError("no samples to summarize")
    ms = [s * SECONDS_TO_MS for s in samples_s]
    return {
        "n": len(ms),
        "median_ms": round(median(ms), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "min_ms": round(min(ms), 1),
        "max_ms": round(max(ms), 1),
    }


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline rounded to 0.01; None when either is missing or the baseline is not positive."""
    if value is None or baseline is None or baseline <= 0:
        return None
    return round(value / baseline, 2)


def verdict(value: float | None, target: float) -> str:
    """'pass' when value ≤ target, 'fail' above it, 'n/a' when nothing was measured."""
    if value is None:
        return "n/a"
    return "pass" if value <= target else "fail"


def heaviest(medians: Mapping[str, float | None], eligible: Iterable[str] | None = None) -> str | None:
    """The key with the largest median among `eligible` (all keys by default); None if none was measured."""
    allowed = set(medians) if eligible is None else set(eligible)
    measured = {k: v for k, v in medians.items() if k in allowed and v is not None}
    if not measured:
        return None
    return max(measured, key=measured.get)


def rss_mb(rss_bytes: int | None) -> float | None:
    return None if rss_bytes is None else round(rss_bytes / BYTES_PER_MB, 1)


# ---------------------------------------------------------------- JSON shape


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ratio_or_none(value: object) -> bool:
    return value is None or (_is_number(value) and value > 0)


def results_problems(results: Mapping) -> list[str]:
    """Everything wrong with the shape of a bench/results.json document (empty list: well-formed)."""
    problems: list[str] = []
    for key in ("schema", "date", "machine", "rerun_ratio", "browser_redraw_ratio", "pages", "targets"):
        if key not in results:
            problems.append(f"missing key {key!r}")
    if problems:
        return problems
    if results["schema"] != RESULTS_SCHEMA:
        problems.append(f"schema is {results['schema']!r}, expected {RESULTS_SCHEMA}")
    rerun = results["rerun_ratio"]
    if not isinstance(rerun, Mapping) or not rerun:
        problems.append("rerun_ratio must be a non-empty mapping page → ratio")
    else:
        problems += [
            f"rerun_ratio[{page!r}] is {value!r}, not a positive number or null"
            for page, value in rerun.items()
            if not _ratio_or_none(value)
        ]
        missing = sorted(set(results["pages"]) - set(rerun))
        if missing:
            problems.append(f"pages without a rerun_ratio: {missing}")
    if not _ratio_or_none(results["browser_redraw_ratio"]):
        problems.append(f"browser_redraw_ratio is {results['browser_redraw_ratio']!r}, not a positive number or null")
    for key in ("rerun_ratio_max", "browser_redraw_ratio_max"):
        if not _is_number(results["targets"].get(key)):
            problems.append(f"targets.{key} missing or not a number")
    return problems


def loadtest_problems(report: Mapping) -> list[str]:
    """Everything wrong with the shape of a bench/loadtest.json document."""
    problems: list[str] = []
    required = ("date", "machine", "sessions", "seconds", "redraws", "latency_ms", "errors", "exception_boxes", "memory_mb", "ok")
    problems += [f"missing key {key!r}" for key in required if key not in report]
    if problems:
        return problems
    if not isinstance(report["sessions"], int) or report["sessions"] < 1:
        problems.append("sessions must be a positive integer")
    if not isinstance(report["errors"], list):
        problems.append("errors must be a list")
    if not isinstance(report["ok"], bool):
        problems.append("ok must be true or false")
    latency = report["latency_ms"]
    if report["redraws"] and not all(_is_number(latency.get(k)) for k in ("p50", "p95")):
        problems.append("latency_ms needs p50 and p95 when there were redraws")
    return problems


# ---------------------------------------------------------------- text tables


def fmt(value: object, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}{unit}" if abs(value) < 10 else f"{value:,.1f}{unit}" if abs(value) < 1000 else f"{value:,.0f}{unit}"
    return f"{value}{unit}"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, left: int = 1) -> str:
    """A plain monospace table: the first `left` columns left-aligned, the others (numbers) right-aligned."""
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) if i < left else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
