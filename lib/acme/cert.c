/*
 * Certificate chains: download (RFC 8555 section 7.4.2, with the Link
 * rel="alternate" chains), the strict PEM check every downloaded chain
 * must pass, and the fields of the leaf that callers need, including
 * the RFC 9773 section 4.1 certID used by ARI.
 *
 * A chain from the CA is untrusted text that ends up on disk and in a
 * web server's configuration: it must be nothing but CERTIFICATE blocks
 * separated by whitespace, each a complete DER X.509 certificate.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "extern.h"

#define CHAIN_MAX	10	/* certificates in one chain */

static const char	 pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char	 pem_end[] = "-----END ";

/*
 * Reads one PEM block of blen bytes at p, which must be exactly one
 * CERTIFICATE without headers whose DER is one X.509 certificate with
 * no trailing bytes.  Returns the certificate (caller X509_free()s) or
 * NULL.
 */
static X509 *
chain_block(const char *p, size_t blen)
{
	BIO			*bio = NULL;
	X509			*x = NULL;
	char			*buf = NULL, *name = NULL, *hdr = NULL;
	unsigned char		*data = NULL;
	const unsigned char	*dp;
	long			 dlen;

	/* A copy ending in a newline, as PEM_read_bio() likes. */
	if ((buf = malloc(blen + 1)) == NULL)
		goto out;
	memcpy(buf, p, blen);
	buf[blen] = '\n';
	if ((bio = BIO_new_mem_buf(buf, (int)blen + 1)) == NULL)
		goto out;
	if (PEM_read_bio(bio, &name, &hdr, &data, &dlen) != 1)
		goto out;
	if (strcmp(name, "CERTIFICATE") != 0 || hdr[0] != '\0' || dlen <= 0)
		goto out;
	dp = data;
	if ((x = d2i_X509(NULL, &dp, dlen)) != NULL && dp != data + dlen) {
		X509_free(x);
		x = NULL;
	}
out:
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(data);
	BIO_free(bio);
	free(buf);
	return x;
}

void
cert_cache_clear(struct acme_ctx *ctx)
{
	free(ctx->chain_pem);
	X509_free(ctx->chain_x509);
	ctx->chain_pem = NULL;
	ctx->chain_pemlen = 0;
	ctx->chain_x509 = NULL;
}

/*
 * Block p (blen bytes) of a chain after its leaf: the certificate ctx
 * decoded from the very same bytes last time (a CA sends the same
 * intermediates with every certificate, and OpenSSL 3.0 takes over a
 * million instructions to decode one), else chain_block's, kept in ctx
 * for next time.  The caller's reference either way; NULL as chain_block.
 */
static X509 *
chain_block_kept(struct acme_ctx *ctx, const char *p, size_t blen)
{
	X509	*x;
	char	*copy;

	if (ctx->chain_x509 != NULL && ctx->chain_pemlen == blen &&
	    memcmp(ctx->chain_pem, p, blen) == 0 &&
	    X509_up_ref(ctx->chain_x509) == 1)
		return ctx->chain_x509;
	if ((x = chain_block(p, blen)) == NULL)
		return NULL;
	if ((copy = malloc(blen)) != NULL && X509_up_ref(x) == 1) {
		cert_cache_clear(ctx);
		memcpy(copy, p, blen);
		ctx->chain_pem = copy;
		ctx->chain_pemlen = blen;
		ctx->chain_x509 = x;
	} else
		free(copy);
	return x;
}

/*
 * Splits pem (len bytes, NUL not needed) into its certificates: only
 * whitespace around and between blocks, every block "-----BEGIN
 * CERTIFICATE-----" through its END line, at least one, at most
 * CHAIN_MAX.  With ctx (may be NULL), the certificates after the leaf go
 * through its cache (chain_block_kept).  Returns ACME_OK with *out the
 * caller's (sk_X509_pop_free(..., X509_free)), ACME_ERR_PEM or
 * ACME_ERR_NOMEM.
 */
static enum acme_err
chain_load(const char *pem, size_t len, struct acme_ctx *ctx,
    STACK_OF(X509) **out)
{
	STACK_OF(X509)	*sk = NULL;
	X509		*x = NULL;
	const char	*end, *e;
	size_t		 pos = 0, blen;
	enum acme_err	 rc = ACME_ERR_PEM;

	*out = NULL;
	if (pem == NULL || len > INT_MAX)
		return ACME_ERR_PEM;
	if ((sk = sk_X509_new_null()) == NULL)
		return ACME_ERR_NOMEM;
	end = pem + len;
	for (;;) {
		while (pos < len && isspace((unsigned char)pem[pos]))
			pos++;
		if (pos == len)
			break;
		if (len - pos < sizeof(pem_begin) - 1 ||
		    memcmp(pem + pos, pem_begin, sizeof(pem_begin) - 1) != 0)
			goto out;	/* junk, or a block of another kind */
		e = memmem(pem + pos, len - pos, pem_end, sizeof(pem_end) - 1);
		if (e == NULL)
			goto out;	/* truncated */
		e += sizeof(pem_end) - 1;
		if ((e = memmem(e, (size_t)(end - e), "-----", 5)) == NULL)
			goto out;
		blen = (size_t)(e + 5 - (pem + pos));
		if (sk_X509_num(sk) == CHAIN_MAX ||
		    (x = ctx != NULL && sk_X509_num(sk) > 0 ?
		    chain_block_kept(ctx, pem + pos, blen) :
		    chain_block(pem + pos, blen)) == NULL)
			goto out;
		if (sk_X509_push(sk, x) == 0) {
			rc = ACME_ERR_NOMEM;
			goto out;
		}
		x = NULL;
		pos += blen;
	}
	if (sk_X509_num(sk) == 0)
		goto out;
	*out = sk;
	sk = NULL;
	rc = ACME_OK;
out:
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	return rc;
}

/*
 * Checks a chain as described in acme.h (only CERTIFICATE blocks, at
 * least one, each a valid X.509 certificate, nothing else but
 * whitespace).  Returns ACME_OK, ACME_ERR_PEM or ACME_ERR_NOMEM.
 */
enum acme_err
acme_chain_check(const char *pem, size_t len)
{
	STACK_OF(X509)	*sk;
	enum acme_err	 rc;

	if ((rc = chain_load(pem, len, NULL, &sk)) == ACME_OK)
		sk_X509_pop_free(sk, X509_free);
	return rc;
}

/*
 * Copies the first commonName of x's issuer as UTF-8 into *out (NULL
 * when there is none, or it holds a NUL).  Returns 0, or -1 on nomem.
 */
static int
cert_issuer_cn(const X509 *x, char **out)
{
	const X509_NAME	*nm;
	unsigned char	*utf = NULL;
	int		 i, n;

	*out = NULL;
	nm = X509_get_issuer_name(x);
	if ((i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1)) < 0)
		return 0;
	n = ASN1_STRING_to_UTF8(&utf,
	    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)));
	if (n < 0)
		return 0;
	if (memchr(utf, '\0', (size_t)n) == NULL &&
	    (*out = strndup((char *)utf, (size_t)n)) == NULL) {
		OPENSSL_free(utf);
		return -1;
	}
	OPENSSL_free(utf);
	return 0;
}

/* The serial number of x in lower-case hex into *out; 0 or -1. */
static int
cert_serial(const X509 *x, char **out)
{
	BIGNUM	*bn;
	char	*hex = NULL, *p;

	*out = NULL;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) ==
	    NULL || (hex = BN_bn2hex(bn)) == NULL) {
		BN_free(bn);
		return -1;
	}
	for (p = hex; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	*out = strdup(hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return *out == NULL ? -1 : 0;
}

/* 1 when the l bytes at d are all printable ASCII without spaces. */
static int
cert_printable(const unsigned char *d, int l)
{
	int	 i;

	for (i = 0; i < l; i++)
		if (d[i] <= 0x20 || d[i] >= 0x7f)
			return 0;
	return l > 0;
}

/*
 * The dNSName and iPAddress entries of x's subjectAltName into ci.
 * Names that are empty or hold anything but printable ASCII (a NUL, a
 * control character) and addresses of an odd length are skipped.
 * Returns 0, or -1 on nomem.
 */
static int
cert_sans(const X509 *x, struct acme_certinfo *ci)
{
	GENERAL_NAMES		*gns;
	const GENERAL_NAME	*gn;
	const unsigned char	*d;
	char			 ip[INET6_ADDRSTRLEN];
	struct acme_ident	*id;
	int			 i, n, l, rc = -1;

	if ((gns = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL)) ==
	    NULL || (n = sk_GENERAL_NAME_num(gns)) <= 0) {
		GENERAL_NAMES_free(gns);
		return 0;
	}
	if ((ci->sans = calloc((size_t)n, sizeof(*ci->sans))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		gn = sk_GENERAL_NAME_value(gns, i);
		id = &ci->sans[ci->nsans];
		if (gn->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(gn->d.dNSName);
			l = ASN1_STRING_length(gn->d.dNSName);
			if (!cert_printable(d, l))
				continue;
			id->type = ACME_ID_DNS;
			id->value = strndup((const char *)d, (size_t)l);
		} else if (gn->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(gn->d.iPAddress);
			l = ASN1_STRING_length(gn->d.iPAddress);
			if ((l != 4 && l != 16) || inet_ntop(l == 4 ? AF_INET :
			    AF_INET6, d, ip, sizeof(ip)) == NULL)
				continue;
			id->type = ACME_ID_IP;
			id->value = strdup(ip);
		} else
			continue;
		if (id->value == NULL)
			goto out;
		ci->nsans++;
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gns);
	return rc;
}

/*
 * The RFC 9773 4.1 certID of x: base64url(AKI keyIdentifier) "."
 * base64url(DER content octets of the serial INTEGER, so with its
 * leading 0x00 when the top bit is set).  *out is NULL when x has no
 * AKI keyIdentifier.  Returns 0, or -1 on nomem or encoding failure.
 */
static int
cert_ari_id(X509 *x, char **out)
{
	const ASN1_OCTET_STRING	*aki;
	unsigned char		*der = NULL;
	char			*a = NULL, *s = NULL;
	size_t			 off, clen, i, n;
	int			 dlen, rc = -1;

	*out = NULL;
	if ((aki = X509_get0_authority_key_id(x)) == NULL ||
	    ASN1_STRING_length(aki) <= 0)
		return 0;
	dlen = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der);
	if (dlen < 3 || der[0] != V_ASN1_INTEGER)
		goto out;
	/* X.690 8.1.3: short or long form length. */
	if (der[1] < 0x80) {
		off = 2;
		clen = der[1];
	} else {
		n = der[1] & 0x7f;
		if (n == 0 || n > 4 || (size_t)dlen < 2 + n)
			goto out;
		for (clen = 0, i = 0; i < n; i++)
			clen = clen << 8 | der[2 + i];
		off = 2 + n;
	}
	if (off + clen != (size_t)dlen || clen == 0)
		goto out;
	if (acme_b64url_encode(ASN1_STRING_get0_data(aki),
	    (size_t)ASN1_STRING_length(aki), &a) != ACME_OK ||
	    acme_b64url_encode(der + off, clen, &s) != ACME_OK)
		goto out;
	n = strlen(a) + 1 + strlen(s) + 1;
	if ((*out = malloc(n)) == NULL)
		goto out;
	snprintf(*out, n, "%s.%s", a, s);
	rc = 0;
out:
	OPENSSL_free(der);
	free(a);
	free(s);
	return rc;
}

/* x's notBefore (which 0) or notAfter (1) as time_t; -1 on error. */
static time_t
cert_time(const X509 *x, int which)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(which ? X509_get0_notAfter(x) :
	    X509_get0_notBefore(x), &tm) != 1)
		return -1;
	return timegm(&tm);
}

static enum acme_err	 cert_info(STACK_OF(X509) *, struct acme_certinfo **);

/*
 * Parses the leaf (first certificate) of a chain that passes
 * acme_chain_check(); see struct acme_certinfo.  Returns ACME_OK with
 * *out the caller's (acme_certinfo_free), ACME_ERR_PEM or
 * ACME_ERR_NOMEM.
 */
enum acme_err
acme_cert_parse(const char *pem, size_t len, struct acme_certinfo **out)
{
	STACK_OF(X509)		*sk = NULL;
	enum acme_err		 rc;

	if (out == NULL)
		return ACME_ERR_ARG;
	*out = NULL;
	if ((rc = chain_load(pem, len, NULL, &sk)) != ACME_OK)
		return rc;
	rc = cert_info(sk, out);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

/*
 * The acme_certinfo of a chain loaded by chain_load (leaf first).
 * Returns ACME_OK with *out the caller's, ACME_ERR_PEM or ACME_ERR_NOMEM.
 */
static enum acme_err
cert_info(STACK_OF(X509) *sk, struct acme_certinfo **out)
{
	struct acme_certinfo	*ci = NULL;
	X509			*leaf;
	enum acme_err		 rc;

	*out = NULL;
	rc = ACME_ERR_NOMEM;
	if ((ci = calloc(1, sizeof(*ci))) == NULL)
		goto out;
	leaf = sk_X509_value(sk, 0);
	ci->not_before = cert_time(leaf, 0);
	ci->not_after = cert_time(leaf, 1);
	if (ci->not_before == -1 || ci->not_after == -1) {
		rc = ACME_ERR_PEM;
		goto out;
	}
	if (cert_serial(leaf, &ci->serial) == -1 ||
	    cert_sans(leaf, ci) == -1 ||
	    cert_issuer_cn(leaf, &ci->issuer_cn) == -1 ||
	    cert_issuer_cn(sk_X509_value(sk, sk_X509_num(sk) - 1),
	    &ci->top_issuer_cn) == -1 ||
	    cert_ari_id(leaf, &ci->ari_id) == -1)
		goto out;
	*out = ci;
	ci = NULL;
	rc = ACME_OK;
out:
	acme_certinfo_free(ci);
	ERR_clear_error();
	return rc;
}

/* Frees c and all it holds; NULL-safe. */
void
acme_certinfo_free(struct acme_certinfo *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsans; i++)
		free(c->sans[i].value);
	free(c->sans);
	free(c->serial);
	free(c->issuer_cn);
	free(c->top_issuer_cn);
	free(c->ari_id);
	free(c);
}

/* 1 when the topmost certificate of chain sk was issued by CN cn. */
static int
cert_top_is(STACK_OF(X509) *sk, const char *cn)
{
	char	*top = NULL;
	int	 match;

	match = cert_issuer_cn(sk_X509_value(sk, sk_X509_num(sk) - 1),
	    &top) == 0 && top != NULL && strcmp(top, cn) == 0;
	free(top);
	return match;
}

/*
 * POST-as-GET of one chain URL (7.4.2) into resp and checks it: HTTP
 * 200 and the checks of acme_chain_check(), whose certificates go to
 * *sk (the caller's).  Returns ACME_OK or an error (resp is to be
 * cleared by the caller either way).
 */
static enum acme_err
cert_fetch(struct acme_ctx *ctx, const char *url, struct http_resp *resp,
    STACK_OF(X509) **sk)
{
	enum acme_err	 rc;

	*sk = NULL;
	rc = acme_post(ctx, url, NULL, 0, NULL,
	    "application/pem-certificate-chain", resp);
	if (rc != ACME_OK)
		return rc;
	if (resp->status != 200) {
		ctx_detail(ctx, "certificate download: HTTP %ld",
		    resp->status);
		return ACME_ERR_PROTO;
	}
	if ((rc = chain_load(resp->body, resp->len, ctx, sk)) != ACME_OK)
		ctx_detail(ctx, "certificate download: the chain holds "
		    "something other than certificates");
	return rc;
}

/*
 * Downloads the chain at url as acme.h describes: with issuer_cn, the
 * Link rel="alternate" chains (7.4.2) are tried in turn until one's
 * top certificate is issued by issuer_cn, else the default chain is
 * kept; an alternate that fails to download or check is skipped.
 * Returns ACME_OK with *pem (NUL-terminated, *len bytes) and, when info
 * is not NULL, *info the caller's, or the error of the default chain's
 * download.
 */
static enum acme_err
cert_download(struct acme_ctx *ctx, const char *url, const char *issuer_cn,
    char **pem, size_t *len, struct acme_certinfo **info)
{
	struct http_resp	 resp, alt;
	STACK_OF(X509)		*sk = NULL, *ask = NULL, *tsk;
	char			*tmp;
	size_t			 i;
	unsigned long long	 deadline;
	enum acme_err		 rc;

	if (ctx == NULL || url == NULL || pem == NULL || len == NULL)
		return ACME_ERR_ARG;
	*pem = NULL;
	*len = 0;
	if (info != NULL)
		*info = NULL;
	memset(&resp, 0, sizeof(resp));
	memset(&alt, 0, sizeof(alt));
	if ((rc = cert_fetch(ctx, url, &resp, &sk)) != ACME_OK)
		goto out;
	/* Alternates together get one more transfer timeout, not one
	 * each: a CA listing many slow alternates cannot hold us. */
	deadline = mono_ms() + (unsigned long long)ctx->timeout_ms;
	if (issuer_cn != NULL && !cert_top_is(sk, issuer_cn)) {
		for (i = 0; i < resp.nalt && mono_ms() < deadline; i++) {
			if (cert_fetch(ctx, resp.alternates[i], &alt, &ask) ==
			    ACME_OK && cert_top_is(ask, issuer_cn)) {
				tmp = resp.body;
				resp.body = alt.body;
				alt.body = tmp;
				resp.len = alt.len;
				tsk = sk;
				sk = ask;
				ask = tsk;
				break;
			}
			sk_X509_pop_free(ask, X509_free);
			ask = NULL;
			http_resp_clear(&alt);
		}
		/* A failed alternate is no failure of this call. */
		ctx_problem_clear(ctx);
	}
	if (info != NULL && (rc = cert_info(sk, info)) != ACME_OK)
		goto out;
	*pem = resp.body;
	*len = resp.len;
	resp.body = NULL;
out:
	sk_X509_pop_free(ask, X509_free);
	sk_X509_pop_free(sk, X509_free);
	http_resp_clear(&alt);
	http_resp_clear(&resp);
	return rc;
}

enum acme_err
acme_cert_download(struct acme_ctx *ctx, const char *url,
    const char *issuer_cn, char **pem, size_t *len)
{
	return cert_download(ctx, url, issuer_cn, pem, len, NULL);
}

enum acme_err
acme_cert_download_info(struct acme_ctx *ctx, const char *url,
    const char *issuer_cn, char **pem, size_t *len,
    struct acme_certinfo **info)
{
	if (info == NULL)
		return ACME_ERR_ARG;
	return cert_download(ctx, url, issuer_cn, pem, len, info);
}
