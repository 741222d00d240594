"""Compliance over time: per rule and per team, from one export re-run at several dates, or
from the runs kept in a history folder.

One export holds its own history (every record is dated), so the year's figures for an annual
QA report come from re-running the rules as of each month end: the export is read once, and
each date is the same `run_rules` a `check --as-of` does, so the two always agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from casecheck.calendar import WorkingCalendar
from casecheck.engine.model import Rule
from casecheck.engine.run import RunResult, run_rules
from casecheck.export.load import Export
from casecheck.report import summary
from casecheck.report.compare import PreviousRun

TREND_COLUMNS = [
    "as_of",
    "level",  # overall, rule or team
    "name",
    "children_in_scope",
    "children_with_exceptions",
    "exceptions",
    "compliance",
]
EVERY = {"week": "W-FRI", "month": "ME", "quarter": "QE"}


def trend_dates(start: dt.date, end: dt.date, every: str) -> list[dt.date]:
    """Each week's Friday, month end or quarter end from `start` to `end` (both included)."""
    found = pd.date_range(start, end, freq=EVERY[every])
    return [d.date() for d in found]


def figures(result: RunResult) -> pd.DataFrame:
    """One run's compliance: overall, per rule that ran, and per team (TREND_COLUMNS)."""
    head = summary.overall(result)
    rows = [
        {
            "level": "overall",
            "name": "all rules",
            "children_in_scope": head["children_in_scope"],
            "children_with_exceptions": head["children_with_exceptions"],
            "exceptions": head["exceptions"],
            "compliance": head["compliance"],
        }
    ]
    for o in result.outcomes:
        if o.status == "ran":
            rows.append(
                {
                    "level": "rule",
                    "name": o.rule.id,
                    "children_in_scope": o.in_scope,
                    "children_with_exceptions": o.in_scope - o.compliant,
                    "exceptions": o.exceptions,
                    "compliance": None if o.compliance is None else round(o.compliance, 4),
                }
            )
    teams = summary.by_team(result)
    for team, row in teams.iterrows():
        rows.append(
            {
                "level": "team",
                "name": str(team),
                "children_in_scope": int(row["children"]),
                "children_with_exceptions": int(row["with_exceptions"]),
                "exceptions": int(row["exceptions"]),
                "compliance": None if pd.isna(row["compliance"]) else float(row["compliance"]),
            }
        )
    frame = pd.DataFrame(rows).assign(as_of=pd.Timestamp(result.as_of))
    return frame[TREND_COLUMNS]


def run_trend(
    export: Export,
    rules: list[Rule],
    dates: Iterable[dt.date],
    calendar: WorkingCalendar | None = None,
) -> pd.DataFrame:
    """The rules run as of each date on one loaded export; figures per date (TREND_COLUMNS)."""
    calendar = calendar or WorkingCalendar(closure_days=export.config.closure_days)
    parts = [figures(run_rules(export, rules, day, calendar)) for day in dates]
    return _ordered(pd.concat(parts, ignore_index=True)) if parts else _empty()


def run_figures(run: PreviousRun) -> pd.DataFrame:
    """The figures of a kept run (TREND_COLUMNS); none for a run kept without them."""
    if not run.summary:
        return _empty()
    frame = pd.DataFrame(run.summary).assign(as_of=pd.Timestamp(run.as_of))
    return frame.reindex(columns=TREND_COLUMNS)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in TREND_COLUMNS})


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    level = frame["level"].map({"overall": 0, "rule": 1, "team": 2})
    return (
        frame.assign(_level=level)
        .sort_values(["_level", "name", "as_of"], kind="stable")
        .drop(columns="_level")
        .reset_index(drop=True)
    )


def wide(frame: pd.DataFrame) -> pd.DataFrame:
    """Compliance with a row per (level, name) and a column per date, in trend order."""
    table = frame.pivot_table(
        index=["level", "name"], columns="as_of", values="compliance", aggfunc="first", sort=False
    )
    order = {"overall": 0, "rule": 1, "team": 2}
    keys = sorted(table.index, key=lambda key: (order[key[0]], key[1]))
    return table.reindex(keys)


SPARKS = "▁▂▃▄▅▆▇█"
ASCII_SPARKS = "_.-=+*#@"  # the same eight levels in plain text


def sparkline(values: Iterable[float | None], plain: bool = False) -> str:
    """Compliance values (0-1) as a line of eight-level marks; a gap where there is none."""
    marks = ASCII_SPARKS if plain else SPARKS
    out = []
    for value in values:
        if value is None or pd.isna(value):
            out.append(" ")
        else:
            out.append(marks[min(int(float(value) * len(marks)), len(marks) - 1)])
    return "".join(out)
