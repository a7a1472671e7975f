/*
 * libFuzzer driver: acme_order_parse() on arbitrary bytes, as the body
 * of an order (RFC 8555 section 7.1.3), with and without a URL.  Every
 * field of a parsed order is read; the status must be a known value.
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

static void
touch_problem(const struct acme_problem *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	if ((unsigned)p->ptype >= ACME_P__MAX)
		abort();
	touch(p->type);
	touch(p->detail);
	touch(p->instance);
	for (i = 0; i < p->nsub; i++) {
		touch(p->sub[i].type);
		touch(p->sub[i].detail);
		touch(p->sub[i].ident.value);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_order	*o = NULL;
	const char		*url;
	size_t			 i;

	/* The first byte picks whether the order has a known URL. */
	if (size == 0)
		return 0;
	url = (data[0] & 1) ? "https://127.0.0.1:14000/my-order/x1" : NULL;
	data++;
	size--;

	if (acme_order_parse((const char *)data, size, url, &o) != ACME_OK)
		return 0;
	if ((unsigned)o->status >= ACME_S__MAX)
		abort();
	touch(o->url);
	for (i = 0; i < o->nident; i++) {
		if ((unsigned)o->idents[i].type >= ACME_ID__MAX)
			abort();
		touch(o->idents[i].value);
	}
	for (i = 0; i < o->nauthz; i++)
		touch(o->authz[i]);
	touch(o->finalize);
	touch(o->certificate);
	touch(o->not_before);
	touch(o->not_after);
	touch(o->profile);
	touch(o->replaces);
	touch_problem(o->error);
	acme_order_free(o);
	return 0;
}
