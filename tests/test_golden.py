"""Golden files: every output format of `casecheck check sample_exports --as-of 2026-10-30`.

The run is made once, from the repository root with the relative path `sample_exports` (so no
absolute path ends up in the output), and each file is compared byte for byte with
`tests/golden/sample.<ext>` (txt, json, csv, xml, html). The Excel workbook is compared by the
cell values of every sheet, read back with openpyxl, against `tests/golden/sample.xlsx.json`
(sheet name -> rows; dates as ISO text), because the .xlsx bytes are not meant for review.

When an output change is intended, rewrite the golden files and review the diff:

    CASECHECK_UPDATE_GOLDEN=1 pytest tests/test_golden.py
    git diff tests/golden/

With CASECHECK_UPDATE_GOLDEN=1 set the tests rewrite the files instead of comparing them (and
are reported as skipped, so an update run never passes silently as a check).
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import os
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from casecheck.cli import main
from casecheck.report.cells import is_formula
from casecheck.report.formats import REPORTERS

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
AS_OF = "2026-10-30"
FORMATS = {
    "text": "txt",
    "json": "json",
    "csv": "csv",
    "junit": "xml",
    "html": "html",
    "actions": "actions.csv",
}
STEM = "casecheck-synthetic-borough-council-sample-data-not-real-people-2026-10-30"
UPDATE = os.environ.get("CASECHECK_UPDATE_GOLDEN") == "1"
HOW_TO_UPDATE = (
    "If this change is intended, rewrite the golden files with\n"
    "    CASECHECK_UPDATE_GOLDEN=1 pytest tests/test_golden.py\n"
    "and review them with `git diff tests/golden/` before committing."
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder with one `<STEM>.<ext>` per format, from one run."""
    folder = tmp_path_factory.mktemp("golden_run")
    args = ["check", "sample_exports", "--as-of", AS_OF, "--fail-on", "never"]
    for fmt in [*FORMATS, "xlsx"]:
        args += ["--format", fmt]
    args += ["--output", str(folder)]
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as caught:
            main(args)
    assert caught.value.code == 0, err.getvalue()
    assert out.getvalue() == ""
    assert (
        err.getvalue()
        == "".join(f"Wrote {folder / name}\n" for name in (f"{STEM}.{FORMATS[f]}" for f in FORMATS))
        + f"Wrote {folder / STEM}.xlsx\n"
    )
    yield folder


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def xlsx_cells(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values, row by row (JSON-ready)."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return {
            sheet.title: [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()


def xlsx_json(path: Path) -> bytes:
    """The cell values as JSON with one row per line, so that a diff shows whole rows."""
    sheets = []
    for title, rows in xlsx_cells(path).items():
        body = ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in rows)
        sheets.append(f" {json.dumps(title, ensure_ascii=False)}: [\n{body}\n ]")
    text = "{\n" + ",\n".join(sheets) + "\n}\n"
    assert json.loads(text) == xlsx_cells(path)
    return text.encode("utf-8")


def compare(actual: bytes, golden: Path) -> None:
    """Rewrite `golden` when updating; otherwise fail with a short diff and how to update."""
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual)
        pytest.skip(f"rewrote {golden.relative_to(ROOT)}")
    if not golden.exists():
        pytest.fail(f"{golden.relative_to(ROOT)} does not exist.\n{HOW_TO_UPDATE}", pytrace=False)
    expected = golden.read_bytes()
    if actual == expected:
        return
    diff = list(
        difflib.unified_diff(
            expected.decode("utf-8", "replace").splitlines(),
            actual.decode("utf-8", "replace").splitlines(),
            fromfile=f"{golden.relative_to(ROOT)} (golden)",
            tofile="this run",
            lineterm="",
            n=1,
        )
    )
    shown = "\n".join(diff[:60]) + (
        f"\n... ({len(diff) - 60} more diff lines)" if len(diff) > 60 else ""
    )
    pytest.fail(
        f"{golden.relative_to(ROOT)} differs from this run:\n{shown}\n\n{HOW_TO_UPDATE}",
        pytrace=False,
    )


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_format_matches_golden(fmt: str, rendered: Path) -> None:
    ext = FORMATS[fmt]
    actual = (rendered / f"{STEM}.{ext}").read_bytes()
    compare(actual, GOLDEN / f"sample.{ext}")


def test_xlsx_cells_match_golden(rendered: Path) -> None:
    compare(xlsx_json(rendered / f"{STEM}.xlsx"), GOLDEN / "sample.xlsx.json")


def test_xlsx_cells_are_typed_by_their_column(rendered: Path) -> None:
    """With their values pinned above: on every row sheet, dates are dates shown dd/mm/yyyy,
    days overdue numbers, the rest text, quoted (') exactly where a spreadsheet would run it."""
    workbook = openpyxl.load_workbook(rendered / f"{STEM}.xlsx", read_only=True)
    try:
        for sheet in workbook.worksheets[1:]:
            rows = sheet.iter_rows()
            headers = [c.value for c in next(rows)]
            for row in rows:
                for header, cell in zip(headers, row, strict=False):
                    if cell.value is None:
                        continue
                    if header in ("Due date", "First seen"):
                        kind = (dt.datetime, "d", "dd/mm/yyyy", False)
                    elif header == "Days overdue":
                        kind = (int, "n", "General", False)
                    else:
                        kind = (str, "s", "General", is_formula(cell.value))
                    quoted = bool(cell.style_array.quotePrefix)
                    seen = (type(cell.value), cell.data_type, cell.number_format, quoted)
                    assert seen == kind, (sheet.title, cell.coordinate)
    finally:
        workbook.close()


def test_every_format_has_a_golden_file() -> None:
    assert {*FORMATS, "xlsx"} == set(REPORTERS)
    assert all(REPORTERS[fmt].extension == ext for fmt, ext in FORMATS.items())


def test_no_absolute_path_in_the_output(rendered: Path) -> None:
    for path in rendered.iterdir():
        if path.suffix == ".xlsx":
            text = json.dumps(xlsx_cells(path), ensure_ascii=False)
        else:
            text = path.read_text(encoding="utf-8")
        assert str(ROOT) not in text, path.name
    document = json.loads((rendered / f"{STEM}.json").read_text(encoding="utf-8"))
    assert document["export"]["folder"] == "sample_exports"
    assert document["as_of"] == AS_OF
