/*
 * Orders with their authorizations and challenges, leases, and the
 * per-order history.  (Accounts: store_account.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "panel_priv.h"

#define LIST_DEFAULT	50
#define LIST_MAX	500

static const char *
ident_type_name(enum acme_ident_type t)
{
	return t == ACME_ID_IP ? "ip" : "dns";
}

/* ------------------------------------------------------------------ */
/* Challenges.  CHAL_COLS: 0 id, authz_id, order_id, owner, url, 5 type,
 * status, token, key_authorization, dns_name, 10 dns_value, error,
 * updated. */

static int
chal_row(sqlite3_stmt *s, struct store_challenge *c)
{
	c->id = col_int(s, 0);
	c->authz_id = col_int(s, 1);
	c->order_id = col_int(s, 2);
	c->owner = col_int(s, 3);
	c->type = acme_chtype_parse(col_text(s, 5));
	c->status = acme_status_parse(col_text(s, 6));
	c->updated = col_int(s, 12);
	if (col_str(s, 4, &c->url) == -1 || col_str(s, 7, &c->token) == -1 ||
	    col_str(s, 8, &c->key_authorization) == -1 ||
	    col_str(s, 9, &c->dns_name) == -1 ||
	    col_str(s, 10, &c->dns_value) == -1 ||
	    col_str(s, 11, &c->error) == -1)
		return -1;
	return 0;
}

static void
chal_clear(struct store_challenge *c)
{
	free(c->url);
	free(c->token);
	free(c->key_authorization);
	free(c->dns_name);
	free(c->dns_value);
	free(c->error);
}

void
store_challenge_free(struct store_challenge *c)
{
	if (c == NULL)
		return;
	chal_clear(c);
	free(c);
}

enum panel_err
store_challenge_get(struct store *st, int64_t id, int64_t owner,
    struct store_challenge **out)
{
	struct store_challenge	*c;
	sqlite3_stmt		*s;
	enum panel_err		 err = PANEL_ERR_NOTFOUND;
	int			 r;

	*out = NULL;
	if ((s = st_prep(st, ST_CHAL_GET)) == NULL ||
	    BIND(st, s, P_I(id), P_I(owner)) == -1)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_NOTFOUND : err;
	if ((c = calloc(1, sizeof(*c))) == NULL || chal_row(s, c) == -1) {
		sqlite3_reset(s);
		store_challenge_free(c);
		return PANEL_ERR_NOMEM;
	}
	sqlite3_reset(s);
	*out = c;
	return PANEL_OK;
}

enum panel_err
store_challenge_http01(struct store *st, const char *token, char **keyauth)
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_ERR_NOTFOUND;
	int		 r;

	*keyauth = NULL;
	/* Only base64url tokens are ever keys (RFC 8555 8.3). */
	if (token == NULL || !acme_b64url_valid(token, 256))
		return PANEL_ERR_NOTFOUND;
	if ((s = st_prep(st, ST_CHAL_HTTP01)) == NULL ||
	    BIND(st, s, P_T(token)) == -1)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_NOTFOUND : err;
	r = col_str(s, 0, keyauth);
	sqlite3_reset(s);
	return r == -1 ? PANEL_ERR_NOMEM : PANEL_OK;
}

enum panel_err
store_challenge_set_status(struct store *st, int64_t id,
    enum acme_status status, const char *error, int64_t now)
{
	return UPDATE1(st, ST_CHAL_SET_STATUS, P_T(acme_status_name(status)),
	    P_T(error), P_I(now), P_I(id));
}

/* ------------------------------------------------------------------ */
/* Authorizations.  AUTHZ_COLS: 0 id, order_id, url, ident_type,
 * identifier, 5 status, expires, wildcard, error. */

static int
authz_row(sqlite3_stmt *s, struct store_authz *a)
{
	const char	*t = col_text(s, 3);

	a->id = col_int(s, 0);
	a->order_id = col_int(s, 1);
	a->ident_type = t != NULL && strcmp(t, "ip") == 0 ? ACME_ID_IP :
	    ACME_ID_DNS;
	a->status = acme_status_parse(col_text(s, 5));
	a->expires = col_int(s, 6);
	a->wildcard = col_int(s, 7) != 0;
	if (col_str(s, 2, &a->url) == -1 ||
	    col_str(s, 4, &a->identifier) == -1 ||
	    col_str(s, 8, &a->error) == -1)
		return -1;
	return 0;
}

static void
authz_clear(struct store_authz *a)
{
	size_t	 i;

	free(a->url);
	free(a->identifier);
	free(a->error);
	for (i = 0; i < a->nch; i++)
		chal_clear(&a->ch[i]);
	free(a->ch);
}

enum panel_err
store_authz_set_status(struct store *st, int64_t id, enum acme_status status,
    int64_t expires, const char *error, int64_t now)
{
	return UPDATE1(st, ST_AUTHZ_SET_STATUS, P_T(acme_status_name(status)),
	    P_IZ(expires), P_T(error), P_I(now), P_I(id));
}

/* Inserts n authorizations of order_id with their challenges. */
static enum panel_err
authz_insert(struct store *st, int64_t order_id, const struct store_authz *a,
    size_t n, int64_t now)
{
	const struct store_challenge	*c;
	enum panel_err			 err;
	int64_t				 aid;
	size_t				 i, j;

	for (i = 0; i < n; i++) {
		if (a[i].url == NULL || a[i].identifier == NULL)
			return PANEL_ERR_ARG;
		err = RUN(st, ST_AUTHZ_ADD, P_I(order_id), P_T(a[i].url),
		    P_T(ident_type_name(a[i].ident_type)),
		    P_T(a[i].identifier), P_T(acme_status_name(a[i].status)),
		    P_IZ(a[i].expires), P_I(a[i].wildcard ? 1 : 0),
		    P_T(a[i].error), P_I(now));
		if (err != PANEL_OK)
			return err;
		aid = st_last_id(st);
		for (j = 0; j < a[i].nch; j++) {
			c = &a[i].ch[j];
			if (c->url == NULL || c->token == NULL ||
			    c->type == ACME_CH_UNKNOWN)
				return PANEL_ERR_ARG;
			err = RUN(st, ST_CHAL_ADD, P_I(aid), P_T(c->url),
			    P_T(acme_chtype_name(c->type)),
			    P_T(acme_status_name(c->status)), P_T(c->token),
			    P_T(c->key_authorization), P_T(c->dns_name),
			    P_T(c->dns_value), P_T(c->error), P_I(now));
			if (err != PANEL_OK)
				return err;
		}
	}
	return PANEL_OK;
}

enum panel_err
store_order_add_authz(struct store *st, int64_t order_id,
    const struct store_authz *a, size_t n, int64_t now)
{
	enum panel_err	 err;

	if ((err = store_begin(st)) != PANEL_OK)
		return err;
	if ((err = authz_insert(st, order_id, a, n, now)) != PANEL_OK) {
		store_rollback(st);
		return err;
	}
	return store_commit(st);
}

/* ------------------------------------------------------------------ */
/* Orders.  ORD_COLS: 0 id, owner, account_id, order_url, status,
 * 5 domains, key_type, challenge_type, auto, auto_renew, 10 error,
 * expires, finalize_url, cert_url, key_enc, 15 replaces, renews,
 * retry_at, tries, lease_owner, 20 lease_token, lease_until, created,
 * updated, certificate id. */

/* ORD_PCOLS (the pages' and the API's lists): ORD_COLS's places, of
 * which the query makes the CA's URLs, the key, replaces and the lease
 * NULL or 0; those are not read (st_rows cleared the element). */
static int
page_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_order	*o = arg;

	o->id = col_int(s, 0);
	o->owner = col_int(s, 1);
	o->account_id = col_int(s, 2);
	if (store_ord_status_parse(col_text(s, 4), &o->status) == -1)
		o->status = STORE_ORD_INVALID;
	o->key_type = col_keytype(s, 6);
	o->challenge_type = acme_chtype_parse(col_text(s, 7));
	o->autom = col_int(s, 8) != 0;
	o->auto_renew = col_int(s, 9) != 0;
	o->expires = col_int(s, 11);
	o->renews = col_int(s, 16);
	o->retry_at = col_int(s, 17);
	o->tries = col_int(s, 18);
	o->created = col_int(s, 22);
	o->updated = col_int(s, 23);
	o->certificate_id = col_int(s, 24);
	if (json_strvp(col_text(s, 5), pp, &o->domains, &o->ndomains) == -1 ||
	    col_strp(s, 10, pp, &o->error) == -1)
		return -1;
	return 0;
}

/* ORD_COLS: page_row's columns, then the CA's URLs, the key, replaces
 * and the lease. */
static int
order_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_order	*o = arg;

	if (page_row(s, arg, pp) == -1)
		return -1;
	o->lease_token = col_int(s, 20);
	o->lease_until = col_int(s, 21);
	/* key_enc is never pooled (it is wiped when freed). */
	if (col_strp(s, 3, pp, &o->order_url) == -1 ||
	    col_strp(s, 12, pp, &o->finalize_url) == -1 ||
	    col_strp(s, 13, pp, &o->cert_url) == -1 ||
	    col_blob(s, 14, &o->key_enc, &o->key_enc_len) == -1 ||
	    col_strp(s, 15, pp, &o->replaces) == -1 ||
	    col_strp(s, 19, pp, &o->lease_owner) == -1)
		return -1;
	return 0;
}

/* ORD_BCOLS: 0 id, status, domains, challenge_type, auto, 5 created,
 * updated.  The rest stays zero (st_rows cleared the element). */
static int
brief_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_order	*o = arg;

	o->id = col_int(s, 0);
	if (store_ord_status_parse(col_text(s, 1), &o->status) == -1)
		o->status = STORE_ORD_INVALID;
	o->challenge_type = acme_chtype_parse(col_text(s, 3));
	o->autom = col_int(s, 4) != 0;
	o->created = col_int(s, 5);
	o->updated = col_int(s, 6);
	return json_strvp(col_text(s, 2), pp, &o->domains, &o->ndomains);
}

/* ORD_BCOLS then 7 error (the dashboard's brief failures). */
static int
brief_fail_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_order	*o = arg;

	if (brief_row(s, arg, pp) == -1)
		return -1;
	return col_strp(s, 7, pp, &o->error);
}

static void
order_clear(struct store_order *o)
{
	size_t	 i;

	free(o->order_url);
	panel_strv_free(o->domains, o->ndomains);
	free(o->error);
	free(o->finalize_url);
	free(o->cert_url);
	crypt_wipe_free(o->key_enc, o->key_enc_len);
	free(o->replaces);
	free(o->lease_owner);
	for (i = 0; i < o->nauthz; i++)
		authz_clear(&o->authz[i]);
	free(o->authz);
}

void
store_order_free(struct store_order *o)
{
	if (o == NULL)
		return;
	order_clear(o);
	free(o);
}

void
store_order_list_free(struct store_order_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		if (l->pool == NULL) {
			order_clear(&l->v[i]);
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
store_order_add(struct store *st, const struct store_order *o, int64_t now,
    int64_t *id)
{
	enum panel_err	 err;
	char		*domains = NULL;
	int64_t		 oid;

	if ((int)o->status < 0 || o->status >= STORE_ORD__MAX ||
	    o->ndomains == 0 || (o->challenge_type != ACME_CH_HTTP01 &&
	    o->challenge_type != ACME_CH_DNS01))
		return PANEL_ERR_ARG;
	if (strv_json((const char *const *)o->domains, o->ndomains,
	    &domains) == -1)
		return PANEL_ERR_NOMEM;
	if ((err = store_begin(st)) != PANEL_OK) {
		free(domains);
		return err;
	}
	err = RUN(st, ST_ORD_ADD, P_I(o->owner), P_I(o->account_id),
	    P_T(o->order_url), P_T(store_ord_status_name(o->status)),
	    P_T(domains), P_T(acme_keytype_name(o->key_type)),
	    P_T(acme_chtype_name(o->challenge_type)), P_I(o->autom ? 1 : 0),
	    P_I(o->auto_renew ? 1 : 0), P_T(o->error), P_IZ(o->expires),
	    P_T(o->finalize_url), P_T(o->cert_url), P_T(o->replaces),
	    P_IZ(o->renews), P_I(o->retry_at), P_I(now));
	free(domains);
	if (err != PANEL_OK)
		goto fail;
	oid = st_last_id(st);
	if ((err = authz_insert(st, oid, o->authz, o->nauthz, now)) !=
	    PANEL_OK)
		goto fail;
	if ((err = store_commit(st)) != PANEL_OK)
		return err;
	if (id != NULL)
		*id = oid;
	return PANEL_OK;
fail:
	store_rollback(st);
	return err;
}

/* Loads the authorizations and challenges of o. */
static enum panel_err
order_load_authz(struct store *st, struct store_order *o)
{
	struct store_authz	*nv, *a;
	struct store_challenge	*nc;
	sqlite3_stmt		*s;
	enum panel_err		 err = PANEL_OK;
	int64_t			 aid;
	size_t			 i;
	int			 r;

	if ((s = st_prep(st, ST_AUTHZ_LIST)) == NULL ||
	    BIND(st, s, P_I(o->id)) == -1)
		return PANEL_ERR_DB;
	while ((r = st_step(st, s, &err)) == 1) {
		if ((nv = vec_grow(o->authz, o->nauthz, sizeof(*nv))) == NULL)
			goto oom;
		o->authz = nv;
		if (authz_row(s, &o->authz[o->nauthz++]) == -1)
			goto oom;
	}
	if (r == -1)
		return err;
	if ((s = st_prep(st, ST_CHAL_LIST_ORDER)) == NULL ||
	    BIND(st, s, P_I(o->id)) == -1)
		return PANEL_ERR_DB;
	while ((r = st_step(st, s, &err)) == 1) {
		aid = col_int(s, 1);
		for (a = NULL, i = 0; i < o->nauthz; i++)
			if (o->authz[i].id == aid)
				a = &o->authz[i];
		if (a == NULL)
			continue;
		if ((nc = vec_grow(a->ch, a->nch, sizeof(*nc))) == NULL)
			goto oom;
		a->ch = nc;
		if (chal_row(s, &a->ch[a->nch++]) == -1)
			goto oom;
	}
	return r == -1 ? err : PANEL_OK;
oom:
	sqlite3_reset(s);
	return PANEL_ERR_NOMEM;
}

enum panel_err
store_order_get(struct store *st, int64_t id, int64_t owner,
    struct store_order **out)
{
	struct store_order	*o;
	sqlite3_stmt		*s;
	enum panel_err		 err = PANEL_ERR_NOTFOUND;
	int			 r;

	*out = NULL;
	if ((s = st_prep(st, ST_ORD_GET)) == NULL ||
	    BIND(st, s, P_I(id), P_I(owner)) == -1)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_NOTFOUND : err;
	if ((o = calloc(1, sizeof(*o))) == NULL || order_row(s, o, NULL) == -1) {
		sqlite3_reset(s);
		store_order_free(o);
		return PANEL_ERR_NOMEM;
	}
	sqlite3_reset(s);
	if ((err = order_load_authz(st, o)) != PANEL_OK) {
		store_order_free(o);
		return err;
	}
	*out = o;
	return PANEL_OK;
}

/* Reads the rows of a bound order SELECT with row (order_row, page_row,
 * brief_row or brief_fail_row); with more rows than limit, sets l->next
 * to the last kept id. */
static enum panel_err
order_rows(struct store *st, sqlite3_stmt *s, unsigned limit,
    int (*row)(sqlite3_stmt *, void *, struct strpool **),
    struct store_order_list *l)
{
	void		*v = l->v;
	enum panel_err	 err;
	int		 more;

	err = st_rows(st, s, &v, &l->n, sizeof(*l->v), row, &l->pool, limit,
	    &more);
	l->v = v;
	if (err == PANEL_OK && more && l->n > 0)
		l->next = l->v[l->n - 1].id;
	return err;
}

/*
 * The certificates of a list of everyone's orders, newest first
 * (ST_ORD_LIST_ALL leaves them 0): such a list holds every order from
 * its last id to its first, so one range of certificates_order covers
 * it, instead of a lookup for each order.
 */
static enum panel_err
order_certs(struct store *st, struct store_order_list *l)
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_OK;
	int64_t		 oid;
	size_t		 i = 0;
	int		 r;

	if (l->n == 0)
		return PANEL_OK;
	if ((s = st_prep(st, ST_ORD_CERTS)) == NULL ||
	    BIND(st, s, P_I(l->v[l->n - 1].id), P_I(l->v[0].id)) == -1)
		return PANEL_ERR_DB;
	while ((r = st_step(st, s, &err)) == 1) {
		oid = col_int(s, 0);
		while (i < l->n && l->v[i].id > oid)
			i++;
		if (i < l->n && l->v[i].id == oid)
			l->v[i].certificate_id = col_int(s, 1);
	}
	return r == -1 ? err : PANEL_OK;
}

static unsigned
clamp_limit(unsigned limit)
{
	if (limit == 0)
		return LIST_DEFAULT;
	return limit > LIST_MAX ? LIST_MAX : limit;
}

enum panel_err
store_order_list(struct store *st, const struct store_order_filter *f,
    struct store_order_list **out)
{
	static const enum stmt	 lists[] = { ST_ORD_LIST_ALL,
	    ST_ORD_LIST_OWNER, ST_ORD_LIST_STATUS, ST_ORD_LIST_OWNER_STATUS };
	static const enum stmt	 briefs[] = { ST_ORD_BRIEF_ALL,
	    ST_ORD_BRIEF_OWNER, ST_ORD_BRIEF_STATUS,
	    ST_ORD_BRIEF_OWNER_STATUS };
	static const enum stmt	 counts[] = { ST_ORD_COUNT_ALL,
	    ST_ORD_COUNT_OWNER, ST_ORD_COUNT_STATUS,
	    ST_ORD_COUNT_OWNER_STATUS };
	struct store_order_list	*l;
	sqlite3_stmt		*s = NULL;
	enum panel_err		 err;
	const char		*status = NULL;
	unsigned		 limit = clamp_limit(f->limit);
	int			 k = 0;

	*out = NULL;
	if (f->owner != 0)
		k |= 1;
	if (f->has_status) {
		if ((int)f->status < 0 || f->status >= STORE_ORD__MAX)
			return PANEL_ERR_ARG;
		status = store_ord_status_name(f->status);
		k |= 2;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return PANEL_ERR_NOMEM;
	/* The count binds only the parameters its variant has. */
	l->total = -1;
	if (!f->no_total && ((s = st_prep(st, counts[k])) == NULL ||
	    (k == 1 && BIND(st, s, P_I(f->owner)) == -1) ||
	    (k >= 2 && BIND(st, s, P_I(f->owner), P_T(status)) == -1))) {
		err = PANEL_ERR_DB;
		goto fail;
	}
	if (!f->no_total && (err = st_count(st, s, &l->total)) != PANEL_OK)
		goto fail;
	if ((s = st_prep(st, f->brief ? briefs[k] : lists[k])) == NULL ||
	    BIND(st, s, P_I(f->owner), P_T(status),
	    P_I(f->before > 0 ? f->before : INT64_MAX),
	    P_I((int64_t)limit + 1)) == -1) {
		err = PANEL_ERR_DB;
		goto fail;
	}
	if ((err = order_rows(st, s, limit, f->brief ? brief_row : page_row,
	    l)) != PANEL_OK || (!f->brief && k == 0 &&
	    (err = order_certs(st, l)) != PANEL_OK))
		goto fail;
	*out = l;
	return PANEL_OK;
fail:
	store_order_list_free(l);
	return err;
}

enum panel_err
store_order_due(struct store *st, int64_t now, int auto_only,
    unsigned limit, struct store_order_list **out)
{
	struct store_order_list	*l;
	sqlite3_stmt		*s;
	enum panel_err		 err;

	*out = NULL;
	limit = clamp_limit(limit);
	if ((s = st_prep(st, ST_ORD_DUE)) == NULL ||
	    BIND(st, s, P_I(now), P_I(auto_only ? 1 : 0), P_I(limit)) == -1)
		return PANEL_ERR_DB;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		sqlite3_reset(s);
		return PANEL_ERR_NOMEM;
	}
	/* limit + 1 never reached: the SQL LIMIT is limit itself. */
	if ((err = order_rows(st, s, limit + 1, order_row, l)) != PANEL_OK) {
		store_order_list_free(l);
		return err;
	}
	l->total = (int64_t)l->n;
	*out = l;
	return PANEL_OK;
}

/*
 * The readable text of a stored problem, as the failures list shows it:
 * when the text is JSON, its "detail", else its "type" (neither null),
 * else the text itself.  A string member is its value; another is its
 * JSON text (numbers and booleans as numbers).  *text is replaced by a
 * copy from the pool pp; 0, or -1 when out of memory.  (SQLite 3.40's
 * json_extract did this in the query at three parses a row; a jansson
 * parse costs about as much, hence the scan for the usual shape.)
 */
static int
problem_readable(char **text, struct strpool **pp)
{
	json_t		*j, *v = NULL;
	char		*d = NULL, num[32];
	const char	*r = NULL;
	int		 rc = 0;

	if (*text == NULL)
		return 0;
	/* The usual shape, as the panel stores problems (keys sorted): a
	 * detail first, a string without escapes.  The column holds valid
	 * JSON only (CHECK), so the rest needs no reading. */
	if (strncmp(*text, "{\"detail\":\"", 11) == 0) {
		const char	*p = *text + 11, *q;

		for (q = p; *q != '"' && *q != '\\' &&
		    (unsigned char)*q >= 0x20; q++)
			continue;
		if (*q == '"') {
			*text = pool_strndup(pp, p, (size_t)(q - p));
			return *text == NULL ? -1 : 0;
		}
	}
	if ((j = json_loads(*text, JSON_DECODE_ANY, NULL)) == NULL)
		return 0;
	if (json_is_object(j) &&
	    ((v = json_object_get(j, "detail")) == NULL || json_is_null(v)) &&
	    ((v = json_object_get(j, "type")) == NULL || json_is_null(v)))
		v = NULL;
	if (v == NULL)
		r = NULL;
	else if (json_is_string(v))
		r = json_string_value(v);
	else if (json_is_integer(v) || json_is_boolean(v)) {
		snprintf(num, sizeof(num), "%lld", json_is_integer(v) ?
		    (long long)json_integer_value(v) : json_is_true(v));
		r = num;
	} else if ((d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) ==
	    NULL)
		rc = -1;
	else
		r = d;
	if (r != NULL && (*text = pool_strndup(pp, r, strlen(r))) == NULL)
		rc = -1;
	free(d);
	json_decref(j);
	return rc;
}

enum panel_err
store_dashboard_failures(struct store *st, int64_t owner, unsigned limit,
    int brief, struct store_order_list **out)
{
	struct store_order_list	*l;
	sqlite3_stmt		*s;
	enum panel_err		 err;
	size_t			 i;

	*out = NULL;
	limit = clamp_limit(limit);
	if ((s = st_prep(st, brief ? (owner != 0 ? ST_ORD_FAILURES_BRIEF :
	    ST_ORD_FAILURES_ALL_BRIEF) : owner != 0 ? ST_ORD_FAILURES :
	    ST_ORD_FAILURES_ALL)) == NULL ||
	    BIND(st, s, P_I(owner), P_I(limit)) == -1)
		return PANEL_ERR_DB;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		sqlite3_reset(s);
		return PANEL_ERR_NOMEM;
	}
	if ((err = order_rows(st, s, limit + 1, brief ? brief_fail_row :
	    page_row, l)) != PANEL_OK) {
		store_order_list_free(l);
		return err;
	}
	for (i = 0; i < l->n; i++)
		if (problem_readable(&l->v[i].error, &l->pool) == -1) {
			store_order_list_free(l);
			return PANEL_ERR_NOMEM;
		}
	l->total = (int64_t)l->n;
	*out = l;
	return PANEL_OK;
}

enum panel_err
store_order_set_status(struct store *st, int64_t id,
    enum store_ord_status status, const char *error, int64_t lease_token,
    int64_t now)
{
	enum panel_err	 err;

	if ((int)status < 0 || status >= STORE_ORD__MAX)
		return PANEL_ERR_ARG;
	err = UPDATE1(st, ST_ORD_SET_STATUS,
	    P_T(store_ord_status_name(status)), P_T(error), P_I(now), P_I(id),
	    P_I(lease_token));
	return err == PANEL_ERR_NOTFOUND && lease_token ? PANEL_ERR_STALE :
	    err;
}

enum panel_err
store_order_set_urls(struct store *st, int64_t id, const char *order_url,
    const char *finalize_url, const char *cert_url, int64_t expires,
    int64_t now)
{
	return UPDATE1(st, ST_ORD_SET_URLS, P_T(order_url), P_T(finalize_url),
	    P_T(cert_url), P_IZ(expires), P_I(now), P_I(id));
}

enum panel_err
store_order_set_key(struct store *st, int64_t id,
    const unsigned char *key_enc, size_t len, int64_t now)
{
	if (key_enc == NULL)
		return PANEL_ERR_ARG;
	return UPDATE1(st, ST_ORD_SET_KEY, P_B(key_enc, len), P_I(now),
	    P_I(id));
}

enum panel_err
store_order_retry(struct store *st, int64_t id, int64_t retry_at,
    const char *error, int64_t lease_token, int64_t now)
{
	enum panel_err	 err;

	err = UPDATE1(st, ST_ORD_RETRY, P_I(retry_at), P_T(error), P_I(now),
	    P_I(id), P_I(lease_token));
	return err == PANEL_ERR_NOTFOUND && lease_token ? PANEL_ERR_STALE :
	    err;
}

enum panel_err
store_order_lease(struct store *st, int64_t id, const char *holder,
    int64_t now, unsigned seconds, int64_t *token)
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_ERR_BUSY;
	int		 r;

	*token = 0;
	if (holder == NULL || seconds == 0)
		return PANEL_ERR_ARG;
	if ((s = st_prep(st, ST_ORD_LEASE)) == NULL ||
	    BIND(st, s, P_T(holder), P_I(now + (int64_t)seconds), P_I(id),
	    P_I(now)) == -1)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_BUSY : err;
	*token = col_int(s, 0);
	/* Step to the end so the UPDATE completes. */
	while ((r = st_step(st, s, &err)) == 1)
		continue;
	return r == -1 ? err : PANEL_OK;
}

enum panel_err
store_order_release(struct store *st, int64_t id, int64_t token)
{
	enum panel_err	 err;

	err = UPDATE1(st, ST_ORD_RELEASE, P_I(id), P_I(token));
	return err == PANEL_ERR_NOTFOUND ? PANEL_ERR_STALE : err;
}

/* ------------------------------------------------------------------ */

enum panel_err
store_event_add(struct store *st, int64_t order_id, const char *what,
    const char *detail, int64_t now)
{
	if (what == NULL)
		return PANEL_ERR_ARG;
	return RUN(st, ST_EVT_ADD, P_I(order_id), P_I(now), P_T(what),
	    P_T(detail ? detail : ""));
}

void
store_event_list_free(struct store_event_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].what);
		free(l->v[i].detail);
	}
	free(l->v);
	free(l);
}

/* EVT_LIST columns: id, order_id, at, what, detail. */
static int
event_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_event	*e = arg;

	(void)pp;

	e->id = col_int(s, 0);
	e->order_id = col_int(s, 1);
	e->at = col_int(s, 2);
	return col_str(s, 3, &e->what) == -1 ||
	    col_str(s, 4, &e->detail) == -1 ? -1 : 0;
}

enum panel_err
store_event_list(struct store *st, int64_t order_id,
    struct store_event_list **out)
{
	struct store_event_list	*l;
	void			*v = NULL;
	sqlite3_stmt		*s;
	enum panel_err		 err;

	*out = NULL;
	if ((s = st_prep(st, ST_EVT_LIST)) == NULL ||
	    BIND(st, s, P_I(order_id)) == -1)
		return PANEL_ERR_DB;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return PANEL_ERR_NOMEM;
	err = st_rows(st, s, &v, &l->n, sizeof(*l->v), event_row, NULL, 0,
	    NULL);
	l->v = v;
	if (err != PANEL_OK) {
		store_event_list_free(l);
		return err;
	}
	*out = l;
	return PANEL_OK;
}
