"""Reopen a scenario from a file: a briefing pack's zip or its scenario.json."""

from __future__ import annotations

import streamlit as st

from analysis import briefing
from analysis.i18n import t
from analysis.textsafe import escape_markdown
from ui import scenario as scenario_state
from ui.uploader import uploader_text_css

LOADER_KEY = "briefing.loader"
MESSAGE_KEY = "briefing.loader_message"


def open_scenario_file(lang: str) -> None:
    """The uploader's on_change: switch to the scenario in the file, or keep a message saying why not."""
    upload = st.session_state.get(LOADER_KEY)
    if upload is None:
        return
    try:
        name, values, problems = briefing.read_scenario_file(upload.getvalue())
    except briefing.ScenarioFileError as exc:
        file, detail = escape_markdown(upload.name), escape_markdown(exc.detail)
        text = t(f"briefing.file_error.{exc.code}", lang, file=file, detail=detail, **briefing.FILE_ERROR_LIMITS)
        st.session_state[MESSAGE_KEY] = ("error", text, [])
        return
    name = briefing.reopened_name(name, values)
    scenario_state.set_values(values, name)
    notes = [p.text(lang) for p in problems]
    shown = briefing.display_scenario_name(name, lang)
    st.session_state[MESSAGE_KEY] = (
        "success",
        t("briefing.loaded", lang, name=escape_markdown(shown), file=escape_markdown(upload.name)),
        notes,
    )


def scenario_loader(lang: str) -> None:
    """A file uploader that switches the session to the file's scenario, with a message either way."""
    mb = briefing.MAX_UPLOAD_MB  # a pack of every chart is about 17 kB; its contents are checked on read
    with st.container(key="scenario-upload"):
        st.html(uploader_text_css("scenario-upload", lang, mb=mb, kinds="ZIP, JSON"))
        st.file_uploader(
            t("briefing.loader_label", lang),
            type=["zip", "json"],
            max_upload_size=mb,
            key=LOADER_KEY,
            on_change=open_scenario_file,
            args=(lang,),
            help=t("briefing.loader_help", lang),
        )
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message is not None:
        kind, text, notes = message
        (st.error if kind == "error" else st.success)(text)
        if notes:
            st.warning(t("briefing.loaded_problems", lang) + "\n" + "\n".join(f"- {note}" for note in notes))
