/*
 * Base64url (RFC 4648 section 5, unpadded): known answers, every byte
 * value, and strict decoding of bad input.
 */
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "tap.h"

/* Encodes len bytes of in and compares with want. */
static void
enc_is(const void *in, size_t len, const char *want)
{
	char	*s = NULL;

	ok(acme_b64url_encode(in, len, &s) == ACME_OK, "encode %zu -> %s",
	    len, want);
	is_str(s, want, "encoded text");
	free(s);
}

/* Decodes text and compares with len bytes of want. */
static void
dec_is(const char *text, const void *want, size_t len)
{
	unsigned char	*buf = NULL;
	size_t		 n = 0;

	ok(acme_b64url_decode(text, strlen(text), &buf, &n) == ACME_OK &&
	    n == len && memcmp(buf, want, len) == 0, "decode '%s'", text);
	free(buf);
}

/* Decoding len bytes of text must fail with ACME_ERR_ARG. */
static void
dec_bad(const char *text, size_t len, const char *why)
{
	unsigned char	*buf = NULL;
	size_t		 n = 0;
	enum acme_err	 rc;

	rc = acme_b64url_decode(text, len, &buf, &n);
	ok(rc == ACME_ERR_ARG && buf == NULL, "-bad- decode refused: %s",
	    why);
	free(buf);
}

int
main(void)
{
	static const struct {
		const char	*plain;
		const char	*enc;
	} rfc[] = {	/* RFC 4648 section 10, padding removed */
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};
	unsigned char	 all[256], one[1], *buf = NULL;
	char		*s = NULL;
	size_t		 i, n;
	int		 good;

	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		enc_is(rfc[i].plain, strlen(rfc[i].plain), rfc[i].enc);
		dec_is(rfc[i].enc, rfc[i].plain, strlen(rfc[i].plain));
	}

	/* The two URL-safe characters, and 1/2/3-byte groups. */
	enc_is("\xfb\xff\xbf", 3, "-_-_");
	enc_is("\xff", 1, "_w");
	enc_is("\xff\xff", 2, "__8");
	enc_is("\x00", 1, "AA");
	enc_is("\x00\x00", 2, "AAA");
	enc_is("\x00\x00\x00", 3, "AAAA");
	dec_is("-_-_", "\xfb\xff\xbf", 3);
	dec_is("__8", "\xff\xff", 2);

	/* Decoding reads exactly len characters, no NUL needed. */
	ok(acme_b64url_decode("Zm9vYmFy", 4, &buf, &n) == ACME_OK &&
	    n == 3 && memcmp(buf, "foo", 3) == 0, "decode honours len");
	free(buf);
	buf = NULL;
	ok(acme_b64url_decode(NULL, 0, &buf, &n) == ACME_OK && n == 0 &&
	    buf != NULL, "decode NULL/0 gives an empty buffer");
	free(buf);
	buf = NULL;

	/* Every byte value, alone and all together. */
	good = 1;
	for (i = 0; i < 256; i++) {
		one[0] = (unsigned char)i;
		all[i] = (unsigned char)i;
		s = NULL;
		buf = NULL;
		if (acme_b64url_encode(one, 1, &s) != ACME_OK ||
		    strlen(s) != 2 ||
		    acme_b64url_decode(s, 2, &buf, &n) != ACME_OK ||
		    n != 1 || buf[0] != one[0])
			good = 0;
		free(s);
		free(buf);
	}
	ok(good, "each of the 256 byte values round-trips");
	good = 1;
	for (i = 0; i <= 256; i++) {	/* every length, every alignment */
		s = NULL;
		buf = NULL;
		if (acme_b64url_encode(all + 256 - i, i, &s) != ACME_OK ||
		    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
		    "stuvwxyz0123456789-_") != strlen(s) ||
		    acme_b64url_decode(s, strlen(s), &buf, &n) != ACME_OK ||
		    n != i || memcmp(buf, all + 256 - i, i) != 0)
			good = 0;
		free(s);
		free(buf);
	}
	ok(good, "lengths 0..256 round-trip, alphabet is base64url");
	s = NULL;
	ok(acme_b64url_encode(all, 256, &s) == ACME_OK && strlen(s) == 342,
	    "256 bytes give 342 characters");
	free(s);

	/* Strict decoding. */
	dec_bad("Zg==", 4, "padding");
	dec_bad("Zg=", 3, "one pad");
	dec_bad("Zm9v\n", 5, "newline");
	dec_bad("Zm 9v", 5, "space");
	dec_bad(" Zm9v", 5, "leading space");
	dec_bad("Zm+v", 4, "'+' (standard base64)");
	dec_bad("Zm/v", 4, "'/' (standard base64)");
	dec_bad("Zm9.", 4, "'.'");
	dec_bad("Zm\0v", 4, "embedded NUL");
	dec_bad("Zm\xc3\xa9", 4, "non-ASCII");
	dec_bad("Z", 1, "length 1");
	dec_bad("Zm9vY", 5, "length 5 (4n+1)");
	dec_bad("Zh", 2, "non-canonical 2-char tail (Zh vs Zg)");
	dec_bad("Z_", 2, "non-canonical 2-char tail (Z_)");
	dec_bad("Zm9", 3, "non-canonical 3-char tail (Zm9 vs Zm8)");
	dec_bad("__9", 3, "non-canonical 3-char tail (__9 vs __8)");
	ok(acme_b64url_decode("Zg", 2, NULL, &n) == ACME_ERR_ARG,
	    "-bad- decode without output pointer");
	s = NULL;
	ok(acme_b64url_encode(NULL, 1, &s) == ACME_ERR_ARG && s == NULL,
	    "-bad- encode NULL with length");

	/* acme_b64url_valid: alphabet and bounds only. */
	ok(acme_b64url_valid("abc-_XYZ019", 256), "valid token");
	ok(acme_b64url_valid("abcd", 4), "valid at exactly max");
	ok(!acme_b64url_valid("abcde", 4), "-bad- over max");
	ok(!acme_b64url_valid("", 256), "-bad- empty");
	ok(!acme_b64url_valid(NULL, 256), "-bad- NULL");
	ok(!acme_b64url_valid("ab==", 256), "-bad- padding");
	ok(!acme_b64url_valid("a/b", 256), "-bad- slash");
	ok(!acme_b64url_valid("..", 256), "-bad- dots");
	ok(!acme_b64url_valid("a b", 256), "-bad- space");
	ok(!acme_b64url_valid("$(x)", 256), "-bad- shell");

	return tap_done();
}
