-- Ecommerce (surface §1.4, §3): discounts, baskets, orders with their lines pinned to a product
-- version, every state transition, payment/refund transactions, discount redemptions and
-- learners' refund requests. Money is decimal text (rust_decimal), never REAL.

CREATE TABLE discounts (
    id                  INTEGER PRIMARY KEY,
    discount_code       TEXT NOT NULL CHECK (length(discount_code) BETWEEN 1 AND 100),
    amount              TEXT NOT NULL,
    automatic           INTEGER NOT NULL DEFAULT 0,
    discount_type       TEXT NOT NULL CHECK (discount_type IN ('percent-off', 'dollars-off', 'fixed-price')),
    redemption_type     TEXT NOT NULL CHECK (redemption_type IN ('one-time', 'one-time-per-user', 'unlimited')),
    payment_type        TEXT CHECK (payment_type IS NULL OR payment_type IN
                            ('marketing', 'sales', 'financial-assistance', 'customer-support', 'staff', 'legacy')),
    max_redemptions     INTEGER NOT NULL DEFAULT 0 CHECK (max_redemptions >= 0),
    activation_date     TEXT,
    expiration_date     TEXT,
    is_bulk             INTEGER NOT NULL DEFAULT 0,
    is_program_discount INTEGER NOT NULL DEFAULT 0,
    created_on          TEXT NOT NULL,
    updated_on          TEXT NOT NULL
) STRICT;
CREATE INDEX discounts_code ON discounts (discount_code);

CREATE TABLE discount_products (
    discount_id INTEGER NOT NULL REFERENCES discounts (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    PRIMARY KEY (discount_id, product_id)
) STRICT;

CREATE TABLE user_discounts (
    discount_id INTEGER NOT NULL REFERENCES discounts (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (discount_id, user_id)
) STRICT;
CREATE INDEX user_discounts_user ON user_discounts (user_id);

-- A user's basket XOR an anonymous visitor's (cookie `anonymous_basket_id`).
CREATE TABLE baskets (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    anonymous_id TEXT UNIQUE,
    created_on   TEXT NOT NULL,
    updated_on   TEXT NOT NULL,
    CHECK ((user_id IS NULL) <> (anonymous_id IS NULL))
) STRICT;

CREATE TABLE basket_items (
    id         INTEGER PRIMARY KEY,
    basket_id  INTEGER NOT NULL REFERENCES baskets (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL DEFAULT 1 CHECK (quantity >= 1),
    UNIQUE (basket_id, product_id)
) STRICT;

-- One discount per basket.
CREATE TABLE basket_discounts (
    basket_id       INTEGER PRIMARY KEY REFERENCES baskets (id) ON DELETE CASCADE,
    discount_id     INTEGER NOT NULL REFERENCES discounts (id) ON DELETE CASCADE,
    redeemed_by_id  INTEGER REFERENCES users (id) ON DELETE CASCADE,
    redemption_date TEXT NOT NULL
) STRICT;

CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'fulfilled', 'canceled', 'declined', 'errored',
                                                    'refunded', 'review', 'partially_refunded')),
    purchaser_id     INTEGER NOT NULL REFERENCES users (id),
    total_price_paid TEXT NOT NULL,
    reference_number TEXT,
    gateway_type     TEXT NOT NULL DEFAULT 'CyberSource',
    created_on       TEXT NOT NULL,
    updated_on       TEXT NOT NULL
) STRICT;
CREATE INDEX orders_purchaser_state ON orders (purchaser_id, state);

-- A line keeps the product version (price, description) it was sold at.
CREATE TABLE order_lines (
    id                 INTEGER PRIMARY KEY,
    order_id           INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id         INTEGER NOT NULL REFERENCES products (id),
    product_version_id INTEGER NOT NULL REFERENCES product_versions (id),
    quantity           INTEGER NOT NULL DEFAULT 1 CHECK (quantity >= 1),
    discounted_price   TEXT NOT NULL,
    UNIQUE (order_id, product_id)
) STRICT;

-- Every state change of an order (the FSM's log).
CREATE TABLE order_transitions (
    id         INTEGER PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_on TEXT NOT NULL
) STRICT;
CREATE INDEX order_transitions_order ON order_transitions (order_id, id);

CREATE TABLE order_transactions (
    id               INTEGER PRIMARY KEY,
    transaction_id   TEXT NOT NULL UNIQUE,
    order_id         INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    amount           TEXT NOT NULL,
    data             TEXT NOT NULL DEFAULT '{}',
    transaction_type TEXT NOT NULL CHECK (transaction_type IN ('payment', 'refund')),
    reason           TEXT NOT NULL DEFAULT '',
    created_on       TEXT NOT NULL
) STRICT;
CREATE INDEX order_transactions_order ON order_transactions (order_id, id);

CREATE TABLE discount_redemptions (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    discount_id     INTEGER NOT NULL REFERENCES discounts (id) ON DELETE CASCADE,
    redeemed_by_id  INTEGER NOT NULL REFERENCES users (id),
    redemption_date TEXT NOT NULL
) STRICT;
CREATE INDEX discount_redemptions_discount ON discount_redemptions (discount_id);
CREATE INDEX discount_redemptions_order ON discount_redemptions (order_id);

CREATE TABLE refund_requests (
    id                 INTEGER PRIMARY KEY,
    order_id           INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    user_id            INTEGER NOT NULL REFERENCES users (id),
    refund_reason      TEXT NOT NULL CHECK (refund_reason IN ('enrolled_in_another_course', 'course_not_as_expected',
                                               'technical_difficulties', 'financial_reasons', 'other')),
    refund_reason_text TEXT NOT NULL DEFAULT '',
    consent_given      INTEGER NOT NULL,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
    created_on         TEXT NOT NULL,
    updated_on         TEXT NOT NULL
) STRICT;
