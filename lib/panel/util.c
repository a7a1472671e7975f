/*
 * Small things the panel's files share: error and status names, random
 * tokens, SHA-256, UTC time text, durable file writes, escaping.
 */
/*
 * SHA256_Init, _Update and _Final (see panel_sha256_parts) are deprecated
 * in OpenSSL 3.0 in favour of EVP, on purpose here.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "panel_priv.h"

static const char *const err_names[] = {
	[PANEL_OK] = "success",
	[PANEL_ERR_NOMEM] = "out of memory",
	[PANEL_ERR_ARG] = "bad argument",
	[PANEL_ERR_DB] = "database error",
	[PANEL_ERR_BUSY] = "busy, try again",
	[PANEL_ERR_NOTFOUND] = "not found",
	[PANEL_ERR_EXISTS] = "already exists",
	[PANEL_ERR_STALE] = "lease lost",
	[PANEL_ERR_SCHEMA] = "database schema error",
	[PANEL_ERR_IO] = "file input/output error",
	[PANEL_ERR_PERM] = "unsafe file permissions",
	[PANEL_ERR_CRYPTO] = "decryption or encryption failed",
	[PANEL_ERR_AUTH] = "authentication failed",
	[PANEL_ERR_LIMIT] = "too many attempts, try later",
	[PANEL_ERR_DENIED] = "permission denied",
	[PANEL_ERR_CHAIN] = "audit chain broken",
	[PANEL_ERR_TEMPLATE] = "template error",
	[PANEL_ERR_WRITE] = "output write failed",
	[PANEL_ERR_CONFIG] = "configuration error",
	[PANEL_ERR_INVALID] = "invalid input",
};
_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == PANEL_ERR__MAX,
    "one name per panel_err");

const char *
panel_strerror(enum panel_err err)
{
	if ((int)err < 0 || err >= PANEL_ERR__MAX)
		return "unknown error";
	return err_names[err];
}

static const char *const role_names[] = {
	[PANEL_ROLE_USER] = "user",
	[PANEL_ROLE_ADMIN] = "admin",
};
_Static_assert(sizeof(role_names) / sizeof(role_names[0]) ==
    PANEL_ROLE__MAX, "one name per role");

static const char *const acc_names[] = {
	[STORE_ACC_FAILED] = "failed",
	[STORE_ACC_NEW] = "new",
	[STORE_ACC_VALID] = "valid",
	[STORE_ACC_DEACTIVATED] = "deactivated",
	[STORE_ACC_REVOKED] = "revoked",
};
_Static_assert(sizeof(acc_names) / sizeof(acc_names[0]) == STORE_ACC__MAX,
    "one name per account status");

static const char *const ord_names[] = {
	[STORE_ORD_INVALID] = "invalid",
	[STORE_ORD_NEW] = "new",
	[STORE_ORD_PENDING] = "pending",
	[STORE_ORD_READY] = "ready",
	[STORE_ORD_PROCESSING] = "processing",
	[STORE_ORD_VALID] = "valid",
	[STORE_ORD_EXPIRED] = "expired",
	[STORE_ORD_CANCELED] = "canceled",
};
_Static_assert(sizeof(ord_names) / sizeof(ord_names[0]) == STORE_ORD__MAX,
    "one name per order status");

static const char *const cert_names[] = {
	[STORE_CERT_VALID] = "valid",
	[STORE_CERT_REVOKED] = "revoked",
	[STORE_CERT_REPLACED] = "replaced",
};
_Static_assert(sizeof(cert_names) / sizeof(cert_names[0]) ==
    STORE_CERT__MAX, "one name per certificate status");

static const char *const bill_names[] = {
	[STORE_BILL_PENDING] = "pending",
	[STORE_BILL_APPROVED] = "approved",
	[STORE_BILL_DECLINED] = "declined",
	[STORE_BILL_ERROR] = "error",
};
_Static_assert(sizeof(bill_names) / sizeof(bill_names[0]) ==
    STORE_BILL__MAX, "one name per billing state");

static const char *
name_of(const char *const *tab, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? tab[v] : "invalid";
}

/* 0 with *out the index of s among tab's n names, or -1.  The first
 * characters are compared before the strings: lists parse one a row. */
static int
parse_name(const char *const *tab, size_t n, const char *s, int *out)
{
	size_t	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (tab[i][0] == s[0] && strcmp(tab[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	return -1;
}

#define NAMES(fn, pfn, type, tab)					\
const char *								\
fn(type v)								\
{									\
	return name_of(tab, sizeof(tab) / sizeof(tab[0]), (int)v);	\
}									\
int									\
pfn(const char *s, type *out)						\
{									\
	int	 v;							\
	if (parse_name(tab, sizeof(tab) / sizeof(tab[0]), s, &v) == -1)	\
		return -1;						\
	*out = (type)v;							\
	return 0;							\
}

NAMES(panel_role_name, panel_role_parse, enum panel_role, role_names)
NAMES(store_acc_status_name, store_acc_status_parse, enum store_acc_status,
    acc_names)
NAMES(store_ord_status_name, store_ord_status_parse, enum store_ord_status,
    ord_names)
NAMES(store_cert_status_name, store_cert_status_parse,
    enum store_cert_status, cert_names)
NAMES(store_bill_state_name, store_bill_state_parse, enum store_bill_state,
    bill_names)

int
store_ord_active(enum store_ord_status s)
{
	return s == STORE_ORD_NEW || s == STORE_ORD_PENDING ||
	    s == STORE_ORD_READY || s == STORE_ORD_PROCESSING;
}

enum panel_err
panel_random_token(const char *prefix, char **out)
{
	unsigned char	 rnd[32];
	char		*b = NULL;
	size_t		 plen;

	*out = NULL;
	if (panel_random(rnd, sizeof(rnd)) == -1)
		return PANEL_ERR_CRYPTO;
	if (acme_b64url_encode(rnd, sizeof(rnd), &b) != ACME_OK) {
		OPENSSL_cleanse(rnd, sizeof(rnd));
		return PANEL_ERR_NOMEM;
	}
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (prefix == NULL || *prefix == '\0') {
		*out = b;
		return PANEL_OK;
	}
	plen = strlen(prefix);
	if ((*out = malloc(plen + strlen(b) + 1)) == NULL) {
		crypt_wipe_free(b, strlen(b));
		return PANEL_ERR_NOMEM;
	}
	memcpy(*out, prefix, plen);
	strcpy(*out + plen, b);
	crypt_wipe_free(b, strlen(b));
	return PANEL_OK;
}

/*
 * The kernel's random bytes (getrandom(2), which waits only until the
 * pool is first seeded): 0, or -1.  Not RAND_bytes: its first call starts
 * OpenSSL's provider and DRBG, 1.5 MiB of resident memory in a process
 * that otherwise never needs them (see panel_sha256_parts).
 */
int
panel_random(void *buf, size_t len)
{
	unsigned char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = getrandom(p, len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * SHA-256 of the n parts of v, one after the other, as lower-case hex.
 * OpenSSL's own SHA-256 code, called directly rather than through EVP:
 * the first EVP digest of a process loads the default provider, which
 * maps about 1.5 MiB of libcrypto that a page view never uses otherwise
 * (tests/bench/panel.sh measures acme.fcgi's resident memory against 8
 * MiB); hashing a session cookie, an API token or an audit entry is all
 * the panel's own hashing.  Keys, signatures and CA traffic keep EVP.
 */
void
panel_sha256_parts(const struct panel_part *v, size_t n, char hex[65])
{
	static const char	 digits[] = "0123456789abcdef";
	SHA256_CTX		 c;
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	size_t			 i;
	int			 ok;

	ok = SHA256_Init(&c) == 1;
	for (i = 0; ok && i < n; i++)
		ok = SHA256_Update(&c, v[i].p, v[i].len) == 1;
	if (!ok || SHA256_Final(md, &c) != 1) {
		/* Cannot happen; fail closed. */
		OPENSSL_cleanse(&c, sizeof(c));
		memset(hex, '0', 64);
		hex[64] = '\0';
		return;
	}
	OPENSSL_cleanse(&c, sizeof(c));
	for (i = 0; i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[64] = '\0';
}

void
panel_sha256_hex(const void *s, size_t len, char hex[65])
{
	struct panel_part	 part = { s, len };

	panel_sha256_parts(&part, 1, hex);
}

int
panel_str_eq_ct(const char *a, const char *b)
{
	size_t	 la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb || la == 0)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* "00" to "99": the two digits of each number below 100. */
static const char digit_pairs[] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static void
put2(char *p, unsigned v)
{
	memcpy(p, digit_pairs + 2 * v, 2);
}

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define TIME_FIRST	(-62167219200LL)
#define TIME_LAST	253402300799LL
/* Seconds from -0400-03-01 (an era of 146,097 days before 0000-03-01)
 * to the epoch: every time from TIME_FIRST on counts up from 0. */
#define TIME_SHIFT	(62162035200LL + 146097LL * 86400)

/*
 * Formats t (UTC) as "YYYY-MM-DDTHH:MM:SSZ" (iso) or "YYYY-MM-DD HH:MM"
 * into buf (21 bytes); a time outside years 0..9999 gives the epoch.
 * The date is the "civil from days" algorithm of H. Hinnant (years that
 * start on March 1st, so the leap day ends a year), in unsigned
 * arithmetic from an origin before every time it takes: no locale, no
 * lock, no table but the digits.
 */
static char *
time_fmt(int64_t t, int iso, char buf[21])
{
	uint64_t	 z;
	unsigned	 era, doe, yoe, doy, mp, m, d, y, secs;

	if (t < TIME_FIRST || t > TIME_LAST)
		t = 0;
	z = (uint64_t)(t + TIME_SHIFT);
	secs = (unsigned)(z % 86400);
	z /= 86400;
	era = (unsigned)(z / 146097);
	doe = (unsigned)(z - (uint64_t)era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2) - 400;
	put2(buf, y / 100);
	put2(buf + 2, y % 100);
	buf[4] = '-';
	put2(buf + 5, m);
	buf[7] = '-';
	put2(buf + 8, d);
	buf[10] = iso ? 'T' : ' ';
	put2(buf + 11, secs / 3600);
	buf[13] = ':';
	put2(buf + 14, secs / 60 % 60);
	if (!iso) {
		buf[16] = '\0';
		return buf;
	}
	buf[16] = ':';
	put2(buf + 17, secs % 60);
	buf[19] = 'Z';
	buf[20] = '\0';
	return buf;
}

char *
panel_time_iso(time_t t, char buf[21])
{
	return time_fmt((int64_t)t, 1, buf);
}

char *
panel_time_min(time_t t, char buf[21])
{
	return time_fmt((int64_t)t, 0, buf);
}

static int
digits_at(const char *s, size_t n, int *out)
{
	size_t	 i;
	int	 v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
panel_time_parse(const char *s, time_t *out)
{
	struct tm	 tm;
	size_t		 len;
	int		 y, mo, d, h = 0, mi = 0, sec = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len < 10 || s[4] != '-' || s[7] != '-' ||
	    digits_at(s, 4, &y) || digits_at(s + 5, 2, &mo) ||
	    digits_at(s + 8, 2, &d))
		return -1;
	if (len == 10)
		goto ok;
	if ((len != 17 && len != 20) || s[10] != 'T' || s[13] != ':' ||
	    digits_at(s + 11, 2, &h) || digits_at(s + 14, 2, &mi) ||
	    s[len - 1] != 'Z')
		return -1;
	if (len == 20 && (s[16] != ':' || digits_at(s + 17, 2, &sec)))
		return -1;
ok:
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const unsigned char	*p = data;
	ssize_t			 w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
panel_fsync_dir(const char *path)
{
	char	 buf[PATH_MAX];
	int	 fd, rc;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

enum panel_err
panel_write_file(const char *path, const void *data, size_t len,
    mode_t mode)
{
	char	 tmp[PATH_MAX];
	int	 fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return PANEL_ERR_IO;
	}
	if ((fd = mkstemp(tmp)) == -1)
		return PANEL_ERR_IO;
	if (fchmod(fd, mode) == -1 || write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return panel_fsync_dir(path) == -1 ? PANEL_ERR_IO : PANEL_OK;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return PANEL_ERR_IO;
}

enum panel_err
panel_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd, saved;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return PANEL_ERR_IO;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((size_t)sb.st_size > max) {
		close(fd);
		return PANEL_ERR_ARG;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return PANEL_ERR_NOMEM;
	}
	while (got < (size_t)sb.st_size) {
		r = read(fd, buf + got, (size_t)sb.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	if (len != NULL)
		*len = got;
	return PANEL_OK;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return PANEL_ERR_IO;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) ||
		    (s[0] == 0xed && s[1] >= 0xa0))
			return 0;	/* overlong, surrogate */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) ||
		    (s[0] == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

char *
panel_escape_ctl(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)(s ? s : "");
	char			*out, *o;
	char			 esc[5];
	size_t			 n, k, cap;

	cap = strlen((const char *)p) * 4 + 1;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	o = out;
	while (*p != '\0') {
		if (*p == '\\') {
			memcpy(esc, "\\\\", 3);
			n = 2;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[0] = '\\';
			esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
			n = 2;
		} else if (*p < 0x20 || *p == 0x7f ||
		    (n = utf8_len(p)) == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			n = 4;
		} else {
			if (max > 0 && (size_t)(o - out) + n > max)
				break;
			for (k = 0; k < n; k++)
				*o++ = (char)p[k];
			p += n;
			continue;
		}
		if (max > 0 && (size_t)(o - out) + n > max)
			break;
		memcpy(o, esc, n);
		o += n;
		p++;
	}
	*o = '\0';
	return out;
}

/*
 * The usual shape of a stored JSON document (a CA's problem, compact):
 * an object of members whose values are strings of printable ASCII
 * without escapes, integers of up to 18 digits, true, false or null,
 * without spaces.  The object as json_loads would make it (members in
 * the text's order), NULL when text is anything else, or has a member
 * twice (json_loads, told to, refuses that), or memory ran out.  Keys
 * and strings are ASCII: jansson need not check their UTF-8.
 */
static json_t *
flat_loads(const char *p)
{
	json_t		*o, *v;
	const char	*k, *q;
	size_t		 klen, n = 0;
	int64_t		 i;
	int		 neg;

	if (*p++ != '{' || (o = json_object()) == NULL)
		return NULL;
	if (*p == '}')
		goto end;
	for (;;) {
		if (*p++ != '"')
			goto no;
		for (k = q = p; *q >= 0x20 && *q <= 0x7e && *q != '"' &&
		    *q != '\\'; q++)
			continue;
		if (*q != '"' || q[1] != ':')
			goto no;
		klen = (size_t)(q - k);
		p = q + 2;
		if (*p == '"') {
			for (q = ++p; *q >= 0x20 && *q <= 0x7e && *q != '"' &&
			    *q != '\\'; q++)
				continue;
			if (*q != '"')
				goto no;
			v = json_stringn_nocheck(p, (size_t)(q - p));
			p = q + 1;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			if ((neg = *p == '-'))
				p++;
			/* No leading zeros, no fraction, no exponent. */
			for (q = p, i = 0; *q >= '0' && *q <= '9' &&
			    q - p < 18; q++)
				i = i * 10 + (*q - '0');
			if (q == p || (*p == '0' && q - p > 1) ||
			    (*q >= '0' && *q <= '9') || *q == '.' ||
			    *q == 'e' || *q == 'E')
				goto no;
			v = json_integer(neg ? -i : i);
			p = q;
		} else if (strncmp(p, "true", 4) == 0) {
			v = json_true();
			p += 4;
		} else if (strncmp(p, "false", 5) == 0) {
			v = json_false();
			p += 5;
		} else if (strncmp(p, "null", 4) == 0) {
			v = json_null();
			p += 4;
		} else
			goto no;
		if (v == NULL ||
		    json_object_setn_new_nocheck(o, k, klen, v) == -1)
			goto no;
		n++;
		if (*p == '}')
			break;
		if (*p++ != ',')
			goto no;
	}
end:
	if (p[1] == '\0' && json_object_size(o) == n)
		return o;
no:
	json_decref(o);
	return NULL;
}

json_t *
panel_json_load(const char *text)
{
	json_t	*j;

	if (text == NULL)
		return NULL;
	if ((j = flat_loads(text)) != NULL)
		return j;
	return json_loads(text, JSON_REJECT_DUPLICATES, NULL);
}

void
panel_strv_free(char **v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
