/*
 * GET /acme/audit: the audit log, newest first.  Admins see every entry;
 * other users see the entries they made themselves (actor = their name).
 * Filters: actor, action (trailing '*' for a prefix), object, result,
 * from/to (dates or times, UTC; "to" as a bare date includes that day),
 * before (keyset cursor), limit; format=html|json|csv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pages.h"

#define PAGE_DEFAULT	50
#define CSV_DEFAULT	1000
#define LIMIT_MAX	1000

/* The text filters, in the order the query string repeats them, and
 * their values' names in the page's data. */
static const char *const text_filters[] = {
	"actor", "action", "object", "result", "from", "to",
};
static const char *const filter_keys[] = {
	"f_actor", "f_action", "f_object", "f_result", "f_from", "f_to",
};
_Static_assert(sizeof(filter_keys) == sizeof(text_filters),
    "a page data name for each filter");

struct audit_args {
	struct valid_value	 v[sizeof(text_filters) /
				    sizeof(text_filters[0])];
	const char		*raw[sizeof(text_filters) /
				    sizeof(text_filters[0])];
	char			 from[21];
	char			 to[21];
	int64_t			 before;
	unsigned		 limit;
	int			 csv;
};

static int
resp_writer(void *arg, const char *buf, size_t len)
{
	struct resp	*p = arg;

	resp_add(p, buf, len);
	return p->failed ? -1 : 0;
}

static void
args_clear(struct audit_args *a)
{
	size_t	 i;

	for (i = 0; i < sizeof(a->v) / sizeof(a->v[0]); i++)
		valid_value_clear(&a->v[i]);
}

/*
 * Validates the query into a and f.  Returns 0, or -1 with the 400 page
 * written.
 */
static int
args_parse(struct rq *rq, struct audit_args *a, struct audit_filter *f)
{
	struct valid_error	 ve;
	struct valid_value	 v;
	const char		*s;
	size_t			 i;
	enum panel_err		 rc;

	for (i = 0; i < sizeof(text_filters) / sizeof(text_filters[0]); i++) {
		s = req_query(rq->req, text_filters[i]);
		if (s == NULL || *s == '\0')
			continue;
		memset(&ve, 0, sizeof(ve));
		if ((rc = valid_field(text_filters[i], s, rq->pn->cfg,
		    &a->v[i], &ve)) != PANEL_OK) {
			if (rc != PANEL_ERR_INVALID)
				snprintf(ve.msg, sizeof(ve.msg),
				    "The %s filter is not valid.",
				    text_filters[i]);
			page_error(rq, 400, "invalid", ve.msg,
			    text_filters[i]);
			return -1;
		}
		a->raw[i] = s;
	}
	f->actor = a->v[0].s;
	f->action = a->v[1].s;
	f->object = a->v[2].s;
	if (a->v[3].s != NULL) {
		if (audit_result_parse(a->v[3].s, &f->result) != 0) {
			page_error(rq, 400, "invalid", "The result must be "
			    "ok, fail or denied.", "result");
			return -1;
		}
		f->has_result = 1;
	}
	if (a->raw[4] != NULL) {
		panel_time_iso((time_t)a->v[4].i, a->from);
		f->from = a->from;
	}
	if (a->raw[5] != NULL) {
		/* A bare date means up to the end of that day. */
		panel_time_iso((time_t)a->v[5].i +
		    (strlen(a->raw[5]) == 10 ? 86400 : 0), a->to);
		f->to = a->to;
	}

	if ((s = req_query(rq->req, "format")) != NULL && *s != '\0') {
		memset(&v, 0, sizeof(v));
		if (valid_field("format", s, rq->pn->cfg, &v, &ve) !=
		    PANEL_OK) {
			page_error(rq, 400, "invalid",
			    "The format must be html, json or csv.", "format");
			return -1;
		}
		if (strcmp(v.s, "csv") == 0)
			a->csv = 1;
		else if (strcmp(v.s, "json") == 0)
			rq->req->want_json = 1;
		valid_value_clear(&v);
	}
	a->limit = a->csv ? CSV_DEFAULT : PAGE_DEFAULT;
	if ((s = req_query(rq->req, "limit")) != NULL && *s != '\0') {
		memset(&v, 0, sizeof(v));
		if (valid_field("limit", s, rq->pn->cfg, &v, &ve) !=
		    PANEL_OK || v.i < 1 || v.i > LIMIT_MAX) {
			valid_value_clear(&v);
			page_error(rq, 400, "invalid",
			    "The limit must be a number from 1 to 1000.",
			    "limit");
			return -1;
		}
		a->limit = (unsigned)v.i;
		valid_value_clear(&v);
	}
	if ((s = req_query(rq->req, "before")) != NULL && *s != '\0') {
		memset(&v, 0, sizeof(v));
		if (valid_field("before", s, rq->pn->cfg, &v, &ve) !=
		    PANEL_OK || v.i < 1) {
			valid_value_clear(&v);
			page_error(rq, 400, "invalid",
			    "The page cursor is not valid.", "before");
			return -1;
		}
		a->before = v.i;
		valid_value_clear(&v);
	}
	f->before = a->before;
	f->limit = a->limit;
	return 0;
}

/* "actor=..&action=.." of the filters given, percent-encoded; the
 * caller's string or NULL. */
static char *
query_of(const struct audit_args *a)
{
	struct resp	 q;
	size_t		 i;
	int		 first = 1;

	memset(&q, 0, sizeof(q));
	resp_add(&q, "", 0);
	for (i = 0; i < sizeof(text_filters) / sizeof(text_filters[0]); i++) {
		if (a->raw[i] == NULL)
			continue;
		if (!first)
			resp_puts(&q, "&");
		first = 0;
		resp_puts(&q, text_filters[i]);
		resp_puts(&q, "=");
		resp_urlenc(&q, a->raw[i]);
	}
	if (q.failed || q.body == NULL) {
		resp_clear(&q);
		return strdup("");
	}
	return q.body;	/* the rest of q is empty */
}

static void
send_csv(struct rq *rq, const struct audit_list *l, const char *query)
{
	struct resp	*p = rq->resp;
	char		*link = NULL;
	enum panel_err	 rc;
	char		 detail[64];

	p->len = 0;
	p->status = 200;
	resp_type(p, "text/csv; charset=utf-8");
	resp_header(p, "Content-Disposition",
	    "attachment; filename=\"acme-audit.csv\"");
	if (l->next > 0 && asprintf(&link, "</acme/audit?%s%sformat=csv&"
	    "before=%lld>; rel=\"next\"", query, *query ? "&" : "",
	    (long long)l->next) != -1) {
		resp_header(p, "Link", link);
		free(link);
	}
	if ((rc = audit_csv(l, 1, resp_writer, p)) != PANEL_OK) {
		fprintf(stderr, "acme.fcgi: audit csv: %s\n",
		    panel_strerror(rc));
		p->failed = 1;
		return;
	}
	snprintf(detail, sizeof(detail), "%zu entries", l->n);
	page_audit(rq, "audit.export", "audit_log", "ok", detail);
}

/*
 * The JSON answer, {"entries":[...],"next"} with DESIGN.md's entry (as
 * audit_entry_jsonw writes it), written entry by entry as read.
 */
static void
send_json(struct rq *rq, const struct audit_list *l)
{
	struct jsonw		 w;
	size_t			 i;

	page_json_begin(rq, 200, &w);
	jsonw_obj(&w, NULL);
	jsonw_arr(&w, "entries");
	for (i = 0; i < l->n; i++)
		audit_entry_jsonw(&w, NULL, &l->v[i]);
	jsonw_arr_end(&w);
	if (l->next > 0)
		jsonw_int(&w, "next", l->next);
	else
		jsonw_null(&w, "next");
	jsonw_obj_end(&w);
	page_json_end(rq, &w);
}

/* The fields of the page's table. */
enum entry_field {
	EF_ID,
	EF_AT,
	EF_ACTOR,
	EF_IP,
	EF_ACTION,
	EF_OBJECT,
	EF_RESULT,
	EF_DETAIL,
	EF__MAX
};

static const char *const entry_fields[] = {
	[EF_ID] = "id",
	[EF_AT] = "at",
	[EF_ACTOR] = "actor",
	[EF_IP] = "ip",
	[EF_ACTION] = "action",
	[EF_OBJECT] = "object",
	[EF_RESULT] = "result",
	[EF_DETAIL] = "detail",
};
_Static_assert(sizeof(entry_fields) / sizeof(entry_fields[0]) == EF__MAX,
    "entry_fields");

/* A row of the page's table (tmpl_rows.get); ctx: struct audit_entry[]. */
static int
entry_row(const void *ctx, size_t i, size_t f, struct tmpl_val *v)
{
	const struct audit_entry	*e = (const struct audit_entry *)ctx + i;

	v->type = TV_STR;
	switch ((enum entry_field)f) {
	case EF_ID:
		v->type = TV_INT;
		v->i = e->id;
		break;
	case EF_AT:
		v->s = e->at;
		break;
	case EF_ACTOR:
		v->s = e->actor;
		break;
	case EF_IP:
		v->s = e->ip;
		break;
	case EF_ACTION:
		v->s = e->action;
		break;
	case EF_OBJECT:
		v->s = e->object;
		break;
	case EF_RESULT:
		v->s = audit_result_name(e->result);
		break;
	case EF_DETAIL:
		v->s = e->detail;
		break;
	default:
		return -1;
	}
	return 0;
}

/* The result filter's options: value, and selected when it is ctx's. */
enum opt_field { OF_VALUE, OF_SELECTED, OF__MAX };

static const char *const opt_fields[] = {
	[OF_VALUE] = "value",
	[OF_SELECTED] = "selected",
};
_Static_assert(sizeof(opt_fields) / sizeof(opt_fields[0]) == OF__MAX,
    "opt_fields");

static const char *const result_names[] = { "ok", "fail", "denied" };

/* An option (tmpl_rows.get); ctx: the result asked for, or NULL. */
static int
result_option(const void *ctx, size_t i, size_t f, struct tmpl_val *v)
{
	const char	*sel = ctx;

	switch ((enum opt_field)f) {
	case OF_VALUE:
		v->type = TV_STR;
		v->s = result_names[i];
		break;
	case OF_SELECTED:
		v->type = TV_BOOL;
		v->i = sel != NULL && strcmp(sel, result_names[i]) == 0;
		break;
	default:
		return -1;
	}
	return 0;
}

void
audit_list(struct rq *rq)
{
	struct audit_args	 a;
	struct audit_filter	 f;
	struct audit_list	*l = NULL;
	json_t			*d = NULL, *e;
	struct tmpl_rows	 rows[2];
	char			*query = NULL;
	enum panel_err		 rc;
	size_t			 i;
	int			 admin = auth_is_admin(rq->user);

	memset(&a, 0, sizeof(a));
	memset(&f, 0, sizeof(f));
	f.no_hash = 1;		/* no page shows the chain */
	if (args_parse(rq, &a, &f) == -1)
		goto out;
	if (!admin) {
		/* Users see what they did themselves, nothing else. */
		if (f.actor != NULL && strcmp(f.actor, rq->user->name) != 0) {
			page_error(rq, 403, "forbidden", "Only administrators "
			    "see other users' entries.", "actor");
			goto out;
		}
		f.actor = rq->user->name;
	}
	if ((rc = audit_query(rq->pn->st, &f, &l)) != PANEL_OK) {
		fprintf(stderr, "acme.fcgi: audit query: %s: %s\n",
		    panel_strerror(rc), store_errmsg(rq->pn->st));
		page_error(rq, rc == PANEL_ERR_BUSY ? 503 : 500, "internal",
		    "The audit log could not be read.", NULL);
		goto out;
	}
	if ((query = query_of(&a)) == NULL) {
		rq->resp->failed = 1;
		goto out;
	}
	if (a.csv) {
		send_csv(rq, l, query);
		goto out;
	}

	if (rq->req->want_json) {
		send_json(rq, l);
		goto out;
	}
	rows[0] = (struct tmpl_rows){ "entries", l->n, entry_fields, EF__MAX,
	    entry_row, l->v };
	rows[1] = (struct tmpl_rows){ "results", sizeof(result_names) /
	    sizeof(result_names[0]), opt_fields, OF__MAX, result_option,
	    a.v[3].s };
	d = json_pack("{s:o}", "next", l->next > 0 ? json_integer(l->next) :
	    json_null());
	if (d == NULL) {
		rq->resp->failed = 1;
		goto out;
	}
	json_object_set_new(d, "query", json_string(query));
	json_object_set_new(d, "admin", json_boolean(admin));
	json_object_set_new(d, "any_entries", json_boolean(l->n > 0));
	for (i = 0; i < sizeof(filter_keys) / sizeof(filter_keys[0]); i++)
		if ((e = json_string(a.raw[i] ? a.raw[i] : "")) != NULL)
			json_object_set_new(d, filter_keys[i], e);
	if (!admin)
		json_object_set_new(d, "title", json_string("Your activity"));
	page_render_rows(rq, 200, "audit", d, rows, 2);
out:
	free(query);
	audit_list_free(l);
	args_clear(&a);
}
