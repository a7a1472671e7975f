/*
 * Challenge objects, RFC 8555 section 7.5.1 and 8.  The token is the one
 * CA-supplied string that later becomes part of a URL path, a file name
 * or a DNS value, so it is kept only when it is base64url (8.1, 8.3):
 * "a/b", "..", "$(...)" or a NUL never get past this file.
 */
#include <stdlib.h>
#include <string.h>

#include "extern.h"

void
challenge_clear(struct acme_challenge *c)
{
	if (c == NULL)
		return;
	free(c->url);
	free(c->type_name);
	free(c->token);
	acme_problem_free(c->error);
	memset(c, 0, sizeof(*c));
}

void
acme_challenge_free(struct acme_challenge *c)
{
	challenge_clear(c);
	free(c);
}

/*
 * Fills c from a challenge object.  A token that is not base64url of a
 * sane length leaves c->token NULL (the challenge cannot be answered).
 * Returns ACME_OK, ACME_ERR_PROTO or ACME_ERR_NOMEM; c is cleared by the
 * caller in every case.
 */
enum acme_err
challenge_from_json(const json_t *obj, struct acme_challenge *c)
{
	const char	*s;
	const json_t	*v;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(obj))
		return ACME_ERR_PROTO;
	if ((s = json_str(obj, "type")) == NULL || strlen(s) > 64)
		return ACME_ERR_PROTO;
	c->type = acme_chtype_parse(s);
	if ((c->type_name = strdup(s)) == NULL)
		return ACME_ERR_NOMEM;
	if (json_url(obj, "url", &c->url) == -1 || c->url == NULL)
		return ACME_ERR_PROTO;
	c->status = acme_status_parse(json_str(obj, "status"));
	v = json_object_get(obj, "token");
	if (json_is_string(v) &&
	    strlen(json_string_value(v)) == json_string_length(v) &&
	    acme_b64url_valid(json_string_value(v), TOKEN_MAX) &&
	    (c->token = strdup(json_string_value(v))) == NULL)
		return ACME_ERR_NOMEM;
	if ((s = json_str(obj, "validated")) != NULL &&
	    (c->validated = rfc3339_parse(s)) == (time_t)-1)
		c->validated = 0;
	if ((v = json_object_get(obj, "error")) != NULL &&
	    problem_from_json(v, 0, &c->error) == ACME_ERR_NOMEM)
		return ACME_ERR_NOMEM;
	return ACME_OK;
}

enum acme_err
acme_challenge_parse(const char *body, size_t len,
    struct acme_challenge **out)
{
	struct acme_challenge	*c;
	json_t			*obj;
	enum acme_err		 er;

	*out = NULL;
	if ((obj = json_parse_obj(NULL, body, len)) == NULL)
		return ACME_ERR_JSON;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		json_decref(obj);
		return ACME_ERR_NOMEM;
	}
	er = challenge_from_json(obj, c);
	json_decref(obj);
	if (er != ACME_OK) {
		acme_challenge_free(c);
		return er;
	}
	*out = c;
	return ACME_OK;
}

/*
 * 7.5.1: tells the CA the challenge is ready with an empty JSON object.
 * *out (when out is not NULL) is the challenge as the CA answered.
 */
enum acme_err
acme_challenge_respond(struct acme_ctx *ctx, const char *url,
    struct acme_challenge **out)
{
	struct http_resp	 resp;
	json_t			*pl;
	enum acme_err		 er;

	if (out != NULL)
		*out = NULL;
	if ((pl = json_object()) == NULL)
		return ACME_ERR_NOMEM;
	er = acme_post(ctx, url, pl, 0, NULL, NULL, &resp);
	json_decref(pl);
	if (er == ACME_OK && out != NULL) {
		er = acme_challenge_parse(resp.body, resp.len, out);
		if (er != ACME_OK)
			ctx_detail(ctx, "challenge response is malformed");
	}
	http_resp_clear(&resp);
	return er;
}
