"""The rules' timescales the generator draws on-time and late records around, read from the rules.

Each figure is read from the rule file that checks it, through the engine's own rule loader, so
the sample export follows the rules: lengthen a rule's interval and the generator spaces that
evidence further apart. A rule that no longer has the figure (renamed, removed, restructured, or
written in a unit the generator does not draw in) stops the generator with a message naming the
rule, the key and what to change, never a silently out-of-step sample.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from casecheck.calendar import Duration, Unit
from casecheck.engine.model import Rule
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.errors import RuleFileError
from casecheck.export.config import CouncilConfig

# Where each figure is, as (rule id, keys into the rule); the registry read top to bottom.
WHERE: dict[str, tuple[str, tuple[str | int, ...]]] = {
    "supervision_every": ("supervision-uploaded", ("checks", "monthly", "every")),
    "supervision_write_up": ("supervision-uploaded", ("checks", "written-up", "within")),
    "note_write_up": ("case-notes-timely", ("checks", "recorded", "within")),
    "oversight_after": ("worker-changes", ("checks", "oversight", "window", "after")),
    "plan_before": ("placement-plan-per-move", ("checks", "plan", "window", "before")),
    "plan_after": ("placement-plan-per-move", ("checks", "plan", "window", "after")),
    "review_first": ("cla-reviews-timely", ("checks", "reviews", "schedule", 0)),
    "review_second": ("cla-reviews-timely", ("checks", "reviews", "schedule", 1)),
    "review_every": ("cla-reviews-timely", ("checks", "reviews", "schedule", 2)),
    "risk_every": ("risk-assessment-present", ("checks", "current", "every")),
    "age_assessment_due": ("age-assessment-in-documents", ("checks", "filed", "first_due")),
    "missing_plan_every": ("missing-plan-exists", ("checks", "plan", "every")),
    "pathway_every": ("pathway-plans", ("checks", "plan", "every")),
    "core_documents_open_for": ("core-documents-present", ("scope", "open_for")),
    "assessment_after": (
        "child-and-family-assessment-timely",
        ("checks", "assessment", "window", "after"),
    ),
    "decision_within": ("contact-decision-timely", ("checks", "decision", "within")),
    "visit_after_move": ("cla-visits", ("checks", "after-move", "window", "after")),
    "visit_every": ("cla-visits", ("checks", "every-6-weeks", "every")),
    "interview_within": ("return-home-interview", ("checks", "offered", "within")),
    "oversight_every": ("management-oversight", ("checks", "oversight", "every")),
    "care_plan_within": ("care-plan-timely", ("checks", "plan", "window", "after")),
    "initial_health_within": (
        "initial-health-assessment",
        ("checks", "assessment", "window", "after"),
    ),
    "review_health_under_5": ("review-health-assessments", ("checks", "under-5", "every")),
    "review_health_from_5": ("review-health-assessments", ("checks", "from-5", "every")),
    "pep_within": ("pep-timely", ("checks", "initial", "window", "after")),
    "pep_every": ("pep-timely", ("checks", "termly", "every")),
    "needs_assessment_within": ("needs-assessment-16", ("checks", "assessment", "first_due")),
    "strategy_before_icpc": (
        "cp-initial-conference",
        ("checks", "conference", "window", "before"),
    ),
    "rcpc_first": ("cp-review-conferences", ("checks", "reviews", "schedule", 0)),
    "rcpc_every": ("cp-review-conferences", ("checks", "reviews", "schedule", 1)),
    "cp_visit_every": ("cp-visits", ("checks", "every-10-working-days", "every")),
    "cin_visit_every": ("cin-visits", ("checks", "visits", "every")),
    "cin_review_every": ("cin-plan-reviews", ("checks", "reviews", "every")),
}


def _at(rule: Rule, keys: tuple[str | int, ...]) -> Any:
    """The value at keys in a rule (attributes of models, keys of mappings, items of lists)."""
    value: Any = rule
    for key in keys:
        if isinstance(value, BaseModel) and isinstance(key, str):
            value = getattr(value, key.replace("-", "_"), None)
        elif isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and key < len(value):
            value = value[key]
        else:
            return None
        if value is None:
            return None
    return value


@functools.cache
def _least_days(months: int) -> int:
    """The fewest calendar days `months` months can span (6 months: 181, Feb-Aug less a day)."""
    starts = pd.date_range("2001-01-01", "2004-12-31")  # every day of a leap-year cycle
    spans = (starts + pd.DateOffset(months=months)) - starts
    return int(spans.days.min())


@dataclass(frozen=True)
class Interval:
    """A timescale as the generator counts it: working days, or (the fewest) calendar days."""

    working: bool
    amount: int


@dataclass(frozen=True)
class Timescales:
    """The figures named in WHERE, each the Duration its rule says."""

    durations: dict[str, Duration]
    folder: Path

    def _get(self, name: str, units: tuple[Unit, ...]) -> Duration:
        duration = self.durations[name]
        if duration.unit not in units:
            rule, keys = WHERE[name]
            raise RuleFileError(
                str(self.folder / f"{rule}.yaml"),
                f"at {' > '.join(str(k) for k in keys)}: the generator draws this timescale in "
                f"{' or '.join(u.value.replace('_', ' ') for u in units)}, not {duration}",
                "Teach casecheck/generate/timescales.py and the generator the new unit.",
            )
        return duration

    def working_days(self, name: str) -> int:
        """A timescale written in working days, as a count of them."""
        return self._get(name, (Unit.WORKING_DAYS,)).amount

    def days(self, name: str) -> int:
        """A timescale in days or weeks as calendar days; in months, the fewest days it spans."""
        duration = self._get(name, (Unit.DAYS, Unit.WEEKS, Unit.MONTHS))
        if duration.unit is Unit.MONTHS:
            return _least_days(duration.amount)
        return duration.amount * (7 if duration.unit is Unit.WEEKS else 1)

    def interval(self, name: str) -> Interval:
        """A timescale in working days as a count of them, any other (but hours) in days."""
        duration = self._get(name, (Unit.WORKING_DAYS, Unit.DAYS, Unit.WEEKS, Unit.MONTHS))
        if duration.unit is Unit.WORKING_DAYS:
            return Interval(working=True, amount=duration.amount)
        return Interval(working=False, amount=self.days(name))

    def minutes(self, name: str) -> int:
        """A timescale in hours, as minutes."""
        return self._get(name, (Unit.HOURS,)).amount * 60


def read_timescales(folder: Path = DEFAULT_RULES) -> Timescales:
    """The figures of WHERE from the rules in `folder` (the default pack unless told)."""
    rules = {rule.id: rule for rule in load_rules(folder, CouncilConfig())}
    durations: dict[str, Duration] = {}
    for name, (rule_id, keys) in WHERE.items():
        where = " > ".join(str(k) for k in keys)
        if rule_id not in rules:
            raise RuleFileError(
                str(folder / f"{rule_id}.yaml"),
                f"the generator draws its sample around this rule's {where}, and there is no "
                "such rule",
                "Point casecheck/generate/timescales.py at the rule that now checks it.",
            )
        value = _at(rules[rule_id], keys)
        if not isinstance(value, Duration):
            raise RuleFileError(
                str(folder / f"{rule_id}.yaml"),
                f"the generator draws its sample around {where}, which this rule no longer has",
                "Point casecheck/generate/timescales.py at where the rule now says it.",
            )
        durations[name] = value
    return Timescales(durations=durations, folder=folder)
