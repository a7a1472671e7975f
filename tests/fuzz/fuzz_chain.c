/*
 * libFuzzer driver: acme_chain_check() and acme_cert_parse() on
 * arbitrary bytes, as a downloaded application/pem-certificate-chain
 * (RFC 8555 section 7.4.2).  Both take a NUL-terminated PEM, so the
 * input is copied into one.  Every field of a parsed leaf is read so
 * that ASan sees a bad pointer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static volatile size_t	sink;

static void
touch(const char *s)
{

	if (s != NULL)
		sink += strlen(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_certinfo	*ci = NULL;
	char			*pem;
	size_t			 i;

	if ((pem = malloc(size + 1)) == NULL)
		return 0;
	memcpy(pem, data, size);
	pem[size] = '\0';

	(void)acme_chain_check(pem, size);
	if (acme_cert_parse(pem, size, &ci) == ACME_OK) {
		touch(ci->serial);
		for (i = 0; i < ci->nsans; i++) {
			if ((unsigned)ci->sans[i].type >= ACME_ID__MAX)
				abort();
			touch(ci->sans[i].value);
		}
		touch(ci->issuer_cn);
		touch(ci->top_issuer_cn);
		touch(ci->ari_id);
		acme_certinfo_free(ci);
	}
	free(pem);
	return 0;
}
