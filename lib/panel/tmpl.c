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
#define OUTSLACK	32	/* past OUTBUF: what a vector store and a
				   replacement may spill before the flush */
#define SYMS_MAX	4096	/* names given a symbol; the rest go by name */

enum filter { F_HTML, F_ATTR, F_URL, F_HREF, F_RAW };

enum ntype { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_PARTIAL };

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
};

struct tpl {
	char		*name;
	char		*src;
	struct node	*root;
	struct tpl	*next;
};

/*
 * Every simple name (no dot) of the loaded templates has a symbol, its
 * index in syms, so that a render can remember per name what it found:
 * see struct symc.
 */
struct tmpl {
	char		*dir;
	struct tpl	*cache;
	char		**syms;
	size_t		 nsyms, symcap;
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
	int		 failed;
	_Alignas(16) char buf[OUTBUF + OUTSLACK];
};
_Static_assert(sizeof(struct out) == offsetof(struct out, buf) + OUTBUF +
    OUTSLACK, "struct out ends with buf");

/* A context: a JSON value, a row of a list, or a row's scalar field. */
struct frame {
	const json_t		*j;
	const struct tmpl_rows	*rows;
	size_t			 row;
	const struct tmpl_val	*tv;
};

/* What a name resolves to: one of j, rows (a whole list) or tv. */
struct val {
	const json_t		*j;
	const struct tmpl_rows	*rows;
	struct tmpl_val		 tv;
	int			 is_tv;
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

struct render {
	struct tmpl		*t;
	struct out		*o;
	struct frame		 stack[STACK_MAX];
	size_t			 depth;
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
	free(t->dir);
	free(t);
}

enum panel_err
tmpl_new(const char *dir, struct tmpl **out)
{
	struct tmpl	*t;

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		return PANEL_ERR_ARG;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->dir = strdup(dir)) == NULL) {
		free(t);
		return PANEL_ERR_NOMEM;
	}
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

/* The parsed template name, loading and caching it on first use. */
static enum panel_err
tpl_get(struct tmpl *t, const char *name, struct tpl **out)
{
	struct tpl	*p;
	enum panel_err	 err;
	char		 path[4096];

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
	if ((err = panel_read_file(path, FILE_MAX, &p->src, NULL)) !=
	    PANEL_OK) {
		snprintf(t->err, sizeof(t->err), "%.180s: %s", path,
		    err == PANEL_ERR_IO ? strerror(errno) : "too large");
		tpl_free(p);
		return err == PANEL_ERR_NOMEM ? err : PANEL_ERR_TEMPLATE;
	}
	if (parse(t, name, p->src, &p->root) == -1) {
		tpl_free(p);
		return PANEL_ERR_TEMPLATE;
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

/* field_find for n's name, remembered per list for the render. */
static size_t
field_of(struct render *r, const struct tmpl_rows *l, const struct node *n)
{
	uint16_t	*m;

	if (n->sym < 0 || (size_t)n->sym >= r->nsyms)
		return field_find(l, n->name);
	m = &r->fmap[(size_t)(l - r->lists) * r->nsyms + (size_t)n->sym];
	if (*m == 0)
		*m = (uint16_t)(field_find(l, n->name) + 1);
	return *m - 1u;
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
 * Looks n's name up into *v: "." is the innermost context; otherwise the
 * first segment is searched from the innermost context outwards (rows,
 * for names in their fields, and JSON objects), then among the lists; the
 * rest of a dotted name is followed through JSON objects.  0 found, -1
 * not.
 */
static int
lookup(struct render *r, const struct node *n, struct val *v)
{
	const struct frame	*f;
	const struct tmpl_rows	*l;
	struct symc		*c = NULL;
	const char		*name = n->name, *dot, *key = name;
	char			 seg[NAME_MAX_ + 1];
	size_t			 i, k, len;

	/* Not a memset: tv.buf is the getter's to fill. */
	v->j = NULL;
	v->rows = NULL;
	v->is_tv = 0;
	v->tv.type = TV_NONE;
	v->tv.s = NULL;
	v->tv.i = 0;
	v->tv.v = NULL;
	v->tv.nv = 0;
	if (name[0] == '.' && name[1] == '\0') {
		if (r->depth == 0)
			return -1;
		f = &r->stack[r->depth - 1];
		if (f->tv != NULL) {
			v->tv = *f->tv;
			v->is_tv = 1;
		} else
			v->j = f->j;
		return f->tv != NULL || f->j != NULL ? 0 : -1;
	}
	if (n->sym >= 0 && (size_t)n->sym < r->nsyms)
		c = &r->sc[n->sym];
	if ((dot = n->sym >= 0 ? NULL : strchr(name, '.')) != NULL) {
		len = (size_t)(dot - name);
		memcpy(seg, name, len);
		seg[len] = '\0';
		key = seg;
	}
	for (i = r->depth; i > 0; i--) {
		f = &r->stack[i - 1];
		if ((l = f->rows) != NULL) {
			if (dot == NULL && (k = field_of(r, l, n)) <
			    l->nfields && l->get(l->ctx, f->row, k,
			    &v->tv) == 0) {
				v->is_tv = 1;
				return 0;
			}
			continue;
		}
		if (i == 1 && r->rooted && c != NULL) {
			if (!c->root_seen) {
				c->root = json_is_object(f->j) ?
				    json_object_get(f->j, key) : NULL;
				c->root_seen = 1;
			}
			if ((v->j = c->root) != NULL)
				break;
			continue;
		}
		if (json_is_object(f->j) &&
		    (v->j = json_object_get(f->j, key)) != NULL)
			break;
	}
	if (v->j == NULL) {
		if (dot != NULL)
			return -1;
		if (c == NULL)
			v->rows = list_find(r, name);
		else {
			if (!c->list_seen) {
				c->list = list_find(r, name);
				c->list_seen = 1;
			}
			v->rows = c->list;
		}
		return v->rows != NULL ? 0 : -1;
	}
	while (v->j != NULL && dot != NULL) {
		name = dot + 1;
		dot = strchr(name, '.');
		len = dot != NULL ? (size_t)(dot - name) : strlen(name);
		memcpy(seg, name, len);
		seg[len] = '\0';
		v->j = json_is_object(v->j) ? json_object_get(v->j, seg) :
		    NULL;
	}
	return v->j != NULL ? 0 : -1;
}

static int
truthy(const struct val *v)
{
	if (v->rows != NULL)
		return v->rows->n > 0;
	if (v->is_tv)
		switch (v->tv.type) {
		case TV_STR:
			return v->tv.s != NULL && v->tv.s[0] != '\0';
		case TV_INT:
		case TV_BOOL:
			return v->tv.i != 0;
		case TV_STRV:
			return v->tv.nv > 0;
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

/* Decimal of v at the end of buf; returns where it starts. */
static const char *
fmt_int(int64_t v, char *buf, size_t size)
{
	char		*p = buf + size;
	uint64_t	 u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	*--p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

/* s through n's filter. */
static int
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

static int
emit_var(struct render *r, const struct node *n)
{
	struct val	 v;
	const char	*s = NULL;
	char		 num[64];
	size_t		 i;

	if (lookup(r, n, &v) == -1)
		return 0;
	if (v.is_tv && v.tv.type == TV_STRV) {
		for (i = 0; i < v.tv.nv; i++)
			if ((i > 0 && emit_str(r, n, ", ") == -1) ||
			    emit_str(r, n, v.tv.v[i]) == -1)
				return -1;
		return 0;
	}
	if (v.is_tv) {
		switch (v.tv.type) {
		case TV_STR:
			s = v.tv.s;
			break;
		case TV_INT:
			s = fmt_int(v.tv.i, num, sizeof(num));
			break;
		case TV_BOOL:
			s = v.tv.i ? "true" : "false";
			break;
		default:
			break;
		}
	} else
		switch (v.j != NULL ? json_typeof(v.j) : JSON_NULL) {
		case JSON_STRING:
			s = json_string_value(v.j);
			break;
		case JSON_INTEGER:
			s = fmt_int(json_integer_value(v.j), num, sizeof(num));
			break;
		case JSON_REAL:
			snprintf(num, sizeof(num), "%g", json_real_value(v.j));
			s = num;
			break;
		case JSON_TRUE:
			s = "true";
			break;
		case JSON_FALSE:
			s = "false";
			break;
		default:
			break;
		}
	return s != NULL ? emit_str(r, n, s) : 0;
}

static enum panel_err render_nodes(struct render *, struct node *);

/* Renders children with f pushed as the innermost context. */
static enum panel_err
render_in(struct render *r, struct node *child, const struct frame *f)
{
	enum panel_err	 err;

	if (r->depth == STACK_MAX) {
		snprintf(r->t->err, sizeof(r->t->err), "data nested too deep");
		return PANEL_ERR_TEMPLATE;
	}
	r->stack[r->depth++] = *f;
	err = render_nodes(r, child);
	r->depth--;
	return err;
}

static enum panel_err
render_section(struct render *r, struct node *n)
{
	struct val	 v;
	struct frame	 f;
	const json_t	*e;
	enum panel_err	 err = PANEL_OK;
	size_t		 i;

	if (lookup(r, n, &v) == -1 || !truthy(&v))
		return PANEL_OK;
	memset(&f, 0, sizeof(f));
	if (v.rows != NULL) {
		f.rows = v.rows;
		for (i = 0; i < v.rows->n && err == PANEL_OK; i++) {
			f.row = i;
			err = render_in(r, n->child, &f);
		}
	} else if (v.is_tv) {
		f.tv = &v.tv;
		err = render_in(r, n->child, &f);
	} else if (json_is_array(v.j)) {
		json_array_foreach(v.j, i, e) {
			f.j = e;
			if ((err = render_in(r, n->child, &f)) != PANEL_OK)
				break;
		}
	} else {
		f.j = v.j;
		err = render_in(r, n->child, &f);
	}
	return err;
}

static enum panel_err
render_nodes(struct render *r, struct node *n)
{
	struct tpl	*p;
	struct val	 v;
	enum panel_err	 err;

	for (; n != NULL; n = n->next) {
		err = PANEL_OK;
		switch (n->type) {
		case N_TEXT:
			if (out_write(r->o, n->text, n->len) == -1)
				return PANEL_ERR_WRITE;
			break;
		case N_VAR:
			if (emit_var(r, n) == -1)
				return PANEL_ERR_WRITE;
			break;
		case N_INVERTED:
			if (lookup(r, n, &v) == -1 || !truthy(&v))
				err = render_nodes(r, n->child);
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
			/* The handle keeps what it loaded until tmpl_free. */
			if ((p = n->partial) == NULL) {
				if ((err = tpl_get(r->t, n->name, &p)) !=
				    PANEL_OK)
					return err;
				n->partial = p;
			}
			r->partials++;
			err = render_nodes(r, p->root);
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
	struct render	 r;
	struct out	*o;
	struct tpl	*p;
	enum panel_err	 err;
	size_t		 i, nsyms;

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
	/* The output buffer, then the render's memory of names. */
	nsyms = t->nsyms;
	if ((o = malloc(sizeof(*o) + nsyms * (sizeof(struct symc) +
	    nrows * sizeof(uint16_t)))) == NULL)
		return PANEL_ERR_NOMEM;
	memset(&r, 0, sizeof(r));
	r.sc = (struct symc *)(void *)(o + 1);
	r.fmap = (uint16_t *)(void *)(r.sc + nsyms);
	memset(r.sc, 0, nsyms * (sizeof(struct symc) + nrows *
	    sizeof(uint16_t)));
	r.nsyms = nsyms;
	o->wr = wr;
	o->arg = arg;
	o->n = 0;
	o->failed = 0;
	r.t = t;
	r.o = o;
	r.lists = rows;
	r.nlists = nrows;
	if (data != NULL) {
		r.stack[r.depth++].j = data;
		r.rooted = 1;
	}
	err = render_nodes(&r, p->root);
	if (err == PANEL_OK && out_flush(o) == -1)
		err = PANEL_ERR_WRITE;
	if (err == PANEL_ERR_WRITE)
		snprintf(t->err, sizeof(t->err), "%s: output write failed",
		    name);
	free(o);
	return err;
}
