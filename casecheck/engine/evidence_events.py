"""Events read from evidence: each piece of a kind (a conference held, a summary written)."""

from __future__ import annotations

from casecheck.engine.context import Context
from casecheck.engine.events import EventKind
from casecheck.engine.language import Strict
from casecheck.lazy import pd


class EvidenceEvent(Strict):
    """Each piece of evidence of a kind is an event, dated as evidence is (README: Evidence).

    `in_documents: false` takes only pieces recorded outside Documents (a case summary written
    as a case note), `true` only those in Documents. Pieces of one child on the same day are one
    event (a conference recorded as a step and its minutes uploaded are one conference).
    """

    evidence: str
    in_documents: bool | None = None
    label: str  # words before the date in messages: "Initial child protection conference held"


def evidence_event(event: EvidenceEvent) -> EventKind:
    """The event kind: its rows are the evidence frame's pieces, with `until` NaT (no spell)."""

    def build(ctx: Context) -> pd.DataFrame:
        rows = ctx.evidence_of(event.evidence)
        if event.in_documents is not None:
            rows = rows[(rows["table"] == "documents").to_numpy() == event.in_documents]
        day = rows["date"].dt.normalize()
        rows = rows.assign(_day=day).sort_values(["PERSON_ID", "_day", "ref"], kind="stable")
        rows = rows.drop_duplicates(["PERSON_ID", "_day"]).drop(columns="_day")
        until = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
        return rows.assign(until=until)

    return EventKind("", event.label, build)
