/*
 * What acme-sweep's files share.  See acme-sweep.8 for the program and
 * the hook contract.
 *
 *   acme-sweep.c   options, the run, the worker threads, --check
 *   sweep_order.c  carrying orders forward; download and deploy
 *   sweep_renew.c  renewal planning (ARI, lifetime), billing, renewal orders
 *   sweep_hook.c   running hooks: fork/execve, clean environment, timeout
 *   sweep_alert.c  alerts through the notify hook, once per condition
 */
#ifndef SWEEP_H
#define SWEEP_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

#include "panel.h"
#include "ops.h"
#include "store_sweep.h"

#define SWEEP_ACTOR	"acme-sweep"
#define SWEEP_DAY	86400

/* Counters for the run's summary line (sweep_runs.summary). */
enum sweep_stat {
	STAT_ORDERS = 0,	/* orders looked at */
	STAT_ADVANCED,		/* moved to a later status */
	STAT_WAITING,		/* waiting for the CA, DNS or a retry time */
	STAT_FAILED,		/* a step failed (retried later) */
	STAT_CERTS,		/* certificates stored */
	STAT_RENEWALS,		/* renewal orders placed */
	STAT_DECLINED,		/* billing declined */
	STAT_LATER,		/* billing said try later / timed out */
	STAT_DEPLOYED,		/* deploy hook runs that succeeded */
	STAT_ALERTS,		/* alerts sent */
	STAT_ERRORS,		/* the sweep's own failures (database, hooks) */
	STAT__MAX
};

/* The run: read-only for the workers except stats (under lock). */
struct sweep {
	const char		*conf_path;
	struct panel_config	*cfg;
	struct panel_kek	*kek;
	unsigned		 jobs;
	int			 dry_run;
	int			 verbose;
	char			 host[256];
	long			 pid;
	pthread_mutex_t		 lock;
	unsigned		 stats[STAT__MAX];
};

/* One thread's handles: its own database connection and ops. */
struct worker {
	struct sweep		*sw;
	struct store		*st;
	struct ops		 o;
	unsigned		 idx;
	char			 holder[320];	/* lease holder name */
};

/* ------------------------------------------------------------------ */
/* acme-sweep.c */

/* -v output (stderr, UTC time, control characters escaped). */
void		 sw_info(const struct sweep *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Always printed (stderr): the sweep's own failures. */
void		 sw_warn(const struct sweep *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 sw_stat(struct sweep *, enum sweep_stat);
/* An audit row with actor acme-sweep; detail formatted, may be NULL. */
void		 sw_audit(struct worker *, const char *action,
		    const char *object, enum audit_result, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));
/* A database failure: warned, audited when possible, counted. */
void		 sw_dberr(struct worker *, const char *what, enum panel_err);
/* Exponential backoff with jitter for the n-th failure (n >= 1):
 * 60 s * 2^(n-1), capped at cap seconds, then a random 50-100 %. */
int64_t		 sw_backoff(int64_t n, int64_t cap);
/* A stored error (the orders.error JSON): {"type":"sweep","detail":..};
 * the caller frees; NULL on ENOMEM. */
char		*sw_error_json(const char *detail);
/* From an ops_err: the CA's Retry-After (absolute, 0 when none) and
 * whether its problem type is `type` ("rateLimited"). */
int64_t		 sw_problem_retry(const struct ops_err *);
int		 sw_problem_is(const struct ops_err *, const char *type);
/* "object:ID" into buf[64]; returns buf. */
char		*sw_obj(char buf[64], const char *kind, int64_t id);
/* Domains joined with spaces; the caller frees (NULL on ENOMEM). */
char		*sw_join(char *const *v, size_t n, const char *sep);

/* ------------------------------------------------------------------ */
/* sweep_order.c */

/* Leases order id and carries it as far as the CA lets it now. */
void		 order_process(struct worker *, int64_t id);
/* The same for an order this worker has just placed and leased (token):
 * what the CA said when it was placed counts as read. */
void		 order_carry(struct worker *, int64_t id, int64_t token);
/* A valid order the sweep has not finished: download the certificate if
 * it is missing, then run the deploy hook. */
void		 order_finish(struct worker *, int64_t id);
/* --dry-run: what order_process would do with o. */
void		 order_dry(struct sweep *, const struct store_order *o);

/* ------------------------------------------------------------------ */
/* sweep_renew.c */

/* Plans the renewal of c (ARI or lifetime) and renews it when due:
 * billing hook, then a renewal order. */
void		 renew_process(struct worker *, const struct store_cert *c);
/* --dry-run: what renew_process would do with c. */
void		 renew_dry(struct sweep *, struct store *,
		    const struct store_cert *c);

/* ------------------------------------------------------------------ */
/* sweep_hook.c */

#define HOOK_OUT_MAX	4096

/* A hook's environment: "NAME=value" strings, the caller's. */
struct hook_env {
	char	**v;
	size_t	  n;
	int	  oom;		/* an add failed: do not run the hook */
};

enum hook_end {
	HOOK_EXITED = 0,	/* code is the exit status */
	HOOK_SIGNALED,		/* code is the signal */
	HOOK_TIMEOUT,		/* killed (its process group) at the timeout */
	HOOK_FAILED		/* could not be started (code: errno) */
};

struct hook_result {
	enum hook_end	 end;
	int		 code;
	double		 secs;
	size_t		 len;		/* bytes kept in out */
	int		 truncated;	/* more output was discarded */
	char		 out[HOOK_OUT_MAX + 1];	/* stdout and stderr */
};

/* Adds NAME=value (value formatted); a failure sets e->oom. */
void		 hook_env_add(struct hook_env *, const char *name,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void		 hook_env_free(struct hook_env *);
/*
 * Runs path with argv { path, args..., NULL } and environment e plus
 * PATH, HOME, LANG, TZ and the caller's ACME_HOOK_* variables; stdin is
 * /dev/null, stdout and stderr go to r->out (at most HOOK_OUT_MAX bytes
 * kept), fds[i] becomes descriptor 3 + i, every other descriptor is
 * closed.  The hook runs in its own process group, which gets SIGTERM
 * at timeout seconds and SIGKILL a second later.  Returns 0 with r
 * filled (whatever the hook did), -1 when it could not be started.
 */
int		 hook_run(const char *path, const char *const *args,
		    const struct hook_env *, const int *fds, size_t nfds,
		    unsigned timeout, struct hook_result *r);
/* One line for the audit detail: "exit 0 in 0.2 s: <output>" (output
 * escaped and cut).  The caller frees; NULL on ENOMEM. */
char		*hook_describe(const struct hook_result *);
/* An anonymous in-memory file holding data, for fds (close it). */
int		 hook_memfd(const char *name, const void *data, size_t len);
/* Adds the variables every hook gets about a certificate and its owner:
 * ACME_CERT_ID, ACME_SERIAL, ACME_NOT_BEFORE, ACME_NOT_AFTER,
 * ACME_DOMAINS, ACME_OWNER, ACME_OWNER_ID, ACME_ACCOUNT_ID,
 * ACME_CONTACTS. */
void		 hook_env_cert(struct worker *, struct hook_env *,
		    const struct store_cert *);
/* ACME_ORDER_ID, ACME_DOMAINS, ACME_OWNER, ACME_OWNER_ID, ACME_ACCOUNT_ID,
 * ACME_CONTACTS of an order. */
void		 hook_env_order(struct worker *, struct hook_env *,
		    const struct store_order *);

/* ------------------------------------------------------------------ */
/* sweep_alert.c */

struct alert {
	const char	*kind;		/* "expiry", "order-failed", ... */
	const char	*object;	/* "certificate:7" */
	const char	*cond;		/* "7d", "tries-3", ... */
	const char	*subject;	/* one line */
	const char	*message;	/* the text of the alert */
	const struct store_cert	 *cert;	/* for the hook's variables, or NULL */
	const struct store_order *order;
};

/*
 * Sends alert a once: claims (kind, object, cond) in the store, runs the
 * notify hook (when configured) and gives the claim back if the hook
 * failed, so a later sweep tries again.  The claim is what the
 * dashboard's banner shows.  Returns 1 when sent now, 0 when it was sent
 * before (or will be retried), -1 on a database error.
 */
int		 alert_send(struct worker *, const struct alert *a);
/* Expiry alerts: current certificates within an alert_days threshold. */
void		 alert_expiry(struct worker *);
/* --dry-run: the expiry alerts that would go out. */
void		 alert_dry(struct sweep *, struct store *);
/* --check: prints one line, returns the Nagios status 0, 1, 2 or 3. */
int		 sweep_check(struct sweep *, struct store *);

#endif /* !SWEEP_H */
