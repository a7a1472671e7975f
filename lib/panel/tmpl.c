/*
 * Templates: a small Mustache dialect over Jansson values, escaped by
 * default (see panel.h for the syntax).  Each template is parsed once
 * into a tree and kept in the handle; text nodes point into the source.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl_priv.h"

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
enum panel_err
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
