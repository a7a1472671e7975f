/*
 * The directory object, RFC 8555 section 7.1.1: the URLs of the CA's
 * resources and its "meta" data.  Fetched once per context with a plain
 * GET and kept in ctx->dir.  RFC 9773 section 3 adds renewalInfo; the
 * ACME profiles extension adds meta.profiles.
 *
 * The five resources every client needs must be https URLs or the
 * directory is refused.  Optional members of the wrong type or with a
 * bad URL are dropped as if absent, so an oddity in something we may
 * never use does not stop the client.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define DIR_LIST_MAX	64	/* caaIdentities and profiles kept */
#define DIR_TEXT_MAX	1024	/* a profile description */

/*
 * Copies a string member that is at most max bytes without control
 * characters.  Returns 0 (*out NULL when absent or unfit) or -1 (nomem).
 */
static int
dir_text(const json_t *obj, const char *key, size_t max, char **out)
{
	const char	*s, *p;

	*out = NULL;
	if ((s = json_str(obj, key)) == NULL || strlen(s) > max)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	if ((*out = strdup(s)) == NULL)
		return -1;
	return 0;
}

/* Reads meta.caaIdentities: strings only, others skipped; 0 or -1. */
static int
dir_caa(const json_t *arr, struct acme_directory *d)
{
	const json_t	*e;
	size_t		 i, n;

	if (!json_is_array(arr) || (n = json_array_size(arr)) == 0)
		return 0;
	if (n > DIR_LIST_MAX)
		n = DIR_LIST_MAX;
	if ((d->caa = calloc(n, sizeof(*d->caa))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		e = json_array_get(arr, i);
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > 253)
			continue;
		if ((d->caa[d->ncaa] = strdup(json_string_value(e))) == NULL)
			return -1;
		d->ncaa++;
	}
	return 0;
}

/*
 * Reads meta.profiles, an object of profile name to description; pairs
 * whose description is not a string are skipped.  0 or -1 (nomem).
 */
static int
dir_profiles(json_t *obj, struct acme_directory *d)
{
	const char	*name;
	json_t		*v;
	size_t		 n;

	if (!json_is_object(obj) || (n = json_object_size(obj)) == 0)
		return 0;
	if (n > DIR_LIST_MAX)
		n = DIR_LIST_MAX;
	d->profiles = calloc(n, sizeof(*d->profiles));
	d->profile_desc = calloc(n, sizeof(*d->profile_desc));
	if (d->profiles == NULL || d->profile_desc == NULL)
		return -1;
	json_object_foreach(obj, name, v) {
		if (d->nprofiles == n)
			break;
		if (!json_is_string(v) || strlen(name) == 0 ||
		    strlen(name) > 64 || json_string_length(v) > DIR_TEXT_MAX)
			continue;
		d->profiles[d->nprofiles] = strdup(name);
		d->profile_desc[d->nprofiles] = strdup(json_string_value(v));
		d->nprofiles++;
		if (d->profiles[d->nprofiles - 1] == NULL ||
		    d->profile_desc[d->nprofiles - 1] == NULL)
			return -1;
	}
	return 0;
}

/*
 * Parses a directory body into *out, noting in ctx's detail (ctx may be
 * NULL) what was wrong.  Returns ACME_OK with *out the caller's,
 * ACME_ERR_JSON, ACME_ERR_PROTO (a required URL missing or not https)
 * or ACME_ERR_NOMEM.
 */
static enum acme_err
dir_parse(struct acme_ctx *ctx, const char *body, size_t len,
    struct acme_directory **out)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} req[] = {
		{ "newNonce", offsetof(struct acme_directory, new_nonce) },
		{ "newAccount", offsetof(struct acme_directory, new_account) },
		{ "newOrder", offsetof(struct acme_directory, new_order) },
		{ "revokeCert", offsetof(struct acme_directory, revoke_cert) },
		{ "keyChange", offsetof(struct acme_directory, key_change) },
	};
	struct acme_directory	*d = NULL;
	json_t			*obj = NULL;
	const json_t		*meta, *eab;
	char			**slot;
	size_t			 i;
	enum acme_err		 rc = ACME_ERR_NOMEM;

	*out = NULL;
	if ((obj = json_parse_obj(ctx, body, len)) == NULL) {
		rc = ACME_ERR_JSON;
		goto out;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto out;
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		slot = (char **)(void *)((char *)d + req[i].off);
		if (json_url(obj, req[i].key, slot) == -1 || *slot == NULL) {
			ctx_detail(ctx, "directory: %s missing or not an "
			    "https URL", req[i].key);
			rc = ACME_ERR_PROTO;
			goto out;
		}
	}
	/* Optional: a bad value counts as absent. */
	if (json_url(obj, "newAuthz", &d->new_authz) == -1)
		d->new_authz = NULL;
	if (json_url(obj, "renewalInfo", &d->renewal_info) == -1)
		d->renewal_info = NULL;

	if (json_is_object(meta = json_object_get(obj, "meta"))) {
		/* Not https-only: Pebble's terms are a data: URL. */
		if (dir_text(meta, "termsOfService", URL_MAX, &d->tos) == -1 ||
		    dir_text(meta, "website", URL_MAX, &d->website) == -1 ||
		    dir_caa(json_object_get(meta, "caaIdentities"), d) == -1 ||
		    dir_profiles(json_object_get(meta, "profiles"), d) == -1)
			goto out;
		eab = json_object_get(meta, "externalAccountRequired");
		d->eab_required = json_is_true(eab);
	}
	*out = d;
	d = NULL;
	rc = ACME_OK;
out:
	if (rc == ACME_ERR_NOMEM)
		ctx_detail(ctx, "directory: out of memory");
	acme_directory_free(d);
	json_decref(obj);
	return rc;
}

/* Parses a directory body; see dir_parse().  *out is the caller's. */
enum acme_err
acme_directory_parse(const char *body, size_t len,
    struct acme_directory **out)
{

	if (out == NULL)
		return ACME_ERR_ARG;
	return dir_parse(NULL, body, len, out);
}

/* Frees d and all it holds; NULL-safe. */
void
acme_directory_free(struct acme_directory *d)
{

	if (d == NULL)
		return;
	free(d->new_nonce);
	free(d->new_account);
	free(d->new_order);
	free(d->new_authz);
	free(d->revoke_cert);
	free(d->key_change);
	free(d->renewal_info);
	free(d->tos);
	free(d->website);
	strv_free(d->caa, d->ncaa);
	strv_free(d->profiles, d->nprofiles);
	strv_free(d->profile_desc, d->nprofiles);
	free(d);
}

/*
 * Fetches the directory (GET, 7.1.1) the first time and keeps it in
 * ctx->dir; later calls return at once.  A problem document answer
 * gives ACME_ERR_PROBLEM (acme_problem_get()), another non-200 status
 * ACME_ERR_PROTO.  Returns ACME_OK or the error of the request or parse.
 */
enum acme_err
acme_directory_fetch(struct acme_ctx *ctx)
{
	struct http_resp	 resp;
	enum acme_err		 rc;

	if (ctx == NULL)
		return ACME_ERR_ARG;
	if (ctx->dir != NULL)
		return ACME_OK;
	memset(&resp, 0, sizeof(resp));
	if ((rc = http_get(ctx, ctx->dir_url, "application/json", &resp)) !=
	    ACME_OK)
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
		ctx_detail(ctx, "directory: HTTP %ld", resp.status);
		goto out;
	}
	rc = dir_parse(ctx, resp.body, resp.len, &ctx->dir);
out:
	http_resp_clear(&resp);
	return rc;
}

/* The fetched directory or NULL; borrowed from ctx. */
const struct acme_directory *
acme_directory_get(const struct acme_ctx *ctx)
{

	return ctx == NULL ? NULL : ctx->dir;
}
