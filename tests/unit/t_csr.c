/*
 * CSRs (RFC 8555 7.4, RFC 8738 4): the DER parses back with OpenSSL,
 * the signature verifies with the certificate key, the subject and the
 * subjectAltName hold what was asked; bad identifier lists are refused.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "extern.h"
#include "tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Returns 1 when gn is the identifier id, else 0. */
static int
gn_is(const GENERAL_NAME *gn, const struct acme_ident *id)
{
	unsigned char	 addr[16];
	int		 af, len, type;
	const ASN1_STRING *s;

	s = GENERAL_NAME_get0_value(gn, &type);
	if (id->type == ACME_ID_DNS)
		return type == GEN_DNS && ASN1_STRING_length(s) ==
		    (int)strlen(id->value) && memcmp(ASN1_STRING_get0_data(s),
		    id->value, strlen(id->value)) == 0;
	af = strchr(id->value, ':') != NULL ? AF_INET6 : AF_INET;
	len = af == AF_INET6 ? 16 : 4;
	return type == GEN_IPADD && inet_pton(af, id->value, addr) == 1 &&
	    ASN1_STRING_length(s) == len &&
	    memcmp(ASN1_STRING_get0_data(s), addr, len) == 0;
}

/*
 * Makes a CSR for idents with key and checks it: parses, verifies, holds
 * the key, CN as expected (NULL: empty subject), SANs in order, the SAN
 * critical exactly when the subject is empty, signed with sig_nid.
 */
static void
check(const struct acme_key *key, const struct acme_ident *idents,
    size_t n, const char *cn, int sig_nid, const char *what)
{
	unsigned char		*der = NULL;
	const unsigned char	*p;
	size_t			 len = 0, i;
	X509_REQ		*req = NULL;
	X509_NAME		*subj;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION		*ext;
	GENERAL_NAMES		*gens = NULL;
	char			 buf[256];
	int			 good, idx;

	ok(acme_csr_new(key, idents, n, &der, &len) == ACME_OK && len > 0,
	    "%s: CSR made", what);
	p = der;
	ok(der != NULL && (req = d2i_X509_REQ(NULL, &p, (long)len)) != NULL &&
	    p == der + len, "%s: DER parses back, no trailing bytes", what);
	if (req == NULL) {
		free(der);
		return;
	}
	ok(X509_REQ_verify(req, key->pkey) == 1, "%s: signature verifies "
	    "with the certificate key", what);
	ok(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), key->pkey) == 1,
	    "%s: holds the certificate key", what);
	is_int(X509_REQ_get_signature_nid(req), sig_nid, "SHA-256 signature");
	is_int(X509_REQ_get_version(req), 0, "version 1 (0)");

	subj = X509_REQ_get_subject_name(req);
	if (cn == NULL)
		is_int(X509_NAME_entry_count(subj), 0, "empty subject");
	else {
		buf[0] = '\0';
		X509_NAME_get_text_by_NID(subj, NID_commonName, buf,
		    sizeof(buf));
		is_int(X509_NAME_entry_count(subj), 1, "one subject entry");
		is_str(buf, cn, "subject CN");
	}

	exts = X509_REQ_get_extensions(req);
	idx = exts != NULL ? X509v3_get_ext_by_NID(exts,
	    NID_subject_alt_name, -1) : -1;
	ext = idx >= 0 ? X509v3_get_ext(exts, idx) : NULL;
	ok(ext != NULL && X509_EXTENSION_get_critical(ext) == (cn == NULL),
	    "%s: SAN present, critical iff the subject is empty", what);
	gens = ext != NULL ? X509V3_EXT_d2i(ext) : NULL;
	good = gens != NULL && (size_t)sk_GENERAL_NAME_num(gens) == n;
	for (i = 0; good && i < n; i++)
		good = gn_is(sk_GENERAL_NAME_value(gens, (int)i), &idents[i]);
	ok(good, "%s: SAN holds every identifier in order", what);

	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	free(der);
}

int
main(void)
{
	static char long_name[] = "a-very-long-label-that-goes-on-and-on-and-on"
	    ".and-is-longer-than-sixty-four.example.com";
	static char dn1[] = "example.com", dn2[] = "*.example.com";
	static char dn3[] = "www.example.org", ip4[] = "192.0.2.1";
	static char ip6[] = "2001:db8::1", bad[] = "Example.com";
	const struct acme_ident mixed[] = {
		{ ACME_ID_DNS, dn1 }, { ACME_ID_DNS, dn2 },
		{ ACME_ID_IP, ip4 }, { ACME_ID_IP, ip6 }, { ACME_ID_DNS, dn3 },
	};
	const struct acme_ident iponly[] = {
		{ ACME_ID_IP, ip6 }, { ACME_ID_IP, ip4 },
	};
	const struct acme_ident longfirst[] = {
		{ ACME_ID_DNS, long_name }, { ACME_ID_DNS, dn3 },
	};
	const struct acme_ident longonly[] = { { ACME_ID_DNS, long_name } };
	const struct acme_ident dup[] = {
		{ ACME_ID_DNS, dn1 }, { ACME_ID_DNS, dn1 },
	};
	const struct acme_ident badid[] = {
		{ ACME_ID_DNS, dn1 }, { ACME_ID_DNS, bad },
	};
	const struct acme_ident wrongtype[] = { { ACME_ID_IP, dn1 } };
	struct acme_key	*ec = NULL, *rsa = NULL, *pub = NULL;
	unsigned char	*der = NULL;
	size_t		 len = 0;
	char		*jwk = NULL;

	if (acme_key_new(ACME_KEY_EC256, &ec) != ACME_OK ||
	    acme_key_new(ACME_KEY_RSA2048, &rsa) != ACME_OK ||
	    acme_key_jwk(ec, &jwk) != ACME_OK ||
	    acme_key_parse_jwk(jwk, strlen(jwk), &pub) != ACME_OK)
		tap_bail("keys");

	check(ec, mixed, NELEM(mixed), "example.com", NID_ecdsa_with_SHA256,
	    "EC, names and addresses");
	check(rsa, mixed, NELEM(mixed), "example.com",
	    NID_sha256WithRSAEncryption, "RSA, names and addresses");
	check(ec, iponly, NELEM(iponly), NULL, NID_ecdsa_with_SHA256,
	    "addresses only");
	check(ec, longfirst, NELEM(longfirst), "www.example.org",
	    NID_ecdsa_with_SHA256, "first name over 64 characters");
	check(ec, longonly, NELEM(longonly), NULL, NID_ecdsa_with_SHA256,
	    "only a name over 64 characters");
	check(ec, &mixed[1], 1, "*.example.com", NID_ecdsa_with_SHA256,
	    "wildcard alone");

	ok(acme_csr_new(ec, mixed, 0, &der, &len) == ACME_ERR_ARG &&
	    der == NULL, "-bad- no identifiers");
	ok(acme_csr_new(ec, dup, NELEM(dup), &der, &len) == ACME_ERR_ARG,
	    "-bad- repeated identifier");
	ok(acme_csr_new(ec, badid, NELEM(badid), &der, &len) ==
	    ACME_ERR_IDENT, "-bad- invalid identifier");
	ok(acme_csr_new(ec, wrongtype, NELEM(wrongtype), &der, &len) ==
	    ACME_ERR_IDENT, "-bad- name typed as an address");
	ok(acme_csr_new(pub, mixed, NELEM(mixed), &der, &len) ==
	    ACME_ERR_ARG, "-bad- public-only key");
	ok(acme_csr_new(NULL, mixed, NELEM(mixed), &der, &len) ==
	    ACME_ERR_ARG, "-bad- no key");

	free(jwk);
	acme_key_free(pub);
	acme_key_free(rsa);
	acme_key_free(ec);
	return tap_done();
}
