"""Survey export formats: detect a file's format and normalise it to one shape.

Every adapter turns a file read as text (``tables.TableFile``) into a
``Normalised`` frame with the same columns whatever the source: ``_row`` (the
row number in the file), the fields in ``FIELDS``, ``_incomplete`` (a reason or
empty) and one column per item and free-text id holding the raw cell text.
The importer then applies the same checks to every format. The formats
themselves are described in ``docs/import-formats.md``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml

from dwp_assess.data.tables import HEADER_SEARCH_ROWS, FileProblem, TableFile
from dwp_assess.instruments.loading import older_wording
from dwp_assess.instruments.model import Instrument
from dwp_assess.instruments.versions import FormerWording

FIELD_COLUMNS = (  # the response fields of every format, in the template's column order
    "response_id",
    "respondent_id",
    "organisation_id",
    "team_id",
    "collaboration_id",
    "role",
    "submitted_at",
)

FIELDS = (
    "response_id",
    "respondent_id",
    "organisation",
    "team",
    "collaboration",
    "role",
    "submitted_at",
)
FORMATS = ("template", "msforms", "limesurvey", "kobo", "mapped")


@dataclass(frozen=True)
class Normalised:
    format: str
    frame: pd.DataFrame
    notes: tuple[str, ...] = ()  # what the analyst should know, e.g. columns of an older form


def norm_text(text: str) -> str:
    """Case-, whitespace- and non-breaking-space-insensitive form of a label or header."""
    return " ".join(str(text).replace("\xa0", " ").split()).casefold()


def pseudonym(*parts: str) -> str:
    """A stable pseudonym: names and e-mail addresses are never stored."""
    return "p-" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


# Microsoft Forms' own columns before the questions, as its English and Dutch exports name them.
MSFORMS_COLUMNS = {
    "id": ("id",),
    "start": ("start time", "begintijd"),
    "completion": ("completion time", "tijd van voltooien"),
    "email": ("email", "e-mail"),
    "name": ("name", "naam"),
    "last_modified": ("last modified time", "tijd van laatste wijziging"),
}
MSFORMS_DUTCH = "begintijd"


def _msforms_columns(cols: dict[str, str]) -> dict[str, str]:
    """Microsoft Forms field → the file's header, for the fields the file has."""
    found = {}
    for field, names in MSFORMS_COLUMNS.items():
        header = next((cols[n] for n in names if n in cols), None)
        if header is not None:
            found[field] = header
    return found


def format_of(columns) -> str | None:
    """The format whose columns ``columns`` (a header's cells) has, or ``None``."""
    cols = {norm_text(c) for c in columns}
    if {"id", "start", "completion"} <= set(_msforms_columns({c: c for c in cols})):
        return "msforms"
    if {"id", "submitdate", "startlanguage"} <= cols:
        return "limesurvey"
    if "_uuid" in cols:
        return "kobo"
    if {"response_id", "organisation_id"} <= cols:
        return "template"
    return None


def is_header(cells: list[str]) -> bool:
    """Whether a row is the header of a known export format (``tables.read_table`` passes
    over title rows above it)."""
    return format_of(cells) is not None


def detect(table: TableFile) -> str:
    """The format of ``table`` judged by its columns, or ``FileProblem`` when none fits."""
    found = format_of(table.frame.columns)
    if found is not None:
        return found
    if len(table.frame.columns) == 1:
        raise FileProblem(
            f"{table.path}: only one column found ('{table.frame.columns[0][:60]}'); "
            "the delimiter should be ',', ';' or tab"
        )
    raise FileProblem(
        f"{table.path}: format not recognised; expected the template (response_id, organisation_id, "
        "item columns), a Microsoft Forms (English or Dutch), LimeSurvey or KoboToolbox export, "
        f"or --mapping FILE (looked for its header in the first {HEADER_SEARCH_ROWS} rows)"
    )


def _frame(table: TableFile, columns: dict[str, str], items: dict[str, str]) -> pd.DataFrame:
    """Select ``columns`` (field → file column) and ``items`` (item id → file column)."""
    src = table.frame
    first = table.header_row + 1  # the file's row number of the first data row
    out = {"_row": range(first, len(src) + first)}  # built whole: one frame, not a column at a time
    for field in FIELDS:
        col = columns.get(field)
        out[field] = src[col].astype(str).str.strip() if col else ""
    for item_id, col in items.items():
        out[item_id] = src[col].astype(str)
    out["_incomplete"] = ""
    return pd.DataFrame(out, index=src.index)


def _require(table: TableFile, wanted: dict[str, str | None], what: str) -> None:
    missing = [label for label, col in wanted.items() if col is None]
    if missing:
        raise FileProblem(f"{table.path}: missing {what}: {', '.join(missing)}")


def _require_unit(
    table: TableFile, instrument: Instrument, columns: dict[str, tuple[str | None, str]]
):
    """A team (or collaboration) questionnaire needs the team (collaboration) of every response:
    without its column the file is refused as a whole (not every row quarantined).
    ``columns``: unit field (``InstrumentKind.unit_field``) → (the file's column or None, the
    column's name in this format)."""
    field = instrument.kind_spec.unit_field
    if field is not None and columns[field][0] is None:
        raise FileProblem(
            f"{table.path}: missing column {columns[field][1]}: {instrument.key} is a "
            f"{instrument.kind} questionnaire, every response needs its {instrument.kind}"
        )


def _lookup(table: TableFile) -> dict[str, str]:
    """Normalised header → actual header of the file."""
    return {norm_text(c): c for c in table.frame.columns}


def _item_columns(
    table: TableFile, instrument: Instrument, key_of_header
) -> tuple[dict[str, str], list[str]]:
    """Map item and free-text ids to file columns using ``key_of_header``; list missing items."""
    ids = {i.id.casefold(): i.id for i in instrument.items} | {
        f.id.casefold(): f.id for f in instrument.free_text
    }
    found: dict[str, str] = {}
    for col in table.frame.columns:
        key = key_of_header(col)
        if key is not None and key.casefold() in ids:
            found.setdefault(ids[key.casefold()], col)
    missing = [i.id for i in instrument.items if i.id not in found]
    return found, missing


def _missing_items_problem(table: TableFile, missing: list[str]) -> FileProblem:
    shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
    return FileProblem(f"{table.path}: missing item column(s) {shown}")


# -- the adapters ----------------------------------------------------------------


def template(table: TableFile, instrument: Instrument, round_id: str) -> Normalised:
    cols = _lookup(table)
    wanted = {f: cols.get(f) for f in ("response_id", "organisation_id")}
    _require(table, wanted, "required column(s)")
    _require_unit(
        table,
        instrument,
        {
            "team": (cols.get("team_id"), "team_id"),
            "collaboration": (cols.get("collaboration_id"), "collaboration_id"),
        },
    )
    items, missing = _item_columns(table, instrument, lambda c: c.strip())
    if missing:
        raise _missing_items_problem(table, missing)
    columns = {
        "response_id": cols["response_id"],
        "respondent_id": cols.get("respondent_id"),
        "organisation": cols["organisation_id"],
        "team": cols.get("team_id"),
        "collaboration": cols.get("collaboration_id"),
        "role": cols.get("role"),
        "submitted_at": cols.get("submitted_at"),
    }
    frame = _frame(table, columns, items)
    has_id = frame["respondent_id"] != ""
    frame.loc[~has_id, "respondent_id"] = [
        pseudonym(round_id, r) for r in frame["response_id"][~has_id]
    ]
    return Normalised("template", frame)


_NUMBERING = re.compile(r"^\s*\d+[.)]\s*")


def _question_key(text_to_id: dict[str, str]):
    def key(header: str) -> str | None:
        return text_to_id.get(norm_text(_NUMBERING.sub("", header)))

    return key


_NUMERIC_DATE = re.compile(
    r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)


def day_first(texts, default: bool) -> bool:
    """Whether numeric dates like ``05-11-2026`` put the day first, judged by the column:
    a first number above 12 means day first, a second above 12 month first; when no value
    tells, ``default`` (the export's language: Dutch day first, English month first)."""
    parts = [m.groups()[:2] for m in map(_NUMERIC_DATE.match, texts) if m]
    if any(int(a) > 12 for a, _ in parts):
        return True
    if any(int(b) > 12 for _, b in parts):
        return False
    return default


def numeric_date_as_iso(text: str, dayfirst: bool) -> str:
    """``26-11-2026 09:14:03`` (day first) or ``11/26/26 9:14:03 AM`` (month first) as ISO
    8601; other text (an ISO date from a workbook cell, a broken value) is returned as it is,
    for the importer to accept or quarantine."""
    match = _NUMERIC_DATE.match(text.strip())
    if match is None:
        return text
    a, b, year, hour, minute, second, half = match.groups()
    day, month = (a, b) if dayfirst else (b, a)
    hour = int(hour or 0)
    if half:
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    try:
        parsed = datetime(
            int(year) + (2000 if len(year) == 2 else 0),
            int(month),
            int(day),
            hour,
            int(minute or 0),
            int(second or 0),
        )
    except ValueError:
        return text
    return parsed.isoformat()


def msforms(table: TableFile, instrument: Instrument, round_id: str) -> Normalised:
    cols = _lookup(table)
    meta = _msforms_columns(cols)
    _require(table, {"ID": meta.get("id")}, "Microsoft Forms column(s)")
    former = older_wording(instrument)
    text_to_id = {norm_text(text): i for i, texts in former.texts.items() for text in texts}
    text_to_id |= {norm_text(i.text.nl): i.id for i in instrument.items}
    text_to_id |= {norm_text(f.text.nl): f.id for f in instrument.free_text}
    items, missing = _item_columns(table, instrument, _question_key(text_to_id))
    if missing:
        raise _missing_items_problem(table, missing)
    wanted = {"Organisatie": cols.get("organisatie")}
    _require(table, wanted, "question(s)")
    _require_unit(
        table,
        instrument,
        {
            "team": (cols.get("team"), "Team (question)"),
            "collaboration": (cols.get("samenwerking"), "Samenwerking (question)"),
        },
    )
    columns = {
        "organisation": cols["organisatie"],
        "team": cols.get("team"),
        "collaboration": cols.get("samenwerking"),
        "role": cols.get("rol"),
        "submitted_at": meta.get("completion"),
    }
    frame = _frame(table, columns, items)
    dutch = norm_text(meta.get("start", "")) == MSFORMS_DUTCH
    dayfirst = day_first(frame["submitted_at"], default=dutch)
    frame["submitted_at"] = [numeric_date_as_iso(d, dayfirst) for d in frame["submitted_at"]]
    ids = table.frame[meta["id"]].astype(str).str.strip()
    emails = table.frame[meta["email"]].astype(str) if "email" in meta else pd.Series("", ids.index)
    frame["response_id"] = [f"msforms:{round_id}:{i}" if i else "" for i in ids]
    frame["respondent_id"] = [
        pseudonym(round_id, norm_text(e))
        if norm_text(e) not in ("", "anonymous", "anoniem")
        else pseudonym(round_id, "msforms", i)
        for e, i in zip(emails, ids, strict=True)
    ]
    return Normalised("msforms", frame, _older_columns(table, instrument, items, former))


def _older_columns(
    table: TableFile, instrument: Instrument, items: dict[str, str], former: FormerWording
) -> tuple[str, ...]:
    """A note when some columns carry an older version's wording of their question: the
    form was made from that version, and its answers are taken as answers to this one
    (the version mapping says the item is asked alike)."""
    version_of = {
        (item_id, norm_text(text)): version
        for item_id, texts in former.texts.items()
        for text, version in texts.items()
    }
    matched = {
        item_id: version_of.get((item_id, norm_text(_NUMBERING.sub("", column))))
        for item_id, column in items.items()
    }
    older = sorted(item_id for item_id, version in matched.items() if version is not None)
    if not older:
        return ()
    versions = sorted({matched[item_id] for item_id in older})
    shown = ", ".join(older[:8]) + (f" and {len(older) - 8} more" if len(older) > 8 else "")
    return (
        f"{table.path}: {len(older)} question column(s) carry the wording of {instrument.id} "
        f"v{'/v'.join(map(str, versions))}, not of v{instrument.version} ({shown}); their "
        "answers are imported as answers to the same items (the version mapping keeps them "
        "comparable); make new forms from the current version",
    )


_BRACKET = re.compile(r"^[^\[\]]*\[([^\[\]]+)\]$")


def _limesurvey_key(header: str) -> str | None:
    match = _BRACKET.match(header.strip())
    return match.group(1) if match else header.strip()


def limesurvey(table: TableFile, instrument: Instrument, round_id: str) -> Normalised:
    cols = _lookup(table)
    wanted = {"id": cols.get("id"), "ORG": cols.get("org")}
    _require(table, wanted, "LimeSurvey column(s)")
    _require_unit(
        table,
        instrument,
        {"team": (cols.get("team"), "TEAM"), "collaboration": (cols.get("collab"), "COLLAB")},
    )
    items, missing = _item_columns(table, instrument, _limesurvey_key)
    if missing:
        raise _missing_items_problem(table, missing)
    columns = {
        "organisation": cols["org"],
        "team": cols.get("team"),
        "collaboration": cols.get("collab"),
        "role": cols.get("role"),
        "submitted_at": cols.get("submitdate"),
    }
    frame = _frame(table, columns, items)
    ids = table.frame[cols["id"]].astype(str).str.strip()
    frame["response_id"] = [f"limesurvey:{round_id}:{i}" if i else "" for i in ids]
    frame["respondent_id"] = [pseudonym(round_id, "limesurvey", i) for i in ids]
    frame.loc[frame["submitted_at"] == "", "_incomplete"] = (
        "incomplete response (no submitdate in the LimeSurvey export)"
    )
    return Normalised("limesurvey", frame)


def kobo(table: TableFile, instrument: Instrument, round_id: str) -> Normalised:
    by_name = {c.rsplit("/", 1)[-1].strip().casefold(): c for c in table.frame.columns}
    wanted = {"_uuid": by_name.get("_uuid"), "organisation_id": by_name.get("organisation_id")}
    _require(table, wanted, "required column(s)")
    _require_unit(
        table,
        instrument,
        {
            "team": (by_name.get("team_id"), "team_id"),
            "collaboration": (by_name.get("collaboration_id"), "collaboration_id"),
        },
    )
    items, missing = _item_columns(table, instrument, lambda c: c.rsplit("/", 1)[-1].strip())
    if missing:
        raise _missing_items_problem(table, missing)
    columns = {
        "response_id": by_name["_uuid"],
        "organisation": by_name["organisation_id"],
        "team": by_name.get("team_id"),
        "collaboration": by_name.get("collaboration_id"),
        "role": by_name.get("role"),
        "submitted_at": by_name.get("_submission_time") or by_name.get("end"),
    }
    frame = _frame(table, columns, items)
    uuids = frame["response_id"]
    frame["response_id"] = [f"kobo:{u}" if u else "" for u in uuids]
    frame["respondent_id"] = [pseudonym(round_id, "kobo", u) for u in uuids]
    return Normalised("kobo", frame)


def load_mapping(path: Path) -> dict:
    """Read a mapping YAML (see docs/import-formats.md) with a clear error when malformed."""
    try:
        mapping = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FileProblem(f"{path}: cannot read the mapping file ({exc})") from None
    if not isinstance(mapping, dict) or not isinstance(mapping.get("columns"), dict):
        raise FileProblem(
            f"{path}: a mapping needs a 'columns' section (see docs/import-formats.md)"
        )
    if not isinstance(mapping.get("items"), dict):
        raise FileProblem(f"{path}: a mapping needs an 'items' section: item id → column header")
    return mapping


def mapped(table: TableFile, instrument: Instrument, round_id: str, mapping: dict) -> Normalised:
    cols = _lookup(table)
    wanted = {}
    for field, header in mapping["columns"].items():
        if field not in FIELD_COLUMNS:
            raise FileProblem(f"mapping: unknown field '{field}' under columns")
        wanted[f"{field} ('{header}')"] = cols.get(norm_text(header))
    for item_id, header in mapping["items"].items():
        if item_id not in instrument.item_by_id and item_id not in {
            f.id for f in instrument.free_text
        }:
            raise FileProblem(f"mapping: '{item_id}' is not an item of {instrument.key}")
        wanted[f"{item_id} ('{header}')"] = cols.get(norm_text(header))
    _require(table, wanted, "column(s) named in the mapping")
    missing = [i.id for i in instrument.items if i.id not in mapping["items"]]
    if missing:
        raise FileProblem(f"mapping: no column given for item(s) {', '.join(missing)}")
    header = {f: cols[norm_text(h)] for f, h in mapping["columns"].items()}
    if "response_id" not in header or "organisation_id" not in header:
        raise FileProblem("mapping: columns must name response_id and organisation_id")
    kind = instrument.kind_spec
    unit_column = kind.unit_column
    if kind.unit_field is not None and unit_column not in header:
        raise FileProblem(
            f"mapping: columns must name {unit_column}: {instrument.key} is a {instrument.kind} questionnaire"
        )
    columns = {
        "response_id": header["response_id"],
        "respondent_id": header.get("respondent_id"),
        "organisation": header["organisation_id"],
        "team": header.get("team_id"),
        "collaboration": header.get("collaboration_id"),
        "role": header.get("role"),
        "submitted_at": header.get("submitted_at"),
    }
    items = {i: cols[norm_text(h)] for i, h in mapping["items"].items()}
    frame = _frame(table, columns, items)
    frame["response_id"] = [f"mapped:{round_id}:{r}" if r else "" for r in frame["response_id"]]
    no_id = frame["respondent_id"] == ""
    frame.loc[no_id, "respondent_id"] = [
        pseudonym(round_id, r) for r in frame["response_id"][no_id]
    ]
    return Normalised("mapped", frame)


ADAPTERS = {"template": template, "msforms": msforms, "limesurvey": limesurvey, "kobo": kobo}
