/*
 * Problem documents (RFC 7807, RFC 8555 6.7): acme_problem_parse() on
 * full documents, subproblems, members of the wrong type, bodies that
 * are not JSON (or have duplicate keys, or a NUL), overlong detail and
 * unknown types.  Every case must give a usable problem, never crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "tap.h"

#define P	"urn:ietf:params:acme:error:"

/* Parses s (strlen) with status; bails out when there is no problem. */
static struct acme_problem *
parse(const char *s, long status)
{
	struct acme_problem	*p = NULL;
	enum acme_err		 rc;

	rc = acme_problem_parse(s, s == NULL ? 0 : strlen(s), status, &p);
	if (rc != ACME_OK || p == NULL)
		tap_bail("acme_problem_parse: %s", acme_strerror(rc));
	return p;
}

static void
t_full(void)
{
	struct acme_problem	*p;

	p = parse("{\"type\":\"" P "rateLimited\",\"detail\":\"too many\","
	    "\"instance\":\"https://ca.example/why\",\"status\":400}", 429);
	is_int(p->ptype, ACME_P_RATELIMITED, "full: ptype rateLimited");
	is_str(p->type, P "rateLimited", "full: type kept as sent");
	is_str(p->detail, "too many", "full: detail");
	is_str(p->instance, "https://ca.example/why", "full: instance");
	is_int(p->status, 429, "full: HTTP status wins over the member");
	is_int(p->nsub, 0, "full: no subproblems");
	is_int(p->retry_after, 0, "full: retry_after left to the caller");
	is_str(acme_ptype_name(p->ptype), "rateLimited", "full: name");
	acme_problem_free(p);

	p = parse("{\"type\":\"" P "userActionRequired\",\"status\":403,"
	    "\"instance\":\"http://ca.example/tos\"}", 0);
	is_int(p->ptype, ACME_P_USERACTIONREQUIRED, "embedded: ptype");
	is_int(p->status, 403, "embedded: status member used when HTTP 0");
	ok(p->instance == NULL, "instance that is not https is dropped");
	ok(p->detail == NULL, "absent detail stays NULL");
	acme_problem_free(p);

	p = parse("{\"status\":99}", 0);
	is_int(p->status, 0, "status member out of 100-599 ignored");
	acme_problem_free(p);
}

static void
t_subproblems(void)
{
	struct acme_problem	*p;

	p = parse("{\"type\":\"" P "compound\",\"detail\":\"several\","
	    "\"subproblems\":["
	    "{\"type\":\"" P "caa\",\"detail\":\"CAA forbids\","
	    "\"identifier\":{\"type\":\"dns\",\"value\":\"a.example.com\"}},"
	    "\"not an object\","
	    "{\"type\":\"" P "connection\","
	    "\"identifier\":{\"type\":\"ip\",\"value\":\"192.0.2.1\"}},"
	    "{\"type\":\"" P "dns\",\"detail\":\"x\","
	    "\"identifier\":{\"type\":\"dns\",\"value\":\"BAD NAME\"}},"
	    "{\"detail\":7,\"identifier\":\"x\"}]}", 403);
	is_int(p->ptype, ACME_P_COMPOUND, "compound ptype");
	is_int(p->nsub, 4, "non-object subproblem skipped, others kept");
	if (p->nsub == 4) {
		is_int(p->sub[0].ptype, ACME_P_CAA, "sub 0 ptype caa");
		is_str(p->sub[0].detail, "CAA forbids", "sub 0 detail");
		is_int(p->sub[0].ident.type, ACME_ID_DNS, "sub 0 ident dns");
		is_str(p->sub[0].ident.value, "a.example.com",
		    "sub 0 ident value");
		is_int(p->sub[1].ptype, ACME_P_CONNECTION, "sub 1 ptype");
		ok(p->sub[1].detail == NULL, "sub 1 without detail");
		is_int(p->sub[1].ident.type, ACME_ID_IP, "sub 1 ident ip");
		is_str(p->sub[1].ident.value, "192.0.2.1", "sub 1 value");
		ok(p->sub[2].ident.value == NULL,
		    "sub 2 invalid identifier left out");
		is_int(p->sub[2].ptype, ACME_P_DNS, "sub 2 ptype kept");
		ok(p->sub[3].type == NULL && p->sub[3].detail == NULL &&
		    p->sub[3].ident.value == NULL,
		    "sub 3 wrong types all ignored");
		is_int(p->sub[3].ptype, ACME_P_UNKNOWN, "sub 3 ptype unknown");
	} else
		tap_skip(12, "wrong subproblem count");
	acme_problem_free(p);
}

static void
t_many_subproblems(void)
{
	struct acme_problem	*p;
	char			*s, *q;
	size_t			 i, sz = 64 + 300 * 16;

	if ((s = malloc(sz)) == NULL)
		tap_bail("malloc");
	q = s + sprintf(s, "{\"subproblems\":[");
	for (i = 0; i < 300; i++)
		q += sprintf(q, "%s{\"detail\":\"d\"}", i ? "," : "");
	sprintf(q, "]}");
	p = parse(s, 400);
	is_int(p->nsub, 100, "subproblems capped at 100");
	acme_problem_free(p);
	free(s);
}

static void
t_wrong_types(void)
{
	struct acme_problem	*p;

	p = parse("{\"type\":5,\"detail\":[\"x\"],\"instance\":{},"
	    "\"subproblems\":\"none\",\"status\":\"400\"}", 400);
	is_int(p->ptype, ACME_P_UNKNOWN, "wrong types: ptype unknown");
	ok(p->type == NULL, "wrong types: numeric type ignored");
	ok(p->detail == NULL, "wrong types: array detail ignored");
	ok(p->instance == NULL, "wrong types: object instance ignored");
	is_int(p->nsub, 0, "wrong types: string subproblems ignored");
	is_int(p->status, 400, "wrong types: HTTP status kept");
	acme_problem_free(p);

	p = parse("{\"type\":null,\"detail\":\"still here\"}", 500);
	is_str(p->detail, "still here", "one bad member does not stop "
	    "the others");
	acme_problem_free(p);
}

static void
t_not_json(void)
{
	struct acme_problem	*p;

	p = parse("<html><body>Bad Gateway</body></html>", 502);
	is_int(p->ptype, ACME_P_UNKNOWN, "HTML body: ptype unknown");
	ok(p->type == NULL, "HTML body: no type");
	is_str(p->detail, "HTTP 502", "HTML body: detail is the status");
	is_int(p->status, 502, "HTML body: status");
	acme_problem_free(p);

	p = parse("", 503);
	is_str(p->detail, "HTTP 503", "empty body: detail is the status");
	acme_problem_free(p);

	p = parse(NULL, 500);
	is_str(p->detail, "HTTP 500", "NULL body: detail is the status");
	acme_problem_free(p);

	p = parse("[{\"type\":\"" P "badNonce\"}]", 400);
	is_int(p->ptype, ACME_P_UNKNOWN, "top-level array is not a problem");
	acme_problem_free(p);

	p = parse("{\"type\":\"" P "badNonce\",\"type\":\"" P "malformed\"}",
	    400);
	is_int(p->ptype, ACME_P_UNKNOWN, "duplicate keys: refused, unknown");
	is_str(p->detail, "HTTP 400", "duplicate keys: detail is the status");
	acme_problem_free(p);

	p = parse("{\"type\":\"" P "malformed\",\"detail\":\"a\\u0000b\"}",
	    400);
	is_str(p->detail, "HTTP 400", "NUL inside a string: refused");
	acme_problem_free(p);

	p = parse("{\"type\":\"" P "badNonce\"", 400);
	is_str(p->detail, "HTTP 400", "truncated JSON: detail is the status");
	acme_problem_free(p);
}

static void
t_huge_detail(void)
{
	struct acme_problem	*p;
	char			*s;
	size_t			 i, n = 10000;

	if ((s = malloc(n + 64)) == NULL)
		tap_bail("malloc");
	strcpy(s, "{\"detail\":\"");
	for (i = 0; i < n; i++)
		s[11 + i] = 'a';
	strcpy(s + 11 + n, "\"}");
	p = parse(s, 400);
	is_int(strlen(p->detail), 2048, "huge detail capped at 2048 bytes");
	acme_problem_free(p);

	/* "a" then 2000 two-byte "\xc3\xa9": byte 2048 is a continuation. */
	strcpy(s, "{\"detail\":\"a");
	for (i = 0; i < 2000; i++)
		memcpy(s + 12 + 2 * i, "\xc3\xa9", 2);
	strcpy(s + 12 + 4000, "\"}");
	p = parse(s, 400);
	is_int(strlen(p->detail), 2047, "cap backs off to a UTF-8 boundary");
	ok((unsigned char)p->detail[2046] == 0xa9 &&
	    (unsigned char)p->detail[2045] == 0xc3,
	    "last character is whole");
	acme_problem_free(p);
	free(s);
}

static void
t_unknown_type(void)
{
	struct acme_problem	*p;

	p = parse("{\"type\":\"" P "somethingNew\",\"detail\":\"x\"}", 400);
	is_int(p->ptype, ACME_P_UNKNOWN, "unknown ACME type: ptype unknown");
	is_str(p->type, P "somethingNew", "unknown ACME type: string kept");
	acme_problem_free(p);

	p = parse("{\"type\":\"about:blank\"}", 404);
	is_int(p->ptype, ACME_P_UNKNOWN, "about:blank: unknown");
	acme_problem_free(p);

	p = parse("{\"type\":\"urn:ietf:params:acme:error:badnonce\"}", 400);
	is_int(p->ptype, ACME_P_UNKNOWN, "type match is case-sensitive");
	acme_problem_free(p);

	p = parse("{\"type\":\"" P "alreadyReplaced\"}", 409);
	is_int(p->ptype, ACME_P_ALREADYREPLACED, "ARI alreadyReplaced known");
	acme_problem_free(p);

	p = parse("{\"type\":\"" P "badNonce\"}", 400);
	is_int(p->ptype, ACME_P_BADNONCE, "badNonce known");
	acme_problem_free(p);
}

int
main(void)
{
	struct acme_problem	*p = (struct acme_problem *)1;

	is_int(acme_problem_parse("{}", 2, 400, NULL), ACME_ERR_ARG,
	    "NULL out is ACME_ERR_ARG");
	is_int(acme_problem_parse("{}", 2, 400, &p), ACME_OK, "{} parses");
	ok(p != NULL && p->type == NULL && p->detail == NULL,
	    "{} gives an empty problem");
	acme_problem_free(p);
	acme_problem_free(NULL);
	ok(1, "acme_problem_free(NULL) is safe");

	t_full();
	t_subproblems();
	t_many_subproblems();
	t_wrong_types();
	t_not_json();
	t_huge_detail();
	t_unknown_type();
	return tap_done();
}
