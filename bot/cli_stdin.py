"""Reading messages from standard input, one per line, for ``classify`` and ``try``.

Python decodes stdin with the locale's codec and, under a C or POSIX locale, smuggles bytes it
can't decode through as lone surrogates; echoed back in JSON they make stdout invalid UTF-8 and
break the script reading it. So the bytes are read and decoded here, line by line, the way
knowledge files are: UTF-8 (a leading BOM dropped), else GB18030 (a Chinese Windows export),
else UTF-8 with U+FFFD for what is left.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import BinaryIO


def decode_line(raw: bytes) -> str:
    """One line's text without its line ending (``\\n``, ``\\r\\n`` or a stray ``\\r``)."""
    raw = raw.rstrip(b"\r\n")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def stdin_lines(stream: BinaryIO | None = None) -> Iterator[str]:
    """Each line of ``stream`` (default: stdin's bytes), decoded, as soon as it is read."""
    stream = stream if stream is not None else sys.stdin.buffer
    first = True
    for raw in iter(stream.readline, b""):
        if first and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a BOM written by Notepad is not part of the first message
        first = False
        yield decode_line(raw)
