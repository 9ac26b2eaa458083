"""The content studio: hooks, captions and short-video scripts from the merchant's catalog.

Every piece is made from the product's real catalog facts (offline templates, or an LLM via
the gateway with the offline engine as fallback), checked against brand and compliance rules
before anyone sees it (:mod:`.checks`), stored as ranked variants of one request
(:mod:`.studio`), localized to a market (:mod:`.localize`) and A/B-tested (:mod:`.ab`).
"""
