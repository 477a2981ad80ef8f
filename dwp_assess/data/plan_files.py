"""Improvement plans (verbeterplannen): the draft an organisation fills in, its import and storage.

``write_draft`` writes the actions a report proposes as an editable XLSX (with an
instructions sheet and lists for "overnemen" and "status") and the same table as CSV.
``import_plan`` reads a filled-in file, checks every row (organisation and round as
asked, only the actions the organisation's draft for that round proposed, no formulas,
yes/no, a real date, a known status) and stores the plan as a new version; a file with any
problem is refused whole with every problem named by row and column, and the file itself is
never changed. ``record_draft`` keeps in the store which actions a draft proposed; text in the
draft that a spreadsheet would take for a formula is written as text (``data.cells``). ``adopted_actions`` gives the adopted
actions of each organisation's latest plan for a round, for the follow-up in the next
round's report.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from dwp_assess import ids
from dwp_assess.data import store
from dwp_assess.data.cells import safe_text, safe_xlsx_row, unquote
from dwp_assess.data.tables import ZIP_MAGIC
from dwp_assess.instruments.messages import t
from dwp_assess.locale import LANGUAGES

COLUMNS = [
    "organisation_id",
    "round_id",
    "action_id",
    "dimension",
    "action",
    "reasons",
    "owner_role",
    "horizon",
    "target",
    "indicator",
    "tool",
    "adopted",
    "owner_name",
    "due_date",
    "status",
    "note",
]
FILLED_IN = ("adopted", "owner_name", "due_date", "status", "note")
STATUSES = ("not_started", "in_progress", "done", "stopped")
DRAFT_SUFFIX = "-verbeterplan.xlsx"
WIDTHS = {"action": 60, "reasons": 40, "target": 50, "indicator": 30, "tool": 30, "note": 40}


class PlanError(ValueError):
    """A plan file that cannot be imported; ``problems`` names each row and column."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class KnownAction:
    """What the store keeps of an action besides the file: its dimension and indicator items."""

    dimension_id: str
    indicator: tuple[str, ...]


@dataclass(frozen=True)
class ImportResult:
    version: int
    adopted: int
    actions: int
    unchanged: bool  # the file equals the latest stored version; nothing was added


def header(key: str, lang: str) -> str:
    return t(f"plan.column.{key}", lang)


# -- writing the draft ---------------------------------------------------------------------------


def write_draft(
    rows: pd.DataFrame, organisation: Mapping, period: str, out_dir: Path, lang: str = "nl"
) -> tuple[Path, Path]:
    """Write ``rows`` (one per proposed action with the ``COLUMNS`` up to ``tool``) as
    ``<org>-verbeterplan.xlsx`` and ``.csv`` in ``out_dir`` (a folder per round); the columns
    to fill in start empty. ``organisation`` has ``id`` and ``name``."""
    frame = rows.reindex(columns=COLUMNS).astype(object).fillna("")
    xlsx = ids.output_path(out_dir, organisation["id"], suffix=DRAFT_SUFFIX)
    csv_path = xlsx.with_suffix(".csv")
    xlsx.parent.mkdir(parents=True, exist_ok=True)
    _write_xlsx(frame, xlsx, organisation["name"], period, lang)
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([header(c, lang) for c in COLUMNS])
        writer.writerows(
            [[safe_text(v) for v in row] for row in frame.astype(str).to_numpy().tolist()]
        )
    return xlsx, csv_path


def _write_xlsx(frame: pd.DataFrame, path: Path, name: str, period: str, lang: str) -> None:
    """The draft as a workbook: the plan sheet (bold header, the identifying columns frozen,
    wide wrapped text, the accepted answers) and a sheet of instructions."""
    book = Workbook()
    sheet = book.active
    sheet.title = t("plan.sheet", lang)
    sheet.append([header(c, lang) for c in COLUMNS])
    for row in frame.astype(str).to_numpy().tolist():
        sheet.append(row)
        safe_xlsx_row(sheet, sheet.max_row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "D2"
    for n, key in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=n).column_letter
        sheet.column_dimensions[letter].width = WIDTHS.get(key, 18)
        for cell in sheet[letter][1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _add_validations(sheet, len(frame) + 1, lang)
    info = book.create_sheet(t("plan.instructions_sheet", lang))
    info.append([t("plan.instructions_title", lang, organisation=name, period=period)])
    info["A1"].font = Font(bold=True)
    for n in range(1, 6):
        info.append([t(f"plan.instruction.{n}", lang)])
    info.column_dimensions["A"].width = 120
    book.save(path)


def _add_validations(sheet: Worksheet, last: int, lang: str) -> None:
    """Lists of the accepted answers for the adopted and status columns and a date check on
    the due date, on data rows 2 to ``last`` (at least row 2: a range must not end above its
    start): the spreadsheet then refuses what ``check_rows`` would refuse on import."""
    column = {
        key: sheet.cell(row=1, column=n).column_letter for n, key in enumerate(COLUMNS, start=1)
    }
    choices = {
        "adopted": [t("common.yes", lang), t("common.no", lang)],
        "status": [t(f"plan.status.{s}", lang) for s in STATUSES],
    }
    for key, values in choices.items():
        rule = DataValidation(
            type="list",
            formula1='"' + ",".join(values) + '"',
            allow_blank=True,
            showErrorMessage=True,
            error=", ".join(values),
        )
        rule.add(f"{column[key]}2:{column[key]}{max(last, 2)}")
        sheet.add_data_validation(rule)
    dates = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="DATE(2000,1,1)",
        allow_blank=True,
        showErrorMessage=True,
        error=header("due_date", lang),
    )
    dates.add(f"{column['due_date']}2:{column['due_date']}{max(last, 2)}")
    sheet.add_data_validation(dates)
    for row in range(2, last + 1):
        sheet[f"{column['due_date']}{row}"].number_format = "yyyy-mm-dd"


# -- reading and checking a filled-in plan -----------------------------------------------------------


def _header_keys() -> dict[str, str]:
    """Column header (either language, any case) → column key."""
    return {header(c, lang).strip().lower(): c for c in COLUMNS for lang in LANGUAGES}


def _xlsx_table(path: Path) -> tuple[list[list], list[str]]:
    """The first sheet's values, and a problem for every formula cell (named by row and
    column): a formula's value is not in the file unless a spreadsheet computed it, and what
    a plan says must be typed in, not computed."""
    sheet = load_workbook(path, read_only=True, data_only=False).worksheets[0]
    table, formulas = [], []
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        row = []
        for cell in cells:
            if getattr(cell, "data_type", None) == "f":
                formulas.append(
                    f"{path.name}: row {number}: column {cell.column_letter}: holds a formula ({str(cell.value)[:40]}); type the value itself"
                )
            row.append(getattr(cell, "value", None))
        table.append(row)
    return table, formulas


def _csv_table(path: Path) -> list[list]:
    """A CSV's rows, with the apostrophe ``write_draft`` put before formula-like text taken off."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [[unquote(v) for v in r] for r in csv.reader(fh)]


def _is_text(path: Path) -> bool:
    try:
        path.read_bytes()[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(row number as the user sees it, {column key: value}) for every non-empty row of a plan
    file (XLSX: the first sheet; CSV: UTF-8 with a header line). A file that is not what its
    name says (a CSV saved as .xlsx, an empty file) is one problem naming the file; formula
    cells are refused with their row and column."""
    path = Path(path)
    if not path.is_file():
        raise PlanError([f"{path}: file not found"])
    suffix = path.suffix.lower()
    kind = {".xlsx": "an Excel workbook (.xlsx)", ".csv": "a CSV file"}.get(suffix)
    if kind is None:
        raise PlanError([f"{path}: expected an .xlsx or .csv file made by `dwp-assess plan draft`"])
    table = _table(path, suffix, kind)
    if not table:
        raise PlanError([f"{path}: the file is empty"])
    keys = _column_keys(path, table[0])
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        rows.append((number, {k: v for k, v in zip(keys, values, strict=False) if k}))
    return rows


def _table(path: Path, suffix: str, kind: str) -> list[list]:
    """The rows of cells of a plan file of ``kind``; a ``PlanError`` naming the file when it is
    empty, is not what its name says or cannot be read, or naming every formula cell."""
    formulas: list[str] = []
    try:
        if path.stat().st_size == 0:
            raise PlanError(
                [f"{path}: the file is empty; expected {kind} made by `dwp-assess plan draft`"]
            )
        if suffix == ".xlsx" and path.read_bytes()[:4] != ZIP_MAGIC:
            looks = "text (a CSV file?)" if _is_text(path) else "something else"
            raise PlanError(
                [
                    f"{path}: is not an Excel workbook, it holds {looks}; save the plan as .xlsx from the spreadsheet, or give a CSV file the name .csv"
                ]
            )
        if suffix == ".xlsx":
            table, formulas = _xlsx_table(path)
        else:
            table = _csv_table(path)
    except PlanError:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile, openpyxl and csv raise many types for a broken file
        raise PlanError(
            [
                f"{path}: cannot be read as {kind} ({type(exc).__name__}: {str(exc)[:80]}); save the plan again as {kind}"
            ]
        ) from None
    if formulas:
        raise PlanError(formulas)
    return table


def _column_keys(path: Path, header_row: list) -> list[str | None]:
    """The column key of every header cell (``None`` for a column the plan does not know);
    a missing identifying or filled-in column is a ``PlanError`` naming them."""
    known = _header_keys()
    keys = [known.get(str(h or "").strip().lower()) for h in header_row]
    missing = [
        header(c, "nl")
        for c in ("organisation_id", "round_id", "action_id", *FILLED_IN[:-1])
        if c not in keys
    ]
    if missing:
        raise PlanError([f"{path}: row 1: missing column(s) {', '.join(repr(m) for m in missing)}"])
    return keys


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _choice(value, options: dict[str, str]) -> str | None:
    return options.get(_text(value).lower())


def _due_date(value) -> date | None:
    """A date from an XLSX date cell or text in YYYY-MM-DD or DD-MM-YYYY; ``ValueError`` if not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def check_rows(
    rows: list[tuple[int, dict]],
    organisation_id: str,
    round_id: str,
    known: Mapping[str, KnownAction],
    source: str,
    proposed: set[str] | None = None,
) -> tuple[list[dict], list[str]]:
    """The rows as plan actions, and every problem (``source``: row N: column: what is wrong).
    ``proposed``: the action ids the organisation's draft for the round proposed; another
    known action (another organisation's, or a row added by hand) is refused."""
    choices = _choices()
    actions, problems, seen = [], [], set()
    for number, row in rows:
        action_id = _text(row.get("action_id"))
        found = _identity_problems(row, action_id, organisation_id, round_id, known, proposed, seen)
        seen.add(action_id)
        fields, invalid = _filled_in(row, *choices)
        problems += [f"{source}: row {number}: {p}" for p in found + invalid]
        if action_id in known and (proposed is None or action_id in proposed):
            actions.append(
                {
                    "action_id": action_id,
                    "dimension_id": known[action_id].dimension_id,
                    "action": _text(row.get("action")),
                    "indicator": json.dumps(list(known[action_id].indicator)),
                    **fields,
                }
            )
    if not rows:
        problems.append(f"{source}: no action rows")
    return actions, problems


def _column(key: str) -> str:
    """A column as problems name it: its Dutch header."""
    return header(key, "nl")


def _choices() -> tuple[dict[str, bool], dict[str, str]]:
    """What the adopted column accepts (yes or no in either language, any case; empty is no)
    and what the status column accepts (a status in either language, or its key)."""
    yes_no = {
        t(k, lang).lower(): v
        for k, v in (("common.yes", True), ("common.no", False))
        for lang in LANGUAGES
    }
    yes_no[""] = False
    statuses = {t(f"plan.status.{s}", lang).lower(): s for s in STATUSES for lang in LANGUAGES} | {
        s: s for s in STATUSES
    }
    return yes_no, statuses


def _identity_problems(
    row: dict,
    action_id: str,
    organisation_id: str,
    round_id: str,
    known: Mapping[str, KnownAction],
    proposed: set[str] | None,
    seen: set[str],
) -> list[str]:
    """What is wrong with the row's identity: an organisation or round other than the plan's,
    an action that is unknown, not proposed in the draft, or already ``seen`` in the file."""
    problems = []
    for key, expected in (("organisation_id", organisation_id), ("round_id", round_id)):
        if _text(row.get(key)) != expected:
            problems.append(
                f"{_column(key)}: '{_text(row.get(key))}' is not '{expected}' (a plan of another organisation or round?)"
            )
    if action_id not in known:
        problems.append(
            f"{_column('action_id')}: unknown action '{action_id}' (rows and ids come from the draft)"
        )
    elif proposed is not None and action_id not in proposed:
        problems.append(
            f"{_column('action_id')}: action '{action_id}' was not proposed in the draft of {organisation_id} for round {round_id} (rows and ids come from the draft)"
        )
    elif action_id in seen:
        problems.append(f"{_column('action_id')}: action '{action_id}' appears twice")
    return problems


def _filled_in(
    row: dict, yes_no: dict[str, bool], statuses: dict[str, str]
) -> tuple[dict, list[str]]:
    """The columns the organisation fills in (adopted, owner, due date, status, note) as the
    values to store, and what is wrong with them (a wrong value becomes its default here: not
    adopted, no date, not started; ``import_plan`` stores nothing while there are problems)."""
    problems = []
    adopted = yes_no.get(_text(row.get("adopted")).lower())
    if adopted is None:
        problems.append(
            f"{_column('adopted')}: '{_text(row.get('adopted'))}' is not ja/nee (yes/no)"
        )
    status = _choice(row.get("status"), statuses) if _text(row.get("status")) else "not_started"
    if status is None:
        problems.append(
            f"{_column('status')}: '{_text(row.get('status'))}' is not one of {', '.join(t(f'plan.status.{s}') for s in STATUSES)}"
        )
    try:
        due = _due_date(row.get("due_date"))
    except ValueError as exc:
        problems.append(f"{_column('due_date')}: '{exc}' is not a date (expected YYYY-MM-DD)")
        due = None
    owner = _text(row.get("owner_name"))
    problems += store.row_problems(
        store.plan_action, {"owner_name": owner}, {"owner_name": _column("owner_name")}
    )
    return {
        "adopted": bool(adopted),
        "owner_name": owner or None,
        "due_date": due,
        "status": status or "not_started",
        "note": _text(row.get("note")) or None,
    }, problems


def _content_hash(actions: list[dict]) -> str:
    canonical = sorted(
        ({k: str(v) for k, v in a.items()} for a in actions), key=lambda a: a["action_id"]
    )
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def import_plan(
    engine: Engine,
    path: Path,
    round_id: str,
    organisation_id: str,
    known: Mapping[str, KnownAction],
) -> ImportResult:
    """Check a filled-in plan file and store it as the organisation's next plan version for
    ``round_id`` (see the module docstring); ``PlanError`` lists every problem, and nothing is
    stored then. A file equal to the latest version is not stored again."""
    store.get_round(engine, round_id)
    if organisation_id not in set(
        store.load_round_organisations(engine, round_id)["organisation_id"]
    ):
        raise PlanError([f"organisation '{organisation_id}' has no answers in round '{round_id}'"])
    path = Path(path)
    proposed = drafted_actions(engine, round_id, organisation_id)
    if not proposed:
        raise PlanError(
            [
                f"no draft plan of {organisation_id} for round {round_id} was made with this store; make it with `dwp-assess plan draft --round {round_id} --org {organisation_id}`"
            ]
        )
    actions, problems = check_rows(
        read_rows(path), organisation_id, round_id, known, path.name, proposed
    )
    if problems:
        raise PlanError(problems)
    return _store_version(engine, path, organisation_id, round_id, actions)


def _store_version(
    engine: Engine, path: Path, organisation_id: str, round_id: str, actions: list[dict]
) -> ImportResult:
    """Store checked ``actions`` read from ``path`` as the organisation's next plan version
    for the round, unless they equal its latest version (same content hash)."""
    digest = _content_hash(actions)
    with engine.begin() as conn:
        where = (store.plan.c.organisation_id == organisation_id, store.plan.c.round_id == round_id)
        latest = conn.execute(
            select(store.plan.c.version, store.plan.c.content_hash)
            .where(*where)
            .order_by(store.plan.c.version.desc())
            .limit(1)
        ).first()
        adopted = sum(a["adopted"] for a in actions)
        if latest is not None and latest.content_hash == digest:
            return ImportResult(latest.version, adopted, len(actions), unchanged=True)
        version = (latest.version if latest else 0) + 1
        plan_id = conn.execute(
            insert(store.plan).values(
                organisation_id=organisation_id,
                round_id=round_id,
                version=version,
                source_file=store.fit(path.name, store.plan.c.source_file),
                file_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                content_hash=digest,
                imported_at=datetime.now(UTC),
            )
        ).inserted_primary_key[0]
        conn.execute(insert(store.plan_action), [{**a, "plan_id": plan_id} for a in actions])
    return ImportResult(version, adopted, len(actions), unchanged=False)


def record_draft(engine: Engine, round_id: str, organisation_id: str, action_ids) -> None:
    """Remember the actions a draft proposed to an organisation for a round (every draft made
    counts, so a plan filled in on an earlier draft stays importable)."""
    drafted = drafted_actions(engine, round_id, organisation_id)
    new = [
        {
            "round_id": round_id,
            "organisation_id": organisation_id,
            "action_id": a,
            "drafted_at": datetime.now(UTC),
        }
        for a in dict.fromkeys(action_ids)
        if a not in drafted
    ]
    if new:
        with engine.begin() as conn:
            conn.execute(insert(store.plan_draft), new)


def drafted_actions(engine: Engine, round_id: str, organisation_id: str) -> set[str]:
    """The action ids the drafts of ``organisation_id`` for ``round_id`` proposed."""
    table = store.plan_draft
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.action_id).where(
                table.c.round_id == round_id, table.c.organisation_id == organisation_id
            )
        )
        return {r.action_id for r in rows}


# -- reading stored plans ------------------------------------------------------------------------


def _latest_plans(round_id: str, organisation_id: str | None = None):
    """The id and version of each organisation's latest plan for ``round_id``."""
    newest = (
        select(store.plan.c.organisation_id, func.max(store.plan.c.version).label("version"))
        .where(store.plan.c.round_id == round_id)
        .group_by(store.plan.c.organisation_id)
    )
    if organisation_id is not None:
        newest = newest.where(store.plan.c.organisation_id == organisation_id)
    newest = newest.subquery()
    return (
        select(store.plan.c.id, store.plan.c.organisation_id, store.plan.c.version)
        .join(
            newest,
            (store.plan.c.organisation_id == newest.c.organisation_id)
            & (store.plan.c.version == newest.c.version),
        )
        .where(store.plan.c.round_id == round_id)
    )


PLAN_COLUMNS = [
    "organisation_id",
    "plan_version",
    "action_id",
    "dimension_id",
    "action",
    "indicator",
    "adopted",
    "owner_name",
    "due_date",
    "status",
    "note",
]


def load_plans(
    engine: Engine, round_id: str, organisation_id: str | None = None, adopted_only: bool = False
) -> pd.DataFrame:
    """The actions of the latest plan of each organisation (or of one) for ``round_id``, with
    ``indicator`` as a list of item ids; ``adopted_only`` keeps the adopted actions."""
    latest = _latest_plans(round_id, organisation_id).subquery()
    query = (
        select(latest.c.organisation_id, latest.c.version.label("plan_version"), store.plan_action)
        .join(store.plan_action, store.plan_action.c.plan_id == latest.c.id)
        .order_by(latest.c.organisation_id, store.plan_action.c.action_id)
    )
    if adopted_only:
        query = query.where(store.plan_action.c.adopted.is_(True))
    frame = store.read_frame(engine, query)
    frame["indicator"] = frame["indicator"].map(json.loads)
    frame["adopted"] = frame["adopted"].astype(bool)
    return frame.reindex(columns=PLAN_COLUMNS)


def adopted_actions(engine: Engine, round_id: str) -> pd.DataFrame:
    """The adopted actions of every organisation's latest plan for ``round_id``."""
    return load_plans(engine, round_id, adopted_only=True)


def plan_versions(engine: Engine, round_id: str, organisation_id: str) -> pd.DataFrame:
    """Every stored version of an organisation's plan for a round: version, file, imported at."""
    query = (
        select(store.plan.c.version, store.plan.c.source_file, store.plan.c.imported_at)
        .where(store.plan.c.round_id == round_id, store.plan.c.organisation_id == organisation_id)
        .order_by(store.plan.c.version)
    )
    return store.read_frame(engine, query)


def plans_digest(engine: Engine, round_id: str) -> str:
    """A hash of which plan versions exist for a round: caches of the next round's analysis key on it."""
    query = (
        select(store.plan.c.organisation_id, store.plan.c.version, store.plan.c.content_hash)
        .where(store.plan.c.round_id == round_id)
        .order_by(store.plan.c.organisation_id, store.plan.c.version)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
