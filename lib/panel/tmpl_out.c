/*
 * Templates: the output buffer a render writes into, handed to the writer
 * in runs of OUTBUF, and the escapes of each context, which the renderer
 * and tmpl_escape_* write through.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "tmpl_priv.h"

/* Hands what o holds to the writer: 0, or -1 when it failed (then or
 * before). */
int
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
int
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
int
esc_html(struct out *o, const char *s, size_t len)
{
	return esc(o, ESC_HTML, s, len);
}

int
esc_attr(struct out *o, const char *s, size_t len)
{
	return esc(o, ESC_ATTR, s, len);
}

int
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
