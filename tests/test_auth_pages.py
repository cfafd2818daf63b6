"""AppTest: sign-in on the pages. With `[auth]` configured the sidebar says who is signed in and in which role, a
viewer is refused another user's scenario and the audit log; without it the app is single-user, says so, and the
audit log records the "local user". (The real OIDC flow is in tests/browser/test_sign_in.py.)"""

from __future__ import annotations

import pytest
import streamlit as st
from conftest import PROJECT_ROOT
from streamlit.testing.v1 import AppTest

from analysis import auth
from analysis import scenario as sc
from analysis.audit import FileAuditLog
from analysis.i18n import t
from analysis.sitemap import PAGES_BY_ID
from analysis.textsafe import escape_markdown
from analysis.userstore import ScenarioStore

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret-of-some-length",
    "client_id": "atlas",
    "client_secret": "secret",
    "server_metadata_url": "http://localhost:9/.well-known/openid-configuration",
}
BOB = auth.Identity(auth.SIGNED_IN, "bob@x.org")


@pytest.fixture(autouse=True)
def isolated(built_db, tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.delenv("ATLAS_USERDATA_URL", raising=False)
    monkeypatch.setenv("ATLAS_EDITORS", "erin@x.org")
    st.cache_data.clear()
    yield tmp_path / "userdata"
    st.cache_data.clear()


def open_app(page: str | None = None, *, email: str | None = None, signed_out: bool = False) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "en"
    if email or signed_out:
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": False} if signed_out else {"is_logged_in": True, "email": email, "sub": email}
    if page:
        at.switch_page(page)
    return at.run()


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.caption] + [c.value for c in at.caption]


@pytest.mark.parametrize("email, role", [("alice@x.org", "viewer"), ("erin@x.org", "editor")])
def test_the_sidebar_names_the_user_and_the_role_and_no_single_user_notice(email, role):
    at = open_app(email=email)
    assert not at.exception
    shown = captions(at)
    assert t("auth.signed_in_as", "en", user=escape_markdown(email), role=role) in shown
    assert t("auth.single_user_notice", "en") not in shown
    assert at.sidebar.button(key="auth.sign_out")


def test_signed_out_offers_sign_in_and_refuses_to_save(isolated):
    at = open_app(signed_out=True)
    assert at.sidebar.button(key="auth.sign_in")
    at.sidebar.text_input(key="scenario.new_name").input("mine")
    next(b for b in at.sidebar.button if b.key.startswith("FormSubmitter:scenario.save_form")).click()
    at.run()
    assert t("auth.denied.sign_in", "en") in [e.value for e in at.error]
    assert not (isolated / "scenarios.json").exists()


def test_a_viewer_cannot_delete_another_users_scenario(isolated):
    ScenarioStore(isolated).save("bob-plan", sc.defaults(), actor=BOB, shared=True)
    at = open_app(email="alice@x.org")
    at.sidebar.selectbox(key="scenario.pick").select("bob-plan").run()
    at.sidebar.button(key="scenario.delete_btn").click()
    at.run()
    assert not at.exception
    assert t("auth.denied.not_owner", "en", name=escape_markdown("bob-plan")) in [e.value for e in at.error]
    assert ScenarioStore(isolated).names() == [sc.BASELINE_NAME, "bob-plan"]
    assert FileAuditLog(isolated).read() == ([], 0)


def test_a_viewer_saving_under_another_users_name_is_refused_before_the_overwrite_question(isolated):
    ScenarioStore(isolated).save("bob-plan", sc.defaults(), actor=BOB, shared=True)
    at = open_app(email="alice@x.org")
    at.sidebar.text_input(key="scenario.new_name").input("bob-plan")
    next(b for b in at.sidebar.button if b.key.startswith("FormSubmitter:scenario.save_form")).click()
    at.run()
    assert t("auth.denied.not_owner", "en", name=escape_markdown("bob-plan")) in [e.value for e in at.error]
    assert not [b for b in at.sidebar.button if b.key == "scenario.overwrite_btn"]
    assert ScenarioStore(isolated).owners()["bob-plan"] == ("bob@x.org", True)


def test_a_private_scenario_is_not_offered_to_another_user(isolated):
    ScenarioStore(isolated).save("bob-private", sc.defaults(), actor=BOB, shared=False)
    at = open_app(email="alice@x.org")
    assert "bob-private" not in at.sidebar.selectbox(key="scenario.pick").options
    at = open_app(email="erin@x.org")
    assert "bob-private" in at.sidebar.selectbox(key="scenario.pick").options


def test_the_audit_log_is_shown_to_editors_only(isolated):
    FileAuditLog(isolated).record("erin@x.org", "rollback", "v0001 actuals")
    imports_page = PAGES_BY_ID["imports"].file
    viewer = open_app(imports_page, email="alice@x.org")
    assert not viewer.exception
    assert t("auth.audit_title", "en") not in [s.value for s in viewer.subheader]
    editor = open_app(imports_page, email="erin@x.org")
    assert not editor.exception
    assert t("auth.audit_title", "en") in [s.value for s in editor.subheader]
    table = next(d.value for d in editor.dataframe if t("auth.audit_col.actor", "en") in d.value.columns)
    assert table.iloc[0].tolist()[1:4] == ["erin@x.org", "roll back", "v0001 actuals"]


def test_single_user_mode_records_the_local_user(isolated):
    at = open_app()
    assert t("auth.single_user_notice", "en") in captions(at)
    at.sidebar.text_input(key="scenario.new_name").input("plan A")
    next(b for b in at.sidebar.button if b.key.startswith("FormSubmitter:scenario.save_form")).click()
    at.run()
    assert not at.exception and not at.error
    entries, _ = FileAuditLog(isolated).read()
    assert [(e.actor, e.action, e.target) for e in entries] == [("local user", "save", "plan A")]
