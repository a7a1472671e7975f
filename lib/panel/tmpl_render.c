/*
 * Templates: a render, the parsed tree walked over the data and the
 * caller's lists, names looked up from the innermost context out, values
 * written through their filters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tmpl_priv.h"

/* 1 when s may be a link target: http(s), mailto or site-relative. */
static int
href_ok(const char *s)
{
	return strncasecmp(s, "https://", 8) == 0 ||
	    strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "mailto:", 7) == 0 ||
	    (s[0] == '/' && s[1] != '/' && s[1] != '\\');
}

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
