"""Benchmark a pathological export: nothing may be quadratic, and huge cells are refused cheaply.

Usage:
    python benchmarks/bench_hostile.py             # every case, four doubling sizes each
    python benchmarks/bench_hostile.py --scale 2   # sizes twice as large

Each case writes an export whose size doubles from step to step and loads it in a fresh
interpreter (`casecheck validate`'s path: config, then every table), reporting the seconds and
the peak resident memory above the interpreter's. Linear cost shows as a time ratio near 2
from one step to the next; a quadratic one as a ratio near 4. The cases:

- quoted cell: one quoted value of 16, 32, 64, 128 MB (refused by the scan, before reading)
- long line: one line of as many bytes of short values (refused by the scan)
- columns: a header of N extra columns, 200 rows
- quotes: rows whose every cell is quoted with escaped quotes inside ("a""b")
- bad values: rows whose dates are all distinct and all wrong (one input problem each)
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PERSONS = "PERSON_ID,DATE_OF_BIRTH\n"


def quoted_cell(folder: Path, n: int) -> str:
    size = n << 20
    with (folder / "persons.csv").open("w") as out:
        out.write(PERSONS + "C1,2010-01-01\n" + 'C2,"')
        out.write(("x" * 1023 + "\n") * (size // 1024))
        out.write('"\n')
    return f"{n} MB cell"


def long_line(folder: Path, n: int) -> str:
    size = n << 20
    with (folder / "persons.csv").open("w") as out:
        out.write(PERSONS + "C1,2010-01-01\n")
        out.write("a," * (size // 2) + "\n")
    return f"{n} MB line"


def columns(folder: Path, n: int) -> str:
    count = 1000 * n
    extra = [f"EXTRA_{i}" for i in range(count)]
    rows = [",".join([f"C{r}", "2010-01-01", *(["v"] * count)]) for r in range(200)]
    (folder / "persons.csv").write_text(
        ",".join(["PERSON_ID", "DATE_OF_BIRTH", *extra]) + "\n" + "\n".join(rows) + "\n"
    )
    return f"{count} columns"


def quotes(folder: Path, n: int) -> str:
    count = 50_000 * n
    row = '"C{0}","2010-01-01","a""b""c","""q""",""""\n'
    (folder / "persons.csv").write_text(
        "PERSON_ID,DATE_OF_BIRTH,GENDER,ETHNICITY,EXTRA\n"
        + "".join(row.format(i) for i in range(count))
    )
    return f"{count} rows"


def bad_values(folder: Path, n: int) -> str:
    count = 50_000 * n
    (folder / "persons.csv").write_text(
        PERSONS + "".join(f"C{i},{i % 97}/{13 + i % 50}/{2000 + i}\n" for i in range(count))
    )
    return f"{count} rows"


CASES: dict[str, Callable[[Path, int], str]] = {
    "quoted cell": quoted_cell,
    "long line": long_line,
    "columns": columns,
    "quotes": quotes,
    "bad values": bad_values,
}


def measure(folder: Path) -> None:
    """In a fresh interpreter: load the export, print seconds, peak MB and the outcome."""
    from casecheck.errors import CasecheckError
    from casecheck.export.config import load_config
    from casecheck.export.load import load_export

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    try:
        export = load_export(folder, load_config(folder))
        outcome = f"read, {len(export.problems)} problems"
    except CasecheckError as exc:
        outcome = f"refused: {exc.what[:60]}"
    seconds = time.perf_counter() - began
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"{seconds:.3f}\t{peak:.0f}\t{outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="multiply every size by this")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    print(f"{'case':<12} {'size':>14} {'seconds':>8} {'ratio':>6} {'peak MB':>8}  outcome")
    for name, build in CASES.items():
        previous = None
        for step in (1, 2, 4, 8):
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                factor = {"quoted cell": 16, "long line": 16}.get(name, 1)
                size = build(folder, factor * step * args.scale)
                out = subprocess.run(
                    [sys.executable, __file__, "--measure", str(folder)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
            seconds_text, peak, outcome = out.split("\t")
            seconds = float(seconds_text)
            ratio = f"{seconds / previous:.2f}" if previous else ""
            previous = seconds
            print(f"{name:<12} {size:>14} {seconds:>8.3f} {ratio:>6} {peak:>8}  {outcome}")


if __name__ == "__main__":
    main()
