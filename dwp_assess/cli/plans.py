"""Improvement plans: ``plan draft`` from a report's advice, ``plan import`` of a filled-in
plan, ``plan show`` of the stored one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dwp_assess import ids
from dwp_assess.cli.app import app, console, err_console, fail
from dwp_assess.cli.settings import engine, settings

plan_app = typer.Typer(
    help="Improvement plans (verbeterplannen): draft from a report's advice, import, show.",
    no_args_is_help=True,
)
app.add_typer(plan_app, name="plan")
RoundOption = Annotated[
    str, typer.Option("--round", help="The round whose advice the plan answers.")
]
OrgOption = Annotated[str, typer.Option("--org", help="Organisation id (as in the registry).")]


@plan_app.command("draft")
def plan_draft(
    round_id: RoundOption,
    org: OrgOption,
    out: Annotated[
        Path | None, typer.Option(help="Folder (default: reports/plans/<round>).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option(help="nl or en (default: the project's language).")
    ] = None,
) -> None:
    """Write an organisation's draft improvement plan (XLSX and CSV) with the actions its report
    proposes and columns to fill in: adopted (ja/nee), owner name, due date, status."""
    from dwp_assess.analysis.plan_follow_up import draft_rows
    from dwp_assess.analysis.privacy import min_group_size
    from dwp_assess.analysis.profiles import organisation_view
    from dwp_assess.analysis.round_lookup import previous_round
    from dwp_assess.data import store
    from dwp_assess.data.plan_files import record_draft, write_draft
    from dwp_assess.instruments.loading import get_instrument
    from dwp_assess.reports.cache import cached_analysis
    from dwp_assess.reports.unit_choice import choose_units

    eng = engine()
    choose_units(eng, round_id, [org], None)
    info = store.get_round(eng, round_id)
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    analysis, _ = cached_analysis(
        eng, round_id, previous_round(eng, round_id), min_group_size(instrument)
    )
    view = organisation_view(analysis, org)
    lang = lang or settings().language
    folder = out or ids.output_path(settings().reports_dir / "plans", round_id)
    organisation = {"id": org, "name": str(view.organisation["name"])}
    rows = draft_rows(view, instrument, lang)
    xlsx, csv_file = write_draft(rows, organisation, info.period, folder, lang)
    record_draft(eng, round_id, org, rows["action_id"])  # the import accepts these actions only
    console.print(f"draft plan written: {xlsx} and {csv_file}", highlight=False, soft_wrap=True)


@plan_app.command("import")
def plan_import(
    file: Annotated[Path, typer.Argument(help="The filled-in draft (.xlsx or .csv).")],
    round_id: RoundOption,
    org: OrgOption,
) -> None:
    """Check a filled-in plan and store it as the organisation's next plan version; a file with
    problems is refused whole, each problem named with its row and column. The file is not changed."""
    from dwp_assess.analysis.plan_follow_up import known_actions
    from dwp_assess.data import store
    from dwp_assess.data.plan_files import PlanError, import_plan
    from dwp_assess.instruments.loading import get_instrument

    eng = engine()
    info = store.get_round(eng, round_id)
    known = known_actions(get_instrument(info.instrument_id, info.instrument_version))
    try:
        result = import_plan(eng, file, round_id, org, known)
    except PlanError as exc:
        for problem in exc.problems:
            err_console.print(problem, highlight=False, markup=False, soft_wrap=True)
        fail(f"{len(exc.problems)} problem(s) in {file.name}: the plan was not stored")
    if result.unchanged:
        console.print(
            f"{org}, round {round_id}: unchanged, same as stored version {result.version}",
            highlight=False,
        )
    else:
        console.print(
            f"{org}, round {round_id}: plan version {result.version} stored, {result.adopted} of {result.actions} action(s) adopted",
            highlight=False,
        )


@plan_app.command("show")
def plan_show(
    round_id: RoundOption,
    org: OrgOption,
    lang: Annotated[
        str | None, typer.Option(help="nl or en (default: the project's language).")
    ] = None,
) -> None:
    """Show the latest stored plan of an organisation for a round, and its versions, in the
    plan's language: column names, dimensions, yes/no and status as the draft has them."""
    import pandas as pd

    from dwp_assess.data import store
    from dwp_assess.data.plan_files import header, load_plans, plan_versions
    from dwp_assess.instruments.loading import get_instrument
    from dwp_assess.instruments.messages import t

    eng = engine()
    info = store.get_round(eng, round_id)
    lang = lang or settings().language
    actions = load_plans(eng, round_id, org)
    if actions.empty:
        fail(f"no plan of {org} for round {round_id}; import one with `dwp-assess plan import`")
    versions = plan_versions(eng, round_id, org)
    dimensions = {
        d.id: d.label.get(lang)
        for d in get_instrument(info.instrument_id, info.instrument_version).dimensions
    }
    columns = ("action_id", "dimension", "adopted", "owner_name", "due_date", "status")
    console.print(
        f"{org}, round {round_id}: plan version {int(actions['plan_version'].iloc[0])} of {len(versions)}",
        highlight=False,
        markup=False,
    )
    for r in actions.itertuples():  # one block per action: readable at any terminal width
        values = (
            r.action_id,
            dimensions.get(r.dimension_id, r.dimension_id),
            t("common.yes" if r.adopted else "common.no", lang),
            r.owner_name,
            r.due_date,
            t(f"plan.status.{r.status}", lang),
        )
        for n, (column, value) in enumerate(zip(columns, values, strict=True)):
            text = "" if value is None or pd.isna(value) else str(value)
            console.print(
                f"{'-' if n == 0 else ' '} {header(column, lang)}: {text}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
