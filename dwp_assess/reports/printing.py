"""A4 PDFs of reports from one kept-alive Chromium per worker process.

Starting Chromium for every file costs about three seconds; a browser started once per
worker (through Playwright, driving Debian's ``/usr/bin/chromium``) prints a page in a
fraction of that. The page is laid out at the width of an A4 text column, so charts are
drawn for the paper they land on; the print stylesheet hides plotly's toolbar and keeps
headings with what follows; the footer numbers the pages ("pagina 2 van 4"). The PDF is
accessible as a government body must publish it (WCAG 2.1 AA, PDF/UA's basics): tagged (a
structure tree from the HTML, with the charts' text alternatives), with the document
language and title from the page's ``<html lang>`` and ``<title>``, and bookmarks from its
headings (Chromium's ``tagged`` and ``outline``).

Drawing a full report's twenty charts is most of the work, and it is single-threaded in
one page. What makes it cheaper and keeps the cores busy:

* each of the browser's ``PAGES`` pages loads plotly.js once and keeps it: a report is
  written into that page (``page.set_content``, which keeps the window and so plotly.js),
  without its own packed copy of plotly.js (1.5 MB to parse, unpack and evaluate per report)
  and with the style rules plotly.js adds to a page when it loads. The report's script
  finds plotly.js present and only draws; the report file itself is not changed;
* the text is typeset for paper only here (``typography``: soft hyphens in narrow columns,
  "'s-Hertogenbosch" kept whole), so the HTML files keep their words as written;
* charts are drawn static for print (plotly's ``staticPlot``: no toolbar, no hover and drag
  layers, nothing paper can use), plotly's default in the printer's pages;
* ``print_pdfs`` prints several files at once, one per free page, driven by Playwright's
  asynchronous API in a thread of its own: while one page waits (for the PDF to come back),
  another draws.

Memory stays bounded however many reports a worker prints: never more than ``PAGES`` pages
are open, and a page is replaced by a fresh one after ``PAGE_PRINTS`` reports. A page that
took report after report grew by about 6 MB per report (plotly's and the layout's leftovers
that purging the charts does not give back: 48 reports took its renderer from 0.3 to 0.6
GB), so a worker printing 370 PDFs held gigabytes; loading plotly.js into a fresh page
costs less than a report's printing, once per ``PAGE_PRINTS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import threading
from collections.abc import Iterable
from multiprocessing import util
from pathlib import Path

from dwp_assess.instruments.messages import t
from dwp_assess.reports.html import PACKED_PLOTLY_ID, plotly_source
from dwp_assess.reports.typography import hyphenate_html

CHROMIUM = "/usr/bin/chromium"
A4_COLUMN_PX = 720  # 210 mm minus 2 × 14 mm margins at 96 px per inch, rounded
CHART_TIMEOUT_MS = 60_000
MARGINS = {"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
PAGES = 2  # pages printing at once in one browser
PAGE_PRINTS = 20  # reports printed in one page before a fresh page takes its place
CHARTS_READY = "document.body.dataset.chartsReady === 'true'"
STATIC_CHARTS = "Plotly.setPlotConfig({staticPlot: true})"
# The style rules plotly.js added to the page's head when it loaded (a new document has none).
PLOTLY_STYLES = """[...document.head.querySelectorAll("style")]
  .map(style => [...style.sheet.cssRules].map(rule => rule.cssText).join("\\n")).join("\\n")"""
# Before the next report: let plotly release the charts of the last one.
RELEASE_CHARTS = (
    "document.querySelectorAll('.js-plotly-plot').forEach(chart => Plotly.purge(chart))"
)
_PACKED = re.compile(
    f'<script type="application/octet-stream" id="{PACKED_PLOTLY_ID}">[^<]*</script>'
)


def for_printing(page: str, plotly_styles: str, lang: str) -> str:
    """A report page as the printer's pages take it: without its packed plotly.js, with the
    style rules plotly.js gives a page it loads into, and typeset for paper in ``lang``
    (soft hyphens in narrow columns, ``typography.hyphenate_html``)."""
    page = _PACKED.sub("", page, count=1)
    page = page.replace("</head>", f"<style>{plotly_styles}</style>\n</head>", 1)
    return hyphenate_html(page, lang)


class PrinterError(ValueError):
    """PDFs cannot be printed here (no Chromium or no Playwright): the user's to fix, as the
    message says, so the command line prints it as one line (a ``ValueError``, as our other
    user errors), not as an internal error."""


def check_printer() -> None:
    """Raise ``PrinterError`` with the fix when PDFs cannot be printed on this machine."""
    if not Path(CHROMIUM).is_file():
        raise PrinterError(
            f"--pdf prints with Chromium, not found at {CHROMIUM}: install it with `apt-get install chromium`"
        )
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        raise PrinterError(
            "--pdf drives Chromium with Playwright: install it with `pip install 'dwp-assess[pdf]'`"
        ) from exc


def footer(lang: str) -> str:
    """Chromium's footer template: page number of total, in the report's language."""
    words = html.escape(t("report.page_of", lang)).replace(
        "{page}", '<span class="pageNumber"></span>'
    )
    words = words.replace("{total}", '<span class="totalPages"></span>')
    return f'<div style="font: 8px DejaVu Sans, Arial, sans-serif; color: #5b6773; width: 100%; text-align: center;">{words}</div>'


class Printer:
    """One headless Chromium with ``PAGES`` pages, kept for every PDF this process prints.

    Playwright's objects belong to the event loop that made them, and a loop cannot run
    inside another one (a notebook kernel's, a test runner's): the printer runs its own
    loop in a thread of its own, and callers wait for its results."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="dwp-printer", daemon=True
        )
        self._thread.start()
        self._closed = False
        try:
            self._wait(self._start())
        except BaseException:
            self.close()
            raise

    def _wait(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _start(self) -> None:
        from playwright.async_api import async_playwright

        self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        self._context = await self._browser.new_context(
            viewport={"width": A4_COLUMN_PX, "height": 1000}
        )
        self._pages: asyncio.Queue = asyncio.Queue()
        self._printed: dict = {}  # page → reports printed in it
        for _ in range(PAGES):
            page = await self._new_page()
            self._styles = await page.evaluate(PLOTLY_STYLES)
            self._pages.put_nowait(page)

    async def _new_page(self):
        """A page of the printer's browser with plotly.js loaded, drawing charts static."""
        page = await self._context.new_page()
        await page.add_script_tag(content=plotly_source())
        await page.evaluate(STATIC_CHARTS)
        self._printed[page] = 0
        return page

    async def _renewed(self, page):
        """``page`` again, or a fresh page in its place once it has printed ``PAGE_PRINTS``
        reports (the old one is closed); if no fresh page can be made, the old one goes on."""
        self._printed[page] += 1
        if self._printed[page] < PAGE_PRINTS:
            return page
        try:
            fresh = await self._new_page()
        except Exception:  # noqa: BLE001 - the next print reports a broken browser
            return page
        del self._printed[page]
        with contextlib.suppress(Exception):
            await page.close()
        return fresh

    def print_all(self, files: list[tuple[Path, Path, str]]) -> None:
        """Print every ``(html, pdf, lang)``, as many at once as there are pages; the first
        failure is raised after the others have finished."""
        self._wait(self._print_all(files))

    async def _print_all(self, files: list[tuple[Path, Path, str]]) -> None:
        results = await asyncio.gather(*(self._print(*f) for f in files), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _print(self, html_path: Path, pdf_path: Path, lang: str) -> None:
        """Write the report into a free page, wait until its charts are drawn, print it on A4."""
        page = await self._pages.get()
        try:
            report = for_printing(html_path.read_text(encoding="utf-8"), self._styles, lang)
            await page.evaluate(RELEASE_CHARTS)
            await page.set_content(report, wait_until="load")
            await page.wait_for_function(CHARTS_READY, timeout=CHART_TIMEOUT_MS)
            await page.pdf(
                path=str(pdf_path),
                format="A4",
                print_background=True,
                margin=MARGINS,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=footer(lang),
                tagged=True,
                outline=True,
            )
        finally:
            self._pages.put_nowait(await self._renewed(page))

    async def _stop(self) -> None:
        browser, playwright = getattr(self, "_browser", None), getattr(self, "_playwright", None)
        if browser is not None:
            with contextlib.suppress(Exception):
                await browser.close()
        if playwright is not None:
            with contextlib.suppress(Exception):
                await playwright.stop()

    def close(self) -> None:
        """Stop the browser, Playwright and the printer's thread; safe to call twice (also on
        a browser that died)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._wait(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        if not self._thread.is_alive():
            self._loop.close()


_current: Printer | None = None


def _printer() -> Printer:
    """This process's printer, started on first use."""
    global _current
    if _current is None:
        _current = Printer()
        util.Finalize(_current, discard_printer, exitpriority=10)
    return _current


def discard_printer() -> None:
    """Close this process's browser (after an error, or when a run ends), so that the next
    PDF starts afresh."""
    global _current
    if _current is not None:
        closing, _current = _current, None
        closing.close()


def print_pdfs(files: Iterable[tuple[Path, Path, str]]) -> None:
    """A4 PDFs of report pages, ``(html, pdf, lang)`` each, several at once (see the module
    docstring); after a failure the browser is discarded and the error raised. Nothing to
    print starts no browser."""
    files = list(files)
    if not files:
        return
    try:
        _printer().print_all(files)
    except Exception:
        discard_printer()
        raise


def print_pdf(html_path: Path, pdf_path: Path, lang: str = "nl") -> None:
    """An A4 PDF of one report page."""
    print_pdfs([(html_path, pdf_path, lang)])
