#!/bin/sh
# Issuance with real http-01 and dns-01 validation through
# pebble-challtestsrv (tests/integ/t_issue.c): 2-name EC and RSA
# certificates, wildcard, IP address, reused authorizations, alternate
# chains, failures.  30% of nonces rejected, validation sleeps of up to a
# second, valid authorizations always reused, two alternate roots.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/pebble.sh
pebble_tap t_issue PEBBLE_WFE_NONCEREJECT=30 PEBBLE_VA_SLEEPTIME=2 \
    PEBBLE_AUTHZREUSE=100 PEBBLE_ALTERNATE_ROOTS=2
