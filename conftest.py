"""Root of the test suite: gives the notebooks (run by nbval) a store with the sample rounds.

Notebooks use their default parameters, which read ``DWP_DATABASE_URL``; it must
point at a loaded store before nbval starts their kernels, so this happens once
per test process, and only when notebooks were collected.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path


def pytest_collection_modifyitems(session, config, items):
    if not any(str(item.fspath).endswith(".ipynb") for item in items):
        return
    from dwp_assess.data import store
    from dwp_assess.demo import load_sample

    folder = Path(tempfile.mkdtemp(prefix="dwp-nb-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    url = f"sqlite:///{folder / 'dwp.sqlite'}"
    load_sample(store.connect(url))
    os.environ["DWP_DATABASE_URL"] = url
