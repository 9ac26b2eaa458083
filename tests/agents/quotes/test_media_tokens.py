"""Signed media links: only our own, unexpired tokens open a file."""

from __future__ import annotations

import uuid

import pytest

from bot.media import MediaTokenError, sign, verify

KEY = b"k" * 32
ORG, FILE = uuid.uuid4(), uuid.uuid4()


def test_a_valid_token_names_its_org_and_file():
    assert verify(KEY, sign(KEY, ORG, FILE, 2_000), now=1_000) == (ORG, FILE)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace(".2000.", ".9999."),  # a later expiry under the old signature
        lambda t: t.replace(FILE.hex, uuid.uuid4().hex),  # another file
        lambda t: t.rsplit(".", 1)[0] + ".AAAA",  # another signature
        lambda t: "not-a-token",
        lambda t: t + ".extra",
    ],
)
def test_forged_or_malformed_tokens_are_refused(mangle):
    with pytest.raises(MediaTokenError):
        verify(KEY, mangle(sign(KEY, ORG, FILE, 2_000)), now=1_000)


def test_expired_and_foreign_key_tokens_are_refused():
    with pytest.raises(MediaTokenError, match="expired"):
        verify(KEY, sign(KEY, ORG, FILE, 2_000), now=2_001)
    with pytest.raises(MediaTokenError, match="signature"):
        verify(KEY, sign(b"other key" * 4, ORG, FILE, 2_000), now=1_000)
