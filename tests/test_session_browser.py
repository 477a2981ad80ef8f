"""The facilitator's session view (``dwp-assess session``) in Debian's Chromium: counts for a
team at the minimum group size, nothing but the count for a team under it, never a respondent,
and new answers appear without reloading.

One Voilà server for the module (``collect.session.start``, refreshing every 2 seconds) on a
throwaway SQLite store with the sample registry and a Goed Digitaal Bestuur round; every request
that leaves the local server is aborted.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from dwp_assess.analysis.privacy import min_group_size
from dwp_assess.cli.main import app
from dwp_assess.collect import session
from dwp_assess.data import registry, store
from dwp_assess.instruments.loading import get_instrument
from tests.form_server import serving

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ROUND = "digital-governance-2026"
BIG, SMALL = "gouda-team-financien", "almere-datateam-sociaal-domein"
SECRET = "lid-7f3a-geheim"  # a respondent id that must never reach the page
TOKEN = session.new_token()
LOAD_TIMEOUT = 120_000  # ms: a Voilà kernel starts on two busy cores

pytestmark = pytest.mark.browser


def record(instrument, team: str, org: str, n: int, privacy: int) -> store.ResponseRecord:
    """A response of member ``n``: privacy relevant 5 and safeguarded ``privacy``; the rest 3."""
    answers = [
        store.AnswerRecord(
            i.id,
            float(
                privacy
                if (i.public_value, i.aspect) == ("privacy", "safeguarding")
                else (5 if i.public_value == "privacy" else 3)
            ),
        )
        for i in instrument.items
    ]
    answers.append(store.AnswerRecord("agree_human_rights", text="Een DPIA vóór de start"))
    return store.ResponseRecord(
        f"{team}-r{n}",
        ROUND,
        f"{SECRET}-{team}-{n}",
        org,
        team,
        None,
        "test",
        datetime(2026, 3, 1, tzinfo=UTC),
        tuple(answers),
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("session")
    url = f"sqlite:///{folder / 'dwp.sqlite'}"
    engine = store.connect(url)
    registry.import_registry(engine, SAMPLE / "organisations.csv", SAMPLE / "teams.csv")
    instrument = get_instrument("digital-governance")
    store.create_round(engine, instrument, "2026")
    minimum = min_group_size(instrument)
    for n in range(minimum):
        store.store_response(engine, record(instrument, BIG, "gouda", n, 1 + n % 2))
    for n in range(minimum - 1):
        store.store_response(engine, record(instrument, SMALL, "almere", n, 1))

    def start(port: int):
        return session.start(
            ROUND, BIG, port, url, data_dir=folder / "data", refresh=2, token=TOKEN
        )

    try:
        with serving(start, session.wait_until_ready) as base:
            yield base, engine, instrument, minimum
    finally:
        engine.dispose()


def open_session(page, base: str, team: str):
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith("http://127.0.0.1") else route.abort()
        ),
    )
    page.goto(session.session_url(base, team, TOKEN), wait_until="commit")
    page.wait_for_selector(".dwp-session", timeout=LOAD_TIMEOUT)
    return page


def test_a_team_at_the_minimum_sees_counts_per_value_and_no_respondent(served, page):
    base, _engine, instrument, minimum = served
    open_session(page, base, BIG)
    assert page.locator(".dwp-session").get_attribute("data-responses") == str(minimum)
    cells = page.locator('tr[data-value="privacy"] td').nth(2).locator(".dwp-count")
    counts = [int(n) for n in cells.evaluate_all("spans => spans.map(s => s.dataset.n)")]
    assert counts == [
        (minimum + 1) // 2,
        minimum // 2,
        0,
        0,
        0,
        0,
    ]  # safeguarding: 1s and 2s, no "?"
    assert page.locator("tr.dwp-value").count() == len(instrument.public_values)
    html = page.content()
    assert SECRET not in html and "Een DPIA vóór de start" in html
    assert "Traceback" not in html


def test_a_team_under_the_minimum_sees_only_its_count(served, page):
    base, _engine, _instrument, minimum = served
    open_session(page, base, SMALL)
    assert page.locator(".dwp-session").get_attribute("data-responses") == str(minimum - 1)
    assert page.locator(".dwp-waiting").is_visible()
    assert page.locator("tr.dwp-value").count() == 0
    assert "Een DPIA" not in page.content() and SECRET not in page.content()


def test_a_new_answer_appears_without_reloading(served, page):
    base, engine, instrument, minimum = served
    open_session(page, base, BIG)
    assert store.store_response(engine, record(instrument, BIG, "gouda", 99, 5)) == store.STORED
    page.wait_for_selector(f'.dwp-session[data-responses="{minimum + 1}"]', timeout=30_000)


def test_the_command_refuses_a_round_without_an_agreements_list(served, tmp_path):
    _base, engine, _instrument, _minimum = served
    store.create_round(engine, get_instrument("competences", 1), "2026")
    result = CliRunner().invoke(
        app, ["--db", str(engine.url), "session", "--round", "competences-2026", "--team", BIG]
    )
    assert result.exit_code != 0
    assert "agreements" in str(result.exception) or "agreements" in result.output


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_session_view_opens_only_with_the_facilitators_token(served):
    base, _engine, _instrument, _minimum = served
    opener = urllib.request.build_opener(NoRedirect)
    for query in (
        {"team": BIG},
        {"team": SMALL},
        {"team": BIG, "token": "x" * 32},
        {"team": BIG, "token": ""},
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(base + "?" + urlencode(query), timeout=60)
        assert refused.value.code in (302, 401, 403), query
        assert refused.value.code != 302 or refused.value.headers["Location"].startswith("/login")
    with opener.open(session.session_url(base, BIG, TOKEN), timeout=120) as reply:
        assert reply.status == 200
