#!/bin/sh
# Overlapping sweeps against Pebble: five sweeps (each with two threads)
# start together, fifty rounds, over due certificates and fresh pending
# orders.  No order is created or finalized twice, no idempotency key is
# charged twice, every certificate is renewed exactly once, every order
# is carried through.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/pebble.sh
. tests/lib/web.sh
. tests/sweep/lib.sh
sw_init overlap
if ! command -v pebble >/dev/null 2>&1 || ! command -v lighttpd >/dev/null 2>&1; then
	echo "1..0 # SKIP pebble or lighttpd is not installed"
	exit 0
fi
trap 'rc=$?; sw_cleanup; panel_stop; pebble_stop $rc' EXIT
pebble_start own-http01 || { echo "Bail out! pebble did not start"; exit 1; }
panel_start dir="$D/panel" || { echo "Bail out! panel did not start"; exit 1; }
CONF=$PANEL_CONF
DB=$PANEL_DB
sw_conf "$CONF" "billing_hook = $HOOKS/billing" "deploy_hook = $HOOKS/deploy" \
    "notify_hook = $HOOKS/notify" "lease_seconds = 90"
SWEEPS=5
ROUNDS=${SWEEP_ROUNDS:-50}

issue_due 6 due || { echo "Bail out! could not issue the certificates"; exit 1; }
ok 0 "6 certificates issued and made due"
fresh=
for i in 1 2 3 4; do
	fresh="$fresh $(order "$ACCT" "fresh$i.sweep.test" http-01)"
done
is "$(q "SELECT count(*) FROM orders WHERE status = 'pending'")" 4 "4 fresh pending orders"
runs0=$(q "SELECT count(*) FROM sweep_runs")

r=0
while [ "$r" -lt "$ROUNDS" ]; do
	pids=
	i=0
	while [ "$i" -lt "$SWEEPS" ]; do
		sweep --once -j 2 &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do
		wait "$p"
	done
	r=$((r + 1))
done
is "$(q "SELECT count(*) - $runs0 FROM sweep_runs WHERE finished IS NOT NULL AND ok = 1")" \
    $((SWEEPS * ROUNDS)) "$((SWEEPS * ROUNDS)) sweeps ran and finished ok"

report=$(renewal_report)
bad=$(printf '%s\n' "$report" | grep -v ':1:1:1:1$')
is "${bad:-none}" none "every certificate: one renewal order, valid, one new certificate, one key charged"
is "$(q "SELECT count(*) FROM certificates WHERE id IN ($(echo $CERTS | tr ' ' ','))
    AND status = 'replaced'")" 6 "every due certificate is replaced"
is "$(q "SELECT group_concat(status) FROM orders WHERE id IN ($(echo $fresh | tr ' ' ','))")" \
    "valid,valid,valid,valid" "every fresh order is valid"
is "$(q "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM certificates GROUP BY order_id)")" 1 \
    "no order has two certificates"
is "$(q "SELECT count(*) FROM (SELECT object FROM audit_log WHERE action = 'order.finalize' AND result = 'ok' GROUP BY object HAVING count(*) > 1)")" 0 \
    "no order finalized twice (audit log)"
is "$(q "SELECT count(*) FROM audit_log WHERE action = 'order.create' AND result = 'ok'")" \
    "$(q "SELECT count(*) FROM orders")" "one order.create per stored order: none created twice"
is "$(q "SELECT count(*) FROM orders WHERE status = 'canceled'")" 0 \
    "no duplicate renewal order had to be canceled"
dups=$(awk '$1 == "charge" { print $2 }' "$D/billing.ledger" | sort | uniq -d)
is "${dups:-none}" none "no idempotency key charged twice"
is "$(wc -l <"$D/billing.calls" | tr -d ' ')" 6 "the billing hook was asked once per certificate"
is "$(sort -u "$D/deploy.log" | wc -l | tr -d ' ')" "$(wc -l <"$D/deploy.log" | tr -d ' ')" \
    "no certificate deployed twice"
is "$(wc -l <"$D/deploy.log" | tr -d ' ')" 10 "10 new certificates deployed"
is "$(q "SELECT count(*) FROM orders WHERE lease_owner IS NOT NULL")" 0 "no lease left behind"
is "$(q 'PRAGMA integrity_check')" ok "database integrity"
$ADMIN audit verify >/dev/null 2>&1
ok $? "the audit log's hash chain is intact"
sw_done
