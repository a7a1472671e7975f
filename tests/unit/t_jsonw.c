/*
 * jsonw: panel_json_write gives exactly json_dumps(v, JSON_COMPACT |
 * JSON_ENSURE_ASCII) for fixed edge cases and for 20,000 random values
 * (every control character, DEL, quotes, backslashes, 2- to 4-byte
 * UTF-8, NUL inside strings, nesting, 64-bit integers), and fails on a
 * string that is not UTF-8, as Jansson does.  The streaming calls
 * (jsonw_obj, jsonw_str, ...) walking the same values, with a subtree
 * now and then handed over whole (jsonw_value) and strings in pieces
 * (jsonw_strv), give the same bytes; values larger than the writer's
 * buffer come out the same and in runs; bad UTF-8 in a string or a key,
 * keys where none belong, unclosed or crossed containers, two values and
 * a failing writer all stick and fail jsonw_finish.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "panel.h"
#include "tap.h"

struct buf {
	char	*p;
	size_t	 n;
	int	 fail_at;
	int	 calls;
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

static uint64_t	 rs = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs % n);
}

/* Appends code point c as UTF-8. */
static size_t
put_utf8(char *p, uint32_t c)
{
	if (c < 0x80) {
		p[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = (char)(0xc0 | (c >> 6));
		p[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		p[0] = (char)(0xe0 | (c >> 12));
		p[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		p[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | (c >> 18));
	p[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	p[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	p[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static json_t *
rnd_string(void)
{
	char		 s[256];
	size_t		 n = 0, len = rnd(40);
	uint32_t	 c;

	while (len-- > 0) {
		switch (rnd(6)) {
		case 0:
			c = rnd(0x20);		/* control, NUL too */
			break;
		case 1:
			c = "\"\\/\x7f"[rnd(4)];
			break;
		case 2:
			c = 0x80 + rnd(0x780);
			break;
		case 3:
			do
				c = 0x800 + rnd(0xf800);
			while (c >= 0xd800 && c <= 0xdfff);
			break;
		case 4:
			c = 0x10000 + rnd(0x100000);
			break;
		default:
			c = 0x20 + rnd(0x5f);
		}
		n += put_utf8(s + n, c);
	}
	return json_stringn(s, n);
}

static json_t *
rnd_value(int depth)
{
	json_t		*v, *k;
	uint32_t	 i, n;

	switch (depth > 3 ? rnd(5) : rnd(7)) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(rnd(2));
	case 2:
		return json_integer(rnd(2) ? (json_int_t)rnd(1000) :
		    (json_int_t)(rs ^ (rs << 7)));
	case 3:
	case 4:
		return rnd_string();
	case 5:
		v = json_array();
		for (i = 0, n = rnd(5); i < n; i++)
			json_array_append_new(v, rnd_value(depth + 1));
		return v;
	default:
		v = json_object();
		for (i = 0, n = rnd(5); i < n; i++) {
			k = rnd_string();
			/* Keys are C strings: cut at a NUL. */
			json_object_set_new(v, json_string_value(k),
			    rnd_value(depth + 1));
			json_decref(k);
		}
		return v;
	}
}

/*
 * Writes v through the streaming calls as the value of key: containers
 * member by member (now and then whole through jsonw_value), strings
 * whole, by length, or cut at character boundaries into pieces joined by
 * an empty separator.
 */
static void
stream(struct jsonw *w, const char *key, json_t *v)
{
	const char	*k, *s;
	char		*part[8], buf[512];
	json_t		*e;
	size_t		 i, n, len, at, np;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (rnd(8) == 0) {
			jsonw_value(w, key, v);
			break;
		}
		jsonw_obj(w, key);
		json_object_foreach(v, k, e)
			stream(w, k, e);
		jsonw_obj_end(w);
		break;
	case JSON_ARRAY:
		if (rnd(8) == 0) {
			jsonw_value(w, key, v);
			break;
		}
		jsonw_arr(w, key);
		json_array_foreach(v, i, e)
			stream(w, NULL, e);
		jsonw_arr_end(w);
		break;
	case JSON_STRING:
		s = json_string_value(v);
		len = json_string_length(v);
		if (strlen(s) != len || len + 8 >= sizeof(buf) ||
		    rnd(3) == 0) {
			jsonw_strn(w, key, s, len);
			break;
		}
		if (rnd(2) == 0) {
			jsonw_str(w, key, s);
			break;
		}
		/* Pieces of whole characters, NUL-terminated in buf. */
		part[0] = buf;
		for (np = 1, at = 0, n = 0; at < len;) {
			do
				buf[n++] = s[at++];
			while (at < len && ((unsigned char)s[at] & 0xc0) ==
			    0x80);
			if (at < len && np < 8 && rnd(4) == 0) {
				buf[n++] = '\0';
				part[np++] = buf + n;
			}
		}
		buf[n] = '\0';
		jsonw_strv(w, key, part, np, "");
		break;
	case JSON_INTEGER:
		jsonw_int(w, key, json_integer_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		jsonw_bool(w, key, json_is_true(v));
		break;
	case JSON_NULL:
		if (rnd(2) == 0)
			jsonw_null(w, key);
		else
			jsonw_str(w, key, NULL);
		break;
	default:
		jsonw_value(w, key, v);
	}
}

/* 1 when the streaming calls and json_dumps agree on v. */
static int
same_stream(json_t *v, char **ours, char **theirs)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	struct jsonw	 w;
	int		 rc;

	*theirs = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_ENCODE_ANY);
	jsonw_init(&w, buf_write, &b);
	stream(&w, NULL, v);
	rc = jsonw_finish(&w);
	*ours = b.p;
	if (rc == -1 || *theirs == NULL)
		return rc == -1 && *theirs == NULL;
	return *ours != NULL && strcmp(*ours, *theirs) == 0;
}

/* 1 when panel_json_write and json_dumps agree on v. */
static int
same(const json_t *v, char **ours, char **theirs)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	int		 rc;

	*theirs = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_ENCODE_ANY);
	rc = panel_json_write(v, buf_write, &b);
	*ours = b.p;
	if (rc == -1 || *theirs == NULL)
		return rc == -1 && *theirs == NULL;
	return *ours != NULL && strcmp(*ours, *theirs) == 0;
}

/* A writer that wrote v's text, finished: 0 and the text, or -1. */
static int
finish(struct jsonw *w, struct buf *b, const char *want, const char *name)
{
	int	 rc = jsonw_finish(w);

	ok(rc == 0 && b->p != NULL && strcmp(b->p, want) == 0, "%s: %s",
	    name, b->p != NULL ? b->p : "(nothing)");
	free(b->p);
	memset(b, 0, sizeof(*b));
	return rc;
}

/* The streaming calls by hand: what a list page writes. */
static void
stream_fixed(void)
{
	static char	 p0[] = "a.example", p1[] = "zo\xc3\xab.example";
	static char	 p2[] = "\xf0\x9f\x98\x80";
	static char	*parts[] = { p0, p1, p2 };
	struct buf	 b = { NULL, 0, 0, 0 };
	struct jsonw	 w;

	jsonw_init(&w, buf_write, &b);
	jsonw_obj(&w, NULL);
	jsonw_arr(&w, "orders");
	jsonw_obj(&w, NULL);
	jsonw_int(&w, "id", INT64_MIN);
	jsonw_int(&w, "max", INT64_MAX);
	jsonw_int(&w, "zero", 0);
	jsonw_str(&w, "status", "valid");
	jsonw_str(&w, "none", NULL);
	jsonw_strn(&w, "nul", "a\0b", 3);
	jsonw_strv(&w, "text", parts, 3, ", ");
	jsonw_strv(&w, "empty", parts, 0, ", ");
	jsonw_bool(&w, "t", 1);
	jsonw_bool(&w, "f", 0);
	jsonw_null(&w, "n");
	jsonw_obj(&w, "o");
	jsonw_obj_end(&w);
	jsonw_arr(&w, "a");
	jsonw_arr(&w, NULL);
	jsonw_arr_end(&w);
	jsonw_obj(&w, NULL);
	jsonw_obj_end(&w);
	jsonw_arr_end(&w);
	jsonw_obj_end(&w);
	jsonw_obj(&w, NULL);
	jsonw_obj_end(&w);
	jsonw_arr_end(&w);
	jsonw_str(&w, "k\"\\\n\xc3\xa9", "\x01\x7f/");
	jsonw_obj_end(&w);
	finish(&w, &b, "{\"orders\":[{\"id\":-9223372036854775808,"
	    "\"max\":9223372036854775807,\"zero\":0,\"status\":\"valid\","
	    "\"none\":null,\"nul\":\"a\\u0000b\",\"text\":\"a.example, "
	    "zo\\u00EB.example, \\uD83D\\uDE00\",\"empty\":\"\","
	    "\"t\":true,\"f\":false,\"n\":null,\"o\":{},\"a\":[[],{}]},{}],"
	    "\"k\\\"\\\\\\n\\u00E9\":\"\\u0001\x7f/\"}",
	    "streamed by hand, escapes and all");

	jsonw_init(&w, buf_write, &b);
	jsonw_arr(&w, NULL);
	jsonw_arr_end(&w);
	finish(&w, &b, "[]", "an empty array alone");
	jsonw_init(&w, buf_write, &b);
	jsonw_int(&w, NULL, -1);
	finish(&w, &b, "-1", "a scalar alone");
}

/* Values larger than the writer's buffer, strings longer than it too:
 * the same bytes, handed over in runs. */
static void
stream_big(void)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	struct jsonw	 w;
	json_t		*v, *o;
	char		*theirs, *big;
	size_t		 i, n = 3 * sizeof(w.buf) + 17;
	int		 rc;

	if ((big = malloc(n + 1)) == NULL)
		tap_bail("malloc");
	for (i = 0; i < n; i++)
		big[i] = i % 97 == 0 ? '"' : (char)('a' + i % 26);
	big[n] = '\0';
	v = json_array();
	for (i = 0; i < 3000; i++) {
		o = json_pack("{s:I,s:s,s:b}", "id", (json_int_t)i, "name",
		    i % 500 == 7 ? big : "site.example", "ok", i % 2);
		json_array_append_new(v, o);
	}
	theirs = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	jsonw_init(&w, buf_write, &b);
	stream(&w, NULL, v);
	rc = jsonw_finish(&w);
	ok(rc == 0 && b.p != NULL && theirs != NULL &&
	    strcmp(b.p, theirs) == 0 && b.calls < (int)(b.n /
	    sizeof(w.buf)) + 20,
	    "%zu bytes streamed as json_dumps writes them, in %d writes",
	    b.n, b.calls);
	free(b.p);
	memset(&b, 0, sizeof(b));
	rc = panel_json_write(v, buf_write, &b);
	ok(rc == 0 && b.p != NULL &&
	    strcmp(b.p, theirs) == 0 && b.calls < (int)(b.n /
	    sizeof(w.buf)) + 20, "panel_json_write: the same, in %d writes",
	    b.calls);
	free(b.p);
	memset(&b, 0, sizeof(b));
	b.fail_at = 3;
	ok(panel_json_write(v, buf_write, &b) == -1 && b.calls == 3,
	    "a writer failing on its third run stops the dump there");
	free(b.p);
	memset(&b, 0, sizeof(b));
	b.fail_at = 2;
	jsonw_init(&w, buf_write, &b);
	stream(&w, NULL, v);
	ok(jsonw_int(&w, NULL, 1) == -1 && jsonw_finish(&w) == -1 &&
	    b.calls == 2, "a writer failing on its second run sticks");
	free(b.p);
	free(theirs);
	free(big);
	json_decref(v);
}

/* Each call sequence must fail, and stay failed. */
static void
stream_bad(void)
{
	static const char *const bad[] = {
		"a\xff", "\xc0\x80", "\xed\xa0\x80", "\xe2\x82",
		"\xf4\x90\x80\x80", "\x80", "ok\xf0\x9f\x98",
	};
	static char	 p0[] = "fine", p1[] = "\xe2\x82";
	static char	*parts[] = { p0, p1 };
	struct buf	 b = { NULL, 0, 0, 0 };
	struct jsonw	 w;
	json_t		*v;
	size_t		 i;
	int		 fails = 0, stuck = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jsonw_init(&w, buf_write, &b);
		jsonw_arr(&w, NULL);
		jsonw_str(&w, NULL, "ok");
		fails += jsonw_str(&w, NULL, bad[i]) == -1;
		stuck += jsonw_str(&w, NULL, "ok") == -1 &&
		    jsonw_arr_end(&w) == -1 && jsonw_finish(&w) == -1;
		free(b.p);
		memset(&b, 0, sizeof(b));
		jsonw_init(&w, buf_write, &b);
		jsonw_obj(&w, NULL);
		fails += jsonw_int(&w, bad[i], 1) == -1;
		stuck += jsonw_obj_end(&w) == -1 && jsonw_finish(&w) == -1;
		free(b.p);
		memset(&b, 0, sizeof(b));
	}
	ok(fails == 2 * (int)i && stuck == 2 * (int)i && b.calls == 0,
	    "strings and keys that are not UTF-8 are refused, and the "
	    "writer stays failed (%d, %d)", fails, stuck);
	jsonw_init(&w, buf_write, &b);
	ok(jsonw_strv(&w, NULL, parts, 2, ", ") == -1 &&
	    jsonw_finish(&w) == -1, "a piece cut inside a character");

	jsonw_init(&w, buf_write, &b);
	jsonw_arr(&w, NULL);
	ok(jsonw_int(&w, "key", 1) == -1 && jsonw_finish(&w) == -1,
	    "a key inside an array");
	jsonw_init(&w, buf_write, &b);
	jsonw_obj(&w, NULL);
	ok(jsonw_int(&w, NULL, 1) == -1 && jsonw_finish(&w) == -1,
	    "a member without a key");
	jsonw_init(&w, buf_write, &b);
	ok(jsonw_int(&w, "key", 1) == -1 && jsonw_finish(&w) == -1,
	    "a key at the top");
	jsonw_init(&w, buf_write, &b);
	jsonw_obj(&w, NULL);
	ok(jsonw_arr_end(&w) == -1 && jsonw_finish(&w) == -1,
	    "an object closed as an array");
	jsonw_init(&w, buf_write, &b);
	ok(jsonw_obj_end(&w) == -1 && jsonw_finish(&w) == -1,
	    "a close with nothing open");
	jsonw_init(&w, buf_write, &b);
	jsonw_arr(&w, NULL);
	ok(jsonw_finish(&w) == -1, "an array left open");
	jsonw_init(&w, buf_write, &b);
	ok(jsonw_finish(&w) == -1, "nothing written");
	jsonw_init(&w, buf_write, &b);
	jsonw_int(&w, NULL, 1);
	ok(jsonw_int(&w, NULL, 2) == -1 && jsonw_finish(&w) == -1,
	    "two values at the top");
	jsonw_init(&w, buf_write, &b);
	jsonw_arr(&w, NULL);
	ok(jsonw_value(&w, NULL, NULL) == -1 && jsonw_finish(&w) == -1,
	    "a value that could not be built (NULL)");
	jsonw_init(&w, buf_write, &b);
	for (i = 0; i < 64; i++)
		jsonw_arr(&w, NULL);
	ok(jsonw_arr(&w, NULL) == -1 && jsonw_finish(&w) == -1,
	    "the 65th open container");
	v = json_pack("[s,o]", "ok", json_stringn_nocheck("a\xff", 2));
	jsonw_init(&w, buf_write, &b);
	jsonw_arr(&w, NULL);
	ok(jsonw_value(&w, NULL, v) == -1 && jsonw_finish(&w) == -1,
	    "a Jansson value holding a string that is not UTF-8");
	json_decref(v);
	ok(b.calls == 0 && b.p == NULL, "none of them wrote anything");
}

/*
 * Strings of plain characters of every length 0-80, as values and as
 * keys, with one character that is not plain (a quote, a backslash, a
 * control, NUL, the first byte of "\xc3\xa9", DEL which is plain) at every
 * position: what plain_run scans 16 bytes at a time, against json_dumps.
 */
static void
long_runs(void)
{
	static const char *const odd[] = { "\"", "\\", "\x1f", "\x7f",
	    "\xc3\xa9", "~" };
	char		 s[96], *ours, *theirs;
	json_t		*v;
	size_t		 len, at, k, n, bad = 0, tried = 0;

	for (len = 0; len <= 80; len++)
		for (at = 0; at <= len; at++)
			for (k = 0; k <= sizeof(odd) / sizeof(odd[0]); k++) {
				memset(s, 'a' + (int)(len % 26), len);
				n = len;
				if (k < sizeof(odd) / sizeof(odd[0])) {
					n = at;
					memcpy(s + n, odd[k], strlen(odd[k]));
					n += strlen(odd[k]);
					memset(s + n, 'z', len - at);
					n += len - at;
				} else if (at < len)
					s[at] = '\0';	/* NUL inside */
				s[n] = '\0';
				v = json_pack("{s:o,s:i}", "k", json_stringn(s, n),
				    "x", 1);
				/* The same text as a key, when it has no NUL. */
				if (strlen(s) == n)
					json_object_set_new(v, s, json_true());
				tried++;
				if (!same(v, &ours, &theirs) ||
				    (free(ours), free(theirs), 0) ||
				    !same_stream(v, &ours, &theirs)) {
					if (bad++ < 3)
						tap_diag("len %zu at %zu odd %zu",
						    len, at, k);
				}
				free(ours);
				free(theirs);
				json_decref(v);
			}
	ok(bad == 0, "%zu strings and keys with long plain runs: as "
	    "json_dumps writes them (%zu differ)", tried, bad);
}

int
main(void)
{
	static const char *const fixed[] = {
		"{\"a\":[1,-9223372036854775808,9223372036854775807,true,"
		    "false,null,0.5,\"x\"],\"b\":{},\"c\":[]}",
		"[\"\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\\u007f\"]",
		"{\"zo\\u00eb\":\"\\u00e9\\u20ac\\ud83d\\ude00\"}",
		"{\"z\":1,\"a\":2,\"m\":[{\"k\":\"v\"}]}",
	};
	struct buf	 b = { NULL, 0, 0, 0 };
	json_t		*v;
	char		*ours, *theirs;
	size_t		 i, bad = 0, sbad = 0;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		int	 agree;

		v = json_loads(fixed[i], JSON_ALLOW_NUL, NULL);
		if (v == NULL)
			tap_bail("fixture %zu", i);
		agree = same(v, &ours, &theirs);
		ok(agree, "fixed %zu: %s", i, ours ? ours : "(failed)");
		free(ours);
		free(theirs);
		agree = same_stream(v, &ours, &theirs);
		ok(agree, "fixed %zu streamed: %s", i,
		    ours ? ours : "(failed)");
		free(ours);
		free(theirs);
		json_decref(v);
	}
	for (i = 0; i < 20000; i++) {
		v = rnd_value(0);
		if (!same(v, &ours, &theirs) && bad++ < 3)
			tap_diag("ours %s\ntheirs %s", ours ? ours : "-",
			    theirs ? theirs : "-");
		free(ours);
		free(theirs);
		if (!same_stream(v, &ours, &theirs) && sbad++ < 3)
			tap_diag("streamed %s\ntheirs %s", ours ? ours : "-",
			    theirs ? theirs : "-");
		free(ours);
		free(theirs);
		json_decref(v);
	}
	ok(bad == 0, "20,000 random values written as json_dumps writes "
	    "them (%zu differ)", bad);
	ok(sbad == 0, "the same 20,000 streamed call by call: as json_dumps "
	    "writes them (%zu differ)", sbad);
	long_runs();

	v = json_pack("[s,o]", "ok", json_stringn_nocheck("a\xff", 2));
	ok(panel_json_write(v, buf_write, &b) == -1 &&
	    json_dumps(v, JSON_COMPACT) == NULL,
	    "a string that is not UTF-8: refused, as Jansson refuses it");
	free(b.p);
	json_decref(v);
	v = json_pack("[s,o]", "ok", json_stringn_nocheck("\xed\xa0\x80", 3));
	memset(&b, 0, sizeof(b));
	ok(panel_json_write(v, buf_write, &b) == -1,
	    "an encoded surrogate: refused");
	free(b.p);
	json_decref(v);
	v = json_pack("{s:[i,i]}", "k", 1, 2);
	memset(&b, 0, sizeof(b));
	b.fail_at = 1;
	ok(panel_json_write(v, buf_write, &b) == -1,
	    "a failing writer stops the dump with -1");
	free(b.p);
	json_decref(v);

	stream_fixed();
	stream_big();
	stream_bad();
	return tap_done();
}
