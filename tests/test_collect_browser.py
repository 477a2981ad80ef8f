"""The form as respondents use it: served by Voilà, filled in Debian's Chromium through Playwright.

One Voilà server for the module, on a free port, against a throwaway SQLite store; it and its
kernels are stopped at the end. Every request that does not go to the server is aborted, so the
tests also show that the form works offline (Voilà's template asks a CDN for a font stylesheet).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from dwp_assess.collect import server as collect
from dwp_assess.data import registry, store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ROUND = "competences-2026"
LOAD_TIMEOUT = 120_000  # ms: ten kernels starting at once on two cores

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("collect")
    url = f"sqlite:///{folder / 'dwp.sqlite'}"
    engine = store.connect(url)
    registry.import_registry(engine, SAMPLE / "organisations.csv", SAMPLE / "teams.csv")
    store.create_round(engine, get_instrument("competences", 1), "2026")
    port = collect.free_port()
    process = collect.start(ROUND, port, url, data_dir=folder / "data")
    try:
        collect.wait_until_ready(collect.base_url(port), process)
        yield collect.base_url(port), engine, folder
    finally:
        collect.stop(process)
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
    return base + "?" + urlencode({"round": ROUND, "organisation": "gouda", **params})


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
        radios = page.locator(f".dwp-item-{item_id} input[type=radio]")
        index = random.Random(f"{seed}:{item_id}").randrange(radios.count())
        radios.nth(index).check()
        chosen[item_id] = option_key(item_id, index)
    return chosen


def option_key(item_id: str, index: int) -> str:
    """ipywidgets radios carry the 0-based option index as value; map it to the form's key."""
    scale = get_instrument("competences", 1).scale_of(item_id)
    keys = [str(p.value) for p in scale.points] + scale.special_codes()
    return keys[index]


def go_next(page, wait_for: str) -> None:
    page.locator("button.dwp-next").press("Enter")  # keyboard: focus the button, press Enter
    page.wait_for_selector(wait_for, timeout=30_000)


def fill_to_the_end(page, seed: int, role_index: int = 1) -> dict[str, str]:
    """Role by keyboard, then every competence page; stops on the closing page."""
    competences = get_instrument("competences", 1)
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


def receipt(page) -> str:
    page.wait_for_selector(".dwp-receipt", timeout=60_000)
    return re.search(r"[0-9A-F]{4}-[0-9A-F]{4}", page.inner_text(".dwp-receipt")).group(0)


def test_fill_in_validate_submit_and_find_the_answers_in_the_store(server, page):
    base, engine, _ = server
    competences = get_instrument("competences", 1)
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

    page.goto(form_url(base, view="count"), wait_until="commit")
    page.wait_for_selector(".dwp-counts", timeout=LOAD_TIMEOUT)
    assert page.inner_text("td.dwp-count[data-team=gouda-team-financien]") == "1"
    assert "inzicht" not in page.inner_text("body")


def test_english_by_link_and_bad_links_in_dutch(server, page):
    base, _, _ = server
    competences = get_instrument("competences", 1)
    open_form(page, form_url(base, team="gouda-team-financien"))
    page.locator("a.dwp-language").click()
    page.wait_for_selector(f"h2:has-text('{competences.title.en}')", timeout=LOAD_TIMEOUT)
    assert "lang=en" in page.url
    body = page.inner_text("body")
    assert competences.introduction.en[:40] in body
    assert t("form.next", "en") in page.inner_text("button.dwp-next")
    assert competences.respondent_fields[0].choices[0].label.en in body

    page.goto(form_url(base, organisation="atlantis"), wait_until="commit")
    page.wait_for_selector(".dwp-error", timeout=LOAD_TIMEOUT)
    text = page.inner_text(".dwp-error")
    assert t("form.error_heading", "nl") in text and "atlantis" in text
    assert "Traceback" not in page.content()


def test_ten_respondents_submit_at_the_same_time(server, browser):
    base, engine, _ = server
    before = len(store.load_responses(engine, ROUND))
    n = 10
    context = browser.new_context()
    pages = [offline(context.new_page()) for _ in range(n)]
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
    roles = [c.code for c in get_instrument("competences", 1).respondent_fields[0].choices]
    for seed, (code, answers) in enumerate(zip(codes, chosen, strict=True)):
        keys, meta = stored_keys(engine, response_of_receipt(engine, code))
        assert keys == answers
        assert meta["texts"] == {"team_expectation": f"respondent {seed}"}
        assert meta["role"] == {roles[seed % 5]}
        assert meta["team"] == {"gouda-programma-energietransitie"}
    context.close()


def test_links_per_team_and_server_writes_only_under_its_data_folder(server):
    base, engine, folder = server
    found = collect.links(engine, ROUND, base)
    teams = store.teams(engine)
    assert [(link.organisation_id, link.team_id) for link in found] == [
        (o, tm)
        for o in store.organisations(engine)["id"]
        for tm in teams[teams["organisation_id"] == o]["id"]  # fmt: skip
    ]
    assert found[0].form_url.startswith(base + "?round=competences-2026&organisation=")
    assert found[0].count_url.endswith("view=count")
    runtime = folder / "data" / "jupyter" / "runtime"
    assert any(p.name.startswith("voila_") for p in runtime.iterdir())  # kernel connection files


def test_collect_command_prints_links_serves_and_stops_on_ctrl_c(server, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    _, engine, folder = server
    port = collect.free_port()
    env = {**os.environ, "DWP_DATABASE_URL": str(engine.url), "DWP_DATA_DIR": str(tmp_path)}
    cli = subprocess.Popen(
        [sys.executable, "-m", "dwp_assess", "collect", "--round", ROUND, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        lines = []
        while not any("Ctrl+C" in line for line in lines):
            line = cli.stdout.readline()
            assert line, cli.stderr.read()
            lines.append(line)
        collect.wait_until_ready(collect.base_url(port), timeout=60)
        text = "".join(lines)
        link = (
            f"http://127.0.0.1:{port}/?round={ROUND}&organisation=gouda&team=gouda-team-financien"
        )
        assert link in text
        assert f"http://127.0.0.1:{port}/?round={ROUND}&organisation=gouda&view=count" in text
        children = psutil.Process(cli.pid).children(recursive=True)
        assert (tmp_path / "jupyter" / "runtime").is_dir()
    finally:
        os.killpg(cli.pid, signal.SIGINT)
        try:
            cli.wait(30)
        finally:
            if cli.poll() is None:
                os.killpg(cli.pid, signal.SIGKILL)
    time.sleep(0.5)
    assert cli.returncode == 0
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
