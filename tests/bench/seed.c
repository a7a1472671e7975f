/*
 * seed: fills a freshly migrated panel database with a realistic load
 * for the panel benchmark (tests/bench/panel.sh).
 *
 *	seed [-u users] [-a accounts] [-o orders] [-l audit] [-n now]
 *	    database chain.pem
 *
 * Defaults: 1,000 users, 10,000 accounts, 100,000 orders, 1,000,000
 * audit rows, now = time(NULL).  Everything goes in one transaction with
 * prepared statements; the numbers come from a fixed-seed xorshift, so
 * two runs with the same -n give the same database.
 *
 * The data:
 *   users      user0001..userNNNN, role user, no password (none signs in).
 *   accounts   spread evenly over the users; mostly Let's Encrypt, some
 *              staging, ZeroSSL, Google; statuses mostly valid; key_enc
 *              is a random blob of a sealed key's size (never opened).
 *   orders     one account each (its owner owns the order), 1-3 names
 *              (domains JSON), created over the last 730 days in id
 *              order.  Older than a week: valid, invalid, expired or
 *              canceled; the last week also holds new, pending, ready and
 *              processing.  Invalid orders carry an RFC 7807 problem as
 *              ops_problem_json writes it.
 *   certificates  one per valid order (90 days; by age: valid, or past
 *              renewal time (30 days left) mostly replaced, some still
 *              valid, a few revoked), chain_pem = the PEM file given (a
 *              real chain made by the script), key_enc a random blob,
 *              names_key (schema 0004) as store_cert_add writes it
 *              (the seed needs schema 4 or later).
 *   audit_log  plausible actions by users, acme-sweep, acme-admin and
 *              anonymous, spread over the same 730 days, chained with
 *              the real canonical form (audit.c): acme-admin audit
 *              verify passes, and settings 'audit.head' is set.  The
 *              chain continues from any rows already there.
 *   sweep_runs one run every 15 minutes over the last 30 days.
 *
 * The schema's CHECK constraints hold for every row.  The secondary
 * indexes of the big tables are dropped for the load and made again from
 * their own SQL; no ANALYZE (the panel never runs it either).  About 25 s
 * on a 2-CPU machine, most of it SQLite storing the audit rows;
 * SEED_VERBOSE=1 prints the phases.  Exit 0 or 1.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#define DAY		86400
#define OBJ_LEN		64
#define DET_LEN		256
#define SPAN		(730 * DAY)
#define GENESIS		"00000000000000000000000000000000" \
			"00000000000000000000000000000000"

static sqlite3	*db;
static uint64_t	 rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Uniform in [0, n). */
static uint64_t
rn(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

static void
die(const char *what)
{
	fprintf(stderr, "seed: %s: %s\n", what, db != NULL ?
	    sqlite3_errmsg(db) : "no database");
	exit(1);
}

static void
exec(const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "seed: %s: %s\n", sql, err ? err : "?");
		exit(1);
	}
}

static sqlite3_stmt *
prep(const char *sql)
{
	sqlite3_stmt	*s;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		die(sql);
	return s;
}

/*
 * Binds the parameters described by fmt ('i' int64, 'z' int64 or NULL
 * when it is 0, 't' text or NULL, 'b' blob of the given length: pointer
 * then int), steps once and resets.  Every parameter is bound each
 * time, and SQLITE_STATIC is safe: the values outlive the step.
 */
static void
run(sqlite3_stmt *s, const char *fmt, ...)
{
	va_list		 ap;
	const char	*t;
	const void	*b;
	int64_t		 v;
	int		 i, r, n;

	va_start(ap, fmt);
	for (i = 1; *fmt != '\0'; fmt++, i++) {
		switch (*fmt) {
		case 'i':
			r = sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 'z':
			v = va_arg(ap, int64_t);
			r = v == 0 ? sqlite3_bind_null(s, i) :
			    sqlite3_bind_int64(s, i, v);
			break;
		case 't':
			t = va_arg(ap, const char *);
			r = t == NULL ? sqlite3_bind_null(s, i) :
			    sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
			break;
		case 'b':
			b = va_arg(ap, const void *);
			n = va_arg(ap, int);
			r = sqlite3_bind_blob(s, i, b, n, SQLITE_STATIC);
			break;
		default:
			r = SQLITE_MISUSE;
			break;
		}
		if (r != SQLITE_OK)
			die("bind");
	}
	va_end(ap);
	if (sqlite3_step(s) != SQLITE_DONE)
		die(sqlite3_sql(s));
	if (sqlite3_reset(s) != SQLITE_OK)
		die("reset");
}

static void
iso(int64_t t, char buf[21])
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		strcpy(buf, "1970-01-01T00:00:00Z");
}

/* audit.c's canonical hash: SHA-256(prev || "acme-audit-v1\n" || fields). */
static void
audit_hash(const char *prev, int64_t id, const char *const f[7],
    char hex[65])
{
	static const char	 digits[] = "0123456789abcdef";
	static EVP_MD_CTX	*md;
	unsigned char		 d[32];
	unsigned int		 dlen = 0;
	char			 len[24], ids[24];
	size_t			 i, n;
	const char		*v;

	if (md == NULL && (md = EVP_MD_CTX_new()) == NULL)
		die("EVP_MD_CTX_new");
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, prev, 64) != 1 ||
	    EVP_DigestUpdate(md, "acme-audit-v1\n", 14) != 1)
		die("sha256");
	for (i = 0; i < 8; i++) {
		v = i == 0 ? ids : f[i - 1];
		n = strlen(v);
		snprintf(len, sizeof(len), "%zu:", n);
		if (EVP_DigestUpdate(md, len, strlen(len)) != 1 ||
		    EVP_DigestUpdate(md, v, n) != 1 ||
		    EVP_DigestUpdate(md, "\n", 1) != 1)
			die("sha256");
	}
	if (EVP_DigestFinal_ex(md, d, &dlen) != 1 || dlen != 32)
		die("sha256");
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 0xf];
	}
	hex[64] = '\0';
}

/*
 * The schema's own secondary indexes on the bulk-loaded tables, dropped
 * before the load and created again after it from their stored SQL, so
 * the schema stays exactly the migrations' and each index is built once
 * from sorted data instead of row by row.
 */
static char	*idx_name[64], *idx_sql[64];
static size_t	 idx_n;

static void
indexes_drop(void)
{
	sqlite3_stmt	*s;
	char		 drop[256];
	size_t		 i;
	int		 r;

	s = prep("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
	    "AND sql IS NOT NULL AND tbl_name IN ('audit_log', 'orders', "
	    "'certificates', 'accounts')");
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (idx_n == 64)
			die("too many indexes");
		if ((idx_name[idx_n] = strdup((const char *)
		    sqlite3_column_text(s, 0))) == NULL ||
		    (idx_sql[idx_n] = strdup((const char *)
		    sqlite3_column_text(s, 1))) == NULL)
			die("strdup");
		idx_n++;
	}
	if (r != SQLITE_DONE)
		die("sqlite_master");
	sqlite3_finalize(s);
	for (i = 0; i < idx_n; i++) {
		snprintf(drop, sizeof(drop), "DROP INDEX \"%s\"",
		    idx_name[i]);
		exec(drop);
	}
}

static void
indexes_create(void)
{
	size_t	 i;

	for (i = 0; i < idx_n; i++) {
		exec(idx_sql[i]);
		free(idx_sql[i]);
		free(idx_name[i]);
	}
}

static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "r")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

struct ca {
	const char	*preset;
	const char	*url;
	const char	*base;		/* account and order URLs */
};

static const struct ca cas[] = {
	{ "letsencrypt", "https://acme-v02.api.letsencrypt.org/directory",
	    "https://acme-v02.api.letsencrypt.org/acme" },
	{ "letsencrypt-staging",
	    "https://acme-staging-v02.api.letsencrypt.org/directory",
	    "https://acme-staging-v02.api.letsencrypt.org/acme" },
	{ "zerossl", "https://acme.zerossl.com/v2/DV90",
	    "https://acme.zerossl.com/v2/DV90" },
	{ "google", "https://dv.acme-v02.api.pki.goog/directory",
	    "https://dv.acme-v02.api.pki.goog" },
};

static const char *const keytypes[] = {
	"ec-256", "ec-256", "ec-256", "ec-256", "ec-384", "rsa-2048",
	"rsa-2048", "rsa-3072", "rsa-4096", "ec-256",
};

/* detail: pre, the name, post. */
struct problem {
	const char	*type;
	int		 status;
	const char	*pre;
	const char	*post;
};

static const struct problem problems[] = {
	{ "unauthorized", 403, "Invalid response from http://",
	    "/.well-known/acme-challenge/x: 404" },
	{ "connection", 400, "Fetching http://", "/.well-known/"
	    "acme-challenge/x: Timeout during connect (likely firewall "
	    "problem)" },
	{ "dns", 400, "DNS problem: NXDOMAIN looking up A for ",
	    " - check that a DNS record exists for this domain" },
	{ "caa", 403, "While processing CAA for ",
	    ": CAA record prevents issuance" },
	{ "rateLimited", 429, "too many certificates already issued for ",
	    " in the last 168h0m0s" },
};

static const char *const tlds[] = {
	"example.com", "example.net", "example.org", "shop.example",
	"blog.example", "test.example",
};

/*
 * Names for site: 1-3 of the apex, www. and mail. or api.: the domains
 * JSON, the same sorted as certificates.names_key holds it (0004: lower
 * case, distinct, sorted, compact), and the first name.
 */
static void
names(uint64_t site, char *json, char *key, size_t jlen, char *first,
    size_t flen)
{
	const char	*tld = tlds[site % 6];
	const char	*sub = site % 2 ? "mail" : "api";
	unsigned	 n = 1 + (unsigned)(site % 7 == 0 ? 2 : site % 3 != 0);

	snprintf(first, flen, "site%" PRIu64 ".%s", site, tld);
	if (n == 1) {
		snprintf(json, jlen, "[\"%s\"]", first);
		snprintf(key, jlen, "%s", json);
	} else if (n == 2) {
		snprintf(json, jlen, "[\"%s\",\"www.%s\"]", first, first);
		snprintf(key, jlen, "%s", json);
	} else {
		snprintf(json, jlen, "[\"%s\",\"www.%s\",\"%s.%s\"]", first,
		    first, sub, first);
		snprintf(key, jlen, "[\"%s.%s\",\"%s\",\"www.%s\"]", sub,
		    first, first, first);
	}
}

static void
hexstr(char *buf, size_t n)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++)
		buf[i] = digits[rn(16)];
	buf[n] = '\0';
}

struct acct {
	int64_t		 owner;
	const struct ca	*ca;
	int		 usable;
};

/* What the phases share. */
struct seed {
	int64_t		 nusers, naccts, norders, naudit, now;
	int64_t		 norderv, ncert;
	struct acct	*accts;		/* [1..naccts] */
	char		*chain;
};

struct acts {
	const char	*action;
	unsigned	 weight;
};

/* Actions by weight (per 1000). */
static const struct acts actions[] = {
	{ "login", 260 }, { "logout", 60 }, { "order.create", 70 },
	{ "challenge.view", 60 }, { "challenge.respond", 60 },
	{ "order.finalize", 50 }, { "certificate.download", 60 },
	{ "certificate.key", 20 }, { "sweep.renew.plan", 70 },
	{ "sweep.renew.order", 60 }, { "sweep.renew.done", 50 },
	{ "sweep.deploy", 50 }, { "sweep.alert", 20 },
	{ "sweep.order.retry", 15 }, { "access", 15 },
	{ "token.denied", 10 }, { "csrf", 5 }, { "account.create", 10 },
	{ "account.update", 5 }, { "certificate.revoke", 3 },
	{ "token.create", 2 }, { "user.add", 2 }, { "audit.export", 3 },
};

static const char *
pick_action(void)
{
	unsigned	 r = (unsigned)rn(1000), sum = 0;
	size_t		 i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		sum += actions[i].weight;
		if (r < sum)
			return actions[i].action;
	}
	return "login";
}

/* Seconds since the first call, for the phase times on stderr. */
static double
elapsed(void)
{
	static struct timespec	 t0;
	struct timespec		 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (t0.tv_sec == 0)
		t0 = t;
	return (double)(t.tv_sec - t0.tv_sec) +
	    (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void
phase(const char *what)
{
	if (getenv("SEED_VERBOSE") != NULL)
		fprintf(stderr, "seed: %6.2f s %s\n", elapsed(), what);
}

static void
usage(void)
{
	fprintf(stderr, "usage: seed [-u users] [-a accounts] [-o orders] "
	    "[-l audit] [-n now] database chain.pem\n");
	exit(2);
}

/* Users user0001.., then accounts spread evenly over them. */
static void
seed_users_accounts(struct seed *sd)
{
	sqlite3_stmt	*s;
	int64_t		 i, t, owner;
	char		 name[32], url[256], json[128], det[32], blob[150];
	int		 k;

	/* Ids follow whatever is there (an admin added before). */
	s = prep("INSERT INTO users (name, pw_hash, role, created, "
	    "updated) VALUES (?1, NULL, 'user', ?2, ?2)");
	for (i = 1; i <= sd->nusers; i++) {
		snprintf(name, sizeof(name), "user%04" PRId64, i);
		run(s, "ti", name, sd->now - SPAN - 30 * DAY + i * 60);
	}
	sqlite3_finalize(s);
	s = prep("SELECT max(id) FROM users");
	if (sqlite3_step(s) != SQLITE_ROW)
		die("max(id)");
	owner = sqlite3_column_int64(s, 0) - sd->nusers + 1;
	sqlite3_finalize(s);

	s = prep("INSERT INTO accounts (id, owner, ca_url, ca_preset, "
	    "kid, contacts, key_type, key_enc, status, tos_agreed, eab_kid, "
	    "error, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9, 1, ?10, ?11, ?12, ?12)");
	for (i = 1; i <= sd->naccts; i++) {
		const struct ca	*ca;
		const char	*st, *kid = url, *eab = NULL, *aerr = NULL;
		int64_t		 u = (i - 1) % sd->nusers;

		k = (int)rn(100);
		ca = &cas[k < 80 ? 0 : k < 88 ? 1 : k < 96 ? 2 : 3];
		k = (int)rn(100);
		st = k < 90 ? "valid" : k < 95 ? "deactivated" : k < 98 ?
		    "new" : "failed";
		snprintf(url, sizeof(url), "%s/acct/%" PRId64, ca->base,
		    100000000 + i);
		if (strcmp(st, "new") == 0 || strcmp(st, "failed") == 0)
			kid = NULL;
		if (strcmp(st, "failed") == 0)
			aerr = "{\"detail\":\"Error creating new account :: "
			    "contact email has forbidden domain\",\"status\":"
			    "400,\"type\":\"invalidContact\",\"urn\":\"urn:"
			    "ietf:params:acme:error:invalidContact\"}";
		if (ca == &cas[2] || ca == &cas[3]) {
			snprintf(det, sizeof(det), "eab-%06" PRId64, i);
			eab = det;
		}
		snprintf(json, sizeof(json),
		    "[\"mailto:user%04" PRId64 "@example.net\"]", u + 1);
		for (k = 0; k < (int)sizeof(blob); k++)
			blob[k] = (char)rnd();
		t = sd->now - SPAN - 20 * DAY + i * (20 * DAY / sd->naccts);
		run(s, "iitttttbttti", i, owner + u, ca->url, ca->preset,
		    kid, json, keytypes[rn(10)], blob, (int)sizeof(blob), st,
		    eab, aerr, t);
		sd->accts[i].owner = owner + u;
		sd->accts[i].ca = ca;
		sd->accts[i].usable = strcmp(st, "valid") == 0 ||
		    strcmp(st, "deactivated") == 0;
	}
	sqlite3_finalize(s);
}

/*
 * The certificate of valid order id (account acc, names json and key,
 * finished at upd).  The sweep renews 30 days before expiry: most
 * certificates past that point have been replaced by their renewal.
 */
static void
cert_add(struct seed *sd, sqlite3_stmt *s, int64_t id, int64_t acc,
    const char *json, const char *key, int64_t upd)
{
	const char	*st;
	int64_t		 nb = upd - 3600, na = nb + 90 * DAY;
	char		 serial[37], ari[96], blob[150];
	int		 k = (int)rn(100), rv;

	if (na < sd->now)
		st = k < 95 ? "replaced" : k < 98 ? "revoked" : "valid";
	else if (na - 30 * DAY <= sd->now)
		st = k < 90 ? "replaced" : k < 92 ? "revoked" : "valid";
	else
		st = k < 98 ? "valid" : "revoked";
	hexstr(serial, 36);
	for (k = 0; k < (int)sizeof(blob); k++)
		blob[k] = (char)rnd();
	snprintf(ari, sizeof(ari), "aYhba4dGQEHhs3uEe6CuLN4ByNQ.%s", serial);
	rv = strcmp(st, "revoked") == 0;
	run(s, "iiitiittbtztzziit", id,
	    sd->accts[acc].owner, acc, serial, nb, na, json, sd->chain, blob,
	    (int)sizeof(blob), ari,
	    strcmp(st, "valid") == 0 ? na - 30 * DAY : 0, st,
	    rv ? (int64_t)(rn(2) ? 1 : 4) : 0, rv ? nb + 10 * DAY : 0, upd,
	    upd, key);
	sd->ncert++;
}

/* Orders over the last SPAN seconds in id order, and their certificates. */
static void
seed_orders(struct seed *sd)
{
	const struct problem	*p;
	sqlite3_stmt		*s, *sc;
	const char		*st;
	int64_t			 i, t, acc, upd, retry, tries;
	char			*oerr;
	char			 url[256], furl[256], curl[256], json[512];
	char			 key[512], first[64], det[256], ebuf[512];
	int			 k, isnew;

	s = prep("INSERT INTO orders (id, owner, account_id, order_url, "
	    "status, domains, key_type, challenge_type, auto, auto_renew, "
	    "error, expires, finalize_url, cert_url, retry_at, tries, "
	    "created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	    "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");
	sc = prep("INSERT INTO certificates (order_id, owner, account_id, "
	    "serial, not_before, not_after, domains, chain_pem, key_enc, "
	    "ari_id, renew_at, status, revoked_reason, revoked_at, created, "
	    "updated, names_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
	for (i = 1; i <= sd->norders; i++) {
		do
			acc = 1 + (int64_t)rn((uint64_t)sd->naccts);
		while (!sd->accts[acc].usable && sd->naccts > 50);
		t = sd->now - SPAN + (int64_t)((double)SPAN * (double)i /
		    (double)(sd->norders + 1)) + (int64_t)rn(60);
		k = (int)rn(1000);
		/* Only the last week's orders can still be in progress. */
		if (sd->now - t > 8 * DAY)
			st = k < 860 ? "valid" : k < 930 ? "invalid" :
			    k < 975 ? "expired" : "canceled";
		else
			st = k < 640 ? "valid" : k < 720 ? "invalid" :
			    k < 760 ? "new" : k < 900 ? "pending" : k < 930 ?
			    "ready" : k < 950 ? "processing" : k < 980 ?
			    "canceled" : "expired";
		isnew = strcmp(st, "new") == 0;
		names(rn(40000), json, key, sizeof(json), first,
		    sizeof(first));
		snprintf(url, sizeof(url), "%s/order/%" PRId64 "/%" PRId64,
		    sd->accts[acc].ca->base, 100000000 + acc, 400000000 + i);
		snprintf(furl, sizeof(furl), "%s/finalize/%" PRId64 "/%"
		    PRId64, sd->accts[acc].ca->base, 100000000 + acc,
		    400000000 + i);
		snprintf(curl, sizeof(curl), "%s/cert/%" PRId64,
		    sd->accts[acc].ca->base, 700000000 + i);
		upd = t + 20 + (int64_t)rn(600);
		oerr = NULL;
		retry = tries = 0;
		if (strcmp(st, "invalid") == 0) {
			p = &problems[rn(5)];
			snprintf(det, sizeof(det), "%s%s%s", p->pre, first,
			    p->post);
			snprintf(ebuf, sizeof(ebuf), "{\"detail\":\"%s\","
			    "\"status\":%d,\"type\":\"%s\",\"urn\":\"urn:ietf:"
			    "params:acme:error:%s\"}", det, p->status, p->type,
			    p->type);
			oerr = ebuf;
		} else if (strcmp(st, "pending") == 0 && rn(3) == 0) {
			tries = 1 + (int64_t)rn(4);
			retry = sd->now + (int64_t)rn(3600);
		} else if (strcmp(st, "expired") == 0)
			upd = t + 7 * DAY;
		if (upd > sd->now)
			upd = sd->now;
		run(s, "iiitttttiitzttiiii", i, sd->accts[acc].owner, acc,
		    isnew ? NULL : url, st, json, keytypes[rn(10)],
		    rn(5) == 0 ? "dns-01" : "http-01", (int64_t)(rn(20) != 0),
		    (int64_t)(rn(10) != 0), oerr,
		    isnew ? (int64_t)0 : t + 7 * DAY, isnew ? NULL : furl,
		    strcmp(st, "valid") == 0 ? curl : NULL, retry, tries, t,
		    upd);
		if (strcmp(st, "valid") == 0) {
			sd->norderv++;
			cert_add(sd, sc, i, acc, json, key, upd);
		}
	}
	sqlite3_finalize(s);
	sqlite3_finalize(sc);
}

/*
 * Who did action (user name u) from where, on what, with what result
 * and detail, as the panel, acme-sweep and acme-admin write them.
 */
static void
audit_fields(const struct seed *sd, const char *action, const char *u,
    const char **actor, const char **ip, const char **res, char *obj,
    char *det)
{
	uint64_t	 no = (uint64_t)(sd->norders ? sd->norders : 1);
	uint64_t	 nc = (uint64_t)(sd->ncert ? sd->ncert : 1);

	*res = "ok";
	obj[0] = det[0] = '\0';
	if (strncmp(action, "sweep.", 6) == 0 ||
	    strcmp(action, "token.create") == 0 ||
	    strcmp(action, "user.add") == 0) {
		*actor = action[0] == 's' ? "acme-sweep" : "acme-admin";
		*ip = "";
	} else if (strcmp(action, "token.denied") == 0)
		*actor = "anonymous";
	else if (rn(50) == 0)
		*actor = "admin";
	if (strcmp(action, "login") == 0 || strcmp(action, "logout") == 0 ||
	    strcmp(action, "token.create") == 0 ||
	    strcmp(action, "user.add") == 0) {
		snprintf(obj, OBJ_LEN, "%s", u);
		if (action[3] == 'i' && rn(12) == 0) {
			*res = "fail";
			snprintf(det, DET_LEN, "wrong password");
		}
	} else if (strncmp(action, "order.", 6) == 0 ||
	    strcmp(action, "challenge.view") == 0 ||
	    strncmp(action, "sweep.renew.", 12) == 0 ||
	    strcmp(action, "sweep.order.retry") == 0) {
		snprintf(obj, OBJ_LEN, "order:%" PRIu64, 1 + rn(no));
		if (rn(15) == 0) {
			*res = "fail";
			snprintf(det, DET_LEN, "The CA refused the request. "
			    "The CA said: %s", problems[rn(5)].type);
		} else if (strcmp(action, "order.create") == 0)
			snprintf(det, DET_LEN, "https://acme-v02.api."
			    "letsencrypt.org/acme/order/%" PRIu64,
			    400000000 + rn(100000));
	} else if (strcmp(action, "challenge.respond") == 0)
		snprintf(obj, OBJ_LEN, "challenge:%" PRIu64, 1 + rn(300000));
	else if (strncmp(action, "certificate.", 12) == 0 ||
	    strcmp(action, "sweep.deploy") == 0 ||
	    strcmp(action, "sweep.alert") == 0) {
		snprintf(obj, OBJ_LEN, "certificate:%" PRIu64, 1 + rn(nc));
		if (strcmp(action, "sweep.alert") == 0)
			snprintf(det, DET_LEN, "expiry %ud",
			    (unsigned[]){ 14, 7, 3, 1 }[rn(4)]);
		else if (strcmp(action, "certificate.key") == 0)
			snprintf(det, DET_LEN, "private key download");
	} else if (strncmp(action, "account.", 8) == 0)
		snprintf(obj, OBJ_LEN, "account:%" PRIu64,
		    1 + rn((uint64_t)sd->naccts));
	else if (strcmp(action, "access") == 0) {
		snprintf(obj, OBJ_LEN, "/acme/orders/%" PRIu64, 1 + rn(no));
		*res = "denied";
		snprintf(det, DET_LEN, "no such object for this user");
	} else if (strcmp(action, "token.denied") == 0) {
		*res = "denied";
		snprintf(det, DET_LEN, "unknown or revoked token");
	} else if (strcmp(action, "csrf") == 0) {
		snprintf(obj, OBJ_LEN, "/acme/orders");
		*res = "denied";
		snprintf(det, DET_LEN, "missing or wrong CSRF token");
	} else if (strcmp(action, "audit.export") == 0) {
		snprintf(obj, OBJ_LEN, "audit_log");
		snprintf(det, DET_LEN, "%u entries", (unsigned)(1 + rn(1000)));
	}
}

/*
 * The audit log over the last SPAN seconds, chained on from whatever
 * is there with audit.c's canonical hash; settings 'audit.head' last.
 */
static void
seed_audit(struct seed *sd)
{
	sqlite3_stmt	*s;
	const char	*f[7], *actor, *ip, *action, *res;
	int64_t		 i, id, last = 0, u;
	char		 prev[65], hash[65], head[96], at[21], uname[32];
	char		 ipb[48], obj[OBJ_LEN], det[DET_LEN];
	int		 r;

	s = prep("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
	strcpy(prev, GENESIS);
	if ((r = sqlite3_step(s)) == SQLITE_ROW) {
		last = sqlite3_column_int64(s, 0);
		snprintf(prev, sizeof(prev), "%s",
		    (const char *)sqlite3_column_text(s, 1));
	} else if (r != SQLITE_DONE)
		die("audit last");
	sqlite3_finalize(s);
	s = prep("INSERT INTO audit_log (id, at, actor, ip, action, "
	    "object, result, detail, prev_hash, hash) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	for (i = 1; i <= sd->naudit; i++) {
		id = last + i;
		u = (int64_t)rn((uint64_t)sd->nusers) + 1;
		iso(sd->now - SPAN + (int64_t)((double)(SPAN - 120) *
		    (double)i / (double)(sd->naudit + 1)), at);
		action = pick_action();
		snprintf(uname, sizeof(uname), "user%04" PRId64, u);
		r = (int)rn(10);
		if (r < 9)
			snprintf(ipb, sizeof(ipb), "%s.%u", r < 6 ?
			    "203.0.113" : "198.51.100", (unsigned)(u % 250 + 1));
		else
			snprintf(ipb, sizeof(ipb), "2001:db8::%x", (unsigned)u);
		actor = uname;
		ip = ipb;
		audit_fields(sd, action, uname, &actor, &ip, &res, obj, det);
		f[0] = at;
		f[1] = actor;
		f[2] = ip;
		f[3] = action;
		f[4] = obj;
		f[5] = res;
		f[6] = det;
		audit_hash(prev, id, f, hash);
		run(s, "ittttttttt", id, at, actor, ip, action, obj, res, det,
		    prev, hash);
		memcpy(prev, hash, sizeof(prev));
	}
	sqlite3_finalize(s);
	if (sd->naudit == 0)
		return;
	snprintf(head, sizeof(head), "%" PRId64 ":%s", last + sd->naudit,
	    prev);
	s = prep("INSERT INTO settings (key, value, updated) VALUES "
	    "('audit.head', ?1, ?2) ON CONFLICT (key) DO UPDATE SET "
	    "value = excluded.value, updated = excluded.updated");
	run(s, "ti", head, sd->now);
	sqlite3_finalize(s);
}

/* A sweep run every 15 minutes over the last 30 days. */
static void
seed_sweeps(const struct seed *sd)
{
	sqlite3_stmt	*s;
	int64_t		 t;
	char		 sum[96];

	s = prep("INSERT INTO sweep_runs (started, finished, host, pid, ok, "
	    "summary) VALUES (?1, ?2, 'panel1', ?3, ?4, ?5)");
	for (t = sd->now - 30 * DAY; t < sd->now - 60; t += 900) {
		snprintf(sum, sizeof(sum), "%u orders, %u renewals, %u "
		    "alerts", (unsigned)rn(20), (unsigned)rn(5),
		    (unsigned)rn(3));
		run(s, "iiiit", t, t + 2 + (int64_t)rn(40),
		    (int64_t)(1000 + rn(30000)), (int64_t)(rn(100) < 97), sum);
	}
	sqlite3_finalize(s);
}

int
main(int argc, char *argv[])
{
	struct seed	 sd;
	int		 c;

	memset(&sd, 0, sizeof(sd));
	sd.nusers = 1000;
	sd.naccts = 10000;
	sd.norders = 100000;
	sd.naudit = 1000000;
	sd.now = (int64_t)time(NULL);
	while ((c = getopt(argc, argv, "u:a:o:l:n:")) != -1) {
		switch (c) {
		case 'u': sd.nusers = strtoll(optarg, NULL, 10); break;
		case 'a': sd.naccts = strtoll(optarg, NULL, 10); break;
		case 'o': sd.norders = strtoll(optarg, NULL, 10); break;
		case 'l': sd.naudit = strtoll(optarg, NULL, 10); break;
		case 'n': sd.now = strtoll(optarg, NULL, 10); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || sd.nusers < 1 || sd.naccts < 1 || sd.norders < 0 ||
	    sd.naudit < 0 || sd.now < SPAN)
		usage();
	(void)elapsed();
	sd.chain = slurp(argv[1]);
	if ((sd.accts = calloc((size_t)sd.naccts + 1,
	    sizeof(*sd.accts))) == NULL)
		die("calloc");
	if (sqlite3_open_v2(argv[0], &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		die(argv[0]);
	sqlite3_busy_timeout(db, 10000);
	exec("PRAGMA foreign_keys = ON");
	/* A throw-away load: no journal, no syncs, the whole database in
	 * the page cache (about 700 MB at the default sizes); WAL again at
	 * the end, as store_open() sets it. */
	exec("PRAGMA journal_mode = OFF");
	exec("PRAGMA synchronous = OFF");
	exec("PRAGMA cache_size = -2000000");
	exec("BEGIN IMMEDIATE");
	indexes_drop();
	seed_users_accounts(&sd);
	phase("users and accounts");
	seed_orders(&sd);
	phase("orders and certificates");
	seed_audit(&sd);
	phase("audit log");
	seed_sweeps(&sd);
	indexes_create();
	phase("indexes");
	exec("COMMIT");
	phase("commit");
	exec("PRAGMA journal_mode = WAL");
	/* No ANALYZE: the panel never runs it, so neither does the seed. */
	fprintf(stderr, "seed: %" PRId64 " users, %" PRId64 " accounts, %"
	    PRId64 " orders (%" PRId64 " valid), %" PRId64 " certificates, %"
	    PRId64 " audit rows\n", sd.nusers, sd.naccts, sd.norders,
	    sd.norderv, sd.ncert, sd.naudit);
	free(sd.accts);
	free(sd.chain);
	return sqlite3_close(db) == SQLITE_OK ? 0 : 1;
}
