/*
 * What ops.c and ops_order.c share.
 */
#ifndef OPS_PRIV_H
#define OPS_PRIV_H

#include "ops.h"

#define OPS_VERSION	"0.1"

/* An account opened for a CA call: row, decrypted key, context. */
struct ops_acct {
	struct store_account	*row;
	struct acme_key		*key;
	struct acme_ctx		*ctx;
	int			 cached; /* key and ctx belong to the cache */
};

void		 ops_fail(struct ops_err *, int status, const char *code,
		    const char *field, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));
void		 ops_fail_acme(struct ops_err *, struct acme_ctx *,
		    enum acme_err, const char *what);
void		 ops_fail_store(struct ops_err *, enum panel_err,
		    const char *what);
/* The problem as stored JSON text; the caller frees. */
char		*ops_problem_json(const struct acme_problem *);
void		 ops_audit(const struct ops *, const char *action,
		    const char *object, enum audit_result, const char *detail);
enum panel_err	 ops_acct_open(const struct ops *, int64_t id, int64_t owner,
		    struct ops_acct *, struct ops_err *);
void		 ops_acct_close(struct ops_acct *);
enum panel_err	 ops_seal_key(const struct ops *, const struct acme_key *,
		    const char *kind, int64_t id, unsigned char **out,
		    size_t *outlen);
/*
 * The certificate key of the order the cache's thread placed last, kept
 * (with its PEM) until that order is finalized: decoding it again from
 * the row takes OpenSSL 3.0 over a million instructions.  put takes key
 * and pem (NULL-safe c: then freed); take gives them back (the caller's)
 * only for order_id whose row still holds sealed, and 1; else 0.
 */
void		 ops_cache_key_put(struct ops_cache *, int64_t order_id,
		    const unsigned char *sealed, size_t slen,
		    struct acme_key *key, char *pem, size_t len);
int		 ops_cache_key_take(struct ops_cache *, int64_t order_id,
		    const unsigned char *sealed, size_t slen,
		    struct acme_key **key, char **pem, size_t *len);

#endif /* !OPS_PRIV_H */
