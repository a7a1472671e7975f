/*
 * Certificate signing requests for finalize (RFC 8555 section 7.4):
 * a PKCS#10 request (RFC 2986) whose subjectAltName lists every DNS name
 * and IP address (RFC 8738 section 4) of the order, signed by the
 * certificate key with SHA-256.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "extern.h"

#define CN_MAX		64	/* RFC 5280 ub-common-name */

/*
 * Appends one GeneralName for id to names: dNSName (IA5String) or
 * iPAddress (4 or 16 octets, RFC 5280 4.2.1.6).
 * Returns 0, or -1 on error (names unchanged).
 */
static int
csr_add_name(GENERAL_NAMES *names, const struct acme_ident *id)
{
	GENERAL_NAME		*gn = NULL;
	ASN1_IA5STRING		*ia5 = NULL;
	ASN1_OCTET_STRING	*oct = NULL;
	unsigned char		 addr[sizeof(struct in6_addr)];
	int			 af, alen;

	if ((gn = GENERAL_NAME_new()) == NULL)
		goto err;
	if (id->type == ACME_ID_DNS) {
		if ((ia5 = ASN1_IA5STRING_new()) == NULL ||
		    !ASN1_STRING_set(ia5, id->value, -1))
			goto err;
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		ia5 = NULL;
	} else {
		af = strchr(id->value, ':') != NULL ? AF_INET6 : AF_INET;
		alen = af == AF_INET6 ? 16 : 4;
		if (inet_pton(af, id->value, addr) != 1)
			goto err;
		if ((oct = ASN1_OCTET_STRING_new()) == NULL ||
		    !ASN1_OCTET_STRING_set(oct, addr, alen))
			goto err;
		GENERAL_NAME_set0_value(gn, GEN_IPADD, oct);
		oct = NULL;
	}
	if (!sk_GENERAL_NAME_push(names, gn))
		goto err;
	return 0;
err:
	ASN1_OCTET_STRING_free(oct);
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	return -1;
}

/*
 * Adds the subjectAltName extension with all of idents to req.  It is
 * critical when the subject is empty (RFC 5280 4.2.1.6).
 * Returns 0 or -1.
 */
static int
csr_add_san(X509_REQ *req, const struct acme_ident *idents, size_t nident,
    int critical)
{
	GENERAL_NAMES			*names = NULL;
	X509_EXTENSION			*ext = NULL;
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	size_t				 i;
	int				 rv = -1;

	if ((names = sk_GENERAL_NAME_new_null()) == NULL)
		goto out;
	for (i = 0; i < nident; i++)
		if (csr_add_name(names, &idents[i]) == -1)
			goto out;
	if ((ext = X509V3_EXT_i2d(NID_subject_alt_name, critical,
	    names)) == NULL)
		goto out;
	if ((exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    !sk_X509_EXTENSION_push(exts, ext))
		goto out;
	ext = NULL;
	if (!X509_REQ_add_extensions(req, exts))
		goto out;
	rv = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_EXTENSION_free(ext);
	GENERAL_NAMES_free(names);
	return rv;
}

/*
 * Sets req's SubjectPublicKeyInfo to the EC key k's (RFC 5480: algorithm
 * id-ecPublicKey with the named curve, the uncompressed point) straight
 * from the key's encoded point.  X509_REQ_set_pubkey would get the same
 * bytes by running OpenSSL 3.0's whole encoder and decoder machinery, a
 * large part of a CSR's cost.  Returns 0, or -1 (the caller then uses
 * X509_REQ_set_pubkey).
 */
static int
csr_set_ec_pubkey(X509_REQ *req, const struct acme_key *k)
{
	X509_PUBKEY	*pub;
	unsigned char	 pt[1 + 2 * 66], *enc;
	size_t		 len = 0;
	int		 curve;

	switch (k->type) {
	case ACME_KEY_EC256:
		curve = NID_X9_62_prime256v1;
		break;
	case ACME_KEY_EC384:
		curve = NID_secp384r1;
		break;
	default:
		return -1;
	}
	if ((pub = X509_REQ_get_X509_PUBKEY(req)) == NULL ||
	    EVP_PKEY_get_octet_string_param(k->pkey,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &len) != 1 ||
	    len == 0 || pt[0] != 0x04 || (enc = OPENSSL_malloc(len)) == NULL)
		return -1;
	memcpy(enc, pt, len);
	if (!X509_PUBKEY_set0_param(pub, OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
	    V_ASN1_OBJECT, OBJ_nid2obj(curve), enc, (int)len)) {
		OPENSSL_free(enc);
		return -1;
	}
	return 0;
}

/*
 * Checks the identifier list: at least one, each valid, no repeats.
 * Returns ACME_OK, ACME_ERR_ARG or ACME_ERR_IDENT.
 */
static enum acme_err
csr_check(const struct acme_ident *idents, size_t nident)
{
	size_t	 i, j;

	if (idents == NULL || nident == 0)
		return ACME_ERR_ARG;
	for (i = 0; i < nident; i++) {
		if (acme_ident_check(idents[i].type, idents[i].value) !=
		    ACME_OK)
			return ACME_ERR_IDENT;
		for (j = 0; j < i; j++)
			if (idents[j].type == idents[i].type &&
			    strcmp(idents[j].value, idents[i].value) == 0)
				return ACME_ERR_ARG;
	}
	return ACME_OK;
}

/*
 * 7.4: the CSR for finalize.  The subject is CN=<first DNS name> when
 * that fits in 64 characters, else empty; the SAN lists every identifier
 * in order.  certkey must hold a private key.
 * Returns ACME_OK with *der (caller free()s) and *len, ACME_ERR_ARG,
 * ACME_ERR_IDENT, ACME_ERR_CRYPTO or ACME_ERR_NOMEM.
 */
enum acme_err
acme_csr_new(const struct acme_key *certkey, const struct acme_ident *idents,
    size_t nident, unsigned char **der, size_t *len)
{
	X509_REQ	*req = NULL;
	X509_NAME	*subj = NULL;
	unsigned char	*buf = NULL, *p;
	const char	*cn = NULL;
	size_t		 i;
	int		 n;
	enum acme_err	 rc;

	if (certkey == NULL || der == NULL || len == NULL ||
	    !certkey->has_private)
		return ACME_ERR_ARG;
	if ((rc = csr_check(idents, nident)) != ACME_OK)
		return rc;
	for (i = 0; i < nident && cn == NULL; i++)
		if (idents[i].type == ACME_ID_DNS &&
		    strlen(idents[i].value) <= CN_MAX)
			cn = idents[i].value;

	rc = ACME_ERR_CRYPTO;
	if ((req = X509_REQ_new()) == NULL ||
	    (subj = X509_NAME_new()) == NULL)
		goto out;
	/* RFC 2986 4.1: version 0 (v1). */
	if (!X509_REQ_set_version(req, 0))
		goto out;
	if (cn != NULL && !X509_NAME_add_entry_by_NID(subj, NID_commonName,
	    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
		goto out;
	if (!X509_REQ_set_subject_name(req, subj))
		goto out;
	if (csr_add_san(req, idents, nident, cn == NULL) == -1)
		goto out;
	if (csr_set_ec_pubkey(req, certkey) == -1 &&
	    !X509_REQ_set_pubkey(req, certkey->pkey))
		goto out;
	if (X509_REQ_sign(req, certkey->pkey, EVP_sha256()) <= 0)
		goto out;

	if ((n = i2d_X509_REQ(req, NULL)) <= 0)
		goto out;
	if ((buf = malloc((size_t)n)) == NULL) {
		rc = ACME_ERR_NOMEM;
		goto out;
	}
	p = buf;
	if (i2d_X509_REQ(req, &p) != n)
		goto out;
	*der = buf;
	*len = (size_t)n;
	buf = NULL;
	rc = ACME_OK;
out:
	free(buf);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	ERR_clear_error();
	return rc;
}
