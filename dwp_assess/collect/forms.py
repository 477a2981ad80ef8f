"""The questionnaire as an ipywidgets form: built from an instrument, validated, saved on submit.

``notebooks/collect.ipynb`` calls ``app()``; served by Voilà every page load gets
its own kernel and therefore its own ``QuestionnaireForm``. The logic that needs
tests lives in small functions without widgets (context from URL parameters,
validation, building the stored record, the respondent's own scores); the widget
class only wires them to buttons and radio groups.

Why the response id is made when the form starts: a double click reaches the
kernel as two clicks before a disabled button reaches the browser, and a retry
after a failed write must not store a second response. With one id per form and
an idempotent insert (``store.store_response``) every repeat is harmless.

Every text a respondent reads comes from the instrument or from the message
catalogue (keys ``form.*`` and ``collect.*``).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs

import ipywidgets as W
import pandas as pd
from IPython.display import Javascript, display
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from traitlets import TraitError

from dwp_assess import ids
from dwp_assess.analysis.scoring import score_round
from dwp_assess.collect import browser, drafts
from dwp_assess.data import store
from dwp_assess.data.formats import pseudonym
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import LANGUAGES, Instrument

SOURCE = "form"
ROUND_ENV = "DWP_COLLECT_ROUND"  # set by ``dwp-assess collect``: the round a bare link opens
COUNT_REFRESH_SECONDS = 10
QUERY_NAMES = {"round": "round_id", "organisation": "organisation_id", "org": "organisation_id",
               "team": "team_id", "lang": "lang", "view": "view", "draft": "draft_id"}  # fmt: skip

# Layout only (no texts): readable radio labels, a visible focus ring, the result chart.
CSS = """
.dwp-form {max-width: 52em; font-size: 15px;}
.dwp-form .widget-radio-box label {white-space: normal; line-height: 1.4; margin: 2px 0;}
.dwp-form .widget-radio-box input:focus-visible {outline: 3px solid #0072B2; outline-offset: 2px;}
.dwp-form button:focus-visible {outline: 3px solid #0072B2; outline-offset: 2px;}
.dwp-item-text {font-weight: 600; margin-top: 1em;}
.dwp-message {color: #A33A00; font-weight: 600;}
.dwp-progress-text {color: #444;}
.dwp-result table {border-collapse: collapse;} .dwp-result td, .dwp-result th {padding: 2px 10px;
 text-align: left; border-bottom: 1px solid #ddd;}
"""


class FormError(ValueError):
    """The form cannot be opened (unknown round, organisation, team, language).

    Carries a catalogue key so the page can show the reason in the respondent's language.
    """

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(t(key, "en", **values))

    def text(self, lang: str = "nl") -> str:
        return t(self.key, lang if lang in LANGUAGES else "nl", **self.values)


@dataclass(frozen=True)
class FormContext:
    """Everything the form needs to know besides the answers: round, instrument, who, language."""

    instrument: Instrument
    round_id: str
    organisation_id: str
    organisation_name: str
    team_id: str | None
    teams: tuple[tuple[str, str], ...]  # (id, name) of the organisation's teams
    lang: str = "nl"

    @property
    def needs_team(self) -> bool:
        """Team instruments need a team; when the link names none, the respondent chooses."""
        return self.instrument.kind == "team"

    def team_name(self, team_id: str | None) -> str | None:
        return dict(self.teams).get(team_id) if team_id else None


# -- parameters and context ----------------------------------------------------------


def parameters_from_query(query: str | None, defaults: dict) -> dict:
    """Notebook parameters overridden by the page's URL query (``?round=…&organisation=…``).

    Voilà passes the query string to the kernel as ``QUERY_STRING``; unknown names are
    ignored, empty values keep the default.
    """
    params = dict(defaults)
    for name, values in parse_qs(query or "").items():
        key = QUERY_NAMES.get(name.lower())
        if key and values and values[0].strip():
            params[key] = values[0].strip()
    return params


def resolve_context(
    engine: Engine,
    round_id: str,
    organisation_id: str | None,
    team_id: str | None = None,
    lang: str = "nl",
) -> FormContext:
    """Check the round, organisation, team and language a link names; raise ``FormError``.

    Ids that do not match ``ids.PATTERN`` are refused as unknown before any lookup."""
    if lang not in LANGUAGES:
        raise FormError("form.error.unknown_language", language=lang)
    info = store.get_round(engine, round_id, missing_ok=True) if ids.is_valid(round_id) else None
    if info is None:
        raise FormError("form.error.unknown_round", round=round_id)
    if info.closed_at is not None:
        raise FormError("form.error.round_closed", round=round_id)
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    if instrument.content_hash != info.instrument_hash:
        raise FormError("form.error.instrument_changed", round=round_id)
    if not organisation_id:
        raise FormError("form.error.missing_organisation")
    orgs = store.organisations(engine).set_index("id")
    if not ids.is_valid(organisation_id) or organisation_id not in orgs.index:
        raise FormError("form.error.unknown_organisation", organisation=organisation_id)
    name = str(orgs.loc[organisation_id, "name"])
    all_teams = store.teams(engine)
    own = all_teams[all_teams["organisation_id"] == organisation_id]
    teams = tuple(zip(own["id"], own["name"], strict=True))
    if team_id and (not ids.is_valid(team_id) or team_id not in dict(teams)):
        raise FormError("form.error.unknown_team", team=team_id, organisation=name)
    if instrument.kind == "team" and not teams:
        raise FormError("form.error.no_teams", organisation=name)
    return FormContext(instrument, round_id, organisation_id, name, team_id or None, teams, lang)


# -- answers, validation and the stored record ----------------------------------------


def option_pairs(instrument: Instrument, item_id: str, lang: str) -> list[tuple[str, str]]:
    """(label, key) per answer option of an item: scale points, then "weet ik niet"/"n.v.t."
    where the scale allows them. Keys are the value as text or the special code."""
    scale = instrument.scale_of(item_id)
    points = [(p.label.get(lang), str(p.value)) for p in scale.points]
    return points + [(s.label.get(lang), s.code) for s in scale.special]


def item_numbers(instrument: Instrument) -> dict[str, int]:
    """Item id → the question number shown on the form (1, 2, … across all parts)."""
    return {item.id: n for n, item in enumerate(instrument.items, start=1)}


def missing_items(instrument: Instrument, answers: dict, item_ids=None) -> list[str]:
    """Items (of ``item_ids``, default all) without an answer; "weet ik niet" counts as one."""
    wanted = item_ids if item_ids is not None else [i.id for i in instrument.items]
    return [i for i in wanted if not answers.get(i)]


def _numbers(instrument: Instrument, ids: list[str]) -> str:
    numbers = item_numbers(instrument)
    return ", ".join(str(numbers[i]) for i in ids)


def missing_message(
    ctx: FormContext,
    missing: list[str],
    role_missing: bool = False,
    team_missing: bool = False,
    per_part: bool = False,
) -> str:
    """One line naming everything still missing (role, team, question numbers); empty when
    nothing is. ``per_part`` groups the questions by dimension (used on submit)."""
    lang, instrument = ctx.lang, ctx.instrument
    parts = []
    if team_missing:
        parts.append(t("form.missing_team", lang))
    if role_missing:
        parts.append(t("form.missing_role", lang))
    if missing and per_part:
        for dim in instrument.dimensions:
            ids = [i for i in missing if instrument.item_by_id[i].dimension == dim.id]
            if ids:
                parts.append(
                    t(
                        "form.missing_part",
                        lang,
                        part=dim.label.get(lang),
                        numbers=_numbers(instrument, ids),
                    )  # fmt: skip
                )
    elif missing:
        parts.append(t("form.missing_items", lang, numbers=_numbers(instrument, missing)))
    if not parts:
        return ""
    hint = f" {t('form.missing_hint', lang)}" if missing else ""
    return f"{t('form.missing_intro', lang)} {'; '.join(parts)}.{hint}"


def new_response_id() -> str:
    """A fresh, unguessable response id, made once when the form starts (its 32 hex digits
    are also the id of the form's draft)."""
    return f"{SOURCE}:{uuid.uuid4().hex}"


def receipt_code(response_id: str) -> str:
    """The short code the respondent keeps: the first 8 hex digits of the id (``7F3A-91C2``).

    Researchers find the response with ``response_id LIKE 'form:7f3a91c2%'``.
    """
    digits = response_id.rsplit(":", 1)[-1][:8].upper()
    return f"{digits[:4]}-{digits[4:]}"


def build_record(
    ctx: FormContext,
    response_id: str,
    answers: dict[str, str | None],
    role: str | None,
    team_id: str | None,
    texts: dict[str, str] | None = None,
    submitted_at: datetime | None = None,
) -> store.ResponseRecord:
    """The response as the store keeps it: values as numbers, "weet ik niet"/"n.v.t." as codes,
    non-empty free texts as text answers; the respondent is a pseudonym of the response id."""
    rows = []
    for item in ctx.instrument.items:
        key = answers.get(item.id)
        if not key:
            continue
        if key in ctx.instrument.scale_of(item.id).special_codes():
            rows.append(store.AnswerRecord(item.id, code=key))
        else:
            rows.append(store.AnswerRecord(item.id, value=float(key)))
    for field in ctx.instrument.free_text:
        text = (texts or {}).get(field.id, "").strip()
        if text:
            rows.append(store.AnswerRecord(field.id, text=text[:10_000]))
    return store.ResponseRecord(
        response_id=response_id,
        round_id=ctx.round_id,
        respondent_id=pseudonym(ctx.round_id, SOURCE, response_id),
        organisation_id=ctx.organisation_id,
        team_id=team_id,
        role=role,
        source=SOURCE,
        submitted_at=submitted_at or datetime.now(UTC),
        answers=tuple(rows),
    )


def own_scores(ctx: FormContext, record: store.ResponseRecord) -> pd.DataFrame:
    """The respondent's own score and level per dimension, by the same rules as the reports.

    Columns: dimension_id, label, score, level, level_label.
    """
    answers = pd.DataFrame(
        [
            {
                "response_id": record.response_id,
                "item_id": a.item_id,
                "value": a.value,
                "code": a.code,
            }  # fmt: skip
            for a in record.answers
            if a.text is None
        ],
        columns=["response_id", "item_id", "value", "code"],
    )
    answers["value"] = answers["value"].astype(float)
    scores = score_round(answers, ctx.instrument)[["dimension_id", "score", "level"]]
    labels = {d.id: d.label.get(ctx.lang) for d in ctx.instrument.dimensions}
    level_labels = {lv.level: lv.label.get(ctx.lang) for lv in ctx.instrument.scoring.levels}
    scores.insert(1, "label", scores["dimension_id"].map(labels))
    scores["level_label"] = scores["level"].map(lambda v: level_labels.get(v) if pd.notna(v) else None)  # fmt: skip
    return scores.reset_index(drop=True)


def decimal(value: float, lang: str) -> str:
    """A score with one decimal, with a decimal comma in Dutch (3,7) and a point in English."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "nl" else text


def result_chart_svg(scores: pd.DataFrame, instrument: Instrument, lang: str) -> str:
    """One horizontal bar chart of the own scores as inline SVG (works offline, no scripts)."""
    low, high = instrument.scales[0].min, instrument.scales[0].max
    bar_w, label_w, row_h = 300, 260, 26
    height = row_h * len(scores) + 30
    parts = [
        f'<svg role="img" aria-label="{html.escape(t("form.chart_title", lang))}" '
        f'width="{label_w + bar_w + 60}" height="{height}" xmlns="http://www.w3.org/2000/svg" '
        'font-family="DejaVu Sans, Arial, sans-serif" font-size="13">'
    ]
    for n, row in enumerate(scores.itertuples()):
        y = 10 + n * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{html.escape(str(row.label))}</text>')  # fmt: skip
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="18" fill="#EEEEEE"/>')  # fmt: skip
        if pd.notna(row.score):
            width = bar_w * (row.score - low) / (high - low) if high > low else 0
            parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{width:.0f}" height="18" fill="#0072B2"/>')  # fmt: skip
            parts.append(
                f'<text x="{label_w + bar_w + 8}" y="{y + 16}">{decimal(row.score, lang)}</text>'
            )
        else:
            parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 16}">–</text>')
    parts.append("</svg>")
    return "".join(parts)


def result_html(ctx: FormContext, record: store.ResponseRecord) -> str:
    """Thanks, receipt code, own scores as a table and one chart (all text escaped)."""
    lang, instrument = ctx.lang, ctx.instrument
    scores = own_scores(ctx, record)
    rows = "".join(
        f"<tr><td>{html.escape(r.label)}</td>"
        + (
            f"<td>{decimal(r.score, lang)}</td><td>{r.level} – {html.escape(str(r.level_label))}</td>"
            if pd.notna(r.score)
            else f'<td colspan="2">{html.escape(t("form.result_no_score", lang))}</td>'
        )
        + "</tr>"
        for r in scores.itertuples()
    )
    scale = instrument.scales[0]
    return (
        f'<div class="dwp-result"><p><strong>{html.escape(t("form.thanks", lang))}</strong></p>'
        f'<p class="dwp-receipt">{html.escape(t("form.receipt", lang, code=receipt_code(record.response_id)))}</p>'
        f"<p>{html.escape(t('form.receipt_note', lang))}</p>"
        f"<h3>{html.escape(t('form.result_heading', lang))}</h3>"
        f"<p>{html.escape(t('form.result_intro', lang, min=scale.min, max=scale.max))}</p>"
        f"<table><tr><th>{t('form.result_part', lang)}</th><th>{t('form.result_score', lang)}</th>"
        f"<th>{t('form.result_level', lang)}</th></tr>{rows}</table>"
        f"<h4>{html.escape(t('form.chart_title', lang))}</h4>"
        f"{result_chart_svg(scores, instrument, lang)}</div>"
    )


# -- the widget ---------------------------------------------------------------------------


def _html(text: str, css_class: str | None = None, tag: str = "p") -> W.HTML:
    widget = W.HTML(f"<{tag}>{html.escape(text)}</{tag}>")
    if css_class:
        widget.add_class(css_class)
    return widget


def _radio(options: list[tuple[str, str]], css_classes: list[str]) -> W.RadioButtons:
    widget = W.RadioButtons(options=options, value=None, layout=W.Layout(width="auto"))
    for css in css_classes:
        widget.add_class(css)
    return widget


class QuestionnaireForm:
    """The form of one respondent: an introduction page (what for, what is stored, who sees
    what, team and role), one page per dimension or competence, a closing page with the open
    questions, then the own result and a receipt code.

    ``writer`` stores the record (default ``store.store_response``); tests pass a failing one.
    CSS classes give tests stable selectors: ``dwp-item-<ID>``, ``dwp-role``, ``dwp-team``,
    ``dwp-next``, ``dwp-previous``, ``dwp-submit``, ``dwp-message``, ``dwp-progress-text``,
    ``dwp-result``, ``dwp-receipt``, ``dwp-new-respondent``.

    ``browser_key`` is the key of the browser that opened the page (``browser.py``); a
    draft (``draft_id``) is resumed only when that key made it. Without a valid key the
    form makes a new one, which the page's script gives to the browser.
    """

    def __init__(
        self,
        engine: Engine,
        ctx: FormContext,
        writer: Callable[[Engine, store.ResponseRecord], str] = store.store_response,
        draft_id: str | None = None,
        browser_key: str | None = None,
    ):
        self.engine, self.ctx, self.writer = engine, ctx, writer
        self.browser_key = browser_key if browser.is_key(browser_key) else browser.new_key()
        draft = drafts.load_draft(ctx.round_id, draft_id, self.browser_key)
        self.response_id = f"{SOURCE}:{draft_id}" if draft is not None else new_response_id()
        self.draft_id = self.response_id.split(":", 1)[1]
        self.record: store.ResponseRecord | None = None
        self.saved = False
        self._restoring = True  # no draft is written while the form is built or restored
        lang, ins = ctx.lang, ctx.instrument
        self.radios = {
            item.id: _radio(option_pairs(ins, item.id, lang), ["dwp-item", f"dwp-item-{item.id}"])
            for item in ins.items
        }
        role_field = next((f for f in ins.respondent_fields if f.id == "role"), None)
        self.role = (
            _radio([(c.label.get(lang), c.code) for c in role_field.choices], ["dwp-role"])
            if role_field
            else None
        )
        self.role_required = bool(role_field and role_field.required)
        self.team = None
        if ctx.needs_team and not ctx.team_id:
            self.team = W.Dropdown(options=[(name, tid) for tid, name in ctx.teams], value=None)
            self.team.add_class("dwp-team")
        self.texts = {
            f.id: W.Textarea(layout=W.Layout(width="100%", height="5em"), continuous_update=False)
            for f in ins.free_text
        }
        for field_id, widget in self.texts.items():
            widget.add_class(f"dwp-text-{field_id}")
        self.pages = [self._intro_page(), *map(self._dimension_page, ins.dimensions)]
        self.pages.append(self._closing_page())
        self.page_items = [[], *([i.id for i in ins.items_of(d.id)] for d in ins.dimensions), []]
        self.page = 0
        self.progress = W.IntProgress(value=1, min=0, max=len(self.pages))
        self.progress_text = _html("", "dwp-progress-text")
        self.message = W.HTML("")
        self.message.add_class("dwp-message")
        self.previous = self._button("form.previous", "dwp-previous", self._on_previous)
        self.next = self._button("form.next", "dwp-next", self._on_next, style="primary")
        self.submit_button = self._button("form.submit", "dwp-submit", self._on_submit, style="success")  # fmt: skip
        self.body = W.VBox()
        self.nav = W.HBox([self.previous, self.next, self.submit_button])
        self.script = W.Output()  # the page's scripts (browser key, address): shown by app()
        self.widget = W.VBox(
            [
                W.HTML(f"<style>{CSS}</style>"),
                self._header(),
                W.HBox([self.progress, self.progress_text]),
                self.body,
                self.message,
                self.nav,
            ]  # fmt: skip
        )
        self.widget.add_class("dwp-form")
        self.show_page(0)
        self._resume(draft)
        self._restoring = False
        for widget in [*self.radios.values(), *self.texts.values(), self.role, self.team]:
            if widget is not None:
                widget.observe(self.save_draft, names="value")

    # -- building ----------------------------------------------------------------------

    def _button(self, key: str, css: str, handler, style: str = "") -> W.Button:
        button = W.Button(description=t(key, self.ctx.lang), button_style=style)
        button.add_class(css)
        button.on_click(lambda _b: handler())
        return button

    def _header(self) -> W.HTML:
        ctx, lang = self.ctx, self.ctx.lang
        other = "en" if lang == "nl" else "nl"
        query = f"?round={ctx.round_id}&organisation={ctx.organisation_id}"
        query += f"&team={ctx.team_id}" if ctx.team_id else ""
        query += f"&draft={self.draft_id}"  # the answers so far come along to the other language
        who = t("form.organisation", lang, name=ctx.organisation_name)
        if ctx.team_id:
            who += " · " + t("form.team_of", lang, name=ctx.team_name(ctx.team_id))
        link = ""
        if other in ctx.instrument.languages:
            link = (f'<a class="dwp-language" href="{html.escape(query)}&lang={other}" '
                    f'lang="{other}">{html.escape(t("form.language_link", lang))}</a>')  # fmt: skip
        return W.HTML(
            f'<div lang="{lang}"><div style="float:right">{link}</div>'
            f"<h2>{html.escape(ctx.instrument.title.get(lang))}</h2><p>{html.escape(who)}</p></div>"
        )

    def _intro_page(self) -> W.VBox:
        ins, lang = self.ctx.instrument, self.ctx.lang
        children = [
            _html(t("form.intro_heading", lang), tag="h3"),
            _html(ins.introduction.get(lang)),
            _html(t("form.privacy_heading", lang), tag="h3"),
            _html(ins.privacy.get(lang)),
            _html(t("form.draft_note", lang)),
            _html(t("form.about_you", lang), tag="h3"),
        ]
        if self.team is not None:
            children += [_html(t("form.team_label", lang), "dwp-item-text"), self.team]
        if self.role is not None:
            role_field = next(f for f in ins.respondent_fields if f.id == "role")
            children += [_html(role_field.label.get(lang), "dwp-item-text"), self.role]
        return W.VBox(children)

    def _dimension_page(self, dim) -> W.VBox:
        ins, lang = self.ctx.instrument, self.ctx.lang
        numbers = item_numbers(ins)
        items = ins.items_of(dim.id)
        children = [_html(dim.label.get(lang), tag="h3")]
        if dim.description:
            children.append(_html(dim.description.get(lang)))
        children.append(_html(t("form.page_items", lang)))
        special = ins.scale_of(items[0].id).special
        if special:
            options = f'" {t("form.or", lang)} "'.join(s.label.get(lang) for s in special)
            children.append(_html(t("form.page_special", lang, options=options)))
        for item in items:
            label = f"{t('form.item_number', lang, n=numbers[item.id])}. {item.text.get(lang)}"
            children += [_html(label, "dwp-item-text"), self.radios[item.id]]
        return W.VBox(children)

    def _closing_page(self) -> W.VBox:
        lang = self.ctx.lang
        children = [_html(t("form.closing_heading", lang), tag="h3"),
                    _html(t("form.closing_intro", lang))]  # fmt: skip
        for field in self.ctx.instrument.free_text:
            children += [_html(field.text.get(lang), "dwp-item-text"), self.texts[field.id]]
        return W.VBox(children)

    # -- state -----------------------------------------------------------------------------

    def answers(self) -> dict[str, str | None]:
        """Item id → chosen option key (None when not answered)."""
        return {item_id: radio.value for item_id, radio in self.radios.items()}

    def team_id(self) -> str | None:
        return self.ctx.team_id or (self.team.value if self.team is not None else None)

    def _page_problems(self, index: int) -> str:
        """What is missing on page ``index`` (empty when complete)."""
        if index == 0:
            team_missing = self.ctx.needs_team and not self.team_id()
            role_missing = self.role_required and not self.role.value
            return missing_message(self.ctx, [], role_missing, team_missing)
        ids = self.page_items[index]
        return missing_message(self.ctx, missing_items(self.ctx.instrument, self.answers(), ids))

    def problems(self) -> str:
        """Everything still missing in the whole form, grouped per part (empty when complete)."""
        return missing_message(
            self.ctx,
            missing_items(self.ctx.instrument, self.answers()),
            self.role_required and not self.role.value,
            self.ctx.needs_team and not self.team_id(),
            per_part=True,
        )

    # -- drafts: a reload gets the answers back ---------------------------------------------

    def state(self) -> dict:
        """Everything filled in so far, and the page, as the draft keeps it."""
        return {
            "answers": {k: v for k, v in self.answers().items() if v},
            "role": self.role.value if self.role is not None else None,
            "team": self.team.value if self.team is not None else None,
            "texts": {k: w.value for k, w in self.texts.items() if w.value},
            "page": self.page,
        }

    def save_draft(self, _change=None) -> None:
        """Keep the state as a draft (on every change; a draft that cannot be written only
        costs the respondent the reload protection, so the form goes on)."""
        if self._restoring or self.saved:
            return
        with contextlib.suppress(OSError):
            drafts.save_draft(self.ctx.round_id, self.draft_id, self.browser_key, self.state())

    def restore(self, state: dict) -> None:
        """Put a draft's answers back; values the form no longer offers are left empty."""
        chosen = [(self.radios.get(k), v) for k, v in state.get("answers", {}).items()]
        chosen += [(self.role, state.get("role")), (self.team, state.get("team"))]
        chosen += [(self.texts.get(k), v) for k, v in state.get("texts", {}).items()]
        for widget, value in chosen:
            if widget is not None and value is not None:
                with contextlib.suppress(TraitError, ValueError):
                    widget.value = value
        page = state.get("page", 0)
        self.show_page(page if isinstance(page, int) and 0 <= page < len(self.pages) else 0)

    def _resume(self, draft: dict | None) -> None:
        """After a reload in the same browser: the result when this form was sent already,
        else its draft (``draft`` is None for a new form)."""
        if draft is None:
            return
        try:
            sent = store.load_response(self.engine, self.response_id)
        except SQLAlchemyError:
            sent = None
        mine = sent is not None and (sent.round_id, sent.organisation_id) == (self.ctx.round_id, self.ctx.organisation_id)  # fmt: skip
        if mine:
            self.saved, self.record = True, sent
            self._show_result(sent, t("form.already_sent", self.ctx.lang))
        elif "state" in draft:
            self.restore(draft["state"])

    # -- navigation and submit ------------------------------------------------------------

    def show_page(self, index: int) -> None:
        """Show page ``index``. The page itself changes last: when it appears, the progress
        text and buttons already match it and the draft already holds it (a reload at
        that moment opens the same page)."""
        self.page = index
        self.progress.value = index + 1
        self.progress_text.value = f"<span>{html.escape(t('form.progress', self.ctx.lang, n=index + 1, total=len(self.pages)))}</span>"  # fmt: skip
        last = index == len(self.pages) - 1
        self.previous.disabled = index == 0
        self.next.layout.display = "none" if last else None
        self.submit_button.layout.display = None if last else "none"
        self.save_draft()
        self.body.children = [self.pages[index]]

    def _on_next(self) -> None:
        problem = self._page_problems(self.page)
        self.message.value = html.escape(problem)
        if not problem:
            self.show_page(min(self.page + 1, len(self.pages) - 1))

    def _on_previous(self) -> None:
        self.message.value = ""
        self.show_page(max(self.page - 1, 0))

    def _on_submit(self) -> None:
        self.submit()

    def submit(self) -> str | None:
        """Validate and store; returns the store's outcome, or None when nothing was written.

        Repeated calls after success do nothing. A failed write shows why, keeps every answer
        on screen and leaves the button usable: the retry reuses the same response id.
        """
        if self.saved:
            return None
        problem = self.problems()
        if problem:
            self.message.value = html.escape(problem)
            return None
        lang = self.ctx.lang
        self.submit_button.disabled = True
        self.message.value = html.escape(t("form.saving", lang))
        texts = {k: w.value for k, w in self.texts.items()}
        role = self.role.value if self.role is not None else None
        record = build_record(self.ctx, self.response_id, self.answers(), role, self.team_id(), texts)  # fmt: skip
        try:
            outcome = self.writer(self.engine, record)
        except Exception as exc:  # noqa: BLE001 - any failed write is shown, answers stay
            self.message.value = html.escape(t("form.save_failed", lang, error=type(exc).__name__))
            self.submit_button.disabled = False
            return None
        if outcome == store.CONFLICT:
            self.message.value = html.escape(t("form.save_conflict", lang))
            return outcome
        self.saved, self.record = True, record
        with contextlib.suppress(OSError):
            drafts.mark_sent(self.ctx.round_id, self.draft_id, self.browser_key)
        self._show_result(record)
        return outcome

    def _show_result(self, record: store.ResponseRecord, note: str = "") -> None:
        """Replace the form by the thanks, receipt code and own result."""
        self.message.value = html.escape(note)
        result = W.HTML(result_html(self.ctx, record))
        result.add_class("dwp-result")
        self.progress.layout.display = "none"
        self.progress_text.value = ""
        self.nav.layout.display = "none"
        again = self._button("form.new_respondent", "dwp-new-respondent", self.new_respondent)
        self.body.children = [result, again]

    def new_respondent(self) -> None:
        """The "Nieuwe invuller" button: forget everything of this respondent. The browser
        gets a new key (so no draft or receipt of this form opens again in it) and a fresh form."""
        self.browser_key = browser.new_key()
        self._run_script(browser.forget_script(self.browser_key))

    def keep_address(self) -> None:
        """Give the browser its key and put ``draft=<id>`` in the page's address (without
        reloading), so that a reload in this browser opens this form's draft."""
        self._run_script(browser.address_script(self.browser_key, self.draft_id))

    def _run_script(self, script: str) -> None:
        """Run a script in the page. Only under Voilà: in JupyterLab the page is the lab's."""
        if os.environ.get("SERVER_SOFTWARE", "").startswith("voila"):
            self.script.clear_output()
            with self.script:
                display(Javascript(script))


# -- facilitator: live count per team ------------------------------------------------------


def count_table(engine: Engine, round_id: str, organisation_id: str | None, lang: str) -> str:
    """HTML table of completed questionnaires per team (or organisation): counts only."""
    counts = store.response_counts_by_team(engine, round_id, organisation_id)
    if counts.empty:
        return f"<p>{html.escape(t('collect.count_none', lang))}</p>"
    teams = store.teams(engine).set_index("id")
    orgs = store.organisations(engine).set_index("id")["name"]
    head = (f"<tr><th>{t('collect.count_organisation', lang)}</th><th>{t('collect.count_team', lang)}</th>"
            f"<th>{t('collect.count_responses', lang)}</th><th>{t('collect.count_invited', lang)}</th></tr>")  # fmt: skip
    rows = []
    for r in counts.itertuples():
        team = teams.loc[r.team_id] if r.team_id in teams.index else None
        invited = team["invited"] if team is not None and pd.notna(team["invited"]) else None
        rows.append(
            f"<tr><td>{html.escape(str(orgs.get(r.organisation_id, r.organisation_id)))}</td>"
            f"<td>{html.escape(str(team['name'])) if team is not None else '–'}</td>"
            f'<td class="dwp-count" data-team="{html.escape(str(r.team_id or ""))}">{int(r.responses)}</td>'
            f"<td>{int(invited) if invited is not None else '–'}</td></tr>"
        )
    return f'<table class="dwp-counts">{head}{"".join(rows)}</table>'


class ResponseCounter:
    """The facilitator's view: a live count of responses per team, refreshed every few seconds
    and on request. It never shows answers."""

    def __init__(self, engine: Engine, round_id: str, organisation_id: str | None, lang: str):
        self.engine, self.round_id, self.organisation_id, self.lang = engine, round_id, organisation_id, lang  # fmt: skip
        self.table = W.HTML()
        self.table.add_class("dwp-count-table")
        self.updated = W.HTML()
        refresh = W.Button(description=t("collect.refresh", lang))
        refresh.add_class("dwp-refresh")
        refresh.on_click(lambda _b: self.refresh())
        self.widget = W.VBox(
            [
                W.HTML(
                    f"<style>{CSS}</style><h2>{html.escape(t('collect.count_heading', lang, round=round_id))}</h2>"
                    f"<p>{html.escape(t('collect.count_note', lang))}</p>"
                ),  # fmt: skip
                self.table,
                self.updated,
                refresh,
            ]
        )
        self.widget.add_class("dwp-form")
        self.refresh()

    def refresh(self) -> None:
        self.table.value = count_table(self.engine, self.round_id, self.organisation_id, self.lang)
        now = datetime.now().strftime("%H:%M:%S")
        self.updated.value = html.escape(
            t("collect.count_updated", self.lang, time=now, seconds=COUNT_REFRESH_SECONDS)
        )

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(COUNT_REFRESH_SECONDS)
            self.refresh()

    def start(self) -> None:
        """Refresh periodically on the kernel's event loop (Voilà and JupyterLab run one)."""
        try:
            self._task = asyncio.get_running_loop().create_task(self._loop())
        except RuntimeError:  # no running loop (plain Python): refresh by button only
            self._task = None


# -- the notebook's entry point -----------------------------------------------------------


def error_widget(error: FormError, lang: str) -> W.HTML:
    """The page shown for a bad link: what is wrong and what to do, in the respondent's language."""
    lang = lang if lang in LANGUAGES else "nl"
    widget = W.HTML(
        f"<h2>{html.escape(t('form.error_heading', lang))}</h2><p>{html.escape(error.text(lang))}</p>"
        f"<p>{html.escape(t('form.error_hint', lang))}</p>"
    )
    widget.add_class("dwp-error")
    return widget


def app(
    round_id: str,
    organisation_id: str | None,
    team_id: str | None = None,
    lang: str = "nl",
    view: str = "form",
    database_url: str | None = None,
    query: str | None = None,
    cookies: str | None = None,
) -> W.Widget:
    """The widget for one page load: the form, or the facilitator's count (``view=count``).

    ``query`` (default: Voilà's ``QUERY_STRING``) overrides the notebook's parameters, and
    ``DWP_COLLECT_ROUND`` (set by ``dwp-assess collect``) the default round. ``cookies``
    (default: the request's ``Cookie`` header, ``HTTP_COOKIE``) holds the browser key. A
    bad link or an unreachable store gives a page that says so, never a traceback.
    """
    round_id = os.environ.get(ROUND_ENV) or round_id
    defaults = dict(round_id=round_id, organisation_id=organisation_id, team_id=team_id, lang=lang, view=view)  # fmt: skip
    p = parameters_from_query(query if query is not None else os.environ.get("QUERY_STRING"), defaults)  # fmt: skip
    try:
        engine = store.connect(database_url)
    except store.StoreError:
        return error_widget(FormError("form.error.store"), p["lang"])
    try:
        if not p["round_id"]:
            raise FormError("form.error.missing_round")
        if p["view"] == "count":
            if p["lang"] not in LANGUAGES:
                raise FormError("form.error.unknown_language", language=p["lang"])
            if store.get_round(engine, p["round_id"], missing_ok=True) is None:
                raise FormError("form.error.unknown_round", round=p["round_id"])
            org = p["organisation_id"]
            if org and org not in set(store.organisations(engine)["id"]):
                raise FormError("form.error.unknown_organisation", organisation=org)
            counter = ResponseCounter(engine, p["round_id"], p["organisation_id"], p["lang"])
            counter.start()
            return counter.widget
        ctx = resolve_context(engine, p["round_id"], p["organisation_id"], p["team_id"], p["lang"])
    except FormError as exc:
        return error_widget(exc, p["lang"])
    cookies = cookies if cookies is not None else os.environ.get("HTTP_COOKIE")
    key = browser.key_from_cookies(cookies)
    form = QuestionnaireForm(engine, ctx, draft_id=p.get("draft_id"), browser_key=key)
    form.keep_address()
    return W.VBox([form.widget, form.script])
