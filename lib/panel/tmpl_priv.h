/*
 * What the template files share: tmpl.c (the handle, parsing, loading),
 * tmpl_out.c (the output buffer, the escapes) and tmpl_render.c
 * (rendering).  The writes into the output buffer are here, inline: the
 * renderer makes them for every text and value.
 */
#ifndef TMPL_PRIV_H
#define TMPL_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* The memory of a render with nsyms names and nlists lists: struct
 * render, then sc and fmap, then, at the end, struct out. */
static inline size_t
render_size(size_t nsyms, size_t nlists)
{
	size_t	 n;

	n = sizeof(struct render) + nsyms * (sizeof(struct symc) +
	    nlists * sizeof(uint16_t));
	return (n + _Alignof(struct out) - 1) / _Alignof(struct out) *
	    _Alignof(struct out) + sizeof(struct out);
}

/*
 * tmpl.c: the parsed template name into *out, loaded on first use:
 * PANEL_OK or an error (t->err says which).  The handle keeps it until
 * tmpl_free.
 */
enum panel_err	 tpl_get(struct tmpl *, const char *name, struct tpl **out);

/*
 * tmpl_out.c: o's bytes to its writer; len bytes of s into o when they
 * do not fit in what is left; len bytes of s escaped for HTML text, an
 * attribute, a URL component into o.  Each 0, or -1 when a write failed
 * (then or before).
 */
int		 out_flush(struct out *o);
int		 out_write_long(struct out *o, const char *s, size_t len);
int		 esc_html(struct out *o, const char *s, size_t len);
int		 esc_attr(struct out *o, const char *s, size_t len);
int		 esc_url(struct out *o, const char *s, size_t len);

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

#endif /* !TMPL_PRIV_H */
