/*
 * Renewals of certificates marked auto-renew.
 *
 * When: from ARI (RFC 9773) when the CA advertises renewalInfo: a
 * random time inside the suggested window, chosen once per window and
 * kept, the window asked again after the CA's Retry-After; otherwise at
 * two thirds of the lifetime or renew_days_before days before expiry,
 * whichever comes first, but not before half of the lifetime (so a
 * short-lived certificate is not renewed again and again).  Whatever
 * the plan, a certificate within a tenth of its lifetime (at most 3
 * days) of expiry is renewed now: the emergency override, which also
 * shortens backoff to an hour and ignores max_tries.
 *
 * How, under the lease of the certificate's own (valid) order, which
 * serialises everything done for one certificate across sweeps:
 *   1. the billing intent of (certificate, cycle = its not_after) is
 *      stored with an idempotency key before the hook is called; the
 *      key never changes for the cycle;
 *   2. the billing hook says approved (0), declined (1) or try later
 *      (75, or a timeout); the answer is stored fenced by the lease;
 *   3. only an approved intent places the renewal order (same account,
 *      same names and challenge type, "replaces" = the ARI certID), and
 *      the order is recorded in the intent.
 * A crash anywhere repeats at most the hook call with the same key (the
 * hook must treat it like Stripe's Idempotency-Key) or the CA's newOrder
 * (an unfinished order costs nothing); an approved intent without a live
 * renewal order always gets one.  So: at most one approved charge per
 * cycle, and no approved renewal is dropped.  Without a billing hook
 * (free renewals) nothing is asked before the order: the plan, the
 * intent, its approval and the order are written in the one transaction
 * that stores the order, still under the lease.
 *
 * The per-certificate plan (ARI window, chosen time, next ARI check,
 * creation backoff) is kept as JSON in settings "sweep.cert.<id>": the
 * schema has no columns for it yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sweep.h"

#define ARI_AGAIN	(6 * 3600)	/* no Retry-After */
#define ARI_AGAIN_ERR	3600		/* renewalInfo failed */
#define ARI_AGAIN_NONE	SWEEP_DAY	/* no renewalInfo: recheck */
#define EMERGENCY_MAX	(3 * SWEEP_DAY)
#define BACKOFF_CAP	SWEEP_DAY
#define BACKOFF_URGENT	3600
#define EX_TEMPFAIL	75

/* Whether a renewal keeps the certificate's key (renew_keep_key). */
#define SWEEP_KEEP_KEY(cfg)	((cfg)->renew_keep_key)

/* The sweep's plan for one certificate (settings "sweep.cert.<id>"). */
struct cstate {
	int64_t	 ari_next;	/* ask renewalInfo again at; 0: now */
	int	 ari;		/* the CA advertises renewalInfo */
	int64_t	 ari_start;	/* its last suggested window */
	int64_t	 ari_end;
	int64_t	 ari_at;	/* the time chosen in it, once */
	int64_t	 backoff;	/* no renewal order before this */
	int64_t	 create_fails;	/* newOrder refusals in a row */
};

enum bill {
	BILL_APPROVED,
	BILL_DECLINED,
	BILL_LATER
};

static const char *
first_name(const struct store_cert *c)
{
	return c->ndomains > 0 ? c->domains[0] : "";
}

static void
state_key(char buf[64], int64_t cert_id)
{
	snprintf(buf, 64, "sweep.cert.%lld", (long long)cert_id);
}

static int64_t
jint(const json_t *o, const char *k)
{
	const json_t	*v = json_object_get(o, k);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static void
state_load(struct store *st, int64_t cert_id, struct cstate *cs)
{
	char	 key[64], *text = NULL;
	json_t	*o;

	memset(cs, 0, sizeof(*cs));
	state_key(key, cert_id);
	if (store_setting_get(st, key, &text) != PANEL_OK)
		return;
	if ((o = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) != NULL) {
		cs->ari_next = jint(o, "ari_next");
		cs->ari = json_is_true(json_object_get(o, "ari"));
		cs->ari_start = jint(o, "ari_start");
		cs->ari_end = jint(o, "ari_end");
		cs->ari_at = jint(o, "ari_at");
		cs->backoff = jint(o, "backoff");
		cs->create_fails = jint(o, "create_fails");
		json_decref(o);
	}
	free(text);
}

static void
state_save(struct worker *w, int64_t cert_id, const struct cstate *cs)
{
	char		 key[64], *text;
	json_t		*o;
	enum panel_err	 pe;

	state_key(key, cert_id);
	if ((o = json_pack("{s:I,s:b,s:I,s:I,s:I,s:I,s:I}",
	    "ari_next", (json_int_t)cs->ari_next, "ari", cs->ari,
	    "ari_start", (json_int_t)cs->ari_start,
	    "ari_end", (json_int_t)cs->ari_end,
	    "ari_at", (json_int_t)cs->ari_at,
	    "backoff", (json_int_t)cs->backoff,
	    "create_fails", (json_int_t)cs->create_fails)) == NULL)
		return;
	if ((text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) != NULL &&
	    (pe = store_setting_set(w->st, key, text, time(NULL))) != PANEL_OK)
		sw_dberr(w, "saving a renewal plan", pe);
	free(text);
	json_decref(o);
}

/* Without ARI: ops_renew_at (two thirds of the lifetime or
 * renew_days_before days before expiry, not before half of it). */
static int64_t
lifetime_plan(const struct sweep *sw, const struct store_cert *c,
    const char **why)
{
	return ops_renew_at(sw->cfg, c->not_before, c->not_after, why);
}

/* The emergency point: a tenth of the lifetime (at most 3 days) before
 * expiry. */
static int64_t
emergency_at(const struct store_cert *c)
{
	int64_t	 m = (c->not_after - c->not_before) / 10;

	if (m > EMERGENCY_MAX)
		m = EMERGENCY_MAX;
	if (m < 0)
		m = 0;
	return c->not_after - m;
}

static int64_t
plan(const struct sweep *sw, const struct store_cert *c,
    const struct cstate *cs, const char **why)
{
	int64_t	 t, e = emergency_at(c);

	if (cs->ari && cs->ari_at > 0) {
		*why = "ARI window";
		t = cs->ari_at;
	} else
		t = lifetime_plan(sw, c, why);
	return t > e ? e : t;
}

/* Backoff after n failed renewal orders, with a jitter fixed per
 * certificate and n, so every sweep computes the same time. */
static int64_t
renew_backoff(int64_t cert_id, int64_t n, int64_t cap)
{
	uint64_t	 h;
	int64_t		 d = 60;

	while (--n > 0 && d < cap)
		d *= 2;
	if (d > cap)
		d = cap;
	h = (uint64_t)cert_id * 0x9e3779b97f4a7c15ULL + (uint64_t)n * 40503U;
	h ^= h >> 29;
	return d / 2 + (int64_t)(h % (uint64_t)(d / 2 + 1));
}

/* The CA offers no renewalInfo (any more): the plan goes by the
 * lifetime, and the question is asked again in a day. */
static void
ari_none(struct worker *w, const struct store_cert *c, struct cstate *cs,
    int64_t now)
{
	char	 obj[64];

	if (cs->ari)
		sw_audit(w, "sweep.renew.ari", sw_obj(obj, "certificate",
		    c->id), AUDIT_OK, "the CA no longer advertises "
		    "renewalInfo");
	cs->ari = 0;
	cs->ari_at = 0;
	cs->ari_next = now + ARI_AGAIN_NONE;
}

/* Asks renewalInfo (RFC 9773 4.1) and updates the plan.  Through the
 * worker's cached account context: once its directory is known, a CA
 * without renewalInfo costs no request. */
static void
ari_refresh(struct worker *w, const struct store_cert *c, struct cstate *cs)
{
	struct acme_renewal	 ren;
	struct ops_err		 err;
	char			 obj[64], t1[21], t2[21], t3[21];
	int64_t			 now = time(NULL), span;
	int			 offered = 0;

	memset(&err, 0, sizeof(err));
	sw_obj(obj, "certificate", c->id);
	if (ops_renewal_info(&w->o, c->account_id, c->ari_id, &ren, &offered,
	    &err) != PANEL_OK) {
		if (err.msg[0] != '\0')
			sw_audit(w, "sweep.renew.ari", obj, AUDIT_FAIL, "%s",
			    err.msg);
		cs->ari_next = now + ARI_AGAIN_ERR;
		goto out;
	}
	if (!offered) {
		ari_none(w, c, cs, now);
		goto out;
	}
	cs->ari = 1;
	if (ren.start != cs->ari_start || ren.end != cs->ari_end ||
	    cs->ari_at == 0) {
		/* A new window: choose once, uniformly inside it (4.2). */
		span = ren.end - ren.start;
		cs->ari_start = ren.start;
		cs->ari_end = ren.end;
		cs->ari_at = ren.start + (span > 0 ? (int64_t)arc4random_uniform(
		    span > UINT32_MAX ? UINT32_MAX : (uint32_t)span) : 0);
		sw_audit(w, "sweep.renew.ari", obj, AUDIT_OK, "window %s to "
		    "%s: renewal at %s%s%s", panel_time_iso(ren.start, t1),
		    panel_time_iso(ren.end, t2), panel_time_iso(cs->ari_at,
		    t3), ren.explanation ? "; see " : "",
		    ren.explanation ? ren.explanation : "");
	}
	/* libacme clamps Retry-After to [1 min, 1 day] (4.3.2). */
	cs->ari_next = now + (ren.retry_after > 0 ?
	    (int64_t)ren.retry_after : ARI_AGAIN);
out:
	acme_renewal_clear(&ren);
	ops_err_clear(&err);
}

/* Runs the billing hook for intent b.  *detail (the caller frees) gets
 * the hook's outcome for the intent and the audit log. */
static enum bill
billing_ask(struct worker *w, const struct store_cert *c,
    const struct store_billing *b, int emergency, char **detail)
{
	struct hook_env		 env;
	struct hook_result	*r;
	const char		*args[2] = { "renew", NULL };
	enum bill		 d = BILL_LATER;

	*detail = NULL;
	if (w->sw->cfg->billing_hook == NULL) {
		*detail = strdup("free: no billing hook configured");
		return BILL_APPROVED;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return BILL_LATER;
	memset(&env, 0, sizeof(env));
	hook_env_add(&env, "ACME_EVENT", "billing");
	hook_env_add(&env, "ACME_IDEMPOTENCY_KEY", "%s", b->idem_key);
	hook_env_add(&env, "ACME_BILLING_ID", "%lld", (long long)b->id);
	hook_env_add(&env, "ACME_CYCLE", "%lld", (long long)b->cycle);
	hook_env_add(&env, "ACME_ATTEMPT", "%lld", (long long)b->tries + 1);
	hook_env_add(&env, "ACME_RENEWAL", "%s", emergency ? "emergency" :
	    "planned");
	hook_env_add(&env, "ACME_ORDER_ID", "%lld", (long long)c->order_id);
	hook_env_cert(w, &env, c);
	if (hook_run(w->sw->cfg->billing_hook, args, &env, NULL, 0,
	    w->sw->cfg->billing_timeout, r) == -1)
		sw_stat(w->sw, STAT_ERRORS);
	if (r->end == HOOK_EXITED && r->code == 0)
		d = BILL_APPROVED;
	else if (r->end == HOOK_EXITED && r->code == 1)
		d = BILL_DECLINED;
	*detail = hook_describe(r);
	/* 75 and a timeout mean "try later"; anything else too, but it is
	 * the hook failing, which cron should mail about. */
	if (!(r->end == HOOK_EXITED && (r->code == 0 || r->code == 1 ||
	    r->code == EX_TEMPFAIL)) && r->end != HOOK_TIMEOUT) {
		sw_warn(w->sw, "billing hook %s failed for certificate %lld: %s",
		    w->sw->cfg->billing_hook, (long long)c->id,
		    *detail ? *detail : "");
		sw_stat(w->sw, STAT_ERRORS);
	}
	hook_env_free(&env);
	free(r);
	return d;
}

/* Stores the hook's answer, fenced by the lease on the certificate's
 * order.  PANEL_ERR_STALE when another sweep owns the certificate now. */
static enum panel_err
billing_record(struct worker *w, const struct store_cert *c, int64_t token,
    const struct store_billing *b, enum store_bill_state state,
    const char *detail, int64_t order_id)
{
	enum panel_err	 pe;

	if ((pe = store_begin(w->st)) != PANEL_OK)
		return pe;
	if ((pe = store_order_fence(w->st, c->order_id, token)) != PANEL_OK ||
	    (pe = store_billing_set_state(w->st, b->id, state, detail,
	    order_id, time(NULL))) != PANEL_OK) {
		store_rollback(w->st);
		return pe;
	}
	return store_commit(w->st);
}

static void
alert_cert(struct worker *w, const struct store_cert *c, const char *kind,
    const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
alert_cert(struct worker *w, const struct store_cert *c, const char *kind,
    const char *cond, const char *fmt, ...)
{
	struct alert	 a;
	va_list		 ap;
	char		 obj[64], *msg = NULL, *d;
	int		 n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	d = sw_join(c->domains, c->ndomains, ", ");
	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.object = sw_obj(obj, "certificate", c->id);
	a.cond = cond;
	a.subject = d != NULL ? d : "";
	a.message = msg;
	a.cert = c;
	(void)alert_send(w, &a);
	free(d);
	free(msg);
}

/* Keeps certificate c's key for renewal order nid: sealed into the
 * order's row (under "order:NID"), where ops_order_finalize takes it
 * instead of making a new one.  0, or -1 (a new key will be made). */
static int
keep_key(struct worker *w, const struct store_cert *c, int64_t nid)
{
	struct store_cert	*full = NULL;
	unsigned char		*sealed = NULL;
	char			 aad[CRYPT_AAD_MAX], obj[64], *pem = NULL;
	size_t			 len = 0, slen = 0;
	enum panel_err		 pe;
	int			 rc = -1;

	if ((pe = store_cert_get(w->st, c->id, 0, &full)) != PANEL_OK ||
	    full->key_enc == NULL)
		goto out;
	crypt_aad(aad, "certificate", c->id);
	if ((pe = crypt_open(w->sw->kek, aad, full->key_enc,
	    full->key_enc_len, &pem, &len)) != PANEL_OK)
		goto out;
	crypt_aad(aad, "order", nid);
	if ((pe = crypt_seal(w->sw->kek, aad, pem, len, &sealed, &slen)) !=
	    PANEL_OK || (pe = store_order_set_key(w->st, nid, sealed, slen,
	    time(NULL))) != PANEL_OK)
		goto out;
	rc = 0;
out:
	sw_audit(w, "sweep.renew.key", sw_obj(obj, "order", nid),
	    rc == 0 ? AUDIT_OK : AUDIT_FAIL, rc == 0 ? "keeps the key of "
	    "certificate %lld" : "could not keep the key of certificate %lld "
	    "(a new key will be made)", (long long)c->id);
	crypt_wipe_free(pem, len);
	free(sealed);
	store_cert_free(full);
	return rc;
}

/* What the first transaction found: the next step, outside it. */
enum renew_next {
	RN_DONE = 0,		/* nothing more (lease given back) */
	RN_MAXTRIES,		/* alert: too many failures (lease held) */
	RN_ASK,			/* ask the billing hook (lease held) */
	RN_ORDER		/* approved: place the order (lease held) */
};

/*
 * The certificate is due: may a renewal be tried now (failed renewals,
 * backoff)?  RN_ORDER when it may, RN_MAXTRIES, or RN_DONE.  Reads only.
 */
static enum renew_next
renew_checks(struct worker *w, const struct store_cert *c,
    const struct cstate *cs, int emergency)
{
	enum panel_err		 pe;
	char			 obj[64], t[21];
	int64_t			 fails = 0, last = 0, now = time(NULL);
	int64_t			 cap = emergency ? BACKOFF_URGENT : BACKOFF_CAP;

	sw_obj(obj, "certificate", c->id);
	if ((pe = store_renew_failures(w->st, c->id, &fails, &last)) !=
	    PANEL_OK) {
		sw_dberr(w, "counting failed renewals", pe);
		return RN_DONE;
	}
	if (fails + cs->create_fails >= (int64_t)w->sw->cfg->max_tries &&
	    !emergency)
		return RN_MAXTRIES;
	if (fails > 0 && now < last + renew_backoff(c->id, fails, cap)) {
		sw_info(w->sw, "%s: %lld failed renewal(s), backing off until "
		    "%s", obj, (long long)fails,
		    panel_time_iso(last + renew_backoff(c->id, fails, cap), t));
		return RN_DONE;
	}
	/* The emergency override shortens our own backoff, never a CA's
	 * rate-limit time (create_fails stays 0 for those). */
	if (cs->backoff > now && !(emergency && cs->create_fails > 0 &&
	    cs->backoff > now + cap)) {
		sw_info(w->sw, "%s: waiting until %s before the next renewal "
		    "order", obj, panel_time_iso(cs->backoff, t));
		return RN_DONE;
	}
	return RN_ORDER;
}

/*
 * The billing intent of c's cycle, stored (or found) in the caller's
 * transaction: before the hook runs, or, for a free renewal, with the
 * order.  Without a billing hook the renewal is free: the approval and
 * its audit entry go into the same transaction.  RN_DONE when billing
 * declined this cycle (or on a database error), RN_ORDER when approved,
 * RN_ASK when the hook is to be asked.  *b (the caller frees) is the
 * intent, or NULL.
 */
static enum renew_next
renew_intent(struct worker *w, const struct store_cert *c,
    struct store_billing **b)
{
	enum panel_err		 pe;
	char			 obj[64], *key = NULL, *detail;
	int64_t			 now = time(NULL);

	*b = NULL;
	sw_obj(obj, "certificate", c->id);
	if (panel_random_token("ik_", &key) != PANEL_OK)
		return RN_DONE;
	pe = store_billing_intent(w->st, c->id, c->not_after, key, now, b);
	free(key);
	if (pe != PANEL_OK) {
		sw_dberr(w, "storing the billing intent", pe);
		return RN_DONE;
	}
	switch ((*b)->state) {
	case STORE_BILL_DECLINED:
		sw_info(w->sw, "%s: billing declined this cycle; no renewal",
		    obj);
		return RN_DONE;
	case STORE_BILL_APPROVED:
		return RN_ORDER;
	default:
		break;
	}
	if (w->sw->cfg->billing_hook != NULL)
		return RN_ASK;
	/* Free: approved now, in the intent's transaction. */
	if ((detail = strdup("free: no billing hook configured")) == NULL)
		return RN_DONE;
	if ((pe = store_billing_set_state(w->st, (*b)->id,
	    STORE_BILL_APPROVED, detail, 0, now)) != PANEL_OK) {
		sw_dberr(w, "recording the billing answer", pe);
		free(detail);
		return RN_DONE;
	}
	sw_audit(w, "sweep.billing.approved", obj, AUDIT_OK, "key %s, "
	    "attempt %lld: %s", (*b)->idem_key, (long long)(*b)->tries + 1,
	    detail);
	free((*b)->detail);
	(*b)->detail = detail;
	(*b)->state = STORE_BILL_APPROVED;
	return RN_ORDER;
}

/*
 * A free renewal's plan, written with its order (or with its failure)
 * rather than in a transaction of its own before the CA is asked.
 */
struct plan_note {
	int		 write;		/* renew_at changes */
	int64_t		 at;
	const char	*why;
};

static void
plan_write(struct worker *w, const struct store_cert *c,
    const struct plan_note *pn)
{
	enum panel_err	 pe;
	char		 obj[64], t[21];

	if (!pn->write)
		return;
	if ((pe = store_cert_set_renew_at(w->st, c->id, pn->at,
	    time(NULL))) != PANEL_OK)
		sw_dberr(w, "planning a renewal", pe);
	else
		sw_audit(w, "sweep.renew.plan", sw_obj(obj, "certificate",
		    c->id), AUDIT_OK, "renewal at %s (%s)",
		    panel_time_iso(pn->at, t), pn->why);
}

/*
 * What ops_order_create stores with a renewal order, in the same
 * transaction (its stored callback): for a free renewal the plan, the
 * billing intent and its approval first; the intent's link to the order,
 * the audit entry, the certificate's lease given back and the new
 * order's lease taken, so that this worker carries the order on at once.
 * Our lease should have kept everyone else out; if it ran out and
 * another sweep placed an order too, the newer one steps back.
 */
struct placed {
	struct worker			*w;
	const struct store_cert		*c;
	const struct store_billing	*b;	/* NULL: a free renewal */
	struct store_billing		*own;	/* its intent, made here */
	const struct plan_note		*pn;
	struct cstate			*cs;
	int				 cs_dirty;	/* cs to be saved */
	int64_t				 token;		/* the certificate's */
	int64_t				 ntoken;	/* the new order's */
};

static void
placed_cb(void *arg, int64_t nid)
{
	struct placed		*p = arg;
	struct worker		*w = p->w;
	const struct store_cert	*c = p->c;
	enum panel_err		 pe;
	char			 obj[64], nobj[64], *ej;
	int64_t			 n = 0, first = 0, now = time(NULL);

	sw_obj(obj, "certificate", c->id);
	sw_obj(nobj, "order", nid);
	if (p->b == NULL) {
		plan_write(w, c, p->pn);
		if (renew_intent(w, c, &p->own) != RN_ORDER) {
			/* Declined meanwhile: the order is not used. */
			ej = sw_error_json("billing declined this cycle");
			(void)store_order_set_status(w->st, nid,
			    STORE_ORD_CANCELED, ej, 0, now);
			free(ej);
			sw_audit(w, "sweep.renew.order", nobj, AUDIT_FAIL,
			    "canceled: billing declined the renewal of %s",
			    obj);
			goto release;
		}
		p->b = p->own;
	}
	if (p->cs->create_fails != 0 || p->cs->backoff != 0 || p->cs_dirty) {
		p->cs->create_fails = 0;
		p->cs->backoff = 0;
		state_save(w, c->id, p->cs);
	}
	if (SWEEP_KEEP_KEY(w->sw->cfg))
		(void)keep_key(w, c, nid);
	if (store_renew_active(w->st, c->id, &n, &first) == PANEL_OK &&
	    n > 1 && first != nid) {
		ej = sw_error_json("a duplicate renewal order; another sweep's "
		    "order carries the renewal");
		(void)store_order_set_status(w->st, nid, STORE_ORD_CANCELED, ej,
		    0, now);
		free(ej);
		sw_audit(w, "sweep.renew.order", nobj, AUDIT_FAIL, "canceled: "
		    "order %lld already renews %s", (long long)first, obj);
	} else {
		if ((pe = billing_record(w, c, p->token, p->b,
		    STORE_BILL_APPROVED, p->b->detail, nid)) != PANEL_OK &&
		    pe != PANEL_ERR_STALE)
			sw_dberr(w, "linking the renewal order", pe);
		sw_stat(w->sw, STAT_RENEWALS);
		sw_audit(w, "sweep.renew.order", obj, AUDIT_OK, "order %lld "
		    "placed for %s%s%s (billing key %s)", (long long)nid,
		    first_name(c), c->ari_id ? "; replaces " : "",
		    c->ari_id ? c->ari_id : "", p->b->idem_key);
		if (store_order_lease(w->st, nid, w->holder, now,
		    w->sw->cfg->lease_seconds, &p->ntoken) != PANEL_OK)
			p->ntoken = 0;
	}
release:
	if ((pe = store_order_release(w->st, c->order_id, p->token)) !=
	    PANEL_OK && pe != PANEL_ERR_STALE)
		sw_dberr(w, "releasing a certificate's lease", pe);
}

/*
 * Places the renewal order of an approved intent b (NULL: a free renewal,
 * whose plan pn, intent and approval are written with the order) and,
 * when that worked, carries it forward at once under the new order's
 * lease.  The certificate's lease is given back either way.
 */
static void
renew_order(struct worker *w, const struct store_cert *c, int64_t token,
    const struct store_billing *b, const struct plan_note *pn,
    struct cstate *cs, int cs_dirty, int emergency)
{
	struct store_order	*old = NULL;
	struct ops_order_req	 req;
	struct placed		 p;
	struct ops_err		 err;
	enum panel_err		 pe;
	char			 obj[64], t[21];
	int64_t			 nid = 0, now = time(NULL), retry;

	memset(&err, 0, sizeof(err));
	sw_obj(obj, "certificate", c->id);
	if ((pe = store_order_get(w->st, c->order_id, 0, &old)) != PANEL_OK) {
		sw_dberr(w, "reading a certificate's order", pe);
		(void)store_order_release(w->st, c->order_id, token);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.w = w;
	p.c = c;
	p.b = b;
	p.pn = pn;
	p.cs = cs;
	p.cs_dirty = cs_dirty;
	p.token = token;
	memset(&req, 0, sizeof(req));
	req.owner = c->owner;
	req.account_id = c->account_id;		/* the same account */
	req.domains = c->domains;
	req.ndomains = c->ndomains;
	req.key_type = old->key_type;		/* a new key, same type */
	req.challenge_type = old->challenge_type;
	req.autom = 1;				/* nobody clicks for renewals */
	req.auto_renew = 1;
	req.renews = c->id;
	req.replaces = c->ari_id;	/* sent only when ARI is advertised */
	/* The new key goes into the order's row with the order, unless the
	 * configuration keeps the certificate's key. */
	req.with_key = !SWEEP_KEEP_KEY(w->sw->cfg);
	req.stored = placed_cb;
	req.stored_arg = &p;
	if ((pe = ops_order_create(&w->o, &req, &nid, &err)) == PANEL_OK &&
	    nid != 0) {
		if (p.ntoken != 0)
			order_carry(w, nid, p.ntoken);
		goto out;
	}
	retry = sw_problem_retry(&err);
	if (retry > now && sw_problem_is(&err, "rateLimited"))
		cs->backoff = retry;
	else {
		cs->create_fails++;
		cs->backoff = now + (retry > now ? retry - now :
		    renew_backoff(c->id, cs->create_fails, emergency ?
		    BACKOFF_URGENT : BACKOFF_CAP));
	}
	sw_stat(w->sw, STAT_FAILED);
	if (store_begin(w->st) == PANEL_OK) {
		plan_write(w, c, pn);
		state_save(w, c->id, cs);
		sw_audit(w, "sweep.renew.order", obj, AUDIT_FAIL, "%s; next "
		    "attempt after %s", err.msg, panel_time_iso(cs->backoff,
		    t));
		if ((pe = store_order_release(w->st, c->order_id, token)) !=
		    PANEL_OK && pe != PANEL_ERR_STALE)
			sw_dberr(w, "releasing a certificate's lease", pe);
		if ((pe = store_commit(w->st)) != PANEL_OK)
			sw_dberr(w, "recording a failed renewal order", pe);
	} else
		sw_dberr(w, "recording a failed renewal order", PANEL_ERR_BUSY);
out:
	store_billing_free(p.own);
	ops_err_clear(&err);
	store_order_free(old);
}

/* Asks the billing hook about intent b and records its answer.  1 when
 * approved (go on with the order), 0 otherwise. */
static int
renew_ask(struct worker *w, const struct store_cert *c, int64_t token,
    struct store_billing *b, int emergency)
{
	enum store_bill_state	 state;
	enum panel_err		 pe;
	enum bill		 d;
	char			 obj[64], cond[48], t[21], *detail = NULL;
	int			 go = 0;

	sw_obj(obj, "certificate", c->id);
	snprintf(cond, sizeof(cond), "cycle-%lld", (long long)c->not_after);
	/* 2. Ask (again, with the same key). */
	d = billing_ask(w, c, b, emergency, &detail);
	state = d == BILL_APPROVED ? STORE_BILL_APPROVED :
	    d == BILL_DECLINED ? STORE_BILL_DECLINED : STORE_BILL_ERROR;
	/* The answer and its audit entry in one transaction. */
	if ((pe = store_begin(w->st)) != PANEL_OK) {
		sw_dberr(w, "recording the billing answer", pe);
		goto out;
	}
	pe = billing_record(w, c, token, b, state, detail ? detail : "", 0);
	if (pe == PANEL_ERR_STALE) {
		store_rollback(w->st);
		sw_info(w->sw, "%s: lease lost during billing", obj);
		goto out;
	}
	if (pe != PANEL_OK) {
		store_rollback(w->st);
		sw_dberr(w, "recording the billing answer", pe);
		goto out;
	}
	sw_audit(w, d == BILL_APPROVED ? "sweep.billing.approved" :
	    d == BILL_DECLINED ? "sweep.billing.declined" :
	    "sweep.billing.later", obj, d == BILL_APPROVED ? AUDIT_OK :
	    d == BILL_DECLINED ? AUDIT_DENIED : AUDIT_FAIL,
	    "key %s, attempt %lld: %s", b->idem_key,
	    (long long)b->tries + 1, detail ? detail : "");
	if ((pe = store_commit(w->st)) != PANEL_OK) {
		sw_dberr(w, "recording the billing answer", pe);
		goto out;
	}
	if (d == BILL_DECLINED) {
		sw_stat(w->sw, STAT_DECLINED);
		alert_cert(w, c, "billing-declined", cond, "The renewal "
		    "of certificate %lld (%s) was declined by billing; "
		    "it will not be renewed automatically and expires "
		    "at %s. Billing said: %s", (long long)c->id,
		    first_name(c), panel_time_iso(c->not_after, t),
		    detail ? detail : "");
		goto out;
	}
	if (d == BILL_LATER) {
		sw_stat(w->sw, STAT_LATER);
		goto out;
	}
	free(b->detail);
	b->detail = detail;
	detail = NULL;
	go = 1;
out:
	free(detail);
	return go;
}

/*
 * Under the lease of the certificate's order, taken in the same
 * transaction as everything decided from the store: the plan and, when
 * the renewal is due, the billing intent.  Hooks and the CA come after
 * that transaction; each of their outcomes is written in one more.
 */
void
renew_process(struct worker *w, const struct store_cert *cand)
{
	struct store_cert	*c = NULL;
	struct store_billing	*b = NULL;
	struct plan_note	 pn;
	struct cstate		 cs;
	enum renew_next		 next = RN_DONE;
	enum panel_err		 pe;
	const char		*why = "";
	char			 obj[64], t[21], cond[48];
	int64_t			 now = time(NULL), token = 0, planned, n = 0;
	int64_t			 first = 0, fails = 0, last = 0;
	int			 ari_due, emergency, due, held = 0, free_ = 0;
	int			 cs_dirty = 0;

	memset(&pn, 0, sizeof(pn));
	/* A cheap look first, without the lease. */
	state_load(w->st, cand->id, &cs);
	ari_due = cand->ari_id != NULL && cs.ari_next <= now;
	planned = plan(w->sw, cand, &cs, &why);
	emergency = now >= emergency_at(cand);
	due = now >= planned;
	if (!ari_due && !due && !emergency && cand->renew_at == planned)
		return;
	if (cand->order_id == 0)
		return;
	sw_obj(obj, "certificate", cand->id);
	if ((pe = store_begin(w->st)) != PANEL_OK) {
		sw_dberr(w, "taking a certificate's lease", pe);
		return;
	}
	pe = store_order_lease(w->st, cand->order_id, w->holder, now,
	    w->sw->cfg->lease_seconds, &token);
	if (pe != PANEL_OK) {
		store_rollback(w->st);
		if (pe != PANEL_ERR_BUSY)
			sw_dberr(w, "taking a certificate's lease", pe);
		return;
	}
	held = 1;
	/* Under the lease, everything again from the store. */
	if ((pe = store_cert_get(w->st, cand->id, 0, &c)) != PANEL_OK ||
	    c->status != STORE_CERT_VALID)
		goto release;
	if ((pe = store_renew_active(w->st, c->id, &n, &first)) != PANEL_OK ||
	    n > 0)
		goto release;
	state_load(w->st, c->id, &cs);
	if (c->ari_id != NULL && cs.ari_next <= now &&
	    ops_ari_known(&w->o, c->account_id) == 0) {
		/* The CA's directory, read before, offers no renewalInfo:
		 * nothing to ask it.  Saved below, or with the order. */
		ari_none(w, c, &cs, now);
		cs_dirty = 1;
	} else if (c->ari_id != NULL && cs.ari_next <= now) {
		/* The CA is asked outside the transaction; the lease stays. */
		if ((pe = store_commit(w->st)) != PANEL_OK) {
			sw_dberr(w, "taking a certificate's lease", pe);
			goto out;
		}
		ari_refresh(w, c, &cs);
		if ((pe = store_begin(w->st)) != PANEL_OK) {
			sw_dberr(w, "saving a renewal plan", pe);
			goto out;
		}
		state_save(w, c->id, &cs);
	}
	planned = plan(w->sw, c, &cs, &why);
	pn.write = c->renew_at != planned;
	pn.at = planned;
	pn.why = why;
	now = time(NULL);
	emergency = now >= emergency_at(c);
	if (now >= planned || emergency) {
		sw_info(w->sw, "%s: renewal due (%s%s)", obj, why,
		    emergency ? ", emergency: close to expiry" : "");
		next = renew_checks(w, c, &cs, emergency);
		/* A free renewal writes its plan, intent and approval with
		 * its order: this transaction keeps only the lease.  With a
		 * billing hook the intent is stored before the hook runs. */
		free_ = w->sw->cfg->billing_hook == NULL;
		if (next == RN_ORDER && !free_)
			next = renew_intent(w, c, &b);
	}
	if (!(next == RN_ORDER && free_)) {
		plan_write(w, c, &pn);
		pn.write = 0;
		if (cs_dirty)
			state_save(w, c->id, &cs);
		cs_dirty = 0;
	}
	if (next != RN_DONE) {
		/* The lease stays with this worker for what comes next. */
		if ((pe = store_commit(w->st)) != PANEL_OK) {
			sw_dberr(w, "storing the billing intent", pe);
			goto out;
		}
		goto act;
	}
release:
	if ((pe = store_order_release(w->st, cand->order_id, token)) !=
	    PANEL_OK && pe != PANEL_ERR_STALE)
		sw_dberr(w, "releasing a certificate's lease", pe);
	if ((pe = store_commit(w->st)) != PANEL_OK)
		sw_dberr(w, "planning a renewal", pe);
	held = 0;
	goto out;
act:
	switch (next) {
	case RN_MAXTRIES:
		(void)store_renew_failures(w->st, c->id, &fails, &last);
		snprintf(cond, sizeof(cond), "cycle-%lld",
		    (long long)c->not_after);
		alert_cert(w, c, "renew-failed", cond, "Renewing certificate "
		    "%lld (%s) failed %lld times; the sweep stops trying until "
		    "the last days before expiry (%s).", (long long)c->id,
		    first_name(c), (long long)(fails + cs.create_fails),
		    panel_time_iso(emergency_at(c), t));
		break;
	case RN_ASK:
		if (!renew_ask(w, c, token, b, emergency))
			break;
		/* FALLTHROUGH */
	case RN_ORDER:
		/* 3. Approved: the renewal order, which gives the lease back. */
		renew_order(w, c, token, b, &pn, &cs, cs_dirty, emergency);
		held = 0;
		break;
	default:
		break;
	}
out:
	if (held && (pe = store_order_release(w->st, cand->order_id,
	    token)) != PANEL_OK && pe != PANEL_ERR_STALE)
		sw_dberr(w, "releasing a certificate's lease", pe);
	store_billing_free(b);
	store_cert_free(c);
}

void
renew_dry(struct sweep *sw, struct store *st, const struct store_cert *c)
{
	struct cstate	 cs;
	const char	*why = "";
	char		 t1[21], t2[21];
	int64_t		 now = time(NULL), planned;
	int		 emergency;

	state_load(st, c->id, &cs);
	planned = plan(sw, c, &cs, &why);
	emergency = now >= emergency_at(c);
	printf("certificate %lld (%s%s, expires %s): renewal %s %s (%s)",
	    (long long)c->id, c->ndomains ? c->domains[0] : "",
	    c->ndomains > 1 ? ", ..." : "", panel_time_iso(c->not_after, t1),
	    now >= planned ? "was due at" : "planned at",
	    panel_time_iso(planned, t2), why);
	if (c->ari_id != NULL && cs.ari_next <= now)
		printf("; would ask the CA's renewalInfo first");
	if (now >= planned || emergency)
		printf("; would %s and place a renewal order%s",
		    sw->cfg->billing_hook ? "ask the billing hook (unless "
		    "this cycle was answered)" : "renew (no billing hook)",
		    emergency ? " (emergency: close to expiry)" : "");
	printf("\n");
}
