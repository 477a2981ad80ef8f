"""Which rounds a researcher's notebook analyses when none is named: the newest round of the
kind of instrument it is made for, and the round before it to compare with.

A project's copy of ``analyse_round.ipynb`` or ``typology.ipynb`` runs on the project's own
store, so its default cannot be a round of the demo; it is the newest round there (by period,
then by when it was opened), and a store without such a round is one plain error naming the
parameter to set.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument


def latest_round(engine: Engine, kind: str = "organisation") -> str:
    """The id of the newest round whose instrument reports per ``kind`` (organisation, team,
    collaboration); ``ValueError`` naming the parameter ``round_id`` when there is none."""
    rounds = [
        r
        for r in store.list_rounds(engine)
        if get_instrument(r.instrument_id, r.instrument_version).kind == kind
    ]
    if not rounds:
        url = engine.url.render_as_string(hide_password=True)
        raise ValueError(
            f"no round of an instrument per {kind} in the store {url}: import one "
            "(dwp-assess import … --round …) or set round_id in the parameters cell"
        )
    return max(rounds, key=lambda r: (r.period, r.opened_at, r.id)).id


def previous_round(engine: Engine, round_id: str) -> str | None:
    """The latest earlier round (by period) of the same instrument, if any."""
    info = store.get_round(engine, round_id)
    earlier = [
        r
        for r in store.list_rounds(engine)
        if r.instrument_id == info.instrument_id and r.period < info.period
    ]
    return max(earlier, key=lambda r: r.period).id if earlier else None
