"""Copies of shared figures that never touch the original.

`go.Figure(fig)` is not a read: plotly's data validator pops each source trace's "type" from the source's own
property dict while it builds the copy, then puts it back. App figures are built once and shared by every session
and by the API's drawing threads, so two copies at once (or a copy beside a serialisation) can see a trace with no
type, read as a scatter: "Invalid property specified for object of type plotly.graph_objs.Scatter: 'colorscale'".
"""

from __future__ import annotations

from copy import deepcopy

import plotly.graph_objects as go


def copy_figure(fig: go.Figure) -> go.Figure:
    """An independent copy of `fig`, made from deep copies of its property dicts (numpy arrays stay arrays)."""
    # deepcopy only reads the source; the validator then pops "type" from the copies, not from `fig`.
    spec = {"data": deepcopy(fig._data), "layout": deepcopy(fig._layout)}
    if fig.frames:
        spec["frames"] = [deepcopy(frame._props) for frame in fig.frames]
    return go.Figure(spec)
