-- HubSpot certificate custom objects (the original's `course_run_certificate` and
-- `program_certificate` schemas): the sandbox CRM keeps them too, so its object_type CHECK
-- gains both. SQLite cannot alter a CHECK: the sandbox tables are rebuilt, associations
-- set aside while their parent is replaced (foreign keys stay on during migrations).
CREATE TABLE hubspot_sandbox_associations_keep AS SELECT * FROM hubspot_sandbox_associations;
DROP TABLE hubspot_sandbox_associations;

CREATE TABLE hubspot_sandbox_objects_new (
    id          INTEGER PRIMARY KEY,
    object_type TEXT NOT NULL CHECK (object_type IN ('contacts', 'deals', 'line_items', 'products',
                                                     'course_run_certificate', 'program_certificate')),
    properties  TEXT NOT NULL DEFAULT '{}',
    created_on  TEXT NOT NULL,
    updated_on  TEXT NOT NULL
) STRICT;
INSERT INTO hubspot_sandbox_objects_new (id, object_type, properties, created_on, updated_on)
    SELECT id, object_type, properties, created_on, updated_on FROM hubspot_sandbox_objects;
DROP TABLE hubspot_sandbox_objects;
ALTER TABLE hubspot_sandbox_objects_new RENAME TO hubspot_sandbox_objects;
CREATE INDEX hubspot_sandbox_objects_type ON hubspot_sandbox_objects (object_type, id);

CREATE TABLE hubspot_sandbox_associations (
    from_type TEXT NOT NULL,
    from_id   INTEGER NOT NULL REFERENCES hubspot_sandbox_objects (id) ON DELETE CASCADE,
    to_type   TEXT NOT NULL,
    to_id     INTEGER NOT NULL REFERENCES hubspot_sandbox_objects (id) ON DELETE CASCADE,
    PRIMARY KEY (from_type, from_id, to_type, to_id)
) STRICT;
INSERT INTO hubspot_sandbox_associations (from_type, from_id, to_type, to_id)
    SELECT from_type, from_id, to_type, to_id FROM hubspot_sandbox_associations_keep;
DROP TABLE hubspot_sandbox_associations_keep;
