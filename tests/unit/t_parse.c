/*
 * Parsers of CA input and the context's edges, without a CA:
 * directories (7.1.1: required https URLs, optional members, meta with
 * caaIdentities and profiles), RenewalInfo (RFC 9773 4.2), RFC 3339
 * times, the URL check, the nonce pool's syntax check and bound, the
 * defaults of acme_ctx_new(), detail escaping, and transport failures
 * that need no server: a closed port, a silent listener (timeout) and
 * refused private addresses, which must never be connected to.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "tap.h"

#define GOOD_URLS \
	"\"newNonce\":\"https://ca.example/nonce\"," \
	"\"newAccount\":\"https://ca.example/acct\"," \
	"\"newOrder\":\"https://ca.example/order\"," \
	"\"revokeCert\":\"https://ca.example/revoke\"," \
	"\"keyChange\":\"https://ca.example/key\""

/* acme_directory_parse() of s; returns its error, *d set on success. */
static enum acme_err
dparse(const char *s, struct acme_directory **d)
{

	return acme_directory_parse(s, strlen(s), d);
}

static void
t_directory_good(void)
{
	struct acme_directory	*d = NULL;

	is_int(dparse("{" GOOD_URLS ",\"renewalInfo\":\"https://ca.example/"
	    "ari\",\"unknownThing\":[1,2],\"meta\":{"
	    "\"termsOfService\":\"https://ca.example/tos.pdf\","
	    "\"website\":\"https://ca.example\","
	    "\"caaIdentities\":[\"ca.example\",5,\"\",\"other.example\"],"
	    "\"externalAccountRequired\":true,"
	    "\"profiles\":{\"classic\":\"The usual\",\"shortlived\":"
	    "\"Six days\",\"odd\":7}}}", &d), ACME_OK, "full directory");
	if (d == NULL) {
		tap_skip(15, "no directory");
		return;
	}
	is_str(d->new_nonce, "https://ca.example/nonce", "newNonce");
	is_str(d->new_account, "https://ca.example/acct", "newAccount");
	is_str(d->new_order, "https://ca.example/order", "newOrder");
	is_str(d->revoke_cert, "https://ca.example/revoke", "revokeCert");
	is_str(d->key_change, "https://ca.example/key", "keyChange");
	ok(d->new_authz == NULL, "newAuthz absent");
	is_str(d->renewal_info, "https://ca.example/ari", "renewalInfo");
	is_str(d->tos, "https://ca.example/tos.pdf", "termsOfService");
	is_str(d->website, "https://ca.example", "website");
	is_int(d->ncaa, 2, "caaIdentities: non-strings and \"\" skipped");
	if (d->ncaa == 2)
		ok(strcmp(d->caa[0], "ca.example") == 0 &&
		    strcmp(d->caa[1], "other.example") == 0, "caa values");
	else
		tap_skip(1, "caa count");
	ok(d->eab_required == 1, "externalAccountRequired");
	is_int(d->nprofiles, 2, "profiles: non-string description skipped");
	if (d->nprofiles == 2) {
		ok(strcmp(d->profiles[0], "classic") == 0 &&
		    strcmp(d->profile_desc[0], "The usual") == 0,
		    "profile 0 in document order");
		ok(strcmp(d->profiles[1], "shortlived") == 0 &&
		    strcmp(d->profile_desc[1], "Six days") == 0, "profile 1");
	} else
		tap_skip(2, "profile count");
	acme_directory_free(d);

	is_int(dparse("{" GOOD_URLS ",\"newAuthz\":\"http://ca.example/az\","
	    "\"renewalInfo\":7,\"meta\":{\"termsOfService\":\"data:text/"
	    "plain,Do%20what%20thou%20wilt\",\"externalAccountRequired\":"
	    "\"yes\",\"caaIdentities\":\"ca.example\",\"profiles\":[]}}", &d),
	    ACME_OK, "minimal directory with odd optional members");
	if (d == NULL) {
		tap_skip(6, "no directory");
		return;
	}
	ok(d->new_authz == NULL, "http newAuthz dropped");
	ok(d->renewal_info == NULL, "numeric renewalInfo dropped");
	is_str(d->tos, "data:text/plain,Do%20what%20thou%20wilt",
	    "Pebble's data: terms kept");
	ok(d->eab_required == 0, "string externalAccountRequired is false");
	ok(d->ncaa == 0 && d->caa == NULL, "caaIdentities string ignored");
	ok(d->nprofiles == 0, "profiles array ignored");
	acme_directory_free(d);

	is_int(dparse("{" GOOD_URLS ",\"meta\":\"x\"}", &d), ACME_OK,
	    "meta not an object is ignored");
	acme_directory_free(d);
	acme_directory_free(NULL);
}

static void
t_directory_bad(void)
{
	static const struct {
		const char	*body;
		enum acme_err	 want;
		const char	*name;
	} c[] = {
		{ "{\"newAccount\":\"https://ca.example/acct\","
		  "\"newOrder\":\"https://ca.example/order\","
		  "\"revokeCert\":\"https://ca.example/revoke\","
		  "\"keyChange\":\"https://ca.example/key\"}",
		  ACME_ERR_PROTO, "newNonce missing" },
		{ "{" GOOD_URLS ",\"newOrder\":\"http://ca.example/o\"}",
		  ACME_ERR_JSON, "duplicate newOrder" },
		{ "{\"newNonce\":\"http://ca.example/nonce\","
		  "\"newAccount\":\"https://ca.example/acct\","
		  "\"newOrder\":\"https://ca.example/order\","
		  "\"revokeCert\":\"https://ca.example/revoke\","
		  "\"keyChange\":\"https://ca.example/key\"}",
		  ACME_ERR_PROTO, "http newNonce" },
		{ "{\"newNonce\":\"https://ca.example/nonce\","
		  "\"newAccount\":5,"
		  "\"newOrder\":\"https://ca.example/order\","
		  "\"revokeCert\":\"https://ca.example/revoke\","
		  "\"keyChange\":\"https://ca.example/key\"}",
		  ACME_ERR_PROTO, "numeric newAccount" },
		{ "{\"newNonce\":\"https://ca.example/nonce\","
		  "\"newAccount\":\"https://ca.example/acct\","
		  "\"newOrder\":\"https://ca.example/or der\","
		  "\"revokeCert\":\"https://ca.example/revoke\","
		  "\"keyChange\":\"https://ca.example/key\"}",
		  ACME_ERR_PROTO, "newOrder with a space" },
		{ "{\"newNonce\":\"https://ca.example/nonce\","
		  "\"newAccount\":\"https://ca.example/acct\","
		  "\"newOrder\":\"https://ca.example/order\","
		  "\"revokeCert\":\"ftp://ca.example/revoke\","
		  "\"keyChange\":\"https://ca.example/key\"}",
		  ACME_ERR_PROTO, "ftp revokeCert" },
		{ "{\"newNonce\":\"https://ca.example/nonce\","
		  "\"newAccount\":\"https://ca.example/acct\","
		  "\"newOrder\":\"https://ca.example/order\","
		  "\"revokeCert\":\"https://ca.example/revoke\"}",
		  ACME_ERR_PROTO, "keyChange missing" },
		{ "[" "{" GOOD_URLS "}" "]", ACME_ERR_JSON, "array at top" },
		{ "<html>", ACME_ERR_JSON, "HTML" },
		{ "", ACME_ERR_JSON, "empty body" },
		{ "{" GOOD_URLS, ACME_ERR_JSON, "truncated" },
	};
	struct acme_directory	*d;
	char			*big;
	size_t			 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		d = (struct acme_directory *)1;
		is_int(dparse(c[i].body, &d), c[i].want, c[i].name);
		ok(d == NULL, "%s: *out NULL", c[i].name);
	}
	if ((big = malloc(URL_MAX + 512)) == NULL)
		tap_bail("malloc");
	snprintf(big, URL_MAX + 512, "{\"newNonce\":\"https://ca.example/%0*d"
	    "\",\"newAccount\":\"https://ca.example/acct\",\"newOrder\":"
	    "\"https://ca.example/order\",\"revokeCert\":\"https://ca."
	    "example/revoke\",\"keyChange\":\"https://ca.example/key\"}",
	    URL_MAX, 0);
	is_int(dparse(big, &d), ACME_ERR_PROTO, "newNonce over URL_MAX");
	free(big);
	is_int(acme_directory_parse("{}", 2, NULL), ACME_ERR_ARG,
	    "NULL out");
}

static void
t_urls(void)
{
	json_t	*o;
	char	*u;

	ok(url_is_https("https://ca.example/dir"), "https URL");
	ok(url_is_https("HTTPS://ca.example"), "scheme case-insensitive");
	ok(url_is_https("https://[2001:db8::1]:8443/x?y#z"), "IPv6 literal");
	ok(!url_is_https("http://ca.example/"), "http refused");
	ok(!url_is_https("https://"), "no host");
	ok(!url_is_https("https:///dir"), "empty host");
	ok(!url_is_https("https://:443/"), "port without host");
	ok(!url_is_https("https://ca.example/a b"), "space");
	ok(!url_is_https("https://ca.example/\x01"), "control character");
	ok(!url_is_https("https://ca.example/\xc3\xa9"), "8-bit byte");
	ok(!url_is_https("https://user@evil.example/"), "userinfo");
	ok(url_is_https("https://ca.example/a@b"), "@ in the path is fine");
	ok(!url_is_https(NULL), "NULL");
	ok(!url_is_https(" https://ca.example/"), "leading space");

	o = json_pack("{s:s, s:i, s:s}", "a", "https://x.example/",
	    "b", 1, "c", "http://x.example/");
	ok(json_url(o, "a", &u) == 0 && u != NULL &&
	    strcmp(u, "https://x.example/") == 0, "json_url copies");
	free(u);
	ok(json_url(o, "b", &u) == -1 && u == NULL, "json_url: number");
	ok(json_url(o, "c", &u) == -1 && u == NULL, "json_url: http");
	ok(json_url(o, "z", &u) == 0 && u == NULL, "json_url: absent");
	is_str(json_str(o, "a"), "https://x.example/", "json_str");
	ok(json_str(o, "b") == NULL, "json_str of a number is NULL");
	json_decref(o);

	ok(json_parse_obj(NULL, "[]", 2) == NULL, "json_parse_obj: array");
	ok(json_parse_obj(NULL, "{\"a\":1,\"a\":2}", 13) == NULL,
	    "json_parse_obj: duplicate keys");
	o = json_parse_obj(NULL, "{\"a\":1} ", 8);
	ok(o != NULL, "json_parse_obj: object");
	json_decref(o);
}

static void
t_rfc3339(void)
{

	is_int(rfc3339_parse("2025-01-02T03:04:05Z"), 1735787045, "Z");
	is_int(rfc3339_parse("2025-01-02t03:04:05z"), 1735787045, "t and z");
	is_int(rfc3339_parse("2025-01-02T03:04:05.123456789Z"), 1735787045,
	    "fraction ignored");
	is_int(rfc3339_parse("2025-01-02T04:04:05+01:00"), 1735787045,
	    "+01:00");
	is_int(rfc3339_parse("2025-01-01T21:34:05-05:30"), 1735787045,
	    "-05:30 across midnight");
	is_int(rfc3339_parse("2025-01-02T03:04:05.5-00:00"), 1735787045,
	    "fraction and -00:00");
	is_int(rfc3339_parse("2024-02-29T12:00:00Z"), 1709208000,
	    "leap day");
	is_int(rfc3339_parse("2016-12-31T23:59:60Z"), 1483228800,
	    "leap second rolls over");
	is_int(rfc3339_parse("1970-01-01T00:00:00Z"), 0, "epoch");
	is_int(rfc3339_parse("2023-02-29T12:00:00Z"), -1, "no leap day 2023");
	is_int(rfc3339_parse("2025-13-01T00:00:00Z"), -1, "month 13");
	is_int(rfc3339_parse("2025-04-31T00:00:00Z"), -1, "April 31");
	is_int(rfc3339_parse("2025-01-00T00:00:00Z"), -1, "day 0");
	is_int(rfc3339_parse("2025-01-02T24:00:00Z"), -1, "hour 24");
	is_int(rfc3339_parse("2025-01-02T03:60:00Z"), -1, "minute 60");
	is_int(rfc3339_parse("2025-01-02T03:04:61Z"), -1, "second 61");
	is_int(rfc3339_parse("2025-01-02T03:04:05"), -1, "no offset");
	is_int(rfc3339_parse("2025-01-02 03:04:05Z"), -1, "space for T");
	is_int(rfc3339_parse("2025-01-02T03:04:05.Z"), -1, "empty fraction");
	is_int(rfc3339_parse("2025-01-02T03:04:05+01"), -1, "short offset");
	is_int(rfc3339_parse("2025-01-02T03:04:05+24:00"), -1, "offset 24h");
	is_int(rfc3339_parse("2025-01-02T03:04:05Z "), -1, "trailing space");
	is_int(rfc3339_parse("2025-1-02T03:04:05Z"), -1, "one-digit month");
	is_int(rfc3339_parse("+025-01-02T03:04:05Z"), -1, "signed year");
	is_int(rfc3339_parse(""), -1, "empty");
	is_int(rfc3339_parse(NULL), -1, "NULL");
}

static void
t_ari(void)
{
	struct acme_renewal	 r;
	const char		*s;

	s = "{\"suggestedWindow\":{\"start\":\"2025-01-02T03:04:05Z\","
	    "\"end\":\"2025-01-03T03:04:05.5+00:00\"},"
	    "\"explanationURL\":\"https://ca.example/why\"}";
	is_int(acme_ari_parse(s, strlen(s), &r), ACME_OK, "ARI window");
	is_int(r.start, 1735787045, "ARI start");
	is_int(r.end, 1735787045 + 86400, "ARI end");
	is_str(r.explanation, "https://ca.example/why", "explanationURL");
	is_int(r.retry_after, 0, "retry_after not from the body");
	acme_renewal_clear(&r);
	ok(r.explanation == NULL && r.start == 0, "acme_renewal_clear");

	s = "{\"suggestedWindow\":{\"start\":\"2025-01-02T03:04:05Z\","
	    "\"end\":\"2025-01-03T03:04:05Z\"},\"explanationURL\":"
	    "\"javascript:alert(1)\"}";
	is_int(acme_ari_parse(s, strlen(s), &r), ACME_OK,
	    "ARI with a bad explanationURL");
	ok(r.explanation == NULL, "non-https explanationURL dropped");
	acme_renewal_clear(&r);

	s = "{\"suggestedWindow\":{\"start\":\"2025-01-02T03:04:05Z\","
	    "\"end\":\"2025-01-02T03:04:05Z\"}}";
	is_int(acme_ari_parse(s, strlen(s), &r), ACME_ERR_PROTO,
	    "empty window refused");
	s = "{\"suggestedWindow\":{\"start\":\"2025-01-03T03:04:05Z\","
	    "\"end\":\"2025-01-02T03:04:05Z\"}}";
	is_int(acme_ari_parse(s, strlen(s), &r), ACME_ERR_PROTO,
	    "end before start refused");
	ok(r.start == 0 && r.end == 0, "out cleared on failure");
	s = "{\"suggestedWindow\":{\"start\":1735787045,"
	    "\"end\":\"2025-01-03T03:04:05Z\"}}";
	is_int(acme_ari_parse(s, strlen(s), &r), ACME_ERR_PROTO,
	    "numeric start refused");
	s = "{\"suggestedWindow\":{\"start\":\"2025-01-02T03:04:05Z\"}}";
	is_int(acme_ari_parse(s, strlen(s), &r), ACME_ERR_PROTO,
	    "missing end refused");
	s = "{\"explanationURL\":\"https://ca.example/why\"}";
	is_int(acme_ari_parse(s, strlen(s), &r), ACME_ERR_PROTO,
	    "missing window refused");
	s = "{\"suggestedWindow\":[]}";
	is_int(acme_ari_parse(s, strlen(s), &r), ACME_ERR_PROTO,
	    "window not an object");
	s = "{\"suggestedWindow\":{}, \"suggestedWindow\":{}}";
	is_int(acme_ari_parse(s, strlen(s), &r), ACME_ERR_JSON,
	    "duplicate window");
	is_int(acme_ari_parse("nope", 4, &r), ACME_ERR_JSON, "not JSON");
	is_int(acme_ari_parse("{}", 2, NULL), ACME_ERR_ARG, "NULL out");
}

/* A context for url with refuse_private as given; bails on failure. */
static struct acme_ctx *
mkctx(const char *url, int refuse, const char *proxy, long timeout_ms)
{
	struct acme_opts	 o;
	struct acme_ctx		*ctx = NULL;
	enum acme_err		 rc;

	memset(&o, 0, sizeof(o));
	o.directory_url = url;
	o.refuse_private = refuse;
	o.proxy = proxy;
	o.timeout_ms = timeout_ms;
	o.connect_timeout_ms = timeout_ms;
	if ((rc = acme_ctx_new(&o, &ctx)) != ACME_OK)
		tap_bail("acme_ctx_new(%s): %s", url, acme_strerror(rc));
	return ctx;
}

static void
t_ctx(void)
{
	struct acme_opts	 o;
	struct acme_ctx		*ctx = (struct acme_ctx *)1;
	struct acme_key		*fake = (struct acme_key *)8;

	memset(&o, 0, sizeof(o));
	o.directory_url = "http://ca.example/dir";
	is_int(acme_ctx_new(&o, &ctx), ACME_ERR_SCHEME, "http directory");
	ok(ctx == NULL, "no context on failure");
	o.directory_url = NULL;
	is_int(acme_ctx_new(&o, &ctx), ACME_ERR_ARG, "no directory URL");
	o.directory_url = "https://ca.example/dir";
	o.timeout_ms = -1;
	is_int(acme_ctx_new(&o, &ctx), ACME_ERR_ARG, "negative timeout");
	o.timeout_ms = 0;
	o.max_body = ((size_t)1 << 30) + 1;
	is_int(acme_ctx_new(&o, &ctx), ACME_ERR_ARG, "body cap over 1 GiB");

	ctx = mkctx("https://ca.example/dir", 0, NULL, 0);
	is_int(ctx->connect_timeout_ms, 10000, "default connect timeout");
	is_int(ctx->timeout_ms, 30000, "default total timeout");
	is_int(ctx->max_body, 1024 * 1024, "default body cap");
	is_int(ctx->nonce_retries, 10, "default nonce retries");
	is_int(ctx->poll_max, 60, "default poll max");
	is_str(ctx->proxy, "", "NULL proxy means none");
	is_str(ctx->user_agent, "libacme/" ACME_VERSION, "default UA");
	is_str(acme_detail_get(ctx), "", "no detail yet");
	ok(acme_problem_get(ctx) == NULL, "no problem yet");
	ok(acme_directory_get(ctx) == NULL, "no directory yet");
	ok(acme_ctx_kid(ctx) == NULL, "no kid yet");
	is_int(acme_ctx_set_account(ctx, fake, "https://ca.example/a/1"),
	    ACME_OK, "set account");
	is_str(acme_ctx_kid(ctx), "https://ca.example/a/1", "kid copied");
	is_int(acme_ctx_set_account(ctx, NULL, NULL), ACME_ERR_ARG,
	    "NULL key refused");
	ctx->key = NULL;

	ctx_detail(ctx, "CA said: %s", "a\nb\x1b[31mc\x7f");
	is_str(acme_detail_get(ctx), "CA said: a\\x0ab\\x1b[31mc\\x7f",
	    "detail escapes control characters");
	ctx_problem_clear(ctx);
	is_str(acme_detail_get(ctx), "", "ctx_problem_clear empties detail");
	acme_ctx_free(ctx);
	acme_ctx_free(NULL);
	is_str(acme_detail_get(NULL), "", "NULL context detail");
}

static void
t_nonce(void)
{
	struct acme_ctx	*ctx;
	char		*n = NULL, buf[32];
	int		 i;

	ctx = mkctx("https://127.0.0.1:1/dir", 1, NULL, 0);
	nonce_put(ctx, "bad nonce");
	nonce_put(ctx, "");
	nonce_put(ctx, "abc=");
	nonce_put(ctx, NULL);
	is_int(ctx->nnonce, 0, "non-base64url nonces dropped");
	nonce_put(ctx, "first_Nonce-1");
	nonce_put(ctx, "first_Nonce-1");
	is_int(ctx->nnonce, 1, "duplicate nonce dropped");
	for (i = 0; i < 20; i++) {
		snprintf(buf, sizeof(buf), "nonce%d", i);
		nonce_put(ctx, buf);
	}
	is_int(ctx->nnonce, NONCE_POOL, "pool bounded");
	ok(nonce_take(ctx, &n) == ACME_OK && n != NULL &&
	    strcmp(n, "nonce19") == 0, "newest nonce taken first");
	free(n);
	while (ctx->nnonce > 0) {
		nonce_take(ctx, &n);
		free(n);
	}
	n = (char *)1;
	is_int(nonce_take(ctx, &n), ACME_ERR_ADDRESS,
	    "empty pool asks newNonce (directory refused here)");
	ok(n == NULL, "no nonce on failure");
	acme_ctx_free(ctx);
}

/* A TCP port on 127.0.0.1 that listens (backlog, never accepts) when
 * keep is set, else one that was free a moment ago.  *fd is the
 * listener or -1. */
static int
local_port(int keep, int *fd)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		tap_bail("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1 ||
	    (keep && listen(s, 4) == -1))
		tap_bail("bind/listen");
	if (!keep) {
		close(s);
		s = -1;
	}
	*fd = s;
	return ntohs(sin.sin_port);
}

static void
t_transport(void)
{
	static const char *const refused[] = {
		"https://127.0.0.1:1/dir",
		"https://127.9.9.9:1/dir",
		"https://10.1.2.3:1/dir",
		"https://172.16.0.1:1/dir",
		"https://192.168.1.1:1/dir",
		"https://100.64.0.1:1/dir",
		"https://169.254.169.254:1/latest/meta-data",
		"https://0.0.0.0:1/dir",
		"https://224.0.0.1:1/dir",
		"https://[::1]:1/dir",
		"https://[::]:1/dir",
		"https://[fe80::1]:1/dir",
		"https://[fd00::1]:1/dir",
		"https://[ff02::1]:1/dir",
		"https://[::ffff:127.0.0.1]:1/dir",
		"https://[::ffff:10.0.0.1]:1/dir",
	};
	struct acme_ctx	*ctx;
	char		 url[64];
	size_t		 i;
	int		 port, fd;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ctx = mkctx(refused[i], 1, NULL, 2000);
		is_int(acme_directory_fetch(ctx), ACME_ERR_ADDRESS,
		    refused[i]);
		acme_ctx_free(ctx);
	}

	port = local_port(0, &fd);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/dir", port);
	ctx = mkctx(url, 0, NULL, 2000);
	is_int(acme_directory_fetch(ctx), ACME_ERR_TRANSPORT,
	    "closed port without refuse_private: transport error");
	ok(acme_detail_get(ctx)[0] != '\0', "curl's text in the detail: %s",
	    acme_detail_get(ctx));
	acme_ctx_free(ctx);

	ctx = mkctx(url, 1, "http://127.0.0.1:1", 2000);
	is_int(acme_directory_fetch(ctx), ACME_ERR_TRANSPORT,
	    "through a proxy the address check is not applied");
	acme_ctx_free(ctx);

	port = local_port(1, &fd);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/dir", port);
	ctx = mkctx(url, 0, NULL, 300);
	is_int(acme_directory_fetch(ctx), ACME_ERR_TIMEOUT,
	    "silent server: timeout");
	acme_ctx_free(ctx);
	close(fd);
}

int
main(void)
{

	t_directory_good();
	t_directory_bad();
	t_urls();
	t_rfc3339();
	t_ari();
	t_ctx();
	t_nonce();
	t_transport();
	return tap_done();
}
