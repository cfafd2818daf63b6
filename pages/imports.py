"""Import newer figures: check a CSV, see what it changes, store it as a version; list, roll back, restore."""

from functools import partial
from pathlib import Path

import streamlit as st

from analysis import auth, imports
from analysis.scorecard import import_diff
from analysis.textsafe import csv_safe_frame, redact_paths
from analysis.textsafe import escape_markdown as md
from analysis.userstore import StoreError
from ui import auth as ui_auth
from ui.audit_panel import audit_section
from ui.frame import connection, page_frame
from ui.uploader import uploader_text_css

ROUND_KEY = "imports.round"  # bumped after an import, so the uploader starts empty again
NOTICE_KEY = "imports.notice"
MAX_PROBLEMS_SHOWN = 30


@st.cache_data(max_entries=4, show_spinner=False)  # per file content: a rerun does not check it again
def preview(payload: bytes, file_name: str, lang: str, datasets_hash: str, db_path: str, revision: int):
    con = connection(frame.status)
    check = imports.check_import(con, payload, file_name)
    return check, (import_diff(con, check, lang) if check.ok else None)


frame = page_frame("imports")
st.title(frame.t("page.imports.title"))
st.caption(frame.t("imports.intro", limit=imports.MAX_IMPORT_MB))
who = ui_auth.current_identity()
if who.mode == auth.SINGLE:  # without sign-in, one store serves every visitor
    ui_auth.single_user_notice(frame.lang)
    st.caption(frame.t("imports.shared_notice"))
store = imports.open_import_store()

left, right, layer_col = st.columns([1, 1, 1], vertical_alignment="bottom")
# on_click="ignore" on every download: with the default rerun, a rerun that starts while the browser fetches
# a file made on click can drop that file (Streamlit's documentation warns of this race; the load test saw
# "Download Button source error - 404").
left.download_button(
    frame.t("imports.template"),
    imports.template_csv,
    "compute-atlas_import-template.csv",
    "text/csv",
    icon=":material/download:",
    help=frame.t("imports.template_help"),
    key="imports.template",
    on_click="ignore",
)
right.download_button(
    frame.t("imports.template_forecasts"),
    partial(imports.template_csv, connection(frame.status)),
    "compute-atlas_import-template_forecasts.csv",
    "text/csv",
    icon=":material/download:",
    help=frame.t("imports.template_forecasts_help"),
    key="imports.template_forecasts",
    on_click="ignore",
)
frame.param("imports_layer", container=layer_col)
with st.expander(frame.t("imports.columns_title"), icon=":material/help:"):
    st.markdown(frame.t("imports.columns_help"))

notice = st.session_state.pop(NOTICE_KEY, None)  # set before a rerun by an import, a rollback or a restore
if notice:
    st.success(notice, icon=":material/check_circle:")

with st.container(key="imports-upload"):
    st.html(uploader_text_css("imports-upload", frame.lang, mb=imports.MAX_IMPORT_MB, kinds="CSV"))
    uploaded = st.file_uploader(
        frame.t("imports.upload"),
        type=["csv"],
        key=f"imports.file.{st.session_state.get(ROUND_KEY, 0)}",
        help=frame.t("imports.upload_help", mb=f"{imports.MAX_IMPORT_MB:g}"),
        max_upload_size=imports.MAX_IMPORT_MB,
    )
if uploaded is not None:
    status = frame.status
    check, diff = preview(uploaded.getvalue(), uploaded.name, frame.lang, status.cache_key, str(status.path), imports.revision())
    if not check.ok:
        st.error(frame.t("imports.rejected", file=md(uploaded.name), count=len(check.problems)), icon=":material/block:")
        st.markdown(imports.problems_markdown(check.problems, frame.lang, MAX_PROBLEMS_SHOWN))
        if len(check.problems) > MAX_PROBLEMS_SHOWN:
            st.caption(frame.t("imports.more_problems", count=len(check.problems) - MAX_PROBLEMS_SHOWN))
    else:
        st.info(frame.t("imports.checked", file=md(uploaded.name), rows=len(check.rows)), icon=":material/fact_check:")
        if check.skipped:
            st.caption(frame.t("imports.skipped", count=check.skipped))
        st.dataframe(diff, hide_index=True, width="stretch")
        with st.form("imports.apply_form", border=False):
            name = st.text_input(frame.t("imports.name"), value=Path(uploaded.name).stem, max_chars=imports.MAX_NAME_CHARS)
            if st.form_submit_button(frame.t("imports.apply"), icon=":material/upload:", type="primary"):
                try:
                    auth.check_editor(who, "import")
                    version = store.apply(check, name)
                except auth.PermissionDenied as exc:
                    st.error(ui_auth.refused_message(exc, frame.lang), icon=":material/lock:")
                except imports.ImportNameError as exc:
                    st.error(frame.t(f"imports.name_{exc.code}", **exc.details))
                except imports.QuotaError as exc:
                    st.error(frame.t(f"imports.quota.{exc.code}", **exc.values), icon=":material/inventory_2:")
                except (StoreError, OSError) as exc:
                    st.error(frame.t("imports.store_failed", detail=md(redact_paths(exc))))
                else:
                    ui_auth.record(who, "import", f"{version.version_id} {version.name}", frame.lang, uploaded.name)
                    st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1
                    notice = frame.t("imports.applied", version=version.version_id, name=md(version.name), rows=version.row_count)
                    st.session_state[NOTICE_KEY] = notice
                    st.rerun()

st.subheader(frame.t("imports.versions"))
try:
    versions = store.versions()
except StoreError:  # the page frame says why, once
    versions = None
if not versions:
    st.caption(frame.t("imports.versions_unavailable" if versions is None else "imports.no_versions"))
else:
    # Names and file names are anyone's text; the grid's own CSV download writes the cells it is given.
    st.dataframe(csv_safe_frame(imports.versions_display(versions, frame.lang)), hide_index=True, width="stretch")
    labels = {v.version_id: f"{v.version_id} · {v.name}" for v in reversed(versions)}
    pick_col, button_col = st.columns([2, 1], vertical_alignment="bottom")
    picked = pick_col.selectbox(frame.t("imports.pick"), options=list(labels), format_func=labels.get, key="imports.pick")
    version = next(v for v in versions if v.version_id == picked)
    action = "rollback" if version.active else "restore"
    if button_col.button(frame.t(f"imports.{action}"), icon=":material/history:", key="imports.action", width="stretch"):
        try:
            auth.check_editor(who, action)
            getattr(store, action)(version.version_id)
        except auth.PermissionDenied as exc:
            st.error(ui_auth.refused_message(exc, frame.lang), icon=":material/lock:")
        except (KeyError, StoreError, OSError) as exc:
            st.error(frame.t("imports.store_failed", detail=md(redact_paths(exc))))
        else:
            ui_auth.record(who, action, f"{version.version_id} {version.name}", frame.lang)
            st.session_state[NOTICE_KEY] = frame.t(f"imports.{action}_done", version=version.version_id, name=md(version.name))
            st.rerun()
audit_section(frame, who)
st.page_link(
    "pages/scorecard.py", label=frame.t("imports.to_scorecard"), icon=":material/arrow_forward:", query_params=frame.nav_params
)
