"""The evidence each rule looks for, compliant for about 70% of the children it applies to."""

from __future__ import annotations

import numpy as np

from casecheck.generate.care import qualified
from casecheck.generate.caseload import (
    DELAY_REASONS,
    GENERAL_NOTE_TYPES,
    OTHER_DOCUMENT_CATEGORIES,
    TO_ASSESSMENT,
    Allocations,
    Children,
    Contacts,
    Missing,
    Placements,
)
from casecheck.generate.records import Records
from casecheck.generate.timing import again
from casecheck.generate.world import BLANK, DAY, Int, either, is_last, recent_first, series


def supervision(rec: Records, kids: Children) -> None:
    """Supervision about monthly on working days; lapsed now for some, with past gaps for others."""
    w, size = rec.w, kids.size
    every = w.timescales.days("supervision_every")  # 30 days
    good = w.pick(~kids.closed, 0.75) | (kids.closed & w.chance(0.75, size))
    lapsed = ~good & w.chance(0.85, size)
    first = np.where(lapsed, w.uniform(every + 5, every + 60, size), w.uniform(0, every - 5, size))

    def gaps(group: Int, rank: Int) -> Int:
        slow = ~good[group] & w.chance(0.25, group.size)
        return np.where(
            slow,
            w.uniform(every + 5, every + 50, group.size),
            w.uniform(every - 14, every - 4, group.size),
        )

    child, day, _ = series(kids.start, kids.stop, first, gaps, every - 14, backward=True)
    day = np.maximum(w.working_day_by(day), kids.start[child])
    kind = either(w.chance(0.85, child.size), "Case Supervision", "Management Supervision")
    rec.note(child, kind, day, by_manager=True)


def oversight(rec: Records, kids: Children, allocations: Allocations) -> None:
    """Management oversight on opening and after each change of worker; late or absent for some."""
    w = rec.w
    opened = np.flatnonzero(w.chance(0.6, kids.size))
    rec.note(
        opened,
        "Management Oversight",
        w.add_working_days(kids.start[opened], w.uniform(0, 3, opened.size)),
        by_manager=True,
        prompt=True,
    )
    change = allocations.rank > 0
    child, day = allocations.child[change], allocations.start[change]
    rows = child.size
    good = w.pick(np.bincount(child, minlength=kids.size) > 0, 0.7)
    fail = ~good[child] & (w.chance(0.6, rows) | is_last(child))
    late = fail & w.chance(0.4, rows)
    after = w.timescales.working_days("oversight_after")  # 10 working days
    noted = w.add_working_days(
        day,
        np.where(late, w.uniform(after + 2, after + 30, rows), w.uniform(0, after - 2, rows)),
    )
    keep = (~fail | late) & (noted <= kids.stop[child])
    rec.note(child[keep], "Management Oversight", noted[keep], by_manager=True, prompt=True)


def general_notes(rec: Records, kids: Children) -> None:
    """Everyday case notes (besides supervision and oversight), one every two months or so."""
    w = rec.w
    count = w.rng.poisson((kids.stop - kids.start) / 30 * 0.5)
    child = np.repeat(np.arange(kids.size, dtype=np.int64), count)
    day = w.uniform(kids.start[child], kids.stop[child])
    status = either(w.chance(0.04, child.size), "DRAFT", "COMPLETE")
    rec.note(child, w.choice(GENERAL_NOTE_TYPES, child.size), day, status=status)


def placement_plans(rec: Records, kids: Children, placements: Placements) -> None:
    """A placement plan from 14 days before to 5 working days after each placement starts."""
    w = rec.w
    ahead = w.timescales.days("plan_before")  # 14 days
    within = w.timescales.working_days("plan_after")  # 5 working days
    child, start = placements.child, placements.start
    rows = child.size
    good = w.pick(np.bincount(child, minlength=kids.size) > 0, 0.68)
    fail = ~good[child] & (w.chance(0.6, rows) | is_last(child))
    before = np.maximum(start - w.uniform(1, ahead - 1, rows), kids.start[child])
    after = w.add_working_days(start, w.uniform(0, within - 1, rows))
    on_time = np.where(w.chance(0.3, rows), before, after)
    late = w.add_working_days(start, w.uniform(within + 3, within + 35, rows))
    done_late, unfinished = (fail & mode for mode in w.split(rows, 0.45, 0.2))  # or missing
    completed = np.where(fail, np.where(done_late & (late <= w.end), late, BLANK), on_time)
    as_document = ~fail & w.chance(0.2, rows)
    rec.document(child[as_document], "Placement Plan", completed[as_document])
    as_step = ~as_document & (~fail | done_late | unfinished)
    started = np.where(
        completed == BLANK, start + w.uniform(0, 5, rows), completed - w.uniform(0, 10, rows)
    )
    rec.step(child[as_step], "Placement Plan", completed[as_step], started=started[as_step])


def cla_reviews(rec: Records, kids: Children) -> None:
    """CLA reviews within 20 working days, then 3 months, then every 6 months.

    Some children's latest review is now overdue; some others had a late review in the past.
    """
    w, size = rec.w, kids.size
    within = w.timescales.working_days("review_first")  # 20 working days
    second_within = w.timescales.days("review_second")  # 3 months: 89 days at the least
    every = w.timescales.days("review_every")  # 6 months: 181 days at the least
    good = w.pick(kids.has_care, 0.68)
    overdue = ~good & w.chance(0.75, size)
    late_first = ~good & ~overdue & w.chance(0.5, size)
    lo = np.where(kids.has_care, kids.care_start, w.end)
    delay = np.where(
        late_first,
        w.uniform(within + 3, within + 20, size),
        w.uniform(within - 12, within - 1, size),
    )
    first = w.add_working_days(lo, delay) - lo

    def gaps(group: Int, rank: Int) -> Int:
        rows = group.size
        late = ~good[group] & ~overdue[group] & ~late_first[group] & w.chance(0.5, rows)
        second = np.where(
            late,
            w.uniform(second_within + 11, second_within + 41, rows),
            w.uniform(second_within - 39, second_within - 1, rows),
        )
        later = np.where(
            late, w.uniform(every + 14, every + 79, rows), w.uniform(every - 41, every - 3, rows)
        )
        return np.where(rank == 1, second, later)

    last = np.where(
        overdue, kids.care_stop - w.uniform(every + 4, every + 119, size), kids.care_stop
    )
    shortest = min(second_within - 39, every - 41)
    group, day, _ = series(lo, np.where(kids.has_care, last, -1), first, gaps, shortest)
    kind = either(w.chance(0.85, size), "CLA Review", "Looked After Child Review")
    rec.step(group, kind[group], day, started=day)
    minutes = w.chance(0.3, group.size) & (day + 20 <= w.end)
    rec.document(group[minutes], "CLA Review", day[minutes] + w.uniform(3, 20, int(minutes.sum())))


def risk_assessments(rec: Records, kids: Children, missing: Missing) -> None:
    """RAG-rated risk assessments every 6 months, and after a return, for UASC and missing children.

    For the rest, the latest is out of date, has no rating or is unfinished (the one before it
    over 6 months old), or there is none.
    """
    w, size, end = rec.w, kids.size, rec.w.end
    went = missing.start // DAY >= end - 365
    recent = np.bincount(missing.child[went], minlength=size) > 0
    due = kids.uasc | recent
    good = w.pick(due, 0.7)
    old, unrated, unfinished = (~good & mode for mode in w.split(size, 0.4, 0.2, 0.15))
    every = w.timescales.days("risk_every")  # 6 months: 181 days at the least
    first = np.where(
        old,
        w.uniform(every + 9, every + 219, size),
        recent_first(w.uniform(0, every - 11, size), kids.stop - kids.start),
    )
    hi = np.where(due & (good | old | unrated | unfinished), kids.stop, -1)

    def gaps(group: Int, rank: Int) -> Int:
        stale = (rank == 1) & (unrated | unfinished)[group]
        return np.where(
            stale,
            w.uniform(every + 19, every + 119, group.size),
            w.uniform(every - 61, every - 1, group.size),
        )

    child, day, rank = series(kids.start, hi, first, gaps, every - 61, backward=True)
    rows = child.size
    latest = rank == 0
    rag = w.choice(("RED", "AMBER", "GREEN"), rows, (0.25, 0.45, 0.3))
    rag[latest & unrated[child]] = ""
    in_progress = latest & unfinished[child]
    rag[in_progress] = ""
    completed = np.where(in_progress, BLANK, day)
    started = np.where(in_progress, day, day - w.uniform(0, 10, rows))
    kind = either(w.chance(0.8, size), "Risk Assessment", "Risk Management Plan")
    rec.step(child, kind[child], completed, started=started, rag=rag)
    # After the first return from missing in the last year.
    first_return = np.full(size, end + 1, dtype=np.int64)
    np.minimum.at(first_return, missing.child[went], missing.end[went] // DAY)
    after = np.flatnonzero(good & recent)
    day = np.minimum(first_return[after] + w.uniform(1, 10, after.size), kids.stop[after])
    rec.step(after, kind[after], day, rag=w.choice(("RED", "AMBER", "GREEN"), after.size))
    others = np.flatnonzero(~due & w.chance(0.08, size))
    day = w.uniform(kids.start[others], kids.stop[others])
    rec.step(others, kind[others], day, rag=w.choice(("RED", "AMBER", "GREEN"), others.size))


def age_assessments(rec: Records, kids: Children) -> None:
    """Age assessments in Documents within 28 days; late, filed elsewhere or missing for some."""
    w, size = rec.w, kids.size
    good = w.pick(kids.age_estimated, 0.62)
    failing = kids.age_estimated & ~good
    late, as_note, as_step = (failing & mode for mode in w.split(size, 0.25, 0.25, 0.25))
    due = w.timescales.days("age_assessment_due")  # 28 days
    on_time = kids.start + w.uniform(3, due - 1, size)
    late_day = kids.start + w.uniform(due + 7, due + 122, size)
    filed = np.flatnonzero(good | (late & (late_day <= kids.stop)))
    rec.document(filed, "Age Assessment", np.where(good, on_time, late_day)[filed])
    stepped = np.flatnonzero((good & w.chance(0.5, size)) | as_step)
    rec.step(stepped, "Age Assessment", on_time[stepped])
    noted = np.flatnonzero(as_note)
    rec.note(noted, "Age Assessment", on_time[noted])


def missing_plans(rec: Records, kids: Children, missing: Missing) -> None:
    """Missing plans reviewed every 6 months and after each episode; lapsed or absent for some."""
    w, size, end = rec.w, kids.size, rec.w.end
    first_missing = np.full(size, end + 1, dtype=np.int64)
    np.minimum.at(first_missing, missing.child, missing.start // DAY)
    went = first_missing <= end
    uasc_in_care = kids.uasc & kids.looked_after
    due = uasc_in_care | went
    lo = np.minimum(np.where(uasc_in_care, kids.care_start, end + 1), first_missing)
    good = w.pick(due, 0.7)
    once, lapsed = (~good & due & mode for mode in w.split(size, 0.4, 0.3))  # or none at all
    every = w.timescales.days("missing_plan_every")  # 6 months: 181 days at the least
    first = np.where(
        lapsed,
        w.uniform(every + 19, every + 269, size),
        recent_first(w.uniform(0, every - 31, size), kids.stop - lo),
    )
    hi = np.where(good | lapsed, kids.stop, -1)

    def gaps(group: Int, rank: Int) -> Int:
        return w.uniform(every - 81, every - 6, group.size)

    kind = either(w.chance(0.6, size), "Missing Plan", "Philomena Protocol")
    child, day, _ = series(lo, hi, first, gaps, every - 81, backward=True)
    rec.step(child, kind[child], day)
    single = np.flatnonzero(once)
    day = np.minimum(lo[single] + w.uniform(0, 10, single.size), kids.stop[single])
    rec.step(single, kind[single], day)
    after = good[missing.child]
    child = missing.child[after]
    day = np.minimum(missing.end[after] // DAY + w.uniform(0, 4, child.size), kids.stop[child])
    rec.step(child, kind[child], day)


def pathway_plans(rec: Records, kids: Children) -> None:
    """Pathway plans every 6 months for eligible and relevant children (in care or left it, from
    the day they qualified); none or old for some."""
    w, size, end = rec.w, kids.size, rec.w.end
    lo, due = qualified(kids, end)
    good = w.pick(due, 0.7)
    lapsed = ~good & w.chance(0.5, size)
    every = w.timescales.days("pathway_every")  # 6 months: 181 days at the least
    first = np.where(
        lapsed,
        w.uniform(every + 19, every + 219, size),
        recent_first(w.uniform(0, every - 11, size), end - lo),
    )
    hi = np.where(due & (good | lapsed), end, -1)

    def gaps(group: Int, rank: Int) -> Int:
        return w.uniform(every - 61, every - 1, group.size)

    child, day, _ = series(lo, hi, first, gaps, every - 61, backward=True)
    rec.step(child, "Pathway Plan", day)
    copy = w.chance(0.25, child.size)
    rec.document(child[copy], "Pathway Plan", day[copy])


def case_file(rec: Records, kids: Children) -> None:
    """Chronology, genogram and information sharing agreement, for about 70% of older cases each."""
    w, size, end = rec.w, kids.size, rec.w.end
    open_for = w.timescales.days("core_documents_open_for")  # 3 months: 89 days at the least
    established = end - kids.start > open_for + 1
    for name, share in (
        ("Chronology", 0.78),
        ("Genogram", 0.75),
        ("Information Sharing Agreement", 0.78),
    ):
        early = w.pick(established, share) | (~established & w.chance(0.4, size))
        day = kids.start + w.uniform(5, open_for - 4, size)
        child = np.flatnonzero(early & (day <= kids.stop))
        rec.filed(child, name, day[child])
    updated = np.flatnonzero(established & w.chance(0.3, size))
    rec.document(
        updated,
        "Chronology",
        w.uniform(kids.start[updated] + open_for - 3, kids.stop[updated]),
        "Update",
    )


def assessments(rec: Records, kids: Children, contacts: Contacts) -> None:
    """Child and family assessments for contacts that progress, within 45 working days for most."""
    w = rec.w
    chosen = contacts.outcome == TO_ASSESSMENT
    child, received, decided = (
        contacts.child[chosen],
        contacts.received[chosen],
        contacts.decided[chosen],
    )
    rows = child.size
    good = w.pick(np.bincount(child, minlength=kids.size) > 0, 0.72)
    late = ~good[child] & (w.chance(0.6, rows) | is_last(child))
    within = w.timescales.working_days("assessment_after")  # 45 working days
    completed = w.add_working_days(
        received,
        np.where(late, w.uniform(within + 2, within + 45, rows), w.uniform(10, within - 1, rows)),
    )
    completed = np.where(kids.closed[child], np.minimum(completed, kids.stop[child]), completed)
    completed = np.where(completed > w.end, BLANK, np.maximum(completed, decided))
    kind = either(w.chance(0.85, rows), "Child and Family Assessment", "C&F Assessment")
    # Most assessments that ran past the timescale say why; the rest do not.
    explained = late & w.chance(0.6, rows)
    reason = np.where(explained, w.choice(DELAY_REASONS, rows), "").astype(object)
    rec.step(child, kind, completed, started=decided, reason=reason)
    copy = (completed != BLANK) & w.chance(0.3, rows)
    rec.document(child[copy], "Child and Family Assessment", completed[copy])


def other_records(rec: Records, kids: Children) -> None:
    """Documents that are evidence of nothing, for a realistic mix."""
    w = rec.w
    count = w.rng.poisson((kids.stop - kids.start) / 365 * 1.5)
    child = np.repeat(np.arange(kids.size, dtype=np.int64), count)
    day = w.uniform(kids.start[child], kids.stop[child])
    rec.document(child, w.choice(OTHER_DOCUMENT_CATEGORIES, child.size), day)


def cla_visits(rec: Records, kids: Children, placements: Placements) -> None:
    """Statutory visits within 7 days of each placement start, then at most 6 weeks apart.

    Some children's visits have now lapsed; others had late or infrequent visits in the past.
    """
    w, size, end = rec.w, kids.size, rec.w.end
    within = w.timescales.days("visit_after_move")  # 7 days
    every = w.timescales.days("visit_every")  # 6 weeks
    timely = w.pick(kids.has_care, 0.7)
    lapsed = ~timely & w.chance(0.7, size)
    stopped = end - w.uniform(every + 4, every + 58, size)
    owner = placements.child
    rows = owner.size
    late_first = ~timely[owner] & ~lapsed[owner] & w.chance(0.5, rows)
    first = np.where(
        late_first, w.uniform(within + 2, within + 13, rows), w.uniform(0, within - 1, rows)
    )
    current = np.where(lapsed[owner], stopped[owner], end)
    hi = np.where(placements.end == BLANK, current, placements.end)

    def gaps(group: Int, rank: Int) -> Int:
        slow = ~timely[owner[group]] & w.chance(0.3, group.size)
        return np.where(
            slow,
            w.uniform(every + 3, every + 33, group.size),
            w.uniform(every // 2, every - 1, group.size),
        )

    group, day, _ = series(placements.start, hi, first, gaps, every // 2)
    rec.visit(owner[group], "CLA", day)


def regular_oversight(rec: Records, kids: Children) -> None:
    """Management oversight on every open case at the rule's interval; lapsed or none for some."""
    w = rec.w
    every = w.timescales.interval("oversight_every")
    open_now = ~kids.closed
    good = w.pick(open_now, 0.7)
    lapsed = open_now & ~good & w.chance(0.8, kids.size)
    child, day = again(w, kids.start, kids.stop, every, every, good, lapsed)
    rec.note(child, "Management Oversight", day, by_manager=True, prompt=True)


def case_summaries(rec: Records, kids: Children) -> None:
    """A case summary for about 75% of established cases, filed mostly in Documents (the rest as
    a case note or a step, the inconsistent location the QA audit finds)."""
    w, size, end = rec.w, kids.size, rec.w.end
    established = end - kids.start > 90
    summarised = w.pick(established, 0.75)
    day = np.minimum(kids.start + w.uniform(20, 90, size), kids.stop)
    child = np.flatnonzero(summarised)
    rec.filed(child, "Case Summary", day[child])
