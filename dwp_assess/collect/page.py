"""The web form's pages: the questionnaire, the result, a bad link, the count.

``web.py`` serves these pages without a kernel per respondent. The questionnaire is one
document holding every part (introduction, one part per dimension or competence, the
closing questions); ``static/form.js`` shows one part at a time and talks to the server
to check a part, keep the draft and send. A draft being resumed is put into the page
here (chosen answers, team, role, open answers, the part), so a reload shows the same
state before any script runs.

The pages show the texts and parts of the ipywidgets form (``forms.py``): the same
instrument texts and catalogue keys, from the same functions of ``questionnaire.py``.
This module gathers what a page shows; the markup is in the autoescaped templates of
``templates/`` (``document.html.j2`` and the pages that extend it, their pieces in
``_form.html.j2``), rendered by ``rendering.py``. CSS classes are the same as the widget
form's (``dwp-item-<ID>``, ``dwp-role``, ``dwp-team``, ``dwp-text-<ID>``, ``dwp-next``,
``dwp-previous``, ``dwp-submit``, ``dwp-message``, ``dwp-progress-text``, ``dwp-result``,
``dwp-receipt``, ``dwp-new-respondent``, ``dwp-error``, ``dwp-counts``): tests select by
them. The page loads nothing from another server.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from markupsafe import Markup

from dwp_assess.collect import collaboration_member
from dwp_assess.collect.questionnaire import (
    COUNT_REFRESH_SECONDS,
    FormContext,
    FormError,
    closing_questions,
    dimension_texts,
    option_pairs,
    part_entries,
)
from dwp_assess.collect.rendering import macro, member_choice_values, render
from dwp_assess.instruments.messages import t
from dwp_assess.locale import known_language

STATIC = "static/"  # relative: the form also works under a reverse proxy's path
STATIC_DIR = Path(__file__).with_name("static")


@cache
def asset(name: str) -> str:
    """The address of a static file with its content's hash (``?v=…``): browsers may keep
    it (``web.Static``), and a changed file gets a new address."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return f"{STATIC}{name}?v={digest}"


def document(template: str, title: str, lang: str, script: bool = False, **values) -> str:
    """A whole page (``template`` extends ``document.html.j2``): the form's stylesheet,
    ``values`` and, for the form, its script."""
    return render(
        template,
        title=title,
        lang=lang,
        stylesheet=asset("form.css"),
        script=asset("form.js") if script else None,
        **values,
    )


def loading_texts(lang: str) -> dict:
    """Shown until the form's script has started (styled like the form, in its language)."""
    return {"loading": t("form.loading", lang), "no_script": t("form.no_script", lang)}


# -- the questionnaire -----------------------------------------------------------------


def language_link(query: str, lang: str, draft_id: str) -> str:
    """The link's own query (with its invitation token) in ``lang``, carrying the draft."""
    kept = [(k, v) for k, v in parse_qsl(query) if k not in ("lang", "draft")]
    return "?" + urlencode([*kept, ("draft", draft_id), ("lang", lang)])


def header_values(ctx: FormContext, draft_id: str, query: str | None = None) -> dict:
    """Title, organisation and team, and the link to the other language (which carries the
    draft, so the answers so far come along; ``query``: the link's own query)."""
    lang = ctx.lang
    other = "en" if lang == "nl" else "nl"
    who = t("form.organisation", lang, name=ctx.organisation_name)
    if ctx.team_id:
        who += " · " + t("form.team_of", lang, name=ctx.team_name(ctx.team_id))
    link = None
    if other in ctx.instrument.languages:
        href = (
            ctx.language_link(other, draft_id)
            if query is None
            else language_link(query, other, draft_id)
        )
        link = {"href": href, "lang": other, "text": t("form.language_link", lang)}
    return {"title": ctx.instrument.title.get(lang), "who": who, "link": link, "lang": lang}


def header(ctx: FormContext, draft_id: str, query: str | None = None) -> str:
    """The header (``header_values``) as HTML."""
    return str(macro("_form.html.j2", "header")(header_values(ctx, draft_id, query)))


def role_field(ctx: FormContext):
    """The instrument's ``role`` question, or None when it asks none."""
    return next((f for f in ctx.instrument.respondent_fields if f.id == "role"), None)


def intro_values(ctx: FormContext, state: dict) -> dict:
    """The introduction: what for, what is stored, and the team (when the link names none)
    and role questions with the draft's choices."""
    ins, lang = ctx.instrument, ctx.lang
    team = role = None
    if ctx.needs_team and not ctx.team_id:
        team = {
            "label": t("form.team_label", lang),
            "options": ctx.teams,
            "chosen": state.get("team"),
        }
    field = role_field(ctx)
    if field is not None:
        role = {
            "label": field.label.get(lang),
            "options": [(c.label.get(lang), c.code) for c in field.choices],
            "chosen": state.get("role"),
        }
    return {
        "heading": t("form.intro_heading", lang),
        "introduction": ins.introduction.get(lang),
        "privacy_heading": t("form.privacy_heading", lang),
        "privacy": ins.privacy.get(lang),
        "draft_note": t("form.draft_note", lang),
        "about_you": t("form.about_you", lang),
        "team": team,
        "role": role,
    }


def dimension_values(ctx: FormContext, dim, answers: dict, texts: dict) -> dict:
    """A dimension's part: its texts, then each statement with its tip and the open questions
    that belong to it (``questionnaire.part_entries``), with the draft's answers."""
    ins, lang = ctx.instrument, ctx.lang
    entries = part_entries(ins, dim, lang)
    return {
        "label": dim.label.get(lang),
        "texts": dimension_texts(ins, dim, lang),
        "entries": entries,
        "options": {e.item.id: option_pairs(ins, e.item.id, lang) for e in entries if e.item},
        "answers": answers,
        "answered_texts": texts,
    }


def dimension_part(ctx: FormContext, dim, answers: dict, texts: dict) -> str:
    """A dimension's part (``dimension_values``) as HTML."""
    return str(macro("_form.html.j2", "dimension_part")(dimension_values(ctx, dim, answers, texts)))


def closing_values(ctx: FormContext, texts: dict) -> dict:
    """The closing part: the open questions that belong to no statement or part."""
    lang = ctx.lang
    questions = [{"id": f.id, "label": f.text.get(lang)} for f in closing_questions(ctx.instrument)]
    return {
        "heading": t("form.closing_heading", lang),
        "intro": t("form.closing_intro", lang),
        "questions": questions,
        "answered_texts": texts,
    }


def part_count(ctx: FormContext) -> int:
    """Introduction, one part per dimension, closing."""
    return len(ctx.instrument.dimensions) + 2


def form_page(ctx: FormContext, draft_id: str, state: dict, query: str) -> str:
    """The questionnaire, opened at the draft's part with its answers (``state`` is empty
    for a new form). ``query`` is the link's query: the script sends it back so the server
    checks and stores against the same round, organisation and team."""
    lang = ctx.lang
    total = part_count(ctx)
    page = state.get("page", 0)
    page = page if isinstance(page, int) and 0 <= page < total else 0
    answers, texts = state.get("answers", {}), state.get("texts", {})
    config = {
        "query": query,
        "draft": draft_id,
        "page": page,
        "total": total,
        "progress": t("form.progress", lang, n="{n}", total=total),
        "saving": t("form.saving", lang),
        "failed": t("form.connection_failed", lang),
    }
    return document(
        "form.html.j2",
        ctx.instrument.title.get(lang),
        lang,
        script=True,
        loading=loading_texts(lang),
        header=header_values(ctx, draft_id, query),
        total=total,
        page=page,
        progress=t("form.progress", lang, n=page + 1, total=total),
        intro=intro_values(ctx, state),
        dimensions=[dimension_values(ctx, d, answers, texts) for d in ctx.instrument.dimensions],
        closing=closing_values(ctx, texts),
        buttons={k: t(f"form.{k}", lang) for k in ("previous", "next", "submit")},
        config=config,
    )


def result_part(result: str, lang: str, note: str = "") -> str:
    """What replaces the questions after sending: an optional note, the result (HTML of
    ``rendering.result_html``) and the "Nieuwe invuller" button."""
    part = macro("_form.html.j2", "result_part")
    return str(part(Markup(result), note, t("form.new_respondent", lang)))


def sent_page(ctx: FormContext, draft_id: str, result: str, query: str) -> str:
    """A reload of a sent form in its own browser: the receipt and result (HTML of
    ``rendering.result_html``) again."""
    lang = ctx.lang
    return document(
        "sent.html.j2",
        ctx.instrument.title.get(lang),
        lang,
        script=True,
        loading=loading_texts(lang),
        header=header_values(ctx, draft_id, query),
        result=Markup(result),
        note=t("form.already_sent", lang),
        new_respondent=t("form.new_respondent", lang),
        config={"query": query, "draft": draft_id, "sent": True},
    )


# -- a bad link, a collaboration's members, the facilitator's count ------------------------------


def error_page(error: FormError, lang: str) -> str:
    """What is wrong with the link and what to do, in the respondent's language."""
    lang = known_language(lang)
    return document(
        "error.html.j2", t("form.error_heading", lang), lang, error=error_values(error, lang)
    )


def error_values(error: FormError, lang: str) -> dict:
    """The heading, what is wrong and what to do (the web page and the widget form)."""
    return {
        "heading": t("form.error_heading", lang),
        "text": error.text(lang),
        "hint": t("form.error_hint", lang),
    }


def member_choice_page(
    choice: collaboration_member.ChooseMember, query: dict[str, str], lang: str
) -> str:
    """A collaboration's link without an organisation: the members to choose from."""
    return document(
        "member_choice_page.html.j2",
        t("form.collaboration.choose_heading", lang),
        lang,
        **member_choice_values(choice, query, lang),
    )


def host_refused_page() -> str:
    """A request for a Host name the server does not answer to, in Dutch and English."""
    text = t("form.error.host", "nl")
    return document(
        "host_refused.html.j2", text, "nl", text_nl=text, text_en=t("form.error.host", "en")
    )


def count_page(heading: str, table: str, lang: str, updated: str) -> str:
    """The facilitator's count (``table``: HTML of ``rendering.count_table``): reloads itself
    every ``COUNT_REFRESH_SECONDS`` (no script)."""
    return document(
        "count.html.j2",
        heading,
        lang,
        refresh_seconds=COUNT_REFRESH_SECONDS,
        heading=heading,
        note=t("collect.count_note", lang),
        table=Markup(table),
        updated=updated,
        refresh=t("collect.refresh", lang),
    )
