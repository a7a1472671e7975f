/*
 * Cookies of acme.fcgi (session.c): the attributes every cookie of the
 * panel carries, in one place.  Private to cgi/.
 */
#ifndef COOKIE_H
#define COOKIE_H

#include "pages.h"

#define COOKIE_SESSION		"acme_session"
#define COOKIE_LOGIN_CSRF	"acme_login_csrf"
#define COOKIE_CSRF		"acme_csrf"	/* REMOTE_USER mode */
#define COOKIE_VALUE_MAX	128

/*
 * Adds "Set-Cookie: name=value; Path=/acme; Max-Age=max_age; HttpOnly;
 * SameSite=Strict" (plus "; Secure" over HTTPS or when the config says
 * so) to rq->resp.  max_age 0 expires the cookie (value ignored).
 */
void	cookie_set(struct rq *rq, const char *name, const char *value,
	    unsigned long max_age);
/* Constant-time equality of two NUL-terminated strings (lengths may
 * leak); 1 when equal.  NULL never equals anything. */
int	cookie_eq_ct(const char *a, const char *b);

#endif /* !COOKIE_H */
