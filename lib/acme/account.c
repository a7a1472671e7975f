/*
 * Account resources, RFC 8555 section 7.3: newAccount (with External
 * Account Binding and onlyReturnExisting), fetch, update, deactivate.
 * Key rollover lives in keychange.c.
 */
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/* Most contacts we send or accept. */
#define CONTACT_MAX	32

void
acme_account_free(struct acme_account *a)
{
	if (a == NULL)
		return;
	free(a->url);
	strv_free(a->contact, a->ncontact);
	free(a->orders);
	free(a);
}

/*
 * Parses an account object (7.1.2) answered for url.
 * Returns ACME_OK and *out (the caller's), or an error.
 */
static enum acme_err
account_parse(struct acme_ctx *ctx, const struct http_resp *resp,
    const char *url, struct acme_account **out)
{
	struct acme_account	*a = NULL;
	json_t			*obj = NULL, *c, *v;
	size_t			 i;
	enum acme_err		 er = ACME_ERR_PROTO;

	*out = NULL;
	if ((obj = json_parse_obj(ctx, resp->body, resp->len)) == NULL)
		return ACME_ERR_JSON;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->url = strdup(url)) == NULL) {
		er = ACME_ERR_NOMEM;
		goto out;
	}
	a->status = acme_status_parse(json_str(obj, "status"));
	if (json_str(obj, "status") == NULL) {
		ctx_detail(ctx, "account without a status");
		goto out;
	}
	if (json_url(obj, "orders", &a->orders) == -1) {
		ctx_detail(ctx, "account orders URL is not https");
		goto out;
	}
	if ((c = json_object_get(obj, "contact")) != NULL) {
		if (!json_is_array(c) || json_array_size(c) > CONTACT_MAX) {
			ctx_detail(ctx, "account contact is not a short array");
			goto out;
		}
		a->contact = calloc(json_array_size(c) + 1, sizeof(char *));
		if (a->contact == NULL) {
			er = ACME_ERR_NOMEM;
			goto out;
		}
		json_array_foreach(c, i, v) {
			if (!json_is_string(v)) {
				ctx_detail(ctx, "account contact not a string");
				goto out;
			}
			if ((a->contact[a->ncontact] =
			    strdup(json_string_value(v))) == NULL) {
				er = ACME_ERR_NOMEM;
				goto out;
			}
			a->ncontact++;
		}
	}
	a->created = resp->status == 201;
	*out = a;
	a = NULL;
	er = ACME_OK;
out:
	json_decref(obj);
	acme_account_free(a);
	return er;
}

/* Builds a JSON array of contact strings, or NULL. */
static json_t *
contacts_json(const char *const *contact, size_t n)
{
	json_t	*arr;
	size_t	 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (contact[i] == NULL ||
		    json_array_append_new(arr, json_string(contact[i])) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

/*
 * newAccount (7.3), signed with the jwk of the context key.
 * On success the context's kid is the account URL from Location.
 */
enum acme_err
acme_account_new(struct acme_ctx *ctx, const struct acme_account_req *req,
    struct acme_account **out)
{
	const struct acme_directory	*d;
	struct http_resp		 resp;
	json_t				*pl = NULL, *eab = NULL, *c;
	enum acme_err			 er;

	memset(&resp, 0, sizeof(resp));
	*out = NULL;
	if (ctx->key == NULL || req == NULL || req->ncontact > CONTACT_MAX)
		return ACME_ERR_ARG;
	if ((er = acme_directory_fetch(ctx)) != ACME_OK)
		return er;
	d = ctx->dir;
	if ((pl = json_object()) == NULL)
		return ACME_ERR_NOMEM;
	er = ACME_ERR_NOMEM;
	if (req->ncontact > 0) {
		if ((c = contacts_json(req->contact, req->ncontact)) == NULL ||
		    json_object_set_new(pl, "contact", c) != 0)
			goto out;
	}
	if (req->tos_agreed &&
	    json_object_set_new(pl, "termsOfServiceAgreed", json_true()) != 0)
		goto out;
	if (req->only_existing &&
	    json_object_set_new(pl, "onlyReturnExisting", json_true()) != 0)
		goto out;
	if (req->eab_kid != NULL && req->eab_hmac != NULL) {
		/* 7.3.4: the binding signs our JWK with the CA's MAC key. */
		if ((er = jws_eab(req->eab_kid, req->eab_hmac, ctx->key,
		    d->new_account, &eab)) != ACME_OK)
			goto out;
		if (json_object_set_new(pl, "externalAccountBinding", eab)) {
			er = ACME_ERR_NOMEM;
			goto out;
		}
	}
	if ((er = acme_post(ctx, d->new_account, pl, 1, NULL, NULL,
	    &resp)) != ACME_OK)
		goto out;
	if (resp.location == NULL || !url_is_https(resp.location) ||
	    strlen(resp.location) > URL_MAX) {
		ctx_detail(ctx, "newAccount answered without an https "
		    "Location");
		er = ACME_ERR_PROTO;
		goto out;
	}
	if ((er = account_parse(ctx, &resp, resp.location, out)) != ACME_OK)
		goto out;
	free(ctx->kid);
	if ((ctx->kid = strdup(resp.location)) == NULL) {
		acme_account_free(*out);
		*out = NULL;
		er = ACME_ERR_NOMEM;
	}
out:
	json_decref(pl);
	http_resp_clear(&resp);
	return er;
}

/* POSTs payload (NULL: POST-as-GET) to the account URL and parses it. */
static enum acme_err
account_post(struct acme_ctx *ctx, json_t *payload, struct acme_account **out)
{
	struct http_resp	 resp;
	enum acme_err		 er;

	*out = NULL;
	if (ctx->kid == NULL)
		return ACME_ERR_ARG;
	er = acme_post(ctx, ctx->kid, payload, 0, NULL, NULL, &resp);
	if (er == ACME_OK)
		er = account_parse(ctx, &resp, ctx->kid, out);
	http_resp_clear(&resp);
	return er;
}

enum acme_err
acme_account_fetch(struct acme_ctx *ctx, struct acme_account **out)
{
	return account_post(ctx, NULL, out);
}

/* 7.3.2: replaces the contact list. */
enum acme_err
acme_account_update(struct acme_ctx *ctx, const char *const *contact,
    size_t ncontact, struct acme_account **out)
{
	json_t		*pl, *c;
	enum acme_err	 er;

	*out = NULL;
	if (ncontact > CONTACT_MAX || (ncontact > 0 && contact == NULL))
		return ACME_ERR_ARG;
	if ((pl = json_object()) == NULL)
		return ACME_ERR_NOMEM;
	if ((c = contacts_json(contact, ncontact)) == NULL ||
	    json_object_set_new(pl, "contact", c) != 0) {
		json_decref(pl);
		return ACME_ERR_NOMEM;
	}
	er = account_post(ctx, pl, out);
	json_decref(pl);
	return er;
}

/* 7.3.6: deactivation; the CA refuses the account's requests after it. */
enum acme_err
acme_account_deactivate(struct acme_ctx *ctx, struct acme_account **out)
{
	json_t		*pl;
	enum acme_err	 er;

	*out = NULL;
	if ((pl = json_pack("{s:s}", "status", "deactivated")) == NULL)
		return ACME_ERR_NOMEM;
	er = account_post(ctx, pl, out);
	json_decref(pl);
	if (er == ACME_OK && (*out)->status != ACME_S_DEACTIVATED) {
		ctx_detail(ctx, "account is %s after deactivation",
		    acme_status_name((*out)->status));
		er = ACME_ERR_STATE;
	}
	return er;
}
