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

/* A certificate as the API shows it (never the chain or the key),
 * written as read. */
static void
cert_jsonw(struct jsonw *w, const struct store_cert *c, int64_t now)
{
	size_t	 i;

	jsonw_obj(w, NULL);
	jsonw_int(w, "id", c->id);
	if (c->order_id > 0)
		jsonw_int(w, "order_id", c->order_id);
	else
		jsonw_null(w, "order_id");
	jsonw_arr(w, "domains");
	for (i = 0; i < c->ndomains; i++)
		jsonw_str(w, NULL, c->domains[i]);
	jsonw_arr_end(w);
	jsonw_str(w, "serial", c->serial != NULL ? c->serial : "");
	page_json_time(w, "not_before", c->not_before);
	page_json_time(w, "not_after", c->not_after);
	jsonw_int(w, "days_left", days_left(c->not_after, now));
	jsonw_str(w, "status", store_cert_status_name(c->status));
	jsonw_int(w, "account_id", c->account_id);
	page_json_time(w, "renew_at", c->renew_at);
	if (c->revoked_reason >= 0)
		jsonw_int(w, "revoked_reason", c->revoked_reason);
	else
		jsonw_null(w, "revoked_reason");
	if (c->replaced_by > 0)
		jsonw_int(w, "replaced_by", c->replaced_by);
	else
		jsonw_null(w, "replaced_by");
	jsonw_obj_end(w);
}

/* The fields of a row of the list page. */
enum cert_field {
	CF_ID,
	CF_DOMAINS_TEXT,
	CF_NOT_AFTER,
	CF_DAYS_LEFT,
	CF_STATUS,
	CF_SERIAL,
	CF_URGENT,
	CF_REVOCABLE,
	CF_OWN_KEY,
	CF_ORDER_ID,
	CF__MAX
};

static const char *const cert_fields[] = {
	[CF_ID] = "id",
	[CF_DOMAINS_TEXT] = "domains_text",
	[CF_NOT_AFTER] = "not_after",
	[CF_DAYS_LEFT] = "days_left",
	[CF_STATUS] = "status",
	[CF_SERIAL] = "serial",
	[CF_URGENT] = "urgent",
	[CF_REVOCABLE] = "revocable",
	[CF_OWN_KEY] = "own_key",
	[CF_ORDER_ID] = "order_id",
};
_Static_assert(sizeof(cert_fields) / sizeof(cert_fields[0]) == CF__MAX,
    "cert_fields");

/* The list page's rows, read straight from the store's list. */
struct cert_rows {
	const struct store_cert_list	*l;
	int64_t				 now;
	int64_t				 viewer;	/* users.id */
};

/* Field f of row i as the list page shows it; -1 for a certificate
 * without an order (no order_id, as if the row had no such field). */
static int
cert_row(const void *ctx, size_t i, size_t f, struct tmpl_val *v)
{
	const struct cert_rows	*r = ctx;
	const struct store_cert	*c = &r->l->v[i];
	int64_t			 left = days_left(c->not_after, r->now);

	switch ((enum cert_field)f) {
	case CF_ID:
		v->type = TV_INT;
		v->i = c->id;
		break;
	case CF_DOMAINS_TEXT:
		v->type = TV_STRV;
		v->v = c->domains;
		v->nv = c->ndomains;
		break;
	case CF_NOT_AFTER:
		v->type = TV_STR;
		v->s = c->not_after > 0 ?
		    panel_time_min((time_t)c->not_after, v->buf) : NULL;
		break;
	case CF_DAYS_LEFT:
		v->type = TV_INT;
		v->i = left;
		break;
	case CF_STATUS:
		v->type = TV_STR;
		v->s = left < 0 && c->status == STORE_CERT_VALID ? "expired" :
		    store_cert_status_name(c->status);
		break;
	case CF_SERIAL:
		v->type = TV_STR;
		v->s = c->serial != NULL ? c->serial : "";
		break;
	case CF_URGENT:
		v->type = TV_BOOL;
		v->i = c->status == STORE_CERT_VALID && left < URGENT_DAYS;
		break;
	case CF_REVOCABLE:
		v->type = TV_BOOL;
		v->i = c->status != STORE_CERT_REVOKED && left >= 0;
		break;
	case CF_OWN_KEY:
		v->type = TV_BOOL;
		v->i = c->owner == r->viewer;
		break;
	case CF_ORDER_ID:
		if (c->order_id <= 0)
			return -1;
		v->type = TV_INT;
		v->i = c->order_id;
		break;
	default:
		return -1;
	}
	return 0;
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
 * The HTML list page after cur (NULL: the first) with status; with an
 * error message at the top (and next to field, when given) for a form
 * sent back, as page_form_error shows one.  The rows are read from the
 * store's list; only the page's few other values are a JSON object.
 * PANEL_OK when a page (or the 500 of one that could not be built) is
 * written; the store's error otherwise, nothing written.
 */
static enum panel_err
list_page(struct rq *rq, int status, const struct store_cert_cursor *cur,
    const char *error, const char *field)
{
	struct store_cert_list	*l = NULL;
	struct cert_rows	 cr;
	struct tmpl_rows	 rows;
	json_t			*d;
	enum panel_err		 pe;
	const char		*nt;
	char			 next[48], key[64];
	int			 bad = 0;

	if ((pe = store_cert_list(rq->pn->st, auth_owner(rq->user), cur,
	    CERTS_PAGE, 1, &l)) != PANEL_OK)
		return pe;
	cr.l = l;
	cr.now = time(NULL);
	cr.viewer = rq->user->user_id;
	rows = (struct tmpl_rows){ "certificates", l->n, cert_fields,
	    CF__MAX, cert_row, &cr };
	nt = next_text(l, next);
	if ((d = json_object()) == NULL)
		bad = 1;
	else {
		bad |= json_object_set_new_nocheck(d, "has_certificates",
		    json_boolean(l->n > 0));
		bad |= json_object_set_new_nocheck(d, "total",
		    json_integer(l->total));
		bad |= json_object_set_new_nocheck(d, "has_prev",
		    json_boolean(cur != NULL));
		bad |= json_object_set_new_nocheck(d, "next", nt != NULL ?
		    json_string_nocheck(nt) : json_null());
		if (error != NULL) {
			bad |= json_object_set_new(d, "error",
			    json_string(error));
			if (field != NULL && *field != '\0' &&
			    snprintf(key, sizeof(key), "err_%s", field) <
			    (int)sizeof(key))
				bad |= json_object_set_new(d, key,
				    json_string(error));
		}
	}
	if (bad) {
		json_decref(d);
		rq->resp->failed = 1;
	} else
		page_render_rows(rq, status, "certificates", d, &rows, 1);
	store_cert_list_free(l);
	return PANEL_OK;
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
	struct jsonw			 w;
	enum panel_err			 pe;
	int64_t				 now = time(NULL);
	size_t				 i;
	int				 has;
	char				 next[48];

	if ((has = after_param(rq, &cur)) == -1)
		return;
	if (!rq->req->want_json) {
		if ((pe = list_page(rq, 200, has ? &cur : NULL, NULL, NULL)) !=
		    PANEL_OK)
			page_store_fail(rq, pe, "No certificates.");
		return;
	}
	if ((pe = store_cert_list(rq->pn->st, auth_owner(rq->user),
	    has ? &cur : NULL, CERTS_PAGE, 0, &l)) != PANEL_OK) {
		page_store_fail(rq, pe, "No certificates.");
		return;
	}
	/* Written as read: no JSON tree per row. */
	page_json_begin(rq, 200, &w);
	jsonw_obj(&w, NULL);
	jsonw_arr(&w, "certificates");
	for (i = 0; i < l->n; i++)
		cert_jsonw(&w, &l->v[i], now);
	jsonw_arr_end(&w);
	jsonw_int(&w, "total", l->total);
	jsonw_str(&w, "next", next_text(l, next));
	jsonw_obj_end(&w);
	page_json_end(rq, &w);
	store_cert_list_free(l);
}

/* ------------------------------------------------------------------ */
/* POST /acme/certificates/{id}/revoke                                  */

/*
 * A revocation that failed: the list page again with the message, as
 * page_ops_error shows one with a form (its status, code and defaults),
 * or page_ops_error itself for the API and when the list cannot be read.
 */
static void
revoke_failed(struct rq *rq, const struct ops_err *e)
{
	int	 status = e->status;

	if (status < 400 || status > 599)
		status = 500;
	if (rq->req->want_json || list_page(rq, status, NULL,
	    e->msg[0] != '\0' ? e->msg : "The action failed.", e->field) !=
	    PANEL_OK)
		page_ops_error(rq, e, NULL, NULL);
}

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

			if (rq->req->want_json)
				page_form_error(rq, "certificates", NULL,
				    "reason", msg);
			else if (list_page(rq, 422, NULL, msg, "reason") !=
			    PANEL_OK)
				page_error(rq, 422, "invalid", msg, "reason");
			goto out;
		}
	}
	page_ops(rq, &op);
	if ((pe = ops_cert_revoke(&op, c->id, owner, reason, &oe)) !=
	    PANEL_OK) {
		if (oe.status == 0)
			snprintf(oe.msg, sizeof(oe.msg), "Revocation failed: "
			    "%s.", panel_strerror(pe));
		revoke_failed(rq, &oe);
		goto out;
	}
	if (rq->req->want_json) {
		struct jsonw	 w;

		store_cert_free(c);
		c = NULL;
		if ((pe = store_cert_get(rq->pn->st, rq->id, owner, &c)) !=
		    PANEL_OK)
			page_store_fail(rq, pe, "No such certificate.");
		else {
			page_json_begin(rq, 200, &w);
			cert_jsonw(&w, c, time(NULL));
			page_json_end(rq, &w);
		}
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
