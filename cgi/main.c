/*
 * acme.fcgi: the panel's web program.  Runs as a FastCGI responder
 * (lighttpd mod_fastcgi, Apache mod_proxy_fcgi or mod_fcgid, spawn-fcgi)
 * or, when started as plain CGI, serves one request and exits.
 *
 * Front-line checks happen here, before any page code runs: the route
 * and method, the body size, the session or bearer token, the CSRF token
 * of every browser POST, and the admin role.  Nothing lives between
 * requests but prepared statements and cached templates.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <openssl/crypto.h>

#include "pages.h"
#include "session.h"

struct route {
	enum method	 method;
	const char	*pattern;	/* "#" one id, "*" the rest */
	page_fn		 fn;
	unsigned	 flags;
};

/* DESIGN.md "Routes".  First match wins. */
static const struct route routes[] = {
	{ M_GET,  "/.well-known/acme-challenge/*", wellknown_get, R_PUBLIC },
	{ M_GET,  "/acme", dash_get, R_READ },
	{ M_GET,  "/acme/static/acme.css", static_css, R_PUBLIC },
	{ M_GET,  "/acme/login", login_get, R_PUBLIC },
	{ M_POST, "/acme/login", login_post, R_PUBLIC },
	{ M_POST, "/acme/logout", logout_post, 0 },
	{ M_GET,  "/acme/accounts", accounts_list, R_READ },
	{ M_POST, "/acme/accounts", accounts_create, 0 },
	{ M_GET,  "/acme/accounts/create", accounts_form, 0 },
	{ M_GET,  "/acme/accounts/#", accounts_show, 0 },
	{ M_POST, "/acme/accounts/#/update", accounts_update, 0 },
	{ M_POST, "/acme/accounts/#/rollover", accounts_rollover, 0 },
	{ M_POST, "/acme/accounts/#/deactivate", accounts_deactivate, 0 },
	{ M_GET,  "/acme/orders", orders_list, R_READ },
	{ M_POST, "/acme/orders", orders_create, 0 },
	{ M_GET,  "/acme/orders/create", orders_form, 0 },
	{ M_GET,  "/acme/orders/#", orders_show, 0 },
	{ M_GET,  "/acme/orders/#/challenges", orders_challenges, 0 },
	{ M_POST, "/acme/orders/#/finalize", orders_finalize, 0 },
	{ M_GET,  "/acme/orders/#/certificate", orders_certificate, 0 },
	{ M_POST, "/acme/challenges/#/respond", challenges_respond, 0 },
	{ M_GET,  "/acme/certificates", certs_list, R_READ },
	{ M_POST, "/acme/certificates/#/revoke", certs_revoke, 0 },
	{ M_GET,  "/acme/certificates/#/key", certs_key, 0 },
	{ M_GET,  "/acme/audit", audit_list, R_READ },
};

/*
 * Matches path against pattern.  "#" takes a positive decimal id of at
 * most 15 digits without leading zeros; "*" takes a non-empty rest
 * without '/'.  Returns 1 on a match.
 */
static int
route_match(const char *pat, const char *path, long *id, const char **tail)
{
	long	 v;
	int	 n;

	while (*pat != '\0') {
		if (*pat == '#') {
			if (*path < '1' || *path > '9')
				return 0;
			for (v = 0, n = 0; *path >= '0' && *path <= '9';
			    path++, n++) {
				if (n >= 15)
					return 0;
				v = v * 10 + (*path - '0');
			}
			*id = v;
			pat++;
		} else if (*pat == '*') {
			if (*path == '\0' || strchr(path, '/') != NULL)
				return 0;
			*tail = path;
			return 1;
		} else if (*pat++ != *path++)
			return 0;
	}
	/* One trailing slash is forgiven. */
	return *path == '\0' || (path[0] == '/' && path[1] == '\0');
}

static void	guarded(struct rq *, const struct route *, enum method);

/* Routes one request; fills rq->resp. */
static void
dispatch(struct rq *rq)
{
	const struct route	*rt = NULL;
	struct req		*r = rq->req;
	size_t			 i;
	int			 path_known = 0, snap;
	enum method		 m;

	m = r->method == M_HEAD ? M_GET : r->method;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		rq->id = 0;
		rq->tail = NULL;
		if (!route_match(routes[i].pattern, r->path, &rq->id,
		    &rq->tail))
			continue;
		path_known = 1;
		if (routes[i].method == m) {
			rt = &routes[i];
			break;
		}
	}
	if (rt == NULL) {
		if (path_known) {
			resp_header(rq->resp, "Allow", "GET, HEAD, POST");
			page_error(rq, 405, "method", "Method not allowed.",
			    NULL);
		} else
			page_error(rq, 404, "not_found", "No such page.", NULL);
		return;
	}
	if (rt->flags & R_PUBLIC) {
		/* Still learn who is signed in, for the page's header. */
		session_identify(rq);
		if (r->body_too_big)
			page_error(rq, 413, "too_large",
			    "The request is too large.", NULL);
		else
			rt->fn(rq);
		return;
	}
	/* A list page reads from one snapshot, sign-in included: its counts
	 * and rows agree, and SQLite locks the WAL index once instead of per
	 * statement.  A write on the way (a token's last use, a denial's
	 * audit row) ends the snapshot first (store.c). */
	snap = (rt->flags & R_READ) ? store_read_begin(rq->pn->st) : 0;
	guarded(rq, rt, m);
	store_read_end(rq->pn->st, snap);
}

/* The checks of a route that needs a signed-in user, then its page. */
static void
guarded(struct rq *rq, const struct route *rt, enum method m)
{
	struct req	*r = rq->req;

	if (!session_require(rq))
		return;		/* sign-in page, 401, 403 written */
	if (r->body_too_big) {
		page_error(rq, 413, "too_large", "The request is too large.",
		    NULL);
		return;
	}
	if (r->body_bad) {
		page_error(rq, 400, "bad_request",
		    "The request body could not be read.", NULL);
		return;
	}
	if (m == M_POST && !session_csrf_ok(rq)) {
		page_audit(rq, "csrf", r->path, "denied",
		    "missing or wrong CSRF token");
		page_error(rq, 403, "csrf", "This form has expired or did not "
		    "come from this panel. Reload the page and try again.",
		    NULL);
		return;
	}
	if ((rt->flags & R_ADMIN) && !session_is_admin(rq)) {
		page_audit(rq, "access", r->path, "denied", "admin only");
		page_error(rq, 403, "forbidden", "Administrators only.", NULL);
		return;
	}
	rt->fn(rq);
}

/* FastCGI adapters. ------------------------------------------------- */

/*
 * One pass over the request's "NAME=value" list for all n names (libfcgi's
 * FCGX_GetParam walks the whole list for each).  The first of equal
 * names wins, as with FCGX_GetParam.  The names are indexed by length
 * once (bylen: a bit per name of each length), so that an entry is
 * compared only with the names of its length.
 */
static void
fcgi_params(void *arg, const char *const *names, size_t n,
    const char **vals)
{
	static const char *const *known;
	static size_t		 known_n;
	static uint64_t		 bylen[64];
	char			**p = ((FCGX_Request *)arg)->envp;
	const char		*eq;
	uint64_t		 m;
	size_t			 i, len;

	for (i = 0; i < n; i++)
		vals[i] = NULL;
	if (n > 64)
		return;		/* cannot happen: req_read asks for 13 */
	if (names != known || n != known_n) {
		memset(bylen, 0, sizeof(bylen));
		for (i = 0; i < n; i++)
			if ((len = strlen(names[i])) < 64)
				bylen[len] |= (uint64_t)1 << i;
		known = names;
		known_n = n;
	}
	for (; p != NULL && *p != NULL; p++) {
		if ((eq = strchr(*p, '=')) == NULL ||
		    (len = (size_t)(eq - *p)) >= 64)
			continue;
		for (m = bylen[len]; m != 0; m &= m - 1) {
			i = (size_t)__builtin_ctzll(m);
			if (vals[i] == NULL && memcmp(names[i], *p, len) == 0) {
				vals[i] = eq + 1;
				break;
			}
		}
	}
}

static long
fcgi_read(void *arg, char *buf, size_t len)
{
	return FCGX_GetStr(buf, len > INT32_MAX ? INT32_MAX : (int)len,
	    ((FCGX_Request *)arg)->in);
}

static int
fcgi_write(void *arg, const char *buf, size_t len)
{
	FCGX_Stream	*out = ((FCGX_Request *)arg)->out;

	while (len > 0) {
		int	 n = len > INT32_MAX ? INT32_MAX : (int)len;

		if (FCGX_PutStr(buf, n, out) != n)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Plain CGI adapters. ----------------------------------------------- */

static void
cgi_params(void *arg, const char *const *names, size_t n,
    const char **vals)
{
	size_t	 i;

	(void)arg;
	for (i = 0; i < n; i++)
		vals[i] = getenv(names[i]);
}

static long
cgi_read(void *arg, char *buf, size_t len)
{
	(void)arg;
	return (long)fread(buf, 1, len, stdin);
}

static int
cgi_write(void *arg, const char *buf, size_t len)
{
	(void)arg;
	return fwrite(buf, 1, len, stdout) == len ? 0 : -1;
}

/* Serves one request through e; returns 0, or -1 on a failed write. */
static int
serve(struct panel *pn, const struct env *e)
{
	struct req	 req;
	struct resp	 resp;
	struct rq	 rq;
	int		 rc = 0;

	memset(&resp, 0, sizeof(resp));
	memset(&rq, 0, sizeof(rq));
	rq.req = &req;
	rq.resp = &resp;
	rq.pn = pn;
	if (req_read(&req, e) == -1) {
		resp.failed = 1;
	} else {
		snprintf(rq.ip, sizeof(rq.ip), "%s",
		    req.remote_addr ? req.remote_addr : "-");
		dispatch(&rq);
	}
	if (resp_send(&resp, e, req.method == M_HEAD) == -1)
		rc = -1;
	session_done(&rq);
	resp_clear(&resp);
	req_clear(&req);
	return rc;
}

/*
 * Memory settings, before anything else runs (tests/bench/panel.sh
 * measures each process's VmHWM; the target is 8 MiB).  libcrypto's
 * error strings cost about 0.5 MiB of library pages and heap in every
 * process, and acme.fcgi never prints an OpenSSL error: libcurl's TLS
 * messages keep libssl's own strings, and a libcrypto error in one shows
 * as its code ("error:0480006C:lib(9)::reason(108)", which "openssl
 * errstr" decodes).  The system's openssl.cnf is still read.  Returns 0,
 * or -1 when OpenSSL would not start.
 */
static int
memory_settings(void)
{

	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS,
	    NULL) != 1) {
		fprintf(stderr, "acme.fcgi: OpenSSL would not start\n");
		return -1;
	}
	return 0;
}

int
main(void)
{
	struct panel	*pn;
	FCGX_Request	 fr;
	struct env	 e;

	if (memory_settings() == -1)
		return 1;
	/* One request at a time: SQLite needs no locks between threads. */
	if (store_single_thread() != PANEL_OK)
		fprintf(stderr, "acme.fcgi: SQLite already started\n");
	signal(SIGPIPE, SIG_IGN);
	if ((pn = session_panel_open()) == NULL)
		return 1;	/* the reason went to stderr (server log) */
	/* A smaller SQLite page cache: 1.5 MiB less at the same speed. */
	if (store_small_cache(pn->st) != PANEL_OK)
		fprintf(stderr, "acme.fcgi: page cache: %s\n",
		    store_errmsg(pn->st));

	if (FCGX_IsCGI()) {
		e.params = cgi_params;
		e.read = cgi_read;
		e.write = cgi_write;
		e.arg = NULL;
		serve(pn, &e);
		fflush(stdout);
		session_panel_close(pn);
		return 0;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		fprintf(stderr, "acme.fcgi: FastCGI initialisation failed\n");
		session_panel_close(pn);
		return 1;
	}
	e.params = fcgi_params;
	e.read = fcgi_read;
	e.write = fcgi_write;
	e.arg = &fr;
	while (FCGX_Accept_r(&fr) >= 0) {
		if (serve(pn, &e) == -1)
			fprintf(stderr, "acme.fcgi: client went away\n");
		FCGX_Finish_r(&fr);
	}
	session_panel_close(pn);
	return 0;
}
