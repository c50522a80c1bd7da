-- HubSpot CRM sync (integrations.md §5).

-- The original's HubspotObject: which HubSpot object a local object is, unique both ways.
-- content_type: 'user' (contacts), 'order' (deals), 'line' (line items), 'product'
-- (products), 'cart' / 'cart_line' (the deal and line item of a cart add, by basket item).
CREATE TABLE hubspot_objects (
    id           INTEGER PRIMARY KEY,
    content_type TEXT NOT NULL,
    object_id    INTEGER NOT NULL,
    hubspot_id   TEXT NOT NULL,
    synced_on    TEXT NOT NULL,
    UNIQUE (content_type, object_id),
    UNIQUE (content_type, hubspot_id)
) STRICT;

-- One row: whether this deployment syncs (set from MITXONLINE_HUBSPOT_SYNC at start, so the
-- domain hooks can decide inside their transaction) and when the hubspot-sync job last ran.
CREATE TABLE hubspot_sync_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    enabled     INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    last_run_at TEXT
) STRICT;
INSERT INTO hubspot_sync_state (id, enabled) VALUES (1, 0);

-- The built-in sandbox CRM (used when MITXONLINE_HUBSPOT_ACCESS_TOKEN is unset).
CREATE TABLE hubspot_sandbox_objects (
    id          INTEGER PRIMARY KEY,
    object_type TEXT NOT NULL CHECK (object_type IN ('contacts', 'deals', 'line_items', 'products')),
    properties  TEXT NOT NULL DEFAULT '{}',
    created_on  TEXT NOT NULL,
    updated_on  TEXT NOT NULL
) STRICT;
CREATE INDEX hubspot_sandbox_objects_type ON hubspot_sandbox_objects (object_type, id);

CREATE TABLE hubspot_sandbox_associations (
    from_type TEXT NOT NULL,
    from_id   INTEGER NOT NULL REFERENCES hubspot_sandbox_objects (id) ON DELETE CASCADE,
    to_type   TEXT NOT NULL,
    to_id     INTEGER NOT NULL REFERENCES hubspot_sandbox_objects (id) ON DELETE CASCADE,
    PRIMARY KEY (from_type, from_id, to_type, to_id)
) STRICT;
