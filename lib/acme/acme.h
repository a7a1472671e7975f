/*
 * libacme: an RFC 8555 (ACME) client core.
 *
 * The library never exits, never prints and never touches a database or
 * HTML.  Every call returns an enum acme_err; when the CA answered with an
 * RFC 7807 problem document the call returns ACME_ERR_PROBLEM and the
 * parsed problem is kept in the context until the next request
 * (acme_problem_get()).
 *
 * Ownership: functions named *_new, *_dup, *_parse, *_get (when they take
 * an output pointer to pointer) return memory the caller frees with the
 * matching *_free, all of which are NULL-safe.  Functions that return a
 * "const" pointer borrow from the context.
 */
#ifndef ACME_H
#define ACME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Error values.  Keep acme_strerror()'s table in step (static assert). */
enum acme_err {
	ACME_OK = 0,
	ACME_ERR_NOMEM,		/* allocation failed */
	ACME_ERR_ARG,		/* bad argument from the caller */
	ACME_ERR_IDENT,		/* identifier not a valid DNS name or IP */
	ACME_ERR_TRANSPORT,	/* connect, TLS or HTTP failure (see detail) */
	ACME_ERR_TIMEOUT,	/* transfer or polling deadline passed */
	ACME_ERR_TOOBIG,	/* response over the size cap */
	ACME_ERR_SCHEME,	/* URL or redirect not https */
	ACME_ERR_ADDRESS,	/* CA resolved to a refused address */
	ACME_ERR_JSON,		/* response not valid JSON / duplicate keys */
	ACME_ERR_PROTO,		/* response missing fields, wrong types */
	ACME_ERR_PROBLEM,	/* CA answered with a problem document */
	ACME_ERR_NONCE,		/* badNonce retry bound reached */
	ACME_ERR_CRYPTO,	/* key, signature or CSR failure */
	ACME_ERR_PEM,		/* chain holds something other than certs */
	ACME_ERR_UNSUPPORTED,	/* CA does not advertise the feature */
	ACME_ERR_STATE,		/* object ended in an unexpected status */
	ACME_ERR__MAX
};

/* Returns a static English description of err; never NULL. */
const char	*acme_strerror(enum acme_err err);

/*
 * Problem types of RFC 8555 section 6.7 plus ARI's alreadyReplaced.
 * A type we do not know maps to ACME_P_UNKNOWN (the string is kept).
 */
enum acme_ptype {
	ACME_P_UNKNOWN = 0,
	ACME_P_ACCOUNTDOESNOTEXIST,
	ACME_P_ALREADYREPLACED,
	ACME_P_ALREADYREVOKED,
	ACME_P_BADCSR,
	ACME_P_BADNONCE,
	ACME_P_BADPUBLICKEY,
	ACME_P_BADREVOCATIONREASON,
	ACME_P_BADSIGNATUREALGORITHM,
	ACME_P_CAA,
	ACME_P_COMPOUND,
	ACME_P_CONNECTION,
	ACME_P_DNS,
	ACME_P_EXTERNALACCOUNTREQUIRED,
	ACME_P_INCORRECTRESPONSE,
	ACME_P_INVALIDCONTACT,
	ACME_P_MALFORMED,
	ACME_P_ORDERNOTREADY,
	ACME_P_RATELIMITED,
	ACME_P_REJECTEDIDENTIFIER,
	ACME_P_SERVERINTERNAL,
	ACME_P_TLS,
	ACME_P_UNAUTHORIZED,
	ACME_P_UNSUPPORTEDCONTACT,
	ACME_P_UNSUPPORTEDIDENTIFIER,
	ACME_P_USERACTIONREQUIRED,
	ACME_P__MAX
};

/* Returns the short name ("badNonce") of t; "unknown" for ACME_P_UNKNOWN. */
const char	*acme_ptype_name(enum acme_ptype t);
/* Maps a full "urn:ietf:params:acme:error:X" type to its value. */
enum acme_ptype	 acme_ptype_parse(const char *type);

enum acme_ident_type {
	ACME_ID_DNS = 0,
	ACME_ID_IP,
	ACME_ID__MAX
};

struct acme_ident {
	enum acme_ident_type	 type;
	char			*value;	/* "example.com", "*.x.org", "192.0.2.1" */
};

struct acme_subproblem {
	enum acme_ptype		 ptype;
	char			*type;		/* full URN as sent */
	char			*detail;	/* raw text: escape before showing */
	struct acme_ident	 ident;		/* value NULL when absent */
};

/* RFC 7807 problem document, section 6.7 of RFC 8555. */
struct acme_problem {
	enum acme_ptype		 ptype;
	char			*type;		/* full URN as sent, or NULL */
	char			*detail;	/* raw text: escape before showing */
	char			*instance;	/* URL for userActionRequired */
	long			 status;	/* HTTP status of the response */
	time_t			 retry_after;	/* absolute time, 0 if none */
	struct acme_subproblem	*sub;
	size_t			 nsub;
};

/* Object status (accounts, orders, authorizations, challenges).  Unknown
 * strings map to ACME_S_INVALID. */
enum acme_status {
	ACME_S_INVALID = 0,
	ACME_S_PENDING,
	ACME_S_READY,
	ACME_S_PROCESSING,
	ACME_S_VALID,
	ACME_S_DEACTIVATED,
	ACME_S_EXPIRED,
	ACME_S_REVOKED,
	ACME_S__MAX
};

const char	*acme_status_name(enum acme_status s);
/* Maps a status string to its value; NULL or unknown gives ACME_S_INVALID. */
enum acme_status acme_status_parse(const char *s);

enum acme_keytype {
	ACME_KEY_EC256 = 0,
	ACME_KEY_EC384,
	ACME_KEY_RSA2048,
	ACME_KEY_RSA3072,
	ACME_KEY_RSA4096,
	ACME_KEY__MAX
};

/* "ec-256", "ec-384", "rsa-2048", "rsa-3072", "rsa-4096". */
const char	*acme_keytype_name(enum acme_keytype t);
/* Returns 0 and sets *out, or -1 when name is not a key type. */
int		 acme_keytype_parse(const char *name, enum acme_keytype *out);

enum acme_chtype {
	ACME_CH_UNKNOWN = 0,
	ACME_CH_HTTP01,
	ACME_CH_DNS01,
	ACME_CH_TLSALPN01,
	ACME_CH__MAX
};

/* "http-01", "dns-01", "tls-alpn-01"; "unknown" otherwise. */
const char	*acme_chtype_name(enum acme_chtype t);
enum acme_chtype acme_chtype_parse(const char *s);

/* ------------------------------------------------------------------ */
/* Keys (keys.c).  struct acme_key wraps an OpenSSL EVP_PKEY.           */

struct acme_key;

/* Generates a fresh key; *out is the caller's. */
enum acme_err	 acme_key_new(enum acme_keytype type, struct acme_key **out);
/* Parses a PEM private key (PKCS#8 or traditional); *out is the caller's. */
enum acme_err	 acme_key_parse_pem(const char *pem, size_t len,
		    struct acme_key **out);
/* Parses a public JWK (EC P-256/P-384 or RSA) into a public-only key. */
enum acme_err	 acme_key_parse_jwk(const char *json, size_t len,
		    struct acme_key **out);
/* PKCS#8 PEM of the private key; *pem is the caller's (free()). */
enum acme_err	 acme_key_pem(const struct acme_key *k, char **pem,
		    size_t *len);
/* Canonical public JWK (RFC 7638 member order, compact); caller frees. */
enum acme_err	 acme_key_jwk(const struct acme_key *k, char **json);
/* RFC 7638 SHA-256 thumbprint, base64url; caller frees. */
enum acme_err	 acme_key_thumbprint(const struct acme_key *k, char **out);
enum acme_keytype acme_key_type(const struct acme_key *k);
/* 1 when both keys have the same public part, else 0. */
int		 acme_key_same(const struct acme_key *a,
		    const struct acme_key *b);
void		 acme_key_free(struct acme_key *k);

/* ------------------------------------------------------------------ */
/* Challenge material (keyauth.c), RFC 8555 section 8.                  */

/* token "." thumbprint (8.1).  Refuses a token that is not base64url. */
enum acme_err	 acme_keyauth(const struct acme_key *acct, const char *token,
		    char **out);
/* dns-01 TXT value: base64url(SHA-256(keyauth)) (8.4). */
enum acme_err	 acme_dns01_value(const struct acme_key *acct,
		    const char *token, char **out);
/* dns-01 record name "_acme-challenge.<domain>", "*." stripped. */
enum acme_err	 acme_dns01_name(const char *domain, char **out);
/* tls-alpn-01 acmeIdentifier value: SHA-256(keyauth) (RFC 8737 3). */
enum acme_err	 acme_tlsalpn01_digest(const struct acme_key *acct,
		    const char *token, unsigned char out[32]);

/* ------------------------------------------------------------------ */
/* Base64url (b64url.c), RFC 4648 section 5 without padding.            */

/* Encodes; *out is NUL-terminated and the caller's. */
enum acme_err	 acme_b64url_encode(const unsigned char *in, size_t len,
		    char **out);
/* Decodes strictly (no padding, no whitespace, canonical trailing bits);
 * *out is the caller's. */
enum acme_err	 acme_b64url_decode(const char *in, size_t len,
		    unsigned char **out, size_t *outlen);
/* 1 when s is a non-empty base64url string of at most max chars. */
int		 acme_b64url_valid(const char *s, size_t max);

/* ------------------------------------------------------------------ */
/* Identifiers (ident.c).                                               */

/* Checks an identifier: DNS names are lower-case LDH, labels 1-63,
 * total <= 253, at least two labels, "*." only as the whole first label;
 * IP addresses in canonical IPv4 or IPv6 text.  ACME_OK or ACME_ERR_IDENT. */
enum acme_err	 acme_ident_check(enum acme_ident_type type,
		    const char *value);
/* Guesses the type from the text (an address parses as ACME_ID_IP). */
enum acme_ident_type acme_ident_guess(const char *value);

/* ------------------------------------------------------------------ */
/* The client context.                                                  */

struct acme_opts {
	const char	*directory_url;	/* https URL of the directory */
	const char	*ca_file;	/* PEM bundle to trust, NULL: system */
	const char	*proxy;		/* NULL or "": no proxy at all */
	const char	*user_agent;	/* NULL: "libacme/VERSION" */
	long		 connect_timeout_ms; /* 0: 10000 */
	long		 timeout_ms;	/* whole transfer; 0: 30000 */
	size_t		 max_body;	/* response cap; 0: 1 MiB */
	int		 refuse_private; /* refuse loopback/private/link-local
					    peers, checked after DNS */
	unsigned	 nonce_retries;	/* badNonce retries; 0: 10 */
	unsigned	 poll_max;	/* longest single poll wait, s; 0: 60 */
};

struct acme_ctx;

/* Creates a context; *out is the caller's (acme_ctx_free). */
enum acme_err	 acme_ctx_new(const struct acme_opts *opts,
		    struct acme_ctx **out);
void		 acme_ctx_free(struct acme_ctx *ctx);

/* The problem of the last call that returned ACME_ERR_PROBLEM, else NULL.
 * Borrowed: valid until the next request on ctx. */
const struct acme_problem *acme_problem_get(const struct acme_ctx *ctx);
/* A human sentence about the last failure (curl's text, the missing
 * field); "" when none.  Borrowed. */
const char	*acme_detail_get(const struct acme_ctx *ctx);

/* Set the account used to sign kid requests.  The key is borrowed and
 * must outlive its use; kid is copied.  kid may be NULL before newAccount. */
enum acme_err	 acme_ctx_set_account(struct acme_ctx *ctx,
		    struct acme_key *key, const char *kid);
/* Current account URL, or NULL.  Borrowed. */
const char	*acme_ctx_kid(const struct acme_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Directory (directory.c), RFC 8555 section 7.1.1.                     */

struct acme_directory {
	char	*new_nonce;
	char	*new_account;
	char	*new_order;
	char	*new_authz;	/* optional */
	char	*revoke_cert;
	char	*key_change;
	char	*renewal_info;	/* RFC 9773, optional */
	char	*tos;		/* meta.termsOfService */
	char	*website;	/* meta.website */
	char   **caa;		/* meta.caaIdentities */
	size_t	 ncaa;
	int	 eab_required;	/* meta.externalAccountRequired */
	char   **profiles;	/* meta.profiles names */
	char   **profile_desc;	/* their descriptions */
	size_t	 nprofiles;
};

/* Fetches the directory once per context (later calls reuse it). */
enum acme_err	 acme_directory_fetch(struct acme_ctx *ctx);
/* The fetched directory or NULL before acme_directory_fetch.  Borrowed. */
const struct acme_directory *acme_directory_get(const struct acme_ctx *ctx);
/* Parses a directory body; *out is the caller's. */
enum acme_err	 acme_directory_parse(const char *body, size_t len,
		    struct acme_directory **out);
void		 acme_directory_free(struct acme_directory *d);

/* Parses a problem document body; *out is the caller's. */
enum acme_err	 acme_problem_parse(const char *body, size_t len,
		    long status, struct acme_problem **out);
void		 acme_problem_free(struct acme_problem *p);

/*
 * Parses a Retry-After header value, delta-seconds or HTTP-date,
 * relative to now, and clamps the wait to [0, max] seconds.
 * Returns 0 and sets *wait, or -1 when the value is not valid.
 */
int		 acme_retry_after_parse(const char *value, time_t now,
		    unsigned max, unsigned *wait);

/* ------------------------------------------------------------------ */
/* Accounts (account.c, keychange.c), RFC 8555 section 7.3.             */

struct acme_account {
	char		 *url;		/* the kid */
	enum acme_status  status;
	char		**contact;
	size_t		  ncontact;
	char		 *orders;	/* orders list URL, may be NULL */
	int		  created;	/* 1 when 201 Created, 0 existing */
};

struct acme_account_req {
	const char *const *contact;	/* "mailto:a@example.com" */
	size_t		   ncontact;
	int		   tos_agreed;
	const char	  *eab_kid;	/* External Account Binding, 7.3.4 */
	const char	  *eab_hmac;	/* base64url MAC key */
	int		   only_existing; /* onlyReturnExisting */
};

/*
 * Registers (or finds, with only_existing) the account of the key set
 * with acme_ctx_set_account(); on success the context's kid is set.
 */
enum acme_err	 acme_account_new(struct acme_ctx *ctx,
		    const struct acme_account_req *req,
		    struct acme_account **out);
/* POST-as-GET of the current account. */
enum acme_err	 acme_account_fetch(struct acme_ctx *ctx,
		    struct acme_account **out);
/* Replaces the contact list (7.3.2). */
enum acme_err	 acme_account_update(struct acme_ctx *ctx,
		    const char *const *contact, size_t ncontact,
		    struct acme_account **out);
/* Deactivates the account (7.3.6). */
enum acme_err	 acme_account_deactivate(struct acme_ctx *ctx,
		    struct acme_account **out);
/* Rolls the account over to newkey (7.3.5); on success the context signs
 * with newkey (borrowed, must outlive its use). */
enum acme_err	 acme_account_keychange(struct acme_ctx *ctx,
		    struct acme_key *newkey);
void		 acme_account_free(struct acme_account *a);

/* ------------------------------------------------------------------ */
/* Orders (order.c), RFC 8555 section 7.4; RFC 8738 IP identifiers.     */

struct acme_order {
	char			*url;
	enum acme_status	 status;
	time_t			 expires;	/* 0 when absent */
	struct acme_ident	*idents;
	size_t			 nident;
	char		       **authz;		/* authorization URLs */
	size_t			 nauthz;
	char			*finalize;
	char			*certificate;	/* when valid */
	char			*not_before;	/* RFC 3339 text, or NULL */
	char			*not_after;
	char			*profile;
	char			*replaces;	/* ARI certID, or NULL */
	struct acme_problem	*error;
	unsigned		 retry_after;	/* seconds, from the header */
};

struct acme_order_req {
	const struct acme_ident	*idents;
	size_t			 nident;
	const char		*not_before;	/* RFC 3339 or NULL */
	const char		*not_after;
	const char		*profile;	/* sent only when advertised */
	const char		*replaces;	/* sent only when ARI advertised */
};

/*
 * Places a new order.  "replaces" is dropped when the directory lacks
 * renewalInfo, and the order is placed again without it when the CA
 * answers alreadyReplaced; (*out)->replaces tells what was sent.
 */
enum acme_err	 acme_order_new(struct acme_ctx *ctx,
		    const struct acme_order_req *req, struct acme_order **out);
/* POST-as-GET of an order. */
enum acme_err	 acme_order_fetch(struct acme_ctx *ctx, const char *url,
		    struct acme_order **out);
/*
 * Polls an order while its status is pending (when until is READY) or
 * processing (until VALID), honouring Retry-After (clamped to poll_max),
 * first poll after a short wait, for at most max_wait seconds.
 * Returns ACME_OK with the order in any settled status (the caller reads
 * it), ACME_ERR_TIMEOUT if still moving at the deadline.
 */
enum acme_err	 acme_order_wait(struct acme_ctx *ctx, const char *url,
		    enum acme_status until, unsigned max_wait,
		    struct acme_order **out);
/* Parses an order body (url may be NULL); *out is the caller's. */
enum acme_err	 acme_order_parse(const char *body, size_t len,
		    const char *url, struct acme_order **out);
void		 acme_order_free(struct acme_order *o);

/* ------------------------------------------------------------------ */
/* Authorizations and challenges (authz.c, challenge.c), 7.5.           */

struct acme_challenge {
	char			*url;
	enum acme_chtype	 type;
	char			*type_name;	/* as sent */
	enum acme_status	 status;
	char			*token;		/* base64url-checked, or NULL */
	time_t			 validated;
	struct acme_problem	*error;
};

struct acme_authz {
	char			*url;
	struct acme_ident	 ident;
	enum acme_status	 status;
	time_t			 expires;
	int			 wildcard;
	struct acme_challenge	*ch;
	size_t			 nch;
};

enum acme_err	 acme_authz_fetch(struct acme_ctx *ctx, const char *url,
		    struct acme_authz **out);
/* Polls while pending, as acme_order_wait does; ACME_OK when settled. */
enum acme_err	 acme_authz_wait(struct acme_ctx *ctx, const char *url,
		    unsigned max_wait, struct acme_authz **out);
/* Deactivates an authorization (7.5.2). */
enum acme_err	 acme_authz_deactivate(struct acme_ctx *ctx, const char *url,
		    struct acme_authz **out);
enum acme_err	 acme_authz_parse(const char *body, size_t len,
		    const char *url, struct acme_authz **out);
void		 acme_authz_free(struct acme_authz *a);
/* The first challenge of type t in a, or NULL.  Borrowed. */
const struct acme_challenge *acme_authz_challenge(const struct acme_authz *a,
		    enum acme_chtype t);

/* Tells the CA to validate a challenge (7.5.1); out may be NULL. */
enum acme_err	 acme_challenge_respond(struct acme_ctx *ctx, const char *url,
		    struct acme_challenge **out);
enum acme_err	 acme_challenge_parse(const char *body, size_t len,
		    struct acme_challenge **out);
void		 acme_challenge_free(struct acme_challenge *c);

/* ------------------------------------------------------------------ */
/* Finalize, certificates, revocation (csr.c, finalize.c, cert.c,       */
/* revoke.c), 7.4 and 7.6.                                              */

/* DER CSR for the identifiers signed by certkey; *der is the caller's. */
enum acme_err	 acme_csr_new(const struct acme_key *certkey,
		    const struct acme_ident *idents, size_t nident,
		    unsigned char **der, size_t *len);
/*
 * Finalizes order with a CSR from certkey (which must not be the account
 * key).  On orderNotReady the order is read again and its real status is
 * returned in *out with ACME_ERR_STATE.  *out is the order after the call.
 */
enum acme_err	 acme_order_finalize(struct acme_ctx *ctx,
		    const struct acme_order *order,
		    const struct acme_key *certkey, struct acme_order **out);

/*
 * Downloads the chain at url (Accept: application/pem-certificate-chain).
 * With issuer_cn set, the default chain and then each Link rel="alternate"
 * chain are tried until one whose topmost certificate's issuer CN equals
 * issuer_cn; if none matches the default chain is returned.
 * Refuses a chain holding anything but CERTIFICATE blocks.
 */
enum acme_err	 acme_cert_download(struct acme_ctx *ctx, const char *url,
		    const char *issuer_cn, char **pem, size_t *len);

/* 0-terminated PEM check: only CERTIFICATE blocks, at least one, each
 * parses as X.509.  ACME_OK or ACME_ERR_PEM. */
enum acme_err	 acme_chain_check(const char *pem, size_t len);

struct acme_certinfo {
	char		 *serial;	/* lower-case hex */
	time_t		  not_before;
	time_t		  not_after;
	struct acme_ident *sans;
	size_t		  nsans;
	char		 *issuer_cn;	/* leaf's issuer CN, or NULL */
	char		 *top_issuer_cn; /* last cert's issuer CN, or NULL */
	char		 *ari_id;	/* RFC 9773 certID, or NULL w/o AKI */
};

/* Parses the leaf (first certificate) of a chain; *out is the caller's. */
enum acme_err	 acme_cert_parse(const char *pem, size_t len,
		    struct acme_certinfo **out);
/*
 * acme_cert_download, also filling *info (the caller's) as
 * acme_cert_parse would for the chain returned, from the same check:
 * each certificate of it is decoded once.
 */
enum acme_err	 acme_cert_download_info(struct acme_ctx *ctx,
		    const char *url, const char *issuer_cn, char **pem,
		    size_t *len, struct acme_certinfo **info);
void		 acme_certinfo_free(struct acme_certinfo *c);

/* RFC 5280 reason codes accepted by 7.6. */
enum acme_revoke_reason {
	ACME_RR_UNSPECIFIED = 0,
	ACME_RR_KEYCOMPROMISE = 1,
	ACME_RR_CACOMPROMISE = 2,
	ACME_RR_AFFILIATIONCHANGED = 3,
	ACME_RR_SUPERSEDED = 4,
	ACME_RR_CESSATIONOFOPERATION = 5
};

/*
 * Revokes the leaf of pem.  certkey NULL signs with the account key (kid);
 * otherwise with certkey as a jwk (7.6).  reason < 0 omits the field.
 */
enum acme_err	 acme_cert_revoke(struct acme_ctx *ctx, const char *pem,
		    size_t len, int reason, const struct acme_key *certkey);

/* ------------------------------------------------------------------ */
/* ARI (ari.c), RFC 9773.                                               */

struct acme_renewal {
	time_t	 start;
	time_t	 end;
	char	*explanation;	/* explanationURL or NULL */
	unsigned retry_after;	/* seconds from the header, 0 if none */
};

/* GET renewalInfo/<certid>; ACME_ERR_UNSUPPORTED when not advertised. */
enum acme_err	 acme_ari_fetch(struct acme_ctx *ctx, const char *certid,
		    struct acme_renewal *out);
enum acme_err	 acme_ari_parse(const char *body, size_t len,
		    struct acme_renewal *out);
void		 acme_renewal_clear(struct acme_renewal *r);

#endif /* !ACME_H */
