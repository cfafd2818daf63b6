"""`python -m analysis export`: the briefing pack without the app, e.g. for scheduled briefings.

python -m analysis export --scenario NAME --lang en --out briefing.pptx [--charts slug,...] [--zip out.zip]

Bad input (unknown scenario, chart or language, a missing output folder) exits with status 2 and
a message; a database that cannot be built exits with 1. Progress goes to stderr, written paths to stdout.
"""

from __future__ import annotations

import argparse
import shutil
import stat
import sys
from pathlib import Path
from typing import TextIO

from analysis.i18n import DEFAULT_LANG, LANGS
from analysis.scenario import BASELINE_NAME, StoredScenarioInvalid
from analysis.textsafe import redact_paths

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
BAR_WIDTH = 28


def add_export_command(commands) -> None:
    """Register the `export` subcommand on the `python -m analysis` parser."""
    export = commands.add_parser("export", help="build a briefing pack (PowerPoint deck, optional data zip) headless")
    export.add_argument("--scenario", default=BASELINE_NAME, help=f"a saved scenario's name (default: {BASELINE_NAME})")
    export.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG, help=f"language of the deck (default: {DEFAULT_LANG})")
    export.add_argument("--out", type=Path, required=True, help="the .pptx file to write")
    export.add_argument("--charts", default=None, help="comma-separated chart slugs (default: every chart)")
    export.add_argument("--zip", type=Path, default=None, dest="zip_path", help="also write the data-and-scenario zip here")
    export.add_argument(
        "--images",
        choices=("auto", "never", "always"),
        default="auto",
        help="auto: editable charts where possible, pictures for the rest; never: no Chromium; always: every chart as a picture",
    )


class TerminalProgress:
    """A one-line progress bar on a terminal; one line per step when the stream is a file or pipe."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self._shown = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        filled = round(BAR_WIDTH * done / total) if total else BAR_WIDTH
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} {label}"
        if self.tty:
            columns = shutil.get_terminal_size((100, 20)).columns - 1
            line = line[:columns]
            self.stream.write("\r" + line.ljust(self._shown))
            self._shown = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> int:
    print(f"export: {message}", file=sys.stderr)
    return code


def run_export(args: argparse.Namespace) -> int:
    from analysis import briefing, db
    from analysis.build import BuildError
    from analysis.userstore import StoreError, atomic_write_bytes, open_scenario_store

    store = open_scenario_store()
    try:
        values = store.load(args.scenario)
    except KeyError:
        return _fail(f"no saved scenario {args.scenario!r}; saved scenarios: {', '.join(store.names())}")
    except StoreError as exc:
        return _fail(str(exc))
    except StoredScenarioInvalid as exc:  # saved before today's checks: reported, not exported
        return _fail(str(exc))
    slugs = None if args.charts is None else [s.strip() for s in args.charts.split(",") if s.strip()]
    try:
        briefing.select_charts(slugs)
    except ValueError as exc:
        return _fail(str(exc))
    for path in (args.out, args.zip_path):
        problem = None if path is None else output_problem(path)
        if problem:
            return _fail(problem)
    try:
        status = db.ensure_database()
    except BuildError as exc:
        return _fail(f"no figure database and datasets/ does not build:\n{exc}", EXIT_FAILED)
    if status.problem is not None:
        print(f"export: warning: datasets/ does not build; using the last good database\n{status.problem}", file=sys.stderr)
    con = db.connect_readonly(status.path)
    progress = TerminalProgress(sys.stderr)
    try:
        pack = briefing.build_pack(
            con, values, args.lang, scenario_name=args.scenario, slugs=slugs, images_mode=args.images, progress=progress
        )
    finally:
        progress.finish()
        con.close()
    for item in pack.left_out:
        print(f"export: warning: {item.slug} is not drawn in the deck: {item.reason}", file=sys.stderr)
    for path, payload in ((args.out, pack.pptx), (args.zip_path, pack.zip)):
        if path is None:
            continue
        problem = output_problem(path)  # again: the path may have changed while the pack was built
        if problem:
            return _fail(problem)
        try:
            atomic_write_bytes(path, payload)
        except OSError as exc:
            reason = exc.strerror or redact_paths(exc)
            return _fail(f"cannot write {path.name}: {reason}; nothing was written there", EXIT_FAILED)
        print(path)
    return 0


def output_problem(path: Path) -> str | None:
    """Why `path` cannot take a written file (None when it is a new name in a folder, or a regular file).

    The file is written by renaming a temporary file over the path, which would replace whatever is there:
    a symbolic link (not the file it points to), a FIFO, a device such as /dev/full. Only a regular file is
    replaced; everything else is refused.
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        if not path.parent.is_dir():
            return f"the folder for {path} does not exist"
        return None
    except OSError as exc:
        return f"cannot use {path.name}: {exc.strerror or redact_paths(exc)}"
    if stat.S_ISLNK(info.st_mode):
        return f"{path} is a symbolic link; give the path of a regular file or a new file name"
    if stat.S_ISDIR(info.st_mode):
        return f"{path} is a folder; give a file name"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file (a device, FIFO or socket); give a new file name"
    return None
