"""Fixtures shared by the whole suite: a throwaway project, instruments and stores.

Every test runs with a project made for the test session: it is the active project of the
test process (``project.activate``, as the command line makes it), and ``DWP_PROJECT``
for commands run as subprocesses, so nothing looks for a project in the checkout; every
test that needs a database gets its own SQLite file in ``tmp_path``. Tests of how a
project is found unset both (``tests/test_own_project.py``).
"""

from __future__ import annotations

import pytest

from dwp_assess import project
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument


@pytest.fixture(scope="session", autouse=True)
def project_dir(tmp_path_factory):
    """A project folder for the whole session (per xdist worker), set as ``DWP_PROJECT``
    before any fixture of a narrower scope runs (a module's demo store included), with a
    data folder of its own; a developer's DWP_DATABASE_URL is kept away."""
    root = project.create(tmp_path_factory.mktemp("project"), owner="Testgemeente").root
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DWP_DATABASE_URL", raising=False)
        patch.setenv(project.PROJECT_ENV, str(root))
        patch.setenv("DWP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data"))
        project.activate(project.load(root))
        yield root
    project.activate(None)


@pytest.fixture(autouse=True)
def _isolated_project(monkeypatch, project_dir, tmp_path_factory):
    """Each test starts from the session's settings, whatever an earlier test changed."""
    monkeypatch.delenv("DWP_DATABASE_URL", raising=False)
    monkeypatch.setenv(project.PROJECT_ENV, str(project_dir))
    monkeypatch.setenv("DWP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data"))
    project.activate(project.load(project_dir))


# Version 1 of both instruments: the suite's tests were written for it, and its rounds stay in
# use; tests/test_instruments_v2.py covers what version 2 adds.
@pytest.fixture(scope="session")
def data_strategy():
    return get_instrument("data-strategy", 1)


@pytest.fixture(scope="session")
def competences():
    return get_instrument("competences", 1)


@pytest.fixture(scope="session")
def data_strategy_v2():
    return get_instrument("data-strategy", 2)


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dwp.sqlite'}"


@pytest.fixture
def engine(sqlite_url):
    eng = store.connect(sqlite_url)
    yield eng
    eng.dispose()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium (``playwright install`` cannot download browsers here).

    The flags keep Chromium from calling home, which this machine's closed network refuses.
    """
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def use_template(monkeypatch):
    """Replace the maturity report's notebook for one test: ``use_template(path)``."""
    from dataclasses import replace

    from dwp_assess.reports.outputs import OUTPUTS

    def use(path):
        monkeypatch.setitem(OUTPUTS, "maturity-report", replace(OUTPUTS["maturity-report"], template=path))  # fmt: skip

    return use
