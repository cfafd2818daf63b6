"""The audit log's section on the imports page: editors (and the single local user) only, exportable as CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import audit, auth
from analysis.textsafe import csv_safe_frame, redact_paths
from analysis.textsafe import escape_markdown as md
from analysis.userstore import StoreError
from ui.frame import Frame


def audit_section(frame: Frame, who: auth.Identity) -> None:
    try:
        auth.check_editor(who, "audit")
    except auth.PermissionDenied:
        return  # viewers do not see who did what
    st.subheader(frame.t("auth.audit_title"))
    st.caption(frame.t("auth.audit_caption"))
    try:
        entries, damaged = audit.open_audit_log().read()
    except (StoreError, OSError) as exc:
        st.warning(frame.t("auth.audit_unavailable", detail=md(redact_paths(exc))))
        return
    if damaged:
        st.caption(frame.t("auth.audit_damaged", count=damaged))
    if not entries:
        st.caption(frame.t("auth.audit_empty"))
        return
    shown = pd.DataFrame([entry.__dict__ for entry in entries], columns=list(audit.COLUMNS))
    shown["action"] = [frame.t(f"auth.action.{action}") for action in shown["action"]]
    shown.columns = [frame.t(f"auth.audit_col.{column}") for column in audit.COLUMNS]
    # user names, scenario names and file names are anyone's text: a spreadsheet must not run them
    st.dataframe(csv_safe_frame(shown), hide_index=True, width="stretch", key="imports.audit_table")
    st.download_button(
        frame.t("auth.audit_download"),
        audit.to_csv(entries),
        "compute-atlas_audit-log.csv",
        "text/csv",
        icon=":material/download:",
        key="imports.audit_csv",
        on_click="ignore",
    )
