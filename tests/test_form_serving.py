"""The form server as a process on a real network (``collect/serving.py``): idle connections at
a low open-file limit, logs that cannot flood, a graceful stop with sends in flight, the end of
the server when ``collect`` dies, and links under a reverse proxy's address.

Each test starts ``python -m dwp_assess.collect.web`` as ``dwp-assess collect`` does, against a
throwaway SQLite store with the sample registry and a competences round.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import psutil
import pytest

from dwp_assess.collect import server as collect
from dwp_assess.collect.questionnaire import option_pairs
from dwp_assess.data import invitations, registry, store

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ROUND = "competences-2026"
TEAM = invitations.Unit("gouda", "gouda-team-financien")


@pytest.fixture
def project_store(tmp_path, competences):
    url = f"sqlite:///{tmp_path / 'dwp.sqlite'}"
    engine = store.connect(url)
    registry.import_registry(engine, SAMPLE / "organisations.csv", SAMPLE / "teams.csv")
    store.create_round(engine, competences, "2026")
    link = {
        "round": ROUND,
        "organisation": "gouda",
        "team": TEAM.team_id,
        "token": invitations.shared(engine, ROUND, TEAM, "group").token,
    }
    yield engine, url, tmp_path / "data", link
    engine.dispose()


def launch(
    url: str, data_dir: Path, log: Path, file_limit: int | None = None, extra: tuple = ()
) -> tuple[subprocess.Popen, str]:
    """The form server as ``collect`` starts it, its log in ``log``; ``file_limit``: its
    open-file limit (``resource.setrlimit`` in the child)."""

    def limit():
        collect.end_with_parent()
        if file_limit:
            resource.setrlimit(
                resource.RLIMIT_NOFILE, (file_limit, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
            )

    port = collect.free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*collect.server_command(port, parent_pid=os.getpid()), *extra],
            env=collect.server_env(ROUND, url, data_dir),
            cwd=data_dir,
            stdout=out,
            stderr=out,
            start_new_session=True,
            preexec_fn=limit,
        )
    base = collect.base_url(port)
    collect.wait_until_ready(base, process)
    return process, base


def fetch(url: str, timeout: float = 60, **headers) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read().decode(), dict(reply.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode(), dict(refused.headers)


def log_lines(log: Path) -> int:
    return len(log.read_bytes().splitlines())


def test_idle_connections_at_a_low_file_limit_neither_spin_nor_flood_nor_lock_out(
    project_store, tmp_path
):
    _, url, data_dir, link = project_store
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1100 + 200
    if soft < wanted:  # this test process holds the 1,100 sockets
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"open-file limit {hard} < {wanted}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    log = tmp_path / "server.log"
    process, base = launch(url, data_dir, log, file_limit=256)
    idle = []
    try:
        port = int(base.rsplit(":", 1)[1].strip("/"))
        for _ in range(1100):  # connect and say nothing
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            idle.append(sock)
        server = psutil.Process(process.pid)
        time.sleep(1)
        before = sum(server.cpu_times()[:2])
        time.sleep(5)
        spent = sum(server.cpu_times()[:2]) - before
        for _ in range(3):  # respondents are served meanwhile
            status, page, _ = fetch(base + "?" + urlencode(link))
            assert status == 200 and "dwp-app" in page
        assert spent < 2.5, f"the server used {spent:.1f} CPU-s in 5 s with idle connections"
        assert server.num_fds() < 256
        for _ in range(300):  # a flood of bad requests: a few log lines, not one each
            fetch(base + "api/draft")
        assert log_lines(log) < 100, log.read_text()[-2000:]
        assert process.poll() is None
    finally:
        for sock in idle:
            sock.close()
        collect.stop(process)


def submit_state(instrument, seed: int) -> dict:
    answers = {}
    for n, item in enumerate(instrument.items):
        keys = [k for _, k in option_pairs(instrument, item.id, "nl")]
        answers[item.id] = keys[(n + seed) % len(keys)]
    return {
        "answers": answers,
        "role": "lawyer",
        "texts": {},
        "page": len(instrument.dimensions) + 1,
    }


def open_form(base: str, link: dict) -> tuple[str, dict]:
    with urllib.request.urlopen(base + "?" + urlencode(link), timeout=60) as reply:
        cookie = reply.headers["Set-Cookie"].split(";")[0]
        page = reply.read().decode()
    return cookie, json.loads(re.search(r'type="application/json">(.*?)</script>', page).group(1))


def test_sigterm_lets_the_sends_in_flight_finish(project_store, tmp_path, competences):
    engine, url, data_dir, link = project_store
    process, base = launch(url, data_dir, tmp_path / "server.log")
    forms = [open_form(base, link) for _ in range(40)]
    replies: dict[int, object] = {}
    first_receipt = threading.Event()

    def send(n: int) -> None:
        cookie, config = forms[n]
        body = json.dumps(
            {
                "query": config["query"],
                "draft": config["draft"],
                "state": submit_state(competences, n),
            }
        )
        request = urllib.request.Request(
            base + "api/submit",
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Cookie": cookie},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                replies[n] = json.loads(reply.read())
                first_receipt.set()
        except OSError as exc:  # not accepted any more: the browser says so, the retry is safe
            replies[n] = exc

    threads = [threading.Thread(target=send, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    # Stop the server once the first send has its receipt, the others still on their way
    # (a fixed 0.2 s could pass on a loaded machine before any send had arrived).
    assert first_receipt.wait(60)
    process.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join(60)
    assert process.wait(30) == 0  # stopped by itself, not killed
    received = {
        f"form:{forms[n][1]['draft']}"
        for n, r in replies.items()
        if isinstance(r, dict) and "result" in r
    }
    stored = set(store.load_responses(engine, ROUND)["response_id"])
    assert received and received == stored  # everyone stored got the receipt, and no one else


def test_the_server_ends_when_collect_dies(project_store, tmp_path):
    _, url, data_dir, link = project_store
    port = collect.free_port()
    code = (
        "import sys, time; from dwp_assess.collect import server as s; "
        f"p = s.start({ROUND!r}, {port}, {url!r}, data_dir={str(data_dir)!r}); "
        "print(p.pid, flush=True); time.sleep(600)"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        child = psutil.Process(int(parent.stdout.readline()))
        collect.wait_until_ready(collect.base_url(port), timeout=60)
        parent.kill()  # SIGKILL: no clean-up runs in the parent
        parent.wait(10)
        gone, _ = psutil.wait_procs([child], timeout=20)
        assert gone, "the form server outlived the collect command"
        assert collect.port_free(port)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)


def test_collect_behind_a_proxy_prints_its_address_and_answers_its_host(project_store, tmp_path):
    engine, url, data_dir, _ = project_store
    port = collect.free_port()
    public = "https://vragenlijst.example.nl/dwp/"
    env = {**os.environ, "DWP_DATABASE_URL": url, "DWP_DATA_DIR": str(data_dir)}
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dwp_assess",
            "collect",
            "--round",
            ROUND,
            "--port",
            str(port),
            "--base-url",
            public,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        lines = []
        while not any("Ctrl+C" in line for line in lines):
            line = cli.stdout.readline()
            assert line, cli.stderr.read()
            lines.append(line)
        text = "".join(lines)
        token = invitations.shared(engine, ROUND, TEAM, "group").token
        form = (
            public
            + "?"
            + urlencode(
                {"round": ROUND, "organisation": "gouda", "team": TEAM.team_id, "token": token}
            )
        )
        assert form in text and "http://127.0.0.1" not in text
        counts = re.findall(r"https://vragenlijst\.example\.nl/dwp/count\?token=\S+", text)
        assert len(counts) == len(
            store.organisations(engine)
        )  # one facilitator link per organisation
        collect.wait_until_ready(collect.base_url(port), timeout=60)
        local = form.replace(public, collect.base_url(port))
        status, page, headers = fetch(
            local, Host="vragenlijst.example.nl", **{"X-Forwarded-Proto": "https"}
        )
        assert status == 200 and "dwp-app" in page and "Secure" in headers["Set-Cookie"]
        assert fetch(local, Host="evil.example.nl")[0] == 400
    finally:
        os.killpg(cli.pid, signal.SIGINT)
        try:
            cli.wait(30)
        finally:
            if cli.poll() is None:
                os.killpg(cli.pid, signal.SIGKILL)
    assert cli.returncode == 0


def test_two_server_processes_behind_one_proxy_share_drafts_and_keys(
    project_store, tmp_path, competences
):
    """Several processes on one store and data folder (docs/collect.md, "several processes"):
    a draft saved through one is reopened and sent through the other."""
    engine, url, data_dir, link = project_store
    first, one = launch(url, data_dir, tmp_path / "one.log")
    second, two = launch(url, data_dir, tmp_path / "two.log")
    try:
        cookie, config = open_form(one, link)
        state = {**submit_state(competences, 3), "page": 2}
        body = json.dumps(
            {"query": config["query"], "draft": config["draft"], "state": state}
        ).encode()
        for base in (one, two):  # a check through either process keeps the same draft
            request = urllib.request.Request(
                base + "api/draft",
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "Cookie": cookie},
            )
            with urllib.request.urlopen(request, timeout=60) as reply:
                assert json.loads(reply.read()) == {"kept": True}
        _, page, _ = fetch(two + "?" + urlencode({**link, "draft": config["draft"]}), Cookie=cookie)
        assert f'"draft": "{config["draft"]}"' in page and '"page": 2' in page
        request = urllib.request.Request(
            two + "api/submit",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Cookie": cookie},
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            assert "result" in json.loads(reply.read())
        assert store.load_responses(engine, ROUND)["response_id"].tolist() == [
            f"form:{config['draft']}"
        ]
    finally:
        collect.stop(first)
        collect.stop(second)
