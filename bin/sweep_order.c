/*
 * Carrying orders forward (RFC 8555 7.1.6), always from the CA's current
 * state: every step re-reads the order from the CA before acting on it
 * (ops_order_refresh, ops_order_finalize, or a poll here), never a
 * stored row.  A sweep holds the order's lease while it works; every
 * write carries the lease's fencing token, so a sweep whose lease ran
 * out (it was stopped, or too slow) cannot overwrite its successor.
 *
 *   pending     respond to our challenge of each pending authorization:
 *               http-01 through the panel's own responder, dns-01 after
 *               the DNS hook; ops' self-check (the propagation check for
 *               dns-01) runs first and a failure costs no CA validation
 *   ready       finalize (ops_order_finalize: CSR, wait, download, store)
 *   processing  poll, honouring the CA's Retry-After
 *   valid       download and store the certificate, then the deploy hook
 *   invalid     record the CA's problem, alert; renewals are retried by
 *               sweep_renew.c with backoff
 *
 * A step that fails (network, CA error, self-check) is retried with
 * exponential backoff and jitter (store_order_retry counts the tries);
 * after max_tries the order is given up and alerted.  Waits the CA asks
 * for (Retry-After, rate limits, a validation in progress) are not
 * failures: store_order_defer moves the next attempt without a try.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sweep.h"

#define STEPS_MAX	8		/* steps per order per sweep */
#define WAIT_VALIDATION	5		/* s, a challenge being validated */
#define WAIT_PROCESSING	10		/* s, issuance without Retry-After */
#define WAIT_MANUAL_DNS	300		/* s, dns-01 left to the user */
#define WAIT_NOTREADY	10		/* s, "ready" yet orderNotReady */
#define BACKOFF_CAP	(6 * 3600)	/* s */
#define ALERT_AFTER	3		/* failed tries before an alert */
#define PARKED		(30 * SWEEP_DAY) /* a valid order given up */

enum step {
	STEP_DONE = 0,		/* nothing more this sweep */
	STEP_AGAIN		/* the status moved: look again */
};

/* One order being worked on under its lease. */
struct job {
	struct worker		*w;
	int64_t			 id;
	int64_t			 token;
	time_t			 leased;
	char			 obj[64];
	int			 gave_up;
	int			 fresh;	/* placed by this worker just now: its
					   authorizations were read then */
	int			 counted; /* its new certificate's stats and
					   audit entry are written */
	int			 released; /* the lease was given back */
	struct store_order	*so;	/* the row, re-read at each step */
};

/* Re-reads the row.  0, or -1 when it is gone or the lease was lost. */
static int
reload(struct job *j)
{
	enum panel_err	 pe;
	int		 snap;

	store_order_free(j->so);
	j->so = NULL;
	snap = store_read_begin(j->w->st);
	pe = store_order_get(j->w->st, j->id, 0, &j->so);
	store_read_end(j->w->st, snap);
	if (pe != PANEL_OK) {
		if (pe != PANEL_ERR_NOTFOUND)
			sw_dberr(j->w, "reading an order", pe);
		return -1;
	}
	if (j->so->lease_token != j->token) {
		sw_info(j->w->sw, "%s: lease taken over by %s", j->obj,
		    j->so->lease_owner ? j->so->lease_owner : "another sweep");
		return -1;
	}
	return 0;
}

/* Moves the next attempt to `at` without counting a try. */
static void
defer(struct job *j, int64_t at, const char *why)
{
	char		 t[21];
	enum panel_err	 pe;

	if ((pe = store_order_defer(j->w->st, j->id, at, j->token)) !=
	    PANEL_OK) {
		if (pe != PANEL_ERR_STALE)
			sw_dberr(j->w, "deferring an order", pe);
		return;
	}
	sw_stat(j->w->sw, STAT_WAITING);
	sw_info(j->w->sw, "%s: %s; next look at %s", j->obj, why,
	    panel_time_iso((time_t)at, t));
}

/* Runs the DNS hook for one dns-01 challenge.  0 when it succeeded. */
static int
dns_hook(struct job *j, const struct store_authz *a,
    const struct store_challenge *c, int present)
{
	struct hook_env		 env;
	struct hook_result	*r;
	const char		*args[4];
	char			 fqdn[300], obj[64], *how = NULL;
	const char		*action = present ? "present" : "cleanup";
	int			 ok;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	memset(&env, 0, sizeof(env));
	snprintf(fqdn, sizeof(fqdn), "%s.", c->dns_name);
	hook_env_add(&env, "ACME_EVENT", "dns-%s", action);
	hook_env_add(&env, "ACME_DNS_NAME", "%s", c->dns_name);
	hook_env_add(&env, "ACME_DNS_VALUE", "%s", c->dns_value);
	hook_env_add(&env, "ACME_IDENTIFIER", "%s", a->identifier);
	hook_env_add(&env, "ACME_CHALLENGE_ID", "%lld", (long long)c->id);
	hook_env_order(j->w, &env, j->so);
	args[0] = action;
	args[1] = fqdn;
	args[2] = c->dns_value;
	args[3] = NULL;
	if (hook_run(j->w->sw->cfg->dns_hook, args, &env, NULL, 0,
	    j->w->sw->cfg->hook_timeout, r) == -1)
		sw_stat(j->w->sw, STAT_ERRORS);
	ok = r->end == HOOK_EXITED && r->code == 0;
	how = hook_describe(r);
	sw_audit(j->w, present ? "sweep.dns.present" : "sweep.dns.cleanup",
	    sw_obj(obj, "challenge", c->id), ok ? AUDIT_OK : AUDIT_FAIL,
	    "%s %s: %s", c->dns_name, c->dns_value, how ? how : "");
	if (ok)
		store_event_add(j->w->st, j->id, present ? "dns-present" :
		    "dns-cleanup", c->dns_name, time(NULL));
	free(how);
	free(r);
	hook_env_free(&env);
	return ok ? 0 : -1;
}

/* Removes the DNS records this order's hook put up, once the order has
 * left pending (or was given up). */
static void
dns_cleanup(struct job *j)
{
	struct store_event_list	*ev = NULL;
	size_t			 i, k;
	int			 presented = 0, cleaned = 0;

	if (j->w->sw->cfg->dns_hook == NULL ||
	    j->so->challenge_type != ACME_CH_DNS01)
		return;
	if (store_event_list(j->w->st, j->id, &ev) != PANEL_OK)
		return;
	for (i = 0; i < ev->n; i++) {
		if (strcmp(ev->v[i].what, "dns-present") == 0)
			presented = 1;
		else if (strcmp(ev->v[i].what, "dns-cleanup") == 0)
			cleaned = 1;
	}
	store_event_list_free(ev);
	if (!presented || cleaned)
		return;
	for (i = 0; i < j->so->nauthz; i++)
		for (k = 0; k < j->so->authz[i].nch; k++)
			if (j->so->authz[i].ch[k].type == ACME_CH_DNS01 &&
			    j->so->authz[i].ch[k].dns_name != NULL)
				(void)dns_hook(j, &j->so->authz[i],
				    &j->so->authz[i].ch[k], 0);
}

/*
 * Stops working on the order: invalid, with our reason.  An order the CA
 * calls valid (its certificate would not download or store) keeps its
 * status and is parked for a month instead.
 */
static void
give_up(struct job *j, const char *why)
{
	struct alert	 a;
	char		*ej = NULL, *msg = NULL, *d;
	enum panel_err	 pe;
	int64_t		 now = time(NULL);

	if (asprintf(&msg, "Gave up on order %lld (%s): %s", (long long)j->id,
	    j->so->ndomains ? j->so->domains[0] : "", why) < 0)
		return;
	ej = sw_error_json(msg);
	if (j->so->status == STORE_ORD_VALID)
		pe = store_order_retry(j->w->st, j->id, now + PARKED, ej,
		    j->token, now);
	else
		pe = store_order_set_status(j->w->st, j->id, STORE_ORD_INVALID,
		    ej, j->token, now);
	if (pe == PANEL_OK) {
		j->gave_up = 1;
		store_event_add(j->w->st, j->id, "given up", why, time(NULL));
		sw_audit(j->w, "sweep.order.give-up", j->obj, AUDIT_FAIL, "%s",
		    msg);
		memset(&a, 0, sizeof(a));
		a.kind = "order-failed";
		a.object = j->obj;
		a.cond = "";
		d = sw_join(j->so->domains, j->so->ndomains, ", ");
		a.subject = d != NULL ? d : "";
		a.message = msg;
		a.order = j->so;
		(void)alert_send(j->w, &a);
		free(d);
		dns_cleanup(j);
	} else if (pe != PANEL_ERR_STALE)
		sw_dberr(j->w, "giving up an order", pe);
	free(ej);
	free(msg);
}

/*
 * A failed step: retry later.  A CA rate limit (or any problem with a
 * Retry-After) waits until the CA's time without counting a try; other
 * failures count one and back off exponentially, or retry after `soon`
 * seconds when that is not 0.
 */
static void
fail_soon(struct job *j, const struct ops_err *err, const char *what,
    int64_t soon)
{
	struct alert	 a;
	char		 t[21], cond[32], *ej = NULL, *msg = NULL, *d;
	int64_t		 now = time(NULL), at, tries = j->so->tries + 1;
	enum panel_err	 pe;

	at = sw_problem_retry(err);
	if (at > now && sw_problem_is(err, "rateLimited")) {
		sw_audit(j->w, "sweep.order.wait", j->obj, AUDIT_FAIL,
		    "%s: %s; the CA asks to wait until %s", what, err->msg,
		    panel_time_iso((time_t)at, t));
		defer(j, at, "rate limited by the CA");
		return;
	}
	if (tries >= (int64_t)j->w->sw->cfg->max_tries) {
		if (asprintf(&msg, "%s failed %lld times; the last time: %s",
		    what, (long long)tries, err->msg) >= 0)
			give_up(j, msg);
		free(msg);
		return;
	}
	if (at <= now)
		at = now + (soon > 0 ? soon : sw_backoff(tries, BACKOFF_CAP));
	ej = err->problem != NULL ? strdup(err->problem) :
	    sw_error_json(err->msg);
	pe = store_order_retry(j->w->st, j->id, at, ej, j->token, now);
	free(ej);
	if (pe != PANEL_OK) {
		if (pe != PANEL_ERR_STALE)
			sw_dberr(j->w, "recording a retry", pe);
		return;
	}
	sw_stat(j->w->sw, STAT_FAILED);
	sw_audit(j->w, "sweep.order.retry", j->obj, AUDIT_FAIL,
	    "%s: %s; try %lld of %u, next at %s", what, err->msg,
	    (long long)tries, j->w->sw->cfg->max_tries,
	    panel_time_iso((time_t)at, t));
	if (tries == ALERT_AFTER) {
		snprintf(cond, sizeof(cond), "tries-%d", ALERT_AFTER);
		if (asprintf(&msg, "Order %lld has failed %lld times in a row "
		    "and will be retried until %u tries: %s", (long long)j->id,
		    (long long)tries, j->w->sw->cfg->max_tries, err->msg) < 0)
			return;
		d = sw_join(j->so->domains, j->so->ndomains, ", ");
		memset(&a, 0, sizeof(a));
		a.kind = "order-failing";
		a.object = j->obj;
		a.cond = cond;
		a.subject = d != NULL ? d : "";
		a.message = msg;
		a.order = j->so;
		(void)alert_send(j->w, &a);
		free(d);
		free(msg);
	}
}

static void
fail(struct job *j, const struct ops_err *err, const char *what)
{
	fail_soon(j, err, what, 0);
}

/* A failure of the sweep's own, as an ops_err for fail(). */
static void
fail_msg(struct job *j, const char *what, const char *msg)
{
	struct ops_err	 e;

	memset(&e, 0, sizeof(e));
	snprintf(e.msg, sizeof(e.msg), "%s", msg);
	fail(j, &e, what);
}

/* The CA says invalid: keep its problem (ops already stored it), tell
 * the owner once. */
static void
on_invalid(struct job *j)
{
	struct alert	 a;
	json_t		*p = NULL;
	const char	*detail = NULL;
	char		*msg = NULL, *d;

	if (j->so->error != NULL &&
	    (p = json_loads(j->so->error, 0, NULL)) != NULL)
		detail = json_string_value(json_object_get(p, "detail"));
	if (detail == NULL)
		detail = "no reason given";
	sw_audit(j->w, "sweep.order.invalid", j->obj, AUDIT_FAIL,
	    "the CA marked the order invalid: %s%s", detail,
	    j->so->renews ? "; the renewal will be retried" : "");
	if (asprintf(&msg, "The CA marked order %lld invalid: %s.%s",
	    (long long)j->id, detail, j->so->renews ? " The renewal will be "
	    "retried with backoff." : " Check the names and order again.") >=
	    0) {
		d = sw_join(j->so->domains, j->so->ndomains, ", ");
		memset(&a, 0, sizeof(a));
		a.kind = "order-failed";
		a.object = j->obj;
		a.cond = "";
		a.subject = d != NULL ? d : "";
		a.message = msg;
		a.order = j->so;
		(void)alert_send(j->w, &a);
		free(d);
		free(msg);
	}
	json_decref(p);
	dns_cleanup(j);
}

/* The deploy hook failed: try again later with backoff, alert once. */
static void
deploy_failed(struct job *j, const struct store_cert *c, const char *how)
{
	struct alert	 a;
	char		 obj[64], *msg = NULL, *ej, *d;
	int64_t		 now = time(NULL), tries = j->so->tries + 1;

	sw_stat(j->w->sw, STAT_FAILED);
	if (asprintf(&msg, "The deploy hook failed for certificate %lld (%s): "
	    "%s. It runs again at a later sweep.", (long long)c->id,
	    c->ndomains ? c->domains[0] : "", how ? how : "") < 0)
		return;
	ej = sw_error_json(msg);
	(void)store_order_retry(j->w->st, j->id, now + sw_backoff(tries,
	    BACKOFF_CAP), ej, j->token, now);
	free(ej);
	d = sw_join(c->domains, c->ndomains, ", ");
	memset(&a, 0, sizeof(a));
	a.kind = "deploy-failed";
	a.object = sw_obj(obj, "certificate", c->id);
	a.cond = "";
	a.subject = d != NULL ? d : "";
	a.message = msg;
	a.cert = c;
	(void)alert_send(j->w, &a);
	free(d);
	free(msg);
}

/* Runs the deploy hook for certificate cert_id of the order: the chain
 * and the key are handed over as /dev/fd/3 and /dev/fd/4. */
static void
deploy(struct job *j, int64_t cert_id)
{
	struct store_cert	*c = NULL;
	struct hook_env		 env;
	struct hook_result	*r = NULL;
	struct ops_err		 err;
	const char		*args[2] = { "deploy", NULL };
	char			 obj[64], *pem = NULL, *how = NULL;
	size_t			 len = 0;
	int			 fds[2] = { -1, -1 }, ok;

	memset(&env, 0, sizeof(env));
	memset(&err, 0, sizeof(err));
	sw_obj(obj, "certificate", cert_id);
	if (store_cert_get(j->w->st, cert_id, 0, &c) != PANEL_OK ||
	    c->status != STORE_CERT_VALID)
		goto out;
	if (ops_cert_key(&j->w->o, cert_id, 0, &pem, &len, &err) !=
	    PANEL_OK) {
		sw_audit(j->w, "sweep.deploy", obj, AUDIT_FAIL, "%s", err.msg);
		goto out;
	}
	if ((fds[0] = hook_memfd("chain", c->chain_pem,
	    strlen(c->chain_pem))) == -1 ||
	    (fds[1] = hook_memfd("key", pem, len)) == -1 ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		sw_warn(j->w->sw, "%s: no memory file for the deploy hook",
		    obj);
		sw_stat(j->w->sw, STAT_ERRORS);
		goto out;
	}
	hook_env_add(&env, "ACME_EVENT", "deploy");
	hook_env_cert(j->w, &env, c);
	hook_env_add(&env, "ACME_ORDER_ID", "%lld", (long long)j->id);
	hook_env_add(&env, "ACME_CHAIN_FILE", "/dev/fd/3");
	hook_env_add(&env, "ACME_KEY_FILE", "/dev/fd/4");
	if (j->so->renews)
		hook_env_add(&env, "ACME_RENEWED_CERT_ID", "%lld",
		    (long long)j->so->renews);
	if (hook_run(j->w->sw->cfg->deploy_hook, args, &env, fds, 2,
	    j->w->sw->cfg->hook_timeout, r) == -1)
		sw_stat(j->w->sw, STAT_ERRORS);
	ok = r->end == HOOK_EXITED && r->code == 0;
	how = hook_describe(r);
	sw_audit(j->w, "sweep.deploy", obj, ok ? AUDIT_OK : AUDIT_FAIL, "%s",
	    how ? how : "");
	if (ok) {
		store_event_add(j->w->st, j->id, "deployed", how, time(NULL));
		sw_stat(j->w->sw, STAT_DEPLOYED);
		/* A past deploy failure's error goes. */
		if (j->so->error != NULL)
			(void)store_order_set_status(j->w->st, j->id,
			    STORE_ORD_VALID, NULL, j->token, time(NULL));
	} else
		deploy_failed(j, c, how);
out:
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
	crypt_wipe_free(pem, len);
	ops_err_clear(&err);
	hook_env_free(&env);
	free(how);
	free(r);
	store_cert_free(c);
}

/* The order is valid and its certificate cert_id stored. */
static void
on_valid(struct job *j, int64_t cert_id, int fresh)
{
	char	 obj[64];

	if (fresh && !j->counted) {
		sw_stat(j->w->sw, STAT_CERTS);
		if (j->so->renews)
			sw_audit(j->w, "sweep.renew.done",
			    sw_obj(obj, "certificate", j->so->renews),
			    AUDIT_OK, "replaced by certificate %lld "
			    "(order %lld)", (long long)cert_id,
			    (long long)j->id);
	}
	dns_cleanup(j);
	if (j->w->sw->cfg->deploy_hook != NULL)
		deploy(j, cert_id);
}

/* 1 when the order needs more after its certificate is stored: the
 * deploy hook, or DNS records the DNS hook put up. */
static int
after_work(const struct job *j)
{
	return j->w->sw->cfg->deploy_hook != NULL ||
	    (j->w->sw->cfg->dns_hook != NULL &&
	    j->so->challenge_type == ACME_CH_DNS01);
}

/*
 * Inside the transaction in which ops stores certificate cid: the
 * renewal's audit entry and, when nothing is left to do for the order,
 * its lease given back, rather than one more transaction each.
 */
static void
stored_cb(void *arg, int64_t cid)
{
	struct job	*j = arg;
	char		 obj[64];
	enum panel_err	 pe;

	if (j->so->renews)
		sw_audit(j->w, "sweep.renew.done", sw_obj(obj, "certificate",
		    j->so->renews), AUDIT_OK, "replaced by certificate %lld "
		    "(order %lld)", (long long)cid, (long long)j->id);
	j->counted = 1;
	if (!after_work(j)) {
		if ((pe = store_order_release(j->w->st, j->id, j->token)) ==
		    PANEL_OK)
			j->released = 1;
		else if (pe != PANEL_ERR_STALE)
			sw_dberr(j->w, "releasing an order's lease", pe);
	}
}

/*
 * Finalizes a ready order, or downloads a valid one's certificate; with
 * wait, a pending one (its challenges just answered) is waited for that
 * many seconds first.
 */
static enum step
step_finalize(struct job *j, unsigned wait)
{
	struct ops_err	 err;
	enum panel_err	 pe;
	int64_t		 cid = 0, had = j->so->certificate_id;

	memset(&err, 0, sizeof(err));
	pe = ops_order_complete(&j->w->o, j->id, j->token, wait, j->fresh,
	    stored_cb, j, &cid, &err);
	if (pe == PANEL_OK && cid > 0) {
		/* Counted once the transaction is done. */
		if (j->counted)
			sw_stat(j->w->sw, STAT_CERTS);
		if (!j->released && reload(j) == 0)
			on_valid(j, cid, had == 0);
		ops_err_clear(&err);
		return STEP_DONE;
	}
	/* The transaction that stored nothing wrote nothing of ours. */
	j->counted = 0;
	j->released = 0;
	if (pe == PANEL_ERR_STALE) {
		ops_err_clear(&err);
		return STEP_DONE;
	}
	/* Not ready after all (orderNotReady, or still processing): ops
	 * wrote the CA's status; carry on from there. */
	if (pe == PANEL_ERR_INVALID && strcmp(err.code, "order_state") == 0 &&
	    reload(j) == 0 && store_ord_active(j->so->status) &&
	    j->so->status != STORE_ORD_READY) {
		sw_info(j->w->sw, "%s: not ready at the CA: %s now", j->obj,
		    store_ord_status_name(j->so->status));
		ops_err_clear(&err);
		return STEP_AGAIN;
	}
	/* The CA said orderNotReady yet still calls it ready: a passing
	 * inconsistency, so look again soon (counting a try). */
	if (pe == PANEL_ERR_INVALID && strcmp(err.code, "order_state") == 0 &&
	    j->so != NULL && j->so->lease_token == j->token &&
	    j->so->status == STORE_ORD_READY) {
		fail_soon(j, &err, "finalizing (the CA said the order is not "
		    "ready)", WAIT_NOTREADY);
		ops_err_clear(&err);
		return STEP_DONE;
	}
	/* Invalid at the CA: order_process's end reports it. */
	if (j->so != NULL && j->so->lease_token == j->token &&
	    j->so->status != STORE_ORD_INVALID)
		fail(j, &err, "finalizing");
	ops_err_clear(&err);
	return STEP_DONE;
}

/* Processing: ask the CA, honouring its Retry-After.  A peek writes
 * nothing; once the order has moved, ops writes the CA's state down. */
static enum step
step_processing(struct job *j)
{
	struct ops_err		 err;
	enum acme_status	 status;
	enum step		 s = STEP_DONE;
	char			 why[64];
	unsigned		 retry = 0;
	int64_t			 wait;

	memset(&err, 0, sizeof(err));
	if (ops_order_peek(&j->w->o, j->id, 0, &status, &retry, &err) !=
	    PANEL_OK) {
		fail(j, &err, "polling");
		goto out;
	}
	if (status == ACME_S_PROCESSING) {
		wait = retry > 0 ? (int64_t)retry : WAIT_PROCESSING;
		snprintf(why, sizeof(why), "the CA is issuing (Retry-After "
		    "%lld s)", (long long)wait);
		defer(j, time(NULL) + wait, why);
		goto out;
	}
	if (status == ACME_S_VALID) {
		/* Issued: ops stores the certificate and the "valid" status
		 * in one transaction, so download it now. */
		s = step_finalize(j, 0);
		goto out;
	}
	/* It moved: let ops write the CA's state down, then carry on. */
	if (ops_order_refresh(&j->w->o, j->id, 0, j->token, &err) == PANEL_OK)
		s = STEP_AGAIN;
	else
		fail(j, &err, "reading the order");
out:
	ops_err_clear(&err);
	return s;
}

/* The challenge of type t in authorization a, or NULL. */
static const struct store_challenge *
our_challenge(const struct store_authz *a, enum acme_chtype t)
{
	size_t	 i;

	for (i = 0; i < a->nch; i++)
		if (a->ch[i].type == t)
			return &a->ch[i];
	return NULL;
}

/* Pending: respond to each pending challenge we can satisfy. */
static enum step
step_pending(struct job *j)
{
	const struct store_challenge	*c;
	struct store_challenge		*now_c = NULL;
	const struct store_authz	*a;
	struct ops_err			 err;
	enum panel_err			 pe;
	char				 msg[512];
	size_t				 i;
	int				 responded = 0, waiting = 0, manual;

	memset(&err, 0, sizeof(err));
	/* An order this worker placed a moment ago was read from the CA
	 * then, authorizations and all: no second read before answering. */
	if (!j->fresh && (pe = ops_order_refresh(&j->w->o, j->id, 0,
	    j->token, &err)) != PANEL_OK) {
		if (pe != PANEL_ERR_STALE)
			fail(j, &err, "reading the order");
		ops_err_clear(&err);
		return STEP_DONE;
	}
	j->fresh = 0;
	if (reload(j) == -1)
		return STEP_DONE;
	if (j->so->status != STORE_ORD_PENDING)
		return STEP_AGAIN;
	manual = j->so->challenge_type == ACME_CH_DNS01 &&
	    j->w->sw->cfg->dns_hook == NULL;
	for (i = 0; i < j->so->nauthz; i++) {
		a = &j->so->authz[i];
		if (a->status != ACME_S_PENDING)
			continue;
		if ((c = our_challenge(a, j->so->challenge_type)) == NULL) {
			snprintf(msg, sizeof(msg), "the CA offers no %s "
			    "challenge for %s", acme_chtype_name(
			    j->so->challenge_type), a->identifier);
			give_up(j, msg);
			return STEP_DONE;
		}
		if (c->status == ACME_S_PROCESSING) {
			waiting++;
			continue;
		}
		if (c->status != ACME_S_PENDING)
			continue;
		if (c->type == ACME_CH_DNS01 && !manual &&
		    dns_hook(j, a, c, 1) == -1) {
			fail_msg(j, "DNS hook", "the DNS hook failed (see the "
			    "audit log)");
			return STEP_DONE;
		}
		ops_err_clear(&err);
		pe = ops_challenge_respond_only(&j->w->o, c->id, 0, 0,
		    j->token, &err);
		if (pe == PANEL_OK) {
			responded++;
			continue;
		}
		if (pe == PANEL_ERR_STALE)
			break;
		/* Did the CA get the response (the refresh after it may
		 * be what failed)? */
		if (store_challenge_get(j->w->st, c->id, 0, &now_c) ==
		    PANEL_OK && now_c->status != ACME_S_PENDING) {
			store_challenge_free(now_c);
			now_c = NULL;
			responded++;
			continue;
		}
		store_challenge_free(now_c);
		now_c = NULL;
		if (manual && strcmp(err.code, "self_check") == 0) {
			snprintf(msg, sizeof(msg), "waiting for the TXT record "
			    "at %s (no DNS hook: the owner creates it)",
			    c->dns_name);
			defer(j, time(NULL) + WAIT_MANUAL_DNS, msg);
		} else
			fail(j, &err, strcmp(err.code, "self_check") == 0 ?
			    "self-check" : "responding to the challenge");
		ops_err_clear(&err);
		return STEP_DONE;
	}
	ops_err_clear(&err);
	if (responded > 0) {
		/* The sweep serves no validator: it can wait here for the
		 * CA to decide (polling the order, first at once, then
		 * after 40 ms, 80 ms, ... or the CA's Retry-After), and
		 * finalize at once. */
		if (reload(j) == -1)
			return STEP_DONE;
		return step_finalize(j, WAIT_VALIDATION);
	}
	if (reload(j) == -1)
		return STEP_DONE;
	if (j->so->status != STORE_ORD_PENDING)
		return STEP_AGAIN;
	defer(j, time(NULL) + WAIT_VALIDATION, waiting ?
	    "the CA is validating" : "waiting for the CA");
	return STEP_DONE;
}

/* Carries job j (its lease held) as far as the CA lets it now, then
 * gives the lease back. */
static void
order_run(struct job *j)
{
	struct worker		*w = j->w;
	struct sweep		*sw = w->sw;
	enum store_ord_status	 first = STORE_ORD_NEW;
	enum panel_err		 pe;
	enum step		 s = STEP_AGAIN;
	int			 n;

	sw_stat(sw, STAT_ORDERS);
	for (n = 0; n < STEPS_MAX && s == STEP_AGAIN; n++) {
		if (reload(j) == -1)
			break;
		if (n == 0)
			first = j->so->status;
		if (!store_ord_active(j->so->status))
			break;
		/* Leave a margin: a step must end inside the lease. */
		if (time(NULL) - j->leased > (time_t)sw->cfg->lease_seconds / 2)
			break;
		sw_info(sw, "%s: %s", j->obj,
		    store_ord_status_name(j->so->status));
		if (j->so->order_url == NULL) {
			give_up(j, "the order was never placed with the CA");
			break;
		}
		switch (j->so->status) {
		case STORE_ORD_PENDING:
			s = step_pending(j);
			break;
		case STORE_ORD_READY:
			s = step_finalize(j, 0);
			break;
		case STORE_ORD_PROCESSING:
			s = step_processing(j);
			break;
		default:
			s = STEP_DONE;
			break;
		}
		j->fresh = 0;
		if (j->released)
			break;
	}
	if (j->released) {
		/* Stored with its certificate, lease given back. */
		if (first != STORE_ORD_VALID)
			sw_stat(sw, STAT_ADVANCED);
		store_order_free(j->so);
		j->so = NULL;
		return;
	}
	/* Where did it end? */
	if (j->so != NULL && j->so->lease_token == j->token &&
	    reload(j) == 0) {
		if (j->so->status != first)
			sw_stat(sw, STAT_ADVANCED);
		if (j->so->status == STORE_ORD_INVALID && !j->gave_up)
			on_invalid(j);
		else if (j->so->status == STORE_ORD_VALID &&
		    j->so->certificate_id == 0)
			(void)step_finalize(j, 0);
		else if (!store_ord_active(j->so->status))
			dns_cleanup(j);
	}
	if ((pe = store_order_release(w->st, j->id, j->token)) != PANEL_OK &&
	    pe != PANEL_ERR_STALE)
		sw_dberr(w, "releasing an order's lease", pe);
	store_order_free(j->so);
	j->so = NULL;
}

void
order_process(struct worker *w, int64_t id)
{
	struct job	 j;
	enum panel_err	 pe;

	memset(&j, 0, sizeof(j));
	j.w = w;
	j.id = id;
	sw_obj(j.obj, "order", id);
	j.leased = time(NULL);
	pe = store_order_lease(w->st, id, w->holder, j.leased,
	    w->sw->cfg->lease_seconds, &j.token);
	if (pe == PANEL_ERR_BUSY)
		return;		/* another sweep has it */
	if (pe != PANEL_OK) {
		sw_dberr(w, "taking an order's lease", pe);
		return;
	}
	order_run(&j);
}

void
order_carry(struct worker *w, int64_t id, int64_t token)
{
	struct job	 j;

	memset(&j, 0, sizeof(j));
	j.w = w;
	j.id = id;
	j.token = token;
	j.fresh = 1;
	sw_obj(j.obj, "order", id);
	j.leased = time(NULL);
	order_run(&j);
}

void
order_finish(struct worker *w, int64_t id)
{
	struct job	 j;
	enum panel_err	 pe;

	memset(&j, 0, sizeof(j));
	j.w = w;
	j.id = id;
	sw_obj(j.obj, "order", id);
	j.leased = time(NULL);
	pe = store_order_lease(w->st, id, w->holder, j.leased,
	    w->sw->cfg->lease_seconds, &j.token);
	if (pe != PANEL_OK) {
		if (pe != PANEL_ERR_BUSY)
			sw_dberr(w, "taking an order's lease", pe);
		return;
	}
	if (reload(&j) == 0 && j.so->status == STORE_ORD_VALID) {
		if (j.so->certificate_id == 0) {
			/* A crash between the status and the download. */
			sw_info(w->sw, "%s: valid without its certificate",
			    j.obj);
			(void)step_finalize(&j, 0);
		} else
			on_valid(&j, j.so->certificate_id, 0);
	}
	if ((pe = store_order_release(w->st, id, j.token)) != PANEL_OK &&
	    pe != PANEL_ERR_STALE)
		sw_dberr(w, "releasing an order's lease", pe);
	store_order_free(j.so);
}

void
order_dry(struct sweep *sw, const struct store_order *o)
{
	const char	*what;

	switch (o->status) {
	case STORE_ORD_PENDING:
		what = o->challenge_type == ACME_CH_DNS01 ?
		    (sw->cfg->dns_hook ? "re-read it, run the DNS hook, "
		    "check the TXT record and respond to dns-01" :
		    "re-read it and respond to dns-01 once the TXT record is "
		    "there (no DNS hook)") :
		    "re-read it, self-check http-01 and respond";
		break;
	case STORE_ORD_READY:
		what = "finalize it with a fresh key and store the "
		    "certificate";
		break;
	case STORE_ORD_PROCESSING:
		what = "poll the CA, honouring Retry-After";
		break;
	default:
		what = "re-read it from the CA";
		break;
	}
	printf("order %lld (%s%s, %s, try %lld): would %s%s\n",
	    (long long)o->id, o->ndomains ? o->domains[0] : "",
	    o->ndomains > 1 ? ", ..." : "", store_ord_status_name(o->status),
	    (long long)o->tries + 1, what,
	    o->renews ? " (a renewal)" : "");
}
