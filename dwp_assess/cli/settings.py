"""The project of a command, resolved once by the top-level callback: ``--project``, else
``DWP_PROJECT``, else the nearest ``dwp.toml`` upwards, with ``--db`` over its store;
the commands take its settings and store from here."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dwp_assess import project


class State:
    """Options shared by all commands (set by the top-level callback), and the project's
    settings as the callback resolved them (or why there are none)."""

    db: str | None = None
    debug: bool = False
    settings: project.Settings | None = None
    problem: project.ProjectError | None = None


state = State()


def resolve(project_dir: Path | None, db: str | None) -> project.Settings | None:
    """The project's settings, resolved once for the command: ``--project``, else
    ``DWP_PROJECT``, else the nearest ``dwp.toml`` upwards, with ``--db`` over its store.
    A project that cannot be used is kept as the error of the commands that need one."""
    state.problem = None
    try:
        found = project.current(given=project_dir.expanduser() if project_dir else None)
    except project.ProjectError as exc:
        state.problem, found = exc, None
    return replace(found, database_url=db) if found and db else found


def use_project(settings_: project.Settings | None) -> None:
    """Make ``settings_`` the project of this command: every layer below, report workers and
    kernels and the form server get them from here (``project.activate``)."""
    state.settings = project.activate(settings_)


def settings() -> project.Settings:
    """The project's settings; one clear error outside a project."""
    if state.settings is None:
        raise state.problem or project.ProjectError(
            f"no dwp-assess project in {Path.cwd()} or above (no {project.PROJECT_FILE}); make one "
            "with `dwp-assess init DIR`, or point to one with --project DIR / DWP_PROJECT"
        )
    return state.settings


def engine():
    """The store selected by ``--db`` / ``DWP_DATABASE_URL`` / the project's ``dwp.toml``;
    also with ``--db`` a command works in a project (its data and reports folders)."""
    from dwp_assess.data import store

    return store.connect(settings().database_url)


def engine_if_project():
    """The store when there is a project (or ``--db``), else ``None``: for commands that need none."""
    from dwp_assess.data import store

    if state.problem:
        raise state.problem
    return store.connect(state.db) if state.db else (engine() if state.settings else None)
