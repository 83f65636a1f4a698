"""schemathesis hooks for scripts/schemathesis.

Pusher webhooks are only read once their signature verifies, so unsigned generated bodies would
all stop at 401. Most webhook cases are signed here the way Pusher signs them (HMAC-SHA256 of the
raw body with the app secret, `X-Pusher-Key` and `X-Pusher-Signature`), so the generated events
reach the code that records them; the rest keep their generated headers and test the refusal.
"""

import hashlib
import hmac
import json
import os
import random

import schemathesis

WEBHOOK_PATH = "/api/pusher/webhook"
SIGNED_SHARE = 0.9


# The users the passes run as: an operator's generated ban or block of one of them would leave
# the other pass answering 403 to everything, so those requests name the erased user instead.
SAFETY_PATHS = ("/api/blocks", "/api/admin/bans")


def spare_pass_users(case):
    protected = [u for u in os.environ.get("SCHEMATHESIS_PROTECTED_USERS", "").split(",") if u]
    query = dict(case.query or {})
    if query.get("userId") in protected and os.environ.get("SCHEMATHESIS_ERASE_USER"):
        query["userId"] = os.environ["SCHEMATHESIS_ERASE_USER"]
        case.query = query


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path in SAFETY_PATHS and case.operation.method.upper() in ("PUT", "DELETE"):
        spare_pass_users(case)
        return
    if case.operation.path == "/api/me" and case.operation.method.upper() == "DELETE":
        query = dict(case.query or {})
        if not query.get("userId") and os.environ.get("SCHEMATHESIS_ERASE_USER"):
            query["userId"] = os.environ["SCHEMATHESIS_ERASE_USER"]
            case.query = query
        return
    if case.operation.path != WEBHOOK_PATH or random.random() >= SIGNED_SHARE:
        return
    try:
        # The exact bytes sent: requests would serialize `json=` the same way.
        raw = json.dumps(case.body, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        return
    key = os.environ["PUSHER_KEY"]
    secret = os.environ["PUSHER_SECRET"].encode("utf-8")
    signature = hmac.new(secret, raw, hashlib.sha256).hexdigest()
    headers = dict(case.headers or {})
    headers.update({"X-Pusher-Key": key, "X-Pusher-Signature": signature, "Content-Type": "application/json"})
    case.headers = headers
    kwargs["data"] = raw
