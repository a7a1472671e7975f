#!/bin/sh
# The auto-renew billing hook (against the hostile CA stand-in, as a
# well-behaved CA): a declined renewal places no order and alerts the
# owner once; "try later" (75) is asked again at the next sweep with the
# same idempotency key, and an approval after it renews with that key;
# a hook that hangs is killed, with its process group, at
# billing_timeout, and counts as "try later".
cd "$(dirname "$0")/../.." || exit 1
. tests/sweep/lib.sh
sw_init billing
trap 'sw_cleanup' EXIT
hostile_setup "billing_timeout = 2" ||
    { echo "Bail out! hostile CA or panel did not start"; exit 1; }
now=$(date +%s)
day=86400
seg=sweep-billing~t1
acct=$(account "$HOSTILE/s/$seg/dir")
cd_=$(mkcert "$acct" decline.example $((now - 80 * day)) $((now + 10 * day)))
cl=$(mkcert "$acct" sweep.example $((now - 80 * day)) $((now + 10 * day)))
ch=$(mkcert "$acct" hang.example $((now - 80 * day)) $((now + 10 * day)))
echo decline >"$D/billing.mode.$cd_"
echo later >"$D/billing.mode.$cl"
echo hang >"$D/billing.mode.$ch"
calls() {
	grep -c "^call [^ ]* $1 " "$D/billing.calls" 2>/dev/null
}
keys() {
	awk -v c="$1" '$3 == c { print $2 }' "$D/billing.calls" | sort -u
}

t0=$(date +%s)
sweep --once
t1=$(date +%s)

# Declined.
is "$(q "SELECT state FROM billing_intents WHERE certificate_id = $cd_")" declined \
    "declined: the intent is declined"
is "$(q "SELECT count(*) FROM orders WHERE renews = $cd_")" 0 "declined: no order"
is "$(grep -c "^billing-declined certificate:$cd_ " "$D/notify.log")" 1 \
    "declined: the owner is alerted"
grep -q "^billing-declined certificate:$cd_ cycle-[0-9]* admin$" "$D/notify.log"
ok $? "declined: the alert names the owner" "$(cat "$D/notify.log")"
is "$(q "SELECT result FROM audit_log WHERE action = 'sweep.billing.declined' AND object = 'certificate:$cd_'")" \
    denied "declined: audited"

# Try later.
k1=$(keys "$cl")
is "$(q "SELECT state || ' ' || idem_key FROM billing_intents WHERE certificate_id = $cl")" \
    "error $k1" "75: stored as try later, with the key the hook saw"
is "$(q "SELECT count(*) FROM orders WHERE renews = $cl")" 0 "75: no order yet"

# Hanging.
is "$(q "SELECT state FROM billing_intents WHERE certificate_id = $ch")" error \
    "hang: counts as try later"
q "SELECT detail FROM billing_intents WHERE certificate_id = $ch" | grep -q "timed out"
ok $? "hang: recorded as timed out"
ok "$([ $((t1 - t0)) -le 15 ] && echo 0 || echo 1)" \
    "hang: the sweep did not wait for it ($((t1 - t0)) s with billing_timeout 2)"
alive=
for p in $(cat "$D/billing.hung" 2>/dev/null); do
	sw_alive "$p" && alive="$alive $p"
done
is "${alive:-none}" none "hang: the hook and its child are gone (process group killed)"

# The next sweep.
echo later >"$D/billing.mode.$ch"
sweep --once
is "$(calls "$cd_")" 1 "declined: not asked again this cycle"
is "$(grep -c "^billing-declined certificate:$cd_ " "$D/notify.log")" 1 \
    "declined: alerted once, not on every sweep"
is "$(calls "$cl")" 2 "75: asked again at the next sweep"
is "$(keys "$cl")" "$k1" "75: with the same idempotency key"
is "$(keys "$ch")" "$(q "SELECT idem_key FROM billing_intents WHERE certificate_id = $ch")" \
    "hang: asked again with the same key too"

# Approved at last: renewed with that key, charged once.
echo approve >"$D/billing.mode.$cl"
sweeps_until "SELECT count(*) = 1 FROM certificates WHERE id = $cl AND status = 'replaced'" 40
ok $? "approved after 75: renewed"
is "$(cat "$D/billing.ledger")" "charge $k1 $cl" "charged once, with the cycle's key"
is "$(q "SELECT state FROM billing_intents WHERE certificate_id = $cl")" approved \
    "the intent is approved"
is "$(q "SELECT count(*) FROM billing_intents")" 3 "one intent per certificate and cycle"
n_before=$(calls "$cl")
sweep --once
is "$(calls "$cl")" "$n_before" "no billing call once renewed"
is "$(q "SELECT count(*) FROM audit_log WHERE actor = 'acme-sweep' AND action LIKE 'sweep.billing.%'")" \
    "$(wc -l <"$D/billing.calls" | tr -d ' ')" "every billing call audited"
is "$(q 'PRAGMA integrity_check')" ok "database integrity"
sw_done
