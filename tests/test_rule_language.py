"""The rule language's comparisons of dates and durations in `where:`: how they read, what they
select, and the whole message for each mistake, refused when the rules are read."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from conftest import run

from casecheck.engine.explain import explain
from casecheck.engine.rulefiles import load_rules
from casecheck.engine.run import run_rules
from casecheck.export.config import CouncilConfig, load_config
from casecheck.export.load import load_export

RULE = """\
id: long-placements
title: Placements
severity: low
area: looked_after
source: Local
why: Because
how_to_fix: Fix it
checks:
  long:
    kind: records
    table: placements
    date: START_DATE
    lookback: 24 months
    require: {{PLACEMENT_TYPE: recorded}}
    what: Placement from
    where:
      {where}
"""

PLACEMENTS = """\
PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE,PLACEMENT_TYPE,INTENDED_END
P1,C1,2025-01-06,2025-01-10,,2025-01-06
P2,C1,2025-03-03,2025-04-14,,2025-06-01
P3,C1,2025-05-01,2025-06-13,,
P4,C1,2025-07-01,,,2025-07-02
P5,C1,2025-07-04,2025-07-04,,2025-06-30
"""
STARTS = ["01-06", "03-03", "05-01", "07-01", "07-04"]
EXTRA = "tables:\n  placements:\n    extra_columns:\n      INTENDED_END: {kind: date}\n"


def write_rule(tmp_path: Path, where: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "long-placements.yaml").write_text(RULE.format(where=where), encoding="utf-8")
    return folder


def selected(tmp_path: Path, where: str, config: str = EXTRA) -> list[str]:
    """The placements a `where:` selects (each one is an exception: no PLACEMENT_TYPE)."""
    export = tmp_path / "export"
    export.mkdir(exist_ok=True)
    (export / "persons.csv").write_text("PERSON_ID,DATE_OF_BIRTH\nC1,2012-01-01\n")
    (export / "placements.csv").write_text(PLACEMENTS)
    (export / "casecheck.yaml").write_text(config)
    council = load_config(export)
    rules = load_rules(write_rule(tmp_path, where), council)
    result = run_rules(load_export(export, council), rules, dt.date(2025, 12, 1))
    assert [o.status for o in result.outcomes] == ["ran"]
    starts = {f"2025-{m}": p for p, m in zip(["P1", "P2", "P3", "P4", "P5"], STARTS, strict=True)}
    return sorted(starts[d.strftime("%Y-%m-%d")] for d in result.findings["event_date"])


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        # after / before: strictly, by day; a column of the row or a date
        ("END_DATE: {after: START_DATE}", ["P1", "P2", "P3"]),
        ("START_DATE: {before: 2025-05-01}", ["P1", "P2"]),
        ("START_DATE: {after: 2025-05-01}", ["P4", "P5"]),
        # within: from the date to the duration after it, both days included
        ("END_DATE: {within: 6 weeks after START_DATE}", ["P1", "P2", "P5"]),
        # more_than: past the duration; a blank END_DATE (P4, still open) never passes
        ("END_DATE: {more_than: 6 weeks after START_DATE}", ["P3"]),
        # 4 working days after Monday 06/01/2025 is Friday 10/01: P1 ends on it, within
        ("END_DATE: {within: 4 working days after START_DATE}", ["P1", "P5"]),
        ("END_DATE: {more_than: 3 working days after START_DATE}", ["P1", "P2", "P3"]),
        # before a column: the START_DATE falls in the 3 days before INTENDED_END
        ("START_DATE: {within: 3 days before INTENDED_END}", ["P1", "P4"]),
        ("START_DATE: {more_than: 1 month before INTENDED_END}", ["P2"]),
        # a council's own date column; a blank one never passes
        ("INTENDED_END: {before: START_DATE}", ["P5"]),
        # comparisons combine with the other conditions on the column
        ("END_DATE: {after: START_DATE, before: 2025-06-01}", ["P1", "P2"]),
    ],
)
def test_date_comparisons_select_rows_by_day(
    tmp_path: Path, where: str, expected: list[str]
) -> None:
    assert selected(tmp_path, where) == expected


@pytest.mark.parametrize(
    ("where", "what"),
    [
        (
            "PLACEMENT_TYPE: {after: START_DATE}",
            '"PLACEMENT_TYPE" is not a date column of placements: its dates cannot be compared. '
            "Compare one of END_DATE, START_DATE.",
        ),
        (
            "END_DATE: {after: PLACEMENT_TYPE}",
            '"PLACEMENT_TYPE" is not a date column of placements: its dates cannot be compared. '
            "Compare one of END_DATE, START_DATE.",
        ),
        (
            "END_DATE: {within: 6 weeks after STARTED}",
            '"STARTED" is not a column of placements. Use one of END_DATE, PERSON_ID, '
            "PLACEMENT_ID, PLACEMENT_TYPE, REASON_FOR_PLACEMENT_CHANGE, START_DATE, or declare "
            "it under tables: > placements: > extra_columns: in casecheck.yaml.",
        ),
    ],
)
def test_a_comparison_on_a_column_that_is_not_a_date_is_refused_when_rules_are_read(
    tmp_path: Path, where: str, what: str
) -> None:
    folder = write_rule(tmp_path, where)
    result = run("rules", "list", "--rules", folder)
    assert result.code == 2
    assert result.err == (
        f"error: {folder / 'long-placements.yaml'}, line 17: at checks > long > where > "
        f"{where.split(':')[0]}: {what}\n"
    )


@pytest.mark.parametrize(
    ("where", "what"),
    [
        (
            "END_DATE: {within: 6 wks after START_DATE}",
            'cannot read "6 wks" as a duration: write a whole number and a unit, such as '
            '"5 working days", "30 days", "6 weeks", "3 months" or "72 hours"',
        ),
        (
            "END_DATE: {within: 6 weeks START_DATE}",
            'cannot read "6 weeks START_DATE" as a time from a date: write a duration, after or '
            "before, and a date column or a date, such as 6 weeks after START_DATE",
        ),
        (
            "END_DATE: {after: start date}",
            'cannot read "start date" as a column or a date: write a date column (START_DATE) '
            "or a date (2025-04-01)",
        ),
        ("END_DATE: {before: 2025-02-30}", '"2025-02-30" is not a date (write YYYY-MM-DD)'),
    ],
)
def test_a_comparison_that_cannot_be_read_names_its_line(
    tmp_path: Path, where: str, what: str
) -> None:
    folder = write_rule(tmp_path, where)
    result = run("rules", "list", "--rules", folder)
    assert result.code == 2
    assert f"{folder / 'long-placements.yaml'}, line 17" in result.err
    assert what in result.err
    assert "Traceback" not in result.err


def test_a_council_date_column_is_accepted_only_once_declared(tmp_path: Path) -> None:
    where = "INTENDED_END: {after: START_DATE}"
    declared = {"tables": {"placements": {"extra_columns": {"INTENDED_END": {"kind": "date"}}}}}
    assert load_rules(write_rule(tmp_path, where), CouncilConfig.model_validate(declared))
    # Not declared: refused; declared as text: refused as not a date.
    with pytest.raises(Exception, match='"INTENDED_END" is not a column of placements'):
        load_rules(write_rule(tmp_path, where), CouncilConfig())
    text = {"tables": {"placements": {"extra_columns": {"INTENDED_END": {"kind": "text"}}}}}
    with pytest.raises(Exception, match='"INTENDED_END" is not a date column of placements'):
        load_rules(write_rule(tmp_path, where), CouncilConfig.model_validate(text))


def test_comparisons_are_explained_in_words(tmp_path: Path) -> None:
    where = textwrap.dedent(
        """\
        {END_DATE: {more_than: 6 weeks after START_DATE}, START_DATE: {before: 2025-04-01}}"""
    )
    [rule] = load_rules(write_rule(tmp_path, where), CouncilConfig())
    words = dict(explain(rule))["Check 'long'"]
    assert words == (
        "Each row of placements, where END_DATE is more than 6 weeks after START_DATE, where "
        "START_DATE is before 01/04/2025 dated (START_DATE) in the last 24 months needs "
        "PLACEMENT_TYPE recorded. One exception per row that does not."
    )


RECURRING = """\
id: visits
title: Visits
severity: low
area: looked_after
source: Local
why: Because
how_to_fix: Fix it
checks:
  visits:
    kind: evidence_recurring
    evidence: {{kind: cla_visit}}
    first_due: 6 weeks
    every: 6 weeks
    {extra}
"""


@pytest.mark.parametrize(
    ("extra", "what"),
    [
        (
            "restart: {event: {table: missing_episodes, date: ENDED}, within: 5 days}",
            'at checks > visits > restart > event > date: "ENDED" is not a date column of '
            "missing_episodes. Use one of START_DATE, END_DATE, RHI_DATE.",
        ),
        (
            "later: {after: 12 months, every: 3 months, where: {PLACEMENT_TYPE: [Long-term]}}",
            "at checks > visits: later: applies to the current placement: give "
            "clock: current_placement. Correct the value.",
        ),
        (
            "clock: current_placement\n    later: {after: 12 months, every: 3 months, "
            "where: {START_DATE: [Long-term]}, what: x}",
            'at checks > visits > later > what: unknown key "what". Remove it or correct its '
            "spelling.",
        ),
        (
            "clock: current_placement\n    later: {after: 12 months, every: 3 months, "
            "where: {LONG_TERM: [Y]}}",
            'at checks > visits > later > where > LONG_TERM: "LONG_TERM" is not a column of '
            "placements. Use one of END_DATE, PERSON_ID, PLACEMENT_ID, PLACEMENT_TYPE, "
            "REASON_FOR_PLACEMENT_CHANGE, START_DATE, or declare it under tables: > placements: "
            "> extra_columns: in casecheck.yaml.",
        ),
    ],
)
def test_restart_and_later_mistakes_are_refused_with_their_place(
    tmp_path: Path, extra: str, what: str
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    path = folder / "visits.yaml"
    path.write_text(RECURRING.format(extra=extra), encoding="utf-8")
    result = run("rules", "list", "--rules", folder)
    assert result.code == 2
    assert result.err.startswith(f"error: {path}, line ")
    assert result.err.rstrip("\n").endswith(what)


LEAVERS = """\
id: leavers
title: Leavers
severity: low
area: care_leavers
source: Local
why: Because
how_to_fix: Fix it
scope:
  care_leaver: {statuses}
checks:
  plan:
    kind: evidence_recurring
    evidence: {{kind: pathway_plan}}
    first_due: 3 months
"""


@pytest.mark.parametrize(
    ("statuses", "in_scope"),
    [
        ("[eligible]", ["E"]),
        ("[relevant]", ["R"]),
        ("[former_relevant]", ["F"]),
        ("[eligible, relevant, former_relevant]", ["E", "F", "R"]),
        ("{status: [eligible], placements: {PLACEMENT_TYPE: {not: [Short break]}}}", []),
    ],
)
def test_care_leaver_statuses(tmp_path: Path, statuses: str, in_scope: list[str]) -> None:
    """E: 17 and in care; R: 17, qualified at 16 and left care; F: 19, qualified before 18;
    N: 17, in care for 13 weeks but all of it before 14. As of 01/12/2025."""
    export = tmp_path / "export"
    export.mkdir()
    (export / "persons.csv").write_text(
        "PERSON_ID,DATE_OF_BIRTH\nE,2008-06-01\nR,2008-06-01\nF,2006-06-01\nN,2008-06-01\n"
    )
    (export / "placements.csv").write_text(
        "PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE,PLACEMENT_TYPE\n"
        "P1,E,2024-01-01,,Short break\n"
        "P2,R,2024-01-01,2025-01-31,Foster\n"
        "P3,F,2022-01-01,2024-07-01,Foster\n"
        "P4,N,2021-01-01,2022-05-31,Foster\n"
    )
    (export / "workflow_steps.csv").write_text(
        "WORKFLOW_STEP_ID,PERSON_ID,STEP_TYPE,STEP_STATUS,COMPLETED_ON\n"
    )
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "leavers.yaml").write_text(LEAVERS.format(statuses=statuses), encoding="utf-8")
    council = CouncilConfig()
    result = run_rules(
        load_export(export, council), load_rules(folder, council), dt.date(2025, 12, 1)
    )
    assert sorted(result.in_scope["PERSON_ID"]) == in_scope
