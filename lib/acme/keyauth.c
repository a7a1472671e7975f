/*
 * Challenge material derived from a token and the account key:
 * key authorizations (RFC 8555 section 8.1), dns-01 records (section
 * 8.4) and the tls-alpn-01 acmeIdentifier digest (RFC 8737 section 3).
 *
 * A token comes from the CA and is untrusted: it must be non-empty
 * base64url of at most TOKEN_MAX characters before it is touched.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "extern.h"

#define DNS01_PREFIX	"_acme-challenge."
#define DNS_NAME_MAX	253

/*
 * Returns ACME_OK with *out = token "." thumbprint(acct) (caller frees),
 * ACME_ERR_ARG for a bad token or arguments, or another error.
 */
enum acme_err
acme_keyauth(const struct acme_key *acct, const char *token, char **out)
{
	char		*tp = NULL, *s;
	size_t		 tlen, plen;
	enum acme_err	 rc;

	if (acct == NULL || out == NULL)
		return ACME_ERR_ARG;
	/* 8.1: the token is base64url; nothing else may pass (8.3, 8.4). */
	if (!acme_b64url_valid(token, TOKEN_MAX))
		return ACME_ERR_ARG;
	if ((rc = acme_key_thumbprint(acct, &tp)) != ACME_OK)
		return rc;

	tlen = strlen(token);
	plen = strlen(tp);
	if ((s = malloc(tlen + 1 + plen + 1)) == NULL) {
		free(tp);
		return ACME_ERR_NOMEM;
	}
	memcpy(s, token, tlen);
	s[tlen] = '.';
	memcpy(s + tlen + 1, tp, plen + 1);
	free(tp);
	*out = s;
	return ACME_OK;
}

/*
 * Sets md to SHA-256 of the key authorization for token.
 * Returns ACME_OK, or the error of acme_keyauth / ACME_ERR_CRYPTO.
 */
static enum acme_err
keyauth_digest(const struct acme_key *acct, const char *token,
    unsigned char md[32])
{
	char		*ka = NULL;
	unsigned int	 mdlen = 0;
	enum acme_err	 rc;

	if ((rc = acme_keyauth(acct, token, &ka)) != ACME_OK)
		return rc;
	if (EVP_Digest(ka, strlen(ka), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		rc = ACME_ERR_CRYPTO;
	free(ka);
	return rc;
}

/*
 * 8.4: the TXT record value, base64url(SHA-256(key authorization)),
 * always 43 characters.  Returns ACME_OK with *out (caller frees).
 */
enum acme_err
acme_dns01_value(const struct acme_key *acct, const char *token,
    char **out)
{
	unsigned char	 md[32];
	enum acme_err	 rc;

	if (out == NULL)
		return ACME_ERR_ARG;
	if ((rc = keyauth_digest(acct, token, md)) != ACME_OK)
		return rc;
	return acme_b64url_encode(md, sizeof(md), out);
}

/*
 * 8.4: the record name "_acme-challenge." + domain; a wildcard's "*."
 * is dropped (7.1.3: the authorization is for the base name).  domain
 * must pass acme_ident_check and the name must fit in 253 characters.
 * Returns ACME_OK with *out (caller frees), ACME_ERR_IDENT, or another
 * error.
 */
enum acme_err
acme_dns01_name(const char *domain, char **out)
{
	size_t	 plen, dlen;
	char	*s;

	if (domain == NULL || out == NULL)
		return ACME_ERR_ARG;
	if (acme_ident_check(ACME_ID_DNS, domain) != ACME_OK)
		return ACME_ERR_IDENT;
	if (strncmp(domain, "*.", 2) == 0)
		domain += 2;

	plen = strlen(DNS01_PREFIX);
	dlen = strlen(domain);
	if (plen + dlen > DNS_NAME_MAX)
		return ACME_ERR_IDENT;
	if ((s = malloc(plen + dlen + 1)) == NULL)
		return ACME_ERR_NOMEM;
	memcpy(s, DNS01_PREFIX, plen);
	memcpy(s + plen, domain, dlen + 1);
	*out = s;
	return ACME_OK;
}

/*
 * RFC 8737 3: the acmeIdentifier extension holds the SHA-256 of the key
 * authorization (as a 32-byte OCTET STRING, which the caller encodes).
 * Returns ACME_OK with out filled, or an error (out then unspecified).
 */
enum acme_err
acme_tlsalpn01_digest(const struct acme_key *acct, const char *token,
    unsigned char out[32])
{

	if (out == NULL)
		return ACME_ERR_ARG;
	return keyauth_digest(acct, token, out);
}
