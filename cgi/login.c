/*
 * Built-in sign-in and sign-out (not used in REMOTE_USER mode).
 *
 * The sign-in form has no session yet to hold its CSRF token, so it uses
 * a double-submit cookie: GET sets acme_login_csrf (random, HttpOnly,
 * SameSite=Strict) and puts the same value in the form; POST compares
 * the two in constant time.  That stops a foreign site from signing the
 * browser in to an account of its choosing (login CSRF).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"
#include "session.h"
#include "cookie.h"

#define LOGIN_CSRF_TTL	3600UL
#define NEXT_MAX	512

static const char wrong_msg[] = "Wrong user name or password.";

/*
 * The login CSRF token: the browser's cookie when it holds a well-formed
 * one, else a new one set as a cookie.  *out is the caller's; 0 or -1.
 */
static int
login_token(struct rq *rq, char **out)
{
	char	 buf[COOKIE_VALUE_MAX];

	*out = NULL;
	if (req_cookie(rq->req, COOKIE_LOGIN_CSRF, buf, sizeof(buf)) == 0 &&
	    strlen(buf) >= 43 && acme_b64url_valid(buf, 64))
		return (*out = strdup(buf)) == NULL ? -1 : 0;
	if (panel_random_token(NULL, out) != PANEL_OK)
		return -1;
	cookie_set(rq, COOKIE_LOGIN_CSRF, *out, LOGIN_CSRF_TTL);
	return 0;
}

/*
 * Where to go after signing in: a "next" path under the panel, never a
 * path that could leave the site, never the sign-in page itself.
 */
static const char *
next_path(const char *next)
{
	const char	*s;

	if (next == NULL || strlen(next) >= NEXT_MAX ||
	    strncmp(next, "/acme/", 6) != 0 ||
	    strncmp(next, "/acme/login", 11) == 0 ||
	    strncmp(next, "/acme/logout", 12) == 0 ||
	    strstr(next, "//") != NULL || strstr(next, "/..") != NULL)
		return "/acme";
	for (s = next; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '\\')
			return "/acme";
	return next;
}

/* The sign-in form with status, message (or NULL) and the user name. */
static void
login_form(struct rq *rq, int status, const char *message, const char *user,
    const char *next)
{
	char	*tok = NULL;
	json_t	*d;

	if (login_token(rq, &tok) == -1) {
		rq->resp->failed = 1;
		return;
	}
	if (rq->req->want_json && message != NULL) {
		resp_json_error(rq->resp, status, status == 429 ?
		    "rate_limited" : status == 403 ? "csrf" : "unauthenticated",
		    message, status == 403 ? "csrf" : NULL);
		free(tok);
		return;
	}
	d = json_pack("{s:s,s:s?,s:s?,s:s?}", "csrf", tok, "error", message,
	    "form_user", user, "next", next);
	free(tok);
	page_render(rq, status, "login", d);
}

void
login_get(struct rq *rq)
{
	const char	*next = req_query(rq->req, "next");

	if (rq->pn->cfg->auth == PANEL_AUTH_REMOTE_USER || rq->user != NULL) {
		page_redirect(rq, next_path(next));
		return;
	}
	next = next_path(next);
	login_form(rq, 200, NULL, NULL, strcmp(next, "/acme") == 0 ?
	    NULL : next);
}

void
login_post(struct rq *rq)
{
	const struct req	*r = rq->req;
	struct valid_value	 vu, vp;
	struct valid_error	 ve;
	struct auth_principal	*p = NULL;
	char			 old[COOKIE_VALUE_MAX], ctok[COOKIE_VALUE_MAX];
	const char		*user = req_field(r, "user");
	const char		*pass = req_field(r, "password");
	const char		*form_csrf = req_field(r, "csrf");
	const char		*next = next_path(req_field(r, "next"));
	const char		*kept = NULL;
	char			*cookie = NULL;
	enum panel_err		 rc;
	char			 ra[16], msg[96];
	unsigned		 win;

	memset(&vu, 0, sizeof(vu));
	memset(&vp, 0, sizeof(vp));
	if (rq->pn->cfg->auth == PANEL_AUTH_REMOTE_USER) {
		page_error(rq, 404, "not_found", "Sign-in is done by the web "
		    "server in front of this panel.", NULL);
		return;
	}
	if (r->body_bad) {
		page_error(rq, 400, "bad_request",
		    "The request body could not be read.", NULL);
		return;
	}
	if (form_csrf == NULL || *form_csrf == '\0')
		form_csrf = r->csrf_header;
	if (strcmp(next, "/acme") == 0)
		next = NULL;

	/* Only a user name that passes its validator is shown again. */
	if (user != NULL && valid_field("username", user, rq->pn->cfg, &vu,
	    &ve) == PANEL_OK)
		kept = vu.s;

	if (req_cookie(r, COOKIE_LOGIN_CSRF, ctok, sizeof(ctok)) == -1 ||
	    !cookie_eq_ct(ctok, form_csrf)) {
		page_audit(rq, "csrf", r->path, "denied",
		    "sign-in form without its CSRF cookie");
		login_form(rq, 403, "The sign-in form expired. Please try "
		    "again.", kept, next);
		goto out;
	}
	if (kept == NULL || pass == NULL ||
	    valid_field("password", pass, rq->pn->cfg, &vp, &ve) !=
	    PANEL_OK) {
		login_form(rq, 401, wrong_msg, kept, next);
		goto out;
	}
	if (req_cookie(r, COOKIE_SESSION, old, sizeof(old)) == -1)
		old[0] = '\0';
	rc = auth_login(rq->pn->st, &rq->pn->pol, vu.s, vp.s, rq->ip,
	    old[0] != '\0' ? old : NULL, &cookie, &p);
	switch (rc) {
	case PANEL_OK:
		break;
	case PANEL_ERR_LIMIT:
		win = rq->pn->pol.window ? rq->pn->pol.window : 900;
		snprintf(ra, sizeof(ra), "%u", win);
		resp_header(rq->resp, "Retry-After", ra);
		snprintf(msg, sizeof(msg), "Too many failed sign-in attempts. "
		    "Wait %u minutes, then try again.", (win + 59) / 60);
		login_form(rq, 429, msg, kept, next);
		goto out;
	case PANEL_ERR_BUSY:
		resp_header(rq->resp, "Retry-After", "5");
		login_form(rq, 503, "The server is busy. Try again in a "
		    "moment.", kept, next);
		goto out;
	case PANEL_ERR_AUTH:
		login_form(rq, 401, wrong_msg, kept, next);
		goto out;
	default:
		fprintf(stderr, "acme.fcgi: sign-in: %s: %s\n",
		    panel_strerror(rc), store_errmsg(rq->pn->st));
		page_error(rq, 500, "internal",
		    "Signing in failed on the server. Try again later.", NULL);
		goto out;
	}

	cookie_set(rq, COOKIE_SESSION, cookie, rq->pn->pol.session_ttl ?
	    rq->pn->pol.session_ttl : 28800);
	cookie_set(rq, COOKIE_LOGIN_CSRF, NULL, 0);
	if (r->want_json) {
		resp_json(rq->resp, 200, json_pack("{s:b,s:s,s:{s:s,s:b},s:s?}",
		    "ok", 1, "location", next ? next : "/acme", "user",
		    "name", p->name, "admin", auth_is_admin(p),
		    "csrf", p->csrf));
	} else
		page_redirect(rq, next ? next : "/acme");
out:
	if (cookie != NULL) {
		explicit_bzero(cookie, strlen(cookie));
		free(cookie);
	}
	auth_principal_free(p);
	valid_value_clear(&vu);
	if (vp.s != NULL)
		explicit_bzero(vp.s, strlen(vp.s));
	valid_value_clear(&vp);
}

void
logout_post(struct rq *rq)
{
	char		 buf[COOKIE_VALUE_MAX];
	enum panel_err	 rc;

	if (rq->bearer || rq->pn->cfg->auth == PANEL_AUTH_REMOTE_USER) {
		/* Nothing to end: tokens are revoked, not signed out. */
		page_redirect(rq, "/acme");
		return;
	}
	if (req_cookie(rq->req, COOKIE_SESSION, buf, sizeof(buf)) == 0 &&
	    (rc = auth_logout(rq->pn->st, buf, rq->ip)) != PANEL_OK)
		fprintf(stderr, "acme.fcgi: sign-out: %s\n",
		    panel_strerror(rc));
	cookie_set(rq, COOKIE_SESSION, NULL, 0);
	page_redirect(rq, "/acme/login");
}
