"""Benchmark loading an export: the whole read path and the raw CSV read with each engine.

Usage:
    python benchmarks/bench_load.py --rows 1000000            # case notes rows (persons: rows / 20)
    python benchmarks/bench_load.py --rows 5000000 --keep DIR  # keep the generated export in DIR
    python benchmarks/bench_load.py --rows 1000000 --profile   # also profile load_export

Each measurement runs in a fresh interpreter so that its peak memory (ru_maxrss) is its own;
"peak MB" is the high-water mark of the resident set minus the interpreter after imports.
The script also checks that the C and pyarrow engines give identical strings, on the big file
and on a small file made of awkward cases (blank cells, leading zeros, quoted commas and
newlines, blank lines, Windows-1252).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

NOTE_TYPES = [
    "Case Supervision",
    "Home Visit",
    '"Visit, statutory"',  # a quoted comma, as Mosaic writes it
    "Management Oversight",
    "Telephone Call",
    "Chronology",
]
STATUSES = ["COMPLETE", "Draft", "complete", ""]


def _ids(numbers: np.ndarray, width: int, prefix: str = "") -> pa.Array:
    text = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "") if prefix else text


def _dates(rng: np.random.Generator, n: int, fmt: str, start: str, days: int) -> pa.Array:
    seconds = rng.integers(0, days * 86400, n)
    base = np.datetime64(start, "s")
    return pc.strftime(pa.array(base + seconds.astype("timedelta64[s]")), format=fmt)


def _write(path: Path, header: list[str], columns: list[pa.Array]) -> None:
    """Write rows by joining pre-formatted cells: values are quoted only where needed."""
    lines = pc.binary_join_element_wise(*columns, ",")
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(header) + "\r\n")
        chunk = 500_000
        for start in range(0, len(lines), chunk):
            out.write("\r\n".join(lines[start : start + chunk].to_pylist()) + "\r\n")


def generate(folder: Path, rows: int, persons: int, seed: int = 1) -> None:
    """persons.csv and case_notes.csv in the contract, with realistic mess (mixed case, blanks)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    person_numbers = np.arange(1, persons + 1)
    _write(
        folder / "persons.csv",
        ["PERSON_ID", "DATE_OF_BIRTH", "GENDER", "ETHNICITY", "AGE_ESTIMATED", "UASC"],
        [
            _ids(person_numbers, 7),
            _dates(rng, persons, "%d/%m/%Y", "2005-01-01", 18 * 365),
            pa.array(rng.choice(["F", "M", ""], persons)),
            pa.array(rng.choice(["WBRI", "ABAN", "MWBC", ""], persons)),
            pa.array(rng.choice(["Y", "N", "", "yes"], persons)),
            pa.array(rng.choice(["N", "n", "0", "True"], persons)),
        ],
    )
    _write(
        folder / "case_notes.csv",
        [
            "CASE_NOTE_ID",
            "PERSON_ID",
            "NOTE_TYPE",
            "CONTACT_DATE",
            "CREATED_ON",
            "CREATED_BY",
            "STATUS",
        ],
        [
            _ids(np.arange(1, rows + 1), 9, "CN"),
            _ids(rng.integers(1, persons + 1, rows), 7),
            pa.array(rng.choice(NOTE_TYPES, rows)),
            _dates(rng, rows, "%d/%m/%Y", "2022-01-01", 3 * 365),
            _dates(rng, rows, "%Y-%m-%d %H:%M:%S", "2022-01-01", 3 * 365),
            _ids(rng.integers(1, 500, rows), 5, "W"),
            pa.array(rng.choice(STATUSES, rows)),
        ],
    )


# --- the measured reads -------------------------------------------------------------------


def read_c(path: Path) -> pd.DataFrame:
    """pandas' C engine, every cell a string, blank lines kept."""
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
    )


def read_c_text(path: Path) -> pd.DataFrame:
    """What casecheck did before: decode the bytes in Python, parse the text with the C engine."""
    text = path.read_bytes().decode("utf-8")
    return pd.read_csv(
        io.StringIO(text),
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
        quoting=csv.QUOTE_MINIMAL,
    )


def read_pandas_pyarrow(path: Path) -> pd.DataFrame:
    """pandas with engine="pyarrow"."""
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        engine="pyarrow",
    )


def read_arrow(path: Path) -> pd.DataFrame:
    """pyarrow.csv directly, every column a string, then to pandas."""
    with path.open("rb") as stream:
        header = next(csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")))
    table = pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    frame: pd.DataFrame = table.to_pandas()
    return frame


def read_casecheck_raw(path: Path) -> pd.DataFrame:
    """casecheck.export.reading's raw parse (whichever engine it uses now), before typing."""
    from casecheck.export.reading import parse_csv_bytes

    return parse_csv_bytes(path.read_bytes(), path.name)[0]


def load_casecheck(folder: Path) -> Any:
    from casecheck.export.config import load_config
    from casecheck.export.load import load_export

    return load_export(folder, load_config(folder))


READS = {
    "pandas c (file)": read_c,
    "pandas c (decoded text)": read_c_text,
    "pandas pyarrow": read_pandas_pyarrow,
    "pyarrow.csv": read_arrow,
    "casecheck raw read": read_casecheck_raw,
}


def _status_mb(field: str) -> float | None:
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    return None


def _reset_peak() -> float:
    """Reset the peak resident set (Linux) and return the current one, in MB.

    ru_maxrss is inherited from the parent across fork and exec, so it would report the
    generator's peak; VmHWM, reset through /proc/self/clear_refs, is this process's own.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return _status_mb("VmRSS") or 0.0


def _peak_mb() -> float:
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(what: str, folder: Path) -> dict[str, Any]:
    """Run one measurement in this (fresh) process."""
    import casecheck.export.load  # noqa: F401 - imported before the baseline, like pandas and pyarrow

    baseline = _reset_peak()
    started = time.perf_counter()
    if what == "load_export":
        export = load_casecheck(folder)
        rows = {name: count.read for name, count in export.counts.items()}
    else:
        frame = READS[what](folder / "case_notes.csv")
        rows = {"case_notes": len(frame)}
    seconds = time.perf_counter() - started
    return {"what": what, "seconds": seconds, "peak_mb": _peak_mb() - baseline, "rows": rows}


def run_measurement(what: str, folder: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--dir", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- correctness checks -------------------------------------------------------------------

AWKWARD = (
    "PERSON_ID,DATE_OF_BIRTH,GENDER,ETHNICITY\r\n"
    "000123,2010-01-05,,WBRI\r\n"
    '000124,05/01/2011 10:30,"Zoë, £5",\r\n'
    "\r\n"
    '000125,2012-02-03,"two\r\nlines",""\r\n'
    ",,,\r\n"
    '"000126",2012-02-03,"say ""hi""",x\r\n'
)


def check_identical(folder: Path) -> list[str]:
    """Compare the engines' strings on the big file and on the awkward sample."""
    from casecheck.export.reading import parse_csv_bytes

    notes: list[str] = []
    big = folder / "case_notes.csv"
    c = read_c(big)
    for name in ("pandas pyarrow", "pyarrow.csv", "casecheck raw read"):
        other = READS[name](big)
        same = c.astype(object).equals(other.astype(object))
        notes.append(
            f"{name} vs pandas c on case_notes.csv: {'identical' if same else 'DIFFERENT'}"
        )
    for encoding in ("utf-8", "utf-8-sig", "cp1252"):
        data = AWKWARD.encode(encoding)
        expected = pd.read_csv(
            io.StringIO(data.decode(encoding)),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
        got, used = parse_csv_bytes(data, "awkward.csv")
        same = expected.astype(object).equals(got.astype(object))
        notes.append(
            f"casecheck raw read ({used}) vs pandas c on the awkward sample in {encoding}: "
            f"{'identical' if same else 'DIFFERENT'}"
        )
    return notes


def profile(folder: Path, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    load_casecheck(folder)
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="case_notes rows")
    parser.add_argument("--persons", type=int, default=None, help="persons rows (rows / 20)")
    parser.add_argument("--keep", type=Path, default=None, help="generate into (and keep) DIR")
    parser.add_argument("--dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="profile load_export")
    parser.add_argument("--top", type=int, default=25, help="profile lines to show")
    args = parser.parse_args()

    if args.measure:
        print(json.dumps(measure(args.measure, args.dir)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "export"
        persons = args.persons or max(args.rows // 20, 1)
        started = time.perf_counter()
        generate(folder, args.rows, persons)
        size = (folder / "case_notes.csv").stat().st_size / 1e6
        print(
            f"generated {args.rows:,} case notes ({size:,.0f} MB) and {persons:,} persons "
            f"in {time.perf_counter() - started:.1f}s\n"
        )
        print(f"{'read':<28}{'seconds':>9}{'peak MB':>10}")
        for what in [*READS, "load_export"]:
            result = run_measurement(what, folder)
            print(f"{what:<28}{result['seconds']:>9.2f}{result['peak_mb']:>10.0f}")
        print()
        for note in check_identical(folder):
            print(note)
        if args.profile:
            print()
            profile(folder, args.top)


if __name__ == "__main__":
    main()
