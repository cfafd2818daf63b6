"""Choice widgets (selectbox, radio, multiselect, pills, segmented control) across a language switch.

Streamlit's browser side keeps a choice widget's value as its *label*; the server maps the label back to
the option through `format_func`. After a language switch the old label is no longer any option's label,
so the server hands the stale label itself back as the value (and the next rerun feeds it to a callback).
`relabel` runs before such a widget is drawn: the first time the widget is drawn in a new language it
writes the option code back into the session, which makes Streamlit send the label in the new language.
The session therefore only ever holds language-independent codes.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

SESSION_LANGS = "choice.langs"  # widget key → the language its labels were last drawn in


def _valid(value: object, options: list) -> bool:
    if isinstance(value, list | tuple):
        return all(item in options for item in value)
    return value in options


def relabel(key: str, lang: str, options: Iterable, *, default: object = None) -> None:
    """Call just before drawing the choice widget `key` whose labels depend on the language `lang`.

    A widget with a starting value gives it here as `default`, not to the widget: a widget that has a default
    and also a value written here (as after a language switch) makes Streamlit log a warning with a stack trace.
    """
    langs = st.session_state.setdefault(SESSION_LANGS, {})
    if langs.get(key) != lang and st.session_state.get(key) is not None:  # None (nothing chosen) has no label
        value = st.session_state[key]
        if _valid(value, list(options)):
            st.session_state[key] = list(value) if isinstance(value, list | tuple) else value
        else:
            del st.session_state[key]  # a label from the old language: start again from the default
    langs[key] = lang
    if default is not None and key not in st.session_state:
        st.session_state[key] = list(default) if isinstance(default, list | tuple) else default
