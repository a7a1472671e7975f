/*
 * Helpers every page group uses: field validation through lib/panel's
 * one table, store failures as pages, times as JSON.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pages.h"

/* Labels of the key types, in enum acme_keytype order. */
static const char *const keytype_labels[] = {
	[ACME_KEY_EC256] = "EC P-256 (recommended)",
	[ACME_KEY_EC384] = "EC P-384",
	[ACME_KEY_RSA2048] = "RSA 2048",
	[ACME_KEY_RSA3072] = "RSA 3072",
	[ACME_KEY_RSA4096] = "RSA 4096",
};
_Static_assert(sizeof(keytype_labels) / sizeof(keytype_labels[0]) ==
    ACME_KEY__MAX, "keytype_labels");

json_t *
page_keytypes(enum acme_keytype sel)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; a != NULL && i < ACME_KEY__MAX; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "value",
		    acme_keytype_name((enum acme_keytype)i), "label",
		    keytype_labels[i], "selected", i == (int)sel));
	return a;
}

enum panel_err
page_check(struct rq *rq, const char *field, const char *alias,
    const char *input, struct valid_value *v, struct valid_error *ve)
{
	enum panel_err	 pe;

	memset(v, 0, sizeof(*v));
	memset(ve, 0, sizeof(*ve));
	pe = valid_field(field, input, rq->pn->cfg, v, ve);
	if (pe == PANEL_ERR_ARG && alias != NULL) {
		valid_value_clear(v);
		memset(v, 0, sizeof(*v));
		pe = valid_field(alias, input, rq->pn->cfg, v, ve);
	}
	if (pe == PANEL_ERR_INVALID) {
		ve->field = field;
		if (ve->msg[0] == '\0')
			snprintf(ve->msg, sizeof(ve->msg), "This value is "
			    "not accepted.");
	} else if (pe != PANEL_OK)
		fprintf(stderr, "acme.fcgi: valid_field %s: %s\n", field,
		    panel_strerror(pe));
	return pe;
}

int
page_blank(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

void
page_store_fail(struct rq *rq, enum panel_err pe, const char *what)
{
	if (pe == PANEL_ERR_NOTFOUND) {
		page_audit(rq, "access", rq->req->path, "denied",
		    "no such object for this user");
		page_error(rq, 404, "not_found", what, NULL);
	} else if (pe == PANEL_ERR_BUSY)
		page_error(rq, 503, "busy", "The panel is busy. Try again "
		    "in a moment.", NULL);
	else {
		fprintf(stderr, "acme.fcgi: store: %s: %s\n",
		    panel_strerror(pe), store_errmsg(rq->pn->st));
		page_error(rq, 500, "internal", "The database could not be "
		    "read or written.", NULL);
	}
}

json_t *
page_time(int64_t t, int iso)
{
	char		 buf[21];

	if (t <= 0)
		return json_null();
	return json_string(iso ? panel_time_iso((time_t)t, buf) :
	    panel_time_min((time_t)t, buf));
}
