/*
 * GET /acme: the dashboard.  Counts, the certificates expiring soonest,
 * recent orders, recent failures and the last renewal sweep.  Owners see
 * their own; admins see everything (auth_owner).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pages.h"

#define DAY		86400
#define SOON_DAYS	30
#define URGENT_DAYS	14
#define SINCE_DAYS	7
#define LIST_MAX	10
#define ERROR_TEXT_MAX	300

/* ISO 8601 of t as a JSON string, or null for 0. */
static json_t *
json_time(int64_t t)
{
	char	 buf[21];

	if (t <= 0)
		return json_null();
	return json_string(panel_time_iso((time_t)t, buf));
}

/* Sets "domains" (array) and "domains_text" ("a, b, c") in o. */
static void
set_domains(json_t *o, char *const *v, size_t n)
{
	json_t		*a = json_array();
	struct resp	 t;
	size_t		 i;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < n; i++) {
		json_array_append_new(a, json_string(v[i]));
		if (i > 0)
			resp_puts(&t, ", ");
		resp_puts(&t, v[i]);
	}
	json_object_set_new(o, "domains", a);
	json_object_set_new(o, "domains_text",
	    json_string(t.body != NULL && !t.failed ? t.body : ""));
	resp_clear(&t);
}

/*
 * The readable part of a stored RFC 7807 problem (JSON text): its
 * detail, else its type, else the text itself; cut to a sensible length.
 * New reference.
 */
static json_t *
problem_text(const char *problem)
{
	json_t		*pr, *out;
	const char	*s = problem;
	char		 buf[ERROR_TEXT_MAX + 4];

	if (problem == NULL)
		return json_null();
	pr = json_loads(problem, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(pr)) {
		if (json_is_string(json_object_get(pr, "detail")))
			s = json_string_value(json_object_get(pr, "detail"));
		else if (json_is_string(json_object_get(pr, "type")))
			s = json_string_value(json_object_get(pr, "type"));
	}
	if (strlen(s) > ERROR_TEXT_MAX) {
		size_t	 n = ERROR_TEXT_MAX;

		/* Do not cut a UTF-8 sequence in half. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		snprintf(buf, sizeof(buf), "%.*s…", (int)n, s);
		s = buf;
	}
	out = json_string(s);
	json_decref(pr);
	return out != NULL ? out : json_null();
}

static json_t *
expiring_json(const struct store_cert_list *l, int64_t now)
{
	json_t	*a = json_array(), *o;
	size_t	 i;

	for (i = 0; l != NULL && i < l->n; i++) {
		const struct store_cert	*c = &l->v[i];
		int64_t			 left = (c->not_after - now) / DAY;

		if (c->not_after < now)
			left = -((now - c->not_after + DAY - 1) / DAY);
		o = json_pack("{s:I,s:I,s:o,s:I,s:b,s:s?}",
		    "id", (json_int_t)c->id,
		    "order_id", (json_int_t)c->order_id,
		    "not_after", json_time(c->not_after),
		    "days_left", (json_int_t)left,
		    "urgent", left < URGENT_DAYS,
		    "serial", c->serial);
		if (o == NULL)
			continue;
		set_domains(o, c->domains, c->ndomains);
		json_array_append_new(a, o);
	}
	return a;
}

/* Orders as the dashboard lists them; with_error adds the problem. */
static json_t *
orders_json(const struct store_order_list *l, int with_error)
{
	json_t	*a = json_array(), *o;
	size_t	 i;

	for (i = 0; l != NULL && i < l->n; i++) {
		const struct store_order *od = &l->v[i];

		o = json_pack("{s:I,s:s,s:I,s:o,s:o,s:I}",
		    "id", (json_int_t)od->id,
		    "status", store_ord_status_name(od->status),
		    "account_id", (json_int_t)od->account_id,
		    "created", json_time(od->created),
		    "updated", json_time(od->updated),
		    "certificate_id", (json_int_t)od->certificate_id);
		if (o == NULL)
			continue;
		set_domains(o, od->domains, od->ndomains);
		if (with_error)
			json_object_set_new(o, "error",
			    problem_text(od->error));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
sweep_json(const struct store_sweep *s)
{
	if (s == NULL)
		return json_null();
	return json_pack("{s:I,s:o,s:o,s:b,s:o,s:s?}",
	    "id", (json_int_t)s->id,
	    "started", json_time(s->started),
	    "finished", json_time(s->finished),
	    "running", s->finished == 0,
	    "ok", s->ok < 0 ? json_null() : json_boolean(s->ok),
	    "summary", s->summary);
}

void
dash_get(struct rq *rq)
{
	struct store			*st = rq->pn->st;
	struct store_counts		 cnt;
	struct store_cert_list		*exp = NULL;
	struct store_order_list		*recent = NULL, *fail = NULL;
	struct store_sweep		*sw = NULL;
	struct store_order_filter	 f;
	int64_t				 now = (int64_t)time(NULL);
	int64_t				 owner = auth_owner(rq->user);
	enum panel_err			 rc;
	json_t				*d;

	memset(&cnt, 0, sizeof(cnt));
	memset(&f, 0, sizeof(f));
	f.owner = owner;
	f.limit = LIST_MAX;
	if ((rc = store_dashboard_counts(st, owner, now + SOON_DAYS * DAY,
	    now - SINCE_DAYS * DAY, &cnt)) != PANEL_OK ||
	    (rc = store_dashboard_expiring(st, owner, LIST_MAX, &exp)) !=
	    PANEL_OK ||
	    (rc = store_order_list(st, &f, &recent)) != PANEL_OK ||
	    (rc = store_dashboard_failures(st, owner, 5, &fail)) != PANEL_OK)
		goto err;
	if ((rc = store_sweep_last(st, &sw)) != PANEL_OK &&
	    rc != PANEL_ERR_NOTFOUND)
		goto err;

	d = json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}",
	    "accounts", (json_int_t)cnt.accounts,
	    "orders_active", (json_int_t)cnt.orders_active,
	    "orders_failed", (json_int_t)cnt.orders_failed,
	    "certs_valid", (json_int_t)cnt.certs_valid,
	    "certs_expiring", (json_int_t)cnt.certs_expiring,
	    "expiring", expiring_json(exp, now),
	    "recent", orders_json(recent, 0),
	    "failures", orders_json(fail, 1),
	    "last_sweep", sweep_json(sw));
	if (d == NULL) {
		rq->resp->failed = 1;
		goto out;
	}
	if (!rq->req->want_json) {
		/* Sections that test "is there anything" (HTML only). */
		json_object_set_new(d, "any_expiring", json_boolean(
		    json_array_size(json_object_get(d, "expiring")) > 0));
		json_object_set_new(d, "any_recent", json_boolean(
		    json_array_size(json_object_get(d, "recent")) > 0));
		json_object_set_new(d, "any_failures", json_boolean(
		    json_array_size(json_object_get(d, "failures")) > 0));
	}
	page_render(rq, 200, "dashboard", d);
	goto out;
err:
	fprintf(stderr, "acme.fcgi: dashboard: %s: %s\n", panel_strerror(rc),
	    store_errmsg(st));
	page_error(rq, rc == PANEL_ERR_BUSY ? 503 : 500, "internal",
	    "The dashboard could not be read. Try again in a moment.", NULL);
out:
	store_cert_list_free(exp);
	store_order_list_free(recent);
	store_order_list_free(fail);
	store_sweep_free(sw);
}
