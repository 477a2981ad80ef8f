"""Serving the questionnaire form: command line, environment, links, start and stop.

``dwp-assess collect --round ROUND`` runs the form server (``web.py``: one process for
every respondent, no kernel per page) on localhost and prints one link per organisation
(organisation instruments) or per team (team instruments), and once per organisation the
facilitator's count page. The server gets:

- the store, the round a link without ``round=`` opens, the data folder (drafts) and the
  project (its own instruments) in its environment;
- Jupyter's folders under ``data/jupyter/`` (nothing it runs writes outside the project's
  data folder).

The server stops on Ctrl+C, ``kill`` (SIGTERM) and a closed terminal (SIGHUP): it runs in
a process group of its own, so the terminal's signals do not reach it, and ``stop`` ends
the group and anything it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy.engine import Engine

from dwp_assess import project
from dwp_assess.collect import collaboration, drafts
from dwp_assess.collect.questionnaire import ROUND_ENV, round_instrument
from dwp_assess.collect.web import HEALTH_PATH
from dwp_assess.data import store
from dwp_assess.instruments.messages import t

PROBE_PATH = HEALTH_PATH  # a static file of the form
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # besides Ctrl+C (SIGINT)


class CollectError(ValueError):
    """The form server cannot start (port in use, server failed); one line for the user."""


class Stopped(Exception):  # noqa: N818 - a request, not a failure
    """SIGTERM or SIGHUP reached the ``collect`` command: stop the server like Ctrl+C."""


@dataclass(frozen=True)
class Link:
    """A link to share: the form of one organisation or team, or its count page."""

    organisation_id: str
    organisation_name: str
    team_id: str | None
    team_name: str | None
    form_url: str
    count_url: str
    collaboration_title: str | None = None  # collaboration instruments: the member's collaboration


# -- configuration ------------------------------------------------------------------


def server_env(
    round_id: str, database_url: str | None = None, data_dir: Path | None = None
) -> dict[str, str]:
    """The environment of the form server: store, round, data folder (drafts), the project
    (its own instruments) and the temporary and Jupyter folders under the data folder; the
    server runs outside the project folder, so it finds neither without being told."""
    data_dir = Path(data_dir or store.data_dir()).resolve()
    folders = project.jupyter_dirs(data_dir)
    for folder in folders.values():
        Path(folder).mkdir(parents=True, exist_ok=True)
    settings = project.current()
    where = {"DWP_DATA_DIR": str(data_dir)} | ({project.PROJECT_ENV: str(settings.root)} if settings else {})  # fmt: skip
    return {**os.environ, **folders, **where, "JUPYTER_PLATFORM_DIRS": "1",
            "DWP_DATABASE_URL": store.database_url(database_url), ROUND_ENV: round_id}  # fmt: skip


def server_command(port: int) -> list[str]:
    """The form server's command line: localhost only."""
    return [sys.executable, "-m", "dwp_assess.collect.web", f"--port={port}", "--host=127.0.0.1"]


# -- links ------------------------------------------------------------------------------


def base_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/"


def links(engine: Engine, round_id: str, url: str) -> list[Link]:
    """One link per team (team instruments), per member of each collaboration (collaboration
    instruments) or per organisation, with its count page."""
    instrument = round_instrument(store.get_round(engine, round_id))
    if instrument.kind == "collaboration":
        return collaboration_links(engine, round_id, url)
    orgs = store.organisations(engine)
    teams = store.teams(engine)
    found = []
    for org in orgs.itertuples():
        count_url = url + "?" + urlencode({"round": round_id, "organisation": org.id, "view": "count"})  # fmt: skip
        if instrument.kind == "team":
            for team in teams[teams["organisation_id"] == org.id].itertuples():
                query = {"round": round_id, "organisation": org.id, "team": team.id}
                found.append(Link(org.id, org.name, team.id, team.name, url + "?" + urlencode(query), count_url))  # fmt: skip
        else:
            query = {"round": round_id, "organisation": org.id}
            found.append(Link(org.id, org.name, None, None, url + "?" + urlencode(query), count_url))  # fmt: skip
    return found


def collaboration_links(engine: Engine, round_id: str, url: str) -> list[Link]:
    """One link per member of each registered collaboration: the member's representatives
    answer for it within that collaboration (``collect/collaboration.py``)."""
    found = []
    for collab in store.collaborations(engine).itertuples():
        for org_id, name in collaboration.members(engine, collab.id):
            count_url = url + "?" + urlencode({"round": round_id, "organisation": org_id, "view": "count"})  # fmt: skip
            query = {"round": round_id, "collaboration": collab.id, "organisation": org_id}
            found.append(Link(org_id, name, None, None, url + "?" + urlencode(query), count_url, collab.title))  # fmt: skip
    return found


# -- starting and stopping -----------------------------------------------------------------


def port_free(port: int) -> bool:
    """Whether a server can listen on ``port``: bound as Tornado binds, with
    ``SO_REUSEADDR``, so connections of a stopped server in TIME_WAIT do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A port nobody listens on (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    round_id: str,
    port: int,
    database_url: str | None = None,
    data_dir: Path | None = None,
    quiet: bool = True,
) -> subprocess.Popen:
    """Start the form server in the background (own process group); ``stop`` ends it.
    ``quiet`` drops its log; the ``collect`` command shows it."""
    if not port_free(port):
        raise CollectError(t("collect.port_in_use", "en", port=port))
    data_dir = Path(data_dir or store.data_dir())
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(
        server_command(port),
        env=server_env(round_id, database_url, data_dir),
        cwd=data_dir,
        stdout=output,
        stderr=output,
        start_new_session=True,
    )


def wait_until_ready(
    url: str,
    process: subprocess.Popen | None = None,
    timeout: float = 60,
    probe_path: str = PROBE_PATH,
    what: str = "form server",
) -> None:
    """Wait until the server answers ``probe_path`` (the form server: after it parsed the round's
    instrument; the session page's Voilà: once it listens)."""
    deadline = time.monotonic() + timeout
    probe = url.rstrip("/") + "/" + probe_path.lstrip("/")
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise CollectError(t("collect.server_failed", "en", code=process.returncode))
        try:
            with urllib.request.urlopen(probe, timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise CollectError(f"the {what} did not answer at {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop the server's process group and every process it started (found as child
    processes before the server goes, in case one runs in a session of its own)."""
    import psutil

    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait(timeout)
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(children, timeout=timeout)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    """Signal the server's process group (``start`` made it its leader); gone already is fine."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


@contextlib.contextmanager
def stop_on_signals():
    """While the server runs, SIGTERM and SIGHUP raise ``Stopped`` (as Ctrl+C raises
    KeyboardInterrupt), so the same clean-up runs; the previous handlers come back after."""

    def raise_stopped(signum, _frame):
        raise Stopped(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, raise_stopped) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def serve(
    engine: Engine,
    round_id: str,
    port: int,
    database_url: str | None = None,
    echo=print,
) -> int:
    """Run the form server until Ctrl+C, SIGTERM or SIGHUP, printing the links to share."""
    info = store.get_round(engine, round_id)  # an unknown round: StoreError, one line
    with stop_on_signals():
        return _serve(engine, info, port, database_url, echo)


def _serve(engine: Engine, info: store.RoundInfo, port: int, database_url: str | None, echo) -> int:
    round_id = info.id
    process = start(round_id, port, database_url, quiet=False)
    try:
        url = base_url(port)
        instrument = f"{info.instrument_id} v{info.instrument_version}"
        echo(t("collect.serving", "en", round=round_id, instrument=instrument, url=url))
        echo(t("collect.links_heading", "en"))
        counted = set()
        for link in links(engine, round_id, url):
            if link.organisation_id not in counted:  # one count page per organisation
                counted.add(link.organisation_id)
                echo(f"  {link.organisation_name}: {t('collect.link_count', 'en')} {link.count_url}")  # fmt: skip
            unit = link.team_name or link.collaboration_title
            who = link.organisation_name + (f" / {unit}" if unit else "")
            echo(f"  {who}: {t('collect.link_form', 'en')} {link.form_url}")
        echo(t("collect.stop_hint", "en"))
        if removed := drafts.prune():
            echo(t("collect.drafts_pruned", "en", n=removed, days=drafts.MAX_AGE_DAYS))
        code = process.wait()
    except (KeyboardInterrupt, Stopped):  # Ctrl+C, kill, a closed terminal: the ways to stop
        stop(process)
        return 0
    except BaseException:  # a failure while printing the links: no server left behind
        stop(process)
        raise
    if code:
        raise CollectError(t("collect.server_failed", "en", code=code))
    return 0
