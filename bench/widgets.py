"""Find a page's first widget under AppTest and flip it between two values, generically.

The benchmark never names a page's widgets: it walks the rendered tree in document order, prefers the
first slider, else takes the first widget it knows how to change, and alternates between the widget's
current value and a neighbouring one (so after one round both reruns are warm in every cache).

Where: the main area first; then the sidebar, but only scenario parameters (keys `sc.<name>`), never the
frame's own controls (language switch, scenario manager).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamlit.proto.WidgetStates_pb2 import WidgetState

SLIDER_TYPES = ("slider", "select_slider")
# Widget types we can move to a neighbouring value without knowing the page.
CHANGEABLE_TYPES = (
    *SLIDER_TYPES,
    "number_input",
    "toggle",
    "checkbox",
    "selectbox",
    "radio",
    "button_group",
    "multiselect",
    "text_input",
)
# Widgets the browser half of the benchmark can move by keyboard, by their AppTest type.
KEYBOARD_TYPES = ("slider", "select_slider", "toggle", "checkbox", "text_input", "selectbox")
SCENARIO_KEY_PREFIX = "sc."
TEXT_PROBE = "a"


@dataclass(frozen=True)
class Perturbation:
    """How to find a widget again after a rerun, and the two values to alternate between."""

    area: str  # "main" or "sidebar"
    type: str  # AppTest element type
    ordinal: int  # index among widgets of this type in the area, in document order
    label: str
    key: str | None
    values: tuple[Any, Any]
    formatted: bool = False  # values are display strings, sent as the browser sends them

    def widget(self, at):
        return getattr(at, self.area).get(self.type)[self.ordinal]

    def apply(self, at, step: int):
        """Set the widget to values[step % 2] (not yet run)."""
        widget = self.widget(at)
        if self.formatted:
            return with_formatted_state(widget, self.values[step % 2])
        return widget.set_value(self.values[step % 2])

    def describe(self) -> dict[str, object]:
        return {
            "type": self.type,
            "label": self.label,
            "key": self.key,
            "area": self.area,
            "keyboard": self.type in KEYBOARD_TYPES,
        }


def _children(node) -> list:
    children = getattr(node, "children", None)
    return list(children.values()) if isinstance(children, dict) else []


def walk(node):
    """Every element below `node`, in document order."""
    for child in _children(node):
        yield child
        yield from walk(child)


def _identity_options(widget) -> list | None:
    """The options as values, when the display format is the identity (else we cannot name a value)."""
    try:
        format_func = widget.format_func
        options = list(widget.options)
        if all(str(format_func(o)) == o for o in options):
            return options
    except Exception:  # a format_func that rejects a display string: not an identity
        return None
    return None


def _scenario_choices(widget) -> list | None:
    key = widget.key or ""
    if not key.startswith(SCENARIO_KEY_PREFIX):
        return None
    from analysis.scenario import all_params

    param = all_params().get(key.removeprefix(SCENARIO_KEY_PREFIX))
    return list(param.choices) if param is not None and param.choices else None


def _number_neighbour(value, step, low, high):
    if not isinstance(value, int | float) or isinstance(value, bool) or not step:
        return None
    up = value + step
    if high is None or up <= high:
        return round(up, 10) if isinstance(up, float) else up
    down = value - step
    if low is None or down >= low:
        return round(down, 10) if isinstance(down, float) else down
    return None


def neighbour_value(widget) -> Any:
    """A value next to the widget's current one, or None if we cannot tell one safely."""
    kind = widget.type
    value = widget.value
    if kind == "slider":
        step = widget.step
        if isinstance(value, list | tuple):
            low, high = value
            smaller = _number_neighbour(high, -step if isinstance(step, int | float) else None, low, None)
            return None if smaller is None else (low, smaller)
        return _number_neighbour(value, step, widget.min, widget.max)
    if kind == "number_input":
        return _number_neighbour(value, widget.step, widget.min, widget.max)
    if kind in ("toggle", "checkbox"):
        return not value
    if kind == "text_input":
        return (value or "") + TEXT_PROBE
    if kind != "button_group":  # selectbox, radio, multiselect: by label, see formatted_neighbour
        return None
    options = _scenario_choices(widget) or _identity_options(widget)
    if not options:
        return None
    if isinstance(value, list):
        return value[:-1] if value else [options[0]]
    others = [o for o in options if o != value]
    return others[0] if others else None


# ---------------------------------------------------------------- choices shown through a format_func
# A selectbox, radio or multiselect whose labels are not its values (translated labels, say) cannot be
# set by value without knowing the page. The browser sends the chosen *label*, and so can we: the
# widget's state is rebuilt from the label, exactly as the frontend would send it.
FORMATTED_TYPES = ("selectbox", "radio", "multiselect")


_FORMATTED_STATES: dict[str, WidgetState] = {}  # widget id → the state to send instead of AppTest's own


def _install_formatted_states() -> None:
    """Route AppTest's widget-state serialisation through _FORMATTED_STATES (once per process)."""
    from streamlit.testing.v1 import element_tree

    original = element_tree.get_widget_state
    if getattr(original, "_bench", False):
        return

    def get_widget_state(node):
        override = _FORMATTED_STATES.get(getattr(node, "id", None))
        return override if override is not None else original(node)

    get_widget_state._bench = True
    element_tree.get_widget_state = get_widget_state


def clear_formatted_states() -> None:
    _FORMATTED_STATES.clear()


def with_formatted_state(widget, formatted):
    """Make `widget` report the display label(s) `formatted` as its state on the next runs."""
    _install_formatted_states()
    state = WidgetState()
    state.id = widget.id
    if widget.type == "multiselect":
        state.string_array_value.data[:] = list(formatted)
    else:
        state.string_value = formatted
    _FORMATTED_STATES[widget.id] = state
    return widget


def formatted_neighbour(widget) -> tuple[Any, Any] | None:
    """(another label, the current label) for a choice widget, or None."""
    options = list(widget.options)
    if widget.type == "multiselect":
        current = list(widget.values)
        if current:
            return current[:-1], current
        return ([options[0]], []) if options else None
    index = widget.index
    if index is None:
        return None
    others = [o for i, o in enumerate(options) if i != index]
    return (others[0], options[index]) if others else None


def _candidates(at):
    """(area, widget) pairs in the order we consider them."""
    for node in walk(at.main):
        yield "main", node
    for node in walk(at.sidebar):
        if (getattr(node, "key", None) or "").startswith(SCENARIO_KEY_PREFIX):
            yield "sidebar", node


def find_perturbation(at) -> Perturbation | None:
    """The first slider (main area, then sidebar scenario sliders), else the first changeable widget."""
    candidates = [(area, node) for area, node in _candidates(at) if getattr(node, "type", "") in CHANGEABLE_TYPES]
    ordered = [c for c in candidates if c[1].type in SLIDER_TYPES] + [c for c in candidates if c[1].type not in SLIDER_TYPES]
    for area, node in ordered:
        values, formatted = None, node.type in FORMATTED_TYPES
        try:
            if formatted:
                values = formatted_neighbour(node)
            elif (other := neighbour_value(node)) is not None and other != node.value:
                values = (other, node.value)
        except Exception:  # an exotic widget value: try the next one
            continue
        if values is None:
            continue
        ordinal = next(i for i, n in enumerate(getattr(at, area).get(node.type)) if n is node)
        return Perturbation(area, node.type, ordinal, str(getattr(node, "label", "")), node.key, values, formatted)
    return None


def count_charts(at) -> int:
    # The app's charts are the chart element (ui/plot_element.py, a components v2 element); the bench's own
    # yardstick pages still use st.plotly_chart.
    from ui.plot_element import ELEMENT_NAME

    def is_chart(node) -> bool:
        kind = getattr(node, "type", "")
        return kind == "plotly_chart" or (kind == "bidi_component" and node.proto.component_name == ELEMENT_NAME)

    return sum(1 for node in walk(at.main) if is_chart(node))
