/*
 * store: the panel's SQLite database, and the only code with SQL in it
 * (store*.c; statement texts in one table in store_sql.c, schema in
 * sql/NNNN_*.sql).  Include "panel.h", which includes this file.
 *
 * Conventions for every function below:
 *  - The return value is an enum panel_err: PANEL_OK, PANEL_ERR_NOTFOUND
 *    when no row matched (or the row belongs to someone else, see "owner"),
 *    PANEL_ERR_EXISTS on a unique-constraint clash, PANEL_ERR_BUSY when the
 *    database stayed locked past the busy timeout, PANEL_ERR_DB otherwise
 *    (store_errmsg() tells what SQLite said).
 *  - "owner" arguments: 0 means no owner filter (an admin); otherwise only
 *    rows of that user id are seen, and other users' rows are NOTFOUND so
 *    that their existence does not leak.  auth_owner() gives the value.
 *  - Times are Unix seconds (int64_t), except the audit log's ISO 8601 text.
 *  - Row structs returned through a pointer-to-pointer are the caller's and
 *    are freed with the matching *_free (all NULL-safe, and they free the
 *    nested arrays and strings).  Input structs are only read.
 *  - Every write that changes several rows runs in its own transaction, or
 *    joins the caller's (store_begin nests with savepoints).
 */
#ifndef PANEL_STORE_H
#define PANEL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "acme.h"

struct store;

/* Errors of the whole panel layer; panel_strerror() names them. */
enum panel_err {
	PANEL_OK = 0,
	PANEL_ERR_NOMEM,	/* allocation failed */
	PANEL_ERR_ARG,		/* bad argument from the caller */
	PANEL_ERR_DB,		/* SQLite failure; see store_errmsg() */
	PANEL_ERR_BUSY,		/* database locked, or no scrypt slot free */
	PANEL_ERR_NOTFOUND,	/* no such row, or not this owner's */
	PANEL_ERR_EXISTS,	/* unique constraint: already there */
	PANEL_ERR_STALE,	/* lease lost: fencing token no longer ours */
	PANEL_ERR_SCHEMA,	/* migration failed or database is newer */
	PANEL_ERR_IO,		/* file read/write failure (see errno) */
	PANEL_ERR_PERM,		/* file mode too open, or not a regular file */
	PANEL_ERR_CRYPTO,	/* encryption failure or tag mismatch */
	PANEL_ERR_AUTH,		/* wrong name, password, session or token */
	PANEL_ERR_LIMIT,	/* sign-in rate limit reached */
	PANEL_ERR_DENIED,	/* role or ownership forbids it */
	PANEL_ERR_CHAIN,	/* audit hash chain broken */
	PANEL_ERR_TEMPLATE,	/* template missing or malformed */
	PANEL_ERR_WRITE,	/* the output writer callback failed */
	PANEL_ERR_CONFIG,	/* configuration file error */
	PANEL_ERR_INVALID,	/* form input refused (see struct valid_error) */
	PANEL_ERR__MAX
};

/* Static English text for err; never NULL. */
const char	*panel_strerror(enum panel_err err);

enum panel_role {
	PANEL_ROLE_USER = 0,
	PANEL_ROLE_ADMIN,
	PANEL_ROLE__MAX
};

/* Local account status: "new" until the CA registered it. */
enum store_acc_status {
	STORE_ACC_FAILED = 0,
	STORE_ACC_NEW,
	STORE_ACC_VALID,
	STORE_ACC_DEACTIVATED,
	STORE_ACC_REVOKED,
	STORE_ACC__MAX
};

/* Order status: RFC 8555 7.1.6 plus local "new" (not yet sent to the CA)
 * and "canceled" (given up by the user). */
enum store_ord_status {
	STORE_ORD_INVALID = 0,
	STORE_ORD_NEW,
	STORE_ORD_PENDING,
	STORE_ORD_READY,
	STORE_ORD_PROCESSING,
	STORE_ORD_VALID,
	STORE_ORD_EXPIRED,
	STORE_ORD_CANCELED,
	STORE_ORD__MAX
};

enum store_cert_status {
	STORE_CERT_VALID = 0,
	STORE_CERT_REVOKED,
	STORE_CERT_REPLACED,
	STORE_CERT__MAX
};

enum store_bill_state {
	STORE_BILL_PENDING = 0,
	STORE_BILL_APPROVED,
	STORE_BILL_DECLINED,
	STORE_BILL_ERROR,
	STORE_BILL__MAX
};

/* Names as stored in the database ("admin", "valid", ...); the *_parse
 * functions return 0 and set *out, or -1 for an unknown name. */
const char	*panel_role_name(enum panel_role);
int		 panel_role_parse(const char *, enum panel_role *out);
const char	*store_acc_status_name(enum store_acc_status);
int		 store_acc_status_parse(const char *, enum store_acc_status *);
const char	*store_ord_status_name(enum store_ord_status);
int		 store_ord_status_parse(const char *, enum store_ord_status *);
const char	*store_cert_status_name(enum store_cert_status);
int		 store_cert_status_parse(const char *, enum store_cert_status *);
const char	*store_bill_state_name(enum store_bill_state);
int		 store_bill_state_parse(const char *, enum store_bill_state *);
/* 1 while the order can still move (new, pending, ready, processing). */
int		 store_ord_active(enum store_ord_status);

/* ------------------------------------------------------------------ */
/* Opening, transactions (store.c).                                     */

/*
 * Opens (creating it 0600 if missing) the database at path, sets WAL,
 * foreign_keys=ON, busy_timeout 5000 ms, synchronous=NORMAL, and applies
 * the pending migrations of sql/ (embedded at build time), each in its own
 * BEGIN IMMEDIATE transaction.  *out is the caller's (store_close).
 * PANEL_ERR_SCHEMA when the database is newer than this program.
 */
enum panel_err	 store_open(const char *path, struct store **out);
/* The same, with SQLite's or the migration's message copied into msg
 * (msglen bytes, may be 0) on failure. */
enum panel_err	 store_open_msg(const char *path, struct store **out,
		    char *msg, size_t msglen);
/* Finalizes the cached statements and closes; NULL-safe. */
void		 store_close(struct store *st);
/* on=1: synchronous=FULL (money, renewal state); on=0: back to NORMAL. */
enum panel_err	 store_durable(struct store *st, int on);
/* Changes the busy timeout (ms) of this connection. */
void		 store_busy_timeout(struct store *st, int ms);
/*
 * Caps this connection's page cache at 512 KiB instead of SQLite's 2000
 * KiB: for acme.fcgi, which keeps its connection between requests and
 * whose resident memory is counted (every page of tests/bench/panel.sh
 * still finds its pages in the smaller cache).  PANEL_OK or PANEL_ERR_DB.
 */
enum panel_err	 store_small_cache(struct store *st);
/*
 * For a process with one thread, before it opens any store: SQLite
 * without its mutexes and without its memory statistics (which take a
 * mutex on every allocation).  acme.fcgi serves one request at a time;
 * acme-sweep, whose workers are threads, must not call it.  PANEL_OK, or
 * PANEL_ERR_DB when SQLite was already started.
 */
enum panel_err	 store_single_thread(void);
/*
 * BEGIN IMMEDIATE at the outer level (takes the write lock now, so the
 * transaction never fails half-way with SQLITE_BUSY); nested calls open a
 * savepoint.  Pair each with store_commit or store_rollback.
 */
enum panel_err	 store_begin(struct store *st);
enum panel_err	 store_commit(struct store *st);
/* Rolls back the innermost level; safe to call on an error path. */
void		 store_rollback(struct store *st);
/*
 * A read snapshot for a run of reads, when no transaction is open: one
 * read transaction instead of one per statement (one lock of the WAL
 * index; with other connections writing, the page cache reloaded once),
 * and one state of the database for the whole run.  store_begin inside
 * it ends it first.  Returns 1 when it began one (end it with
 * store_read_end(st, 1)), else 0.
 */
int		 store_read_begin(struct store *st);
void		 store_read_end(struct store *st, int began);
/* The last SQLite error message of st (borrowed, "" when none). */
const char	*store_errmsg(const struct store *st);
/* Current PRAGMA user_version, and the newest migration built in. */
enum panel_err	 store_schema_version(struct store *st, int *version);
int		 store_schema_latest(void);
/* The text of migration n (1-based) as embedded, or NULL.  Static. */
const char	*store_migration_sql(int n);

/* ------------------------------------------------------------------ */
/* Users, sessions, API tokens, sign-in attempts, settings              */
/* (store_user.c).                                                      */

struct store_user {
	int64_t		 id;
	char		*name;
	char		*pw_hash;	/* libscrypt MCF, or NULL: no password */
	enum panel_role	 role;
	int		 disabled;
	int64_t		 created;
};

struct store_user_list {
	struct store_user	*v;
	size_t			 n;
};

/* Adds a user; pw_hash may be NULL.  *id (may be NULL) gets the new id.
 * PANEL_ERR_EXISTS when the name is taken. */
enum panel_err	 store_user_add(struct store *st, const char *name,
		    const char *pw_hash, enum panel_role role, int64_t *id);
enum panel_err	 store_user_get(struct store *st, int64_t id,
		    struct store_user **out);
enum panel_err	 store_user_by_name(struct store *st, const char *name,
		    struct store_user **out);
enum panel_err	 store_user_set_password(struct store *st, int64_t id,
		    const char *pw_hash);
enum panel_err	 store_user_set_role(struct store *st, int64_t id,
		    enum panel_role role);
enum panel_err	 store_user_set_disabled(struct store *st, int64_t id,
		    int disabled);
/* All users by name. */
enum panel_err	 store_user_list(struct store *st,
		    struct store_user_list **out);
/* Number of enabled admins (bootstrap: create one when 0). */
enum panel_err	 store_user_count_admins(struct store *st, int64_t *n);
void		 store_user_free(struct store_user *u);
void		 store_user_list_free(struct store_user_list *l);

/* A session row; the cookie value itself is never stored, only its
 * SHA-256 (hex) in id_hash. */
struct store_session {
	char		*id_hash;
	int64_t		 user_id;
	char		*csrf;
	int64_t		 created;
	int64_t		 expires;
	char		*ip;
};

enum panel_err	 store_session_add(struct store *st,
		    const struct store_session *s);
/*
 * The session with id_hash that has not expired at now, and if user is
 * not NULL its user in the same read (*user NULL when that user is
 * gone).  Both are the caller's to free.
 */
enum panel_err	 store_session_get(struct store *st, const char *id_hash,
		    int64_t now, struct store_session **out,
		    struct store_user **user);
/* Replaces the id (and CSRF token, and expiry) of a live session. */
enum panel_err	 store_session_rotate(struct store *st, const char *old_hash,
		    const char *new_hash, const char *new_csrf, int64_t now,
		    int64_t expires);
/* Deleting what is not there is PANEL_OK. */
enum panel_err	 store_session_delete(struct store *st, const char *id_hash);
enum panel_err	 store_session_delete_user(struct store *st,
		    int64_t user_id);
/* Deletes sessions expired at now; *n (may be NULL) gets the count. */
enum panel_err	 store_session_purge(struct store *st, int64_t now,
		    int64_t *n);
void		 store_session_free(struct store_session *s);

struct store_token {
	int64_t		 id;
	int64_t		 user_id;
	char		*name;
	char		*hint;		/* "acme_AbCd…", safe to show */
	int64_t		 created;
	int64_t		 last_used;	/* 0: never */
	int64_t		 revoked;	/* 0: usable, else when revoked */
};

struct store_token_list {
	struct store_token	*v;
	size_t			 n;
};

enum panel_err	 store_token_add(struct store *st, int64_t user_id,
		    const char *name, const char *token_hash,
		    const char *hint, int64_t now, int64_t *id);
/*
 * The unrevoked token whose hash is token_hash; NOTFOUND otherwise.  If
 * user is not NULL, the token's user in the same read (*user NULL when
 * that user is gone).  Both are the caller's to free.
 */
enum panel_err	 store_token_by_hash(struct store *st, const char *token_hash,
		    struct store_token **out, struct store_user **user);
/* Revokes token id; owner != 0 restricts to that user's tokens.
 * NOTFOUND when no such usable token. */
enum panel_err	 store_token_revoke(struct store *st, int64_t id,
		    int64_t owner, int64_t now);
enum panel_err	 store_token_touch(struct store *st, int64_t id, int64_t now);
/* Tokens of user_id (0: everyone's), newest first, revoked included. */
enum panel_err	 store_token_list(struct store *st, int64_t user_id,
		    struct store_token_list **out);
void		 store_token_free(struct store_token *t);
void		 store_token_list_free(struct store_token_list *l);

/* Records one sign-in attempt (ok 1 success, 0 failure). */
enum panel_err	 store_login_record(struct store *st, const char *ip,
		    const char *user, int ok, int64_t now);
/* Failures since `since` by this user name and by this IP. */
enum panel_err	 store_login_failures(struct store *st, const char *ip,
		    const char *user, int64_t since, int64_t *by_ip,
		    int64_t *by_user);
/* Forgets a user's failures (after a successful sign-in). */
enum panel_err	 store_login_clear(struct store *st, const char *user);
/* Deletes attempts older than before. */
enum panel_err	 store_login_purge(struct store *st, int64_t before);

/* Settings: *value is the caller's (free()); NOTFOUND when unset. */
enum panel_err	 store_setting_get(struct store *st, const char *key,
		    char **value);
enum panel_err	 store_setting_set(struct store *st, const char *key,
		    const char *value, int64_t now);

/* ------------------------------------------------------------------ */
/* ACME accounts (store_account.c); orders, authorizations, challenges,
 * order history (store_order.c).                                       */

struct store_account {
	int64_t			 id;
	int64_t			 owner;
	char			*ca_url;	/* directory URL */
	char			*ca_preset;	/* "letsencrypt"..., or NULL */
	char			*kid;		/* account URL, NULL before */
	char		       **contacts;	/* "mailto:..." */
	size_t			 ncontacts;
	enum acme_keytype	 key_type;
	unsigned char		*key_enc;	/* crypt_seal'd PEM, "account:ID" */
	size_t			 key_enc_len;
	enum store_acc_status	 status;
	int			 tos_agreed;
	char			*eab_kid;
	char			*error;		/* JSON problem text, or NULL */
	int64_t			 created;
	int64_t			 updated;
};

struct store_account_list {
	struct store_account	*v;
	size_t			 n;
	int64_t			 next;	/* store_account_page: the cursor of
					 * the next page, 0 at the end */
};

/* Inserts a (fields id, created, updated ignored); *id gets the new id.
 * key_enc is usually set afterwards with store_account_set_key, once the
 * id (part of the encryption's associated data) is known. */
enum panel_err	 store_account_add(struct store *st,
		    const struct store_account *a, int64_t now, int64_t *id);
enum panel_err	 store_account_get(struct store *st, int64_t id,
		    int64_t owner, struct store_account **out);
/* Accounts of owner (0: all), newest first; key_enc left out (NULL). */
enum panel_err	 store_account_list(struct store *st, int64_t owner,
		    struct store_account_list **out);
/* One page of them: ids below before (0: the newest), at most limit
 * (0: 50; at most 500); l->next is the next page's before, or 0. */
enum panel_err	 store_account_page(struct store *st, int64_t owner,
		    int64_t before, unsigned limit,
		    struct store_account_list **out);
enum panel_err	 store_account_set_contacts(struct store *st, int64_t id,
		    const char *const *contacts, size_t n, int64_t now);
/* error: JSON text or NULL (clears it). */
enum panel_err	 store_account_set_status(struct store *st, int64_t id,
		    enum store_acc_status status, const char *error,
		    int64_t now);
enum panel_err	 store_account_set_key(struct store *st, int64_t id,
		    enum acme_keytype type, const unsigned char *key_enc,
		    size_t len, int64_t now);
/* Sets the account URL (kid) and status after registration. */
enum panel_err	 store_account_set_kid(struct store *st, int64_t id,
		    const char *kid, enum store_acc_status status, int64_t now);
void		 store_account_free(struct store_account *a);
void		 store_account_list_free(struct store_account_list *l);

struct store_challenge {
	int64_t			 id;
	int64_t			 authz_id;
	int64_t			 order_id;	/* filled by getters */
	int64_t			 owner;		/* of the order; by getters */
	char			*url;
	enum acme_chtype	 type;
	enum acme_status	 status;	/* pending processing valid invalid */
	char			*token;		/* base64url (CHECKed) */
	char			*key_authorization;
	char			*dns_name;	/* dns-01: _acme-challenge.x */
	char			*dns_value;
	char			*error;		/* JSON, or NULL */
	int64_t			 updated;
};

struct store_authz {
	int64_t			 id;
	int64_t			 order_id;
	char			*url;
	enum acme_ident_type	 ident_type;
	char			*identifier;
	enum acme_status	 status;
	int64_t			 expires;	/* 0: unknown */
	int			 wildcard;
	char			*error;		/* JSON, or NULL */
	struct store_challenge	*ch;
	size_t			 nch;
};

struct store_order {
	int64_t			 id;
	int64_t			 owner;
	int64_t			 account_id;
	char			*order_url;	/* NULL while "new" */
	enum store_ord_status	 status;
	char		       **domains;
	size_t			 ndomains;
	enum acme_keytype	 key_type;
	enum acme_chtype	 challenge_type; /* HTTP01 or DNS01 */
	int			 autom;		/* "auto" */
	int			 auto_renew;
	char			*error;		/* JSON problem text, or NULL */
	int64_t			 expires;
	char			*finalize_url;
	char			*cert_url;
	unsigned char		*key_enc;	/* cert key, "order:ID" */
	size_t			 key_enc_len;
	char			*replaces;	/* ARI certID, or NULL */
	int64_t			 renews;	/* certificate id, or 0 */
	int64_t			 retry_at;
	int64_t			 tries;
	char			*lease_owner;
	int64_t			 lease_token;
	int64_t			 lease_until;
	int64_t			 created;
	int64_t			 updated;
	int64_t			 certificate_id; /* newest cert, 0: none */
	struct store_authz	*authz;		/* by store_order_get only */
	size_t			 nauthz;
};

struct store_order_list {
	struct store_order	*v;
	size_t			 n;
	int64_t			 total;	/* matching rows, all pages */
	int64_t			 next;	/* cursor for the next page, 0: end */
	struct strpool		*pool;	/* the rows' strings */
};

/* Filter for store_order_list: zero means "any". */
struct store_order_filter {
	int64_t			 owner;
	int			 has_status;
	enum store_ord_status	 status;
	int64_t			 before;	/* keyset cursor: ids < before */
	unsigned		 limit;		/* 0: 50; at most 500 */
	int			 no_total;	/* total not counted: -1 */
	int			 brief;		/* rows of only id, status,
						 * domains, challenge_type,
						 * autom, created, updated
						 * (the rest 0): the HTML
						 * lists */
};

/*
 * Inserts an order with its authorizations and their challenges (o->authz,
 * each ->ch) in one transaction.  Ids of o/authz/ch are ignored; *id gets
 * the order's.  PANEL_ERR_EXISTS when a challenge token or order URL is
 * already known.
 */
enum panel_err	 store_order_add(struct store *st,
		    const struct store_order *o, int64_t now, int64_t *id);
/* Adds authorizations (with challenges) to an existing order, e.g. once
 * a "new" order was placed with the CA. */
enum panel_err	 store_order_add_authz(struct store *st, int64_t order_id,
		    const struct store_authz *a, size_t n, int64_t now);
/* One order with its authorizations and challenges, owner-checked. */
enum panel_err	 store_order_get(struct store *st, int64_t id,
		    int64_t owner, struct store_order **out);
/* A page of orders, newest first, as the pages show them: without
 * authorizations, key_enc, the CA's URLs, replaces or the lease. */
enum panel_err	 store_order_list(struct store *st,
		    const struct store_order_filter *f,
		    struct store_order_list **out);
/*
 * Sets status and error (JSON or NULL).  tries resets to 0 when the status
 * changes.  lease_token != 0 fences the write: PANEL_ERR_STALE when the
 * lease was taken by someone else since.
 */
enum panel_err	 store_order_set_status(struct store *st, int64_t id,
		    enum store_ord_status status, const char *error,
		    int64_t lease_token, int64_t now);
/* Sets whichever of the URLs / expiry are non-NULL / non-zero. */
enum panel_err	 store_order_set_urls(struct store *st, int64_t id,
		    const char *order_url, const char *finalize_url,
		    const char *cert_url, int64_t expires, int64_t now);
enum panel_err	 store_order_set_key(struct store *st, int64_t id,
		    const unsigned char *key_enc, size_t len, int64_t now);
/* A failed attempt: tries+1, next attempt at retry_at, error kept. */
enum panel_err	 store_order_retry(struct store *st, int64_t id,
		    int64_t retry_at, const char *error, int64_t lease_token,
		    int64_t now);
/*
 * Takes the lease of order id for `holder` until now+seconds when it is
 * free or expired; *token gets the new fencing token (monotonic per order).
 * PANEL_ERR_BUSY when someone else holds it.
 */
enum panel_err	 store_order_lease(struct store *st, int64_t id,
		    const char *holder, int64_t now, unsigned seconds,
		    int64_t *token);
/* Gives the lease back; PANEL_ERR_STALE if token is no longer current. */
enum panel_err	 store_order_release(struct store *st, int64_t id,
		    int64_t token);
/* Active orders with retry_at <= now and no live lease, oldest first;
 * auto_only skips orders left to the user's buttons. */
enum panel_err	 store_order_due(struct store *st, int64_t now,
		    int auto_only, unsigned limit,
		    struct store_order_list **out);
void		 store_order_free(struct store_order *o);
void		 store_order_list_free(struct store_order_list *l);

/* Authorization status / expiry / error (JSON or NULL) from the CA. */
enum panel_err	 store_authz_set_status(struct store *st, int64_t id,
		    enum acme_status status, int64_t expires,
		    const char *error, int64_t now);

/* A challenge by id, owner-checked through its order. */
enum panel_err	 store_challenge_get(struct store *st, int64_t id,
		    int64_t owner, struct store_challenge **out);
/*
 * The http-01 responder's lookup: the key authorization of the http-01
 * challenge with this token while it and its authorization are pending
 * (or the challenge is processing).  *keyauth is the caller's (free()).
 */
enum panel_err	 store_challenge_http01(struct store *st, const char *token,
		    char **keyauth);
enum panel_err	 store_challenge_set_status(struct store *st, int64_t id,
		    enum acme_status status, const char *error, int64_t now);
void		 store_challenge_free(struct store_challenge *c);

struct store_event {
	int64_t		 id;
	int64_t		 order_id;
	int64_t		 at;
	char		*what;
	char		*detail;
};

struct store_event_list {
	struct store_event	*v;
	size_t			 n;
};

/* Appends to an order's history (detail may be NULL). */
enum panel_err	 store_event_add(struct store *st, int64_t order_id,
		    const char *what, const char *detail, int64_t now);
/* The history of an order, oldest first. */
enum panel_err	 store_event_list(struct store *st, int64_t order_id,
		    struct store_event_list **out);
void		 store_event_list_free(struct store_event_list *l);

/* ------------------------------------------------------------------ */
/* Certificates, dashboard, billing, alerts, sweep runs (store_cert.c). */

struct store_cert {
	int64_t			 id;
	int64_t			 order_id;	/* 0 when the order is gone */
	int64_t			 owner;
	int64_t			 account_id;
	char			*serial;	/* lower-case hex */
	int64_t			 not_before;
	int64_t			 not_after;
	char		       **domains;
	size_t			 ndomains;
	char			*chain_pem;	/* NULL in lists */
	unsigned char		*key_enc;	/* "certificate:ID"; NULL in lists */
	size_t			 key_enc_len;
	char			*ari_id;
	int64_t			 renew_at;	/* 0: not planned */
	enum store_cert_status	 status;
	int64_t			 replaced_by;
	int			 revoked_reason; /* -1 when not revoked */
	int64_t			 revoked_at;
	int64_t			 created;
};

/* Where a page of the certificates list starts: after this one. */
struct store_cert_cursor {
	int64_t			 not_after;
	int64_t			 id;
};

struct store_cert_list {
	struct store_cert	*v;
	size_t			 n;
	int64_t			 total;
	struct store_cert_cursor next;	/* store_cert_list: id 0 at the end */
	struct strpool		*pool;	/* the rows' strings */
};

/* Inserts c (id, status, replaced_by, revoked_* ignored: a new
 * certificate is valid); *id gets the new id. */
enum panel_err	 store_cert_add(struct store *st, const struct store_cert *c,
		    int64_t now, int64_t *id);
/* One certificate with its chain and sealed key, owner-checked. */
enum panel_err	 store_cert_get(struct store *st, int64_t id, int64_t owner,
		    struct store_cert **out);
/* The newest certificate of an order, owner-checked. */
enum panel_err	 store_cert_by_order(struct store *st, int64_t order_id,
		    int64_t owner, struct store_cert **out);
/* Certificates of owner (0: all) soonest expiry first, a page of limit
 * (0: 50, at most 500) after the cursor after (NULL: from the first);
 * total counts them all, next is the next page's cursor.  brief: only
 * id, order_id, owner, serial, not_after, domains and status (what the
 * list page shows), the rest zero. */
enum panel_err	 store_cert_list(struct store *st, int64_t owner,
		    const struct store_cert_cursor *after, unsigned limit,
		    int brief, struct store_cert_list **out);
enum panel_err	 store_cert_set_key(struct store *st, int64_t id,
		    const unsigned char *key_enc, size_t len);
/* Marks revoked with an RFC 5280 reason; NOTFOUND if not valid. */
enum panel_err	 store_cert_set_revoked(struct store *st, int64_t id,
		    int reason, int64_t now);
/* Marks id replaced by newer (after a renewal). */
enum panel_err	 store_cert_set_replaced(struct store *st, int64_t id,
		    int64_t newer, int64_t now);
/* Plans the renewal (renew_at 0: unplanned). */
enum panel_err	 store_cert_set_renew_at(struct store *st, int64_t id,
		    int64_t renew_at, int64_t now);
/* Valid certificates of auto-renew orders with renew_at <= now and no
 * active renewal order yet, earliest first. */
enum panel_err	 store_cert_due(struct store *st, int64_t now,
		    unsigned limit, struct store_cert_list **out);
void		 store_cert_free(struct store_cert *c);
void		 store_cert_list_free(struct store_cert_list *l);

/* Dashboard numbers for owner (0: all). */
struct store_counts {
	int64_t	accounts;	/* valid accounts */
	int64_t	orders_active;	/* new/pending/ready/processing */
	int64_t	orders_failed;	/* invalid since `since` */
	int64_t	certs_valid;
	int64_t	certs_expiring;	/* valid, not_after before `soon` */
};

enum panel_err	 store_dashboard_counts(struct store *st, int64_t owner,
		    int64_t soon, int64_t since, struct store_counts *out);
/* The same, certs_valid and certs_expiring counting only those not
 * expired before from (the dashboard: from = now, so that dead
 * certificates are neither "valid" nor "expiring"). */
enum panel_err	 store_dashboard_counts_from(struct store *st,
		    int64_t owner, int64_t from, int64_t soon, int64_t since,
		    struct store_counts *out);
/* Valid certificates soonest to expire (no chain or key), expired ones
 * first (the sweep's alerts). */
enum panel_err	 store_dashboard_expiring(struct store *st, int64_t owner,
		    unsigned limit, struct store_cert_list **out);
/* The same from time `from` on: the dashboard's "expiring soonest";
 * brief: only id, order_id, serial, not_after and names (its HTML). */
enum panel_err	 store_dashboard_expiring_from(struct store *st,
		    int64_t owner, int64_t from, unsigned limit, int brief,
		    struct store_cert_list **out);
/* Orders most recently updated that failed or carry an error; their
 * error is the problem's readable text (detail, else type), not JSON.
 * brief: rows as store_order_filter.brief's, with the error. */
enum panel_err	 store_dashboard_failures(struct store *st, int64_t owner,
		    unsigned limit, int brief, struct store_order_list **out);
/* (Recent orders: store_order_list with a small limit.) */

struct store_billing {
	int64_t			 id;
	int64_t			 certificate_id;
	int64_t			 cycle;
	char			*idem_key;
	enum store_bill_state	 state;
	char			*detail;
	int64_t			 order_id;	/* 0: none yet */
	int64_t			 tries;
	int64_t			 created;
	int64_t			 updated;
};

/*
 * The billing intent of (certificate_id, cycle): created pending with
 * idem_key when absent, else the existing one (whose idem_key wins), so
 * retries reuse one idempotency key.
 */
enum panel_err	 store_billing_intent(struct store *st,
		    int64_t certificate_id, int64_t cycle,
		    const char *idem_key, int64_t now,
		    struct store_billing **out);
/* Records the hook's answer; order_id 0 keeps the old one; tries+1. */
enum panel_err	 store_billing_set_state(struct store *st, int64_t id,
		    enum store_bill_state state, const char *detail,
		    int64_t order_id, int64_t now);
void		 store_billing_free(struct store_billing *b);

struct store_alert {
	int64_t	 id;
	char	*kind;
	char	*object;
	char	*cond;
	char	*detail;
	int64_t	 sent_at;
};

struct store_alert_list {
	struct store_alert	*v;
	size_t			 n;
};

/* Claims the right to send alert (kind, object, cond) once: *claimed is 1
 * for the first caller, 0 when it was sent before. */
enum panel_err	 store_alert_claim(struct store *st, const char *kind,
		    const char *object, const char *cond, const char *detail,
		    int64_t now, int *claimed);
/* Gives a claim back (the notification failed; try again later). */
enum panel_err	 store_alert_unclaim(struct store *st, const char *kind,
		    const char *object, const char *cond);
enum panel_err	 store_alert_recent(struct store *st, unsigned limit,
		    struct store_alert_list **out);
void		 store_alert_list_free(struct store_alert_list *l);

struct store_sweep {
	int64_t	 id;
	int64_t	 started;
	int64_t	 finished;	/* 0 while running (or crashed) */
	int	 ok;		/* -1 unknown */
	char	*summary;
};

enum panel_err	 store_sweep_start(struct store *st, const char *host,
		    int64_t pid, int64_t now, int64_t *id);
enum panel_err	 store_sweep_finish(struct store *st, int64_t id, int ok,
		    const char *summary, int64_t now);
/* The newest run; NOTFOUND when none. */
enum panel_err	 store_sweep_last(struct store *st, struct store_sweep **out);
void		 store_sweep_free(struct store_sweep *s);

/* ------------------------------------------------------------------ */
/* The local guard in front of the CA's rate limits (store_guard.c).  */
/*
 * names (n of them) are the order's names as validated: n >= 1 and none
 * NULL or empty, else PANEL_ERR_ARG.  Sets of names are compared through
 * a canonical form (lower-cased, without duplicates, sorted), so the
 * order of names in a request or a row does not matter.
 */

/*
 * *count gets the number of certificates issued (created) at or after
 * since for exactly the same set of names, in any order, by the CA whose
 * directory URL is ca_url (through the certificate's account), counted
 * over every owner's: the CA counts per set of names, not per user.
 * Revoked and replaced certificates count too.
 */
enum panel_err	 store_cert_count_names(struct store *st,
		    char *const *names, size_t n, const char *ca_url,
		    int64_t since, int64_t *count);
/*
 * Among the certificates store_cert_count_names counts, the issue time of
 * the nth newest (0: the newest) in *created: with a limit of L a week,
 * the (L-1)th's time plus a week is when the next one should pass.
 * PANEL_ERR_NOTFOUND when there are not that many.
 */
enum panel_err	 store_cert_names_nth(struct store *st,
		    char *const *names, size_t n, const char *ca_url,
		    int64_t since, unsigned nth, int64_t *created);
/*
 * *count gets the number of authorizations of account_id's orders for
 * any of names (exact identifiers: "*.example.com" for a wildcard) that
 * are invalid (failed validation) and were last updated at or after
 * since.  An authorization of the CA stored under several orders counts
 * once.
 * Call it with one name for a per-name count.
 */
enum panel_err	 store_authz_failures(struct store *st, int64_t account_id,
		    char *const *names, size_t n, int64_t since,
		    int64_t *count);

#endif /* !PANEL_STORE_H */
