/*
 * Orders, part two: one order.  Its shapes as JSON (the API) and as page
 * data, the detail with its history and the CA's problems, what to
 * deploy for each authorization (the challenges page), responding to a
 * challenge, finalizing.  (The list, the form and placing an order:
 * orders.c; the plain words: order_text.c.)
 *
 * Store getters are owner-checked: someone else's order is a 404.  The
 * ACME work and its audit rows are ops_*'s; viewing the challenges (the
 * key authorizations) is audited here.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "orders.h"

/* What each order status means to the user. */
static const char *const status_help[] = {
	[STORE_ORD_INVALID] = "Failed: see the CA's explanation below. Fix "
	    "the cause, then place a new order.",
	[STORE_ORD_NEW] = "Not sent to the CA yet; the panel places it "
	    "shortly.",
	[STORE_ORD_PENDING] = "Waiting for validation: deploy what the "
	    "challenges page shows, then tell the CA.",
	[STORE_ORD_READY] = "Every name is validated: finalize to get the "
	    "certificate.",
	[STORE_ORD_PROCESSING] = "The CA is issuing the certificate.",
	[STORE_ORD_VALID] = "Issued: the certificate is ready to download.",
	[STORE_ORD_EXPIRED] = "The order expired before it was completed; "
	    "place a new one.",
	[STORE_ORD_CANCELED] = "Canceled.",
};
_Static_assert(sizeof(status_help) / sizeof(status_help[0]) ==
    STORE_ORD__MAX, "status_help");

/* ------------------------------------------------------------------ */
/* Orders as JSON and as page data.                                     */

/* The names joined by ", " (new reference). */
static json_t *
names_text(char *const *v, size_t n)
{
	struct resp	 b;
	json_t		*s;
	size_t		 i;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		if (i > 0)
			resp_puts(&b, ", ");
		resp_puts(&b, v[i]);
	}
	s = json_string(b.body != NULL && !b.failed ? b.body : "");
	resp_clear(&b);
	return s;
}

/* One challenge as the API shows it (DESIGN.md). */
static json_t *
challenge_json(const struct store_order *o, const struct store_authz *a,
    const struct store_challenge *c)
{
	json_t	*j, *h = json_null(), *d = json_null(), *e;
	char	 path[320], url[512];
	int	 tok_ok = c->token != NULL && acme_b64url_valid(c->token, 256);

	if (c->type == ACME_CH_HTTP01 && tok_ok) {
		const char *name = a->identifier + (a->wildcard &&
		    strncmp(a->identifier, "*.", 2) == 0 ? 2 : 0);

		snprintf(path, sizeof(path), "/.well-known/acme-challenge/%s",
		    c->token);
		order_text_http01_url(name, c->token, url, sizeof(url));
		json_decref(h);
		h = json_pack("{s:s,s:s?,s:s}", "path", path, "content",
		    c->key_authorization, "url", url);
	} else if (c->type == ACME_CH_DNS01) {
		json_decref(d);
		d = json_pack("{s:s?,s:s?,s:s}", "name", c->dns_name, "value",
		    c->dns_value, "type", "TXT");
	}
	e = order_text_problem(c->error, o, a->identifier, c->token);
	j = json_pack("{s:I,s:s,s:s,s:s?,s:o,s:o,s:o,s:o}",
	    "id", (json_int_t)c->id,
	    "type", acme_chtype_name(c->type),
	    "status", acme_status_name(c->status),
	    "token", tok_ok ? c->token : NULL,
	    "http01", h,
	    "dns01", d,
	    "error", e != NULL ? e : json_null(),
	    "updated", page_time(c->updated, 1));
	return j;
}

/* The authorizations and their challenges as the API shows them (only
 * when o was read with store_order_get).  New reference or NULL. */
static json_t *
authz_json(const struct store_order *o)
{
	json_t	*azs, *chs, *e;
	size_t	 i, k;

	if ((azs = json_array()) == NULL)
		return NULL;
	for (i = 0; i < o->nauthz; i++) {
		const struct store_authz *a = &o->authz[i];

		if ((chs = json_array()) == NULL)
			break;
		for (k = 0; k < a->nch; k++)
			json_array_append_new(chs, challenge_json(o, a,
			    &a->ch[k]));
		e = order_text_problem(a->error, o, a->identifier,
		    a->nch > 0 ? a->ch[0].token : NULL);
		json_array_append_new(azs, json_pack("{s:I,s:s,s:s,s:b,s:o,"
		    "s:o,s:o}",
		    "id", (json_int_t)a->id,
		    "identifier", a->identifier,
		    "status", acme_status_name(a->status),
		    "wildcard", a->wildcard,
		    "expires", page_time(a->expires, 1),
		    "error", e != NULL ? e : json_null(),
		    "challenges", chs));
	}
	return azs;
}

/*
 * An order as the API shows it: DESIGN.md's shape {"id","status",
 * "domains","account_id","authorizations","certificate_id","error"} plus
 * the settings and times, written as they are read: the list's rows and
 * the single order's answers all come from here.
 */
void
order_view_members(struct jsonw *w, const struct store_order *o,
    int with_authz)
{
	json_t	*e;
	size_t	 i;

	jsonw_int(w, "id", o->id);
	jsonw_str(w, "status", store_ord_status_name(o->status));
	jsonw_arr(w, "domains");
	for (i = 0; i < o->ndomains; i++)
		jsonw_str(w, NULL, o->domains[i]);
	jsonw_arr_end(w);
	jsonw_int(w, "account_id", o->account_id);
	if (o->certificate_id > 0)
		jsonw_int(w, "certificate_id", o->certificate_id);
	else
		jsonw_null(w, "certificate_id");
	if ((e = order_text_problem(o->error, o, NULL, NULL)) != NULL)
		jsonw_value(w, "error", e);
	else
		jsonw_null(w, "error");
	json_decref(e);
	jsonw_str(w, "challenge_type", acme_chtype_name(o->challenge_type));
	jsonw_str(w, "key_type", acme_keytype_name(o->key_type));
	jsonw_bool(w, "auto", o->autom);
	jsonw_bool(w, "auto_renew", o->auto_renew);
	page_json_time(w, "created", o->created);
	page_json_time(w, "updated", o->updated);
	page_json_time(w, "expires", o->expires);
	if (o->renews > 0)
		jsonw_int(w, "renews", o->renews);
	else
		jsonw_null(w, "renews");
	if (with_authz && (e = authz_json(o)) != NULL) {
		jsonw_value(w, "authorizations", e);
		json_decref(e);
	}
}

/*
 * The JSON answer with order o (authorizations too) and extra's members
 * (borrowed, may be NULL) after its own; extra's keys are not the
 * order's.
 */
static void
order_answer(struct rq *rq, int status, const struct store_order *o,
    json_t *extra)
{
	struct jsonw	 w;
	const char	*key;
	json_t		*v;

	page_json_begin(rq, status, &w);
	jsonw_obj(&w, NULL);
	order_view_members(&w, o, 1);
	if (extra != NULL)
		json_object_foreach(extra, key, v)
			jsonw_value(&w, key, v);
	jsonw_obj_end(&w);
	page_json_end(rq, &w);
}

/* The order's summary for pages (list rows and the detail's top). */
json_t *
order_view_page(const struct store_order *o)
{
	json_t	*j;

	j = json_pack("{s:I,s:o,s:s,s:s,s:I,s:s,s:s,s:b,s:b,s:o,s:o,s:b,"
	    "s:b}",
	    "id", (json_int_t)o->id,
	    "domains_text", names_text(o->domains, o->ndomains),
	    "status", store_ord_status_name(o->status),
	    "status_help", status_help[o->status],
	    "account_id", (json_int_t)o->account_id,
	    "challenge_type", acme_chtype_name(o->challenge_type),
	    "key_type", acme_keytype_name(o->key_type),
	    "auto", o->autom,
	    "auto_renew", o->auto_renew,
	    "created", page_time(o->created, 0),
	    "updated", page_time(o->updated, 0),
	    "pending", o->status == STORE_ORD_PENDING,
	    "ready", o->status == STORE_ORD_READY);
	if (j != NULL && o->certificate_id > 0) {
		json_object_set_new(j, "certificate_id",
		    json_integer((json_int_t)o->certificate_id));
		json_object_set_new(j, "has_certificate", json_true());
	}
	return j;
}

/* The fields of an order list's rows: those of order_view_page. */
enum ov_field {
	OV_ID,
	OV_DOMAINS_TEXT,
	OV_STATUS,
	OV_STATUS_HELP,
	OV_ACCOUNT_ID,
	OV_CHALLENGE_TYPE,
	OV_KEY_TYPE,
	OV_AUTO,
	OV_AUTO_RENEW,
	OV_CREATED,
	OV_UPDATED,
	OV_PENDING,
	OV_READY,
	OV_CERTIFICATE_ID,
	OV_HAS_CERTIFICATE,
	OV__MAX
};

static const char *const ov_fields[] = {
	[OV_ID] = "id",
	[OV_DOMAINS_TEXT] = "domains_text",
	[OV_STATUS] = "status",
	[OV_STATUS_HELP] = "status_help",
	[OV_ACCOUNT_ID] = "account_id",
	[OV_CHALLENGE_TYPE] = "challenge_type",
	[OV_KEY_TYPE] = "key_type",
	[OV_AUTO] = "auto",
	[OV_AUTO_RENEW] = "auto_renew",
	[OV_CREATED] = "created",
	[OV_UPDATED] = "updated",
	[OV_PENDING] = "pending",
	[OV_READY] = "ready",
	[OV_CERTIFICATE_ID] = "certificate_id",
	[OV_HAS_CERTIFICATE] = "has_certificate",
};
_Static_assert(sizeof(ov_fields) / sizeof(ov_fields[0]) == OV__MAX,
    "ov_fields");

/*
 * A row of an order list (tmpl_rows.get): the fields of order_view_page,
 * read straight from the struct.  ctx is the list's struct store_order
 * array.  The certificate's fields are absent when there is none.
 */
static int
order_view_row(const void *ctx, size_t i, size_t f, struct tmpl_val *v)
{
	const struct store_order	*o = (const struct store_order *)ctx + i;

	v->type = TV_STR;
	switch ((enum ov_field)f) {
	case OV_ID:
		v->type = TV_INT;
		v->i = o->id;
		break;
	case OV_DOMAINS_TEXT:
		v->type = TV_STRV;
		v->v = o->domains;
		v->nv = o->ndomains;
		break;
	case OV_STATUS:
		v->s = store_ord_status_name(o->status);
		break;
	case OV_STATUS_HELP:
		v->s = status_help[o->status];
		break;
	case OV_ACCOUNT_ID:
		v->type = TV_INT;
		v->i = o->account_id;
		break;
	case OV_CHALLENGE_TYPE:
		v->s = acme_chtype_name(o->challenge_type);
		break;
	case OV_KEY_TYPE:
		v->s = acme_keytype_name(o->key_type);
		break;
	case OV_AUTO:
		v->type = TV_BOOL;
		v->i = o->autom;
		break;
	case OV_AUTO_RENEW:
		v->type = TV_BOOL;
		v->i = o->auto_renew;
		break;
	case OV_CREATED:
		v->s = panel_time_min((time_t)o->created, v->buf);
		break;
	case OV_UPDATED:
		v->s = panel_time_min((time_t)o->updated, v->buf);
		break;
	case OV_PENDING:
		v->type = TV_BOOL;
		v->i = o->status == STORE_ORD_PENDING;
		break;
	case OV_READY:
		v->type = TV_BOOL;
		v->i = o->status == STORE_ORD_READY;
		break;
	case OV_CERTIFICATE_ID:
		if (o->certificate_id <= 0)
			return -1;
		v->type = TV_INT;
		v->i = o->certificate_id;
		break;
	case OV_HAS_CERTIFICATE:
		if (o->certificate_id <= 0)
			return -1;
		v->type = TV_BOOL;
		v->i = 1;
		break;
	default:
		return -1;
	}
	return 0;
}

/* order_view_row for brief rows (store_order_filter.brief): the fields
 * they do not carry are absent rather than zero. */
static int
order_view_brief(const void *ctx, size_t i, size_t f, struct tmpl_val *v)
{
	switch ((enum ov_field)f) {
	case OV_ACCOUNT_ID:
	case OV_KEY_TYPE:
	case OV_AUTO_RENEW:
	case OV_CERTIFICATE_ID:
	case OV_HAS_CERTIFICATE:
		return -1;
	default:
		return order_view_row(ctx, i, f, v);
	}
}

void
order_view_rows(struct tmpl_rows *rows, const char *name,
    const struct store_order *v, size_t n, int brief)
{
	rows->name = name;
	rows->n = n;
	rows->fields = ov_fields;
	rows->nfields = OV__MAX;
	rows->get = brief ? order_view_brief : order_view_row;
	rows->ctx = v;
}

/* The JSON answer with one order (read again, with authorizations). */
void
order_view_reply(struct rq *rq, int status, int64_t id, json_t *extra)
{
	struct store_order	*o = NULL;
	enum panel_err		 pe;
	char			 loc[64];

	if ((pe = store_order_get(rq->pn->st, id, auth_owner(rq->user),
	    &o)) != PANEL_OK) {
		json_decref(extra);
		page_store_fail(rq, pe, "No such order.");
		return;
	}
	if (status == 201) {
		snprintf(loc, sizeof(loc), "/acme/orders/%lld", (long long)id);
		resp_header(rq->resp, "Location", loc);
	}
	order_answer(rq, status, o, extra);
	json_decref(extra);
	store_order_free(o);
}

/* ------------------------------------------------------------------ */
/* GET /acme/orders/{id}                                                */

/* The detail page's data: summary, authorizations, history, problem. */
static json_t *
show_data(struct rq *rq, const struct store_order *o)
{
	struct store_event_list	*el = NULL;
	json_t			*d, *azs, *evs, *chs, *sg, *t;
	size_t			 i, k;

	if ((d = order_view_page(o)) == NULL)
		return NULL;
	order_text_problem_page(d, o->error, o, NULL, NULL);
	if ((azs = json_array()) != NULL) {
		for (i = 0; i < o->nauthz; i++) {
			const struct store_authz *a = &o->authz[i];

			if ((chs = json_array()) == NULL)
				break;
			for (k = 0; k < a->nch; k++)
				json_array_append_new(chs, json_pack(
				    "{s:s,s:s}", "type",
				    acme_chtype_name(a->ch[k].type), "status",
				    acme_status_name(a->ch[k].status)));
			json_array_append_new(azs, json_pack("{s:s,s:s,s:o}",
			    "identifier", a->identifier, "status",
			    acme_status_name(a->status), "challenges", chs));
		}
		json_object_set_new(d, "authorizations", azs);
	}
	if ((evs = json_array()) != NULL &&
	    store_event_list(rq->pn->st, o->id, &el) == PANEL_OK) {
		for (i = 0; i < el->n; i++)
			json_array_append_new(evs, json_pack("{s:o,s:s,s:s?}",
			    "at", page_time(el->v[i].at, 0),
			    "what", el->v[i].what ? el->v[i].what : "",
			    "detail", el->v[i].detail != NULL &&
			    *el->v[i].detail != '\0' ? el->v[i].detail :
			    NULL));
		store_event_list_free(el);
	}
	json_object_set_new(d, "events", evs);
	sg = order_text_suggest(o->domains, o->ndomains);
	if ((t = order_text_suggestions(sg)) != NULL)
		json_object_set_new(d, "suggestions", t);
	json_decref(sg);
	return json_pack("{s:o}", "order", d);
}

/*
 * An order that can still move is read from the CA again before it is
 * shown, so the page tells what the CA knows now, not what it knew when
 * the user last clicked.  A CA that does not answer is not an error here:
 * the stored state is shown.  Returns 0, or -1 (page written) when the
 * order vanished meanwhile.
 */
static int
refresh_order(struct rq *rq, struct store_order **o)
{
	struct ops	 op;
	struct ops_err	 e;
	enum panel_err	 pe;

	memset(&e, 0, sizeof(e));
	page_ops(rq, &op);
	if (ops_order_refresh(&op, (*o)->id, auth_owner(rq->user), 0, &e) !=
	    PANEL_OK) {
		ops_err_clear(&e);
		return 0;
	}
	ops_err_clear(&e);
	store_order_free(*o);
	*o = NULL;
	if ((pe = store_order_get(rq->pn->st, rq->id, auth_owner(rq->user),
	    o)) != PANEL_OK) {
		page_store_fail(rq, pe, "No such order.");
		return -1;
	}
	return 0;
}

void
orders_show(struct rq *rq)
{
	struct store_order	*o = NULL;
	struct store_event_list	*el = NULL;
	enum panel_err		 pe;
	json_t			*x, *h;
	size_t			 i;

	if ((pe = store_order_get(rq->pn->st, rq->id, auth_owner(rq->user),
	    &o)) != PANEL_OK) {
		page_store_fail(rq, pe, "No such order.");
		return;
	}
	if (store_ord_active(o->status) && o->status != STORE_ORD_NEW &&
	    o->order_url != NULL && refresh_order(rq, &o) == -1)
		return;
	if (!rq->req->want_json) {
		page_render(rq, 200, "order", show_data(rq, o));
		store_order_free(o);
		return;
	}
	/* The history and the suggestions after the order's members. */
	if ((x = json_object()) != NULL && (h = json_array()) != NULL) {
		if (store_event_list(rq->pn->st, o->id, &el) == PANEL_OK) {
			for (i = 0; i < el->n; i++)
				json_array_append_new(h, json_pack(
				    "{s:o,s:s,s:s?}", "at",
				    page_time(el->v[i].at, 1), "what",
				    el->v[i].what ? el->v[i].what : "",
				    "detail", el->v[i].detail));
			store_event_list_free(el);
		}
		json_object_set_new(x, "history", h);
		json_object_set_new(x, "suggestions",
		    order_text_suggest(o->domains, o->ndomains));
	}
	order_answer(rq, 200, o, x);
	json_decref(x);
	store_order_free(o);
}

/* ------------------------------------------------------------------ */
/* GET /acme/orders/{id}/challenges, POST /acme/challenges/{id}/respond */

/*
 * The challenges page's data: for each authorization exactly what to
 * deploy.  diag_id/diag: a self-check diagnosis to show beside that
 * challenge (0/NULL: none).
 */
static json_t *
challenges_data(const struct store_order *o, int64_t diag_id,
    const char *diag)
{
	json_t	*azs, *chs, *c, *x;
	size_t	 i, k;
	char	 url[512];

	if ((azs = json_array()) == NULL)
		return NULL;
	for (i = 0; i < o->nauthz; i++) {
		const struct store_authz *a = &o->authz[i];
		const char *name = a->identifier + (a->wildcard &&
		    strncmp(a->identifier, "*.", 2) == 0 ? 2 : 0);

		if ((chs = json_array()) == NULL)
			break;
		for (k = 0; k < a->nch; k++) {
			const struct store_challenge *ch = &a->ch[k];

			c = json_pack("{s:I,s:s,s:s,s:b}",
			    "id", (json_int_t)ch->id,
			    "type", acme_chtype_name(ch->type),
			    "status", acme_status_name(ch->status),
			    "can_respond", ch->status == ACME_S_PENDING &&
			    a->status == ACME_S_PENDING &&
			    o->status == STORE_ORD_PENDING);
			if (c == NULL)
				continue;
			if (ch->type == ACME_CH_HTTP01 && ch->token != NULL &&
			    acme_b64url_valid(ch->token, 256)) {
				order_text_http01_url(name, ch->token, url,
				    sizeof(url));
				x = json_pack("{s:s,s:s}", "url", url,
				    "content", ch->key_authorization ?
				    ch->key_authorization : "");
				json_object_set_new(c, "http01", x);
			} else if (ch->type == ACME_CH_DNS01)
				json_object_set_new(c, "dns01", json_pack(
				    "{s:s,s:s}", "name", ch->dns_name ?
				    ch->dns_name : "", "value", ch->dns_value ?
				    ch->dns_value : ""));
			if (diag != NULL && ch->id == diag_id)
				json_object_set_new(c, "diagnosis",
				    json_string(diag));
			/* The challenge's problem, else the
			 * authorization's. */
			order_text_problem_page(c, ch->error != NULL ?
			    ch->error : a->error, o, a->identifier,
			    ch->token);
			json_array_append_new(chs, c);
		}
		if (a->nch == 0 && a->status == ACME_S_VALID)
			json_array_append_new(chs, json_pack("{s:s}",
			    "done", "Already validated."));
		json_array_append_new(azs, json_pack("{s:s,s:s,s:o}",
		    "identifier", a->identifier,
		    "status", acme_status_name(a->status),
		    "challenges", chs));
	}
	return json_pack("{s:{s:I,s:s},s:o}", "order", "id",
	    (json_int_t)o->id, "status", store_ord_status_name(o->status),
	    "authorizations", azs);
}

void
orders_challenges(struct rq *rq)
{
	struct store_order	*o = NULL;
	enum panel_err		 pe;
	char			 obj[64];

	if ((pe = store_order_get(rq->pn->st, rq->id, auth_owner(rq->user),
	    &o)) != PANEL_OK) {
		page_store_fail(rq, pe, "No such order.");
		return;
	}
	/* The key authorizations are shown: record who looked. */
	snprintf(obj, sizeof(obj), "order:%lld", (long long)o->id);
	page_audit(rq, "challenge.view", obj, "ok", NULL);
	if (rq->req->want_json)
		order_answer(rq, 200, o, NULL);
	else
		page_render(rq, 200, "challenges", challenges_data(o, 0, NULL));
	store_order_free(o);
}

void
challenges_respond(struct rq *rq)
{
	struct store_challenge	*c = NULL;
	struct store_order	*o = NULL;
	struct valid_error	 ve;
	struct ops_err		 oe;
	struct ops		 op;
	enum panel_err		 pe;
	int64_t			 owner = auth_owner(rq->user);
	int			 force = 0;
	char			 path[96];

	memset(&oe, 0, sizeof(oe));
	if ((pe = store_challenge_get(rq->pn->st, rq->id, owner, &c)) !=
	    PANEL_OK) {
		page_store_fail(rq, pe, "No such challenge.");
		return;
	}
	if ((pe = orders_bool_field(rq, "force", 0, &force, &ve)) != PANEL_OK) {
		if (pe == PANEL_ERR_INVALID)
			page_error(rq, 422, "invalid", ve.msg, ve.field);
		else
			page_error(rq, 500, "internal", "The form could not "
			    "be checked.", NULL);
		goto out;
	}
	page_ops(rq, &op);
	pe = ops_challenge_respond(&op, c->id, owner, force, 0, &oe);
	snprintf(path, sizeof(path), "/acme/orders/%lld/challenges",
	    (long long)c->order_id);
	if (pe == PANEL_OK) {
		if (rq->req->want_json)
			order_view_reply(rq, 200, c->order_id, NULL);
		else
			page_redirect(rq, path);
		goto out;
	}
	if (oe.status == 0) {
		oe.status = pe == PANEL_ERR_INVALID ? 422 : 500;
		snprintf(oe.code, sizeof(oe.code), "%s", pe ==
		    PANEL_ERR_INVALID ? "self_check" : "internal");
		if (oe.msg[0] == '\0')
			snprintf(oe.msg, sizeof(oe.msg), "%s",
			    panel_strerror(pe));
	}
	if (rq->req->want_json || store_order_get(rq->pn->st, c->order_id,
	    owner, &o) != PANEL_OK) {
		page_ops_error(rq, &oe, NULL, NULL);
		goto out;
	}
	if (pe == PANEL_ERR_INVALID && strcmp(oe.code, "self_check") == 0) {
		/* The self-check failed: the diagnosis beside the challenge,
		 * and the "Respond anyway" box with it. */
		page_render(rq, 422, "challenges", challenges_data(o, c->id,
		    oe.msg));
	} else
		page_ops_error(rq, &oe, "challenges", challenges_data(o, 0,
		    NULL));
out:
	ops_err_clear(&oe);
	store_order_free(o);
	store_challenge_free(c);
}

/* ------------------------------------------------------------------ */
/* POST /acme/orders/{id}/finalize                                      */

void
orders_finalize(struct rq *rq)
{
	struct store_order	*o = NULL;
	struct ops_err		 oe;
	struct ops		 op;
	enum panel_err		 pe;
	int64_t			 owner = auth_owner(rq->user), cert_id = 0;
	const char		*why = NULL;
	char			 path[64];

	memset(&oe, 0, sizeof(oe));
	if ((pe = store_order_get(rq->pn->st, rq->id, owner, &o)) !=
	    PANEL_OK) {
		page_store_fail(rq, pe, "No such order.");
		return;
	}
	/* Refuse what cannot work before asking the CA. */
	switch (o->status) {
	case STORE_ORD_NEW:
		why = "The order has not been placed with the CA yet.";
		break;
	case STORE_ORD_INVALID:
		why = "This order failed; place a new order.";
		break;
	case STORE_ORD_EXPIRED:
		why = "This order expired; place a new order.";
		break;
	case STORE_ORD_CANCELED:
		why = "This order was canceled.";
		break;
	default:
		break;	/* pending: the CA may be ready by now */
	}
	if (why != NULL) {
		oe.status = 409;
		snprintf(oe.code, sizeof(oe.code), "order_state");
		snprintf(oe.msg, sizeof(oe.msg), "%s", why);
		page_ops_error(rq, &oe, "order", rq->req->want_json ? NULL :
		    show_data(rq, o));
		goto out;
	}
	page_ops(rq, &op);
	if ((pe = ops_order_finalize(&op, o->id, owner, 0, &cert_id, &oe)) !=
	    PANEL_OK) {
		if (oe.status == 0)
			snprintf(oe.msg, sizeof(oe.msg), "Finalizing failed: "
			    "%s.", panel_strerror(pe));
		store_order_free(o);
		o = NULL;
		/* Show the order as it is now, with the reason. */
		if (!rq->req->want_json && store_order_get(rq->pn->st,
		    rq->id, owner, &o) == PANEL_OK)
			page_ops_error(rq, &oe, "order", show_data(rq, o));
		else
			page_ops_error(rq, &oe, NULL, NULL);
		goto out;
	}
	if (rq->req->want_json)
		order_view_reply(rq, 200, o->id, NULL);
	else {
		snprintf(path, sizeof(path), "/acme/orders/%lld",
		    (long long)o->id);
		page_redirect(rq, path);
	}
out:
	ops_err_clear(&oe);
	store_order_free(o);
}
