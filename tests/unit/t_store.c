/*
 * store: migrations, CRUD round trips, owner filtering, pagination,
 * leases, transactions across two connections.
 */
#include <sys/stat.h>

#include <glob.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "panel.h"
#include "panel_priv.h"	/* store_sql(): the guard's query plans */
#include "tap.h"

static char	 dir[] = "/tmp/t_store.XXXXXX";
static char	 dns_name[] = "_acme-challenge.example.com";
static char	 dns_value[] = "dnsvalue";
static char	 dbpath[256];

static const char *const tables[] = {
	"users", "sessions", "api_tokens", "login_attempts", "settings",
	"audit_log", "accounts", "orders", "authorizations", "challenges",
	"certificates", "order_events", "billing_intents", "alerts",
	"sweep_runs", "dash_totals", "order_counts", "cert_counts",
	"cert_expiry_below", "order_fail_below",
};

/* A raw connection for looking behind the store's back. */
static sqlite3 *
raw_open(const char *path)
{
	sqlite3	*db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		tap_bail("sqlite3_open %s", path);
	return db;
}

static long long
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*s = NULL;
	long long	 v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * A count the triggers keep, checked against the rows: table's (owner,
 * col, n) rows with n > 0 against count(*) of from's rows where `where`
 * grouped by owner and expr, and for owner 0 by expr alone; both ways,
 * each an assertion (found: every true count is kept; only: nothing
 * else is).
 */
static void
kept_check(sqlite3 *db, const char *table, const char *col,
    const char *from, const char *where, const char *expr,
    const char *found, const char *only)
{
	char	 kept[256], truth[512], sql[1024];

	snprintf(kept, sizeof(kept), "SELECT owner, %s, n FROM %s "
	    "WHERE n > 0", col, table);
	snprintf(truth, sizeof(truth), "SELECT owner, %s, count(*) FROM %s "
	    "WHERE %s GROUP BY 1, 2 UNION ALL SELECT 0, %s, count(*) "
	    "FROM %s WHERE %s GROUP BY 2", expr, from, where, expr, from,
	    where);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s EXCEPT %s)",
	    truth, kept);
	is_int(raw_int(db, sql), 0, found);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s EXCEPT "
	    "SELECT * FROM (%s))", kept, truth);
	is_int(raw_int(db, sql), 0, only);
}

/*
 * The "below" of each row of a table of 0015 is the number of rows of
 * from (where holds) of its owner (0: any) whose day (expr) is earlier.
 */
static void
below_check(sqlite3 *db, const char *table, const char *from,
    const char *where, const char *expr, const char *msg)
{
	char	 sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s k WHERE below "
	    "<> (SELECT count(*) FROM %s r WHERE %s AND (k.owner = 0 OR "
	    "r.owner = k.owner) AND %s < k.day)", table, from, where, expr);
	is_int(raw_int(db, sql), 0, msg);
}

/*
 * Each row of dash_totals (0015) holds its owner's (0: everyone's)
 * numbers, and every owner with one of them has a row.
 */
static void
totals_check(sqlite3 *db, const char *msg, const char *msg2)
{
#define MINE	"(t.owner = 0 OR owner = t.owner)"
	static const char	 sql[] = "SELECT count(*) FROM dash_totals t "
	    "WHERE accounts_valid <> (SELECT count(*) FROM accounts WHERE "
	    "status = 'valid' AND " MINE ") OR orders_active <> (SELECT "
	    "count(*) FROM orders WHERE status IN ('new', 'pending', "
	    "'ready', 'processing') AND " MINE ") OR orders_failed <> "
	    "(SELECT count(*) FROM orders WHERE status = 'invalid' AND "
	    MINE ") OR certs_valid <> (SELECT count(*) FROM certificates "
	    "WHERE status = 'valid' AND " MINE ")";
#undef MINE
	static const char	 missing[] = "SELECT count(*) FROM (SELECT 0 "
	    "AS owner UNION SELECT owner FROM accounts WHERE status = "
	    "'valid' UNION SELECT owner FROM orders WHERE status IN ('new', "
	    "'pending', 'ready', 'processing', 'invalid') UNION SELECT "
	    "owner FROM certificates WHERE status = 'valid') WHERE owner "
	    "NOT IN (SELECT owner FROM dash_totals)";

	is_int(raw_int(db, sql), 0, msg);
	is_int(raw_int(db, missing), 0, msg2);
}

static void
test_migrations(void)
{
	struct store	*st = NULL;
	struct stat	 sb;
	sqlite3		*db;
	char		 sql[128], path[300], *text = NULL, msg[256];
	glob_t		 g;
	int		 v = -1, n;
	size_t		 i;

	ok(store_open(dbpath, &st) == PANEL_OK, "open creates the database");
	ok(store_schema_version(st, &v) == PANEL_OK && v == 15 &&
	    store_schema_latest() == 15, "user_version is 15 after "
	    "migrations");
	ok(stat(dbpath, &sb) == 0 && (sb.st_mode & 077) == 0,
	    "database file is 0600");
	for (n = 1; n <= store_schema_latest(); n++) {
		snprintf(path, sizeof(path), "sql/%04d_*.sql", n);
		if (glob(path, 0, NULL, &g) != 0 || g.gl_pathc != 1 ||
		    panel_read_file(g.gl_pathv[0], 1 << 20, &text, NULL) !=
		    PANEL_OK) {
			ok(0, "exactly one %s, readable (run from the top "
			    "directory)", path);
			globfree(&g);
			continue;
		}
		is_str(store_migration_sql(n), text, g.gl_pathv[0]);
		free(text);
		globfree(&g);
	}
	ok(glob("sql/[0-9][0-9][0-9][0-9]_*.sql", 0, NULL, &g) == 0 &&
	    g.gl_pathc == (size_t)store_schema_latest(),
	    "every sql/ migration is built in (rebuild store.o after adding "
	    "one)");
	globfree(&g);
	ok(store_migration_sql(0) == NULL && store_migration_sql(
	    store_schema_latest() + 1) == NULL,
	    "no migration outside 1..latest");
	store_close(st);
	st = NULL;
	ok(store_open(dbpath, &st) == PANEL_OK, "reopen");
	ok(store_schema_version(st, &v) == PANEL_OK && v == 15,
	    "reopening is idempotent");
	ok(store_durable(st, 1) == PANEL_OK && store_durable(st, 0) ==
	    PANEL_OK, "synchronous FULL and back");
	store_close(st);

	db = raw_open(dbpath);
	is_int(raw_int(db, "PRAGMA user_version"), 15, "raw user_version");
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM "
		    "sqlite_schema WHERE type = 'table' AND name = '%s'",
		    tables[i]);
		if (raw_int(db, sql) != 1)
			break;
	}
	ok(i == sizeof(tables) / sizeof(tables[0]), "all %zu tables exist",
	    sizeof(tables) / sizeof(tables[0]));
	ok(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE "
	    "type = 'index' AND name IN ('orders_owner_status', "
	    "'audit_actor', 'certificates_not_after', "
	    "'challenges_token')") == 4, "listing indexes exist");
	ok(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE "
	    "type = 'index' AND name IN ('certificates_names', "
	    "'authorizations_failed')") == 2, "guard indexes exist");
	sqlite3_close(db);

	/* A database from the future is refused. */
	snprintf(path, sizeof(path), "%s/future.db", dir);
	db = raw_open(path);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	st = NULL;
	ok(store_open_msg(path, &st, msg, sizeof(msg)) == PANEL_ERR_SCHEMA &&
	    st == NULL && strstr(msg, "newer") != NULL,
	    "newer schema refused: %s", msg);
	unlink(path);
}

static void
test_users(struct store *st, int64_t *alice, int64_t *bob, int64_t *root)
{
	struct store_user	*u = NULL;
	struct store_user_list	*l = NULL;
	int64_t			 n = -1;

	ok(store_user_add(st, "alice", "$s1$x", PANEL_ROLE_USER, alice) ==
	    PANEL_OK && *alice > 0, "add alice");
	ok(store_user_add(st, "bob", NULL, PANEL_ROLE_USER, bob) == PANEL_OK,
	    "add bob without password");
	ok(store_user_add(st, "root", NULL, PANEL_ROLE_ADMIN, root) ==
	    PANEL_OK, "add root");
	ok(store_user_add(st, "alice", NULL, PANEL_ROLE_USER, NULL) ==
	    PANEL_ERR_EXISTS, "duplicate name: EXISTS");
	ok(store_user_by_name(st, "alice", &u) == PANEL_OK &&
	    u->id == *alice && strcmp(u->pw_hash, "$s1$x") == 0 &&
	    u->role == PANEL_ROLE_USER && !u->disabled, "get by name");
	store_user_free(u);
	ok(store_user_get(st, *bob, &u) == PANEL_OK && u->pw_hash == NULL &&
	    strcmp(u->name, "bob") == 0, "get by id, NULL hash");
	store_user_free(u);
	ok(store_user_get(st, 9999, &u) == PANEL_ERR_NOTFOUND && u == NULL,
	    "unknown id: NOTFOUND");
	ok(store_user_set_password(st, *bob, "$s1$y") == PANEL_OK &&
	    store_user_set_role(st, *bob, PANEL_ROLE_ADMIN) == PANEL_OK &&
	    store_user_set_disabled(st, *bob, 1) == PANEL_OK,
	    "set password, role, disabled");
	ok(store_user_get(st, *bob, &u) == PANEL_OK && u->disabled &&
	    u->role == PANEL_ROLE_ADMIN && strcmp(u->pw_hash, "$s1$y") == 0,
	    "changes read back");
	store_user_free(u);
	ok(store_user_set_role(st, 9999, PANEL_ROLE_USER) ==
	    PANEL_ERR_NOTFOUND, "update of unknown user: NOTFOUND");
	ok(store_user_count_admins(st, &n) == PANEL_OK && n == 1,
	    "one enabled admin (bob is disabled)");
	store_user_set_role(st, *bob, PANEL_ROLE_USER);
	store_user_set_disabled(st, *bob, 0);
	ok(store_user_list(st, &l) == PANEL_OK && l->n == 3 &&
	    strcmp(l->v[0].name, "alice") == 0 &&
	    strcmp(l->v[2].name, "root") == 0, "list sorted by name");
	store_user_list_free(l);
}

static void
test_sessions_tokens(struct store *st, int64_t alice, int64_t bob)
{
	struct store_session	 s, *g = NULL;
	struct store_token	*t = NULL;
	struct store_token_list	*tl = NULL;
	struct store_user	*u = NULL;
	char			 h1[65], h2[65], *v = NULL;
	int64_t			 id = 0, n = 0, by_ip = 0, by_user = 0;

	panel_sha256_hex("one", 3, h1);
	panel_sha256_hex("two", 3, h2);
	memset(&s, 0, sizeof(s));
	s.id_hash = h1;
	s.user_id = alice;
	s.csrf = (char[]){ "csrf-one" };
	s.created = 1000;
	s.expires = 2000;
	s.ip = (char[]){ "192.0.2.1" };
	ok(store_session_add(st, &s) == PANEL_OK, "session add");
	ok(store_session_get(st, h1, 1500, &g, &u) == PANEL_OK &&
	    g->user_id == alice && strcmp(g->csrf, "csrf-one") == 0 &&
	    strcmp(g->ip, "192.0.2.1") == 0, "session get while live");
	ok(u != NULL && u->id == alice && strcmp(u->name, "alice") == 0 &&
	    u->role == PANEL_ROLE_USER && !u->disabled,
	    "the session's user comes with it");
	store_session_free(g);
	store_user_free(u);
	ok(store_session_get(st, h1, 2000, &g, &u) == PANEL_ERR_NOTFOUND &&
	    g == NULL && u == NULL, "expired session: NOTFOUND");
	ok(store_session_rotate(st, h1, h2, "csrf-two", 1500, 3000) ==
	    PANEL_OK, "rotate");
	ok(store_session_get(st, h1, 1500, &g, NULL) == PANEL_ERR_NOTFOUND,
	    "old id gone after rotation");
	ok(store_session_get(st, h2, 2500, &g, NULL) == PANEL_OK &&
	    strcmp(g->csrf, "csrf-two") == 0, "new id and csrf");
	store_session_free(g);
	ok(store_session_purge(st, 5000, &n) == PANEL_OK && n == 1,
	    "purge removes the expired session");
	ok(store_session_delete(st, h2) == PANEL_OK, "delete of absent: OK");

	ok(store_token_add(st, alice, "ci", h1, "acme_abcd", 100, &id) ==
	    PANEL_OK && id > 0, "token add");
	ok(store_token_add(st, bob, "dup", h1, "", 100, NULL) ==
	    PANEL_ERR_EXISTS, "token hash unique");
	ok(store_token_by_hash(st, h1, &t, &u) == PANEL_OK && t->id == id &&
	    t->user_id == alice && strcmp(t->name, "ci") == 0 &&
	    t->revoked == 0, "token by hash");
	ok(u != NULL && u->id == alice && strcmp(u->name, "alice") == 0,
	    "the token's user comes with it");
	store_token_free(t);
	store_user_free(u);
	ok(store_token_touch(st, id, 150) == PANEL_OK, "touch");
	ok(store_token_revoke(st, id, bob, 200) == PANEL_ERR_NOTFOUND,
	    "bob cannot revoke alice's token");
	ok(store_token_revoke(st, id, alice, 200) == PANEL_OK,
	    "alice revokes her token");
	ok(store_token_by_hash(st, h1, &t, NULL) == PANEL_ERR_NOTFOUND,
	    "revoked token not found by hash");
	ok(store_token_list(st, alice, &tl) == PANEL_OK && tl->n == 1 &&
	    tl->v[0].revoked == 200 && tl->v[0].last_used == 150,
	    "token list shows revoked and last_used");
	store_token_list_free(tl);

	store_login_record(st, "192.0.2.9", "alice", 0, 100);
	store_login_record(st, "192.0.2.9", "alice", 0, 110);
	store_login_record(st, "192.0.2.9", "bob", 0, 120);
	store_login_record(st, "192.0.2.8", "alice", 1, 130);
	ok(store_login_failures(st, "192.0.2.9", "alice", 0, &by_ip,
	    &by_user) == PANEL_OK && by_ip == 3 && by_user == 2,
	    "failures by ip and by user");
	ok(store_login_failures(st, "192.0.2.9", "alice", 105, &by_ip,
	    &by_user) == PANEL_OK && by_ip == 2 && by_user == 1,
	    "failures only inside the window");
	store_login_clear(st, "alice");
	ok(store_login_failures(st, "192.0.2.9", "alice", 0, &by_ip,
	    &by_user) == PANEL_OK && by_user == 0 && by_ip == 1,
	    "clear forgets the user's failures");

	ok(store_setting_get(st, "x", &v) == PANEL_ERR_NOTFOUND, "unset");
	ok(store_setting_set(st, "x", "1", 1) == PANEL_OK &&
	    store_setting_set(st, "x", "2", 2) == PANEL_OK &&
	    store_setting_get(st, "x", &v) == PANEL_OK && strcmp(v, "2") == 0,
	    "setting overwritten");
	free(v);
}

static int64_t
add_account(struct store *st, int64_t owner)
{
	struct store_account	 a;
	char			*c[] = { (char[]){ "mailto:a@example.com" },
	    (char[]){ "mailto:b@example.com" } };
	int64_t			 id = 0;

	memset(&a, 0, sizeof(a));
	a.owner = owner;
	a.ca_url = (char[]){ "https://ca.example/dir" };
	a.ca_preset = NULL;
	a.contacts = c;
	a.ncontacts = 2;
	a.key_type = ACME_KEY_EC256;
	a.status = STORE_ACC_NEW;
	a.tos_agreed = 1;
	if (store_account_add(st, &a, 100, &id) != PANEL_OK)
		tap_diag("account add: %s", store_errmsg(st));
	return id;
}

/* An order for owner with two authorizations of two challenges each;
 * tokens are made unique with tag. */
static enum panel_err
add_order(struct store *st, int64_t owner, int64_t acct, const char *tag,
    int64_t *id)
{
	struct store_order	 o;
	struct store_authz	 a[2];
	struct store_challenge	 c[4];
	char			 tok[4][32], url[6][64], ourl[64];
	char			*doms[] = { (char[]){ "example.com" },
	    (char[]){ "*.example.com" } };
	int			 i;

	memset(&o, 0, sizeof(o));
	memset(a, 0, sizeof(a));
	memset(c, 0, sizeof(c));
	for (i = 0; i < 4; i++) {
		snprintf(tok[i], sizeof(tok[i]), "tok_%s-%d", tag, i);
		snprintf(url[i], sizeof(url[i]), "https://ca/chal/%s/%d", tag,
		    i);
		c[i].url = url[i];
		c[i].token = tok[i];
		c[i].type = i % 2 == 0 ? ACME_CH_HTTP01 : ACME_CH_DNS01;
		c[i].status = ACME_S_PENDING;
		c[i].key_authorization = tok[i];
		c[i].dns_name = dns_name;
		c[i].dns_value = dns_value;
	}
	for (i = 0; i < 2; i++) {
		snprintf(url[4 + i], sizeof(url[4 + i]), "https://ca/authz/%s/%d",
		    tag, i);
		a[i].url = url[4 + i];
		a[i].ident_type = ACME_ID_DNS;
		a[i].identifier = i == 0 ? doms[0] : doms[0];
		a[i].wildcard = i;
		a[i].status = ACME_S_PENDING;
		a[i].expires = 5000;
		a[i].ch = &c[2 * i];
		a[i].nch = 2;
	}
	snprintf(ourl, sizeof(ourl), "https://ca/order/%s", tag);
	o.order_url = ourl;
	o.owner = owner;
	o.account_id = acct;
	o.status = STORE_ORD_PENDING;
	o.domains = doms;
	o.ndomains = 2;
	o.key_type = ACME_KEY_EC384;
	o.challenge_type = ACME_CH_HTTP01;
	o.autom = 1;
	o.auto_renew = 1;
	o.authz = a;
	o.nauthz = 2;
	return store_order_add(st, &o, 200, id);
}

static void
test_accounts(struct store *st, int64_t alice, int64_t bob, int64_t *aacc,
    int64_t *bacc)
{
	struct store_account		*a = NULL;
	struct store_account_list	*l = NULL;
	const char			*c1[] = { "mailto:new@example.com" };
	unsigned char			 blob[] = { 1, 2, 3, 0, 5 };

	*aacc = add_account(st, alice);
	*bacc = add_account(st, bob);
	ok(*aacc > 0 && *bacc > 0, "accounts added");
	ok(store_account_get(st, *aacc, alice, &a) == PANEL_OK &&
	    a->ncontacts == 2 && strcmp(a->contacts[1],
	    "mailto:b@example.com") == 0 && a->status == STORE_ACC_NEW &&
	    a->tos_agreed && a->kid == NULL, "account round trip");
	store_account_free(a);
	ok(store_account_get(st, *bacc, alice, &a) == PANEL_ERR_NOTFOUND &&
	    a == NULL, "alice cannot get bob's account");
	ok(store_account_get(st, *bacc, 0, &a) == PANEL_OK, "admin can");
	store_account_free(a);
	ok(store_account_set_contacts(st, *aacc, c1, 1, 300) == PANEL_OK &&
	    store_account_set_kid(st, *aacc, "https://ca/acct/1",
	    STORE_ACC_VALID, 300) == PANEL_OK &&
	    store_account_set_key(st, *aacc, ACME_KEY_RSA2048, blob,
	    sizeof(blob), 300) == PANEL_OK, "set contacts, kid, key");
	ok(store_account_get(st, *aacc, 0, &a) == PANEL_OK &&
	    a->ncontacts == 1 && a->status == STORE_ACC_VALID &&
	    a->key_type == ACME_KEY_RSA2048 && a->key_enc_len == 5 &&
	    memcmp(a->key_enc, blob, 5) == 0 && a->updated == 300,
	    "updates read back (blob with NUL)");
	store_account_free(a);
	ok(store_account_set_status(st, *bacc, STORE_ACC_FAILED,
	    "{\"type\":\"x\"}", 300) == PANEL_OK, "status with JSON error");
	ok(store_account_set_status(st, *bacc, STORE_ACC_FAILED, "not json",
	    300) == PANEL_ERR_DB, "CHECK refuses non-JSON error");
	ok(store_account_list(st, alice, &l) == PANEL_OK && l->n == 1 &&
	    l->v[0].key_enc == NULL, "list by owner, no key in lists");
	store_account_list_free(l);
	ok(store_account_list(st, 0, &l) == PANEL_OK && l->n == 2 &&
	    l->v[0].id > l->v[1].id, "list all, newest first");
	store_account_list_free(l);
	ok(store_account_page(st, 0, 0, 1, &l) == PANEL_OK && l->n == 1 &&
	    l->v[0].id == *bacc && l->next == *bacc, "a page of one, "
	    "newest first, with the next page's cursor");
	store_account_list_free(l);
	ok(store_account_page(st, 0, *bacc, 1, &l) == PANEL_OK &&
	    l->n == 1 && l->v[0].id == *aacc && l->next == 0,
	    "the next page is the last");
	store_account_list_free(l);
	ok(store_account_page(st, bob, 0, 0, &l) == PANEL_OK && l->n == 1 &&
	    l->v[0].owner == bob && l->next == 0, "bob's page: his own only");
	store_account_list_free(l);
}

static void
test_orders(struct store *st, int64_t alice, int64_t bob, int64_t aacc,
    int64_t bacc, int64_t *oid)
{
	struct store_order		*o = NULL;
	struct store_order_list		*l = NULL;
	struct store_order_filter	 f;
	struct store_challenge		*c = NULL;
	struct store_event_list		*el = NULL;
	char				*ka = NULL, tag[16];
	int64_t				 id, seen = 0, before, tok1, tok2;
	int				 i, pages, dup;

	ok(add_order(st, alice, aacc, "a", oid) == PANEL_OK, "order add");
	ok(store_order_get(st, *oid, alice, &o) == PANEL_OK &&
	    o->nauthz == 2 && o->authz[0].nch == 2 && o->authz[1].nch == 2 &&
	    o->authz[1].wildcard && o->ndomains == 2 &&
	    strcmp(o->domains[1], "*.example.com") == 0 &&
	    o->authz[0].ch[1].type == ACME_CH_DNS01 &&
	    strcmp(o->authz[1].ch[0].token, "tok_a-2") == 0 &&
	    o->authz[0].ch[0].order_id == *oid &&
	    o->authz[0].ch[0].owner == alice && o->key_type == ACME_KEY_EC384 &&
	    o->autom && o->certificate_id == 0, "order with authz and "
	    "challenges round trip");
	store_order_free(o);
	ok(store_order_get(st, *oid, bob, &o) == PANEL_ERR_NOTFOUND &&
	    o == NULL, "bob cannot get alice's order");
	ok(add_order(st, bob, bacc, "a", &id) == PANEL_ERR_EXISTS,
	    "duplicate order URL: EXISTS");
	memset(&f, 0, sizeof(f));
	ok(store_order_list(st, &f, &l) == PANEL_OK && l->total == 1,
	    "the failed insert left nothing behind");
	store_order_list_free(l);
	ok(add_order(st, alice, 999, "zz", &id) == PANEL_ERR_DB,
	    "foreign key: unknown account refused");

	/* http-01 responder lookups. */
	ok(store_challenge_http01(st, "tok_a-0", &ka) == PANEL_OK &&
	    strcmp(ka, "tok_a-0") == 0, "http-01 token answers");
	free(ka);
	ok(store_challenge_http01(st, "tok_a-1", &ka) == PANEL_ERR_NOTFOUND,
	    "dns-01 token does not answer over http");
	ok(store_challenge_http01(st, "../etc/passwd", &ka) ==
	    PANEL_ERR_NOTFOUND, "non-base64url token refused");
	ok(store_challenge_get(st, 1, bob, &c) == PANEL_ERR_NOTFOUND,
	    "challenge owner-checked");
	ok(store_challenge_get(st, 1, alice, &c) == PANEL_OK &&
	    strcmp(c->token, "tok_a-0") == 0, "challenge get");
	ok(store_challenge_set_status(st, c->id, ACME_S_VALID, NULL, 300) ==
	    PANEL_OK, "challenge valid");
	store_challenge_free(c);
	ok(store_challenge_http01(st, "tok_a-0", &ka) == PANEL_ERR_NOTFOUND,
	    "valid challenge no longer answers");
	ok(store_authz_set_status(st, 2, ACME_S_VALID, 0, NULL, 300) ==
	    PANEL_OK && store_challenge_http01(st, "tok_a-2", &ka) ==
	    PANEL_ERR_NOTFOUND, "valid authorization no longer answers");

	/* 24 more for alice, 5 for bob: pages of 10. */
	for (i = 0; i < 24; i++) {
		snprintf(tag, sizeof(tag), "p%d", i);
		add_order(st, alice, aacc, tag, &id);
	}
	for (i = 0; i < 5; i++) {
		snprintf(tag, sizeof(tag), "b%d", i);
		add_order(st, bob, bacc, tag, &id);
	}
	memset(&f, 0, sizeof(f));
	f.owner = alice;
	f.limit = 10;
	before = INT64_MAX;
	for (pages = 0, dup = 0; pages < 5; pages++) {
		if (store_order_list(st, &f, &l) != PANEL_OK)
			break;
		for (i = 0; i < (int)l->n; i++) {
			dup |= l->v[i].id >= before || l->v[i].owner != alice;
			before = l->v[i].id;
			seen++;
		}
		if (pages == 0)
			is_int(l->total, 25, "total counts all of alice's");
		f.before = l->next;
		store_order_list_free(l);
		if (f.before == 0)
			break;
	}
	ok(seen == 25 && pages == 2 && !dup, "keyset pages: 10+10+5, "
	    "descending, only alice's");
	memset(&f, 0, sizeof(f));
	ok(store_order_list(st, &f, &l) == PANEL_OK && l->total == 30 &&
	    l->n == 30 && l->next == 0, "admin sees all 30");
	store_order_list_free(l);
	f.has_status = 1;
	f.status = STORE_ORD_VALID;
	ok(store_order_set_status(st, *oid, STORE_ORD_VALID, NULL, 0, 400) ==
	    PANEL_OK && store_order_list(st, &f, &l) == PANEL_OK &&
	    l->total == 1 && l->n == 1 && l->v[0].id == *oid,
	    "status filter");
	store_order_list_free(l);
	f.owner = bob;
	ok(store_order_list(st, &f, &l) == PANEL_OK && l->total == 0,
	    "status + owner filter");
	store_order_list_free(l);

	/* The HTML lists' brief rows: the same orders and what they show,
	 * in each of the four statements. */
	for (i = 0, dup = 0; i < 4; i++) {
		struct store_order_list	*b = NULL;
		size_t			 j;

		memset(&f, 0, sizeof(f));
		f.owner = i & 1 ? alice : 0;
		f.has_status = (i & 2) != 0;
		f.status = STORE_ORD_PENDING;
		if (store_order_list(st, &f, &l) != PANEL_OK)
			l = NULL;
		f.brief = 1;
		if (store_order_list(st, &f, &b) != PANEL_OK)
			b = NULL;
		if (l == NULL || b == NULL || l->n != b->n || l->n == 0 ||
		    l->total != b->total)
			dup++;
		for (j = 0; l != NULL && b != NULL && j < l->n && j < b->n;
		    j++)
			if (l->v[j].id != b->v[j].id ||
			    l->v[j].status != b->v[j].status ||
			    l->v[j].updated != b->v[j].updated ||
			    l->v[j].created != b->v[j].created ||
			    l->v[j].ndomains != b->v[j].ndomains ||
			    strcmp(l->v[j].domains[0], b->v[j].domains[0]) ||
			    l->v[j].challenge_type != b->v[j].challenge_type ||
			    l->v[j].autom != b->v[j].autom ||
			    b->v[j].error != NULL || b->v[j].certificate_id)
				dup++;
		store_order_list_free(l);
		store_order_list_free(b);
	}
	ok(dup == 0, "brief lists: the same orders, names, status, "
	    "challenge, auto and times, without error or certificate");

	/* Retries, leases and fencing. */
	id = *oid + 1;
	ok(store_order_retry(st, id, 900, "{\"detail\":\"x\"}", 0, 400) ==
	    PANEL_OK && store_order_retry(st, id, 950, NULL, 0, 410) ==
	    PANEL_OK, "two retries");
	ok(store_order_get(st, id, 0, &o) == PANEL_OK && o->tries == 2 &&
	    o->retry_at == 950, "tries counted");
	store_order_free(o);
	ok(store_order_lease(st, id, "sweep:1", 1000, 60, &tok1) ==
	    PANEL_OK && tok1 == 1, "lease taken");
	ok(store_order_lease(st, id, "sweep:2", 1010, 60, &tok2) ==
	    PANEL_ERR_BUSY, "second holder refused while live");
	ok(store_order_due(st, 1010, 0, 100, &l) == PANEL_OK, "due list");
	for (i = 0, dup = 0; l != NULL && i < (int)l->n; i++)
		dup |= l->v[i].id == id;
	ok(!dup, "leased order not due");
	store_order_list_free(l);
	ok(store_order_lease(st, id, "sweep:2", 1061, 60, &tok2) ==
	    PANEL_OK && tok2 == 2, "expired lease taken over");
	ok(store_order_set_status(st, id, STORE_ORD_READY, NULL, tok1, 1062) ==
	    PANEL_ERR_STALE, "old holder's write fenced off");
	ok(store_order_set_status(st, id, STORE_ORD_READY, NULL, tok2, 1062) ==
	    PANEL_OK, "current holder writes");
	ok(store_order_get(st, id, 0, &o) == PANEL_OK &&
	    o->status == STORE_ORD_READY && o->tries == 0 &&
	    o->lease_token == 2, "status change resets tries");
	store_order_free(o);
	ok(store_order_release(st, id, tok1) == PANEL_ERR_STALE &&
	    store_order_release(st, id, tok2) == PANEL_OK, "release");
	ok(store_order_set_urls(st, id, "https://ca/order/9",
	    "https://ca/fin/9", NULL, 7777, 1100) == PANEL_OK &&
	    store_order_set_key(st, id, (const unsigned char *)"k", 1, 1100) ==
	    PANEL_OK && store_order_get(st, id, alice, &o) == PANEL_OK &&
	    strcmp(o->order_url, "https://ca/order/9") == 0 &&
	    o->cert_url == NULL && o->expires == 7777 && o->key_enc_len == 1,
	    "urls and key");
	store_order_free(o);

	ok(store_event_add(st, id, "created", NULL, 1) == PANEL_OK &&
	    store_event_add(st, id, "ready", "all valid", 2) == PANEL_OK &&
	    store_event_list(st, id, &el) == PANEL_OK && el->n == 2 &&
	    strcmp(el->v[1].detail, "all valid") == 0 &&
	    strcmp(el->v[0].detail, "") == 0, "events in order");
	store_event_list_free(el);
}

static void
test_certs(struct store *st, int64_t alice, int64_t bob, int64_t aacc,
    int64_t oid)
{
	struct store_cert	 c, *g = NULL;
	struct store_cert_list	*l = NULL;
	struct store_order_list	*ol = NULL;
	struct store_order	*o = NULL;
	struct store_counts	 n;
	struct store_billing	*b = NULL, *b2 = NULL;
	struct store_alert_list	*al = NULL;
	struct store_sweep	*sw = NULL;
	char			*doms[] = { (char[]){ "example.com" } };
	int64_t			 id1 = 0, id2 = 0, sid = 0;
	int			 claimed = -1;

	memset(&c, 0, sizeof(c));
	c.order_id = oid;
	c.owner = alice;
	c.account_id = aacc;
	c.serial = (char[]){ "0a1b" };
	c.not_before = 1000;
	c.not_after = 9000;
	c.domains = doms;
	c.ndomains = 1;
	c.chain_pem = (char[]){ "-----BEGIN CERTIFICATE-----\n" };
	c.renew_at = 500;
	ok(store_cert_add(st, &c, 1000, &id1) == PANEL_OK, "cert add");
	c.not_after = 5000;
	c.serial = (char[]){ "0a1c" };
	c.renew_at = 0;
	ok(store_cert_add(st, &c, 1000, &id2) == PANEL_ERR_EXISTS,
	    "one certificate per order");
	c.order_id = 0;		/* e.g. imported, or its order deleted */
	ok(store_cert_add(st, &c, 1000, &id2) == PANEL_OK, "second cert");
	c.order_id = oid;
	ok(store_dashboard_expiring(st, alice, 5, &l) == PANEL_OK &&
	    l->n == 2 && l->v[0].id == id2 && l->v[1].id == id1,
	    "expiring, for the sweep's alerts: the dead one first");
	store_cert_list_free(l);
	ok(store_dashboard_expiring_from(st, alice, 6000, 5, 0, &l) ==
	    PANEL_OK && l->n == 1 && l->v[0].id == id1,
	    "expiring from a time on, for the dashboard: not the dead one");
	store_cert_list_free(l);
	ok(store_dashboard_expiring_from(st, alice, 6000, 5, 1, &l) ==
	    PANEL_OK && l->n == 1 && l->v[0].id == id1 &&
	    l->v[0].order_id == oid && l->v[0].ndomains == 1 &&
	    l->v[0].serial != NULL && l->v[0].not_after > 6000,
	    "the same, brief: id, order, serial, expiry and names");
	store_cert_list_free(l);
	ok(store_dashboard_counts(st, alice, 10000, 0, &n) == PANEL_OK &&
	    n.certs_expiring == 2 && n.certs_valid == 2 &&
	    store_dashboard_counts_from(st, alice, 6000, 10000, 0, &n) ==
	    PANEL_OK && n.certs_expiring == 1 && n.certs_valid == 1 &&
	    store_dashboard_counts_from(st, 0, 6000, 10000, 0, &n) ==
	    PANEL_OK && n.certs_expiring == 1 && n.certs_valid == 1,
	    "counts: valid and expiring from a time on leave the dead one "
	    "out");
	ok(store_cert_get(st, id1, bob, &g) == PANEL_ERR_NOTFOUND,
	    "bob cannot get alice's certificate");
	ok(store_cert_get(st, id1, alice, &g) == PANEL_OK &&
	    strcmp(g->serial, "0a1b") == 0 && g->chain_pem != NULL &&
	    g->revoked_reason == -1 && g->status == STORE_CERT_VALID &&
	    g->ndomains == 1, "cert round trip");
	store_cert_free(g);
	ok(store_cert_list(st, alice, NULL, 0, 0, &l) == PANEL_OK &&
	    l->n == 2 && l->total == 2 && l->v[0].id == id2 &&
	    l->v[0].chain_pem == NULL && l->next.id == 0,
	    "list soonest expiry first, no chain, no next");
	store_cert_list_free(l);
	ok(store_cert_list(st, 0, NULL, 1, 0, &l) == PANEL_OK && l->n == 1 &&
	    l->total == 2 && l->v[0].id == id2 && l->next.id == id2,
	    "a page of one: the next page's cursor");
	if (l != NULL) {
		struct store_cert_cursor	 cur = l->next;
		struct store_cert_list		*l2 = NULL;

		ok(store_cert_list(st, 0, &cur, 1, 0, &l2) == PANEL_OK &&
		    l2->n == 1 && l2->total == 2 && l2->v[0].id == id1 &&
		    l2->next.id == 0, "keyset paging: the page after it");
		store_cert_list_free(l2);
		l2 = NULL;
		ok(store_cert_list(st, bob, NULL, 0, 0, &l2) == PANEL_OK &&
		    l2->n == 0 && l2->total == 0, "bob has none");
		store_cert_list_free(l2);
	}
	store_cert_list_free(l);
	ok(store_cert_by_order(st, oid, alice, &g) == PANEL_OK &&
	    g->id == id1, "the certificate of the order");
	store_cert_free(g);
	ok(store_order_get(st, oid, 0, &o) == PANEL_OK &&
	    o->certificate_id == id1, "order knows its certificate");
	store_order_free(o);
	ok(store_cert_due(st, 600, 10, &l) == PANEL_OK && l->n == 1 &&
	    l->v[0].id == id1, "renewal due");
	store_cert_list_free(l);
	ok(store_cert_set_revoked(st, id2, 4, 2000) == PANEL_OK &&
	    store_cert_set_revoked(st, id2, 4, 2001) == PANEL_ERR_NOTFOUND,
	    "revoke once");
	ok(store_cert_get(st, id2, 0, &g) == PANEL_OK &&
	    g->status == STORE_CERT_REVOKED && g->revoked_reason == 4 &&
	    g->revoked_at == 2000, "revocation read back");
	store_cert_free(g);
	ok(store_cert_set_replaced(st, id1, id2, 2100) == PANEL_OK &&
	    store_cert_due(st, 600, 10, &l) == PANEL_OK && l->n == 0,
	    "replaced cert no longer due");
	store_cert_list_free(l);
	ok(store_cert_set_renew_at(st, id1, 0, 2200) == PANEL_OK &&
	    store_cert_set_key(st, id1, (const unsigned char *)"kk", 2) ==
	    PANEL_OK, "renew_at and key");

	ok(store_dashboard_counts(st, alice, 6000, 0, &n) == PANEL_OK &&
	    n.accounts == 1 && n.certs_valid == 0 && n.orders_active == 24,
	    "dashboard counts for alice (%lld %lld %lld)",
	    (long long)n.accounts, (long long)n.certs_valid,
	    (long long)n.orders_active);
	ok(store_dashboard_expiring(st, 0, 5, &l) == PANEL_OK && l->n == 0,
	    "no valid certificates left");
	store_cert_list_free(l);
	store_order_retry(st, oid, 1, "{\"detail\":\"boom\"}", 0, 3000);
	ok(store_dashboard_failures(st, alice, 5, 0, &ol) == PANEL_OK &&
	    ol->n >= 1 && ol->v[0].id == oid && ol->v[0].error != NULL &&
	    strcmp(ol->v[0].error, "boom") == 0,
	    "recent failures, with the problem's detail as text");
	store_order_list_free(ol);
	{
		static const char *const in[][2] = {
			{ "{\"type\":\"urn:x:caa\",\"detail\":null}",
			    "urn:x:caa" },
			{ "{\"detail\":\"caf\\u00e9 \\\"q\\\"\",\"type\":\"t\"}",
			    "caf\xc3\xa9 \"q\"" },
			{ "{\"detail\":5}", "5" },
			{ "{\"detail\":true}", "1" },
			{ "{\"detail\":{\"a\":[1]}}", "{\"a\":[1]}" },
			{ "{\"status\":400}", "{\"status\":400}" },
			{ "[1, 2]", "[1, 2]" },
			{ "\"refused\"", "\"refused\"" },
		};
		size_t	 k;
		int	 bad = 0;

		for (k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
			store_order_retry(st, oid, 1, in[k][0], 0,
			    3001 + (int64_t)k);
			if (store_dashboard_failures(st, alice, 5, 0, &ol) !=
			    PANEL_OK || ol->n < 1 || ol->v[0].id != oid ||
			    ol->v[0].error == NULL ||
			    strcmp(ol->v[0].error, in[k][1]) != 0) {
				tap_diag("%s -> %s", in[k][0], ol != NULL &&
				    ol->n > 0 && ol->v[0].error != NULL ?
				    ol->v[0].error : "(none)");
				bad++;
			}
			store_order_list_free(ol);
			ol = NULL;
			if (store_dashboard_failures(st, alice, 5, 1, &ol) !=
			    PANEL_OK || ol->n < 1 || ol->v[0].id != oid ||
			    ol->v[0].error == NULL ||
			    strcmp(ol->v[0].error, in[k][1]) != 0 ||
			    ol->v[0].updated != 3001 + (int64_t)k ||
			    ol->v[0].ndomains != 2)
				bad++;
			store_order_list_free(ol);
			ol = NULL;
		}
		ok(bad == 0, "failure text: detail, else type, else the "
		    "stored JSON, for JSON of every shape, brief or not");
	}

	ok(store_billing_intent(st, id1, 9000, "idem-1", 100, &b) ==
	    PANEL_OK && b->state == STORE_BILL_PENDING &&
	    strcmp(b->idem_key, "idem-1") == 0, "billing intent created");
	ok(store_billing_intent(st, id1, 9000, "idem-2", 200, &b2) ==
	    PANEL_OK && b2->id == b->id && strcmp(b2->idem_key, "idem-1") == 0,
	    "same (certificate, cycle): same intent and key");
	ok(store_billing_set_state(st, b->id, STORE_BILL_APPROVED, "ok", oid,
	    300) == PANEL_OK, "billing approved");
	store_billing_free(b);
	store_billing_free(b2);
	ok(store_billing_intent(st, id1, 9000, "x", 400, &b) == PANEL_OK &&
	    b->state == STORE_BILL_APPROVED && b->order_id == oid &&
	    b->tries == 1, "state read back");
	store_billing_free(b);

	ok(store_alert_claim(st, "expiry", "certificate:1", "7d", "soon", 1,
	    &claimed) == PANEL_OK && claimed == 1, "alert claimed");
	ok(store_alert_claim(st, "expiry", "certificate:1", "7d", "soon", 2,
	    &claimed) == PANEL_OK && claimed == 0, "alert only once");
	ok(store_alert_unclaim(st, "expiry", "certificate:1", "7d") ==
	    PANEL_OK && store_alert_claim(st, "expiry", "certificate:1", "7d",
	    NULL, 3, &claimed) == PANEL_OK && claimed == 1,
	    "unclaimed alert can be sent again");
	ok(store_alert_recent(st, 10, &al) == PANEL_OK && al->n == 1,
	    "recent alerts");
	store_alert_list_free(al);

	ok(store_sweep_last(st, &sw) == PANEL_ERR_NOTFOUND, "no sweep yet");
	ok(store_sweep_start(st, "host", 42, 10, &sid) == PANEL_OK &&
	    store_sweep_finish(st, sid, 1, "{\"renewed\":0}", 20) == PANEL_OK &&
	    store_sweep_last(st, &sw) == PANEL_OK && sw->finished == 20 &&
	    sw->ok == 1, "sweep run recorded");
	store_sweep_free(sw);
}

/* ------------------------------------------------------------------ */
/* The rate-limit guard's queries (store_guard.c), in a database of
 * their own so that the counts above stay as they are.                */

#define CA1	"https://ca-one.example/dir"
#define CA2	"https://ca-two.example/dir"
#define S(x)	((char[]){ x })	/* a writable string, as the structs want */

/* Removes a database file with its WAL and shared-memory files. */
static void
unlink_db(const char *path)
{
	const char	*suffix[] = { "", "-wal", "-shm" };
	char		 p[320];
	size_t		 i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static int64_t
guard_account(struct store *st, int64_t owner, const char *ca_url)
{
	struct store_account	 a;
	char			 url[128];
	int64_t			 id = 0;

	memset(&a, 0, sizeof(a));
	snprintf(url, sizeof(url), "%s", ca_url);
	a.owner = owner;
	a.ca_url = url;
	a.key_type = ACME_KEY_EC256;
	a.status = STORE_ACC_VALID;
	if (store_account_add(st, &a, 100, &id) != PANEL_OK)
		tap_diag("account add: %s", store_errmsg(st));
	return id;
}

/* A certificate of account acct (owner owner) for the NULL-terminated
 * names, issued at created. */
static void
guard_cert(struct store *st, int64_t owner, int64_t acct, int64_t created,
    char *const *names)
{
	struct store_cert	 c;
	char			 serial[32], *doms[8];
	static int		 nserial;

	memset(&c, 0, sizeof(c));
	snprintf(serial, sizeof(serial), "%04x", ++nserial);
	c.owner = owner;
	c.account_id = acct;
	c.serial = serial;
	c.not_before = created;
	c.not_after = created + 90 * 86400;
	for (; c.ndomains < 8 && names[c.ndomains] != NULL; c.ndomains++)
		doms[c.ndomains] = names[c.ndomains];
	c.domains = doms;
	c.chain_pem = (char[]){ "-----BEGIN CERTIFICATE-----\n" };
	if (store_cert_add(st, &c, created, NULL) != PANEL_OK)
		tap_diag("cert add: %s", store_errmsg(st));
}

/*
 * An order of account acct with one authorization per identifier,
 * authorization URLs "https://ca/authz/" urls[i], all added at 100 and
 * then set to status st_[i] at when[i].
 */
static void
guard_order(struct store *st, int64_t owner, int64_t acct, size_t n,
    char *const *ids, const char *const *urls,
    const enum acme_status *st_, const int64_t *when)
{
	struct store_order	 o, *g = NULL;
	struct store_authz	 a[4];
	char			 url[4][64];
	char			*doms[4];
	int64_t			 id = 0;
	size_t			 i, k;

	memset(&o, 0, sizeof(o));
	memset(a, 0, sizeof(a));
	for (i = 0; i < n && i < 4; i++) {
		snprintf(url[i], sizeof(url[i]), "https://ca/authz/%s",
		    urls[i]);
		doms[i] = ids[i];
		a[i].url = url[i];
		a[i].ident_type = ACME_ID_DNS;
		a[i].identifier = ids[i];
		a[i].wildcard = strncmp(ids[i], "*.", 2) == 0;
		a[i].status = ACME_S_PENDING;
	}
	o.owner = owner;
	o.account_id = acct;
	o.status = STORE_ORD_PENDING;
	o.domains = doms;
	o.ndomains = i;
	o.key_type = ACME_KEY_EC256;
	o.challenge_type = ACME_CH_DNS01;
	o.authz = a;
	o.nauthz = i;
	if (store_order_add(st, &o, 100, &id) != PANEL_OK ||
	    store_order_get(st, id, 0, &g) != PANEL_OK) {
		tap_diag("order add: %s", store_errmsg(st));
		return;
	}
	for (k = 0; k < g->nauthz; k++)
		for (i = 0; i < n; i++)
			if (strcmp(g->authz[k].url, url[i]) == 0)
				store_authz_set_status(st, g->authz[k].id,
				    st_[i], 0, st_[i] == ACME_S_INVALID ?
				    "{\"type\":\"unauthorized\"}" : NULL,
				    when[i]);
	store_order_free(g);
}

/* The lists' certificate ids, everyone's (read for the page's range at
 * once) and an owner's (a lookup each), are those store_order_get
 * gives, on pages of 1 to 7 orders, with and without a status. */
static void
test_list_certs(struct store *st, int64_t alice, int64_t bob,
    int64_t aacc, int64_t bacc)
{
	struct store_order_filter	 f;
	struct store_order_list		*l = NULL;
	struct store_order		*o = NULL;
	struct store_cert		 c;
	char				 tag[16], serial[16];
	char				*doms[] = { S("example.com") };
	int64_t				 id, cid, owners[] = { 0, 0, 0 };
	size_t				 i, k, rows = 0, with = 0, bad = 0;
	unsigned			 lim;

	owners[1] = alice;
	owners[2] = bob;
	memset(&c, 0, sizeof(c));
	c.not_before = 1000;
	c.not_after = 9000;
	c.domains = doms;
	c.ndomains = 1;
	c.chain_pem = S("-----BEGIN CERTIFICATE-----\n");
	for (i = 0; i < 14; i++) {
		snprintf(tag, sizeof(tag), "lc%zu", i);
		if (add_order(st, i % 2 ? bob : alice, i % 2 ? bacc : aacc,
		    tag, &id) != PANEL_OK)
			tap_bail("add_order %s", tag);
		if (i % 3 == 1)
			continue;
		snprintf(serial, sizeof(serial), "1c%02zx", i);
		c.order_id = id;
		c.owner = i % 2 ? bob : alice;
		c.account_id = i % 2 ? bacc : aacc;
		c.serial = serial;
		if (store_cert_add(st, &c, 1000, &cid) != PANEL_OK)
			tap_bail("store_cert_add %s", store_errmsg(st));
	}
	for (k = 0; k < 6; k++)
		for (lim = 1; lim <= 7; lim++) {
			memset(&f, 0, sizeof(f));
			f.owner = owners[k % 3];
			f.has_status = k >= 3;
			f.status = STORE_ORD_PENDING;
			f.limit = lim;
			f.no_total = 1;
			do {
				if (store_order_list(st, &f, &l) != PANEL_OK)
					tap_bail("store_order_list");
				for (i = 0; i < l->n; i++, rows++) {
					if (store_order_get(st, l->v[i].id, 0,
					    &o) != PANEL_OK)
						tap_bail("store_order_get");
					bad += o->certificate_id !=
					    l->v[i].certificate_id;
					with += o->certificate_id > 0;
					store_order_free(o);
				}
				f.before = l->next;
				store_order_list_free(l);
			} while (f.before > 0);
		}
	ok(bad == 0 && with > 0 && with < rows, "list rows' certificates "
	    "are the orders' own: %zu rows, %zu with one", rows, with);
}

/* 1 when the query plan of statement id names index. */
static int
plan_uses(sqlite3 *db, enum stmt id, const char *index)
{
	sqlite3_stmt	*s = NULL;
	char		 q[4096];
	const char	*d;
	int		 found = 0;

	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", store_sql(id));
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK) {
		tap_diag("plan: %s", sqlite3_errmsg(db));
		return 0;
	}
	while (sqlite3_step(s) == SQLITE_ROW)
		if ((d = (const char *)sqlite3_column_text(s, 3)) != NULL &&
		    strstr(d, index) != NULL)
			found = 1;
	sqlite3_finalize(s);
	return found;
}

/* The owner's brief order list reads orders_owner_brief alone (0014);
 * with a status it keeps the exact range of orders_owner_status. */
static void
test_order_plans(sqlite3 *db)
{
	ok(plan_uses(db, ST_ORD_BRIEF_OWNER,
	    "COVERING INDEX orders_owner_brief (owner=? AND id<?)") &&
	    plan_uses(db, ST_ORD_LIST_OWNER,
	    "INDEX orders_owner_brief (owner=? AND id<?)"),
	    "an owner's orders: orders_owner_brief, the brief ones alone");
	ok(plan_uses(db, ST_ORD_BRIEF_OWNER_STATUS,
	    "orders_owner_status (owner=? AND status=? AND id<?)") &&
	    plan_uses(db, ST_ORD_LIST_OWNER_STATUS,
	    "orders_owner_status (owner=? AND status=? AND id<?)"),
	    "an owner's orders of one status: orders_owner_status");
	ok(plan_uses(db, ST_ORD_BRIEF_ALL, "INTEGER PRIMARY KEY (rowid<?)") &&
	    plan_uses(db, ST_ORD_LIST_ALL, "INTEGER PRIMARY KEY (rowid<?)") &&
	    plan_uses(db, ST_ORD_CERTS, "COVERING INDEX certificates_order"),
	    "everyone's orders: the table by id, their certificates a range "
	    "of certificates_order");
}

static void
test_guard_certs(struct store *st, int64_t alice, int64_t bob)
{
	char		*ab[] = { S("a.example"), S("b.example"), NULL };
	char		*ba[] = { S("b.example"), S("a.example"), NULL };
	char		*a_only[] = { S("a.example"), NULL };
	char		*abc[] = { S("a.example"), S("b.example"),
	    S("c.example"), NULL };
	char		*wild[] = { S("*.a.example"), S("b.example"), NULL };
	char		*q[] = { S("a.example"), S("b.example") };
	char		*rq[] = { S("B.Example"), S("a.example"),
	    S("b.example") };
	char		*wq[] = { S("b.example"), S("*.a.example") };
	int64_t		 a1, a2, b1, c2, n = -1, at = -1;

	a1 = guard_account(st, alice, CA1);
	a2 = guard_account(st, alice, CA1);
	b1 = guard_account(st, bob, CA1);
	c2 = guard_account(st, alice, CA2);
	ok(a1 > 0 && a2 > 0 && b1 > 0 && c2 > 0, "guard: accounts");

	ok(store_cert_count_names(st, q, 2, CA1, 0, &n) == PANEL_OK && n == 0,
	    "no certificates yet: 0");
	guard_cert(st, alice, a1, 1000, ab);
	guard_cert(st, alice, a2, 2000, ab);	/* another account, same CA */
	guard_cert(st, bob, b1, 3000, ba);	/* another owner, other order */
	guard_cert(st, alice, a1, 3500, a_only);	/* subset */
	guard_cert(st, alice, a1, 3600, abc);		/* superset */
	guard_cert(st, alice, c2, 3700, ab);		/* another CA */
	guard_cert(st, alice, a1, 3800, wild);

	ok(store_cert_count_names(st, q, 2, CA1, 0, &n) == PANEL_OK && n == 3,
	    "same names, same CA: every account and owner, any order");
	ok(store_cert_count_names(st, q, 2, CA1, 1500, &n) == PANEL_OK &&
	    n == 2, "only certificates issued since the window start");
	ok(store_cert_count_names(st, q, 2, CA1, 3001, &n) == PANEL_OK &&
	    n == 0, "window after the last one: 0");
	ok(store_cert_count_names(st, q, 1, CA1, 0, &n) == PANEL_OK && n == 1,
	    "a subset of the names is another set");
	ok(store_cert_count_names(st, q, 2, CA2, 0, &n) == PANEL_OK && n == 1,
	    "the other CA counts its own");
	ok(store_cert_count_names(st, q, 2, "https://ca-three/dir", 0, &n) ==
	    PANEL_OK && n == 0, "unknown CA: 0");
	ok(store_cert_count_names(st, rq, 3, CA1, 0, &n) == PANEL_OK && n == 3,
	    "query names: case and duplicates do not matter");
	ok(store_cert_count_names(st, wq, 2, CA1, 0, &n) == PANEL_OK && n == 1,
	    "a wildcard is its own name");

	ok(store_cert_names_nth(st, q, 2, CA1, 0, 0, &at) == PANEL_OK &&
	    at == 3000, "newest issue time");
	ok(store_cert_names_nth(st, q, 2, CA1, 0, 2, &at) == PANEL_OK &&
	    at == 1000, "third newest issue time");
	ok(store_cert_names_nth(st, q, 2, CA1, 0, 3, &at) ==
	    PANEL_ERR_NOTFOUND && at == 0, "fewer than nth+1: NOTFOUND");
	ok(store_cert_names_nth(st, q, 2, CA1, 1500, 1, &at) == PANEL_OK &&
	    at == 2000, "nth inside the window");

	ok(store_cert_count_names(st, q, 0, CA1, 0, &n) == PANEL_ERR_ARG &&
	    store_cert_count_names(st, q, 2, NULL, 0, &n) == PANEL_ERR_ARG &&
	    store_cert_names_nth(st, NULL, 1, CA1, 0, 0, &at) ==
	    PANEL_ERR_ARG, "no names or no CA: ARG");
}

static void
test_guard_authz(struct store *st, int64_t alice, int64_t bob)
{
	char *const	 ids1[] = { S("fail.example"), S("ok.example"),
	    S("slow.example") };
	const char *const urls1[] = { "1", "2", "3" };
	const enum acme_status st1[] = { ACME_S_INVALID, ACME_S_VALID,
	    ACME_S_PENDING };
	const int64_t w1[] = { 5000, 5000, 5000 };
	char *const	 ids2[] = { S("fail.example"), S("*.fail.example") };
	const char *const urls2[] = { "4", "5" };
	const enum acme_status st2[] = { ACME_S_INVALID, ACME_S_INVALID };
	const int64_t w2[] = { 5100, 5200 };
	/* The CA handed authorization 4 to a second order too. */
	char *const	 ids3[] = { S("fail.example") };
	const char *const urls3[] = { "4" };
	const enum acme_status st3[] = { ACME_S_INVALID };
	const int64_t w3[] = { 5100 };
	const char *const urls4[] = { "6" };
	const int64_t w4[] = { 5300 };
	char		*f[] = { S("fail.example") };
	char		*fw[] = { S("fail.example"), S("*.fail.example"),
	    S("ok.example") };
	char		*o[] = { S("ok.example"), S("slow.example") };
	int64_t		 acc, other, n = -1;

	acc = guard_account(st, alice, CA1);
	other = guard_account(st, bob, CA1);
	ok(store_authz_failures(st, acc, f, 1, 0, &n) == PANEL_OK && n == 0,
	    "no failures yet: 0");
	guard_order(st, alice, acc, 3, ids1, urls1, st1, w1);
	guard_order(st, alice, acc, 2, ids2, urls2, st2, w2);
	guard_order(st, alice, acc, 1, ids3, urls3, st3, w3);
	guard_order(st, bob, other, 1, ids3, urls4, st3, w4);

	ok(store_authz_failures(st, acc, f, 1, 4000, &n) == PANEL_OK && n == 2,
	    "invalid authorizations of the name, one CA authorization in "
	    "two orders counted once");
	ok(store_authz_failures(st, acc, f, 1, 5050, &n) == PANEL_OK && n == 1,
	    "only failures inside the window");
	ok(store_authz_failures(st, acc, fw, 3, 4000, &n) == PANEL_OK &&
	    n == 3, "any of several names (the wildcard is its own)");
	ok(store_authz_failures(st, acc, o, 2, 0, &n) == PANEL_OK && n == 0,
	    "valid and pending authorizations are no failures");
	ok(store_authz_failures(st, other, f, 1, 0, &n) == PANEL_OK &&
	    n == 1, "another account counts its own");
	ok(store_authz_failures(st, acc, f, 1, 6000, &n) == PANEL_OK &&
	    n == 0, "window after the last failure: 0");
	ok(store_authz_failures(st, acc, f, 0, 0, &n) == PANEL_ERR_ARG,
	    "no names: ARG");
}

/* A database made by the program before 0004, with certificates in it:
 * the migration fills their names_key. */
static void
test_guard_migration(void)
{
	struct store	*st = NULL;
	sqlite3		*db;
	char		 path[300], *q[] = { S("y.example"), S("x.example") };
	int64_t		 n = -1;
	int		 i, rc = SQLITE_OK;

	snprintf(path, sizeof(path), "%s/v3.db", dir);
	db = raw_open(path);
	for (i = 1; i <= 3 && rc == SQLITE_OK; i++)
		rc = sqlite3_exec(db, store_migration_sql(i), NULL, NULL,
		    NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
		    "INSERT INTO users (id, name, created, updated) "
		    "VALUES (1, 'old', 1, 1);"
		    "INSERT INTO accounts (id, owner, ca_url, key_type, "
		    "created, updated) VALUES (1, 1, '" CA1 "', 'ec-256', 1, 1);"
		    "INSERT INTO certificates (owner, account_id, serial, "
		    "not_before, not_after, domains, chain_pem, created, "
		    "updated) VALUES "
		    "(1, 1, '01', 1, 2, '[\"x.example\",\"Y.example\"]', "
		    "'', 10, 10), "
		    "(1, 1, '02', 1, 2, '[\"y.example\",\"x.example\"]', "
		    "'', 20, 20), "
		    "(1, 1, '03', 1, 2, '[\"x.example\"]', '', 30, 30);",
		    NULL, NULL, NULL);
	ok(rc == SQLITE_OK && raw_int(db, "PRAGMA user_version") == 3,
	    "a version 3 database with certificates: %s",
	    sqlite3_errmsg(db));
	sqlite3_close(db);
	ok(store_open(path, &st) == PANEL_OK, "migrated to 4");
	ok(st != NULL && store_cert_count_names(st, q, 2, CA1, 0, &n) ==
	    PANEL_OK && n == 2, "older certificates are found by their "
	    "names");
	store_close(st);
	db = raw_open(path);
	is_int(raw_int(db, "SELECT count(*) FROM certificates WHERE "
	    "names_key IS NULL"), 0, "every names_key filled");
	sqlite3_close(db);
	unlink_db(path);
}

static void
test_guard(void)
{
	struct store	*st = NULL;
	sqlite3		*db;
	char		 path[300];
	int64_t		 alice = 0, bob = 0;

	snprintf(path, sizeof(path), "%s/guard.db", dir);
	if (store_open(path, &st) != PANEL_OK)
		tap_bail("store_open %s", path);
	store_user_add(st, "alice", NULL, PANEL_ROLE_USER, &alice);
	store_user_add(st, "bob", NULL, PANEL_ROLE_USER, &bob);
	test_guard_certs(st, alice, bob);
	test_guard_authz(st, alice, bob);
	store_close(st);

	db = raw_open(path);
	ok(plan_uses(db, ST_GUARD_CERT_COUNT, "certificates_names") &&
	    plan_uses(db, ST_GUARD_CERT_NTH, "certificates_names"),
	    "certificate counts search certificates_names");
	ok(plan_uses(db, ST_GUARD_AUTHZ_FAILS, "authorizations_failed"),
	    "failure counts search authorizations_failed");
	test_order_plans(db);
	sqlite3_close(db);
	unlink_db(path);
	test_guard_migration();
}

static void
test_two_connections(struct store *st)
{
	struct store	*st2 = NULL;
	struct store_user *u = NULL;

	ok(store_open(dbpath, &st2) == PANEL_OK, "second connection");
	store_busy_timeout(st2, 100);
	ok(store_begin(st) == PANEL_OK, "A: BEGIN IMMEDIATE");
	ok(store_begin(st2) == PANEL_ERR_BUSY, "B: BEGIN IMMEDIATE waits, "
	    "then BUSY");
	ok(store_user_add(st, "carol", NULL, PANEL_ROLE_USER, NULL) ==
	    PANEL_OK && store_commit(st) == PANEL_OK, "A commits");
	ok(store_begin(st2) == PANEL_OK && store_user_by_name(st2, "carol",
	    &u) == PANEL_OK && store_commit(st2) == PANEL_OK,
	    "B then sees A's write");
	store_user_free(u);

	/* Nested levels are savepoints. */
	ok(store_begin(st) == PANEL_OK && store_user_add(st, "dave", NULL,
	    PANEL_ROLE_USER, NULL) == PANEL_OK && store_begin(st) == PANEL_OK &&
	    store_user_add(st, "erin", NULL, PANEL_ROLE_USER, NULL) ==
	    PANEL_OK, "outer and inner writes");
	store_rollback(st);
	ok(store_commit(st) == PANEL_OK, "outer commit");
	ok(store_user_by_name(st2, "dave", &u) == PANEL_OK, "outer kept");
	store_user_free(u);
	u = NULL;
	ok(store_user_by_name(st2, "erin", &u) == PANEL_ERR_NOTFOUND,
	    "inner rolled back");
	ok(store_commit(st) == PANEL_ERR_ARG, "commit without begin: ARG");

	/* A read snapshot: B's reads see one state until it ends, and a
	 * write begun inside it ends it and sees (and keeps) A's rows. */
	ok(store_read_begin(st2) == 1, "B: read snapshot begins");
	ok(store_read_begin(st2) == 0, "not twice");
	ok(store_user_by_name(st2, "dave", &u) == PANEL_OK, "B reads");
	store_user_free(u);
	u = NULL;
	ok(store_user_add(st, "frank", NULL, PANEL_ROLE_USER, NULL) ==
	    PANEL_OK, "A writes meanwhile");
	ok(store_user_by_name(st2, "frank", &u) == PANEL_ERR_NOTFOUND,
	    "B's snapshot does not see it");
	ok(store_begin(st2) == PANEL_OK && store_user_by_name(st2, "frank",
	    &u) == PANEL_OK && store_user_add(st2, "gina", NULL,
	    PANEL_ROLE_USER, NULL) == PANEL_OK && store_commit(st2) ==
	    PANEL_OK, "a write inside ends the snapshot, sees A's row, "
	    "commits");
	store_user_free(u);
	u = NULL;
	store_read_end(st2, 1);
	ok(store_user_by_name(st, "gina", &u) == PANEL_OK,
	    "and the write is kept after the snapshot's end");
	store_user_free(u);
	u = NULL;
	/* A write of one statement (no store_begin) inside a snapshot that
	 * another connection has written past: it still goes through. */
	ok(store_read_begin(st2) == 1 && store_user_by_name(st2, "gina", &u)
	    == PANEL_OK, "B: snapshot, read");
	store_user_free(u);
	u = NULL;
	ok(store_user_add(st, "hank", NULL, PANEL_ROLE_USER, NULL) ==
	    PANEL_OK, "A writes after B's snapshot began");
	ok(store_user_add(st2, "ivy", NULL, PANEL_ROLE_USER, NULL) ==
	    PANEL_OK, "B's single write ends the snapshot and is not "
	    "refused as stale");
	ok(store_user_by_name(st2, "hank", &u) == PANEL_OK,
	    "B then reads A's row");
	store_user_free(u);
	u = NULL;
	store_read_end(st2, 1);
	ok(store_user_by_name(st, "ivy", &u) == PANEL_OK, "B's row is kept");
	store_user_free(u);
	u = NULL;
	ok(store_read_begin(st2) == 1, "B: a second snapshot");
	store_read_end(st2, 1);
	ok(store_user_by_name(st2, "frank", &u) == PANEL_OK,
	    "after its end B reads the newest state");
	store_user_free(u);
	store_close(st2);
}

/* The trigger-kept order counts (0009) match a count of the orders
 * after everything the tests above did to them. */
static void
test_order_counts(struct store *st, int64_t alice)
{
	struct store_order_filter	 f;
	struct store_order_list		*l = NULL;
	sqlite3				*db = NULL;
	char				 sql[128];
	long long			 want;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		tap_bail("sqlite3_open_v2");
	kept_check(db, "order_counts", "status", "orders", "1", "status",
	    "every owner's and status's order count is kept",
	    "and no count is kept for orders that are not there");
	memset(&f, 0, sizeof(f));
	f.owner = alice;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM orders WHERE "
	    "owner = %lld", (long long)alice);
	want = raw_int(db, sql);
	ok(want > 0 && store_order_list(st, &f, &l) == PANEL_OK &&
	    l->total == want, "alice's list's total is the count (%lld)",
	    (long long)want);
	store_order_list_free(l);
	sqlite3_close(db);
}

/* The test database opened beside the store, in a transaction. */
static sqlite3 *
raw_begin(void)
{
	sqlite3	*db = NULL;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		tap_bail("sqlite3_open");
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		tap_bail("BEGIN");
	return db;
}

/*
 * A time of row i for the random-count tests: within span days from
 * back days before t0, every 7th on a day's first or last second.
 */
static int64_t
rnd_edge_time(unsigned *seed, int i, int64_t t0, int span, int back)
{
	const int64_t	 day = 86400;
	int64_t		 t;

	*seed = *seed * 1103515245 + 12345;
	t = t0 + (int64_t)(*seed >> 8) % (span * day) - back * day;
	if (i % 7 == 0)
		t = t / day * day + (i % 2 ? day - 1 : 0);
	return t;
}

/*
 * Behind the store's back, the rows of table that where picks: some
 * moved by days in column at (at + 86400 * (id % days) - back), some
 * turned to status to and some to 'valid', some deleted, some moved
 * between alice and bob; then COMMIT.  SQLite's result codes or'ed.
 */
static int
raw_shuffle(sqlite3 *db, const char *table, const char *where,
    const char *at, int days, int back, const char *to, int64_t alice,
    int64_t bob)
{
	char	 sql[1024];
	int	 rc = 0;

	snprintf(sql, sizeof(sql), "UPDATE %s SET %s = %s + 86400 * "
	    "(id %% %d) - %d WHERE %s AND id %% 4 = 0; UPDATE %s SET status "
	    "= '%s' WHERE %s AND id %% 9 = 1; UPDATE %s SET status = 'valid' "
	    "WHERE %s AND id %% 11 = 2; DELETE FROM %s WHERE %s AND "
	    "id %% 13 = 3; UPDATE %s SET owner = CASE owner WHEN %lld THEN "
	    "%lld ELSE %lld END WHERE %s AND id %% 6 = 5", table, at, at, days,
	    back, where, table, to, where, table, where, table, where, table,
	    (long long)alice, (long long)bob, (long long)alice, where);
	rc |= sqlite3_exec(db, sql, NULL, NULL, NULL);
	rc |= sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/*
 * "Expiring within the window" from the per-day counts of 0010 and the
 * two edge days equals a plain count, for windows of every shape, after
 * inserts, updates (status, owner, not_after) and deletes.
 */
static void
test_expiry_days(struct store *st, int64_t alice, int64_t bob,
    int64_t aacc)
{
	static const char *const status[] = { "valid", "valid", "revoked",
	    "replaced" };
	struct store_counts	 c;
	sqlite3			*db = NULL;
	char			 sql[512];
	const int64_t		 t0 = 1800000000, day = 86400;
	int64_t			 from, soon, owners[3] = { 0, 0, 0 };
	long long		 want;
	unsigned		 seed = 7;
	int			 i, k, bad = 0, checked = 0, rc = 0;

	owners[1] = alice;
	owners[2] = bob;
	db = raw_begin();
	for (i = 0; i < 400; i++) {
		from = rnd_edge_time(&seed, i, t0, 45, 5);
		snprintf(sql, sizeof(sql), "INSERT INTO certificates (owner, "
		    "account_id, serial, not_before, not_after, domains, "
		    "chain_pem, status, created, updated) VALUES (%lld, %lld, "
		    "'e%d', 0, %lld, '[\"x.example\"]', 'pem', '%s', 0, 0)",
		    (long long)(i % 3 ? alice : bob), (long long)aacc, i,
		    (long long)from, status[(seed >> 4) % 4]);
		rc |= sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	/* Moves between days, owners and statuses; some leave. */
	rc |= raw_shuffle(db, "certificates", "serial LIKE 'e%'",
	    "not_after", 5, 3600, "revoked", alice, bob);
	ok(rc == SQLITE_OK, "400 certificates written, moved and deleted "
	    "behind the store's back");
	kept_check(db, "cert_expiry_below", "day", "certificates",
	    "status = 'valid'", "not_after / 86400",
	    "the triggers keep every owner's count per day",
	    "and nothing else");
	below_check(db, "cert_expiry_below", "certificates",
	    "status = 'valid'", "not_after / 86400",
	    "and how many expire on the days before each");
	kept_check(db, "cert_counts", "0", "certificates", "1", "0",
	    "the triggers keep every owner's certificate count",
	    "and no other");
	for (i = 0; i < 600; i++) {
		seed = seed * 1103515245 + 12345;
		from = t0 + (int64_t)(seed >> 8) % (50 * day) - 8 * day;
		seed = seed * 1103515245 + 12345;
		/* Same day, a day's edges, 30 days, anything up to 40. */
		switch (i % 5) {
		case 0:
			soon = from + (int64_t)(seed >> 8) % (day / 2);
			break;
		case 1:
			from = from / day * day;
			soon = from + 30 * day;
			break;
		case 2:
			soon = (from / day + 1) * day;
			break;
		case 3:
			soon = from + 30 * day;
			break;
		default:
			soon = from + (int64_t)(seed >> 8) % (40 * day);
			break;
		}
		for (k = 0; k < 3; k++) {
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM "
			    "certificates WHERE status = 'valid' AND "
			    "not_after >= %lld AND not_after < %lld%s%lld",
			    (long long)from, (long long)soon,
			    k ? " AND owner = " : " AND 0 = ",
			    (long long)owners[k]);
			want = raw_int(db, sql);
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM "
			    "certificates WHERE status = 'valid' AND "
			    "not_after >= %lld%s%lld", (long long)from,
			    k ? " AND owner = " : " AND 0 = ",
			    (long long)owners[k]);
			if (store_dashboard_counts_from(st, owners[k], from,
			    soon, 0, &c) != PANEL_OK || c.certs_expiring != want
			    || c.certs_valid != raw_int(db, sql))
				bad++;
			checked++;
		}
	}
	ok(bad == 0, "valid and expiring counts equal plain counts in %d "
	    "windows "
	    "(%d differ)", checked, bad);
	sqlite3_close(db);
}

/*
 * "Failed since" from the per-day counts of 0012 and the window's first
 * day equals a plain count, after inserts, updates (status, owner,
 * updated) and deletes made behind the store's back.
 */
static void
test_fail_days(struct store *st, int64_t alice, int64_t bob, int64_t aacc)
{
	static const char *const status[] = { "invalid", "valid",
	    "pending", "invalid" };
	struct store_counts	 c;
	sqlite3			*db = NULL;
	char			 sql[512];
	const int64_t		 t0 = 1800000000, day = 86400;
	int64_t			 t, since, owners[3] = { 0, 0, 0 };
	unsigned		 seed = 11;
	int			 i, k, bad = 0, checked = 0, rc = 0;

	owners[1] = alice;
	owners[2] = bob;
	db = raw_begin();
	for (i = 0; i < 300; i++) {
		t = rnd_edge_time(&seed, i, t0, 20, 10);
		snprintf(sql, sizeof(sql), "INSERT INTO orders (owner, "
		    "account_id, status, domains, key_type, created, updated) "
		    "VALUES (%lld, %lld, '%s', '[\"f%d.example\"]', 'ec-256', "
		    "0, %lld)", (long long)(i % 3 ? alice : bob),
		    (long long)aacc, status[(seed >> 4) % 4], i, (long long)t);
		rc |= sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	rc |= raw_shuffle(db, "orders", "domains LIKE '%f%.example%'",
	    "updated", 3, 7200, "invalid", alice, bob);
	ok(rc == SQLITE_OK, "300 orders written, moved and deleted behind "
	    "the store's back");
	kept_check(db, "order_fail_below", "day", "orders",
	    "status = 'invalid'", "updated / 86400",
	    "the triggers keep every owner's failed orders per day",
	    "and nothing else");
	below_check(db, "order_fail_below", "orders", "status = 'invalid'",
	    "updated / 86400", "and how many failed on the days before each");
	for (i = 0; i < 400; i++) {
		seed = seed * 1103515245 + 12345;
		since = t0 + (int64_t)(seed >> 8) % (30 * day) - 15 * day;
		if (i % 4 == 0)
			since = since / day * day + (i % 8 ? 0 : day - 1);
		for (k = 0; k < 3; k++) {
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM orders "
			    "WHERE status = 'invalid' AND updated >= %lld%s%lld",
			    (long long)since, k ? " AND owner = " :
			    " AND 0 = ", (long long)owners[k]);
			if (store_dashboard_counts_from(st, owners[k], t0,
			    t0 + 30 * day, since, &c) != PANEL_OK ||
			    c.orders_failed != raw_int(db, sql))
				bad++;
			checked++;
		}
	}
	ok(bad == 0, "failed counts equal plain counts for %d times "
	    "(%d differ)", checked, bad);
	sqlite3_close(db);
}

/* Each name table parses its own names back, and nothing else. */
static void
test_names(void)
{
	static const char *const miss[] = { "", "p", "pend", "pendin",
	    "pendingx", "Pending", " valid", "valid ", "v", "invalidd",
	    "admi", "users", "x" };
	enum store_ord_status	 os;
	enum store_acc_status	 as;
	enum store_cert_status	 cs;
	enum store_bill_state	 bs;
	enum panel_role		 ro;
	size_t			 i, bad = 0;
	int			 k;

	for (k = 0; k < STORE_ORD__MAX; k++)
		bad += store_ord_status_parse(store_ord_status_name(k),
		    &os) != 0 || (int)os != k;
	for (k = 0; k < STORE_ACC__MAX; k++)
		bad += store_acc_status_parse(store_acc_status_name(k),
		    &as) != 0 || (int)as != k;
	for (k = 0; k < STORE_CERT__MAX; k++)
		bad += store_cert_status_parse(store_cert_status_name(k),
		    &cs) != 0 || (int)cs != k;
	for (k = 0; k < STORE_BILL__MAX; k++)
		bad += store_bill_state_parse(store_bill_state_name(k),
		    &bs) != 0 || (int)bs != k;
	for (k = 0; k < PANEL_ROLE__MAX; k++)
		bad += panel_role_parse(panel_role_name(k), &ro) != 0 ||
		    (int)ro != k;
	ok(bad == 0, "every status, state and role name parses back");
	bad = store_ord_status_parse(NULL, &os) != -1;
	for (i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
		bad += store_ord_status_parse(miss[i], &os) != -1 ||
		    store_acc_status_parse(miss[i], &as) != -1 ||
		    store_cert_status_parse(miss[i], &cs) != -1 ||
		    store_bill_state_parse(miss[i], &bs) != -1 ||
		    panel_role_parse(miss[i], &ro) != -1;
	ok(bad == 0, "NULL and %zu near misses (prefixes, longer, case, "
	    "spaces, empty) are refused", i);
}

/* A random JSON-ish array of names into buf (the pieces strv_json
 * writes, and now and then what only jansson reads, or nothing reads). */
static void
rand_names(uint64_t *x, char *buf, size_t len)
{
	static const char *const bits[] = { "a", "b", "z", ".", "-", "*",
	    "0", "9", " ", "_", "~", "!", "xn--", "example.com", "\\\"",
	    "\\\\", "\\u00e9", "\\u0041", "\xc3\xa9", "\t", "/", "\\/",
	    "\x7f", "\\n", "[", "]", ",", "\"" };
	static const char *const gaps[] = { "", "", "", " ", "  ", "\n",
	    "\t", "\r" };
	size_t		 k = 0, i, j, names, parts;

#define R()	(*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17, *x)
#define PUT(t)	(k += (size_t)snprintf(buf + k, len - k, "%s", (t)), \
	k = k >= len ? len - 1 : k)
	PUT(gaps[R() % 8]);
	PUT(R() % 50 == 0 ? "{" : "[");
	names = R() % 4 == 0 ? R() % 40 : R() % 3;
	for (i = 0; i < names; i++) {
		if (i > 0)
			PUT(R() % 60 == 0 ? " " : ",");
		PUT(gaps[R() % 8]);
		PUT(R() % 80 == 0 ? "1" : "\"");
		parts = R() % 6;
		for (j = 0; j < parts; j++)
			PUT(R() % 4 != 0 ? bits[R() % 13] :
			    bits[R() % (sizeof(bits) / sizeof(bits[0]))]);
		PUT("\"");
		PUT(gaps[R() % 8]);
	}
	if (R() % 40 != 0)
		PUT("]");
	PUT(gaps[R() % 8]);
	if (R() % 40 == 0)
		PUT("x");
#undef PUT
#undef R
}

/* col_strsp: a row's text columns in one block of the pool. */
static void
test_col_strs(void)
{
	static const int cols[] = { 0, 1, 2, 3, 4, 5 };
	struct strpool	*pp = NULL;
	sqlite3		*db;
	sqlite3_stmt	*s = NULL;
	char		*a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;
	char	       **out[] = { &a, &b, &c, &d, NULL, &e };
	int		 r1, r2;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT 'abc', NULL, '', 12, 'skipped', "
	    "'x' || char(0) || 'y'", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW)
		tap_bail("col_strsp: %s", sqlite3_errmsg(db));
	r1 = col_strsp(s, cols, out, 6, &pp, 0);
	ok(r1 == 0 && strcmp(a, "abc") == 0 && b == NULL &&
	    strcmp(c, "") == 0 && strcmp(d, "12") == 0 &&
	    strcmp(e, "x") == 0,
	    "text, NULL, empty, a number as text, a text cut at its NUL");
	r2 = col_strsp(s, cols, out, 6, &pp, 1);
	ok(r2 == 0 && b != NULL && *b == '\0' && strcmp(a, "abc") == 0 &&
	    b != c, "null_empty: NULL reads as its own \"\"");
	ok(col_strsp(s, cols, out, COL_STRS_MAX + 1, &pp, 0) == -1,
	    "more than COL_STRS_MAX columns: refused");
	sqlite3_finalize(s);
	sqlite3_close(db);
	pool_free(pp);
}

/* A random JSON object into buf: mostly the shape of a stored problem,
 * now and then what only jansson reads, or nothing reads. */
static void
rand_object(uint64_t *x, char *buf, size_t len)
{
	static const char *const keys[] = { "detail", "status", "type",
	    "urn", "a", "", "retry_after", "subproblems", "k\\\"",
	    "caf\xc3\xa9" };
	static const char *const strs[] = { "", "x", "CAA record prevents "
	    "issuance", "urn:ietf:params:acme:error:caa", "a b", "~!#$%&'()*+,"
	    "-./:;<=>?@[]^_`{|}", "\\\"", "\\n", "\\u00e9", "\xc3\xa9", "\t",
	    "\x7f", "\\/" };
	static const char *const vals[] = { "0", "-0", "403", "-17", "01",
	    "1.5", "1e3", "-", "123456789012345678", "1234567890123456789",
	    "-123456789012345678", "true", "false", "null", "nul", "tru",
	    "{}", "{\"b\":1}", "[]", "[\"x\"]", "\"", "" };
	static const char *const gaps[] = { "", "", "", "", "", "", " ",
	    "\n" };
	size_t		 k = 0, i, members;

#define R()	(*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17, *x)
#define PUT(t)	(k += (size_t)snprintf(buf + k, len - k, "%s", (t)), \
	k = k >= len ? len - 1 : k)
	buf[0] = '\0';
	PUT(gaps[R() % 8]);
	PUT(R() % 60 == 0 ? "[" : "{");
	members = R() % 6;
	for (i = 0; i < members; i++) {
		if (i > 0)
			PUT(R() % 60 == 0 ? " " : ",");
		PUT(gaps[R() % 8]);
		PUT("\"");
		PUT(R() % 5 != 0 ? keys[R() % 4] :
		    keys[R() % (sizeof(keys) / sizeof(keys[0]))]);
		PUT("\"");
		PUT(gaps[R() % 8]);
		PUT(R() % 80 == 0 ? "=" : ":");
		PUT(gaps[R() % 8]);
		if (R() % 2 == 0) {
			PUT("\"");
			PUT(R() % 4 != 0 ? strs[R() % 6] :
			    strs[R() % (sizeof(strs) / sizeof(strs[0]))]);
			PUT(R() % 100 == 0 ? "" : "\"");
		} else
			PUT(vals[R() % (sizeof(vals) / sizeof(vals[0]))]);
		PUT(gaps[R() % 8]);
	}
	if (R() % 40 != 0)
		PUT("}");
	PUT(gaps[R() % 8]);
	if (R() % 40 == 0)
		PUT("x");
#undef PUT
#undef R
}

/* panel_json_load gives jansson's answer to 50,000 random objects: the
 * same refusals, the same values in the same order. */
static void
test_json_load_random(void)
{
	json_t		*a, *b;
	char		 buf[1024], *da, *db;
	uint64_t	 x = 0x2545f4914f6cdd1dULL;
	size_t		 m, bad = 0, both = 0;

	for (m = 0; m < 50000; m++) {
		rand_object(&x, buf, sizeof(buf));
		a = panel_json_load(buf);
		b = json_loads(buf, JSON_REJECT_DUPLICATES, NULL);
		da = a != NULL ? json_dumps(a, JSON_COMPACT) : NULL;
		db = b != NULL ? json_dumps(b, JSON_COMPACT) : NULL;
		if ((a == NULL) != (b == NULL) || (da != NULL && db != NULL &&
		    strcmp(da, db) != 0)) {
			if (bad++ < 3)
				tap_diag("%s: %s, jansson %s", buf,
				    da ? da : "NULL", db ? db : "NULL");
		}
		both += a != NULL && b != NULL;
		free(da);
		free(db);
		json_decref(a);
		json_decref(b);
	}
	ok(bad == 0 && panel_json_load(NULL) == NULL, "50,000 random "
	    "objects (%zu of them JSON): read as jansson reads them", both);
}

/* A names array whose first name is 40 characters, one of them at
 * offset m / 10 one of ten kinds (m < 410), others plain. */
static void
odd_names(size_t m, char *buf, size_t len)
{
	static const char *const odd[] = { "\x01", "\x1f", " ", "!", "\\\"",
	    "\\\\", "~", "\x7f", "\xc3\xa9", "\xff" };
	char	 name[64];
	size_t	 at = m / 10;

	memset(name, 'a', 40);
	name[40] = '\0';
	snprintf(buf, len, "[\"%.*s%s%s\",\"%s\"]", (int)at, name,
	    odd[m % 10], name + at + 1, name + 30);
}

/* json_strvp gives jansson's answer to 20,000 random arrays and to 410
 * with an odd character at each place of a long name: the same
 * refusals, the same names. */
static void
test_strv_random(void)
{
	struct strpool	*pp = NULL;
	json_t		*j, *e;
	char		 buf[2048], **pv;
	uint64_t	 x = 0x9e3779b97f4a7c15ULL;
	size_t		 i, m, pn, bad = 0, good = 0, many = 0;
	int		 want, got;

	for (m = 0; m < 20000 + 410; m++) {
		if (m < 20000)
			rand_names(&x, buf, sizeof(buf));
		else
			odd_names(m - 20000, buf, sizeof(buf));
		j = json_loads(buf, JSON_REJECT_DUPLICATES, NULL);
		want = j != NULL && json_is_array(j) ? 0 : -1;
		json_array_foreach(j, i, e)
			if (!json_is_string(e))
				want = -1;
		got = json_strvp(buf, &pp, &pv, &pn);
		if (got != want || (got == 0 && pn != json_array_size(j)))
			bad++;
		for (i = 0; got == 0 && want == 0 && i < pn &&
		    i < json_array_size(j); i++)
			bad += strcmp(pv[i], json_string_value(
			    json_array_get(j, i))) != 0;
		if (bad > 0 && bad < 4 && got != want)
			tap_diag("%s: %d, jansson %d", buf, got, want);
		good += got == 0;
		many += got == 0 && pn > 16;
		json_decref(j);
		if (m % 1000 == 999) {
			pool_free(pp);
			pp = NULL;
		}
	}
	pool_free(pp);
	ok(bad == 0, "20,410 arrays (%zu of strings, %zu with more than 16 "
	    "names): pooled vectors equal jansson's", good, many);
}

/*
 * The counts of 0015 at the edges of its days: certificates and failed
 * orders on either side of day 0 (which SQLite's truncating division
 * makes twice as long) and of the days next to it, asked for with bounds
 * on those same seconds and at both ends of int64_t.
 */
static void
test_dash_edges(struct store *st, int64_t alice, int64_t bob, int64_t aacc)
{
	static const int64_t	 at[] = { -2 * 86400 - 1, -2 * 86400,
	    -86401, -86400, -86399, -1, 0, 1, 86399, 86400, 86401,
	    2 * 86400 };
	const int64_t		 bound[] = { INT64_MIN, INT64_MIN + 1,
	    -2 * 86400 - 1, -2 * 86400, -86400, -86399, -1, 0, 1, 86399,
	    86400, 2 * 86400, 2 * 86400 + 1, INT64_MAX };
	const size_t		 nat = sizeof(at) / sizeof(at[0]);
	const size_t		 nb = sizeof(bound) / sizeof(bound[0]);
	struct store_counts	 c;
	sqlite3			*db = NULL;
	char			 sql[512], w[64];
	int64_t			 owners[3] = { 0, 0, 0 }, from, soon;
	long long		 valid, expiring, failed;
	size_t			 i, j, k;
	int			 rc = 0, bad = 0, checked = 0;

	owners[1] = alice;
	owners[2] = bob;
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		tap_bail("sqlite3_open");
	sqlite3_busy_timeout(db, 5000);
	rc |= sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < 3 * nat; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO certificates (owner, "
		    "account_id, serial, not_before, not_after, domains, "
		    "chain_pem, status, created, updated) VALUES (%lld, %lld, "
		    "'z%zu', 0, %lld, '[\"z.example\"]', 'pem', 'valid', 0, "
		    "0)", (long long)(i % 2 ? alice : bob), (long long)aacc,
		    i, (long long)at[i % nat]);
		rc |= sqlite3_exec(db, sql, NULL, NULL, NULL);
		snprintf(sql, sizeof(sql), "INSERT INTO orders (owner, "
		    "account_id, status, domains, key_type, created, updated) "
		    "VALUES (%lld, %lld, 'invalid', '[\"z%zu.example\"]', "
		    "'ec-256', 0, %lld)", (long long)(i % 2 ? alice : bob),
		    (long long)aacc, i, (long long)at[i % nat]);
		rc |= sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	/* Across day 0 and back, out and in again. */
	rc |= sqlite3_exec(db, "UPDATE certificates SET not_after = "
	    "-not_after WHERE serial LIKE 'z%' AND id % 3 = 0; "
	    "UPDATE certificates SET status = 'revoked' WHERE serial LIKE "
	    "'z%' AND id % 5 = 1; DELETE FROM certificates WHERE serial "
	    "LIKE 'z%' AND id % 7 = 2; UPDATE orders SET updated = "
	    "-updated WHERE domains LIKE '%z%.example%' AND id % 3 = 0; "
	    "UPDATE orders SET status = 'valid' WHERE domains LIKE "
	    "'%z%.example%' AND id % 5 = 1; DELETE FROM orders WHERE "
	    "domains LIKE '%z%.example%' AND id % 7 = 2", NULL, NULL, NULL);
	/* Accounts in and out of 'valid', between owners, and gone. */
	for (i = 0; i < 40; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO accounts (owner, "
		    "ca_url, key_type, status, created, updated) VALUES "
		    "(%lld, 'https://z.example/%zu', 'ec-256', '%s', 0, 0)",
		    (long long)(i % 3 ? alice : bob), i,
		    i % 4 ? "valid" : "new");
		rc |= sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	snprintf(sql, sizeof(sql), "UPDATE accounts SET status = CASE "
	    "status WHEN 'valid' THEN 'deactivated' ELSE 'valid' END WHERE "
	    "ca_url LIKE 'https://z.example/%%' AND id %% 3 = 0; UPDATE "
	    "accounts SET owner = %lld WHERE ca_url LIKE "
	    "'https://z.example/%%' AND id %% 5 = 1; DELETE FROM accounts "
	    "WHERE ca_url LIKE 'https://z.example/%%' AND id %% 7 = 2",
	    (long long)bob);
	rc |= sqlite3_exec(db, sql, NULL, NULL, NULL);
	rc |= sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	ok(rc == SQLITE_OK, "certificates and failed orders around day 0, "
	    "accounts moved");
	totals_check(db, "dash_totals holds every owner's numbers",
	    "and a row for every owner who has one");
	kept_check(db, "cert_expiry_below", "day", "certificates",
	    "status = 'valid'", "not_after / 86400",
	    "day 0's certificates counted as SQLite divides",
	    "and no other day");
	below_check(db, "cert_expiry_below", "certificates",
	    "status = 'valid'", "not_after / 86400",
	    "and those of the days before each");
	kept_check(db, "order_fail_below", "day", "orders",
	    "status = 'invalid'", "updated / 86400",
	    "day 0's failed orders counted as SQLite divides",
	    "and no other day");
	below_check(db, "order_fail_below", "orders", "status = 'invalid'",
	    "updated / 86400", "and those of the days before each");
	for (i = 0; i < nb; i++)
		for (j = 0; j < nb; j++)
			for (k = 0; k < 3; k++) {
				from = bound[i];
				soon = bound[j];
				if (k == 0)
					snprintf(w, sizeof(w), "1");
				else
					snprintf(w, sizeof(w), "owner = %lld",
					    (long long)owners[k]);
				snprintf(sql, sizeof(sql), "SELECT count(*) "
				    "FROM certificates WHERE status = "
				    "'valid' AND not_after >= %lld AND %s",
				    (long long)from, w);
				valid = raw_int(db, sql);
				snprintf(sql, sizeof(sql), "SELECT count(*) "
				    "FROM certificates WHERE status = "
				    "'valid' AND not_after >= %lld AND "
				    "not_after < %lld AND %s",
				    (long long)from, (long long)soon, w);
				expiring = raw_int(db, sql);
				/* since: the same bounds, the other way. */
				snprintf(sql, sizeof(sql), "SELECT count(*) "
				    "FROM orders WHERE status = 'invalid' "
				    "AND updated >= %lld AND %s",
				    (long long)soon, w);
				failed = raw_int(db, sql);
				if (store_dashboard_counts_from(st, owners[k],
				    from, soon, soon, &c) != PANEL_OK ||
				    c.certs_valid != valid ||
				    c.certs_expiring != expiring ||
				    c.orders_failed != failed)
					bad++;
				checked++;
			}
	ok(bad == 0, "valid, expiring and failed equal plain counts for %d "
	    "pairs of bounds (%d differ)", checked, bad);
	for (k = 0, bad = 0; k < 3; k++) {
		snprintf(w, sizeof(w), k ? "owner = %lld" : "%lld = 0",
		    (long long)owners[k]);
		snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM "
		    "accounts WHERE status = 'valid' AND %s) * 1000000 + "
		    "(SELECT count(*) FROM orders WHERE status IN ('new', "
		    "'pending', 'ready', 'processing') AND %s)", w, w);
		if (store_dashboard_counts_from(st, owners[k], 0, 0, 0, &c) !=
		    PANEL_OK || c.accounts * 1000000 + c.orders_active !=
		    raw_int(db, sql))
			bad++;
	}
	ok(bad == 0, "active accounts and orders of each owner and of all");
	ok(store_dashboard_counts_from(st, 999999, 0, 1, 0, &c) == PANEL_OK &&
	    c.accounts == 0 && c.orders_active == 0 && c.certs_valid == 0 &&
	    c.certs_expiring == 0 && c.orders_failed == 0,
	    "an owner with nothing: zeros");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM certificates WHERE "
	    "status = 'valid' AND not_after < 0");
	ok(store_dashboard_counts(st, 0, 0, 0, &c) == PANEL_OK &&
	    c.certs_expiring == raw_int(db, sql) && c.certs_valid ==
	    raw_int(db, "SELECT count(*) FROM certificates WHERE status = "
	    "'valid'"), "without a start: every valid certificate, and "
	    "those before the end expiring");
	sqlite3_close(db);
}

/*
 * The dashboard's lists come from 0015's indexes alone, in their order:
 * no certificate or order row read (the API's failures still look up
 * each one's certificate), no sort.
 */
static void
test_dash_plans(void)
{
	static const struct {
		enum stmt	 id;
		const char	*index;
	} want[] = {
		{ ST_CERT_EXPIRING_BRIEF,
		    "COVERING INDEX certificates_owner_valid_expiry" },
		{ ST_CERT_EXPIRING_ALL_BRIEF,
		    "COVERING INDEX certificates_valid_expiry" },
		{ ST_ORD_FAILURES_BRIEF,
		    "COVERING INDEX orders_owner_failures" },
		{ ST_ORD_FAILURES_ALL_BRIEF, "COVERING INDEX orders_failures" },
		{ ST_ORD_FAILURES, "COVERING INDEX orders_owner_failures" },
		{ ST_ORD_FAILURES_ALL, "COVERING INDEX orders_failures" },
	};
	sqlite3	*db;
	size_t	 i;

	db = raw_open(dbpath);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ok(plan_uses(db, want[i].id, want[i].index) &&
		    !plan_uses(db, want[i].id, "TEMP B-TREE"),
		    "dashboard list %zu: %s, no sort", i, want[i].index);
	}
	sqlite3_close(db);
}

/*
 * The brief certificates list (the list page's) holds what the full one
 * holds in the columns it reads, page after page, for each owner.
 */
static void
test_cert_list_brief(struct store *st, int64_t alice, int64_t bob)
{
	struct store_cert_list		*f = NULL, *b = NULL;
	struct store_cert_cursor	 cur;
	const int64_t			 owners[] = { 0, alice, bob };
	size_t				 i, k, d;
	int				 bad = 0, rows = 0, pages, more;

	for (k = 0; k < sizeof(owners) / sizeof(owners[0]); k++) {
		for (pages = 0, more = 1; more && pages < 100; pages++) {
			if (store_cert_list(st, owners[k], pages ? &cur : NULL,
			    7, 0, &f) != PANEL_OK ||
			    store_cert_list(st, owners[k], pages ? &cur : NULL,
			    7, 1, &b) != PANEL_OK) {
				bad++;
				break;
			}
			bad += f->n != b->n || f->total != b->total ||
			    f->next.id != b->next.id ||
			    f->next.not_after != b->next.not_after;
			for (i = 0; i < f->n && i < b->n; i++, rows++) {
				const struct store_cert *x = &f->v[i];
				const struct store_cert *y = &b->v[i];

				bad += x->id != y->id ||
				    x->order_id != y->order_id ||
				    x->owner != y->owner ||
				    x->not_after != y->not_after ||
				    x->status != y->status ||
				    strcmp(x->serial, y->serial) != 0 ||
				    x->ndomains != y->ndomains;
				for (d = 0; d < x->ndomains &&
				    d < y->ndomains; d++)
					bad += strcmp(x->domains[d],
					    y->domains[d]) != 0;
			}
			cur = f->next;
			more = f->next.id != 0;
			store_cert_list_free(f);
			store_cert_list_free(b);
			f = b = NULL;
		}
		store_cert_list_free(f);
		store_cert_list_free(b);
		f = b = NULL;
	}
	ok(bad == 0 && rows > 100, "the brief certificates list agrees with "
	    "the full one (%d rows, %d differ)", rows, bad);
}

/* The string pool of list rows (store.c) and the vectors cut from it. */
static void
test_pool(void)
{
	struct strpool	*pp = NULL;
	char		*v[3000], *big, **sv = NULL, **pv = NULL, exp[48];
	char		 json[64 * 200 + 8];
	size_t		 i, k, sn = 0, pn = 0, bad = 0, misaligned = 0;
	int		 r1, r2;

	for (i = 0; i < 3000; i++) {
		snprintf(exp, sizeof(exp), "s%zu-%.*s", i, (int)(i % 37),
		    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq");
		v[i] = pool_strndup(&pp, exp, strlen(exp));
		if (v[i] == NULL)
			tap_bail("pool_strndup");
		misaligned += (uintptr_t)v[i] % _Alignof(max_align_t) != 0;
	}
	if ((big = pool_alloc(&pp, 20000)) == NULL)
		tap_bail("pool_alloc");
	memset(big, 'x', 20000);
	for (i = 0; i < 3000; i++) {
		snprintf(exp, sizeof(exp), "s%zu-%.*s", i, (int)(i % 37),
		    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq");
		bad += strcmp(v[i], exp) != 0;
	}
	ok(bad == 0 && misaligned == 0, "3,000 strings over many blocks and "
	    "one larger than a block: intact and aligned");
	ok(pool_strndup(&pp, "abc", 1) != NULL &&
	    strcmp(pool_strndup(&pp, "abc", 2), "ab") == 0,
	    "pool_strndup cuts at len");

	/* The same vectors with and without the pool, both parsers. */
	k = (size_t)snprintf(json, sizeof(json), "[");
	for (i = 0; i < 200; i++)
		k += (size_t)snprintf(json + k, sizeof(json) - k, "%s\"n%zu.%s"
		    "\"", i > 0 ? "," : "", i, "long-name.example.com");
	snprintf(json + k, sizeof(json) - k, "]");
	r1 = json_strv(json, &sv, &sn);
	r2 = json_strvp(json, &pp, &pv, &pn);
	for (i = 0, bad = 0; r1 == 0 && r2 == 0 && i < sn && i < pn; i++)
		bad += strcmp(sv[i], pv[i]) != 0;
	ok(r1 == 0 && r2 == 0 && sn == 200 && pn == 200 && bad == 0 &&
	    strcmp(pv[199], "n199.long-name.example.com") == 0,
	    "200 names (%zu bytes): pooled vector equals the plain one",
	    strlen(json));
	panel_strv_free(sv, sn);
	ok(json_strvp("[\"caf\\u00e9\", \"a\\\"b\"]", &pp, &pv, &pn) ==
	    0 && pn == 2 && strcmp(pv[0], "caf\xc3\xa9") == 0 &&
	    strcmp(pv[1], "a\"b") == 0, "escapes go through jansson, pooled");
	ok(json_strvp("[]", &pp, &pv, &pn) == 0 && pn == 0 && pv == NULL,
	    "empty array");
	ok(json_strvp("[\"a\", 1]", &pp, &pv, &pn) == -1 &&
	    json_strvp("[\"a\"", &pp, &pv, &pn) == -1 &&
	    json_strvp("[\"a\" \"b\"]", &pp, &pv, &pn) == -1,
	    "not an array of strings: refused, pooled or not");
	{
		static const struct {
			const char	*in;
			int		 rc;
			size_t		 n;
			const char	*first;
		} in[] = {
			{ "[]", 0, 0, NULL },
			{ " [ ] ", 0, 0, NULL },
			{ "[\"a\"]", 0, 1, "a" },
			{ "[ \"a\" , \"b c\" ]\n", 0, 2, "a" },
			{ "[\"a\",]", -1, 0, NULL },
			{ "[\"a\" \"b\"]", -1, 0, NULL },
			{ "[\"a\"] x", -1, 0, NULL },
			{ "[\"\"]", 0, 1, "" },
			{ "[\"\\u0041\"]", 0, 1, "A" },
			{ "[\"x\ty\"]", -1, 0, NULL },
			{ "[\"caf\xc3\xa9\"]", 0, 1, "caf\xc3\xa9" },
			{ "[\"a]", -1, 0, NULL },
			{ "[1]", -1, 0, NULL },
			{ "{}", -1, 0, NULL },
			{ "", -1, 0, NULL },
			{ "[\"a\",\"a\"]", 0, 2, "a" },
			{ "[\"]\"]", 0, 1, "]" },
			{ "[\"a\",\"b\"]]", -1, 0, NULL },
		};
		size_t	 m, j;

		for (m = 0, bad = 0; m < sizeof(in) / sizeof(in[0]); m++) {
			r1 = json_strv(in[m].in, &sv, &sn);
			r2 = json_strvp(in[m].in, &pp, &pv, &pn);
			if (r1 != in[m].rc || r2 != in[m].rc ||
			    (r1 == 0 && (sn != in[m].n || pn != in[m].n)) ||
			    (in[m].first != NULL && r1 == 0 && r2 == 0 &&
			    (strcmp(sv[0], in[m].first) != 0 ||
			    strcmp(pv[0], in[m].first) != 0))) {
				tap_diag("%zu: rc %d/%d", m, r1, r2);
				bad++;
			}
			for (j = 0; r1 == 0 && r2 == 0 && j < sn && j < pn;
			    j++)
				bad += strcmp(sv[j], pv[j]) != 0;
			if (r1 == 0)
				panel_strv_free(sv, sn);
		}
		ok(bad == 0, "pooled and plain vectors: the expected answer "
		    "to %zu odd inputs", m);
	}
	pool_free(pp);
	pool_free(NULL);
}

int
main(void)
{
	struct store	*st = NULL;
	int64_t		 alice = 0, bob = 0, root = 0, aacc = 0, bacc = 0;
	int64_t		 oid = 0;
	char		 path[300];
	const char	*suffix[] = { "", "-wal", "-shm" };
	size_t		 i;

	if (mkdtemp(dir) == NULL)
		tap_bail("mkdtemp");
	snprintf(dbpath, sizeof(dbpath), "%s/acme.db", dir);
	test_migrations();
	test_names();
	test_pool();
	test_col_strs();
	test_strv_random();
	test_json_load_random();
	if (store_open(dbpath, &st) != PANEL_OK)
		tap_bail("store_open");
	test_users(st, &alice, &bob, &root);
	test_sessions_tokens(st, alice, bob);
	test_accounts(st, alice, bob, &aacc, &bacc);
	test_orders(st, alice, bob, aacc, bacc, &oid);
	test_certs(st, alice, bob, aacc, oid);
	test_list_certs(st, alice, bob, aacc, bacc);
	test_expiry_days(st, alice, bob, aacc);
	test_fail_days(st, alice, bob, aacc);
	test_dash_edges(st, alice, bob, aacc);
	test_dash_plans();
	test_cert_list_brief(st, alice, bob);
	test_two_connections(st);
	test_order_counts(st, alice);
	test_guard();
	ok(strcmp(panel_strerror(PANEL_ERR_STALE), "lease lost") == 0 &&
	    strcmp(panel_strerror((enum panel_err)99), "unknown error") == 0,
	    "panel_strerror");
	store_close(st);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", dbpath, suffix[i]);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
