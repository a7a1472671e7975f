/*
 * Request parsing and response buffering for acme.fcgi.  Everything the
 * browser or API client sends is read here once, with caps on every
 * size, and handed on as a struct req.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "panel.h"
#include "web.h"

static const char *const methods[] = {
	[M_GET] = "GET",
	[M_HEAD] = "HEAD",
	[M_POST] = "POST",
	[M_OTHER] = "",
};
_Static_assert(sizeof(methods) / sizeof(methods[0]) == M__MAX, "methods");

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
url_decode(char *s, int plus)
{
	char	*w = s;
	int	 hi, lo;

	for (; *s != '\0'; s++) {
		if (*s == '%') {
			if ((hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0)
				return -1;
			if ((*w++ = (char)(hi << 4 | lo)) == '\0')
				return -1;
			s += 2;
		} else if (*s == '+' && plus)
			*w++ = ' ';
		else
			*w++ = *s;
	}
	*w = '\0';
	return 0;
}

/*
 * Splits "a=1&b=2" into kv pairs (decoded).  Returns 0, -1 when out of
 * memory; malformed pairs set *bad and are skipped.
 */
static int
parse_pairs(const char *in, struct kv *kv, size_t *n, int *bad)
{
	char	*copy, *p, *pair, *eq;

	if (in == NULL || *in == '\0')
		return 0;
	if ((copy = strdup(in)) == NULL)
		return -1;
	for (p = copy; (pair = strsep(&p, "&;")) != NULL;) {
		if (*pair == '\0')
			continue;
		if (*n >= FIELD_MAX) {
			*bad = 1;
			break;
		}
		if ((eq = strchr(pair, '=')) != NULL)
			*eq++ = '\0';
		else
			eq = pair + strlen(pair);
		if (url_decode(pair, 1) == -1 || url_decode(eq, 1) == -1) {
			*bad = 1;
			continue;
		}
		kv[*n].key = strdup(pair);
		kv[*n].val = strdup(eq);
		if (kv[*n].key == NULL || kv[*n].val == NULL) {
			free(kv[*n].key);
			free(kv[*n].val);
			free(copy);
			return -1;
		}
		(*n)++;
	}
	free(copy);
	return 0;
}

/*
 * Copies a JSON body's scalar members into r->form so handlers read
 * forms and JSON the same way; arrays of strings are joined by '\n'
 * (contact[], domains as a list).
 */
static int
json_to_form(struct req *r)
{
	const char	*key;
	json_t		*v, *e;
	size_t		 i;
	char		 num[32], *s;

	json_object_foreach(r->json, key, v) {
		if (r->nform >= FIELD_MAX) {
			r->body_bad = 1;
			return 0;
		}
		s = NULL;
		if (json_is_string(v)) {
			if (strlen(json_string_value(v)) !=
			    json_string_length(v)) {
				r->body_bad = 1;
				continue;
			}
			s = strdup(json_string_value(v));
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld",
			    (long long)json_integer_value(v));
			s = strdup(num);
		} else if (json_is_boolean(v))
			s = strdup(json_is_true(v) ? "1" : "0");
		else if (json_is_array(v)) {
			struct resp	 b;

			memset(&b, 0, sizeof(b));
			json_array_foreach(v, i, e) {
				if (!json_is_string(e)) {
					r->body_bad = 1;
					break;
				}
				if (i > 0)
					resp_add(&b, "\n", 1);
				resp_puts(&b, json_string_value(e));
			}
			if (b.failed) {
				resp_clear(&b);
				return -1;
			}
			s = b.body != NULL ? b.body : strdup("");
		} else if (json_is_null(v))
			continue;
		else {
			r->body_bad = 1;
			continue;
		}
		if (s == NULL || (r->form[r->nform].key = strdup(key)) == NULL) {
			free(s);
			return -1;
		}
		r->form[r->nform++].val = s;
	}
	return 0;
}

/*
 * The parameters req_read takes from the server, in one table so that
 * they are fetched in one pass.
 */
enum param {
	P_METHOD,
	P_URI,
	P_QUERY,
	P_ACCEPT,
	P_HTTPS,
	P_ADDR,
	P_USER,
	P_COOKIE,
	P_AUTHZ,
	P_CSRF,
	P_HOST,
	P_CLEN,
	P_CTYPE,
	P__MAX
};

static const char *const param_names[P__MAX] = {
	[P_METHOD] = "REQUEST_METHOD",
	[P_URI] = "REQUEST_URI",
	[P_QUERY] = "QUERY_STRING",
	[P_ACCEPT] = "HTTP_ACCEPT",
	[P_HTTPS] = "HTTPS",
	[P_ADDR] = "REMOTE_ADDR",
	[P_USER] = "REMOTE_USER",
	[P_COOKIE] = "HTTP_COOKIE",
	[P_AUTHZ] = "HTTP_AUTHORIZATION",
	[P_CSRF] = "HTTP_X_CSRF_TOKEN",
	[P_HOST] = "HTTP_HOST",
	[P_CLEN] = "CONTENT_LENGTH",
	[P_CTYPE] = "CONTENT_TYPE",
};
_Static_assert(sizeof(param_names) / sizeof(param_names[0]) == P__MAX,
    "param_names");

/*
 * Reads up to BODY_MAX bytes of the request body, of length cl and type
 * ct as the server gave them (either may be NULL).
 */
static int
read_body(struct req *r, const struct env *e, const char *cl,
    const char *ct)
{
	char		*buf, *end;
	unsigned long	 want;
	long		 got;
	size_t		 have = 0;
	int		 rc = 0;

	if (cl == NULL || *cl == '\0')
		return 0;
	want = strtoul(cl, &end, 10);
	if (*end != '\0' || cl[0] == '-') {
		r->body_bad = 1;
		return 0;
	}
	if (want > BODY_MAX) {
		r->body_too_big = 1;
		return 0;
	}
	if ((buf = malloc(want + 1)) == NULL)
		return -1;
	while (have < want) {
		if ((got = e->read(e->arg, buf + have, want - have)) <= 0)
			break;
		have += (size_t)got;
	}
	buf[have] = '\0';
	if (have != want || strlen(buf) != have)
		r->body_bad = 1;
	else if (ct != NULL && strncasecmp(ct, "application/json", 16) == 0) {
		json_error_t	 jerr;

		r->body_json = 1;
		r->json = json_loadb(buf, have, JSON_REJECT_DUPLICATES, &jerr);
		if (r->json == NULL || !json_is_object(r->json))
			r->body_bad = 1;
		else
			rc = json_to_form(r);
	} else if (ct == NULL || strncasecmp(ct,
	    "application/x-www-form-urlencoded", 33) == 0)
		rc = parse_pairs(buf, r->form, &r->nform, &r->body_bad);
	else
		r->body_bad = 1;
	free(buf);
	return rc;
}

int
req_read(struct req *r, const struct env *e)
{
	const char	*v[P__MAX], *m, *uri, *acc, *https, *q;
	char		*path;
	size_t		 i, n;

	memset(r, 0, sizeof(*r));
	e->params(e->arg, param_names, P__MAX, v);
	m = v[P_METHOD];
	r->method = M_OTHER;
	for (i = 0; m != NULL && i < M_OTHER; i++)
		if (strcmp(m, methods[i]) == 0)
			r->method = (enum method)i;

	/* REQUEST_URI is what the client sent, under every server. */
	if ((uri = v[P_URI]) == NULL)
		uri = "/";
	n = strcspn(uri, "?#");
	if ((path = strndup(uri, n)) == NULL)
		return -1;
	if (url_decode(path, 0) == -1)
		path[0] = '\0';		/* routes nowhere: 404 */
	r->path = path;
	q = uri[n] == '?' ? uri + n + 1 : v[P_QUERY];
	if (parse_pairs(q, r->query, &r->nquery, &r->body_bad) == -1)
		return -1;

	acc = v[P_ACCEPT];
	r->want_json = acc != NULL && strstr(acc, "application/json") != NULL;
	https = v[P_HTTPS];
	r->https = https != NULL && (strcasecmp(https, "on") == 0 ||
	    strcmp(https, "1") == 0);
	r->remote_addr = v[P_ADDR];
	r->remote_user = v[P_USER];
	r->cookie = v[P_COOKIE];
	r->authorization = v[P_AUTHZ];
	r->csrf_header = v[P_CSRF];
	r->host = v[P_HOST];
	if (r->method == M_POST)
		return read_body(r, e, v[P_CLEN], v[P_CTYPE]);
	return 0;
}

void
req_clear(struct req *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	free(r->path);
	for (i = 0; i < r->nquery; i++) {
		free(r->query[i].key);
		free(r->query[i].val);
	}
	for (i = 0; i < r->nform; i++) {
		free(r->form[i].key);
		free(r->form[i].val);
	}
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

static const char *
kv_get(const struct kv *kv, size_t n, const char *key)
{
	const char	*v = NULL;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			v = kv[i].val;
	return v;
}

const char *
req_field(const struct req *r, const char *key)
{
	return kv_get(r->form, r->nform, key);
}

const char *
req_query(const struct req *r, const char *key)
{
	return kv_get(r->query, r->nquery, key);
}

int
req_cookie(const struct req *r, const char *name, char *buf, size_t len)
{
	const char	*p = r->cookie;
	size_t		 nl = strlen(name), vl;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			p += nl + 1;
			vl = strcspn(p, ";");
			if (vl >= len)
				return -1;
			memcpy(buf, p, vl);
			buf[vl] = '\0';
			return 0;
		}
		p = strchr(p, ';');
	}
	return -1;
}

/* Response side. ---------------------------------------------------- */

void
resp_add(struct resp *p, const char *s, size_t len)
{
	char	*nb;
	size_t	 ncap;

	if (p->failed)
		return;
	if (p->len + len + 1 > p->cap) {
		/* 16 KiB first: the list pages fit without a realloc. */
		ncap = p->cap ? p->cap : 16384;
		while (ncap < p->len + len + 1)
			ncap *= 2;
		if (p->secret) {
			/* No copy of a key left behind in freed memory. */
			if ((nb = malloc(ncap)) == NULL) {
				p->failed = 1;
				return;
			}
			if (p->body != NULL) {
				memcpy(nb, p->body, p->len + 1);
				explicit_bzero(p->body, p->cap);
				free(p->body);
			}
		} else if ((nb = realloc(p->body, ncap)) == NULL) {
			p->failed = 1;
			return;
		}
		p->body = nb;
		p->cap = ncap;
	}
	memcpy(p->body + p->len, s, len);
	p->len += len;
	p->body[p->len] = '\0';
}

void
resp_puts(struct resp *p, const char *s)
{
	resp_add(p, s, strlen(s));
}

void
resp_printf(struct resp *p, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		p->failed = 1;
		return;
	}
	resp_add(p, s, (size_t)n);
	free(s);
}

void
resp_header(struct resp *p, const char *name, const char *value)
{
	char	*nh;
	size_t	 add;

	/* No header injection: values never carry CR or LF. */
	if (strpbrk(value, "\r\n") != NULL || strpbrk(name, "\r\n: ") != NULL)
		return;
	add = strlen(name) + strlen(value) + 4;
	if ((nh = realloc(p->headers, p->hlen + add + 1)) == NULL) {
		p->failed = 1;
		return;
	}
	p->headers = nh;
	p->hlen += (size_t)snprintf(nh + p->hlen, add + 1, "%s: %s\r\n",
	    name, value);
}

void
resp_type(struct resp *p, const char *ctype)
{
	free(p->ctype);
	if ((p->ctype = strdup(ctype)) == NULL)
		p->failed = 1;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return status >= 500 ? "Internal Server Error" : "Error";
	}
}

/* 1 when the extra headers already hold name (a page chose its own). */
static int
has_header(const struct resp *p, const char *name)
{
	const char	*h = p->headers;
	size_t		 n = strlen(name);

	while (h != NULL && *h != '\0') {
		if (strncasecmp(h, name, n) == 0 && h[n] == ':')
			return 1;
		if ((h = strstr(h, "\r\n")) != NULL)
			h += 2;
	}
	return 0;
}

/* The response's first lines, put together without printf. */
struct hline {
	char	 b[512];
	size_t	 n;
	int	 over;		/* did not fit */
};

static void
hl_add(struct hline *h, const char *s)
{
	size_t	 len = strlen(s);

	if (len > sizeof(h->b) - h->n) {
		h->over = 1;
		return;
	}
	memcpy(h->b + h->n, s, len);
	h->n += len;
}

static void
hl_num(struct hline *h, unsigned long long v)
{
	char	 d[24], *q = d + sizeof(d);

	*--q = '\0';
	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	hl_add(h, q);
}

int
resp_send(struct resp *p, const struct env *e, int head)
{
	struct hline	 h;

	if (p->failed) {
		/* Out of memory building the page: say so plainly. */
		p->status = 500;
		p->len = 0;
		p->hlen = 0;
		free(p->ctype);
		p->ctype = NULL;
	}
	if (p->status <= 0 || p->status > 999)
		p->status = 200;
	h.n = 0;
	h.over = 0;
	hl_add(&h, "Status: ");
	hl_num(&h, (unsigned long long)p->status);
	hl_add(&h, " ");
	hl_add(&h, status_text(p->status));
	hl_add(&h, "\r\nContent-Type: ");
	hl_add(&h, p->ctype ? p->ctype : "text/plain; charset=utf-8");
	hl_add(&h, "\r\nContent-Length: ");
	hl_num(&h, p->failed ? 0 : (unsigned long long)p->len);
	hl_add(&h, "\r\n");
	if (!has_header(p, "Cache-Control"))
		hl_add(&h, "Cache-Control: no-store\r\n");
	hl_add(&h, "X-Content-Type-Options: nosniff\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "Referrer-Policy: same-origin\r\n");
	if (h.over)
		return -1;
	if (e->write(e->arg, h.b, h.n) == -1)
		return -1;
	if (p->hlen > 0 && e->write(e->arg, p->headers, p->hlen) == -1)
		return -1;
	if (e->write(e->arg, "\r\n", 2) == -1)
		return -1;
	if (!head && !p->failed && p->len > 0 &&
	    e->write(e->arg, p->body, p->len) == -1)
		return -1;
	return 0;
}

void
resp_clear(struct resp *p)
{
	if (p == NULL)
		return;
	free(p->ctype);
	free(p->headers);
	/* A body that held a private key (certs_key sets secret). */
	if (p->body != NULL && p->secret)
		explicit_bzero(p->body, p->cap);
	free(p->body);
	memset(p, 0, sizeof(*p));
}

/* panel_json_write's writer: straight into the body. */
static int
json_writer(void *arg, const char *buf, size_t len)
{
	struct resp	*p = arg;

	resp_add(p, buf, len);
	return p->failed ? -1 : 0;
}

/*
 * Members come out in the order the page added them (Jansson keeps
 * insertion order), compact and ASCII-only; the text goes straight into
 * the body, so no second copy of it (a private key, say) is left behind.
 */
void
resp_json(struct resp *p, int status, json_t *v)
{
	p->status = status;
	resp_type(p, "application/json");
	if (v == NULL || panel_json_write(v, json_writer, p) == -1) {
		json_decref(v);
		p->failed = 1;
		return;
	}
	json_decref(v);
	resp_add(p, "\n", 1);
}

void
resp_json_error(struct resp *p, int status, const char *code,
    const char *message, const char *field)
{
	resp_json(p, status, json_pack("{s:{s:s,s:s,s:s?}}", "error",
	    "code", code, "message", message, "field", field));
}

void
resp_urlenc(struct resp *p, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 b[3];

	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || strchr("-._~", *s) != NULL)
			resp_add(p, s, 1);
		else {
			b[0] = '%';
			b[1] = hex[(unsigned char)*s >> 4];
			b[2] = hex[(unsigned char)*s & 15];
			resp_add(p, b, 3);
		}
	}
}
