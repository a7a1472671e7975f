/*
 * Certificate chains, built here with OpenSSL: a root, an intermediate
 * whose subjectKeyIdentifier is the one of the RFC 9773 4.1 example,
 * and a leaf with DNS and IP SANs and an AKI.  acme_cert_parse() must
 * give the serial, dates, SANs, issuer CNs and the certID of the RFC's
 * example ("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", written out here, not
 * computed); acme_chain_check() must refuse key blocks, junk, empty and
 * truncated input.  Then a local TLS server on an ephemeral port (a
 * child process) serves canned answers so the transport is exercised
 * end to end: Link/Replay-Nonce/Content-Type headers, redirects, the
 * body cap, the directory, newNonce, ARI and acme_cert_download() with
 * its rel="alternate" chains.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "extern.h"
#include "tap.h"

#define NB	1700000000	/* notBefore of every certificate */
#define NA	1707776000	/* notAfter */
#define RFC_SKI	"69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4"

static time_t	 nb = NB, na = NA;	/* validity of new certificates */
static EVP_PKEY	*rootkey, *interkey, *leafkey;
static X509	*root, *inter, *leaf, *rootb, *interb;
static char	*chain_a, *chain_b, *chain_key;	/* PEM texts */

/* Adds extension nid=val to x, issuer giving AKI data. */
static void
addext(X509 *x, X509 *issuer, int nid, const char *val)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*e;

	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, nid, val)) == NULL ||
	    !X509_add_ext(x, e, -1))
		tap_bail("extension %d=%s", nid, val);
	X509_EXTENSION_free(e);
}

/*
 * A certificate for key named cn, signed by ikey as issuer (NULL:
 * self-signed).  serial is hex; ski NULL for none; san NULL for none.
 */
static X509 *
mkcert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
    const char *serial, const char *ski, const char *san, int aki, int ca)
{
	X509	*x;
	BIGNUM	*bn = NULL;

	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !BN_hex2bn(&bn, serial) ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(issuer != NULL ?
	    issuer : x)) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL ||
	    !X509_set_pubkey(x, key))
		tap_bail("building %s", cn);
	BN_free(bn);
	if (ca)
		addext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
	if (ski != NULL)
		addext(x, issuer, NID_subject_key_identifier, ski);
	if (aki)
		addext(x, issuer, NID_authority_key_identifier, "keyid:always");
	if (san != NULL)
		addext(x, issuer, NID_subject_alt_name, san);
	if (!X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()))
		tap_bail("signing %s", cn);
	return x;
}

/* PEM text of the certificates (and key when not NULL); caller frees. */
static char *
pem_of(X509 *a, X509 *b, EVP_PKEY *key)
{
	BIO	*bio;
	char	*p, *s;
	long	 n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    (a != NULL && !PEM_write_bio_X509(bio, a)) ||
	    (b != NULL && !PEM_write_bio_X509(bio, b)) ||
	    (key != NULL && !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
	    NULL, NULL)))
		tap_bail("PEM writing");
	n = BIO_get_mem_data(bio, &p);
	if ((s = strndup(p, (size_t)n)) == NULL)
		tap_bail("strndup");
	BIO_free(bio);
	return s;
}

/* One PEM block named name holding len bytes of data; caller frees. */
static char *
pem_block(const char *name, const char *hdr, const unsigned char *data,
    long len)
{
	BIO	*bio;
	char	*p, *s;
	long	 n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio(bio, name, hdr, data, len))
		tap_bail("PEM_write_bio");
	n = BIO_get_mem_data(bio, &p);
	if ((s = strndup(p, (size_t)n)) == NULL)
		tap_bail("strndup");
	BIO_free(bio);
	return s;
}

/* Concatenation of a and b (freed) into a new string. */
static char *
cat(char *a, const char *b)
{
	char	*s;

	if ((s = malloc(strlen(a) + strlen(b) + 1)) == NULL)
		tap_bail("malloc");
	strcpy(s, a);
	strcat(s, b);
	free(a);
	return s;
}

static void
setup(void)
{
	if ((rootkey = EVP_EC_gen("P-256")) == NULL ||
	    (interkey = EVP_EC_gen("P-256")) == NULL ||
	    (leafkey = EVP_EC_gen("P-256")) == NULL)
		tap_bail("key generation");
	root = mkcert(rootkey, "Test Root A", NULL, NULL, "01", "hash", NULL,
	    0, 1);
	inter = mkcert(interkey, "Test Intermediate", root, rootkey, "02",
	    RFC_SKI, NULL, 1, 1);
	leaf = mkcert(leafkey, "leaf.example", inter, interkey, "0087654321",
	    NULL, "DNS:example.com,DNS:*.example.com,IP:192.0.2.1,"
	    "IP:2001:db8::1", 1, 0);
	rootb = mkcert(rootkey, "Test Root B", NULL, NULL, "03", "hash", NULL,
	    0, 1);
	interb = mkcert(interkey, "Test Intermediate", rootb, rootkey, "04",
	    RFC_SKI, NULL, 1, 1);
	chain_a = pem_of(leaf, inter, NULL);
	chain_b = pem_of(leaf, interb, NULL);
	chain_key = pem_of(leaf, inter, leafkey);
}

static void
t_parse(void)
{
	static const struct {
		const char	*serial, *id, *why;
	} sc[] = {
		{ "1234", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.EjQ",
		  "certID: serial without a leading zero" },
		{ "ffffffffffffffffffffffffffffffffffffffff",
		  "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AP__________________________",
		  "certID: 20-byte serial keeps the DER sign octet" },
		{ "05", NULL, "no AKI: no certID" },
	};
	struct acme_certinfo	*ci = NULL;
	X509			*x;
	char			*pem;
	size_t			 i;

	is_int(acme_cert_parse(chain_a, strlen(chain_a), &ci), ACME_OK,
	    "parse leaf + intermediate");
	if (ci == NULL)
		tap_bail("no certinfo");
	is_str(ci->serial, "87654321", "serial in lower-case hex");
	is_int(ci->not_before, NB, "notBefore");
	is_int(ci->not_after, NA, "notAfter");
	is_int(ci->nsans, 4, "four SANs");
	if (ci->nsans == 4) {
		ok(ci->sans[0].type == ACME_ID_DNS &&
		    strcmp(ci->sans[0].value, "example.com") == 0, "SAN dns");
		ok(ci->sans[1].type == ACME_ID_DNS &&
		    strcmp(ci->sans[1].value, "*.example.com") == 0,
		    "SAN wildcard");
		ok(ci->sans[2].type == ACME_ID_IP &&
		    strcmp(ci->sans[2].value, "192.0.2.1") == 0, "SAN IPv4");
		ok(ci->sans[3].type == ACME_ID_IP &&
		    strcmp(ci->sans[3].value, "2001:db8::1") == 0, "SAN IPv6");
	} else
		tap_skip(4, "SAN count");
	is_str(ci->issuer_cn, "Test Intermediate", "issuer CN");
	is_str(ci->top_issuer_cn, "Test Root A", "top issuer CN");
	is_str(ci->ari_id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
	    "certID equals RFC 9773 4.1's example");
	acme_certinfo_free(ci);

	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		x = mkcert(leafkey, "other", inter, interkey, sc[i].serial,
		    NULL, NULL, sc[i].id != NULL, 0);
		pem = pem_of(x, NULL, NULL);
		if (acme_cert_parse(pem, strlen(pem), &ci) != ACME_OK)
			tap_bail("parse serial %s", sc[i].serial);
		is_str(ci->serial, sc[i].serial, "serial hex");
		is_str(ci->ari_id, sc[i].id, sc[i].why);
		ok(ci->nsans == 0 && ci->top_issuer_cn != NULL &&
		    strcmp(ci->top_issuer_cn, "Test Intermediate") == 0,
		    "single certificate: no SANs, top is the leaf's issuer");
		acme_certinfo_free(ci);
		free(pem);
		X509_free(x);
	}

	x = mkcert(leafkey, "ctl", inter, interkey, "06", NULL,
	    "DNS:ok.example,DNS:bad\x1b[2J.example", 1, 0);
	pem = pem_of(x, NULL, NULL);
	if (acme_cert_parse(pem, strlen(pem), &ci) != ACME_OK)
		tap_bail("parse ctl");
	ok(ci->nsans == 1 && strcmp(ci->sans[0].value, "ok.example") == 0,
	    "SAN with a control character skipped");
	acme_certinfo_free(ci);
	free(pem);
	X509_free(x);

	ci = (struct acme_certinfo *)1;
	is_int(acme_cert_parse(chain_key, strlen(chain_key), &ci),
	    ACME_ERR_PEM, "parse refuses a chain with a key");
	ok(ci == NULL, "no certinfo on failure");
	acme_certinfo_free(NULL);
}

/* Expects acme_chain_check(s) == want. */
static void
check(const char *s, size_t len, enum acme_err want, const char *name)
{

	is_int(acme_chain_check(s, len), want, name);
}

static void
t_check(void)
{
	unsigned char	*der = NULL;
	char		*s, *t, *p;
	int		 n, i;
	size_t		 len = strlen(chain_a);

	check(chain_a, len, ACME_OK, "leaf + intermediate");
	check(chain_a, len - 1, ACME_OK, "no final newline");
	check(chain_key, strlen(chain_key), ACME_ERR_PEM,
	    "PRIVATE KEY block refused");
	s = cat(strdup("junk\n"), chain_a);
	check(s, strlen(s), ACME_ERR_PEM, "leading junk");
	free(s);
	s = cat(strdup(chain_a), "trailing junk\n");
	check(s, strlen(s), ACME_ERR_PEM, "trailing junk");
	free(s);
	s = pem_of(leaf, NULL, NULL);
	s = cat(s, "\nhello\n");
	t = pem_of(inter, NULL, NULL);
	s = cat(s, t);
	free(t);
	check(s, strlen(s), ACME_ERR_PEM, "junk between blocks");
	free(s);
	s = cat(strdup(" \n\t"), chain_a);
	s = cat(s, "\r\n\n  ");
	check(s, strlen(s), ACME_OK, "whitespace around blocks");
	free(s);
	check("", 0, ACME_ERR_PEM, "empty");
	check(" \n\t\n", 4, ACME_ERR_PEM, "only whitespace");
	check(NULL, 0, ACME_ERR_PEM, "NULL");
	check(chain_a, len / 2, ACME_ERR_PEM, "truncated in the middle");
	check(chain_a, len - 7, ACME_ERR_PEM, "END line cut short");
	t = pem_of(leaf, NULL, NULL);
	check(t, strlen(t) - 27, ACME_ERR_PEM, "END line missing");
	free(t);
	if ((s = strdup(chain_a)) == NULL)
		tap_bail("strdup");
	s[len / 4] = '\0';
	check(s, len, ACME_ERR_PEM, "NUL inside");
	s[len / 4] = '!';
	check(s, len, ACME_ERR_PEM, "bad base64 character");
	free(s);

	s = strdup(chain_a);
	if ((p = strstr(s, "\n-----BEGIN CERTIFICATE-----")) != NULL)
		memcpy(p + 12, "TRUSTED", 7);	/* label mismatch */
	check(s, strlen(s), ACME_ERR_PEM, "other label for the 2nd block");
	free(s);

	t = pem_of(NULL, NULL, leafkey);
	check(t, strlen(t), ACME_ERR_PEM, "key alone refused");
	free(t);
	if ((n = i2d_PrivateKey(leafkey, &der)) <= 0)
		tap_bail("i2d_PrivateKey");
	s = pem_block("CERTIFICATE", "", der, n);
	check(s, strlen(s), ACME_ERR_PEM, "key DER labelled CERTIFICATE");
	free(s);
	OPENSSL_free(der);
	der = NULL;

	if ((n = i2d_X509(leaf, &der)) <= 0 ||
	    (p = malloc((size_t)n + 1)) == NULL)
		tap_bail("i2d_X509");
	memcpy(p, der, (size_t)n);
	p[n] = 0;
	s = pem_block("CERTIFICATE", "", (unsigned char *)p, n + 1);
	check(s, strlen(s), ACME_ERR_PEM, "trailing byte after the DER");
	free(s);
	s = pem_block("CERTIFICATE", "Proc-Type: 4,ENCRYPTED\n"
	    "DEK-Info: AES-128-CBC,00000000000000000000000000000000\n",
	    der, n);
	check(s, strlen(s), ACME_ERR_PEM, "PEM headers refused");
	free(s);
	s = pem_block("CERTIFICATE", "", der, n);
	check(s, strlen(s), ACME_OK, "plain block from DER");
	for (i = 1, t = strdup(s); i < 10; i++)
		t = cat(t, s);
	check(t, strlen(t), ACME_OK, "ten certificates");
	t = cat(t, s);
	check(t, strlen(t), ACME_ERR_PEM, "eleven certificates");
	free(t);
	free(s);
	free(p);
	OPENSSL_free(der);

	if ((s = malloc(2 * len + 1)) == NULL)
		tap_bail("malloc");
	for (p = s, t = chain_a; *t != '\0'; t++) {
		if (*t == '\n')
			*p++ = '\r';
		*p++ = *t;
	}
	*p = '\0';
	check(s, strlen(s), ACME_OK, "CRLF line ends");
	free(s);
}

/* ------------------------------------------------------------------ */
/* A local TLS server answering from a table, in a child process.      */

static int	 port;
static pid_t	 server_pid = -1;
static char	 cafile[64];

/* Writes the canned answer for method and path to ssl. */
static void
serve_one(SSL *ssl, const char *method, const char *path, int n)
{
	char		 b[8192], base[64], hdr[2048];
	const char	*body = "", *status = "200 OK";
	const char	*ct = "application/json";
	char		*big = NULL;
	int		 len, two;

	snprintf(base, sizeof(base), "https://127.0.0.1:%d", port);
	hdr[0] = '\0';
	if (strcmp(path, "/dir") == 0 || strcmp(path, "/dir2") == 0) {
		two = path[4] == '2';	/* without renewalInfo */
		snprintf(b, sizeof(b), "{\"newNonce\":\"%s/%s\",\"newAccount\":"
		    "\"%s/acct\",\"newOrder\":\"%s/order\",\"revokeCert\":"
		    "\"%s/revoke\",\"keyChange\":\"%s/key\"%s%s%s}", base,
		    two ? "nonce-none" : "nonce", base, base, base, base,
		    two ? "" : ",\"renewalInfo\":\"", two ? "" : base,
		    two ? "" : "/ari\"");
		body = b;
	} else if (strcmp(path, "/hdrs") == 0) {
		snprintf(hdr, sizeof(hdr), "Content-Type: Application/PEM-"
		    "Certificate-Chain ; charset=x\r\nLink: <%s/alt1>;rel="
		    "\"alternate\", <%s/up>; rel=up, <http://evil.example/x>;"
		    "rel=\"alternate\"\r\nLink: <%s/alt2>; title="
		    "\"a,b;c\\\"\"; rel=\"alternate up\"\r\n"
		    "Link: <%s/next>;rel=\"next\"\r\n"
		    "Replay-Nonce: bad nonce!\r\nRetry-After: 120\r\n"
		    "Location: %s/loc\r\n", base, base, base, base, base);
		ct = NULL;
		body = "hello";
	} else if (strcmp(path, "/redir") == 0) {
		status = "302 Found";
		snprintf(hdr, sizeof(hdr), "Location: /final\r\nReplay-Nonce: "
		    "redirNonce\r\nRetry-After: 5\r\nLink: <%s/x>;rel="
		    "\"alternate\"\r\n", base);
	} else if (strcmp(path, "/final") == 0) {
		snprintf(hdr, sizeof(hdr), "Replay-Nonce: finalNonce\r\n");
		body = "{}";
	} else if (strcmp(path, "/redir-http") == 0) {
		status = "302 Found";
		snprintf(hdr, sizeof(hdr), "Location: http://127.0.0.1:%d/final"
		    "\r\n", port);
	} else if (strncmp(path, "/big", 4) == 0 ||
	    strcmp(path, "/exact") == 0) {
		len = path[1] == 'e' ? 1000 : 5000;
		if ((big = malloc((size_t)len + 1)) == NULL)
			_exit(1);
		memset(big, 'x', (size_t)len);
		big[len] = '\0';
		body = big;
	} else if (strcmp(path, "/nonce") == 0) {
		snprintf(hdr, sizeof(hdr), "Replay-Nonce: headNonce%d\r\n", n);
	} else if (strcmp(path, "/nonce-none") == 0) {
		/* no nonce */
	} else if (strncmp(path, "/ari/", 5) == 0) {
		snprintf(hdr, sizeof(hdr), "Retry-After: 30\r\n");
		body = "{\"suggestedWindow\":{\"start\":"
		    "\"2025-01-02T03:04:05Z\",\"end\":"
		    "\"2025-01-03T03:04:05Z\"}}";
	} else if (strcmp(path, "/dir-problem") == 0) {
		status = "503 Service Unavailable";
		ct = "application/problem+json";
		body = "{\"type\":\"urn:ietf:params:acme:error:"
		    "serverInternal\",\"detail\":\"down\"}";
	} else if (strncmp(path, "/cert", 5) == 0) {
		ct = "application/pem-certificate-chain";
		body = strcmp(path, "/cert") == 0 ? chain_a :
		    strcmp(path, "/cert-b") == 0 ? chain_b :
		    strcmp(path, "/cert-key") == 0 ? chain_key : "junk";
		if (strcmp(path, "/cert") == 0)
			snprintf(hdr, sizeof(hdr), "Link: <%s/cert-key>;rel="
			    "\"alternate\"\r\nLink: <%s/cert-b>;rel=\"alternate"
			    "\"\r\n", base, base);
		snprintf(hdr + strlen(hdr), sizeof(hdr) - strlen(hdr),
		    "Replay-Nonce: postNonce%d\r\n", n);
	} else {
		status = "404 Not Found";
		ct = "application/problem+json";
		body = "{\"type\":\"urn:ietf:params:acme:error:malformed\"}";
	}
	len = snprintf(b + 4096, 4096, "HTTP/1.1 %s\r\n%s%s%s%s"
	    "Connection: close\r\n\r\n", status, hdr, ct ? "Content-Type: " :
	    "", ct ? ct : "", ct ? "\r\n" : "");
	if (strcmp(path, "/big-close") != 0)
		len += snprintf(b + 4096 + len - 4, 4096 - (size_t)len + 4,
		    "Content-Length: %zu\r\n\r\n", strlen(body)) - 4;
	SSL_write(ssl, b + 4096, len);
	if (strcmp(method, "HEAD") != 0 && body[0] != '\0')
		SSL_write(ssl, body, (int)strlen(body));
	free(big);
}

/* The child: accepts connections forever, one request each. */
static void
serve(int lfd, X509 *cert, EVP_PKEY *key)
{
	SSL_CTX	*sctx;
	SSL	*ssl;
	char	 req[16384], method[16], path[512];
	int	 fd, n, got, i;

	signal(SIGPIPE, SIG_IGN);
	if ((sctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    !SSL_CTX_use_certificate(sctx, cert) ||
	    !SSL_CTX_use_PrivateKey(sctx, key))
		_exit(1);
	for (i = 0;; i++) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		ssl = SSL_new(sctx);
		SSL_set_fd(ssl, fd);
		got = 0;
		if (SSL_accept(ssl) == 1) {
			while (got < (int)sizeof(req) - 1 && (n = SSL_read(ssl,
			    req + got, (int)sizeof(req) - 1 - got)) > 0) {
				got += n;
				req[got] = '\0';
				if (strstr(req, "\r\n\r\n") != NULL)
					break;
			}
			/* Bodies (JWS) are small: read what else is there. */
			if (strncmp(req, "POST", 4) == 0 && strstr(req,
			    "\r\n\r\n")[4] == '\0')
				SSL_read(ssl, req + got, (int)sizeof(req) - 1 -
				    got);
			if (got > 0 && sscanf(req, "%15s %511s", method,
			    path) == 2)
				serve_one(ssl, method, path, i);
			SSL_shutdown(ssl);
		}
		SSL_free(ssl);
		close(fd);
	}
}

/*
 * Starts the server with a certificate for 127.0.0.1 issued by a root
 * valid now, which goes into cafile.
 */
static void
server_start(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	EVP_PKEY		*k;
	X509			*c, *r;
	FILE			*f;
	int			 lfd, fd;

	nb = time(NULL) - 3600;
	na = time(NULL) + 3600;
	if ((k = EVP_EC_gen("P-256")) == NULL)
		tap_bail("server key");
	r = mkcert(rootkey, "Server Root", NULL, NULL, "09", "hash", NULL, 0,
	    1);
	c = mkcert(k, "127.0.0.1", r, rootkey, "0a", NULL, "IP:127.0.0.1",
	    1, 0);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		tap_bail("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    listen(lfd, 16) == -1)
		tap_bail("listen");
	port = ntohs(sin.sin_port);
	snprintf(cafile, sizeof(cafile), "/tmp/t_chain.XXXXXX");
	if ((fd = mkstemp(cafile)) == -1 || (f = fdopen(fd, "w")) == NULL ||
	    !PEM_write_X509(f, r) || fclose(f) != 0)
		tap_bail("CA file");
	if ((server_pid = fork()) == -1)
		tap_bail("fork");
	if (server_pid == 0)
		serve(lfd, c, k);
	close(lfd);
	X509_free(r);
	X509_free(c);
	EVP_PKEY_free(k);
}

/* A context on the test server's path with body cap max. */
static struct acme_ctx *
srvctx(const char *path, size_t max)
{
	struct acme_opts	 o;
	struct acme_ctx		*ctx;
	char			 url[128];

	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", port, path);
	memset(&o, 0, sizeof(o));
	o.directory_url = url;
	o.ca_file = cafile;
	o.max_body = max;
	o.timeout_ms = 5000;
	if (acme_ctx_new(&o, &ctx) != ACME_OK)
		tap_bail("acme_ctx_new");
	return ctx;
}

/* http_get() of path on the test server. */
static enum acme_err
get(struct acme_ctx *ctx, const char *path, struct http_resp *r)
{
	char	 url[128];

	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", port, path);
	return http_get(ctx, url, NULL, r);
}

static void
t_http(void)
{
	struct acme_ctx		*ctx = srvctx("/dir", 1000);
	struct http_resp	 r;
	char			 u[128];
	size_t			 i;
	int			 pooled;

	is_int(get(ctx, "/hdrs", &r), ACME_OK, "GET with many headers");
	is_int(r.status, 200, "status 200");
	is_str(r.body, "hello", "body");
	is_str(r.content_type, "application/pem-certificate-chain",
	    "Content-Type lower-cased, parameters cut");
	is_int(r.nalt, 2, "two https alternates (http and rel=next skipped)");
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/alt1", port);
	ok(r.nalt == 2 && strcmp(r.alternates[0], u) == 0, "alternate 1");
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/alt2", port);
	ok(r.nalt == 2 && strcmp(r.alternates[1], u) == 0,
	    "alternate 2 (quoted title with , ; and \\\")");
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/up", port);
	is_str(r.link_up, u, "first rel=up kept");
	ok(r.nonce == NULL, "invalid Replay-Nonce ignored");
	is_str(r.retry_after, "120", "Retry-After");
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/loc", port);
	is_str(r.location, u, "Location");
	http_resp_clear(&r);

	is_int(get(ctx, "/redir", &r), ACME_OK, "redirect followed");
	is_str(r.body, "{}", "final body");
	is_str(r.nonce, "finalNonce", "final nonce");
	ok(r.retry_after == NULL && r.nalt == 0,
	    "redirect hop's headers dropped");
	for (i = 0, pooled = 0; i < ctx->nnonce; i++)
		pooled |= strcmp(ctx->nonce[i], "finalNonce") == 0 ? 1 :
		    strcmp(ctx->nonce[i], "redirNonce") == 0 ? 2 : 0;
	is_int(pooled, 1, "final nonce pooled, the hop's not");
	http_resp_clear(&r);

	is_int(get(ctx, "/redir-http", &r), ACME_ERR_SCHEME,
	    "redirect to http refused");
	http_resp_clear(&r);
	is_int(get(ctx, "/big-cl", &r), ACME_ERR_TOOBIG,
	    "body over the cap (Content-Length)");
	http_resp_clear(&r);
	is_int(get(ctx, "/big-close", &r), ACME_ERR_TOOBIG,
	    "body over the cap (read to close)");
	http_resp_clear(&r);
	is_int(get(ctx, "/exact", &r), ACME_OK, "body at the cap");
	is_int(r.len, 1000, "all of it");
	http_resp_clear(&r);
	acme_ctx_free(ctx);
}

static void
t_fetch(void)
{
	struct acme_ctx		*ctx = srvctx("/dir", 1000);
	struct acme_renewal	 rn;
	char			*n = NULL;

	is_int(acme_directory_fetch(ctx), ACME_OK, "directory fetched");
	ok(acme_directory_get(ctx) != NULL &&
	    acme_directory_get(ctx)->renewal_info != NULL, "with ARI");
	while (ctx->nnonce > 0) {
		free(ctx->nonce[--ctx->nnonce]);
		ctx->nonce[ctx->nnonce] = NULL;
	}
	ok(nonce_take(ctx, &n) == ACME_OK && n != NULL &&
	    strncmp(n, "headNonce", 9) == 0, "empty pool: HEAD newNonce");
	free(n);
	is_int(acme_ari_fetch(ctx, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
	    &rn), ACME_OK, "ARI fetched");
	is_int(rn.start, 1735787045, "ARI start");
	is_int(rn.retry_after, 60, "Retry-After 30 raised to a minute");
	acme_renewal_clear(&rn);
	is_int(acme_ari_fetch(ctx, "../../admin", &rn), ACME_ERR_ARG,
	    "certID that is not base64url refused");
	acme_ctx_free(ctx);

	ctx = srvctx("/dir2", 1000);
	is_int(acme_ari_fetch(ctx, "aYhb.AIdl", &rn), ACME_ERR_UNSUPPORTED,
	    "no renewalInfo: unsupported");
	while (ctx->nnonce > 0) {
		free(ctx->nonce[--ctx->nnonce]);
		ctx->nonce[ctx->nnonce] = NULL;
	}
	is_int(nonce_take(ctx, &n), ACME_ERR_PROTO, "newNonce without nonce");
	acme_ctx_free(ctx);

	ctx = srvctx("/dir-problem", 1000);
	is_int(acme_directory_fetch(ctx), ACME_ERR_PROBLEM,
	    "directory answered with a problem");
	ok(acme_problem_get(ctx) != NULL &&
	    acme_problem_get(ctx)->ptype == ACME_P_SERVERINTERNAL &&
	    acme_problem_get(ctx)->status == 503, "problem kept in context");
	acme_ctx_free(ctx);
}

static void
t_download(void)
{
	struct acme_ctx	*ctx = srvctx("/dir", 0);
	struct acme_key	*key = NULL;
	char		 url[128], *pem = NULL;
	size_t		 len = 0;

	if (acme_key_new(ACME_KEY_EC256, &key) != ACME_OK ||
	    acme_ctx_set_account(ctx, key, "https://127.0.0.1/acct/1") !=
	    ACME_OK)
		tap_bail("account key");
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/cert", port);
	is_int(acme_cert_download(ctx, url, NULL, &pem, &len), ACME_OK,
	    "download default chain");
	ok(pem != NULL && len == strlen(chain_a) &&
	    strcmp(pem, chain_a) == 0, "default chain");
	free(pem);
	is_int(acme_cert_download(ctx, url, "Test Root B", &pem, &len),
	    ACME_OK, "download preferring Test Root B");
	ok(pem != NULL && strcmp(pem, chain_b) == 0,
	    "alternate with a key skipped, Root B chain chosen");
	free(pem);
	is_int(acme_cert_download(ctx, url, "Nobody", &pem, &len), ACME_OK,
	    "no chain matches");
	ok(pem != NULL && strcmp(pem, chain_a) == 0, "default chain kept");
	free(pem);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/cert-key", port);
	pem = (char *)1;
	is_int(acme_cert_download(ctx, url, NULL, &pem, &len), ACME_ERR_PEM,
	    "chain with a key refused");
	ok(pem == NULL, "nothing returned");
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/nothing", port);
	is_int(acme_cert_download(ctx, url, NULL, &pem, &len),
	    ACME_ERR_PROBLEM, "404 problem");
	acme_ctx_free(ctx);
	acme_key_free(key);
}

static void
teardown(void)
{

	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
	}
	if (cafile[0] != '\0')
		unlink(cafile);
	free(chain_a);
	free(chain_b);
	free(chain_key);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	X509_free(rootb);
	X509_free(interb);
	EVP_PKEY_free(rootkey);
	EVP_PKEY_free(interkey);
	EVP_PKEY_free(leafkey);
}

int
main(void)
{

	signal(SIGPIPE, SIG_IGN);
	setup();
	t_parse();
	t_check();
	server_start();
	t_http();
	t_fetch();
	t_download();
	teardown();
	return tap_done();
}
