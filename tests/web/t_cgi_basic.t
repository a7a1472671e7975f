#!/bin/sh
# acme.fcgi as plain CGI against a fresh config and database: sign-in
# with the double-submit CSRF cookie, session cookie attributes, the
# dashboard, CSRF refusal, the http-01 responder with hostile tokens,
# the audit log (HTML, JSON, CSV, bad filters), bearer tokens, sign-out,
# and acme-admin audit verify before and after tampering.
#
# ACME_BUILD (default build/asan) names the build to test.

cd "$(dirname "$0")/../.." || exit 1
B=${ACME_BUILD:-build/asan}
FCGI=$B/acme.fcgi
ADMIN=$B/bin/acme-admin
if [ ! -x "$FCGI" ] || [ ! -x "$ADMIN" ]; then
	echo "1..0 # SKIP $FCGI or $ADMIN not built"
	exit 0
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "1..0 # SKIP sqlite3 not installed"
	exit 0
fi

D=$(pwd)/tests/out/t_cgi_basic
rm -rf "$D"
mkdir -p "$D" || exit 1
CONF=$D/acme-panel.conf
cat >"$CONF" <<EOF
# written by tests/web/t_cgi_basic.t
database = "$D/acme.db"
kek_file = "$D/kek"
templates = "$(pwd)/templates"
scrypt_lock = "$D/scrypt.lock"
EOF
: "${ASAN_OPTIONS:=detect_leaks=1:abort_on_error=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1}"
PASSWORD=correct-horse-battery-staple-42

n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		[ -f "$D/out" ] && sed 's/^/# /' "$D/out" | head -40
		[ -s "$D/err" ] && sed 's/^/# stderr: /' "$D/err" | head -20
	fi
}
check() {	# description, then a command
	d=$1
	shift
	if "$@"; then ok 0 "$d"; else ok 1 "$d"; fi
}

# req METHOD URI BODY [NAME=VALUE...]: one CGI request; the response in
# $D/out, its status in $status.
req() {
	m=$1 u=$2 body=$3
	shift 3
	printf '%s' "$body" >"$D/in"
	env -i PATH="$PATH" ACME_PANEL_CONF="$CONF" \
	    ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
	    GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
	    SERVER_NAME=localhost SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 \
	    REQUEST_METHOD="$m" REQUEST_URI="$u" SCRIPT_NAME="" \
	    CONTENT_LENGTH="$(wc -c <"$D/in" | tr -d ' ')" \
	    CONTENT_TYPE=application/x-www-form-urlencoded \
	    "$@" "$FCGI" <"$D/in" >"$D/out" 2>"$D/err"
	rc=$?
	cat "$D/err" >>"$D/stderr.all"
	status=$(sed -n '1s/^Status: \([0-9]*\).*/\1/p' "$D/out")
	[ $rc = 0 ] || status="exit$rc"
}
# header NAME: the value(s) of a response header.
header() {
	sed -n '/^\r*$/q;p' "$D/out" | tr -d '\r' |
	    sed -n "s/^$1: //Ip"
}
body() {
	sed '1,/^\r*$/d' "$D/out"
}
has() {
	body | grep -q -- "$1"
}
not_has() {
	! body | grep -q -- "$1"
}
admin() {
	"$ADMIN" -c "$CONF" "$@" 2>>"$D/stderr.all"
}



# --- sign-in page ----------------------------------------------------
req GET /acme/login ""
check "login page: 200" [ "$status" = 200 ]
LCSRF=$(body | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
check "login page has a csrf field" [ -n "$LCSRF" ]
header Set-Cookie >"$D/h"
check "login csrf cookie is HttpOnly, SameSite=Strict, Path=/acme" \
    grep -q "^acme_login_csrf=.*Path=/acme;.*HttpOnly; SameSite=Strict" "$D/h"
# The form value is HTML-attribute-escaped; base64url has no & to undo
# but '-' and '_' come out as entities.  Take the cookie as the truth.
LCSRF=$(sed -n 's/^acme_login_csrf=\([^;]*\);.*/\1/p' "$D/h")
check "login csrf cookie has a value" [ -n "$LCSRF" ]
check "page sends a CSP" [ -n "$(header Content-Security-Policy)" ]

# --- no session --------------------------------------------------------
req GET /acme ""
check "dashboard without session: 303" [ "$status" = 303 ]
check "... to the sign-in page" [ "$(header Location)" = /acme/login ]
req GET /acme ""  HTTP_ACCEPT=application/json
check "JSON without session: 401" [ "$status" = 401 ]
check "... with the error shape" has '"error":{"code":"unauthenticated"'
req GET /acme/orders/5 ""
check "deep link keeps next=" \
    [ "$(header Location)" = "/acme/login?next=%2Facme%2Forders%2F5" ]

# --- acme-admin and signing in ------------------------------------------
printf '%s\n' "$PASSWORD" | admin user add alice --admin --password-stdin \
    >/dev/null
check "acme-admin user add" [ $? = 0 ]
admin user add >/dev/null 2>&1
check "acme-admin usage error exits 2" [ $? = 2 ]

req POST /acme/login "user=alice&password=$PASSWORD&csrf=wrong" \
    HTTP_COOKIE="acme_login_csrf=$LCSRF"
check "sign-in with a wrong csrf: 403" [ "$status" = 403 ]
req POST /acme/login "user=alice&password=nope-nope-nope&csrf=$LCSRF" \
    HTTP_COOKIE="acme_login_csrf=$LCSRF"
check "wrong password: the form again (401)" [ "$status" = 401 ]
check "... saying so" has "Wrong user name or password."
check "... keeping the user name" has 'value="alice"'

req POST /acme/login "user=alice&password=$PASSWORD&csrf=$LCSRF" \
    HTTP_COOKIE="acme_login_csrf=$LCSRF"
check "sign-in: 303" [ "$status" = 303 ]
check "... to the dashboard" [ "$(header Location)" = /acme ]
header Set-Cookie >"$D/h"
check "session cookie: HttpOnly, SameSite=Strict, Path=/acme, Max-Age" \
    grep -q '^acme_session=[^;][^;]*; Path=/acme; Max-Age=[1-9][0-9]*; HttpOnly; SameSite=Strict$' "$D/h"
SESS=$(sed -n 's/^acme_session=\([^;]*\);.*/\1/p' "$D/h")
req POST /acme/login "user=alice&password=$PASSWORD&csrf=$LCSRF" \
    HTTP_COOKIE="acme_login_csrf=$LCSRF" HTTPS=on
header Set-Cookie >"$D/h"
check "over HTTPS the cookie is Secure" grep -q '^acme_session=.*; Secure$' "$D/h"

# --- signed in -----------------------------------------------------------
req GET /acme "" HTTP_COOKIE="acme_session=$SESS"
check "dashboard with the session: 200" [ "$status" = 200 ]
check "... shows the user" has "alice"
CSRF=$(body | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1 |
    sed 's/&#x2[dD];/-/g; s/&#x5[fF];/_/g')
req GET /acme "" HTTP_COOKIE="acme_session=$SESS" HTTP_ACCEPT=application/json
check "dashboard JSON" has '"accounts":0'
req POST /acme/logout "" HTTP_COOKIE="acme_session=$SESS"
check "POST without csrf: 403" [ "$status" = 403 ]

# --- http-01 responder ---------------------------------------------------
for t in '..%2f..' 'a%00b' '../x' 'abc%20def' 'Zm9vYmFy'; do
	req GET "/.well-known/acme-challenge/$t" ""
	check "well-known $t: 404" [ "$status" = 404 ]
done

# --- with data: the http-01 answer, the dashboard, another user --------
NOW=$(date +%s)
sqlite3 "$D/acme.db" 2>>"$D/stderr.all" <<EOF
INSERT INTO accounts (id, owner, ca_url, key_type, status, created, updated)
    VALUES (1, 1, 'https://ca.test/dir', 'ec-256', 'valid', $NOW, $NOW);
INSERT INTO orders (id, owner, account_id, status, domains, key_type, error,
    created, updated) VALUES
    (1, 1, 1, 'pending', '["example.test"]', 'ec-256', NULL, $NOW, $NOW),
    (2, 1, 1, 'invalid', '["bad.test"]', 'ec-256',
    '{"type":"urn:ietf:params:acme:error:dns","detail":"DNS <b>problem</b>"}',
    $NOW, $NOW);
INSERT INTO authorizations (id, order_id, url, identifier, status, updated)
    VALUES (1, 1, 'https://ca.test/a/1', 'example.test', 'pending', $NOW);
INSERT INTO challenges (id, authz_id, url, type, status, token,
    key_authorization, updated) VALUES (1, 1, 'https://ca.test/c/1',
    'http-01', 'pending', 'tok_EN-123abc', 'tok_EN-123abc.thumb_print', $NOW);
INSERT INTO certificates (id, order_id, owner, account_id, serial,
    not_before, not_after, domains, chain_pem, created, updated) VALUES
    (1, 1, 1, 1, '0a', $NOW - 86400, $NOW + 10 * 86400 + 3600,
    '["soon.test"]', 'x', $NOW, $NOW);
INSERT INTO alerts (kind, object, cond, detail, sent_at)
    VALUES ('expiry', 'certificate:1', '14d', 'soon.test expires soon', $NOW);
INSERT INTO sweep_runs (started, finished, ok, summary)
    VALUES ($NOW - 60, $NOW - 50, 1, '3 orders checked');
EOF
check "fixtures loaded" [ $? = 0 ]
req GET /.well-known/acme-challenge/tok_EN-123abc ""
check "well-known pending token: 200" [ "$status" = 200 ]
body >"$D/ka"
check "... the key authorization exactly, no newline" \
    [ "$(cat "$D/ka"; echo .)" = "tok_EN-123abc.thumb_print." ]
req HEAD /.well-known/acme-challenge/tok_EN-123abc ""
check "... HEAD: 200 without a body" [ "$status" = 200 ] && [ -z "$(body)" ]
req GET /acme "" HTTP_COOKIE="acme_session=$SESS" HTTP_ACCEPT=application/json
check "dashboard JSON counts an expiring certificate" has '"certs_expiring":1'
check "... flags it urgent with 10 days left" has '"days_left":10,.*"urgent":true'
check "... names the failure by its detail" has '"error":"DNS <b>problem</b>"'
check "... reports the last sweep" has '"summary":"3 orders checked"'
req GET /acme "" HTTP_COOKIE="acme_session=$SESS"
check "dashboard HTML escapes the CA's words" has 'DNS &lt;b&gt;problem'
check "... shows the alert banner" has 'soon.test expires soon'
check "... one table of expiring certificates" \
    [ "$(body | grep -c '<th>Days left</th>')" = 1 ]
req GET /acme/certificates "" HTTP_COOKIE="acme_session=$SESS" \
    HTTP_ACCEPT=application/json
check "certificates JSON: one, counted, no next page" \
    has '"total":1,"next":null'
req GET "/acme/certificates?after=x.1" "" HTTP_COOKIE="acme_session=$SESS"
check "... a malformed cursor: 400" [ "$status" = 400 ]
check "... naming the field" has 'page cursor is not valid'
req GET "/acme/certificates?after=99999999999.1" "" \
    HTTP_COOKIE="acme_session=$SESS" HTTP_ACCEPT=application/json
check "... after the last one: an empty page, the same total" \
    has '"certificates":\[\],"total":1,"next":null'

printf '%s\n' "$PASSWORD" | admin user add bob --password-stdin >/dev/null
BOB=$(admin token create bob)
req GET /acme "" HTTP_AUTHORIZATION="Bearer $BOB" HTTP_ACCEPT=application/json
check "another user sees none of alice's certificates" has '"certs_valid":0'
req GET "/acme/audit?actor=alice" "" HTTP_AUTHORIZATION="Bearer $BOB" \
    HTTP_ACCEPT=application/json
check "... nor her audit entries (403)" [ "$status" = 403 ]
req GET "/acme/audit" "" HTTP_AUTHORIZATION="Bearer $BOB" \
    HTTP_ACCEPT=application/json
check "... but his own are listed" [ "$status" = 200 ]
check "... and nobody else's" not_has '"actor":"alice"'

# The new-order form: a list of the accounts, or a number when too many.
req GET /acme/orders/create "" HTTP_COOKIE="acme_session=$SESS"
check "order form: alice picks her one account from a list" \
    has '<select name="account_id"><option value="1">#1 '
sqlite3 "$D/acme.db" 2>>"$D/stderr.all" <<EOF
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 201)
INSERT INTO accounts (owner, ca_url, key_type, status, created, updated)
    SELECT (SELECT id FROM users WHERE name = 'bob'), 'https://ca.test/dir',
    'ec-256', 'valid', $NOW, $NOW FROM k;
EOF
req GET /acme/orders/create "" HTTP_AUTHORIZATION="Bearer $BOB"
check "... bob, with 201, gives the account's number instead" \
    has '<input name="account_id" type="number"'
check "... and no list of them all" not_has '<select name="account_id">'
sqlite3 "$D/acme.db" "UPDATE accounts SET status = 'deactivated' WHERE
    id = (SELECT max(id) FROM accounts)" 2>>"$D/stderr.all"
req GET /acme/orders/create "" HTTP_AUTHORIZATION="Bearer $BOB"
check "... with 200 active ones, a list again" \
    [ "$(body | grep -o '<option value="[0-9]*">#' | wc -l)" = 200 ]

# --- audit log -------------------------------------------------------------
req GET /acme/audit "" HTTP_COOKIE="acme_session=$SESS"
check "audit page: 200" [ "$status" = 200 ]
req GET "/acme/audit?action=login*" "" HTTP_COOKIE="acme_session=$SESS" \
    HTTP_ACCEPT=application/json
check "audit JSON lists the sign-in" has '"action":"login"'
req GET "/acme/audit?format=csv" "" HTTP_COOKIE="acme_session=$SESS"
check "audit CSV is an attachment" \
    [ "$(header Content-Disposition)" = 'attachment; filename="acme-audit.csv"' ]
req GET "/acme/audit?result=bogus" "" HTTP_COOKIE="acme_session=$SESS"
check "bad audit filter: 400" [ "$status" = 400 ]
req GET "/acme/audit?from=yesterday" "" HTTP_COOKIE="acme_session=$SESS" \
    HTTP_ACCEPT=application/json
check "bad date: 400 with the field" has '"field":"from"'
req GET "/acme/audit?limit=1&action=login*" "" \
    HTTP_COOKIE="acme_session=$SESS" HTTP_ACCEPT=application/json
check "audit paging gives a next cursor" has '"next":[1-9]'
req GET /acme/static/acme.css ""
if [ "$status" = 404 ]; then
	ok 0 "stylesheet # SKIP route not in main.c yet"
else
	check "stylesheet: 200" [ "$status" = 200 ]
	check "... as text/css" [ "$(header Content-Type)" = "text/css; charset=utf-8" ]
fi

# --- bearer token ------------------------------------------------------------
TOKEN=$(admin token create alice test)
req GET /acme "" HTTP_AUTHORIZATION="Bearer $TOKEN" \
    HTTP_ACCEPT=application/json
check "bearer token: 200" [ "$status" = 200 ]
req GET /acme "" HTTP_AUTHORIZATION="Bearer acme_not-a-real-token" \
    HTTP_ACCEPT=application/json
check "bad bearer token: 401" [ "$status" = 401 ]

# --- sign-out ----------------------------------------------------------------
req POST /acme/logout "csrf=$CSRF" HTTP_COOKIE="acme_session=$SESS"
check "sign-out: 303 to the sign-in page" \
    [ "$status" = 303 ] && [ "$(header Location)" = /acme/login ]
req GET /acme "" HTTP_COOKIE="acme_session=$SESS"
check "the old session is gone" [ "$status" = 303 ]

# --- audit chain -------------------------------------------------------------
admin audit verify >/dev/null
check "audit verify: intact" [ $? = 0 ]
sqlite3 "$D/acme.db" "DROP TRIGGER audit_log_no_update;
    UPDATE audit_log SET detail = 'tampered' WHERE id = 2;" 2>>"$D/stderr.all"
admin audit verify >"$D/verify"
check "audit verify after tampering: exit 1" [ $? = 1 ]
check "... naming the entry" grep -q "entry 2" "$D/verify"

if grep -q -e 'Sanitizer' -e 'runtime error' "$D/stderr.all"; then
	ok 1 "no sanitizer reports"
	grep -e 'Sanitizer' -e 'runtime error' "$D/stderr.all" | head | sed 's/^/# /'
else
	ok 0 "no sanitizer reports"
fi
echo "1..$n"
[ $failed = 0 ]
