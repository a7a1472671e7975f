/* TAP output for the test programs; see tap.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int	ntests;
static int	nfailed;

static void
vline(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
}

int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	ntests++;
	printf("%s %d - ", cond ? "ok" : "not ok", ntests);
	va_start(ap, fmt);
	vline("", fmt, ap);
	va_end(ap);
	if (!cond) {
		nfailed++;
		printf("#   Failed test at %s line %d.\n", file, line);
		fflush(stdout);
	}
	return cond;
}

int
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *name)
{
	int	 c;

	c = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	tap_ok(c, file, line, "%s", name);
	if (!c) {
		printf("#          got: '%s'\n#     expected: '%s'\n",
		    got ? got : "(null)", want ? want : "(null)");
		fflush(stdout);
	}
	return c;
}

int
tap_is_long(long got, long want, const char *file, int line,
    const char *name)
{
	int	 c = got == want;

	tap_ok(c, file, line, "%s", name);
	if (!c) {
		printf("#          got: %ld\n#     expected: %ld\n", got, want);
		fflush(stdout);
	}
	return c;
}

void
tap_diag(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
}

void
tap_skip(int n, const char *why)
{
	while (n-- > 0)
		printf("ok %d # skip %s\n", ++ntests, why);
	fflush(stdout);
}

void
tap_bail(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vline("Bail out! ", fmt, ap);
	va_end(ap);
	exit(255);
}

int
tap_done(void)
{
	printf("1..%d\n", ntests);
	if (nfailed)
		printf("# failed %d of %d\n", nfailed, ntests);
	fflush(stdout);
	return nfailed || ntests == 0;
}
