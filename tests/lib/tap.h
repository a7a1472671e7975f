/*
 * A tiny TAP producer for the test programs run by prove.
 * Call ok()/is_str()/is_int() as often as needed, then return
 * tap_done() from main: it prints the plan and gives the exit status.
 */
#ifndef TAP_H
#define TAP_H

#include <stddef.h>

/* Records one test; returns cond (0 or 1). */
int	tap_ok(int cond, const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
int	tap_is_str(const char *got, const char *want, const char *file,
	    int line, const char *name);
int	tap_is_long(long got, long want, const char *file, int line,
	    const char *name);
/* Prints a "# " diagnostic line. */
void	tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Skips n tests with a reason. */
void	tap_skip(int n, const char *why);
/* Stops the whole program: "Bail out!" */
void	tap_bail(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* Prints the plan; returns 0 when every test passed, else 1. */
int	tap_done(void);

#define ok(c, ...)	tap_ok(!!(c), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(g, w, n)	tap_is_str((g), (w), __FILE__, __LINE__, (n))
#define is_int(g, w, n)	tap_is_long((long)(g), (long)(w), __FILE__, \
			    __LINE__, (n))

#endif /* !TAP_H */
