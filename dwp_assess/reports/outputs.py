"""The kinds of report output: for each, its report notebook and its round analysis.

An instrument's YAML names the unit its reports are about (``kind``: organisation, team or
collaboration) and what they are (``output``, see ``instruments.model``). This table is the
one place that maps an output to the code that makes it, so adding an instrument needs a
YAML file, and adding a kind of output a row here with its analysis and report template:
no module branches on an instrument's id.

A round analysis (``analyse``) is computed once per data snapshot and saved in the data
folder (``reports.run.cached_analysis``); every report of the round reads it back with
``load``. Besides its tables it answers two questions the run needs, as methods:
``report_units()`` (unit id → title, the reports to make) and ``receivers()`` (unit id →
the organisations that may receive its report, the first being the one it is listed under:
an organisation itself, a team's organisation, a collaboration's lead and then its members).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
from sqlalchemy.engine import Engine

from dwp_assess import resources
from dwp_assess.analysis.agreements import AgreementsAnalysis
from dwp_assess.analysis.agreements import analyse_round as analyse_agreements
from dwp_assess.analysis.collaboration import CollaborationAnalysis, analyse_collaboration_round
from dwp_assess.analysis.profiles import RoundAnalysis, analyse_round
from dwp_assess.analysis.typology import TYPOLOGY_FOLDER, round_typology
from dwp_assess.reports.plan_docx import write_document


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
    summary: bool = False  # also a management summary per unit (reports.summary)
    extras: Callable[[ReportAnalysis, Path], None] | None = None  # more saved beside the analysis
    # an editable document per unit and language beside the HTML: (job parameters, path)
    document: Callable[[dict, Path], object] | None = None
    document_suffix: str = ""  # its file's suffix, e.g. ".docx"


def _typology(analysis: RoundAnalysis, folder: Path) -> None:
    """The round's typology (``analysis.typology``), saved in ``typology/`` beside its analysis."""
    round_typology(analysis).save(folder / TYPOLOGY_FOLDER)


def _analyse_scored(engine: Engine, round_id: str, previous: str | None, min_group: int) -> RoundAnalysis:  # fmt: skip
    return analyse_round(engine, round_id, previous, min_group=min_group)


def _plan_document(parameters: dict, path: Path) -> Path:
    """The project plan's Word file (``reports.plan_docx``) for one collaboration and language."""
    return write_document(parameters["analysis_dir"], parameters["collaboration_id"], parameters["lang"], parameters["synthetic"], path,
                          parameters.get("sender"), parameters.get("contact", ""))  # fmt: skip


OUTPUTS: dict[str, OutputKind] = {
    "maturity-report": OutputKind(
        template=resources.NOTEBOOKS / "organisation_report.ipynb",
        analyse=_analyse_scored,
        tables=RoundAnalysis,
        summary=True,
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

# The notebook parameter that names the unit of a report, per unit kind.
UNIT_PARAMETERS = {"organisation": "organisation_id", "team": "team_id", "collaboration": "collaboration_id"}  # fmt: skip


def output_kind(output: str) -> OutputKind:
    """The row of ``OUTPUTS`` for an instrument's output; a clear error for one not built here."""
    try:
        return OUTPUTS[output]
    except KeyError:
        raise ValueError(f"no report is built for output '{output}' (known: {', '.join(OUTPUTS)})") from None  # fmt: skip
