"""Encryption at rest for channel secrets (bot tokens, auth tokens, AES keys).

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``. Several keys may be given,
comma-separated: the first encrypts, every key is tried to decrypt, so keys rotate without
a flag day (add the new key first, re-encrypt, then drop the old one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import EncryptionError


def generate_key() -> str:
    """A new random key, in the form the configuration expects."""
    return Fernet.generate_key().decode("ascii")


class SecretBox:
    """Encrypts and decrypts JSON-serialisable mappings."""

    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise EncryptionError("no encryption key given")
        try:
            self._fernet = MultiFernet([Fernet(part.encode("ascii")) for part in parts])
        except (ValueError, UnicodeEncodeError) as err:
            raise EncryptionError(
                "encryption key is not a valid Fernet key (32 url-safe base64 bytes)"
            ) from err

    def encrypt(self, data: Mapping[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(dict(data), ensure_ascii=False).encode("utf-8"))

    def decrypt(self, token: bytes) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(bytes(token)))
        except InvalidToken as err:
            raise EncryptionError("cannot decrypt: wrong key or corrupted data") from err

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt ``token`` under the first (newest) key."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken as err:
            raise EncryptionError("cannot rotate: wrong key or corrupted data") from err
