"""dwp-assess: self-assessment rounds on data competences and data-strategy readiness.

Built for the Datawerkplaats (Utrecht University with Dutch municipalities and
provinces). See README.md for the two commands and docs/architecture.md for the layers and
what each module holds.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dwp-assess")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
