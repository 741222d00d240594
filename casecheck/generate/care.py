"""Looked after and leaving care: care plans, health assessments, PEPs and needs assessments.

Each is on time for about 70% of the children it is due for, and late or missing for the rest,
around the timescales of its rule.
"""

from __future__ import annotations

import numpy as np

from casecheck.generate.caseload import Children
from casecheck.generate.records import Records
from casecheck.generate.timing import after, again, blank_after
from casecheck.generate.world import BLANK, YEAR, Bool, Int


def _once(rec: Records, due: Bool, event: Int, name: str, step: str, missing: float = 0.4) -> Int:
    """A step after each due child's event: on time for about 70%, late or (a share `missing`
    of the rest) missing.

    Returns the day of each child's step (BLANK when none or not yet).
    """
    w, size = rec.w, due.size
    good = w.pick(due, 0.7)
    late, never = (due & ~good & mode for mode in w.split(size, 1 - missing, missing))
    day = after(w, np.where(due, event, w.end), w.timescales.interval(name), late)
    day = np.where(due & ~never, blank_after(day, w.end), BLANK)
    child = np.flatnonzero(day != BLANK)
    rec.step(child, step, day[child])
    return day


def care_plans(rec: Records, kids: Children) -> None:
    """A care plan within the rule's working days of the first placement."""
    _once(rec, kids.has_care, kids.care_start, "care_plan_within", "Care Plan")


def health_assessments(rec: Records, kids: Children) -> None:
    """An initial health assessment after coming into care, then reviews: 6-monthly under 5,
    yearly from 5 (by the child's age at the extract date)."""
    w = rec.w
    looked_after = kids.looked_after
    initial = _once(
        rec, looked_after, kids.care_start, "initial_health_within", "Initial Health Assessment"
    )
    under_5 = w.end - kids.dob < 5 * YEAR
    lo = np.where(initial != BLANK, initial, np.where(looked_after, kids.care_start, w.end))
    for young, name in ((under_5, "review_health_under_5"), (~under_5, "review_health_from_5")):
        due = looked_after & young
        every = w.timescales.interval(name)
        good = w.pick(due, 0.7)
        lapsed = due & ~good & w.chance(0.7, kids.size)
        child, day = again(w, lo, np.maximum(w.end, lo), every, every, good, lapsed)
        rec.step(child, "Review Health Assessment", day)


def education_plans(rec: Records, kids: Children) -> None:
    """A personal education plan within the rule's working days of coming into care (school
    age), then reviewed each term."""
    w = rec.w
    age_at_care = kids.care_start - kids.dob
    age_now = w.end - kids.dob
    school = kids.looked_after & (age_at_care >= 4 * YEAR) & (age_now < 16 * YEAR)
    first = _once(rec, school, kids.care_start, "pep_within", "Personal Education Plan")
    every = w.timescales.interval("pep_every")
    good = w.pick(school & (first != BLANK), 0.7)
    lapsed = school & ~good & (first != BLANK) & w.chance(0.7, kids.size)
    lo = np.where(first != BLANK, first, w.end)
    child, day = again(w, lo, np.maximum(w.end, lo), every, every, good, lapsed)
    rec.step(child, "Personal Education Plan", day)
    copy = w.chance(0.3, child.size)
    rec.document(child[copy], "Personal Education Plan", day[copy])


def needs_assessments(rec: Records, kids: Children) -> None:
    """A needs assessment within the rule's time of becoming an eligible child."""
    w = rec.w
    day, due = qualified(kids, w.end)
    # Done late is compliant by the as-of date: most of the rest have none.
    _once(rec, due, day, "needs_assessment_within", "Needs Assessment", missing=0.8)


def qualified(kids: Children, end: int) -> tuple[Int, Bool]:
    """The day each child qualified as a care leaver (16 or over, looked after that day, and 13
    weeks looked after since 14), and whether they have by `end`."""
    fourteen, sixteen = kids.dob + int(14 * YEAR) + 1, kids.dob + int(16 * YEAR) + 1
    day = np.maximum(sixteen, np.maximum(kids.care_start, fourteen) + 91)
    return day, kids.has_care & (day <= end) & (kids.care_stop >= day)
