/*
 * JSON text out: the same bytes as json_dumps(v, JSON_COMPACT |
 * JSON_ENSURE_ASCII) gives (members in insertion order), written through
 * a panel_write_fn in runs instead of one callback per token.
 *
 * Two ways in.  panel_json_write prints a Jansson value.  The jsonw_*
 * calls write a value as it is produced, with no tree at all: a list
 * page writes its rows straight from the store's structs.  Both share
 * one escaper and one buffer, so they cannot disagree.  Strings are
 * UTF-8 checked as Jansson checks them: a string that is not valid UTF-8
 * fails the writer (-1); it is never written half-escaped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "panel_priv.h"

#define DEPTH_MAX	2048	/* Jansson's own JSON_PARSER_MAX_DEPTH */
#define OPEN_MAX	64	/* containers open through jsonw_obj/arr */

static const char	 hexdig[] = "0123456789ABCDEF";

/* Marks w failed; -1. */
static int
fail(struct jsonw *w)
{
	w->err = 1;
	return -1;
}

/* Hands what buf holds to the writer. */
static int
flush(struct jsonw *w)
{
	if (w->len > 0 && w->wr(w->arg, w->buf, w->len) == -1)
		return fail(w);
	w->len = 0;
	return 0;
}

/* Room for n bytes (n <= sizeof(buf)) at the end of buf, or NULL. */
static char *
room(struct jsonw *w, size_t n)
{
	if (n > sizeof(w->buf) - w->len && flush(w) == -1)
		return NULL;
	return w->buf + w->len;
}

/* Appends n bytes; a run longer than buf goes to the writer itself. */
static int
put(struct jsonw *w, const char *s, size_t n)
{
	char	*p;

	if (n > sizeof(w->buf)) {
		if (flush(w) == -1)
			return -1;
		return w->wr(w->arg, s, n) == -1 ? fail(w) : 0;
	}
	if ((p = room(w, n)) == NULL)
		return -1;
	memcpy(p, s, n);
	w->len += n;
	return 0;
}

static int
put_char(struct jsonw *w, char c)
{
	if (w->len == sizeof(w->buf) && flush(w) == -1)
		return -1;
	w->buf[w->len++] = c;
	return 0;
}

/* Decimal, as "%" JSON_INTEGER_FORMAT prints it. */
static int
put_int(struct jsonw *w, int64_t v)
{
	char		 num[24], *p = num + sizeof(num);
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		*--p = '-';
	return put(w, p, (size_t)(num + sizeof(num) - p));
}

/* The code point of the UTF-8 sequence at s (n bytes left) in *cp; its
 * length, or 0 when it is not valid UTF-8 (overlong, surrogate, > 10FFFF,
 * cut short). */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t		 len, i;
	uint32_t	 c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static void
u_escape(char *p, uint32_t c)
{
	p[0] = '\\';
	p[1] = 'u';
	p[2] = hexdig[(c >> 12) & 15];
	p[3] = hexdig[(c >> 8) & 15];
	p[4] = hexdig[(c >> 4) & 15];
	p[5] = hexdig[c & 15];
}

/* 1 for the bytes a string holds as they are: printable ASCII but the
 * quote and the backslash (DEL too, as Jansson writes it). */
static const unsigned char	 plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
_Static_assert(sizeof(plain) == 256, "plain");

/*
 * How many of the n bytes at s are plain, from the start.  With SSE2,
 * 16 at a time while 16 are left (never past s + n): a byte is plain
 * when, as a signed char, it is at least 0x20 (which leaves out the
 * controls and every byte of 0x80 and up) and is neither '"' nor '\\';
 * the table does the rest, and is the whole of it without SSE2.
 */
static inline size_t
plain_run(const unsigned char *s, size_t n)
{
	size_t	 i = 0;
#if defined(__SSE2__) && defined(__x86_64__)
	const __m128i	 sp = _mm_set1_epi8(0x20);
	const __m128i	 qu = _mm_set1_epi8('"');
	const __m128i	 bs = _mm_set1_epi8('\\');
	__m128i		 c, bad;
	unsigned	 m;

	for (; i + 16 <= n; i += 16) {
		c = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		bad = _mm_or_si128(_mm_cmplt_epi8(c, sp),
		    _mm_or_si128(_mm_cmpeq_epi8(c, qu), _mm_cmpeq_epi8(c, bs)));
		if ((m = (unsigned)_mm_movemask_epi8(bad)) != 0)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	while (i < n && plain[s[i]])
		i++;
	return i;
}

/* The escaped text of n bytes, without quotes. */
static int
put_esc(struct jsonw *w, const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str, *run;
	const unsigned char	*end = s + n;
	char			 esc[12];
	size_t			 len, k;
	uint32_t		 c;

	while (s < end) {
		run = s;
		s += plain_run(s, (size_t)(end - s));
		if (s > run && put(w, (const char *)run,
		    (size_t)(s - run)) == -1)
			return -1;
		if (s == end)
			break;
		if ((len = utf8_next(s, (size_t)(end - s), &c)) == 0)
			return fail(w);
		s += len;
		k = 2;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			if (c < 0x10000) {
				u_escape(esc, c);
				k = 6;
			} else {
				c -= 0x10000;
				u_escape(esc, 0xd800 | (c >> 10));
				u_escape(esc + 6, 0xdc00 | (c & 0x3ff));
				k = 12;
			}
		}
		if (put(w, esc, k) == -1)
			return -1;
	}
	return 0;
}

/* A quoted, escaped string of n bytes: one copy when nothing in it needs
 * escaping, as for keys and most values. */
static int
put_str(struct jsonw *w, const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			*p;
	size_t			 i;

	i = plain_run(u, n);
	if (i == n && n + 2 <= sizeof(w->buf)) {
		if ((p = room(w, n + 2)) == NULL)
			return -1;
		p[0] = '"';
		memcpy(p + 1, s, n);
		p[n + 1] = '"';
		w->len += n + 2;
		return 0;
	}
	if (put_char(w, '"') == -1 || put(w, s, i) == -1 ||
	    put_esc(w, s + i, n - i) == -1)
		return -1;
	return put_char(w, '"');
}

/* A Jansson value, depth levels down. */
static int
dump(struct jsonw *w, const json_t *v, int depth)
{
	const char	*key;
	const json_t	*e;
	size_t		 i;
	int		 first = 1, n;
	char		*txt;

	if (depth > DEPTH_MAX)
		return fail(w);
	switch (json_typeof(v)) {
	case JSON_NULL:
		return put(w, "null", 4);
	case JSON_TRUE:
		return put(w, "true", 4);
	case JSON_FALSE:
		return put(w, "false", 5);
	case JSON_INTEGER:
		return put_int(w, (int64_t)json_integer_value(v));
	case JSON_REAL:
		/* Jansson's own digits for the rare real. */
		if ((txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) ==
		    NULL)
			return fail(w);
		n = put(w, txt, strlen(txt));
		free(txt);
		return n;
	case JSON_STRING:
		return put_str(w, json_string_value(v),
		    json_string_length(v));
	case JSON_ARRAY:
		if (put_char(w, '[') == -1)
			return -1;
		json_array_foreach(v, i, e)
			if ((i > 0 && put_char(w, ',') == -1) ||
			    dump(w, e, depth + 1) == -1)
				return -1;
		return put_char(w, ']');
	case JSON_OBJECT:
		if (put_char(w, '{') == -1)
			return -1;
		/* json_object_foreach wants a non-const object. */
		json_object_foreach((json_t *)(uintptr_t)v, key, e) {
			if ((!first && put_char(w, ',') == -1) ||
			    put_str(w, key, strlen(key)) == -1 ||
			    put_char(w, ':') == -1 ||
			    dump(w, e, depth + 1) == -1)
				return -1;
			first = 0;
		}
		return put_char(w, '}');
	}
	return fail(w);
}

int
panel_json_write(const json_t *v, panel_write_fn wr, void *arg)
{
	struct jsonw	 w;

	if (v == NULL || wr == NULL)
		return -1;
	jsonw_init(&w, wr, arg);
	jsonw_value(&w, NULL, v);
	return jsonw_finish(&w);
}

/* Streaming. ------------------------------------------------------- */

void
jsonw_init(struct jsonw *w, panel_write_fn wr, void *arg)
{
	memset(w, 0, sizeof(*w));
	w->wr = wr;
	w->arg = arg;
	if (wr == NULL)
		w->err = 1;
}

int
jsonw_finish(struct jsonw *w)
{
	if (w->depth != 0 || !w->comma)
		w->err = 1;	/* a container left open, or no value */
	if (!w->err)
		(void)flush(w);
	/* The text may have been a private key. */
	explicit_bzero(w->buf, sizeof(w->buf));
	w->len = 0;
	return w->err ? -1 : 0;
}

/*
 * What comes before a value: the comma after the one before, the key
 * inside an object.  A key outside an object, none inside one, or a
 * second value at the top fails the writer.
 */
static int
pre(struct jsonw *w, const char *key)
{
	const unsigned char	*u = (const unsigned char *)key;
	char			*p;
	size_t			 n;
	int			 in_obj;

	if (w->err)
		return -1;
	in_obj = w->depth > 0 && ((w->objs >> (w->depth - 1)) & 1);
	if ((key != NULL) != in_obj || (w->depth == 0 && w->comma))
		return fail(w);
	if (key == NULL)
		return w->comma ? put_char(w, ',') : 0;
	/* The usual key, a short literal: ,"key": in one go. */
	for (n = 0; plain[u[n]]; n++)
		continue;
	if (key[n] == '\0' && n + 4 <= sizeof(w->buf)) {
		if ((p = room(w, n + 4)) == NULL)
			return -1;
		if (w->comma)
			*p++ = ',';
		*p++ = '"';
		memcpy(p, key, n);
		p[n] = '"';
		p[n + 1] = ':';
		w->len = (size_t)(p + n + 2 - w->buf);
		return 0;
	}
	if ((w->comma && put_char(w, ',') == -1) ||
	    put_str(w, key, strlen(key)) == -1)
		return -1;
	return put_char(w, ':');
}

/* After a value: 0, or -1 when it failed. */
static int
post(struct jsonw *w, int rc)
{
	if (rc == -1)
		return fail(w);
	w->comma = 1;
	return 0;
}

static int
open_c(struct jsonw *w, const char *key, int obj)
{
	if (pre(w, key) == -1)
		return -1;
	if (w->depth == OPEN_MAX)
		return fail(w);
	if (put_char(w, obj ? '{' : '[') == -1)
		return -1;
	if (obj)
		w->objs |= (uint64_t)1 << w->depth;
	else
		w->objs &= ~((uint64_t)1 << w->depth);
	w->depth++;
	w->comma = 0;
	return 0;
}

static int
close_c(struct jsonw *w, int obj)
{
	if (w->err)
		return -1;
	if (w->depth == 0 || (int)((w->objs >> (w->depth - 1)) & 1) != obj)
		return fail(w);
	w->depth--;
	return post(w, put_char(w, obj ? '}' : ']'));
}

int
jsonw_obj(struct jsonw *w, const char *key)
{
	return open_c(w, key, 1);
}

int
jsonw_obj_end(struct jsonw *w)
{
	return close_c(w, 1);
}

int
jsonw_arr(struct jsonw *w, const char *key)
{
	return open_c(w, key, 0);
}

int
jsonw_arr_end(struct jsonw *w)
{
	return close_c(w, 0);
}

int
jsonw_str(struct jsonw *w, const char *key, const char *s)
{
	if (s == NULL)
		return jsonw_null(w, key);
	return jsonw_strn(w, key, s, strlen(s));
}

int
jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n)
{
	if (pre(w, key) == -1)
		return -1;
	return post(w, put_str(w, s, n));
}

int
jsonw_strv(struct jsonw *w, const char *key, char *const *v, size_t n,
    const char *sep)
{
	size_t	 i, seplen = strlen(sep);

	if (pre(w, key) == -1 || put_char(w, '"') == -1)
		return -1;
	for (i = 0; i < n; i++)
		if ((i > 0 && put_esc(w, sep, seplen) == -1) ||
		    put_esc(w, v[i], strlen(v[i])) == -1)
			return -1;
	return post(w, put_char(w, '"'));
}

int
jsonw_int(struct jsonw *w, const char *key, int64_t v)
{
	if (pre(w, key) == -1)
		return -1;
	return post(w, put_int(w, v));
}

int
jsonw_bool(struct jsonw *w, const char *key, int v)
{
	if (pre(w, key) == -1)
		return -1;
	return post(w, v ? put(w, "true", 4) : put(w, "false", 5));
}

int
jsonw_null(struct jsonw *w, const char *key)
{
	if (pre(w, key) == -1)
		return -1;
	return post(w, put(w, "null", 4));
}

int
jsonw_value(struct jsonw *w, const char *key, const json_t *v)
{
	if (pre(w, key) == -1)
		return -1;
	if (v == NULL)
		return fail(w);
	return post(w, dump(w, v, 0));
}
