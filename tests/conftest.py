"""Shared helpers: write a small export folder, load it, render its problems."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import NamedTuple

import pytest

from casecheck.cli import main
from casecheck.export.config import load_config
from casecheck.export.load import Export, load_export
from casecheck.report.validation import problem_lines

WriteExport = Callable[..., Path]

# One valid row for every table of the contract, by column: enough to load any table.
VALID_ROWS: dict[str, dict[str, str]] = {
    "persons": {
        "PERSON_ID": "000123",
        "DATE_OF_BIRTH": "2010-01-05",
        "GENDER": "F",
        "ETHNICITY": "WBRI",
        "AGE_ESTIMATED": "N",
        "UASC": "Y",
    },
    "allocations": {
        "ALLOCATION_ID": "A1",
        "PERSON_ID": "000123",
        "WORKER_ID": "W01",
        "WORKER_NAME": "Sam Worker",
        "TEAM_NAME": "Looked After Team",
        "START_DATE": "2024-01-01",
        "END_DATE": "",
    },
    "placements": {
        "PLACEMENT_ID": "P1",
        "PERSON_ID": "000123",
        "START_DATE": "01/02/2024",
        "END_DATE": "2024-06-30",
        "PLACEMENT_TYPE": "Foster care",
        "REASON_FOR_PLACEMENT_CHANGE": "Carer moved away",
    },
    "workflow_steps": {
        "WORKFLOW_STEP_ID": "WS1",
        "PERSON_ID": "000123",
        "STEP_TYPE": "Placement Plan",
        "STEP_STATUS": "COMPLETED",
        "STARTED_ON": "2024-02-01",
        "COMPLETED_ON": "2024-02-03 10:15",
        "ASSIGNEE_ID": "W01",
        "RESPONSIBLE_TEAM": "Looked After Team",
        "RAG_RATING": "GREEN",
        "NEXT_REVIEW_DATE": "01/08/2024",
        "DELAY_REASON": "",
    },
    "documents": {
        "DOCUMENT_ID": "D1",
        "PERSON_ID": "000123",
        "CATEGORY": "Placement Plan",
        "SUB_CATEGORY": "",
        "TITLE": "Plan for Zoe",
        "DOCUMENT_DATE": "2024-02-02",
        "UPLOADED_ON": "2024-02-04 09:00:00",
        "UPLOADED_BY": "W01",
    },
    "case_notes": {
        "CASE_NOTE_ID": "CN1",
        "PERSON_ID": "000123",
        "NOTE_TYPE": "Home Visit",
        "CONTACT_DATE": "05/02/2024",
        "CREATED_ON": "2024-02-06 16:20",
        "CREATED_BY": "W01",
        "STATUS": "COMPLETE",
    },
    "visits": {
        "VISIT_ID": "V1",
        "PERSON_ID": "000123",
        "VISIT_TYPE": "CLA",
        "ACTUAL_DATE": "2024-02-05",
        "CHILD_SEEN": "Yes",
        "SEEN_ALONE": "no",
        "VISIT_METHOD": "Face to face",
        "WORKER_ID": "W01",
    },
    "missing_episodes": {
        "MISSING_EPISODE_ID": "M1",
        "PERSON_ID": "000123",
        "START_DATE": "2024-03-01 22:00",
        "END_DATE": "2024-03-02 08:00",
        "RHI_OFFERED": "TRUE",
        "RHI_DATE": "2024-03-03",
    },
    "contacts": {
        "CONTACT_ID": "C1",
        "PERSON_ID": "000123",
        "RECEIVED_ON": "2023-12-01",
        "DECISION_ON": "2023-12-02",
        "OUTCOME": "Referral to CSC",
    },
    "cp_plans": {
        "CP_PLAN_ID": "CPP1",
        "PERSON_ID": "000123",
        "START_DATE": "2024-01-10",
        "END_DATE": "",
        "CATEGORY": "Neglect",
    },
    "cin_plans": {
        "CIN_PLAN_ID": "CIN1",
        "PERSON_ID": "000123",
        "START_DATE": "2023-12-20",
        "END_DATE": "2024-01-10",
    },
}

PERSONS = "PERSON_ID,DATE_OF_BIRTH\n000123,2010-01-05\n"


def csv_text(table: str, *rows: Mapping[str, str]) -> str:
    """A CSV file for `table` with VALID_ROWS' columns; each row overrides some cells."""
    header = list(VALID_ROWS[table])
    lines = [",".join(header)]
    for row in rows or ({},):
        cells = {**VALID_ROWS[table], **row}
        lines.append(",".join(cells[c] for c in header))
    return "\n".join(lines) + "\n"


@pytest.fixture
def write_export(tmp_path: Path) -> WriteExport:
    """write_export({"persons.csv": "...", ...}) -> the folder.

    Text is dedented and written as UTF-8; bytes are written as they are. Call it again with
    the same folder name to add files.
    """

    def write(files: Mapping[str, str | bytes], folder: str = "export") -> Path:
        root = tmp_path / folder
        root.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            data = (
                content
                if isinstance(content, bytes)
                else textwrap.dedent(content).lstrip("\n").encode("utf-8")
            )
            (root / name).write_bytes(data)
        return root

    return write


def load(folder: Path, config_file: Path | None = None) -> Export:
    """Load an export as `casecheck validate` does: its config, then its tables."""
    return load_export(folder, load_config(folder, config_file))


def lines(export: Export) -> list[str]:
    """The export's problems as the report renders them, one line each."""
    return problem_lines(export.problems)


class Run(NamedTuple):
    code: int
    out: str
    err: str


def run(*args: str | Path) -> Run:
    """Run `casecheck ARGS` as the console script does, with stdout and stderr piped."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as caught:
        main([str(a) for a in args])
    code = caught.value.code
    assert isinstance(code, int), f"exit code {code!r} is not an int"
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True, scope="session")
def _cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The rules commands keep their listing in a cache folder: the tests' own, never one in
    the home folder; on, so that the suite runs the commands both from it and without it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CASECHECK_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        patch.delenv("CASECHECK_NO_CACHE", raising=False)
        yield
