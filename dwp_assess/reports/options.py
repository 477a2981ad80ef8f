"""What one run of report making is asked to do: ``ReportOptions``, the one object the command
line, the demo, tests and benchmarks hand to ``reports.run.generate_reports``.

The project (folders, store, colophon defaults) is not an option: it is the ``Settings`` the
entry point resolved. Options are checked when they are made (languages, executor), so a
mistake is said before anything is analysed or made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dwp_assess.locale import LANGUAGES

EXECUTORS = ("local", "dask")  # reports.executing: local processes (or here), a dask cluster


@dataclass(frozen=True)
class ReportOptions:
    """The reports of one round to make, and how.

    ``units``: the organisations, teams or collaborations to report on (``None``: all; check
    them first with ``reports.units.choose_units``). ``lang``: one language or several
    (``"nl,en"``): each report is made in each, side by side (``gouda.html``,
    ``gouda.en.html``), with an index per language. ``pdf``: also print A4 PDFs.
    ``jobs``: reports made at once; ``executor``: ``local`` (processes on this machine) or
    ``dask`` (a cluster at ``scheduler``, else a local one; see docs/scaling.md).
    ``force``: make up-to-date reports again; ``retry_failed``: make only those that failed.
    ``synthetic``: mark the reports as made from synthetic data (a round the store records as
    synthetic always is). ``previous_round_id``: the round to compare with (default: the
    instrument's round before). ``bundle``: also write one zip per organisation of the chosen
    units (bundles already there are kept current too). ``colophon``: the sender and contact
    (default: the project's)."""

    round_id: str
    out_dir: Path | None = None  # the reports folder (default: the project's)
    units: list[str] | None = None
    lang: str | list[str] | tuple[str, ...] = "nl"
    pdf: bool = False
    jobs: int = 1
    executor: str = "local"
    scheduler: str | None = None
    force: bool = False
    retry_failed: bool = False
    synthetic: bool = False
    previous_round_id: str | None = None
    bundle: bool = False
    colophon: dict | None = None
    languages: list[str] = field(init=False)  # ``lang`` parsed: the languages to make

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", parse_languages(self.lang))
        if self.executor not in EXECUTORS:
            raise ValueError(
                f"unknown executor '{self.executor}': choose from {', '.join(EXECUTORS)}"
            )

    @property
    def distributed(self) -> bool:
        """Jobs run on a dask cluster, whose workers may share no folder with this machine."""
        return self.executor == "dask"


def parse_languages(lang: str | list[str] | tuple[str, ...]) -> list[str]:
    """``"nl,en"`` or ``["nl", "en"]`` as a list without repeats; an unknown language is an
    error naming the ones there are."""
    langs = list(
        dict.fromkeys(
            x.strip() for x in (lang.split(",") if isinstance(lang, str) else lang) if x.strip()
        )
    )
    unknown = [x for x in langs if x not in LANGUAGES]
    if unknown or not langs:
        raise ValueError(
            f"unknown language(s) {', '.join(unknown) or '(none)'}: choose from {', '.join(LANGUAGES)}, e.g. --lang nl,en"
        )
    return langs
