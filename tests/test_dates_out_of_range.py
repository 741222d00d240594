"""Dates casecheck cannot work with are refused up front with exit 2 and a message: an as-of date
(from --as-of or export_date) outside the working calendar's years, and generator options."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from casecheck.cli import main

TINY = {
    "persons.csv": "PERSON_ID,DATE_OF_BIRTH\nC1,2015-03-01\n",
    "allocations.csv": (
        "ALLOCATION_ID,PERSON_ID,WORKER_ID,WORKER_NAME,TEAM_NAME,START_DATE,END_DATE\n"
        "A1,C1,W1,Sam Worker,Team A,2026-10-01,\n"
    ),
}
RANGE = (
    "is outside the dates casecheck can check an export as of, 1900-01-01 to 2089-12-31 "
    "(the years of the dates it works with)"
)


def run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as caught:
        main([str(a) for a in args])
    assert isinstance(caught.value.code, int)
    return caught.value.code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    for name, text in TINY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def last_line(err: str) -> str:
    return err.rstrip("\n").splitlines()[-1]


OUTSIDE = [
    "0001-01-01",
    "1677-09-21",
    "1899-12-31",
    "2090-01-01",
    "2100-01-01",
    "2107-12-31",
    "9999-12-31",
]


@pytest.mark.parametrize("day", OUTSIDE)
@pytest.mark.parametrize("command", ["check", "case"])
def test_an_as_of_date_outside_the_calendar_is_exit_2_not_errored_rules(
    tiny: Path, day: str, command: str
) -> None:
    args = ["case", "C1", tiny] if command == "case" else ["check", tiny, "--format", "json"]
    code, out, err = run(*args, "--as-of", day)
    assert code == 2
    assert out == ""
    assert last_line(err) == (
        f"Error: Invalid value for --as-of: {day} {RANGE}; give a date in that range"
    )


@pytest.mark.parametrize("day", ["1900-01-01", "2089-12-31"])
def test_the_first_and_last_day_of_the_calendar_can_be_checked_as_of(tiny: Path, day: str) -> None:
    code, out, err = run("check", tiny, "--as-of", day, "--format", "json")
    assert code in (0, 1), err
    assert '"status": "errored"' not in out


def test_an_export_date_outside_the_calendar_is_a_config_error_naming_its_line(
    tiny: Path, tmp_path: Path
) -> None:
    config = tmp_path / "casecheck.yaml"
    config.write_text("council: Anyshire\nexport_date: 2300-01-01\n", encoding="utf-8")
    code, out, err = run("check", tiny, "--config", config)
    assert code == 2
    assert out == ""
    assert (
        err == f"error: {config}, line 2: at export_date: 2300-01-01 {RANGE}. Correct the value.\n"
    )


def test_an_as_of_after_2107_cannot_reach_the_workbook(tiny: Path, tmp_path: Path) -> None:
    """Zip files stop at 2107; the as-of date is refused before, and the workbook's zip members
    are dated 1980 anyway (tests/test_output_safety.py)."""
    target = tmp_path / "results.xlsx"
    code, _, err = run(
        "check", tiny, "--as-of", "2108-01-01", "--format", "xlsx", "--output", target
    )
    assert code == 2
    assert "Traceback" not in err and "internal error" not in err
    assert not target.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--end-date", "1600-01-01"],
            "Error: Invalid value for --end-date: 1600-01-01 is outside 1908-01-01 to 2088-12-31: "
            "the export holds records from up to 8 years before it and births up to a year "
            "after, and casecheck checks dates from 1900 to 2089",
        ),
        (
            ["--end-date", "2089-01-01"],
            "Error: Invalid value for --end-date: 2089-01-01 is outside 1908-01-01 to 2088-12-31: "
            "the export holds records from up to 8 years before it and births up to a year "
            "after, and casecheck checks dates from 1900 to 2089",
        ),
        (["--seed", "-1"], "Error: Invalid value for '--seed': -1 is not in the range x>=0."),
    ],
    ids=["before-1678", "after-the-calendar", "negative-seed"],
)
def test_generate_refuses_dates_and_seeds_it_cannot_use(
    tmp_path: Path, args: list[str], message: str
) -> None:
    code, _, err = run("generate", "--out", tmp_path / "out", "--children", "3", *args)
    assert code == 2
    assert last_line(err) == message
    assert not (tmp_path / "out").exists()


def test_generate_at_the_edges_of_its_range_writes_a_checkable_export(tmp_path: Path) -> None:
    for end in ("1998-01-01", "2059-12-31"):
        folder = tmp_path / end
        code, _, err = run("generate", "--out", folder, "--children", "20", "--end-date", end)
        assert code == 0, err
        code, out, err = run("check", folder, "--as-of", end, "--format", "json")
        assert code in (0, 1), err
        assert '"status": "errored"' not in out
