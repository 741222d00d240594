"""Rows of the steps, documents, case notes and visits tables, gathered as evidence is written."""

from __future__ import annotations

import numpy as np

from casecheck.generate.caseload import TITLE_ENDINGS, Children
from casecheck.generate.world import BLANK, Int, Obj, Part, World, either, repeat_text


class Records:
    """Rows for the steps, documents, case notes and visits tables, gathered from each generator."""

    def __init__(self, w: World, kids: Children) -> None:
        self.w = w
        self.kids = kids
        self.steps: list[Part] = []
        self.documents: list[Part] = []
        self.notes: list[Part] = []
        self.visits: list[Part] = []
        everyone = np.ones(kids.size, dtype=bool)
        self.remote = w.pick(everyone, 0.08)  # seen only by telephone or video lately
        self.unsure = w.pick(everyone, 0.25)  # leaves CHILD_SEEN blank (or N) on some visits
        self.vague = w.pick(everyone, 0.25)  # leaves VISIT_METHOD blank on some visits
        self.rarely_alone = w.pick(everyone, 0.15)  # seldom seen alone (SEEN_ALONE mostly N)

    def step(
        self,
        child: Int,
        step_type: str | Obj,
        completed: Int,
        *,
        started: Int | None = None,
        status: str | Obj | None = None,
        rag: str | Obj = "",
        reason: str | Obj = "",
    ) -> None:
        """Steps; completed ones unless `completed` is BLANK (STARTED then, unless said).

        `reason` is the step's DELAY_REASON, free text (made up: no real case is described).
        """
        size, done = child.size, completed != BLANK
        if started is None:
            started = np.where(done, completed - self.w.uniform(0, 7, size), BLANK)
        # Nothing starts before the service first knew the child.
        started = np.where(started == BLANK, BLANK, np.maximum(started, self.kids.start[child]))
        if status is None:
            status = either(done, "COMPLETED", "STARTED")
        self.steps.append(
            {
                "child": child,
                "type": repeat_text(step_type, size),
                "status": repeat_text(status, size),
                "started": started,
                "completed": completed,
                "rag": repeat_text(rag, size),
                "reason": repeat_text(reason, size),
            }
        )

    def document(self, child: Int, category: str | Obj, day: Int, sub: str | Obj = "") -> None:
        """Documents uploaded on each day, dated that day or a little before (or undated)."""
        w, size = self.w, child.size
        category = repeat_text(category, size)
        self.documents.append(
            {
                "child": child,
                "category": category,
                "sub": repeat_text(sub, size),
                "title": category + " - " + w.choice(TITLE_ENDINGS, size),
                "dated": np.where(w.chance(0.1, size), BLANK, day - w.uniform(0, 2, size)),
                "uploaded": w.office_minute(day),
            }
        )

    def note(
        self,
        child: Int,
        note_type: str | Obj,
        contact: Int,
        *,
        by_manager: bool = False,
        prompt: bool = False,
        status: str | Obj = "COMPLETE",
    ) -> None:
        """Case notes: written up within 3 working days, or late for some late writers' notes."""
        w, size = self.w, child.size
        late = self.kids.late_writer[child] & w.chance(0.3, size) & (not prompt)
        # On time for both the case-note and the supervision write-up rule (5 working days).
        within = min(
            w.timescales.working_days("note_write_up"),
            w.timescales.working_days("supervision_write_up"),
        )
        delay = np.where(
            late, w.uniform(within + 1, within + 20, size), w.uniform(0, within - 2, size)
        )
        written = np.minimum(w.add_working_days(contact, delay), w.end)
        self.notes.append(
            {
                "child": child,
                "type": repeat_text(note_type, size),
                "contact": contact,
                "created": w.office_minute(written),
                "status": repeat_text(status, size),
                "by_manager": np.full(size, by_manager),
            }
        )

    def visit(self, child: Int, visit_type: str, day: Int) -> None:
        """Visits, mostly face to face with the child seen; the habits below vary that."""
        w, size = self.w, child.size
        method = w.choice(("Face to face", "Video", "Telephone"), size, (0.95, 0.03, 0.02))
        remote = self.remote[child] & (day >= w.end - 120)
        method[remote] = w.choice(("Telephone", "Video"), int(remote.sum()), (0.75, 0.25))
        seen = either(method == "Telephone", "N", "Y")
        unsure = self.unsure[child] & w.chance(0.3, size)
        seen[unsure] = either(w.chance(0.5, int(unsure.sum())), "N", "")
        method[self.vague[child] & w.chance(0.4, size)] = ""
        alone_share = np.where(self.rarely_alone[child], 0.25, 0.75)
        alone = np.where(seen == "Y", either(w.rng.random(size) < alone_share, "Y", "N"), "")
        self.visits.append(
            {
                "child": child,
                "type": repeat_text(visit_type, size),
                "day": day,
                "seen": seen,
                "alone": alone,
                "method": method,
            }
        )

    def filed(self, child: Int, name: str, day: Int) -> None:
        """Evidence filed mostly as a document, sometimes as a step or a case note of that name,
        and then, for about half of those, uploaded to Documents too within a few days."""
        w = self.w
        route = w.rng.random(child.size)
        as_document, as_step = route < 0.88, (route >= 0.88) & (route < 0.95)
        self.document(child[as_document], name, day[as_document])
        self.step(child[as_step], name, day[as_step])
        self.note(child[~as_document & ~as_step], name, day[~as_document & ~as_step])
        copied = ~as_document & w.chance(0.5, child.size)
        uploaded = day[copied] + w.uniform(0, 3, int(copied.sum()))
        keep = uploaded <= np.minimum(self.kids.stop[child[copied]], w.end)
        self.document(child[copied][keep], name, uploaded[keep])
