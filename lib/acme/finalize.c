/*
 * Finalization, RFC 8555 section 7.4: a CSR for the order's identifiers,
 * signed by a fresh certificate key that is never the account key.
 * orderNotReady, or an order that is not ready when we get to it, is
 * answered by reading the order again and reporting its real status.
 */
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/* Reads the order again into *out and reports ACME_ERR_STATE. */
static enum acme_err
finalize_reread(struct acme_ctx *ctx, const char *url,
    struct acme_order **out)
{
	enum acme_err	 er;

	if ((er = acme_order_fetch(ctx, url, out)) != ACME_OK)
		return er;
	ctx_detail(ctx, "order is %s, not ready to finalize",
	    acme_status_name((*out)->status));
	return ACME_ERR_STATE;
}

enum acme_err
acme_order_finalize(struct acme_ctx *ctx, const struct acme_order *order,
    const struct acme_key *certkey, struct acme_order **out)
{
	struct http_resp	 resp;
	struct acme_order	*cur = NULL;
	unsigned char		*der = NULL;
	char			*csr = NULL;
	size_t			 derlen;
	json_t			*pl = NULL;
	enum acme_err		 er;

	memset(&resp, 0, sizeof(resp));
	*out = NULL;
	if (order == NULL || order->url == NULL || certkey == NULL ||
	    !certkey->has_private)
		return ACME_ERR_ARG;
	if (ctx->key != NULL && acme_key_same(ctx->key, certkey)) {
		ctx_detail(ctx, "the certificate key must not be the "
		    "account key");
		return ACME_ERR_ARG;
	}
	if (order->status != ACME_S_READY) {
		/* Our copy may be stale: act on the CA's current state. */
		if ((er = acme_order_fetch(ctx, order->url, &cur)) != ACME_OK)
			return er;
		if (cur->status != ACME_S_READY) {
			*out = cur;
			ctx_detail(ctx, "order is %s, not ready to finalize",
			    acme_status_name(cur->status));
			return ACME_ERR_STATE;
		}
		order = cur;
	}
	if ((er = acme_csr_new(certkey, order->idents, order->nident, &der,
	    &derlen)) != ACME_OK)
		goto out;
	if ((er = acme_b64url_encode(der, derlen, &csr)) != ACME_OK)
		goto out;
	if ((pl = json_pack("{s:s}", "csr", csr)) == NULL) {
		er = ACME_ERR_NOMEM;
		goto out;
	}
	er = acme_post(ctx, order->finalize, pl, 0, NULL, NULL, &resp);
	if (er == ACME_ERR_PROBLEM &&
	    ctx->problem->ptype == ACME_P_ORDERNOTREADY) {
		er = finalize_reread(ctx, order->url, out);
		goto out;
	}
	if (er != ACME_OK)
		goto out;
	if ((er = acme_order_parse(resp.body, resp.len, order->url, out)) !=
	    ACME_OK)
		ctx_detail(ctx, "finalize response is malformed");
out:
	acme_order_free(cur);
	json_decref(pl);
	free(der);
	free(csr);
	http_resp_clear(&resp);
	return er;
}
