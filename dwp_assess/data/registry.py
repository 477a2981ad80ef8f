"""The registry: which organisations and teams take part, from CSV files.

Organisations carry their CBS code (``GM`` + 4 digits for municipalities, ``PV``
+ 2 for provinces), size class, urbanisation class and the number of people
invited; teams their number invited. Codes change when municipalities merge, so
they are data, never the primary key. Re-importing an updated file updates the
store; nothing is deleted. Every value is checked against the store's column
lengths before anything is written, so SQLite and PostgreSQL accept the same files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from sqlalchemy import Table
from sqlalchemy.engine import Engine

from dwp_assess.data import store
from dwp_assess.data.tables import TableFile, read_table

KINDS = ("gemeente", "provincie", "other")
CBS_CODE = re.compile(r"^(GM\d{4}|PV\d{2})$")
ORGANISATION_COLUMNS = ("id", "name", "kind")
TEAM_COLUMNS = ("id", "organisation_id", "name")


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
    numbered = zip(range(2, len(table.frame) + 2), table.frame.to_dict("records"), strict=True)
    return [
        (line, rec) for (line, rec), blank in zip(numbered, table.blank, strict=True) if not blank
    ]


def _fits(schema: Table, line: int, row: dict, problems: list[str]) -> None:
    """Every text value fits its column in the store (same outcome on every database)."""
    problems.extend(f"row {line}: {p}" for p in store.row_problems(schema, row))


def _duplicates(df: pd.DataFrame) -> list[str]:
    dupes = df.loc[df["id"].duplicated(), "id"].tolist()
    return [f"duplicate id '{d}'" for d in dupes]


def parse_organisations(path: Path) -> list[dict]:
    """Read and check an organisations CSV; raise ``RegistryError`` listing every problem."""
    table = read_table(path)
    df = table.frame[~table.blank]
    _require_columns(path, df, ORGANISATION_COLUMNS)
    problems = _duplicates(df)
    rows = []
    for line, rec in _rows(table):
        kind = (_text(rec.get("kind")) or "").lower()
        code = _text(rec.get("cbs_code"))
        if not _text(rec["id"]) or not _text(rec["name"]):
            problems.append(f"row {line}: id and name are required")
        if kind not in KINDS:
            problems.append(f"row {line}: kind '{kind}' is not one of {', '.join(KINDS)}")
        if code and not CBS_CODE.match(code):
            problems.append(f"row {line}: cbs_code '{code}' is not GM#### or PV##")
        row = {
            "id": _text(rec["id"]),
            "name": _text(rec["name"]),
            "kind": kind,
            "cbs_code": code,
            "size_class": _text(rec.get("size_class")),
            "urbanisation": _text(rec.get("urbanisation")),
            "invited": _invited(rec.get("invited"), line, problems),
        }
        _fits(store.organisation, line, row, problems)
        rows.append(row)
    if problems:
        raise RegistryError(path, problems)
    return rows


def parse_teams(path: Path, organisation_ids: set[str]) -> list[dict]:
    """Read and check a teams CSV against the known organisations."""
    table = read_table(path)
    df = table.frame[~table.blank]
    _require_columns(path, df, TEAM_COLUMNS)
    problems = _duplicates(df)
    rows = []
    for line, rec in _rows(table):
        org = _text(rec["organisation_id"])
        if org not in organisation_ids:
            problems.append(f"row {line}: unknown organisation_id '{org}'")
        row = {
            "id": _text(rec["id"]),
            "organisation_id": org,
            "name": _text(rec["name"]),
            "invited": _invited(rec.get("invited"), line, problems),
        }
        _fits(store.team, line, row, problems)
        rows.append(row)
    if problems:
        raise RegistryError(path, problems)
    return rows


def import_registry(
    engine: Engine,
    organisations_csv: Path,
    teams_csv: Path | None = None,
    round_id: str | None = None,
) -> dict[str, int]:
    """Add or update organisations (and teams) with the number invited; return how many
    rows changed.

    A round records each organisation's CBS code, size class and number invited (for
    response rates) from the registry when the organisation first answers in it
    (``store.ensure_round_organisations``). With ``round_id``, the round takes the file's
    values now for every organisation in the file (the registry changed after the round's
    first answers).
    """
    info = store.get_round(engine, round_id) if round_id is not None else None
    orgs = parse_organisations(Path(organisations_csv))
    changed = {"organisations": store.upsert_organisations(engine, orgs), "teams": 0}
    if teams_csv is not None:
        known = set(store.organisations(engine)["id"])
        changed["teams"] = store.upsert_teams(engine, parse_teams(Path(teams_csv), known))
    if info is not None:
        ids = [o["id"] for o in orgs]
        changed["round"] = store.refresh_round_organisations(
            engine, info.id, store.round_unit(info), ids
        )
    return changed
