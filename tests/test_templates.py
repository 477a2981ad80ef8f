"""The report sections' markup lives in jinja2 templates with autoescaping.

A designer changes a section in ``reports/templates/sections/`` without touching Python;
escaping cannot be forgotten because jinja2 does it for every printed value.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from dwp_assess.reports import html as report_html
from dwp_assess.reports import sections
from dwp_assess.reports.sections import common

SECTIONS = Path(report_html.TEMPLATES) / "sections"


def _section_code() -> str:
    """The source of every module of the ``reports/sections`` package."""
    package = Path(sections.__file__).parent
    return "".join(p.read_text(encoding="utf-8") for p in sorted(package.glob("*.py")))


def test_the_section_code_builds_no_markup_of_its_own():
    assert not re.findall(
        r"<(?:p|div|table|tr|td|th|section|h\d|ul|ol|li|span|strong|a|br)\b", _section_code()
    )


def test_every_section_the_code_renders_has_its_template():
    names = set(re.findall(r'_section\("(\w+)"', _section_code()))
    assert names and all((SECTIONS / f"{name}.html.j2").is_file() for name in names)


def test_values_are_escaped_and_missing_values_print_as_nothing():
    out = common.header('<img src=x onerror="alert(1)">', None, True, "nl", float("nan"))
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in out and "<img" not in out
    assert "None" not in out and "nan" not in out
    assert out._repr_html_() == str(out)


def test_a_figure_payload_cannot_end_its_script_element():
    import plotly.graph_objects as go

    payload = common.figure_json(go.Figure(layout={"title": {"text": "</script><b>x"}}))
    assert "</" not in payload and "script" in payload


def test_the_report_page_keeps_its_stylesheet_unescaped():
    notebook = nbformat.v4.new_notebook()
    page = report_html.notebook_to_html(notebook, "Gouda", "nl")
    assert 'font-family: "DejaVu Sans"' in page and "&#34;DejaVu" not in page


def test_changing_a_template_changes_the_section(tmp_path, monkeypatch):
    copy = tmp_path / "templates"
    copy.mkdir()
    for path in Path(report_html.TEMPLATES).rglob("*"):
        target = copy / path.relative_to(Path(report_html.TEMPLATES))
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file():
            target.write_bytes(path.read_bytes())
    session = copy / "sections" / "session_agenda.html.j2"
    session.write_text(session.read_text().replace("<ol>", '<ol class="designer">'))
    monkeypatch.setattr(report_html, "TEMPLATES", copy)
    report_html._environment.cache_clear()
    try:
        out = report_html.render("sections/session_agenda.html.j2", title="Agenda", steps=["a <b>"])
    finally:
        report_html._environment.cache_clear()
    assert '<ol class="designer"><li>a &lt;b&gt;</li></ol>' in out


def test_no_template_reads_a_value_under_a_name_jinja_keeps_for_a_constant():
    """``none``, ``true`` and ``false`` are jinja2's constants: a value passed under such a name
    is never read (the roles and advice sections printed an empty note instead of saying why
    there was nothing to show)."""
    templates = Path(report_html.TEMPLATES)
    for path in templates.rglob("*.j2"):
        printed = re.findall(
            r"\{\{-?\s*(none|true|false|None|True|False)\s*-?\}\}|\(\s*(none|true|false)\s*\)",
            path.read_text("utf-8"),
        )
        assert not printed, (path.name, printed)
