-- User retirement (`mitxonline user retire … --block`, the staff Retire form): emails that may
-- not make an account again, kept as the SHA-256 of the lower-cased address so the list holds
-- no addresses.
CREATE TABLE email_blocklist (
    hashed_email TEXT PRIMARY KEY,
    created_on   TEXT NOT NULL
) STRICT;
