#!/bin/sh
# acme-sweep against the hostile CA stand-in (tests/hostile/server.py,
# scenarios in tests/sweep/scenarios.json), for what real Pebble does not
# do on demand: orderNotReady from finalize, a Retry-After on a
# processing order, rateLimited with 503 (finalize) and 429 (newOrder),
# an order the CA makes invalid, ARI (RFC 9773) windows in the future and
# in the past, alreadyReplaced, and a poll that outlasts the transfer
# timeout.  (Debian's Pebble 2.4 has no
# renewalInfo at all, so ARI can only be tested here.)
cd "$(dirname "$0")/../.." || exit 1
. tests/sweep/lib.sh
sw_init ca
trap 'sw_cleanup' EXIT
hostile_setup || { echo "Bail out! hostile CA or panel did not start"; exit 1; }
now=$(date +%s)
day=86400

# --- orderNotReady once: the sweep tries again soon and gets there.
seg=sweep-notready~t1
acct=$(account "$HOSTILE/s/$seg/dir")
o=$(order "$acct" sweep.example http-01)
ok "$([ -n "$o" ] && echo 0 || echo 1)" "orderNotReady: order placed through the API" "$(cat "$D/api.out")"
sweeps_until "SELECT count(*) = 1 FROM certificates WHERE order_id = $o" 40
ok $? "orderNotReady: the sweeps still carry the order to a certificate"
is "$(hostile_count "$seg" finalize)" 2 \
    "orderNotReady: finalize sent again after orderNotReady, once"
is "$(q "SELECT count(*) FROM audit_log WHERE action = 'sweep.order.retry' AND object = 'order:$o'")" 1 \
    "orderNotReady: one retry recorded"
is "$(q "SELECT status || ' ' || tries FROM orders WHERE id = $o")" "valid 0" \
    "orderNotReady: valid, tries reset"

# --- processing with Retry-After: 40: polled once, then left alone.
seg=sweep-retry-after~t1
acct=$(account "$HOSTILE/s/$seg/dir")
o=$(order "$acct" sweep.example http-01)
is "$(q "SELECT status FROM orders WHERE id = $o")" processing \
    "Retry-After: the order is processing"
sweep --once
n1=$(hostile_count "$seg" order)
wait=$(q "SELECT retry_at - strftime('%s', 'now') FROM orders WHERE id = $o")
ok "$([ "$wait" -ge 35 ] && [ "$wait" -le 41 ] && echo 0 || echo 1)" \
    "Retry-After: next look in about 40 s (got $wait s)"
sweep --once
is "$(hostile_count "$seg" order)" "$n1" \
    "Retry-After: a second sweep does not poll before that"
is "$(q "SELECT tries FROM orders WHERE id = $o")" 0 \
    "Retry-After: waiting is not a failed try"

# --- rateLimited 503 on finalize, Retry-After as an HTTP-date (+120 s).
seg=sweep-rl503~t1
acct=$(account "$HOSTILE/s/$seg/dir")
o=$(order "$acct" sweep.example http-01)
sweep --once
wait=$(q "SELECT retry_at - strftime('%s', 'now') FROM orders WHERE id = $o")
ok "$([ "$wait" -ge 110 ] && [ "$wait" -le 121 ] && echo 0 || echo 1)" \
    "rateLimited 503: next attempt at the CA's time, ~120 s (got $wait s)"
is "$(q "SELECT status || ' ' || tries FROM orders WHERE id = $o")" "ready 0" \
    "rateLimited 503: still ready, no try counted"
sweep --once
is "$(hostile_count "$seg" finalize)" 1 \
    "rateLimited 503: no second finalize before the CA's time"

# --- rateLimited 429 on newOrder (a renewal): wait an hour.
seg=sweep-rl429~t1
acct=$(account "$HOSTILE/s/$seg/dir")
c=$(mkcert "$acct" rl429.example $((now - 80 * day)) $((now + 10 * day)))
sweep --once
is "$(hostile_count "$seg" newOrder)" 1 "rateLimited 429: newOrder tried once"
is "$(q "SELECT count(*) FROM orders WHERE renews = $c")" 0 \
    "rateLimited 429: no order stored"
backoff=$(q "SELECT json_extract(value, '\$.backoff') - strftime('%s', 'now') FROM settings WHERE key = 'sweep.cert.$c'")
ok "$([ "${backoff:-0}" -ge 3500 ] && [ "$backoff" -le 3600 ] && echo 0 || echo 1)" \
    "rateLimited 429: next renewal attempt at the CA's time (got $backoff s)"
sweep --once
is "$(hostile_count "$seg" newOrder)" 1 \
    "rateLimited 429: no newOrder before the CA's time"
is "$(grep -c " $c approve" "$D/billing.calls")" 1 \
    "rateLimited 429: billing asked once; the approval is kept"

# --- the CA marks the order invalid: its problem kept, alerted once.
seg=sweep-invalid~t1
acct=$(account "$HOSTILE/s/$seg/dir")
c=$(mkcert "$acct" invalid.example $((now - 80 * day)) $((now + 10 * day)))
sweep --once
r=$(q "SELECT id FROM orders WHERE renews = $c")
is "$(q "SELECT status FROM orders WHERE id = ${r:-0}")" invalid \
    "invalid: the renewal order is invalid"
q "SELECT error FROM orders WHERE id = ${r:-0}" | grep -q 'did not match'
ok $? "invalid: the CA's problem is stored with the order"
sweep --once
is "$(grep -c "^order-failed order:${r:-0} " "$D/notify.log")" 1 \
    "invalid: the owner is alerted once"
is "$(hostile_count "$seg" newOrder)" 1 \
    "invalid: the renewal is retried after a backoff, not at once"
grep -q "order-failed" "$D/notify.log"
is "$(q "SELECT count(*) FROM alerts WHERE kind = 'order-failed' AND object = 'order:${r:-0}'")" 1 \
    "invalid: the alert is on the dashboard's list"

# --- ARI: a window one to two days ahead; chosen once, Retry-After kept.
seg=sweep-ari-future~t1
acct=$(account "$HOSTILE/s/$seg/dir")
c=$(mkcert "$acct" ari.example $((now - 10 * day)) $((now + 80 * day)) \
    "aGVsbG8.d29ybGQ")
sweep --once
ra=$(q "SELECT renew_at FROM certificates WHERE id = $c")
ok "$([ "$ra" -ge $((now + day)) ] && [ "$ra" -le $((now + 2 * day + 5)) ] && echo 0 || echo 1)" \
    "ARI: renewal planned inside the window (in $(( (ra - now) / 3600 )) h)"
next=$(q "SELECT json_extract(value, '\$.ari_next') - strftime('%s', 'now') FROM settings WHERE key = 'sweep.cert.$c'")
ok "$([ "${next:-0}" -ge 21500 ] && [ "$next" -le 21600 ] && echo 0 || echo 1)" \
    "ARI: the CA's Retry-After (21600 s) decides the next look (got $next s)"
sweep --once
is "$(hostile_count "$seg" renewal)" 1 "ARI: not asked again before that"
is "$(q "SELECT renew_at FROM certificates WHERE id = $c")" "$ra" \
    "ARI: the chosen time stays"
is "$(q "SELECT count(*) FROM orders WHERE renews = $c")" 0 \
    "ARI: nothing renewed before the window"

# --- ARI: a window in the past: renew now, with replaces.
seg=sweep-ari-past~t1
acct=$(account "$HOSTILE/s/$seg/dir")
c=$(mkcert "$acct" sweep.example $((now - 10 * day)) $((now + 80 * day)) \
    "cGFzdA.d2luZG93")
sweeps_until "SELECT count(*) = 1 FROM certificates WHERE id = $c AND status = 'replaced'" 40
ok $? "ARI past window: renewed at once"
is "$(q "SELECT replaces FROM orders WHERE renews = $c")" "cGFzdA.d2luZG93" \
    "ARI past window: the order says which certificate it replaces"

# --- alreadyReplaced: placed again without replaces.
seg=sweep-replaced~t1
acct=$(account "$HOSTILE/s/$seg/dir")
c=$(mkcert "$acct" sweep.example $((now - 10 * day)) $((now + 80 * day)) \
    "cmVwbA.YWdhaW4")
sweeps_until "SELECT count(*) = 1 FROM certificates WHERE id = $c AND status = 'replaced'" 40
ok $? "alreadyReplaced: renewed all the same"
is "$(hostile_count "$seg" newOrder)" 2 \
    "alreadyReplaced: newOrder placed again, once"
is "$(q "SELECT coalesce(replaces, 'none') FROM orders WHERE renews = $c")" none \
    "alreadyReplaced: the stored order replaces nothing"
is "$(q "SELECT count(*) FROM orders WHERE renews = $c")" 1 \
    "alreadyReplaced: one renewal order"

# --- a poll after finalize times out (the transfer, not the wait): the
# failure is recorded, the order stays processing, a later sweep ends it.
seg=sweep-poll-timeout~t1
acct=$(account "$HOSTILE/s/$seg/dir")
o=$(order "$acct" sweep.example http-01)
full=$SCONF
sed 's/^ca_timeout = .*/ca_timeout = 2/' "$full" >"$D/short.conf"
SCONF=$D/short.conf
sweep --once
ok $? "poll timeout: the sweep ends normally"
SCONF=$full
is "$(q "SELECT status FROM orders WHERE id = $o")" processing \
    "poll timeout: the CA's last word (processing) is stored"
is "$(q "SELECT count(*) FROM audit_log WHERE action = 'order.finalize' AND object = 'order:$o' AND result = 'fail' AND detail LIKE '%timed out%'")" 1 \
    "poll timeout: the failure is audited"
# The retry waits a backoff of 30 to 60 s: let that time have passed.
q "UPDATE orders SET retry_at = 0 WHERE id = $o"
sweeps_until "SELECT count(*) = 1 FROM certificates WHERE order_id = $o" 40
ok $? "poll timeout: a later sweep stores the certificate"

is "$(q 'PRAGMA integrity_check')" ok "database integrity"
sw_done
