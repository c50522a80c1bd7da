-- Automatic discounts are looked up on every basket change: index them (partial, so only
-- the few automatic ones are in it) instead of scanning every code, bulk codes included.
CREATE INDEX discounts_automatic ON discounts (automatic) WHERE automatic = 1;
