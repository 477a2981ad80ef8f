"""The project's import template for an instrument, as CSV and as XLSX with instructions.

The template is the format ``dwp-assess import`` reads most directly: one row per
response, one column per item id (``docs/import-formats.md``). The XLSX version
adds a sheet that explains every column and offers the allowed answers as
drop-down lists, so a team can fill it in by hand after a paper session.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dwp_assess import ids
from dwp_assess.data.cells import safe_xlsx_row
from dwp_assess.data.formats import FIELD_COLUMNS
from dwp_assess.instruments.kinds import KINDS
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument


def field_columns(instrument: Instrument) -> list[str]:
    """The response fields of the template: the column of a unit beside the organisation
    (``kinds.KINDS``) only for its own kind: ``team_id`` only for a team questionnaire,
    ``collaboration_id`` only for a collaboration questionnaire."""
    own = instrument.kind_spec.unit_column
    others = {kind.unit_column for kind in KINDS.values() if kind.unit_field} - {own}
    return [c for c in FIELD_COLUMNS if c not in others]


def template_columns(instrument: Instrument) -> list[str]:
    """The template's header: response fields, item ids, free-text ids."""
    items = [i.id for i in instrument.items] + [f.id for f in instrument.free_text]
    return field_columns(instrument) + items


def allowed_answers(instrument: Instrument, item_id: str) -> list[str]:
    """Values a cell may hold: numbers, then the Dutch labels of the special options."""
    scale = instrument.scale_of(item_id)
    return [str(p.value) for p in scale.points] + [s.label.nl.lower() for s in scale.special]


def _explanations(instrument: Instrument) -> list[tuple[str, str, str]]:
    rows = [(c, t(f"template.field.{c}"), "") for c in field_columns(instrument)]
    for item in instrument.items:
        scale = instrument.scale_of(item.id)
        labels = "; ".join(f"{p.value} = {p.label.nl}" for p in scale.points)
        specials = "; ".join(s.label.nl for s in scale.special)
        rows.append((item.id, item.text.nl, f"{labels}; {specials}".strip("; ")))
    rows += [(f.id, f.text.nl, t("template.free_text")) for f in instrument.free_text]
    return rows


def write_templates(instrument: Instrument, out_dir: Path) -> list[Path]:
    """Write ``<id>-v<version>-template.csv`` and ``.xlsx`` to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = template_columns(instrument)
    csv_path = ids.output_path(out_dir, instrument.key, suffix="-template.csv")
    csv_path.write_text(",".join(columns) + "\n", encoding="utf-8")
    xlsx_path = ids.output_path(out_dir, instrument.key, suffix="-template.xlsx")
    wb = Workbook()
    sheet = wb.active
    sheet.title = "antwoorden"
    sheet.append(columns)
    sheet.freeze_panes = "B2"
    for n, col in enumerate(columns, start=1):
        if col in instrument.item_by_id:
            choices = ",".join(allowed_answers(instrument, col))
            rule = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
            rule.error = t("template.invalid_answer")
            sheet.add_data_validation(rule)
            rule.add(f"{get_column_letter(n)}2:{get_column_letter(n)}5000")
    info = wb.create_sheet("toelichting")
    info.append([t("template.column"), t("template.meaning"), t("template.answers")])
    for row in _explanations(instrument):
        info.append(list(row))
        safe_xlsx_row(info, info.max_row)  # an instrument's text is never a live formula
    info.column_dimensions["B"].width = 90
    info.column_dimensions["C"].width = 90
    wb.save(xlsx_path)
    return [csv_path, xlsx_path]
