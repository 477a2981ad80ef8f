"""What an import and a report run did, printed for the person at the terminal: shared by
``import``, ``report`` and ``demo`` (a module without commands, so that no command module
imports another and ``main`` alone decides the order ``--help`` lists the commands in)."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from dwp_assess.cli.app import console


def print_import_summary(summary) -> None:
    """One table row per file: read, blank, stored, already present, quarantined, and why;
    the file's import batch."""
    table = Table("file", "format", "read", "blank", "stored", "already present", "quarantined")
    table.add_row(
        escape(summary.file.name),
        summary.format,
        str(summary.rows_read),
        str(summary.blank),
        str(summary.stored),
        str(summary.already_present),
        str(summary.quarantined),
    )
    console.print(table)
    console.print(
        f"  import batch {summary.batch_id} (undo: dwp-assess import --undo {summary.batch_id})",
        markup=False,
        highlight=False,
    )
    for reason, count in summary.reasons.most_common():
        console.print(f"  quarantined ({count}×): {reason}", highlight=False, markup=False)
    for warning in summary.warnings:  # stored all the same; said here, once, with the file
        console.print(f"  warning: {warning}", highlight=False, markup=False)
    if summary.quarantine_csv:
        console.print(
            f"  quarantined rows with reasons: {summary.quarantine_csv}",
            highlight=False,
            markup=False,
        )


def print_report_summary(summary) -> None:
    indexes = " and ".join(str(p) for p in (summary.indexes or {"": summary.index}).values())
    printed = f" ({summary.printed} printed to PDF now)" if summary.printed else ""
    console.print(
        f"{summary.round_id}: {summary.ok} made, {summary.skipped} up to date{printed}, {summary.failed} failed "
        f"→ open {indexes} (for you, not for distribution; executed notebooks in {summary.notebooks})",
        highlight=False,
        soft_wrap=True,
    )


def print_replaced_and_removed(summary) -> None:
    """The files the run made again in place, and those it removed (older data, units gone)."""
    for label, paths in (("replaced", summary.replaced), ("removed", summary.removed)):
        if paths:
            names = ", ".join(
                sorted(
                    p.relative_to(p.parent.parent).as_posix()
                    if p.parent.name == "bundles"
                    else p.name
                    for p in paths
                )
            )
            console.print(
                f"{label} ({len(paths)}): {names}", highlight=False, markup=False, soft_wrap=True
            )
    if summary.removed:
        console.print(
            "removed files were made from older data or rules, or belong to units no longer in the round; "
            "make them again with --lang / --pdf / --bundle",
            highlight=False,
            soft_wrap=True,
        )


def print_bundle_summary(bundles) -> None:
    """Where the bundles are, and which organisations got none because a report is not ready."""
    if bundles is None:
        return
    if bundles.written:
        folder = next(iter(bundles.written.values())).parent
        console.print(
            f"{len(bundles.written)} bundle(s) ready to send, one per organisation: {folder}",
            highlight=False,
            soft_wrap=True,
        )
    for organisation, units in bundles.withheld.items():
        console.print(
            f"  no bundle for {organisation}: report(s) not made: {', '.join(units)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
