/*
 * What the Pebble integration tests (tests/integ/t_*.c) share.
 *
 * Each test is one program built from its own NAME.c with tap.o and
 * libacme.a (GNUmakefile, INTEG_TESTS), so the helpers live here as
 * static functions.  They read the environment tests/lib/pebble.sh
 * exports, drive pebble-challtestsrv (http-01 answers, TXT records) and
 * read Pebble's management interface with libcurl, always on 127.0.0.1.
 *
 * Helpers that check something print TAP lines themselves, so a failed
 * step names itself; on failure they print the libacme error, its detail
 * and the CA's problem document as "# " lines.
 */
#ifndef INTEG_H
#define INTEG_H

#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme.h"
#include "curlfn.h"
#include "tap.h"

#define INTEG_WAIT	90	/* longest wait for an authz or an order, s */
#define INTEG_BODY_MAX	(1024 * 1024)

extern char **environ;

/* The environment of tests/lib/pebble.sh. */
struct integ_env {
	const char	*dir;		/* ACME_TEST_DIR */
	const char	*ca;		/* ACME_TEST_CA */
	const char	*chall;		/* ACME_TEST_CHALL */
	const char	*mgmt;		/* ACME_TEST_PEBBLE_MGMT */
	const char	*work;		/* ACME_TEST_WORK */
	const char	*eab_kid;	/* ACME_TEST_EAB_KID or NULL */
	const char	*eab_hmac;	/* ACME_TEST_EAB_HMAC or NULL */
	char		 label[16];	/* random, makes names unique per run */
};

static struct integ_env integ;

/* Reads the environment; bails out when pebble.sh did not set it. */
static inline void
integ_init(void)
{
	unsigned char	 r[4];
	FILE		*f;

	integ.dir = getenv("ACME_TEST_DIR");
	integ.ca = getenv("ACME_TEST_CA");
	integ.chall = getenv("ACME_TEST_CHALL");
	integ.mgmt = getenv("ACME_TEST_PEBBLE_MGMT");
	integ.work = getenv("ACME_TEST_WORK");
	integ.eab_kid = getenv("ACME_TEST_EAB_KID");
	integ.eab_hmac = getenv("ACME_TEST_EAB_HMAC");
	if (integ.dir == NULL || integ.ca == NULL || integ.chall == NULL ||
	    integ.mgmt == NULL || integ.work == NULL)
		tap_bail("ACME_TEST_* not set: run me through my .t script "
		    "(it sources tests/lib/pebble.sh)");
	if (curlfn_get() == NULL)
		tap_bail("%s", curlfn_error());
	if ((f = fopen("/dev/urandom", "rb")) == NULL ||
	    fread(r, 1, sizeof(r), f) != sizeof(r))
		tap_bail("cannot read /dev/urandom");
	fclose(f);
	snprintf(integ.label, sizeof(integ.label), "r%02x%02x%02x%02x",
	    r[0], r[1], r[2], r[3]);
	tap_diag("directory %s, names under *.%s.example.com",
	    integ.dir, integ.label);
}

/* Nothing to release: libcurl stays loaded until exit (curlfn.h). */
static inline void
integ_done(void)
{
}

/* Seconds on the monotonic clock. */
static inline double
integ_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A malloc'd printf; bails out on failure. */
static inline char *
integ_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline char *
integ_fmt(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		tap_bail("out of memory");
	return s;
}

/* Says why the last libacme call on ctx returned err. */
static inline void
integ_diag_err(const struct acme_ctx *ctx, enum acme_err err)
{
	const struct acme_problem	*p;
	size_t				 i;

	tap_diag("libacme: %s (%d)", acme_strerror(err), (int)err);
	if (ctx == NULL)
		return;
	if (acme_detail_get(ctx)[0] != '\0')
		tap_diag("  detail: %s", acme_detail_get(ctx));
	if ((p = acme_problem_get(ctx)) != NULL) {
		tap_diag("  problem %s (%s), HTTP %ld: %s",
		    acme_ptype_name(p->ptype), p->type ? p->type : "no type",
		    p->status, p->detail ? p->detail : "no detail");
		for (i = 0; i < p->nsub; i++)
			tap_diag("    sub %s %s: %s",
			    acme_ptype_name(p->sub[i].ptype),
			    p->sub[i].ident.value ? p->sub[i].ident.value : "",
			    p->sub[i].detail ? p->sub[i].detail : "");
	}
}

/* ok() that err is ACME_OK; diagnoses otherwise.  Returns the test. */
#define ok_acme(ctx, err, ...) \
	integ_ok_acme(ctx, err, __FILE__, __LINE__, __VA_ARGS__)

static inline int
integ_ok_acme(const struct acme_ctx *ctx, enum acme_err err,
    const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static inline int
integ_ok_acme(const struct acme_ctx *ctx, enum acme_err err,
    const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*name;
	int	 c;

	va_start(ap, fmt);
	if (vasprintf(&name, fmt, ap) < 0)
		tap_bail("out of memory");
	va_end(ap);
	c = tap_ok(err == ACME_OK, file, line, "%s", name);
	if (!c)
		integ_diag_err(ctx, err);
	free(name);
	return c;
}

/*
 * ok() that err is ACME_ERR_PROBLEM with problem type want (and, when
 * status is not 0, that HTTP status).  Returns the test.
 */
#define ok_problem(ctx, err, want, status, ...) \
	integ_ok_problem(ctx, err, want, status, __FILE__, __LINE__, \
	    __VA_ARGS__)

static inline int
integ_ok_problem(const struct acme_ctx *ctx, enum acme_err err,
    enum acme_ptype want, long status, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static inline int
integ_ok_problem(const struct acme_ctx *ctx, enum acme_err err,
    enum acme_ptype want, long status, const char *file, int line,
    const char *fmt, ...)
{
	const struct acme_problem	*p;
	va_list				 ap;
	char				*name;
	int				 c;

	p = err == ACME_ERR_PROBLEM ? acme_problem_get(ctx) : NULL;
	c = p != NULL && p->ptype == want &&
	    (status == 0 || p->status == status);
	va_start(ap, fmt);
	if (vasprintf(&name, fmt, ap) < 0)
		tap_bail("out of memory");
	va_end(ap);
	tap_ok(c, file, line, "%s", name);
	if (!c) {
		tap_diag("expected problem %s (HTTP %ld)",
		    acme_ptype_name(want), status);
		integ_diag_err(ctx, err);
	}
	free(name);
	return c;
}

/* ------------------------------------------------------------------ */
/* Contexts and accounts.                                             */

/* A context on Pebble's directory, trusting its TLS CA. */
static inline struct acme_ctx *
integ_ctx(void)
{
	struct acme_opts	 o;
	struct acme_ctx		*ctx = NULL;
	enum acme_err		 err;

	memset(&o, 0, sizeof(o));
	o.directory_url = integ.dir;
	o.ca_file = integ.ca;
	o.proxy = "";
	o.user_agent = "libacme-integ";
	o.poll_max = 5;
	if ((err = acme_ctx_new(&o, &ctx)) != ACME_OK)
		tap_bail("acme_ctx_new: %s", acme_strerror(err));
	return ctx;
}

static inline struct acme_key *
integ_key(enum acme_keytype t)
{
	struct acme_key	*k = NULL;
	enum acme_err	 err;

	if ((err = acme_key_new(t, &k)) != ACME_OK)
		tap_bail("acme_key_new(%s): %s", acme_keytype_name(t),
		    acme_strerror(err));
	return k;
}

/*
 * Registers a fresh account for key on ctx (no EAB) and reports it as
 * one test.  Returns 1 when the account exists and ctx signs with it.
 */
static inline int
integ_account(struct acme_ctx *ctx, struct acme_key *key, const char *name)
{
	static const char *const	 contact[] = {
		"mailto:integ@example.com"
	};
	struct acme_account_req		 req;
	struct acme_account		*a = NULL;
	enum acme_err			 err;
	int				 c;

	memset(&req, 0, sizeof(req));
	req.contact = contact;
	req.ncontact = 1;
	req.tos_agreed = 1;
	if ((err = acme_ctx_set_account(ctx, key, NULL)) == ACME_OK)
		err = acme_account_new(ctx, &req, &a);
	c = ok_acme(ctx, err, "%s: account registered", name);
	if (c && (a == NULL || a->url == NULL || acme_ctx_kid(ctx) == NULL)) {
		tap_diag("account or its URL missing");
		c = 0;
	}
	acme_account_free(a);
	return c;
}

/* ------------------------------------------------------------------ */
/* HTTP to challtestsrv and Pebble's management interface.            */

struct integ_buf {
	char	*p;
	size_t	 len;
};

static inline size_t
integ_curl_write(char *data, size_t size, size_t n, void *arg)
{
	struct integ_buf	*b = arg;
	size_t			 len = size * n;
	char			*np;

	if (b->len + len > INTEG_BODY_MAX)
		return 0;
	if ((np = realloc(b->p, b->len + len + 1)) == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

/*
 * GET (post == NULL) or POST a JSON body to url.  Returns the HTTP status,
 * or -1 when there was no answer; *body (may be NULL) gets the response,
 * NUL-terminated, the caller's.
 */
static inline long
integ_http(const char *url, const char *post, char **body, size_t *len)
{
	const struct curlfn	*cf;
	CURL			*c;
	struct curl_slist	*h = NULL;
	struct integ_buf	 b = { NULL, 0 };
	long			 status = -1;

	if (body != NULL)
		*body = NULL;
	if (len != NULL)
		*len = 0;
	if ((cf = curlfn_get()) == NULL || (c = cf->easy_init()) == NULL)
		return -1;
	cf->easy_setopt(c, CURLOPT_URL, url);
	cf->easy_setopt(c, CURLOPT_NOPROXY, "*");
	cf->easy_setopt(c, CURLOPT_CAINFO, integ.ca);
	cf->easy_setopt(c, CURLOPT_TIMEOUT, 15L);
	cf->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cf->easy_setopt(c, CURLOPT_WRITEFUNCTION, integ_curl_write);
	cf->easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (post != NULL) {
		h = cf->slist_append(h, "Content-Type: application/json");
		cf->easy_setopt(c, CURLOPT_HTTPHEADER, h);
		cf->easy_setopt(c, CURLOPT_POSTFIELDS, post);
	}
	if (cf->easy_perform(c) == CURLE_OK)
		cf->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	cf->easy_cleanup(c);
	cf->slist_free_all(h);
	if (body != NULL && status != -1) {
		*body = b.p != NULL ? b.p : strdup("");
		if (len != NULL)
			*len = b.len;
	} else
		free(b.p);
	return status;
}

/* POSTs obj (consumed) to challtestsrv's path; 1 on 200. */
static inline int
integ_chall(const char *path, json_t *obj)
{
	char	*url, *body;
	long	 st = -1;

	url = integ_fmt("%s%s", integ.chall, path);
	body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	if (body != NULL)
		st = integ_http(url, body, NULL, NULL);
	if (st != 200)
		tap_diag("challtestsrv %s: HTTP %ld", path, st);
	free(body);
	free(url);
	json_decref(obj);
	return st == 200;
}

/* GET of Pebble's management path; the body is the caller's; 1 on 200. */
static inline int
integ_mgmt(const char *path, char **body, size_t *len)
{
	char	*url;
	long	 st;

	url = integ_fmt("%s%s", integ.mgmt, path);
	st = integ_http(url, NULL, body, len);
	free(url);
	if (st != 200) {
		tap_diag("pebble management %s: HTTP %ld", path, st);
		if (body != NULL) {
			free(*body);
			*body = NULL;
		}
	}
	return st == 200;
}

/*
 * Pebble's view of a certificate (management /cert-status-by-serial):
 * 1 and *status ("Valid", "Revoked"; the caller's) and *reason (-1 when
 * none) on success.
 */
static inline int
integ_cert_status(const char *serial, char **status, int *reason)
{
	json_t		*j, *r;
	json_error_t	 je;
	char		*path, *body = NULL;
	size_t		 len;
	int		 c = 0;

	*status = NULL;
	*reason = -1;
	path = integ_fmt("/cert-status-by-serial/%s", serial);
	if (integ_mgmt(path, &body, &len) &&
	    (j = json_loadb(body, len, 0, &je)) != NULL) {
		if (json_is_string(json_object_get(j, "Status"))) {
			*status = strdup(json_string_value(
			    json_object_get(j, "Status")));
			c = *status != NULL;
		}
		if (json_is_integer(r = json_object_get(j, "Reason")))
			*reason = (int)json_integer_value(r);
		json_decref(j);
	}
	free(body);
	free(path);
	return c;
}

/* ------------------------------------------------------------------ */
/* Files and openssl(1).                                              */

/* Writes data to ACME_TEST_WORK/name; returns the path (caller's). */
static inline char *
integ_write(const char *name, const char *data, size_t len)
{
	char	*path;
	FILE	*f;

	path = integ_fmt("%s/%s", integ.work, name);
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0)
		tap_bail("cannot write %s", path);
	return path;
}

/*
 * Runs openssl(1) with argv (argv[0] is "openssl"), output to
 * ACME_TEST_WORK/openssl.log.  Returns its exit status, -1 if it did not
 * run.  With show, the log is printed as diagnostics.
 */
static inline int
integ_openssl(char *const argv[], int show)
{
	posix_spawn_file_actions_t	 fa;
	char				*log, line[512];
	pid_t				 pid;
	int				 st, rc = -1;
	FILE				*f;

	log = integ_fmt("%s/openssl.log", integ.work);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawnp(&pid, "openssl", &fa, NULL, argv, environ) == 0 &&
	    waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		rc = WEXITSTATUS(st);
	posix_spawn_file_actions_destroy(&fa);
	if (show && (f = fopen(log, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			tap_diag("  openssl: %s", line);
		}
		fclose(f);
	}
	free(log);
	return rc;
}

/*
 * `openssl verify -CAfile root [-untrusted chain] cert`; 1 when it
 * verifies.  A surprise (expect differs) is shown as diagnostics.
 */
static inline int
integ_verify(const char *root, const char *untrusted, const char *cert,
    int expect)
{
	char	*argv[8];
	int	 i = 0, rc, c;

	argv[i++] = (char *)(uintptr_t)"openssl";
	argv[i++] = (char *)(uintptr_t)"verify";
	argv[i++] = (char *)(uintptr_t)"-CAfile";
	argv[i++] = (char *)(uintptr_t)root;
	if (untrusted != NULL) {
		argv[i++] = (char *)(uintptr_t)"-untrusted";
		argv[i++] = (char *)(uintptr_t)untrusted;
	}
	argv[i++] = (char *)(uintptr_t)cert;
	argv[i] = NULL;
	rc = integ_openssl(argv, 0);
	c = rc == 0;
	if (c != expect) {
		tap_diag("openssl verify exited %d", rc);
		integ_openssl(argv, 1);
	}
	return c;
}

/* The first PEM block of a chain (the leaf); caller frees.  NULL if none. */
static inline char *
integ_leaf(const char *pem)
{
	const char	*end;
	static const char tag[] = "-----END CERTIFICATE-----";

	if ((end = strstr(pem, tag)) == NULL)
		return NULL;
	end += sizeof(tag) - 1;
	if (*end == '\n')
		end++;
	return strndup(pem, (size_t)(end - pem));
}

/* Number of certificates in a PEM chain. */
static inline size_t
integ_ncerts(const char *pem)
{
	size_t	 n = 0;

	while ((pem = strstr(pem, "-----BEGIN CERTIFICATE-----")) != NULL) {
		n++;
		pem++;
	}
	return n;
}

/* 1 when the leaf of pem carries the public half of key. */
static inline int
integ_cert_matches_key(const char *pem, const struct acme_key *key)
{
	BIO		*b1 = NULL, *b2 = NULL;
	X509		*x = NULL;
	EVP_PKEY	*pk = NULL;
	char		*kpem = NULL;
	size_t		 klen = 0;
	int		 c = 0;

	if (acme_key_pem(key, &kpem, &klen) != ACME_OK)
		goto out;
	if ((b1 = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (b2 = BIO_new_mem_buf(kpem, (int)klen)) == NULL)
		goto out;
	if ((x = PEM_read_bio_X509(b1, NULL, NULL, NULL)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(b2, NULL, NULL, NULL)) == NULL)
		goto out;
	c = X509_check_private_key(x, pk) == 1;
out:
	EVP_PKEY_free(pk);
	X509_free(x);
	BIO_free(b1);
	BIO_free(b2);
	free(kpem);
	return c;
}

/* The subject CN of a self-signed root in PEM, via acme_cert_parse (its
 * issuer is itself); caller frees.  NULL on failure. */
static inline char *
integ_root_cn(const char *pem, size_t len)
{
	struct acme_certinfo	*ci = NULL;
	char			*cn = NULL;

	if (acme_cert_parse(pem, len, &ci) == ACME_OK && ci->issuer_cn)
		cn = strdup(ci->issuer_cn);
	acme_certinfo_free(ci);
	return cn;
}

/* 1 when the certificate's SANs are exactly the identifiers (any order). */
static inline int
integ_sans_match(const struct acme_certinfo *ci,
    const struct acme_ident *id, size_t n)
{
	size_t	 i, j;

	if (ci->nsans != n)
		goto bad;
	for (i = 0; i < n; i++) {
		for (j = 0; j < ci->nsans; j++)
			if (ci->sans[j].type == id[i].type &&
			    ci->sans[j].value != NULL &&
			    strcmp(ci->sans[j].value, id[i].value) == 0)
				break;
		if (j == ci->nsans)
			goto bad;
	}
	return 1;
bad:
	tap_diag("certificate SANs:");
	for (j = 0; j < ci->nsans; j++)
		tap_diag("  %s %s", ci->sans[j].type == ACME_ID_IP ?
		    "IP" : "DNS", ci->sans[j].value ? ci->sans[j].value : "?");
	tap_diag("wanted:");
	for (i = 0; i < n; i++)
		tap_diag("  %s %s", id[i].type == ACME_ID_IP ? "IP" : "DNS",
		    id[i].value);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Challenges through challtestsrv.                                   */

/* What was deployed, to take it down again. */
struct integ_deployed {
	enum acme_chtype	 type;
	char			*key;	/* token, or TXT host name with dot */
};

struct integ_deploys {
	struct integ_deployed	 d[16];
	size_t			 n;
};

/*
 * Puts the answer to challenge type t of authorization a in place:
 * http-01 through /add-http01 (served on the port Pebble's validator
 * calls), dns-01 through /set-txt.  1 on success.
 */
static inline int
integ_deploy(const struct acme_key *acct, const struct acme_authz *a,
    enum acme_chtype t, struct integ_deploys *dep)
{
	const struct acme_challenge	*ch;
	char				*ka = NULL, *name = NULL, *fqdn;
	json_t				*o;
	int				 c = 0;

	if ((ch = acme_authz_challenge(a, t)) == NULL || ch->token == NULL) {
		tap_diag("%s offers no %s challenge", a->ident.value,
		    acme_chtype_name(t));
		return 0;
	}
	if (dep->n == sizeof(dep->d) / sizeof(dep->d[0]))
		tap_bail("too many deployments");
	if (t == ACME_CH_HTTP01) {
		if (acme_keyauth(acct, ch->token, &ka) != ACME_OK)
			goto out;
		o = json_pack("{s:s, s:s}", "token", ch->token,
		    "content", ka);
		if (!integ_chall("/add-http01", o))
			goto out;
		dep->d[dep->n].type = t;
		dep->d[dep->n++].key = strdup(ch->token);
		c = 1;
	} else if (t == ACME_CH_DNS01) {
		if (acme_dns01_value(acct, ch->token, &ka) != ACME_OK ||
		    acme_dns01_name(a->ident.value, &name) != ACME_OK)
			goto out;
		fqdn = integ_fmt("%s.", name);
		o = json_pack("{s:s, s:s}", "host", fqdn, "value", ka);
		if (!integ_chall("/set-txt", o)) {
			free(fqdn);
			goto out;
		}
		dep->d[dep->n].type = t;
		dep->d[dep->n++].key = fqdn;
		c = 1;
	}
out:
	if (!c)
		tap_diag("could not deploy %s for %s", acme_chtype_name(t),
		    a->ident.value);
	free(ka);
	free(name);
	return c;
}

/* Takes down everything integ_deploy put up. */
static inline void
integ_undeploy(struct integ_deploys *dep)
{
	size_t	 i;

	for (i = 0; i < dep->n; i++) {
		if (dep->d[i].type == ACME_CH_HTTP01)
			integ_chall("/del-http01",
			    json_pack("{s:s}", "token", dep->d[i].key));
		else
			integ_chall("/clear-txt",
			    json_pack("{s:s}", "host", dep->d[i].key));
		free(dep->d[i].key);
	}
	dep->n = 0;
}

/* ------------------------------------------------------------------ */
/* A whole issuance.                                                  */

struct integ_issued {
	char			*pem;		/* the default chain */
	size_t			 len;
	struct acme_order	*order;		/* valid order */
	struct acme_key		*certkey;
	struct acme_certinfo	*info;		/* of the leaf */
	size_t			 nreused;	/* authz valid on first look */
	size_t			 nresponded;	/* challenges answered */
};

static inline void
integ_issued_free(struct integ_issued *r)
{
	free(r->pem);
	acme_order_free(r->order);
	acme_key_free(r->certkey);
	acme_certinfo_free(r->info);
	memset(r, 0, sizeof(*r));
}

/*
 * Orders a certificate for idents, answers each pending authorization
 * with challenge type t (its answer deployed through challtestsrv),
 * waits, finalizes with a fresh key of type kt, downloads, and checks
 * the leaf (chain holds certificates only, SANs are the identifiers, the
 * leaf carries the fresh key).  Each step is a test named "name: ...".
 * Returns 1 when all passed, *r then filled (integ_issued_free).
 */
static inline int
integ_issue(struct acme_ctx *ctx, const struct acme_key *acct,
    const struct acme_ident *idents, size_t nident, enum acme_chtype t,
    enum acme_keytype kt, const char *name, struct integ_issued *r)
{
	struct acme_order_req	 req;
	struct acme_order	*o = NULL, *o2 = NULL;
	struct acme_authz	*a = NULL;
	struct integ_deploys	 dep;
	const struct acme_challenge *ch;
	char			 pending[16];
	enum acme_err		 err;
	size_t			 i;
	int			 good = 0;

	memset(r, 0, sizeof(*r));
	memset(&dep, 0, sizeof(dep));
	memset(&req, 0, sizeof(req));
	req.idents = idents;
	req.nident = nident;
	err = acme_order_new(ctx, &req, &o);
	if (!ok_acme(ctx, err, "%s: order placed", name))
		goto out;
	if (!ok(o->url != NULL && o->nauthz == nident &&
	    o->nauthz <= sizeof(pending),
	    "%s: one authorization per identifier (%zu)", name, o->nauthz))
		goto out;

	/* RFC 8555 7.1.3: an authorization may already be valid. */
	for (i = 0; i < o->nauthz; i++) {
		pending[i] = 0;
		err = acme_authz_fetch(ctx, o->authz[i], &a);
		if (!ok_acme(ctx, err, "%s: authorization %zu read", name, i))
			goto out;
		if (a->status == ACME_S_VALID)
			r->nreused++;
		else if (a->status == ACME_S_PENDING) {
			if (!integ_deploy(acct, a, t, &dep))
				goto fail;
			ch = acme_authz_challenge(a, t);
			err = acme_challenge_respond(ctx, ch->url, NULL);
			if (!ok_acme(ctx, err, "%s: %s challenge for %s%s "
			    "answered", name, acme_chtype_name(t),
			    a->wildcard ? "*." : "", a->ident.value))
				goto out;
			pending[i] = 1;
			r->nresponded++;
		} else {
			tap_diag("authorization %s is %s", o->authz[i],
			    acme_status_name(a->status));
			goto fail;
		}
		acme_authz_free(a);
		a = NULL;
	}
	for (i = 0; i < o->nauthz; i++) {
		if (!pending[i])
			continue;
		err = acme_authz_wait(ctx, o->authz[i], INTEG_WAIT, &a);
		if (!ok_acme(ctx, err, "%s: authorization %zu settled",
		    name, i))
			goto out;
		if (!ok(a->status == ACME_S_VALID,
		    "%s: authorization for %s%s is valid (%s)", name,
		    a->wildcard ? "*." : "", a->ident.value,
		    acme_status_name(a->status))) {
			if ((ch = acme_authz_challenge(a, t)) != NULL &&
			    ch->error != NULL)
				tap_diag("challenge error %s: %s",
				    acme_ptype_name(ch->error->ptype),
				    ch->error->detail ? ch->error->detail : "");
			goto out;
		}
		acme_authz_free(a);
		a = NULL;
	}

	err = acme_order_wait(ctx, o->url, ACME_S_READY, INTEG_WAIT, &o2);
	if (!ok_acme(ctx, err, "%s: order settled", name))
		goto out;
	if (!ok(o2->status == ACME_S_READY, "%s: order is ready (%s)", name,
	    acme_status_name(o2->status)))
		goto out;
	acme_order_free(o);
	o = o2;
	o2 = NULL;

	r->certkey = integ_key(kt);
	err = acme_order_finalize(ctx, o, r->certkey, &o2);
	if (!ok_acme(ctx, err, "%s: finalized with a fresh %s key", name,
	    acme_keytype_name(kt)))
		goto out;
	if (o2->status != ACME_S_VALID) {
		acme_order_free(o);
		o = o2;
		o2 = NULL;
		err = acme_order_wait(ctx, o->url, ACME_S_VALID, INTEG_WAIT,
		    &o2);
		if (!ok_acme(ctx, err, "%s: order processed", name))
			goto out;
	}
	if (!ok(o2->status == ACME_S_VALID && o2->certificate != NULL,
	    "%s: order valid with a certificate URL (%s)", name,
	    acme_status_name(o2->status)))
		goto out;
	acme_order_free(o);
	o = o2;
	o2 = NULL;

	err = acme_cert_download(ctx, o->certificate, NULL, &r->pem, &r->len);
	if (!ok_acme(ctx, err, "%s: certificate downloaded", name))
		goto out;
	ok(acme_chain_check(r->pem, r->len) == ACME_OK &&
	    integ_ncerts(r->pem) >= 2,
	    "%s: chain is %zu certificates and nothing else", name,
	    integ_ncerts(r->pem));
	err = acme_cert_parse(r->pem, r->len, &r->info);
	if (!ok_acme(ctx, err, "%s: leaf parses", name))
		goto out;
	if (!ok(integ_sans_match(r->info, idents, nident),
	    "%s: SANs are the ordered identifiers", name))
		goto out;
	if (!ok(integ_cert_matches_key(r->pem, r->certkey),
	    "%s: leaf carries the fresh key", name))
		goto out;
	r->order = o;
	o = NULL;
	good = 1;
	goto out;
fail:
	ok(0, "%s: challenge deployed", name);
out:
	integ_undeploy(&dep);
	acme_authz_free(a);
	acme_order_free(o);
	acme_order_free(o2);
	if (!good) {
		integ_issued_free(r);
		tap_diag("%s: issuance failed", name);
	}
	return good;
}

#endif /* !INTEG_H */
