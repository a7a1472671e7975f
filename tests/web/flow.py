#!/usr/bin/env python3
"""The whole panel flow through real lighttpd and real Pebble, as TAP.

Once through the JSON API with a bearer token, once through the HTML
forms with a session cookie and CSRF tokens, the way a browser posts
them: register an account with the local test CA, order two names,
answer http-01 through the panel's own responder (Pebble validates for
real), finalize, download, verify the chain with openssl, revoke.
Environment from tests/lib/pebble.sh and tests/lib/web.sh.
"""
import html
import http.cookiejar
import json
import os
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

URL = os.environ["PANEL_URL"]
TOKEN = os.environ["PANEL_ADMIN_TOKEN"]
H01 = os.environ["ACME_TEST_HTTP01_PORT"]
MGMT = os.environ["ACME_TEST_PEBBLE_MGMT"]
CAFILE = os.environ["ACME_TEST_CA"]
WORK = os.environ["PANEL_WORK"]
n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name))
    if not cond:
        failed += 1
        if diag is not None:
            for line in str(diag).splitlines()[:20]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(
    NoRedirect, urllib.request.HTTPCookieProcessor(jar))


def req(method, path, body=None, headers=None, api=False, form=None):
    h = dict(headers or {})
    data = None
    if api:
        h["Authorization"] = "Bearer " + TOKEN
        h["Accept"] = "application/json"
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    r = urllib.request.Request(URL + path, data=data, method=method,
                               headers=h)
    try:
        resp = opener.open(r, timeout=60)
        return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def js(b):
    try:
        return json.loads(b)
    except ValueError:
        return {}


def csrf_of(page):
    m = re.search(rb'name="csrf" value="([^"]+)"', page)
    # Attribute values are entity-encoded; a browser decodes them.
    return html.unescape(m.group(1).decode()) if m else ""


def wait_status(oid, want, api=True, secs=60):
    end = time.time() + secs
    o = {}
    while time.time() < end:
        st, _, b = req("GET", "/acme/orders/%d" % oid, api=True)
        o = js(b)
        if o.get("status") in want:
            return o
        time.sleep(0.5)
    return o


def verify_chain(pem, label):
    path = os.path.join(WORK, label + ".pem")
    with open(path, "wb") as f:
        f.write(pem)
    ctx = ssl.create_default_context(cafile=CAFILE)
    roots = b""
    for p in ("/roots/0", "/intermediates/0"):
        roots += urllib.request.urlopen(MGMT + p, context=ctx).read()
    rp = os.path.join(WORK, label + "-root.pem")
    with open(rp, "wb") as f:
        f.write(roots)
    # The chain's own intermediates are untrusted helpers; Pebble's root
    # is the anchor.
    r = subprocess.run(["openssl", "verify", "-CAfile", rp, "-untrusted",
                        path, path], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


def http01(token, host):
    r = urllib.request.Request(
        "http://127.0.0.1:%s/.well-known/acme-challenge/%s" % (H01, token),
        headers={"Host": host})
    try:
        return urllib.request.urlopen(r, timeout=10).read().decode()
    except urllib.error.HTTPError as e:
        return "HTTP %d" % e.code


def api_flow():
    st, _, b = req("POST", "/acme/accounts", api=True, body={
        "acme_server": "local-test-ca", "email": "ops@example.com",
        "key_type": "ec-256", "tos_agreed": True})
    acct = js(b)
    ok(st == 201 and acct.get("status") == "valid",
       "API: account registered with the CA (201, valid)", b)
    # The list comes in pages: following "next" one account at a time
    # gives the same accounts as one big page, newest first.
    st, _, b = req("GET", "/acme/accounts?limit=500", api=True)
    every = [a.get("id") for a in js(b).get("accounts", [])]
    paged, cursor, pages = [], "", 0
    while pages < 50:
        st, _, b = req("GET", "/acme/accounts?limit=1" + cursor, api=True)
        page = js(b)
        paged += [a.get("id") for a in page.get("accounts", [])]
        pages += 1
        if page.get("next") is None:
            break
        cursor = "&before=%d" % page["next"]
    ok(st == 200 and acct.get("id") in every and paged == every and
       every == sorted(every, reverse=True) and pages == len(every),
       "API: accounts listed in pages of one follow 'next' to the end",
       (every, paged))
    names = ["api.example.test", "www.api.example.test"]
    st, _, b = req("POST", "/acme/orders", api=True, body={
        "account_id": acct.get("id"), "domains": " ".join(names),
        "key_type": "ec-256", "challenge_type": "http-01",
        "auto": False})
    order = js(b)
    ok(st == 201 and order.get("status") == "pending" and
       sorted(order.get("domains", [])) == sorted(names),
       "API: order for 2 names is pending", b)
    chs = []
    for az in order.get("authorizations", []):
        for ch in az.get("challenges", []):
            if ch.get("type") == "http-01":
                chs.append((az["identifier"], ch))
    ok(len(chs) == 2, "API: one http-01 challenge per name", order)
    for ident, ch in chs:
        got = http01(ch["token"], ident)
        ok(got == ch["http01"]["content"],
           "responder serves the key authorization for " + ident, got)
        st, _, b = req("POST", "/acme/challenges/%d/respond" % ch["id"],
                       api=True, body={})
        ok(st == 200, "API: respond to " + ident, b)
    o = wait_status(order.get("id", 0), ("ready", "invalid"))
    ok(o.get("status") == "ready", "Pebble validated both names", o)
    st, _, b = req("POST", "/acme/orders/%d/finalize" % order.get("id", 0),
                   api=True, body={})
    fin = js(b)
    ok(st == 200 and fin.get("certificate_id"),
       "API: finalize stores a certificate", b)
    st, h, pem = req("GET", "/acme/orders/%d/certificate" % order.get("id", 0),
                     api=True)
    ok(st == 200 and h.get("Content-Type", "").startswith(
        "application/pem-certificate-chain") and
       pem.count(b"BEGIN CERTIFICATE") >= 2,
       "API: chain download is a PEM chain", (st, h))
    good, out = verify_chain(pem, "api")
    ok(good, "openssl verifies the chain against Pebble's root", out)
    st, _, b = req("POST", "/acme/certificates/%d/revoke" %
                   (fin.get("certificate_id") or 0), api=True,
                   body={"reason": 4})
    ok(st in (200, 303), "API: revoke (superseded)", b)
    st, _, b = req("GET", "/acme/certificates", api=True)
    certs = {c["id"]: c for c in js(b).get("certificates", [])}
    c = certs.get(fin.get("certificate_id"), {})
    ok(c.get("status") == "revoked", "certificate shows as revoked", c)
    return acct


def browser_flow():
    st, h, b = req("GET", "/acme")
    ok(st == 303 and "/acme/login" in h.get("Location", ""),
       "forms: dashboard redirects to sign-in", (st, h))
    st, _, b = req("GET", "/acme/login")
    c = csrf_of(b)
    ok(st == 200 and c, "forms: sign-in page has a CSRF token")
    st, h, b = req("POST", "/acme/login", form={
        "user": "admin", "password": "wrong", "csrf": c})
    ok(st in (200, 401, 403) and b"Wrong" in b, "forms: wrong password refused", b[:400])
    st, _, b = req("GET", "/acme/login")
    st, h, b = req("POST", "/acme/login", form={
        "user": "admin", "password": os.environ["PANEL_ADMIN_PASSWORD"],
        "csrf": csrf_of(b)})
    cookie = h.get("Set-Cookie", "")
    ok(st == 303 and "HttpOnly" in cookie and "SameSite=Strict" in cookie,
       "forms: signed in; cookie HttpOnly and SameSite=Strict", (st, h))
    st, _, b = req("GET", "/acme/accounts/create")
    c = csrf_of(b)
    ok(st == 200 and c, "forms: account form")
    st, _, b = req("POST", "/acme/accounts", form={
        "acme_server": "local-test-ca", "email": "forms@example.com",
        "key_type": "ec-256", "csrf": c})
    ok(st in (200, 422) and b"terms of service: tick the box" in b,
       "forms: no ToS agreement -> form again with a message", b[:300])
    st, h, b = req("POST", "/acme/accounts", form={
        "acme_server": "local-test-ca", "email": "forms@example.com",
        "key_type": "ec-256", "tos_agreed": "1", "csrf": "nope"})
    ok(st == 403, "forms: wrong CSRF token -> 403", st)
    st, h, b = req("POST", "/acme/accounts", form={
        "acme_server": "local-test-ca", "email": "forms@example.com",
        "key_type": "ec-256", "tos_agreed": "1", "csrf": c})
    loc = h.get("Location", "")
    ok(st == 303 and re.search(r"/acme/accounts/\d+$", loc),
       "forms: account created -> 303 to its page", (st, h, b[:300]))
    aid = int(loc.rsplit("/", 1)[1]) if loc else 0
    st, _, b = req("GET", "/acme/orders/create")
    st, h, b = req("POST", "/acme/orders", form={
        "account_id": aid, "domains": "forms.example.test\nwww.forms.example.test",
        "key_type": "rsa-2048", "challenge_type": "http-01",
        "csrf": csrf_of(b)})
    loc = h.get("Location", "")
    ok(st == 303 and re.search(r"/acme/orders/\d+$", loc),
       "forms: order placed -> 303 to its page", (st, h, b[:300]))
    oid = int(loc.rsplit("/", 1)[1]) if loc else 0
    st, _, b = req("GET", "/acme/orders/%d/challenges" % oid)
    ids = re.findall(r'/acme/challenges/(\d+)/respond',
                     html.unescape(b.decode()))
    ok(st == 200 and len(ids) == 2 and b"/.well-known/acme-challenge/" in b,
       "forms: challenges page shows what to deploy", b[:300])
    for i in ids:
        st, h, b2 = req("POST", "/acme/challenges/%s/respond" % i,
                        form={"csrf": csrf_of(b)})
        ok(st == 303, "forms: respond -> 303", (st, b2[:300]))
    o = wait_status(oid, ("ready", "invalid"))
    ok(o.get("status") == "ready", "forms: order ready", o)
    st, _, b = req("GET", "/acme/orders/%d" % oid)
    st, h, b = req("POST", "/acme/orders/%d/finalize" % oid,
                   form={"csrf": csrf_of(b)})
    ok(st == 303, "forms: finalize -> 303", (st, b[:300]))
    st, h, pem = req("GET", "/acme/orders/%d/certificate" % oid)
    good, out = verify_chain(pem, "forms")
    ok(st == 200 and good, "forms: downloaded chain verifies", out)


def raw_elements(text, key):
    """The text of each element of the array member key, as sent."""
    dec = json.JSONDecoder()
    i = text.index('"%s":[' % key) + len(key) + 4
    out = []
    while text[i] != "]":
        _, end = dec.raw_decode(text, i)
        out.append(text[i:end])
        i = end + (text[end] == ",")
    return out


def orders_agree():
    """One writer makes an order's JSON: each row of the list is, byte for
    byte, the start of the order's own answer (which goes on with its
    authorizations); the dashboard's recent orders say the same."""
    st, _, b = req("GET", "/acme/orders?limit=500", api=True)
    text = b.decode()
    rows = raw_elements(text, "orders") if st == 200 else []
    bad, seen = [], 0
    for r in rows:
        o = json.loads(r)
        # An order that can still move is read from the CA again.
        if o.get("status") not in ("valid", "invalid", "expired",
                                   "canceled"):
            continue
        seen += 1
        st, _, d = req("GET", "/acme/orders/%d" % o["id"], api=True)
        if not d.decode().startswith(r[:-1] + ',"authorizations":'):
            bad.append((r, d[:len(r) + 40]))
    ok(seen >= 2 and not bad and text.endswith("\n"),
       "API: each listed order is byte for byte the start of its own "
       "answer (%d orders)" % seen, bad or text[:300])
    st, _, b = req("GET", "/acme", api=True)
    recent = js(b).get("recent", [])
    keys = ("id", "status", "account_id", "created", "updated", "domains")
    want = [json.loads(r) for r in rows[:len(recent)]]
    ok(st == 200 and recent and
       [[o.get(k) for k in keys] + [o.get("certificate_id") or 0]
        for o in want] ==
       [[o.get(k) for k in keys] + [o.get("certificate_id")]
        for o in recent] and
       all(o.get("domains_text") == ", ".join(o.get("domains", []))
           for o in recent),
       "API: the dashboard's recent orders agree with the list",
       (recent, want))


api_flow()
browser_flow()
orders_agree()
st, _, b = req("GET", "/acme/audit?limit=200", api=True)
acts = [e.get("action") for e in js(b).get("entries", [])]
for a in ("account.create", "order.create", "challenge.respond",
          "order.finalize", "certificate.revoke", "login", "csrf"):
    ok(any(x and x.startswith(a) for x in acts), "audit has " + a, acts)
print("1..%d" % n)
sys.exit(1 if failed else 0)
