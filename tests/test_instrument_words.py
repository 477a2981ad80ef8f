"""The words of the instruments and the advice (issue #26, the language pass).

A round stores its instrument's content hash, and its form and imports refuse an instrument
whose hash changed: so what a respondent reads (item texts, scale labels, choices, tips) is
only reworded in a new version, and every shipped version keeps its hash (pinned below, so
an accidental edit fails here and not in someone's round). What only reports show (the item
fields in ``_REPORT_ONLY_FIELDS``, the advice in ``recommendations.yaml``) is reworded in
place; it follows the rules of the government's writing guidance for managers (B1): short
sentences with one idea each, "u" throughout, no officialese.
"""

from __future__ import annotations

import html
import random
import re

import pytest

from dwp_assess.collect import page, xlsform
from dwp_assess.collect import questionnaire as q
from dwp_assess.instruments.loading import (
    QUESTIONNAIRE_DIR,
    RULES_NAME,
    available_instruments,
    read_yaml,
)
from dwp_assess.instruments.model import _REPORT_ONLY_FIELDS, Instrument

# The content hash of every version this package ships. A new version adds its line; an
# existing line never changes (its rounds would refuse their own instrument).
SHIPPED_HASHES = {
    "competences-v1": "e87c091209bbb9bb1a1da851ace89f458169cfd15b40e2715957fa854f29a8e9",
    "competences-v2": "dec6498946e194a5dd49eafce5255d475aa23c702456d0eb9f758ab0d9dc03a3",
    "competences-v3": "05b7cf034bac3c0a7a562a17c317ee2f8e423e3111bae5e015acf779254b44f6",
    "data-sharing-v1": "d0966f7b59801214a97e57464d6f5fc668055b988089bc4c0e185664b9b4324a",
    "data-sharing-v2": "eaf26d1d6cda487d2198882110a030ea3c448ce4b7ebd440851c07b8787a46c3",
    "data-strategy-v1": "08eb3e67e83c9c86a89d38e561b2c72a3926e582a6318162a60f65e806c10a8b",
    "data-strategy-v2": "803b5dae802570d2862c7643005c90f823135358eee182711b15011b642a4388",
    "data-strategy-v3": "6cfe660b3f932716d5854b0b494d1330b20c3e45b08be7daebe708c3b5abccd1",
    "digital-governance-v1": "eef37d7233c8903d73fd0528d1ce8ff468c6fc4b16264ab9529ba2d1a6a7a977",
    "digital-governance-v2": "3e448bbde8cdd94936b2ade0253ec9c771f4555a33ddd5e0656c40e088739b22",
}
LANGS = ("nl", "en")
SEED = 2611  # the words issue; no other test's seed


def _shipped() -> dict[str, Instrument]:
    return available_instruments(QUESTIONNAIRE_DIR)


def _file_of(instrument: Instrument) -> dict:
    return read_yaml(QUESTIONNAIRE_DIR / f"{instrument.key}.yaml")


def _other_words(rng: random.Random) -> dict[str, str]:
    words = ["afspraak", "gegevens", "partij", "register", "toets", "plan", "besluit", "team"]
    return {
        "nl": " ".join(rng.choice(words) for _ in range(rng.randint(3, 9))).capitalize() + ".",
        "en": " ".join(rng.choice(words) for _ in range(rng.randint(3, 9))).capitalize() + ".",
    }


# -- the hashes ------------------------------------------------------------------------------


def test_every_shipped_version_keeps_its_content_hash():
    assert {key: i.content_hash for key, i in _shipped().items()} == SHIPPED_HASHES


@pytest.mark.parametrize("key", sorted(SHIPPED_HASHES))
def test_rewording_a_report_only_field_keeps_the_hash_and_a_respondent_text_changes_it(key):
    """Every report-only field that a shipped file sets, reworded (with generated words):
    the same hash. An item text reworded the same way: another hash."""
    rng = random.Random(f"{SEED}-{key}")
    raw = _file_of(_shipped()[key])
    reworded = 0
    for item in raw["items"]:
        for field in _REPORT_ONLY_FIELDS:
            if item.get(field) is not None:
                item[field] = _other_words(rng)
                reworded += 1
    assert Instrument.model_validate(raw).content_hash == SHIPPED_HASHES[key]
    if key.startswith("data-sharing-"):  # the project plan's tasks: one per fact question
        assert reworded == 4
    raw["items"][rng.randrange(len(raw["items"]))]["text"] = _other_words(rng)
    assert Instrument.model_validate(raw).content_hash != SHIPPED_HASHES[key]


# -- report-only means the form never shows it -------------------------------------------------


def _project_plan_with_tasks(instrument: Instrument, rng: random.Random) -> Instrument:
    """A project-plan instrument made from ``instrument``'s items, every one with a task of
    generated words: the report-only fields of an instrument that uses them everywhere."""
    raw = instrument.model_dump(mode="json", exclude_none=True)
    raw["kind"], raw["output"] = "collaboration", "project-plan"
    raw["foundations"], raw["public_values"] = [], []
    for dim in raw["dimensions"]:
        dim.pop("foundation", None)
    raw["items"] = [i for i in raw["items"] if i.get("type", "rating") == "rating"]
    for item in raw["items"]:
        for field in ("public_value", "aspect"):
            item.pop(field, None)
        item["task"] = _other_words(rng)
    return Instrument.model_validate(raw)


def _report_only_texts(instrument: Instrument, lang: str) -> list[str]:
    return [
        getattr(item, field).get(lang)
        for item in instrument.items
        for field in _REPORT_ONLY_FIELDS
        if getattr(item, field) is not None
    ]


def _what_the_respondent_sees(instrument: Instrument, lang: str) -> str:
    """The web form (every part in one page) and the XLSForm's survey sheet, as text."""
    ctx = q.FormContext(instrument, "r1", "gouda", "Gouda", None, (), lang)
    form = html.unescape(re.sub(r"<[^>]+>", " ", page.form_page(ctx, "d" * 32, {}, "")))
    survey = " ".join(
        str(value) for row in xlsform.survey_rows(instrument) for value in row.values()
    )
    return f"{form} {survey}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_form_shows_no_report_only_text(lang):
    """The checklist's tasks, and generated tasks on every item of the data-strategy
    instrument, appear nowhere in the web form or the XLSForm, while every question does:
    a field outside the hash is one no respondent reads."""
    shipped = _shipped()
    rng = random.Random(SEED)
    for instrument in (
        shipped["data-sharing-v1"],
        _project_plan_with_tasks(shipped["data-strategy-v2"], rng),
    ):
        seen = _what_the_respondent_sees(instrument, lang)
        assert all(item.text.get(lang) in seen for item in instrument.items)
        hidden = _report_only_texts(instrument, lang)
        assert hidden and not [text for text in hidden if text in seen]


# -- the advice and the tasks: plain words for managers --------------------------------------

MAX_WORDS = 20  # per sentence; the guidance aims at about 15 on average
OFFICIALESE = {
    "nl": re.compile(
        r"\b(borg\w*|beleg\w*|herijk\w*|functiehuis|periodiek\w*|structure(el|le)|expliciet\w*|"
        r"go/stop|ketenpartner\w*|teneinde|middels|ten behoeve van|in het kader van|"
        r"alsmede|derhalve|inzake|conform|faciliter\w*|implementer\w*|vooringenomenheid|"
        r"begrippenkader|referentiearchitectuur|persoonsgebonden|capaciteit|je|jij|jouw|jullie)\b",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\b(utili[sz]e\w*|facilitat(e|es|ed|ing|ion)|implement\w*|in order to|leverage|chain partners?|"
        r"structural\w*|go/stop|hereby|thereof|whereby|aforementioned|capacity)\b",
        re.IGNORECASE,
    ),
}


def _advice_texts() -> dict[str, dict[str, str]]:
    """Every advice text a report prints, by where it comes from: the recommendation rules'
    actions, team rules, owners and tool descriptions, and the project plan's tasks."""
    from dwp_assess.analysis.recommend import load_rules

    rules = load_rules(QUESTIONNAIRE_DIR / RULES_NAME)
    texts: dict[str, dict[str, str]] = {}
    for block in rules.by_version.values():
        for action in block.actions:
            texts[f"action {action.id}"] = action.action.model_dump()
        for rule in block.team:
            texts[f"team rule {rule.competence}"] = rule.action.model_dump()
        for key, owner in block.owners.items():
            texts[f"owner {key}"] = owner.model_dump()
        for key, tool in block.tools.items():
            texts[f"tool {key}"] = tool.description.model_dump()
    for instrument in _shipped().values():
        for item in instrument.items:
            for field in _REPORT_ONLY_FIELDS:
                if getattr(item, field) is not None:
                    texts[f"{instrument.key} {item.id}.{field}"] = getattr(item, field).model_dump()
    return texts


def _sentences(text: str) -> list[str]:
    """Sentences, split after . ? ! and before a new one; a full stop inside a name such as
    data.overheid.nl or 2,5 does not end one."""
    return [s for s in re.split(r"(?<=[.?!])\s+(?=[A-Z\u00c0-\u00dd0-9])", text.strip()) if s]


def test_advice_texts_exist_in_both_languages():
    texts = _advice_texts()
    assert len(texts) > 40
    assert {k: v for k, v in texts.items() if not (v.get("nl") and v.get("en"))} == {}


@pytest.mark.parametrize("lang", LANGS)
def test_advice_sentences_are_short_with_one_idea_each(lang):
    """At most MAX_WORDS words per sentence, and no semicolon joining two ideas into one."""
    long, joined = {}, {}
    for where, text in _advice_texts().items():
        for sentence in _sentences(text[lang]):
            if len(sentence.split()) > MAX_WORDS:
                long[where] = sentence
            if ";" in sentence:
                joined[where] = sentence
    assert long == {}
    assert joined == {}


@pytest.mark.parametrize("lang", LANGS)
def test_advice_uses_plain_words_and_u(lang):
    """No officialese or unexplained jargon (borgen, beleggen, herijking, go/stop,
    ketenpartners, ...); in Dutch the reader is "u", never "je" or "jullie"."""
    found = {
        where: sorted({m.group(0).lower() for m in OFFICIALESE[lang].finditer(text[lang])})
        for where, text in _advice_texts().items()
    }
    assert {where: words for where, words in found.items() if words} == {}
