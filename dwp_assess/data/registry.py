"""The registry: which organisations and teams take part, from CSV files.

Ids of organisations and teams become file names and parts of links, so they must
match ``ids.PATTERN`` (lowercase letters, digits, ``-`` and ``_``, at most 64
characters); ids that differ only in case, from another row or from a stored id, are
refused. Organisations carry their CBS code (``GM`` + 4 digits for municipalities,
``PV`` + 2 for provinces, ``WS`` + 4 for water boards, kind ``other``; optional), size
class, urbanisation class and (optional) province; codes change when municipalities merge, so they are data,
never the primary key. A file with problems is refused whole, every problem named with
its row; nothing is stored. Re-importing an updated file updates the store; nothing is
deleted.
Teams carry their number invited too. Collaborations (``collaborations.csv``: id, title,
issue, lead_organisation_id, members) are data-sharing projects of registered organisations:
``members`` is one cell listing the member organisations' ids separated by ``;`` (the lead
among them), at least two. Every value is checked against the store's column
lengths before anything is written, so SQLite and PostgreSQL accept the same files;
blank rows (a spreadsheet's trailing empty lines) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from sqlalchemy import Table
from sqlalchemy.engine import Engine

from dwp_assess import ids
from dwp_assess.data import municipal_codes, store
from dwp_assess.data.tables import TableFile, read_table

KINDS = ("gemeente", "provincie", "other")
CBS_CODES = {  # kind → the CBS code it may carry (the column is optional)
    "gemeente": (re.compile(r"GM[0-9]{4}"), "GM + 4 digits, e.g. GM0513"),
    "provincie": (re.compile(r"PV[0-9]{2}"), "PV + 2 digits, e.g. PV26"),
    "other": (re.compile(r"WS[0-9]{4}"), "empty, or WS + 4 digits for a water board, e.g. WS0155"),
}
ORGANISATION_COLUMNS = ("id", "name", "kind")
TEAM_COLUMNS = ("id", "organisation_id", "name")
COLLABORATION_COLUMNS = ("id", "title", "issue", "lead_organisation_id", "members")
MEMBER_SEPARATOR = ";"
MIN_MEMBERS = 2  # sharing data takes at least two parties


class RegistryError(ValueError):
    """A registry file has problems; ``problems`` lists each with its row."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


INVITED_MAX = 2**31 - 1  # the largest number an Integer column holds on every database


def _invited(value, line: int, problems: list[str]) -> int | None:
    """The number invited: blank (unknown) or a whole number from 0 to ``INVITED_MAX``."""
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        number = -1.0
    if not number.is_integer() or not 0 <= number <= INVITED_MAX:
        problems.append(f"row {line}: invited '{text[:20]}' is not a whole number of people")
        return None
    return int(number)


def _text(value) -> str | None:
    return None if pd.isna(value) or str(value).strip() == "" else str(value).strip()


def _require_columns(path: Path, df: pd.DataFrame, required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise RegistryError(
            path, [f"missing column(s) {', '.join(missing)}; found {', '.join(df.columns)}"]
        )


def _rows(table: TableFile) -> list[tuple[int, dict]]:
    """(row number in the file, cells) of every row that is not blank."""
    first = table.header_row + 1
    numbered = zip(
        range(first, len(table.frame) + first), table.frame.to_dict("records"), strict=True
    )
    return [
        (line, rec) for (line, rec), blank in zip(numbered, table.blank, strict=True) if not blank
    ]


def _fits(schema: Table, line: int, row: dict, problems: list[str]) -> None:
    """Every text value fits its column in the store (same outcome on every database)."""
    problems.extend(f"row {line}: {p}" for p in store.row_problems(schema, row))


def _raise(path: Path, problems: list[str], row_ids: list[tuple[int, str | None]]) -> None:
    """One error naming every problem in row order, and the id rule once at its end when
    an id does not match it."""
    if problems:
        problems = sorted(problems, key=lambda p: int(p.split(":")[0].removeprefix("row ")))
        rule = [ids.RULE] if any(not ids.is_valid(value) for _, value in row_ids) else []
        raise RegistryError(path, problems + rule)


def check_ids(rows: list[tuple[int, str | None]], stored: Iterable[str]) -> list[str]:
    """Problems of the ids in ``rows`` (row number, id): not matching the id pattern,
    repeated, or differing only in case from another row's or a stored id."""
    problems = []
    first: dict[str, int] = {}
    by_case = {ids.case_key(s): (s, "in the store") for s in stored}
    for line, value in rows:
        if value is None:
            problems.append(f"row {line}: id is empty")
            continue
        reason = ids.problem(value)
        if reason:
            problems.append(f"row {line}: id '{value}' {reason}")
        if value in first:
            problems.append(f"row {line}: duplicate id '{value}' (also in row {first[value]})")
            continue
        first[value] = line
        other, where = by_case.setdefault(ids.case_key(value), (value, f"in row {line}"))
        if other != value:
            problems.append(
                f"row {line}: id '{value}' differs only in case from '{other}' ({where})"
            )
    return problems


def _cbs_problem(code: str | None, kind: str) -> str | None:
    """Why ``code`` cannot be the CBS code of an organisation of ``kind``, or ``None``."""
    if not code or kind not in CBS_CODES:
        return None
    pattern, expected = CBS_CODES[kind]
    return (
        None
        if pattern.fullmatch(code)
        else f"cbs_code '{code}' is not valid for kind {kind}: expected {expected}"
    )


def _read_registry_file(path: Path, columns, stored: Iterable[str]) -> tuple[list, list, list[str]]:
    """A registry CSV's rows (line number, record) after checking its columns, the rows' ids
    as (line, id), and the id problems found so far (invalid, repeated, already stored)."""
    table = read_table(path, lambda cells: set(columns) <= set(cells))  # titles above passed over
    _require_columns(path, table.frame, columns)
    records = _rows(table)
    row_ids = [(line, _text(rec["id"])) for line, rec in records]
    return records, row_ids, check_ids(row_ids, stored)


def parse_organisations(path: Path, stored: Iterable[str] = ()) -> list[dict]:
    """Read and check an organisations CSV; raise ``RegistryError`` listing every problem.

    ``stored``: the organisation ids already in the store (an id differing from one of
    them only in case is refused).
    """
    records, row_ids, problems = _read_registry_file(path, ORGANISATION_COLUMNS, stored)
    rows = []
    for line, rec in records:
        kind = (_text(rec.get("kind")) or "").lower()
        code = (_text(rec.get("cbs_code")) or "").upper() or None
        if not _text(rec["name"]):
            problems.append(f"row {line}: name is empty")
        if kind not in KINDS:
            problems.append(f"row {line}: kind '{kind}' is not one of {', '.join(KINDS)}")
        if cbs := _cbs_problem(code, kind):
            problems.append(f"row {line}: {cbs}")
        row = {
            "id": _text(rec["id"]),
            "name": _text(rec["name"]),
            "kind": kind,
            "cbs_code": code,
            "size_class": _text(rec.get("size_class")),
            "urbanisation": _text(rec.get("urbanisation")),
            "invited": _invited(rec.get("invited"), line, problems),
            "province": _text(rec.get("province")),
        }
        _fits(store.organisation, line, row, problems)
        rows.append(row)
    _raise(path, problems, row_ids)
    return rows


def parse_teams(path: Path, organisation_ids: set[str], stored: Iterable[str] = ()) -> list[dict]:
    """Read and check a teams CSV against the known organisations and the stored team ids."""
    records, row_ids, problems = _read_registry_file(path, TEAM_COLUMNS, stored)
    rows = []
    for line, rec in records:
        org = _text(rec["organisation_id"])
        if org not in organisation_ids:
            problems.append(f"row {line}: unknown organisation_id '{org}'")
        if not _text(rec["name"]):
            problems.append(f"row {line}: name is empty")
        row = {
            "id": _text(rec["id"]),
            "organisation_id": org,
            "name": _text(rec["name"]),
            "invited": _invited(rec.get("invited"), line, problems),
        }
        _fits(store.team, line, row, problems)
        rows.append(row)
    _raise(path, problems, row_ids)
    return rows


def _members(cell, line: int, organisation_ids: set[str], problems: list[str]) -> list[str]:
    """The organisation ids of a ``members`` cell (``;``-separated, blanks and repeats
    ignored), each checked against the registry."""
    members = list(
        dict.fromkeys(m.strip() for m in (_text(cell) or "").split(MEMBER_SEPARATOR) if m.strip())
    )
    for member in members:
        if member not in organisation_ids:
            problems.append(f"row {line}: members: unknown organisation '{member[:64]}'")
    if len(members) < MIN_MEMBERS:
        problems.append(
            f"row {line}: members: {len(members)} organisation(s) given; a collaboration needs at least {MIN_MEMBERS}, separated by '{MEMBER_SEPARATOR}'"
        )
    return members


def parse_collaborations(
    path: Path, organisation_ids: set[str], stored: Iterable[str] = ()
) -> list[dict]:
    """Read and check a collaborations CSV against the known organisations and the stored
    collaboration ids: valid and unique ids, a title, members that are registered
    organisations (at least two), a lead that is one of them, text that fits the store."""
    records, row_ids, problems = _read_registry_file(path, COLLABORATION_COLUMNS, stored)
    rows = []
    for line, rec in records:
        lead = _text(rec["lead_organisation_id"])
        members = _members(rec["members"], line, organisation_ids, problems)
        if not _text(rec["title"]):
            problems.append(f"row {line}: title is empty")
        if lead is None:
            problems.append(f"row {line}: lead_organisation_id is empty")
        elif lead not in organisation_ids:
            problems.append(f"row {line}: lead_organisation_id: unknown organisation '{lead[:64]}'")
        elif lead not in members:
            problems.append(f"row {line}: lead_organisation_id '{lead}' is not one of the members")
        head = {
            "id": _text(rec["id"]),
            "title": _text(rec["title"]),
            "issue": _text(rec["issue"]),
            "lead_organisation_id": lead,
        }
        _fits(store.collaboration, line, head, problems)
        rows.append({**head, "members": members})
    _raise(path, problems, row_ids)
    return rows


def import_registry(
    engine: Engine,
    organisations_csv: Path,
    teams_csv: Path | None = None,
    round_id: str | None = None,
    collaborations_csv: Path | None = None,
) -> dict[str, int]:
    """Add or update organisations (and teams, and collaborations with their members) with the
    number invited; return how many rows changed. Every file is checked before anything is
    written.

    A round records each organisation's CBS code, size class and number invited (for
    response rates) from the registry when the organisation first answers in it
    (``store.ensure_round_organisations``). With ``round_id``, the round takes the file's
    values now for every organisation in the file (the registry changed after the round's
    first answers), with a ``MunicipalCodeWarning`` for a CBS code that does not exist in the
    round's period.
    """
    info = store.get_round(engine, round_id) if round_id is not None else None
    stored_orgs = set(store.organisations(engine)["id"])
    orgs = parse_organisations(Path(organisations_csv), stored_orgs)
    teams = []
    if teams_csv is not None:
        known = stored_orgs | {o["id"] for o in orgs}
        teams = parse_teams(Path(teams_csv), known, set(store.teams(engine)["id"]))
    collaborations = []
    if collaborations_csv is not None:
        known = stored_orgs | {o["id"] for o in orgs}
        stored_collaborations = set(store.collaborations(engine)["id"])
        collaborations = parse_collaborations(
            Path(collaborations_csv), known, stored_collaborations
        )
    changed = {
        "organisations": store.upsert_organisations(engine, orgs),
        "teams": 0,
        "collaborations": 0,
    }
    if teams:
        changed["teams"] = store.upsert_teams(engine, teams)
    if collaborations:
        changed["collaborations"] = store.upsert_collaborations(engine, collaborations)
    if info is not None:
        changed["round"] = store.refresh_round_organisations(
            engine, info.id, store.round_unit(info), [o["id"] for o in orgs]
        )
        recorded = store.load_round_organisations(engine, info.id)
        recorded = recorded[recorded["organisation_id"].isin({o["id"] for o in orgs})]
        municipal_codes.warn_about(
            municipal_codes.check_round_codes(recorded, info.period), info.id
        )
    return changed
