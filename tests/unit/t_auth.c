/*
 * auth: scrypt hashes, sign-in, sessions stored by hash and rotated,
 * CSRF, the rate limit, the scrypt cap, bearer tokens, REMOTE_USER,
 * roles.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "panel.h"
#include "tap.h"

static char	 dir[] = "/tmp/t_auth.XXXXXX";
static char	 dbpath[256], lockpath[256];

/* Counts rows of sql (one ? bound to text) on a raw connection. */
static long long
raw_count(const char *sql, const char *text)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	long long	 n = -1;

	if (sqlite3_open(dbpath, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void
test_passwords(const struct auth_policy *pol)
{
	char	*mcf = NULL, *mcf2 = NULL;

	ok(auth_password_hash(pol, "correct horse", &mcf) == PANEL_OK &&
	    strncmp(mcf, "$s1$", 4) == 0, "scrypt MCF hash");
	ok(auth_password_hash(pol, "correct horse", &mcf2) == PANEL_OK &&
	    strcmp(mcf, mcf2) != 0, "salted: two hashes differ");
	ok(auth_password_check(pol, mcf, "correct horse") == PANEL_OK,
	    "right password");
	ok(auth_password_check(pol, mcf, "correct horsE") == PANEL_ERR_AUTH,
	    "wrong password");
	ok(auth_password_check(pol, mcf, "") == PANEL_ERR_AUTH, "empty");
	ok(auth_password_check(pol, "$s1$junk", "x") == PANEL_ERR_AUTH,
	    "malformed hash refuses");
	ok(auth_password_check(pol, NULL, "x") == PANEL_ERR_AUTH, "no hash");
	free(mcf);
	free(mcf2);
}

static void
test_login(struct store *st, const struct auth_policy *pol)
{
	struct auth_principal	*p = NULL, *q = NULL;
	char			*c1 = NULL, *c2 = NULL, *c3 = NULL;
	char			 hash[65], csrf[80];

	ok(auth_login(st, pol, "alice", "alice-password", "192.0.2.1", NULL,
	    &c1, &p) == PANEL_OK && p != NULL, "sign-in");
	ok(c1 != NULL && strlen(c1) == 43 && acme_b64url_valid(c1, 43),
	    "cookie is 32 random bytes, base64url");
	ok(p != NULL && strcmp(p->name, "alice") == 0 &&
	    p->role == PANEL_ROLE_USER && p->csrf != NULL &&
	    strlen(p->csrf) == 43 && p->token_id == 0, "principal");
	panel_sha256_hex(c1, strlen(c1), hash);
	ok(raw_count("SELECT count(*) FROM sessions WHERE id = ?", hash) == 1,
	    "session stored by SHA-256 of the cookie");
	ok(raw_count("SELECT count(*) FROM sessions WHERE id = ?1 OR "
	    "csrf = ?1", c1) == 0, "cookie value itself never stored");
	snprintf(csrf, sizeof(csrf), "%s", p->csrf);
	auth_principal_free(p);
	p = NULL;

	ok(auth_session(st, c1, time(NULL), &p) == PANEL_OK &&
	    strcmp(p->name, "alice") == 0, "session cookie accepted");
	ok(auth_csrf_ok(p, csrf), "CSRF token matches");
	csrf[42] = csrf[42] == 'A' ? 'B' : 'A';
	ok(!auth_csrf_ok(p, csrf), "one character off: refused");
	csrf[20] = '\0';
	ok(!auth_csrf_ok(p, csrf) && !auth_csrf_ok(p, "") &&
	    !auth_csrf_ok(p, NULL), "prefix, empty, absent: refused");
	ok(auth_session(st, c1, time(NULL) + 86400, &q) == PANEL_ERR_AUTH,
	    "expired session refused");
	ok(auth_session(st, "not a cookie!", time(NULL), &q) ==
	    PANEL_ERR_AUTH, "garbage cookie refused");

	/* Signing in again with the old cookie rotates the session id. */
	ok(auth_login(st, pol, "alice", "alice-password", "192.0.2.1", c1,
	    &c2, &q) == PANEL_OK && strcmp(c1, c2) != 0, "second sign-in");
	auth_principal_free(q);
	q = NULL;
	ok(auth_session(st, c1, time(NULL), &q) == PANEL_ERR_AUTH,
	    "pre-sign-in session id is dead");
	ok(auth_session_rotate(st, pol, p, &c3) == PANEL_ERR_AUTH,
	    "rotating a dead session fails");
	auth_principal_free(p);
	p = NULL;
	ok(auth_session(st, c2, time(NULL), &p) == PANEL_OK &&
	    auth_session_rotate(st, pol, p, &c3) == PANEL_OK &&
	    strcmp(c3, c2) != 0, "explicit rotation");
	ok(auth_session(st, c2, time(NULL), &q) == PANEL_ERR_AUTH &&
	    auth_session(st, c3, time(NULL), &q) == PANEL_OK &&
	    auth_csrf_ok(q, p->csrf), "old id dead, new one live with the "
	    "new CSRF token");
	auth_principal_free(q);
	q = NULL;
	ok(auth_logout(st, c3, "192.0.2.1") == PANEL_OK &&
	    auth_session(st, c3, time(NULL), &q) == PANEL_ERR_AUTH,
	    "sign-out ends the session");
	ok(auth_logout(st, c3, NULL) == PANEL_OK, "signing out twice: OK");
	auth_principal_free(p);
	free(c1);
	free(c2);
	free(c3);
}

static void
test_failures(struct store *st, const struct auth_policy *pol)
{
	struct auth_principal	*p = NULL;
	struct audit_list	*l = NULL;
	struct audit_filter	 f;
	char			*c = NULL, name[32];
	int			 i, all;

	ok(auth_login(st, pol, "alice", "nope", "192.0.2.2", NULL, &c, &p) ==
	    PANEL_ERR_AUTH && c == NULL && p == NULL, "wrong password");
	ok(auth_login(st, pol, "mallory", "x", "192.0.2.2", NULL, &c, &p) ==
	    PANEL_ERR_AUTH, "unknown user: same answer");
	ok(auth_login(st, pol, "bob", "", "192.0.2.2", NULL, &c, &p) ==
	    PANEL_ERR_AUTH, "user without a password");

	/* Five failures for dave lock dave's name, from anywhere. */
	for (i = 0, all = 1; i < 5; i++)
		all &= auth_login(st, pol, "dave", "bad", "198.51.100.1", NULL,
		    &c, &p) == PANEL_ERR_AUTH;
	ok(all, "five failures");
	ok(auth_login(st, pol, "dave", "dave-password", "198.51.100.2", NULL,
	    &c, &p) == PANEL_ERR_LIMIT && c == NULL, "sixth try refused even "
	    "with the right password");
	/* Twenty failures from one address lock that address. */
	for (i = 0, all = 1; i < 20; i++) {
		snprintf(name, sizeof(name), "guess%d", i);
		all &= auth_login(st, pol, name, "x", "203.0.113.9", NULL, &c,
		    &p) == PANEL_ERR_AUTH;
	}
	ok(all, "twenty failures from one address");
	ok(auth_login(st, pol, "alice", "alice-password", "203.0.113.9", NULL,
	    &c, &p) == PANEL_ERR_LIMIT, "that address is refused");
	ok(auth_login(st, pol, "alice", "alice-password", "203.0.113.10",
	    NULL, &c, &p) == PANEL_OK, "another address is not");
	auth_principal_free(p);
	free(c);

	memset(&f, 0, sizeof(f));
	f.action = "login";
	f.has_result = 1;
	f.result = AUDIT_DENIED;
	ok(audit_query(st, &f, &l) == PANEL_OK && l->n == 2 &&
	    strstr(l->v[0].detail, "rate limited") != NULL,
	    "refusals audited as denied");
	audit_list_free(l);
	l = NULL;
	f.result = AUDIT_FAIL;
	ok(audit_query(st, &f, &l) == PANEL_OK && l->n == 28,
	    "failures audited");
	audit_list_free(l);
}

static void
test_tokens(struct store *st, int64_t alice, int64_t root)
{
	struct auth_principal	*p = NULL;
	char			*tok = NULL, hdr[128], hash[65];
	int64_t			 id = 0;

	ok(auth_token_create(st, alice, "ci", &tok, &id) == PANEL_OK &&
	    strncmp(tok, "acme_", 5) == 0 && strlen(tok) == 48,
	    "token acme_ + 43 characters");
	panel_sha256_hex(tok, strlen(tok), hash);
	ok(raw_count("SELECT count(*) FROM api_tokens WHERE token_hash = ?",
	    hash) == 1 && raw_count("SELECT count(*) FROM api_tokens WHERE "
	    "token_hash = ?1 OR name = ?1 OR hint = ?1", tok) == 0,
	    "stored as its hash only");
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	ok(auth_bearer(st, hdr, "192.0.2.1", time(NULL), &p) == PANEL_OK &&
	    p->user_id == alice && p->token_id == id && p->csrf == NULL,
	    "bearer header accepted");
	auth_principal_free(p);
	p = NULL;
	snprintf(hdr, sizeof(hdr), "bearer   %s", tok);
	ok(auth_bearer(st, hdr, NULL, time(NULL), &p) == PANEL_OK,
	    "scheme is case-insensitive");
	auth_principal_free(p);
	p = NULL;
	ok(auth_bearer(st, tok, NULL, time(NULL), &p) == PANEL_OK,
	    "bare token accepted");
	auth_principal_free(p);
	p = NULL;
	tok[47] = tok[47] == 'A' ? 'B' : 'A';
	ok(auth_bearer(st, tok, NULL, time(NULL), &p) == PANEL_ERR_AUTH,
	    "altered token refused");
	tok[47] = tok[47] == 'A' ? 'B' : 'A';
	ok(auth_bearer(st, "acme_short", NULL, time(NULL), &p) ==
	    PANEL_ERR_AUTH && auth_bearer(st, "Basic YWxpY2U6eA==", NULL,
	    time(NULL), &p) == PANEL_ERR_AUTH, "malformed refused");
	ok(auth_bearer(st, hash, NULL, time(NULL), &p) == PANEL_ERR_AUTH,
	    "the stored hash is not a token");
	ok(store_token_revoke(st, id, alice, time(NULL)) == PANEL_OK &&
	    auth_bearer(st, tok, NULL, time(NULL), &p) == PANEL_ERR_AUTH,
	    "revoked token refused");
	free(tok);
	tok = NULL;
	ok(auth_token_create(st, root, "admin", &tok, &id) == PANEL_OK,
	    "admin token");
	store_user_set_disabled(st, root, 1);
	ok(auth_bearer(st, tok, NULL, time(NULL), &p) == PANEL_ERR_AUTH,
	    "token of a disabled user refused");
	store_user_set_disabled(st, root, 0);
	ok(auth_bearer(st, tok, NULL, time(NULL), &p) == PANEL_OK &&
	    auth_is_admin(p) && auth_owner(p) == 0 && auth_may(p, alice),
	    "admin sees all");
	auth_principal_free(p);
	free(tok);
}

static void
test_remote_and_roles(struct store *st, int64_t alice)
{
	struct auth_principal	*p = NULL;
	struct store_user	*u = NULL;

	ok(auth_remote_user(st, "erin", 0, &p) == PANEL_ERR_AUTH,
	    "unknown REMOTE_USER refused without create");
	ok(auth_remote_user(st, "erin", 1, &p) == PANEL_OK &&
	    p->role == PANEL_ROLE_USER && p->session_hash == NULL,
	    "REMOTE_USER created as a plain user");
	ok(store_user_by_name(st, "erin", &u) == PANEL_OK &&
	    u->pw_hash == NULL, "with no password");
	store_user_free(u);
	ok(!auth_is_admin(p) && auth_owner(p) == p->user_id &&
	    auth_may(p, p->user_id) && !auth_may(p, alice) && !auth_may(p, 0),
	    "a user sees only own objects");
	auth_principal_free(p);
	p = NULL;
	ok(auth_remote_user(st, "alice", 0, &p) == PANEL_OK &&
	    p->user_id == alice, "existing REMOTE_USER");
	auth_principal_free(p);
	ok(auth_owner(NULL) == -1 && !auth_may(NULL, 1) && !auth_is_admin(NULL),
	    "no principal: nothing");
}

static void
test_cap_and_password_change(struct store *st, struct auth_policy *pol,
    int64_t alice)
{
	struct auth_principal	*p = NULL;
	struct flock		 fl;
	char			*c = NULL, *mcf = NULL;
	int			 fd;

	/* Another process description holds the only slot. */
	fd = open(lockpath, O_RDWR | O_CREAT, 0600);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 1;
	ok(fd != -1 && fcntl(fd, F_OFD_SETLK, &fl) == 0, "slot taken");
	ok(auth_password_hash(pol, "x", &mcf) == PANEL_ERR_BUSY,
	    "scrypt refused while no slot is free");
	ok(auth_login(st, pol, "alice", "alice-password", "192.0.2.50", NULL,
	    &c, &p) == PANEL_ERR_BUSY, "sign-in busy, not a failure");
	close(fd);
	ok(auth_password_hash(pol, "x", &mcf) == PANEL_OK,
	    "slot free again");
	free(mcf);
	pol->scrypt_slots = 2;
	fd = open(lockpath, O_RDWR);
	ok(fd != -1 && fcntl(fd, F_OFD_SETLK, &fl) == 0 &&
	    auth_password_hash(pol, "x", &mcf) == PANEL_OK,
	    "with two slots one holder does not block");
	close(fd);
	free(mcf);

	ok(auth_login(st, pol, "alice", "alice-password", "192.0.2.51", NULL,
	    &c, &p) == PANEL_OK, "signed in");
	auth_principal_free(p);
	p = NULL;
	ok(auth_user_set_password(st, pol, alice, "new secret!") == PANEL_OK,
	    "password changed");
	ok(auth_session(st, c, time(NULL), &p) == PANEL_ERR_AUTH,
	    "which signs out everywhere");
	free(c);
	c = NULL;
	ok(auth_login(st, pol, "alice", "new secret!", "192.0.2.51", NULL, &c,
	    &p) == PANEL_OK, "new password works");
	auth_principal_free(p);
	p = NULL;
	store_user_set_disabled(st, alice, 1);
	ok(auth_session(st, c, time(NULL), &p) == PANEL_ERR_AUTH,
	    "disabled user's session refused");
	free(c);
	c = NULL;
	ok(auth_login(st, pol, "alice", "new secret!", "192.0.2.51", NULL, &c,
	    &p) == PANEL_ERR_AUTH, "disabled user cannot sign in");
}

int
main(void)
{
	struct store		*st = NULL;
	struct auth_policy	 pol;
	struct panel_config	*cfg = NULL;
	int64_t			 alice = 0, root = 0, n = 0, bad = 0;
	const char		*sfx[] = { "", "-wal", "-shm" };
	char			 p[300];
	size_t			 i;

	if (mkdtemp(dir) == NULL)
		tap_bail("mkdtemp");
	snprintf(dbpath, sizeof(dbpath), "%s/acme.db", dir);
	snprintf(lockpath, sizeof(lockpath), "%s/scrypt.lock", dir);
	if (store_open(dbpath, &st) != PANEL_OK)
		tap_bail("open");
	ok(config_new(&cfg) == PANEL_OK, "default config");
	auth_policy_from_config(cfg, &pol);
	ok(pol.max_fail_user == 5 && pol.max_fail_ip == 20 &&
	    pol.window == 900 && pol.session_ttl == 28800 &&
	    pol.scrypt_slots == 2 && strcmp(pol.scrypt_lock,
	    "var/scrypt.lock") == 0, "policy from the config defaults");
	config_free(cfg);
	pol.scrypt_lock = lockpath;
	pol.scrypt_slots = 1;
	pol.scrypt_wait_ms = 200;
	pol.scrypt_n = 1024;	/* fast under the sanitizers */

	test_passwords(&pol);
	ok(auth_user_create(st, &pol, "alice", "alice-password",
	    PANEL_ROLE_USER, &alice) == PANEL_OK &&
	    auth_user_create(st, &pol, "bob", NULL, PANEL_ROLE_USER, NULL) ==
	    PANEL_OK && auth_user_create(st, &pol, "dave", "dave-password",
	    PANEL_ROLE_USER, NULL) == PANEL_OK &&
	    auth_user_create(st, &pol, "root", "root-password",
	    PANEL_ROLE_ADMIN, &root) == PANEL_OK, "users created");
	ok(auth_user_create(st, &pol, "alice", "x", PANEL_ROLE_USER, NULL) ==
	    PANEL_ERR_EXISTS, "duplicate user");
	test_login(st, &pol);
	test_failures(st, &pol);
	test_tokens(st, alice, root);
	test_remote_and_roles(st, alice);
	test_cap_and_password_change(st, &pol, alice);
	ok(audit_verify(st, &bad, &n) == PANEL_OK && n > 30,
	    "the audit chain of it all verifies (%lld entries)",
	    (long long)n);
	store_close(st);
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, sfx[i]);
		unlink(p);
	}
	unlink(lockpath);
	rmdir(dir);
	return tap_done();
}
