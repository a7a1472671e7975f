/*
 * The pre-flight self-check: before telling the CA to validate, look at
 * the challenge the way the CA will (RFC 8555 8.3 and 8.4) and explain
 * what is wrong, so a user does not burn the CA's failed-validation
 * limit on a typo or a DNS record that has not propagated.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlfn.h"
#include "ops.h"
#include "ops_priv.h"

#define CHECK_BODY_MAX	8192

struct body {
	char	 buf[CHECK_BODY_MAX + 1];
	size_t	 len;
};

static size_t
body_write(char *p, size_t sz, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 len = sz * n;

	if (len > CHECK_BODY_MAX - b->len)
		return 0;		/* too big: not a key authorization */
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

/* Copies at most 60 printable bytes of s for a message. */
static void
snippet(const char *s, char *out, size_t outlen)
{
	size_t	 i, j;

	for (i = j = 0; s[i] != '\0' && j + 1 < outlen && i < 60; i++)
		out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[j] = '\0';
}

static enum panel_err
check_http01(const struct ops *o, const struct store_challenge *c,
    const char *ident, struct ops_err *err)
{
	const struct curlfn	*cf;
	struct body		*b;
	struct curl_slist	*resolve = NULL;
	CURL			*cu;
	CURLcode		 cc;
	char			 url[512], host[300], rs[400], cerr[CURL_ERROR_SIZE];
	char			 snip[64];
	unsigned		 port = o->cfg->http01_port ? o->cfg->http01_port : 80;
	long			 status = 0;
	enum panel_err		 pe = PANEL_ERR_INVALID;

	if (c->token == NULL || c->key_authorization == NULL) {
		ops_fail(err, 422, "challenge", NULL, "This challenge has no "
		    "token to serve.");
		return PANEL_ERR_INVALID;
	}
	snprintf(host, sizeof(host), strchr(ident, ':') ? "[%s]" : "%s", ident);
	snprintf(url, sizeof(url), "http://%s:%u/.well-known/acme-challenge/%s",
	    host, port, c->token);
	if ((cf = curlfn_get()) == NULL) {
		ops_fail(err, 500, "self_check", NULL, "%s", curlfn_error());
		return PANEL_ERR_INVALID;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return PANEL_ERR_NOMEM;
	if ((cu = cf->easy_init()) == NULL) {
		free(b);
		return PANEL_ERR_NOMEM;
	}
	cerr[0] = '\0';
	cf->easy_setopt(cu, CURLOPT_URL, url);
	cf->easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	cf->easy_setopt(cu, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cf->easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 1L);
	cf->easy_setopt(cu, CURLOPT_MAXREDIRS, 10L);
	cf->easy_setopt(cu, CURLOPT_TIMEOUT, (long)(o->cfg->http01_timeout ?
	    o->cfg->http01_timeout : 10));
	cf->easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	cf->easy_setopt(cu, CURLOPT_PROXY, "");
	cf->easy_setopt(cu, CURLOPT_ERRORBUFFER, cerr);
	cf->easy_setopt(cu, CURLOPT_WRITEFUNCTION, body_write);
	cf->easy_setopt(cu, CURLOPT_WRITEDATA, b);
	cf->easy_setopt(cu, CURLOPT_USERAGENT, "acme-panel self-check");
	if (o->cfg->selfcheck_ip != NULL) {
		/* The demo and tests: every name is this machine, as the
		 * test CA's DNS says. */
		snprintf(rs, sizeof(rs), "%s:%u:%s", ident, port,
		    o->cfg->selfcheck_ip);
		if ((resolve = cf->slist_append(NULL, rs)) != NULL)
			cf->easy_setopt(cu, CURLOPT_RESOLVE, resolve);
	}
	cc = cf->easy_perform(cu);
	cf->easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		ops_fail(err, 422, "self_check", NULL, "Could not fetch %s: %s. "
		    "Does %s point at this server, and is port %u open?",
		    url, cerr[0] ? cerr : cf->easy_strerror(cc), ident, port);
	else if (status != 200)
		ops_fail(err, 422, "self_check", NULL, "%s answered HTTP %ld, "
		    "not 200 with the key authorization. Does %s point at "
		    "this server?", url, status, ident);
	else {
		while (b->len > 0 && (b->buf[b->len - 1] == '\n' ||
		    b->buf[b->len - 1] == '\r' || b->buf[b->len - 1] == ' '))
			b->buf[--b->len] = '\0';
		if (strcmp(b->buf, c->key_authorization) == 0)
			pe = PANEL_OK;
		else {
			snippet(b->buf, snip, sizeof(snip));
			ops_fail(err, 422, "self_check", NULL, "%s answered "
			    "\"%s\", not the expected key authorization. "
			    "Another server or an old file may answer for "
			    "%s.", url, snip, ident);
		}
	}
	cf->slist_free_all(resolve);
	cf->easy_cleanup(cu);
	free(b);
	return pe;
}

/* Points the resolver at "ip:port" (IPv4) for the test CA's DNS. */
static void
resolver_override(res_state rs, const char *spec)
{
	char		 ip[64], *colon;
	unsigned	 port = 53;

	snprintf(ip, sizeof(ip), "%s", spec);
	if ((colon = strrchr(ip, ':')) != NULL) {
		*colon = '\0';
		port = (unsigned)strtoul(colon + 1, NULL, 10);
	}
	rs->nscount = 1;
	rs->nsaddr_list[0].sin_family = AF_INET;
	rs->nsaddr_list[0].sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &rs->nsaddr_list[0].sin_addr);
}

static enum panel_err
check_dns01(const struct ops *o, const struct store_challenge *c,
    struct ops_err *err)
{
	struct __res_state	 rs;
	unsigned char		 ans[4096];
	ns_msg			 msg;
	ns_rr			 rr;
	char			 seen[300] = "", txt[256];
	const unsigned char	*rd;
	int			 n, i, count;
	size_t			 l;
	enum panel_err		 pe = PANEL_ERR_INVALID;

	if (c->dns_name == NULL || c->dns_value == NULL) {
		ops_fail(err, 422, "challenge", NULL, "This challenge has no "
		    "DNS record to check.");
		return PANEL_ERR_INVALID;
	}
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) != 0)
		return PANEL_ERR_IO;
	if (o->cfg->selfcheck_dns != NULL)
		resolver_override(&rs, o->cfg->selfcheck_dns);
	n = res_nquery(&rs, c->dns_name, ns_c_in, ns_t_txt, ans, sizeof(ans));
	if (n < 0 || ns_initparse(ans, n, &msg) < 0) {
		ops_fail(err, 422, "self_check", NULL, "No TXT record found at "
		    "%s yet. Create it with the value shown; DNS changes can "
		    "take a few minutes to appear.", c->dns_name);
		goto out;
	}
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0 ||
		    ns_rr_type(rr) != ns_t_txt)
			continue;
		rd = ns_rr_rdata(rr);
		/* One character-string is enough for a 43-byte value. */
		if (ns_rr_rdlen(rr) < 1 || (l = rd[0]) + 1 > ns_rr_rdlen(rr))
			continue;
		memcpy(txt, rd + 1, l);
		txt[l] = '\0';
		if (strcmp(txt, c->dns_value) == 0) {
			pe = PANEL_OK;
			goto out;
		}
		snippet(txt, seen, sizeof(seen));
	}
	ops_fail(err, 422, "self_check", NULL, "The TXT record at %s holds "
	    "\"%s\", not the expected \"%s\". An old value may still be "
	    "cached.", c->dns_name, seen, c->dns_value);
out:
	res_nclose(&rs);
	return pe;
}

enum panel_err
ops_challenge_check(const struct ops *o, const struct store_challenge *c,
    const char *identifier, struct ops_err *err)
{
	switch (c->type) {
	case ACME_CH_HTTP01:
		return check_http01(o, c, identifier, err);
	case ACME_CH_DNS01:
		return check_dns01(o, c, err);
	default:
		ops_fail(err, 422, "challenge", NULL, "This challenge type "
		    "cannot be checked here.");
		return PANEL_ERR_INVALID;
	}
}
