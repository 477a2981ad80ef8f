"""The words a manager reads (issue #26, the language pass): plain words without statistics
jargon outside the Verantwoording, figures that never contradict the word beside them, no
sentence said twice and no count of nought ("op 0 van de 9"), on rounds generated with a seed
of their own, for every organisation, in Dutch and English.
"""

from __future__ import annotations

import html as html_lib
import re

import pandas as pd
import pytest

from dwp_assess.analysis.profiles import organisation_view
from dwp_assess.analysis.rater_agreement import words_for_agreement
from dwp_assess.instruments.messages import t
from dwp_assess.locale import number
from dwp_assess.reports import summary
from dwp_assess.reports.sections import advice, change, closing, organisation
from tests.generated_rounds import (
    analysed_with_previous,
    answers_with_respondents,
    data_strategy_rounds,
)

SEED = 4711  # neither the sample's seed nor another test's
# Names of statistics a manager need not know; the Verantwoording names and explains them.
JARGON = re.compile(
    r"rwg|\bICC|Leik|latent|\bBIC\b|Benjamini|Cronbach|betrouwbaarheidsinterval|"
    r"confidence interval|\bkans\b|probability|p-waarde|p-value",
    re.IGNORECASE,
)
LANGS = ("nl", "en")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
]  # the round analysed once, with bootstrap intervals


@pytest.fixture(scope="module")
def views():
    """Every organisation of a generated 2026 round (version 2, levels chosen), compared
    with the generated 2025 round (version 1)."""
    registry, before, after = data_strategy_rounds(SEED)
    analysis = analysed_with_previous(registry, before, after, answers_with_respondents(before))
    chosen = sorted(set(analysis.scores["organisation_id"]))
    return analysis.instrument, [organisation_view(analysis, o) for o in chosen]


def _text(markup) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(markup)))).strip()


def _manager_sections(view, instrument, lang: str) -> dict[str, str]:
    """What a manager reads in the report, as the report notebook puts it together, except
    the Verantwoording (methods) and the technical provenance."""
    return {
        "summary": organisation.summary(view, instrument, lang),
        "comparison": organisation.comparison(view, instrument, lang),
        "roles": organisation.roles(view, instrument, lang),
        "per_dimension": organisation.per_dimension(view, instrument, lang),
        "agenda": organisation.agenda(view, instrument, lang),
        "change": change.change(view, instrument, lang),
        "response": organisation.response_and_reliability(view, instrument, lang),
        "recommendations": advice.recommendations(view, instrument, lang),
        "management summary": summary.summary_html(view, instrument, lang),
    }


def _visible(markup) -> str:
    """The text of a page, without its scripts, styles and the charts' data."""
    return _text(re.sub(r"<(script|style)\b.*?</\1>", " ", str(markup), flags=re.S))


def test_what_a_manager_reads_names_no_statistic(views):
    """ "rwg(J)", "Leiks spreiding D", "latente-profielanalyse" or "95%-betrouwbaarheidsinterval"
    only in the Verantwoording, which explains them."""
    instrument, found = views
    jargon = {}
    for view in found:
        for lang in LANGS:
            for name, markup in _manager_sections(view, instrument, lang).items():
                hits = JARGON.findall(_visible(markup))
                if hits:
                    jargon[(view.organisation["name"], lang, name)] = sorted(set(hits))
    assert jargon == {}
    methods = _text(
        closing.methods(instrument, "nl", found[0].agreement, found[0].mean_reliability)
    )
    assert "rwg(J)" in methods and "Leik" in methods  # kept where they are explained


AGREEMENT = re.compile(
    r'<span class="dwp-agreement" title="([^"]*)">([^<]*)</span><span class="dwp-print-only"> \(([^)]*)\)</span>'
)


def test_an_agreement_figure_lies_in_the_band_of_its_word(views):
    """The figure in brackets is the one that decided the word (the weaker of the
    statements and the levels), so "verdeeld" never stands beside 0,84; only the agenda's cap
    ("at most wisselend") may make the word weaker than its figure."""
    instrument, found = views
    checked, wrong = 0, []
    for view in found:
        bands = view.agreement_bands().set_index("dimension_id")
        for lang in LANGS:
            labels = {d.label.get(lang): d.id for d in instrument.dimensions}
            section = str(organisation.response_and_reliability(view, instrument, lang))
            rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", section)
            for label, cell in rows:
                found_cell = AGREEMENT.search(cell)
                if not found_cell:
                    continue
                hover, word, figure = found_cell.groups()
                assert hover == figure  # the same number on screen and on paper
                value = float(figure.replace(",", "."))  # rounded to two digits: either side
                expected = set(
                    words_for_agreement(pd.Series([value - 0.005, value + 0.005]).clip(0, 1), lang)[
                        "word"
                    ]
                )
                capped = t("agreement.word.mixed", lang)
                dimension = labels.get(html_lib.unescape(label))
                on_agenda = dimension is not None and bool(bands.loc[dimension, "on_agenda"])
                if word not in expected and not (on_agenda and word == capped):
                    wrong.append((view.organisation["name"], lang, label, word, figure))
                checked += 1
    assert checked >= 9 * 2 * len(found) * 0.9 and wrong == []
    # the Verantwoording shows both figures the word is made from, the weaker one printed
    view = found[0]
    methods = str(closing.methods(instrument, "nl", view.agreement_bands(), view.mean_reliability))
    assert t("report.methods_rwg_levels", "nl") in methods
    bands = view.agreement_bands()
    for row in bands.dropna(subset=["rwg_j", "rwg_levels"]).itertuples():
        shown = number(min(max(min(row.rwg_j, row.rwg_levels), 0), 1), 2, "nl")
        assert f"({shown})" in str(organisation.response_and_reliability(view, instrument, "nl"))


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 20]


def test_the_summary_says_no_sentence_twice_and_counts_no_nought(views):
    """Page 1 says the change and the position in words; nothing later repeats it, and a
    count of none is said in words ("op geen enkele dimensie", not "op 0 van de 9")."""
    instrument, found = views
    repeated, nought = {}, {}
    for view in found:
        for lang in LANGS:
            page = summary.summary_html(view, instrument, lang)
            paragraphs = [_text(p) for p in re.findall(r"<p\b[^>]*>(.*?)</p>", page, re.S)]
            sentences = [s for p in paragraphs for s in _sentences(p)]
            twice = {s for s in sentences if sentences.count(s) > 1}
            if twice:
                repeated[(view.organisation["name"], lang)] = twice
            zero = re.findall(r"\b[Oo]p 0 van de|\b[Oo]n 0 of the", " ".join(paragraphs))
            if zero:
                nought[(view.organisation["name"], lang)] = zero
    assert repeated == {} and nought == {}
