/*
 * libFuzzer driver: acme_problem_parse() on arbitrary bytes (an RFC 7807
 * problem document, RFC 8555 section 6.7) and acme_retry_after_parse()
 * on the same bytes as a header value (RFC 9110 section 10.2.3).
 *
 * Input: byte 0 picks the HTTP status, the rest is the body or header.
 * A parsed Retry-After must be clamped to [0, max].
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static volatile size_t	sink;

static void
touch(const char *s)
{

	if (s != NULL)
		sink += strlen(s);
}

static const long	statuses[] = { 400, 403, 404, 409, 429, 500, 503, 0 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_problem	*p = NULL;
	char			*s;
	long			 status;
	size_t			 i;
	unsigned		 wait, max;
	/* Fixed "now" (2024-06-01T00:00:00Z) so runs are reproducible. */
	const time_t		 now = 1717200000;

	if (size == 0)
		return 0;
	status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	data++;
	size--;

	if (acme_problem_parse((const char *)data, size, status, &p) ==
	    ACME_OK) {
		if ((unsigned)p->ptype >= ACME_P__MAX)
			abort();
		touch(p->type);
		touch(p->detail);
		touch(p->instance);
		for (i = 0; i < p->nsub; i++) {
			if ((unsigned)p->sub[i].ptype >= ACME_P__MAX)
				abort();
			touch(p->sub[i].type);
			touch(p->sub[i].detail);
			touch(p->sub[i].ident.value);
		}
		touch(acme_ptype_name(p->ptype));
		acme_problem_free(p);
	}

	/* The header value as libcurl hands it over: NUL-terminated. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	touch(acme_ptype_name(acme_ptype_parse(s)));
	max = size > 0 ? data[0] * 10u : 60;
	wait = max + 1;
	if (acme_retry_after_parse(s, now, max, &wait) == 0 && wait > max)
		abort();
	free(s);
	return 0;
}
