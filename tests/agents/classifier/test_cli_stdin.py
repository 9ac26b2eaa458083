"""``trademate classify`` fed the bytes real exports contain: a BOM, CRLF line ends, a GBK line
and bytes that are no text at all. stdout must stay valid UTF-8 JSON, one line per input line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from bot.cli_stdin import decode_line, stdin_lines


def test_lines_are_decoded_without_their_endings_or_the_bom() -> None:
    raw = "\ufeffHola\r\n我想订购\n".encode() + "交货期多久".encode("gbk") + b"\nok\xff\r\n\nend"
    assert list(stdin_lines(io.BytesIO(raw))) == [
        "Hola",
        "我想订购",
        "交货期多久",
        "ok\ufffd",
        "",
        "end",
    ]


def test_undecodable_bytes_become_replacement_characters() -> None:
    assert decode_line(b"price \xff\xfe?\n") == "price \ufffd\ufffd?"


def test_classify_prints_valid_utf8_json_for_any_input_bytes(data_dir) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEMATE")}
    env.update(
        TRADEMATE__APP__DATA_DIR=str(data_dir),
        TRADEMATE__APP__LOG_LEVEL="WARNING",
        LC_ALL="C",  # the locale under which Python would pass bad bytes through as surrogates
        PYTHONUTF8="0",
    )
    raw = (
        b"\xef\xbb\xbfhello there\r\n"
        + "交货期多久？".encode("gbk")
        + b"\r\n\r\ncheap \xff\xfe watches\r\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "classify"],
        input=raw,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    texts = [json.loads(line)["text"] for line in done.stdout.decode("utf-8").splitlines()]
    assert texts == ["hello there", "交货期多久？", "", "cheap \ufffd\ufffd watches"]
