/*
 * The queries acme-sweep needs beyond store.h: waits that do not count
 * as failed tries, fencing checks inside a transaction, renewal
 * candidates and the bookkeeping around them.
 *
 * Why the statements live here and not in store_sql.c's table: that
 * table is indexed by enum stmt in panel_priv.h, shared by every store
 * file, and adding to it means editing files of the store's owners.
 * These few statements are prepared on each call (microseconds, next to
 * a CA round trip) and finalized before returning, so nothing outlives
 * the call or needs a slot in struct store.  They still go through the
 * store's binding and stepping helpers, with every parameter bound.
 * Moving them into store_sql.c later changes no caller.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "panel_priv.h"
#include "store_sweep.h"

#define LIST_DEFAULT	100
#define LIST_MAX	500
#define ORD_ACTIVE	"('new', 'pending', 'ready', 'processing')"
/* A renewal order still in flight for certificate c: active, or valid
 * at the CA with its certificate not stored yet (ops writes the status
 * before it downloads; a crash in between leaves exactly that). */
#define RENEWING(o, c)	"(" o ".renews = " c " AND (" o ".status IN " \
			ORD_ACTIVE " OR (" o ".status = 'valid' AND NOT EXISTS " \
			"(SELECT 1 FROM certificates x WHERE x.order_id = " \
			o ".id))))"

enum sw_stmt {
	SW_DEFER,
	SW_FENCE,
	SW_CANDIDATES,
	SW_ACTIVE,
	SW_FAILURES,
	SW_UNFINISHED,
	SW__MAX
};

static const char *const sw_sql[] = {
	[SW_DEFER] = "UPDATE orders SET retry_at = ?1 WHERE id = ?2 "
	    "AND lease_token = ?3 AND status IN " ORD_ACTIVE,
	[SW_FENCE] = "SELECT 1 FROM orders WHERE id = ?1 AND lease_token = ?2",
	/* 0 id, order_id, owner, account_id, serial, 5 not_before,
	 * not_after, domains, ari_id, renew_at */
	[SW_CANDIDATES] = "SELECT c.id, c.order_id, c.owner, c.account_id, "
	    "c.serial, c.not_before, c.not_after, c.domains, c.ari_id, "
	    "c.renew_at FROM certificates c JOIN orders o ON o.id = c.order_id "
	    "WHERE c.status = 'valid' AND o.auto_renew = 1 AND c.id > ?1 "
	    "AND NOT EXISTS (SELECT 1 FROM orders r WHERE "
	    RENEWING("r", "c.id") ") ORDER BY c.id LIMIT ?2",
	[SW_ACTIVE] = "SELECT count(*), coalesce(min(r.id), 0) FROM orders r "
	    "WHERE " RENEWING("r", "?1"),
	[SW_FAILURES] = "SELECT count(*), coalesce(max(updated), 0) "
	    "FROM orders WHERE renews = ?1 AND status IN ('invalid', "
	    "'expired')",
	[SW_UNFINISHED] = "SELECT o.id FROM orders o WHERE o.status = 'valid' "
	    "AND o.auto = 1 AND o.retry_at <= ?2 AND (o.lease_owner IS NULL "
	    "OR o.lease_until <= ?2) AND (NOT EXISTS (SELECT 1 FROM certificates c "
	    "WHERE c.order_id = o.id) OR (?1 <> 0 AND EXISTS (SELECT 1 FROM "
	    "certificates c WHERE c.order_id = o.id AND c.status = 'valid') "
	    "AND NOT EXISTS (SELECT 1 FROM order_events e WHERE "
	    "e.order_id = o.id AND e.what = 'deployed'))) ORDER BY o.id "
	    "LIMIT ?3",
};

_Static_assert(sizeof(sw_sql) / sizeof(sw_sql[0]) == SW__MAX,
    "one SQL text per sweep statement");

static unsigned
clamp_limit(unsigned limit)
{
	if (limit == 0)
		return LIST_DEFAULT;
	return limit > LIST_MAX ? LIST_MAX : limit;
}

/* Prepares statement id on st's connection; NULL with st->err set. */
static sqlite3_stmt *
sw_prep(struct store *st, enum sw_stmt id)
{
	sqlite3_stmt	*s = NULL;
	int		 rc;

	rc = sqlite3_prepare_v2(st->db, sw_sql[id], -1, &s, NULL);
	if (rc != SQLITE_OK) {
		st_error(st, rc);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Steps a bound statement to the end; rows changed in *changes. */
static enum panel_err
sw_exec(struct store *st, sqlite3_stmt *s, int64_t *changes)
{
	enum panel_err	 err = PANEL_OK;
	int		 r;

	while ((r = st_step(st, s, &err)) == 1)
		continue;
	if (r == -1)
		return err;
	if (changes != NULL)
		*changes = st_changes(st);
	return PANEL_OK;
}

enum panel_err
store_order_defer(struct store *st, int64_t id, int64_t at,
    int64_t lease_token)
{
	sqlite3_stmt	*s;
	enum panel_err	 err;
	int64_t		 changes = 0;

	if (lease_token == 0)
		return PANEL_ERR_ARG;
	if ((s = sw_prep(st, SW_DEFER)) == NULL)
		return PANEL_ERR_DB;
	if (BIND(st, s, P_I(at), P_I(id), P_I(lease_token)) == -1)
		err = PANEL_ERR_DB;
	else if ((err = sw_exec(st, s, &changes)) == PANEL_OK && changes == 0)
		err = PANEL_ERR_STALE;
	sqlite3_finalize(s);
	return err;
}

enum panel_err
store_order_fence(struct store *st, int64_t id, int64_t lease_token)
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_OK;
	int		 r;

	if ((s = sw_prep(st, SW_FENCE)) == NULL)
		return PANEL_ERR_DB;
	if (BIND(st, s, P_I(id), P_I(lease_token)) == -1)
		err = PANEL_ERR_DB;
	else if ((r = st_step(st, s, &err)) == 0)
		err = PANEL_ERR_STALE;
	else if (r == 1)
		err = PANEL_OK;
	sqlite3_finalize(s);
	return err;
}

enum panel_err
store_renew_candidates(struct store *st, int64_t after, unsigned limit,
    struct store_cert_list **out)
{
	struct store_cert_list	*l = NULL;
	struct store_cert	*nv, *c;
	sqlite3_stmt		*s;
	enum panel_err		 err = PANEL_OK;
	int			 r;

	*out = NULL;
	if ((s = sw_prep(st, SW_CANDIDATES)) == NULL)
		return PANEL_ERR_DB;
	if (BIND(st, s, P_I(after), P_I(clamp_limit(limit))) == -1) {
		err = PANEL_ERR_DB;
		goto out;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		err = PANEL_ERR_NOMEM;
		goto out;
	}
	while ((r = st_step(st, s, &err)) == 1) {
		if ((nv = vec_grow(l->v, l->n, sizeof(*nv))) == NULL) {
			err = PANEL_ERR_NOMEM;
			goto out;
		}
		l->v = nv;
		c = &l->v[l->n++];
		c->id = col_int(s, 0);
		c->order_id = col_int(s, 1);
		c->owner = col_int(s, 2);
		c->account_id = col_int(s, 3);
		c->not_before = col_int(s, 5);
		c->not_after = col_int(s, 6);
		c->renew_at = col_int(s, 9);
		c->status = STORE_CERT_VALID;
		c->revoked_reason = -1;
		if (col_str(s, 4, &c->serial) == -1 ||
		    json_strv((const char *)sqlite3_column_text(s, 7),
		    &c->domains, &c->ndomains) == -1 ||
		    col_str(s, 8, &c->ari_id) == -1) {
			err = PANEL_ERR_NOMEM;
			goto out;
		}
	}
	if (r == -1)
		goto out;
	l->total = (int64_t)l->n;
	*out = l;
	l = NULL;
	err = PANEL_OK;
out:
	store_cert_list_free(l);
	sqlite3_finalize(s);
	return err;
}

/* Runs a two-integer SELECT on cert_id into *a and *b. */
static enum panel_err
sw_pair(struct store *st, enum sw_stmt id, int64_t cert_id, int64_t *a,
    int64_t *b)
{
	sqlite3_stmt	*s;
	enum panel_err	 err = PANEL_ERR_DB;
	int		 r;

	*a = *b = 0;
	if ((s = sw_prep(st, id)) == NULL)
		return PANEL_ERR_DB;
	if (BIND(st, s, P_I(cert_id)) == -1)
		err = PANEL_ERR_DB;
	else if ((r = st_step(st, s, &err)) == 1) {
		*a = col_int(s, 0);
		*b = col_int(s, 1);
		err = PANEL_OK;
	} else if (r == 0)
		err = PANEL_ERR_DB;	/* an aggregate always has a row */
	sqlite3_finalize(s);
	return err;
}

enum panel_err
store_renew_active(struct store *st, int64_t cert_id, int64_t *n,
    int64_t *first)
{
	return sw_pair(st, SW_ACTIVE, cert_id, n, first);
}

enum panel_err
store_renew_failures(struct store *st, int64_t cert_id, int64_t *n,
    int64_t *last)
{
	return sw_pair(st, SW_FAILURES, cert_id, n, last);
}

enum panel_err
store_orders_unfinished(struct store *st, int deploy, int64_t now,
    unsigned limit, int64_t **ids, size_t *n)
{
	sqlite3_stmt	*s;
	int64_t		*v = NULL, *nv;
	size_t		 k = 0;
	enum panel_err	 err = PANEL_OK;
	int		 r;

	*ids = NULL;
	*n = 0;
	if ((s = sw_prep(st, SW_UNFINISHED)) == NULL)
		return PANEL_ERR_DB;
	if (BIND(st, s, P_I(deploy ? 1 : 0), P_I(now),
	    P_I(clamp_limit(limit))) == -1) {
		err = PANEL_ERR_DB;
		goto out;
	}
	while ((r = st_step(st, s, &err)) == 1) {
		if ((nv = vec_grow(v, k, sizeof(*nv))) == NULL) {
			err = PANEL_ERR_NOMEM;
			goto out;
		}
		v = nv;
		v[k++] = col_int(s, 0);
	}
	if (r == -1)
		goto out;
	*ids = v;
	*n = k;
	v = NULL;
	err = PANEL_OK;
out:
	free(v);
	sqlite3_finalize(s);
	return err;
}

/* ------------------------------------------------------------------ */
/*
 * The connections of acme-sweep's worker threads (store_sweep_tune).
 *
 * Durability.  With synchronous=FULL, SQLite syncs the WAL inside every
 * commit, while it holds the database's one write lock: each of the
 * sweep's writers then waits for every other writer's fsync too.  Here
 * the connection runs with synchronous=NORMAL and the WAL hook, which
 * SQLite calls after the commit is done and the write lock released,
 * syncs the WAL before the commit returns to its caller.  A caller that
 * sees its commit succeed has it on disk, as with FULL; meanwhile other
 * threads write.  A sync covers every commit whose frames were written
 * before it began, so commits are numbered as their hooks start, and a
 * thread whose commit a finished sync (or one running that began after
 * it) covers does not sync again: one fsync serves several commits.
 * Should the sync fail, the hook's error makes the commit fail.
 *
 * Waiting for the write lock.  SQLite's default busy handler sleeps 1,
 * 2, 5, 10, 15, 20, 25 ... 100 ms between tries; a sweep's write
 * transactions hold the lock for well under a millisecond, so with many
 * worker threads most of them sleep while the lock is free.  Here a
 * waiter sleeps on a condition variable that every commit made through
 * a connection of this process signals from the WAL hook, unless a
 * commit came since its last try (it counts them, so no wake-up is
 * missed).  A slice of WAKE_SLICE_MS bounds each wait, for writers in
 * other processes (the web pages, another sweep).
 *
 * Checkpoints.  The WAL hook replaces SQLite's automatic checkpoint
 * (PASSIVE, tried after every commit once the WAL holds 1000 pages).
 * Here one thread of the process at a time checkpoints, once the WAL
 * holds WAL_CHECKPOINT pages, and again only after WAL_RETRY more: the
 * sweep's transactions rewrite the same pages (the audit head, counters,
 * index pages) over and over, and each checkpoint copies a page once
 * however often it was written since the last one, with two fsyncs.  A
 * PASSIVE checkpoint cannot finish while other threads still read older
 * pages; trying again after every commit would copy and sync a few pages
 * each time.
 */
#define WAKE_SLICE_MS	10
#define WAL_CHECKPOINT	8000	/* pages: 32 MiB of 4 KiB pages */
#define WAL_RETRY	500

static pthread_mutex_t	 wake_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 wake_cv = PTHREAD_COND_INITIALIZER;
static unsigned long	 wake_commits;
static pthread_mutex_t	 ckpt_mtx = PTHREAD_MUTEX_INITIALIZER;
static int		 ckpt_tried;	/* WAL pages at the last try */
static pthread_mutex_t	 sync_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 sync_cv = PTHREAD_COND_INITIALIZER;
static unsigned long	 sync_seq;	/* commits numbered */
static unsigned long	 sync_done;	/* commits up to this one synced */
static int		 sync_busy;	/* a thread is syncing */
/* Start of the current wait of this thread's connection, and the
 * commits counted before its last try. */
static _Thread_local struct timespec	 wake_start;
static _Thread_local unsigned long	 wake_seen;

/* Syncs database name's WAL through db's handle: SQLITE_OK, or the
 * error for the commit. */
static int
wal_sync_now(sqlite3 *db, const char *name)
{
	sqlite3_file	*wal = NULL;

	if (sqlite3_file_control(db, name, SQLITE_FCNTL_JOURNAL_POINTER,
	    &wal) != SQLITE_OK || wal == NULL || wal->pMethods == NULL ||
	    wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) != SQLITE_OK)
		return SQLITE_IOERR_FSYNC;
	return SQLITE_OK;
}

/* This commit, whose frames are written, on disk: by a sync of its own
 * or of another thread's that began after it. */
static int
wal_sync(sqlite3 *db, const char *name)
{
	unsigned long	 mine, upto;
	int		 rc = SQLITE_OK;

	pthread_mutex_lock(&sync_mtx);
	mine = ++sync_seq;
	while (sync_done < mine) {
		if (sync_busy) {
			pthread_cond_wait(&sync_cv, &sync_mtx);
			continue;
		}
		sync_busy = 1;
		upto = sync_seq;
		pthread_mutex_unlock(&sync_mtx);
		rc = wal_sync_now(db, name);
		pthread_mutex_lock(&sync_mtx);
		sync_busy = 0;
		if (rc == SQLITE_OK && upto > sync_done)
			sync_done = upto;
		pthread_cond_broadcast(&sync_cv);
		if (rc != SQLITE_OK)
			break;
	}
	pthread_mutex_unlock(&sync_mtx);
	return rc;
}

static int
wake_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	int	 rc;

	(void)arg;
	/* The write lock is free again: a waiter may take it while this
	 * thread syncs and checkpoints. */
	pthread_mutex_lock(&wake_mtx);
	wake_commits++;
	pthread_cond_signal(&wake_cv);
	pthread_mutex_unlock(&wake_mtx);
	rc = wal_sync(db, name);
	if (pages < WAL_CHECKPOINT || pthread_mutex_trylock(&ckpt_mtx) != 0)
		return rc;
	if (pages < ckpt_tried)
		ckpt_tried = 0;		/* the WAL started over */
	if (pages - ckpt_tried >= WAL_RETRY) {
		ckpt_tried = pages;
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
	pthread_mutex_unlock(&ckpt_mtx);
	return rc;
}

static int64_t
ms_since(const struct timespec *t0, const struct timespec *t1)
{
	return (int64_t)(t1->tv_sec - t0->tv_sec) * 1000 +
	    (t1->tv_nsec - t0->tv_nsec) / 1000000;
}

/* sqlite3_busy_handler callback: 1 to try again, 0 to give up. */
static int
wake_busy(void *arg, int count)
{
	struct timespec	 now, until;
	unsigned long	 seen;
	int		 limit = (int)(intptr_t)arg;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0) {
		/* Count the commits from here: one made before the next
		 * try fails means the lock was free meanwhile. */
		wake_start = now;
		pthread_mutex_lock(&wake_mtx);
		wake_seen = wake_commits;
		pthread_mutex_unlock(&wake_mtx);
		return 1;
	}
	if (ms_since(&wake_start, &now) >= limit)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += WAKE_SLICE_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&wake_mtx);
	seen = wake_seen;
	while (wake_commits == seen &&
	    pthread_cond_timedwait(&wake_cv, &wake_mtx, &until) == 0)
		continue;
	wake_seen = wake_commits;
	pthread_mutex_unlock(&wake_mtx);
	return 1;
}

enum panel_err
store_sweep_tune(struct store *st, int ms)
{
	int	 rc;

	/* Temporary files (the journals of nested transactions'
	 * savepoints) in memory, not created and unlinked each time. */
	if ((rc = sqlite3_exec(st->db, "PRAGMA temp_store = MEMORY", NULL,
	    NULL, NULL)) != SQLITE_OK)
		return st_error(st, rc);
	if (st_run(st, ST_SYNC_NORMAL, NULL, 0) != PANEL_OK)
		return PANEL_ERR_DB;
	sqlite3_busy_handler(st->db, wake_busy, (void *)(intptr_t)ms);
	sqlite3_wal_hook(st->db, wake_wal_hook, NULL);
	return PANEL_OK;
}
