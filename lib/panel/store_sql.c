/*
 * Every SQL statement of the panel, in one table indexed by enum stmt
 * (panel_priv.h).  Statements are prepared lazily by st_prep() and kept
 * for the life of the connection.  Parameters are always bound, never
 * formatted in.  The schema itself is in sql/NNNN_*.sql.
 */
#include "panel_priv.h"

/* Column lists; the readers in store_*.c take them in this order. */
#define USER_COLS	"id, name, pw_hash, role, disabled, created"
/* USER_COLS of "users u" in a join, after the other table's columns. */
#define USER_JCOLS	"u.id, u.name, u.pw_hash, u.role, u.disabled, " \
			"u.created"
#define SESS_COLS	"id, user_id, csrf, created, expires, ip"
#define TOK_COLS	"id, user_id, name, hint, created, last_used, revoked"
#define ACC_COLS	"id, owner, ca_url, ca_preset, kid, contacts, " \
			"key_type, key_enc, status, tos_agreed, eab_kid, " \
			"error, created, updated"
#define ACC_LCOLS	"id, owner, ca_url, ca_preset, kid, contacts, " \
			"key_type, NULL, status, tos_agreed, eab_kid, " \
			"error, created, updated"
#define ORD_HEAD	"o.id, o.owner, o.account_id, o.order_url, " \
			"o.status, o.domains, o.key_type, " \
			"o.challenge_type, o.auto, o.auto_renew, o.error, " \
			"o.expires, o.finalize_url, o.cert_url, "
#define ORD_TAIL	", o.replaces, o.renews, o.retry_at, o.tries, " \
			"o.lease_owner, o.lease_token, o.lease_until, " \
			"o.created, o.updated, " ORD_CERT
/* The order's certificate: certificates_order is unique, so there is at
 * most one, and no aggregate is needed to pick it. */
#define ORD_CERT	"(SELECT c.id FROM certificates c " \
			"WHERE c.order_id = o.id)"
#define ORD_COLS	ORD_HEAD "o.key_enc" ORD_TAIL
#define ORD_LCOLS	ORD_HEAD "NULL" ORD_TAIL
/* The pages' lists (store_order_list): what the pages and the API show,
 * in ORD_COLS's places; the CA's URLs, replaces and the lease are NULL
 * (0), which spares SQLite their columns and the store their copies. */
#define ORD_PHEAD	"o.id, o.owner, o.account_id, NULL, o.status, " \
			"o.domains, o.key_type, o.challenge_type, o.auto, " \
			"o.auto_renew, o.error, o.expires, NULL, NULL, " \
			"NULL, NULL, o.renews, o.retry_at, o.tries, NULL, " \
			"0, 0, o.created, o.updated, "
#define ORD_PCOLS	ORD_PHEAD ORD_CERT
/* Briefer still, for the HTML lists: what they show, read by brief_row
 * (store_order.c) in this order. */
#define ORD_BCOLS	"o.id, o.status, o.domains, o.challenge_type, " \
			"o.auto, o.created, o.updated"
#define ORD_ACTIVE	"('new', 'pending', 'ready', 'processing')"
#define AUTHZ_COLS	"id, order_id, url, ident_type, identifier, " \
			"status, expires, wildcard, error"
#define CHAL_COLS	"c.id, c.authz_id, a.order_id, o.owner, c.url, " \
			"c.type, c.status, c.token, c.key_authorization, " \
			"c.dns_name, c.dns_value, c.error, c.updated"
#define CHAL_FROM	" FROM challenges c JOIN authorizations a ON " \
			"a.id = c.authz_id JOIN orders o ON o.id = a.order_id"
#define CERT_HEAD	"c.id, c.order_id, c.owner, c.account_id, " \
			"c.serial, c.not_before, c.not_after, c.domains, "
#define CERT_TAIL	", c.ari_id, c.renew_at, c.status, " \
			"c.replaced_by, c.revoked_reason, c.revoked_at, " \
			"c.created"
#define CERT_COLS	CERT_HEAD "c.chain_pem, c.key_enc" CERT_TAIL
/* What the dashboard's HTML list shows, read by cert_brief_row. */
#define CERT_BCOLS	"c.id, c.order_id, c.serial, c.not_after, c.domains"
/* What the certificates page shows, read by cert_list_row. */
#define CERT_LBCOLS	CERT_BCOLS ", c.owner, c.status"
#define CERT_LCOLS	CERT_HEAD "NULL, NULL" CERT_TAIL
/*
 * The canonical form of a JSON array of names p (a parameter or a
 * column): lower-cased, without duplicates, sorted, as a JSON array.
 * certificates.names_key holds it (sql/0004_guard.sql fills the older
 * rows with the same expression).  LIMIT -1 keeps the ORDER BY of the
 * subquery, which json_group_array follows.
 */
#define NAMES_KEY(p)	"(SELECT json_group_array(v) FROM (SELECT " \
			"DISTINCT lower(value) AS v FROM json_each(" p ") " \
			"ORDER BY v LIMIT -1))"
/* Certificates for exactly the names ?1 (JSON array) issued by the CA
 * ?2 (directory URL, through the account) since ?3, every owner's. */
#define GUARD_CERTS	" FROM certificates c JOIN accounts a ON " \
			"a.id = c.account_id WHERE c.names_key = " \
			NAMES_KEY("?1") " AND a.ca_url = ?2 " \
			"AND c.created >= ?3"
#define AUDIT_COLS	"id, at, actor, ip, action, object, result, " \
			"detail, prev_hash, hash"
/* The same for audit_query: the hashes only when ?10 is true. */
#define AUDIT_QCOLS	"id, at, actor, ip, action, object, result, " \
			"detail, CASE WHEN ?10 THEN prev_hash END, " \
			"CASE WHEN ?10 THEN hash END"
/* What the pages show of an entry: AUDIT_COLS without the hashes. */
#define AUDIT_PCOLS	"id, at, actor, ip, action, object, result, detail"
/*
 * How many of owner ?1's rows (0: everyone's) kept in a table of 0015
 * fall before t, whose day is d: the last day up to d gives the days
 * before it (below) and, when it is before d, its own n; when it is d,
 * d's rows before t are counted one by one (part, a subquery run only
 * then: not at all on the many days without any).
 */
#define BEFORE(table, d, part) "coalesce((SELECT below + CASE " \
			"WHEN day < " d " THEN n ELSE " part " END " \
			"FROM " table " WHERE owner = ?1 AND day <= " d " " \
			"ORDER BY day DESC LIMIT 1), 0)"
/*
 * Valid certificates (w: of owner ?1, or "") expiring before t, whose
 * day is d and whose day starts at lo; d's own are counted from
 * certificates_owner_valid_expiry or certificates_valid_expiry.
 */
#define CERTS_BEFORE(w, d, lo, t) BEFORE("cert_expiry_below", d, \
			"(SELECT count(*) FROM certificates WHERE " w \
			"status = 'valid' AND not_after >= " lo " AND " \
			"not_after < " t ")")
/* Failed (invalid) orders last updated before t, the same way
 * (orders_owner_failures or orders_status_updated). */
#define FAILS_BEFORE(w, d, lo, t) BEFORE("order_fail_below", d, \
			"(SELECT count(*) FROM orders WHERE " w \
			"status = 'invalid' AND updated >= " lo " AND " \
			"updated < " t ")")
/*
 * The dashboard's counts (store_dashboard_counts_from).  ?1 owner (0:
 * everyone); for each of from, soon and since: its day, the day's first
 * second and itself (?2-?4, ?5-?7, ?8-?10).  Columns: active accounts,
 * active orders, valid certificates (0015's dash_totals, whose row may
 * be missing: NULL, read as 0), those expiring before from, those before
 * soon, failed orders (dash_totals), those last updated before since.
 */
#define DASH_COUNTS(w)	"SELECT t.accounts_valid, t.orders_active, " \
			"t.certs_valid, " \
			CERTS_BEFORE(w, "?2", "?3", "?4") ", " \
			CERTS_BEFORE(w, "?5", "?6", "?7") ", " \
			"t.orders_failed, " \
			FAILS_BEFORE(w, "?8", "?9", "?10") " " \
			"FROM (SELECT 1) LEFT JOIN dash_totals t " \
			"ON t.owner = ?1"
/* ?1 before (id), ?2 actor, ?3 action, ?4 action prefix, ?5 object,
 * ?6 result, ?7 from, ?8 to (at), ?9 limit. */
#define AUDIT_FILTER	"id < ?1 AND (?2 IS NULL OR actor = ?2) " \
			"AND (?3 IS NULL OR action = ?3) " \
			"AND (?4 IS NULL OR " \
			"substr(action, 1, length(?4)) = ?4) " \
			"AND (?5 IS NULL OR object = ?5) " \
			"AND (?6 IS NULL OR result = ?6) " \
			"AND (?7 IS NULL OR at >= ?7) " \
			"AND (?8 IS NULL OR at < ?8) " \
			"ORDER BY id DESC LIMIT ?9"
#define BILL_COLS	"id, certificate_id, cycle, idem_key, state, " \
			"detail, order_id, tries, created, updated"

static const char *const sql[] = {
	[ST_PRAGMA_FK] = "PRAGMA foreign_keys = ON",
	[ST_PRAGMA_WAL] = "PRAGMA journal_mode = WAL",
	[ST_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
	[ST_SYNC_FULL] = "PRAGMA synchronous = FULL",
	/* store_small_cache(): 512 KiB instead of SQLite's 2000 KiB. */
	[ST_PRAGMA_CACHE_SMALL] = "PRAGMA cache_size = -512",
	[ST_USER_VERSION] = "PRAGMA user_version",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_BEGIN_READ] = "BEGIN DEFERRED",	/* a read snapshot (WAL) */
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT nest",
	[ST_RELEASE] = "RELEASE nest",
	[ST_ROLLBACK_TO] = "ROLLBACK TO nest",

	[ST_USER_ADD] = "INSERT INTO users (name, pw_hash, role, created, "
	    "updated) VALUES (?1, ?2, ?3, ?4, ?4)",
	[ST_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
	[ST_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
	[ST_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY name",
	[ST_USER_SET_PW] = "UPDATE users SET pw_hash = ?1, updated = ?2 "
	    "WHERE id = ?3",
	[ST_USER_SET_ROLE] = "UPDATE users SET role = ?1, updated = ?2 "
	    "WHERE id = ?3",
	[ST_USER_SET_DISABLED] = "UPDATE users SET disabled = ?1, "
	    "updated = ?2 WHERE id = ?3",
	[ST_USER_COUNT_ADMINS] = "SELECT count(*) FROM users "
	    "WHERE role = 'admin' AND disabled = 0",

	[ST_SESS_ADD] = "INSERT INTO sessions (id, user_id, csrf, created, "
	    "expires, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/* The owner's row comes along (NULLs when it is gone). */
	[ST_SESS_GET] = "SELECT s.id, s.user_id, s.csrf, s.created, "
	    "s.expires, s.ip, " USER_JCOLS " FROM sessions s "
	    "LEFT JOIN users u ON u.id = s.user_id "
	    "WHERE s.id = ?1 AND s.expires > ?2",
	[ST_SESS_ROTATE] = "UPDATE sessions SET id = ?1, csrf = ?2, "
	    "created = ?3, expires = ?4 WHERE id = ?5 AND expires > ?3",
	[ST_SESS_DEL] = "DELETE FROM sessions WHERE id = ?1",
	[ST_SESS_DEL_USER] = "DELETE FROM sessions WHERE user_id = ?1",
	[ST_SESS_PURGE] = "DELETE FROM sessions WHERE expires <= ?1",

	[ST_TOK_ADD] = "INSERT INTO api_tokens (user_id, name, token_hash, "
	    "hint, created) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_TOK_BY_HASH] = "SELECT t.id, t.user_id, t.name, t.hint, "
	    "t.created, t.last_used, t.revoked, " USER_JCOLS " FROM "
	    "api_tokens t LEFT JOIN users u ON u.id = t.user_id "
	    "WHERE t.token_hash = ?1 AND t.revoked IS NULL",
	[ST_TOK_REVOKE] = "UPDATE api_tokens SET revoked = ?1 WHERE id = ?2 "
	    "AND revoked IS NULL AND (?3 = 0 OR user_id = ?3)",
	[ST_TOK_TOUCH] = "UPDATE api_tokens SET last_used = ?1 WHERE id = ?2",
	[ST_TOK_LIST_USER] = "SELECT " TOK_COLS " FROM api_tokens "
	    "WHERE user_id = ?1 ORDER BY id DESC",
	[ST_TOK_LIST_ALL] = "SELECT " TOK_COLS " FROM api_tokens "
	    "ORDER BY id DESC",

	[ST_LOGIN_ADD] = "INSERT INTO login_attempts (at, ip, user, ok) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_LOGIN_FAIL_USER] = "SELECT count(*) FROM login_attempts "
	    "WHERE user = ?1 AND ok = 0 AND at >= ?2",
	[ST_LOGIN_FAIL_IP] = "SELECT count(*) FROM login_attempts "
	    "WHERE ip = ?1 AND ok = 0 AND at >= ?2",
	[ST_LOGIN_CLEAR] = "DELETE FROM login_attempts "
	    "WHERE user = ?1 AND ok = 0",
	[ST_LOGIN_PURGE] = "DELETE FROM login_attempts WHERE at < ?1",

	[ST_SET_GET] = "SELECT value FROM settings WHERE key = ?1",
	[ST_SET_PUT] = "INSERT INTO settings (key, value, updated) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET "
	    "value = excluded.value, updated = excluded.updated",

	[ST_ACC_ADD] = "INSERT INTO accounts (owner, ca_url, ca_preset, kid, "
	    "contacts, key_type, key_enc, status, tos_agreed, eab_kid, "
	    "error, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9, ?10, ?11, ?12, ?12)",
	[ST_ACC_GET] = "SELECT " ACC_COLS " FROM accounts "
	    "WHERE id = ?1 AND (?2 = 0 OR owner = ?2)",
	[ST_ACC_LIST_ALL] = "SELECT " ACC_LCOLS " FROM accounts "
	    "ORDER BY id DESC",
	[ST_ACC_LIST_OWNER] = "SELECT " ACC_LCOLS " FROM accounts "
	    "WHERE owner = ?1 ORDER BY id DESC",
	/* A page: ?2 keyset cursor (ids below it), ?3 rows (one more than
	 * shown, to know whether there is a next page). */
	[ST_ACC_PAGE_ALL] = "SELECT " ACC_LCOLS " FROM accounts "
	    "WHERE id < ?2 ORDER BY id DESC LIMIT ?3",
	[ST_ACC_PAGE_OWNER] = "SELECT " ACC_LCOLS " FROM accounts "
	    "WHERE owner = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
	[ST_ACC_SET_CONTACTS] = "UPDATE accounts SET contacts = ?1, "
	    "updated = ?2 WHERE id = ?3",
	[ST_ACC_SET_STATUS] = "UPDATE accounts SET status = ?1, error = ?2, "
	    "updated = ?3 WHERE id = ?4",
	[ST_ACC_SET_KEY] = "UPDATE accounts SET key_type = ?1, key_enc = ?2, "
	    "updated = ?3 WHERE id = ?4",
	[ST_ACC_SET_KID] = "UPDATE accounts SET kid = ?1, status = ?2, "
	    "updated = ?3 WHERE id = ?4",

	[ST_ORD_ADD] = "INSERT INTO orders (owner, account_id, order_url, "
	    "status, domains, key_type, challenge_type, auto, auto_renew, "
	    "error, expires, finalize_url, cert_url, replaces, renews, "
	    "retry_at, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)",
	[ST_ORD_GET] = "SELECT " ORD_COLS " FROM orders o "
	    "WHERE o.id = ?1 AND (?2 = 0 OR o.owner = ?2)",
	/* Lists share parameters: ?1 owner, ?2 status, ?3 before, ?4 limit. */
	/* Everyone's: the certificates (0 here) are read for the page's
	 * range of ids at once afterwards (ST_ORD_CERTS). */
	[ST_ORD_LIST_ALL] = "SELECT " ORD_PHEAD "0 FROM orders o "
	    "WHERE o.id < ?3 ORDER BY o.id DESC LIMIT ?4",
	[ST_ORD_LIST_OWNER] = "SELECT " ORD_PCOLS " FROM orders o "
	    "WHERE o.owner = ?1 AND o.id < ?3 ORDER BY o.id DESC LIMIT ?4",
	[ST_ORD_LIST_STATUS] = "SELECT " ORD_PCOLS " FROM orders o "
	    "WHERE o.status = ?2 AND o.id < ?3 ORDER BY o.id DESC LIMIT ?4",
	[ST_ORD_LIST_OWNER_STATUS] = "SELECT " ORD_PCOLS " FROM orders o "
	    "WHERE o.owner = ?1 AND o.status = ?2 AND o.id < ?3 "
	    "ORDER BY o.id DESC LIMIT ?4",
	[ST_ORD_BRIEF_ALL] = "SELECT " ORD_BCOLS " FROM orders o "
	    "WHERE o.id < ?3 ORDER BY o.id DESC LIMIT ?4",
	[ST_ORD_BRIEF_OWNER] = "SELECT " ORD_BCOLS " FROM orders o "
	    "WHERE o.owner = ?1 AND o.id < ?3 ORDER BY o.id DESC LIMIT ?4",
	[ST_ORD_BRIEF_STATUS] = "SELECT " ORD_BCOLS " FROM orders o "
	    "WHERE o.status = ?2 AND o.id < ?3 ORDER BY o.id DESC LIMIT ?4",
	/* The owner's orders of one status exactly, not a walk through
	 * all the owner's orders in orders_owner_brief (0014), which
	 * holds the brief columns too: a rare status is a few rows. */
	[ST_ORD_BRIEF_OWNER_STATUS] = "SELECT " ORD_BCOLS " FROM orders o "
	    "INDEXED BY orders_owner_status "
	    "WHERE o.owner = ?1 AND o.status = ?2 AND o.id < ?3 "
	    "ORDER BY o.id DESC LIMIT ?4",
	/* The certificates of the orders ?1 to ?2 (certificates_order:
	 * one an order at most), newest order first. */
	[ST_ORD_CERTS] = "SELECT c.order_id, c.id FROM certificates c "
	    "WHERE c.order_id BETWEEN ?1 AND ?2 ORDER BY c.order_id DESC",
	/* Counts: the same ?1 owner, ?2 status where used; kept by the
	 * triggers of 0009 (owner 0: everyone's). */
	[ST_ORD_COUNT_ALL] = "SELECT coalesce(sum(n), 0) FROM order_counts "
	    "WHERE owner = 0",
	[ST_ORD_COUNT_OWNER] = "SELECT coalesce(sum(n), 0) FROM order_counts "
	    "WHERE owner = ?1",
	[ST_ORD_COUNT_STATUS] = "SELECT coalesce(sum(n), 0) FROM order_counts "
	    "WHERE owner = 0 AND status = ?2",
	[ST_ORD_COUNT_OWNER_STATUS] = "SELECT coalesce(sum(n), 0) "
	    "FROM order_counts WHERE owner = ?1 AND status = ?2",
	[ST_ORD_SET_STATUS] = "UPDATE orders SET tries = CASE WHEN "
	    "status = ?1 THEN tries ELSE 0 END, status = ?1, error = ?2, "
	    "updated = ?3 WHERE id = ?4 AND (?5 = 0 OR lease_token = ?5)",
	[ST_ORD_SET_URLS] = "UPDATE orders SET "
	    "order_url = coalesce(?1, order_url), "
	    "finalize_url = coalesce(?2, finalize_url), "
	    "cert_url = coalesce(?3, cert_url), "
	    "expires = coalesce(?4, expires), updated = ?5 WHERE id = ?6",
	[ST_ORD_SET_KEY] = "UPDATE orders SET key_enc = ?1, updated = ?2 "
	    "WHERE id = ?3",
	[ST_ORD_RETRY] = "UPDATE orders SET tries = tries + 1, retry_at = ?1, "
	    "error = ?2, updated = ?3 WHERE id = ?4 "
	    "AND (?5 = 0 OR lease_token = ?5)",
	[ST_ORD_LEASE] = "UPDATE orders SET lease_owner = ?1, "
	    "lease_token = lease_token + 1, lease_until = ?2 WHERE id = ?3 "
	    "AND (lease_owner IS NULL OR lease_until <= ?4) "
	    "RETURNING lease_token",
	[ST_ORD_RELEASE] = "UPDATE orders SET lease_owner = NULL, "
	    "lease_until = 0 WHERE id = ?1 AND lease_token = ?2",
	[ST_ORD_DUE] = "SELECT " ORD_LCOLS " FROM orders o WHERE o.status IN "
	    ORD_ACTIVE " AND o.retry_at <= ?1 AND (o.lease_owner IS NULL OR "
	    "o.lease_until <= ?1) AND (?2 = 0 OR o.auto = 1) "
	    "ORDER BY o.retry_at, o.id LIMIT ?3",
	/* One owner (orders_owner) and everyone's (orders_updated): an
	 * "?1 = 0 OR" would keep SQLite from using the owner's index. */
	/* The partial indexes of 0008 (the same WHERE), which 0015 widens
	 * to hold every column but the certificate (ORD_CERT). */
	[ST_ORD_FAILURES] = "SELECT " ORD_PCOLS " FROM orders o "
	    "WHERE o.owner = ?1 AND (o.status = 'invalid' OR "
	    "o.error IS NOT NULL) ORDER BY o.updated DESC, o.id DESC "
	    "LIMIT ?2",
	[ST_ORD_FAILURES_ALL] = "SELECT " ORD_PCOLS " FROM orders o "
	    "WHERE (o.status = 'invalid' OR o.error IS NOT NULL) "
	    "ORDER BY o.updated DESC, o.id DESC LIMIT ?2",
	/* The same, brief (ORD_BCOLS and the error), for the HTML page. */
	[ST_ORD_FAILURES_BRIEF] = "SELECT " ORD_BCOLS ", o.error FROM orders o "
	    "WHERE o.owner = ?1 AND (o.status = 'invalid' OR "
	    "o.error IS NOT NULL) ORDER BY o.updated DESC, o.id DESC "
	    "LIMIT ?2",
	[ST_ORD_FAILURES_ALL_BRIEF] = "SELECT " ORD_BCOLS ", o.error "
	    "FROM orders o WHERE (o.status = 'invalid' OR o.error IS NOT "
	    "NULL) ORDER BY o.updated DESC, o.id DESC LIMIT ?2",

	[ST_AUTHZ_ADD] = "INSERT INTO authorizations (order_id, url, "
	    "ident_type, identifier, status, expires, wildcard, error, "
	    "updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_AUTHZ_LIST] = "SELECT " AUTHZ_COLS " FROM authorizations "
	    "WHERE order_id = ?1 ORDER BY id",
	[ST_AUTHZ_SET_STATUS] = "UPDATE authorizations SET status = ?1, "
	    "expires = coalesce(?2, expires), error = ?3, updated = ?4 "
	    "WHERE id = ?5",
	[ST_CHAL_ADD] = "INSERT INTO challenges (authz_id, url, type, status, "
	    "token, key_authorization, dns_name, dns_value, error, updated) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_CHAL_LIST_ORDER] = "SELECT " CHAL_COLS CHAL_FROM
	    " WHERE a.order_id = ?1 ORDER BY c.id",
	[ST_CHAL_GET] = "SELECT " CHAL_COLS CHAL_FROM
	    " WHERE c.id = ?1 AND (?2 = 0 OR o.owner = ?2)",
	[ST_CHAL_HTTP01] = "SELECT c.key_authorization FROM challenges c "
	    "JOIN authorizations a ON a.id = c.authz_id WHERE c.token = ?1 "
	    "AND c.type = 'http-01' AND c.status IN ('pending', "
	    "'processing') AND a.status = 'pending' "
	    "AND c.key_authorization IS NOT NULL ORDER BY c.id DESC LIMIT 1",
	[ST_CHAL_SET_STATUS] = "UPDATE challenges SET status = ?1, "
	    "error = ?2, updated = ?3 WHERE id = ?4",

	[ST_EVT_ADD] = "INSERT INTO order_events (order_id, at, what, detail) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_EVT_LIST] = "SELECT id, order_id, at, what, detail "
	    "FROM order_events WHERE order_id = ?1 ORDER BY id",

	[ST_CERT_ADD] = "INSERT INTO certificates (order_id, owner, "
	    "account_id, serial, not_before, not_after, domains, chain_pem, "
	    "key_enc, ari_id, renew_at, created, updated, names_key) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, "
	    NAMES_KEY("?7") ")",
	[ST_CERT_GET] = "SELECT " CERT_COLS " FROM certificates c "
	    "WHERE c.id = ?1 AND (?2 = 0 OR c.owner = ?2)",
	[ST_CERT_BY_ORDER] = "SELECT " CERT_COLS " FROM certificates c "
	    "WHERE c.order_id = ?1 AND (?2 = 0 OR c.owner = ?2) "
	    "ORDER BY c.id DESC LIMIT 1",
	/* ?1 owner, ?2 limit, ?3 offset */
	/* Keyset pages: after (?3 not_after, ?4 id); certificates_not_after
	 * and certificates_owner. */
	[ST_CERT_LIST_ALL] = "SELECT " CERT_LCOLS " FROM certificates c "
	    "WHERE ?1 = 0 AND (c.not_after, c.id) > (?3, ?4) "
	    "ORDER BY c.not_after, c.id LIMIT ?2",
	[ST_CERT_LIST_OWNER] = "SELECT " CERT_LCOLS " FROM certificates c "
	    "WHERE c.owner = ?1 AND (c.not_after, c.id) > (?3, ?4) "
	    "ORDER BY c.not_after, c.id LIMIT ?2",
	/* The same for the HTML page: cert_list_row's columns. */
	[ST_CERT_LIST_ALL_BRIEF] = "SELECT " CERT_LBCOLS " FROM "
	    "certificates c WHERE ?1 = 0 AND (c.not_after, c.id) > (?3, ?4) "
	    "ORDER BY c.not_after, c.id LIMIT ?2",
	[ST_CERT_LIST_OWNER_BRIEF] = "SELECT " CERT_LBCOLS " FROM "
	    "certificates c WHERE c.owner = ?1 AND (c.not_after, c.id) > "
	    "(?3, ?4) ORDER BY c.not_after, c.id LIMIT ?2",
	/* Kept by the triggers of 0011 (owner 0: everyone's). */
	[ST_CERT_COUNT] = "SELECT coalesce(max(n), 0) FROM cert_counts "
	    "WHERE owner = ?1",
	[ST_CERT_SET_KEY] = "UPDATE certificates SET key_enc = ?1 "
	    "WHERE id = ?2",
	[ST_CERT_REVOKE] = "UPDATE certificates SET status = 'revoked', "
	    "revoked_reason = ?1, revoked_at = ?2, updated = ?2 "
	    "WHERE id = ?3 AND status <> 'revoked'",
	[ST_CERT_REPLACE] = "UPDATE certificates SET status = 'replaced', "
	    "replaced_by = ?1, updated = ?2 WHERE id = ?3 AND status = 'valid'",
	[ST_CERT_SET_RENEW] = "UPDATE certificates SET renew_at = ?1, "
	    "updated = ?2 WHERE id = ?3",
	[ST_CERT_DUE] = "SELECT " CERT_LCOLS " FROM certificates c "
	    "JOIN orders o ON o.id = c.order_id WHERE c.status = 'valid' "
	    "AND c.renew_at IS NOT NULL AND c.renew_at <= ?1 "
	    "AND o.auto_renew = 1 AND NOT EXISTS (SELECT 1 FROM orders r "
	    "WHERE r.renews = c.id AND r.status IN " ORD_ACTIVE ") "
	    "ORDER BY c.renew_at, c.id LIMIT ?2",
	/* certificates_owner_status and certificates_status_expiry (0006);
	 * the brief ones certificates_owner_valid_expiry and
	 * certificates_valid_expiry (0015), which hold their columns. */
	/* ?3: not expired before then. */
	[ST_CERT_EXPIRING] = "SELECT " CERT_LCOLS " FROM certificates c "
	    "WHERE c.owner = ?1 AND c.status = 'valid' AND c.not_after >= ?3 "
	    "ORDER BY c.not_after, c.id LIMIT ?2",
	[ST_CERT_EXPIRING_ALL] = "SELECT " CERT_LCOLS " FROM certificates c "
	    "WHERE c.status = 'valid' AND c.not_after >= ?3 "
	    "ORDER BY c.not_after, c.id LIMIT ?2",
	/* The same for the HTML page: cert_brief_row's columns. */
	[ST_CERT_EXPIRING_BRIEF] = "SELECT " CERT_BCOLS " FROM certificates c "
	    "WHERE c.owner = ?1 AND c.status = 'valid' AND c.not_after >= ?3 "
	    "ORDER BY c.not_after, c.id LIMIT ?2",
	[ST_CERT_EXPIRING_ALL_BRIEF] = "SELECT " CERT_BCOLS " FROM "
	    "certificates c WHERE c.status = 'valid' AND c.not_after >= ?3 "
	    "ORDER BY c.not_after, c.id LIMIT ?2",

	/* One owner's and everyone's (_ALL): an "?1 = 0 OR" would keep
	 * SQLite from the owner's indexes. */
	[ST_DASH_COUNTS] = DASH_COUNTS("owner = ?1 AND "),
	[ST_DASH_COUNTS_ALL] = DASH_COUNTS(""),

	/* ?1 names (JSON array), ?2 CA directory URL, ?3 since; ?4: rows
	 * to skip, newest first. */
	[ST_GUARD_CERT_COUNT] = "SELECT count(*)" GUARD_CERTS,
	[ST_GUARD_CERT_NTH] = "SELECT c.created" GUARD_CERTS
	    " ORDER BY c.created DESC, c.id DESC LIMIT 1 OFFSET ?4",
	/* ?1 account, ?2 names (JSON array), ?3 since.  One authorization
	 * of the CA may be stored under several orders: counted once. */
	[ST_GUARD_AUTHZ_FAILS] = "SELECT count(DISTINCT a.url) "
	    "FROM authorizations a JOIN orders o ON o.id = a.order_id "
	    "WHERE a.status = 'invalid' AND a.updated >= ?3 "
	    "AND a.identifier IN (SELECT value FROM json_each(?2)) "
	    "AND o.account_id = ?1",

	[ST_BILL_ADD] = "INSERT INTO billing_intents (certificate_id, cycle, "
	    "idem_key, state, created, updated) VALUES (?1, ?2, ?3, "
	    "'pending', ?4, ?4) ON CONFLICT (certificate_id, cycle) "
	    "DO NOTHING",
	[ST_BILL_GET] = "SELECT " BILL_COLS " FROM billing_intents "
	    "WHERE certificate_id = ?1 AND cycle = ?2",
	[ST_BILL_SET] = "UPDATE billing_intents SET state = ?1, detail = ?2, "
	    "order_id = coalesce(?3, order_id), tries = tries + 1, "
	    "updated = ?4 WHERE id = ?5",

	[ST_ALERT_CLAIM] = "INSERT INTO alerts (kind, object, cond, detail, "
	    "sent_at) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (kind, object, cond) DO NOTHING",
	[ST_ALERT_UNCLAIM] = "DELETE FROM alerts WHERE kind = ?1 "
	    "AND object = ?2 AND cond = ?3",
	[ST_ALERT_RECENT] = "SELECT id, kind, object, cond, detail, sent_at "
	    "FROM alerts ORDER BY sent_at DESC, id DESC LIMIT ?1",

	[ST_SWEEP_START] = "INSERT INTO sweep_runs (started, host, pid) "
	    "VALUES (?1, ?2, ?3)",
	[ST_SWEEP_FINISH] = "UPDATE sweep_runs SET finished = ?1, ok = ?2, "
	    "summary = ?3 WHERE id = ?4",
	[ST_SWEEP_LAST] = "SELECT id, started, finished, ok, summary "
	    "FROM sweep_runs ORDER BY id DESC LIMIT 1",

	[ST_AUDIT_LAST] = "SELECT id, hash FROM audit_log "
	    "ORDER BY id DESC LIMIT 1",
	[ST_AUDIT_ADD] = "INSERT INTO audit_log (id, at, actor, ip, action, "
	    "object, result, detail, prev_hash, hash) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_AUDIT_WALK] = "SELECT " AUDIT_COLS " FROM audit_log "
	    "WHERE id > ?1 ORDER BY id LIMIT ?2",
	/*
	 * One filter text, four ways in: with no actor, object or exact
	 * action the newest rows by id; otherwise the index of the first
	 * of those given (audit_actor, audit_object, audit_action: each is
	 * (column, id), so the rows come newest first without a sort).
	 * "?2 IS NULL OR" alone would keep SQLite from every index.
	 */
	[ST_AUDIT_QUERY] = "SELECT " AUDIT_QCOLS " FROM audit_log "
	    "WHERE " AUDIT_FILTER,
	[ST_AUDIT_QUERY_ACTOR] = "SELECT " AUDIT_QCOLS " FROM audit_log "
	    "WHERE actor = ?2 AND " AUDIT_FILTER,
	[ST_AUDIT_QUERY_OBJECT] = "SELECT " AUDIT_QCOLS " FROM audit_log "
	    "WHERE object = ?5 AND " AUDIT_FILTER,
	[ST_AUDIT_QUERY_ACTION] = "SELECT " AUDIT_QCOLS " FROM audit_log "
	    "WHERE action = ?3 AND " AUDIT_FILTER,
	/*
	 * The pages with no filter but the actor (a user's own entries)
	 * and without the hashes: no filter terms tested on each row, no
	 * hash columns.  ?1 before (id), ?2 limit, ?3 actor.
	 */
	[ST_AUDIT_PAGE] = "SELECT " AUDIT_PCOLS " FROM audit_log "
	    "WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
	[ST_AUDIT_PAGE_ACTOR] = "SELECT " AUDIT_PCOLS " FROM audit_log "
	    "WHERE actor = ?3 AND id < ?1 ORDER BY id DESC LIMIT ?2",
};

_Static_assert(sizeof(sql) / sizeof(sql[0]) == ST__MAX,
    "one SQL text per statement id");

const char *
store_sql(enum stmt id)
{
	if ((int)id < 0 || id >= ST__MAX)
		return NULL;
	return sql[id];
}
