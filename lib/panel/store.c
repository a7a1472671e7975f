/*
 * The store: opening SQLite, migrations, transactions, and the helpers
 * the store_*.c files use to prepare, bind and step statements.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "panel_priv.h"

/*
 * The migrations are the files in sql/, embedded at build time with the
 * assembler's .incbin (the build runs from the top directory), each
 * NUL-terminated.  Each file ends by setting PRAGMA user_version to its
 * own number, which store_migrate() checks.
 *
 * Adding one: sql/NNNN_what.sql ending "PRAGMA user_version = NNNN;",
 * an EMBED_SQL line and an entry in migrations[] below.  Never edit a
 * released migration.  -MMD does not see .incbin: the makefile should
 * list the sql files as prerequisites of store.o, and t_store fails on a
 * stale build (it compares the embedded text with the files).
 */
#define EMBED_SQL(sym, file)						\
	__asm__(".pushsection .rodata\n"				\
	    ".balign 16\n"						\
	    ".globl " #sym "\n"						\
	    ".hidden " #sym "\n"					\
	    #sym ":\n"							\
	    ".incbin \"" file "\"\n"					\
	    ".byte 0\n"							\
	    ".popsection\n")

EMBED_SQL(panel_sql_0001, "sql/0001_init.sql");
EMBED_SQL(panel_sql_0002, "sql/0002_acme.sql");
EMBED_SQL(panel_sql_0003, "sql/0003_sweep.sql");
EMBED_SQL(panel_sql_0004, "sql/0004_guard.sql");
EMBED_SQL(panel_sql_0005, "sql/0005_cert_order.sql");
EMBED_SQL(panel_sql_0006, "sql/0006_dash.sql");
EMBED_SQL(panel_sql_0007, "sql/0007_counts.sql");
EMBED_SQL(panel_sql_0008, "sql/0008_failures.sql");
EMBED_SQL(panel_sql_0009, "sql/0009_order_counts.sql");
EMBED_SQL(panel_sql_0010, "sql/0010_expiry_days.sql");
EMBED_SQL(panel_sql_0011, "sql/0011_cert_counts.sql");
EMBED_SQL(panel_sql_0012, "sql/0012_fail_days.sql");
EMBED_SQL(panel_sql_0013, "sql/0013_expiry_blocks.sql");
EMBED_SQL(panel_sql_0014, "sql/0014_orders_owner_brief.sql");
EMBED_SQL(panel_sql_0015, "sql/0015_dash_below.sql");

extern const char panel_sql_0001[];
extern const char panel_sql_0002[];
extern const char panel_sql_0003[];
extern const char panel_sql_0004[];
extern const char panel_sql_0005[];
extern const char panel_sql_0006[];
extern const char panel_sql_0007[];
extern const char panel_sql_0008[];
extern const char panel_sql_0009[];
extern const char panel_sql_0010[];
extern const char panel_sql_0011[];
extern const char panel_sql_0012[];
extern const char panel_sql_0013[];
extern const char panel_sql_0014[];
extern const char panel_sql_0015[];

static const char *const migrations[] = {
	panel_sql_0001,
	panel_sql_0002,
	panel_sql_0003,
	panel_sql_0004,
	panel_sql_0005,
	panel_sql_0006,
	panel_sql_0007,
	panel_sql_0008,
	panel_sql_0009,
	panel_sql_0010,
	panel_sql_0011,
	panel_sql_0012,
	panel_sql_0013,
	panel_sql_0014,
	panel_sql_0015,
};

#define NMIGRATIONS	((int)(sizeof(migrations) / sizeof(migrations[0])))
#define BUSY_MS		5000

static void
st_seterr(struct store *st, const char *msg)
{
	snprintf(st->err, sizeof(st->err), "%s", msg != NULL ? msg : "");
}

enum panel_err
st_error(struct store *st, int rc)
{
	if (st->db != NULL)
		st_seterr(st, sqlite3_errmsg(st->db));
	else
		st_seterr(st, sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return PANEL_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return PANEL_ERR_BUSY;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE ||
		    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return PANEL_ERR_EXISTS;
		return PANEL_ERR_DB;
	default:
		return PANEL_ERR_DB;
	}
}

sqlite3_stmt *
st_prep(struct store *st, enum stmt id)
{
	sqlite3_stmt	*s;
	const char	*text;
	int		 rc;

	if ((s = st->stmt[id]) != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	if ((text = store_sql(id)) == NULL) {
		st_seterr(st, "no such statement");
		return NULL;
	}
	rc = sqlite3_prepare_v3(st->db, text, -1, SQLITE_PREPARE_PERSISTENT,
	    &s, NULL);
	if (rc != SQLITE_OK) {
		st_error(st, rc);
		sqlite3_finalize(s);
		return NULL;
	}
	st->stmt[id] = s;
	return s;
}

int
st_bind(struct store *st, sqlite3_stmt *s, const struct sparm *p, size_t n)
{
	size_t	i;
	int	rc, idx;

	for (i = 0; i < n; i++) {
		idx = (int)i + 1;
		switch (p[i].t) {
		case SP_INT:
			rc = sqlite3_bind_int64(s, idx, p[i].i);
			break;
		case SP_TEXT:
			rc = p[i].s == NULL ? sqlite3_bind_null(s, idx) :
			    sqlite3_bind_text(s, idx, p[i].s, -1,
			    SQLITE_STATIC);
			break;
		case SP_BLOB:
			rc = p[i].b == NULL ? sqlite3_bind_null(s, idx) :
			    sqlite3_bind_blob64(s, idx, p[i].b, p[i].len,
			    SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(s, idx);
			break;
		}
		if (rc != SQLITE_OK) {
			st_error(st, rc);
			return -1;
		}
	}
	return 0;
}

/*
 * A write outside store_begin while a read snapshot is open: the
 * snapshot ends first, so that the write runs on its own as it would
 * after reads made one statement at a time (inside a read transaction it
 * would fail with SQLITE_BUSY_SNAPSHOT whenever another connection had
 * written since).  Not while another statement is still stepping: its
 * rows would be lost; the write then upgrades the read as before.
 */
static void
snap_end(struct store *st, sqlite3_stmt *w)
{
	sqlite3_stmt	*s = NULL;

	if (st->depth > 0)
		return;
	while ((s = sqlite3_next_stmt(st->db, s)) != NULL)
		if (s != w && sqlite3_stmt_busy(s))
			return;
	st->snap = 0;
	if (!sqlite3_get_autocommit(st->db))
		(void)st_run(st, ST_ROLLBACK, NULL, 0);
}

int
st_step(struct store *st, sqlite3_stmt *s, enum panel_err *err)
{
	int	 rc;

	if (st->snap && !sqlite3_stmt_readonly(s))
		snap_end(st, s);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	*err = st_error(st, rc);
	sqlite3_reset(s);
	return -1;
}

enum panel_err
st_run(struct store *st, enum stmt id, const struct sparm *p, size_t n)
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_OK;
	int		 r;

	if ((s = st_prep(st, id)) == NULL)
		return PANEL_ERR_DB;
	if (st_bind(st, s, p, n) == -1)
		return PANEL_ERR_DB;
	while ((r = st_step(st, s, &err)) == 1)
		continue;
	return r == 0 ? PANEL_OK : err;
}

enum panel_err
st_update(struct store *st, enum stmt id, const struct sparm *p, size_t n)
{
	enum panel_err	 err;

	if ((err = st_run(st, id, p, n)) != PANEL_OK)
		return err;
	return st_changes(st) > 0 ? PANEL_OK : PANEL_ERR_NOTFOUND;
}

enum panel_err
st_count(struct store *st, sqlite3_stmt *s, int64_t *n)
{
	enum panel_err	 err = PANEL_ERR_DB;
	int		 r;

	*n = 0;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_DB : err;
	*n = col_int(s, 0);
	sqlite3_reset(s);
	return PANEL_OK;
}

int64_t
st_changes(const struct store *st)
{
	return sqlite3_changes64(st->db);
}

int64_t
st_last_id(const struct store *st)
{
	return sqlite3_last_insert_rowid(st->db);
}

/*
 * String pools.  A list page reads 10-50 rows of 5-10 strings each; one
 * malloc and one free per string cost as much as SQLite's step.  A pool
 * is a chain of blocks from which strings are cut in order and which is
 * freed at once with the list.  Blocks are POOL_BLOCK bytes, or one
 * string's size when larger.
 */
#define POOL_BLOCK	8192

struct strpool {
	struct strpool	*next;
	size_t		 used;
	size_t		 size;
	max_align_t	 data[];
};

void *
pool_alloc(struct strpool **pp, size_t len)
{
	struct strpool	*p = *pp;
	size_t		 need, size;
	void		*r;

	if (len > SIZE_MAX / 2)
		return NULL;
	need = (len + sizeof(max_align_t) - 1) &
	    ~(sizeof(max_align_t) - 1);
	if (need == 0)
		need = sizeof(max_align_t);
	if (p == NULL || p->size - p->used < need) {
		size = need > POOL_BLOCK ? need : POOL_BLOCK;
		if ((p = malloc(sizeof(*p) + size)) == NULL)
			return NULL;
		p->next = *pp;
		p->used = 0;
		p->size = size;
		*pp = p;
	}
	r = (unsigned char *)p->data + p->used;
	p->used += need;
	return r;
}

char *
pool_strndup(struct strpool **pp, const char *s, size_t len)
{
	char	*r;

	if (pp == NULL)
		return strndup(s, len);
	if (len == SIZE_MAX || (r = pool_alloc(pp, len + 1)) == NULL)
		return NULL;
	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

void
pool_free(struct strpool *p)
{
	struct strpool	*next;

	for (; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
}

int
col_str(sqlite3_stmt *s, int col, char **out)
{
	return col_strp(s, col, NULL, out);
}

int
col_strp(sqlite3_stmt *s, int col, struct strpool **pp, char **out)
{
	const unsigned char	*t;

	*out = NULL;
	/* NULL text is a NULL column, or no memory to convert it. */
	if ((t = sqlite3_column_text(s, col)) == NULL)
		return sqlite3_column_type(s, col) == SQLITE_NULL ? 0 : -1;
	*out = pool_strndup(pp, (const char *)t, strlen((const char *)t));
	return *out == NULL ? -1 : 0;
}

int
col_strsp(sqlite3_stmt *s, const int *cols, char **const *out, size_t n,
    struct strpool **pp, int null_empty)
{
	const unsigned char	*t[COL_STRS_MAX];
	size_t			 len[COL_STRS_MAX], i, total = 0;
	char			*p = NULL;

	if (n > COL_STRS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		len[i] = 0;
		if (out[i] == NULL)
			continue;
		/* NULL text is a NULL column, or no memory to convert
		 * it.  The texts stay until the next step. */
		if ((t[i] = sqlite3_column_text(s, cols[i])) == NULL &&
		    sqlite3_column_type(s, cols[i]) != SQLITE_NULL)
			return -1;
		if (t[i] != NULL)
			len[i] = strlen((const char *)t[i]);
		if (t[i] != NULL || null_empty)
			total += len[i] + 1;
	}
	if (total > 0 && (p = pool_alloc(pp, total)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (out[i] == NULL)
			continue;
		if (t[i] == NULL && !null_empty) {
			*out[i] = NULL;
			continue;
		}
		if (len[i] > 0)
			memcpy(p, t[i], len[i]);
		p[len[i]] = '\0';
		*out[i] = p;
		p += len[i] + 1;
	}
	return 0;
}

int
col_blob(sqlite3_stmt *s, int col, unsigned char **out, size_t *len)
{
	const void	*b;
	int		 n;

	*out = NULL;
	*len = 0;
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return 0;
	b = sqlite3_column_blob(s, col);
	n = sqlite3_column_bytes(s, col);
	if (n <= 0)
		return 0;
	if ((*out = malloc((size_t)n)) == NULL)
		return -1;
	memcpy(*out, b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

int64_t
col_int(sqlite3_stmt *s, int col)
{
	return sqlite3_column_int64(s, col);
}

const char *
col_text(sqlite3_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s, col);
}

enum acme_keytype
col_keytype(sqlite3_stmt *s, int col)
{
	enum acme_keytype	 k;

	/* The CHECK constraints allow only the names acme.h knows. */
	if (acme_keytype_parse(col_text(s, col), &k) == -1)
		k = ACME_KEY_EC256;
	return k;
}

int
strv_json(const char *const *v, size_t n, char **out)
{
	json_t	*a;
	size_t	 i;

	*out = NULL;
	if ((a = json_array()) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (v[i] == NULL || json_array_append_new(a,
		    json_string(v[i])) == -1) {
			json_decref(a);
			return -1;
		}
	*out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return *out == NULL ? -1 : 0;
}

/*
 * The characters a name may hold on the fast path of strv_pooled:
 * printable ASCII but the quote and the backslash.
 */
static const unsigned char strv_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 10 */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* 50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,	/* 70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 90 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* a0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* b0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* c0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* d0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* e0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* f0 */
};

/*
 * The common case of json_strvp: a compact array of printable-ASCII
 * strings without escapes, as strv_json writes names.  The text is
 * copied into the pool once and the names are cut in place (each
 * closing quote becomes its NUL), one copy a row instead of one a name;
 * one pass reads it, the names' pointers kept on the stack until they
 * outnumber it.  1 when parsed into *v and *n, 0 when text is anything
 * else (jansson then decides), -1 when out of memory.
 */
static int
strv_pooled(const char *text, struct strpool **pp, char ***v, size_t *n)
{
	char		*loc[16], **r = loc, **nr, *p, *q;
	size_t		 k = 0, cap = sizeof(loc) / sizeof(loc[0]);

	if ((p = pool_strndup(pp, text, strlen(text))) == NULL)
		return -1;
	while (*p == ' ')
		p++;
	if (*p++ != '[')
		return 0;
	while (*p == ' ')
		p++;
	if (*p == ']')
		goto end;
	for (;;) {
		if (*p++ != '"')
			return 0;
		for (q = p; strv_plain[(unsigned char)*q]; q++)
			continue;
		if (*q != '"')
			return 0;
		*q = '\0';
		if (k == cap) {
			/* Beyond the stack: the pool, twice as large. */
			if (cap > SIZE_MAX / 2 / sizeof(*r) ||
			    (nr = pool_alloc(pp, 2 * cap * sizeof(*r))) ==
			    NULL)
				return -1;
			memcpy(nr, r, k * sizeof(*r));
			r = nr;
			cap *= 2;
		}
		r[k++] = p;
		for (p = q + 1; *p == ' '; p++)
			continue;
		if (*p == ']')
			break;
		if (*p++ != ',')
			return 0;
		while (*p == ' ')
			p++;
	}
end:
	for (p++; *p == ' ' || *p == '\n'; p++)
		continue;
	if (*p != '\0')
		return 0;
	if (k > 0 && r == loc) {
		if ((r = pool_alloc(pp, k * sizeof(*r))) == NULL)
			return -1;
		memcpy(r, loc, k * sizeof(*r));
	}
	*v = k > 0 ? r : NULL;
	*n = k;
	return 1;
}

/* json_strvp through a pool of its own, the vector and strings copied
 * out for panel_strv_free (rows freed field by field). */
int
json_strv(const char *text, char ***v, size_t *n)
{
	struct strpool	*tmp = NULL;
	char	       **pv, **r = NULL;
	size_t		 pn, i;
	int		 rc;

	*v = NULL;
	*n = 0;
	if ((rc = json_strvp(text, &tmp, &pv, &pn)) == 0 && pn > 0) {
		if ((r = calloc(pn, sizeof(*r))) == NULL)
			rc = -1;
		for (i = 0; rc == 0 && i < pn; i++)
			if ((r[i] = strdup(pv[i])) == NULL) {
				panel_strv_free(r, i);
				rc = -1;
			}
		if (rc == 0) {
			*v = r;
			*n = pn;
		}
	}
	pool_free(tmp);
	return rc;
}

int
json_strvp(const char *text, struct strpool **pp, char ***v, size_t *n)
{
	json_t	*a, *e;
	size_t	 i, na;
	char   **r = NULL;
	int	 fast;

	if (pp == NULL)
		return json_strv(text, v, n);
	*v = NULL;
	*n = 0;
	if (text == NULL)
		return 0;
	if ((fast = strv_pooled(text, pp, v, n)) != 0)
		return fast == 1 ? 0 : -1;
	a = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (a == NULL || !json_is_array(a))
		goto bad;
	na = json_array_size(a);
	if (na > 0 && (r = pool_alloc(pp, na * sizeof(*r))) == NULL)
		goto bad;
	json_array_foreach(a, i, e)
		if (!json_is_string(e) || (r[i] = pool_strndup(pp,
		    json_string_value(e), json_string_length(e))) == NULL)
			goto bad;
	*v = r;
	*n = na;
	json_decref(a);
	return 0;
bad:
	json_decref(a);
	return -1;
}

void *
vec_grow(void *v, size_t n, size_t elem)
{
	unsigned char	*nv;

	if (n >= SIZE_MAX / elem - 1)
		return NULL;
	if ((nv = realloc(v, (n + 1) * elem)) == NULL)
		return NULL;
	memset(nv + n * elem, 0, elem);
	return nv;
}

enum panel_err
st_rows(struct store *st, sqlite3_stmt *s, void **v, size_t *n, size_t elem,
    int (*row)(sqlite3_stmt *, void *, struct strpool **),
    struct strpool **pp, size_t max, int *more)
{
	unsigned char	*a = *v, *na;
	size_t		 cap = *n;
	enum panel_err	 err = PANEL_OK;
	int		 r;

	if (more != NULL)
		*more = 0;
	while ((r = st_step(st, s, &err)) == 1) {
		if (max > 0 && *n >= max) {
			if (more != NULL)
				*more = 1;
			sqlite3_reset(s);
			return PANEL_OK;
		}
		if (*n == cap) {
			/* Doubling: lists of thousands of rows stay linear. */
			cap = cap < 16 ? 16 : cap * 2;
			if (cap > SIZE_MAX / elem ||
			    (na = realloc(a, cap * elem)) == NULL)
				goto oom;
			a = na;
			*v = a;
		}
		memset(a + *n * elem, 0, elem);
		(*n)++;
		if (row(s, a + (*n - 1) * elem, pp) == -1)
			goto oom;
	}
	return r == -1 ? err : PANEL_OK;
oom:
	sqlite3_reset(s);
	return PANEL_ERR_NOMEM;
}

/* Steps a statement that needs no binding, ignoring rows. */
static enum panel_err
st_simple(struct store *st, enum stmt id)
{
	return st_run(st, id, NULL, 0);
}

enum panel_err
store_schema_version(struct store *st, int *version)
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_ERR_DB;

	if ((s = st_prep(st, ST_USER_VERSION)) == NULL)
		return PANEL_ERR_DB;
	if (st_step(st, s, &err) != 1)
		return err;
	*version = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return PANEL_OK;
}

int
store_schema_latest(void)
{
	return NMIGRATIONS;
}

const char *
store_migration_sql(int n)
{
	if (n < 1 || n > NMIGRATIONS)
		return NULL;
	return migrations[n - 1];
}

/* Applies migration n (1-based) unless the database already has it. */
static enum panel_err
store_migrate_one(struct store *st, int n)
{
	enum panel_err	 err;
	char		*msg = NULL;
	int		 v, rc;

	if ((err = store_begin(st)) != PANEL_OK)
		return err;
	/* Re-read inside the write lock: another process may have won. */
	if ((err = store_schema_version(st, &v)) != PANEL_OK)
		goto fail;
	if (v >= n) {
		store_rollback(st);
		return PANEL_OK;
	}
	rc = sqlite3_exec(st->db, migrations[n - 1], NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "migration %04d: %s", n,
		    msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		err = PANEL_ERR_SCHEMA;
		goto fail;
	}
	if ((err = store_schema_version(st, &v)) != PANEL_OK)
		goto fail;
	if (v != n) {
		snprintf(st->err, sizeof(st->err),
		    "migration %04d set user_version %d", n, v);
		err = PANEL_ERR_SCHEMA;
		goto fail;
	}
	return store_commit(st);
fail:
	store_rollback(st);
	return err;
}

static enum panel_err
store_migrate(struct store *st)
{
	enum panel_err	 err;
	int		 v, n;

	if ((err = store_schema_version(st, &v)) != PANEL_OK)
		return err;
	if (v > NMIGRATIONS) {
		snprintf(st->err, sizeof(st->err), "database schema %d is "
		    "newer than this program's %d", v, NMIGRATIONS);
		return PANEL_ERR_SCHEMA;
	}
	for (n = v + 1; n <= NMIGRATIONS; n++)
		if ((err = store_migrate_one(st, n)) != PANEL_OK)
			return err;
	return PANEL_OK;
}

/* Creates a missing database file as 0600 so it is never world-readable;
 * SQLite gives the -wal and -shm files the same mode. */
static int
store_create_file(const char *path)
{
	int	 fd;

	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return errno == EEXIST ? 0 : -1;
	return close(fd);
}

enum panel_err
store_open(const char *path, struct store **out)
{
	return store_open_msg(path, out, NULL, 0);
}

enum panel_err
store_open_msg(const char *path, struct store **out, char *msg,
    size_t msglen)
{
	struct store	*st;
	enum panel_err	 err;
	int		 rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return PANEL_ERR_ARG;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return PANEL_ERR_NOMEM;
	if (store_create_file(path) == -1) {
		if (msg != NULL && msglen > 0)
			snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		free(st);
		return PANEL_ERR_IO;
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW |
	    SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK) {
		err = st_error(st, rc);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_MS);
	/* No writable_schema or shadow-table tricks.  (TRUSTED_SCHEMA stays
	 * on: the CHECK constraints call json_valid(), which SQLite 3.40
	 * does not mark innocuous; the file is ours, 0600.) */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if ((err = st_simple(st, ST_PRAGMA_FK)) != PANEL_OK ||
	    (err = st_simple(st, ST_PRAGMA_WAL)) != PANEL_OK ||
	    (err = st_simple(st, ST_SYNC_NORMAL)) != PANEL_OK ||
	    (err = store_migrate(st)) != PANEL_OK)
		goto fail;
	*out = st;
	return PANEL_OK;
fail:
	if (msg != NULL && msglen > 0)
		snprintf(msg, msglen, "%s", st->err);
	store_close(st);
	return err;
}

void
store_close(struct store *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	for (i = 0; i < ST__MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

enum panel_err
store_durable(struct store *st, int on)
{
	return st_simple(st, on ? ST_SYNC_FULL : ST_SYNC_NORMAL);
}

enum panel_err
store_small_cache(struct store *st)
{
	return st_simple(st, ST_PRAGMA_CACHE_SMALL);
}

enum panel_err
store_single_thread(void)
{
	if (sqlite3_config(SQLITE_CONFIG_SINGLETHREAD) != SQLITE_OK ||
	    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		return PANEL_ERR_DB;
	return PANEL_OK;
}

void
store_busy_timeout(struct store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms);
}

const char *
store_errmsg(const struct store *st)
{
	return st != NULL ? st->err : "";
}

/*
 * A read snapshot: BEGIN DEFERRED, so that a run of reads shares one
 * read transaction (one lock of the WAL index instead of one per
 * statement) and sees one state of the database.  A write begun inside
 * (store_begin) ends the snapshot first and runs on its own, as it would
 * after reads made one statement at a time.
 */
int
store_read_begin(struct store *st)
{
	if (st->depth > 0 || st->snap || !sqlite3_get_autocommit(st->db))
		return 0;
	if (st_run(st, ST_BEGIN_READ, NULL, 0) != PANEL_OK)
		return 0;
	st->snap = 1;
	return 1;
}

void
store_read_end(struct store *st, int began)
{
	if (!began || !st->snap)
		return;
	st->snap = 0;
	if (st->depth == 0 && !sqlite3_get_autocommit(st->db))
		(void)st_run(st, ST_ROLLBACK, NULL, 0);
}

enum panel_err
store_begin(struct store *st)
{
	enum panel_err	 err;

	if (st->depth == 0 && st->snap) {
		st->snap = 0;
		if (!sqlite3_get_autocommit(st->db))
			(void)st_run(st, ST_ROLLBACK, NULL, 0);
	}
	err = st_simple(st, st->depth == 0 ? ST_BEGIN : ST_SAVEPOINT);
	if (err == PANEL_OK)
		st->depth++;
	return err;
}

enum panel_err
store_commit(struct store *st)
{
	enum panel_err	 err;

	if (st->depth <= 0)
		return PANEL_ERR_ARG;
	err = st_simple(st, st->depth == 1 ? ST_COMMIT : ST_RELEASE);
	if (err != PANEL_OK) {
		/* A failed COMMIT leaves the transaction open: undo it. */
		store_rollback(st);
		return err;
	}
	st->depth--;
	return PANEL_OK;
}

void
store_rollback(struct store *st)
{
	if (st->depth <= 0)
		return;
	if (st->depth == 1) {
		if (!sqlite3_get_autocommit(st->db))
			(void)st_simple(st, ST_ROLLBACK);
	} else {
		(void)st_simple(st, ST_ROLLBACK_TO);
		(void)st_simple(st, ST_RELEASE);
	}
	st->depth--;
}
