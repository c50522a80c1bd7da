-- Flexible (income-based) pricing (surface §1.6, §4).

-- Currency → units per US dollar (Open Exchange Rates' `latest.json`), replaced as a whole by
-- the `update-currency-exchange-rates` job. `exchange_rate` is decimal text.
CREATE TABLE currency_exchange_rates (
    id            INTEGER PRIMARY KEY,
    currency_code TEXT NOT NULL UNIQUE CHECK (length(currency_code) = 3),
    description   TEXT,
    exchange_rate TEXT NOT NULL,
    created_on    TEXT NOT NULL,
    updated_on    TEXT NOT NULL
) STRICT;

-- Income (USD) at or below which a request from this country of income needs documents.
CREATE TABLE country_income_thresholds (
    id               INTEGER PRIMARY KEY,
    country_code     TEXT NOT NULL UNIQUE CHECK (length(country_code) = 2),
    income_threshold TEXT NOT NULL,
    created_on       TEXT NOT NULL,
    updated_on       TEXT NOT NULL
) STRICT;

-- Programs related to each other (the original's RelatedProgram, either direction): one
-- approval covers related programs too. Owned by the catalog.
CREATE TABLE related_programs (
    first_program_id  INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    second_program_id INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    PRIMARY KEY (first_program_id, second_program_id),
    CHECK (first_program_id <> second_program_id)
) STRICT;

-- The request form under a course or program page (the original's Wagtail
-- FlexiblePricingRequestForm): its editable text blocks. One per course or program.
CREATE TABLE flexible_pricing_forms (
    id                        INTEGER PRIMARY KEY,
    course_id                 INTEGER UNIQUE REFERENCES courses (id) ON DELETE CASCADE,
    program_id                INTEGER UNIQUE REFERENCES programs (id) ON DELETE CASCADE,
    title                     TEXT NOT NULL DEFAULT 'Financial assistance',
    intro                     TEXT NOT NULL DEFAULT '',
    guest_text                TEXT NOT NULL DEFAULT '',
    processing_text           TEXT NOT NULL DEFAULT '',
    approved_text             TEXT NOT NULL DEFAULT '',
    approved_no_discount_text TEXT NOT NULL DEFAULT '',
    denied_text               TEXT NOT NULL DEFAULT '',
    live                      INTEGER NOT NULL DEFAULT 1,
    created_on                TEXT NOT NULL,
    updated_on                TEXT NOT NULL,
    CHECK ((course_id IS NULL) <> (program_id IS NULL))
) STRICT;

-- A learner's request (the original's FlexiblePrice), for one course or program.
CREATE TABLE flexible_prices (
    id                   INTEGER PRIMARY KEY,
    user_id              INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id            INTEGER REFERENCES courses (id) ON DELETE CASCADE,
    program_id           INTEGER REFERENCES programs (id) ON DELETE CASCADE,
    status               TEXT NOT NULL CHECK (status IN
                             ('created', 'pending-manual-approval', 'auto-approved', 'approved', 'denied', 'reset')),
    income_usd           TEXT NOT NULL,
    original_income      TEXT NOT NULL,
    original_currency    TEXT NOT NULL,
    country_of_income    TEXT NOT NULL,
    country_of_residence TEXT NOT NULL,
    date_exchange_rate   TEXT,
    date_documents_sent  TEXT,
    justification        TEXT NOT NULL DEFAULT '',
    tier_id              INTEGER REFERENCES flexible_price_tiers (id) ON DELETE SET NULL,
    form_id              INTEGER REFERENCES flexible_pricing_forms (id) ON DELETE SET NULL,
    created_on           TEXT NOT NULL,
    updated_on           TEXT NOT NULL,
    CHECK ((course_id IS NULL) <> (program_id IS NULL))
) STRICT;
CREATE UNIQUE INDEX flexible_prices_user_course ON flexible_prices (user_id, course_id) WHERE course_id IS NOT NULL;
CREATE UNIQUE INDEX flexible_prices_user_program ON flexible_prices (user_id, program_id) WHERE program_id IS NOT NULL;
CREATE INDEX flexible_prices_status ON flexible_prices (status, created_on);
CREATE INDEX flexible_price_tiers_course ON flexible_price_tiers (course_id) WHERE course_id IS NOT NULL;
CREATE INDEX flexible_price_tiers_program ON flexible_price_tiers (program_id) WHERE program_id IS NOT NULL;
