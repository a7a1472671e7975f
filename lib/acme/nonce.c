/*
 * The Replay-Nonce pool, RFC 8555 section 7.2 and 6.5.  Every response
 * from the CA carries a fresh nonce (http.c hands it to nonce_put()), so
 * in the steady state a signed request uses the nonce of the previous
 * answer and newNonce is asked only when the pool runs dry.  The pool
 * holds at most NONCE_POOL nonces; the oldest is dropped first and the
 * newest, the likeliest to be still valid, is used first.
 */
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/*
 * Adds a copy of nonce to ctx's pool.  Nonces that are not base64url of
 * at most NONCE_MAX characters (6.5.1), duplicates, and copies that
 * cannot be allocated are dropped silently: a missing nonce only costs
 * a newNonce request later.
 */
void
nonce_put(struct acme_ctx *ctx, const char *nonce)
{
	char	*n;
	size_t	 i;

	if (ctx == NULL || !acme_b64url_valid(nonce, NONCE_MAX))
		return;
	for (i = 0; i < ctx->nnonce; i++)
		if (strcmp(ctx->nonce[i], nonce) == 0)
			return;
	if ((n = strdup(nonce)) == NULL)
		return;
	if (ctx->nnonce == NONCE_POOL) {
		free(ctx->nonce[0]);
		memmove(&ctx->nonce[0], &ctx->nonce[1],
		    (NONCE_POOL - 1) * sizeof(ctx->nonce[0]));
		ctx->nnonce--;
	}
	ctx->nonce[ctx->nnonce++] = n;
}

/* Pops the newest pooled nonce into *out; 1 when there was one. */
static int
nonce_pop(struct acme_ctx *ctx, char **out)
{

	if (ctx->nnonce == 0)
		return 0;
	*out = ctx->nonce[--ctx->nnonce];
	ctx->nonce[ctx->nnonce] = NULL;
	return 1;
}

/*
 * Takes a nonce for the next signed request: from the pool, or else
 * with a HEAD to the directory's newNonce (7.2; the directory is fetched
 * first if need be).  Returns ACME_OK with *out the caller's (free()),
 * ACME_ERR_PROTO when the CA answered without a usable Replay-Nonce, or
 * the error of the directory fetch or HEAD request.
 */
enum acme_err
nonce_take(struct acme_ctx *ctx, char **out)
{
	struct http_resp	 resp;
	enum acme_err		 rc;

	if (ctx == NULL || out == NULL)
		return ACME_ERR_ARG;
	*out = NULL;
	if (nonce_pop(ctx, out))
		return ACME_OK;
	if ((rc = acme_directory_fetch(ctx)) != ACME_OK)
		return rc;

	memset(&resp, 0, sizeof(resp));
	rc = http_head(ctx, ctx->dir->new_nonce, &resp);
	if (rc != ACME_OK)
		goto out;
	/* http_head() pooled the answer's Replay-Nonce, if it had one. */
	if (!nonce_pop(ctx, out)) {
		ctx_detail(ctx, "newNonce answered HTTP %ld without a "
		    "usable Replay-Nonce", resp.status);
		rc = ACME_ERR_PROTO;
		goto out;
	}
	rc = ACME_OK;
out:
	http_resp_clear(&resp);
	return rc;
}
