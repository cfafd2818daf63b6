"""The benchmark's pure helpers: statistics, ratios and verdicts, the JSON shapes, widget discovery.

No timing is asserted here: the benchmark itself runs on demand (`make bench`, `make loadtest`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
from types import SimpleNamespace

import pytest
from conftest import PROJECT_ROOT

from bench import stats
from bench.rerun import PageRerun, open_page, open_trivial, trivial_perturbation
from bench.run import _pack_arguments, assemble, browser_widget, render
from bench.widgets import (
    Perturbation,
    clear_formatted_states,
    find_perturbation,
    formatted_neighbour,
    neighbour_value,
    walk,
)

# ---------------------------------------------------------------- statistics


@pytest.mark.parametrize(
    "samples, q, expected",
    [
        ([3.0], 50, 3.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),  # numpy.percentile([1,2,3,4], 50) == 2.5
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),  # order does not matter
        ([1.0, 2.0, 3.0, 4.0, 5.0], 95, 4.8),  # rank 0.95 × 4 = 3.8 → 4 + 0.8 × (5 − 4)
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 100, 5.0),
    ],
)
def test_percentile_interpolates_like_numpy(samples, q, expected):
    assert stats.percentile(samples, q) == pytest.approx(expected)


@pytest.mark.parametrize(
    "samples, q, message", [([], 50, "no samples"), ([1.0], 101, "between 0 and 100"), ([1.0], -1, "between 0 and 100")]
)
def test_percentile_rejects_bad_input(samples, q, message):
    with pytest.raises(ValueError, match=message):
        stats.percentile(samples, q)


def test_summarize_reports_milliseconds():
    summary = stats.summarize([0.010, 0.030, 0.020])
    assert summary == {"n": 3, "median_ms": 20.0, "p95_ms": 29.0, "min_ms": 10.0, "max_ms": 30.0}


def test_summarize_needs_samples():
    with pytest.raises(ValueError, match="no samples"):
        stats.summarize([])


@pytest.mark.parametrize(
    "value, baseline, expected",
    [(30.0, 15.0, 2.0), (10.0, 30.0, 0.33), (1.0, 0.0, None), (None, 1.0, None), (1.0, None, None), (1.0, -2.0, None)],
)
def test_ratio(value, baseline, expected):
    assert stats.ratio(value, baseline) == expected


@pytest.mark.parametrize(
    "value, target, expected", [(1.99, 2.0, "pass"), (2.0, 2.0, "pass"), (2.01, 2.0, "fail"), (None, 2.0, "n/a")]
)
def test_verdict(value, target, expected):
    assert stats.verdict(value, target) == expected


def test_heaviest_ignores_unmeasured_and_ineligible_pages():
    medians = {"home": 0.02, "market": 0.09, "sql": None, "regions": 0.05}
    assert stats.heaviest(medians) == "market"
    assert stats.heaviest(medians, eligible=["home", "regions", "sql"]) == "regions"
    assert stats.heaviest({"sql": None}) is None


def test_text_table_aligns_columns():
    table = stats.text_table(["page", "ms"], [["home", 12.345], ["regions", None]]).splitlines()
    assert table[0].split() == ["page", "ms"]
    assert table[2].startswith("home") and table[2].endswith("12.3")
    assert table[3].endswith("—")
    assert len({len(line) for line in table}) == 1  # every line the same width


# ---------------------------------------------------------------- results.json shape


def _rerun(page_id: str, page_ms: float, trivial_ms: float) -> PageRerun:
    result = PageRerun(page_id, f"pages/{page_id}.py")
    result.samples_s = [page_ms / 1000] * 3
    result.trivial_samples_s = [trivial_ms / 1000] * 3
    return result


def _args(**overrides) -> argparse.Namespace:
    values = {"lang": "zh", "repeats": 3, "browser_repeats": 3, "browser_pages": "all"} | overrides
    return argparse.Namespace(**values)


def _results(browser_out):
    reruns = [_rerun("home", 30, 10), _rerun("regions", 15, 10)]
    started = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    machine_info = {"cpus": 2, "cpu_model": "test", "load_average_at_start": [0.0, 0.0, 0.0]}
    build = {"median_s": 1.0, "runs_s": [1.0]}
    pack = {"available": False, "reason": "analysis.briefing does not exist (yet)"}
    return assemble([], reruns, [0.01] * 6, browser_out, build, pack, _args(), started, machine_info)


def _browser_out() -> dict:
    def page(redraw_ratio: float, server_ms: float) -> dict:
        return {
            "driver": "slider",
            "ratio": redraw_ratio,
            "verdict": stats.verdict(redraw_ratio, stats.REDRAW_RATIO_TARGET),
            "redraw": stats.summarize([0.2]),
            "server_rerun": stats.summarize([server_ms / 1000]),
            "trivial_server_rerun": stats.summarize([0.01]),
            "server_rerun_ratio": stats.ratio(server_ms, 10.0),
            "errors": [],
        }

    return {
        "browser_page": "home",
        "pages": {"home": page(1.4, 25.0), "regions": page(1.2, 15.0)},
        "cold_start": {"page": "home", "server_ready_s": 2.0, "first_chart_s": 5.0},
        "cold_start_trivial": {"server_ready_s": 1.0, "first_run_painted_s": 2.0, "first_chart_s": 4.0},
        "memory": {"page": "home", "sessions_1_mb": 200.0, "sessions_10_mb": 220.0},
        "trivial_redraw": stats.summarize([0.15]),
        "floor": {
            "page": "market",
            "redraw": stats.summarize([0.3]),
            "server_rerun": stats.summarize([0.024]),
            "server_rerun_ratio": 2.4,
            "ratio": 3.0,
        },
    }


def test_assembled_results_have_the_documented_shape():
    results = _results(_browser_out())
    assert stats.results_problems(results) == []
    # The interaction's rerun through the server is the target figure; the AppTest full rerun the second one.
    assert results["rerun_ratio"] == {"home": 2.5, "regions": 1.5}
    assert results["apptest_rerun_ratio"] == {"home": 3.0, "regions": 1.5}
    assert results["pages"]["home"]["apptest_rerun_ratio"] == 3.0
    assert results["heaviest_page"] == "home"
    assert results["browser_redraw_ratio"] == 1.4
    assert results["cold_start_ratio"] == 1.25
    assert results["all_pass"] == {"rerun": False, "cold_start": True, "browser_redraw": True}
    assert (results["floor_rerun_ratio"], results["floor_redraw_ratio"]) == (2.4, 3.0)
    text = render(results)
    assert "regions" in text and "2.50" in text and "3.00" in text and "not available" in text
    assert "server rerun 24.0 ms (ratio 2.40), redraw 300.0 ms (ratio 3.00)" in text


def test_cold_start_keeps_the_median_launch_whole():
    from bench.run import median_run

    runs = [
        {"first_chart_s": 6.5, "first_run_painted_s": 4.6},
        {"first_chart_s": 4.4, "first_run_painted_s": 3.0},
        {"first_chart_s": 5.1, "first_run_painted_s": 3.9},
    ]
    assert median_run(runs) == {"first_chart_s": 5.1, "first_run_painted_s": 3.9, "runs_first_chart_s": [6.5, 4.4, 5.1]}
    assert median_run(runs[:2])["first_chart_s"] == 4.4  # an even count: the lower of the middle two


def test_results_without_browser_are_still_well_formed():
    results = _results(None)
    assert stats.results_problems(results) == []
    assert results["browser_redraw_ratio"] is None
    assert "skipped" in results["browser_error"]
    assert "—" in render(results)


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda r: r.pop("rerun_ratio"), "missing key 'rerun_ratio'"),
        (lambda r: r.update(rerun_ratio={}), "non-empty mapping"),
        (lambda r: r["rerun_ratio"].update(home="fast"), "rerun_ratio['home']"),
        (lambda r: r["rerun_ratio"].pop("regions"), "pages without a rerun_ratio: ['regions']"),
        (lambda r: r.update(browser_redraw_ratio=-1), "browser_redraw_ratio is -1"),
        (lambda r: r.update(schema=99), "schema is 99"),
        (lambda r: r["targets"].pop("rerun_ratio_max"), "targets.rerun_ratio_max"),
    ],
)
def test_results_problems_name_what_is_wrong(change, problem):
    results = _results(None)
    change(results)
    assert any(problem in p for p in stats.results_problems(results)), stats.results_problems(results)


def test_loadtest_problems():
    good = {
        "date": "x",
        "machine": {},
        "sessions": 10,
        "seconds": 60,
        "redraws": 2,
        "latency_ms": {"p50": 100.0, "p95": 200.0},
        "errors": [],
        "exception_boxes": 0,
        "memory_mb": {},
        "ok": True,
    }
    assert stats.loadtest_problems(good) == []
    assert stats.loadtest_problems({**good, "latency_ms": {}}) == ["latency_ms needs p50 and p95 when there were redraws"]
    assert stats.loadtest_problems({**good, "sessions": 0}) == ["sessions must be a positive integer"]
    assert stats.loadtest_problems({k: v for k, v in good.items() if k != "ok"}) == ["missing key 'ok'"]


# ---------------------------------------------------------------- widgets


def _widget(kind, value, **attrs):
    return SimpleNamespace(type=kind, value=value, key=attrs.pop("key", None), **attrs)


@pytest.mark.parametrize(
    "widget, expected",
    [
        (_widget("slider", 19.0, step=0.5, min=0.0, max=80.0), 19.5),
        (_widget("slider", 80.0, step=0.5, min=0.0, max=80.0), 79.5),  # at the top: step down
        (_widget("slider", 5, step=1, min=5, max=5), None),  # nowhere to go
        (_widget("slider", (2020, 2030), step=1, min=2000, max=2040), (2020, 2029)),
        (_widget("number_input", 3, step=1, min=None, max=None), 4),
        (_widget("toggle", False), True),
        (_widget("checkbox", True), False),
        (_widget("text_input", ""), "a"),
        (_widget("button_group", "b", options=["a", "b", "c"], format_func=str), "a"),
        (_widget("button_group", [], options=["x", "y"], format_func=str), ["x"]),
        # Display labels differ from the values: the benchmark cannot name another value.
        (
            _widget("button_group", "training", options=["训练", "推理"], format_func=lambda v: {"training": "训练"}.get(v, "?")),
            None,
        ),
        # Choice widgets go by label (formatted_neighbour), not by value.
        (_widget("selectbox", "b", options=["a", "b", "c"], format_func=str), None),
    ],
)
def test_neighbour_value(widget, expected):
    assert neighbour_value(widget) == expected


def test_scenario_choice_widget_uses_the_declared_choices(monkeypatch):
    from analysis import scenario

    param = scenario.Param("bench_mode", "low", kind="choice", choices=("low", "high"), label_key="bench.mode")
    monkeypatch.setattr(scenario, "all_params", lambda: {"bench_mode": param})
    widget = _widget("button_group", "low", key="sc.bench_mode", options=["低", "高"], format_func=lambda v: v)
    assert neighbour_value(widget) == "high"


@pytest.mark.parametrize(
    "widget, expected",
    [
        (SimpleNamespace(type="selectbox", options=["全部", "MaaS层", "芯片"], index=0), ("MaaS层", "全部")),
        (SimpleNamespace(type="radio", options=["甲", "乙"], index=1), ("甲", "乙")),
        (SimpleNamespace(type="selectbox", options=["唯一"], index=0), None),
        (SimpleNamespace(type="selectbox", options=["a", "b"], index=None), None),
        (SimpleNamespace(type="multiselect", options=["A", "B"], values=[]), (["A"], [])),
        (SimpleNamespace(type="multiselect", options=["A", "B"], values=["A", "B"]), (["A"], ["A", "B"])),
    ],
)
def test_formatted_neighbour(widget, expected):
    assert formatted_neighbour(widget) == expected


@pytest.mark.parametrize(
    "perturbation, expected",
    [
        (None, ("rerun", "main", None)),
        (Perturbation("main", "slider", 0, "CAGR", "sc.mkt_cagr", (1, 2)), ("slider", "main", None)),
        (Perturbation("sidebar", "toggle", 0, "Bands", "sc.phase_bands", (True, False)), ("toggle", "sidebar", None)),
        (Perturbation("main", "selectbox", 0, "Layer", "layer", ("芯片", "全部"), True), ("selectbox", "main", ("芯片", "全部"))),
        (Perturbation("main", "multiselect", 0, "Kinds", "kind", ([], ["x"]), True), ("rerun", "main", None)),
    ],
)
def test_browser_widget_falls_back_to_a_rerun(perturbation, expected):
    assert browser_widget(perturbation) == expected


def test_trivial_page_offers_its_slider():
    at = open_trivial()
    at.run()
    assert not at.exception
    move = trivial_perturbation(at)
    assert (move.type, move.area, move.key, move.values) == ("slider", "main", "value", (51, 50))
    move.apply(at, 0)
    at.run()
    assert at.slider(key="value").value == 51
    assert find_perturbation(at).values == (52, 51)  # from the new value, a step further


def test_floor_page_draws_the_market_sections_elements():
    """The floor must hold what the market page's first section holds, or its ratio says nothing about it."""
    from streamlit.testing.v1 import AppTest

    floor = AppTest.from_file(str(PROJECT_ROOT / "bench" / "floor_page.py"), default_timeout=120)
    floor.run()
    assert not floor.exception
    page = open_page("pages/market.py", "zh")
    page.run()
    assert not page.exception
    first_section = next(c for c in page.main.children.values() if any(e.type == "slider" for e in walk(c)))

    def counts(node) -> dict[str, int]:
        found: dict[str, int] = {}
        for element in walk(node):
            # Captions aside: under AppTest the share panel adds one that a served page does not show.
            if element.type not in ("title", "flex_container", "caption"):
                # One chart either way: the floor draws st.plotly_chart, the app its chart element.
                kind = "chart" if element.type in ("plotly_chart", "bidi_component") else element.type
                found[kind] = found.get(kind, 0) + 1
        return found

    assert counts(floor.main) == counts(first_section)
    floor.slider[0].set_value(floor.slider[0].value + 1).run()
    assert not floor.exception


def test_trivial_page_is_not_an_app_page():
    from analysis.sitemap import PAGES

    assert "bench/trivial_page.py" not in {p.file for p in PAGES}
    assert not (PROJECT_ROOT / "pages" / "trivial_page.py").exists()


# ---------------------------------------------------------------- briefing pack arguments


def test_pack_arguments_follow_parameter_names(tmp_path):
    def build_pack(con, slugs, scenario, lang, *, out=None, images=True):
        return None

    kwargs, unknown = _pack_arguments(build_pack, "CON", "en", tmp_path)
    assert unknown is None
    assert kwargs["con"] == "CON" and kwargs["lang"] == "en" and kwargs["out"] == tmp_path / "bench-pack.pptx"
    assert "workload-split" in kwargs["slugs"]
    assert isinstance(kwargs["scenario"], dict)
    assert "images" not in kwargs  # optional: left to its default


def test_pack_arguments_report_an_unknown_required_parameter(tmp_path):
    def build_pack(con, template_name):
        return None

    assert inspect.signature(build_pack)
    _, unknown = _pack_arguments(build_pack, "CON", "zh", tmp_path)
    assert unknown == "template_name"


def test_tracker_knows_streamlits_message_numbers():
    # The browser tracker reads run start/end from Streamlit's ForwardMsg by field number.
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from bench import browser

    fields = ForwardMsg.DESCRIPTOR.fields_by_name
    assert fields["new_session"].number == browser.FORWARD_MSG_NEW_SESSION
    assert fields["script_finished"].number == browser.FORWARD_MSG_SCRIPT_FINISHED
    assert ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN") == browser.SCRIPT_FINISHED_EARLY_FOR_RERUN
    assert f"NEW_SESSION = {fields['new_session'].number}" in browser.TRACKER_JS


def _labelled_choices_app():
    import streamlit as st

    labels = {"training": "训练", "inference": "推理", "mixed": "混合"}
    st.selectbox("Segment", options=list(labels), format_func=labels.get, key="segment")
    st.multiselect("Kinds", options=["reported", "forecast"], format_func=str.upper, key="kinds")
    st.write(st.session_state.segment, st.session_state.kinds)


def test_choices_with_translated_labels_are_changed_by_label(request):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_labelled_choices_app)
    at.run()
    request.addfinalizer(clear_formatted_states)
    move = find_perturbation(at)
    assert (move.type, move.formatted, move.values) == ("selectbox", True, ("推理", "训练"))
    move.apply(at, 0)
    at.run()
    assert not at.exception
    assert at.selectbox(key="segment").value == "inference"
    move.apply(at, 1)
    at.run()
    assert at.selectbox(key="segment").value == "training"

    kinds = Perturbation("main", "multiselect", 0, "Kinds", "kinds", (["FORECAST"], []), formatted=True)
    kinds.apply(at, 0)
    at.run()
    assert at.multiselect(key="kinds").value == ["forecast"]


def test_readme_markdown_lists_every_page_and_the_verdicts():
    from bench.report import bench_markdown, loadtest_markdown

    text = bench_markdown(_results(_browser_out()))
    rows = [line for line in text.splitlines() if line.startswith("| home |") or line.startswith("| regions |")]
    assert len(rows) == 2
    assert "2.50 fail | 3.00 |" in rows[0] and "1.50 pass | 1.50 |" in rows[1]
    assert "`cold_start_ratio`" in text and "1.25" in text
    assert "| 24.0 ms / 300.0 ms; ratios 2.40 / 3.00 |" in text
    report = {
        "date": "2026-01-02",
        "sessions": 10,
        "seconds": 60.0,
        "redraws": 120,
        "latency_ms": {"p50": 300.0, "p95": 900.0, "max": 1500.0},
        "memory_mb": {"idle_mb": 70.0, "max_mb": 380.0},
        "ok": False,
        "error_count": 2,
        "exception_boxes": 0,
    }
    line = loadtest_markdown(report)
    assert "p50 300.0 ms" in line and "p95 900.0 ms" in line and "FAILED: 2 error(s)" in line


@pytest.mark.parametrize(
    "pack, expected",
    [
        (
            {"available": False, "reason": "analysis.briefing does not exist (yet)"},
            "not available: analysis.briefing does not exist (yet)",
        ),
        ({"available": True, "ran": False, "reason": "build_pack raised X"}, "not measured: build_pack raised X"),
        (
            {
                "available": True,
                "ran": True,
                "timings_s": {"charts": 14.0, "no_images_s": 1.0, "auto_s": 2.8, "all_images_s": 4.3},
            },
            "14 charts: no pictures 1.00 s (target < 2 s), as the app builds it 2.80 s (target < 5 s), every chart a picture 4.30 s;"
            " image browser cold start —",
        ),
        ({"available": True, "ran": True, "cold_s": 3.0, "warm_s": 1.5}, "1.50 s warm, 3.00 s cold"),
    ],
)
def test_pack_text(pack, expected):
    from bench.run import _pack_text

    assert _pack_text(pack) == expected


def test_loadtest_reports_the_trivial_app_under_the_same_load():
    from bench.loadtest import report
    from bench.report import loadtest_markdown

    def record(samples_s, errors=()):
        return {
            "record": {
                "latencies": {"p": samples_s},
                "errors": list(errors),
                "exception_boxes": 0,
                "retries": 0,
                "chart_misses": 0,
            },
            "assignment": ["p"],
            "elapsed_s": 60.0,
            "memory": {"idle_mb": 1.0, "max_mb": 2.0, "end_mb": 2.0, "samples": 3},
        }

    args = SimpleNamespace(sessions=2, seconds=60.0, think_ms=500.0, lang="zh")
    machine_info = {"cpus": 2, "cpu_model": "test", "load_average_at_start": [0.0, 0.0, 0.0]}
    started = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    app, trivial = record([0.3] * 20), record([0.1] * 20, errors=["console: x"])
    result = report(app, {"p": ("slider", "main", None)}, args, started, machine_info, trivial)
    assert stats.loadtest_problems(result) == []
    assert result["loadtest_p95_ratio"] == 3.0
    assert result["trivial"]["p95"] == 100.0 and result["trivial"]["error_count"] == 1
    assert result["ok"], "the trivial app's own errors are reported apart, not as the app's"
    assert "`loadtest_p95_ratio` 3.00 (fail, target ≤ 2)" in loadtest_markdown(result)
    assert report(app, {"p": ("slider", "main", None)}, args, started, machine_info)["loadtest_p95_ratio"] is None
    with_floor = report(app, {"p": ("slider", "main", None)}, args, started, machine_info, trivial, record([0.25] * 20))
    assert with_floor["floor_p95_ratio"] == 2.5 and with_floor["loadtest_p95_ratio"] == 3.0
    assert "`floor_p95_ratio` 2.50." in loadtest_markdown(with_floor)
    assert result["floor"] is None and result["floor_p95_ratio"] is None


# ---------------------------------------------------------------- the load test against a deployment (--url, issue 26)


def test_loadtest_against_a_url_leaves_the_yardsticks_out_and_takes_server_logs_only_with_it():
    from bench.loadtest import parse_args

    args = parse_args(["--url", "http://127.0.0.1:8600", "--server-log", "a.log", "--server-log", "b.log"])
    assert (args.url, [str(p) for p in args.server_log], args.no_trivial) == ("http://127.0.0.1:8600", ["a.log", "b.log"], True)
    assert parse_args([]).url is None and parse_args([]).no_trivial is False
    with pytest.raises(SystemExit):
        parse_args(["--server-log", "a.log"])


def test_loadtest_target_reads_only_what_its_server_logs_got_during_the_run(tmp_path):
    from bench.loadtest import Target

    first, second = tmp_path / "app-1.log", tmp_path / "app-2.log"
    first.write_text("Traceback (most recent call last): before the run\n")
    target = Target("http://127.0.0.1:1/", [first, second]).start()
    with first.open("a") as handle:
        handle.write("during the run\n")
    second.write_text("second server\n")
    assert target.url == "http://127.0.0.1:1"
    assert target.rss_bytes() is None
    assert target.log_text() == "during the run\n\nsecond server\n"
    assert target.healthy() is False  # nothing listens on port 1
