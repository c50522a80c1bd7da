-- Google Sheets refunds and deferrals (integrations.md §6.3).

-- One request per sheet row, keyed by the form response id (the original's RefundRequest /
-- DeferralRequest): the raw form-input columns as a JSON array, what happened, and whether
-- the outcome was written back to the sheet. status: 'processing' (being applied now, or
-- interrupted), 'processed', 'failed'.
CREATE TABLE sheets_requests (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('refund', 'deferral')),
    form_response_id INTEGER NOT NULL,
    row_number       INTEGER NOT NULL,
    raw_data         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('processing', 'processed', 'failed')),
    message          TEXT NOT NULL DEFAULT '',
    written_back     INTEGER NOT NULL DEFAULT 0 CHECK (written_back IN (0, 1)),
    attempts         INTEGER NOT NULL DEFAULT 0,
    processed_on     TEXT,
    created_on       TEXT NOT NULL,
    updated_on       TEXT NOT NULL,
    UNIQUE (kind, form_response_id)
) STRICT;

-- The built-in sandbox Google Sheets (used when MITXONLINE_SHEETS_CREDENTIALS is unset): cells
-- by spreadsheet id, tab, 1-based row and 0-based column, as entered (formulas kept).
CREATE TABLE sheets_sandbox_cells (
    spreadsheet TEXT NOT NULL,
    tab         TEXT NOT NULL,
    row         INTEGER NOT NULL CHECK (row >= 1),
    col         INTEGER NOT NULL CHECK (col >= 0),
    value       TEXT NOT NULL,
    PRIMARY KEY (spreadsheet, tab, row, col)
) STRICT, WITHOUT ROWID;

-- The bearer token the sandbox's Sheets API accepts (random, made on first use).
CREATE TABLE sheets_sandbox_token (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    token TEXT NOT NULL
) STRICT;

-- B2B (owned by src/b2b/): the Google Sheet a code contract's enrollment codes are written to
-- (the original's ContractPage.google_sheet_target / _tab), and how the last refresh went.
CREATE TABLE b2b_contract_sheets (
    contract_id  INTEGER PRIMARY KEY REFERENCES b2b_contracts (id) ON DELETE CASCADE,
    spreadsheet  TEXT NOT NULL CHECK (length(spreadsheet) BETWEEN 1 AND 200),
    tab          TEXT NOT NULL DEFAULT 'Sheet1' CHECK (length(tab) BETWEEN 1 AND 100),
    rows_written INTEGER NOT NULL DEFAULT 0,
    refreshed_on TEXT,
    last_error   TEXT NOT NULL DEFAULT '',
    updated_on   TEXT NOT NULL
) STRICT;
