"""The sections that close every document: the answers to open questions, how scores
are made (methods), provenance and the colophon."""

from __future__ import annotations

import pandas as pd

from dwp_assess import __version__, project
from dwp_assess.analysis.formatting import grouped_texts
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument
from dwp_assess.locale import number, percent
from dwp_assess.reports.sections.common import Html, _section, round_subtitle


def free_text(view_free_text: pd.DataFrame, instrument: Instrument, lang: str) -> Html:
    """Answers to open questions that the instrument allows in reports, identical ones once
    with their count, as written (in the respondent's language, also in an English report:
    the lead says so); escaped, never executed."""
    if view_free_text.empty:
        return Html("")
    questions = []
    for item_id, group in view_free_text.groupby("item_id"):
        question = next(f for f in instrument.free_text if f.id == item_id)
        quotes = [
            {"text": text, "times": t("report.times", lang, n=n) if n > 1 else ""}
            for text, n in grouped_texts(group["text"])
        ]
        questions.append({"text": question.text.get(lang), "quotes": quotes})
    return _section(
        "free_text",
        title=t("report.free_text", lang),
        intro=t("report.free_text_intro", lang),
        questions=questions,
    )


def methods(
    instrument: Instrument,
    lang: str,
    agreement: pd.DataFrame | None = None,
    icc: pd.DataFrame | None = None,
) -> Html:
    """How scores are made, and the agreement figures behind the words: rwg(J) of this
    organisation or team, the rwg of its levels when ``agreement`` has them
    (``OrganisationView.agreement_bands``: the word is the weaker of the two, as the response
    section prints it) and, for organisations, ICC(1) and ICC(2) of the round."""
    share = percent(instrument.scoring.min_answered_share, lang)
    values = {
        "title": t("report.methods", lang),
        "text": t("report.methods_text", lang, share=share),
        "rows": [],
    }
    if agreement is not None and len(agreement):
        own = agreement.set_index("dimension_id")["rwg_j"]
        levels = (
            agreement.set_index("dimension_id")["rwg_levels"] if "rwg_levels" in agreement else None
        )
        rounds = icc.set_index("dimension_id") if icc is not None and len(icc) else pd.DataFrame()
        values["header"] = (
            [t("report.dimension", lang), "rwg(J)"]
            + ([t("report.methods_rwg_levels", lang)] if levels is not None else [])
            + (["ICC(1)", "ICC(2)"] if len(rounds) else [])
        )
        for dim in instrument.dimensions:
            row = [dim.label.get(lang), number(own.get(dim.id), 2, lang)]
            if levels is not None:
                row.append(number(levels.get(dim.id), 2, lang))
            if len(rounds):
                row += [
                    number(rounds["icc1"].get(dim.id), 2, lang),
                    number(rounds["icc2"].get(dim.id), 2, lang),
                ]
            values["rows"].append(row)
        text = t("report.methods_agreement", lang)
        if icc is not None:  # organisation reports word agreement with the level distribution too
            text += " " + t("report.methods_agreement_levels", lang)
        if len(rounds):
            text += " " + t("report.methods_icc", lang, groups=int(rounds["groups"].max()))
        values["agreement_text"] = text
    if icc is not None:  # an organisation report: its agenda and its similar-profile section
        values["text"] += (
            " "
            + t("report.methods_dispersion", lang)
            + " "
            + t("report.methods_profile", lang)
            + " "
            + t("report.methods_change", lang)
        )
    return _section("methods", **values)


def written_date(moment: pd.Timestamp, lang: str) -> str:
    """A date as a reader of ``lang`` reads it without doubt, the month in words and kept on
    one line: "7 december 2026", "7 December 2026" (never "07-12-2026", which an English reader
    takes for 12 July, and which a printed line broke at its hyphen)."""
    words = t(
        "common.date",
        lang,
        day=moment.day,
        month=t(f"common.month_{moment.month}", lang),
        year=moment.year,
    )
    return words.replace(" ", "\u00a0")


def provenance(meta: dict, parameters: dict, lang: str) -> Html:
    """One readable sentence (which questionnaire version, which data, when, which dwp-assess),
    with the technical details (hashes, parameters) folded away for whoever checks them."""
    generated = pd.Timestamp.now(tz="UTC")
    computed = pd.Timestamp(meta["computed_at"]) if meta.get("computed_at") else generated
    sentence = t(
        "report.provenance_sentence",
        lang,
        version=meta["instrument_version"],
        period=meta.get("period", ""),
        computed=written_date(computed, lang),
        generated=written_date(generated, lang),
        package=__version__,
    )
    values = {
        "instrument": f"{meta['instrument_id']} v{meta['instrument_version']}",
        "instrument_hash": meta.get("instrument_hash", ""),
        "snapshot": meta.get("snapshot_hash", ""),
        "package": __version__,
        "parameters": ", ".join(
            f"{k} = {v}" for k, v in sorted(parameters.items()) if v is not None
        ),
        "computed_at": meta.get("computed_at", ""),
        "generated_at": generated.isoformat(timespec="seconds"),
    }
    rows = [[t(f"report.provenance.{key}", lang), value] for key, value in values.items()]
    return _section(
        "provenance",
        title=t("report.provenance", lang),
        sentence=sentence,
        details=t("report.provenance_details", lang),
        rows=rows,
    )


def colophon_rows(
    meta: dict,
    name: str,
    instrument: Instrument,
    lang: str,
    sender: str = project.DEFAULT_SENDER,
    contact: str = "",
    team: str = "",
    collaboration: str = "",
) -> list[tuple[str, str]]:
    """(label, value) of a document's colophon: whom it is about (the collaboration and its
    parties, or the organisation and its team, or the organisation: ``name`` is the
    organisation, or a collaboration's parties), round, date made, sender and contact
    (``dwp.toml``; the Datawerkplaats by default), and the versions of the questionnaire and
    of dwp-assess. A row left empty (no contact, no team) is left out."""
    rows = [
        ("collaboration", collaboration),
        ("parties" if collaboration else "organisation", name),
        ("team", team),
        ("round", round_subtitle(meta, instrument, lang)),
        ("made", written_date(pd.Timestamp.now(tz="UTC"), lang)),
        ("sender", sender or project.DEFAULT_SENDER),
        ("contact", contact),
        (
            "versions",
            t(
                "report.colophon_versions",
                lang,
                instrument=instrument.title.get(lang),
                version=meta.get("instrument_version", instrument.version),
                package=__version__,
            ),
        ),
    ]
    return [(t(f"report.colophon.{key}", lang), value) for key, value in rows if value]


def colophon(
    meta: dict,
    name: str,
    instrument: Instrument,
    lang: str,
    sender: str = project.DEFAULT_SENDER,
    contact: str = "",
    team: str = "",
    collaboration: str = "",
) -> Html:
    """The colophon that closes every document (``colophon_rows``)."""
    return _section(
        "colophon",
        title=t("report.colophon", lang),
        rows=colophon_rows(meta, name, instrument, lang, sender, contact, team, collaboration),
    )
