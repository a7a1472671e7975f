/*
 * What lib/panel's files share among themselves.  Not for cgi/ or bin/:
 * they include panel.h only.
 */
#ifndef PANEL_PRIV_H
#define PANEL_PRIV_H

#include <sqlite3.h>

#include "panel.h"

/*
 * Statement ids.  The SQL text of each lives in the one table in
 * store_sql.c (static-asserted to have ST__MAX entries).  Column lists
 * are shared macros there; the readers in store_*.c take columns in the
 * order the comment beside each group gives.
 */
enum stmt {
	/* connection */
	ST_PRAGMA_FK, ST_PRAGMA_WAL, ST_SYNC_NORMAL, ST_SYNC_FULL,
	ST_PRAGMA_CACHE_SMALL,
	ST_USER_VERSION, ST_BEGIN, ST_BEGIN_READ, ST_COMMIT, ST_ROLLBACK,
	ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
	/* users: USER_COLS */
	ST_USER_ADD, ST_USER_GET, ST_USER_BY_NAME, ST_USER_LIST,
	ST_USER_SET_PW, ST_USER_SET_ROLE, ST_USER_SET_DISABLED,
	ST_USER_COUNT_ADMINS,
	/* sessions: SESS_COLS */
	ST_SESS_ADD, ST_SESS_GET, ST_SESS_ROTATE, ST_SESS_DEL,
	ST_SESS_DEL_USER, ST_SESS_PURGE,
	/* api tokens: TOK_COLS */
	ST_TOK_ADD, ST_TOK_BY_HASH, ST_TOK_REVOKE, ST_TOK_TOUCH,
	ST_TOK_LIST_USER, ST_TOK_LIST_ALL,
	/* sign-in attempts */
	ST_LOGIN_ADD, ST_LOGIN_FAIL_USER, ST_LOGIN_FAIL_IP, ST_LOGIN_CLEAR,
	ST_LOGIN_PURGE,
	/* settings */
	ST_SET_GET, ST_SET_PUT,
	/* accounts: ACC_COLS */
	ST_ACC_ADD, ST_ACC_GET, ST_ACC_LIST_ALL, ST_ACC_LIST_OWNER,
	ST_ACC_PAGE_ALL, ST_ACC_PAGE_OWNER,
	ST_ACC_SET_CONTACTS, ST_ACC_SET_STATUS, ST_ACC_SET_KEY,
	ST_ACC_SET_KID,
	/* orders: ORD_COLS */
	ST_ORD_ADD, ST_ORD_GET, ST_ORD_LIST_ALL, ST_ORD_LIST_OWNER,
	ST_ORD_BRIEF_ALL, ST_ORD_BRIEF_OWNER, ST_ORD_BRIEF_STATUS,
	ST_ORD_BRIEF_OWNER_STATUS, ST_ORD_CERTS,
	ST_ORD_LIST_STATUS, ST_ORD_LIST_OWNER_STATUS, ST_ORD_COUNT_ALL,
	ST_ORD_COUNT_OWNER, ST_ORD_COUNT_STATUS, ST_ORD_COUNT_OWNER_STATUS,
	ST_ORD_SET_STATUS, ST_ORD_SET_URLS, ST_ORD_SET_KEY, ST_ORD_RETRY,
	ST_ORD_LEASE, ST_ORD_RELEASE, ST_ORD_DUE, ST_ORD_FAILURES,
	ST_ORD_FAILURES_ALL, ST_ORD_FAILURES_BRIEF, ST_ORD_FAILURES_ALL_BRIEF,
	/* authorizations: AUTHZ_COLS; challenges: CHAL_COLS */
	ST_AUTHZ_ADD, ST_AUTHZ_LIST, ST_AUTHZ_SET_STATUS,
	ST_CHAL_ADD, ST_CHAL_LIST_ORDER, ST_CHAL_GET, ST_CHAL_HTTP01,
	ST_CHAL_SET_STATUS,
	/* order events */
	ST_EVT_ADD, ST_EVT_LIST,
	/* certificates: CERT_COLS (full) / CERT_LCOLS (lists) */
	ST_CERT_ADD, ST_CERT_GET, ST_CERT_BY_ORDER, ST_CERT_LIST_ALL,
	ST_CERT_LIST_OWNER, ST_CERT_LIST_ALL_BRIEF, ST_CERT_LIST_OWNER_BRIEF,
	ST_CERT_COUNT, ST_CERT_SET_KEY,
	ST_CERT_REVOKE, ST_CERT_REPLACE, ST_CERT_SET_RENEW, ST_CERT_DUE,
	ST_CERT_EXPIRING, ST_CERT_EXPIRING_ALL, ST_CERT_EXPIRING_BRIEF,
	ST_CERT_EXPIRING_ALL_BRIEF,
	/* dashboard */
	ST_DASH_COUNTS, ST_DASH_COUNTS_ALL,
	/* the guard in front of the CA's rate limits (store_guard.c) */
	ST_GUARD_CERT_COUNT, ST_GUARD_CERT_NTH, ST_GUARD_AUTHZ_FAILS,
	/* billing, alerts, sweep runs */
	ST_BILL_ADD, ST_BILL_GET, ST_BILL_SET,
	ST_ALERT_CLAIM, ST_ALERT_UNCLAIM, ST_ALERT_RECENT,
	ST_SWEEP_START, ST_SWEEP_FINISH, ST_SWEEP_LAST,
	/* audit: AUDIT_COLS */
	ST_AUDIT_LAST, ST_AUDIT_ADD, ST_AUDIT_WALK, ST_AUDIT_QUERY,
	ST_AUDIT_QUERY_ACTOR, ST_AUDIT_QUERY_OBJECT, ST_AUDIT_QUERY_ACTION,
	ST_AUDIT_PAGE, ST_AUDIT_PAGE_ACTOR,
	ST__MAX
};

/* The SQL text of statement id (static). */
const char	*store_sql(enum stmt id);

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[ST__MAX];	/* prepared lazily, kept */
	int		 depth;		/* transaction nesting */
	int		 snap;		/* a read snapshot is open */
	char		 err[256];	/* last SQLite message */
};

/* A bound parameter; build with the P_* macros and BIND(). */
enum sparm_type { SP_NULL, SP_INT, SP_TEXT, SP_BLOB };

struct sparm {
	enum sparm_type		 t;
	int64_t			 i;
	const char		*s;
	const void		*b;
	size_t			 len;
};

#define P_I(x)		((struct sparm){ .t = SP_INT, .i = (int64_t)(x) })
#define P_T(x)		((struct sparm){ .t = SP_TEXT, .s = (x) })
#define P_B(p, n)	((struct sparm){ .t = SP_BLOB, .b = (p), .len = (n) })
#define P_NULL		((struct sparm){ .t = SP_NULL })
/* Integer, NULL when zero. */
#define P_IZ(x)		((x) ? P_I(x) : P_NULL)

/*
 * The statement id, reset and with bindings cleared (prepared on first
 * use).  NULL on failure, with st->err set.
 */
sqlite3_stmt	*st_prep(struct store *st, enum stmt id);
/* Binds n parameters from 1 on; 0 or -1 (st->err set). */
int		 st_bind(struct store *st, sqlite3_stmt *s,
		    const struct sparm *p, size_t n);
#define BIND(st, s, ...) st_bind((st), (s), \
	(const struct sparm[]){ __VA_ARGS__ }, \
	sizeof((const struct sparm[]){ __VA_ARGS__ }) / sizeof(struct sparm))
/*
 * Steps s: 1 with a row, 0 when done (s reset), -1 on error (s reset,
 * *err set to the mapped error).
 */
int		 st_step(struct store *st, sqlite3_stmt *s,
		    enum panel_err *err);
/* Prepares id, binds, steps to the end.  PANEL_ERR_* mapped. */
enum panel_err	 st_run(struct store *st, enum stmt id,
		    const struct sparm *p, size_t n);
#define RUN(st, id, ...) st_run((st), (id), \
	(const struct sparm[]){ __VA_ARGS__ }, \
	sizeof((const struct sparm[]){ __VA_ARGS__ }) / sizeof(struct sparm))
/* Like st_run, but PANEL_ERR_NOTFOUND when no row changed. */
enum panel_err	 st_update(struct store *st, enum stmt id,
		    const struct sparm *p, size_t n);
#define UPDATE1(st, id, ...) st_update((st), (id), \
	(const struct sparm[]){ __VA_ARGS__ }, \
	sizeof((const struct sparm[]){ __VA_ARGS__ }) / sizeof(struct sparm))
/* Steps a bound single-integer SELECT into *n. */
enum panel_err	 st_count(struct store *st, sqlite3_stmt *s, int64_t *n);
/* Maps a SQLite result code to enum panel_err and records the message. */
enum panel_err	 st_error(struct store *st, int rc);
/* Rows changed by the last statement. */
int64_t		 st_changes(const struct store *st);
int64_t		 st_last_id(const struct store *st);

/*
 * String pools (store.c): the strings of a list's rows cut in order from
 * a chain of blocks and freed at once (pool_free), instead of one malloc
 * and free each.  *pp starts NULL.  pool_strndup with pp NULL is
 * strndup.  NULL when out of memory.
 */
void		*pool_alloc(struct strpool **pp, size_t len);
char		*pool_strndup(struct strpool **pp, const char *s, size_t len);
void		 pool_free(struct strpool *p);

/* Column readers: a copy of a text column up to its first NUL (NULL
 * column: *out NULL), col_strp's from the pool pp when not NULL; 0 or
 * -1 (out of memory).  (strlen costs less than sqlite3_column_bytes, a
 * second call through SQLite's API, and the copies are C strings.) */
int		 col_str(sqlite3_stmt *s, int col, char **out);
int		 col_strp(sqlite3_stmt *s, int col, struct strpool **pp,
		    char **out);
/*
 * n text columns (cols[i], at most COL_STRS_MAX) copied at once into one
 * block of the pool pp: *out[i] (out[i] NULL: not read) is column
 * cols[i]'s text up to its first NUL; a NULL column gives NULL, or ""
 * when null_empty.  One allocation a row instead of one a column.  0 or
 * -1 (out of memory).
 */
#define COL_STRS_MAX	16
int		 col_strsp(sqlite3_stmt *s, const int *cols,
		    char **const *out, size_t n, struct strpool **pp,
		    int null_empty);
int		 col_blob(sqlite3_stmt *s, int col, unsigned char **out,
		    size_t *len);
int64_t		 col_int(sqlite3_stmt *s, int col);
/* The text of a column (borrowed until the next step), or NULL. */
const char	*col_text(sqlite3_stmt *s, int col);
/* A key-type column. */
enum acme_keytype col_keytype(sqlite3_stmt *s, int col);

/* JSON array of strings <-> C vector.  strv_json: *out the caller's;
 * json_strv: text "[...]" of strings only.  0 or -1. */
int		 strv_json(const char *const *v, size_t n, char **out);
int		 json_strv(const char *text, char ***v, size_t *n);
/* json_strv with the vector and strings from the pool pp (NULL: as
 * json_strv). */
int		 json_strvp(const char *text, struct strpool **pp, char ***v,
		    size_t *n);

/* Growing arrays for list results: v (n elements of elem bytes) grown
 * to n + 1 with the new element zeroed; the new array, or NULL (v is
 * then untouched). */
void		*vec_grow(void *v, size_t n, size_t elem);
/*
 * Steps s to its end, reading each row with row(s, element, pp) into the
 * array *v of *n elements of elem bytes (grown as needed; new elements
 * zeroed and counted before row() fills them, so the caller's free sees
 * them; pp, passed on to row, is the list's string pool or NULL for
 * rows freed field by field).  With max > 0 at most max rows are read;
 * *more (may be NULL)
 * then tells whether another row was there, and s is reset.  Returns
 * PANEL_OK, the step's error or PANEL_ERR_NOMEM (s reset); the rows read
 * so far stay in *v either way, for the caller to free.
 */
enum panel_err	 st_rows(struct store *st, sqlite3_stmt *s, void **v,
		    size_t *n, size_t elem,
		    int (*row)(sqlite3_stmt *, void *, struct strpool **),
		    struct strpool **pp, size_t max, int *more);

/* domain.c: one DNS name (no wildcard, no address) normalised into out;
 * 0, or -1 with *why set. */
int		 valid_domain_one(const char *in, char *out, size_t outlen,
		    const char **why);

/* util.c: constant-time string equality (lengths may leak). */
int		 panel_str_eq_ct(const char *a, const char *b);

#endif /* !PANEL_PRIV_H */
