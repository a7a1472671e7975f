/*
 * HTTP transport on one libcurl easy handle per context (kept for
 * connection reuse), made on the context's first transfer; libcurl
 * itself is loaded then, once per process (curlfn.c).  Every transfer
 * is https only, redirects included, with connect and total timeouts, a
 * body cap and, on request, a check of the resolved peer address just
 * before connect(2).  The headers ACME needs go into struct http_resp:
 * Location, Replay-Nonce (RFC 8555 6.5, also pooled), Retry-After,
 * Content-Type and Link rel="alternate" and "up" (7.4.2, RFC 8288); those
 * of a redirect or 1xx are dropped.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netdb.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define MAX_REDIRS	5
#define MAX_LINKS	16	/* rel="alternate" URLs kept */
#define HDR_LINE_MAX	8192
#define LINK_PARAM_MAX	256

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST
};

/* State of one transfer, shared with the callbacks. */
struct xfer {
	struct acme_ctx		*ctx;
	struct http_resp	*resp;
	int			 toobig;
	int			 nomem;
	int			 refused;	/* a peer address was refused */
	char			 addr[64];	/* the refused address */
};

/* Frees the collected headers of resp, keeping status and body. */
static void
http_headers_reset(struct http_resp *r)
{

	free(r->location);
	free(r->nonce);
	free(r->retry_after);
	free(r->content_type);
	strv_free(r->alternates, r->nalt);
	free(r->link_up);
	r->location = r->nonce = r->retry_after = NULL;
	r->content_type = r->link_up = NULL;
	r->alternates = NULL;
	r->nalt = 0;
}

/* Frees everything resp holds and zeroes it; NULL-safe. */
void
http_resp_clear(struct http_resp *r)
{

	if (r == NULL)
		return;
	http_headers_reset(r);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/*
 * libcurl write callback: appends to the body unless that would pass
 * ctx->max_body, in which case the short count makes curl stop with
 * CURLE_WRITE_ERROR and x->toobig tells why.
 */
static size_t
http_body_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer		*x = arg;
	struct http_resp	*r = x->resp;
	size_t			 n = size * nmemb;
	char			*p;

	if (n > x->ctx->max_body - r->len) {
		x->toobig = 1;
		return 0;
	}
	if ((p = realloc(r->body, r->len + n + 1)) == NULL) {
		x->nomem = 1;
		return 0;
	}
	r->body = p;
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Length of the RFC 9110 5.6.2 token at p (controls were refused). */
#define http_token_len(p)	strcspn((p), "\"(),/:;<=>?@[\\]{} \t")

/*
 * Keeps the https URL u (len bytes) as resp's rel="up" link (the first
 * one) and/or as one of at most MAX_LINKS alternates.  0 or -1 (nomem).
 */
static int
http_link_add(struct http_resp *r, const char *u, size_t len, int alt,
    int up)
{
	char	*url, **v;
	int	 rc = -1;

	if (!alt && !up)
		return 0;
	if ((url = strndup(u, len)) == NULL)
		return -1;
	if (!url_is_https(url))
		alt = up = 0;
	if (up && r->link_up == NULL && (r->link_up = strdup(url)) == NULL)
		goto out;
	if (alt && r->nalt < MAX_LINKS) {
		v = reallocarray(r->alternates, r->nalt + 1, sizeof(*v));
		if (v == NULL)
			goto out;
		r->alternates = v;
		r->alternates[r->nalt++] = url;
		url = NULL;
	}
	rc = 0;
out:
	free(url);
	return rc;
}

/*
 * Reads one link-param, name [ "=" ( token / quoted-string ) ], at *pp
 * into val (cut to LINK_PARAM_MAX - 1 bytes) and moves *pp past it.
 * Returns 1 when the name is "rel", 0 for another, -1 on bad syntax.
 */
static int
http_link_param(const char **pp, char *val)
{
	const char	*p = *pp, *name = *pp;
	size_t		 nlen, n, vlen = 0;

	if ((nlen = http_token_len(p)) == 0)
		return -1;
	p += nlen;
	p += strspn(p, " \t");
	if (*p == '=') {
		p += 1 + strspn(p + 1, " \t");
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (*p == '\0')
					return -1;
				if (vlen < LINK_PARAM_MAX - 1)
					val[vlen++] = *p;
			}
			p++;
		} else {
			if ((n = http_token_len(p)) == 0)
				return -1;
			vlen = n < LINK_PARAM_MAX ? n : LINK_PARAM_MAX - 1;
			memcpy(val, p, vlen);
			p += n;
		}
	}
	val[vlen] = '\0';
	*pp = p;
	return nlen == 3 && strncasecmp(name, "rel", 3) == 0;
}

/* 1 when the space-separated relation types of rel include type. */
static int
http_rel_has(const char *rel, const char *type)
{
	size_t	 n;

	for (; *rel != '\0'; rel += n) {
		rel += strspn(rel, " ");
		n = strcspn(rel, " ");
		if (n == strlen(type) && strncasecmp(rel, type, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * Parses one Link header value (RFC 8288 3): a comma-separated list of
 * "<URI>" each followed by ";"-parameters.  URLs whose first rel
 * parameter (3.3) names "alternate" or "up" are kept when they are
 * https.  Parsing stops quietly at a syntax error, keeping what came
 * before.  Returns 0, or -1 when memory ran out.
 */
static int
http_link(struct http_resp *r, const char *p)
{
	const char	*u, *ue;
	char		 val[LINK_PARAM_MAX], rel[LINK_PARAM_MAX];
	int		 isrel, seen;

	for (;;) {
		p += strspn(p, " \t,");
		if (*p != '<' || (ue = strchr(u = p + 1, '>')) == NULL)
			return 0;
		p = ue + 1;
		rel[0] = '\0';
		seen = 0;
		while (*(p += strspn(p, " \t")) == ';') {
			p += 1 + strspn(p + 1, " \t");
			if ((isrel = http_link_param(&p, val)) == -1)
				return 0;
			if (isrel && !seen++)
				memcpy(rel, val, sizeof(rel));
		}
		if (*p != ',' && *p != '\0')
			return 0;
		if (http_link_add(r, u, (size_t)(ue - u),
		    http_rel_has(rel, "alternate"),
		    http_rel_has(rel, "up")) == -1)
			return -1;
	}
}

/* Replaces *field with a copy of v unless v is longer than max; 0 or -1. */
static int
http_set(char **field, const char *v, size_t max)
{
	char	*p;

	if (strlen(v) > max)
		return 0;
	if ((p = strdup(v)) == NULL)
		return -1;
	free(*field);
	*field = p;
	return 0;
}

/*
 * libcurl header callback, called once per header line of every
 * response of the transfer (redirects, 1xx and proxy CONNECT included).
 * A status line starts over; lines with NUL or control characters and
 * overlong lines are ignored.  Returns n, or 0 to abort on nomem.
 */
static size_t
http_header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct xfer		*x = arg;
	struct http_resp	*r = x->resp;
	char			 line[HDR_LINE_MAX + 1], *v, *e;
	size_t			 n = size * nitems, len = n, i;
	int			 rc = 0;

	if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		http_headers_reset(r);
		r->len = 0;
		if (r->body != NULL)
			r->body[0] = '\0';
		return n;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len > HDR_LINE_MAX)
		return n;
	for (i = 0; i < len; i++)
		if (((unsigned char)buf[i] < 0x20 && buf[i] != '\t') ||
		    buf[i] == 0x7f)
			return n;
	memcpy(line, buf, len);
	line[len] = '\0';
	if ((v = strchr(line, ':')) == NULL)
		return n;
	*v++ = '\0';
	v += strspn(v, " \t");
	for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); )
		*--e = '\0';

	if (strcasecmp(line, "Location") == 0)
		rc = http_set(&r->location, v, URL_MAX);
	else if (strcasecmp(line, "Replay-Nonce") == 0) {
		/* RFC 8555 6.5.1: base64url, checked before use. */
		if (acme_b64url_valid(v, NONCE_MAX))
			rc = http_set(&r->nonce, v, NONCE_MAX);
	} else if (strcasecmp(line, "Retry-After") == 0)
		rc = http_set(&r->retry_after, v, 64);
	else if (strcasecmp(line, "Content-Type") == 0) {
		v[strcspn(v, "; \t")] = '\0';
		for (e = v; *e != '\0'; e++)
			*e = (char)tolower((unsigned char)*e);
		rc = http_set(&r->content_type, v, 128);
	} else if (strcasecmp(line, "Link") == 0)
		rc = http_link(r, v);
	if (rc == -1) {
		x->nomem = 1;
		return 0;
	}
	return n;
}

/* 1 when the IPv4 address a (host order) is not a public unicast one. */
static int
http_v4_refused(uint32_t a)
{

	return (a >> 24) == 0 ||			/* 0/8 "this" */
	    (a >> 24) == 10 ||				/* RFC 1918 */
	    (a >> 24) == 127 ||				/* loopback */
	    (a & 0xffc00000) == 0x64400000 ||		/* 100.64/10 CGNAT */
	    (a & 0xffff0000) == 0xa9fe0000 ||		/* 169.254/16 */
	    (a & 0xfff00000) == 0xac100000 ||		/* 172.16/12 */
	    (a & 0xffffff00) == 0xc0000000 ||		/* 192.0.0/24 */
	    (a & 0xffff0000) == 0xc0a80000 ||		/* 192.168/16 */
	    (a & 0xfffe0000) == 0xc6120000 ||		/* 198.18/15 */
	    (a >> 28) >= 0xe;				/* 224/4, 240/4 */
}

/*
 * 1 when sa is an address refuse_private forbids: the IPv4 ranges above
 * (also inside ::ffff:0:0/96, ::/96 and 64:ff9b::/96), ::, ::1,
 * fc00::/7, fe80::/10, fec0::/10, ff00::/8; any other family too.
 */
static int
http_addr_refused(const struct sockaddr *sa)
{
	static const unsigned char	 mapped[12] = { 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char	 nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char	 zero[12];
	const unsigned char		*b;
	uint32_t			 v4;

	if (sa->sa_family == AF_INET)
		return http_v4_refused(ntohl(((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return 1;
	b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	/* ::/96 covers :: and ::1 (they fall in 0/8). */
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, zero, 12) == 0 ||
	    memcmp(b, nat64, 12) == 0) {
		v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
		    (uint32_t)b[14] << 8 | b[15];
		return http_v4_refused(v4);
	}
	return (b[0] & 0xfe) == 0xfc ||			/* fc00::/7 */
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||	/* fec0::/10 */
	    b[0] == 0xff;				/* multicast */
}

/*
 * libcurl open-socket callback (installed with refuse_private): sees the
 * resolved peer address before connect and refuses it by returning
 * CURL_SOCKET_BAD, noting the fact and the address in x.
 */
static curl_socket_t
http_opensocket_cb(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct xfer	*x = arg;

	if (purpose != CURLSOCKTYPE_IPCXN || http_addr_refused(&a->addr)) {
		x->refused = 1;
		if (getnameinfo(&a->addr, a->addrlen, x->addr, sizeof(x->addr),
		    NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(x->addr, sizeof(x->addr), "?");
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/*
 * Sets every option of one transfer on ctx->curl (just reset): https
 * only, also for redirects (followed by GET and HEAD only), timeouts,
 * TLS 1.2 or later with verification, the proxy ("" ignores the
 * environment), the body cap, callbacks and the address check.
 * Returns CURLE_OK or the first failing option's code.
 */
static CURLcode
http_setup(const struct curlfn *cf, struct acme_ctx *ctx,
    enum http_method m, const char *url, const char *body, size_t len,
    struct curl_slist *hdrs, struct xfer *x, char *errbuf)
{
	const struct {
		CURLoption	 opt;
		long		 val;
	} lo[] = {
		{ CURLOPT_FOLLOWLOCATION, m != HTTP_POST },
		{ CURLOPT_MAXREDIRS, MAX_REDIRS },
		{ CURLOPT_CONNECTTIMEOUT_MS, ctx->connect_timeout_ms },
		{ CURLOPT_TIMEOUT_MS, ctx->timeout_ms },
		{ CURLOPT_NOSIGNAL, 1 },
		{ CURLOPT_SSL_VERIFYPEER, 1 },
		{ CURLOPT_SSL_VERIFYHOST, 2 },
		{ CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2 },
		{ CURLOPT_SUPPRESS_CONNECT_HEADERS, 1 },
		{ m == HTTP_GET ? CURLOPT_HTTPGET : m == HTTP_HEAD ?
		    CURLOPT_NOBODY : CURLOPT_POST, 1 },
	};
	const struct {
		CURLoption	 opt;
		const void	*val;			/* NULL: not set */
	} po[] = {
		{ CURLOPT_URL, url },
		{ CURLOPT_PROTOCOLS_STR, "https" },
		{ CURLOPT_REDIR_PROTOCOLS_STR, "https" },
		{ CURLOPT_PROXY, ctx->proxy },
		{ CURLOPT_USERAGENT, ctx->user_agent },
		{ CURLOPT_CAINFO, ctx->ca_file },
		{ CURLOPT_RESOLVE, ctx->resolve },
		{ CURLOPT_HTTPHEADER, hdrs },
		{ CURLOPT_ERRORBUFFER, errbuf },
		{ CURLOPT_WRITEDATA, x },
		{ CURLOPT_HEADERDATA, x },
		{ CURLOPT_POSTFIELDS, m != HTTP_POST ? NULL :
		    body != NULL ? body : "" },
	};
	CURL		*c = ctx->curl;
	CURLcode	 cc = CURLE_OK;
	size_t		 i;

	for (i = 0; i < sizeof(lo) / sizeof(lo[0]) && cc == CURLE_OK; i++)
		cc = cf->easy_setopt(c, lo[i].opt, lo[i].val);
	for (i = 0; i < sizeof(po) / sizeof(po[0]) && cc == CURLE_OK; i++)
		if (po[i].val != NULL)
			cc = cf->easy_setopt(c, po[i].opt, po[i].val);
	if (cc != CURLE_OK ||
	    (cc = cf->easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)ctx->max_body)) != CURLE_OK ||
	    (cc = cf->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)(m == HTTP_POST ? len : 0))) != CURLE_OK ||
	    (cc = cf->easy_setopt(c, CURLOPT_WRITEFUNCTION,
	    http_body_cb)) != CURLE_OK ||
	    (cc = cf->easy_setopt(c, CURLOPT_HEADERFUNCTION,
	    http_header_cb)) != CURLE_OK)
		return cc;
	/*
	 * Through a proxy the CA's address is resolved by the proxy, which
	 * the operator chose and trusts; the check would only see the
	 * proxy's own (often loopback) address, so it is not installed.
	 */
	if (ctx->refuse_private && ctx->proxy[0] == '\0' &&
	    ((cc = cf->easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION,
	    http_opensocket_cb)) != CURLE_OK ||
	    (cc = cf->easy_setopt(c, CURLOPT_OPENSOCKETDATA, x)) != CURLE_OK))
		return cc;
	return CURLE_OK;
}

/*
 * Loads libcurl (once per process) and makes ctx's easy handle if it
 * has none yet.  Returns ACME_OK with *cf set, else ACME_ERR_TRANSPORT
 * with ctx's detail saying why.
 */
static enum acme_err
http_handle(struct acme_ctx *ctx, const struct curlfn **cf)
{

	if ((*cf = curlfn_get()) == NULL) {
		ctx_detail(ctx, "%s", curlfn_error());
		return ACME_ERR_TRANSPORT;
	}
	if (ctx->curl == NULL && (ctx->curl = (*cf)->easy_init()) == NULL) {
		ctx_detail(ctx, "libcurl could not make a handle");
		return ACME_ERR_TRANSPORT;
	}
	return ACME_OK;
}

/*
 * Runs one transfer.  resp is overwritten (callers clear an earlier
 * answer first) and afterwards always has a NUL-terminated body, so it
 * must be released with http_resp_clear() whatever the result.
 * GET and HEAD follow up to MAX_REDIRS https redirects; POST does not
 * (a JWS is bound to its URL, RFC 8555 6.4).  A Replay-Nonce in the
 * final response goes to the nonce pool.  Returns ACME_OK for any HTTP
 * status (the caller judges it), else the error and ctx's detail.
 */
static enum acme_err
http_do(struct acme_ctx *ctx, enum http_method m, const char *url,
    const char *body, size_t len, const char *accept,
    struct http_resp *resp)
{
	struct xfer		 x = { .ctx = ctx, .resp = resp };
	const struct curlfn	*cf;
	struct curl_slist	*hdrs = NULL, *h;
	char			 errbuf[CURL_ERROR_SIZE] = "";
	char			 acc[128];
	const char		*hv[3];
	size_t			 i, nh = 0;
	CURL			*c;
	CURLcode		 cc;
	enum acme_err		 rc;

	if (ctx == NULL || resp == NULL)
		return ACME_ERR_ARG;
	memset(resp, 0, sizeof(*resp));
	ctx_problem_clear(ctx);
	if (url == NULL)
		return ACME_ERR_ARG;
	if (!url_is_https(url)) {
		ctx_detail(ctx, "not an https URL: %.200s", url);
		return ACME_ERR_SCHEME;
	}
	if ((rc = http_handle(ctx, &cf)) != ACME_OK)
		return rc;
	c = ctx->curl;
	if (accept != NULL) {
		snprintf(acc, sizeof(acc), "Accept: %s", accept);
		hv[nh++] = acc;
	}
	if (m == HTTP_POST)
		hv[nh++] = "Content-Type: application/jose+json";
	hv[nh++] = "Expect:";		/* no 100-continue round trip */
	for (i = 0, rc = ACME_ERR_NOMEM; i < nh; i++) {
		if ((h = cf->slist_append(hdrs, hv[i])) == NULL)
			goto out;
		hdrs = h;
	}

	cf->easy_reset(c);
	if (http_setup(cf, ctx, m, url, body, len, hdrs, &x,
	    errbuf) != CURLE_OK) {
		ctx_detail(ctx, "libcurl refused an option");
		rc = ACME_ERR_TRANSPORT;
		goto out;
	}
	cc = cf->easy_perform(c);
	cf->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (resp->body == NULL && (resp->body = calloc(1, 1)) == NULL)
		x.nomem = 1;
	if (resp->nonce != NULL)
		nonce_put(ctx, resp->nonce);

	if (x.nomem)
		rc = ACME_ERR_NOMEM;
	else if (cc == CURLE_OK)
		rc = ACME_OK;
	else if (x.refused) {
		rc = ACME_ERR_ADDRESS;
		ctx_detail(ctx, "refused CA address %s", x.addr);
	} else if (x.toobig || cc == CURLE_FILESIZE_EXCEEDED) {
		rc = ACME_ERR_TOOBIG;
		ctx_detail(ctx, "response larger than %zu bytes",
		    ctx->max_body);
	} else {
		rc = cc == CURLE_UNSUPPORTED_PROTOCOL ? ACME_ERR_SCHEME :
		    cc == CURLE_OPERATION_TIMEDOUT ? ACME_ERR_TIMEOUT :
		    cc == CURLE_OUT_OF_MEMORY ? ACME_ERR_NOMEM :
		    ACME_ERR_TRANSPORT;
		ctx_detail(ctx, "%s", errbuf[0] != '\0' ? errbuf :
		    cf->easy_strerror(cc));
	}
out:
	/* Nothing in the handle may point at this stack frame any more. */
	cf->easy_reset(c);
	cf->slist_free_all(hdrs);
	return rc;
}

/*
 * Prepares ctx for transfers.  Nothing is loaded or allocated yet: the
 * handle (and libcurl, see curlfn.h) come with the first transfer, so a
 * context that never talks to the CA costs no libcurl.  Returns ACME_OK.
 */
enum acme_err
http_init(struct acme_ctx *ctx)
{

	ctx->curl = NULL;
	ctx->resolve = NULL;
	return ACME_OK;
}

/* Frees the handle and ctx->resolve (owned by the context); NULL-safe. */
void
http_cleanup(struct acme_ctx *ctx)
{
	const struct curlfn	*cf;

	if (ctx == NULL || (ctx->curl == NULL && ctx->resolve == NULL))
		return;
	/* Either was made through libcurl, so it is loaded. */
	if ((cf = curlfn_get()) == NULL)
		return;
	if (ctx->curl != NULL)
		cf->easy_cleanup(ctx->curl);
	cf->slist_free_all(ctx->resolve);
	ctx->curl = NULL;
	ctx->resolve = NULL;
}

/* GET url; see http_do() for resp and the return value. */
enum acme_err
http_get(struct acme_ctx *ctx, const char *url, const char *accept,
    struct http_resp *resp)
{

	return http_do(ctx, HTTP_GET, url, NULL, 0, accept, resp);
}

/* HEAD url (RFC 8555 7.2 newNonce); see http_do(). */
enum acme_err
http_head(struct acme_ctx *ctx, const char *url, struct http_resp *resp)
{

	return http_do(ctx, HTTP_HEAD, url, NULL, 0, NULL, resp);
}

/* POST body (a JWS, application/jose+json, 6.2) to url; see http_do(). */
enum acme_err
http_post(struct acme_ctx *ctx, const char *url, const char *body,
    size_t len, const char *accept, struct http_resp *resp)
{

	return http_do(ctx, HTTP_POST, url, body, len, accept, resp);
}
