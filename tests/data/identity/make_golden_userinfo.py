"""Regenerates golden_userinfo.json: X-Userinfo values made by PyPI's mitol-django-apigateway.

    python3 -m venv /tmp/v && /tmp/v/bin/pip install mitol-django-apigateway mitol-django-common
    /tmp/v/bin/python tests/data/identity/make_golden_userinfo.py > tests/data/identity/golden_userinfo.json

`organization` is added by hand (the package does not emit it), in Keycloak's shape, and
re-encoded the way APISIX does (standard padded base64 of the JSON).
"""

import base64
import json
from types import SimpleNamespace

import django
from django.conf import settings

import mitol.apigateway.settings as defaults

settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    **{k: v for k, v in vars(defaults).items() if k.startswith("MITOL_")},
)
django.setup()

from mitol.apigateway.api import create_userinfo_header, decode_x_header  # noqa: E402

people = [
    ("a plain learner", "learner1", "learner1@example.com", "8c5ff4d2-6c0d-4b43-9a4f-2d2d1b1f0a01", "Lee Learner"),
    ("a name with accents and an email with a plus", "zoe.b", "zoe+mit@example.org", "0f7d5a4e-1111-4c8e-8d5e-aaaaaaaaaaaa", "Zoë Brontë-Ångström"),
    ("a user whose name is still empty", "nameless", "nameless@example.net", "3b0cbd39-2222-4f32-9a71-bbbbbbbbbbbb", ""),
]
out = []
for description, username, email, global_id, name in people:
    user = SimpleNamespace(username=username, email=email, global_id=global_id, name=name)
    header = create_userinfo_header(user)["X_USERINFO"].decode()
    decoded = decode_x_header({"headers": [(b"x-userinfo", header.encode())]})
    out.append({"description": description, "header": header, "decoded": decoded})

claims = dict(out[0]["decoded"])
claims["email_optin"] = "1"
claims["organization"] = {"mit-sloan": {"id": "7d1b8a1e-3333-4e0b-8f4c-cccccccccccc", "name": ["MIT Sloan"]}}
header = base64.b64encode(json.dumps(claims).encode()).decode()
out.append({
    "description": "a learner in a Keycloak organisation (organization added by hand)",
    "header": header,
    "decoded": decode_x_header({"headers": [(b"x-userinfo", header.encode())]}),
})
print(json.dumps(out, indent=2, ensure_ascii=False))
