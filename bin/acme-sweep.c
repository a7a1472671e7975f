/*
 * acme-sweep: carries every ACME order forward and renews every
 * auto-renew certificate in time.  cron starts it every few minutes;
 * any number may run at once and any may be killed: work is claimed
 * with leases in SQLite whose fencing tokens every state change must
 * match, and each step starts again from the CA's current state.
 * See acme-sweep.8.
 *
 * A run, in order:
 *   1. renewals: plan each auto-renew certificate (ARI or lifetime),
 *      and for those due ask the billing hook and place the order;
 *   2. orders: every due order with auto set, as far as the CA lets it;
 *   3. finishing: valid orders without their certificate or deployment;
 *   4. alerts: certificates close to expiry.
 * Phases 1-3 run on -j worker threads, each with its own connection.
 *
 * Exit status: 0 the sweep ran (failures of single orders are recorded,
 * retried and alerted, not an exit status), 1 it could not run, 2 usage;
 * --check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "curlfn.h"
#include "sweep.h"

#define DEFAULT_CONF	"/etc/acme-panel.conf"
#define JOBS_DEFAULT	4
#define JOBS_MAX	64
#define BUSY_MS		30000
#define LIST_PAGE	500
#define EXIT_USAGE	2
#define EXIT_UNKNOWN	3

static const char *const stat_names[STAT__MAX] = {
	[STAT_ORDERS] = "orders",
	[STAT_ADVANCED] = "advanced",
	[STAT_WAITING] = "waiting",
	[STAT_FAILED] = "failed",
	[STAT_CERTS] = "certificates",
	[STAT_RENEWALS] = "renewals",
	[STAT_DECLINED] = "declined",
	[STAT_LATER] = "billing-later",
	[STAT_DEPLOYED] = "deployed",
	[STAT_ALERTS] = "alerts",
	[STAT_ERRORS] = "errors",
};
_Static_assert(sizeof(stat_names) / sizeof(stat_names[0]) == STAT__MAX,
    "one name per counter");

static volatile sig_atomic_t	 stopping;

static void
usage(void)
{
	fprintf(stderr, "usage: acme-sweep [-v] [-c conf] [-j jobs] "
	    "[--once | -i seconds] [--dry-run]\n"
	    "       acme-sweep [-c conf] --check\n");
}

/* ------------------------------------------------------------------ */
/* Shared helpers (sweep.h). */

static void
vlog(const char *level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
vlog(const char *level, const char *fmt, va_list ap)
{
	char	 t[21], *line = NULL, *esc;

	if (vasprintf(&line, fmt, ap) < 0)
		return;
	esc = panel_escape_ctl(line, 2048);
	fprintf(stderr, "acme-sweep: %s %s%s\n", panel_time_iso(time(NULL), t),
	    level, esc != NULL ? esc : line);
	free(esc);
	free(line);
}

void
sw_info(const struct sweep *sw, const char *fmt, ...)
{
	va_list	 ap;

	if (!sw->verbose)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void
sw_warn(const struct sweep *sw, const char *fmt, ...)
{
	va_list	 ap;

	(void)sw;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void
sw_stat(struct sweep *sw, enum sweep_stat s)
{
	pthread_mutex_lock(&sw->lock);
	sw->stats[s]++;
	pthread_mutex_unlock(&sw->lock);
}

void
sw_audit(struct worker *w, const char *action, const char *object,
    enum audit_result r, const char *fmt, ...)
{
	va_list		 ap;
	char		*detail = NULL;
	enum panel_err	 pe;

	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&detail, fmt, ap) < 0)
			detail = NULL;
		va_end(ap);
	}
	sw_info(w->sw, "%s %s %s%s%s", action, object ? object : "-",
	    audit_result_name(r), detail ? ": " : "", detail ? detail : "");
	if ((pe = audit_append(w->st, SWEEP_ACTOR, NULL, action, object, r,
	    detail, NULL)) != PANEL_OK) {
		sw_warn(w->sw, "audit log: %s: %s", panel_strerror(pe),
		    store_errmsg(w->st));
		sw_stat(w->sw, STAT_ERRORS);
	}
	free(detail);
}

void
sw_dberr(struct worker *w, const char *what, enum panel_err pe)
{
	sw_warn(w->sw, "%s: %s%s%s", what, panel_strerror(pe),
	    pe == PANEL_ERR_DB ? ": " : "",
	    pe == PANEL_ERR_DB ? store_errmsg(w->st) : "");
	sw_stat(w->sw, STAT_ERRORS);
}

int64_t
sw_backoff(int64_t n, int64_t cap)
{
	int64_t	 d = 60;

	if (n < 1)
		n = 1;
	while (--n > 0 && d < cap)
		d *= 2;
	if (d > cap)
		d = cap;
	/* Jitter: somewhere in the upper half, so that many failures at
	 * once do not come back at once. */
	return d / 2 + (int64_t)arc4random_uniform((uint32_t)(d / 2 + 1));
}

char *
sw_error_json(const char *detail)
{
	json_t	*o;
	char	*s;

	if ((o = json_pack("{s:s,s:s}", "type", "sweep", "detail",
	    detail != NULL ? detail : "")) == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/* The CA's problem of e as a parsed object, or NULL. */
static json_t *
problem_of(const struct ops_err *e)
{
	if (e == NULL || e->problem == NULL)
		return NULL;
	return json_loads(e->problem, JSON_REJECT_DUPLICATES, NULL);
}

int64_t
sw_problem_retry(const struct ops_err *e)
{
	json_t	*p;
	int64_t	 t = 0;

	if ((p = problem_of(e)) == NULL)
		return 0;
	if (json_is_integer(json_object_get(p, "retry_after")))
		t = (int64_t)json_integer_value(json_object_get(p,
		    "retry_after"));
	json_decref(p);
	return t;
}

int
sw_problem_is(const struct ops_err *e, const char *type)
{
	json_t		*p;
	const char	*t;
	int		 is = 0;

	if ((p = problem_of(e)) == NULL)
		return 0;
	t = json_string_value(json_object_get(p, "type"));
	is = t != NULL && strcmp(t, type) == 0;
	json_decref(p);
	return is;
}

char *
sw_obj(char buf[64], const char *kind, int64_t id)
{
	snprintf(buf, 64, "%s:%lld", kind, (long long)id);
	return buf;
}

char *
sw_join(char *const *v, size_t n, const char *sep)
{
	size_t	 len = 1, i;
	char	*s;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	if ((s = malloc(len)) == NULL)
		return NULL;
	*s = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, sep);
		strcat(s, v[i]);
	}
	return s;
}

/* ------------------------------------------------------------------ */
/* Workers. */

enum task {
	TASK_RENEW = 0,
	TASK_ORDER,
	TASK_FINISH
};

struct phase {
	enum task		 task;
	const struct store_cert	**certs;	/* TASK_RENEW */
	const int64_t		*ids;		/* the others */
	size_t			 n;
	size_t			 next;
	pthread_mutex_t		 lock;
};

struct thread_arg {
	struct phase	*ph;
	struct worker	*w;
};

static void *
phase_thread(void *arg)
{
	struct thread_arg	*ta = arg;
	struct phase		*ph = ta->ph;
	size_t			 i;

	for (;;) {
		pthread_mutex_lock(&ph->lock);
		i = ph->next < ph->n && !stopping ? ph->next++ : ph->n;
		pthread_mutex_unlock(&ph->lock);
		if (i >= ph->n)
			break;
		switch (ph->task) {
		case TASK_RENEW:
			renew_process(ta->w, ph->certs[i]);
			break;
		case TASK_ORDER:
			order_process(ta->w, ph->ids[i]);
			break;
		case TASK_FINISH:
			order_finish(ta->w, ph->ids[i]);
			break;
		}
	}
	return NULL;
}

/* Runs a phase on up to sw->jobs threads (the calling thread is one). */
static void
phase_run(struct worker *ws, unsigned nw, struct phase *ph)
{
	pthread_t		 tid[JOBS_MAX];
	struct thread_arg	 ta[JOBS_MAX];
	unsigned		 i, started = 0;

	if (ph->n == 0)
		return;
	pthread_mutex_init(&ph->lock, NULL);
	if ((size_t)nw > ph->n)
		nw = (unsigned)ph->n;
	for (i = 0; i < nw; i++) {
		ta[i].ph = ph;
		ta[i].w = &ws[i];
	}
	for (i = 1; i < nw; i++)
		if (pthread_create(&tid[i], NULL, phase_thread, &ta[i]) == 0)
			started = i;
		else
			break;
	phase_thread(&ta[0]);
	for (i = 1; i <= started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&ph->lock);
}

static void
workers_close(struct worker *ws, unsigned n)
{
	unsigned	 i;

	for (i = 0; i < n; i++) {
		ops_cache_free(ws[i].o.cache);
		store_close(ws[i].st);
	}
	free(ws);
}

static struct worker *
workers_open(struct sweep *sw, unsigned n)
{
	struct worker	*ws;
	enum panel_err	 pe;
	char		 msg[256];
	unsigned	 i;

	if ((ws = calloc(n, sizeof(*ws))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		ws[i].sw = sw;
		ws[i].idx = i;
		snprintf(ws[i].holder, sizeof(ws[i].holder),
		    "acme-sweep@%s:%ld/%u", sw->host, sw->pid, i);
		if ((pe = store_open_msg(sw->cfg->database, &ws[i].st, msg,
		    sizeof(msg))) != PANEL_OK) {
			fprintf(stderr, "acme-sweep: %s: %s%s%s\n",
			    sw->cfg->database, panel_strerror(pe),
			    *msg ? ": " : "", msg);
			workers_close(ws, i);
			return NULL;
		}
		/* Money and renewal state are written: every commit is on
		 * disk before it returns (as with synchronous=FULL, but
		 * synced outside the write lock). */
		if (store_sweep_tune(ws[i].st, BUSY_MS) != PANEL_OK) {
			fprintf(stderr, "acme-sweep: %s: %s\n",
			    sw->cfg->database, store_errmsg(ws[i].st));
			workers_close(ws, i + 1);
			return NULL;
		}
		ws[i].o.st = ws[i].st;
		ws[i].o.cfg = sw->cfg;
		ws[i].o.kek = sw->kek;
		ws[i].o.actor = SWEEP_ACTOR;
		ws[i].o.ip = NULL;
		/* One CA context per account per worker, kept for the run. */
		if (ops_cache_new(&ws[i].o.cache) != PANEL_OK) {
			workers_close(ws, i + 1);
			return NULL;
		}
	}
	return ws;
}

/* ------------------------------------------------------------------ */
/* One run. */

/* All renewal candidates, page by page.  *lists (free each) and the
 * flat array *v (free()) of pointers into them. */
static enum panel_err
collect_certs(struct store *st, struct store_cert_list ***lists,
    size_t *nlists, const struct store_cert ***v, size_t *n)
{
	struct store_cert_list	 *l, **nl;
	const struct store_cert	**nv;
	enum panel_err		  pe;
	int64_t			  after = 0;
	size_t			  i;

	*lists = NULL;
	*nlists = 0;
	*v = NULL;
	*n = 0;
	for (;;) {
		if ((pe = store_renew_candidates(st, after, LIST_PAGE, &l)) !=
		    PANEL_OK)
			return pe;
		if (l->n == 0) {
			store_cert_list_free(l);
			return PANEL_OK;
		}
		if ((nl = reallocarray(*lists, *nlists + 1, sizeof(*nl))) ==
		    NULL || (nv = reallocarray(*v, *n + l->n,
		    sizeof(*nv))) == NULL) {
			if (nl != NULL)
				*lists = nl;
			store_cert_list_free(l);
			return PANEL_ERR_NOMEM;
		}
		*lists = nl;
		(*lists)[(*nlists)++] = l;
		*v = nv;
		for (i = 0; i < l->n; i++)
			(*v)[(*n)++] = &l->v[i];
		after = l->v[l->n - 1].id;
		if (l->n < LIST_PAGE)
			return PANEL_OK;
	}
}

static void
summary(struct sweep *sw, char *buf, size_t len)
{
	size_t	 i, off = 0;
	int	 k;

	buf[0] = '\0';
	pthread_mutex_lock(&sw->lock);
	for (i = 0; i < STAT__MAX && off < len; i++) {
		if (sw->stats[i] == 0)
			continue;
		k = snprintf(buf + off, len - off, "%s%s %u", off ? ", " : "",
		    stat_names[i], sw->stats[i]);
		if (k < 0)
			break;
		off += (size_t)k;
	}
	pthread_mutex_unlock(&sw->lock);
	if (off == 0)
		snprintf(buf, len, "nothing to do");
}

/* The real run.  Returns 0, or 1 when the sweep itself failed. */
static int
run_sweep(struct sweep *sw, struct worker *ws)
{
	struct worker		 *w0 = &ws[0];
	struct store_cert_list	**lists = NULL;
	const struct store_cert	**certs = NULL;
	struct store_order_list	 *due = NULL;
	struct phase		  ph;
	int64_t			 *ids = NULL, *fin = NULL, run = 0;
	size_t			  nlists = 0, ncerts = 0, nfin = 0, i;
	enum panel_err		  pe;
	char			  sum[512];
	int			  rc = 0;

	memset(sw->stats, 0, sizeof(sw->stats));
	if ((pe = store_sweep_start(w0->st, sw->host, sw->pid, time(NULL),
	    &run)) != PANEL_OK) {
		sw_dberr(w0, "recording the run", pe);
		return 1;
	}
	/* 1. Renewals. */
	if ((pe = collect_certs(w0->st, &lists, &nlists, &certs, &ncerts)) !=
	    PANEL_OK) {
		sw_dberr(w0, "listing renewal candidates", pe);
		rc = 1;
	} else {
		memset(&ph, 0, sizeof(ph));
		ph.task = TASK_RENEW;
		ph.certs = certs;
		ph.n = ncerts;
		phase_run(ws, sw->jobs, &ph);
	}
	/* 2. Orders, including the renewal orders just placed. */
	if (!stopping && (pe = store_order_due(w0->st, time(NULL), 1,
	    LIST_PAGE, &due)) != PANEL_OK) {
		sw_dberr(w0, "listing due orders", pe);
		rc = 1;
	} else if (due != NULL && due->n > 0) {
		if ((ids = calloc(due->n, sizeof(*ids))) == NULL) {
			rc = 1;
		} else {
			for (i = 0; i < due->n; i++)
				ids[i] = due->v[i].id;
			memset(&ph, 0, sizeof(ph));
			ph.task = TASK_ORDER;
			ph.ids = ids;
			ph.n = due->n;
			phase_run(ws, sw->jobs, &ph);
		}
	}
	/* 3. Valid orders still missing their certificate or deployment. */
	if (!stopping && (pe = store_orders_unfinished(w0->st,
	    sw->cfg->deploy_hook != NULL, time(NULL), LIST_PAGE, &fin,
	    &nfin)) != PANEL_OK) {
		sw_dberr(w0, "listing finished orders", pe);
		rc = 1;
	} else if (nfin > 0) {
		memset(&ph, 0, sizeof(ph));
		ph.task = TASK_FINISH;
		ph.ids = fin;
		ph.n = nfin;
		phase_run(ws, sw->jobs, &ph);
	}
	/* 4. Expiry alerts. */
	if (!stopping)
		alert_expiry(w0);
	if (sw->stats[STAT_ERRORS] > 0)
		rc = 1;
	summary(sw, sum, sizeof(sum));
	if ((pe = store_sweep_finish(w0->st, run, rc == 0, sum,
	    time(NULL))) != PANEL_OK)
		sw_dberr(w0, "recording the run's end", pe);
	sw_info(sw, "done: %s", sum);
	for (i = 0; i < nlists; i++)
		store_cert_list_free(lists[i]);
	free(lists);
	free(certs);
	store_order_list_free(due);
	free(ids);
	free(fin);
	return rc;
}

/* --dry-run: reads the store, says what a run would do, changes
 * nothing, contacts nobody. */
static int
dry_sweep(struct sweep *sw, struct store *st)
{
	struct store_cert_list	**lists = NULL;
	const struct store_cert	**certs = NULL;
	struct store_order_list	 *due = NULL;
	int64_t			 *fin = NULL;
	size_t			  nlists = 0, ncerts = 0, nfin = 0, i;
	enum panel_err		  pe;
	int			  rc = 0;

	printf("acme-sweep --dry-run: nothing below is done\n");
	if ((pe = collect_certs(st, &lists, &nlists, &certs, &ncerts)) !=
	    PANEL_OK)
		rc = 1;
	for (i = 0; i < ncerts; i++)
		renew_dry(sw, st, certs[i]);
	if (store_order_due(st, time(NULL), 1, LIST_PAGE, &due) != PANEL_OK)
		rc = 1;
	for (i = 0; due != NULL && i < due->n; i++)
		order_dry(sw, &due->v[i]);
	if (store_orders_unfinished(st, sw->cfg->deploy_hook != NULL,
	    time(NULL), LIST_PAGE, &fin, &nfin) != PANEL_OK)
		rc = 1;
	for (i = 0; i < nfin; i++)
		printf("order %lld: valid; would download its certificate if "
		    "missing%s\n", (long long)fin[i],
		    sw->cfg->deploy_hook ? " and run the deploy hook" : "");
	alert_dry(sw, st);
	if (ncerts == 0 && (due == NULL || due->n == 0) && nfin == 0)
		printf("no certificate to renew and no order to carry "
		    "forward\n");
	for (i = 0; i < nlists; i++)
		store_cert_list_free(lists[i]);
	free(lists);
	free(certs);
	store_order_list_free(due);
	free(fin);
	if (rc != 0)
		fprintf(stderr, "acme-sweep: reading the store: %s\n",
		    store_errmsg(st));
	return rc;
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Sleeps up to secs, waking early when asked to stop. */
static void
nap(unsigned secs)
{
	struct timespec	 ts;
	unsigned	 i;

	for (i = 0; i < secs * 10 && !stopping; i++) {
		ts.tv_sec = 0;
		ts.tv_nsec = 100 * 1000 * 1000;
		nanosleep(&ts, NULL);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "check", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sweep		 sw;
	struct sigaction	 sa;
	struct worker		*ws = NULL;
	struct store		*st = NULL;
	const char		*conf = NULL;
	char			 err[512], *end;
	unsigned long		 n;
	unsigned		 interval = 0;
	enum panel_err		 pe;
	int			 ch, check = 0, once = 0, rc = 1;

	memset(&sw, 0, sizeof(sw));
	sw.jobs = JOBS_DEFAULT;
	while ((ch = getopt_long(argc, argv, "c:i:j:nvh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'i':
		case 'j':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0 || n < 1 ||
			    n > (ch == 'j' ? JOBS_MAX : 86400)) {
				fprintf(stderr, "acme-sweep: -%c: expected a "
				    "number from 1 to %d\n", ch,
				    ch == 'j' ? JOBS_MAX : 86400);
				return EXIT_USAGE;
			}
			if (ch == 'j')
				sw.jobs = (unsigned)n;
			else
				interval = (unsigned)n;
			break;
		case 'o':
			once = 1;
			break;
		case 'n':
			sw.dry_run = 1;
			break;
		case 'C':
			check = 1;
			break;
		case 'v':
			sw.verbose = 1;
			break;
		default:
			usage();
			return ch == 'h' ? 0 : EXIT_USAGE;
		}
	}
	if (optind != argc || (once && interval) ||
	    (check && (sw.dry_run || interval))) {
		usage();
		return EXIT_USAGE;
	}
	if (conf == NULL && (conf = getenv("ACME_PANEL_CONF")) == NULL)
		conf = DEFAULT_CONF;
	sw.conf_path = conf;
	sw.pid = (long)getpid();
	if (gethostname(sw.host, sizeof(sw.host)) == -1)
		snprintf(sw.host, sizeof(sw.host), "localhost");
	sw.host[sizeof(sw.host) - 1] = '\0';
	pthread_mutex_init(&sw.lock, NULL);

	if (check || sw.dry_run) {
		/* Read-only: no key-encryption key, no CA. */
		if ((pe = config_load(conf, &sw.cfg, err, sizeof(err))) !=
		    PANEL_OK) {
			if (check)
				printf("ACME-SWEEP UNKNOWN - %s\n", err);
			else
				fprintf(stderr, "acme-sweep: %s\n", err);
			return check ? EXIT_UNKNOWN : 1;
		}
		if ((pe = store_open_msg(sw.cfg->database, &st, err,
		    sizeof(err))) != PANEL_OK) {
			if (check)
				printf("ACME-SWEEP UNKNOWN - %s: %s\n",
				    sw.cfg->database, panel_strerror(pe));
			else
				fprintf(stderr, "acme-sweep: %s: %s\n",
				    sw.cfg->database, panel_strerror(pe));
			config_free(sw.cfg);
			return check ? EXIT_UNKNOWN : 1;
		}
		rc = check ? sweep_check(&sw, st) : dry_sweep(&sw, st);
		store_close(st);
		config_free(sw.cfg);
		pthread_mutex_destroy(&sw.lock);
		return rc;
	}

	if (curlfn_get() == NULL) {
		fprintf(stderr, "acme-sweep: libcurl would not start: %s\n",
		    curlfn_error());
		return 1;
	}
	if ((pe = ops_open(conf, &st, &sw.cfg, &sw.kek, err, sizeof(err))) !=
	    PANEL_OK) {
		fprintf(stderr, "acme-sweep: %s\n", err);
		return 1;
	}
	store_close(st);	/* each worker opens its own */
	st = NULL;
	if (sw.cfg->lease_seconds < sw.cfg->billing_timeout + 5 ||
	    sw.cfg->lease_seconds < sw.cfg->hook_timeout + 5)
		sw_warn(&sw, "lease_seconds (%u) should exceed billing_timeout "
		    "and hook_timeout: a slow hook may outlive its lease",
		    sw.cfg->lease_seconds);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (interval) {
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	if ((ws = workers_open(&sw, sw.jobs)) == NULL)
		goto out;
	do {
		rc = run_sweep(&sw, ws);
		if (interval)
			nap(interval);
	} while (interval && !stopping);
	workers_close(ws, sw.jobs);
out:
	crypt_kek_free(sw.kek);
	config_free(sw.cfg);
	pthread_mutex_destroy(&sw.lock);
	return interval ? 0 : rc;
}
