/*
 * acme.fcgi's link to lib/panel: the process-wide handles, and who is
 * making the request (session cookie, bearer token or REMOTE_USER).
 */
#ifndef SESSION_H
#define SESSION_H

#include "pages.h"

/* Opens config (ACME_PANEL_CONF or /etc/acme-panel.conf), store, KEK and
 * templates once per process; NULL with the reason on stderr. */
struct panel	*session_panel_open(void);
void		 session_panel_close(struct panel *);
/* Sets rq->user if a valid session, token or REMOTE_USER is present. */
void		 session_identify(struct rq *);
/* Like session_identify, but answers 401 / redirect to sign-in (and
 * audits the denial) when nobody is signed in; returns 1 to go on. */
int		 session_require(struct rq *);
/* 1 when the POST carries the session's CSRF token (form field "csrf" or
 * X-CSRF-Token) or was authenticated by a bearer token. */
int		 session_csrf_ok(struct rq *);
int		 session_is_admin(struct rq *);
/* Frees what session_identify attached to rq. */
void		 session_done(struct rq *);

#endif /* !SESSION_H */
