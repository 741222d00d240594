"""The simulated caseload: children, workers, allocations, placements, missing, contacts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from casecheck.generate.world import (
    BLANK,
    DAY,
    KEY,
    YEAR,
    Bool,
    Int,
    Obj,
    World,
    either,
    group_cumsum,
    is_last,
    periods,
    repeat_text,
    sort_rows,
    spaced,
)

TEAMS = (
    "Assessment East",
    "Assessment West",
    "Child in Need 1",
    "Child in Need 2",
    "Child Protection",
    "Children in Care 1",
    "Children in Care 2",
    "Leaving Care",
    "Disabled Children",
)
_ASSESSMENT, _CHILD_IN_NEED, _PROTECTION, _IN_CARE, _LEAVING_CARE, _DISABLED = 0, 2, 4, 5, 7, 8
_CASELOAD = 15  # children per worker, which sets how many workers each team has

FIRST_NAMES = (
    "Alex", "Sam", "Jordan", "Chris", "Jamie", "Morgan", "Taylor", "Robin", "Charlie", "Casey",
    "Drew", "Frankie", "Harper", "Jesse", "Kit", "Lee", "Max", "Nico", "Pat", "Quinn",
)  # fmt: skip
LAST_NAMES = (
    "Ashby", "Brook", "Carter", "Dale", "Ellis", "Fenwick", "Garner", "Hale", "Irwin", "Jarvis",
    "Kemp", "Lowe", "Marsh", "Noble", "Oakley", "Pryce", "Rowe", "Sutton", "Thorne", "Yates",
)  # fmt: skip
GENDERS = ("Male", "Female", "Unknown")
ETHNICITIES = (
    "White British",
    "White Other",
    "Mixed",
    "Asian or Asian British",
    "Black or Black British",
    "Other ethnic group",
    "Not stated",
)
PLACEMENT_TYPES = (
    "Foster placement with relative or friend",
    "Foster placement with other foster carer",
    "Children's home",
    "Supported accommodation",
    "Placed with parents",
    "Residential school",
)
PLACEMENT_CHANGE_REASONS = (
    "Planned move to a long-term placement",
    "Carer asked for the placement to end",
    "Move closer to school",
    "Placement ended as planned",
    "Change to the care plan",
)
CONTACT_OUTCOMES = (
    "Progress to assessment",
    "No further action",
    "Information and advice",
    "Early help",
    "Strategy discussion",
)
TO_ASSESSMENT = CONTACT_OUTCOMES[0]
GENERAL_NOTE_TYPES = (
    "Case Note",
    "Home Visit",
    "Telephone Call",
    "Office Visit",
    "School Contact",
    "Health Contact",
    "Email",
)
OTHER_DOCUMENT_CATEGORIES = (
    "Correspondence",
    "Court Report",
    "Health Assessment",
    "Personal Education Plan",
    "Consent Form",
    "Referral Form",
)
# Made-up reasons an assessment ran late, for DELAY_REASON (free text, never echoed).
DELAY_REASONS = (
    "Family unavailable for several planned visits",
    "Awaiting information from health partners",
    "Interpreter needed; delay in arranging one",
    "Change of social worker during the assessment",
    "Awaiting checks from partner agencies",
    "Child in hospital for part of the assessment period",
)
TITLE_ENDINGS = ("final version", "signed copy", "scanned copy", "draft for discussion", "record")


@dataclass(frozen=True)
class Children:
    """Who each child is and when the service was involved; one entry per child."""

    dob: Int
    gender: Obj
    ethnicity: Obj
    uasc: Bool
    age_estimated: Bool
    looked_after: Bool  # looked after now
    care_leaver: Bool  # aged 16-17, left care
    disabled: Bool
    protection: Bool  # on a child protection plan
    closed: Bool
    start: Int  # first contact
    stop: Int  # case closure, or end_date while open
    care_start: Int  # start of the period of care (BLANK if never looked after)
    care_stop: Int  # end of care: end_date while looked after (BLANK if never)
    team: Int
    late_writer: Bool  # writes some case notes up late

    @property
    def size(self) -> int:
        return int(self.dob.size)

    @property
    def has_care(self) -> Bool:
        return self.looked_after | self.care_leaver


def draw_children(w: World, size: int) -> Children:
    rng, end = w.rng, w.end
    everyone = np.ones(size, dtype=bool)
    uasc = w.pick(everyone, 0.05)
    years = np.where(
        uasc,
        np.where(w.chance(0.85, size), w.uniform(15, 17, size), w.uniform(12, 14, size)),
        w.uniform(0, 17, size),
    )
    age = np.clip(np.floor((years + rng.random(size)) * YEAR).astype(np.int64), 30, 18 * 365 - 1)
    dob = end - age
    age_estimated = w.pick(uasc, 0.85)
    looked_after = w.pick(uasc, 0.9) | w.pick(~uasc, 0.32)
    care_leaver = w.pick(~looked_after & (age >= 16 * YEAR + 30), 0.3)
    disabled = w.pick(~uasc & ~looked_after & ~care_leaver, 0.06)

    recently = w.chance(0.25, size)  # many cases are new: referred in the last six months
    lookback = np.select(
        [uasc, care_leaver, recently],
        [w.uniform(20, 700, size), w.uniform(400, 2190, size), w.uniform(20, 180, size)],
        w.uniform(20, 2190, size),
    )
    earliest = np.where(uasc, dob + int(12 * YEAR), dob)
    start = np.minimum(np.maximum(end - lookback, earliest), end - 20)
    span = end - start
    closed = w.pick(~looked_after & ~care_leaver & (span > 200), 0.2)
    stop = np.where(closed, start + 100 + np.floor(rng.random(size) * (span - 130)), end)

    into_care = np.where(
        uasc, w.uniform(0, 3, size), np.floor(rng.random(size) * np.maximum(span - 30, 0) * 0.5)
    )
    left_at = np.floor(rng.random(size) * 0.3 * span)
    care_start = np.where(
        looked_after, start + into_care, np.where(care_leaver, start + left_at, BLANK)
    )
    left_care = care_start + 90 + np.floor(rng.random(size) * (end - 120 - care_start))
    care_stop = np.where(looked_after, end, np.where(care_leaver, left_care, BLANK))
    protection = w.pick(~closed & ~looked_after & ~care_leaver & ~disabled, 0.2)

    second = w.uniform(0, 1, size)
    team = np.select(
        [
            care_leaver,
            looked_after & (age >= 16 * YEAR) & w.chance(0.5, size),
            looked_after,
            disabled,
            ~closed & (start >= end - 60),
            protection,
        ],
        [
            _LEAVING_CARE,
            _LEAVING_CARE,
            _IN_CARE + second,
            _DISABLED,
            _ASSESSMENT + second,
            _PROTECTION,
        ],
        _CHILD_IN_NEED + second,
    )
    gender = np.where(
        uasc & w.chance(0.92, size), "Male", w.choice(GENDERS, size, (0.5, 0.49, 0.01))
    ).astype(object)
    ethnicity = np.where(
        uasc,
        w.choice(ETHNICITIES[1:6], size, (0.15, 0.05, 0.3, 0.3, 0.2)),
        w.choice(ETHNICITIES, size, (0.6, 0.07, 0.09, 0.1, 0.08, 0.03, 0.03)),
    ).astype(object)
    return Children(
        dob=dob,
        gender=gender,
        ethnicity=ethnicity,
        uasc=uasc,
        age_estimated=age_estimated,
        looked_after=looked_after,
        care_leaver=care_leaver,
        disabled=disabled,
        protection=protection,
        closed=closed,
        start=start,
        stop=stop.astype(np.int64),
        care_start=care_start.astype(np.int64),
        care_stop=care_stop.astype(np.int64),
        team=team.astype(np.int64),
        late_writer=w.pick(everyone, 0.25),
    )


@dataclass(frozen=True)
class Staff:
    """Workers, team by team: each team's first worker is its manager, the rest hold cases."""

    first: Int  # index of each team's manager
    size: Int  # workers in each team, manager included
    team: Int  # team of each worker
    ids: Obj
    names: Obj


def draw_staff(w: World, kids: Children) -> Staff:
    caseload = np.bincount(kids.team, minlength=len(TEAMS))
    size = np.maximum(3, -(-caseload // _CASELOAD)).astype(np.int64) + 1
    first = np.cumsum(size) - size
    total = int(size.sum())
    width = max(4, len(str(total)))
    ids = np.array([f"W{i + 1:0{width}d}" for i in range(total)], dtype=object)
    names = w.choice(FIRST_NAMES, total) + " " + w.choice(LAST_NAMES, total)
    team = np.repeat(np.arange(len(TEAMS), dtype=np.int64), size)
    return Staff(first=first, size=size, team=team, ids=ids, names=names)


@dataclass(frozen=True)
class Allocations:
    """Allocated-worker periods, sorted by child then start."""

    child: Int
    start: Int
    end: Int
    worker: Int
    rank: Int  # 0 for the first period; each later one is a change of worker

    def worker_at(self, child: Int, day: Int) -> Int:
        """The worker allocated to each child on each day (the first one before allocation)."""
        keys = self.child * KEY + self.start
        row = np.searchsorted(keys, child * KEY + day, side="right") - 1
        first = np.searchsorted(keys, child * KEY, side="left")
        return self.worker[np.maximum(row, first)]


def draw_allocations(w: World, kids: Children, staff: Staff) -> Allocations:
    size, end = kids.size, w.end
    churn = w.pick(~kids.closed & (end - kids.start >= 200), 0.1)
    window = np.where(w.chance(0.5, size), 180, 365)
    changes = np.where(
        churn, w.uniform(2, 5, size), w.rng.choice(4, size, p=(0.45, 0.35, 0.15, 0.05))
    )
    lo = np.where(churn, np.maximum(kids.start + 14, end - window), kids.start + 30)
    group, day, _ = spaced(w, lo, kids.stop - 1, changes, np.where(churn, 10, 30))
    child, start, stop, rank = periods(
        np.concatenate((np.arange(size, dtype=np.int64), group)),
        np.concatenate((kids.start, day)),
        size,
        np.where(kids.closed, kids.stop, BLANK),
    )
    team = kids.team[child]
    holders = staff.size[team] - 1
    step = np.where(rank == 0, w.uniform(0, holders - 1), w.uniform(1, holders - 1))
    sizes = np.bincount(child, minlength=size).astype(np.int64)
    worker = staff.first[team] + 1 + group_cumsum(step, sizes) % holders
    return Allocations(child=child, start=start, end=stop, worker=worker, rank=rank)


@dataclass(frozen=True)
class Placements:
    """Placements, sorted by child then start; the current one has end BLANK."""

    child: Int
    start: Int
    end: Int
    kind: Obj
    reason: Obj


def draw_placements(w: World, kids: Children) -> Placements:
    size, end = kids.size, w.end
    unstable = w.pick(kids.looked_after & (end - 10 - kids.care_start >= 150), 0.15)
    moves = np.where(
        unstable, w.uniform(3, 5, size), w.rng.choice(4, size, p=(0.5, 0.3, 0.15, 0.05))
    )
    lo = np.where(unstable, np.maximum(kids.care_start + 28, end - 355), kids.care_start + 28)
    hi = np.where(kids.looked_after, end - 10, kids.care_stop - 28)
    group, day, _ = spaced(w, lo, hi, np.where(kids.has_care, moves, 0), 28)
    in_care = np.flatnonzero(kids.has_care)
    child, start, stop, _ = periods(
        np.concatenate((in_care, group)),
        np.concatenate((kids.care_start[in_care], day)),
        size,
        np.where(kids.looked_after, BLANK, kids.care_stop),
    )
    rows = child.size
    # Supported accommodation only from 16 (it is not allowed for younger children).
    sixteen = start - kids.dob[child] >= 16 * YEAR
    supported = sixteen & (w.rng.random(rows) < np.where(kids.uasc[child], 0.6, 0.35))
    kind = w.choice(PLACEMENT_TYPES, rows, (0.16, 0.54, 0.16, 0.0, 0.08, 0.06))
    kind[supported] = "Supported accommodation"
    reason = np.where(stop == BLANK, "", w.choice(PLACEMENT_CHANGE_REASONS, rows)).astype(object)
    return Placements(child=child, start=start, end=stop, kind=kind, reason=reason)


@dataclass(frozen=True)
class Missing:
    """Missing episodes, sorted by child then start; times in minutes."""

    child: Int
    start: Int
    end: Int
    offered: Obj
    interview: Int  # return home interview, or BLANK


def draw_missing(w: World, kids: Children) -> Missing:
    size, end = kids.size, w.end
    older = (end - kids.dob >= 11 * YEAR) & (end - kids.start >= 40)
    in_care = kids.looked_after | kids.uasc
    went = w.pick(older & in_care, 0.3) | w.pick(older & ~in_care, 0.12)
    how_often = w.rng.choice(
        np.array([1, 2, 3, 4, 5, 8, 12, 20]), size, p=(0.45, 0.2, 0.1, 0.07, 0.06, 0.06, 0.04, 0.02)
    )
    lo = np.maximum.reduce([kids.start, kids.dob + int(10 * YEAR), np.full(size, end - 730)])
    child, day, _ = spaced(w, lo, kids.stop - 10, np.where(went, how_often, 0), 7)
    rows = child.size
    start = day * DAY + w.uniform(0, DAY - 1, rows)
    hours = np.select(
        [w.chance(0.7, rows), w.chance(0.8, rows)],
        [w.uniform(60, 24 * 60, rows), w.uniform(24 * 60, 72 * 60, rows)],
        w.uniform(72 * 60, 150 * 60, rows),
    )
    stop = start + hours
    good = w.pick(np.bincount(child, minlength=size) > 0, 0.7)
    fail = ~good[child] & (w.chance(0.6, rows) | is_last(child))
    late = fail & w.chance(0.6, rows)
    within = w.timescales.minutes("interview_within")  # 72 hours
    interview = np.select(
        [~fail, late],
        [
            stop + w.uniform(120, within - 120, rows),
            stop + w.uniform(within + 60, within + 168 * 60, rows),
        ],
        BLANK,
    )
    interview = np.where(interview // DAY > end, BLANK, interview)
    offered = either(interview == BLANK, "N", "Y")
    return Missing(child=child, start=start, end=stop, offered=offered, interview=interview)


@dataclass(frozen=True)
class Contacts:
    """Contacts and referrals, sorted by child then day received."""

    child: Int
    received: Int
    decided: Int
    outcome: Obj


def draw_contacts(w: World, kids: Children) -> Contacts:
    size = kids.size
    more = w.rng.poisson(np.maximum(kids.stop - kids.start - 45, 0) / 365 * 0.35)
    group = np.repeat(np.arange(size, dtype=np.int64), more)
    contacts = sort_rows(
        {
            "child": np.concatenate((np.arange(size, dtype=np.int64), group)),
            "received": np.concatenate(
                (kids.start, w.uniform(kids.start[group] + 30, kids.stop[group] - 15))
            ),
            "first": np.concatenate((np.ones(size, dtype=bool), np.zeros(group.size, dtype=bool))),
        },
        "child",
        "received",
    )
    child, received, first = contacts["child"], contacts["received"], contacts["first"]
    rows = child.size
    outcome = np.where(
        first, TO_ASSESSMENT, w.choice(CONTACT_OUTCOMES, rows, (0.3, 0.25, 0.2, 0.15, 0.1))
    ).astype(object)
    late = ~w.pick(np.ones(size, dtype=bool), 0.75)[child] & (first | w.chance(0.5, rows))
    within = w.timescales.working_days("decision_within")  # 1 working day
    decided = w.add_working_days(
        received,
        np.where(late, w.uniform(within + 1, within + 6, rows), w.uniform(0, within, rows)),
    )
    return Contacts(child=child, received=received, decided=decided, outcome=outcome)


CP_CATEGORIES = ("Neglect", "Emotional abuse", "Physical abuse", "Sexual abuse", "Multiple")


@dataclass(frozen=True)
class Plans:
    """Child-protection or child-in-need plans, sorted by child then start; open: end BLANK."""

    child: Int
    start: Int
    end: Int
    category: Obj  # CP plans: the category of abuse; CIN plans: blank
    boundary: Bool  # the bank-holiday case: a conference on the last working day allowed


def draw_cp_plans(w: World, kids: Children) -> Plans:
    """A plan now for each child on one; an ended one for some in care, in need or closed.

    A plan starts at its initial conference, at least 20 days after the first contact (time for
    a strategy discussion and a section 47 enquiry); an ended plan gives way to care (on the day
    the child came into care), to a child-in-need plan, or to closure.
    """
    size, end = kids.size, w.end
    first = kids.start + 20
    current = np.flatnonzero(kids.protection)
    began = w.uniform(np.maximum(first, end - 700), end - 1)[current]
    # One plan starts 10 working days after a bank holiday, its conference on the last day
    # allowed (see protection.py): the bank-holiday case.
    boundary = np.zeros(current.size, dtype=bool)
    latest = _date(end - 45)
    # Christmas Day is a bank holiday every year, so last year's and this year's hold it.
    recent = w.calendar.holidays_in(range(latest.year - 1, latest.year + 1))
    holiday = max(d for d in recent if d <= latest)
    at = w.add_working_days(np.array([_day(holiday)]), 10)[0]
    fits = np.flatnonzero(first[current] <= _day(holiday) - 30)
    if fits.size:
        boundary[fits[0]] = True
        began[fits[0]] = at
    before_care = w.pick(kids.looked_after & (kids.care_start - first >= 60), 0.3)
    stepped_down = w.pick(
        ~kids.closed & ~kids.has_care & ~kids.protection & (end - first >= 150), 0.15
    )
    before_closure = w.pick(kids.closed & (kids.stop - first >= 120), 0.15)
    ended = np.flatnonzero(before_care | stepped_down | before_closure)
    stop = np.select(
        [before_care, stepped_down],
        [kids.care_start, w.uniform(first + 90, end - 30)],
        kids.stop - w.uniform(0, 30, size),
    )[ended]
    start = w.uniform(first[ended], np.maximum(first[ended], stop - 60))
    # A plan starts at its initial conference, held on a working day.
    began, start = w.working_day_by(began), np.maximum(w.working_day_by(start), first[ended])
    rows = sort_rows(
        {
            "child": np.concatenate((current, ended)),
            "start": np.concatenate((began, start)),
            "end": np.concatenate((np.full(current.size, BLANK, dtype=np.int64), stop)),
            "boundary": np.concatenate((boundary, np.zeros(ended.size, dtype=bool))),
        },
        "child",
        "start",
    )
    category = w.choice(CP_CATEGORIES, rows["child"].size, (0.48, 0.36, 0.07, 0.04, 0.05))
    return Plans(
        child=rows["child"],
        start=rows["start"],
        end=rows["end"],
        category=category,
        boundary=rows["boundary"],
    )


def draw_cin_plans(w: World, kids: Children, cp: Plans) -> Plans:
    """A plan now for most open children in need (not in care, not on a CP plan, not just
    referred): from a few weeks after the first contact, or from the day a CP plan ended; an
    ended plan for some whose case closed."""
    size, end = kids.size, w.end
    in_need = ~kids.closed & ~kids.has_care & ~kids.protection & (end - kids.start > 60)
    planned = w.pick(in_need, 0.85)
    after_cp = np.full(size, BLANK, dtype=np.int64)
    ended_cp = cp.end != BLANK
    np.maximum.at(after_cp, cp.child[ended_cp], cp.end[ended_cp])
    begins = np.where(
        after_cp != BLANK, after_cp, np.minimum(kids.start + w.uniform(25, 60, size), end - 1)
    )
    had_cp = np.bincount(cp.child, minlength=size) > 0
    closed = w.pick(kids.closed & ~had_cp & (kids.stop - kids.start >= 120), 0.5)
    closed_start = w.uniform(kids.start + 25, kids.start + 60)
    current, ended = np.flatnonzero(planned), np.flatnonzero(closed)
    rows = sort_rows(
        {
            "child": np.concatenate((current, ended)),
            "start": np.concatenate((begins[current], closed_start[ended])),
            "end": np.concatenate((np.full(current.size, BLANK, dtype=np.int64), kids.stop[ended])),
        },
        "child",
        "start",
    )
    size = rows["child"].size
    return Plans(
        child=rows["child"],
        start=rows["start"],
        end=rows["end"],
        category=repeat_text("", size),
        boundary=np.zeros(size, dtype=bool),
    )


def _date(day: int) -> datetime.date:
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))


def _day(date: datetime.date) -> int:
    return (date - datetime.date(1970, 1, 1)).days
