/*
 * Authorization objects, RFC 8555 section 7.1.4 and 7.5: fetch, poll,
 * deactivate.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

/* Most challenges we accept in one authorization. */
#define AUTHZ_CH_MAX	16

void
acme_authz_free(struct acme_authz *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	free(a->url);
	ident_clear(&a->ident);
	for (i = 0; i < a->nch; i++)
		challenge_clear(&a->ch[i]);
	free(a->ch);
	free(a);
}

enum acme_err
acme_authz_parse(const char *body, size_t len, const char *url,
    struct acme_authz **out)
{
	struct acme_authz	*a = NULL;
	json_t			*obj, *chs, *v;
	const char		*s;
	size_t			 i;
	enum acme_err		 er = ACME_ERR_PROTO;

	*out = NULL;
	if ((obj = json_parse_obj(NULL, body, len)) == NULL)
		return ACME_ERR_JSON;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (url != NULL && (a->url = strdup(url)) == NULL)) {
		er = ACME_ERR_NOMEM;
		goto out;
	}
	if (ident_from_json(json_object_get(obj, "identifier"),
	    &a->ident) == -1)
		goto out;
	if ((s = json_str(obj, "status")) == NULL)
		goto out;
	a->status = acme_status_parse(s);
	if ((v = json_object_get(obj, "expires")) != NULL &&
	    (!json_is_string(v) ||
	    (a->expires = rfc3339_parse(json_string_value(v))) == (time_t)-1))
		goto out;
	if ((v = json_object_get(obj, "wildcard")) != NULL) {
		if (!json_is_boolean(v))
			goto out;
		a->wildcard = json_is_true(v);
	}
	chs = json_object_get(obj, "challenges");
	if (!json_is_array(chs) || json_array_size(chs) > AUTHZ_CH_MAX)
		goto out;
	if ((a->ch = calloc(json_array_size(chs) + 1, sizeof(*a->ch))) ==
	    NULL) {
		er = ACME_ERR_NOMEM;
		goto out;
	}
	json_array_foreach(chs, i, v) {
		a->nch++;
		if ((er = challenge_from_json(v, &a->ch[i])) != ACME_OK)
			goto out;
	}
	*out = a;
	a = NULL;
	er = ACME_OK;
out:
	json_decref(obj);
	acme_authz_free(a);
	return er;
}

/* POSTs payload (NULL: POST-as-GET) to an authorization and parses it. */
static enum acme_err
authz_post(struct acme_ctx *ctx, const char *url, json_t *payload,
    struct acme_authz **out, unsigned *retry)
{
	struct http_resp	 resp;
	enum acme_err		 er;

	*out = NULL;
	er = acme_post(ctx, url, payload, 0, NULL, NULL, &resp);
	if (er == ACME_OK) {
		er = acme_authz_parse(resp.body, resp.len, url, out);
		if (er != ACME_OK)
			ctx_detail(ctx, "authorization response is malformed");
		if (retry != NULL && (resp.retry_after == NULL ||
		    acme_retry_after_parse(resp.retry_after, time(NULL),
		    ctx->poll_max, retry) == -1))
			*retry = 0;
	}
	http_resp_clear(&resp);
	return er;
}

enum acme_err
acme_authz_fetch(struct acme_ctx *ctx, const char *url,
    struct acme_authz **out)
{
	return authz_post(ctx, url, NULL, out, NULL);
}

/* 7.5.2 */
enum acme_err
acme_authz_deactivate(struct acme_ctx *ctx, const char *url,
    struct acme_authz **out)
{
	json_t		*pl;
	enum acme_err	 er;

	*out = NULL;
	if ((pl = json_pack("{s:s}", "status", "deactivated")) == NULL)
		return ACME_ERR_NOMEM;
	er = authz_post(ctx, url, pl, out, NULL);
	json_decref(pl);
	return er;
}

/* Polls while pending; see acme_order_wait() for the timing rules. */
enum acme_err
acme_authz_wait(struct acme_ctx *ctx, const char *url, unsigned max_wait,
    struct acme_authz **out)
{
	struct acme_authz	*a = NULL;
	unsigned long long	 deadline;
	unsigned		 attempt, ms, retry = 0;
	enum acme_err		 er;

	*out = NULL;
	deadline = mono_ms() + (unsigned long long)max_wait * 1000ULL;
	for (attempt = 0;; attempt++) {
		if ((er = authz_post(ctx, url, NULL, &a, &retry)) != ACME_OK)
			return er;
		if (a->status != ACME_S_PENDING)
			break;
		ms = retry > 0 ? retry * 1000U :
		    poll_wait_ms(ctx, NULL, attempt);
		if (mono_ms() + ms > deadline) {
			ctx_detail(ctx, "authorization still pending after "
			    "%u s", max_wait);
			*out = a;
			return ACME_ERR_TIMEOUT;
		}
		acme_authz_free(a);
		a = NULL;
		sleep_ms(ms);
	}
	*out = a;
	return ACME_OK;
}

const struct acme_challenge *
acme_authz_challenge(const struct acme_authz *a, enum acme_chtype t)
{
	size_t	 i;

	for (i = 0; a != NULL && i < a->nch; i++)
		if (a->ch[i].type == t)
			return &a->ch[i];
	return NULL;
}
