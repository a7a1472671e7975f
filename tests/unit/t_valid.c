/*
 * valid: the form-field table, one line per case: field, input, whether
 * it passes, and the normalised value (or a piece of the message).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "panel.h"
#include "tap.h"

#define CFG_NONE	0
#define CFG_LOCAL	1	/* local_ca_url set, private CAs allowed */

struct vcase {
	const char	*field;
	const char	*in;
	int		 cfg;
	int		 good;
	const char	*want;	/* good: the value; bad: in the message */
};

static const struct vcase cases[] = {
	/* Domains. */
	{ "domains", "example.com", 0, 1, "example.com" },
	{ "domains", "Example.COM", 0, 1, "example.com" },
	{ "domains", "bücher.example", 0, 1, "xn--bcher-kva.example" },
	{ "domains", "BÜCHER.Example", 0, 1, "xn--bcher-kva.example" },
	{ "domains", "*.example.com", 0, 1, "*.example.com" },
	{ "domains", "*.bücher.example", 0, 1, "*.xn--bcher-kva.example" },
	{ "domains", "a.example.com, b.example.com\nc.example.com\r\n", 0, 1,
	    "a.example.com,b.example.com,c.example.com" },
	{ "domains", "x.com x.com\tX.COM,,x.com.", 0, 1, "x.com" },
	{ "domains", "example.com.", 0, 1, "example.com" },
	{ "domains", "192.0.2.1", 0, 1, "192.0.2.1" },
	{ "domains", "2001:DB8::1", 0, 1, "2001:db8::1" },
	{ "domains", "münchen.de", 0, 1, "xn--mnchen-3ya.de" },
	{ "domains", "例え.テスト", 0, 1, "xn--r8jz45g.xn--zckzah" },
	{ "domains", "пример.рф", 0, 1, "xn--e1afmkfd.xn--p1ai" },
	{ "domains", "ПРИМЕР.РФ", 0, 1, "xn--e1afmkfd.xn--p1ai" },
	{ "domains", "faß.de", 0, 1, "xn--fa-hia.de" },
	{ "domains", "bücher\xe3\x80\x82" "example", 0, 1,
	    "xn--bcher-kva.example" },
	{ "domains", "xn--bcher-kva.example", 0, 1, "xn--bcher-kva.example" },
	{ "domains", "", 0, 0, "at least one" },
	{ "domains", " , \n", 0, 0, "at least one" },
	{ "domains", "example", 0, 0, "two labels" },
	{ "domains", "*.com", 0, 0, "two labels" },
	{ "domains", "foo.*.example.com", 0, 0, "wildcard" },
	{ "domains", "*example.com", 0, 0, "wildcard" },
	{ "domains", "-bad.example.com", 0, 0, "hyphen" },
	{ "domains", "bad-.example.com", 0, 0, "hyphen" },
	{ "domains", "exa_mple.com", 0, 0, "letters, digits" },
	{ "domains", "example.com'; DROP TABLE orders;--", 0, 0,
	    "\"example.com';\"" },
	{ "domains", "a.com;b.com", 0, 0, "letters, digits" },
	{ "domains", "' OR 1=1 --", 0, 0, "not accepted" },
	{ "domains", "<script>.com", 0, 0, "letters, digits" },
	{ "domains", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaa.com", 0, 0, "63" },
	{ "domains", "ab--cd.example", 0, 0, "reserved" },
	{ "domains", "256.1.1.1", 0, 0, "IP address" },
	{ "domains", "1.2.3", 0, 0, "IP address" },
	{ "domains", "a..b.com", 0, 0, "empty label" },
	{ "domains", "\xff\xfe.com", 0, 0, "UTF-8" },
	{ "domains", "\xe2\x98\x83.example", 0, 0, "letters, digits" },
	{ "domains", "ex ample.com", 0, 0, "\"ex\"" },
	/* E-mail. */
	{ "email", "alice@example.com", 0, 1, "alice@example.com" },
	{ "email", " mailto:Alice.Smith+acme@Example.COM ", 0, 1,
	    "Alice.Smith+acme@example.com" },
	{ "contact", "user@bücher.example", 0, 1,
	    "user@xn--bcher-kva.example" },
	{ "email", "alice", 0, 0, "name@example.com" },
	{ "email", "a@b@example.com", 0, 0, "name@example.com" },
	{ "email", ".a@example.com", 0, 0, "before @" },
	{ "email", "a..b@example.com", 0, 0, "before @" },
	{ "email", "a b@example.com", 0, 0, "before @" },
	{ "email", "a@localhost", 0, 0, "two labels" },
	{ "email", "a@192.0.2.1", 0, 0, "address" },
	{ "email", "a@[192.0.2.1]", 0, 0, "domain" },
	{ "email", "a@example.com\r\nBcc: x@example.org", 0, 0, "" },
	{ "email", "\"quoted\"@example.com", 0, 0, "before @" },
	/* CA server: preset or https URL. */
	{ "acme_server", "letsencrypt", 0, 1,
	    "https://acme-v02.api.letsencrypt.org/directory" },
	{ "acme_server", "google", 0, 1,
	    "https://dv.acme-v02.api.pki.goog/directory" },
	{ "acme_server", "local-test-ca", CFG_LOCAL, 1,
	    "https://127.0.0.1:14000/dir" },
	{ "acme_server", "local-test-ca", 0, 0, "not configured" },
	{ "acme_server", "https://CA.Example:8443/acme/dir?x=1", 0, 1,
	    "https://ca.example:8443/acme/dir?x=1" },
	{ "acme_server", "https://[2001:db8::1]/dir", 0, 1,
	    "https://[2001:db8::1]/dir" },
	{ "acme_server", "http://ca.example/dir", 0, 0, "https://" },
	{ "acme_server", "javascript:alert(1)", 0, 0, "https://" },
	{ "acme_server", "nosuch-preset", 0, 0, "Choose a CA" },
	{ "acme_server", "https://user:pw@ca.example/dir", 0, 0, "password" },
	{ "acme_server", "https://127.0.0.1/dir", 0, 0, "private" },
	{ "acme_server", "https://127.0.0.1/dir", CFG_LOCAL, 1,
	    "https://127.0.0.1/dir" },
	{ "acme_server", "https://10.1.2.3/dir", 0, 0, "private" },
	{ "acme_server", "https://169.254.169.254/latest", 0, 0, "private" },
	{ "acme_server", "https://[::1]/dir", 0, 0, "private" },
	{ "acme_server", "https://localhost/dir", 0, 0, "private" },
	{ "acme_server", "https://ca.example/dir#frag", 0, 0, "fragment" },
	{ "acme_server", "https://ca.example/a b", 0, 0, "encoded" },
	{ "acme_server", "https://ca.example/a\"><script>", 0, 0, "encoded" },
	{ "acme_server", "https://ca.example:0/", 0, 0, "port" },
	{ "acme_server", "https://ca.example:99999/", 0, 0, "port" },
	{ "acme_server", "https://-ca.example/", 0, 0, "host" },
	{ "acme_server", "https://ca.example/%zz", 0, 0, "escape" },
	{ "url", "https://ca.example/x", 0, 1, "https://ca.example/x" },
	/* Choices, numbers, tokens. */
	{ "key_type", "ec-256", 0, 1, "ec-256" },
	{ "key_type", "rsa-4096", 0, 1, "rsa-4096" },
	{ "key_type", "rsa-1024", 0, 0, "key type" },
	{ "challenge_type", "dns-01", 0, 1, "dns-01" },
	{ "challenge_type", "tls-alpn-01", 0, 0, "http-01 or dns-01" },
	{ "auto", "on", 0, 1, "1" },
	{ "auto", "", 0, 1, "0" },
	{ "tos_agreed", "TRUE", 0, 1, "1" },
	{ "auto_renew", "false", 0, 1, "0" },
	{ "auto", "maybe", 0, 0, "yes or no" },
	{ "account_id", "42", 0, 1, "42" },
	{ "account_id", "9007199254740991", 0, 1, "9007199254740991" },
	{ "account_id", "9007199254740992", 0, 0, "number" },
	{ "account_id", "0", 0, 0, "number" },
	{ "account_id", "-1", 0, 0, "number" },
	{ "account_id", "042", 0, 0, "number" },
	{ "account_id", "1e3", 0, 0, "number" },
	{ "account_id", "1 OR 1=1", 0, 0, "number" },
	{ "limit", "1000", 0, 1, "1000" },
	{ "limit", "0", 0, 0, "from 1 to 1000" },
	{ "limit", "1001", 0, 0, "from 1 to 1000" },
	{ "page", "0", 0, 1, "0" },
	{ "reason", "keyCompromise", 0, 1, "keyCompromise" },
	{ "reason", "4", 0, 1, "superseded" },
	{ "reason", "2", 0, 0, "revocation reason" },
	{ "reason", "9", 0, 0, "revocation reason" },
	{ "eab_kid", "kid_123-ABC", 0, 1, "kid_123-ABC" },
	{ "eab_kid", "kid 123", 0, 0, "letters, digits" },
	{ "eab_hmac", "c2VjcmV0LXNlY3JldC1zZWNyZXQtMTIzNDU2Nzg5MA", 0, 1,
	    "c2VjcmV0LXNlY3JldC1zZWNyZXQtMTIzNDU2Nzg5MA" },
	{ "eab_hmac", "+/+/+/+/+/+/+/+/+/+/+w==", 0, 1,
	    "-_-_-_-_-_-_-_-_-_-_-w" },
	{ "eab_hmac", "c2hvcnQ", 0, 0, "16 bytes" },
	{ "eab_hmac", "!!!!", 0, 0, "base64url" },
	{ "csrf", "AbC-_123", 0, 1, "AbC-_123" },
	{ "csrf", "a+b", 0, 0, "not valid" },
	/* People. */
	{ "username", "Alice", 0, 1, "alice" },
	{ "username", "ops.team@example", 0, 1, "ops.team@example" },
	{ "username", "_x", 0, 0, "letters" },
	{ "username", "a b", 0, 0, "letters" },
	{ "username", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaa", 0, 0, "too long" },
	{ "password", " x ", 0, 1, " x " },
	{ "password", "tab\there", 0, 0, "control" },
	{ "new_password", "short", 0, 0, "at least 8" },
	{ "new_password", "long enough", 0, 1, "long enough" },
	/* Lists and the audit log. */
	{ "status", "pending", 0, 1, "pending" },
	{ "status", "bogus", 0, 0, "order status" },
	{ "result", "denied", 0, 1, "denied" },
	{ "action", "order.*", 0, 1, "order.*" },
	{ "action", "Order", 0, 0, "order.create" },
	{ "action", "a*b", 0, 0, "prefix" },
	{ "from", "2025-01-31", 0, 1, "2025-01-31T00:00:00Z" },
	{ "to", "2024-02-29T12:00Z", 0, 1, "2024-02-29T12:00:00Z" },
	{ "from", "2025-02-30", 0, 0, "date" },
	{ "from", "yesterday", 0, 0, "date" },
	{ "format", "csv", 0, 1, "csv" },
	{ "format", "xml", 0, 0, "html, json or csv" },
	{ "actor", "Zoë", 0, 1, "Zoë" },
	{ "actor", "a\x01z", 0, 0, "Control" },
	{ "object", "", 0, 1, "" },
};

/* The value as text: domains joined with ',', else s, else i. */
static char *
value_text(const struct valid_value *v)
{
	char	*out;
	size_t	 len = 1, i;

	if (v->kind == VALID_DOMAINS) {
		for (i = 0; i < v->n; i++)
			len += strlen(v->list[i]) + 1;
		if ((out = calloc(1, len)) == NULL)
			return NULL;
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				strcat(out, ",");
			strcat(out, v->list[i]);
		}
		return out;
	}
	if (v->s != NULL && v->kind != VALID_BOOL && v->kind != VALID_ID &&
	    v->kind != VALID_UINT)
		return strdup(v->s);
	if (asprintf(&out, "%lld", (long long)v->i) == -1)
		return NULL;
	return out;
}

static void
run_cases(const struct panel_config *local)
{
	const struct vcase	*c;
	struct valid_value	 v;
	struct valid_error	 e;
	enum panel_err		 rc;
	char			*got, *in;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		/* Inputs are shown escaped: TAP lines stay single lines. */
		if ((in = panel_escape_ctl(c->in, 60)) == NULL)
			tap_bail("out of memory");
		rc = valid_field(c->field, c->in, c->cfg == CFG_LOCAL ? local :
		    NULL, &v, &e);
		if (c->good) {
			got = rc == PANEL_OK ? value_text(&v) : NULL;
			ok(rc == PANEL_OK && got != NULL &&
			    strcmp(got, c->want) == 0, "%s \"%s\" -> \"%s\"%s%s",
			    c->field, in, c->want, rc != PANEL_OK ? ": " : "",
			    rc != PANEL_OK ? e.msg : "");
			if (got != NULL && strcmp(got, c->want) != 0)
				tap_diag("got \"%s\"", got);
			free(got);
		} else
			ok(rc == PANEL_ERR_INVALID && e.field != NULL &&
			    strcmp(e.field, c->field) == 0 && e.msg[0] != '\0' &&
			    strstr(e.msg, c->want) != NULL && v.s == NULL &&
			    v.list == NULL, "%s \"%s\" refused: %s", c->field,
			    in, e.msg);
		valid_value_clear(&v);
		free(in);
	}
}

static void
test_other(void)
{
	const struct panel_preset	*p;
	json_t				*j = NULL;
	struct valid_value		 v;
	struct valid_error		 e;
	char				*s = NULL, big[30000];
	size_t				 n = 0, i;
	int				 all;

	ok(panel_punycode_label("bücher", strlen("bücher"), &s) == PANEL_OK &&
	    strcmp(s, "xn--bcher-kva") == 0, "punycode of bücher");
	free(s);
	ok(panel_punycode_label("abc", 3, &s) == PANEL_OK &&
	    strcmp(s, "abc") == 0, "ASCII label unchanged");
	free(s);
	ok(panel_punycode_label("\xc3", 1, &s) == PANEL_ERR_INVALID,
	    "truncated UTF-8 refused");
	for (i = 0, big[0] = '\0'; i < 70; i++)
		strcat(big, "ü");
	ok(panel_punycode_label(big, strlen(big), &s) == PANEL_ERR_INVALID &&
	    s == NULL, "too long for a label");
	big[2 * 50] = '\0';
	ok(panel_punycode_label(big, strlen(big), &s) == PANEL_OK &&
	    strlen(s) <= 63, "50 repeated letters still fit: %s", s);
	free(s);

	p = panel_presets(&n);
	ok(n == 7 && p != NULL, "seven presets");
	for (i = 0, all = 1; i < n; i++)
		all &= p[i].url == NULL ? strcmp(p[i].key, "local-test-ca") == 0 :
		    strncmp(p[i].url, "https://", 8) == 0;
	ok(all, "every preset URL is https, except the configured one");
	ok((p = panel_preset_get("zerossl")) != NULL && p->eab_required &&
	    strcmp(p->url, "https://acme.zerossl.com/v2/DV90") == 0,
	    "zerossl needs EAB");
	ok((p = panel_preset_get("sslcom")) != NULL && p->eab_required &&
	    (p = panel_preset_get("buypass")) != NULL && !p->eab_required &&
	    panel_preset_get("nosuch") == NULL, "preset lookup");
	ok(valid_field("acme_server", "https://acme.zerossl.com/v2/DV90", NULL,
	    &v, &e) == PANEL_OK && v.preset != NULL &&
	    strcmp(v.preset->key, "zerossl") == 0, "a preset's URL typed in "
	    "counts as the preset");
	valid_value_clear(&v);

	ok(valid_field("nosuch", "x", NULL, &v, &e) == PANEL_ERR_ARG,
	    "unknown field: ARG");
	ok(valid_field_max("domains") == 25600 && valid_field_max("x") == 0,
	    "field maxima");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(valid_field("domains", big, NULL, &v, &e) == PANEL_ERR_INVALID &&
	    strstr(e.msg, "too long") != NULL, "over the field's maximum");
	/* 101 distinct names. */
	for (i = 0, big[0] = '\0'; i < 101; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
		    "n%zu.example.com\n", i);
	ok(valid_field("domains", big, NULL, &v, &e) == PANEL_ERR_INVALID &&
	    strstr(e.msg, "At most 100") != NULL, "at most 100 names");
	big[strlen(big) - strlen("n100.example.com\n")] = '\0';
	ok(valid_field("domains", big, NULL, &v, &e) == PANEL_OK &&
	    v.n == 100, "100 names pass");
	valid_value_clear(&v);
	ok(valid_field("key_type", "ec-384", NULL, &v, &e) == PANEL_OK &&
	    v.i == ACME_KEY_EC384, "typed key type");
	valid_value_clear(&v);
	ok(valid_field("challenge_type", "http-01", NULL, &v, &e) ==
	    PANEL_OK && v.i == ACME_CH_HTTP01, "typed challenge type");
	valid_value_clear(&v);
	ok(valid_field("from", "2025-01-31", NULL, &v, &e) == PANEL_OK &&
	    v.i == 1738281600, "typed time");
	valid_value_clear(&v);
	ok(valid_field("reason", "keycompromise", NULL, &v, &e) == PANEL_OK &&
	    v.i == 1, "typed reason");
	valid_value_clear(&v);
	ok(valid_field("domains", "\xff\xfe\xfd.com", NULL, &v, &e) ==
	    PANEL_ERR_INVALID && (j = json_string(e.msg)) != NULL,
	    "message stays valid UTF-8 (JSON-safe) for bad input");
	json_decref(j);
}

int
main(void)
{
	struct panel_config	*local = NULL;

	if (config_new(&local) != PANEL_OK)
		tap_bail("config");
	local->local_ca_url = strdup("https://127.0.0.1:14000/dir");
	local->allow_private_ca = 1;
	run_cases(local);
	test_other();
	config_free(local);
	return tap_done();
}
