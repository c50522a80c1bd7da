"""Schemathesis hooks for scripts/api-fuzz: one custom check, run after every response.

`rejected_requests_change_nothing`: the database's content (every table, row by row, hashed)
is read after each response; when it differs from the content after the previous response and
this response refused the request (4xx), the refused request changed something. The run uses
one worker, so between two responses only the request in between ran; the server runs with
its scheduler off and nothing else writes.

Not counted as a change: what signing in through `X-Userinfo` does before any handler runs
(a caller without a session cookie is signed in on each request, refused or not, as the
original's RemoteUserMiddleware does): `sessions`, `b2b_membership_sync` (when the header's
organizations were last reconciled), and in `users` the columns the sign-in writes:
`last_login`, `global_id` (the claims' subject), `name` (an empty one is filled from the claims,
so a name an accepted request blanked comes back on the next request) and `updated_on`. That
refused profile edits leave the name alone is the users tests' part. Before reading,
the check waits (up to 2 s) for the outbox to try the messages that are due (an accepted
request queued them), so their delivery is not taken for the next request's doing. And
`throttle_events`: the discount-code limiter counts refused attempts, by design.
"""

import hashlib
import os
import sqlite3
import time

import schemathesis

DB = os.environ["API_FUZZ_DB"]
IGNORED_TABLES = {"sessions", "b2b_membership_sync", "throttle_events"}
IGNORED_COLUMNS = {"users": {"last_login", "global_id", "name", "updated_on"}}

_last = {"digest": None}  # set at import, below


def _digest():
    conn = sqlite3.connect(f"file:{DB}?mode=ro", uri=True, timeout=30)
    try:
        for _ in range(100):
            untried = (
                "SELECT count(*) FROM outbox WHERE status = 'pending'"
                " AND next_attempt_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
            )
            if conn.execute(untried).fetchone()[0] == 0:
                break
            time.sleep(0.02)
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        out = {}
        for t in tables:
            if t in IGNORED_TABLES:
                continue
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
            keep = [c for c in cols if c not in IGNORED_COLUMNS.get(t, set())]
            sel = ", ".join(f'"{c}"' for c in keep)
            rows = frozenset(repr(r) for r in conn.execute(f'SELECT {sel} FROM "{t}"'))
            out[t] = (hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest(), rows)
        return out
    finally:
        conn.close()


@schemathesis.check
def rejected_requests_change_nothing(ctx, response, case):
    now = _digest()
    before, _last["digest"] = _last["digest"], now
    if before is None or not 400 <= response.status_code < 500:
        return None
    empty = (None, frozenset())
    changed = sorted(t for t in now.keys() | before.keys() if now.get(t, empty)[0] != before.get(t, empty)[0])
    if changed:
        t = changed[0]
        gone = sorted(before.get(t, empty)[1] - now.get(t, empty)[1])[:1]
        new = sorted(now.get(t, empty)[1] - before.get(t, empty)[1])[:1]
        raise AssertionError(
            f"a request refused with {response.status_code} changed the tables {', '.join(changed)}"
            f" (in {t}: {gone and gone[0][:300]} became {new and new[0][:300]})"
        )
    return None


_last["digest"] = _digest()
