/*
 * Account and certificate keys: generation, PEM and JWK (RFC 7517,
 * RFC 7518 section 6) in and out, RFC 7638 thumbprints and JWS
 * signatures (RFC 7518 section 3).  OpenSSL 3 EVP_* and OSSL_PARAM only.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "extern.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define RSA_BITS_MIN	2048
#define RSA_BITS_MAX	8192	/* bound on work for keys from outside */
#define EC_COORD_MAX	48	/* P-384 */

/* What each key type means to OpenSSL and to JOSE. */
static const struct keyinfo {
	const char	*alg;	/* JWS "alg", RFC 7518 3.1 */
	const char	*md;	/* digest of that alg */
	const char	*crv;	/* JWK "crv", RFC 7518 6.2.1.1; NULL: RSA */
	const char	*group;	/* OpenSSL group name */
	size_t		 clen;	/* EC coordinate (and r, s) length */
	size_t		 bits;	/* RSA modulus bits */
} keyinfo[] = {
	[ACME_KEY_EC256] = { "ES256", "SHA256", "P-256", "prime256v1", 32, 0 },
	[ACME_KEY_EC384] = { "ES384", "SHA384", "P-384", "secp384r1", 48, 0 },
	[ACME_KEY_RSA2048] = { "RS256", "SHA256", NULL, NULL, 0, 2048 },
	[ACME_KEY_RSA3072] = { "RS256", "SHA256", NULL, NULL, 0, 3072 },
	[ACME_KEY_RSA4096] = { "RS256", "SHA256", NULL, NULL, 0, 4096 },
};
_Static_assert(NELEM(keyinfo) == ACME_KEY__MAX, "keyinfo table");

/*
 * Works out the acme_keytype of pkey: EC on P-256 or P-384 (named
 * curves only), or RSA of RSA_BITS_MIN..RSA_BITS_MAX bits, mapped down to
 * the largest listed size not above it.
 * Returns ACME_OK and sets *type, or ACME_ERR_CRYPTO for anything else.
 */
static enum acme_err
key_classify(EVP_PKEY *pkey, enum acme_keytype *type)
{
	char	 group[64];
	size_t	 i;
	int	 bits;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		    NULL) != 1)
			return ACME_ERR_CRYPTO;
		for (i = 0; i < NELEM(keyinfo); i++) {
			if (keyinfo[i].crv == NULL ||
			    (strcmp(group, keyinfo[i].group) != 0 &&
			    strcmp(group, keyinfo[i].crv) != 0))
				continue;
			*type = (enum acme_keytype)i;
			return ACME_OK;
		}
		return ACME_ERR_CRYPTO;
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < RSA_BITS_MIN || bits > RSA_BITS_MAX)
			return ACME_ERR_CRYPTO;
		if (bits >= 4096)
			*type = ACME_KEY_RSA4096;
		else if (bits >= 3072)
			*type = ACME_KEY_RSA3072;
		else
			*type = ACME_KEY_RSA2048;
		return ACME_OK;
	default:
		return ACME_ERR_CRYPTO;
	}
}

/*
 * Wraps pkey (ownership passes in, also on failure) into a new key.
 * Returns ACME_OK with *out the caller's, or an error.
 */
static enum acme_err
key_wrap(EVP_PKEY *pkey, int has_private, struct acme_key **out)
{
	struct acme_key		*k;
	enum acme_keytype	 type;
	enum acme_err		 rc;

	if ((rc = key_classify(pkey, &type)) != ACME_OK) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(pkey);
		return ACME_ERR_NOMEM;
	}
	k->pkey = pkey;
	k->type = type;
	k->has_private = has_private;
	*out = k;
	return ACME_OK;
}

/* Returns ACME_OK with a fresh key in *out (caller's), or an error. */
enum acme_err
acme_key_new(enum acme_keytype type, struct acme_key **out)
{
	EVP_PKEY	*pkey;

	if (out == NULL || (unsigned)type >= ACME_KEY__MAX)
		return ACME_ERR_ARG;
	if (keyinfo[type].crv != NULL)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
		    keyinfo[type].group);
	else	/* OpenSSL's default public exponent is 65537. */
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    keyinfo[type].bits);
	if (pkey == NULL) {
		ERR_clear_error();
		return ACME_ERR_CRYPTO;
	}
	return key_wrap(pkey, 1, out);
}

/* Refuses to prompt for a passphrase: encrypted PEM is not ours. */
static int
key_nopass(char *buf, int size, int rwflag, void *u)
{

	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * The fast way for the keys this library writes itself (acme_key_pem):
 * one unencrypted "PRIVATE KEY" (PKCS#8) block first in the text, of an
 * EC or RSA key, decoded by the one decoder for that key type and
 * structure.  OpenSSL 3.0 gathers and tries every decoder it has
 * otherwise, about four times the work.  Returns the key or NULL (the
 * caller then takes the general way).
 */
static EVP_PKEY *
key_pem_pkcs8(const char *pem, size_t len)
{
	BIO			*bio = NULL;
	PKCS8_PRIV_KEY_INFO	*p8 = NULL;
	OSSL_DECODER_CTX	*dctx = NULL;
	EVP_PKEY		*pkey = NULL;
	const ASN1_OBJECT	*alg = NULL;
	const unsigned char	*p;
	unsigned char		*der = NULL;
	char			*name = NULL, *hdr = NULL;
	const char		*type;
	size_t			 left;
	long			 dlen = 0;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    PEM_read_bio(bio, &name, &hdr, &der, &dlen) != 1 ||
	    strcmp(name, "PRIVATE KEY") != 0 || hdr[0] != '\0' || dlen <= 0)
		goto out;
	p = der;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, dlen)) == NULL ||
	    p != der + dlen ||
	    PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8) != 1)
		goto out;
	switch (OBJ_obj2nid(alg)) {
	case NID_X9_62_id_ecPublicKey:
		type = "EC";
		break;
	case NID_rsaEncryption:
		type = "RSA";
		break;
	default:
		goto out;
	}
	if ((dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER",
	    "PrivateKeyInfo", type, EVP_PKEY_KEYPAIR, NULL, NULL)) == NULL)
		goto out;
	p = der;
	left = (size_t)dlen;
	if (OSSL_DECODER_from_data(dctx, &p, &left) != 1 || left != 0) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	OSSL_DECODER_CTX_free(dctx);
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(der);
	BIO_free(bio);
	return pkey;
}

/*
 * Parses len bytes of PEM ("PRIVATE KEY", or "EC PRIVATE KEY" / "RSA
 * PRIVATE KEY"); encrypted keys are refused.
 * Returns ACME_OK with *out the caller's, ACME_ERR_ARG or ACME_ERR_CRYPTO.
 */
enum acme_err
acme_key_parse_pem(const char *pem, size_t len, struct acme_key **out)
{
	BIO		*bio = NULL;
	EVP_PKEY	*pkey = NULL;
	enum acme_err	 rc = ACME_ERR_CRYPTO;

	if (pem == NULL || out == NULL || len == 0 || len > INT_MAX)
		return ACME_ERR_ARG;
	if ((pkey = key_pem_pkcs8(pem, len)) != NULL)
		rc = key_wrap(pkey, 1, out);
	else if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL &&
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, key_nopass,
	    NULL)) != NULL)
		rc = key_wrap(pkey, 1, out);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/*
 * Decodes the base64url string member name of jwk into *buf, *len
 * (caller frees; NUL-terminated, so an empty value reads as a 0 byte).
 * Returns 0, or -1 when absent, not a string or not strict base64url.
 */
static int
jwk_bytes(const json_t *jwk, const char *name, unsigned char **buf,
    size_t *len)
{
	const json_t	*v;

	if ((v = json_object_get(jwk, name)) == NULL || !json_is_string(v))
		return -1;
	return acme_b64url_decode(json_string_value(v), json_string_length(v),
	    buf, len) == ACME_OK ? 0 : -1;
}

/*
 * Builds a public-only EVP_PKEY of algorithm name from params and, with
 * check, runs OpenSSL's public key check (EC: point on the curve).
 * Returns the key (caller frees) or NULL.
 */
static EVP_PKEY *
jwk_fromdata(const char *name, OSSL_PARAM_BLD *bld, int check)
{
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL, *cctx = NULL;
	EVP_PKEY	*pkey = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	if (check &&
	    ((cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check(cctx) != 1)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

/*
 * EC public JWK (RFC 7518 6.2.1): "crv", and "x" and "y" each exactly
 * the coordinate length (6.2.1.2: leading zeros are kept).
 * Returns the key (caller frees) or NULL.
 */
static EVP_PKEY *
jwk_ec(const json_t *jwk)
{
	const char	*crv;
	unsigned char	*x = NULL, *y = NULL;
	unsigned char	 pub[1 + 2 * EC_COORD_MAX];
	size_t		 xlen, ylen, i;
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pkey = NULL;
	const struct keyinfo *ki = NULL;

	if ((crv = json_string_value(json_object_get(jwk, "crv"))) == NULL)
		goto out;
	for (i = 0; i < NELEM(keyinfo); i++)
		if (keyinfo[i].crv != NULL && strcmp(keyinfo[i].crv, crv) == 0)
			ki = &keyinfo[i];
	if (ki == NULL)
		goto out;
	if (jwk_bytes(jwk, "x", &x, &xlen) == -1 ||
	    jwk_bytes(jwk, "y", &y, &ylen) == -1 ||
	    xlen != ki->clen || ylen != ki->clen)
		goto out;
	/* SEC 1 2.3.3 uncompressed point: 0x04 || x || y. */
	pub[0] = 0x04;
	memcpy(pub + 1, x, ki->clen);
	memcpy(pub + 1 + ki->clen, y, ki->clen);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    ki->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pub, 1 + 2 * ki->clen) != 1)
		goto out;
	pkey = jwk_fromdata("EC", bld, 1);
out:
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return pkey;
}

/*
 * RSA public JWK (RFC 7518 6.3.1): "n" and "e" as unsigned big-endian
 * integers in the minimum number of octets (no leading zero byte).
 * Returns the key (caller frees) or NULL.
 */
static EVP_PKEY *
jwk_rsa(const json_t *jwk)
{
	unsigned char	*n = NULL, *e = NULL;
	size_t		 nlen, elen;
	BIGNUM		*bn = NULL, *be = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pkey = NULL;

	if (jwk_bytes(jwk, "n", &n, &nlen) == -1 ||
	    jwk_bytes(jwk, "e", &e, &elen) == -1)
		goto out;
	if (n[0] == 0 || e[0] == 0)	/* also refuses empty values */
		goto out;
	if (nlen > RSA_BITS_MAX / 8 || nlen < RSA_BITS_MIN / 8 || elen > 32)
		goto out;
	/* Deterministic checks only: n and e odd, e >= 65537.  OpenSSL's
	 * RSA public check runs a randomised primality test on n, which
	 * would make the same JWK parse on one call and fail on the next. */
	if ((n[nlen - 1] & 1) == 0 || (e[elen - 1] & 1) == 0 ||
	    (elen < 3 || (elen == 3 && (e[0] << 16 | e[1] << 8 | e[2]) < 65537)))
		goto out;
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1)
		goto out;
	pkey = jwk_fromdata("RSA", bld, 0);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return pkey;
}

/*
 * Parses a public JWK.  Duplicate members are refused; private members
 * ("d", "p", ...) and others ("kid", "use") are ignored.
 * Returns ACME_OK with a public-only *out (caller's), ACME_ERR_JSON when
 * the text is not one JSON object without duplicates, ACME_ERR_CRYPTO
 * when it is not a supported, well-formed key, or ACME_ERR_ARG/NOMEM.
 */
enum acme_err
acme_key_parse_jwk(const char *json, size_t len, struct acme_key **out)
{
	json_t		*jwk = NULL;
	json_error_t	 jerr;
	const char	*kty;
	EVP_PKEY	*pkey = NULL;
	enum acme_err	 rc = ACME_ERR_CRYPTO;

	if (json == NULL || out == NULL)
		return ACME_ERR_ARG;
	jwk = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (jwk == NULL || !json_is_object(jwk)) {
		rc = ACME_ERR_JSON;
		goto out;
	}
	if ((kty = json_string_value(json_object_get(jwk, "kty"))) == NULL)
		goto out;
	if (strcmp(kty, "EC") == 0)
		pkey = jwk_ec(jwk);
	else if (strcmp(kty, "RSA") == 0)
		pkey = jwk_rsa(jwk);
	if (pkey == NULL)
		goto out;
	rc = key_wrap(pkey, 0, out);
out:
	json_decref(jwk);
	ERR_clear_error();
	return rc;
}

/*
 * Writes the private key as unencrypted PKCS#8 PEM.
 * Returns ACME_OK with *pem (NUL-terminated, caller free()s) and *len
 * (when len is not NULL); ACME_ERR_ARG for a public-only key.
 */
enum acme_err
acme_key_pem(const struct acme_key *k, char **pem, size_t *len)
{
	BIO		*bio = NULL;
	char		*data, *s;
	long		 n;
	enum acme_err	 rc = ACME_ERR_CRYPTO;

	if (k == NULL || pem == NULL || !k->has_private)
		return ACME_ERR_ARG;
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL,
	    NULL) != 1 || (n = BIO_get_mem_data(bio, &data)) <= 0)
		goto out;
	if ((s = malloc((size_t)n + 1)) == NULL) {
		rc = ACME_ERR_NOMEM;
		goto out;
	}
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*pem = s;
	if (len != NULL)
		*len = (size_t)n;
	rc = ACME_OK;
out:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/*
 * Sets *out to the base64url of the big-endian bytes of BIGNUM param
 * of k, left-padded to pad bytes (pad 0: minimal length, RFC 7518 6.3.1).
 * Returns 0, or -1 (nothing to free).
 */
static int
jwk_param(const struct acme_key *k, const char *param, size_t pad,
    char **out)
{
	BIGNUM		*bn = NULL;
	unsigned char	*buf = NULL;
	size_t		 len;
	int		 rv = -1;

	if (EVP_PKEY_get_bn_param(k->pkey, param, &bn) != 1)
		goto out;
	len = pad != 0 ? pad : (size_t)BN_num_bytes(bn);
	if (len == 0 || (buf = malloc(len)) == NULL ||
	    BN_bn2binpad(bn, buf, (int)len) != (int)len)
		goto out;
	rv = acme_b64url_encode(buf, len, out) == ACME_OK ? 0 : -1;
out:
	free(buf);
	BN_free(bn);
	return rv;
}

/*
 * Returns the public JWK of k with only the RFC 7638 section 3.2
 * required members (a new reference the caller json_decref()s), or NULL.
 */
json_t *
key_jwk_json(const struct acme_key *k)
{
	const struct keyinfo	*ki;
	char			*a = NULL, *b = NULL;
	json_t			*o = NULL;

	if (k == NULL)
		return NULL;
	ki = &keyinfo[k->type];
	if (ki->crv != NULL) {
		if (jwk_param(k, OSSL_PKEY_PARAM_EC_PUB_X, ki->clen, &a) ||
		    jwk_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, ki->clen, &b))
			goto out;
		o = json_pack("{s:s, s:s, s:s, s:s}", "crv", ki->crv,
		    "kty", "EC", "x", a, "y", b);
	} else {
		if (jwk_param(k, OSSL_PKEY_PARAM_RSA_E, 0, &a) ||
		    jwk_param(k, OSSL_PKEY_PARAM_RSA_N, 0, &b))
			goto out;
		o = json_pack("{s:s, s:s, s:s}", "e", a, "kty", "RSA",
		    "n", b);
	}
out:
	free(a);
	free(b);
	ERR_clear_error();
	return o;
}

/*
 * RFC 7638 3.3 canonical JWK text: required members only, sorted, no
 * whitespace.  Returns ACME_OK with *json the caller's (free()).
 */
enum acme_err
acme_key_jwk(const struct acme_key *k, char **json)
{
	json_t	*o;
	char	*s;

	if (k == NULL || json == NULL)
		return ACME_ERR_ARG;
	if ((o = key_jwk_json(k)) == NULL)
		return ACME_ERR_CRYPTO;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		return ACME_ERR_NOMEM;
	*json = s;
	return ACME_OK;
}

/*
 * RFC 7638 3: base64url(SHA-256(canonical JWK)).
 * Returns ACME_OK with *out the caller's (free()).
 */
enum acme_err
acme_key_thumbprint(const struct acme_key *k, char **out)
{
	char		*jwk = NULL;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	enum acme_err	 rc;

	if (out == NULL)
		return ACME_ERR_ARG;
	if ((rc = acme_key_jwk(k, &jwk)) != ACME_OK)
		return rc;
	if (EVP_Digest(jwk, strlen(jwk), md, &mdlen, EVP_sha256(),
	    NULL) != 1)
		rc = ACME_ERR_CRYPTO;
	else
		rc = acme_b64url_encode(md, mdlen, out);
	free(jwk);
	return rc;
}

/* Returns k's type; ACME_KEY__MAX for NULL. */
enum acme_keytype
acme_key_type(const struct acme_key *k)
{

	return k == NULL ? ACME_KEY__MAX : k->type;
}

/* Returns 1 when a and b hold the same public key, else 0. */
int
acme_key_same(const struct acme_key *a, const struct acme_key *b)
{

	if (a == NULL || b == NULL)
		return 0;
	return EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

/* Frees k; NULL-safe. */
void
acme_key_free(struct acme_key *k)
{

	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* Returns the JWS "alg" for k (RFC 7518 3.1): static, or NULL. */
const char *
key_alg(const struct acme_key *k)
{

	return k == NULL ? NULL : keyinfo[k->type].alg;
}

/*
 * Turns a DER ECDSA-Sig-Value (RFC 3279 2.2.3: SEQUENCE { r INTEGER,
 * s INTEGER }) into the JWS form r || s, each clen bytes big-endian
 * (RFC 7518 3.4), decoding with OpenSSL's generic ASN.1 types.
 * Returns 0 with clen * 2 bytes in raw, or -1.
 */
static int
key_ecdsa_raw(const unsigned char *der, size_t len, size_t clen,
    unsigned char *raw)
{
	const unsigned char	*p = der;
	ASN1_SEQUENCE_ANY	*seq = NULL;
	const ASN1_TYPE		*t;
	BIGNUM			*bn = NULL;
	int			 i, rv = -1;

	if (len > LONG_MAX ||
	    (seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len)) == NULL ||
	    p != der + len || sk_ASN1_TYPE_num(seq) != 2)
		goto out;
	for (i = 0; i < 2; i++) {
		if ((t = sk_ASN1_TYPE_value(seq, i)) == NULL ||
		    t->type != V_ASN1_INTEGER ||
		    (bn = ASN1_INTEGER_to_BN(t->value.integer, NULL)) == NULL ||
		    BN_is_negative(bn) ||
		    BN_bn2binpad(bn, raw + i * clen, (int)clen) != (int)clen)
			goto out;
		BN_free(bn);
		bn = NULL;
	}
	rv = 0;
out:
	BN_free(bn);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return rv;
}

/*
 * Signs len bytes of msg with k's alg: RS256 is RSASSA-PKCS1-v1_5 with
 * SHA-256, ES256/ES384 is ECDSA output as fixed-length r || s.
 * Returns ACME_OK with *sig (caller frees) and *siglen; ACME_ERR_ARG for
 * a public-only key.
 */
enum acme_err
key_sign(const struct acme_key *k, const unsigned char *msg, size_t len,
    unsigned char **sig, size_t *siglen)
{
	const struct keyinfo	*ki;
	EVP_MD_CTX		*mctx = NULL;
	unsigned char		*der = NULL, *raw = NULL;
	size_t			 derlen;
	enum acme_err		 rc = ACME_ERR_CRYPTO;

	if (k == NULL || sig == NULL || siglen == NULL ||
	    (msg == NULL && len > 0) || !k->has_private)
		return ACME_ERR_ARG;
	ki = &keyinfo[k->type];
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(mctx, NULL, ki->md, NULL, NULL, k->pkey,
	    NULL) != 1 ||
	    EVP_DigestSign(mctx, NULL, &derlen, msg, len) != 1)
		goto out;
	if ((der = malloc(derlen)) == NULL ||
	    (ki->crv != NULL && (raw = malloc(2 * ki->clen)) == NULL)) {
		rc = ACME_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(mctx, der, &derlen, msg, len) != 1)
		goto out;
	if (ki->crv != NULL) {
		if (key_ecdsa_raw(der, derlen, ki->clen, raw) == -1)
			goto out;
		free(der);
		der = raw;
		derlen = 2 * ki->clen;
		raw = NULL;
	}
	*sig = der;
	*siglen = derlen;
	der = NULL;
	rc = ACME_OK;
out:
	free(raw);
	free(der);
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return rc;
}
