/*
 * badNonce handling (RFC 8555 6.5) against a Pebble that rejects every
 * nonce (tests/integ/t_nonce.t: PEBBLE_WFE_NONCEREJECT=100).  The client
 * retries a bounded number of times, then gives up with ACME_ERR_NONCE,
 * quickly: a user waits seconds, not minutes.
 */
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "tap.h"
#include "integ.h"

#define NONCE_BOUND	10.0	/* seconds a user may wait */

/* How many newAccount POSTs Pebble has logged so far (pebble.sh keeps
 * its log in ACME_TEST_WORK/pebble.log); -1 if unreadable. */
static long
new_account_posts(void)
{
	char	*path, line[1024];
	FILE	*f;
	long	 n = 0;

	path = integ_fmt("%s/pebble.log", integ.work);
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "POST /sign-me-up ") != NULL)
			n++;
	fclose(f);
	return n;
}

static void
attempt(unsigned retries)
{
	static const char *const contact[] = { "mailto:n@example.com" };
	struct acme_opts	 o;
	struct acme_account_req	 req;
	struct acme_account	*a = NULL;
	struct acme_key		*key = integ_key(ACME_KEY_EC256);
	struct acme_ctx		*ctx = NULL;
	const struct acme_problem *p;
	enum acme_err		 err;
	double			 t0, dt;
	long			 before, after;

	memset(&o, 0, sizeof(o));
	o.directory_url = integ.dir;
	o.ca_file = integ.ca;
	o.proxy = "";
	o.nonce_retries = retries;
	if (acme_ctx_new(&o, &ctx) != ACME_OK ||
	    acme_ctx_set_account(ctx, key, NULL) != ACME_OK)
		tap_bail("context");

	err = acme_directory_fetch(ctx);
	ok_acme(ctx, err, "retries %u: directory (GET, no nonce) still works",
	    retries);

	memset(&req, 0, sizeof(req));
	req.contact = contact;
	req.ncontact = 1;
	req.tos_agreed = 1;
	before = new_account_posts();
	t0 = integ_now();
	err = acme_account_new(ctx, &req, &a);
	dt = integ_now() - t0;
	usleep(200 * 1000);	/* let Pebble's log catch up */
	after = new_account_posts();
	is_int(err, ACME_ERR_NONCE,
	    retries ? "bounded retries end in ACME_ERR_NONCE" :
	    "default retries end in ACME_ERR_NONCE");
	if (err != ACME_ERR_NONCE)
		integ_diag_err(ctx, err);
	ok(dt < NONCE_BOUND, "retries %u: gave up after %.2f s (< %.0f s)",
	    retries, dt, NONCE_BOUND);
	ok(before >= 0 && after - before == (long)(retries ? retries : 10) + 1,
	    "retries %u: the request was sent %u times, then no more "
	    "(Pebble saw %ld)", retries, (retries ? retries : 10) + 1,
	    after - before);
	ok(a == NULL && acme_ctx_kid(ctx) == NULL,
	    "retries %u: no account came of it", retries);
	p = acme_problem_get(ctx);
	if (p != NULL)
		ok(p->ptype == ACME_P_BADNONCE,
		    "retries %u: the problem kept is badNonce (%s)", retries,
		    acme_ptype_name(p->ptype));
	ok(strlen(acme_detail_get(ctx)) > 0 || p != NULL,
	    "retries %u: the failure is explained", retries);
	acme_account_free(a);
	acme_ctx_free(ctx);
	acme_key_free(key);
}

int
main(void)
{
	integ_init();
	attempt(0);		/* the default bound (10) */
	attempt(2);
	integ_done();
	return tap_done();
}
