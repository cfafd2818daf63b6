"""Copies of shared figures (analysis.figure_copy): independent, and not a write to the original."""

import ast
import threading
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from analysis.figure_copy import copy_figure

ROOT = Path(__file__).resolve().parents[1]


class WatchedDict(dict):
    """A trace's property dict that records every change made to it."""

    changes: list[str]

    def pop(self, key, *default):
        self.changes.append(f"pop {key}")
        return super().pop(key, *default)

    def __setitem__(self, key, value):
        self.changes.append(f"set {key}")
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self.changes.append(f"del {key}")
        super().__delitem__(key)


def shared_figure() -> go.Figure:
    fig = go.Figure(
        [
            go.Choropleth(locations=["a"], z=[1], colorscale=[[0, "#eee"], [1, "#eee"]]),
            go.Scatter(x=np.arange(3.0), y=np.array([1.0, 2.0, 4.0]), name="line", marker={"color": "red"}),
        ]
    )
    fig.update_layout(title_text="Shared", meta={"title": "Shared"})
    return fig


def test_a_copy_never_changes_the_original_not_even_for_a_moment():
    fig = shared_figure()
    changes: list[str] = []
    watched = []
    for props in fig._data:
        dict_ = WatchedDict(props)
        dict_.changes = changes
        watched.append(dict_)
    fig._data[:] = watched  # the traces read their properties from here
    assert fig.data[0].type == "choropleth"
    copy_figure(fig)
    # go.Figure(fig) pops "type" from each source trace and puts it back: seen here as pop/set pairs.
    assert changes == []


def test_a_copy_is_independent_and_keeps_arrays_as_arrays():
    fig = shared_figure()
    copy = copy_figure(fig)
    assert copy.to_plotly_json() == fig.to_plotly_json() or copy.to_dict() == fig.to_dict()
    assert [tr.type for tr in copy.data] == ["choropleth", "scatter"]
    assert isinstance(copy.data[1].x, np.ndarray)  # builders' code reads trace.x as numbers, not base64
    copy.data[1].marker.color = "blue"
    copy.update_layout(title_text="Changed")
    assert fig.data[1].marker.color == "red" and fig.layout.title.text == "Shared"


def test_copies_made_at_once_from_many_threads_all_succeed():
    fig = shared_figure()
    errors: list[BaseException] = []

    def work():
        try:
            for _ in range(200):
                copy = copy_figure(fig)
                assert [tr.type for tr in copy.data] == ["choropleth", "scatter"]
                fig.to_dict()  # a serialisation beside the copies, as the app's display does
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_no_module_copies_a_figure_with_go_figure():
    """Every copy of a figure in the app goes through copy_figure (a go.Figure(<figure>) call is not a read)."""
    offenders = []
    for path in [*ROOT.glob("analysis/**/*.py"), *ROOT.glob("ui/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]:
        if path.name == "figure_copy.py":
            continue  # the one place that builds a figure from copied property dicts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "Figure"
                and len(node.args) == 1
                and isinstance(node.args[0], (ast.Name, ast.Attribute))
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
