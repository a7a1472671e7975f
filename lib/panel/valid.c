/*
 * Form fields: one table of field name -> validator -> maximum length
 * (in the manner of kcgi's kvalid and gotwebd's querystring_keys), the
 * validators, and the CA presets.  Browser forms and JSON bodies use the
 * same names (DESIGN.md).  Domain names are in domain.c.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "panel_priv.h"

#define EMAIL_MAX	254
#define LOCAL_MAX	64
#define URL_MAX		2048
#define DNS_MAX		253
#define ID_MAX		9007199254740991LL	/* 2^53 - 1: exact in JSON */

static const struct panel_preset presets[] = {
	{ "letsencrypt", "Let's Encrypt",
	    "https://acme-v02.api.letsencrypt.org/directory", 0 },
	{ "letsencrypt-staging", "Let's Encrypt (staging)",
	    "https://acme-staging-v02.api.letsencrypt.org/directory", 0 },
	{ "zerossl", "ZeroSSL", "https://acme.zerossl.com/v2/DV90", 1 },
	{ "google", "Google Trust Services",
	    "https://dv.acme-v02.api.pki.goog/directory", 1 },
	{ "buypass", "Buypass", "https://api.buypass.com/acme/directory", 0 },
	{ "sslcom", "SSL.com", "https://acme.ssl.com/sslcom-dv-rsa", 1 },
	{ "local-test-ca", "Local test CA", NULL, 0 },
};

const struct panel_preset *
panel_presets(size_t *n)
{
	*n = sizeof(presets) / sizeof(presets[0]);
	return presets;
}

const struct panel_preset *
panel_preset_get(const char *key)
{
	size_t	 i;

	if (key == NULL)
		return NULL;
	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(presets[i].key, key) == 0)
			return &presets[i];
	return NULL;
}

struct vfield {
	const char	*name;
	enum valid_kind	 kind;
	size_t		 max;		/* input bytes */
	long long	 min_i, max_i;	/* UINT bounds */
};

/* The one table of form and query fields. */
static const struct vfield fields[] = {
	/* accounts */
	{ "acme_server",	VALID_SERVER,	URL_MAX, 0, 0 },
	{ "email",		VALID_EMAIL,	EMAIL_MAX + 7, 0, 0 },
	{ "contact",		VALID_EMAIL,	EMAIL_MAX + 7, 0, 0 },
	{ "eab_kid",		VALID_EAB_KID,	256, 0, 0 },
	{ "eab_hmac",		VALID_EAB_HMAC,	512, 0, 0 },
	{ "key_type",		VALID_KEYTYPE,	16, 0, 0 },
	{ "tos_agreed",		VALID_BOOL,	8, 0, 0 },
	{ "confirm",		VALID_BOOL,	8, 0, 0 },
	{ "url",		VALID_URL,	URL_MAX, 0, 0 },
	/* orders, challenges, certificates */
	{ "account_id",		VALID_ID,	20, 0, 0 },
	{ "domains",		VALID_DOMAINS,	VALID_DOMAINS_MAX * 256, 0, 0 },
	{ "challenge_type",	VALID_CHTYPE,	16, 0, 0 },
	{ "auto",		VALID_BOOL,	8, 0, 0 },
	{ "auto_renew",		VALID_BOOL,	8, 0, 0 },
	{ "force",		VALID_BOOL,	8, 0, 0 },
	{ "reason",		VALID_REASON,	24, 0, 0 },
	{ "id",			VALID_ID,	20, 0, 0 },
	/* users, sessions, tokens */
	{ "username",		VALID_USERNAME,	64, 0, 0 },
	{ "password",		VALID_PASSWORD,	1024, 0, 0 },
	{ "new_password",	VALID_NEW_PASSWORD, 1024, 0, 0 },
	{ "csrf",		VALID_TOKEN,	64, 0, 0 },
	{ "name",		VALID_TEXT,	64, 0, 0 },
	/* lists and the audit log */
	{ "status",		VALID_ORD_STATUS, 16, 0, 0 },
	{ "before",		VALID_ID,	20, 0, 0 },
	{ "limit",		VALID_UINT,	5, 1, 1000 },
	{ "page",		VALID_UINT,	6, 0, 100000 },
	{ "offset",		VALID_UINT,	7, 0, 1000000 },
	{ "actor",		VALID_TEXT,	128, 0, 0 },
	{ "action",		VALID_ACTION,	64, 0, 0 },
	{ "object",		VALID_TEXT,	256, 0, 0 },
	{ "result",		VALID_RESULT,	8, 0, 0 },
	{ "from",		VALID_TIME,	20, 0, 0 },
	{ "to",			VALID_TIME,	20, 0, 0 },
	{ "format",		VALID_FORMAT,	8, 0, 0 },
};

static void
vfail(struct valid_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
vfail(struct valid_error *err, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
valid_value_clear(struct valid_value *v)
{
	if (v == NULL)
		return;
	free(v->s);
	panel_strv_free(v->list, v->n);
	memset(v, 0, sizeof(*v));
}

static const struct vfield *
field_get(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

size_t
valid_field_max(const char *field)
{
	const struct vfield	*f = field_get(field);

	return f != NULL ? f->max : 0;
}

/* ASCII letters and digits, whatever the locale says. */
static int
ascii_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* 1 when s is valid UTF-8 without control characters. */
static int
text_ok(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*e;
	int			 ok;

	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	/* panel_escape_ctl changes a string iff it holds a control byte,
	 * a backslash or broken UTF-8; backslashes are fine here. */
	if ((e = panel_escape_ctl(s, 0)) == NULL)
		return 0;
	ok = 1;
	for (p = (const unsigned char *)s; *p != '\0' && ok; p++)
		if (*p == '\\')
			ok = 0;
	ok = ok ? strcmp(e, s) == 0 : strstr(e, "\\x") == NULL;
	free(e);
	return ok;
}

/* Digits only, no sign, no leading zero (except "0"). */
static int
parse_uint(const char *s, long long max, long long *out)
{
	long long	 v = 0;
	const char	*p;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 18)
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

enum panel_err
valid_email(const char *input, char **out, struct valid_error *err)
{
	static const char	 atext[] = "!#$%&'*+-/=?^_`{|}~";
	char			 dom[DNS_MAX + 1];
	const char		*at, *p, *why;
	size_t			 llen;

	*out = NULL;
	if (strncasecmp(input, "mailto:", 7) == 0)
		input += 7;
	if ((at = strchr(input, '@')) == NULL || strchr(at + 1, '@') != NULL) {
		vfail(err, "Enter an e-mail address like name@example.com.");
		return PANEL_ERR_INVALID;
	}
	llen = (size_t)(at - input);
	if (llen == 0 || llen > LOCAL_MAX || input[0] == '.' ||
	    at[-1] == '.') {
		vfail(err, "The part before @ is not valid.");
		return PANEL_ERR_INVALID;
	}
	for (p = input; p < at; p++)
		if (!(ascii_alnum(*p) || strchr(atext, *p) != NULL ||
		    (*p == '.' && p[1] != '.'))) {
			vfail(err, "The part before @ may hold letters, digits "
			    "and !#$%%&'*+-/=?^_`{|}~. only.");
			return PANEL_ERR_INVALID;
		}
	if (valid_domain_one(at + 1, dom, sizeof(dom), &why) == -1) {
		vfail(err, "The domain of the address is not valid: %s.", why);
		return PANEL_ERR_INVALID;
	}
	if (llen + 1 + strlen(dom) > EMAIL_MAX) {
		vfail(err, "The address is too long.");
		return PANEL_ERR_INVALID;
	}
	if ((*out = malloc(llen + 1 + strlen(dom) + 1)) == NULL)
		return PANEL_ERR_NOMEM;
	memcpy(*out, input, llen);
	(*out)[llen] = '@';
	strcpy(*out + llen + 1, dom);
	return PANEL_OK;
}

/* 1 when the host (lower-case) is loopback, private, link-local or
 * otherwise not a public CA's. */
static int
host_private(const char *host)
{
	unsigned char	 a[16];
	size_t		 len = strlen(host);

	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 0 || a[0] == 10 || a[0] == 127 ||
		    (a[0] == 100 && (a[1] & 0xc0) == 64) ||
		    (a[0] == 169 && a[1] == 254) ||
		    (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168) || a[0] >= 224;
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char	 v4mapped[12] = { 0, 0, 0, 0,
		    0, 0, 0, 0, 0, 0, 0xff, 0xff };
		static const unsigned char	 zero[16];

		if (memcmp(a, zero, 15) == 0)
			return 1;		/* :: and ::1 */
		if (memcmp(a, v4mapped, 12) == 0)
			return 1;
		return (a[0] & 0xfe) == 0xfc ||	/* fc00::/7 */
		    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || a[0] == 0xff;
	}
	/* Names: localhost, and single labels (resolved locally). */
	return strcmp(host, "localhost") == 0 ||
	    (len > 10 && strcmp(host + len - 10, ".localhost") == 0) ||
	    strchr(host, '.') == NULL;
}

enum panel_err
valid_https_url(const char *input, int allow_private, char **out,
    struct valid_error *err)
{
	static const char	 pchar[] = "-._~!$&'()*+,;=:@/?%";
	const char		*auth, *rest, *p, *colon;
	char			 host[256];
	size_t			 hlen, i;
	long long		 port;
	unsigned char		 a[16];

	*out = NULL;
	if (strncasecmp(input, "https://", 8) != 0) {
		vfail(err, "Enter an https:// URL.");
		return PANEL_ERR_INVALID;
	}
	auth = input + 8;
	rest = auth + strcspn(auth, "/?#");
	for (p = rest; *p != '\0'; p++) {
		if (*p == '%' && (!isxdigit((unsigned char)p[1]) ||
		    !isxdigit((unsigned char)p[2]))) {
			vfail(err, "The URL has a bad %% escape.");
			return PANEL_ERR_INVALID;
		}
		if (*p == '#') {
			vfail(err, "The URL cannot have a #fragment.");
			return PANEL_ERR_INVALID;
		}
		if (!ascii_alnum(*p) && strchr(pchar, *p) == NULL) {
			vfail(err, "The URL holds characters that must be "
			    "%%-encoded.");
			return PANEL_ERR_INVALID;
		}
	}
	if (memchr(auth, '@', (size_t)(rest - auth)) != NULL) {
		vfail(err, "The URL cannot hold a user name or password.");
		return PANEL_ERR_INVALID;
	}
	/* host, [v6] or host:port */
	if (*auth == '[') {
		if ((p = memchr(auth, ']', (size_t)(rest - auth))) == NULL)
			goto badhost;
		hlen = (size_t)(p - auth - 1);
		if (hlen >= sizeof(host))
			goto badhost;
		memcpy(host, auth + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, a) != 1)
			goto badhost;
		colon = p + 1 < rest ? p + 1 : NULL;
		if (colon != NULL && *colon != ':')
			goto badhost;
	} else {
		colon = memchr(auth, ':', (size_t)(rest - auth));
		hlen = (size_t)((colon != NULL ? colon : rest) - auth);
		if (hlen == 0 || hlen >= sizeof(host))
			goto badhost;
		for (i = 0; i < hlen; i++)
			host[i] = (char)tolower((unsigned char)auth[i]);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, a) != 1 &&
		    (host[0] == '-' || host[0] == '.' || host[hlen - 1] == '-' ||
		    strstr(host, "..") != NULL ||
		    strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789-.") !=
		    hlen))
			goto badhost;
	}
	if (colon != NULL) {
		char	 num[8];
		size_t	 plen = (size_t)(rest - colon - 1);

		if (plen == 0 || plen >= sizeof(num))
			goto badport;
		memcpy(num, colon + 1, plen);
		num[plen] = '\0';
		if (parse_uint(num, 65535, &port) == -1 || port == 0)
			goto badport;
	}
	if (!allow_private && host_private(host)) {
		vfail(err, "The CA's host is a local or private address, "
		    "which is not allowed here.");
		return PANEL_ERR_INVALID;
	}
	if ((*out = malloc(strlen(input) + 1)) == NULL)
		return PANEL_ERR_NOMEM;
	memcpy(*out, "https://", 8);
	for (i = 0; auth + i < rest; i++)	/* host part lower-cased */
		(*out)[8 + i] = (char)tolower((unsigned char)auth[i]);
	strcpy(*out + 8 + i, rest);
	return PANEL_OK;
badhost:
	vfail(err, "The URL's host name is not valid.");
	return PANEL_ERR_INVALID;
badport:
	vfail(err, "The URL's port is not valid.");
	return PANEL_ERR_INVALID;
}

static enum panel_err
valid_server(const char *in, const struct panel_config *cfg,
    struct valid_value *v, struct valid_error *err)
{
	const struct panel_preset	*p;
	size_t				 i, n;

	if ((p = panel_preset_get(in)) != NULL) {
		if (p->url == NULL && (cfg == NULL ||
		    cfg->local_ca_url == NULL)) {
			vfail(err, "The local test CA is not configured "
			    "(local_ca_url).");
			return PANEL_ERR_INVALID;
		}
		v->preset = p;
		v->s = strdup(p->url != NULL ? p->url : cfg->local_ca_url);
		return v->s == NULL ? PANEL_ERR_NOMEM : PANEL_OK;
	}
	if (strncasecmp(in, "https://", 8) != 0) {
		vfail(err, "Choose a CA, or enter its https:// directory URL.");
		return PANEL_ERR_INVALID;
	}
	if (valid_https_url(in, cfg != NULL && cfg->allow_private_ca, &v->s,
	    err) != PANEL_OK)
		return v->s == NULL && err->msg[0] == '\0' ? PANEL_ERR_NOMEM :
		    PANEL_ERR_INVALID;
	/* A preset's own URL typed in counts as that preset. */
	p = panel_presets(&n);
	for (i = 0; i < n; i++)
		if (p[i].url != NULL && strcmp(p[i].url, v->s) == 0)
			v->preset = &p[i];
	return PANEL_OK;
}

static enum panel_err
valid_hmac(const char *in, struct valid_value *v, struct valid_error *err)
{
	unsigned char	*raw = NULL;
	size_t		 rawlen = 0, len, i;
	char		*s;

	/* Accept padding and the standard alphabet; keep base64url. */
	if ((s = strdup(in)) == NULL)
		return PANEL_ERR_NOMEM;
	len = strlen(s);
	while (len > 0 && s[len - 1] == '=')
		s[--len] = '\0';
	for (i = 0; i < len; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	if (!acme_b64url_valid(s, 512) ||
	    acme_b64url_decode(s, len, &raw, &rawlen) != ACME_OK ||
	    rawlen < 16) {
		crypt_wipe_free(raw, rawlen);
		crypt_wipe_free(s, len);
		vfail(err, "The EAB HMAC key must be the base64url text the "
		    "CA gave (at least 16 bytes).");
		return PANEL_ERR_INVALID;
	}
	crypt_wipe_free(raw, rawlen);
	v->s = s;
	return PANEL_OK;
}

static enum panel_err
valid_reason(const char *in, struct valid_value *v, struct valid_error *err)
{
	static const struct { int code; const char *name; } r[] = {
		{ 0, "unspecified" }, { 1, "keyCompromise" },
		{ 3, "affiliationChanged" }, { 4, "superseded" },
		{ 5, "cessationOfOperation" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (strcasecmp(in, r[i].name) == 0 ||
		    (in[0] == '0' + r[i].code && in[1] == '\0')) {
			v->i = r[i].code;
			return (v->s = strdup(r[i].name)) == NULL ?
			    PANEL_ERR_NOMEM : PANEL_OK;
		}
	vfail(err, "Choose a revocation reason: unspecified (0), "
	    "keyCompromise (1), affiliationChanged (3), superseded (4) or "
	    "cessationOfOperation (5).");
	return PANEL_ERR_INVALID;
}

/* Validators that only look at the characters. */
static enum panel_err
valid_simple(const struct vfield *f, const char *in, struct valid_value *v,
    struct valid_error *err)
{
	enum store_ord_status	 os;
	enum audit_result	 ar;
	enum acme_keytype	 kt;
	long long		 n;
	time_t			 t;
	char			 iso[21];
	size_t			 len = strlen(in), i;

	switch (f->kind) {
	case VALID_TEXT:
		if (!text_ok(in)) {
			vfail(err, "Control characters are not allowed.");
			return PANEL_ERR_INVALID;
		}
		break;
	case VALID_BOOL:
		if (*in == '\0' || strcmp(in, "0") == 0 ||
		    strcasecmp(in, "false") == 0 || strcasecmp(in, "off") == 0 ||
		    strcasecmp(in, "no") == 0)
			v->i = 0;
		else if (strcmp(in, "1") == 0 || strcasecmp(in, "true") == 0 ||
		    strcasecmp(in, "on") == 0 || strcasecmp(in, "yes") == 0)
			v->i = 1;
		else {
			vfail(err, "Expected yes or no.");
			return PANEL_ERR_INVALID;
		}
		return PANEL_OK;
	case VALID_ID:
		if (parse_uint(in, ID_MAX, &n) == -1 || n == 0) {
			vfail(err, "Expected a number.");
			return PANEL_ERR_INVALID;
		}
		v->i = n;
		return PANEL_OK;
	case VALID_UINT:
		if (parse_uint(in, f->max_i, &n) == -1 || n < f->min_i) {
			vfail(err, "Expected a number from %lld to %lld.",
			    f->min_i, f->max_i);
			return PANEL_ERR_INVALID;
		}
		v->i = n;
		return PANEL_OK;
	case VALID_KEYTYPE:
		if (acme_keytype_parse(in, &kt) == -1) {
			vfail(err, "Choose a key type: ec-256, ec-384, "
			    "rsa-2048, rsa-3072 or rsa-4096.");
			return PANEL_ERR_INVALID;
		}
		v->i = kt;
		break;
	case VALID_CHTYPE:
		if (strcmp(in, "http-01") != 0 && strcmp(in, "dns-01") != 0) {
			vfail(err, "Choose http-01 or dns-01.");
			return PANEL_ERR_INVALID;
		}
		v->i = acme_chtype_parse(in);
		break;
	case VALID_EAB_KID:
		if (!acme_b64url_valid(in, f->max)) {
			vfail(err, "The EAB key ID holds characters other than "
			    "letters, digits, - and _.");
			return PANEL_ERR_INVALID;
		}
		break;
	case VALID_USERNAME:
		for (i = 0; i < len; i++)
			if (!(ascii_alnum(in[i]) || (i > 0 &&
			    strchr("._@-", in[i]) != NULL))) {
				vfail(err, "A user name holds letters, digits "
				    "and . _ @ - (not first).");
				return PANEL_ERR_INVALID;
			}
		if ((v->s = strdup(in)) == NULL)
			return PANEL_ERR_NOMEM;
		for (i = 0; i < len; i++)
			v->s[i] = (char)tolower((unsigned char)v->s[i]);
		return PANEL_OK;
	case VALID_PASSWORD:
	case VALID_NEW_PASSWORD:
		for (i = 0; i < len; i++)
			if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) {
				vfail(err, "The password holds control "
				    "characters.");
				return PANEL_ERR_INVALID;
			}
		if (f->kind == VALID_NEW_PASSWORD && len < 8) {
			vfail(err, "Choose a password of at least 8 "
			    "characters.");
			return PANEL_ERR_INVALID;
		}
		break;
	case VALID_TOKEN:
		if (!acme_b64url_valid(in, f->max)) {
			vfail(err, "The token is not valid.");
			return PANEL_ERR_INVALID;
		}
		break;
	case VALID_ORD_STATUS:
		if (store_ord_status_parse(in, &os) == -1) {
			vfail(err, "Not an order status.");
			return PANEL_ERR_INVALID;
		}
		v->i = os;
		break;
	case VALID_RESULT:
		if (audit_result_parse(in, &ar) == -1) {
			vfail(err, "The result must be ok, fail or denied.");
			return PANEL_ERR_INVALID;
		}
		v->i = ar;
		break;
	case VALID_ACTION:
		for (i = 0; i < len; i++)
			if (!(islower((unsigned char)in[i]) ||
			    isdigit((unsigned char)in[i]) ||
			    strchr("._-", in[i]) != NULL ||
			    (in[i] == '*' && i + 1 == len))) {
				vfail(err, "An action looks like order.create "
				    "(a trailing * matches a prefix).");
				return PANEL_ERR_INVALID;
			}
		break;
	case VALID_TIME:
		if (panel_time_parse(in, &t) == -1) {
			vfail(err, "Expected a date like 2025-01-31 or "
			    "2025-01-31T12:00:00Z.");
			return PANEL_ERR_INVALID;
		}
		v->i = (int64_t)t;
		return (v->s = strdup(panel_time_iso(t, iso))) == NULL ?
		    PANEL_ERR_NOMEM : PANEL_OK;
	case VALID_FORMAT:
		if (strcmp(in, "html") != 0 && strcmp(in, "json") != 0 &&
		    strcmp(in, "csv") != 0) {
			vfail(err, "The format is html, json or csv.");
			return PANEL_ERR_INVALID;
		}
		break;
	default:
		return PANEL_ERR_ARG;
	}
	return (v->s = strdup(in)) == NULL ? PANEL_ERR_NOMEM : PANEL_OK;
}

enum panel_err
valid_field(const char *field, const char *input,
    const struct panel_config *cfg, struct valid_value *out,
    struct valid_error *err)
{
	const struct vfield	*f;
	enum panel_err		 rc;
	char			*trim = NULL;
	const char		*in;
	size_t			 len;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if ((f = field_get(field)) == NULL)
		return PANEL_ERR_ARG;
	err->field = f->name;
	out->kind = f->kind;
	if (input == NULL)
		input = "";
	if (strlen(input) > f->max) {
		vfail(err, "This is too long (at most %zu characters).",
		    f->max);
		return PANEL_ERR_INVALID;
	}
	/* Surrounding white space is never meaningful, except in a
	 * password. */
	in = input;
	if (f->kind != VALID_PASSWORD && f->kind != VALID_NEW_PASSWORD) {
		while (isspace((unsigned char)*in))
			in++;
		len = strlen(in);
		while (len > 0 && isspace((unsigned char)in[len - 1]))
			len--;
		if ((trim = strndup(in, len)) == NULL)
			return PANEL_ERR_NOMEM;
		in = trim;
	}
	if (*in == '\0' && f->kind != VALID_BOOL && f->kind != VALID_TEXT &&
	    f->kind != VALID_DOMAINS) {
		vfail(err, "This field is required.");
		free(trim);
		return PANEL_ERR_INVALID;
	}
	switch (f->kind) {
	case VALID_EMAIL:
		rc = valid_email(in, &out->s, err);
		break;
	case VALID_SERVER:
		rc = valid_server(in, cfg, out, err);
		break;
	case VALID_URL:
		rc = valid_https_url(in, cfg != NULL && cfg->allow_private_ca,
		    &out->s, err);
		break;
	case VALID_DOMAINS:
		rc = valid_domains(in, &out->list, &out->n, err);
		break;
	case VALID_EAB_HMAC:
		rc = valid_hmac(in, out, err);
		break;
	case VALID_REASON:
		rc = valid_reason(in, out, err);
		break;
	default:
		rc = valid_simple(f, in, out, err);
		break;
	}
	free(trim);
	if (rc != PANEL_OK) {
		valid_value_clear(out);
		out->kind = f->kind;
	}
	return rc;
}
