/*
 * libFuzzer driver: acme_authz_parse() and acme_challenge_parse() on
 * arbitrary bytes (RFC 8555 sections 7.1.4 and 8).  A parsed token must
 * be base64url (STYLE: the CA is untrusted), and acme_authz_challenge()
 * must return one of the authorization's own challenges.
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
	touch(p->type);
	touch(p->detail);
	touch(p->instance);
	for (i = 0; i < p->nsub; i++) {
		touch(p->sub[i].type);
		touch(p->sub[i].detail);
		touch(p->sub[i].ident.value);
	}
}

/* Reads a challenge; its token, when kept, must be base64url. */
static void
check_challenge(const struct acme_challenge *c)
{

	if ((unsigned)c->type >= ACME_CH__MAX ||
	    (unsigned)c->status >= ACME_S__MAX)
		abort();
	touch(c->url);
	touch(c->type_name);
	if (c->token != NULL && !acme_b64url_valid(c->token, 4096))
		abort();
	touch_problem(c->error);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_authz		*a = NULL;
	struct acme_challenge		*c = NULL;
	const struct acme_challenge	*found;
	size_t				 i;
	int				 t;

	if (acme_authz_parse((const char *)data, size,
	    "https://127.0.0.1:14000/authZ/x1", &a) == ACME_OK) {
		if ((unsigned)a->status >= ACME_S__MAX ||
		    (unsigned)a->ident.type >= ACME_ID__MAX)
			abort();
		touch(a->url);
		touch(a->ident.value);
		for (i = 0; i < a->nch; i++)
			check_challenge(&a->ch[i]);
		for (t = 0; t < ACME_CH__MAX; t++) {
			found = acme_authz_challenge(a, (enum acme_chtype)t);
			if (found != NULL && (found < a->ch ||
			    found >= a->ch + a->nch || found->type !=
			    (enum acme_chtype)t))
				abort();
		}
		acme_authz_free(a);
	}

	if (acme_challenge_parse((const char *)data, size, &c) == ACME_OK) {
		check_challenge(c);
		acme_challenge_free(c);
	}
	return 0;
}
