"""The web form without a kernel per respondent (``collect/web.py``, ``page.py``), at the HTTP
level: the server runs in a thread of the test process against the test's SQLite store, for
the 2026 rounds; every link carries an invitation token (``data/invitations.py``).
Browsers (Chromium) are in ``tests/test_collect_browser.py``; attacks on the server as a
process (file limits, signals) in ``tests/test_form_serving.py``."""

from __future__ import annotations

import asyncio
import html
import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from dwp_assess import project
from dwp_assess.collect import browser, drafts, web
from dwp_assess.collect import questionnaire as q
from dwp_assess.collect import server as collect
from dwp_assess.data import invitations, registry, rounds, store
from dwp_assess.instruments.messages import t

pytest_plugins = ["tests.pg_server"]

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ROUND = "competences-2026"
ORG_ROUND = "data-strategy-2026"
TEAM = invitations.Unit("gouda", "gouda-team-financien")


def invite(
    engine, unit: invitations.Unit = TEAM, round_id: str = ROUND, kind: str = "group"
) -> dict:
    """A link's parameters with a new invitation token of ``kind`` for ``unit``."""
    found = invitations.issue(engine, round_id, unit, kind)[0]
    link = {"round": round_id, "organisation": unit.organisation_id}
    link |= {"team": unit.team_id} if unit.team_id else {}
    return link | {"token": found.token}


@pytest.fixture
def form_engine(engine, competences, data_strategy, tmp_path, monkeypatch):
    monkeypatch.setenv("DWP_DATA_DIR", str(tmp_path / "data"))  # drafts of this test only
    project.activate(project.current())  # the settings as an entry point resolves them
    registry.import_registry(engine, SAMPLE / "organisations.csv", SAMPLE / "teams.csv")
    store.create_round(engine, competences, "2026")
    store.create_round(engine, data_strategy, "2026")
    return engine


@pytest.fixture
def LINK(form_engine):  # noqa: N802 - the team's link, as the tests before invitations named it
    return invite(form_engine)


@pytest.fixture
def served(form_engine):
    """What the server shares (store, the 2026 rounds, draft secret and quota)."""
    return web.make_served(form_engine, rounds={ROUND, ORG_ROUND})


@pytest.fixture
def base(served):
    """The form server in a thread (its own event loop), on a free port."""
    port = collect.free_port()
    ready = threading.Event()
    holder = {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server = web.make_app(None, served=served).listen(port, "127.0.0.1")
        holder["loop"], holder["server"] = loop, server
        loop.call_soon(ready.set)
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    yield f"http://127.0.0.1:{port}/"
    holder["loop"].call_soon_threadsafe(holder["server"].stop)
    holder["loop"].call_soon_threadsafe(holder["loop"].stop)
    thread.join(10)


class Browser:
    """One browser: keeps its cookie, opens pages and calls the form's API as form.js does."""

    def __init__(self, base: str):
        self.base, self.cookie = base, ""

    def open(self, path: str = "", **params) -> tuple[str, dict]:
        """The page's HTML and its settings for the script (draft id, query, part); an
        error page too (``status``: its HTTP status)."""
        request = urllib.request.Request(self.base + path + "?" + urlencode(params))
        if self.cookie:
            request.add_header("Cookie", self.cookie)
        try:
            reply = urllib.request.urlopen(request)
        except urllib.error.HTTPError as refused:
            reply = refused
        with reply:
            self.status = reply.status
            given = reply.headers.get("Set-Cookie")
            if given:
                self.cookie = given.split(";")[0]
            body = reply.read().decode()
        found = re.search(r'id="dwp-config" type="application/json">(.*?)</script>', body)
        return body, json.loads(found.group(1)) if found else {}

    def call(self, path: str, config: dict, **body) -> dict:
        payload = json.dumps({"query": config["query"], "draft": config["draft"], **body})
        headers = {"Content-Type": "application/json"} | (
            {"Cookie": self.cookie} if self.cookie else {}
        )
        request = urllib.request.Request(
            self.base + path, data=payload.encode(), method="POST", headers=headers
        )
        try:
            reply = urllib.request.urlopen(request)
        except urllib.error.HTTPError as refused:
            reply = refused
        with reply:
            self.status = reply.status
            return json.loads(reply.read())


def complete(instrument, seed: int = 0) -> dict:
    """A complete state: every item answered (a pattern per ``seed``), a role, an open answer."""
    answers = {}
    for n, item in enumerate(instrument.items):
        keys = [k for _, k in q.option_pairs(instrument, item.id, "nl")]
        answers[item.id] = keys[(n + seed) % len(keys)]
    texts = {f.id: f"antwoord {seed}" for f in instrument.free_text}
    return {
        "answers": answers,
        "role": "lawyer",
        "texts": texts,
        "page": len(instrument.dimensions) + 1,
    }


def as_keys(frame) -> dict[str, str]:
    return {
        r.item_id: (r.code if isinstance(r.code, str) else str(int(r.value)))
        for r in frame.itertuples()
        if not isinstance(r.text, str)
    }


def test_the_page_shows_a_loading_message_in_the_forms_language(LINK, base):
    you = Browser(base)
    page, _ = you.open(**LINK)
    assert f'class="dwp-loading" role="status">{t("form.loading", "nl")}<' in page
    assert t("form.no_script", "nl") in page  # <noscript>
    english, _ = you.open(**LINK, lang="en")
    assert t("form.loading", "en") in english and t("form.loading", "nl") not in english
    assert '<div class="dwp-app" hidden>' in page  # the form shows once its script runs
    assert "Executing" not in page and "voila" not in page.lower()


def test_a_new_browser_gets_a_key_and_a_fresh_form(LINK, base):
    you = Browser(base)
    page, config = you.open(**LINK)
    key = you.cookie.split("=", 1)[1]
    assert browser.is_key(key) and drafts.is_draft_id(config["draft"])
    assert config["query"] == urlencode(LINK) and config["page"] == 0
    _, again = you.open(**LINK)
    assert you.cookie.split("=", 1)[1] == key  # the browser keeps its key
    assert again["draft"] != config["draft"]  # a link without draft=: a new form


def test_a_reload_restores_the_draft_only_in_the_browser_that_made_it(
    LINK, base, form_engine, competences
):
    you = Browser(base)
    _, config = you.open(**LINK)
    state = {
        "answers": {"LIT1": "4", "LIT2": "dont_know"},
        "role": "lawyer",
        "page": 1,
        "texts": {"team_expectation": "Sneller <b>inzicht</b>"},
    }
    assert you.call("api/draft", config, state=state) == {"kept": True}
    page, reloaded = you.open(**LINK, draft=config["draft"])
    assert reloaded["draft"] == config["draft"] and reloaded["page"] == 1
    assert re.search(r'name="item:LIT1" value="4" checked', page)
    assert re.search(r'name="item:LIT2" value="dont_know" checked', page)
    assert re.search(r'name="role" value="lawyer" checked', page)
    assert "Sneller &lt;b&gt;inzicht&lt;/b&gt;</textarea>" in page

    other = Browser(base)  # the address forwarded to someone else
    page, theirs = other.open(**LINK, draft=config["draft"])
    assert theirs["draft"] != config["draft"] and "checked" not in page
    reply = other.call("api/draft", {**theirs, "draft": config["draft"]}, state={"page": 2})
    assert set(reply) == {"rebind"} and reply["rebind"] not in (config["draft"], theirs["draft"])
    assert you.open(**LINK, draft=config["draft"])[1]["page"] == 1  # the owner's draft unchanged


def test_the_state_a_browser_sends_is_reduced_to_what_the_form_offers(form_engine, competences):
    ctx = q.resolve_context(form_engine, ROUND, "gouda", None, "nl")
    dirty = {
        "answers": {"LIT1": "3", "LIT2": "9", "NOPE": "1", "LIT3": ["1"]},
        "role": "king",
        "team": "almere-team-x",
        "texts": {"team_expectation": "x" * 20_000, "other": "y"},
        "page": 99,
        "extra": True,
    }
    assert q.clean_state(ctx, dirty) == {
        "answers": {"LIT1": "3"},
        "role": None,
        "team": None,
        "texts": {"team_expectation": "x" * 10_000},
        "page": 0,
    }
    assert q.clean_state(ctx, {"team": "gouda-team-financien"})["team"] == "gouda-team-financien"


def test_next_names_what_is_missing_on_the_part(LINK, base):
    you = Browser(base)
    _, config = you.open(**LINK)
    assert (
        t("form.missing_role", "nl") in you.call("api/check", config, state={}, part=0)["problem"]
    )
    assert you.call("api/check", config, state={"role": "lawyer"}, part=0) == {
        "problem": "",
        "kept": True,
    }
    state = {"answers": {"LIT1": "3", "LIT3": "dont_know"}}
    assert "vraag 2, 4" in you.call("api/check", config, state=state, part=1)["problem"]


def test_submit_stores_once_and_shows_the_receipt_and_result(LINK, base, form_engine, competences):
    you = Browser(base)
    _, config = you.open(**LINK)
    state = complete(competences, seed=3)
    incomplete = {**state, "answers": {k: v for k, v in state["answers"].items() if k != "POL1"}}
    problem = you.call("api/submit", config, state=incomplete)["problem"]
    assert competences.dimension_by_id["political_savvy"].label.nl in problem
    assert store.load_responses(form_engine, ROUND).empty

    first = you.call("api/submit", config, state=state)
    again = you.call("api/submit", config, state=state)  # a double click, a retry
    code = q.receipt_code(f"form:{config['draft']}")
    assert code in first["result"] and code in again["result"]
    assert 'class="dwp-new-respondent"' in first["result"]
    responses = store.load_responses(form_engine, ROUND)
    assert responses["response_id"].tolist() == [f"form:{config['draft']}"]
    answers = store.load_answers(form_engine, ROUND)
    assert as_keys(answers) == state["answers"]
    assert set(answers["team_id"]) == {"gouda-team-financien"} and set(answers["role"]) == {
        "lawyer"
    }

    page, sent = you.open(**LINK, draft=config["draft"])  # a reload: the receipt again
    assert sent["sent"] is True and code in page and t("form.already_sent", "nl") in page
    page, fresh = Browser(base).open(**LINK, draft=config["draft"])  # another browser: fresh
    assert code not in page and fresh["draft"] != config["draft"]
    assert you.call("api/draft", config, state={}) == {"kept": False}  # sent: stays sent


def test_a_failed_write_says_so_and_the_retry_stores(
    LINK, base, form_engine, competences, monkeypatch
):
    calls = []
    real = store.store_response

    def flaky(engine, record):
        calls.append(record.response_id)
        if len(calls) == 1:
            raise store.StoreError("database is locked")
        return real(engine, record)

    monkeypatch.setattr(store, "store_response", flaky)
    you = Browser(base)
    _, config = you.open(**LINK)
    state = complete(competences)
    assert you.call("api/submit", config, state=state) == {
        "error": t("form.save_failed", "nl", error="StoreError")
    }
    assert "result" in you.call("api/submit", config, state=state)
    assert calls == [f"form:{config['draft']}"] * 2
    assert len(store.load_responses(form_engine, ROUND)) == 1


def test_another_browsers_draft_cannot_be_sent_under_its_id(LINK, base, form_engine, competences):
    owner = Browser(base)
    _, config = owner.open(**LINK)
    intruder = Browser(base)
    intruder.open(**LINK)
    # before the owner saved anything, and after: the id is the owner's browser's only
    for saved in (False, True):
        if saved:
            owner.call("api/draft", config, state={"role": "lawyer", "page": 1})
        reply = intruder.call("api/submit", config, state=complete(competences, seed=1))
        assert set(reply) == {"rebind"} and reply["rebind"] != config["draft"]
        assert store.load_responses(form_engine, ROUND).empty
    # the intruder's page carries on under its own id: a response of its own
    assert "result" in intruder.call(
        "api/submit", {**config, "draft": reply["rebind"]}, state=complete(competences, seed=1)
    )
    assert "result" in owner.call("api/submit", config, state=complete(competences, seed=2))
    answers = store.load_answers(form_engine, ROUND)
    own = answers[answers["response_id"] == f"form:{config['draft']}"]
    assert as_keys(own) == complete(competences, seed=2)["answers"]
    assert len(store.load_responses(form_engine, ROUND)) == 2


@pytest.mark.parametrize(
    "cookie", ["", "dwp_form_key=short", "dwp_form_key=" + "!" * 43, "other=1"]
)
def test_a_send_without_a_valid_key_never_touches_a_draft(
    LINK, base, form_engine, competences, cookie
):
    owner = Browser(base)
    _, config = owner.open(**LINK)
    mine = {"role": "lawyer", "page": 1, "answers": {"LIT1": "4"}, "texts": {}}
    assert owner.call("api/draft", config, state=mine) == {"kept": True}
    intruder = Browser(base)
    intruder.cookie = cookie
    for path in ("api/submit", "api/draft", "api/check"):
        reply = intruder.call(path, config, state=complete(competences, seed=5), part=0)
        assert intruder.status == 403 and reply == {
            "problem": t("form.error.cookies", "nl"),
            "final": True,
        }
    assert store.load_responses(form_engine, ROUND).empty
    page, again = owner.open(**LINK, draft=config["draft"])  # the owner's draft as it was
    assert again["draft"] == config["draft"] and again["page"] == 1
    assert re.search(r'name="item:LIT1" value="4" checked', page)
    assert "result" in owner.call("api/submit", config, state=complete(competences, seed=2))
    answers = store.load_answers(form_engine, ROUND)
    assert as_keys(answers) == complete(competences, seed=2)["answers"]


def test_ten_respondents_sending_at_once_are_each_stored_once(LINK, base, form_engine, competences):
    people = [Browser(base) for _ in range(10)]
    configs = [p.open(**LINK)[1] for p in people]
    states = [complete(competences, seed=n) for n in range(10)]
    replies = []

    def send(n):  # each sends twice, at the same moment as the others
        for _ in range(2):
            replies.append(people[n].call("api/submit", configs[n], state=states[n]))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(replies) == 20 and all("result" in r for r in replies)
    answers = store.load_answers(form_engine, ROUND)
    assert len(store.load_responses(form_engine, ROUND)) == 10
    for config, state in zip(configs, states, strict=True):
        own = answers[answers["response_id"] == f"form:{config['draft']}"]
        assert as_keys(own) == state["answers"]


def test_the_api_takes_json_and_draft_ids_only(LINK, base):
    you = Browser(base)
    _, config = you.open(**LINK)
    for headers, body in [
        ({"Content-Type": "text/plain"}, {"draft": config["draft"]}),
        ({"Content-Type": "application/json"}, {"draft": "../../etc/passwd"}),
    ]:
        request = urllib.request.Request(
            base + "api/draft",
            data=json.dumps(body).encode(),
            method="POST",
            headers={**headers, "Cookie": you.cookie},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        assert refused.value.code in (400, 415)


def test_a_link_without_a_valid_invitation_is_refused_in_the_respondents_language(
    LINK, base, form_engine, competences
):
    revoked = invite(form_engine)
    assert invitations.revoke(form_engine, revoked["token"])
    other_team = invite(form_engine, invitations.Unit("gouda", "gouda-programma-energietransitie"))
    cases = {
        "form.error.no_invitation": [
            {"round": ROUND, "organisation": "gouda", "team": "gouda-team-financien"},  # no token
            {**LINK, "token": "x" * 32},  # a made-up one
            {**LINK, "token": "../../etc"},
            {**LINK, "organisation": "almere"},  # edited into another organisation
            {**other_team, "team": "gouda-team-financien"},  # another team's token
            {**LINK, "collaboration": "energie"},
        ],
        "form.error.invitation_revoked": [revoked],
    }
    for key, links in cases.items():
        for link in links:
            for lang in ("nl", "en"):
                you = Browser(base)
                page, config = you.open(**link, lang=lang)
                assert you.status == 403 and not config, link
                assert 'class="dwp-error"' in page and t(key, lang) in page
                assert t("form.error_heading", lang) in page
    # the API refuses the same links: nothing stored, no draft kept
    you = Browser(base)
    _, config = you.open(**LINK)
    for link in [*cases["form.error.no_invitation"], revoked]:
        query = urlencode(link)
        for path in ("api/draft", "api/submit"):
            reply = you.call(path, {**config, "query": query}, state=complete(competences))
            assert reply["final"] is True and "result" not in reply
    assert store.load_responses(form_engine, ROUND).empty
    assert not list((store.data_dir() / "drafts").glob("*/*.json"))


def test_an_invitation_binds_round_organisation_and_team(base, form_engine, competences):
    link = invite(form_engine, invitations.Unit("woerden", "woerden-team-veiligheid"))
    bare = {"token": link["token"]}  # the token alone opens its team's form
    you = Browser(base)
    page, config = you.open(**bare)
    assert "Woerden" in page and config["query"] == urlencode(bare)
    assert "result" in you.call("api/submit", config, state=complete(competences))
    answers = store.load_answers(form_engine, ROUND)
    assert set(answers["organisation_id"]) == {"woerden"} and set(answers["team_id"]) == {
        "woerden-team-veiligheid"
    }
    assert f"token={link['token']}" in re.search(
        r'class="dwp-language" href="([^"]+)"', page
    ).group(1)


def test_a_personal_link_sends_one_response(base, form_engine, competences):
    link = invite(form_engine, kind="person")
    first, second = Browser(base), Browser(base)
    _, one = first.open(**link)
    _, two = second.open(**link)  # the same personal link opened twice (forwarded)
    assert "result" in first.call("api/submit", one, state=complete(competences, seed=1))
    assert "result" in first.call("api/submit", one, state=complete(competences, seed=1))  # a retry
    reply = second.call("api/submit", two, state=complete(competences, seed=2))
    assert reply == {"problem": t("form.error.invitation_used", "nl"), "final": True}
    page, _ = second.open(**link)
    assert second.status == 403 and t("form.error.invitation_used", "nl") in page
    page, sent = first.open(**link, draft=one["draft"])  # the sender's reload: the receipt
    assert sent.get("sent") is True
    assert store.load_responses(form_engine, ROUND)["response_id"].tolist() == [
        f"form:{one['draft']}"
    ]
    assert invitations.find(form_engine, link["token"]).response_id == f"form:{one['draft']}"


def test_only_the_open_rounds_the_server_was_started_for_take_answers(
    LINK, base, form_engine, competences, data_strategy
):
    store.create_round(
        form_engine, competences, "2025"
    )  # last year's round, still open in the store
    old = invite(form_engine, round_id="competences-2025")
    you = Browser(base)
    page, config = you.open(**old)
    assert (
        you.status == 403
        and html.escape(t("form.error.round_not_served", "nl", round="competences-2025")) in page
    )
    _, mine = you.open(**LINK)
    reply = you.call("api/submit", {**mine, "query": urlencode(old)}, state=complete(competences))
    assert reply["final"] is True and "result" not in reply
    assert store.load_responses(form_engine, "competences-2025").empty
    # a served round closed while respondents are filling it in takes nothing more
    state = complete(competences)
    store.close_round(form_engine, ROUND)
    reply = you.call("api/submit", mine, state=state)
    assert reply == {"problem": t("form.error.round_closed", "nl", round=ROUND), "final": True}
    assert store.load_responses(form_engine, ROUND).empty


def test_new_respondent_gives_the_browser_a_new_key_by_post_only(LINK, base):
    you = Browser(base)
    _, config = you.open(**LINK)
    old = you.cookie
    # a GET (a link or an image on another page of the same host) changes nothing
    request = urllib.request.Request(
        base + "new?" + urlencode({**LINK, "draft": config["draft"]}), headers={"Cookie": old}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code in (404, 405) and "Set-Cookie" not in refused.value.headers
    for kind in (
        "text/plain",
        "application/x-www-form-urlencoded",
    ):  # what another site's form can send
        request = urllib.request.Request(
            base + "api/new",
            data=b"{}",
            method="POST",
            headers={"Content-Type": kind, "Cookie": old},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        assert refused.value.code == 415 and "Set-Cookie" not in refused.value.headers
    request = urllib.request.Request(
        base + "api/new",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json", "Cookie": old},
    )
    with urllib.request.urlopen(request) as reply:
        given = reply.headers["Set-Cookie"]
    new = given.split(";")[0]
    assert new.startswith(browser.COOKIE + "=") and new != old
    assert "SameSite=Lax" in given and "HttpOnly" in given
    you.cookie = new
    assert you.open(**LINK, draft=config["draft"])[1]["draft"] != config["draft"]  # a fresh form


def test_the_result_names_only_the_no_opinion_options_the_instrument_has(
    competences, data_strategy
):
    own = q.result_intro(competences, "nl")
    assert "Weet ik niet" in own and "van toepassing" not in own.lower()
    both = q.result_intro(data_strategy, "en")
    assert "Don't know" in both and "Not applicable" in both


def test_the_count_page_names_the_organisation_and_lists_teams_before_any_response(
    base, form_engine
):
    count = invite(form_engine, invitations.Unit("gouda"), kind="facilitator")
    page, _ = Browser(base).open("count", token=count["token"])
    assert t("collect.count_heading_organisation", "nl", organisation="Gouda", round=ROUND) in page
    teams = store.teams(form_engine)
    for team_id in teams[teams["organisation_id"] == "gouda"]["id"]:
        assert f'data-team="{team_id}">0<' in page
    assert t("collect.count_none", "nl") in page
    assert 'http-equiv="refresh"' in page


def test_the_count_is_reachable_only_with_the_facilitators_own_token(LINK, base, form_engine):
    count = invite(form_engine, invitations.Unit("gouda"), kind="facilitator")
    you = Browser(base)
    for params in ({**LINK, "view": "count"}, {"round": ROUND, "view": "count"}):
        page, _ = you.open(**params)
        assert (
            you.status == 403
            and t("form.error.count_link", "nl") in page
            and "dwp-counts" not in page
        )
    for token in (LINK["token"], invite(form_engine, kind="person")["token"], "", "y" * 32):
        page, _ = you.open("count", token=token)
        assert you.status == 403 and "dwp-counts" not in page
    page, config = you.open(token=count["token"])  # the facilitator's token opens no form
    assert you.status == 403 and not config
    page, _ = you.open("count", token=count["token"])
    assert you.status == 200 and "dwp-counts" in page and "almere" not in page.lower()


def test_the_instrument_is_parsed_once_per_process(form_engine):
    info = store.get_round(form_engine, ROUND)
    assert q.round_instrument(info) is q.round_instrument(info)


def test_the_form_server_imports_no_widgets_and_no_plotly():
    code = (
        "import sys, dwp_assess.collect.web; "
        "print(sorted(m for m in ('ipywidgets', 'plotly', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_sent_form_parses_no_instrument_once_its_organisation_is_recorded(
    form_engine, competences, monkeypatch
):
    ctx = q.resolve_context(form_engine, ROUND, "gouda", "gouda-team-financien")
    state = q.clean_state(ctx, complete(competences))
    assert (
        store.store_response(form_engine, q.record_of_state(ctx, q.new_response_id(), state))
        == store.STORED
    )

    def parse(*_args, **_kwargs):
        raise AssertionError("instrument files parsed for a sent form")

    monkeypatch.setattr(rounds, "get_instrument", parse)  # where the round's unit is found
    second = q.record_of_state(ctx, q.new_response_id(), state)
    assert store.store_response(form_engine, second) == store.STORED
    assert store.load_round_organisations(form_engine, ROUND)["organisation_id"].tolist() == [
        "gouda"
    ]


def raw_post(
    base: str, path: str, data: bytes, cookie: str = "", kind: str = "application/json"
) -> tuple[int, bytes]:
    request = urllib.request.Request(
        base + path,
        data=data,
        method="POST",
        headers={"Content-Type": kind} | ({"Cookie": cookie} if cookie else {}),
    )
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def test_every_malformed_api_call_gets_a_4xx_without_a_traceback(LINK, base, form_engine):
    you = Browser(base)
    _, config = you.open(**LINK)
    ok = {"query": config["query"], "draft": config["draft"]}
    bodies = [
        json.dumps({"draft": 123}),
        json.dumps({"draft": None}),
        json.dumps({"draft": ["a"]}),
        json.dumps({"draft": {"x": 1}}),
        json.dumps([ok]),
        json.dumps("text"),
        "null",
        "1e999999",
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        "{",
        "",
        json.dumps({**ok, "query": 5}),
        json.dumps({**ok, "query": ["a"]}),
        json.dumps({**ok, "state": []}),
        json.dumps({**ok, "state": "x"}),
        json.dumps(
            {**ok, "state": {"answers": [1], "texts": "x", "page": "2", "role": {}}, "part": "1"}
        ),
        json.dumps({**ok, "part": True}),
        json.dumps({**ok, "part": 10**30}),
    ]
    for path in ("api/draft", "api/check", "api/submit"):
        for body in bodies:
            status, reply = raw_post(base, path, body.encode(), you.cookie)
            assert 200 <= status < 500, (path, body[:40], status)
            assert b"Traceback" not in reply and b'File "' not in reply
        for data in (b"\xff\xfe\x00{", '{"draft": "\u00e9"}'.encode("latin-1")):  # not UTF-8
            status, _ = raw_post(base, path, data, you.cookie)
            assert status == 400
    status, _ = raw_post(base, "api/check", json.dumps({**ok, "part": 10**30}).encode(), you.cookie)
    assert status == 200  # a part out of range: a message, nothing else
    assert store.load_responses(form_engine, ROUND).empty


def request_with_host(url: str, host: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_a_request_for_another_host_name_is_refused(LINK, base):
    port = base.rsplit(":", 1)[1].strip("/")
    form = base + "?" + urlencode(LINK)
    for host in (
        "evil.example",
        f"evil.example:{port}",
        "127.0.0.1.nip.io",
        "localhost.evil.example",
        "",
        "[::2]",
    ):
        for url in (form, base + "static/form.css", base + "count?token=x"):
            status, body = request_with_host(url, host)
            assert status == 400 and "dwp-app" not in body and "dwp-item" not in body, (host, url)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        assert request_with_host(form, host)[0] == 200


def test_pages_forbid_framing_and_foreign_scripts_and_the_key_cookie_is_http_only(LINK, base):
    with urllib.request.urlopen(base + "?" + urlencode(LINK)) as reply:
        headers, page = reply.headers, reply.read().decode()
    policy = headers["Content-Security-Policy"]
    assert (
        "frame-ancestors 'none'" in policy
        and "script-src 'self'" in policy
        and "default-src 'none'" in policy
    )
    assert "unsafe-inline" not in policy and headers["X-Frame-Options"] == "DENY"
    assert "HttpOnly" in headers["Set-Cookie"] and "Secure" not in headers["Set-Cookie"]
    assert re.search(r"<script(?![^>]*(src=|application/json))", page) is None  # no inline script
    request = urllib.request.Request(
        base + "?" + urlencode(LINK), headers={"X-Forwarded-Proto": "https"}
    )
    with urllib.request.urlopen(request) as reply:  # behind an HTTPS proxy
        assert "Secure" in reply.headers["Set-Cookie"]
    with urllib.request.urlopen(
        base + re.search(r'src="([^"]+form\.js[^"]*)"', page).group(1).replace("&amp;", "&")
    ) as reply:
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
        assert "max-age=86400" in reply.headers["Cache-Control"]


def test_made_up_keys_and_draft_ids_cannot_flood_the_disk(LINK, base, served, form_engine):
    served.quota = drafts.Quota(drafts.count(), per_browser=3, total=8)
    folder = store.data_dir() / "drafts" / ROUND
    one = Browser(base)
    configs = [one.open(**LINK)[1] for _ in range(5)]  # five forms opened in one browser
    kept = [one.call("api/draft", c, state={"role": "lawyer"})["kept"] for c in configs]
    assert kept == [True, True, True, False, False]  # at most 3 new drafts per browser key
    assert one.call("api/draft", configs[0], state={"role": "data_scientist"})[
        "kept"
    ]  # its own: still kept
    for n in range(40):  # made-up draft ids under a valid key: never a file
        fake = {**configs[0], "draft": f"{n:032x}"}
        assert set(one.call("api/draft", fake, state={"role": "lawyer"})) == {"rebind"}
    for _ in range(30):  # made-up keys, each a new browser: at most 8 drafts in all
        other = Browser(base)
        other.cookie = f"{browser.COOKIE}={browser.new_key()}"
        _, config = other.open(**LINK)
        other.call("api/draft", config, state={"role": "lawyer"})
        other.call("api/check", config, state={"role": "lawyer"}, part=0)
    assert len(list(folder.glob("*.json"))) == 8


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_invitation_table_is_added_to_an_existing_store(kind, request, sqlite_url, competences):
    from sqlalchemy import inspect, text

    engine = store.connect(
        sqlite_url if kind == "sqlite" else request.getfixturevalue("fresh_postgres")
    )
    registry.import_registry(engine, SAMPLE / "organisations.csv", SAMPLE / "teams.csv")
    store.create_round(engine, competences, "2026")
    with engine.begin() as conn:  # a store made before invitations existed
        conn.execute(text("DROP TABLE IF EXISTS invitation"))
    invitations._ready.clear()
    assert "invitation" not in inspect(engine).get_table_names()
    found = invitations.shared(engine, ROUND, TEAM, "group")
    assert "invitation" in inspect(engine).get_table_names()
    assert invitations.shared(engine, ROUND, TEAM, "group").token == found.token  # reused
    assert invitations.revoke(engine, found.token)
    assert invitations.shared(engine, ROUND, TEAM, "group").token != found.token
    assert not invitations.revoke(engine, "z" * 32)
    person = invitations.issue(engine, ROUND, TEAM, "person")[0]
    assert invitations.claim(engine, person.token, "form:a") and invitations.claim(
        engine, person.token, "form:a"
    )
    assert not invitations.claim(engine, person.token, "form:b")
    assert store.connect(
        str(engine.url.render_as_string(hide_password=False))
    )  # connecting again keeps it
    engine.dispose()


def test_invite_writes_personal_links_for_a_mail_merge_and_revokes(base, form_engine, competences):
    import csv

    from typer.testing import CliRunner

    from dwp_assess.cli.main import app

    out = store.data_dir() / "links.csv"
    public = "https://vragenlijst.example.nl/dwp/"
    command = ["--db", str(form_engine.url), "invite", "--round", ROUND]
    result = CliRunner().invoke(
        app, [*command, "--per-person", "2", "--csv", str(out), "--base-url", public]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 2 * len(store.teams(form_engine))  # two per team
    assert {r["kind"] for r in rows} == {"person"} and "count" not in "".join(
        r["link"] for r in rows
    )
    assert all(r["link"].startswith(public + "?round=") and r["token"] in r["link"] for r in rows)
    own = next(r for r in rows if r["team_id"] == "gouda-team-financien")
    link = {"round": ROUND, "organisation": "gouda", "team": own["team_id"], "token": own["token"]}
    you = Browser(base)
    _, config = you.open(**link)
    assert config and "result" in you.call("api/submit", config, state=complete(competences))
    revoked = next(r for r in rows if r["token"] != own["token"])
    result = CliRunner().invoke(app, [*command, "--revoke", revoked["token"]])
    assert result.exit_code == 0 and revoked["token"] in result.output
    page, _ = Browser(base).open(**{"token": revoked["token"]})
    assert t("form.error.invitation_revoked", "nl") in page
    result = CliRunner().invoke(app, [*command, "--revoke", "q" * 32])
    assert result.exit_code == 2 and "q" * 32 in result.output
