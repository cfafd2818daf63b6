"""`make loadtest`: N browser sessions at once on one server, each moving its page's widget, for a bounded time.

    .venv/bin/python -m bench.loadtest [--sessions 10] [--seconds 60] [--think-ms 500]

Sessions are spread round-robin over analysis.sitemap.PAGES as they are when run; each moves the same
widget the benchmark moves (bench/widgets.py), or reruns the page with Streamlit's "r" shortcut when it has
none a keyboard can move. Then the same number of sessions, for the same time, move the slider of the
trivial page (bench/trivial_page.py, served as its own app), so the app's p95 is also a ratio against a page
that costs nothing under the same load (`loadtest_p95_ratio`); and then the floor page (bench/floor_page.py:
the market page's first section with no app work around it), whose `floor_p95_ratio` is what Streamlit
itself costs for a chart section's content under that load. Reports redraw latency (p50/p95), errors
(console, page, timeouts, exception boxes, tracebacks in the server log) and the server's memory, to
bench/loadtest.json.

With `--url` (for example the team deployment's proxy, `make serve-team`), the sessions go to that address
and no server is started: the memory is not measured there, the server logs named by `--server-log` are
read for tracebacks (the part written during the run), and the trivial and floor runs are left out (they
would be measured on a server of their own, not behind that address).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from bench import stats
from bench.server import FLOOR_SCRIPT, PROJECT_ROOT, TRIVIAL_SCRIPT, Server, free_port, machine

LOADTEST_PATH = PROJECT_ROOT / "bench" / "loadtest.json"
MEMORY_SAMPLE_S = 1.0
MAX_ERRORS_KEPT = 50
RETRY_NOTE = "15 s"
SERVER_LOG_ERRORS = ("Traceback (most recent call last)", "Uncaught app execution", "Uncaught app exception")


def log(message: str) -> None:
    print(message, flush=True)


def discover(pages, lang: str) -> dict[str, tuple]:
    """page_id → (browser driver, area, labels), from one AppTest run of each page."""
    from bench.rerun import open_page
    from bench.run import browser_widget
    from bench.widgets import find_perturbation

    drivers = {}
    for page in pages:
        at = open_page(page.file, lang)
        at.run()
        drivers[page.page_id] = browser_widget(None if at.exception else find_perturbation(at))
    return drivers


class StartLine:
    """Every session loads its page and calibrates first; the timed window opens when the last one is ready."""

    def __init__(self, sessions: int, seconds: float):
        self.waiting = sessions
        self.seconds = seconds
        self.go = asyncio.Event()
        self.started = 0.0
        self.deadline = 0.0

    def arrive(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.started = time.monotonic()
            self.deadline = self.started + self.seconds
            self.go.set()


async def run_session(index, browser, app, page, driver, args, line: StartLine, record) -> None:
    from bench import browser as br

    kind, area, labels = driver
    session = await br.Session.open(browser)
    rng = random.Random(index)
    name = f"session {index} ({page.page_id})"
    arrived = False
    mover = None
    try:
        await session.goto(br.page_url(app.url, page.url_path, args.lang))
        mover = br.Mover(session, kind, area, labels)
        await mover.prepare()
        line.arrive()
        arrived = True
        await line.go.wait()
        while time.monotonic() < line.deadline:
            try:
                total, _, _ = await mover.redraw_s()
                record["latencies"].setdefault(page.page_id, []).append(total)
            except Exception as exc:  # a redraw that never came: count it, then carry on
                record["errors"].append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            boxes = await session.exception_boxes()
            if boxes:
                record["exception_boxes"] += boxes
                record["errors"].append(f"{name}: {boxes} exception box(es) on the page")
                await session.page.reload()
                await session.wait_idle()
            await asyncio.sleep(args.think_ms / 1000 * rng.uniform(0.5, 1.5))
    except Exception as exc:
        record["errors"].append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        if not arrived:
            line.arrive()
    finally:
        if mover is not None:
            record["retries"] += mover.retries
            record["chart_misses"] += mover.chart_misses
        record["errors"] += [f"{name}: {e}" for e in session.errors]
        await session.close()


async def sample_memory(app, stop: asyncio.Event, samples: list[float]) -> None:
    while not stop.is_set():
        rss = app.rss_bytes()
        if rss is not None:
            samples.append(rss)
        try:
            await asyncio.wait_for(stop.wait(), MEMORY_SAMPLE_S)
        except TimeoutError:
            pass


TRIVIAL_DRIVER = ("slider", "main", None)


class Target:
    """A server this command did not start (`--url`): nothing to start or stop, no memory to read; its logs,
    if named, are read from where they ended when the run began."""

    def __init__(self, url: str, log_paths: list[Path]):
        self.url = url.rstrip("/")
        self.log_paths = log_paths
        self.process = None
        self._offsets = {}

    def start(self) -> Target:
        self._offsets = {path: path.stat().st_size if path.exists() else 0 for path in self.log_paths}
        return self

    def wait_healthy(self) -> None:
        import urllib.request

        with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=30) as response:
            if response.status != 200:
                raise RuntimeError(f"{self.url} answered {response.status} to /_stcore/health")

    def healthy(self) -> bool:
        try:
            self.wait_healthy()
        except (OSError, RuntimeError):
            return False
        return True

    def rss_bytes(self) -> None:
        return None

    def log_text(self) -> str:
        texts = []
        for path in self.log_paths:
            with path.open("rb") as handle:
                handle.seek(self._offsets.get(path, 0))
                texts.append(handle.read().decode(errors="replace"))
        return "\n".join(texts)

    def stop(self) -> None:
        pass


async def load(pages, drivers, args, work: Path, script: str = "app.py") -> dict:
    from playwright.async_api import async_playwright

    from bench import browser as br

    if args.url and script == "app.py":
        app = Target(args.url, args.server_log)
    else:
        app = Server(script, free_port(args.port_base), dict(os.environ), work / f"{Path(script).stem}.log")
    record = {"latencies": {}, "errors": [], "exception_boxes": 0, "retries": 0, "chart_misses": 0}
    memory: list[float] = []
    assignment = [pages[i % len(pages)] for i in range(args.sessions)]
    async with async_playwright() as playwright:
        browser = await br.launch(playwright)
        try:
            app.start()
            await asyncio.to_thread(app.wait_healthy)
            idle_rss = app.rss_bytes()
            stop = asyncio.Event()
            sampler = asyncio.create_task(sample_memory(app, stop, memory))
            line = StartLine(args.sessions, args.seconds)
            tasks = [
                asyncio.create_task(run_session(i, browser, app, page, drivers[page.page_id], args, line, record))
                for i, page in enumerate(assignment)
            ]
            await asyncio.gather(*tasks)
            elapsed = time.monotonic() - line.started
            stop.set()
            await sampler
            healthy = app.healthy() if isinstance(app, Target) else app.process.poll() is None
            end_rss = app.rss_bytes()
        finally:
            await browser.close()
            app.stop()
    server_log = app.log_text() if isinstance(app, Target) else app.log_path.read_text(errors="replace")
    log_errors = [marker for marker in SERVER_LOG_ERRORS if marker in server_log]
    if log_errors:
        record["errors"].append(f"server log contains: {', '.join(log_errors)}\n{server_log[-3000:]}")
    if not healthy:
        record["errors"].append("the server process exited during the load test")
    return {
        "record": record,
        "assignment": [p.page_id for p in assignment],
        "elapsed_s": round(elapsed, 1),
        "memory": {
            "idle_mb": stats.rss_mb(idle_rss),
            "max_mb": stats.rss_mb(max(memory)) if memory else None,
            "end_mb": stats.rss_mb(end_rss),
            "samples": len(memory),
        },
    }


def report(
    out: dict, drivers, args, started, machine_info, trivial_out: dict | None = None, floor_out: dict | None = None
) -> dict:
    record = out["record"]
    every = [s for samples in record["latencies"].values() for s in samples]
    summary = stats.summarize(every) if every else None
    per_page = {}
    for page_id, samples in record["latencies"].items():
        s = stats.summarize(samples)
        per_page[page_id] = {
            "driver": drivers[page_id][0],
            "redraws": s["n"],
            "p50": s["median_ms"],
            "p95": s["p95_ms"],
            "max": s["max_ms"],
        }
    errors = record["errors"]
    trivial, floor = _same_load_summary(trivial_out), _same_load_summary(floor_out)
    p95_ratio = stats.ratio(summary["p95_ms"] if summary else None, (trivial or {}).get("p95"))
    return {
        "date": started.isoformat(timespec="seconds"),
        "machine": {**machine_info, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "sessions": args.sessions,
        "seconds": args.seconds,
        "think_ms": args.think_ms,
        "lang": args.lang,
        "target": getattr(args, "url", None) or "one server started by this command",
        "elapsed_s": out["elapsed_s"],
        "assignment": out["assignment"],
        "redraws": len(every),
        "latency_ms": {"p50": summary["median_ms"], "p95": summary["p95_ms"], "max": summary["max_ms"]} if summary else {},
        "pages": per_page,
        "exception_boxes": record["exception_boxes"],
        "key_press_retries": record["retries"],
        "chart_misses": record["chart_misses"],
        "error_count": len(errors),
        "errors": errors[:MAX_ERRORS_KEPT],
        "memory_mb": out["memory"],
        "trivial": trivial,
        "loadtest_p95_ratio": p95_ratio,
        "floor": floor,
        "floor_p95_ratio": stats.ratio((floor or {}).get("p95"), (trivial or {}).get("p95")),
        "targets": {"loadtest_p95_ratio_max": stats.LOADTEST_P95_RATIO_TARGET},
        "ok": not errors and record["exception_boxes"] == 0 and bool(every),
    }


def _same_load_summary(out: dict | None) -> dict | None:
    """The trivial app (or the floor page) under the same load: its latency, and its own errors (kept apart from the app's)."""
    if out is None:
        return None
    record = out["record"]
    every = [s for samples in record["latencies"].values() for s in samples]
    summary = stats.summarize(every) if every else None
    return {
        "redraws": len(every),
        "p50": summary["median_ms"] if summary else None,
        "p95": summary["p95_ms"] if summary else None,
        "max": summary["max_ms"] if summary else None,
        "error_count": len(record["errors"]),
        "errors": record["errors"][:MAX_ERRORS_KEPT],
    }


def render(result: dict) -> str:
    rows = [[p, e["driver"], e["redraws"], e["p50"], e["p95"], e["max"]] for p, e in result["pages"].items()]
    latency, memory = result["latency_ms"], result["memory_mb"]
    lines = [
        f"Compute Atlas load test · {result['date']} · {result['sessions']} sessions × {result['seconds']} s"
        f" · {result['machine']['cpus']} CPU {result['machine']['cpu_model']} · load at end {result['machine']['load_average_at_end']}",
        "",
        stats.text_table(["page", "moved by", "redraws", "p50 ms", "p95 ms", "max ms"], rows),
        "",
        f"all pages: {result['redraws']} redraws, p50 {stats.fmt(latency.get('p50'), ' ms')}, p95 {stats.fmt(latency.get('p95'), ' ms')}",
        f"trivial app, same load: {_trivial_text(result.get('trivial'))}; loadtest_p95_ratio"
        f" {stats.fmt(result.get('loadtest_p95_ratio'))} (target ≤ {stats.LOADTEST_P95_RATIO_TARGET:g})",
        f"floor page, same load: {_trivial_text(result.get('floor'))}; floor_p95_ratio {stats.fmt(result.get('floor_p95_ratio'))}",
        f"server memory: idle {stats.fmt(memory['idle_mb'], ' MB')}, max {stats.fmt(memory['max_mb'], ' MB')}, end {stats.fmt(memory['end_mb'], ' MB')}",
        f"exception boxes: {result['exception_boxes']}, errors: {result['error_count']},"
        f" key presses repeated because no run started within {RETRY_NOTE}: {result['key_press_retries']}",
    ]
    lines += [f"  - {e}" for e in result["errors"][:10]]
    lines.append("RESULT: " + ("OK (no error, no exception box)" if result["ok"] else "FAILED"))
    return "\n".join(lines)


def _trivial_text(trivial: dict | None) -> str:
    if not trivial:
        return "not measured"
    return (
        f"{trivial['redraws']} redraws, p50 {stats.fmt(trivial['p50'], ' ms')}, p95 {stats.fmt(trivial['p95'], ' ms')},"
        f" {trivial['error_count']} error(s)"
    )


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the sessions keep moving widgets (default 60)")
    parser.add_argument("--think-ms", type=float, default=500.0, help="mean pause between one session's moves (default 500)")
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument("--port-base", type=int, default=0)
    parser.add_argument("--out", type=Path, default=LOADTEST_PATH)
    parser.add_argument("--no-trivial", action="store_true", help="skip the trivial app's run (no loadtest_p95_ratio)")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor page's run (no floor_p95_ratio)")
    parser.add_argument("--url", help="load an app already served at this address (e.g. make serve-team's proxy)")
    parser.add_argument(
        "--server-log",
        type=Path,
        action="append",
        default=[],
        help="with --url: a server log to check for tracebacks (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.seconds <= 0:
        parser.error("--sessions must be ≥ 1 and --seconds > 0")
    if args.server_log and not args.url:
        parser.error("--server-log goes with --url")
    if args.url:
        args.no_trivial = True  # the yardsticks would run on a server of their own, not behind that address
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now().astimezone()
    machine_info = machine()
    with tempfile.TemporaryDirectory(prefix="atlas-loadtest-") as tmp:
        work = Path(tmp)
        os.environ["ATLAS_DB_PATH"] = str(work / "atlas.duckdb")
        os.environ["ATLAS_USER_DATA_DIR"] = str(work / "userdata")
        if str(PROJECT_ROOT) not in sys.path:
            sys.path.insert(0, str(PROJECT_ROOT))
        from analysis.build import build
        from analysis.paths import datasets_dir
        from analysis.sitemap import PAGES
        from bench.run import quiet_streamlit_warnings

        quiet_streamlit_warnings()
        build(datasets_dir(), work / "atlas.duckdb")
        log(f"Finding each page's widget ({len(PAGES)} pages) …")
        drivers = discover(PAGES, args.lang)
        log(f"{args.sessions} sessions × {args.seconds:g} s on {args.url or 'one server'} …")
        out = asyncio.run(load(list(PAGES), drivers, args, work))
        trivial_out = None
        if not args.no_trivial:
            log(f"The trivial app, {args.sessions} sessions × {args.seconds:g} s …")
            trivial_page = SimpleNamespace(page_id="trivial", url_path="")
            trivial_out = asyncio.run(load([trivial_page], {"trivial": TRIVIAL_DRIVER}, args, work, script=TRIVIAL_SCRIPT))
        floor_out = None
        if not args.no_trivial and not args.no_floor:
            log(f"The floor page, {args.sessions} sessions × {args.seconds:g} s …")
            floor_page = SimpleNamespace(page_id="floor", url_path="")
            floor_out = asyncio.run(load([floor_page], {"floor": TRIVIAL_DRIVER}, args, work, script=FLOOR_SCRIPT))
    result = report(out, drivers, args, started, machine_info, trivial_out, floor_out)
    problems = stats.loadtest_problems(result)
    if problems:
        log("loadtest.json shape problems: " + "; ".join(problems))
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log("")
    log(render(result))
    log(f"\nWrote {args.out.relative_to(PROJECT_ROOT) if args.out.is_relative_to(PROJECT_ROOT) else args.out}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
