"""Benchmark: the questionnaire form for a whole organisation at once, today's and the new.

Two servers against one temporary SQLite store with a competences round (30 items):

* **today** (``--baseline``): the ipywidgets form of ``notebooks/collect.ipynb`` served by Voilà
  with the options ``dwp-assess collect`` used before (a kernel per page);
* **new**: ``dwp-assess collect``'s form server (``dwp_assess/collect/web.py``: no kernel per
  respondent).

Measured in one run, on whatever else the machine is doing (the load average is printed):

* a single respondent: time until the form is usable (its first question answerable) in
  Debian's Chromium, the first load after the server starts and the median of five more;
* a crowd: today's form: ten Chromium pages opened at the same moment, time until all are
  usable, and the memory of the server and its kernels; the new form: 50 sessions opened
  within 60 seconds (one every 1.2 s), of which 5 are real Chromium pages that fill in and
  submit the form and 45 are driven at the HTTP level exactly as the page's script does
  (page, stylesheet, script; a draft save per answer, a check per part, submit): time until
  usable per session (95th percentile), every answer stored exactly once, and the peak memory
  (RSS) of the server and everything it started.

No request is intercepted (Playwright's sync API would hold intercepted requests while the
script waits for the next session's start). "Usable" in Chromium is the ``dwp-ready`` mark the form's script sets when it shows the
first part (Voilà: the first question's radio buttons visible); at the HTTP level it is the
moment the page, its stylesheet and its script have arrived.

Targets (issue 17): 50 sessions within 60 s usable in < 5 s at the 95th percentile, all 50
stored exactly once, server and kernels <= 6 GiB; a single respondent usable in < 1.5 s.
Exit code 1 when a target is missed.

Run: ``python benchmarks/bench_form.py`` (needs ``/usr/bin/chromium``); ``--no-baseline``
skips today's form.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import psutil
from playwright.sync_api import sync_playwright

from dwp_assess import project, resources
from dwp_assess.collect import questionnaire as q
from dwp_assess.collect import server as collect
from dwp_assess.data import registry, store
from dwp_assess.instruments.loading import get_instrument

CHROMIUM = "/usr/bin/chromium"
ROUND = "competences-2026"
LINK = {"round": ROUND, "organisation": "gouda", "team": "gouda-team-financien"}
SESSIONS, WINDOW, REAL = 50, 60.0, 5
MiB = 1024 * 1024


# -- servers -----------------------------------------------------------------------------


def voila_command(port: int, data_dir: Path) -> list[str]:
    """Today's server: Voilà on the form notebook, with the options ``collect`` used."""
    return [
        sys.executable, "-m", "voila", str(resources.NOTEBOOKS / "collect.ipynb"), "--no-browser",
        "--Voila.ip=127.0.0.1", f"--Voila.port={port}", "--Voila.port_retries=0",
        "--MappingKernelManager.cull_idle_timeout=300", "--MappingKernelManager.cull_interval=30",
        "--VoilaExecutor.iopub_timeout=60", "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.http_header_envs=Cookie",
        f"--Voila.connection_dir_root={project.jupyter_dirs(data_dir)['JUPYTER_RUNTIME_DIR']}",
    ]  # fmt: skip


def start_today(url_db: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = collect.free_port()
    process = subprocess.Popen(
        voila_command(port, data_dir), env=collect.server_env(ROUND, url_db, data_dir),
        cwd=resources.NOTEBOOKS, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    base = collect.base_url(port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "voila/static/voila.js", timeout=2)
            return process, base
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("Voilà did not start")


def start_new(url_db: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = collect.free_port()
    process = collect.start(ROUND, port, url_db, data_dir=data_dir)
    base = collect.base_url(port)
    collect.wait_until_ready(base, process)
    return process, base


def tree_rss(process: subprocess.Popen) -> float:
    """RSS in MiB of the server and every process it started."""
    try:
        root = psutil.Process(process.pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total / MiB


class PeakMemory:
    """Samples ``tree_rss`` every 0.5 s in a thread; ``peak`` is the largest sample."""

    def __init__(self, process: subprocess.Popen):
        self.process, self.peak, self._stop = process, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.process))
            self._stop.wait(0.5)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.process))
        return self.peak


# -- a respondent in Chromium ----------------------------------------------------------------


def usable_seconds(page, voila: bool, timeout: float = 240_000) -> float:
    """Seconds from the start of navigation until the first question can be answered."""
    if voila:
        page.wait_for_selector(".dwp-role input[type=radio]", timeout=timeout)
        return page.evaluate("performance.now()") / 1000
    page.wait_for_function("performance.getEntriesByName('dwp-ready').length > 0", timeout=timeout)
    return page.evaluate("performance.getEntriesByName('dwp-ready')[0].startTime") / 1000


def single(browser, base: str, voila: bool) -> tuple[float, float]:
    """First load after the server start, and the median of five more (one browser)."""
    context = browser.new_context()
    page = context.new_page()
    url = base + "?" + urlencode(LINK)
    times = []
    for _ in range(6):
        page.goto(url, wait_until="commit")
        times.append(usable_seconds(page, voila))
    context.close()
    return times[0], statistics.median(times[1:])


def fill_and_submit(page, instrument, seed: int) -> dict[str, str]:
    """Fill in every part by clicking, as a respondent does, and submit; the chosen keys."""
    page.locator(".dwp-role input[type=radio]").nth(seed % 5).check()
    chosen = {}
    for dim in instrument.dimensions:
        page.locator("button.dwp-next").click()
        for item in instrument.items_of(dim.id):
            options = q.option_pairs(instrument, item.id, "nl")
            index = random.Random(f"{seed}:{item.id}").randrange(len(options))
            page.locator(f".dwp-item-{item.id} input[type=radio]").nth(index).check()
            chosen[item.id] = options[index][1]
    page.locator("button.dwp-next").click()
    page.locator("button.dwp-submit").click()
    page.wait_for_selector(".dwp-receipt", timeout=120_000)
    return chosen


# -- a respondent at the HTTP level ----------------------------------------------------------


class HttpRespondent:
    """What the page's script does, as requests: open, save a draft per answer, check each
    part, submit. ``usable`` is the time until the page, stylesheet and script arrived."""

    def __init__(self, base: str, instrument, seed: int):
        self.base, self.instrument, self.seed = base, instrument, seed
        self.cookie, self.usable, self.error, self.response_id, self.chosen = (
            "",
            None,
            None,
            None,
            {},
        )

    def get(self, path: str) -> str:
        request = urllib.request.Request(self.base + path, headers={"Cookie": self.cookie} if self.cookie else {})  # fmt: skip
        with urllib.request.urlopen(request, timeout=120) as reply:
            given = reply.headers.get("Set-Cookie")
            if given:
                self.cookie = given.split(";")[0]
            return reply.read().decode()

    def post(self, path: str, body: dict) -> dict:
        data = json.dumps({"query": self.query, "draft": self.draft, **body}).encode()
        request = urllib.request.Request(self.base + path, data=data, method="POST",
                                         headers={"Content-Type": "application/json", "Cookie": self.cookie})  # fmt: skip
        with urllib.request.urlopen(request, timeout=120) as reply:
            return json.loads(reply.read())

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - counted as a failed session
            self.error = repr(exc)

    def _run(self) -> None:
        start = time.perf_counter()
        page = self.get("?" + urlencode(LINK))
        self.get("static/form.css")
        self.get("static/form.js")
        self.usable = time.perf_counter() - start
        config = json.loads(re.search(r'id="dwp-config" type="application/json">(.*?)</script>', page).group(1))  # fmt: skip
        self.query, self.draft = config["query"], config["draft"]
        state = {"answers": {}, "role": ["lawyer", "data_scientist"][self.seed % 2], "texts": {}, "page": 0}  # fmt: skip
        self.post("api/draft", {"state": state})
        for n, dim in enumerate(self.instrument.dimensions, start=1):
            assert self.post("api/check", {"state": state, "part": n - 1})["problem"] == ""
            state["page"] = n
            for item in self.instrument.items_of(dim.id):
                options = q.option_pairs(self.instrument, item.id, "nl")
                key = options[random.Random(f"{self.seed}:{item.id}").randrange(len(options))][1]
                state["answers"][item.id] = self.chosen[item.id] = key
                self.post("api/draft", {"state": state})
                time.sleep(0.05)
        state["page"] += 1
        reply = self.post("api/submit", {"state": state})
        if "result" not in reply:
            raise RuntimeError(reply)
        self.response_id = f"form:{self.draft}"


# -- the runs --------------------------------------------------------------------------------


def crowd_today(browser, base: str, process) -> tuple[float, float]:
    """Ten Chromium pages opened at once: seconds until all are usable, peak MiB."""
    memory = PeakMemory(process)
    contexts = [browser.new_context() for _ in range(10)]
    pages = [c.new_page() for c in contexts]
    start = time.perf_counter()
    for page in pages:
        page.goto(base + "?" + urlencode(LINK), wait_until="commit")
    for page in pages:
        page.bring_to_front()
        page.wait_for_selector(".dwp-role input[type=radio]", timeout=300_000)
    all_usable = time.perf_counter() - start
    time.sleep(2)
    peak = memory.stop()
    for context in contexts:
        context.close()
    return all_usable, peak


def crowd_new(browser, base: str, process, engine, instrument) -> dict:
    """50 sessions opened within 60 s (5 in Chromium), every one filled in and submitted."""
    memory = PeakMemory(process)
    before = len(store.load_responses(engine, ROUND))
    real_slots = set(range(0, SESSIONS, SESSIONS // REAL))
    http, threads, pages = [], [], []
    start = time.perf_counter()
    for n in range(SESSIONS):
        delay = start + n * WINDOW / SESSIONS - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        if n in real_slots:
            context = browser.new_context()
            page = context.new_page()
            page.goto(base + "?" + urlencode(LINK), wait_until="commit")
            pages.append((n, page))
        else:
            respondent = HttpRespondent(base, instrument, n)
            thread = threading.Thread(target=respondent.run, daemon=True)
            thread.start()
            http.append(respondent)
            threads.append(thread)
    opened = time.perf_counter() - start
    real_usable, real_chosen = [], []
    for n, page in pages:
        page.bring_to_front()
        real_usable.append(usable_seconds(page, voila=False))
        real_chosen.append((fill_and_submit(page, instrument, n), page))
    for thread in threads:
        thread.join(300)
    peak = memory.stop()
    usable = [r.usable for r in http if r.usable is not None] + real_usable
    failed = [r.error for r in http if r.error]
    responses = store.load_responses(engine, ROUND)
    answers = store.load_answers(engine, ROUND)
    expected = {r.response_id: r.chosen for r in http if r.response_id}
    for chosen, page in real_chosen:
        code = re.search(r"[0-9A-F]{4}-[0-9A-F]{4}", page.inner_text(".dwp-receipt")).group(0)
        prefix = "form:" + code.replace("-", "").lower()
        ids = [i for i in responses["response_id"] if i.startswith(prefix)]
        expected[ids[0] if len(ids) == 1 else prefix] = chosen
        page.context.close()
    exact = 0
    for response_id, chosen in expected.items():
        own = answers[answers["response_id"] == response_id]
        keys = {r.item_id: r.code if isinstance(r.code, str) else str(int(r.value)) for r in own.itertuples()}  # fmt: skip
        exact += keys == chosen and len(own) == len(chosen)
    return {
        "opened": opened,
        "p50": statistics.median(usable),
        "p95": statistics.quantiles(usable, n=20)[-1],
        "max": max(usable),
        "real": real_usable,
        "sessions": len(usable),
        "failed": failed,
        "stored": len(responses) - before,
        "exact": exact,
        "peak": peak,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-baseline", action="store_true", help="skip today's form")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dwp-bench-form-"))
    os.environ[project.PROJECT_ENV] = str(project.create(folder / "project").root)
    url_db = f"sqlite:///{folder / 'dwp.sqlite'}"
    data_dir = folder / "data"
    engine = store.connect(url_db)
    registry.import_registry(engine, resources.SAMPLE_DATA / "organisations.csv", resources.SAMPLE_DATA / "teams.csv")  # fmt: skip
    instrument = get_instrument("competences", 1)
    store.create_round(engine, instrument, "2026")
    load_before = os.getloadavg()
    results: dict = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            if not args.no_baseline:
                process, base = start_today(url_db, data_dir)
                try:
                    results["today_single"] = single(browser, base, voila=True)
                finally:
                    collect.stop(process)
                process, base = start_today(url_db, data_dir)  # fresh: no kernels of the above
                try:
                    results["today_crowd"] = crowd_today(browser, base, process)
                finally:
                    collect.stop(process)
            process, base = start_new(url_db, data_dir)
            try:
                results["new_single"] = single(browser, base, voila=False)
                results["new_crowd"] = crowd_new(browser, base, process, engine, instrument)
            finally:
                collect.stop(process)
            browser.close()
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return report(results, load_before, os.getloadavg())


def report(results: dict, load_before, load_after) -> int:
    cpus, total = psutil.cpu_count(), psutil.virtual_memory().total / MiB / 1024
    print(f"machine: {cpus} cores, {total:.1f} GiB; load average before {load_before[0]:.1f}, "
          f"after {load_after[0]:.1f} (1 min)")  # fmt: skip
    new_first, new_warm = results["new_single"]
    crowd = results["new_crowd"]
    print("single respondent, usable in Chromium (s)   today    new")
    if "today_single" in results:
        today_first, today_warm = results["today_single"]
        print(f"  first load after server start            {today_first:6.2f} {new_first:6.2f}")
        print(f"  warm load (median of 5)                  {today_warm:6.2f} {new_warm:6.2f}")
        all_usable, today_peak = results["today_crowd"]
        print(f"today: 10 Chromium pages opened at once: all usable after {all_usable:.1f} s; "
              f"server + kernels peak {today_peak:.0f} MiB ({today_peak / 10:.0f} MiB per session)")  # fmt: skip
    else:
        print(f"  first load after server start              –    {new_first:6.2f}")
        print(f"  warm load (median of 5)                    –    {new_warm:6.2f}")
    print(f"new: {crowd['sessions']} sessions opened within {crowd['opened']:.1f} s "
          f"({REAL} in Chromium): usable p50 {crowd['p50']:.2f} s, p95 {crowd['p95']:.2f} s, "
          f"max {crowd['max']:.2f} s; Chromium pages {', '.join(f'{x:.2f}' for x in crowd['real'])} s")  # fmt: skip
    print(f"     stored {crowd['stored']} responses, {crowd['exact']} exactly as answered; "
          f"{len(crowd['failed'])} failed sessions; server peak {crowd['peak']:.0f} MiB")  # fmt: skip
    for failure in crowd["failed"][:5]:
        print("     failed:", failure)
    missed = []
    if crowd["p95"] >= 5:
        missed.append(f"p95 usable {crowd['p95']:.2f} s >= 5 s")
    if crowd["stored"] != SESSIONS or crowd["exact"] != SESSIONS:
        missed.append(f"{crowd['exact']} of {SESSIONS} stored exactly once")
    if crowd["peak"] > 6 * 1024:
        missed.append(f"memory {crowd['peak']:.0f} MiB > 6 GiB")
    if new_warm >= 1.5:
        missed.append(f"single respondent {new_warm:.2f} s >= 1.5 s")
    print("targets met" if not missed else "targets missed: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
