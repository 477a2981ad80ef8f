"""The project-plan draft as a Word document (python-docx), for the parties to edit further.

It holds what the HTML page holds (``project_plan.plan_view``), in the same order and with the
same point numbers (numbered per theme: 1.1, 1.2, …, 2.1, …): the parties and an overview per
theme, then per theme the points of discussion, what is settled, what is open, what every
party finds not applicable, the tasks with their owner party (a table to fill in further),
where the parties stand (with the checklist's tips) and their explanations, and at the end how the draft was made, where
it came from and the colophon. The page is A4 and the proofing language that of the plan
(nl-NL, or en-GB for English) on the document's default and on every style and run, so Word
checks the spelling in the right language. Synthetic data is marked at the top. On paper, as
the printed HTML plan: the pages are numbered ("pagina 2 van 9"), a table's header row is
repeated on every page it runs onto and no row is split over two pages, and a point's line
stays on the page of what it introduces (its explanations, the parties' answers). The file is
written through a temporary file, so it is complete or absent.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pandas as pd
from docx import Document
from docx.document import Document as DocumentType
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from dwp_assess import __version__
from dwp_assess.analysis.collaboration_positions import CollaborationAnalysis
from dwp_assess.instruments.messages import t
from dwp_assess.reports.project_plan import PlanView, ThemeView, plan_view
from dwp_assess.reports.sections.closing import colophon_rows

PROOFING = {"nl": "nl-NL", "en": "en-GB"}  # Word's proofing language per report language
A4 = (Mm(210), Mm(297))
MARGIN = Mm(20)


def plan_document(
    view: PlanView, provenance: str, colophon: list[tuple[str, str]] | None = None
) -> DocumentType:
    """The Word document of a plan; ``provenance`` is the sentence saying how it was made,
    ``colophon`` the (label, value) rows of ``sections.closing.colophon_rows``."""
    lang = view.lang
    doc = Document()
    _a4(doc)
    _page_numbers(doc, lang)
    doc.core_properties.title = view.title
    doc.core_properties.author = "dwp-assess"
    doc.core_properties.language = PROOFING[lang]
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
    _overview(doc, view, lang)
    for theme in view.themes:
        _theme(doc, theme, view.parties, lang)
    doc.add_heading(t("project_plan.rules", lang), level=1)
    doc.add_paragraph(t("project_plan.rules_text", lang))
    doc.add_heading(t("report.provenance", lang), level=1)
    doc.add_paragraph(provenance)
    if colophon:
        doc.add_heading(t("report.colophon", lang), level=1)
        _table(doc, None, [list(row) for row in colophon])
    set_language(doc, PROOFING[lang])
    return doc


def _a4(doc: DocumentType) -> None:
    """Every section on A4 portrait with even margins (python-docx's template is US Letter)."""
    for section in doc.sections:
        section.page_width, section.page_height = A4
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = (
            MARGIN
        )


def _page_numbers(doc: DocumentType, lang: str) -> None:
    """A centred footer "pagina {page} van {total}" (``report.page_of``, as the printed PDFs
    have it) from Word's PAGE and NUMPAGES fields."""
    words = t("report.page_of", lang)
    for section in doc.sections:
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for piece in re.split(r"(\{page\}|\{total\})", words):
            field = {"{page}": "PAGE", "{total}": "NUMPAGES"}.get(piece)
            if field:
                _field(paragraph, field)
            elif piece:
                paragraph.add_run(piece)


def _field(paragraph, code: str) -> None:
    """A simple field (``PAGE``, ``NUMPAGES``) at the end of ``paragraph``, with "1" shown
    until Word updates it."""
    element = OxmlElement("w:fldSimple")
    element.set(qn("w:instr"), f" {code} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    element.append(run)
    paragraph._p.append(element)


def set_language(doc: DocumentType, tag: str) -> None:
    """``tag`` (e.g. "nl-NL") as the proofing language of the document's defaults, of every
    style and of every run, replacing the template's en-US."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    elements = [defaults.find(qn("w:rPrDefault"))] if defaults is not None else []
    holders = [e.find(qn("w:rPr")) if e is not None else None for e in elements]
    holders += [style.get_or_add_rPr() for style in styles.findall(qn("w:style"))]
    holders += [run._r.get_or_add_rPr() for run in _runs(doc)]
    for rpr in (h for h in holders if h is not None):
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), tag)


def _runs(doc: DocumentType):
    """Every run of the body: in paragraphs and in table cells."""
    for paragraph in doc.paragraphs:
        yield from paragraph.runs
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    yield from paragraph.runs


def _table(doc: DocumentType, header: list[str] | None, rows: list[list[str]]):
    """A grid table with ``header`` (``None``: none) and ``rows`` as text; the header row is
    repeated on every page the table runs onto, and no row is split over two pages."""
    table = doc.add_table(rows=1 if header else 0, cols=len(header or rows[0]))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells if header else [], header or [], strict=True):
        cell.text = text
    if header:
        _row_property(table.rows[0], "w:tblHeader")
    for row in rows:
        added = table.add_row()
        for cell, text in zip(added.cells, row, strict=True):
            cell.text = str(text)
    for row in table.rows:
        _row_property(row, "w:cantSplit")
    return table


def _row_property(row, name: str) -> None:
    """Switch on a row property (``w:tblHeader``: repeat as header row; ``w:cantSplit``:
    keep the row on one page)."""
    properties = row._tr.get_or_add_trPr()
    if properties.find(qn(name)) is None:
        properties.append(OxmlElement(name))


def _lead(doc: DocumentType, text: str):
    """A paragraph that introduces what follows (a point above its explanations or the
    parties' answers): kept on the page of the next paragraph, never alone at its foot."""
    paragraph = doc.add_paragraph(text)
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def _overview(doc: DocumentType, view: PlanView, lang: str) -> None:
    """Per theme how many points are settled, open, to discuss and not applicable."""
    doc.add_heading(t("project_plan.overview", lang), level=2)
    header = [
        t(f"project_plan.{key}", lang)
        for key in (
            "theme",
            "count_settled",
            "count_open",
            "count_disagreements",
            "count_not_applicable",
        )
    ]
    rows = [
        [
            f"{th.number}. {th.label}",
            len(th.settled),
            len(th.open),
            len(th.disagreements),
            len(th.not_applicable),
        ]
        for th in view.themes
    ]
    _table(doc, header, rows)


def _points(doc: DocumentType, points, heading: str, none: str, lang: str, line=None) -> None:
    """A heading and its points, each with its number ("2.3 …"), or the sentence for none."""
    doc.add_heading(t(heading, lang), level=2)
    for point in points:
        doc.add_paragraph(f"{point.number} {line(point) if line else point.text}")
    if not points and none:
        doc.add_paragraph(t(none, lang))


def _theme(doc: DocumentType, theme: ThemeView, parties: list[str], lang: str) -> None:
    doc.add_heading(f"{theme.number}. {theme.label}", level=1)
    if theme.description:
        doc.add_paragraph(theme.description)
    doc.add_heading(t("project_plan.disagreements", lang), level=2)
    for point in theme.disagreements:
        _lead(doc, f"{point.number} {point.text}").runs[0].bold = True
        _lead(doc, point.reason)
        for answer, sides in point.sides:
            doc.add_paragraph(f"{answer}: {', '.join(sides)}", style="List Bullet 2")
    if not theme.disagreements:
        doc.add_paragraph(t("project_plan.disagreements_none", lang))

    def agreed(p):
        return p.text + (
            f" ({t('project_plan.agreed_answer', lang, answer=p.answer)})" if p.answer else ""
        )

    _points(doc, theme.settled, "project_plan.settled", "project_plan.settled_none", lang, agreed)
    _points(doc, theme.open, "project_plan.open", "project_plan.open_none", lang)
    if theme.not_applicable:
        _points(doc, theme.not_applicable, "project_plan.not_applicable", "", lang)
    _tasks(doc, theme, lang)
    doc.add_heading(t("project_plan.positions", lang), level=2)
    _table(
        doc,
        [t("project_plan.point", lang), *parties],
        [[_with_tip(p, lang), *(answer for _, answer in p.answers)] for p in theme.points],
    )
    doc.add_heading(t("project_plan.notes", lang), level=2)
    noted = [p for p in theme.points if p.notes]
    for point in noted:
        _lead(doc, f"{point.number} {point.text}").runs[0].italic = True
        for party, texts in point.notes:
            for note in texts:
                doc.add_paragraph(f"{party}: {note}", style="List Bullet")
    if not noted:
        doc.add_paragraph(t("project_plan.notes_none", lang))


def _with_tip(point, lang: str) -> str:
    """A point's cell in "where the parties stand": its number and text and, on a line of its
    own, the checklist's tip, as the HTML plan prints it."""
    tip = f"\n{t('project_plan.tip', lang)}: {point.tip}" if point.tip else ""
    return f"{point.number} {point.text}{tip}"


def _tasks(doc: DocumentType, theme: ThemeView, lang: str) -> None:
    """The tasks as statements (``PointView.task``), never as questions, with their owners."""
    doc.add_heading(t("project_plan.tasks", lang), level=2)
    if not theme.tasks:
        doc.add_paragraph(t("project_plan.tasks_none", lang))
        return
    header = [t(f"project_plan.{key}", lang) for key in ("point", "owner", "owner_basis")]
    _table(
        doc,
        header,
        [[f"{p.number} {p.task}", ", ".join(p.owners), p.owner_basis] for p in theme.tasks],
    )


def plan_colophon_rows(
    view: PlanView, meta: dict, instrument, sender: str | None = None, contact: str = ""
) -> list[tuple[str, str]]:
    """The plan's colophon: the collaboration by its title and its parties (not the plan's
    title under "Organisatie"), round, date, sender, contact and versions."""
    return colophon_rows(
        meta,
        ", ".join(view.parties),
        instrument,
        view.lang,
        sender,
        contact,
        collaboration=view.collaboration,
    )


def write_plan_document(
    view: PlanView, provenance: str, path: Path, colophon: list[tuple[str, str]] | None = None
) -> Path:
    """Save the plan's Word document at ``path`` (complete or not at all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(handle)
    try:
        plan_document(view, provenance, colophon).save(temporary)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def provenance_sentence(meta: dict, lang: str) -> str:
    """The report's provenance sentence (as ``sections.closing.provenance`` words it) for the document."""
    computed = (
        pd.Timestamp(meta["computed_at"]) if meta.get("computed_at") else pd.Timestamp.now(tz="UTC")
    )
    return t(
        "report.provenance_sentence",
        lang,
        version=meta["instrument_version"],
        period=meta.get("period", ""),
        computed=computed.strftime("%d-%m-%Y"),
        generated=pd.Timestamp.now(tz="UTC").strftime("%d-%m-%Y"),
        package=__version__,
    )


def write_document(
    analysis_dir: str,
    collaboration_id: str,
    lang: str,
    synthetic: bool,
    path: Path,
    sender: str | None = None,
    contact: str = "",
) -> Path:
    """The Word file of one collaboration's plan from the round's saved analysis
    (``reports.outputs``: run beside the HTML by ``execute.run_job``), with the colophon of
    ``sender`` and ``contact`` (``project.Settings``)."""
    analysis = CollaborationAnalysis.load(Path(analysis_dir))
    view = plan_view(analysis, collaboration_id, lang, synthetic)
    rows = plan_colophon_rows(view, analysis.meta, analysis.instrument, sender, contact)
    return write_plan_document(view, provenance_sentence(analysis.meta, lang), path, rows)
