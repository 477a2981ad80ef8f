"""The index's count line says what its rows say: an outdated report is not counted as done."""

from __future__ import annotations

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
