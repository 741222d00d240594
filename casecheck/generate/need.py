"""Children in need: visits and CIN plan reviews at the rules' intervals while a plan lasts."""

from __future__ import annotations

import numpy as np

from casecheck.generate.caseload import Children, Plans
from casecheck.generate.records import Records
from casecheck.generate.timing import again
from casecheck.generate.world import BLANK, either


def reviews(rec: Records, kids: Children, cin: Plans) -> None:
    """CIN plan reviews from the plan's start: kept up for about 70%, lapsed or none for others."""
    w = rec.w
    rows = cin.child.size
    every = w.timescales.interval("cin_review_every")
    kept = w.pick(np.ones(rows, dtype=bool), 0.7)
    lapsed = ~kept & w.chance(0.8, rows)
    hi = np.where(cin.end == BLANK, w.end, cin.end - 1)
    plan, day = again(w, cin.start, np.maximum(hi, cin.start), every, every, kept, lapsed)
    kind = either(w.chance(0.8, plan.size), "CIN Plan Review", "Child in Need Review")
    rec.step(cin.child[plan], kind, day, started=day)


def visits(rec: Records, kids: Children, cin: Plans) -> None:
    """Visits at the rule's interval over the last year of each plan; lapsed for some."""
    w = rec.w
    rows = cin.child.size
    every = w.timescales.interval("cin_visit_every")
    kept = w.pick(np.ones(rows, dtype=bool), 0.8)  # some others fail on the child seen
    lapsed = ~kept & w.chance(0.85, rows)
    lo = np.maximum(cin.start, w.end - 365)
    hi = np.where(cin.end == BLANK, w.end, cin.end - 1)
    plan, day = again(w, lo, np.maximum(hi, lo), every, every, kept, lapsed)
    rec.visit(cin.child[plan], "CIN", day)
