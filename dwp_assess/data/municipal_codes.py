"""CBS municipality codes per period: which codes exist in a round's year, and their successors.

Municipalities merge; their CBS code then ends and the new municipality gets a new one
(Heerhugowaard GM0398 and Langedijk GM0416 became Dijk en Waard GM1980 on 1 January 2022).
The store keeps the code per round (``round_organisation``), so a code that does not exist
in the round's period is a registry mistake worth a warning on import. The table of changed
codes is package data (``data/reference/cbs_municipal_codes.csv``, source in the README
beside it); a code not in the table is taken as unchanged.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date
from functools import cache

import pandas as pd

from dwp_assess.resources import packaged

TABLE = packaged("data", "reference", "cbs_municipal_codes.csv")
_YEAR = re.compile(r"^(\d{4})")


class MunicipalCodeWarning(UserWarning):
    """A CBS code that does not exist in the period of the round it is recorded for."""


@dataclass(frozen=True)
class CodeProblem:
    """Why ``code`` does not fit ``year``, with the code that does where the table knows it."""

    organisation_id: str
    code: str
    name: str
    year: int
    reason: str  # "ended" or "not_yet"
    successor_code: str | None
    changed_on: date

    def message(self) -> str:
        if self.reason == "not_yet":
            return (
                f"organisation '{self.organisation_id}': CBS code {self.code} ({self.name}) does "
                f"not exist yet in {self.year}; it starts on {self.changed_on.isoformat()}"
            )
        successor = (
            f"; use {self.successor_code} ({name_of(self.successor_code)})"
            if self.successor_code
            else ""
        )
        return (
            f"organisation '{self.organisation_id}': CBS code {self.code} ({self.name}) no longer "
            f"exists in {self.year}: it ended on {self.changed_on.isoformat()}{successor}"
        )


@cache
def code_table() -> pd.DataFrame:
    """The committed table: ``code, name, valid_from, valid_until, successor_code`` (dates or NaT)."""
    table = pd.read_csv(TABLE, dtype=str, keep_default_na=False)
    for column in ("valid_from", "valid_until"):
        table[column] = pd.to_datetime(table[column].replace("", None)).dt.date
    table["successor_code"] = table["successor_code"].replace("", None)
    return table.set_index("code")


def name_of(code: str | None) -> str:
    """The municipality's name for a code in the table, else the code itself."""
    table = code_table()
    return str(table.at[code, "name"]) if code in table.index else str(code)


def period_year(period: str) -> int | None:
    """The calendar year a round's period starts with (``2026-najaar`` → 2026), or ``None``."""
    found = _YEAR.match(str(period or "").strip())
    return int(found.group(1)) if found else None


def code_in(code: str, year: int) -> str:
    """The code that ``code`` stands for in ``year``: itself, or the code of the municipality it
    merged into (followed through later mergers)."""
    table = code_table()
    seen = set()
    while code in table.index and code not in seen:
        seen.add(code)
        row = table.loc[code]
        ended = row["valid_until"]
        if pd.isna(ended) or ended >= date(year, 1, 1) or row["successor_code"] is None:
            return code
        code = row["successor_code"]
    return code


def problem(organisation_id: str, code: str | None, year: int) -> CodeProblem | None:
    """A ``CodeProblem`` when ``code`` does not exist at any time in ``year``, else ``None``."""
    table = code_table()
    if not code or code not in table.index:
        return None
    row = table.loc[code]
    start, end = row["valid_from"], row["valid_until"]
    if pd.notna(end) and end < date(year, 1, 1):
        return CodeProblem(
            organisation_id, code, row["name"], year, "ended", code_in(code, year), end
        )
    if pd.notna(start) and start > date(year, 12, 31):
        return CodeProblem(organisation_id, code, row["name"], year, "not_yet", None, start)
    return None


def check_round_codes(organisations: pd.DataFrame, period: str) -> list[CodeProblem]:
    """The codes in ``organisations`` (``organisation_id, cbs_code``) that do not exist in the
    round's ``period``; nothing when the period names no year."""
    year = period_year(period)
    if year is None:
        return []
    found = (
        problem(org, code, year)
        for org, code in organisations[["organisation_id", "cbs_code"]].itertuples(index=False)
    )
    return [p for p in found if p is not None]


def warn_about(problems: list[CodeProblem], round_id: str) -> list[str]:
    """Issue a ``MunicipalCodeWarning`` per problem (shown on the command line) and return the
    messages, so that an import summary can list them too."""
    messages = [f"round '{round_id}': {p.message()}" for p in problems]
    for text in messages:
        warnings.warn(text, MunicipalCodeWarning, stacklevel=3)
    return messages
