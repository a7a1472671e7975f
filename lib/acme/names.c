/*
 * Name tables for libacme's enums.  Each table is sized by its enum's
 * __MAX and checked with a static assertion so a new value cannot drift.
 */
#include <string.h>

#include "acme.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const errs[] = {
	[ACME_OK] = "success",
	[ACME_ERR_NOMEM] = "out of memory",
	[ACME_ERR_ARG] = "invalid argument",
	[ACME_ERR_IDENT] = "invalid identifier",
	[ACME_ERR_TRANSPORT] = "could not reach the CA",
	[ACME_ERR_TIMEOUT] = "timed out",
	[ACME_ERR_TOOBIG] = "CA response too large",
	[ACME_ERR_SCHEME] = "CA URL or redirect is not https",
	[ACME_ERR_ADDRESS] = "CA address refused (loopback or private)",
	[ACME_ERR_JSON] = "CA response is not valid JSON",
	[ACME_ERR_PROTO] = "CA response is malformed",
	[ACME_ERR_PROBLEM] = "the CA reported a problem",
	[ACME_ERR_NONCE] = "the CA kept rejecting our nonces",
	[ACME_ERR_CRYPTO] = "cryptographic operation failed",
	[ACME_ERR_PEM] = "certificate chain holds something other than "
	    "certificates",
	[ACME_ERR_UNSUPPORTED] = "the CA does not offer this",
	[ACME_ERR_STATE] = "object is not in the expected state",
};
_Static_assert(NELEM(errs) == ACME_ERR__MAX, "acme_err names");

static const char *const ptypes[] = {
	[ACME_P_UNKNOWN] = "unknown",
	[ACME_P_ACCOUNTDOESNOTEXIST] = "accountDoesNotExist",
	[ACME_P_ALREADYREPLACED] = "alreadyReplaced",
	[ACME_P_ALREADYREVOKED] = "alreadyRevoked",
	[ACME_P_BADCSR] = "badCSR",
	[ACME_P_BADNONCE] = "badNonce",
	[ACME_P_BADPUBLICKEY] = "badPublicKey",
	[ACME_P_BADREVOCATIONREASON] = "badRevocationReason",
	[ACME_P_BADSIGNATUREALGORITHM] = "badSignatureAlgorithm",
	[ACME_P_CAA] = "caa",
	[ACME_P_COMPOUND] = "compound",
	[ACME_P_CONNECTION] = "connection",
	[ACME_P_DNS] = "dns",
	[ACME_P_EXTERNALACCOUNTREQUIRED] = "externalAccountRequired",
	[ACME_P_INCORRECTRESPONSE] = "incorrectResponse",
	[ACME_P_INVALIDCONTACT] = "invalidContact",
	[ACME_P_MALFORMED] = "malformed",
	[ACME_P_ORDERNOTREADY] = "orderNotReady",
	[ACME_P_RATELIMITED] = "rateLimited",
	[ACME_P_REJECTEDIDENTIFIER] = "rejectedIdentifier",
	[ACME_P_SERVERINTERNAL] = "serverInternal",
	[ACME_P_TLS] = "tls",
	[ACME_P_UNAUTHORIZED] = "unauthorized",
	[ACME_P_UNSUPPORTEDCONTACT] = "unsupportedContact",
	[ACME_P_UNSUPPORTEDIDENTIFIER] = "unsupportedIdentifier",
	[ACME_P_USERACTIONREQUIRED] = "userActionRequired",
};
_Static_assert(NELEM(ptypes) == ACME_P__MAX, "acme_ptype names");

static const char *const statuses[] = {
	[ACME_S_INVALID] = "invalid",
	[ACME_S_PENDING] = "pending",
	[ACME_S_READY] = "ready",
	[ACME_S_PROCESSING] = "processing",
	[ACME_S_VALID] = "valid",
	[ACME_S_DEACTIVATED] = "deactivated",
	[ACME_S_EXPIRED] = "expired",
	[ACME_S_REVOKED] = "revoked",
};
_Static_assert(NELEM(statuses) == ACME_S__MAX, "acme_status names");

static const char *const keytypes[] = {
	[ACME_KEY_EC256] = "ec-256",
	[ACME_KEY_EC384] = "ec-384",
	[ACME_KEY_RSA2048] = "rsa-2048",
	[ACME_KEY_RSA3072] = "rsa-3072",
	[ACME_KEY_RSA4096] = "rsa-4096",
};
_Static_assert(NELEM(keytypes) == ACME_KEY__MAX, "acme_keytype names");

static const char *const chtypes[] = {
	[ACME_CH_UNKNOWN] = "unknown",
	[ACME_CH_HTTP01] = "http-01",
	[ACME_CH_DNS01] = "dns-01",
	[ACME_CH_TLSALPN01] = "tls-alpn-01",
};
_Static_assert(NELEM(chtypes) == ACME_CH__MAX, "acme_chtype names");

const char *
acme_strerror(enum acme_err err)
{
	if ((unsigned)err >= ACME_ERR__MAX)
		return "unknown error";
	return errs[err];
}

const char *
acme_ptype_name(enum acme_ptype t)
{
	if ((unsigned)t >= ACME_P__MAX)
		return ptypes[ACME_P_UNKNOWN];
	return ptypes[t];
}

const char *
acme_status_name(enum acme_status s)
{
	if ((unsigned)s >= ACME_S__MAX)
		return statuses[ACME_S_INVALID];
	return statuses[s];
}

enum acme_status
acme_status_parse(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return ACME_S_INVALID;
	for (i = 0; i < NELEM(statuses); i++)
		if (strcmp(s, statuses[i]) == 0)
			return (enum acme_status)i;
	return ACME_S_INVALID;
}

const char *
acme_keytype_name(enum acme_keytype t)
{
	if ((unsigned)t >= ACME_KEY__MAX)
		return "unknown";
	return keytypes[t];
}

int
acme_keytype_parse(const char *name, enum acme_keytype *out)
{
	size_t	 i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NELEM(keytypes); i++)
		if (strcmp(name, keytypes[i]) == 0) {
			*out = (enum acme_keytype)i;
			return 0;
		}
	return -1;
}

const char *
acme_chtype_name(enum acme_chtype t)
{
	if ((unsigned)t >= ACME_CH__MAX)
		return chtypes[ACME_CH_UNKNOWN];
	return chtypes[t];
}

enum acme_chtype
acme_chtype_parse(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return ACME_CH_UNKNOWN;
	for (i = 1; i < NELEM(chtypes); i++)
		if (strcmp(s, chtypes[i]) == 0)
			return (enum acme_chtype)i;
	return ACME_CH_UNKNOWN;
}

enum acme_ptype
acme_ptype_parse(const char *type)
{
	static const char	 pfx[] = "urn:ietf:params:acme:error:";
	size_t			 i;

	if (type == NULL || strncmp(type, pfx, sizeof(pfx) - 1) != 0)
		return ACME_P_UNKNOWN;
	type += sizeof(pfx) - 1;
	for (i = 1; i < NELEM(ptypes); i++)
		if (strcmp(type, ptypes[i]) == 0)
			return (enum acme_ptype)i;
	return ACME_P_UNKNOWN;
}
