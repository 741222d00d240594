"""Open only regular files, within a size limit: a pipe, device, folder or broken link is refused.

Every file casecheck reads by name (the config, rule files, export tables, --previous) goes
through `regular_file` first, so that a named pipe never blocks a run and a folder or a
dangling or looping link named like a file is an error rather than a file "not there".
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from casecheck.errors import CasecheckError

MB = 1 << 20


def describe_size(size: int) -> str:
    """A byte count in words: "100 MB", "1.5 MB", "512 bytes"."""
    if size >= MB:
        return f"{size / MB:.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} bytes"


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def rule_files(folder: Path) -> list[Path]:
    """The rule files of a folder (*.yaml and *.yml), sorted: what `load_rules` reads."""
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def exists(path: Path) -> bool:
    """True when anything is at `path`, even a dangling or looping link (Path.exists says no)."""
    return os.path.lexists(path)


def regular_file(
    path: Path, error: type[CasecheckError], limit: int | None = None, name: str | None = None
) -> int:
    """Check that `path` is a regular file (following links) no larger than `limit`: its size.

    Raises `error` naming the file (as `name`, else the path) when it is anything else; the
    file type is checked before it is opened, so a named pipe is never opened for reading.
    """
    shown = name or str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        if exists(path):
            raise error(
                shown, "is a link to a file that does not exist", "Point the link at the file."
            ) from None
        raise error(shown, "file not found", "Check the path.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error(
                shown, "is a link that loops back on itself", "Replace it with the file."
            ) from None
        raise error(shown, f"cannot be read ({exc.strerror})", "Check its permissions.") from None
    kind = _kind(info.st_mode)
    if kind is not None:
        fix = "Give the path of the file." if kind == "a folder" else "Replace it with the file."
        raise error(shown, f"is {kind}, not a file", fix)
    if limit is not None and info.st_size > limit:
        raise error(
            shown,
            f"is {describe_size(info.st_size)}, more than the {describe_size(limit)} "
            "casecheck reads from such a file",
            "Check that it is the right file.",
        )
    return info.st_size


def open_regular(
    path: Path, error: type[CasecheckError], name: str | None = None
) -> tuple[BinaryIO, int]:
    """Open a regular file for reading, and its size; anything else raises `error`.

    The file type is checked before the file is opened, and again once it is open (without
    blocking), so a file swapped for a pipe in between is refused rather than waited on.
    """
    regular_file(path, error, None, name)
    shown = name or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(shown, f"cannot be read ({exc.strerror})", "Check its permissions.") from None
    handle = os.fdopen(fd, "rb")
    info = os.fstat(fd)
    if _kind(info.st_mode) is not None:
        handle.close()
        raise error(shown, "is not a regular file", "Replace it with the file.")
    return handle, info.st_size


def read_limited(
    path: Path, error: type[CasecheckError], limit: int, name: str | None = None
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (checked again as it is read)."""
    regular_file(path, error, limit, name)
    shown = name or str(path)
    handle, _ = open_regular(path, error, name)
    try:
        with handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise error(shown, f"cannot be read ({exc.strerror})", "Check its permissions.") from None
    if len(data) > limit:  # it grew after it was checked
        raise error(
            shown,
            f"is more than the {describe_size(limit)} casecheck reads from such a file",
            "Check that it is the right file.",
        )
    return data
