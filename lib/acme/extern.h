/*
 * What libacme's files share among themselves.  Not installed; callers
 * use acme.h only.
 */
#ifndef ACME_EXTERN_H
#define ACME_EXTERN_H

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "acme.h"
#include "curlfn.h"

#define ACME_VERSION		"0.1"
#define NONCE_POOL		8	/* nonces kept from Replay-Nonce */
#define NONCE_MAX		256	/* longest nonce we accept */
#define URL_MAX			2048	/* longest URL we accept from a CA */
#define TOKEN_MAX		256	/* longest challenge token */
#define FIRST_POLL_MS		40	/* first poll wait; doubles after */

/* A key and its cached public JWK (RFC 7638 canonical form). */
struct acme_key {
	EVP_PKEY		*pkey;
	enum acme_keytype	 type;
	int			 has_private;
};

struct acme_ctx {
	char			*dir_url;
	char			*ca_file;
	char			*proxy;		/* "" means none */
	char			*user_agent;
	long			 connect_timeout_ms;
	long			 timeout_ms;
	size_t			 max_body;
	int			 refuse_private;
	unsigned		 nonce_retries;
	unsigned		 poll_max;

	CURL			*curl;		/* kept for connection reuse */
	struct curl_slist	*resolve;	/* unused unless set by tests */
	struct acme_directory	*dir;
	char			*nonce[NONCE_POOL];
	size_t			 nnonce;

	struct acme_key		*key;		/* borrowed account key */
	char			*kid;

	struct acme_problem	*problem;	/* last problem, or NULL */
	char			 detail[512];	/* last failure in words */

	/* cert.c: the last certificate after the leaf that a download
	 * decoded, and its PEM block (a CA's intermediates repeat). */
	char			*chain_pem;
	size_t			 chain_pemlen;
	X509			*chain_x509;
};

/* One HTTP response, as http.c saw it. */
struct http_resp {
	long	 status;
	char	*body;		/* NUL-terminated, len bytes */
	size_t	 len;
	char	*location;	/* Location header, or NULL */
	char	*nonce;		/* Replay-Nonce, or NULL */
	char	*retry_after;	/* Retry-After raw value, or NULL */
	char	*content_type;	/* lower-cased, parameters cut, or NULL */
	char   **alternates;	/* Link: rel="alternate" URLs */
	size_t	 nalt;
	char	*link_up;	/* Link: rel="up", or NULL */
};

/* http.c: libcurl, https only, timeouts, body cap, address check.
 * libcurl is loaded on a context's first transfer (curlfn.h). */
enum acme_err	 http_init(struct acme_ctx *);
void		 http_cleanup(struct acme_ctx *);
enum acme_err	 http_get(struct acme_ctx *, const char *url,
		    const char *accept, struct http_resp *);
enum acme_err	 http_head(struct acme_ctx *, const char *url,
		    struct http_resp *);
enum acme_err	 http_post(struct acme_ctx *, const char *url,
		    const char *body, size_t len, const char *accept,
		    struct http_resp *);
void		 http_resp_clear(struct http_resp *);

/* nonce.c: the Replay-Nonce pool (RFC 8555 7.2). */
enum acme_err	 nonce_take(struct acme_ctx *, char **out);
void		 nonce_put(struct acme_ctx *, const char *nonce);

/* jws.c: flattened JWS (RFC 8555 6.2, RFC 7515). */
/* Signs payload (NULL: POST-as-GET, empty payload) for url; kid NULL puts
 * the jwk in the header instead.  *out is a JSON text the caller frees. */
enum acme_err	 jws_sign(const struct acme_key *, const char *kid,
		    const char *nonce, const char *url, const char *payload,
		    char **out);
/* Builds the inner JWS object for keyChange or EAB signed with key;
 * returns a new json object in *out. */
enum acme_err	 jws_inner(const struct acme_key *signer, const char *url,
		    json_t *payload, json_t **out);
/* External Account Binding JWS (7.3.4): HS256 over the account JWK. */
enum acme_err	 jws_eab(const char *eab_kid, const char *hmac_b64url,
		    const struct acme_key *acct, const char *url,
		    json_t **out);

/* keys.c internals. */
const char	*key_alg(const struct acme_key *);	/* ES256 ... */
/* The public JWK as a json object (new reference). */
json_t		*key_jwk_json(const struct acme_key *);
/* Signs msg; ECDSA signatures come out as fixed-length r||s. */
enum acme_err	 key_sign(const struct acme_key *, const unsigned char *msg,
		    size_t len, unsigned char **sig, size_t *siglen);

/* request.c: signed POST with nonce handling and badNonce retries.
 * payload NULL is POST-as-GET.  use_jwk signs with a jwk header (with
 * signer, or the context key when signer is NULL).  A problem document
 * answer is parsed into ctx->problem and gives ACME_ERR_PROBLEM; *resp
 * is filled in every case and cleared by the caller. */
enum acme_err	 acme_post(struct acme_ctx *, const char *url,
		    json_t *payload, int use_jwk,
		    const struct acme_key *signer, const char *accept,
		    struct http_resp *resp);
/* Milliseconds on the monotonic clock. */
unsigned long long mono_ms(void);
/* Waits ms milliseconds. */
void		 sleep_ms(unsigned ms);
/* Next wait for polling: Retry-After if sent (clamped), else backoff. */
unsigned	 poll_wait_ms(const struct acme_ctx *, const struct http_resp *,
		    unsigned attempt);

/* cert.c: frees ctx's decoded certificate kept for the next download. */
void		 cert_cache_clear(struct acme_ctx *);

/* challenge.c, account.c, order.c: parse from an already-parsed object.
 * Return ACME_OK or ACME_ERR_PROTO; *out is filled (caller clears). */
enum acme_err	 challenge_from_json(const json_t *, struct acme_challenge *);
void		 challenge_clear(struct acme_challenge *);
/* request.c: a problem object embedded in an order or challenge. */
enum acme_err	 problem_from_json(const json_t *, long status,
		    struct acme_problem **out);
/* util.c */
/* Strict JSON: duplicate keys rejected, object at top.  NULL on error
 * (and ctx detail set when ctx is not NULL). */
json_t		*json_parse_obj(struct acme_ctx *, const char *body,
		    size_t len);
/* String member or NULL when absent or not a string. */
const char	*json_str(const json_t *obj, const char *key);
/* Duplicates a string member that must be an https URL of sane length.
 * Returns 0 (absent: *out NULL), or -1 when present but bad. */
int		 json_url(const json_t *obj, const char *key, char **out);
/* RFC 3339 text to time_t; -1 on error. */
time_t		 rfc3339_parse(const char *);
void		 ctx_detail(struct acme_ctx *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 ctx_problem_clear(struct acme_ctx *);
int		 url_is_https(const char *);
void		 strv_free(char **, size_t);
/* Parses an identifier object {"type","value"}; -1 on bad input. */
int		 ident_from_json(const json_t *, struct acme_ident *);
json_t		*ident_to_json(const struct acme_ident *);
void		 ident_clear(struct acme_ident *);

#endif /* !ACME_EXTERN_H */
