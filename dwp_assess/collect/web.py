"""The form server: the questionnaire as web pages, one small process for every respondent.

Why not a kernel per respondent (Voilà, ``forms.py``): a page load there starts a Python
kernel (about 2.5 CPU-seconds and 100 MiB each), so on two cores 50 people opening the
link within a minute wait far beyond the 5-second target (``docs/collect.md``,
``benchmarks/bench_form.py``). Here a page load is a few database lookups and one HTML
document of about 30 kB; a respondent's state lives in the browser and in the draft file,
never in a process of its own. The same functions build the same form
(``questionnaire.py``, ``page.py``), and the same store and draft rules hold:

- ``GET /?round=…&organisation=…[&team=…][&lang=…][&draft=…]``: the questionnaire (or,
  with ``view=count``, the facilitator's count; a bad link: a page saying what is wrong);
  a browser without a key gets one in the cookie ``dwp_form_key`` (``browser.py``); a
  ``draft=`` of this browser's key reopens its draft or, once sent, its receipt;
- ``POST /api/draft``: keep the state (every change);
- ``POST /api/check``: what is still missing on a part (Volgende);
- ``POST /api/submit``: validate and store once (``store.store_response`` is idempotent on
  the response id), then the receipt and own result;
- ``GET /new?…``: "Nieuwe invuller": a new browser key, then a fresh form.

The API takes JSON only (``Content-Type: application/json``: a page of another site cannot
send that without the server's consent) and the cookie is ``SameSite=Lax``. Every id is
checked where it enters (``questionnaire.resolve_context``, ``drafts.is_draft_id``) and
the state a browser sends is reduced to the instrument's items, options and fields
(``questionnaire.clean_state``) before it is kept.

Run by ``dwp-assess collect`` (``server.py``) as ``python -m dwp_assess.collect.web
--port P``; the store, the default round and the data folder come from the environment
(``DWP_DATABASE_URL``, ``DWP_COLLECT_ROUND``, ``DWP_DATA_DIR``, ``DWP_PROJECT``).
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import tornado.ioloop
import tornado.web
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from dwp_assess.collect import browser, collaboration, drafts, page
from dwp_assess.collect import questionnaire as q
from dwp_assess.data import store
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import LANGUAGES

STATIC_DIR = Path(__file__).with_name("static")
HEALTH_PATH = "/static/form.css"  # what ``server.wait_until_ready`` asks for
MAX_BODY_BYTES = 256 * 1024  # a whole form with every open answer at its 10,000 characters


def link_parameters(query: str) -> dict:
    """The link's parameters over the defaults (the round of ``dwp-assess collect``)."""
    defaults = {"round_id": os.environ.get(q.ROUND_ENV), "organisation_id": None,
                "team_id": None, "lang": "nl", "view": "form", "collaboration_id": None}  # fmt: skip
    return q.parameters_from_query(query, defaults)


def without_draft(query: str) -> str:
    """The link's query without ``draft=`` (what the page sends back, and "Nieuwe invuller" opens)."""
    return urlencode([(k, v) for k, v in parse_qsl(query) if k != "draft"])


class Handler(tornado.web.RequestHandler):
    """Shared parts: the store, the browser key, the link's context."""

    def initialize(self, engine: Engine | None) -> None:
        self.engine = engine

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")

    def browser_key(self) -> str | None:
        return browser.key_from_cookies(self.request.headers.get("Cookie"))

    def give_key(self, key: str) -> None:
        """Store ``key`` in the browser (30 days; ``Secure`` behind HTTPS)."""
        https = self.request.protocol == "https" or self.request.headers.get("X-Forwarded-Proto") == "https"  # fmt: skip
        self.set_cookie(browser.COOKIE, key, path="/", max_age=browser.COOKIE_MAX_AGE_SECONDS,
                        samesite="Lax", secure=https)  # fmt: skip

    def context(self, params: dict) -> q.FormContext:
        """The link's round, organisation, team and language, checked (``FormError``)."""
        if self.engine is None:
            raise q.FormError("form.error.store")
        if not params["round_id"]:
            raise q.FormError("form.error.missing_round")
        return q.resolve_context(self.engine, params["round_id"], params["organisation_id"],
                                 params["team_id"], params["lang"], params["collaboration_id"])  # fmt: skip


class FormPage(Handler):
    """``GET /``: the questionnaire, the count page or a page naming what is wrong."""

    def get(self) -> None:
        params = link_parameters(self.request.query)
        lang = params["lang"] if params["lang"] in LANGUAGES else "nl"
        try:
            if params["view"] == "count":
                self.finish(self.count_page(params))
                return
            ctx = self.context(params)
        except (
            collaboration.ChooseMember
        ) as choice:  # a collaboration's link: choose your organisation
            body = collaboration.choice_html(choice, collaboration.link_query(params), lang)
            self.finish(page.document(t("form.collaboration.choose_heading", lang), lang, body))
            return
        except q.FormError as exc:
            self.finish(page.error_page(exc, lang))
            return
        except SQLAlchemyError:
            self.finish(page.error_page(q.FormError("form.error.store"), lang))
            return
        key = self.browser_key()
        if key is None:
            key = browser.new_key()
            self.give_key(key)
        self.finish(self.questionnaire(ctx, params.get("draft_id"), key))

    def questionnaire(self, ctx: q.FormContext, draft_id: str | None, key: str) -> str:
        """A new form, or this browser's draft of ``draft_id`` (its receipt once sent)."""
        query = without_draft(self.request.query)
        draft = drafts.load_draft(ctx.round_id, draft_id, key)
        if draft is None:
            return page.form_page(ctx, q.new_response_id().split(":", 1)[1], {}, query)
        sent = store.load_response(self.engine, f"{q.SOURCE}:{draft_id}")
        if sent is not None and (sent.round_id, sent.organisation_id) == (ctx.round_id, ctx.organisation_id):  # fmt: skip
            return page.sent_page(ctx, draft_id, q.result_html(ctx, sent), query)
        return page.form_page(ctx, draft_id, draft.get("state", {}), query)

    def count_page(self, params: dict) -> str:
        """The facilitator's count of the round (per team of the organisation)."""
        lang, round_id, org = params["lang"], params["round_id"], params["organisation_id"]
        if lang not in LANGUAGES:
            raise q.FormError("form.error.unknown_language", language=lang)
        if self.engine is None:
            raise q.FormError("form.error.store")
        if not round_id or store.get_round(self.engine, round_id, missing_ok=True) is None:
            raise q.FormError("form.error.unknown_round", round=round_id)
        if org and org not in set(store.organisations(self.engine)["id"]):
            raise q.FormError("form.error.unknown_organisation", organisation=org)
        now = datetime.now().strftime("%H:%M:%S")
        updated = t("collect.count_updated", lang, time=now, seconds=q.COUNT_REFRESH_SECONDS)
        return page.count_page(q.count_heading(self.engine, round_id, org, lang),
                               q.count_table(self.engine, round_id, org, lang), lang, updated)  # fmt: skip


class Api(Handler):
    """``POST /api/…``: JSON in, JSON out; the link's query and the draft id come along."""

    def prepare(self) -> None:
        kind = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != "application/json":
            raise tornado.web.HTTPError(415)
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as exc:
            raise tornado.web.HTTPError(400) from exc
        if not isinstance(body, dict) or not drafts.is_draft_id(body.get("draft")):
            raise tornado.web.HTTPError(400)
        self.body = body
        self.draft_id = body["draft"]
        try:
            self.ctx = self.context(link_parameters(str(body.get("query", ""))))
        except q.FormError as exc:
            self.finish({"problem": exc.text(self.ctx_lang(body))})
        except SQLAlchemyError:
            self.finish({"problem": t("form.error.store", self.ctx_lang(body))})

    @staticmethod
    def ctx_lang(body: dict) -> str:
        lang = link_parameters(str(body.get("query", "")))["lang"]
        return lang if lang in LANGUAGES else "nl"

    def state(self) -> dict:
        state = self.body.get("state")
        return q.clean_state(self.ctx, state if isinstance(state, dict) else {})

    def mine(self, key: str | None) -> bool:
        """Whether this browser may write the draft: a new one, or one its key made."""
        return key is not None and drafts.writable(self.ctx.round_id, self.draft_id, key)


class DraftApi(Api):
    """Keep the state; a draft of another browser, or one already sent, is left alone."""

    def post(self) -> None:
        key = self.browser_key()
        if self.mine(key):
            drafts.save_draft(self.ctx.round_id, self.draft_id, key, self.state())
            self.finish({"kept": True})
        else:
            self.finish({"kept": False})


class CheckApi(Api):
    """What is missing on part ``part`` ("Volgende"); empty when nothing is."""

    def post(self) -> None:
        part = self.body.get("part")
        total = page.part_count(self.ctx)
        if not isinstance(part, int) or not 0 <= part < total:
            raise tornado.web.HTTPError(400)
        self.finish({"problem": q.part_problems(self.ctx, self.state(), part)})


class SubmitApi(Api):
    """Validate the whole form and store it once; the receipt and own result on success."""

    def post(self) -> None:
        lang, state, key = self.ctx.lang, self.state(), self.browser_key()
        problem = q.form_problems(self.ctx, state)
        if problem:
            self.finish({"problem": problem})
            return
        if key is not None and drafts.is_foreign(self.ctx.round_id, self.draft_id, key):
            self.finish({"problem": t("form.save_conflict", lang), "final": True})
            return
        record = q.record_of_state(self.ctx, f"{q.SOURCE}:{self.draft_id}", state)
        try:
            outcome = store.store_response(self.engine, record)
        except Exception as exc:  # noqa: BLE001 - any failed write is shown, answers stay
            self.finish({"error": t("form.save_failed", lang, error=type(exc).__name__)})
            return
        if outcome == store.CONFLICT:
            self.finish({"problem": t("form.save_conflict", lang), "final": True})
            return
        if key is not None:
            drafts.mark_sent(self.ctx.round_id, self.draft_id, key)
        self.finish({"result": page.result_part(q.result_html(self.ctx, record), lang)})


class NewRespondent(Handler):
    """ "Nieuwe invuller": a new key for this browser (nothing of the previous respondent
    opens in it again) and a fresh form of the same link."""

    def get(self) -> None:
        self.give_key(browser.new_key())
        self.redirect("./?" + without_draft(self.request.query))  # relative, as every link


def make_app(engine: Engine | None) -> tornado.web.Application:
    """The server's routes; ``engine`` None: the store cannot be reached (pages say so)."""
    args = {"engine": engine}
    return tornado.web.Application(
        [
            (r"/", FormPage, args),
            (r"/api/draft", DraftApi, args),
            (r"/api/check", CheckApi, args),
            (r"/api/submit", SubmitApi, args),
            (r"/new", NewRespondent, args),
            (r"/static/(form\.css|form\.js)", tornado.web.StaticFileHandler, {"path": STATIC_DIR}),
        ],
        compress_response=True,
    )


def warm_up(engine: Engine | None) -> None:
    """Parse the default round's instrument and import the scoring before the first
    respondent, so no respondent waits for either."""
    import dwp_assess.analysis.scoring  # noqa: F401 - the own result's scoring, imported once

    round_id = os.environ.get(q.ROUND_ENV)
    if engine is not None and round_id:
        info = store.get_round(engine, round_id, missing_ok=True)
        if info is not None:
            q.round_instrument(info)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The dwp-assess questionnaire form server.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        engine = store.connect(None)
    except store.StoreError:
        engine = None
    warm_up(engine)
    make_app(engine).listen(args.port, args.host, max_body_size=MAX_BODY_BYTES)
    tornado.ioloop.IOLoop.current().start()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
