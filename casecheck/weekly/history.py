"""Run history: each run's results kept compressed, keyed by export and as-of date.

A history folder holds one sub-folder per export (named from the council in casecheck.yaml,
else `export`: each week's export usually lands in a folder of its own) and in it one
`YYYY-MM-DD.json.gz` per as-of date: the same document as `check --format json`. A run compares
itself with the latest earlier one, and the runs before that tell an exception that was fixed
and is back ("reopened")."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from casecheck.engine.run import RunResult
from casecheck.errors import CasecheckError
from casecheck.report.compare import PreviousRun, read_previous
from casecheck.weekly.trend import run_figures

SUFFIX = ".json.gz"
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json\.gz$")


def slug(text: str) -> str:
    """A file-name-safe form of a council, team or folder name."""
    out = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return out[:60] or "export"


@dataclass(frozen=True)
class Earlier:
    """The runs kept before this one: the latest, every exception seen, and their figures."""

    latest: PreviousRun
    ever_seen: pd.DataFrame | None  # fingerprint, first_seen: the runs before the latest
    figures: pd.DataFrame  # weekly.trend.TREND_COLUMNS, one block per run


@dataclass(frozen=True)
class History:
    """The runs of one export kept in a history folder."""

    folder: Path  # the history folder given with --history or `history:`
    key: str  # the export's sub-folder

    @property
    def here(self) -> Path:
        return self.folder / self.key

    def path_for(self, as_of: dt.date) -> Path:
        return self.here / f"{as_of.isoformat()}{SUFFIX}"

    def dates(self) -> list[dt.date]:
        if not self.here.is_dir():
            return []
        found = (_DATE.match(p.name) for p in self.here.iterdir())
        return sorted(dt.date.fromisoformat(m.group(1)) for m in found if m)

    def refuse_going_back(self, as_of: dt.date) -> None:
        """A run older than the history's latest would rewrite what came after it."""
        dates = self.dates()
        if dates and dates[-1] > as_of:
            raise CasecheckError(
                f"--history {self.folder}",
                f"already holds a run of this export as of {dates[-1].isoformat()}, "
                f"after --as-of {as_of.isoformat()}",
                "Check as of that date or later, or give another --history folder "
                "(use --previous FILE to compare with one particular run).",
            )

    def before(self, as_of: dt.date) -> Earlier | None:
        """What the kept runs before `as_of` say (None when there is none): each read once."""
        dates = [d for d in self.dates() if d < as_of]
        if not dates:
            return None
        runs = [read_previous(self.path_for(d)) for d in dates]
        seen = [_fingerprints(run) for run in runs[:-1]]
        return Earlier(
            latest=runs[-1],
            ever_seen=pd.concat(seen, ignore_index=True) if seen else None,
            figures=pd.concat([run_figures(run) for run in runs], ignore_index=True),
        )

    def save(self, as_of: dt.date, document: dict[str, Any]) -> Path:
        """Keep this run (replacing an earlier run of the same as-of date)."""
        path = self.path_for(as_of)
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
        try:
            self.here.mkdir(parents=True, exist_ok=True)
            # mtime=0: the same run gives the same bytes.
            path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
        except OSError as exc:
            raise CasecheckError(
                f"--history {self.folder}",
                f"cannot be written ({exc.strerror or type(exc).__name__})",
                "Give a folder you can write to.",
            ) from None
        return path


def _fingerprints(run: PreviousRun) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "fingerprint": [e.fingerprint for e in run.exceptions],
            "first_seen": [e.first_seen or run.as_of for e in run.exceptions],
        }
    )


def keep_and_compare(
    result: RunResult, kept: History, previous: PreviousRun | None = None
) -> tuple[RunResult, Path]:
    """Compare `result` with the latest kept run (or `previous`, when given), add the kept
    runs' compliance as its trend, and keep it. Returns the result and where it was kept."""
    from casecheck.report.compare import with_previous
    from casecheck.report.results import results_document
    from casecheck.weekly.trend import figures

    kept.refuse_going_back(result.as_of)
    earlier = kept.before(result.as_of)
    last = previous or (earlier.latest if earlier else None)
    if last is not None:
        result = with_previous(result, last, earlier.ever_seen if earlier else None)
    now = figures(result)
    runs = pd.concat([earlier.figures, now], ignore_index=True) if earlier else now
    result = replace(result, trend=runs)
    return result, kept.save(result.as_of, results_document(result))
