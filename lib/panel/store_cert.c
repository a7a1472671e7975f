/*
 * Certificates, dashboard numbers, billing intents, alerts and sweep
 * runs.
 */
#include <stdlib.h>
#include <string.h>

#include "panel_priv.h"

#define LIST_DEFAULT	50
#define LIST_MAX	500
#define DAY		86400	/* a day of sql/0015 */

static unsigned
clamp_limit(unsigned limit)
{
	if (limit == 0)
		return LIST_DEFAULT;
	return limit > LIST_MAX ? LIST_MAX : limit;
}

/* CERT_COLS: 0 id, order_id, owner, account_id, serial, 5 not_before,
 * not_after, domains, chain_pem, key_enc, 10 ari_id, renew_at, status,
 * replaced_by, revoked_reason, 15 revoked_at, created. */
static int
cert_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_cert	*c = arg;

	c->id = col_int(s, 0);
	c->order_id = col_int(s, 1);
	c->owner = col_int(s, 2);
	c->account_id = col_int(s, 3);
	c->not_before = col_int(s, 5);
	c->not_after = col_int(s, 6);
	c->renew_at = col_int(s, 11);
	if (store_cert_status_parse((const char *)sqlite3_column_text(s, 12),
	    &c->status) == -1)
		c->status = STORE_CERT_REVOKED;
	c->replaced_by = col_int(s, 13);
	c->revoked_reason = sqlite3_column_type(s, 14) == SQLITE_NULL ? -1 :
	    (int)col_int(s, 14);
	c->revoked_at = col_int(s, 15);
	c->created = col_int(s, 16);
	/* key_enc is never pooled (it is wiped when freed). */
	if (col_strp(s, 4, pp, &c->serial) == -1 ||
	    json_strvp(col_text(s, 7), pp, &c->domains, &c->ndomains) == -1 ||
	    col_strp(s, 8, pp, &c->chain_pem) == -1 ||
	    col_blob(s, 9, &c->key_enc, &c->key_enc_len) == -1 ||
	    col_strp(s, 10, pp, &c->ari_id) == -1)
		return -1;
	return 0;
}

/* CERT_BCOLS: 0 id, order_id, serial, not_after, domains; the rest
 * stays zero (status valid, as the brief statements select). */
static int
cert_brief_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_cert	*c = arg;

	c->id = col_int(s, 0);
	c->order_id = col_int(s, 1);
	c->not_after = col_int(s, 3);
	c->status = STORE_CERT_VALID;
	c->revoked_reason = -1;
	if (col_strp(s, 2, pp, &c->serial) == -1 ||
	    json_strvp(col_text(s, 4), pp, &c->domains, &c->ndomains) == -1)
		return -1;
	return 0;
}

/* CERT_LBCOLS: CERT_BCOLS, then 5 owner, status; the rest stays zero. */
static int
cert_list_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_cert	*c = arg;

	if (cert_brief_row(s, arg, pp) == -1)
		return -1;
	c->owner = col_int(s, 5);
	if (store_cert_status_parse((const char *)sqlite3_column_text(s, 6),
	    &c->status) == -1)
		c->status = STORE_CERT_REVOKED;
	return 0;
}

static void
cert_clear(struct store_cert *c)
{
	free(c->serial);
	panel_strv_free(c->domains, c->ndomains);
	free(c->chain_pem);
	crypt_wipe_free(c->key_enc, c->key_enc_len);
	free(c->ari_id);
}

void
store_cert_free(struct store_cert *c)
{
	if (c == NULL)
		return;
	cert_clear(c);
	free(c);
}

void
store_cert_list_free(struct store_cert_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		if (l->pool == NULL) {
			cert_clear(&l->v[i]);
			continue;
		}
		/* The rest is the pool's. */
		crypt_wipe_free(l->v[i].key_enc, l->v[i].key_enc_len);
	}
	pool_free(l->pool);
	free(l->v);
	free(l);
}

enum panel_err
store_cert_add(struct store *st, const struct store_cert *c, int64_t now,
    int64_t *id)
{
	enum panel_err	 err;
	char		*domains = NULL;

	if (c->serial == NULL || c->chain_pem == NULL)
		return PANEL_ERR_ARG;
	if (strv_json((const char *const *)c->domains, c->ndomains,
	    &domains) == -1)
		return PANEL_ERR_NOMEM;
	err = RUN(st, ST_CERT_ADD, P_IZ(c->order_id), P_I(c->owner),
	    P_I(c->account_id), P_T(c->serial), P_I(c->not_before),
	    P_I(c->not_after), P_T(domains), P_T(c->chain_pem),
	    P_B(c->key_enc, c->key_enc_len), P_T(c->ari_id),
	    P_IZ(c->renew_at), P_I(now));
	free(domains);
	if (err == PANEL_OK && id != NULL)
		*id = st_last_id(st);
	return err;
}

static enum panel_err
cert_one(struct store *st, sqlite3_stmt *s, struct store_cert **out)
{
	struct store_cert	*c;
	enum panel_err		 err = PANEL_ERR_NOTFOUND;
	int			 r;

	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_NOTFOUND : err;
	if ((c = calloc(1, sizeof(*c))) == NULL || cert_row(s, c, NULL) == -1) {
		sqlite3_reset(s);
		store_cert_free(c);
		return PANEL_ERR_NOMEM;
	}
	sqlite3_reset(s);
	*out = c;
	return PANEL_OK;
}

enum panel_err
store_cert_get(struct store *st, int64_t id, int64_t owner,
    struct store_cert **out)
{
	sqlite3_stmt	*s;

	*out = NULL;
	if ((s = st_prep(st, ST_CERT_GET)) == NULL ||
	    BIND(st, s, P_I(id), P_I(owner)) == -1)
		return PANEL_ERR_DB;
	return cert_one(st, s, out);
}

enum panel_err
store_cert_by_order(struct store *st, int64_t order_id, int64_t owner,
    struct store_cert **out)
{
	sqlite3_stmt	*s;

	*out = NULL;
	if ((s = st_prep(st, ST_CERT_BY_ORDER)) == NULL ||
	    BIND(st, s, P_I(order_id), P_I(owner)) == -1)
		return PANEL_ERR_DB;
	return cert_one(st, s, out);
}

/* Reads the rows of a bound certificate SELECT into a new list: at most
 * max (0: all); *more (may be NULL) tells whether there were more. */
static enum panel_err
cert_page(struct store *st, sqlite3_stmt *s, size_t max, int *more,
    int (*row)(sqlite3_stmt *, void *, struct strpool **),
    struct store_cert_list **out)
{
	struct store_cert_list	*l;
	void			*v = NULL;
	enum panel_err		 err;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		sqlite3_reset(s);
		return PANEL_ERR_NOMEM;
	}
	err = st_rows(st, s, &v, &l->n, sizeof(*l->v), row, &l->pool, max,
	    more);
	l->v = v;
	if (err != PANEL_OK) {
		store_cert_list_free(l);
		return err;
	}
	l->total = (int64_t)l->n;
	*out = l;
	return PANEL_OK;
}

/* Reads all rows of a bound certificate SELECT into a new list. */
static enum panel_err
cert_rows(struct store *st, sqlite3_stmt *s, struct store_cert_list **out)
{
	return cert_page(st, s, 0, NULL, cert_row, out);
}

enum panel_err
store_cert_list(struct store *st, int64_t owner,
    const struct store_cert_cursor *after, unsigned limit, int brief,
    struct store_cert_list **out)
{
	struct store_cert_list	*l;
	sqlite3_stmt		*s;
	enum panel_err		 err;
	int64_t			 total;
	int			 more = 0;

	*out = NULL;
	limit = clamp_limit(limit);
	if ((s = st_prep(st, ST_CERT_COUNT)) == NULL ||
	    BIND(st, s, P_I(owner)) == -1)
		return PANEL_ERR_DB;
	if ((err = st_count(st, s, &total)) != PANEL_OK)
		return err;
	/* One more than a page tells whether there is a next one. */
	s = st_prep(st, brief ? (owner ? ST_CERT_LIST_OWNER_BRIEF :
	    ST_CERT_LIST_ALL_BRIEF) : owner ? ST_CERT_LIST_OWNER :
	    ST_CERT_LIST_ALL);
	if (s == NULL || BIND(st, s, P_I(owner), P_I((int64_t)limit + 1),
	    P_I(after != NULL ? after->not_after : INT64_MIN),
	    P_I(after != NULL ? after->id : INT64_MIN)) == -1)
		return PANEL_ERR_DB;
	if ((err = cert_page(st, s, limit, &more, brief ? cert_list_row :
	    cert_row, &l)) != PANEL_OK)
		return err;
	l->total = total;
	if (more && l->n > 0) {
		l->next.not_after = l->v[l->n - 1].not_after;
		l->next.id = l->v[l->n - 1].id;
	}
	*out = l;
	return PANEL_OK;
}

enum panel_err
store_cert_set_key(struct store *st, int64_t id,
    const unsigned char *key_enc, size_t len)
{
	if (key_enc == NULL)
		return PANEL_ERR_ARG;
	return UPDATE1(st, ST_CERT_SET_KEY, P_B(key_enc, len), P_I(id));
}

enum panel_err
store_cert_set_revoked(struct store *st, int64_t id, int reason,
    int64_t now)
{
	if (reason < 0 || reason > 10)
		return PANEL_ERR_ARG;
	return UPDATE1(st, ST_CERT_REVOKE, P_I(reason), P_I(now), P_I(id));
}

enum panel_err
store_cert_set_replaced(struct store *st, int64_t id, int64_t newer,
    int64_t now)
{
	return UPDATE1(st, ST_CERT_REPLACE, P_I(newer), P_I(now), P_I(id));
}

enum panel_err
store_cert_set_renew_at(struct store *st, int64_t id, int64_t renew_at,
    int64_t now)
{
	return UPDATE1(st, ST_CERT_SET_RENEW, P_IZ(renew_at), P_I(now),
	    P_I(id));
}

enum panel_err
store_cert_due(struct store *st, int64_t now, unsigned limit,
    struct store_cert_list **out)
{
	sqlite3_stmt	*s;

	*out = NULL;
	if ((s = st_prep(st, ST_CERT_DUE)) == NULL ||
	    BIND(st, s, P_I(now), P_I(clamp_limit(limit))) == -1)
		return PANEL_ERR_DB;
	return cert_rows(st, s, out);
}

enum panel_err
store_dashboard_expiring_from(struct store *st, int64_t owner, int64_t from,
    unsigned limit, int brief, struct store_cert_list **out)
{
	sqlite3_stmt	*s;

	*out = NULL;
	if ((s = st_prep(st, brief ? (owner != 0 ? ST_CERT_EXPIRING_BRIEF :
	    ST_CERT_EXPIRING_ALL_BRIEF) : owner != 0 ? ST_CERT_EXPIRING :
	    ST_CERT_EXPIRING_ALL)) == NULL ||
	    BIND(st, s, P_I(owner), P_I(clamp_limit(limit)), P_I(from)) == -1)
		return PANEL_ERR_DB;
	return cert_page(st, s, 0, NULL, brief ? cert_brief_row : cert_row,
	    out);
}

enum panel_err
store_dashboard_expiring(struct store *st, int64_t owner, unsigned limit,
    struct store_cert_list **out)
{
	return store_dashboard_expiring_from(st, owner, INT64_MIN, limit, 0,
	    out);
}

/*
 * The first second of day d, days being t / 86400 truncated towards
 * zero as SQLite's integer division does (sql/0015): day 0 runs from
 * -86399 to 86399, and a day before it ends on its multiple of 86400.
 */
static int64_t
day_first(int64_t d)
{
	if (d > 0)
		return d * DAY;
	if (d <= INT64_MIN / DAY)
		return INT64_MIN;
	return (d - 1) * DAY + 1;
}

/*
 * Each time-bound count is a difference of two "how many before t"
 * (ST_DASH_COUNTS*): valid certificates are all of them less those that
 * expire before from, expiring ones those before soon less those before
 * from, failed orders all of them less those updated before since.
 */
enum panel_err
store_dashboard_counts_from(struct store *st, int64_t owner, int64_t from,
    int64_t soon, int64_t since, struct store_counts *out)
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_ERR_DB;
	int64_t		 before_from;
	int		 r;

	memset(out, 0, sizeof(*out));
	if ((s = st_prep(st, owner != 0 ? ST_DASH_COUNTS :
	    ST_DASH_COUNTS_ALL)) == NULL ||
	    BIND(st, s, P_I(owner),
	    P_I(from / DAY), P_I(day_first(from / DAY)), P_I(from),
	    P_I(soon / DAY), P_I(day_first(soon / DAY)), P_I(soon),
	    P_I(since / DAY), P_I(day_first(since / DAY)),
	    P_I(since)) == -1)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_DB : err;
	out->accounts = col_int(s, 0);
	out->orders_active = col_int(s, 1);
	before_from = col_int(s, 3);
	out->certs_valid = col_int(s, 2) - before_from;
	if (soon > from)
		out->certs_expiring = col_int(s, 4) - before_from;
	out->orders_failed = col_int(s, 5) - col_int(s, 6);
	sqlite3_reset(s);
	return PANEL_OK;
}

enum panel_err
store_dashboard_counts(struct store *st, int64_t owner, int64_t soon,
    int64_t since, struct store_counts *out)
{
	return store_dashboard_counts_from(st, owner, INT64_MIN, soon, since,
	    out);
}

/* ------------------------------------------------------------------ */

void
store_billing_free(struct store_billing *b)
{
	if (b == NULL)
		return;
	free(b->idem_key);
	free(b->detail);
	free(b);
}

enum panel_err
store_billing_intent(struct store *st, int64_t certificate_id,
    int64_t cycle, const char *idem_key, int64_t now,
    struct store_billing **out)
{
	struct store_billing	*b = NULL;
	sqlite3_stmt		*s;
	enum panel_err		 err;
	int			 r;

	*out = NULL;
	if (idem_key == NULL || *idem_key == '\0')
		return PANEL_ERR_ARG;
	if ((err = store_begin(st)) != PANEL_OK)
		return err;
	if ((err = RUN(st, ST_BILL_ADD, P_I(certificate_id), P_I(cycle),
	    P_T(idem_key), P_I(now))) != PANEL_OK)
		goto fail;
	if ((s = st_prep(st, ST_BILL_GET)) == NULL ||
	    BIND(st, s, P_I(certificate_id), P_I(cycle)) == -1) {
		err = PANEL_ERR_DB;
		goto fail;
	}
	if ((r = st_step(st, s, &err)) != 1) {
		if (r == 0)
			err = PANEL_ERR_DB;
		goto fail;
	}
	/* BILL_COLS: id, certificate_id, cycle, idem_key, state, detail,
	 * order_id, tries, created, updated */
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    col_str(s, 3, &b->idem_key) == -1 ||
	    col_str(s, 5, &b->detail) == -1) {
		sqlite3_reset(s);
		err = PANEL_ERR_NOMEM;
		goto fail;
	}
	b->id = col_int(s, 0);
	b->certificate_id = col_int(s, 1);
	b->cycle = col_int(s, 2);
	if (store_bill_state_parse((const char *)sqlite3_column_text(s, 4),
	    &b->state) == -1)
		b->state = STORE_BILL_ERROR;
	b->order_id = col_int(s, 6);
	b->tries = col_int(s, 7);
	b->created = col_int(s, 8);
	b->updated = col_int(s, 9);
	sqlite3_reset(s);
	if ((err = store_commit(st)) != PANEL_OK) {
		store_billing_free(b);
		return err;
	}
	*out = b;
	return PANEL_OK;
fail:
	store_billing_free(b);
	store_rollback(st);
	return err;
}

enum panel_err
store_billing_set_state(struct store *st, int64_t id,
    enum store_bill_state state, const char *detail, int64_t order_id,
    int64_t now)
{
	if ((int)state < 0 || state >= STORE_BILL__MAX)
		return PANEL_ERR_ARG;
	return UPDATE1(st, ST_BILL_SET, P_T(store_bill_state_name(state)),
	    P_T(detail ? detail : ""), P_IZ(order_id), P_I(now), P_I(id));
}

/* ------------------------------------------------------------------ */

enum panel_err
store_alert_claim(struct store *st, const char *kind, const char *object,
    const char *cond, const char *detail, int64_t now, int *claimed)
{
	enum panel_err	 err;

	*claimed = 0;
	if (kind == NULL || object == NULL)
		return PANEL_ERR_ARG;
	err = RUN(st, ST_ALERT_CLAIM, P_T(kind), P_T(object),
	    P_T(cond ? cond : ""), P_T(detail ? detail : ""), P_I(now));
	if (err == PANEL_OK)
		*claimed = st_changes(st) > 0;
	return err;
}

enum panel_err
store_alert_unclaim(struct store *st, const char *kind, const char *object,
    const char *cond)
{
	if (kind == NULL || object == NULL)
		return PANEL_ERR_ARG;
	return RUN(st, ST_ALERT_UNCLAIM, P_T(kind), P_T(object),
	    P_T(cond ? cond : ""));
}

void
store_alert_list_free(struct store_alert_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].kind);
		free(l->v[i].object);
		free(l->v[i].cond);
		free(l->v[i].detail);
	}
	free(l->v);
	free(l);
}

/* ALERT_RECENT columns: id, kind, object, cond, detail, sent_at. */
static int
alert_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_alert	*a = arg;

	(void)pp;

	a->id = col_int(s, 0);
	a->sent_at = col_int(s, 5);
	return col_str(s, 1, &a->kind) == -1 ||
	    col_str(s, 2, &a->object) == -1 ||
	    col_str(s, 3, &a->cond) == -1 ||
	    col_str(s, 4, &a->detail) == -1 ? -1 : 0;
}

enum panel_err
store_alert_recent(struct store *st, unsigned limit,
    struct store_alert_list **out)
{
	struct store_alert_list	*l;
	void			*v = NULL;
	sqlite3_stmt		*s;
	enum panel_err		 err;

	*out = NULL;
	if ((s = st_prep(st, ST_ALERT_RECENT)) == NULL ||
	    BIND(st, s, P_I(clamp_limit(limit))) == -1)
		return PANEL_ERR_DB;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return PANEL_ERR_NOMEM;
	err = st_rows(st, s, &v, &l->n, sizeof(*l->v), alert_row, NULL, 0,
	    NULL);
	l->v = v;
	if (err != PANEL_OK) {
		store_alert_list_free(l);
		return err;
	}
	*out = l;
	return PANEL_OK;
}

/* ------------------------------------------------------------------ */

enum panel_err
store_sweep_start(struct store *st, const char *host, int64_t pid,
    int64_t now, int64_t *id)
{
	enum panel_err	 err;

	err = RUN(st, ST_SWEEP_START, P_I(now), P_T(host ? host : ""),
	    P_I(pid));
	if (err == PANEL_OK && id != NULL)
		*id = st_last_id(st);
	return err;
}

enum panel_err
store_sweep_finish(struct store *st, int64_t id, int ok,
    const char *summary, int64_t now)
{
	return UPDATE1(st, ST_SWEEP_FINISH, P_I(now), P_I(ok ? 1 : 0),
	    P_T(summary ? summary : ""), P_I(id));
}

void
store_sweep_free(struct store_sweep *s)
{
	if (s == NULL)
		return;
	free(s->summary);
	free(s);
}

enum panel_err
store_sweep_last(struct store *st, struct store_sweep **out)
{
	struct store_sweep	*w;
	sqlite3_stmt		*s;
	enum panel_err		 err = PANEL_ERR_NOTFOUND;
	int			 r;

	*out = NULL;
	if ((s = st_prep(st, ST_SWEEP_LAST)) == NULL)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_NOTFOUND : err;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    col_str(s, 4, &w->summary) == -1) {
		sqlite3_reset(s);
		store_sweep_free(w);
		return PANEL_ERR_NOMEM;
	}
	w->id = col_int(s, 0);
	w->started = col_int(s, 1);
	w->finished = col_int(s, 2);
	w->ok = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 :
	    (int)col_int(s, 3);
	sqlite3_reset(s);
	*out = w;
	return PANEL_OK;
}
