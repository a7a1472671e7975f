/*
 * ACME Renewal Information, RFC 9773: the CA's suggested window for
 * renewing a certificate, fetched with an unauthenticated GET of
 * renewalInfo "/" certID (section 4.1; the certID comes from
 * acme_cert_parse()).  The answer's Retry-After says when to ask again
 * (4.3); it is clamped as 4.3.2 advises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

#define ARI_RETRY_MIN	60		/* RFC 9773 4.3.2: one minute */
#define ARI_RETRY_MAX	(24 * 3600)	/* ... to one day */
#define ARI_CERTID_MAX	512

/*
 * Parses a RenewalInfo body (4.2): suggestedWindow with RFC 3339 start
 * and end, end after start; explanationURL optional and kept only when
 * it is an https URL (a bad one is dropped, it is for humans).
 * retry_after is left 0.  Returns ACME_OK with out's members the
 * caller's (acme_renewal_clear), ACME_ERR_JSON or ACME_ERR_PROTO; out
 * is cleared on failure.
 */
static enum acme_err
ari_parse(struct acme_ctx *ctx, const char *body, size_t len,
    struct acme_renewal *out)
{
	json_t		*obj;
	const json_t	*win;
	enum acme_err	 rc = ACME_ERR_PROTO;

	memset(out, 0, sizeof(*out));
	if ((obj = json_parse_obj(ctx, body, len)) == NULL)
		return ACME_ERR_JSON;
	win = json_object_get(obj, "suggestedWindow");
	out->start = rfc3339_parse(json_str(win, "start"));
	out->end = rfc3339_parse(json_str(win, "end"));
	if (out->start == -1 || out->end == -1) {
		ctx_detail(ctx, "renewalInfo: suggestedWindow start or end "
		    "missing or not RFC 3339");
		goto out;
	}
	if (out->end <= out->start) {
		ctx_detail(ctx, "renewalInfo: window ends before it starts");
		goto out;
	}
	/* A bad explanationURL (or no memory for it) leaves it NULL. */
	(void)json_url(obj, "explanationURL", &out->explanation);
	rc = ACME_OK;
out:
	if (rc != ACME_OK)
		acme_renewal_clear(out);
	json_decref(obj);
	return rc;
}

/* Parses a RenewalInfo body; see ari_parse(). */
enum acme_err
acme_ari_parse(const char *body, size_t len, struct acme_renewal *out)
{

	if (out == NULL)
		return ACME_ERR_ARG;
	return ari_parse(NULL, body, len, out);
}

/* Frees r's explanation and zeroes r; NULL-safe. */
void
acme_renewal_clear(struct acme_renewal *r)
{

	if (r == NULL)
		return;
	free(r->explanation);
	memset(r, 0, sizeof(*r));
}

/*
 * 1 when certid looks like an RFC 9773 certID: two non-empty base64url
 * parts joined by one ".", so it is safe as a URL path segment.
 */
static int
ari_certid_ok(const char *certid)
{
	const char	*dot;
	size_t		 len;

	if (certid == NULL || (len = strlen(certid)) > ARI_CERTID_MAX ||
	    (dot = strchr(certid, '.')) == NULL || dot == certid ||
	    dot[1] == '\0' || strchr(dot + 1, '.') != NULL)
		return 0;
	return strspn(certid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_.") == len;
}

/*
 * Fetches the RenewalInfo of certid (4.1, unauthenticated GET).
 * Returns ACME_OK with out filled (clear with acme_renewal_clear;
 * retry_after from the header, clamped to [1 minute, 1 day], 0 when
 * absent or unparsable), ACME_ERR_ARG for a malformed certid,
 * ACME_ERR_UNSUPPORTED when the directory has no renewalInfo,
 * ACME_ERR_PROBLEM for a problem document answer, ACME_ERR_PROTO for
 * another non-200 answer, or the error of the request or parse.
 */
enum acme_err
acme_ari_fetch(struct acme_ctx *ctx, const char *certid,
    struct acme_renewal *out)
{
	struct http_resp	 resp;
	char			*url = NULL;
	size_t			 n;
	unsigned		 wait;
	enum acme_err		 rc;

	if (ctx == NULL || out == NULL)
		return ACME_ERR_ARG;
	memset(out, 0, sizeof(*out));
	memset(&resp, 0, sizeof(resp));
	if (!ari_certid_ok(certid))
		return ACME_ERR_ARG;
	if ((rc = acme_directory_fetch(ctx)) != ACME_OK)
		return rc;
	if (ctx->dir->renewal_info == NULL) {
		ctx_detail(ctx, "the CA does not offer renewalInfo (ARI)");
		return ACME_ERR_UNSUPPORTED;
	}
	n = strlen(ctx->dir->renewal_info) + 1 + strlen(certid) + 1;
	if ((url = malloc(n)) == NULL)
		return ACME_ERR_NOMEM;
	snprintf(url, n, "%s/%s", ctx->dir->renewal_info, certid);

	if ((rc = http_get(ctx, url, "application/json", &resp)) != ACME_OK)
		goto out;
	if (resp.status != 200) {
		if (resp.content_type != NULL && strcmp(resp.content_type,
		    "application/problem+json") == 0) {
			rc = acme_problem_parse(resp.body, resp.len,
			    resp.status, &ctx->problem);
			if (rc == ACME_OK)
				rc = ACME_ERR_PROBLEM;
		} else
			rc = ACME_ERR_PROTO;
		ctx_detail(ctx, "renewalInfo: HTTP %ld", resp.status);
		goto out;
	}
	if ((rc = ari_parse(ctx, resp.body, resp.len, out)) != ACME_OK)
		goto out;
	if (resp.retry_after != NULL && acme_retry_after_parse(
	    resp.retry_after, time(NULL), ARI_RETRY_MAX, &wait) == 0)
		out->retry_after = wait < ARI_RETRY_MIN ? ARI_RETRY_MIN : wait;
out:
	free(url);
	http_resp_clear(&resp);
	return rc;
}
