"""The form server: the questionnaire as web pages, one process for all respondents.

Why not a kernel per respondent (Voilà, ``forms.py``): a page load there starts a Python
kernel (about 2.5 CPU-seconds and 100 MiB each), so on two cores 50 people opening the
link within a minute wait far beyond the 5-second target (``docs/collect.md``,
``benchmarks/bench_form.py``). Here a page load is a few database lookups and one HTML
document of about 30 kB; a respondent's state lives in the browser and in the draft file,
never in a process of its own. The same functions build the same form
(``questionnaire.py``, ``page.py``, ``rendering.py``), and the same store and draft rules hold.

Every request is untrusted:

- ``GET /?token=…[&round=…&organisation=…&team=…][&lang=…][&draft=…]``: the questionnaire.
  The link's invitation token (``data/invitations.py``) decides round, organisation, team
  and collaboration; a link without a valid token, of a round this server was not started
  for or of a closed round opens a page saying so. A browser without a key gets one in the
  HttpOnly cookie ``dwp_form_key`` (``browser.py``); ``draft=`` reopens a draft only when
  its id was given to this browser's key (``browser.draft_belongs``).
- ``GET /count?token=…``: the facilitator's count, with a facilitator token only (a
  respondent's link never opens it).
- ``POST /api/check``: what is still missing on a part ("Volgende"), and keep the draft;
  ``POST /api/draft``: keep the draft (the page's script saves when a part is left, now and
  then and when the page is closed; between saves the browser keeps the answers);
  ``POST /api/submit``: validate, store once, the receipt and own result;
  ``POST /api/new``: "Nieuwe invuller", a new browser key.
  A call with a draft id that is not this browser's touches nothing and gets a fresh id
  of its own (``rebind``); a call without a key is refused.
- The API takes JSON objects of the expected shape only (400 for anything else, 415 for
  another content type); every page carries a Content-Security-Policy that allows only the
  server's own script and stylesheet and forbids framing; a request whose Host header is
  not allowed (DNS rebinding) is refused; state changes only by POST.
- Database and draft-file work runs in a thread pool, never on the event loop.

Run by ``dwp-assess collect`` (``server.py``) as ``python -m dwp_assess.collect.web
--port P``; the store, the round(s) served and the data folder come from the environment
(``DWP_DATABASE_URL``, ``DWP_COLLECT_ROUND``, ``DWP_DATA_DIR``, and ``DWP_SETTINGS``: the
project's settings, ``project.Settings.to_json``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from abc import ABCMeta, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlencode

import tornado.ioloop
import tornado.web
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from tornado.httputil import split_host_and_port

from dwp_assess import project
from dwp_assess.collect import browser, collaboration_member, drafts, page, rendering, serving
from dwp_assess.collect import questionnaire as q
from dwp_assess.data import invitations, store
from dwp_assess.instruments.messages import t
from dwp_assess.locale import LANGUAGES, known_language

STATIC_DIR = page.STATIC_DIR
HEALTH_PATH = "/static/form.css"  # what ``server.wait_until_ready`` asks for
MAX_BODY_BYTES = 256 * 1024  # a whole form with every open answer at its 10,000 characters
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
CONTEXT_SECONDS = 5.0  # a link's checked context is reused this long (pages, checks, drafts)
PRUNE_SECONDS = 3600
WORKERS = 4
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
INVITATION_ERRORS = {
    "form.error.no_invitation",
    "form.error.invitation_revoked",
    "form.error.invitation_used",
    "form.error.round_not_served",
}


@dataclass
class Served:
    """What every handler shares: the store, the rounds served, the draft secret and quota,
    the allowed Host names, the thread pool, and links already checked."""

    engine: Engine | None
    rounds: frozenset[str]
    secret: bytes
    hosts: frozenset[str]
    quota: drafts.Quota
    executor: ThreadPoolExecutor
    drain: serving.Drain | None = None
    contexts: dict = field(default_factory=dict)  # (round, org, team, lang, collab) → (time, ctx)

    def link_context(self, params: dict) -> q.FormContext:
        """The checked context of a link's (token-bound) parameters; reused for
        ``CONTEXT_SECONDS`` (a send reads the round again, ``SubmitApi``)."""
        key = tuple(
            params[k]
            for k in ("round_id", "organisation_id", "team_id", "lang", "collaboration_id")
        )
        kept = self.contexts.get(key)
        if kept and time.monotonic() - kept[0] < CONTEXT_SECONDS:
            return kept[1]
        if self.engine is None:
            raise q.FormError("form.error.store")
        ctx = q.resolve_context(self.engine, *key[:4], key[4])
        if len(self.contexts) > 10_000:
            self.contexts.clear()
        self.contexts[key] = (time.monotonic(), ctx)
        return ctx


def served_rounds() -> frozenset[str]:
    """The rounds this server takes answers for: ``DWP_COLLECT_ROUND`` (comma-separated)."""
    return frozenset(r.strip() for r in os.environ.get(q.ROUND_ENV, "").split(",") if r.strip())


def link_parameters(query: str) -> dict:
    """The link's parameters and its invitation token (``token``)."""
    defaults = {
        "round_id": None,
        "organisation_id": None,
        "team_id": None,
        "lang": "nl",
        "view": "form",
        "collaboration_id": None,
    }
    params = q.parameters_from_query(query, defaults)
    params["token"] = (parse_qs(query or "").get("token") or [None])[0]
    return params


def invited(
    served: Served, params: dict, kinds: tuple[str, ...] = ("group", "person")
) -> tuple[dict, invitations.Invitation]:
    """The link's parameters bound to its invitation: round, organisation, team and
    collaboration come from the token (a link naming others is refused); ``FormError``
    for a missing, unknown, revoked or other kind of token and for a round not served."""
    if served.engine is None:
        raise q.FormError("form.error.store")
    found = invitations.find(served.engine, params["token"])
    if found is None or found.kind not in kinds:
        raise q.FormError("form.error.no_invitation")
    if found.revoked_at is not None:
        raise q.FormError("form.error.invitation_revoked")
    bound = dict(params)
    for name in ("round_id", "organisation_id", "collaboration_id", "team_id"):
        own, given = getattr(found, name), params[name]
        chosen = name == "team_id" or (name == "organisation_id" and found.collaboration_id)
        if given and own and given != own or (given and not own and not chosen):
            raise q.FormError("form.error.no_invitation")
        bound[name] = own or given
    if found.round_id not in served.rounds:
        raise q.FormError("form.error.round_not_served", round=found.round_id)
    return bound, found


def error_status(error: q.FormError) -> int:
    return (
        503 if error.key == "form.error.store" else 403 if error.key in INVITATION_ERRORS else 400
    )


# -- handlers -------------------------------------------------------------------------------


class Handler(tornado.web.RequestHandler):
    """Shared parts: headers, the Host check, requests in flight, the browser key."""

    def initialize(self, served: Served) -> None:
        self.served = served
        self._counted = False

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")  # links carry tokens
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Cross-Origin-Opener-Policy", "same-origin")
        self.set_header("Cross-Origin-Resource-Policy", "same-origin")

    def prepare(self) -> None:
        if self.served.drain is not None:
            self.served.drain.started()
            self._counted = True

    def on_finish(self) -> None:
        if self._counted and self.served.drain is not None:
            self.served.drain.finished()
            self._counted = False

    on_connection_close = on_finish

    def run(self, function, *args):
        """``function(*args)`` in the thread pool: store and draft files off the event loop."""
        return tornado.ioloop.IOLoop.current().run_in_executor(
            self.served.executor, function, *args
        )

    def browser_key(self) -> str | None:
        return browser.key_from_cookies(self.request.headers.get("Cookie"))

    def https(self) -> bool:
        return (
            self.request.protocol == "https"
            or self.request.headers.get("X-Forwarded-Proto", "").lower() == "https"
        )

    def give_key(self, key: str) -> None:
        """Store ``key`` in the browser: HttpOnly (no script reads it), 30 days, ``Secure``
        behind HTTPS (``X-Forwarded-Proto: https`` from the reverse proxy)."""
        self.set_cookie(
            browser.COOKIE,
            key,
            path="/",
            max_age=browser.COOKIE_MAX_AGE_SECONDS,
            samesite="Lax",
            secure=self.https(),
            httponly=True,
        )

    def page(self, status: int, html: str) -> None:
        self.set_status(status)
        self.finish(html)


class HostRefused(Handler):
    """Any request whose Host header is not one of the server's names (DNS rebinding)."""

    def prepare(self) -> None:
        self.set_status(400)
        self.finish(page.host_refused_page())


class FormPage(Handler):
    """``GET /``: the questionnaire, or a page naming what is wrong with the link."""

    async def get(self) -> None:
        params = link_parameters(self.request.query)
        lang = known_language(params["lang"])
        if params["view"] == "count":  # the count has its own link (``/count``), never this one
            self.page(403, page.error_page(q.FormError("form.error.count_link"), lang))
            return
        key = self.browser_key()
        if key is None:
            key = browser.new_key()
            self.give_key(key)
        try:
            status, body = await self.run(self.build, params, key)
        except collaboration_member.ChooseMember as choice:
            status, body = (
                200,
                page.member_choice_page(choice, collaboration_member.link_query(params), lang),
            )
        except q.FormError as exc:
            status, body = error_status(exc), page.error_page(exc, lang)
        except SQLAlchemyError:
            status, body = 503, page.error_page(q.FormError("form.error.store"), lang)
        self.page(status, body)

    def build(self, params: dict, key: str) -> tuple[int, str]:
        """(status, page): a new form, or this browser's draft (its receipt once sent)."""
        bound, found = invited(self.served, params)
        ctx = self.served.link_context(bound)
        query = link_query(self.request.query)
        draft_id = params.get("draft_id")
        draft = None
        if browser.draft_belongs(self.served.secret, key, draft_id):
            draft = drafts.load_draft(ctx.round_id, draft_id, key)
        else:
            draft_id = browser.new_draft_id(self.served.secret, key)
        response_id = f"{q.SOURCE}:{draft_id}"
        if found.kind == "person" and found.response_id not in (None, response_id):
            raise q.FormError("form.error.invitation_used")
        if draft is not None:
            sent = store.load_response(self.served.engine, response_id)
            if sent is not None and (sent.round_id, sent.organisation_id) == (
                ctx.round_id,
                ctx.organisation_id,
            ):
                return 200, page.sent_page(ctx, draft_id, rendering.result_html(ctx, sent), query)
        return 200, page.form_page(ctx, draft_id, (draft or {}).get("state", {}), query)


def link_query(query: str) -> str:
    """The link's query without ``draft=`` (what the page sends back, and "Nieuwe invuller" opens)."""
    return urlencode(
        [(k, v) for k, values in parse_qs(query).items() for v in values[:1] if k != "draft"]
    )


class CountPage(Handler):
    """``GET /count?token=…``: completed questionnaires per team of the facilitator
    token's organisation (counts only, never answers)."""

    async def get(self) -> None:
        params = link_parameters(self.request.query)
        lang = known_language(params["lang"])
        try:
            if params["lang"] not in LANGUAGES:
                raise q.FormError("form.error.unknown_language", language=params["lang"])
            status, body = 200, await self.run(self.build, params, lang)
        except q.FormError as exc:
            status, body = error_status(exc), page.error_page(exc, lang)
        except SQLAlchemyError:
            status, body = 503, page.error_page(q.FormError("form.error.store"), lang)
        self.page(status, body)

    def build(self, params: dict, lang: str) -> str:
        _, found = invited(
            self.served,
            {
                **params,
                "round_id": None,
                "organisation_id": None,
                "team_id": None,
                "collaboration_id": None,
            },
            ("facilitator",),
        )
        engine, round_id, org = self.served.engine, found.round_id, found.organisation_id
        now = datetime.now().strftime("%H:%M:%S")
        updated = t("collect.count_updated", lang, time=now, seconds=q.COUNT_REFRESH_SECONDS)
        return page.count_page(
            q.count_heading(engine, round_id, org, lang),
            rendering.count_table(engine, round_id, org, lang),
            lang,
            updated,
        )


class BadRequest(ValueError):
    """The request body is not what the API takes."""


def read_body(raw: bytes) -> dict:
    """The JSON object of an API call; ``BadRequest`` for anything else (not JSON, not an
    object, too deeply nested, not UTF-8)."""
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError) as exc:
        raise BadRequest(str(exc)) from exc
    if not isinstance(body, dict):
        raise BadRequest("not an object")
    return body


def check_shape(body: dict, part: bool = False) -> None:
    """The fields every call carries, of the right types: ``draft`` a draft id, ``query`` a
    text, ``state`` an object (when given), ``part`` a whole number (the check)."""
    if not drafts.is_draft_id(body.get("draft")):
        raise BadRequest("draft")
    if not isinstance(body.get("query", ""), str):
        raise BadRequest("query")
    if "state" in body and not isinstance(body["state"], dict):
        raise BadRequest("state")
    if part and type(body.get("part")) is not int:
        raise BadRequest("part")


class Api(Handler, metaclass=ABCMeta):
    """``POST /api/…``: a JSON object in, JSON out; the link's query and the draft id come along.
    Each endpoint is a subclass that says in ``answer`` what its POST does."""

    needs_part = False

    async def post(self) -> None:
        kind = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise tornado.web.HTTPError(415)
        try:
            body = read_body(self.request.body)
            check_shape(body, self.needs_part)
        except BadRequest:
            raise tornado.web.HTTPError(400) from None
        key = self.browser_key()
        params = link_parameters(body.get("query", ""))
        lang = known_language(params["lang"])
        if key is None:  # no cookie: no draft is ever touched
            self.set_status(403)
            self.finish({"problem": t("form.error.cookies", lang), "final": True})
            return
        if not browser.draft_belongs(self.served.secret, key, body["draft"]):
            # another browser's draft id (a forwarded address, a replaced key): nothing is
            # touched; the page carries on under an id of this browser
            self.finish({"rebind": browser.new_draft_id(self.served.secret, key)})
            return
        try:
            reply = await self.run(self.answer, body, params, key)
        except q.FormError as exc:
            reply = {"problem": exc.text(lang), "final": True}
        except SQLAlchemyError:
            reply = {"problem": t("form.error.store", lang)}
        self.finish(reply)

    @abstractmethod
    def answer(self, body: dict, params: dict, key: str) -> dict:
        """The endpoint's reply to a checked ``body`` (run off the event loop)."""

    def context(self, params: dict) -> tuple[q.FormContext, invitations.Invitation]:
        bound, found = invited(self.served, params)
        return self.served.link_context(bound), found

    def keep(self, ctx: q.FormContext, body: dict, key: str, state: dict) -> bool:
        try:
            return drafts.keep(ctx.round_id, body["draft"], key, state, self.served.quota)
        except OSError:  # a full disk costs the reload protection only
            return False


def cleaned(ctx: q.FormContext, body: dict) -> dict:
    return q.clean_state(ctx, body.get("state") or {})


class DraftApi(Api):
    """Keep the state; a sent draft, or one over the quota, is left alone."""

    def answer(self, body: dict, params: dict, key: str) -> dict:
        ctx, _ = self.context(params)
        return {"kept": self.keep(ctx, body, key, cleaned(ctx, body))}


class CheckApi(Api):
    """What is missing on part ``part`` ("Volgende"), empty when nothing is; the state is
    kept as the draft at the same time (one call per part)."""

    needs_part = True

    def answer(self, body: dict, params: dict, key: str) -> dict:
        ctx, _ = self.context(params)
        part = body["part"]
        if not 0 <= part < page.part_count(ctx):
            raise q.FormError("form.error.bad_request")
        state = cleaned(ctx, body)
        return {
            "problem": q.part_problems(ctx, state, part),
            "kept": self.keep(ctx, body, key, state),
        }


class SubmitApi(Api):
    """Validate the whole form and store it once; the receipt and own result on success.
    The round is read again (it may have closed since the link was checked), and a personal
    link is used once."""

    def answer(self, body: dict, params: dict, key: str) -> dict:
        ctx, found = self.context(params)
        info = store.get_round(self.served.engine, ctx.round_id, missing_ok=True)
        if info is None or info.closed_at is not None:  # closed since the page opened
            raise q.FormError("form.error.round_closed", round=ctx.round_id)
        lang, state = ctx.lang, cleaned(ctx, body)
        problem = q.form_problems(ctx, state)
        if problem:
            return {"problem": problem}
        response_id = f"{q.SOURCE}:{body['draft']}"
        if found.kind == "person" and not invitations.claim(
            self.served.engine, found.token, response_id
        ):
            return {"problem": t("form.error.invitation_used", lang), "final": True}
        record = q.record_of_state(ctx, response_id, state)
        try:
            outcome = store.store_response(self.served.engine, record)
        except Exception as exc:  # noqa: BLE001 - any failed write is shown, answers stay
            return {"error": t("form.save_failed", lang, error=type(exc).__name__)}
        if outcome == store.CONFLICT:
            return {"problem": t("form.save_conflict", lang), "final": True}
        with contextlib.suppress(
            OSError
        ):  # the response is stored; only the receipt after a reload is lost
            drafts.mark_sent(ctx.round_id, body["draft"], key)
        return {"result": page.result_part(rendering.result_html(ctx, record), lang)}


class NewRespondent(Handler):
    """``POST /api/new`` ("Nieuwe invuller"): a new key for this browser, so nothing of the
    previous respondent opens in it again; the page then loads a fresh form. JSON only, so
    another site's page cannot replace a respondent's key."""

    def post(self) -> None:
        kind = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise tornado.web.HTTPError(415)
        self.give_key(browser.new_key())
        self.finish({"new": True})


class Static(tornado.web.StaticFileHandler):
    """The stylesheet and script: the form's headers, kept by browsers (their addresses
    carry the content's hash, ``page.asset``)."""

    def set_default_headers(self) -> None:
        Handler.set_default_headers(self)
        self.clear_header("Cache-Control")

    def get_cache_time(self, path, modified, mime_type) -> int:
        return 86_400 if "v" in self.request.arguments else 0


class Application(tornado.web.Application):
    """The routes, behind the Host allow-list."""

    def find_handler(self, request, **kwargs):
        name = split_host_and_port(request.host.lower())[0].strip("[]")
        if name not in self.settings["served"].hosts:
            return self.get_handler_delegate(
                request, HostRefused, {"served": self.settings["served"]}
            )
        return super().find_handler(request, **kwargs)


def make_served(engine: Engine | None, rounds=None, hosts=()) -> Served:
    return Served(
        engine=engine,
        rounds=frozenset(rounds) if rounds is not None else served_rounds(),
        secret=drafts.server_secret(),
        hosts=frozenset(h.lower().strip("[]") for h in (*LOCAL_HOSTS, *hosts)),
        quota=drafts.Quota(drafts.count()),
        executor=ThreadPoolExecutor(WORKERS, thread_name_prefix="dwp-form"),
    )


def make_app(
    engine: Engine | None, rounds=None, hosts=(), served: Served | None = None
) -> Application:
    """The server's routes; ``engine`` None: the store cannot be reached (pages say so).
    ``rounds``: the rounds answers are taken for (default ``DWP_COLLECT_ROUND``); ``hosts``:
    Host names allowed besides the loopback ones."""
    served = served or make_served(engine, rounds, hosts)
    args = {"served": served}
    return Application(
        [
            (r"/", FormPage, args),
            (r"/count", CountPage, args),
            (r"/api/draft", DraftApi, args),
            (r"/api/check", CheckApi, args),
            (r"/api/submit", SubmitApi, args),
            (r"/api/new", NewRespondent, args),
            (r"/static/(form\.css|form\.js)", Static, {"path": STATIC_DIR}),
        ],
        compress_response=True,
        served=served,
    )


def warm_up(engine: Engine | None, rounds) -> None:
    """Parse the served rounds' instruments, import the scoring and make sure the store has
    the invitation table, before the first respondent, so no respondent waits for any."""
    import dwp_assess.analysis.scoring  # noqa: F401 - the own result's scoring, imported once

    if engine is None:
        return
    invitations.ensure_table(engine)
    for round_id in rounds:
        info = store.get_round(engine, round_id, missing_ok=True)
        if info is not None:
            q.round_instrument(info)


def prune_drafts(served: Served) -> None:
    """Remove drafts older than ``drafts.MAX_AGE_DAYS`` and recount (hourly, in the pool)."""
    drafts.prune()
    served.quota.recount(drafts.count())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The dwp-assess questionnaire form server.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--allow-host", action="append", default=[], help="a Host name besides the loopback ones"
    )
    parser.add_argument("--parent-pid", type=int, help="stop when this process ends")
    args = parser.parse_args(argv)
    serving.configure_logging()
    project.from_environment()  # the project `dwp-assess collect` handed this server
    try:
        engine = store.connect(None)
    except store.StoreError:
        engine = None
    served = make_served(engine, hosts=args.allow_host)
    warm_up(engine, served.rounds)
    server = serving.GuardedServer(make_app(engine, served=served), max_body_size=MAX_BODY_BYTES)
    server.listen(args.port, args.host)
    served.drain = serving.Drain(server)
    served.drain.install()
    if args.parent_pid:
        serving.die_with_parent(args.parent_pid, served.drain)
    loop = tornado.ioloop.IOLoop.current()
    tornado.ioloop.PeriodicCallback(
        lambda: loop.run_in_executor(served.executor, prune_drafts, served), PRUNE_SECONDS * 1000
    ).start()
    loop.start()
    served.executor.shutdown(wait=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
