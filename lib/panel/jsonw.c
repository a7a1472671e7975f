/*
 * Writing a Jansson value out: the same text as json_dumps(v,
 * JSON_COMPACT | JSON_ENSURE_ASCII) gives (members in insertion order),
 * written through a panel_write_fn in runs instead of one callback per
 * token.  Jansson builds the value; this only prints it.  Strings are
 * UTF-8 checked as Jansson checks them: a string that is not valid
 * UTF-8 fails the dump (-1), it is never written half-escaped.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "panel_priv.h"

#define DEPTH_MAX	2048	/* Jansson's own JSON_PARSER_MAX_DEPTH */

static const char	 hexdig[] = "0123456789ABCDEF";

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

/* A quoted, escaped string of n bytes. */
static int
dump_str(const char *str, size_t n, panel_write_fn wr, void *arg)
{
	const unsigned char	*s = (const unsigned char *)str, *run;
	const unsigned char	*end = s + n;
	char			 esc[12];
	size_t			 len, k;
	uint32_t		 c;

	if (wr(arg, "\"", 1) == -1)
		return -1;
	while (s < end) {
		for (run = s; s < end && *s >= 0x20 && *s < 0x80 &&
		    *s != '"' && *s != '\\'; s++)
			continue;
		if (s > run && wr(arg, (const char *)run,
		    (size_t)(s - run)) == -1)
			return -1;
		if (s == end)
			break;
		if ((len = utf8_next(s, (size_t)(end - s), &c)) == 0)
			return -1;
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
		if (wr(arg, esc, k) == -1)
			return -1;
	}
	return wr(arg, "\"", 1);
}

static int
dump(const json_t *v, int depth, panel_write_fn wr, void *arg)
{
	const char	*key;
	const json_t	*e;
	char		 num[32];
	size_t		 i;
	int		 first = 1, n;
	char		*txt;

	if (depth > DEPTH_MAX)
		return -1;
	switch (json_typeof(v)) {
	case JSON_NULL:
		return wr(arg, "null", 4);
	case JSON_TRUE:
		return wr(arg, "true", 4);
	case JSON_FALSE:
		return wr(arg, "false", 5);
	case JSON_INTEGER:
		n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return n > 0 && (size_t)n < sizeof(num) ?
		    wr(arg, num, (size_t)n) : -1;
	case JSON_REAL:
		/* Jansson's own digits for the rare real. */
		if ((txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) ==
		    NULL)
			return -1;
		n = wr(arg, txt, strlen(txt));
		free(txt);
		return n;
	case JSON_STRING:
		return dump_str(json_string_value(v), json_string_length(v),
		    wr, arg);
	case JSON_ARRAY:
		if (wr(arg, "[", 1) == -1)
			return -1;
		json_array_foreach(v, i, e)
			if ((i > 0 && wr(arg, ",", 1) == -1) ||
			    dump(e, depth + 1, wr, arg) == -1)
				return -1;
		return wr(arg, "]", 1);
	case JSON_OBJECT:
		if (wr(arg, "{", 1) == -1)
			return -1;
		/* json_object_foreach wants a non-const object. */
		json_object_foreach((json_t *)(uintptr_t)v, key, e) {
			if ((!first && wr(arg, ",", 1) == -1) ||
			    dump_str(key, strlen(key), wr, arg) == -1 ||
			    wr(arg, ":", 1) == -1 ||
			    dump(e, depth + 1, wr, arg) == -1)
				return -1;
			first = 0;
		}
		return wr(arg, "}", 1);
	}
	return -1;
}

int
panel_json_write(const json_t *v, panel_write_fn wr, void *arg)
{
	if (v == NULL || wr == NULL)
		return -1;
	return dump(v, 0, wr, arg);
}
