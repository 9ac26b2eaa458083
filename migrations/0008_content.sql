-- 0008 content studio: prompt versions, market and brand rules, generated hooks, captions and
-- scripts (as ranked variants of one request), and the red-line violations found in them.
-- A few tables here hold installation-wide defaults as rows with org_id NULL
-- (llm_prompt_versions, cultural_params, hook_templates); an org row overrides the default.

-- Every version of a named prompt template from prompts/ (org_id NULL) or an org's override,
-- so each draft or content piece can say which prompt made it.
CREATE TABLE llm_prompt_versions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid REFERENCES organizations (id) ON DELETE CASCADE,
    -- Template name as in prompts/, e.g. 'draft_reply', 'content_caption'.
    name         text NOT NULL,
    version      text NOT NULL,
    template     text NOT NULL,
    -- sha256 of template, so the loader can register a changed file as a new version.
    content_hash text NOT NULL,
    model        text,
    params       jsonb NOT NULL DEFAULT '{}',
    description  text,
    is_active    boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT llm_prompt_versions_org_name_version_key
        UNIQUE NULLS NOT DISTINCT (org_id, name, version)
);
CREATE INDEX llm_prompt_versions_hash_idx ON llm_prompt_versions (name, content_hash);

-- How to address one target market: tone, emoji density, units, currency, forbidden phrases
-- and required disclaimers. org_id NULL rows are the shipped defaults.
CREATE TABLE cultural_params (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id               uuid REFERENCES organizations (id) ON DELETE CASCADE,
    -- ISO 3166-1 alpha-2 ('BR', 'DE') or a locale ('es-MX').
    market               text NOT NULL,
    language             text NOT NULL,
    currency             char(3) CHECK (currency ~ '^[A-Z]{3}$'),
    unit_system          text NOT NULL DEFAULT 'metric'
                         CHECK (unit_system IN ('metric', 'imperial')),
    formality            text NOT NULL DEFAULT 'neutral'
                         CHECK (formality IN ('casual', 'neutral', 'formal')),
    emoji_density        text NOT NULL DEFAULT 'low'
                         CHECK (emoji_density IN ('none', 'low', 'medium', 'high')),
    date_format          text,
    forbidden_phrases    text[] NOT NULL DEFAULT '{}',
    required_disclaimers text[] NOT NULL DEFAULT '{}',
    -- Anything else the localizer uses (greeting style, holidays, number format).
    params               jsonb NOT NULL DEFAULT '{}',
    notes                text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cultural_params_org_market_key UNIQUE NULLS NOT DISTINCT (org_id, market)
);
CREATE TRIGGER cultural_params_set_updated_at BEFORE UPDATE ON cultural_params
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The merchant's terms that localization must respect: brand and product names kept as they
-- are ('keep') or rendered exactly as given ('translate') in a target language
-- (target_language NULL = every language).
CREATE TABLE glossary_terms (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    term            text NOT NULL,
    source_language text,
    target_language text,
    rule            text NOT NULL DEFAULT 'keep' CHECK (rule IN ('keep', 'translate')),
    translation     text,
    case_sensitive  boolean NOT NULL DEFAULT true,
    notes           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT glossary_terms_translation_check
        CHECK (rule <> 'translate' OR translation IS NOT NULL)
);
CREATE UNIQUE INDEX glossary_terms_org_term_key
    ON glossary_terms (org_id, lower(term), target_language)
    NULLS NOT DISTINCT;
CREATE TRIGGER glossary_terms_set_updated_at BEFORE UPDATE ON glossary_terms
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Brand and compliance rules of one merchant on top of the built-in ones (absolute guarantees,
-- medical/financial promises): banned words and claims, competitor names, required disclaimers.
CREATE TABLE red_line_rules (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('banned_term', 'banned_claim', 'competitor',
                                              'forbidden_phrase', 'required_disclaimer')),
    -- Literal text, or a regular expression when is_regex.
    pattern     text NOT NULL,
    is_regex    boolean NOT NULL DEFAULT false,
    -- Scope; NULL = everywhere.
    language    text,
    market      text,
    platform    text CHECK (platform IN ('instagram', 'tiktok', 'youtube', 'whatsapp_status')),
    severity    text NOT NULL DEFAULT 'block' CHECK (severity IN ('block', 'warn')),
    message     text,
    is_active   boolean NOT NULL DEFAULT true,
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX red_line_rules_org_idx ON red_line_rules (org_id, kind) WHERE is_active;
CREATE TRIGGER red_line_rules_set_updated_at BEFORE UPDATE ON red_line_rules
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Reusable hook patterns with slots ("Still paying {competitor_price} for {category}?").
-- org_id NULL rows ship with TradeMate; approved hooks can be saved as an org's templates.
CREATE TABLE hook_templates (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid REFERENCES organizations (id) ON DELETE CASCADE,
    hook_type       text NOT NULL
                    CHECK (hook_type IN ('question', 'threat', 'fact', 'curiosity', 'urgency')),
    template        text NOT NULL,
    slots           text[] NOT NULL DEFAULT '{}',
    language        text NOT NULL,
    emotion         text,
    length_category text CHECK (length_category IN ('short', 'mid', 'long')),
    -- Platforms it suits; empty = all.
    platforms       text[] NOT NULL DEFAULT '{}',
    is_active       boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hook_templates_lookup_idx ON hook_templates (org_id, hook_type, language)
    WHERE is_active;
CREATE TRIGGER hook_templates_set_updated_at BEFORE UPDATE ON hook_templates
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One generation request (`/hooks SKU-1 10`, `content generate ... --n 5`): the variant group
-- its hooks or pieces belong to, and the outcome of their A/B test.
CREATE TABLE content_requests (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('hook', 'caption', 'script', 'post')),
    product_id    uuid REFERENCES products (id) ON DELETE SET NULL,
    brief         text,
    platform      text NOT NULL
                  CHECK (platform IN ('instagram', 'tiktok', 'youtube', 'whatsapp_status')),
    language      text NOT NULL,
    market        text,
    n_variants    integer NOT NULL DEFAULT 1 CHECK (n_variants > 0),
    seed          bigint,
    engine        text,
    params        jsonb NOT NULL DEFAULT '{}',
    source        text NOT NULL DEFAULT 'cli' CHECK (source IN ('bot', 'cli', 'web', 'api')),
    -- A/B: 'none' until results are imported; 'winner' only when the two-proportion test at
    -- the configured confidence says so (the winning variant has is_winner).
    ab_status     text NOT NULL DEFAULT 'none' CHECK (ab_status IN ('none', 'not_yet', 'winner')),
    ab_result     jsonb NOT NULL DEFAULT '{}',
    ab_decided_at timestamptz,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX content_requests_org_created_idx ON content_requests (org_id, created_at DESC);
CREATE INDEX content_requests_product_idx ON content_requests (product_id)
    WHERE product_id IS NOT NULL;
CREATE TRIGGER content_requests_set_updated_at BEFORE UPDATE ON content_requests
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A generated opening hook (one variant). Status: draft (passed checks) / flagged (shown with
-- the violation) / blocked / approved (the merchant's library) / rejected / archived.
CREATE TABLE hooks (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    request_id        uuid REFERENCES content_requests (id) ON DELETE CASCADE,
    product_id        uuid REFERENCES products (id) ON DELETE SET NULL,
    hook_template_id  uuid REFERENCES hook_templates (id) ON DELETE SET NULL,
    prompt_version_id uuid REFERENCES llm_prompt_versions (id) ON DELETE SET NULL,
    text              text NOT NULL,
    hook_type         text NOT NULL
                      CHECK (hook_type IN ('question', 'threat', 'fact', 'curiosity', 'urgency')),
    emotion           text,
    length_category   text NOT NULL CHECK (length_category IN ('short', 'mid', 'long')),
    platform          text NOT NULL
                      CHECK (platform IN ('instagram', 'tiktok', 'youtube', 'whatsapp_status')),
    language          text NOT NULL,
    market            text,
    rank              integer,
    score             real,
    seed              bigint,
    engine            text,
    status            text NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'flagged', 'blocked', 'approved', 'rejected',
                                        'archived')),
    approved_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    approved_at       timestamptz,
    -- A/B results imported per variant.
    impressions       bigint NOT NULL DEFAULT 0 CHECK (impressions >= 0),
    clicks            bigint NOT NULL DEFAULT 0 CHECK (clicks >= 0),
    views             bigint NOT NULL DEFAULT 0 CHECK (views >= 0),
    completions       bigint NOT NULL DEFAULT 0 CHECK (completions >= 0),
    is_winner         boolean NOT NULL DEFAULT false,
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hooks_org_status_idx ON hooks (org_id, status, created_at DESC);
CREATE INDEX hooks_request_idx ON hooks (request_id, rank) WHERE request_id IS NOT NULL;
CREATE INDEX hooks_product_idx ON hooks (product_id) WHERE product_id IS NOT NULL;
CREATE INDEX hooks_template_idx ON hooks (hook_template_id) WHERE hook_template_id IS NOT NULL;
CREATE INDEX hooks_prompt_version_idx ON hooks (prompt_version_id)
    WHERE prompt_version_id IS NOT NULL;
CREATE TRIGGER hooks_set_updated_at BEFORE UPDATE ON hooks
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A generated caption, post or short-video script (one variant; scripts have script_scenes).
-- localized_from_id links a localization to the piece it was made from.
CREATE TABLE content_pieces (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    request_id         uuid REFERENCES content_requests (id) ON DELETE CASCADE,
    kind               text NOT NULL CHECK (kind IN ('caption', 'script', 'post')),
    product_id         uuid REFERENCES products (id) ON DELETE SET NULL,
    hook_id            uuid REFERENCES hooks (id) ON DELETE SET NULL,
    prompt_version_id  uuid REFERENCES llm_prompt_versions (id) ON DELETE SET NULL,
    localized_from_id  uuid REFERENCES content_pieces (id) ON DELETE SET NULL,
    platform           text NOT NULL
                       CHECK (platform IN ('instagram', 'tiktok', 'youtube', 'whatsapp_status')),
    language           text NOT NULL,
    market             text,
    title              text,
    body               text NOT NULL,
    call_to_action     text,
    hashtags           text[] NOT NULL DEFAULT '{}',
    -- Scripts: narrative template and total duration.
    narrative_template text CHECK (narrative_template IN ('PAS', 'AIDA', '4U')),
    duration_seconds   numeric(7, 2) CHECK (duration_seconds > 0),
    rank               integer,
    score              real,
    seed               bigint,
    engine             text,
    status             text NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft', 'flagged', 'blocked', 'approved', 'rejected',
                                         'archived')),
    approved_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    approved_at        timestamptz,
    impressions        bigint NOT NULL DEFAULT 0 CHECK (impressions >= 0),
    clicks             bigint NOT NULL DEFAULT 0 CHECK (clicks >= 0),
    views              bigint NOT NULL DEFAULT 0 CHECK (views >= 0),
    completions        bigint NOT NULL DEFAULT 0 CHECK (completions >= 0),
    is_winner          boolean NOT NULL DEFAULT false,
    created_by         uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX content_pieces_org_status_idx ON content_pieces (org_id, status, created_at DESC);
CREATE INDEX content_pieces_request_idx ON content_pieces (request_id, rank)
    WHERE request_id IS NOT NULL;
CREATE INDEX content_pieces_product_idx ON content_pieces (product_id) WHERE product_id IS NOT NULL;
CREATE INDEX content_pieces_hook_idx ON content_pieces (hook_id) WHERE hook_id IS NOT NULL;
CREATE INDEX content_pieces_prompt_version_idx ON content_pieces (prompt_version_id)
    WHERE prompt_version_id IS NOT NULL;
CREATE INDEX content_pieces_localized_from_idx ON content_pieces (localized_from_id)
    WHERE localized_from_id IS NOT NULL;
CREATE TRIGGER content_pieces_set_updated_at BEFORE UPDATE ON content_pieces
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One scene of a short-video script, in order.
CREATE TABLE script_scenes (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    content_piece_id uuid NOT NULL REFERENCES content_pieces (id) ON DELETE CASCADE,
    ord              integer NOT NULL CHECK (ord >= 0),
    purpose          text NOT NULL CHECK (purpose IN ('hook', 'body', 'cta', 'testimonial')),
    duration_seconds numeric(6, 2) NOT NULL CHECK (duration_seconds > 0),
    visual           text,
    on_screen_text   text,
    voiceover        text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (content_piece_id, ord)
);
CREATE INDEX script_scenes_org_idx ON script_scenes (org_id);
CREATE TRIGGER script_scenes_set_updated_at BEFORE UPDATE ON script_scenes
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A brand/compliance rule broken by a hook, a content piece or a reply draft, and what was done
-- about it. Nothing is passed silently: every hit is a row.
CREATE TABLE red_line_violations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    content_piece_id uuid REFERENCES content_pieces (id) ON DELETE CASCADE,
    hook_id          uuid REFERENCES hooks (id) ON DELETE CASCADE,
    suggestion_id    uuid REFERENCES reply_suggestions (id) ON DELETE CASCADE,
    -- The org rule that fired; NULL for built-in rules (see rule_code).
    rule_id          uuid REFERENCES red_line_rules (id) ON DELETE SET NULL,
    kind             text NOT NULL
                     CHECK (kind IN ('banned_term', 'banned_claim', 'competitor', 'glossary',
                                     'over_length', 'platform_limit', 'missing_disclaimer',
                                     'forbidden_phrase', 'other')),
    -- Stable name of the check, e.g. 'absolute_guarantee', 'instagram_hashtags_max_30'.
    rule_code        text NOT NULL,
    severity         text NOT NULL DEFAULT 'block' CHECK (severity IN ('block', 'warn')),
    matched_text     text,
    message          text NOT NULL,
    details          jsonb NOT NULL DEFAULT '{}',
    resolution       text CHECK (resolution IN ('blocked', 'regenerated', 'shown', 'overridden')),
    resolved_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    resolved_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT red_line_violations_one_target_check
        CHECK (num_nonnulls(content_piece_id, hook_id, suggestion_id) = 1)
);
CREATE INDEX red_line_violations_org_created_idx ON red_line_violations (org_id, created_at DESC);
CREATE INDEX red_line_violations_piece_idx ON red_line_violations (content_piece_id)
    WHERE content_piece_id IS NOT NULL;
CREATE INDEX red_line_violations_hook_idx ON red_line_violations (hook_id)
    WHERE hook_id IS NOT NULL;
CREATE INDEX red_line_violations_suggestion_idx ON red_line_violations (suggestion_id)
    WHERE suggestion_id IS NOT NULL;
CREATE INDEX red_line_violations_rule_idx ON red_line_violations (rule_id)
    WHERE rule_id IS NOT NULL;
