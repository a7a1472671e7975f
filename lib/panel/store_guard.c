/*
 * What the local guard in front of the CA's rate limits asks before an
 * order is placed (Let's Encrypt's limits are the model): certificates
 * issued for one exact set of names, and failed validations per account
 * and name.  Both are single indexed queries (sql/0004_guard.sql); the
 * names go in as one JSON array parameter.
 */
#include <stdlib.h>

#include "panel_priv.h"

/* names as a JSON array text in *out (the caller's); PANEL_OK,
 * PANEL_ERR_ARG for no names or a NULL one, PANEL_ERR_NOMEM. */
static enum panel_err
names_param(char *const *names, size_t n, char **out)
{
	size_t	 i;

	*out = NULL;
	if (names == NULL || n == 0)
		return PANEL_ERR_ARG;
	for (i = 0; i < n; i++)
		if (names[i] == NULL || names[i][0] == '\0')
			return PANEL_ERR_ARG;
	if (strv_json((const char *const *)names, n, out) == -1)
		return PANEL_ERR_NOMEM;
	return PANEL_OK;
}

enum panel_err
store_cert_count_names(struct store *st, char *const *names, size_t n,
    const char *ca_url, int64_t since, int64_t *count)
{
	sqlite3_stmt	*s;
	enum panel_err	 err;
	char		*json = NULL;

	*count = 0;
	if (ca_url == NULL)
		return PANEL_ERR_ARG;
	if ((err = names_param(names, n, &json)) != PANEL_OK)
		return err;
	if ((s = st_prep(st, ST_GUARD_CERT_COUNT)) == NULL ||
	    BIND(st, s, P_T(json), P_T(ca_url), P_I(since)) == -1)
		err = PANEL_ERR_DB;
	else
		err = st_count(st, s, count);
	free(json);
	return err;
}

enum panel_err
store_cert_names_nth(struct store *st, char *const *names, size_t n,
    const char *ca_url, int64_t since, unsigned nth, int64_t *created)
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_ERR_NOTFOUND;
	char		*json = NULL;
	int		 r;

	*created = 0;
	if (ca_url == NULL)
		return PANEL_ERR_ARG;
	if ((err = names_param(names, n, &json)) != PANEL_OK)
		return err;
	if ((s = st_prep(st, ST_GUARD_CERT_NTH)) == NULL ||
	    BIND(st, s, P_T(json), P_T(ca_url), P_I(since), P_I(nth)) == -1) {
		free(json);
		return PANEL_ERR_DB;
	}
	if ((r = st_step(st, s, &err)) == 1) {
		*created = col_int(s, 0);
		sqlite3_reset(s);
		err = PANEL_OK;
	} else if (r == 0)
		err = PANEL_ERR_NOTFOUND;
	free(json);
	return err;
}

enum panel_err
store_authz_failures(struct store *st, int64_t account_id,
    char *const *names, size_t n, int64_t since, int64_t *count)
{
	sqlite3_stmt	*s;
	enum panel_err	 err;
	char		*json = NULL;

	*count = 0;
	if ((err = names_param(names, n, &json)) != PANEL_OK)
		return err;
	if ((s = st_prep(st, ST_GUARD_AUTHZ_FAILS)) == NULL ||
	    BIND(st, s, P_I(account_id), P_T(json), P_I(since)) == -1)
		err = PANEL_ERR_DB;
	else
		err = st_count(st, s, count);
	free(json);
	return err;
}
