/*
 * Certificate revocation, RFC 8555 section 7.6, signed either by the
 * account (kid) or by the certificate's own key (jwk).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "extern.h"

/* DER of the first certificate in pem; *der is the caller's (free). */
static enum acme_err
leaf_der(const char *pem, size_t len, unsigned char **der, size_t *derlen)
{
	BIO		*bio;
	X509		*x;
	unsigned char	*p = NULL;
	int		 n;

	*der = NULL;
	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return ACME_ERR_NOMEM;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL)
		return ACME_ERR_PEM;
	n = i2d_X509(x, &p);
	X509_free(x);
	if (n <= 0)
		return ACME_ERR_CRYPTO;
	*der = p;
	*derlen = (size_t)n;
	return ACME_OK;
}

enum acme_err
acme_cert_revoke(struct acme_ctx *ctx, const char *pem, size_t len,
    int reason, const struct acme_key *certkey)
{
	struct http_resp	 resp;
	unsigned char		*der = NULL;
	char			*b64 = NULL;
	json_t			*pl = NULL;
	enum acme_err		 er;

	memset(&resp, 0, sizeof(resp));
	if (pem == NULL || reason > ACME_RR_CESSATIONOFOPERATION ||
	    (certkey != NULL && !certkey->has_private))
		return ACME_ERR_ARG;
	if ((er = acme_chain_check(pem, len)) != ACME_OK)
		return er;
	if ((er = acme_directory_fetch(ctx)) != ACME_OK)
		return er;
	if ((er = leaf_der(pem, len, &der, &len)) != ACME_OK)
		return er;
	if ((er = acme_b64url_encode(der, len, &b64)) != ACME_OK)
		goto out;
	if ((pl = json_pack("{s:s}", "certificate", b64)) == NULL) {
		er = ACME_ERR_NOMEM;
		goto out;
	}
	if (reason >= 0 &&
	    json_object_set_new(pl, "reason", json_integer(reason)) != 0) {
		er = ACME_ERR_NOMEM;
		goto out;
	}
	er = acme_post(ctx, ctx->dir->revoke_cert, pl, certkey != NULL,
	    certkey, NULL, &resp);
out:
	json_decref(pl);
	free(der);
	free(b64);
	http_resp_clear(&resp);
	return er;
}
