/*
 * etc/acme-panel.conf: "key = value" lines, "#" comment lines, blank
 * lines.  One table of keys with their type, bounds and default; an
 * unknown key, a key given twice or a bad value is an error naming the
 * line.  See etc/acme-panel.conf for every key, annotated.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "panel_priv.h"

#define CONFIG_MAX	(64 * 1024)
#define VALUE_MAX	1024

enum ctype {
	C_PATH,		/* non-empty file path */
	C_OPTPATH,	/* file path, or empty: unset */
	C_HOOK,		/* command path, or empty: unset */
	C_HTTPS,	/* https URL, or empty: unset */
	C_BASE,		/* "", "/prefix" or an http(s) URL, no trailing / */
	C_BOOL,
	C_TRI,		/* yes | no | auto */
	C_UINT,
	C_AUTH,		/* builtin | remote_user */
	C_DAYS,		/* comma-separated list of day counts */
	C_IP,		/* IPv4 or IPv6 address, or empty */
	C_IPPORT	/* IPv4[:port], or empty */
};

struct ckey {
	const char	*name;
	enum ctype	 type;
	size_t		 off;
	unsigned	 min, max;
	const char	*def;
};

#define K(n, t, mn, mx, d) { #n, t, offsetof(struct panel_config, n), \
	mn, mx, d }

/* The keys, their types, bounds and defaults ("" or NULL: unset). */
static const struct ckey keys[] = {
	K(database, C_PATH, 0, 0, "var/acme.db"),
	K(kek_file, C_PATH, 0, 0, "var/kek"),
	K(templates, C_PATH, 0, 0, "templates"),
	K(auth, C_AUTH, 0, 0, "builtin"),
	K(base_url, C_BASE, 0, 0, ""),
	K(secure_cookies, C_TRI, 0, 0, "auto"),
	K(session_ttl, C_UINT, 60, 30 * 86400, "28800"),
	K(remote_user_create, C_BOOL, 0, 0, "no"),
	K(login_max_failures, C_UINT, 1, 1000, "5"),
	K(login_max_failures_ip, C_UINT, 1, 100000, "20"),
	K(login_window, C_UINT, 60, 86400, "900"),
	K(scrypt_lock, C_OPTPATH, 0, 0, "var/scrypt.lock"),
	K(scrypt_slots, C_UINT, 1, 64, "2"),
	K(ca_file, C_OPTPATH, 0, 0, NULL),
	K(local_ca_url, C_HTTPS, 0, 0, NULL),
	K(allow_private_ca, C_BOOL, 0, 0, "no"),
	K(renew_days_before, C_UINT, 1, 365, "30"),
	K(renew_keep_key, C_BOOL, 0, 0, "no"),
	K(billing_hook, C_HOOK, 0, 0, NULL),
	K(billing_timeout, C_UINT, 1, 3600, "30"),
	K(dns_hook, C_HOOK, 0, 0, NULL),
	K(deploy_hook, C_HOOK, 0, 0, NULL),
	K(notify_hook, C_HOOK, 0, 0, NULL),
	K(hook_timeout, C_UINT, 1, 3600, "60"),
	K(alert_days, C_DAYS, 1, 365, "14,7,3,1"),
	K(max_tries, C_UINT, 1, 1000, "10"),
	K(lease_seconds, C_UINT, 10, 86400, "300"),
	K(http01_timeout, C_UINT, 1, 300, "10"),
	K(http01_port, C_UINT, 1, 65535, NULL),
	K(selfcheck_ip, C_IP, 0, 0, NULL),
	K(selfcheck_dns, C_IPPORT, 0, 0, NULL),
	K(ca_timeout, C_UINT, 1, 600, "30"),
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

void
config_free(struct panel_config *c)
{
	size_t	 i;
	char	**sp;

	if (c == NULL)
		return;
	for (i = 0; i < NKEYS; i++)
		switch (keys[i].type) {
		case C_PATH: case C_OPTPATH: case C_HOOK: case C_HTTPS:
		case C_BASE: case C_IP: case C_IPPORT:
			sp = (char **)((char *)c + keys[i].off);
			free(*sp);
			break;
		default:
			break;
		}
	free(c);
}

static int
printable(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	return 1;
}

/* Sets key k of c from value v; NULL on success, else why not. */
static const char *
set_value(struct panel_config *c, const struct ckey *k, const char *v)
{
	char			**sp = (char **)((char *)c + k->off);
	unsigned		 *up = (unsigned *)((char *)c + k->off);
	unsigned char		  addr[16];
	const char		 *p;
	char			 *end, ip[64];
	unsigned long		  n;

	switch (k->type) {
	case C_BOOL:
		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
		    strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0)
			*(int *)up = 1;
		else if (strcasecmp(v, "no") == 0 ||
		    strcasecmp(v, "false") == 0 ||
		    strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
			*(int *)up = 0;
		else
			return "expected yes or no";
		return NULL;
	case C_TRI:
		if (strcasecmp(v, "auto") == 0)
			c->secure_cookies = PANEL_AUTO;
		else if (strcasecmp(v, "yes") == 0)
			c->secure_cookies = PANEL_YES;
		else if (strcasecmp(v, "no") == 0)
			c->secure_cookies = PANEL_NO;
		else
			return "expected yes, no or auto";
		return NULL;
	case C_AUTH:
		if (strcmp(v, "builtin") == 0)
			c->auth = PANEL_AUTH_BUILTIN;
		else if (strcmp(v, "remote_user") == 0)
			c->auth = PANEL_AUTH_REMOTE_USER;
		else
			return "expected builtin or remote_user";
		return NULL;
	case C_UINT:
		if (*v == '\0' && k->def == NULL) {
			*up = 0;
			return NULL;
		}
		errno = 0;
		n = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0)
			return "expected a whole number";
		if (n < k->min || n > k->max)
			return "number out of range";
		*up = (unsigned)n;
		return NULL;
	case C_DAYS:
		c->nalert_days = 0;
		for (p = v; *p != '\0'; p = *end == ',' ? end + 1 : end) {
			while (*p == ' ')
				p++;
			errno = 0;
			n = strtoul(p, &end, 10);
			if (!isdigit((unsigned char)*p) || errno != 0 ||
			    n < k->min || n > k->max)
				return "expected day counts like 14,7,3,1";
			while (*end == ' ')
				end++;
			if ((*end != ',' && *end != '\0') ||
			    c->nalert_days == CONFIG_ALERT_DAYS_MAX)
				return "expected at most 8 day counts "
				    "like 14,7,3,1";
			c->alert_days[c->nalert_days++] = (unsigned)n;
		}
		return NULL;
	default:
		break;
	}
	/* String kinds. */
	if (!printable(v))
		return "control characters in value";
	switch (k->type) {
	case C_PATH:
		if (*v == '\0')
			return "a path is required";
		break;
	case C_HOOK:
		if (*v != '\0' && *v != '/' && strncmp(v, "./", 2) != 0 &&
		    strchr(v, '/') == NULL)
			return "a hook is a command path (absolute, or "
			    "relative with a /)";
		break;
	case C_HTTPS:
		if (*v != '\0' && (strncasecmp(v, "https://", 8) != 0 ||
		    v[8] == '\0' || strpbrk(v, " \"'<>\\") != NULL))
			return "expected an https:// URL";
		break;
	case C_BASE:
		if (*v != '\0' && *v != '/' &&
		    strncasecmp(v, "https://", 8) != 0 &&
		    strncasecmp(v, "http://", 7) != 0)
			return "expected /path or an http(s) URL";
		if (strpbrk(v, " \"'<>\\?#") != NULL)
			return "characters not allowed in a base URL";
		if (*v != '\0' && v[strlen(v) - 1] == '/')
			return "no trailing / please";
		break;
	case C_IP:
		if (*v != '\0' && inet_pton(AF_INET, v, addr) != 1 &&
		    inet_pton(AF_INET6, v, addr) != 1)
			return "expected an IP address";
		break;
	case C_IPPORT:
		if (*v == '\0')
			break;
		snprintf(ip, sizeof(ip), "%s", v);
		if ((end = strchr(ip, ':')) != NULL) {
			*end++ = '\0';
			errno = 0;
			n = strtoul(end, &end, 10);
			if (errno != 0 || *end != '\0' || n < 1 || n > 65535)
				return "expected IPv4[:port]";
		}
		if (inet_pton(AF_INET, ip, addr) != 1)
			return "expected IPv4[:port]";
		break;
	default:
		break;
	}
	free(*sp);
	*sp = NULL;
	if (*v != '\0' && (*sp = strdup(v)) == NULL)
		return "out of memory";
	return NULL;
}

enum panel_err
config_new(struct panel_config **out)
{
	struct panel_config	*c;
	size_t			 i;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PANEL_ERR_NOMEM;
	for (i = 0; i < NKEYS; i++)
		if (keys[i].def != NULL &&
		    set_value(c, &keys[i], keys[i].def) != NULL) {
			config_free(c);
			return PANEL_ERR_NOMEM;
		}
	*out = c;
	return PANEL_OK;
}

static enum panel_err
cerr(char *err, size_t errlen, const char *name, size_t line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum panel_err
cerr(char *err, size_t errlen, const char *name, size_t line,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (err == NULL || errlen == 0)
		return PANEL_ERR_CONFIG;
	n = snprintf(err, errlen, "%s:%zu: ", name, line);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return PANEL_ERR_CONFIG;
}

enum panel_err
config_parse(const char *text, size_t len, const char *name,
    struct panel_config **out, char *err, size_t errlen)
{
	struct panel_config	*c = NULL;
	unsigned char		 seen[NKEYS];
	const char		*p = text, *end = text + len, *nl, *eq;
	const char		*why;
	char			 key[64], val[VALUE_MAX + 1];
	const char		*ks, *ke, *vs, *ve;
	size_t			 line = 0, i;
	enum panel_err		 rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		*err = '\0';
	if (name == NULL)
		name = "config";
	if ((rc = config_new(&c)) != PANEL_OK)
		return rc;
	memset(seen, 0, sizeof(seen));
	for (; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		ks = p;
		while (ks < nl && (*ks == ' ' || *ks == '\t'))
			ks++;
		ve = nl;
		while (ve > ks && isspace((unsigned char)ve[-1]))
			ve--;
		if (ks == ve || *ks == '#')
			continue;
		if (memchr(ks, '\0', (size_t)(ve - ks)) != NULL) {
			rc = cerr(err, errlen, name, line, "NUL byte");
			goto fail;
		}
		if ((eq = memchr(ks, '=', (size_t)(ve - ks))) == NULL) {
			rc = cerr(err, errlen, name, line, "expected "
			    "key = value");
			goto fail;
		}
		ke = eq;
		while (ke > ks && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		vs = eq + 1;
		while (vs < ve && (*vs == ' ' || *vs == '\t'))
			vs++;
		if (ke == ks || (size_t)(ke - ks) >= sizeof(key)) {
			rc = cerr(err, errlen, name, line, "bad key");
			goto fail;
		}
		memcpy(key, ks, (size_t)(ke - ks));
		key[ke - ks] = '\0';
		/* "quoted values" keep their spaces */
		if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
			vs++;
			ve--;
		}
		if ((size_t)(ve - vs) > VALUE_MAX) {
			rc = cerr(err, errlen, name, line, "%s: value too "
			    "long", key);
			goto fail;
		}
		memcpy(val, vs, (size_t)(ve - vs));
		val[ve - vs] = '\0';
		for (i = 0; i < NKEYS; i++)
			if (strcmp(keys[i].name, key) == 0)
				break;
		if (i == NKEYS) {
			rc = cerr(err, errlen, name, line, "unknown key "
			    "\"%.40s\"", key);
			goto fail;
		}
		if (seen[i]++) {
			rc = cerr(err, errlen, name, line, "%s given twice",
			    key);
			goto fail;
		}
		if ((why = set_value(c, &keys[i], val)) != NULL) {
			rc = cerr(err, errlen, name, line, "%s: %s", key, why);
			goto fail;
		}
	}
	*out = c;
	return PANEL_OK;
fail:
	config_free(c);
	return rc;
}

enum panel_err
config_load(const char *path, struct panel_config **out, char *err,
    size_t errlen)
{
	enum panel_err	 rc;
	char		*text = NULL;
	size_t		 len = 0;

	*out = NULL;
	if ((rc = panel_read_file(path, CONFIG_MAX, &text, &len)) !=
	    PANEL_OK) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", path,
			    rc == PANEL_ERR_IO ? strerror(errno) :
			    "file too large");
		return rc;
	}
	rc = config_parse(text, len, path, out, err, errlen);
	free(text);
	return rc;
}
