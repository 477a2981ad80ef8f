"""The index's count line says what its rows say: an outdated report is not counted as done."""

from __future__ import annotations

import re

from dwp_assess.reports.index import write_index


def entry(unit: str, key: str, status: str = "ok") -> dict:
    return {"status": status, "key": key, "lang": "nl", "title": unit, "organisation_name": unit}


def test_outdated_and_failed_reports_are_counted_apart_from_done_ones(tmp_path):
    manifest = {
        "gouda": entry("Gouda", "k-new"),
        "almere": entry("Almere", "k-old"),
        "woerden": entry("Woerden", "k-old"),
        "zuidplas": entry("Zuidplas", "k-new", status="failed") | {"error": "kernel died"},
    }
    current = {"gouda": "k-new", "almere": "k-new", "woerden": "k-new", "zuidplas": "k-new"}
    page = write_index(
        tmp_path, "ds-2031", manifest, set(), "nl", "Data-strategie", current=current
    )
    text = page.read_text(encoding="utf-8")
    assert "1 klaar, 2 verouderd, 1 mislukt" in text
    assert "4/4" not in text and "3/4" not in text


def test_english_counts_and_reports_made_earlier_that_are_current(tmp_path):
    manifest = {
        "gouda": entry("Gouda", "k") | {"lang": "en"},
        "ede": entry("Ede", "k") | {"lang": "en"},
    }
    page = write_index(
        tmp_path,
        "ds-2031",
        manifest,
        {"ede"},
        "en",
        "Data strategy",
        current={"gouda": "k", "ede": "k"},
    )
    assert "1 done, 1 up to date" in page.read_text(encoding="utf-8")


def test_the_files_of_a_row_are_listed_with_separators_only_between_them(tmp_path):
    """Every combination of a report's files (summary page, summary PDF, PDF, Word document,
    bundle): each one there is linked, each one missing is not, and " · " stands only between
    two links (the row of a team report with only its bundle read "· zip")."""
    parts = {
        "pdf": ".pdf",
        "summary": ".samenvatting.html",
        "summary_pdf": ".samenvatting.pdf",
        "document": ".docx",
    }
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    manifest = {}
    for n in range(2 ** (len(parts) + 1)):
        unit = f"unit-{n:02d}"
        entry_ = entry(unit, "k") | {"organisation": unit, "html": True}
        (tmp_path / f"{unit}.html").write_text("x")
        for bit, (key, suffix) in enumerate(parts.items()):
            if n >> bit & 1:
                (tmp_path / f"{unit}{suffix}").write_text("x")
                entry_[key] = f"{unit}{suffix}" if key == "document" else True
        if n >> len(parts) & 1:
            (bundles / f"{unit}.zip").write_text("x")
        manifest[unit] = entry_
    page = write_index(tmp_path, "data-sharing-2031", manifest, set(), "nl", "Checklist")
    text = page.read_text(encoding="utf-8")
    assert '<span class="dwp-nowrap">data-sharing-2031</span>' in text  # an id, kept whole
    rows = re.findall(r"<tr>\n(.*?)</tr>", text, flags=re.S)
    assert len(rows) == len(manifest)
    for row in rows:
        unit = re.search(r'href="(unit-\d+)\.html"', row).group(1)
        cell = re.findall(r"<td>(.*?)</td>", row, flags=re.S)[-1]
        words = re.sub(r"<[^>]+>", "", cell)
        assert not words.startswith(" ·") and not words.startswith("·"), (unit, words)
        assert not words.rstrip().endswith("·") and "· ·" not in words, (unit, words)
        linked = set(re.findall(r'href="([^"]+)"', cell))
        there = {p.name for p in tmp_path.glob(f"{unit}.*") if p.name != f"{unit}.html"} | (
            {f"bundles/{unit}.zip"} if (bundles / f"{unit}.zip").is_file() else set()
        )
        assert linked == there, unit
        together = {f"{unit}.samenvatting.html", f"{unit}.samenvatting.pdf"} <= linked
        assert words.count("·") == max(len(linked) - 1 - together, 0)  # "(pdf)" beside its page
