"""The registry: which organisations and teams take part, from CSV files.

Organisations carry their CBS code (``GM`` + 4 digits for municipalities, ``PV``
+ 2 for provinces), size class and urbanisation class; codes change when
municipalities merge, so they are data, never the primary key. Re-importing an
updated file updates the store; nothing is deleted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from dwp_assess.data import store
from dwp_assess.data.tables import read_table

KINDS = ("gemeente", "provincie", "other")
CBS_CODE = re.compile(r"^(GM\d{4}|PV\d{2})$")
ORGANISATION_COLUMNS = ("id", "name", "kind")
TEAM_COLUMNS = ("id", "organisation_id", "name")


class RegistryError(ValueError):
    """A registry file has problems; ``problems`` lists each with its row."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def _optional_int(value) -> int | None:
    return None if pd.isna(value) or str(value).strip() == "" else int(float(value))


def _text(value) -> str | None:
    return None if pd.isna(value) or str(value).strip() == "" else str(value).strip()


def _require_columns(path: Path, df: pd.DataFrame, required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise RegistryError(
            path, [f"missing column(s) {', '.join(missing)}; found {', '.join(df.columns)}"]
        )


def _duplicates(df: pd.DataFrame) -> list[str]:
    dupes = df.loc[df["id"].duplicated(), "id"].tolist()
    return [f"duplicate id '{d}'" for d in dupes]


def parse_organisations(path: Path) -> list[dict]:
    """Read and check an organisations CSV; raise ``RegistryError`` listing every problem."""
    df = read_table(path).frame
    _require_columns(path, df, ORGANISATION_COLUMNS)
    problems = _duplicates(df)
    rows = []
    for line, rec in zip(range(2, len(df) + 2), df.to_dict("records"), strict=True):
        kind = (_text(rec.get("kind")) or "").lower()
        code = _text(rec.get("cbs_code"))
        if not _text(rec["id"]) or not _text(rec["name"]):
            problems.append(f"row {line}: id and name are required")
        if kind not in KINDS:
            problems.append(f"row {line}: kind '{kind}' is not one of {', '.join(KINDS)}")
        if code and not CBS_CODE.match(code):
            problems.append(f"row {line}: cbs_code '{code}' is not GM#### or PV##")
        rows.append(
            {
                "id": _text(rec["id"]),
                "name": _text(rec["name"]),
                "kind": kind,
                "cbs_code": code,
                "size_class": _text(rec.get("size_class")),
                "urbanisation": _text(rec.get("urbanisation")),
                "invited": _optional_int(rec.get("invited")),
            }
        )
    if problems:
        raise RegistryError(path, problems)
    return rows


def parse_teams(path: Path, organisation_ids: set[str]) -> list[dict]:
    """Read and check a teams CSV against the known organisations."""
    df = read_table(path).frame
    _require_columns(path, df, TEAM_COLUMNS)
    problems = _duplicates(df)
    rows = []
    for line, rec in zip(range(2, len(df) + 2), df.to_dict("records"), strict=True):
        org = _text(rec["organisation_id"])
        if org not in organisation_ids:
            problems.append(f"row {line}: unknown organisation_id '{org}'")
        rows.append(
            {
                "id": _text(rec["id"]),
                "organisation_id": org,
                "name": _text(rec["name"]),
                "invited": _optional_int(rec.get("invited")),
            }
        )
    if problems:
        raise RegistryError(path, problems)
    return rows


def import_registry(
    engine: Engine,
    organisations_csv: Path,
    teams_csv: Path | None = None,
    round_id: str | None = None,
) -> dict[str, int]:
    """Add or update organisations (and teams); return how many rows changed.

    With ``round_id``, also record for that round each organisation's CBS code,
    size class and the number of people invited (for response rates).
    """
    orgs = parse_organisations(Path(organisations_csv))
    org_rows = [{k: v for k, v in o.items() if k != "invited"} for o in orgs]
    changed = {"organisations": store.upsert_organisations(engine, org_rows), "teams": 0}
    if teams_csv is not None:
        known = set(store.organisations(engine)["id"])
        changed["teams"] = store.upsert_teams(engine, parse_teams(Path(teams_csv), known))
    if round_id is not None:
        store.get_round(engine, round_id)
        snapshot = [
            {k: o[k] for k in ("cbs_code", "size_class", "invited")} | {"organisation_id": o["id"]}
            for o in orgs
        ]
        store.set_round_organisations(engine, round_id, snapshot)
    return changed
