"""Text made safe for what we write: XML 1.0 characters, one line, no formula, no terminal codes."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

# What a spreadsheet runs as a formula when a cell starts with it (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot carry (C0 controls but TAB, LF and CR; lone surrogates; U+FFFE,
# U+FFFF): one of them in a cell, a sheet name or an attribute makes the file unreadable.
NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# The same characters in text Arrow holds (UTF-8, so never a lone surrogate), as an RE2
# pattern for pyarrow's string kernels.
NOT_XML_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"
# What a CSV reader or a spreadsheet treats as the end of a line or a cell: TAB and every line
# break str.splitlines() knows (CRLF as one). Inside a value each becomes a space, so a record
# stays one line and the text after a break cannot start a cell (or a row) of its own.
# BREAK_POINTS: the same characters, as code points.
BREAKS = re.compile(r"\r\n|[\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
BREAK_POINTS = np.array([ord(c) for c in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"])
EXCEL_CELL_CHARS = 32_767  # Excel refuses a workbook with a longer text cell
# Control characters a terminal would obey (ESC sequences, CR, BEL, C1 codes); TAB and LF stay.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def xml_text(value: object) -> str:
    """The text with every character XML 1.0 forbids removed."""
    return NOT_XML.sub("", str(value))


def one_line(value: object) -> str:
    """The text as one line of XML-safe characters: line breaks and TABs become spaces."""
    return BREAKS.sub(" ", xml_text(value))


def terminal_text(value: object) -> str:
    """The text without the control characters a terminal would act on: for text views that
    a terminal may show (the summary, the case view, the validation report)."""
    return CONTROL.sub("", str(value))


def code_points(text: str) -> np.ndarray:
    """The code points of `text` (a lone surrogate as itself)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def not_xml_points(points: np.ndarray) -> np.ndarray:
    """Which code points XML 1.0 cannot carry (as NOT_XML)."""
    control = (points < 0x20) & (points != 0x09) & (points != 0x0A) & (points != 0x0D)
    surrogate = (points >= 0xD800) & (points <= 0xDFFF)
    out: np.ndarray = control | surrogate | (points == 0xFFFE) | (points == 0xFFFF)
    return out


def is_formula(text: str) -> bool:
    """Whether a spreadsheet would run the cell as a formula (leading spaces do not save it)."""
    return text.lstrip(" ").startswith(FORMULA_START)


def defuse(values: pd.Series) -> pd.Series:
    """Each value as one safe line, with a ' before any that a spreadsheet would run (a
    missing value blank). Distinct values are cleaned once (a column repeats a few teams,
    rules and checks): see defused."""
    codes, uniques = pd.factorize(values)  # a missing value (None, NaN, NaT, NA): code -1
    cells = np.append(defused(uniques).to_numpy(dtype=object), "")  # code -1 takes the last
    return pd.Series(cells[codes], index=values.index, dtype=object)


def defused(distinct: Any) -> pd.Series:
    """Distinct values, none missing, each as one safe line with a ' before any that a
    spreadsheet would run.

    Their text is read as one array of code points first: values with nothing to remove or
    break (the usual case) are not rewritten value by value.
    """
    text = pd.Series(distinct, dtype=object).astype(str)
    points = code_points("".join(text.tolist()))
    if not_xml_points(points).any():
        text = text.str.replace(NOT_XML, "", regex=True)
    if np.isin(points, BREAK_POINTS).any():
        text = text.str.replace(BREAKS, " ", regex=True)
    risky = text.str.lstrip(" ").str.startswith(FORMULA_START)
    return text.where(~risky, "'" + text)
