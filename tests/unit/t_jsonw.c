/*
 * jsonw: panel_json_write gives exactly json_dumps(v, JSON_COMPACT |
 * JSON_ENSURE_ASCII) for fixed edge cases and for 20,000 random values
 * (every control character, DEL, quotes, backslashes, 2- to 4-byte
 * UTF-8, NUL inside strings, nesting, 64-bit integers), and fails on a
 * string that is not UTF-8, as Jansson does.
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
	size_t		 i, bad = 0;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		int	 agree;

		v = json_loads(fixed[i], JSON_ALLOW_NUL, NULL);
		if (v == NULL)
			tap_bail("fixture %zu", i);
		agree = same(v, &ours, &theirs);
		ok(agree, "fixed %zu: %s", i, ours ? ours : "(failed)");
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
		json_decref(v);
	}
	ok(bad == 0, "20,000 random values written as json_dumps writes "
	    "them (%zu differ)", bad);

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
	b.fail_at = 3;
	ok(panel_json_write(v, buf_write, &b) == -1,
	    "a failing writer stops the dump with -1");
	free(b.p);
	json_decref(v);
	return tap_done();
}
