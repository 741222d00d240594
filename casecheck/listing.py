"""What `rules list` and `rules explain` print, kept on disk so that the next run answers at once.

Reading and validating the rule files needs pydantic and PyYAML and about 0.1 s of model
building and reading, every run, for a listing that changes only when a rule file, the config
or casecheck does. So the listing (each rule's id, severity, title, area and its `explain`
text) is kept in the user's cache folder after a run that succeeded, with what it was made from:
the hash of the config file and of each rule file, the names in the rules folder, and a
fingerprint of casecheck's own files (size and modification time), Python and the installed
libraries. A run uses it only when all of these are as they were; otherwise (or when the entry
is missing, damaged or unreadable) it reads and validates the rules as before, so a broken rule
file still gives its message and exit code 2, and a run that fails never writes an entry.

`CASECHECK_CACHE_DIR` sets the folder (default `$XDG_CACHE_HOME/casecheck`, else
`~/.cache/casecheck`); `CASECHECK_NO_CACHE=1` switches the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from casecheck import __version__
from casecheck.files import rule_files

if TYPE_CHECKING:
    from casecheck.engine.model import Rule
    from casecheck.export.config import CouncilConfig

FORMAT = 1  # the layout of a cache entry; an entry of another layout is not read
PACKAGE = Path(__file__).parent
LIMIT = 16 << 20  # larger than any rule file, config or entry casecheck reads or writes
_LIBRARIES = ("pydantic", "pydantic_core", "yaml", "click")  # what reads and checks the rules


class ListedRule(NamedTuple):
    """One rule as the rules commands show it."""

    id: str
    severity: str
    title: str
    enabled: bool
    explained: tuple[tuple[str, str], ...]  # (heading, text), as `rules explain` prints them


class AreaRules(NamedTuple):
    """The rules of one area, under the heading `rules list` gives it."""

    heading: str
    rules: tuple[ListedRule, ...]


def _rules_config(config_file: Path | None, preset_name: str | None) -> CouncilConfig:
    """The config for the rules commands: --config and/or --preset, else the defaults."""
    from casecheck.export.config import CouncilConfig, load_config, preset_config

    if config_file is not None:
        return load_config(Path("."), config_file, preset_name)
    return CouncilConfig() if preset_name is None else preset_config(preset_name)


def listing(
    config_file: Path | None, preset_name: str | None, rules_dir: Path | None
) -> list[AreaRules]:
    """The areas that have rules, in the order of `Area`, each with its rules sorted by id."""
    folder = cache_folder()
    slot = None if folder is None else folder / _slot(config_file, preset_name, rules_dir)
    if slot is not None:
        kept = _read(slot, config_file)
        if kept is not None:
            return kept
    from casecheck.engine.rulefiles import load_rules, rules_folder

    # Each input is hashed before it is read, and again after: an entry is kept only when
    # nothing changed meanwhile, so a file edited during the run leaves no entry at all.
    config_digest = "" if config_file is None else _digest(config_file)
    config = _rules_config(config_file, preset_name)
    rules_at = rules_folder(config, rules_dir)
    files = None if slot is None else _folder_digests(rules_at)
    areas = _areas(load_rules(rules_at, config))
    if slot is None or config_digest is None or files is None:
        return areas
    after = "" if config_file is None else _digest(config_file)
    if after == config_digest and _folder_digests(rules_at) == files:
        _write(
            slot,
            {"config": config_digest, "folder": os.path.abspath(rules_at), "files": files},
            areas,
        )
    return areas


def _areas(loaded: list[Rule]) -> list[AreaRules]:
    """The rules grouped by area, in the order of `Area`; areas without rules left out."""
    from casecheck.engine.explain import explain
    from casecheck.engine.language import Area

    areas = [
        AreaRules(
            area.words,
            tuple(
                ListedRule(r.id, r.severity.value, r.title, r.enabled, tuple(explain(r)))
                for r in loaded
                if r.area is area
            ),
        )
        for area in Area
    ]
    return [a for a in areas if a.rules]


def cache_folder() -> Path | None:
    """Where entries are kept: $CASECHECK_CACHE_DIR, else $XDG_CACHE_HOME/casecheck, else
    ~/.cache/casecheck; None when CASECHECK_NO_CACHE is set (to other than 0) or there is no
    home folder."""
    if os.environ.get("CASECHECK_NO_CACHE", "") not in ("", "0"):
        return None
    chosen = os.environ.get("CASECHECK_CACHE_DIR")
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec: a relative path is to be ignored
        return Path(xdg) / "casecheck"
    try:
        return Path.home() / ".cache" / "casecheck"
    except RuntimeError:  # no home folder to be found
        return None


def _slot(config_file: Path | None, preset_name: str | None, rules_dir: Path | None) -> str:
    """The entry's file name for these options: each way of running the commands has its own."""
    given = [os.path.abspath(p) if p is not None else "" for p in (config_file, rules_dir)]
    return f"rules-{_hash([*given, preset_name or ''])[:32]}.json"


def _hash(parts: list[str]) -> str:
    """BLAKE2b of the parts, each written as a netstring so that no two lists hash alike."""
    digest = hashlib.blake2b(digest_size=32)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(b"%d:%s," % (len(data), data))
    return digest.hexdigest()


def _contents(path: Path) -> bytes | None:
    """A regular file's bytes; None for anything else, or a file that cannot be read or is
    larger than LIMIT. Opened without blocking and checked before it is read, so that a named
    pipe is never waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError):
        return None
    try:  # a folder opens too: it is told by fstat before it is read
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > LIMIT:
            return None
        with open(fd, "rb", closefd=False) as handle:
            return handle.read(LIMIT + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def _digest(path: Path) -> str | None:
    """BLAKE2b of a file's bytes; None when `_contents` has none (the full path says why)."""
    data = _contents(path)
    return None if data is None else hashlib.blake2b(data, digest_size=32).hexdigest()


def _folder_digests(folder: Path) -> list[list[str]] | None:
    """[name, digest] of every rule file in the folder, as load_rules reads them; None when
    one cannot be read."""
    try:
        files = rule_files(folder)
    except OSError:
        return None
    out = []
    for path in files:
        digest = _digest(path)
        if digest is None:
            return None
        out.append([path.name, digest])
    return out


def fingerprint(package: Path = PACKAGE) -> str:
    """casecheck's version and files (size and modification time of each), Python, and the
    distributions installed beside the libraries that read and check the rules."""
    from importlib.util import find_spec

    # Where this copy of casecheck is: two copies with the same files (cp -a, one archive
    # unpacked twice) read different rule folders by default, so they share no entry.
    parts = [__version__, sys.version, sys.prefix, os.path.realpath(package)]
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            info = os.stat(os.path.join(root, name))
            parts.append(
                f"{os.path.relpath(root, package)}/{name} {info.st_size} {info.st_mtime_ns}"
            )
    sites = set()
    for library in _LIBRARIES:
        spec = find_spec(library)
        origin = spec.origin if spec is not None else None
        parts.append(f"{library} {origin}")
        if origin is not None:
            sites.add(os.path.dirname(os.path.dirname(origin)))
    for site in sorted(sites):  # a distribution's name and version: pydantic-2.14.4.dist-info
        names = os.listdir(site)
        parts += sorted(n for n in names if n.endswith((".dist-info", ".egg-info")))
    return _hash(parts)


def _read(slot: Path, config_file: Path | None) -> list[AreaRules] | None:
    """The kept listing, when everything it was made from is as it was; else None."""
    import json

    try:
        data = _contents(slot)
        if data is None:
            return None
        entry = json.loads(data)
        if entry.get("format") != FORMAT or entry.get("fingerprint") != fingerprint():
            return None
        config = "" if config_file is None else _digest(config_file)
        if entry["config"] != config or entry["files"] != _folder_digests(Path(entry["folder"])):
            return None
        return [_area(a) for a in entry["areas"]] or None  # a listing has a rule at least
    except (OSError, ValueError, LookupError, TypeError, AttributeError, RecursionError):
        return None  # missing, unreadable, damaged or of another shape: read the rules instead


def _area(data: Any) -> AreaRules:
    """An area from its JSON form; a TypeError or ValueError when it is not one."""
    heading, rules = data
    listed = []
    for rule_id, severity, title, enabled, explained in rules:
        sections = tuple((_text(h), _text(t)) for h, t in explained)
        if not isinstance(enabled, bool):
            raise TypeError("enabled")
        listed.append(ListedRule(_text(rule_id), _text(severity), _text(title), enabled, sections))
    if not listed:
        raise ValueError("an area without rules")
    return AreaRules(_text(heading), tuple(listed))


def _text(value: Any) -> str:
    """The value, when it is text; else a TypeError."""
    if not isinstance(value, str):
        raise TypeError(type(value).__name__)
    return value


def _write(slot: Path, inputs: dict[str, Any], areas: list[AreaRules]) -> None:
    """Keep the listing with the inputs it was made from. Written to a temporary file and
    renamed into place, so that a reader never sees half an entry; a folder that cannot be
    written is left alone."""
    import json

    temporary = slot.with_name(f".{slot.name}.{os.getpid()}.tmp")
    try:
        entry = {"format": FORMAT, "fingerprint": fingerprint(), **inputs, "areas": areas}
        slot.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(entry), "ascii")
        os.replace(temporary, slot)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
