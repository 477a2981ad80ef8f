"""The web form's pages as HTML: the questionnaire, the result, a bad link, the count.

``web.py`` serves these pages without a kernel per respondent. The questionnaire is one
document holding every part (introduction, one part per dimension or competence, the
closing questions); ``static/form.js`` shows one part at a time and talks to the server
to check a part, keep the draft and send. A draft being resumed is put into the page
here (chosen answers, team, role, open answers, the part), so a reload shows the same
state before any script runs.

The pages show the texts and parts of the ipywidgets form (``forms.py``): the same
instrument texts and catalogue keys, built by the same functions of
``questionnaire.py``. CSS classes are the same too (``dwp-item-<ID>``, ``dwp-role``,
``dwp-team``, ``dwp-text-<ID>``, ``dwp-next``, ``dwp-previous``, ``dwp-submit``,
``dwp-message``, ``dwp-progress-text``, ``dwp-result``, ``dwp-receipt``,
``dwp-new-respondent``, ``dwp-error``, ``dwp-counts``): tests select by them. Every text
is escaped; the page loads nothing from another server.
"""

from __future__ import annotations

import hashlib
import html
import json
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from dwp_assess.collect.questionnaire import (
    COUNT_REFRESH_SECONDS,
    FormContext,
    FormError,
    closing_questions,
    dimension_texts,
    option_pairs,
    part_entries,
)
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import LANGUAGES

STATIC = "static/"  # relative: the form also works under a reverse proxy's path
STATIC_DIR = Path(__file__).with_name("static")


def _e(text: object) -> str:
    return html.escape(str(text))


@cache
def asset(name: str) -> str:
    """The address of a static file with its content's hash (``?v=…``): browsers may keep
    it (``web.Static``), and a changed file gets a new address."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return f"{STATIC}{name}?v={digest}"


def document(title: str, lang: str, body: str, script: bool = False) -> str:
    """A whole page: the form's stylesheet, ``body`` and, for the form, its script."""
    tail = f'<script src="{_e(asset("form.js"))}"></script>' if script else ""
    return (
        f'<!DOCTYPE html><html lang="{_e(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{_e(title)}</title><link rel="stylesheet" href="{_e(asset("form.css"))}"></head>'
        f'<body><main class="dwp-form" lang="{_e(lang)}">{body}</main>{tail}</body></html>'
    )


def loading_message(lang: str) -> str:
    """Shown until the form's script has started (styled like the form, in its language)."""
    return (
        f'<p class="dwp-loading" role="status">{_e(t("form.loading", lang))}</p>'
        f'<noscript><p class="dwp-message">{_e(t("form.no_script", lang))}</p></noscript>'
    )


# -- the questionnaire -----------------------------------------------------------------


def language_link(query: str, lang: str, draft_id: str) -> str:
    """The link's own query (with its invitation token) in ``lang``, carrying the draft."""
    kept = [(k, v) for k, v in parse_qsl(query) if k not in ("lang", "draft")]
    return "?" + urlencode([*kept, ("draft", draft_id), ("lang", lang)])


def header(ctx: FormContext, draft_id: str, query: str | None = None) -> str:
    """Title, organisation and team, and the link to the other language (which carries the
    draft, so the answers so far come along; ``query``: the link's own query)."""
    lang = ctx.lang
    other = "en" if lang == "nl" else "nl"
    who = t("form.organisation", lang, name=ctx.organisation_name)
    if ctx.team_id:
        who += " · " + t("form.team_of", lang, name=ctx.team_name(ctx.team_id))
    link = ""
    if other in ctx.instrument.languages:
        href = (
            ctx.language_link(other, draft_id)
            if query is None
            else language_link(query, other, draft_id)
        )
        link = (f'<a class="dwp-language" href="{_e(href)}" lang="{other}">'
                f"{_e(t('form.language_link', lang))}</a>")  # fmt: skip
    return (
        f'<div class="dwp-header"><div class="dwp-language-box">{link}</div>'
        f"<h2>{_e(ctx.instrument.title.get(lang))}</h2><p>{_e(who)}</p></div>"
    )


def _radios(name: str, options: list[tuple[str, str]], chosen: str | None, css: str, label_id: str) -> str:  # fmt: skip
    boxes = "".join(
        f'<label><input type="radio" name="{_e(name)}" value="{_e(key)}"'
        f"{' checked' if key == chosen else ''}> {_e(label)}</label>"
        for label, key in options
    )
    return f'<div class="dwp-radios {css}" role="radiogroup" aria-labelledby="{_e(label_id)}">{boxes}</div>'  # fmt: skip


def _text(text: str, css: str = "", tag: str = "p", id_: str = "") -> str:
    attrs = (f' class="{css}"' if css else "") + (f' id="{_e(id_)}"' if id_ else "")
    return f"<{tag}{attrs}>{_e(text)}</{tag}>"


def intro_part(ctx: FormContext, state: dict) -> str:
    ins, lang = ctx.instrument, ctx.lang
    parts = [
        _text(t("form.intro_heading", lang), tag="h3"),
        _text(ins.introduction.get(lang)),
        _text(t("form.privacy_heading", lang), tag="h3"),
        _text(ins.privacy.get(lang)),
        _text(t("form.draft_note", lang)),
        _text(t("form.about_you", lang), tag="h3"),
    ]
    if ctx.needs_team and not ctx.team_id:
        chosen = state.get("team")
        options = "".join(
            f'<option value="{_e(tid)}"{" selected" if tid == chosen else ""}>{_e(name)}</option>'
            for tid, name in ctx.teams
        )
        parts += [
            _text(t("form.team_label", lang), "dwp-item-text", id_="dwp-team-label"),
            f'<div class="dwp-team"><select name="team" aria-labelledby="dwp-team-label"'
            f"{'' if chosen else ' data-empty'}>{options}</select></div>",
        ]
    role = role_field(ctx)
    if role is not None:
        choices = [(c.label.get(lang), c.code) for c in role.choices]
        parts += [
            _text(role.label.get(lang), "dwp-item-text", id_="dwp-role-label"),
            _radios("role", choices, state.get("role"), "dwp-role", "dwp-role-label"),
        ]
    return "".join(parts)


def role_field(ctx: FormContext):
    """The instrument's ``role`` question, or None when it asks none."""
    return next((f for f in ctx.instrument.respondent_fields if f.id == "role"), None)


def dimension_part(ctx: FormContext, dim, answers: dict, texts: dict) -> str:
    """A dimension's part: its texts, then each statement with its tip and the open questions
    that belong to it (``questionnaire.part_entries``)."""
    ins, lang = ctx.instrument, ctx.lang
    parts = [_text(dim.label.get(lang), tag="h3")] + [_text(text) for text in dimension_texts(ins, dim, lang)]  # fmt: skip
    for entry in part_entries(ins, dim, lang):
        if entry.heading:
            parts.append(_text(entry.label, "dwp-value", tag="h4"))
            continue
        if entry.text is not None:
            parts.append(_open_question(entry.text, entry.label, texts))
            continue
        item = entry.item
        label_id = f"dwp-label-{item.id}"
        parts.append(_text(entry.label, "dwp-item-text", id_=label_id))
        if entry.tip:
            parts.append(_text(entry.tip, f"dwp-tip dwp-tip-{item.id}"))
        options = option_pairs(ins, item.id, lang)
        parts.append(_radios(f"item:{item.id}", options, answers.get(item.id), f"dwp-item dwp-item-{item.id}", label_id))  # fmt: skip
    return "".join(parts)


def _open_question(field, label: str, texts: dict) -> str:
    """An open question's label and text box (``dwp-text-<ID>``), holding the draft's text."""
    label_id = f"dwp-label-{field.id}"
    return (
        _text(label, "dwp-item-text", id_=label_id)
        + f'<div class="dwp-text dwp-text-{_e(field.id)}"><textarea name="text:{_e(field.id)}" '
        f'rows="4" maxlength="10000" aria-labelledby="{_e(label_id)}">'
        f"{_e(texts.get(field.id, ''))}</textarea></div>"
    )


def closing_part(ctx: FormContext, texts: dict) -> str:
    lang = ctx.lang
    parts = [_text(t("form.closing_heading", lang), tag="h3"), _text(t("form.closing_intro", lang))]
    parts += [_open_question(f, f.text.get(lang), texts) for f in closing_questions(ctx.instrument)]
    return "".join(parts)


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
    contents = [intro_part(ctx, state)]
    contents += [
        dimension_part(ctx, d, state.get("answers", {}), state.get("texts", {}))
        for d in ctx.instrument.dimensions
    ]
    contents.append(closing_part(ctx, state.get("texts", {})))
    parts = "".join(
        f'<section class="dwp-page" data-page="{n}"{"" if n == page else " hidden"}>{c}</section>'
        for n, c in enumerate(contents)
    )
    config = {"query": query, "draft": draft_id, "page": page, "total": total,
              "progress": t("form.progress", lang, n="{n}", total=total),
              "saving": t("form.saving", lang), "failed": t("form.connection_failed", lang)}  # fmt: skip
    body = (
        loading_message(lang)
        + '<div class="dwp-app" hidden>'
        + header(ctx, draft_id, query)
        + f'<div class="dwp-progress"><progress max="{total}" value="{page + 1}"></progress> '
        f'<span class="dwp-progress-text">{_e(t("form.progress", lang, n=page + 1, total=total))}</span></div>'
        + f'<div class="dwp-body">{parts}</div>'
        + '<p class="dwp-message" role="alert"></p>'
        + '<div class="dwp-nav">'
        f'<button type="button" class="dwp-previous">{_e(t("form.previous", lang))}</button>'
        f'<button type="button" class="dwp-next dwp-primary">{_e(t("form.next", lang))}</button>'
        f'<button type="button" class="dwp-submit dwp-success">{_e(t("form.submit", lang))}</button>'
        "</div></div>" + config_script(config)
    )
    return document(ctx.instrument.title.get(lang), lang, body, script=True)


def config_script(config: dict) -> str:
    """The page's settings for ``form.js`` as JSON (``<`` escaped: no text can end the script)."""
    text = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script id="dwp-config" type="application/json">{text}</script>'


def result_part(result: str, lang: str, note: str = "") -> str:
    """What replaces the questions after sending: an optional note, the result, and the
    "Nieuwe invuller" button."""
    message = f'<p class="dwp-message" role="alert">{_e(note)}</p>' if note else ""
    return (
        f'{message}<div class="dwp-done">{result}</div>'
        f'<button type="button" class="dwp-new-respondent">{_e(t("form.new_respondent", lang))}</button>'
    )


def sent_page(ctx: FormContext, draft_id: str, result: str, query: str) -> str:
    """A reload of a sent form in its own browser: the receipt and result again."""
    body = (
        loading_message(ctx.lang)
        + '<div class="dwp-app" hidden>'
        + header(ctx, draft_id, query)
        + result_part(result, ctx.lang, t("form.already_sent", ctx.lang))
        + "</div>"
        + config_script({"query": query, "draft": draft_id, "sent": True})
    )
    return document(ctx.instrument.title.get(ctx.lang), ctx.lang, body, script=True)


# -- a bad link, and the facilitator's count -------------------------------------------------


def error_page(error: FormError, lang: str) -> str:
    """What is wrong with the link and what to do, in the respondent's language."""
    lang = lang if lang in LANGUAGES else "nl"
    body = (
        f'<div class="dwp-error"><h2>{_e(t("form.error_heading", lang))}</h2>'
        f"<p>{_e(error.text(lang))}</p><p>{_e(t('form.error_hint', lang))}</p></div>"
    )
    return document(t("form.error_heading", lang), lang, body)


def count_page(heading: str, table: str, lang: str, updated: str) -> str:
    """The facilitator's count: reloads itself every ``COUNT_REFRESH_SECONDS`` (no script)."""
    body = (
        f"<h2>{_e(heading)}</h2><p>{_e(t('collect.count_note', lang))}</p>"
        f'<div class="dwp-count-table">{table}</div><p>{_e(updated)}</p>'
        f'<p><a class="dwp-refresh" href="">{_e(t("collect.refresh", lang))}</a></p>'
    )
    page = document(heading, lang, body)
    refresh = f'<meta http-equiv="refresh" content="{COUNT_REFRESH_SECONDS}">'
    return page.replace("<head>", "<head>" + refresh, 1)
