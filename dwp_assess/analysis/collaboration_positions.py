"""Project-plan drafts: where the parties of a collaboration stand on each point of a checklist.

An instrument with ``kind: collaboration`` and ``output: project-plan`` (e.g. the Checklist
Samen Data Delen) is answered by representatives of a collaboration's member organisations,
each for their own organisation. This module turns a round's answers into, per collaboration
and dimension (theme) and item (point):

- each party's position (``positions``): its representatives' answers combined into one;
- the point's state (``points``): settled, open or not applicable, and whether the parties
  disagree, with the reason;
- tasks (``tasks``): every open point with the party (or parties) that owns it;
- the parties' explanations (``notes``): the free-text answers that belong to an item (or a
  dimension), per organisation, never per respondent.

What differs between instruments is declared in the YAML, never decided on the instrument's id:
a *status* item is asked on a scale with ``settled: VALUE`` (that point means "geregeld", the
others open); any other item asks a *fact* the parties' answers should match on (the legal basis,
whether the definitions match). The rules, with examples, are in docs/scoring.md
("Project-plan draft"); every figure of the plan can be recomputed with ``analyse_answers``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from dwp_assess.analysis.table_files import RoundTables, round_meta
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import Instrument, Scale

DIVIDED = "divided"  # a fact an organisation's representatives answer differently
SETTLED, OPEN, NOT_APPLICABLE = "settled", "open", "not_applicable"
# Why the parties disagree on a point (message keys ``plan.reason.<reason>``).
SETTLED_OR_NOT = "settled_or_not"  # one party says settled, another open or does not know
APPLICABILITY = (
    "applicability"  # one party says it does not apply, another that it is open or settled
)
DIFFERENT_ANSWERS = "different_answers"  # parties give different answers to a fact
# Why a party owns a task (``plan.owner.<basis>``).
DISCUSSING, LEAD = "discussing", "lead"


@dataclass
class CollaborationAnalysis(RoundTables):
    """A collaboration round's analysis: what every project-plan draft of the round shows."""

    FORMAT = 1  # the saved layout: part of the analysis cache key (reports.cache)

    meta: dict
    organisations: pd.DataFrame  # organisation_id, name: every member of the round's collaborations
    collaborations: pd.DataFrame  # collaboration_id, title, issue, lead_organisation_id
    members: pd.DataFrame  # collaboration_id, organisation_id, respondents, counted, lead
    positions: pd.DataFrame  # collaboration_id, item_id, organisation_id, value, code
    points: (
        pd.DataFrame
    )  # collaboration_id, dimension_id, item_id, question, state, disagreement, reason, value, code
    tasks: pd.DataFrame  # collaboration_id, dimension_id, item_id, organisation_id, basis
    notes: pd.DataFrame  # collaboration_id, dimension_id, item_id, organisation_id, text

    def report_units(self) -> dict[str, str]:
        """Collaboration id → its title, for every collaboration with answers, in id order."""
        rows = self.collaborations.sort_values("collaboration_id")
        return {c: str(t) for c, t in zip(rows["collaboration_id"], rows["title"], strict=True)}

    def receivers(self) -> dict[str, list[str]]:
        """Collaboration → its member organisations, the lead first: only they receive its plan."""
        result = {}
        for collab, lead in zip(
            self.collaborations["collaboration_id"],
            self.collaborations["lead_organisation_id"],
            strict=True,
        ):
            members = sorted(
                self.members.loc[self.members["collaboration_id"] == collab, "organisation_id"]
            )
            result[collab] = [lead, *(m for m in members if m != lead)]
        return result


# -- one party's answer -------------------------------------------------------------------


def _answer(value, code) -> tuple[float | None, str | None]:
    return (None if pd.isna(value) else float(value)), (None if pd.isna(code) else str(code))


def combine_status(
    answers: list[tuple[float | None, str | None]],
) -> tuple[float | None, str | None]:
    """An organisation's status from its representatives' answers on a status scale: the least
    settled number given (a point is settled for an organisation only when all its
    representatives say so); without a number "weet ik niet" if anyone said so, else "niet van
    toepassing"; (None, None) when nobody answered."""
    numbers = [v for v, _ in answers if v is not None]
    if numbers:
        return min(numbers), None
    return _code_of(answers)


def combine_fact(answers: list[tuple[float | None, str | None]]) -> tuple[float | None, str | None]:
    """An organisation's answer to a fact: the value its representatives name, ``divided`` when
    they name different values (the organisation has no single answer); without a value as in
    ``combine_status``. A value named by one representative wins over a colleague's "weet ik niet"."""
    numbers = sorted({v for v, _ in answers if v is not None})
    if len(numbers) == 1:
        return numbers[0], None
    if numbers:
        return None, DIVIDED
    return _code_of(answers)


def _code_of(answers) -> tuple[None, str | None]:
    codes = {c for _, c in answers if c is not None}
    for code in ("dont_know", "not_applicable"):
        if code in codes:
            return None, code
    return None, None


# -- one point: state, disagreement, owners -----------------------------------------------------


@dataclass(frozen=True)
class Point:
    state: str  # settled / open / not_applicable
    disagreement: bool
    reason: str | None
    value: float | None = None  # the answer every party gives (a settled fact)
    code: str | None = None


def status_point(
    positions: list[tuple[float | None, str | None]], members: int, settled: int
) -> Point:
    """A status item's point over the parties' positions (one per answering member):
    settled when every member says ``settled``; not applicable when every member says so;
    else open. Parties disagree when one says settled and another has it open or does not know
    (``settled_or_not``), or one says it does not apply while another has it open or settled
    (``applicability``). Open among themselves ("in bespreking" beside "nog niet besproken") is
    no disagreement: both still have to settle it."""
    kinds = {_status_kind(v, c, settled) for v, c in positions}
    reason = None
    if SETTLED in kinds and kinds & {OPEN, "dont_know"}:
        reason = SETTLED_OR_NOT
    elif NOT_APPLICABLE in kinds and kinds & {OPEN, SETTLED}:
        reason = APPLICABILITY
    complete = len(positions) == members
    state = (
        SETTLED
        if complete and kinds == {SETTLED}
        else NOT_APPLICABLE
        if complete and kinds == {NOT_APPLICABLE}
        else OPEN
    )
    return Point(state, reason is not None, reason)


def _status_kind(value, code, settled: int) -> str:
    if value is not None:
        return SETTLED if value == settled else OPEN
    return code or "no_answer"


def fact_point(positions: list[tuple[float | None, str | None]], members: int) -> Point:
    """A fact item's point: the parties disagree when their answers differ (a value, another
    value, "weet ik niet", "niet van toepassing" and ``divided`` are all different answers);
    settled when every member names the same value; not applicable when every member says so."""
    answers = set(positions)
    disagreement = len(answers) > 1
    complete = len(positions) == members and not disagreement
    if complete and positions[0][0] is not None:
        return Point(SETTLED, False, None, positions[0][0], None)
    if complete and positions[0][1] == NOT_APPLICABLE:
        return Point(NOT_APPLICABLE, False, None, None, NOT_APPLICABLE)
    return Point(OPEN, disagreement, DIFFERENT_ANSWERS if disagreement else None)


def owners(
    point: Point,
    positions: dict[str, tuple[float | None, str | None]],
    lead: str,
    scale_min: int,
    settled: int | None,
) -> tuple[list[str], str]:
    """Who owns an open point, and why: on a point the parties disagree on, the lead (it
    convenes the discussion); else, on a status item, the parties that are furthest with it
    ("in bespreking": above the scale's lowest point, not settled); when nobody has started
    (or on a fact), the lead."""
    if not point.disagreement and settled is not None:
        started = {
            o: v for o, (v, _) in positions.items() if v is not None and scale_min < v < settled
        }
        if started:
            furthest = max(started.values())
            return sorted(o for o, v in started.items() if v == furthest), DISCUSSING
    return [lead], LEAD


# -- the round --------------------------------------------------------------------------------


def counted_respondents(answers: pd.DataFrame, instrument: Instrument) -> set[str]:
    """Respondents who answered (a value or a code) at least ``scoring.min_answered_share`` of
    the items: the others are left out of their organisation's position."""
    items = {i.id for i in instrument.items}
    given = answers[
        answers["item_id"].isin(items) & (answers["value"].notna() | answers["code"].notna())
    ]
    share = given.groupby("response_id")["item_id"].nunique() / len(items)
    return set(share[share >= instrument.scoring.min_answered_share].index)


# The columns of the tables ``analyse_answers`` builds row by row (also when a table is empty).
_COLUMNS = {
    "members": ["collaboration_id", "organisation_id", "respondents", "counted", "lead"],
    "positions": ["collaboration_id", "item_id", "organisation_id", "value", "code"],
    "points": [
        "collaboration_id",
        "dimension_id",
        "item_id",
        "question",
        "state",
        "disagreement",
        "reason",
        "value",
        "code",
    ],
    "tasks": ["collaboration_id", "dimension_id", "item_id", "organisation_id", "basis"],
}


def analyse_answers(
    answers: pd.DataFrame,
    responses: pd.DataFrame,
    instrument: Instrument,
    collaborations: pd.DataFrame,
    members: pd.DataFrame,
    names: dict[str, str],
    meta: dict,
) -> CollaborationAnalysis:
    """The analysis from frames: ``answers`` (store.load_answers), ``responses`` with
    response_id, organisation_id, collaboration_id (store.load_responses), the registry's
    ``collaborations`` (id, title, issue, lead_organisation_id) and ``members``
    (collaboration_id, organisation_id), organisation names. Only collaborations with
    responses are analysed."""
    counted = counted_respondents(answers, instrument)
    responses = responses[responses["collaboration_id"].notna()]
    answered = collaborations[collaborations["id"].isin(set(responses["collaboration_id"]))]
    rows = {table: [] for table in _COLUMNS}
    by_response = answers.merge(responses[["response_id", "collaboration_id"]], on="response_id")
    for collab in answered.itertuples(index=False):
        own = by_response[by_response["collaboration_id"] == collab.id]
        parties = sorted(members.loc[members["collaboration_id"] == collab.id, "organisation_id"])
        rows["members"] += _member_rows(collab, parties, responses, counted)
        own = own[own["response_id"].isin(counted)]
        for item in instrument.items:
            positions, point, tasks = _item_rows(
                collab, item.id, item.dimension, instrument.scale_of(item.id), own, parties
            )
            rows["positions"] += positions
            rows["points"].append(point)
            rows["tasks"] += tasks
    involved = sorted(
        set(members.loc[members["collaboration_id"].isin(answered["id"]), "organisation_id"])
    )
    return CollaborationAnalysis(
        meta=meta,
        organisations=pd.DataFrame(
            {"organisation_id": involved, "name": [str(names.get(o, o)) for o in involved]}
        ),
        collaborations=answered.rename(columns={"id": "collaboration_id"})[
            ["collaboration_id", "title", "issue", "lead_organisation_id"]
        ].reset_index(drop=True),
        **{table: _frame(rows[table], columns) for table, columns in _COLUMNS.items()},
        notes=_notes(by_response, responses, instrument),
    )


def _item_rows(
    collab, item_id: str, dimension_id: str, scale: Scale, own: pd.DataFrame, parties: list[str]
) -> tuple[list[dict], dict, list[dict]]:
    """One point of one collaboration, as rows of the analysis's tables: each party's position
    (``positions``), the point's state (one row of ``points``) and, when it is open, its owners
    (``tasks``). ``own`` holds the collaboration's counted answers; the item's scale decides
    whether it is a status item (it has ``settled``) or a fact."""
    status = scale.settled is not None
    positions = _positions(own[own["item_id"] == item_id], parties, status)
    listed = list(positions.values())
    point = (
        status_point(listed, len(parties), scale.settled)
        if status
        else fact_point(listed, len(parties))
    )
    chosen, basis = (
        owners(point, positions, collab.lead_organisation_id, scale.min, scale.settled)
        if point.state == OPEN
        else ([], None)
    )
    keys = {"collaboration_id": collab.id, "dimension_id": dimension_id, "item_id": item_id}
    return (
        [
            {
                "collaboration_id": collab.id,
                "item_id": item_id,
                "organisation_id": o,
                "value": v,
                "code": c,
            }
            for o, (v, c) in positions.items()
        ],
        {
            **keys,
            "question": "status" if status else "fact",
            "state": point.state,
            "disagreement": point.disagreement,
            "reason": point.reason,
            "value": point.value,
            "code": point.code,
        },
        [{**keys, "organisation_id": o, "basis": basis} for o in chosen],
    )


def _member_rows(
    collab, parties: list[str], responses: pd.DataFrame, counted: set[str]
) -> list[dict]:
    own = responses[responses["collaboration_id"] == collab.id]
    return [
        {
            "collaboration_id": collab.id,
            "organisation_id": o,
            "respondents": int((own["organisation_id"] == o).sum()),
            "counted": int(own.loc[own["organisation_id"] == o, "response_id"].isin(counted).sum()),
            "lead": o == collab.lead_organisation_id,
        }
        for o in parties
    ]


def _positions(rows: pd.DataFrame, parties: list[str], status: bool) -> dict[str, tuple]:
    """Each answering party's combined answer to one item (``combine_status``/``combine_fact``)."""
    combine = combine_status if status else combine_fact
    result = {}
    for organisation in parties:
        own = rows[rows["organisation_id"] == organisation]
        position = combine([_answer(v, c) for v, c in zip(own["value"], own["code"], strict=True)])
        if position != (None, None):
            result[organisation] = position
    return result


def _notes(answers: pd.DataFrame, responses: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """The free-text answers reports may show (``show_in_reports``) that belong to an item or a
    dimension, per organisation (in the order given, without who wrote them)."""
    rows = []
    for free in instrument.free_text:
        if not free.show_in_reports or (free.item is None and free.dimension is None):
            continue
        dimension = instrument.item_by_id[free.item].dimension if free.item else free.dimension
        given = answers[(answers["item_id"] == free.id) & answers["text"].notna()]
        for collab, org, text in zip(
            given["collaboration_id"], given["organisation_id"], given["text"], strict=True
        ):
            if str(text).strip():
                rows.append(
                    {
                        "collaboration_id": collab,
                        "dimension_id": dimension,
                        "item_id": free.item,
                        "organisation_id": org,
                        "text": str(text).strip(),
                    }
                )
    return _frame(rows, ["collaboration_id", "dimension_id", "item_id", "organisation_id", "text"])


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def analyse_collaboration_round(
    engine: Engine,
    round_id: str,
    previous_round_id: str | None = None,
    min_group: int | None = None,
) -> CollaborationAnalysis:
    """Load a collaboration round from the store and analyse it (see the module docstring).
    The previous round is not compared (a project plan is about one moment);
    ``min_group`` is recorded: the plan shows parties by name, by design, and no aggregate over
    other organisations."""
    info = store.get_round(engine, round_id)
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    names = store.organisations(engine).set_index("id")["name"].to_dict()
    meta = round_meta(engine, info, instrument, previous_round_id=None, min_group_size=min_group)
    return analyse_answers(
        store.load_answers(engine, round_id),
        store.load_responses(engine, round_id),
        instrument,
        store.collaborations(engine),
        store.collaboration_members(engine),
        names,
        meta,
    )
