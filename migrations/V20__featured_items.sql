-- The home page's featured courses, computed by the `refresh-featured-homepage-items` job
-- (the original keeps the same list of course ids in Redis, never expiring).
CREATE TABLE cms_featured_courses (
    position    INTEGER PRIMARY KEY,
    course_id   INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    computed_on TEXT NOT NULL
) STRICT;
