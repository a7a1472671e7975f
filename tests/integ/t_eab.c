/*
 * External Account Binding (RFC 8555 7.3.4) against a Pebble that
 * requires it (tests/integ/t_eab.t: externalAccountBindingRequired, one
 * MAC key in ACME_TEST_EAB_KID / ACME_TEST_EAB_HMAC, 30% bad nonces).
 */
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "tap.h"
#include "integ.h"

static const char *const contact[] = { "mailto:eab@example.com" };

/* newAccount with key and the given binding; kid NULL: none. */
static enum acme_err
register_eab(struct acme_ctx *ctx, struct acme_key *key, const char *kid,
    const char *hmac, int only_existing, struct acme_account **out)
{
	struct acme_account_req	 req;

	memset(&req, 0, sizeof(req));
	req.contact = contact;
	req.ncontact = 1;
	req.tos_agreed = 1;
	req.eab_kid = kid;
	req.eab_hmac = hmac;
	req.only_existing = only_existing;
	if (acme_ctx_set_account(ctx, key, NULL) != ACME_OK)
		tap_bail("acme_ctx_set_account");
	return acme_account_new(ctx, &req, out);
}

int
main(void)
{
	const struct acme_directory *d;
	struct acme_ident	 id[1];
	struct acme_order_req	 oreq;
	struct acme_account	*a = NULL;
	struct acme_order	*o = NULL;
	struct acme_key		*key, *k2;
	struct acme_ctx		*ctx, *ctx2;
	char			*url = NULL, *other = NULL, *dn;
	unsigned char		 raw[32];
	enum acme_err		 err;
	size_t			 i;

	integ_init();
	if (integ.eab_kid == NULL || integ.eab_hmac == NULL)
		tap_bail("ACME_TEST_EAB_KID/HMAC not set: pebble_start eab");

	key = integ_key(ACME_KEY_EC256);
	ctx = integ_ctx();

	err = acme_directory_fetch(ctx);
	ok_acme(ctx, err, "directory fetched");
	d = acme_directory_get(ctx);
	ok(d != NULL && d->eab_required == 1,
	    "directory says externalAccountRequired");

	/* Without a binding: refused, nothing registered. */
	err = register_eab(ctx, key, NULL, NULL, 0, &a);
	ok_problem(ctx, err, ACME_P_EXTERNALACCOUNTREQUIRED, 0,
	    "no EAB against an EAB-only CA: externalAccountRequired");
	ok(acme_ctx_kid(ctx) == NULL, "no account URL after the refusal");
	acme_account_free(a);
	a = NULL;

	/* A binding under the right kid with the wrong MAC key. */
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7 + 1);
	if (acme_b64url_encode(raw, sizeof(raw), &other) != ACME_OK)
		tap_bail("acme_b64url_encode");
	err = register_eab(ctx, key, integ.eab_kid, other, 0, &a);
	ok_problem(ctx, err, ACME_P_UNAUTHORIZED, 403,
	    "EAB with a wrong MAC key: unauthorized");
	acme_account_free(a);
	a = NULL;

	/* An unknown kid. */
	err = register_eab(ctx, key, "no-such-kid", integ.eab_hmac, 0, &a);
	ok_problem(ctx, err, ACME_P_UNAUTHORIZED, 403,
	    "EAB with an unknown kid: unauthorized");
	acme_account_free(a);
	a = NULL;

	/* A MAC key that is not base64url never leaves the client. */
	err = register_eab(ctx, key, integ.eab_kid, "not base64url!", 0, &a);
	ok(err != ACME_OK && err != ACME_ERR_PROBLEM,
	    "EAB MAC key that is not base64url refused locally (%s)",
	    acme_strerror(err));
	acme_account_free(a);
	a = NULL;

	/* None of the above created an account. */
	ctx2 = integ_ctx();
	err = register_eab(ctx2, key, NULL, NULL, 1, &a);
	ok_problem(ctx2, err, ACME_P_ACCOUNTDOESNOTEXIST, 0,
	    "refused registrations left no account behind");
	acme_account_free(a);
	a = NULL;
	acme_ctx_free(ctx2);

	/* The right binding. */
	err = register_eab(ctx, key, integ.eab_kid, integ.eab_hmac, 0, &a);
	if (ok_acme(ctx, err, "account created with EAB")) {
		ok(a->created == 1, "reported as created");
		ok(a->status == ACME_S_VALID, "status valid");
		ok(a->url != NULL && acme_ctx_kid(ctx) != NULL &&
		    strcmp(a->url, acme_ctx_kid(ctx)) == 0,
		    "context signs with the new account");
		url = a->url ? strdup(a->url) : NULL;
	} else
		tap_skip(3, "no account");
	acme_account_free(a);
	a = NULL;

	/* onlyReturnExisting needs no binding (7.3.1). */
	ctx2 = integ_ctx();
	err = register_eab(ctx2, key, NULL, NULL, 1, &a);
	if (ok_acme(ctx2, err, "onlyReturnExisting without EAB finds it")) {
		is_str(a->url, url, "same account URL");
		ok(a->created == 0, "reported as existing");
	} else
		tap_skip(2, "no account");
	acme_account_free(a);
	a = NULL;
	acme_ctx_free(ctx2);

	/* The bound account works: an order. */
	dn = integ_fmt("eab.%s.example.com", integ.label);
	id[0].type = ACME_ID_DNS;
	id[0].value = dn;
	memset(&oreq, 0, sizeof(oreq));
	oreq.idents = id;
	oreq.nident = 1;
	err = acme_order_new(ctx, &oreq, &o);
	if (ok_acme(ctx, err, "the EAB account can place an order"))
		ok(o->status == ACME_S_PENDING && o->nauthz == 1,
		    "order pending with one authorization");
	else
		tap_skip(1, "no order");
	acme_order_free(o);
	free(dn);

	/* A second key may reuse the MAC key (Pebble allows it). */
	k2 = integ_key(ACME_KEY_RSA2048);
	ctx2 = integ_ctx();
	err = register_eab(ctx2, k2, integ.eab_kid, integ.eab_hmac, 0, &a);
	if (ok_acme(ctx2, err, "an RSA account key binds too"))
		ok(a->url != NULL && url != NULL && strcmp(a->url, url) != 0,
		    "as a different account");
	else
		tap_skip(1, "no account");
	acme_account_free(a);
	acme_ctx_free(ctx2);
	acme_key_free(k2);

	free(url);
	free(other);
	acme_ctx_free(ctx);
	acme_key_free(key);
	integ_done();
	return tap_done();
}
