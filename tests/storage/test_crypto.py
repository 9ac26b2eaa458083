"""Channel secrets at rest: round trip, key rotation, wrong keys."""

from __future__ import annotations

import pytest

from storage.crypto import SecretBox, generate_key
from storage.errors import EncryptionError


def test_round_trip_hides_the_plaintext() -> None:
    box = SecretBox(generate_key())
    token = box.encrypt({"bot_token": "123:ABC", "note": "你好"})
    assert b"123:ABC" not in token
    assert box.decrypt(token) == {"bot_token": "123:ABC", "note": "你好"}


def test_rotation_old_key_still_decrypts_new_key_encrypts() -> None:
    old, new = generate_key(), generate_key()
    token = SecretBox(old).encrypt({"k": "v"})
    rotating = SecretBox(f"{new},{old}")
    assert rotating.decrypt(token) == {"k": "v"}
    rotated = rotating.rotate(token)
    assert SecretBox(new).decrypt(rotated) == {"k": "v"}
    with pytest.raises(EncryptionError):
        SecretBox(old).decrypt(rotated)


def test_wrong_key_fails_clearly() -> None:
    token = SecretBox(generate_key()).encrypt({"k": "v"})
    with pytest.raises(EncryptionError, match="wrong key"):
        SecretBox(generate_key()).decrypt(token)


@pytest.mark.parametrize("bad", ["", "not-a-key", ","])
def test_invalid_keys_are_refused(bad: str) -> None:
    with pytest.raises(EncryptionError):
        SecretBox(bad)
