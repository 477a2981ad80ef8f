"""The bulk import: a file's responses written at once, its cells and dates parsed once.

A generated round of several organisations arrives as one export per organisation (half
Microsoft Forms XLSX with Dutch item texts, half the template CSV), every file numbering its
responses from 1. Writing a file's records at once (``store.write_responses``) must give
exactly what writing them one after another gives (keys, respondents, outcomes), and an
import must keep every guarantee: all responses stored with their answers, duplicates within
and across files counted as present, a changed file's row quarantined as a conflict, a bad
row in the middle of a file quarantined while the rest is stored, undo and re-import, on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from dwp_assess.data import batches, importers, registry, sample_files, store
from dwp_assess.data.sample import SyntheticRound, data_strategy_round
from dwp_assess.instruments.loading import get_instrument
from tests.generated_rounds import organisations

pytest_plugins = ["tests.pg_server"]

ROUND = "data-strategy-2026"
N_ORGS = 4


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, sqlite_url):
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("fresh_postgres")


@pytest.fixture(scope="module")
def instrument():
    return get_instrument("data-strategy", 2)


def generated(instrument, seed: int = 7) -> tuple[pd.DataFrame, dict[str, SyntheticRound]]:
    """The registry of ``N_ORGS`` municipalities and each one's round, its responses numbered
    r0001, r0002, … as a survey tool numbers every form, without respondent ids."""
    rng = np.random.default_rng(seed)
    orgs = organisations(N_ORGS, rng)
    dims = [d.id for d in instrument.dimensions]
    maturity = pd.DataFrame(0.6 * rng.standard_normal((N_ORGS, len(dims))), columns=dims)
    rnd = data_strategy_round(instrument, orgs, "2026", maturity, rng)
    per_org = {}
    for org, people in rnd.respondents.groupby("organisation_id", sort=True):
        new = {old: f"r{k:04d}" for k, old in enumerate(people["response_id"], start=1)}
        own = rnd.answers[rnd.answers["response_id"].isin(new)]
        per_org[org] = SyntheticRound(
            ROUND,
            instrument,
            "2026",
            people.assign(response_id=people["response_id"].map(new), respondent_id="").reset_index(
                drop=True
            ),
            own.assign(response_id=own["response_id"].map(new)).reset_index(drop=True),
        )
    return orgs, per_org


def write_files(folder, orgs: pd.DataFrame, per_org: dict[str, SyntheticRound]) -> list:
    """One export per organisation, alternately Microsoft Forms XLSX and template CSV, with
    their writers' imperfections (a 'Misschien'; an unknown organisation, an out-of-range
    answer and an identical duplicate row)."""
    names = dict(zip(orgs["id"], orgs["name"], strict=True))
    files = []
    for k, (org, rnd) in enumerate(per_org.items()):
        if k % 2 == 0:
            path = folder / f"{org}.xlsx"
            sample_files.write_msforms(rnd, [org], names, {}, path)
        else:
            path = folder / f"{org}.csv"
            sample_files.write_template(rnd, [org], path)
        files.append(path)
    return files


def registered(url: str, folder, orgs: pd.DataFrame, instrument):
    engine = store.connect(url)
    orgs.to_csv(folder / "organisations.csv", index=False)
    registry.import_registry(engine, folder / "organisations.csv")
    store.create_round(engine, instrument, "2026", ROUND)
    return engine


def stored_answers(engine) -> pd.DataFrame:
    """What the store holds of the round: per organisation and source id, each item's value
    or code."""
    query = (
        select(
            store.respondent.c.organisation_id,
            store.response.c.source_response_id,
            store.answer.c.item_id,
            store.answer.c.value,
            store.answer.c.code,
        )
        .join(store.response, store.response.c.response_id == store.answer.c.response_id)
        .join(store.respondent, store.respondent.c.id == store.response.c.respondent_id)
        .where(store.response.c.round_id == ROUND)
    )
    frame = store.read_frame(engine, query)
    frame = frame[frame["value"].notna() | frame["code"].notna()]  # not the free texts
    frame = frame.assign(code=frame["code"].fillna("").astype(str))
    return frame.sort_values(list(frame.columns[:3])).reset_index(drop=True)


def source_id(k: int, response_id: str) -> str:
    """The id the ``k``-th file gives response ``r0001``…: the template's own, Microsoft Forms'
    "Id" (1, 2, …) prefixed by the importer."""
    return f"msforms:{ROUND}:{int(response_id[1:])}" if k % 2 == 0 else response_id


def generated_answers(per_org: dict[str, SyntheticRound], instrument) -> pd.DataFrame:
    items = {i.id for i in instrument.items}
    frames = []
    for k, (org, rnd) in enumerate(per_org.items()):
        own = rnd.answers[
            rnd.answers["item_id"].isin(items)
            & (rnd.answers["value"].notna() | rnd.answers["code"].notna())
        ]
        frames.append(
            pd.DataFrame(
                {
                    "organisation_id": org,
                    "source_response_id": [source_id(k, r) for r in own["response_id"]],
                    "item_id": own["item_id"],
                    "value": own["value"].astype(float),
                    "code": own["code"].fillna("").astype(str),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(list(frame.columns[:3])).reset_index(drop=True)


def test_one_export_per_organisation_numbering_from_1_is_stored_whole(url, tmp_path, instrument):
    orgs, per_org = generated(instrument)
    files = write_files(tmp_path, orgs, per_org)
    engine = registered(url, tmp_path, orgs, instrument)
    summaries = [
        importers.import_file(engine, path, ROUND, quarantine_dir=tmp_path / "q") for path in files
    ]
    responses = sum(len(r.respondents) for r in per_org.values())
    assert sum(s.stored for s in summaries) == responses
    assert [s.quarantined for s in summaries] == [1, 2] * (N_ORGS // 2)
    assert [s.already_present for s in summaries] == [0, 1] * (N_ORGS // 2)
    pd.testing.assert_frame_equal(
        stored_answers(engine), generated_answers(per_org, instrument), check_dtype=False
    )
    keys = pd.DataFrame(
        written(engine), columns=["key", "respondent", "source_id", "hash", "organisation_id"]
    )
    assert keys["key"].is_unique and keys["respondent"].is_unique
    # the first file of each format keeps the source's ids as keys; a later one where they are held
    first = keys["organisation_id"].isin(orgs["id"][:2])
    assert (keys[first]["key"] == keys[first]["source_id"]).all() and len(keys[first]) > 0
    later = keys[~first]
    held = later["source_id"].isin(keys[first]["source_id"])
    assert (later["key"].str.contains("~") == held).all() and held.sum() > 20
    # importing every file again, and a copy under another name, stores nothing
    again = [
        importers.import_file(engine, path, ROUND, quarantine_dir=tmp_path / "q") for path in files
    ]
    copy = tmp_path / "copy" / files[1].name
    copy.parent.mkdir()
    copy.write_bytes(files[1].read_bytes())
    again.append(importers.import_file(engine, copy, ROUND, quarantine_dir=tmp_path / "q"))
    assert sum(s.stored for s in again) == 0
    assert (
        sum(s.already_present for s in again)
        == responses + N_ORGS // 2 + len(per_org[orgs["id"][1]].respondents) + 1
    )
    assert len(store.load_responses(engine, ROUND)) == responses
    engine.dispose()


def test_a_bad_row_in_the_middle_is_quarantined_and_a_changed_row_is_a_conflict(
    url, tmp_path, instrument
):
    orgs, per_org = generated(instrument)
    org = orgs["id"][1]
    path = write_files(tmp_path, orgs, per_org)[1]  # a template CSV
    engine = registered(url, tmp_path, orgs, instrument)
    cells = pd.read_csv(path, dtype=str, keep_default_na=False)
    middle, first_item = len(cells) // 2, instrument.items[0].id
    broken = cells.copy()
    broken.loc[middle, first_item] = "12"
    broken.loc[middle + 1, "submitted_at"] = "31-31-2026"
    broken.to_csv(path, index=False)
    summary = importers.import_file(engine, path, ROUND, quarantine_dir=tmp_path / "q")
    quarantine = store.load_quarantine(engine, ROUND).set_index("row_number")["reason"]
    assert quarantine[middle + 2].startswith(f"{first_item}: value 12 is out of range")
    assert quarantine[middle + 3] == "submitted_at '31-31-2026' is not a date"
    assert summary.stored == len(per_org[org].respondents) - 2 and summary.quarantined == 4
    # the same file with one answer changed in a row it stored: that row is a conflict
    changed = cells.copy()
    changed.loc[0, first_item] = "1" if changed.loc[0, first_item] != "1" else "2"
    changed.to_csv(path, index=False)
    again = importers.import_file(engine, path, ROUND, quarantine_dir=tmp_path / "q")
    assert again.stored == 2 and again.quarantined == 3  # the two rows fixed now are stored
    reasons = store.load_quarantine(engine, ROUND).query("batch_id == @again.batch_id")["reason"]
    assert any(
        f"response id 'r0001' of organisation '{org}' is already stored with other answers" in r
        for r in reasons
    )
    # undo removes exactly the second batch, and importing it again gives the same store
    before = stored_answers(engine)
    batches.undo_batch(engine, again.batch_id)
    redo = importers.import_file(engine, path, ROUND, quarantine_dir=tmp_path / "q")
    assert (redo.stored, redo.quarantined) == (2, 3)
    pd.testing.assert_frame_equal(stored_answers(engine), before)
    engine.dispose()


def test_a_closed_round_refuses_the_bulk_import(url, tmp_path, instrument):
    orgs, per_org = generated(instrument)
    path = write_files(tmp_path, orgs, per_org)[0]
    engine = registered(url, tmp_path, orgs, instrument)
    store.close_round(engine, ROUND)
    with pytest.raises(store.StoreError, match="is closed"):
        importers.import_file(engine, path, ROUND, quarantine_dir=tmp_path / "q")
    assert store.load_responses(engine, ROUND).empty and batches.list_batches(engine).empty
    engine.dispose()


def records(per_org: dict[str, SyntheticRound], source: str) -> list[store.ResponseRecord]:
    """Every generated response as a record of ``source``, all naming respondent 'p-1' (the
    store gives each a respondent of its own) and numbered from 1 in every organisation."""
    found = []
    for org, rnd in per_org.items():
        by_response = dict(tuple(rnd.answers.groupby("response_id")))
        for person in rnd.respondents.itertuples(index=False):
            answers = tuple(
                store.AnswerRecord(
                    a.item_id,
                    None if pd.isna(a.value) else float(a.value),
                    None if pd.isna(a.code) else a.code,
                )
                for a in by_response[person.response_id].itertuples(index=False)
                if pd.isna(a.text)
            )
            found.append(
                store.ResponseRecord(
                    person.response_id,
                    ROUND,
                    "p-1",
                    org,
                    None,
                    person.role,
                    source,
                    pd.Timestamp("2026-03-14", tz="UTC").to_pydatetime(),
                    answers,
                )
            )
    return found


def written(engine) -> list[tuple]:
    query = (
        select(
            store.response.c.response_id,
            store.response.c.respondent_id,
            store.response.c.source_response_id,
            store.response.c.content_hash,
            store.respondent.c.organisation_id,
        )
        .join(store.respondent, store.respondent.c.id == store.response.c.respondent_id)
        .order_by(store.response.c.response_id)
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def test_writing_a_files_records_at_once_is_writing_them_one_by_one(
    url, tmp_path, instrument, sqlite_url
):
    """Keys and respondents taken by earlier records of the same batch, records already
    stored (present), one changed (conflict) and two records of one unit and id in one batch:
    the same outcomes, keys and respondents as one write after another."""
    orgs, per_org = generated(instrument)
    first = records(per_org, "template:a.csv")
    later = [
        dataclasses.replace(r, answers=r.answers[:-1])
        for r in records(per_org, "template:b.csv")[:40]
    ]
    changed = dataclasses.replace(first[3], answers=first[3].answers[1:])
    twice = [
        *later[:5],
        changed,
        first[7],
        later[2],
        *later[5:],
    ]  # later[2] twice: present the 2nd time
    outcomes = {}
    for way, where in (("bulk", url), ("one by one", f"sqlite:///{tmp_path / 'one.sqlite'}")):
        folder = tmp_path / way
        folder.mkdir()
        engine = registered(where, folder, orgs, instrument)
        with engine.begin() as conn:
            store.write_responses(conn, first, None, {})
        with engine.begin() as conn:
            if way == "bulk":
                found = store.holders_of_file(conn, ROUND, twice)
                outcomes[way] = store.write_responses(conn, twice, None, found)
            else:
                outcomes[way] = [
                    store.write_response(conn, rec, None, store.holders(conn, rec)) for rec in twice
                ]
        outcomes[way + " rows"] = written(engine)
        engine.dispose()
    assert outcomes["bulk"] == outcomes["one by one"]
    assert (
        outcomes["bulk"].count(store.PRESENT) == 2 and outcomes["bulk"].count(store.CONFLICT) == 1
    )
    assert outcomes["bulk rows"] == outcomes["one by one rows"]
    assert len(outcomes["bulk rows"]) == len(first) + len(later)


def test_dates_of_a_file_parsed_at_once_are_those_parsed_one_by_one():
    texts = [
        "2026-03-14",
        "2026-03-14 10:22",
        "2026-03-14T10:22:33.123456",
        "2026-03-14T10:22:33Z",
        "2026-03-14T10:22:33+02:00",
        "2026-03-14T10:22:33-0500",
        "2026-13-45",
        "2026-02-30 10:00",
        "14-03-2026",
        "3/14/26 10:05:00",
        "14 maart 2026",
        " 2026-03-14 ",
        "gisteren",
        "",
        "  ",
        "0001-01-01",
        "9999-12-31T23:59:59",
    ]
    at_once = importers.parse_dates(pd.Series(texts))
    assert at_once == {t: importers.parse_date(t) for t in texts if t.strip()}
