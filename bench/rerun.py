"""Warm rerun time of every page under AppTest, interleaved with the trivial page's.

For each page: one cold run, two warming reruns (the widget's two values), then `repeats` timed rounds;
each round times one page rerun and then one trivial-page rerun, so both see the same background load.
The page's ratio is median(page) / median(trivial samples of the same rounds).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import stats
from bench.widgets import Perturbation, clear_formatted_states, count_charts, find_perturbation

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRIVIAL_PAGE = PROJECT_ROOT / "bench" / "trivial_page.py"
APPTEST_TIMEOUT_S = 120
WARM_ROUNDS = 2


@dataclass
class PageRerun:
    page_id: str
    file: str
    perturbation: Perturbation | None = None
    charts: int = 0
    cold_s: float | None = None
    samples_s: list[float] = field(default_factory=list)
    trivial_samples_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def median_s(self) -> float | None:
        return stats.median(self.samples_s) if self.samples_s else None

    @property
    def ratio(self) -> float | None:
        if not self.samples_s or not self.trivial_samples_s:
            return None
        return stats.ratio(stats.median(self.samples_s), stats.median(self.trivial_samples_s))

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "widget": self.perturbation.describe() if self.perturbation else None,
            "charts": self.charts,
            "cold_run_s": None if self.cold_s is None else round(self.cold_s, 3),
            # The whole script under AppTest (frame and every section), not the fragment a widget reruns.
            "apptest_rerun": stats.summarize(self.samples_s) if self.samples_s else None,
            "apptest_trivial_rerun": stats.summarize(self.trivial_samples_s) if self.trivial_samples_s else None,
            "apptest_rerun_ratio": self.ratio,
            "errors": self.errors,
        }


def _exceptions(at) -> list[str]:
    return [str(getattr(e, "value", e))[:300] for e in at.exception]


def open_page(file: str, lang: str):
    """An AppTest of the app showing `file` (pages are reached through app.py, as in tests/test_pages.py)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=APPTEST_TIMEOUT_S)
    if lang != "zh":
        at.query_params["lang"] = lang
    if file != "app.py":
        at.switch_page(file)
    return at


def open_trivial():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(TRIVIAL_PAGE), default_timeout=APPTEST_TIMEOUT_S)


def timed_rerun(at, perturbation: Perturbation | None, step: int) -> float:
    """Seconds for one rerun after moving the widget (a plain rerun when the page has none)."""
    if perturbation is not None:
        perturbation.apply(at, step)
    start = time.perf_counter()
    at.run()
    return time.perf_counter() - start


def trivial_perturbation(at) -> Perturbation:
    found = find_perturbation(at)
    if found is None or found.type != "slider":
        raise RuntimeError("bench/trivial_page.py must draw one slider in the main area")
    return found


def measure_page(page, lang: str, repeats: int, trivial_at, trivial_move: Perturbation, trivial_step: list[int]) -> PageRerun:
    result = PageRerun(page.page_id, page.file)
    clear_formatted_states()
    at = open_page(page.file, lang)
    start = time.perf_counter()
    at.run()
    result.cold_s = time.perf_counter() - start
    result.errors += _exceptions(at)
    if result.errors:
        return result
    result.perturbation = find_perturbation(at)
    result.charts = count_charts(at)
    for step in range(WARM_ROUNDS):
        timed_rerun(at, result.perturbation, step)
    for step in range(repeats):
        result.samples_s.append(timed_rerun(at, result.perturbation, WARM_ROUNDS + step))
        trivial_step[0] += 1
        result.trivial_samples_s.append(timed_rerun(trivial_at, trivial_move, trivial_step[0]))
        errors = _exceptions(at)
        if errors:
            result.errors += errors
            break
    return result


def measure_all(pages, lang: str, repeats: int, log=print) -> tuple[list[PageRerun], list[float]]:
    """Every page's reruns and the trivial page's (all its samples, for the overall figure)."""
    trivial_at = open_trivial()
    trivial_at.run()
    trivial_move = trivial_perturbation(trivial_at)
    trivial_step = [0]
    for _ in range(WARM_ROUNDS):
        trivial_step[0] += 1
        timed_rerun(trivial_at, trivial_move, trivial_step[0])
    results = []
    for page in pages:
        result = measure_page(page, lang, repeats, trivial_at, trivial_move, trivial_step)
        widget = result.perturbation.describe()["type"] if result.perturbation else "none (plain rerun)"
        median_ms = stats.fmt(None if result.median_s is None else result.median_s * 1000, " ms")
        log(f"  rerun {page.page_id:<22} {median_ms:>10}  ratio {stats.fmt(result.ratio)}  widget: {widget}")
        results.append(result)
    all_trivial = [s for r in results for s in r.trivial_samples_s]
    return results, all_trivial
