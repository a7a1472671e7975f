/*
 * Issuance against a real Pebble (tests/integ/t_issue.t: 30% bad nonces,
 * a validation sleep of up to 1 s, valid authorizations always reused,
 * two alternate roots), with real validation: pebble-challtestsrv serves
 * the http-01 answers on the port Pebble's validator calls and the TXT
 * records for dns-01, and resolves every name to 127.0.0.1.
 *
 * Checks what a user would notice: the certificate names exactly what was
 * ordered, carries the key it was finalized with, and verifies with
 * openssl(1) up to Pebble's root (management /roots/N, /intermediates/0).
 */
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "tap.h"
#include "integ.h"

#define NROOTS	3	/* PEBBLE_ALTERNATE_ROOTS=2 plus the default */

static struct acme_ctx	*ctx;
static struct acme_key	*akey;
static char		*root[NROOTS];	/* files: /roots/N */
static char		*root_cn[NROOTS];
static char		*inter0;	/* file: /intermediates/0 */

static void
fetch_roots(void)
{
	char	*body, *path, *name;
	size_t	 len, i;

	for (i = 0; i < NROOTS; i++) {
		path = integ_fmt("/roots/%zu", i);
		body = NULL;
		if (!ok(integ_mgmt(path, &body, &len),
		    "management: %s fetched", path))
			tap_bail("cannot read Pebble's roots");
		name = integ_fmt("root%zu.pem", i);
		root[i] = integ_write(name, body, len);
		root_cn[i] = integ_root_cn(body, len);
		ok(root_cn[i] != NULL, "root %zu is named \"%s\"", i,
		    root_cn[i] ? root_cn[i] : "?");
		free(name);
		free(path);
		free(body);
	}
	body = NULL;
	if (!ok(integ_mgmt("/intermediates/0", &body, &len),
	    "management: /intermediates/0 fetched"))
		tap_bail("cannot read Pebble's intermediate");
	inter0 = integ_write("intermediate0.pem", body, len);
	free(body);
	ok(root_cn[0] && root_cn[1] && root_cn[2] &&
	    strcmp(root_cn[0], root_cn[1]) != 0 &&
	    strcmp(root_cn[1], root_cn[2]) != 0,
	    "the three roots have different names");
}

/*
 * The chain verifies with openssl(1) against /roots/0, the leaf with
 * /intermediates/0 too, and neither against an unrelated CA.
 */
static void
verify_chain(const char *name, const struct integ_issued *g)
{
	char	*chain, *leaf, *leafpath;

	chain = integ_write("chain.pem", g->pem, g->len);
	if ((leaf = integ_leaf(g->pem)) == NULL)
		tap_bail("no leaf in chain");
	leafpath = integ_write("leaf.pem", leaf, strlen(leaf));
	ok(integ_verify(root[0], chain, chain, 1),
	    "%s: openssl verify: served chain up to /roots/0", name);
	ok(integ_verify(root[0], inter0, leafpath, 1),
	    "%s: openssl verify: leaf with /intermediates/0 and /roots/0",
	    name);
	ok(!integ_verify(integ.ca, chain, chain, 0),
	    "%s: openssl verify fails against an unrelated CA", name);
	free(leaf);
	free(leafpath);
	free(chain);
}

static void
ident(struct acme_ident *id, enum acme_ident_type t, const char *v)
{
	id->type = t;
	id->value = (char *)(uintptr_t)v;
}

static int
same_strs(char **a, size_t na, char **b, size_t nb)
{
	size_t	 i, j;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (strcmp(a[i], b[j]) == 0)
				break;
		if (j == nb)
			return 0;
	}
	return 1;
}

/* Two names by http-01, a cert key of type kt; keeps the result in *g. */
static int
two_names(const char *tag, enum acme_keytype kt, struct integ_issued *g)
{
	struct acme_ident	 id[2];
	char			*n1, *n2, *name;
	int			 c;

	n1 = integ_fmt("%s.%s.example.com", tag, integ.label);
	n2 = integ_fmt("www.%s.%s.example.com", tag, integ.label);
	ident(&id[0], ACME_ID_DNS, n1);
	ident(&id[1], ACME_ID_DNS, n2);
	name = integ_fmt("http-01, 2 names, %s key", acme_keytype_name(kt));
	c = integ_issue(ctx, akey, id, 2, ACME_CH_HTTP01, kt, name, g);
	if (c) {
		ok(g->nresponded == 2 && g->nreused == 0,
		    "%s: both names validated (responded %zu, reused %zu)",
		    name, g->nresponded, g->nreused);
		verify_chain(name, g);
	} else
		tap_skip(4, "no certificate");
	free(name);
	free(n1);
	free(n2);
	return c;
}

/* The CA reuses valid authorizations (PEBBLE_AUTHZREUSE=100). */
static void
reuse(const struct integ_issued *first)
{
	struct integ_issued	 g;
	const char		*name = "reused authorizations";

	if (first->order == NULL) {
		tap_skip(1, "no first certificate");
		return;
	}
	if (!integ_issue(ctx, akey, first->order->idents,
	    first->order->nident, ACME_CH_HTTP01, ACME_KEY_EC256, name, &g))
		return;
	ok(g.nreused == first->order->nident && g.nresponded == 0,
	    "%s: every authorization already valid, no challenge answered "
	    "(reused %zu, responded %zu)", name, g.nreused, g.nresponded);
	ok(same_strs(g.order->authz, g.order->nauthz, first->order->authz,
	    first->order->nauthz),
	    "%s: the order points at the first order's authorizations", name);
	ok(strcmp(g.info->serial, first->info->serial) != 0,
	    "%s: a new certificate (serial %s)", name, g.info->serial);
	verify_chain(name, &g);
	integ_issued_free(&g);
}

static void
wildcard(void)
{
	struct acme_ident	 id[2];
	struct integ_issued	 g;
	char			*base, *wild;
	const char		*name = "dns-01, wildcard and base";

	base = integ_fmt("wild.%s.example.com", integ.label);
	wild = integ_fmt("*.%s", base);
	ident(&id[0], ACME_ID_DNS, wild);
	ident(&id[1], ACME_ID_DNS, base);
	if (integ_issue(ctx, akey, id, 2, ACME_CH_DNS01, ACME_KEY_EC384,
	    name, &g)) {
		ok(g.nresponded == 2, "%s: two dns-01 challenges answered",
		    name);
		verify_chain(name, &g);
		integ_issued_free(&g);
	}
	free(base);
	free(wild);
}

static void
ip_address(void)
{
	struct acme_ident	 id[1];
	struct integ_issued	 g;
	const char		*name = "RFC 8738 IP address, http-01";

	ident(&id[0], ACME_ID_IP, "127.0.0.1");
	if (integ_issue(ctx, akey, id, 1, ACME_CH_HTTP01, ACME_KEY_EC256,
	    name, &g)) {
		ok(g.info->nsans == 1 && g.info->sans[0].type == ACME_ID_IP,
		    "%s: the SAN is an iPAddress", name);
		verify_chain(name, &g);
		integ_issued_free(&g);
	}
}

/* RFC 8555 7.4.2: Link rel="alternate" chains, chosen by issuer name. */
static void
alternates(const struct integ_issued *g)
{
	struct acme_certinfo	*ci = NULL;
	char			*pem = NULL, *chain;
	size_t			 len, i;
	enum acme_err		 err;

	if (g->order == NULL) {
		tap_skip(1, "no certificate");
		return;
	}
	for (i = 0; i < NROOTS; i++) {
		err = acme_cert_download(ctx, g->order->certificate,
		    root_cn[i], &pem, &len);
		if (!ok_acme(ctx, err, "chain to \"%s\" downloaded",
		    root_cn[i]))
			continue;
		if (acme_cert_parse(pem, len, &ci) == ACME_OK) {
			is_str(ci->top_issuer_cn, root_cn[i],
			    "its topmost issuer is the root asked for");
			is_str(ci->serial, g->info->serial,
			    "same leaf as the default chain");
		} else
			ok(0, "chain parses");
		chain = integ_write("alt.pem", pem, len);
		ok(integ_verify(root[i], chain, chain, 1),
		    "openssl verify: chain %zu verifies up to /roots/%zu",
		    i, i);
		if (i != 0)
			ok(!integ_verify(root[0], chain, chain, 0),
			    "openssl verify: chain %zu does not verify up to "
			    "/roots/0", i);
		free(chain);
		acme_certinfo_free(ci);
		ci = NULL;
		free(pem);
		pem = NULL;
	}

	/* No chain matches: the default one. */
	err = acme_cert_download(ctx, g->order->certificate,
	    "No Such Root CA", &pem, &len);
	if (ok_acme(ctx, err, "asking for an unknown root still downloads") &&
	    acme_cert_parse(pem, len, &ci) == ACME_OK)
		is_str(ci->top_issuer_cn, root_cn[0],
		    "and gives the default chain");
	else
		ok(0, "default chain parses");
	acme_certinfo_free(ci);
	free(pem);
}

/* A wrong http-01 answer: the authorization and the order fail. */
static void
wrong_answer(void)
{
	struct acme_ident	 id[1];
	struct acme_order_req	 req;
	struct acme_order	*o = NULL, *o2 = NULL;
	struct acme_authz	*a = NULL;
	struct acme_key		*ck = integ_key(ACME_KEY_EC256);
	const struct acme_challenge *ch;
	char			*dn;
	enum acme_err		 err;

	dn = integ_fmt("wrong.%s.example.com", integ.label);
	ident(&id[0], ACME_ID_DNS, dn);
	memset(&req, 0, sizeof(req));
	req.idents = id;
	req.nident = 1;
	err = acme_order_new(ctx, &req, &o);
	if (!ok_acme(ctx, err, "wrong answer: order placed"))
		goto out;
	err = acme_authz_fetch(ctx, o->authz[0], &a);
	if (!ok_acme(ctx, err, "wrong answer: authorization read") ||
	    (ch = acme_authz_challenge(a, ACME_CH_HTTP01)) == NULL ||
	    ch->token == NULL) {
		ok(0, "wrong answer: http-01 offered");
		goto out;
	}
	ok(integ_chall("/add-http01", json_pack("{s:s, s:s}", "token",
	    ch->token, "content", "not-the-key-authorization")),
	    "wrong answer: bad content served");
	err = acme_challenge_respond(ctx, ch->url, NULL);
	ok_acme(ctx, err, "wrong answer: challenge answered");
	acme_authz_free(a);
	a = NULL;
	err = acme_authz_wait(ctx, o->authz[0], INTEG_WAIT, &a);
	if (ok_acme(ctx, err, "wrong answer: authorization settled")) {
		ok(a->status == ACME_S_INVALID, "the authorization is invalid "
		    "(%s)", acme_status_name(a->status));
		ch = acme_authz_challenge(a, ACME_CH_HTTP01);
		ok(ch != NULL && ch->status == ACME_S_INVALID &&
		    ch->error != NULL && ch->error->detail != NULL,
		    "the challenge is invalid and says why (%s)",
		    ch && ch->error && ch->error->detail ?
		    ch->error->detail : "no error");
		if (ch != NULL)
			integ_chall("/del-http01",
			    json_pack("{s:s}", "token", ch->token));
	}
	err = acme_order_wait(ctx, o->url, ACME_S_READY, INTEG_WAIT, &o2);
	if (ok_acme(ctx, err, "wrong answer: order settled"))
		ok(o2->status == ACME_S_INVALID, "the order is invalid (%s)",
		    acme_status_name(o2->status));
	acme_order_free(o2);
	o2 = NULL;
	err = acme_order_finalize(ctx, o, ck, &o2);
	ok(err != ACME_OK, "finalizing the invalid order fails (%s)",
	    acme_strerror(err));
out:
	acme_authz_free(a);
	acme_order_free(o);
	acme_order_free(o2);
	acme_key_free(ck);
	free(dn);
}

/* Finalize too early; finalize with the account key; deactivate. */
static void
misuse(void)
{
	struct acme_ident	 id[1];
	struct acme_order_req	 req;
	struct acme_order	*o = NULL, *o2 = NULL;
	struct acme_authz	*a = NULL;
	struct acme_key		*ck = integ_key(ACME_KEY_EC256);
	char			*dn;
	enum acme_err		 err;

	dn = integ_fmt("early.%s.example.com", integ.label);
	ident(&id[0], ACME_ID_DNS, dn);
	memset(&req, 0, sizeof(req));
	req.idents = id;
	req.nident = 1;
	err = acme_order_new(ctx, &req, &o);
	if (!ok_acme(ctx, err, "early finalize: order placed"))
		goto out;
	ok(o->status == ACME_S_PENDING, "the new order is pending");

	err = acme_order_finalize(ctx, o, ck, &o2);
	is_int(err, ACME_ERR_STATE,
	    "finalizing a pending order: ACME_ERR_STATE");
	ok(o2 != NULL && o2->status == ACME_S_PENDING,
	    "and the order read back is pending (%s)",
	    o2 ? acme_status_name(o2->status) : "none");
	acme_order_free(o2);
	o2 = NULL;

	err = acme_order_finalize(ctx, o, akey, &o2);
	ok(err != ACME_OK, "finalizing with the account key is refused (%s)",
	    acme_strerror(err));
	acme_order_free(o2);
	o2 = NULL;

	/* RFC 8555 7.5.2: deactivating an authorization. */
	err = acme_authz_deactivate(ctx, o->authz[0], &a);
	if (ok_acme(ctx, err, "authorization deactivated"))
		ok(a->status == ACME_S_DEACTIVATED, "status deactivated (%s)",
		    acme_status_name(a->status));
	acme_authz_free(a);
	a = NULL;
	err = acme_order_fetch(ctx, o->url, &o2);
	/* RFC 8555 7.1.6 says invalid; Pebble 2.4 says "deactivated", a
	 * status orders do not have.  Either way it is dead. */
	if (ok_acme(ctx, err, "order read after the deactivation"))
		ok(o2->status == ACME_S_INVALID ||
		    o2->status == ACME_S_DEACTIVATED,
		    "the order can no longer be completed (%s)",
		    acme_status_name(o2->status));
	acme_order_free(o2);
	o2 = NULL;
	err = acme_order_finalize(ctx, o, ck, &o2);
	ok(err != ACME_OK, "finalizing it fails (%s)", acme_strerror(err));
out:
	acme_order_free(o);
	acme_order_free(o2);
	acme_key_free(ck);
	free(dn);
}

int
main(void)
{
	struct integ_issued	 ec, rsa;
	size_t			 i;

	integ_init();
	ctx = integ_ctx();
	akey = integ_key(ACME_KEY_EC256);
	if (!integ_account(ctx, akey, "issuer"))
		tap_bail("no account: nothing else can work");
	fetch_roots();

	two_names("ec", ACME_KEY_EC256, &ec);
	two_names("rsa", ACME_KEY_RSA2048, &rsa);
	reuse(&ec);
	wildcard();
	ip_address();
	alternates(&rsa);
	wrong_answer();
	misuse();

	integ_issued_free(&ec);
	integ_issued_free(&rsa);
	for (i = 0; i < NROOTS; i++) {
		free(root[i]);
		free(root_cn[i]);
	}
	free(inter0);
	acme_ctx_free(ctx);
	acme_key_free(akey);
	integ_done();
	return tap_done();
}
