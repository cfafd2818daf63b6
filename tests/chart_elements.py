"""AppTest helpers: the app's charts are `ui.plot_element` elements (a components v2 element, no longer
`st.plotly_chart`); AppTest shows them as `bidi_component` nodes whose JSON data holds the figure."""

from __future__ import annotations

import json

from ui.plot_element import ELEMENT_NAME

ELEMENT_TYPE = "bidi_component"


def is_chart(node) -> bool:
    return getattr(node, "type", "") == ELEMENT_TYPE and node.proto.component_name == ELEMENT_NAME


def chart_payload(node) -> dict:
    """What the element was sent: figure (plotly JSON), config, title, description, …"""
    return json.loads(node.proto.json)


def chart_nodes(at) -> list:
    return [node for node in at.get(ELEMENT_TYPE) if is_chart(node)]


def chart_specs(at) -> list[dict]:
    """Each chart's figure as plotly JSON (`{"data": [...], "layout": {...}}`), in page order."""
    return [chart_payload(node)["figure"] for node in chart_nodes(at)]
