/*
 * Alerts and monitoring.  An alert is a condition (kind, object, cond):
 * "expiry" of certificate:7 at "7d", "order-failed" of order:12, ...
 * Each is claimed once in the store (alerts table, unique), then sent
 * through the notify hook; the dashboard shows the claimed ones as a
 * banner.  When the hook fails the claim is given back and a later
 * sweep tries again, so each condition is sent once, not on every
 * sweep.  (A sweep killed between the claim and the hook loses that
 * one notification; the banner still shows it.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sweep.h"

#define EXPIRING_MAX	500
#define CHECK_STALE	3600		/* s without a sweep: WARNING */
#define CHECK_DEAD	SWEEP_DAY	/* s without a sweep: CRITICAL */
#define CHECK_CRIT	(7 * SWEEP_DAY)

enum nagios {
	NAGIOS_OK = 0,
	NAGIOS_WARNING,
	NAGIOS_CRITICAL,
	NAGIOS_UNKNOWN
};

int
alert_send(struct worker *w, const struct alert *a)
{
	struct hook_env		 env;
	struct hook_result	*r = NULL;
	const char		*args[2] = { "alert", NULL };
	char			*how = NULL;
	enum panel_err		 pe;
	int			 claimed = 0, ok = 1;

	if ((pe = store_alert_claim(w->st, a->kind, a->object, a->cond,
	    a->message, time(NULL), &claimed)) != PANEL_OK) {
		sw_dberr(w, "claiming an alert", pe);
		return -1;
	}
	if (!claimed)
		return 0;
	if (w->sw->cfg->notify_hook != NULL) {
		memset(&env, 0, sizeof(env));
		hook_env_add(&env, "ACME_EVENT", "notify");
		hook_env_add(&env, "ACME_ALERT_KIND", "%s", a->kind);
		hook_env_add(&env, "ACME_ALERT_OBJECT", "%s", a->object);
		hook_env_add(&env, "ACME_ALERT_COND", "%s", a->cond);
		hook_env_add(&env, "ACME_ALERT_SUBJECT", "%s", a->subject);
		hook_env_add(&env, "ACME_ALERT_MESSAGE", "%s", a->message);
		if (a->cert != NULL)
			hook_env_cert(w, &env, a->cert);
		else if (a->order != NULL)
			hook_env_order(w, &env, a->order);
		if ((r = calloc(1, sizeof(*r))) == NULL ||
		    hook_run(w->sw->cfg->notify_hook, args, &env, NULL, 0,
		    w->sw->cfg->hook_timeout, r) == -1)
			sw_stat(w->sw, STAT_ERRORS);
		ok = r != NULL && r->end == HOOK_EXITED && r->code == 0;
		how = r != NULL ? hook_describe(r) : NULL;
		hook_env_free(&env);
		free(r);
	}
	if (!ok) {
		if ((pe = store_alert_unclaim(w->st, a->kind, a->object,
		    a->cond)) != PANEL_OK)
			sw_dberr(w, "giving an alert back", pe);
		sw_audit(w, "sweep.alert", a->object, AUDIT_FAIL, "%s %s: the "
		    "notify hook failed (%s); will try again", a->kind,
		    a->cond, how ? how : "");
		free(how);
		return 0;
	}
	sw_stat(w->sw, STAT_ALERTS);
	sw_audit(w, "sweep.alert", a->object, AUDIT_OK, "%s%s%s: %s%s%s",
	    a->kind, *a->cond ? " " : "", a->cond, a->message,
	    how ? "; notify hook: " : "", how ? how : "");
	free(how);
	return 1;
}

/* The smallest alert_days threshold that left (seconds) is within, or
 * 0 when none. */
static unsigned
threshold(const struct panel_config *cfg, int64_t left)
{
	unsigned	 best = 0;
	size_t		 i;

	for (i = 0; i < cfg->nalert_days; i++)
		if (left <= (int64_t)cfg->alert_days[i] * SWEEP_DAY &&
		    (best == 0 || cfg->alert_days[i] < best))
			best = cfg->alert_days[i];
	return best;
}

static unsigned
max_days(const struct panel_config *cfg)
{
	unsigned	 m = 0;
	size_t		 i;

	for (i = 0; i < cfg->nalert_days; i++)
		if (cfg->alert_days[i] > m)
			m = cfg->alert_days[i];
	return m;
}

void
alert_expiry(struct worker *w)
{
	struct store_cert_list	*l = NULL;
	const struct store_cert	*c;
	struct alert		 a;
	enum panel_err		 pe;
	char			 obj[64], cond[16], t[21], *msg = NULL, *d;
	int64_t			 now = time(NULL), left;
	unsigned		 days, top = max_days(w->sw->cfg);
	size_t			 i;

	if (top == 0)
		return;
	if ((pe = store_dashboard_expiring(w->st, 0, EXPIRING_MAX, &l)) !=
	    PANEL_OK) {
		sw_dberr(w, "listing expiring certificates", pe);
		return;
	}
	for (i = 0; i < l->n; i++) {
		c = &l->v[i];
		left = c->not_after - now;
		if (left > (int64_t)top * SWEEP_DAY)
			break;		/* soonest first: the rest are later */
		if (left <= 0)
			snprintf(cond, sizeof(cond), "expired");
		else if ((days = threshold(w->sw->cfg, left)) > 0)
			snprintf(cond, sizeof(cond), "%ud", days);
		else
			continue;
		if (left <= 0) {
			if (asprintf(&msg, "Certificate %lld (%s) expired at "
			    "%s and has not been replaced.", (long long)c->id,
			    c->ndomains ? c->domains[0] : "",
			    panel_time_iso(c->not_after, t)) < 0)
				continue;
		} else if (asprintf(&msg, "Certificate %lld (%s) expires at %s, "
		    "in %lld day(s), and no newer certificate has replaced it "
		    "yet.", (long long)c->id, c->ndomains ? c->domains[0] : "",
		    panel_time_iso(c->not_after, t),
		    (long long)((left + SWEEP_DAY - 1) / SWEEP_DAY)) < 0)
			continue;
		d = sw_join(c->domains, c->ndomains, ", ");
		memset(&a, 0, sizeof(a));
		a.kind = "expiry";
		a.object = sw_obj(obj, "certificate", c->id);
		a.cond = cond;
		a.subject = d != NULL ? d : "";
		a.message = msg;
		a.cert = c;
		(void)alert_send(w, &a);
		free(d);
		free(msg);
		msg = NULL;
	}
	store_cert_list_free(l);
}

void
alert_dry(struct sweep *sw, struct store *st)
{
	struct store_cert_list	*l = NULL;
	const struct store_cert	*c;
	int64_t			 now = time(NULL), left;
	unsigned		 days, top = max_days(sw->cfg);
	size_t			 i;

	if (top == 0 ||
	    store_dashboard_expiring(st, 0, EXPIRING_MAX, &l) != PANEL_OK)
		return;
	for (i = 0; i < l->n; i++) {
		c = &l->v[i];
		left = c->not_after - now;
		if (left > (int64_t)top * SWEEP_DAY)
			break;
		days = threshold(sw->cfg, left);
		if (left > 0 && days == 0)
			continue;
		printf("certificate %lld (%s): would send the expiry alert "
		    "\"%s\" unless it was sent before\n", (long long)c->id,
		    c->ndomains ? c->domains[0] : "",
		    left <= 0 ? "expired" : "within alert_days");
	}
	store_cert_list_free(l);
}

/* Raises *status to s and appends a reason to buf. */
static void
worse(enum nagios *status, enum nagios s, char *buf, size_t len,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
worse(enum nagios *status, enum nagios s, char *buf, size_t len,
    const char *fmt, ...)
{
	va_list	 ap;
	size_t	 off = strlen(buf);

	if (s > *status)
		*status = s;
	if (off > 0 && off + 2 < len) {
		memcpy(buf + off, "; ", 3);
		off += 2;
	}
	va_start(ap, fmt);
	if (off < len)
		vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
}

int
sweep_check(struct sweep *sw, struct store *st)
{
	static const char *const names[] = { "OK", "WARNING", "CRITICAL",
	    "UNKNOWN" };
	struct store_cert_list	*l = NULL;
	struct store_sweep	*last = NULL;
	struct store_counts	 counts;
	const struct store_cert	*c;
	enum nagios		 status = NAGIOS_OK;
	enum panel_err		 pe;
	char			 why[1024] = "", t[21];
	int64_t			 now = time(NULL), left, life, warn, crit;
	int64_t			 age = -1;
	unsigned		 nwarn = 0, ncrit = 0, top;
	size_t			 i;

	top = max_days(sw->cfg);
	if (top == 0)
		top = 14;
	if ((pe = store_dashboard_expiring(st, 0, EXPIRING_MAX, &l)) !=
	    PANEL_OK ||
	    (pe = store_dashboard_counts(st, 0, now, now - SWEEP_DAY,
	    &counts)) != PANEL_OK) {
		printf("ACME-SWEEP UNKNOWN - reading the store: %s\n",
		    panel_strerror(pe));
		store_cert_list_free(l);
		return NAGIOS_UNKNOWN;
	}
	/* Certificates: warning within the largest alert_days (at most a
	 * third of the lifetime), critical within 7 days (at most a sixth). */
	for (i = 0; i < l->n; i++) {
		c = &l->v[i];
		left = c->not_after - now;
		life = c->not_after - c->not_before;
		warn = (int64_t)top * SWEEP_DAY;
		if (life > 0 && warn > life / 3)
			warn = life / 3;
		crit = CHECK_CRIT;
		if (life > 0 && crit > life / 6)
			crit = life / 6;
		if (left <= crit)
			ncrit++;
		else if (left <= warn)
			nwarn++;
	}
	if (ncrit > 0)
		worse(&status, NAGIOS_CRITICAL, why, sizeof(why), "%u "
		    "certificate(s) expired or about to expire", ncrit);
	if (nwarn > 0)
		worse(&status, NAGIOS_WARNING, why, sizeof(why), "%u "
		    "certificate(s) expiring and not yet renewed", nwarn);
	if (counts.orders_failed > 0)
		worse(&status, NAGIOS_WARNING, why, sizeof(why), "%lld "
		    "order(s) failed in the last day",
		    (long long)counts.orders_failed);
	pe = store_sweep_last(st, &last);
	if (pe == PANEL_ERR_NOTFOUND)
		worse(&status, NAGIOS_WARNING, why, sizeof(why), "no sweep has "
		    "run yet");
	else if (pe != PANEL_OK)
		worse(&status, NAGIOS_UNKNOWN, why, sizeof(why), "reading the "
		    "last sweep: %s", panel_strerror(pe));
	else {
		age = now - last->started;
		if (age > CHECK_DEAD)
			worse(&status, NAGIOS_CRITICAL, why, sizeof(why), "no "
			    "sweep since %s", panel_time_iso(last->started, t));
		else if (age > CHECK_STALE)
			worse(&status, NAGIOS_WARNING, why, sizeof(why), "no "
			    "sweep since %s", panel_time_iso(last->started, t));
		else if (last->finished != 0 && last->ok == 0)
			worse(&status, NAGIOS_WARNING, why, sizeof(why), "the "
			    "last sweep failed: %s", last->summary ?
			    last->summary : "");
	}
	if (status == NAGIOS_OK)
		snprintf(why, sizeof(why), "%lld certificate(s), none expiring "
		    "within %u days; last sweep %lld s ago",
		    (long long)counts.certs_valid, top, (long long)age);
	printf("ACME-SWEEP %s - %s | certificates=%lld expiring=%u "
	    "critical=%u failed_orders=%lld last_sweep_age=%llds\n",
	    names[status], why, (long long)counts.certs_valid, nwarn, ncrit,
	    (long long)counts.orders_failed, (long long)age);
	store_sweep_free(last);
	store_cert_list_free(l);
	return (int)status;
}
