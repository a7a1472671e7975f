/*
 * Accounts against a real Pebble (tests/integ/t_account.t starts it with
 * 30% of nonces rejected): registration, finding an account again
 * (onlyReturnExisting), contacts, key rollover (RFC 8555 7.3.5) and
 * deactivation (7.3.6).
 */
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "tap.h"
#include "integ.h"

/* A context that signs with key (and kid, when not NULL). */
static struct acme_ctx *
ctx_with(struct acme_key *key, const char *kid)
{
	struct acme_ctx	*ctx = integ_ctx();

	if (acme_ctx_set_account(ctx, key, kid) != ACME_OK)
		tap_bail("acme_ctx_set_account");
	return ctx;
}

static int
same_contacts(const struct acme_account *a, const char *const *c, size_t n)
{
	size_t	 i;

	if (a->ncontact != n)
		return 0;
	for (i = 0; i < n; i++)
		if (a->contact[i] == NULL || strcmp(a->contact[i], c[i]) != 0)
			return 0;
	return 1;
}

/* onlyReturnExisting with key: the error, and the URL found (caller's). */
static enum acme_err
find_account(struct acme_key *key, char **url, struct acme_ctx **ctxp)
{
	struct acme_account_req	 req;
	struct acme_account	*a = NULL;
	struct acme_ctx		*ctx = ctx_with(key, NULL);
	enum acme_err		 err;

	*url = NULL;
	memset(&req, 0, sizeof(req));
	req.only_existing = 1;
	err = acme_account_new(ctx, &req, &a);
	if (err == ACME_OK && a->url != NULL)
		*url = strdup(a->url);
	acme_account_free(a);
	*ctxp = ctx;
	return err;
}

static void
test_register(void)
{
	static const char *const c1[] = { "mailto:one@example.com" };
	static const char *const c2[] = {
		"mailto:two@example.com", "mailto:three@example.com"
	};
	static const char *const bad[] = { "https://example.com/contact" };
	const struct acme_directory *d;
	struct acme_account_req	 req;
	struct acme_account	*a = NULL, *b = NULL;
	struct acme_key		*key = integ_key(ACME_KEY_EC256);
	struct acme_key		*stranger = integ_key(ACME_KEY_EC256);
	struct acme_ctx		*ctx = ctx_with(key, NULL), *ctx2 = NULL;
	char			*url = NULL, *found = NULL;
	enum acme_err		 err;

	err = acme_directory_fetch(ctx);
	ok_acme(ctx, err, "directory fetched");
	d = acme_directory_get(ctx);
	ok(d != NULL && d->new_account != NULL && d->new_order != NULL &&
	    d->revoke_cert != NULL && d->key_change != NULL &&
	    d->new_nonce != NULL, "directory names the RFC 8555 resources");
	ok(d != NULL && !d->eab_required,
	    "this CA does not require external account binding");
	ok(d != NULL && d->tos != NULL, "terms of service advertised");

	/* Not agreeing to the terms is refused by Pebble. */
	memset(&req, 0, sizeof(req));
	req.contact = c1;
	req.ncontact = 1;
	err = acme_account_new(ctx, &req, &a);
	ok(err == ACME_ERR_PROBLEM && acme_problem_get(ctx) != NULL &&
	    acme_problem_get(ctx)->type != NULL &&
	    strstr(acme_problem_get(ctx)->type, "agreementRequired") != NULL,
	    "refusing the terms: agreementRequired problem");
	if (err != ACME_ERR_PROBLEM)
		integ_diag_err(ctx, err);
	ok(acme_ctx_kid(ctx) == NULL, "no account URL after the refusal");
	acme_account_free(a);
	a = NULL;

	/* Registration without EAB. */
	req.tos_agreed = 1;
	err = acme_account_new(ctx, &req, &a);
	if (ok_acme(ctx, err, "account created without EAB")) {
		ok(a->created == 1, "reported as created (201)");
		ok(a->status == ACME_S_VALID, "status valid (%s)",
		    acme_status_name(a->status));
		ok(a->url != NULL && strncmp(a->url, "https://127.0.0.1:",
		    18) == 0, "account URL on the CA (%s)",
		    a->url ? a->url : "none");
		is_str(acme_ctx_kid(ctx), a->url, "context signs with the kid");
		ok(same_contacts(a, c1, 1), "contact kept");
		url = a->url ? strdup(a->url) : NULL;
	} else
		tap_skip(5, "no account");
	acme_account_free(a);
	a = NULL;

	/* The same key again: the existing account, not a new one. */
	err = acme_account_new(ctx, &req, &a);
	if (ok_acme(ctx, err, "registering the same key again")) {
		ok(a->created == 0, "reported as existing (200)");
		is_str(a->url, url, "same account URL");
	} else
		tap_skip(2, "no answer");
	acme_account_free(a);
	a = NULL;

	/* onlyReturnExisting on a fresh context finds it. */
	err = find_account(key, &found, &ctx2);
	ok_acme(ctx2, err, "onlyReturnExisting finds the account");
	is_str(found, url, "it is the same account");
	is_str(acme_ctx_kid(ctx2), url, "the finding context signs with it");
	free(found);
	acme_ctx_free(ctx2);

	/* ... and an unknown key finds nothing. */
	err = find_account(stranger, &found, &ctx2);
	ok_problem(ctx2, err, ACME_P_ACCOUNTDOESNOTEXIST, 400,
	    "onlyReturnExisting with an unknown key: accountDoesNotExist");
	ok(acme_ctx_kid(ctx2) == NULL, "no kid set for the unknown key");
	free(found);
	acme_ctx_free(ctx2);

	/* Contacts: replace, then read back. */
	err = acme_account_update(ctx, c2, 2, &a);
	if (ok_acme(ctx, err, "contacts updated"))
		ok(same_contacts(a, c2, 2), "update answer has both contacts");
	else
		tap_skip(1, "no answer");
	err = acme_account_fetch(ctx, &b);
	if (ok_acme(ctx, err, "account fetched")) {
		ok(same_contacts(b, c2, 2), "the CA kept the new contacts");
		is_str(b->url, url, "fetched account has the same URL");
		ok(b->status == ACME_S_VALID, "still valid");
	} else
		tap_skip(3, "no account");
	acme_account_free(a);
	acme_account_free(b);
	a = b = NULL;

	err = acme_account_update(ctx, bad, 1, &a);
	ok_problem(ctx, err, ACME_P_UNSUPPORTEDCONTACT, 400,
	    "an https contact is refused: unsupportedContact");
	acme_account_free(a);
	a = NULL;
	err = acme_account_fetch(ctx, &b);
	ok(err == ACME_OK && same_contacts(b, c2, 2),
	    "contacts unchanged after the refused update");
	acme_account_free(b);

	free(url);
	acme_ctx_free(ctx);
	acme_key_free(key);
	acme_key_free(stranger);
}

/* Key rollover, then issuance with the new key; the old key is dead. */
static void
test_rollover(enum acme_keytype from, enum acme_keytype to)
{
	struct acme_ident	 id[1];
	char			 n1[128];
	struct integ_issued	 got;
	struct acme_account	*a = NULL;
	struct acme_key		*oldkey = integ_key(from);
	struct acme_key		*newkey = integ_key(to);
	struct acme_ctx		*ctx = integ_ctx(), *old = NULL, *ctx2 = NULL;
	char			*url = NULL, *found = NULL, *name;
	enum acme_err		 err;

	name = integ_fmt("rollover %s to %s", acme_keytype_name(from),
	    acme_keytype_name(to));
	if (!integ_account(ctx, oldkey, name)) {
		tap_skip(12, "no account");
		goto out;
	}
	url = strdup(acme_ctx_kid(ctx));

	err = acme_account_keychange(ctx, newkey);
	if (!ok_acme(ctx, err, "%s: key changed", name)) {
		tap_skip(11, "no rollover");
		goto out;
	}
	is_str(acme_ctx_kid(ctx), url, "account URL unchanged by rollover");
	err = acme_account_fetch(ctx, &a);
	ok_acme(ctx, err, "%s: account read with the new key", name);
	acme_account_free(a);
	a = NULL;

	/* A new order and a certificate with the new key (whose
	 * thumbprint is now in every key authorization). */
	snprintf(n1, sizeof(n1), "roll-%s.%s.example.com",
	    acme_keytype_name(to), integ.label);
	id[0].type = ACME_ID_DNS;
	id[0].value = n1;
	if (integ_issue(ctx, newkey, id, 1, ACME_CH_HTTP01, ACME_KEY_EC256,
	    name, &got))
		integ_issued_free(&got);

	/* The old key signing for the account is refused. */
	old = integ_ctx();
	acme_ctx_set_account(old, oldkey, url);
	err = acme_account_fetch(old, &a);
	ok(err == ACME_ERR_PROBLEM && acme_problem_get(old) != NULL &&
	    acme_problem_get(old)->status >= 400,
	    "%s: the old key no longer works for the account", name);
	if (err != ACME_ERR_PROBLEM)
		integ_diag_err(old, err);
	acme_account_free(a);
	a = NULL;

	/* The old key finds no account; the new key finds it. */
	err = find_account(oldkey, &found, &ctx2);
	ok_problem(ctx2, err, ACME_P_ACCOUNTDOESNOTEXIST, 400,
	    "%s: old key: accountDoesNotExist", name);
	free(found);
	acme_ctx_free(ctx2);
	err = find_account(newkey, &found, &ctx2);
	ok_acme(ctx2, err, "%s: new key finds the account", name);
	is_str(found, url, "and it is the same account");
	free(found);
	acme_ctx_free(ctx2);
out:
	free(name);
	free(url);
	acme_ctx_free(old);
	acme_ctx_free(ctx);
	acme_key_free(oldkey);
	acme_key_free(newkey);
}

/* Rolling over to the key of another account is refused. */
static void
test_rollover_taken(void)
{
	struct acme_key		*k1 = integ_key(ACME_KEY_EC256);
	struct acme_key		*k2 = integ_key(ACME_KEY_EC256);
	struct acme_ctx		*c1 = integ_ctx(), *c2 = integ_ctx();
	struct acme_account	*a = NULL;
	enum acme_err		 err;

	if (!integ_account(c1, k1, "taken key, first") ||
	    !integ_account(c2, k2, "taken key, second")) {
		tap_skip(2, "no accounts");
		goto out;
	}
	err = acme_account_keychange(c1, k2);
	ok(err != ACME_OK, "rollover to another account's key fails (%s)",
	    acme_strerror(err));
	/* acme.h: ACME_ERR_PROBLEM comes with the problem kept.  (RFC 8555
	 * 7.3.5 says 409 Conflict; Pebble 2.4 answers 500 serverInternal.) */
	if (!ok(err != ACME_ERR_PROBLEM || acme_problem_get(c1) != NULL,
	    "a problem error comes with a problem to show"))
		integ_diag_err(c1, err);
	err = acme_account_fetch(c1, &a);
	ok_acme(c1, err, "the first account still works with its own key");
	acme_account_free(a);
out:
	acme_ctx_free(c1);
	acme_ctx_free(c2);
	acme_key_free(k1);
	acme_key_free(k2);
}

static void
test_deactivate(void)
{
	static const char *const c1[] = { "mailto:gone@example.com" };
	struct acme_ident	 id[1];
	struct acme_order_req	 oreq;
	struct acme_account_req	 req;
	struct acme_account	*a = NULL;
	struct acme_order	*o = NULL;
	struct acme_key		*key = integ_key(ACME_KEY_EC384);
	struct acme_ctx		*ctx = integ_ctx(), *ctx2 = NULL;
	char			*found = NULL, *dn;
	enum acme_err		 err;

	if (!integ_account(ctx, key, "deactivate")) {
		tap_skip(7, "no account");
		goto out;
	}
	err = acme_account_deactivate(ctx, &a);
	if (ok_acme(ctx, err, "account deactivated"))
		ok(a->status == ACME_S_DEACTIVATED, "status deactivated (%s)",
		    acme_status_name(a->status));
	else
		tap_skip(1, "no answer");
	acme_account_free(a);
	a = NULL;

	dn = integ_fmt("gone.%s.example.com", integ.label);
	id[0].type = ACME_ID_DNS;
	id[0].value = dn;
	memset(&oreq, 0, sizeof(oreq));
	oreq.idents = id;
	oreq.nident = 1;
	err = acme_order_new(ctx, &oreq, &o);
	ok_problem(ctx, err, ACME_P_UNAUTHORIZED, 403,
	    "new order after deactivation: unauthorized");
	ok(o == NULL, "no order returned");
	acme_order_free(o);
	free(dn);

	err = acme_account_fetch(ctx, &a);
	ok_problem(ctx, err, ACME_P_UNAUTHORIZED, 403,
	    "reading the deactivated account: unauthorized");
	acme_account_free(a);
	a = NULL;

	/* Registering the same key again does not revive it. */
	ctx2 = integ_ctx();
	acme_ctx_set_account(ctx2, key, NULL);
	memset(&req, 0, sizeof(req));
	req.contact = c1;
	req.ncontact = 1;
	req.tos_agreed = 1;
	err = acme_account_new(ctx2, &req, &a);
	ok_problem(ctx2, err, ACME_P_UNAUTHORIZED, 403,
	    "registering the deactivated key again: unauthorized");
	acme_account_free(a);
	free(found);
out:
	acme_ctx_free(ctx2);
	acme_ctx_free(ctx);
	acme_key_free(key);
}

int
main(void)
{
	integ_init();
	test_register();
	test_rollover(ACME_KEY_EC256, ACME_KEY_RSA2048);
	test_rollover(ACME_KEY_RSA2048, ACME_KEY_EC384);
	test_rollover_taken();
	test_deactivate();
	integ_done();
	return tap_done();
}
