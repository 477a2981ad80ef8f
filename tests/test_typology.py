"""The typology: planted types are found, one population is one type (also when its
dimensions move together), a type is shown only with evidence, and the report section
"Organisaties met een vergelijkbaar profiel" shows only groups of the minimum size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from dwp_assess.analysis import typology

CENTRES = np.array(
    [
        [4.0, 4.0, 2.0, 2.0, 3.0],  # strong on the first two
        [2.0, 2.5, 4.0, 4.0, 3.0],  # strong on the middle two
        [3.0, 3.0, 3.0, 3.0, 4.5],
    ]
)  # strong on the last


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
    attrs = pd.DataFrame(
        {
            "organisation_id": list(truth),
            "kind": "gemeente",
            "size_class": ["klein" if truth[o] == 0 else "groot" for o in truth],
        }
    )
    return scores, attrs, pd.Series(truth)


@pytest.fixture(scope="module")
def planted(data_strategy):
    scores, attrs, truth = planted_scores(data_strategy, 15, seed=4)
    profiles = typology.organisation_profiles(scores, min_respondents=5)
    return typology.fit_typology(profiles, attrs, data_strategy, n_boot=10), truth


def test_planted_types_are_recovered(planted):
    result, truth = planted
    assert result.ran and result.meta["k"] == 3 and result.shown and result.status == "types"
    found = result.assignment.set_index("organisation_id")["type"].reindex(truth.index)
    assert adjusted_rand_score(truth, found) >= 0.8
    evidence = result.meta["evidence"]
    assert evidence["holds"] and evidence["blrt_p"] < typology.ALPHA
    assert evidence["entropy"] >= typology.MIN_ENTROPY
    assert evidence["resampling_ari_mean"] >= typology.MIN_STABILITY
    admissible = result.selection[result.selection["admissible"]]
    assert result.selection.iloc[0]["bic"] == admissible["bic"].min()
    assert (admissible["smallest_type"] >= typology.MIN_TYPE_SIZE).all()
    assert (admissible["parameters"] < result.meta["n_organisations"]).all()


def test_types_are_described_from_the_data(planted, data_strategy):
    result, _ = planted
    by_type = result.descriptions.set_index("type")
    dims = [d for d in data_strategy.dimensions][:5]
    small = result.composition.query(
        "attribute == 'size_class' and category == 'klein' and share == 1"
    )
    assert len(small) == 1  # the planted "klein" type
    text = by_type.at[int(small["type"].iloc[0]), "description_nl"]
    assert text.startswith("Klein inwoners (100%)")
    assert (
        f"sterk op {dims[0].label.nl.lower()}" in text
        or f"sterk op {dims[1].label.nl.lower()}" in text
    )
    assert set(result.distinguishing["dimension_id"].head(2)) <= {d.id for d in dims}
    size = result.crosstabs.set_index("attribute").loc["size_class"]
    assert size["p"] < 0.001 and size["cramers_v"] == pytest.approx(1.0)


def test_too_few_organisations_is_said_not_forced(data_strategy):
    scores, attrs, _ = planted_scores(data_strategy, 4, seed=1)  # 12 < 2 · ORGS_PER_TYPE
    profiles = typology.organisation_profiles(scores, min_respondents=5)
    result = typology.fit_typology(profiles, attrs, data_strategy)
    assert not result.ran and result.assignment.empty and result.status == "too_few"
    assert (
        "12" in result.meta["reason_nl"]
        and str(2 * typology.ORGS_PER_TYPE) in result.meta["reason_nl"]
    )
    items = _items_table(scores, data_strategy, lambda org: org != "org-0-0")
    section = typology.similar_profile(result, items, "org-0-0", data_strategy, 5)
    assert section["status"] == "too_few" and "type" not in section
    assert section["scope"] == "round" and all(
        p["organisations_higher"] >= 5 for p in section["practices"]
    )


def test_organisations_with_too_few_respondents_stay_out(data_strategy):
    scores, _, _ = planted_scores(data_strategy, 2, seed=2, respondents=4)
    assert typology.organisation_profiles(scores, min_respondents=5).empty


def _items_table(scores, instrument, agree_of):
    """Organisation × item counts: organisations in ``agree_of`` answer 5, the others 2."""
    rows = []
    for org in scores["organisation_id"].unique():
        for item in instrument.rated_items:
            high = agree_of(org)
            rows.append(
                {
                    "organisation_id": org,
                    "item_id": item.id,
                    "n": 10,
                    "n_1": 0,
                    "n_2": 0 if high else 10,
                    "n_3": 0,
                    "n_4": 0,
                    "n_5": 10 if high else 0,
                }
            )
    return pd.DataFrame(rows)


def test_similar_profile_shows_type_probability_and_practices_of_larger_groups_only(
    planted, data_strategy
):
    result, truth = planted
    wide = result.profiles.pivot(index="organisation_id", columns="dimension_id", values="mean")
    assignment = result.assignment.set_index("organisation_id")
    members = assignment.index[assignment["type"] == assignment.at["org-1-0", "type"]]
    items = _items_table(result.profiles, data_strategy, lambda org: org != "org-1-0")
    section = typology.similar_profile(result, items, "org-1-0", data_strategy, min_group=5)
    assert section["status"] == "types" and section["type"] == assignment.at["org-1-0", "type"]
    assert 0 < section["probability"] <= 1 and section["organisations"] == len(members)
    assert section["certainty"] == typology.certainty(section["probability"])
    assert section["description"] and len(section["distinguishing"]) == 2
    for practice in section["practices"]:
        assert practice["organisations_higher"] >= 5
        higher = (
            wide.loc[members, practice["dimension_id"]]
            > wide.at["org-1-0", practice["dimension_id"]]
        ).sum()
        assert practice["organisations_higher"] == higher
        assert all(i["share_higher"] == 1.0 and i["share_own"] == 0.0 for i in practice["items"])
    assert "org-" not in str(section)  # no other organisation named
    strict = typology.similar_profile(
        result, items, "org-1-0", data_strategy, min_group=len(members) + 1
    )
    assert strict["status"] == "small_type" and "type" not in strict and not strict["practices"]


def test_typology_saves_and_loads(planted, tmp_path):
    result, _ = planted
    again = typology.Typology.load(result.save(tmp_path / "typology"))
    assert again.meta == result.meta
    pd.testing.assert_frame_equal(again.assignment, result.assignment)


def population_scores(instrument, n_orgs: int, rho: float, seed: int, respondents: int = 12):
    """Respondent scores of ``n_orgs`` organisations drawn from ONE population: each
    organisation's level per dimension is multivariate normal with correlation ``rho`` between
    dimensions (a general level when ``rho`` is high), respondents scatter around it."""
    rng = np.random.default_rng(seed)
    dims = [d.id for d in instrument.dimensions]
    cov = np.full((len(dims), len(dims)), rho) + np.eye(len(dims)) * (1 - rho)
    levels = 3 + 0.5 * rng.multivariate_normal(np.zeros(len(dims)), cov, n_orgs)
    orgs = np.repeat([f"org-{o}" for o in range(n_orgs)], respondents * len(dims))
    people = np.repeat(
        [f"org-{o}-r{r}" for o in range(n_orgs) for r in range(respondents)], len(dims)
    )
    values = np.repeat(levels, respondents, axis=0) + rng.normal(
        0, 0.7, (n_orgs * respondents, len(dims))
    )
    scores = pd.DataFrame(
        {
            "organisation_id": orgs,
            "response_id": people,
            "dimension_id": np.tile(dims, n_orgs * respondents),
            "score": values.ravel(),
        }
    )
    attrs = pd.DataFrame(
        {"organisation_id": [f"org-{o}" for o in range(n_orgs)], "kind": "gemeente"}
    )
    return scores, attrs


@pytest.mark.parametrize("n_orgs,rho", [(120, 0.0), (120, 0.8), (40, 0.8)])
def test_one_population_is_one_type_and_nobody_is_told_a_type(data_strategy_v2, n_orgs, rho):
    scores, attrs = population_scores(data_strategy_v2, n_orgs, rho, seed=n_orgs + int(10 * rho))
    profiles = typology.organisation_profiles(scores, min_respondents=5)
    result = typology.fit_typology(profiles, attrs, data_strategy_v2, n_boot=20)
    assert result.ran and result.status == "one_type" and not result.shown
    assert set(result.selection["covariance"]) == {
        *typology.COVARIANCE_FORMS,
        typology.GENERAL_LEVEL,
    }
    items = _items_table(scores, data_strategy_v2, lambda org: org != "org-0")
    section = typology.similar_profile(result, items, "org-0", data_strategy_v2, 5)
    assert section["status"] == "one_type" and "type" not in section and section["scope"] == "round"
    assert "Type 1" not in typology.verdict(result) and "één populatie" in typology.verdict(result)
    if rho:  # a general level: spherical/diagonal mixtures alone would have split it into types
        old = result.selection[
            result.selection["covariance"].isin(["spherical", "diag"])
            & result.selection["admissible"]
        ]
        assert old.sort_values("bic").iloc[0]["k"] > 1
        assert result.meta["covariance"] in {"full", "tied", typology.GENERAL_LEVEL}


@pytest.mark.parametrize("n_orgs", [15, 20, 25])
def test_a_small_round_without_types_shows_none(data_strategy_v2, n_orgs):
    scores, attrs = population_scores(data_strategy_v2, n_orgs, 0.6, seed=n_orgs)
    result = typology.fit_typology(
        typology.organisation_profiles(scores, 5), attrs, data_strategy_v2, n_boot=20
    )
    assert not result.shown and result.status in {"one_type", "too_few", "weak_evidence"}
    assert list(result.distinguishing.columns) == typology.DISTINGUISHING_COLUMNS


def test_planted_types_of_different_sizes_are_recovered_with_evidence(data_strategy):
    rng = np.random.default_rng(11)
    rows, truth = [], {}
    for kind, (centre, size) in enumerate(zip(CENTRES, (12, 20, 34), strict=True)):
        for n in range(size):
            org = f"org-{kind}-{n}"
            truth[org] = kind
            own = centre + rng.normal(0, 0.25, len(centre))
            for r in range(12):
                rows += [
                    (org, f"{org}-r{r}", d.id, own[j] + rng.normal(0, 0.7))
                    for j, d in enumerate(data_strategy.dimensions[: len(centre)])
                ]
    scores = pd.DataFrame(rows, columns=["organisation_id", "response_id", "dimension_id", "score"])
    attrs = pd.DataFrame({"organisation_id": list(truth), "kind": "gemeente"})
    result = typology.fit_typology(
        typology.organisation_profiles(scores, 5), attrs, data_strategy, n_boot=20
    )
    found = result.assignment.set_index("organisation_id")["type"].reindex(list(truth))
    assert result.shown and result.meta["k"] == 3
    assert adjusted_rand_score(pd.Series(truth), found) >= 0.95
    assert typology.evidence_table(result)["holds"].iloc[:3].all()


def test_a_split_of_one_population_fails_the_evidence(data_strategy_v2):
    """Forcing two types onto one population: the checks that must hold before a report names a
    type reject it (the redraw within standard errors alone would not)."""
    scores, _ = population_scores(data_strategy_v2, 120, 0.8, seed=5)
    profiles = typology.organisation_profiles(scores, 5)
    wide = profiles.pivot(index="organisation_id", columns="dimension_id", values="mean").to_numpy()
    se = profiles.pivot(index="organisation_id", columns="dimension_id", values="se").to_numpy()
    model = typology._mixture(2, "diag", 1).fit(wide)
    labels, _ = typology._ordered_labels(model, wide)
    checks = typology.evidence(wide, se, model, labels, 2, "diag", seed=1, n_boot=20)
    assert not checks["holds"]


def test_certainty_words_follow_the_posterior():
    assert [typology.certainty(p) for p in (0.99, 0.9, 0.8, 0.7, 0.55)] == [
        "certain",
        "certain",
        "likely",
        "likely",
        "uncertain",
    ]
