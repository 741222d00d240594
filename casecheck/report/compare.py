"""Compare a run with last week's JSON by fingerprint: what is new, what was resolved, what ages."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from casecheck.engine.run import RunResult
from casecheck.errors import CasecheckError
from casecheck.files import read_limited
from casecheck.report.results import RESULTS_SCHEMA_VERSION

RESOLVED_COLUMNS = ["fingerprint", "rule_id", "check", "PERSON_ID", "team", "worker", "message"]


class PreviousException(BaseModel):
    """The fields of a previous run's exception that a comparison needs."""

    # A results document is casecheck's own versioned output, not user input: fields added
    # by later versions are ignored so that an older run can still be compared with.
    model_config = ConfigDict(extra="ignore", frozen=True)

    fingerprint: str
    rule_id: str
    check: str
    person_id: str
    team: str
    worker: str | None
    message: str


class PreviousRun(BaseModel):
    """A previous `casecheck check --format json` document."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: int
    as_of: dt.date
    exceptions: list[PreviousException]


PREVIOUS_SIZE_LIMIT = 1 << 30  # bytes: a results file of several hundred thousand exceptions


def read_previous(path: Path) -> PreviousRun:
    """Read a previous run's JSON; anything else is a clear error (exit 2)."""
    fix = "Give --previous the JSON file an earlier `casecheck check --format json` wrote."
    data = read_limited(path, CasecheckError, PREVIOUS_SIZE_LIMIT)
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CasecheckError(str(path), f"is not UTF-8 text ({exc.reason})", fix) from None
    except json.JSONDecodeError as exc:
        raise CasecheckError(
            f"{path}, line {exc.lineno}", f"is not a JSON results file ({exc.msg})", fix
        ) from None
    except RecursionError:
        raise CasecheckError(
            str(path), "is not a JSON results file (its values nest too deeply to read)", fix
        ) from None
    if not isinstance(raw, dict):
        raise CasecheckError(
            str(path),
            f"is not a results file (it holds a JSON {_JSON_TYPES.get(type(raw), 'value')}, "
            "not an object with schema_version, as_of and exceptions)",
            fix,
        )
    try:
        previous = PreviousRun.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = " > ".join(str(p) for p in first["loc"]) or "the top level"
        raise CasecheckError(
            str(path), f"is not a results file (at {where}: {first['msg']})", fix
        ) from None
    if previous.schema_version < RESULTS_SCHEMA_VERSION:
        raise CasecheckError(
            str(path),
            f"has schema_version {previous.schema_version}, whose fingerprints cannot be "
            f"matched with this casecheck's (schema_version {RESULTS_SCHEMA_VERSION} makes them "
            "another way)",
            "Run last week's export again with this casecheck (same --as-of, --format json) and "
            "compare with that file, or leave --previous out this once.",
        )
    if previous.schema_version != RESULTS_SCHEMA_VERSION:
        raise CasecheckError(
            str(path),
            f"has schema_version {previous.schema_version}; "
            f"this casecheck reads {RESULTS_SCHEMA_VERSION}",
            "Compare with a results file written by this version.",
        )
    return previous


_JSON_TYPES = {
    list: "list",
    str: "string",
    int: "number",
    float: "number",
    bool: "true/false",
    type(None): "null",
}


def with_previous(result: RunResult, previous: PreviousRun) -> RunResult:
    """The result with each exception marked new or still open, and last run's now resolved."""
    before = pd.DataFrame(
        [e.model_dump() for e in previous.exceptions],
        columns=["fingerprint", "rule_id", "check", "person_id", "team", "worker", "message"],
    ).rename(columns={"person_id": "PERSON_ID"})
    seen = before["fingerprint"]
    findings = result.findings.assign(
        change=result.findings["fingerprint"].isin(seen).map({True: "open", False: "new"})
    )
    resolved = before[~seen.isin(result.findings["fingerprint"])]
    resolved = resolved.assign(worker=resolved["worker"].fillna(""))
    resolved = resolved.sort_values(["rule_id", "check", "PERSON_ID", "fingerprint"], kind="stable")
    return replace(
        result,
        findings=findings,
        resolved=resolved[RESOLVED_COLUMNS].reset_index(drop=True),
        previous_as_of=previous.as_of,
    )
