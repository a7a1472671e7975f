#!/bin/sh
# How acme-sweep runs hooks, and its command line, without a CA: an
# expiry alert goes through the notify hook, run without a shell, with a
# clean environment (PATH, HOME, LANG, TZ, the documented ACME_*
# variables, and only the ACME_HOOK_* variables of the sweep's own
# environment), stdin from /dev/null, no other open descriptor, its
# output (stdout and stderr) captured and cut for the audit log; a
# failed notification is given back and sent at the next sweep, once.
# Then: usage errors exit 2, an unreadable config exits 1 (--check: 3).
cd "$(dirname "$0")/../.." || exit 1
. tests/sweep/lib.sh
sw_init hooks
trap 'sw_cleanup' EXIT
plain_panel || { echo "Bail out! no panel database"; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$D/self.key" -out "$D/chain.pem" -days 3 \
    -subj "/CN=hooks.example" >/dev/null 2>&1 || exit 1
now=$(date +%s)
day=86400
q "INSERT INTO accounts (owner, ca_url, kid, contacts, key_type, status,
    created, updated) VALUES (1, 'https://ca.invalid/dir',
    'https://ca.invalid/acct/1', '[\"mailto:owner@example.com\"]', 'ec-256',
    'valid', $now, $now)"
c=$(mkcert 1 hooks.example $((now - 88 * day)) $((now + 2 * day)))
q "UPDATE orders SET auto_renew = 0"
sw_conf "$CONF" "notify_hook = $HOOKS/env" "alert_days = 14,3"

# A failing notify hook: the alert is given back.
SWEEP_ENV="FOO=bar ACME_HOOK_TEST_EXIT=1" sweep --once
is "$(q "SELECT count(*) FROM alerts")" 0 "a failed notification is given back"
is "$(q "SELECT result FROM audit_log WHERE action = 'sweep.alert'")" fail \
    "and audited as failed"
# It works the next time, once.
SWEEP_ENV="FOO=bar ACME_HOOK_SETTING=x" sweep --once
SWEEP_ENV="FOO=bar ACME_HOOK_SETTING=x" sweep --once
is "$(q "SELECT kind || ' ' || object || ' ' || cond FROM alerts")" \
    "expiry certificate:$c 3d" "sent at the next sweep: expiry, 3 days"
is "$(grep -c '^---' "$D/env.out")" 2 "the hook ran twice in three sweeps (failed, sent)"
sed -n '/^---/h; /^---/!H; ${x; p}' "$D/env.out" >"$D/last.env"
grep -q '^args: alert$' "$D/last.env"
ok $? "argv: the hook's path and \"alert\"" "$(cat "$D/last.env")"
grep -q '^stdin: /dev/null$' "$D/last.env"
ok $? "stdin is /dev/null"
fds=$(sed -n 's/^fds: //p' "$D/last.env")
is "$fds" "0 1 2" "no descriptor but stdin, stdout, stderr"
# (LC_CTYPE: Python's own locale coercion, PEP 538, in the hook itself.)
names=$(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$D/last.env" | sed 's/=.*//' |
    grep -vE '^(ACME_[A-Z_]+|PATH|HOME|LANG|TZ|LC_CTYPE)$')
is "${names:-none}" none "a clean environment: nothing but ACME_*, PATH, HOME, LANG, TZ"
grep -q '^FOO=' "$D/last.env"
ok "$([ $? = 1 ] && echo 0 || echo 1)" "the sweep's own environment is not passed on"
grep -q '^ACME_HOOK_SETTING=x$' "$D/last.env"
ok $? "ACME_HOOK_* settings are passed on"
for v in "ACME_EVENT=notify" "ACME_ALERT_KIND=expiry" "ACME_ALERT_COND=3d" \
    "ACME_ALERT_OBJECT=certificate:$c" "ACME_CERT_ID=$c" \
    "ACME_DOMAINS=hooks.example" "ACME_OWNER=admin" "ACME_OWNER_ID=1" \
    "ACME_CONTACTS=owner@example.com" "TZ=UTC" "LANG=C"; do
	grep -qx "$v" "$D/last.env"
	ok $? "environment: $v"
done
d=$(q "SELECT detail FROM audit_log WHERE action = 'sweep.alert' AND result = 'ok'")
case $d in
*"line one"*"line two"*) ok 0 "stdout and stderr are captured for the audit log" ;;
*) ok 1 "stdout and stderr are captured for the audit log" "$d" ;;
esac

# Output is bounded.
q "DELETE FROM alerts"
SWEEP_ENV="ACME_HOOK_TEST_FLOOD=3000000" sweep --once
d=$(q "SELECT detail FROM audit_log WHERE action = 'sweep.alert' ORDER BY id DESC LIMIT 1")
case $d in
*"[cut]"*) ok 0 "3 MB of hook output: cut (${#d} bytes kept)" ;;
*) ok 1 "3 MB of hook output: cut" "$(printf '%s' "$d" | head -c 300)" ;;
esac
is "$(q "SELECT count(*) FROM alerts")" 1 "and the hook still counts as a success"

# The command line.
"$SWEEP" -j 0 -c "$SCONF" 2>/dev/null; is $? 2 "-j 0: usage, exit 2"
"$SWEEP" --bogus 2>/dev/null; is $? 2 "unknown option: exit 2"
"$SWEEP" -c "$SCONF" extra 2>/dev/null; is $? 2 "extra argument: exit 2"
"$SWEEP" --check --dry-run -c "$SCONF" 2>/dev/null; is $? 2 "--check with --dry-run: exit 2"
"$SWEEP" -c "$D/missing.conf" --once 2>/dev/null; is $? 1 "missing config: exit 1"
out=$("$SWEEP" -c "$D/missing.conf" --check); rc=$?
is "$rc" 3 "--check, missing config: UNKNOWN (3)"
case $out in
"ACME-SWEEP UNKNOWN - "*) ok 0 "--check says UNKNOWN in one line" ;;
*) ok 1 "--check says UNKNOWN in one line" "$out" ;;
esac
printf 'renew_days_before = 0\n' >>"$D/bad.conf"
"$SWEEP" -c "$D/bad.conf" --once 2>"$D/bad.err"; is $? 1 "bad config: exit 1"
grep -q 'bad.conf:1:' "$D/bad.err"
ok $? "bad config: the line is named" "$(cat "$D/bad.err")"
is "$(q 'PRAGMA integrity_check')" ok "database integrity"
sw_done
