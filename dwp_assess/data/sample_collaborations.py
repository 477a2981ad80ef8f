"""The synthetic data-sharing round: collaborations of sample organisations and their checklists.

Four collaborations of three to five organisations of the sample registry
(``COLLABORATIONS``) answer the Checklist Samen Data Delen (``data-sharing``, version 1): one
or two representatives per organisation, each answering for their own organisation. The
answers are SYNTHETIC and deterministic for a seed. Every collaboration shares one "true"
state per point of the checklist: a point that is settled is answered "geregeld" by every
representative, an open point "in bespreking" or "nog niet besproken" at random (both open:
no disagreement), and every fact question gets the same answer from everyone. On top of that
``PLANTED`` lists the disagreements between parties that the project-plan draft must find
(``analysis.collaboration``); everything else agrees. One planted difference lies *within* an
organisation (two representatives of Woerden) and must not show as a disagreement between
parties. The file also holds two rows the importer must quarantine: a representative of an
organisation that is not a member, and an unknown collaboration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dwp_assess.data.formats import FIELD_COLUMNS
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import Instrument

ROUND_ID = "data-sharing-2026"
PERIOD = "2026"
INSTRUMENT = ("data-sharing", 1)


@dataclass(frozen=True)
class SampleCollaboration:
    id: str
    title: str
    issue: str
    lead: str
    members: tuple[str, ...]


COLLABORATIONS = (
    SampleCollaboration(
        "armoede-midden-holland",
        "Samen tegen armoede in Midden-Holland",
        "Huishoudens met geldzorgen eerder in beeld en beter geholpen",
        "gouda",
        ("gouda", "zuidplas", "zuid-holland", "woerden"),
    ),
    SampleCollaboration(
        "jeugd-utrecht",
        "Jeugdhulp in beeld",
        "Wachttijden en doorstroom in de jeugdhulp",
        "woerden",
        ("woerden", "utrecht-provincie", "amersfoort"),
    ),
    SampleCollaboration(
        "energiearmoede-noord",
        "Energiearmoede Noord-Holland",
        "Welke huishoudens lopen risico op energiearmoede",
        "hoorn",
        ("hoorn", "heerhugowaard", "den-helder", "almere", "haarlemmermeer"),
    ),
    SampleCollaboration(
        "ondermijning-brabant",
        "Ondermijning samen aanpakken",
        "Signalen van ondermijning in buitengebieden delen",
        "s-hertogenbosch",
        ("s-hertogenbosch", "eersel", "bernheze", "waalre"),
    ),
)

# Organisations with two representatives (the others have one).
TWO_REPRESENTATIVES = {"gouda", "woerden", "hoorn", "s-hertogenbosch"}

# (collaboration, organisation, item) → the answer that organisation's representatives give instead
# of the collaboration's shared one: a number on the item's scale or a special code. Each line is a
# disagreement between parties the plan must list, except the last (see WITHIN_ORGANISATION).
PLANTED: dict[tuple[str, str, str], float | str] = {
    # one party names a legal basis (public task), another consent
    ("armoede-midden-holland", "zuid-holland", "LG2_basis"): 3,
    # definitions: one party says they match, another says they do not
    ("armoede-midden-holland", "zuidplas", "DA2_match"): 1,
    # rules of the game: settled for the others, not yet discussed for Woerden
    ("armoede-midden-holland", "woerden", "GV4"): 1,
    # GDPR roles: one party names joint control, another does not know
    ("jeugd-utrecht", "amersfoort", "LG3_roles"): "dont_know",
    # the GDPR roles are settled for the others; Amersfoort does not know
    ("jeugd-utrecht", "amersfoort", "LG3"): "dont_know",
    # retention: settled for the others, under discussion for Almere
    ("energiearmoede-noord", "almere", "DA6"): 2,
    # a DPIA: needed for the others, not for Den Helder
    ("energiearmoede-noord", "den-helder", "LG4_needed"): 1,
    # exit: one party says it does not apply while it is settled for the others
    ("ondermijning-brabant", "waalre", "GV6"): "not_applicable",
}
# The collaborations' shared state of the points above (so that the planted answer differs).
# 0: open (every representative answers "in bespreking" or "nog niet besproken").
SHARED = {
    "LG2_basis": 1,
    "DA2_match": 2,
    "GV4": 3,
    "LG3_roles": 2,
    "LG3": 3,
    "DA6": 3,
    "LG4_needed": 2,
    "GV6": 3,
    "DA3": 0,
}
# A difference between two representatives of one organisation (the second one's answer): the
# organisation's status is the least settled of its representatives' (docs/scoring.md), the same
# as the other parties' here, so this is no disagreement between parties.
WITHIN_ORGANISATION = {("jeugd-utrecht", "woerden", "DA3"): 3}

NOTES = (
    "Onze jurist zoekt dit uit voor de volgende bijeenkomst.",
    "Dit is vastgelegd in het convenant van vorig jaar.",
    "Hierover is nog geen overleg geweest.",
    "We willen dit graag samen met de andere partijen oppakken.",
    "Er ligt een eerste concept; reacties zijn welkom.",
    "Dit hangt af van de keuze voor de gedeelde omgeving.",
)
NOTE_SHARE = 0.35


def collaborations_frame() -> pd.DataFrame:
    """The registry file: id, title, issue, lead_organisation_id, members (``;``-separated)."""
    return pd.DataFrame(
        [(c.id, c.title, c.issue, c.lead, ";".join(c.members)) for c in COLLABORATIONS],
        columns=["id", "title", "issue", "lead_organisation_id", "members"],
    )


def _shared_state(instrument: Instrument, status_items: list[str], rng) -> dict[str, float]:
    """One collaboration's state per item: about half of the points settled, fact questions
    answered with their first (or the ``SHARED``) value."""
    state = {}
    for item in instrument.items:
        settled = instrument.scale_of(item.id).settled
        if item.id in SHARED:
            state[item.id] = SHARED[item.id]
        elif item.id in status_items:
            state[item.id] = settled if rng.random() < 0.5 else 0  # 0: open, drawn per party
        else:
            state[item.id] = instrument.scale_of(item.id).max
    return state


def _answers(instrument: Instrument, collab: str, org: str, rep: int, state: dict, rng) -> dict:
    """One representative's cells in the template: numbers, "weet ik niet" or "n.v.t.", notes."""
    row = {}
    for item in instrument.items:
        answer = PLANTED.get((collab, org, item.id), state[item.id])
        if rep == 2:
            answer = WITHIN_ORGANISATION.get((collab, org, item.id), answer)
        if answer == 0:  # an open point: each party somewhere in the discussion
            answer = int(rng.integers(1, 3))
        row[item.id] = {"dont_know": "weet ik niet", "not_applicable": "n.v.t."}.get(
            answer, str(answer)
        )
    for free in instrument.free_text:
        row[free.id] = NOTES[int(rng.integers(len(NOTES)))] if rng.random() < NOTE_SHARE else ""
    return row


def data_sharing_rows(seed: int) -> pd.DataFrame:
    """Every representative's response as a row of the import template, in a fixed order."""
    instrument = get_instrument(*INSTRUMENT)
    rng = np.random.default_rng(seed + 15)
    roles = [c.code for c in instrument.respondent_fields[0].choices]
    status_items = [i.id for i in instrument.items if instrument.scale_of(i.id).settled is not None]
    rows = []
    for collab in COLLABORATIONS:
        state = _shared_state(instrument, status_items, rng)
        for org in collab.members:
            for rep in (1, 2) if org in TWO_REPRESENTATIVES else (1,):
                n = len(rows) + 1
                answers = _answers(instrument, collab.id, org, rep, state, rng)
                rows.append(
                    {
                        "response_id": f"ds26-{n:03d}",
                        "respondent_id": "",
                        "organisation_id": org,
                        "collaboration_id": collab.id,
                        "role": roles[n % len(roles)],
                        "submitted_at": f"2026-04-{1 + n % 28:02d}T10:{n % 60:02d}",
                        **answers,
                    }
                )
    return pd.DataFrame(rows)


def write_data_sharing(out_dir: Path, seed: int) -> tuple[pd.DataFrame, dict]:
    """Write ``collaborations.csv`` and ``data-sharing-2026/template.csv`` in ``out_dir``;
    return the collaborations and the round's manifest entry."""
    instrument = get_instrument(*INSTRUMENT)
    collaborations = collaborations_frame()
    collaborations.to_csv(out_dir / "collaborations.csv", index=False, lineterminator="\n")
    rows = data_sharing_rows(seed)
    good = len(rows)
    outsider = rows.iloc[[0]].assign(response_id="ds26-x1", organisation_id="emmen")
    unknown = rows.iloc[[1]].assign(response_id="ds26-x2", collaboration_id="armoede-midden-hollnd")
    frame = pd.concat([rows, outsider, unknown], ignore_index=True)
    columns = [c for c in FIELD_COLUMNS if c != "team_id"]
    columns += [i.id for i in instrument.items] + [f.id for f in instrument.free_text]
    folder = out_dir / ROUND_ID
    folder.mkdir(exist_ok=True)
    frame[columns].to_csv(folder / "template.csv", index=False, lineterminator="\n")
    answered = sum((rows[[i.id for i in instrument.items]] != "").sum())
    entry = {
        "round_id": ROUND_ID,
        "instrument_id": instrument.id,
        "instrument_version": instrument.version,
        "period": PERIOD,
        "respondents": good,
        "answers": int(answered),
        "files": [
            {
                "path": f"{ROUND_ID}/template.csv",
                "format": "template",
                "rows": len(frame),
                "expected_stored": good,
                "expected_already_present": 0,
                "expected_quarantined": 2,
                "imperfections": [
                    "row of an organisation that is not a member of its collaboration (emmen)",
                    "row with an unknown collaboration 'armoede-midden-hollnd'",
                ],
            },
        ],
    }
    return collaborations, entry
