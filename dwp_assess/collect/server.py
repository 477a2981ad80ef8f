"""Serving the questionnaire form: command line, environment, links, start and stop.

``dwp-assess collect --round ROUND`` runs the form server (``web.py``: one process for
every respondent, no kernel per page) and prints one invitation link per organisation
(organisation instruments), per team (team instruments) or per member of each collaboration,
and once per organisation the facilitator's count link; the tokens come from
``data/invitations.py`` (made once, reused while not revoked). ``personal_links`` and
``write_links_csv`` serve ``dwp-assess invite`` (one response per link, CSV for a mail merge).
The server gets:

- the store, the round it takes answers for, the data folder (drafts) and the project (its
  own instruments) in its environment; the Host names it answers (``--base-url``'s) and the
  pid it ends with on its command line;
- Jupyter's folders under ``data/jupyter/`` (nothing it runs writes outside the project's
  data folder).

The server stops on Ctrl+C, ``kill`` (SIGTERM) and a closed terminal (SIGHUP): it runs in
a process group of its own, so the terminal's signals do not reach it, and ``stop`` ends
the group and anything it started; it also ends when this process dies
(``end_with_parent``; the server's own watchdog, ``serving.die_with_parent``).
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from sqlalchemy.engine import Engine

from dwp_assess import project
from dwp_assess.collect import collaboration_member, drafts
from dwp_assess.collect.questionnaire import ROUND_ENV, round_instrument
from dwp_assess.collect.web import HEALTH_PATH
from dwp_assess.data import invitations, store
from dwp_assess.instruments.messages import t
from dwp_assess.locale import number

LOCALHOST = "127.0.0.1"
PR_SET_PDEATHSIG = 1
PROBE_PATH = HEALTH_PATH  # a static file of the form
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # besides Ctrl+C (SIGINT)


class CollectError(ValueError):
    """The form server cannot start (port in use, server failed); one line for the user."""


class Stopped(Exception):  # noqa: N818 - a request, not a failure
    """SIGTERM or SIGHUP reached the ``collect`` command: stop the server like Ctrl+C."""


@dataclass(frozen=True)
class Link:
    """A link to share: the form of one organisation or team (with its invitation token),
    or the facilitator's count page of its organisation (a token of its own)."""

    organisation_id: str
    organisation_name: str
    team_id: str | None
    team_name: str | None
    form_url: str
    count_url: str
    collaboration_title: str | None = None  # collaboration instruments: the member's collaboration
    kind: str = "group"  # or "person": one response (``dwp-assess invite --per-person``)
    token: str = ""


@dataclass(frozen=True)
class Target:
    """A unit links are made for, with the names a facilitator reads."""

    unit: invitations.Unit
    organisation_name: str
    team_name: str | None = None
    collaboration_title: str | None = None


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
    settings = project.active()
    handed = (
        replace(
            settings,
            database_url=store.database_url(database_url),
            folders=settings.folders | {"data": data_dir},
        )
        if settings
        else None
    )
    where = {"DWP_DATA_DIR": str(data_dir)} | (
        {project.SETTINGS_ENV: handed.to_json()} if handed else {}
    )
    return {
        **os.environ,
        **folders,
        **where,
        "JUPYTER_PLATFORM_DIRS": "1",
        "DWP_DATABASE_URL": store.database_url(database_url),
        ROUND_ENV: round_id,
    }


def server_command(
    port: int,
    host: str = LOCALHOST,
    allow_hosts: tuple[str, ...] = (),
    parent_pid: int | None = None,
) -> list[str]:
    """The form server's command line: localhost unless ``host`` says otherwise; the Host
    names it answers besides the loopback ones; the process it ends with."""
    command = [sys.executable, "-m", "dwp_assess.collect.web", f"--port={port}", f"--host={host}"]
    command += [f"--allow-host={name}" for name in allow_hosts]
    return command + ([f"--parent-pid={parent_pid}"] if parent_pid else [])


# -- links ------------------------------------------------------------------------------


def base_url(port: int, host: str = LOCALHOST) -> str:
    return f"http://{host}:{port}/"


def public_url(given: str) -> str:
    """``--base-url`` checked and ending in ``/``: the address respondents use (a reverse
    proxy's, e.g. ``https://vragenlijst.example.nl/dwp/``)."""
    parts = urlsplit(given)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise CollectError(t("collect.bad_base_url", "en", url=given))
    return given if given.endswith("/") else given + "/"


def targets(engine: Engine, round_id: str) -> list[Target]:
    """Who gets a link: each team (team instruments), each member of each collaboration
    (collaboration instruments, ``collect/collaboration_member.py``) or each organisation."""
    instrument = round_instrument(store.get_round(engine, round_id))
    orgs = store.organisations(engine)
    names = dict(zip(orgs["id"], orgs["name"], strict=True))
    if instrument.kind_spec.in_collaborations:
        return [
            Target(
                invitations.Unit(org_id, collaboration_id=collab.id),
                name,
                collaboration_title=collab.title,
            )
            for collab in store.collaborations(engine).itertuples()
            for org_id, name in collaboration_member.members(engine, collab.id)
        ]
    if not instrument.kind_spec.in_teams:
        return [Target(invitations.Unit(org.id), org.name) for org in orgs.itertuples()]
    teams = store.teams(engine)
    return [
        Target(
            invitations.Unit(team.organisation_id, team.id), names[team.organisation_id], team.name
        )
        for org in orgs.itertuples()
        for team in teams[teams["organisation_id"] == org.id].itertuples()
    ]


def form_url(url: str, round_id: str, found: invitations.Invitation) -> str:
    """The link of an invitation: round, organisation, team or collaboration (readable for
    whoever passes it on; the token decides) and the token."""
    unit = found.unit
    query = {"round": round_id, "organisation": unit.organisation_id}
    query |= {"team": unit.team_id} if unit.team_id else {}
    query |= {"collaboration": unit.collaboration_id} if unit.collaboration_id else {}
    return url + "?" + urlencode(query | {"token": found.token})


def count_url(url: str, found: invitations.Invitation) -> str:
    return url + "count?" + urlencode({"token": found.token})


def links(engine: Engine, round_id: str, url: str) -> list[Link]:
    """One shared link per unit (``targets``), with its organisation's count page; the
    tokens are made the first time and reused while they are not revoked."""
    found, counts = [], {}
    for target in targets(engine, round_id):
        org = target.unit.organisation_id
        if org not in counts:
            counts[org] = invitations.shared(engine, round_id, invitations.Unit(org), "facilitator")
        invite = invitations.shared(engine, round_id, target.unit, "group")
        found.append(
            Link(
                org,
                target.organisation_name,
                target.unit.team_id,
                target.team_name,
                form_url(url, round_id, invite),
                count_url(url, counts[org]),
                target.collaboration_title,
                "group",
                invite.token,
            )
        )
    return found


def personal_links(engine: Engine, round_id: str, url: str, per_person: int) -> list[Link]:
    """``per_person`` new personal links (one response each) per unit (``targets``)."""
    found = []
    for target in targets(engine, round_id):
        for invite in invitations.issue(engine, round_id, target.unit, "person", per_person):
            found.append(
                Link(
                    target.unit.organisation_id,
                    target.organisation_name,
                    target.unit.team_id,
                    target.team_name,
                    form_url(url, round_id, invite),
                    "",
                    target.collaboration_title,
                    "person",
                    invite.token,
                )
            )
    return found


CSV_COLUMNS = [
    "organisation_id",
    "organisation_name",
    "team_id",
    "team_name",
    "collaboration",
    "kind",
    "token",
    "link",
]


def write_links_csv(path: Path, found: list[Link]) -> Path:
    """The respondents' links as CSV (UTF-8 with BOM, for a spreadsheet's mail merge); the
    facilitator's count links are never in it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for link in found:
            writer.writerow(
                [
                    link.organisation_id,
                    link.organisation_name,
                    link.team_id or "",
                    link.team_name or "",
                    link.collaboration_title or "",
                    link.kind,
                    link.token,
                    link.form_url,
                ]
            )
    return path


# -- starting and stopping -----------------------------------------------------------------


def port_free(port: int, host: str = LOCALHOST) -> bool:
    """Whether a server can listen on ``port``: bound as Tornado binds, with
    ``SO_REUSEADDR``, so connections of a stopped server in TIME_WAIT do not count."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host or "0.0.0.0", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A port nobody listens on (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def end_with_parent() -> None:
    """In the child before it runs the server (``preexec_fn``): Linux sends it SIGTERM when
    the process that started it dies, so a killed ``collect`` leaves no server on the port."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def allowed_hosts(host: str, url: str | None) -> tuple[str, ...]:
    """Host names the server answers besides the loopback ones: the public URL's, and the
    address it listens on when that is a name or a particular address."""
    names = [urlsplit(url).hostname] if url else []
    if host not in ("", "0.0.0.0", "::", LOCALHOST):
        names.append(host)
    return tuple(n for n in names if n)


def start(
    round_id: str,
    port: int,
    database_url: str | None = None,
    data_dir: Path | None = None,
    quiet: bool = True,
    host: str = LOCALHOST,
    url: str | None = None,
    preexec=end_with_parent,
) -> subprocess.Popen:
    """Start the form server in the background (own process group); ``stop`` ends it, and it
    ends when this process does. ``quiet`` drops its log; the ``collect`` command shows it.
    ``host``: the address it listens on; ``url``: the public address (``--base-url``)."""
    if not port_free(port, host):
        raise CollectError(t("collect.port_in_use", "en", port=port))
    data_dir = Path(data_dir or store.data_dir())
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(
        server_command(port, host, allowed_hosts(host, url), os.getpid()),
        env=server_env(round_id, database_url, data_dir),
        cwd=data_dir,
        stdout=output,
        stderr=output,
        start_new_session=True,
        preexec_fn=preexec,
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
    raise CollectError(f"the {what} did not answer at {url} within {number(timeout, 0, 'en')} s")


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
    host: str = LOCALHOST,
    url: str | None = None,
) -> int:
    """Run the form server until Ctrl+C, SIGTERM or SIGHUP, printing the links to share
    (under ``url``, the public address behind a reverse proxy, when given)."""
    info = store.get_round(engine, round_id)  # an unknown round: StoreError, one line
    url = public_url(url) if url else None
    with stop_on_signals():
        return _serve(engine, info, port, database_url, echo, host, url)


def _serve(
    engine: Engine,
    info: store.RoundInfo,
    port: int,
    database_url: str | None,
    echo,
    host: str,
    url: str | None,
) -> int:
    round_id = info.id
    process = start(round_id, port, database_url, quiet=False, host=host, url=url)
    try:
        shown = url or base_url(port, host if host not in ("", "0.0.0.0", "::") else LOCALHOST)
        instrument = f"{info.instrument_id} v{info.instrument_version}"
        echo(t("collect.serving", "en", round=round_id, instrument=instrument, url=shown))
        echo(t("collect.links_heading", "en"))
        counted = set()
        for link in links(engine, round_id, shown):
            if link.organisation_id not in counted:  # one count page per organisation
                counted.add(link.organisation_id)
                echo(
                    f"  {link.organisation_name}: {t('collect.link_count', 'en')} {link.count_url}"
                )
            unit = link.team_name or link.collaboration_title
            who = link.organisation_name + (f" / {unit}" if unit else "")
            echo(f"  {who}: {t('collect.link_form', 'en')} {link.form_url}")
        echo(t("collect.facilitator_note", "en"))
        if host == LOCALHOST and not url:
            echo(t("collect.stop_hint", "en"))
        else:
            echo(t("collect.stop_hint_network", "en", url=shown, host=f"{host}:{port}"))
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
