"""One home for what an instrument's kind and output mean (``dwp_assess.instruments.kinds``).

A scan of the package and its notebooks for a branch on an instrument's kind or output
(``kind == "team"``, ``output != "agreements"``, a dict of kinds looked up by ``.kind``), the
report tables (``reports.outputs``) kept to the same kinds and outputs, and made-up kinds added
as one row of ``KINDS``: forms, the XLSForm, the import template, the import of a survey file
and the export treat them by that row's facts, and the instrument format accepts them.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dwp_assess.analysis.recommend import InstrumentRules
from dwp_assess.collect import xlsform
from dwp_assess.collect.questionnaire import FormContext
from dwp_assess.data import export, formats, import_templates
from dwp_assess.data.tables import FileProblem, read_table
from dwp_assess.instruments import kinds
from dwp_assess.instruments.kinds import KINDS, OUTPUT_RULES, InstrumentKind
from dwp_assess.instruments.loading import QUESTIONNAIRE_DIR
from dwp_assess.reports.outputs import OUTPUTS, UNIT_KINDS
from tests.package_code import package_sources

PACKAGE = Path(kinds.__file__).resolve().parent.parent
HOME = Path(kinds.__file__).resolve()
NAMES = set(KINDS) | set(OUTPUT_RULES)  # the words a branch on a kind or output compares with
KIND_WORDS = {"kind", "output", "unit"}  # what such a branch names the instrument's kind by

# -- no branch on a kind or output ---------------------------------------------------------------


def _sources() -> list[tuple[str, str]]:
    """Every Python module of the package (but the kinds module) and every notebook's code."""
    return package_sources(HOME)


def _names_kind(node: ast.AST) -> bool:
    """``instrument.kind``, ``self.output``, ``kind``, ``unit``: an instrument's kind or output."""
    if isinstance(node, ast.Attribute):
        return node.attr in {"kind", "output"}
    return isinstance(node, ast.Name) and node.id in KIND_WORDS


def _is_kind_literal(node: ast.AST) -> bool:
    """A string naming a kind or output, or a tuple, list or set of them."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_kind_literal(e) for e in node.elts)
    return isinstance(node, ast.Constant) and node.value in NAMES


def _is_kind_dict(node: ast.AST) -> bool:
    return isinstance(node, ast.Dict) and any(
        k is not None and _is_kind_literal(k) for k in node.keys
    )


def kind_branches(source: str) -> list[int]:
    """Lines of ``source`` that branch on an instrument's kind or output by name: a comparison
    with a kind or output, a ``match`` on one, or a dict of them looked up by one."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(map(_names_kind, operands)) and any(map(_is_kind_literal, operands)):
                found.append(node.lineno)
        elif isinstance(node, ast.Match) and _names_kind(node.subject):
            found.append(node.lineno)
        elif isinstance(node, ast.Subscript) and _is_kind_dict(node.value):
            found += [node.lineno] if _names_kind(node.slice) else []
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            looked_up = node.func.attr == "get" and _is_kind_dict(node.func.value)
            found += [node.lineno] if looked_up and node.args and _names_kind(node.args[0]) else []
    return found


def test_the_scan_finds_each_way_of_branching_on_a_kind():
    source = "\n".join(
        [
            'if instrument.kind == "team": pass',
            'if self.output != "agreements": pass',
            'x = ins.kind in ("organisation", "collaboration")',
            'x = unit == "team"',
            'x = {"team": "team_id"}.get(instrument.kind)',
            'x = {"team": 1, "organisation": 2}[kind]',
            'match instrument.kind:\n    case "team": pass',
            'if found.kind == "person": pass',  # an invitation's kind: not an instrument's
            'if part == "organisation": pass',  # a part of a rules file
            "if r.kind == kind: pass",  # a filter by a given kind, no branch on one
        ]
    )
    assert sorted(kind_branches(source)) == [1, 2, 3, 4, 5, 6, 7]


def test_no_module_or_notebook_branches_on_an_instrument_kind_or_output():
    """Code that differs per kind or output asks ``instrument.kind_spec`` or
    ``instrument.output_rules``: a new ``kind ==`` branch cannot appear."""
    problems = [f"{where}:{line}" for where, source in _sources() for line in kind_branches(source)]
    assert not problems, (
        "branches on an instrument's kind or output by name (ask instrument.kind_spec or "
        f"instrument.output_rules, dwp_assess/instruments/kinds.py): {problems}"
    )


# -- one set of kinds and outputs ---------------------------------------------------------------


def test_the_report_tables_have_the_kinds_and_outputs_of_the_instrument_tables():
    assert set(UNIT_KINDS) == set(KINDS)
    assert set(OUTPUTS) == set(OUTPUT_RULES)
    for name, unit in UNIT_KINDS.items():
        assert unit.kind is KINDS[name] and unit.parameter == KINDS[name].unit_column


def test_every_fact_names_something_that_exists():
    """Default outputs are outputs, unit columns and fields are response fields of every
    import format, advice names a block of recommendation rules."""
    for name, kind in KINDS.items():
        assert kind.default_output in (None, *OUTPUT_RULES), name
        assert kind.unit_column in formats.FIELD_COLUMNS, name
        assert kind.unit_field in (None, *formats.FIELDS), name
        assert kind.organisation_is_unit == (kind.unit_field is None)
    rule_fields = {f.name for f in dataclasses.fields(InstrumentRules)}
    for name, rules in OUTPUT_RULES.items():
        assert rules.advice in (None, *rule_fields), name
        assert not rules.scored or rules.averaged, f"{name}: scores average their items"


def test_every_instrument_file_reaches_its_rows(data_strategy, competences):
    assert data_strategy.kind_spec is KINDS["organisation"]
    assert data_strategy.output_rules is OUTPUT_RULES["maturity-report"]
    assert competences.kind_spec is KINDS["team"] and competences.output_rules.competences


# -- a made-up kind is one row ------------------------------------------------------------------

DEPARTMENT = InstrumentKind(  # respondents answer per team of their organisation
    unit_column="team_id", unit_field="team", in_teams=True, default_output="team-profile"
)
CONSORTIUM = InstrumentKind(  # respondents answer for their organisation within a collaboration
    unit_column="collaboration_id", unit_field="collaboration", in_collaborations=True
)
COUNCIL = InstrumentKind(unit_column="organisation_id")  # the organisation is the unit


@pytest.fixture
def made_up(monkeypatch, competences, data_strategy):
    """Instruments of three made-up kinds, each added as one row of ``KINDS`` (and nowhere else)."""
    rows = {"department": DEPARTMENT, "consortium": CONSORTIUM, "council": COUNCIL}
    for name, row in rows.items():
        monkeypatch.setitem(KINDS, name, row)
    return {
        "department": competences.model_copy(update={"kind": "department"}),
        "consortium": competences.model_copy(update={"kind": "consortium"}),
        "council": data_strategy.model_copy(update={"kind": "council"}),
    }


def _form(instrument):
    return FormContext(instrument, "r-2026", "org-a", "Gemeente A", None, (("team-a", "A"),))


def _asked(instrument) -> set[str]:
    return {row["name"] for row in xlsform.survey_rows(instrument)}


def test_a_made_up_kind_in_teams_asks_for_the_team_everywhere(made_up, tmp_path):
    department = made_up["department"]
    assert department.kind_spec is DEPARTMENT
    assert _form(department).needs_team
    assert {"organisation_id", "team_id"} <= _asked(department)
    assert "collaboration_id" not in _asked(department)
    columns = import_templates.field_columns(department)
    assert "team_id" in columns and "collaboration_id" not in columns
    assert export.unit_columns(department) == []
    path = tmp_path / "no-team.csv"
    path.write_text("response_id,organisation_id,role\nr1,org-a,staff\n", encoding="utf-8")
    with pytest.raises(FileProblem, match="missing column team_id: .* department questionnaire"):
        formats.template(read_table(path), department, "r-2026")


def test_a_made_up_kind_in_collaborations_carries_the_collaboration(made_up):
    consortium = made_up["consortium"]
    assert not _form(consortium).needs_team
    assert "collaboration_id" in _asked(consortium) and "team_id" not in _asked(consortium)
    columns = import_templates.field_columns(consortium)
    assert "collaboration_id" in columns and "team_id" not in columns
    assert export.unit_columns(consortium) == ["collaboration_id"]


def test_a_made_up_kind_of_organisations_asks_for_neither(made_up):
    council = made_up["council"]
    assert council.kind_spec.organisation_is_unit and not _form(council).needs_team
    assert not {"team_id", "collaboration_id"} & _asked(council)
    columns = import_templates.field_columns(council)
    assert "organisation_id" in columns and not {"team_id", "collaboration_id"} & set(columns)
    assert export.unit_columns(council) == []


NEW_KIND_SCRIPT = """
import json, sys, yaml
from dwp_assess.instruments import kinds
kinds.KINDS["department"] = kinds.InstrumentKind(
    unit_column="team_id", unit_field="team", in_teams=True, default_output="team-profile"
)
from dwp_assess.instruments.loading import json_schema
from dwp_assess.instruments.model import Instrument
raw = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
raw["kind"] = "department"
del raw["output"]
instrument = Instrument.model_validate(raw)
print(json.dumps([instrument.output, json_schema()["properties"]["kind"]["enum"]]))
"""


def test_the_instrument_format_takes_a_new_kind_from_its_row():
    """A kind added to ``KINDS`` (before the format is built) is a valid ``kind`` of an
    instrument file, listed in its JSON schema, and gives a file without ``output`` its
    default output."""
    competences = QUESTIONNAIRE_DIR / "competences-v1.yaml"
    assert "output" in yaml.safe_load(competences.read_text(encoding="utf-8"))
    done = subprocess.run(
        [sys.executable, "-c", NEW_KIND_SCRIPT, str(competences)],
        capture_output=True,
        text=True,
        check=True,
    )
    output, kinds_listed = json.loads(done.stdout)
    assert output == "team-profile"
    assert kinds_listed == [*KINDS, "department"]
