"""The frame every page calls first: page config, language switch, sidebar navigation, data status."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import streamlit as st

from analysis import data, imports
from analysis.build import BuildError
from analysis.db import DatabaseStatus, ensure_database, shared_connection
from analysis.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, normalize_lang, t
from analysis.sitemap import PAGES, PAGES_BY_ID
from analysis.textsafe import escape_markdown
from analysis.userstore import remove_stale_temp_files
from ui import scenario as scenario_state

LANG_KEY = "lang"
LANG_WIDGET_KEY = "lang_switch"
SESSION_LANG_KEY = "lang"
STATUS_CHECK_SECONDS = 30  # how soon an edit to datasets/ reaches a running app


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


@st.cache_data(ttl=STATUS_CHECK_SECONDS, show_spinner=False)
def database_status() -> DatabaseStatus:
    return ensure_database()


@st.cache_resource(show_spinner=False)
def _connection(db_path: str, datasets_hash: str):
    # Keyed by content hash: a rebuilt database gets a fresh connection.
    return shared_connection(Path(db_path), datasets_hash)


def connection(status: DatabaseStatus):
    return _connection(str(status.path), status.cache_key)


@st.cache_data(show_spinner=False)
def load(query_name: str, datasets_hash: str, db_path: str, **params):
    """Cached result of `analysis.data.<query_name>` (or of `analysis.<module>.<function>` for a dotted name).

    The function takes the connection first; the hash in the key drops stale results.
    """
    if "." in query_name:
        module_name, function_name = query_name.rsplit(".", 1)
        function = getattr(import_module(f"analysis.{module_name}"), function_name)
    else:
        function = getattr(data, query_name)
    return function(_connection(db_path, datasets_hash), **params)


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


# Streamlit cuts a page link's label at the sidebar's width with "…"; our page names are whole phrases, so they wrap.
SIDEBAR_WRAP_CSS = (
    "<style>[data-testid=stSidebar] [data-testid=stPageLink-NavLink] :is(span, p, div)"
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
    _startup_cleanup()
    damaged = imports.store_problem()
    if damaged is not None:  # one message; the report's figures still show everywhere
        st.warning(t("frame.import_store_damaged", lang, detail=escape_markdown(damaged)), icon=":material/build:")
    frame = Frame(lang, status)
    scenario_state.show_url_problems(lang)
    with st.sidebar:
        info = load("build_info", status.cache_key, str(status.path))
        st.divider()
        st.caption(t("frame.data_status", lang, count=int(info["figure_count"]), built=str(info["built_at"])[:16]))
        st.caption(t("frame.report_credit", lang))
    return frame


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


def frame_load(frame: Frame, query_name: str, **params):
    return load(query_name, frame.status.cache_key, str(frame.status.path), **params)


@st.cache_data(show_spinner=False, max_entries=256)
def _chart(slug: str, datasets_hash: str, db_path: str, lang: str, scenario_items: tuple, imports_revision: int = 0):
    from analysis.chartspec import chart_def

    return chart_def(slug).build(_connection(db_path, datasets_hash), dict(scenario_items), lang)


def frame_chart(frame: Frame, slug: str, scenario: dict | None = None):
    """The registered chart `slug` for this frame's language and scenario (cached per distinct input).

    The imported figures' revision is part of the key: a chart that shows imports is rebuilt after an import.
    """
    values = frame.scenario if scenario is None else scenario
    items = tuple(sorted(values.items()))
    return _chart(slug, frame.status.cache_key, str(frame.status.path), frame.lang, items, imports.revision())
