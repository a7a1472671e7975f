/*
 * Signatures and JWS: ES256/ES384 come out as fixed-length r || s that
 * verify (10,000 ES256), RS256 verifies, the flattened JWS of requests,
 * key changes and External Account Binding (with a known answer).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/rand.h>

#include "extern.h"
#include "tap.h"

/* P-256 key and JWK shared with t_keys.c (made with openssl ecparam). */
static const char ec256_pem[] = "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgq5WXiFz56N+NNHuE\n"
    "h4/QWeNz/0DHzWi5UFB2YO5pMpihRANCAAQAsackbn17w767O9Gzh6GH0IRToFO9\n"
    "jVGUEH0F/FIv9I2B1C47vt0ZH2UpkvJLvbl1COFni59QZWLppKYhMLR8\n"
    "-----END PRIVATE KEY-----\n";

/*
 * EAB known answer, computed with basenc --base64url and
 * "openssl mac -digest SHA256 -macopt hexkey:000102...1f HMAC" over
 * protected "." payload.
 */
static const char eab_key[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
static const char eab_prot[] = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImtpZC0xIiwidXJ"
    "sIjoiaHR0cHM6Ly9jYS5leGFtcGxlL2FjbWUvbmV3LWFjY291bnQifQ";
static const char eab_payload[] = "eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6"
    "IkFMR25KRzU5ZThPLXV6dlJzNGVoaDlDRVU2QlR2WTFSbEJCOUJmeFNMX1EiLCJ5IjoiallI"
    "VUxqdS0zUmtmWlNtUzhrdTl1WFVJNFdlTG4xQmxZdW1rcGlFd3RIdyJ9";
static const char eab_sig[] = "dS2NciV6RjeDoQRYy7sV3Z55YmKCRrpUlbAH3iwHF_4";

#define NONCE	"Q_s3MWoqT05TrdkM2MTDcw"
#define URL	"https://ca.example/acme/new-order"

/*
 * Verifies sig over msg with k.  For EC, sig must be exactly 2 * clen
 * bytes of r || s, turned back into DER with generic ASN.1 types.
 * Returns 1 when it verifies, else 0.
 */
static int
verify(const struct acme_key *k, const unsigned char *msg, size_t len,
    const unsigned char *sig, size_t siglen)
{
	ASN1_SEQUENCE_ANY	*seq = NULL;
	ASN1_TYPE		*t;
	ASN1_INTEGER		*ai;
	BIGNUM			*bn;
	EVP_MD_CTX		*mctx = NULL;
	unsigned char		*der = NULL;
	const char		*md = "SHA256";
	size_t			 clen = 0, i;
	int			 derlen, rv = 0;

	if (acme_key_type(k) == ACME_KEY_EC256)
		clen = 32;
	else if (acme_key_type(k) == ACME_KEY_EC384) {
		clen = 48;
		md = "SHA384";
	}
	if (clen != 0) {
		if (siglen != 2 * clen)
			return 0;
		if ((seq = sk_ASN1_TYPE_new_null()) == NULL)
			goto out;
		for (i = 0; i < 2; i++) {
			bn = BN_bin2bn(sig + i * clen, (int)clen, NULL);
			ai = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
			BN_free(bn);
			if (ai == NULL || (t = ASN1_TYPE_new()) == NULL) {
				ASN1_INTEGER_free(ai);
				goto out;
			}
			ASN1_TYPE_set(t, V_ASN1_INTEGER, ai);
			if (!sk_ASN1_TYPE_push(seq, t)) {
				ASN1_TYPE_free(t);
				goto out;
			}
		}
		if ((derlen = i2d_ASN1_SEQUENCE_ANY(seq, &der)) <= 0)
			goto out;
		sig = der;
		siglen = (size_t)derlen;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(mctx, NULL, md, NULL, NULL, k->pkey,
	    NULL) != 1)
		goto out;
	rv = EVP_DigestVerify(mctx, sig, siglen, msg, len) == 1;
out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return rv;
}

/*
 * Signs n random messages with fresh keys of type (a new key every 1000)
 * and checks length and verification of each.
 */
static void
sign_many(enum acme_keytype type, size_t n, size_t want)
{
	struct acme_key	*k = NULL;
	unsigned char	 msg[200], *sig = NULL;
	size_t		 i, siglen, badlen = 0, badver = 0, zeros = 0;
	int		 tamper_ok = 1;

	for (i = 0; i < n; i++) {
		if (i % 1000 == 0) {
			acme_key_free(k);
			if (acme_key_new(type, &k) != ACME_OK)
				tap_bail("keygen");
		}
		if (RAND_bytes(msg, sizeof(msg)) != 1)
			tap_bail("RAND_bytes");
		if (key_sign(k, msg, i % sizeof(msg), &sig, &siglen) !=
		    ACME_OK)
			tap_bail("key_sign");
		if (siglen != want)
			badlen++;
		else if (!verify(k, msg, i % sizeof(msg), sig, siglen))
			badver++;
		if (want < 100 && (sig[0] == 0 || sig[want / 2] == 0))
			zeros++;
		if (i < 20) {	/* a flipped bit must not verify */
			sig[i % siglen] ^= 0x01;
			if (verify(k, msg, i % sizeof(msg), sig, siglen))
				tamper_ok = 0;
		}
		free(sig);
		sig = NULL;
	}
	is_int(badlen, 0, "every signature has the fixed length");
	is_int(badver, 0, "every signature verifies");
	ok(tamper_ok, "%s: tampered signatures fail",
	    acme_keytype_name(type));
	if (want < 100) {
		tap_diag("%s: %zu of %zu signatures had r or s with a "
		    "leading zero byte", acme_keytype_name(type), zeros, n);
		ok(n < 2000 || zeros > 0, "short r/s values were padded");
	}
	acme_key_free(k);
}

/*
 * Splits a flattened JWS: exactly protected/payload/signature, checks the
 * signature with k, and returns the decoded header (new ref) and payload
 * text (caller frees).  Returns 0 or -1.
 */
static int
jws_open(const struct acme_key *k, const json_t *o, json_t **hdr,
    char **payload)
{
	const char	*p, *pl, *s;
	char		*input = NULL;
	unsigned char	*ph = NULL, *ppl = NULL, *sig = NULL;
	size_t		 phl, ppll, sigl;
	int		 rv = -1;

	*hdr = NULL;
	*payload = NULL;
	if (json_object_size(o) != 3 ||
	    (p = json_string_value(json_object_get(o, "protected"))) == NULL ||
	    (pl = json_string_value(json_object_get(o, "payload"))) == NULL ||
	    (s = json_string_value(json_object_get(o, "signature"))) == NULL)
		return -1;
	if (acme_b64url_decode(p, strlen(p), &ph, &phl) != ACME_OK ||
	    acme_b64url_decode(pl, strlen(pl), &ppl, &ppll) != ACME_OK ||
	    acme_b64url_decode(s, strlen(s), &sig, &sigl) != ACME_OK)
		goto out;
	if ((input = malloc(strlen(p) + strlen(pl) + 2)) == NULL)
		goto out;
	strcpy(input, p);
	strcat(input, ".");
	strcat(input, pl);
	if (!verify(k, (unsigned char *)input, strlen(input), sig, sigl))
		goto out;
	if ((*hdr = json_loadb((char *)ph, phl, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		goto out;
	ppl[ppll] = '\0';
	*payload = (char *)ppl;
	ppl = NULL;
	rv = 0;
out:
	free(input);
	free(ph);
	free(ppl);
	free(sig);
	return rv;
}

/* Checks jws_sign's output with key k, kid or jwk. */
static void
check_sign(const struct acme_key *k, const char *kid, const char *payload)
{
	char		*out = NULL, *pl = NULL, *jwk = NULL, *hjwk = NULL;
	json_t		*o = NULL, *hdr = NULL;
	const char	*what = kid != NULL ? "kid" : "jwk";

	ok(jws_sign(k, kid, NONCE, URL, payload, &out) == ACME_OK,
	    "%s %s: jws_sign", key_alg(k), what);
	o = out != NULL ? json_loads(out, JSON_REJECT_DUPLICATES, NULL) : NULL;
	ok(o != NULL && jws_open(k, o, &hdr, &pl) == 0,
	    "%s %s: three members, signature verifies", key_alg(k), what);
	is_str(json_string_value(json_object_get(hdr, "alg")), key_alg(k),
	    "header alg");
	is_str(json_string_value(json_object_get(hdr, "nonce")), NONCE,
	    "header nonce");
	is_str(json_string_value(json_object_get(hdr, "url")), URL,
	    "header url");
	if (kid != NULL) {
		is_str(json_string_value(json_object_get(hdr, "kid")), kid,
		    "header kid");
		ok(json_object_get(hdr, "jwk") == NULL, "no jwk with kid");
		is_int(json_object_size(hdr), 4, "four header members");
	} else {
		acme_key_jwk(k, &jwk);
		hjwk = json_dumps(json_object_get(hdr, "jwk"),
		    JSON_COMPACT | JSON_SORT_KEYS);
		is_str(hjwk, jwk, "header jwk is the account JWK");
		ok(json_object_get(hdr, "kid") == NULL, "no kid with jwk");
	}
	is_str(pl, payload == NULL ? "" : payload,
	    payload == NULL ? "POST-as-GET payload is empty" : "payload");
	free(hjwk);
	free(jwk);
	free(pl);
	free(out);
	json_decref(hdr);
	json_decref(o);
}

int
main(void)
{
	struct acme_key	*ec = NULL, *rsa = NULL, *pub = NULL, *nk = NULL;
	char		*jwk = NULL, *out = NULL, *pl = NULL;
	unsigned char	*sig = NULL;
	size_t		 siglen;
	json_t		*o = NULL, *hdr = NULL, *payload;

	sign_many(ACME_KEY_EC256, 10000, 64);
	sign_many(ACME_KEY_EC384, 1000, 96);
	sign_many(ACME_KEY_RSA2048, 20, 256);

	if (acme_key_parse_pem(ec256_pem, strlen(ec256_pem), &ec) != ACME_OK ||
	    acme_key_new(ACME_KEY_RSA2048, &rsa) != ACME_OK ||
	    acme_key_jwk(ec, &jwk) != ACME_OK ||
	    acme_key_parse_jwk(jwk, strlen(jwk), &pub) != ACME_OK)
		tap_bail("test keys");
	is_str(key_alg(ec), "ES256", "alg ES256");
	is_str(key_alg(rsa), "RS256", "alg RS256");
	ok(key_sign(pub, (const unsigned char *)"x", 1, &sig, &siglen) ==
	    ACME_ERR_ARG && sig == NULL, "-bad- no signing with a public key");

	/* Requests, RFC 8555 6.2. */
	check_sign(ec, "https://ca.example/acme/acct/1", "{\"a\":1}");
	check_sign(ec, NULL, "{\"termsOfServiceAgreed\":true}");
	check_sign(ec, "https://ca.example/acme/acct/1", NULL);
	check_sign(rsa, "https://ca.example/acme/acct/2", "{}");
	check_sign(rsa, NULL, NULL);

	ok(jws_sign(ec, NULL, "bad nonce", URL, NULL, &out) == ACME_ERR_ARG,
	    "-bad- nonce with a space");
	ok(jws_sign(ec, NULL, "abc=", URL, NULL, &out) == ACME_ERR_ARG,
	    "-bad- padded nonce");
	ok(jws_sign(ec, NULL, NULL, URL, NULL, &out) == ACME_ERR_ARG,
	    "-bad- no nonce");
	ok(jws_sign(ec, NULL, NONCE, "", NULL, &out) == ACME_ERR_ARG,
	    "-bad- empty url");
	ok(jws_sign(ec, NULL, NONCE, "https://a/\r\nX: y", NULL, &out) ==
	    ACME_ERR_ARG, "-bad- url with CRLF");
	ok(jws_sign(ec, "", NONCE, URL, NULL, &out) == ACME_ERR_ARG,
	    "-bad- empty kid");
	ok(jws_sign(pub, NULL, NONCE, URL, NULL, &out) == ACME_ERR_ARG &&
	    out == NULL, "-bad- public-only key");

	/* Key change inner JWS, 7.3.5: new key, jwk, url, no nonce. */
	if (acme_key_new(ACME_KEY_EC384, &nk) != ACME_OK)
		tap_bail("new key");
	payload = json_pack("{s:s, s:o}", "account",
	    "https://ca.example/acme/acct/1", "oldKey", key_jwk_json(ec));
	ok(jws_inner(nk, "https://ca.example/acme/key-change", payload, &o) ==
	    ACME_OK && jws_open(nk, o, &hdr, &pl) == 0,
	    "inner JWS verifies with the new key");
	is_str(json_string_value(json_object_get(hdr, "alg")), "ES384",
	    "inner alg is the new key's");
	is_str(json_string_value(json_object_get(hdr, "url")),
	    "https://ca.example/acme/key-change", "inner url");
	ok(json_object_get(hdr, "nonce") == NULL &&
	    json_object_get(hdr, "kid") == NULL &&
	    json_object_size(hdr) == 3, "inner has no nonce and no kid");
	json_decref(hdr);
	hdr = NULL;
	if (pl != NULL && (hdr = json_loads(pl, 0, NULL)) != NULL)
		ok(json_equal(hdr, payload), "inner payload is the object");
	else
		ok(0, "inner payload is the object");
	ok(json_object_size(payload) == 2, "payload still ours (borrowed)");
	json_decref(hdr);
	json_decref(o);
	json_decref(payload);
	free(pl);
	hdr = o = NULL;
	pl = NULL;

	/* EAB, 7.3.4: known answer. */
	ok(jws_eab("kid-1", eab_key, ec, "https://ca.example/acme/new-account",
	    &o) == ACME_OK, "jws_eab");
	is_str(json_string_value(json_object_get(o, "protected")), eab_prot,
	    "EAB protected header");
	is_str(json_string_value(json_object_get(o, "payload")), eab_payload,
	    "EAB payload is the account JWK");
	is_str(json_string_value(json_object_get(o, "signature")), eab_sig,
	    "EAB HS256 MAC (openssl mac)");
	is_int(json_object_size(o), 3, "EAB has three members");
	json_decref(o);
	o = NULL;
	ok(jws_eab("kid-1", "", ec, URL, &o) == ACME_ERR_ARG && o == NULL,
	    "-bad- empty MAC key");
	ok(jws_eab("kid-1", "AAEC+w==", ec, URL, &o) == ACME_ERR_ARG,
	    "-bad- MAC key in standard base64");
	ok(jws_eab("kid-1", "A", ec, URL, &o) == ACME_ERR_ARG,
	    "-bad- MAC key of bad length");
	ok(jws_eab(NULL, eab_key, ec, URL, &o) == ACME_ERR_ARG,
	    "-bad- no EAB kid");

	free(jwk);
	acme_key_free(nk);
	acme_key_free(pub);
	acme_key_free(rsa);
	acme_key_free(ec);
	return tap_done();
}
