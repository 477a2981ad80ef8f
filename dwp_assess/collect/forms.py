"""The questionnaire as an ipywidgets form, for ``notebooks/collect.ipynb`` inside Jupyter.

``dwp-assess collect`` serves the same questionnaire without a kernel per respondent
(``web.py``); this widget form is for the notebook (JupyterLab, or ``voila`` on one
laptop). Both use the widget-free logic of ``questionnaire.py`` (context from a link,
validation, the stored record, the own scores, the count) and the templates of
``rendering.py`` (the result, the count table; the widgets' own pieces of HTML are in
``templates/widgets.html.j2``), so both show the same texts, pages and result and store the
same record; the widget class only wires that logic to buttons and radio groups. The names
of ``questionnaire.py`` and ``rendering.py`` that the notebook uses are available here too.

Every text a respondent reads comes from the instrument or from the message
catalogue (keys ``form.*`` and ``collect.*``), escaped by the templates.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from datetime import datetime

import ipywidgets as W
from IPython.display import Javascript, display
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from traitlets import TraitError

from dwp_assess import project
from dwp_assess.collect import browser, collaboration_member, drafts
from dwp_assess.collect.page import error_values, header_values
from dwp_assess.collect.questionnaire import (
    COUNT_REFRESH_SECONDS,
    QUERY_NAMES,
    ROUND_ENV,
    SOURCE,
    FormContext,
    FormError,
    build_record,
    closing_questions,
    count_heading,
    dimension_texts,
    item_numbers,
    missing_items,
    missing_message,
    new_response_id,
    option_pairs,
    own_scores,
    parameters_from_query,
    part_entries,
    receipt_code,
    resolve_context,
)
from dwp_assess.collect.rendering import (
    count_table,
    macro,
    member_choice_html,
    result_chart_svg,
    result_html,
)
from dwp_assess.data import store
from dwp_assess.instruments.messages import t
from dwp_assess.locale import LANGUAGES, known_language

__all__ = [
    "COUNT_REFRESH_SECONDS",
    "QUERY_NAMES",
    "ROUND_ENV",
    "SOURCE",
    "FormContext",
    "FormError",
    "QuestionnaireForm",
    "ResponseCounter",
    "app",
    "build_record",
    "count_table",
    "error_widget",
    "item_numbers",
    "missing_items",
    "missing_message",
    "new_response_id",
    "option_pairs",
    "own_scores",
    "parameters_from_query",
    "receipt_code",
    "resolve_context",
    "result_chart_svg",
    "result_html",
]


def _piece(name: str, *args) -> str:
    """The widget form's piece ``name`` of ``templates/widgets.html.j2`` (escaped HTML)."""
    return str(macro("widgets.html.j2", name)(*args))


# -- the widget ---------------------------------------------------------------------------


def _html(text: str, css_class: str | None = None, tag: str = "p") -> W.HTML:
    widget = W.HTML(_piece("element", tag, text))
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
        self.submit_button = self._button(
            "form.submit", "dwp-submit", self._on_submit, style="success"
        )
        self.body = W.VBox()
        self.nav = W.HBox([self.previous, self.next, self.submit_button])
        self.script = W.Output()  # the page's scripts (browser key, address): shown by app()
        self.widget = W.VBox(
            [
                W.HTML(_piece("style")),
                self._header(),
                W.HBox([self.progress, self.progress_text]),
                self.body,
                self.message,
                self.nav,
            ]
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
        return W.HTML(_piece("header", header_values(self.ctx, self.draft_id)))

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
        children = [_html(dim.label.get(lang), tag="h3")] + [
            _html(text) for text in dimension_texts(ins, dim, lang)
        ]
        for entry in part_entries(ins, dim, lang):
            if entry.heading:
                children.append(_html(entry.label, "dwp-value", tag="h4"))
                continue
            children.append(_html(entry.label, "dwp-item-text"))
            if entry.text is not None:
                children.append(self.texts[entry.text.id])
                continue
            if entry.tip:
                tip = _html(entry.tip, "dwp-tip")
                tip.add_class(f"dwp-tip-{entry.item.id}")
                children.append(tip)
            children.append(self.radios[entry.item.id])
        return W.VBox(children)

    def _closing_page(self) -> W.VBox:
        lang = self.ctx.lang
        children = [
            _html(t("form.closing_heading", lang), tag="h3"),
            _html(t("form.closing_intro", lang)),
        ]
        for field in closing_questions(self.ctx.instrument):
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
        mine = sent is not None and (sent.round_id, sent.organisation_id) == (
            self.ctx.round_id,
            self.ctx.organisation_id,
        )
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
        self.progress_text.value = _piece(
            "progress", t("form.progress", self.ctx.lang, n=index + 1, total=len(self.pages))
        )
        last = index == len(self.pages) - 1
        self.previous.disabled = index == 0
        self.next.layout.display = "none" if last else None
        self.submit_button.layout.display = None if last else "none"
        self.save_draft()
        self.body.children = [self.pages[index]]

    def _on_next(self) -> None:
        problem = self._page_problems(self.page)
        self.message.value = _piece("text", problem)
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
            self.message.value = _piece("text", problem)
            return None
        lang = self.ctx.lang
        self.submit_button.disabled = True
        self.message.value = _piece("text", t("form.saving", lang))
        texts = {k: w.value for k, w in self.texts.items()}
        role = self.role.value if self.role is not None else None
        record = build_record(
            self.ctx, self.response_id, self.answers(), role, self.team_id(), texts
        )
        try:
            outcome = self.writer(self.engine, record)
        except Exception as exc:  # noqa: BLE001 - any failed write is shown, answers stay
            self.message.value = _piece(
                "text", t("form.save_failed", lang, error=type(exc).__name__)
            )
            self.submit_button.disabled = False
            return None
        if outcome == store.CONFLICT:
            self.message.value = _piece("text", t("form.save_conflict", lang))
            return outcome
        self.saved, self.record = True, record
        with contextlib.suppress(OSError):
            drafts.mark_sent(self.ctx.round_id, self.draft_id, self.browser_key)
        self._show_result(record)
        return outcome

    def _show_result(self, record: store.ResponseRecord, note: str = "") -> None:
        """Replace the form by the thanks, receipt code and own result."""
        self.message.value = _piece("text", note)
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


class ResponseCounter:
    """The facilitator's view: a live count of responses per team, refreshed every few seconds
    and on request. It never shows answers."""

    def __init__(self, engine: Engine, round_id: str, organisation_id: str | None, lang: str):
        self.engine, self.round_id, self.organisation_id, self.lang = (
            engine,
            round_id,
            organisation_id,
            lang,
        )
        self.table = W.HTML()
        self.table.add_class("dwp-count-table")
        self.updated = W.HTML()
        refresh = W.Button(description=t("collect.refresh", lang))
        refresh.add_class("dwp-refresh")
        refresh.on_click(lambda _b: self.refresh())
        self.widget = W.VBox(
            [
                W.HTML(
                    _piece(
                        "count_heading",
                        count_heading(engine, round_id, organisation_id, lang),
                        t("collect.count_note", lang),
                    )
                ),
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
        self.updated.value = _piece(
            "text", t("collect.count_updated", self.lang, time=now, seconds=COUNT_REFRESH_SECONDS)
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
    lang = known_language(lang)
    widget = W.HTML(_piece("error_text", error_values(error, lang)))
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
    collaboration_id: str | None = None,
) -> W.Widget:
    """The widget for one page load: the form, or the facilitator's count (``view=count``).

    ``query`` (default: Voilà's ``QUERY_STRING``) overrides the notebook's parameters, and
    ``DWP_COLLECT_ROUND`` (set by ``dwp-assess collect``) the default round. ``cookies``
    (default: the request's ``Cookie`` header, ``HTTP_COOKIE``) holds the browser key. A
    bad link or an unreachable store gives a page that says so, never a traceback.
    """
    project.from_environment()  # the project `dwp-assess collect` handed this page (its own instruments)
    round_id = os.environ.get(ROUND_ENV) or round_id
    defaults = dict(
        round_id=round_id,
        organisation_id=organisation_id,
        team_id=team_id,
        lang=lang,
        view=view,
        collaboration_id=collaboration_id,
    )
    p = parameters_from_query(
        query if query is not None else os.environ.get("QUERY_STRING"), defaults
    )
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
        ctx = resolve_context(
            engine,
            p["round_id"],
            p["organisation_id"],
            p["team_id"],
            p["lang"],
            p["collaboration_id"],
        )
    except (
        collaboration_member.ChooseMember
    ) as choice:  # a collaboration's link: choose your organisation
        return W.HTML(
            member_choice_html(
                choice, collaboration_member.link_query(p), known_language(p["lang"])
            )
        )
    except FormError as exc:
        return error_widget(exc, p["lang"])
    cookies = cookies if cookies is not None else os.environ.get("HTTP_COOKIE")
    key = browser.key_from_cookies(cookies)
    form = QuestionnaireForm(engine, ctx, draft_id=p.get("draft_id"), browser_key=key)
    form.keep_address()
    return W.VBox([form.widget, form.script])
