"""Import survey exports into the store, row by row checked, file by file atomic.

``import_file`` reads a file (``tables``), normalises its format (``formats``),
maps answer cells to scale values or codes, and checks each row. Blank rows are
skipped and counted. Rows with a problem are quarantined with their reason (kept
in the store and written as a CSV of their own per source file); the good rows
are stored in one transaction, so a failure stores nothing. The work scales with the file,
not with its rows: each distinct answer cell and date is parsed once per file, and the
file's responses are written together (``store.write_responses``: their holders and free
keys looked up for the whole file, one insert of many rows per table). Every value is
checked against the store's column lengths before writing, so SQLite and
PostgreSQL store and quarantine the same rows.
Response ids are scoped: survey tools number from 1 in every form and every year, so a
response is identified by its round, its unit (organisation, and team or collaboration) and
the id its file gives it (``store.holders``). Importing the same file twice stores nothing the second time; the
same id of another round or unit is another response. Every import is a batch
(``batches``) that can be undone whole. The source file is only read, never written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from dwp_assess import ids
from dwp_assess.data import batches, formats, municipal_codes, store
from dwp_assess.data.cells import safe_text
from dwp_assess.data.formats import norm_text
from dwp_assess.data.tables import FileProblem, TableFile, read_table
from dwp_assess.instruments.loading import get_instrument, older_wording
from dwp_assess.instruments.model import Instrument, Scale
from dwp_assess.instruments.versions import FormerWording
from dwp_assess.locale import number

MAX_TEXT = 10_000
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]0+)?$")


@dataclass
class ImportSummary:
    """What an import did, for the command's table and for tests."""

    file: Path
    format: str
    round_id: str
    rows_read: int = 0
    blank: int = 0
    stored: int = 0
    already_present: int = 0
    quarantined: int = 0
    reasons: Counter = field(default_factory=Counter)
    quarantine_csv: Path | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. a CBS code not of the round's period
    batch_id: int | None = None  # the import batch (``dwp-assess import --undo``)

    @property
    def all_refused(self) -> bool:
        """Every row with content was quarantined: nothing of the file is in the store."""
        return self.quarantined > 0 and self.stored == 0 and self.already_present == 0


# -- answer cells → values or codes ------------------------------------------------


def scale_lookup(
    scale: Scale, former: dict[int, list[str]] | None = None
) -> dict[str, tuple[float | None, str | None]]:
    """Every accepted spelling of an answer on ``scale`` → (value, code); ``former`` adds
    the labels older versions gave its points (``FormerWording.labels``), which give way
    to every spelling of this version."""
    lookup: dict[str, tuple[float | None, str | None]] = {
        norm_text(label): (float(value), None)
        for value, labels in (former or {}).items()
        for label in labels
    }
    for point in scale.points:
        keys = [str(point.value), f"a{point.value}", point.label.nl, point.label.en or ""]
        for key in [*keys, *point.aliases]:
            if key:
                lookup[norm_text(key)] = (float(point.value), None)
    for option in scale.special:
        for key in [option.code, option.label.nl, option.label.en or "", *option.aliases]:
            if key:
                lookup[norm_text(key)] = (None, option.code)
    return lookup


def _describe(scale: Scale) -> str:
    specials = ", ".join(f"'{s.label.nl}'" for s in scale.special)
    return f"{scale.min}–{scale.max} or a label of scale {scale.id}" + (
        f", {specials}" if specials else ""
    )


def parse_cell(
    cell: str, scale: Scale, lookup: dict
) -> tuple[float | None, str | None, str | None]:
    """(value, code, problem) for one answer cell; blank is (None, None, None): not answered."""
    key = norm_text(cell)
    if key in ("", "nan"):
        return None, None, None
    if _NUMBER.match(key):
        key = str(int(float(key.replace(",", "."))))  # "4.0" and "4,0" from spreadsheets
    if key in lookup:
        value, code = lookup[key]
        return value, code, None
    if _NUMBER.match(key):
        return None, None, f"value {cell.strip()} is out of range ({_describe(scale)})"
    return None, None, f"'{cell.strip()[:40]}' is not an answer on the scale ({_describe(scale)})"


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def parse_date(text: str, dayfirst: bool = True) -> datetime | None:
    """A date/time as UTC: ISO 8601, or day-first as Dutch people write it (14-03-2026)."""
    text = text.strip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if _ISO_DATE.match(text):
            parsed = pd.to_datetime(text, errors="coerce", utc=True)
        else:
            parsed = pd.to_datetime(text, errors="coerce", utc=True, dayfirst=dayfirst)
    return None if pd.isna(parsed) else parsed.to_pydatetime()


# A whole ISO 8601 date or date and time, which ``parse_dates`` parses in one call.
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_dates(texts) -> dict[str, datetime | None]:
    """``parse_date`` of every distinct non-blank text of a file's column, by text: the
    whole-ISO ones (what exports write) in one vectorised call, the others one by one."""
    distinct = {t for t in texts if isinstance(t, str) and t.strip()}
    iso = sorted(t for t in distinct if _ISO_DATETIME.match(t.strip()))
    parsed: dict[str, datetime | None] = {t: parse_date(t) for t in distinct.difference(iso)}
    if iso:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            values = pd.to_datetime(
                pd.Series([t.strip() for t in iso]), format="ISO8601", errors="coerce", utc=True
            )
            parsed |= {
                t: None if pd.isna(v) else v.to_pydatetime()
                for t, v in zip(iso, values, strict=True)
            }
    return parsed


# -- registry lookups ------------------------------------------------------------------


def organisation_lookup(engine: Engine) -> dict[str, str]:
    """Every way a file may name an organisation (id, name, CBS code), normalised, to its id."""
    orgs = store.organisations(engine)
    lookup = {}
    for rec in orgs.to_dict("records"):
        for key in (rec["id"], rec["name"], rec["cbs_code"]):
            if key:
                lookup[norm_text(key)] = rec["id"]
    return lookup


def _team_lookup(engine: Engine) -> dict[tuple[str, str], str]:
    lookup = {}
    for rec in store.teams(engine).to_dict("records"):
        for key in (rec["id"], rec["name"]):
            lookup[(rec["organisation_id"], norm_text(key))] = rec["id"]
    return lookup


def _collaboration_lookup(engine: Engine) -> dict[str, tuple[str, frozenset[str]]]:
    """A collaboration's id or title (normalised) → its id and member organisations."""
    members = store.collaboration_members(engine).groupby("collaboration_id")["organisation_id"]
    by_id = {c: frozenset(orgs) for c, orgs in members}
    lookup = {}
    for rec in store.collaborations(engine).to_dict("records"):
        for key in (rec["id"], rec["title"]):
            lookup[norm_text(key)] = (rec["id"], by_id.get(rec["id"], frozenset()))
    return lookup


def _role_lookup(instrument: Instrument) -> dict[str, str]:
    lookup = {}
    for rf in instrument.respondent_fields:
        if rf.id == "role":
            for choice in rf.choices:
                for key in (choice.code, choice.label.nl, choice.label.en or ""):
                    if key:
                        lookup[norm_text(key)] = choice.code
    return lookup


# -- checking rows ---------------------------------------------------------------------------


@dataclass
class _Context:
    instrument: Instrument
    round_id: str
    organisations: dict[str, str]
    teams: dict[tuple[str, str], str]
    roles: dict[str, str]
    imported_at: datetime
    collaborations: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    former: FormerWording = field(default_factory=FormerWording)  # older versions' labels
    dates: dict[str, datetime | None] = field(default_factory=dict)  # the file's (``parse_dates``)
    cells: dict[tuple[str, str], tuple] = field(
        default_factory=dict
    )  # ``parse_cell`` memo by (item, cell)


def _clean_text(text: str) -> str:
    return store.CONTROL.sub("", text).strip()


def _check_fields(row: dict, ctx: _Context) -> tuple[dict, list[str]]:
    """Resolve organisation, team, role and date of one row; return them and any problems."""
    problems = []
    org = ctx.organisations.get(norm_text(row["organisation"]))
    if not row["organisation"].strip():
        problems.append("organisation is empty")
    elif org is None:
        problems.append(f"unknown organisation '{row['organisation'].strip()[:60]}'")
    team = None
    if row["team"].strip() and org:
        team = ctx.teams.get((org, norm_text(row["team"])))
        if team is None:
            problems.append(f"unknown team '{row['team'].strip()[:60]}' in organisation '{org}'")
    elif ctx.instrument.kind_spec.in_teams and org:
        problems.append("team is empty (required for a team questionnaire)")
    collaboration, collaboration_problems = _check_collaboration(row, org, ctx)
    problems += collaboration_problems
    role = None
    if row["role"].strip():
        role = ctx.roles.get(norm_text(row["role"]))
        if role is None:
            problems.append(f"unknown role '{row['role'].strip()[:40]}'")
    submitted = ctx.imported_at
    if row["submitted_at"].strip():
        text = row["submitted_at"]
        parsed = ctx.dates[text] if text in ctx.dates else parse_date(text)
        if parsed is None:
            problems.append(f"submitted_at '{row['submitted_at'].strip()[:30]}' is not a date")
        else:
            submitted = parsed
    if not row["response_id"].strip():
        problems.append("response id is missing")
    problems += _fits(row)
    fields = {
        "organisation_id": org,
        "team_id": team,
        "role": role,
        "submitted_at": submitted,
        "collaboration_id": collaboration,
    }
    return fields, problems


def _check_collaboration(row: dict, org: str | None, ctx: _Context) -> tuple[str | None, list[str]]:
    """The collaboration of a row of a collaboration questionnaire (by id or title) and the
    problems: none given, unknown, or the row's organisation is not one of its members (a
    representative answers for their own organisation, which must take part). Rows of other
    questionnaires have none."""
    if not ctx.instrument.kind_spec.in_collaborations:
        return None, []
    given = row.get("collaboration", "").strip()
    if not given:
        return None, ["collaboration is empty (required for a collaboration questionnaire)"]
    found = ctx.collaborations.get(norm_text(given))
    if found is None:
        return None, [f"unknown collaboration '{given[:60]}'"]
    collaboration, members = found
    if org and org not in members:
        return collaboration, [
            f"organisation '{org}' is not a member of collaboration '{collaboration}'"
        ]
    return collaboration, []


def _fits(row: dict) -> list[str]:
    """The response and respondent ids fit the store's columns (checked here, so SQLite and
    PostgreSQL quarantine the same rows instead of one storing what the other refuses)."""
    checks = [
        ("response id", row["response_id"].strip(), store.response.c.response_id),
        ("respondent id", row["respondent_id"], store.respondent.c.id),
    ]
    return [p for label, value, column in checks if (p := store.text_problem(label, value, column))]


def _check_answers(row: dict, ctx: _Context, lookups: dict) -> tuple[list, list[str]]:
    """The row's answers and problems; each distinct cell of an item's column is parsed once
    per file (``ctx.cells``), the rows of an export holding a few distinct answers each."""
    answers, problems = [], []
    for item in ctx.instrument.items:
        key = (item.id, row[item.id])
        if key not in ctx.cells:
            scale = ctx.instrument.scale_by_id[item.scale]
            ctx.cells[key] = parse_cell(row[item.id], scale, lookups[item.scale])
        value, code, problem = ctx.cells[key]
        if problem:
            problems.append(f"{item.id}: {problem}")
        elif value is not None or code is not None:
            answers.append(store.AnswerRecord(item.id, value=value, code=code))
    for free in ctx.instrument.free_text:
        text = _clean_text(row.get(free.id, "") or "")
        if len(text) > MAX_TEXT:
            problems.append(f"{free.id}: text longer than {number(MAX_TEXT, 0, 'en')} characters")
        elif text:
            answers.append(store.AnswerRecord(free.id, text=text))
    if not problems and not any(a.value is not None or a.code for a in answers):
        problems.append("empty response: no item answered")
    return answers, problems


def _build(frame: pd.DataFrame, ctx: _Context, source: str):
    """Yield (row number, raw row, ResponseRecord or None, problems) for every row."""
    lookups = {s.id: scale_lookup(s, ctx.former.labels.get(s.id)) for s in ctx.instrument.scales}
    ctx.dates.update(parse_dates(frame["submitted_at"]))
    for row in frame.to_dict("records"):
        if row["_incomplete"]:
            yield row["_row"], row, None, [row["_incomplete"]]
            continue
        fields, problems = _check_fields(row, ctx)
        answers, answer_problems = _check_answers(row, ctx, lookups)
        problems += answer_problems
        if problems:
            yield row["_row"], row, None, problems
            continue
        yield (
            row["_row"],
            row,
            store.ResponseRecord(
                response_id=row["response_id"].strip(),
                round_id=ctx.round_id,
                respondent_id=row["respondent_id"],
                organisation_id=fields["organisation_id"],
                team_id=fields["team_id"],
                role=fields["role"],
                source=store.fit(source, store.response.c.source),
                submitted_at=fields["submitted_at"],
                answers=tuple(answers),
                collaboration_id=fields["collaboration_id"],
            ),
            [],
        )


# -- writing --------------------------------------------------------------------------------------


def _raw(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def write_quarantine_csv(path: Path, rows: list[dict]) -> Path:
    """Write quarantined rows with their reasons, safe to open in Excel."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [
        "row_number",
        "reason",
        *dict.fromkeys(k for r in rows for k in json.loads(r["raw"])),
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for r in rows:
            raw = json.loads(r["raw"])
            cells = [r["row_number"], r["reason"], *(raw.get(c, "") for c in columns[2:])]
            writer.writerow([safe_text(str(c)) for c in cells])  # safe to open in Excel
    return path


def reason_kind(reason: str) -> str:
    """A reason without its particulars (item, value, name), to group reasons in a summary."""
    kind = re.sub(r"^[A-Za-z][A-Za-z0-9_]*: ", "", reason)
    return re.sub(r"'[^']*'|\d+", "…", kind).split(" (")[0]


def _quarantine_row(summary: ImportSummary, sha: str, line: int, row: dict, reasons: list[str]):
    reasons = [store.CONTROL.sub("?", r) for r in reasons]  # cells quoted in a reason may hold NULs
    for reason in reasons:
        summary.reasons[reason_kind(reason)] += 1
    return {
        "round_id": summary.round_id,
        "source_file": store.fit(str(summary.file), store.quarantine.c.source_file),
        "file_sha256": sha,
        "row_number": int(line),
        "reason": "; ".join(reasons),
        "raw": json.dumps(_raw(row), ensure_ascii=False),
    }


def _dedupe_in_file(built: list) -> list:
    """Mark repeated response ids of one unit (organisation, team, collaboration) in one file:
    identical copies are skipped, differing ones are all quarantined (we cannot tell which is
    right). The same id of two units is two responses (per-unit exports put in one file)."""
    by_id: dict[tuple, list[int]] = {}
    for n, (_, _, rec, _) in enumerate(built):
        if rec is not None:
            unit = (rec.organisation_id, rec.team_id, rec.collaboration_id)
            by_id.setdefault((*unit, rec.response_id), []).append(n)
    result = list(built)
    for (*_, response_id), positions in by_id.items():
        if len(positions) < 2:
            continue
        hashes = {built[p][2].content_hash() for p in positions}
        lines = ", ".join(str(built[p][0]) for p in positions)
        for p in positions[1:] if len(hashes) == 1 else positions:
            line, row, _, _ = built[p]
            reason = (
                f"duplicate of row {built[positions[0]][0]} (identical response '{response_id}')"
                if len(hashes) == 1
                else f"response id '{response_id}' appears in rows {lines} with different answers"
            )
            result[p] = (line, row, None, [reason])
    return result


def resolve_round(
    engine: Engine, round_id: str, instrument_id: str | None = None, period: str | None = None
) -> tuple[store.RoundInfo, Instrument, bool]:
    """The round and its instrument; create the round when instrument and period are given."""
    info = store.get_round(engine, round_id, missing_ok=True)
    created = False
    if info is None:
        if not (instrument_id and period):
            known = ", ".join(r.id for r in store.list_rounds(engine)) or "none yet"
            raise store.StoreError(
                f"unknown round '{round_id}' (rounds: {known}); create it with `dwp-assess round "
                "create` or pass --instrument and --period to create it on import"
            )
        info = store.create_round(engine, get_instrument(instrument_id), period, round_id)
        created = True
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    if instrument.content_hash != info.instrument_hash:
        raise store.StoreError(
            f"the file of {instrument.key} changed since round '{round_id}' was created; "
            "a changed instrument needs a new version file"
        )
    return info, instrument, created


def import_file(
    engine: Engine,
    path: str | Path,
    round_id: str,
    fmt: str | None = None,
    mapping: str | Path | None = None,
    strict: bool = False,
    quarantine_dir: str | Path | None = None,
    allow_closed: bool = False,
) -> ImportSummary:
    """Import one survey export into ``round_id`` as one batch; see the module docstring for
    the rules. A closed round is refused unless ``allow_closed`` (late paper forms)."""
    path = Path(path)
    info, instrument, _ = resolve_round(engine, round_id)
    store.check_open(info, allow_closed)
    table = read_table(path, None if mapping is not None else formats.is_header)
    fmt, normalised = _normalised(table, path, instrument, round_id, fmt, mapping)
    ctx = _context(engine, instrument, info.id)
    blank = table.blank
    summary = ImportSummary(
        path,
        fmt,
        info.id,
        rows_read=len(normalised.frame),
        blank=int(blank.sum()),
        warnings=list(normalised.notes),
    )
    rows = normalised.frame[~blank]
    built = _dedupe_in_file(list(_build(rows, ctx, f"{fmt}:{path.name}")))
    folder = Path(quarantine_dir) if quarantine_dir else default_quarantine_dir(engine, info.id)
    csv_path = folder / quarantine_csv_name(path, table.sha256)
    quarantined = _write(
        engine, summary, table.sha256, built, strict, instrument.kind, csv_path, allow_closed
    )
    summary.warnings += _code_warnings(
        engine, info, {rec.organisation_id for _, _, rec, _ in built if rec}
    )
    if table.header_row > 1:
        summary.warnings.insert(
            0,
            f"the header is on row {table.header_row}; the {table.header_row - 1} row(s) above it were not read",
        )
    if quarantined:
        summary.quarantine_csv = write_quarantine_csv(csv_path, quarantined)
    return summary


def _normalised(
    table: TableFile,
    path: Path,
    instrument: Instrument,
    round_id: str,
    fmt: str | None,
    mapping: str | Path | None,
) -> tuple[str, formats.Normalised]:
    """The format the file is read as and its rows in the common layout: through the analyst's
    ``mapping`` when given (format ``mapped``), else through the adapter of ``fmt`` or of the
    format detected from the header; an unknown format is a ``FileProblem`` naming the file."""
    if mapping is not None:
        return "mapped", formats.mapped(
            table, instrument, round_id, formats.load_mapping(Path(mapping))
        )
    fmt = fmt or formats.detect(table)
    if fmt not in formats.ADAPTERS:
        raise FileProblem(
            f"{path}: unknown format '{fmt}'; use one of {', '.join(formats.ADAPTERS)}"
        )
    return fmt, formats.ADAPTERS[fmt](table, instrument, round_id)


def _context(engine: Engine, instrument: Instrument, round_id: str) -> _Context:
    """What building the rows of one import needs from the store and the instrument: the
    registry's organisations, teams and (for an instrument answered in collaborations) the
    collaborations, the instrument's roles, the import's time and how older versions of the
    instrument worded its items (an export of an older form)."""
    return _Context(
        instrument,
        round_id,
        organisation_lookup(engine),
        _team_lookup(engine),
        _role_lookup(instrument),
        datetime.now(UTC),
        _collaboration_lookup(engine) if instrument.kind_spec.in_collaborations else {},
        older_wording(instrument),
    )


def _code_warnings(engine: Engine, info: store.RoundInfo, organisation_ids: set[str]) -> list[str]:
    """Warnings for the CBS codes the round recorded for ``organisation_ids`` that do not exist
    in the round's period (``municipal_codes``); the rows are stored all the same."""
    if not organisation_ids:
        return []
    recorded = store.load_round_organisations(engine, info.id)
    recorded = recorded[recorded["organisation_id"].isin(organisation_ids)]
    return municipal_codes.warn_about(
        municipal_codes.check_round_codes(recorded, info.period), info.id
    )


_UNSAFE_IN_NAME = re.compile(r"[^\w-]+")


def quarantine_csv_name(path: Path, sha256: str) -> str:
    """``<stem>.<suffix>.<tag>.quarantine.csv`` for the source ``path``: a plain file name
    (letters, digits, ``_`` and ``-`` between dots: no separator, no ``..``, so it stays in
    the quarantine folder) that differs for every source file and content. The tag hashes
    the source's full path and content: ``gouda/export.csv`` and ``almere/export.csv``, or
    ``x.csv`` and ``x.xlsx``, keep their own CSV; importing the same file again rewrites
    its own CSV with the same rows."""
    stem = _UNSAFE_IN_NAME.sub("_", path.stem).strip("_")[:60] or "file"
    suffix = _UNSAFE_IN_NAME.sub("_", path.suffix.lstrip(".")).strip("_")[:10]
    tag = hashlib.sha256(f"{path.resolve()}\x1f{sha256}".encode()).hexdigest()[:10]
    return ".".join(p for p in (stem, suffix, tag, "quarantine", "csv") if p)


def default_quarantine_dir(engine: Engine, round_id: str) -> Path:
    """``quarantine/<round>/`` beside a SQLite store file, else under ``store.data_dir()``.

    Never next to the source file (raw files stay untouched), and never in the project when
    the store lives elsewhere (a test's or another analyst's store).
    """
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
        return ids.output_path(Path(database).resolve().parent / "quarantine", round_id)
    return ids.output_path(store.data_dir() / "quarantine", round_id)


def _write(
    engine: Engine,
    summary: ImportSummary,
    sha: str,
    built: list,
    strict: bool,
    unit: str,
    csv_path: Path,
    allowed_closed: bool = False,
) -> list:
    """Store good rows and record quarantined ones as one batch in one transaction; return
    the latter."""
    with engine.begin() as conn:
        store.claim_round(conn, summary.round_id)  # one writer of the round's responses at a time
        batch_id = batches.open_batch(
            conn, summary.round_id, str(summary.file), sha, summary.format, allowed_closed
        )
        quarantined = _store_rows(conn, summary, sha, built, batch_id)
        summary.quarantined = len(quarantined)
        if strict and quarantined:
            first = "; ".join(f"row {q['row_number']}: {q['reason']}" for q in quarantined[:3])
            raise FileProblem(
                f"{summary.file}: {len(quarantined)} row(s) have problems and --strict rejects the "
                f"whole file; nothing was stored. First: {first}"
            )
        stored_orgs = {rec.organisation_id for _, _, rec, _ in built if rec is not None}
        store.ensure_round_organisations(conn, summary.round_id, unit, stored_orgs, batch_id)
        known = store.quarantined_rows(conn, sha, summary.round_id)
        store.record_quarantine(conn, [q for q in quarantined if q["row_number"] not in known])
        counts = {
            name: getattr(summary, name)
            for name in ("rows_read", "stored", "already_present", "quarantined")
        }
        batches.close_batch(conn, batch_id, counts, csv_path if quarantined else None)
        summary.warnings += _same_ids_warnings(conn, batch_id, summary.round_id)
    summary.batch_id = batch_id
    return quarantined


def _store_rows(conn, summary: ImportSummary, sha: str, built: list, batch_id: int) -> list:
    """Write the good rows of ``built`` in batch ``batch_id``, counting them in ``summary``
    (stored, or already present), and return the quarantine rows of the others: rows with
    problems, and rows that conflict with a response stored from the same source; a row that
    repeats an earlier row of the file counts as already present."""
    quarantined = []
    records = [rec for _, _, rec, _ in built if rec is not None]
    stored_before = store.holders_of_file(conn, summary.round_id, records)
    outcomes = iter(store.write_responses(conn, records, batch_id, stored_before))
    for line, row, rec, problems in built:
        if rec is not None:
            outcome = next(outcomes)
            if outcome == store.CONFLICT:
                problems = [_conflict_reason(conn, rec)]
            elif outcome == store.PRESENT:
                summary.already_present += 1
                continue
            else:
                summary.stored += 1
                continue
        if problems[0].startswith("duplicate of row"):
            summary.already_present += 1
            continue
        quarantined.append(
            _quarantine_row(summary, sha, line, row, problems) | {"batch_id": batch_id}
        )
    return quarantined


def _conflict_reason(conn, rec: store.ResponseRecord) -> str:
    """Why a row whose response is stored from the same source with other answers is
    quarantined, naming the round, source and batch that hold it and how to replace it."""
    holder = next(h for h in store.holders(conn, rec) if h.source == rec.source)
    batch = f" (batch {holder.batch_id})" if holder.batch_id is not None else ""
    advice = (
        f"; to replace it, undo that batch (`dwp-assess import --undo {holder.batch_id}`) and "
        "import this file again"
        if holder.batch_id is not None
        else ""
    )
    return (
        f"response id '{rec.response_id}' of organisation '{rec.organisation_id}' is already "
        f"stored with other answers in round '{rec.round_id}' from '{holder.source}'{batch}{advice}"
    )


def _same_ids_warnings(conn, batch_id: int, round_id: str) -> list[str]:
    """One warning per other source whose responses share ids with responses this batch
    stored for the same unit (organisation, team): stored as responses of their own (another
    form that numbers from 1 too), unless this file corrects that one."""
    shared = batches.same_ids_elsewhere(conn, batch_id)
    warnings_ = []
    for (source, other_batch), rows in shared.groupby(
        ["other_source", "other_batch_id"], dropna=False, sort=True
    ):
        example = rows.iloc[0]
        undo = (
            ""
            if pd.isna(other_batch)
            else f" (batch {int(other_batch)}; if this file corrects it, `dwp-assess import --undo {int(other_batch)}` and import this file again)"
        )
        warnings_.append(
            f"{rows['source_response_id'].nunique()} response id(s) of this file, e.g. "
            f"'{example['source_response_id']}' of '{example['organisation_id']}', are also ids of "
            f"other responses of the same organisation (and team) in round '{round_id}' from "
            f"'{source}'{undo}: stored as responses of their own"
        )
    return warnings_
