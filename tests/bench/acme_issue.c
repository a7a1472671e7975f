/*
 * acme_issue: the libacme side of the issuance benchmark (tests/bench).
 *
 * Registers a new account with a fresh EC P-256 key, orders a
 * certificate for the names given, answers http-01 for every pending
 * authorization (the benchmark's Pebble runs with PEBBLE_VA_ALWAYS_VALID,
 * so nothing has to be served), finalizes with a fresh EC P-256
 * certificate key and writes the downloaded chain to a file.
 *
 *	acme_issue [-d directory-url] [-C ca-file] -o chain.pem name ...
 *
 * The directory URL and CA file default to $ACME_DIRECTORY and
 * $ACME_CA_FILE.  Exit status 0 on success, 1 on a failure (reported on
 * stderr with acme_strerror(), the context's detail and the CA's
 * problem, escaped), 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acme.h"

#define WAIT_MAX	60	/* seconds for each order wait */

/* Writes s to stderr with control and non-ASCII bytes as \xNN. */
static void
put_escaped(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
}

/*
 * Reports a failed libacme call: what we were doing, the error, the
 * context's detail and, for ACME_ERR_PROBLEM, the problem document.
 */
static void
fail(const struct acme_ctx *ctx, const char *what, enum acme_err err)
{
	const struct acme_problem	*p;
	const char			*d;
	size_t				 i;

	fprintf(stderr, "acme_issue: %s: %s", what, acme_strerror(err));
	if (ctx != NULL && (d = acme_detail_get(ctx)) != NULL &&
	    d[0] != '\0') {
		fputs(": ", stderr);
		put_escaped(d);
	}
	fputc('\n', stderr);
	if (ctx == NULL || err != ACME_ERR_PROBLEM ||
	    (p = acme_problem_get(ctx)) == NULL)
		return;
	fprintf(stderr, "acme_issue: problem %s (HTTP %ld)",
	    acme_ptype_name(p->ptype), p->status);
	if (p->detail != NULL) {
		fputs(": ", stderr);
		put_escaped(p->detail);
	}
	fputc('\n', stderr);
	for (i = 0; i < p->nsub; i++) {
		fprintf(stderr, "acme_issue:   sub-problem %s",
		    acme_ptype_name(p->sub[i].ptype));
		if (p->sub[i].ident.value != NULL) {
			fputs(" for ", stderr);
			put_escaped(p->sub[i].ident.value);
		}
		if (p->sub[i].detail != NULL) {
			fputs(": ", stderr);
			put_escaped(p->sub[i].detail);
		}
		fputc('\n', stderr);
	}
}

/* Reports an order or authorization that settled in the wrong status. */
static void
fail_status(const char *what, enum acme_status got,
    const struct acme_problem *err)
{

	fprintf(stderr, "acme_issue: %s: status %s", what,
	    acme_status_name(got));
	if (err != NULL && err->detail != NULL) {
		fputs(": ", stderr);
		put_escaped(err->detail);
	}
	fputc('\n', stderr);
}

/* Writes len bytes of buf to path (mode 0644).  Returns 0 or -1. */
static int
write_file(const char *path, const char *buf, size_t len)
{
	FILE	*f;
	int	 rc = 0;

	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "acme_issue: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (fwrite(buf, 1, len, f) != len || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == -1)
		fprintf(stderr, "acme_issue: %s: %s\n", path,
		    strerror(errno));
	return rc;
}

/*
 * Answers every pending authorization of o with its http-01 challenge.
 * Returns 0 or -1 (reported).
 */
static int
respond_all(struct acme_ctx *ctx, const struct acme_key *acct,
    const struct acme_order *o)
{
	struct acme_authz		*a = NULL;
	const struct acme_challenge	*ch;
	char				*ka = NULL;
	enum acme_err			 err;
	size_t				 i;
	int				 rc = -1;

	for (i = 0; i < o->nauthz; i++) {
		acme_authz_free(a);
		a = NULL;
		free(ka);
		ka = NULL;
		if ((err = acme_authz_fetch(ctx, o->authz[i], &a)) != ACME_OK) {
			fail(ctx, "authorization", err);
			goto out;
		}
		if (a->status == ACME_S_VALID)
			continue;
		if (a->status != ACME_S_PENDING) {
			fail_status("authorization", a->status, NULL);
			goto out;
		}
		if ((ch = acme_authz_challenge(a, ACME_CH_HTTP01)) == NULL) {
			fprintf(stderr, "acme_issue: no http-01 challenge "
			    "for %s\n", a->ident.value);
			goto out;
		}
		/* What a real client would publish; Pebble does not ask. */
		if ((err = acme_keyauth(acct, ch->token, &ka)) != ACME_OK) {
			fail(ctx, "key authorization", err);
			goto out;
		}
		if ((err = acme_challenge_respond(ctx, ch->url, NULL)) !=
		    ACME_OK) {
			fail(ctx, "challenge", err);
			goto out;
		}
	}
	rc = 0;
out:
	free(ka);
	acme_authz_free(a);
	return rc;
}

static void
usage(void)
{

	fputs("usage: acme_issue [-d directory-url] [-C ca-file] "
	    "-o chain.pem name ...\n", stderr);
}

int
main(int argc, char *argv[])
{
	struct acme_opts	 opts;
	struct acme_account_req	 areq;
	struct acme_order_req	 oreq;
	struct acme_ctx		*ctx = NULL;
	struct acme_key		*acct = NULL, *certkey = NULL;
	struct acme_account	*account = NULL;
	struct acme_order	*o = NULL, *ready = NULL, *fin = NULL,
				*done = NULL;
	const struct acme_order	*last;
	struct acme_ident	*ids = NULL;
	const char		*dir, *cafile, *outfile = NULL;
	char			*pem = NULL;
	size_t			 pemlen = 0;
	enum acme_err		 err;
	int			 c, i, n, rc = 1;

	dir = getenv("ACME_DIRECTORY");
	cafile = getenv("ACME_CA_FILE");
	while ((c = getopt(argc, argv, "C:d:o:")) != -1) {
		switch (c) {
		case 'C':
			cafile = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'o':
			outfile = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (dir == NULL || dir[0] == '\0' || outfile == NULL || argc < 1) {
		usage();
		return 2;
	}
	n = argc;

	if ((ids = calloc((size_t)n, sizeof(*ids))) == NULL) {
		fail(NULL, "names", ACME_ERR_NOMEM);
		goto out;
	}
	for (i = 0; i < n; i++) {
		ids[i].type = acme_ident_guess(argv[i]);
		ids[i].value = argv[i];
		if ((err = acme_ident_check(ids[i].type, argv[i])) !=
		    ACME_OK) {
			fprintf(stderr, "acme_issue: ");
			put_escaped(argv[i]);
			fprintf(stderr, ": %s\n", acme_strerror(err));
			goto out;
		}
	}

	memset(&opts, 0, sizeof(opts));
	opts.directory_url = dir;
	opts.ca_file = cafile != NULL && cafile[0] != '\0' ? cafile : NULL;
	opts.user_agent = "libacme-bench";
	if ((err = acme_ctx_new(&opts, &ctx)) != ACME_OK) {
		fail(NULL, "context", err);
		goto out;
	}

	/* A new account each run, RFC 8555 7.3. */
	if ((err = acme_key_new(ACME_KEY_EC256, &acct)) != ACME_OK) {
		fail(ctx, "account key", err);
		goto out;
	}
	if ((err = acme_ctx_set_account(ctx, acct, NULL)) != ACME_OK) {
		fail(ctx, "account key", err);
		goto out;
	}
	if ((err = acme_directory_fetch(ctx)) != ACME_OK) {
		fail(ctx, "directory", err);
		goto out;
	}
	memset(&areq, 0, sizeof(areq));
	areq.tos_agreed = 1;
	if ((err = acme_account_new(ctx, &areq, &account)) != ACME_OK) {
		fail(ctx, "new account", err);
		goto out;
	}

	/* The order, 7.4, and its authorizations, 7.5. */
	memset(&oreq, 0, sizeof(oreq));
	oreq.idents = ids;
	oreq.nident = (size_t)n;
	if ((err = acme_order_new(ctx, &oreq, &o)) != ACME_OK) {
		fail(ctx, "new order", err);
		goto out;
	}
	if (o->status == ACME_S_PENDING && respond_all(ctx, acct, o) == -1)
		goto out;
	if ((err = acme_order_wait(ctx, o->url, ACME_S_READY, WAIT_MAX,
	    &ready)) != ACME_OK) {
		fail(ctx, "order wait (ready)", err);
		goto out;
	}
	if (ready->status != ACME_S_READY && ready->status != ACME_S_VALID) {
		fail_status("order", ready->status, ready->error);
		goto out;
	}

	/* Finalize with a fresh certificate key, then wait for valid. */
	last = ready;
	if (ready->status == ACME_S_READY) {
		if ((err = acme_key_new(ACME_KEY_EC256, &certkey)) !=
		    ACME_OK) {
			fail(ctx, "certificate key", err);
			goto out;
		}
		if ((err = acme_order_finalize(ctx, ready, certkey, &fin)) !=
		    ACME_OK) {
			fail(ctx, "finalize", err);
			goto out;
		}
		last = fin;
		if (fin->status != ACME_S_VALID) {
			if ((err = acme_order_wait(ctx, ready->url,
			    ACME_S_VALID, WAIT_MAX, &done)) != ACME_OK) {
				fail(ctx, "order wait (valid)", err);
				goto out;
			}
			last = done;
		}
	}
	if (last->status != ACME_S_VALID || last->certificate == NULL) {
		fail_status("order after finalize", last->status, last->error);
		goto out;
	}

	if ((err = acme_cert_download(ctx, last->certificate, NULL, &pem,
	    &pemlen)) != ACME_OK) {
		fail(ctx, "certificate download", err);
		goto out;
	}
	if (write_file(outfile, pem, pemlen) == -1)
		goto out;
	rc = 0;
out:
	free(pem);
	acme_order_free(done);
	acme_order_free(fin);
	acme_order_free(ready);
	acme_order_free(o);
	acme_account_free(account);
	acme_key_free(certkey);
	acme_ctx_free(ctx);
	acme_key_free(acct);
	free(ids);
	return rc;
}
