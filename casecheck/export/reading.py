"""Read one CSV file of an export into a frame of trimmed strings, whatever its encoding.

The raw parse uses pyarrow's CSV reader (over ten times faster than pandas' C engine on a
million rows, and lighter). Whenever pyarrow cannot read a file as it stands (rows with too
few or too many values, an unclosed quote, an empty file) the file is parsed again with
pandas' C engine, which gives the same strings and a row number for the error messages.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import mmap
import os
import re
import sys
from collections import defaultdict
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from casecheck.errors import ExportError
from casecheck.export.config import CONFIG_FILE
from casecheck.export.schema import Table
from casecheck.files import describe_size, open_regular

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
NUL = b"\x00"
SAVE_AS = 'Save it as "CSV UTF-8 (Comma delimited)" from Excel, or as UTF-8 from Mosaic'
ARROW_BLOCK_SIZE = 16 << 20  # bytes per parsing block: fewer, larger chunks in the frame
CELL_LIMIT = 1 << 20  # bytes in one value: a longer one is refused, not read
LINE_LIMIT = 8 << 20  # bytes in one line (half a parsing block, so a row fits in a block)


@dataclass(frozen=True)
class RawTable:
    """A table's cells as trimmed strings, indexed by spreadsheet row number (header = row 1)."""

    frame: pd.DataFrame
    encoding: str
    absent_columns: tuple[str, ...]  # optional contract columns the file does not have
    headers: dict[str, str] = field(default_factory=dict)  # contract name -> header in the file


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _reject_utf16(data: bytes, file: str) -> None:
    if data.startswith(UTF16_BOMS):
        raise ExportError(
            file,
            'is UTF-16 text (what Excel calls "Unicode Text"); '
            "casecheck reads UTF-8 or Windows-1252",
            SAVE_AS + ".",
        )
    nul = data.find(NUL)
    if nul >= 0:
        raise ExportError(
            file,
            f"has a NUL byte on line {_line_of(data, nul)}: it is UTF-16 "
            "or not a text file; casecheck reads CSV text in UTF-8 or Windows-1252",
            SAVE_AS + ".",
        )


def decode(data: bytes, file: str) -> tuple[str, str]:
    """Decode UTF-8 (BOM or not) or Windows-1252; anything else is an error."""
    _reject_utf16(data, file)
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            offset = exc.start + len(UTF8_BOM)
            raise ExportError(
                file,
                "starts with a UTF-8 byte-order mark, but line "
                f"{_line_of(data, offset)} has a byte (0x{data[offset]:02X}) that is not UTF-8",
                SAVE_AS + ".",
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ExportError(
            file,
            f"is neither UTF-8 nor Windows-1252: line {_line_of(data, exc.start)} has a byte "
            f"(0x{data[exc.start]:02X}) that neither encoding uses",
            SAVE_AS + ".",
        ) from None


def _column_names(header: list[str]) -> list[str]:
    """Name columns as pandas does: a blank header is "Unnamed: i", repeats get .1, .2 ..."""
    names = [cell if cell != "" else f"Unnamed: {i}" for i, cell in enumerate(header)]
    counts: defaultdict[str, int] = defaultdict(int)
    for i, name in enumerate(names):
        count = counts[name]
        while count > 0:
            counts[name] = count + 1
            name = f"{name}.{count}"
            count = counts[name]
        names[i] = name
        counts[name] = count + 1
    return names


def use_lean_memory_pool() -> None:
    """Give Arrow's allocations to jemalloc where pyarrow has it, unless the user chose a pool.

    Arrow's default pool (mimalloc) keeps the pages it frees for later use: whatever loading
    and the evidence frame free stays in the process. jemalloc hands them back (within a
    second): `check --format json` peaked at 228 MB on the sample export with mimalloc, 167 MB
    with jemalloc, and at 452 MB against 362 MB on 5,000 children, for the same CPU time.
    ARROW_DEFAULT_MEMORY_POOL, when set, is left to decide. Process-wide, like the pool itself.
    """
    import pyarrow as pa

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    if (
        "jemalloc" in pa.supported_memory_backends()
        and pa.default_memory_pool().backend_name != "jemalloc"
    ):
        pa.set_memory_pool(pa.jemalloc_memory_pool())


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 1 << 20


def large_blocks_from_the_system() -> None:
    """Have glibc map blocks of 1 MiB and more from the system and unmap them when freed.

    For the program (the CLI) to call, not the library: it is the whole process's malloc, and
    cannot be undone.

    Otherwise glibc raises that threshold each time such a block is freed (up to 32 MiB), and
    from then on the column-sized temporaries of a run (numpy and pandas arrays) are carved out
    of its heap, which fragments and is not given back: `check --format json` on 100,000
    children peaked at 2.44 GB without this, 1.99 GB with it (2.05 GB with 16 MiB), for the
    same user CPU time. The price is page faults: about 0.4 s more system time loading 20,000
    children (of about 10 s in all). Linux with glibc only; a threshold the user set
    (MALLOC_MMAP_THRESHOLD_, or glibc.malloc.mmap_threshold in GLIBC_TUNABLES) is left alone.
    """
    chosen = "MALLOC_MMAP_THRESHOLD_" in os.environ
    chosen |= "glibc.malloc.mmap_threshold" in os.environ.get("GLIBC_TUNABLES", "")
    if not sys.platform.startswith("linux") or chosen:
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library already loaded in the process
    except (OSError, AttributeError):  # a C library without mallopt
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


class _NotUtf8(Exception):
    """pyarrow found bytes that are not UTF-8."""


_OPENS_AFTER = np.frombuffer(b',\r\n"', dtype=np.uint8)
NEWLINE, CARRIAGE_RETURN, QUOTE, COMMA = ord("\n"), ord("\r"), ord('"'), ord(",")


def _refuse_long(what: str, where: str) -> ExportError:
    return ExportError(
        where,
        what,
        "Check that the file is the export casecheck expects (a long value is often a "
        "quote left open, or a whole file pasted into one cell); shorten the value in Mosaic "
        "or in the export.",
    )


def _place(octets: npt.NDArray[np.uint8], spans: npt.NDArray[np.intp], at: int) -> tuple[int, int]:
    """(spreadsheet row, 0-based column) of the value starting at byte `at`.

    Newlines and commas inside quoted values (`spans`: first and last quote of each) do not
    end a row or a value. Run once, for the message, so it may take a pass over the file.
    """
    inside_before = spans[spans[:, 1] < at]

    def outside(positions: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        if not len(inside_before):
            return positions
        lo = np.searchsorted(inside_before[:, 0], positions, side="right") - 1
        covered = (lo >= 0) & (positions < inside_before[np.maximum(lo, 0), 1])
        kept: npt.NDArray[np.intp] = positions[~covered]
        return kept

    newlines = outside(np.flatnonzero(octets[:at] == NEWLINE))
    start = int(newlines[-1]) + 1 if len(newlines) else 0
    commas = outside(np.flatnonzero(octets[start:at] == COMMA) + start)
    return len(newlines) + 1, len(commas)


def _header_cell(octets: npt.NDArray[np.uint8], column: int, skip: int) -> str:
    """The header of column `column`, for a message (the first line read with csv)."""
    first = bytes(octets[skip : skip + (1 << 16)]).decode("utf-8", errors="replace")
    header = next(csv.reader(io.StringIO(first, newline="")), [])
    return header[column].strip() if column < len(header) else f"column {column + 1}"


class Scan(NamedTuple):
    """What a scan of a file's bytes found: whether quotes pair up, and its longest line."""

    quotes_pair_up: bool
    longest_line: int

    @property
    def cells_bounded(self) -> bool:
        """No value can be over CELL_LIMIT: a quoted one was measured, an unquoted one is
        shorter than its line."""
        return self.quotes_pair_up and self.longest_line <= CELL_LIMIT


def scan_sizes(data: bytes | mmap.mmap, skip: int, file: str) -> Scan | ExportError:
    """Whether the quotes pair up (see below) and the longest line, or the error refusing a
    line or a quoted value over the limits (returned, not raised, so that no frame keeps a
    view of the file open).

    The file is scanned a block at a time (no file-sized temporary array), so a huge file is
    refused in bounded memory, before it is parsed. "Quotes pair up" when every quote opens a
    quoted value, escapes a quote ("") or closes the value: then pyarrow and the C engine read
    the file alike. A quote left open at the end of the file (pyarrow would close it there
    without a word) or a stray quote inside an unquoted value is left to the C engine, which
    reports the one and keeps the other as text.
    """
    octets = np.frombuffer(data, dtype=np.uint8)
    step = ARROW_BLOCK_SIZE
    quotes = [np.zeros(0, dtype=np.intp)]
    line_start = skip
    longest_line = 0
    # A line ends at LF or at CR (old Mac files end lines with CR alone). memchr finds at
    # once that a file (or block) has no CR (or quote) at all, the usual case: the byte
    # comparison is then skipped.
    has_cr = data.find(b"\r") >= 0
    for at in range(0, len(octets), step):
        block = octets[at : at + step]
        if data.find(b'"', at, at + step) >= 0:
            quotes.append(np.flatnonzero(block == QUOTE) + at)
        ends = block == NEWLINE
        if has_cr:
            ends |= block == CARRIAGE_RETURN
        ends = np.flatnonzero(ends) + at
        starts = np.concatenate(([line_start], ends[:-1] + 1))
        if len(ends):
            longest = int(np.argmax(ends - starts))
            longest_line = max(longest_line, int(ends[longest] - starts[longest]))
            if ends[longest] - starts[longest] > LINE_LIMIT:
                line_start = int(starts[longest])
                break
            line_start = int(ends[-1]) + 1
        longest_line = max(longest_line, at + len(block) - line_start)
        if at + len(block) - line_start > LINE_LIMIT:
            break
    else:
        line_start = -1
    if line_start >= 0:
        line = int(np.count_nonzero(octets[:line_start] == NEWLINE)) + 1
        return _refuse_long(
            f"has a line longer than {describe_size(LINE_LIMIT)}, the most casecheck reads "
            "in one line",
            f"{file}, line {line}",
        )
    found = np.concatenate(quotes)
    if len(found) == 0:
        return Scan(True, longest_line)
    if len(found) % 2:
        return Scan(False, longest_line)
    opening = found[0::2]  # outside a quoted value: each must start a value ...
    if not np.isin(octets[opening[opening > skip] - 1], _OPENS_AFTER).all():  # ... bar the first
        return Scan(False, longest_line)
    closing = found[1::2]
    # One value's quotes: a pair right after another ("") escapes a quote inside the value.
    first = np.flatnonzero(np.concatenate(([True], opening[1:] != closing[:-1] + 1)))
    spans = np.stack([opening[first], closing[np.append(first[1:] - 1, len(closing) - 1)]], 1)
    length = spans[:, 1] - spans[:, 0] - 1
    if len(length) and length.max() > CELL_LIMIT:
        at = int(spans[int(np.argmax(length)), 0])
        row, column = _place(octets, spans, at)
        return _refuse_long(
            f"has a quoted value of {describe_size(int(length.max()))}, more than the "
            f"{describe_size(CELL_LIMIT)} casecheck reads in one cell",
            f"{file}, row {row}, {_header_cell(octets, column, skip)}",
        )
    return Scan(True, longest_line)


def _long_cells(frame: pd.DataFrame, file: str) -> None:
    """Refuse any parsed cell over CELL_LIMIT bytes (an unquoted one the scan cannot see)."""
    for column in frame.columns:
        lengths = frame[column].str.len()
        if len(lengths) and lengths.max() > CELL_LIMIT:
            row = int(np.argmax(lengths.to_numpy())) + 2
            raise _refuse_long(
                f"has a value of {int(lengths.max()):,} characters, more than the "
                f"{describe_size(CELL_LIMIT)} casecheck reads in one cell",
                f"{file}, row {row}, {column}",
            )


def _header_width(first: bytes) -> int:
    """How many fields the first line has (0 when it is blank or not CSV), from its bytes."""
    start = io.TextIOWrapper(io.BytesIO(first), "utf-8", errors="replace", newline="")
    try:
        return len(next(csv.reader(start)))
    except (StopIteration, csv.Error):
        return 0


def _may_be_padded(column: Any) -> bool:
    """Whether a value of a (large) string column may start or end with whitespace.

    Looks at the first and last byte of each value only: every character Arrow's trim (and
    pandas' str.strip) removes is a byte up to 0x20 or starts and ends with bytes from 0x80.
    An empty value is judged by its neighbours' bytes: never a padded value missed, at worst
    a column trimmed that needed none. Most columns (IDs, dates, codes) need none.
    """
    for chunk in column.chunks:
        buffers = chunk.buffers()
        if not len(chunk) or buffers[2] is None:
            continue
        offsets = np.frombuffer(buffers[1], dtype=np.int64)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        data = np.frombuffer(buffers[2], dtype=np.uint8)
        if not len(data):  # every value empty: nothing to trim
            continue
        for edge in (data.take(offsets[:-1], mode="clip"), data.take(offsets[1:] - 1, mode="clip")):
            if ((edge <= 0x20) | (edge >= 0x80)).any():
                return True
    return False


def _parse_arrow(source: Any, width: int, trim: bool) -> pd.DataFrame | None:
    """Parse UTF-8 CSV (a pyarrow file or buffer) with pyarrow; None when it cannot.

    With `trim`, each value is trimmed as pandas' str.strip does (the same Arrow kernel), one
    column at a time, each column's untrimmed values let go as its trimmed ones are made: the
    table is never held twice.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency; the C engine still works
        return None
    # Every column is typed as a string from the header's width (no type inference: "000123"
    # stays "000123"); the header itself is read by pyarrow as row 0, like every other row.
    fields = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=fields, block_size=ARROW_BLOCK_SIZE),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(fields, pa.large_string()),  # what pandas holds
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            raise _NotUtf8 from None
        return None
    if table.num_rows == 0:
        return None
    header = [str(table.column(i)[0].as_py()) for i in range(width)]
    columns = table.slice(1).columns
    del table
    if trim:
        for i, column in enumerate(columns):
            if _may_be_padded(column):
                columns[i] = pc.utf8_trim_whitespace(column)
            del column
    frame: pd.DataFrame = pa.table(columns, names=fields).to_pandas()
    frame.columns = pd.Index(_column_names(header))
    return frame


_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_IN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _parse_c(text: str, file: str) -> pd.DataFrame:
    """Parse CSV text with pandas' C engine: every cell a string, blank lines kept as rows.

    The header is read as an ordinary row (header=None): with a header, pandas silently turns
    the first values of longer rows into an index and shifts every column.
    """
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.EmptyDataError:
        raise ExportError(file, "is empty (no header row)", "Export the table again.") from None
    except pd.errors.ParserError as exc:
        fields = _FIELDS.search(str(exc))
        if fields:
            expected, row, saw = fields.groups()
            raise ExportError(
                f"{file}, row {row}",
                f"has {saw} values where the header has {expected} columns",
                "Quote values that contain commas, or remove the extra separators.",
            ) from None
        quote = _EOF_IN_QUOTE.search(str(exc))
        if quote:
            raise ExportError(
                f"{file}, row {int(quote.group(1)) + 1}",
                'has a quote (") that is never closed, so the rest of the file reads as one value',
                'Close the quote, or double each quote inside a quoted value ("").',
            ) from None
        raise ExportError(file, f"is not a readable CSV file ({exc})", "Export it again.") from None
    # A row with fewer values than the header has NaN in its last cells: they are blank.
    cells = cells.fillna("")
    frame = cells.iloc[1:].reset_index(drop=True)
    frame.columns = pd.Index(_column_names([str(c) for c in cells.iloc[0]]))
    return frame


def parse_csv_bytes(
    data: bytes, file: str, scanned: Scan | None = None
) -> tuple[pd.DataFrame, str]:
    """Decode and parse a CSV file's bytes: a frame of untrimmed strings, and the encoding.

    `scanned` is what `scan_sizes` said of these bytes, when it has already run.
    """
    frame, encoding, _ = _parse_bytes(data, file, scanned, trim=False)
    return frame, encoding


# What pyarrow made of a file before its bytes were parsed: nothing yet, bytes that are not
# UTF-8 (decode them first), or a file it cannot read as it stands (leave it to the C engine).
Tried = Literal["no", "not utf-8", "unreadable"]


def _parse_bytes(
    data: bytes, file: str, scanned: Scan | None, trim: bool, tried: Tried = "no"
) -> tuple[pd.DataFrame, str, bool]:
    """`parse_csv_bytes`, and whether the values are trimmed (`trim`, when pyarrow read them)."""
    _reject_utf16(data, file)
    bom = data.startswith(UTF8_BOM)
    skip = len(UTF8_BOM) if bom else 0
    if scanned is None:
        found = scan_sizes(data, skip, file)
        if isinstance(found, ExportError):
            raise found
        scanned = found
    trim = trim and scanned.cells_bounded  # a long value is measured before it is trimmed
    encoding = "utf-8-sig" if bom else "utf-8"
    frame = None
    readable = scanned.quotes_pair_up and tried != "unreadable"
    width = _header_width(data[skip : skip + (1 << 16)]) if readable else 0
    if width:
        import pyarrow as pa

        try:
            if tried == "not utf-8":
                raise _NotUtf8
            frame = _parse_arrow(pa.py_buffer(memoryview(data)[skip:]), width, trim)
        except _NotUtf8:
            text, encoding = decode(data, file)  # Windows-1252, or a clear error
            # Re-encoding moves no quote, comma or newline: the quotes pair up as they did.
            frame = _parse_arrow(pa.py_buffer(text.encode("utf-8")), width, trim)
    if frame is None:
        text, encoding = decode(data, file)
        frame = _parse_c(text, file)
        trim = False
    if not scanned.cells_bounded:
        _long_cells(frame, file)
    return frame, encoding, trim


def _read_file(path: Path, name: str) -> tuple[pd.DataFrame, str, bool]:
    """A table file's frame, its encoding, and whether its values are trimmed yet.

    The file is checked to be a regular file and scanned before it is read. pyarrow reads a
    UTF-8 file from the file itself, a block at a time: its bytes are never held whole. Any
    other file is read into memory and parsed from its bytes.
    """
    handle, size = open_regular(path, ExportError, name)
    with handle:
        if size == 0:
            return _parse_bytes(b"", name, None, trim=False)
        tried: Tried = "no"
        try:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            try:
                skip = len(UTF8_BOM) if mapped[:3] == UTF8_BOM else 0
                scanned = scan_sizes(mapped, skip, name)
                first = mapped[skip : skip + (1 << 16)]
                suspect = mapped[:2] in UTF16_BOMS or mapped.find(NUL) >= 0
            finally:
                with contextlib.suppress(BufferError):  # an error on its way out holds a view
                    mapped.close()
            if isinstance(scanned, ExportError):
                raise scanned
            width = _header_width(first) if scanned.quotes_pair_up and not suspect else 0
            if width:
                import pyarrow as pa

                handle.seek(skip)
                trim = scanned.cells_bounded  # a long value is measured before it is trimmed
                try:
                    frame = _parse_arrow(pa.PythonFile(handle, mode="r"), width, trim)
                except _NotUtf8:
                    tried = "not utf-8"
                else:
                    if frame is not None:
                        if not trim:
                            _long_cells(frame, name)
                        return frame, "utf-8-sig" if skip else "utf-8", trim
                    tried = "unreadable"
                handle.seek(0)
            data = handle.read()
        except OSError as exc:
            raise ExportError(
                name, f"cannot be read ({exc.strerror})", "Check its permissions."
            ) from None
    return _parse_bytes(data, name, scanned, trim=True, tried=tried)


def _header_map(
    table: Table, council: Mapping[str, str], filled: AbstractSet[str]
) -> dict[str, str]:
    """Map each accepted header (trimmed, case-folded) to its contract name.

    A column renamed in the config is read only from the council's name; a column the config
    fills (a constant, a lookup, a flag, a generated key) is not read from the file at all.
    """
    accepted = {
        c.name.casefold(): c.name
        for c in table.columns
        if c.name not in council and c.name not in filled
    }
    for contract, name in council.items():
        if contract not in filled:
            accepted[name.strip().casefold()] = contract
    return accepted


def _delimiter_hint(columns: list[str]) -> str:
    if len(columns) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if sep in columns[0]:
                return f"; the file seems to separate values with {name}, not commas"
    return ""


def blank_nulls(frame: pd.DataFrame, null_values: AbstractSet[str]) -> pd.DataFrame:
    """Cells that are one of the council's null markers (trimmed, any case) become blank.

    Only cells as long as a marker are compared (their length is cheap to find): a column of
    IDs or dates is passed over without folding a single value.
    """
    if not null_values or not len(frame):
        return frame
    lengths = list({len(v) for v in null_values})
    out = {}
    for column in frame.columns:
        cells = frame[column]
        candidate = cells.str.len().isin(lengths).to_numpy(dtype=bool)
        null = np.zeros(len(cells), dtype=bool)
        if candidate.any():
            null[candidate] = cells[candidate].str.casefold().isin(null_values).to_numpy(bool)
        out[column] = cells.where(~null, "") if null.any() else cells
    return pd.DataFrame(out, columns=frame.columns, index=frame.index)


def read_file(folder: Path, name: str, null_values: AbstractSet[str]) -> tuple[pd.DataFrame, str]:
    """Read one CSV file of `folder` as trimmed strings indexed by spreadsheet row; its encoding."""
    path = folder / name
    frame, encoding, trimmed = _read_file(path, name)
    if not len(frame):
        frame = frame.astype(str)
    elif not trimmed:
        for i in range(frame.shape[1]):  # one column at a time: the frame is not held twice
            frame.isetitem(i, frame.iloc[:, i].str.strip().array)
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    return blank_nulls(frame, null_values), encoding


def find_header(frame: pd.DataFrame, name: str) -> str | None:
    """The column of `frame` headed `name` (trimmed, any case), or None."""
    wanted = name.strip().casefold()
    return next((str(c) for c in frame.columns if str(c).strip().casefold() == wanted), None)


def read_table(
    folder: Path,
    table: Table,
    name: str,
    council: Mapping[str, str] | None = None,
    filled: AbstractSet[str] = frozenset(),
    null_values: AbstractSet[str] = frozenset(),
    generated_key: bool = False,
) -> RawTable:
    """Read `table` from the file `name` of `folder` (which exists), its columns renamed.

    `council` maps contract (and extra) columns to the council's headers; the columns in
    `filled` are filled by the config, not read. Headers the table does not know are kept.
    """
    council = council or {}
    frame, encoding = read_file(folder, name, null_values)
    accepted = _header_map(table, council, filled)
    renames: dict[str, str] = {}
    for header in frame.columns:
        contract = accepted.get(str(header).strip().casefold())
        if contract is None:
            continue
        if contract in renames.values():
            first = next(h for h, c in renames.items() if c == contract)
            raise ExportError(
                name,
                f'columns "{first}" and "{header}" both read as {contract}',
                f"Remove one of them, or correct the mapping in {CONFIG_FILE}.",
            )
        renames[str(header)] = contract
    known = {c.name for c in table.columns}
    for header in frame.columns:
        # An extra column named like a contract column the config reads from elsewhere.
        if header not in renames and header in known:
            renames[str(header)] = f"{header} (not used)"
    frame = frame.rename(columns=renames)

    missing = [c for c in table.required if c not in frame.columns and c not in filled]
    if missing:
        recognised = [c for c in frame.columns if str(c).split(" (")[0] in accepted.values()]
        # Without a single recognised name the first line is probably data, not a header:
        # it is not echoed (it could be a child's details).
        found = (
            "columns found: " + ", ".join(f'"{c}"' for c in frame.columns)
            if recognised
            else "no column name in the first line is one casecheck knows: "
            "is the header row missing?"
        )
        names = ", ".join(f'"{council[c]}" (for {c})' if c in council else c for c in missing)
        hint = _delimiter_hint([str(c) for c in frame.columns])
        if hint:
            fix = SAVE_AS + ", with commas between values."
        elif missing[0] in council:
            fix = (
                f"Correct the name given for {missing[0]} in {CONFIG_FILE} under "
                f"tables: > {table.name}: > columns:, or add the column."
            )
        else:
            fix = (
                "Add the column, or if the council calls it something else, map it in "
                f"{CONFIG_FILE} under tables: > {table.name}: > columns: > {missing[0]}: "
                "<its name>."
            )
        if table.key in missing and table.key != "PERSON_ID" and not generated_key and not hint:
            fix += (
                f" If the file has no {table.key} at all, casecheck can make one: write "
                f"id: row (the file and row number) or id: [the columns that identify a row] "
                f"under tables: > {table.name}:."
            )
        raise ExportError(
            name,
            f"is missing the required column{'s' if len(missing) > 1 else ''} {names} "
            f"({found}){hint}",
            fix,
        )
    absent = tuple(
        c.name for c in table.columns if c.name not in frame.columns and c.name not in filled
    )
    for column in absent:
        frame[column] = ""
    in_file = [c.name for c in table.columns if c.name in frame.columns]
    extra = [str(c) for c in frame.columns if c not in set(in_file)]
    frame = frame.loc[:, in_file + extra]
    headers = {c: h.strip() for h, c in renames.items() if c in known}
    return RawTable(frame=frame, encoding=encoding, absent_columns=absent, headers=headers)


def source_column(raw: RawTable, frame: pd.DataFrame, name: str) -> str | None:
    """The column of `frame` that `name` means: a contract column, or a header of the file."""
    if name in frame.columns:
        return name
    wanted = name.strip().casefold()
    for contract, header in raw.headers.items():
        if header.casefold() == wanted and contract in frame.columns:
            return contract
    return find_header(frame, name)


def needed_column(raw: RawTable, frame: pd.DataFrame, name: str, file: str, key: str) -> str:
    column = source_column(raw, frame, name)
    if column is None:
        raise ExportError(
            file,
            f'has no column "{name}", which {CONFIG_FILE} names under {key}',
            f"Correct the name in {CONFIG_FILE}, or add the column to {file}.",
        )
    return column
