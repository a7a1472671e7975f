/*
 * tmpl: golden-file renders (sections, partials, lookups, every escape
 * context with XSS payloads), errors, writer failures, the cache.
 *
 * Fixtures are the NAME.html files in tests/unit/golden/tmpl, expected
 * output NAME.out in tests/unit/golden.  TMPL_GOLDEN_WRITE=1 rewrites the
 * .out files (then read them before committing).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "panel.h"
#include "tap.h"

#define FIXTURES	"tests/unit/golden/tmpl"
#define GOLDEN		"tests/unit/golden"

struct buf {
	char	*p;
	size_t	 n;
	int	 calls;
	int	 fail_at;	/* fail the nth call (1-based); 0: never */
};

static int
buf_write(void *arg, const char *s, size_t len)
{
	struct buf	*b = arg;
	char		*np;

	if (++b->calls == b->fail_at)
		return -1;
	if ((np = realloc(b->p, b->n + len + 1)) == NULL)
		return -1;
	b->p = np;
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
	return 0;
}

static const char page_json[] =
    "{\"title\": \"Orders & <friends>\", \"site\": \"Panel\","
    " \"base\": \"/acme\", \"ratio\": 0.5, \"flag\": true,"
    " \"empty\": [], \"zero\": 0, \"count\": 3,"
    " \"user\": {\"name\": \"Zoë\", \"role\": \"admin\", \"id\": 7},"
    " \"orders\": ["
    "  {\"id\": 1, \"status\": \"valid\", \"error\": null,"
    "   \"domains\": [\"example.com\", \"*.example.com\"]},"
    "  {\"id\": 22, \"status\": \"invalid\", \"error\": \"CAA <forbids>\","
    "   \"domains\": [\"x.example\"]}]}";

static const char xss_json[] =
    "{\"evil\": \"<script>alert(1)</script>\\\" onmouseover=\\\"alert(1)\","
    " \"onmouse\": \"x onmouseover=alert(1)\","
    " \"jsurl\": \"javascript:alert(document.cookie)\","
    " \"mixedcase\": \" JaVaScRiPt:alert(1)\","
    " \"data\": \"data:text/html;base64,PHNjcmlwdD4=\","
    " \"protorel\": \"//evil.example/x\","
    " \"good\": \"https://ca.example/tos?a=1&b=\\\"2\\\"\","
    " \"local\": \"/acme/orders/1\","
    " \"quotes\": \"it's \\\"quoted\\\"\","
    " \"inject\": \"{{secret}} {{>header}}\", \"secret\": \"LEAK\","
    " \"uni\": \"b\\u00fccher\","
    " \"trusted\": \"<b>bold</b>\"}";

/* Renders name with json and compares with GOLDEN/name.out. */
static void
golden(struct tmpl *t, const char *name, const char *json)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	json_t		*data;
	char		 path[256], *want = NULL;
	enum panel_err	 rc;

	data = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
	if (data == NULL)
		tap_bail("fixture JSON for %s", name);
	rc = tmpl_render(t, name, data, buf_write, &b);
	ok(rc == PANEL_OK, "%s renders %s", name, tmpl_errmsg(t));
	snprintf(path, sizeof(path), GOLDEN "/%s.out", name);
	if (getenv("TMPL_GOLDEN_WRITE") != NULL && b.p != NULL)
		panel_write_file(path, b.p, b.n, 0644);
	if (panel_read_file(path, 1 << 20, &want, NULL) != PANEL_OK)
		ok(0, "%s: no golden file %s", name, path);
	else
		is_str(b.p, want, name);
	free(want);
	free(b.p);
	json_decref(data);
}

/* 1 when needle occurs inside a tag (between < and >) of html. */
static int
in_tags(const char *html, const char *needle)
{
	const char	*lt, *gt, *hit;

	for (; html != NULL && (lt = strchr(html, '<')) != NULL;
	    html = gt + 1) {
		if ((gt = strchr(lt, '>')) == NULL)
			gt = lt + strlen(lt) - 1;
		if ((hit = strstr(lt, needle)) != NULL && hit < gt)
			return 1;
	}
	return 0;
}

static void
test_xss_spots(struct tmpl *t)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	json_t		*data;

	data = json_loads(xss_json, 0, NULL);
	tmpl_render(t, "xss", data, buf_write, &b);
	ok(b.p != NULL && strstr(b.p, "<script") == NULL &&
	    strstr(b.p, "<b>bold</b>") != NULL, "no <script> anywhere; the "
	    "raw opt-out is raw");
	ok(b.p != NULL && !in_tags(b.p, "onmouseover=") &&
	    !in_tags(b.p, "\" ") && !in_tags(b.p, "x onm"),
	    "no attribute breakout inside any tag");
	ok(b.p != NULL && !in_tags(b.p, "javascript:") &&
	    !in_tags(b.p, "JaVaScRiPt:") && !in_tags(b.p, "data:") &&
	    !in_tags(b.p, "//evil"), "no script or foreign URL in link "
	    "contexts");
	ok(b.p != NULL && strstr(b.p, "LEAK") == NULL &&
	    strstr(b.p, "{{secret}}") != NULL, "data is never re-expanded");
	free(b.p);
	json_decref(data);
}

/* 1 when rendering name fails with TEMPLATE and a message holding want. */
static int
bad(struct tmpl *t, const char *name, const char *want)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	enum panel_err	 rc;

	rc = tmpl_render(t, name, NULL, buf_write, &b);
	free(b.p);
	if (rc == PANEL_ERR_TEMPLATE && strstr(tmpl_errmsg(t), want) != NULL)
		return 1;
	tap_diag("%s: %d %s", name, rc, tmpl_errmsg(t));
	return 0;
}

static void
test_errors(struct tmpl *t)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	json_t		*data;

	ok(bad(t, "bad_unclosed", "bad_unclosed.html:2: unclosed {{#open}}"),
	    "unclosed section");
	ok(bad(t, "bad_mismatch", "bad_mismatch.html:2: unexpected {{/b}}"),
	    "mismatched close");
	ok(bad(t, "bad_filter", "bad_filter.html:1: unknown filter"),
	    "unknown filter");
	ok(bad(t, "bad_tag", "bad_tag.html:2: unclosed tag"), "unclosed tag");
	ok(bad(t, "bad_name", "bad tag"), "space in a name");
	ok(bad(t, "bad_stray", "unexpected {{/stray}}"), "stray close");
	ok(bad(t, "bad_triple", "bad tag"), "filter inside triple braces");
	ok(bad(t, "nosuch", "nosuch.html: No such file"), "missing template");
	ok(bad(t, "../etc/passwd", "bad template name") &&
	    bad(t, "a.b", "bad template name"), "names cannot leave the "
	    "directory");
	ok(bad(t, "loop", "partials nested too deep"), "partial recursion "
	    "bounded");

	data = json_loads(page_json, 0, NULL);
	b.fail_at = 1;
	ok(tmpl_render(t, "page", data, buf_write, &b) == PANEL_ERR_WRITE,
	    "first write fails: WRITE");
	free(b.p);
	json_decref(data);
	ok(tmpl_render(t, NULL, NULL, buf_write, &b) == PANEL_ERR_ARG,
	    "no name: ARG");
}

static void
test_big_and_cache(void)
{
	struct tmpl	*t = NULL;
	struct buf	 b = { NULL, 0, 0, 0 };
	json_t		*data, *arr;
	char		 dir[] = "/tmp/t_tmpl.XXXXXX", path[300];
	const char	*big = "{{#rows}}<tr><td>{{n}}</td></tr>\n{{/rows}}";
	int		 i;

	if (mkdtemp(dir) == NULL)
		tap_bail("mkdtemp");
	snprintf(path, sizeof(path), "%s/big.html", dir);
	panel_write_file(path, big, strlen(big), 0644);
	data = json_object();
	arr = json_array();
	for (i = 0; i < 1000; i++)
		json_array_append_new(arr, json_pack("{s:i}", "n", i));
	json_object_set_new(data, "rows", arr);
	ok(tmpl_new(dir, &t) == PANEL_OK && tmpl_render(t, "big", data,
	    buf_write, &b) == PANEL_OK, "1000 rows render");
	ok(b.n == 1000 * 19 + 10 * 1 + 90 * 2 + 900 * 3 && b.calls > 1 &&
	    b.calls < 20, "buffered: %zu bytes in %d writes", b.n, b.calls);
	free(b.p);
	memset(&b, 0, sizeof(b));
	b.fail_at = 3;
	ok(tmpl_render(t, "big", data, buf_write, &b) == PANEL_ERR_WRITE &&
	    b.calls == 3, "a failing write stops the output");
	free(b.p);
	memset(&b, 0, sizeof(b));
	/* Changed on disk: the cached parse is used for the process. */
	panel_write_file(path, "changed", 7, 0644);
	ok(tmpl_render(t, "big", data, buf_write, &b) == PANEL_OK &&
	    strncmp(b.p, "<tr>", 4) == 0, "templates cached per handle");
	free(b.p);
	tmpl_free(t);
	json_decref(data);
	unlink(path);
	rmdir(dir);
}

static void
test_escapers(void)
{
	struct buf	 b = { NULL, 0, 0, 0 };

	tmpl_escape_html("a&b<c>d\"e'f", buf_write, &b);
	is_str(b.p, "a&amp;b&lt;c&gt;d&quot;e&#39;f", "html escape");
	free(b.p);
	memset(&b, 0, sizeof(b));
	tmpl_escape_attr("a b=c\"d`e", buf_write, &b);
	is_str(b.p, "a&#x20;b&#x3D;c&#x22;d&#x60;e", "attribute escape");
	free(b.p);
	memset(&b, 0, sizeof(b));
	tmpl_escape_url("a b/c?d=é~", buf_write, &b);
	is_str(b.p, "a%20b%2Fc%3Fd%3D%C3%A9~", "URL component escape");
	free(b.p);
	memset(&b, 0, sizeof(b));
	ok(tmpl_escape_html("", buf_write, &b) == 0 && b.p == NULL,
	    "empty writes nothing");
}

static char	 name1[] = "a.example", name2[] = "<b>.example";
static char	*names[] = { name1, name2 };

struct row {
	int64_t		 id;
	const char	*name;
	int		 urgent;
	const char	*note;
};

enum row_field { RF_ID, RF_NAME, RF_URGENT, RF_NAMES, RF_NOTE, RF__MAX };

static const char *const row_fields[] = {
	[RF_ID] = "id",
	[RF_NAME] = "name",
	[RF_URGENT] = "urgent",
	[RF_NAMES] = "names",
	[RF_NOTE] = "note",
};
_Static_assert(sizeof(row_fields) / sizeof(row_fields[0]) == RF__MAX,
    "row_fields");

static int
row_get(const void *ctx, size_t i, size_t field, struct tmpl_val *v)
{
	const struct row	*r = (const struct row *)ctx + i;

	switch (field) {
	case RF_ID:
		v->type = TV_INT;
		v->i = r->id;
		break;
	case RF_NAME:
		v->type = TV_STR;
		snprintf(v->buf, sizeof(v->buf), "%s", r->name);
		v->s = v->buf;
		break;
	case RF_URGENT:
		v->type = TV_BOOL;
		v->i = r->urgent;
		break;
	case RF_NAMES:
		v->type = TV_STRV;
		v->v = names;
		v->nv = r->id <= 0 ? 0 : r->id == 1 ? 1 : 2;
		break;
	case RF_NOTE:
		if (r->note == NULL)
			return -1;
		v->type = TV_STR;
		v->s = r->note;
		break;
	default:
		return -1;
	}
	return 0;
}

/* Lists handed over as rows render as the same list in JSON would. */
static void
test_rows(struct tmpl *t)
{
	static const struct row	 rows[] = {
		{ 1, "a.example", 1, NULL },
		{ -7, "<b>&\"x\"</b>", 0, "it's <i>" },
		{ 30, "", 0, "" },
	};
	struct tmpl_rows	 lists[2] = {
		{ "items", 3, row_fields, RF__MAX, row_get, rows },
		{ "none", 0, row_fields, RF__MAX, row_get, NULL },
	};
	struct buf		 b = { NULL, 0, 0, 0 };
	json_t			*data = json_pack("{s:s,s:s}", "base",
	    "/acme", "title", "T&C");
	const char		*want =
	    "<a href=\"&#x2F;acme/x/1\" title=\"a&#x2E;example\">a.example</a>"
	    " urgent - T&amp;C; [a.example|a.example]\n"
	    "<a href=\"&#x2F;acme/x/-7\" title=\"&#x3C;b&#x3E;&#x26;&#x22;x"
	    "&#x22;&#x3C;&#x2F;b&#x3E;\">&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;"
	    "</a> (it&#39;s &lt;i&gt;) T&amp;C;\n"
	    "<a href=\"&#x2F;acme/x/30\" title=\"\"></a> - T&amp;C;"
	    " [a.example, &lt;b&gt;.example|a.example%2C%20%3Cb%3E.example]\n"
	    "no rows |\n";

	ok(tmpl_render_rows(t, "rows", data, lists, 2, buf_write, &b) ==
	    PANEL_OK, "rows render");
	is_str(b.p, want, "rows: each field escaped for its context, outer "
	    "names found, empty and absent fields false, empty list inverted, "
	    "name lists joined and escaped");
	free(b.p);
	memset(&b, 0, sizeof(b));
	lists[1].name = "title";
	ok(tmpl_render_rows(t, "rows", data, lists, 2, buf_write, &b) ==
	    PANEL_OK && b.p != NULL && strstr(b.p, "urgent - T&amp;C;") !=
	    NULL, "the page's own data wins over a list of the same name");
	free(b.p);
	ok(tmpl_render_rows(t, "rows", data, NULL, 1, buf_write, &b) ==
	    PANEL_ERR_ARG, "rows NULL with a count: refused");
	lists[1].nfields = TMPL_FIELDS_MAX + 1;
	ok(tmpl_render_rows(t, "rows", data, lists, 2, buf_write, &b) ==
	    PANEL_ERR_ARG, "too many fields: refused");
	lists[1].nfields = 1;
	lists[1].fields = NULL;
	ok(tmpl_render_rows(t, "rows", data, lists, 2, buf_write, &b) ==
	    PANEL_ERR_ARG, "fields NULL with a count: refused");
	json_decref(data);
}

/*
 * A list of strings for the field-table tests: row i's field k is
 * cells[i * nfields + k], absent when NULL.  Every call of the getter is
 * counted, and one for an index past the table is an error.
 */
struct grid {
	const char *const	*cells;
	size_t			 nfields;
	int			 calls;
	int			 bad;
};

static int
grid_get(const void *ctx, size_t i, size_t field, struct tmpl_val *v)
{
	struct grid	*g = (struct grid *)(uintptr_t)ctx;
	const char	*s;

	g->calls++;
	if (field >= g->nfields) {
		g->bad++;
		return -1;
	}
	if ((s = g->cells[i * g->nfields + field]) == NULL)
		return -1;
	v->type = TV_STR;
	v->s = s;
	return 0;
}

/*
 * Names are matched against each list's own field table: the partial
 * "cell" is rendered inside two lists whose tables put x and y in other
 * places, then the same template again with the tables swapped.  A field
 * a row lacks and a name not in the table come from outside; a JSON
 * section inside a row and a list inside a row see through to the row.
 */
static void
test_fields(struct tmpl *t)
{
	static const char *const xyo[] = { "x", "y", "o" };
	static const char *const yx[] = { "y", "x" };
	static const char *const un[] = { "name" };
	static const char *const c1[] = { "x1", "y1", "o1", "x2", NULL, "o2" };
	static const char *const c2[] = { "Y1", "X1", "Y2", "X2" };
	static const char *const cu[] = { "list user" };
	struct grid		 g1 = { c1, 3, 0, 0 }, g2 = { c2, 2, 0, 0 };
	struct grid		 gu = { cu, 1, 0, 0 };
	struct tmpl_rows	 lists[3] = {
		{ "l1", 2, xyo, 3, grid_get, &g1 },
		{ "l2", 2, yx, 2, grid_get, &g2 },
		{ "user", 1, un, 1, grid_get, &gu },
	};
	struct buf		 b = { NULL, 0, 0, 0 };
	json_t			*data = json_pack("{s:s,s:s,s:s,s:{s:s}}",
	    "y", "Y-data", "o", "O-data", "title", "T", "user", "name",
	    "U<>");
	const char		*want =
	    "[x1|y1|o1];[x2|Y-data|o2];|[X1|Y1|O-data];[X2|Y2|O-data];\n"
	    "U&lt;&gt;/x1: X1o1 X2o1 \n"
	    "U&lt;&gt;/x2: X1o2 X2o2 \n"
	    "TT T\n";
	const char		*swapped =
	    "[X1|Y1|O-data];[X2|Y2|O-data];|[x1|y1|o1];[x2|Y-data|o2];\n"
	    "U&lt;&gt;/X1: x1o1 x2o2 \n"
	    "U&lt;&gt;/X2: x1o1 x2o2 \n"
	    "TT T\n";
	int			 i;

	/* Twice: the first render loads the partial as it goes. */
	for (i = 0; i < 2; i++) {
		g1.calls = g2.calls = gu.calls = 0;
		ok(tmpl_render_rows(t, "fields", data, lists, 3, buf_write,
		    &b) == PANEL_OK, "fields render (%d)", i + 1);
		is_str(b.p, want, i == 0 ? "each list's names by its own "
		    "table, absent fields and other names from outside" :
		    "the same from the render's memory");
		/* l1: 2 rows x (x y o in cell, x and o in l2's rows (x
		 * twice)); l2: 2 x (x y in cell) + 4 x (x in l1's) */
		ok(g1.calls == 2 * 3 + 2 * (1 + 2) && g2.calls == 2 * 2 + 4 &&
		    gu.calls == 0 && g1.bad + g2.bad + gu.bad == 0,
		    "the getter is asked only for its own fields: %d %d %d",
		    g1.calls, g2.calls, gu.calls);
		free(b.p);
		memset(&b, 0, sizeof(b));
	}

	/* The same template with each list's table and rows swapped. */
	lists[0].fields = yx;
	lists[0].nfields = 2;
	lists[0].ctx = &g2;
	lists[1].fields = xyo;
	lists[1].nfields = 3;
	lists[1].ctx = &g1;
	ok(tmpl_render_rows(t, "fields", data, lists, 3, buf_write, &b) ==
	    PANEL_OK, "fields render with the tables swapped");
	is_str(b.p, swapped, "nothing remembered from the last render");
	free(b.p);
	json_decref(data);
}

int
main(void)
{
	struct tmpl	*t = NULL;

	if (access(FIXTURES "/page.html", R_OK) != 0)
		tap_bail("run from the top directory (" FIXTURES ")");
	ok(tmpl_new(FIXTURES, &t) == PANEL_OK, "tmpl_new");
	golden(t, "page", page_json);
	golden(t, "xss", xss_json);
	golden(t, "numbers", "{\"neg\": -42, \"zero\": 0,"
	    " \"min\": -9223372036854775808, \"max\": 9223372036854775807}");
	test_xss_spots(t);
	test_rows(t);
	test_fields(t);
	test_errors(t);
	golden(t, "page", page_json);	/* after errors, from the cache */
	tmpl_free(t);
	test_big_and_cache();
	test_escapers();
	return tap_done();
}
