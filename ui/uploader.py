"""Streamlit's file uploader in the reader's language."""

from __future__ import annotations

from analysis.i18n import t


def uploader_text_css(scope_key: str, lang: str, *, mb: float, kinds: str) -> str:
    """CSS that gives the uploader inside `st.container(key=scope_key)` its button and limit in `lang`.

    Streamlit 1.67 draws "Upload" and "2MB per file • CSV" in English and offers no setting for them.
    The English text is hidden (also from screen readers) and ours drawn in its place; the strings are
    our own translations, never user input, so they can go into CSS `content`.
    """
    button, limit = t("upload.button", lang), t("upload.limit", lang, mb=f"{mb:g}", kinds=kinds)
    scope = f".st-key-{scope_key}"
    hidden = "visibility:hidden;font-size:0;"
    shown = "visibility:visible;font-size:0.875rem;"
    return (
        "<style>"
        f"{scope} [data-testid=stFileUploaderDropzone] button [data-testid=stMarkdownContainer] p{{{hidden}}}"
        f'{scope} [data-testid=stFileUploaderDropzone] button [data-testid=stMarkdownContainer] p::after{{{shown}content:"{button}";}}'
        f"{scope} [data-testid=stFileUploaderDropzoneInstructions] span{{{hidden}}}"
        f'{scope} [data-testid=stFileUploaderDropzoneInstructions] span::after{{{shown}content:"{limit}";}}'
        "</style>"
    )
