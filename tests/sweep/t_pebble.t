#!/bin/sh
# acme-sweep against real Pebble, with its validation sleep and nonce
# rejection on, and the panel's own http-01 responder served by lighttpd
# on the validator's port (tests/lib/web.sh):
#   - a pending http-01 order is carried to a stored, deployed
#     certificate by sweeps alone;
#   - a dns-01 order (a name and its wildcard) through the demo DNS hook,
#     etc/hooks/dns-challtestsrv, which feeds pebble-challtestsrv;
#   - a certificate made due by raising renew_days_before is renewed: the
#     billing hook is called once, the deploy hook runs, the old
#     certificate is marked replaced, and a second sweep does nothing more;
#   - --dry-run changes nothing; --check says OK, WARNING, CRITICAL;
#   - renew_keep_key keeps the key; without a billing hook a renewal is
#     approved free and audited all the same.
# Debian's Pebble 2.4 issues five-year certificates and has no
# renewalInfo (no ARI): the test moves the stored certificate's dates to
# a 90-day certificate 40 days from expiry, so that renew_days_before can
# make it due.  ARI is tested against the hostile CA stand-in (t_ca.t).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/pebble.sh
. tests/lib/web.sh
. tests/sweep/lib.sh
sw_init pebble
if ! command -v pebble >/dev/null 2>&1 || ! command -v lighttpd >/dev/null 2>&1; then
	echo "1..0 # SKIP pebble or lighttpd is not installed"
	exit 0
fi
trap 'rc=$?; sw_cleanup; panel_stop; pebble_stop $rc' EXIT
pebble_start own-http01 PEBBLE_VA_SLEEPTIME=3 PEBBLE_WFE_NONCEREJECT=20 ||
    { echo "Bail out! pebble did not start"; exit 1; }
panel_start dir="$D/panel" || { echo "Bail out! panel did not start"; exit 1; }
CONF=$PANEL_CONF
DB=$PANEL_DB
HOOKCONF="billing_hook = $HOOKS/billing
deploy_hook = $HOOKS/deploy
notify_hook = $HOOKS/notify
dns_hook = $ACME_ROOT/etc/hooks/dns-challtestsrv
lease_seconds = 120"
sw_conf "$CONF" "$HOOKCONF"
SWEEP_ENV="ACME_HOOK_CHALLTESTSRV=$ACME_TEST_CHALL"
day=86400

acct=$(account local-test-ca)
ok "$([ -n "$acct" ] && echo 0 || echo 1)" "account registered with Pebble" \
    "$(cat "$D/api.out")"
o1=$(order "$acct" web.sweep.test http-01)
o2=$(order "$acct" "dns.sweep.test *.dns.sweep.test" dns-01)
is "$(q "SELECT group_concat(status) FROM orders WHERE id IN (${o1:-0}, ${o2:-0})")" \
    "pending,pending" "two auto orders are pending (http-01, dns-01)"

# --dry-run: says what, does nothing.
sweep --dry-run >"$D/dry.out"
grep -q "order $o1 (web.sweep.test, pending" "$D/dry.out"
ok $? "--dry-run names the pending order" "$(cat "$D/dry.out")"
is "$(q "SELECT count(*) FROM audit_log WHERE actor = 'acme-sweep'")$(q "SELECT group_concat(status) FROM orders")" \
    "0pending,pending" "--dry-run changed nothing"

sweeps_until "SELECT count(*) = 2 FROM certificates" 90
ok $? "sweeps alone carry both orders to stored certificates"
is "$(q "SELECT status FROM orders WHERE id = $o1")" valid "http-01 order valid"
is "$(q "SELECT status FROM orders WHERE id = $o2")" valid "dns-01 order valid"
is "$(q "SELECT count(*) FROM audit_log WHERE actor = 'acme-sweep' AND action = 'challenge.respond' AND result = 'ok'")" 3 \
    "three challenges answered by the sweep after a passing self-check"
is "$(q "SELECT count(*) FROM audit_log WHERE action = 'sweep.dns.present' AND result = 'ok'")" 2 \
    "the DNS hook published both TXT records"
is "$(q "SELECT count(*) FROM audit_log WHERE action = 'sweep.dns.cleanup' AND result = 'ok'")" 2 \
    "and removed them afterwards"
c1=$(q "SELECT id FROM certificates WHERE order_id = $o1")
c2=$(q "SELECT id FROM certificates WHERE order_id = $o2")
is "$(grep -c '^deploy ' "$D/deploy.log" 2>/dev/null)" 2 \
    "the deploy hook ran once per certificate, with chain and key"
is "$(q "SELECT count(*) FROM order_events WHERE what = 'deployed'")" 2 \
    "deployments recorded"

# Renewal: a 90-day certificate 50 days old is not due with the default
# renew_days_before (30); raising it to 60 makes it due.
now=$(date +%s)
q "UPDATE certificates SET not_before = $((now - 50 * day)), not_after = $((now + 40 * day)) WHERE id = $c1"
sweep --once
is "$(q "SELECT count(*) FROM orders WHERE renews = $c1")" 0 \
    "renew_days_before = 30: not due yet"
ra=$(q "SELECT renew_at - $now FROM certificates WHERE id = $c1")
ok "$([ "$((ra / day))" = 9 ] || [ "$((ra / day))" = 10 ] && echo 0 || echo 1)" \
    "renewal planned 30 days before expiry (in $((ra / day)) days)"
is "$(cat "$D/billing.calls" 2>/dev/null | wc -l)" 0 "billing not asked yet"
sw_conf "$CONF" "$HOOKCONF" "renew_days_before = 60"
sweeps_until "SELECT count(*) = 1 FROM certificates WHERE id = $c1 AND status = 'replaced'" 60
ok $? "renew_days_before = 60: the certificate is renewed"
r=$(q "SELECT id FROM orders WHERE renews = $c1")
c3=$(q "SELECT id FROM certificates WHERE order_id = ${r:-0}")
is "$(q "SELECT replaced_by FROM certificates WHERE id = $c1")" "$c3" \
    "the old certificate is replaced by the new one"
is "$(grep -c " $c1 approve" "$D/billing.calls")" 1 "the billing hook was called once"
is "$(wc -l <"$D/billing.ledger")" 1 "one charge"
is "$(q "SELECT state || ' ' || order_id FROM billing_intents WHERE certificate_id = $c1")" \
    "approved $r" "the intent is approved and names the renewal order"
is "$(q "SELECT account_id FROM orders WHERE id = ${r:-0}")" "$acct" "same account"
pub() {
	q "SELECT chain_pem FROM certificates WHERE id = ${1:-0}" |
	    openssl x509 -noout -pubkey 2>/dev/null | sha256sum
}
ok "$([ "$(pub "$c1")" != "$(pub "$c3")" ] && echo 0 || echo 1)" "with a new key"
grep -q "^deploy $c3 " "$D/deploy.log"
ok $? "the new certificate was deployed"
before="$(q "SELECT count(*) FROM orders"):$(q "SELECT count(*) FROM certificates"):$(wc -l <"$D/billing.calls"):$(wc -l <"$D/deploy.log")"
sweep --once
sweep --once
after="$(q "SELECT count(*) FROM orders"):$(q "SELECT count(*) FROM certificates"):$(wc -l <"$D/billing.calls"):$(wc -l <"$D/deploy.log")"
is "$after" "$before" "two more sweeps: no order, certificate, charge or deploy more"
is "$(q "SELECT count(*) FROM sweep_runs WHERE finished IS NULL OR ok <> 1")" 0 \
    "every run recorded as finished and ok"

# --check.
out=$(sweep --check); rc=$?
is "$rc" 0 "--check: OK ($out)"
q "UPDATE certificates SET not_before = $((now - 80 * day)), not_after = $((now + 10 * day)) WHERE id = $c2"
out=$(sweep --check); rc=$?
is "$rc" 1 "--check: WARNING with a certificate 10 days from expiry ($out)"
q "UPDATE certificates SET not_after = $((now + 2 * day)) WHERE id = $c2"
out=$(sweep --check); rc=$?
is "$rc" 2 "--check: CRITICAL 2 days from expiry ($out)"
is "$(echo "$out" | wc -l)" 1 "--check prints one line"

# renew_keep_key = yes: the next renewal (of the renewed certificate)
# keeps the key.
now=$(date +%s)
q "UPDATE certificates SET not_before = $((now - 50 * day)), not_after = $((now + 40 * day)) WHERE id = ${c3:-0}"
sw_conf "$CONF" "$HOOKCONF" "renew_days_before = 60" "renew_keep_key = yes"
sweeps_until "SELECT count(*) = 1 FROM certificates WHERE id = ${c3:-0} AND status = 'replaced'" 60
ok $? "renew_keep_key = yes: the certificate is renewed again"
r2=$(q "SELECT id FROM orders WHERE renews = ${c3:-0}")
c4=$(q "SELECT id FROM certificates WHERE order_id = ${r2:-0}")
ok "$([ -n "$c4" ] && [ "$(pub "$c3")" = "$(pub "$c4")" ] && echo 0 || echo 1)" \
    "renew_keep_key = yes: with the same key"

# Without a billing hook renewals are free: approved without asking, in
# the audit log all the same, and the audit chain intact.
now=$(date +%s)
q "UPDATE certificates SET not_before = $((now - 50 * day)), not_after = $((now + 40 * day)) WHERE id = ${c4:-0}"
calls=$(wc -l <"$D/billing.calls")
sw_conf "$CONF" "lease_seconds = 120" "renew_days_before = 60"
sweep --once
is "$(q "SELECT count(*) FROM certificates WHERE id = ${c4:-0} AND status = 'replaced'")" 1 \
    "no billing hook: one sweep renews the certificate"
is "$(wc -l <"$D/billing.calls")" "$calls" "no billing hook: nothing asked"
is "$(q "SELECT state || ' ' || detail || ' ' || (order_id = (SELECT id FROM orders WHERE renews = ${c4:-0})) FROM billing_intents WHERE certificate_id = ${c4:-0}")" \
    "approved free: no billing hook configured 1" \
    "no billing hook: the intent approved free, linked to the order"
is "$(q "SELECT group_concat(action, ' ') FROM (SELECT action FROM audit_log WHERE object = 'certificate:${c4:-0}' AND action IN ('sweep.renew.plan', 'sweep.billing.approved', 'sweep.renew.order', 'sweep.renew.done') AND result = 'ok' ORDER BY id)")" \
    "sweep.renew.plan sweep.billing.approved sweep.renew.order sweep.renew.done" \
    "no billing hook: plan, approval, order and renewal audited"
$ADMIN audit verify >/dev/null 2>&1
ok $? "the audit log's hash chain is intact"

is "$(q 'PRAGMA integrity_check')" ok "database integrity"
sw_done
