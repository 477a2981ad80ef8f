"""The form as respondents use it: served by ``dwp-assess collect``'s form server, filled in
Debian's Chromium through Playwright.

One form server for the module, on a free port, against a throwaway SQLite store, in the
session's test project; it is stopped at the end. Every link carries its unit's invitation
token (``data/invitations.py``), as ``dwp-assess collect`` prints it. Every request that does not go to the server
is aborted, so the tests also show that the form works offline. A browser context is one
browser: its own cookies.
"""

from __future__ import annotations

import functools
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import psutil
import pytest

from dwp_assess.collect import browser as browser_key
from dwp_assess.collect import server as collect
from dwp_assess.collect.questionnaire import option_pairs
from dwp_assess.data import invitations, registry, store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from tests.form_server import serving

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ROUND = "competences-2026"
LOAD_TIMEOUT = 60_000  # ms: ten pages at once on two cores, beside another worker
STORE = {}  # the module's store, for the links' tokens

pytestmark = pytest.mark.browser


@functools.cache
def competences_v1():
    """The round's instrument, parsed once (parsing every instrument file takes 0.1 s: the
    helpers below ask for it per radio button)."""
    return get_instrument("competences", 1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("collect")
    url = f"sqlite:///{folder / 'dwp.sqlite'}"
    engine = store.connect(url)
    registry.import_registry(engine, SAMPLE / "organisations.csv", SAMPLE / "teams.csv")
    store.create_round(engine, competences_v1(), "2026")
    STORE["engine"] = engine
    try:
        with serving(
            lambda port: collect.start(ROUND, port, url, data_dir=folder / "data")
        ) as base:
            yield base, engine, folder
    finally:
        engine.dispose()


def offline(page):
    """Abort every request that leaves the local server (the machine may have no internet)."""
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith("http://127.0.0.1") else route.abort()
        ),
    )
    return page


def form_url(base: str, **params) -> str:
    """The link of a team (or organisation) with its invitation token."""
    params = {"round": ROUND, "organisation": "gouda", **params}
    if "token" not in params:
        unit = invitations.Unit(params["organisation"], params.get("team"))
        params["token"] = invitations.shared(STORE["engine"], ROUND, unit, "group").token
    return base + "?" + urlencode(params)


def count_url(base: str, organisation: str = "gouda") -> str:
    """The facilitator's count page of ``organisation``."""
    found = invitations.shared(
        STORE["engine"], ROUND, invitations.Unit(organisation), "facilitator"
    )
    return f"{base}count?token={found.token}"


def open_form(page, url: str, wait: bool = True):
    offline(page)
    page.goto(url, wait_until="commit")
    if wait:
        page.wait_for_selector("button.dwp-next", timeout=LOAD_TIMEOUT)
    return page


def answer_page(page, item_ids: list[str], seed: int, skip: str | None = None) -> dict[str, str]:
    """Click one radio per item (a pseudo-random option per ``seed``); return item id → key."""
    chosen = {}
    for item_id in item_ids:
        if item_id == skip:
            continue
        options = len(option_pairs(competences_v1(), item_id, "nl"))
        index = random.Random(f"{seed}:{item_id}").randrange(options)
        page.locator(f".dwp-item-{item_id} input[type=radio]").nth(index).check()
        chosen[item_id] = option_key(item_id, index)
    return chosen


def option_key(item_id: str, index: int) -> str:
    """The form's key of the radio at 0-based position ``index`` (scale points, then codes)."""
    scale = competences_v1().scale_of(item_id)
    keys = [str(p.value) for p in scale.points] + scale.special_codes()
    return keys[index]


def go_next(page, wait_for: str) -> None:
    page.locator("button.dwp-next").press("Enter")  # keyboard: focus the button, press Enter
    page.wait_for_selector(wait_for, timeout=30_000)


def fill_to_the_end(page, seed: int, role_index: int = 1) -> dict[str, str]:
    """Role by keyboard, then every competence page; stops on the closing page."""
    competences = competences_v1()
    role = page.locator(".dwp-role input[type=radio]")
    role.first.focus()
    page.keyboard.press("Space")
    for _ in range(role_index):
        page.keyboard.press("ArrowDown")
    chosen = {}
    dims = competences.dimensions
    go_next(page, f".dwp-item-{competences.items_of(dims[0].id)[0].id}")
    for n, dim in enumerate(dims):
        ids = [i.id for i in competences.items_of(dim.id)]
        chosen |= answer_page(page, ids, seed + n)
        after = competences.items_of(dims[n + 1].id)[0].id if n + 1 < len(dims) else None
        go_next(page, f".dwp-item-{after}" if after else "button.dwp-submit")
    return chosen


def stored_keys(engine, response_id: str) -> tuple[dict[str, str], dict]:
    answers = store.load_answers(engine, ROUND)
    own = answers[answers["response_id"] == response_id]
    keys = {
        r.item_id: r.code if isinstance(r.code, str) else str(int(r.value))
        for r in own.itertuples()
        if not isinstance(r.text, str)
    }
    texts = {r.item_id: r.text for r in own.itertuples() if isinstance(r.text, str)}
    return keys, {"texts": texts, "role": set(own["role"]), "team": set(own["team_id"])}


def response_of_receipt(engine, code: str) -> str:
    prefix = "form:" + code.replace("-", "").lower()
    ids = [r for r in store.load_responses(engine, ROUND)["response_id"] if r.startswith(prefix)]
    assert len(ids) == 1, (code, ids)
    return ids[0]


def draft_in_address(page, not_this: str | None = None) -> str:
    """The draft id the page's script put in its address (waits for it; ``not_this``: wait
    until the address holds another one)."""
    page.wait_for_url(
        lambda url: (
            bool(re.search(r"draft=[0-9a-f]{32}", url)) and (not not_this or not_this not in url)
        ),
        timeout=30_000,
    )
    return parse_qs(urlsplit(page.url).query)["draft"][0]


def key_in(context) -> str | None:
    """The browser key this browser (context) holds."""
    found = [c["value"] for c in context.cookies() if c["name"] == browser_key.COOKIE]
    return found[0] if found else None


def checked_keys(page, item_ids: list[str]) -> dict[str, str]:
    """Item id → the option key checked on the page (items without a checked option left out)."""
    found = {}
    for item_id in item_ids:
        radios = page.locator(f".dwp-item-{item_id} input[type=radio]")
        checked = [k for k in range(radios.count()) if radios.nth(k).is_checked()]
        if checked:
            found[item_id] = option_key(item_id, checked[0])
    return found


def assert_fresh_form(page) -> None:
    """The first page of an empty form: no role, no receipt, no note that it was sent."""
    page.wait_for_selector("button.dwp-next", timeout=LOAD_TIMEOUT)
    assert page.inner_text(".dwp-progress-text") == t("form.progress", "nl", n=1, total=10)
    role = page.locator(".dwp-role input[type=radio]")
    assert not any(role.nth(k).is_checked() for k in range(role.count()))
    assert page.locator(".dwp-receipt").count() == 0
    assert t("form.already_sent", "nl") not in page.inner_text("body")


def receipt(page) -> str:
    page.wait_for_selector(".dwp-receipt", timeout=60_000)
    return re.search(r"[0-9A-F]{4}-[0-9A-F]{4}", page.inner_text(".dwp-receipt")).group(0)


CHART_WIDTHS = (320, 375, 700, 1280)  # px of the window: phones, the tests' window, a laptop


# Per text of the result chart: its margins to the drawing's edges as shown (left, right, top,
# bottom; negative: cut off); and the drawing's margins to the form's column.
CHART_MARGINS = """svg => {
  const box = svg.getBoundingClientRect();
  const column = svg.closest("main").getBoundingClientRect();
  const margins = [...svg.querySelectorAll("text")].map(text => {
    const r = text.getBoundingClientRect();
    return [text.textContent, r.left - box.left, box.right - r.right, r.top - box.top, box.bottom - r.bottom];
  });
  return {svg: [box.left - column.left, column.right - box.right], texts: margins};
}"""


def assert_chart_text_inside(page) -> None:
    """Every text of the result chart lies inside the drawing as shown (a name or score that
    runs out of the svg is cut off), and the drawing inside the form's column."""
    boxes = page.locator(".dwp-result svg").evaluate(CHART_MARGINS)
    assert min(boxes["svg"]) >= -1, boxes["svg"]
    assert boxes["texts"]
    cut = [(text, margins) for text, *margins in boxes["texts"] if min(margins) < -0.5]
    assert not cut, cut


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_result_chart_cuts_no_text_at_any_width(page, lang):
    """The own result's chart, as the form's stylesheet shows it, with every part name of every
    instrument and a long name without spaces, at a phone's width and wider (issue 26: no
    chart may cut its text)."""
    import pandas as pd

    from dwp_assess.collect import rendering
    from dwp_assess.instruments.loading import available_instruments

    labels = [d.label.get(lang) for i in available_instruments().values() for d in i.dimensions]
    labels += ["Doelbinding, afspraken en wettelijke basis " * 3 + "W" * 40, "M" * 90]
    scores = pd.DataFrame({"label": labels, "score": [5.0] * (len(labels) - 1) + [None]})
    svg = rendering.result_chart_svg(scores, competences_v1(), lang)
    css = (Path(rendering.__file__).with_name("static") / "form.css").read_text(encoding="utf-8")
    page.set_content(
        f'<!DOCTYPE html><html lang="{lang}"><head><style>{css}</style></head><body>'
        f'<main class="dwp-form"><div class="dwp-result">{svg}</div></main></body></html>'
    )
    for width in CHART_WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_chart_text_inside(page)


def test_fill_in_validate_submit_and_find_the_answers_in_the_store(server, page):
    base, engine, _ = server
    competences = competences_v1()
    open_form(page, form_url(base, team="gouda-team-financien"))
    assert competences.introduction.nl[:40] in page.inner_text("body")
    assert t("form.privacy_heading", "nl") in page.inner_text("body")
    page.locator("button.dwp-next").click()
    page.wait_for_selector(f".dwp-message:has-text('{t('form.missing_role', 'nl')}')")

    role = page.locator(".dwp-role input[type=radio]")
    role.first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # keyboard only: second role
    go_next(page, ".dwp-item-LIT1")
    assert page.inner_text(".dwp-progress-text") == t("form.progress", "nl", n=2, total=10)
    first = [i.id for i in competences.items_of("data_literacy")]
    chosen = answer_page(page, first, seed=0, skip="LIT2")
    page.locator("button.dwp-next").click()
    message = page.locator(".dwp-message")
    message.filter(has_text=t("form.missing_items", "nl", numbers="2")).wait_for(timeout=30_000)
    assert page.locator(".dwp-item-LIT1").is_visible()  # still on the page, answers kept
    radios = page.locator(".dwp-item-LIT1 input[type=radio]")
    checked = [k for k in range(radios.count()) if radios.nth(k).is_checked()]
    assert [option_key("LIT1", k) for k in checked] == [chosen["LIT1"]]
    chosen |= answer_page(page, ["LIT2"], seed=0)
    dims = competences.dimensions
    second = competences.items_of(dims[1].id)[0].id
    go_next(page, f".dwp-item-{second}")

    page.reload(wait_until="commit")  # a reload mid-way: same page, answers kept (draft)
    page.wait_for_selector(f".dwp-item-{second}", timeout=LOAD_TIMEOUT)
    assert "draft=" in page.url
    assert page.inner_text(".dwp-progress-text") == t("form.progress", "nl", n=3, total=10)
    page.locator("button.dwp-previous").click()
    page.wait_for_selector(".dwp-item-LIT1", timeout=30_000)
    for item_id in first:
        radios = page.locator(f".dwp-item-{item_id} input[type=radio]")
        checked = [k for k in range(radios.count()) if radios.nth(k).is_checked()]
        assert [option_key(item_id, k) for k in checked] == [chosen[item_id]]
    go_next(page, f".dwp-item-{second}")
    for n, dim in enumerate(dims[1:], start=1):
        chosen |= answer_page(page, [i.id for i in competences.items_of(dim.id)], seed=n)
        after = competences.items_of(dims[n + 1].id)[0].id if n + 1 < len(dims) else None
        go_next(page, f".dwp-item-{after}" if after else "button.dwp-submit")
    page.locator(".dwp-text-team_expectation textarea").fill("Sneller <b>inzicht</b> in kosten")
    page.locator(".dwp-text-team_expectation textarea").blur()
    page.locator("button.dwp-submit").dblclick()  # a double click must not store twice
    code = receipt(page)
    assert page.locator(".dwp-result svg").count() == 1
    assert t("form.result_heading", "nl") in page.inner_text(".dwp-result")

    response_id = response_of_receipt(engine, code)
    keys, meta = stored_keys(engine, response_id)
    assert keys == chosen
    assert meta == {
        "texts": {"team_expectation": "Sneller <b>inzicht</b> in kosten"},
        "role": {"data_scientist"},
        "team": {"gouda-team-financien"},
    }
    assert len(store.load_responses(engine, ROUND)) == 1

    page.reload(
        wait_until="commit"
    )  # a reload after sending shows the receipt again, stores nothing
    assert receipt(page) == code
    assert t("form.already_sent", "nl") in page.inner_text(".dwp-message")
    assert len(store.load_responses(engine, ROUND)) == 1

    page.goto(count_url(base), wait_until="commit")
    page.wait_for_selector(".dwp-counts", timeout=LOAD_TIMEOUT)
    assert page.inner_text("td.dwp-count[data-team=gouda-team-financien]") == "1"
    assert "inzicht" not in page.inner_text("body")


def test_english_by_link_and_bad_links_in_dutch(server, page):
    base, _, _ = server
    competences = competences_v1()
    open_form(page, form_url(base, team="gouda-team-financien"))
    page.locator("a.dwp-language").click()
    page.wait_for_selector(f"h2:has-text('{competences.title.en}')", timeout=LOAD_TIMEOUT)
    assert "lang=en" in page.url
    body = page.inner_text("body")
    assert competences.introduction.en[:40] in body
    assert t("form.next", "en") in page.inner_text("button.dwp-next")
    assert competences.respondent_fields[0].choices[0].label.en in body

    gouda = form_url(base, team="gouda-team-financien").rsplit("token=", 1)[1]
    page.goto(
        form_url(base, organisation="atlantis", token=gouda), wait_until="commit"
    )  # an edited link
    page.wait_for_selector(".dwp-error", timeout=LOAD_TIMEOUT)
    text = page.inner_text(".dwp-error")
    assert t("form.error_heading", "nl") in text and t("form.error.no_invitation", "nl") in text
    assert "Traceback" not in page.content()

    page.goto(
        base + "?" + urlencode({"round": ROUND, "organisation": "gouda"}), wait_until="commit"
    )  # no token
    page.wait_for_selector(".dwp-error", timeout=LOAD_TIMEOUT)
    assert t("form.error.no_invitation", "nl") in page.inner_text(".dwp-error")
    assert page.locator("button.dwp-next").count() == 0


def test_a_forwarded_address_opens_a_fresh_form_and_a_reload_restores(server, browser):
    base, engine, _ = server
    competences = competences_v1()
    roles = [c.code for c in competences.respondent_fields[0].choices]
    first_ids = [i.id for i in competences.items_of(competences.dimensions[0].id)]
    first = browser.new_context()
    a = open_form(first.new_page(), form_url(base, team="gouda-team-financien"))
    a.locator(".dwp-role input[type=radio]").nth(2).check()
    go_next(a, f".dwp-item-{first_ids[0]}")
    chosen_a = answer_page(a, first_ids, seed=21)
    draft_a = draft_in_address(a)
    address = a.url

    other = browser.new_context()  # another browser opens the forwarded address
    b = open_form(other.new_page(), address)
    assert_fresh_form(b)
    draft_b = draft_in_address(b, not_this=draft_a)
    assert key_in(other) not in (None, key_in(first))
    chosen_b = fill_to_the_end(b, seed=22, role_index=3)
    b.locator("button.dwp-submit").click()
    response_b = response_of_receipt(engine, receipt(b))
    assert response_b == f"form:{draft_b}"  # the newcomer's answers, as a response of their own
    keys, meta = stored_keys(engine, response_b)
    assert keys == chosen_b and meta["role"] == {roles[3]}
    assert f"form:{draft_a}" not in set(store.load_responses(engine, ROUND)["response_id"])

    a.reload(wait_until="commit")  # the first browser reloads: its own draft comes back
    a.wait_for_selector(f".dwp-item-{first_ids[0]}", timeout=LOAD_TIMEOUT)
    assert checked_keys(a, first_ids) == chosen_a
    assert draft_in_address(a) == draft_a
    first.close()
    other.close()


def test_a_sent_form_stays_with_its_browser_until_new_respondent(server, browser):
    base, engine, _ = server
    shared = browser.new_context()  # the laptop passed round in a team session
    page = open_form(shared.new_page(), form_url(base, team="gouda-programma-energietransitie"))
    fill_to_the_end(page, seed=31, role_index=0)
    page.locator("button.dwp-submit").click()
    code = receipt(page)
    draft = draft_in_address(page)
    sent_address = page.url

    elsewhere = browser.new_context()  # the sent address in another browser: a fresh form
    other = open_form(elsewhere.new_page(), sent_address)
    assert_fresh_form(other)
    assert code not in other.inner_text("body")
    elsewhere.close()

    old_key = key_in(shared)
    page.locator("button.dwp-new-respondent").click()
    page.wait_for_url(lambda url: draft not in url, wait_until="commit", timeout=LOAD_TIMEOUT)
    assert_fresh_form(page)
    assert draft_in_address(page) != draft
    assert key_in(shared) not in (None, old_key)  # the key was rotated
    page.goto(sent_address, wait_until="commit")  # the old address, same browser: forgotten
    assert_fresh_form(page)
    assert code not in page.inner_text("body")
    shared.close()


def test_two_first_visits_at_once_end_with_one_key_and_both_drafts_kept(server, browser):
    """Two tabs opened together before the browser has a key: the server gives each a key, the
    browser keeps the last one given; the tab whose draft id belongs to the other key gets an
    id of the key the browser holds when it first saves (``rebind``), so both reload safely."""
    base, _, _ = server
    context = browser.new_context()
    tabs = [offline(context.new_page()) for _ in range(2)]
    for tab in tabs:
        tab.goto(form_url(base, team="gouda-team-financien"), wait_until="commit")
    drafts = []
    for n, tab in enumerate(tabs):
        tab.bring_to_front()
        tab.wait_for_selector("button.dwp-next", timeout=LOAD_TIMEOUT)
        drafts.append(draft_in_address(tab))
        tab.locator(".dwp-role input[type=radio]").nth(n).check()
        go_next(tab, ".dwp-item-LIT1")  # the draft holds page 2 when it shows
        drafts[n] = draft_in_address(tab)
    assert drafts[0] != drafts[1]
    for n, tab in enumerate(tabs):
        tab.bring_to_front()
        tab.reload(wait_until="commit")
        tab.wait_for_selector(".dwp-item-LIT1", timeout=LOAD_TIMEOUT)
        assert draft_in_address(tab) == drafts[n]
    context.close()


def test_a_link_without_team_lets_the_respondent_choose_it(server, page):
    base, engine, _ = server
    teams = store.teams(engine)
    own = teams[teams["organisation_id"] == "almere"]
    name, team_id = own["name"].iloc[-1], own["id"].iloc[-1]
    open_form(page, form_url(base, organisation="almere"))
    shown = [
        o.replace("\xa0", " ") for o in page.locator(".dwp-team select option").all_inner_texts()
    ]
    assert sorted(shown) == sorted(own["name"])  # ipywidgets shows spaces as no-break spaces
    page.locator("button.dwp-next").click()
    page.wait_for_selector(f".dwp-message:has-text('{t('form.missing_team', 'nl')}')")
    page.locator(".dwp-team select").select_option(index=shown.index(name))
    chosen = fill_to_the_end(page, seed=41, role_index=2)
    page.locator("button.dwp-submit").click()
    keys, meta = stored_keys(engine, response_of_receipt(engine, receipt(page)))
    assert keys == chosen and meta["team"] == {team_id}


def test_ten_respondents_submit_at_the_same_time(server, browser):
    base, engine, _ = server
    before = len(store.load_responses(engine, ROUND))
    n = 10
    # ten respondents, ten browsers (tabs of one browser share its form key)
    pages = [offline(browser.new_context().new_page()) for _ in range(n)]
    url = form_url(base, team="gouda-programma-energietransitie")
    for p in pages:  # all ten page loads (and kernels) start together
        p.goto(url, wait_until="commit")
    chosen = []
    for seed, p in enumerate(pages):
        p.bring_to_front()  # background tabs throttle animation frames, which clicks wait for
        p.wait_for_selector("button.dwp-next", timeout=LOAD_TIMEOUT)
        chosen.append(fill_to_the_end(p, seed, role_index=seed % 5))
        box = p.locator(".dwp-text-team_expectation textarea")
        box.fill(f"respondent {seed}")
        box.blur()
    assert len({tuple(sorted(c.items())) for c in chosen}) == n  # every respondent differs
    for p in pages:  # submit all at once: a DOM click each, no waiting between them
        p.locator("button.dwp-submit").dispatch_event("click")
    codes = []
    for p in pages:
        p.bring_to_front()
        codes.append(receipt(p))
    assert len(store.load_responses(engine, ROUND)) == before + n
    roles = [c.code for c in competences_v1().respondent_fields[0].choices]
    for seed, (code, answers) in enumerate(zip(codes, chosen, strict=True)):
        keys, meta = stored_keys(engine, response_of_receipt(engine, code))
        assert keys == answers
        assert meta["texts"] == {"team_expectation": f"respondent {seed}"}
        assert meta["role"] == {roles[seed % 5]}
        assert meta["team"] == {"gouda-programma-energietransitie"}
    for p in pages:
        p.context.close()


def test_links_per_team_and_server_writes_only_under_its_data_folder(server):
    base, engine, folder = server
    found = collect.links(engine, ROUND, base)
    teams = store.teams(engine)
    assert [(link.organisation_id, link.team_id) for link in found] == [
        (o, tm)
        for o in store.organisations(engine)["id"]
        for tm in teams[teams["organisation_id"] == o]["id"]
    ]
    assert found[0].form_url.startswith(base + "?round=competences-2026&organisation=")
    assert f"token={found[0].token}" in found[0].form_url and found[0].count_url.startswith(
        base + "count?token="
    )
    assert len({link.token for link in found}) == len(found)  # a token per team
    assert list((folder / "data" / "drafts" / ROUND).glob("*.json"))  # drafts: in its data folder
    assert (folder / "data" / "jupyter" / "runtime").is_dir()  # temporary files too


def start_collect(engine, data_dir: Path) -> tuple[subprocess.Popen, int, list[str]]:
    """``python -m dwp_assess collect`` in a session of its own (as in a terminal), once it has
    printed its links and Voilà answers; returns the process, its port and the lines printed."""
    port = collect.free_port()
    env = {**os.environ, "DWP_DATABASE_URL": str(engine.url), "DWP_DATA_DIR": str(data_dir)}
    cli = subprocess.Popen(
        [sys.executable, "-m", "dwp_assess", "collect", "--round", ROUND, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    lines = []
    while not any("Ctrl+C" in line for line in lines):
        line = cli.stdout.readline()
        if not line:
            os.killpg(cli.pid, signal.SIGKILL)
            pytest.fail(cli.stderr.read())
        lines.append(line)
    collect.wait_until_ready(collect.base_url(port), timeout=60)
    return cli, port, lines


def stop_collect(cli: subprocess.Popen, signum: int, group: bool) -> None:
    """Send ``signum`` (to the process group, as a terminal's Ctrl+C does, or to the process,
    as ``kill PID`` does) and wait; a command that does not stop is killed and fails the test."""
    (os.killpg if group else os.kill)(cli.pid, signum)
    try:
        cli.wait(30)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)


def running(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for proc in processes:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
        except psutil.NoSuchProcess:
            pass
    return alive


def running_after_a_while(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those of ``processes`` still running once they had a minute to end: a process that
    ends is seen gone as soon as it is, however busy the machine (a fixed half second was
    not always enough for a server's kernels on a loaded machine)."""
    deadline = time.monotonic() + 60
    while running(processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running(processes)


def test_collect_command_prints_links_serves_and_stops_on_ctrl_c(server, tmp_path):
    _, engine, _ = server
    cli, port, lines = start_collect(engine, tmp_path)
    try:
        text = "".join(lines)
        base = f"http://127.0.0.1:{port}/"
        assert form_url(base, team="gouda-team-financien") in text
        for org in store.organisations(engine)["id"]:  # one count link per organisation
            assert text.count(count_url(base, org)) == 1
        children = psutil.Process(cli.pid).children(recursive=True)
        assert (tmp_path / "jupyter" / "runtime").is_dir()
    finally:
        stop_collect(cli, signal.SIGINT, group=True)
    assert cli.returncode == 0
    assert not running_after_a_while(children)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_collect_command_stops_its_server_on_kill_and_hangup(server, tmp_path, signum):
    _, engine, _ = server
    cli, port, _ = start_collect(engine, tmp_path)
    try:
        form = form_url(collect.base_url(port), team="gouda-team-financien")
        with urllib.request.urlopen(form, timeout=LOAD_TIMEOUT / 1000) as reply:
            assert reply.status == 200 and "dwp-app" in reply.read().decode()
        children = psutil.Process(cli.pid).children(recursive=True)
        assert any("dwp_assess.collect.web" in " ".join(c.cmdline()) for c in children)
    finally:
        stop_collect(cli, signum, group=False)
    assert cli.returncode == 0, cli.stderr.read()
    assert not running_after_a_while(children)
    assert collect.port_free(port)


def test_a_dutch_loading_message_until_the_form_is_ready(server, browser):
    base, _, _ = server
    held = []  # the form's script, held back: the page shows only the loading message
    for lang in ("nl", "en"):
        page = offline(browser.new_context().new_page())
        page.route("**/static/form.js?v=*", lambda route: held.append(route))
        page.goto(form_url(base, team="gouda-team-financien", lang=lang), wait_until="commit")
        loading = page.locator(".dwp-loading")
        loading.wait_for(state="visible", timeout=30_000)
        assert loading.inner_text() == t("form.loading", lang)
        assert not page.locator("button.dwp-next").is_visible()
        # the stylesheet may still be on its way when the message first shows (a loaded machine)
        page.wait_for_function(
            "() => document.querySelector('link[rel=stylesheet]').sheet !== null", timeout=30_000
        )
        assert loading.evaluate("e => getComputedStyle(e).fontFamily") == page.locator(
            "main.dwp-form"
        ).evaluate("e => getComputedStyle(e).fontFamily")  # styled like the form
        for _ in range(600):  # the request for the script reaches the route (at most 30 s)
            if held:
                break
            page.wait_for_timeout(50)
        held.pop().continue_()
        page.wait_for_selector("button.dwp-next", timeout=30_000)
        assert not loading.is_visible()
        page.context.close()


def test_layout_of_the_closing_page_the_result_and_the_count(server, page):
    base, _, _ = server
    page.set_viewport_size({"width": 700, "height": 900})
    page = offline(page)
    page.goto(count_url(base, "woerden"), wait_until="commit")
    heading = t("collect.count_heading_organisation", "nl", organisation="Woerden", round=ROUND)
    assert page.inner_text("h2") == heading
    assert page.inner_text("td.dwp-count[data-team=woerden-team-veiligheid]") == "0"

    open_form(page, form_url(base, organisation="woerden", team="woerden-team-veiligheid"))
    fill_to_the_end(page, seed=51)
    column = page.locator("main.dwp-form").bounding_box()
    box = page.locator(".dwp-text-team_expectation textarea").bounding_box()
    assert box["x"] >= column["x"] and box["x"] + box["width"] <= column["x"] + column["width"]
    page.locator("button.dwp-submit").click()
    receipt(page)
    result = page.inner_text(".dwp-result")
    assert "weet ik niet" in result.lower() and "van toepassing" not in result.lower()
    assert t("form.receipt_note", "nl") in result  # says to whom to quote the code
    chart = page.locator(".dwp-result svg").bounding_box()
    assert chart["x"] + chart["width"] <= column["x"] + column["width"] + 1
    for width in CHART_WIDTHS:  # the served chart at a phone's width and wider
        page.set_viewport_size({"width": width, "height": 900})
        assert_chart_text_inside(page)
    page.goto(count_url(base, "woerden"), wait_until="commit")
    assert page.inner_text("td.dwp-count[data-team=woerden-team-veiligheid]") == "1"
