/*
 * Revocation (RFC 8555 7.6) against a real Pebble (tests/integ/t_revoke.t,
 * 30% bad nonces): signed by the account key (kid) and by the certificate
 * key (jwk), with reason codes, twice (alreadyRevoked), by someone who
 * may not.  Pebble's management interface (/cert-status-by-serial) says
 * what the CA recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "tap.h"
#include "integ.h"

static struct acme_ctx	*ctx;
static struct acme_key	*akey;

/* A fresh one-name certificate; 1 on success. */
static int
issue(const char *tag, struct integ_issued *g)
{
	struct acme_ident	 id[1];
	char			*dn, *name;
	int			 c;

	dn = integ_fmt("%s.%s.example.com", tag, integ.label);
	name = integ_fmt("revoke %s", tag);
	id[0].type = ACME_ID_DNS;
	id[0].value = dn;
	c = integ_issue(ctx, akey, id, 1, ACME_CH_HTTP01, ACME_KEY_EC256,
	    name, g);
	free(name);
	free(dn);
	return c;
}

/* Pebble's record of the certificate: status and reason as expected. */
static void
ca_says(const struct integ_issued *g, const char *want, int reason,
    const char *what)
{
	char	*st = NULL;
	int	 r = -2;

	if (!ok(integ_cert_status(g->info->serial, &st, &r),
	    "%s: the CA knows serial %s", what, g->info->serial)) {
		tap_skip(1, "no status");
		return;
	}
	ok(strcmp(st, want) == 0 && r == reason,
	    "%s: the CA records %s, reason %d (got %s, %d)", what, want,
	    reason, st, r);
	free(st);
}

int
main(void)
{
	struct integ_issued	 a, b, c, d;
	struct acme_key		*stranger, *other;
	struct acme_ctx		*octx;
	enum acme_err		 err;

	integ_init();
	ctx = integ_ctx();
	akey = integ_key(ACME_KEY_EC256);
	if (!integ_account(ctx, akey, "revoker"))
		tap_bail("no account: nothing else can work");

	/* 1. By the account key, reason superseded. */
	if (issue("akey", &a)) {
		ca_says(&a, "Valid", -1, "before revocation");
		err = acme_cert_revoke(ctx, a.pem, a.len,
		    ACME_RR_SUPERSEDED, NULL);
		ok_acme(ctx, err, "revoked with the account key, superseded");
		ca_says(&a, "Revoked", ACME_RR_SUPERSEDED,
		    "after revocation by account key");
		err = acme_cert_revoke(ctx, a.pem, a.len,
		    ACME_RR_SUPERSEDED, NULL);
		ok_problem(ctx, err, ACME_P_ALREADYREVOKED, 400,
		    "revoking it again: alreadyRevoked");
		integ_issued_free(&a);
	}

	/* 2. By the certificate's own key (jwk), keyCompromise. */
	if (issue("certkey", &b)) {
		stranger = integ_key(ACME_KEY_EC256);
		err = acme_cert_revoke(ctx, b.pem, b.len,
		    ACME_RR_KEYCOMPROMISE, stranger);
		ok_problem(ctx, err, ACME_P_UNAUTHORIZED, 403,
		    "revoking with an unrelated key as jwk: unauthorized");
		ca_says(&b, "Valid", -1, "after the refused revocation");
		acme_key_free(stranger);

		/* A context with no account at all: jwk needs none. */
		octx = integ_ctx();
		err = acme_cert_revoke(octx, b.pem, b.len,
		    ACME_RR_KEYCOMPROMISE, b.certkey);
		ok_acme(octx, err, "revoked with the certificate key (jwk), "
		    "keyCompromise, from a context without account");
		ca_says(&b, "Revoked", ACME_RR_KEYCOMPROMISE,
		    "after revocation by certificate key");
		err = acme_cert_revoke(octx, b.pem, b.len,
		    ACME_RR_KEYCOMPROMISE, b.certkey);
		ok_problem(octx, err, ACME_P_ALREADYREVOKED, 400,
		    "revoking it again with the certificate key: "
		    "alreadyRevoked");
		err = acme_cert_revoke(ctx, b.pem, b.len, -1, NULL);
		ok_problem(ctx, err, ACME_P_ALREADYREVOKED, 400,
		    "and with the account key: alreadyRevoked");
		acme_ctx_free(octx);
		integ_issued_free(&b);
	}

	/* 3. Another account may not revoke it; no reason given. */
	if (issue("noreason", &c)) {
		other = integ_key(ACME_KEY_EC256);
		octx = integ_ctx();
		if (integ_account(octx, other, "another account")) {
			err = acme_cert_revoke(octx, c.pem, c.len,
			    ACME_RR_UNSPECIFIED, NULL);
			ok_problem(octx, err, ACME_P_UNAUTHORIZED, 403,
			    "another account's revocation: unauthorized");
			ca_says(&c, "Valid", -1, "after the other account");
		}
		acme_ctx_free(octx);
		acme_key_free(other);

		err = acme_cert_revoke(ctx, c.pem, c.len, -1, NULL);
		ok_acme(ctx, err, "revoked without a reason");
		ca_says(&c, "Revoked", -1, "without a reason");
		integ_issued_free(&c);
	}

	/* 4. A reason RFC 5280 does not allow here (7 is unused). */
	if (issue("badreason", &d)) {
		err = acme_cert_revoke(ctx, d.pem, d.len, 7, NULL);
		ok(err != ACME_OK, "reason 7 is refused (%s)",
		    acme_strerror(err));
		ca_says(&d, "Valid", -1, "after the bad reason");
		err = acme_cert_revoke(ctx, d.pem, d.len,
		    ACME_RR_CESSATIONOFOPERATION, NULL);
		ok_acme(ctx, err, "revoked with cessationOfOperation");
		ca_says(&d, "Revoked", ACME_RR_CESSATIONOFOPERATION,
		    "cessationOfOperation");
		integ_issued_free(&d);
	}

	acme_ctx_free(ctx);
	acme_key_free(akey);
	integ_done();
	return tap_done();
}
