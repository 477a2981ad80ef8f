"""Text written into files that a spreadsheet opens (CSV and XLSX), made safe to open.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel and LibreOffice as a formula (OWASP "CSV injection"): a respondent's free text,
a rules text or a name could then run a formula on the analyst's or a municipality's machine.
Such text is written with an apostrophe in front (CSV), or as a text cell marked with Excel's
quote prefix (XLSX, where the text itself stays as it was); numbers, and text that is a plain
number (``-1``, ``+3,5``), stay as they are. ``unquote`` takes the apostrophe off again when
one of our own CSV files is read back (a filled-in plan draft).
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as the start of a formula."""
    return text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text)


def safe_text(value):
    """``value`` for a CSV cell: formula-like text with an apostrophe in front, else unchanged."""
    return "'" + value if isinstance(value, str) and is_formula_like(value) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell made safe (numeric columns unchanged)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(
            out[column]
        ) and not pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].map(safe_text)
    return out


def unquote(text: str) -> str:
    """The text ``safe_text`` was given, for a cell of one of our own CSV files read back."""
    return text[1:] if text.startswith("'") and is_formula_like(text[1:]) else text


def safe_xlsx_row(sheet, row_number: int) -> None:
    """Make the text cells of an openpyxl ``sheet``'s row plain text: openpyxl stores a string
    starting with ``=`` as a formula; such a cell is turned into text with Excel's quote prefix
    (shown and read back as the text itself)."""
    for cell in sheet[row_number]:
        if isinstance(cell.value, str) and is_formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True
