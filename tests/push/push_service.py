"""A push service for the tests, independent of the API's code: it hands out subscriptions (a
fresh P-256 key pair and auth secret each, as a browser makes them), receives pushes on their
endpoints, verifies the VAPID JWT with py-vapid (ES256 signature, aud, exp within 24 h, sub) and
decrypts the aes128gcm payload with http-ece, and records what arrived for the tests to read.
With --ws-port it also speaks Mozilla's push websocket protocol (what Firefox's dom.push.serverURL
talks to), relaying pushes posted to /wpush/<channelID> to the browser.

  push_service.py --port P [--ws-port W]

HTTP (all JSON):
  POST /subscriptions                 -> {id, endpoint, keys: {p256dh, auth}}
  POST /push/<id>                     a push (answers 201, or the status set below)
  GET  /subscriptions/<id>/received   -> {pushes: [{payload, topic, urgency, ttl, claims}], errors: [...]}
  PUT  /subscriptions/<id>/status     {"status": 410} -> later pushes get that answer
  POST /wpush/<channelID>             a push for a browser on the websocket (relayed undecrypted)
  GET  /wpush-log                     -> {pushes: [{channelID, claims, error}]}
"""

import argparse
import asyncio
import base64
import json
import os
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import jwt as vapid_jwt

LOCK = threading.Lock()
SUBSCRIPTIONS = {}  # id -> {private_key, auth, status, pushes, errors}
WPUSH_LOG = []
BROWSERS = {}  # channelID -> websocket
LOOP = None
ORIGIN = ""


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_vapid(authorization):
    """The claims of a valid `vapid t=<jwt>, k=<key>` header (RFC 8292), or raises ValueError."""
    match = re.fullmatch(r"vapid\s+t=([^,\s]+)\s*,\s*k=([A-Za-z0-9_-]+)", authorization or "")
    if not match:
        raise ValueError(f"no vapid authorization: {authorization!r}")
    token, key = match.groups()
    claims = vapid_jwt.decode(token, key)  # raises InvalidSignature
    header = json.loads(unb64url(token.split(".")[0]))
    if header.get("alg") != "ES256":
        raise ValueError(f"alg is {header.get('alg')}")
    if claims.get("aud") != ORIGIN:
        raise ValueError(f"aud {claims.get('aud')!r} is not {ORIGIN!r}")
    now = time.time()
    if not (now < claims.get("exp", 0) <= now + 24 * 3600 + 60):
        raise ValueError(f"exp {claims.get('exp')} is not within 24 h")
    sub = claims.get("sub", "")
    if not (re.fullmatch(r"mailto:[^@\s]+@[^@\s]+", sub) or sub.startswith("https://")):
        raise ValueError(f"sub {sub!r} is not mailto: or https:")
    claims["k"] = key
    return claims


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=None):
        data = json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def do_GET(self):
        match = re.fullmatch(r"/subscriptions/([0-9a-f]+)/received", self.path)
        if match:
            with LOCK:
                sub = SUBSCRIPTIONS.get(match.group(1))
                if not sub:
                    return self.answer(404, {"error": "unknown subscription"})
                return self.answer(200, {"pushes": sub["pushes"], "errors": sub["errors"]})
        if self.path == "/wpush-log":
            with LOCK:
                return self.answer(200, {"pushes": WPUSH_LOG})
        self.answer(404, {"error": "not found"})

    def do_PUT(self):
        match = re.fullmatch(r"/subscriptions/([0-9a-f]+)/status", self.path)
        if not match:
            return self.answer(404, {"error": "not found"})
        status = json.loads(self.body())["status"]
        with LOCK:
            SUBSCRIPTIONS[match.group(1)]["status"] = status
        self.answer(200, {"status": status})

    def do_POST(self):
        if self.path == "/subscriptions":
            self.body()
            key = ec.generate_private_key(ec.SECP256R1())
            public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
            auth = secrets.token_bytes(16)
            sub_id = secrets.token_hex(16)
            with LOCK:
                SUBSCRIPTIONS[sub_id] = {"private_key": key, "auth": auth, "status": 201, "pushes": [], "errors": []}
            return self.answer(
                201,
                {"id": sub_id, "endpoint": f"{ORIGIN}/push/{sub_id}", "keys": {"p256dh": b64url(public), "auth": b64url(auth)}},
            )
        match = re.fullmatch(r"/push/([0-9a-f]+)", self.path)
        if match:
            return self.push(match.group(1))
        match = re.fullmatch(r"/wpush/([0-9A-Za-z-]+)", self.path)
        if match:
            return self.wpush(match.group(1))
        self.answer(404, {"error": "not found"})

    def push(self, sub_id):
        body = self.body()
        with LOCK:
            sub = SUBSCRIPTIONS.get(sub_id)
        if not sub:
            return self.answer(404, {"error": "unknown subscription"})
        try:
            claims = verify_vapid(self.headers.get("authorization"))
            if self.headers.get("content-encoding") != "aes128gcm":
                raise ValueError(f"content-encoding is {self.headers.get('content-encoding')!r}")
            if not self.headers.get("ttl"):
                raise ValueError("no TTL header")
            plain = http_ece.decrypt(body, private_key=sub["private_key"], auth_secret=sub["auth"], version="aes128gcm")
            payload = json.loads(plain)
        except Exception as err:  # noqa: BLE001 - every failure is recorded for the test to see
            with LOCK:
                sub["errors"].append(f"{type(err).__name__}: {err}")
            return self.answer(401 if "vapid" in str(err).lower() or "Signature" in type(err).__name__ else 400, {"error": str(err)})
        status = sub["status"]
        if 200 <= status < 300:
            with LOCK:
                sub["pushes"].append(
                    {
                        "payload": payload,
                        "topic": self.headers.get("topic"),
                        "urgency": self.headers.get("urgency"),
                        "ttl": self.headers.get("ttl"),
                        "claims": claims,
                        "at": time.time(),
                    }
                )
        self.answer(status, {"status": status})

    def wpush(self, channel_id):
        body = self.body()
        entry = {"channelID": channel_id, "bytes": len(body)}
        try:
            entry["claims"] = verify_vapid(self.headers.get("authorization"))
        except Exception as err:  # noqa: BLE001
            entry["error"] = f"{type(err).__name__}: {err}"
        with LOCK:
            WPUSH_LOG.append(entry)
            socket = BROWSERS.get(channel_id)
        if "error" in entry:
            return self.answer(401, {"error": entry["error"]})
        if socket is None:
            return self.answer(410, {"error": "no browser for this channel"})
        message = {
            "messageType": "notification",
            "channelID": channel_id,
            "version": secrets.token_hex(8),
            "data": b64url(body),
            "headers": {"encoding": self.headers.get("content-encoding", "aes128gcm")},
        }
        asyncio.run_coroutine_threadsafe(socket.send(json.dumps(message)), LOOP).result(5)
        self.answer(201, {})


async def mozilla_push(websocket):
    """Mozilla's push protocol, the parts Firefox uses: hello, register, unregister, ack, ping."""
    try:
        await mozilla_push_session(websocket)
    except websockets.exceptions.ConnectionClosed:
        pass  # the browser went away


async def mozilla_push_session(websocket):
    uaid = secrets.token_hex(16)
    async for raw in websocket:
        if os.environ.get("PUSH_SERVICE_TRACE"):
            print("ws <", raw, flush=True)
        message = json.loads(raw)
        kind = message.get("messageType")
        if kind == "hello":
            reply = {"messageType": "hello", "uaid": message.get("uaid") or uaid, "status": 200, "use_webpush": True, "broadcasts": {}}
            await websocket.send(json.dumps(reply))
        elif kind == "register":
            channel_id = message["channelID"]
            with LOCK:
                BROWSERS[channel_id] = websocket
            await websocket.send(
                json.dumps({"messageType": "register", "channelID": channel_id, "status": 200, "pushEndpoint": f"{ORIGIN}/wpush/{channel_id}"})
            )
        elif kind == "unregister":
            with LOCK:
                BROWSERS.pop(message.get("channelID"), None)
            await websocket.send(json.dumps({"messageType": "unregister", "channelID": message.get("channelID"), "status": 200}))
        elif kind == "broadcast_subscribe":
            await websocket.send(json.dumps({"messageType": "broadcast", "broadcasts": {}}))
        elif kind == "ping" or kind is None:
            await websocket.send("{}")


async def main():
    global LOOP, ORIGIN
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ws-port", type=int)
    args = parser.parse_args()
    LOOP = asyncio.get_running_loop()
    ORIGIN = f"http://127.0.0.1:{args.port}"
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"push service on {ORIGIN}", flush=True)
    if args.ws_port:
        async with websockets.serve(mozilla_push, "127.0.0.1", args.ws_port, subprotocols=["push-notification"]):
            print(f"mozilla push websocket on ws://127.0.0.1:{args.ws_port}", flush=True)
            await asyncio.Future()
    else:
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
