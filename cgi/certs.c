/*
 * Certificates: the list with days left, revocation (RFC 8555 7.6), and
 * the two downloads: the chain of an order (GET /acme/orders/{id}/
 * certificate) and the private key (GET /acme/certificates/{id}/key).
 *
 * Store getters are owner-checked: someone else's certificate is a 404.
 * The private key goes to its owner only, admins included (see
 * certs_key).  Downloads are audited; revocation is audited by ops.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pages.h"

#define CERTS_PAGE	100	/* certificates per page */
#define URGENT_DAYS	14	/* highlighted when fewer days are left */

/* RFC 5280 5.3.1 reasons offered for revocation (RFC 8555 7.6). */
static const int revoke_reasons[] = { 0, 1, 3, 4, 5 };

/* Whole days from now to not_after, rounded down (negative: expired). */
static int64_t
days_left(int64_t not_after, int64_t now)
{
	int64_t	 s = not_after - now;

	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

/* ------------------------------------------------------------------ */
/* GET /acme/certificates                                               */

/* A certificate as the API shows it (never the chain or the key). */
static json_t *
cert_json(const struct store_cert *c, int64_t now)
{
	json_t	*d = json_array();
	size_t	 i;

	for (i = 0; d != NULL && i < c->ndomains; i++)
		json_array_append_new(d, json_string(c->domains[i]));
	return json_pack("{s:I,s:o,s:o,s:s,s:o,s:o,s:I,s:s,s:I,s:o,s:o,"
	    "s:o}",
	    "id", (json_int_t)c->id,
	    "order_id", c->order_id > 0 ?
	    json_integer((json_int_t)c->order_id) : json_null(),
	    "domains", d,
	    "serial", c->serial != NULL ? c->serial : "",
	    "not_before", page_time(c->not_before, 1),
	    "not_after", page_time(c->not_after, 1),
	    "days_left", (json_int_t)days_left(c->not_after, now),
	    "status", store_cert_status_name(c->status),
	    "account_id", (json_int_t)c->account_id,
	    "renew_at", page_time(c->renew_at, 1),
	    "revoked_reason", c->revoked_reason >= 0 ?
	    json_integer(c->revoked_reason) : json_null(),
	    "replaced_by", c->replaced_by > 0 ?
	    json_integer((json_int_t)c->replaced_by) : json_null());
}

/* A certificate as the list page shows it. */
static json_t *
cert_page(const struct store_cert *c, int64_t now, int64_t viewer)
{
	struct resp	 b;
	json_t		*j;
	size_t		 i;
	int64_t		 left = days_left(c->not_after, now);

	memset(&b, 0, sizeof(b));
	for (i = 0; i < c->ndomains; i++) {
		if (i > 0)
			resp_puts(&b, ", ");
		resp_puts(&b, c->domains[i]);
	}
	j = json_pack("{s:I,s:s,s:o,s:I,s:s,s:s,s:b,s:b,s:b}",
	    "id", (json_int_t)c->id,
	    "domains_text", b.body != NULL && !b.failed ? b.body : "",
	    "not_after", page_time(c->not_after, 0),
	    "days_left", (json_int_t)left,
	    "status", left < 0 && c->status == STORE_CERT_VALID ? "expired" :
	    store_cert_status_name(c->status),
	    "serial", c->serial != NULL ? c->serial : "",
	    "urgent", c->status == STORE_CERT_VALID && left < URGENT_DAYS,
	    "revocable", c->status != STORE_CERT_REVOKED && left >= 0,
	    "own_key", c->owner == viewer);
	resp_clear(&b);
	if (j != NULL && c->order_id > 0)
		json_object_set_new(j, "order_id",
		    json_integer((json_int_t)c->order_id));
	return j;
}

/* The cursor of the page after l's last row as "NOT_AFTER.ID" (the
 * ?after= query), or NULL at the end; buf holds it. */
static const char *
next_text(const struct store_cert_list *l, char buf[48])
{
	if (l->next.id <= 0)
		return NULL;
	snprintf(buf, 48, "%lld.%lld", (long long)l->next.not_after,
	    (long long)l->next.id);
	return buf;
}

/*
 * The list page's data for the page after cur (NULL: the first), with an
 * error message when given.  New reference, or NULL with *pe set.
 */
static json_t *
list_data(struct rq *rq, const struct store_cert_cursor *cur,
    enum panel_err *pe)
{
	struct store_cert_list	*l = NULL;
	json_t			*arr, *d;
	int64_t			 now = time(NULL);
	size_t			 i;
	char			 next[48];

	if ((*pe = store_cert_list(rq->pn->st, auth_owner(rq->user), cur,
	    CERTS_PAGE, &l)) != PANEL_OK)
		return NULL;
	if ((arr = json_array()) == NULL) {
		store_cert_list_free(l);
		*pe = PANEL_ERR_NOMEM;
		return NULL;
	}
	for (i = 0; i < l->n; i++)
		json_array_append_new(arr, cert_page(&l->v[i], now,
		    rq->user->user_id));
	d = json_pack("{s:b,s:o,s:I,s:b,s:s?}",
	    "has_certificates", json_array_size(arr) > 0,
	    "certificates", arr,
	    "total", (json_int_t)l->total,
	    "has_prev", cur != NULL,
	    "next", next_text(l, next));
	store_cert_list_free(l);
	if (d == NULL)
		*pe = PANEL_ERR_NOMEM;
	return d;
}

/*
 * The ?after= query, "NOT_AFTER.ID" as next_text writes it: 1 with *cur
 * set, 0 when absent, -1 when malformed (400 written).
 */
static int
after_param(struct rq *rq, struct store_cert_cursor *cur)
{
	const char	*s = req_query(rq->req, "after"), *p;
	int64_t		 v[2] = { 0, 0 };
	size_t		 i, n;

	if (page_blank(s))
		return 0;
	for (p = s, i = 0; i < 2; i++) {
		for (n = 0; *p >= '0' && *p <= '9' && n < 18; p++, n++)
			v[i] = v[i] * 10 + (*p - '0');
		if (n == 0 || (i == 0 && *p++ != '.'))
			break;
	}
	if (i < 2 || *p != '\0' || v[1] <= 0) {
		page_error(rq, 400, "invalid", "The page cursor is not valid: "
		    "follow the list's own links.", "after");
		return -1;
	}
	cur->not_after = v[0];
	cur->id = v[1];
	return 1;
}

void
certs_list(struct rq *rq)
{
	struct store_cert_list		*l = NULL;
	struct store_cert_cursor	 cur;
	enum panel_err			 pe;
	json_t				*arr, *d;
	int64_t				 now = time(NULL);
	size_t				 i;
	int				 has;
	char				 next[48];
	const char			*nt;

	if ((has = after_param(rq, &cur)) == -1)
		return;
	if (!rq->req->want_json) {
		if ((d = list_data(rq, has ? &cur : NULL, &pe)) == NULL)
			page_store_fail(rq, pe, "No certificates.");
		else
			page_render(rq, 200, "certificates", d);
		return;
	}
	if ((pe = store_cert_list(rq->pn->st, auth_owner(rq->user),
	    has ? &cur : NULL, CERTS_PAGE, &l)) != PANEL_OK) {
		page_store_fail(rq, pe, "No certificates.");
		return;
	}
	if ((arr = json_array()) == NULL) {
		store_cert_list_free(l);
		rq->resp->failed = 1;
		return;
	}
	for (i = 0; i < l->n; i++)
		json_array_append_new(arr, cert_json(&l->v[i], now));
	nt = next_text(l, next);
	resp_json(rq->resp, 200, json_pack("{s:o,s:I,s:o}", "certificates",
	    arr, "total", (json_int_t)l->total, "next", nt != NULL ?
	    json_string(nt) : json_null()));
	store_cert_list_free(l);
}

/* ------------------------------------------------------------------ */
/* POST /acme/certificates/{id}/revoke                                  */

void
certs_revoke(struct rq *rq)
{
	struct store_cert	*c = NULL;
	struct valid_value	 v;
	struct valid_error	 ve;
	struct ops_err		 oe;
	struct ops		 op;
	const char		*s = req_field(rq->req, "reason");
	enum panel_err		 pe;
	int64_t			 owner = auth_owner(rq->user);
	int			 reason = 0, ok = 0;
	size_t			 i;

	memset(&v, 0, sizeof(v));
	memset(&ve, 0, sizeof(ve));
	memset(&oe, 0, sizeof(oe));
	/* Someone else's certificate: 404 before anything else. */
	if ((pe = store_cert_get(rq->pn->st, rq->id, owner, &c)) !=
	    PANEL_OK) {
		page_store_fail(rq, pe, "No such certificate.");
		return;
	}
	if (!page_blank(s)) {
		if ((pe = valid_field("reason", s, rq->pn->cfg, &v, &ve)) ==
		    PANEL_OK) {
			for (i = 0; i < sizeof(revoke_reasons) /
			    sizeof(revoke_reasons[0]); i++)
				if (v.i == revoke_reasons[i])
					ok = 1;
			reason = (int)v.i;
		}
		valid_value_clear(&v);
		if (pe != PANEL_OK && pe != PANEL_ERR_INVALID) {
			page_error(rq, 500, "internal", "The form could not "
			    "be checked.", NULL);
			goto out;
		}
		if (!ok) {
			const char *msg = "Choose a reason: unspecified (0), "
			    "key compromise (1), affiliation changed (3), "
			    "superseded (4) or cessation of operation (5).";
			json_t	*d = NULL;

			if (!rq->req->want_json &&
			    (d = list_data(rq, 0, &pe)) == NULL) {
				page_error(rq, 422, "invalid", msg, "reason");
				goto out;
			}
			page_form_error(rq, "certificates", d, "reason", msg);
			goto out;
		}
	}
	page_ops(rq, &op);
	if ((pe = ops_cert_revoke(&op, c->id, owner, reason, &oe)) !=
	    PANEL_OK) {
		json_t	*d = NULL;

		if (oe.status == 0)
			snprintf(oe.msg, sizeof(oe.msg), "Revocation failed: "
			    "%s.", panel_strerror(pe));
		if (!rq->req->want_json)
			d = list_data(rq, 0, &pe);
		page_ops_error(rq, &oe, d != NULL ? "certificates" : NULL, d);
		goto out;
	}
	if (rq->req->want_json) {
		store_cert_free(c);
		c = NULL;
		if ((pe = store_cert_get(rq->pn->st, rq->id, owner, &c)) !=
		    PANEL_OK)
			page_store_fail(rq, pe, "No such certificate.");
		else
			resp_json(rq->resp, 200, cert_json(c, time(NULL)));
	} else
		page_redirect(rq, "/acme/certificates");
out:
	ops_err_clear(&oe);
	store_cert_free(c);
}

/* ------------------------------------------------------------------ */
/* Downloads.                                                           */

/*
 * A file name for name: [a-z0-9.-] only (upper case folded), '*' as
 * "wildcard", no leading dot, at most 200 bytes, then ".pem".  Never
 * empty: "certificate.pem".
 */
static void
pem_filename(const char *name, char *buf, size_t len)
{
	size_t	 n = 0;
	char	 ch;

	for (; name != NULL && *name != '\0' && n + 9 < len && n < 200;
	    name++) {
		ch = *name;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch == '*') {
			memcpy(buf + n, "wildcard", 8);
			n += 8;
			continue;
		}
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || (ch == '.' && n > 0))
			buf[n++] = ch;
	}
	if (n == 0) {
		snprintf(buf, len, "certificate.pem");
		return;
	}
	snprintf(buf + n, len - n, ".pem");
}

/* Sets the attachment headers for file name fn of type ctype. */
static void
attachment(struct rq *rq, const char *ctype, const char *fn)
{
	char	 cd[300];

	resp_type(rq->resp, ctype);
	snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", fn);
	resp_header(rq->resp, "Content-Disposition", cd);
}

/* GET /acme/orders/{id}/certificate: the full chain (RFC 8555 7.4.2). */
void
orders_certificate(struct rq *rq)
{
	struct store_cert	*c = NULL;
	enum panel_err		 pe;
	char			 fn[256], obj[64];

	if ((pe = store_cert_by_order(rq->pn->st, rq->id,
	    auth_owner(rq->user), &c)) == PANEL_ERR_NOTFOUND) {
		struct store_order	*o = NULL;

		/* Someone else's order (audited) or just no certificate. */
		if ((pe = store_order_get(rq->pn->st, rq->id,
		    auth_owner(rq->user), &o)) != PANEL_OK)
			page_store_fail(rq, pe, "No such order.");
		else
			page_error(rq, 404, "not_found", "This order has no "
			    "certificate yet.", NULL);
		store_order_free(o);
		return;
	} else if (pe != PANEL_OK) {
		page_store_fail(rq, pe, "No such order.");
		return;
	}
	if (c->chain_pem == NULL || *c->chain_pem == '\0') {
		store_cert_free(c);
		page_error(rq, 404, "not_found", "This order has no "
		    "certificate (yet).", NULL);
		return;
	}
	snprintf(obj, sizeof(obj), "certificate:%lld", (long long)c->id);
	page_audit(rq, "certificate.download", obj, "ok", NULL);
	pem_filename(c->ndomains > 0 ? c->domains[0] : NULL, fn, sizeof(fn));
	rq->resp->status = 200;
	rq->resp->len = 0;
	attachment(rq, "application/pem-certificate-chain", fn);
	resp_puts(rq->resp, c->chain_pem);
	store_cert_free(c);
}

/*
 * GET /acme/certificates/{id}/key: the private key, to its owner only.
 *
 * Admins see every certificate, but the key is the one secret the panel
 * keeps for a user: an admin gets it only for certificates they own
 * themselves.  A stranger learns nothing (404, like any other object of
 * someone else's); an admin who can see the certificate is told why
 * (403).  Both denials are audited.
 */
void
certs_key(struct rq *rq)
{
	struct store_cert	*c = NULL;
	struct ops_err		 oe;
	struct ops		 op;
	enum panel_err		 pe;
	char			*pem = NULL, fn[256], obj[64];
	size_t			 len = 0;
	int64_t			 me = rq->user->user_id;

	memset(&oe, 0, sizeof(oe));
	snprintf(obj, sizeof(obj), "certificate:%lld", (long long)rq->id);
	if ((pe = store_cert_get(rq->pn->st, rq->id, auth_owner(rq->user),
	    &c)) == PANEL_ERR_NOTFOUND) {
		page_audit(rq, "certificate.key", obj, "denied",
		    "not found or not the owner");
		page_error(rq, 404, "not_found", "No such certificate.", NULL);
		return;
	} else if (pe != PANEL_OK) {
		page_store_fail(rq, pe, "No such certificate.");
		return;
	}
	if (c->owner != me || me <= 0) {
		page_audit(rq, "certificate.key", obj, "denied",
		    "admin, not the owner");
		page_error(rq, 403, "forbidden", "Only the owner of this "
		    "certificate can download its private key.", NULL);
		goto out;
	}
	pem_filename(c->ndomains > 0 ? c->domains[0] : NULL, fn, sizeof(fn));
	/* ops_cert_key opens the sealed key and audits the download. */
	page_ops(rq, &op);
	if ((pe = ops_cert_key(&op, c->id, me, &pem, &len, &oe)) != PANEL_OK) {
		if (oe.status == 0)
			snprintf(oe.msg, sizeof(oe.msg), "The key could not "
			    "be read: %s.", panel_strerror(pe));
		page_ops_error(rq, &oe, NULL, NULL);
		goto out;
	}
	/* Name it apart from the chain: example.com.key.pem. */
	if (strlen(fn) > 4 && strlen(fn) + 4 < sizeof(fn))
		memcpy(fn + strlen(fn) - 4, ".key.pem", 9);
	rq->resp->status = 200;
	rq->resp->secret = 1;
	rq->resp->len = 0;
	attachment(rq, "application/x-pem-file", fn);
	resp_add(rq->resp, pem, len);
out:
	crypt_wipe_free(pem, len);
	ops_err_clear(&oe);
	store_cert_free(c);
}
