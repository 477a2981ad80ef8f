"""A4 PDFs of reports from one kept-alive Chromium per worker process.

Starting Chromium for every file costs about three seconds; a browser started once per
worker (through Playwright, driving Debian's ``/usr/bin/chromium``) prints a page in a
fraction of that. The page is laid out at the width of an A4 text column, so charts are
drawn for the paper they land on; the print stylesheet hides plotly's toolbar and keeps
headings with what follows; the footer numbers the pages ("pagina 2 van 4").
"""

from __future__ import annotations

import contextlib
import html
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import util
from pathlib import Path

from dwp_assess.instruments.messages import t

CHROMIUM = "/usr/bin/chromium"
A4_COLUMN_PX = 720  # 210 mm minus 2 × 14 mm margins at 96 px per inch, rounded
CHART_TIMEOUT_MS = 60_000
MARGINS = {"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}


class PrinterError(RuntimeError):
    """PDFs cannot be printed here (no Chromium or no Playwright)."""


def check_printer() -> None:
    """Raise ``PrinterError`` with the fix when PDFs cannot be printed on this machine."""
    if not Path(CHROMIUM).is_file():
        raise PrinterError(f"--pdf prints with Chromium, not found at {CHROMIUM}: install it with `apt-get install chromium`")  # fmt: skip
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        raise PrinterError("--pdf drives Chromium with Playwright: install it with `pip install 'dwp-assess[pdf]'`") from exc  # fmt: skip


def footer(lang: str) -> str:
    """Chromium's footer template: page number of total, in the report's language."""
    words = html.escape(t("report.page_of", lang)).replace("{page}", '<span class="pageNumber"></span>')  # fmt: skip
    words = words.replace("{total}", '<span class="totalPages"></span>')
    return f'<div style="font: 8px DejaVu Sans, Arial, sans-serif; color: #5b6773; width: 100%; text-align: center;">{words}</div>'  # fmt: skip


class Printer:
    """One headless Chromium and one page, kept for every PDF this process prints."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )  # fmt: skip
        self._page = self._browser.new_page(viewport={"width": A4_COLUMN_PX, "height": 1000})
        self._closed = False

    def print(self, html_path: Path, pdf_path: Path, lang: str) -> None:
        """Open the report, wait until its charts are drawn, and print it on A4."""
        self._page.goto(html_path.resolve().as_uri(), wait_until="load")
        self._page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=CHART_TIMEOUT_MS)  # fmt: skip
        self._page.pdf(path=str(pdf_path), format="A4", print_background=True, margin=MARGINS,
                       display_header_footer=True, header_template="<span></span>",
                       footer_template=footer(lang))  # fmt: skip

    def close(self) -> None:
        """Stop the browser and Playwright; safe to call twice (also on a browser that died)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._browser.close()
        with contextlib.suppress(Exception):
            self._playwright.stop()


_current: Printer | None = None
_thread: ThreadPoolExecutor | None = None


def _in_printer_thread(function):
    """Run ``function`` in this process's printer thread and return its result.

    Playwright's synchronous API refuses to run in a thread with a running asyncio loop
    (a notebook kernel's, a test runner's browser), and its objects belong to the thread
    that made them: one thread of its own, kept with the browser, avoids both."""
    global _thread
    if _thread is None:
        _thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dwp-printer")
    return _thread.submit(function).result()


def _printer() -> Printer:
    """This process's printer (in the printer thread), started on first use."""
    global _current
    if _current is None:
        _current = Printer()
        util.Finalize(_current, discard_printer, exitpriority=10)
    return _current


def discard_printer() -> None:
    """Close this process's browser (after an error, or when a run ends), so that the next
    PDF starts afresh; at interpreter exit the browser goes with the Playwright driver."""
    global _current
    if _current is not None:
        closing, _current = _current, None
        with contextlib.suppress(RuntimeError):  # the thread pool is gone at interpreter exit
            _in_printer_thread(closing.close)


def print_pdf(html_path: Path, pdf_path: Path, lang: str = "nl") -> None:
    """An A4 PDF of one report page (see the module docstring)."""
    try:
        _in_printer_thread(lambda: _printer().print(html_path, pdf_path, lang))
    except Exception:
        discard_printer()
        raise
