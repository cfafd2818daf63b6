"""The frame every page calls first: page config, language switch, sidebar navigation, data status."""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import streamlit as st

from analysis import data, imports, paths
from analysis.build import BuildError
from analysis.chartspec import ChartDef, ChartSpec, chart_def, laid_out
from analysis.db import VERIFY_INTERVAL_S, DatabaseDamaged, DatabaseStatus, damage_reports, ensure_database, shared_connection
from analysis.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, normalize_lang, t
from analysis.sitemap import PAGES, PAGES_BY_ID
from analysis.textsafe import escape_markdown
from analysis.userstore import remove_stale_temp_files
from ui import scenario as scenario_state
from ui.auth import sign_in_box

LANG_KEY = "lang"
LANG_WIDGET_KEY = "lang_switch"
SESSION_LANG_KEY = "lang"
CHART_CACHE_ENTRIES = 256  # distinct (chart, scenario, language) figures kept per process
LOAD_CACHE_ENTRIES = 512  # distinct (function, parameters) results per loader; each slider value adds one, so unbounded
# caches would grow with every drag in every session for as long as the server runs


@dataclass(frozen=True)
class Frame:
    lang: str
    status: DatabaseStatus

    def t(self, key: str, **values) -> str:
        return t(key, self.lang, **values)

    @property
    def nav_params(self) -> dict:
        """Query parameters that carry the language and the scenario to another page."""
        return _nav_params(self.lang)

    @property
    def scenario(self) -> dict[str, object]:
        return scenario_state.values()

    def param(self, name: str, *, container=None, disabled: bool = False):
        """Draw scenario parameter `name`'s widget; the value is kept in the session and the URL."""
        return scenario_state.param_widget(name, self.lang, container=container, disabled=disabled)


def _files_fingerprint() -> tuple:
    """(path, mtime, size) of every file under datasets/ and of the database: a few stat calls, no reading.

    When it is unchanged the last status still holds, so a rerun skips hashing datasets/ (which reads every
    file); any edit, a rebuild or a removed database changes it and the next run checks for real.
    """
    datasets, database = paths.datasets_dir(), paths.database_path()
    found = []
    for root, _, files in os.walk(datasets):
        for name in files:
            stat = os.stat(os.path.join(root, name))
            found.append((root, name, stat.st_mtime_ns, stat.st_size))
    try:
        stat = database.stat()
        found.append((str(database), stat.st_mtime_ns, stat.st_size))
    except OSError:
        found.append((str(database), None))
    return tuple(sorted(found, key=str))


@st.cache_resource(show_spinner=False, max_entries=4)
def _status_for(fingerprint_key: str, verify_period: int, damage_reports: int) -> DatabaseStatus:
    return ensure_database()


def database_status() -> DatabaseStatus:
    """The database's status, checked again (and rebuilt if needed) when a file changed, once per
    db.VERIFY_INTERVAL_S (when ensure_database hashes the file's content) and after a query met a corrupt file."""
    # The fingerprint's hash keys the cache: hashing a short string costs less than Streamlit hashing the tuple.
    period = int(time.monotonic() // VERIFY_INTERVAL_S)
    return _status_for(format(hash(_files_fingerprint()), "x"), period, damage_reports())


@st.cache_resource(show_spinner=False)
def _connection(db_path: str, cache_key: str):
    # Keyed by the build (DatabaseStatus.cache_key): a rebuilt database gets a fresh connection.
    return shared_connection(Path(db_path), cache_key)


def connection(status: DatabaseStatus):
    return _connection(str(status.path), status.cache_key)


@st.cache_data(show_spinner=False, max_entries=LOAD_CACHE_ENTRIES)
def _load(function_name: str, _function: Callable, cache_key: str, db_path: str, **params):
    # Keyed by the function's dotted name (the function object itself is not hashed) and the build's cache key,
    # so a rebuilt database drops stale results. cache_data hands every caller its own copy.
    return _for_screen(_function(_connection(db_path, cache_key), **params))


@st.cache_data(show_spinner=False, max_entries=LOAD_CACHE_ENTRIES)
def _load_plain(function_name: str, _function: Callable, cache_key: str, db_path: str, params_key: str, _params: dict):
    # As `_load`, for parameters that are plain values: `params_key` (their repr) is the key, so Streamlit hashes
    # one string instead of walking a scenario's dict on every call (about 3 ms a call, five calls a section).
    return _for_screen(_function(_connection(db_path, cache_key), **_params))


def _for_screen(value):
    """A loaded chart (a `ChartSpec`, or one in a view's fields) with its figure laid out for the screen once,
    here, rather than on every rerun that shows it.

    The built figure is kept beside it: the screen's layout leaves the title and the source line to the page,
    and the chart's downloads lay out the built figure for a file (`analysis.chart_layout`).
    """
    if isinstance(value, ChartSpec):
        return laid_out(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        charts = {f.name: _for_screen(v) for f in dataclasses.fields(value) if isinstance(v := getattr(value, f.name), ChartSpec)}
        return dataclasses.replace(value, **charts) if charts else value
    return value


def function_name(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def _legacy_function(query_name: str) -> Callable:
    # Transitional: a page written before frame_load took functions may still name one as a string.
    if "." in query_name:
        module_name, name = query_name.rsplit(".", 1)
        return getattr(import_module(f"analysis.{module_name}"), name)
    return getattr(data, query_name)


def current_lang() -> str:
    """The URL's language if valid, else this session's last choice, else the default.

    The session copy matters on page switches, where the first run can see no query parameters.
    """
    raw = st.query_params.get(LANG_KEY)
    if raw is not None and raw not in LANGS:
        del st.query_params[LANG_KEY]
        st.toast(t("frame.bad_lang", DEFAULT_LANG, value=escape_markdown(raw[:20])))
        raw = None
    lang = normalize_lang(raw if raw is not None else st.session_state.get(SESSION_LANG_KEY))
    st.session_state[SESSION_LANG_KEY] = lang
    _write_lang_to_url(lang)
    return lang


def _write_lang_to_url(lang: str) -> None:
    if lang == DEFAULT_LANG:
        st.query_params.pop(LANG_KEY, None)
    elif st.query_params.get(LANG_KEY) != lang:
        st.query_params[LANG_KEY] = lang


def _on_lang_change() -> None:
    lang = normalize_lang(st.session_state.get(LANG_WIDGET_KEY))
    st.session_state[SESSION_LANG_KEY] = lang
    _write_lang_to_url(lang)


def _language_switch(lang: str) -> str:
    # Kept in the URL by hand: a bound widget would write the display label ("English"), not "en".
    st.session_state[LANG_WIDGET_KEY] = lang
    chosen = st.segmented_control(
        t("frame.language", lang),
        options=list(LANGS),
        format_func=LANG_NAMES.get,
        required=True,
        key=LANG_WIDGET_KEY,
        on_change=_on_lang_change,
        help=t("frame.language_help", lang),
    )
    return normalize_lang(chosen)


def _nav_params(lang: str) -> dict:
    params = scenario_state.query_params()
    if lang != DEFAULT_LANG:
        params[LANG_KEY] = lang
    return params


# Streamlit cuts a page link's label at its box's width with "…"; our page names are whole phrases, so they wrap
# (in the sidebar and in the home page's guide cards).
SIDEBAR_WRAP_CSS = (
    "<style>:is([data-testid=stSidebar], [data-testid=stMain]) [data-testid=stPageLink-NavLink] :is(span, p, div)"
    "{white-space: normal; overflow: visible; text-overflow: clip;}</style>"
)


def page_frame(page_id: str) -> Frame:
    """Set up the page and the sidebar; stop with a message (never a traceback) if there is no data."""
    page = PAGES_BY_ID[page_id]
    lang = current_lang()
    scenario_state.init_from_url()
    scenario_state.sync_url()
    st.set_page_config(page_title=f"{t(page.title_key, lang)} · {t('app.name', lang)}", page_icon="📊", layout="wide")
    with st.sidebar:
        st.markdown(f"### {t('app.name', lang)}")
        st.caption(t("app.tagline", lang))
        lang = _language_switch(lang)
        sign_in_box(lang)
        scenario_state.scenario_manager(lang)
        st.divider()
        st.html(SIDEBAR_WRAP_CSS)
        section, nav = "", _nav_params(lang)
        for target in PAGES:
            if target.section != section:
                section = target.section
                st.caption(t(f"nav.section.{section}", lang))
            st.page_link(target.file, label=t(target.title_key, lang), icon=target.icon, query_params=nav)
    try:
        status = database_status()
    except BuildError as exc:
        st.error(t("frame.no_database", lang))
        _show_problems(exc, lang)
        st.stop()
    if status.problem is not None:
        st.warning(t("frame.stale_database", lang))
        _show_problems(status.problem, lang)
    if st.session_state.pop(REBUILT_NOTICE_KEY, False):
        st.info(t("frame.database_rebuilt", lang), icon=":material/build:")
    _startup_cleanup()
    damaged = imports.store_problem()
    if damaged is not None:  # one message; the report's figures still show everywhere
        message = imports.store_problem_key(damaged)
        st.warning(t(message, lang, detail=escape_markdown(damaged)), icon=":material/build:")
    frame = Frame(lang, status)
    scenario_state.show_url_problems(lang)
    with st.sidebar:
        info = frame_load(frame, data.build_info)
        st.divider()
        st.caption(t("frame.data_status", lang, count=int(info["figure_count"]), built=str(info["built_at"])[:16]))
        st.caption(t("frame.report_credit", lang))
    return frame


def interactive_section(function: Callable) -> Callable:
    """`st.fragment` for a page section whose widgets change only that section: moving one reruns the section,
    not the frame (sidebar, language switch, scenario manager) nor the rest of the page.

    What a section changes outside itself stays right: the URL is written by the widget's callback (which runs
    before a fragment rerun too); the sidebar's scenario line ("unsaved changes") is rewritten from the section
    when it changed (ui.scenario.refresh_sidebar_status). The sidebar's page links keep the query parameters of
    the last full run; they lose nothing, since the scenario lives in the session and the next page writes it
    back to the URL.
    """

    @st.fragment
    @functools.wraps(function)
    def section(*args, **kwargs):
        scenario_state.refresh_sidebar_status()
        return function(*args, **kwargs)

    return section


@st.cache_resource(show_spinner=False)
def _startup_cleanup() -> None:
    """Once per server process: remove temporary files that a killed write left in the user-data store."""
    try:
        remove_stale_temp_files()
    except OSError:
        pass


def _show_problems(error: BuildError, lang: str) -> None:
    with st.expander(t("frame.problems", lang, count=len(error.problems))):
        st.code("\n".join(str(p) for p in error.problems), language=None)


def frame_load(frame: Frame, function: Callable, /, **params):
    """`function(connection, **params)`, cached per distinct parameters and database build.

    Pass the function itself (`frame_load(frame, cycle_link.link_for, scenario=...)`): a reader can jump
    to what runs, and its dotted name keys the cache.
    """
    if isinstance(function, str):
        function = _legacy_function(function)
    key = plain_key(params)
    with recovering(frame):
        if key is None:
            return _load(function_name(function), function, frame.status.cache_key, str(frame.status.path), **params)
        return _load_plain(function_name(function), function, frame.status.cache_key, str(frame.status.path), key, params)


REBUILT_NOTICE_KEY = "frame.database_rebuilt"


@contextmanager
def recovering(frame: Frame):
    """Around anything that reads the database: when DuckDB finds the file corrupt (analysis.db reports it),
    check the file by content now, rebuild it, and run the page again on the new build, with a quiet notice;
    if that brings no new build, a quiet message and the rest of the page stops. Never a traceback."""
    try:
        yield
    except DatabaseDamaged:
        try:
            status = database_status()  # keyed by db.damage_reports(): checked again, by content, and rebuilt
        except BuildError:
            status = None
        if status is not None and status.cache_key != frame.status.cache_key:
            st.session_state[REBUILT_NOTICE_KEY] = True
            st.rerun()
        st.info(t("frame.database_damaged", frame.lang), icon=":material/build:")
        st.stop()


def _build_view(function: Callable, con, params: dict):
    return _for_screen(function(con, **params))


@st.cache_resource(show_spinner=False, max_entries=LOAD_CACHE_ENTRIES)
def _view(
    function_name: str, _function: Callable, cache_key: str, db_path: str, params_key: str, _params: dict, imports_revision: int
):
    # cache_resource, as `_chart`: a view's figures are not unpickled on every rerun (st.cache_data copied the
    # calculator's two charts in about 40 ms a rerun). Read-only by the same rule, checked by the same test
    # (tests/test_chart_sharing.py). Keyed by the imports' revision too, as a chart is.
    return _build_view(_function, _connection(db_path, cache_key), _params)


def frame_view(frame: Frame, function: Callable, /, **params):
    """As `frame_load`, for a view that holds charts (a dataclass with `ChartSpec` fields): built once per
    process and shared read-only, like `frame_chart`. With a parameter that is not a plain value (an edited
    catalogue) it is `frame_load`, each caller with its own copy."""
    key = plain_key(params)
    if key is None:
        return frame_load(frame, function, **params)
    where = (function_name(function), function, frame.status.cache_key, str(frame.status.path))
    with recovering(frame):
        return _view(*where, key, params, imports.revision())


_PLAIN_SCALARS = (str, int, float, bool, type(None))


def plain_key(value) -> str | None:
    """A string that tells apart any two different values built of str, int, float, bool, None, tuples, lists
    and dicts (their `repr`, dict keys sorted); None for anything else, which Streamlit's own hashing keys."""
    # Exact types only: a subclass (an IntEnum, a str subclass) goes to Streamlit's hashing.
    if type(value) in _PLAIN_SCALARS:
        return repr(value)  # tells 1, 1.0, True and '1' apart
    if type(value) in (list, tuple):
        parts = [plain_key(v) for v in value]
        if any(p is None for p in parts):
            return None
        opening, closing = ("[", "]") if type(value) is list else ("(", ")")
        return opening + ",".join(parts) + closing
    if type(value) is dict:
        parts = []
        for k in value:
            key, item = plain_key(k), plain_key(value[k])
            if key is None or item is None:
                return None
            parts.append(f"{key}:{item}")
        return "{" + ",".join(sorted(parts)) + "}"
    return None


def _build_chart(chart: ChartDef, con, scenario: dict, lang: str) -> ChartSpec:
    # Laid out for the screen here, once per shared spec: showing it then copies and changes nothing.
    return laid_out(chart.build(con, scenario, lang))


@st.cache_resource(show_spinner=False, max_entries=CHART_CACHE_ENTRIES)
def _chart(
    slug: str,
    _chart_def: ChartDef,
    cache_key: str,
    db_path: str,
    lang: str,
    scenario_key: str,
    _scenario_items: tuple,
    imports_revision: int,
):
    # cache_resource: one spec per process, shared by every session and never copied (st.cache_data would
    # unpickle the whole figure on every rerun). It is read-only by rule: st.plotly_chart only reads a figure
    # (the page shows the spec's screen_figure, laid out when it was built), the briefing pack lays out a copy
    # of `figure` for its slides, and tests/test_chart_sharing.py fails if a page or the pack changes a shared
    # figure or its data.
    # `scenario_key` (plain_key of the items) keys the scenario: Streamlit hashing the scenario's hundred-odd
    # items took about 4 ms on every call, twice a rerun on a page with two charts.
    return _build_chart(_chart_def, _connection(db_path, cache_key), dict(_scenario_items), lang)


@st.cache_resource(show_spinner=False, max_entries=CHART_CACHE_ENTRIES)
def _chart_hashed(
    slug: str, _chart_def: ChartDef, cache_key: str, db_path: str, lang: str, scenario_items: tuple, imports_revision: int
):
    # As `_chart`, for a scenario holding a value plain_key cannot name (never from the app's own widgets).
    return _build_chart(_chart_def, _connection(db_path, cache_key), dict(scenario_items), lang)


def frame_chart(frame: Frame, chart: ChartDef | str, scenario: dict | None = None) -> ChartSpec:
    """The registered chart (its `ChartDef`, or its slug) for this frame's language and scenario; shared, read-only.

    The imported figures' revision is part of the key: a chart that shows imports is rebuilt after an import.
    """
    definition = chart_def(chart) if isinstance(chart, str) else chart
    values = frame.scenario if scenario is None else scenario
    items = tuple(sorted(values.items()))
    where = (definition.slug, definition, frame.status.cache_key, str(frame.status.path), frame.lang)
    key = plain_key(items)
    with recovering(frame):
        if key is None:
            return _chart_hashed(*where, items, imports.revision())
        return _chart(*where, key, items, imports.revision())
