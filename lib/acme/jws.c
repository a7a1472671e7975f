/*
 * JSON Web Signatures in the flattened JSON serialization (RFC 7515
 * section 7.2.2) as ACME uses them (RFC 8555 section 6.2): the signed
 * requests, the inner JWS of a key change (7.3.5) and the External
 * Account Binding (7.3.4).  All JSON is built with Jansson.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "extern.h"

#define HS256_LEN	32

/*
 * Returns 1 when s is a non-empty run of visible ASCII (what URLs, kids
 * and nonces are), else 0.  Keeps control characters out of headers.
 */
static int
jws_str_ok(const char *s)
{

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/*
 * HMAC-SHA256 of len bytes of msg under key (RFC 7518 3.2, "HS256").
 * Returns ACME_OK with mac filled, or ACME_ERR_CRYPTO.
 */
static enum acme_err
jws_hmac(const unsigned char *key, size_t keylen, const char *msg,
    size_t len, unsigned char mac[HS256_LEN])
{
	EVP_MAC		*m = NULL;
	EVP_MAC_CTX	*ctx = NULL;
	char		 digest[] = "SHA256";
	OSSL_PARAM	 params[2];
	size_t		 outlen = 0;
	enum acme_err	 rc = ACME_ERR_CRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();

	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(m)) == NULL)
		goto out;
	if (EVP_MAC_init(ctx, key, keylen, params) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)msg, len) != 1 ||
	    EVP_MAC_final(ctx, mac, &outlen, HS256_LEN) != 1 ||
	    outlen != HS256_LEN)
		goto out;
	rc = ACME_OK;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	ERR_clear_error();
	return rc;
}

/*
 * Builds the flattened JWS {"protected","payload","signature"} over the
 * header prot and the payload text (may be "").  Signs with k when k is
 * not NULL, else with HS256 under hkey.
 * Returns ACME_OK with *out a new object (caller json_decref()s).
 */
static enum acme_err
jws_make(const json_t *prot, const char *payload, const struct acme_key *k,
    const unsigned char *hkey, size_t hkeylen, json_t **out)
{
	char		*ptxt = NULL, *p64 = NULL, *pl64 = NULL;
	char		*input = NULL, *s64 = NULL;
	unsigned char	*sig = NULL, mac[HS256_LEN];
	size_t		 siglen, plen, pllen;
	json_t		*o = NULL;
	enum acme_err	 rc = ACME_ERR_NOMEM;

	/* RFC 7515 5.1: BASE64URL(header) "." BASE64URL(payload). */
	if ((ptxt = json_dumps(prot, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	if ((rc = acme_b64url_encode((const unsigned char *)ptxt,
	    strlen(ptxt), &p64)) != ACME_OK ||
	    (rc = acme_b64url_encode((const unsigned char *)payload,
	    strlen(payload), &pl64)) != ACME_OK)
		goto out;
	plen = strlen(p64);
	pllen = strlen(pl64);
	rc = ACME_ERR_NOMEM;
	if ((input = malloc(plen + 1 + pllen + 1)) == NULL)
		goto out;
	memcpy(input, p64, plen);
	input[plen] = '.';
	memcpy(input + plen + 1, pl64, pllen + 1);

	if (k != NULL) {
		if ((rc = key_sign(k, (const unsigned char *)input,
		    plen + 1 + pllen, &sig, &siglen)) != ACME_OK)
			goto out;
		rc = acme_b64url_encode(sig, siglen, &s64);
	} else {
		if ((rc = jws_hmac(hkey, hkeylen, input, plen + 1 + pllen,
		    mac)) != ACME_OK)
			goto out;
		rc = acme_b64url_encode(mac, sizeof(mac), &s64);
	}
	if (rc != ACME_OK)
		goto out;

	rc = ACME_ERR_NOMEM;
	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "protected", json_string(p64)) == -1 ||
	    json_object_set_new(o, "payload", json_string(pl64)) == -1 ||
	    json_object_set_new(o, "signature", json_string(s64)) == -1)
		goto out;
	*out = o;
	o = NULL;
	rc = ACME_OK;
out:
	json_decref(o);
	OPENSSL_cleanse(mac, sizeof(mac));
	free(s64);
	free(sig);
	free(input);
	free(pl64);
	free(p64);
	free(ptxt);
	return rc;
}

/*
 * RFC 8555 6.2: a request signed by key with the protected header
 * {"alg", "nonce", "url"} plus "kid" (an account URL), or "jwk" when
 * kid is NULL (newAccount, revocation by certificate key, 6.2).
 * payload NULL is POST-as-GET (6.3): the payload is the empty string.
 * Returns ACME_OK with *out a compact JSON text (caller free()s),
 * ACME_ERR_ARG for a missing or non-ASCII nonce/url/kid or public key.
 */
enum acme_err
jws_sign(const struct acme_key *key, const char *kid, const char *nonce,
    const char *url, const char *payload, char **out)
{
	json_t		*prot = NULL, *o = NULL;
	char		*s;
	enum acme_err	 rc = ACME_ERR_NOMEM;

	if (key == NULL || out == NULL || !jws_str_ok(url) ||
	    (kid != NULL && !jws_str_ok(kid)))
		return ACME_ERR_ARG;
	/* 6.5.1: a nonce is base64url; never send one that is not. */
	if (!acme_b64url_valid(nonce, NONCE_MAX))
		return ACME_ERR_ARG;

	if ((prot = json_pack("{s:s, s:s, s:s}", "alg", key_alg(key),
	    "nonce", nonce, "url", url)) == NULL)
		goto out;
	/* 6.2: "jwk" and "kid" are mutually exclusive. */
	if (kid != NULL) {
		if (json_object_set_new(prot, "kid", json_string(kid)) == -1)
			goto out;
	} else {
		if (json_object_set_new(prot, "jwk", key_jwk_json(key)) == -1)
			goto out;
	}
	if ((rc = jws_make(prot, payload == NULL ? "" : payload, key, NULL,
	    0, &o)) != ACME_OK)
		goto out;
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL) {
		rc = ACME_ERR_NOMEM;
		goto out;
	}
	*out = s;
	rc = ACME_OK;
out:
	json_decref(o);
	json_decref(prot);
	return rc;
}

/*
 * RFC 8555 7.3.5: the inner JWS of a key change, signed by the new key,
 * with protected header {"alg", "jwk", "url"} and no nonce.  payload is
 * borrowed and serialized compactly.
 * Returns ACME_OK with *out a new object (caller json_decref()s).
 */
enum acme_err
jws_inner(const struct acme_key *signer, const char *url, json_t *payload,
    json_t **out)
{
	json_t		*prot = NULL;
	char		*ptxt = NULL;
	enum acme_err	 rc = ACME_ERR_NOMEM;

	if (signer == NULL || payload == NULL || out == NULL ||
	    !jws_str_ok(url))
		return ACME_ERR_ARG;
	if ((prot = json_pack("{s:s, s:o, s:s}", "alg", key_alg(signer),
	    "jwk", key_jwk_json(signer), "url", url)) == NULL)
		goto out;
	if ((ptxt = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL)
		goto out;
	rc = jws_make(prot, ptxt, signer, NULL, 0, out);
out:
	free(ptxt);
	json_decref(prot);
	return rc;
}

/*
 * RFC 8555 7.3.4: the externalAccountBinding JWS.  Protected header
 * {"alg": "HS256", "kid": eab_kid, "url": url (the newAccount URL)},
 * payload the account's public JWK, MAC key the base64url-decoded
 * hmac_b64url.
 * Returns ACME_OK with *out a new object (caller json_decref()s),
 * ACME_ERR_ARG when the MAC key is not strict, non-empty base64url.
 */
enum acme_err
jws_eab(const char *eab_kid, const char *hmac_b64url,
    const struct acme_key *acct, const char *url, json_t **out)
{
	json_t		*prot = NULL;
	char		*jwk = NULL;
	unsigned char	*hkey = NULL;
	size_t		 hkeylen = 0;
	enum acme_err	 rc;

	if (acct == NULL || out == NULL || hmac_b64url == NULL ||
	    !jws_str_ok(eab_kid) || !jws_str_ok(url))
		return ACME_ERR_ARG;
	if ((rc = acme_b64url_decode(hmac_b64url, strlen(hmac_b64url),
	    &hkey, &hkeylen)) != ACME_OK)
		goto out;
	if (hkeylen == 0) {
		rc = ACME_ERR_ARG;
		goto out;
	}
	if ((rc = acme_key_jwk(acct, &jwk)) != ACME_OK)
		goto out;
	rc = ACME_ERR_NOMEM;
	if ((prot = json_pack("{s:s, s:s, s:s}", "alg", "HS256",
	    "kid", eab_kid, "url", url)) == NULL)
		goto out;
	rc = jws_make(prot, jwk, NULL, hkey, hkeylen, out);
out:
	if (hkey != NULL)
		OPENSSL_cleanse(hkey, hkeylen);
	free(hkey);
	free(jwk);
	json_decref(prot);
	return rc;
}
