/*
 * Base64url without padding: RFC 4648 section 5, as used by JWS
 * (RFC 7515 section 2) and ACME (RFC 8555 section 6.1).
 *
 * Decoding is strict: no padding, no whitespace, no characters outside
 * the alphabet, no length that leaves a single character in the last
 * quantum, and unused bits in the last character must be zero so that
 * every byte string has exactly one encoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

static const char b64url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * Returns the 6-bit value of c, or -1 when c is not in the base64url
 * alphabet.  Written without a table so nothing depends on the locale.
 */
static int
b64url_val(unsigned char c)
{

	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Encodes len bytes of in (in may be NULL when len is 0).
 * Returns ACME_OK and a NUL-terminated *out the caller frees, or
 * ACME_ERR_ARG / ACME_ERR_NOMEM with *out untouched.
 */
enum acme_err
acme_b64url_encode(const unsigned char *in, size_t len, char **out)
{
	char	*s, *p;
	size_t	 i, olen;
	uint32_t v;

	if (out == NULL || (in == NULL && len > 0))
		return ACME_ERR_ARG;
	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return ACME_ERR_NOMEM;

	/* 4 characters per 3 bytes, 2 or 3 for a partial group. */
	olen = len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
	if ((s = malloc(olen + 1)) == NULL)
		return ACME_ERR_NOMEM;

	p = s;
	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		*p++ = b64url_alpha[(v >> 18) & 0x3f];
		*p++ = b64url_alpha[(v >> 12) & 0x3f];
		*p++ = b64url_alpha[(v >> 6) & 0x3f];
		*p++ = b64url_alpha[v & 0x3f];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		*p++ = b64url_alpha[(v >> 18) & 0x3f];
		*p++ = b64url_alpha[(v >> 12) & 0x3f];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*p++ = b64url_alpha[(v >> 18) & 0x3f];
		*p++ = b64url_alpha[(v >> 12) & 0x3f];
		*p++ = b64url_alpha[(v >> 6) & 0x3f];
	}
	*p = '\0';
	*out = s;
	return ACME_OK;
}

/*
 * Decodes exactly len characters of in (no NUL needed).  The empty
 * string decodes to zero bytes.
 * Returns ACME_OK with *out (caller frees; never NULL on success, one
 * spare byte so it may be NUL-terminated) and *outlen, or ACME_ERR_ARG
 * when the text is not canonical unpadded base64url, or ACME_ERR_NOMEM.
 */
enum acme_err
acme_b64url_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char	*buf = NULL;
	size_t		 i, n, rem;
	uint32_t	 v;
	int		 c;
	enum acme_err	 rc = ACME_ERR_ARG;

	if (out == NULL || outlen == NULL || (in == NULL && len > 0))
		return ACME_ERR_ARG;

	/* A lone character in the last quantum carries only 6 bits. */
	rem = len % 4;
	if (rem == 1)
		goto out;

	n = len / 4 * 3 + (rem == 0 ? 0 : rem - 1);
	if ((buf = malloc(n + 1)) == NULL) {
		rc = ACME_ERR_NOMEM;
		goto out;
	}

	n = 0;
	v = 0;
	for (i = 0; i < len; i++) {
		if ((c = b64url_val((unsigned char)in[i])) < 0)
			goto out;
		v = v << 6 | (uint32_t)c;
		if (i % 4 == 3) {
			buf[n++] = (v >> 16) & 0xff;
			buf[n++] = (v >> 8) & 0xff;
			buf[n++] = v & 0xff;
			v = 0;
		}
	}

	/*
	 * Trailing partial quantum: 2 chars give 1 byte (4 spare bits),
	 * 3 chars give 2 bytes (2 spare bits).  Spare bits must be zero
	 * (RFC 4648 section 3.5) or two texts would decode alike.
	 */
	if (rem == 2) {
		if (v & 0x0f)
			goto out;
		buf[n++] = (v >> 4) & 0xff;
	} else if (rem == 3) {
		if (v & 0x03)
			goto out;
		buf[n++] = (v >> 10) & 0xff;
		buf[n++] = (v >> 2) & 0xff;
	}
	buf[n] = '\0';

	*out = buf;
	*outlen = n;
	buf = NULL;
	rc = ACME_OK;
out:
	free(buf);
	return rc;
}

/*
 * Returns 1 when s is non-empty, at most max characters long and made
 * only of base64url characters (no padding), else 0.  This is the check
 * a CA-supplied token or nonce must pass before it is used anywhere
 * (RFC 8555 sections 6.5.1 and 8.1).  s may be NULL (gives 0).
 */
int
acme_b64url_valid(const char *s, size_t max)
{
	size_t	 i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return 0;
		if (b64url_val((unsigned char)s[i]) < 0)
			return 0;
	}
	return 1;
}
