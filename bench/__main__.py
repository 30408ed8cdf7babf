"""Run every benchmark, or those named, and write their figures to one JSON file.

    .venv/bin/python -m bench                      # all of them, bench/results.json
    .venv/bin/python -m bench --only lifecycle,fsck --quick
    .venv/bin/python -m bench.readme               # the README's figures, from the file

Each benchmark is a module of this package with ``run(quick: bool) -> Report``; it
prints its figures as it measures them, each with its ratio against a baseline run in
the same process, in interleaved rounds. PostgreSQL benchmarks read
``CARDFLOW_BENCH_POSTGRES`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path
from typing import Final

from bench.harness import RESULTS, Report

BENCHES: Final = ("lifecycle", "postgres", "batch", "fsck", "serving", "scale")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated names")
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(names) - set(BENCHES))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (there are {', '.join(BENCHES)})")
    for name in names:
        print(f"== {name}", flush=True)
        started = time.monotonic()
        report: Report = importlib.import_module(f"bench.{name}").run(args.quick)
        report.context["seconds"] = round(time.monotonic() - started, 1)
        report.context["quick"] = args.quick
        report.write(args.out)


if __name__ == "__main__":
    main()
