"""`make bench`: measure every page against a trivial one-slider page, and the app's start, build, pack and memory.

    .venv/bin/python -m bench.run [--repeats 20] [--browser-repeats 15] [--browser-pages all|heaviest]

Writes bench/results.json and prints a table. Pages come from analysis.sitemap.PAGES as they are when run;
each page's widget to move is found by walking its AppTest tree (bench/widgets.py). Everything runs
against a database built into a temporary folder, with a temporary user-data folder.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import inspect
import json
import logging
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import stats
from bench.server import FLOOR_SCRIPT, PROJECT_ROOT, TRIVIAL_SCRIPT, Server, free_port, machine

RESULTS_PATH = PROJECT_ROOT / "bench" / "results.json"
BUILD_RUNS = 3
PACK_REPEATS = 2  # the best of two per mode
MEMORY_SETTLE_S = 2.0
MEMORY_SESSIONS = (1, 10)
CONNECTION_PARAMS = ("con", "connection")
SCENARIO_PARAMS = ("scenario", "scenario_values", "values")
SLUG_PARAMS = ("slugs", "charts", "chart_slugs", "selection")
OUTPUT_PARAMS = ("out", "path", "out_path", "output", "dest")
COLD_START_RUNS = 3
FLOOR_MIRRORS = "market"  # the page whose first section bench/floor_page.py draws


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- database build and briefing pack


def time_build(db_path: Path, runs: int = BUILD_RUNS) -> dict:
    from analysis.build import build
    from analysis.paths import datasets_dir

    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        build(datasets_dir(), db_path)
        samples.append(time.perf_counter() - start)
    return {"median_s": round(stats.median(samples), 3), "runs_s": [round(s, 3) for s in samples]}


def _pack_arguments(function, con, lang: str, out_dir: Path) -> tuple[dict, str | None]:
    """Keyword arguments for build_pack, guessed from its parameter names; (kwargs, unknown required name)."""
    from analysis import scenario
    from analysis.chartspec import chart_defs

    kwargs = {}
    for name, parameter in inspect.signature(function).parameters.items():
        if name in CONNECTION_PARAMS:
            kwargs[name] = con
        elif name == "lang":
            kwargs[name] = lang
        elif name in SCENARIO_PARAMS:
            kwargs[name] = scenario.defaults()
        elif name in SLUG_PARAMS:
            kwargs[name] = [c.slug for c in chart_defs()]
        elif name in OUTPUT_PARAMS:
            kwargs[name] = out_dir / "bench-pack.pptx"
        elif parameter.default is inspect.Parameter.empty and parameter.kind not in (
            parameter.VAR_POSITIONAL,
            parameter.VAR_KEYWORD,
        ):
            return kwargs, name
    return kwargs, None


def time_briefing_pack(db_path: Path, lang: str, out_dir: Path) -> dict:
    """Time the briefing pack of every registered chart: with analysis.briefing.benchmark when the module has
    one (with and without pictures), else by calling build_pack with the default scenario. Never raises."""
    try:
        module = importlib.import_module("analysis.briefing")
    except ModuleNotFoundError as exc:
        if exc.name == "analysis.briefing":
            return {"available": False, "reason": "analysis.briefing does not exist (yet)"}
        return {"available": False, "reason": f"analysis.briefing cannot be imported: {exc}"}
    except Exception as exc:  # a broken module must not stop the benchmark
        return {"available": False, "reason": f"analysis.briefing failed to import: {exc!r}"}
    own_benchmark = getattr(module, "benchmark", None)
    function = getattr(module, "build_pack", None)
    if not callable(own_benchmark) and not callable(function):
        return {"available": False, "reason": "analysis.briefing has no build_pack"}
    from analysis.db import connect_readonly

    con = connect_readonly(db_path)
    try:
        if callable(own_benchmark):  # the briefing module's own timing: with and without pictures
            timings = own_benchmark(con, lang, repeats=PACK_REPEATS)
            return {
                "available": True,
                "ran": True,
                "source": "analysis.briefing.benchmark",
                "timings_s": {k: None if v != v else round(v, 3) for k, v in timings.items()},  # NaN → null
            }
        kwargs, unknown = _pack_arguments(function, con, lang, out_dir)
        if unknown is not None:
            return {"available": True, "ran": False, "reason": f"build_pack needs {unknown!r}, which the benchmark cannot supply"}
        samples = []
        for _ in range(2):  # first call cold (imports, image server), second warm
            start = time.perf_counter()
            function(**kwargs)
            samples.append(time.perf_counter() - start)
        return {
            "available": True,
            "ran": True,
            "cold_s": round(samples[0], 3),
            "warm_s": round(samples[1], 3),
            "arguments": sorted(kwargs),
        }
    except Exception as exc:
        return {
            "available": True,
            "ran": False,
            "reason": f"build_pack raised {exc!r}",
            "traceback": traceback.format_exc()[-2000:],
        }
    finally:
        con.close()


# ---------------------------------------------------------------- browser phase


async def browser_phase(pages, reruns, args, work: Path) -> dict:
    from playwright.async_api import async_playwright

    from bench import browser as br

    env = dict(os.environ)
    by_id = {p.page_id: p for p in pages}
    medians = {r.page_id: r.median_s for r in reruns if not r.errors}
    measurable = [r for r in reruns if not r.errors]
    heaviest_page = stats.heaviest(medians)
    to_measure = [r for r in measurable if args.browser_pages == "all" or r.page_id == heaviest_page]
    chart_page = next((r for r in reruns if r.charts and not r.errors), None) or reruns[0]
    heaviest_any = heaviest_page or pages[0].page_id
    out: dict = {"pages": {}, "browser_page": heaviest_page}

    app = Server("app.py", free_port(args.port_base), env, work / "app.log")
    trivial = Server(
        TRIVIAL_SCRIPT,
        free_port(args.port_base + 1 if args.port_base else None),
        env,
        work / "trivial.log",
    )
    floor = Server(
        FLOOR_SCRIPT,
        free_port(args.port_base + 2 if args.port_base else None),
        env,
        work / "floor.log",
    )
    async with async_playwright() as playwright:
        browser = await br.launch(playwright)
        try:
            # Cold start: server launch → first plotly chart visible (database already built), app and trivial
            # app in turn, COLD_START_RUNS times each: one launch alone swings by a second on this machine.
            app_runs, trivial_runs = [], []
            for run in range(COLD_START_RUNS):
                last = run == COLD_START_RUNS - 1
                session, result = await _cold_start(br, browser, app, by_id[chart_page.page_id].url_path, chart_page, args)
                app_runs.append(result)
                await session.close()
                if not last:
                    app.stop()  # the last launch stays up for the redraws
                trivial_session, result = await _cold_start(br, browser, trivial, "", None, args)
                trivial_runs.append(result)
                if not last:
                    await trivial_session.close()
                    trivial.stop()
            out["cold_start"] = {**median_run(app_runs), "page": chart_page.page_id}
            out["cold_start_trivial"] = median_run(trivial_runs)
            log(f"  cold start (app): {out['cold_start']}")
            log(f"  cold start (trivial page): {out['cold_start_trivial']}")
            trivial_mover = br.Mover(trivial_session, "slider")
            await trivial_mover.prepare()

            app_session = await br.Session.open(browser)
            all_trivial: list[float] = []
            for result in to_measure:
                out["pages"][result.page_id] = entry = await _measure_redraw(
                    br, app, app_session, by_id[result.page_id], result, trivial_mover, args
                )
                all_trivial += entry.pop("_trivial_samples", [])
                log(
                    f"  redraw {result.page_id:<21} {stats.fmt((entry.get('redraw') or {}).get('median_ms'), ' ms'):>10}"
                    f"  ratio {stats.fmt(entry.get('ratio'))}  signal: {entry.get('signal', '—')}"
                )
            out["floor"] = await _measure_floor(br, browser, floor, trivial_mover, args)
            log(
                f"  floor ({FLOOR_MIRRORS}'s section, no app work): server rerun ratio"
                f" {stats.fmt(out['floor'].get('server_rerun_ratio'))}, redraw ratio {stats.fmt(out['floor'].get('ratio'))}"
            )
            out["trivial_redraw"] = stats.summarize(all_trivial) if all_trivial else None
            out["trivial_errors"] = trivial_session.errors
            await trivial_session.close()
            await app_session.close()
            trivial.stop()

            try:
                out["memory"] = await _memory(br, browser, app, by_id[heaviest_any], args)
            except Exception as exc:  # keep the redraw figures
                out["memory"] = {"error": f"{type(exc).__name__}: {str(exc)[:500]}"}
            log(f"  memory: {out['memory']}")
        finally:
            await browser.close()
            app.stop()
            trivial.stop()
            floor.stop()
    return out


def median_run(runs: list[dict]) -> dict:
    """The launch with the median first chart (its milestones kept together), and every launch's first chart."""
    ordered = sorted(runs, key=lambda r: r["first_chart_s"])
    return {**ordered[(len(ordered) - 1) // 2], "runs_first_chart_s": [r["first_chart_s"] for r in runs]}


async def _cold_start(br, browser, server, url_path: str, rerun_result, args):
    """Launch `server` and open `url_path` in a new session: seconds from launch to each milestone."""
    server.start()
    ready_s = await asyncio.to_thread(server.wait_healthy)
    session = await br.Session.open(browser)
    has_chart = rerun_result is None or bool(rerun_result.charts)
    await session.goto(br.page_url(server.url, url_path, args.lang), wait_chart=has_chart)
    first_chart_s = time.perf_counter() - server.started_at
    marks = await session.page.evaluate(
        "() => ({origin: performance.timeOrigin, start: window.__bench.lastStart, finish: window.__bench.lastFinish})"
    )

    def since_launch(page_ms: float) -> float:
        return round((marks["origin"] + page_ms) / 1000 - server.started_wall, 2)

    return session, {
        "server_ready_s": round(ready_s, 2),
        "page_requested_s": since_launch(0),
        "first_run_started_s": since_launch(marks["start"]),
        "first_run_painted_s": since_launch(marks["finish"]),
        "first_chart_s": round(first_chart_s, 2),
        "waited_for": "plotly chart" if has_chart else "script run finished (page has no chart)",
    }


def browser_widget(perturbation) -> tuple[str, str, tuple | None]:
    """(driver type, area, labels) for the browser: the AppTest widget when a keyboard can move it, else a
    plain rerun. A selectbox is driven by typing its option labels (the two AppTest alternates between)."""
    from bench import browser as br
    from bench.widgets import KEYBOARD_TYPES

    if perturbation is not None and perturbation.type in KEYBOARD_TYPES:
        labels = tuple(perturbation.values) if perturbation.type == "selectbox" else None
        return perturbation.type, perturbation.area, labels
    return br.RERUN, "main", None


async def _measure_redraw(br, app, session, page, rerun_result, trivial_mover, args) -> dict:
    kind, area, labels = browser_widget(rerun_result.perturbation)
    entry: dict = {"driver": kind, "area": area}
    try:
        await session.goto(br.page_url(app.url, page.url_path, args.lang), wait_chart=bool(rerun_result.charts))
        mover = br.Mover(session, kind, area, labels)
        await mover.prepare()
        entry.update(await _paired_redraws(mover, trivial_mover, args.browser_repeats))
    except Exception as exc:  # record and go on to the next page
        entry.update(error=f"{type(exc).__name__}: {str(exc)[:500]}", ratio=None, verdict="n/a")
    entry["exception_boxes"] = await session.exception_boxes()
    entry["errors"] = session.errors
    session.console_errors.clear()
    session.page_errors.clear()
    return entry


async def _paired_redraws(mover, trivial_mover, repeats: int) -> dict:
    """`repeats` rounds of one press on `mover` then one on the trivial page: both redraws and server runs."""
    samples, starts, trivial_samples, server, trivial_server = [], [], [], [], []
    for _ in range(repeats):
        total, start, server_s = await mover.redraw_s()
        samples.append(total)
        starts.append(start)
        trivial_total, _, trivial_server_s = await trivial_mover.redraw_s()
        trivial_samples.append(trivial_total)
        if server_s is not None and trivial_server_s is not None:  # paired, as the redraws are
            server.append(server_s)
            trivial_server.append(trivial_server_s)
    ratio = stats.ratio(stats.median(samples), stats.median(trivial_samples))
    return {
        "signal": mover.signal,
        "redraw": stats.summarize(samples),
        "run_start": stats.summarize(starts),
        "trivial_redraw": stats.summarize(trivial_samples),
        "server_rerun": stats.summarize(server) if server else None,
        "trivial_server_rerun": stats.summarize(trivial_server) if trivial_server else None,
        "server_rerun_ratio": stats.ratio(stats.median(server), stats.median(trivial_server)) if server else None,
        "ratio": ratio,
        "key_press_retries": mover.retries,
        "chart_misses": mover.chart_misses,
        "_trivial_samples": trivial_samples,
        "verdict": stats.verdict(ratio, stats.REDRAW_RATIO_TARGET),
    }


async def _measure_floor(br, browser, floor, trivial_mover, args) -> dict:
    """The floor page (bench/floor_page.py) timed like a real page, against the trivial page in the same rounds."""
    entry: dict = {"page": FLOOR_MIRRORS, "driver": "slider"}
    session = await br.Session.open(browser)
    try:
        floor.start()
        await asyncio.to_thread(floor.wait_healthy)
        await session.goto(br.page_url(floor.url, "", args.lang), wait_chart=True)
        mover = br.Mover(session, "slider")
        await mover.prepare()
        entry.update(await _paired_redraws(mover, trivial_mover, args.browser_repeats))
        entry.pop("_trivial_samples")
    except Exception as exc:  # the real pages' figures stand without it
        entry.update(error=f"{type(exc).__name__}: {str(exc)[:500]}", ratio=None, server_rerun_ratio=None)
    entry["exception_boxes"] = await session.exception_boxes()
    entry["errors"] = session.errors
    await session.close()
    floor.stop()
    return entry


async def _memory(br, browser, app, page, args) -> dict:
    """Server RSS (process tree) with 1 and then 10 sessions open on the heaviest page."""
    url = br.page_url(app.url, page.url_path, args.lang)
    sessions = []
    result = {"page": page.page_id}
    try:
        for count in MEMORY_SESSIONS:
            new = [await br.Session.open(browser) for _ in range(count - len(sessions))]
            await asyncio.gather(*(s.goto(url) for s in new))
            sessions += new
            await asyncio.sleep(MEMORY_SETTLE_S)
            result[f"sessions_{count}_mb"] = stats.rss_mb(app.rss_bytes())
        low, high = MEMORY_SESSIONS
        a, b = result.get(f"sessions_{low}_mb"), result.get(f"sessions_{high}_mb")
        result["per_extra_session_mb"] = None if a is None or b is None else round((b - a) / (high - low), 1)
    finally:
        for session in sessions:
            await session.close()
    return result


# ---------------------------------------------------------------- report


def assemble(pages, reruns, trivial_samples, browser_out, build_out, pack_out, args, started, machine_info) -> dict:
    browser_pages = browser_out.get("pages", {}) if browser_out else {}
    page_entries = {}
    for r in reruns:
        entry = r.to_json()
        entry["browser"] = browser_pages.get(r.page_id)
        page_entries[r.page_id] = entry
    medians = {r.page_id: r.median_s for r in reruns if not r.errors}
    heaviest_page = stats.heaviest(medians)
    browser_page = browser_out.get("browser_page") if browser_out else None
    browser_ratio = browser_pages.get(browser_page, {}).get("ratio") if browser_page else None
    # The interaction's rerun as the real server runs it (a fragment's when the widget sits in one); the
    # full-script AppTest rerun is kept as a second figure.
    rerun_ratio = {r.page_id: (browser_pages.get(r.page_id) or {}).get("server_rerun_ratio") for r in reruns}
    apptest_rerun_ratio = {r.page_id: r.ratio for r in reruns}
    cold, cold_trivial = (browser_out or {}).get("cold_start") or {}, (browser_out or {}).get("cold_start_trivial") or {}
    floor = (browser_out or {}).get("floor") or {}
    return {
        "schema": stats.RESULTS_SCHEMA,
        "date": started.isoformat(timespec="seconds"),
        "duration_s": round(time.time() - started.timestamp(), 1),
        "machine": {**machine_info, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "settings": {
            "lang": args.lang,
            "apptest_repeats": args.repeats,
            "browser_repeats": args.browser_repeats,
            "browser_pages": args.browser_pages,
        },
        "targets": {
            "rerun_ratio_max": stats.RERUN_RATIO_TARGET,
            "browser_redraw_ratio_max": stats.REDRAW_RATIO_TARGET,
            "cold_start_ratio_max": stats.COLD_START_RATIO_TARGET,
        },
        "trivial": {
            "rerun": stats.summarize(trivial_samples) if trivial_samples else None,
            "redraw": browser_out.get("trivial_redraw") if browser_out else None,
        },
        "pages": page_entries,
        "rerun_ratio": rerun_ratio,
        "apptest_rerun_ratio": apptest_rerun_ratio,
        "heaviest_page": heaviest_page,
        "browser_page": browser_page,
        "browser_redraw_ratio": browser_ratio,
        "browser_redraw_ratio_by_page": {k: v.get("ratio") for k, v in browser_pages.items()},
        # Streamlit's own cost for the market section's content (bench/floor_page.py), against the same trivial page.
        "floor": floor,
        "floor_rerun_ratio": floor.get("server_rerun_ratio"),
        "floor_redraw_ratio": floor.get("ratio"),
        "cold_start": browser_out.get("cold_start") if browser_out else None,
        "cold_start_trivial": browser_out.get("cold_start_trivial") if browser_out else None,
        "cold_start_ratio": stats.ratio(cold.get("first_chart_s"), cold_trivial.get("first_chart_s")),
        "database_build": build_out,
        "briefing_pack": pack_out,
        "memory": browser_out.get("memory") if browser_out else None,
        "browser_error": browser_out.get("error") if browser_out else "skipped (--no-browser)",
        "all_pass": {
            "rerun": all(v is not None and v <= stats.RERUN_RATIO_TARGET for v in rerun_ratio.values()),
            "cold_start": stats.verdict(
                stats.ratio(cold.get("first_chart_s"), cold_trivial.get("first_chart_s")), stats.COLD_START_RATIO_TARGET
            )
            == "pass",
            "browser_redraw": bool(browser_pages)
            and all(v.get("ratio") is not None and v["ratio"] <= stats.REDRAW_RATIO_TARGET for v in browser_pages.values()),
        },
    }


def render(results: dict) -> str:
    targets = results["targets"]
    rows = []
    for page_id, entry in results["pages"].items():
        browser = entry.get("browser") or {}
        widget = entry.get("widget")
        server_ratio = results["rerun_ratio"].get(page_id)
        rows.append(
            [
                page_id,
                widget["type"] if widget else "(none)",
                (browser.get("server_rerun") or {}).get("median_ms"),
                (browser.get("trivial_server_rerun") or {}).get("median_ms"),
                server_ratio,
                stats.verdict(server_ratio, targets["rerun_ratio_max"]),
                entry.get("apptest_rerun_ratio"),
                browser.get("driver", "—"),
                (browser.get("redraw") or {}).get("median_ms"),
                (browser.get("trivial_redraw") or {}).get("median_ms"),
                browser.get("ratio"),
                browser.get("verdict", "—") if browser else "—",
            ]
        )
    headers = [
        "page",
        "widget",
        "server rerun ms",
        "trivial ms",
        "ratio",
        f"≤{targets['rerun_ratio_max']:g}×",
        "AppTest full",
        "browser",
        "redraw ms",
        "trivial ms",
        "ratio",
        f"≤{targets['browser_redraw_ratio_max']:g}×",
    ]
    lines = [
        f"Compute Atlas benchmark · {results['date']} · {results['machine']['cpus']} CPU {results['machine']['cpu_model']}"
        f" · load {results['machine']['load_average_at_start']} → {results['machine']['load_average_at_end']}",
        "Server rerun (widget message → script_finished, a fragment's rerun where the widget sits in one), the"
        " full-script AppTest rerun ratio, and the browser key-press→redraw, each against the trivial page in the same rounds:",
        "",
        stats.text_table(headers, rows),
        "",
    ]
    trivial = results["trivial"]
    cold, build, pack, memory = results["cold_start"], results["database_build"], results["briefing_pack"], results["memory"]
    summary = [
        ["trivial page rerun (AppTest)", stats.fmt((trivial["rerun"] or {}).get("median_ms"), " ms")],
        ["trivial page redraw (Chromium)", stats.fmt((trivial["redraw"] or {}).get("median_ms"), " ms")],
        ["heaviest page (AppTest rerun)", results["heaviest_page"] or "—"],
        [
            "browser_redraw_ratio",
            f"{stats.fmt(results['browser_redraw_ratio'])} ({results['browser_page'] or 'not measured'})",
        ],
        ["floor (market's section, no app work)", _floor_text(results)],
        ["cold start → server ready", stats.fmt((cold or {}).get("server_ready_s"), " s")],
        ["cold start → first run painted", stats.fmt((cold or {}).get("first_run_painted_s"), " s")],
        ["cold start → first chart", f"{stats.fmt((cold or {}).get('first_chart_s'), ' s')} ({(cold or {}).get('page', '—')})"],
        ["cold_start_ratio (first chart)", stats.fmt(results.get("cold_start_ratio"))],
        ["  trivial page, same milestones", _milestones(results.get("cold_start_trivial"))],
        ["database build (median of runs)", stats.fmt((build or {}).get("median_s"), " s")],
        ["briefing pack", _pack_text(pack)],
        ["server memory, 1 session", stats.fmt((memory or {}).get("sessions_1_mb"), " MB")],
        ["server memory, 10 sessions", stats.fmt((memory or {}).get("sessions_10_mb"), " MB")],
    ]
    lines.append(stats.text_table(["figure", "value"], summary, left=2))
    if results.get("browser_error"):
        lines.append(f"\nbrowser phase: {results['browser_error']}")
    problems = [f"{p}: {e}" for p, entry in results["pages"].items() for e in entry.get("errors", [])]
    problems += [
        f"{p} (browser): {b['error']}" for p, entry in results["pages"].items() if (b := entry.get("browser")) and b.get("error")
    ]
    problems += [
        f"{p} (browser): {e}" for p, entry in results["pages"].items() if (b := entry.get("browser")) for e in b.get("errors", [])
    ]
    if problems:
        lines.append("\nProblems:\n" + "\n".join(f"  - {p}" for p in problems))
    return "\n".join(lines)


def _floor_text(results: dict) -> str:
    floor = results.get("floor") or {}
    if not floor or floor.get("error"):
        return f"not measured{': ' + floor['error'] if floor.get('error') else ''}"
    return (
        f"server rerun {stats.fmt((floor.get('server_rerun') or {}).get('median_ms'), ' ms')}"
        f" (ratio {stats.fmt(results.get('floor_rerun_ratio'))}),"
        f" redraw {stats.fmt((floor.get('redraw') or {}).get('median_ms'), ' ms')} (ratio {stats.fmt(results.get('floor_redraw_ratio'))})"
    )


def _milestones(cold: dict | None) -> str:
    if not cold:
        return "—"
    return (
        f"ready {cold['server_ready_s']:.2f} s, painted {cold['first_run_painted_s']:.2f} s, chart {cold['first_chart_s']:.2f} s"
    )


def _pack_text(pack: dict | None) -> str:
    if not pack:
        return "—"
    if not pack.get("available"):
        return f"not available: {pack.get('reason')}"
    if not pack.get("ran"):
        return f"not measured: {pack.get('reason')}"
    if "timings_s" in pack:
        t = pack["timings_s"]
        charts = t.get("charts")
        return (
            f"{int(charts) if charts else '?'} charts: no pictures {stats.fmt(t.get('no_images_s'), ' s')} (target < 2 s),"
            f" as the app builds it {stats.fmt(t.get('auto_s'), ' s')} (target < 5 s),"
            f" every chart a picture {stats.fmt(t.get('all_images_s'), ' s')};"
            f" image browser cold start {stats.fmt(t.get('browser_cold_start_s'), ' s')}"
        )
    return f"{pack['warm_s']:.2f} s warm, {pack['cold_s']:.2f} s cold"


# ---------------------------------------------------------------- main


def quiet_streamlit_warnings() -> None:
    """AppTest in this process calls cached functions from the main thread; Streamlit warns about it, harmlessly."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage()
    )


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed AppTest reruns per page (default 20)")
    parser.add_argument("--browser-repeats", type=int, default=15, help="timed key presses per page in Chromium (default 15)")
    parser.add_argument(
        "--browser-pages",
        choices=("all", "heaviest"),
        default="all",
        help="time the redraw on every page with a keyboard-operable widget, or only on the heaviest (default all)",
    )
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument("--no-browser", action="store_true", help="AppTest, build and pack only")
    parser.add_argument("--pages", default="", help="comma-separated page ids to measure (default: every page)")
    parser.add_argument("--port-base", type=int, default=0, help="try this port for the app and the next for the trivial page")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    quiet_streamlit_warnings()
    started = dt.datetime.now().astimezone()
    machine_info = machine()
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        work = Path(tmp)
        db_path = work / "atlas.duckdb"
        os.environ["ATLAS_DB_PATH"] = str(db_path)
        os.environ["ATLAS_USER_DATA_DIR"] = str(work / "userdata")
        if str(PROJECT_ROOT) not in sys.path:
            sys.path.insert(0, str(PROJECT_ROOT))
        from analysis.sitemap import PAGES as ALL_PAGES
        from bench import rerun

        wanted = [p.strip() for p in args.pages.split(",") if p.strip()]
        unknown = sorted(set(wanted) - {p.page_id for p in ALL_PAGES})
        if unknown:
            raise SystemExit(f"unknown page id(s): {', '.join(unknown)}")
        PAGES = tuple(p for p in ALL_PAGES if not wanted or p.page_id in wanted)

        log(f"Database build ×{BUILD_RUNS} into {db_path} …")
        build_out = time_build(db_path)
        log(f"  median {build_out['median_s']:.2f} s")
        log("Briefing pack …")
        pack_out = time_briefing_pack(db_path, args.lang, work)
        log(f"  {_pack_text(pack_out)}")
        log(f"AppTest reruns ({len(PAGES)} pages × {args.repeats}, interleaved with the trivial page) …")
        reruns, trivial_samples = rerun.measure_all(PAGES, args.lang, args.repeats, log=log)
        browser_out = None
        if not args.no_browser:
            log("Browser (Chromium) …")
            try:
                browser_out = asyncio.run(browser_phase(PAGES, reruns, args, work))
            except Exception as exc:
                browser_out = {"error": f"{type(exc).__name__}: {str(exc)[:1000]}"}
                log(f"  browser phase failed: {browser_out['error']}")
        results = assemble(PAGES, reruns, trivial_samples, browser_out, build_out, pack_out, args, started, machine_info)
    problems = stats.results_problems(results)
    if problems:
        log("results.json shape problems: " + "; ".join(problems))
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log("")
    log(render(results))
    log(f"\nWrote {args.out.relative_to(PROJECT_ROOT) if args.out.is_relative_to(PROJECT_ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
