-- 0014 content studio: the shipped market defaults (cultural_params rows with org_id NULL).
-- An org's own row for a market overrides these. Forbidden phrases and disclaimers here are
-- the ones that hold for any merchant in that market:
--   CN: the Advertising Law of the PRC (art. 9) bans absolute terms in ads ("最佳", "第一",
--       "国家级", "顶级"), so they block there (elsewhere a superlative is only a warning);
--   DE: an origin claim ("Made in Germany") needs the goods to be made there, which the
--       catalog can't tell us, so it is blocked until the merchant overrides the market;
--   BR: product photos in Brazilian retail ads carry "Imagens meramente ilustrativas."
--       (consumer code, art. 37: an ad must not mislead about the product).
INSERT INTO cultural_params
    (org_id, market, language, currency, unit_system, formality, emoji_density,
     forbidden_phrases, required_disclaimers, notes)
VALUES
    (NULL, 'US', 'en', 'USD', 'imperial', 'casual', 'medium', '{}', '{}',
     'United States: imperial units, USD.'),
    (NULL, 'GB', 'en', 'GBP', 'metric', 'neutral', 'low', '{}', '{}',
     'United Kingdom: metric (imperial still read), GBP.'),
    (NULL, 'DE', 'de', 'EUR', 'metric', 'formal', 'low', '{"Made in Germany"}', '{}',
     'Germany: formal address (Sie) preferred in ads, few emoji.'),
    (NULL, 'ES', 'es', 'EUR', 'metric', 'neutral', 'medium', '{}', '{}', 'Spain.'),
    (NULL, 'MX', 'es', 'MXN', 'metric', 'casual', 'medium', '{}', '{}', 'Mexico.'),
    (NULL, 'BR', 'pt', 'BRL', 'metric', 'casual', 'high', '{}',
     '{"Imagens meramente ilustrativas."}', 'Brazil: warm, casual, emoji welcome.'),
    (NULL, 'CN', 'zh', 'CNY', 'metric', 'neutral', 'medium',
     '{"最佳","最好","第一","国家级","顶级","最高级"}', '{}',
     'Mainland China: no absolute terms (Advertising Law art. 9).')
ON CONFLICT ON CONSTRAINT cultural_params_org_market_key DO NOTHING;
