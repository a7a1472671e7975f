#!/usr/bin/env python3
"""The panel's defences, tried from outside through real lighttpd, as TAP.

Pebble is the CA; tests/hostile/server.py stands in for a hostile one.
Every POST route without a CSRF token and with a wrong one (403, nothing
written: the SQLite database is compared before and after, read-only);
XSS payloads in every text field and in a hostile CA's problem details
(never echoed unescaped, no live markup); SQL-injection strings in fields
and ids (inert, tables intact); hostile http-01 tokens (404); one user's
ids are 404 to another; cookie attributes; open redirects; failed sign-ins
audited and rate-limited; the body cap (413).

Environment from tests/web/t_security.t: PANEL_URL, PANEL_DB, PANEL_WORK,
PANEL_ADMIN_PASSWORD, PANEL_ADMIN_TOKEN, ACME_TEST_HTTP01_PORT,
HOSTILE_BASE, SEC_A_TOKEN, SEC_B_TOKEN, SEC_PASSWORD (users a, b and c).
"""
import hashlib
import html
import html.parser
import http.client
import http.cookiejar
import json
import os
import re
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

URL = os.environ["PANEL_URL"]
HOST, PORT = urllib.parse.urlsplit(URL).netloc.split(":")
DB = os.environ["PANEL_DB"]
ADMIN_PW = os.environ["PANEL_ADMIN_PASSWORD"]
ADMIN_TOKEN = os.environ["PANEL_ADMIN_TOKEN"]
H01 = int(os.environ["ACME_TEST_HTTP01_PORT"])
HOSTILE = os.environ.get("HOSTILE_BASE", "")
A_TOKEN = os.environ["SEC_A_TOKEN"]
B_TOKEN = os.environ["SEC_B_TOKEN"]
USER_PW = os.environ["SEC_PASSWORD"]

XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
       'javascript:alert(1)', "'onmouseover='alert(1)'"]
SQLI = ["' OR 1=1 --", "1; DROP TABLE users", "1' UNION SELECT "
        "password_hash FROM users --"]

# Control characters but tab, newline and carriage return.
CTL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name))
    if not cond:
        failed += 1
        if diag is not None:
            for line in str(diag).splitlines()[:25]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


def skip(name, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, name, why))


def note(msg):
    for line in str(msg).splitlines():
        print("# " + line)


# --- HTTP --------------------------------------------------------------

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # list of (name, value)
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}

    def __repr__(self):
        return "HTTP %s %s\n%s" % (self.status, self.header("Content-Type"),
                                   self.text()[:1500])


class Client:
    """A browser (cookie jar) or an API client (token)."""

    def __init__(self, token=None):
        self.token = token
        self.jar = http.cookiejar.CookieJar()
        self.op = urllib.request.build_opener(
            NoRedirect, urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def req(self, method, path, form=None, body=None, headers=None,
            api=False, ctype=None):
        h = dict(headers or {})
        data = None
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if api:
            h["Accept"] = "application/json"
        if body is not None:
            data = body if isinstance(body, bytes) else \
                json.dumps(body).encode()
            h["Content-Type"] = ctype or "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = ctype or \
                "application/x-www-form-urlencoded"
        elif method == "POST":
            data = b""
        r = urllib.request.Request(URL + path, data=data, method=method,
                                   headers=h)
        try:
            resp = self.op.open(r, timeout=90)
            return Resp(resp.status, resp.headers.items(), resp.read())
        except urllib.error.HTTPError as e:
            return Resp(e.code, e.headers.items(), e.read())

    def get(self, path, **k):
        return self.req("GET", path, **k)

    def post(self, path, **k):
        return self.req("POST", path, **k)

    def cookie(self, name):
        for c in self.jar:
            if c.name == name:
                return c.value
        return None

    def refresh_csrf(self, path="/acme"):
        r = self.get(path)
        self.csrf = csrf_of(r.body)
        return r


def csrf_of(body):
    m = re.search(rb'name="csrf" value="([^"]*)"', body)
    return html.unescape(m.group(1).decode()) if m else ""


def raw(method, path, port=None, headers=None):
    """One request with the path sent exactly as given (no normalising)."""
    c = http.client.HTTPConnection(HOST, port or int(PORT), timeout=30)
    try:
        c.putrequest(method, path, skip_accept_encoding=True,
                     skip_host="Host" in (headers or {}))
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def sign_in(user, password, next_=None):
    cl = Client()
    r = cl.get("/acme/login")
    form = {"user": user, "password": password, "csrf": csrf_of(r.body)}
    if next_ is not None:
        form["next"] = next_
    r = cl.post("/acme/login", form=form)
    if r.status == 303:
        cl.refresh_csrf()
    return cl, r


# --- the database, read-only ----------------------------------------------

# Rows a refused request may add or touch: the audit log records the
# refusal; sessions note when they were last used.
VOLATILE = {"audit_log", "sessions", "login_attempts", "sqlite_sequence"}


def db():
    return sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=10)


def snapshot(include=()):
    """Hash of every table's rows (but the volatile ones) + the schema."""
    out = {}
    with db() as c:
        c.execute("PRAGMA query_only = 1")
        tabs = [r[0] for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "ORDER BY name")]
        out["__schema__"] = hashlib.sha256(repr(list(c.execute(
            "SELECT type, name, sql FROM sqlite_master ORDER BY name")))
            .encode()).hexdigest()
        for t in tabs:
            if t in VOLATILE and t not in include:
                continue
            q = 'SELECT * FROM "%s"' % t
            if t == "settings":
                # The audit chain's head moves with every audit row.
                q += " WHERE key <> 'audit.head'"
            rows = sorted(repr(x) for x in c.execute(q))
            out[t] = (len(rows), hashlib.sha256(repr(rows).encode())
                      .hexdigest())
    return out


def counts():
    with db() as c:
        return {t: c.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0]
                for (t,) in c.execute("SELECT name FROM sqlite_master "
                                      "WHERE type = 'table'")}


def diff(a, b):
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b)
            if a.get(k) != b.get(k)}


# --- HTML checks -------------------------------------------------------------

class Live(html.parser.HTMLParser):
    """Collects markup that would run script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad = []

    def handle_starttag(self, tag, attrs):
        # The panel's templates use none of these; an injected one is live.
        if tag in ("script", "iframe", "object", "embed", "svg", "base",
                   "img", "frame"):
            self.bad.append("<%s %s>" % (tag, attrs))
        for k, v in attrs:
            if k.startswith("on"):
                self.bad.append("<%s %s=%r>" % (tag, k, v))
            if k in ("href", "src", "action", "formaction") and v and \
                    v.strip().lower().startswith("javascript:"):
                self.bad.append("<%s %s=%r>" % (tag, k, v))


def live_markup(body):
    p = Live()
    p.feed(body.decode("utf-8", "replace"))
    p.close()
    return p.bad


def escaped_ok(r, payload):
    """payload never raw where it carries markup; no live markup at all."""
    t = r.text()
    bad = live_markup(r.body)
    if any(ch in payload for ch in "<>\"'"):
        if payload in t:
            bad.append("raw payload in the page")
    return bad


# What the sections share, filled in by sec_setup.
ADM_AID = ADM_OID = ADM_CID = B_AID = B_OID = B_CID = B_CERT = B_OID2 = 0
ADM_TOKEN = ""
admin = alice_b = Client()
api_admin, api_a, api_b = Client(ADMIN_TOKEN), Client(A_TOKEN), \
    Client(B_TOKEN)


# --- setup -------------------------------------------------------------------


def sec_setup():
    global ADM_AID, ADM_OID, ADM_CID, ADM_TOKEN, B_AID, B_OID, B_CID
    global B_CERT, B_OID2, admin, alice_b, api_admin, api_a, api_b
    admin, r = sign_in("admin", ADMIN_PW)
    ok(r.status == 303 and admin.csrf, "admin signed in (session + CSRF token)",
       r)
    alice_b, r = sign_in("b", USER_PW)
    ok(r.status == 303 and alice_b.csrf, "user b signed in", r)
    api_admin = Client(ADMIN_TOKEN)
    api_a = Client(A_TOKEN)
    api_b = Client(B_TOKEN)

    # Cookies.
    cl = Client()
    r = cl.get("/acme/login")
    lc = [c for c in r.all("Set-Cookie") if c.startswith("acme_login_csrf=")]
    ok(lc and "HttpOnly" in lc[0] and "SameSite=Strict" in lc[0] and
       "Path=/acme" in lc[0], "login CSRF cookie: HttpOnly, SameSite=Strict, "
       "Path=/acme", r.all("Set-Cookie"))
    r = cl.post("/acme/login", form={"user": "admin", "password": ADMIN_PW,
                                     "csrf": csrf_of(r.body)})
    sc = [c for c in r.all("Set-Cookie") if c.startswith("acme_session=")]
    ok(sc and re.search(r"; HttpOnly(;|$)", sc[0]) and
       re.search(r"; SameSite=Strict(;|$)", sc[0]),
       "session cookie: HttpOnly and SameSite=Strict", sc)
    ok(sc and "Secure" not in sc[0],
       "... not Secure over plain http (would be lost)", sc)
    sid = cl.cookie("acme_session") or ""
    ok(len(sid) >= 32 and re.fullmatch(r"[A-Za-z0-9_.-]+", sid),
       "session id is long and opaque", sid)
    cl.refresh_csrf()
    r = cl.post("/acme/logout", form={"csrf": cl.csrf})
    ok(r.status == 303 and any(c.startswith("acme_session=;") and
                               "Max-Age=0" in c for c in r.all("Set-Cookie")),
       "sign-out expires the cookie", r.all("Set-Cookie"))
    old = Client()
    old.jar.set_cookie(http.cookiejar.Cookie(
        0, "acme_session", sid, None, False, HOST, False, False, "/acme", True,
        False, None, False, None, None, {}))
    r = old.get("/acme")
    ok(r.status == 303, "the signed-out session id no longer works", r)

    # Headers of an HTML page.
    r = admin.get("/acme")
    ok(r.header("X-Frame-Options") == "DENY" and
       "frame-ancestors 'none'" in (r.header("Content-Security-Policy") or "")
       and r.header("X-Content-Type-Options") == "nosniff",
       "pages forbid framing and sniffing; CSP present", r.headers)
    csp = r.header("Content-Security-Policy") or ""
    ok("script-src" not in csp or "'unsafe-inline'" not in csp,
       "CSP allows no inline script", csp)

    # Data to aim at: an account and a pending order of the admin's, and of b.
    r = api_admin.post("/acme/accounts", api=True, body={
        "acme_server": "local-test-ca", "email": "sec-admin@example.com",
        "key_type": "ec-256", "tos_agreed": True})
    ADM_AID = r.json().get("id", 0)
    ok(r.status == 201 and ADM_AID, "admin's account (API)", r)
    r = api_admin.post("/acme/orders", api=True, body={
        "account_id": ADM_AID, "domains": "sec-admin.example.test",
        "challenge_type": "http-01", "auto": False})
    adm_order = r.json()
    ADM_OID = adm_order.get("id", 0)
    ok(r.status == 201 and ADM_OID, "admin's pending order (API)", r)
    ADM_CID = 0
    ADM_TOKEN = ""
    for az in adm_order.get("authorizations", []):
        for ch in az.get("challenges", []):
            if ch.get("type") == "http-01":
                ADM_CID, ADM_TOKEN = ch["id"], ch["token"]

    r = api_b.post("/acme/accounts", api=True, body={
        "acme_server": "local-test-ca", "email": "sec-b@example.com",
        "key_type": "ec-256", "tos_agreed": True})
    B_AID = r.json().get("id", 0)
    ok(r.status == 201 and B_AID, "b's account (API)", r)
    r = api_b.post("/acme/orders", api=True, body={
        "account_id": B_AID, "domains": "sec-b.example.test",
        "challenge_type": "http-01", "auto": False})
    b_order = r.json()
    B_OID = b_order.get("id", 0)
    ok(r.status == 201 and B_OID, "b's pending order (API)", r)
    B_CID = 0
    for az in b_order.get("authorizations", []):
        for ch in az.get("challenges", []):
            if ch.get("type") == "http-01":
                B_CID = ch["id"]
    # b's certificate: a second order taken all the way (one name).
    B_CERT = 0
    B_OID2 = 0
    r = api_b.post("/acme/orders", api=True, body={
        "account_id": B_AID, "domains": "sec-b-cert.example.test",
        "challenge_type": "http-01", "auto": False})
    o2 = r.json()
    B_OID2 = o2.get("id", 0)
    for az in o2.get("authorizations", []):
        for ch in az.get("challenges", []):
            if ch.get("type") == "http-01":
                api_b.post("/acme/challenges/%d/respond" % ch["id"], api=True,
                           body={})
    end = time.time() + 15
    st = ""
    while B_OID2 and time.time() < end:
        st = api_b.get("/acme/orders/%d" % B_OID2, api=True).json().get(
            "status")
        if st in ("ready", "invalid"):
            break
        time.sleep(0.5)
    if st == "ready":
        r = api_b.post("/acme/orders/%d/finalize" % B_OID2, api=True, body={})
        B_CERT = r.json().get("certificate_id") or 0
    if B_CERT:
        ok(True, "b's certificate issued (id %d)" % B_CERT)
    else:
        skip("b's certificate issued", "b's order %s stayed '%s' within 15 s: "
             "the certificate isolation checks use a made-up id" %
             (B_OID2, st))

# --- 1. CSRF -------------------------------------------------------------------


def sec_1():
    POSTS = [
        ("/acme/logout", {}),
        ("/acme/accounts", {"acme_server": "local-test-ca",
                            "email": "csrf@example.com", "key_type": "ec-256",
                            "tos_agreed": "1"}),
        ("/acme/accounts/%d/update" % ADM_AID, {"email": "csrf2@example.com"}),
        ("/acme/accounts/%d/rollover" % ADM_AID, {"key_type": "ec-256"}),
        ("/acme/accounts/%d/deactivate" % ADM_AID, {"confirm": "1"}),
        ("/acme/orders", {"account_id": str(ADM_AID),
                          "domains": "csrf.example.test",
                          "challenge_type": "http-01", "key_type": "ec-256"}),
        ("/acme/orders/%d/finalize" % ADM_OID, {}),
        ("/acme/challenges/%d/respond" % ADM_CID, {"force": "1"}),
        ("/acme/certificates/%d/revoke" % (B_CERT or 1), {"reason": "4"}),
    ]
    before = snapshot()
    csrf_audit0 = counts().get("audit_log", 0)
    for path, form in POSTS:
        r = admin.post(path, form=form)
        ok(r.status == 403, "CSRF: %s without a token: 403" % path, r)
        r = admin.post(path, form=dict(form, csrf="x" * 43))
        ok(r.status == 403, "CSRF: %s with a wrong token: 403" % path, r)
        r = admin.post(path, form=form, headers={"X-CSRF-Token": "nope"})
        ok(r.status == 403, "CSRF: %s with a wrong X-CSRF-Token: 403" % path, r)
        # b's own, valid token is still the wrong one for the admin's session.
        r = admin.post(path, form=dict(form, csrf=alice_b.csrf))
        ok(r.status == 403, "CSRF: %s with another session's token: 403" % path,
           r)
        # A JSON body is no way around it.
        r = admin.post(path, body=form, api=True)
        ok(r.status == 403, "CSRF: %s as JSON with the cookie, no token: 403"
           % path, r)
    after = snapshot()
    ok(before == after, "CSRF: nothing written by any refused POST",
       diff(before, after))
    ok(counts().get("audit_log", 0) > csrf_audit0,
       "CSRF: the refusals are in the audit log")
    r = api_admin.get("/acme/audit?action=csrf&result=denied&limit=5", api=True)
    ok(r.status == 200 and r.json().get("entries") and all(
        e.get("result") == "denied" for e in r.json()["entries"]),
        "CSRF: audit entries say denied", r)

    # The sign-in form has its own double-submit token.
    before = snapshot(include=("sessions", "login_attempts"))
    cl = Client()
    cl.get("/acme/login")
    r = cl.post("/acme/login", form={"user": "admin", "password": ADMIN_PW})
    ok(r.status == 403 and not cl.cookie("acme_session"),
       "CSRF: sign-in without the token: 403, no session", r)
    r = cl.post("/acme/login", form={"user": "admin", "password": ADMIN_PW,
                                     "csrf": "A" * 43})
    ok(r.status == 403 and not cl.cookie("acme_session"),
       "CSRF: sign-in with a wrong token: 403, no session", r)
    cl2 = Client()
    r = cl2.get("/acme/login")
    tok = csrf_of(r.body)
    r = Client().post("/acme/login", form={"user": "admin", "password": ADMIN_PW,
                                           "csrf": tok})
    ok(r.status == 403, "CSRF: sign-in with a token but not its cookie: 403", r)
    after = snapshot(include=("sessions", "login_attempts"))
    ok(before == after, "CSRF: refused sign-ins wrote no session",
       diff(before, after))

    # A logged-in POST with the right token works (the checks above are not
    # refusing everything).
    r = admin.post("/acme/accounts/%d/update" % ADM_AID,
                   form={"email": "sec-admin2@example.com", "csrf": admin.csrf})
    ok(r.status in (200, 303), "CSRF: the same POST with the right token "
       "goes through", r)

# --- 2. XSS --------------------------------------------------------------------


def sec_2():
    def xss_check(label, r, payload):
        bad = escaped_ok(r, payload)
        ok(r.status < 500 and not bad, "XSS: %s %r: escaped (HTTP %d)" % (
            label, payload, r.status), "\n".join(bad) + "\n" + repr(r))


    before = counts()
    admin.refresh_csrf("/acme/accounts/create")
    for p in XSS:
        base = {"acme_server": "local-test-ca", "email": "x@example.com",
                "key_type": "ec-256", "csrf": admin.csrf}
        # No tos_agreed: the form comes back with every field filled in.
        for field in ("email", "eab_kid", "eab_hmac", "custom_url", "contact"):
            form = dict(base)
            form[field] = p
            if field == "custom_url":
                form["acme_server"] = "custom"
            xss_check("account form %s" % field,
                      admin.post("/acme/accounts", form=form), p)
        form = dict(base, acme_server=p)
        xss_check("account form acme_server", admin.post("/acme/accounts",
                                                         form=form), p)
        xss_check("account update email", admin.post(
            "/acme/accounts/%d/update" % ADM_AID,
            form={"email": p, "csrf": admin.csrf}), p)
        xss_check("account rollover key_type", admin.post(
            "/acme/accounts/%d/rollover" % ADM_AID,
            form={"key_type": p, "csrf": admin.csrf}), p)
        for field, val in (("domains", p), ("domains", "ok.example.test " + p),
                           ("account_id", p), ("key_type", p),
                           ("challenge_type", p), ("auto", p)):
            form = {"account_id": str(ADM_AID), "domains": "xss.example.test",
                    "challenge_type": "http-01", "key_type": "ec-256",
                    "auto": "0", "csrf": admin.csrf}
            form[field] = val
            xss_check("order form %s" % field, admin.post("/acme/orders",
                                                          form=form), p)
        q = urllib.parse.quote(p, safe="")
        for f in ("actor", "action", "object", "result", "from", "to", "before",
                  "limit", "format"):
            xss_check("audit filter %s" % f, admin.get("/acme/audit?%s=%s" %
                                                       (f, q)), p)
        xss_check("orders filter status", admin.get("/acme/orders?status=" + q),
                  p)
        xss_check("orders before", admin.get("/acme/orders?before=" + q), p)
        xss_check("certificates after", admin.get("/acme/certificates?after=" +
                                                  q), p)
        xss_check("sign-in next", Client().get("/acme/login?next=" + q), p)
        xss_check("sign-in next under /acme/",
                  Client().get("/acme/login?next=" + urllib.parse.quote(
                      "/acme/" + p, safe="")), p)
        xss_check("404 page path", admin.get("/acme/" + q), p)
        xss_check("revoke reason", admin.post(
            "/acme/certificates/%d/revoke" % (B_CERT or 999999),
            form={"reason": p, "csrf": admin.csrf}), p)
        c = Client()
        r = c.get("/acme/login")
        xss_check("sign-in user name", c.post("/acme/login", form={
            "user": p, "password": "whatever-password", "csrf": csrf_of(r.body)}),
            p)
    after = counts()
    grew = {k: (before[k], after[k]) for k in before
            if k not in VOLATILE and before[k] != after[k]}
    ok(not grew, "XSS: no payload was stored as an account or order", grew)

    # Stored: what an attacker can get into the database is shown escaped.
    for p in XSS:
        r = admin.get("/acme/audit?limit=200")
        xss_check("audit log page after the payloads", r, p)
    r = admin.get("/acme/audit?format=csv&limit=200")
    ok(r.status == 200 and not (r.header("Content-Type") or "").startswith(
        "text/html"), "audit CSV is not served as HTML",
       r.header("Content-Type"))
    ok((r.header("Content-Disposition") or "").startswith("attachment"),
       "... and is an attachment", r.headers)
    r = admin.get("/acme")
    xss_check("dashboard after the payloads", r, XSS[1])

# --- 3. A hostile CA's words --------------------------------------------------------


def sec_3():
    if not HOSTILE:
        skip("hostile CA problem detail", "HOSTILE_BASE not set")
    else:
        cases = [
            ("acct-problem-script", "account form",
             '<script>alert("x")</script>'),
            ("acct-problem-ctl", "account form", "\x1b[31m"),
            ("sec-order-problem", "order form", "<img src=x onerror=alert(2)>"),
            ("sec-order-subproblem", "order form",
             "<svg onload=alert(3)>"),
            ("sec-authz-ident", "order form", "<svg onload=alert(4)>"),
        ]
        for scen, where, needle in cases:
            url = "%s/s/%s~%d/dir" % (HOSTILE, scen, os.getpid())
            admin.refresh_csrf("/acme/accounts/create")
            r = admin.post("/acme/accounts", form={
                "acme_server": "custom", "custom_url": url,
                "email": "hostile@example.com", "key_type": "ec-256",
                "tos_agreed": "1", "csrf": admin.csrf})
            if where == "account form":
                t = r.text()
                ok(r.status in (200, 400, 422, 502) and needle not in t and
                   not live_markup(r.body),
                   "hostile CA: %s problem detail shown escaped (HTTP %d)" %
                   (scen, r.status), repr(r))
                if scen == "acct-problem-script":
                    ok("&lt;script&gt;alert(" in t or
                       "&#x3c;script&#x3e;" in t.lower(),
                       "... and still shown, as text (the user learns what "
                       "the CA said)", t[:1500])
                else:
                    ok(not CTL.search(t), "... without raw control "
                       "characters", repr(t[:1500]))
                continue
            loc = r.header("Location") or ""
            m = re.search(r"/acme/accounts/(\d+)$", loc)
            ok(r.status == 303 and m, "hostile CA %s: account registered" %
               scen, r)
            if not m:
                continue
            admin.refresh_csrf("/acme/orders/create")
            r = admin.post("/acme/orders", form={
                "account_id": m.group(1), "domains": "hostile.example.test",
                "challenge_type": "http-01", "key_type": "ec-256", "auto": "0",
                "csrf": admin.csrf})
            t = r.text()
            ok(r.status < 500 or r.status == 502,
               "hostile CA %s: order refused (HTTP %d)" % (scen, r.status), r)
            ok(needle not in t and not live_markup(r.body),
               "hostile CA %s: problem detail escaped on the %s" % (scen, where),
               repr(r))
            if scen == "sec-order-problem":
                ok(html.escape(needle, quote=False) in t,
                   "... and still shown, as text", t[:1500])
            r = api_admin.get("/acme/orders", api=True)
            for o in r.json().get("orders", []):
                rr = admin.get("/acme/orders/%d" % o["id"])
                if needle in rr.text() or live_markup(rr.body):
                    ok(False, "hostile CA %s: order %d page escapes it" %
                       (scen, o["id"]), repr(rr))
        r = admin.get("/acme/audit?limit=100")
        ok(r.status == 200 and not live_markup(r.body) and
           '<script>alert("x")' not in r.text(),
           "hostile CA: the audit log shows the CA's words escaped", repr(r))
        ok(not CTL.search(r.text()), "hostile CA: no raw control "
           "characters in the audit log page", repr(r.text()[:800]))
        r = admin.get("/acme")
        ok(not live_markup(r.body), "hostile CA: dashboard clean", repr(r))

# --- 4. SQL injection -----------------------------------------------------------


def sec_4():
    tables0 = snapshot()
    users0 = counts()["users"]
    for p in SQLI:
        q = urllib.parse.quote(p, safe="")
        for path in ("/acme/orders/" + q, "/acme/accounts/" + q,
                     "/acme/orders/1" + q, "/acme/accounts/1" + q + "/update",
                     "/acme/challenges/" + q + "/respond",
                     "/acme/certificates/" + q + "/revoke",
                     "/acme/orders/" + q + "/certificate"):
            m = "POST" if path.endswith(("/update", "/respond", "/revoke")) \
                else "GET"
            r = admin.req(m, path, form={"csrf": admin.csrf} if m == "POST"
                          else None)
            ok(r.status in (400, 404, 405), "SQLi: %s %s: %d" % (m, path,
                                                                  r.status), r)
        for f in ("actor", "action", "object", "result", "from", "before",
                  "limit"):
            r = admin.get("/acme/audit?format=json&%s=%s" % (f, q), api=True)
            ents = r.json().get("entries")
            ok(r.status == 400 or (r.status == 200 and not ents),
               "SQLi: audit filter %s: refused or matches nothing (%d)" %
               (f, r.status), r)
        r = admin.get("/acme/orders?status=" + q)
        ok(r.status in (200, 400), "SQLi: orders status filter (%d)" % r.status,
           r)
        r = api_b.get("/acme/audit?actor=" + q, api=True)
        ok(r.status in (400, 403) or not any(
            e.get("actor") != "b" for e in r.json().get("entries", [])),
           "SQLi: b's audit query reveals nobody else (%d)" % r.status, r)
        r = api_admin.post("/acme/orders", api=True, body={
            "account_id": p, "domains": "sqli.example.test",
            "challenge_type": "http-01"})
        ok(400 <= r.status < 500, "SQLi: account_id in the API: %d" % r.status,
           r)
        r = api_admin.post("/acme/orders", api=True, body={
            "account_id": ADM_AID, "domains": p, "challenge_type": "http-01"})
        ok(400 <= r.status < 500, "SQLi: domains in the API: %d" % r.status, r)
        r = api_admin.post("/acme/accounts", api=True, body={
            "acme_server": "local-test-ca", "email": p, "tos_agreed": True})
        ok(400 <= r.status < 500, "SQLi: email in the API: %d" % r.status, r)
        c = Client()
        r = c.get("/acme/login")
        r = c.post("/acme/login", form={"user": p, "password": p,
                                        "csrf": csrf_of(r.body)})
        ok(r.status in (400, 401) and not c.cookie("acme_session"),
           "SQLi: sign-in user name and password: %d, no session" % r.status, r)
        r = Client(p).get("/acme", api=True)
        ok(r.status == 401, "SQLi: as a bearer token: 401", r)
    tables1 = snapshot()
    ok(tables0 == tables1 and counts()["users"] == users0,
       "SQLi: every table intact, schema unchanged", diff(tables0, tables1))

# --- 5. http-01 tokens ------------------------------------------------------------


def sec_5():
    bad = ["../", "..%2f", "%2e%2e", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
           "..%2f..%2f..%2fetc%2fpasswd", "%00", "a%00b", "x%2f..%2f..",
           "..%5c..%5cwindows", "....//", "%252e%252e%252f", "tok%0d%0aX: y",
           "A" * 300, "' OR 1=1 --", "%27%20OR%201%3D1%20--"]
    if ADM_TOKEN:
        bad += [ADM_TOKEN + "%00", ADM_TOKEN + "/..", ADM_TOKEN + "%2f",
                ADM_TOKEN + ".txt", "..%2f" + ADM_TOKEN, ADM_TOKEN + "%20"]
    for port, label in ((int(PORT), "panel port"), (H01, "http-01 port")):
        for t in bad:
            path = "/.well-known/acme-challenge/" + t.replace(" ", "%20")
            try:
                r = raw("GET", path, port=port)
                st = r.status
            except (OSError, http.client.HTTPException) as e:
                r, st = None, "no answer (%s)" % e
            ka = ADM_TOKEN and r is not None and ADM_TOKEN.encode() + b"." in \
                r.body
            # lighttpd itself answers 400 to a NUL or CR/LF in the path,
            # before the panel sees it: as good as 404.
            want = (404, 400) if re.search("%00|%0d|%0a", t, re.I) else \
                (404,)
            ok(st in want and not ka, "http-01 %s: %r: %s" % (
                label, t[:40], " or ".join(map(str, want))),
               r if r is not None else st)
    if ADM_TOKEN:
        r = raw("GET", "/.well-known/acme-challenge/" + ADM_TOKEN, port=H01,
                headers={"Host": "sec-admin.example.test"})
        ok(r.status == 200 and r.body.startswith(ADM_TOKEN.encode() + b"."),
           "http-01: the real token still answers (the checks above are not "
           "refusing everything)", r)

# --- 6. one user's ids are 404 to another ------------------------------------------


def sec_6():
    A_AID = 0
    r = api_a.post("/acme/accounts", api=True, body={
        "acme_server": "local-test-ca", "email": "sec-a@example.com",
        "key_type": "ec-256", "tos_agreed": True})
    A_AID = r.json().get("id", 0)
    ok(r.status == 201 and A_AID, "a's account (API)", r)
    cert_id = B_CERT or 999999
    gets = ["/acme/accounts/%d" % B_AID, "/acme/orders/%d" % B_OID,
            "/acme/orders/%d/challenges" % B_OID,
            "/acme/orders/%d/certificate" % (B_OID2 or B_OID),
            "/acme/certificates/%d/key" % cert_id]
    posts = ["/acme/accounts/%d/update" % B_AID,
             "/acme/accounts/%d/rollover" % B_AID,
             "/acme/accounts/%d/deactivate" % B_AID,
             "/acme/orders/%d/finalize" % B_OID,
             "/acme/challenges/%d/respond" % B_CID,
             "/acme/certificates/%d/revoke" % cert_id]
    before = snapshot()
    for p in gets:
        r = api_a.get(p, api=True)
        ok(r.status == 404, "isolation: a GET %s: 404" % p, r)
        r = api_b.get(p, api=True)
        ok(r.status != 404 or p.endswith(("/certificate", "/key")) and
           not B_CERT, "isolation: ... while b gets it (%d)" % r.status, r)
    for p in posts:
        body = {"confirm": True, "email": "evil@example.com", "reason": 4}
        r = api_a.post(p, api=True, body=body)
        ok(r.status == 404, "isolation: a POST %s: 404" % p, r)
    # The same through a browser session of a.
    a_sess, r = sign_in("a", USER_PW)
    for p in gets[:3]:
        r = a_sess.get(p)
        ok(r.status == 404, "isolation: a's session GET %s: 404" % p, r)
    r = a_sess.post("/acme/challenges/%d/respond" % B_CID,
                    form={"csrf": a_sess.csrf})
    ok(r.status == 404, "isolation: a's session POST respond to b's "
       "challenge: 404", r)
    r = api_a.post("/acme/orders", api=True, body={
        "account_id": B_AID, "domains": "steal.example.test",
        "challenge_type": "http-01", "auto": False})
    ok(400 <= r.status < 500 and r.status != 401,
       "isolation: a cannot order with b's account (%d)" % r.status, r)
    after = snapshot()
    ok(before == after, "isolation: nothing of b's changed",
       diff(before, after))
    r = api_a.get("/acme/orders", api=True)
    ids = [o.get("id") for o in r.json().get("orders", [])]
    ok(r.status == 200 and B_OID not in ids and ADM_OID not in ids,
       "isolation: a's order list has none of b's or the admin's", ids)
    r = api_a.get("/acme/accounts", api=True)
    ids = [x.get("id") for x in r.json().get("accounts", [])]
    ok(r.status == 200 and ids == [A_AID],
       "isolation: a's account list is a's only", r)
    r = api_a.get("/acme/certificates", api=True)
    ids = [x.get("id") for x in r.json().get("certificates", [])]
    ok(r.status == 200 and B_CERT not in ids,
       "isolation: a's certificate list has none of b's", ids)
    r = api_a.get("/acme/audit?actor=b", api=True)
    ok(r.status == 403 or (r.status == 200 and not r.json().get("entries")),
       "isolation: a cannot read b's audit entries (%d)" % r.status, r)
    r = api_a.get("/acme/audit", api=True)
    ok(r.status == 200 and all(e.get("actor") == "a"
                               for e in r.json().get("entries", [])),
       "isolation: a's own activity only", r)
    r = api_admin.get("/acme/orders/%d" % B_OID, api=True)
    ok(r.status == 200, "isolation: the admin sees b's order", r)

# --- 7. open redirects -----------------------------------------------------------


def sec_7():
    for nxt in ("//evil.example.com/", "https://evil.example.com/",
                "/\\evil.example.com", "/acme/../../evil", "javascript:alert(1)",
                "/acme//evil.example.com"):
        c, r = sign_in("a", USER_PW, next_=nxt)
        loc = r.header("Location") or ""
        ok(r.status == 303 and loc.startswith("/acme") and "//" not in loc and
           "evil" not in loc, "sign-in next=%r stays in the panel: %s" %
           (nxt, loc), r)

# --- 8. body cap ------------------------------------------------------------------


def sec_8():
    big = b"a=" + b"A" * (300 * 1024)
    r = admin.post("/acme/accounts", body=big,
                   ctype="application/x-www-form-urlencoded")
    ok(r.status == 413, "a form body over the cap: 413", r)
    r = api_admin.post("/acme/orders", api=True,
                       body=b'{"domains":"' + b"a" * (300 * 1024) + b'"}')
    ok(r.status == 413, "a JSON body over the cap (API): 413", r)
    r = Client().post("/acme/login", body=big,
                      ctype="application/x-www-form-urlencoded")
    ok(r.status == 413, "a sign-in body over the cap: 413", r)
    r = api_admin.post("/acme/orders", api=True,
                       body=b'{"account_id":1,"account_id":2}')
    ok(r.status == 400, "JSON with a duplicate key: 400", r)
    for m in ("PUT", "DELETE", "PATCH"):
        r = admin.req(m, "/acme/orders")
        ok(r.status in (405, 501), "%s /acme/orders: %d" % (m, r.status), r)

# --- 9. failed sign-ins: audited, then rate-limited (last: it locks c out) ---------


def sec_9():
    c = Client()
    statuses = []
    for i in range(8):
        r = c.get("/acme/login")
        r = c.post("/acme/login", form={"user": "c", "password": "wrong-%d" % i,
                                        "csrf": csrf_of(r.body)})
        statuses.append(r.status)
    ok(statuses[0] == 401, "a wrong password: 401", statuses)
    ok(429 in statuses, "repeated failures are refused with 429", statuses)
    r = c.get("/acme/login")
    r = c.post("/acme/login", form={"user": "c", "password": USER_PW,
                                    "csrf": csrf_of(r.body)})
    ok(r.status in (429, 403, 401) and not c.cookie("acme_session"),
       "... even with the right password (%d)" % r.status, r)
    ok(r.status != 429 or r.header("Retry-After"),
       "... saying when to retry (Retry-After)", r.headers)
    r = api_admin.get("/acme/audit?action=login&actor=c&limit=50", api=True)
    ents = r.json().get("entries", [])
    ok(r.status == 200 and sum(1 for e in ents if e.get("result") == "fail")
       >= 5, "failed sign-ins are audited (result fail)",
       [(e.get("actor"), e.get("result"), e.get("detail")) for e in ents])
    ok(all(e.get("ip") for e in ents), "... with the client's address",
       ents[:2])
    r = api_admin.get("/acme/audit?action=login&limit=200", api=True)
    ok(any(e.get("result") in ("fail", "denied") and "limit" in
           (e.get("detail") or "").lower() + (e.get("action") or "")
           for e in r.json().get("entries", [])) or 429 in statuses,
       "the lock-out itself is audited", [(e.get("actor"), e.get("result"),
                                           e.get("detail")) for e in
                                          r.json().get("entries", [])][:12])
    # Another user from the same address is not locked out by c's failures.
    c2, r = sign_in("a", USER_PW)
    ok(r.status == 303, "another user still signs in (%d)" % r.status, r)


SECTIONS = [(sec_setup, 'setup'), (sec_1, '1. CSRF'), (sec_2, '2. XSS'), (sec_3, "3. A hostile CA's words"), (sec_4, '4. SQL injection'), (sec_5, '5. http-01 tokens'), (sec_6, "6. one user's ids are 404 to another"), (sec_7, '7. open redirects'), (sec_8, '8. body cap'), (sec_9, '9. failed sign-ins: audited, then rate-limited (last: it locks c out)')]

for fn, title in SECTIONS:
    try:
        fn()
    except Exception as e:  # report, then go on with the next section
        import traceback
        ok(False, "section '%s' ran to its end" % title,
           traceback.format_exc())

print("1..%d" % n)
sys.exit(1 if failed else 0)
