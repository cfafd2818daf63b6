"""Time the briefing pack (not a test): `python -m analysis.briefing_bench [--lang en] [--repeats 3]`.

Prints one JSON object: the number of charts, seconds for a pack without pictures, the browser's cold
start, a pack as the app builds it (auto), and a pack with every chart as a picture from the warm browser.
"""

from __future__ import annotations

import argparse
import json
import sys

from analysis import db
from analysis.briefing import benchmark
from analysis.i18n import LANGS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.briefing_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=LANGS, default="en")
    parser.add_argument("--repeats", type=int, default=3, help="runs per mode; the best is reported")
    args = parser.parse_args(argv)
    status = db.ensure_database()
    con = db.connect_readonly(status.path)
    try:
        timings = benchmark(con, args.lang, repeats=args.repeats)
    finally:
        con.close()
    print(json.dumps({key: round(value, 3) for key, value in timings.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
