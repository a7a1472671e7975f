/*
 * Order resources, RFC 8555 section 7.4 (newOrder, fetch, polling) with
 * IP identifiers (RFC 8738), profiles and ARI's "replaces" (RFC 9773 5).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

/* Most identifiers / authorizations we accept in one order. */
#define ORDER_IDENT_MAX	1000

void
acme_order_free(struct acme_order *o)
{
	size_t	 i;

	if (o == NULL)
		return;
	free(o->url);
	for (i = 0; i < o->nident; i++)
		ident_clear(&o->idents[i]);
	free(o->idents);
	strv_free(o->authz, o->nauthz);
	free(o->finalize);
	free(o->certificate);
	free(o->not_before);
	free(o->not_after);
	free(o->profile);
	free(o->replaces);
	acme_problem_free(o->error);
	free(o);
}

/* Duplicates an optional string member; -1 on a wrong type or no memory. */
static int
opt_str(const json_t *obj, const char *key, size_t max, char **out)
{
	const json_t	*v;

	*out = NULL;
	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	return (*out = strdup(json_string_value(v))) == NULL ? -1 : 0;
}

/* Parses an order object (7.1.3).  ctx may be NULL. */
static enum acme_err
order_from_json(const json_t *obj, const char *url, struct acme_order **out)
{
	struct acme_order	*o = NULL;
	const json_t		*ids, *az, *v;
	const char		*s;
	size_t			 i;
	enum acme_err		 er = ACME_ERR_PROTO;

	*out = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return ACME_ERR_NOMEM;
	if (url != NULL && (o->url = strdup(url)) == NULL)
		goto nomem;
	if ((s = json_str(obj, "status")) == NULL)
		goto out;
	o->status = acme_status_parse(s);
	/* "expires" is optional, but a present one must be a date. */
	if ((v = json_object_get(obj, "expires")) != NULL &&
	    (!json_is_string(v) ||
	    (o->expires = rfc3339_parse(json_string_value(v))) == (time_t)-1))
		goto out;

	ids = json_object_get(obj, "identifiers");
	if (!json_is_array(ids) || json_array_size(ids) == 0 ||
	    json_array_size(ids) > ORDER_IDENT_MAX)
		goto out;
	if ((o->idents = calloc(json_array_size(ids),
	    sizeof(*o->idents))) == NULL)
		goto nomem;
	json_array_foreach(ids, i, v) {
		if (ident_from_json(v, &o->idents[i]) == -1)
			goto out;
		o->nident++;
	}

	az = json_object_get(obj, "authorizations");
	if (!json_is_array(az) || json_array_size(az) > ORDER_IDENT_MAX)
		goto out;
	if ((o->authz = calloc(json_array_size(az) + 1,
	    sizeof(char *))) == NULL)
		goto nomem;
	json_array_foreach(az, i, v) {
		if (!json_is_string(v) || !url_is_https(json_string_value(v)) ||
		    json_string_length(v) > URL_MAX)
			goto out;
		if ((o->authz[i] = strdup(json_string_value(v))) == NULL)
			goto nomem;
		o->nauthz++;
	}

	if (json_url(obj, "finalize", &o->finalize) == -1 ||
	    o->finalize == NULL)
		goto out;
	if (json_url(obj, "certificate", &o->certificate) == -1)
		goto out;
	if (opt_str(obj, "notBefore", 64, &o->not_before) == -1 ||
	    opt_str(obj, "notAfter", 64, &o->not_after) == -1 ||
	    opt_str(obj, "profile", 256, &o->profile) == -1 ||
	    opt_str(obj, "replaces", 1024, &o->replaces) == -1)
		goto out;
	if ((v = json_object_get(obj, "error")) != NULL &&
	    problem_from_json(v, 0, &o->error) == ACME_ERR_NOMEM)
		goto nomem;
	*out = o;
	return ACME_OK;
nomem:
	er = ACME_ERR_NOMEM;
out:
	acme_order_free(o);
	return er;
}

enum acme_err
acme_order_parse(const char *body, size_t len, const char *url,
    struct acme_order **out)
{
	json_t		*obj;
	enum acme_err	 er;

	*out = NULL;
	if ((obj = json_parse_obj(NULL, body, len)) == NULL)
		return ACME_ERR_JSON;
	er = order_from_json(obj, url, out);
	json_decref(obj);
	return er;
}

/* Parses resp as the order at url; sets retry_after from the header. */
static enum acme_err
order_resp(struct acme_ctx *ctx, const struct http_resp *resp,
    const char *url, struct acme_order **out)
{
	enum acme_err	 er;
	unsigned	 wait;

	er = acme_order_parse(resp->body, resp->len, url, out);
	if (er == ACME_ERR_JSON)
		ctx_detail(ctx, "order response is not a JSON object");
	else if (er == ACME_ERR_PROTO)
		ctx_detail(ctx, "order response lacks or mistypes a field");
	if (er == ACME_OK && resp->retry_after != NULL &&
	    acme_retry_after_parse(resp->retry_after, time(NULL),
	    ctx->poll_max, &wait) == 0)
		(*out)->retry_after = wait;
	return er;
}

/* Builds the newOrder payload (7.4). */
static enum acme_err
order_payload(const struct acme_order_req *req,
    int with_replaces, json_t **out)
{
	json_t		*pl, *ids, *id;
	size_t		 i;

	*out = NULL;
	if ((pl = json_object()) == NULL || (ids = json_array()) == NULL) {
		json_decref(pl);
		return ACME_ERR_NOMEM;
	}
	if (json_object_set_new(pl, "identifiers", ids) != 0)
		goto nomem;
	for (i = 0; i < req->nident; i++)
		if ((id = ident_to_json(&req->idents[i])) == NULL ||
		    json_array_append_new(ids, id) != 0)
			goto nomem;
	if (req->not_before != NULL && json_object_set_new(pl, "notBefore",
	    json_string(req->not_before)) != 0)
		goto nomem;
	if (req->not_after != NULL && json_object_set_new(pl, "notAfter",
	    json_string(req->not_after)) != 0)
		goto nomem;
	if (req->profile != NULL && json_object_set_new(pl, "profile",
	    json_string(req->profile)) != 0)
		goto nomem;
	if (with_replaces && json_object_set_new(pl, "replaces",
	    json_string(req->replaces)) != 0)
		goto nomem;
	*out = pl;
	return ACME_OK;
nomem:
	json_decref(pl);
	return ACME_ERR_NOMEM;
}

/* Checks the request against the directory: identifiers, profile. */
static enum acme_err
order_check(struct acme_ctx *ctx, const struct acme_order_req *req)
{
	size_t	 i;

	if (req->nident == 0 || req->nident > ORDER_IDENT_MAX ||
	    req->idents == NULL)
		return ACME_ERR_ARG;
	for (i = 0; i < req->nident; i++)
		if (acme_ident_check(req->idents[i].type,
		    req->idents[i].value) != ACME_OK) {
			ctx_detail(ctx, "not a valid identifier: %s",
			    req->idents[i].value ? req->idents[i].value : "");
			return ACME_ERR_IDENT;
		}
	if (req->profile == NULL)
		return ACME_OK;
	for (i = 0; i < ctx->dir->nprofiles; i++)
		if (strcmp(ctx->dir->profiles[i], req->profile) == 0)
			return ACME_OK;
	ctx_detail(ctx, "the CA does not offer profile %s", req->profile);
	return ACME_ERR_UNSUPPORTED;
}

enum acme_err
acme_order_new(struct acme_ctx *ctx, const struct acme_order_req *req,
    struct acme_order **out)
{
	struct http_resp	 resp;
	json_t			*pl = NULL;
	int			 replaces;
	enum acme_err		 er;

	memset(&resp, 0, sizeof(resp));
	*out = NULL;
	if (req == NULL)
		return ACME_ERR_ARG;
	if ((er = acme_directory_fetch(ctx)) != ACME_OK)
		return er;
	if ((er = order_check(ctx, req)) != ACME_OK)
		return er;
	/* RFC 9773 5: "replaces" only where the CA offers renewalInfo. */
	replaces = req->replaces != NULL && ctx->dir->renewal_info != NULL;
again:
	if ((er = order_payload(req, replaces, &pl)) != ACME_OK)
		return er;
	er = acme_post(ctx, ctx->dir->new_order, pl, 0, NULL, NULL, &resp);
	json_decref(pl);
	pl = NULL;
	if (er == ACME_ERR_PROBLEM && replaces &&
	    ctx->problem->ptype == ACME_P_ALREADYREPLACED) {
		/* Someone renewed it already: a plain order still works. */
		http_resp_clear(&resp);
		replaces = 0;
		goto again;
	}
	if (er != ACME_OK)
		goto out;
	if (resp.location == NULL || !url_is_https(resp.location) ||
	    strlen(resp.location) > URL_MAX) {
		ctx_detail(ctx, "newOrder answered without an https Location");
		er = ACME_ERR_PROTO;
		goto out;
	}
	if ((er = order_resp(ctx, &resp, resp.location, out)) != ACME_OK)
		goto out;
	free((*out)->replaces);
	(*out)->replaces = NULL;
	if (replaces && ((*out)->replaces = strdup(req->replaces)) == NULL) {
		acme_order_free(*out);
		*out = NULL;
		er = ACME_ERR_NOMEM;
	}
out:
	http_resp_clear(&resp);
	return er;
}

enum acme_err
acme_order_fetch(struct acme_ctx *ctx, const char *url,
    struct acme_order **out)
{
	struct http_resp	 resp;
	enum acme_err		 er;

	*out = NULL;
	er = acme_post(ctx, url, NULL, 0, NULL, NULL, &resp);
	if (er == ACME_OK)
		er = order_resp(ctx, &resp, url, out);
	http_resp_clear(&resp);
	return er;
}

/*
 * See acme.h.  The first read is immediate, later ones follow
 * poll_wait_ms(); a wait that would pass the deadline ends the call with
 * ACME_ERR_TIMEOUT and the last order in *out (its retry_after tells the
 * caller when to come back).
 */
enum acme_err
acme_order_wait(struct acme_ctx *ctx, const char *url, enum acme_status until,
    unsigned max_wait, struct acme_order **out)
{
	struct acme_order	*o = NULL;
	unsigned long long	 deadline;
	unsigned		 attempt, ms;
	enum acme_status	 moving;
	enum acme_err		 er;

	*out = NULL;
	moving = until == ACME_S_READY ? ACME_S_PENDING : ACME_S_PROCESSING;
	deadline = mono_ms() + (unsigned long long)max_wait * 1000ULL;
	for (attempt = 0;; attempt++) {
		if ((er = acme_order_fetch(ctx, url, &o)) != ACME_OK)
			return er;
		if (o->status != moving)
			break;
		ms = o->retry_after > 0 ?
		    (o->retry_after * 1000U) : poll_wait_ms(ctx, NULL, attempt);
		if (mono_ms() + ms > deadline) {
			ctx_detail(ctx, "order still %s after %u s",
			    acme_status_name(o->status), max_wait);
			*out = o;
			return ACME_ERR_TIMEOUT;
		}
		acme_order_free(o);
		o = NULL;
		sleep_ms(ms);
	}
	*out = o;
	return ACME_OK;
}
