"""``trademate content``: generate prints valid, rule-checked variants offline for a product
imported through the catalog; ``results`` declares a winner only when the test says so."""

from __future__ import annotations

import json
import re

from tests.conftest import trademate

CATALOG = (
    "SKU,name,price,currency,MOQ,unit,specs,keywords\n"
    'BTL-500,AquaFlask 500,12.50,USD,100,pcs,"capacity: 500 ml; material: 304 stainless steel",'
    '"water bottle, insulated"\n'
    'MUG-1,Terra Mug,,USD,,pcs,"volume: 350 ml",mug\n'
)


def setup_org(env, tmp_path) -> str:
    assert trademate(env, "migrate").returncode == 0
    created = trademate(env, "org", "create", "Costa Export")
    assert created.returncode == 0, created.stderr
    org = created.stdout.strip()
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    imported = trademate(env, "products", "import", "--org", org, str(catalog))
    assert imported.returncode == 0, imported.stderr
    return org


def generate(env, org, *args: str) -> dict:
    done = trademate(env, "content", "generate", "--org", org, "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_generate_json_is_valid_checked_and_deterministic(cli_env, tmp_path):
    org = setup_org(cli_env, tmp_path)
    args = ("--product", "BTL-500", "--kind", "caption", "--platform", "instagram", "--seed", "7")
    out = generate(cli_env, org, *args, "--lang", "es", "--n", "3")
    assert out["engine"] == "offline" and out["seed"] == 7 and out["language"] == "es"
    variants = out["variants"]
    assert [v["rank"] for v in variants] == [1, 2, 3]
    for v in variants:
        assert v["status"] in {"draft", "flagged"} and isinstance(v["violations"], list)
        assert "12.50 USD" in v["text"] and len(v["hashtags"]) <= 30
        assert len(v["text"]) <= 2200
    again = generate(cli_env, org, *args, "--lang", "es", "--n", "3")
    assert [v["text"] for v in again["variants"]] == [v["text"] for v in variants]

    unpriced = generate(
        cli_env,
        org,
        "--product",
        "MUG-1",
        "--kind",
        "script",
        "--platform",
        "tiktok",
        "--seconds",
        "30",
    )
    for v in unpriced["variants"]:
        assert not re.search(r"USD|\d+\.\d\d", json.dumps(v["scenes"]))
        assert v["duration_seconds"] == 30

    text = trademate(
        cli_env, "content", "generate", "--org", org, "--product", "BTL-500", "--kind", "script",
        "--platform", "tiktok", "--market", "US", "--n", "1", "--seed", "1",
    )  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "#1 [draft]" in text.stdout and "[hook " in text.stdout and "[cta " in text.stdout
    assert "16.9 fl oz" in text.stdout  # 500 ml for the US market


async def test_results_declare_a_winner_only_when_significant(cli_env, tmp_path):
    org = setup_org(cli_env, tmp_path)
    out = generate(
        cli_env, org, "--product", "BTL-500", "--kind", "hook", "--platform", "tiktok", "--n", "2"
    )
    a, b = (v["id"] for v in out["variants"])
    close = tmp_path / "close.csv"
    close.write_text(f"variant_id,impressions,clicks\n{a},1000,100\n{b},1000,90\n")
    done = trademate(cli_env, "content", "results", "--org", org, str(close))
    assert done.returncode == 0, done.stderr
    assert "not yet" in done.stdout
    clear = tmp_path / "clear.csv"
    clear.write_text(f"variant_id,views,completions\n{a},1000,60\n{b},1000,100\n")
    done = trademate(cli_env, "content", "results", "--org", org, "--json", str(clear))
    [report] = json.loads(done.stdout)
    assert report["status"] == "winner" and report["winner"] == b
    assert report["request_id"] == out["request_id"]


async def test_an_unknown_product_or_bad_csv_is_a_clear_error(cli_env, tmp_path):
    org = setup_org(cli_env, tmp_path)
    missing = trademate(
        cli_env,
        "content",
        "generate",
        "--org",
        org,
        "--product",
        "NOPE",
        "--kind",
        "hook",
        "--platform",
        "instagram",
    )
    assert missing.returncode == 1 and "product not found: NOPE" in missing.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("id,clicks\n1,2\n")
    done = trademate(cli_env, "content", "results", "--org", org, str(bad))
    assert done.returncode == 1 and "variant_id" in done.stderr


async def test_localize_and_list(cli_env, tmp_path):
    org = setup_org(cli_env, tmp_path)
    out = generate(
        cli_env, org, "--product", "BTL-500", "--kind", "caption", "--platform", "instagram",
        "--n", "1", "--seed", "3",
    )  # fmt: skip
    [piece] = out["variants"]
    us = trademate(
        cli_env, "content", "localize", "--org", org, "--market", "us", "--json", piece["id"]
    )
    assert us.returncode == 0, us.stderr
    local = json.loads(us.stdout)
    assert "16.9 fl oz" in local["text"] and "500 ml" not in local["text"]
    de = trademate(cli_env, "content", "localize", "--org", org, "--market", "DE", piece["id"])
    assert de.returncode == 1 and "offline translation from en to de is not available" in de.stderr
    listed = trademate(cli_env, "content", "list", "--org", org, "--kind", "caption", "--json")
    rows = json.loads(listed.stdout)
    assert {r["id"] for r in rows} == {piece["id"], local["id"]}
    assert {r["market"] for r in rows} == {None, "US"}
