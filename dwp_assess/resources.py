"""Files the package ships: instruments, recommendation rules, notebook templates, sample data.

They live inside the package (``dwp_assess/questionnaires``, ``notebooks``, ``sample_data``;
the repository's top-level folders of the same names point there), so an installed
``dwp-assess`` has them wherever it runs. Read through ``importlib.resources``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def packaged(*parts: str) -> Path:
    """The packaged file or folder ``parts`` (the package is installed as plain files)."""
    return Path(str(files("dwp_assess").joinpath(*parts)))


QUESTIONNAIRES = packaged("questionnaires")
NOTEBOOKS = packaged("notebooks")
SAMPLE_DATA = packaged("sample_data")
