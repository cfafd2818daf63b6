"""What a whole build of the figure database looks like, checked without DuckDB or pandas.

`build` writes `<database>.stamp.json` beside the file: the datasets hash it was built from and the
file's size, mtime and sha256. `verified_build` compares the file with it. This module imports only
the standard library, so `python -m analysis build` (run by every `make run`) can say "up to date" fast.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from analysis import paths
from analysis.safejson import loads


def datasets_hash(datasets_dir: Path | None = None) -> str:
    """Content hash of every CSV in datasets/, so the app can tell a stale database."""
    datasets_dir = Path(datasets_dir or paths.datasets_dir())
    digest = hashlib.sha256()
    for csv_path in sorted(datasets_dir.glob("*.csv")):
        digest.update(csv_path.name.encode())
        digest.update(csv_path.read_bytes())
    return digest.hexdigest()


STAMP_SUFFIX = ".stamp.json"


def stamp_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + STAMP_SUFFIX)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_stamp(db_path: Path, content_hash: str) -> None:
    """Beside the database, what a whole build looks like: its datasets hash, size, mtime and sha256.

    The app checks the file against it without opening the file through DuckDB (analysis.db), so a
    database overwritten or truncated on disk is noticed even while a connection to it is open.
    """
    info = db_path.stat()
    body = {
        "datasets_hash": content_hash,
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "sha256": file_sha256(db_path),
    }
    target = stamp_path(db_path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(body), encoding="utf-8")
    os.replace(tmp, target)


def verified_build(db_path: Path, *, full: bool = False) -> tuple[str, str] | None:
    """(datasets hash, build id) of a database file that is as its build left it, else None.

    Read from the build's stamp and checked against the file's size and mtime, and against its sha256
    when those changed or with `full` (damage that keeps the size and mtime shows only in the content;
    hashing build/atlas.duckdb, about 7 MB, takes about 25 ms). Never by opening the file with DuckDB:
    DuckDB hands a process its already open database from a cache, so an overwritten or truncated
    file would still look fine.
    """
    try:
        stamp = loads(stamp_path(db_path).read_bytes())
        info = db_path.stat()
        content_hash, size, mtime_ns, sha256 = stamp["datasets_hash"], int(stamp["size"]), int(stamp["mtime_ns"]), stamp["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if info.st_size != size:
        return None
    if (full or info.st_mtime_ns != mtime_ns) and file_sha256(db_path) != sha256:
        return None
    return content_hash, str(sha256)[:16]
