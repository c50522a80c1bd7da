"""Records the HTTP requests the original makes to Open edX, as golden data for our client.

Runs PyPI `edx-api-client` (the library the original uses) once against a recording HTTP server
on 127.0.0.1, plus the few calls the original makes with plain `requests` (registration, profile
PATCH, OAuth2 token exchange/refresh), built the way `mitodl/mitxonline: openedx/api.py` builds
them. Writes `golden_requests.json` next to this file: one entry per call, with the method,
path, raw query, the headers that matter and the body.

    .venv/bin/python tests/data/openedx/record_golden.py

Nothing leaves 127.0.0.1.
"""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from edx_api.client import EdxApi

COURSE = "course-v1:MITx+6.00x+2T2026"
HEADERS_THAT_MATTER = ["Authorization", "Content-Type", "X-Access-Token", "Accept", "X-Requested-With"]

recorded = []
current_label = [None]


def canned(method, path, query):
    """Replies that let the library parse and paginate."""
    if path == "/api/enrollment/v1/enrollments":
        if "cursor=" in query:
            return {"next": None, "previous": None, "results": []}
        base = "http://127.0.0.1/api/enrollment/v1/enrollments"
        return {"next": f"{base}?cursor=cD0yMDI2&course_id=x", "previous": None, "results": []}
    if path == "/api/enrollment/v1/enrollment":
        if method == "GET":
            return []
        return {"mode": "audit", "is_active": True, "user": "learner1",
                "course_details": {"course_id": COURSE}, "created": "2026-01-01T00:00:00Z"}
    if path.startswith("/api/grades/v1/courses/"):
        grade = {"username": "learner1", "email": "l1@example.com", "course_id": COURSE,
                 "passed": True, "percent": 0.8, "letter_grade": "B"}
        if "username=" in query:
            return [grade]
        if "page=2" in query:
            return {"next": None, "results": [grade]}
        return {"next": f"http://127.0.0.1:{PORT}/api/grades/v1/courses/{COURSE}/?page=2", "results": []}
    if path == "/api/courses/v1/courses/":
        nxt = "http://x/next" if "page=1" in query and "course_keys=course-v1%3AMITx%2BK0%2B" in query else None
        return {"results": [], "pagination": {"next": nxt}}
    if path.startswith("/api/courses/v1/courses/"):
        return {"id": COURSE, "name": "Intro", "pacing": "instructor"}
    if path.startswith("/api/course_modes/v1/courses/"):
        if method == "GET" and path.rstrip("/").endswith(COURSE):
            return []
        return {"course_id": COURSE, "mode_slug": "verified"}
    if path == "/api/change_email_settings":
        return {"success": True}
    if path == "/oauth2/access_token":
        return {"access_token": "a", "refresh_token": "r", "expires_in": 36000}
    return {}


class Recorder(BaseHTTPRequestHandler):
    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        path, _, query = self.path.partition("?")
        recorded.append({
            "call": current_label[0],
            "method": self.command,
            "path": path,
            "query": query or None,
            "headers": {h.lower(): self.headers[h] for h in HEADERS_THAT_MATTER if self.headers.get(h)},
            "body": body or None,
        })
        reply = json.dumps(canned(self.command, path, query)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
PORT = server.server_address[1]
threading.Thread(target=server.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{PORT}"

service = EdxApi({"access_token": "service-token"}, BASE)
user = EdxApi({"access_token": "user-token"}, BASE)


def call(label, fn):
    current_label[0] = label
    fn()


call("enroll_verified", lambda: service.enrollments.create_student_enrollment(
    COURSE, mode="verified", username="learner1", force_enrollment=True))
call("enroll_audit", lambda: service.enrollments.create_student_enrollment(
    COURSE, mode="audit", username="learner1", force_enrollment=True))
call("deactivate", lambda: service.enrollments.deactivate_enrollment(COURSE, username="learner1"))
call("list_enrollments", lambda: list(service.enrollments.get_enrollments(
    course_id=COURSE, usernames=["learner1", "learner2"])))
call("own_enrollments", lambda: user.enrollments.get_student_enrollments())
call("email_subscribe", lambda: user.email_settings.subscribe(COURSE))
call("email_unsubscribe", lambda: user.email_settings.unsubscribe(COURSE))
call("user_grade", lambda: service.current_grades.get_student_current_grade("learner1", COURSE))
call("course_grades", lambda: service.current_grades.get_course_current_grades(COURSE))
keys = [f"course-v1:MITx+K{i}+1T2026" for i in range(101)]
call("course_list", lambda: list(service.course_list.get_courses(course_keys=keys, username="svc-worker")))
call("course_detail", lambda: service.course_detail.get_detail(COURSE, username="svc-worker"))
call("course_modes", lambda: service.course_mode.get_course_modes(COURSE))
call("course_mode", lambda: service.course_mode.get_course_mode(COURSE, "verified"))
call("create_course_mode", lambda: service.course_mode.create_course_mode(
    COURSE, "verified", "Verified", "USD", min_price=10, expiration_datetime="2026-06-01T00:00:00Z"))
call("update_course_mode", lambda: service.course_mode.update_course_mode(
    COURSE, "verified", expiration_datetime="2026-07-01T00:00:00Z"))
call("delete_course_mode", lambda: service.course_mode.delete_course_mode(COURSE, "verified"))
call("user_exists", lambda: user.user_info.get_user_info())
call("update_user_name", lambda: user.user_info.update_user_name("learner1", "Jane Doe"))
call("lti_user_fix", lambda: service.lti_tools.fix_lti_user("l1@example.com"))

# The calls the original makes with plain `requests` (openedx/api.py), built the same way.
def register():
    s = requests.Session()
    s.headers.update({"X-Access-Token": "registration-token"})
    s.post(f"{BASE}/user_api/v1/account/registration/", data=dict(
        username="learner1", email="l1@example.com", name="Jane Doe", country="US", state="MA",
        gender="f", year_of_birth=1990, level_of_education="b", provider="ol-oauth2",
        access_token="mxo-token", honor_code=True))


def register_minimal():
    # No profile yet: requests drops None values from form data.
    s = requests.Session()
    s.post(f"{BASE}/user_api/v1/account/registration/", data=dict(
        username="learner2", email="l2@example.com", name="Sam", country=None, state=None,
        gender=None, year_of_birth=None, level_of_education=None, provider="ol-oauth2",
        access_token="mxo-token", honor_code=True))


def validate_registration():
    s = requests.Session()
    s.headers.update({"X-Access-Token": "registration-token"})
    s.post(f"{BASE}/api/user/v1/validation/registration",
           data=dict(username="learner1", email="l1@example.com"))


def update_profile():
    requests.Session().patch(f"{BASE}/api/user/v1/accounts/learner1", json=dict(
        name="Jane Doe", country="US", state="MA", gender="f", year_of_birth=1990,
        level_of_education="b"), headers={"Authorization": "Bearer user-token",
                                          "Content-Type": "application/merge-patch+json"})


def token_exchange():
    requests.post(f"{BASE}/oauth2/access_token", data=dict(
        code=["the-code"], grant_type="authorization_code", client_id="client-id",
        client_secret="client-secret", redirect_uri="http://mxo.example/_/auth/complete"))


def token_refresh():
    requests.post(f"{BASE}/oauth2/access_token", data=dict(
        refresh_token="r", grant_type="refresh_token", client_id="client-id",
        client_secret="client-secret"))


call("register", register)
call("register_minimal", register_minimal)
call("validate_registration", validate_registration)
call("update_profile", update_profile)
call("token_exchange", token_exchange)
call("token_refresh", token_refresh)

server.shutdown()
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_requests.json")
with open(out, "w") as f:
    json.dump({"edx_api_client": "1.14.0", "requests": recorded}, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"recorded {len(recorded)} requests into {out}")
