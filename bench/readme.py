"""The README's benchmark figures, made from ``bench/results.json``.

.venv/bin/python -m bench.readme           # rewrite the section in README.md
.venv/bin/python -m bench.readme --check   # exit 1 if it differs from the file
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

from bench.harness import RESULTS

README: Final = Path(__file__).resolve().parent.parent / "README.md"
START_MARKER: Final = "<!-- generated:bench:start -->"
END_MARKER: Final = "<!-- generated:bench:end -->"


def section(results: dict[str, Any]) -> str:
    """One table a benchmark: each figure, its baseline, the ratio and the target."""
    out: list[str] = []
    for bench, found in results.items():
        context = found.get("context", {})
        out += [
            f"**{bench}** — `{found['command']}`, measured {found['measured_at']}"
            f" on {found['machine']['cpus']} CPUs"
            + (" (quick sizes)" if context.get("quick") else ""),
            "",
            "| figure | measured | baseline (same run) | ratio | target |",
            "| --- | --- | --- | --- | --- |",
        ]
        for figure in found["figures"]:
            baseline = (
                f"{figure['baseline']}: {_number(figure['baseline_value'])}"
                if figure["baseline"]
                else ""
            )
            ratio = f"{figure['ratio']:.3f}" if figure["ratio"] is not None else ""
            target = ""
            if figure["target"]:
                target = f"{figure['target']}: {'met' if figure['met'] else '**missed**'}"
            name = figure["name"] + (f" ({figure['note']})" if figure.get("note") else "")
            out.append(
                f"| {name} | {_number(figure['value'])} {figure['unit']} | {baseline} "
                f"| {ratio} | {target} |"
            )
        out.append("")
    return "\n".join(out)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def with_section(readme: str, made: str) -> str:
    head, rest = readme.split(START_MARKER, 1)
    _, tail = rest.split(END_MARKER, 1)
    return f"{head}{START_MARKER}\n{made}{END_MARKER}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    readme = README.read_text()
    wanted = with_section(readme, section(json.loads(args.results.read_text())))
    if args.check:
        sys.exit(0 if wanted == readme else 1)
    README.write_text(wanted)


if __name__ == "__main__":
    main()
