/*
 * What acme.fcgi's page groups share: the per-request context, the route
 * table's handler type and the helpers main.c provides.
 */
#ifndef PAGES_H
#define PAGES_H

#include <jansson.h>

#include "web.h"
#include "panel.h"
#include "ops.h"

/* Process-wide handles, opened once (session.c). */
struct panel {
	struct store		*st;
	struct panel_config	*cfg;
	struct panel_kek	*kek;
	struct tmpl		*tmpl;
	struct auth_policy	 pol;
};

/* One request being served. */
struct rq {
	struct req		*req;
	struct resp		*resp;
	struct panel		*pn;
	struct auth_principal	*user;	/* NULL when not signed in */
	const char		*csrf;	/* session CSRF token, or NULL */
	int			 bearer; /* authenticated by API token */
	long			 id;	/* {id} of the route, or 0 */
	const char		*tail;	/* the rest of a prefix route */
	char			 ip[64];
};

typedef void	(*page_fn)(struct rq *);

/* Route flags. */
#define R_PUBLIC	0x01	/* no sign-in needed */
#define R_ADMIN		0x02	/* admins only */
#define R_READ		0x04	/* reads only: one read snapshot */

/*
 * Renders template name with data (reference stolen) as the page, or,
 * when the client asked for JSON, sends data itself with status.
 * The common page fields (user, csrf, flash, nav) are added here.
 */
void	page_render(struct rq *, int status, const char *name, json_t *data);
/* page_render for HTML with lists handed over as rows (tmpl_rows), not
 * as JSON; the caller answers a JSON client itself. */
void	page_render_rows(struct rq *, int status, const char *name,
	    json_t *data, const struct tmpl_rows *rows, size_t nrows);
/*
 * A JSON answer written as it is produced (jsonw, panel.h): begin points
 * w at the body (emptied) with status; the caller writes one value; end
 * adds the newline resp_json ends with.  When any of w's calls failed (a
 * write, a string that is not UTF-8) the answer is a 500 with no body,
 * as resp_json gives for a value it cannot write.
 */
void	page_json_begin(struct rq *, int status, struct jsonw *w);
void	page_json_end(struct rq *, struct jsonw *w);
/* A time as the API shows it: ISO 8601 (UTC), or null for t <= 0, as
 * page_time(t, 1) gives it. */
void	page_json_time(struct jsonw *w, const char *key, int64_t t);
/* 303 See Other to a path under the panel (JSON: status + body). */
void	page_redirect(struct rq *, const char *path);
/* An error page or the API error shape. */
void	page_error(struct rq *, int status, const char *code,
	    const char *message, const char *field);
/* The form back with its values and one message next to field. */
void	page_form_error(struct rq *, const char *tmpl, json_t *data,
	    const char *field, const char *message);
/* Fills o for an ops call acting as the signed-in user. */
void	page_ops(struct rq *, struct ops *o);
/* The ops error as a page (form_tmpl/data given: the form again with
 * the message next to its field) or the API error shape. */
void	page_ops_error(struct rq *, const struct ops_err *e,
	    const char *form_tmpl, json_t *data);
/* Appends an audit row for this request (actor, ip from rq). */
void	page_audit(struct rq *, const char *action, const char *object,
	    const char *result, const char *detail);

/* Form helpers shared by the page groups (form.c). */
/*
 * valid_field() for field; when valid.c's table does not know field, the
 * validator of alias (same kind) is used and the error still names field.
 * PANEL_OK, PANEL_ERR_INVALID (ve filled) or another error (logged).
 */
enum panel_err	 page_check(struct rq *, const char *field, const char *alias,
		    const char *input, struct valid_value *v,
		    struct valid_error *ve);
/* 1 when s is NULL or only white space. */
int		 page_blank(const char *s);
/* Answers a store failure: 404 for NOTFOUND (audited as a denial:
 * someone else's row looks exactly like a missing one), 503 when busy,
 * else 500. */
void		 page_store_fail(struct rq *, enum panel_err, const char *what);
/* UTC time for pages ("2025-01-31 12:00", iso 0) or the API (ISO 8601,
 * iso 1); JSON null for t <= 0.  New reference. */
json_t		*page_time(int64_t t, int iso);

/* The key type options of a <select> (value, label, selected), with
 * sel selected.  New reference. */
json_t		*page_keytypes(enum acme_keytype sel);

/* Page groups, one file each. */
void	dash_get(struct rq *);
void	login_get(struct rq *);
void	login_post(struct rq *);
void	logout_post(struct rq *);
void	accounts_list(struct rq *);
void	accounts_form(struct rq *);
void	accounts_create(struct rq *);
void	accounts_show(struct rq *);
void	accounts_update(struct rq *);
void	accounts_rollover(struct rq *);
void	accounts_deactivate(struct rq *);
void	orders_list(struct rq *);
void	orders_form(struct rq *);
void	orders_create(struct rq *);
void	orders_show(struct rq *);
void	orders_challenges(struct rq *);
void	orders_finalize(struct rq *);
void	orders_certificate(struct rq *);
void	challenges_respond(struct rq *);
void	certs_list(struct rq *);
void	certs_revoke(struct rq *);
void	certs_key(struct rq *);
void	audit_list(struct rq *);
void	wellknown_get(struct rq *);
void	static_css(struct rq *);

#endif /* !PAGES_H */
