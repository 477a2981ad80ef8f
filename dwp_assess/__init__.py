"""dwp-assess: self-assessment rounds on data competences and data-strategy readiness.

Built for the Datawerkplaats (Utrecht University with Dutch municipalities and
provinces). See README.md for the two commands and docs/architecture.md for the layers and
what each module holds.
"""

import hashlib
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("dwp-assess")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"


def folder_digest(folder: Path) -> str:
    """A digest of every file under ``folder`` (names and bytes, byte-compiled caches aside)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def build_digest() -> str:
    """The package version and a digest of the package's own files (code, templates, message
    catalogue, notebooks, instruments). Cached analyses and up-to-date reports are keyed on it,
    so any change to what makes them (an editable install between two releases, too) makes
    them again; the version number alone changes only with a release."""
    return f"{__version__}+{folder_digest(Path(__file__).parent)}"
