/*
 * config: defaults, the shipped annotated file, a custom file, and
 * errors with line numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "panel.h"
#include "tap.h"

/* Parses text; returns the error (err filled) or PANEL_OK. */
static enum panel_err
parse(const char *text, struct panel_config **c, char *err, size_t len)
{
	*c = NULL;
	return config_parse(text, strlen(text), "test.conf", c, err, len);
}

/* 1 when text fails with an error message containing want. */
static int
fails_with(const char *text, const char *want)
{
	struct panel_config	*c = NULL;
	char			 err[256] = "";
	enum panel_err		 rc;

	rc = parse(text, &c, err, sizeof(err));
	config_free(c);
	if (rc != PANEL_ERR_CONFIG || c != NULL || strstr(err, want) == NULL) {
		tap_diag("got %d \"%s\", wanted \"%s\"", rc, err, want);
		return 0;
	}
	return 1;
}

static void
check_defaults(const struct panel_config *c, const char *what)
{
	ok(strcmp(c->database, "var/acme.db") == 0 &&
	    strcmp(c->kek_file, "var/kek") == 0 &&
	    strcmp(c->templates, "templates") == 0 &&
	    c->auth == PANEL_AUTH_BUILTIN && c->base_url == NULL &&
	    c->secure_cookies == PANEL_AUTO && c->session_ttl == 28800 &&
	    !c->remote_user_create, "%s: web defaults", what);
	ok(c->login_max_failures == 5 && c->login_max_failures_ip == 20 &&
	    c->login_window == 900 && c->scrypt_slots == 2 &&
	    strcmp(c->scrypt_lock, "var/scrypt.lock") == 0,
	    "%s: sign-in defaults", what);
	ok(c->ca_file == NULL && c->local_ca_url == NULL &&
	    !c->allow_private_ca && c->ca_timeout == 30 &&
	    c->http01_timeout == 10 && c->http01_port == 0 &&
	    c->selfcheck_ip == NULL && c->selfcheck_dns == NULL,
	    "%s: CA and challenge defaults", what);
	ok(c->renew_days_before == 30 && !c->renew_keep_key &&
	    c->max_tries == 10 &&
	    c->lease_seconds == 300 && c->billing_hook == NULL &&
	    c->billing_timeout == 30 && c->dns_hook == NULL &&
	    c->deploy_hook == NULL && c->notify_hook == NULL &&
	    c->hook_timeout == 60 && c->nalert_days == 4 &&
	    c->alert_days[0] == 14 && c->alert_days[3] == 1,
	    "%s: sweep defaults", what);
}

static void
test_good(void)
{
	struct panel_config	*c = NULL;
	char			 err[256] = "";

	ok(config_new(&c) == PANEL_OK, "config_new");
	check_defaults(c, "config_new");
	config_free(c);
	c = NULL;
	if (config_load("etc/acme-panel.conf", &c, err, sizeof(err)) ==
	    PANEL_OK) {
		ok(1, "shipped etc/acme-panel.conf parses");
		check_defaults(c, "etc/acme-panel.conf");
	} else {
		ok(0, "shipped etc/acme-panel.conf parses: %s", err);
		tap_skip(4, "no shipped file");
	}
	config_free(c);
	c = NULL;

	ok(parse("renew_keep_key = yes\n", &c, err, sizeof(err)) ==
	    PANEL_OK && c->renew_keep_key, "renew_keep_key = yes keeps keys");
	config_free(c);
	c = NULL;

	ok(parse("# comment\n"
	    "\n"
	    "   # indented comment\n"
	    "database=/srv/acme/acme.db\n"
	    "kek_file  =  \"/srv/acme/my kek\"  \r\n"
	    "auth = remote_user\n"
	    "remote_user_create = yes\n"
	    "base_url = https://panel.example/acme\n"
	    "secure_cookies = no\n"
	    "session_ttl = 3600\n"
	    "scrypt_lock =\n"
	    "ca_file = /etc/ssl/pebble.pem\n"
	    "local_ca_url = https://127.0.0.1:14000/dir\n"
	    "allow_private_ca = true\n"
	    "billing_hook = /usr/local/libexec/bill\n"
	    "dns_hook = ./hooks/dns\n"
	    "alert_days = 30, 7,1\n"
	    "http01_port = 5002\n"
	    "selfcheck_ip = ::1\n"
	    "selfcheck_dns = 127.0.0.1:8053\n"
	    "lease_seconds = 60", &c, err, sizeof(err)) == PANEL_OK,
	    "custom file parses %s", err);
	ok(c != NULL && strcmp(c->database, "/srv/acme/acme.db") == 0 &&
	    strcmp(c->kek_file, "/srv/acme/my kek") == 0 &&
	    c->auth == PANEL_AUTH_REMOTE_USER && c->remote_user_create &&
	    strcmp(c->base_url, "https://panel.example/acme") == 0 &&
	    c->secure_cookies == PANEL_NO && c->session_ttl == 3600 &&
	    c->scrypt_lock == NULL, "values: quotes, CRLF, empty unsets");
	ok(c != NULL && strcmp(c->ca_file, "/etc/ssl/pebble.pem") == 0 &&
	    strcmp(c->local_ca_url, "https://127.0.0.1:14000/dir") == 0 &&
	    c->allow_private_ca && strcmp(c->dns_hook, "./hooks/dns") == 0 &&
	    c->nalert_days == 3 && c->alert_days[0] == 30 &&
	    c->alert_days[2] == 1 && c->http01_port == 5002 &&
	    strcmp(c->selfcheck_ip, "::1") == 0 &&
	    strcmp(c->selfcheck_dns, "127.0.0.1:8053") == 0 &&
	    c->lease_seconds == 60 && c->max_tries == 10,
	    "values: URLs, hooks, lists, defaults kept");
	config_free(c);
}

static void
test_bad(void)
{
	struct panel_config	*c = NULL;
	char			 err[256] = "";

	ok(fails_with("database = a\n\ncolour = blue\n",
	    "test.conf:3: unknown key \"colour\""),
	    "unknown key with its line number");
	ok(fails_with("auth = builtin\nauth = builtin\n",
	    "test.conf:2: auth given twice"), "repeated key");
	ok(fails_with("just words\n", "test.conf:1: expected key = value"),
	    "line without =");
	ok(fails_with("= x\n", "test.conf:1: bad key"), "empty key");
	ok(fails_with("\n\n\nsession_ttl = 10\n",
	    "test.conf:4: session_ttl: number out of range"),
	    "number below range");
	ok(fails_with("max_tries = 12abc\n", "expected a whole number"),
	    "trailing garbage");
	ok(fails_with("max_tries = -1\n", "expected a whole number"),
	    "negative");
	ok(fails_with("max_tries = 99999999999999999999\n",
	    "expected a whole number"), "overflow");
	ok(fails_with("auth = ldap\n", "expected builtin or remote_user"),
	    "bad enum");
	ok(fails_with("secure_cookies = maybe\n", "yes, no or auto"),
	    "bad tristate");
	ok(fails_with("allow_private_ca = perhaps\n", "expected yes or no"),
	    "bad boolean");
	ok(fails_with("local_ca_url = http://127.0.0.1/dir\n",
	    "expected an https:// URL"), "http CA URL");
	ok(fails_with("base_url = /acme/\n", "no trailing /"),
	    "trailing slash");
	ok(fails_with("base_url = acme\n", "expected /path"), "relative base");
	ok(fails_with("selfcheck_dns = 127.0.0.1:99999\n", "IPv4[:port]"),
	    "bad port");
	ok(fails_with("selfcheck_dns = ::1\n", "IPv4[:port]"), "v6 resolver");
	ok(fails_with("selfcheck_ip = localhost\n", "an IP address"),
	    "name instead of address");
	ok(fails_with("alert_days = 1,2,3,4,5,6,7,8,9\n", "at most 8"),
	    "too many alert days");
	ok(fails_with("alert_days = 7,,1\n", "day counts"), "empty item");
	ok(fails_with("alert_days = 400\n", "day counts"), "day out of range");
	ok(fails_with("billing_hook = rm\n", "command path"),
	    "hook must be a path");
	ok(fails_with("database =\n", "a path is required"), "empty path");
	ok(fails_with("templates = a\x01z\n", "control characters"),
	    "control character");
	ok(parse("database = a\0b\n", &c, err, sizeof(err)) == PANEL_OK,
	    "text stops at the C string's end");
	config_free(c);
	c = NULL;
	ok(config_parse("database = a\0 = b\n", 17, "nul.conf", &c, err,
	    sizeof(err)) == PANEL_ERR_CONFIG && strstr(err, "NUL") != NULL,
	    "embedded NUL refused");
	ok(config_load("/nonexistent/acme-panel.conf", &c, err, sizeof(err)) ==
	    PANEL_ERR_IO && strstr(err, "No such file") != NULL,
	    "missing file: %s", err);
}

int
main(void)
{
	test_good();
	test_bad();
	return tap_done();
}
