"""Run history: each run's results kept compressed, keyed by export and as-of date.

A history folder holds one sub-folder per export (named from the council in casecheck.yaml,
else `export`: each week's export usually lands in a folder of its own) and in it one `YYYY-MM-DD.json.gz` per as-of date: the same document as
`check --format json`. A run compares itself with the latest earlier one, and the runs before
that tell an exception that was fixed and is back ("reopened").
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from casecheck.errors import CasecheckError
from casecheck.report.compare import PreviousRun, read_previous

SUFFIX = ".json.gz"
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json\.gz$")


def slug(text: str) -> str:
    """A file-name-safe form of a council, team or folder name."""
    out = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return out[:60] or "export"


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

    def previous(self, as_of: dt.date) -> tuple[PreviousRun, pd.DataFrame] | None:
        """The latest run before `as_of`, and (fingerprint, first_seen) of all runs before it."""
        earlier = [d for d in self.dates() if d < as_of]
        if not earlier:
            return None
        latest = read_previous(self.path_for(earlier[-1]))
        seen = [_fingerprints(read_previous(self.path_for(d))) for d in earlier[:-1]]
        frame = (
            pd.concat(seen, ignore_index=True)
            if seen
            else pd.DataFrame({"fingerprint": [], "first_seen": []})
        )
        return latest, frame

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
