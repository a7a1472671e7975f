/*
 * libFuzzer driver: acme_directory_parse() on arbitrary bytes, as the
 * body of a directory response (RFC 8555 section 7.1.1).  Every string
 * of a parsed directory is read so that ASan sees a bad pointer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acme.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static volatile size_t	sink;

/* Reads s to its end (NULL is fine). */
static void
touch(const char *s)
{

	if (s != NULL)
		sink += strlen(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_directory	*d = NULL;
	size_t			 i;

	if (acme_directory_parse((const char *)data, size, &d) != ACME_OK)
		return 0;
	touch(d->new_nonce);
	touch(d->new_account);
	touch(d->new_order);
	touch(d->new_authz);
	touch(d->revoke_cert);
	touch(d->key_change);
	touch(d->renewal_info);
	touch(d->tos);
	touch(d->website);
	for (i = 0; i < d->ncaa; i++)
		touch(d->caa[i]);
	for (i = 0; i < d->nprofiles; i++) {
		touch(d->profiles[i]);
		if (d->profile_desc != NULL)
			touch(d->profile_desc[i]);
	}
	acme_directory_free(d);
	return 0;
}
