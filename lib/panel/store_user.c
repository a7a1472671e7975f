/*
 * Users, sessions, API tokens, sign-in attempts and settings.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "panel_priv.h"

/*
 * USER_COLS (id, name, pw_hash, role, disabled, created) from column k of
 * s into u; 0, or -1 out of memory.
 */
static int
user_row_at(sqlite3_stmt *s, int k, struct store_user *u)
{
	const char	*role = (const char *)sqlite3_column_text(s, k + 3);

	u->id = col_int(s, k);
	if (panel_role_parse(role, &u->role) == -1)
		u->role = PANEL_ROLE_USER;
	u->disabled = col_int(s, k + 4) != 0;
	u->created = col_int(s, k + 5);
	if (col_str(s, k + 1, &u->name) == -1 ||
	    col_str(s, k + 2, &u->pw_hash) == -1)
		return -1;
	return 0;
}

static int
user_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	(void)pp;
	return user_row_at(s, 0, arg);
}

/*
 * The user of a join's USER_JCOLS at column k into *out (NULL when the
 * join found none), if out is not NULL; 0, or -1 out of memory.
 */
static int
user_joined(sqlite3_stmt *s, int k, struct store_user **out)
{
	struct store_user	*u;

	if (out == NULL)
		return 0;
	*out = NULL;
	if (sqlite3_column_type(s, k) == SQLITE_NULL)
		return 0;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -1;
	if (user_row_at(s, k, u) == -1) {
		store_user_free(u);
		return -1;
	}
	*out = u;
	return 0;
}

static void
user_clear(struct store_user *u)
{
	free(u->name);
	free(u->pw_hash);
}

void
store_user_free(struct store_user *u)
{
	if (u == NULL)
		return;
	user_clear(u);
	free(u);
}

void
store_user_list_free(struct store_user_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		user_clear(&l->v[i]);
	free(l->v);
	free(l);
}

enum panel_err
store_user_add(struct store *st, const char *name, const char *pw_hash,
    enum panel_role role, int64_t *id)
{
	enum panel_err	 err;

	if (name == NULL || (int)role < 0 || role >= PANEL_ROLE__MAX)
		return PANEL_ERR_ARG;
	err = RUN(st, ST_USER_ADD, P_T(name), P_T(pw_hash),
	    P_T(panel_role_name(role)), P_I(time(NULL)));
	if (err == PANEL_OK && id != NULL)
		*id = st_last_id(st);
	return err;
}

/* Runs a one-user SELECT statement already bound. */
static enum panel_err
user_one(struct store *st, sqlite3_stmt *s, struct store_user **out)
{
	struct store_user	*u;
	enum panel_err		 err = PANEL_ERR_NOTFOUND;
	int			 r;

	*out = NULL;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_NOTFOUND : err;
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    user_row(s, u, NULL) == -1) {
		sqlite3_reset(s);
		store_user_free(u);
		return PANEL_ERR_NOMEM;
	}
	sqlite3_reset(s);
	*out = u;
	return PANEL_OK;
}

enum panel_err
store_user_get(struct store *st, int64_t id, struct store_user **out)
{
	sqlite3_stmt	*s;

	*out = NULL;
	if ((s = st_prep(st, ST_USER_GET)) == NULL ||
	    BIND(st, s, P_I(id)) == -1)
		return PANEL_ERR_DB;
	return user_one(st, s, out);
}

enum panel_err
store_user_by_name(struct store *st, const char *name,
    struct store_user **out)
{
	sqlite3_stmt	*s;

	*out = NULL;
	if (name == NULL)
		return PANEL_ERR_ARG;
	if ((s = st_prep(st, ST_USER_BY_NAME)) == NULL ||
	    BIND(st, s, P_T(name)) == -1)
		return PANEL_ERR_DB;
	return user_one(st, s, out);
}

enum panel_err
store_user_set_password(struct store *st, int64_t id, const char *pw_hash)
{
	return UPDATE1(st, ST_USER_SET_PW, P_T(pw_hash), P_I(time(NULL)),
	    P_I(id));
}

enum panel_err
store_user_set_role(struct store *st, int64_t id, enum panel_role role)
{
	if ((int)role < 0 || role >= PANEL_ROLE__MAX)
		return PANEL_ERR_ARG;
	return UPDATE1(st, ST_USER_SET_ROLE, P_T(panel_role_name(role)),
	    P_I(time(NULL)), P_I(id));
}

enum panel_err
store_user_set_disabled(struct store *st, int64_t id, int disabled)
{
	return UPDATE1(st, ST_USER_SET_DISABLED, P_I(disabled ? 1 : 0),
	    P_I(time(NULL)), P_I(id));
}

enum panel_err
store_user_list(struct store *st, struct store_user_list **out)
{
	struct store_user_list	*l;
	void			*v = NULL;
	sqlite3_stmt		*s;
	enum panel_err		 err;

	*out = NULL;
	if ((s = st_prep(st, ST_USER_LIST)) == NULL)
		return PANEL_ERR_DB;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return PANEL_ERR_NOMEM;
	err = st_rows(st, s, &v, &l->n, sizeof(*l->v), user_row, NULL, 0, NULL);
	l->v = v;
	if (err != PANEL_OK) {
		store_user_list_free(l);
		return err;
	}
	*out = l;
	return PANEL_OK;
}

enum panel_err
store_user_count_admins(struct store *st, int64_t *n)
{
	sqlite3_stmt	*s;

	if ((s = st_prep(st, ST_USER_COUNT_ADMINS)) == NULL)
		return PANEL_ERR_DB;
	return st_count(st, s, n);
}

/* ------------------------------------------------------------------ */

void
store_session_free(struct store_session *s)
{
	if (s == NULL)
		return;
	free(s->id_hash);
	free(s->csrf);
	free(s->ip);
	free(s);
}

enum panel_err
store_session_add(struct store *st, const struct store_session *x)
{
	if (x->id_hash == NULL || x->csrf == NULL)
		return PANEL_ERR_ARG;
	return RUN(st, ST_SESS_ADD, P_T(x->id_hash), P_I(x->user_id),
	    P_T(x->csrf), P_I(x->created), P_I(x->expires),
	    P_T(x->ip != NULL ? x->ip : ""));
}

enum panel_err
store_session_get(struct store *st, const char *id_hash, int64_t now,
    struct store_session **out, struct store_user **user)
{
	struct store_session	*x;
	sqlite3_stmt		*s;
	enum panel_err		 err = PANEL_ERR_NOTFOUND;
	int			 r;

	*out = NULL;
	if (user != NULL)
		*user = NULL;
	if (id_hash == NULL)
		return PANEL_ERR_ARG;
	if ((s = st_prep(st, ST_SESS_GET)) == NULL ||
	    BIND(st, s, P_T(id_hash), P_I(now)) == -1)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_NOTFOUND : err;
	/* SESS_COLS: id, user_id, csrf, created, expires, ip; USER_JCOLS */
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    col_str(s, 0, &x->id_hash) == -1 ||
	    col_str(s, 2, &x->csrf) == -1 || col_str(s, 5, &x->ip) == -1 ||
	    user_joined(s, 6, user) == -1) {
		sqlite3_reset(s);
		store_session_free(x);
		return PANEL_ERR_NOMEM;
	}
	x->user_id = col_int(s, 1);
	x->created = col_int(s, 3);
	x->expires = col_int(s, 4);
	sqlite3_reset(s);
	*out = x;
	return PANEL_OK;
}

enum panel_err
store_session_rotate(struct store *st, const char *old_hash,
    const char *new_hash, const char *new_csrf, int64_t now, int64_t expires)
{
	if (old_hash == NULL || new_hash == NULL || new_csrf == NULL)
		return PANEL_ERR_ARG;
	return UPDATE1(st, ST_SESS_ROTATE, P_T(new_hash), P_T(new_csrf),
	    P_I(now), P_I(expires), P_T(old_hash));
}

enum panel_err
store_session_delete(struct store *st, const char *id_hash)
{
	return RUN(st, ST_SESS_DEL, P_T(id_hash));
}

enum panel_err
store_session_delete_user(struct store *st, int64_t user_id)
{
	return RUN(st, ST_SESS_DEL_USER, P_I(user_id));
}

enum panel_err
store_session_purge(struct store *st, int64_t now, int64_t *n)
{
	enum panel_err	 err;

	err = RUN(st, ST_SESS_PURGE, P_I(now));
	if (err == PANEL_OK && n != NULL)
		*n = st_changes(st);
	return err;
}

/* ------------------------------------------------------------------ */

/* TOK_COLS: id, user_id, name, hint, created, last_used, revoked */
static int
token_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_token	*t = arg;

	(void)pp;

	t->id = col_int(s, 0);
	t->user_id = col_int(s, 1);
	t->created = col_int(s, 4);
	t->last_used = col_int(s, 5);
	t->revoked = col_int(s, 6);
	if (col_str(s, 2, &t->name) == -1 || col_str(s, 3, &t->hint) == -1)
		return -1;
	return 0;
}

static void
token_clear(struct store_token *t)
{
	free(t->name);
	free(t->hint);
}

void
store_token_free(struct store_token *t)
{
	if (t == NULL)
		return;
	token_clear(t);
	free(t);
}

void
store_token_list_free(struct store_token_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		token_clear(&l->v[i]);
	free(l->v);
	free(l);
}

enum panel_err
store_token_add(struct store *st, int64_t user_id, const char *name,
    const char *token_hash, const char *hint, int64_t now, int64_t *id)
{
	enum panel_err	 err;

	if (token_hash == NULL)
		return PANEL_ERR_ARG;
	err = RUN(st, ST_TOK_ADD, P_I(user_id), P_T(name ? name : ""),
	    P_T(token_hash), P_T(hint ? hint : ""), P_I(now));
	if (err == PANEL_OK && id != NULL)
		*id = st_last_id(st);
	return err;
}

enum panel_err
store_token_by_hash(struct store *st, const char *token_hash,
    struct store_token **out, struct store_user **user)
{
	struct store_token	*t;
	sqlite3_stmt		*s;
	enum panel_err		 err = PANEL_ERR_NOTFOUND;
	int			 r;

	*out = NULL;
	if (user != NULL)
		*user = NULL;
	if (token_hash == NULL)
		return PANEL_ERR_ARG;
	if ((s = st_prep(st, ST_TOK_BY_HASH)) == NULL ||
	    BIND(st, s, P_T(token_hash)) == -1)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_NOTFOUND : err;
	/* TOK_COLS, then USER_JCOLS */
	if ((t = calloc(1, sizeof(*t))) == NULL || token_row(s, t, NULL) == -1 ||
	    user_joined(s, 7, user) == -1) {
		sqlite3_reset(s);
		store_token_free(t);
		return PANEL_ERR_NOMEM;
	}
	sqlite3_reset(s);
	*out = t;
	return PANEL_OK;
}

enum panel_err
store_token_revoke(struct store *st, int64_t id, int64_t owner, int64_t now)
{
	return UPDATE1(st, ST_TOK_REVOKE, P_I(now), P_I(id), P_I(owner));
}

enum panel_err
store_token_touch(struct store *st, int64_t id, int64_t now)
{
	return UPDATE1(st, ST_TOK_TOUCH, P_I(now), P_I(id));
}

enum panel_err
store_token_list(struct store *st, int64_t user_id,
    struct store_token_list **out)
{
	struct store_token_list	*l;
	void			*v = NULL;
	sqlite3_stmt		*s;
	enum panel_err		 err;

	*out = NULL;
	s = st_prep(st, user_id ? ST_TOK_LIST_USER : ST_TOK_LIST_ALL);
	if (s == NULL || (user_id && BIND(st, s, P_I(user_id)) == -1))
		return PANEL_ERR_DB;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return PANEL_ERR_NOMEM;
	err = st_rows(st, s, &v, &l->n, sizeof(*l->v), token_row, NULL, 0, NULL);
	l->v = v;
	if (err != PANEL_OK) {
		store_token_list_free(l);
		return err;
	}
	*out = l;
	return PANEL_OK;
}

/* ------------------------------------------------------------------ */

enum panel_err
store_login_record(struct store *st, const char *ip, const char *user,
    int ok, int64_t now)
{
	return RUN(st, ST_LOGIN_ADD, P_I(now), P_T(ip ? ip : ""),
	    P_T(user ? user : ""), P_I(ok ? 1 : 0));
}

enum panel_err
store_login_failures(struct store *st, const char *ip, const char *user,
    int64_t since, int64_t *by_ip, int64_t *by_user)
{
	sqlite3_stmt	*s;
	enum panel_err	 err;

	if ((s = st_prep(st, ST_LOGIN_FAIL_IP)) == NULL ||
	    BIND(st, s, P_T(ip ? ip : ""), P_I(since)) == -1)
		return PANEL_ERR_DB;
	if ((err = st_count(st, s, by_ip)) != PANEL_OK)
		return err;
	if ((s = st_prep(st, ST_LOGIN_FAIL_USER)) == NULL ||
	    BIND(st, s, P_T(user ? user : ""), P_I(since)) == -1)
		return PANEL_ERR_DB;
	return st_count(st, s, by_user);
}

enum panel_err
store_login_clear(struct store *st, const char *user)
{
	return RUN(st, ST_LOGIN_CLEAR, P_T(user ? user : ""));
}

enum panel_err
store_login_purge(struct store *st, int64_t before)
{
	return RUN(st, ST_LOGIN_PURGE, P_I(before));
}

/* ------------------------------------------------------------------ */

enum panel_err
store_setting_get(struct store *st, const char *key, char **value)
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_ERR_NOTFOUND;
	int		 r;

	*value = NULL;
	if (key == NULL)
		return PANEL_ERR_ARG;
	if ((s = st_prep(st, ST_SET_GET)) == NULL ||
	    BIND(st, s, P_T(key)) == -1)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_NOTFOUND : err;
	r = col_str(s, 0, value);
	sqlite3_reset(s);
	return r == -1 ? PANEL_ERR_NOMEM : PANEL_OK;
}

enum panel_err
store_setting_set(struct store *st, const char *key, const char *value,
    int64_t now)
{
	if (key == NULL || value == NULL)
		return PANEL_ERR_ARG;
	return RUN(st, ST_SET_PUT, P_T(key), P_T(value), P_I(now));
}
