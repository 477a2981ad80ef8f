"""The facilitator's session view: one team's answers so far, live, during its workshop.

``dwp-assess session --round R --team T`` serves ``notebooks/session.ipynb`` with Voilà on
localhost and prints its link. The page shows what ``analysis.agreements.session_summary``
allows: how many members have answered and, from the minimum group size on
(``privacy.min_group_size``), per public value how many gave each answer to its relevance and
its safeguarding question, with the grouped proposals per principle; never a row per respondent
and never who wrote what. It reads the store again every ``REFRESH_SECONDS`` (and on
"Vernieuwen"), so answers sent during the workshop appear without reloading the page.

The round, the team and the refresh interval reach the kernel through the server's
environment (``SESSION_TEAM_ENV``, ``REFRESH_ENV``, ``questionnaire.ROUND_ENV``); a
``?team=…&lang=…`` in the page's address (Voilà's ``QUERY_STRING``) chooses another team or
language of the same round. Only rounds of an instrument with ``output: agreements`` have it.

The view is the facilitator's alone: Voilà asks for a secret token (``--Voila.token``, 192
random bits made per start) that only the printed link carries; without it no page of the
server opens (no team, no count), whatever the address or Host header.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from sqlalchemy.engine import Engine

from dwp_assess import project, resources
from dwp_assess.analysis.privacy import min_group_size
from dwp_assess.analysis.workshop_agreements import DONT_KNOW, SessionSummary, session_summary
from dwp_assess.collect import server
from dwp_assess.collect.questionnaire import ROUND_ENV, round_instrument
from dwp_assess.collect.rendering import render
from dwp_assess.data import store
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import ASPECTS, Instrument
from dwp_assess.locale import known_language

SESSION_TEAM_ENV = "DWP_SESSION_TEAM"
REFRESH_ENV = "DWP_SESSION_REFRESH"
REFRESH_SECONDS = 10
NOTEBOOK = resources.NOTEBOOKS / "session.ipynb"
PROBE_PATH = "voila/static/voila.js"


class SessionError(ValueError):
    """The session view cannot be shown (wrong round or team); one line for the facilitator."""


# -- the page ------------------------------------------------------------------------------


def check_session(engine: Engine, round_id: str, team_id: str) -> tuple[Instrument, str]:
    """The round's instrument and the team's name; a clear error for a round without an
    agreements output or a team the registry does not know."""
    instrument = round_instrument(store.get_round(engine, round_id))
    if not instrument.output_rules.public_values:
        raise SessionError(t("session.not_agreements", "en", round=round_id))
    teams = store.teams(engine)
    names = dict(zip(teams["id"], teams["name"], strict=True))
    if team_id not in names:
        raise SessionError(t("session.unknown_team", "en", team=team_id, round=round_id))
    return instrument, str(names[team_id])


def _distribution(
    summary: SessionSummary, instrument: Instrument, value_id: str, aspect: str
) -> list[dict]:
    """One question's answer options with how many members chose each ("weet ik niet" last)."""
    counts = summary.counts
    own = counts[(counts["value_id"] == value_id) & (counts["aspect"] == aspect)]
    given = dict(zip(own["answer"], own["n"], strict=True))
    scale = instrument.scale_of(instrument.value_item(value_id, aspect).id)
    options = [(str(p.value), str(p.value)) for p in scale.points] + [(DONT_KNOW, "?")]
    total = max(sum(given.values()), 1)
    return [
        {"label": label, "n": int(given.get(code, 0)), "share": 100 * given.get(code, 0) / total}
        for code, label in options
    ]


def session_html(
    summary: SessionSummary,
    instrument: Instrument,
    team_name: str,
    lang: str = "nl",
    refresh: int = REFRESH_SECONDS,
) -> str:
    """The view of ``summary`` as HTML (autoescaped template ``templates/session.html.j2``)."""
    values = summary.values.set_index("value_id") if summary.shown else None
    principles = []
    for dim in instrument.dimensions:
        rows = []
        for value in (v for v in instrument.public_values if v.dimension == dim.id):
            if values is None:
                break
            row = values.loc[value.id]
            rows.append(
                {
                    "id": value.id,
                    "label": value.label.get(lang),
                    "priority": bool(row["priority"]),
                    "divided": bool(row["disagreement"]),
                    "aspects": [_distribution(summary, instrument, value.id, a) for a in ASPECTS],
                }
            )
        texts = summary.proposals[summary.proposals["dimension_id"] == dim.id]
        principles.append(
            {
                "label": dim.label.get(lang),
                "values": rows,
                "proposals": list(zip(texts["text"], texts["n"], strict=True)),
            }
        )
    labels = {
        k: t(f"agreements.{k}", lang)
        for k in ("value", "relevance", "safeguarding", "proposals", "agreement")
    }
    labels |= {
        "priority": t("agreements.reason.priority", lang),
        "divided": t("agreements.reason.disagreement", lang),
    }
    return render(
        "session.html.j2",
        title=t("session.title", lang, team=team_name),
        responses=t("session.responses", lang, n=summary.n_respondents),
        waiting="" if summary.shown else t("session.waiting", lang, minimum=summary.min_group_size),
        principles=principles if summary.shown else [],
        labels=labels,
        updated=t(
            "session.updated", lang, time=datetime.now().strftime("%H:%M:%S"), seconds=refresh
        ),
        n=summary.n_respondents,
    )


@dataclass
class SessionPage:
    """The live page in the kernel: an HTML widget redrawn from the store, a refresh button,
    and a timer that redraws every ``refresh`` seconds while the page is open."""

    engine: Engine
    round_id: str
    team_id: str
    lang: str = "nl"
    refresh: int = REFRESH_SECONDS

    def __post_init__(self):
        import ipywidgets as widgets

        self.instrument, self.team_name = check_session(self.engine, self.round_id, self.team_id)
        self.minimum = min_group_size(self.instrument)
        self.html = widgets.HTML()
        self.button = widgets.Button(description=t("session.refresh", self.lang), icon="refresh")
        self.button.on_click(lambda _button: self.update())
        self.widget = widgets.VBox([self.html, self.button])
        self.update()

    def summary(self) -> SessionSummary:
        answers = store.load_answers(self.engine, self.round_id)
        return session_summary(answers, self.instrument, self.team_id, self.minimum)

    def update(self) -> None:
        self.html.value = session_html(
            self.summary(), self.instrument, self.team_name, self.lang, self.refresh
        )

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.refresh)
            self.update()

    def start_timer(self) -> asyncio.Task:
        """Redraw every ``refresh`` seconds on the kernel's event loop (the notebook's cell has
        finished by then, so the loop is free)."""
        return asyncio.get_event_loop().create_task(self._tick())


def page_from_environment() -> SessionPage:
    """The page the notebook shows: round, team and interval from the server's environment,
    team and language overridable in the address."""
    project.from_environment()  # the project `dwp-assess session` handed this page
    query = dict(parse_qsl(os.environ.get("QUERY_STRING", "")))
    lang = known_language(query.get("lang"))
    team_id = query.get("team") or os.environ.get(SESSION_TEAM_ENV, "")
    refresh = int(os.environ.get(REFRESH_ENV, REFRESH_SECONDS))
    engine = store.connect(os.environ.get("DWP_DATABASE_URL"))
    return SessionPage(engine, os.environ.get(ROUND_ENV, ""), team_id, lang, refresh)


# -- the server ------------------------------------------------------------------------------


def new_token() -> str:
    """The facilitator's secret for one session server."""
    return secrets.token_urlsafe(24)


def voila_command(port: int, data_dir: Path, token: str) -> list[str]:
    """Voilà on the session notebook, localhost only, behind ``token``, no code or
    tracebacks on the page."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(NOTEBOOK),
        "--no-browser",
        f"--Voila.token={token}",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--MappingKernelManager.cull_idle_timeout=3600",
        "--MappingKernelManager.cull_interval=60",
        "--VoilaConfiguration.show_tracebacks=False",
        "--strip_sources=True",
        f"--Voila.connection_dir_root={project.jupyter_dirs(data_dir)['JUPYTER_RUNTIME_DIR']}",
    ]


def start(
    round_id: str,
    team_id: str,
    port: int,
    database_url: str | None = None,
    data_dir: Path | None = None,
    refresh: int = REFRESH_SECONDS,
    quiet: bool = True,
    token: str = "",
) -> subprocess.Popen:
    """Start the session server in the background (own process group; ``server.stop`` ends it,
    and it ends with this process), opened only with ``token`` (``new_token``)."""
    if not token:
        raise ValueError("the session server needs a token")
    if not server.port_free(port):
        raise server.CollectError(t("collect.port_in_use", "en", port=port))
    data_dir = Path(data_dir or store.data_dir())
    env = server.server_env(round_id, database_url, data_dir) | {
        SESSION_TEAM_ENV: team_id,
        REFRESH_ENV: str(int(refresh)),
    }
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(
        voila_command(port, data_dir, token),
        env=env,
        cwd=data_dir,
        stdout=output,
        stderr=output,
        start_new_session=True,
        preexec_fn=server.end_with_parent,
    )


def wait_until_ready(url: str, process: subprocess.Popen) -> None:
    """Wait until Voilà answers (it serves its own script once it listens)."""
    server.wait_until_ready(url, process, timeout=90, probe_path=PROBE_PATH, what="session server")


def session_url(base: str, team_id: str, token: str, lang: str = "nl") -> str:
    """The facilitator's link: the team, the language and the secret token."""
    return base + "?" + urlencode({"team": team_id, "lang": lang, "token": token})


def serve(
    engine: Engine,
    round_id: str,
    team_id: str,
    port: int,
    database_url: str | None = None,
    refresh: int = REFRESH_SECONDS,
    echo=print,
) -> int:
    """Run the session server until Ctrl+C, SIGTERM or SIGHUP, printing the facilitator's link."""
    check_session(engine, round_id, team_id)
    with server.stop_on_signals():
        token = new_token()
        process = start(
            round_id, team_id, port, database_url, refresh=refresh, quiet=False, token=token
        )
        try:
            base = server.base_url(port)
            wait_until_ready(base, process)
            echo(f"{t('session.title', 'en', team=team_id)}: {session_url(base, team_id, token)}")
            echo(t("session.link_note", "en"))
            echo(t("collect.stop_hint", "en"))
            code = process.wait()
        except (KeyboardInterrupt, server.Stopped):
            server.stop(process)
            return 0
        except BaseException:
            server.stop(process)
            raise
    if code:
        raise server.CollectError(t("collect.server_failed", "en", code=code))
    return 0
