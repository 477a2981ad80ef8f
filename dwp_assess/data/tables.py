"""Reading real-world tabular files (CSV and XLSX) as text, without guessing values.

Survey exports arrive with ``,``, ``;`` or tab delimiters, in UTF-8 (with or
without BOM) or Windows-1252, or as Excel workbooks. Every cell is read as text
(``"n.v.t."`` and ``"NA"`` must not become missing values, ``"04"`` must not
become 4) and the importers decide what a cell means.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DELIMITERS = (",", ";", "\t")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


class FileProblem(ValueError):
    """A whole file cannot be used; the message names the file and what was expected."""


@dataclass(frozen=True)
class TableFile:
    """A file read as text cells, with how it was read (for summaries and provenance)."""

    path: Path
    frame: pd.DataFrame
    sha256: str
    encoding: str | None
    delimiter: str | None


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM stripped) or, failing that, Windows-1252."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """The delimiter among ``, ; tab`` that splits the header line into the most columns."""
    line = text.splitlines()[0] if text else ""
    counts = {d: len(next(csv.reader([line], delimiter=d))) for d in DELIMITERS}
    return max(counts, key=lambda d: (counts[d], -DELIMITERS.index(d)))


def _clean_header(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [" ".join(str(c).replace("\xa0", " ").split()) for c in frame.columns]
    return frame


def _read_csv(path: Path, raw: bytes) -> TableFile:
    text, encoding = decode(raw)
    if not text.strip():
        raise FileProblem(f"{path}: the file is empty")
    delimiter = sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_filter=False
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise FileProblem(f"{path}: not a readable CSV file ({exc})") from None
    return TableFile(
        path, _clean_header(frame), hashlib.sha256(raw).hexdigest(), encoding, delimiter
    )


def _excel_text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _read_excel(path: Path, raw: bytes) -> TableFile:
    try:
        frame = pd.read_excel(io.BytesIO(raw), sheet_name=0, dtype=object, engine="openpyxl")
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise FileProblem(f"{path}: not a readable Excel workbook ({exc})") from None
    frame = frame.map(_excel_text)
    return TableFile(path, _clean_header(frame), hashlib.sha256(raw).hexdigest(), None, None)


def read_table(path: str | Path) -> TableFile:
    """Read a CSV or XLSX file as text cells; raise ``FileProblem`` when it cannot be used."""
    path = Path(path)
    if not path.is_file():
        raise FileProblem(f"{path}: file not found")
    raw = path.read_bytes()
    if path.suffix.lower() in EXCEL_SUFFIXES or raw[:4] == b"PK\x03\x04":
        table = _read_excel(path, raw)
    else:
        table = _read_csv(path, raw)
    if table.frame.empty:
        raise FileProblem(f"{path}: the file has a header but no rows")
    return table
