/*
 * Orders: what the pages say in plain words.  The CA's problems (RFC 8555
 * 6.7, RFC 7807) become one sentence each that tells what to fix, for
 * the problem and for each subproblem; names worth adding become a tip;
 * times are shown in UTC.  Shared by orders.c and order_view.c
 * (orders.h).  The CA's own text is kept beside ours, and the templates
 * escape both.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "orders.h"

#define PROBLEM_URN		"urn:ietf:params:acme:error:"

/* ------------------------------------------------------------------ */
/* Times and suggestions.                                               */

static int
name_in(const char *name, char *const *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Names worth adding: "example.com" for "www.example.com" or
 * "*.example.com" when it is missing.  A new array (maybe empty).
 */
json_t *
order_text_suggest(char *const *v, size_t n)
{
	json_t		*a = json_array();
	const char	*base;
	size_t		 i, j;
	int		 dup;

	for (i = 0; a != NULL && i < n; i++) {
		if (strncmp(v[i], "www.", 4) == 0)
			base = v[i] + 4;
		else if (strncmp(v[i], "*.", 2) == 0)
			base = v[i] + 2;
		else
			continue;
		/* Only a registrable-looking parent: "a.b", not "com". */
		if (strchr(base, '.') == NULL || name_in(base, v, n))
			continue;
		for (dup = 0, j = 0; j < json_array_size(a); j++)
			if (strcmp(json_string_value(json_array_get(a, j)),
			    base) == 0)
				dup = 1;
		if (!dup)
			json_array_append_new(a, json_string(base));
	}
	return a;
}

/* The suggestions as one sentence for the pages, or NULL. */
json_t *
order_text_suggestions(const json_t *s)
{
	struct resp	 b;
	json_t		*t;
	size_t		 i, n = json_array_size(s);

	if (n == 0)
		return NULL;
	memset(&b, 0, sizeof(b));
	resp_puts(&b, "Tip: this certificate would not cover ");
	for (i = 0; i < n; i++) {
		if (i > 0)
			resp_puts(&b, i + 1 == n ? " or " : ", ");
		resp_puts(&b, json_string_value(json_array_get(s, i)));
	}
	resp_puts(&b, n == 1 ? ". Add it to the names if visitors use it "
	    "too." : ". Add them to the names if visitors use them too.");
	t = b.failed ? NULL : json_string(b.body);
	resp_clear(&b);
	return t;
}

/* ------------------------------------------------------------------ */
/* The CA's problems in plain words.                                    */

static enum acme_ptype
ptype_of(const json_t *p)
{
	const char	*t = json_string_value(json_object_get(p, "urn"));
	char		 urn[128];

	if (t != NULL)
		return acme_ptype_parse(t);
	if ((t = json_string_value(json_object_get(p, "type"))) == NULL)
		return ACME_P_UNKNOWN;
	if (strncmp(t, PROBLEM_URN, sizeof(PROBLEM_URN) - 1) == 0)
		return acme_ptype_parse(t);
	snprintf(urn, sizeof(urn), "%s%s", PROBLEM_URN, t);
	return acme_ptype_parse(urn);
}

/* The http-01 URL the CA fetches (RFC 8555 8.3); IPv6 in brackets. */
void
order_text_http01_url(const char *name, const char *token, char *buf,
    size_t len)
{
	snprintf(buf, len, strchr(name, ':') != NULL ?
	    "http://[%s]/.well-known/acme-challenge/%s" :
	    "http://%s/.well-known/acme-challenge/%s", name,
	    token != NULL ? token : "\xe2\x80\xa6");
}

/*
 * One sentence for a problem of type t about name (NULL: unknown), met
 * while validating with ct (token: the http-01 token, or NULL).
 */
static void
problem_sentence(enum acme_ptype t, const char *name, enum acme_chtype ct,
    const char *token, int64_t retry, char *buf, size_t len)
{
	const char	*n = name != NULL ? name : "the name";
	char		 url[512], when[21];

	if (name != NULL && strncmp(name, "*.", 2) == 0)
		name += 2;	/* validated on the base name */
	switch (t) {
	case ACME_P_CONNECTION:
		if (ct == ACME_CH_DNS01)
			snprintf(buf, len, "The CA could not reach the DNS "
			    "servers of %s.", n);
		else {
			order_text_http01_url(name != NULL ? name : "NAME",
			    token, url, sizeof(url));
			snprintf(buf, len, "The CA could not connect to your "
			    "server to check %s. Make sure %s points to this "
			    "server and port 80 is open to the internet.",
			    url, n);
		}
		break;
	case ACME_P_DNS:
		if (ct == ACME_CH_DNS01)
			snprintf(buf, len, "The CA found no TXT record at "
			    "_acme-challenge.%s (or could not look it up). "
			    "Create the record the challenges page shows, "
			    "wait until DNS has it, then try again.",
			    name != NULL ? name : "NAME");
		else
			snprintf(buf, len, "The CA could not look %s up in "
			    "DNS. Check that the name exists and has an A or "
			    "AAAA record pointing to this server.", n);
		break;
	case ACME_P_INCORRECTRESPONSE:
	case ACME_P_UNAUTHORIZED:
		if (ct == ACME_CH_DNS01)
			snprintf(buf, len, "The CA did not find the expected "
			    "TXT record at _acme-challenge.%s: the record is "
			    "missing, not visible yet from the internet, or "
			    "holds a different value.",
			    name != NULL ? name : "NAME");
		else {
			order_text_http01_url(name != NULL ? name : "NAME",
			    token, url, sizeof(url));
			snprintf(buf, len, "The CA fetched %s but did not get "
			    "the expected content. Another server or a "
			    "redirect may be answering for %s.", url, n);
		}
		break;
	case ACME_P_RATELIMITED:
		if (retry > 0)
			snprintf(buf, len, "The CA's rate limit was reached. "
			    "Try again after %s (UTC).",
			    panel_time_iso((time_t)retry, when));
		else
			snprintf(buf, len, "The CA's rate limit was reached. "
			    "Try again later.");
		break;
	case ACME_P_REJECTEDIDENTIFIER:
		snprintf(buf, len, "The CA will not issue a certificate for "
		    "%s: its policy forbids this name.", n);
		break;
	case ACME_P_UNSUPPORTEDIDENTIFIER:
		snprintf(buf, len, "The CA does not issue certificates for "
		    "this kind of name (%s).", n);
		break;
	case ACME_P_CAA:
		snprintf(buf, len, "A CAA record in the DNS of %s does not "
		    "allow this CA to issue. Add the CA to the CAA record or "
		    "remove the restriction.", n);
		break;
	case ACME_P_TLS:
		snprintf(buf, len, "The CA had a TLS problem while "
		    "connecting to %s.", n);
		break;
	case ACME_P_SERVERINTERNAL:
		snprintf(buf, len, "The CA had an internal error. Try again "
		    "later.");
		break;
	case ACME_P_BADCSR:
		snprintf(buf, len, "The CA refused the certificate request "
		    "(CSR).");
		break;
	case ACME_P_ORDERNOTREADY:
		snprintf(buf, len, "The order was not ready: every name must "
		    "be validated first.");
		break;
	case ACME_P_ACCOUNTDOESNOTEXIST:
		snprintf(buf, len, "The CA does not know this account any "
		    "more. Register a new CA account.");
		break;
	case ACME_P_USERACTIONREQUIRED:
		snprintf(buf, len, "The CA needs you to act first, for "
		    "example to accept new terms of service.");
		break;
	case ACME_P_EXTERNALACCOUNTREQUIRED:
		snprintf(buf, len, "This CA needs an account registered with "
		    "External Account Binding.");
		break;
	case ACME_P_COMPOUND:
		snprintf(buf, len, "Several names failed; see each below.");
		break;
	case ACME_P_MALFORMED:
		snprintf(buf, len, "The CA found the request malformed.");
		break;
	default:
		snprintf(buf, len, "The CA refused the request.");
		break;
	}
}

/* The http-01 token the order uses for name, or NULL (borrowed). */
static const char *
order_token(const struct store_order *o, const char *name)
{
	size_t	 i;

	for (i = 0; o != NULL && name != NULL && i < o->nauthz; i++)
		if (strcmp(o->authz[i].identifier, name) == 0 &&
		    o->authz[i].nch > 0)
			return o->authz[i].ch[0].token;
	return NULL;
}

/*
 * A stored problem (JSON text as ops_problem_json writes it) explained:
 * the parsed problem plus "message" (plain words) and, for each
 * subproblem, its own "message".  name: the identifier it is about, if
 * known.  New reference, or NULL when error is NULL or unreadable.
 */
json_t *
order_text_problem(const char *error, const struct store_order *o,
    const char *name, const char *token)
{
	json_t		*p, *subs, *s;
	const char	*sn;
	size_t		 i;
	char		 msg[768];
	enum acme_chtype ct = o != NULL ? o->challenge_type : ACME_CH_HTTP01;
	int64_t		 retry;

	if (error == NULL)
		return NULL;
	if ((p = panel_json_load(error)) == NULL ||
	    !json_is_object(p)) {
		json_decref(p);
		return json_pack("{s:s,s:s}", "message", "The CA reported a "
		    "problem.", "detail", error);
	}
	retry = json_integer_value(json_object_get(p, "retry_after"));
	subs = json_object_get(p, "subproblems");
	if (name == NULL && json_array_size(subs) > 0)
		name = json_string_value(json_object_get(json_array_get(subs,
		    0), "identifier"));
	if (name == NULL && o != NULL && o->ndomains == 1)
		name = o->domains[0];
	if (token == NULL)
		token = order_token(o, name);
	problem_sentence(ptype_of(p), name, ct, token, retry, msg,
	    sizeof(msg));
	json_object_set_new(p, "message", json_string(msg));
	if (retry > 0)
		json_object_set_new(p, "retry_after_text",
		    page_time(retry, 1));
	json_array_foreach(subs, i, s) {
		sn = json_string_value(json_object_get(s, "identifier"));
		problem_sentence(ptype_of(s), sn, ct, order_token(o, sn), 0,
		    msg, sizeof(msg));
		json_object_set_new(s, "message", json_string(msg));
	}
	return p;
}

/*
 * Adds the explained problem to a page object: error_text (plain words),
 * error_detail (the CA's own text: the template escapes it) and
 * error_sub [{identifier, detail}].
 */
void
order_text_problem_page(json_t *out, const char *error,
    const struct store_order *o, const char *name, const char *token)
{
	json_t		*p, *subs, *s, *l;
	const char	*d;
	size_t		 i;
	char		 line[1024];

	if ((p = order_text_problem(error, o, name, token)) == NULL)
		return;
	json_object_set(out, "error_text", json_object_get(p, "message"));
	if ((d = json_string_value(json_object_get(p, "detail"))) != NULL)
		json_object_set_new(out, "error_detail", json_string(d));
	subs = json_object_get(p, "subproblems");
	if (json_array_size(subs) > 0 && (l = json_array()) != NULL) {
		json_array_foreach(subs, i, s) {
			d = json_string_value(json_object_get(s, "detail"));
			snprintf(line, sizeof(line), "%s%s%s",
			    json_string_value(json_object_get(s, "message")),
			    d != NULL ? " The CA said: " : "",
			    d != NULL ? d : "");
			json_array_append_new(l, json_pack("{s:s,s:s}",
			    "identifier", json_string_value(json_object_get(s,
			    "identifier")) ? json_string_value(
			    json_object_get(s, "identifier")) : "",
			    "detail", line));
		}
		json_object_set_new(out, "has_error_sub", json_true());
		json_object_set_new(out, "error_sub", l);
	}
	json_decref(p);
}
