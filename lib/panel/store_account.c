/*
 * ACME accounts: the CA, contacts, the sealed account key, the kid.
 */
#include <stdlib.h>
#include <string.h>

#include "panel_priv.h"

/* ACC_COLS: 0 id, owner, ca_url, ca_preset, kid, 5 contacts,
 * key_type, key_enc, status, tos_agreed, 10 eab_kid, error, created,
 * updated. */

static int
account_row(sqlite3_stmt *s, void *arg, struct strpool **pp)
{
	struct store_account	*a = arg;

	(void)pp;

	a->id = col_int(s, 0);
	a->owner = col_int(s, 1);
	a->key_type = col_keytype(s, 6);
	if (store_acc_status_parse(col_text(s, 8), &a->status) == -1)
		a->status = STORE_ACC_FAILED;
	a->tos_agreed = col_int(s, 9) != 0;
	a->created = col_int(s, 12);
	a->updated = col_int(s, 13);
	if (col_str(s, 2, &a->ca_url) == -1 ||
	    col_str(s, 3, &a->ca_preset) == -1 ||
	    col_str(s, 4, &a->kid) == -1 ||
	    json_strv(col_text(s, 5), &a->contacts, &a->ncontacts) == -1 ||
	    col_blob(s, 7, &a->key_enc, &a->key_enc_len) == -1 ||
	    col_str(s, 10, &a->eab_kid) == -1 ||
	    col_str(s, 11, &a->error) == -1)
		return -1;
	return 0;
}

static void
account_clear(struct store_account *a)
{
	free(a->ca_url);
	free(a->ca_preset);
	free(a->kid);
	panel_strv_free(a->contacts, a->ncontacts);
	crypt_wipe_free(a->key_enc, a->key_enc_len);
	free(a->eab_kid);
	free(a->error);
}

void
store_account_free(struct store_account *a)
{
	if (a == NULL)
		return;
	account_clear(a);
	free(a);
}

void
store_account_list_free(struct store_account_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		account_clear(&l->v[i]);
	free(l->v);
	free(l);
}

enum panel_err
store_account_add(struct store *st, const struct store_account *a,
    int64_t now, int64_t *id)
{
	enum panel_err	 err;
	char		*contacts = NULL;

	if (a->ca_url == NULL || (int)a->status < 0 ||
	    a->status >= STORE_ACC__MAX)
		return PANEL_ERR_ARG;
	if (strv_json((const char *const *)a->contacts, a->ncontacts,
	    &contacts) == -1)
		return PANEL_ERR_NOMEM;
	err = RUN(st, ST_ACC_ADD, P_I(a->owner), P_T(a->ca_url),
	    P_T(a->ca_preset), P_T(a->kid), P_T(contacts),
	    P_T(acme_keytype_name(a->key_type)),
	    P_B(a->key_enc, a->key_enc_len),
	    P_T(store_acc_status_name(a->status)), P_I(a->tos_agreed ? 1 : 0),
	    P_T(a->eab_kid), P_T(a->error), P_I(now));
	free(contacts);
	if (err == PANEL_OK && id != NULL)
		*id = st_last_id(st);
	return err;
}

enum panel_err
store_account_get(struct store *st, int64_t id, int64_t owner,
    struct store_account **out)
{
	struct store_account	*a;
	sqlite3_stmt		*s;
	enum panel_err		 err = PANEL_ERR_NOTFOUND;
	int			 r;

	*out = NULL;
	if ((s = st_prep(st, ST_ACC_GET)) == NULL ||
	    BIND(st, s, P_I(id), P_I(owner)) == -1)
		return PANEL_ERR_DB;
	if ((r = st_step(st, s, &err)) != 1)
		return r == 0 ? PANEL_ERR_NOTFOUND : err;
	if ((a = calloc(1, sizeof(*a))) == NULL || account_row(s, a, NULL) == -1) {
		sqlite3_reset(s);
		store_account_free(a);
		return PANEL_ERR_NOMEM;
	}
	sqlite3_reset(s);
	*out = a;
	return PANEL_OK;
}

enum panel_err
store_account_list(struct store *st, int64_t owner,
    struct store_account_list **out)
{
	struct store_account_list	*l;
	void			*v = NULL;
	sqlite3_stmt			*s;
	enum panel_err		 err;

	*out = NULL;
	s = st_prep(st, owner ? ST_ACC_LIST_OWNER : ST_ACC_LIST_ALL);
	if (s == NULL || (owner && BIND(st, s, P_I(owner)) == -1))
		return PANEL_ERR_DB;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return PANEL_ERR_NOMEM;
	err = st_rows(st, s, &v, &l->n, sizeof(*l->v), account_row, NULL,
	    0, NULL);
	l->v = v;
	if (err != PANEL_OK) {
		store_account_list_free(l);
		return err;
	}
	*out = l;
	return PANEL_OK;
}

enum panel_err
store_account_page(struct store *st, int64_t owner, int64_t before,
    unsigned limit, struct store_account_list **out)
{
	struct store_account_list	*l;
	void				*v = NULL;
	sqlite3_stmt			*s;
	enum panel_err			 err;
	int				 more = 0;

	*out = NULL;
	if (limit == 0)
		limit = 50;
	if (limit > 500)
		limit = 500;
	if ((s = st_prep(st, owner ? ST_ACC_PAGE_OWNER : ST_ACC_PAGE_ALL)) ==
	    NULL || BIND(st, s, P_I(owner), P_I(before > 0 ? before :
	    INT64_MAX), P_I((int64_t)limit + 1)) == -1)
		return PANEL_ERR_DB;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		sqlite3_reset(s);
		return PANEL_ERR_NOMEM;
	}
	err = st_rows(st, s, &v, &l->n, sizeof(*l->v), account_row, NULL,
	    limit, &more);
	l->v = v;
	if (err != PANEL_OK) {
		store_account_list_free(l);
		return err;
	}
	if (more && l->n > 0)
		l->next = l->v[l->n - 1].id;
	*out = l;
	return PANEL_OK;
}

enum panel_err
store_account_set_contacts(struct store *st, int64_t id,
    const char *const *contacts, size_t n, int64_t now)
{
	enum panel_err	 err;
	char		*text;

	if (strv_json(contacts, n, &text) == -1)
		return PANEL_ERR_NOMEM;
	err = UPDATE1(st, ST_ACC_SET_CONTACTS, P_T(text), P_I(now), P_I(id));
	free(text);
	return err;
}

enum panel_err
store_account_set_status(struct store *st, int64_t id,
    enum store_acc_status status, const char *error, int64_t now)
{
	if ((int)status < 0 || status >= STORE_ACC__MAX)
		return PANEL_ERR_ARG;
	return UPDATE1(st, ST_ACC_SET_STATUS,
	    P_T(store_acc_status_name(status)), P_T(error), P_I(now), P_I(id));
}

enum panel_err
store_account_set_key(struct store *st, int64_t id, enum acme_keytype type,
    const unsigned char *key_enc, size_t len, int64_t now)
{
	if ((int)type < 0 || type >= ACME_KEY__MAX || key_enc == NULL)
		return PANEL_ERR_ARG;
	return UPDATE1(st, ST_ACC_SET_KEY, P_T(acme_keytype_name(type)),
	    P_B(key_enc, len), P_I(now), P_I(id));
}

enum panel_err
store_account_set_kid(struct store *st, int64_t id, const char *kid,
    enum store_acc_status status, int64_t now)
{
	if (kid == NULL || (int)status < 0 || status >= STORE_ACC__MAX)
		return PANEL_ERR_ARG;
	return UPDATE1(st, ST_ACC_SET_KID, P_T(kid),
	    P_T(store_acc_status_name(status)), P_I(now), P_I(id));
}
