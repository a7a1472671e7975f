/*
 * lib/panel: what acme.fcgi (cgi/) and the commands (bin/) share.
 *
 *   store.h   the SQLite store (the only SQL), included below
 *   util.c    random tokens, hashes, UTC time, durable file writes
 *   crypt.c   private keys at rest: AES-256-GCM under a 0600 KEK file
 *   config.c  etc/acme-panel.conf
 *   valid.c   the table of form fields and their validators (+domain.c)
 *   tmpl.c    templates, escaped by default (+tmpl_out.c, tmpl_render.c)
 *   audit.c   the append-only, hash-chained audit log
 *   auth.c    passwords, sessions, CSRF, API tokens, roles
 *
 * Libraries never exit or print.  Calls return enum panel_err (store.h);
 * panel_strerror() names it.  Ownership as in acme.h: *_new, *_load,
 * *_parse and out-pointers-to-pointers give the caller memory freed with
 * the matching *_free (NULL-safe) or free() where said; const returns
 * borrow.
 */
#ifndef PANEL_H
#define PANEL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "acme.h"
#include "store.h"

/*
 * The output writer used by tmpl_render and audit_csv: writes len bytes
 * of buf, returns 0 on success, -1 on failure (the caller then stops and
 * returns PANEL_ERR_WRITE).  The CGI streams to FastCGI with one.
 */
typedef int	(*panel_write_fn)(void *arg, const char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Utilities (util.c).                                                  */

/* 32 random bytes (panel_random) as 43 base64url characters; *out is the
 * caller's (free()).  With prefix (e.g. "acme_") it is prepended. */
enum panel_err	 panel_random_token(const char *prefix, char **out);
/* len bytes from the kernel (getrandom); 0, or -1. */
int		 panel_random(void *buf, size_t len);
/* Lower-case hex SHA-256 of s into hex[65]. */
void		 panel_sha256_hex(const void *s, size_t len, char hex[65]);
/* One part of what panel_sha256_parts hashes. */
struct panel_part {
	const void	*p;
	size_t		 len;
};
/* Lower-case hex SHA-256 of the n parts of v, in order, into hex[65]. */
void		 panel_sha256_parts(const struct panel_part *v, size_t n,
		    char hex[65]);
/* UTC ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" of t into buf[21]; returns buf. */
char		*panel_time_iso(time_t t, char buf[21]);
/* The same as "YYYY-MM-DD HH:MM" (UTC), as pages show it. */
char		*panel_time_min(time_t t, char buf[21]);
/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]Z"; 0 ok, -1 bad. */
int		 panel_time_parse(const char *s, time_t *out);
/*
 * The JSON text as json_loads(text, JSON_REJECT_DUPLICATES, NULL) reads
 * it: a new reference, or NULL (text NULL or not JSON).  The problem
 * documents the panel stores (a flat object, ASCII strings without
 * escapes, integers) are read by a scan: jansson's parse costs some 170
 * instructions a byte.
 */
json_t		*panel_json_load(const char *text);
/*
 * Durable write: a temporary file next to path, fchmod(mode), write,
 * fsync, rename over path, fsync of the directory.  path is complete or
 * untouched afterwards.  PANEL_ERR_IO with errno set on failure.
 */
enum panel_err	 panel_write_file(const char *path, const void *data,
		    size_t len, mode_t mode);
/* fsync of the directory holding path (after a rename or link); 0 or -1
 * with errno set. */
int		 panel_fsync_dir(const char *path);
/* Reads a whole regular file of at most max bytes; *out is NUL-terminated
 * and the caller's (free()).  PANEL_ERR_IO, or PANEL_ERR_ARG when larger. */
enum panel_err	 panel_read_file(const char *path, size_t max, char **out,
		    size_t *len);
/* Copies s with control characters, backslashes and bytes that are not
 * UTF-8 escaped (\n, \t, \\, \xHH), cut to at most max bytes of output
 * (0: no limit).  Returns the caller's string or NULL (out of memory). */
char		*panel_escape_ctl(const char *s, size_t max);

/* ------------------------------------------------------------------ */
/* Keys at rest (crypt.c): AES-256-GCM, 12-byte random IV, 16-byte tag. */

#define CRYPT_KEK_LEN	32
#define CRYPT_AAD_MAX	64

struct panel_kek;
/* Strings of a list's rows, freed with the list (store.c). */
struct strpool;

/*
 * Loads the 32-byte key-encryption key from path, creating it (random,
 * O_EXCL, mode 0600, durable) when missing.  Refuses (PANEL_ERR_PERM) a
 * file that is not regular or has any group/other permission bit, and
 * (PANEL_ERR_IO) one whose size is not 32.  *out is the caller's.
 */
enum panel_err	 crypt_kek_load(const char *path, struct panel_kek **out);
/* Wipes and frees; NULL-safe. */
void		 crypt_kek_free(struct panel_kek *k);
/* The associated data naming a row, "kind:id" (e.g. "account:17"),
 * into buf[CRYPT_AAD_MAX]; returns buf. */
char		*crypt_aad(char buf[CRYPT_AAD_MAX], const char *kind,
		    int64_t id);
/*
 * Encrypts pt: out = version(1) || iv(12) || ciphertext || tag(16), with
 * aad (and the version byte) authenticated.  *out is the caller's.
 */
enum panel_err	 crypt_seal(const struct panel_kek *k, const char *aad,
		    const void *pt, size_t len, unsigned char **out,
		    size_t *outlen);
/*
 * Decrypts what crypt_seal made under the same key and aad.  *pt is the
 * caller's, NUL-terminated (free with crypt_wipe_free).  PANEL_ERR_CRYPTO
 * on a wrong key, wrong aad, truncation or any tampering.
 */
enum panel_err	 crypt_open(const struct panel_kek *k, const char *aad,
		    const unsigned char *in, size_t len, char **pt,
		    size_t *ptlen);
/* Wipes len bytes of p (OPENSSL_cleanse) and frees it; NULL-safe. */
void		 crypt_wipe_free(void *p, size_t len);

/* ------------------------------------------------------------------ */
/* Configuration (config.c): etc/acme-panel.conf, see that file.        */

enum panel_authmode {
	PANEL_AUTH_BUILTIN = 0,
	PANEL_AUTH_REMOTE_USER,
	PANEL_AUTH__MAX
};

enum panel_tristate {
	PANEL_AUTO = -1,
	PANEL_NO = 0,
	PANEL_YES = 1
};

#define CONFIG_ALERT_DAYS_MAX	8

/* Defaults in the comments; optional strings unset are NULL (never ""). */
struct panel_config {
	char			*database;	/* "var/acme.db" */
	char			*kek_file;	/* "var/kek" */
	char			*templates;	/* "templates" */
	enum panel_authmode	 auth;		/* builtin */
	char			*base_url;	/* NULL: from the request */
	enum panel_tristate	 secure_cookies; /* auto: when HTTPS */
	unsigned		 session_ttl;	/* 28800 s */
	int			 remote_user_create; /* 0 */
	unsigned		 login_max_failures; /* 5 per user */
	unsigned		 login_max_failures_ip; /* 20 per IP */
	unsigned		 login_window;	/* 900 s */
	char			*scrypt_lock;	/* "var/scrypt.lock", "": none */
	unsigned		 scrypt_slots;	/* 2 */
	char			*ca_file;	/* NULL: system trust */
	char			*local_ca_url;	/* preset local-test-ca */
	int			 allow_private_ca; /* 0 */
	unsigned		 renew_days_before; /* 30 */
	int			 renew_keep_key; /* 0: a new key each renewal */
	char			*billing_hook;	/* NULL: renewals are free */
	unsigned		 billing_timeout; /* 30 s */
	char			*dns_hook;
	char			*deploy_hook;
	char			*notify_hook;
	unsigned		 hook_timeout;	/* 60 s */
	unsigned		 alert_days[CONFIG_ALERT_DAYS_MAX]; /* 14,7,3,1 */
	size_t			 nalert_days;
	unsigned		 max_tries;	/* 10 */
	unsigned		 lease_seconds;	/* 300 */
	unsigned		 http01_timeout; /* 10 s, self-check */
	unsigned		 http01_port;	/* self-check port; 0: 80 */
	char			*selfcheck_ip;	/* connect the http-01 self-
						   check here, not DNS */
	char			*selfcheck_dns;	/* "ip:port" resolver for the
						   dns-01 self-check */
	unsigned		 ca_timeout;	/* 30 s, whole transfer */
};

/* A config with every default set; *out is the caller's. */
enum panel_err	 config_new(struct panel_config **out);
/*
 * Parses text (key = value lines; "#" comment lines; values may be
 * "double-quoted").  Unknown keys, repeated keys and bad values are
 * errors: PANEL_ERR_CONFIG with "name:line: message" in err.
 * *out is the caller's.
 */
enum panel_err	 config_parse(const char *text, size_t len, const char *name,
		    struct panel_config **out, char *err, size_t errlen);
/* Reads path and parses it (PANEL_ERR_IO when unreadable). */
enum panel_err	 config_load(const char *path, struct panel_config **out,
		    char *err, size_t errlen);
void		 config_free(struct panel_config *c);

/* ------------------------------------------------------------------ */
/* Form fields (valid.c, domain.c): one table, name -> validator -> max. */

/* CA presets; url NULL for local-test-ca (its URL is in the config). */
struct panel_preset {
	const char	*key;		/* "letsencrypt" */
	const char	*label;		/* "Let's Encrypt" */
	const char	*url;
	int		 eab_required;
};

/* The preset named key, or NULL.  Static. */
const struct panel_preset *panel_preset_get(const char *key);
/* The whole table (*n entries).  Static. */
const struct panel_preset *panel_presets(size_t *n);

#define VALID_DOMAINS_MAX	100

enum valid_kind {
	VALID_TEXT = 0,		/* printable text: names, filters */
	VALID_EMAIL,
	VALID_SERVER,		/* preset key or https URL */
	VALID_URL,		/* https URL */
	VALID_DOMAINS,
	VALID_KEYTYPE,
	VALID_CHTYPE,
	VALID_BOOL,
	VALID_ID,
	VALID_UINT,
	VALID_REASON,
	VALID_EAB_KID,
	VALID_EAB_HMAC,
	VALID_USERNAME,
	VALID_PASSWORD,
	VALID_NEW_PASSWORD,
	VALID_TOKEN,		/* base64url, e.g. csrf */
	VALID_ORD_STATUS,
	VALID_RESULT,		/* ok | fail | denied */
	VALID_ACTION,		/* audit action, optional trailing '*' */
	VALID_TIME,
	VALID_FORMAT,		/* html | json | csv */
	VALID__MAX
};

/* A validated value.  Which members are set depends on the kind:
 * s (normalised text; EMAIL, SERVER (URL), URL, TEXT, USERNAME, PASSWORD,
 * EAB_*, TOKEN, ACTION, FORMAT, ORD_STATUS, RESULT, KEYTYPE, CHTYPE),
 * i (BOOL 0/1, ID, UINT, REASON, KEYTYPE, CHTYPE, ORD_STATUS, TIME),
 * list/n (DOMAINS), preset (SERVER when a preset key was given). */
struct valid_value {
	enum valid_kind			 kind;
	char				*s;
	int64_t				 i;
	char			       **list;
	size_t				 n;
	const struct panel_preset	*preset;
};

/* Why a field was refused: the field's name and a sentence to show
 * beside it (may quote the input; escape it as any text). */
struct valid_error {
	const char	*field;
	char		 msg[192];
};

/*
 * Validates input for form field `field` (see the table in valid.c: e.g.
 * email, acme_server, contact, eab_kid, eab_hmac, key_type, tos_agreed,
 * account_id, domains, challenge_type, auto, auto_renew, reason, username,
 * password, new_password, csrf, name, actor, action, object, result, from,
 * to, before, limit, status, format, id).  cfg (may be NULL) gives the
 * local-test-ca URL and allow_private_ca.  PANEL_OK with *out filled
 * (clear with valid_value_clear), PANEL_ERR_INVALID with *err filled, or
 * PANEL_ERR_ARG for an unknown field name.
 */
enum panel_err	 valid_field(const char *field, const char *input,
		    const struct panel_config *cfg, struct valid_value *out,
		    struct valid_error *err);
void		 valid_value_clear(struct valid_value *v);
/* The maximum input length of field, 0 when unknown. */
size_t		 valid_field_max(const char *field);

/*
 * Domains list: comma/space/newline separated, lower-cased, IDN labels to
 * punycode (RFC 3492), trailing dot dropped, duplicates removed, "*."
 * only as the first label, IP addresses allowed, at most 100.  *list is
 * the caller's (panel_strv_free).
 */
enum panel_err	 valid_domains(const char *input, char ***list, size_t *n,
		    struct valid_error *err);
/* One e-mail address (RFC 5321 dot-atom subset, "mailto:" accepted);
 * *out is the bare address, domain lower-cased, the caller's. */
enum panel_err	 valid_email(const char *input, char **out,
		    struct valid_error *err);
/* An https URL without userinfo or fragment; private or loopback hosts
 * only when allow_private.  *out is the caller's. */
enum panel_err	 valid_https_url(const char *input, int allow_private,
		    char **out, struct valid_error *err);
/* One DNS label of UTF-8 to its "xn--" ACE form (RFC 3492), or a copy
 * when it is ASCII.  *out is the caller's.  PANEL_ERR_INVALID on bad
 * UTF-8 or overflow. */
enum panel_err	 panel_punycode_label(const char *utf8, size_t len,
		    char **out);
/* Frees n strings and the array; NULL-safe. */
void		 panel_strv_free(char **v, size_t n);

/* ------------------------------------------------------------------ */
/* Templates (tmpl.c, tmpl_out.c, tmpl_render.c).                       */

/*
 * Syntax, over a Jansson json_t tree (objects, arrays, scalars):
 *   {{name}}        HTML-escaped text (& < > " ' escaped)
 *   {{name|attr}}   attribute context: every non-alphanumeric as &#xHH;
 *   {{name|url}}    URL component: percent-encoded except A-Za-z0-9-._~
 *   {{name|href}}   a whole link: http(s) or site-relative, else "#"
 *   {{name|raw}}, {{{name}}}   unescaped: the explicit, greppable opt-out
 *   {{#name}}..{{/name}}  section: once per array element (the element is
 *                   pushed as context), once for an object or a truthy
 *                   scalar, never for false/null/""/0/[]/absent
 *   {{^name}}..{{/name}}  inverted section
 *   {{>partial}}    include templates/partial.html (depth <= 16)
 *   {{! comment }}
 * Names are dotted paths ("order.status"), looked up from the innermost
 * context outwards; "." is the current element.
 */
struct tmpl;

/* Templates come from dir/NAME.html, parsed on first use and cached in
 * the handle for the life of the process.  *out is the caller's. */
enum panel_err	 tmpl_new(const char *dir, struct tmpl **out);
void		 tmpl_free(struct tmpl *t);
/*
 * Renders template `name` ([A-Za-z0-9_-], no ".html") with data through
 * wr.  PANEL_ERR_TEMPLATE (tmpl_errmsg says where), PANEL_ERR_WRITE when
 * wr failed (output stops there).
 */
enum panel_err	 tmpl_render(struct tmpl *t, const char *name,
		    const json_t *data, panel_write_fn wr, void *arg);
/*
 * A list the page hands over as it is instead of as JSON: the section
 * {{#name}} runs once per row.  fields[0..nfields-1] are the names a row
 * may have; a name inside the section that is one of them is asked of
 * get(ctx, row, index, &v), which fills v and returns 0, or returns -1
 * when this row has no such field.  Names not in fields, and fields a row
 * lacks, are looked up outwards as for JSON.  Each name is matched against
 * fields once per render, not per row.  A field's text may live in
 * v->buf.  Everything is escaped exactly as JSON values are.
 */
enum tmpl_vtype { TV_NONE, TV_STR, TV_INT, TV_BOOL, TV_STRV };
struct tmpl_val {
	enum tmpl_vtype	 type;
	const char	*s;		/* TV_STR */
	int64_t		 i;		/* TV_INT, TV_BOOL */
	char *const	*v;		/* TV_STRV: shown joined by ", " */
	size_t		 nv;
	char		 buf[64];
};
#define TMPL_FIELDS_MAX	1024
struct tmpl_rows {
	const char		*name;
	size_t			 n;
	const char *const	*fields;	/* nfields <= TMPL_FIELDS_MAX */
	size_t			 nfields;
	int			(*get)(const void *ctx, size_t row,
				    size_t field, struct tmpl_val *v);
	const void		*ctx;
};
/* tmpl_render with lists: rows[0..nrows-1] are looked up by name after
 * data's own members (data wins).  PANEL_ERR_ARG for a list without a
 * name, or with fields NULL or more than TMPL_FIELDS_MAX of them. */
enum panel_err	 tmpl_render_rows(struct tmpl *t, const char *name,
		    const json_t *data, const struct tmpl_rows *rows,
		    size_t nrows, panel_write_fn wr, void *arg);
/* The last template error as "file:line: message"; borrowed, "" if none. */
const char	*tmpl_errmsg(const struct tmpl *t);
/*
 * Writes v through wr as json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII)
 * would (members in insertion order), in runs rather than per token
 * (jsonw.c).  0, or -1 when wr failed or a string is not UTF-8.
 */
int		 panel_json_write(const json_t *v, panel_write_fn wr,
		    void *arg);
/*
 * The same text written as it is produced, without a tree: a list page
 * writes its rows straight from the store's structs.  The calls give the
 * bytes panel_json_write would give for the value they describe.  Each
 * value takes its key: a member's name inside an object, NULL in an
 * array and at the top.  The writer puts the commas and colons, escapes
 * and UTF-8 checks keys and strings, and hands the text to wr in runs of
 * up to sizeof(buf).  Errors stick: after a failed write, a string that
 * is not UTF-8, a key where none belongs (or none where one does), or
 * more than 64 containers open, every call returns -1 and writes nothing
 * more, so a caller may check only jsonw_finish.  The members are the
 * writer's own.
 */
struct jsonw {
	panel_write_fn	 wr;
	void		*arg;
	size_t		 len;		/* bytes waiting in buf */
	unsigned	 depth;		/* containers open */
	uint64_t	 objs;		/* bit d: container d is an object */
	int		 comma;		/* a value came last */
	int		 err;
	char		 buf[2048];
};
void		 jsonw_init(struct jsonw *w, panel_write_fn wr, void *arg);
/* Hands the rest to wr and wipes buf (it may have held a private key).
 * 0, or -1 when a call failed, a container is open or nothing was
 * written. */
int		 jsonw_finish(struct jsonw *w);
/* "{" and "}", "[" and "]". */
int		 jsonw_obj(struct jsonw *w, const char *key);
int		 jsonw_obj_end(struct jsonw *w);
int		 jsonw_arr(struct jsonw *w, const char *key);
int		 jsonw_arr_end(struct jsonw *w);
/* A string (NUL-terminated; NULL writes null), n bytes of one, or the
 * strings v[0..n-1] joined by sep as one string (each part must be
 * UTF-8 on its own). */
int		 jsonw_str(struct jsonw *w, const char *key, const char *s);
int		 jsonw_strn(struct jsonw *w, const char *key, const char *s,
		    size_t n);
int		 jsonw_strv(struct jsonw *w, const char *key, char *const *v,
		    size_t n, const char *sep);
int		 jsonw_int(struct jsonw *w, const char *key, int64_t v);
int		 jsonw_bool(struct jsonw *w, const char *key, int v);
int		 jsonw_null(struct jsonw *w, const char *key);
/* A Jansson value (borrowed) as panel_json_write writes it; NULL fails
 * the writer (a value that could not be built). */
int		 jsonw_value(struct jsonw *w, const char *key, const json_t *v);
/* The escapers used by the filters, writing through wr: 0 or -1. */
int		 tmpl_escape_html(const char *s, panel_write_fn wr, void *arg);
int		 tmpl_escape_attr(const char *s, panel_write_fn wr, void *arg);
int		 tmpl_escape_url(const char *s, panel_write_fn wr, void *arg);
/*
 * For tests: on (non-zero) makes every escape, of the renders and of the
 * three calls above, take the plain path (a character at a time), the
 * reference the faster one is checked against; 0, the default, the
 * faster.  Both give the same bytes.  Process-wide.
 */
void		 tmpl_plain_escapes(int on);

/* ------------------------------------------------------------------ */
/* Audit log (audit.c).                                                 */

enum audit_result {
	AUDIT_OK = 0,
	AUDIT_FAIL,
	AUDIT_DENIED,
	AUDIT__MAX
};

const char	*audit_result_name(enum audit_result r);
int		 audit_result_parse(const char *s, enum audit_result *out);

/*
 * Appends one entry: at = now (UTC ISO 8601), control characters escaped
 * in every field, detail cut to 4 KiB.  hash = hex SHA-256(prev_hash ||
 * canonical row), computed inside BEGIN IMMEDIATE (or the caller's
 * transaction) so concurrent writers chain correctly.  ip, object, detail
 * may be NULL.  *id (may be NULL) gets the new entry's id.
 */
enum panel_err	 audit_append(struct store *st, const char *actor,
		    const char *ip, const char *action, const char *object,
		    enum audit_result result, const char *detail,
		    int64_t *id);
/*
 * Walks the whole chain.  PANEL_OK when intact; PANEL_ERR_CHAIN with
 * *bad_id the first entry whose hash or link does not match (or the
 * recorded head, when entries were cut off the end).  *count (may be
 * NULL) gets the number of entries checked.
 */
enum panel_err	 audit_verify(struct store *st, int64_t *bad_id,
		    int64_t *count);

struct audit_entry {
	int64_t			 id;
	char			*at;
	char			*actor;
	char			*ip;
	char			*action;
	char			*object;
	enum audit_result	 result;
	char			*detail;
	char			*prev_hash;
	char			*hash;
};

struct audit_list {
	struct audit_entry	*v;
	size_t			 n;
	int64_t			 next;	/* pass as before for the next page */
	struct strpool		*pool;	/* the rows' strings */
};

/* NULL members are "any".  action ending in '*' matches a prefix.
 * from/to are ISO 8601 as panel_time_iso makes: from <= at < to. */
struct audit_filter {
	const char	*actor;
	const char	*action;
	const char	*object;
	int		 has_result;
	enum audit_result result;
	const char	*from;
	const char	*to;
	int64_t		 before;	/* keyset cursor: ids < before */
	unsigned	 limit;		/* 0: 100; at most 1000 */
	int		 no_hash;	/* prev_hash, hash read as "" */
};

/* A page of entries, newest first.  *out is the caller's. */
enum panel_err	 audit_query(struct store *st, const struct audit_filter *f,
		    struct audit_list **out);
void		 audit_list_free(struct audit_list *l);
/* One entry as the JSON API shows it, DESIGN.md's {"id","at","actor",
 * "ip","action","object","result","detail"}, written through w as the
 * member key (NULL inside an array); the writer's result. */
int		 audit_entry_jsonw(struct jsonw *w, const char *key,
		    const struct audit_entry *e);
/*
 * Writes entries as CSV (RFC 4180, every cell quoted, CRLF) through wr,
 * with a header line when header is set.  Cells beginning with = + - @
 * TAB or CR get a leading ' so spreadsheets do not run them as formulas.
 */
enum panel_err	 audit_csv(const struct audit_list *l, int header,
		    panel_write_fn wr, void *arg);
/* One CSV cell (quoted, formula-neutralised) through wr; 0 or -1. */
int		 panel_csv_cell(const char *s, panel_write_fn wr, void *arg);

/* ------------------------------------------------------------------ */
/* Authentication (auth.c).                                             */

/*
 * Policy knobs (auth_policy_from_config fills them).  The scrypt cap:
 * password hashing is expensive (16 MiB, ~50 ms), so at most
 * scrypt_slots run at once across all processes.  Each slot is one byte
 * of the file scrypt_lock, held with an open-file-description lock
 * (F_OFD_SETLK): the kernel drops it if the process dies, so a crashed
 * CGI never leaks a slot (a counter in SQLite would).  A caller waits up
 * to scrypt_wait_ms for a slot, then gets PANEL_ERR_BUSY.
 */
struct auth_policy {
	unsigned	 max_fail_user;	/* failures per window; 0: 5 */
	unsigned	 max_fail_ip;	/* 0: 20 */
	unsigned	 window;	/* seconds; 0: 900 */
	unsigned	 session_ttl;	/* seconds; 0: 28800 */
	const char	*scrypt_lock;	/* NULL or "": no cap */
	unsigned	 scrypt_slots;	/* 0: 2 */
	unsigned	 scrypt_wait_ms; /* 0: 3000 */
	uint32_t	 scrypt_n;	/* 0: 16384 (tests may lower it) */
};

/* Fills p from c (borrowing c's strings). */
void		 auth_policy_from_config(const struct panel_config *c,
		    struct auth_policy *p);

/* Who is making the request. */
struct auth_principal {
	int64_t		 user_id;
	char		*name;
	enum panel_role	 role;
	char		*csrf;		/* session CSRF token; NULL for bearer */
	char		*session_hash;	/* NULL for bearer / remote user */
	int64_t		 token_id;	/* bearer token id, else 0 */
};

void		 auth_principal_free(struct auth_principal *p);

/* libscrypt MCF hash of password (N = scrypt_n, r = 8, p = 1); *mcf is
 * the caller's (free()).  PANEL_ERR_BUSY when no scrypt slot came free. */
enum panel_err	 auth_password_hash(const struct auth_policy *pol,
		    const char *password, char **mcf);
/* PANEL_OK when password matches mcf, PANEL_ERR_AUTH when not (or mcf
 * is malformed), PANEL_ERR_BUSY when no scrypt slot came free. */
enum panel_err	 auth_password_check(const struct auth_policy *pol,
		    const char *mcf, const char *password);

/* Creates a user with a password (NULL: no password sign-in).  Not
 * audited: the caller knows the actor and audits "user.create". */
enum panel_err	 auth_user_create(struct store *st,
		    const struct auth_policy *pol, const char *name,
		    const char *password, enum panel_role role, int64_t *id);
/* Sets a new password and signs the user out everywhere (all sessions
 * deleted, one transaction).  Not audited (the caller's actor). */
enum panel_err	 auth_user_set_password(struct store *st,
		    const struct auth_policy *pol, int64_t id,
		    const char *password);

/*
 * Built-in sign-in.  Refuses (PANEL_ERR_LIMIT) when the user name or the
 * IP had too many failures in the window; PANEL_ERR_AUTH for a wrong name
 * or password or a disabled user (same timing, same answer);
 * PANEL_ERR_BUSY when no scrypt slot came free.  On success a new session
 * is made (old_cookie's session, if any, is deleted: the id is rotated
 * at sign-in), *cookie is the new cookie value (the caller's, free()) and
 * *out the principal.  Every outcome is audited (action "login").
 */
enum panel_err	 auth_login(struct store *st, const struct auth_policy *pol,
		    const char *user, const char *password, const char *ip,
		    const char *old_cookie, char **cookie,
		    struct auth_principal **out);
/* The principal of a session cookie still valid at now; PANEL_ERR_AUTH
 * when unknown, expired or the user is disabled. */
enum panel_err	 auth_session(struct store *st, const char *cookie,
		    int64_t now, struct auth_principal **out);
/* Gives session p a new id and CSRF token (privilege change); *cookie
 * is the new value (the caller's). */
enum panel_err	 auth_session_rotate(struct store *st,
		    const struct auth_policy *pol, struct auth_principal *p,
		    char **cookie);
/* Deletes the session of cookie; audited as "logout". */
enum panel_err	 auth_logout(struct store *st, const char *cookie,
		    const char *ip);
/* 1 when token equals p's CSRF token (constant time), else 0. */
int		 auth_csrf_ok(const struct auth_principal *p,
		    const char *token);
/*
 * A bearer token ("acme_" + 43 base64url) from an Authorization header
 * value ("Bearer acme_...") or the bare token.  Looked up by its SHA-256
 * only.  PANEL_ERR_AUTH when malformed, unknown, revoked or its user is
 * disabled (audited "token.denied").
 */
enum panel_err	 auth_bearer(struct store *st, const char *value,
		    const char *ip, int64_t now, struct auth_principal **out);
/* REMOTE_USER mode: the user named by the web server; created as a
 * plain user when create is set (audited "user.create"), else
 * PANEL_ERR_AUTH if unknown.  Disabled users: PANEL_ERR_AUTH. */
enum panel_err	 auth_remote_user(struct store *st, const char *name,
		    int create, struct auth_principal **out);
/* Creates an API token for user_id; *token ("acme_...", shown once) is
 * the caller's (free()), *id (may be NULL) the row id.  Only its SHA-256
 * and a short hint are stored.  Not audited (the caller's actor). */
enum panel_err	 auth_token_create(struct store *st, int64_t user_id,
		    const char *name, char **token, int64_t *id);
/* Stores a token chosen elsewhere (the demo's ACME_ADMIN_TOKEN): it must
 * have the form auth_token_create makes ("acme_" + 43 base64url), else
 * PANEL_ERR_ARG; PANEL_ERR_EXISTS when it is already stored. */
enum panel_err	 auth_token_import(struct store *st, int64_t user_id,
		    const char *name, const char *token, int64_t *id);

/* 1 when p is an admin. */
int		 auth_is_admin(const struct auth_principal *p);
/* The "owner" argument for store calls: 0 for admins (everything),
 * else p's user id (own objects only); -1 (matches nothing) for NULL. */
int64_t		 auth_owner(const struct auth_principal *p);
/* 1 when p may act on an object owned by owner, else 0. */
int		 auth_may(const struct auth_principal *p, int64_t owner);

#endif /* !PANEL_H */
