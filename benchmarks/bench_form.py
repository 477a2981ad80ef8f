"""Benchmark: a department opening the form at once and answering at a human pace.

Two form servers, each on a fresh store, in the same run:

* **today** (``--baseline DIR``, default ``/work/main`` when it exists): the form server of
  another checkout of dwp-assess (the ``main`` branch), run from that folder;
* **new**: this checkout's form server (``dwp_assess/collect/web.py``).

On SQLite and on PostgreSQL (a private server started from Debian's ``postgresql``; skipped
with a note where it is not installed), ``--sessions`` respondents (300) open their team's
link within ``--window`` seconds (60) and answer every question at a human pace (``--pace``
seconds per answer on average, 3), driven at the HTTP level exactly as each server's page
script does: page, stylesheet and script; then today's script saves a draft after every answer
and asks for a check per part, the new one asks for a check per part (which keeps the draft) and
saves at most every 30 s between parts; then the send. Measured per server and store:

* usable: time until page, stylesheet and script have arrived (p50, p95);
* receipt: time from pressing Versturen until the receipt has arrived (p95);
* stored: every respondent's answers stored exactly once, as answered;
* server CPU per completed session (user + system CPU-seconds of the server process during the
  crowd, divided by the sessions completed), and the ratio today / new;
* the 95th percentiles' ratio today / new.

A single respondent in Chromium (``/usr/bin/chromium``, skipped when absent) gives the time
until the new form is usable (its script's ``dwp-ready`` mark), first load and warm.

Targets (issue 25): usable p95 < 2 s, receipt p95 < 2 s, all stored exactly once on both
stores, server CPU per completed session <= 0.1 s. Exit code 1 when the new server misses one.
Only loopback addresses are used. The load average before and after is printed: the machine
is shared, so the figures are pessimistic.

Run: ``python benchmarks/bench_form.py`` (about 3 minutes per server and store);
``--stores sqlite``, ``--no-baseline``, ``--sessions 50 --pace 1`` for a quick look.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import http.client
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
import uuid
from pathlib import Path
from urllib.parse import urlencode

import psutil

from dwp_assess import project, resources
from dwp_assess.collect import questionnaire as q
from dwp_assess.collect import server as collect
from dwp_assess.data import invitations, registry, store
from dwp_assess.instruments.loading import get_instrument

CHROMIUM = "/usr/bin/chromium"
ROUND = "competences-2026"
SAVE_EVERY = 30.0  # the new script's draft save between parts (form.js SAVE_DELAY)


# -- stores ------------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres():
    """A private PostgreSQL server on a loopback port (as ``tests/pg_server.py``); yields a
    function that makes a fresh database and returns its URL, or None without PostgreSQL."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        yield None
        return
    bin_dir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="dwp-bench-pg-"))
    data, port = root / "data", collect.free_port()
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")

    def run(program: str, *args: str) -> None:
        subprocess.run([*as_user, str(bin_dir / program), *args], check=True, capture_output=True)

    run(
        "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"
    )
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c max_connections=200"
    run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start")

    def fresh() -> str:
        name = f"bench_{uuid.uuid4().hex[:8]}"
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name)
        return f"postgresql://postgres@127.0.0.1:{port}/{name}"

    try:
        yield fresh
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def prepare_store(url_db: str, instrument) -> dict:
    """The registry and the round in a fresh store; the team link with its invitation token
    (today's server ignores the token)."""
    engine = store.connect(url_db)
    registry.import_registry(
        engine, resources.SAMPLE_DATA / "organisations.csv", resources.SAMPLE_DATA / "teams.csv"
    )
    store.create_round(engine, instrument, "2026")
    unit = invitations.Unit("gouda", "gouda-team-financien")
    token = invitations.shared(engine, ROUND, unit, "group").token
    engine.dispose()
    return {"round": ROUND, "organisation": "gouda", "team": unit.team_id, "token": token}


# -- servers -------------------------------------------------------------------------------------


def start_server(
    url_db: str, data_dir: Path, checkout: Path | None
) -> tuple[subprocess.Popen, str]:
    """A form server on a free loopback port: this checkout's, or the one in ``checkout``
    (run with that folder first on ``PYTHONPATH``, from the data folder)."""
    port = collect.free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = collect.server_env(ROUND, url_db, data_dir)
    command = [sys.executable, "-m", "dwp_assess.collect.web", f"--port={port}", "--host=127.0.0.1"]
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    process = subprocess.Popen(
        command,
        env=env,
        cwd=data_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = collect.base_url(port)
    collect.wait_until_ready(base, process)
    return process, base


# -- a respondent at the HTTP level -----------------------------------------------------------


class Respondent:
    """What a page's script does, as requests, at a human pace. ``style`` "today": a draft
    save after every answer and a check per part; "new": a check per part (it keeps the
    draft) and a draft save at most every ``SAVE_EVERY`` seconds between parts."""

    def __init__(self, base: str, link: dict, instrument, seed: int, pace: float, style: str):
        self.base, self.link, self.instrument, self.seed = base, link, instrument, seed
        self.pace, self.style, self.rng = pace, style, random.Random(seed)
        self.host, self.port = "127.0.0.1", int(base.rstrip("/").rsplit(":", 1)[1])
        self.connection: http.client.HTTPConnection | None = None
        self.cookie, self.usable, self.receipt, self.error, self.response_id = (
            "",
            None,
            None,
            None,
            None,
        )
        self.chosen: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, kind: str | None = None
    ) -> str:
        """One request on the respondent's own keep-alive connection (as a browser keeps
        one), opened again once when the server closed it meanwhile."""
        headers = {"Cookie": self.cookie} if self.cookie else {}
        headers |= {"Content-Type": kind} if kind else {}
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.connection.request(method, "/" + path, body=body, headers=headers)
                reply = self.connection.getresponse()
                data = reply.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        if reply.status >= 400:
            raise RuntimeError(f"{method} {path.split('?')[0]}: HTTP {reply.status}")
        given = reply.getheader("Set-Cookie")
        if given:
            self.cookie = given.split(";")[0]
        if reply.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        return data.decode()

    def get(self, path: str) -> str:
        return self.request("GET", path)

    def post(self, path: str, body: dict) -> dict:
        data = json.dumps({"query": self.query, "draft": self.draft, **body}).encode()
        return json.loads(self.request("POST", path, data, "application/json"))

    def think(self) -> None:
        time.sleep(self.pace * self.rng.uniform(0.5, 1.5))

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - counted as a failed session
            self.error = repr(exc)
        finally:
            if self.connection is not None:
                self.connection.close()

    def _run(self) -> None:
        start = time.perf_counter()
        page = self.get("?" + urlencode(self.link))  # a new browser: its own connection
        for asset in re.findall(r'(?:href|src)="(static/[^"]+)"', page):
            self.get(asset.replace("&amp;", "&"))
        self.usable = time.perf_counter() - start
        config = json.loads(
            re.search(r'id="dwp-config" type="application/json">(.*?)</script>', page).group(1)
        )
        self.query, self.draft = config["query"], config["draft"]
        state = {
            "answers": {},
            "role": ["lawyer", "data_scientist"][self.seed % 2],
            "texts": {},
            "page": 0,
        }
        self.think()
        if self.style == "today":
            self.post("api/draft", {"state": state})
        saved = time.monotonic()
        for n, dim in enumerate(self.instrument.dimensions, start=1):
            if self.post("api/check", {"state": state, "part": n - 1})["problem"]:
                raise RuntimeError("a complete part was refused")
            state["page"] = n
            saved = time.monotonic()
            for item in self.instrument.items_of(dim.id):
                self.think()
                options = q.option_pairs(self.instrument, item.id, "nl")
                key = options[random.Random(f"{self.seed}:{item.id}").randrange(len(options))][1]
                state["answers"][item.id] = self.chosen[item.id] = key
                if self.style == "today" or time.monotonic() - saved >= SAVE_EVERY:
                    self.post("api/draft", {"state": state})
                    saved = time.monotonic()
        self.post("api/check", {"state": state, "part": len(self.instrument.dimensions)})
        state["page"] += 1
        sent = time.perf_counter()
        reply = self.post("api/submit", {"state": state})
        self.receipt = time.perf_counter() - sent
        if "result" not in reply:
            raise RuntimeError(reply)
        self.response_id = f"form:{self.draft}"


def p95(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=20)[-1] if len(values) > 1 else (values or [float("nan")])[0]
    )


def crowd(url_db: str, data_dir: Path, checkout: Path | None, style: str, args, instrument) -> dict:
    """``args.sessions`` respondents opening within ``args.window`` seconds, at ``args.pace``."""
    link = prepare_store(url_db, instrument)
    process, base = start_server(url_db, data_dir, checkout)
    server = psutil.Process(process.pid)
    people = [Respondent(base, link, instrument, n, args.pace, style) for n in range(args.sessions)]
    threads = []
    try:
        cpu_before = sum(server.cpu_times()[:2])
        start = time.perf_counter()
        for n, person in enumerate(people):
            delay = start + n * args.window / args.sessions - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            thread = threading.Thread(target=person.run, daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(900)
        elapsed = time.perf_counter() - start
        cpu = sum(server.cpu_times()[:2]) - cpu_before
        peak = server.memory_info().rss / 2**20
    finally:
        collect.stop(process)
    engine = store.connect(url_db)
    responses = store.load_responses(engine, ROUND)
    answers = store.load_answers(engine, ROUND)
    engine.dispose()
    done = [p for p in people if p.response_id]
    exact = 0
    for person in done:
        own = answers[answers["response_id"] == person.response_id]
        keys = {
            r.item_id: r.code if isinstance(r.code, str) else str(int(r.value))
            for r in own.itertuples()
        }
        exact += keys == person.chosen and len(own) == len(person.chosen)
    usable = [p.usable for p in people if p.usable is not None]
    receipts = [p.receipt for p in done]
    return {
        "usable_p50": statistics.median(usable) if usable else float("nan"),
        "usable_p95": p95(usable),
        "receipt_p95": p95(receipts),
        "completed": len(done),
        "stored": len(responses),
        "exact": exact,
        "failed": [p.error for p in people if p.error],
        "cpu_per_session": cpu / max(len(done), 1),
        "per_minute_per_core": len(done) / cpu * 60 if cpu else float("nan"),
        "elapsed": elapsed,
        "rss": peak,
    }


# -- a single respondent in Chromium -----------------------------------------------------------


def single(url_db: str, data_dir: Path, instrument) -> tuple[float, float] | None:
    """The new form in Chromium: seconds until usable, first load and median of five more."""
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    link = prepare_store(url_db, instrument)
    process, base = start_server(url_db, data_dir, None)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_context().new_page()
            times = []
            for _ in range(6):
                page.goto(base + "?" + urlencode(link), wait_until="commit")
                page.wait_for_function(
                    "performance.getEntriesByName('dwp-ready').length > 0", timeout=60_000
                )
                times.append(
                    page.evaluate("performance.getEntriesByName('dwp-ready')[0].startTime") / 1000
                )
            browser.close()
    finally:
        collect.stop(process)
    return times[0], statistics.median(times[1:])


# -- the run ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument(
        "--window", type=float, default=60.0, help="seconds in which all open the link"
    )
    parser.add_argument("--pace", type=float, default=3.0, help="mean seconds per answer")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument(
        "--baseline", type=Path, default=Path("/work/main"), help="checkout of today's server"
    )
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    baseline = (
        None
        if args.no_baseline or not (args.baseline / "dwp_assess").is_dir()
        else args.baseline.resolve()
    )
    folder = Path(tempfile.mkdtemp(prefix="dwp-bench-form-"))
    project.activate(project.create(folder / "project"))  # the project every call below works in
    instrument = get_instrument("competences", 1)
    load_before = os.getloadavg()
    results: dict = {}
    try:
        with postgres() as fresh_pg:
            for kind in [s.strip() for s in args.stores.split(",") if s.strip()]:
                for name, checkout, style in (("today", baseline, "today"), ("new", None, "new")):
                    if name == "today" and baseline is None:
                        continue
                    if kind == "postgresql" and fresh_pg is None:
                        results[(kind, name)] = None
                        continue
                    url_db = (
                        fresh_pg()
                        if kind == "postgresql"
                        else f"sqlite:///{folder / f'{kind}-{name}.sqlite'}"
                    )
                    print(
                        f"running: {name} server, {kind}, {args.sessions} sessions ...", flush=True
                    )
                    results[(kind, name)] = crowd(
                        url_db, folder / f"data-{kind}-{name}", checkout, style, args, instrument
                    )
        results["single"] = single(
            f"sqlite:///{folder / 'single.sqlite'}", folder / "data-single", instrument
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return report(results, args, baseline, load_before, os.getloadavg())


def report(results: dict, args, baseline: Path | None, load_before, load_after) -> int:
    cpus, total = psutil.cpu_count(), psutil.virtual_memory().total / 2**30
    print(
        f"\nmachine: {cpus} cores, {total:.1f} GiB; load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (1 min)"
    )
    print(
        f"crowd: {args.sessions} respondents opening within {args.window:.0f} s, {args.pace:.1f} s per answer on average; "
        f"today = {baseline or 'not run'}"
    )
    missed = []
    for kind in ("sqlite", "postgresql"):
        rows = {name: results.get((kind, name)) for name in ("today", "new")}
        if not any(k[0] == kind for k in results if isinstance(k, tuple)):
            continue
        print(f"\n{kind}:{'':12}{'today':>10}{'new':>10}{'today/new':>11}")
        new = rows["new"]
        if new is None:
            print("  not run (PostgreSQL is not installed)")
            continue
        today = rows["today"]
        for label, key, fmt in (
            ("usable p50 (s)", "usable_p50", "{:.2f}"),
            ("usable p95 (s)", "usable_p95", "{:.2f}"),
            ("receipt p95 (s)", "receipt_p95", "{:.2f}"),
            ("completed", "completed", "{}"),
            ("stored exactly once", "exact", "{}"),
            ("server CPU/session (s)", "cpu_per_session", "{:.3f}"),
            ("done per min per core", "per_minute_per_core", "{:.0f}"),
            ("server RSS (MiB)", "rss", "{:.0f}"),
        ):
            a = fmt.format(today[key]) if today else "–"
            b = fmt.format(new[key])
            ratio = (
                f"{today[key] / new[key]:.1f}"
                if today
                and key.endswith(("p50", "p95", "per_session"))
                and new[key]  # lower is better
                else ""
            )
            print(f"  {label:<22}{a:>10}{b:>10}{ratio:>11}")
        for name, row in rows.items():
            for failure in (row or {}).get("failed", [])[:3]:
                print(f"  {name} failed session: {failure}")
        if new["usable_p95"] >= 2:
            missed.append(f"{kind}: usable p95 {new['usable_p95']:.2f} s >= 2 s")
        if new["receipt_p95"] >= 2:
            missed.append(f"{kind}: receipt p95 {new['receipt_p95']:.2f} s >= 2 s")
        if not new["exact"] == new["stored"] == new["completed"] == args.sessions:
            missed.append(f"{kind}: {new['exact']} of {args.sessions} stored exactly once")
        if new["cpu_per_session"] > 0.1:
            missed.append(f"{kind}: {new['cpu_per_session']:.3f} CPU-s per session > 0.1")
    if results.get("single"):
        first, warm = results["single"]
        print(
            f"\none respondent in Chromium, new form usable after {first:.2f} s (first load), {warm:.2f} s (warm, median of 5)"
        )
    print("targets met" if not missed else "targets missed: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
