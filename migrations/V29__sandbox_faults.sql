-- Outages staff (or a bench) switch on in a built-in sandbox partner for a while: it is down,
-- slow, failing, throttling or answering nonsense until `until`. One row a partner at most.
CREATE TABLE sandbox_faults (
    partner     TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('down', 'slow', 'error', 'throttle', 'garbage')),
    until       TEXT NOT NULL,
    actor       TEXT NOT NULL,
    created_on  TEXT NOT NULL
) STRICT;
