-- Enrollments: course-run and program enrollments (one row per learner and run/program, reused
-- across unenroll/re-enroll and mode changes), paid runs/programs linking an order, and grades.
-- Append-only.

CREATE TABLE course_run_enrollments (
    id                         INTEGER PRIMARY KEY,
    user_id                    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    run_id                     INTEGER NOT NULL REFERENCES course_runs (id) ON DELETE CASCADE,
    active                     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    change_status              TEXT CHECK (change_status IS NULL OR change_status IN ('deferred', 'transferred', 'refunded', 'unenrolled')),
    enrollment_mode            TEXT NOT NULL DEFAULT 'audit' CHECK (enrollment_mode IN ('audit', 'verified')),
    edx_emails_subscription    INTEGER NOT NULL DEFAULT 1 CHECK (edx_emails_subscription IN (0, 1)),
    edx_enrollment_retry_count INTEGER NOT NULL DEFAULT 0,
    -- Bumped on every change; the outbox key of the edX push for that change.
    version                    INTEGER NOT NULL DEFAULT 1,
    created_on                 TEXT NOT NULL,
    updated_on                 TEXT NOT NULL,
    UNIQUE (user_id, run_id)
) STRICT;
CREATE INDEX course_run_enrollments_run ON course_run_enrollments (run_id, user_id);

CREATE TABLE program_enrollments (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    program_id      INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    change_status   TEXT CHECK (change_status IS NULL OR change_status IN ('deferred', 'transferred', 'refunded', 'unenrolled')),
    enrollment_mode TEXT NOT NULL DEFAULT 'audit' CHECK (enrollment_mode IN ('audit', 'verified')),
    created_on      TEXT NOT NULL,
    updated_on      TEXT NOT NULL,
    UNIQUE (user_id, program_id)
) STRICT;

-- The original's PaidCourseRun / PaidProgram: which order paid for a learner's run/program.
-- order_id points at the orders table of the ecommerce work (no FK: that table comes later).
CREATE TABLE paid_course_runs (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    run_id     INTEGER NOT NULL REFERENCES course_runs (id) ON DELETE CASCADE,
    order_id   INTEGER NOT NULL,
    created_on TEXT NOT NULL,
    UNIQUE (user_id, run_id, order_id)
) STRICT;

CREATE TABLE paid_programs (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    program_id INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    order_id   INTEGER NOT NULL,
    created_on TEXT NOT NULL,
    UNIQUE (user_id, program_id, order_id)
) STRICT;

-- CourseRunGrade: grade is a decimal 0..1 kept as text (exact).
CREATE TABLE course_run_grades (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    run_id       INTEGER NOT NULL REFERENCES course_runs (id) ON DELETE CASCADE,
    grade        TEXT NOT NULL CHECK (CAST(grade AS REAL) BETWEEN 0 AND 1),
    letter_grade TEXT,
    passed       INTEGER NOT NULL DEFAULT 0 CHECK (passed IN (0, 1)),
    set_by_admin INTEGER NOT NULL DEFAULT 0 CHECK (set_by_admin IN (0, 1)),
    created_on   TEXT NOT NULL,
    updated_on   TEXT NOT NULL,
    UNIQUE (user_id, run_id)
) STRICT;
CREATE INDEX course_run_grades_run ON course_run_grades (run_id);
