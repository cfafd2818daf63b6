"""A throwaway PostgreSQL cluster for the tests: Debian's `postgresql` package (`make test-deps` installs it).

initdb runs in a temporary folder; PostgreSQL refuses to run as root, so under root the folder belongs to
the `postgres` user and the server runs through `runuser`. It listens only on a Unix socket in that folder,
on a free port number, and is stopped and deleted at the end of the session.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, or None when the package is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    def __init__(self, bindir: Path, folder: Path, port: int):
        self.bindir, self.folder, self.port = bindir, folder, port

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@/{dbname}?host={self.folder}&port={self.port}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        out = subprocess.run(
            [self.bindir / "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", self.url(dbname), "-c", sql],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def new_database(self) -> str:
        """A fresh empty database; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    bindir = postgres_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL is not installed (Debian package postgresql; `make test-deps`)")
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="atlas-pg-"))
    data = folder / "data"
    port = _free_port()
    try:
        if as_root:
            shutil.chown(folder, "postgres", "postgres")
        subprocess.run(
            [*prefix, bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"],
            capture_output=True,
            check=True,
        )
        options = f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=100"
        subprocess.run(
            [*prefix, bindir / "pg_ctl", "-D", data, "-o", options, "-l", folder / "server.log", "-w", "start"],
            capture_output=True,
            check=True,
        )
        try:
            yield Cluster(bindir, folder, port)
        finally:
            subprocess.run([*prefix, bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
