#!/usr/bin/env python3
"""
A hostile ACME CA stand-in for libacme's tests (python3 standard library).

One HTTPS server answers every scenario.  A scenario is chosen by the path
prefix of each request:

    https://127.0.0.1:PORT/s/<scenario>[~<tag>]/dir

"<scenario>" names an entry of SCENARIOS (or of a --scenarios JSON file);
"~<tag>" is ignored for the lookup but gives the request counters and the
order state their own namespace, so one test case can count the requests
it caused.  Each scenario speaks just enough RFC 8555 to bring a client to
one point (directory, newNonce, newAccount, newOrder, authz, challenge,
finalize, certificate, ARI renewalInfo) and overrides the response there.

JWS signatures are not verified, but the flattened JWS is decoded and the
protected header checked (url matches, nonce was issued and is unused,
jwk only for newAccount, kid otherwise, POST-as-GET payloads empty); a
violation is answered with a 400 malformed problem whose detail starts
with "hostile-ca: client bug:" and is logged to stderr, so client bugs
show up in the tests that use this server.

A scenario is a dict of endpoint name -> response spec (plus "doc",
"vars" and "init").  Endpoint names: dir nonce newAccount account
newOrder order finalize authz chall cert certAlt renewal revoke keyChange.
A spec is applied to the default response in this order:

  json        replace the JSON body
  merge       deep-merge into the JSON body (dicts merge, the rest replaces)
  drop        remove members; "a.b" walks into objects
  problem     {"type": "rateLimited" or a URN, "detail", "subproblems", ...}
              gives an application/problem+json body (status 400 unless set)
  raw         the body text as is; raw_b64 bytes; raw_repeat
              {"prefix","text","times","suffix"}; raw_chain "der"
  status, content_type
  headers     [[name, value], ...]; value null removes the header
  nonce       false: no Replay-Nonce; a string: that value
  redirect    a URL: 302 (or status) with Location and an empty body
  delay       seconds to wait before answering
  close_after send the full Content-Length but only this many bytes, then
              close the connection
  gzip        true: gzip the body and say Content-Encoding: gzip
  nocheck     true: skip the JWS checks for this endpoint

Instead of one spec an endpoint may take {"seq": [spec, ...]} (the n-th
request gets the n-th spec, the last repeats, null is the default) or
{"cond": [[{"payload_has": "member"}, spec], ...], "else": spec}.

Strings are expanded: @BASE@ (https://127.0.0.1:P/s/<seg>), @HTTPBASE@
(same with http:), @ROOT@ (https://127.0.0.1:P), @NOW+N@ / @NOW-N@
(RFC 3339, N seconds from now), @HTTPDATE+N@ (IMF-fixdate), @CHAIN@ (the
good PEM chain), @KEYPEM@ (a real PEM private key), @TOKEN@ (a good
token).  {"$repeat": value, "n": N} inside JSON expands to a list.

"vars" feed the default builders: token, chtype, ident_type, ident_value,
alternates (Link rel="alternate" URLs of the certificate).  "init" sets the
starting order state: {"order": "ready", "authz": "valid"}.

Control: GET /ctl/ping, GET /ctl/count?s=<seg>&e=<endpoint> (a number),
GET /ctl/counts?s=<seg> (JSON), GET /ctl/scenarios (JSON names).

Usage: server.py --cert C --key K --chain PEM [--port N] [--port-file F]
                 [--scenarios extra.json] [--verbose]
"""

import argparse
import base64
import copy
import gzip
import json
import os
import re
import secrets
import socket
import ssl
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GOOD_TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
ACME_URN = "urn:ietf:params:acme:error:"
MIB = 1024 * 1024


def prob(ptype, detail, status=400, **extra):
    """Shorthand for a problem spec."""
    p = {"type": ptype, "detail": detail}
    p.update(extra)
    return {"problem": p, "status": status}


def tokscen(token, doc):
    return {"doc": doc, "vars": {"token": token}}


def seq(*specs):
    return {"seq": list(specs)}


# ---------------------------------------------------------------------
# The scenarios.  Keep each one to a single hostile point; the defaults
# of the builders below carry the client there.

SCENARIOS = {
    "ok": {"doc": "a well-behaved CA"},

    # --- directory -----------------------------------------------------
    "dir-notjson": {"dir": {"raw": "this is not JSON {", "content_type":
                            "application/json"}},
    "dir-array": {"dir": {"raw": '["@BASE@/nonce", "@BASE@/acct/new"]'}},
    "dir-dupkeys": {"dir": {"raw":
        '{"newNonce":"@BASE@/nonce","newAccount":"@BASE@/acct/new",'
        '"newOrder":"@BASE@/order/new","revokeCert":"@BASE@/revoke",'
        '"keyChange":"@BASE@/keychange","newNonce":"@ROOT@/evil"}'}},
    "dir-empty": {"dir": {"json": {}}},
    "dir-no-newnonce": {"dir": {"drop": ["newNonce"]}},
    "dir-http-urls": {"dir": {"merge": {
        "newNonce": "@HTTPBASE@/nonce", "newAccount": "@HTTPBASE@/acct/new",
        "newOrder": "@HTTPBASE@/order/new",
        "revokeCert": "@HTTPBASE@/revoke",
        "keyChange": "@HTTPBASE@/keychange"}}},
    "dir-http-neworder": {"dir": {"merge": {
        "newOrder": "@HTTPBASE@/order/new"}}},
    "dir-url-space": {"dir": {"merge": {"newAccount": "@BASE@/acct new"}}},
    "dir-url-ctl": {"dir": {"merge": {
        "newOrder": "@BASE@/order\r\nX-Injected: 1"}}},
    "dir-url-nul": {"dir": {"merge": {"newNonce": "@BASE@/non\u0000ce"}}},
    "dir-url-long": {"dir": {"merge": {"newOrder": "@BASE@/" + "a" * 5000}}},
    "dir-url-userinfo": {"dir": {"merge": {
        "newAccount": "https://evil@127.0.0.1:1/acct"}}},
    "dir-huge": {"dir": {"raw_repeat": {
        "prefix": '{"newNonce":"@BASE@/nonce","newAccount":"@BASE@/acct/'
                  'new","newOrder":"@BASE@/order/new","revokeCert":'
                  '"@BASE@/revoke","keyChange":"@BASE@/keychange",'
                  '"pad":"',
        "text": "A", "times": 2 * MIB, "suffix": '"}'}}},
    "dir-neworder-int": {"dir": {"merge": {"newOrder": 5}}},
    "dir-neworder-null": {"dir": {"merge": {"newOrder": None}}},
    "dir-neworder-obj": {"dir": {"merge": {"newOrder": {"url": "@BASE@/x"}}}},
    "dir-meta-tos-int": {"dir": {"merge": {"meta": {"termsOfService": 5}}}},
    "dir-meta-caa-str": {"dir": {"merge": {"meta": {"caaIdentities": "x"}}}},
    "dir-meta-eab-str": {"dir": {"merge": {"meta": {
        "externalAccountRequired": "yes"}}}},
    "dir-meta-str": {"dir": {"merge": {"meta": "meta"}}},
    "dir-deep": {"dir": {"raw":
        '{"newNonce":"@BASE@/nonce","meta":' + "[" * 100000 +
        "]" * 100000 + "}"}},
    "dir-redirect-http": {"dir": {"redirect": "@HTTPBASE@/dir"}},
    "dir-redirect-loop": {"dir": {"redirect": "@BASE@/dir"}},
    "dir-500-html": {"dir": {"status": 500, "content_type": "text/html",
        "raw": "<html><body><h1>500 Internal Server Error</h1>"
               "<script>alert(1)</script></body></html>"}},
    "dir-503-problem": {"dir": prob("serverInternal",
                                    "down for maintenance", 503)},
    "dir-gzip-bomb": {"dir": {"gzip": True, "raw_repeat": {
        "prefix": '{"newNonce":"@BASE@/nonce","pad":"', "text": " " * 1024,
        "times": 20 * 1024, "suffix": '"}'}}},
    "dir-slow": {"dir": {"delay": 5}},
    "dir-close-mid": {"dir": {"close_after": 40}},

    # --- nonces --------------------------------------------------------
    "nonce-missing": {"nonce": {"nonce": False}},
    "nonce-illegal": {"nonce": {"nonce": "abc$def/ghi+jk=="}},
    "nonce-huge": {"nonce": {"nonce": "A" * 5000}},
    "nonce-empty": {"nonce": {"nonce": ""}},
    "badnonce-forever": {"newAccount": prob("badNonce", "stale nonce")},
    "badnonce-once": {"newAccount": seq(prob("badNonce", "stale nonce"),
                                        None)},

    # --- accounts ------------------------------------------------------
    "acct-no-location": {"newAccount": {"headers": [["Location", None]]}},
    "acct-location-http": {"newAccount": {"headers": [
        ["Location", "@HTTPBASE@/acct/1"]]}},
    "acct-location-junk": {"newAccount": {"headers": [
        ["Location", "not a url at all"]]}},
    "acct-wrong-types": {"newAccount": {"merge": {
        "status": 5, "contact": "mailto:a@example.com"}}},
    "acct-empty-body": {"newAccount": {"raw": ""}},
    "acct-problem-script": {"newAccount": prob(
        "invalidContact",
        '<script>alert("x")</script> & <b>bold</b> \'quoted\'')},
    "acct-problem-notjson": {"newAccount": {
        "status": 400, "content_type": "application/problem+json",
        "raw": "<html>oops</html>"}},
    "acct-problem-ctl": {"newAccount": prob(
        "malformed", "line one\nline two\r\n\u001b[31mred\u001b[0m\u0007")},
    "acct-problem-huge": {"newAccount": prob("malformed", "D" * 500000)},
    "acct-sub-notarray": {"newAccount": prob(
        "compound", "several problems", subproblems="x")},
    "acct-sub-elems": {"newAccount": prob(
        "compound", "several problems", subproblems=[
            5, None, "str", {"type": 7},
            {"type": ACME_URN + "caa", "detail": "d",
             "identifier": {"type": "dns", "value": 5}},
            {"type": ACME_URN + "dns", "detail": ["x"],
             "identifier": "example.com"},
            {"type": ACME_URN + "dns", "detail": "no such name",
             "identifier": {"type": "dns", "value": "example.com"}}])},
    "acct-ratelimit-huge": {"newAccount": {
        "problem": {"type": "rateLimited", "detail": "slow down"},
        "status": 429, "headers": [["Retry-After", "4294967296"]]}},
    "acct-ratelimit-503-date": {"newAccount": {
        "problem": {"type": "rateLimited", "detail": "busy"},
        "status": 503, "headers": [["Retry-After", "@HTTPDATE+120@"]]}},
    "acct-ratelimit-neg": {"newAccount": {
        "problem": {"type": "rateLimited", "detail": "slow down"},
        "status": 429, "headers": [["Retry-After", "-5"]]}},

    # --- orders --------------------------------------------------------
    "order-status-weird": {"order": {"merge": {"status": "weird"}}},
    "order-status-int": {"order": {"merge": {"status": 5}}},
    "order-idents-types": {"order": {"merge": {
        "identifiers": [{"type": 5, "value": []}]}}},
    "order-idents-str": {"order": {"merge": {"identifiers": "example.com"}}},
    "order-ident-email": {"order": {"merge": {
        "identifiers": [{"type": "email", "value": "a@example.com"}]}}},
    "order-authz-str": {"order": {"merge": {
        "authorizations": "@BASE@/authz/1"}}},
    "order-authz-http": {"order": {"merge": {
        "authorizations": ["@HTTPBASE@/authz/1"]}}},
    "order-authz-int": {"order": {"merge": {"authorizations": [1, 2]}}},
    "order-authz-huge": {"order": {"merge": {"authorizations": {
        "$repeat": "@BASE@/authz/1", "n": 10000}}}},
    "order-finalize-missing": {"order": {"drop": ["finalize"]}},
    "order-expires-garbage": {"order": {"merge": {
        "expires": "next tuesday"}}},
    "order-cert-http": {"order": {"merge": {
        "status": "valid", "certificate": "@HTTPBASE@/cert/1"}}},
    "order-error-str": {"order": {"merge": {
        "status": "invalid", "error": "boom"}}},
    "order-notjson": {"order": {"raw": "{\"status\": \"valid\""}},
    "order-redirect-http": {"order": {"redirect": "@HTTPBASE@/order/1"}},
    "order-new-location-http": {"newOrder": {"headers": [
        ["Location", "@HTTPBASE@/order/1"]]}},
    "order-new-no-location": {"newOrder": {"headers": [["Location", None]]}},
    "order-new-ratelimited": {"newOrder": {
        "problem": {"type": "rateLimited", "detail": "too many orders"},
        "status": 429, "headers": [["Retry-After", "3600"]]}},
    "order-already-replaced": {"newOrder": {
        "cond": [[{"payload_has": "replaces"}, prob(
            "alreadyReplaced", "already replaced", 409)]],
        "else": None}},

    # --- authorizations and challenges ---------------------------------
    "tok-slash": tokscen("a/b", "slash"),
    "tok-dotdot": tokscen("../../etc/passwd", "path traversal"),
    "tok-hash": tokscen("a#b", "fragment"),
    "tok-cmd": tokscen("$(touch /tmp/pwned)", "command substitution"),
    "tok-cmd-rel": tokscen("$(touch pwned)", "command substitution, cwd"),
    "tok-backtick": tokscen("`touch pwned`", "backticks"),
    "tok-nul": tokscen("tok\u0000en", "NUL in a JSON string"),
    "tok-long": tokscen("A" * 300, "300 characters"),
    "tok-space": tokscen("ab cd", "space"),
    "tok-newline": tokscen("abc\r\nX-Evil: 1", "header injection"),
    "tok-empty": tokscen("", "empty"),
    "tok-padding": tokscen("YWJj==", "base64 padding"),
    "tok-plus": tokscen("a+b", "standard base64 alphabet"),
    "tok-unicode": tokscen("t\u00f6k\u00e9n", "non-ASCII"),
    "tok-int": tokscen(12345, "not a string"),
    "chall-type-unknown": {"vars": {"chtype": "http-99"}},
    "authz-ident-email": {"vars": {"ident_type": "email",
                                   "ident_value": "a@example.com"}},
    "authz-challs-str": {"authz": {"merge": {"challenges": "http-01"}}},
    "authz-chall-url-http": {"authz": {"merge": {"challenges": [
        {"type": "http-01", "url": "@HTTPBASE@/chall/1/http-01",
         "status": "pending", "token": "@TOKEN@"}]}}},
    "authz-expires-garbage": {"authz": {"merge": {"expires": "soon"}}},
    "authz-status-weird": {"authz": {"merge": {"status": ["valid"]}}},
    "chall-resp-token": {"chall": {"merge": {"token": "../x"}}},
    "chall-resp-problem": {"chall": prob(
        "incorrectResponse", "wrong key authorization", 403)},

    # --- finalize ------------------------------------------------------
    "finalize-notready": {
        "order": seq({"merge": {"status": "ready"}}, None),
        "finalize": prob("orderNotReady", "order is not ready", 403)},
    "finalize-badcsr": {"init": {"order": "ready", "authz": "valid"},
                        "finalize": prob("badCSR", "bad CSR")},

    # --- polling -------------------------------------------------------
    "wait-ra-huge": {"order": {"merge": {"status": "processing"},
                               "headers": [["Retry-After", "4294967296"]]}},
    "wait-ra-neg": {"order": {"merge": {"status": "processing"},
                              "headers": [["Retry-After", "-5"]]}},
    "wait-ra-zero": {"order": {"merge": {"status": "processing"},
                               "headers": [["Retry-After", "0"]]}},
    "wait-ra-abc": {"order": {"merge": {"status": "processing"},
                              "headers": [["Retry-After", "abc"]]}},
    "wait-ra-date": {"order": {"merge": {"status": "processing"},
                               "headers": [[
                                   "Retry-After",
                                   "Fri, 31 Dec 9999 23:59:59 GMT"]]}},
    "wait-processing": {"order": {"merge": {"status": "processing"}}},
    "wait-pending": {"order": {"merge": {"status": "pending"}}},
    "wait-becomes-valid": {"order": seq(
        {"merge": {"status": "processing"},
         "headers": [["Retry-After", "1"]]},
        {"merge": {"status": "processing"},
         "headers": [["Retry-After", "1"]]},
        {"merge": {"status": "valid", "certificate": "@BASE@/cert/1"}})},
    "wait-invalid": {"order": {"merge": {
        "status": "invalid", "error": {
            "type": ACME_URN + "unauthorized", "detail": "no"}}}},

    # --- certificates --------------------------------------------------
    "cert-privkey": {"cert": {"raw": "@CHAIN@@KEYPEM@"}},
    "cert-rsa-key": {"cert": {"raw":
        "@CHAIN@-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90"
        "vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE "
        "KEY-----\n"}},
    "cert-junk": {"cert": {"raw": "hello, this is not a certificate\n"}},
    "cert-junk-block": {"cert": {"raw":
        "@CHAIN@-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"}},
    "cert-bad-b64": {"cert": {"raw":
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n"
        "-----END CERTIFICATE-----\n"}},
    "cert-empty": {"cert": {"raw": ""}},
    "cert-html": {"cert": {"content_type": "text/html", "raw":
        "<html><body>Your certificate is ready!</body></html>"}},
    "cert-der": {"cert": {"raw_chain": "der",
                          "content_type": "application/pkix-cert"}},
    "cert-huge": {"cert": {"raw_repeat": {"prefix": "", "text": "@CHAIN@",
                                          "times": 3000, "suffix": ""}}},
    "cert-truncated": {"cert": {"raw_chain": "truncated"}},
    "cert-nul": {"cert": {"raw_chain": "nul"}},
    "cert-problem": {"cert": prob("unauthorized", "not yours", 403)},
    "cert-alt-http": {"vars": {"alternates": ["@HTTPBASE@/cert/1/alt/1"]}},
    "cert-alt-many": {"vars": {"alternates": {
        "$repeat": "@BASE@/cert/1/alt/1", "n": 1000}}},
    "cert-alt-privkey": {"vars": {"alternates": ["@BASE@/cert/1/alt/1"]},
                         "certAlt": {"raw": "@CHAIN@@KEYPEM@"}},

    # --- ARI (RFC 9773) ------------------------------------------------
    "ari-inverted": {"renewal": {"json": {"suggestedWindow": {
        "start": "@NOW+172800@", "end": "@NOW+86400@"}}}},
    "ari-garbage": {"renewal": {"json": {"suggestedWindow": {
        "start": "soon", "end": "later"}}}},
    "ari-window-str": {"renewal": {"json": {"suggestedWindow": "x"}}},
    "ari-year-99999": {"renewal": {"json": {"suggestedWindow": {
        "start": "99999-01-01T00:00:00Z", "end": "99999-02-01T00:00:00Z"}}}},
    "ari-ra-huge": {"renewal": {"headers": [["Retry-After", "4294967296"]]}},
    "ari-absent": {"dir": {"drop": ["renewalInfo"]}},
    "ari-explanation-http": {"renewal": {"merge": {
        "explanationURL": "javascript:alert(1)"}}},
}


# ---------------------------------------------------------------------
# Helpers.

def b64u_dec(s):
    if not isinstance(s, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", s) \
            or len(s) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def deep_merge(dst, src):
    if isinstance(dst, dict) and isinstance(src, dict):
        for k, v in src.items():
            if k in dst and isinstance(dst[k], dict) and isinstance(v, dict):
                deep_merge(dst[k], v)
            else:
                dst[k] = copy.deepcopy(v)
        return dst
    return copy.deepcopy(src)


def drop_path(obj, path):
    parts = path.split(".")
    for p in parts[:-1]:
        if not isinstance(obj, dict) or p not in obj:
            return
        obj = obj[p]
    if isinstance(obj, dict):
        obj.pop(parts[-1], None)


PLACEHOLDER = re.compile(r"@([A-Z]+)(?:([+-])(\d+))?@")


class Expander:
    def __init__(self, srv, base, seg):
        self.srv, self.base, self.seg = srv, base, seg

    def sub(self, m):
        name, sign, num = m.group(1), m.group(2), m.group(3)
        off = int(num) * (-1 if sign == "-" else 1) if num else 0
        root = "https://127.0.0.1:%d" % self.srv.port
        if name == "BASE":
            return self.base
        if name == "HTTPBASE":
            return "http" + self.base[len("https"):]
        if name == "ROOT":
            return root
        if name == "NOW":
            return rfc3339(time.time() + off)
        if name == "HTTPDATE":
            return formatdate(time.time() + off, usegmt=True)
        if name == "CHAIN":
            return self.srv.chain_pem
        if name == "KEYPEM":
            return self.srv.key_pem
        if name == "TOKEN":
            return GOOD_TOKEN
        return m.group(0)

    def str(self, s):
        return PLACEHOLDER.sub(self.sub, s)

    def any(self, v):
        if isinstance(v, str):
            return self.str(v)
        if isinstance(v, list):
            return [self.any(x) for x in v]
        if isinstance(v, dict):
            if "$repeat" in v:
                return [self.any(v["$repeat"])] * int(v.get("n", 1))
            return {self.str(k): self.any(x) for k, x in v.items()}
        return v


class Resp:
    def __init__(self, status=200, obj=None, ctype="application/json"):
        self.status = status
        self.obj = obj
        self.raw = None
        self.ctype = ctype
        self.headers = []	# [name, value]
        self.nonce = True
        self.delay = 0
        self.close_after = None

    def set_header(self, name, value):
        self.headers = [h for h in self.headers
                        if h[0].lower() != name.lower()]
        if value is not None:
            self.headers.append([name, value])


class ClientBug(Exception):
    """The client sent something no ACME server should accept."""


class BadNonce(Exception):
    pass


# ---------------------------------------------------------------------
# The server.

class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, sslctx, args, scenarios):
        super().__init__(addr, Handler)
        self.sslctx = sslctx
        self.port = self.server_address[1]
        self.args = args
        self.scenarios = scenarios
        self.lock = threading.Lock()
        self.counts = {}	# (seg, endpoint) -> n
        self.states = {}	# seg -> order state
        self.nonces = set()
        with open(args.chain) as f:
            self.chain_pem = f.read()
        with open(args.key) as f:
            self.key_pem = f.read()
        self.chain_der = ssl.PEM_cert_to_DER_cert(
            self.chain_pem[:self.chain_pem.index("-----END CERTIFICATE-----")
                           + len("-----END CERTIFICATE-----")])

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the request's own thread so a client
        # that stalls cannot block the accept loop.
        request.settimeout(30)
        try:
            tls = self.sslctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout,
                            BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def new_nonce(self):
        n = secrets.token_urlsafe(16)
        with self.lock:
            self.nonces.add(n)
        return n

    def use_nonce(self, n):
        with self.lock:
            if n in self.nonces:
                self.nonces.discard(n)
                return True
        return False

    def count(self, seg, endpoint):
        with self.lock:
            k = (seg, endpoint)
            self.counts[k] = self.counts.get(k, 0) + 1
            return self.counts[k]

    def state(self, seg, scen):
        with self.lock:
            if seg not in self.states:
                st = {"order": "pending", "authz": "pending",
                      "chall": "pending", "account": False,
                      "idents": [{"type": "dns", "value": "example.com"}],
                      "replaces": None, "profile": None}
                st.update(scen.get("init", {}))
                self.states[seg] = st
            return self.states[seg]


ROUTES = [
    # (regex on the path after /s/<seg>, endpoint, methods)
    (r"dir", "dir", ("GET",)),
    (r"nonce", "nonce", ("GET", "HEAD")),
    (r"acct/new", "newAccount", ("POST",)),
    (r"acct/1", "account", ("POST",)),
    (r"order/new", "newOrder", ("POST",)),
    (r"order/1", "order", ("POST",)),
    (r"order/1/finalize", "finalize", ("POST",)),
    (r"authz/(\d+)", "authz", ("POST",)),
    (r"chall/(\d+)/([A-Za-z0-9-]+)", "chall", ("POST",)),
    (r"cert/1", "cert", ("POST",)),
    (r"cert/1/alt/(\d+)", "certAlt", ("POST",)),
    (r"renewal/([A-Za-z0-9_.-]+)", "renewal", ("GET",)),
    (r"revoke", "revoke", ("POST",)),
    (r"keychange", "keyChange", ("POST",)),
]

# Endpoints whose requests must be POST-as-GET (empty payload).
POST_AS_GET = {"order", "authz", "cert", "certAlt"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile-ca/1"
    timeout = 30

    def log_message(self, fmt, *args):
        if self.server.args.verbose:
            sys.stderr.write("hostile-ca: %s\n" % (fmt % args))

    def do_GET(self):
        self.dispatch("GET")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # --- plumbing ------------------------------------------------------
    def read_body(self):
        n = self.headers.get("Content-Length")
        if n is None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                raise ClientBug("chunked request body")
            return b""
        n = int(n)
        if n > 4 * MIB:
            raise ClientBug("request body of %d bytes" % n)
        return self.rfile.read(n)

    def send(self, r, method):
        body = r.raw if r.raw is not None else (
            b"" if r.obj is None else
            json.dumps(r.obj, separators=(",", ":")).encode())
        if r.delay:
            time.sleep(r.delay)
        self.send_response(r.status)
        if r.ctype and (body or r.raw is not None):
            self.send_header("Content-Type", r.ctype)
        if r.status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in r.headers:
            self.send_header(name, value)
        if r.nonce is True:
            self.send_header("Replay-Nonce", self.server.new_nonce())
        elif isinstance(r.nonce, str):
            self.send_header("Replay-Nonce", r.nonce)
        if r.close_after is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if method == "HEAD" or r.status == 204:
            return
        if r.close_after is not None:
            self.wfile.write(body[:r.close_after])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def problem(self, ptype, detail, status=400):
        r = Resp(status, {"type": ACME_URN + ptype, "detail": detail,
                          "status": status}, "application/problem+json")
        return r

    # --- the request ---------------------------------------------------
    def dispatch(self, method):
        srv = self.server
        try:
            url = urlsplit(self.path)
            if url.path.startswith("/ctl/"):
                return self.control(url)
            m = re.fullmatch(r"/s/([A-Za-z0-9_.-]+(?:~[A-Za-z0-9_.-]+)?)/(.*)",
                             url.path)
            if not m:
                return self.send(self.problem("malformed", "no such path",
                                              404), method)
            seg, rest = m.group(1), m.group(2)
            name = seg.split("~")[0]
            scen = srv.scenarios.get(name)
            base = "https://127.0.0.1:%d/s/%s" % (srv.port, seg)
            if scen is None:
                return self.send(self.problem(
                    "malformed", "hostile-ca: unknown scenario " + name,
                    404), method)
            for rx, endpoint, methods in ROUTES:
                rm = re.fullmatch(rx, rest)
                if rm:
                    break
            else:
                return self.send(self.problem("malformed", "no such resource",
                                              404), method)
            body = self.read_body()
            n = srv.count(seg, endpoint)
            if method not in methods:
                return self.send(self.bug(
                    "%s on %s (wants %s)" % (method, endpoint,
                                             "/".join(methods)), 405),
                    method)
            exp = Expander(srv, base, seg)
            spec = scen.get(endpoint)
            payload = None
            try:
                if method == "POST" and not (
                        isinstance(spec, dict) and spec.get("nocheck")):
                    payload = self.check_jws(endpoint, base, body)
            except ClientBug as e:
                return self.send(self.bug(str(e)), method)
            except BadNonce:
                return self.send(self.problem(
                    "badNonce", "unknown or used nonce"), method)
            spec = self.resolve(spec, n, payload)
            st = srv.state(seg, scen)
            if spec and ("problem" in spec or "redirect" in spec):
                # Replaced outright: the default's side effects (an
                # account created, an order moved on) must not happen.
                r = Resp(200, None)
            else:
                r = self.build(endpoint, method, rm, scen, st, payload, exp)
            if spec:
                self.apply(r, spec, exp)
            if r.obj is not None and r.raw is None:
                r.obj = exp.any(r.obj)
            r.headers = [[k, exp.str(v)] for k, v in r.headers]
            self.send(r, method)
        except (ConnectionError, BrokenPipeError, ssl.SSLError,
                socket.timeout, TimeoutError):
            self.close_connection = True

    def bug(self, what, status=400):
        sys.stderr.write("hostile-ca: client bug: %s %s: %s\n" %
                         (self.command, self.path, what))
        return self.problem("malformed", "hostile-ca: client bug: " + what,
                            status)

    def control(self, url):
        srv = self.server
        q = parse_qs(url.query)
        seg = q.get("s", [""])[0]
        if url.path == "/ctl/ping":
            r = Resp(200, None, "text/plain")
            r.raw = b"ok\n"
        elif url.path == "/ctl/count":
            e = q.get("e", [""])[0]
            with srv.lock:
                n = srv.counts.get((seg, e), 0)
            r = Resp(200, None, "text/plain")
            r.raw = b"%d\n" % n
        elif url.path == "/ctl/counts":
            with srv.lock:
                c = {e: n for (s, e), n in srv.counts.items() if s == seg}
            r = Resp(200, c)
        elif url.path == "/ctl/scenarios":
            r = Resp(200, sorted(srv.scenarios))
        else:
            r = self.problem("malformed", "no such control", 404)
        r.nonce = False
        self.send(r, self.command)

    def check_jws(self, endpoint, base, body):
        """Decodes a flattened JWS and checks what RFC 8555 6.2-6.5 ask."""
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/jose+json":
            raise ClientBug("Content-Type %r, not application/jose+json"
                            % ctype)
        try:
            jws = json.loads(body)
        except ValueError:
            raise ClientBug("body is not JSON")
        if not isinstance(jws, dict) or \
                set(jws) != {"protected", "payload", "signature"}:
            raise ClientBug("not a flattened JWS with exactly protected, "
                            "payload, signature")
        try:
            prot = json.loads(b64u_dec(jws["protected"]))
            payload_raw = b64u_dec(jws["payload"])
            sig = b64u_dec(jws["signature"])
        except ValueError:
            raise ClientBug("a JWS member is not base64url")
        if not isinstance(prot, dict):
            raise ClientBug("protected header is not an object")
        if not sig:
            raise ClientBug("empty signature")
        alg = prot.get("alg")
        if alg not in ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512",
                       "PS256", "EdDSA"):
            raise ClientBug("alg %r" % (alg,))
        want_url = "https://127.0.0.1:%d%s" % (self.server.port, self.path)
        if prot.get("url") != want_url:
            raise ClientBug("url %r is not %r" % (prot.get("url"), want_url))
        if ("jwk" in prot) == ("kid" in prot):
            raise ClientBug("exactly one of jwk and kid is required")
        if endpoint == "newAccount":
            if "jwk" not in prot or not isinstance(prot["jwk"], dict):
                raise ClientBug("newAccount must be signed with a jwk")
            if "d" in prot["jwk"] or "p" in prot["jwk"]:
                raise ClientBug("private key material in the jwk")
        elif endpoint != "revoke" or "kid" in prot:
            if prot.get("kid") != base + "/acct/1":
                raise ClientBug("kid %r is not %r" %
                                (prot.get("kid"), base + "/acct/1"))
        nonce = prot.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise ClientBug("no nonce in the protected header")
        if not self.server.use_nonce(nonce):
            raise BadNonce()
        if endpoint in POST_AS_GET:
            if payload_raw != b"":
                raise ClientBug("POST-as-GET with a payload")
            return {}
        if payload_raw == b"":
            if endpoint == "account":
                return {}
            raise ClientBug("empty payload on %s" % endpoint)
        try:
            payload = json.loads(payload_raw)
        except ValueError:
            raise ClientBug("payload is not JSON")
        if not isinstance(payload, dict):
            raise ClientBug("payload is not an object")
        if endpoint == "chall" and payload != {}:
            raise ClientBug("challenge response payload is not {}")
        if endpoint == "newOrder":
            ids = payload.get("identifiers")
            if not isinstance(ids, list) or not ids:
                raise ClientBug("newOrder without identifiers")
        if endpoint == "finalize":
            try:
                b64u_dec(payload.get("csr", "!"))
            except ValueError:
                raise ClientBug("finalize csr is not base64url")
        return payload

    def resolve(self, spec, n, payload):
        if not isinstance(spec, dict):
            return spec
        if "seq" in spec:
            lst = spec["seq"]
            return lst[min(n, len(lst)) - 1] if lst else None
        if "cond" in spec:
            for when, s in spec["cond"]:
                key = when.get("payload_has")
                if key is not None and isinstance(payload, dict) \
                        and key in payload:
                    return s
            return spec.get("else")
        return spec

    def apply(self, r, spec, exp):
        if "json" in spec:
            r.obj = copy.deepcopy(spec["json"])
            r.raw = None
            r.ctype = "application/json"
        if "merge" in spec:
            r.obj = deep_merge(r.obj if r.obj is not None else {},
                               spec["merge"])
        for path in spec.get("drop", []):
            drop_path(r.obj, path)
        if "problem" in spec:
            p = dict(spec["problem"])
            if isinstance(p.get("type"), str) and ":" not in p["type"]:
                p["type"] = ACME_URN + p["type"]
            r.status = spec.get("status", 400)
            p.setdefault("status", r.status)
            r.obj, r.raw = p, None
            r.ctype = "application/problem+json"
        if "raw" in spec:
            r.raw = exp.str(spec["raw"]).encode("utf-8", "surrogatepass")
        if "raw_b64" in spec:
            r.raw = base64.b64decode(spec["raw_b64"])
        if "raw_repeat" in spec:
            rr = spec["raw_repeat"]
            r.raw = (exp.str(rr.get("prefix", "")) +
                     exp.str(rr.get("text", "")) * int(rr.get("times", 1)) +
                     exp.str(rr.get("suffix", ""))).encode()
        if "raw_chain" in spec:
            kind = spec["raw_chain"]
            pem = self.server.chain_pem.encode()
            if kind == "der":
                r.raw = self.server.chain_der
            elif kind == "truncated":
                r.raw = pem[:len(pem) // 2 + 7]
            elif kind == "nul":
                mid = len(pem) // 3
                r.raw = pem[:mid] + b"\0" + pem[mid:]
        if "status" in spec:
            r.status = spec["status"]
        if "content_type" in spec:
            r.ctype = spec["content_type"]
        for name, value in spec.get("headers", []):
            r.set_header(name, value)
        if "nonce" in spec:
            r.nonce = spec["nonce"]
        if "redirect" in spec:
            r.status = spec.get("status", 302)
            r.set_header("Location", spec["redirect"])
            r.obj, r.raw = None, b""
        if "delay" in spec:
            r.delay = float(spec["delay"])
        if "close_after" in spec:
            r.close_after = int(spec["close_after"])
        if spec.get("gzip"):
            body = r.raw if r.raw is not None else json.dumps(
                r.obj, separators=(",", ":")).encode()
            r.raw = gzip.compress(body, 9)
            r.set_header("Content-Encoding", "gzip")

    # --- the default, well-behaved CA ----------------------------------
    def build(self, endpoint, method, rm, scen, st, payload, exp):
        v = scen.get("vars", {})
        fn = getattr(self, "b_" + endpoint)
        return fn(method, rm, v, st, payload or {})

    def b_dir(self, method, rm, v, st, payload):
        r = Resp(200, {
            "newNonce": "@BASE@/nonce",
            "newAccount": "@BASE@/acct/new",
            "newOrder": "@BASE@/order/new",
            "revokeCert": "@BASE@/revoke",
            "keyChange": "@BASE@/keychange",
            "renewalInfo": "@BASE@/renewal",
            "meta": {
                "termsOfService": "@ROOT@/tos.pdf",
                "website": "@ROOT@/",
                "caaIdentities": ["hostile.test"],
                "externalAccountRequired": False,
                "profiles": {"classic": "The default profile",
                             "shortlived": "Six days"},
            }})
        r.nonce = False
        return r

    def b_nonce(self, method, rm, v, st, payload):
        r = Resp(200 if method == "HEAD" else 204, None, None)
        r.raw = b""
        return r

    def account_obj(self, st):
        return {"status": st.get("account_status", "valid"),
                "contact": st.get("contact", ["mailto:a@example.com"]),
                "orders": "@BASE@/acct/1/orders"}

    def b_newAccount(self, method, rm, v, st, payload):
        if payload.get("onlyReturnExisting") and not st["account"]:
            return self.problem("accountDoesNotExist", "no such account")
        r = Resp(200 if st["account"] else 201, None)
        st["account"] = True
        if isinstance(payload.get("contact"), list):
            st["contact"] = payload["contact"]
        r.obj = self.account_obj(st)
        r.set_header("Location", "@BASE@/acct/1")
        return r

    def b_account(self, method, rm, v, st, payload):
        if payload.get("status") == "deactivated":
            st["account_status"] = "deactivated"
        if isinstance(payload.get("contact"), list):
            st["contact"] = payload["contact"]
        return Resp(200, self.account_obj(st))

    def b_keyChange(self, method, rm, v, st, payload):
        return Resp(200, self.account_obj(st))

    def order_obj(self, st):
        o = {"status": st["order"],
             "expires": "@NOW+604800@",
             "identifiers": st["idents"],
             "authorizations": ["@BASE@/authz/%d" % (i + 1)
                                for i in range(len(st["idents"]))],
             "finalize": "@BASE@/order/1/finalize"}
        if st["replaces"]:
            o["replaces"] = st["replaces"]
        if st["profile"]:
            o["profile"] = st["profile"]
        if st["order"] == "valid":
            o["certificate"] = "@BASE@/cert/1"
        return o

    def b_newOrder(self, method, rm, v, st, payload):
        st.update(order="pending", authz="pending", chall="pending",
                  idents=payload.get("identifiers"),
                  replaces=payload.get("replaces"),
                  profile=payload.get("profile"))
        r = Resp(201, self.order_obj(st))
        r.set_header("Location", "@BASE@/order/1")
        return r

    def b_order(self, method, rm, v, st, payload):
        r = Resp(200, self.order_obj(st))
        if st["order"] == "processing":
            st["order"] = "valid"
            r.set_header("Retry-After", "1")
        return r

    def b_finalize(self, method, rm, v, st, payload):
        if st["order"] != "ready":
            return self.problem("orderNotReady",
                                "order is %s" % st["order"], 403)
        st["order"] = "processing"
        r = Resp(200, self.order_obj(st))
        r.set_header("Location", "@BASE@/order/1")
        r.set_header("Retry-After", "1")
        return r

    def chall_obj(self, v, st, n):
        chtype = v.get("chtype")
        types = [chtype] if chtype else ["http-01", "dns-01", "tls-alpn-01"]
        tok = v.get("token", "@TOKEN@")
        return [{"type": t, "url": "@BASE@/chall/%d/%s" % (n, t),
                 "status": st["chall"], "token": tok} for t in types]

    def b_authz(self, method, rm, v, st, payload):
        n = int(rm.group(1))
        ids = st["idents"] or []
        ident = dict(ids[n - 1]) if 0 < n <= len(ids) and \
            isinstance(ids[n - 1], dict) else \
            {"type": "dns", "value": "example.com"}
        if "ident_type" in v:
            ident = {"type": v["ident_type"], "value": v["ident_value"]}
        wildcard = isinstance(ident.get("value"), str) and \
            ident["value"].startswith("*.")
        if wildcard:
            ident["value"] = ident["value"][2:]
        a = {"status": st["authz"], "expires": "@NOW+604800@",
             "identifier": ident, "challenges": self.chall_obj(v, st, n)}
        if wildcard:
            a["wildcard"] = True
        return Resp(200, a)

    def b_chall(self, method, rm, v, st, payload):
        n, t = int(rm.group(1)), rm.group(2)
        st["chall"] = "valid"
        st["authz"] = "valid"
        if st["order"] == "pending":
            st["order"] = "ready"
        c = {"type": t, "url": "@BASE@/chall/%d/%s" % (n, t),
             "status": "processing", "token": v.get("token", "@TOKEN@")}
        r = Resp(200, c)
        r.set_header("Link", '<@BASE@/authz/%d>;rel="up"' % n)
        return r

    def b_cert(self, method, rm, v, st, payload):
        r = Resp(200, None, "application/pem-certificate-chain")
        r.raw = self.server.chain_pem.encode()
        alts = v.get("alternates", [])
        if isinstance(alts, dict):
            alts = [alts["$repeat"]] * int(alts.get("n", 1))
        for alt in alts:
            r.headers.append(["Link", '<%s>;rel="alternate"' % alt])
        r.headers.append(["Link", '<@BASE@/dir>;rel="index"'])
        return r

    def b_certAlt(self, method, rm, v, st, payload):
        return self.b_cert(method, rm, {}, st, payload)

    def b_renewal(self, method, rm, v, st, payload):
        r = Resp(200, {"suggestedWindow": {"start": "@NOW+86400@",
                                           "end": "@NOW+172800@"},
                       "explanationURL": "@ROOT@/why"})
        r.set_header("Retry-After", "21600")
        r.nonce = False
        return r

    def b_revoke(self, method, rm, v, st, payload):
        r = Resp(200, None, None)
        r.raw = b""
        return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cert", required=True, help="TLS certificate chain")
    ap.add_argument("--key", required=True, help="TLS private key")
    ap.add_argument("--chain", required=True,
                    help="PEM chain served as the issued certificate")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the port here when ready")
    ap.add_argument("--scenarios", action="append", default=[],
                    help="JSON file of extra scenarios (name -> spec)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    scenarios = dict(SCENARIOS)
    for path in args.scenarios:
        with open(path) as f:
            extra = json.load(f)
        if not isinstance(extra, dict):
            sys.exit("%s: not a JSON object" % path)
        scenarios.update(extra)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    srv = HostileServer(("127.0.0.1", args.port), ctx, args, scenarios)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.port)
        os.rename(tmp, args.port_file)
    print("hostile-ca: listening on https://127.0.0.1:%d/" % srv.port,
          flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
