"""Sign-in glue: who is here (analysis.auth.Identity) from Streamlit's `[auth]` settings and `st.user`.

Sign-in is on when the app's secrets (`.streamlit/secrets.toml`, or the files `STREAMLIT_SECRETS_FILES` names)
have an `[auth]` section; otherwise the app runs in single-user mode, as before, and says so on the data pages.
The rules themselves live in analysis.auth; this module only finds the identity and draws the sidebar block.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from analysis import audit, auth
from analysis.i18n import t
from analysis.textsafe import escape_markdown
from analysis.userstore import StoreError


def _secrets_section(name: str) -> Mapping[str, object]:
    try:
        found = st.secrets.get(name)
    except Exception:  # no secrets file at all (StreamlitSecretNotFoundError), or an unreadable one
        return {}
    return found if isinstance(found, Mapping) else {}


def sign_in_configured() -> bool:
    return bool(_secrets_section("auth"))


def _provider() -> str | None:
    """None for one provider set directly under [auth]; otherwise the first named one ([auth.<name>])."""
    section = _secrets_section("auth")
    if "client_id" in section:
        return None
    return next((name for name, value in section.items() if isinstance(value, Mapping)), None)


def current_identity() -> auth.Identity:
    if not sign_in_configured():
        return auth.SINGLE_USER
    if not st.user.is_logged_in:
        return auth.ANONYMOUS_VISITOR
    return auth.identity_from_claims(st.user.to_dict(), auth.configured_editors(_secrets_section("roles")))


def sign_in_box(lang: str) -> None:
    """Sidebar: who is signed in and in which role, with sign-in and sign-out (nothing in single-user mode)."""
    if not sign_in_configured():
        return
    who = current_identity()
    if who.signed_in:
        role = t("auth.role_editor" if who.editor else "auth.role_viewer", lang)
        st.caption(t("auth.signed_in_as", lang, user=escape_markdown(who.user), role=role))
        if st.button(t("auth.sign_out", lang), key="auth.sign_out", icon=":material/logout:"):
            st.logout()
    else:
        st.caption(t("auth.signed_out", lang))
        if st.button(t("auth.sign_in", lang), key="auth.sign_in", icon=":material/login:", type="primary"):
            st.login(_provider())


def single_user_notice(lang: str) -> None:
    """On the data pages: without sign-in, saved data on this server is everyone's."""
    if not sign_in_configured():
        st.caption(t("auth.single_user_notice", lang))


def refused_message(exc: auth.PermissionDenied, lang: str) -> str:
    return t(f"auth.denied.{exc.code}", lang, name=escape_markdown(exc.target))


def record(who: auth.Identity, action: str, target: str, lang: str, detail: str = "") -> None:
    """Write the audit entry for a change that is already made; if the log cannot be written, say so (the change
    stands: it was made and is not undone)."""
    try:
        audit.open_audit_log().record(who.actor, action, target, detail)
    except (StoreError, OSError) as exc:
        st.warning(t("auth.audit_failed", lang, detail=escape_markdown(type(exc).__name__)), icon=":material/warning:")
