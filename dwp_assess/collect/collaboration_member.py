"""The collaboration a form is filled in for (instruments with ``kind: collaboration``).

A representative answers for their own organisation within one collaboration: the link names
the collaboration (``?collaboration=…``) and the organisation, which must be one of its
members (``check``). A link that names only the collaboration opens a page on which the
respondent chooses their own organisation among the members (``member_links``; the web form and
the Jupyter form show it, ``rendering.member_choice_values``). Links of other instruments need no
collaboration, and one they name is refused, so a response is never stored under a
collaboration it does not belong to.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy.engine import Engine

from dwp_assess import ids
from dwp_assess.collect.errors import FormError
from dwp_assess.data import store
from dwp_assess.instruments.model import Instrument


class ChooseMember(FormError):
    """The link names a collaboration but not the organisation: the respondent chooses it."""

    def __init__(self, collaboration_id: str, title: str, members: list[tuple[str, str]]):
        super().__init__("form.collaboration.choose", collaboration=title)
        self.collaboration_id = collaboration_id
        self.members = members  # (organisation id, name), in name order


def members(engine: Engine, collaboration_id: str) -> list[tuple[str, str]]:
    """(organisation id, name) of a collaboration's members, in name order."""
    rows = store.collaboration_members(engine)
    own = set(rows.loc[rows["collaboration_id"] == collaboration_id, "organisation_id"])
    orgs = store.organisations(engine)
    chosen = orgs[orgs["id"].isin(own)].sort_values("name")
    return list(zip(chosen["id"], chosen["name"], strict=True))


def check(
    engine: Engine,
    instrument: Instrument,
    collaboration_id: str | None,
    organisation_id: str | None,
) -> str | None:
    """The link's collaboration, checked: required for a collaboration instrument, known, and
    with ``organisation_id`` among its members (``ChooseMember`` when the link names no
    organisation); refused for other instruments. Raises ``FormError``."""
    if not instrument.kind_spec.in_collaborations:
        if collaboration_id:
            raise FormError("form.collaboration.not_expected")
        return None
    if not collaboration_id:
        raise FormError("form.collaboration.missing")
    known = store.collaborations(engine).set_index("id")
    if not ids.is_valid(collaboration_id) or collaboration_id not in known.index:
        raise FormError("form.collaboration.unknown", collaboration=collaboration_id)
    title = str(known.loc[collaboration_id, "title"])
    member_list = members(engine, collaboration_id)
    if not organisation_id:
        raise ChooseMember(collaboration_id, title, member_list)
    if organisation_id not in dict(member_list):
        raise FormError(
            "form.collaboration.not_a_member", organisation=organisation_id, collaboration=title
        )
    return collaboration_id


def member_links(choice: ChooseMember, query: dict[str, str]) -> list[tuple[str, str]]:
    """(organisation name, link query) for each member: the link's own query with the
    organisation added, so the chosen form opens with the same round, language and collaboration."""
    return [(name, urlencode({**query, "organisation": org})) for org, name in choice.members]


def link_query(params: dict) -> dict[str, str]:
    """The query a member's link keeps from the link opened: round, collaboration, language
    and the invitation token of the web form."""
    query = {
        "round": params.get("round_id"),
        "collaboration": params.get("collaboration_id"),
        "lang": params.get("lang"),
        "token": params.get("token"),
    }
    return {k: str(v) for k, v in query.items() if v}
