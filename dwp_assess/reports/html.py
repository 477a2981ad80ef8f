"""From an executed report notebook to one self-contained, offline HTML file.

The page holds only the notebook's outputs (no code cells), our stylesheet, and,
when it has figures, plotly.js embedded gzip-compressed (1.5 MB instead of
4.8 MB) and unpacked by the browser. No request leaves the file: no CDN for
plotly.js, require.js, MathJax or fonts. Error outputs stay visible, so a
section that failed says so in the report itself.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
from functools import cache
from importlib.resources import files
from pathlib import Path

import jinja2
import nbformat
import plotly
from markupsafe import Markup

from dwp_assess import __version__, templating
from dwp_assess.instruments.messages import t

TEMPLATES = files("dwp_assess.reports") / "templates"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@cache
def _environment() -> jinja2.Environment:
    return templating.environment(str(TEMPLATES))


# plotly.js's texts that a report's reader can meet on screen, by the English text plotly names
# them with, and our message for each: the toolbar keeps one button (save as an image), there
# is no zooming (nothing to reset) and a legend entry can be clicked (the radar's).
PLOTLY_TEXTS = {
    "Download plot as a PNG": "chart.toolbar_download",
    "Preparing image - this may take a few seconds": "chart.toolbar_preparing",
    "Image download succeeded": "chart.toolbar_done",
    "Sorry, there was a problem downloading your image!": "chart.toolbar_failed",
    "Double-click on legend to isolate one trace": "chart.legend_isolate",
}


def plotly_locale(lang: str) -> Markup:
    """plotly.js's locale dictionary for ``lang`` as JSON for the page's script (``</`` escaped
    so that it cannot end the script element): plotly's English texts → our messages."""
    words = {english: t(key, lang) for english, key in PLOTLY_TEXTS.items()}
    return Markup(json.dumps(words, ensure_ascii=False).replace("</", "<\\/"))


# The id of the element that holds a report's packed plotly.js (the PDF printer leaves it out:
# its page has plotly.js already).
PACKED_PLOTLY_ID = "dwp-plotly-gz"


@cache
def plotly_source() -> str:
    """plotly.min.js as shipped with the plotly package."""
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return source.read_text(encoding="utf-8")


@cache
def plotly_gzip_base64() -> str:
    """plotly.min.js, gzip-compressed and base64-encoded."""
    packed = gzip.compress(plotly_source().encode("utf-8"), compresslevel=9, mtime=0)
    return base64.b64encode(packed).decode()


@cache
def stylesheet() -> jinja2.utils.markupsafe.Markup:
    """The reports' CSS, trusted as it is: escaping would turn its quotes into entities,
    which a style element does not decode (font names would be lost)."""
    return jinja2.utils.markupsafe.Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))


def _error_block(output: dict, lang: str) -> str:
    trace = _ANSI.sub("", "\n".join(output.get("traceback", [])))
    title = html.escape(t("report.error", lang))
    detail = html.escape(f"{output.get('ename', '')}: {output.get('evalue', '')}")
    return f'<div class="dwp-error"><strong>{title}</strong>: {detail}<details><pre>{html.escape(trace)}</pre></details></div>'


def output_blocks(notebook: nbformat.NotebookNode, lang: str) -> list[str]:
    """HTML of every displayed output, in order; stderr and code are left out."""
    blocks = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "error":
                blocks.append(_error_block(output, lang))
            elif kind in ("display_data", "execute_result"):
                data = output.get("data", {})
                if "text/html" in data:
                    blocks.append("".join(data["text/html"]))
                elif "text/plain" in data:
                    blocks.append(f"<pre>{html.escape(''.join(data['text/plain']))}</pre>")
    return blocks


def document_title(blocks: list[str], fallback: str) -> str:
    """The page's title (a PDF's title and a browser tab's): its first heading as a reader
    sees it ("Datavolwassenheid van Gouda"), else ``fallback``."""
    for block in blocks:
        heading = re.search(r"<h1\b[^>]*>(.*?)</h1>", block, re.S)
        if heading:
            return " ".join(
                html.unescape(re.sub(r"<[^>]+>", "", heading.group(1)))
                .replace("\u00ad", "")
                .split()
            )
    return fallback


def notebook_to_html(notebook: nbformat.NotebookNode, title: str, lang: str = "nl") -> str:
    """The whole report page for an executed notebook, titled by its first heading."""
    blocks = output_blocks(notebook, lang)
    title = document_title(blocks, title)
    has_figures = any("dwp-figure-data" in b for b in blocks)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            lang=lang,
            title=title,
            css=stylesheet(),
            blocks=[jinja2.utils.markupsafe.Markup(b) for b in blocks],
            has_figures=has_figures,
            plotly_gz=plotly_gzip_base64() if has_figures else "",
            plotly_locale=plotly_locale(lang),
            packed_id=PACKED_PLOTLY_ID,
            version=__version__,
        )
    )


def render(template: str, **values) -> str:
    """A page from one of the package's jinja2 templates, every value autoescaped (hyphenation
    points are added when a page is printed: ``printing.for_printing``)."""
    return _environment().get_template(template).render(**values)


def macro(name: str):
    """A macro of ``templates/sections/_macros.html.j2`` (a table cell such as an agreement
    word with its figure on hover), callable from Python; it returns autoescaped Markup."""
    return getattr(_environment().get_template("sections/_macros.html.j2").module, name)


def index_html(
    title: str,
    summary: str,
    jobs: list[dict],
    generated_at: str,
    lang: str = "nl",
    synthetic: bool = False,
    round_id: str = "",
) -> str:
    """The round's index: every report with its organisation (for team rounds), status, links
    and any error (all escaped), under a note that the page is for the analyst and not for
    distribution, and, for synthetic data, a note saying so. The round's id in the title is
    kept on one line (an id, not words: "data-sharing-" / "2026" read as two)."""
    labels = {
        k: t(f"report.index_{k}", lang)
        for k in ("unit", "organisation", "status", "files", "summary")
    }
    jobs = [job | {"files": index_files(job, labels["summary"])} for job in jobs]
    by_organisation = any(
        job["organisation"] and job["organisation"] != job["title"] for job in jobs
    )
    return (
        _environment()
        .get_template("index.html.j2")
        .render(
            lang=lang,
            title=title,
            summary=summary,
            jobs=jobs,
            labels=labels,
            css=stylesheet(),
            version=__version__,
            generated_at=generated_at,
            private_note=t("report.index_private", lang),
            synthetic_note=t("report.synthetic_index", lang) if synthetic else "",
            by_organisation=by_organisation,
            round_id=round_id,
        )
    )


def index_files(job: dict, summary_label: str) -> list[dict]:
    """An index row's file links in their order (summary with its PDF, PDF, editable
    document, bundle), only those that exist: the page writes them with " · " between, so
    no separator stands before the first or after the last."""
    files = [
        {"label": summary_label, "href": job.get("summary"), "pdf": job.get("summary_pdf")},
        {"label": "pdf", "href": job.get("pdf")},
        {"label": (job.get("document") or "").rsplit(".", 1)[-1], "href": job.get("document")},
        {"label": "zip", "href": job.get("bundle")},
    ]
    if not files[0]["href"] and files[0]["pdf"]:  # a summary printed without its page
        files[0] = {"label": f"{summary_label} (pdf)", "href": files[0]["pdf"]}
    return [f for f in files if f["href"]]
