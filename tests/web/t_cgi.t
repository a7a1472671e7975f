#!/bin/sh
# acme.fcgi as plain CGI behind a real lighttpd (mod_cgi): one process
# per request, nothing kept between them but SQLite.  alias.url maps
# /acme and /.well-known/acme-challenge/ onto a two-line wrapper that sets
# ACME_PANEL_CONF and execs acme.fcgi; lighttpd turns the rest of the path
# into PATH_INFO, the panel routes on REQUEST_URI.
#
# Checks: sign-in page 200 with its CSRF cookie, dashboard redirect,
# sign-in, dashboard 200 with the session, POST without CSRF 403, sign-in
# state survives across processes, JSON with a bearer token, http-01 404,
# the body cap (413), no sanitizer reports in lighttpd's error log.
#
# ACME_BUILD (default build/asan) names the build to test.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
B=${ACME_BUILD:-build/asan}
case $B in
/*) ;;
*) B=$ROOT/$B ;;
esac

for t in lighttpd curl python3; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "1..0 # SKIP $t is not installed (make deps)"
		exit 0
	fi
done
if [ ! -x "$B/acme.fcgi" ] || [ ! -x "$B/bin/acme-admin" ]; then
	echo "Bail out! $B/acme.fcgi or acme-admin is not built (make MODE=asan tests)"
	exit 1
fi

mkdir -p tests/out || exit 1
D=$(mktemp -d "$ROOT/tests/out/t_cgi.XXXXXX") || exit 1
T=$D/t
mkdir -p "$T" "$D/www" "$D/cgi-bin" "$D/run" || exit 1
pid=
n=0
failed=0
cleanup() {
	rc=$?
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	if [ "$rc" = 0 ] && [ "$failed" = 0 ] && [ "${ACME_TEST_KEEP:-0}" != 1 ]
	then
		rm -rf "$D"
	else
		echo "# kept $D" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
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
		[ -s "$T/h" ] && sed 's/^/#   /' "$T/h" | head -15
		if [ -s "$T/b" ]; then
			head -c 1500 "$T/b" | sed 's/^/#   /'
			echo
		fi
	fi
}
check() {
	d=$1
	shift
	if "$@"; then ok 0 "$d"; else ok 1 "$d"; fi
}
get() {
	p=$1
	shift
	status=$(curl -s --noproxy '*' --max-time 60 -o "$T/b" -D "$T/h" \
	    -w '%{http_code}' -b "$T/jar" -c "$T/jar" "$@" "$URL$p") ||
	    status=curl-failed
	tr -d '\r' <"$T/h" >"$T/h2" && mv "$T/h2" "$T/h"
}
header() {
	sed -n "s/^$1: //Ip" "$T/h" | tail -1
}
has() {
	grep -q -- "$1" "$T/b"
}
csrf_field() {
	python3 -c 'import html,re,sys
m=re.search(r"name=\"csrf\" value=\"([^\"]+)\"", open(sys.argv[1]).read())
print(html.unescape(m.group(1)) if m else "")' "$T/b"
}

CONF=$D/acme-panel.conf
cat >"$CONF" <<EOF
# written by tests/web/t_cgi.t
database = $D/acme.db
kek_file = $D/kek
templates = $ROOT/templates
scrypt_lock = $D/scrypt.lock
EOF
ADMIN="$B/bin/acme-admin -c $CONF"
PASSWORD=cgi-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PASSWORD" | $ADMIN user add admin --admin --password-stdin \
    >/dev/null 2>"$T/err" || {
	echo "Bail out! acme-admin user add failed: $(cat "$T/err")"
	exit 1
}
TOKEN=$($ADMIN token create admin cgi-test 2>"$T/err") || {
	echo "Bail out! acme-admin token create failed: $(cat "$T/err")"
	exit 1
}

# The CGI wrapper: the environment lighttpd gives a CGI is the request's,
# so the configuration path comes from here.
cat >"$D/cgi-bin/acme.cgi" <<EOF
#!/bin/sh
ACME_PANEL_CONF='$CONF'
ASAN_OPTIONS='${ASAN_OPTIONS:-detect_leaks=1}'
export ACME_PANEL_CONF ASAN_OPTIONS
exec '$B/acme.fcgi'
EOF
chmod 0755 "$D/cgi-bin/acme.cgi"

PORT=$(tests/lib/freeport 1) || exit 1
URL=http://127.0.0.1:$PORT
cat >"$D/lighttpd.conf" <<EOF
# written by tests/web/t_cgi.t
server.document-root = "$D/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.errorlog = "$D/lighttpd.error.log"
server.pid-file = "$D/run/lighttpd.pid"
server.modules += ( "mod_alias", "mod_cgi" )
alias.url = (
	"/.well-known/acme-challenge/" => "$D/cgi-bin/acme.cgi/",
	"/acme" => "$D/cgi-bin/acme.cgi",
)
# Run *.cgi files themselves (they are executable).  By extension, not
# under a \$HTTP["url"] condition: lighttpd cuts PATH_INFO off the URL
# path before mod_cgi looks, so "^/.well-known/acme-challenge/" would no
# longer match and the wrapper would be served as a static file.
cgi.assign = ( ".cgi" => "" )
EOF
if ! lighttpd -tt -f "$D/lighttpd.conf" >"$T/b" 2>&1; then
	echo "Bail out! lighttpd rejects the mod_cgi config: $(cat "$T/b")"
	exit 1
fi
lighttpd -D -f "$D/lighttpd.conf" >"$D/lighttpd.out" 2>&1 &
pid=$!
i=0
while ! curl -s -o /dev/null --noproxy '*' --max-time 2 "$URL/"; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "Bail out! lighttpd did not come up"
		cat "$D/lighttpd.out" "$D/lighttpd.error.log" 2>/dev/null |
		    sed 's/^/# /'
		exit 1
	fi
	sleep 0.1
done

# --- sign-in page, no session ------------------------------------------------
get /acme/login
check "CGI: sign-in page 200" [ "$status" = 200 ]
check "... is the sign-in form" has '<h1>Sign in</h1>'
LCSRF=$(csrf_field)
check "... with a csrf field" [ -n "$LCSRF" ]
check "... and its CSRF cookie (HttpOnly, SameSite=Strict)" \
    grep -qi '^Set-Cookie: acme_login_csrf=.*HttpOnly; SameSite=Strict' "$T/h"
get /acme
check "CGI: dashboard without a session: 303 to /acme/login" \
    [ "$status" = 303 ] && [ "$(header Location)" = /acme/login ]

# --- sign in -------------------------------------------------------------------
get /acme/login --data-urlencode user=admin \
    --data-urlencode password=not-the-password --data-urlencode "csrf=$LCSRF"
check "CGI: wrong password: 401 with the form" \
    [ "$status" = 401 ] && has 'Wrong user name or password'
get /acme/login --data-urlencode user=admin \
    --data-urlencode "password=$PASSWORD" --data-urlencode "csrf=$LCSRF"
check "CGI: sign-in: 303 to the dashboard" \
    [ "$status" = 303 ] && [ "$(header Location)" = /acme ]
check "... session cookie HttpOnly, SameSite=Strict" \
    grep -qi '^Set-Cookie: acme_session=[^;][^;]*;.*HttpOnly; SameSite=Strict' "$T/h"

get /acme
check "CGI: dashboard after sign-in: 200" [ "$status" = 200 ]
check "... names the user" has '>admin'
CSRF=$(csrf_field)
get /acme/accounts
check "CGI: the session holds in another process (accounts page 200)" \
    [ "$status" = 200 ]
get /acme/orders/create
check "CGI: order form 200" [ "$status" = 200 ]

# --- front-line checks ----------------------------------------------------------
get /acme/logout --data ""
check "CGI: POST without a CSRF token: 403" [ "$status" = 403 ]
get /acme/logout --data-urlencode "csrf=wrong-token"
check "CGI: POST with a wrong CSRF token: 403" [ "$status" = 403 ]
head -c 300000 /dev/zero | tr '\0' 'a' >"$T/big"
get /acme/logout -H "Content-Type: application/x-www-form-urlencoded" \
    --data-binary "@$T/big"
check "CGI: body over the cap: 413" [ "$status" = 413 ]
cp "$T/jar" "$T/jar.keep"
rm -f "$T/jar"
get /acme -H "Accept: application/json" -H "Authorization: Bearer $TOKEN"
check "CGI: bearer token (HTTP_AUTHORIZATION reaches the CGI): 200 JSON" \
    [ "$status" = 200 ] && has '"accounts"'
get /.well-known/acme-challenge/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA
check "CGI: http-01 unknown token: 404" [ "$status" = 404 ]
check "... never the wrapper's source" sh -c "! grep -q ACME_PANEL_CONF '$T/b'"
get /acmefoo
check "CGI: /acmefoo is not the panel: 404" [ "$status" = 404 ]
mv "$T/jar.keep" "$T/jar"
get /acme/logout --data-urlencode "csrf=$CSRF"
check "CGI: sign-out: 303 to the sign-in page" \
    [ "$status" = 303 ] && [ "$(header Location)" = /acme/login ]
get /acme
check "CGI: signed out: dashboard redirects again" [ "$status" = 303 ]

if grep -q -e 'Sanitizer' -e 'runtime error' "$D/lighttpd.error.log" \
    "$D/lighttpd.out" 2>/dev/null; then
	ok 1 "no sanitizer reports from the CGI runs"
	grep -h -e 'Sanitizer' -e 'runtime error' "$D/lighttpd.error.log" \
	    "$D/lighttpd.out" | head | sed 's/^/# /'
else
	ok 0 "no sanitizer reports from the CGI runs"
fi

echo "1..$n"
[ "$failed" = 0 ]
