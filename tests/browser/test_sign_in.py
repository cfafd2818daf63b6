"""Sign-in with a real OpenID Connect flow: a local mock provider (the `oidc-provider-mock` package) on a free port,
the app started with `[auth]` pointing at it (server_metadata_url), and Chromium signing in through the provider's
own authorisation page, as a viewer and as an editor (ATLAS_EDITORS).

- a viewer is refused an import (translated message) and cannot delete another user's scenario;
- an editor imports, and the audit log on the imports page names them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from import_rows import SHIPMENTS, csv_bytes
from playwright.sync_api import expect

from analysis import auth
from analysis import scenario as sc
from analysis.audit import FileAuditLog
from analysis.i18n import t
from analysis.userstore import ScenarioStore
from tests.browser.conftest import ROOT, SERVER_START_SECONDS, _free_port
from tests.browser.test_journeys import PAGE_READY_MS, choose_option, link, no_error, open_page, settle

VIEWER, EDITOR = "viewer@example.org", "editor@example.org"
LANG = "en"


@pytest.fixture(scope="module")
def provider():
    """The mock OIDC provider on a free port, with the two users offered as one-click choices."""
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub=VIEWER, claims={"email": VIEWER}), User(sub=EDITOR, claims={"email": EDITOR, "groups": ["strategy"]})]
    with run_server_in_thread(port=_free_port(), user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def team_app(provider, built_db, tmp_path_factory):
    """`streamlit run` with sign-in configured (a secrets file of its own) and editors named by group claim."""
    port = _free_port()
    work = tmp_path_factory.mktemp("sign-in-app")
    secrets = work / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        'cookie_secret = "a-cookie-secret-for-the-browser-test-only"\n'
        'client_id = "compute-atlas"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    user_dir = work / "userdata"
    # another user's shared scenario, for the viewer to try to delete
    ScenarioStore(user_dir).save("erin-plan", sc.defaults(), actor=auth.Identity(auth.SIGNED_IN, EDITOR), shared=True)
    env = {
        **os.environ,
        "ATLAS_DB_PATH": str(built_db),
        "ATLAS_USER_DATA_DIR": str(user_dir),
        "ATLAS_EDITORS": "group:strategy",
    }
    env.pop("ATLAS_USERDATA_URL", None)
    log = (work / "streamlit.log").open("w")
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--secrets.files", str(secrets)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"  # the redirect URI's host: the sign-in cookie is set for it
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"streamlit did not start; log:\n{(work / 'streamlit.log').read_text()}")
        time.sleep(0.5)
    yield url, user_dir
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def sign_in(page, app_url: str, provider: str, user: str) -> None:
    """Open the app, click Sign in, pick `user` on the provider's page, and come back signed in."""
    open_page(page, link(app_url, "imports", LANG))
    page.locator("[data-testid=stSidebar]").get_by_role("button", name=t("auth.sign_in", LANG)).click()
    page.wait_for_url(f"{provider}/**", timeout=PAGE_READY_MS)
    page.get_by_role("button", name=user, exact=True).click()
    page.wait_for_url(f"{app_url}/**", timeout=PAGE_READY_MS)  # Streamlit's callback, then its home page
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    page.console_errors.clear()  # the provider's page asks for a style sheet on the internet, which is not reached
    open_page(page, link(app_url, "imports", LANG))
    role = t("auth.role_editor" if user == EDITOR else "auth.role_viewer", LANG)
    expect(page.locator("[data-testid=stSidebar]")).to_contain_text(f"{user} ({role})", timeout=PAGE_READY_MS)


def upload_and_import(page, tmp_path) -> None:
    path = tmp_path / "actuals.csv"
    path.write_bytes(csv_bytes([SHIPMENTS]))
    main = page.locator("[data-testid=stMain]")
    page.locator("input[type=file]").set_input_files(str(path))
    main.get_by_text(t("imports.checked", LANG, file=path.name, rows=1)).wait_for(timeout=PAGE_READY_MS)
    main.get_by_role("button", name=t("imports.apply", LANG)).click()
    settle(page)


@pytest.fixture
def local_page(browser):
    """A page in a fresh browser context that may reach the app and the provider (both on localhost)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()


def test_a_viewer_is_refused_import_and_another_users_scenario(local_page, team_app, provider, tmp_path):
    app_url, user_dir = team_app
    page = local_page
    sign_in(page, app_url, provider, VIEWER)
    upload_and_import(page, tmp_path)
    main = page.locator("[data-testid=stMain]")
    expect(main.locator("[data-testid=stAlert]").filter(has_text=t("auth.denied.editors_only", LANG))).to_be_visible()
    assert not (user_dir / "imports" / "versions.json").exists()
    assert t("auth.audit_title", LANG) not in main.inner_text()  # the audit log is for editors

    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text(t("scenario.manage", LANG)).click()
    choose_option(page, sidebar.locator("[data-testid=stSelectbox]").filter(has_text=t("scenario.open_label", LANG)), "erin-plan")
    settle(page)
    sidebar.get_by_role("button", name=t("scenario.delete", LANG), exact=True).click()
    settle(page)
    refused = t("auth.denied.not_owner", LANG, name="erin-plan")
    expect(sidebar.locator("[data-testid=stAlert]").filter(has_text=refused)).to_be_visible()
    assert "erin-plan" in ScenarioStore(user_dir).names()
    no_error(page)


def test_an_editor_imports_and_the_audit_log_names_them(local_page, team_app, provider, tmp_path):
    app_url, user_dir = team_app
    page = local_page
    sign_in(page, app_url, provider, EDITOR)
    upload_and_import(page, tmp_path)
    main = page.locator("[data-testid=stMain]")
    expect(main.get_by_text("Imported as version v0001", exact=False)).to_be_visible(timeout=PAGE_READY_MS)
    expect(main).to_contain_text(t("auth.audit_title", LANG))
    audit_table = main.locator("[data-testid=stDataFrame]").last
    expect(audit_table).to_contain_text(EDITOR, timeout=PAGE_READY_MS)
    entries, damaged = FileAuditLog(user_dir).read()
    assert damaged == 0 and (entries[0].actor, entries[0].action) == (EDITOR, "import")
    no_error(page)
