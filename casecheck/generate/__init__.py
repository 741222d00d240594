"""Write a synthetic Mosaic-style export, reproducibly, with children who meet each check and not.

Everything is drawn from one `numpy.random.default_rng(seed)` and dated relative to `end_date`, the
day the export was extracted: nothing is dated after it, so the same arguments give byte-identical
files. Each table is built from per-child counts with `np.repeat` and random offsets; no loop runs
over children or rows. For every practice check, `World.pick` splits the children it applies to
into a compliant share (about 70%) and the rest, whose dates are then drawn late or left out. Names
and identifiers are made up: no real person appears.

The package is split by job: `world` (the random source, the working-day calendar and array
helpers), `caseload` (the children, workers, placements and the rest of the simulated caseload),
`records` and `evidence` (what each rule looks for, drawn around the timescales `timescales`
reads from the rules themselves), and `writing` (the CSV files).
"""

from __future__ import annotations

import datetime
import pathlib

import numpy as np

from casecheck.calendar import WorkingCalendar
from casecheck.engine.rulefiles import DEFAULT_RULES
from casecheck.export.schema import TABLES
from casecheck.generate import care, caseload, evidence, need, protection
from casecheck.generate.caseload import TEAMS
from casecheck.generate.records import Records
from casecheck.generate.timescales import read_timescales
from casecheck.generate.world import World
from casecheck.generate.writing import table_builders, write_table

__all__ = ["TEAMS", "generate_export"]


def generate_export(
    out_dir: pathlib.Path,
    *,
    children: int,
    seed: int,
    end_date: datetime.date = datetime.date(2026, 10, 30),
    rules: pathlib.Path = DEFAULT_RULES,
) -> dict[str, int]:
    """Write a synthetic export (one CSV per table of casecheck.export.schema.TABLES) into out_dir.

    Returns the rows written per table. The same arguments always give byte-identical files.
    On-time and late records are drawn around the timescales of the rules in `rules`.
    """
    if children < 1:
        raise ValueError(f"children must be at least 1, not {children}")
    end = (end_date - datetime.date(1970, 1, 1)).days
    w = World(
        rng=np.random.default_rng(seed),
        end=end,
        calendar=WorkingCalendar(),
        timescales=read_timescales(rules),
    )
    kids = caseload.draw_children(w, children)
    staff = caseload.draw_staff(w, kids)
    allocations = caseload.draw_allocations(w, kids, staff)
    placements = caseload.draw_placements(w, kids)
    missing = caseload.draw_missing(w, kids)
    contacts = caseload.draw_contacts(w, kids)
    cp = caseload.draw_cp_plans(w, kids)
    cin = caseload.draw_cin_plans(w, kids, cp)

    rec = Records(w, kids)
    evidence.supervision(rec, kids)
    evidence.oversight(rec, kids, allocations)
    evidence.general_notes(rec, kids)
    evidence.placement_plans(rec, kids, placements)
    evidence.cla_reviews(rec, kids)
    evidence.risk_assessments(rec, kids, missing)
    evidence.age_assessments(rec, kids)
    evidence.missing_plans(rec, kids, missing)
    evidence.pathway_plans(rec, kids)
    evidence.case_file(rec, kids)
    evidence.assessments(rec, kids, contacts)
    evidence.other_records(rec, kids)
    evidence.cla_visits(rec, kids, placements)
    evidence.regular_oversight(rec, kids)
    evidence.case_summaries(rec, kids)
    care.care_plans(rec, kids)
    care.health_assessments(rec, kids)
    care.education_plans(rec, kids)
    care.needs_assessments(rec, kids)
    protection.conferences(rec, kids, cp)
    protection.visits(rec, kids, cp)
    need.reviews(rec, kids, cin)
    need.visits(rec, kids, cin)

    out_dir.mkdir(parents=True, exist_ok=True)
    tables = table_builders(
        w, kids, staff, allocations, placements, missing, contacts, cp, cin, rec
    )
    return {name: write_table(out_dir, name, tables[name]()) for name in TABLES}
