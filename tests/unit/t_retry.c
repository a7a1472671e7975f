/*
 * Retry-After (RFC 9110 10.2.3): acme_retry_after_parse() with
 * delta-seconds (including overflow, signs and fractions), the three
 * HTTP-date forms in the past and in the future, clamping to max, the
 * RFC 850 two-digit-year rule, and garbage, which must leave *wait
 * untouched and return -1.
 */
#include <limits.h>
#include <string.h>
#include <time.h>

#include "acme.h"
#include "tap.h"

#define T0	784111777	/* Sun, 06 Nov 1994 08:49:37 GMT */

/* Checks that value parses to want (relative to now, under max). */
static void
good(const char *value, time_t now, unsigned max, unsigned want)
{
	unsigned	 w = 12345;
	int		 rc;

	rc = acme_retry_after_parse(value, now, max, &w);
	ok(rc == 0 && w == want, "\"%s\" (max %u) gives %u", value, max,
	    want);
	if (rc != 0 || w != want)
		tap_diag("rc %d wait %u", rc, w);
}

/* Checks that value is refused and *wait left alone. */
static void
bad(const char *value, time_t now)
{
	unsigned	 w = 777;

	ok(acme_retry_after_parse(value, now, 3600, &w) == -1 && w == 777,
	    "\"%s\" refused, wait untouched", value ? value : "(null)");
}

static void
t_delta(void)
{

	good("0", T0, 3600, 0);
	good("120", T0, 3600, 120);
	good("120", T0, 60, 60);
	good("3600", T0, 3600, 3600);
	good("4294967295", T0, UINT_MAX, UINT_MAX);
	good("4294967296", T0, UINT_MAX, UINT_MAX);
	good("4294967296", T0, 86400, 86400);
	good("99999999999999999999999999999999999999", T0, 600, 600);
	good("000000000000000000000000000000000000000000000000000000000000"
	    "000000000000000000030", T0, 600, 30);
	good(" 30\t", T0, 600, 30);
	good("5", T0, 0, 0);
	bad("-1", T0);
	bad("+5", T0);
	bad("1.5", T0);
	bad("", T0);
	bad("   ", T0);
	bad("0x10", T0);
	bad("12abc", T0);
	bad("1 2", T0);
	bad(NULL, T0);
	ok(acme_retry_after_parse("5", T0, 60, NULL) == -1,
	    "NULL wait refused");
}

static void
t_dates(void)
{
	static const char *const forms[] = {
		"Sun, 06 Nov 1994 08:49:37 GMT",	/* IMF-fixdate */
		"Sunday, 06-Nov-94 08:49:37 GMT",	/* RFC 850 */
		"Sun Nov  6 08:49:37 1994",		/* asctime */
	};
	size_t	 i;

	for (i = 0; i < 3; i++) {
		good(forms[i], T0 - 100, 3600, 100);	/* future */
		good(forms[i], T0 - 100, 10, 10);	/* future, clamped */
		good(forms[i], T0, 3600, 0);		/* now */
		good(forms[i], T0 + 50, 3600, 0);	/* past */
		good(forms[i], T0 + 86400 * 365, 3600, 0);
	}
	good("Thu, 29 Feb 1996 00:00:00 GMT", 825552000 - 5, 60, 5);
	good("Thu Feb 29 00:00:00 1996", 825552000 - 5, 60, 5);
	good("Sun, 06 Nov 1994 08:49:60 GMT", T0 - 100, 3600, 123);
}

static void
t_rfc850_year(void)
{
	struct tm	 tm;
	time_t		 now = 1750000000;	/* 2025-06-15 */
	time_t		 t2074;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 2074 - 1900;
	tm.tm_mday = 1;
	t2074 = timegm(&tm);
	/* 2074 is 49 years ahead: taken as is. */
	good("Monday, 01-Jan-74 00:00:00 GMT", now, UINT_MAX,
	    (unsigned)(t2074 - now));
	/* 2080 would be 55 years ahead: it is 1980, in the past. */
	good("Tuesday, 01-Jan-80 00:00:00 GMT", now, UINT_MAX, 0);
}

static void
t_garbage(void)
{

	bad("Sun, 06 Nov 1994 08:49:37 UTC", T0);
	bad("Sun, 06 Nov 1994 08:49:37 gmt", T0);
	bad("sun, 06 Nov 1994 08:49:37 GMT", T0);
	bad("Xyz, 06 Nov 1994 08:49:37 GMT", T0);
	bad("Sun, 6 Nov 1994 08:49:37 GMT", T0);
	bad("Sun, 06 Nov 94 08:49:37 GMT", T0);
	bad("Sun, 06 Foo 1994 08:49:37 GMT", T0);
	bad("Sun, 31 Feb 1994 08:49:37 GMT", T0);
	bad("Sun, 29 Feb 1995 08:49:37 GMT", T0);
	bad("Sun, 31 Apr 1994 08:49:37 GMT", T0);
	bad("Sun, 00 Nov 1994 08:49:37 GMT", T0);
	bad("Sun, 06 Nov 1994 24:00:00 GMT", T0);
	bad("Sun, 06 Nov 1994 08:60:00 GMT", T0);
	bad("Sun, 06 Nov 1994 08:49:61 GMT", T0);
	bad("Sun, 06 Nov 1994 08:49 GMT", T0);
	bad("Sun, 06 Nov 1994 08:49:37 GMT junk", T0);
	bad("Sun, 06 Nov 1994 08:49:37 GMTX", T0);
	bad("Sun, 06 Nov 1994 08:49:37", T0);
	bad("Sunday, 06-Nov-1994 08:49:37 GMT", T0);
	bad("Sun, 06-Nov-94 08:49:37 GMT", T0);
	bad("Sun Nov 6 08:49:37 1994", T0);
	bad("Sun Nov  6 08:49:37 94", T0);
	bad("Sun Nov 06 08:49:37 1994 GMT", T0);
	bad("tomorrow", T0);
	bad("Sun", T0);
	bad("Sun, ", T0);
	bad("Sun, 06 Nov 1994 08:49:37 GMTSun, 06 Nov 1994 08:49:37 GMT"
	    "Sun, 06 Nov 1994 08:49:37 GMT", T0);
}

int
main(void)
{
	unsigned	 w = 777;

	t_delta();
	t_dates();
	t_rfc850_year();
	t_garbage();
	ok(acme_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT\r\nX: 1",
	    T0, 60, &w) == -1 && w == 777,
	    "CRLF and more after a date refused");
	return tap_done();
}
