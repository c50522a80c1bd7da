-- Certificates: course-run and program certificates (one per learner and run/program, kept
-- when revoked), the verifiable credentials signed for them, partner schools and the learner
-- record shares. Append-only.

-- VerifiableCredential: the signer's answer, kept as it came (uuid = the credential's id).
CREATE TABLE verifiable_credentials (
    uuid            TEXT PRIMARY KEY,
    credential_data TEXT NOT NULL,
    created_on      TEXT NOT NULL
) STRICT;

-- CourseRunCertificate. `certificate_page_revision_id` pins the certificate page revision
-- current when the certificate was issued (no FK: revisions are the CMS's, never deleted).
CREATE TABLE course_run_certificates (
    id                           INTEGER PRIMARY KEY,
    uuid                         TEXT NOT NULL UNIQUE,
    user_id                      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    run_id                       INTEGER NOT NULL REFERENCES course_runs (id) ON DELETE CASCADE,
    is_revoked                   INTEGER NOT NULL DEFAULT 0 CHECK (is_revoked IN (0, 1)),
    issue_date                   TEXT NOT NULL,
    certificate_page_revision_id INTEGER,
    verifiable_credential_id     TEXT REFERENCES verifiable_credentials (uuid) ON DELETE SET NULL,
    created_on                   TEXT NOT NULL,
    updated_on                   TEXT NOT NULL,
    UNIQUE (user_id, run_id)
) STRICT;
CREATE INDEX course_run_certificates_run ON course_run_certificates (run_id);

CREATE TABLE program_certificates (
    id                           INTEGER PRIMARY KEY,
    uuid                         TEXT NOT NULL UNIQUE,
    user_id                      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    program_id                   INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    is_revoked                   INTEGER NOT NULL DEFAULT 0 CHECK (is_revoked IN (0, 1)),
    issue_date                   TEXT NOT NULL,
    certificate_page_revision_id INTEGER,
    verifiable_credential_id     TEXT REFERENCES verifiable_credentials (uuid) ON DELETE SET NULL,
    created_on                   TEXT NOT NULL,
    updated_on                   TEXT NOT NULL,
    UNIQUE (user_id, program_id)
) STRICT;
CREATE INDEX program_certificates_program ON program_certificates (program_id);

-- PartnerSchool (soft-deleted with is_active).
CREATE TABLE partner_schools (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    email     TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;

-- LearnerProgramRecordShare: a public link (partner_school_id NULL) or a share with a school.
CREATE TABLE learner_program_record_shares (
    share_uuid        TEXT PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    program_id        INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    partner_school_id INTEGER REFERENCES partner_schools (id),
    is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_on        TEXT NOT NULL,
    updated_on        TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX learner_program_record_shares_school
    ON learner_program_record_shares (user_id, program_id, partner_school_id)
    WHERE partner_school_id IS NOT NULL;
CREATE UNIQUE INDEX learner_program_record_shares_public
    ON learner_program_record_shares (user_id, program_id)
    WHERE partner_school_id IS NULL;
