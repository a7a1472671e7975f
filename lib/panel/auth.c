/*
 * Authentication: scrypt passwords (libscrypt MCF), sign-in with a rate
 * limit, sessions kept by the SHA-256 of their cookie, CSRF tokens,
 * bearer tokens stored hashed, REMOTE_USER, and role checks.
 *
 * The scrypt cap: see struct auth_policy in panel.h.  Slots are bytes of
 * one lock file held with open-file-description locks (F_OFD_SETLK), so
 * the kernel releases a slot when its holder exits or crashes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libscrypt.h>
#include <openssl/crypto.h>

#include "panel_priv.h"

#define DEF_FAIL_USER	5
#define DEF_FAIL_IP	20
#define DEF_WINDOW	900
#define DEF_TTL		28800
#define DEF_SLOTS	2
#define DEF_WAIT_MS	3000
#define DEF_N		16384
#define SCRYPT_R_	8
#define SCRYPT_P_	1
#define TOKEN_PREFIX	"acme_"
#define TOKEN_B64LEN	43	/* 32 bytes of base64url */
#define COOKIE_MAX	64
#define NAME_MAX_	64
#define PW_MAX		1024
#define TOUCH_EVERY	60	/* seconds between last_used writes */

void
auth_policy_from_config(const struct panel_config *c, struct auth_policy *p)
{
	memset(p, 0, sizeof(*p));
	if (c == NULL)
		return;
	p->max_fail_user = c->login_max_failures;
	p->max_fail_ip = c->login_max_failures_ip;
	p->window = c->login_window;
	p->session_ttl = c->session_ttl;
	p->scrypt_lock = c->scrypt_lock != NULL && *c->scrypt_lock != '\0' ?
	    c->scrypt_lock : NULL;
	p->scrypt_slots = c->scrypt_slots;
}

static unsigned
def(unsigned v, unsigned d)
{
	return v != 0 ? v : d;
}

static uint64_t
mono_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Takes a scrypt slot: *fd is -1 when there is no cap, else the
 * descriptor holding the lock (close it to give the slot back). */
static enum panel_err
slot_take(const struct auth_policy *pol, int *fd)
{
	struct flock	 fl;
	struct timespec	 nap = { 0, 15 * 1000 * 1000 };
	uint64_t	 deadline;
	unsigned	 i, slots;
	int		 f;

	*fd = -1;
	if (pol == NULL || pol->scrypt_lock == NULL ||
	    *pol->scrypt_lock == '\0')
		return PANEL_OK;
	slots = def(pol->scrypt_slots, DEF_SLOTS);
	deadline = mono_now_ms() + def(pol->scrypt_wait_ms, DEF_WAIT_MS);
	f = open(pol->scrypt_lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (f == -1)
		return PANEL_ERR_IO;
	for (;;) {
		for (i = 0; i < slots; i++) {
			memset(&fl, 0, sizeof(fl));
			fl.l_type = F_WRLCK;
			fl.l_whence = SEEK_SET;
			fl.l_start = (off_t)i;
			fl.l_len = 1;
			if (fcntl(f, F_OFD_SETLK, &fl) == 0) {
				*fd = f;
				return PANEL_OK;
			}
			if (errno != EAGAIN && errno != EACCES &&
			    errno != EINTR) {
				close(f);
				return PANEL_ERR_IO;
			}
		}
		if (mono_now_ms() >= deadline) {
			close(f);
			return PANEL_ERR_BUSY;
		}
		nanosleep(&nap, NULL);
	}
}

static void
slot_give(int fd)
{
	if (fd != -1)
		close(fd);
}

enum panel_err
auth_password_hash(const struct auth_policy *pol, const char *password,
    char **mcf)
{
	char		 buf[SCRYPT_MCF_LEN];
	enum panel_err	 err;
	uint32_t	 n = pol != NULL && pol->scrypt_n ? pol->scrypt_n : DEF_N;
	int		 fd, rc;

	*mcf = NULL;
	if (password == NULL || strlen(password) > PW_MAX)
		return PANEL_ERR_ARG;
	if ((err = slot_take(pol, &fd)) != PANEL_OK)
		return err;
	rc = libscrypt_hash(buf, password, n, SCRYPT_R_, SCRYPT_P_);
	slot_give(fd);
	if (rc <= 0)
		return PANEL_ERR_CRYPTO;
	*mcf = strdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return *mcf == NULL ? PANEL_ERR_NOMEM : PANEL_OK;
}

/* Checks password against mcf (NULL: burn the same time, then fail, so
 * an unknown user answers like a wrong password). */
static enum panel_err
password_check(const struct auth_policy *pol, const char *mcf,
    const char *password)
{
	static const uint8_t	 salt[16] = "acme-panel-dummy";
	char			 buf[SCRYPT_MCF_LEN];
	uint8_t			 out[SCRYPT_HASH_LEN];
	enum panel_err		 err;
	uint32_t		 n;
	int			 fd, rc = 0;

	if (password == NULL || strlen(password) > PW_MAX)
		return PANEL_ERR_AUTH;
	if ((err = slot_take(pol, &fd)) != PANEL_OK)
		return err;
	if (mcf != NULL && strlen(mcf) < sizeof(buf)) {
		/* libscrypt_check tokenizes its argument: give it a copy. */
		strcpy(buf, mcf);
		rc = libscrypt_check(buf, password);
		OPENSSL_cleanse(buf, sizeof(buf));
	} else {
		n = pol != NULL && pol->scrypt_n ? pol->scrypt_n : DEF_N;
		(void)libscrypt_scrypt((const uint8_t *)password,
		    strlen(password), salt, sizeof(salt), n, SCRYPT_R_,
		    SCRYPT_P_, out, sizeof(out));
		OPENSSL_cleanse(out, sizeof(out));
	}
	slot_give(fd);
	return rc > 0 ? PANEL_OK : PANEL_ERR_AUTH;
}

enum panel_err
auth_password_check(const struct auth_policy *pol, const char *mcf,
    const char *password)
{
	if (mcf == NULL)
		return PANEL_ERR_AUTH;
	return password_check(pol, mcf, password);
}

enum panel_err
auth_user_create(struct store *st, const struct auth_policy *pol,
    const char *name, const char *password, enum panel_role role,
    int64_t *id)
{
	enum panel_err	 err;
	char		*mcf = NULL;

	if (name == NULL || *name == '\0' || strlen(name) > NAME_MAX_)
		return PANEL_ERR_ARG;
	if (password != NULL &&
	    (err = auth_password_hash(pol, password, &mcf)) != PANEL_OK)
		return err;
	err = store_user_add(st, name, mcf, role, id);
	free(mcf);
	return err;
}

enum panel_err
auth_user_set_password(struct store *st, const struct auth_policy *pol,
    int64_t id, const char *password)
{
	enum panel_err	 err;
	char		*mcf = NULL;

	if ((err = auth_password_hash(pol, password, &mcf)) != PANEL_OK)
		return err;
	if ((err = store_begin(st)) != PANEL_OK)
		goto out;
	if ((err = store_user_set_password(st, id, mcf)) != PANEL_OK ||
	    (err = store_session_delete_user(st, id)) != PANEL_OK) {
		store_rollback(st);
		goto out;
	}
	err = store_commit(st);
out:
	free(mcf);
	return err;
}

void
auth_principal_free(struct auth_principal *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->csrf);
	free(p->session_hash);
	free(p);
}

static enum panel_err
principal_new(const struct store_user *u, const char *csrf,
    const char *session_hash, int64_t token_id, struct auth_principal **out)
{
	struct auth_principal	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return PANEL_ERR_NOMEM;
	p->user_id = u->id;
	p->role = u->role;
	p->token_id = token_id;
	if ((p->name = strdup(u->name)) == NULL ||
	    (csrf != NULL && (p->csrf = strdup(csrf)) == NULL) ||
	    (session_hash != NULL &&
	    (p->session_hash = strdup(session_hash)) == NULL)) {
		auth_principal_free(p);
		return PANEL_ERR_NOMEM;
	}
	*out = p;
	return PANEL_OK;
}

/* A fresh session for u: *cookie (the caller's) and the stored row. */
static enum panel_err
session_new(struct store *st, const struct auth_policy *pol,
    const struct store_user *u, const char *ip, int64_t now, char **cookie,
    struct auth_principal **out)
{
	struct store_session	 s;
	enum panel_err		 err;
	char			 hash[65], ipbuf[64];
	char			*csrf = NULL;

	*cookie = NULL;
	snprintf(ipbuf, sizeof(ipbuf), "%s", ip != NULL ? ip : "");
	if ((err = panel_random_token(NULL, cookie)) != PANEL_OK ||
	    (err = panel_random_token(NULL, &csrf)) != PANEL_OK)
		goto fail;
	panel_sha256_hex(*cookie, strlen(*cookie), hash);
	memset(&s, 0, sizeof(s));
	s.id_hash = hash;
	s.user_id = u->id;
	s.csrf = csrf;
	s.created = now;
	s.expires = now + def(pol != NULL ? pol->session_ttl : 0, DEF_TTL);
	s.ip = ipbuf;
	if ((err = store_session_add(st, &s)) != PANEL_OK ||
	    (err = principal_new(u, csrf, hash, 0, out)) != PANEL_OK)
		goto fail;
	free(csrf);
	return PANEL_OK;
fail:
	free(csrf);
	free(*cookie);
	*cookie = NULL;
	return err;
}

/* Records a failed sign-in and audits it; returns PANEL_ERR_AUTH. */
static enum panel_err
login_failed(struct store *st, const char *user, const char *ip,
    const char *object, const char *why, int64_t now)
{
	if (store_begin(st) != PANEL_OK)
		return PANEL_ERR_AUTH;
	if (store_login_record(st, ip, user, 0, now) != PANEL_OK ||
	    audit_append(st, user, ip, "login", object, AUDIT_FAIL, why,
	    NULL) != PANEL_OK) {
		store_rollback(st);
		return PANEL_ERR_AUTH;
	}
	(void)store_commit(st);
	return PANEL_ERR_AUTH;
}

enum panel_err
auth_login(struct store *st, const struct auth_policy *pol, const char *user,
    const char *password, const char *ip, const char *old_cookie,
    char **cookie, struct auth_principal **out)
{
	struct store_user	*u = NULL;
	enum panel_err		 err;
	char			 object[32] = "", why[96], hash[65];
	int64_t			 now = time(NULL), by_ip = 0, by_user = 0;
	unsigned		 max_u, max_ip;

	*cookie = NULL;
	*out = NULL;
	if (user == NULL || *user == '\0' || strlen(user) > NAME_MAX_ ||
	    password == NULL)
		return PANEL_ERR_AUTH;
	max_u = def(pol != NULL ? pol->max_fail_user : 0, DEF_FAIL_USER);
	max_ip = def(pol != NULL ? pol->max_fail_ip : 0, DEF_FAIL_IP);
	err = store_login_failures(st, ip, user, now -
	    def(pol != NULL ? pol->window : 0, DEF_WINDOW), &by_ip, &by_user);
	if (err != PANEL_OK)
		return err;
	if (by_user >= max_u || by_ip >= max_ip) {
		snprintf(why, sizeof(why), "rate limited: %" PRId64 " failures "
		    "for this name, %" PRId64 " from this address", by_user,
		    by_ip);
		(void)audit_append(st, user, ip, "login", "", AUDIT_DENIED, why,
		    NULL);
		return PANEL_ERR_LIMIT;
	}
	err = store_user_by_name(st, user, &u);
	if (err != PANEL_OK && err != PANEL_ERR_NOTFOUND)
		return err;
	if (u != NULL)
		snprintf(object, sizeof(object), "user:%" PRId64, u->id);
	err = password_check(pol, u != NULL && !u->disabled ? u->pw_hash :
	    NULL, password);
	if (err == PANEL_ERR_BUSY) {
		store_user_free(u);
		return err;
	}
	if (err != PANEL_OK || u == NULL || u->disabled) {
		err = login_failed(st, user, ip, object, u == NULL ?
		    "unknown user" : u->disabled ? "user disabled" :
		    u->pw_hash == NULL ? "no password set" : "wrong password",
		    now);
		store_user_free(u);
		return err;
	}
	if ((err = store_begin(st)) != PANEL_OK)
		goto out;
	if (old_cookie != NULL && *old_cookie != '\0') {
		/* Never carry a pre-sign-in session id over (fixation). */
		panel_sha256_hex(old_cookie, strlen(old_cookie), hash);
		if ((err = store_session_delete(st, hash)) != PANEL_OK)
			goto fail;
	}
	if ((err = store_login_record(st, ip, user, 1, now)) != PANEL_OK ||
	    (err = store_login_clear(st, user)) != PANEL_OK ||
	    (err = store_session_purge(st, now, NULL)) != PANEL_OK ||
	    (err = store_login_purge(st, now - 86400)) != PANEL_OK ||
	    (err = session_new(st, pol, u, ip, now, cookie, out)) !=
	    PANEL_OK ||
	    (err = audit_append(st, u->name, ip, "login", object, AUDIT_OK,
	    "", NULL)) != PANEL_OK)
		goto fail;
	if ((err = store_commit(st)) != PANEL_OK)
		goto drop;
	goto out;
fail:
	store_rollback(st);
drop:
	free(*cookie);
	*cookie = NULL;
	auth_principal_free(*out);
	*out = NULL;
out:
	store_user_free(u);
	return err;
}

/* 1 when s looks like one of our base64url tokens. */
static int
token_shape(const char *s)
{
	return s != NULL && acme_b64url_valid(s, COOKIE_MAX);
}

enum panel_err
auth_session(struct store *st, const char *cookie, int64_t now,
    struct auth_principal **out)
{
	struct store_session	*s = NULL;
	struct store_user	*u = NULL;
	enum panel_err		 err;
	char			 hash[65];

	*out = NULL;
	if (!token_shape(cookie))
		return PANEL_ERR_AUTH;
	panel_sha256_hex(cookie, strlen(cookie), hash);
	err = store_session_get(st, hash, now, &s, &u);
	if (err == PANEL_ERR_NOTFOUND)
		return PANEL_ERR_AUTH;
	if (err != PANEL_OK)
		return err;
	if (u == NULL || u->disabled)
		err = PANEL_ERR_AUTH;
	if (err == PANEL_OK)
		err = principal_new(u, s->csrf, hash, 0, out);
	store_user_free(u);
	store_session_free(s);
	return err;
}

enum panel_err
auth_session_rotate(struct store *st, const struct auth_policy *pol,
    struct auth_principal *p, char **cookie)
{
	enum panel_err	 err;
	char		 hash[65];
	char		*csrf = NULL, *nh = NULL;
	int64_t		 now = time(NULL);

	*cookie = NULL;
	if (p == NULL || p->session_hash == NULL)
		return PANEL_ERR_ARG;
	if ((err = panel_random_token(NULL, cookie)) != PANEL_OK ||
	    (err = panel_random_token(NULL, &csrf)) != PANEL_OK)
		goto fail;
	panel_sha256_hex(*cookie, strlen(*cookie), hash);
	if ((nh = strdup(hash)) == NULL) {
		err = PANEL_ERR_NOMEM;
		goto fail;
	}
	err = store_session_rotate(st, p->session_hash, hash, csrf, now,
	    now + def(pol != NULL ? pol->session_ttl : 0, DEF_TTL));
	if (err == PANEL_ERR_NOTFOUND)
		err = PANEL_ERR_AUTH;
	if (err != PANEL_OK)
		goto fail;
	free(p->session_hash);
	free(p->csrf);
	p->session_hash = nh;
	p->csrf = csrf;
	return PANEL_OK;
fail:
	free(nh);
	free(csrf);
	free(*cookie);
	*cookie = NULL;
	return err;
}

enum panel_err
auth_logout(struct store *st, const char *cookie, const char *ip)
{
	struct store_session	*s = NULL;
	struct store_user	*u = NULL;
	enum panel_err		 err;
	char			 hash[65], object[32];

	if (!token_shape(cookie))
		return PANEL_OK;
	panel_sha256_hex(cookie, strlen(cookie), hash);
	err = store_session_get(st, hash, time(NULL), &s, &u);
	if (err == PANEL_ERR_NOTFOUND)
		return PANEL_OK;
	if (err != PANEL_OK)
		return err;
	snprintf(object, sizeof(object), "user:%" PRId64, s->user_id);
	if ((err = store_begin(st)) == PANEL_OK) {
		if ((err = store_session_delete(st, hash)) != PANEL_OK ||
		    (err = audit_append(st, u != NULL ? u->name : "unknown",
		    ip, "logout", object, AUDIT_OK, "", NULL)) != PANEL_OK)
			store_rollback(st);
		else
			err = store_commit(st);
	}
	store_user_free(u);
	store_session_free(s);
	return err;
}

int
auth_csrf_ok(const struct auth_principal *p, const char *token)
{
	if (p == NULL || p->csrf == NULL || token == NULL)
		return 0;
	return panel_str_eq_ct(p->csrf, token);
}

static enum panel_err
bearer_denied(struct store *st, const char *ip, const char *why)
{
	(void)audit_append(st, "anonymous", ip, "token.denied", "",
	    AUDIT_DENIED, why, NULL);
	return PANEL_ERR_AUTH;
}

enum panel_err
auth_bearer(struct store *st, const char *value, const char *ip,
    int64_t now, struct auth_principal **out)
{
	struct store_token	*t = NULL;
	struct store_user	*u = NULL;
	enum panel_err		 err;
	const char		*tok = value;
	char			 hash[65];
	size_t			 plen = strlen(TOKEN_PREFIX);

	*out = NULL;
	if (tok == NULL)
		return PANEL_ERR_AUTH;
	/* RFC 6750 2.1: the scheme is case-insensitive. */
	if (strncasecmp(tok, "Bearer", 6) == 0 && (tok[6] == ' ' ||
	    tok[6] == '\t')) {
		tok += 6;
		while (*tok == ' ' || *tok == '\t')
			tok++;
	}
	if (strncmp(tok, TOKEN_PREFIX, plen) != 0 ||
	    strlen(tok + plen) != TOKEN_B64LEN ||
	    !acme_b64url_valid(tok + plen, TOKEN_B64LEN))
		return bearer_denied(st, ip, "malformed token");
	panel_sha256_hex(tok, strlen(tok), hash);
	err = store_token_by_hash(st, hash, &t, &u);
	if (err == PANEL_ERR_NOTFOUND)
		return bearer_denied(st, ip, "unknown or revoked token");
	if (err != PANEL_OK)
		return err;
	if (u == NULL || u->disabled) {
		err = bearer_denied(st, ip, "token of a disabled user");
		goto out;
	}
	if (now - t->last_used >= TOUCH_EVERY &&
	    (err = store_token_touch(st, t->id, now)) != PANEL_OK)
		goto out;
	err = principal_new(u, NULL, NULL, t->id, out);
out:
	store_user_free(u);
	store_token_free(t);
	return err;
}

enum panel_err
auth_remote_user(struct store *st, const char *name, int create,
    struct auth_principal **out)
{
	struct store_user	*u = NULL;
	enum panel_err		 err;
	int64_t			 id;

	*out = NULL;
	if (name == NULL || *name == '\0' || strlen(name) > NAME_MAX_)
		return PANEL_ERR_AUTH;
	err = store_user_by_name(st, name, &u);
	if (err == PANEL_ERR_NOTFOUND && create) {
		if ((err = store_begin(st)) != PANEL_OK)
			return err;
		if ((err = store_user_add(st, name, NULL, PANEL_ROLE_USER,
		    &id)) != PANEL_OK ||
		    (err = audit_append(st, "remote_user", NULL, "user.create",
		    name, AUDIT_OK, "created on first sign-in", NULL)) !=
		    PANEL_OK) {
			store_rollback(st);
			return err;
		}
		if ((err = store_commit(st)) != PANEL_OK)
			return err;
		err = store_user_get(st, id, &u);
	}
	if (err == PANEL_ERR_NOTFOUND)
		return PANEL_ERR_AUTH;
	if (err == PANEL_OK && u->disabled)
		err = PANEL_ERR_AUTH;
	if (err == PANEL_OK)
		err = principal_new(u, NULL, NULL, 0, out);
	store_user_free(u);
	return err;
}

/* Stores the hash of token (and a short hint) for user_id. */
static enum panel_err
token_store(struct store *st, int64_t user_id, const char *name,
    const char *token, int64_t *id)
{
	char		 hash[65], hint[16];

	panel_sha256_hex(token, strlen(token), hash);
	snprintf(hint, sizeof(hint), "%.9s\xe2\x80\xa6", token);
	return store_token_add(st, user_id, name, hash, hint, time(NULL), id);
}

enum panel_err
auth_token_create(struct store *st, int64_t user_id, const char *name,
    char **token, int64_t *id)
{
	enum panel_err	 err;

	*token = NULL;
	if ((err = panel_random_token(TOKEN_PREFIX, token)) != PANEL_OK)
		return err;
	if ((err = token_store(st, user_id, name, *token, id)) != PANEL_OK) {
		crypt_wipe_free(*token, strlen(*token));
		*token = NULL;
	}
	return err;
}

enum panel_err
auth_token_import(struct store *st, int64_t user_id, const char *name,
    const char *token, int64_t *id)
{
	size_t	 plen = strlen(TOKEN_PREFIX);

	if (token == NULL || strncmp(token, TOKEN_PREFIX, plen) != 0 ||
	    strlen(token + plen) != TOKEN_B64LEN ||
	    !acme_b64url_valid(token + plen, TOKEN_B64LEN))
		return PANEL_ERR_ARG;
	return token_store(st, user_id, name, token, id);
}

int
auth_is_admin(const struct auth_principal *p)
{
	return p != NULL && p->role == PANEL_ROLE_ADMIN;
}

int64_t
auth_owner(const struct auth_principal *p)
{
	if (p == NULL)
		return -1;	/* matches no row */
	return p->role == PANEL_ROLE_ADMIN ? 0 : p->user_id;
}

int
auth_may(const struct auth_principal *p, int64_t owner)
{
	return p != NULL && (p->role == PANEL_ROLE_ADMIN ||
	    (owner != 0 && owner == p->user_id));
}
