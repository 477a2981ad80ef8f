"""Version 3 of data-strategy and competences: the same questions in plain words (B1).

A version that only rewords must leave everything a figure rests on as it was (ids,
dimensions, scale values, keying, DIKW stages, scoring), so a change between a v2 (or v1)
round and a v3 round is the change the same-version rule would give. Mappings declare a
reworded scale explicitly and compose along the chain v1 → v2 → v3; an export made with an
older version's form is still imported into a round of the newest one.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from dwp_assess.analysis.comparison import change_scores, change_since, shared_items
from dwp_assess.cli.main import app
from dwp_assess.data import store
from dwp_assess.data.importers import import_file, parse_cell, scale_lookup
from dwp_assess.data.registry import import_registry
from dwp_assess.data.sample import data_strategy_round
from dwp_assess.data.sample_files import write_msforms
from dwp_assess.instruments.loading import (
    QUESTIONNAIRE_DIR,
    get_instrument,
    get_mapping,
    load_mapping,
    mapping_chain,
    older_wording,
)
from dwp_assess.instruments.versions import chained_items, comparable_items
from tests.generated_rounds import answers_with_respondents, data_strategy_rounds

REWORDED = {  # instrument → (older, newer version): the newer only rewords the older
    "data-strategy": (2, 3),
    "competences": (2, 3),
    "data-sharing": (1, 2),
    "digital-governance": (1, 2),
}
WORDS = {"title", "introduction", "privacy", "label", "description", "level_descriptors", "text"}
WORDS |= {"tip", "task", "aliases"}
SEED = 2603  # the third version; no other test's seed


def _without_words(value):
    """An instrument's content (``model_dump``) with every text taken out: what scoring,
    keying, comparison and the reports' structure rest on."""
    if isinstance(value, dict):
        return {k: _without_words(v) for k, v in value.items() if k not in WORDS}
    if isinstance(value, list):
        return [_without_words(v) for v in value]
    return value


# -- the files -------------------------------------------------------------------------------


def test_validate_passes_the_reworded_versions_and_their_mappings():
    names = [f"{i}-v{b}.yaml" for i, (a, b) in REWORDED.items()]
    names += [f"{i}-v{a}-to-v{b}.yaml" for i, (a, b) in REWORDED.items()]
    result = CliRunner().invoke(app, ["validate", *(str(QUESTIONNAIRE_DIR / n) for n in names)])
    assert result.exit_code == 0, result.output
    assert "8 instrument and mapping file(s) valid" in result.output


@pytest.mark.parametrize("instrument_id", sorted(REWORDED))
def test_the_newest_version_changes_only_words(instrument_id):
    old, new = REWORDED[instrument_id]
    before, after = get_instrument(instrument_id, old), get_instrument(instrument_id)
    assert after.version == new
    dump = lambda i: _without_words(i.model_dump(mode="json", exclude={"version"}))  # noqa: E731
    assert dump(before) == dump(after)
    mapping = get_mapping(instrument_id, old, new)
    assert {c.status for c in mapping.items.values()} == {"kept", "reworded"}
    reworded = [i for i, c in mapping.items.items() if c.status == "reworded"]
    assert reworded == [i.id for i in before.items if i.text.nl != after.item_by_id[i.id].text.nl]
    assert after.content_hash != before.content_hash


def test_the_safeguarding_scale_says_geregeld_and_stays_comparable():
    """Goed Digitaal Bestuur v2 says "geregeld" where v1 said "geborgd", in the questions
    and in every label of their scale: declared reworded, so every pair stays comparable,
    and a v1 label is still read on import into a v2 round."""
    v1, v2 = get_instrument("digital-governance", 1), get_instrument("digital-governance", 2)
    labels = [p.label.nl for p in v2.scale_by_id["safeguarding5"].points]
    assert all(label.endswith("geregeld") for label in labels)
    assert {p.value for p in v1.scale_by_id["safeguarding5"].points} == {1, 2, 3, 4, 5}
    pairs = comparable_items(v1, v2, get_mapping("digital-governance", 1, 2))
    assert len(pairs) == len(v1.items) and pairs["comparable"].all()
    scale = v2.scale_by_id["safeguarding5"]
    former = older_wording(v2).labels["safeguarding5"]
    assert parse_cell("Grotendeels geborgd", scale, scale_lookup(scale, former))[0] == 4
    assert parse_cell("Grotendeels geborgd", scale, scale_lookup(scale))[2]  # without: refused


def test_the_level_descriptions_are_reworded_and_declared_so(tmp_path):
    """The level questions of v3 keep their text but their answers (the descriptions) are
    new words: without `scales: level5` in the mapping, "kept" does not fit the files; a
    declared scale must exist in both versions with the same values."""
    v2, v3 = get_instrument("data-strategy", 2), get_instrument("data-strategy", 3)
    assert v2.item_by_id["VS_LEVEL"].text == v3.item_by_id["VS_LEVEL"].text
    assert v2.scale_of("VS_LEVEL") != v3.scale_of("VS_LEVEL")
    raw = yaml.safe_load((QUESTIONNAIRE_DIR / "data-strategy-v2-to-v3.yaml").read_text("utf-8"))

    def problems(edit) -> str:
        changed = yaml.safe_load(yaml.safe_dump(raw))
        edit(changed)
        path = tmp_path / "data-strategy-v2-to-v3.yaml"
        path.write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ValueError) as caught:
            load_mapping(path)
        return str(caught.value)

    message = problems(lambda m: m.pop("scales"))
    assert "items.VS_LEVEL.status: 'kept' does not fit the files" in message
    assert "scale same: False" in message
    message = problems(lambda m: m["scales"].update(agree7={"status": "reworded"}))
    assert "scales.agree7: not a scale of data-strategy-v2" in message
    message = problems(lambda m: m["scales"].update(freq5={"status": "kept"}))
    assert "scales.freq5.status" in message


# -- plain words ---------------------------------------------------------------------------

MAX_WORDS = 20
JARGON = {
    "nl": re.compile(
        r"\b(borg\w*|geborgd|beleg\w*|formatie|structure(el|le)|ketenpartner\w*|terzijde|"
        r"vooringenomenheid|doelbinding|mede|berust\w*|federatief|schaalbaar|geïntegreerd|"
        r"ontsluit\w*|ontsluiten|eilanden|hanteren|interdisciplinair|dataficering|(?<!\()metadata|"
        r"ontleden|prioriteren|gepseudonimiseerde|algoritmen|je|jij|jouw|jullie)\b"
        r"|^Hoe vaak worden",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\b(chain partners?|structural|human measure|open(s|ing)? up|federated|pseudonymised|"
        r"natural part of the course)\b",
        re.IGNORECASE,
    ),
}


def _respondent_texts(instrument) -> dict[str, object]:
    """Every text a respondent reads, by where it is (level descriptions are the answers of
    the level questions)."""
    texts = {"introduction": instrument.introduction, "privacy": instrument.privacy}
    for dim in instrument.dimensions:
        texts[f"{dim.id}.description"] = dim.description
        for level, text in (dim.level_descriptors or {}).items():
            texts[f"{dim.id}.level {level}"] = text
    for item in instrument.items:
        texts[item.id] = item.text
        if item.tip is not None:
            texts[f"{item.id}.tip"] = item.tip
    return {k: v for k, v in texts.items() if v is not None}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+(?=[A-Z\u00c0-\u00dd0-9\"])", text.strip()) if s]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("instrument_id", sorted(REWORDED))
def test_what_respondents_read_is_plain(instrument_id, lang):
    """B1: at most MAX_WORDS words per sentence, no semicolon joining two ideas (a level
    description with two halves cannot be chosen), none of the words the language pass
    replaced, "u" and never "je", "Hoe vaak" asked in the active voice. Version 2 fails it."""
    found = {}
    for where, text in _respondent_texts(get_instrument(instrument_id)).items():
        for sentence in _sentences(text.get(lang)):
            if len(sentence.split()) > MAX_WORDS or ";" in sentence:
                found[where] = sentence
        words = {m.group(0).lower() for m in JARGON[lang].finditer(text.get(lang))}
        if words:
            found[f"{where} words"] = sorted(words)
    assert found == {}
    old = get_instrument(instrument_id, REWORDED[instrument_id][0])
    assert any(
        ";" in t.get(lang) or JARGON[lang].search(t.get(lang))
        for t in _respondent_texts(old).values()
    )


def test_data_and_algorithms_are_spelled_one_way():
    """ "data laat" (singular, as "data is") and "algoritmes" throughout version 3."""
    text = (QUESTIONNAIRE_DIR / "data-strategy-v3.yaml").read_text(encoding="utf-8")
    assert "data laten" not in text and "algoritmen" not in text
    assert "data laat" in text and "algoritmes" in text


# -- comparison along the chain --------------------------------------------------------------


def test_mappings_compose_along_the_chain(data_strategy):
    """v1 → v3 has no file of its own: the pairs are those of v1 → v2 that v2 → v3 keeps
    comparable, with the status of both steps (RU5 moved, then kept: "moved"; OS3 kept,
    then reworded: "reworded"); the dimensions are those of v1 and v3."""
    versions, mappings = mapping_chain("data-strategy", 1, 3)
    assert [v.version for v in versions] == [1, 2, 3]
    chain = chained_items(versions, mappings).set_index("item_before")
    first = comparable_items(versions[0], versions[1], mappings[0]).set_index("item_before")
    assert sorted(chain.index) == sorted(first.index)
    assert chain.loc["RU5", "status"] == "moved" and not chain.loc["RU5", "same_dimension"]
    assert chain.loc["OS3", "status"] == "reworded" and chain.loc["OS3", "comparable"]
    assert chain.loc["VS1", "status"] == "kept"
    assert (chain["comparable"] == first["comparable"].reindex(chain.index)).all()
    assert len(shared_items(data_strategy, versions[2])) == len(
        shared_items(data_strategy, versions[1])
    )
    with pytest.raises(ValueError, match="from an older version to a newer one"):
        mapping_chain("data-strategy", 3, 1)


def test_a_direct_mapping_file_wins_over_the_chain(tmp_path, monkeypatch):
    """A project may say more than the steps do: its own v1 → v3 file is used as it is."""
    from dwp_assess import project

    folder = tmp_path / "questionnaires"
    folder.mkdir()
    raw = yaml.safe_load((QUESTIONNAIRE_DIR / "data-strategy-v1-to-v2.yaml").read_text("utf-8"))
    raw["to_version"] = 3
    for item_id in ("VS1", "OS3"):
        raw["items"][item_id] = {"status": "dropped"}
    raw["new"] += [{"id": "VS1"}, {"id": "OS3"}]
    for item_id, change in raw["items"].items():
        v2 = get_instrument("data-strategy", 2).item_by_id.get(item_id)
        v3 = get_instrument("data-strategy", 3).item_by_id.get(item_id)
        if change["status"] in ("kept", "moved") and v2 and v3 and v2.text.nl != v3.text.nl:
            change["status"] = "reworded"
    (folder / "data-strategy-v1-to-v3.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    (tmp_path / "dwp.toml").write_text("", encoding="utf-8")
    monkeypatch.setattr(project, "active", lambda: project.load(tmp_path))
    versions, mappings = mapping_chain("data-strategy", 1, 3)
    assert [v.version for v in versions] == [1, 3] and len(mappings) == 1
    used = shared_items(versions[0], versions[1])
    assert not {"VS1", "OS3"} & set(used["item_before"]) and len(used) == 24


def _v3_round(registry_orgs: pd.DataFrame, seed: int):
    """A generated data-strategy round on version 3, organisations from the sample."""
    rng = np.random.default_rng(seed)
    v3 = get_instrument("data-strategy", 3)
    maturity = pd.DataFrame(
        rng.normal(0.3, 0.6, (len(registry_orgs), len(v3.dimensions))),
        columns=[d.id for d in v3.dimensions],
    )
    orgs = registry_orgs.rename(columns={"organisation_id": "id"}).reset_index(drop=True)
    return data_strategy_round(v3, orgs, "2027", maturity, rng)


def test_a_v3_round_reports_its_change_since_v2_and_v1_as_the_same_version_would():
    """v3 only rewords v2: the change from the 2026 round (v2) to a generated 2027 round
    (v3) uses every rating item, and its scores and tested change are exactly those of
    the same answers read as v2 answers. Against the 2025 round (v1) it uses the 26 items
    of v1 → v2, with the same figures as v1 against the answers read as v2."""
    registry, before_v1, before_v2 = data_strategy_rounds(SEED)
    after = _v3_round(registry, SEED)
    v2 = before_v2.instrument
    now = answers_with_respondents(after)
    for before in (before_v2, before_v1):
        then = answers_with_respondents(before)
        prev, cur, items = change_scores(then, before.instrument, now, after.instrument)
        prev_ref, cur_ref, items_ref = change_scores(then, before.instrument, now, v2)
        if before is before_v2:
            assert len(items) == len(v2.rated_items) and len(items_ref) == len(items)
        else:
            assert len(items) == 26
            assert items[["item_before", "item_after"]].equals(
                items_ref[["item_before", "item_after"]]
            )
        pd.testing.assert_frame_equal(prev, prev_ref)
        pd.testing.assert_frame_equal(cur, cur_ref)
        change = change_since(prev, cur)
        assert len(change) and change.equals(change_since(prev_ref, cur_ref))


def test_round_create_pins_the_newest_version(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "p")]).exit_code == 0
    monkeypatch.chdir(tmp_path / "p")
    result = runner.invoke(
        app, ["round", "create", "--instrument", "data-strategy", "--period", "2027"]
    )
    assert result.exit_code == 0, result.output
    assert "data-strategy v3" in result.output


# -- an export of an older form --------------------------------------------------------------


def test_an_msforms_export_of_the_v2_form_imports_into_a_v3_round(engine, tmp_path):
    """A municipality still has a Microsoft Forms form made from v2: its export names the
    columns by the v2 questions and writes the v2 answer labels (the v2 level
    descriptions). Imported into a v3 round, every answer is stored as the same value,
    with a note naming the columns of the older form; only the planted bad row is
    quarantined."""
    registry, _, before_v2 = data_strategy_rounds(SEED)
    registry_path = tmp_path / "organisations.csv"
    registry.rename(columns={"organisation_id": "id"}).to_csv(registry_path, index=False)
    import_registry(engine, registry_path)
    orgs = sorted(before_v2.respondents["organisation_id"].unique())[:3]
    names = dict(zip(registry["organisation_id"], registry["name"], strict=True))
    path = tmp_path / "export.xlsx"
    write_msforms(before_v2, orgs, names, {}, path)
    v3 = get_instrument("data-strategy", 3)
    store.create_round(engine, v3, "2027", "ds-2027")
    summary = import_file(engine, path, "ds-2027")
    sent = before_v2.answers.merge(before_v2.respondents, on="response_id")
    sent = sent[sent["organisation_id"].isin(orgs) & sent["text"].isna()]
    sent = sent[sent["value"].notna() | sent["code"].notna()]
    assert summary.quarantined == 1 and summary.stored == sent["response_id"].nunique()
    stored = store.load_answers(engine, "ds-2027")
    stored = stored[stored["text"].isna()]
    assert len(stored) == len(sent)
    key = ["item_id", "value", "code"]
    assert sorted(map(str, stored[key].itertuples(index=False))) == sorted(
        map(str, sent[key].itertuples(index=False))
    )
    level = stored[stored["item_id"] == "DA_LEVEL"]  # chosen as a v2 level description
    assert level["value"].notna().sum() > len(level) / 2
    (note,) = [w for w in summary.warnings if "wording of data-strategy v2" in w]
    reworded = [
        i for i, c in get_mapping("data-strategy", 2, 3).items.items() if c.status == "reworded"
    ]
    assert f"{len(reworded)} question column(s)" in note and "not of v3 (DA10," in note
