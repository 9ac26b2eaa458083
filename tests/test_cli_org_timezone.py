"""``org create --timezone`` refuses a name that isn't an IANA zone before touching the
database (it was stored, and only a later sweep in that zone would have failed)."""

from __future__ import annotations

from click.testing import CliRunner

from bot.cli import main


def test_unknown_timezone_is_refused_by_name() -> None:
    result = CliRunner().invoke(main, ["org", "create", "Bad TZ", "--timezone", "Mars/Base"])
    assert result.exit_code == 2
    assert "'Mars/Base' is not an IANA time zone" in result.output
