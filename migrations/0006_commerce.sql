-- 0006 commerce: the catalog and quotations. Money is numeric(14,4), rates numeric(18,6),
-- currencies ISO 4217 char(3).

-- One sellable item (`trademate products import`). Prices come from here only, never from a
-- model; price is NULL when the merchant has not published one.
CREATE TABLE products (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sku            text NOT NULL,
    name           text NOT NULL,
    name_en        text,
    description    text,
    category       text,
    price          numeric(14, 4) CHECK (price >= 0),
    currency       char(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    -- Minimum order quantity, in unit.
    moq            integer CHECK (moq > 0),
    unit           text NOT NULL DEFAULT 'pcs',
    lead_time_days integer CHECK (lead_time_days >= 0),
    -- {"material": "304 stainless steel", "capacity": "500 ml", ...}
    specs          jsonb NOT NULL DEFAULT '{}',
    keywords       text[] NOT NULL DEFAULT '{}',
    selling_points text[] NOT NULL DEFAULT '{}',
    -- [{"url": ..., "alt": ...}]
    images         jsonb NOT NULL DEFAULT '[]',
    is_active      boolean NOT NULL DEFAULT true,
    vector_id      uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, sku)
);
CREATE INDEX products_org_name_idx ON products (org_id, lower(name));
CREATE INDEX products_vector_idx ON products (vector_id) WHERE vector_id IS NOT NULL;
CREATE TRIGGER products_set_updated_at BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Per-org, per-year quotation number counter. Taking a number is one statement that locks the
-- row until commit, so concurrent quotes never share a number and a rolled-back quote does not
-- burn one:
--   INSERT INTO quotation_counters (org_id, year, last_value) VALUES ($1, $2, 1)
--   ON CONFLICT (org_id, year) DO UPDATE SET last_value = quotation_counters.last_value + 1
--   RETURNING last_value;            -- then number = format('Q-%s-%s', year, lpad(v, 4, '0'))
CREATE TABLE quotation_counters (
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    year       integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    last_value integer NOT NULL DEFAULT 0 CHECK (last_value >= 0),
    PRIMARY KEY (org_id, year)
);

-- A priced offer to a customer: draft -> pending_approval -> sent -> accepted/rejected/expired.
-- Amounts are in the quote currency; exchange_rate converts from base_currency (the catalog
-- currency): quote amount = catalog amount * exchange_rate. The rate is frozen on the quote.
CREATE TABLE quotations (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Q-2026-0001, from quotation_counters.
    number            text NOT NULL,
    customer_id       uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    conversation_id   uuid REFERENCES conversations (id) ON DELETE SET NULL,
    deal_id           uuid REFERENCES deals (id) ON DELETE SET NULL,
    -- The purchase-intent message the quote was drafted from, if any.
    source_message_id uuid REFERENCES messages (id) ON DELETE SET NULL,
    -- The approval card (reply_suggestions kind 'quote') that sends it.
    suggestion_id     uuid REFERENCES reply_suggestions (id) ON DELETE SET NULL,
    status            text NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'pending_approval', 'sent', 'accepted',
                                        'rejected', 'expired')),
    language          text NOT NULL DEFAULT 'en',
    currency          char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Catalog currency the rate converts from; NULL when no conversion was needed.
    base_currency     char(3) CHECK (base_currency ~ '^[A-Z]{3}$'),
    exchange_rate     numeric(18, 6) NOT NULL DEFAULT 1 CHECK (exchange_rate > 0),
    -- Incoterms 2020 rule and its named place ("FOB Ningbo").
    incoterm          text CHECK (incoterm IN ('EXW', 'FCA', 'FAS', 'FOB', 'CFR', 'CIF', 'CPT',
                                               'CIP', 'DAP', 'DPU', 'DDP')),
    incoterm_place    text,
    payment_terms     text,
    -- Free text as quoted ("25 days after deposit").
    lead_time         text,
    -- Last day the offer holds, in the merchant's time zone.
    valid_until       date,
    subtotal          numeric(14, 4) NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
    discount          numeric(14, 4) NOT NULL DEFAULT 0 CHECK (discount >= 0),
    shipping          numeric(14, 4) NOT NULL DEFAULT 0 CHECK (shipping >= 0),
    tax               numeric(14, 4) NOT NULL DEFAULT 0 CHECK (tax >= 0),
    total             numeric(14, 4) NOT NULL DEFAULT 0 CHECK (total >= 0),
    notes             text,
    -- Problems shown to staff: MOQ not met, unknown SKU, missing price, missing rate.
    warnings          jsonb NOT NULL DEFAULT '[]',
    pdf_path          text,
    pdf_generated_at  timestamptz,
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    approved_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    approved_at       timestamptz,
    sent_at           timestamptz,
    accepted_at       timestamptz,
    rejected_at       timestamptz,
    expired_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, number),
    CONSTRAINT quotations_rate_needs_base_check
        CHECK (base_currency IS NOT NULL OR exchange_rate = 1)
);
CREATE INDEX quotations_org_status_idx ON quotations (org_id, status, created_at DESC);
CREATE INDEX quotations_customer_idx ON quotations (customer_id, created_at DESC);
-- Expiry and reminder sweeps.
CREATE INDEX quotations_open_valid_until_idx ON quotations (valid_until)
    WHERE status IN ('draft', 'pending_approval', 'sent');
CREATE INDEX quotations_conversation_idx ON quotations (conversation_id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX quotations_deal_idx ON quotations (deal_id) WHERE deal_id IS NOT NULL;
CREATE INDEX quotations_source_message_idx ON quotations (source_message_id)
    WHERE source_message_id IS NOT NULL;
CREATE INDEX quotations_suggestion_idx ON quotations (suggestion_id)
    WHERE suggestion_id IS NOT NULL;
CREATE TRIGGER quotations_set_updated_at BEFORE UPDATE ON quotations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A line of a quotation. Product data is copied in, so the quote stays as sent when the
-- catalog changes or the product is deleted.
CREATE TABLE quotation_items (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    quotation_id     uuid NOT NULL REFERENCES quotations (id) ON DELETE CASCADE,
    product_id       uuid REFERENCES products (id) ON DELETE SET NULL,
    position         integer NOT NULL CHECK (position >= 0),
    sku              text,
    name             text NOT NULL,
    description      text,
    quantity         numeric(14, 4) NOT NULL CHECK (quantity > 0),
    unit             text NOT NULL DEFAULT 'pcs',
    -- Catalog price in the catalog currency at quoting time, and the converted unit price.
    catalog_price    numeric(14, 4),
    catalog_currency char(3) CHECK (catalog_currency ~ '^[A-Z]{3}$'),
    -- Rate applied to this line (catalog_currency -> quote currency) when it differs from the
    -- quote's own exchange_rate, e.g. a catalog mixing CNY and USD prices.
    exchange_rate    numeric(18, 6) CHECK (exchange_rate > 0),
    unit_price       numeric(14, 4) NOT NULL CHECK (unit_price >= 0),
    line_total       numeric(14, 4) NOT NULL CHECK (line_total >= 0),
    moq              integer,
    warnings         jsonb NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (quotation_id, position)
);
CREATE INDEX quotation_items_org_idx ON quotation_items (org_id);
CREATE INDEX quotation_items_product_idx ON quotation_items (product_id)
    WHERE product_id IS NOT NULL;
CREATE TRIGGER quotation_items_set_updated_at BEFORE UPDATE ON quotation_items
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
