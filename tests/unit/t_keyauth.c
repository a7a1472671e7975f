/*
 * Key authorizations (RFC 8555 8.1), dns-01 values and names (8.4) and
 * the tls-alpn-01 digest (RFC 8737 3): known answers computed with
 * "openssl dgst -sha256", and hostile tokens refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "tap.h"

/* RFC 7638 3.1 example key: thumbprint NzbLsXh8...C9Xs. */
static const char rsa_jwk[] = "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJ"
    "XZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
    "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf"
    "0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvR"
    "L5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINH"
    "aQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\"}";
/* The P-256 key of t_keys.c: thumbprint pI7n...mnLo. */
static const char ec_jwk[] = "{\"crv\":\"P-256\",\"kty\":\"EC\","
    "\"x\":\"ALGnJG59e8O-uzvRs4ehh9CEU6BTvY1RlBB9BfxSL_Q\","
    "\"y\":\"jYHULju-3RkfZSmS8ku9uXUI4WeLn1BlYumkpiEwtHw\"}";

/* The token of RFC 8555 section 8.3's example. */
#define TOKEN	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"

/* Known answer for one key: keyauth, dns-01 value, tls-alpn-01 hex. */
static void
kat(const char *jwk, const char *ka, const char *txt, const char *hex)
{
	struct acme_key	*k = NULL;
	char		*s = NULL, *v = NULL, got[65];
	unsigned char	 d[32];
	size_t		 i;

	if (acme_key_parse_jwk(jwk, strlen(jwk), &k) != ACME_OK)
		tap_bail("parse jwk");
	ok(acme_keyauth(k, TOKEN, &s) == ACME_OK, "keyauth");
	is_str(s, ka, "key authorization is token.thumbprint (8.1)");
	ok(acme_dns01_value(k, TOKEN, &v) == ACME_OK, "dns01 value");
	is_str(v, txt, "dns-01 TXT value (8.4)");
	ok(acme_tlsalpn01_digest(k, TOKEN, d) == ACME_OK, "tls-alpn digest");
	for (i = 0; i < 32; i++)
		snprintf(got + 2 * i, 3, "%02x", d[i]);
	is_str(got, hex, "tls-alpn-01 SHA-256 (RFC 8737 3)");
	free(s);
	free(v);
	acme_key_free(k);
}

int
main(void)
{
	static const char *const bad[] = {
		"", "a/b", "..", "../../etc/passwd", "$(x)", "`id`", "a b",
		"abc#def", "tok=", "a.b", "a\nb", "a;b", "a%2fb", "\xc3\xa9",
	};
	static const struct {
		const char	*domain;
		const char	*name;
	} names[] = {
		{ "example.com", "_acme-challenge.example.com" },
		{ "*.example.com", "_acme-challenge.example.com" },
		{ "*.a.b.example.org", "_acme-challenge.a.b.example.org" },
		{ "xn--bcher-kva.example", "_acme-challenge.xn--bcher-kva.example" },
	};
	static const char *const badnames[] = {
		"", "Example.com", "a..b", "$(x).com", "*.*.a.com", "a.*.com",
		"1.2.3.4", "::1", "com", "a.com.",
	};
	struct acme_key	*k = NULL;
	char		*s = NULL, tok[300], dom[300];
	unsigned char	 d[32];
	size_t		 i;

	kat(rsa_jwk, TOKEN ".NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
	    "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8",
	    "653471d42925d7eb4cd39a39cda8b34d3034c94cb90067ab78c8123560ba2e5f");
	kat(ec_jwk, TOKEN ".pI7n-Gp1kvg6q_r5CC0ZK14LvNJ8CuaHrAxjRsAmnLo",
	    "S0iKeAVbSqEsdCgdH4DYGdZvkbZ7neN_xsssgsCmiLo",
	    "4b488a78055b4aa12c74281d1f80d819d66f91b67b9de37fc6cb2c82c0a688ba");

	if (acme_key_parse_jwk(ec_jwk, strlen(ec_jwk), &k) != ACME_OK)
		tap_bail("parse jwk");

	/* Hostile or malformed tokens never reach a file or a record. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = NULL;
		ok(acme_keyauth(k, bad[i], &s) == ACME_ERR_ARG && s == NULL &&
		    acme_dns01_value(k, bad[i], &s) == ACME_ERR_ARG &&
		    acme_tlsalpn01_digest(k, bad[i], d) == ACME_ERR_ARG,
		    "-bad- token %zu refused", i);
	}
	ok(acme_keyauth(k, NULL, &s) == ACME_ERR_ARG, "-bad- NULL token");
	ok(acme_keyauth(NULL, TOKEN, &s) == ACME_ERR_ARG, "-bad- NULL key");
	memset(tok, 'A', 256);
	tok[256] = '\0';
	ok(acme_keyauth(k, tok, &s) == ACME_OK && strlen(s) == 256 + 1 + 43,
	    "256-character token accepted");
	free(s);
	s = NULL;
	tok[256] = 'A';
	tok[257] = '\0';
	ok(acme_keyauth(k, tok, &s) == ACME_ERR_ARG && s == NULL,
	    "-bad- 257-character token");

	/* dns-01 record names. */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		s = NULL;
		ok(acme_dns01_name(names[i].domain, &s) == ACME_OK,
		    "dns01 name for %s", names[i].domain);
		is_str(s, names[i].name, "record name, \"*.\" stripped");
		free(s);
	}
	for (i = 0; i < sizeof(badnames) / sizeof(badnames[0]); i++) {
		s = NULL;
		ok(acme_dns01_name(badnames[i], &s) == ACME_ERR_IDENT &&
		    s == NULL, "-bad- dns01 name '%s'", badnames[i]);
	}
	ok(acme_dns01_name(NULL, &s) == ACME_ERR_ARG, "-bad- NULL domain");
	/* 16 + 237 = 253 fits; one more does not. */
	memset(dom, 'a', 63);
	dom[63] = '.';
	memset(dom + 64, 'b', 63);
	dom[127] = '.';
	memset(dom + 128, 'c', 63);
	dom[191] = '.';
	memset(dom + 192, 'd', 45);
	dom[237] = '\0';
	s = NULL;
	ok(acme_dns01_name(dom, &s) == ACME_OK && strlen(s) == 253,
	    "record name of exactly 253 characters");
	free(s);
	s = NULL;
	dom[237] = 'd';
	dom[238] = '\0';
	ok(acme_dns01_name(dom, &s) == ACME_ERR_IDENT && s == NULL,
	    "-bad- record name over 253 characters");

	acme_key_free(k);
	return tap_done();
}
