"""Child protection: strategy discussions, section 47 enquiries, conferences and CP visits.

Each CP plan starts at its initial conference (ICPC). The strategy discussion before it is
within the rule's working days for about 70% of plans, and the ICPC late or unrecorded for the
rest; review conferences (RCPC) and visits follow the rules' intervals while the plan lasts, kept
up for about 70% and lapsed for the rest.
"""

from __future__ import annotations

import numpy as np

from casecheck.generate.caseload import Children, Plans
from casecheck.generate.records import Records
from casecheck.generate.timing import again
from casecheck.generate.world import BLANK, either


def conferences(rec: Records, kids: Children, cp: Plans) -> None:
    """Strategy discussion, section 47 enquiry and ICPC for each plan; RCPCs while it lasts."""
    w = rec.w
    rows = cp.child.size
    within = w.timescales.working_days("strategy_before_icpc")  # 15 working days
    good = w.pick(np.ones(rows, dtype=bool), 0.7) | cp.boundary
    late, unrecorded = (~good & mode for mode in w.split(rows, 0.6, 0.4))
    # Counted back from the conference, in working days: at most `within` when on time, and
    # exactly `within` for the bank-holiday case.
    back = np.select(
        [cp.boundary, late],
        [within, w.uniform(within + 2, within + 20, rows)],
        w.uniform(max(within // 3, 1), within, rows),
    )
    icpc = cp.start
    strategy = np.maximum(
        w.from_working_number(w.working_number(icpc) - back), kids.start[cp.child]
    )
    kind = either(w.chance(0.8, rows), "Strategy Discussion", "Strategy Meeting")
    rec.step(cp.child, kind, strategy, started=strategy)
    enquiry = np.minimum(strategy + w.uniform(1, 10, rows), icpc)
    rec.step(cp.child, "Section 47 Enquiry", enquiry, started=strategy)
    held = ~unrecorded
    kind = either(w.chance(0.85, rows), "Initial Child Protection Conference", "ICPC")
    rec.step(cp.child[held], kind[held], icpc[held], started=icpc[held])
    # Review conferences from the ICPC to the plan's end (or the extract date).
    kept = w.pick(np.ones(rows, dtype=bool), 0.7)
    lapsed = ~kept & w.chance(0.8, rows)
    hi = np.where(cp.end == BLANK, w.end, cp.end - 1)
    first, every = w.timescales.interval("rcpc_first"), w.timescales.interval("rcpc_every")
    plan, day = again(w, icpc, hi, first, every, kept, lapsed)
    kind = either(w.chance(0.85, plan.size), "Review Child Protection Conference", "RCPC")
    rec.step(cp.child[plan], kind, day, started=day)


def visits(rec: Records, kids: Children, cp: Plans) -> None:
    """Visits at the rule's interval from the ICPC while the plan lasts; lapsed for some."""
    w = rec.w
    rows = cp.child.size
    every = w.timescales.interval("cp_visit_every")  # 10 working days
    kept = w.pick(np.ones(rows, dtype=bool), 0.8)  # some others fail on seen or seen alone
    lapsed = ~kept & w.chance(0.85, rows)
    lo = np.maximum(cp.start, w.end - 365)  # the last year's visits
    hi = np.where(cp.end == BLANK, w.end, cp.end - 1)
    plan, day = again(w, lo, np.maximum(hi, lo - 1), every, every, kept, lapsed)
    rec.visit(cp.child[plan], "CP", day)
