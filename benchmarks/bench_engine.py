"""Measure a whole `check` (load + rules) on a large synthetic export: seconds and peak memory.

    python benchmarks/bench_engine.py --children 100000 [--export DIR]

A benchmark, not a test: it prints figures for the closing notes and README, it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.engine.run import run_rules
from casecheck.export.config import load_config
from casecheck.export.load import load_export
from casecheck.generate import generate_export


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--export", type=Path, help="an existing export (skips generation)")
    args = parser.parse_args()
    folder = args.export or Path(tempfile.mkdtemp()) / "export"
    if args.export is None:
        start = time.perf_counter()
        generate_export(folder, children=args.children, seed=args.seed)
        print(f"generate {args.children} children: {time.perf_counter() - start:.1f} s")
    config = load_config(folder)
    start = time.perf_counter()
    export = load_export(folder, config)
    loaded = time.perf_counter() - start
    rows = sum(c.read for c in export.counts.values())
    print(f"load {rows:,} rows: {loaded:.1f} s")
    rules = load_rules(DEFAULT_RULES, config)
    start = time.perf_counter()
    result = run_rules(export, rules, dt.date(2026, 10, 30))
    ran = time.perf_counter() - start
    print(f"run {len(rules)} rules: {ran:.1f} s, {len(result.findings):,} exceptions")
    for outcome in result.outcomes:
        print(f"  {outcome.rule.id}: {outcome.status} {outcome.reason}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
