"""A mutation fuzzer: damaged exports, configs, rule files and options through the real CLI.

Each example builds a tiny export (a few rows per table), damages it in one way (its "kind",
counted with hypothesis.event), runs `casecheck.cli.main` in-process and checks every promise
the README makes ("What casecheck promises"): an exit code in {0, 1, 2}, no traceback, an
`error:` line naming the file or option on exit 2, rows read = used + set aside, no free-text
marker in any output, formula-safe CSV cells as a CSV reader splits them, well-formed XLSX,
JUnit and HTML, byte-identical reruns and the same result when rows are shuffled.

The short profile (a few dozen examples, fixed seed) runs with the suite; the long one:

    CASECHECK_FUZZ=long pytest tests/test_fuzz.py --hypothesis-show-statistics
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import shutil
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import VALID_ROWS
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from casecheck.cli import main
from casecheck.export.schema import TABLES, Kind
from casecheck.report.results import RESULTS_SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
# Most examples run a few rules, one of each check kind (the engine's cost is per rule); one
# in four runs the whole pack.
FEW_RULES = (
    "cla-visits",  # evidence_per_event and evidence_recurring
    "placement-plan-per-move",  # evidence_per_event on placement moves
    "case-notes-timely",  # records
    "return-home-interview",  # records with a required field
    "placement-stability",  # threshold
    "telephone-main-contact",  # share
)

# No shrinking: each example runs the CLI several times, so shrinking a failure takes many
# minutes; the failing example is reported as drawn, with every draw labelled.
_COMMON = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "database": None,
    "phases": [Phase.explicit, Phase.generate],
}
settings.register_profile("casecheck-fuzz-short", max_examples=10, derandomize=True, **_COMMON)
settings.register_profile("casecheck-fuzz-long", max_examples=1000, **_COMMON)
LONG = os.environ.get("CASECHECK_FUZZ", "short") == "long"
PROFILE = settings.get_profile("casecheck-fuzz-long" if LONG else "casecheck-fuzz-short")


# One example in N also runs `check` (ten times the cost of `validate` or `rules list`): the
# long profile runs it less often, to reach thousands of examples in under an hour.
ODDS = (
    {"report": 12, "reader": 30, "config": 20, "rules": 8}
    if LONG
    else {"report": 3, "reader": 8, "config": 6, "rules": 3}
)


def examples(short: int, long: int) -> settings:
    """The profile, with this test's number of examples."""
    return settings(PROFILE, max_examples=long if LONG else short)


MARKER = "ZQXFREETEXT"  # planted in every free-text cell: must never appear in any output
TAG = "zqxtag"  # an HTML tag planted in text: must never reach the HTML report as a tag
FREE_COLUMNS = {
    name: [c.name for c in table.columns if c.kind is Kind.FREE_TEXT]
    for name, table in TABLES.items()
}
TEXT_COLUMNS = {
    name: [c.name for c in table.columns if c.kind in (Kind.TEXT, Kind.ID)]
    for name, table in TABLES.items()
}
PLAIN_TEXT_COLUMNS = {  # not ids: a repeated id makes the first row win, which is order
    name: [c.name for c in table.columns if c.kind is Kind.TEXT] for name, table in TABLES.items()
}
DATE_COLUMNS = {name: list(table.date_columns) for name, table in TABLES.items()}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
AS_OF = "2024-06-01"
FILES = [t.file for t in TABLES.values()]


# --- running the CLI -------------------------------------------------------------------------
@dataclass
class Run:
    args: list[str]
    code: int
    out: str
    err: str


def run(*args: str | Path) -> Run:
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code
    assert isinstance(code, int), f"exit code {code!r}"
    return Run(argv, code, out.getvalue(), err.getvalue())


@dataclass
class Case:
    """One example's folder, what was done to it, and the names an error may give as its place."""

    root: Path
    kind: str
    places: set[str] = field(default_factory=set)
    structure_intact: bool = True  # rows and columns as written (no byte or header damage)
    rows_written: dict[str, int] = field(default_factory=dict)

    @property
    def export(self) -> Path:
        return self.root / "export"


# CASECHECK_FUZZ_LOG=FILE appends one JSON line per example (its events and outcome), so a
# long run can be counted as it goes, and even if it is stopped.
LOG = os.environ.get("CASECHECK_FUZZ_LOG")
_NOTES: list[str] = []


def note(text: str) -> None:
    """A hypothesis event (counted by --hypothesis-show-statistics), kept for the log too."""
    event(text)
    _NOTES.append(text)


@contextmanager
def case(kind: str) -> Iterator[Case]:
    root = Path(tempfile.mkdtemp(prefix="casecheck-fuzz-"))
    _NOTES.clear()
    note(f"kind: {kind}")
    outcome = "passed"
    try:
        yield Case(root=root, kind=kind, places={str(root), *FILES, "casecheck.yaml"})
    except BaseException as exc:
        outcome = f"failed: {type(exc).__name__}: {str(exc)[:500]}"
        raise
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if LOG:
            with open(LOG, "a", encoding="utf-8") as log:
                log.write(json.dumps({"events": _NOTES, "outcome": outcome}) + "\n")


# --- the promises ----------------------------------------------------------------------------
def promises(result: Run, c: Case) -> None:
    """What every run promises, whatever the input."""
    where = f"casecheck {' '.join(result.args)}\nstderr: {result.err[-2000:]}"
    assert result.code in (0, 1, 2), where
    note(f"exit: {result.code}")
    for text in (result.out, result.err):
        assert "Traceback" not in text, where
        assert "internal error" not in text, where
    if result.code == 2:
        first = result.err.strip().splitlines()[0] if result.err.strip() else ""
        if first.startswith("error: "):
            named = first.removeprefix("error: ")
            assert any(place in named.split(": ")[0] for place in c.places), where
            note("exit 2: casecheck error")
        else:  # click's own: "Error: Invalid value for '--as-of': ..."
            assert "Error:" in result.err and ("'--" in result.err or "'" in result.err), where
            note("exit 2: usage error")
    if c.structure_intact:
        assert MARKER not in result.out + result.err, where


def accounting(document: dict[str, Any], c: Case) -> None:
    """Rows read = used + set aside; with the structure intact, every row written was read."""
    for name, table in document.items():
        kept_out = table["set_aside"] + table.get("filtered", 0)  # filtered: issue 7's row filters
        assert table["read"] == table["used"] + kept_out, (name, table)
        if c.structure_intact and name in c.rows_written:
            assert table["read"] == c.rows_written[name], (name, table, c.rows_written)


def validate(c: Case, *extra: str | Path) -> Run:
    result = run("validate", c.export, "--format", "json", *extra)
    promises(result, c)
    if result.code in (0, 1):
        document = json.loads(result.out)
        accounting(document["tables"], c)
        if c.structure_intact:
            assert MARKER not in result.out
    return result


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.add(tag)


def outputs_keep_their_promises(folder: Path, c: Case) -> dict[str, bytes]:
    """Every file written: parsed as its format, free of the marker and of live formulas."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    for name, data in files.items():
        if name.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                text = "".join(archive.read(n).decode("utf-8") for n in archive.namelist())
            book = openpyxl.load_workbook(io.BytesIO(data))  # well-formed, or it raises
            for sheet in book.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
        else:
            text = data.decode("utf-8")
        if c.structure_intact:
            assert MARKER not in text, name
        if name.endswith(".csv"):
            records = list(csv.reader(io.StringIO(text, newline="")))
            width = len(records[0])
            for record in records:
                assert len(record) == width, record
                for cell in record:
                    assert not cell.startswith(FORMULA_START), (name, record)
        elif name.endswith(".xml"):
            ET.fromstring(data)  # well-formed, or it raises
        elif name.endswith(".html"):
            parser = _Tags()
            parser.feed(text)
            parser.close()
            assert TAG not in parser.tags
        elif name.endswith(".json"):
            document = json.loads(text)
            accounting(document["export"]["tables"], c)
            errored = [r["rule_id"] for r in document["rules"] if r["status"] == "errored"]
            # A rule file that validation accepts is one the engine can run: a damaged rule
            # is refused with exit 2 before anything runs, never an errored rule.
            assert errored == [], (errored, document["rules"])
    return files


ALL_FORMATS = ("json", "csv", "xlsx", "html", "junit")


def check(c: Case, rules: Path, *extra: str | Path, out: str = "out") -> Run:
    """`casecheck check` writing every format to a folder, and the promises on each file."""
    folder = c.root / out
    args: list[str | Path] = ["check", c.export, "--rules", rules, "--output", folder]
    for fmt in ALL_FORMATS:
        args += ["--format", fmt]
    if "--as-of" not in extra:
        args += ["--as-of", AS_OF]
    result = run(*args, *extra)
    promises(result, c)
    if result.code in (0, 1):
        outputs_keep_their_promises(folder, c)
    return result


@pytest.fixture(scope="module")
def rule_sets() -> dict[str, Path]:
    root = Path(tempfile.mkdtemp(prefix="casecheck-fuzz-rules-"))
    few = root / "few"
    few.mkdir()
    for rule_id in FEW_RULES:
        shutil.copy(RULES / f"{rule_id}.yaml", few)
    yield {"few": few, "all": RULES}
    shutil.rmtree(root, ignore_errors=True)


def pick_rules(data: st.DataObject, rule_sets: dict[str, Path]) -> Path:
    which = "all" if data.draw(st.integers(0, 3), label="rules") == 0 else "few"
    note(f"rule pack: {which}")
    return rule_sets[which]


# --- a tiny export ---------------------------------------------------------------------------
def _parse(text: str) -> dt.datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    raise ValueError(text)


DATE_STYLES = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S")

Rows = dict[str, list[dict[str, str]]]


@st.composite
def exports(draw: st.DrawFn, every_table: bool = False) -> Rows:
    """Two or three children, none to two rows each in persons and one to three other tables
    (or every table), dates moved a little: small, so that an example is quick."""
    others = [t for t in TABLES if t != "persons"]
    chosen = (
        others
        if every_table
        else draw(
            st.lists(st.sampled_from(others), min_size=1, max_size=3, unique=True), label="tables"
        )
    )
    ids = draw(
        st.lists(
            st.sampled_from(["000123", "P1", "p2", "0042", "C-7", "12345678901234567890"]),
            min_size=2,
            max_size=3,
            unique=True,
        )
    )
    teams = ["Looked After Team", "Children in Care 1"]
    tables: Rows = {}
    for name in ["persons", *(t for t in TABLES if t in chosen)]:
        style = draw(st.sampled_from(DATE_STYLES))
        rows = []
        for n, person in enumerate(ids):
            count = 1 if name == "persons" else draw(st.integers(0, 2))
            for k in range(count):
                row = dict(VALID_ROWS[name])
                row["PERSON_ID"] = person
                key = TABLES[name].key
                if key and key != "PERSON_ID":
                    row[key] = f"{row[key]}-{n}-{k}"
                shift = dt.timedelta(days=draw(st.integers(-300, 90)) - 200 * k)
                for column in DATE_COLUMNS[name]:
                    if row[column]:
                        row[column] = (_parse(row[column]) + shift).strftime(style)
                if "TEAM_NAME" in row:
                    row["TEAM_NAME"] = teams[n % 2]
                for column in FREE_COLUMNS[name]:
                    row[column] = f"{MARKER} note {n}"
                rows.append(row)
        tables[name] = rows
    return tables


def write(c: Case, tables: Rows, newline: str = "\n") -> None:
    c.export.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        header = list(VALID_ROWS[name])
        buffer = io.StringIO()
        # csv quotes a value holding a character of its line ending only: with "\n" endings
        # a bare CR would go unquoted, and every reader takes it as a line break.
        quoting = csv.QUOTE_MINIMAL if newline == "\r\n" else csv.QUOTE_ALL
        writer = csv.writer(buffer, lineterminator=newline, quoting=quoting)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(col, "") for col in header])
        (c.export / TABLES[name].file).write_text(buffer.getvalue(), encoding="utf-8", newline="")
        c.rows_written[name] = len(rows)


# --- mutations of an export ------------------------------------------------------------------
ODD_DATES = [
    "31/02/2024", "2024-13-01", "0000-00-00", "1899-12-31", "1900-01-01", "2089-12-31",
    "2090-01-01", "2099-12-31", "2100-01-01", "9999-12-31", "1700-06-01", "2261-06-01",
    "1677-09-21", "29/02/2023",
    "29/02/2024", "2024-01-01T25:00", "2024-01-01 23:59:59", "NULL", "1e5", "-1", "2024/01/01",
    "\uff12\uff10\uff12\uff14-01-01", " 2024-01-01 ", "01/01/1900", "1/1/2024", "2024-1-1",
    "31/12/2089 23:59", "00/00/0000", "12/31/2024", "2024-02-30 00:00", "",
]  # fmt: skip
ODD_IDS = [
    "", " ", "000123", "0", "nan", "NaN", "NULL", "None", "1.0", "=1+1", "+44", "-1", "@x",
    "P1\u00a0", "\u2028", "P1\r\n=2", "x" * 5000, "[/]", "[bold]x", f"<{TAG}>", "Zoë", "\ufeffP1",
]  # fmt: skip
INJECTED = [
    "Team A\r=1+1", "Team A\n=1+1", "Team\r\n@SUM(A1)", "=HYPERLINK(\"http://x\")", "+1", "-1",
    "@cmd", "\tTab", "\rCR", "ctrl\x01\x02\x07\x1b[31m", "bell\x7f", "\ufffe", "\uffff",
    "nonchar\ufdd0", "sep\u2028line", "[/]", "[bold red]x[/]", "[link=http://x]y[/link]",
    f"<{TAG}>x</{TAG}>", "<script>alert(1)</script>", "&amp;&lt;", '"quoted"', "a,b", "'",
    "\\", "%s%n", "{0}", "x" * 3000, "Zoë Ångström 中文 😀", "\u202eevil",
]  # fmt: skip


def mutate_cells(
    data: st.DataObject, tables: Rows, columns: dict[str, list[str]], values: list[str]
) -> None:
    """Put drawn odd values into a few drawn cells of the given columns."""
    candidates = [t for t in tables if columns[t] and tables[t]]
    if not candidates:
        note("no cell to damage")
        return
    for _ in range(data.draw(st.integers(1, 4), label="cells")):
        name = data.draw(st.sampled_from(candidates))
        row = data.draw(st.sampled_from(tables[name]))
        column = data.draw(st.sampled_from(columns[name]))
        row[column] = data.draw(st.sampled_from(values) | st.text(max_size=20), label="value")


def present(c: Case) -> list[str]:
    return sorted(p.name for p in c.export.iterdir() if p.suffix == ".csv")


def damage_bytes(data: st.DataObject, c: Case) -> None:
    file = c.export / data.draw(st.sampled_from(present(c)), label="file")
    raw = bytearray(file.read_bytes())
    for _ in range(data.draw(st.integers(1, 6), label="edits")):
        at = data.draw(st.integers(0, len(raw)), label="at")
        op = data.draw(st.sampled_from(["insert", "delete", "replace"]), label="op")
        chunk = data.draw(
            st.sampled_from([b'"', b",", b"\n", b"\r", b"\x00", b"\xff", b"\xfe\xff", b'""'])
            | st.binary(min_size=1, max_size=4),
            label="bytes",
        )
        if op == "insert":
            raw[at:at] = chunk
        elif op == "delete":
            del raw[at : at + len(chunk)]
        else:
            raw[at : at + len(chunk)] = chunk
    file.write_bytes(bytes(raw))


def damage_header(data: st.DataObject, c: Case) -> None:
    file = c.export / data.draw(st.sampled_from(present(c)), label="file")
    text = file.read_text(encoding="utf-8")
    head, _, body = text.partition("\n")
    cells = head.split(",")
    op = data.draw(
        st.sampled_from(["drop", "duplicate", "blank", "case", "space", "swap", "extra", "none"]),
        label="header op",
    )
    note(f"header: {op}")
    i = data.draw(st.integers(0, len(cells) - 1), label="column")
    if op == "drop":
        del cells[i]
    elif op == "duplicate":
        cells.append(cells[i])
    elif op == "blank":
        cells[i] = ""
    elif op == "case":
        cells[i] = cells[i].lower()
    elif op == "space":
        cells[i] = f"  {cells[i]} "
    elif op == "swap":
        j = data.draw(st.integers(0, len(cells) - 1), label="other")
        cells[i], cells[j] = cells[j], cells[i]
    elif op == "extra":
        cells.append(data.draw(st.sampled_from(["EXTRA", "PERSON_ID", "[/]", "=1+1", ""])))
    if op == "none":
        file.write_text(body, encoding="utf-8")
    else:
        file.write_text(",".join(cells) + "\n" + body, encoding="utf-8")


def damage_encoding(data: st.DataObject, c: Case) -> None:
    file = c.export / data.draw(st.sampled_from(present(c)), label="file")
    text = file.read_text(encoding="utf-8").replace("Sam", "Zoë").replace("Team", "Équipe")
    how = data.draw(
        st.sampled_from(["utf-8-sig", "cp1252", "utf-16", "utf-16-le", "latin-1 0x81", "mixed"]),
        label="encoding",
    )
    note(f"encoding: {how}")
    if how == "latin-1 0x81":
        file.write_bytes(text.encode("cp1252") + b"x\x81y\n")
    elif how == "mixed":
        file.write_bytes(text.encode("utf-8") + "Zoë,\n".encode("cp1252"))
    else:
        file.write_bytes(text.encode(how))


def replace_file(data: st.DataObject, c: Case) -> str:
    name = data.draw(st.sampled_from(present(c)), label="file")
    path = c.export / name
    path.unlink()
    how = data.draw(
        st.sampled_from(["folder", "fifo", "dangling", "loop", "empty", "device", "link"]),
        label="replaced by",
    )
    note(f"file: {how}")
    if how == "folder":
        path.mkdir()
    elif how == "fifo":
        os.mkfifo(path)
    elif how == "dangling":
        path.symlink_to(c.export / "nowhere.csv")
    elif how == "loop":
        path.symlink_to(path)
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "device":
        path.symlink_to("/dev/null")
    else:  # a good link to a good file
        target = c.root / "elsewhere.csv"
        target.write_text(",".join(VALID_ROWS["persons"]) + "\n")
        path.symlink_to(target)
    return how


EXPORT_KINDS = ["bytes", "header", "encoding", "dates", "ids", "text", "free_text", "long", "file"]


@examples(short=20, long=3600)
@given(data=st.data())
def test_fuzz_export(data: st.DataObject, rule_sets: dict[str, Path]) -> None:
    """A damaged export: every promise holds, whatever the damage."""
    kind = data.draw(st.sampled_from(EXPORT_KINDS), label="kind")
    tables = data.draw(exports(), label="export")
    if kind == "free_text" and not any(FREE_COLUMNS[t] and tables[t] for t in tables):
        tables.update(data.draw(exports(every_table=True), label="every table"))
    with case(kind) as c:
        if kind == "dates":
            mutate_cells(data, tables, DATE_COLUMNS, ODD_DATES)
        elif kind == "ids":
            id_columns = {
                n: [col.name for col in t.columns if col.kind is Kind.ID] for n, t in TABLES.items()
            }
            mutate_cells(data, tables, id_columns, ODD_IDS)
        elif kind == "text":
            mutate_cells(data, tables, TEXT_COLUMNS, INJECTED)
        elif kind == "free_text":
            free = [MARKER + v for v in INJECTED] + [v + MARKER for v in INJECTED]
            mutate_cells(data, tables, FREE_COLUMNS, free)
        elif kind == "long":
            size = data.draw(st.sampled_from([10_000, 500_000, (1 << 20) + 1]), label="size")
            note(f"long: {size}")
            mutate_cells(data, tables, TEXT_COLUMNS, ["v" * size, "=" + "w" * size])
        write(c, tables, newline=data.draw(st.sampled_from(["\n", "\r\n"]), label="newline"))
        expect_2 = False
        if kind == "bytes":
            c.structure_intact = False
            damage_bytes(data, c)
        elif kind == "header":
            c.structure_intact = False
            damage_header(data, c)
        elif kind == "encoding":
            c.structure_intact = False  # a UTF-16 file is refused; others read alike
            damage_encoding(data, c)
        elif kind == "file":
            how = replace_file(data, c)
            c.structure_intact = False
            expect_2 = how in ("folder", "fifo", "dangling", "loop", "device", "empty")
        result = validate(c)
        if expect_2:
            assert result.code == 2, (result.code, result.err)
        # `check` costs ten times `validate`: run it on some damaged exports only, more often
        # for the kinds aimed at the reports than for those aimed at the reader.
        odds = ODDS["report"] if kind in ("dates", "ids", "text", "free_text") else ODDS["reader"]
        if result.code != 2 and data.draw(st.integers(1, odds), label="also check") == 1:
            check(c, pick_rules(data, rule_sets))


# --- configs ---------------------------------------------------------------------------------
BOMB = "".join(
    f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]\n"
    for i in range(1, 9)
).replace("*`", '"lol"')

CONFIG_PIECES = [
    "council: Anyshire\n",
    "council: '[/]bold'\n",
    "council: [1, 2]\n",
    "export_date: 2024-06-01\n",
    "export_date: 0001-01-01\n",
    "export_date: 9999-12-31\n",
    "export_date: 2261-06-01\n",
    "export_date: 1899-01-01\n",
    "export_date: 2024-02-30\n",
    "export_date: yesterday\n",
    "closure_days: [2024-05-31, 2024-06-03]\n",
    "closure_days: [0001-01-01, 9999-12-31]\n",
    "closure_days: 2024-01-01\n",
    "tables: {visits: {file: VISITS.csv}}\n",
    "tables: {visits: {file: ../persons.csv}}\n",
    "tables: {visits: {file: /dev/zero}}\n",
    "tables: {visits: {file: '[/]'}}\n",
    "tables: {visits: {columns: {ACTUAL_DATE: WHEN}}}\n",
    "tables: {nosuch: {}}\n",
    "evidence: {supervision: {note_types: ['Home Visit']}}\n",
    "evidence: {'[/]': {note_types: ['[bold]x']}}\n",
    "evidence: {placement_plan: {replace: true}}\n",
    "rules: {cla-visits: {enabled: false}}\n",
    "rules: {cla-visits: {checks: {first: {window: {after: 99999 days}}}}}\n",
    "rules: {cla-visits: {severity: extreme}}\n",
    "rules: {nosuch: {enabled: false}}\n",
    "rules: {cla-visits: [1, 2]}\n",
    "unknown: 1\n",
    "council: a\ncouncil: b\n",
    "council: &x [1, *x]\n",
    "council: " + "[" * 200 + "]" * 200 + "\n",
    "council: " + "{a: " * 60 + "1" + "}" * 60 + "\n",
    "\t- bad indentation\n",
    "council: 'unclosed\n",
    BOMB,
]


def date_format_piece(fmt: str) -> str:
    return f"tables: {{visits: {{date_formats: {{ACTUAL_DATE: '{fmt}'}}}}}}\n"


@examples(short=6, long=900)
@given(data=st.data())
def test_fuzz_config(data: st.DataObject, rule_sets: dict[str, Path]) -> None:
    """A hostile casecheck.yaml: exit 2 with the file and line, or a run keeping every promise."""
    tables = data.draw(exports(), label="export")
    how = data.draw(
        st.sampled_from(["pieces", "date format", "bytes", "fifo", "folder", "dangling", "huge"]),
        label="config",
    )
    with case("config") as c:
        note(f"config: {how}")
        write(c, tables)
        path = c.export / "casecheck.yaml"
        if how == "pieces":
            chosen = data.draw(st.lists(st.sampled_from(CONFIG_PIECES), max_size=3), label="keys")
            path.write_text("".join(dict.fromkeys(chosen)), encoding="utf-8")
        elif how == "date format":
            codes = st.sampled_from([*list("aAwdbBmyYHIpMSfzZjUWcxXGuV%"), "%", "-", "/", " "])
            pieces = data.draw(st.lists(codes, min_size=1, max_size=6), label="codes")
            fmt = "".join(p if len(p) > 1 or not p.isalpha() else f"%{p}" for p in pieces)
            note(f"date format: {fmt}"[:40])
            path.write_text(date_format_piece(fmt), encoding="utf-8")
        elif how == "bytes":
            path.write_bytes(data.draw(st.binary(max_size=200), label="config bytes"))
        elif how == "fifo":
            os.mkfifo(path)
        elif how == "folder":
            path.mkdir()
        elif how == "dangling":
            path.symlink_to(c.root / "nowhere.yaml")
        else:
            path.write_text("council: x\n" + "#" * (2 << 20), encoding="utf-8")
        result = validate(c)
        if how in ("fifo", "folder", "dangling", "huge"):
            assert result.code == 2, result.err
        listed = run("rules", "list", "--config", path, "--rules", rule_sets["few"])
        promises(listed, c)
        if result.code != 2 and data.draw(st.integers(1, ODDS["config"]), label="check") == 1:
            check(c, pick_rules(data, rule_sets))


# --- rule files ------------------------------------------------------------------------------
RULE_EDITS = [
    ("severity: high", "severity: extreme"),
    ("severity: medium", "severity: [1]"),
    ("kind: evidence_recurring", "kind: nosuch"),
    ("kind: records", "kind: threshold"),
    ("working days", "working days\nextra: 1"),
    ("5 working days", "26000 working days"),
    ("5 working days", "2601 working days"),
    ("72 hours", "87661 hours"),
    ("12 months", "121 months"),
    ("date: END_DATE", "date: RHI_OFFERED"),
    ("recorded: CREATED_ON", "recorded: NOTE_TYPE"),
    ("date: ACTUAL_DATE", "date: VISIT_METHOD"),
    ("recorded: RHI_DATE", "recorded: RHI_OFFERED"),
    ("kind: placement_plan", "kind: placement_plan\n      require: {RHI_DATE: true}"),
    ("6 weeks", "5218 weeks"),
    ("3 months", "1200 months"),
    ("3 months", "-3 months"),
    ("id: ", "id: x"),
    ("title: ", "title: [/]"),
    ("title: ", "title: =1+1 "),
    ("table: ", "table: nosuch"),
    ("date: ", "date: PERSON_ID\nx: "),
    ("checks:", "checks: &c\n  loop: *c\nold:"),
]


@examples(short=5, long=500)
@given(data=st.data())
def test_fuzz_rules(data: st.DataObject, rule_sets: dict[str, Path]) -> None:
    """A damaged rule file: exit 2 naming the file and line, or a run keeping every promise."""
    tables = data.draw(exports(), label="export")
    rule_id = data.draw(st.sampled_from(FEW_RULES), label="rule")
    how = data.draw(st.sampled_from(["edit", "bytes", "fifo", "bomb", "deep", "empty"]))
    with case("rules") as c:
        note(f"rules: {how}")
        write(c, tables)
        rules = c.root / "rules"
        shutil.copytree(rule_sets["few"], rules)
        path = rules / f"{rule_id}.yaml"
        c.places |= {str(path), str(rules)}
        text = path.read_text(encoding="utf-8")
        if how == "edit":
            old, new = data.draw(st.sampled_from(RULE_EDITS), label="edit")
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
        elif how == "bytes":
            raw = bytearray(text.encode())
            for _ in range(data.draw(st.integers(1, 4))):
                at = data.draw(st.integers(0, len(raw)))
                raw[at:at] = data.draw(st.sampled_from([b":", b"\n", b"  ", b"-", b"&a", b"*a"]))
            path.write_bytes(bytes(raw))
        elif how == "fifo":
            path.unlink()
            os.mkfifo(path)
        elif how == "bomb":
            path.write_text(BOMB, encoding="utf-8")
        elif how == "deep":
            path.write_text("id: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
        else:
            path.write_text("", encoding="utf-8")
        listed = run("rules", "list", "--rules", rules)
        promises(listed, c)
        if how in ("fifo", "bomb", "deep", "empty"):
            assert listed.code == 2, listed.err
        if listed.code == 0 and data.draw(st.integers(1, ODDS["rules"]), label="check") == 1:
            check(c, rules)


# --- options ---------------------------------------------------------------------------------
ODD_AS_OF = [
    "2024-06-01", "1900-01-01", "2089-12-31", "2090-01-01", "1899-12-31", "2100-01-01",
    "0001-01-01",
    "9999-12-31", "1677-09-21", "2262-04-12", "2107-12-31", "2108-01-01", "2024-02-30", "",
    "today", "01/06/2024", "2024-06-01T10:00",
]  # fmt: skip


@examples(short=5, long=200)
@given(data=st.data())
def test_fuzz_options(data: st.DataObject, rule_sets: dict[str, Path]) -> None:
    """Odd command lines: exit 2 naming the option, or a run keeping every promise."""
    tables = data.draw(exports(), label="export")
    with case("options") as c:
        write(c, tables)
        extra: list[str | Path] = ["--as-of", data.draw(st.sampled_from(ODD_AS_OF), label="as-of")]
        note(f"as-of: {extra[1]}")
        team = data.draw(
            st.none() | st.sampled_from(["Looked After Team", "[/]", "nosuch", "", f"<{TAG}>"])
        )
        if team is not None:
            extra += ["--team", team]
        extra += ["--fail-on", data.draw(st.sampled_from(["never", "low", "medium", "high"]))]
        if data.draw(st.booleans(), label="strict"):
            extra.append("--strict")
        previous = data.draw(
            st.none() | st.sampled_from(["good", "list", "deep", "fifo", "garbage", "folder"]),
            label="previous",
        )
        if previous is not None:
            note(f"previous: {previous}")
            path = c.root / "previous.json"
            c.places.add(str(path))
            if previous == "good":
                path.write_text(json.dumps(PREVIOUS))
            elif previous == "list":
                path.write_text("[1, 2]")
            elif previous == "deep":
                path.write_text("[" * 100_000 + "]" * 100_000)
            elif previous == "fifo":
                os.mkfifo(path)
            elif previous == "garbage":
                path.write_bytes(data.draw(st.binary(max_size=50)))
            else:
                path.mkdir()
            extra += ["--previous", path]
        check(c, pick_rules(data, rule_sets), *extra)
        if data.draw(st.integers(1, 4), label="also case") > 1:
            return
        person = data.draw(st.sampled_from(["000123", "P1", "nosuch", "[/]", ""]), label="case")
        c.places.add(person)  # `case` names the child it cannot find
        shown = run(
            "case",
            person,
            c.export,
            "--as-of",
            AS_OF,
            "--rules",
            rule_sets["few"],
            "--format",
            data.draw(st.sampled_from(["text", "json"])),
        )
        promises(shown, c)


PREVIOUS = {  # a results document with one exception of each shape a comparison reads
    "schema_version": RESULTS_SCHEMA_VERSION,
    "as_of": "2024-05-01",
    "exceptions": [
        {
            "fingerprint": "0123456789abcdef",
            "rule_id": "cla-visits",
            "check": "first",
            "person_id": "P1",
            "team": "[/]",
            "worker": None,
            "message": "=1+1\r\n<zqxtag>",
        }
    ],
}


# --- determinism -----------------------------------------------------------------------------
def shuffled(data: st.DataObject, tables: Rows) -> Rows:
    seed = data.draw(st.integers(0, 2**32 - 1), label="shuffle seed")
    rng = random.Random(seed)
    out = {}
    for name, rows in tables.items():
        copy = list(rows)
        rng.shuffle(copy)
        out[name] = copy
    return out


def _result(folder: Path) -> dict[str, Any]:
    document = json.loads(next(folder.glob("*.json")).read_text())
    return {
        "exceptions": document["exceptions"],
        "rules": document["rules"],
        "due_soon": document["due_soon"],
    }


@examples(short=3, long=40)
@given(data=st.data())
def test_fuzz_rerun_and_shuffle(data: st.DataObject, rule_sets: dict[str, Path]) -> None:
    """The same input gives byte-identical files; shuffled rows give the same result."""
    tables = data.draw(exports(), label="export")
    mutate_cells(data, tables, PLAIN_TEXT_COLUMNS, INJECTED)
    rules = pick_rules(data, rule_sets)
    with case("rerun and shuffle") as c:
        write(c, tables)
        first = check(c, rules, out="first")
        again = check(c, rules, out="again")
        assert (first.code, first.out) == (again.code, again.out)
        if first.code == 2:
            return
        for name in sorted(os.listdir(c.root / "first")):
            assert (c.root / "first" / name).read_bytes() == (
                c.root / "again" / name
            ).read_bytes(), name
        shutil.rmtree(c.export)
        write(c, shuffled(data, tables))
        moved = check(c, rules, out="shuffled")
        assert moved.code == first.code
        assert _result(c.root / "shuffled") == _result(c.root / "first")
