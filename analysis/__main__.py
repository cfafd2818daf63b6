"""Command line: `python -m analysis build` writes the figure database and prints its path;
`python -m analysis export` builds a briefing pack (see analysis/briefing_cli.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.briefing_cli import add_export_command, run_export
from analysis.build import BuildError, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description="Compute Atlas tools")
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="validate datasets/ and write the DuckDB figure database")
    build_parser.add_argument("--datasets", type=Path, default=None, help="folder of CSVs (default: datasets/)")
    build_parser.add_argument("--out", type=Path, default=None, help="database file (default: build/atlas.duckdb)")
    add_export_command(commands)  # briefing export: analysis/briefing_cli.py
    args = parser.parse_args(argv)
    if args.command == "export":
        return run_export(args)
    if args.command == "build":
        try:
            result = build(args.datasets, args.out)
        except BuildError as exc:
            print(f"Build failed; the previous database (if any) is unchanged.\n{exc}", file=sys.stderr)
            return 1
        counts = ", ".join(f"{name} {n}" for name, n in result.row_counts.items())
        print(f"rows: {counts}", file=sys.stderr)
        print(result.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
