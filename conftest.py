"""Root of the test suite: gives the notebooks (run by nbval) a store with the sample rounds.

Notebooks use their default parameters, which read the project's store; ``DWP_PROJECT``
must point at a project with a loaded store when nbval starts their kernels. The store is
loaded once per test process, and only when notebooks were collected; the variable is set
again before every notebook item, because the tests' own session project (tests/conftest.py)
replaces it while tests run in the same process.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The report templates name no round, organisation or team in their defaults (on purpose: a
# default would put another organisation in every executed notebook), so nbval has nothing to
# run them with; tests/test_reports.py, test_data_sharing.py and test_digital_governance.py execute them
# with parameters instead. The facilitator's session page needs a round and team too: it is tested as a
# served Voilà page in Chromium (tests/test_session_browser.py).
collect_ignore = [
    "dwp_assess/notebooks/organisation_report.ipynb",
    "dwp_assess/notebooks/team_report.ipynb",
    "dwp_assess/notebooks/collaboration_plan.ipynb",
    "dwp_assess/notebooks/agreements_report.ipynb",
    "dwp_assess/notebooks/session.ipynb",
]


def pytest_collection_modifyitems(session, config, items):
    if not any(str(item.fspath).endswith(".ipynb") for item in items):
        return
    from dwp_assess import project
    from dwp_assess.data import store
    from dwp_assess.demo import load_sample

    folder = Path(tempfile.mkdtemp(prefix="dwp-nb-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    settings = project.create(folder / "project", owner="Testgemeente")
    load_sample(store.connect(settings.database_url))
    NOTEBOOK_ENV.update({project.PROJECT_ENV: str(settings.root), "DWP_DATA_DIR": str(settings.data_dir)})  # fmt: skip


NOTEBOOK_ENV: dict[str, str] = {}  # the notebooks' project, set at collection


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Point a notebook's kernel at the loaded sample project (and no other store)."""
    if str(item.fspath).endswith(".ipynb") and NOTEBOOK_ENV:
        os.environ.pop("DWP_DATABASE_URL", None)
        os.environ.update(NOTEBOOK_ENV)
