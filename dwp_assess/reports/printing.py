"""A4 PDFs of reports from one kept-alive Chromium per worker process.

Starting Chromium for every file costs about three seconds; a browser started once per
worker (through Playwright, driving Debian's ``/usr/bin/chromium``) prints a page in a
fraction of that. The page is laid out at the width of an A4 text column, so charts are
drawn for the paper they land on; the print stylesheet hides plotly's toolbar and keeps
headings with what follows; the footer numbers the pages ("pagina 2 van 4").

Drawing a full report's twenty charts is most of the work, and it is single-threaded in
one page. Two things make it cheaper and keep the cores busy:

* charts are drawn static for print (plotly's ``staticPlot``: no toolbar, no hover and drag
  layers, nothing paper can use), set with plotly's own ``setPlotConfig`` the moment the page
  defines ``window.Plotly``; the report file itself is not changed (on screen its charts stay
  interactive). This saves about a tenth of a report's printing;
* the browser keeps ``PAGES`` pages, driven by Playwright's asynchronous API in a thread of
  its own, and ``print_pdfs`` prints several files at once, one per free page: while one page
  waits (for the file, for the PDF to come back), another draws.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import threading
from collections.abc import Iterable
from multiprocessing import util
from pathlib import Path

from dwp_assess.instruments.messages import t

CHROMIUM = "/usr/bin/chromium"
A4_COLUMN_PX = 720  # 210 mm minus 2 × 14 mm margins at 96 px per inch, rounded
CHART_TIMEOUT_MS = 60_000
MARGINS = {"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
PAGES = 2  # pages printing at once in one browser
CHARTS_READY = "document.body.dataset.chartsReady === 'true'"
# Runs in every page before its own scripts: when the page's script defines window.Plotly,
# make static charts plotly's default (the page's own config names neither staticPlot nor
# its opposite, so the default applies).
STATIC_CHARTS = """(() => {
  let plotly;
  Object.defineProperty(window, "Plotly", {
    configurable: true, enumerable: true,
    get() { return plotly; },
    set(value) { plotly = value; if (value && value.setPlotConfig) value.setPlotConfig({staticPlot: true}); },
  });
})();"""


class PrinterError(RuntimeError):
    """PDFs cannot be printed here (no Chromium or no Playwright)."""


def check_printer() -> None:
    """Raise ``PrinterError`` with the fix when PDFs cannot be printed on this machine."""
    if not Path(CHROMIUM).is_file():
        raise PrinterError(f"--pdf prints with Chromium, not found at {CHROMIUM}: install it with `apt-get install chromium`")  # fmt: skip
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        raise PrinterError("--pdf drives Chromium with Playwright: install it with `pip install 'dwp-assess[pdf]'`") from exc  # fmt: skip


def footer(lang: str) -> str:
    """Chromium's footer template: page number of total, in the report's language."""
    words = html.escape(t("report.page_of", lang)).replace("{page}", '<span class="pageNumber"></span>')  # fmt: skip
    words = words.replace("{total}", '<span class="totalPages"></span>')
    return f'<div style="font: 8px DejaVu Sans, Arial, sans-serif; color: #5b6773; width: 100%; text-align: center;">{words}</div>'  # fmt: skip


class Printer:
    """One headless Chromium with ``PAGES`` pages, kept for every PDF this process prints.

    Playwright's objects belong to the event loop that made them, and a loop cannot run
    inside another one (a notebook kernel's, a test runner's): the printer runs its own
    loop in a thread of its own, and callers wait for its results."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="dwp-printer", daemon=True)  # fmt: skip
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
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )  # fmt: skip
        context = await self._browser.new_context(viewport={"width": A4_COLUMN_PX, "height": 1000})
        await context.add_init_script(STATIC_CHARTS)
        self._pages: asyncio.Queue = asyncio.Queue()
        for _ in range(PAGES):
            self._pages.put_nowait(await context.new_page())

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
        """Open the report in a free page, wait until its charts are drawn, print it on A4."""
        page = await self._pages.get()
        try:
            await page.goto(html_path.resolve().as_uri(), wait_until="load")
            await page.wait_for_function(CHARTS_READY, timeout=CHART_TIMEOUT_MS)
            await page.pdf(path=str(pdf_path), format="A4", print_background=True, margin=MARGINS,
                           display_header_footer=True, header_template="<span></span>",
                           footer_template=footer(lang))  # fmt: skip
        finally:
            self._pages.put_nowait(page)

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
