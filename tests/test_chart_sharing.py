"""Registered charts, and views that hold charts, are built once per process and shared read-only by every
session (ui/frame.py's `_chart` and `_view`, st.cache_resource): a page or the briefing pack that changed a
shared figure or its data would change it for every other user. Every page is run, its widget moved, and the pack built; every shared spec must be unchanged.
A shared spec is laid out for the screen when it is built: a rerun shows that figure itself, no copy.
"""

from __future__ import annotations

import dataclasses
import hashlib

import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import PROJECT_ROOT, isolated_app
from streamlit.testing.v1 import AppTest

from analysis import images
from analysis.chartspec import ChartSpec, laid_out
from analysis.sitemap import PAGES, PAGES_BY_ID
from bench.widgets import clear_formatted_states, find_perturbation
from ui import frame as ui_frame
from ui import widgets as ui_widgets


def fingerprint(spec: ChartSpec | pd.DataFrame) -> str:
    """Everything a reader of the spec sees, as one digest: figure JSON, data, texts, native form."""
    if isinstance(spec, pd.DataFrame):  # a table of a shared view
        return hashlib.sha256(spec.to_json(orient="split", date_format="iso", default_handler=str).encode()).hexdigest()
    parts = [
        spec.figure.to_json(),
        # The screen figure's own state, read past ScreenFigure's kept copy, and that copy (what st.plotly_chart is
        # handed): a change to the figure after it was shown changes the first and not the second.
        "" if spec.screen_figure is None else go.Figure.to_json(go.Figure(go.Figure.to_dict(spec.screen_figure))),
        "" if spec.screen_figure is None else spec.screen_figure.to_json(),
        spec.data.to_json(orient="split", date_format="iso", default_handler=str),
        repr((spec.slug, spec.title, spec.takeaway, spec.source_line, dict(spec.assumptions), spec.native)),
    ]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


@pytest.fixture
def shared_specs(tmp_path, monkeypatch):
    """Every spec the frame builds for sharing, with its fingerprint at build time."""
    built: list[tuple[ChartSpec, str]] = []
    original = ui_frame._build_chart

    def recording(chart, con, scenario, lang):
        spec = original(chart, con, scenario, lang)
        built.append((spec, fingerprint(spec)))
        return spec

    def recording_view(function, con, params):
        view = original_view(function, con, params)
        for field in dataclasses.fields(view):  # its charts, and its tables, shared the same way
            value = getattr(view, field.name)
            if isinstance(value, ChartSpec):
                built.append((value, fingerprint(value)))
            elif isinstance(value, pd.DataFrame):
                built.append((value, fingerprint(value)))
        return view

    original_view = ui_frame._build_view
    monkeypatch.setattr(ui_frame, "_build_chart", recording)
    monkeypatch.setattr(ui_frame, "_build_view", recording_view)
    monkeypatch.setenv(images.BROWSER_ENV, str(tmp_path / "no-chromium"))  # the pack without pictures: fast
    with isolated_app(tmp_path / "atlas.duckdb", tmp_path / "userdata"):
        yield built


def open_page(file: str, lang: str) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = lang
    if file != "app.py":
        at.switch_page(file)
    return at.run()


def changed(built: list[tuple[ChartSpec | pd.DataFrame, str]]) -> list[str]:
    return [getattr(spec, "slug", "a view's table") for spec, before in built if fingerprint(spec) != before]


def test_the_fingerprint_sees_a_change_to_the_figure_or_the_data():
    spec = ChartSpec("x", "t", "", go.Figure(go.Scatter(x=[1, 2], y=[3, 4])), pd.DataFrame({"a": [1]}), "src")
    before = fingerprint(spec)
    spec.figure.update_layout(title_text="changed")
    assert fingerprint(spec) != before
    before = fingerprint(spec)
    spec.data.loc[0, "a"] = 2
    assert fingerprint(spec) != before
    spec = laid_out(spec)
    before = fingerprint(spec)  # reads screen_figure.to_dict(), so ScreenFigure keeps its copy from here
    spec.screen_figure.update_layout(height=123)
    assert fingerprint(spec) != before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_page_nor_the_briefing_pack_changes_a_shared_chart(shared_specs, lang):
    for page in PAGES:
        clear_formatted_states()
        at = open_page(page.file, lang)
        assert not at.exception, (page.page_id, [e.value for e in at.exception])
        move = find_perturbation(at)
        for step in range(2):  # there and back: both values drawn from shared specs
            if move is not None:
                move.apply(at, step)
            at.run()
            assert not at.exception, (page.page_id, [e.value for e in at.exception])
    briefing = open_page(PAGES_BY_ID["briefing"].file, lang)
    briefing.button(key="briefing.build").click().run()
    assert not briefing.exception, [e.value for e in briefing.exception]
    assert "briefing.pack" in briefing.session_state
    assert len({spec.slug for spec, _ in shared_specs if isinstance(spec, ChartSpec)}) >= 10, "most charts were drawn"
    assert {"compute-tradeoff", "compute-audit-gaps"} <= {getattr(spec, "slug", "") for spec, _ in shared_specs}
    assert changed(shared_specs) == []


def test_a_chart_is_built_once_and_the_same_object_is_served_again(shared_specs):
    first = open_page(PAGES_BY_ID["regions"].file, "en")
    second = open_page(PAGES_BY_ID["regions"].file, "en")  # another session, same inputs
    assert not first.exception and not second.exception
    maps = [spec for spec, _ in shared_specs if getattr(spec, "slug", "") == "regions-map"]
    assert len(maps) == 1, "the second session must reuse the first one's spec, not build its own"


def test_a_rerun_shows_the_shared_laid_out_figure_without_copying_it(shared_specs, monkeypatch):
    """Laying a figure out copies it (analysis.chart_layout.lay_out): done when the shared spec is built, never
    on a rerun, and the chart element gets the shared screen figure itself."""
    at = open_page(PAGES_BY_ID["market"].file, "en")
    assert not at.exception
    layouts, shown = [], []
    original_fit, original_plot = ui_widgets.lay_out, ui_widgets.plot_element

    def counting_fit(fig, *args, **kwargs):
        layouts.append(1)
        return original_fit(fig, *args, **kwargs)

    def recording_plot(fig, *args, **kwargs):
        shown.append(fig)
        return original_plot(fig, *args, **kwargs)

    monkeypatch.setattr(ui_widgets, "lay_out", counting_fit)
    monkeypatch.setattr(ui_widgets, "plot_element", recording_plot)
    move = find_perturbation(at)
    assert move is not None
    move.apply(at, 0)  # a slider: the section's charts are built anew (laid out once), the others reused
    at.run()
    at.run()  # nothing changed: every chart comes from a cache
    assert not at.exception
    assert layouts == [], "no figure is laid out (copied) while it is shown"
    screens = {id(spec.screen_figure) for spec, _ in shared_specs if isinstance(spec, ChartSpec)}
    registered = [fig for fig in shown if id(fig) in screens]
    assert len(registered) >= 3, "the forecast charts are the shared specs' screen figures themselves"


def test_a_rerun_that_changes_nothing_makes_no_figure(shared_specs, monkeypatch):
    """Issue 23, item 4: showing a chart copies no figure. st.plotly_chart made a `go.Figure` of every figure it
    was given (plotly's validation, about 7 ms each); the chart element sends the shared figure's JSON as it is."""
    at = open_page(PAGES_BY_ID["market"].file, "en")
    assert not at.exception
    made = []
    original = go.Figure.__init__

    def counting(self, *args, **kwargs):
        made.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(go.Figure, "__init__", counting)
    at.run()  # nothing changed: every chart comes from a cache, and is shown without a copy
    assert not at.exception
    assert made == [], f"figures made on a rerun that changed nothing: {made}"
