/*
 * Problem documents (RFC 7807 as used by RFC 8555 section 6.7, with the
 * subproblems of 6.7.1) and the Retry-After header (RFC 9110 10.2.3,
 * HTTP-date of 5.6.7), which the CA sends with rateLimited problems
 * (6.6) and while an order or authorization is still moving (7.4).
 *
 * A problem document comes from an untrusted CA: members of the wrong
 * type are ignored one by one rather than failing the whole document,
 * text is capped, and a body that is not a JSON object still gives a
 * problem so the caller always has something to report.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

#define PROBLEM_TEXT_MAX	2048	/* bytes kept of type and detail */
#define PROBLEM_SUB_MAX		100	/* subproblems kept */
#define RETRY_AFTER_MAX		64	/* longest Retry-After value read */

/*
 * Copies the string member key of obj, cut to PROBLEM_TEXT_MAX bytes on
 * a UTF-8 character boundary.  Returns 0 with *out the caller's (NULL
 * when the member is absent or not a string), or -1 when memory ran out.
 */
static int
problem_text(const json_t *obj, const char *key, char **out)
{
	const char	*s;
	size_t		 len;

	*out = NULL;
	if ((s = json_str(obj, key)) == NULL)
		return 0;
	len = strlen(s);
	if (len > PROBLEM_TEXT_MAX) {
		len = PROBLEM_TEXT_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	if ((*out = strndup(s, len)) == NULL)
		return -1;
	return 0;
}

/* Frees the members of sub (not sub itself). */
static void
subproblem_clear(struct acme_subproblem *sub)
{

	free(sub->type);
	free(sub->detail);
	ident_clear(&sub->ident);
}

/*
 * Reads the "subproblems" array (6.7.1): elements that are not objects
 * are skipped, at most PROBLEM_SUB_MAX kept.  An identifier that does
 * not pass ident_from_json()'s strict check is left out (value NULL).
 * Returns 0, or -1 on allocation failure.
 */
static int
problem_subs(const json_t *arr, struct acme_problem *p)
{
	const json_t		*e;
	struct acme_subproblem	*s;
	size_t			 i, n;

	if (!json_is_array(arr) || (n = json_array_size(arr)) == 0)
		return 0;
	if (n > PROBLEM_SUB_MAX)
		n = PROBLEM_SUB_MAX;
	if ((p->sub = calloc(n, sizeof(*p->sub))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		e = json_array_get(arr, i);
		if (!json_is_object(e))
			continue;
		s = &p->sub[p->nsub++];
		if (problem_text(e, "type", &s->type) == -1 ||
		    problem_text(e, "detail", &s->detail) == -1)
			return -1;
		s->ptype = acme_ptype_parse(s->type);
		(void)ident_from_json(json_object_get(e, "identifier"),
		    &s->ident);
	}
	return 0;
}

/*
 * Builds a problem from a parsed JSON object (request.c's
 * problem_from_json() reaches it through acme_problem_parse() for the
 * "error" member of orders, authorizations and challenges).
 * status is the HTTP status; when it is 0 an integer "status" member
 * in 100-599 is used instead.  "instance" is kept only as an https URL.
 * Returns ACME_OK with *out the caller's (acme_problem_free), ACME_ERR_PROTO
 * when obj is not an object, or ACME_ERR_NOMEM.
 */
static enum acme_err
problem_from_obj(const json_t *obj, long status, struct acme_problem **out)
{
	struct acme_problem	*p = NULL;
	const json_t		*st;
	const char		*inst;
	enum acme_err		 rc = ACME_ERR_NOMEM;

	if (out == NULL)
		return ACME_ERR_ARG;
	*out = NULL;
	if (!json_is_object(obj))
		return ACME_ERR_PROTO;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto out;
	if (problem_text(obj, "type", &p->type) == -1 ||
	    problem_text(obj, "detail", &p->detail) == -1)
		goto out;
	p->ptype = acme_ptype_parse(p->type);
	inst = json_str(obj, "instance");
	if (url_is_https(inst) && (p->instance = strdup(inst)) == NULL)
		goto out;
	p->status = status;
	st = json_object_get(obj, "status");
	if (status == 0 && json_is_integer(st) &&
	    json_integer_value(st) >= 100 && json_integer_value(st) <= 599)
		p->status = (long)json_integer_value(st);
	if (problem_subs(json_object_get(obj, "subproblems"), p) == -1)
		goto out;
	*out = p;
	p = NULL;
	rc = ACME_OK;
out:
	acme_problem_free(p);
	return rc;
}

/*
 * Parses a problem document body answered with HTTP status.  A body that
 * is not a JSON object (HTML from a proxy, duplicate keys, nothing at
 * all) is not an error: it gives a problem of ptype ACME_P_UNKNOWN, type
 * NULL and detail "HTTP <status>".  In a JSON document an absent or
 * non-string detail stays NULL.  Returns ACME_OK with *out the caller's
 * (acme_problem_free), ACME_ERR_ARG or ACME_ERR_NOMEM.
 */
enum acme_err
acme_problem_parse(const char *body, size_t len, long status,
    struct acme_problem **out)
{
	struct acme_problem	*p;
	json_t			*obj;
	enum acme_err		 rc;
	char			 buf[32];

	if (out == NULL)
		return ACME_ERR_ARG;
	*out = NULL;
	if ((obj = json_parse_obj(NULL, body, len)) != NULL) {
		rc = problem_from_obj(obj, status, out);
		json_decref(obj);
		return rc;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ACME_ERR_NOMEM;
	p->ptype = ACME_P_UNKNOWN;
	p->status = status;
	snprintf(buf, sizeof(buf), "HTTP %ld", status);
	if ((p->detail = strdup(buf)) == NULL) {
		free(p);
		return ACME_ERR_NOMEM;
	}
	*out = p;
	return ACME_OK;
}

/* Frees p and everything it holds; NULL-safe. */
void
acme_problem_free(struct acme_problem *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nsub; i++)
		subproblem_clear(&p->sub[i]);
	free(p->sub);
	free(p->type);
	free(p->detail);
	free(p->instance);
	free(p);
}

static const char *const wkdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
    "Fri", "Sat" };
static const char *const weekdays[] = { "Sunday", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "Saturday" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Matches literal s at *p and moves past it; 0 or -1. */
static int
ra_lit(const char **p, const char *s)
{
	size_t	 n = strlen(s);

	if (strncmp(*p, s, n) != 0)
		return -1;
	*p += n;
	return 0;
}

/* Matches one of the n names of tab (case-sensitive); index or -1. */
static int
ra_name(const char **p, const char *const *tab, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (ra_lit(p, tab[i]) == 0)
			return i;
	return -1;
}

/* Reads exactly n digits; 0 or -1. */
static int
ra_num(const char **p, int n, int *v)
{

	*v = 0;
	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		*v = *v * 10 + (*(*p)++ - '0');
	}
	return 0;
}

/* Reads "HH:MM:SS" into tm; 0 or -1. */
static int
ra_time(const char **p, struct tm *tm)
{

	if (ra_num(p, 2, &tm->tm_hour) == -1 || ra_lit(p, ":") == -1 ||
	    ra_num(p, 2, &tm->tm_min) == -1 || ra_lit(p, ":") == -1 ||
	    ra_num(p, 2, &tm->tm_sec) == -1)
		return -1;
	return tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60 ?
	    -1 : 0;
}

/* RFC 850 date after the weekday: "06-Nov-94 08:49:37 GMT". */
static int
ra_rfc850(const char **p, time_t now, struct tm *tm, int *y, int *d)
{
	struct tm	 nowtm;

	if (ra_num(p, 2, d) == -1 || ra_lit(p, "-") == -1 ||
	    (tm->tm_mon = ra_name(p, months, 12)) == -1 ||
	    ra_lit(p, "-") == -1 || ra_num(p, 2, y) == -1 ||
	    ra_lit(p, " ") == -1 || ra_time(p, tm) == -1 ||
	    ra_lit(p, " GMT") == -1 || gmtime_r(&now, &nowtm) == NULL)
		return -1;
	/* RFC 9110 5.6.7: more than 50 years ahead means last century. */
	*y += (nowtm.tm_year + 1900) / 100 * 100;
	if (*y > nowtm.tm_year + 1900 + 50)
		*y -= 100;
	return 0;
}

/* IMF-fixdate after "Sun, ": "06 Nov 1994 08:49:37 GMT". */
static int
ra_imf(const char **p, struct tm *tm, int *y, int *d)
{

	if (ra_num(p, 2, d) == -1 || ra_lit(p, " ") == -1 ||
	    (tm->tm_mon = ra_name(p, months, 12)) == -1 ||
	    ra_lit(p, " ") == -1 || ra_num(p, 4, y) == -1 ||
	    ra_lit(p, " ") == -1 || ra_time(p, tm) == -1 ||
	    ra_lit(p, " GMT") == -1)
		return -1;
	return 0;
}

/* asctime date after "Sun": " Nov  6 08:49:37 1994" (day SP 1DIGIT). */
static int
ra_asctime(const char **p, struct tm *tm, int *y, int *d)
{

	if (ra_lit(p, " ") == -1 ||
	    (tm->tm_mon = ra_name(p, months, 12)) == -1 ||
	    ra_lit(p, " ") == -1)
		return -1;
	if (**p == ' ') {
		(*p)++;
		if (ra_num(p, 1, d) == -1)
			return -1;
	} else if (ra_num(p, 2, d) == -1)
		return -1;
	if (ra_lit(p, " ") == -1 || ra_time(p, tm) == -1 ||
	    ra_lit(p, " ") == -1 || ra_num(p, 4, y) == -1)
		return -1;
	return 0;
}

/*
 * Parses an HTTP-date (RFC 9110 5.6.7) in any of its three forms:
 * IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850
 * "Sunday, 06-Nov-94 08:49:37 GMT" and asctime
 * "Sun Nov  6 08:49:37 1994".  The weekday must be a valid name but is
 * not checked against the date.  Returns the time, or -1.
 */
static time_t
ra_http_date(const char *s, time_t now)
{
	struct tm	 tm;
	const char	*p = s;
	int		 y = 0, d = 0, leap, rc;

	memset(&tm, 0, sizeof(tm));
	if (ra_name(&p, weekdays, 7) != -1 && ra_lit(&p, ", ") == 0)
		rc = ra_rfc850(&p, now, &tm, &y, &d);
	else {
		p = s;
		if (ra_name(&p, wkdays, 7) == -1)
			return -1;
		if (ra_lit(&p, ", ") == 0)
			rc = ra_imf(&p, &tm, &y, &d);
		else
			rc = ra_asctime(&p, &tm, &y, &d);
	}
	if (rc == -1 || *p != '\0')
		return -1;
	leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	if (d < 1 || d > 31 || (tm.tm_mon == 1 && d > 28 + leap) ||
	    (d == 31 && (tm.tm_mon == 3 || tm.tm_mon == 5 ||
	    tm.tm_mon == 8 || tm.tm_mon == 10)))
		return -1;
	tm.tm_mday = d;
	tm.tm_year = y - 1900;
	return timegm(&tm);
}

/*
 * Parses Retry-After (RFC 9110 10.2.3) as delta-seconds (digits only;
 * any length, saturating) or an HTTP-date, relative to now.  Leading
 * and trailing blanks are ignored.  The wait is clamped to [0, max]: a
 * date in the past is 0.  Returns 0 with *wait set, or -1 for anything
 * else ("", "-1", "1.5", text) with *wait untouched.
 */
int
acme_retry_after_parse(const char *value, time_t now, unsigned max,
    unsigned *wait)
{
	char			 buf[RETRY_AFTER_MAX + 1];
	const char		*s, *e, *p;
	unsigned long long	 v = 0;
	time_t			 t;

	if (value == NULL || wait == NULL)
		return -1;
	s = value + strspn(value, " \t");
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == s)
		return -1;

	for (p = s; p < e && isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > max)
			v = max;
	}
	if (p == e) {
		*wait = (unsigned)v;
		return 0;
	}

	if ((size_t)(e - s) > RETRY_AFTER_MAX)
		return -1;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	if ((t = ra_http_date(buf, now)) == (time_t)-1)
		return -1;
	if (t <= now)
		*wait = 0;
	else if (t - now > (time_t)max)
		*wait = max;
	else
		*wait = (unsigned)(t - now);
	return 0;
}
