"""What ``dwp-assess status`` shows of a round: per organisation the responses stored against
the number invited (the round's copy of the registry), the response rate and the rows of the
round's files that were quarantined.

A quarantined row counts for the organisation its organisation cell names (by id, name or CBS
code, as the importer reads it); a row whose organisation is not recognised counts under
``UNRECOGNISED``, so that every quarantined row is counted somewhere.
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from dwp_assess.data import store
from dwp_assess.data.formats import norm_text
from dwp_assess.data.importers import organisation_lookup

UNRECOGNISED = "?"  # the organisation of quarantined rows that name none the registry knows
COLUMNS = ["organisation_id", "name", "responses", "invited", "response_rate", "quarantined"]


def quarantined_by_organisation(engine: Engine, round_id: str) -> pd.Series:
    """Quarantined rows of a round per organisation id (``UNRECOGNISED`` for the rest)."""
    raw = store.read_frame(
        engine, select(store.quarantine.c.raw).where(store.quarantine.c.round_id == round_id)
    )
    lookup = organisation_lookup(engine)
    named = [json.loads(r).get("organisation", "") for r in raw["raw"]]
    found = pd.Series([lookup.get(norm_text(n), UNRECOGNISED) for n in named], dtype=object)
    return found.value_counts().rename("quarantined")


def organisation_status(engine: Engine, round_id: str) -> pd.DataFrame:
    """One row per organisation of a round (those it recorded and those with responses or
    quarantined rows): ``COLUMNS``; response_rate is responses / invited (NaN when the number
    invited is unknown or 0)."""
    counts = store.read_frame(
        engine,
        select(store.respondent.c.organisation_id, func.count().label("responses"))
        .join(store.response, store.response.c.respondent_id == store.respondent.c.id)
        .where(store.response.c.round_id == round_id)
        .group_by(store.respondent.c.organisation_id),
    ).set_index("organisation_id")["responses"]
    recorded = store.load_round_organisations(engine, round_id).set_index("organisation_id")[
        "invited"
    ]
    quarantined = quarantined_by_organisation(engine, round_id)
    index = sorted(
        set(counts.index) | set(recorded.index) | set(quarantined.index) - {UNRECOGNISED}
    )
    names = store.organisations(engine).set_index("id")["name"]
    frame = pd.DataFrame(index=pd.Index(index, name="organisation_id"))
    frame["name"] = names.reindex(frame.index)
    frame["responses"] = counts.reindex(frame.index).fillna(0).astype(int)
    frame["invited"] = pd.to_numeric(recorded.reindex(frame.index), errors="coerce").astype("Int64")
    invited = frame["invited"].astype("float64")
    frame["response_rate"] = frame["responses"] / invited.where(invited > 0)
    frame["quarantined"] = quarantined.reindex(frame.index).fillna(0).astype(int)
    if UNRECOGNISED in quarantined.index:
        extra = {
            "name": None,
            "responses": 0,
            "invited": pd.NA,
            "response_rate": float("nan"),
            "quarantined": int(quarantined[UNRECOGNISED]),
        }
        frame = pd.concat(
            [frame, pd.DataFrame([extra], index=pd.Index([UNRECOGNISED], name="organisation_id"))]
        )
    return frame.reset_index()[COLUMNS]
