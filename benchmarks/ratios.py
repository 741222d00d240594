"""Speed and memory of a whole run, as ratios against pyarrow only reading the same CSVs.

    python benchmarks/ratios.py --children 20000 [--children 100000] [--keep DIR] [--repeat 3]

For each size it generates (or reuses, with --keep) a synthetic export and measures, each in a
fresh process and in the same run, so that a busy machine slows them alike:
- `read`: pyarrow.csv reading every CSV of the export (the baseline, 1.00x);
- `check --format json` and `check` with every file format, as a user runs them;
- peak memory (RSS) of each, also as a multiple of the export's CSV bytes;
- the CLI's own start-up, as a user sees it: `casecheck --help`, `casecheck rules list` and
  `casecheck rules explain cla-visits` (from their cache, and with it off), run by the
  `casecheck` command beside this Python, wall and CPU time. With bytecode, as an installed
  casecheck runs (pip compiles it when it installs): the bytecode goes to a temporary
  PYTHONPYCACHEPREFIX, made by one run first, so nothing is written into the checkout (and
  the rules commands' cache to a temporary folder, not the user's). Also without it, as a
  checkout runs when PYTHONDONTWRITEBYTECODE is set (it recompiles casecheck's modules every
  time);
- per-phase times of one in-process run: load, rules, and each report format.
The best of --repeat runs is kept for times. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

AS_OF = "2026-03-31"
FORMATS = ("json", "csv", "xlsx", "html", "junit")

# Runs one command in a child process and prints its wall time and peak RSS as JSON. A fresh
# launcher per command, so RUSAGE_CHILDREN holds that one command's peak and nothing else.
LAUNCHER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
used = resource.getrusage(resource.RUSAGE_CHILDREN)
peak, cpu = used.ru_maxrss / 1024, used.ru_utime + used.ru_stime
print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": peak, "code": code}))
"""

READ_ONLY = """
import sys
from pathlib import Path
import pyarrow as pa, pyarrow.csv as pacsv
for path in sorted(Path(sys.argv[1]).glob("*.csv")):
    names = path.open(encoding="utf-8").readline().rstrip("\\r\\n").split(",")
    pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.large_string())))
"""


def measure(command: list[str], repeat: int, env: dict[str, str] | None = None) -> dict[str, float]:
    """Best wall and CPU time and highest peak RSS of `command` over `repeat` fresh runs."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", LAUNCHER, *command],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        runs.append(json.loads(out.stdout))
    if any(r["code"] not in (0, 1) for r in runs):
        raise SystemExit(f"{' '.join(command)} failed with exit {runs[0]['code']}")
    return {
        "wall": min(r["wall"] for r in runs),
        "cpu": min(r["cpu"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
    }


def phases(folder: Path) -> dict[str, float]:
    """Seconds per phase of one in-process run: load, rules, and each report format."""
    import datetime as dt

    from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
    from casecheck.engine.run import run_rules
    from casecheck.export.config import load_config
    from casecheck.export.load import load_export
    from casecheck.report.formats import REPORTERS

    out: dict[str, float] = {}
    start = time.perf_counter()
    config = load_config(folder)
    export = load_export(folder, config)
    out["load"] = time.perf_counter() - start
    start = time.perf_counter()
    rules = load_rules(DEFAULT_RULES, config)
    result = run_rules(export, rules, dt.date.fromisoformat(AS_OF))
    out["rules"] = time.perf_counter() - start
    for fmt in FORMATS:
        start = time.perf_counter()
        rendered = REPORTERS[fmt].render(result)
        if not isinstance(rendered, str | bytes):  # chunks (JUnit): made as they are read
            for _ in rendered:
                pass
        out[f"report {fmt}"] = time.perf_counter() - start
    return out


def bench(children: int, keep: Path | None, repeat: int) -> dict[str, Any]:
    folder = (keep or Path(tempfile.mkdtemp())) / f"export-{children}"
    casecheck = [sys.executable, "-m", "casecheck"]
    if not (folder / "persons.csv").exists():
        subprocess.run(
            [*casecheck, "generate", "--out", str(folder), "--children", str(children)],
            check=True,
            capture_output=True,
        )
    csv_mb = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
    out_dir = Path(tempfile.mkdtemp())
    check = [*casecheck, "check", str(folder), "--as-of", AS_OF, "--fail-on", "never"]
    every = [arg for fmt in FORMATS for arg in ("--format", fmt)]
    results = {
        "read": measure([sys.executable, "-c", READ_ONLY, str(folder)], repeat),
        "check json": measure(
            [*check, "--format", "json", "--output", str(out_dir / "r.json")], repeat
        ),
        "check all formats": measure([*check, *every, "--output", str(out_dir / "all")], repeat),
    }
    return {"children": children, "csv_mb": csv_mb, "runs": results, "phases": phases(folder)}


# The rules commands answer from their cache (casecheck/listing.py) after the first run; the
# rows "cache off" read and validate every rule file each time, as a first run or a run after a
# rule file changed does.
STARTUP: dict[str, tuple[list[str], dict[str, str]]] = {
    "casecheck --help": (["--help"], {}),
    "casecheck rules list": (["rules", "list"], {}),
    "casecheck rules explain cla-visits": (["rules", "explain", "cla-visits"], {}),
    "casecheck rules list, cache off": (["rules", "list"], {"CASECHECK_NO_CACHE": "1"}),
    "casecheck rules explain cla-visits, cache off": (
        ["rules", "explain", "cla-visits"],
        {"CASECHECK_NO_CACHE": "1"},
    ),
}


def startup(repeat: int) -> dict[str, dict[str, float]]:
    """Wall and CPU seconds of each command, with bytecode (as installed) and without."""
    script = Path(sys.executable).with_name("casecheck")
    casecheck = [str(script)] if script.exists() else [sys.executable, "-m", "casecheck"]
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as listings:
        mine = {k: v for k, v in os.environ.items() if k != "CASECHECK_NO_CACHE"}
        mine["CASECHECK_CACHE_DIR"] = listings  # not the user's cache folder
        compiled = {k: v for k, v in mine.items() if k != "PYTHONDONTWRITEBYTECODE"}
        compiled["PYTHONPYCACHEPREFIX"] = cache
        recompiled = {k: v for k, v in mine.items() if k != "PYTHONPYCACHEPREFIX"}
        recompiled["PYTHONDONTWRITEBYTECODE"] = "1"
        for name, (args, env) in STARTUP.items():
            # The first run writes the bytecode (and the rules commands' cache entry).
            measure([*casecheck, *args], 1, compiled | env)
            best = measure([*casecheck, *args], repeat, compiled | env)
            fresh = measure([*casecheck, *args], repeat, recompiled | env)
            out[name] = {
                "wall": best["wall"],
                "cpu": best["cpu"],
                "wall_no_bytecode": fresh["wall"],
                "cpu_no_bytecode": fresh["cpu"],
            }
    return out


def table(rows: list[dict[str, Any]], start: dict[str, dict[str, float]]) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, "
        f"Python {platform.python_version()}, as of {AS_OF}",
        "",
        "| children | CSV | pyarrow reads the CSVs | check --format json | all formats "
        "| peak RSS (json) | peak RSS (all) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        runs = row["runs"]
        read = runs["read"]["wall"]
        js, every = runs["check json"], runs["check all formats"]
        lines.append(
            f"| {row['children']:,} | {row['csv_mb']:.0f} MB | {read:.2f} s "
            f"| {js['wall']:.1f} s ({js['wall'] / read:.1f}x) "
            f"| {every['wall']:.1f} s ({every['wall'] / read:.1f}x; "
            f"{every['wall'] / js['wall']:.2f}x json) "
            f"| {js['peak_mb']:.0f} MB ({js['peak_mb'] / row['csv_mb']:.1f}x CSV) "
            f"| {every['peak_mb']:.0f} MB ({every['peak_mb'] / row['csv_mb']:.1f}x CSV) |"
        )
    lines += ["", "Phases of one in-process run (seconds):", ""]
    names = list(rows[0]["phases"])
    lines.append("| children | " + " | ".join(names) + " |")
    lines.append("|---" * (len(names) + 1) + "|")
    for row in rows:
        cells = " | ".join(f"{row['phases'][n]:.2f}" for n in names)
        lines.append(f"| {row['children']:,} | {cells} |")
    lines += [
        "",
        "Start-up (best of the runs; with bytecode, as installed; then recompiling casecheck):",
        "",
        "| command | wall | CPU | wall, no bytecode | CPU, no bytecode |",
        "|---|---|---|---|---|",
        *(
            f"| `{name}` | {t['wall']:.2f} s | {t['cpu']:.2f} s | {t['wall_no_bytecode']:.2f} s "
            f"| {t['cpu_no_bytecode']:.2f} s |"
            for name, t in start.items()
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, action="append", help="repeat for several")
    parser.add_argument("--keep", type=Path, help="generate exports into (and reuse from) DIR")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (best kept)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    rows = [bench(n, args.keep, args.repeat) for n in args.children or [5000]]
    start = startup(max(args.repeat, 3))
    print(table(rows, start))
    if args.json:
        args.json.write_text(json.dumps({"sizes": rows, "startup": start}, indent=2) + "\n")


if __name__ == "__main__":
    main()
