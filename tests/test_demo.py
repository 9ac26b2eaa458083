"""``trademate demo --once``: the narrated walkthrough runs end to end on real servers."""

from __future__ import annotations

from tests.conftest import trademate


def test_the_demo_walkthrough_drafts_and_sends_through_the_sandbox(cli_env):
    result = trademate(cli_env, "demo", "--port", "0", "--once")
    out = result.stdout
    assert result.returncode == 0, result.stderr[-3000:]
    # set-up: staff logins, knowledge, channels
    assert "agent@demo.trademate.local / demo-password" in out
    assert "10 FAQs" in out and "telegram, wechat, whatsapp" in out
    # every simulated customer went through the signed webhook path
    assert out.count("webhook → 200") == 5, out
    # FAQ answer in the customer's language, with its source
    assert "国内发货一般 2-4 天送达" in out
    assert "El envío a España tarda" in out
    # catalog price, never invented
    assert "2.10 USD" in out
    # spam hidden, complaint escalated
    assert "no draft: hidden" in out
    assert "policy: escalate" in out
    # the approved reply reached the customer's platform (the sandbox Telegram API)
    assert "Alex Agent approved" in out
    assert "sandbox WhatsApp API received a message for whatsapp:+34600111222" in out
    # --once stops the server: no dead inbox link, but how to get one that works
    assert "Web inbox: http://" not in out
    assert "the server has stopped" in out and "`make demo`" in out and "/inbox" in out


def test_demo_set_up_is_reused_on_a_second_run(cli_env):
    first = trademate(cli_env, "demo", "--no-serve")
    second = trademate(cli_env, "demo", "--no-serve")
    assert first.returncode == 0 and second.returncode == 0, second.stderr[-2000:]
    org_line = [line for line in first.stdout.splitlines() if "org id" in line]
    assert org_line and org_line[0] in second.stdout  # same merchant, not a new one
    assert "10 FAQs" in second.stdout
