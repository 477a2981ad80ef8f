"""The typology: planted types are found, the threshold holds, and the report section
"Organisaties met een vergelijkbaar profiel" shows only groups of the minimum size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from dwp_assess.analysis import typology

CENTRES = np.array([[4.0, 4.0, 2.0, 2.0, 3.0],   # strong on the first two
                    [2.0, 2.5, 4.0, 4.0, 3.0],   # strong on the middle two
                    [3.0, 3.0, 3.0, 3.0, 4.5]])  # strong on the last  # fmt: skip


def planted_scores(instrument, n_per_type: int, seed: int, respondents: int = 12):
    """Respondent scores of organisations drawn around three planted type centres."""
    rng = np.random.default_rng(seed)
    dims = [d.id for d in instrument.dimensions][: CENTRES.shape[1]]
    rows, truth = [], {}
    for kind, centre in enumerate(CENTRES):
        for n in range(n_per_type):
            org = f"org-{kind}-{n}"
            truth[org] = kind
            own = centre + rng.normal(0, 0.25, len(dims))
            for r in range(respondents):
                for d, dim in enumerate(dims):
                    rows.append((org, f"{org}-r{r}", dim, own[d] + rng.normal(0, 0.7)))
    scores = pd.DataFrame(rows, columns=["organisation_id", "response_id", "dimension_id", "score"])
    attrs = pd.DataFrame({"organisation_id": list(truth),
                          "kind": "gemeente",
                          "size_class": ["klein" if truth[o] == 0 else "groot" for o in truth]})  # fmt: skip
    return scores, attrs, pd.Series(truth)


@pytest.fixture(scope="module")
def planted(data_strategy):
    scores, attrs, truth = planted_scores(data_strategy, 15, seed=4)
    profiles = typology.organisation_profiles(scores, min_respondents=5)
    return typology.fit_typology(profiles, attrs, data_strategy, n_boot=10), truth


def test_planted_types_are_recovered(planted):
    result, truth = planted
    assert result.ran and result.meta["k"] == 3
    found = result.assignment.set_index("organisation_id")["type"].reindex(truth.index)
    assert adjusted_rand_score(truth, found) >= 0.8
    assert result.meta["stability_ari_mean"] >= 0.8
    admissible = result.selection[result.selection["admissible"]]
    assert result.selection.iloc[0]["bic"] == admissible["bic"].min()
    assert (admissible["smallest_type"] >= typology.MIN_TYPE_SIZE).all()


def test_types_are_described_from_the_data(planted, data_strategy):
    result, _ = planted
    by_type = result.descriptions.set_index("type")
    dims = [d for d in data_strategy.dimensions][:5]
    small = result.composition.query("attribute == 'size_class' and category == 'klein' and share == 1")  # fmt: skip
    assert len(small) == 1  # the planted "klein" type
    text = by_type.at[int(small["type"].iloc[0]), "description_nl"]
    assert text.startswith("Klein inwoners (100%)")
    assert f"sterk op {dims[0].label.nl.lower()}" in text or f"sterk op {dims[1].label.nl.lower()}" in text  # fmt: skip
    assert set(result.distinguishing["dimension_id"].head(2)) <= {d.id for d in dims}
    size = result.crosstabs.set_index("attribute").loc["size_class"]
    assert size["p"] < 0.001 and size["cramers_v"] == pytest.approx(1.0)


def test_too_few_organisations_is_said_not_forced(data_strategy):
    scores, attrs, _ = planted_scores(data_strategy, 4, seed=1)  # 12 < 2 · ORGS_PER_TYPE
    profiles = typology.organisation_profiles(scores, min_respondents=5)
    result = typology.fit_typology(profiles, attrs, data_strategy)
    assert not result.ran and result.assignment.empty
    assert "12" in result.meta["reason_nl"] and str(2 * typology.ORGS_PER_TYPE) in result.meta["reason_nl"]  # fmt: skip
    assert typology.similar_profile(result, pd.DataFrame(), "org-0-0", data_strategy, 5) is None


def test_organisations_with_too_few_respondents_stay_out(data_strategy):
    scores, _, _ = planted_scores(data_strategy, 2, seed=2, respondents=4)
    assert typology.organisation_profiles(scores, min_respondents=5).empty


def _items_table(scores, instrument, agree_of):
    """Organisation × item counts: organisations in ``agree_of`` answer 5, the others 2."""
    rows = []
    for org in scores["organisation_id"].unique():
        for item in instrument.rated_items:
            high = agree_of(org)
            rows.append({"organisation_id": org, "item_id": item.id, "n": 10,
                         "n_1": 0, "n_2": 0 if high else 10, "n_3": 0, "n_4": 0, "n_5": 10 if high else 0})  # fmt: skip
    return pd.DataFrame(rows)


def test_similar_profile_shows_type_probability_and_practices_of_larger_groups_only(planted, data_strategy):  # fmt: skip
    result, truth = planted
    wide = result.profiles.pivot(index="organisation_id", columns="dimension_id", values="mean")
    assignment = result.assignment.set_index("organisation_id")
    members = assignment.index[assignment["type"] == assignment.at["org-1-0", "type"]]
    items = _items_table(result.profiles, data_strategy, lambda org: org != "org-1-0")
    section = typology.similar_profile(result, items, "org-1-0", data_strategy, min_group=5)
    assert section["type"] == assignment.at["org-1-0", "type"]
    assert 0 < section["probability"] <= 1 and section["organisations"] == len(members)
    assert section["description"] and len(section["distinguishing"]) == 2
    for practice in section["practices"]:
        assert practice["organisations_higher"] >= 5
        higher = (wide.loc[members, practice["dimension_id"]] > wide.at["org-1-0", practice["dimension_id"]]).sum()  # fmt: skip
        assert practice["organisations_higher"] == higher
        assert all(i["share_higher"] == 1.0 and i["share_own"] == 0.0 for i in practice["items"])
    assert "org-" not in str(section)  # no other organisation named
    strict = typology.similar_profile(result, items, "org-1-0", data_strategy, min_group=len(members) + 1)  # fmt: skip
    assert strict is None


def test_typology_saves_and_loads(planted, tmp_path):
    result, _ = planted
    again = typology.Typology.load(result.save(tmp_path / "typology"))
    assert again.meta == result.meta
    pd.testing.assert_frame_equal(again.assignment, result.assignment)
