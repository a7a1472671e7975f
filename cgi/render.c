/*
 * The page helpers of pages.h: one way to answer a request, as an HTML
 * page from a template or as the JSON API's shape, whichever the client
 * asked for.  Also the stylesheet (static_css).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pages.h"

#define PANEL_BASE	"/acme"
#define CSS_MAX		(256 * 1024)

/* Not in pages.h yet: the route for /acme/static/acme.css. */

static const struct {
	const char	*tmpl;
	const char	*title;
} titles[] = {
	{ "dashboard", "Dashboard" },
	{ "login", "Sign in" },
	{ "audit", "Audit log" },
	{ "accounts", "CA accounts" },
	{ "account", "CA account" },
	{ "account_form", "Add a CA account" },
	{ "orders", "Orders" },
	{ "order", "Order" },
	{ "order_form", "New certificate" },
	{ "challenges", "Validate" },
	{ "certificates", "Certificates" },
	{ "error", "Error" },
};

/* Path prefixes that light up a navigation link. */
static const struct {
	const char	*prefix;
	const char	*flag;
} navs[] = {
	{ PANEL_BASE "/orders", "nav_orders" },
	{ PANEL_BASE "/challenges", "nav_orders" },
	{ PANEL_BASE "/certificates", "nav_certs" },
	{ PANEL_BASE "/accounts", "nav_accounts" },
	{ PANEL_BASE "/audit", "nav_audit" },
};

/* tmpl_render's writer: appends to the response body. */
static int
resp_writer(void *arg, const char *buf, size_t len)
{
	struct resp	*p = arg;

	resp_add(p, buf, len);
	return p->failed ? -1 : 0;
}

/* Drops what the body holds so far (headers such as Set-Cookie stay). */
static void
body_reset(struct resp *p)
{
	p->len = 0;
	if (p->body != NULL)
		p->body[0] = '\0';
}

/* Sets key in o to v (stolen) unless o has it already. */
static void
set_default(json_t *o, const char *key, json_t *v)
{
	if (v == NULL)
		return;
	if (json_object_get(o, key) != NULL)
		json_decref(v);
	else
		json_object_set_new(o, key, v);
}

static int
path_has_prefix(const char *path, const char *prefix)
{
	size_t	 n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

/* Alerts for the dashboard banner (admins: alerts name any owner's
 * objects).  New reference, or NULL when there is nothing to show. */
static json_t *
alerts_json(struct rq *rq)
{
	struct store_alert_list	*l = NULL;
	json_t			*a;
	size_t			 i;
	time_t			 week = time(NULL) - 7 * 86400;

	if (rq->user == NULL || !auth_is_admin(rq->user))
		return NULL;
	if (store_alert_recent(rq->pn->st, 5, &l) != PANEL_OK || l == NULL)
		return NULL;
	if ((a = json_array()) == NULL) {
		store_alert_list_free(l);
		return NULL;
	}
	for (i = 0; i < l->n; i++) {
		const struct store_alert *al = &l->v[i];
		const char	*level = "warn";
		const char	*msg = al->detail;
		char		 buf[512];

		if (al->sent_at < week)
			continue;
		if ((al->cond != NULL && (strstr(al->cond, "fail") != NULL ||
		    strstr(al->cond, "error") != NULL)) ||
		    (al->kind != NULL && strstr(al->kind, "fail") != NULL))
			level = "error";
		if (msg == NULL || *msg == '\0') {
			snprintf(buf, sizeof(buf), "%s %s %s",
			    al->kind ? al->kind : "alert",
			    al->object ? al->object : "",
			    al->cond ? al->cond : "");
			msg = buf;
		}
		json_array_append_new(a, json_pack("{s:s,s:s,s:s?}",
		    "level", level, "message", msg, "object", al->object));
	}
	store_alert_list_free(l);
	if (json_array_size(a) == 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/*
 * Adds the fields every page's header and footer use, unless the page
 * set them itself: base, title, user, csrf, now, nav flags, alerts.
 */
static void
add_common(struct rq *rq, const char *name, json_t *d)
{
	char		 now[21];
	time_t		 t = time(NULL);
	size_t		 i;
	const char	*path = rq->req->path ? rq->req->path : "";

	set_default(d, "base", json_string(PANEL_BASE));
	for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (strcmp(titles[i].tmpl, name) == 0)
			break;
	set_default(d, "title", json_string(i < sizeof(titles) /
	    sizeof(titles[0]) ? titles[i].title : "Certificates"));
	if (rq->user != NULL)
		set_default(d, "user", json_pack("{s:s,s:b,s:b,s:b}",
		    "name", rq->user->name ? rq->user->name : "",
		    "admin", auth_is_admin(rq->user),
		    "remote_user", rq->pn->cfg->auth == PANEL_AUTH_REMOTE_USER,
		    "bearer", rq->bearer));
	if (rq->csrf != NULL)
		set_default(d, "csrf", json_string(rq->csrf));
	set_default(d, "now", json_string(panel_time_min(t, now)));
	for (i = 0; i < sizeof(navs) / sizeof(navs[0]); i++)
		if (path_has_prefix(path, navs[i].prefix))
			set_default(d, navs[i].flag, json_true());
	if (strcmp(name, "dashboard") == 0)
		set_default(d, "alerts", alerts_json(rq));
}

/*
 * Renders template name with d (borrowed) into rq->resp as an HTML page
 * with status.  Returns 0, or -1 when the template failed (logged; the
 * body is then empty and the caller decides what to send).
 */
static int
render_html(struct rq *rq, int status, const char *name, json_t *d,
    const struct tmpl_rows *rows, size_t nrows)
{
	struct resp	*p = rq->resp;
	enum panel_err	 rc;

	add_common(rq, name, d);
	body_reset(p);
	p->status = status;
	resp_type(p, "text/html; charset=utf-8");
	rc = tmpl_render_rows(rq->pn->tmpl, name, d, rows, nrows, resp_writer,
	    p);
	if (rc == PANEL_OK && !p->failed)
		return 0;
	if (rc != PANEL_ERR_WRITE)
		fprintf(stderr, "acme.fcgi: template %s: %s: %s\n", name,
		    panel_strerror(rc), tmpl_errmsg(rq->pn->tmpl));
	body_reset(p);
	return -1;
}

/* The last resort when even error.html cannot be shown. */
static void
plain_error(struct rq *rq, int status, const char *message)
{
	struct resp	*p = rq->resp;

	body_reset(p);
	p->status = status;
	resp_type(p, "text/plain; charset=utf-8");
	resp_puts(p, message);
	resp_puts(p, "\n");
}

static void
csp_header(struct resp *p)
{
	resp_header(p, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'self'; img-src 'self'; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'");
}

void
page_render(struct rq *rq, int status, const char *name, json_t *data)
{
	if (data == NULL)
		data = json_object();
	if (rq->req->want_json) {
		resp_json(rq->resp, status, data);
		return;
	}
	if (data == NULL || !json_is_object(data)) {
		json_decref(data);
		plain_error(rq, 500, "Out of memory.");
		return;
	}
	if (render_html(rq, status, name, data, NULL, 0) == -1)
		plain_error(rq, 500, "Internal error: this page could not "
		    "be shown. The server log says why.");
	else
		csp_header(rq->resp);
	json_decref(data);
}

void
page_render_rows(struct rq *rq, int status, const char *name, json_t *data,
    const struct tmpl_rows *rows, size_t nrows)
{
	if (data == NULL || !json_is_object(data)) {
		json_decref(data);
		plain_error(rq, 500, "Out of memory.");
		return;
	}
	if (render_html(rq, status, name, data, rows, nrows) == -1)
		plain_error(rq, 500, "Internal error: this page could not "
		    "be shown. The server log says why.");
	else
		csp_header(rq->resp);
	json_decref(data);
}

void
page_json_begin(struct rq *rq, int status, struct jsonw *w)
{
	struct resp	*p = rq->resp;

	body_reset(p);
	p->status = status;
	resp_type(p, "application/json");
	jsonw_init(w, resp_writer, p);
}

void
page_json_end(struct rq *rq, struct jsonw *w)
{
	if (jsonw_finish(w) == -1) {
		if (!rq->resp->failed)
			fprintf(stderr, "acme.fcgi: JSON answer refused: a "
			    "string is not UTF-8, or the value is malformed\n");
		rq->resp->failed = 1;
		return;
	}
	resp_add(rq->resp, "\n", 1);
}

void
page_json_time(struct jsonw *w, const char *key, int64_t t)
{
	char	 buf[21];

	if (t <= 0)
		jsonw_null(w, key);
	else
		jsonw_str(w, key, panel_time_iso((time_t)t, buf));
}

/*
 * A path is sent as is when it is already under the panel ("/acme",
 * "/acme/..."); a bare "/orders/5" is taken relative to the panel.
 * Anything that could leave the site ("//host", "\", control
 * characters) becomes the dashboard.
 */
void
page_redirect(struct rq *rq, const char *path)
{
	struct resp	*p = rq->resp;
	char		*loc = NULL;
	const char	*s;

	if (path == NULL || path[0] != '/' || path[1] == '/' ||
	    strchr(path, '\\') != NULL)
		path = PANEL_BASE;
	for (s = path; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			path = PANEL_BASE;
			break;
		}
	if (path_has_prefix(path, PANEL_BASE) ||
	    strncmp(path, PANEL_BASE "?", sizeof(PANEL_BASE)) == 0)
		loc = strdup(path);
	else if (asprintf(&loc, "%s%s", PANEL_BASE, path) == -1)
		loc = NULL;
	if (loc == NULL) {
		p->failed = 1;
		return;
	}
	body_reset(p);
	if (rq->req->want_json) {
		resp_json(p, 200, json_pack("{s:b,s:s}", "ok", 1,
		    "location", loc));
		free(loc);
		return;
	}
	p->status = 303;
	resp_header(p, "Location", loc);
	resp_type(p, "text/html; charset=utf-8");
	resp_puts(p, "<!doctype html><title>See other</title>"
	    "<p><a href=\"");
	tmpl_escape_attr(loc, resp_writer, p);
	resp_puts(p, "\">Continue</a></p>\n");
	free(loc);
}

static const char *
error_title(int status)
{
	switch (status) {
	case 400: return "Bad request";
	case 401: return "Sign in first";
	case 403: return "Not allowed";
	case 404: return "Not found";
	case 405: return "Method not allowed";
	case 409: return "Conflict";
	case 413: return "Too large";
	case 422: return "Check the form";
	case 429: return "Too many attempts";
	case 502: return "The CA did not answer as expected";
	case 503: return "Busy";
	default: return status >= 500 ? "Something went wrong" : "Error";
	}
}

/* The error shape, with the CA's problem (JSON text) when given. */
static void
json_error(struct resp *p, int status, const char *code, const char *msg,
    const char *field, const char *problem)
{
	json_t		*err, *pr = NULL;

	if (problem != NULL)
		pr = json_loads(problem, JSON_REJECT_DUPLICATES, NULL);
	err = json_pack("{s:s,s:s,s:s?}", "code", code, "message", msg,
	    "field", field);
	if (err != NULL && pr != NULL)
		json_object_set(err, "problem", pr);
	json_decref(pr);
	resp_json(p, status, err == NULL ? NULL :
	    json_pack("{s:o}", "error", err));
}

void
page_error(struct rq *rq, int status, const char *code, const char *message,
    const char *field)
{
	json_t	*d;

	if (code == NULL)
		code = "error";
	if (message == NULL)
		message = error_title(status);
	if (rq->req->want_json) {
		body_reset(rq->resp);
		resp_json_error(rq->resp, status, code, message, field);
		return;
	}
	d = json_pack("{s:s,s:s,s:s}", "title", error_title(status),
	    "message", message, "code", code);
	if (d == NULL || render_html(rq, status, "error", d, NULL, 0) == -1)
		plain_error(rq, status, message);
	else
		csp_header(rq->resp);
	json_decref(d);
}

/* The form tmpl again with data (stolen), message at the top and next
 * to field; or the JSON error shape. */
static void
form_error(struct rq *rq, int status, const char *tmpl, json_t *data,
    const char *code, const char *field, const char *message,
    const char *problem)
{
	char	 key[64];

	if (field != NULL && *field == '\0')
		field = NULL;
	if (rq->req->want_json || tmpl == NULL) {
		json_decref(data);
		if (rq->req->want_json) {
			body_reset(rq->resp);
			json_error(rq->resp, status, code, message, field,
			    problem);
		} else
			page_error(rq, status, code, message, field);
		return;
	}
	if (data == NULL)
		data = json_object();
	if (data == NULL) {
		rq->resp->failed = 1;
		return;
	}
	json_object_set_new(data, "error", json_string(message));
	if (field != NULL && snprintf(key, sizeof(key), "err_%s", field) <
	    (int)sizeof(key))
		json_object_set_new(data, key, json_string(message));
	page_render(rq, status, tmpl, data);
}

void
page_form_error(struct rq *rq, const char *tmpl, json_t *data,
    const char *field, const char *message)
{
	form_error(rq, 422, tmpl, data, "invalid", field,
	    message ? message : "Check the form.", NULL);
}

void
page_ops(struct rq *rq, struct ops *o)
{
	memset(o, 0, sizeof(*o));
	o->st = rq->pn->st;
	o->cfg = rq->pn->cfg;
	o->kek = rq->pn->kek;
	o->actor = rq->user != NULL && rq->user->name != NULL ?
	    rq->user->name : "-";
	o->ip = rq->ip;
}

void
page_ops_error(struct rq *rq, const struct ops_err *e, const char *form_tmpl,
    json_t *data)
{
	int		 status = e->status;
	const char	*code = e->code[0] != '\0' ? e->code : "error";
	const char	*msg = e->msg[0] != '\0' ? e->msg :
	    "The action failed.";

	if (status < 400 || status > 599)
		status = 500;
	if (form_tmpl == NULL && !rq->req->want_json) {
		json_decref(data);
		page_error(rq, status, code, msg, e->field);
		return;
	}
	form_error(rq, status, form_tmpl, data, code, e->field, msg,
	    e->problem);
}

void
page_audit(struct rq *rq, const char *action, const char *object,
    const char *result, const char *detail)
{
	enum audit_result	 r;
	enum panel_err		 rc;

	if (result == NULL || audit_result_parse(result, &r) != 0)
		r = AUDIT_FAIL;
	rc = audit_append(rq->pn->st, rq->user != NULL &&
	    rq->user->name != NULL ? rq->user->name : "-", rq->ip, action,
	    object, r, detail, NULL);
	if (rc != PANEL_OK)
		fprintf(stderr, "acme.fcgi: audit %s: %s: %s\n", action,
		    panel_strerror(rc), store_errmsg(rq->pn->st));
}

/*
 * GET /acme/static/acme.css: the one stylesheet, public (the sign-in
 * page needs it) and cacheable for a day.
 */
void
static_css(struct rq *rq)
{
	char		*path = NULL, *css = NULL;
	size_t		 len = 0;
	struct resp	*p = rq->resp;

	if (asprintf(&path, "%s/acme.css", rq->pn->cfg->templates) == -1) {
		p->failed = 1;
		return;
	}
	if (panel_read_file(path, CSS_MAX, &css, &len) != PANEL_OK) {
		fprintf(stderr, "acme.fcgi: %s: cannot read\n", path);
		free(path);
		plain_error(rq, 404, "not found");
		return;
	}
	free(path);
	body_reset(p);
	p->status = 200;
	resp_type(p, "text/css; charset=utf-8");
	resp_header(p, "Cache-Control", "public, max-age=86400");
	resp_add(p, css, len);
	free(css);
}
