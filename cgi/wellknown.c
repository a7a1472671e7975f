/*
 * GET /.well-known/acme-challenge/{token}: the http-01 answer (RFC 8555
 * section 8.3) for a pending challenge, straight from SQLite.
 *
 * Called by every CA validator (and by anyone scanning the web), so it
 * does one indexed lookup, writes no audit row and treats the token as
 * hostile: it must be base64url before it goes near the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"

#define TOKEN_MAX	256

static void
not_found(struct resp *p)
{
	p->len = 0;
	p->status = 404;
	resp_type(p, "text/plain; charset=utf-8");
	resp_puts(p, "not found\n");
}

void
wellknown_get(struct rq *rq)
{
	struct resp	*p = rq->resp;
	const char	*token = rq->tail;
	char		*keyauth = NULL;
	enum panel_err	 rc;

	if (token == NULL || !acme_b64url_valid(token, TOKEN_MAX)) {
		not_found(p);
		return;
	}
	rc = store_challenge_http01(rq->pn->st, token, &keyauth);
	if (rc != PANEL_OK || keyauth == NULL) {
		if (rc != PANEL_OK && rc != PANEL_ERR_NOTFOUND)
			fprintf(stderr, "acme.fcgi: http-01 lookup: %s: %s\n",
			    panel_strerror(rc), store_errmsg(rq->pn->st));
		free(keyauth);
		not_found(p);
		return;
	}
	/* Exactly the key authorization: no newline (RFC 8555 8.3). */
	p->len = 0;
	p->status = 200;
	resp_type(p, "text/plain");
	resp_puts(p, keyauth);
	free(keyauth);
}
