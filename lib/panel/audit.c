/*
 * The audit log: append-only and hash-chained.
 *
 * Each entry's hash is the lower-case hex SHA-256 of the previous entry's
 * hash (64 hex characters; 64 zeros for the first entry) followed by the
 * canonical form of the entry:
 *
 *	"acme-audit-v1\n" then, for id, at, actor, ip, action, object,
 *	result, detail in this order: decimal byte length ":" value "\n"
 *
 * Length prefixes make the encoding unambiguous whatever the fields hold.
 * The newest "id:hash" is also kept in settings 'audit.head' (same
 * transaction), so that entries cut off the end are noticed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "panel_priv.h"

#define GENESIS		"00000000000000000000000000000000" \
			"00000000000000000000000000000000"
#define HEAD_KEY	"audit.head"
#define CANON_TAG	"acme-audit-v1\n"
#define ACTOR_MAX	128
#define IP_MAX		64
#define ACTION_MAX	64
#define OBJECT_MAX	256
#define DETAIL_MAX	4096
#define WALK_BATCH	512
#define QUERY_DEFAULT	100
#define QUERY_MAX	1000

static const char *const result_names[] = {
	[AUDIT_OK] = "ok",
	[AUDIT_FAIL] = "fail",
	[AUDIT_DENIED] = "denied",
};
_Static_assert(sizeof(result_names) / sizeof(result_names[0]) == AUDIT__MAX,
    "one name per audit result");

const char *
audit_result_name(enum audit_result r)
{
	if ((int)r < 0 || r >= AUDIT__MAX)
		return "fail";
	return result_names[r];
}

int
audit_result_parse(const char *s, enum audit_result *out)
{
	int	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < AUDIT__MAX; i++)
		if (strcmp(s, result_names[i]) == 0) {
			*out = (enum audit_result)i;
			return 0;
		}
	return -1;
}

/*
 * hex = SHA-256(prev || CANON_TAG || each field as "LEN:" VALUE "\n"), the
 * fields being id, at, actor, ip, action, object, result and detail; 0,
 * or -1.
 */
static int
entry_hash(const char *prev, const struct audit_entry *e, char hex[65])
{
	const char		*f[8];
	struct panel_part	 v[2 + 3 * 8];
	char			 id[24], len[8][24];
	size_t			 i, n = 0;

	snprintf(id, sizeof(id), "%" PRId64, e->id);
	f[0] = id;
	f[1] = e->at;
	f[2] = e->actor;
	f[3] = e->ip;
	f[4] = e->action;
	f[5] = e->object;
	f[6] = audit_result_name(e->result);
	f[7] = e->detail;
	v[n++] = (struct panel_part){ prev, strlen(prev) };
	v[n++] = (struct panel_part){ CANON_TAG, strlen(CANON_TAG) };
	for (i = 0; i < 8; i++) {
		if (f[i] == NULL)
			return -1;
		snprintf(len[i], sizeof(len[i]), "%zu:", strlen(f[i]));
		v[n++] = (struct panel_part){ len[i], strlen(len[i]) };
		v[n++] = (struct panel_part){ f[i], strlen(f[i]) };
		v[n++] = (struct panel_part){ "\n", 1 };
	}
	panel_sha256_parts(v, n, hex);
	return 0;
}

static void
entry_clear(struct audit_entry *e)
{
	free(e->at);
	free(e->actor);
	free(e->ip);
	free(e->action);
	free(e->object);
	free(e->detail);
	free(e->prev_hash);
	free(e->hash);
}

void
audit_list_free(struct audit_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	/* A list's strings are its pool's (audit_query). */
	for (i = 0; l->pool == NULL && i < l->n; i++)
		entry_clear(&l->v[i]);
	pool_free(l->pool);
	free(l->v);
	free(l);
}

/* The newest entry's id and hash (0 and GENESIS when empty). */
static enum panel_err
chain_last(struct store *st, int64_t *id, char hash[65])
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_ERR_DB;
	const char	*h;
	int		 r;

	*id = 0;
	strcpy(hash, GENESIS);
	if ((s = st_prep(st, ST_AUDIT_LAST)) == NULL)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) == -1)
		return err;
	if (r == 1) {
		*id = col_int(s, 0);
		h = (const char *)sqlite3_column_text(s, 1);
		snprintf(hash, 65, "%s", h != NULL ? h : "");
		sqlite3_reset(s);
	}
	return PANEL_OK;
}

enum panel_err
audit_append(struct store *st, const char *actor, const char *ip,
    const char *action, const char *object, enum audit_result result,
    const char *detail, int64_t *id)
{
	struct audit_entry	 e;
	enum panel_err		 err;
	char			 prev[65], hash[65], at[21];
	char			 head[24 + 65];

	memset(&e, 0, sizeof(e));
	if (actor == NULL || *actor == '\0' || action == NULL ||
	    *action == '\0' || (int)result < 0 || result >= AUDIT__MAX)
		return PANEL_ERR_ARG;
	e.result = result;
	if ((e.actor = panel_escape_ctl(actor, ACTOR_MAX)) == NULL ||
	    (e.ip = panel_escape_ctl(ip, IP_MAX)) == NULL ||
	    (e.action = panel_escape_ctl(action, ACTION_MAX)) == NULL ||
	    (e.object = panel_escape_ctl(object, OBJECT_MAX)) == NULL ||
	    (e.detail = panel_escape_ctl(detail, DETAIL_MAX)) == NULL) {
		entry_clear(&e);
		return PANEL_ERR_NOMEM;
	}
	/* The write lock is taken before reading the head, so two writers
	 * can never both chain onto the same previous entry. */
	if ((err = store_begin(st)) != PANEL_OK) {
		entry_clear(&e);
		return err;
	}
	if ((err = chain_last(st, &e.id, prev)) != PANEL_OK)
		goto fail;
	e.id++;
	e.at = panel_time_iso(time(NULL), at);
	if (entry_hash(prev, &e, hash) == -1) {
		err = PANEL_ERR_CRYPTO;
		goto fail;
	}
	err = RUN(st, ST_AUDIT_ADD, P_I(e.id), P_T(e.at), P_T(e.actor),
	    P_T(e.ip), P_T(e.action), P_T(e.object),
	    P_T(audit_result_name(result)), P_T(e.detail), P_T(prev),
	    P_T(hash));
	if (err != PANEL_OK)
		goto fail;
	snprintf(head, sizeof(head), "%" PRId64 ":%s", e.id, hash);
	if ((err = store_setting_set(st, HEAD_KEY, head, time(NULL))) !=
	    PANEL_OK)
		goto fail;
	if ((err = store_commit(st)) != PANEL_OK)
		goto out;
	if (id != NULL)
		*id = e.id;
	goto out;
fail:
	store_rollback(st);
out:
	e.at = NULL;	/* points at the local buffer */
	entry_clear(&e);
	return err;
}

/* AUDIT_COLS: id, at, actor, ip, action, object, result, detail,
 * prev_hash, hash.  NULL columns read as "".  Strings from the pool pp
 * when not NULL, all of a row's in one block; then nohash, when not
 * NULL, is both hashes (a "" of the pool's) and the query's hash
 * columns, if any, are not read (AUDIT_PCOLS has none). */
static int
entry_row(sqlite3_stmt *s, struct audit_entry *e, struct strpool **pp,
    char *nohash)
{
	static const int cols[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	char	**f[] = { &e->at, &e->actor, &e->ip, &e->action, &e->object,
	    NULL, &e->detail, &e->prev_hash, &e->hash };
	size_t	 i;

	_Static_assert(sizeof(cols) / sizeof(cols[0]) ==
	    sizeof(f) / sizeof(f[0]), "a column for each field");
	e->id = col_int(s, 0);
	if (audit_result_parse((const char *)sqlite3_column_text(s, 6),
	    &e->result) == -1)
		e->result = AUDIT__MAX;	/* never hashes like a real one */
	if (pp != NULL && nohash == NULL)
		return col_strsp(s, cols, f, sizeof(f) / sizeof(f[0]), pp, 1);
	if (pp != NULL) {
		e->prev_hash = e->hash = nohash;
		return col_strsp(s, cols, f, sizeof(f) / sizeof(f[0]) - 2, pp,
		    1);
	}
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i] == NULL)
			continue;
		if (col_strp(s, (int)i + 1, pp, f[i]) == -1)
			return -1;
		if (*f[i] == NULL && (*f[i] = pool_strndup(pp, "", 0)) ==
		    NULL)
			return -1;
	}
	return 0;
}

/* Checks the recorded head against the last entry seen. */
static int
head_ok(struct store *st, int64_t last_id, const char *last_hash,
    int64_t *bad_id)
{
	char	*head = NULL, *colon;
	int64_t	 hid;
	int	 ok;

	if (store_setting_get(st, HEAD_KEY, &head) != PANEL_OK) {
		*bad_id = last_id;
		return last_id == 0;	/* no entries, no head: fine */
	}
	hid = strtoll(head, &colon, 10);
	ok = *colon == ':' && hid == last_id &&
	    strcmp(colon + 1, last_hash) == 0;
	*bad_id = hid > last_id ? hid : last_id;
	free(head);
	return ok;
}

enum panel_err
audit_verify(struct store *st, int64_t *bad_id, int64_t *count)
{
	struct audit_entry	 e;
	sqlite3_stmt		*s;
	enum panel_err		 err = PANEL_OK;
	char			 prev[65], hash[65];
	int64_t			 last = 0, n = 0, batch;
	int			 r, outer = st->depth == 0;

	*bad_id = 0;
	if (count != NULL)
		*count = 0;
	strcpy(prev, GENESIS);
	/* One snapshot for the whole walk, so appends meanwhile do not
	 * make the head look wrong. */
	if (outer && (err = st_run(st, ST_BEGIN_READ, NULL, 0)) != PANEL_OK)
		return err;
	do {
		if ((s = st_prep(st, ST_AUDIT_WALK)) == NULL ||
		    BIND(st, s, P_I(last), P_I(WALK_BATCH)) == -1) {
			err = PANEL_ERR_DB;
			goto out;
		}
		batch = 0;
		while ((r = st_step(st, s, &err)) == 1) {
			memset(&e, 0, sizeof(e));
			if (entry_row(s, &e, NULL, NULL) == -1) {
				entry_clear(&e);
				sqlite3_reset(s);
				err = PANEL_ERR_NOMEM;
				goto out;
			}
			batch++;
			n++;
			last = e.id;
			if (strcmp(e.prev_hash, prev) != 0 ||
			    entry_hash(prev, &e, hash) == -1 ||
			    strcmp(hash, e.hash) != 0) {
				entry_clear(&e);
				sqlite3_reset(s);
				*bad_id = last;
				err = PANEL_ERR_CHAIN;
				goto out;
			}
			memcpy(prev, hash, sizeof(prev));
			entry_clear(&e);
		}
		if (r == -1)
			goto out;
	} while (batch == WALK_BATCH);
	if (!head_ok(st, last, prev, bad_id))
		err = PANEL_ERR_CHAIN;
	else
		*bad_id = 0;
out:
	if (outer)
		(void)st_run(st, ST_ROLLBACK, NULL, 0);
	if (count != NULL)
		*count = n;
	return err;
}

enum panel_err
audit_query(struct store *st, const struct audit_filter *f,
    struct audit_list **out)
{
	struct audit_list	*l;
	struct audit_entry	*nv;
	sqlite3_stmt		*s;
	enum panel_err		 err = PANEL_OK;
	char			*prefix = NULL, *nohash = NULL;
	const char		*exact = f->action;
	int64_t			 before = f->before > 0 ? f->before :
				    INT64_MAX, rows;
	unsigned		 limit = f->limit;
	size_t			 alen, cap = 0;
	int			 r, plain;

	*out = NULL;
	if (limit == 0)
		limit = QUERY_DEFAULT;
	if (limit > QUERY_MAX)
		limit = QUERY_MAX;
	rows = (int64_t)limit + 1;	/* one more tells of a next page */
	if (exact != NULL && (alen = strlen(exact)) > 0 &&
	    exact[alen - 1] == '*') {
		if ((prefix = strndup(exact, alen - 1)) == NULL)
			return PANEL_ERR_NOMEM;
		exact = NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		free(prefix);
		return PANEL_ERR_NOMEM;
	}
	/* Every entry's hashes, without them. */
	if (f->no_hash && (nohash = pool_strndup(&l->pool, "", 0)) == NULL) {
		err = PANEL_ERR_NOMEM;
		goto fail;
	}
	/*
	 * A page with no filter but the actor (a user's own entries) has
	 * statements of its own, without hashes or filter terms; else the
	 * statement whose index fits the filters (store_sql.c).
	 */
	plain = f->no_hash && exact == NULL && prefix == NULL &&
	    f->object == NULL && !f->has_result && f->from == NULL &&
	    f->to == NULL;
	if (plain)
		s = st_prep(st, f->actor != NULL ? ST_AUDIT_PAGE_ACTOR :
		    ST_AUDIT_PAGE);
	else
		s = st_prep(st, f->actor != NULL ? ST_AUDIT_QUERY_ACTOR :
		    f->object != NULL ? ST_AUDIT_QUERY_OBJECT :
		    exact != NULL ? ST_AUDIT_QUERY_ACTION : ST_AUDIT_QUERY);
	if (s == NULL)
		r = -1;
	else if (plain && f->actor != NULL)
		r = BIND(st, s, P_I(before), P_I(rows), P_T(f->actor));
	else if (plain)
		r = BIND(st, s, P_I(before), P_I(rows));
	else
		r = BIND(st, s, P_I(before), P_T(f->actor), P_T(exact),
		    P_T(prefix), P_T(f->object), f->has_result ?
		    P_T(audit_result_name(f->result)) : P_NULL, P_T(f->from),
		    P_T(f->to), P_I(rows), P_I(!f->no_hash));
	if (r == -1) {
		err = PANEL_ERR_DB;
		goto fail;
	}
	while ((r = st_step(st, s, &err)) == 1) {
		if (l->n == limit) {
			l->next = l->v[l->n - 1].id;
			sqlite3_reset(s);
			break;
		}
		if (l->n == cap) {
			/* Doubling, not a realloc per row. */
			cap = cap < 16 ? 16 : cap * 2;
			if ((nv = reallocarray(l->v, cap, sizeof(*nv))) ==
			    NULL) {
				sqlite3_reset(s);
				err = PANEL_ERR_NOMEM;
				goto fail;
			}
			l->v = nv;
		}
		memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
		if (entry_row(s, &l->v[l->n++], &l->pool, nohash) == -1) {
			sqlite3_reset(s);
			err = PANEL_ERR_NOMEM;
			goto fail;
		}
	}
	if (r == -1)
		goto fail;
	free(prefix);
	*out = l;
	return PANEL_OK;
fail:
	free(prefix);
	audit_list_free(l);
	return err;
}

int
audit_entry_jsonw(struct jsonw *w, const char *key,
    const struct audit_entry *e)
{
	jsonw_obj(w, key);
	jsonw_int(w, "id", e->id);
	jsonw_str(w, "at", e->at);
	jsonw_str(w, "actor", e->actor);
	jsonw_str(w, "ip", e->ip);
	jsonw_str(w, "action", e->action);
	jsonw_str(w, "object", e->object);
	jsonw_str(w, "result", audit_result_name(e->result));
	jsonw_str(w, "detail", e->detail);
	return jsonw_obj_end(w);
}

int
panel_csv_cell(const char *s, panel_write_fn wr, void *arg)
{
	const char	*p, *q;

	if (s == NULL)
		s = "";
	if (wr(arg, "\"", 1) == -1)
		return -1;
	/* OWASP CSV injection: a leading = + - @ TAB CR starts a formula. */
	if (strchr("=+-@\t\r", *s) != NULL && *s != '\0' &&
	    wr(arg, "'", 1) == -1)
		return -1;
	for (p = s; (q = strchr(p, '"')) != NULL; p = q + 1)
		if (wr(arg, p, (size_t)(q - p + 1)) == -1 ||
		    wr(arg, "\"", 1) == -1)
			return -1;
	if (*p != '\0' && wr(arg, p, strlen(p)) == -1)
		return -1;
	return wr(arg, "\"", 1);
}

enum panel_err
audit_csv(const struct audit_list *l, int header, panel_write_fn wr,
    void *arg)
{
	static const char *const cols[] = { "id", "at", "actor", "ip",
	    "action", "object", "result", "detail", "hash" };
	const struct audit_entry	*e;
	const char			*cell[9];
	char				 id[24];
	size_t				 i, j;

	if (header) {
		for (j = 0; j < 9; j++)
			if ((j > 0 && wr(arg, ",", 1) == -1) ||
			    panel_csv_cell(cols[j], wr, arg) == -1)
				return PANEL_ERR_WRITE;
		if (wr(arg, "\r\n", 2) == -1)
			return PANEL_ERR_WRITE;
	}
	for (i = 0; l != NULL && i < l->n; i++) {
		e = &l->v[i];
		snprintf(id, sizeof(id), "%" PRId64, e->id);
		cell[0] = id;
		cell[1] = e->at;
		cell[2] = e->actor;
		cell[3] = e->ip;
		cell[4] = e->action;
		cell[5] = e->object;
		cell[6] = audit_result_name(e->result);
		cell[7] = e->detail;
		cell[8] = e->hash;
		for (j = 0; j < 9; j++)
			if ((j > 0 && wr(arg, ",", 1) == -1) ||
			    panel_csv_cell(cell[j], wr, arg) == -1)
				return PANEL_ERR_WRITE;
		if (wr(arg, "\r\n", 2) == -1)
			return PANEL_ERR_WRITE;
	}
	return PANEL_OK;
}
