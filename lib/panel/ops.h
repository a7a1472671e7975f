/*
 * ops: the ACME actions of the panel, shared by acme.fcgi's pages and
 * the commands (acme-sweep).  Each call ties libacme to the store: it
 * reads the rows, talks to the CA, writes what the CA answered, appends
 * to the order's history and the audit log, and explains any failure in
 * words a panel user understands.
 *
 * Every call takes the acting principal's name (actor) and IP for the
 * audit log, and an owner (0: admin, any owner) for row access.
 */
#ifndef PANEL_OPS_H
#define PANEL_OPS_H

#include <stdint.h>

#include "panel.h"

struct ops_cache;

struct ops {
	struct store			*st;
	const struct panel_config	*cfg;
	struct panel_kek		*kek;
	const char			*actor;	/* audit actor */
	const char			*ip;	/* audit ip, or NULL */
	struct ops_cache		*cache;	/* NULL, or CA contexts kept
						   across calls (one thread) */
};

/*
 * A cache of CA contexts, one per account, for one thread of a long-
 * running program (acme-sweep's workers): later calls for the same
 * account reuse its connection, directory and nonces instead of a new
 * TLS handshake, directory GET and nonce HEAD each.  An entry is used
 * only while the account's stored key is the one it was made with.
 * *out is the caller's (ops_cache_free).
 */
enum panel_err	 ops_cache_new(struct ops_cache **out);
void		 ops_cache_free(struct ops_cache *c);

/* Why an action failed, for the form or the API error shape. */
struct ops_err {
	int	 status;	/* HTTP status to answer with: 400, 404, 409,
				   422, 429, 502, 500 */
	char	 code[32];	/* API error code, e.g. "ca_problem" */
	char	 field[32];	/* form field to show it next to, or "" */
	char	 msg[1024];	/* plain words; may quote the CA: escape it */
	char	*problem;	/* the CA's problem as JSON text, or NULL */
};

void		 ops_err_clear(struct ops_err *e);

/* Opens store, KEK and config for a program; what the CGI and the
 * commands both do at start.  On failure err says why (for stderr). */
enum panel_err	 ops_open(const char *conf_path, struct store **st,
		    struct panel_config **cfg, struct panel_kek **kek,
		    char *err, size_t errlen);

/* An acme_ctx for directory url, with the config's CA bundle and private-
 * address policy (the local test CA is always allowed).  Caller frees. */
enum panel_err	 ops_acme_ctx(const struct ops *o, const char *url,
		    struct acme_ctx **ctx, struct ops_err *err);

/* ------------------------------------------------------------------ */
/* Accounts.                                                            */

struct ops_account_req {
	int64_t			 owner;
	const char		*server;	/* preset key or https URL */
	const char		*email;		/* bare address, or NULL */
	enum acme_keytype	 key_type;
	const char		*eab_kid;	/* or NULL */
	const char		*eab_hmac;
	int			 tos_agreed;
};

/*
 * Generates the account key, stores the account (key sealed), registers
 * with the CA (EAB when given) and records the kid.  *id is set as soon
 * as the row exists, even when the CA then refuses (status failed, the
 * CA's problem stored and in err).
 */
enum panel_err	 ops_account_create(const struct ops *o,
		    const struct ops_account_req *req, int64_t *id,
		    struct ops_err *err);
/* Replaces the contact e-mail (NULL: none) at the CA and in the store. */
enum panel_err	 ops_account_update(const struct ops *o, int64_t id,
		    int64_t owner, const char *email, struct ops_err *err);
/* Key rollover (RFC 8555 7.3.5) to a fresh key of type. */
enum panel_err	 ops_account_rollover(const struct ops *o, int64_t id,
		    int64_t owner, enum acme_keytype type,
		    struct ops_err *err);
enum panel_err	 ops_account_deactivate(const struct ops *o, int64_t id,
		    int64_t owner, struct ops_err *err);

/* ------------------------------------------------------------------ */
/* Orders.                                                              */

struct ops_order_req {
	int64_t			 owner;
	int64_t			 account_id;
	char *const		*domains;	/* validated, punycode */
	size_t			 ndomains;
	enum acme_keytype	 key_type;
	enum acme_chtype	 challenge_type; /* HTTP01 or DNS01 */
	int			 autom;
	int			 auto_renew;
	int64_t			 renews;	/* certificate id, or 0 */
	const char		*replaces;	/* ARI certID, or NULL */
	int			 with_key;	/* make the certificate key
						   now (see below) */
	/* Called inside the transaction that stores the order, after its
	 * rows, history and audit entry, with the new order's id: writes
	 * that belong with it.  NULL: none. */
	void			(*stored)(void *arg, int64_t id);
	void			*stored_arg;
};

/*
 * Places the order with the CA, reads its authorizations, works out what
 * to deploy for each (http-01 key authorization, dns-01 record) and
 * stores it all in one transaction, which also gets the audit entry,
 * req->stored's writes and, with req->with_key, a fresh certificate key
 * sealed into the order's row (ops_order_finalize then uses it instead
 * of making one: no write of its own before the CSR goes out).  *id is
 * the new order.
 */
enum panel_err	 ops_order_create(const struct ops *o,
		    const struct ops_order_req *req, int64_t *id,
		    struct ops_err *err);
/*
 * Reads the order and its pending authorizations from the CA again and
 * writes their current state (status, error, certificate URL).
 * lease_token fences the writes (0: none).
 */
enum panel_err	 ops_order_refresh(const struct ops *o, int64_t id,
		    int64_t owner, int64_t lease_token, struct ops_err *err);

/*
 * The pre-flight self-check of a challenge: fetches the http-01 URL over
 * plain HTTP (port 80, or cfg's http01 port) or looks up the TXT record,
 * and compares with what the CA will expect.  PANEL_OK when it matches;
 * PANEL_ERR_INVALID with a diagnosis in err->msg otherwise.
 */
enum panel_err	 ops_challenge_check(const struct ops *o,
		    const struct store_challenge *c, const char *identifier,
		    struct ops_err *err);
/*
 * Self-check (unless force), then tells the CA to validate, then polls
 * the authorization briefly and stores the outcome.  A failed self-check
 * returns PANEL_ERR_INVALID without contacting the CA.
 */
enum panel_err	 ops_challenge_respond(const struct ops *o, int64_t id,
		    int64_t owner, int force, int64_t lease_token,
		    struct ops_err *err);
/* The same without reading the order afterwards (see ops_order_complete). */
enum panel_err	 ops_challenge_respond_only(const struct ops *o, int64_t id,
		    int64_t owner, int force, int64_t lease_token,
		    struct ops_err *err);

/*
 * Finalizes a ready order with a CSR from a fresh certificate key (sealed
 * into the order row first), waits for the CA, downloads the chain,
 * checks it and stores the certificate.  *cert_id (may be NULL) gets the
 * certificate's id.
 */
enum panel_err	 ops_order_finalize(const struct ops *o, int64_t id,
		    int64_t owner, int64_t lease_token, int64_t *cert_id,
		    struct ops_err *err);
/*
 * ops_order_finalize for a caller that carries an order on by itself (the
 * sweep, as admin): a pending order is polled first, at once, then after
 * 40 ms, 80 ms, ... or the CA's Retry-After, for at most max_wait seconds
 * (0: not at all); one still pending gives PANEL_ERR_INVALID, code
 * "order_state", with the CA's state written and no audit entry.  Once
 * ready it is finalized without reading it again.  fresh says the caller
 * placed the order a moment ago: one stored ready (the CA's answer then)
 * is finalized without a read first.  stored (may be NULL) is called with
 * the new certificate's id inside the transaction that stores it: writes
 * that belong with it.
 */
enum panel_err	 ops_order_complete(const struct ops *o, int64_t id,
		    int64_t lease_token, unsigned max_wait, int fresh,
		    void (*stored)(void *arg, int64_t cert_id), void *arg,
		    int64_t *cert_id, struct ops_err *err);

/*
 * Reads order id from the CA without writing anything: *status and the
 * Retry-After the CA sent with it (seconds, 0 when none).  For a poll
 * that only decides when to look again.  PANEL_OK, or an error with err
 * filled (the CA's problem in err->problem).
 */
enum panel_err	 ops_order_peek(const struct ops *o, int64_t id,
		    int64_t owner, enum acme_status *status,
		    unsigned *retry_after, struct ops_err *err);

/* ------------------------------------------------------------------ */
/* Certificates.                                                        */

/*
 * When a certificate valid from not_before to not_after is due for
 * renewal, without ARI: at two thirds of its lifetime or
 * cfg->renew_days_before days before it expires, whichever comes first,
 * but never before half of the lifetime, so that a days_before longer
 * than a short-lived certificate's life cannot renew it again and again.
 * *why (may be NULL) gets which rule decided, in words (static).
 */
int64_t		 ops_renew_at(const struct panel_config *cfg,
		    int64_t not_before, int64_t not_after, const char **why);

/*
 * The CA's renewalInfo (RFC 9773 4.1) for the certificate whose certID
 * is certid, asked with account account_id's context (the cache's when
 * o has one, so a CA without ARI costs no request once its directory is
 * known).  PANEL_OK with *offered 0 when the CA offers no renewalInfo,
 * or 1 and *ren filled (acme_renewal_clear); otherwise an error with err
 * filled.
 */
enum panel_err	 ops_renewal_info(const struct ops *o, int64_t account_id,
		    const char *certid, struct acme_renewal *ren,
		    int *offered, struct ops_err *err);
/*
 * Whether the CA of account account_id offers renewalInfo, as far as the
 * cache's context already knows without asking: 1 or 0 from a directory
 * fetched before, -1 when not known (no cache, no directory yet, or the
 * account cannot be opened).
 */
int		 ops_ari_known(const struct ops *o, int64_t account_id);

/* Revokes with the owning account's key and marks the row revoked. */
enum panel_err	 ops_cert_revoke(const struct ops *o, int64_t id,
		    int64_t owner, int reason, struct ops_err *err);
/* The certificate's private key as PEM (opened from the store); the
 * caller frees with crypt_wipe_free(*pem, *len).  Audited. */
enum panel_err	 ops_cert_key(const struct ops *o, int64_t id, int64_t owner,
		    char **pem, size_t *len, struct ops_err *err);

#endif /* !PANEL_OPS_H */
