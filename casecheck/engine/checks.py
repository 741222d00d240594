"""The check kinds, in one literal registry read top to bottom: adding a kind is one module here.

Each kind is a module of casecheck/engine/kinds/ holding its pydantic model, the tables it reads,
its reference checks, its evaluation (every child at once), its message templates and its words
for `rules explain`.
"""

from __future__ import annotations

from typing import Any

from casecheck.engine.kinds import evidence_per_event, evidence_recurring, records, share, threshold
from casecheck.engine.kinds.common import CheckKind, CheckResult, words

__all__ = ["CHECK_KINDS", "CheckKind", "CheckResult", "words"]

CHECK_KINDS: dict[str, CheckKind[Any]] = {
    "evidence_per_event": evidence_per_event.KIND,
    "evidence_recurring": evidence_recurring.KIND,
    "records": records.KIND,
    "threshold": threshold.KIND,
    "share": share.KIND,
}
