"""The web form without a kernel per respondent (``collect/web.py``, ``page.py``), at the HTTP
level: the server runs in a thread of the test process against the test's SQLite store.
Browsers (Chromium) are in ``tests/test_collect_browser.py``."""

from __future__ import annotations

import asyncio
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

from dwp_assess.collect import browser, drafts, web
from dwp_assess.collect import questionnaire as q
from dwp_assess.collect import server as collect
from dwp_assess.data import registry, store
from dwp_assess.instruments.messages import t

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ROUND = "competences-2026"
ORG_ROUND = "data-strategy-2026"
LINK = {"round": ROUND, "organisation": "gouda", "team": "gouda-team-financien"}


@pytest.fixture
def form_engine(engine, competences, data_strategy):
    registry.import_registry(engine, SAMPLE / "organisations.csv", SAMPLE / "teams.csv")
    store.create_round(engine, competences, "2026")
    store.create_round(engine, data_strategy, "2026")
    return engine


@pytest.fixture
def base(form_engine):
    """The form server in a thread (its own event loop), on a free port."""
    port = collect.free_port()
    ready = threading.Event()
    holder = {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server = web.make_app(form_engine).listen(port, "127.0.0.1")
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

    def open(self, **params) -> tuple[str, dict]:
        """The page's HTML and its settings for the script (draft id, query, part)."""
        request = urllib.request.Request(self.base + "?" + urlencode(params))
        if self.cookie:
            request.add_header("Cookie", self.cookie)
        with urllib.request.urlopen(request) as reply:
            given = reply.headers.get("Set-Cookie")
            if given:
                self.cookie = given.split(";")[0]
            body = reply.read().decode()
        found = re.search(r'id="dwp-config" type="application/json">(.*?)</script>', body)
        return body, json.loads(found.group(1)) if found else {}

    def call(self, path: str, config: dict, **body) -> dict:
        payload = json.dumps({"query": config["query"], "draft": config["draft"], **body})
        request = urllib.request.Request(self.base + path, data=payload.encode(), method="POST",
                                         headers={"Content-Type": "application/json", "Cookie": self.cookie})  # fmt: skip
        with urllib.request.urlopen(request) as reply:
            return json.loads(reply.read())


def complete(instrument, seed: int = 0) -> dict:
    """A complete state: every item answered (a pattern per ``seed``), a role, an open answer."""
    answers = {}
    for n, item in enumerate(instrument.items):
        keys = [k for _, k in q.option_pairs(instrument, item.id, "nl")]
        answers[item.id] = keys[(n + seed) % len(keys)]
    texts = {f.id: f"antwoord {seed}" for f in instrument.free_text}
    return {"answers": answers, "role": "lawyer", "texts": texts, "page": len(instrument.dimensions) + 1}  # fmt: skip


def as_keys(frame) -> dict[str, str]:
    return {
        r.item_id: (r.code if isinstance(r.code, str) else str(int(r.value)))
        for r in frame.itertuples()
        if not isinstance(r.text, str)
    }


def test_the_page_shows_a_loading_message_in_the_forms_language(base):
    you = Browser(base)
    page, _ = you.open(**LINK)
    assert f'class="dwp-loading" role="status">{t("form.loading", "nl")}<' in page
    assert t("form.no_script", "nl") in page  # <noscript>
    english, _ = you.open(**LINK, lang="en")
    assert t("form.loading", "en") in english and t("form.loading", "nl") not in english
    assert '<div class="dwp-app" hidden>' in page  # the form shows once its script runs
    assert "Executing" not in page and "voila" not in page.lower()


def test_a_new_browser_gets_a_key_and_a_fresh_form(base):
    you = Browser(base)
    page, config = you.open(**LINK)
    key = you.cookie.split("=", 1)[1]
    assert browser.is_key(key) and drafts.is_draft_id(config["draft"])
    assert config["query"] == urlencode(LINK) and config["page"] == 0
    _, again = you.open(**LINK)
    assert you.cookie.split("=", 1)[1] == key  # the browser keeps its key
    assert again["draft"] != config["draft"]  # a link without draft=: a new form


def test_a_reload_restores_the_draft_only_in_the_browser_that_made_it(base, form_engine, competences):  # fmt: skip
    you = Browser(base)
    _, config = you.open(**LINK)
    state = {"answers": {"LIT1": "4", "LIT2": "dont_know"}, "role": "lawyer", "page": 1,
             "texts": {"team_expectation": "Sneller <b>inzicht</b>"}}  # fmt: skip
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
    assert other.call("api/draft", {**theirs, "draft": config["draft"]}, state={"page": 2}) == {"kept": False}  # fmt: skip
    assert you.open(**LINK, draft=config["draft"])[1]["page"] == 1  # the owner's draft unchanged


def test_the_state_a_browser_sends_is_reduced_to_what_the_form_offers(form_engine, competences):
    ctx = q.resolve_context(form_engine, ROUND, "gouda", None, "nl")
    dirty = {"answers": {"LIT1": "3", "LIT2": "9", "NOPE": "1", "LIT3": ["1"]}, "role": "king",
             "team": "almere-team-x", "texts": {"team_expectation": "x" * 20_000, "other": "y"},
             "page": 99, "extra": True}  # fmt: skip
    assert q.clean_state(ctx, dirty) == {"answers": {"LIT1": "3"}, "role": None, "team": None,
                                         "texts": {"team_expectation": "x" * 10_000}, "page": 0}  # fmt: skip
    assert q.clean_state(ctx, {"team": "gouda-team-financien"})["team"] == "gouda-team-financien"


def test_next_names_what_is_missing_on_the_part(base):
    you = Browser(base)
    _, config = you.open(**LINK)
    assert (
        t("form.missing_role", "nl") in you.call("api/check", config, state={}, part=0)["problem"]
    )
    assert you.call("api/check", config, state={"role": "lawyer"}, part=0) == {"problem": ""}
    state = {"answers": {"LIT1": "3", "LIT3": "dont_know"}}
    assert "vraag 2, 4" in you.call("api/check", config, state=state, part=1)["problem"]


def test_submit_stores_once_and_shows_the_receipt_and_result(base, form_engine, competences):
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


def test_a_failed_write_says_so_and_the_retry_stores(base, form_engine, competences, monkeypatch):
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
    assert you.call("api/submit", config, state=state) == {"error": t("form.save_failed", "nl", error="StoreError")}  # fmt: skip
    assert "result" in you.call("api/submit", config, state=state)
    assert calls == [f"form:{config['draft']}"] * 2
    assert len(store.load_responses(form_engine, ROUND)) == 1


def test_another_browsers_draft_cannot_be_sent_under_its_id(base, form_engine, competences):
    owner = Browser(base)
    _, config = owner.open(**LINK)
    owner.call("api/draft", config, state={"role": "lawyer"})
    intruder = Browser(base)
    intruder.open(**LINK)
    reply = intruder.call("api/submit", config, state=complete(competences))
    assert reply == {"problem": t("form.save_conflict", "nl"), "final": True}
    assert store.load_responses(form_engine, ROUND).empty


def test_ten_respondents_sending_at_once_are_each_stored_once(base, form_engine, competences):
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


def test_the_api_takes_json_and_draft_ids_only(base):
    you = Browser(base)
    _, config = you.open(**LINK)
    for headers, body in [({"Content-Type": "text/plain"}, {"draft": config["draft"]}),
                          ({"Content-Type": "application/json"}, {"draft": "../../etc/passwd"})]:  # fmt: skip
        request = urllib.request.Request(base + "api/draft", data=json.dumps(body).encode(),
                                         method="POST", headers={**headers, "Cookie": you.cookie})  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        assert refused.value.code in (400, 415)


def test_a_bad_link_says_what_is_wrong_in_the_respondents_language(base):
    page, config = Browser(base).open(round=ROUND, organisation="atlantis", lang="en")
    assert 'class="dwp-error"' in page and "atlantis" in page and not config
    assert t("form.error_heading", "en") in page
    page, _ = Browser(base).open(round=ROUND)
    assert t("form.error.missing_organisation", "nl") in page


def test_new_respondent_gives_the_browser_a_new_key_and_a_fresh_form(base):
    you = Browser(base)
    _, config = you.open(**LINK)
    old = you.cookie

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(base + "new?" + urlencode({**LINK, "draft": config["draft"]}))
    request.add_header("Cookie", old)
    with pytest.raises(urllib.error.HTTPError) as moved:
        urllib.request.build_opener(Stay).open(request)
    assert moved.value.code == 302
    assert moved.value.headers["Location"] == "./?" + urlencode(LINK)
    new = moved.value.headers["Set-Cookie"].split(";")[0]
    assert new.startswith(browser.COOKIE + "=") and new != old
    assert "SameSite=Lax" in moved.value.headers["Set-Cookie"]


def test_the_result_names_only_the_no_opinion_options_the_instrument_has(competences, data_strategy):  # fmt: skip
    own = q.result_intro(competences, "nl")
    assert "Weet ik niet" in own and "van toepassing" not in own.lower()
    both = q.result_intro(data_strategy, "en")
    assert "Don't know" in both and "Not applicable" in both


def test_the_count_page_names_the_organisation_and_lists_teams_before_any_response(base, form_engine):  # fmt: skip
    page, _ = Browser(base).open(round=ROUND, organisation="gouda", view="count")
    assert t("collect.count_heading_organisation", "nl", organisation="Gouda", round=ROUND) in page
    teams = store.teams(form_engine)
    for team_id in teams[teams["organisation_id"] == "gouda"]["id"]:
        assert f'data-team="{team_id}">0<' in page
    assert t("collect.count_none", "nl") in page
    assert 'http-equiv="refresh"' in page


def test_the_instrument_is_parsed_once_per_process(form_engine):
    info = store.get_round(form_engine, ROUND)
    assert q.round_instrument(info) is q.round_instrument(info)


def test_the_form_server_imports_no_widgets_and_no_plotly():
    code = ("import sys, dwp_assess.collect.web; "
            "print(sorted(m for m in ('ipywidgets', 'plotly', 'IPython') if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_sent_form_parses_no_instrument_once_its_organisation_is_recorded(form_engine, competences, monkeypatch):  # fmt: skip
    ctx = q.resolve_context(form_engine, ROUND, "gouda", "gouda-team-financien")
    state = q.clean_state(ctx, complete(competences))
    assert store.store_response(form_engine, q.record_of_state(ctx, q.new_response_id(), state)) == store.STORED  # fmt: skip

    def parse(*_args, **_kwargs):
        raise AssertionError("instrument files parsed for a sent form")

    monkeypatch.setattr(store, "get_instrument", parse)
    second = q.record_of_state(ctx, q.new_response_id(), state)
    assert store.store_response(form_engine, second) == store.STORED
    assert store.load_round_organisations(form_engine, ROUND)["organisation_id"].tolist() == ["gouda"]  # fmt: skip
