/*
 * Identifiers: DNS names (RFC 8555 section 7.1.4, section 7.1.3 for
 * wildcards) and IP addresses (RFC 8738).  One strict syntax check used
 * for what the user asks for and for what the CA sends back.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define DNS_NAME_MAX	253	/* RFC 1035 2.3.4, without the root dot */
#define DNS_LABEL_MAX	63

/*
 * Checks one label of len bytes: lower-case letters, digits and hyphens,
 * 1-63 characters, no hyphen at either end (RFC 1123 2.1, RFC 5890
 * 2.3.1 LDH).  Internationalised names must come as their "xn--" A-label.
 * Returns 1 when good, else 0.
 */
static int
ident_label_ok(const char *p, size_t len)
{
	size_t	 i;

	if (len == 0 || len > DNS_LABEL_MAX)
		return 0;
	if (p[0] == '-' || p[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		if ((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '-')
			continue;
		return 0;
	}
	/*
	 * RFC 5891 4.2.3.1: hyphens in both the third and fourth places
	 * are reserved for "xn--" A-labels; "ab--c" is not a valid name.
	 */
	if (len >= 4 && p[2] == '-' && p[3] == '-' &&
	    !(p[0] == 'x' && p[1] == 'n'))
		return 0;
	return 1;
}

/*
 * Checks a DNS name as described in acme.h.  The last label must not be
 * all digits (no top-level domain is, RFC 3696 2), which also keeps
 * "1.2.3.4" and "01.2.3.4" from passing as names.
 * Returns 1 when good, else 0.
 */
static int
ident_dns_ok(const char *v)
{
	const char	*p, *dot;
	size_t		 len, labels = 0, i;
	int		 alldigit = 0;

	len = strlen(v);
	if (len == 0 || len > DNS_NAME_MAX)
		return 0;

	p = v;
	/* RFC 8555 7.1.3: a wildcard is only the whole leftmost label. */
	if (strncmp(p, "*.", 2) == 0)
		p += 2;

	for (;;) {
		dot = strchr(p, '.');
		len = dot == NULL ? strlen(p) : (size_t)(dot - p);
		if (!ident_label_ok(p, len))
			return 0;
		labels++;
		alldigit = 1;
		for (i = 0; i < len; i++)
			if (p[i] < '0' || p[i] > '9')
				alldigit = 0;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (labels < 2 || alldigit)
		return 0;
	return 1;
}

/*
 * Checks an IP address: it must parse with inet_pton and be written the
 * way inet_ntop writes it (dotted quad without leading zeros; RFC 5952
 * lower-case, compressed IPv6).  IPv4-mapped IPv6 addresses are refused:
 * they name an IPv4 host, which must be asked for as such.
 * Returns 1 when good, else 0.
 */
static int
ident_ip_ok(const char *v)
{
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
	}		 addr;
	char		 txt[INET6_ADDRSTRLEN];
	int		 af;

	af = strchr(v, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(af, v, &addr) != 1 ||
	    inet_ntop(af, &addr, txt, sizeof(txt)) == NULL ||
	    strcmp(txt, v) != 0)
		return 0;
	if (af == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&addr.v6))
		return 0;
	return 1;
}

/*
 * Returns ACME_OK when value is a valid identifier of the given type,
 * ACME_ERR_IDENT otherwise (also for a NULL value or unknown type).
 */
enum acme_err
acme_ident_check(enum acme_ident_type type, const char *value)
{

	if (value == NULL)
		return ACME_ERR_IDENT;
	switch (type) {
	case ACME_ID_DNS:
		return ident_dns_ok(value) ? ACME_OK : ACME_ERR_IDENT;
	case ACME_ID_IP:
		return ident_ip_ok(value) ? ACME_OK : ACME_ERR_IDENT;
	default:
		return ACME_ERR_IDENT;
	}
}

/*
 * Guesses the type of value: text with a colon, or made only of digits
 * and dots, is meant as an address (so "01.2.3.4" is then refused by
 * acme_ident_check as a non-canonical address, not taken as a name).
 * Everything else, NULL included, is ACME_ID_DNS.
 */
enum acme_ident_type
acme_ident_guess(const char *value)
{

	if (value == NULL || value[0] == '\0')
		return ACME_ID_DNS;
	if (strchr(value, ':') != NULL)
		return ACME_ID_IP;
	if (strspn(value, "0123456789.") == strlen(value))
		return ACME_ID_IP;
	return ACME_ID_DNS;
}

/*
 * Parses an identifier object {"type": "dns"|"ip", "value": "..."}
 * (RFC 8555 7.1.3, RFC 8738 3) into id, checking the value strictly.
 * Returns 0 with id->value the caller's (ident_clear), or -1 with id
 * cleared.
 */
int
ident_from_json(const json_t *obj, struct acme_ident *id)
{
	const char		*type, *value;
	enum acme_ident_type	 t;

	if (id == NULL)
		return -1;
	id->type = ACME_ID_DNS;
	id->value = NULL;
	if (!json_is_object(obj))
		return -1;
	type = json_string_value(json_object_get(obj, "type"));
	value = json_string_value(json_object_get(obj, "value"));
	if (type == NULL || value == NULL)
		return -1;
	if (strcmp(type, "dns") == 0)
		t = ACME_ID_DNS;
	else if (strcmp(type, "ip") == 0)
		t = ACME_ID_IP;
	else
		return -1;
	if (acme_ident_check(t, value) != ACME_OK)
		return -1;
	if ((id->value = strdup(value)) == NULL)
		return -1;
	id->type = t;
	return 0;
}

/*
 * Returns a new {"type","value"} object for id (caller json_decref()s),
 * or NULL when id is incomplete or memory runs out.
 */
json_t *
ident_to_json(const struct acme_ident *id)
{
	const char	*type;

	if (id == NULL || id->value == NULL)
		return NULL;
	switch (id->type) {
	case ACME_ID_DNS:
		type = "dns";
		break;
	case ACME_ID_IP:
		type = "ip";
		break;
	default:
		return NULL;
	}
	return json_pack("{s:s, s:s}", "type", type, "value", id->value);
}

/* Frees id's value and resets it; NULL-safe. */
void
ident_clear(struct acme_ident *id)
{

	if (id == NULL)
		return;
	free(id->value);
	id->value = NULL;
	id->type = ACME_ID_DNS;
}
