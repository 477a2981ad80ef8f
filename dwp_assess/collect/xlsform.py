"""An instrument as an XLSForm: the form standard of KoboToolbox and ODK.

Large or long-running rounds are better run in a survey tool than with one Voilà
kernel per respondent (see ``docs/collect.md``). ``write_xlsform`` writes the
instrument as an XLSForm workbook (sheets ``survey``, ``choices``, ``settings``);
the tool's export of the answers imports back with ``dwp-assess import`` (format
``kobo``, ``docs/import-formats.md``), because the question names are the item ids
and the choice names are the scale values and codes the importer reads. Open questions
that belong to an item or a dimension stand right after it, inside its group (the
importer reads a column by its last name part); an item's tip is its ``hint``.

Texts come from the instrument in every language it has (``label::Nederlands (nl)``,
``label::English (en)``); the only texts added here are the labels of the
organisation, team and collaboration questions, from the message catalogue.
A collaboration instrument first asks the collaboration (``collaboration_id``), then the
organisation among its members only (a ``choice_filter`` on the organisations' column
``collaborations``, which lists the collaborations each takes part in).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.engine import Engine

from dwp_assess import ids
from dwp_assess.collect.questionnaire import closing_questions
from dwp_assess.data import store
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument

LANGUAGE_NAMES = {"nl": "Nederlands (nl)", "en": "English (en)"}
SURVEY_COLUMNS = ["type", "name", "required", "choice_filter", "appearance"]


def _labels(instrument: Instrument, text_of, column: str = "label") -> dict[str, str]:
    """``label::<language>`` (or another column, e.g. ``hint``) → text for every language of
    the instrument."""
    return {f"{column}::{LANGUAGE_NAMES[lang]}": text_of(lang) for lang in instrument.languages}


def _open_question(instrument: Instrument, field) -> dict:
    return {
        "type": "text",
        "name": field.id,
        "appearance": "multiline",
        **_labels(instrument, field.text.get),
    }


def group_name(dimension_id: str) -> str:
    """The XLSForm group of a dimension; Kobo prefixes exported columns with it."""
    return f"dimension_{dimension_id}"


def form_id(instrument: Instrument) -> str:
    return f"{instrument.id.replace('-', '_')}_v{instrument.version}"


# The organisations a collaboration's form offers: those whose space-padded list of
# collaborations contains the chosen one.
MEMBER_FILTER = "contains(collaborations, concat(' ', ${collaboration_id}, ' '))"


def collaboration_row(instrument: Instrument, collaborations=()) -> dict:
    """The collaboration question: a choice among the registry's collaborations, or a text
    question for the registry id without them."""
    kind = "select_one collaboration" if len(collaborations) else "text"
    return {
        "type": kind,
        "name": "collaboration_id",
        "required": "yes",
        **_labels(instrument, lambda lang: t("form.collaboration_question", lang)),
    }


def survey_rows(
    instrument: Instrument, organisations=(), teams=(), collaborations=()
) -> list[dict]:
    """The rows of the ``survey`` sheet, in order.

    ``organisations``, ``teams`` and ``collaborations`` (registry rows) turn the organisation,
    team and collaboration questions into choice lists; without them they are text questions
    for the registry id.
    """
    rows: list[dict] = [{"type": "start", "name": "start"}, {"type": "end", "name": "end"}]
    rows.append(
        {"type": "note", "name": "introduction", **_labels(instrument, instrument.introduction.get)}
    )
    rows.append({"type": "note", "name": "privacy", **_labels(instrument, instrument.privacy.get)})
    kind = instrument.kind_spec
    if kind.in_collaborations:
        rows.append(collaboration_row(instrument, collaborations))
    org_type = "select_one organisation" if len(organisations) else "text"
    org_row = {
        "type": org_type,
        "name": "organisation_id",
        "required": "yes",
        **_labels(instrument, lambda lang: t("form.organisation_question", lang)),
    }
    if kind.in_collaborations and len(organisations) and len(collaborations):
        org_row["choice_filter"] = MEMBER_FILTER
    rows.append(org_row)
    if kind.in_teams:
        team_row = {
            "type": "select_one team" if len(teams) else "text",
            "name": "team_id",
            "required": "yes",
            **_labels(instrument, lambda lang: t("form.team_label", lang)),
        }
        if len(teams):
            team_row["choice_filter"] = "organisation=${organisation_id}"
        rows.append(team_row)
    for field in instrument.respondent_fields:
        kind = f"select_one {field.id}" if field.choices else "text"
        rows.append(
            {
                "type": kind,
                "name": field.id,
                "required": "yes" if field.required else "",
                **_labels(instrument, field.label.get),
            }
        )
    number = 0
    for dim in instrument.dimensions:
        rows.append(
            {
                "type": "begin_group",
                "name": group_name(dim.id),
                **_labels(instrument, dim.label.get),
            }
        )
        for item in instrument.items_of(dim.id):
            number += 1
            row = {
                "type": f"select_one {item.scale}",
                "name": item.id,
                "required": "yes",
                **_labels(instrument, lambda lang, i=item, n=number: f"{n}. {i.text.get(lang)}"),
            }
            rows.append(row | (_labels(instrument, item.tip.get, "hint") if item.tip else {}))
            rows += [
                _open_question(instrument, f) for f in instrument.free_text if f.item == item.id
            ]
        rows += [
            _open_question(instrument, f) for f in instrument.free_text if f.dimension == dim.id
        ]
        rows.append({"type": "end_group", "name": ""})
    rows += [_open_question(instrument, f) for f in closing_questions(instrument)]
    return rows


def choice_rows(
    instrument: Instrument, organisations=(), teams=(), collaborations=()
) -> list[dict]:
    """The rows of the ``choices`` sheet: scales (values and special codes), respondent
    fields, and the registry's organisations and teams (and, for a collaboration instrument,
    its collaborations: (id, title, member ids), the organisations marked with theirs)."""
    rows: list[dict] = []
    for scale in instrument.scales:
        for point in scale.points:
            rows.append(
                {
                    "list_name": scale.id,
                    "name": str(point.value),
                    **_labels(instrument, point.label.get),
                }
            )
        for option in scale.special:
            rows.append(
                {
                    "list_name": scale.id,
                    "name": option.code,
                    **_labels(instrument, option.label.get),
                }
            )
    for field in instrument.respondent_fields:
        for choice in field.choices:
            rows.append(
                {
                    "list_name": field.id,
                    "name": choice.code,
                    **_labels(instrument, choice.label.get),
                }
            )
    joined = {o: [c for c, _, members in collaborations if o in members] for o, _ in organisations}
    for org_id, name in organisations:
        row = {
            "list_name": "organisation",
            "name": org_id,
            **_labels(instrument, lambda _l, n=name: n),
        }
        if instrument.kind_spec.in_collaborations:
            row["collaborations"] = f" {' '.join(joined[org_id])} "
        rows.append(row)
    if instrument.kind_spec.in_collaborations:
        for collab_id, title, _ in collaborations:
            rows.append(
                {
                    "list_name": "collaboration",
                    "name": collab_id,
                    **_labels(instrument, lambda _l, n=title: n),
                }
            )
    for team_id, org_id, name in teams:
        rows.append(
            {
                "list_name": "team",
                "name": team_id,
                "organisation": org_id,
                **_labels(instrument, lambda _l, n=name: n),
            }
        )
    return rows


def _sheet(workbook: Workbook, title: str, rows: list[dict], first: list[str]) -> None:
    sheet = workbook.create_sheet(title)
    columns = list(first)
    for row in rows:
        columns += [c for c in row if c not in columns]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])


def registry_choices(engine: Engine | None) -> tuple[list, list]:
    """(organisations, teams) of the registry as choice tuples; empty without a store."""
    if engine is None:
        return [], []
    orgs = store.organisations(engine)
    teams = store.teams(engine)
    return (
        list(zip(orgs["id"], orgs["name"], strict=True)),
        list(zip(teams["id"], teams["organisation_id"], teams["name"], strict=True)),
    )


def collaboration_choices(engine: Engine | None) -> list[tuple[str, str, set[str]]]:
    """(id, title, member ids) of the registry's collaborations; empty without a store."""
    if engine is None:
        return []
    members = store.collaboration_members(engine).groupby("collaboration_id")["organisation_id"]
    by_id = {c: set(orgs) for c, orgs in members}
    collabs = store.collaborations(engine)
    return [
        (c, title, by_id.get(c, set()))
        for c, title in zip(collabs["id"], collabs["title"], strict=True)
    ]


def write_xlsform(
    instrument: Instrument, path: str | Path | None = None, engine: Engine | None = None
) -> Path:
    """Write ``instrument`` as an XLSForm workbook; organisations and teams come from the
    store's registry when ``engine`` is given. Returns the path written."""
    path = (
        Path(path) if path else ids.output_path(Path.cwd(), instrument.key, suffix=".xlsform.xlsx")
    )
    organisations, teams = registry_choices(engine)
    collaborations = collaboration_choices(engine)
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(
        workbook,
        "survey",
        survey_rows(instrument, organisations, teams, collaborations),
        SURVEY_COLUMNS,
    )
    _sheet(
        workbook,
        "choices",
        choice_rows(instrument, organisations, teams, collaborations),
        ["list_name", "name"],
    )
    settings = {
        "form_title": instrument.title.nl,
        "form_id": form_id(instrument),
        "version": f"{instrument.version}.{instrument.content_hash[:8]}",
        "default_language": LANGUAGE_NAMES["nl"],
    }
    _sheet(workbook, "settings", [settings], list(settings))
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
