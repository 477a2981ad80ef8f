"""The kinds of report output and of report unit: what each one makes and how.

An instrument's YAML names the unit its reports are about (``kind``: organisation, team or
collaboration) and what they are (``output``, see ``instruments.model``). This table is the
one place that maps an output to the code that makes it, so adding an instrument needs a
YAML file, and adding a kind of output a row here with its analysis and report template:
no module branches on an instrument's id.

A round analysis (``analyse``) is computed once per data snapshot and saved in the data
folder (``reports.cache.cached_analysis``); every report of the round reads it back with
``load``. Besides its tables it answers two questions the run needs, as methods:
``report_units()`` (unit id → title, the reports to make) and ``receivers()`` (unit id →
the organisations that may receive its report, the first being the one it is listed under:
an organisation itself, a team's organisation, a collaboration's lead and then its members).

``UNIT_KINDS`` does the same for the unit a report is about (organisation, team,
collaboration): the command-line option that names it, the registry it comes from and how its
ids relate to organisations. It builds on ``instruments.kinds.KINDS`` (one row per kind, with
the same keys), where the facts the layers below ask live, such as the unit's column, which is
also the notebook parameter that names it. Code that differs per kind of output or unit asks
these tables; it does not branch on ``kind ==`` or ``output ==``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
from sqlalchemy.engine import Engine

from dwp_assess import resources
from dwp_assess.analysis.collaboration_positions import (
    CollaborationAnalysis,
    analyse_collaboration_round,
)
from dwp_assess.analysis.profiles import RoundAnalysis, analyse_round
from dwp_assess.analysis.typology import TYPOLOGY_FOLDER, round_typology
from dwp_assess.analysis.workshop_agreements import AgreementsAnalysis
from dwp_assess.analysis.workshop_agreements import analyse_round as analyse_agreements
from dwp_assess.data import store
from dwp_assess.instruments.kinds import KINDS, InstrumentKind
from dwp_assess.reports.plan_docx import write_document
from dwp_assess.reports.summary import write_summary


class ReportAnalysis(Protocol):
    """What every output's round analysis offers the run."""

    FORMAT: int
    meta: dict
    organisations: pd.DataFrame  # the round's organisations: organisation_id, name, ...

    def save(self, folder: Path) -> Path: ...

    def report_units(self) -> dict[str, str]: ...

    def receivers(self) -> dict[str, list[str]]: ...


@dataclass(frozen=True)
class OutputKind:
    """How one kind of output is made."""

    template: Path  # the report notebook, run by papermill per unit and language
    analyse: Callable[
        [Engine, str, str | None, int], ReportAnalysis
    ]  # engine, round, previous, min group
    tables: type  # the analysis's class: ``load`` reads what it saved, ``FORMAT`` keys the cache
    # a management summary per unit and language beside the HTML: (job parameters, path)
    summary: Callable[[dict, Path], object] | None = None
    extras: Callable[[ReportAnalysis, Path], None] | None = None  # more saved beside the analysis
    # an editable document per unit and language beside the HTML: (job parameters, path)
    document: Callable[[dict, Path], object] | None = None
    document_suffix: str = ""  # its file's suffix, e.g. ".docx"


def _typology(analysis: RoundAnalysis, folder: Path) -> None:
    """The round's typology (``analysis.typology``), saved in ``typology/`` beside its analysis."""
    round_typology(analysis).save(folder / TYPOLOGY_FOLDER)


def _analyse_scored(
    engine: Engine, round_id: str, previous: str | None, min_group: int
) -> RoundAnalysis:
    return analyse_round(engine, round_id, previous, min_group=min_group)


def _management_summary(parameters: dict, path: Path) -> None:
    """The management summary (``reports.summary``) of one organisation and language."""
    colophon = {"sender": parameters.get("sender", ""), "contact": parameters.get("contact", "")}
    write_summary(
        parameters["analysis_dir"],
        parameters["organisation_id"],
        parameters["lang"],
        parameters["synthetic"],
        path,
        colophon,
    )


def _plan_document(parameters: dict, path: Path) -> Path:
    """The project plan's Word file (``reports.plan_docx``) for one collaboration and language."""
    return write_document(
        parameters["analysis_dir"],
        parameters["collaboration_id"],
        parameters["lang"],
        parameters["synthetic"],
        path,
        parameters.get("sender"),
        parameters.get("contact", ""),
    )


OUTPUTS: dict[str, OutputKind] = {
    "maturity-report": OutputKind(
        template=resources.NOTEBOOKS / "organisation_report.ipynb",
        analyse=_analyse_scored,
        tables=RoundAnalysis,
        summary=_management_summary,
        extras=_typology,
    ),
    "team-profile": OutputKind(
        template=resources.NOTEBOOKS / "team_report.ipynb",
        analyse=_analyse_scored,
        tables=RoundAnalysis,
    ),
    "agreements": OutputKind(
        template=resources.NOTEBOOKS / "agreements_report.ipynb",
        analyse=analyse_agreements,
        tables=AgreementsAnalysis,
    ),
    # a project-plan draft per collaboration (analysis.collaboration), HTML and a Word file
    "project-plan": OutputKind(
        template=resources.NOTEBOOKS / "collaboration_plan.ipynb",
        analyse=analyse_collaboration_round,
        tables=CollaborationAnalysis,
        document=_plan_document,
        document_suffix=".docx",
    ),
}


@dataclass(frozen=True)
class UnitKind:
    """What a report is about (an instrument's ``kind``): how its units are named and found."""

    kind: InstrumentKind  # the kind's row of ``instruments.kinds.KINDS``
    option: str  # the command-line option that names units (``--org``, ...)
    registry_file: str  # the registry file its ids come from
    registered: Callable[[Engine], pd.Series]  # its registered ids
    # (engine, ids of this kind) → the organisations they belong to, in order
    organisations_of: Callable[[Engine, list[str]], list[str]]
    # (engine, organisation ids) → the units of this kind that belong to them
    of_organisations: Callable[[Engine, list[str]], list[str]]
    title_parameter: str | None = None  # a notebook parameter given the unit's title

    @property
    def parameter(self) -> str:
        """The notebook parameter that names the unit: its column (``organisation_id``, ...)."""
        return self.kind.unit_column


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))


def _teams_organisations(engine: Engine, team_ids: list[str]) -> list[str]:
    """The organisations of the teams ``team_ids``."""
    return _unique(
        store.teams(engine).set_index("id").reindex(team_ids)["organisation_id"].dropna()
    )


def _organisations_teams(engine: Engine, organisation_ids: list[str]) -> list[str]:
    """The teams of the organisations ``organisation_ids``."""
    teams = store.teams(engine)
    return list(teams.loc[teams["organisation_id"].isin(organisation_ids), "id"])


def _collaborations_members(engine: Engine, collaboration_ids: list[str]) -> list[str]:
    """The member organisations of the collaborations ``collaboration_ids``."""
    members = store.collaboration_members(engine)
    return _unique(
        members.loc[members["collaboration_id"].isin(collaboration_ids), "organisation_id"]
    )


def _members_collaborations(engine: Engine, organisation_ids: list[str]) -> list[str]:
    """The collaborations the organisations ``organisation_ids`` are members of, sorted."""
    members = store.collaboration_members(engine)
    return sorted(
        set(members.loc[members["organisation_id"].isin(organisation_ids), "collaboration_id"])
    )


UNIT_KINDS: dict[str, UnitKind] = {
    "organisation": UnitKind(
        kind=KINDS["organisation"],
        option="--org",
        registry_file="organisations.csv",
        registered=lambda engine: store.organisations(engine)["id"],
        organisations_of=lambda _engine, ids: list(ids),
        of_organisations=lambda _engine, ids: list(ids),
    ),
    "team": UnitKind(
        kind=KINDS["team"],
        option="--team",
        registry_file="teams.csv",
        registered=lambda engine: store.teams(engine)["id"],
        organisations_of=_teams_organisations,
        of_organisations=_organisations_teams,
        title_parameter="team_name",
    ),
    "collaboration": UnitKind(
        kind=KINDS["collaboration"],
        option="--collab",
        registry_file="collaborations.csv",
        registered=lambda engine: store.collaborations(engine)["id"],
        organisations_of=_collaborations_members,
        of_organisations=_members_collaborations,
    ),
}

# The notebook parameter that names the unit of a report, per unit kind.
UNIT_PARAMETERS = {name: unit.parameter for name, unit in UNIT_KINDS.items()}


def output_kind(output: str) -> OutputKind:
    """The row of ``OUTPUTS`` for an instrument's output; a clear error for one not built here."""
    try:
        return OUTPUTS[output]
    except KeyError:
        raise ValueError(
            f"no report is built for output '{output}' (known: {', '.join(OUTPUTS)})"
        ) from None
