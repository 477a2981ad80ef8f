"""Benchmark: the Voilà-served questionnaire form in Debian's Chromium.

One Voilà server (the options of ``dwp-assess collect``) serves a temporary folder
with two notebooks against a temporary SQLite store:

* ``collect.ipynb``: the real form (competences instrument, 30 items, 8 pages);
* ``baseline.ipynb``: one ipywidgets button, the smallest thing Voilà can serve
  with a widget: what any Voilà page costs.

Measured in this one run:

* time until the form is usable in the browser (its "Volgende" button visible):
  the first page load after the server starts, and warm loads (median of five);
  the same for the baseline;
* memory per open form session: resident (RSS) and unique (USS, what closing the
  session frees) memory of each page's kernel, median over five open pages, and
  the ratio to the baseline's kernels; the Voilà server's own RSS;
* ten forms opened at once: time until all ten are usable;
* a capacity estimate: how many open form sessions fit in the memory available
  now, leaving 1 GiB free.

Run: ``python benchmarks/bench_form.py`` (needs ``/usr/bin/chromium``).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
from playwright.sync_api import sync_playwright

from dwp_assess import project, resources
from dwp_assess.collect import server as collect
from dwp_assess.data import registry, store
from dwp_assess.instruments.loading import get_instrument

CHROMIUM = "/usr/bin/chromium"
QUERY = "?round=competences-2026&organisation=gouda&team=gouda-team-financien"
READY = "button.dwp-next"
MiB = 1024 * 1024


def write_notebooks(folder: Path) -> None:
    shutil.copy(resources.NOTEBOOKS / "collect.ipynb", folder / "collect.ipynb")
    baseline = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        "import ipywidgets as W\n"
        "button = W.Button(description='ok')\n"
        "button.add_class('dwp-next')\n"
        "display(button)"
    )
    cell["id"] = "baseline"
    baseline.cells = [cell]
    nbformat.write(baseline, folder / "baseline.ipynb")


def kernels(server: psutil.Process) -> dict[int, psutil.Process]:
    return {p.pid: p for p in server.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())}  # fmt: skip


def load(page, url: str) -> float:
    """Seconds from navigation until the form's button is visible."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(READY, timeout=180_000)
    return time.perf_counter() - start


def memory(procs) -> tuple[float, float]:
    """Median RSS and USS in MiB of ``procs``."""
    infos = [p.memory_full_info() for p in procs]
    return (statistics.median(i.rss for i in infos) / MiB, statistics.median(i.uss for i in infos) / MiB)  # fmt: skip


def open_sessions(browser, server, url: str, n: int) -> tuple[list, list]:
    """Open ``n`` pages one after another; return the pages and their new kernels."""
    before = set(kernels(server))
    context = browser.new_context()
    pages = []
    for _ in range(n):
        page = context.new_page()
        load(page, url)
        pages.append(page)
    time.sleep(2)  # let the kernels settle after the page is drawn
    new = [p for pid, p in kernels(server).items() if pid not in before]
    return pages, new, context


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="dwp-bench-form-"))
    os.environ[project.PROJECT_ENV] = str(project.create(folder / "project").root)
    url_db = f"sqlite:///{folder / 'dwp.sqlite'}"
    engine = store.connect(url_db)
    registry.import_registry(engine, resources.SAMPLE_DATA / "organisations.csv", resources.SAMPLE_DATA / "teams.csv")  # fmt: skip
    store.create_round(engine, get_instrument("competences"), "2026")
    notebooks = folder / "notebooks"
    notebooks.mkdir()
    write_notebooks(notebooks)
    port = collect.free_port()
    process = collect.start("competences-2026", port, url_db, data_dir=folder / "data", notebook=notebooks)  # fmt: skip
    base = collect.base_url(port)
    form_url = f"{base}voila/render/collect.ipynb{QUERY}"
    baseline_url = f"{base}voila/render/baseline.ipynb"
    try:
        collect.wait_until_ready(base, process)
        server = psutil.Process(process.pid)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            page = browser.new_page()
            first_form = load(page, form_url)
            warm_form = statistics.median(load(page, form_url) for _ in range(5))
            first_base = load(page, baseline_url)
            warm_base = statistics.median(load(page, baseline_url) for _ in range(5))
            page.close()
            collect.stop(process)  # a fresh server: measure open sessions without old kernels
            port = collect.free_port()
            base = collect.base_url(port)
            form_url = f"{base}voila/render/collect.ipynb{QUERY}"
            baseline_url = f"{base}voila/render/baseline.ipynb"
            process = collect.start("competences-2026", port, url_db, data_dir=folder / "data", notebook=notebooks)  # fmt: skip
            collect.wait_until_ready(base, process)
            server = psutil.Process(process.pid)
            _, base_kernels, base_ctx = open_sessions(browser, server, baseline_url, 5)
            base_rss, base_uss = memory(base_kernels)
            _, form_kernels, form_ctx = open_sessions(browser, server, form_url, 5)
            form_rss, form_uss = memory(form_kernels)
            server_rss = server.memory_info().rss / MiB
            base_ctx.close()
            form_ctx.close()
            context = browser.new_context()
            pages = [context.new_page() for _ in range(10)]
            start = time.perf_counter()
            for p in pages:
                p.goto(form_url, wait_until="commit")
            for p in pages:
                p.bring_to_front()
                p.wait_for_selector(READY, timeout=180_000)
            ten_at_once = time.perf_counter() - start
            context.close()
            browser.close()
    finally:
        collect.stop(process)
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)

    available = psutil.virtual_memory().available / MiB
    capacity = int((available - 1024) // form_uss)
    cpus = psutil.cpu_count()
    print(f"machine: {cpus} cores, {psutil.virtual_memory().total / MiB / 1024:.1f} GiB, "
          f"{available / 1024:.1f} GiB available")  # fmt: skip
    print("time until usable in Chromium (s)      form   baseline  ratio")
    print(f"  first load after server start       {first_form:5.2f}   {first_base:5.2f}    {first_form / first_base:4.1f}x")  # fmt: skip
    print(f"  warm load (median of 5)             {warm_form:5.2f}   {warm_base:5.2f}    {warm_form / warm_base:4.1f}x")  # fmt: skip
    print("memory per open session (kernel, MiB)  form   baseline  ratio")
    print(f"  RSS (median of 5)                   {form_rss:5.1f}   {base_rss:5.1f}    {form_rss / base_rss:4.2f}x")  # fmt: skip
    print(f"  USS, freed when culled (median of 5) {form_uss:5.1f}   {base_uss:5.1f}    {form_uss / base_uss:4.2f}x")  # fmt: skip
    print(f"Voilà server RSS with 10 sessions open: {server_rss:.0f} MiB")
    print(f"ten forms opened at once: all usable after {ten_at_once:.1f} s")
    print(f"capacity: about {capacity} open form sessions in the available memory (USS, 1 GiB kept "
          f"free); CPU bounds concurrent page loads to about {10 / ten_at_once:.1f} per second")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
