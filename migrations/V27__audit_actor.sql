-- The staff learner page reads a learner's own actions from the audit trail by actor.
CREATE INDEX audit_log_actor ON audit_log (actor_id) WHERE actor_id IS NOT NULL;
