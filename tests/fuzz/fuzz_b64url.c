/*
 * libFuzzer driver: base64url (RFC 4648 section 5, no padding).
 *
 *  - decode(input) succeeds  =>  encode(decoded) == input, and
 *    acme_b64url_valid(input) holds (decoding is strict and canonical);
 *  - encode(input) always decodes back to input;
 *  - acme_b64url_valid() never reads past the string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	*dec = NULL, *back = NULL;
	char		*enc = NULL, *reenc = NULL, *s = NULL;
	size_t		 declen = 0, backlen = 0;

	/* Input as text: decode, then encode again. */
	if (acme_b64url_decode((const char *)data, size, &dec, &declen) ==
	    ACME_OK) {
		if (acme_b64url_encode(dec, declen, &reenc) != ACME_OK)
			abort();
		if (strlen(reenc) != size || memcmp(reenc, data, size) != 0)
			abort();
	}

	/* Input as bytes: encode, then decode again. */
	if (acme_b64url_encode(data, size, &enc) != ACME_OK)
		abort();
	if (acme_b64url_decode(enc, strlen(enc), &back, &backlen) != ACME_OK)
		abort();
	if (backlen != size || (size > 0 && memcmp(back, data, size) != 0))
		abort();
	if (size > 0 && !acme_b64url_valid(enc, strlen(enc)))
		abort();

	/* The validity check on a NUL-terminated copy. */
	if ((s = malloc(size + 1)) == NULL)
		goto out;
	memcpy(s, data, size);
	s[size] = '\0';
	if (dec != NULL && size > 0 && strlen(s) == size &&
	    !acme_b64url_valid(s, size))
		abort();
	(void)acme_b64url_valid(s, size / 2);
	(void)acme_b64url_valid(s, (size_t)-1);
out:
	free(s);
	free(back);
	free(enc);
	free(reenc);
	free(dec);
	return 0;
}
