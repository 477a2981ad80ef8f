"""Synthetic sample rounds from a seeded latent-trait model (clearly marked synthetic).

The organisations are the real Datawerkplaats partners and the municipalities of
the GemeentenNL working group on data strategy; every answer is generated.

Model, in short (``sample_data/README.md`` explains it in plain words):

* data strategy: each organisation has a maturity per dimension (correlated
  dimensions, larger organisations a little further); each respondent's trait
  is that maturity plus a personal view whose spread differs per organisation
  (disagreement); items follow a graded-response model (discrimination and
  difficulty per item), reverse-keyed items are answered mirrored;
* competences: each member's trait per competence is a personal level plus a
  strength that depends on the role (data scientists on data-analytic skills,
  domain experts on domain expertise, ...), so some teams have gaps;
* survey reality: skipped items, break-offs, "weet ik niet" (more on technical
  items), "n.v.t.", straight-liners, and a second round with real change;
* Goed Digitaal Bestuur (``digital_governance_round``): members of twelve teams weigh each
  public value's relevance and safeguarding around a value-wide level; per team a few values
  are planted relevant but weakly safeguarded and a few divided (half the team low, half high),
  one team stays under the minimum group size, and some members propose agreements;
* versions: the 2025 rounds use version 1 of each instrument, the 2026 rounds version 2;
  a level-choice question (version 2) is answered from the same trait as its
  dimension's items, so the chosen levels fit the organisation's simulated maturity.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from dwp_assess.data import municipal_codes
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import Instrument

SEED = 2026
PERIODS = ("2025", "2026")
VERSIONS = {"2025": 1, "2026": 2}  # instrument version per period
# id, name, kind, CBS code (as the working group's 2020 list has it), size class, urbanisation,
# inhabitants (approx.), province. A code that ended in a merger is replaced per period by its
# successor (``municipal_codes``): the organisation id stays, the code and name change.
ORGANISATIONS = [
    (
        "gouda",
        "Gouda",
        "gemeente",
        "GM0513",
        "50.000-100.000",
        "sterk stedelijk",
        75_000,
        "Zuid-Holland",
    ),
    (
        "almere",
        "Almere",
        "gemeente",
        "GM0034",
        "150.000-250.000",
        "sterk stedelijk",
        218_000,
        "Flevoland",
    ),
    (
        "woerden",
        "Woerden",
        "gemeente",
        "GM0632",
        "50.000-100.000",
        "matig stedelijk",
        53_000,
        "Utrecht",
    ),
    (
        "amersfoort",
        "Amersfoort",
        "gemeente",
        "GM0307",
        "150.000-250.000",
        "sterk stedelijk",
        160_000,
        "Utrecht",
    ),
    (
        "zuidplas",
        "Zuidplas",
        "gemeente",
        "GM1892",
        "20.000-50.000",
        "matig stedelijk",
        46_000,
        "Zuid-Holland",
    ),
    (
        "zuid-holland",
        "Provincie Zuid-Holland",
        "provincie",
        "PV28",
        "provincie",
        None,
        3_800_000,
        "Zuid-Holland",
    ),
    (
        "utrecht-provincie",
        "Provincie Utrecht",
        "provincie",
        "PV26",
        "provincie",
        None,
        1_380_000,
        "Utrecht",
    ),
    (
        "den-haag",
        "Den Haag",
        "gemeente",
        "GM0518",
        "250.000 en meer",
        "zeer sterk stedelijk",
        560_000,
        "Zuid-Holland",
    ),
    (
        "s-hertogenbosch",
        "'s-Hertogenbosch",
        "gemeente",
        "GM0796",
        "150.000-250.000",
        "sterk stedelijk",
        160_000,
        "Noord-Brabant",
    ),
    (
        "emmen",
        "Emmen",
        "gemeente",
        "GM0114",
        "100.000-150.000",
        "weinig stedelijk",
        108_000,
        "Drenthe",
    ),
    (
        "eersel",
        "Eersel",
        "gemeente",
        "GM0770",
        "20.000-50.000",
        "weinig stedelijk",
        20_000,
        "Noord-Brabant",
    ),
    (
        "hendrik-ido-ambacht",
        "Hendrik-Ido-Ambacht",
        "gemeente",
        "GM0531",
        "20.000-50.000",
        "sterk stedelijk",
        31_000,
        "Zuid-Holland",
    ),
    (
        "brunssum",
        "Brunssum",
        "gemeente",
        "GM0899",
        "20.000-50.000",
        "sterk stedelijk",
        27_000,
        "Limburg",
    ),
    (
        "maastricht",
        "Maastricht",
        "gemeente",
        "GM0935",
        "100.000-150.000",
        "zeer sterk stedelijk",
        121_000,
        "Limburg",
    ),
    (
        "hoorn",
        "Hoorn",
        "gemeente",
        "GM0405",
        "50.000-100.000",
        "sterk stedelijk",
        74_000,
        "Noord-Holland",
    ),
    (
        "bernheze",
        "Bernheze",
        "gemeente",
        "GM1721",
        "20.000-50.000",
        "weinig stedelijk",
        32_000,
        "Noord-Brabant",
    ),
    (
        "haarlemmermeer",
        "Haarlemmermeer",
        "gemeente",
        "GM0394",
        "150.000-250.000",
        "matig stedelijk",
        160_000,
        "Noord-Holland",
    ),
    (
        "waalre",
        "Waalre",
        "gemeente",
        "GM0866",
        "10.000-20.000",
        "matig stedelijk",
        17_000,
        "Noord-Brabant",
    ),
    (
        "oude-ijsselstreek",
        "Oude IJsselstreek",
        "gemeente",
        "GM1509",
        "20.000-50.000",
        "weinig stedelijk",
        40_000,
        "Gelderland",
    ),
    (
        "den-helder",
        "Den Helder",
        "gemeente",
        "GM0400",
        "50.000-100.000",
        "sterk stedelijk",
        56_000,
        "Noord-Holland",
    ),
    (
        "brielle",
        "Brielle",
        "gemeente",
        "GM0501",
        "10.000-20.000",
        "matig stedelijk",
        17_000,
        "Zuid-Holland",
    ),
    (
        "heerhugowaard",
        "Heerhugowaard",
        "gemeente",
        "GM0398",
        "50.000-100.000",
        "sterk stedelijk",
        58_000,
        "Noord-Holland",
    ),
]
# What a merged municipality is in the sample's periods: size class and inhabitants (approx.).
AFTER_MERGER = {
    "GM1980": ("50.000-100.000", 90_000),  # Dijk en Waard (Heerhugowaard + Langedijk), 2022
    # Voorne aan Zee (Brielle + Hellevoetsluis + Westvoorne), 2023
    "GM1992": ("50.000-100.000", 70_000),
}
# Planted profile types of data-strategy maturity (latent units per dimension), so that a
# typology has something to find: urban front-runners strong on infrastructure, technology
# and data; small communities strong on culture and openness but weak on infrastructure;
# governance-led organisations strong on vision, structure and governance but weak on data.
TYPE_PROFILES = {
    "front_runner": {
        "infrastructure": 0.9,
        "technology": 0.9,
        "data": 0.8,
        "people_culture": -0.6,
        "responsible_use": -0.3,
        "openness_participation": -0.5,
    },
    "community": {
        "vision_strategy": -0.3,
        "organisation_structure": -0.3,
        "infrastructure": -0.9,
        "people_culture": 0.9,
        "technology": -0.8,
        "data": -0.6,
        "responsible_use": 0.5,
        "openness_participation": 0.7,
    },
    "governance_led": {
        "vision_strategy": 0.8,
        "organisation_structure": 0.7,
        "infrastructure": -0.2,
        "people_culture": -0.2,
        "technology": -0.4,
        "data": -0.5,
        "purpose_governance": 0.9,
        "responsible_use": 0.2,
        "openness_participation": -0.2,
    },
}
TEAM_NAMES = [
    "Datateam Sociaal Domein",
    "Team Openbare Ruimte",
    "Programma Wonen",
    "Team Veiligheid",
    "Team Dienstverlening",
    "Programma Energietransitie",
    "Team Mobiliteit",
    "Team Financiën",
]
DS_ROLES = (
    "bestuur_management",
    "beleid",
    "uitvoering",
    "informatie_data",
    "ict",
    "juridisch_privacy",
    "other",
)
DS_ROLE_SHARES = (0.10, 0.25, 0.25, 0.15, 0.12, 0.05, 0.08)
TEAM_ROLES = ("domain_expert", "data_scientist", "business_analyst", "lawyer", "other")
TEAM_ROLE_SHARES = (0.42, 0.16, 0.2, 0.07, 0.15)
# Strength of each role per competence (latent units), on top of a base per competence.
COMPETENCE_BASE = {
    "data_literacy": 0.6,
    "critical_thinking": 0.5,
    "collaboration": 0.9,
    "domain_expertise": 0.1,
    "involving_stakeholders": -0.1,
    "data_analytic_skills": -0.9,
    "innovativeness": -0.3,
    "political_savvy": -1.0,
}
ROLE_STRENGTH = {
    "domain_expert": {
        "domain_expertise": 1.6,
        "involving_stakeholders": 0.8,
        "data_analytic_skills": -0.8,
    },
    "data_scientist": {
        "data_analytic_skills": 2.4,
        "innovativeness": 0.9,
        "political_savvy": -0.6,
        "domain_expertise": -0.6,
    },
    "business_analyst": {
        "data_analytic_skills": 1.2,
        "involving_stakeholders": 0.7,
        "collaboration": 0.3,
    },
    "lawyer": {"critical_thinking": 1.1, "political_savvy": 0.9, "data_analytic_skills": -1.0},
    "other": {"political_savvy": 0.4},
}
TECHNICAL_DIMENSIONS = {"infrastructure", "technology", "data", "data_analytic_skills"}
CUTS = np.array([-2.6, -0.9, 0.9, 2.6])  # graded-response thresholds on the logistic scale
FREE_TEXTS = [
    "Een gedeelde datavisie en iemand die er eigenaar van is.",
    "Meer aandacht voor datakwaliteit bij de bron.",
    "Betere coördinatie tussen afdelingen: één plek voor onze data.",
    "Opleiding in datageletterdheid voor leidinggevenden.",
    "Stoppen met data verzamelen die we niet gebruiken.",
    "Algoritmes toetsen op vooringenomenheid vóór ze live gaan.",
    "Van pilots naar structurele inzet <b>met budget</b> & mensen.",
]

TEAM_EXPECTATIONS = [  # answers to the competence instrument's team question (shown in profiles)
    "Een dashboard dat het team zelf kan bijhouden.",
    "Beter onderbouwde besluiten over de aanpak van ons vraagstuk.",
    "Samen met de ketenpartners dezelfde cijfers gebruiken.",
    "Eerst goed afspreken welke gegevens we mogen gebruiken.",
    "Leren hoe we data in het gesprek met bewoners inzetten.",
]
TEAM_EXPECTATION_SHARE = 0.4


@dataclass(frozen=True)
class SyntheticRound:
    """A generated round: respondents (one row each) and their answers in long format."""

    round_id: str
    instrument: Instrument
    period: str
    respondents: (
        pd.DataFrame
    )  # response_id, respondent_id, organisation_id, team_id, role, submitted_at
    answers: pd.DataFrame  # response_id, item_id, value, code, text


# -- the latent-trait model --------------------------------------------------------


def organisations_frame(rng: np.random.Generator) -> pd.DataFrame:
    """The registry of organisations with the number invited per data-strategy round.

    Each CBS code is the one valid in the sample's last period (``municipal_codes.code_in``):
    a municipality that merged before it appears as the municipality it merged into, under
    the same organisation id, with that municipality's name and size.
    """
    cols = [
        "id",
        "name",
        "kind",
        "cbs_code",
        "size_class",
        "urbanisation",
        "inhabitants",
        "province",
    ]
    orgs = pd.DataFrame(ORGANISATIONS, columns=cols)
    year = max(int(p) for p in PERIODS)
    current = orgs["cbs_code"].map(lambda code: municipal_codes.code_in(code, year))
    merged = current != orgs["cbs_code"]
    orgs.loc[merged, "name"] = current[merged].map(municipal_codes.name_of)
    orgs.loc[merged, "size_class"] = current[merged].map(lambda c: AFTER_MERGER[c][0])
    orgs.loc[merged, "inhabitants"] = current[merged].map(lambda c: AFTER_MERGER[c][1])
    orgs["cbs_code"] = current
    size = np.log10(orgs["inhabitants"].to_numpy(dtype=float))
    orgs["invited"] = np.clip((size - 3.6) * 40 + rng.integers(0, 20, len(orgs)), 25, 140).astype(
        int
    )
    return orgs


def planted_types(orgs: pd.DataFrame) -> pd.Series:
    """The profile type (``TYPE_PROFILES``) each organisation's maturity is drawn around:
    municipalities of 100,000 or more are front-runners, those under 50,000 communities,
    the others and the provinces governance-led."""
    inhabitants = orgs["inhabitants"].astype(float)
    municipal = orgs["kind"].eq("gemeente")
    kind = np.where(municipal & (inhabitants >= 100_000), "front_runner", "governance_led")
    kind = np.where(municipal & (inhabitants < 50_000), "community", kind)
    return pd.Series(kind, index=orgs.index, name="planted_type")


def teams_frame(orgs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Two data-project teams per organisation, with their size (= invited)."""
    rows = []
    for org in orgs["id"]:
        for name in rng.choice(TEAM_NAMES, size=2, replace=False):
            slug = name.lower().replace(" ", "-").replace("ë", "e")
            rows.append((f"{org}-{slug}", org, name, int(rng.integers(4, 9))))
    return pd.DataFrame(rows, columns=["id", "organisation_id", "name", "invited"])


def _graded(
    theta: np.ndarray, a: np.ndarray, b: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Answers 1–5 from a graded-response model: latent a·(θ−b) plus logistic noise, cut at CUTS."""
    latent = a * (theta - b) + rng.logistic(size=theta.shape)
    return 1 + np.searchsorted(CUTS, latent)


def _survey_reality(
    values: np.ndarray, technical: np.ndarray, instrument: Instrument, rng
) -> tuple:
    """Turn clean answers into survey data: skips, break-offs, don't know, n.v.t., straight-lining."""
    n, k = values.shape
    values = values.astype(float)
    codes = np.full((n, k), None, dtype=object)
    straight = rng.random(n) < 0.02
    values[straight] = rng.integers(3, 6, straight.sum())[:, None]
    allows = {
        code: np.array(
            [code in instrument.scale_of(i.id).special_codes() for i in instrument.items]
        )
        for code in ("dont_know", "not_applicable")
    }
    dont_know = rng.random((n, k)) < np.where(technical, 0.09, 0.025)[None, :]
    codes[dont_know & allows["dont_know"][None, :]] = "dont_know"
    not_applicable = (rng.random((n, k)) < 0.01) & ~dont_know
    codes[not_applicable & allows["not_applicable"][None, :]] = "not_applicable"
    values[codes != None] = np.nan  # noqa: E711 - elementwise comparison on an object array
    values[rng.random((n, k)) < 0.025] = np.nan
    breakoff = np.where(rng.random(n) < 0.04, rng.integers(k // 3, k, n), k)
    values[np.arange(k)[None, :] >= breakoff[:, None]] = np.nan
    codes[np.arange(k)[None, :] >= breakoff[:, None]] = None
    return values, codes


def _long_answers(
    respondents: pd.DataFrame, instrument: Instrument, values, codes, texts
) -> pd.DataFrame:
    items = [i.id for i in instrument.items]
    frame = pd.DataFrame(
        {
            "response_id": np.repeat(respondents["response_id"].to_numpy(), len(items)),
            "item_id": np.tile(items, len(respondents)),
            "value": values.ravel(),
            "code": codes.ravel(),
            "text": None,
        }
    )
    frame = frame[frame["value"].notna() | frame["code"].notna()]
    if instrument.free_text and texts is not None:
        free = pd.DataFrame(
            {
                "response_id": respondents["response_id"],
                "item_id": instrument.free_text[0].id,
                "value": np.nan,
                "code": None,
                "text": texts,
            }
        )
        frame = pd.concat([frame, free[free["text"].notna()]], ignore_index=True)
    return frame.reset_index(drop=True)


def _item_parameters(instrument: Instrument, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = len(instrument.items)
    a = rng.uniform(1.3, 2.3, k)
    b = rng.normal(0, 0.35, k)
    technical = np.array([i.dimension in TECHNICAL_DIMENSIONS for i in instrument.items])
    return a, b, technical


def _timestamps(period: str, n: int, rng) -> list[str]:
    start = datetime(int(period), 3, 1, 9, 0)
    offsets = rng.integers(0, 40 * 24 * 60, n)
    return [(start + timedelta(minutes=int(m))).isoformat(timespec="minutes") for m in offsets]


def data_strategy_round(
    instrument: Instrument, orgs: pd.DataFrame, period: str, maturity: pd.DataFrame, rng
) -> SyntheticRound:
    """Respondents of every organisation answering the data-strategy questionnaire;
    ``maturity`` is organisation × dimension id (dimensions of every version)."""
    dims = [d.id for d in instrument.dimensions]
    maturity = maturity[dims].to_numpy()
    dim_index = np.array([dims.index(i.dimension) for i in instrument.items])
    a, b, technical = _item_parameters(
        instrument, np.random.default_rng(7)
    )  # items fixed across rounds
    response_rate = rng.uniform(0.3, 0.65, len(orgs))
    counts = np.maximum(8, (orgs["invited"].to_numpy() * response_rate).astype(int))
    org_pos = np.repeat(np.arange(len(orgs)), counts)
    disagreement = rng.uniform(0.35, 0.9, len(orgs))[org_pos]
    personal = (
        rng.normal(0, 1, len(org_pos))[:, None] * 0.5
        + rng.normal(0, 1, (len(org_pos), len(dims))) * 0.45
    )
    theta = maturity[org_pos] + personal * disagreement[:, None] * 1.4
    values = _graded(theta[:, dim_index], a, b, rng)
    reverse = np.array([i.reverse for i in instrument.items])
    values[:, reverse] = 6 - values[:, reverse]
    values, codes = _survey_reality(values, technical, instrument, rng)
    round_id = f"{instrument.id}-{period}"
    respondents = pd.DataFrame(
        {
            "response_id": [f"{round_id}-r{n:05d}" for n in range(len(org_pos))],
            "respondent_id": [f"{round_id}-p{n:05d}" for n in range(len(org_pos))],
            "organisation_id": orgs["id"].to_numpy()[org_pos],
            "team_id": None,
            "role": rng.choice(DS_ROLES, size=len(org_pos), p=DS_ROLE_SHARES),
            "submitted_at": _timestamps(period, len(org_pos), rng),
        }
    )
    texts = np.where(rng.random(len(org_pos)) < 0.25, rng.choice(FREE_TEXTS, len(org_pos)), None)
    answers = _long_answers(respondents, instrument, values, codes, texts)
    return SyntheticRound(round_id, instrument, period, respondents, answers)


def maturity_by_round(dimensions: list[str], orgs: pd.DataFrame, rng) -> dict[str, pd.DataFrame]:
    """Organisation × dimension maturity for both periods, with real change in between:
    a general level (larger organisations a little further), the organisation's planted
    profile type (``planted_types``) and a little of its own per dimension."""
    n_dims = len(dimensions)
    size = (np.log10(orgs["inhabitants"].to_numpy(dtype=float)) - 4.8) * 0.35
    general = rng.normal(0, 0.35, len(orgs)) + size
    profile = np.array(
        [[TYPE_PROFILES[t].get(d, 0.0) for d in dimensions] for t in planted_types(orgs)]
    )
    first = general[:, None] + profile + rng.normal(0, 0.25, (len(orgs), n_dims)) - 0.2
    change = rng.normal(0.12, 0.12, (len(orgs), 1)) + rng.normal(0, 0.1, (len(orgs), n_dims))
    change[rng.choice(len(orgs), 4, replace=False)] += 0.6  # a few clear improvers
    change[rng.choice(len(orgs), 2, replace=False)] -= 0.5  # and one or two decliners
    return {
        PERIODS[0]: pd.DataFrame(first, columns=dimensions),
        PERIODS[1]: pd.DataFrame(first + change, columns=dimensions),
    }


def competences_round(
    instrument: Instrument, teams: pd.DataFrame, period: str, uplift: float, rng
) -> SyntheticRound:
    """Members of every team rating their own competences."""
    dims = [d.id for d in instrument.dimensions]
    dim_index = np.array([dims.index(i.dimension) for i in instrument.items])
    a, b, technical = _item_parameters(instrument, np.random.default_rng(11))
    sizes = teams["invited"].to_numpy() - rng.integers(0, 2, len(teams))
    team_pos = np.repeat(np.arange(len(teams)), sizes)
    roles = rng.choice(TEAM_ROLES, size=len(team_pos), p=TEAM_ROLE_SHARES)
    base = np.array([COMPETENCE_BASE[d] for d in dims])
    strength = np.array([[ROLE_STRENGTH[r].get(d, 0.0) for d in dims] for r in roles])
    team_effect = rng.normal(0, 0.3, len(teams))[team_pos][:, None]
    # some people rate themselves higher overall, and each competence differs per person
    person = rng.normal(0, 0.6, len(team_pos))[:, None]
    own = rng.normal(0, 0.7, (len(team_pos), len(dims)))
    theta = base + strength + team_effect + person + own + uplift
    values, codes = _survey_reality(
        _graded(theta[:, dim_index], a, b, rng), technical, instrument, rng
    )
    round_id = f"{instrument.id}-{period}"
    respondents = pd.DataFrame(
        {
            "response_id": [f"{round_id}-r{n:05d}" for n in range(len(team_pos))],
            "respondent_id": [f"{round_id}-p{n:05d}" for n in range(len(team_pos))],
            "organisation_id": teams["organisation_id"].to_numpy()[team_pos],
            "team_id": teams["id"].to_numpy()[team_pos],
            "role": roles,
            "submitted_at": _timestamps(period, len(team_pos), rng),
        }
    )
    answers = _long_answers(
        respondents, instrument, values, codes, _team_expectations(round_id, len(team_pos))
    )
    return SyntheticRound(round_id, instrument, period, respondents, answers)


def _team_expectations(round_id: str, n: int) -> np.ndarray:
    """Answers to the team question for ``n`` members, about ``TEAM_EXPECTATION_SHARE`` of
    them, from a generator of their own (seeded by the round id), so that adding them left
    every other answer of the sample as it was."""
    rng = np.random.default_rng(zlib.crc32(round_id.encode()))
    chosen = rng.choice(TEAM_EXPECTATIONS, n)
    return np.where(rng.random(n) < TEAM_EXPECTATION_SHARE, chosen, None)


def generate_rounds(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame, list[SyntheticRound]]:
    """Registry and all sample rounds (two per instrument, version per ``VERSIONS``),
    deterministic for a seed."""
    rng = np.random.default_rng(seed)
    orgs = organisations_frame(rng)
    teams = teams_frame(orgs, rng)
    ds = {p: get_instrument("data-strategy", VERSIONS[p]) for p in PERIODS}
    comp = {p: get_instrument("competences", VERSIONS[p]) for p in PERIODS}
    dimensions = list(dict.fromkeys(d.id for p in PERIODS for d in ds[p].dimensions))
    maturity = maturity_by_round(dimensions, orgs, rng)
    rounds = [data_strategy_round(ds[p], orgs, p, maturity[p], rng) for p in PERIODS]
    rounds += [competences_round(comp[p], teams, p, 0.25 * n, rng) for n, p in enumerate(PERIODS)]
    rounds.append(
        digital_governance_round(get_instrument("digital-governance", 1), teams, GDB_PERIOD)
    )
    return orgs, teams, rounds


# -- Goed Digitaal Bestuur (digital-governance) ---------------------------------------------

GDB_PERIOD = "2026"
GDB_TEAMS = 12  # teams of different organisations that held the workshop
GDB_SMALL_TEAM = 2  # respondents of the one team left under the minimum group size
GDB_ROLES = ("policy", "data", "lawyer", "management", "other")
GDB_ROLE_SHARES = (0.35, 0.25, 0.1, 0.1, 0.2)
GDB_PROPOSALS = {  # a few proposals per principle; members pick from them, so some repeat
    "participation": [
        "Een inwonerspanel meelaten kijken bij de start",
        "Toegankelijkheid laten toetsen door ervaringsdeskundigen",
    ],
    "societal_value": [
        "Het publieke doel vooraf op één A4 zetten",
        "Bij elke fase de menselijke maat bespreken",
    ],
    "human_rights": [
        "Een DPIA doen voordat we starten",
        "Een bias-toets op het model, elk kwartaal",
    ],
    "procedural_justice": [
        "Het algoritme in het algoritmeregister zetten",
        "Een uitleg in gewone taal bij elke uitkomst",
    ],
    "quality_of_governance": [
        "De CISO vroeg betrekken",
        "Datakwaliteit meten voordat we het model gebruiken",
    ],
    "responsibility": [
        "Eén eigenaar van het project aanwijzen",
        "Elk half jaar evalueren met de leiding",
    ],
}
GDB_PROPOSAL_SHARE = 0.35


def digital_governance_round(
    instrument: Instrument, teams: pd.DataFrame, period: str
) -> SyntheticRound:
    """Answers of ``GDB_TEAMS`` teams (the first team of as many organisations) to the Goed
    Digitaal Bestuur questionnaire, from a generator of their own (seeded by the round id), so
    that adding this round left every other round of the sample as it was.

    Per value a base relevance and safeguarding; per team two or three values planted relevant
    but weakly safeguarded (relevance 4–5, safeguarding 1–2) and one or two divided (half of the
    members low, half high, on relevance or safeguarding); about 5% "weet ik niet" and 5% skipped."""
    round_id = f"{instrument.id}-{period}"
    rng = np.random.default_rng(zlib.crc32(round_id.encode()))
    chosen = teams.drop_duplicates("organisation_id").head(GDB_TEAMS).reset_index(drop=True)
    sizes = np.maximum(chosen["invited"].to_numpy() - rng.integers(0, 2, len(chosen)), 5)
    sizes[-1] = GDB_SMALL_TEAM
    team_pos = np.repeat(np.arange(len(chosen)), sizes)
    base = {v.id: (rng.uniform(3.0, 4.5), rng.uniform(2.6, 4.0)) for v in instrument.public_values}
    rows = np.full((len(team_pos), len(instrument.items)), np.nan)
    for team in range(len(chosen)):
        members = np.flatnonzero(team_pos == team)
        rows[members] = _gdb_team_answers(instrument, base, len(members), team, rng)
    codes = np.full(rows.shape, None, dtype=object)
    dont_know = rng.random(rows.shape) < 0.05
    skipped = rng.random(rows.shape) < 0.05
    codes[dont_know] = "dont_know"
    rows[dont_know | skipped] = np.nan
    respondents = _gdb_respondents(round_id, chosen, team_pos, period, rng)
    answers = _long_answers(respondents, instrument, rows, codes, None)
    return SyntheticRound(
        round_id,
        instrument,
        period,
        respondents,
        pd.concat([answers, _gdb_proposals(respondents, instrument, rng)], ignore_index=True),
    )


def _gdb_team_answers(
    instrument: Instrument, base: dict[str, tuple[float, float]], size: int, team: int, rng
) -> np.ndarray:
    """The answers (members × items, 1–5) of one team of ``size`` members: around each value's
    ``base`` relevance and safeguarding, except the two or three values planted relevant but
    weakly safeguarded and the one or two divided on relevance (odd ``team``) or safeguarding
    (even), where half of the members answer low and half high."""
    values = [v.id for v in instrument.public_values]
    planted = rng.choice(values, rng.integers(2, 4) + 2, replace=False)
    weak, divided = set(planted[:-2]), planted[-2:][: rng.integers(1, 3)]
    rows = np.empty((size, len(instrument.items)))
    for column, item in enumerate(instrument.items):
        relevance, safeguarding = base[item.public_value]
        centre = relevance if item.aspect == "relevance" else safeguarding
        if item.public_value in weak:
            centre = 4.6 if item.aspect == "relevance" else 1.6
        answers = centre + rng.normal(0, 0.55, size)
        if item.public_value in divided and item.aspect == (
            "relevance" if team % 2 else "safeguarding"
        ):
            answers = np.where(np.arange(size) % 2 == 0, 1.3, 4.7) + rng.normal(0, 0.3, size)
        rows[:, column] = np.clip(np.rint(answers), 1, 5)
    return rows


def _gdb_respondents(
    round_id: str, chosen: pd.DataFrame, team_pos: np.ndarray, period: str, rng
) -> pd.DataFrame:
    """One respondent per entry of ``team_pos`` (the position of their team in ``chosen``):
    ids numbered in the round, the team's organisation, a role drawn with ``GDB_ROLE_SHARES``
    and a submission time in the period."""
    return pd.DataFrame(
        {
            "response_id": [f"{round_id}-r{n:05d}" for n in range(len(team_pos))],
            "respondent_id": [f"{round_id}-p{n:05d}" for n in range(len(team_pos))],
            "organisation_id": chosen["organisation_id"].to_numpy()[team_pos],
            "team_id": chosen["id"].to_numpy()[team_pos],
            "role": rng.choice(GDB_ROLES, size=len(team_pos), p=GDB_ROLE_SHARES),
            "submitted_at": _timestamps(period, len(team_pos), rng),
        }
    )


def _gdb_proposals(respondents: pd.DataFrame, instrument: Instrument, rng) -> pd.DataFrame:
    """Answers to the principles' open questions: about ``GDB_PROPOSAL_SHARE`` of the members
    per principle, each picking one of the principle's proposals."""
    rows = []
    for question in instrument.free_text:
        options = GDB_PROPOSALS[question.dimension]
        for response_id in respondents["response_id"][
            rng.random(len(respondents)) < GDB_PROPOSAL_SHARE
        ]:
            rows.append(
                {
                    "response_id": response_id,
                    "item_id": question.id,
                    "value": np.nan,
                    "code": None,
                    "text": options[rng.integers(len(options))],
                }
            )
    return pd.DataFrame(rows, columns=["response_id", "item_id", "value", "code", "text"])
