/*
 * Templates: a small Mustache dialect over Jansson values, escaped by
 * default (see panel.h for the syntax).  Each template is parsed once
 * into a tree and kept in the handle; text nodes point into the source.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "panel_priv.h"

#define NAME_MAX_	64
#define TAG_MAX		128
#define FILE_MAX	(1024 * 1024)
#define DEPTH_MAX	16	/* partial nesting */
#define STACK_MAX	32	/* section nesting */
#define OUTBUF		4096	/* output to the writer in runs of this */
#define SRCPAD		16	/* zeros past a template's NUL (out_text) */
#define OUTSLACK	32	/* past OUTBUF: what a vector store and a
				   replacement may spill before the flush */
#define SYMS_MAX	4096	/* names given a symbol; the rest go by name */
#define SCRATCH_SYMS	256	/* tmpl_new's scratch: for this many names */
#define SCRATCH_LISTS	4	/* and this many lists */

enum filter { F_HTML, F_ATTR, F_URL, F_HREF, F_RAW };

enum ntype { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_PARTIAL };

/*
 * The children of a section over a list, as render_rows takes them: each
 * op writes text (padded as a template's is), then does one of: nothing
 * more; n, a variable, section or inverted section over field k of the
 * list's rows; n, a variable whose name is not a field; any other n.  A
 * variable that is not a field, when no list is outside this one, is the
 * same in every row: what the first wrote is kept in cache, for the
 * render_rows numbered cinv.
 */
enum opkind { OP_TEXT, OP_FIELD, OP_FSEC, OP_FINV, OP_VAR, OP_NODE };

#define OPCACHE		48	/* a multiple of 16 (out_text's reads) */

struct op {
	const char	*text;
	size_t		 len;
	struct node	*n;
	uint16_t	 k;
	unsigned char	 kind;
	unsigned char	 clen;
	uint64_t	 cinv;
	char		 cache[OPCACHE];
};

struct node {
	enum ntype	 type;
	const char	*text;		/* N_TEXT: into the source */
	size_t		 len;
	char		*name;		/* var, section or partial name */
	int		 sym;		/* name's symbol; -1: "." or dotted */
	enum filter	 filter;
	struct tpl	*partial;	/* N_PARTIAL: once loaded */
	struct node	*child;		/* sections */
	struct node	*next;
	/*
	 * N_SECTION: its children as ops (nops of them, in room for one
	 * more than it has children, in its template's block), made for
	 * the list ops_list in the render numbered ops_gen.
	 */
	struct op	*ops;
	size_t		 nops;
	const struct tmpl_rows *ops_list;
	uint64_t	 ops_gen;
};

struct tpl {
	char		*name;
	char		*src;
	struct node	*root;
	struct op	*ops;		/* the sections' ops, one block */
	struct tpl	*next;
};

/*
 * Every simple name (no dot) of the loaded templates has a symbol, its
 * index in syms, so that a render can remember per name what it found:
 * see struct symc.  A render's memory (struct render, what it remembers
 * of names, its output buffer) is kept in scratch for the next one, made
 * with the handle (early in the heap, not among a request's memory) and
 * larger when a render needs more; a render begun while another is under
 * way (from a getter or a writer) takes memory of its own.
 */
struct tmpl {
	char		*dir;
	struct tpl	*cache;
	char		**syms;
	size_t		 nsyms, symcap;
	void		*scratch;
	size_t		 scratchlen;
	int		 busy;
	uint64_t	 gen;		/* renders that made ops */
	uint64_t	 inv;		/* render_rows calls with ops */
	char		 err[256];
};

/*
 * n <= OUTBUF between calls; within one, buf's slack may take more.  buf
 * is aligned so that nothing pads the struct after it.
 */
struct out {
	panel_write_fn	 wr;
	void		*arg;
	size_t		 n;
	size_t		 flushes;	/* times buf was handed over */
	int		 failed;
	_Alignas(16) char buf[OUTBUF + OUTSLACK];
};
_Static_assert(sizeof(struct out) == offsetof(struct out, buf) + OUTBUF +
    OUTSLACK, "struct out ends with buf");

/*
 * A context: a JSON value, a row of a list (fmap: the list's part of the
 * render's fmap), or a row's scalar field.
 */
struct frame {
	const json_t		*j;
	const struct tmpl_rows	*rows;
	size_t			 row;
	const struct tmpl_val	*tv;
	uint16_t		*fmap;
};

/*
 * What a name resolves to: one of j, rows (a whole list) or tv (a field
 * of a row, in the caller's struct tmpl_val, or a context's).
 */
struct val {
	const json_t		*j;
	const struct tmpl_rows	*rows;
	const struct tmpl_val	*tv;
};

/*
 * What a render found for one symbol, looked up on first use: the member
 * of that name in the data (the outermost context) and the list of that
 * name.  Neither changes while a page renders.
 */
struct symc {
	const json_t		*root;
	const struct tmpl_rows	*list;
	unsigned char		 root_seen;
	unsigned char		 list_seen;
};

/*
 * A render: it lives in the handle's scratch (see struct tmpl), followed
 * by sc, fmap, and last its output buffer, o (so that a write past the
 * buffer's slack is past the memory, where a checker sees it).
 */
struct render {
	struct tmpl		*t;
	struct out		*o;
	struct frame		 stack[STACK_MAX];
	size_t			 depth;
	const struct frame	*top;		/* stack[depth - 1], or NULL */
	struct tmpl_val		*tv;		/* &tvs[depth] */
	int			 partials;
	int			 rooted;	/* stack[0] is the data */
	const struct tmpl_rows	*lists;
	size_t			 nlists;
	/*
	 * Symbols below nsyms (those loaded when the render began) are
	 * remembered: sc[sym], and fmap[list * nsyms + sym], the index of
	 * the name in that list's fields plus one (0: not looked at yet;
	 * nfields + 1: not a field).
	 */
	size_t			 nsyms;
	struct symc		*sc;
	uint16_t		*fmap;
	struct val		 v;		/* the last lookup's answer */
	uint64_t		 gen;		/* t->gen; 0: makes no ops */
	/* A getter's answer, one per depth: a section's stays while its
	 * children, one deeper, ask theirs. */
	struct tmpl_val		 tvs[STACK_MAX + 1];
	char			 num[48];	/* a number being written */
};

static void
node_free(struct node *n)
{
	struct node	*next;

	for (; n != NULL; n = next) {
		next = n->next;
		node_free(n->child);
		free(n->name);
		free(n);
	}
}

static void
tpl_free(struct tpl *p)
{
	if (p == NULL)
		return;
	node_free(p->root);
	free(p->ops);
	free(p->name);
	free(p->src);
	free(p);
}

void
tmpl_free(struct tmpl *t)
{
	struct tpl	*p, *next;

	if (t == NULL)
		return;
	for (p = t->cache; p != NULL; p = next) {
		next = p->next;
		tpl_free(p);
	}
	panel_strv_free(t->syms, t->nsyms);
	free(t->scratch);
	free(t->dir);
	free(t);
}

/* The memory of a render with nsyms names and nlists lists: struct
 * render, then sc and fmap, then, at the end, struct out. */
static size_t
render_size(size_t nsyms, size_t nlists)
{
	size_t	 n;

	n = sizeof(struct render) + nsyms * (sizeof(struct symc) +
	    nlists * sizeof(uint16_t));
	return (n + _Alignof(struct out) - 1) / _Alignof(struct out) *
	    _Alignof(struct out) + sizeof(struct out);
}

enum panel_err
tmpl_new(const char *dir, struct tmpl **out)
{
	struct tmpl	*t;

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		return PANEL_ERR_ARG;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->dir = strdup(dir)) == NULL ||
	    (t->scratch = malloc(render_size(SCRATCH_SYMS,
	    SCRATCH_LISTS))) == NULL) {
		if (t != NULL)
			free(t->dir);
		free(t);
		return PANEL_ERR_NOMEM;
	}
	t->scratchlen = render_size(SCRATCH_SYMS, SCRATCH_LISTS);
	*out = t;
	return PANEL_OK;
}

const char *
tmpl_errmsg(const struct tmpl *t)
{
	return t != NULL ? t->err : "";
}

static void
seterr(struct tmpl *t, const char *name, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
seterr(struct tmpl *t, const char *name, int line, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(t->err, sizeof(t->err), "%s.html:%d: ", name, line);
	if (n < 0 || (size_t)n >= sizeof(t->err))
		return;
	va_start(ap, fmt);
	vsnprintf(t->err + n, sizeof(t->err) - (size_t)n, fmt, ap);
	va_end(ap);
}

static int
name_ok(const char *s, size_t len, int dotted)
{
	size_t	 i;

	if (len == 0 || len > NAME_MAX_)
		return 0;
	if (dotted && len == 1 && s[0] == '.')
		return 1;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && !(dotted && s[i] == '.' && i > 0 &&
		    i + 1 < len && s[i - 1] != '.'))
			return 0;
	return 1;
}

static int
line_of(const char *src, const char *p)
{
	int	 line = 1;

	for (; src < p; src++)
		if (*src == '\n')
			line++;
	return line;
}

/*
 * The symbol of name, given one when it has none yet: 0 or more, -1 when
 * there are SYMS_MAX already (the name is then looked up by name), -2 when
 * out of memory.
 */
static int
sym_get(struct tmpl *t, const char *name)
{
	char	**v;
	size_t	  i;

	for (i = 0; i < t->nsyms; i++)
		if (strcmp(t->syms[i], name) == 0)
			return (int)i;
	if (t->nsyms == SYMS_MAX)
		return -1;
	if (t->nsyms == t->symcap) {
		if ((v = reallocarray(t->syms, t->symcap + 64,
		    sizeof(*v))) == NULL)
			return -2;
		t->syms = v;
		t->symcap += 64;
	}
	if ((t->syms[t->nsyms] = strdup(name)) == NULL)
		return -2;
	return (int)t->nsyms++;
}

/* Appends a new node to the list ending at *tail. */
static struct node *
node_add(struct node ***tail, enum ntype type)
{
	struct node	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->type = type;
	**tail = n;
	*tail = &n->next;
	return n;
}

/*
 * Parses src into a tree.  Section nesting is tracked with an explicit
 * stack of open sections (their tails and names).
 */
static int
parse(struct tmpl *t, const char *name, const char *src, struct node **root)
{
	struct node	**tails[STACK_MAX + 1], *open[STACK_MAX + 1], *n;
	int		  open_line[STACK_MAX + 1];
	const char	 *p = src, *o, *c, *b, *e, *bar;
	size_t		  depth = 0, len;
	int		  triple;
	char		  sigil;

	*root = NULL;
	tails[0] = root;
	open[0] = NULL;
	while (*p != '\0') {
		if ((o = strstr(p, "{{")) == NULL)
			o = p + strlen(p);
		if (o > p) {
			if ((n = node_add(&tails[depth], N_TEXT)) == NULL)
				goto oom;
			n->text = p;
			n->len = (size_t)(o - p);
		}
		if (*o == '\0')
			break;
		triple = o[2] == '{';
		b = o + (triple ? 3 : 2);
		if ((c = strstr(b, triple ? "}}}" : "}}")) == NULL ||
		    (size_t)(c - b) > TAG_MAX) {
			seterr(t, name, line_of(src, o), "unclosed tag");
			return -1;
		}
		p = c + (triple ? 3 : 2);
		while (b < c && isspace((unsigned char)*b))
			b++;
		e = c;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		sigil = triple ? '\0' : *b;
		if (sigil == '!')
			continue;
		if (strchr("#^/>", sigil) != NULL && sigil != '\0') {
			b++;
			while (b < e && isspace((unsigned char)*b))
				b++;
		} else
			sigil = '\0';
		bar = memchr(b, '|', (size_t)(e - b));
		len = (size_t)((bar != NULL ? bar : e) - b);
		if (!name_ok(b, len, sigil != '>') ||
		    (bar != NULL && (sigil != '\0' || triple))) {
			seterr(t, name, line_of(src, o), "bad tag \"%.*s\"",
			    (int)(e - b), b);
			return -1;
		}
		if (sigil == '/') {
			if (depth == 0 || strlen(open[depth]->name) != len ||
			    strncmp(open[depth]->name, b, len) != 0) {
				seterr(t, name, line_of(src, o), "unexpected "
				    "{{/%.*s}}", (int)len, b);
				return -1;
			}
			depth--;
			continue;
		}
		n = node_add(&tails[depth], sigil == '#' ? N_SECTION :
		    sigil == '^' ? N_INVERTED : sigil == '>' ? N_PARTIAL :
		    N_VAR);
		if (n == NULL || (n->name = strndup(b, len)) == NULL)
			goto oom;
		n->sym = -1;
		if (sigil != '>' && memchr(b, '.', len) == NULL &&
		    (n->sym = sym_get(t, n->name)) == -2)
			goto oom;
		n->filter = triple ? F_RAW : F_HTML;
		if (bar != NULL) {
			len = (size_t)(e - bar - 1);
			if (len == 4 && strncmp(bar + 1, "attr", 4) == 0)
				n->filter = F_ATTR;
			else if (len == 3 && strncmp(bar + 1, "url", 3) == 0)
				n->filter = F_URL;
			else if (len == 4 && strncmp(bar + 1, "href", 4) == 0)
				n->filter = F_HREF;
			else if (len == 3 && strncmp(bar + 1, "raw", 3) == 0)
				n->filter = F_RAW;
			else {
				seterr(t, name, line_of(src, o),
				    "unknown filter \"%.*s\"", (int)len, bar + 1);
				return -1;
			}
		}
		if (sigil == '#' || sigil == '^') {
			if (depth == STACK_MAX) {
				seterr(t, name, line_of(src, o),
				    "sections nested too deep");
				return -1;
			}
			depth++;
			open[depth] = n;
			open_line[depth] = line_of(src, o);
			tails[depth] = &n->child;
		}
	}
	if (depth > 0) {
		seterr(t, name, open_line[depth], "unclosed {{#%s}}",
		    open[depth]->name);
		return -1;
	}
	return 0;
oom:
	snprintf(t->err, sizeof(t->err), "out of memory");
	return -1;
}

/* The ops the sections in the list n and below may need: a section with
 * k children, k + 1. */
static size_t
ops_count(const struct node *n)
{
	const struct node	*c;
	size_t			 cnt = 0;

	for (; n != NULL; n = n->next) {
		if (n->type != N_SECTION)
			continue;
		for (cnt++, c = n->child; c != NULL; c = c->next)
			cnt++;
		cnt += ops_count(n->child);
	}
	return cnt;
}

/* Gives each section in the list n and below its part of ops; returns
 * what is left. */
static struct op *
ops_place(struct node *n, struct op *ops)
{
	const struct node	*c;

	for (; n != NULL; n = n->next) {
		if (n->type != N_SECTION)
			continue;
		n->ops = ops;
		for (ops++, c = n->child; c != NULL; c = c->next)
			ops++;
		ops = ops_place(n->child, ops);
	}
	return ops;
}

/* The parsed template name, loading and caching it on first use. */
static enum panel_err
tpl_get(struct tmpl *t, const char *name, struct tpl **out)
{
	struct tpl	*p;
	enum panel_err	 err;
	char		 path[4096], *src;
	size_t		 len;

	*out = NULL;
	if (!name_ok(name, strlen(name), 0)) {
		snprintf(t->err, sizeof(t->err), "bad template name");
		return PANEL_ERR_TEMPLATE;
	}
	for (p = t->cache; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0) {
			*out = p;
			return PANEL_OK;
		}
	if (snprintf(path, sizeof(path), "%s/%s.html", t->dir, name) >=
	    (int)sizeof(path))
		return PANEL_ERR_ARG;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->name = strdup(name)) == NULL) {
		free(p);
		return PANEL_ERR_NOMEM;
	}
	if ((err = panel_read_file(path, FILE_MAX, &p->src, &len)) !=
	    PANEL_OK) {
		snprintf(t->err, sizeof(t->err), "%.180s: %s", path,
		    err == PANEL_ERR_IO ? strerror(errno) : "too large");
		tpl_free(p);
		return err == PANEL_ERR_NOMEM ? err : PANEL_ERR_TEMPLATE;
	}
	/* 16 bytes past the NUL, for out_text's reads. */
	if ((src = realloc(p->src, len + 1 + SRCPAD)) == NULL) {
		tpl_free(p);
		return PANEL_ERR_NOMEM;
	}
	memset(src + len + 1, 0, SRCPAD);
	p->src = src;
	if (parse(t, name, p->src, &p->root) == -1) {
		tpl_free(p);
		return PANEL_ERR_TEMPLATE;
	}
	/* Room for the ops of each section, made with the template rather
	 * than during a render, among a page's memory. */
	if ((len = ops_count(p->root)) > 0) {
		if ((p->ops = calloc(len, sizeof(*p->ops))) == NULL) {
			tpl_free(p);
			return PANEL_ERR_NOMEM;
		}
		ops_place(p->root, p->ops);
	}
	p->next = t->cache;
	t->cache = p;
	*out = p;
	return PANEL_OK;
}

/* ------------------------------------------------------------------ */
/* Output.                                                              */

/* Hands what o holds to the writer: 0, or -1 when it failed (then or
 * before). */
static int
out_flush(struct out *o)
{
	if (o->failed)
		return -1;
	if (o->n > 0 && o->wr(o->arg, o->buf, o->n) == -1)
		o->failed = 1;
	o->n = 0;
	o->flushes++;
	return o->failed ? -1 : 0;
}

/* out_write when s does not fit in what is left of the buffer. */
static int
out_write_long(struct out *o, const char *s, size_t len)
{
	if (out_flush(o) == -1)
		return -1;
	if (len >= OUTBUF) {
		if (o->wr(o->arg, s, len) == -1)
			o->failed = 1;
		return o->failed ? -1 : 0;
	}
	memcpy(o->buf, s, len);
	o->n = len;
	return 0;
}

/*
 * len bytes of s into o: 0, or -1 when a write failed.  (After a failed
 * write the render stops: nothing looks at o->failed but the flushes.)
 */
static inline int
out_write(struct out *o, const char *s, size_t len)
{
	if (len > OUTBUF - o->n)
		return out_write_long(o, s, len);
	memcpy(o->buf + o->n, s, len);
	o->n += len;
	return 0;
}

/*
 * out_write for a template's text, which may be read up to 15 bytes past
 * its end (tpl_get pads the source): 16 bytes at a time, the slack taking
 * what spills past len.
 */
static inline int
out_text(struct out *o, const char *s, size_t len)
{
	char	*q = o->buf + o->n;
	size_t	 i = 0;

	if (len > OUTBUF - o->n)
		return out_write_long(o, s, len);
	do {
		memcpy(q + i, s + i, 16);
		i += 16;
	} while (i < len);
	o->n += len;
	return 0;
}

/*
 * The three escapes: runs of characters that stay are written as they
 * are, each other character as its replacement.  What stays, by context:
 *   html  anything but & < > " '
 *   attr  ASCII alphanumerics and UTF-8 bytes; the rest as &#xHH; (OWASP:
 *         safe even in an unquoted attribute)
 *   url   RFC 3986 2.3's unreserved characters; the rest as %HH
 * Two ways give the same bytes: a character at a time through a table
 * (plain), and, where SSE2 is, 16 at a time.
 */
enum esc { ESC_HTML, ESC_ATTR, ESC_URL };

static const char	 hexdig[] = "0123456789ABCDEF";

/* What stays, as tables of 256 flags per context. */
#define K_HTML(c)	((c) != '&' && (c) != '<' && (c) != '>' && \
			    (c) != '"' && (c) != '\'')
#define K_ALNUM(c)	(((c) >= '0' && (c) <= '9') || \
			    ((c) >= 'A' && (c) <= 'Z') || \
			    ((c) >= 'a' && (c) <= 'z'))
#define K_ATTR(c)	(K_ALNUM(c) || (c) >= 0x80)
#define K_URL(c)	(K_ALNUM(c) || (c) == '-' || (c) == '.' || \
			    (c) == '_' || (c) == '~')
#define K4(K, c)	K(c), K((c) + 1), K((c) + 2), K((c) + 3)
#define K16(K, c)	K4(K, c), K4(K, (c) + 4), K4(K, (c) + 8), \
			    K4(K, (c) + 12)
#define K64(K, c)	K16(K, c), K16(K, (c) + 16), K16(K, (c) + 32), \
			    K16(K, (c) + 48)
#define K256(K)		{ K64(K, 0), K64(K, 64), K64(K, 128), K64(K, 192) }

static const unsigned char	 stay[3][256] = {
	[ESC_HTML] = K256(K_HTML),
	[ESC_ATTR] = K256(K_ATTR),
	[ESC_URL] = K256(K_URL),
};

/* Writes the replacement of c (which does not stay) at q, which has room
 * for 8 bytes; returns its length. */
static inline size_t
replace(enum esc e, unsigned char c, char *q)
{
	switch (e) {
	case ESC_HTML:
		switch (c) {
		case '&':
			memcpy(q, "&amp;", 5);
			return 5;
		case '<':
			memcpy(q, "&lt;", 4);
			return 4;
		case '>':
			memcpy(q, "&gt;", 4);
			return 4;
		case '"':
			memcpy(q, "&quot;", 6);
			return 6;
		default:
			memcpy(q, "&#39;", 5);
			return 5;
		}
	case ESC_ATTR:
		memcpy(q, "&#x", 3);
		q[3] = hexdig[c >> 4];
		q[4] = hexdig[c & 15];
		q[5] = ';';
		return 6;
	default:
		q[0] = '%';
		q[1] = hexdig[c >> 4];
		q[2] = hexdig[c & 15];
		return 3;
	}
}

/* 1 while every escape is to take the plain path (tmpl_plain_escapes). */
static int	 plain_escapes;

void
tmpl_plain_escapes(int on)
{
	plain_escapes = on != 0;
}

/*
 * The len bytes of s escaped for e into o, a character at a time: 0, or
 * -1 when a write failed.
 */
static __attribute__((noinline)) int
esc_plain(struct out *o, enum esc e, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;
	const unsigned char	*keep = stay[e];
	char			*q = o->buf + o->n, *lim = o->buf + OUTBUF;

	for (; p < end; p++) {
		if (q >= lim) {
			o->n = (size_t)(q - o->buf);
			if (out_flush(o) == -1)
				return -1;
			q = o->buf;
		}
		if (keep[*p])
			*q++ = (char)*p;
		else
			q += replace(e, *p, q);
	}
	o->n = (size_t)(q - o->buf);
	return q >= lim ? out_flush(o) : 0;
}

#if defined(__SSE2__) && defined(__x86_64__)
#define TMPL_SSE2	1

/*
 * The k bytes at p (0 < k < 16) in a vector, the rest NUL, reading
 * nothing outside them: overlapping loads, the second shifted so that it
 * adds only bytes the first lacks.
 */
static inline __m128i
sse_part(const char *p, size_t k)
{
	uint64_t	 lo, hi = 0;
	uint32_t	 a, b;

	if (k >= 8) {
		memcpy(&lo, p, 8);
		if (k > 8) {
			memcpy(&hi, p + k - 8, 8);
			hi >>= 8 * (16 - k);
		}
	} else if (k >= 4) {
		memcpy(&a, p, 4);
		memcpy(&b, p + k - 4, 4);
		lo = a | (uint64_t)b << (8 * (k - 4));
	} else
		lo = (uint64_t)(unsigned char)p[0] |
		    (uint64_t)(unsigned char)p[k / 2] << (8 * (k / 2)) |
		    (uint64_t)(unsigned char)p[k - 1] << (8 * (k - 1));
	return _mm_unpacklo_epi64(_mm_cvtsi64_si128((long long)lo),
	    _mm_cvtsi64_si128((long long)hi));
}

/* A bit per byte of c: set when it does not stay in e. */
static inline __attribute__((always_inline)) unsigned
sse_bad(enum esc e, __m128i c)
{
	__m128i	 m, lc;

	if (e == ESC_HTML)	/* & and ' differ in bit 0 only, < and > in 1 */
		return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(_mm_or_si128(c, _mm_set1_epi8(1)),
		    _mm_set1_epi8('\'')),
		    _mm_cmpeq_epi8(_mm_or_si128(c, _mm_set1_epi8(2)),
		    _mm_set1_epi8('>'))),
		    _mm_cmpeq_epi8(c, _mm_set1_epi8('"'))));
	/* What stays; signed compares, UTF-8 bytes below zero. */
	lc = _mm_or_si128(c, _mm_set1_epi8(0x20));
	m = _mm_or_si128(
	    _mm_and_si128(_mm_cmpgt_epi8(lc, _mm_set1_epi8('a' - 1)),
	    _mm_cmpgt_epi8(_mm_set1_epi8('z' + 1), lc)),
	    _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
	    _mm_cmpgt_epi8(_mm_set1_epi8('9' + 1), c)));
	if (e == ESC_ATTR)
		m = _mm_or_si128(m, _mm_cmpgt_epi8(_mm_setzero_si128(), c));
	else
		m = _mm_or_si128(m, _mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(c, _mm_set1_epi8('-')),
		    _mm_cmpeq_epi8(c, _mm_set1_epi8('.'))), _mm_or_si128(
		    _mm_cmpeq_epi8(c, _mm_set1_epi8('_')),
		    _mm_cmpeq_epi8(c, _mm_set1_epi8('~')))));
	return (unsigned)_mm_movemask_epi8(m) ^ 0xffffu;
}

/*
 * esc_plain 16 bytes at a time: each step stores 16 bytes of s at q (the
 * slack takes what spills past OUTBUF) and keeps those before the first
 * that does not stay, then writes that one's replacement.  No load reads
 * outside s's len bytes.  Returns where the output ends; lim is where a
 * step must flush first, NULL when the caller made room for everything.
 */
static inline __attribute__((always_inline)) char *
esc_sse2_run(struct out *o, enum esc e, const char *p, const char *end,
    char *q, const char *lim)
{
	__m128i		 c;
	unsigned	 m;
	size_t		 k, i;

	while (p < end) {
		if (lim != NULL && q >= lim) {
			o->n = (size_t)(q - o->buf);
			if (out_flush(o) == -1)
				return NULL;
			q = o->buf;
		}
		if ((k = (size_t)(end - p)) >= 16) {
			c = _mm_loadu_si128((const __m128i *)(const void *)p);
			_mm_storeu_si128((__m128i *)(void *)q, c);
			if ((m = sse_bad(e, c)) == 0) {
				p += 16;
				q += 16;
				continue;
			}
		} else {
			c = sse_part(p, k);
			_mm_storeu_si128((__m128i *)(void *)q, c);
			if ((m = sse_bad(e, c) & ((1u << k) - 1)) == 0)
				return q + k;
		}
		i = (size_t)__builtin_ctz(m);
		p += i;
		q += i;
		q += replace(e, (unsigned char)*p++, q);
	}
	return q;
}

/* esc_sse2 when s may not fit: flushes as it goes. */
static __attribute__((noinline)) int
esc_sse2_long(struct out *o, enum esc e, const char *s, size_t len)
{
	char	*q;

	if ((q = esc_sse2_run(o, e, s, s + len, o->buf + o->n,
	    o->buf + OUTBUF)) == NULL)
		return -1;
	o->n = (size_t)(q - o->buf);
	return o->n >= OUTBUF ? out_flush(o) : 0;
}

/* The vector esc.  A replacement is at most 6 bytes. */
static inline __attribute__((always_inline)) int
esc_sse2(struct out *o, enum esc e, const char *s, size_t len)
{
	if (len > OUTBUF / 6 || len * 6 > OUTBUF - o->n)
		return esc_sse2_long(o, e, s, len);
	o->n = (size_t)(esc_sse2_run(o, e, s, s + len, o->buf + o->n,
	    NULL) - o->buf);
	return 0;
}
#else
#define TMPL_SSE2	0
#endif

/* The len bytes of s escaped for e into o: 0, or -1 when a write
 * failed. */
static inline __attribute__((always_inline)) int
esc(struct out *o, enum esc e, const char *s, size_t len)
{
#if TMPL_SSE2
	if (!plain_escapes)
		return esc_sse2(o, e, s, len);
#endif
	return esc_plain(o, e, s, len);
}

/* esc for each context, each with a loop of its own. */
static int
esc_html(struct out *o, const char *s, size_t len)
{
	return esc(o, ESC_HTML, s, len);
}

static int
esc_attr(struct out *o, const char *s, size_t len)
{
	return esc(o, ESC_ATTR, s, len);
}

static int
esc_url(struct out *o, const char *s, size_t len)
{
	return esc(o, ESC_URL, s, len);
}

/* The public escapes: through a buffer, handed to wr in runs. */
static int
escape(int (*fn)(struct out *, const char *, size_t), const char *s,
    panel_write_fn wr, void *arg)
{
	struct out	 o;

	o.wr = wr;
	o.arg = arg;
	o.n = 0;
	o.flushes = 0;
	o.failed = 0;
	if (fn(&o, s, strlen(s)) == -1)
		return -1;
	return out_flush(&o);
}

int
tmpl_escape_html(const char *s, panel_write_fn wr, void *arg)
{
	return escape(esc_html, s, wr, arg);
}

int
tmpl_escape_attr(const char *s, panel_write_fn wr, void *arg)
{
	return escape(esc_attr, s, wr, arg);
}

int
tmpl_escape_url(const char *s, panel_write_fn wr, void *arg)
{
	return escape(esc_url, s, wr, arg);
}

/* 1 when s may be a link target: http(s), mailto or site-relative. */
static int
href_ok(const char *s)
{
	return strncasecmp(s, "https://", 8) == 0 ||
	    strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "mailto:", 7) == 0 ||
	    (s[0] == '/' && s[1] != '/' && s[1] != '\\');
}

/* ------------------------------------------------------------------ */
/* Rendering.                                                           */

/* The index of name in l's fields, l->nfields when it is not one. */
static size_t
field_find(const struct tmpl_rows *l, const char *name)
{
	size_t	 i;

	for (i = 0; i < l->nfields; i++)
		if (strcmp(l->fields[i], name) == 0)
			break;
	return i;
}

/* The list called name, or NULL. */
static const struct tmpl_rows *
list_find(const struct render *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->nlists; i++)
		if (strcmp(r->lists[i].name, name) == 0)
			return &r->lists[i];
	return NULL;
}

/*
 * Asks f's row for field k into r->v.tv (the getter's answer at this
 * depth); 0, or -1 when the row has no such field.  Not a memset:
 * tv->buf is the getter's.
 */
static inline int
row_get(struct render *r, const struct frame *f, size_t k)
{
	struct tmpl_val	*tv = r->tv;

	tv->type = TV_NONE;
	tv->s = NULL;
	tv->i = 0;
	tv->v = NULL;
	tv->nv = 0;
	if (f->rows->get(f->rows->ctx, f->row, k, tv) == -1)
		return -1;
	r->v.tv = tv;
	return 0;
}

/*
 * lookup for the names that have no symbol the render remembers: ".",
 * dotted names, and names of partials loaded during the render.
 */
static __attribute__((noinline)) int
lookup_name(struct render *r, const struct node *n)
{
	const struct frame	*f;
	const struct tmpl_rows	*l;
	const char		*name = n->name, *dot, *key = name;
	char			 seg[NAME_MAX_ + 1];
	size_t			 i, k, len;

	if (name[0] == '.' && name[1] == '\0') {
		if (r->depth == 0)
			return -1;
		f = &r->stack[r->depth - 1];
		if (f->tv != NULL)
			r->v.tv = f->tv;
		else
			r->v.j = f->j;
		return f->tv != NULL || f->j != NULL ? 0 : -1;
	}
	if ((dot = strchr(name, '.')) != NULL) {
		len = (size_t)(dot - name);
		memcpy(seg, name, len);
		seg[len] = '\0';
		key = seg;
	}
	for (i = r->depth; i > 0; i--) {
		f = &r->stack[i - 1];
		if ((l = f->rows) != NULL) {
			if (dot == NULL && (k = field_find(l, name)) <
			    l->nfields && row_get(r, f, k) == 0)
				return 0;
			continue;
		}
		if (json_is_object(f->j) &&
		    (r->v.j = json_object_get(f->j, key)) != NULL)
			break;
	}
	if (r->v.j == NULL) {
		if (dot != NULL)
			return -1;
		r->v.rows = list_find(r, name);
		return r->v.rows != NULL ? 0 : -1;
	}
	while (r->v.j != NULL && dot != NULL) {
		name = dot + 1;
		dot = strchr(name, '.');
		len = dot != NULL ? (size_t)(dot - name) : strlen(name);
		memcpy(seg, name, len);
		seg[len] = '\0';
		r->v.j = json_is_object(r->v.j) ?
		    json_object_get(r->v.j, seg) : NULL;
	}
	return r->v.j != NULL ? 0 : -1;
}

/* fmap's entry for n in f's list, on first use. */
static __attribute__((noinline)) unsigned
fmap_fill(const struct frame *f, const struct node *n)
{
	return f->fmap[n->sym] = (uint16_t)(field_find(f->rows, n->name) +
	    1);
}

/* The data's member called n's name, remembered. */
static __attribute__((noinline)) const json_t *
root_fill(struct render *r, const struct node *n)
{
	struct symc	*c = &r->sc[n->sym];

	c->root = json_is_object(r->stack[0].j) ?
	    json_object_get(r->stack[0].j, n->name) : NULL;
	c->root_seen = 1;
	return c->root;
}

/* The end of lookup: the list called n's name, remembered. */
static __attribute__((noinline)) int
list_fill(struct render *r, const struct node *n)
{
	struct symc	*c = &r->sc[n->sym];

	if (!c->list_seen) {
		c->list = list_find(r, n->name);
		c->list_seen = 1;
	}
	return (r->v.rows = c->list) != NULL ? 0 : -1;
}

/* lookup from frame i - 1 outwards. */
static __attribute__((noinline)) int
lookup_from(struct render *r, const struct node *n, size_t i)
{
	const struct frame	*f;
	size_t			 sym = (size_t)n->sym;
	unsigned		 k;

	if (n->sym < 0 || sym >= r->nsyms)
		return lookup_name(r, n);
	for (; i > 0; i--) {
		f = &r->stack[i - 1];
		if (f->rows != NULL) {
			if ((k = f->fmap[sym]) == 0)
				k = fmap_fill(f, n);
			if (k <= f->rows->nfields && row_get(r, f, k - 1) == 0)
				return 0;
		} else if (i == 1 && r->rooted) {
			if ((r->v.j = r->sc[sym].root_seen ? r->sc[sym].root :
			    root_fill(r, n)) != NULL)
				return 0;
		} else if (json_is_object(f->j) &&
		    (r->v.j = json_object_get(f->j, n->name)) != NULL)
			return 0;
	}
	return list_fill(r, n);
}

/*
 * Looks n's name up into r->v: "." is the innermost context; otherwise
 * the first segment is searched from the innermost context outwards
 * (rows, for names in their fields, and JSON objects), then among the
 * lists; the rest of a dotted name is followed through JSON objects.  0
 * found, -1 not.  A name with a symbol is matched against each list's
 * fields, and looked up in the data and among the lists, once per
 * render.  r->v holds the answer until the next lookup, a field's value
 * (in r->tvs) until the next lookup at this depth.  Inline, the common
 * case: a field of the innermost context's row.
 */
static inline int
lookup(struct render *r, const struct node *n)
{
	const struct frame	*f;
	unsigned		 k;

	r->v.j = NULL;
	r->v.rows = NULL;
	r->v.tv = NULL;
	if ((f = r->top) == NULL || f->rows == NULL ||
	    (unsigned)n->sym >= r->nsyms)
		return lookup_from(r, n, r->depth);
	if ((k = f->fmap[n->sym]) == 0)
		k = fmap_fill(f, n);
	if (k <= f->rows->nfields && row_get(r, f, k - 1) == 0)
		return 0;
	return lookup_from(r, n, r->depth - 1);
}

/* 1 when what lookup found is true for a section. */
static int
truthy(const struct val *v)
{
	if (v->rows != NULL)
		return v->rows->n > 0;
	if (v->tv != NULL)
		switch (v->tv->type) {
		case TV_STR:
			return v->tv->s != NULL && v->tv->s[0] != '\0';
		case TV_INT:
		case TV_BOOL:
			return v->tv->i != 0;
		case TV_STRV:
			return v->tv->nv > 0;
		default:
			return 0;
		}
	switch (v->j != NULL ? json_typeof(v->j) : JSON_NULL) {
	case JSON_OBJECT:
	case JSON_TRUE:
		return 1;
	case JSON_ARRAY:
		return json_array_size(v->j) > 0;
	case JSON_STRING:
		return json_string_length(v->j) > 0;
	case JSON_INTEGER:
		return json_integer_value(v->j) != 0;
	case JSON_REAL:
		return json_real_value(v->j) != 0.0;
	default:
		return 0;
	}
}

/* s through n's filter. */
static inline __attribute__((always_inline)) int
emit_str(struct render *r, const struct node *n, const char *s)
{
	switch (n->filter) {
	case F_ATTR:
		return esc_attr(r->o, s, strlen(s));
	case F_URL:
		return esc_url(r->o, s, strlen(s));
	case F_HREF:
		if (!href_ok(s))
			return out_write(r->o, "#", 1);
		return esc_attr(r->o, s, strlen(s));
	case F_RAW:
		return out_write(r->o, s, strlen(s));
	default:
		return esc_html(r->o, s, strlen(s));
	}
}

/* The ", " between the strings of a list, through n's filter (it stays
 * as it is in HTML). */
static int
emit_sep(struct render *r, const struct node *n)
{
	if (n->filter == F_HTML || n->filter == F_RAW)
		return out_write(r->o, ", ", 2);
	return emit_str(r, n, ", ");
}

/* "00" to "99". */
static const char	 digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/*
 * The decimal of v through n's filter.  Digits stay in every context,
 * and so does '-' but in attributes; no number is a link.  Made to end
 * at r->num + 24, then copied 24 bytes at once (20 at most are its).
 */
static int
emit_int(struct render *r, const struct node *n, int64_t v)
{
	struct out	*o = r->o;
	char		*end = r->num + 24, *p = end;
	uint64_t	 u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	*p = '\0';
	while (u >= 100) {
		p -= 2;
		memcpy(p, digits2 + u % 100 * 2, 2);
		u /= 100;
	}
	if (u >= 10) {
		p -= 2;
		memcpy(p, digits2 + u * 2, 2);
	} else
		*--p = (char)('0' + u);
	if (v < 0)
		*--p = '-';
	if (n->filter == F_HREF || (v < 0 && n->filter == F_ATTR))
		return emit_str(r, n, p);
	if (OUTBUF - o->n < 24 && out_flush(o) == -1)
		return -1;
	memcpy(o->buf + o->n, p, 24);
	o->n += (size_t)(end - p);
	return 0;
}

/* A number that is not an integer, as %g. */
static __attribute__((noinline)) int
emit_real(struct render *r, const struct node *n, double d)
{
	snprintf(r->num, sizeof(r->num), "%g", d);
	return emit_str(r, n, r->num);
}

/* What lookup found for n (r->v) through n's filter: 0, or -1 when a
 * write failed. */
static inline __attribute__((always_inline)) int
emit_value(struct render *r, const struct node *n)
{
	const struct tmpl_val	*tv;
	const json_t		*j;
	size_t			 i;

	if ((tv = r->v.tv) != NULL)
		switch (tv->type) {
		case TV_STR:
			return tv->s != NULL ? emit_str(r, n, tv->s) : 0;
		case TV_INT:
			return emit_int(r, n, tv->i);
		case TV_BOOL:
			return emit_str(r, n, tv->i ? "true" : "false");
		case TV_STRV:
			for (i = 0; i < tv->nv; i++)
				if ((i > 0 && emit_sep(r, n) == -1) ||
				    emit_str(r, n, tv->v[i]) == -1)
					return -1;
			return 0;
		default:
			return 0;
		}
	switch ((j = r->v.j) != NULL ? json_typeof(j) : JSON_NULL) {
	case JSON_STRING:
		return emit_str(r, n, json_string_value(j));
	case JSON_INTEGER:
		return emit_int(r, n, json_integer_value(j));
	case JSON_REAL:
		return emit_real(r, n, json_real_value(j));
	case JSON_TRUE:
		return emit_str(r, n, "true");
	case JSON_FALSE:
		return emit_str(r, n, "false");
	default:
		return 0;
	}
}

/* n's value through its filter: 0, or -1 when a write failed. */
static inline int
emit_var(struct render *r, const struct node *n)
{
	if (lookup(r, n) == -1)
		return 0;
	return emit_value(r, n);
}

static enum panel_err render_nodes(struct render *, struct node *,
		    const struct node *);

/* The text of an op that has none: 16 bytes that out_text may read. */
static const char	 notext[16];

/*
 * Makes n's ops for the list of f (the frame n pushed) unless this render
 * made them already: 0, or -1 when n has no room for them (the caller
 * then renders the children as they are).
 */
static int
ops_make(struct render *r, struct node *n, const struct frame *f)
{
	struct node	*c;
	struct op	*op;
	unsigned	 k;

	if (n->ops_gen == r->gen && n->ops_list == f->rows)
		return 0;
	if ((op = n->ops) == NULL)
		return -1;
	op->text = notext;
	op->len = 0;
	for (c = n->child; c != NULL; c = c->next) {
		if (c->type == N_TEXT) {
			/* Text after text (a comment between): an op of its
			 * own for the first. */
			if (op->text != notext) {
				op->n = NULL;
				op->kind = OP_TEXT;
				op++;
			}
			op->text = c->text;
			op->len = c->len;
			continue;
		}
		op->n = c;
		op->kind = OP_NODE;
		if ((unsigned)c->sym < r->nsyms && c->type != N_PARTIAL) {
			if ((k = f->fmap[c->sym]) == 0)
				k = fmap_fill(f, c);
			op->k = (uint16_t)(k - 1);
			if (k > f->rows->nfields)
				op->kind = c->type == N_VAR ? OP_VAR : OP_NODE;
			else
				op->kind = c->type == N_VAR ? OP_FIELD :
				    c->type == N_SECTION ? OP_FSEC : OP_FINV;
		}
		op++;
		op->text = notext;
		op->len = 0;
	}
	op->n = NULL;
	op->kind = OP_TEXT;
	n->nops = (size_t)(op - n->ops) + 1;
	n->ops_gen = r->gen;
	n->ops_list = f->rows;
	return 0;
}

static enum panel_err render_found(struct render *, struct node *);

/*
 * An OP_VAR op of the render_rows numbered inv: its value from outside
 * the row; fixed when no list is outside, so that what it writes, kept,
 * is written again for the other rows.  (A flush while it writes leaves
 * nothing to keep; one of more than OPCACHE bytes is not kept.)
 */
static __attribute__((noinline)) enum panel_err
render_var(struct render *r, struct op *op, uint64_t inv, int fixed)
{
	struct out	*o = r->o;
	size_t		 n0 = o->n, f0 = o->flushes;

	if (op->cinv == inv)
		return out_text(o, op->cache, op->clen) == -1 ?
		    PANEL_ERR_WRITE : PANEL_OK;
	r->v.j = NULL;
	r->v.rows = NULL;
	r->v.tv = NULL;
	if (lookup_from(r, op->n, r->depth - 1) == 0 &&
	    emit_value(r, op->n) == -1)
		return PANEL_ERR_WRITE;
	if (fixed && r->v.tv == NULL && o->flushes == f0 &&
	    o->n - n0 <= OPCACHE) {
		memcpy(op->cache, o->buf + n0, o->n - n0);
		op->clen = (unsigned char)(o->n - n0);
		op->cinv = inv;
	}
	return PANEL_OK;
}

/*
 * The children of n, a section over the list of f (the frame n pushed),
 * once per row: through n's ops, which ask the getter for a field of the
 * row straight away.  What they do is what render_nodes does.
 */
static enum panel_err
render_rows(struct render *r, struct node *n, struct frame *f)
{
	const struct tmpl_rows	*l = f->rows;
	struct op		*op, *end;
	struct tmpl_val		*tv = r->tv;
	enum panel_err		 err;
	uint64_t		 inv;
	size_t			 i;
	int			 fixed = 1;

	if (r->gen == 0 || ops_make(r, n, f) == -1) {
		for (i = 0; i < l->n; i++) {
			f->row = i;
			if ((err = render_nodes(r, n->child, NULL)) !=
			    PANEL_OK)
				return err;
		}
		return PANEL_OK;
	}
	/* Without a list outside, a name that is not a field is the same
	 * in every row. */
	for (i = 0; i + 1 < r->depth; i++)
		if (r->stack[i].rows != NULL)
			fixed = 0;
	inv = ++r->t->inv;
	end = n->ops + n->nops;
	for (i = 0; i < l->n; i++) {
		f->row = i;
		for (op = n->ops; op < end; op++) {
			if (out_text(r->o, op->text, op->len) == -1)
				return PANEL_ERR_WRITE;
			switch (op->kind) {
			case OP_TEXT:
				continue;
			case OP_NODE:
				if ((err = render_nodes(r, op->n,
				    op->n->next)) != PANEL_OK)
					return err;
				continue;
			case OP_VAR:
				if ((err = render_var(r, op, inv, fixed)) !=
				    PANEL_OK)
					return err;
				continue;
			default:
				break;
			}
			/* lookup: the row's field, else from outside. */
			tv->type = TV_NONE;
			tv->s = NULL;
			tv->i = 0;
			tv->v = NULL;
			tv->nv = 0;
			r->v.j = NULL;
			r->v.rows = NULL;
			r->v.tv = NULL;
			if (l->get(l->ctx, i, op->k, tv) == 0)
				r->v.tv = tv;
			else if (lookup_from(r, op->n, r->depth - 1) == -1) {
				if (op->kind == OP_FINV &&
				    (err = render_nodes(r, op->n->child,
				    NULL)) != PANEL_OK)
					return err;
				continue;
			}
			switch (op->kind) {
			case OP_FSEC:
				err = render_found(r, op->n);
				break;
			case OP_FINV:
				err = truthy(&r->v) ? PANEL_OK :
				    render_nodes(r, op->n->child, NULL);
				break;
			default:
				err = emit_value(r, op->n) == -1 ?
				    PANEL_ERR_WRITE : PANEL_OK;
				break;
			}
			if (err != PANEL_OK)
				return err;
		}
	}
	return PANEL_OK;
}

/*
 * A section: its children once per row of a list, once per element of an
 * array, once with a truthy field or value pushed as the innermost
 * context; never for a falsy one.
 */
static enum panel_err
render_section(struct render *r, struct node *n)
{
	if (lookup(r, n) == -1)
		return PANEL_OK;
	return render_found(r, n);
}

/* render_section once what n names is found (r->v). */
static enum panel_err
render_found(struct render *r, struct node *n)
{
	struct frame	*f;
	const json_t	*e, *j;
	const struct tmpl_rows *l;
	enum panel_err	 err = PANEL_OK;
	size_t		 i;

	if (!truthy(&r->v))
		return PANEL_OK;
	if (r->depth == STACK_MAX) {
		snprintf(r->t->err, sizeof(r->t->err), "data nested too deep");
		return PANEL_ERR_TEMPLATE;
	}
	f = &r->stack[r->depth++];
	r->top = f;
	r->tv++;
	f->j = j = r->v.j;
	f->rows = l = r->v.rows;
	f->row = 0;
	f->tv = r->v.tv;
	f->fmap = NULL;
	if (l != NULL) {
		f->fmap = r->fmap + (size_t)(l - r->lists) * r->nsyms;
		err = render_rows(r, n, f);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, e) {
			f->j = e;
			if ((err = render_nodes(r, n->child, NULL)) !=
			    PANEL_OK)
				break;
		}
	} else
		err = render_nodes(r, n->child, NULL);
	r->depth--;
	r->top = r->depth > 0 ? f - 1 : NULL;
	r->tv--;
	return err;
}

/* Loads the partial n names into n->partial: PANEL_OK or an error. */
static __attribute__((noinline)) enum panel_err
partial_load(struct render *r, struct node *n)
{
	struct tpl	*p;
	enum panel_err	 err;

	/* The handle keeps what it loaded until tmpl_free. */
	if ((err = tpl_get(r->t, n->name, &p)) == PANEL_OK)
		n->partial = p;
	return err;
}

/* The nodes from n to end (not included; NULL: to the last). */
static enum panel_err
render_nodes(struct render *r, struct node *n, const struct node *end)
{
	enum panel_err	 err;

	for (; n != end; n = n->next) {
		err = PANEL_OK;
		switch (n->type) {
		case N_TEXT:
			if (out_text(r->o, n->text, n->len) == -1)
				return PANEL_ERR_WRITE;
			break;
		case N_VAR:
			if (emit_var(r, n) == -1)
				return PANEL_ERR_WRITE;
			break;
		case N_INVERTED:
			if (lookup(r, n) == -1 || !truthy(&r->v))
				err = render_nodes(r, n->child, NULL);
			break;
		case N_SECTION:
			err = render_section(r, n);
			break;
		case N_PARTIAL:
			if (r->partials == DEPTH_MAX) {
				snprintf(r->t->err, sizeof(r->t->err),
				    "partials nested too deep at %s", n->name);
				return PANEL_ERR_TEMPLATE;
			}
			if (n->partial == NULL &&
			    (err = partial_load(r, n)) != PANEL_OK)
				return err;
			r->partials++;
			err = render_nodes(r, n->partial->root, NULL);
			r->partials--;
			break;
		}
		if (err != PANEL_OK)
			return err;
	}
	return PANEL_OK;
}

enum panel_err
tmpl_render(struct tmpl *t, const char *name, const json_t *data,
    panel_write_fn wr, void *arg)
{
	return tmpl_render_rows(t, name, data, NULL, 0, wr, arg);
}

enum panel_err
tmpl_render_rows(struct tmpl *t, const char *name, const json_t *data,
    const struct tmpl_rows *rows, size_t nrows, panel_write_fn wr, void *arg)
{
	struct render	*r;
	struct tpl	*p;
	enum panel_err	 err;
	void		*own = NULL;
	size_t		 i, nsyms, need, outat;

	if (t == NULL || name == NULL || wr == NULL ||
	    (rows == NULL && nrows > 0) ||
	    nrows > SIZE_MAX / SYMS_MAX / sizeof(uint16_t) / 2)
		return PANEL_ERR_ARG;
	for (i = 0; i < nrows; i++)
		if (rows[i].name == NULL ||
		    rows[i].nfields > TMPL_FIELDS_MAX ||
		    (rows[i].nfields > 0 && (rows[i].fields == NULL ||
		    rows[i].get == NULL)))
			return PANEL_ERR_ARG;
	t->err[0] = '\0';
	if ((err = tpl_get(t, name, &p)) != PANEL_OK)
		return err;
	/* The render, its memory of names, its output buffer. */
	nsyms = t->nsyms;
	need = render_size(nsyms, nrows);
	if (t->busy) {
		if ((r = own = malloc(need)) == NULL)
			return PANEL_ERR_NOMEM;
		outat = need - sizeof(struct out);
	} else {
		if (t->scratchlen < need) {
			free(t->scratch);
			t->scratchlen = 0;
			if ((t->scratch = malloc(need)) == NULL)
				return PANEL_ERR_NOMEM;
			t->scratchlen = need;
		}
		r = t->scratch;
		outat = t->scratchlen - sizeof(struct out);
		t->busy = 1;
	}
	r->sc = (struct symc *)(void *)(r + 1);
	r->fmap = (uint16_t *)(void *)(r->sc + nsyms);
	memset(r->sc, 0, nsyms * (sizeof(struct symc) + nrows *
	    sizeof(uint16_t)));
	r->nsyms = nsyms;
	r->o = (struct out *)(void *)((char *)r + outat);
	r->o->wr = wr;
	r->o->arg = arg;
	r->o->n = 0;
	r->o->flushes = 0;
	r->o->failed = 0;
	r->t = t;
	r->lists = rows;
	r->nlists = nrows;
	r->depth = 0;
	r->top = NULL;
	r->tv = r->tvs;
	r->partials = 0;
	r->rooted = 0;
	r->gen = own != NULL ? 0 : ++t->gen;
	if (data != NULL) {
		memset(&r->stack[0], 0, sizeof(r->stack[0]));
		r->stack[r->depth++].j = data;
		r->top = &r->stack[0];
		r->tv++;
		r->rooted = 1;
	}
	err = render_nodes(r, p->root, NULL);
	if (err == PANEL_OK && out_flush(r->o) == -1)
		err = PANEL_ERR_WRITE;
	if (err == PANEL_ERR_WRITE)
		snprintf(t->err, sizeof(t->err), "%s: output write failed",
		    name);
	if (own != NULL)
		free(own);
	else
		t->busy = 0;
	return err;
}
