"""Reading a page number someone typed (``/inbox 2``, ``/inbox/?page=2``), for every front end."""

from __future__ import annotations

# A page past this is treated like any page past the end ("there are only N pages", an empty
# page): an OFFSET past PostgreSQL's bigint would fail the query instead.
MAX_PAGE = 100_000


def page_number(text: str | None) -> int:
    """The page asked for: a plain number from 1 (at most :data:`MAX_PAGE`), else page 1.
    ASCII digits only: ``"²".isdigit()`` is true but ``int("²")`` fails."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    return min(max(int(text), 1), MAX_PAGE)
