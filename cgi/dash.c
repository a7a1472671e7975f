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

/* ISO 8601 of t as a new JSON string, or null for 0; NULL on failure. */
static json_t *
json_time(int64_t t)
{
	char	 buf[21];

	if (t <= 0)
		return json_null();
	return json_string_nocheck(panel_time_iso((time_t)t, buf));
}

/*
 * Sets o's member key (a literal) to v, which it steals; the members
 * built one by one instead of through json_pack's format parser.  -1
 * when v is NULL (it could not be made) or o refused it.
 */
static int
set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new_nocheck(o, key, v);
}

/* "domains" (array) and "domains_text" ("a, b, c") of a row. */
static void
domains_json(struct jsonw *w, char *const *v, size_t n)
{
	size_t	 i;

	jsonw_arr(w, "domains");
	for (i = 0; i < n; i++)
		jsonw_str(w, NULL, v[i]);
	jsonw_arr_end(w);
	jsonw_strv(w, "domains_text", v, n, ", ");
}

/*
 * A failure's text (the store gives the problem's detail, else its
 * type, else the stored text) cut to a sensible length into buf.  NULL
 * when there is none.
 */
static const char *
problem_text(const char *s, char buf[ERROR_TEXT_MAX + 4])
{
	size_t		 n;

	if (s == NULL)
		return NULL;
	if ((n = strlen(s)) <= ERROR_TEXT_MAX)
		return s;
	/* Do not cut a UTF-8 sequence in half. */
	n = ERROR_TEXT_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	snprintf(buf, ERROR_TEXT_MAX + 4, "%.*s…", (int)n, s);
	return buf;
}

/* Days from now to t, rounded towards the past for dead ones. */
static int64_t
days_left(int64_t t, int64_t now)
{
	if (t < now)
		return -((now - t + DAY - 1) / DAY);
	return (t - now) / DAY;
}

/* The certificates expiring soonest, written as read. */
static void
expiring_json(struct jsonw *w, const struct store_cert_list *l, int64_t now)
{
	size_t	 i;

	jsonw_arr(w, "expiring");
	for (i = 0; l != NULL && i < l->n; i++) {
		const struct store_cert	*c = &l->v[i];
		int64_t			 left = days_left(c->not_after, now);

		jsonw_obj(w, NULL);
		jsonw_int(w, "id", c->id);
		jsonw_int(w, "order_id", c->order_id);
		page_json_time(w, "not_after", c->not_after);
		jsonw_int(w, "days_left", left);
		jsonw_bool(w, "urgent", left < URGENT_DAYS);
		jsonw_str(w, "serial", c->serial);
		domains_json(w, c->domains, c->ndomains);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
}

/* Orders as the dashboard lists them, written as read; with_error adds
 * the problem's text. */
static void
orders_json(struct jsonw *w, const char *key,
    const struct store_order_list *l, int with_error)
{
	char	 buf[ERROR_TEXT_MAX + 4];
	size_t	 i;

	jsonw_arr(w, key);
	for (i = 0; l != NULL && i < l->n; i++) {
		const struct store_order *od = &l->v[i];

		jsonw_obj(w, NULL);
		jsonw_int(w, "id", od->id);
		jsonw_str(w, "status", store_ord_status_name(od->status));
		jsonw_int(w, "account_id", od->account_id);
		page_json_time(w, "created", od->created);
		page_json_time(w, "updated", od->updated);
		jsonw_int(w, "certificate_id", od->certificate_id);
		domains_json(w, od->domains, od->ndomains);
		if (with_error)
			jsonw_str(w, "error", problem_text(od->error, buf));
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
}

/* The last sweep for the HTML page: a new object (null when there was
 * none), NULL when it could not be built. */
static json_t *
sweep_json(const struct store_sweep *s)
{
	json_t	*o;
	int	 bad = 0;

	if (s == NULL)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	bad |= set(o, "id", json_integer(s->id));
	bad |= set(o, "started", json_time(s->started));
	bad |= set(o, "finished", json_time(s->finished));
	bad |= set(o, "running", json_boolean(s->finished == 0));
	bad |= set(o, "ok", s->ok < 0 ? json_null() : json_boolean(s->ok));
	bad |= set(o, "summary", s->summary != NULL ?
	    json_string(s->summary) : json_null());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The last sweep written as read, as sweep_json's object would be. */
static void
sweep_jsonw(struct jsonw *w, const struct store_sweep *s)
{
	if (s == NULL) {
		jsonw_null(w, "last_sweep");
		return;
	}
	jsonw_obj(w, "last_sweep");
	jsonw_int(w, "id", s->id);
	page_json_time(w, "started", s->started);
	page_json_time(w, "finished", s->finished);
	jsonw_bool(w, "running", s->finished == 0);
	if (s->ok < 0)
		jsonw_null(w, "ok");
	else
		jsonw_bool(w, "ok", s->ok);
	jsonw_str(w, "summary", s->summary);
	jsonw_obj_end(w);
}

/* The HTML page's counts and last sweep: a new object, NULL when it
 * could not be built. */
static json_t *
counts_json(const struct store_counts *c, const struct store_sweep *sw)
{
	json_t	*d;
	int	 bad = 0;

	if ((d = json_object()) == NULL)
		return NULL;
	bad |= set(d, "accounts", json_integer(c->accounts));
	bad |= set(d, "orders_active", json_integer(c->orders_active));
	bad |= set(d, "orders_failed", json_integer(c->orders_failed));
	bad |= set(d, "certs_valid", json_integer(c->certs_valid));
	bad |= set(d, "certs_expiring", json_integer(c->certs_expiring));
	bad |= set(d, "last_sweep", sweep_json(sw));
	if (bad) {
		json_decref(d);
		return NULL;
	}
	return d;
}

/* The HTML page's lists, read straight from the store's structs. */
struct dash_rows {
	const struct store_cert_list	*exp;
	const struct store_order_list	*recent, *fail;
	char				**errors;	/* fail's texts */
	int64_t				 now;
};

/*
 * The fields of the order lists (recent; failures add error) and of the
 * expiring certificates.
 */
enum ord_field {
	ORD_ID,
	ORD_STATUS,
	ORD_DOMAINS_TEXT,
	ORD_CREATED,
	ORD_UPDATED,
	ORD_ERROR,		/* failures only: recent's table stops here */
	ORD__MAX
};

static const char *const ord_fields[] = {
	[ORD_ID] = "id",
	[ORD_STATUS] = "status",
	[ORD_DOMAINS_TEXT] = "domains_text",
	[ORD_CREATED] = "created",
	[ORD_UPDATED] = "updated",
	[ORD_ERROR] = "error",
};
_Static_assert(sizeof(ord_fields) / sizeof(ord_fields[0]) == ORD__MAX,
    "ord_fields");

enum exp_field {
	EXP_ID,
	EXP_ORDER_ID,
	EXP_NOT_AFTER,
	EXP_DAYS_LEFT,
	EXP_URGENT,
	EXP_SERIAL,
	EXP_DOMAINS_TEXT,
	EXP__MAX
};

static const char *const exp_fields[] = {
	[EXP_ID] = "id",
	[EXP_ORDER_ID] = "order_id",
	[EXP_NOT_AFTER] = "not_after",
	[EXP_DAYS_LEFT] = "days_left",
	[EXP_URGENT] = "urgent",
	[EXP_SERIAL] = "serial",
	[EXP_DOMAINS_TEXT] = "domains_text",
};
_Static_assert(sizeof(exp_fields) / sizeof(exp_fields[0]) == EXP__MAX,
    "exp_fields");

/* Fields common to the order lists (recent, failures). */
static int
order_row(const struct store_order *o, size_t f, struct tmpl_val *v)
{
	switch ((enum ord_field)f) {
	case ORD_ID:
		v->type = TV_INT;
		v->i = o->id;
		break;
	case ORD_STATUS:
		v->type = TV_STR;
		v->s = store_ord_status_name(o->status);
		break;
	case ORD_DOMAINS_TEXT:
		v->type = TV_STRV;
		v->v = o->domains;
		v->nv = o->ndomains;
		break;
	case ORD_CREATED:
		v->type = TV_STR;
		v->s = panel_time_iso((time_t)o->created, v->buf);
		break;
	case ORD_UPDATED:
		v->type = TV_STR;
		v->s = panel_time_iso((time_t)o->updated, v->buf);
		break;
	default:
		return -1;
	}
	return 0;
}

static int
recent_row(const void *ctx, size_t i, size_t f, struct tmpl_val *v)
{
	const struct dash_rows	*d = ctx;

	return order_row(&d->recent->v[i], f, v);
}

static int
fail_row(const void *ctx, size_t i, size_t f, struct tmpl_val *v)
{
	const struct dash_rows	*d = ctx;

	if (f == ORD_ERROR) {
		v->type = TV_STR;
		v->s = d->errors != NULL ? d->errors[i] : NULL;
		return 0;
	}
	return order_row(&d->fail->v[i], f, v);
}

static int
expiring_row(const void *ctx, size_t i, size_t f, struct tmpl_val *v)
{
	const struct dash_rows	*d = ctx;
	const struct store_cert	*c = &d->exp->v[i];

	switch ((enum exp_field)f) {
	case EXP_ID:
		v->type = TV_INT;
		v->i = c->id;
		break;
	case EXP_ORDER_ID:
		v->type = TV_INT;
		v->i = c->order_id;
		break;
	case EXP_NOT_AFTER:
		v->type = TV_STR;
		v->s = panel_time_iso((time_t)c->not_after, v->buf);
		break;
	case EXP_DAYS_LEFT:
		v->type = TV_INT;
		v->i = days_left(c->not_after, d->now);
		break;
	case EXP_URGENT:
		v->type = TV_BOOL;
		v->i = days_left(c->not_after, d->now) < URGENT_DAYS;
		break;
	case EXP_SERIAL:
		v->type = TV_STR;
		v->s = c->serial;
		break;
	case EXP_DOMAINS_TEXT:
		v->type = TV_STRV;
		v->v = c->domains;
		v->nv = c->ndomains;
		break;
	default:
		return -1;
	}
	return 0;
}

/* The HTML dashboard: d (stolen) holds the counts; the lists are rows. */
static void
dash_html(struct rq *rq, json_t *d, struct dash_rows *dr)
{
	struct tmpl_rows	 rows[3];
	char			 buf[ERROR_TEXT_MAX + 4];
	const char		*t;
	size_t			 i, n = dr->fail != NULL ? dr->fail->n : 0;

	if (n > 0 && (dr->errors = calloc(n, sizeof(char *))) == NULL) {
		json_decref(d);
		rq->resp->failed = 1;
		return;
	}
	for (i = 0; i < n; i++)
		if ((t = problem_text(dr->fail->v[i].error, buf)) != NULL &&
		    (dr->errors[i] = strdup(t)) == NULL) {
			rq->resp->failed = 1;
			break;
		}
	rows[0] = (struct tmpl_rows){ "expiring", dr->exp != NULL ?
	    dr->exp->n : 0, exp_fields, EXP__MAX, expiring_row, dr };
	rows[1] = (struct tmpl_rows){ "recent", dr->recent != NULL ?
	    dr->recent->n : 0, ord_fields, ORD_ERROR, recent_row, dr };
	rows[2] = (struct tmpl_rows){ "failures", n, ord_fields, ORD__MAX,
	    fail_row, dr };
	if (set(d, "any_expiring", json_boolean(rows[0].n > 0)) == -1 ||
	    set(d, "any_recent", json_boolean(rows[1].n > 0)) == -1 ||
	    set(d, "any_failures", json_boolean(rows[2].n > 0)) == -1)
		rq->resp->failed = 1;
	if (!rq->resp->failed)
		page_render_rows(rq, 200, "dashboard", d, rows, 3);
	else
		json_decref(d);
	for (i = 0; i < n; i++)
		free(dr->errors[i]);
	free(dr->errors);
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
	struct jsonw			 w;

	memset(&cnt, 0, sizeof(cnt));
	memset(&f, 0, sizeof(f));
	f.owner = owner;
	f.limit = LIST_MAX;
	f.no_total = 1;
	/* The HTML list shows neither error nor certificate; the expiring
	 * certificates show the brief columns in either form. */
	f.brief = !rq->req->want_json;
	if ((rc = store_dashboard_counts_from(st, owner, now,
	    now + SOON_DAYS * DAY, now - SINCE_DAYS * DAY, &cnt)) !=
	    PANEL_OK ||
	    (rc = store_dashboard_expiring_from(st, owner, now, LIST_MAX,
	    1, &exp)) != PANEL_OK ||
	    (rc = store_order_list(st, &f, &recent)) != PANEL_OK ||
	    (rc = store_dashboard_failures(st, owner, 5, f.brief, &fail)) !=
	    PANEL_OK)
		goto err;
	if ((rc = store_sweep_last(st, &sw)) != PANEL_OK &&
	    rc != PANEL_ERR_NOTFOUND)
		goto err;

	if (!rq->req->want_json) {
		struct dash_rows	 dr = { exp, recent, fail, NULL, now };

		if ((d = counts_json(&cnt, sw)) == NULL)
			rq->resp->failed = 1;
		else
			dash_html(rq, d, &dr);
		goto out;
	}
	/* The lists are written as read: no JSON tree per row. */
	page_json_begin(rq, 200, &w);
	jsonw_obj(&w, NULL);
	jsonw_int(&w, "accounts", cnt.accounts);
	jsonw_int(&w, "orders_active", cnt.orders_active);
	jsonw_int(&w, "orders_failed", cnt.orders_failed);
	jsonw_int(&w, "certs_valid", cnt.certs_valid);
	jsonw_int(&w, "certs_expiring", cnt.certs_expiring);
	expiring_json(&w, exp, now);
	orders_json(&w, "recent", recent, 0);
	orders_json(&w, "failures", fail, 1);
	sweep_jsonw(&w, sw);
	jsonw_obj_end(&w);
	page_json_end(rq, &w);
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
