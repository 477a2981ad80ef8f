"""The Goed Digitaal Bestuur questionnaire filled in Chromium through ``dwp-assess collect``'s
form server: per principle both questions of every value, a tip with each value, the
principle's "what do we agree on" at the end of its part, then stored as one response."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from dwp_assess.collect import server as collect
from dwp_assess.data import invitations, registry, store
from dwp_assess.instruments.loading import get_instrument
from tests.form_server import serving

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ROUND = "digital-governance-2026"
TEAM = "gouda-team-financien"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("collect-gdb")
    url = f"sqlite:///{folder / 'dwp.sqlite'}"
    engine = store.connect(url)
    registry.import_registry(engine, SAMPLE / "organisations.csv", SAMPLE / "teams.csv")
    instrument = get_instrument("digital-governance")
    store.create_round(engine, instrument, "2026")
    try:
        with serving(
            lambda port: collect.start(ROUND, port, url, data_dir=folder / "data")
        ) as base:
            yield base, engine, instrument
    finally:
        engine.dispose()


def test_fill_in_every_principle_and_submit(served, page):
    base, engine, instrument = served
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith("http://127.0.0.1") else route.abort()
        ),
    )
    token = invitations.shared(engine, ROUND, invitations.Unit("gouda", TEAM), "group").token
    page.goto(
        base
        + "?"
        + urlencode({"round": ROUND, "organisation": "gouda", "team": TEAM, "token": token}),
        wait_until="commit",
    )
    page.wait_for_selector("button.dwp-next", timeout=60_000)
    first = instrument.items[0]
    page.locator("button.dwp-next").press("Enter")
    page.wait_for_selector(f".dwp-item-{first.id}", timeout=30_000)
    assert instrument.value_by_id[first.public_value].description.nl in page.inner_text(
        "body"
    )  # the tip
    chosen, texts = {}, {}
    for n, dim in enumerate(instrument.dimensions):
        for k, item in enumerate(instrument.items_of(dim.id)):
            index = (n + k) % 6  # 1–5 and, for the sixth option, "weet ik niet"
            page.locator(f".dwp-item-{item.id} input[type=radio]").nth(index).check()
            chosen[item.id] = "dont_know" if index == 5 else str(index + 1)
        question = next(f for f in instrument.free_text if f.dimension == dim.id)
        texts[question.id] = f"Afspraak over {dim.label.nl} <b>vet</b>"
        page.locator(f".dwp-text-{question.id} textarea").fill(texts[question.id])
        after = instrument.dimensions[n + 1] if n + 1 < len(instrument.dimensions) else None
        page.locator("button.dwp-next").press("Enter")
        page.wait_for_selector(
            f".dwp-item-{instrument.items_of(after.id)[0].id}" if after else "button.dwp-submit",
            timeout=30_000,
        )
    page.locator("button.dwp-submit").click()
    page.wait_for_selector(".dwp-receipt", timeout=60_000)
    code = re.search(r"[0-9A-F]{4}-[0-9A-F]{4}", page.inner_text(".dwp-receipt")).group(0)
    answers = store.load_answers(engine, ROUND)
    own = answers[answers["response_id"].str.startswith("form:" + code.replace("-", "").lower())]
    stored = {
        r.item_id: r.code if isinstance(r.code, str) else str(int(r.value))
        for r in own.itertuples()
        if not isinstance(r.text, str)
    }
    assert stored == chosen
    assert (
        dict(
            zip(
                own.dropna(subset=["text"])["item_id"],
                own.dropna(subset=["text"])["text"],
                strict=True,
            )
        )
        == texts
    )
    assert set(own["team_id"]) == {TEAM}
