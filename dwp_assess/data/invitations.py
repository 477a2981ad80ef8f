"""Invitations: the tokens that links of the form server carry.

A form link is only accepted with a token the store knows (``invitation`` table). A token
binds the link to one round and one organisation, and to its team or collaboration where
the instrument has one, so a link cannot be edited into another unit's or another round's.
Three kinds:

- ``group``: one per team (team instruments), per organisation, or per member of a
  collaboration (or one for a whole collaboration, whose members then choose their
  organisation); anyone holding the link may answer (a team session, a department's mail);
- ``person``: one response each (``claim``): a mail merge sends every invitee their own
  link, so the response rate is exact and a forwarded link cannot add a second response;
- ``facilitator``: the count page of one organisation; never accepted for the form, and a
  respondent's token never opens the count.

Tokens are 32 characters from ``secrets`` (192 bits). A revoked token opens nothing. Tokens
are made by ``dwp-assess collect`` (group and facilitator links, reused while not revoked)
and ``dwp-assess invite`` (personal links, exported as CSV).

The table is this module's own, added to an existing store by ``ensure_table`` (a
``CREATE TABLE`` when it is missing, on SQLite and PostgreSQL alike), so the store's schema
version and its other tables are untouched.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    String,
    Table,
    and_,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine

from dwp_assess.data import store

KINDS = ("group", "person", "facilitator")
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")

invitation = Table(
    "invitation",
    store.metadata,
    Column("token", String(64), primary_key=True),
    Column("round_id", String(100), ForeignKey("round.id"), nullable=False, index=True),
    Column(
        "organisation_id", String(64), ForeignKey("organisation.id")
    ),  # None: a collaboration's link
    Column("team_id", String(64)),
    Column("collaboration_id", String(64)),
    Column("kind", String(12), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("response_id", String(100)),  # person: the response sent with it
)

_ready: set[str] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class Unit:
    """Who a link is for: an organisation, and its team or collaboration where there is one
    (a collaboration's link without an organisation lets its members choose theirs)."""

    organisation_id: str | None
    team_id: str | None = None
    collaboration_id: str | None = None


@dataclass(frozen=True)
class Invitation:
    token: str
    round_id: str
    organisation_id: str | None
    team_id: str | None
    collaboration_id: str | None
    kind: str
    created_at: datetime
    revoked_at: datetime | None = None
    response_id: str | None = None

    @property
    def unit(self) -> Unit:
        return Unit(self.organisation_id, self.team_id, self.collaboration_id)


def ensure_table(engine: Engine) -> None:
    """Create the ``invitation`` table in a store that has none yet (once per process and store)."""
    url = str(engine.url)
    if url in _ready:
        return
    with _lock:
        invitation.create(engine, checkfirst=True)
        _ready.add(url)


def is_token(text: object) -> bool:
    return isinstance(text, str) and TOKEN.fullmatch(text) is not None


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _invitation(row) -> Invitation:
    return Invitation(**dict(row))


def _unit_filter(round_id: str, unit: Unit, kind: str):
    def same(column, value):
        return column.is_(None) if value is None else column == value

    return and_(
        invitation.c.round_id == round_id,
        invitation.c.kind == kind,
        same(invitation.c.organisation_id, unit.organisation_id),
        same(invitation.c.team_id, unit.team_id),
        same(invitation.c.collaboration_id, unit.collaboration_id),
    )


def issue(engine: Engine, round_id: str, unit: Unit, kind: str, count: int = 1) -> list[Invitation]:
    """``count`` new tokens of ``kind`` for ``unit`` in ``round_id``."""
    if kind not in KINDS:
        raise ValueError(f"unknown invitation kind {kind!r}; expected one of {', '.join(KINDS)}")
    ensure_table(engine)
    now = datetime.now(UTC)
    rows = [
        {
            "token": new_token(),
            "round_id": round_id,
            "organisation_id": unit.organisation_id,
            "team_id": unit.team_id,
            "collaboration_id": unit.collaboration_id,
            "kind": kind,
            "created_at": now,
        }
        for _ in range(count)
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(invitation), rows)
    return [Invitation(**row) for row in rows]


def shared(engine: Engine, round_id: str, unit: Unit, kind: str) -> Invitation:
    """The unit's valid ``group`` or ``facilitator`` token, made when it has none (or only
    revoked ones), so ``collect`` prints the same links every time it starts."""
    ensure_table(engine)
    query = select(invitation).where(
        _unit_filter(round_id, unit, kind), invitation.c.revoked_at.is_(None)
    )
    with engine.connect() as conn:
        found = conn.execute(query.order_by(invitation.c.created_at)).mappings().first()
    return _invitation(found) if found else issue(engine, round_id, unit, kind)[0]


def find(engine: Engine, token: object) -> Invitation | None:
    """The invitation of ``token`` (revoked ones too), or None; anything that is not a token
    is not looked up."""
    if not is_token(token):
        return None
    ensure_table(engine)
    with engine.connect() as conn:
        found = (
            conn.execute(select(invitation).where(invitation.c.token == token)).mappings().first()
        )
    return _invitation(found) if found else None


def of_round(engine: Engine, round_id: str, kind: str | None = None) -> list[Invitation]:
    """Every invitation of a round (of ``kind``), oldest first."""
    ensure_table(engine)
    query = select(invitation).where(invitation.c.round_id == round_id)
    if kind:
        query = query.where(invitation.c.kind == kind)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(invitation.c.created_at, invitation.c.token)).mappings()
        return [_invitation(row) for row in rows]


def revoke(engine: Engine, token: str) -> bool:
    """Revoke ``token``: its link opens nothing from now on. False when it is unknown."""
    ensure_table(engine)
    with engine.begin() as conn:
        done = conn.execute(
            update(invitation)
            .where(invitation.c.token == token, invitation.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        if done.rowcount:
            return True
        return (
            conn.execute(select(invitation.c.token).where(invitation.c.token == token)).first()
            is not None
        )


def claim(engine: Engine, token: str, response_id: str) -> bool:
    """Record that a personal token sends ``response_id``; False when it sent another
    response already. Claiming again for the same response (a retry) is fine."""
    ensure_table(engine)
    free = or_(invitation.c.response_id.is_(None), invitation.c.response_id == response_id)
    with engine.begin() as conn:
        done = conn.execute(
            update(invitation)
            .where(invitation.c.token == token, invitation.c.kind == "person", free)
            .values(response_id=response_id)
        )
    return bool(done.rowcount)
