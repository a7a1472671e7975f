/*
 * ops, part two: orders (RFC 8555 7.4), their authorizations and
 * challenges (7.5), finalization and certificate download.  Every step
 * re-reads the CA's state before acting on it and writes back what the
 * CA said, so a page and a sweep can take turns on one order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "ops_priv.h"
#include "store_sweep.h"

/* How long finalize waits for the CA to issue. */
#define FINALIZE_WAIT	30
/* The first look after finalize answered "processing", in ms: CAs issue
 * in the background and take some milliseconds, so a look at once finds
 * most orders still processing and costs the CA one more request. */
#define ISSUE_PAUSE_MS	40

static enum store_ord_status
ord_status(enum acme_status s)
{
	switch (s) {
	case ACME_S_PENDING:
		return STORE_ORD_PENDING;
	case ACME_S_READY:
		return STORE_ORD_READY;
	case ACME_S_PROCESSING:
		return STORE_ORD_PROCESSING;
	case ACME_S_VALID:
		return STORE_ORD_VALID;
	case ACME_S_EXPIRED:
		return STORE_ORD_EXPIRED;
	default:
		return STORE_ORD_INVALID;
	}
}

/* Frees the authorizations ops_order_create built (not store-owned). */
static void
built_free(struct store_authz *az, size_t n)
{
	size_t	 i, j;

	for (i = 0; az != NULL && i < n; i++) {
		free(az[i].url);
		free(az[i].identifier);
		for (j = 0; j < az[i].nch; j++) {
			free(az[i].ch[j].url);
			free(az[i].ch[j].token);
			free(az[i].ch[j].key_authorization);
			free(az[i].ch[j].dns_name);
			free(az[i].ch[j].dns_value);
			free(az[i].ch[j].error);
		}
		free(az[i].ch);
		free(az[i].error);
	}
	free(az);
}

/*
 * Fills one store challenge from the CA's challenge: what to deploy.
 * Returns PANEL_OK, or PANEL_ERR_INVALID when the CA's token is unusable.
 */
static enum panel_err
build_challenge(const struct acme_key *k, const struct acme_authz *az,
    const struct acme_challenge *ch, struct store_challenge *sc)
{
	sc->type = ch->type;
	sc->status = ch->status;
	if ((sc->url = strdup(ch->url)) == NULL)
		return PANEL_ERR_NOMEM;
	if (ch->token == NULL)
		return PANEL_ERR_INVALID;
	if ((sc->token = strdup(ch->token)) == NULL ||
	    acme_keyauth(k, ch->token, &sc->key_authorization) != ACME_OK)
		return PANEL_ERR_NOMEM;
	if (ch->type == ACME_CH_DNS01 &&
	    (acme_dns01_name(az->ident.value, &sc->dns_name) != ACME_OK ||
	    acme_dns01_value(k, ch->token, &sc->dns_value) != ACME_OK))
		return PANEL_ERR_NOMEM;
	if (ch->error != NULL)
		sc->error = ops_problem_json(ch->error);
	return PANEL_OK;
}

/*
 * The one authorization of a one-name order the CA calls ready, without
 * reading it: it is valid (RFC 8555 7.1.6) and for that name; nothing is
 * left to deploy for it, so no challenge is kept (its expiry is not
 * known).  0, or -1 when the order is not like that (or on ENOMEM, which
 * the caller meets again when it reads the authorization).
 */
static int
ready_authz(const struct acme_order *ao, struct store_authz *sa)
{
	const char	*name;

	if (ao->status != ACME_S_READY || ao->nauthz != 1 || ao->nident != 1)
		return -1;
	name = ao->idents[0].value;
	sa->ident_type = ao->idents[0].type;
	sa->status = ACME_S_VALID;
	sa->wildcard = strncmp(name, "*.", 2) == 0;
	if ((sa->url = strdup(ao->authz[0])) == NULL ||
	    (sa->identifier = strdup(name)) == NULL) {
		free(sa->url);
		sa->url = NULL;
		return -1;
	}
	return 0;
}

/* Fetches the order's authorizations into *out (n = order's nauthz). */
static enum panel_err
build_authz(const struct ops *o, struct ops_acct *a,
    const struct acme_order *ao, enum acme_chtype want,
    struct store_authz **out, struct ops_err *err)
{
	struct store_authz		*sa;
	struct acme_authz		*az = NULL;
	const struct acme_challenge	*ch;
	enum acme_err			 er;
	enum panel_err			 pe = PANEL_OK;
	size_t				 i;

	(void)o;
	if ((sa = calloc(ao->nauthz + 1, sizeof(*sa))) == NULL)
		return PANEL_ERR_NOMEM;
	if (ready_authz(ao, &sa[0]) == 0) {
		*out = sa;
		return PANEL_OK;
	}
	for (i = 0; i < ao->nauthz; i++) {
		if ((er = acme_authz_fetch(a->ctx, ao->authz[i], &az)) !=
		    ACME_OK) {
			ops_fail_acme(err, a->ctx, er, "Reading an "
			    "authorization");
			pe = PANEL_ERR_ARG;
			goto out;
		}
		sa[i].url = strdup(az->url);
		sa[i].ident_type = az->ident.type;
		sa[i].status = az->status;
		sa[i].expires = az->expires;
		sa[i].wildcard = az->wildcard;
		if (az->wildcard)
			pe = asprintf(&sa[i].identifier, "*.%s",
			    az->ident.value) == -1 ? PANEL_ERR_NOMEM : PANEL_OK;
		else if ((sa[i].identifier = strdup(az->ident.value)) == NULL)
			pe = PANEL_ERR_NOMEM;
		if (sa[i].url == NULL || pe != PANEL_OK) {
			pe = PANEL_ERR_NOMEM;
			goto out;
		}
		ch = acme_authz_challenge(az, want);
		if (ch == NULL && az->status == ACME_S_PENDING) {
			ops_fail(err, 422, "challenge_type", "challenge_type",
			    "The CA offers no %s challenge for %s.",
			    acme_chtype_name(want), sa[i].identifier);
			pe = PANEL_ERR_INVALID;
			goto out;
		}
		if (ch != NULL) {
			if ((sa[i].ch = calloc(1, sizeof(*sa[i].ch))) == NULL) {
				pe = PANEL_ERR_NOMEM;
				goto out;
			}
			sa[i].nch = 1;
			if ((pe = build_challenge(a->key, az, ch, sa[i].ch)) !=
			    PANEL_OK) {
				ops_fail(err, 502, "ca_error", NULL, "The CA "
				    "sent an unusable challenge token for %s.",
				    sa[i].identifier);
				goto out;
			}
		}
		acme_authz_free(az);
		az = NULL;
	}
out:
	acme_authz_free(az);
	if (pe != PANEL_OK) {
		built_free(sa, ao->nauthz);
		sa = NULL;
	}
	*out = sa;
	return pe;
}

enum panel_err
ops_order_create(const struct ops *o, const struct ops_order_req *req,
    int64_t *id, struct ops_err *err)
{
	struct ops_acct		 a;
	struct acme_order_req	 oreq;
	struct acme_order	*ao = NULL;
	struct acme_ident	*ids = NULL;
	struct store_order	 so;
	struct store_authz	*sa = NULL;
	struct acme_key		*key = NULL;
	unsigned char		*sealed = NULL;
	char			 obj[64], aad[CRYPT_AAD_MAX], *ej = NULL;
	char			*kpem = NULL;
	size_t			 i, slen = 0, klen = 0;
	enum panel_err		 pe;
	enum acme_err		 er;
	int64_t			 now = time(NULL);

	*id = 0;
	for (i = 0; i < req->ndomains; i++)
		if (strncmp(req->domains[i], "*.", 2) == 0 &&
		    req->challenge_type != ACME_CH_DNS01) {
			ops_fail(err, 422, "invalid", "challenge_type",
			    "A wildcard name (%s) can only be validated with "
			    "dns-01.", req->domains[i]);
			return PANEL_ERR_INVALID;
		}
	if ((pe = ops_acct_open(o, req->account_id, req->owner, &a, err)) !=
	    PANEL_OK) {
		if (pe == PANEL_ERR_NOTFOUND)
			snprintf(err->field, sizeof(err->field), "account_id");
		return pe;
	}
	if (a.row->status != STORE_ACC_VALID || a.row->kid == NULL) {
		ops_fail(err, 409, "account_state", "account_id", "CA account "
		    "%lld is %s; choose an active account.",
		    (long long)req->account_id,
		    store_acc_status_name(a.row->status));
		pe = PANEL_ERR_INVALID;
		goto out;
	}
	if ((ids = calloc(req->ndomains, sizeof(*ids))) == NULL) {
		pe = PANEL_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < req->ndomains; i++) {
		ids[i].type = acme_ident_guess(req->domains[i]);
		ids[i].value = req->domains[i];
	}
	memset(&oreq, 0, sizeof(oreq));
	oreq.idents = ids;
	oreq.nident = req->ndomains;
	oreq.replaces = req->replaces;
	if ((er = acme_order_new(a.ctx, &oreq, &ao)) != ACME_OK) {
		ops_fail_acme(err, a.ctx, er, "Placing the order");
		ops_audit(o, "order.create", "order:new", AUDIT_FAIL, err->msg);
		pe = PANEL_ERR_ARG;
		goto out;
	}
	if ((pe = build_authz(o, &a, ao, req->challenge_type, &sa, err)) !=
	    PANEL_OK) {
		ops_audit(o, "order.create", ao->url, AUDIT_FAIL, err->msg);
		goto out;
	}
	memset(&so, 0, sizeof(so));
	so.owner = a.row->owner;
	so.account_id = req->account_id;
	so.order_url = ao->url;
	so.status = ord_status(ao->status);
	so.domains = (char **)(uintptr_t)req->domains;
	so.ndomains = req->ndomains;
	so.key_type = req->key_type;
	so.challenge_type = req->challenge_type;
	so.autom = req->autom;
	so.auto_renew = req->auto_renew;
	so.expires = ao->expires;
	so.finalize_url = ao->finalize;
	so.cert_url = ao->certificate;
	so.replaces = ao->replaces;
	so.renews = req->renews;
	so.retry_at = now;
	so.error = ej = ops_problem_json(ao->error);
	so.authz = sa;
	so.nauthz = ao->nauthz;
	if (req->with_key && (er = acme_key_new(req->key_type, &key)) !=
	    ACME_OK) {
		ops_fail_acme(err, NULL, er, "Certificate key");
		pe = PANEL_ERR_CRYPTO;
		goto out;
	}
	/* The order, its history, the audit entry and the caller's writes
	 * in one transaction. */
	if ((pe = store_begin(o->st)) != PANEL_OK) {
		ops_fail_store(err, pe, "Saving the order");
		goto out;
	}
	if ((pe = store_order_add(o->st, &so, now, id)) == PANEL_OK &&
	    key != NULL) {
		crypt_aad(aad, "order", *id);
		if (acme_key_pem(key, &kpem, &klen) != ACME_OK)
			pe = PANEL_ERR_CRYPTO;
		else if ((pe = crypt_seal(o->kek, aad, kpem, klen, &sealed,
		    &slen)) == PANEL_OK)
			pe = store_order_set_key(o->st, *id, sealed, slen, now);
	}
	if (pe != PANEL_OK) {
		store_rollback(o->st);
		*id = 0;
		ops_fail_store(err, pe, "Saving the order");
		goto out;
	}
	snprintf(obj, sizeof(obj), "order:%lld", (long long)*id);
	store_event_add(o->st, *id, "created", ao->url, now);
	ops_audit(o, "order.create", obj, AUDIT_OK, ao->url);
	if (req->stored != NULL)
		req->stored(req->stored_arg, *id);
	if ((pe = store_commit(o->st)) != PANEL_OK) {
		*id = 0;
		ops_fail_store(err, pe, "Saving the order");
		goto out;
	}
	if (key != NULL) {
		/* Kept for finalize (the cache's thread carries the order on
		 * soon), rather than decoded from the row again. */
		ops_cache_key_put(o->cache, *id, sealed, slen, key, kpem,
		    klen);
		key = NULL;
		kpem = NULL;
		klen = 0;
	}
out:
	free(ej);
	free(sealed);
	acme_key_free(key);
	crypt_wipe_free(kpem, klen);
	built_free(sa, ao != NULL ? ao->nauthz : 0);
	acme_order_free(ao);
	free(ids);
	ops_acct_close(&a);
	return pe;
}

/* Writes authorization az, as the CA has it now, over stored sa. */
static void
authz_apply(const struct ops *o, const struct store_authz *sa,
    const struct acme_authz *az, int64_t now)
{
	const struct acme_challenge	*ch;
	char				*ej = NULL;
	size_t				 i, j;

	for (i = 0; i < sa->nch; i++)
		for (j = 0; j < az->nch; j++) {
			ch = &az->ch[j];
			if (strcmp(ch->url, sa->ch[i].url) != 0)
				continue;
			free(ej);
			ej = ops_problem_json(ch->error);
			/* A CA may say "pending" until it has validated a
			 * challenge we answered: keep "processing" then. */
			if (ch->status == ACME_S_PENDING &&
			    sa->ch[i].status == ACME_S_PROCESSING)
				continue;
			if (ch->status != sa->ch[i].status || ej != NULL)
				store_challenge_set_status(o->st,
				    sa->ch[i].id, ch->status, ej, now);
		}
	if (az->status != sa->status || ej != NULL)
		store_authz_set_status(o->st, sa->id, az->status, az->expires,
		    ej, now);
	free(ej);
}

/*
 * A stored pending authorization whose order the CA calls ready,
 * processing or valid: every authorization of such an order is valid
 * (RFC 8555 7.1.6), so it is written valid without reading it, and the
 * challenge we answered with it.
 */
static void
authz_valid(const struct ops *o, const struct store_authz *sa, int64_t now)
{
	size_t	 i;

	for (i = 0; i < sa->nch; i++)
		if (sa->ch[i].status == ACME_S_PROCESSING)
			store_challenge_set_status(o->st, sa->ch[i].id,
			    ACME_S_VALID, NULL, now);
	store_authz_set_status(o->st, sa->id, ACME_S_VALID, sa->expires, NULL,
	    now);
}

/*
 * Brings order row so in line with the CA's order ao: first the reads
 * (the pending authorizations while the order is pending; all of them
 * once it is invalid), then every write in one transaction.  A failed
 * authorization read leaves that row as it was.
 */
static enum panel_err
sync_order(const struct ops *o, struct ops_acct *a,
    const struct store_order *so, const struct acme_order *ao,
    int64_t lease, struct ops_err *err)
{
	enum store_ord_status	 ns = ord_status(ao->status);
	struct acme_authz	**az = NULL;
	char			*ej;
	size_t			 i;
	enum panel_err		 pe = PANEL_OK;
	int64_t			 now = time(NULL);
	int			 allvalid;

	allvalid = ao->status == ACME_S_READY ||
	    ao->status == ACME_S_PROCESSING || ao->status == ACME_S_VALID;
	/* "valid" is written only with the certificate, in one transaction
	 * (store_certificate): until then the order is still being
	 * finished, and a crash in between leaves work, not a hole. */
	if (ns == STORE_ORD_VALID)
		ns = STORE_ORD_PROCESSING;

	if (so->nauthz > 0 && (az = calloc(so->nauthz, sizeof(*az))) == NULL) {
		ops_fail_store(err, PANEL_ERR_NOMEM, "Reading the order");
		return PANEL_ERR_NOMEM;
	}
	for (i = 0; i < so->nauthz; i++)
		if (!allvalid && (so->authz[i].status == ACME_S_PENDING ||
		    ns == STORE_ORD_INVALID) &&
		    acme_authz_fetch(a->ctx, so->authz[i].url, &az[i]) !=
		    ACME_OK)
			az[i] = NULL;
	if ((pe = store_begin(o->st)) != PANEL_OK) {
		ops_fail_store(err, pe, "Saving the order status");
		goto out;
	}
	for (i = 0; i < so->nauthz; i++)
		if (az[i] != NULL)
			authz_apply(o, &so->authz[i], az[i], now);
		else if (allvalid && so->authz[i].status == ACME_S_PENDING)
			authz_valid(o, &so->authz[i], now);
	if (ao->certificate != NULL && (so->cert_url == NULL ||
	    strcmp(so->cert_url, ao->certificate) != 0))
		store_order_set_urls(o->st, so->id, NULL, NULL,
		    ao->certificate, ao->expires, now);
	if (ns != so->status) {
		ej = ops_problem_json(ao->error);
		pe = store_order_set_status(o->st, so->id, ns, ej, lease, now);
		if (pe == PANEL_OK)
			store_event_add(o->st, so->id, store_ord_status_name(ns),
			    ao->error && ao->error->detail ?
			    ao->error->detail : NULL, now);
		else
			ops_fail_store(err, pe, "Saving the order status");
		free(ej);
	}
	if (pe == PANEL_OK) {
		if ((pe = store_commit(o->st)) != PANEL_OK)
			ops_fail_store(err, pe, "Saving the order status");
	} else
		store_rollback(o->st);
out:
	for (i = 0; i < so->nauthz; i++)
		acme_authz_free(az[i]);
	free(az);
	return pe;
}

/* Order id's row and its account opened for a CA call, read in one
 * snapshot.  *so is the caller's; a is to be closed (ops_acct_close)
 * whatever the return. */
static enum panel_err
order_open(const struct ops *o, int64_t id, int64_t owner,
    struct store_order **so, struct ops_acct *a, struct ops_err *err)
{
	enum panel_err	 pe;
	int		 snap;

	memset(a, 0, sizeof(*a));
	*so = NULL;
	snap = store_read_begin(o->st);
	if ((pe = store_order_get(o->st, id, owner, so)) != PANEL_OK)
		ops_fail_store(err, pe, "Order");
	else if ((*so)->order_url == NULL || (*so)->certificate_id != 0)
		pe = PANEL_OK;		/* the caller decides; no CA call */
	else
		pe = ops_acct_open(o, (*so)->account_id, 0, a, err);
	store_read_end(o->st, snap);
	return pe;
}

enum panel_err
ops_order_refresh(const struct ops *o, int64_t id, int64_t owner,
    int64_t lease, struct ops_err *err)
{
	struct store_order	*so = NULL;
	struct acme_order	*ao = NULL;
	struct ops_acct		 a;
	enum panel_err		 pe;
	enum acme_err		 er;

	if ((pe = order_open(o, id, owner, &so, &a, err)) != PANEL_OK ||
	    so->order_url == NULL || a.ctx == NULL)
		goto out;
	if ((er = acme_order_fetch(a.ctx, so->order_url, &ao)) != ACME_OK) {
		ops_fail_acme(err, a.ctx, er, "Reading the order");
		pe = PANEL_ERR_ARG;
		goto out;
	}
	pe = sync_order(o, &a, so, ao, lease, err);
out:
	acme_order_free(ao);
	ops_acct_close(&a);
	store_order_free(so);
	return pe;
}

enum panel_err
ops_order_peek(const struct ops *o, int64_t id, int64_t owner,
    enum acme_status *status, unsigned *retry_after, struct ops_err *err)
{
	struct store_order	*so = NULL;
	struct acme_order	*ao = NULL;
	struct ops_acct		 a;
	enum panel_err		 pe;
	enum acme_err		 er;

	*status = ACME_S_INVALID;
	*retry_after = 0;
	if ((pe = order_open(o, id, owner, &so, &a, err)) != PANEL_OK)
		goto out;
	if (so->order_url == NULL) {
		ops_fail(err, 409, "order_state", NULL, "The order was never "
		    "placed with the CA.");
		pe = PANEL_ERR_INVALID;
		goto out;
	}
	if (a.ctx == NULL) {
		/* Its certificate is stored: valid. */
		*status = ACME_S_VALID;
		goto out;
	}
	if ((er = acme_order_fetch(a.ctx, so->order_url, &ao)) != ACME_OK) {
		ops_fail_acme(err, a.ctx, er, "Reading the order");
		pe = PANEL_ERR_ARG;
		goto out;
	}
	*status = ao->status;
	*retry_after = ao->retry_after;
out:
	acme_order_free(ao);
	ops_acct_close(&a);
	store_order_free(so);
	return pe;
}

/* See ops_challenge_respond; the order is read again when refresh is
 * set. */
static enum panel_err
challenge_respond(const struct ops *o, int64_t id, int64_t owner, int force,
    int64_t lease, int refresh, struct ops_err *err)
{
	struct store_challenge	*c = NULL;
	struct store_order	*so = NULL;
	const struct store_authz *sa = NULL;
	struct ops_acct		 a;
	const char		*how;
	char			 obj[64];
	size_t			 i;
	enum panel_err		 pe;
	enum acme_err		 er;
	int			 snap;

	memset(&a, 0, sizeof(a));
	snprintf(obj, sizeof(obj), "challenge:%lld", (long long)id);
	snap = store_read_begin(o->st);
	if ((pe = store_challenge_get(o->st, id, owner, &c)) != PANEL_OK) {
		store_read_end(o->st, snap);
		ops_fail_store(err, pe, "Challenge");
		return pe;
	}
	pe = store_order_get(o->st, c->order_id, owner, &so);
	store_read_end(o->st, snap);
	if (pe != PANEL_OK) {
		ops_fail_store(err, pe, "Order");
		goto out;
	}
	for (i = 0; i < so->nauthz; i++)
		if (so->authz[i].id == c->authz_id)
			sa = &so->authz[i];
	if (sa == NULL || c->status != ACME_S_PENDING) {
		ops_fail(err, 409, "challenge_state", NULL, "This challenge is "
		    "%s; there is nothing to respond to.",
		    acme_status_name(c->status));
		pe = PANEL_ERR_INVALID;
		goto out;
	}
	if (!force && (pe = ops_challenge_check(o, c, sa->identifier +
	    (sa->wildcard ? 2 : 0), err)) != PANEL_OK) {
		ops_audit(o, "challenge.respond", obj, AUDIT_FAIL, err->msg);
		goto out;
	}
	if ((pe = ops_acct_open(o, so->account_id, 0, &a, err)) != PANEL_OK)
		goto out;
	if ((er = acme_challenge_respond(a.ctx, c->url, NULL)) != ACME_OK) {
		ops_fail_acme(err, a.ctx, er, "Telling the CA");
		ops_audit(o, "challenge.respond", obj, AUDIT_FAIL, err->msg);
		pe = PANEL_ERR_ARG;
		goto out;
	}
	/* What was done, in one transaction; should that fail, the audit
	 * row at least goes in on its own. */
	how = force ? "self-check skipped" : "self-check passed";
	if (store_begin(o->st) == PANEL_OK) {
		store_challenge_set_status(o->st, c->id, ACME_S_PROCESSING,
		    NULL, time(NULL));
		store_event_add(o->st, so->id, "respond", sa->identifier,
		    time(NULL));
		ops_audit(o, "challenge.respond", obj, AUDIT_OK, how);
		if (store_commit(o->st) != PANEL_OK)
			ops_audit(o, "challenge.respond", obj, AUDIT_OK, how);
	} else
		ops_audit(o, "challenge.respond", obj, AUDIT_OK, how);
	/* No waiting here: the CA validates in its own time (and may call
	 * back into this very server); the order page and the sweep read
	 * the outcome. */
	ops_acct_close(&a);
	if (refresh)
		pe = ops_order_refresh(o, so->id, 0, lease, err);
out:
	ops_acct_close(&a);
	store_order_free(so);
	store_challenge_free(c);
	return pe;
}

enum panel_err
ops_challenge_respond(const struct ops *o, int64_t id, int64_t owner,
    int force, int64_t lease, struct ops_err *err)
{
	return challenge_respond(o, id, owner, force, lease, 1, err);
}

enum panel_err
ops_challenge_respond_only(const struct ops *o, int64_t id, int64_t owner,
    int force, int64_t lease, struct ops_err *err)
{
	return challenge_respond(o, id, owner, force, lease, 0, err);
}

/*
 * The order's certificate key: the sealed one if the row has it (a CSR
 * may have been sent with it), else a fresh one sealed into the row
 * before it is used.  *key (NULL: not wanted, only the PEM) and *pem
 * (crypt_wipe_free(*pem, *len)) are the caller's.
 */
static enum panel_err
order_key(const struct ops *o, const struct store_order *so,
    struct acme_key **key, char **pem, size_t *len, struct ops_err *err)
{
	struct acme_key	*k = NULL;
	unsigned char	*sealed = NULL;
	char		 aad[CRYPT_AAD_MAX];
	size_t		 slen = 0;
	enum panel_err	 pe;
	enum acme_err	 er;

	if (key != NULL)
		*key = NULL;
	*pem = NULL;
	*len = 0;
	crypt_aad(aad, "order", so->id);
	if (so->key_enc != NULL && ops_cache_key_take(o->cache, so->id,
	    so->key_enc, so->key_enc_len, &k, pem, len)) {
		if (key != NULL)
			*key = k;
		else
			acme_key_free(k);
		return PANEL_OK;
	}
	if (so->key_enc != NULL) {
		if ((pe = crypt_open(o->kek, aad, so->key_enc,
		    so->key_enc_len, pem, len)) != PANEL_OK) {
			ops_fail(err, 500, "key", NULL, "The certificate key "
			    "could not be decrypted.");
			return pe;
		}
		if (key != NULL && acme_key_parse_pem(*pem, *len, key) !=
		    ACME_OK) {
			ops_fail(err, 500, "key", NULL, "The certificate key "
			    "could not be read.");
			crypt_wipe_free(*pem, *len);
			*pem = NULL;
			*len = 0;
			return PANEL_ERR_CRYPTO;
		}
		return PANEL_OK;
	}
	if ((er = acme_key_new(so->key_type, &k)) != ACME_OK) {
		ops_fail_acme(err, NULL, er, "Certificate key");
		return PANEL_ERR_CRYPTO;
	}
	if (acme_key_pem(k, pem, len) != ACME_OK)
		pe = PANEL_ERR_CRYPTO;
	else if ((pe = crypt_seal(o->kek, aad, *pem, *len, &sealed,
	    &slen)) == PANEL_OK)
		pe = store_order_set_key(o->st, so->id, sealed, slen,
		    time(NULL));
	free(sealed);
	if (pe != PANEL_OK) {
		ops_fail_store(err, pe, "Saving the certificate key");
		acme_key_free(k);
		crypt_wipe_free(*pem, *len);
		*pem = NULL;
		*len = 0;
		return pe;
	}
	if (key != NULL)
		*key = k;
	else
		acme_key_free(k);
	return PANEL_OK;
}

/* Downloads and checks the chain of valid order ao: *pem (*len bytes)
 * and *ci are the caller's. */
static enum panel_err
chain_get(struct ops_acct *a, const struct acme_order *ao, char **pem,
    size_t *len, struct acme_certinfo **ci, struct ops_err *err)
{
	enum acme_err	 er;

	*ci = NULL;
	if ((er = acme_cert_download_info(a->ctx, ao->certificate, NULL, pem,
	    len, ci)) != ACME_OK) {
		ops_fail_acme(err, a->ctx, er, "Downloading the certificate");
		return PANEL_ERR_ARG;
	}
	return PANEL_OK;
}

/*
 * Stores the certificate pem (parsed: ci) of a valid order with its key
 * (kpem, klen bytes of PEM, sealed again under the certificate's id), in
 * a transaction of its own or as part of the caller's.
 */
static enum panel_err
store_certificate(const struct ops *o, const struct store_order *so,
    const struct acme_order *ao, const char *pem,
    const struct acme_certinfo *ci, const char *kpem, size_t klen,
    int64_t lease, int64_t *cert_id, struct ops_err *err)
{
	struct store_cert	 sc;
	unsigned char		*sealed = NULL;
	char			 aad[CRYPT_AAD_MAX];
	size_t			 slen = 0;
	enum panel_err		 pe;
	int64_t			 now = time(NULL), cid = 0;

	memset(&sc, 0, sizeof(sc));
	sc.order_id = so->id;
	sc.owner = so->owner;
	sc.account_id = so->account_id;
	sc.serial = ci->serial;
	sc.not_before = ci->not_before;
	sc.not_after = ci->not_after;
	sc.domains = so->domains;
	sc.ndomains = so->ndomains;
	sc.chain_pem = (char *)(uintptr_t)pem;
	sc.ari_id = ci->ari_id;
	/* The sweep's plan (without ARI), so that its next look finds
	 * nothing to write. */
	if (so->auto_renew)
		sc.renew_at = ops_renew_at(o->cfg, ci->not_before,
		    ci->not_after, NULL);
	if ((pe = store_begin(o->st)) != PANEL_OK)
		goto dberr;
	/* Fenced: a holder whose lease was taken over writes nothing. */
	if (lease != 0 &&
	    (pe = store_order_fence(o->st, so->id, lease)) != PANEL_OK) {
		store_rollback(o->st);
		goto dberr;
	}
	if ((pe = store_cert_add(o->st, &sc, now, &cid)) != PANEL_OK)
		goto rollback;
	crypt_aad(aad, "certificate", cid);
	if ((pe = crypt_seal(o->kek, aad, kpem, klen, &sealed, &slen)) !=
	    PANEL_OK ||
	    (pe = store_cert_set_key(o->st, cid, sealed, slen)) != PANEL_OK)
		goto rollback;
	/* The renewed certificate may have been revoked or replaced by
	 * hand meanwhile; then there is nothing to mark. */
	if (so->renews != 0 && (pe = store_cert_set_replaced(o->st,
	    so->renews, cid, now)) != PANEL_OK && pe != PANEL_ERR_NOTFOUND)
		goto rollback;
	if ((pe = store_order_set_status(o->st, so->id, STORE_ORD_VALID,
	    NULL, lease, now)) != PANEL_OK ||
	    (pe = store_order_set_urls(o->st, so->id, NULL, NULL,
	    ao->certificate, 0, now)) != PANEL_OK ||
	    (pe = store_commit(o->st)) != PANEL_OK)
		goto rollback;
	*cert_id = cid;
	goto out;
rollback:
	store_rollback(o->st);
	if (pe == PANEL_ERR_EXISTS) {
		/* Someone stored this order's certificate first. */
		pe = PANEL_OK;
		goto out;
	}
dberr:
	ops_fail_store(err, pe, "Saving the certificate");
out:
	free(sealed);
	return pe;
}

/*
 * The order as stored, for an order this caller placed a moment ago that
 * the CA called ready: what acme_order_finalize needs (its URL, finalize
 * URL, names and status).  Should the CA think otherwise by now, its
 * orderNotReady makes acme_order_finalize read the order after all.
 * NULL when the row lacks a URL or memory ran out.
 */
static struct acme_order *
order_as_stored(const struct store_order *so)
{
	struct acme_order	*ao;
	size_t			 i;

	if (so->order_url == NULL || so->finalize_url == NULL ||
	    so->ndomains == 0 || (ao = calloc(1, sizeof(*ao))) == NULL)
		return NULL;
	ao->status = ACME_S_READY;
	if ((ao->url = strdup(so->order_url)) == NULL ||
	    (ao->finalize = strdup(so->finalize_url)) == NULL ||
	    (ao->idents = calloc(so->ndomains, sizeof(*ao->idents))) == NULL)
		goto fail;
	for (i = 0; i < so->ndomains; i++) {
		ao->idents[i].type = acme_ident_guess(so->domains[i]);
		if ((ao->idents[i].value = strdup(so->domains[i])) == NULL)
			goto fail;
		ao->nident++;
	}
	return ao;
fail:
	acme_order_free(ao);
	return NULL;
}

/* Waits ms milliseconds. */
static void
pause_ms(unsigned ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * ops_order_finalize and ops_order_complete: with max_wait, a pending
 * order is polled for at most that long first; with fresh, an order
 * stored ready is finalized without reading it first; stored (may be
 * NULL) is called inside the transaction that stores the certificate.
 */
static enum panel_err
order_finish(const struct ops *o, int64_t id, int64_t owner, int64_t lease,
    unsigned max_wait, int fresh, void (*stored)(void *, int64_t),
    void *arg, int64_t *cert_id, struct ops_err *err)
{
	struct store_order	*so = NULL;
	struct acme_order	*ao = NULL, *next = NULL;
	struct acme_key		*key = NULL;
	struct acme_certinfo	*ci = NULL;
	struct ops_acct		 a;
	char			 obj[64], *pem = NULL, *kpem = NULL;
	size_t			 len = 0, klen = 0;
	enum panel_err		 pe;
	enum acme_err		 er = ACME_OK;
	int64_t			 cid = 0;

	if (cert_id != NULL)
		*cert_id = 0;
	snprintf(obj, sizeof(obj), "order:%lld", (long long)id);
	if ((pe = order_open(o, id, owner, &so, &a, err)) != PANEL_OK)
		goto out;
	if (so->certificate_id != 0) {
		/* Already done: nothing to do twice. */
		if (cert_id != NULL)
			*cert_id = so->certificate_id;
		goto out;
	}
	if (so->order_url == NULL) {
		ops_fail(err, 409, "order_state", NULL, "The order was never "
		    "placed with the CA.");
		pe = PANEL_ERR_INVALID;
		goto out;
	}
	if (fresh && so->status == STORE_ORD_READY &&
	    (ao = order_as_stored(so)) != NULL)
		er = ACME_OK;
	else if (max_wait > 0) {
		er = acme_order_wait(a.ctx, so->order_url, ACME_S_READY,
		    max_wait, &ao);
		if (er == ACME_ERR_TIMEOUT && ao != NULL)
			er = ACME_OK;
	} else
		er = acme_order_fetch(a.ctx, so->order_url, &ao);
	if (er != ACME_OK)
		goto caerr;
	if (max_wait > 0 && ao->status == ACME_S_PENDING) {
		/* Not validated yet: the CA's state written, nothing to
		 * audit. */
		sync_order(o, &a, so, ao, lease, err);
		ops_fail(err, 409, "order_state", NULL, "The order is still "
		    "pending: the CA has not validated every name yet.");
		pe = PANEL_ERR_INVALID;
		goto out;
	}
	if (ao->status == ACME_S_READY) {
		if ((pe = order_key(o, so, &key, &kpem, &klen, err)) !=
		    PANEL_OK)
			goto out;
		er = acme_order_finalize(a.ctx, ao, key, &next);
		if (er != ACME_OK && er != ACME_ERR_STATE)
			goto caerr;
		acme_order_free(ao);
		ao = next;
		next = NULL;
		if (er == ACME_OK && ao->status == ACME_S_PROCESSING)
			pause_ms(ISSUE_PAUSE_MS);
	}
	if (ao->status == ACME_S_PROCESSING) {
		er = acme_order_wait(a.ctx, ao->url, ACME_S_VALID,
		    FINALIZE_WAIT, &next);
		/* ACME_ERR_TIMEOUT is the wait's deadline (with the last
		 * order read) or a transfer that timed out (without). */
		if ((er != ACME_OK && er != ACME_ERR_TIMEOUT) || next == NULL)
			goto caerr;
		acme_order_free(ao);
		ao = next;
		next = NULL;
	}
	if (ao->status != ACME_S_VALID || ao->certificate == NULL) {
		sync_order(o, &a, so, ao, lease, err);
		ops_fail(err, 409, "order_state", NULL, "The order is %s, not "
		    "valid: %s", acme_status_name(ao->status),
		    ao->status == ACME_S_PENDING ? "validate every name first." :
		    ao->status == ACME_S_PROCESSING ? "the CA is still issuing; "
		    "try again in a moment." : ao->status == ACME_S_READY ?
		    "the CA did not take the request yet; try again." :
		    "see the CA's problem on the order.");
		ops_audit(o, "order.finalize", obj, AUDIT_FAIL, err->msg);
		pe = PANEL_ERR_INVALID;
		goto out;
	}
	/* Only the key's PEM is stored with the certificate. */
	if (kpem == NULL &&
	    (pe = order_key(o, so, NULL, &kpem, &klen, err)) != PANEL_OK)
		goto out;
	if ((pe = chain_get(&a, ao, &pem, &len, &ci, err)) != PANEL_OK) {
		sync_order(o, &a, so, ao, lease, NULL);
		ops_audit(o, "order.finalize", obj, AUDIT_FAIL, err->msg);
		goto out;
	}
	/* The CA's state, the certificate, the history and the audit entry
	 * in one transaction (sync_order reads nothing more from the CA for
	 * a valid order). */
	if ((pe = store_begin(o->st)) != PANEL_OK) {
		ops_fail_store(err, pe, "Saving the certificate");
		ops_audit(o, "order.finalize", obj, AUDIT_FAIL, err->msg);
		goto out;
	}
	(void)sync_order(o, &a, so, ao, lease, NULL);
	if ((pe = store_certificate(o, so, ao, pem, ci, kpem, klen, lease,
	    &cid, err)) != PANEL_OK) {
		store_rollback(o->st);
		ops_audit(o, "order.finalize", obj, AUDIT_FAIL, err->msg);
		goto out;
	}
	if (cid != 0)
		store_event_add(o->st, id, "certificate",
		    "downloaded and stored", time(NULL));
	ops_audit(o, "order.finalize", obj, AUDIT_OK, "certificate stored");
	if (cid != 0 && stored != NULL)
		stored(arg, cid);
	if ((pe = store_commit(o->st)) != PANEL_OK) {
		ops_fail_store(err, pe, "Saving the certificate");
		ops_audit(o, "order.finalize", obj, AUDIT_FAIL, err->msg);
		goto out;
	}
	if (cert_id != NULL)
		*cert_id = cid;
	goto out;
caerr:
	ops_fail_acme(err, a.ctx, er, "Finalizing");
	/* What the CA said last (a pending order waited for may be ready
	 * now) and the failure, in one transaction. */
	if (ao != NULL && store_begin(o->st) == PANEL_OK) {
		(void)sync_order(o, &a, so, ao, lease, NULL);
		ops_audit(o, "order.finalize", obj, AUDIT_FAIL, err->msg);
		if (store_commit(o->st) != PANEL_OK)
			ops_audit(o, "order.finalize", obj, AUDIT_FAIL,
			    err->msg);
	} else
		ops_audit(o, "order.finalize", obj, AUDIT_FAIL, err->msg);
	pe = PANEL_ERR_ARG;
out:
	acme_certinfo_free(ci);
	free(pem);
	crypt_wipe_free(kpem, klen);
	acme_order_free(ao);
	acme_order_free(next);
	ops_acct_close(&a);
	acme_key_free(key);
	store_order_free(so);
	return pe;
}

enum panel_err
ops_order_finalize(const struct ops *o, int64_t id, int64_t owner,
    int64_t lease, int64_t *cert_id, struct ops_err *err)
{
	return order_finish(o, id, owner, lease, 0, 0, NULL, NULL, cert_id,
	    err);
}

enum panel_err
ops_order_complete(const struct ops *o, int64_t id, int64_t lease,
    unsigned max_wait, int fresh, void (*stored)(void *, int64_t),
    void *arg, int64_t *cert_id, struct ops_err *err)
{
	return order_finish(o, id, 0, lease, max_wait, fresh, stored, arg,
	    cert_id, err);
}
