/*
 * Small helpers shared by libacme's files (strict JSON, URL and time
 * checks, failure text) and the client context itself: acme_ctx_new(),
 * acme_ctx_free() and the accessors of acme.h.
 *
 * Everything that comes from the CA is untrusted: JSON is parsed with
 * duplicate keys rejected, URLs must be https without control characters
 * or spaces, and failure text has its control characters escaped before
 * it lands in ctx->detail.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

#define CONNECT_MS_DEFAULT	10000
#define TIMEOUT_MS_DEFAULT	30000
#define MAX_BODY_DEFAULT	(1024 * 1024)
#define MAX_BODY_LIMIT		((size_t)1 << 30)	/* 1 GiB */
#define NONCE_RETRIES_DEFAULT	10
#define POLL_MAX_DEFAULT	60

/*
 * Formats a failure sentence into ctx->detail (truncated to fit), with
 * control characters and DEL written as "\xNN" so CA text cannot forge
 * log lines or terminal sequences.  NULL ctx is a no-op.
 */
void
ctx_detail(struct acme_ctx *ctx, const char *fmt, ...)
{
	char		 raw[sizeof(ctx->detail)];
	va_list		 ap;
	size_t		 i, o;
	unsigned char	 c;

	if (ctx == NULL)
		return;
	va_start(ap, fmt);
	if (vsnprintf(raw, sizeof(raw), fmt, ap) < 0)
		raw[0] = '\0';
	va_end(ap);

	for (i = o = 0; raw[i] != '\0'; i++) {
		c = (unsigned char)raw[i];
		if (c < 0x20 || c == 0x7f) {
			if (o + 4 >= sizeof(ctx->detail))
				break;
			snprintf(ctx->detail + o, 5, "\\x%02x", c);
			o += 4;
		} else {
			if (o + 1 >= sizeof(ctx->detail))
				break;
			ctx->detail[o++] = (char)c;
		}
	}
	ctx->detail[o] = '\0';
}

/*
 * Forgets the last failure: frees the problem document and empties the
 * detail text.  http.c calls it at the start of every request, which is
 * what "valid until the next request" in acme.h means.  NULL-safe.
 */
void
ctx_problem_clear(struct acme_ctx *ctx)
{

	if (ctx == NULL)
		return;
	acme_problem_free(ctx->problem);
	ctx->problem = NULL;
	ctx->detail[0] = '\0';
}

/*
 * Parses body as JSON with duplicate keys rejected (and, Jansson's
 * default, NUL characters in strings refused); the top level must be an
 * object.  Returns a new reference the caller json_decref()s, or NULL
 * with ctx's detail set (when ctx is not NULL).
 */
json_t *
json_parse_obj(struct acme_ctx *ctx, const char *body, size_t len)
{
	json_t		*o;
	json_error_t	 err;

	if (body == NULL) {
		ctx_detail(ctx, "empty response body");
		return NULL;
	}
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL) {
		ctx_detail(ctx, "bad JSON at line %d column %d: %s",
		    err.line, err.column, err.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		ctx_detail(ctx, "JSON response is not an object");
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * Returns the string member key of obj (borrowed from obj), or NULL when
 * obj is not an object, the member is absent or is not a string.
 */
const char *
json_str(const json_t *obj, const char *key)
{

	return json_string_value(json_object_get(obj, key));
}

/*
 * Returns 1 when s is an absolute https URL we are willing to contact:
 * "https://" (any case), a non-empty authority without userinfo, at most
 * URL_MAX bytes, printable ASCII only (no spaces, controls or 8-bit
 * bytes).  Returns 0 otherwise, NULL included.
 */
int
url_is_https(const char *s)
{
	size_t	 i, len;
	int	 in_auth = 1;

	if (s == NULL || strncasecmp(s, "https://", 8) != 0)
		return 0;
	len = strlen(s);
	if (len > URL_MAX || len == 8)
		return 0;
	if (s[8] == '/' || s[8] == '?' || s[8] == '#' || s[8] == ':')
		return 0;
	for (i = 8; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
		if (s[i] == '/' || s[i] == '?' || s[i] == '#')
			in_auth = 0;
		if (in_auth && (s[i] == '@' || s[i] == '\\'))
			return 0;
	}
	return 1;
}

/*
 * Copies the string member key of obj into *out when it is an https URL
 * (url_is_https).  Returns 0 with *out the caller's, 0 with *out NULL
 * when the member is absent, or -1 (*out NULL) when it is present but
 * not a string, not https, too long, or memory ran out.
 */
int
json_url(const json_t *obj, const char *key, char **out)
{
	const json_t	*v;

	*out = NULL;
	if ((v = json_object_get(obj, key)) == NULL)
		return 0;
	if (!json_is_string(v) || !url_is_https(json_string_value(v)))
		return -1;
	if ((*out = strdup(json_string_value(v))) == NULL)
		return -1;
	return 0;
}

/* Reads exactly n decimal digits at *p into *v; returns 0 or -1. */
static int
digits(const char **p, int n, int *v)
{

	*v = 0;
	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		*v = *v * 10 + (**p - '0');
		(*p)++;
	}
	return 0;
}

/* Days in month mon (1-12) of year. */
static int
mdays(int year, int mon)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (mon == 2 && (year % 4 == 0 && (year % 100 != 0 ||
	    year % 400 == 0)))
		return 29;
	return d[mon - 1];
}

/*
 * Parses an RFC 3339 section 5.6 date-time: "YYYY-MM-DDTHH:MM:SS",
 * optional fraction (ignored), then "Z" or "+hh:mm"/"-hh:mm"; "t" and "z"
 * are accepted as RFC 3339 allows.  A leap second (60) rolls into the
 * next minute.  Returns the UTC time_t, or -1 on any syntax or range
 * error (so 1969-12-31T23:59:59Z cannot be told from an error).
 */
time_t
rfc3339_parse(const char *s)
{
	struct tm	 tm;
	const char	*p = s;
	int		 y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	time_t		 t;

	if (s == NULL)
		return -1;
	if (digits(&p, 4, &y) == -1 || *p++ != '-' ||
	    digits(&p, 2, &mo) == -1 || *p++ != '-' ||
	    digits(&p, 2, &d) == -1)
		return -1;
	if (*p != 'T' && *p != 't')
		return -1;
	p++;
	if (digits(&p, 2, &h) == -1 || *p++ != ':' ||
	    digits(&p, 2, &mi) == -1 || *p++ != ':' ||
	    digits(&p, 2, &se) == -1)
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &oh) == -1 || *p++ != ':' ||
		    digits(&p, 2, &om) == -1)
			return -1;
		if (oh > 23 || om > 59)
			return -1;
	} else
		return -1;
	if (*p != '\0')
		return -1;

	if (mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo) ||
	    h > 23 || mi > 59 || se > 60)
		return -1;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	/* Local time = UTC + offset, so UTC = local - offset. */
	return t - (time_t)sign * (oh * 3600 + om * 60);
}

/* Frees n strings of v and v itself; NULL-safe. */
void
strv_free(char **v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* strdup() that passes NULL through; sets *err on allocation failure. */
static char *
dup_opt(const char *s, int *err)
{
	char	*p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		*err = 1;
	return p;
}

/*
 * Creates a context from opts, filling in the defaults documented in
 * acme.h, and sets up the HTTP handle.  Returns ACME_OK with *out the
 * caller's (acme_ctx_free), ACME_ERR_ARG for a missing URL, a negative
 * timeout or a body cap over 1 GiB, ACME_ERR_SCHEME when directory_url
 * is not https, or ACME_ERR_NOMEM / ACME_ERR_TRANSPORT.
 */
enum acme_err
acme_ctx_new(const struct acme_opts *opts, struct acme_ctx **out)
{
	struct acme_ctx	*ctx = NULL;
	enum acme_err	 rc;
	int		 nomem = 0;

	if (out == NULL)
		return ACME_ERR_ARG;
	*out = NULL;
	if (opts == NULL || opts->directory_url == NULL ||
	    opts->connect_timeout_ms < 0 || opts->timeout_ms < 0 ||
	    opts->max_body > MAX_BODY_LIMIT)
		return ACME_ERR_ARG;
	if (!url_is_https(opts->directory_url))
		return ACME_ERR_SCHEME;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return ACME_ERR_NOMEM;
	ctx->dir_url = dup_opt(opts->directory_url, &nomem);
	ctx->ca_file = dup_opt(opts->ca_file, &nomem);
	ctx->proxy = dup_opt(opts->proxy == NULL ? "" : opts->proxy, &nomem);
	ctx->user_agent = dup_opt(opts->user_agent == NULL ?
	    "libacme/" ACME_VERSION : opts->user_agent, &nomem);
	if (nomem) {
		rc = ACME_ERR_NOMEM;
		goto out;
	}
	ctx->connect_timeout_ms = opts->connect_timeout_ms ?
	    opts->connect_timeout_ms : CONNECT_MS_DEFAULT;
	ctx->timeout_ms = opts->timeout_ms ?
	    opts->timeout_ms : TIMEOUT_MS_DEFAULT;
	ctx->max_body = opts->max_body ? opts->max_body : MAX_BODY_DEFAULT;
	ctx->refuse_private = opts->refuse_private != 0;
	ctx->nonce_retries = opts->nonce_retries ?
	    opts->nonce_retries : NONCE_RETRIES_DEFAULT;
	ctx->poll_max = opts->poll_max ? opts->poll_max : POLL_MAX_DEFAULT;

	if ((rc = http_init(ctx)) != ACME_OK)
		goto out;
	*out = ctx;
	ctx = NULL;
	rc = ACME_OK;
out:
	acme_ctx_free(ctx);
	return rc;
}

/*
 * Frees the context: the HTTP handle, pooled nonces, the directory, the
 * last problem and the kid.  The account key is borrowed and left
 * alone.  NULL-safe.
 */
void
acme_ctx_free(struct acme_ctx *ctx)
{
	size_t	 i;

	if (ctx == NULL)
		return;
	http_cleanup(ctx);
	cert_cache_clear(ctx);
	for (i = 0; i < ctx->nnonce; i++)
		free(ctx->nonce[i]);
	acme_directory_free(ctx->dir);
	acme_problem_free(ctx->problem);
	free(ctx->kid);
	free(ctx->dir_url);
	free(ctx->ca_file);
	free(ctx->proxy);
	free(ctx->user_agent);
	free(ctx);
}

/* The last problem document or NULL; borrowed (see acme.h). */
const struct acme_problem *
acme_problem_get(const struct acme_ctx *ctx)
{

	return ctx == NULL ? NULL : ctx->problem;
}

/* The last failure in words, "" when none; borrowed. */
const char *
acme_detail_get(const struct acme_ctx *ctx)
{

	return ctx == NULL ? "" : ctx->detail;
}

/*
 * Sets the signing key (borrowed) and copies kid (NULL clears it).
 * Returns ACME_OK, ACME_ERR_ARG for a NULL ctx or key, or ACME_ERR_NOMEM
 * (the context is then unchanged).
 */
enum acme_err
acme_ctx_set_account(struct acme_ctx *ctx, struct acme_key *key,
    const char *kid)
{
	char	*k = NULL;

	if (ctx == NULL || key == NULL)
		return ACME_ERR_ARG;
	if (kid != NULL && (k = strdup(kid)) == NULL)
		return ACME_ERR_NOMEM;
	free(ctx->kid);
	ctx->kid = k;
	ctx->key = key;
	return ACME_OK;
}

/* The account URL or NULL; borrowed. */
const char *
acme_ctx_kid(const struct acme_ctx *ctx)
{

	return ctx == NULL ? NULL : ctx->kid;
}
