"""The scenario in a session: URL ⇄ session ⇄ widgets, and the sidebar's save/load/delete.

The session holds the canonical values (`SESSION_VALUES`); widgets are views of it with keys
`sc.<name>`. Streamlit drops a widget's state when a page no longer draws it, so the values
must live outside widget keys to follow the user from page to page.
"""

from __future__ import annotations

import streamlit as st

from analysis import scenario as sc
from analysis.i18n import t
from analysis.imports import escape_markdown
from analysis.userstore import ScenarioStore, StoreError

SESSION_VALUES = "scenario.values"
SESSION_NAME = "scenario.name"
SESSION_PROBLEMS = "scenario.url_problems"
SESSION_STATUS_SLOT = "scenario.status_slot"  # (that line's st.empty, its language), for fragments to rewrite
WIDGET_PREFIX = "sc."


def widget_key(name: str) -> str:
    return f"{WIDGET_PREFIX}{name}"


def init_from_url() -> None:
    """On a session's first run, read the scenario from the URL; bad values become warnings."""
    if SESSION_VALUES in st.session_state:
        return
    raw = {k: st.query_params.get_all(k) for k in st.query_params}
    values, problems = sc.parse_values(raw)
    for problem in problems:
        del st.query_params[problem.name]
    st.session_state[SESSION_VALUES] = values
    st.session_state[SESSION_NAME] = sc.BASELINE_NAME if not sc.changed(values) else ""
    st.session_state[SESSION_PROBLEMS] = problems


def values() -> dict[str, object]:
    init_from_url()
    return dict(st.session_state[SESSION_VALUES])


def current_name() -> str:
    return st.session_state.get(SESSION_NAME, sc.BASELINE_NAME)


def query_params() -> dict[str, str]:
    """The scenario's URL form (non-default values only)."""
    return sc.to_query(values())


def _status_markdown(lang: str) -> str:
    name = current_name()
    shown = t("scenario.baseline", lang) if name == sc.BASELINE_NAME else (name or t("scenario.unsaved", lang))
    return f":material/tune: {escape_markdown(t('scenario.heading', lang, name=shown))}"


def refresh_sidebar_status() -> None:
    """Write the sidebar's scenario line again, from inside a fragment (ui.frame.interactive_section).

    The line is an `st.empty` drawn by the full run; it holds one element, so each write replaces it. Streamlit
    lets a fragment write there only if it did so in the full run too, so every section writes it on every run
    (one short element): a change made inside a section keeps "unsaved changes" right without an app rerun.
    """
    slot = st.session_state.get(SESSION_STATUS_SLOT)
    if slot is None:
        return
    placeholder, lang = slot
    placeholder.markdown(_status_markdown(lang))


def sync_url() -> None:
    """Make the URL carry exactly the scenario's non-default values (the language is left alone)."""
    wanted = query_params()
    params = sc.all_params()
    for name in params:
        current = st.query_params.get(name)
        if name in wanted and current != wanted[name]:
            st.query_params[name] = wanted[name]
        elif name not in wanted and current is not None:
            del st.query_params[name]


def set_values(new_values: dict[str, object], name: str = "") -> None:
    st.session_state[SESSION_VALUES] = dict(new_values)
    st.session_state[SESSION_NAME] = name
    for param_name in sc.all_params():
        st.session_state.pop(widget_key(param_name), None)  # widgets re-read the new values
    sync_url()


def _on_widget_change(name: str) -> None:
    current = values()
    current[name] = sc.all_params()[name].parse(st.session_state[widget_key(name)])
    st.session_state[SESSION_VALUES] = current
    st.session_state[SESSION_NAME] = sc.BASELINE_NAME if not sc.changed(current) else ""
    sync_url()


def show_url_problems(lang: str) -> None:
    """A visible warning for every bad value a link carried; shown on the first page of the session."""
    problems = st.session_state.get(SESSION_PROBLEMS) or []
    if not problems:
        return
    params = sc.all_params()
    lines = [
        t(
            "scenario.bad_url_value",
            lang,
            label=t(params[p.name].label_key, lang) if params[p.name].label_key else p.name,
            name=p.name,
            given=p.given,
            default=display_value(params[p.name], p.default, lang),
        )
        for p in problems
    ]
    st.warning(t("scenario.bad_url", lang) + "\n\n" + "\n".join(f"- {line}" for line in lines), icon=":material/link_off:")
    st.session_state[SESSION_PROBLEMS] = []


def display_value(param: sc.Param, value: object, lang: str) -> str:
    """A value as a reader sees it: on/off, the translated choice, or the number with its unit."""
    if param.kind == "bool":
        return t("scenario.on" if value else "scenario.off", lang)
    if param.kind == "choice":
        return t(f"{param.label_key}.{value}", lang)
    return param.display(value)


def param_widget(name: str, lang: str, *, container=None, disabled: bool = False):
    """Draw the widget for scenario parameter `name` and return its current value."""
    param = sc.all_params()[name]
    key = widget_key(name)
    current = values()[name]
    if st.session_state.get(key) != current:
        st.session_state[key] = current
    target = container if container is not None else st
    label = t(param.label_key, lang) if param.label_key else name
    common = {
        "key": key,
        "on_change": _on_widget_change,
        "args": (name,),
        "help": t(param.help_key, lang) if param.help_key else None,
        "disabled": disabled,
    }
    if param.kind == "bool":
        target.toggle(label, **common)
    elif param.kind == "choice":
        target.selectbox(label, options=list(param.choices), format_func=lambda c: t(f"{param.label_key}.{c}", lang), **common)
    else:
        number = int if param.kind == "int" else float
        target.slider(
            label,
            min_value=number(param.min_value),
            max_value=number(param.max_value),
            step=number(param.step) if param.step is not None else None,
            # sprintf-js formats the label: a literal % in the unit must be doubled.
            format=_number_format(param) + param.unit.replace("%", "%%"),
            **common,
        )
    return values()[name]


def _number_format(param: sc.Param) -> str:
    if param.kind == "int":
        return "%d"
    return "%g" if param.decimals is None else f"%.{param.decimals}f"


def _store() -> ScenarioStore:
    return ScenarioStore()


def scenario_manager(lang: str) -> None:
    """Sidebar block: which scenario is open; save, open, delete, reset."""
    if not sc.all_params():
        return
    # The scenario's name sits on a line of its own, outside the expander: a fragment can rewrite a line,
    # not an expander's label (see refresh_sidebar_status).
    status = st.empty()
    status.markdown(_status_markdown(lang))
    st.session_state[SESSION_STATUS_SLOT] = (status, lang)
    store = _store()
    with st.expander(t("scenario.manage", lang), icon=":material/folder_open:"):
        try:
            names = store.names()
        except StoreError as exc:
            st.error(t("scenario.store_unreadable", lang, detail=str(exc)))
            names = [sc.BASELINE_NAME]
        chosen = st.selectbox(
            t("scenario.open_label", lang),
            options=names,
            format_func=lambda n: t("scenario.baseline", lang) if n == sc.BASELINE_NAME else n,
            key="scenario.pick",
            help=t("scenario.open_help", lang),
        )
        left, right = st.columns(2)
        if left.button(t("scenario.open", lang), key="scenario.open_btn", icon=":material/folder_open:", width="stretch"):
            _open(store, chosen, lang)
        if right.button(
            t("scenario.delete", lang),
            key="scenario.delete_btn",
            icon=":material/delete:",
            disabled=chosen == sc.BASELINE_NAME,
            width="stretch",
        ):
            _delete(store, chosen, lang)
        with st.form("scenario.save_form", border=False):
            new_name = st.text_input(t("scenario.name_label", lang), key="scenario.new_name", max_chars=sc.MAX_NAME_CHARS)
            if st.form_submit_button(t("scenario.save", lang), icon=":material/save:"):
                _save(store, new_name, lang)
        # Always offered (a no-op on the baseline): whether the scenario changed can change inside a fragment.
        st.button(
            t("scenario.reset", lang),
            key="scenario.reset_btn",
            icon=":material/restart_alt:",
            on_click=set_values,
            args=(sc.defaults(), sc.BASELINE_NAME),
        )


def _open(store: ScenarioStore, name: str, lang: str) -> None:
    try:
        set_values(store.load(name), name)
    except (KeyError, StoreError) as exc:
        st.error(t("scenario.open_failed", lang, name=name, detail=str(exc)))
        return
    st.rerun()


def _delete(store: ScenarioStore, name: str, lang: str) -> None:
    try:
        store.delete(name)
    except (KeyError, ValueError, StoreError, OSError) as exc:
        st.error(t("scenario.delete_failed", lang, name=name, detail=str(exc)))
        return
    if current_name() == name:
        st.session_state[SESSION_NAME] = ""
    st.toast(t("scenario.deleted", lang, name=name))


def _save(store: ScenarioStore, name: str, lang: str) -> None:
    try:
        stored = store.save(name, values())
    except sc.ScenarioNameError as exc:
        st.error(t(f"scenario.name_{exc.code}", lang))
        return
    except ValueError as exc:
        st.error(t("scenario.save_invalid", lang, detail=str(exc)))
        return
    except (StoreError, OSError) as exc:
        st.error(t("scenario.save_failed", lang, detail=str(exc)))
        return
    st.session_state[SESSION_NAME] = stored
    st.toast(t("scenario.saved", lang, name=stored))
