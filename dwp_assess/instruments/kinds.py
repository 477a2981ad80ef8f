"""The kinds of instrument: what an instrument's ``kind`` and ``output`` mean to the code.

An instrument's YAML names the unit its reports are about (``kind``: organisation, team or
collaboration) and what those reports are (``output``: maturity report, team profile, project
plan, agreements list). Forms, imports, exports, the sample, the analyses and the validation of
the file each ask something of them: does the form ask for a team, which column names the unit,
which sections must the file have. ``KINDS`` and ``OUTPUT_RULES`` are the one place those
answers live; ``Instrument.kind_spec`` and ``Instrument.output_rules`` reach the row of an
instrument. No module branches on ``kind ==`` or ``output ==`` (``tests/test_kinds.py`` scans
for it), so a new kind or output is one row here (and, for its reports, one row in
``reports/outputs.py``).

This module sits in the instruments layer, below data and analysis, so every layer can ask it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstrumentKind:
    """The unit an instrument's reports are about, and what that asks of forms and data."""

    # the response column (and report notebook parameter) that names a unit of this kind
    unit_column: str
    # the response field of a survey export that names the unit beside the organisation
    # (``team``, ``collaboration``): required on import; None when the organisation is the unit
    unit_field: str | None = None
    # respondents answer as members of one team of their organisation: the form, the XLSForm
    # and imports ask for the team; links, counts, invited numbers and analyses go per team
    in_teams: bool = False
    # respondents answer for their organisation within one collaboration: the form, the
    # XLSForm, imports and exports carry the collaboration; links go to each member
    in_collaborations: bool = False
    # the output of an instrument file of this kind that names none (None: the file must)
    default_output: str | None = None

    @property
    def organisation_is_unit(self) -> bool:
        """Reports are about the organisation itself: a round's units are the registry's
        organisations."""
        return self.unit_field is None


@dataclass(frozen=True)
class OutputRules:
    """What an output (``Instrument.output``) asks of its instrument file and its answers."""

    # dimension scores and maturity levels: every dimension needs rating items, the scoring at
    # least two levels
    scored: bool = False
    # its rating items' answers are averaged (scores, mean relevance and safeguarding), so their
    # scales share one range (``Instrument.scored_range``)
    averaged: bool = False
    # every dimension describes every maturity level
    level_descriptors: bool = False
    # level-choice items (the respondent picks the level description that fits) are allowed
    level_choices: bool = False
    # dimensions are competences: group_rule and dikw_stages, the scoring a coverage_threshold,
    # and items may name the DIKW stages they serve
    competences: bool = False
    # items may word the point as a task (``Item.task``), and a fact question must
    tasks: bool = False
    # foundations, public values and one relevance and one safeguarding item per value; the
    # facilitator's live view of a team's answers (``collect/session.py``) shows them
    public_values: bool = False
    # the block of recommendation rules its reports' advice comes from (``InstrumentRules``'s
    # ``actions`` or ``team``); None: its reports give no advice from rules
    advice: str | None = None


KINDS: dict[str, InstrumentKind] = {
    "organisation": InstrumentKind(
        unit_column="organisation_id",
        default_output="maturity-report",
    ),
    "team": InstrumentKind(
        unit_column="team_id",
        unit_field="team",
        in_teams=True,
        default_output="team-profile",
    ),
    "collaboration": InstrumentKind(
        unit_column="collaboration_id",
        unit_field="collaboration",
        in_collaborations=True,
    ),
}

OUTPUT_RULES: dict[str, OutputRules] = {
    "maturity-report": OutputRules(
        scored=True,
        averaged=True,
        level_descriptors=True,
        level_choices=True,
        advice="actions",
    ),
    "team-profile": OutputRules(scored=True, averaged=True, competences=True, advice="team"),
    "project-plan": OutputRules(tasks=True),
    "agreements": OutputRules(averaged=True, public_values=True),
}
