/*
 * Domain names from forms: splitting, lower-casing, IDN labels to their
 * ASCII ("xn--") form with our own RFC 3492 punycode encoder, wildcard
 * and IP rules, de-duplication.  libacme's acme_ident_check() has the
 * last word on every name.
 *
 * IDN mapping is a subset of UTS #46: ASCII, Latin-1, Latin Extended-A,
 * basic Greek and Cyrillic letters are lower-cased; the ideographic full
 * stops are label separators; symbols, punctuation, spaces and controls
 * are refused.  Scripts without case pass unchanged.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "panel_priv.h"

#define LABEL_MAX	63
#define NAME_MAX_	253
#define CP_MAX		256	/* code points in one label */
#define TOKENS_MAX	1000	/* names looked at in one input */

/* RFC 3492 5: parameter values for Punycode. */
#define PC_BASE		36
#define PC_TMIN		1
#define PC_TMAX		26
#define PC_SKEW		38
#define PC_DAMP		700
#define PC_BIAS		72
#define PC_N		128

static void
vfail(struct valid_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
vfail(struct valid_error *err, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* Decodes one UTF-8 sequence at s (at most n bytes): the code point, or
 * -1 when invalid; *used gets its length. */
static long
utf8_decode(const unsigned char *s, size_t n, size_t *used)
{
	unsigned long	 cp;
	size_t		 len, i;

	if (s[0] < 0x80) {
		*used = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return -1;
	if (len > n)
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*used = len;
	return (long)cp;
}

/* Simple lower-casing of the letters this file knows (see above). */
static unsigned long
fold(unsigned long c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 0x20;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 0x20;
	if ((c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137) ||
	    (c >= 0x14a && c <= 0x177))
		return c % 2 == 0 ? c + 1 : c;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return c % 2 == 1 ? c + 1 : c;
	if (c == 0x178)
		return 0xff;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 0x20;
	if (c >= 0x410 && c <= 0x42f)
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	return c;
}

/* 1 when code point c may appear in a (non-ASCII) label. */
static int
cp_allowed(unsigned long c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-';
	if (c <= 0xbf || c == 0xd7 || c == 0xf7)
		return 0;	/* C1 controls, Latin-1 symbols */
	if ((c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xfff0 && c <= 0xffff) ||
	    (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe ||
	    (c >= 0xe000 && c <= 0xf8ff) || c >= 0xe0000)
		return 0;	/* punctuation, symbols, private, specials */
	return 1;
}

static char
pc_digit(unsigned long d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

static unsigned long
pc_adapt(unsigned long delta, unsigned long numpoints, int first)
{
	unsigned long	 k = 0;

	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / numpoints;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

/* RFC 3492 6.3: encodes cp[0..n) after "xn--" into out (size cap);
 * 0 or -1 on overflow. */
static int
punycode(const unsigned long *cp, size_t n, char *out, size_t cap)
{
	unsigned long	 m, q, k, t, delta = 0, bias = PC_BIAS, nn = PC_N;
	size_t		 h, b = 0, o = 0, j;

	for (j = 0; j < n; j++)
		if (cp[j] < 0x80) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)cp[j];
			b++;
		}
	h = b;
	if (b > 0) {
		if (o + 1 >= cap)
			return -1;
		out[o++] = '-';
	}
	while (h < n) {
		for (m = ULONG_MAX, j = 0; j < n; j++)
			if (cp[j] >= nn && cp[j] < m)
				m = cp[j];
		if ((m - nn) > (UINT32_MAX - delta) / (h + 1))
			return -1;
		delta += (m - nn) * (h + 1);
		nn = m;
		for (j = 0; j < n; j++) {
			if (cp[j] < nn && ++delta > UINT32_MAX)
				return -1;
			if (cp[j] != nn)
				continue;
			for (q = delta, k = PC_BASE;; k += PC_BASE) {
				t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ?
				    PC_TMAX : k - bias;
				if (q < t)
					break;
				if (o + 1 >= cap)
					return -1;
				out[o++] = pc_digit(t + (q - t) % (PC_BASE - t));
				q = (q - t) / (PC_BASE - t);
			}
			if (o + 1 >= cap)
				return -1;
			out[o++] = pc_digit(q);
			bias = pc_adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		nn++;
	}
	out[o] = '\0';
	return 0;
}

enum panel_err
panel_punycode_label(const char *utf8, size_t len, char **out)
{
	unsigned long	 cp[CP_MAX];
	char		 buf[LABEL_MAX + 2];
	size_t		 n = 0, i = 0, used;
	long		 c;
	int		 ascii = 1;

	*out = NULL;
	while (i < len) {
		if (n == CP_MAX ||
		    (c = utf8_decode((const unsigned char *)utf8 + i,
		    len - i, &used)) < 0)
			return PANEL_ERR_INVALID;
		if (c >= 0x80)
			ascii = 0;
		cp[n++] = (unsigned long)c;
		i += used;
	}
	if (ascii)
		return (*out = strndup(utf8, len)) == NULL ? PANEL_ERR_NOMEM :
		    PANEL_OK;
	memcpy(buf, "xn--", 4);
	if (punycode(cp, n, buf + 4, sizeof(buf) - 4) == -1)
		return PANEL_ERR_INVALID;	/* longer than 63 */
	return (*out = strdup(buf)) == NULL ? PANEL_ERR_NOMEM : PANEL_OK;
}

/*
 * One label (len bytes of UTF-8) to its ASCII form appended to name
 * (size cap, *pos).  Returns NULL or why not.
 */
static const char *
label_ascii(const char *s, size_t len, char *name, size_t cap, size_t *pos)
{
	unsigned long	 cp[CP_MAX];
	char		 utf[CP_MAX * 4 + 1], *ace = NULL;
	size_t		 n = 0, i = 0, used, o = 0, alen;
	long		 c;

	if (len == 0)
		return "it has an empty label";
	while (i < len) {
		if (n == CP_MAX)
			return "a label is too long";
		c = utf8_decode((const unsigned char *)s + i, len - i, &used);
		if (c < 0)
			return "it is not valid UTF-8";
		cp[n] = fold((unsigned long)c);
		if (!cp_allowed(cp[n]))
			return "only letters, digits and hyphens are allowed";
		n++;
		i += used;
	}
	if (cp[0] == '-' || cp[n - 1] == '-')
		return "a label cannot begin or end with a hyphen";
	/* Re-encode the folded label as UTF-8 for the punycode call. */
	for (i = 0; i < n; i++) {
		if (cp[i] < 0x80)
			utf[o++] = (char)cp[i];
		else if (cp[i] < 0x800) {
			utf[o++] = (char)(0xc0 | cp[i] >> 6);
			utf[o++] = (char)(0x80 | (cp[i] & 0x3f));
		} else if (cp[i] < 0x10000) {
			utf[o++] = (char)(0xe0 | cp[i] >> 12);
			utf[o++] = (char)(0x80 | ((cp[i] >> 6) & 0x3f));
			utf[o++] = (char)(0x80 | (cp[i] & 0x3f));
		} else {
			utf[o++] = (char)(0xf0 | cp[i] >> 18);
			utf[o++] = (char)(0x80 | ((cp[i] >> 12) & 0x3f));
			utf[o++] = (char)(0x80 | ((cp[i] >> 6) & 0x3f));
			utf[o++] = (char)(0x80 | (cp[i] & 0x3f));
		}
	}
	if (panel_punycode_label(utf, o, &ace) != PANEL_OK)
		return "a label is longer than 63 characters";
	alen = strlen(ace);
	if (alen > LABEL_MAX) {
		free(ace);
		return "a label is longer than 63 characters";
	}
	/* RFC 5891 4.2.3.1: "??--" is reserved except for "xn--". */
	if (alen >= 4 && ace[2] == '-' && ace[3] == '-' &&
	    strncmp(ace, "xn", 2) != 0) {
		free(ace);
		return "labels with -- in the third and fourth place are "
		    "reserved";
	}
	if (*pos + alen + 1 >= cap) {
		free(ace);
		return "it is longer than 253 characters";
	}
	memcpy(name + *pos, ace, alen);
	*pos += alen;
	name[*pos] = '\0';
	free(ace);
	return NULL;
}

/* Replaces the ideographic full stops (U+3002, U+FF0E, U+FF61) by '.'
 * in place. */
static void
map_dots(char *s)
{
	char	*r = s, *w = s;

	while (*r != '\0') {
		if (strncmp(r, "\xe3\x80\x82", 3) == 0 ||
		    strncmp(r, "\xef\xbc\x8e", 3) == 0 ||
		    strncmp(r, "\xef\xbd\xa1", 3) == 0) {
			*w++ = '.';
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

/*
 * Normalises one name (NUL-terminated, modified in place) into out
 * (NAME_MAX_ + 1 bytes).  Returns NULL or why not.  wild allows "*.".
 */
static const char *
name_norm(char *in, int wild, char *out)
{
	const char	*why, *p, *dot;
	size_t		 pos = 0, len;
	int		 labels = 0;
	char		 ip[64];

	map_dots(in);
	len = strlen(in);
	if (len > 0 && in[len - 1] == '.')
		in[--len] = '\0';
	if (len == 0)
		return "it is empty";
	if (acme_ident_guess(in) == ACME_ID_IP) {
		if (len >= sizeof(ip))
			return "it is not a valid IP address";
		for (p = in; *p != '\0'; p++)
			ip[p - in] = (char)(*p >= 'A' && *p <= 'F' ?
			    *p + 0x20 : *p);
		ip[len] = '\0';
		if (acme_ident_check(ACME_ID_IP, ip) != ACME_OK)
			return "it is not a valid IP address (use the "
			    "canonical form, e.g. 192.0.2.1 or 2001:db8::1)";
		memcpy(out, ip, len + 1);
		return NULL;
	}
	for (p = in;; p = dot + 1) {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (len == 1 && *p == '*') {
			if (!wild || labels > 0 || dot == NULL)
				return "a wildcard is allowed only as the "
				    "whole first label, as in *.example.com";
			memcpy(out, "*.", 3);
			pos = 2;
		} else {
			if (memchr(p, '*', len) != NULL)
				return "a wildcard is allowed only as the "
				    "whole first label, as in *.example.com";
			if ((why = label_ascii(p, len, out, NAME_MAX_ + 1,
			    &pos)) != NULL)
				return why;
			if (dot != NULL) {
				if (pos + 1 >= NAME_MAX_ + 1)
					return "it is longer than 253 "
					    "characters";
				out[pos++] = '.';
				out[pos] = '\0';
			}
		}
		labels++;
		if (dot == NULL)
			break;
	}
	if (labels < 2 || (labels == 2 && out[0] == '*'))
		return "a full domain name needs at least two labels, as in "
		    "example.com";
	if (acme_ident_check(ACME_ID_DNS, out) != ACME_OK)
		return "it is not a valid domain name";
	return NULL;
}

int
valid_domain_one(const char *in, char *out, size_t outlen, const char **why)
{
	char	 buf[1024], norm[NAME_MAX_ + 1];

	if (strlen(in) >= sizeof(buf)) {
		*why = "it is too long";
		return -1;
	}
	strcpy(buf, in);
	if ((*why = name_norm(buf, 0, norm)) != NULL)
		return -1;
	if (acme_ident_guess(norm) == ACME_ID_IP) {
		*why = "an address is not allowed here";
		return -1;
	}
	if (strlen(norm) >= outlen) {
		*why = "it is too long";
		return -1;
	}
	strcpy(out, norm);
	return 0;
}

enum panel_err
valid_domains(const char *input, char ***list, size_t *n,
    struct valid_error *err)
{
	static const char	 seps[] = ", \t\r\n";
	char			*copy = NULL, *tok, *save = NULL, *q;
	char			 norm[NAME_MAX_ + 1];
	char		       **v = NULL, **nv;
	const char		*why;
	size_t			 cnt = 0, i, tokens = 0;
	enum panel_err		 rc = PANEL_ERR_INVALID;

	*list = NULL;
	*n = 0;
	if (input == NULL || (copy = strdup(input)) == NULL)
		return input == NULL ? PANEL_ERR_ARG : PANEL_ERR_NOMEM;
	for (tok = strtok_r(copy, seps, &save); tok != NULL;
	    tok = strtok_r(NULL, seps, &save)) {
		if (++tokens > TOKENS_MAX) {
			vfail(err, "Too many names.");
			goto fail;
		}
		if ((why = name_norm(tok, 1, norm)) != NULL) {
			/* Quoted escaped and cut at a character boundary,
			 * so the message is always valid UTF-8. */
			if ((q = panel_escape_ctl(tok, 60)) == NULL) {
				rc = PANEL_ERR_NOMEM;
				goto fail;
			}
			vfail(err, "\"%s\" is not accepted: %s.", q, why);
			free(q);
			goto fail;
		}
		for (i = 0; i < cnt; i++)
			if (strcmp(v[i], norm) == 0)
				break;
		if (i < cnt)
			continue;
		if (cnt == VALID_DOMAINS_MAX) {
			vfail(err, "At most %d names in one order.",
			    VALID_DOMAINS_MAX);
			goto fail;
		}
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			rc = PANEL_ERR_NOMEM;
			goto fail;
		}
		v = nv;
		if ((v[cnt] = strdup(norm)) == NULL) {
			rc = PANEL_ERR_NOMEM;
			goto fail;
		}
		cnt++;
	}
	if (cnt == 0) {
		vfail(err, "Enter at least one domain name.");
		goto fail;
	}
	free(copy);
	*list = v;
	*n = cnt;
	return PANEL_OK;
fail:
	free(copy);
	panel_strv_free(v, cnt);
	return rc;
}
