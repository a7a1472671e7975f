/*
 * store_sweep: the queries acme-sweep needs beyond store.h (SQL in
 * store_sweep.c).  Conventions as in store.h: enum panel_err returns,
 * PANEL_ERR_STALE when a fencing token is no longer the order's current
 * one, lists the caller's to free.
 */
#ifndef PANEL_STORE_SWEEP_H
#define PANEL_STORE_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * Moves an active order's next attempt to `at` without counting a failed
 * try (store_order_retry counts one): for waits the CA asked for
 * (Retry-After, a validation in progress).  Fenced by lease_token:
 * PANEL_ERR_STALE when the lease was taken by someone else since.
 */
enum panel_err	 store_order_defer(struct store *st, int64_t id, int64_t at,
		    int64_t lease_token);

/*
 * PANEL_OK while lease_token is order id's current fencing token, else
 * PANEL_ERR_STALE.  Inside store_begin() (BEGIN IMMEDIATE holds the write
 * lock) the check stays true until store_commit(), which fences every
 * write made in between, e.g. store_billing_set_state().
 */
enum panel_err	 store_order_fence(struct store *st, int64_t id,
		    int64_t lease_token);

/*
 * A renewal order is "in flight" for a certificate while it is active
 * (new, pending, ready, processing), and also while it is valid but its
 * certificate is not stored yet: ops writes the CA's "valid" before it
 * downloads, and a crash in between must not look like a failed or
 * missing renewal.
 *
 * Valid certificates whose order has auto_renew set and that have no
 * renewal order in flight, ids > after,
 * by id, at most limit (0: 100; at most 500).  Fields filled: id,
 * order_id, owner, account_id, serial, not_before, not_after, domains,
 * ari_id, renew_at, status; chain_pem and key_enc are NULL.
 */
enum panel_err	 store_renew_candidates(struct store *st, int64_t after,
		    unsigned limit, struct store_cert_list **out);

/* Renewal orders in flight for certificate cert_id: how many (*n) and
 * the lowest id among them (*first, 0 when none). */
enum panel_err	 store_renew_active(struct store *st, int64_t cert_id,
		    int64_t *n, int64_t *first);

/* Renewal orders of cert_id that ended invalid or expired: how many (*n)
 * and when the last of them was updated (*last, 0 when none). */
enum panel_err	 store_renew_failures(struct store *st, int64_t cert_id,
		    int64_t *n, int64_t *last);

/*
 * Valid orders with auto set, retry_at <= now and no live lease that
 * still need the sweep: no certificate stored yet (a crash between the
 * status write and the download), or, when deploy is set, a current
 * (valid) certificate but no "deployed" event.  *ids (free()) gets at most
 * limit (0: 100; at most 500) order ids, oldest first.
 */
enum panel_err	 store_orders_unfinished(struct store *st, int deploy,
		    int64_t now, unsigned limit, int64_t **ids, size_t *n);

/*
 * Makes st fit for one of acme-sweep's worker threads (one connection
 * per thread): every commit is on disk when it returns, as with
 * synchronous=FULL, but synced after the write lock is released, so that
 * other threads write meanwhile; writers wait for the lock at most ms
 * milliseconds, woken by the commits of this process rather than by
 * SQLite's sleeps (1, 2, 5, 10, ... 100 ms between tries); checkpoints
 * come at 32 MiB of WAL; temporary files stay in memory.  See
 * store_sweep.c.  PANEL_OK or PANEL_ERR_DB.
 */
enum panel_err	 store_sweep_tune(struct store *st, int ms);

#endif /* !PANEL_STORE_SWEEP_H */
