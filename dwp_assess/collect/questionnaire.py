"""The questionnaire's logic, without widgets and without HTML: context from a link,
validation, the stored record, the respondent's own scores and the facilitator's count.

Both ways of showing the form use these functions: the web form served by
``dwp-assess collect`` (``web.py``, ``page.py``: no kernel per respondent) and the
ipywidgets form of ``notebooks/collect.ipynb`` (``forms.py``). What they show is made by
``rendering.py`` from the templates in ``templates/``; nothing here builds HTML or imports
widgets, and pandas is imported only when a respondent's own result is computed.

Why the response id is made when the form starts: a double click, a retry after a
failed write or two connections racing must not store a second response. With one id per
form and an idempotent insert (``store.store_response``) every repeat is harmless.

Every text a respondent reads comes from the instrument or from the message catalogue
(keys ``form.*`` and ``collect.*``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from sqlalchemy.engine import Engine

from dwp_assess import ids
from dwp_assess.collect import collaboration_member
from dwp_assess.collect.errors import FormError
from dwp_assess.data import store
from dwp_assess.data.formats import pseudonym
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t, t_count
from dwp_assess.instruments.model import FreeText, Instrument, Item
from dwp_assess.locale import LANGUAGES

if TYPE_CHECKING:
    import pandas as pd

SOURCE = "form"
ROUND_ENV = "DWP_COLLECT_ROUND"  # set by ``dwp-assess collect``: the round a bare link opens
COUNT_REFRESH_SECONDS = 10
QUERY_NAMES = {
    "round": "round_id",
    "organisation": "organisation_id",
    "org": "organisation_id",
    "team": "team_id",
    "lang": "lang",
    "view": "view",
    "draft": "draft_id",
    "collaboration": "collaboration_id",
    "samenwerking": "collaboration_id",
}


@dataclass(frozen=True)
class FormContext:
    """Everything the form needs to know besides the answers: round, instrument, who, language."""

    instrument: Instrument
    round_id: str
    organisation_id: str
    organisation_name: str
    team_id: str | None
    teams: tuple[tuple[str, str], ...]  # (id, name) of the organisation's teams
    lang: str = "nl"
    collaboration_id: str | None = (
        None  # collaboration instruments (collect/collaboration_member.py)
    )

    @property
    def needs_team(self) -> bool:
        """Team instruments need a team; when the link names none, the respondent chooses."""
        return self.instrument.kind_spec.in_teams

    def team_name(self, team_id: str | None) -> str | None:
        return dict(self.teams).get(team_id) if team_id else None

    def language_link(self, lang: str, draft_id: str) -> str:
        """The query of this form in ``lang``: the same round, organisation, team and
        collaboration, with the draft, so the answers so far come along."""
        query = {"round": self.round_id, "organisation": self.organisation_id}
        query |= {"team": self.team_id} if self.team_id else {}
        query |= {"collaboration": self.collaboration_id} if self.collaboration_id else {}
        return "?" + urlencode(query | {"draft": draft_id, "lang": lang})


# -- parameters and context ----------------------------------------------------------


def parameters_from_query(query: str | None, defaults: dict) -> dict:
    """Notebook parameters overridden by the page's URL query (``?round=…&organisation=…``).

    Voilà passes the query string to the kernel as ``QUERY_STRING``; unknown names are
    ignored, empty values keep the default.
    """
    params = dict(defaults)
    for name, values in parse_qs(query or "").items():
        key = QUERY_NAMES.get(name.lower())
        if key and values and values[0].strip():
            params[key] = values[0].strip()
    return params


_parsed: dict[tuple[str, int], Instrument] = {}


def round_instrument(info: store.RoundInfo) -> Instrument:
    """The round's instrument, parsed once per process (parsing every instrument file takes
    about 0.1 s, once per page would be most of a page's cost); parsed again when the
    kept one no longer has the round's content hash (its file changed)."""
    key = (info.instrument_id, info.instrument_version)
    kept = _parsed.get(key)
    if kept is None or kept.content_hash != info.instrument_hash:
        kept = _parsed[key] = get_instrument(*key)
    return kept


def resolve_context(
    engine: Engine,
    round_id: str,
    organisation_id: str | None,
    team_id: str | None = None,
    lang: str = "nl",
    collaboration_id: str | None = None,
) -> FormContext:
    """Check the round, organisation, team, collaboration and language a link names; raise
    ``FormError`` (``collaboration_member.ChooseMember`` when a collaboration's link names no
    organisation). Ids that do not match ``ids.PATTERN`` are refused as unknown before any lookup."""
    if lang not in LANGUAGES:
        raise FormError("form.error.unknown_language", language=lang)
    info = store.get_round(engine, round_id, missing_ok=True) if ids.is_valid(round_id) else None
    if info is None:
        raise FormError("form.error.unknown_round", round=round_id)
    if info.closed_at is not None:
        raise FormError("form.error.round_closed", round=round_id)
    instrument = round_instrument(info)
    if instrument.content_hash != info.instrument_hash:
        raise FormError("form.error.instrument_changed", round=round_id)
    collaboration_id = collaboration_member.check(
        engine, instrument, collaboration_id, organisation_id
    )
    if not organisation_id:
        raise FormError("form.error.missing_organisation")
    orgs = store.organisations(engine).set_index("id")
    if not ids.is_valid(organisation_id) or organisation_id not in orgs.index:
        raise FormError("form.error.unknown_organisation", organisation=organisation_id)
    name = str(orgs.loc[organisation_id, "name"])
    all_teams = store.teams(engine)
    own = all_teams[all_teams["organisation_id"] == organisation_id]
    teams = tuple(zip(own["id"], own["name"], strict=True))
    if team_id and (not ids.is_valid(team_id) or team_id not in dict(teams)):
        raise FormError("form.error.unknown_team", team=team_id, organisation=name)
    if instrument.kind_spec.in_teams and not teams:
        raise FormError("form.error.no_teams", organisation=name)
    return FormContext(
        instrument, round_id, organisation_id, name, team_id or None, teams, lang, collaboration_id
    )


# -- answers, validation and the stored record ----------------------------------------


def option_pairs(instrument: Instrument, item_id: str, lang: str) -> list[tuple[str, str]]:
    """(label, key) per answer option of an item: scale points, then "weet ik niet"/"n.v.t."
    where the scale allows them. Keys are the value as text or the special code."""
    scale = instrument.scale_of(item_id)
    points = [(p.label.get(lang), str(p.value)) for p in scale.points]
    return points + [(s.label.get(lang), s.code) for s in scale.special]


def item_numbers(instrument: Instrument) -> dict[str, int]:
    """Item id → the question number shown on the form (1, 2, … across all parts)."""
    return {item.id: n for n, item in enumerate(instrument.items, start=1)}


def dimension_texts(instrument: Instrument, dim, lang: str) -> list[str]:
    """The paragraphs above a part's statements, the same in every form: the dimension's
    description, how to answer, and which no-opinion answers its scale offers."""
    texts = [dim.description.get(lang)] if dim.description else []
    texts.append(t("form.page_items", lang))
    special = instrument.scale_of(instrument.items_of(dim.id)[0].id).special
    if special:
        options = f'" {t("form.or", lang)} "'.join(s.label.get(lang) for s in special)
        texts.append(t("form.page_special", lang, options=options))
    return texts


def item_labels(instrument: Instrument, dim, lang: str) -> list[tuple]:
    """(item, "12. statement") for the statements of a part, numbered across the form."""
    numbers = item_numbers(instrument)
    return [
        (item, f"{t('form.item_number', lang, n=numbers[item.id])}. {item.text.get(lang)}")
        for item in instrument.items_of(dim.id)
    ]


@dataclass(frozen=True)
class PartEntry:
    """One entry of a part, in form order: a statement (``item``, with its numbered ``label``
    and the instrument's ``tip`` for it), an open question (``text``), or a ``heading``
    above the statements that ask about one public value."""

    label: str
    item: Item | None = None
    tip: str | None = None
    text: FreeText | None = None
    heading: bool = False


def part_entries(instrument: Instrument, dim, lang: str) -> list[PartEntry]:
    """The questions of a dimension's part: each statement with its tip, followed by the open
    questions that belong to it (``FreeText.item``); then the part's own open questions
    (``FreeText.dimension``), e.g. "what will we agree on" after a principle's values.
    Statements about a public value (``Item.public_value``) get the value's name above them,
    once, so that its questions (relevance, safeguarding) read as one group."""
    values = {v.id: v for v in instrument.public_values}
    entries, current = [], None
    for item, label in item_labels(instrument, dim, lang):
        if item.public_value in values and item.public_value != current:
            entries.append(PartEntry(values[item.public_value].label.get(lang), heading=True))
        current = item.public_value
        entries.append(PartEntry(label, item=item, tip=item.tip.get(lang) if item.tip else None))
        entries += [
            PartEntry(f.text.get(lang), text=f) for f in instrument.free_text if f.item == item.id
        ]
    entries += [
        PartEntry(f.text.get(lang), text=f) for f in instrument.free_text if f.dimension == dim.id
    ]
    return entries


def closing_questions(instrument: Instrument) -> list[FreeText]:
    """The open questions after all parts: those that belong to no item or dimension."""
    return [f for f in instrument.free_text if f.item is None and f.dimension is None]


def missing_items(instrument: Instrument, answers: dict, item_ids=None) -> list[str]:
    """Items (of ``item_ids``, default all) without an answer; "weet ik niet" counts as one."""
    wanted = item_ids if item_ids is not None else [i.id for i in instrument.items]
    return [i for i in wanted if not answers.get(i)]


def _numbers(instrument: Instrument, ids: list[str]) -> str:
    numbers = item_numbers(instrument)
    return ", ".join(str(numbers[i]) for i in ids)


def missing_message(
    ctx: FormContext,
    missing: list[str],
    role_missing: bool = False,
    team_missing: bool = False,
    per_part: bool = False,
) -> str:
    """One line naming everything still missing (role, team, question numbers); empty when
    nothing is. ``per_part`` groups the questions by dimension (used on submit)."""
    lang, instrument = ctx.lang, ctx.instrument
    parts = []
    if team_missing:
        parts.append(t("form.missing_team", lang))
    if role_missing:
        parts.append(t("form.missing_role", lang))
    if missing and per_part:
        for dim in instrument.dimensions:
            ids = [i for i in missing if instrument.item_by_id[i].dimension == dim.id]
            if ids:
                parts.append(
                    t(
                        "form.missing_part",
                        lang,
                        part=dim.label.get(lang),
                        numbers=_numbers(instrument, ids),
                    )
                )
    elif missing:
        parts.append(t("form.missing_items", lang, numbers=_numbers(instrument, missing)))
    if not parts:
        return ""
    hint = f" {t('form.missing_hint', lang)}" if missing else ""
    return f"{t('form.missing_intro', lang)} {'; '.join(parts)}.{hint}"


def _one_of(value: object, allowed) -> str | None:
    """``value`` when it is one of the texts ``allowed``, else None (a list, a number, …)."""
    return value if isinstance(value, str) and value in allowed else None


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def clean_state(ctx: FormContext, state: dict) -> dict:
    """A form's state as a browser sent it, reduced to what the form offers: answers of the
    instrument's items with one of their options, a role of the role question, a team of
    the organisation (when the link names none), open answers of its fields (at most
    10,000 characters) and a part number of the form. Anything else is dropped."""
    ins = ctx.instrument
    answers = _mapping(state.get("answers"))
    options = {item.id: {k for _, k in option_pairs(ins, item.id, ctx.lang)} for item in ins.items}
    role_field = next((f for f in ins.respondent_fields if f.id == "role"), None)
    roles = {c.code for c in role_field.choices} if role_field else set()
    choosing_team = ctx.needs_team and not ctx.team_id
    texts = {f.id: _mapping(state.get("texts")).get(f.id) for f in ins.free_text}
    page = state.get("page")
    parts = len(ins.dimensions) + 2
    return {
        "answers": {i: answers[i] for i in options if _one_of(answers.get(i), options[i])},
        "role": _one_of(state.get("role"), roles),
        "team": _one_of(state.get("team"), dict(ctx.teams)) if choosing_team else None,
        "texts": {k: v[:10_000] for k, v in texts.items() if isinstance(v, str) and v},
        "page": page if type(page) is int and 0 <= page < parts else 0,
    }


def _role_missing(ctx: FormContext, state: dict) -> bool:
    field = next((f for f in ctx.instrument.respondent_fields if f.id == "role"), None)
    return bool(field and field.required and not state.get("role"))


def _team_missing(ctx: FormContext, state: dict) -> bool:
    return ctx.needs_team and not (ctx.team_id or state.get("team"))


def part_problems(ctx: FormContext, state: dict, part: int) -> str:
    """What is missing on part ``part`` of a (cleaned) state: the introduction's team and
    role, a dimension's questions; the closing part's questions are optional."""
    dims = ctx.instrument.dimensions
    if part == 0:
        return missing_message(ctx, [], _role_missing(ctx, state), _team_missing(ctx, state))
    if part > len(dims):
        return ""
    ids = [i.id for i in ctx.instrument.items_of(dims[part - 1].id)]
    return missing_message(ctx, missing_items(ctx.instrument, state["answers"], ids))


def form_problems(ctx: FormContext, state: dict) -> str:
    """Everything missing in the whole form, grouped per part (empty when complete)."""
    missing = missing_items(ctx.instrument, state["answers"])
    return missing_message(
        ctx, missing, _role_missing(ctx, state), _team_missing(ctx, state), per_part=True
    )


def record_of_state(ctx: FormContext, response_id: str, state: dict) -> store.ResponseRecord:
    """The record of a complete (cleaned) state."""
    team_id = ctx.team_id or state.get("team")
    return build_record(
        ctx, response_id, state["answers"], state.get("role"), team_id, state["texts"]
    )


def new_response_id() -> str:
    """A fresh, unguessable response id, made once when the form starts (its 32 hex digits
    are also the id of the form's draft)."""
    return f"{SOURCE}:{uuid.uuid4().hex}"


def receipt_code(response_id: str) -> str:
    """The short code the respondent keeps: the first 8 hex digits of the id (``7F3A-91C2``).

    Researchers find the response with ``response_id LIKE 'form:7f3a91c2%'``.
    """
    digits = response_id.rsplit(":", 1)[-1][:8].upper()
    return f"{digits[:4]}-{digits[4:]}"


def build_record(
    ctx: FormContext,
    response_id: str,
    answers: dict[str, str | None],
    role: str | None,
    team_id: str | None,
    texts: dict[str, str] | None = None,
    submitted_at: datetime | None = None,
) -> store.ResponseRecord:
    """The response as the store keeps it: values as numbers, "weet ik niet"/"n.v.t." as codes,
    non-empty free texts as text answers; the respondent is a pseudonym of the response id."""
    rows = []
    for item in ctx.instrument.items:
        key = answers.get(item.id)
        if not key:
            continue
        if key in ctx.instrument.scale_of(item.id).special_codes():
            rows.append(store.AnswerRecord(item.id, code=key))
        else:
            rows.append(store.AnswerRecord(item.id, value=float(key)))
    for field in ctx.instrument.free_text:
        text = (texts or {}).get(field.id, "").strip()
        if text:
            rows.append(store.AnswerRecord(field.id, text=text[:10_000]))
    return store.ResponseRecord(
        response_id=response_id,
        round_id=ctx.round_id,
        respondent_id=pseudonym(ctx.round_id, SOURCE, response_id),
        organisation_id=ctx.organisation_id,
        team_id=team_id,
        role=role,
        source=SOURCE,
        submitted_at=submitted_at or datetime.now(UTC),
        answers=tuple(rows),
        collaboration_id=ctx.collaboration_id,
    )


def own_scores(ctx: FormContext, record: store.ResponseRecord) -> pd.DataFrame:
    """The respondent's own score and level per dimension, by the same rules as the reports.

    Columns: dimension_id, label, score, level, level_label. pandas and the scoring are
    imported here, not with the module: only a sent form shows a result.
    """
    import pandas as pd

    from dwp_assess.analysis.scoring import score_round

    answers = pd.DataFrame(
        [
            {
                "response_id": record.response_id,
                "item_id": a.item_id,
                "value": a.value,
                "code": a.code,
            }
            for a in record.answers
            if a.text is None
        ],
        columns=["response_id", "item_id", "value", "code"],
    )
    answers["value"] = answers["value"].astype(float)
    scores = score_round(answers, ctx.instrument)[["dimension_id", "score", "level"]]
    labels = {d.id: d.label.get(ctx.lang) for d in ctx.instrument.dimensions}
    level_labels = {lv.level: lv.label.get(ctx.lang) for lv in ctx.instrument.scoring.levels}
    scores.insert(1, "label", scores["dimension_id"].map(labels))
    scores["level_label"] = scores["level"].map(
        lambda v: level_labels.get(v) if present(v) else None
    )
    return scores.reset_index(drop=True)


def present(value: object) -> bool:
    """Not missing: neither None, NaN nor pandas' NA (a score or level without enough
    answers), tested without importing pandas."""
    if value is None:
        return False
    try:
        return bool(value == value)  # NaN is the one value not equal to itself
    except TypeError:  # pandas.NA: "boolean value of NA is ambiguous"
        return False


def result_intro(instrument: Instrument, lang: str) -> str:
    """What the scores mean, naming only the "no opinion" options the instrument offers
    (the competences scale has "weet ik niet" but no "niet van toepassing")."""
    low, high = instrument.scored_range
    text = t("form.result_intro", lang, min=low, max=high)
    used = {instrument.scale_of(item.id).id for item in instrument.items}
    labels = {
        s.code: s.label.get(lang) for sc in instrument.scales if sc.id in used for s in sc.special
    }
    if not labels:
        return text
    options = f" {t('form.and', lang)} ".join(f'"{label}"' for label in labels.values())
    return f"{text} {t_count('form.result_not_counted', len(labels), lang, options=options)}"


# -- facilitator: completed questionnaires per team ---------------------------------------


@dataclass(frozen=True)
class CountRow:
    """One row of the facilitator's count: a team (or the organisation) and its responses."""

    organisation: str
    team_id: str | None
    team: str | None
    responses: int
    invited: int | None


def count_rows(engine: Engine, round_id: str, organisation_id: str | None) -> list[CountRow]:
    """Completed questionnaires per registered team of the organisation (``None``: every
    organisation), 0 for a team without responses yet, so the facilitator sees every team
    from the start. Organisation instruments count per organisation; responses without a
    registered team get a row of their own. Counts only, never answers."""
    team_instrument = round_instrument(store.get_round(engine, round_id)).kind_spec.in_teams
    orgs = store.organisations(engine)
    if organisation_id is not None:
        orgs = orgs[orgs["id"] == organisation_id]
    counts = store.response_counts_by_team(engine, round_id, organisation_id)
    counted = {
        (r.organisation_id, r.team_id if isinstance(r.team_id, str) else None): int(r.responses)
        for r in counts.itertuples()
    }
    teams = store.teams(engine)
    rows = []
    for org in orgs.itertuples():
        if not team_instrument:
            total = sum(n for (o, _), n in counted.items() if o == org.id)
            rows.append(CountRow(org.name, None, None, total, None))
            continue
        for team in teams[teams["organisation_id"] == org.id].itertuples():
            invited = int(team.invited) if present(team.invited) else None
            rows.append(
                CountRow(org.name, team.id, team.name, counted.pop((org.id, team.id), 0), invited)
            )
        rows += [
            CountRow(org.name, tid, None, n, None) for (o, tid), n in counted.items() if o == org.id
        ]
    return rows


def count_heading(engine: Engine, round_id: str, organisation_id: str | None, lang: str) -> str:
    """The count page's heading: the round, and the organisation when the link names one."""
    if organisation_id is None:
        return t("collect.count_heading", lang, round=round_id)
    name = store.organisations(engine).set_index("id")["name"].get(organisation_id, organisation_id)
    return t("collect.count_heading_organisation", lang, organisation=name, round=round_id)
