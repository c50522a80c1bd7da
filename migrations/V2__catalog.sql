-- Catalog (departments, topics, courses, runs, programs and their requirement trees, collections,
-- products with versioned prices, blocked countries) and the CMS (pages with revisions, media).
-- Append-only: add V5__… for later changes.

CREATE TABLE departments (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 128)
) STRICT;

CREATE TABLE topics (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),
    parent_id INTEGER REFERENCES topics (id)
) STRICT;

CREATE TABLE enrollment_modes (
    id                INTEGER PRIMARY KEY,
    mode_slug         TEXT NOT NULL UNIQUE,
    mode_display_name TEXT NOT NULL,
    requires_payment  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE courses (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
    readable_id TEXT NOT NULL UNIQUE CHECK (length(readable_id) BETWEEN 1 AND 255),
    live        INTEGER NOT NULL DEFAULT 0,
    created_on  TEXT NOT NULL,
    updated_on  TEXT NOT NULL
) STRICT;

CREATE TABLE course_departments (
    course_id     INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    PRIMARY KEY (course_id, department_id)
) STRICT;

CREATE TABLE course_topics (
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    topic_id  INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (course_id, topic_id)
) STRICT;

-- SupportedVariant for courses (possible_variant_sets).
CREATE TABLE course_variants (
    id               INTEGER PRIMARY KEY,
    course_id        INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    language         TEXT NOT NULL DEFAULT 'en',
    variant_length   TEXT NOT NULL DEFAULT '' CHECK (variant_length IN ('', 'S')),
    variant_industry TEXT NOT NULL DEFAULT '' CHECK (variant_industry IN ('', 'E', 'F', 'HC')),
    active           INTEGER NOT NULL DEFAULT 1,
    b2b_only         INTEGER NOT NULL DEFAULT 0,
    default_variant  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE blocked_countries (
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    country   TEXT NOT NULL CHECK (length(country) = 2),
    PRIMARY KEY (course_id, country)
) STRICT;

-- b2b_contract_id points at the B2B module's contracts (that issue adds the table).
CREATE TABLE course_runs (
    id                         INTEGER PRIMARY KEY,
    course_id                  INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    title                      TEXT NOT NULL,
    courseware_id              TEXT NOT NULL UNIQUE,
    run_tag                    TEXT NOT NULL DEFAULT '',
    has_courseware_url         INTEGER NOT NULL DEFAULT 1,
    start_date                 TEXT,
    end_date                   TEXT,
    certificate_available_date TEXT,
    enrollment_start           TEXT,
    enrollment_end             TEXT,
    expiration_date            TEXT,
    upgrade_deadline           TEXT,
    live                       INTEGER NOT NULL DEFAULT 0,
    is_self_paced              INTEGER NOT NULL DEFAULT 0,
    b2b_contract_id            INTEGER,
    is_source_run              INTEGER NOT NULL DEFAULT 0,
    is_primary_language        INTEGER NOT NULL DEFAULT 0,
    language                   TEXT NOT NULL DEFAULT 'en' CHECK (length(language) <= 8),
    variant_length             TEXT NOT NULL DEFAULT '' CHECK (variant_length IN ('', 'S')),
    variant_industry           TEXT NOT NULL DEFAULT '' CHECK (variant_industry IN ('', 'E', 'F', 'HC')),
    created_on                 TEXT NOT NULL,
    updated_on                 TEXT NOT NULL,
    CHECK (expiration_date IS NULL OR ((start_date IS NULL OR expiration_date >= start_date)
                                       AND (end_date IS NULL OR expiration_date >= end_date)))
) STRICT;
CREATE INDEX course_runs_course ON course_runs (course_id);

CREATE TABLE course_run_modes (
    course_run_id INTEGER NOT NULL REFERENCES course_runs (id) ON DELETE CASCADE,
    mode_id       INTEGER NOT NULL REFERENCES enrollment_modes (id),
    PRIMARY KEY (course_run_id, mode_id)
) STRICT;

CREATE TABLE programs (
    id               INTEGER PRIMARY KEY,
    title            TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
    readable_id      TEXT NOT NULL UNIQUE CHECK (length(readable_id) BETWEEN 1 AND 255),
    live             INTEGER NOT NULL DEFAULT 0,
    program_type     TEXT NOT NULL DEFAULT 'Series',
    availability     TEXT NOT NULL DEFAULT 'anytime' CHECK (availability IN ('anytime', 'dated')),
    enrollment_start TEXT,
    enrollment_end   TEXT,
    start_date       TEXT,
    end_date         TEXT,
    display_mode     TEXT CHECK (display_mode IS NULL OR display_mode = 'course'),
    b2b_only         INTEGER NOT NULL DEFAULT 0,
    created_on       TEXT NOT NULL,
    updated_on       TEXT NOT NULL
) STRICT;

CREATE TABLE program_departments (
    program_id    INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    PRIMARY KEY (program_id, department_id)
) STRICT;

CREATE TABLE program_modes (
    program_id INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    mode_id    INTEGER NOT NULL REFERENCES enrollment_modes (id),
    PRIMARY KEY (program_id, mode_id)
) STRICT;

-- The requirement tree (adjacency list; siblings ordered by position).
CREATE TABLE program_requirements (
    id                  INTEGER PRIMARY KEY,
    program_id          INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    parent_id           INTEGER REFERENCES program_requirements (id) ON DELETE CASCADE,
    position            INTEGER NOT NULL DEFAULT 0,
    node_type           TEXT NOT NULL CHECK (node_type IN ('program_root', 'operator', 'course', 'program')),
    operator            TEXT CHECK (operator IS NULL OR operator IN ('all_of', 'min_number_of')),
    operator_value      TEXT,
    course_id           INTEGER REFERENCES courses (id) ON DELETE CASCADE,
    required_program_id INTEGER REFERENCES programs (id) ON DELETE CASCADE,
    title               TEXT NOT NULL DEFAULT '',
    elective_flag       INTEGER NOT NULL DEFAULT 0,
    CHECK (
        (node_type = 'program_root' AND parent_id IS NULL AND operator IS NULL AND course_id IS NULL AND required_program_id IS NULL)
     OR (node_type = 'operator' AND parent_id IS NOT NULL AND operator IS NOT NULL AND course_id IS NULL AND required_program_id IS NULL
         AND (operator = 'all_of' OR (operator_value IS NOT NULL AND CAST(operator_value AS INTEGER) >= 0)))
     OR (node_type = 'course' AND parent_id IS NOT NULL AND operator IS NULL AND course_id IS NOT NULL AND required_program_id IS NULL)
     OR (node_type = 'program' AND parent_id IS NOT NULL AND operator IS NULL AND course_id IS NULL AND required_program_id IS NOT NULL)
    )
) STRICT;
CREATE UNIQUE INDEX program_requirements_one_root ON program_requirements (program_id) WHERE node_type = 'program_root';
CREATE INDEX program_requirements_program ON program_requirements (program_id, parent_id, position);

CREATE TABLE program_collections (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_on  TEXT NOT NULL,
    updated_on  TEXT NOT NULL
) STRICT;

CREATE TABLE program_collection_items (
    collection_id INTEGER NOT NULL REFERENCES program_collections (id) ON DELETE CASCADE,
    program_id    INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, program_id)
) STRICT;

-- A sellable thing: one course run or one program. Its price lives in product_versions; the
-- current price is the latest version (ecommerce pins orders to a version).
CREATE TABLE products (
    id            INTEGER PRIMARY KEY,
    course_run_id INTEGER UNIQUE REFERENCES course_runs (id),
    program_id    INTEGER UNIQUE REFERENCES programs (id),
    is_active     INTEGER NOT NULL DEFAULT 1,
    created_on    TEXT NOT NULL,
    CHECK ((course_run_id IS NULL) <> (program_id IS NULL))
) STRICT;

CREATE TABLE product_versions (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    price       TEXT NOT NULL CHECK (CAST(price AS REAL) >= 0),
    description TEXT NOT NULL DEFAULT '',
    created_on  TEXT NOT NULL
) STRICT;
CREATE INDEX product_versions_product ON product_versions (product_id, id);

-- CMS: images stored in the database (one file is the whole state).
CREATE TABLE cms_media (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL DEFAULT '',
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        BLOB NOT NULL,
    sha256       TEXT NOT NULL,
    created_on   TEXT NOT NULL
) STRICT;

-- One row per page; its content is in revisions. `live_revision_id` is what anonymous users
-- see (when `live`); the latest revision is the draft.
CREATE TABLE cms_pages (
    id                 INTEGER PRIMARY KEY,
    page_type          TEXT NOT NULL CHECK (page_type IN ('home', 'course', 'program', 'instructor', 'signatory', 'certificate', 'resource', 'banner')),
    slug               TEXT NOT NULL CHECK (length(slug) BETWEEN 1 AND 255),
    title              TEXT NOT NULL DEFAULT '',
    course_id          INTEGER UNIQUE REFERENCES courses (id) ON DELETE CASCADE,
    program_id         INTEGER UNIQUE REFERENCES programs (id) ON DELETE CASCADE,
    parent_id          INTEGER REFERENCES cms_pages (id) ON DELETE CASCADE,
    live               INTEGER NOT NULL DEFAULT 0,
    live_revision_id   INTEGER,
    first_published_at TEXT,
    last_published_at  TEXT,
    created_on         TEXT NOT NULL,
    updated_on         TEXT NOT NULL,
    UNIQUE (page_type, slug)
) STRICT;

CREATE TABLE cms_revisions (
    id         INTEGER PRIMARY KEY,
    page_id    INTEGER NOT NULL REFERENCES cms_pages (id) ON DELETE CASCADE,
    content    TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_on TEXT NOT NULL
) STRICT;
CREATE INDEX cms_revisions_page ON cms_revisions (page_id, id);

-- One counter bumped by triggers on every catalog/CMS change, so in-memory snapshots of the
-- catalog know exactly when they are stale, whichever module wrote.
CREATE TABLE catalog_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO catalog_version (id, version) VALUES (1, 1);

-- Snapshot invalidation triggers.
CREATE TRIGGER departments_insert_bump AFTER INSERT ON departments BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER departments_update_bump AFTER UPDATE ON departments BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER departments_delete_bump AFTER DELETE ON departments BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER topics_insert_bump AFTER INSERT ON topics BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER topics_update_bump AFTER UPDATE ON topics BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER topics_delete_bump AFTER DELETE ON topics BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER enrollment_modes_insert_bump AFTER INSERT ON enrollment_modes BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER enrollment_modes_update_bump AFTER UPDATE ON enrollment_modes BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER enrollment_modes_delete_bump AFTER DELETE ON enrollment_modes BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER courses_insert_bump AFTER INSERT ON courses BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER courses_update_bump AFTER UPDATE ON courses BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER courses_delete_bump AFTER DELETE ON courses BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_departments_insert_bump AFTER INSERT ON course_departments BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_departments_update_bump AFTER UPDATE ON course_departments BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_departments_delete_bump AFTER DELETE ON course_departments BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_topics_insert_bump AFTER INSERT ON course_topics BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_topics_update_bump AFTER UPDATE ON course_topics BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_topics_delete_bump AFTER DELETE ON course_topics BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_variants_insert_bump AFTER INSERT ON course_variants BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_variants_update_bump AFTER UPDATE ON course_variants BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_variants_delete_bump AFTER DELETE ON course_variants BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER blocked_countries_insert_bump AFTER INSERT ON blocked_countries BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER blocked_countries_update_bump AFTER UPDATE ON blocked_countries BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER blocked_countries_delete_bump AFTER DELETE ON blocked_countries BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_runs_insert_bump AFTER INSERT ON course_runs BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_runs_update_bump AFTER UPDATE ON course_runs BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_runs_delete_bump AFTER DELETE ON course_runs BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_run_modes_insert_bump AFTER INSERT ON course_run_modes BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_run_modes_update_bump AFTER UPDATE ON course_run_modes BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER course_run_modes_delete_bump AFTER DELETE ON course_run_modes BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER programs_insert_bump AFTER INSERT ON programs BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER programs_update_bump AFTER UPDATE ON programs BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER programs_delete_bump AFTER DELETE ON programs BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_departments_insert_bump AFTER INSERT ON program_departments BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_departments_update_bump AFTER UPDATE ON program_departments BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_departments_delete_bump AFTER DELETE ON program_departments BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_modes_insert_bump AFTER INSERT ON program_modes BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_modes_update_bump AFTER UPDATE ON program_modes BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_modes_delete_bump AFTER DELETE ON program_modes BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_requirements_insert_bump AFTER INSERT ON program_requirements BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_requirements_update_bump AFTER UPDATE ON program_requirements BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_requirements_delete_bump AFTER DELETE ON program_requirements BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_collections_insert_bump AFTER INSERT ON program_collections BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_collections_update_bump AFTER UPDATE ON program_collections BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_collections_delete_bump AFTER DELETE ON program_collections BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_collection_items_insert_bump AFTER INSERT ON program_collection_items BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_collection_items_update_bump AFTER UPDATE ON program_collection_items BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER program_collection_items_delete_bump AFTER DELETE ON program_collection_items BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER products_insert_bump AFTER INSERT ON products BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER products_update_bump AFTER UPDATE ON products BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER products_delete_bump AFTER DELETE ON products BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER product_versions_insert_bump AFTER INSERT ON product_versions BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER product_versions_update_bump AFTER UPDATE ON product_versions BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER product_versions_delete_bump AFTER DELETE ON product_versions BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cms_media_insert_bump AFTER INSERT ON cms_media BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cms_media_update_bump AFTER UPDATE ON cms_media BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cms_media_delete_bump AFTER DELETE ON cms_media BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cms_pages_insert_bump AFTER INSERT ON cms_pages BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cms_pages_update_bump AFTER UPDATE ON cms_pages BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cms_pages_delete_bump AFTER DELETE ON cms_pages BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cms_revisions_insert_bump AFTER INSERT ON cms_revisions BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cms_revisions_update_bump AFTER UPDATE ON cms_revisions BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cms_revisions_delete_bump AFTER DELETE ON cms_revisions BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
