#!/bin/sh
# The panel behind a real Apache httpd 2.4 through the shipped
# etc/apache.conf (mod_proxy_fcgi, Define'd variables) and acme.fcgi
# started by spawn-fcgi on a Unix socket; Pebble as the CA.
#
# Checks: apache2 -t accepts the snippet (with and without the proxy
# modules loaded beforehand); sign-in page, dashboard redirect, sign-in
# with the double-submit CSRF cookie and the session cookie; bearer
# tokens get through (CGIPassAuth); the query string reaches the panel;
# /acmefoo is not the panel's; the body cap; the http-01 responder (404
# for unknown and hostile tokens, 200 with the exact key authorization of
# a pending challenge created through the API against Pebble), Pebble
# validating through Apache, finalize and the chain download; then the
# REMOTE_USER example of the snippet (AuthType Basic, auth = remote_user).
#
# ACME_BUILD (default build/asan) names the build to test.
set -u
cd "$(dirname "$0")/../.." || exit 1
ACME_ROOT=$(pwd)
B=${ACME_BUILD:-build/asan}

for t in apache2 spawn-fcgi curl python3 htpasswd; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "1..0 # SKIP $t is not installed (make deps)"
		exit 0
	fi
done
if ! command -v pebble >/dev/null 2>&1; then
	echo "1..0 # SKIP pebble is not installed (make deps)"
	exit 0
fi
if [ ! -x "$B/acme.fcgi" ] || [ ! -x "$B/bin/acme-admin" ]; then
	echo "Bail out! $B/acme.fcgi or acme-admin is not built (make MODE=asan tests)"
	exit 1
fi

. tests/lib/pebble.sh
. tests/lib/apache.sh

n=0
failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/t_apache.XXXXXX") || exit 1
trap 'rc=$?; apache_stop $failed; pebble_stop $rc; rm -rf "$T"; exit $rc' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

ok() {	# status description
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		if [ -s "$T/h" ]; then
			sed 's/^/#   /' "$T/h" | head -15
		fi
		if [ -s "$T/b" ]; then
			head -c 1500 "$T/b" | sed 's/^/#   /'
			echo
		fi
	fi
}
check() {	# description, then a command
	d=$1
	shift
	if "$@"; then ok 0 "$d"; else ok 1 "$d"; fi
}

# get URL-PATH [curl option...]: response headers in $T/h, body in $T/b,
# status in $status.  Cookies in $T/jar.
get() {
	p=$1
	shift
	status=$(curl -s --noproxy '*' --max-time 60 -o "$T/b" -D "$T/h" \
	    -w '%{http_code}' -b "$T/jar" -c "$T/jar" "$@" "$URL$p") ||
	    status=curl-failed
	tr -d '\r' <"$T/h" >"$T/h2" && mv "$T/h2" "$T/h"
}
one_of() {	# value, then the allowed values
	v=$1
	shift
	for a in "$@"; do
		[ "$v" = "$a" ] && return 0
	done
	return 1
}
header() {
	sed -n "s/^$1: //Ip" "$T/h" | tail -1
}
has() {
	grep -q -- "$1" "$T/b"
}
# jget EXPR: a value from the JSON body, via python (EXPR on "j").
jget() {
	python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
v=eval(sys.argv[2])
print("" if v is None else v)' "$T/b" "$1" 2>/dev/null
}
csrf_field() {
	python3 -c 'import html,re,sys
m=re.search(r"name=\"csrf\" value=\"([^\"]+)\"", open(sys.argv[1]).read())
print(html.unescape(m.group(1)) if m else "")' "$T/b"
}

if ! pebble_start own-http01 >/dev/null; then
	echo "Bail out! Pebble did not start"
	exit 1
fi
if ! apache_start http01; then
	echo "Bail out! Apache with etc/apache.conf did not start"
	exit 1
fi
URL=$APACHE_URL

# --- Apache's own configuration test ------------------------------------
apache2 -f "$APACHE_CONF" -t >"$T/b" 2>&1
check "apache2 -t: Syntax OK with etc/apache.conf included" \
    grep -q "Syntax OK" "$T/b"
# The same with the proxy modules already loaded (a2enmod proxy_fcgi):
# the snippet's LoadModule lines must step aside.
M=$(apache_modules)
{
	echo "LoadModule proxy_module $M/mod_proxy.so"
	echo "LoadModule proxy_fcgi_module $M/mod_proxy_fcgi.so"
	cat "$APACHE_CONF"
} >"$T/preloaded.conf"
apache2 -f "$T/preloaded.conf" -t >"$T/b" 2>&1
check "apache2 -t: Syntax OK with the proxy modules loaded before" \
    grep -q "Syntax OK" "$T/b"
check "... and no 'already loaded' warning" \
    sh -c "! grep -qi 'already loaded' '$T/b'"
# Define'd defaults: an admin who sets nothing still gets a valid config.
sed '/^Define ACME_/d' "$APACHE_CONF" >"$T/defaults.conf"
apache2 -f "$T/defaults.conf" -t >"$T/b" 2>&1
check "apache2 -t: Syntax OK with the snippet's default variables" \
    grep -q "Syntax OK" "$T/b"
: >"$T/b"

# --- sign-in --------------------------------------------------------------
get /acme/login
check "sign-in page: 200" [ "$status" = 200 ]
LCSRF=$(csrf_field)
check "... with a csrf field" [ -n "$LCSRF" ]
check "... and the login CSRF cookie" \
    grep -qi '^Set-Cookie: acme_login_csrf=.*HttpOnly; SameSite=Strict' "$T/h"

get /acme
check "dashboard without a session: 303" [ "$status" = 303 ]
check "... to the sign-in page" [ "$(header Location)" = /acme/login ]

get /acme/login -X POST --data-urlencode "user=admin" \
    --data-urlencode "password=wrong-password" \
    --data-urlencode "csrf=$LCSRF"
check "wrong password: 401" [ "$status" = 401 ]

get /acme/login -X POST --data-urlencode "user=admin" \
    --data-urlencode "password=$APACHE_ADMIN_PASSWORD" \
    --data-urlencode "csrf=$LCSRF"
check "sign-in POST: 303 to the dashboard" \
    [ "$status" = 303 ] && [ "$(header Location)" = /acme ]
check "... session cookie HttpOnly and SameSite=Strict" \
    grep -qi '^Set-Cookie: acme_session=[^;][^;]*;.*HttpOnly; SameSite=Strict' "$T/h"

get /acme
check "dashboard with the session: 200" [ "$status" = 200 ]
check "... names the user" has ">admin"
check "... has the sign-out form" has 'action="[^"]*logout"'

# --- API token through Apache (CGIPassAuth On) ---------------------------
rm -f "$T/jar"
get /acme -H "Accept: application/json" \
    -H "Authorization: Bearer $APACHE_ADMIN_TOKEN"
check "bearer token reaches acme.fcgi: 200 JSON" \
    [ "$status" = 200 ] && has '"accounts"'
get /acme -H "Accept: application/json" -H "Authorization: Bearer acme_bogus"
check "bad bearer token: 401" [ "$status" = 401 ]

# --- routing ------------------------------------------------------------------
get "/acme/login?next=%2Facme%2Forders"
check "the query string reaches the panel" \
    grep -q 'name="next" value="[^"]*orders' "$T/b"
get /acmefoo
check "/acmefoo is not the panel's (404 or 403 from Apache)" \
    one_of "$status" 404 403
check "... no panel headers on it" \
    sh -c "! grep -qi '^Content-Security-Policy' '$T/h'"
head -c 300000 /dev/zero | tr '\0' 'a' >"$T/big"
get /acme/login -X POST -H "Content-Type: application/x-www-form-urlencoded" \
    --data-binary "@$T/big"
check "a body over 256 KiB: 413" [ "$status" = 413 ]

# --- http-01 responder ------------------------------------------------------------
get /.well-known/acme-challenge/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA
check "http-01: unknown token 404" [ "$status" = 404 ]
# Apache normalises "%2e%2e" itself and refuses what is left (403);
# either way nothing of the panel's is served.
for t in '..%2f..%2facme' 'a%00b' '%2e%2e' '..%2f' 'a/b'; do
	get "/.well-known/acme-challenge/$t"
	check "http-01: token '$t' 404 (or 403 from Apache)" \
	    one_of "$status" 404 403
done

API="-H Accept:application/json -H Content-Type:application/json"
# shellcheck disable=SC2086
get /acme/accounts -X POST $API \
    -H "Authorization: Bearer $APACHE_ADMIN_TOKEN" \
    --data '{"acme_server":"local-test-ca","email":"apache@example.com","key_type":"ec-256","tos_agreed":true}'
check "API: account registered with Pebble through Apache (201)" \
    [ "$status" = 201 ]
AID=$(jget 'j["id"]')
# shellcheck disable=SC2086
get /acme/orders -X POST $API \
    -H "Authorization: Bearer $APACHE_ADMIN_TOKEN" \
    --data "{\"account_id\":${AID:-0},\"domains\":\"apache.example.test\",\"key_type\":\"ec-256\",\"challenge_type\":\"http-01\",\"auto\":false}"
check "API: pending order (201)" \
    [ "$status" = 201 ] && [ "$(jget 'j["status"]')" = pending ]
cp "$T/b" "$T/order.json"
TOKEN=$(jget '[c for a in j["authorizations"] for c in a["challenges"] if c["type"]=="http-01"][0]["token"]')
KA=$(jget '[c for a in j["authorizations"] for c in a["challenges"] if c["type"]=="http-01"][0]["http01"]["content"]')
check "... with an http-01 token and key authorization" \
    [ -n "$TOKEN" ] && [ -n "$KA" ]
get "/.well-known/acme-challenge/$TOKEN" -H "Host: apache.example.test"
check "http-01: the pending token answers 200" [ "$status" = 200 ]
check "... with exactly the key authorization" \
    [ "$(cat "$T/b"; echo .)" = "$KA." ]
get "/.well-known/acme-challenge/$TOKEN" -I
check "... HEAD: 200" [ "$status" = 200 ]
# The CA's validator is never signed in; the answer must not need it.
check "... without any cookie or token" \
    sh -c "! grep -qi '^Set-Cookie' '$T/h'"

# --- Pebble validates through Apache; finalize; download ------------------------
OID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' \
    "$T/order.json" 2>/dev/null)
CID=$(python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
print([c for a in j["authorizations"] for c in a["challenges"] if c["type"]=="http-01"][0]["id"])' \
    "$T/order.json" 2>/dev/null)
# shellcheck disable=SC2086
get "/acme/challenges/${CID:-0}/respond" -X POST $API \
    -H "Authorization: Bearer $APACHE_ADMIN_TOKEN" --data '{}'
check "API: respond (self-check through Apache, then the CA)" \
    [ "$status" = 200 ]
i=0
st=
while [ "$i" -lt 60 ]; do
	get "/acme/orders/${OID:-0}" -H "Accept: application/json" \
	    -H "Authorization: Bearer $APACHE_ADMIN_TOKEN"
	st=$(jget 'j["status"]')
	case $st in
	ready|valid|invalid) break ;;
	esac
	sleep 0.5
	i=$((i + 1))
done
check "Pebble validated the name through Apache (order ready, was $st)" \
    [ "$st" = ready ]
# shellcheck disable=SC2086
get "/acme/orders/${OID:-0}/finalize" -X POST $API \
    -H "Authorization: Bearer $APACHE_ADMIN_TOKEN" --data '{}'
check "API: finalize: 200 with a certificate" \
    [ "$status" = 200 ] && [ -n "$(jget 'j["certificate_id"]')" ]
get "/acme/orders/${OID:-0}/certificate" \
    -H "Authorization: Bearer $APACHE_ADMIN_TOKEN"
check "the chain downloads through Apache as application/pem-certificate-chain" \
    [ "$status" = 200 ] &&
    header Content-Type | grep -q '^application/pem-certificate-chain'
check "... and names apache.example.test" \
    sh -c "openssl x509 -in '$T/b' -noout -ext subjectAltName 2>/dev/null |
    grep -q 'DNS:apache.example.test'"

if grep -q -e 'Sanitizer' -e 'runtime error' "$APACHE_WORK/fcgi.log"; then
	ok 1 "no sanitizer reports from acme.fcgi"
	grep -e 'Sanitizer' -e 'runtime error' "$APACHE_WORK/fcgi.log" |
	    head | sed 's/^/# /'
else
	ok 0 "no sanitizer reports from acme.fcgi"
fi

# --- the REMOTE_USER example (auth = remote_user) -----------------------------
apache_stop $failed
if ! apache_start auth=remote_user; then
	ok 1 "Apache with AuthType Basic and auth = remote_user starts"
else
	ok 0 "Apache with AuthType Basic and auth = remote_user starts"
	URL=$APACHE_URL
	rm -f "$T/jar"
	get /acme
	check "remote_user: no credentials: 401 from Apache" [ "$status" = 401 ]
	check "... asking for Basic" \
	    grep -qi '^WWW-Authenticate: Basic' "$T/h"
	get /acme -u "$APACHE_BASIC_USER:$APACHE_BASIC_PASSWORD"
	check "remote_user: signed in by Apache: dashboard 200" \
	    [ "$status" = 200 ]
	check "... as the Apache user ($APACHE_BASIC_USER)" \
	    has ">$APACHE_BASIC_USER"
	get /acme/login -u "$APACHE_BASIC_USER:$APACHE_BASIC_PASSWORD"
	check "... the built-in sign-in page steps aside (303)" \
	    [ "$status" = 303 ]
	get /.well-known/acme-challenge/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA
	check "remote_user: http-01 path stays open (404, not 401)" \
	    [ "$status" = 404 ]
fi

echo "1..$n"
[ "$failed" = 0 ]
