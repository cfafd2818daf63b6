"""`python -m bench.report`: the README's "Latest figures" as Markdown, from bench/results.json and bench/loadtest.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import stats
from bench.loadtest import LOADTEST_PATH
from bench.run import RESULTS_PATH, _pack_text


def _ms(summary: dict | None) -> object:
    return None if not summary else summary.get("median_ms")


def _cell(value: object, unit: str = "") -> str:
    return stats.fmt(value, unit)


def machine_line(machine: dict) -> str:
    load = machine.get("load_average_at_start")
    return (
        f"{machine.get('cpus')} CPU ({machine.get('cpu_model')}), {machine.get('memory_gb')} GB, {machine.get('os')},"
        f" Python {machine.get('python')}, Streamlit {machine.get('streamlit')}; load average at start {load}"
    )


def bench_markdown(results: dict) -> str:
    targets = results["targets"]
    lines = [
        f"`make bench`, {results['date']} on {machine_line(results['machine'])}.",
        "",
        f"| page | widget moved | server rerun ms | trivial ms | rerun ratio (≤ {targets['rerun_ratio_max']:g}) "
        f"| AppTest full rerun ratio | browser | redraw ms | trivial ms | redraw ratio (≤ {targets['browser_redraw_ratio_max']:g}) |",
        "|---|---|--:|--:|--:|--:|---|--:|--:|--:|",
    ]
    for page_id, entry in results["pages"].items():
        browser = entry.get("browser") or {}
        widget = entry.get("widget")
        ratio = (results.get("rerun_ratio") or {}).get(page_id)
        lines.append(
            "| "
            + " | ".join(
                [
                    page_id,
                    widget["type"] if widget else "(none: plain rerun)",
                    _cell(_ms(browser.get("server_rerun"))),
                    _cell(_ms(browser.get("trivial_server_rerun"))),
                    f"{_cell(ratio)} {stats.verdict(ratio, targets['rerun_ratio_max'])}",
                    _cell(entry.get("apptest_rerun_ratio")),
                    browser.get("driver", "—"),
                    _cell(_ms(browser.get("redraw"))),
                    _cell(_ms(browser.get("trivial_redraw"))),
                    f"{_cell(browser.get('ratio'))} {browser.get('verdict', '')}" if browser else "—",
                ]
            )
            + " |"
        )
    cold, trivial_cold = results.get("cold_start") or {}, results.get("cold_start_trivial") or {}
    memory, build = results.get("memory") or {}, results.get("database_build") or {}
    trivial = results["trivial"]
    lines += [
        "",
        "| figure | value |",
        "|---|---|",
        f"| trivial page: AppTest rerun / Chromium redraw | {_cell(_ms(trivial.get('rerun')), ' ms')} / {_cell(_ms(trivial.get('redraw')), ' ms')} |",
        f"| heaviest page (AppTest) and its `browser_redraw_ratio` | {results.get('browser_page') or '—'}: {_cell(results.get('browser_redraw_ratio'))} |",
        f"| floor: the market page's first section with no app work around it (`bench/floor_page.py`): server rerun"
        f" / redraw, and their ratios to the trivial page | {_floor_cell(results)} |",
        f"| cold start, app ({cold.get('page', '—')}): server ready / first run painted / first chart | "
        f"{_cell(cold.get('server_ready_s'), ' s')} / {_cell(cold.get('first_run_painted_s'), ' s')} / {_cell(cold.get('first_chart_s'), ' s')} |",
        f"| cold start, trivial app: same milestones | {_cell(trivial_cold.get('server_ready_s'), ' s')} / "
        f"{_cell(trivial_cold.get('first_run_painted_s'), ' s')} / {_cell(trivial_cold.get('first_chart_s'), ' s')} |",
        f"| `cold_start_ratio` (first chart, ≤ {targets.get('cold_start_ratio_max', 1.5):g}) | {_cell(results.get('cold_start_ratio'))} |",
        f"| database build (median of 3) | {_cell(build.get('median_s'), ' s')} |",
        f"| briefing pack | {_pack_text(results.get('briefing_pack'))} |",
        f"| server memory, 1 / 10 sessions ({memory.get('page', '—')}) | {_cell(memory.get('sessions_1_mb'), ' MB')} / {_cell(memory.get('sessions_10_mb'), ' MB')} |",
    ]
    return "\n".join(lines)


def _floor_cell(results: dict) -> str:
    floor = results.get("floor") or {}
    if not floor or floor.get("error"):
        return "not measured"
    return (
        f"{_cell(_ms(floor.get('server_rerun')), ' ms')} / {_cell(_ms(floor.get('redraw')), ' ms')};"
        f" ratios {_cell(results.get('floor_rerun_ratio'))} / {_cell(results.get('floor_redraw_ratio'))}"
    )


def loadtest_markdown(report: dict) -> str:
    latency, memory = report["latency_ms"], report["memory_mb"]
    verdict = (
        "no error, no exception box"
        if report["ok"]
        else f"FAILED: {report['error_count']} error(s), {report['exception_boxes']} exception box(es)"
    )
    return (
        f"`make loadtest`, {report['date']}: {report['sessions']} sessions × {report['seconds']:g} s, {report['redraws']} redraws,"
        f" p50 {_cell(latency.get('p50'), ' ms')}, p95 {_cell(latency.get('p95'), ' ms')}, max {_cell(latency.get('max'), ' ms')};"
        f" server memory idle {_cell(memory.get('idle_mb'), ' MB')}, peak {_cell(memory.get('max_mb'), ' MB')}; {verdict}."
        + _trivial_sentence(report)
    )


def _trivial_sentence(report: dict) -> str:
    trivial = report.get("trivial")
    if not trivial:
        return ""
    target = (report.get("targets") or {}).get("loadtest_p95_ratio_max", stats.LOADTEST_P95_RATIO_TARGET)
    ratio = report.get("loadtest_p95_ratio")
    return (
        f" The trivial app under the same load: {trivial['redraws']} redraws, p50 {_cell(trivial.get('p50'), ' ms')},"
        f" p95 {_cell(trivial.get('p95'), ' ms')}; `loadtest_p95_ratio` {_cell(ratio)}"
        f" ({stats.verdict(ratio, target)}, target ≤ {target:g})." + _floor_sentence(report)
    )


def _floor_sentence(report: dict) -> str:
    floor = report.get("floor")
    if not floor:
        return ""
    return (
        f" The floor page (the market page's first section, no app work) under the same load: p95"
        f" {_cell(floor.get('p95'), ' ms')}, `floor_p95_ratio` {_cell(report.get('floor_p95_ratio'))}."
    )


def main(argv=None) -> int:
    parts = []
    for path, render in ((RESULTS_PATH, bench_markdown), (LOADTEST_PATH, loadtest_markdown)):
        if Path(path).exists():
            parts.append(render(json.loads(Path(path).read_text(encoding="utf-8"))))
        else:
            parts.append(f"({Path(path).name} not found: run `make {'bench' if path == RESULTS_PATH else 'loadtest'}`)")
    print("\n\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
