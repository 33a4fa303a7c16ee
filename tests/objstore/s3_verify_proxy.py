#!/usr/bin/python3
"""A verifying, fault-injecting HTTP proxy in front of s3rver, for the object-store tests.

s3rver does not check SigV4 signatures (any secret is accepted), so every request is first
re-signed here with botocore's S3SigV4Auth, an implementation independent of ours, from the
decoded path and query (so our canonicalisation is checked, not echoed back). A mismatch is
answered 403 SignatureDoesNotMatch with S3's XML error body; x-amz-content-sha256 and
Content-MD5 are checked against the body. Accepted requests are forwarded unchanged (Host
header included) to s3rver.

Faults are queued through the unsigned control endpoint (never forwarded):
  POST /__proxy/faults   body: JSON list of faults, appended to the queue, e.g.
      [{"kind": "error", "status": 503, "count": 3},
       {"kind": "delay", "ms": 2000, "count": 1, "method": "PUT"},
       {"kind": "drop", "count": 2},          # close the connection without any response
       {"kind": "truncate", "count": 1},      # forward, then send half of the body and close
       {"kind": "lose", "count": 1}]          # forward, then close without any response
      Optional "method" and "path_contains" restrict which requests a fault applies to. Each
      S3 request takes the first matching fault in the queue and decrements its count.
  POST /__proxy/reset    clears faults and counters.
  GET  /__proxy/stats    JSON counters and the last requests (method, path, status, the Range
                         header or "", response body bytes sent); "get_bytes" sums the body
                         bytes of answered GETs.

Usage: s3_verify_proxy.py --upstream-port N --access-key K --secret-key S [--session-token T]
                          [--upstream-pid P]
The proxy listens on 127.0.0.1, port 0 unless --port; it prints "listening port=N" when ready.
When the process that started it dies (a test killed by its runner), it exits too and takes the
upstream process (--upstream-pid, s3rver) with it, so nothing outlives the test.
Runs with Debian's /usr/bin/python3 (python3-botocore).
"""

import argparse
import base64
import calendar
import hashlib
import http.client
import http.server
import json
import os
import re
import signal
import select
import socket
import sys
import threading
import time
from urllib.parse import quote, unquote

try:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials
except ImportError as e:  # The test reports this line and asks for `make deps`.
    print("s3_verify_proxy: botocore is missing (%s); run `make deps`" % e, flush=True)
    sys.exit(3)

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/,]+)/([^/,]+)/aws4_request,\s*"
    r"SignedHeaders=([a-z0-9;.\-]+),\s*Signature=([0-9a-f]{64})$")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection",
              "te", "upgrade"}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.faults = []
        self.reset_counters()

    def reset_counters(self):
        self.stats = {"requests": 0, "forwarded": 0, "auth_failures": 0,
                      "faults_injected": 0, "get_bytes": 0, "by_method": {}, "log": []}

    def take_fault(self, method, path):
        with self.lock:
            for f in self.faults:
                if f.get("method") and f["method"] != method:
                    continue
                if f.get("path_contains") and f["path_contains"] not in path:
                    continue
                f["count"] = f.get("count", 1) - 1
                if f["count"] <= 0:
                    self.faults.remove(f)
                self.stats["faults_injected"] += 1
                return dict(f)
        return None

    def record(self, method, path, status, range_header="", body_bytes=0):
        with self.lock:
            self.stats["requests"] += 1
            by = self.stats["by_method"]
            by[method] = by.get(method, 0) + 1
            if method == "GET":
                self.stats["get_bytes"] += body_bytes
            self.stats["log"].append([method, path, status, range_header, body_bytes])
            del self.stats["log"][:-500]


def s3_error_xml(code, message):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
            "<Message>%s</Message><RequestId>proxy</RequestId></Error>" % (code, message)).encode()


def decode_query(query):
    """Decoded (name, value) pairs, as S3 sees them (no '+' to space in SigV4)."""
    pairs = []
    if query:
        for part in query.split("&"):
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3-verify-proxy"

    def log_message(self, fmt, *args):  # Quiet: the test log shows failures only.
        pass

    def do_GET(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_DELETE(self):
        self.handle_any()

    def do_HEAD(self):
        self.handle_any()

    # --- helpers ---------------------------------------------------------------------------
    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status, body, headers=(), head_only=False):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if not any(k.lower() == "content-length" for k, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only and body:
            self.wfile.write(body)

    def reply_error(self, status, code, message):
        self.reply(status, s3_error_xml(code, message), [("Content-Type", "application/xml")],
                   head_only=self.command == "HEAD")

    def client_gone(self):
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
            return bool(r) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    # --- control endpoint ------------------------------------------------------------------
    def handle_control(self, body):
        state = self.server.state
        if self.command == "POST" and self.path == "/__proxy/faults":
            faults = json.loads(body or b"[]")
            with state.lock:
                state.faults.extend(faults)
            return self.reply(200, b"{}")
        if self.command == "POST" and self.path == "/__proxy/reset":
            with state.lock:
                state.faults.clear()
                state.reset_counters()
            return self.reply(200, b"{}")
        if self.command == "GET" and self.path == "/__proxy/stats":
            with state.lock:
                data = json.dumps(state.stats).encode()
            return self.reply(200, data, [("Content-Type", "application/json")])
        return self.reply(404, b"unknown control path")

    # --- verification ----------------------------------------------------------------------
    def verify(self, body):
        """None when the request is correctly signed, else (status, code, message)."""
        cfg = self.server.cfg
        auth = self.headers.get("Authorization")
        if not auth:
            return (403, "AccessDenied", "Anonymous requests are not accepted by this proxy")
        m = AUTH_RE.match(auth.strip())
        if not m:
            return (400, "AuthorizationHeaderMalformed", "Malformed Authorization header")
        access_key, scope_date, region, service, signed, signature = m.groups()
        if access_key != cfg.access_key:
            return (403, "InvalidAccessKeyId",
                    "The AWS Access Key Id you provided does not exist in our records.")
        if service != "s3":
            return (400, "AuthorizationHeaderMalformed", "Service must be s3, not " + service)
        amz_date = self.headers.get("X-Amz-Date")
        if not amz_date or not amz_date.startswith(scope_date):
            return (403, "AccessDenied", "X-Amz-Date missing or not the credential scope's day")
        try:
            when = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return (403, "AccessDenied", "Malformed X-Amz-Date")
        if abs(time.time() - when) > 15 * 60:
            return (403, "RequestTimeTooSkewed", "The difference between the request time and "
                    "the current time is too large.")
        signed_names = signed.split(";")
        if "host" not in signed_names:
            return (403, "AccessDenied", "The host header must be signed")
        for name in self.headers.keys():
            if name.lower().startswith("x-amz-") and name.lower() not in signed_names:
                return (403, "AccessDenied", "Header %s is not signed" % name)
        if cfg.session_token and self.headers.get("X-Amz-Security-Token") != cfg.session_token:
            return (403, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        content_sha = self.headers.get("X-Amz-Content-SHA256")
        if not content_sha:
            return (400, "InvalidRequest", "Missing required header x-amz-content-sha256")
        if content_sha != "UNSIGNED-PAYLOAD" and content_sha != hashlib.sha256(body).hexdigest():
            return (400, "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.")
        md5 = self.headers.get("Content-MD5")
        if md5 is not None and md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
            return (400, "BadDigest", "The Content-MD5 you specified did not match what we received.")

        raw_path, _, raw_query = self.path.partition("?")
        query = decode_query(raw_query)
        if self.command == "POST" and any(k == "delete" for k, _ in query) and md5 is None:
            return (400, "InvalidRequest", "Missing required header for this request: Content-MD5")
        # The canonical URI as S3 computes it: from the decoded key, each byte but unreserved
        # ones and '/' percent-encoded once.
        url = "http://%s%s" % (self.headers.get("Host", ""), quote(unquote(raw_path), safe="/~"))
        req = AWSRequest(method=self.command, url=url, data=body)
        req.headers = HTTPHeaders()
        for name in signed_names:
            values = self.headers.get_all(name) or []
            if not values:
                return (403, "AccessDenied", "Signed header %s is missing" % name)
            for v in values:
                req.headers[name] = v
        req.params = query
        req.context["timestamp"] = amz_date
        signer = S3SigV4Auth(Credentials(cfg.access_key, cfg.secret_key, cfg.session_token),
                             "s3", region)
        canonical = signer.canonical_request(req)
        string_to_sign = signer.string_to_sign(req, canonical)
        expected = signer.signature(string_to_sign, req)
        if expected != signature:
            sys.stdout.write("signature mismatch for %s %s\ncanonical request:\n%s\n---\n" %
                             (self.command, self.path, canonical))
            sys.stdout.flush()
            return (403, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your key and signing method.")
        return None

    # --- the request -----------------------------------------------------------------------
    def handle_any(self):
        body = self.read_body()
        if self.path.startswith("/__proxy/"):
            return self.handle_control(body)
        state = self.server.state
        fault = state.take_fault(self.command, self.path)
        kind = fault.get("kind") if fault else None
        if kind == "drop":
            state.record(self.command, self.path, "drop")
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if kind == "error":
            status = int(fault.get("status", 503))
            state.record(self.command, self.path, status)
            code = fault.get("code") or {503: "SlowDown", 500: "InternalError",
                                         429: "SlowDown"}.get(status, "InjectedError")
            return self.reply_error(status, code, "injected by s3_verify_proxy")
        if kind == "delay":
            deadline = time.monotonic() + float(fault.get("ms", 1000)) / 1000.0
            while time.monotonic() < deadline:
                time.sleep(0.01)
            if self.client_gone():  # The client timed out: it never sees this request land.
                state.record(self.command, self.path, "timeout")
                self.close_connection = True
                return
        problem = self.verify(body)
        if problem:
            with state.lock:
                state.stats["auth_failures"] += 1
            state.record(self.command, self.path, problem[0])
            return self.reply_error(*problem)
        self.forward(body, truncate=(kind == "truncate"), lose=(kind == "lose"))

    def forward(self, body, truncate, lose=False):
        state = self.server.state
        conn = http.client.HTTPConnection("127.0.0.1", self.server.cfg.upstream_port, timeout=60)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() in HOP_BY_HOP or name.lower() == "content-length":
                    continue
                conn.putheader(name, value)
            if body or self.command in ("PUT", "POST"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
        except OSError as e:
            state.record(self.command, self.path, 502)
            return self.reply_error(502, "BadGateway", "upstream: %s" % e)
        finally:
            conn.close()
        with state.lock:
            state.stats["forwarded"] += 1
        if lose:  # The request took effect upstream; the client never learns it.
            state.record(self.command, self.path, "lost")
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        sent = 0 if self.command == "HEAD" else (len(data) // 2 if truncate else len(data))
        state.record(self.command, self.path, resp.status, self.headers.get("Range") or "", sent)
        if self.command == "HEAD":
            return self.reply(resp.status, b"", headers, head_only=True)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(data))))
        if truncate and len(data) > 1:
            self.send_response(resp.status)
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.reply(resp.status, data, headers)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--upstream-port", type=int, required=True)
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--session-token", default="")
    p.add_argument("--upstream-pid", type=int, default=0)
    cfg = p.parse_args()
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(0.5)
        if cfg.upstream_pid > 0:
            try:
                os.kill(cfg.upstream_pid, signal.SIGKILL)
            except OSError:
                pass
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    srv = Server(("127.0.0.1", cfg.port), Handler)
    srv.cfg = cfg
    srv.state = State()
    print("listening port=%d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
