/*
 * Identifier checks (RFC 8555 7.1.3/7.1.4, RFC 8738): lists of good and
 * bad DNS names and IP addresses, type guessing, and the JSON helpers.
 */
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Fills buf with a name of labels of the given lengths ("aaa.bbb..."). */
static char *
mkname(char *buf, const size_t *lens, size_t n)
{
	char	*p = buf;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = '.';
		memset(p, 'a' + (int)i, lens[i]);
		p += lens[i];
	}
	*p = '\0';
	return buf;
}

/* A printable copy of s for test names (control bytes become '?'). */
static const char *
vis(const char *s)
{
	static char	 buf[80];
	size_t		 i;

	for (i = 0; s[i] != '\0' && i < sizeof(buf) - 1; i++)
		buf[i] = s[i] < 0x20 || s[i] > 0x7e ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

int
main(void)
{
	static const char *const dns_good[] = {
		"example.com", "a.b", "x1.io", "*.example.com",
		"www.example.co.uk", "a-b.c-d.org", "123.example.com",
		"xn--bcher-kva.example", "*.xn--80ak6aa92e.com", "a.b.c.d.e.f",
		"0a.com", "a.b1", "a--b.com", "ex-am-ple.net",
	};
	static const char *const dns_bad[] = {
		"", "com", "Example.com", "EXAMPLE.COM", "b\303\274cher.de",
		"-a.com", "a-.com", "a.-com.org", "a..com", ".a.com", "a.com.",
		"*.*.a.com", "a.*.com", "*a.com", "a*.com", "*", "*.", "*.com",
		"a_b.com", "a b.com", "a.com/x", "a.com\n", "a.com:443",
		"1.2.3.4", "01.2.3.4", "a.123", "ab--cd.com", "a.com\t",
		"@.com", "a.c\xc3\xb6m", "1.2.3.4.5",
	};
	static const char *const ip_good[] = {
		"1.2.3.4", "192.0.2.1", "0.0.0.0", "255.255.255.255",
		"10.0.0.1", "::1", "::", "2001:db8::1", "fe80::1",
		"2001:db8:0:1:1:1:1:1", "2001:db8::1:0:0:1",
	};
	static const char *const ip_bad[] = {
		"", "01.2.3.4", "1.2.3.04", "1.2.3", "256.1.1.1", "1.2.3.4 ",
		" 1.2.3.4", "1.2.3.4.", "2001:DB8::1", "2001:db8:0:0:0:0:0:1",
		"::ffff:1.2.3.4", "::ffff:102:304", "2001:0db8::1",
		"fe80::1%eth0", "1.2.3.4/32", "[::1]", "example.com", "0x1.2.3.4",
		"2001:db8:0:0:1:0:0:1",
	};
	static const size_t l253[] = { 63, 63, 63, 61 };
	static const size_t l254[] = { 63, 63, 63, 62 };
	static const size_t l63[] = { 63, 3 };
	static const size_t l64[] = { 64, 3 };
	char		 name[300], wild[310];
	size_t		 i;
	struct acme_ident id;
	json_t		*o;

	for (i = 0; i < NELEM(dns_good); i++)
		ok(acme_ident_check(ACME_ID_DNS, dns_good[i]) == ACME_OK,
		    "dns good: %s", dns_good[i]);
	for (i = 0; i < NELEM(dns_bad); i++)
		ok(acme_ident_check(ACME_ID_DNS, dns_bad[i]) == ACME_ERR_IDENT,
		    "-bad- dns: '%s'", vis(dns_bad[i]));
	for (i = 0; i < NELEM(ip_good); i++)
		ok(acme_ident_check(ACME_ID_IP, ip_good[i]) == ACME_OK,
		    "ip good: %s", ip_good[i]);
	for (i = 0; i < NELEM(ip_bad); i++)
		ok(acme_ident_check(ACME_ID_IP, ip_bad[i]) == ACME_ERR_IDENT,
		    "-bad- ip: '%s'", vis(ip_bad[i]));

	/* Length limits: labels 63, names 253. */
	ok(acme_ident_check(ACME_ID_DNS, mkname(name, l63, 2)) == ACME_OK,
	    "63-char label");
	ok(acme_ident_check(ACME_ID_DNS, mkname(name, l64, 2)) ==
	    ACME_ERR_IDENT, "-bad- 64-char label");
	ok(strlen(mkname(name, l253, 4)) == 253 &&
	    acme_ident_check(ACME_ID_DNS, name) == ACME_OK, "253-char name");
	ok(strlen(mkname(name, l254, 4)) == 254 &&
	    acme_ident_check(ACME_ID_DNS, name) == ACME_ERR_IDENT,
	    "-bad- 254-char name");
	mkname(name, l253, 4);
	strcpy(wild, "*.");
	strcat(wild, name);
	ok(acme_ident_check(ACME_ID_DNS, wild) == ACME_ERR_IDENT,
	    "-bad- wildcard over 253 in total");

	ok(acme_ident_check(ACME_ID_DNS, NULL) == ACME_ERR_IDENT,
	    "-bad- NULL value");
	ok(acme_ident_check(ACME_ID__MAX, "example.com") == ACME_ERR_IDENT,
	    "-bad- unknown type");
	ok(acme_ident_check(ACME_ID_IP, "example.com") == ACME_ERR_IDENT &&
	    acme_ident_check(ACME_ID_DNS, "::1") == ACME_ERR_IDENT,
	    "-bad- type mismatch");

	/* Guessing. */
	is_int(acme_ident_guess("example.com"), ACME_ID_DNS, "guess name");
	is_int(acme_ident_guess("*.example.com"), ACME_ID_DNS,
	    "guess wildcard");
	is_int(acme_ident_guess("1.2.3.4"), ACME_ID_IP, "guess v4");
	is_int(acme_ident_guess("::1"), ACME_ID_IP, "guess v6");
	is_int(acme_ident_guess("2001:DB8::1"), ACME_ID_IP,
	    "guess upper-case v6 as ip (then refused)");
	is_int(acme_ident_guess("01.2.3.4"), ACME_ID_IP,
	    "guess non-canonical v4 as ip (then refused)");
	is_int(acme_ident_guess("1a.2.3.4"), ACME_ID_DNS, "guess 1a.2.3.4");
	is_int(acme_ident_guess(NULL), ACME_ID_DNS, "guess NULL");

	/* JSON helpers. */
	o = json_pack("{s:s, s:s}", "type", "dns", "value", "a.example");
	ok(ident_from_json(o, &id) == 0 && id.type == ACME_ID_DNS &&
	    strcmp(id.value, "a.example") == 0, "ident_from_json dns");
	json_decref(o);
	o = ident_to_json(&id);
	ok(o != NULL && strcmp(json_string_value(json_object_get(o, "type")),
	    "dns") == 0 && strcmp(json_string_value(json_object_get(o,
	    "value")), "a.example") == 0, "ident_to_json dns");
	json_decref(o);
	ident_clear(&id);
	ok(id.value == NULL, "ident_clear");
	ident_clear(NULL);

	o = json_pack("{s:s, s:s}", "type", "ip", "value", "2001:db8::1");
	ok(ident_from_json(o, &id) == 0 && id.type == ACME_ID_IP,
	    "ident_from_json ip");
	json_decref(o);
	o = ident_to_json(&id);
	ok(o != NULL && strcmp(json_string_value(json_object_get(o, "type")),
	    "ip") == 0, "ident_to_json ip");
	json_decref(o);
	ident_clear(&id);

	o = json_pack("{s:s, s:s}", "type", "email", "value", "a@b.c");
	ok(ident_from_json(o, &id) == -1 && id.value == NULL,
	    "-bad- unknown identifier type");
	json_decref(o);
	o = json_pack("{s:s, s:s}", "type", "dns", "value", "$(x).com");
	ok(ident_from_json(o, &id) == -1 && id.value == NULL,
	    "-bad- hostile dns value");
	json_decref(o);
	o = json_pack("{s:s, s:i}", "type", "dns", "value", 7);
	ok(ident_from_json(o, &id) == -1, "-bad- value not a string");
	json_decref(o);
	o = json_pack("[s]", "dns");
	ok(ident_from_json(o, &id) == -1, "-bad- not an object");
	json_decref(o);
	ok(ident_from_json(NULL, &id) == -1, "-bad- NULL object");
	id.type = ACME_ID__MAX;
	id.value = name;
	ok(ident_to_json(&id) == NULL, "-bad- to_json unknown type");

	return tap_done();
}
