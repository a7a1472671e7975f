/*
 * Signed requests (RFC 8555 section 6.2, 6.5) and polling waits.
 *
 * Every POST takes a nonce from the pool, is signed as a flattened JWS
 * and, when the CA answers badNonce, is signed again with the nonce the
 * error response carried (http.c pools every Replay-Nonce), a bounded
 * number of times (section 6.5).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

/* Longest wait we accept from a problem's Retry-After: a week. */
#define PROBLEM_RETRY_MAX	(7U * 24 * 3600)

/*
 * Parses the problem document of an error response into ctx->problem.
 * A body that is not a problem document still gives a problem (type
 * unknown) so callers always have the HTTP status.  Returns
 * ACME_ERR_PROBLEM, or ACME_ERR_NOMEM.
 */
static enum acme_err
problem_set(struct acme_ctx *ctx, const struct http_resp *resp)
{
	struct acme_problem	*p = NULL;
	unsigned		 wait;
	enum acme_err		 er;

	ctx_problem_clear(ctx);
	er = acme_problem_parse(resp->body ? resp->body : "", resp->len,
	    resp->status, &p);
	if (er == ACME_ERR_NOMEM)
		return er;
	if (p == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return ACME_ERR_NOMEM;
		p->status = resp->status;
	}
	if (resp->retry_after != NULL &&
	    acme_retry_after_parse(resp->retry_after, time(NULL),
	    PROBLEM_RETRY_MAX, &wait) == 0)
		p->retry_after = time(NULL) + wait;
	ctx->problem = p;
	ctx_detail(ctx, "HTTP %ld: %s%s%s", resp->status,
	    acme_ptype_name(p->ptype), p->detail ? ": " : "",
	    p->detail ? p->detail : "");
	return ACME_ERR_PROBLEM;
}

enum acme_err
problem_from_json(const json_t *obj, long status, struct acme_problem **out)
{
	char		*text;
	enum acme_err	 er;

	*out = NULL;
	if (!json_is_object(obj))
		return ACME_ERR_PROTO;
	if ((text = json_dumps(obj, JSON_COMPACT)) == NULL)
		return ACME_ERR_NOMEM;
	er = acme_problem_parse(text, strlen(text), status, out);
	free(text);
	return er;
}

/*
 * See extern.h.  The caller clears *resp whatever the return.
 */
enum acme_err
acme_post(struct acme_ctx *ctx, const char *url, json_t *payload,
    int use_jwk, const struct acme_key *signer, const char *accept,
    struct http_resp *resp)
{
	const struct acme_key	*key = signer != NULL ? signer : ctx->key;
	char			*pl = NULL, *nonce = NULL, *jws = NULL;
	unsigned		 try;
	enum acme_err		 er;

	memset(resp, 0, sizeof(*resp));
	ctx_problem_clear(ctx);
	ctx->detail[0] = '\0';
	if (key == NULL || url == NULL) {
		ctx_detail(ctx, "no account key set");
		return ACME_ERR_ARG;
	}
	if (!use_jwk && ctx->kid == NULL) {
		ctx_detail(ctx, "no account URL (kid) set");
		return ACME_ERR_ARG;
	}
	if (!url_is_https(url)) {
		ctx_detail(ctx, "refusing a non-https URL");
		return ACME_ERR_SCHEME;
	}
	if (payload != NULL &&
	    (pl = json_dumps(payload, JSON_COMPACT)) == NULL)
		return ACME_ERR_NOMEM;

	for (try = 0;; try++) {
		if ((er = nonce_take(ctx, &nonce)) != ACME_OK)
			goto out;
		er = jws_sign(key, use_jwk ? NULL : ctx->kid, nonce, url,
		    pl, &jws);
		free(nonce);
		nonce = NULL;
		if (er != ACME_OK)
			goto out;
		http_resp_clear(resp);
		er = http_post(ctx, url, jws, strlen(jws), accept, resp);
		free(jws);
		jws = NULL;
		if (er != ACME_OK)
			goto out;
		if (resp->status >= 200 && resp->status < 300)
			goto out;
		if (resp->status < 400) {
			/* Only 4xx/5xx carry problems (6.7); a redirect off
			 * https or any other surprise is the CA's fault. */
			ctx_detail(ctx, "the CA answered HTTP %ld to a POST",
			    resp->status);
			er = resp->location != NULL &&
			    !url_is_https(resp->location) ?
			    ACME_ERR_SCHEME : ACME_ERR_PROTO;
			goto out;
		}
		if ((er = problem_set(ctx, resp)) != ACME_ERR_PROBLEM)
			goto out;
		if (ctx->problem->ptype != ACME_P_BADNONCE)
			goto out;
		/* 6.5: retry with a fresh nonce, a bounded number of times. */
		if (try >= ctx->nonce_retries) {
			ctx_detail(ctx, "the CA rejected %u nonces in a row "
			    "(badNonce)", try + 1);
			er = ACME_ERR_NONCE;
			goto out;
		}
	}
out:
	free(pl);
	return er;
}

void
sleep_ms(unsigned ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

unsigned long long
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000ULL +
	    (unsigned long long)ts.tv_nsec / 1000000ULL;
}

/*
 * How long to wait before the next poll: the CA's Retry-After when it
 * sent one (clamped to [1 s, poll_max]), else a backoff that starts
 * short so a fast CA is not waited on: 40 ms, 80 ms, 160 ms, ... up to
 * poll_max.
 */
unsigned
poll_wait_ms(const struct acme_ctx *ctx, const struct http_resp *resp,
    unsigned attempt)
{
	unsigned	 wait, ms;

	if (resp != NULL && resp->retry_after != NULL &&
	    acme_retry_after_parse(resp->retry_after, time(NULL),
	    ctx->poll_max, &wait) == 0)
		return (wait < 1 ? 1 : wait) * 1000U;
	ms = FIRST_POLL_MS;
	while (attempt-- > 0 && ms < ctx->poll_max * 1000U)
		ms *= 2;
	if (ms > ctx->poll_max * 1000U)
		ms = ctx->poll_max * 1000U;
	return ms;
}
