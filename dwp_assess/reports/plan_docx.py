"""The project-plan draft as a Word document (python-docx), for the parties to edit further.

It holds what the HTML page holds (``project_plan.plan_view``), in the same order: the parties,
then per theme a heading with the points of discussion, what is settled, what is open, the
tasks with their owner party (a table to fill in further) and the parties' explanations, and at
the end how the draft was made and where it came from. Synthetic data is marked at the top.
The file is written through a temporary file, so it is complete or absent.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
from docx import Document
from docx.document import Document as DocumentType

from dwp_assess import __version__
from dwp_assess.analysis.collaboration import CollaborationAnalysis
from dwp_assess.instruments.messages import t
from dwp_assess.reports.project_plan import PlanView, ThemeView, plan_view


def plan_document(view: PlanView, provenance: str) -> DocumentType:
    """The Word document of a plan; ``provenance`` is the sentence saying how it was made."""
    lang = view.lang
    doc = Document()
    doc.core_properties.title = view.title
    doc.core_properties.author = "dwp-assess"
    doc.add_heading(view.title, level=0)
    doc.add_paragraph(view.subtitle)
    if view.synthetic:
        doc.add_paragraph(t("report.synthetic_warning", lang)).runs[0].bold = True
    if view.issue:
        doc.add_paragraph(view.issue)
    doc.add_paragraph(t("project_plan.intro", lang))
    doc.add_heading(t("project_plan.parties", lang), level=1)
    for line in view.party_lines:
        doc.add_paragraph(line, style="List Bullet")
    for theme in view.themes:
        _theme(doc, theme, lang)
    doc.add_heading(t("project_plan.rules", lang), level=1)
    doc.add_paragraph(t("project_plan.rules_text", lang))
    doc.add_heading(t("report.provenance", lang), level=1)
    doc.add_paragraph(provenance)
    return doc


def _theme(doc: DocumentType, theme: ThemeView, lang: str) -> None:
    doc.add_heading(theme.label, level=1)
    if theme.description:
        doc.add_paragraph(theme.description)
    doc.add_heading(t("project_plan.disagreements", lang), level=2)
    for point in theme.disagreements:
        doc.add_paragraph(point.text, style="List Number").runs[0].bold = True
        doc.add_paragraph(point.reason)
        for answer, parties in point.sides:
            doc.add_paragraph(f"{answer}: {', '.join(parties)}", style="List Bullet 2")
    if not theme.disagreements:
        doc.add_paragraph(t("project_plan.disagreements_none", lang))
    doc.add_heading(t("project_plan.settled", lang), level=2)
    for point in theme.settled:
        agreed = f" ({t('project_plan.agreed_answer', lang, answer=point.answer)})" if point.answer else ""  # fmt: skip
        doc.add_paragraph(point.text + agreed, style="List Bullet")
    if not theme.settled:
        doc.add_paragraph(t("project_plan.settled_none", lang))
    doc.add_heading(t("project_plan.open", lang), level=2)
    for point in theme.open:
        answers = "; ".join(f"{party}: {answer}" for party, answer in point.answers)
        doc.add_paragraph(f"{point.text} ({answers})", style="List Bullet")
    if not theme.open:
        doc.add_paragraph(t("project_plan.open_none", lang))
    _tasks(doc, theme, lang)
    doc.add_heading(t("project_plan.notes", lang), level=2)
    noted = [p for p in theme.points if p.notes]
    for point in noted:
        doc.add_paragraph(point.text).runs[0].italic = True
        for party, texts in point.notes:
            for note in texts:
                doc.add_paragraph(f"{party}: {note}", style="List Bullet")
    if not noted:
        doc.add_paragraph(t("project_plan.notes_none", lang))


def _tasks(doc: DocumentType, theme: ThemeView, lang: str) -> None:
    doc.add_heading(t("project_plan.tasks", lang), level=2)
    if not theme.tasks:
        doc.add_paragraph(t("project_plan.tasks_none", lang))
        return
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, key in zip(table.rows[0].cells, ("point", "owner", "owner_basis"), strict=True):
        cell.text = t(f"project_plan.{key}", lang)
    for point in theme.tasks:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = point.text, ", ".join(point.owners), point.owner_basis  # fmt: skip


def write_plan_document(view: PlanView, provenance: str, path: Path) -> Path:
    """Save the plan's Word document at ``path`` (complete or not at all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(handle)
    try:
        plan_document(view, provenance).save(temporary)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def provenance_sentence(meta: dict, lang: str) -> str:
    """The report's provenance sentence (as ``sections.provenance`` words it) for the document."""
    computed = pd.Timestamp(meta["computed_at"]) if meta.get("computed_at") else pd.Timestamp.now(tz="UTC")  # fmt: skip
    return t("report.provenance_sentence", lang, version=meta["instrument_version"], period=meta.get("period", ""),
             computed=computed.strftime("%d-%m-%Y"), generated=pd.Timestamp.now(tz="UTC").strftime("%d-%m-%Y"),
             package=__version__)  # fmt: skip


def write_document(analysis_dir: str, collaboration_id: str, lang: str, synthetic: bool, path: Path) -> Path:  # fmt: skip
    """The Word file of one collaboration's plan from the round's saved analysis
    (``reports.outputs``: run beside the HTML by ``execute.run_job``)."""
    analysis = CollaborationAnalysis.load(Path(analysis_dir))
    view = plan_view(analysis, collaboration_id, lang, synthetic)
    return write_plan_document(view, provenance_sentence(analysis.meta, lang), path)
