"""The team deployment with its real parts (issue 26, item 4 and 5): PostgreSQL, two app servers, nginx.

Once for the module: a throwaway PostgreSQL cluster (tests/pgcluster.py) with a fresh database, two
`streamlit run app.py` servers pointed at it by ATLAS_USERDATA_URL, each with a user-data folder of its own
(as on two machines: only the database is shared), and nginx in front of them from deploy/nginx.conf.template,
all started by deploy/serve_team.py's AppServer and Proxy, on free ports. Chromium drives the app through
the servers' own ports and through the proxy; nginx's access log says which server answered what.

A viewer refused where an editor is needed is tested with the real sign-in flow in test_sign_in.py (one server:
the rules are the same code on every server).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from analysis.i18n import t
from deploy.serve_team import ACCESS_LINE, NGINX, AppServer, Proxy, app_env

from .test_journeys import PAGE_READY_MS, expect_heading, link, move_first_slider, no_error, open_page, settle

ROOT = Path(__file__).resolve().parents[2]
LANG = "en"
AFFINITY_KEYS = 40  # P(all on one of two servers by chance) = 2 ** -39
RECONNECT_S = 60


@pytest.fixture(scope="module")
def team(pg_cluster, tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.fail(f"nginx not found at {NGINX}; run `make team-deps` (installs Debian's nginx-light)")
    work = tmp_path_factory.mktemp("team")
    db_url = pg_cluster.new_database()
    base = {**os.environ, "ATLAS_DB_PATH": str(work / "atlas.duckdb")}
    subprocess.run([sys.executable, "-m", "analysis", "build"], cwd=ROOT, env=base, check=True, capture_output=True)
    secret = secrets.token_urlsafe(16)
    servers = []
    for number in (1, 2):
        env = app_env({**base, "ATLAS_USER_DATA_DIR": str(work / f"userdata-{number}")}, db_url, secret)
        servers.append(AppServer(str(number), _free_port(), env, work / f"app-{number}.log"))
    proxy = Proxy(work / "nginx", "127.0.0.1", _free_port(), [f"127.0.0.1:{s.port}" for s in servers])
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_healthy()
        proxy.start().wait_ready()
        yield SimpleNamespace(servers=servers, proxy=proxy, pg=pg_cluster, dbname=db_url.split("@/", 1)[1].split("?", 1)[0])
    finally:
        proxy.stop()
        for server in servers:
            server.stop()


@pytest.fixture
def team_page(browser, team):
    """A fresh browser (its own cookies) that records console errors and refuses every non-local request."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1")) else route.abort()
        ),
    )
    yield page
    context.close()


def saved_names(team) -> list[str]:
    return team.pg.psql("SELECT name FROM scenarios ORDER BY name", team.dbname).splitlines()


def save_new_scenario(page, name: str) -> None:
    """Move the page's first slider, then save the scenario under `name` from the sidebar."""
    page.locator("[data-testid=stMain] [data-testid=stSlider] input[type=range]").first.wait_for(
        state="attached", timeout=PAGE_READY_MS
    )
    assert move_first_slider(page)
    expect_heading(page, t("scenario.heading", LANG, name=t("scenario.unsaved", LANG)), LANG)
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.locator("[data-testid=stExpander] summary").first.click()
    sidebar.get_by_label(t("scenario.name_label", LANG)).fill(name)
    sidebar.get_by_role("button", name=t("scenario.save", LANG)).click()
    page.wait_for_url(re.compile(r"[?&]scenario=" + re.escape(name.replace(" ", "+"))), timeout=PAGE_READY_MS)
    settle(page)
    expect_heading(page, t("scenario.heading", LANG, name=name), LANG)
    no_error(page)


def on(url: str, base: str) -> str:
    """The same page and query on another server (or the proxy)."""
    return re.sub(r"^http://[^/]+", base, url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def route_key(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "atlas_route")


def test_the_proxy_keeps_each_browser_on_one_server_and_spreads_browsers_over_both(team):
    proxy = team.proxy
    for number in range(AFFINITY_KEYS):
        for path in ("/_stcore/health", "/api/v1/scenarios", "/_stcore/host-config"):
            request = urllib.request.Request(f"{proxy.url}{path}", headers={"Cookie": f"atlas_route=key{number}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
    by_key: dict[str, set[str]] = {}
    for match in ACCESS_LINE.finditer(proxy.access_log.read_text(errors="replace")):
        if match["route"].startswith("key"):
            by_key.setdefault(match["route"], set()).add(match["upstream"])
    assert len(by_key) == AFFINITY_KEYS
    assert all(len(servers) == 1 for servers in by_key.values()), by_key
    used = set().union(*by_key.values())
    assert used == {f"127.0.0.1:{s.port}" for s in team.servers}


def test_a_browser_without_the_cookie_is_given_one(team):
    with urllib.request.urlopen(f"{team.proxy.url}/", timeout=30) as response:
        cookie = response.headers.get("Set-Cookie", "")
    assert re.fullmatch(r"atlas_route=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax", cookie), cookie


def test_a_scenario_saved_through_one_server_opens_through_the_other_and_through_the_proxy(team, team_page):
    page = team_page
    one, two = team.servers
    open_page(page, link(one.url, "market", LANG))
    save_new_scenario(page, "Team one")
    saved_url = page.url

    open_page(page, on(saved_url, two.url))  # server 2 has its own user-data folder: only the database is shared
    expect_heading(page, t("scenario.heading", LANG, name="Team one"), LANG)
    no_error(page)

    open_page(page, on(saved_url, team.proxy.url))
    expect_heading(page, t("scenario.heading", LANG, name="Team one"), LANG)
    no_error(page)

    # Saved through the proxy, on whichever server this browser was given: both servers open it.
    open_page(page, link(team.proxy.url, "market", LANG))
    save_new_scenario(page, "Team proxy")
    for server in (one, two):
        open_page(page, on(page.url, server.url))
        expect_heading(page, t("scenario.heading", LANG, name="Team proxy"), LANG)
        no_error(page)
    assert {"Team one", "Team proxy"} <= set(saved_names(team))
    assert all(status in ("101", "200") for _, status in team.proxy.requests("/_stcore/stream"))


def test_killing_the_server_a_browser_is_on_moves_it_to_the_other_and_loses_nothing(team, team_page):
    page = team_page
    proxy = team.proxy
    open_page(page, link(proxy.url, "market", LANG))
    save_new_scenario(page, "Team before")
    key = route_key(page)
    # nginx logs a request when it ends, so the open WebSocket is not in the log yet; the page's HTTP requests,
    # which the affinity keeps on the same server, are.
    before = proxy.requests("/", key)
    assert before, "the browser's requests did not go through the proxy"
    address = before[-1][0]
    victim = next(s for s in team.servers if f"127.0.0.1:{s.port}" == address)
    survivor = next(s for s in team.servers if s is not victim)
    victim.kill()  # a crash: SIGKILL, no clean shutdown

    # The page reconnects by itself through the proxy, which sends it to the other server: a new session there.
    deadline = time.monotonic() + RECONNECT_S
    while not any(a == f"127.0.0.1:{survivor.port}" for a, s in proxy.requests("/", key)[len(before) :]):
        assert time.monotonic() < deadline, f"no request reached the other server within {RECONNECT_S} s"
        page.wait_for_timeout(500)
    # The WebSocket to the killed server ended, after the upgrade, in the log.
    assert (f"127.0.0.1:{victim.port}", "101") in proxy.requests("/_stcore/stream", key)
    settle(page)
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
    # Streamlit gives the moved browser a new session there, which does not know the page's sections
    # (st.fragment): a widget inside one does nothing until the page runs in full again ("The fragment with
    # id … does not exist anymore" in the server log). A reload runs it in full, on the other server.
    open_page(page, page.url)
    expect_heading(page, t("scenario.heading", LANG, name="Team before"), LANG)
    no_error(page)

    # The moved browser works on: it saves through the surviving server, and a reload opens what it saved.
    save_new_scenario(page, "Team after")
    open_page(page, page.url)
    expect_heading(page, t("scenario.heading", LANG, name="Team after"), LANG)
    assert {"Team before", "Team after"} <= set(saved_names(team))
    # Once moved, it stays: every later request of this browser went to the surviving server.
    after = [a for a, _ in proxy.requests("/", key)[len(before) :]]
    moved_at = after.index(f"127.0.0.1:{survivor.port}")
    assert set(after[moved_at:]) == {f"127.0.0.1:{survivor.port}"}


def _chart_csv(base: str, slug: str) -> str:
    with urllib.request.urlopen(f"{base}/api/v1/charts/{slug}.csv?lang={LANG}", timeout=60) as response:
        return response.read().decode("utf-8-sig")


def test_an_import_through_one_server_changes_the_chart_on_the_other(team, team_page, tmp_path):
    """Imported through server 1's page; server 2 (its own user-data folder) draws the actual in its chart."""
    from import_rows import good_file

    page = team_page
    one, two = team.servers
    for server in team.servers:  # the failover test before this one kills one of them
        if not server.alive():
            server.start().wait_healthy()
    marker = "test_shipments_2023_actual"  # the imported row's figure id (the CSV's "Figure ID" column)
    assert marker not in _chart_csv(two.url, "ai-server-shipments")
    open_page(page, link(one.url, "imports", LANG))
    path = tmp_path / "actuals.csv"
    path.write_bytes(good_file())
    page.locator("input[type=file]").set_input_files(str(path))
    main = page.locator("[data-testid=stMain]")
    apply = main.get_by_role("button", name=t("imports.apply", LANG))
    expect(apply).to_be_enabled(timeout=PAGE_READY_MS)
    apply.click()
    settle(page)
    no_error(page)
    assert team.pg.psql("SELECT count(*) FROM import_versions WHERE status = 'active'", team.dbname) == "1"
    deadline = time.monotonic() + 30  # the other server reads the shared revision at most once a second
    while marker not in (shown := _chart_csv(two.url, "ai-server-shipments")) and time.monotonic() < deadline:
        time.sleep(1)
    assert marker in shown, "server 2's chart does not show the import made through server 1"
    row = next(line for line in shown.splitlines() if marker in line)
    value = float(row.split(",")[3])  # in the chart's unit (118.9 万台 as million units)
    open_page(page, link(two.url, "market", LANG))  # and the page draws it: a trace holds the imported value
    page.wait_for_function(
        "v => [...document.querySelectorAll('.js-plotly-plot')].some(gd => (gd._fullData || []).some("
        "tr => Array.from(tr.y && tr.y.length !== undefined ? tr.y : []).some(y => Math.abs(y - v) < 1e-9)))",
        arg=value,
        timeout=PAGE_READY_MS,
    )
    no_error(page)
