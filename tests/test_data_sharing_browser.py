"""The data-sharing checklist as a representative fills it in: in Debian's Chromium, on the form
server of ``dwp-assess collect``, for one collaboration of the sample registry.

The link names only the collaboration: the respondent first chooses their own organisation
among its members, then answers every point (a status and, for the points that ask it, a
fact), reads the tip cards, explains a point in the open question that belongs to it, and
sends. The stored response carries the collaboration and the organisation chosen.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from dwp_assess.collect import server as collect
from dwp_assess.data import invitations, registry, store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from tests.form_server import serving
from tests.test_collect_browser import LOAD_TIMEOUT, go_next, offline, receipt

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ROUND = "data-sharing-test"
COLLABORATION = "jeugd-utrecht"
INSTRUMENT = get_instrument("data-sharing", 1)

TOKENS = {}  # the collaboration's own link (its members choose their organisation)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("collect-data-sharing")
    url = f"sqlite:///{folder / 'dwp.sqlite'}"
    engine = store.connect(url)
    registry.import_registry(
        engine, SAMPLE / "organisations.csv", collaborations_csv=SAMPLE / "collaborations.csv"
    )
    store.create_round(engine, INSTRUMENT, "2026", ROUND)
    TOKENS["collaboration"] = invitations.shared(
        engine, ROUND, invitations.Unit(None, collaboration_id=COLLABORATION), "group"
    ).token
    try:
        with serving(
            lambda port: collect.start(ROUND, port, url, data_dir=folder / "data")
        ) as base:
            yield base, engine
    finally:
        engine.dispose()


def test_a_representative_chooses_their_organisation_fills_in_the_checklist_and_sends(server, page):
    base, engine = server
    offline(page)
    page.goto(
        base
        + "?"
        + urlencode(
            {"round": ROUND, "collaboration": COLLABORATION, "token": TOKENS["collaboration"]}
        ),
        wait_until="commit",
    )
    page.wait_for_selector("a.dwp-member", timeout=LOAD_TIMEOUT)
    members = page.locator("a.dwp-member").all_inner_texts()
    assert members == ["Amersfoort", "Provincie Utrecht", "Woerden"]  # members only, by name
    page.locator("a.dwp-member", has_text="Woerden").click()
    page.wait_for_selector("button.dwp-next", timeout=LOAD_TIMEOUT)
    assert "collaboration=jeugd-utrecht" in page.url and "organisation=woerden" in page.url

    page.locator(".dwp-role input[type=radio]").first.check()
    dims = INSTRUMENT.dimensions
    go_next(page, f".dwp-item-{INSTRUMENT.items_of(dims[0].id)[0].id}")
    tip = INSTRUMENT.item_by_id["LG1"].tip.nl
    assert tip in page.inner_text(".dwp-tip-LG1")
    chosen = {}
    for n, dim in enumerate(dims):
        for item in INSTRUMENT.items_of(dim.id):
            radios = page.locator(f".dwp-item-{item.id} input[type=radio]")
            index = 1 if item.id == "GV4" else 0  # GV4 "in bespreking", the rest the first option
            radios.nth(index).check()
            chosen[item.id] = float(INSTRUMENT.scale_of(item.id).points[index].value)
        if n == 0:
            page.locator(".dwp-text-LG1_note textarea").fill("Onze jurist <b>zoekt</b> het uit")
            page.locator(".dwp-text-LG1_note textarea").blur()
        after = INSTRUMENT.items_of(dims[n + 1].id)[0].id if n + 1 < len(dims) else None
        go_next(page, f".dwp-item-{after}" if after else "button.dwp-submit")
    page.locator("button.dwp-submit").click()
    code = receipt(page)

    responses = store.load_responses(engine, ROUND)
    assert len(responses) == 1
    stored = responses.iloc[0]
    assert (stored["organisation_id"], stored["collaboration_id"]) == ("woerden", COLLABORATION)
    assert stored["response_id"].startswith("form:" + code.replace("-", "").lower())
    answers = store.load_answers(engine, ROUND)
    values = answers.dropna(subset=["value"]).set_index("item_id")["value"].to_dict()
    assert values == chosen
    assert (
        answers.set_index("item_id").loc["LG1_note", "text"] == "Onze jurist <b>zoekt</b> het uit"
    )


def test_a_non_member_or_an_unknown_collaboration_cannot_open_the_form(server, page):
    base, _ = server
    offline(page)
    # the collaboration's own link, edited to a non-member: the collaboration refuses it
    page.goto(
        base
        + "?"
        + urlencode(
            {
                "round": ROUND,
                "collaboration": COLLABORATION,
                "organisation": "gouda",
                "token": TOKENS["collaboration"],
            }
        ),
        wait_until="commit",
    )
    page.wait_for_selector(".dwp-error", timeout=LOAD_TIMEOUT)
    assert t(
        "form.collaboration.not_a_member",
        "nl",
        organisation="gouda",
        collaboration="Jeugdhulp in beeld",
    ) in page.inner_text(".dwp-error")
    # a link edited to another collaboration: its token is not for it
    page.goto(
        base
        + "?"
        + urlencode(
            {
                "round": ROUND,
                "collaboration": "nergens",
                "lang": "en",
                "token": TOKENS["collaboration"],
            }
        ),
        wait_until="commit",
    )
    page.wait_for_selector(".dwp-error", timeout=LOAD_TIMEOUT)
    assert t("form.error.no_invitation", "en") in page.inner_text(".dwp-error")
