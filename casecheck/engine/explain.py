"""A rule's logic and parameters in plain words, built from the same YAML the engine runs."""

from __future__ import annotations

from casecheck.engine.checks import COUNTS, words
from casecheck.engine.events import EVENTS
from casecheck.engine.model import (
    Check,
    Evidence,
    EvidencePerEvent,
    EvidenceRecurring,
    Records,
    Requirement,
    Rule,
    Scope,
    Share,
    Threshold,
)

CLOCKS = {
    "scope": "the child came into scope",
    "first_allocation": "the child's first allocation",
    "current_placement": "the current placement started",
    "period_of_care": "the current period of care began",
}


def scope_words(scope: Scope | None) -> str:
    """'currently allocated, and (UASC or had a missing episode in the last 12 months)'."""
    if scope is None:
        return "every child in the export"
    parts: list[str] = []
    for key in sorted(scope.model_fields_set):
        value = getattr(scope, key)
        if key == "all_of":
            parts.append("(" + " and ".join(scope_words(s) for s in value) + ")")
        elif key == "any_of":
            parts.append("(" + " or ".join(scope_words(s) for s in value) + ")")
        elif key == "allocated":
            parts.append("currently allocated" if value else "not currently allocated")
        elif key == "looked_after":
            parts.append("looked after (an open placement)" if value else "not looked after")
        elif key == "uasc":
            parts.append("UASC" if value else "not UASC")
        elif key == "age_estimated":
            parts.append("age estimated or disputed" if value else "age not estimated")
        elif key == "missing_within":
            parts.append(f"had a missing episode in the last {value}")
        elif key == "age_at_least":
            parts.append(f"aged {value} or over")
        elif key == "age_under":
            parts.append(f"aged under {value}")
        elif key == "open_for":
            parts.append(f"allocated for at least {value}")
    return ", and ".join(parts)


def _requirement(field: str, requirement: Requirement) -> str:
    if requirement == "recorded":
        return f"{field} recorded"
    if isinstance(requirement, bool):
        return f"{field} = {'Y' if requirement else 'N'}"
    return f"{field} one of {', '.join(requirement)}"


def _evidence(evidence: Evidence) -> str:
    text = f"a completed {words(evidence.kind)}"
    if evidence.in_documents:
        text += " uploaded to Documents (found elsewhere, it is reported with where it was found)"
    if evidence.require:
        text += " with " + " and ".join(_requirement(f, r) for f, r in evidence.require.items())
    return text


def check_words(check: Check) -> str:
    """One check in words, with its parameters."""
    if isinstance(check, EvidencePerEvent):
        event = EVENTS[check.event].label.lower()
        where = "".join(f", where {c} is {' or '.join(v)}" for c, v in check.where.items())
        return (
            f"For each event '{event}' in the last {check.lookback}{where}: "
            f"{_evidence(check.evidence)}, dated from {check.window.before} before the event "
            f"to {check.window.after} after it. One exception per event without it once that "
            "time has passed; until then it is due soon."
        )
    if isinstance(check, EvidenceRecurring):
        intervals = check.intervals
        if check.schedule is not None:
            timing = (
                "due "
                + str(intervals[0])
                + f" after {CLOCKS[check.clock]}, then "
                + ", then ".join(str(d) for d in intervals[1:])
                + " after the previous one"
                + (" (the last interval repeating)" if len(intervals) > 1 else "")
            )
        else:
            timing = f"first due {check.first_due} after {CLOCKS[check.clock]}"
            if check.every is not None:
                timing += f", then at most {check.every} after the previous one"
        since = (
            "Evidence from any time counts."
            if check.count_from == "any_time"
            else f"Evidence counts from when {CLOCKS[check.clock]}."
        )
        return (
            f"{_evidence(check.evidence)[0].upper()}{_evidence(check.evidence)[1:]}, {timing}. "
            f"{since} An exception when the next one is overdue at the as-of date; due soon "
            "when it falls due within 14 days."
        )
    if isinstance(check, Records):
        parts = []
        if check.recorded is not None:
            parts.append(
                f"{check.recorded} ({check.recorded_what}) within {check.within} of {check.date}"
            )
        if check.end is not None:
            parts.append(
                f"to have ended ({check.end}) no more than {check.lasted_more_than} after it "
                f"started ({check.date}); one still open counts up to the as-of date"
            )
        parts.extend(_requirement(f, r) for f, r in check.require.items())
        which = f" that count as {words(check.evidence)}" if check.evidence else ""
        where = "".join(f", where {c} is {' or '.join(v)}" for c, v in check.where.items())
        return (
            f"Each row of {check.table}{which}{where} dated ({check.date}) in the last "
            f"{check.lookback} needs "
            + " and ".join(parts)
            + ". One exception per row that does not."
        )
    if isinstance(check, Threshold):
        noun = COUNTS[check.count][3]
        return (
            f"An exception when a child has had {check.at_least} or more {noun} in the "
            f"{check.period} to the as-of date."
        )
    if isinstance(check, Share):
        where = " and ".join(f"{c} is {' or '.join(v)}" for c, v in check.where.items())
        return (
            f"Of each child's {check.table} ({check.date}) in the last {check.period}, an "
            f"exception when more than {check.more_than:.0%} have {where} "
            f"(with at least {check.min_records})."
        )
    raise TypeError(check)


def explain(rule: Rule) -> list[tuple[str, str]]:
    """(heading, text) pairs describing the rule, in reading order."""
    out = [
        ("Rule", f"{rule.id}: {rule.title}"),
        ("Severity", rule.severity.value),
        ("Applies to", scope_words(rule.scope)),
    ]
    for name, check in rule.checks.items():
        out.append((f"Check '{name}'", check_words(check)))
    out.extend(
        [
            ("Why", " ".join(rule.why.split())),
            ("How to fix", " ".join(rule.how_to_fix.split())),
            ("Source", " ".join(rule.source.split())),
        ]
    )
    if not rule.enabled:
        out.append(("Status", "turned off in casecheck.yaml"))
    return out
