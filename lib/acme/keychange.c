/*
 * Account key rollover, RFC 8555 section 7.3.5.  The inner JWS is signed
 * by the new key and carries {account, oldKey}; the outer one is a normal
 * kid request signed by the old key.
 */
#include <stdlib.h>
#include <string.h>

#include "extern.h"

enum acme_err
acme_account_keychange(struct acme_ctx *ctx, struct acme_key *newkey)
{
	struct http_resp	 resp;
	json_t			*pl = NULL, *inner = NULL, *old;
	enum acme_err		 er;

	memset(&resp, 0, sizeof(resp));
	if (ctx->key == NULL || ctx->kid == NULL || newkey == NULL ||
	    !newkey->has_private)
		return ACME_ERR_ARG;
	if (acme_key_same(ctx->key, newkey)) {
		ctx_detail(ctx, "the new key is the current key");
		return ACME_ERR_ARG;
	}
	if ((er = acme_directory_fetch(ctx)) != ACME_OK)
		return er;
	if (ctx->dir->key_change == NULL)
		return ACME_ERR_UNSUPPORTED;
	if ((old = key_jwk_json(ctx->key)) == NULL)
		return ACME_ERR_NOMEM;
	if ((pl = json_pack("{s:s,s:o}", "account", ctx->kid,
	    "oldKey", old)) == NULL)
		return ACME_ERR_NOMEM;
	if ((er = jws_inner(newkey, ctx->dir->key_change, pl, &inner)) !=
	    ACME_OK)
		goto out;
	if ((er = acme_post(ctx, ctx->dir->key_change, inner, 0, NULL, NULL,
	    &resp)) != ACME_OK)
		goto out;
	ctx->key = newkey;
out:
	json_decref(pl);
	json_decref(inner);
	http_resp_clear(&resp);
	return er;
}
