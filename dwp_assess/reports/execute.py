"""Executing one report: papermill parameters, a kept-alive kernel, HTML, summary and PDF.

A fresh kernel costs 3–10 s per report on this kind of machine, almost all of it
start-up and imports; keeping one kernel per worker process and clearing its
namespace between reports (``%reset -f``) costs well under a second. Modules
stay imported; no variable of one organisation's report survives into the next.
After each reset, what survives it (imported modules, plotly's validators, caches)
is moved out of the garbage collector's reach with ``gc.freeze()``: otherwise each
reset's two full collections and every automatic one while a report builds its
figures walk that whole heap again (0.3 s per report, and figure building twice
as slow); garbage of a report is still collected, as it is made after the freeze.
``run_job`` is a plain top-level function so it runs the same in a process pool
and on a dask.distributed worker. A job carries the project's settings: the worker makes
them its project (``project.activate``) and the notebook gets them as its
``project_settings`` parameter, so the kernel (started in the package's folder) sees the
project's own instruments and rules, as the summary made in the worker does.

A job whose report is up to date but whose PDF is missing or older (``print_only``) only
prints the HTML already made: ``report --pdf`` after ``report`` never makes a report again.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import util
from pathlib import Path

import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from dwp_assess import project
from dwp_assess.data import store
from dwp_assess.reports.html import notebook_to_html
from dwp_assess.reports.printing import print_pdfs

CELL_TIMEOUT = 600
RESET = "get_ipython().run_line_magic('reset', '-f'); __import__('gc').freeze()"


@dataclass(frozen=True)
class Job:
    """One report to make: which template with which parameters, and where to write it."""

    unit: str
    title: str
    template: Path
    parameters: dict
    notebook_path: Path
    html_path: Path
    pdf_path: Path | None = None
    lang: str = "nl"
    summary_path: Path | None = None  # the management summary (organisation reports)
    write_summary: Callable[[dict, Path], object] | None = None  # (parameters, path), outputs.py
    summary_pdf_path: Path | None = None
    document_path: Path | None = None  # an editable document beside the HTML (project plans)
    write_document: Callable[[dict, Path], object] | None = None  # (parameters, path), outputs.py
    settings: project.Settings | None = None  # the project: made the worker's and the kernel's
    print_only: bool = False  # the HTML is current: only print its PDFs


@dataclass
class JobResult:
    unit: str
    status: str  # "ok" or "failed"
    seconds: float
    error: str = ""
    outputs: list[str] = field(default_factory=list)


class KernelSession:
    """A Python kernel kept alive across reports in one worker process."""

    def __init__(self, cwd: Path, data_dir: Path):
        # IPC sockets in a private folder: relative ``kernel-ipc-N`` names would collide
        # between worker processes started in the same directory.
        self._sockets = tempfile.TemporaryDirectory(prefix="dwp-kernel-")
        self.km = KernelManager(
            kernel_name="python3", transport="ipc", ip=str(Path(self._sockets.name) / "kernel")
        )
        folders = project.jupyter_dirs(data_dir)
        for folder in folders.values():
            Path(folder).mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **folders, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        self.km.start_kernel(cwd=str(cwd), env=env)
        self.kc = self.km.client()  # blocking: readiness and the reset between reports
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        # nbclient needs an asynchronous client: with a blocking one its wait for output
        # blocks the event loop and the cell timeout never fires.
        self.akc = AsyncKernelClient()
        self.akc.load_connection_info(self.km.get_connection_info())
        self.akc.start_channels()

    def reset(self) -> None:
        """Forget every variable of the previous report (imports stay loaded), then freeze
        what survives (see the module docstring)."""
        self.kc.execute_interactive(RESET, timeout=60, store_history=False)

    def run(self, notebook: nbformat.NotebookNode) -> None:
        self.reset()
        client = NotebookClient(notebook, km=self.km, timeout=CELL_TIMEOUT, kernel_name="python3")
        client.kc = self.akc
        client.execute()

    def close(self) -> None:
        """Stop the kernel (also a hung or dead one); safe to call twice."""
        self.kc.stop_channels()
        self.akc.stop_channels()
        with contextlib.suppress(RuntimeError, OSError):
            self.km.shutdown_kernel(now=True)
        self._sockets.cleanup()


_session: KernelSession | None = None


def session(cwd: Path, data_dir: Path) -> KernelSession:
    """This process's kernel, started on first use and shut down when the process ends."""
    global _session
    if _session is None or not _session.km.is_alive():
        _session = KernelSession(cwd, data_dir)
        util.Finalize(_session, _session.close, exitpriority=10)
    return _session


def discard_session() -> None:
    """Stop this process's kernel, so that the next report starts a fresh one."""
    global _session
    if _session is not None:
        _session.close()
        _session = None


def run_job(job: Job) -> JobResult:
    """Make one report; a failure is returned as a result (with the error), never raised."""
    start = time.perf_counter()
    if job.settings is not None:
        project.activate(job.settings)
    if job.print_only:
        return _print(job, start)
    job.notebook_path.parent.mkdir(parents=True, exist_ok=True)
    parameters = job.parameters | (
        {"project_settings": job.settings.to_json()} if job.settings else {}
    )
    notebook = parameterize_notebook(load_notebook_node(str(job.template)), parameters)
    status, error = "ok", ""
    try:
        session(job.template.parent, store.data_dir()).run(notebook)
    except (CellExecutionError, DeadKernelError, TimeoutError, RuntimeError) as exc:
        status, error = "failed", _short_error(exc)
        if not isinstance(exc, CellExecutionError):
            discard_session()  # a timed-out or dead kernel must not serve the next report
    nbformat.write(notebook, job.notebook_path)  # the audit trail, also when it failed
    if status != "ok":  # never leave a partial or stale report where a municipality could open it
        for path in (job.html_path, job.document_path):
            if path:
                path.unlink(missing_ok=True)
        return JobResult(job.unit, status, time.perf_counter() - start, error)
    job.html_path.write_text(notebook_to_html(notebook, job.title, job.lang), encoding="utf-8")
    try:
        if job.summary_path and job.write_summary:
            job.write_summary(job.parameters, job.summary_path)
    except Exception as exc:  # noqa: BLE001 - a failed summary fails this report, not the run
        return _failed(job, start, f"summary: {type(exc).__name__}: {exc}")
    try:
        if job.document_path and job.write_document:
            job.write_document(job.parameters, job.document_path)
    except Exception as exc:  # noqa: BLE001 - a failed document fails this report, not the run
        return _failed(job, start, f"document: {type(exc).__name__}: {exc}")
    return _print(job, start)


def _print(job: Job, start: float) -> JobResult:
    """Print the report and its summary at once (printing.py), from the HTML in place."""
    try:
        pages = ((job.html_path, job.pdf_path), (job.summary_path, job.summary_pdf_path))
        print_pdfs([(html, pdf, job.lang) for html, pdf in pages if html and pdf])
    except Exception as exc:  # noqa: BLE001 - Playwright's and Chromium's errors vary
        return _failed(job, start, f"PDF: {type(exc).__name__}: {exc}")
    return JobResult(job.unit, "ok", time.perf_counter() - start)


def _failed(job: Job, start: float, error: str) -> JobResult:
    """A report whose summary or PDF failed: nothing of it stays where it could be handed out."""
    for path in (
        job.html_path,
        job.pdf_path,
        job.summary_path,
        job.summary_pdf_path,
        job.document_path,
    ):
        if path:
            path.unlink(missing_ok=True)
    return JobResult(job.unit, "failed", time.perf_counter() - start, error)


def _short_error(exc: Exception) -> str:
    if isinstance(exc, CellExecutionError):
        return f"{exc.ename}: {exc.evalue}"
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
