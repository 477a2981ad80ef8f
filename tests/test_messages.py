"""The message catalogue: texts with a number agree with it ("1 teamlid vulde niet in", "3
teamleden vulden niet in"), never hedged as "teamlid/teamleden vulde(n)"."""

from __future__ import annotations

import re
import string

import pytest

from dwp_assess.instruments.messages import catalogue, t, t_count

HEDGED = re.compile(r"\w\((?:e|n|s|en|es)\)|\b\w+/\w+(?:en|s)\b")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_no_message_hedges_a_number_with_both_forms():
    hedged = {
        (key, lang): HEDGED.search(text).group()
        for key, entry in catalogue().items()
        for lang, text in entry.items()
        if HEDGED.search(text)
    }
    assert not hedged


def test_every_counted_message_has_both_forms_with_the_same_placeholders():
    keys = [
        k.removesuffix("_one")
        for k in catalogue()
        if k.endswith("_one") and f"{k[:-4]}_many" in catalogue()
    ]
    assert len(keys) >= 4
    for key in keys:
        for lang in ("nl", "en"):
            one, many = catalogue()[f"{key}_one"][lang], catalogue()[f"{key}_many"][lang]
            assert placeholders(one) <= placeholders(many) | {"n", "missing"}, key


@pytest.mark.parametrize(
    ("count", "nl", "en"),
    [
        (
            1,
            "Gouda: 1 vertegenwoordiger vulde de checklist in",
            "Gouda: 1 representative filled in the checklist",
        ),
        (
            3,
            "Gouda: 3 vertegenwoordigers vulden de checklist in",
            "Gouda: 3 representatives filled in the checklist",
        ),
    ],
)
def test_a_counted_message_agrees_with_its_number(count, nl, en):
    assert t_count("project_plan.party_response", count, "nl", name="Gouda", n=count) == nl
    assert t_count("project_plan.party_response", count, "en", name="Gouda", n=count) == en


def test_one_member_who_did_not_answer_is_one_member():
    text = t_count("report.coverage_nonresponse", 1, "nl", n=3, missing=1)
    assert text.startswith("1 uitgenodigd teamlid vulde niet in.") and "{" not in text
    assert t_count("report.coverage_nonresponse", 2, "en", n=3, missing=2).startswith(
        "2 invited members did not answer."
    )
    assert t("report.coverage_nonresponse_many", "nl", n=3, missing=2).startswith(
        "2 uitgenodigde teamleden vulden"
    )
