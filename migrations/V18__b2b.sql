-- B2B (surface §1.5, §5): organizations, contracts, their programs, memberships, contract
-- attachments, enrollment codes (discounts tied to a contract), code assignments, contract runs
-- being provisioned, and when each user's Keycloak organizations were last reconciled.

CREATE TABLE b2b_organizations (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    slug                TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 255),
    org_key             TEXT NOT NULL UNIQUE CHECK (length(org_key) BETWEEN 1 AND 30),
    org_key_prefix      TEXT NOT NULL DEFAULT 'UAI_',
    description         TEXT NOT NULL DEFAULT '',
    logo                TEXT NOT NULL DEFAULT '',
    sso_organization_id TEXT UNIQUE,
    created_on          TEXT NOT NULL,
    updated_on          TEXT NOT NULL
) STRICT;

CREATE TABLE b2b_contracts (
    id                     INTEGER PRIMARY KEY,
    organization_id        INTEGER NOT NULL REFERENCES b2b_organizations (id),
    name                   TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    slug                   TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 255),
    description            TEXT NOT NULL DEFAULT '',
    welcome_message        TEXT NOT NULL DEFAULT '',
    welcome_message_extra  TEXT NOT NULL DEFAULT '',
    membership_type        TEXT NOT NULL CHECK (membership_type IN ('managed', 'code', 'auto')),
    contract_start         TEXT,
    contract_end           TEXT,
    active                 INTEGER NOT NULL DEFAULT 1,
    max_learners           INTEGER CHECK (max_learners IS NULL OR max_learners >= 0),
    enrollment_fixed_price TEXT,
    variant_options        TEXT NOT NULL DEFAULT '[]',
    created_on             TEXT NOT NULL,
    updated_on             TEXT NOT NULL
) STRICT;
CREATE INDEX b2b_contracts_org ON b2b_contracts (organization_id);

CREATE TABLE b2b_contract_programs (
    contract_id INTEGER NOT NULL REFERENCES b2b_contracts (id) ON DELETE CASCADE,
    program_id  INTEGER NOT NULL REFERENCES programs (id),
    sort_order  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (contract_id, program_id)
) STRICT;

-- UserOrganization.
CREATE TABLE b2b_memberships (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES b2b_organizations (id) ON DELETE CASCADE,
    keep_until_seen INTEGER NOT NULL DEFAULT 0,
    is_manager      INTEGER NOT NULL DEFAULT 0,
    created_on      TEXT NOT NULL,
    PRIMARY KEY (user_id, organization_id)
) STRICT;
CREATE INDEX b2b_memberships_org ON b2b_memberships (organization_id);

-- user.b2b_contracts: the learner is attached to the contract (a seat).
CREATE TABLE b2b_attachments (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    contract_id INTEGER NOT NULL REFERENCES b2b_contracts (id) ON DELETE CASCADE,
    created_on  TEXT NOT NULL,
    PRIMARY KEY (user_id, contract_id)
) STRICT;
CREATE INDEX b2b_attachments_contract ON b2b_attachments (contract_id);

-- An enrollment code is a discount (commerce owns `discounts`) bound to a contract run's product.
CREATE TABLE b2b_codes (
    discount_id INTEGER PRIMARY KEY REFERENCES discounts (id) ON DELETE CASCADE,
    contract_id INTEGER NOT NULL REFERENCES b2b_contracts (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products (id)
) STRICT;
CREATE INDEX b2b_codes_contract ON b2b_codes (contract_id, product_id);

-- DiscountContractAttachmentRedemption: a code assigned to someone (by email) and/or claimed
-- for attachment by a user.
CREATE TABLE b2b_code_redemptions (
    id                           INTEGER PRIMARY KEY,
    discount_id                  INTEGER NOT NULL REFERENCES discounts (id) ON DELETE CASCADE,
    contract_id                  INTEGER NOT NULL REFERENCES b2b_contracts (id) ON DELETE CASCADE,
    user_id                      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    assigned_email               TEXT,
    assigned_name                TEXT,
    assigned_by                  TEXT,
    assigned_on                  TEXT,
    redeemed_on                  TEXT,
    last_reminder_sent_on        TEXT,
    email_message_id             TEXT,
    email_status                 TEXT CHECK (email_status IS NULL OR email_status IN
                                     ('pending', 'accepted', 'delivered', 'opened', 'clicked', 'failed')),
    email_status_event_timestamp TEXT,
    created_on                   TEXT NOT NULL
) STRICT;
CREATE INDEX b2b_code_redemptions_discount ON b2b_code_redemptions (discount_id);
CREATE INDEX b2b_code_redemptions_contract ON b2b_code_redemptions (contract_id);
CREATE INDEX b2b_code_redemptions_message ON b2b_code_redemptions (email_message_id);

-- One contract run per (contract, source run): what provisioning created and how far the
-- Studio re-run got.
CREATE TABLE b2b_contract_runs (
    contract_id   INTEGER NOT NULL REFERENCES b2b_contracts (id) ON DELETE CASCADE,
    program_id    INTEGER NOT NULL REFERENCES programs (id),
    source_run_id INTEGER NOT NULL REFERENCES course_runs (id),
    run_id        INTEGER NOT NULL UNIQUE REFERENCES course_runs (id),
    product_id    INTEGER NOT NULL REFERENCES products (id),
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'cloned', 'failed')),
    created_on    TEXT NOT NULL,
    PRIMARY KEY (contract_id, source_run_id)
) STRICT;

-- When the X-Userinfo organization map was last reconciled for a user.
CREATE TABLE b2b_membership_sync (
    user_id   INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    synced_at TEXT NOT NULL
) STRICT;

-- The built-in sandbox Keycloak admin API (integrations/keycloak): organizations and members.
CREATE TABLE keycloak_sandbox_organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    alias       TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_on  TEXT NOT NULL
) STRICT;

CREATE TABLE keycloak_sandbox_members (
    organization_id TEXT NOT NULL REFERENCES keycloak_sandbox_organizations (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    created_on      TEXT NOT NULL,
    PRIMARY KEY (organization_id, user_id)
) STRICT;

-- Mailgun webhook tokens already seen (replay protection, kept for the accepted window).
CREATE TABLE b2b_mailgun_tokens (
    token   TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
) STRICT;
