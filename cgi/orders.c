/*
 * Orders: list (filter, keyset pages), form, placing an order, detail
 * with history and the CA's problems in plain words, what to deploy for
 * each authorization, responding to a challenge, finalizing.
 *
 * Every input goes through valid_field() before anything is written.
 * Store getters are owner-checked: someone else's order is a 404.  The
 * ACME work and its audit rows are ops_*'s; viewing the challenges (the
 * key authorizations) is audited here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pages.h"

/*
 * The local guard in front of the CA's limits (Let's Encrypt's are the
 * model): certificates for one exact set of names per week, and failed
 * validations per account and name per hour.
 */
#define GUARD_DUP_MAX		5
#define GUARD_DUP_WINDOW	(7 * 86400)
#define GUARD_FAIL_MAX		5
#define GUARD_FAIL_WINDOW	3600
#define GUARD_SCAN_MAX		5000	/* rows read at most per check */
#define ORDER_LIFE_MAX		(8 * 86400) /* orders older cannot fail now */

#define PROBLEM_URN		"urn:ietf:params:acme:error:"

static const char *const keytype_labels[] = {
	[ACME_KEY_EC256] = "EC P-256 (recommended)",
	[ACME_KEY_EC384] = "EC P-384",
	[ACME_KEY_RSA2048] = "RSA 2048",
	[ACME_KEY_RSA3072] = "RSA 3072",
	[ACME_KEY_RSA4096] = "RSA 4096",
};
_Static_assert(sizeof(keytype_labels) / sizeof(keytype_labels[0]) ==
    ACME_KEY__MAX, "keytype_labels");

/* What each order status means to the user. */
static const char *const status_help[] = {
	[STORE_ORD_INVALID] = "Failed: see the CA's explanation below. Fix "
	    "the cause, then place a new order.",
	[STORE_ORD_NEW] = "Not sent to the CA yet; the panel places it "
	    "shortly.",
	[STORE_ORD_PENDING] = "Waiting for validation: deploy what the "
	    "challenges page shows, then tell the CA.",
	[STORE_ORD_READY] = "Every name is validated: finalize to get the "
	    "certificate.",
	[STORE_ORD_PROCESSING] = "The CA is issuing the certificate.",
	[STORE_ORD_VALID] = "Issued: the certificate is ready to download.",
	[STORE_ORD_EXPIRED] = "The order expired before it was completed; "
	    "place a new one.",
	[STORE_ORD_CANCELED] = "Canceled.",
};
_Static_assert(sizeof(status_help) / sizeof(status_help[0]) ==
    STORE_ORD__MAX, "status_help");

/* The order form's values as typed (borrowed). */
struct ord_form {
	const char	*account_id;
	const char	*domains;
	const char	*key_type;
	const char	*challenge_type;
	int		 autom;
	int		 auto_renew;
	int		 show_override;
	json_t		*suggestions;	/* borrowed array, or NULL */
};

/* ------------------------------------------------------------------ */
/* Small helpers.                                                       */

/*
 * valid_field() for field; when valid.c's table does not know field,
 * the validator of alias (same kind) is used, the error still naming
 * field.  PANEL_OK, PANEL_ERR_INVALID (ve filled) or another error.
 */
static enum panel_err
check_field(struct rq *rq, const char *field, const char *alias,
    const char *input, struct valid_value *v, struct valid_error *ve)
{
	enum panel_err	 pe;

	memset(v, 0, sizeof(*v));
	memset(ve, 0, sizeof(*ve));
	pe = valid_field(field, input, rq->pn->cfg, v, ve);
	if (pe == PANEL_ERR_ARG && alias != NULL) {
		valid_value_clear(v);
		memset(v, 0, sizeof(*v));
		pe = valid_field(alias, input, rq->pn->cfg, v, ve);
	}
	if (pe == PANEL_ERR_INVALID) {
		ve->field = field;
		if (ve->msg[0] == '\0')
			snprintf(ve->msg, sizeof(ve->msg), "This value is "
			    "not accepted.");
	} else if (pe != PANEL_OK)
		fprintf(stderr, "acme.fcgi: valid_field %s: %s\n", field,
		    panel_strerror(pe));
	return pe;
}

static int
blank(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

/*
 * Answers a store failure: 404 for NOTFOUND (someone else's row looks
 * exactly like a missing one; the attempt is audited as a denial), 503
 * when busy, else 500.
 */
static void
store_fail(struct rq *rq, enum panel_err pe, const char *what)
{
	if (pe == PANEL_ERR_NOTFOUND) {
		page_audit(rq, "access", rq->req->path, "denied",
		    "no such object for this user");
		page_error(rq, 404, "not_found", what, NULL);
	}
	else if (pe == PANEL_ERR_BUSY)
		page_error(rq, 503, "busy", "The panel is busy. Try again "
		    "in a moment.", NULL);
	else {
		fprintf(stderr, "acme.fcgi: store: %s: %s\n",
		    panel_strerror(pe), store_errmsg(rq->pn->st));
		page_error(rq, 500, "internal", "The database could not be "
		    "read or written.", NULL);
	}
}

/* UTC time for pages ("2025-01-31 12:00") or the API (ISO 8601). */
static json_t *
time_json(int64_t t, int iso)
{
	char		 buf[32];
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t <= 0)
		return json_null();
	if (iso)
		return json_string(panel_time_iso(tt, buf));
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm) == 0)
		return json_null();
	return json_string(buf);
}

static json_t *
keytypes_json(enum acme_keytype sel)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; a != NULL && i < ACME_KEY__MAX; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "value",
		    acme_keytype_name((enum acme_keytype)i), "label",
		    keytype_labels[i], "selected", i == (int)sel));
	return a;
}

static json_t *
strv_json(char *const *v, size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The names joined by ", " (new reference). */
static json_t *
names_text(char *const *v, size_t n)
{
	struct resp	 b;
	json_t		*s;
	size_t		 i;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		if (i > 0)
			resp_puts(&b, ", ");
		resp_puts(&b, v[i]);
	}
	s = json_string(b.body != NULL && !b.failed ? b.body : "");
	resp_clear(&b);
	return s;
}

static int
name_in(const char *name, char *const *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return 1;
	return 0;
}

/* 1 when a and b hold the same names (each list has no duplicates). */
static int
same_names(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t	 i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!name_in(a[i], b, nb))
			return 0;
	return 1;
}

/* The CA's name for an account: preset label, else the URL's host. */
static void
ca_name(const struct store_account *a, char *buf, size_t len)
{
	const struct panel_preset	*p;
	const char			*h;
	size_t				 n;

	if (a->ca_preset != NULL &&
	    (p = panel_preset_get(a->ca_preset)) != NULL) {
		snprintf(buf, len, "%s", p->label);
		return;
	}
	h = a->ca_url != NULL ? a->ca_url : "";
	if (strncmp(h, "https://", 8) == 0)
		h += 8;
	n = strcspn(h, "/?#");
	snprintf(buf, len, "%.*s", (int)(n > 200 ? 200 : n), h);
}

/*
 * Names worth adding: "example.com" for "www.example.com" or
 * "*.example.com" when it is missing.  A new array (maybe empty).
 */
static json_t *
suggest_names(char *const *v, size_t n)
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
static json_t *
suggest_text(const json_t *s)
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
static void
http01_url(const char *name, const char *token, char *buf, size_t len)
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
			http01_url(name != NULL ? name : "NAME", token, url,
			    sizeof(url));
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
			http01_url(name != NULL ? name : "NAME", token, url,
			    sizeof(url));
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
static json_t *
problem_explain(const char *error, const struct store_order *o,
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
	if ((p = json_loads(error, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
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
		    time_json(retry, 1));
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
static void
problem_page(json_t *out, const char *error, const struct store_order *o,
    const char *name, const char *token)
{
	json_t		*p, *subs, *s, *l;
	const char	*d;
	size_t		 i;
	char		 line[1024];

	if ((p = problem_explain(error, o, name, token)) == NULL)
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

/* ------------------------------------------------------------------ */
/* Orders as JSON and as page data.                                     */

/* One challenge as the API shows it (DESIGN.md). */
static json_t *
challenge_json(const struct store_order *o, const struct store_authz *a,
    const struct store_challenge *c)
{
	json_t	*j, *h = json_null(), *d = json_null(), *e;
	char	 path[320], url[512];
	int	 tok_ok = c->token != NULL && acme_b64url_valid(c->token, 256);

	if (c->type == ACME_CH_HTTP01 && tok_ok) {
		const char *name = a->identifier + (a->wildcard &&
		    strncmp(a->identifier, "*.", 2) == 0 ? 2 : 0);

		snprintf(path, sizeof(path), "/.well-known/acme-challenge/%s",
		    c->token);
		http01_url(name, c->token, url, sizeof(url));
		json_decref(h);
		h = json_pack("{s:s,s:s?,s:s}", "path", path, "content",
		    c->key_authorization, "url", url);
	} else if (c->type == ACME_CH_DNS01) {
		json_decref(d);
		d = json_pack("{s:s?,s:s?,s:s}", "name", c->dns_name, "value",
		    c->dns_value, "type", "TXT");
	}
	e = problem_explain(c->error, o, a->identifier, c->token);
	j = json_pack("{s:I,s:s,s:s,s:s?,s:o,s:o,s:o,s:o}",
	    "id", (json_int_t)c->id,
	    "type", acme_chtype_name(c->type),
	    "status", acme_status_name(c->status),
	    "token", tok_ok ? c->token : NULL,
	    "http01", h,
	    "dns01", d,
	    "error", e != NULL ? e : json_null(),
	    "updated", time_json(c->updated, 1));
	return j;
}

/*
 * An order as the API shows it: DESIGN.md's shape {"id","status",
 * "domains","account_id","authorizations","certificate_id","error"} plus
 * the settings and times.  authorizations only when the order was read
 * with them (store_order_get).  New reference or NULL.
 */
static json_t *
order_json(const struct store_order *o, int with_authz)
{
	json_t	*j, *azs, *chs, *e;
	size_t	 i, k;

	e = problem_explain(o->error, o, NULL, NULL);
	j = json_pack("{s:I,s:s,s:o,s:I,s:o,s:o,s:s,s:s,s:b,s:b,s:o,s:o,"
	    "s:o,s:o}",
	    "id", (json_int_t)o->id,
	    "status", store_ord_status_name(o->status),
	    "domains", strv_json(o->domains, o->ndomains),
	    "account_id", (json_int_t)o->account_id,
	    "certificate_id", o->certificate_id > 0 ?
	    json_integer((json_int_t)o->certificate_id) : json_null(),
	    "error", e != NULL ? e : json_null(),
	    "challenge_type", acme_chtype_name(o->challenge_type),
	    "key_type", acme_keytype_name(o->key_type),
	    "auto", o->autom,
	    "auto_renew", o->auto_renew,
	    "created", time_json(o->created, 1),
	    "updated", time_json(o->updated, 1),
	    "expires", time_json(o->expires, 1),
	    "renews", o->renews > 0 ? json_integer((json_int_t)o->renews) :
	    json_null());
	if (j == NULL || !with_authz)
		return j;
	if ((azs = json_array()) == NULL)
		return j;
	for (i = 0; i < o->nauthz; i++) {
		const struct store_authz *a = &o->authz[i];

		if ((chs = json_array()) == NULL)
			break;
		for (k = 0; k < a->nch; k++)
			json_array_append_new(chs, challenge_json(o, a,
			    &a->ch[k]));
		e = problem_explain(a->error, o, a->identifier,
		    a->nch > 0 ? a->ch[0].token : NULL);
		json_array_append_new(azs, json_pack("{s:I,s:s,s:s,s:b,s:o,"
		    "s:o,s:o}",
		    "id", (json_int_t)a->id,
		    "identifier", a->identifier,
		    "status", acme_status_name(a->status),
		    "wildcard", a->wildcard,
		    "expires", time_json(a->expires, 1),
		    "error", e != NULL ? e : json_null(),
		    "challenges", chs));
	}
	json_object_set_new(j, "authorizations", azs);
	return j;
}

/* The order's summary for pages (list rows and the detail's top). */
static json_t *
order_page(const struct store_order *o)
{
	json_t	*j;

	j = json_pack("{s:I,s:o,s:s,s:s,s:I,s:s,s:s,s:b,s:b,s:o,s:o,s:b,"
	    "s:b}",
	    "id", (json_int_t)o->id,
	    "domains_text", names_text(o->domains, o->ndomains),
	    "status", store_ord_status_name(o->status),
	    "status_help", status_help[o->status],
	    "account_id", (json_int_t)o->account_id,
	    "challenge_type", acme_chtype_name(o->challenge_type),
	    "key_type", acme_keytype_name(o->key_type),
	    "auto", o->autom,
	    "auto_renew", o->auto_renew,
	    "created", time_json(o->created, 0),
	    "updated", time_json(o->updated, 0),
	    "pending", o->status == STORE_ORD_PENDING,
	    "ready", o->status == STORE_ORD_READY);
	if (j != NULL && o->certificate_id > 0) {
		json_object_set_new(j, "certificate_id",
		    json_integer((json_int_t)o->certificate_id));
		json_object_set_new(j, "has_certificate", json_true());
	}
	return j;
}

/* The JSON answer with one order (read again, with authorizations). */
static void
order_reply(struct rq *rq, int status, int64_t id, json_t *extra)
{
	struct store_order	*o = NULL;
	enum panel_err		 pe;
	json_t			*j;
	char			 loc[64];

	if ((pe = store_order_get(rq->pn->st, id, auth_owner(rq->user),
	    &o)) != PANEL_OK) {
		json_decref(extra);
		store_fail(rq, pe, "No such order.");
		return;
	}
	j = order_json(o, 1);
	if (j != NULL && extra != NULL)
		json_object_update(j, extra);
	json_decref(extra);
	if (status == 201) {
		snprintf(loc, sizeof(loc), "/acme/orders/%lld", (long long)id);
		resp_header(rq->resp, "Location", loc);
	}
	resp_json(rq->resp, status, j);
	store_order_free(o);
}

/* ------------------------------------------------------------------ */
/* GET /acme/orders                                                     */

void
orders_list(struct rq *rq)
{
	struct store_order_filter	 f;
	struct store_order_list		*l = NULL;
	struct valid_value		 v;
	struct valid_error		 ve;
	enum panel_err			 pe;
	enum store_ord_status		 st;
	const char			*s;
	json_t				*arr = NULL, *stl, *d;
	char				 next[24];
	size_t				 i;
	int				 j;

	memset(&f, 0, sizeof(f));
	f.owner = auth_owner(rq->user);
	if (!blank(s = req_query(rq->req, "status"))) {
		if ((pe = check_field(rq, "status", NULL, s, &v, &ve)) !=
		    PANEL_OK)
			goto bad;
		j = v.s != NULL ? store_ord_status_parse(v.s, &st) : -1;
		valid_value_clear(&v);
		if (j != 0) {
			snprintf(ve.msg, sizeof(ve.msg), "Unknown status.");
			ve.field = "status";
			pe = PANEL_ERR_INVALID;
			goto bad;
		}
		f.has_status = 1;
		f.status = st;
	}
	if (!blank(s = req_query(rq->req, "before"))) {
		if ((pe = check_field(rq, "before", "id", s, &v, &ve)) !=
		    PANEL_OK)
			goto bad;
		f.before = v.i;
		valid_value_clear(&v);
	}
	if (!blank(s = req_query(rq->req, "limit"))) {
		if ((pe = check_field(rq, "limit", NULL, s, &v, &ve)) !=
		    PANEL_OK)
			goto bad;
		f.limit = v.i > 0 && v.i <= 500 ? (unsigned)v.i : 0;
		valid_value_clear(&v);
	}
	if ((pe = store_order_list(rq->pn->st, &f, &l)) != PANEL_OK) {
		store_fail(rq, pe, "No orders.");
		return;
	}
	if ((arr = json_array()) == NULL)
		goto oom;
	if (rq->req->want_json) {
		for (i = 0; i < l->n; i++)
			json_array_append_new(arr, order_json(&l->v[i], 0));
		resp_json(rq->resp, 200, json_pack("{s:o,s:o,s:I}", "orders",
		    arr, "next", l->next > 0 ?
		    json_integer((json_int_t)l->next) : json_null(), "total",
		    (json_int_t)l->total));
		store_order_list_free(l);
		return;
	}
	for (i = 0; i < l->n; i++)
		json_array_append_new(arr, order_page(&l->v[i]));
	if ((stl = json_array()) == NULL)
		goto oom;
	json_array_append_new(stl, json_pack("{s:s,s:s,s:b}", "value", "",
	    "label", "any", "selected", !f.has_status));
	for (j = 0; j < STORE_ORD__MAX; j++)
		json_array_append_new(stl, json_pack("{s:s,s:s,s:b}", "value",
		    store_ord_status_name((enum store_ord_status)j), "label",
		    store_ord_status_name((enum store_ord_status)j),
		    "selected", f.has_status && (int)f.status == j));
	snprintf(next, sizeof(next), "%lld", (long long)l->next);
	d = json_pack("{s:b,s:o,s:o,s:b,s:s,s:s?,s:b,s:I}",
	    "has_orders", json_array_size(arr) > 0,
	    "orders", arr,
	    "statuses", stl,
	    "filtered", f.has_status,
	    "status_filter", f.has_status ?
	    store_ord_status_name(f.status) : "",
	    "next", l->next > 0 ? next : NULL,
	    "newest", f.before > 0,
	    "total", (json_int_t)l->total);
	store_order_list_free(l);
	page_render(rq, 200, "orders", d);
	return;
bad:
	if (pe == PANEL_ERR_INVALID)
		page_error(rq, 400, "invalid", ve.msg, ve.field);
	else
		page_error(rq, 500, "internal", "The request could not be "
		    "checked.", NULL);
	return;
oom:
	json_decref(arr);
	store_order_list_free(l);
	rq->resp->failed = 1;
}

/* ------------------------------------------------------------------ */
/* GET /acme/orders/create, POST /acme/orders                           */

/* The order form's data: the user's active accounts and f's values. */
static json_t *
form_data(struct rq *rq, const struct ord_form *f)
{
	struct store_account_list	*l = NULL;
	json_t				*accs, *d, *t;
	enum acme_keytype		 kt = ACME_KEY_EC256;
	size_t				 i;
	char				 name[256];
	long long			 sel = 0;
	int				 dns;

	if ((accs = json_array()) == NULL)
		return NULL;
	if (f->account_id != NULL)
		sel = strtoll(f->account_id, NULL, 10);	/* display only */
	if (store_account_list(rq->pn->st, auth_owner(rq->user), &l) ==
	    PANEL_OK) {
		for (i = 0; i < l->n; i++) {
			const struct store_account *a = &l->v[i];
			const char *em = a->ncontacts > 0 ?
			    a->contacts[0] : "no contact";

			if (a->status != STORE_ACC_VALID)
				continue;
			if (strncmp(em, "mailto:", 7) == 0)
				em += 7;
			ca_name(a, name, sizeof(name));
			json_array_append_new(accs, json_pack("{s:I,s:s,s:s,"
			    "s:b}", "id", (json_int_t)a->id, "ca_name", name,
			    "email", em, "selected", a->id == sel));
		}
		store_account_list_free(l);
	}
	if (f->key_type != NULL)
		(void)acme_keytype_parse(f->key_type, &kt);
	dns = f->challenge_type != NULL &&
	    strcmp(f->challenge_type, "dns-01") == 0;
	d = json_pack("{s:b,s:o,s:s,s:o,s:b,s:b,s:b,s:b,s:b}",
	    "has_accounts", json_array_size(accs) > 0,
	    "accounts", accs,
	    "f_domains", f->domains != NULL ? f->domains : "",
	    "key_types", keytypes_json(kt),
	    "ch_http", !dns,
	    "ch_dns", dns,
	    "f_auto", f->autom,
	    "f_auto_renew", f->auto_renew,
	    "show_override", f->show_override);
	if (d != NULL && (t = suggest_text(f->suggestions)) != NULL)
		json_object_set_new(d, "suggestions", t);
	return d;
}

void
orders_form(struct rq *rq)
{
	struct ord_form	 f;

	memset(&f, 0, sizeof(f));
	f.autom = 1;
	f.auto_renew = 1;
	page_render(rq, 200, "order_form", form_data(rq, &f));
}

/* Refuses the order: the form again (with suggestions), or the API
 * error shape. */
static void
create_refuse(struct rq *rq, const struct ord_form *f, const char *field,
    const char *msg)
{
	page_form_error(rq, "order_form", form_data(rq, f), field, msg);
}

/*
 * The duplicate-certificate guard: how many certificates for exactly
 * these names this CA issued in the last week, counted over every
 * owner (the CA counts that way; only the number is shown).  *count and
 * *free_at (when the next one should pass) are set.  0, or -1 when the
 * store failed.
 */
static int
guard_duplicates(struct rq *rq, const struct store_account *acc,
    char *const *names, size_t n, int64_t now, int64_t *count,
    int64_t *free_at)
{
	struct store_cert_list	*l = NULL;
	struct store_account	*other = NULL;
	int64_t			 times[GUARD_DUP_MAX], last_acc = 0;
	unsigned		 off = 0;
	size_t			 i, k;
	int			 last_same = 0;

	*count = 0;
	*free_at = 0;
	memset(times, 0, sizeof(times));
	while (off < GUARD_SCAN_MAX) {
		if (store_cert_list(rq->pn->st, 0, off, 500, &l) != PANEL_OK)
			return -1;
		for (i = 0; i < l->n; i++) {
			const struct store_cert *c = &l->v[i];

			if (c->created < now - GUARD_DUP_WINDOW ||
			    !same_names(c->domains, c->ndomains, names, n))
				continue;
			if (c->account_id != acc->id) {
				/* Same CA?  (Accounts are few; ask once.) */
				if (c->account_id != last_acc) {
					last_acc = c->account_id;
					last_same = store_account_get(
					    rq->pn->st, c->account_id, 0,
					    &other) == PANEL_OK &&
					    strcmp(other->ca_url,
					    acc->ca_url) == 0;
					store_account_free(other);
					other = NULL;
				}
				if (!last_same)
					continue;
			}
			/* Keep the newest GUARD_DUP_MAX issue times. */
			(*count)++;
			for (k = 0; k < GUARD_DUP_MAX; k++)
				if (times[k] < c->created) {
					memmove(&times[k + 1], &times[k],
					    (GUARD_DUP_MAX - k - 1) *
					    sizeof(times[0]));
					times[k] = c->created;
					break;
				}
		}
		off += (unsigned)l->n;
		k = l->n;
		store_cert_list_free(l);
		l = NULL;
		if (k < 500)
			break;
	}
	/* With GUARD_DUP_MAX in the window, the oldest of the newest
	 * GUARD_DUP_MAX has to leave it first. */
	if (*count >= GUARD_DUP_MAX)
		*free_at = times[GUARD_DUP_MAX - 1] + GUARD_DUP_WINDOW;
	return 0;
}

/*
 * The failed-validation guard: per requested name, the authorizations
 * of this account that turned invalid in the last hour.  *worst gets the
 * index of the name with most failures and *count that number.  0, or
 * -1 when the store failed.
 */
static int
guard_failures(struct rq *rq, const struct store_account *acc,
    char *const *names, size_t n, int64_t now, size_t *worst,
    int64_t *count)
{
	struct store_order_filter	 f;
	struct store_order_list		*l = NULL;
	struct store_order		*o = NULL;
	int64_t				*per;
	size_t				 i, k, j, c, scanned = 0;
	int				 done = 0, rc = 0;

	*worst = 0;
	*count = 0;
	if ((per = calloc(n, sizeof(*per))) == NULL)
		return -1;
	memset(&f, 0, sizeof(f));
	f.has_status = 1;
	f.status = STORE_ORD_INVALID;
	f.limit = 200;
	while (!done && scanned < GUARD_SCAN_MAX) {
		if (store_order_list(rq->pn->st, &f, &l) != PANEL_OK) {
			rc = -1;
			break;
		}
		for (i = 0; i < l->n; i++) {
			const struct store_order *lo = &l->v[i];
			int hit = 0;

			if (lo->created < now - ORDER_LIFE_MAX) {
				done = 1;	/* newest first: the rest too */
				break;
			}
			if (lo->account_id != acc->id ||
			    lo->updated < now - GUARD_FAIL_WINDOW)
				continue;
			for (k = 0; k < lo->ndomains && !hit; k++)
				hit = name_in(lo->domains[k], names, n);
			if (!hit || store_order_get(rq->pn->st, lo->id, 0,
			    &o) != PANEL_OK)
				continue;
			for (k = 0; k < o->nauthz; k++) {
				const struct store_authz *a = &o->authz[k];
				int recent = a->nch == 0;

				if (a->status != ACME_S_INVALID)
					continue;
				for (c = 0; c < a->nch; c++)
					if (a->ch[c].updated >=
					    now - GUARD_FAIL_WINDOW)
						recent = 1;
				for (j = 0; recent && j < n; j++)
					if (strcmp(a->identifier, names[j]) ==
					    0)
						per[j]++;
			}
			store_order_free(o);
			o = NULL;
		}
		scanned += l->n;
		if (l->next == 0 || l->n == 0)
			done = 1;
		f.before = l->next;
		store_order_list_free(l);
		l = NULL;
	}
	for (j = 0; j < n; j++)
		if (per[j] > *count) {
			*count = per[j];
			*worst = j;
		}
	free(per);
	return rc;
}

/*
 * The local guard before the CA's limits.  Returns 0 to go on, 1 with
 * msg filled when the order would likely be refused, -1 on a store
 * failure.
 */
static int
limit_guard(struct rq *rq, const struct store_account *acc,
    char *const *names, size_t n, char *msg, size_t len)
{
	int64_t		 now = time(NULL), count, free_at;
	size_t		 worst;
	char		 when[21];

	if (guard_duplicates(rq, acc, names, n, now, &count, &free_at) == -1)
		return -1;
	if (count >= GUARD_DUP_MAX) {
		snprintf(msg, len, "%lld certificates for exactly these names "
		    "were issued by this CA in the last 7 days. CAs such as "
		    "Let's Encrypt refuse more than %d a week; the next one "
		    "should pass after %s (UTC). Tick \"Order anyway\" to try "
		    "regardless.", (long long)count, GUARD_DUP_MAX,
		    panel_time_iso((time_t)free_at, when));
		return 1;
	}
	if (guard_failures(rq, acc, names, n, now, &worst, &count) == -1)
		return -1;
	if (count >= GUARD_FAIL_MAX) {
		snprintf(msg, len, "Validation of %s failed %lld times in the "
		    "last hour with this CA account. CAs such as Let's "
		    "Encrypt refuse more than %d failures per name and hour. "
		    "Fix the cause shown on the failed order first, or tick "
		    "\"Order anyway\".", names[worst], (long long)count,
		    GUARD_FAIL_MAX);
		return 1;
	}
	return 0;
}

/* A boolean field: absent gives def; 0/1 in *out.  PANEL_OK or as
 * check_field (ve filled). */
static enum panel_err
bool_field(struct rq *rq, const char *field, int def, int *out,
    struct valid_error *ve)
{
	struct valid_value	 v;
	const char		*s = req_field(rq->req, field);
	enum panel_err		 pe;

	*out = def;
	if (s == NULL || *s == '\0')
		return PANEL_OK;
	if ((pe = check_field(rq, field, "auto", s, &v, ve)) == PANEL_OK)
		*out = v.i != 0;
	valid_value_clear(&v);
	return pe;
}

void
orders_create(struct rq *rq)
{
	struct ord_form		 f;
	struct valid_value	 va, vd, vk, vc;
	struct valid_error	 ve;
	struct ops_order_req	 oq;
	struct ops_err		 oe;
	struct ops		 o;
	struct store_account	*acc = NULL;
	struct store_account_list *al = NULL;
	json_t			*sugg = NULL;
	enum panel_err		 pe;
	enum acme_chtype	 ct;
	size_t			 i;
	int64_t			 id = 0, account_id = 0;
	int			 wildcard = 0, ip = 0, override = 0, g;
	int			 form = !rq->req->body_json;
	char			 msg[512];

	memset(&va, 0, sizeof(va));
	memset(&vd, 0, sizeof(vd));
	memset(&vk, 0, sizeof(vk));
	memset(&vc, 0, sizeof(vc));
	memset(&oe, 0, sizeof(oe));
	memset(&oq, 0, sizeof(oq));
	memset(&f, 0, sizeof(f));
	f.account_id = req_field(rq->req, "account_id");
	f.domains = req_field(rq->req, "domains");
	f.key_type = req_field(rq->req, "key_type");
	f.challenge_type = req_field(rq->req, "challenge_type");

	/*
	 * Checkboxes: a browser sends nothing for an unticked box, so the
	 * form's absent means no; a JSON client's absent "auto" means yes
	 * (DESIGN.md), and so does its absent auto_renew (renewals still
	 * ask the billing hook).
	 */
	if ((pe = bool_field(rq, "auto", !form, &f.autom, &ve)) != PANEL_OK ||
	    (pe = bool_field(rq, "auto_renew", !form, &f.auto_renew, &ve)) !=
	    PANEL_OK ||
	    (pe = bool_field(rq, "override_limits", 0, &override, &ve)) !=
	    PANEL_OK)
		goto refused;

	/* Names. */
	if (blank(f.domains)) {
		create_refuse(rq, &f, "domains", "Enter at least one name, "
		    "for example example.com.");
		goto out;
	}
	if ((pe = check_field(rq, "domains", NULL, f.domains, &vd, &ve)) !=
	    PANEL_OK)
		goto refused;
	if (vd.n == 0) {
		create_refuse(rq, &f, "domains", "Enter at least one name.");
		goto out;
	}
	for (i = 0; i < vd.n; i++) {
		if (strncmp(vd.list[i], "*.", 2) == 0)
			wildcard = 1;
		if (acme_ident_guess(vd.list[i]) == ACME_ID_IP)
			ip = 1;
	}
	sugg = suggest_names(vd.list, vd.n);
	f.suggestions = sugg;

	/* Validation method: dns-01 is the default for wildcards. */
	ct = wildcard ? ACME_CH_DNS01 : ACME_CH_HTTP01;
	if (!blank(f.challenge_type)) {
		if ((pe = check_field(rq, "challenge_type", NULL,
		    f.challenge_type, &vc, &ve)) != PANEL_OK)
			goto refused;
		ct = acme_chtype_parse(vc.s != NULL ? vc.s : f.challenge_type);
		if (ct != ACME_CH_HTTP01 && ct != ACME_CH_DNS01) {
			create_refuse(rq, &f, "challenge_type", "This panel "
			    "validates with http-01 or dns-01.");
			goto out;
		}
	}
	if (wildcard && ct != ACME_CH_DNS01) {
		create_refuse(rq, &f, "challenge_type", "A wildcard name "
		    "(*.example.com) can only be validated with dns-01: "
		    "choose dns-01, or leave the wildcard out.");
		goto out;
	}
	if (ip && ct == ACME_CH_DNS01) {
		create_refuse(rq, &f, "challenge_type", "An IP address cannot "
		    "be validated with dns-01 (RFC 8738): choose http-01.");
		goto out;
	}

	oq.key_type = ACME_KEY_EC256;
	if (!blank(f.key_type)) {
		if ((pe = check_field(rq, "key_type", NULL, f.key_type, &vk,
		    &ve)) != PANEL_OK)
			goto refused;
		if (vk.s == NULL || acme_keytype_parse(vk.s, &oq.key_type)) {
			create_refuse(rq, &f, "key_type", "Choose one of the "
			    "listed key types.");
			goto out;
		}
	}

	/* The account: given, or the only active one there is. */
	if (!blank(f.account_id)) {
		if ((pe = check_field(rq, "account_id", NULL, f.account_id,
		    &va, &ve)) != PANEL_OK)
			goto refused;
		account_id = va.i;
	} else if (store_account_list(rq->pn->st, auth_owner(rq->user),
	    &al) == PANEL_OK) {
		size_t	 nvalid = 0;

		for (i = 0; i < al->n; i++)
			if (al->v[i].status == STORE_ACC_VALID) {
				nvalid++;
				account_id = al->v[i].id;
			}
		store_account_list_free(al);
		if (nvalid != 1)
			account_id = 0;
	}
	if (account_id <= 0) {
		create_refuse(rq, &f, "account_id", "Choose the CA account "
		    "to order with.");
		goto out;
	}
	if ((pe = store_account_get(rq->pn->st, account_id,
	    auth_owner(rq->user), &acc)) == PANEL_ERR_NOTFOUND) {
		create_refuse(rq, &f, "account_id", "There is no such CA "
		    "account.");
		goto out;
	} else if (pe != PANEL_OK) {
		store_fail(rq, pe, "No such CA account.");
		goto out;
	}
	if (acc->status != STORE_ACC_VALID || acc->kid == NULL) {
		snprintf(msg, sizeof(msg), "CA account %lld is %s; choose an "
		    "active account.", (long long)acc->id,
		    store_acc_status_name(acc->status));
		create_refuse(rq, &f, "account_id", msg);
		goto out;
	}

	/* The local guard in front of the CA's limits. */
	if (!override) {
		if ((g = limit_guard(rq, acc, vd.list, vd.n, msg,
		    sizeof(msg))) == -1) {
			store_fail(rq, PANEL_ERR_DB, NULL);
			goto out;
		}
		if (g == 1) {
			char	 obj[64];

			snprintf(obj, sizeof(obj), "account:%lld",
			    (long long)acc->id);
			page_audit(rq, "order.guard", obj, "denied", msg);
			if (rq->req->want_json)
				page_error(rq, 429, "limit_guard", msg,
				    "override_limits");
			else {
				f.show_override = 1;
				create_refuse(rq, &f, "override_limits", msg);
			}
			goto out;
		}
	}

	/* All checked: place it. */
	oq.owner = acc->owner;
	oq.account_id = acc->id;
	oq.domains = vd.list;
	oq.ndomains = vd.n;
	oq.challenge_type = ct;
	oq.autom = f.autom;
	oq.auto_renew = f.auto_renew;
	page_ops(rq, &o);
	if ((pe = ops_order_create(&o, &oq, &id, &oe)) != PANEL_OK) {
		if (oe.status == 0)
			snprintf(oe.msg, sizeof(oe.msg), "The order could not "
			    "be placed: %s.", panel_strerror(pe));
		page_ops_error(rq, &oe, "order_form", form_data(rq, &f));
		goto out;
	}
	if (rq->req->want_json) {
		order_reply(rq, 201, id, json_pack("{s:O}", "suggestions",
		    sugg));
	} else {
		snprintf(msg, sizeof(msg), "/acme/orders/%lld", (long long)id);
		page_redirect(rq, msg);
	}
	goto out;
refused:
	if (pe == PANEL_ERR_INVALID)
		create_refuse(rq, &f, ve.field, ve.msg);
	else
		page_error(rq, 500, "internal", "The form could not be "
		    "checked.", NULL);
out:
	ops_err_clear(&oe);
	json_decref(sugg);
	store_account_free(acc);
	valid_value_clear(&va);
	valid_value_clear(&vd);
	valid_value_clear(&vk);
	valid_value_clear(&vc);
}

/* ------------------------------------------------------------------ */
/* GET /acme/orders/{id}                                                */

/* The detail page's data: summary, authorizations, history, problem. */
static json_t *
show_data(struct rq *rq, const struct store_order *o)
{
	struct store_event_list	*el = NULL;
	json_t			*d, *azs, *evs, *chs, *sg, *t;
	size_t			 i, k;

	if ((d = order_page(o)) == NULL)
		return NULL;
	problem_page(d, o->error, o, NULL, NULL);
	if ((azs = json_array()) != NULL) {
		for (i = 0; i < o->nauthz; i++) {
			const struct store_authz *a = &o->authz[i];

			if ((chs = json_array()) == NULL)
				break;
			for (k = 0; k < a->nch; k++)
				json_array_append_new(chs, json_pack(
				    "{s:s,s:s}", "type",
				    acme_chtype_name(a->ch[k].type), "status",
				    acme_status_name(a->ch[k].status)));
			json_array_append_new(azs, json_pack("{s:s,s:s,s:o}",
			    "identifier", a->identifier, "status",
			    acme_status_name(a->status), "challenges", chs));
		}
		json_object_set_new(d, "authorizations", azs);
	}
	if ((evs = json_array()) != NULL &&
	    store_event_list(rq->pn->st, o->id, &el) == PANEL_OK) {
		for (i = 0; i < el->n; i++)
			json_array_append_new(evs, json_pack("{s:o,s:s,s:s?}",
			    "at", time_json(el->v[i].at, 0),
			    "what", el->v[i].what ? el->v[i].what : "",
			    "detail", el->v[i].detail != NULL &&
			    *el->v[i].detail != '\0' ? el->v[i].detail :
			    NULL));
		store_event_list_free(el);
	}
	json_object_set_new(d, "events", evs);
	sg = suggest_names(o->domains, o->ndomains);
	if ((t = suggest_text(sg)) != NULL)
		json_object_set_new(d, "suggestions", t);
	json_decref(sg);
	return json_pack("{s:o}", "order", d);
}

/*
 * An order that can still move is read from the CA again before it is
 * shown, so the page tells what the CA knows now, not what it knew when
 * the user last clicked.  A CA that does not answer is not an error here:
 * the stored state is shown.  Returns 0, or -1 (page written) when the
 * order vanished meanwhile.
 */
static int
refresh_order(struct rq *rq, struct store_order **o)
{
	struct ops	 op;
	struct ops_err	 e;
	enum panel_err	 pe;

	memset(&e, 0, sizeof(e));
	page_ops(rq, &op);
	if (ops_order_refresh(&op, (*o)->id, auth_owner(rq->user), 0, &e) !=
	    PANEL_OK) {
		ops_err_clear(&e);
		return 0;
	}
	ops_err_clear(&e);
	store_order_free(*o);
	*o = NULL;
	if ((pe = store_order_get(rq->pn->st, rq->id, auth_owner(rq->user),
	    o)) != PANEL_OK) {
		store_fail(rq, pe, "No such order.");
		return -1;
	}
	return 0;
}

void
orders_show(struct rq *rq)
{
	struct store_order	*o = NULL;
	struct store_event_list	*el = NULL;
	enum panel_err		 pe;
	json_t			*j, *h;
	size_t			 i;

	if ((pe = store_order_get(rq->pn->st, rq->id, auth_owner(rq->user),
	    &o)) != PANEL_OK) {
		store_fail(rq, pe, "No such order.");
		return;
	}
	if (store_ord_active(o->status) && o->status != STORE_ORD_NEW &&
	    o->order_url != NULL && refresh_order(rq, &o) == -1)
		return;
	if (!rq->req->want_json) {
		page_render(rq, 200, "order", show_data(rq, o));
		store_order_free(o);
		return;
	}
	j = order_json(o, 1);
	if (j != NULL && (h = json_array()) != NULL) {
		if (store_event_list(rq->pn->st, o->id, &el) == PANEL_OK) {
			for (i = 0; i < el->n; i++)
				json_array_append_new(h, json_pack(
				    "{s:o,s:s,s:s?}", "at",
				    time_json(el->v[i].at, 1), "what",
				    el->v[i].what ? el->v[i].what : "",
				    "detail", el->v[i].detail));
			store_event_list_free(el);
		}
		json_object_set_new(j, "history", h);
		json_object_set_new(j, "suggestions",
		    suggest_names(o->domains, o->ndomains));
	}
	resp_json(rq->resp, 200, j);
	store_order_free(o);
}

/* ------------------------------------------------------------------ */
/* GET /acme/orders/{id}/challenges, POST /acme/challenges/{id}/respond */

/*
 * The challenges page's data: for each authorization exactly what to
 * deploy.  diag_id/diag: a self-check diagnosis to show beside that
 * challenge (0/NULL: none).
 */
static json_t *
challenges_data(const struct store_order *o, int64_t diag_id,
    const char *diag)
{
	json_t	*azs, *chs, *c, *x;
	size_t	 i, k;
	char	 url[512];

	if ((azs = json_array()) == NULL)
		return NULL;
	for (i = 0; i < o->nauthz; i++) {
		const struct store_authz *a = &o->authz[i];
		const char *name = a->identifier + (a->wildcard &&
		    strncmp(a->identifier, "*.", 2) == 0 ? 2 : 0);

		if ((chs = json_array()) == NULL)
			break;
		for (k = 0; k < a->nch; k++) {
			const struct store_challenge *ch = &a->ch[k];

			c = json_pack("{s:I,s:s,s:s,s:b}",
			    "id", (json_int_t)ch->id,
			    "type", acme_chtype_name(ch->type),
			    "status", acme_status_name(ch->status),
			    "can_respond", ch->status == ACME_S_PENDING &&
			    a->status == ACME_S_PENDING &&
			    o->status == STORE_ORD_PENDING);
			if (c == NULL)
				continue;
			if (ch->type == ACME_CH_HTTP01 && ch->token != NULL &&
			    acme_b64url_valid(ch->token, 256)) {
				http01_url(name, ch->token, url, sizeof(url));
				x = json_pack("{s:s,s:s}", "url", url,
				    "content", ch->key_authorization ?
				    ch->key_authorization : "");
				json_object_set_new(c, "http01", x);
			} else if (ch->type == ACME_CH_DNS01)
				json_object_set_new(c, "dns01", json_pack(
				    "{s:s,s:s}", "name", ch->dns_name ?
				    ch->dns_name : "", "value", ch->dns_value ?
				    ch->dns_value : ""));
			if (diag != NULL && ch->id == diag_id)
				json_object_set_new(c, "diagnosis",
				    json_string(diag));
			/* The challenge's problem, else the
			 * authorization's. */
			problem_page(c, ch->error != NULL ? ch->error :
			    a->error, o, a->identifier, ch->token);
			json_array_append_new(chs, c);
		}
		if (a->nch == 0 && a->status == ACME_S_VALID)
			json_array_append_new(chs, json_pack("{s:s}",
			    "done", "Already validated."));
		json_array_append_new(azs, json_pack("{s:s,s:s,s:o}",
		    "identifier", a->identifier,
		    "status", acme_status_name(a->status),
		    "challenges", chs));
	}
	return json_pack("{s:{s:I,s:s},s:o}", "order", "id",
	    (json_int_t)o->id, "status", store_ord_status_name(o->status),
	    "authorizations", azs);
}

void
orders_challenges(struct rq *rq)
{
	struct store_order	*o = NULL;
	enum panel_err		 pe;
	char			 obj[64];

	if ((pe = store_order_get(rq->pn->st, rq->id, auth_owner(rq->user),
	    &o)) != PANEL_OK) {
		store_fail(rq, pe, "No such order.");
		return;
	}
	/* The key authorizations are shown: record who looked. */
	snprintf(obj, sizeof(obj), "order:%lld", (long long)o->id);
	page_audit(rq, "challenge.view", obj, "ok", NULL);
	if (rq->req->want_json)
		resp_json(rq->resp, 200, order_json(o, 1));
	else
		page_render(rq, 200, "challenges", challenges_data(o, 0, NULL));
	store_order_free(o);
}

void
challenges_respond(struct rq *rq)
{
	struct store_challenge	*c = NULL;
	struct store_order	*o = NULL;
	struct valid_error	 ve;
	struct ops_err		 oe;
	struct ops		 op;
	enum panel_err		 pe;
	int64_t			 owner = auth_owner(rq->user);
	int			 force = 0;
	char			 path[96];

	memset(&oe, 0, sizeof(oe));
	if ((pe = store_challenge_get(rq->pn->st, rq->id, owner, &c)) !=
	    PANEL_OK) {
		store_fail(rq, pe, "No such challenge.");
		return;
	}
	if ((pe = bool_field(rq, "force", 0, &force, &ve)) != PANEL_OK) {
		if (pe == PANEL_ERR_INVALID)
			page_error(rq, 422, "invalid", ve.msg, ve.field);
		else
			page_error(rq, 500, "internal", "The form could not "
			    "be checked.", NULL);
		goto out;
	}
	page_ops(rq, &op);
	pe = ops_challenge_respond(&op, c->id, owner, force, 0, &oe);
	snprintf(path, sizeof(path), "/acme/orders/%lld/challenges",
	    (long long)c->order_id);
	if (pe == PANEL_OK) {
		if (rq->req->want_json)
			order_reply(rq, 200, c->order_id, NULL);
		else
			page_redirect(rq, path);
		goto out;
	}
	if (oe.status == 0) {
		oe.status = pe == PANEL_ERR_INVALID ? 422 : 500;
		snprintf(oe.code, sizeof(oe.code), "%s", pe ==
		    PANEL_ERR_INVALID ? "self_check" : "internal");
		if (oe.msg[0] == '\0')
			snprintf(oe.msg, sizeof(oe.msg), "%s",
			    panel_strerror(pe));
	}
	if (rq->req->want_json || store_order_get(rq->pn->st, c->order_id,
	    owner, &o) != PANEL_OK) {
		page_ops_error(rq, &oe, NULL, NULL);
		goto out;
	}
	if (pe == PANEL_ERR_INVALID && strcmp(oe.code, "self_check") == 0) {
		/* The self-check failed: the diagnosis beside the challenge,
		 * and the "Respond anyway" box with it. */
		page_render(rq, 422, "challenges", challenges_data(o, c->id,
		    oe.msg));
	} else
		page_ops_error(rq, &oe, "challenges", challenges_data(o, 0,
		    NULL));
out:
	ops_err_clear(&oe);
	store_order_free(o);
	store_challenge_free(c);
}

/* ------------------------------------------------------------------ */
/* POST /acme/orders/{id}/finalize                                      */

void
orders_finalize(struct rq *rq)
{
	struct store_order	*o = NULL;
	struct ops_err		 oe;
	struct ops		 op;
	enum panel_err		 pe;
	int64_t			 owner = auth_owner(rq->user), cert_id = 0;
	const char		*why = NULL;
	char			 path[64];

	memset(&oe, 0, sizeof(oe));
	if ((pe = store_order_get(rq->pn->st, rq->id, owner, &o)) !=
	    PANEL_OK) {
		store_fail(rq, pe, "No such order.");
		return;
	}
	/* Refuse what cannot work before asking the CA. */
	switch (o->status) {
	case STORE_ORD_NEW:
		why = "The order has not been placed with the CA yet.";
		break;
	case STORE_ORD_INVALID:
		why = "This order failed; place a new order.";
		break;
	case STORE_ORD_EXPIRED:
		why = "This order expired; place a new order.";
		break;
	case STORE_ORD_CANCELED:
		why = "This order was canceled.";
		break;
	default:
		break;	/* pending: the CA may be ready by now */
	}
	if (why != NULL) {
		oe.status = 409;
		snprintf(oe.code, sizeof(oe.code), "order_state");
		snprintf(oe.msg, sizeof(oe.msg), "%s", why);
		page_ops_error(rq, &oe, "order", rq->req->want_json ? NULL :
		    show_data(rq, o));
		goto out;
	}
	page_ops(rq, &op);
	if ((pe = ops_order_finalize(&op, o->id, owner, 0, &cert_id, &oe)) !=
	    PANEL_OK) {
		if (oe.status == 0)
			snprintf(oe.msg, sizeof(oe.msg), "Finalizing failed: "
			    "%s.", panel_strerror(pe));
		store_order_free(o);
		o = NULL;
		/* Show the order as it is now, with the reason. */
		if (!rq->req->want_json && store_order_get(rq->pn->st,
		    rq->id, owner, &o) == PANEL_OK)
			page_ops_error(rq, &oe, "order", show_data(rq, o));
		else
			page_ops_error(rq, &oe, NULL, NULL);
		goto out;
	}
	if (rq->req->want_json)
		order_reply(rq, 200, o->id, NULL);
	else {
		snprintf(path, sizeof(path), "/acme/orders/%lld",
		    (long long)o->id);
		page_redirect(rq, path);
	}
out:
	ops_err_clear(&oe);
	store_order_free(o);
}
