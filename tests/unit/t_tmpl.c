/*
 * tmpl: golden-file renders (sections, partials, lookups, every escape
 * context with XSS payloads), errors, writer failures, the cache; every
 * escape, both ways it can be done, against a reference over generated
 * strings (lengths, positions, alignments, page ends, buffer ends).
 *
 * Fixtures are the NAME.html files in tests/unit/golden/tmpl, expected
 * output NAME.out in tests/unit/golden.  TMPL_GOLDEN_WRITE=1 rewrites the
 * .out files (then read them before committing).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/mman.h>

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

/* ------------------------------------------------------------------ */
/*
 * The escapes against a reference written the long way, over generated
 * strings, through both paths: the faster one (the default) and the
 * plain one (tmpl_plain_escapes), which must give the same bytes.
 */

enum ctx { C_HTML, C_ATTR, C_URL, C_HREF, C_RAW, C__MAX };

static const char *const ctx_names[] = {
	[C_HTML] = "html", [C_ATTR] = "attr", [C_URL] = "url",
	[C_HREF] = "href", [C_RAW] = "raw",
};
_Static_assert(sizeof(ctx_names) / sizeof(ctx_names[0]) == C__MAX,
    "ctx_names");

/* Bytes collected, in a buffer that doubles. */
struct sink {
	char	*p;
	size_t	 n, cap;
};

/* Appends n bytes of s to b, NUL-terminated. */
static void
add(struct sink *b, const char *s, size_t n)
{
	char	*np;
	size_t	 cap;

	if (b->n + n + 1 > b->cap) {
		for (cap = b->cap > 0 ? b->cap : 256; cap < b->n + n + 1;
		    cap *= 2)
			continue;
		if ((np = realloc(b->p, cap)) == NULL)
			tap_bail("out of memory");
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* A panel_write_fn into a struct sink. */
static int
sink_write(void *arg, const char *s, size_t len)
{
	add(arg, s, len);
	return 0;
}

/* 1 for an ASCII letter or digit. */
static int
ref_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

/* A link the href filter lets through, as panel.h says. */
static int
ref_href_ok(const char *s)
{
	return strncasecmp(s, "https://", 8) == 0 ||
	    strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "mailto:", 7) == 0 ||
	    (s[0] == '/' && s[1] != '/' && s[1] != '\\');
}

/* What s must become in context c, appended to b. */
static void
ref_escape(enum ctx c, const char *s, struct sink *b)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 r[16];

	if (c == C_HREF) {
		if (!ref_href_ok(s)) {
			add(b, "#", 1);
			return;
		}
		c = C_ATTR;
	}
	for (; *p != '\0'; p++) {
		r[0] = (char)*p;
		r[1] = '\0';
		switch (c) {
		case C_HTML:
			if (*p == '&')
				snprintf(r, sizeof(r), "&amp;");
			else if (*p == '<')
				snprintf(r, sizeof(r), "&lt;");
			else if (*p == '>')
				snprintf(r, sizeof(r), "&gt;");
			else if (*p == '"')
				snprintf(r, sizeof(r), "&quot;");
			else if (*p == '\'')
				snprintf(r, sizeof(r), "&#39;");
			break;
		case C_ATTR:
			if (!ref_alnum(*p) && *p < 0x80)
				snprintf(r, sizeof(r), "&#x%02X;", *p);
			break;
		case C_URL:
			if (!ref_alnum(*p) && *p != '-' && *p != '.' &&
			    *p != '_' && *p != '~')
				snprintf(r, sizeof(r), "%%%02X", *p);
			break;
		default:
			break;
		}
		add(b, r, strlen(r));
	}
}

/* s shown with its bytes outside printable ASCII as \xHH. */
static const char *
shown(const char *s)
{
	static char	 out[1024];
	size_t		 n = 0;

	for (; *s != '\0' && n + 8 < sizeof(out); s++)
		n += (size_t)snprintf(out + n, sizeof(out) - n,
		    (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ?
		    "%c" : "\\x%02x", (unsigned char)*s);
	out[n] = '\0';
	return out;
}

/* Failures of the checks below; the first few are shown. */
static int	 esc_bad;

/* 1 when a and b hold the same bytes. */
static int
same_bytes(const struct sink *a, const struct sink *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* Escapes s with the public call of context c (html, attr or url) and
 * checks the result with the reference. */
static void
esc_check(enum ctx c, const char *s)
{
	static struct sink	 got, want;	/* kept from call to call */
	int			 rc;

	got.n = want.n = 0;
	ref_escape(c, s, &want);
	rc = c == C_HTML ? tmpl_escape_html(s, sink_write, &got) :
	    c == C_ATTR ? tmpl_escape_attr(s, sink_write, &got) :
	    tmpl_escape_url(s, sink_write, &got);
	if (rc != 0 || !same_bytes(&got, &want)) {
		if (esc_bad++ < 5)
			tap_diag("%s escape of \"%s\" (%zu bytes): got %zu "
			    "bytes, want %zu", ctx_names[c], shown(s),
			    strlen(s), got.n, want.n);
	}
}

/* esc_check in the three contexts of the public calls. */
static void
esc_check_all(const char *s)
{
	esc_check(C_HTML, s);
	esc_check(C_ATTR, s);
	esc_check(C_URL, s);
}

/* A small generator with a fixed seed, so that failures repeat. */
static uint64_t	 rnd_state = 0x9e3779b97f4a7c15ULL;

/* 0 to n - 1. */
static unsigned
rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rnd_state >> 33) % n;
}

/* A byte for a generated string: mostly ones that stay somewhere, often
 * ones that do not, UTF-8 bytes, never NUL. */
static char
rnd_byte(void)
{
	static const char	 specials[] = "&<>\"'/ =`%#?.-_~:;,\\\t\n";

	switch (rnd(8)) {
	case 0:
	case 1:
		return specials[rnd(sizeof(specials) - 1)];
	case 2:
		return (char)(0x80 + rnd(0x80));
	case 3:
		return (char)(1 + rnd(0x7f));
	default:
		return "abcXYZ0189"[rnd(10)];
	}
}

/* n bytes of rnd_byte at s, then a NUL. */
static void
rnd_fill(char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		s[i] = rnd_byte();
	s[n] = '\0';
}

/*
 * Every length to 80 over three fillers (all staying, all escaped in
 * attributes, UTF-8), with characters that do not stay at every
 * position: three kinds at each, in turn, so that over the lengths each
 * kind comes at each position.
 */
static void
test_escape_positions(void)
{
	static const char *const fillers[] = { "aZ09bY18", "a b/c=d.",
	    "\xc3\xa9\xe2\x82\xac" };
	static const char *const odd[] = { "&", "<", ">", "\"", "'", "/",
	    " ", "%", "~", "-", "\x7f", "\x01", "\xc3\xa9", "\xff", "=",
	    "_", "." };
	const size_t	 nodd = sizeof(odd) / sizeof(odd[0]);
	const char	*o;
	char		 s[128];
	size_t		 len, pos, f, k, i, fl;

	esc_bad = 0;
	for (f = 0; f < sizeof(fillers) / sizeof(fillers[0]); f++) {
		fl = strlen(fillers[f]);
		for (len = 0; len <= 80; len++) {
			for (i = 0; i < len; i++)
				s[i] = fillers[f][i % fl];
			s[len] = '\0';
			esc_check_all(s);
			for (pos = 0; pos < len; pos++)
				for (k = 0; k < 3; k++) {
					o = odd[(pos * 3 + k + len) % nodd];
					for (i = 0; i < len; i++)
						s[i] = fillers[f][i % fl];
					memcpy(s + pos, o, pos + strlen(o) <=
					    len ? strlen(o) : 1);
					esc_check_all(s);
				}
		}
	}
	ok(esc_bad == 0, "every length to 80, characters that do not stay "
	    "at every position: as the reference (%d differ)", esc_bad);
}

/* Random strings, and strings whose NUL falls at every alignment with
 * bytes that would need escaping right after it. */
static void
test_escape_random(void)
{
	char		 area[512];
	size_t		 i, off, len;

	esc_bad = 0;
	for (i = 0; i < 3000; i++) {
		len = rnd(i < 2000 ? 48 : 400);
		rnd_fill(area, len);
		esc_check_all(area);
	}
	ok(esc_bad == 0, "3000 random strings: as the reference (%d differ)",
	    esc_bad);
	esc_bad = 0;
	for (off = 0; off < 32; off++)
		for (len = 0; len <= 64; len++) {
			memset(area, '<', sizeof(area));
			rnd_fill(area + off, len);
			area[off + len] = '\0';
			esc_check_all(area + off);
		}
	ok(esc_bad == 0, "NUL at every alignment, \"<\" past it: nothing "
	    "past the NUL is read into the output (%d differ)", esc_bad);
}

/*
 * Strings that end on the last byte of a page followed by one that is
 * not mapped, and that start on the first byte of a page after one that
 * is not: a read outside the string faults.
 */
static void
test_escape_pages(void)
{
	long		 pg = sysconf(_SC_PAGESIZE);
	char		*map, *mid;
	size_t		 len;

	map = mmap(NULL, (size_t)pg * 3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		tap_bail("mmap");
	mid = map + pg;
	if (mprotect(map, (size_t)pg, PROT_NONE) == -1 ||
	    mprotect(mid + pg, (size_t)pg, PROT_NONE) == -1)
		tap_bail("mprotect");
	esc_bad = 0;
	for (len = 0; len <= 200; len++) {
		rnd_fill(mid + pg - 1 - len, len);
		esc_check_all(mid + pg - 1 - len);
		rnd_fill(mid, len);
		esc_check_all(mid);
	}
	/* A whole page of string. */
	rnd_fill(mid, (size_t)pg - 1);
	esc_check_all(mid);
	ok(esc_bad == 0, "strings against unmapped pages on either side "
	    "(%d differ)", esc_bad);
	munmap(map, (size_t)pg * 3);
}

/* A list of strings for the render tests: field "v". */
struct strs {
	char	**v;
	size_t	  n;
};

static const char *const v_field[] = { "v" };

/* struct strs's getter (tmpl_rows.get). */
static int
strs_get(const void *ctx, size_t i, size_t field, struct tmpl_val *v)
{
	const struct strs	*l = ctx;

	if (field != 0)
		return -1;
	v->type = TV_STR;
	v->s = l->v[i];
	return 0;
}

/* Writes name.html holding text in dir. */
static void
put_template(const char *dir, const char *name, const char *text)
{
	char	 path[300];

	snprintf(path, sizeof(path), "%s/%s.html", dir, name);
	if (panel_write_file(path, text, strlen(text), 0644) != PANEL_OK)
		tap_bail("cannot write %s", path);
}

/* Text after each value: longer than what the buffer may hold past its
 * end for a moment. */
#define TAIL	"<0123456789abcdef0123456789abcdef0123456789abcdef>"

#define PRE_LO	(4096 - 40 - (sizeof(TAIL) - 1))
#define PRE_HI	(4096 + 8 - (sizeof(TAIL) - 1))

static const char *const list_tmpl[C__MAX] = {
	[C_HTML] = "{{#vals}}{{v}}" TAIL "{{/vals}}",
	[C_ATTR] = "{{#vals}}{{v|attr}}" TAIL "{{/vals}}",
	[C_URL] = "{{#vals}}{{v|url}}" TAIL "{{/vals}}",
	[C_HREF] = "{{#vals}}{{v|href}}" TAIL "{{/vals}}",
	[C_RAW] = "{{#vals}}{{{v}}}" TAIL "{{/vals}}",
};

/*
 * Renders the list l through the template of context c and checks the
 * output with the reference, and that the writer was handed it in runs
 * of at most a buffer's worth (each value longer than that aside).
 */
static void
list_check(struct tmpl *t, enum ctx c, const struct strs *l,
    const char *what)
{
	struct tmpl_rows	 rows = { "vals", l->n, v_field, 1, strs_get,
	    l };
	struct sink		 got = { NULL, 0, 0 };
	struct sink		 want = { NULL, 0, 0 };
	enum panel_err		 rc;
	size_t			 i;

	for (i = 0; i < l->n; i++) {
		ref_escape(c, l->v[i], &want);
		add(&want, TAIL, strlen(TAIL));
	}
	rc = tmpl_render_rows(t, ctx_names[c], NULL, &rows, 1, sink_write,
	    &got);
	if (rc != PANEL_OK || !same_bytes(&got, &want)) {
		if (esc_bad++ < 5)
			tap_diag("%s, %s: rc %d, got %zu bytes, want %zu",
			    what, ctx_names[c], rc, got.n, want.n);
	}
	free(got.p);
	free(want.p);
}

/* list_check through every filter. */
static void
list_check_all(struct tmpl *t, const struct strs *l, const char *what)
{
	enum ctx	 c;

	for (c = 0; c < C__MAX; c++)
		list_check(t, c, l, what);
}

/* n strings of the lengths in lens (random content), as a list. */
static void
strs_make(struct strs *l, const size_t *lens, size_t n)
{
	size_t	 i;

	l->n = n;
	if ((l->v = calloc(n, sizeof(*l->v))) == NULL)
		tap_bail("out of memory");
	for (i = 0; i < n; i++) {
		if ((l->v[i] = malloc(lens[i] + 1)) == NULL)
			tap_bail("out of memory");
		rnd_fill(l->v[i], lens[i]);
		/* Some links that href lets through. */
		if (i % 3 == 0 && lens[i] > 0)
			l->v[i][0] = '/';
	}
}

/* Frees what strs_make made. */
static void
strs_free(struct strs *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/*
 * Values through templates, so through the output buffer: values longer
 * than it, many values crossing its end at every offset, long lists of
 * random values; every filter.
 */
static void
test_escape_renders(const char *dir)
{
	static const size_t	 longs[] = { 4095, 4096, 4097, 4100, 5000,
	    8191, 8193, 20000, 0, 3 };
	static const size_t	 crossing[] = { 0, 1, 2, 3, 5, 7, 8, 9, 13, 15,
	    16, 17, 21, 31, 32, 40 };
	static const size_t	 worst[] = { 1, 2, 3, 7, 15, 16, 17, 20, 26,
	    29, 30, 31, 32, 33, 34, 35, 680, 681, 682, 683, 684 };
	struct tmpl		*t = NULL;
	struct strs		 l;
	size_t			 lens[600], i, pre;
	enum ctx		 c;

	for (c = 0; c < C__MAX; c++)
		put_template(dir, ctx_names[c], list_tmpl[c]);
	if (tmpl_new(dir, &t) != PANEL_OK)
		tap_bail("tmpl_new");
	esc_bad = 0;
	strs_make(&l, longs, sizeof(longs) / sizeof(longs[0]));
	list_check_all(t, &l, "values longer than the buffer");
	strs_free(&l);
	ok(esc_bad == 0, "values longer than the output buffer (%d differ)",
	    esc_bad);

	/* A first value that, with its TAIL, fills the 4096 bytes of the
	 * buffer to 40 bytes from its end .. 8 past it, then values that
	 * cross its end. */
	esc_bad = 0;
	for (pre = PRE_LO; pre <= PRE_HI; pre++)
		for (i = 0; i < sizeof(crossing) / sizeof(crossing[0]); i++) {
			lens[0] = pre;
			lens[1] = crossing[i];
			lens[2] = crossing[i];
			strs_make(&l, lens, 3);
			memset(l.v[0], 'a', pre);	/* stays everywhere */
			list_check_all(t, &l, "crossing the buffer's end");
			strs_free(&l);
		}
	ok(esc_bad == 0, "values crossing the end of the buffer at every "
	    "offset (%d differ)", esc_bad);

	/* The same with values each character of which is replaced by the
	 * longest replacement (a link for href). */
	esc_bad = 0;
	for (pre = PRE_LO; pre <= PRE_HI; pre++)
		for (i = 0; i < sizeof(worst) / sizeof(worst[0]); i++) {
			lens[0] = pre;
			lens[1] = worst[i];
			lens[2] = worst[i];
			strs_make(&l, lens, 3);
			memset(l.v[0], 'a', pre);
			memset(l.v[1], '"', worst[i]);
			memset(l.v[2], '"', worst[i]);
			if (worst[i] > 0)
				l.v[2][0] = '/';
			/* A run that stays, then the replacements. */
			if (worst[i] < 40)
				memset(l.v[1], 'a', worst[i] / 2);
			list_check_all(t, &l, "replaced, crossing the end");
			strs_free(&l);
		}
	ok(esc_bad == 0, "values of characters all replaced, crossing the "
	    "end of the buffer at every offset (%d differ)", esc_bad);

	esc_bad = 0;
	for (i = 0; i < 600; i++)
		lens[i] = rnd(i % 50 == 0 ? 700 : 60);
	strs_make(&l, lens, 600);
	list_check_all(t, &l, "600 random values");
	strs_free(&l);
	ok(esc_bad == 0, "600 random values (%d differ)", esc_bad);
	tmpl_free(t);
	for (c = 0; c < C__MAX; c++) {
		char	 path[300];

		snprintf(path, sizeof(path), "%s/%s.html", dir, ctx_names[c]);
		unlink(path);
	}
}

/* A list of int64_t's getter (tmpl_rows.get). */
static int
ints_get(const void *ctx, size_t i, size_t field, struct tmpl_val *v)
{
	(void)field;
	v->type = TV_INT;
	v->i = ((const int64_t *)ctx)[i];
	return 0;
}

/* Numbers of every width and sign through every filter: digits stay,
 * '-' but in attributes, no number is a link. */
static void
test_numbers(const char *dir)
{
	static const int64_t	 vals[] = { 0, 1, 9, 10, 11, 99, 100, 101,
	    999, 1000, 12345, 99999, 100000, 1234567890123LL, -1, -9, -10,
	    -99, -100, -101, -100000, INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	struct tmpl		*t = NULL;
	struct tmpl_rows	 rows = { "vals", sizeof(vals) /
	    sizeof(vals[0]), v_field, 1, ints_get, vals };
	struct sink		 got = { NULL, 0, 0 };
	struct sink		 want = { NULL, 0, 0 };
	char			 num[32];
	size_t			 i;
	enum ctx		 c;
	int			 bad = 0;

	for (c = 0; c < C__MAX; c++)
		put_template(dir, ctx_names[c], list_tmpl[c]);
	if (tmpl_new(dir, &t) != PANEL_OK)
		tap_bail("tmpl_new");
	for (c = 0; c < C__MAX; c++) {
		for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			snprintf(num, sizeof(num), "%lld", (long long)vals[i]);
			ref_escape(c, num, &want);
			add(&want, TAIL, strlen(TAIL));
		}
		if (tmpl_render_rows(t, ctx_names[c], NULL, &rows, 1,
		    sink_write, &got) != PANEL_OK || !same_bytes(&got, &want)) {
			tap_diag("%s: %s", ctx_names[c], got.p ? got.p : "");
			bad++;
		}
		free(got.p);
		free(want.p);
		memset(&got, 0, sizeof(got));
		memset(&want, 0, sizeof(want));
	}
	ok(bad == 0, "numbers from getters through every filter");
	tmpl_free(t);
	for (c = 0; c < C__MAX; c++) {
		char	 path[300];

		snprintf(path, sizeof(path), "%s/%s.html", dir, ctx_names[c]);
		unlink(path);
	}
}

/*
 * Text of every length at the end of a template (read 16 bytes at a
 * time from the source), alone and after a tag, and text longer than the
 * output buffer.
 */
static void
test_text(const char *dir)
{
	static const size_t	 big[] = { 4095, 4096, 4097, 5000 };
	struct tmpl		*t = NULL;
	struct buf		 b = { NULL, 0, 0, 0 };
	json_t			*d = json_pack("{s:s}", "v", "<");
	char			 text[5100], want[5200], path[300];
	size_t			 k, len;
	int			 bad = 0, tag;

	for (k = 0; k < 44; k++) {
		len = k < 40 ? k + 1 : big[k - 40];
		for (tag = 0; tag < 2; tag++) {
			snprintf(text, sizeof(text), "%s", tag ? "x{{v}}" : "");
			memset(text + strlen(text), 'a' + (int)(k % 26), len);
			text[(tag ? 6 : 0) + len] = '\0';
			snprintf(want, sizeof(want), "%s%s", tag ? "x&lt;" : "",
			    text + (tag ? 6 : 0));
			put_template(dir, "text", text);
			if (tmpl_new(dir, &t) != PANEL_OK ||
			    tmpl_render(t, "text", d, buf_write, &b) !=
			    PANEL_OK || b.p == NULL || strcmp(b.p, want) != 0) {
				tap_diag("text of %zu bytes%s", len,
				    tag ? " after a tag" : "");
				bad++;
			}
			tmpl_free(t);
			t = NULL;
			free(b.p);
			memset(&b, 0, sizeof(b));
		}
	}
	ok(bad == 0, "a template's text of every length to 40, and longer "
	    "than the output buffer");
	snprintf(path, sizeof(path), "%s/text.html", dir);
	unlink(path);
	json_decref(d);
}

/* A getter that renders another template with the same handle. */
struct nest {
	struct tmpl	*t;
	char		 inner[64];
	int		 rc;
};

static int
nest_get(const void *ctx, size_t i, size_t field, struct tmpl_val *v)
{
	struct nest	*ns = (struct nest *)(uintptr_t)ctx;
	struct buf	 b = { NULL, 0, 0, 0 };
	json_t		*d = json_pack("{s:s}", "v", i == 0 ? "<in>" : "&");

	(void)field;
	ns->rc |= tmpl_render(ns->t, "html1", d, buf_write, &b);
	snprintf(ns->inner, sizeof(ns->inner), "%s", b.p ? b.p : "");
	free(b.p);
	json_decref(d);
	v->type = TV_STR;
	v->s = ns->inner;
	return 0;
}

/* A render begun from a getter of another, with the same handle. */
static void
test_nested(const char *dir)
{
	struct nest		 ns = { NULL, "", 0 };
	struct tmpl_rows	 rows = { "vals", 2, v_field, 1, nest_get,
	    &ns };
	struct buf		 b = { NULL, 0, 0, 0 };
	char			 path[300];

	put_template(dir, "html1", "[{{v}}]");
	put_template(dir, "outer", "{{#vals}}({{v}}){{/vals}}");
	if (tmpl_new(dir, &ns.t) != PANEL_OK)
		tap_bail("tmpl_new");
	ok(tmpl_render_rows(ns.t, "outer", NULL, &rows, 1, buf_write, &b) ==
	    PANEL_OK && ns.rc == 0, "a render inside a render");
	is_str(b.p, "([&amp;lt;in&amp;gt;])([&amp;amp;])", "each with its "
	    "own output");
	free(b.p);
	tmpl_free(ns.t);
	snprintf(path, sizeof(path), "%s/html1.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/outer.html", dir);
	unlink(path);
}

/*
 * Rows whose fields are present, absent (-1) or empty, for a template
 * with every kind of node inside a list: the same output and the same
 * getter calls from a render, which takes the list's children as ops,
 * and from a render inside a render, which takes them as they are.
 */
struct opsrow {
	const char	*v;		/* NULL: absent */
	int		 flag;		/* -1: absent */
};

struct opsctx {
	const struct opsrow	*rows;
	int			 calls;
	struct tmpl		*t;		/* for the render inside */
	json_t			*data;
	struct sink		 inner;
	int			 rc;
};

static const char *const ops_fields[] = { "v", "flag" };

/* struct opsrow's getter (tmpl_rows.get), counting its calls. */
static int
ops_get(const void *ctx, size_t i, size_t field, struct tmpl_val *v)
{
	struct opsctx		*c = (struct opsctx *)(uintptr_t)ctx;
	const struct opsrow	*row = &c->rows[i];

	c->calls++;
	if (field == 0) {
		if (row->v == NULL)
			return -1;
		v->type = TV_STR;
		v->s = row->v;
		return 0;
	}
	if (row->flag < 0)
		return -1;
	v->type = TV_BOOL;
	v->i = row->flag;
	return 0;
}

/* The outer list's getter: renders "ops" inside. */
static int
wrap_get(const void *ctx, size_t i, size_t field, struct tmpl_val *v)
{
	struct opsctx		*c = (struct opsctx *)(uintptr_t)ctx;
	struct tmpl_rows	 rows = { "vals", 3, ops_fields, 2, ops_get,
	    c };

	(void)i;
	(void)field;
	c->inner.n = 0;
	c->rc |= tmpl_render_rows(c->t, "ops", c->data, &rows, 1,
	    sink_write, &c->inner);
	v->type = TV_STR;
	v->s = c->inner.p != NULL ? c->inner.p : "";
	return 0;
}

static void
test_ops(const char *dir)
{
	static const struct opsrow	 rows3[] = {
		{ "x&", 1 }, { NULL, 0 }, { "", -1 },
	};
	static const char *const	 wrap_fields[] = { "w" };
	struct opsctx			 c = { rows3, 0, NULL, NULL,
	    { NULL, 0, 0 }, 0 };
	struct tmpl_rows		 rows = { "vals", 3, ops_fields, 2,
	    ops_get, &c };
	struct tmpl_rows		 wrap = { "w", 1, wrap_fields, 1,
	    wrap_get, &c };
	struct sink			 b = { NULL, 0, 0 };
	const char			*want =
	    "[abx&amp;x&#x26;(x&amp;)mO&lt;Ftrue<x&amp;>AB]"
	    "[abJVJV(JV)mO&lt;<JV>AB]"
	    "[abnonemO&lt;Ftrue<>AB]";
	char				 path[300];
	int				 calls, i;

	put_template(dir, "ops", "{{#vals}}[{{! 1 }}{{! 2 }}a{{! 3 }}b{{v}}"
	    "{{v|attr}}{{#v}}({{.}}){{/v}}{{^v}}none{{/v}}{{#miss}}M{{/miss}}"
	    "{{^miss}}m{{/miss}}{{outer}}{{#flag}}F{{.}}{{/flag}}{{>part}}"
	    "{{a.b}}]{{/vals}}");
	put_template(dir, "part", "<{{v}}>");
	put_template(dir, "wrap", "{{#w}}{{{w}}}{{/w}}");
	c.data = json_pack("{s:s,s:b,s:{s:s},s:s}", "outer", "O<", "flag", 1,
	    "a", "b", "AB", "v", "JV");
	if (tmpl_new(dir, &c.t) != PANEL_OK || c.data == NULL)
		tap_bail("tmpl_new");
	for (i = 0; i < 2; i++) {
		c.calls = 0;
		b.n = 0;
		ok(tmpl_render_rows(c.t, "ops", c.data, &rows, 1, sink_write,
		    &b) == PANEL_OK, "every kind of node in a list (%d)",
		    i + 1);
		is_str(b.p, want, "fields present, absent, empty; names from "
		    "outside; sections, inverted sections, partials, dotted "
		    "names, comments between texts");
	}
	calls = c.calls;
	c.calls = 0;
	b.n = 0;
	ok(tmpl_render_rows(c.t, "wrap", NULL, &wrap, 1, sink_write, &b) ==
	    PANEL_OK && c.rc == 0, "the same inside a render");
	is_str(b.p, want, "the same output inside a render");
	ok(c.calls == calls, "the same getter calls: %d, %d", calls, c.calls);
	free(b.p);
	free(c.inner.p);
	json_decref(c.data);
	tmpl_free(c.t);
	snprintf(path, sizeof(path), "%s/ops.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/part.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/wrap.html", dir);
	unlink(path);
}

/* A list whose rows have no fields at all, counting the getter's calls. */
static int	 none_calls;

static int
none_get(const void *ctx, size_t i, size_t field, struct tmpl_val *v)
{
	(void)ctx;
	(void)i;
	(void)field;
	(void)v;
	none_calls++;
	return -1;
}

/*
 * Names from outside a list, the same in every row, in lists long enough
 * to cross the end of the output buffer many times: short values and
 * values longer than what a render keeps of one, absent names, and the
 * same list inside each element of an array (where the name differs from
 * element to element).
 */
static void
test_outside(const char *dir)
{
	static const char *const	 vals[] = { "r&1", "", "<r3>" };
	struct strs			 l = { NULL, 0 };
	struct tmpl			*t = NULL;
	static const char *const	 t_field[] = { "t" };
	struct tmpl_rows		 rows, lists[2];
	struct sink			 b = { NULL, 0, 0 };
	struct sink			 want = { NULL, 0, 0 };
	json_t				*d;
	char				 shortv[41], longv[61], path[300];
	size_t				 i;
	enum panel_err			 rc;
	char				 padv[4200];
	int				 bad;

	memset(shortv, '"', 40);
	shortv[40] = '\0';
	memset(longv, '<', 60);
	longv[60] = '\0';
	put_template(dir, "outside", "{{#vals}}{{s}}{{v}}{{l|attr}}{{none}}"
	    "{{s|url}}.{{/vals}}");
	put_template(dir, "elems", "{{#arr}}{{#vals}}{{name}}{{v}}|{{/vals}}"
	    "{{/arr}}");
	put_template(dir, "inner", "{{#outer}}{{#vals}}{{t}}{{/vals}}"
	    "{{/outer}}");
	put_template(dir, "padded", "{{pad}}{{#vals}}{{t}}|{{/vals}}");
	d = json_pack("{s:s,s:s,s:s,s:[{s:s},{s:s}]}", "s", shortv, "l",
	    longv, "t", "T&", "arr", "name", "n1", "name", "n2<");
	l.n = 300;
	if ((l.v = calloc(l.n, sizeof(*l.v))) == NULL || d == NULL ||
	    tmpl_new(dir, &t) != PANEL_OK)
		tap_bail("test_outside");
	for (i = 0; i < l.n; i++) {
		l.v[i] = (char *)(uintptr_t)vals[i % 3];
		ref_escape(C_HTML, shortv, &want);
		ref_escape(C_HTML, vals[i % 3], &want);
		ref_escape(C_ATTR, longv, &want);
		ref_escape(C_URL, shortv, &want);
		add(&want, ".", 1);
	}
	rows = (struct tmpl_rows){ "vals", l.n, v_field, 1, strs_get, &l };
	rc = tmpl_render_rows(t, "outside", d, &rows, 1, sink_write, &b);
	ok(rc == PANEL_OK && same_bytes(&b, &want), "names from outside a "
	    "list of 300 rows, through the buffer's end: %zu bytes, want %zu",
	    b.n, want.n);
	b.n = 0;
	rows.n = 3;
	ok(tmpl_render_rows(t, "elems", d, &rows, 1, sink_write, &b) ==
	    PANEL_OK && b.p != NULL && strcmp(b.p, "n1r&amp;1|n1|n1&lt;r3&gt;|"
	    "n2&lt;r&amp;1|n2&lt;|n2&lt;&lt;r3&gt;|") == 0, "a list in each "
	    "element of an array: the name from each element");
	/* The first row's value crossing the end of the buffer. */
	bad = 0;
	for (i = 4096 - 24; i <= 4096 + 4; i++) {
		memset(padv, 'p', i);
		padv[i] = '\0';
		json_object_set_new(d, "pad", json_string(padv));
		b.n = 0;
		rc = tmpl_render_rows(t, "padded", d, &rows, 1, sink_write, &b);
		if (rc != PANEL_OK || b.n != i + 3 * 7 || strcmp(b.p + i,
		    "T&amp;|T&amp;|T&amp;|") != 0)
			bad++;
	}
	ok(bad == 0, "a name from outside, first written across the end of "
	    "the buffer");
	/* Inside a list whose getter says "no such field" for t: asked
	 * again for each row of the inner list, as ever. */
	b.n = 0;
	lists[0] = rows;
	lists[1] = (struct tmpl_rows){ "outer", 2, t_field, 1, none_get,
	    NULL };
	none_calls = 0;
	rc = tmpl_render_rows(t, "inner", d, lists, 2, sink_write, &b);
	ok(rc == PANEL_OK && b.n == 2 * 3 * 6 && none_calls == 2 * 3,
	    "a list inside a list: %zu bytes, the outer getter asked %d times",
	    b.n, none_calls);
	free(b.p);
	free(want.p);
	free(l.v);
	json_decref(d);
	tmpl_free(t);
	snprintf(path, sizeof(path), "%s/outside.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/elems.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/inner.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/padded.html", dir);
	unlink(path);
}

/* The checks above with each of the two ways to escape, in a directory
 * of templates of their own. */
static void
test_escapes_deep(void)
{
	char	 dir[] = "/tmp/t_tmpl_esc.XXXXXX";
	int	 plain;

	if (mkdtemp(dir) == NULL)
		tap_bail("mkdtemp");
	for (plain = 0; plain < 2; plain++) {
		tmpl_plain_escapes(plain);
		tap_diag("escapes: %s", plain ? "plain" : "default");
		test_escape_positions();
		test_escape_random();
		test_escape_pages();
		test_escape_renders(dir);
		test_numbers(dir);
	}
	tmpl_plain_escapes(0);
	test_text(dir);
	test_nested(dir);
	test_ops(dir);
	test_outside(dir);
	rmdir(dir);
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
	test_escapes_deep();
	return tap_done();
}
