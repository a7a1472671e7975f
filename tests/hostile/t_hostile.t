#!/bin/sh
# The hostile CA suite: generates a throw-away CA and server certificate,
# starts tests/hostile/server.py on a free port of 127.0.0.1, and runs the
# TAP program t_hostile against it from an empty scratch directory (which
# must still be empty afterwards: libacme writes no files).
#
#   ACME_BUILD	build directory (default build/asan)
#   PYTHON	python3 to run the server with (default python3)
set -u

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
build=${ACME_BUILD:-build/asan}
case $build in
/*) ;;
*) build=$top/$build ;;
esac
bin=$build/tests/hostile/t_hostile
python=${PYTHON:-python3}

if [ ! -x "$bin" ]; then
	echo "1..0 # SKIP $bin is not built"
	exit 0
fi
for tool in "$python" openssl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not found"
		exit 0
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/acme-hostile.XXXXXX") || exit 1
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	echo "Bail out! $*"
	[ -f "$tmp/log" ] && sed 's/^/# /' "$tmp/log"
	exit 1
}

# A CA and a server certificate for 127.0.0.1; the server also hands out
# server + CA as "the issued chain".
cat >"$tmp/ext.cnf" <<'CNF'
[srv]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
(
	set -e
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 2 \
	    -subj "/CN=libacme hostile test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$tmp/srv.key" -out "$tmp/srv.csr" \
	    -subj "/CN=127.0.0.1"
	openssl x509 -req -in "$tmp/srv.csr" -CA "$tmp/ca.pem" \
	    -CAkey "$tmp/ca.key" -CAserial "$tmp/ca.srl" -CAcreateserial \
	    -days 2 -extfile "$tmp/ext.cnf" -extensions srv \
	    -out "$tmp/srv.pem"
) >"$tmp/log" 2>&1 || fail "openssl could not make the test certificates"
cat "$tmp/srv.pem" "$tmp/ca.pem" >"$tmp/chain.pem" || exit 1

"$python" "$top/tests/hostile/server.py" --cert "$tmp/srv.pem" \
    --key "$tmp/srv.key" --chain "$tmp/chain.pem" \
    --port-file "$tmp/port" >>"$tmp/log" 2>&1 &
pid=$!

i=0
while [ ! -s "$tmp/port" ]; do
	kill -0 "$pid" 2>/dev/null || { pid=; fail "server.py exited"; }
	i=$((i + 1))
	[ "$i" -gt 100 ] && fail "server.py did not start in 10 s"
	sleep 0.1
done
port=$(cat "$tmp/port")

mkdir "$tmp/scratch" || exit 1
cd "$tmp/scratch" || exit 1
HOSTILE_BASE=https://127.0.0.1:$port HOSTILE_CA=$tmp/ca.pem \
    HOSTILE_CHAIN=$tmp/chain.pem HOSTILE_SCRATCH=$tmp/scratch "$bin"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "# server log (client bugs it saw are marked 'client bug'):"
	tail -n 50 "$tmp/log" | sed 's/^/# /'
fi
exit "$rc"
