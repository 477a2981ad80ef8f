"""Reading real-world tabular files (CSV and XLSX) as text, without guessing values.

Survey exports arrive with ``,``, ``;`` or tab delimiters, in UTF-8 (with or
without BOM), UTF-16 (Excel's "Unicode text") or Windows-1252, or as Excel
workbooks. What a file is comes from its bytes, not its name: a workbook renamed
``.csv`` is read as a workbook, and a picture, PDF or program renamed ``.csv`` is
named as what it is. Every cell is read as text (``"n.v.t."`` and ``"NA"`` must
not become missing values, ``"04"`` must not become 4) and the importers decide
what a cell means. Rows whose cells are all empty (Excel's trailing ``;;;;``
lines) are kept in place, so row numbers stay those of the file, and marked blank.
A title or note above the header (a report's heading, an export's date line) is passed over
when the reader is told what a header looks like: the header is the first of the file's first
``HEADER_SEARCH_ROWS`` rows that fits, and ``TableFile.header_row`` says which it was.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

DELIMITERS = (",", ";", "\t")
ZIP_MAGIC = b"PK\x03\x04"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
HEADER_SEARCH_ROWS = 10  # a header below this many rows of titles is not looked for
IsHeader = Callable[[list[str]], bool]  # the cells of a row (cleaned) → is it the header?

# Leading bytes of files that are not text tables → what the file looks like.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel 97-2003 workbook (.xls)"),
    (b"\x7fELF", "a program (Linux executable)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"{\\rtf", "an RTF document"),
)
# Byte order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


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
    header_row: int = 1  # the file's row that holds the header; data start below it

    @cached_property
    def blank(self) -> pd.Series:
        """True for rows whose cells are all empty or whitespace: those whose cells joined are
        (one string operation per row instead of one per cell)."""
        rows = self.frame.to_numpy(dtype=object)
        return pd.Series(
            [not "".join(map(str, row)).strip() for row in rows], index=self.frame.index, dtype=bool
        )


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def what_it_looks_like(raw: bytes) -> str | None:
    """A description of a file that is not a text table (by its first bytes), else None."""
    for magic, description in SIGNATURES:
        if raw.startswith(magic):
            return description
    if raw.startswith(b"MZ") and b"\x00" in raw[:64]:
        return "a program (Windows executable)"
    return None


def _looks_like_text(text: str) -> bool:
    """Few control characters besides tab and line ends: text, not binary data."""
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return controls <= len(sample) // 100


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes by their byte order mark, else as UTF-8, else as UTF-16 without mark
    (NUL bytes beside ASCII characters), else as Windows-1252; ``FileProblem`` for binary
    data. NUL characters inside UTF-8 text are kept (the importer cleans cells)."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(encoding), encoding
            except UnicodeDecodeError:
                raise FileProblem(f"the file starts as {encoding} text but is not") from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    head = raw[:4096]
    if b"\x00" in head:
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            text = ""
        if text and _looks_like_text(text):
            return text, encoding
        raise FileProblem("looks like binary data, not a CSV export")
    return raw.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """The delimiter among ``, ; tab`` that splits the header line into the most columns."""
    line = text.splitlines()[0] if text else ""
    counts = {d: len(next(csv.reader([line], delimiter=d))) for d in DELIMITERS}
    return max(counts, key=lambda d: (counts[d], -DELIMITERS.index(d)))


def clean_cell(text) -> str:
    """A header cell as compared and shown: whitespace and non-breaking spaces collapsed."""
    return " ".join(str(text).replace("\xa0", " ").split())


def _clean_header(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [clean_cell(c) for c in frame.columns]
    return frame


def _csv_header_line(text: str, is_header: IsHeader | None) -> int:
    """The 0-based line of the header among the first lines: the first that ``is_header``
    accepts when split by one of the delimiters, else the first line."""
    if is_header is None:
        return 0
    for number, line in enumerate(text.splitlines()[:HEADER_SEARCH_ROWS]):
        for delimiter in DELIMITERS:
            if is_header(
                [clean_cell(c) for c in next(csv.reader([line], delimiter=delimiter), [])]
            ):
                return number
    return 0


def _read_csv(path: Path, raw: bytes, is_header: IsHeader | None = None) -> TableFile:
    try:
        text, encoding = decode(raw)
    except FileProblem as exc:
        raise FileProblem(f"{path}: {exc}") from None
    if not text.strip():
        raise FileProblem(f"{path}: the file is empty")
    skip = _csv_header_line(text, is_header)
    delimiter = sniff_delimiter("\n".join(text.splitlines()[skip : skip + 1]))
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            skiprows=skip,
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise FileProblem(f"{path}: not a readable CSV file ({exc})") from None
    return TableFile(
        path, _clean_header(frame), hashlib.sha256(raw).hexdigest(), encoding, delimiter, skip + 1
    )


def _excel_text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _excel_header_row(book: pd.ExcelFile, is_header: IsHeader | None) -> int:
    """The 0-based row of the header among the first sheet's first rows (see ``_csv_header_line``)."""
    if is_header is None:
        return 0
    top = pd.read_excel(book, sheet_name=0, header=None, nrows=HEADER_SEARCH_ROWS, dtype=object)
    for number, cells in enumerate(top.itertuples(index=False)):
        if is_header([clean_cell(_excel_text(c)) for c in cells]):
            return number
    return 0


def _read_excel(path: Path, raw: bytes, is_header: IsHeader | None = None) -> TableFile:
    try:
        with pd.ExcelFile(io.BytesIO(raw), engine="openpyxl") as book:  # the workbook parsed once
            skip = _excel_header_row(book, is_header)
            frame = pd.read_excel(book, sheet_name=0, header=skip, dtype=object)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        if b"[Content_Types].xml" not in raw[:65536]:
            raise _not_a_table(path, "a ZIP archive") from None
        raise FileProblem(f"{path}: not a readable Excel workbook ({exc})") from None
    frame = frame.map(_excel_text)
    return TableFile(
        path, _clean_header(frame), hashlib.sha256(raw).hexdigest(), None, None, skip + 1
    )


def _not_a_table(path: Path, looks: str) -> FileProblem:
    expected = "an Excel workbook" if path.suffix.lower() in EXCEL_SUFFIXES else "a CSV export"
    return FileProblem(
        f"{path}: looks like {looks}, not {expected}; export the survey as CSV or .xlsx"
    )


def read_table(path: str | Path, is_header: IsHeader | None = None) -> TableFile:
    """Read a CSV or XLSX file as text cells; raise ``FileProblem`` when it cannot be used.
    With ``is_header``, rows above the first row it accepts (titles, notes) are passed over."""
    path = Path(path)
    if not path.is_file():
        raise FileProblem(f"{path}: file not found")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileProblem(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if raw.startswith(ZIP_MAGIC):
        table = _read_excel(path, raw, is_header)
    elif (looks := what_it_looks_like(raw)) is not None:
        raise _not_a_table(path, looks)
    else:
        table = _read_csv(path, raw, is_header)
    if table.frame.empty:
        raise FileProblem(f"{path}: the file has a header but no rows")
    if table.blank.all():
        raise FileProblem(f"{path}: the file has a header but only blank rows")
    return table
