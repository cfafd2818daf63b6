"""Where things live. Environment variables let tests and deployments move them."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def datasets_dir() -> Path:
    return Path(os.environ.get("ATLAS_DATASETS_DIR", PROJECT_ROOT / "datasets"))


def database_path() -> Path:
    """The rebuildable figure database (a build product of datasets/)."""
    return Path(os.environ.get("ATLAS_DB_PATH", PROJECT_ROOT / "build" / "atlas.duckdb"))


def user_data_dir() -> Path:
    """User data (saved scenarios, imported figures): never touched by a rebuild."""
    return Path(os.environ.get("ATLAS_USER_DATA_DIR", PROJECT_ROOT / "var" / "userdata"))


def userdata_url() -> str:
    """`ATLAS_USERDATA_URL`: a PostgreSQL database for saved scenarios (team deployment); empty means the files."""
    return os.environ.get("ATLAS_USERDATA_URL", "").strip()
