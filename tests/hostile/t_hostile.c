/*
 * The hostile CA suite.  Each case points a fresh acme_ctx at one
 * scenario of tests/hostile/server.py (https://127.0.0.1:P/s/<scenario>/dir)
 * and makes one libacme call there: malformed and oversized JSON, wrong
 * types, tokens holding "/", "..", "#", "$(...)" or NUL, absurd
 * Retry-After values, chains holding private keys, redirects to http:.
 * Every case checks the exact acme_err, that outputs stay NULL, that the
 * problem or detail text is set and sane, and, because each case runs in
 * its own child process, that nothing crashed and the sanitizers stayed
 * quiet.  After all cases the scratch directory (the working directory)
 * must be as it was: libacme writes no files.
 *
 * Run by t_hostile.t, which starts the server and sets HOSTILE_BASE
 * (https://127.0.0.1:PORT), HOSTILE_CA (the CA to trust), HOSTILE_CHAIN
 * (the chain the server issues) and HOSTILE_SCRATCH.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acme.h"
#include "curlfn.h"
#include "tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* A set of acceptable acme_err values. */
#define B(e)		(1u << (e))
#define DAY		86400

static const char *const errnames[] = {
	[ACME_OK] = "ACME_OK",
	[ACME_ERR_NOMEM] = "ACME_ERR_NOMEM",
	[ACME_ERR_ARG] = "ACME_ERR_ARG",
	[ACME_ERR_IDENT] = "ACME_ERR_IDENT",
	[ACME_ERR_TRANSPORT] = "ACME_ERR_TRANSPORT",
	[ACME_ERR_TIMEOUT] = "ACME_ERR_TIMEOUT",
	[ACME_ERR_TOOBIG] = "ACME_ERR_TOOBIG",
	[ACME_ERR_SCHEME] = "ACME_ERR_SCHEME",
	[ACME_ERR_ADDRESS] = "ACME_ERR_ADDRESS",
	[ACME_ERR_JSON] = "ACME_ERR_JSON",
	[ACME_ERR_PROTO] = "ACME_ERR_PROTO",
	[ACME_ERR_PROBLEM] = "ACME_ERR_PROBLEM",
	[ACME_ERR_NONCE] = "ACME_ERR_NONCE",
	[ACME_ERR_CRYPTO] = "ACME_ERR_CRYPTO",
	[ACME_ERR_PEM] = "ACME_ERR_PEM",
	[ACME_ERR_UNSUPPORTED] = "ACME_ERR_UNSUPPORTED",
	[ACME_ERR_STATE] = "ACME_ERR_STATE",
};
_Static_assert(NELEM(errnames) == ACME_ERR__MAX, "acme_err names");
_Static_assert(ACME_ERR__MAX <= 32, "acme_err sets fit an unsigned");

/* What a case does once its context is set up. */
enum op {
	OP_DIR,		/* acme_directory_fetch */
	OP_ACCT,	/* acme_account_new, jwk-signed */
	OP_OFETCH,	/* acme_order_fetch of @BASE@/order/1 */
	OP_ONEW,	/* acme_order_new for example.com */
	OP_OWAIT,	/* acme_order_wait of @BASE@/order/1 */
	OP_AFETCH,	/* acme_authz_fetch of @BASE@/authz/1 */
	OP_CHRESP,	/* acme_challenge_respond */
	OP_FINAL,	/* acme_order_fetch, then acme_order_finalize */
	OP_CERT,	/* acme_cert_download of @BASE@/cert/1 */
	OP_ARI,		/* acme_ari_fetch */
	OP_FLOW		/* the whole issuance, well-behaved CA */
};

struct hcase;

/* What a case produced; the check functions read it. */
struct res {
	struct acme_ctx		*ctx;
	struct acme_key		*key;		/* account key */
	struct acme_key		*certkey;
	enum acme_err		 rc;
	struct acme_account	*acct;
	struct acme_order	*order;
	struct acme_authz	*authz;
	struct acme_challenge	*ch;
	char			*pem;
	size_t			 len;
	struct acme_renewal	 ren;
	time_t			 t0;		/* wall clock */
	long			 ms;		/* call's length */
	char			 seg[200];	/* scenario~case */
};

struct hcase {
	const char	*scen;		/* server scenario */
	const char	*what;		/* what the case is about */
	enum op		 op;
	unsigned	 want;		/* B() set of results */
	void		(*check)(const struct hcase *, struct res *);
	long		 timeout_ms;	/* acme_opts, 0: 8000 */
	unsigned	 nonce_retries;
	int		 refuse_private;
	unsigned	 max_wait;	/* OP_OWAIT */
	enum acme_status until;		/* OP_OWAIT */
	const char	*arg;		/* token, issuer CN, replaces */
};

static const char	*base;		/* https://127.0.0.1:P */
static const char	*cafile;
static const char	*chainfile;
static int		 out_fd = -1;	/* child: results out */

/* ------------------------------------------------------------------ */
/* Child side: results go over a pipe as "R <ok> <line> <text>\n".     */

static void
emit(char kind, int cond, int line, const char *fmt, va_list ap)
{
	char	 msg[1024], buf[1100];
	size_t	 i;
	int	 n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	n = snprintf(buf, sizeof(buf), "%c %d %d %s\n", kind, cond, line, msg);
	if (n > 0 && (size_t)n >= sizeof(buf)) {
		buf[sizeof(buf) - 2] = '\n';
		n = sizeof(buf) - 1;
	}
	if (n > 0 && write(out_fd, buf, (size_t)n) != n)
		_exit(3);
}

static int chk_(int, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void note(const char *, ...) __attribute__((format(printf, 1, 2)));

static int
chk_(int cond, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	emit('R', cond, line, fmt, ap);
	va_end(ap);
	return cond;
}

static void
note(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	emit('D', 0, 0, fmt, ap);
	va_end(ap);
}

#define chk(c, ...)	chk_(!!(c), __LINE__, __VA_ARGS__)

static const char *
ename(enum acme_err e)
{

	return (unsigned)e < ACME_ERR__MAX ? errnames[e] : "(out of range)";
}

/* Appends src to dst (size sz), truncating. */
static void
strlcat_(char *dst, const char *src, size_t sz)
{
	size_t	 n = strlen(dst);

	if (n + 1 < sz)
		snprintf(dst + n, sz - n, "%s", src);
}

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when s is set, shorter than max and free of control characters. */
static int
sane(const char *s, size_t max)
{
	size_t	 i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* url = base/s/seg/suffix */
static const char *
surl(char *buf, size_t sz, const struct res *r, const char *suffix)
{

	snprintf(buf, sz, "%s/s/%s/%s", base, r->seg, suffix);
	return buf;
}

struct sink {
	char	 data[256];
	size_t	 len;
};

static size_t
sink_write(char *p, size_t sz, size_t n, void *arg)
{
	struct sink	*s = arg;

	if (n != 0 && sz > (sizeof(s->data) - 1 - s->len) / n)
		return 0;
	memcpy(s->data + s->len, p, sz * n);
	s->len += sz * n;
	s->data[s->len] = '\0';
	return sz * n;
}

/* How many requests the server saw on endpoint for this case; -1 on error. */
static long
server_count(const struct res *r, const char *endpoint)
{
	const struct curlfn *cf;
	CURL		*c;
	CURLcode	 cc;
	struct sink	 s;
	char		 url[512];

	memset(&s, 0, sizeof(s));
	snprintf(url, sizeof(url), "%s/ctl/count?s=%s&e=%s", base, r->seg,
	    endpoint);
	if ((cf = curlfn_get()) == NULL || (c = cf->easy_init()) == NULL)
		return -1;
	cf->easy_setopt(c, CURLOPT_URL, url);
	cf->easy_setopt(c, CURLOPT_CAINFO, cafile);
	cf->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	cf->easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	cf->easy_setopt(c, CURLOPT_NOPROXY, "*");
	cf->easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	cf->easy_setopt(c, CURLOPT_WRITEDATA, &s);
	cc = cf->easy_perform(c);
	cf->easy_cleanup(c);
	if (cc != CURLE_OK || s.len == 0)
		return -1;
	return strtol(s.data, NULL, 10);
}

static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Checks particular to some cases.                                     */

static void
ck_dir_ok(const struct hcase *c, struct res *r)
{
	const struct acme_directory	*d = acme_directory_get(r->ctx);
	char				 want[512];

	(void)c;
	if (!chk(d != NULL, "directory is kept"))
		return;
	chk(d->new_nonce != NULL &&
	    strcmp(d->new_nonce, surl(want, sizeof(want), r, "nonce")) == 0,
	    "newNonce is %s", want);
	chk(d->renewal_info != NULL, "renewalInfo is read");
	chk(d->tos != NULL && d->ncaa == 1 && d->eab_required == 0,
	    "meta is read");
	chk(d->nprofiles == 2, "two profiles (got %zu)", d->nprofiles);
}

/* The dir-meta-* cases: the mistyped member dropped, the rest kept. */
static void
ck_meta_dropped(const struct hcase *c, struct res *r)
{
	const struct acme_directory	*d = acme_directory_get(r->ctx);
	int				 all;

	all = strcmp(c->scen, "dir-meta-str") == 0;
	if (!chk(d != NULL && d->new_order != NULL, "directory kept"))
		return;
	if (all || strcmp(c->scen, "dir-meta-tos-int") == 0)
		chk(d->tos == NULL, "termsOfService dropped");
	if (all || strcmp(c->scen, "dir-meta-caa-str") == 0)
		chk(d->ncaa == 0 && d->caa == NULL, "caaIdentities dropped");
	if (all || strcmp(c->scen, "dir-meta-eab-str") == 0)
		chk(d->eab_required == 0, "externalAccountRequired dropped");
	if (!all)
		chk(d->nprofiles == 2 && d->website != NULL,
		    "the rest of meta kept");
}

static void
ck_kid_unset(const struct hcase *c, struct res *r)
{

	(void)c;
	chk(acme_ctx_kid(r->ctx) == NULL, "no account URL is set");
}

static void
ck_badnonce_bound(const struct hcase *c, struct res *r)
{
	long		 n = server_count(r, "newAccount");
	unsigned	 bound = c->nonce_retries ? c->nonce_retries : 10;

	chk(n >= 2 && n <= (long)bound + 1,
	    "badNonce retried, at most %u times (server saw %ld requests)",
	    bound, n);
	chk(acme_ctx_kid(r->ctx) == NULL, "no account URL is set");
}

static void
ck_badnonce_once(const struct hcase *c, struct res *r)
{
	char	 want[512];

	(void)c;
	chk(server_count(r, "newAccount") == 2, "one retry after badNonce");
	chk(r->acct != NULL && r->acct->created == 1, "account created");
	chk(acme_ctx_kid(r->ctx) != NULL &&
	    strcmp(acme_ctx_kid(r->ctx), surl(want, sizeof(want), r,
	    "acct/1")) == 0, "kid is the Location");
}

static void
ck_problem_script(const struct hcase *c, struct res *r)
{
	const struct acme_problem	*p = acme_problem_get(r->ctx);

	(void)c;
	if (!chk(p != NULL, "problem kept"))
		return;
	chk(p->ptype == ACME_P_INVALIDCONTACT, "ptype invalidContact");
	chk(p->status == 400, "status 400 (got %ld)", p->status);
	chk(p->detail != NULL && strcmp(p->detail, "<script>alert(\"x\")"
	    "</script> & <b>bold</b> 'quoted'") == 0,
	    "detail returned intact, unescaped");
	ck_kid_unset(c, r);
}

static void
ck_p_notjson(const struct hcase *c, struct res *r)
{
	const struct acme_problem	*p = acme_problem_get(r->ctx);

	if (!chk(p != NULL, "problem kept"))
		return;
	chk(p->ptype == ACME_P_UNKNOWN && p->type == NULL,
	    "type unknown, NULL");
	chk(p->status == 400, "status 400 (got %ld)", p->status);
	ck_kid_unset(c, r);
}

static void
ck_p_ctl(const struct hcase *c, struct res *r)
{
	const struct acme_problem	*p = acme_problem_get(r->ctx);
	const char			*d = acme_detail_get(r->ctx);

	(void)c;
	if (!chk(p != NULL, "problem kept"))
		return;
	chk(p->detail != NULL && strcmp(p->detail, "line one\nline two\r\n"
	    "\033[31mred\033[0m\a") == 0, "problem detail kept raw");
	chk(d != NULL && sane(d, 512) && strstr(d, "line one") != NULL,
	    "acme_detail_get escapes the control characters (%s)",
	    d ? d : "NULL");
}

static void
ck_problem_huge(const struct hcase *c, struct res *r)
{
	const struct acme_problem	*p = acme_problem_get(r->ctx);

	(void)c;
	if (!chk(p != NULL, "problem kept"))
		return;
	chk(p->ptype == ACME_P_MALFORMED, "ptype malformed");
	chk(p->detail != NULL && (strlen(p->detail) == 500000 ||
	    strlen(p->detail) < 64 * 1024), "500 kB detail kept or cut "
	    "(length %zu)", p->detail ? strlen(p->detail) : 0);
}

static void
ck_subproblems(const struct hcase *c, struct res *r)
{
	const struct acme_problem	*p = acme_problem_get(r->ctx);
	size_t				 i;
	int				 good = 1;

	(void)c;
	if (!chk(p != NULL, "problem kept"))
		return;
	chk(p->ptype == ACME_P_COMPOUND, "ptype compound");
	chk(p->nsub <= 7, "no more subproblems than sent (%zu)", p->nsub);
	for (i = 0; i < p->nsub; i++) {
		if (p->sub == NULL)
			good = 0;
		else if (p->sub[i].ident.value != NULL &&
		    acme_ident_check(p->sub[i].ident.type,
		    p->sub[i].ident.value) != ACME_OK)
			good = 0;
	}
	chk(good, "every subproblem kept has a checked identifier or none");
}

static void
ck_ra_huge(const struct hcase *c, struct res *r)
{
	const struct acme_problem	*p = acme_problem_get(r->ctx);
	time_t				 now = time(NULL);

	(void)c;
	if (!chk(p != NULL, "problem kept"))
		return;
	chk(p->ptype == ACME_P_RATELIMITED, "ptype rateLimited");
	chk(p->status == 429, "status 429 (got %ld)", p->status);
	chk(p->retry_after > now && p->retry_after <= now + 31 * DAY,
	    "Retry-After 4294967296 clamped into (now, now + 31 days] "
	    "(got now%+lld)", (long long)(p->retry_after - now));
}

static void
ck_ra_date(const struct hcase *c, struct res *r)
{
	const struct acme_problem	*p = acme_problem_get(r->ctx);

	(void)c;
	if (!chk(p != NULL, "problem kept"))
		return;
	chk(p->ptype == ACME_P_RATELIMITED, "ptype rateLimited");
	chk(p->status == 503, "status 503 (got %ld)", p->status);
	chk(p->retry_after >= r->t0 + 100 && p->retry_after <= r->t0 + 140,
	    "HTTP-date Retry-After read as about now + 120 (got now%+lld)",
	    (long long)(p->retry_after - r->t0));
}

static void
ck_ra_neg(const struct hcase *c, struct res *r)
{
	const struct acme_problem	*p = acme_problem_get(r->ctx);

	(void)c;
	if (!chk(p != NULL, "problem kept"))
		return;
	chk(p->retry_after == 0 || (p->retry_after >= r->t0 &&
	    p->retry_after <= time(NULL) + 1),
	    "Retry-After -5 ignored or clamped to now (got now%+lld)",
	    (long long)(p->retry_after - r->t0));
}

static void
ck_ra_3600(const struct hcase *c, struct res *r)
{
	const struct acme_problem	*p = acme_problem_get(r->ctx);

	(void)c;
	if (!chk(p != NULL, "problem kept"))
		return;
	chk(p->ptype == ACME_P_RATELIMITED, "ptype rateLimited");
	chk(p->retry_after >= r->t0 + 3590 && p->retry_after <= r->t0 + 3610,
	    "Retry-After 3600 (got now%+lld)",
	    (long long)(p->retry_after - r->t0));
	chk(r->order == NULL, "no order");
}

static void
ck_ptype(const struct hcase *c, struct res *r, enum acme_ptype t, long st)
{
	const struct acme_problem	*p = acme_problem_get(r->ctx);

	(void)c;
	if (!chk(p != NULL, "problem kept"))
		return;
	chk(p->ptype == t, "ptype %s (got %s)", acme_ptype_name(t),
	    acme_ptype_name(p->ptype));
	chk(p->status == st, "status %ld (got %ld)", st, p->status);
}

static void
ck_p_server503(const struct hcase *c, struct res *r)
{

	ck_ptype(c, r, ACME_P_SERVERINTERNAL, 503);
	chk(acme_directory_get(r->ctx) == NULL, "no directory kept");
}

static void
ck_p_incorrect(const struct hcase *c, struct res *r)
{

	ck_ptype(c, r, ACME_P_INCORRECTRESPONSE, 403);
}

static void
ck_p_badcsr(const struct hcase *c, struct res *r)
{

	ck_ptype(c, r, ACME_P_BADCSR, 400);
}

static void
ck_p_unauthorized(const struct hcase *c, struct res *r)
{

	ck_ptype(c, r, ACME_P_UNAUTHORIZED, 403);
}

static void
ck_status_invalid(const struct hcase *c, struct res *r)
{

	(void)c;
	if (r->rc == ACME_OK)
		chk(r->order != NULL && r->order->status == ACME_S_INVALID,
		    "unknown status maps to ACME_S_INVALID");
}

static void
ck_order_error(const struct hcase *c, struct res *r)
{

	(void)c;
	if (r->rc == ACME_OK)
		chk(r->order != NULL && r->order->error == NULL &&
		    r->order->status == ACME_S_INVALID,
		    "a string \"error\" is dropped, status invalid");
}

static void
ck_order_huge(const struct hcase *c, struct res *r)
{

	(void)c;
	chk(r->ms < 5000, "10,000 authorizations handled in %ld ms", r->ms);
	if (r->rc == ACME_OK)
		chk(r->order != NULL && r->order->nauthz <= 10000,
		    "authorization count kept sane (%zu)",
		    r->order ? r->order->nauthz : 0);
}

static void
ck_replaced(const struct hcase *c, struct res *r)
{

	(void)c;
	chk(server_count(r, "newOrder") == 2,
	    "placed again after alreadyReplaced");
	chk(r->order != NULL && r->order->replaces == NULL,
	    "the order says replaces was not sent");
}

/*
 * The token cases: the challenge token must be refused (NULL) or the
 * call fail, and every function that would make the token a key, a
 * path or a record must refuse the raw value too.
 */
static void
ck_token(const struct hcase *c, struct res *r)
{
	char		*ka = NULL, *dv = NULL;
	unsigned char	 dig[32];
	size_t		 i;
	int		 allnull = 1;
	enum acme_err	 e;

	if (r->rc == ACME_OK && r->authz != NULL) {
		for (i = 0; i < r->authz->nch; i++)
			if (r->authz->ch[i].token != NULL)
				allnull = 0;
		chk(allnull && r->authz->nch > 0,
		    "every challenge token left NULL (%zu challenges)",
		    r->authz->nch);
	}
	if (r->rc == ACME_OK && r->ch != NULL)
		chk(r->ch->token == NULL, "challenge token left NULL");
	if (c->arg == NULL)
		return;
	e = acme_keyauth(r->key, c->arg, &ka);
	chk(e == ACME_ERR_ARG && ka == NULL,
	    "acme_keyauth refuses the token (%s)", ename(e));
	e = acme_dns01_value(r->key, c->arg, &dv);
	chk(e == ACME_ERR_ARG && dv == NULL,
	    "acme_dns01_value refuses the token (%s)", ename(e));
	e = acme_tlsalpn01_digest(r->key, c->arg, dig);
	chk(e == ACME_ERR_ARG, "acme_tlsalpn01_digest refuses the token (%s)",
	    ename(e));
	free(ka);
	free(dv);
}

static void
ck_chall_unknown(const struct hcase *c, struct res *r)
{

	(void)c;
	if (!chk(r->authz != NULL && r->authz->nch == 1, "one challenge"))
		return;
	chk(r->authz->ch[0].type == ACME_CH_UNKNOWN, "type unknown");
	chk(r->authz->ch[0].type_name != NULL &&
	    strcmp(r->authz->ch[0].type_name, "http-99") == 0,
	    "type name kept as sent");
	chk(acme_authz_challenge(r->authz, ACME_CH_HTTP01) == NULL,
	    "no http-01 challenge offered");
}

static void
ck_notready(const struct hcase *c, struct res *r)
{

	(void)c;
	chk(r->order != NULL && r->order->status == ACME_S_PENDING,
	    "the order is read again: status pending (got %s)",
	    r->order ? acme_status_name(r->order->status) : "no order");
	chk(server_count(r, "finalize") == 1, "finalize sent once");
	chk(server_count(r, "order") == 2, "order fetched, then re-read");
}

/* OP_OWAIT: returns by the deadline, and without hammering the CA. */
static void
ck_wait_bounded(const struct hcase *c, struct res *r)
{
	long	 polls = server_count(r, "order");

	chk(r->ms <= (long)c->max_wait * 1000 + 2000,
	    "returned in %ld ms (max_wait %u s)", r->ms, c->max_wait);
	chk(polls >= 1 && polls <= 12, "%ld polls in %u s", polls,
	    c->max_wait);
}

static void
ck_wait_valid(const struct hcase *c, struct res *r)
{

	(void)c;
	chk(r->order != NULL && r->order->status == ACME_S_VALID,
	    "order valid");
	chk(r->order != NULL && r->order->certificate != NULL,
	    "certificate URL read");
	chk(server_count(r, "order") == 3, "polled three times");
	chk(r->ms >= 1500, "Retry-After: 1 honoured (%ld ms)", r->ms);
}

static void
ck_wait_invalid(const struct hcase *c, struct res *r)
{

	(void)c;
	chk(r->order != NULL && r->order->status == ACME_S_INVALID,
	    "order invalid returned as settled");
	chk(r->order != NULL && r->order->error != NULL &&
	    r->order->error->ptype == ACME_P_UNAUTHORIZED,
	    "order error parsed");
	chk(r->ms < 3000, "no waiting on a settled order (%ld ms)", r->ms);
}

static void
ck_cert_ok(const struct hcase *c, struct res *r)
{
	char	*want;

	(void)c;
	if (!chk(r->pem != NULL, "chain returned"))
		return;
	want = slurp(chainfile);
	chk(want != NULL && r->len == strlen(want) &&
	    strcmp(r->pem, want) == 0, "the default chain, byte for byte");
	chk(acme_chain_check(r->pem, r->len) == ACME_OK, "chain checks");
	free(want);
}

static void
ck_cert_alt_http(const struct hcase *c, struct res *r)
{

	ck_cert_ok(c, r);
	chk(server_count(r, "cert") == 1, "default chain fetched once");
	chk(server_count(r, "certAlt") == 0, "no alternate fetched");
}

static void
ck_cert_alt_bad(const struct hcase *c, struct res *r)
{

	ck_cert_ok(c, r);
	chk(server_count(r, "certAlt") <= 1, "the alternate fetched at most "
	    "once");
}

static void
ck_cert_alt_many(const struct hcase *c, struct res *r)
{
	long	 n = server_count(r, "certAlt");

	ck_cert_ok(c, r);
	chk(n >= 0 && n <= 16, "at most 16 alternates fetched (%ld)", n);
}

static void
ck_ari_ok(const struct hcase *c, struct res *r)
{

	(void)c;
	chk(r->ren.start > r->t0 + DAY - 60 && r->ren.end > r->ren.start,
	    "window read");
	chk(r->ren.retry_after == 21600, "Retry-After 21600 (got %u)",
	    r->ren.retry_after);
}

static void
ck_ari_ra(const struct hcase *c, struct res *r)
{

	(void)c;
	/* RFC 9773 4.3: clients set reasonable limits on the interval. */
	chk(r->ren.retry_after >= 60 && r->ren.retry_after <= 7 * DAY,
	    "Retry-After 4294967296 clamped, not wrapped (got %u)",
	    r->ren.retry_after);
}

static void
ck_ari_expl(const struct hcase *c, struct res *r)
{

	(void)c;
	if (r->rc == ACME_OK)
		chk(r->ren.explanation == NULL,
		    "javascript: explanationURL dropped");
}

static void
ck_flow(const struct hcase *c, struct res *r)
{

	(void)c;
	chk(r->pem != NULL && acme_chain_check(r->pem, r->len) == ACME_OK,
	    "the issued chain checks");
}

/* ------------------------------------------------------------------ */
/* The cases.                                                          */

#define TOK(s, raw, w)	{ .scen = s, .what = "challenge token " #s, \
			  .op = OP_AFETCH, \
			  .want = B(ACME_OK) | B(ACME_ERR_PROTO) | (w), \
			  .check = ck_token, .arg = (raw) }
#define CERTID		"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

static const struct hcase cases[] = {
	/* A well-behaved CA first, so a broken server shows at once. */
	{ .scen = "ok", .what = "directory", .op = OP_DIR, .want = B(ACME_OK),
	  .check = ck_dir_ok },
	{ .scen = "ok", .what = "whole issuance", .op = OP_FLOW,
	  .want = B(ACME_OK), .check = ck_flow },
	{ .scen = "ok", .what = "loopback refused with refuse_private",
	  .op = OP_DIR, .want = B(ACME_ERR_ADDRESS), .refuse_private = 1 },

	/* Directory. */
	{ .scen = "dir-notjson", .what = "not JSON", .op = OP_DIR,
	  .want = B(ACME_ERR_JSON) },
	{ .scen = "dir-array", .what = "a JSON array", .op = OP_DIR,
	  .want = B(ACME_ERR_JSON) },
	{ .scen = "dir-dupkeys", .what = "duplicate keys", .op = OP_DIR,
	  .want = B(ACME_ERR_JSON) },
	{ .scen = "dir-empty", .what = "empty object", .op = OP_DIR,
	  .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-no-newnonce", .what = "newNonce missing", .op = OP_DIR,
	  .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-http-urls", .what = "http:// URLs", .op = OP_DIR,
	  .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-http-neworder", .what = "http:// newOrder",
	  .op = OP_DIR, .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-url-space", .what = "URL with a space", .op = OP_DIR,
	  .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-url-ctl", .what = "URL with CR LF", .op = OP_DIR,
	  .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-url-nul", .what = "URL with \\u0000", .op = OP_DIR,
	  .want = B(ACME_ERR_JSON) | B(ACME_ERR_PROTO) },
	{ .scen = "dir-url-long", .what = "5000-character URL", .op = OP_DIR,
	  .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-url-userinfo", .what = "URL with userinfo",
	  .op = OP_DIR, .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-huge", .what = "2 MiB body", .op = OP_DIR,
	  .want = B(ACME_ERR_TOOBIG) },
	{ .scen = "dir-neworder-int", .what = "newOrder: 5", .op = OP_DIR,
	  .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-neworder-null", .what = "newOrder: null", .op = OP_DIR,
	  .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-neworder-obj", .what = "newOrder: {}", .op = OP_DIR,
	  .want = B(ACME_ERR_PROTO) },
	/* directory.c: optional members of the wrong type count as absent. */
	{ .scen = "dir-meta-tos-int", .what = "meta.termsOfService: 5",
	  .op = OP_DIR, .want = B(ACME_OK), .check = ck_meta_dropped },
	{ .scen = "dir-meta-caa-str", .what = "meta.caaIdentities a string",
	  .op = OP_DIR, .want = B(ACME_OK), .check = ck_meta_dropped },
	{ .scen = "dir-meta-eab-str",
	  .what = "meta.externalAccountRequired a string", .op = OP_DIR,
	  .want = B(ACME_OK), .check = ck_meta_dropped },
	{ .scen = "dir-meta-str", .what = "meta a string", .op = OP_DIR,
	  .want = B(ACME_OK), .check = ck_meta_dropped },
	{ .scen = "dir-deep", .what = "100,000 nested arrays", .op = OP_DIR,
	  .want = B(ACME_ERR_JSON) },
	{ .scen = "dir-redirect-http", .what = "redirect to http:",
	  .op = OP_DIR, .want = B(ACME_ERR_SCHEME) },
	{ .scen = "dir-redirect-loop", .what = "redirect loop", .op = OP_DIR,
	  .want = B(ACME_ERR_TRANSPORT) },
	/* directory.c: a non-200 answer that is no problem document. */
	{ .scen = "dir-500-html", .what = "500 with an HTML body",
	  .op = OP_DIR, .want = B(ACME_ERR_PROTO) },
	{ .scen = "dir-503-problem", .what = "503 problem document",
	  .op = OP_DIR, .want = B(ACME_ERR_PROBLEM), .check = ck_p_server503 },
	{ .scen = "dir-gzip-bomb", .what = "20 MiB gzip-compressed to 20 kB",
	  .op = OP_DIR, .want = B(ACME_ERR_TOOBIG) | B(ACME_ERR_JSON) },
	{ .scen = "dir-slow", .what = "answer after 5 s, timeout 1.5 s",
	  .op = OP_DIR, .want = B(ACME_ERR_TIMEOUT), .timeout_ms = 1500 },
	{ .scen = "dir-close-mid", .what = "connection closed mid-body",
	  .op = OP_DIR, .want = B(ACME_ERR_TRANSPORT) },

	/* Nonces. */
	{ .scen = "nonce-missing", .what = "newNonce without Replay-Nonce",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROTO), .check = ck_kid_unset },
	{ .scen = "nonce-illegal", .what = "nonce with $ / + =", .op = OP_ACCT,
	  .want = B(ACME_ERR_PROTO), .check = ck_kid_unset },
	{ .scen = "nonce-huge", .what = "5000-character nonce", .op = OP_ACCT,
	  .want = B(ACME_ERR_PROTO), .check = ck_kid_unset },
	{ .scen = "nonce-empty", .what = "empty nonce", .op = OP_ACCT,
	  .want = B(ACME_ERR_PROTO), .check = ck_kid_unset },
	{ .scen = "badnonce-forever", .what = "badNonce forever, 3 retries",
	  .op = OP_ACCT, .want = B(ACME_ERR_NONCE), .check = ck_badnonce_bound,
	  .nonce_retries = 3 },
	{ .scen = "badnonce-forever",
	  .what = "badNonce forever, default bound", .op = OP_ACCT,
	  .want = B(ACME_ERR_NONCE), .check = ck_badnonce_bound },
	{ .scen = "badnonce-once", .what = "badNonce once, then success",
	  .op = OP_ACCT, .want = B(ACME_OK), .check = ck_badnonce_once },

	/* Accounts. */
	{ .scen = "acct-no-location", .what = "201 without Location",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROTO), .check = ck_kid_unset },
	{ .scen = "acct-location-http", .what = "Location http://",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROTO), .check = ck_kid_unset },
	{ .scen = "acct-location-junk", .what = "Location not a URL",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROTO), .check = ck_kid_unset },
	{ .scen = "acct-wrong-types", .what = "status: 5, contact a string",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROTO), .check = ck_kid_unset },
	{ .scen = "acct-empty-body", .what = "201 with an empty body",
	  .op = OP_ACCT, .want = B(ACME_ERR_JSON), .check = ck_kid_unset },
	{ .scen = "acct-problem-script", .what = "<script> in detail",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROBLEM),
	  .check = ck_problem_script },
	/* request.c: an error body that is no problem document still gives
	 * a problem, type NULL, so the caller has the HTTP status. */
	{ .scen = "acct-problem-notjson", .what = "problem+json that is HTML",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROBLEM), .check = ck_p_notjson },
	{ .scen = "acct-problem-ctl", .what = "control characters in detail",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROBLEM), .check = ck_p_ctl },
	{ .scen = "acct-problem-huge", .what = "500 kB detail", .op = OP_ACCT,
	  .want = B(ACME_ERR_PROBLEM), .check = ck_problem_huge },
	{ .scen = "acct-sub-notarray", .what = "subproblems a string",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROBLEM),
	  .check = ck_subproblems },
	{ .scen = "acct-sub-elems", .what = "subproblems of wrong types",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROBLEM),
	  .check = ck_subproblems },
	{ .scen = "acct-ratelimit-huge",
	  .what = "429, Retry-After: 4294967296", .op = OP_ACCT,
	  .want = B(ACME_ERR_PROBLEM), .check = ck_ra_huge },
	{ .scen = "acct-ratelimit-503-date",
	  .what = "503, Retry-After HTTP-date", .op = OP_ACCT,
	  .want = B(ACME_ERR_PROBLEM), .check = ck_ra_date },
	{ .scen = "acct-ratelimit-neg", .what = "429, Retry-After: -5",
	  .op = OP_ACCT, .want = B(ACME_ERR_PROBLEM), .check = ck_ra_neg },

	/* Orders. */
	{ .scen = "order-status-weird", .what = "status \"weird\"",
	  .op = OP_OFETCH, .want = B(ACME_OK), .check = ck_status_invalid },
	{ .scen = "order-status-int", .what = "status: 5", .op = OP_OFETCH,
	  .want = B(ACME_OK) | B(ACME_ERR_PROTO), .check = ck_status_invalid },
	{ .scen = "order-idents-types", .what = "identifier of wrong types",
	  .op = OP_OFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-idents-str", .what = "identifiers a string",
	  .op = OP_OFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-ident-email", .what = "identifier type email",
	  .op = OP_OFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-authz-str", .what = "authorizations a string",
	  .op = OP_OFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-authz-http", .what = "authorization URL http://",
	  .op = OP_OFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-authz-int", .what = "authorizations of numbers",
	  .op = OP_OFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-authz-huge", .what = "10,000 authorizations",
	  .op = OP_OFETCH, .want = B(ACME_OK) | B(ACME_ERR_PROTO),
	  .check = ck_order_huge },
	{ .scen = "order-finalize-missing", .what = "finalize missing",
	  .op = OP_OFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-expires-garbage", .what = "expires \"next tuesday\"",
	  .op = OP_OFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-cert-http", .what = "certificate URL http://",
	  .op = OP_OFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-error-str", .what = "error a string", .op = OP_OFETCH,
	  .want = B(ACME_OK) | B(ACME_ERR_PROTO), .check = ck_order_error },
	{ .scen = "order-notjson", .what = "truncated JSON", .op = OP_OFETCH,
	  .want = B(ACME_ERR_JSON) },
	{ .scen = "order-redirect-http", .what = "302 to http:// on a POST",
	  .op = OP_OFETCH, .want = B(ACME_ERR_SCHEME) | B(ACME_ERR_PROTO) },
	{ .scen = "order-new-location-http",
	  .what = "newOrder Location http://",
	  .op = OP_ONEW, .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-new-no-location",
	  .what = "newOrder 201 without Location", .op = OP_ONEW,
	  .want = B(ACME_ERR_PROTO) },
	{ .scen = "order-new-ratelimited",
	  .what = "newOrder 429, Retry-After: 3600", .op = OP_ONEW,
	  .want = B(ACME_ERR_PROBLEM), .check = ck_ra_3600 },
	{ .scen = "order-already-replaced",
	  .what = "alreadyReplaced: placed again without " "replaces",
	  .op = OP_ONEW, .want = B(ACME_OK), .check = ck_replaced,
	  .arg = CERTID },

	/* Authorizations and challenges. */
	TOK("tok-slash", "a/b", 0),
	TOK("tok-dotdot", "../../etc/passwd", 0),
	TOK("tok-hash", "a#b", 0),
	TOK("tok-cmd", "$(touch /tmp/pwned)", 0),
	TOK("tok-cmd-rel", "$(touch pwned)", 0),
	TOK("tok-backtick", "`touch pwned`", 0),
	TOK("tok-nul", NULL, B(ACME_ERR_JSON)),	/* "tok" is base64url */
	TOK("tok-long", NULL, 0),		/* base64url, but 300 long */
	TOK("tok-space", "ab cd", 0),
	TOK("tok-newline", "abc\r\nX-Evil: 1", 0),
	TOK("tok-empty", "", 0),
	TOK("tok-padding", "YWJj==", 0),
	TOK("tok-plus", "a+b", 0),
	TOK("tok-unicode", "t\xc3\xb6k\xc3\xa9n", 0),
	TOK("tok-int", NULL, 0),
	{ .scen = "chall-type-unknown", .what = "challenge type http-99",
	  .op = OP_AFETCH, .want = B(ACME_OK), .check = ck_chall_unknown },
	{ .scen = "authz-ident-email", .what = "identifier type email",
	  .op = OP_AFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "authz-challs-str", .what = "challenges a string",
	  .op = OP_AFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "authz-chall-url-http", .what = "challenge URL http://",
	  .op = OP_AFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "authz-expires-garbage", .what = "expires \"soon\"",
	  .op = OP_AFETCH, .want = B(ACME_ERR_PROTO) },
	{ .scen = "authz-status-weird", .what = "status an array",
	  .op = OP_AFETCH, .want = B(ACME_ERR_PROTO) | B(ACME_OK) },
	{ .scen = "chall-resp-token", .what = "respond: token \"../x\"",
	  .op = OP_CHRESP, .want = B(ACME_OK) | B(ACME_ERR_PROTO),
	  .check = ck_token, .arg = "../x" },
	{ .scen = "chall-resp-problem",
	  .what = "respond: 403 incorrectResponse", .op = OP_CHRESP,
	  .want = B(ACME_ERR_PROBLEM), .check = ck_p_incorrect },

	/* Finalize. */
	{ .scen = "finalize-notready",
	  .what = "orderNotReady: re-read, real status", .op = OP_FINAL,
	  .want = B(ACME_ERR_STATE), .check = ck_notready },
	{ .scen = "finalize-badcsr", .what = "badCSR", .op = OP_FINAL,
	  .want = B(ACME_ERR_PROBLEM), .check = ck_p_badcsr },

	/* Polling. */
	{ .scen = "wait-ra-huge", .what = "Retry-After: 4294967296",
	  .op = OP_OWAIT, .want = B(ACME_ERR_TIMEOUT),
	  .check = ck_wait_bounded, .max_wait = 3, .until = ACME_S_VALID },
	{ .scen = "wait-ra-neg", .what = "Retry-After: -5", .op = OP_OWAIT,
	  .want = B(ACME_ERR_TIMEOUT), .check = ck_wait_bounded, .max_wait = 3,
	  .until = ACME_S_VALID },
	{ .scen = "wait-ra-zero", .what = "Retry-After: 0", .op = OP_OWAIT,
	  .want = B(ACME_ERR_TIMEOUT), .check = ck_wait_bounded, .max_wait = 3,
	  .until = ACME_S_VALID },
	{ .scen = "wait-ra-abc", .what = "Retry-After: abc", .op = OP_OWAIT,
	  .want = B(ACME_ERR_TIMEOUT), .check = ck_wait_bounded, .max_wait = 3,
	  .until = ACME_S_VALID },
	{ .scen = "wait-ra-date", .what = "Retry-After in the year 9999",
	  .op = OP_OWAIT, .want = B(ACME_ERR_TIMEOUT),
	  .check = ck_wait_bounded, .max_wait = 3, .until = ACME_S_VALID },
	{ .scen = "wait-processing", .what = "processing forever",
	  .op = OP_OWAIT, .want = B(ACME_ERR_TIMEOUT),
	  .check = ck_wait_bounded, .max_wait = 3, .until = ACME_S_VALID },
	{ .scen = "wait-pending", .what = "pending forever, until ready",
	  .op = OP_OWAIT, .want = B(ACME_ERR_TIMEOUT),
	  .check = ck_wait_bounded, .max_wait = 3, .until = ACME_S_READY },
	{ .scen = "wait-becomes-valid", .what = "processing twice, then valid",
	  .op = OP_OWAIT, .want = B(ACME_OK), .check = ck_wait_valid,
	  .max_wait = 10, .until = ACME_S_VALID },
	{ .scen = "wait-invalid", .what = "invalid with an error",
	  .op = OP_OWAIT, .want = B(ACME_OK), .check = ck_wait_invalid,
	  .max_wait = 10, .until = ACME_S_VALID },

	/* Certificates. */
	{ .scen = "ok", .what = "chain", .op = OP_CERT, .want = B(ACME_OK),
	  .check = ck_cert_ok },
	{ .scen = "cert-privkey", .what = "chain with a PRIVATE KEY block",
	  .op = OP_CERT, .want = B(ACME_ERR_PEM) },
	{ .scen = "cert-rsa-key",
	  .what = "chain with an RSA PRIVATE KEY block", .op = OP_CERT,
	  .want = B(ACME_ERR_PEM) },
	{ .scen = "cert-junk", .what = "junk text", .op = OP_CERT,
	  .want = B(ACME_ERR_PEM) },
	{ .scen = "cert-junk-block", .what = "chain with an X509 CRL block",
	  .op = OP_CERT, .want = B(ACME_ERR_PEM) },
	{ .scen = "cert-bad-b64", .what = "CERTIFICATE block of junk",
	  .op = OP_CERT, .want = B(ACME_ERR_PEM) },
	{ .scen = "cert-empty", .what = "empty body", .op = OP_CERT,
	  .want = B(ACME_ERR_PEM) },
	{ .scen = "cert-html", .what = "HTML body", .op = OP_CERT,
	  .want = B(ACME_ERR_PEM) },
	{ .scen = "cert-der", .what = "DER instead of PEM", .op = OP_CERT,
	  .want = B(ACME_ERR_PEM) },
	{ .scen = "cert-huge", .what = "2 MiB chain", .op = OP_CERT,
	  .want = B(ACME_ERR_TOOBIG) },
	{ .scen = "cert-truncated", .what = "truncated PEM", .op = OP_CERT,
	  .want = B(ACME_ERR_PEM) },
	{ .scen = "cert-nul", .what = "NUL inside the PEM", .op = OP_CERT,
	  .want = B(ACME_ERR_PEM) },
	{ .scen = "cert-problem", .what = "403 unauthorized", .op = OP_CERT,
	  .want = B(ACME_ERR_PROBLEM), .check = ck_p_unauthorized },
	{ .scen = "cert-alt-http", .what = "Link alternate http:// ignored",
	  .op = OP_CERT, .want = B(ACME_OK), .check = ck_cert_alt_http,
	  .arg = "No Such Root" },
	{ .scen = "cert-alt-many", .what = "1000 Link alternates",
	  .op = OP_CERT,
	  .want = B(ACME_OK), .check = ck_cert_alt_many,
	  .arg = "No Such Root" },
	{ .scen = "cert-alt-privkey",
	  .what = "alternate chain with a key skipped", .op = OP_CERT,
	  .want = B(ACME_OK), .check = ck_cert_alt_bad,
	  .arg = "No Such Root" },

	/* ARI. */
	{ .scen = "ok", .what = "renewalInfo", .op = OP_ARI,
	  .want = B(ACME_OK), .check = ck_ari_ok },
	{ .scen = "ari-inverted", .what = "window end before start",
	  .op = OP_ARI, .want = B(ACME_ERR_PROTO) },
	{ .scen = "ari-garbage", .what = "window of words", .op = OP_ARI,
	  .want = B(ACME_ERR_PROTO) },
	{ .scen = "ari-window-str", .what = "suggestedWindow a string",
	  .op = OP_ARI, .want = B(ACME_ERR_PROTO) },
	{ .scen = "ari-year-99999", .what = "window in the year 99999",
	  .op = OP_ARI, .want = B(ACME_ERR_PROTO) },
	{ .scen = "ari-ra-huge", .what = "Retry-After: 4294967296",
	  .op = OP_ARI, .want = B(ACME_OK), .check = ck_ari_ra },
	{ .scen = "ari-absent", .what = "renewalInfo not advertised",
	  .op = OP_ARI, .want = B(ACME_ERR_UNSUPPORTED) },
	{ .scen = "ari-explanation-http", .what = "explanationURL javascript:",
	  .op = OP_ARI, .want = B(ACME_OK) | B(ACME_ERR_PROTO),
	  .check = ck_ari_expl },
};

/* ------------------------------------------------------------------ */
/* Running one case (in the child).                                     */

static enum acme_err
run_flow(struct res *r)
{
	struct acme_account_req	 areq;
	struct acme_order_req	 oreq;
	struct acme_ident	 id = { ACME_ID_DNS, NULL };
	struct acme_order	*fin = NULL, *done = NULL;
	char			 name[] = "example.com";
	const struct acme_challenge *ch;
	char			*url = NULL;
	enum acme_err		 e;
	static const char *const contact[] = { "mailto:a@example.com" };

	memset(&areq, 0, sizeof(areq));
	areq.contact = contact;
	areq.ncontact = 1;
	areq.tos_agreed = 1;
	if ((e = acme_account_new(r->ctx, &areq, &r->acct)) != ACME_OK) {
		note("flow: newAccount: %s", ename(e));
		return e;
	}
	id.value = name;
	memset(&oreq, 0, sizeof(oreq));
	oreq.idents = &id;
	oreq.nident = 1;
	if ((e = acme_order_new(r->ctx, &oreq, &r->order)) != ACME_OK) {
		note("flow: newOrder: %s", ename(e));
		return e;
	}
	if (r->order->nauthz != 1 || r->order->url == NULL) {
		note("flow: order without one authorization or URL");
		return ACME_ERR_PROTO;
	}
	if ((e = acme_authz_fetch(r->ctx, r->order->authz[0], &r->authz)) !=
	    ACME_OK) {
		note("flow: authz: %s", ename(e));
		return e;
	}
	if ((ch = acme_authz_challenge(r->authz, ACME_CH_HTTP01)) == NULL ||
	    ch->token == NULL) {
		note("flow: no http-01 challenge with a token");
		return ACME_ERR_PROTO;
	}
	if ((e = acme_challenge_respond(r->ctx, ch->url, NULL)) != ACME_OK) {
		note("flow: respond: %s", ename(e));
		return e;
	}
	if ((url = strdup(r->order->url)) == NULL)
		return ACME_ERR_NOMEM;
	acme_order_free(r->order);
	r->order = NULL;
	if ((e = acme_order_wait(r->ctx, url, ACME_S_READY, 10, &r->order)) !=
	    ACME_OK || r->order->status != ACME_S_READY) {
		note("flow: wait ready: %s", ename(e));
		free(url);
		return e != ACME_OK ? e : ACME_ERR_STATE;
	}
	if ((e = acme_order_finalize(r->ctx, r->order, r->certkey, &fin)) !=
	    ACME_OK) {
		note("flow: finalize: %s", ename(e));
		goto out;
	}
	if ((e = acme_order_wait(r->ctx, url, ACME_S_VALID, 10, &done)) !=
	    ACME_OK || done->status != ACME_S_VALID ||
	    done->certificate == NULL) {
		note("flow: wait valid: %s", ename(e));
		if (e == ACME_OK)
			e = ACME_ERR_STATE;
		goto out;
	}
	if ((e = acme_cert_download(r->ctx, done->certificate, NULL, &r->pem,
	    &r->len)) != ACME_OK)
		note("flow: certificate: %s", ename(e));
out:
	acme_order_free(fin);
	acme_order_free(done);
	free(url);
	return e;
}

static void
run_op(const struct hcase *c, struct res *r)
{
	struct acme_account_req	 areq;
	struct acme_order_req	 oreq;
	struct acme_order	*pre = NULL;
	struct acme_ident	 id = { ACME_ID_DNS, NULL };
	char			 url[512], name[] = "example.com";
	static const char *const contact[] = { "mailto:a@example.com" };

	switch (c->op) {
	case OP_DIR:
		r->rc = acme_directory_fetch(r->ctx);
		break;
	case OP_ACCT:
		memset(&areq, 0, sizeof(areq));
		areq.contact = contact;
		areq.ncontact = 1;
		areq.tos_agreed = 1;
		r->rc = acme_account_new(r->ctx, &areq, &r->acct);
		break;
	case OP_OFETCH:
		r->rc = acme_order_fetch(r->ctx,
		    surl(url, sizeof(url), r, "order/1"), &r->order);
		break;
	case OP_ONEW:
		id.value = name;
		memset(&oreq, 0, sizeof(oreq));
		oreq.idents = &id;
		oreq.nident = 1;
		oreq.replaces = c->arg;
		r->rc = acme_order_new(r->ctx, &oreq, &r->order);
		break;
	case OP_OWAIT:
		r->rc = acme_order_wait(r->ctx,
		    surl(url, sizeof(url), r, "order/1"), c->until,
		    c->max_wait, &r->order);
		break;
	case OP_AFETCH:
		r->rc = acme_authz_fetch(r->ctx,
		    surl(url, sizeof(url), r, "authz/1"), &r->authz);
		break;
	case OP_CHRESP:
		r->rc = acme_challenge_respond(r->ctx,
		    surl(url, sizeof(url), r, "chall/1/http-01"), &r->ch);
		break;
	case OP_FINAL:
		r->rc = acme_order_fetch(r->ctx,
		    surl(url, sizeof(url), r, "order/1"), &pre);
		if (!chk(r->rc == ACME_OK, "order fetched before finalize "
		    "(%s)", ename(r->rc)))
			break;
		r->rc = acme_order_finalize(r->ctx, pre, r->certkey,
		    &r->order);
		break;
	case OP_CERT:
		r->rc = acme_cert_download(r->ctx,
		    surl(url, sizeof(url), r, "cert/1"), c->arg, &r->pem,
		    &r->len);
		break;
	case OP_ARI:
		r->rc = acme_ari_fetch(r->ctx, c->arg ? c->arg : CERTID,
		    &r->ren);
		break;
	case OP_FLOW:
		r->rc = run_flow(r);
		break;
	}
	acme_order_free(pre);
}

/* Outputs must stay NULL when a call fails. */
static void
check_outputs(const struct hcase *c, struct res *r)
{

	switch (c->op) {
	case OP_DIR:
		chk(acme_directory_get(r->ctx) == NULL, "no directory kept");
		break;
	case OP_ACCT:
		chk(r->acct == NULL, "account output NULL");
		break;
	case OP_OFETCH:
	case OP_ONEW:
		chk(r->order == NULL, "order output NULL");
		break;
	case OP_OWAIT:
		/* ACME_ERR_TIMEOUT hands back the last order. */
		if (r->rc != ACME_ERR_TIMEOUT)
			chk(r->order == NULL, "order output NULL");
		break;
	case OP_FINAL:
		/* ACME_ERR_STATE hands back the order read again. */
		if (r->rc != ACME_ERR_STATE)
			chk(r->order == NULL, "order output NULL");
		break;
	case OP_AFETCH:
		chk(r->authz == NULL, "authorization output NULL");
		break;
	case OP_CHRESP:
		chk(r->ch == NULL, "challenge output NULL");
		break;
	case OP_CERT:
		chk(r->pem == NULL, "no chain returned");
		break;
	case OP_ARI:
		chk(r->ren.explanation == NULL && r->ren.start == 0,
		    "renewal window left empty");
		break;
	case OP_FLOW:
		break;
	}
}

static void
child_run(const struct hcase *c, size_t idx)
{
	struct acme_opts		 o;
	struct res			 r;
	const struct acme_problem	*p;
	const char			*d;
	char				 dir[512], kid[512], want[256];
	long				 t;
	enum acme_err			 e;
	unsigned			 i;

	memset(&r, 0, sizeof(r));
	snprintf(r.seg, sizeof(r.seg), "%s~%zu", c->scen, idx);
	surl(dir, sizeof(dir), &r, "dir");
	memset(&o, 0, sizeof(o));
	o.directory_url = dir;
	o.ca_file = cafile;
	o.connect_timeout_ms = 3000;
	o.timeout_ms = c->timeout_ms ? c->timeout_ms : 8000;
	o.refuse_private = c->refuse_private;
	o.nonce_retries = c->nonce_retries;

	/* Ops past newAccount sign with the kid the server hands out. */
	e = acme_key_new(ACME_KEY_EC256, &r.key);
	if (e == ACME_OK)
		e = acme_key_new(ACME_KEY_EC256, &r.certkey);
	if (e == ACME_OK)
		e = acme_ctx_new(&o, &r.ctx);
	if (e == ACME_OK)
		e = acme_ctx_set_account(r.ctx, r.key, c->op == OP_ACCT ||
		    c->op == OP_FLOW ? NULL :
		    surl(kid, sizeof(kid), &r, "acct/1"));
	if (!chk(e == ACME_OK, "set up: keys, context, account (%s)",
	    ename(e)))
		goto out;

	r.t0 = time(NULL);
	t = now_ms();
	run_op(c, &r);
	r.ms = now_ms() - t;

	want[0] = '\0';
	for (i = 0; i < ACME_ERR__MAX; i++)
		if (c->want & B(i)) {
			if (want[0] != '\0')
				strlcat_(want, " or ", sizeof(want));
			strlcat_(want, ename((enum acme_err)i), sizeof(want));
		}
	if (!chk((c->want & B(r.rc)) != 0, "returns %s (got %s)", want,
	    ename(r.rc))) {
		note("detail: %s", acme_detail_get(r.ctx));
		if ((p = acme_problem_get(r.ctx)) != NULL)
			note("problem: %s: %s", p->type ? p->type : "-",
			    p->detail ? p->detail : "-");
	}
	if (r.rc != ACME_OK)
		check_outputs(c, &r);
	if (r.rc == ACME_ERR_PROBLEM) {
		/* type is NULL when the body was no problem document. */
		p = acme_problem_get(r.ctx);
		chk(p != NULL && p->status >= 400 && p->status <= 599 &&
		    (p->type == NULL || sane(p->type, 4096)),
		    "problem kept with its HTTP status");
	}
	if (r.rc != ACME_OK) {
		d = acme_detail_get(r.ctx);
		chk(d != NULL && *d != '\0' && sane(d, 512),
		    "detail set, short, no control characters");
		if (d != NULL)
			note("%s: %s", ename(r.rc), d);
	}
	if (c->check != NULL)
		c->check(c, &r);
out:
	acme_account_free(r.acct);
	acme_order_free(r.order);
	acme_authz_free(r.authz);
	acme_challenge_free(r.ch);
	acme_renewal_clear(&r.ren);
	free(r.pem);
	acme_ctx_free(r.ctx);
	acme_key_free(r.key);
	acme_key_free(r.certkey);
}

/* ------------------------------------------------------------------ */
/* Parent: one child per case; its results become TAP lines.            */

static void
run_case(const struct hcase *c, size_t idx)
{
	FILE	*f;
	char	 line[1200], *p;
	const char *text;
	int	 fd[2], status, cond, ln, any = 0;
	pid_t	 pid;

	if (pipe(fd) == -1)
		tap_bail("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		tap_bail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(fd[0]);
		out_fd = fd[1];
		/* A case that sleeps on a Retry-After dies here. */
		alarm(c->timeout_ms > 0 || c->max_wait > 0 ? 30 : 20);
		child_run(c, idx);
		close(out_fd);
		exit(0);
	}
	close(fd[1]);
	if ((f = fdopen(fd[0], "r")) == NULL)
		tap_bail("fdopen: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%*c %d %d", &cond, &ln) != 2)
			continue;
		/* "K C L text" */
		text = line;
		for (int k = 0; k < 3 && text != NULL; k++)
			if ((text = strchr(text, ' ')) != NULL)
				text++;
		if (text == NULL)
			text = "";
		if (line[0] == 'D')
			tap_diag("  %s", text);
		else {
			tap_ok(cond, __FILE__, ln, "%s: %s: %s", c->scen,
			    c->what, text);
			any = 1;
		}
	}
	fclose(f);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			tap_bail("waitpid: %s", strerror(errno));
	p = line;
	if (WIFSIGNALED(status))
		snprintf(p, sizeof(line), "killed by signal %d%s",
		    WTERMSIG(status), WTERMSIG(status) == SIGALRM ?
		    " (hung)" : "");
	else
		snprintf(p, sizeof(line), "exit status %d",
		    WEXITSTATUS(status));
	ok(any && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: %s: no crash, sanitizers quiet (%s)", c->scen, c->what, p);
}

/* Names in dir, sorted, joined by "/"; NULL on error. */
static char *
listing(const char *dir)
{
	struct dirent	**ents;
	char		 *s;
	size_t		  len = 1;
	int		  i, n;

	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		len += strlen(ents[i]->d_name) + 1;
	if ((s = calloc(1, len)) != NULL)
		for (i = 0; i < n; i++) {
			strcat(s, ents[i]->d_name);
			strcat(s, "/");
		}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return s;
}

int
main(void)
{
	const char	*scratch;
	char		*before, *after, tmpl[] = "/tmp/t_hostile.XXXXXX";
	struct stat	 st;
	int		 pwned_before, made = 0;
	size_t		 i;

	base = getenv("HOSTILE_BASE");
	cafile = getenv("HOSTILE_CA");
	chainfile = getenv("HOSTILE_CHAIN");
	if (base == NULL || cafile == NULL || chainfile == NULL) {
		printf("1..0 # SKIP run through t_hostile.t "
		    "(HOSTILE_BASE, HOSTILE_CA, HOSTILE_CHAIN)\n");
		return 0;
	}
	if ((scratch = getenv("HOSTILE_SCRATCH")) == NULL) {
		if ((scratch = mkdtemp(tmpl)) == NULL)
			tap_bail("mkdtemp: %s", strerror(errno));
		made = 1;
	}
	if (chdir(scratch) == -1)
		tap_bail("%s: %s", scratch, strerror(errno));
	if ((before = listing(".")) == NULL)
		tap_bail("scandir: %s", strerror(errno));
	pwned_before = stat("/tmp/pwned", &st) == 0;
	if (curlfn_get() == NULL)
		tap_bail("%s", curlfn_error());

	tap_diag("%zu hostile cases against %s", NELEM(cases), base);
	for (i = 0; i < NELEM(cases); i++)
		run_case(&cases[i], i);

	/* Writes nothing: not in the working directory, not /tmp/pwned. */
	after = listing(".");
	ok(after != NULL && strcmp(before, after) == 0,
	    "writes nothing: scratch directory unchanged (%s)",
	    after ? after : "?");
	ok(pwned_before || stat("/tmp/pwned", &st) == -1,
	    "writes nothing: /tmp/pwned not created");
	free(before);
	free(after);
	if (made && rmdir(scratch) == -1)
		tap_diag("rmdir %s: %s", scratch, strerror(errno));
	return tap_done();
}
