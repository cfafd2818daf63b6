"""`make serve-team`: the team deployment on one machine (issue 26).

    .venv/bin/python -m deploy.serve_team [--host 127.0.0.1] [--port 8600] [--app-ports 8601 8602]

Starts, in this order, and stops in the reverse order on Ctrl-C (or SIGTERM):

1. PostgreSQL (Debian's `postgresql` package): a persistent cluster in var/team/pg, owned by the `postgres`
   user, created on the first run and kept across runs; it listens only on a Unix socket in that folder.
   Its database `atlas` is named to the app servers by ATLAS_USERDATA_URL.
2. Two app servers (`streamlit run app.py`) on their own ports, on 127.0.0.1 only, with the same cookie secret
   (var/team/cookie_secret, made once), so a browser moved to the other server keeps a valid XSRF cookie.
3. nginx (Debian's package) on one address, from deploy/nginx.conf.template: session affinity by cookie,
   the WebSocket upgrade on /_stcore/stream, buffering off, and the next server when one is down.

Logs: var/team/logs (app-1.log, app-2.log, nginx's access.log and error.log) and var/team/pg/server.log.
The pieces (AppServer, Proxy) are also what tests/browser/test_team.py starts.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf.template"
TEAM_DIR = PROJECT_ROOT / "var" / "team"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
DATABASE = "atlas"
PG_USER = "postgres"
NGINX_WORKER_USER = "www-data"  # Debian's web server user; nginx's workers run as it when the master runs as root
MAX_BODY_MB = 6  # a little above Streamlit's server.maxUploadSize (5 MB, .streamlit/config.toml): Streamlit refuses
START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 15
POLL_S = 0.25
ACCESS_LINE = re.compile(
    r'"[A-Z]+ (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ route=(?P<route>\S*) upstream=(?P<upstream>.*?) upstream_status=',
)


def log(message: str) -> None:
    print(message, flush=True)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_health(url: str, process: subprocess.Popen | None, what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Block until `url`/_stcore/health answers 200; fail if the process exits first or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before it answered")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer at {url} within {timeout_s:g} s")
        time.sleep(POLL_S)


def _stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ---------------------------------------------------------------- app servers


@dataclass
class AppServer:
    """One `streamlit run app.py` on 127.0.0.1:`port`, reachable by the proxy only."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    public_host: str = "127.0.0.1"  # the proxy's address, which Streamlit prints as the app's URL
    public_port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "streamlit", "run", "app.py"]
        command += ["--server.port", str(self.port), "--server.address", "127.0.0.1", "--server.headless", "true"]
        if self.public_port:
            command += ["--browser.serverAddress", self.public_host, "--browser.serverPort", str(self.public_port)]
        return command

    def start(self) -> AppServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as out:
            # A session of its own: a Ctrl-C in the terminal reaches the launcher, which stops everything in order.
            self.process = subprocess.Popen(
                self.command(), cwd=PROJECT_ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def wait_healthy(self, timeout_s: float = START_TIMEOUT_S) -> None:
        wait_for_health(self.url, self.process, f"app server {self.name} (port {self.port}; log {self.log_path})", timeout_s)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the server and whatever it started (its own process group), as a crash: no clean shutdown."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        _stop(self.process)


def app_env(base: dict[str, str], userdata_url: str, cookie_secret: str) -> dict[str, str]:
    """The app servers' environment: the shared database and the shared cookie secret (never on a command line)."""
    return {**base, "ATLAS_USERDATA_URL": userdata_url, "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret}


# ---------------------------------------------------------------- the proxy


def render_nginx_conf(prefix: Path, listen: str, upstreams: list[str], *, worker_user: str | None) -> str:
    """deploy/nginx.conf.template with its @NAME@ fields filled in."""
    servers = "\n".join(f"        server {address} max_fails=1 fail_timeout=10s;" for address in upstreams)
    fields = {
        "@USER_LINE@": f"user {worker_user};" if worker_user else "# (not root: the workers run as this user)",
        "@PREFIX@": str(prefix),
        "@LISTEN@": listen,
        "@UPSTREAM_SERVERS@": servers,
        "@MAX_BODY_MB@": str(MAX_BODY_MB),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in fields.items():
        text = text.replace(name, value)
    if "@" in "".join(line.split("#")[0] for line in text.splitlines()):
        raise ValueError("deploy/nginx.conf.template has a field serve_team.py does not fill in")
    return text


@dataclass
class Proxy:
    """nginx in the foreground, with its configuration, logs and temporary files under `prefix`."""

    prefix: Path
    host: str
    port: int
    upstreams: list[str]
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.prefix / "logs" / "access.log"

    def write_conf(self) -> Path:
        worker_user = NGINX_WORKER_USER if os.geteuid() == 0 else None
        for sub in ("logs", "tmp"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        if worker_user:  # the workers write request bodies to tmp/
            pw = pwd.getpwnam(worker_user)
            os.chown(self.prefix / "tmp", pw.pw_uid, pw.pw_gid)
        conf = self.prefix / "nginx.conf"
        conf.write_text(render_nginx_conf(self.prefix, f"{self.host}:{self.port}", self.upstreams, worker_user=worker_user))
        return conf

    def start(self) -> Proxy:
        if not Path(NGINX).exists():
            raise RuntimeError(f"nginx not found at {NGINX}: `make team-deps` installs Debian's nginx-light")
        conf = self.write_conf()
        check = subprocess.run(
            [NGINX, "-t", "-q", "-p", str(self.prefix), "-e", "stderr", "-c", str(conf)], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused {conf}:\n{check.stderr}")
        with (self.prefix / "logs" / "nginx.out").open("a") as out:
            self.process = subprocess.Popen(
                [NGINX, "-p", str(self.prefix), "-e", str(self.prefix / "logs" / "error.log"), "-c", str(conf)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        wait_for_health(self.url, self.process, f"nginx (log {self.prefix / 'logs' / 'error.log'})", timeout_s)

    def requests(self, path_prefix: str = "/", route: str | None = None) -> list[tuple[str, str]]:
        """(app server, status) of each logged request under `path_prefix`, oldest first, from the access log;
        only those of one affinity key when `route` is given. The server is the last one tried (after a retry)."""
        found = []
        text = self.access_log.read_text(errors="replace") if self.access_log.exists() else ""
        for match in ACCESS_LINE.finditer(text):
            if match["path"].startswith(path_prefix) and route in (None, match["route"]):
                found.append((match["upstream"].split(",")[-1].strip(), match["status"]))
        return found

    def stop(self) -> None:
        _stop(self.process, signal.SIGQUIT)  # graceful: open requests finish, then the workers exit


# ---------------------------------------------------------------- PostgreSQL, persistent, under var/team/pg


def postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


@dataclass
class Postgres:
    folder: Path  # the socket lives here; the data in folder/data
    port: int
    bindir: Path

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, dbname: str = DATABASE) -> str:
        return f"postgresql://{PG_USER}@/{dbname}?host={self.folder}&port={self.port}"

    def _as_postgres(self, *command) -> list[str]:
        return ["runuser", "-u", PG_USER, "--", *map(str, command)] if os.geteuid() == 0 else list(map(str, command))

    def _run(self, *command, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(self._as_postgres(*command), capture_output=True, text=True, check=check, start_new_session=True)

    def ensure_cluster(self) -> bool:
        """Create the cluster on the first run; True when it was created now."""
        if (self.data / "PG_VERSION").exists():
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, PG_USER, PG_USER)
        self.folder.chmod(0o700)
        # Trust, on a Unix socket in a folder only postgres (and root) can enter; no TCP listener (see README).
        self._run(self.bindir / "initdb", "-D", self.data, "-U", PG_USER, "-A", "trust", "-E", "UTF8")
        return True

    def running(self) -> bool:
        return self._run(self.bindir / "pg_ctl", "-D", self.data, "status", check=False).returncode == 0

    def start(self) -> None:
        options = f"-k {self.folder} -p {self.port} -c listen_addresses=''"
        result = self._run(
            self.bindir / "pg_ctl", "-D", self.data, "-o", options, "-l", self.folder / "server.log", "-w", "start", check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start (log {self.folder / 'server.log'}):\n{result.stderr or result.stdout}")

    def ensure_database(self) -> None:
        psql = [self.bindir / "psql", "-X", "-q", "-t", "-A", "-d", self.url("postgres")]
        exists = self._run(*psql, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'").stdout.strip()
        if exists != "1":
            self._run(*psql, "-c", f'CREATE DATABASE "{DATABASE}"')

    def stop(self) -> None:
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)


def cookie_secret(path: Path) -> str:
    """One secret for every app server, made on the first run and kept (readable by its owner only)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


# ---------------------------------------------------------------- the launcher


class Stop(Exception):
    pass


def _on_signal(signum, frame) -> None:
    raise Stop(signal.Signals(signum).name)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="the proxy's address (0.0.0.0: every interface)")
    parser.add_argument("--port", type=int, default=8600, help="the proxy's port, the one address users open")
    parser.add_argument("--app-ports", type=int, nargs="+", default=[8601, 8602], help="one port per app server")
    parser.add_argument("--pg-port", type=int, default=5433, help="names the PostgreSQL socket (no TCP listener)")
    parser.add_argument("--dir", type=Path, default=TEAM_DIR, help="where the cluster, logs and nginx files live")
    args = parser.parse_args(argv)
    if len(set(args.app_ports)) != len(args.app_ports) or args.port in args.app_ports:
        parser.error("the proxy and every app server need ports of their own")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    busy = [p for p in (args.port, *args.app_ports) if not port_is_free("127.0.0.1" if p != args.port else args.host, p)]
    if busy:
        log(f"Port(s) {', '.join(map(str, busy))} already in use: stop what holds them, or choose others (make help).")
        return 2
    bindir = postgres_bindir()
    if bindir is None or not Path(NGINX).exists():
        log("PostgreSQL or nginx is missing: `make team-deps` installs them (Debian packages postgresql, nginx-light).")
        return 2
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    work = args.dir.resolve()
    pg = Postgres(work / "pg", args.pg_port, bindir)
    servers: list[AppServer] = []
    proxy = None
    started_pg = False
    try:
        if pg.ensure_cluster():
            log(f"Created the PostgreSQL cluster in {pg.data} (kept across runs).")
        if not pg.running():
            pg.start()
            started_pg = True
        pg.ensure_database()
        log(f"PostgreSQL: database {DATABASE} on the socket in {pg.folder} (port {pg.port}).")
        env = app_env(dict(os.environ), pg.url(), cookie_secret(work / "cookie_secret"))
        subprocess.run([sys.executable, "-m", "analysis", "build"], cwd=PROJECT_ROOT, env=env, check=True)
        for number, port in enumerate(args.app_ports, start=1):
            server = AppServer(f"{number}", port, env, work / "logs" / f"app-{number}.log", args.host, args.port)
            servers.append(server.start())
        for server in servers:
            server.wait_healthy()
            log(f"App server {server.name}: {server.url} (log {server.log_path}).")
        proxy = Proxy(work / "nginx", args.host, args.port, [f"127.0.0.1:{s.port}" for s in servers]).start()
        proxy.wait_ready()
        log(f"\nCompute Atlas for the team: {proxy.url}  ({len(servers)} app servers behind nginx; Ctrl-C stops all)\n")
        reported: set[str] = set()
        while True:
            if proxy.process.poll() is not None:
                log(f"nginx exited (code {proxy.process.returncode}; log {proxy.prefix / 'logs' / 'error.log'}): stopping.")
                return 1
            for server in servers:
                if not server.alive() and server.name not in reported:
                    reported.add(server.name)
                    log(
                        f"App server {server.name} exited (code {server.process.returncode}); the proxy sends its users to the others."
                    )
            if len(reported) == len(servers):
                log("Every app server has exited: stopping.")
                return 1
            time.sleep(1)
    except Stop as reason:
        log(f"\n{reason}: stopping the proxy, the app servers and PostgreSQL …")
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        log(f"serve-team could not start: {exc}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not interrupt the clean stop
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()
        if started_pg:
            pg.stop()
        log("Stopped.")


if __name__ == "__main__":
    sys.exit(main())
