/*
 * libFuzzer driver: acme_key_parse_jwk() on arbitrary bytes (a public
 * JWK, RFC 7517).  A parsed key's canonical JWK (RFC 7638) must parse
 * again to the same key with the same thumbprint.
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
	struct acme_key	*k = NULL, *k2 = NULL;
	char		*jwk = NULL, *tp = NULL, *jwk2 = NULL, *tp2 = NULL;

	if (acme_key_parse_jwk((const char *)data, size, &k) != ACME_OK)
		return 0;
	if ((unsigned)acme_key_type(k) >= ACME_KEY__MAX)
		abort();
	if (acme_key_jwk(k, &jwk) != ACME_OK ||
	    acme_key_thumbprint(k, &tp) != ACME_OK)
		abort();
	if (!acme_b64url_valid(tp, 43) || strlen(tp) != 43)
		abort();	/* base64url of a SHA-256 */

	if (acme_key_parse_jwk(jwk, strlen(jwk), &k2) != ACME_OK)
		abort();
	if (!acme_key_same(k, k2) || acme_key_type(k) != acme_key_type(k2))
		abort();
	if (acme_key_jwk(k2, &jwk2) != ACME_OK || strcmp(jwk, jwk2) != 0)
		abort();
	if (acme_key_thumbprint(k2, &tp2) != ACME_OK || strcmp(tp, tp2) != 0)
		abort();

	free(tp2);
	free(jwk2);
	free(tp);
	free(jwk);
	acme_key_free(k2);
	acme_key_free(k);
	return 0;
}
