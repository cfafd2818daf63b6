"""The scenario in a session: URL ⇄ session ⇄ widgets, and the sidebar's save/load/delete.

The session holds the canonical values (`SESSION_VALUES`); widgets are views of it with keys
`sc.<name>`. Streamlit drops a widget's state when a page no longer draws it, so the values
must live outside widget keys to follow the user from page to page.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import streamlit as st

from analysis import auth
from analysis import scenario as sc
from analysis.format import scaled
from analysis.i18n import t
from analysis.textsafe import escape_markdown, redact_paths
from analysis.userstore import ScenarioStore, StoreError, may_view, open_scenario_store, visible_names
from ui import auth as ui_auth
from ui.choice import relabel

SESSION_VALUES = "scenario.values"
SESSION_NAME = "scenario.name"
SESSION_PROBLEMS = "scenario.url_problems"
SESSION_STATUS_SLOT = "scenario.status_slot"  # (that line's st.empty, its language), for fragments to rewrite
SESSION_MISSING = "scenario.url_missing"  # a saved-scenario name the link carried that is not saved here
SESSION_REFUSED = "scenario.stored_refused"  # a saved scenario the link named whose values are refused today
SESSION_PENDING = "scenario.pending_overwrite"  # a name the user is asked about before it is overwritten
SESSION_PENDING_DELETE = "scenario.pending_delete"  # a saved scenario the user is asked about before it is deleted
SESSION_NOTICE = "scenario.notice"  # a confirmation to show after the rerun that follows a save
SESSION_SCALES = "scenario.widget_scales"  # parameter → factor its slider shows the stored value at
NAME_PARAM = "scenario"  # the URL parameter naming the open saved scenario
WIDGET_PREFIX = "sc."
SESSION_SHARE = "scenario.share"  # signed in: whether a new scenario is shared with everyone who signs in


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
    name = sc.BASELINE_NAME if not sc.changed(values) else ""
    linked = st.query_params.get(NAME_PARAM)
    if linked and linked != sc.BASELINE_NAME:
        try:
            store = _store()
            if not may_view(store, ui_auth.current_identity(), linked):  # another user's unshared scenario
                raise KeyError(linked)
            stored = store.load(linked)
        except (KeyError, StoreError):
            st.session_state[SESSION_MISSING] = linked
            del st.query_params[NAME_PARAM]
        except sc.StoredScenarioInvalid as exc:  # reported, not run: the link's own values are shown
            st.session_state[SESSION_REFUSED] = exc
            del st.query_params[NAME_PARAM]
        else:
            # The link's own values win over the saved ones: a shared link shows what its sender saw.
            given = {n for n in raw if n in stored} - {p.name for p in problems}
            values = {**stored, **{n: values[n] for n in given}}
            name = linked if values == stored else ""
    st.session_state[SESSION_VALUES] = values
    st.session_state[SESSION_NAME] = name
    st.session_state[SESSION_PROBLEMS] = problems


def values() -> dict[str, object]:
    init_from_url()
    return dict(st.session_state[SESSION_VALUES])


def current_name() -> str:
    return st.session_state.get(SESSION_NAME, sc.BASELINE_NAME)


def _saved_name() -> str:
    """The open saved scenario's name, '' for the baseline or unsaved settings."""
    name = current_name()
    return "" if name == sc.BASELINE_NAME else name


def query_params() -> dict[str, str]:
    """The scenario's URL form: its non-default values, and its name once it is saved."""
    wanted = sc.to_query(values())
    if _saved_name():
        wanted[NAME_PARAM] = _saved_name()
    return wanted


def _status_markdown(lang: str) -> str:
    name = current_name()
    # Only the user's name is escaped: the translated baseline and "unsaved" texts are written as Markdown.
    shown = t("scenario.baseline", lang) if name == sc.BASELINE_NAME else (escape_markdown(name) or t("scenario.unsaved", lang))
    return f":material/tune: {t('scenario.heading', lang, name=shown)}"


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
    """Make the URL carry exactly the scenario's non-default values and saved name (the language is left alone)."""
    wanted = query_params()
    params = [*sc.all_params(), NAME_PARAM]
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


def _scale(value: float, factor: float) -> float:
    return scaled(value, factor)  # exact, so the slider sits on its step


def _unscale(shown: float, factor: float, param: sc.Param) -> float:
    stored = Decimal(repr(float(shown))) / Decimal(repr(float(factor)))
    if param.step:
        step = Decimal(repr(float(param.step)))
        stored = (stored / step).to_integral_value() * step
    return float(stored)


def _on_widget_change(name: str) -> None:
    current = values()
    param = sc.all_params()[name]
    raw = st.session_state[widget_key(name)]
    factor = st.session_state.get(SESSION_SCALES, {}).get(name, 1.0)
    current[name] = param.parse(raw if factor == 1.0 else _unscale(raw, factor, param))
    st.session_state[SESSION_VALUES] = current
    st.session_state[SESSION_NAME] = sc.BASELINE_NAME if not sc.changed(current) else ""
    sync_url()


def show_url_problems(lang: str) -> None:
    """A visible warning for every bad value a link carried; shown on the first page of the session."""
    missing = st.session_state.pop(SESSION_MISSING, None)
    if missing:
        st.warning(t("scenario.link_missing", lang, name=escape_markdown(missing)), icon=":material/link_off:")
    refused = st.session_state.pop(SESSION_REFUSED, None)
    if refused is not None:
        _refused_warning(refused, lang)
    problems = st.session_state.get(SESSION_PROBLEMS) or []
    if not problems:
        return
    lines = [p.text(lang) for p in problems]
    st.warning(t("scenario.bad_url", lang) + "\n\n" + "\n".join(f"- {line}" for line in lines), icon=":material/link_off:")
    st.session_state[SESSION_PROBLEMS] = []


def display_value(param: sc.Param, value: object, lang: str) -> str:
    """A value as a reader sees it: on/off, the translated choice, or the number with its unit."""
    return sc.display_value(param, value, lang)


def param_widget(name: str, lang: str, *, container=None, disabled: bool = False, display: tuple[float, str] | None = None):
    """Draw the widget for scenario parameter `name` and return its current value (always in the stored unit).

    `display` = (factor, label key): the slider shows the stored value × factor under that label, so it
    states the quantity in the unit the chart and table print (USD bn for a value stored in 亿美元).
    """
    param = sc.all_params()[name]
    key = widget_key(name)
    factor, label_key = display if display is not None and display[0] != 1 else (1.0, param.label_key)
    st.session_state.setdefault(SESSION_SCALES, {})[name] = factor
    current = values()[name]
    shown = current if factor == 1.0 else _scale(current, factor)
    if st.session_state.get(key) != shown:
        st.session_state[key] = shown
    target = container if container is not None else st
    label = t(label_key, lang) if label_key else name
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
        relabel(key, lang, param.choices)
        target.selectbox(label, options=list(param.choices), format_func=lambda c: t(f"{param.label_key}.{c}", lang), **common)
    else:
        number = int if param.kind == "int" else float
        step = param.step if factor == 1.0 or param.step is None else _scale(param.step, factor)
        target.slider(
            label,
            min_value=number(param.min_value if factor == 1.0 else _scale(param.min_value, factor)),
            max_value=number(param.max_value if factor == 1.0 else _scale(param.max_value, factor)),
            step=number(step) if step is not None else None,
            # sprintf-js formats the label: a literal % in the unit must be doubled.
            format=_number_format(param, factor) + param.unit.replace("%", "%%"),
            **common,
        )
    return values()[name]


def _number_format(param: sc.Param, factor: float = 1.0) -> str:
    # sprintf.js's "," flag: thousands separators, so a slider reads 1,024 as the text beside it does.
    if param.kind == "int":
        return "%d" if param.is_year else "%,d"
    extra = max(0, round(-math.log10(factor)))  # a larger display unit needs more decimals for the same step
    grouping = "" if param.is_year else ","
    return "%g" if param.decimals is None else f"%{grouping}.{param.decimals + extra}f"


def _detail(exc: BaseException) -> str:
    """An error's own words for a message: no server paths, nothing read as Markdown."""
    return escape_markdown(redact_paths(exc))


def _store() -> ScenarioStore:
    return open_scenario_store()


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
    notice = st.session_state.pop(SESSION_NOTICE, None)
    if notice:
        st.toast(notice, icon=":material/check_circle:")
    with st.expander(t("scenario.manage", lang), icon=":material/folder_open:"):
        # Without sign-in, one store serves every visitor: say so where scenarios are saved and deleted.
        ui_auth.single_user_notice(lang)
        who = ui_auth.current_identity()
        try:
            names = visible_names(store, who)
        except StoreError as exc:
            st.error(t("scenario.store_unreadable", lang, detail=_detail(exc)))
            names = [sc.BASELINE_NAME]
        relabel("scenario.pick", lang, names)
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
            _ask_delete(store, who, chosen, lang)
        _confirm_delete(store, lang)
        with st.form("scenario.save_form", border=False):
            new_name = st.text_input(t("scenario.name_label", lang), key="scenario.new_name", max_chars=sc.MAX_NAME_CHARS)
            if who.signed_in:
                st.checkbox(t("scenario.share_label", lang), key=SESSION_SHARE, help=t("scenario.share_help", lang))
            if st.form_submit_button(t("scenario.save", lang), icon=":material/save:"):
                _save(store, new_name, lang, existing=names)
        _confirm_overwrite(store, lang)
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
        st.error(t("scenario.open_failed", lang, name=escape_markdown(name), detail=_detail(exc)))
        return
    except sc.StoredScenarioInvalid as exc:
        _refused_warning(exc, lang)
        return
    st.rerun()


def _refused_warning(exc: sc.StoredScenarioInvalid, lang: str) -> None:
    """A saved scenario that is not opened, and each of its values that today's checks refuse."""
    heading = t("scenario.stored_invalid", lang, name=escape_markdown(exc.name))
    st.warning(f"{heading}\n\n{exc.markdown(lang)}", icon=":material/block:")


def _ask_delete(store: ScenarioStore, who: auth.Identity, name: str, lang: str) -> None:
    """Ask before deleting, once `who` may delete it at all; a refusal says why at once."""
    try:
        owner = store.owners().get(name, (None, True))[0]
        auth.check_change_scenario(who, name, owner)
    except auth.PermissionDenied as exc:
        st.error(ui_auth.refused_message(exc, lang), icon=":material/lock:")
        return
    except StoreError as exc:
        st.error(t("scenario.delete_failed", lang, name=escape_markdown(name), detail=_detail(exc)))
        return
    st.session_state[SESSION_PENDING_DELETE] = name  # deleted only once the user confirms below


def _delete(store: ScenarioStore, name: str, lang: str) -> None:
    who = ui_auth.current_identity()
    try:
        store.delete(name, actor=who)
    except auth.PermissionDenied as exc:  # checked when asked; checked again here, in the store, under its lock
        st.error(ui_auth.refused_message(exc, lang), icon=":material/lock:")
        return
    except (KeyError, ValueError, StoreError, OSError) as exc:
        st.error(t("scenario.delete_failed", lang, name=escape_markdown(name), detail=_detail(exc)))
        return
    ui_auth.record(who, "delete", name, lang)
    if current_name() == name:
        st.session_state[SESSION_NAME] = ""
        sync_url()
    # Rerun so the list above (already drawn) no longer offers it; the toast is shown after the rerun.
    st.session_state[SESSION_NOTICE] = t("scenario.deleted", lang, name=escape_markdown(name))
    st.rerun()


def _confirm_delete(store: ScenarioStore, lang: str) -> None:
    """A saved scenario is deleted, for everyone, only when the user says so; the question says when it was saved."""
    pending = st.session_state.get(SESSION_PENDING_DELETE)
    if not pending:
        return
    try:
        saved_at = store.saved_at(pending)
    except StoreError:
        saved_at = ""
    shown = saved_time_text(saved_at)
    ask = (
        t("scenario.delete_ask", lang, name=escape_markdown(pending), saved_at=shown)
        if shown
        else t("scenario.delete_ask_undated", lang, name=escape_markdown(pending))
    )
    st.warning(ask, icon=":material/delete:")
    left, right = st.columns(2)
    if left.button(t("scenario.delete_confirm", lang), key="scenario.delete_confirm_btn", type="primary", width="stretch"):
        st.session_state.pop(SESSION_PENDING_DELETE, None)
        _delete(store, pending, lang)
    if right.button(t("scenario.delete_keep", lang), key="scenario.delete_keep_btn", width="stretch"):
        st.session_state.pop(SESSION_PENDING_DELETE, None)
        st.rerun()


def saved_time_text(saved_at: str) -> str:
    """'2026-12-07 04:30 UTC' for a stored ISO time; '' when the file recorded none (saved before it did) or garbage."""
    try:
        moment = datetime.fromisoformat(saved_at)
    except (TypeError, ValueError):
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _confirm_overwrite(store: ScenarioStore, lang: str) -> None:
    """A same-named scenario is replaced only when the user says so."""
    pending = st.session_state.get(SESSION_PENDING)
    if not pending:
        return
    st.warning(t("scenario.overwrite_ask", lang, name=escape_markdown(pending)), icon=":material/warning:")
    left, right = st.columns(2)
    if left.button(t("scenario.overwrite", lang), key="scenario.overwrite_btn", type="primary", width="stretch"):
        st.session_state.pop(SESSION_PENDING, None)
        _save(store, pending, lang, overwrite=True)
    if right.button(t("scenario.keep", lang), key="scenario.keep_btn", width="stretch"):
        st.session_state.pop(SESSION_PENDING, None)
        st.rerun()


def _save(store: ScenarioStore, name: str, lang: str, *, existing: list[str] = (), overwrite: bool = False) -> None:
    try:
        cleaned = sc.validate_name(name)
        who = ui_auth.current_identity()
        if not overwrite and cleaned in existing:
            # ask only someone who may replace it; anyone else is told why at once
            auth.check_change_scenario(who, cleaned, store.owners().get(cleaned, (None, True))[0])
            st.session_state[SESSION_PENDING] = cleaned
            return
        stored = store.save(cleaned, values(), actor=who, shared=bool(st.session_state.get(SESSION_SHARE, False)))
    except auth.PermissionDenied as exc:
        st.session_state.pop(SESSION_PENDING, None)
        st.error(ui_auth.refused_message(exc, lang), icon=":material/lock:")
        return
    except sc.ScenarioNameError as exc:
        st.error(t(f"scenario.name_{exc.code}", lang, **exc.details))
        return
    except ValueError as exc:
        st.error(t("scenario.save_invalid", lang, detail=_detail(exc)))
        return
    except (StoreError, OSError) as exc:
        st.error(t("scenario.save_failed", lang, detail=_detail(exc)))
        return
    st.session_state.pop(SESSION_PENDING, None)
    ui_auth.record(who, "save", stored, lang)
    st.session_state[SESSION_NAME] = stored
    sync_url()
    # Rerun so the heading above (already drawn) names the saved scenario instead of "unsaved changes".
    st.session_state[SESSION_NOTICE] = t("scenario.saved", lang, name=escape_markdown(stored))
    st.rerun()
