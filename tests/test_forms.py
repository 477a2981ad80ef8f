"""The questionnaire form without a browser: context from links, validation, idempotent submit,
a failed write that keeps the answers, the own result, concurrent respondents."""

from __future__ import annotations

import html
import json
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from dwp_assess.analysis.scoring import score_round
from dwp_assess.collect import browser, drafts, forms
from dwp_assess.data import registry, store
from dwp_assess.instruments.messages import t

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ROUND = "competences-2026"
ORG_ROUND = "data-strategy-2026"


@pytest.fixture
def form_engine(engine, competences, data_strategy):
    registry.import_registry(engine, SAMPLE / "organisations.csv", SAMPLE / "teams.csv")
    store.create_round(engine, competences, "2026")
    store.create_round(engine, data_strategy, "2026")
    return engine


def make_form(engine, round_id=ROUND, org="gouda", team="gouda-team-financien", lang="nl", **kw):
    ctx = forms.resolve_context(engine, round_id, org, team, lang)
    return forms.QuestionnaireForm(engine, ctx, **kw)


def fill(form, seed: int = 0) -> dict[str, str]:
    """Answer every item (a pattern that depends on ``seed``) and the role; return the keys."""
    chosen = {}
    for n, (item_id, radio) in enumerate(form.radios.items()):
        key = radio.options[(n + seed) % len(radio.options)][1]
        radio.value = key
        chosen[item_id] = key
    if form.role is not None:
        form.role.value = form.role.options[seed % len(form.role.options)][1]
    return chosen


def stored_answers(engine, round_id=ROUND) -> pd.DataFrame:
    return store.load_answers(engine, round_id)


def as_keys(frame: pd.DataFrame) -> dict[str, str]:
    """Stored answers back to the form's option keys."""
    return {
        r.item_id: (r.code if isinstance(r.code, str) else str(int(r.value)))
        for r in frame.itertuples()
        if not isinstance(r.text, str)
    }


# -- links and context ---------------------------------------------------------------


def test_query_overrides_parameters():
    defaults = {
        "round_id": "a",
        "organisation_id": "b",
        "team_id": None,
        "lang": "nl",
        "view": "form",
    }
    got = forms.parameters_from_query("round=x&org=gouda&team=&lang=en&foo=1", defaults)
    assert got == {
        "round_id": "x",
        "organisation_id": "gouda",
        "team_id": None,
        "lang": "en",
        "view": "form",
    }
    assert forms.parameters_from_query(None, defaults) == defaults


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (("nope", "gouda", None, "nl"), "form.error.unknown_round"),
        ((ROUND, "atlantis", None, "nl"), "form.error.unknown_organisation"),
        ((ROUND, None, None, "nl"), "form.error.missing_organisation"),
        ((ROUND, "gouda", "almere-programma-energietransitie", "nl"), "form.error.unknown_team"),
        ((ROUND, "gouda", None, "de"), "form.error.unknown_language"),
    ],
)
def test_bad_links_give_a_clear_message(form_engine, args, key):
    with pytest.raises(forms.FormError) as err:
        forms.resolve_context(form_engine, *args)
    assert err.value.key == key
    assert err.value.text("nl") == t(key, "nl", **err.value.values)


def test_bad_link_page_is_dutch_and_has_no_traceback(form_engine, sqlite_url):
    widget = forms.app(ROUND, "gouda", None, "nl", database_url=sqlite_url, query="round=nope")
    assert "dwp-error" in widget._dom_classes
    assert t("form.error_heading", "nl") in widget.value
    assert "nope" in widget.value and "Traceback" not in widget.value


def test_closed_round_refuses_answers(form_engine):
    store.close_round(form_engine, ROUND)
    with pytest.raises(forms.FormError, match="closed"):
        forms.resolve_context(form_engine, ROUND, "gouda", "gouda-team-financien")


def test_round_env_sets_the_default_round(form_engine, sqlite_url, monkeypatch, data_strategy):
    monkeypatch.setenv(forms.ROUND_ENV, ORG_ROUND)
    widget = forms.app(ROUND, "gouda", None, database_url=sqlite_url, query="")
    header = widget.children[0].children[1].value
    assert html.escape(data_strategy.title.nl) in header


# -- the form's content ---------------------------------------------------------------


def test_one_page_per_dimension_with_scale_labels_and_special_options(form_engine, data_strategy):
    form = make_form(form_engine, ORG_ROUND, team=None)
    assert len(form.pages) == len(data_strategy.dimensions) + 2
    labels = [label for label, _ in form.radios["VS1"].options]
    scale = data_strategy.scale_of("VS1")
    assert labels == [p.label.nl for p in scale.points] + [s.label.nl for s in scale.special]
    assert [key for _, key in form.radios["VS1"].options][-2:] == ["dont_know", "not_applicable"]
    assert form.team is None  # organisation instrument: no team question


def test_competence_form_offers_dont_know_but_not_na(form_engine):
    keys = [key for _, key in make_form(form_engine).radios["LIT1"].options]
    assert keys == ["1", "2", "3", "4", "5", "dont_know"]


def test_english_texts(form_engine, competences):
    form = make_form(form_engine, lang="en")
    assert form.radios["LIT1"].options[0][0] == competences.scale_of("LIT1").points[0].label.en
    assert form.next.description == t("form.next", "en")
    assert t("form.progress", "en", n=1, total=len(form.pages)) in form.progress_text.value


def test_team_chosen_on_the_form_when_the_link_names_none(form_engine):
    form = make_form(form_engine, team=None)
    assert [tid for _, tid in form.team.options] == [
        "gouda-programma-energietransitie",
        "gouda-team-financien",
    ]
    form._on_next()
    assert t("form.missing_team", "nl") in form.message.value
    form.team.value = "gouda-team-financien"
    form.role.value = "lawyer"
    form._on_next()
    assert form.page == 1


# -- validation ---------------------------------------------------------------------------


def test_next_names_the_missing_questions_of_the_page(form_engine):
    form = make_form(form_engine)
    form._on_next()
    assert form.page == 0 and t("form.missing_role", "nl") in form.message.value
    form.role.value = "data_scientist"
    form._on_next()
    assert form.page == 1 and form.message.value == ""
    form.radios["LIT1"].value = "3"
    form.radios["LIT3"].value = "dont_know"
    form._on_next()
    assert form.page == 1
    assert "vraag 2, 4" in form.message.value


def test_submit_lists_what_is_missing_per_part_and_stores_nothing(form_engine, competences):
    form = make_form(form_engine)
    fill(form)
    form.radios["CRIT2"].value = None
    form.radios["POL1"].value = None
    assert form.submit() is None
    message = form.message.value
    assert competences.dimension_by_id["critical_thinking"].label.nl in message
    assert competences.dimension_by_id["political_savvy"].label.nl in message
    assert stored_answers(form_engine).empty


# -- submit -----------------------------------------------------------------------------------


def test_submit_stores_exactly_the_answers(form_engine, competences):
    form = make_form(form_engine)
    chosen = fill(form, seed=2)
    form.texts["team_expectation"].value = "  Betere <b>besluiten</b>  "
    assert form.submit() == store.STORED
    answers = stored_answers(form_engine)
    assert set(answers["response_id"]) == {form.response_id}
    assert as_keys(answers) == chosen
    text = answers.loc[answers["item_id"] == "team_expectation", "text"].item()
    assert text == "Betere <b>besluiten</b>"
    assert answers["team_id"].unique().tolist() == ["gouda-team-financien"]
    assert answers["role"].unique().tolist() == [form.role.value]
    assert answers.loc[answers["code"].notna(), "value"].isna().all()
    responses = store.load_responses(form_engine, ROUND)
    assert responses["source"].tolist() == ["form"]
    assert store.load_round_organisations(form_engine, ROUND)["organisation_id"].tolist() == [
        "gouda"
    ]


def test_double_submit_stores_one_response(form_engine):
    form = make_form(form_engine)
    fill(form)
    form._on_submit()
    form._on_submit()
    record = forms.build_record(
        form.ctx, form.response_id, form.answers(), form.role.value, form.team_id()
    )
    assert store.store_response(form_engine, record) == store.PRESENT
    assert len(store.load_responses(form_engine, ROUND)) == 1


def test_response_id_is_made_at_form_start_and_differs_per_form(form_engine):
    a, b = make_form(form_engine), make_form(form_engine)
    assert a.response_id != b.response_id and a.response_id.startswith("form:")
    fill(a)
    a.submit()
    assert a.record.response_id == a.response_id


def test_failed_write_says_so_and_keeps_the_answers(form_engine):
    calls = []

    def flaky(engine, record):
        calls.append(record.response_id)
        if len(calls) == 1:
            raise store.StoreError("database is locked")
        return store.store_response(engine, record)

    form = make_form(form_engine, writer=flaky)
    chosen = fill(form, seed=1)
    form.show_page(len(form.pages) - 1)
    assert form.submit() is None
    assert "StoreError" in form.message.value
    assert html.escape(t("form.save_failed", "nl", error="StoreError")) == form.message.value
    assert form.answers() == chosen and not form.saved
    assert form.submit_button.disabled is False
    assert form.body.children == (form.pages[-1],)
    assert stored_answers(form_engine).empty
    assert form.submit() == store.STORED
    assert calls == [form.response_id, form.response_id]
    assert as_keys(stored_answers(form_engine)) == chosen


def test_conflicting_content_under_the_same_id_is_not_overwritten(form_engine):
    form = make_form(form_engine)
    fill(form)
    record = forms.build_record(form.ctx, form.response_id, {"LIT1": "1"}, "lawyer", form.team_id())
    store.store_response(form_engine, record)
    assert form.submit() == store.CONFLICT
    assert t("form.save_conflict", "nl")[:30] in form.message.value
    assert len(stored_answers(form_engine)) == 1


# -- the own result ------------------------------------------------------------------------------


def test_own_result_matches_the_scoring_of_the_store(form_engine, competences):
    form = make_form(form_engine)
    fill(form, seed=3)
    form.submit()
    own = forms.own_scores(form.ctx, form.record).set_index("dimension_id")
    reference = score_round(stored_answers(form_engine), competences).set_index("dimension_id")
    pd.testing.assert_series_equal(own["score"], reference["score"], check_names=False)
    result = form.body.children[0].value
    assert forms.receipt_code(form.response_id) in result
    assert "<svg" in result and result.count("<tr>") == len(competences.dimensions) + 1
    assert form.nav.layout.display == "none"


def test_receipt_code_points_to_the_response():
    code = forms.receipt_code("form:7f3a91c2aaaa")
    assert code == "7F3A-91C2"


def test_facilitator_count_shows_counts_not_answers(form_engine):
    for seed in range(3):
        form = make_form(form_engine)
        fill(form, seed)
        form.texts["team_expectation"].value = f"geheim {seed}"
        form.submit()
    table = forms.count_table(form_engine, ROUND, "gouda", "nl")
    assert 'data-team="gouda-team-financien">3<' in table
    assert "geheim" not in table
    counter = forms.ResponseCounter(form_engine, ROUND, "gouda", "nl")
    assert ">3<" in counter.table.value
    assert (
        forms.count_table(form_engine, ORG_ROUND, "gouda", "nl").count(
            t("collect.count_none", "nl")
        )
        == 1
    )


# -- concurrency ------------------------------------------------------------------------------------


def _respondent(url: str, seed: int, barrier, results) -> None:
    """One respondent in its own process (as a Voilà kernel is): fill, wait, submit."""
    engine = store.connect(url)
    form = make_form(engine)
    chosen = fill(form, seed)
    form.texts["team_expectation"].value = f"respondent {seed}"
    barrier.wait()
    outcome = form.submit()
    results.put((seed, form.response_id, outcome, chosen, form.message.value))


def test_concurrent_respondents_each_stored_once(form_engine, sqlite_url):
    n = 12
    form_engine.dispose()
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [
        ctx.Process(target=_respondent, args=(sqlite_url, s, barrier, results)) for s in range(n)
    ]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in range(n)]
    for p in procs:
        p.join(30)
    assert all(outcome == store.STORED for _, _, outcome, _, _ in got), got
    answers = stored_answers(form_engine)
    assert answers["response_id"].nunique() == n
    for seed, response_id, _, chosen, _ in got:
        own = answers[answers["response_id"] == response_id]
        assert as_keys(own) == chosen
        assert own.loc[own["item_id"] == "team_expectation", "text"].item() == f"respondent {seed}"
    assert len(store.load_responses(form_engine, ROUND)) == n


def test_concurrent_insert_of_the_same_response_id(form_engine):
    form = make_form(form_engine)
    fill(form)
    record = forms.build_record(
        form.ctx, form.response_id, form.answers(), form.role.value, form.team_id()
    )
    barrier, outcomes = threading.Barrier(8), []

    def write():
        barrier.wait()
        outcomes.append(store.store_response(form_engine, record))

    threads = [threading.Thread(target=write) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["present"] * 7 + ["stored"]
    assert len(store.load_responses(form_engine, ROUND)) == 1


def test_count_page_refuses_an_unknown_organisation(form_engine, sqlite_url):
    good = forms.app(ROUND, "gouda", None, view="count", database_url=sqlite_url, query="")
    assert "dwp-form" in good._dom_classes
    bad = forms.app(ROUND, "gouda", None, database_url=sqlite_url, query="view=count&org=xx")
    assert "dwp-error" in bad._dom_classes and "xx" in bad.value


# -- drafts: a reload gets the answers back ------------------------------------------------


def test_a_reload_gets_the_answers_and_the_page_back(form_engine):
    first = make_form(form_engine)
    chosen = fill(first, seed=3)
    first.texts[next(iter(first.texts))].value = "halverwege opgeslagen"
    first.show_page(2)
    reloaded = make_form(form_engine, draft_id=first.draft_id, browser_key=first.browser_key)
    assert reloaded.response_id == first.response_id  # sending after the reload stays idempotent
    assert {k: v for k, v in reloaded.answers().items() if v} == chosen
    assert reloaded.role.value == first.role.value
    assert reloaded.texts[next(iter(reloaded.texts))].value == "halverwege opgeslagen"
    assert reloaded.page == 2
    assert make_form(form_engine).response_id != first.response_id  # a new link: a new form


def test_after_sending_the_draft_is_gone_and_a_reload_shows_the_result(form_engine):
    form = make_form(form_engine)
    fill(form, seed=1)
    path = drafts.draft_path(ROUND, form.draft_id)
    assert "answers" in path.read_text(encoding="utf-8")
    assert form.submit() == store.STORED
    kept = json.loads(path.read_text(encoding="utf-8"))  # the answers now live in the store only
    assert kept == {"owner": browser.owner_tag(form.browser_key, form.draft_id), "sent": True}
    reloaded = make_form(form_engine, draft_id=form.draft_id, browser_key=form.browser_key)
    assert reloaded.saved and reloaded.submit() is None
    shown = reloaded.body.children[0].value
    assert forms.receipt_code(form.response_id) in shown
    assert reloaded.message.value == html.escape(t("form.already_sent", "nl"))
    assert len(store.load_responses(form_engine, ROUND)) == 1


def test_a_sent_form_of_another_organisation_is_not_shown(form_engine):
    form = make_form(form_engine)
    fill(form)
    form.submit()
    other = make_form(
        form_engine,
        org="almere",
        team="almere-datateam-sociaal-domein",
        draft_id=form.draft_id,
        browser_key=form.browser_key,
    )
    assert not other.saved and not any(other.answers().values())


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABCDEF" * 6, "1234", "", None])
def test_anything_but_a_draft_id_is_ignored(form_engine, bad):
    form = make_form(form_engine, draft_id=bad)
    assert drafts.is_draft_id(form.draft_id) and form.draft_id != bad
    assert drafts.load_draft(ROUND, bad, form.browser_key) is None
    if bad:
        with pytest.raises(ValueError, match="not a draft id"):
            drafts.draft_path(ROUND, bad)


def test_a_broken_draft_file_gives_an_empty_form(form_engine):
    first = make_form(form_engine)
    fill(first)
    drafts.draft_path(ROUND, first.draft_id).write_text("{half a fi", encoding="utf-8")
    reloaded = make_form(form_engine, draft_id=first.draft_id, browser_key=first.browser_key)
    assert not any(reloaded.answers().values()) and reloaded.page == 0


def test_unsent_drafts_are_pruned_after_their_age(form_engine):
    old, fresh = make_form(form_engine), make_form(form_engine)
    fill(old)
    fill(fresh)
    month_ago = time.time() - 31 * 86_400
    os.utime(drafts.draft_path(ROUND, old.draft_id), (month_ago, month_ago))
    assert drafts.prune() == 1
    assert drafts.load_draft(ROUND, old.draft_id, old.browser_key) is None
    assert drafts.load_draft(ROUND, fresh.draft_id, fresh.browser_key) is not None


# -- a draft belongs to the browser that made it ----------------------------------------------


def test_a_draft_opens_only_in_the_browser_that_made_it(form_engine):
    first = make_form(form_engine)
    chosen = fill(first, seed=4)
    first.show_page(3)
    near = first.browser_key[:-1] + ("B" if first.browser_key.endswith("A") else "A")
    for key in (None, browser.new_key(), "not a key", near):
        other = make_form(form_engine, draft_id=first.draft_id, browser_key=key)
        assert other.response_id != first.response_id and other.draft_id != first.draft_id
        assert not any(other.answers().values()) and other.page == 0 and other.role.value is None
    newcomer = make_form(form_engine, draft_id=first.draft_id, browser_key=browser.new_key())
    theirs = fill(newcomer, seed=5)
    assert newcomer.submit() == store.STORED  # the newcomer's answers are taken, separately
    again = make_form(form_engine, draft_id=first.draft_id, browser_key=first.browser_key)
    assert again.response_id == first.response_id and again.page == 3
    assert {k: v for k, v in again.answers().items() if v} == chosen
    assert again.submit() == store.STORED
    answers = stored_answers(form_engine)
    assert as_keys(answers[answers["response_id"] == newcomer.response_id]) == theirs
    assert as_keys(answers[answers["response_id"] == first.response_id]) == chosen


def test_a_sent_form_shows_its_receipt_only_in_its_own_browser(form_engine):
    first = make_form(form_engine)
    fill(first, seed=1)
    first.submit()
    code = forms.receipt_code(first.response_id)
    other = make_form(form_engine, draft_id=first.draft_id, browser_key=browser.new_key())
    assert not other.saved and other.nav.layout.display != "none"
    assert code not in "".join(getattr(w, "value", "") for w in other.body.children)
    assert other.message.value == "" and not any(other.answers().values())
    fill(other, seed=2)
    assert other.submit() == store.STORED
    assert len(store.load_responses(form_engine, ROUND)) == 2


def test_the_draft_file_keeps_a_tag_not_the_browser_key(form_engine):
    form = make_form(form_engine)
    fill(form)
    text = drafts.draft_path(ROUND, form.draft_id).read_text(encoding="utf-8")
    assert form.browser_key not in text
    assert json.loads(text)["owner"] == browser.owner_tag(form.browser_key, form.draft_id)
    assert browser.owner_tag(form.browser_key, "0" * 32) != json.loads(text)["owner"]


def test_new_respondent_forgets_the_previous_one(form_engine):
    first = make_form(form_engine)
    fill(first)
    first.submit()
    again = first.body.children[-1]
    assert "dwp-new-respondent" in again._dom_classes
    assert again.description == t("form.new_respondent", "nl")
    old_key = first.browser_key
    again.click()
    assert browser.is_key(first.browser_key) and first.browser_key != old_key
    after = make_form(form_engine, draft_id=first.draft_id, browser_key=first.browser_key)
    assert not after.saved and after.response_id != first.response_id


def test_new_respondent_script_sets_a_new_key_and_drops_the_draft():
    key = browser.new_key()
    script = browser.forget_script(key)
    assert f'"{key}"' in script and f"{browser.COOKIE}=" in script
    assert 'searchParams.delete("draft")' in script and "location.replace" in script
    keep = browser.address_script(key, "ab" * 16)
    assert f'"{key}"' in keep and 'searchParams.set("draft", "' + "ab" * 16 + '")' in keep


def test_new_keys_are_random_and_well_formed():
    keys = {browser.new_key() for _ in range(50)}
    assert len(keys) == 50 and all(browser.is_key(k) for k in keys)


@pytest.mark.parametrize(
    ("header", "found"),
    [
        (None, False),
        ("", False),
        ("_xsrf=2|abc; dwp_form_key=KEY", True),
        ("dwp_form_key=KEY", True),
        ('weird="a;b=c; dwp_form_key=KEY', True),
        ("dwp_form_key=short", False),
        ("dwp_form_key=KEY/../x", False),
        ("other_dwp_form_key=KEY", False),
    ],
)
def test_browser_key_from_the_cookie_header(header, found):
    key = browser.new_key()
    got = browser.key_from_cookies(header.replace("KEY", key) if header else header)
    assert got == (key if found else None)


def test_app_restores_a_draft_only_for_the_same_cookie(form_engine, sqlite_url):
    first = make_form(form_engine)
    chosen = fill(first, seed=6)
    query = f"round={ROUND}&organisation=gouda&team=gouda-team-financien&draft={first.draft_id}"
    own = f"_xsrf=x; {browser.COOKIE}={first.browser_key}"
    for cookies, restored in [
        (own, True),
        (f"{browser.COOKIE}={browser.new_key()}", False),
        ("", False),
    ]:
        page = forms.app(None, None, database_url=sqlite_url, query=query, cookies=cookies)
        radios = [
            w
            for w in page.children[0].children[3].children[0].children
            if isinstance(w, forms.W.RadioButtons)
        ]
        assert bool(radios[0].value) is restored
        if restored:
            assert radios[0].value == first.role.value
    assert drafts.load_draft(ROUND, first.draft_id, first.browser_key)["state"]["answers"] == chosen


def test_app_reads_the_browser_key_from_the_request(form_engine, sqlite_url, monkeypatch):
    first = make_form(form_engine)
    fill(first)
    monkeypatch.setenv("HTTP_COOKIE", f"{browser.COOKIE}={first.browser_key}")
    query = f"round={ROUND}&organisation=gouda&team=gouda-team-financien&draft={first.draft_id}"
    page = forms.app(None, None, database_url=sqlite_url, query=query)
    assert first.draft_id in page.children[0].children[1].value  # the language link keeps it


# -- links without team or organisation ---------------------------------------------------------


def test_team_is_chosen_from_a_dropdown_of_the_organisations_teams(form_engine):
    form = make_form(form_engine, org="almere", team=None)
    assert isinstance(form.team, forms.W.Dropdown) and "dwp-team" in form.team._dom_classes
    teams = store.teams(form_engine)
    own = teams[teams["organisation_id"] == "almere"]
    assert sorted(form.team.options) == sorted(zip(own["name"], own["id"], strict=True))
    assert form.team.value is None
    chosen = own["id"].iloc[-1]
    fill(form)
    form.team.value = chosen
    assert form.submit() == store.STORED
    assert stored_answers(form_engine)["team_id"].unique().tolist() == [chosen]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        (f"round={ROUND}", "form.error.missing_organisation"),
        (f"round={ROUND}&team=gouda-team-financien", "form.error.missing_organisation"),
        ("organisation=gouda", "form.error.missing_round"),
        ("view=count", "form.error.missing_round"),
    ],
)
def test_links_without_organisation_or_round_say_so(form_engine, sqlite_url, query, key):
    for lang in ("nl", "en"):
        page = forms.app(None, None, database_url=sqlite_url, query=f"{query}&lang={lang}")
        assert "dwp-error" in page._dom_classes
        assert html.escape(t(key, lang)) in page.value


def test_the_form_notebook_names_no_organisation_or_team(form_engine):
    from dwp_assess import resources

    notebook = json.loads((resources.NOTEBOOKS / "collect.ipynb").read_text(encoding="utf-8"))
    parameters = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    values: dict = {}
    exec("".join(parameters["source"]), {}, values)  # noqa: S102 - the packaged notebook's own cell
    assert values["organisation_id"] is None and values["team_id"] is None
    assert values["round_id"] is None
    source = json.dumps(notebook)
    ids = [*store.organisations(form_engine)["id"], *store.teams(form_engine)["id"]]
    assert [i for i in ids if f"={i}" in source or f'"{i}"' in source] == []


def test_the_form_server_gets_the_project_and_the_data_folder(tmp_path, project_dir, monkeypatch):
    from dwp_assess import project
    from dwp_assess.collect import server

    monkeypatch.delenv(project.PROJECT_ENV)  # `dwp-assess collect` run inside the project folder
    monkeypatch.chdir(project_dir)
    project.activate(project.current())  # as `dwp-assess collect` resolves it
    env = server.server_env(ROUND, f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path / "data")
    handed = project.Settings.from_json(
        env[project.SETTINGS_ENV]
    )  # the server runs outside the project
    assert (
        handed.root == project_dir and handed.questionnaires_dir == project_dir / "questionnaires"
    )
    assert (
        handed.database_url == f"sqlite:///{tmp_path / 'x.sqlite'}"
        and handed.data_dir == (tmp_path / "data").resolve()
    )
    assert env["DWP_DATA_DIR"] == str((tmp_path / "data").resolve())  # drafts
    assert "--host=127.0.0.1" in server.server_command(8866)  # this computer only
