/*
 * Who is making the request: a REMOTE_USER set by the web server (auth =
 * remote_user), an API token (Authorization: Bearer), or the session
 * cookie of a built-in sign-in.  Also the process-wide handles, opened
 * once, and the panel's cookies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "pages.h"
#include "session.h"
#include "cookie.h"

#define DEFAULT_CONF	"/etc/acme-panel.conf"

struct panel *
session_panel_open(void)
{
	struct panel	*pn;
	const char	*conf = getenv("ACME_PANEL_CONF");
	char		 err[512];
	enum panel_err	 rc;

	if (conf == NULL || *conf == '\0')
		conf = DEFAULT_CONF;
	if ((pn = calloc(1, sizeof(*pn))) == NULL) {
		fprintf(stderr, "acme.fcgi: out of memory\n");
		return NULL;
	}
	err[0] = '\0';
	if ((rc = ops_open(conf, &pn->st, &pn->cfg, &pn->kek, err,
	    sizeof(err))) != PANEL_OK) {
		fprintf(stderr, "acme.fcgi: %s: %s\n", conf,
		    err[0] != '\0' ? err : panel_strerror(rc));
		goto fail;
	}
	if ((rc = tmpl_new(pn->cfg->templates, &pn->tmpl)) != PANEL_OK) {
		fprintf(stderr, "acme.fcgi: %s: %s\n", pn->cfg->templates,
		    panel_strerror(rc));
		goto fail;
	}
	auth_policy_from_config(pn->cfg, &pn->pol);
	return pn;
fail:
	session_panel_close(pn);
	return NULL;
}

void
session_panel_close(struct panel *pn)
{
	if (pn == NULL)
		return;
	tmpl_free(pn->tmpl);
	crypt_kek_free(pn->kek);
	store_close(pn->st);
	config_free(pn->cfg);
	free(pn);
}

/* Cookies. ---------------------------------------------------------- */

static int
cookie_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return 0;
	return 1;
}

void
cookie_set(struct rq *rq, const char *name, const char *value,
    unsigned long max_age)
{
	const struct panel_config	*cfg = rq->pn->cfg;
	char				*s = NULL;
	int				 secure;

	if (max_age == 0 || value == NULL)
		value = "";
	if (!cookie_safe(name) || !cookie_safe(value)) {
		fprintf(stderr, "acme.fcgi: refusing to set cookie %s\n",
		    name);
		return;
	}
	secure = cfg->secure_cookies == PANEL_YES ||
	    (cfg->secure_cookies == PANEL_AUTO && (rq->req->https ||
	    (cfg->base_url != NULL &&
	    strncasecmp(cfg->base_url, "https://", 8) == 0)));
	if (asprintf(&s, "%s=%s; Path=/acme; Max-Age=%lu; HttpOnly; "
	    "SameSite=Strict%s", name, value, max_age,
	    secure ? "; Secure" : "") == -1) {
		rq->resp->failed = 1;
		return;
	}
	resp_header(rq->resp, "Set-Cookie", s);
	free(s);
}

int
cookie_eq_ct(const char *a, const char *b)
{
	size_t	 la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb || la == 0)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* Identification. --------------------------------------------------- */

/*
 * REMOTE_USER mode has no session row to hold a CSRF token: a random
 * double-submit cookie (HttpOnly, SameSite=Strict) stands in, copied into
 * p->csrf so that auth_csrf_ok compares against it.  0, or -1 when out
 * of memory.
 */
static int
remote_csrf(struct rq *rq, struct auth_principal *p)
{
	char	 buf[COOKIE_VALUE_MAX];
	char	*tok = NULL;

	if (p->csrf != NULL)
		return 0;
	if (req_cookie(rq->req, COOKIE_CSRF, buf, sizeof(buf)) == 0 &&
	    strlen(buf) >= 43 && acme_b64url_valid(buf, 64))
		return (p->csrf = strdup(buf)) == NULL ? -1 : 0;
	if (panel_random_token(NULL, &tok) != PANEL_OK)
		return -1;
	p->csrf = tok;
	cookie_set(rq, COOKIE_CSRF, tok, rq->pn->pol.session_ttl ?
	    rq->pn->pol.session_ttl : 28800);
	return 0;
}

/* The token of an "Authorization: Bearer X" header, or NULL. */
static const char *
bearer_value(const struct req *r)
{
	const char	*a = r->authorization;

	if (a == NULL || strncasecmp(a, "Bearer", 6) != 0 ||
	    (a[6] != ' ' && a[6] != '\t'))
		return NULL;
	for (a += 6; *a == ' ' || *a == '\t'; a++)
		continue;
	return a;
}

/*
 * Identifies the request.  1: rq->user set; 0: no credentials at all;
 * -1: credentials that did not check out (why says which).
 */
static int
identify(struct rq *rq, char *why, size_t whylen)
{
	struct panel		*pn = rq->pn;
	const struct req	*r = rq->req;
	struct auth_principal	*p = NULL;
	const char		*tok;
	char			 buf[COOKIE_VALUE_MAX];
	int64_t			 now = (int64_t)time(NULL);

	why[0] = '\0';
	if (rq->user != NULL)
		return 1;
	if (pn->cfg->auth == PANEL_AUTH_REMOTE_USER &&
	    r->remote_user != NULL && *r->remote_user != '\0') {
		if (auth_remote_user(pn->st, r->remote_user,
		    pn->cfg->remote_user_create, &p) != PANEL_OK) {
			snprintf(why, whylen, "REMOTE_USER %.64s is not a "
			    "panel user", r->remote_user);
			return -1;
		}
		if (remote_csrf(rq, p) == -1) {
			auth_principal_free(p);
			rq->resp->failed = 1;
			return 0;
		}
		rq->user = p;
		rq->csrf = p->csrf;
		return 1;
	}
	if ((tok = bearer_value(r)) != NULL) {
		/* auth_bearer audits a refused token itself. */
		if (auth_bearer(pn->st, tok, rq->ip, now, &p) != PANEL_OK) {
			snprintf(why, whylen, "invalid API token");
			return -1;
		}
		rq->user = p;
		rq->bearer = 1;
		rq->csrf = NULL;
		return 1;
	}
	if (pn->cfg->auth == PANEL_AUTH_REMOTE_USER)
		return 0;
	if (req_cookie(r, COOKIE_SESSION, buf, sizeof(buf)) == -1 ||
	    buf[0] == '\0')
		return 0;
	if (auth_session(pn->st, buf, now, &p) != PANEL_OK) {
		/* Expired or unknown: the browser may forget it. */
		cookie_set(rq, COOKIE_SESSION, NULL, 0);
		snprintf(why, whylen, "invalid or expired session");
		return -1;
	}
	rq->user = p;
	rq->csrf = p->csrf;
	return 1;
}

void
session_identify(struct rq *rq)
{
	char	 why[128];

	(void)identify(rq, why, sizeof(why));
}

int
session_require(struct rq *rq)
{
	const struct req	*r = rq->req;
	char			 why[128];
	int			 rc;

	if ((rc = identify(rq, why, sizeof(why))) == 1)
		return 1;
	if (rq->resp->failed)
		return 0;
	if (rc == -1)
		page_audit(rq, "access", r->path, "denied", why);

	if (r->want_json || bearer_value(r) != NULL) {
		resp_header(rq->resp, "WWW-Authenticate", rc == -1 &&
		    bearer_value(r) != NULL ?
		    "Bearer realm=\"acme\", error=\"invalid_token\"" :
		    "Bearer realm=\"acme\"");
		resp_json_error(rq->resp, 401, "unauthenticated", rc == -1 ?
		    "The session or API token is not valid; sign in again." :
		    "Sign in first, or send an API token.", NULL);
		return 0;
	}
	if (rq->pn->cfg->auth == PANEL_AUTH_REMOTE_USER) {
		page_error(rq, 403, "forbidden", rc == -1 ?
		    "The web server signed you in, but you are not a user "
		    "of this panel. Ask an administrator to add you." :
		    "The web server did not sign you in.", NULL);
		return 0;
	}
	if (r->method == M_GET && r->path != NULL &&
	    strcmp(r->path, "/acme") != 0 && strcmp(r->path, "/acme/") != 0) {
		struct resp	 loc;

		memset(&loc, 0, sizeof(loc));
		resp_puts(&loc, "/acme/login?next=");
		resp_urlenc(&loc, r->path);
		if (!loc.failed && loc.body != NULL) {
			page_redirect(rq, loc.body);
			resp_clear(&loc);
			return 0;
		}
		resp_clear(&loc);
	}
	page_redirect(rq, "/acme/login");
	return 0;
}

int
session_csrf_ok(struct rq *rq)
{
	const char	*tok;

	if (rq->user == NULL)
		return 0;
	if (rq->bearer)
		return 1;
	if (rq->user->csrf == NULL)
		return 0;
	if ((tok = req_field(rq->req, "csrf")) == NULL || *tok == '\0')
		tok = rq->req->csrf_header;
	if (tok == NULL || *tok == '\0')
		return 0;
	return auth_csrf_ok(rq->user, tok);
}

int
session_is_admin(struct rq *rq)
{
	return rq->user != NULL && auth_is_admin(rq->user);
}

void
session_done(struct rq *rq)
{
	auth_principal_free(rq->user);
	rq->user = NULL;
	rq->csrf = NULL;
	rq->bearer = 0;
}
