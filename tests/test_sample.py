"""The synthetic sample: deterministic, big enough, and behaving like real survey data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dwp_assess.data.sample import generate_rounds
from dwp_assess.data.sample_files import write_sample
from dwp_assess.demo import SAMPLE_DIR


@pytest.fixture(scope="module")
def generated():
    return generate_rounds()


def test_same_seed_same_files_as_committed(tmp_path):
    write_sample(tmp_path)
    for path in sorted(SAMPLE_DIR.rglob("*.csv")) + [SAMPLE_DIR / "manifest.json"]:
        relative = path.relative_to(SAMPLE_DIR)
        assert (tmp_path / relative).read_bytes() == path.read_bytes(), f"{relative} differs"
    for path in SAMPLE_DIR.rglob("*.xlsx"):
        relative = path.relative_to(SAMPLE_DIR)
        committed = pd.read_excel(path, dtype=str)
        pd.testing.assert_frame_equal(pd.read_excel(tmp_path / relative, dtype=str), committed)


def test_size_of_the_sample(generated):
    orgs, teams, rounds = generated
    assert len(orgs) >= 20 and len(teams) >= 40
    assert {"GM0513", "GM0034", "GM0632", "GM0307", "GM1892", "PV28", "PV26"} <= set(
        orgs["cbs_code"]
    )
    assert orgs["size_class"].nunique() >= 5
    assert sum(len(r.respondents) for r in rounds) >= 1000
    assert sorted(r.round_id for r in rounds) == [
        "competences-2025",
        "competences-2026",
        "data-strategy-2025",
        "data-strategy-2026",
        "digital-governance-2026",
    ]


def alpha(matrix: np.ndarray) -> float:
    """Cronbach's alpha on complete cases, written out independently of the package."""
    complete = matrix[~np.isnan(matrix).any(axis=1)]
    k = complete.shape[1]
    item_var = complete.var(axis=0, ddof=1).sum()
    total_var = complete.sum(axis=1).var(ddof=1)
    return k / (k - 1) * (1 - item_var / total_var)


def wide(rnd) -> pd.DataFrame:
    values = rnd.answers.dropna(subset=["value"])
    frame = values.pivot(index="response_id", columns="item_id", values="value")
    for item in rnd.instrument.items:
        if item.reverse and item.id in frame:
            frame[item.id] = 6 - frame[item.id]
    return frame


def test_reliability_is_realistic(generated):
    for rnd in (r for r in generated[2] if r.instrument.output_rules.scored):
        frame = wide(rnd)
        for dim in rnd.instrument.dimensions:
            ids = [i.id for i in rnd.instrument.rated_items_of(dim.id)]
            value = alpha(frame[ids].to_numpy())
            assert 0.6 < value < 0.95, f"{rnd.round_id} {dim.id}: alpha {value:.2f}"


def test_missing_and_dont_know_rates_are_plausible(generated):
    for rnd in generated[2]:
        cells = len(rnd.respondents) * len(rnd.instrument.items)
        answered = rnd.answers["item_id"].isin(rnd.instrument.item_by_id)
        dont_know = (rnd.answers["code"] == "dont_know").sum() / cells
        missing = 1 - answered.sum() / cells
        assert 0.02 < dont_know < 0.10, rnd.round_id
        assert 0.02 < missing < 0.15, rnd.round_id


def test_real_change_between_rounds(generated):
    rounds = {r.round_id: r for r in generated[2]}
    before = rounds["data-strategy-2025"].answers.dropna(subset=["value"])["value"].mean()
    after = rounds["data-strategy-2026"].answers.dropna(subset=["value"])["value"].mean()
    assert after - before > 0.05


def test_some_teams_have_gaps(generated):
    rnd = next(r for r in generated[2] if r.round_id == "competences-2026")
    scores = wide(rnd).T.groupby(lambda i: rnd.instrument.item_by_id[i].dimension).mean().T
    teams = rnd.respondents.set_index("response_id")["team_id"]
    covered = (scores >= 3).groupby(teams).any()
    assert (~covered["data_analytic_skills"]).sum() >= 1 or (~covered["political_savvy"]).sum() >= 1
    everyone = (
        (scores[["data_literacy", "critical_thinking", "collaboration"]] >= 3).groupby(teams).all()
    )
    assert (~everyone.all(axis=1)).sum() >= 5


def test_limesurvey_file_is_windows_1252_with_semicolons():
    raw = (SAMPLE_DIR / "data-strategy-2025" / "limesurvey.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert text.splitlines()[0].startswith("id;submitdate;lastpage;startlanguage;seed;ORG")
    assert "coördinatie" in text


def test_manifest_marks_the_data_synthetic():
    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True
    formats = {f["format"] for r in manifest["rounds"] for f in r["files"]}
    assert formats == {"template", "msforms", "limesurvey"}


def test_digital_governance_teams_plant_priorities_disagreement_and_one_small_team(generated):
    from dwp_assess.analysis.workshop_agreements import analyse_answers

    rnd = next(r for r in generated[2] if r.instrument.id == "digital-governance")
    answers = rnd.answers.merge(rnd.respondents, on="response_id")
    teams = generated[1]
    meta = {"round_id": rnd.round_id, "period": rnd.period}
    analysis = analyse_answers(answers, rnd.instrument, generated[0], teams, meta, min_group=5)
    assert len(analysis.teams) >= 10 and analysis.teams["suppressed"].sum() == 1
    shown = analysis.values[~analysis.values["suppressed"]]
    per_team = shown.groupby("team_id")[["priority", "disagreement"]].sum()
    assert (per_team["priority"] >= 1).all() and (per_team["disagreement"] >= 1).sum() >= 8
