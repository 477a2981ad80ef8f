"""Collection: ``collect`` serves the form, ``invite`` makes its links, ``session`` serves a
workshop's live view, ``export-form`` writes an instrument as an XLSForm."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dwp_assess.cli.app import app, console, fail
from dwp_assess.cli.settings import engine, engine_if_project, state


@app.command()
def collect(
    round_id: Annotated[str, typer.Option("--round", help="Round whose form to serve.")],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8866,
    host: Annotated[
        str, typer.Option(help="Address to listen on (a reverse proxy's upstream).")
    ] = "127.0.0.1",
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Public address behind a reverse proxy, e.g. https://vragenlijst.example.nl/dwp/.",
        ),
    ] = None,
) -> None:
    """Serve the questionnaire form and print the invitation links to share."""
    from dwp_assess.collect.server import serve

    serve(
        engine(),
        round_id,
        port,
        state.db,
        echo=lambda line: console.print(line, highlight=False, markup=False, soft_wrap=True),
        host=host,
        url=base_url,
    )


@app.command()
def invite(
    round_id: Annotated[str, typer.Option("--round", help="Round the links are for.")],
    per_person: Annotated[
        int,
        typer.Option(
            "--per-person",
            min=0,
            help="New personal links (one response each) per team or organisation.",
        ),
    ] = 0,
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Write the links (shared, or the new personal ones) to this CSV for a mail merge.",
        ),
    ] = None,
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url", help="Address respondents open (the form server's or its proxy's)."
        ),
    ] = "http://127.0.0.1:8866/",
    revoke: Annotated[
        list[str] | None,
        typer.Option(help="Revoke this token (repeatable): its link opens nothing any more."),
    ] = None,
) -> None:
    """Make, export or revoke the invitation links of a round's form."""
    from dwp_assess.collect import server
    from dwp_assess.data import invitations, store
    from dwp_assess.instruments.messages import t

    eng = engine()
    store.get_round(eng, round_id)  # an unknown round: one line
    for token in revoke or []:
        if not invitations.revoke(eng, token):
            fail(t("collect.invite_unknown", "en", token=token))
        console.print(t("collect.invite_revoked", "en", token=token), highlight=False)
    if not (per_person or csv_path or revoke):
        fail(t("collect.invite_nothing", "en"))
    if not (per_person or csv_path):
        return
    url = server.public_url(base_url)
    found = (
        server.personal_links(eng, round_id, url, per_person)
        if per_person
        else server.links(eng, round_id, url)
    )
    if csv_path:
        path = server.write_links_csv(csv_path, found)
        console.print(
            t("collect.invite_written", "en", n=len(found), path=path),
            highlight=False,
            soft_wrap=True,
        )
    else:
        for link in found:
            unit = link.team_name or link.collaboration_title
            console.print(
                f"  {link.organisation_name}{f' / {unit}' if unit else ''}: {link.form_url}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


@app.command()
def session(
    round_id: Annotated[
        str, typer.Option("--round", help="Round of an instrument with an agreements list.")
    ],
    team: Annotated[str, typer.Option(help="Team id (registry) whose workshop this is.")],
    port: Annotated[int, typer.Option(help="Port on localhost.")] = 8867,
    refresh: Annotated[int, typer.Option(min=2, help="Seconds between refreshes.")] = 10,
) -> None:
    """Serve the facilitator's live view of one team's answers (counts only) during its workshop."""
    from dwp_assess.collect.session import serve

    serve(
        engine(),
        round_id,
        team,
        port,
        state.db,
        refresh,
        echo=lambda line: console.print(line, highlight=False, markup=False, soft_wrap=True),
    )


@app.command("export-form")
def export_form(
    instrument: Annotated[str, typer.Option(help="Instrument id, e.g. data-strategy.")],
    fmt: Annotated[str, typer.Option("--format", help="Form format: xlsform.")] = "xlsform",
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: ID-vN.xlsform.xlsx).")
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="Instrument version (default: newest).")
    ] = None,
) -> None:
    """Write an instrument as a form for survey tools (XLSForm: KoboToolbox, ODK)."""
    from dwp_assess.collect.xlsform import write_xlsform
    from dwp_assess.instruments.loading import get_instrument

    if fmt != "xlsform":
        raise ValueError(f"unknown form format '{fmt}'; supported: xlsform")
    path = write_xlsform(get_instrument(instrument, version), out, engine_if_project())
    console.print(f"written: {path}", highlight=False)
