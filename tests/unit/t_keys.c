/*
 * Keys: RFC 7638 thumbprint known answers, JWK and PEM round trips,
 * EC coordinates with leading zero bytes, and JWKs/PEMs that must be
 * refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "extern.h"
#include "tap.h"

/* RFC 7638 section 3.1 example (with its extra members). */
static const char rfc7638_jwk[] = "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuu"
    "PiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6t"
    "Soc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_R"
    "N5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHz"
    "u6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr"
    "3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\","
    "\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
static const char rfc7638_tp[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/*
 * A P-256 key made with "openssl ecparam -genkey"; its x starts with a
 * zero byte.  JWK and thumbprint computed with openssl pkey -pubout,
 * basenc --base64url and openssl dgst -sha256.
 */
static const char ec256_pem[] = "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgq5WXiFz56N+NNHuE\n"
    "h4/QWeNz/0DHzWi5UFB2YO5pMpihRANCAAQAsackbn17w767O9Gzh6GH0IRToFO9\n"
    "jVGUEH0F/FIv9I2B1C47vt0ZH2UpkvJLvbl1COFni59QZWLppKYhMLR8\n"
    "-----END PRIVATE KEY-----\n";
static const char ec256_jwk[] = "{\"crv\":\"P-256\",\"kty\":\"EC\","
    "\"x\":\"ALGnJG59e8O-uzvRs4ehh9CEU6BTvY1RlBB9BfxSL_Q\","
    "\"y\":\"jYHULju-3RkfZSmS8ku9uXUI4WeLn1BlYumkpiEwtHw\"}";
static const char ec256_tp[] = "pI7n-Gp1kvg6q_r5CC0ZK14LvNJ8CuaHrAxjRsAmnLo";

static const char ec384_pem[] = "-----BEGIN PRIVATE KEY-----\n"
    "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCuG+yUKfJEkIll+lgz\n"
    "9ewcuaepYmr8KjA/AIauXzMiENwKdO9DzxchNn9TvRGKcDehZANiAAR3YlYhIvRL\n"
    "3Oi9tAZ0Du9fw/HX04IUsg8J/iylLRqQWbKQb+r0XDz04uVqgMr3jA6xhm5qlXFV\n"
    "oE19ml7NyT58iQxYXlzGFSrdm9kMXwmOyJI4Ug1XdBjEFJM32CzhNUs=\n"
    "-----END PRIVATE KEY-----\n";
static const char ec384_jwk[] = "{\"crv\":\"P-384\",\"kty\":\"EC\","
    "\"x\":\"d2JWISL0S9zovbQGdA7vX8Px19OCFLIPCf4spS0akFmykG_q9Fw89OLlaoDK94wO\","
    "\"y\":\"sYZuapVxVaBNfZpezck-fIkMWF5cxhUq3ZvZDF8JjsiSOFINV3QYxBSTN9gs4TVL\"}";
static const char ec384_tp[] = "3bPeuJqKnXqWG3bxJo3__KHLXECfyJOHOU9lP908wUI";

/* Writes into buf the RFC 7638 key with a zero byte put before n. */
static const char *
rsa_zero_n(char *buf, size_t size)
{
	json_t		*o;
	const char	*n;
	unsigned char	*raw = NULL, *raw0 = NULL;
	char		*n0 = NULL, *s = NULL;
	size_t		 len = 0;

	buf[0] = '\0';
	o = json_loads(rfc7638_jwk, 0, NULL);
	n = json_string_value(json_object_get(o, "n"));
	if (n != NULL &&
	    acme_b64url_decode(n, strlen(n), &raw, &len) == ACME_OK &&
	    (raw0 = calloc(1, len + 1)) != NULL) {
		memcpy(raw0 + 1, raw, len);
		if (acme_b64url_encode(raw0, len + 1, &n0) == ACME_OK &&
		    json_object_set_new(o, "n", json_string(n0)) == 0 &&
		    (s = json_dumps(o, JSON_COMPACT)) != NULL)
			snprintf(buf, size, "%s", s);
	}
	free(s);
	free(n0);
	free(raw0);
	free(raw);
	json_decref(o);
	return buf;
}

/* Checks that jwk parses and gives back canon and thumbprint tp. */
static void
jwk_kat(const char *name, const char *jwk, const char *canon, const char *tp)
{
	struct acme_key	*k = NULL;
	char		*s = NULL, *t = NULL;

	ok(acme_key_parse_jwk(jwk, strlen(jwk), &k) == ACME_OK,
	    "%s: parse JWK", name);
	if (k == NULL)
		return;
	ok(!k->has_private, "%s: public only", name);
	ok(acme_key_jwk(k, &s) == ACME_OK, "%s: canonical JWK", name);
	is_str(s, canon, "canonical JWK text (RFC 7638 3.3)");
	ok(acme_key_thumbprint(k, &t) == ACME_OK, "%s: thumbprint", name);
	is_str(t, tp, "thumbprint known answer");
	free(s);
	free(t);
	acme_key_free(k);
}

/* Parsing jwk must fail with want. */
static void
jwk_bad(const char *jwk, enum acme_err want, const char *why)
{
	struct acme_key	*k = NULL;
	enum acme_err	 rc;

	rc = acme_key_parse_jwk(jwk, strlen(jwk), &k);
	ok(rc == want && k == NULL, "-bad- JWK refused: %s", why);
	if (rc != want)
		tap_diag("got %s", acme_strerror(rc));
	acme_key_free(k);
}

/* Writes pkey as PEM in the given style; returns a malloc'd text. */
static char *
pem_of(EVP_PKEY *pkey, int style)
{
	BIO	*bio;
	char	 pass[] = "secret!";
	char	*data, *s = NULL;
	long	 n;
	int	 r;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (style == 0)		/* traditional "EC/RSA PRIVATE KEY" */
		r = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL,
		    NULL, 0, NULL, NULL);
	else if (style == 1)	/* encrypted PKCS#8 */
		r = PEM_write_bio_PKCS8PrivateKey(bio, pkey,
		    EVP_aes_256_cbc(), NULL, 0, NULL, pass);
	else if (style == 2)	/* public key only */
		r = PEM_write_bio_PUBKEY(bio, pkey);
	else			/* plain PKCS#8 */
		r = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
		    NULL);
	if (r == 1 && (n = BIO_get_mem_data(bio, &data)) > 0 &&
	    (s = malloc(n + 1)) != NULL) {
		memcpy(s, data, n);
		s[n] = '\0';
	}
	BIO_free(bio);
	return s;
}

/* A fresh key of each type: JWK and PEM round trips keep the key. */
static void
roundtrip(enum acme_keytype type)
{
	struct acme_key	*k = NULL, *pub = NULL, *priv = NULL, *trad = NULL;
	char		*jwk = NULL, *jwk2 = NULL, *pem = NULL, *tpem = NULL;
	char		*tp = NULL, *tp2 = NULL;
	const char	*name = acme_keytype_name(type);
	size_t		 len = 0;

	ok(acme_key_new(type, &k) == ACME_OK, "%s: generate", name);
	if (k == NULL)
		return;
	is_int(acme_key_type(k), type, "type as asked");
	ok(acme_key_jwk(k, &jwk) == ACME_OK &&
	    acme_key_parse_jwk(jwk, strlen(jwk), &pub) == ACME_OK,
	    "%s: JWK parses back", name);
	ok(acme_key_same(k, pub), "%s: JWK key is the same key", name);
	is_int(acme_key_type(pub), type, "JWK key has the same type");
	ok(acme_key_jwk(pub, &jwk2) == ACME_OK && jwk2 != NULL &&
	    strcmp(jwk, jwk2) == 0, "%s: JWK text stable", name);
	ok(acme_key_thumbprint(k, &tp) == ACME_OK &&
	    acme_key_thumbprint(pub, &tp2) == ACME_OK && strlen(tp) == 43 &&
	    strcmp(tp, tp2) == 0, "%s: thumbprint stable, 43 chars", name);
	ok(acme_key_pem(pub, &pem, &len) == ACME_ERR_ARG && pem == NULL,
	    "%s: -bad- no PEM from a public-only key", name);

	ok(acme_key_pem(k, &pem, &len) == ACME_OK && len == strlen(pem) &&
	    strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0,
	    "%s: PKCS#8 PEM", name);
	ok(pem != NULL && acme_key_parse_pem(pem, len, &priv) == ACME_OK &&
	    acme_key_same(k, priv) && priv->has_private &&
	    acme_key_type(priv) == type, "%s: PEM parses back", name);
	tpem = pem_of(k->pkey, 0);
	ok(tpem != NULL && strstr(tpem, " PRIVATE KEY-----") != NULL &&
	    strstr(tpem, "BEGIN PRIVATE") == NULL &&
	    acme_key_parse_pem(tpem, strlen(tpem), &trad) == ACME_OK &&
	    acme_key_same(k, trad), "%s: traditional PEM parses", name);

	free(tpem);
	free(pem);
	free(tp);
	free(tp2);
	free(jwk);
	free(jwk2);
	acme_key_free(trad);
	acme_key_free(priv);
	acme_key_free(pub);
	acme_key_free(k);
}

/*
 * Generates keys until a coordinate starts with a zero byte, then checks
 * the JWK keeps the full length and the thumbprint survives a round trip.
 */
static void
leading_zero(enum acme_keytype type, size_t clen)
{
	struct acme_key	*k = NULL, *pub = NULL;
	char		*jwk = NULL, *jwk2 = NULL, *tp = NULL, *tp2 = NULL;
	unsigned char	*x = NULL, *y = NULL;
	size_t		 xlen = 0, ylen = 0, tries;
	json_t		*o = NULL;
	const char	*xs, *ys;
	int		 found = 0;

	for (tries = 1; tries <= 20000 && !found; tries++) {
		acme_key_free(k);
		k = NULL;
		json_decref(o);
		free(x);
		free(y);
		x = y = NULL;
		if (acme_key_new(type, &k) != ACME_OK ||
		    (o = key_jwk_json(k)) == NULL)
			break;
		xs = json_string_value(json_object_get(o, "x"));
		ys = json_string_value(json_object_get(o, "y"));
		if (acme_b64url_decode(xs, strlen(xs), &x, &xlen) != ACME_OK ||
		    acme_b64url_decode(ys, strlen(ys), &y, &ylen) != ACME_OK ||
		    xlen != clen || ylen != clen)
			break;
		found = x[0] == 0 || y[0] == 0;
	}
	ok(found, "%s: key with a leading-zero coordinate after %zu tries",
	    acme_keytype_name(type), tries - 1);
	ok(xlen == clen && ylen == clen, "coordinates are %zu bytes", clen);
	ok(acme_key_jwk(k, &jwk) == ACME_OK &&
	    acme_key_parse_jwk(jwk, strlen(jwk), &pub) == ACME_OK &&
	    acme_key_jwk(pub, &jwk2) == ACME_OK && strcmp(jwk, jwk2) == 0,
	    "JWK -> key -> JWK keeps the text");
	ok(acme_key_thumbprint(k, &tp) == ACME_OK &&
	    acme_key_thumbprint(pub, &tp2) == ACME_OK &&
	    strcmp(tp, tp2) == 0, "thumbprint stable");
	ok(acme_key_same(k, pub), "same key after the round trip");
	json_decref(o);
	free(x);
	free(y);
	free(jwk);
	free(jwk2);
	free(tp);
	free(tp2);
	acme_key_free(pub);
	acme_key_free(k);
}

/* PEM inputs that must be refused. */
static void
pem_bad(void)
{
	struct acme_key	*k = NULL, *good = NULL;
	EVP_PKEY	*p;
	char		*s;

	ok(acme_key_parse_pem("garbage", 7, &k) == ACME_ERR_CRYPTO &&
	    k == NULL, "-bad- PEM garbage");
	ok(acme_key_parse_pem(ec256_pem, 0, &k) == ACME_ERR_ARG,
	    "-bad- PEM empty");
	ok(acme_key_parse_pem(ec256_pem, 60, &k) == ACME_ERR_CRYPTO,
	    "-bad- PEM cut short");

	if (acme_key_parse_pem(ec256_pem, strlen(ec256_pem), &good) !=
	    ACME_OK)
		tap_bail("ec256_pem");
	s = pem_of(good->pkey, 1);
	ok(s != NULL && strstr(s, "ENCRYPTED") != NULL &&
	    acme_key_parse_pem(s, strlen(s), &k) == ACME_ERR_CRYPTO,
	    "-bad- encrypted PEM refused without prompting");
	free(s);
	s = pem_of(good->pkey, 2);
	ok(s != NULL && acme_key_parse_pem(s, strlen(s), &k) ==
	    ACME_ERR_CRYPTO, "-bad- public key PEM");
	free(s);
	acme_key_free(good);

	p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	s = p != NULL ? pem_of(p, 3) : NULL;
	ok(s != NULL && acme_key_parse_pem(s, strlen(s), &k) ==
	    ACME_ERR_CRYPTO, "-bad- Ed25519 key");
	free(s);
	EVP_PKEY_free(p);
	p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp521r1");
	s = p != NULL ? pem_of(p, 0) : NULL;
	ok(s != NULL && acme_key_parse_pem(s, strlen(s), &k) ==
	    ACME_ERR_CRYPTO, "-bad- P-521 key");
	free(s);
	EVP_PKEY_free(p);
	p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	s = p != NULL ? pem_of(p, 0) : NULL;
	ok(s != NULL && acme_key_parse_pem(s, strlen(s), &k) ==
	    ACME_ERR_CRYPTO, "-bad- RSA 1024 key");
	free(s);
	EVP_PKEY_free(p);

	/* Odd RSA sizes of at least 2048 bits map down to a listed type. */
	p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2560);
	s = p != NULL ? pem_of(p, 0) : NULL;
	ok(s != NULL && acme_key_parse_pem(s, strlen(s), &k) == ACME_OK &&
	    acme_key_type(k) == ACME_KEY_RSA2048, "RSA 2560 is rsa-2048");
	free(s);
	EVP_PKEY_free(p);
	acme_key_free(k);
}

int
main(void)
{
	struct acme_key	*a = NULL, *b = NULL;
	char		 buf[1024];
	size_t		 i;

	/* Known answers. */
	jwk_kat("RFC 7638 3.1", rfc7638_jwk, "{\"e\":\"AQAB\",\"kty\":\"RSA\","
	    "\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbf"
	    "AAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ"
	    "_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY36"
	    "8QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLy"
	    "rdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44"
	    "-csFCur-kEgU8awapJzKnqDKgw\"}", rfc7638_tp);
	jwk_kat("EC P-256", ec256_jwk, ec256_jwk, ec256_tp);
	jwk_kat("EC P-384", ec384_jwk, ec384_jwk, ec384_tp);

	/* The PEM of the same keys gives the same JWK and thumbprint. */
	ok(acme_key_parse_pem(ec256_pem, strlen(ec256_pem), &a) == ACME_OK &&
	    acme_key_type(a) == ACME_KEY_EC256 && a->has_private,
	    "P-256 PEM parses");
	ok(acme_key_parse_jwk(ec256_jwk, strlen(ec256_jwk), &b) == ACME_OK &&
	    acme_key_same(a, b), "P-256 PEM and JWK are the same key");
	acme_key_free(a);
	acme_key_free(b);
	a = b = NULL;
	ok(acme_key_parse_pem(ec384_pem, strlen(ec384_pem), &a) == ACME_OK &&
	    acme_key_type(a) == ACME_KEY_EC384, "P-384 PEM parses");
	ok(acme_key_parse_jwk(ec384_jwk, strlen(ec384_jwk), &b) == ACME_OK &&
	    acme_key_same(a, b), "P-384 PEM and JWK are the same key");
	ok(!acme_key_same(a, NULL) && !acme_key_same(NULL, b),
	    "acme_key_same with NULL is 0");
	acme_key_free(a);
	acme_key_free(b);
	a = b = NULL;
	ok(acme_key_parse_pem(ec256_pem, strlen(ec256_pem), &a) == ACME_OK &&
	    acme_key_parse_pem(ec384_pem, strlen(ec384_pem), &b) == ACME_OK &&
	    !acme_key_same(a, b), "different keys differ");
	acme_key_free(a);
	acme_key_free(b);
	acme_key_free(NULL);

	for (i = 0; i < ACME_KEY__MAX; i++)
		roundtrip((enum acme_keytype)i);
	ok(acme_key_new(ACME_KEY__MAX, &a) == ACME_ERR_ARG,
	    "-bad- unknown key type");

	leading_zero(ACME_KEY_EC256, 32);
	leading_zero(ACME_KEY_EC384, 48);

	/* JWKs to refuse. */
	jwk_bad("{\"crv\":\"P-256\",\"kty\":\"EC\",\"kty\":\"EC\",\"x\":\"ALGnJG"
	    "59e8O-uzvRs4ehh9CEU6BTvY1RlBB9BfxSL_Q\",\"y\":\"jYHULju-3RkfZSmS8k"
	    "u9uXUI4WeLn1BlYumkpiEwtHw\"}", ACME_ERR_JSON, "duplicate member");
	jwk_bad("[]", ACME_ERR_JSON, "array");
	jwk_bad("{", ACME_ERR_JSON, "truncated");
	jwk_bad("{}x", ACME_ERR_JSON, "trailing garbage");
	jwk_bad("{}", ACME_ERR_CRYPTO, "no kty");
	jwk_bad("{\"kty\":1}", ACME_ERR_CRYPTO, "kty a number");
	jwk_bad("{\"kty\":\"oct\",\"k\":\"AAAA\"}", ACME_ERR_CRYPTO,
	    "symmetric key");
	jwk_bad("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7"
	    "TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", ACME_ERR_CRYPTO, "Ed25519");
	jwk_bad("{\"crv\":\"P-521\",\"kty\":\"EC\",\"x\":\"AA\",\"y\":\"AA\"}",
	    ACME_ERR_CRYPTO, "P-521");
	jwk_bad("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"LGnJG59e8O-uzvRs4eh"
	    "h9CEU6BTvY1RlBB9BfxSL_Q\",\"y\":\"jYHULju-3RkfZSmS8ku9uXUI4WeLn1Bl"
	    "YumkpiEwtHw\"}", ACME_ERR_CRYPTO, "x not 32 bytes");
	jwk_bad("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"ALGnJG59e8O-uzvRs4e"
	    "hh9CEU6BTvY1RlBB9BfxSL_Q\",\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAA\"}", ACME_ERR_CRYPTO, "y 33 bytes");
	jwk_bad("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"ALGnJG59e8O-uzvRs4e"
	    "hh9CEU6BTvY1RlBB9BfxSL_Q\",\"y\":\"jYHULju-3RkfZSmS8ku9uXUI4WeLn1B"
	    "lYumkpiEwtH0\"}", ACME_ERR_CRYPTO, "point not on the curve");
	jwk_bad("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"ALGnJG59e8O-uzvRs4e"
	    "hh9CEU6BTvY1RlBB9BfxSL_Q=\",\"y\":\"jYHULju-3RkfZSmS8ku9uXUI4WeLn1"
	    "BlYumkpiEwtHw\"}", ACME_ERR_CRYPTO, "padded coordinate");
	jwk_bad("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"ALGnJG59e8O+uzvRs4e"
	    "hh9CEU6BTvY1RlBB9BfxSL/Q\",\"y\":\"jYHULju-3RkfZSmS8ku9uXUI4WeLn1B"
	    "lYumkpiEwtHw\"}", ACME_ERR_CRYPTO, "standard base64 coordinate");
	jwk_bad("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":5,\"y\":\"jYHULju-3Rk"
	    "fZSmS8ku9uXUI4WeLn1BlYumkpiEwtHw\"}", ACME_ERR_CRYPTO,
	    "x a number");
	jwk_bad("{\"crv\":\"P-384\",\"kty\":\"EC\",\"x\":\"ALGnJG59e8O-uzvRs4e"
	    "hh9CEU6BTvY1RlBB9BfxSL_Q\",\"y\":\"jYHULju-3RkfZSmS8ku9uXUI4WeLn1B"
	    "lYumkpiEwtHw\"}", ACME_ERR_CRYPTO, "P-256 point called P-384");
	jwk_bad("{\"kty\":\"RSA\",\"e\":\"AQAB\"}", ACME_ERR_CRYPTO, "RSA no n");
	jwk_bad("{\"kty\":\"RSA\",\"n\":\"AA\",\"e\":\"AQAB\"}", ACME_ERR_CRYPTO,
	    "RSA tiny n");
	/* n with a leading zero byte: not the minimal encoding. */
	jwk_bad(rsa_zero_n(buf, sizeof(buf)), ACME_ERR_CRYPTO,
	    "RSA n not minimal");

	/* Private and extra members are ignored, the key stays public. */
	jwk_kat("EC with d and kid", "{\"crv\":\"P-256\",\"kty\":\"EC\",\"d\":"
	    "\"q5WXiFz56N-NNHuEh4_QWeNz_0DHzWi5UFB2YO5pMpg\",\"kid\":\"k1\","
	    "\"x\":\"ALGnJG59e8O-uzvRs4ehh9CEU6BTvY1RlBB9BfxSL_Q\","
	    "\"y\":\"jYHULju-3RkfZSmS8ku9uXUI4WeLn1BlYumkpiEwtHw\"}",
	    ec256_jwk, ec256_tp);

	pem_bad();
	return tap_done();
}
