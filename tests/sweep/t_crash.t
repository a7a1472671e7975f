#!/bin/sh
# Crash safety against Pebble (validation instant and always valid, to
# keep it fast): sweeps over a set of due certificates are killed with
# SIGKILL at random moments, at least 200 of them, four at a time, while
# the certificates fall due in four batches (so that the kills land in
# renewals all along); then sweeps run undisturbed.  Every certificate ends renewed exactly once,
# no idempotency key is charged twice and each certificate is charged
# under one key only, the database and the audit chain are intact, no
# hook is left running and no stray file is left behind.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/pebble.sh
. tests/lib/web.sh
. tests/sweep/lib.sh
sw_init crash
if ! command -v pebble >/dev/null 2>&1 || ! command -v lighttpd >/dev/null 2>&1; then
	echo "1..0 # SKIP pebble or lighttpd is not installed"
	exit 0
fi
trap 'rc=$?; sw_cleanup; panel_stop; pebble_stop $rc' EXIT
pebble_start own-http01 PEBBLE_VA_NOSLEEP=1 PEBBLE_VA_ALWAYS_VALID=1 ||
    { echo "Bail out! pebble did not start"; exit 1; }
panel_start dir="$D/panel" || { echo "Bail out! panel did not start"; exit 1; }
CONF=$PANEL_CONF
DB=$PANEL_DB
# Short leases so that a killed sweep's work is free again soon.
sw_conf "$CONF" "billing_hook = $HOOKS/billing" "deploy_hook = $HOOKS/deploy" \
    "lease_seconds = 10" "hook_timeout = 5" "billing_timeout = 5" \
    "ca_timeout = 5"
KILLS=${SWEEP_KILLS:-200}
AT_ONCE=4

issue_due 12 crash || { echo "Bail out! could not issue the certificates"; exit 1; }
ok 0 "12 certificates issued"
not_due $CERTS
batch() {	# the Nth batch of three certificates falls due
	make_due $(echo $CERTS | cut -d ' ' -f $(($1 * 3 - 2))-$(($1 * 3)))
}
batch 1
due=1
ls -A "$PANEL_WORK" | sort >"$D/files.before"

# A random delay of 0 to 0.2 s, from /dev/urandom: a sweep with work
# to do takes longer than that, an idle one (most) about 0.05 s.
rnd() {
	printf '0.%02d\n' "$(($(od -An -N1 -tu1 /dev/urandom) % 21))"
}

started=0
killed=0
while [ "$started" -lt "$KILLS" ]; do
	pids=
	i=0
	while [ "$i" -lt "$AT_ONCE" ]; do
		# Not through the sweep function: $! must be acme-sweep itself
		# (env execs it), not a subshell around it.
		env ACME_HOOK_TEST_DIR="$D" "$SWEEP" -c "$SCONF" --once -j 2 \
		    2>>"$D/sweep.log" &
		pids="$pids $!"
		i=$((i + 1))
	done
	started=$((started + AT_ONCE))
	b=$((started * 4 / KILLS + 1))
	if [ "$b" -gt "$due" ] && [ "$b" -le 4 ]; then
		batch "$b"
		due=$b
	fi
	killers=
	for p in $pids; do
		( sleep "$(rnd)"; kill -KILL "$p" 2>/dev/null ) &
		killers="$killers $!"
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
		[ $? = 137 ] && killed=$((killed + 1))
	done
	# Only these: a bare "wait" would wait for Pebble and lighttpd too.
	for p in $killers; do
		wait "$p"
	done
done
ok "$([ "$killed" -ge $((KILLS / 4)) ] && echo 0 || echo 1)" \
    "$started sweeps started, $killed of them killed with SIGKILL before they ended"
echo "# renewals done while killing: $(q "SELECT count(*) FROM certificates WHERE status = 'replaced'") of 12"
echo "# runs killed after they had begun (recorded in sweep_runs): $(q "SELECT count(*) FROM sweep_runs WHERE finished IS NULL")"

# Undisturbed sweeps finish the work once the dead sweeps' leases expire.
sweeps_until "SELECT count(*) = 12 FROM certificates WHERE id IN ($(echo $CERTS | tr ' ' ','))
    AND status = 'replaced' AND (SELECT count(*) FROM orders WHERE status IN
    ('new', 'pending', 'ready', 'processing')) = 0 AND (SELECT count(*) FROM
    certificates c WHERE status = 'valid' AND NOT EXISTS (SELECT 1 FROM
    order_events e WHERE e.order_id = c.order_id AND e.what = 'deployed')) = 0" 90
ok $? "undisturbed sweeps finish every renewal"
sweep --once
sweep --once

report=$(renewal_report)
bad=$(printf '%s\n' "$report" | grep -v ':1:1:1:1$')
is "${bad:-none}" none "every certificate: one renewal order, valid, one new certificate, charged under one key"
echo "# cert:renewal orders:valid:certificates:keys charged"
printf '%s\n' "$report" | sed 's/^/#   /'
echo "# billing hook calls: $(wc -l <"$D/billing.calls" | tr -d ' ') for 12 charges (the rest: replays after a kill)"
dups=$(awk '$1 == "charge" { print $2 }' "$D/billing.ledger" | sort | uniq -d)
is "${dups:-none}" none "no idempotency key charged twice"
is "$(q "SELECT count(*) FROM billing_intents")" 12 "one billing intent per certificate"
is "$(q "SELECT count(*) FROM billing_intents WHERE state = 'approved'")" 12 \
    "every intent approved"
is "$(q "SELECT count(*) FROM orders WHERE status IN ('new', 'pending', 'ready', 'processing')")" 0 \
    "no order left unfinished"
is "$(q "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM certificates GROUP BY order_id)")" 1 \
    "no order has two certificates"
is "$(q "SELECT count(*) FROM certificates c WHERE status = 'valid' AND NOT EXISTS
    (SELECT 1 FROM order_events e WHERE e.order_id = c.order_id AND e.what = 'deployed')")" 0 \
    "every new certificate deployed"
is "$(q 'PRAGMA integrity_check')" ok "PRAGMA integrity_check: ok"
is "$(q 'PRAGMA foreign_key_check' | wc -l | tr -d ' ')" 0 "no dangling reference"
$ADMIN audit verify >/dev/null 2>&1
ok $? "the audit log's hash chain is intact"
ls -A "$PANEL_WORK" | sort >"$D/files.after"
new=$(comm -13 "$D/files.before" "$D/files.after" | grep -v -e '^acme\.db-wal$' -e '^acme\.db-shm$')
is "${new:-none}" none "no stray file in the panel's directory"
stray=$(find "$PANEL_WORK" "$D" -name '*.tmp' -o -name 'core*' -o -name '*.core' | head)
is "${stray:-none}" none "no temporary or core file anywhere"
left=
for p in $(pgrep -f "$HOOKS/" 2>/dev/null); do
	sw_alive "$p" && left="$left $p"
done
is "${left:-none}" none "no hook left running"
sw_done
