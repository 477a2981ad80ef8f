"""Which units a run reports on: ``--org`` / ``--team`` / ``--collab`` checked against the
round's unit kind (``outputs.UNIT_KINDS``) and the registry before anything is made."""

from __future__ import annotations

import difflib

from sqlalchemy.engine import Engine

from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.reports.outputs import UNIT_KINDS


class UnitError(ValueError):
    """``--org`` / ``--team`` / ``--collab`` name units that have no report in the round."""


def choose_units(
    engine: Engine,
    round_id: str,
    organisations: list[str] | None = None,
    teams: list[str] | None = None,
    collaborations: list[str] | None = None,
) -> list[str] | None:
    """The organisations, teams or collaborations (by the round's unit) to report on, ``None``
    for all; checked before anything is made: the option must fit the round's unit, and every
    id must be registered and have answers in the round, else ``UnitError`` naming the ids
    (with the nearest registered id for a typo)."""
    info = store.get_round(engine, round_id)
    kind = get_instrument(info.instrument_id, info.instrument_version).kind
    given = {"organisation": organisations, "team": teams, "collaboration": collaborations}
    wrong = {k: list(v) for k, v in given.items() if v and k != kind}
    if wrong:
        raise UnitError(_wrong_option(engine, round_id, info.instrument_id, kind, wrong))
    if not given[kind]:
        return None
    named = list(dict.fromkeys(given[kind]))
    _check_registered(engine, kind, named)
    _check_answered(engine, round_id, kind, named)
    return named


def _check_registered(engine: Engine, kind: str, named: list[str]) -> None:
    """Every id of ``named`` is in the registry of ``kind``, else ``UnitError`` with the nearest
    registered id of each one that is not."""
    unit = UNIT_KINDS[kind]
    registered = list(unit.registered(engine))
    unknown = [u for u in named if u not in registered]
    if unknown:
        guesses = {u: difflib.get_close_matches(u, registered, n=1) for u in unknown}
        listed = ", ".join(
            f"'{u}'" + (f" (did you mean '{g[0]}'?)" if g else "") for u, g in guesses.items()
        )
        raise UnitError(
            f"unknown {kind} id(s) {listed}; nothing was made (ids as in the registry's {unit.registry_file})"
        )


def _check_answered(engine: Engine, round_id: str, kind: str, named: list[str]) -> None:
    """Every id of ``named`` has answers in the round, else ``UnitError`` naming those without."""
    answered = set(store.load_responses(engine, round_id)[UNIT_KINDS[kind].parameter].dropna())
    silent = [u for u in named if u not in answered]
    if silent:
        raise UnitError(
            f"no answers in round '{round_id}' from {kind}(s) {', '.join(silent)}; nothing was made"
        )


def _wrong_option(
    engine: Engine, round_id: str, instrument_id: str, kind: str, wrong: dict[str, list[str]]
) -> str:
    """The error for naming units of another kind than the round's (``--org`` on a team round,
    ``--collab`` on an organisation round, ...), with the right option for the units meant."""
    option = UNIT_KINDS[kind].option
    used = ", ".join(UNIT_KINDS[k].option for k in wrong)
    message = f"round '{round_id}' ({instrument_id}) has a report per {kind}: name {kind}s with {option}, not {used}"
    meant = list(
        dict.fromkeys(u for k, ids_ in wrong.items() for u in _units_of(engine, k, ids_, kind))
    )
    hint = ", ".join(f"{option} {u}" for u in meant)
    return message + (f" (e.g. {hint})" if hint else "")


def _units_of(engine: Engine, given_kind: str, given: list[str], kind: str) -> list[str]:
    """The units of ``kind`` that the ids of ``given_kind`` point to: an organisation's teams
    or collaborations, a team's organisation, a collaboration's members."""
    organisations = UNIT_KINDS[given_kind].organisations_of(engine, given)
    return UNIT_KINDS[kind].of_organisations(engine, organisations)
