#!/bin/sh
# Installs the Debian packages the build, the demo and the tests need,
# only those missing.  "deps.sh bench" adds the benchmark peers.
# Runs apt-get update once before installing; needs root (or sudo).
set -eu

pkgs="gcc make pkg-config clang libclang-rt-14-dev
libcurl4-openssl-dev libssl-dev libjansson-dev libsqlite3-dev
libfcgi-dev libscrypt-dev sqlite3 openssl curl ca-certificates perl
python3 python3-selenium pebble lighttpd apache2 chromium chromium-driver
spawn-fcgi"
[ "${1:-}" = bench ] && pkgs="$pkgs wrk uacme lego certbot libfcgi-bin time"

missing=
for p in $pkgs; do
	s=$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$s" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# Packages such as apache2 try to start their service on install; this
# is a build machine, keep them stopped.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
	$sudo chmod 0755 /usr/sbin/policy-rc.d
	trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
