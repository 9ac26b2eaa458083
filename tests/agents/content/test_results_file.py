"""A/B results exports as ad managers and spreadsheets write them.

Regression: "Variant ID,Impressions,Clicks" (any header other than exactly lower-case
variant_id), a semicolon- or tab-separated file, and counts written "1,000" were refused;
a variant on two rows (one per day) counted only its last row.
"""

from __future__ import annotations

import uuid

import pytest

from agents.content.errors import ContentError
from agents.content.results_file import read_results

A, B = uuid.uuid4(), uuid.uuid4()


def _read(tmp_path, text: str):
    path = tmp_path / "results.csv"
    path.write_text(text, encoding="utf-8")
    return {row["variant_id"]: row["counts"] for row in read_results(path)}


def test_header_case_separators_and_thousands(tmp_path):
    assert _read(tmp_path, f'Variant ID,Impressions,Clicks\n{A},"1,000",100\n\n{B},1000,40\n') == {
        A: {"impressions": 1000, "clicks": 100},
        B: {"impressions": 1000, "clicks": 40},
    }
    assert _read(tmp_path, f"variant_id;views;completions\n{A};1.200;300\n") == {
        A: {"views": 1200, "completions": 300}
    }


def test_a_variant_on_several_rows_counts_their_sum(tmp_path):
    rows = _read(
        tmp_path, f"variant\timpressions\tclicks\n{A}\t500\t50\n{B}\t10\t1\n{A}\t500\t30\n"
    )
    assert rows[A] == {"impressions": 1000, "clicks": 80}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"variant_id,impressions,clicks\n{A},100,200\n", "more clicks"),
        ("variant_id,impressions,clicks\nnot-an-id,1,1\n", "not a variant id"),
        (f"variant_id,impressions,clicks\n{A},12.5,1\n", "not a whole"),
        (f"variant_id,impressions,clicks\n{A},-3,1\n", "not a whole"),
        (f"variant_id,likes\n{A},3\n", "needs a variant_id column"),
        ("variant_id,impressions,clicks\n", "no rows"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ContentError, match=message):
        _read(tmp_path, text)
