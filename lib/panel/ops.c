/*
 * ops: the panel's ACME actions, part one: opening the program's
 * handles, errors in words, CA contexts, accounts and certificates.
 * Orders, challenges and finalization are in ops_order.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "ops_priv.h"

void
ops_err_clear(struct ops_err *e)
{
	if (e == NULL)
		return;
	free(e->problem);
	memset(e, 0, sizeof(*e));
}

void
ops_fail(struct ops_err *e, int status, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list	 ap;

	if (e == NULL)
		return;
	e->status = status;
	snprintf(e->code, sizeof(e->code), "%s", code);
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* A problem document as the JSON text we store and show. */
char *
ops_problem_json(const struct acme_problem *p)
{
	json_t	*o, *subs, *s;
	char	*txt, *esc = NULL, *sd;
	size_t	 i;

	if (p == NULL)
		return NULL;
	if ((o = json_pack("{s:s,s:s?,s:s?,s:I}", "type",
	    acme_ptype_name(p->ptype), "urn", p->type, "detail", NULL,
	    "status", (json_int_t)p->status)) == NULL)
		return NULL;
	if (p->detail != NULL && (esc = panel_escape_ctl(p->detail, 2048)))
		json_object_set_new(o, "detail", json_string(esc));
	free(esc);
	if (p->retry_after > 0)
		json_object_set_new(o, "retry_after",
		    json_integer((json_int_t)p->retry_after));
	if (p->nsub > 0 && (subs = json_array()) != NULL) {
		for (i = 0; i < p->nsub; i++) {
			sd = p->sub[i].detail == NULL ? NULL :
			    panel_escape_ctl(p->sub[i].detail, 1024);
			s = json_pack("{s:s,s:s?,s:s?}", "type",
			    acme_ptype_name(p->sub[i].ptype), "detail",
			    sd, "identifier", p->sub[i].ident.value);
			free(sd);
			if (s != NULL)
				json_array_append_new(subs, s);
		}
		json_object_set_new(o, "subproblems", subs);
	}
	txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return txt;
}

/* Plain words for a problem type, as a panel user would want them. */
static const char *
problem_words(enum acme_ptype t)
{
	switch (t) {
	case ACME_P_RATELIMITED:
		return "The CA's rate limit was reached.";
	case ACME_P_CONNECTION:
		return "The CA could not connect to the server to check the "
		    "challenge.";
	case ACME_P_DNS:
		return "The CA's DNS lookup failed.";
	case ACME_P_INCORRECTRESPONSE:
		return "The CA saw a different answer than expected.";
	case ACME_P_UNAUTHORIZED:
		return "The CA refused: not authorized.";
	case ACME_P_CAA:
		return "A CAA record in DNS forbids this CA for the name.";
	case ACME_P_REJECTEDIDENTIFIER:
		return "The CA will not issue for this name.";
	case ACME_P_UNSUPPORTEDIDENTIFIER:
		return "The CA does not support this kind of name.";
	case ACME_P_EXTERNALACCOUNTREQUIRED:
		return "This CA needs External Account Binding credentials "
		    "(EAB key ID and HMAC key from the CA's dashboard).";
	case ACME_P_ACCOUNTDOESNOTEXIST:
		return "The CA does not know this account.";
	case ACME_P_INVALIDCONTACT:
	case ACME_P_UNSUPPORTEDCONTACT:
		return "The CA refused the contact address.";
	case ACME_P_USERACTIONREQUIRED:
		return "The CA needs you to act first (for example, accept "
		    "new terms of service).";
	case ACME_P_BADCSR:
		return "The CA refused the certificate request.";
	case ACME_P_ORDERNOTREADY:
		return "The order is not ready yet: every name must be "
		    "validated first.";
	case ACME_P_ALREADYREVOKED:
		return "The certificate was already revoked.";
	case ACME_P_SERVERINTERNAL:
		return "The CA had an internal error; try again later.";
	default:
		return "The CA refused the request.";
	}
}

/*
 * Fills e from a libacme failure of step `what` on ctx (may be NULL).
 * CA problems keep their JSON in e->problem.
 */
void
ops_fail_acme(struct ops_err *e, struct acme_ctx *ctx, enum acme_err er,
    const char *what)
{
	const struct acme_problem	*p;

	if (e == NULL)
		return;
	char				*said = NULL;

	p = (ctx != NULL && er == ACME_ERR_PROBLEM) ?
	    acme_problem_get(ctx) : NULL;
	if (p != NULL) {
		/* The CA's words are data: control characters escaped. */
		if (p->detail != NULL)
			said = panel_escape_ctl(p->detail, 600);
		free(e->problem);
		e->problem = ops_problem_json(p);
		ops_fail(e, p->ptype == ACME_P_RATELIMITED ? 429 :
		    (p->status >= 500 ? 502 : 422), "ca_problem", NULL,
		    "%s: %s%s%s", what, problem_words(p->ptype),
		    said ? " The CA said: " : "", said ? said : "");
		free(said);
		return;
	}
	if (ctx != NULL && *acme_detail_get(ctx))
		said = panel_escape_ctl(acme_detail_get(ctx), 600);
	ops_fail(e, er == ACME_ERR_IDENT || er == ACME_ERR_ARG ? 422 : 502,
	    "ca_error", NULL, "%s: %s%s%s%s", what, acme_strerror(er),
	    said ? " (" : "", said ? said : "", said ? ")" : "");
	free(said);
}

/* Fills e from a store failure. */
void
ops_fail_store(struct ops_err *e, enum panel_err pe, const char *what)
{
	if (pe == PANEL_ERR_NOTFOUND)
		ops_fail(e, 404, "not_found", NULL, "%s: not found.", what);
	else if (pe == PANEL_ERR_BUSY)
		ops_fail(e, 503, "busy", NULL, "%s: the database is busy; "
		    "try again.", what);
	else
		ops_fail(e, 500, "internal", NULL, "%s: %s.", what,
		    panel_strerror(pe));
}

void
ops_audit(const struct ops *o, const char *action, const char *object,
    enum audit_result r, const char *detail)
{
	/* A failed audit write must not hide the action's own outcome;
	 * audit_append reports through its return, logged by callers
	 * that can (the commands). */
	(void)audit_append(o->st, o->actor ? o->actor : "-", o->ip, action,
	    object, r, detail, NULL);
}

enum panel_err
ops_open(const char *conf_path, struct store **st, struct panel_config **cfg,
    struct panel_kek **kek, char *err, size_t errlen)
{
	enum panel_err	 pe;

	*st = NULL;
	*kek = NULL;
	if ((pe = config_load(conf_path, cfg, err, errlen)) != PANEL_OK)
		return pe;
	if ((pe = store_open((*cfg)->database, st)) != PANEL_OK) {
		snprintf(err, errlen, "%s: %s", (*cfg)->database,
		    panel_strerror(pe));
		goto fail;
	}
	if ((pe = crypt_kek_load((*cfg)->kek_file, kek)) != PANEL_OK) {
		snprintf(err, errlen, "%s: %s", (*cfg)->kek_file,
		    panel_strerror(pe));
		goto fail;
	}
	return PANEL_OK;
fail:
	store_close(*st);
	*st = NULL;
	config_free(*cfg);
	*cfg = NULL;
	return pe;
}

enum panel_err
ops_acme_ctx(const struct ops *o, const char *url, struct acme_ctx **ctx,
    struct ops_err *err)
{
	struct acme_opts	 opts;
	enum acme_err		 er;
	int			 local;

	memset(&opts, 0, sizeof(opts));
	local = o->cfg->local_ca_url != NULL &&
	    strcmp(url, o->cfg->local_ca_url) == 0;
	opts.directory_url = url;
	/* The configured bundle is for the local or a private CA; public
	 * CAs are checked against the system's trust store. */
	if (local || o->cfg->allow_private_ca)
		opts.ca_file = o->cfg->ca_file;
	opts.refuse_private = !local && !o->cfg->allow_private_ca;
	opts.timeout_ms = (long)o->cfg->ca_timeout * 1000L;
	opts.user_agent = "acme-panel/" OPS_VERSION;
	if ((er = acme_ctx_new(&opts, ctx)) != ACME_OK) {
		ops_fail_acme(err, NULL, er, "CA settings");
		return PANEL_ERR_ARG;
	}
	return PANEL_OK;
}

#define OPS_CACHE_MAX	8

struct ops_cache_ent {
	int64_t			 id;		/* account id, 0: free */
	unsigned char		*key_enc;	/* the sealed key it was made
						   with */
	size_t			 key_enc_len;
	struct acme_ctx		*ctx;
	struct acme_key		*key;
	unsigned long		 used;
};

/* The certificate key of the order placed last (ops_cache_key_put). */
struct ops_cache_key {
	int64_t			 order_id;	/* 0: none */
	unsigned char		*sealed;	/* as stored in the row */
	size_t			 slen;
	struct acme_key		*key;
	char			*pem;
	size_t			 len;
};

struct ops_cache {
	struct ops_cache_ent	 e[OPS_CACHE_MAX];
	unsigned long		 tick;
	struct ops_cache_key	 k;
};

static void
cache_ent_clear(struct ops_cache_ent *e)
{
	acme_ctx_free(e->ctx);		/* before the key it borrows */
	acme_key_free(e->key);
	free(e->key_enc);
	memset(e, 0, sizeof(*e));
}

enum panel_err
ops_cache_new(struct ops_cache **out)
{
	return (*out = calloc(1, sizeof(**out))) == NULL ?
	    PANEL_ERR_NOMEM : PANEL_OK;
}

static void
cache_key_clear(struct ops_cache_key *k)
{
	free(k->sealed);
	acme_key_free(k->key);
	crypt_wipe_free(k->pem, k->len);
	memset(k, 0, sizeof(*k));
}

void
ops_cache_free(struct ops_cache *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < OPS_CACHE_MAX; i++)
		cache_ent_clear(&c->e[i]);
	cache_key_clear(&c->k);
	free(c);
}

void
ops_cache_key_put(struct ops_cache *c, int64_t order_id,
    const unsigned char *sealed, size_t slen, struct acme_key *key,
    char *pem, size_t len)
{
	if (c == NULL) {
		acme_key_free(key);
		crypt_wipe_free(pem, len);
		return;
	}
	cache_key_clear(&c->k);
	if ((c->k.sealed = malloc(slen)) == NULL) {
		acme_key_free(key);
		crypt_wipe_free(pem, len);
		return;
	}
	memcpy(c->k.sealed, sealed, slen);
	c->k.slen = slen;
	c->k.order_id = order_id;
	c->k.key = key;
	c->k.pem = pem;
	c->k.len = len;
}

int
ops_cache_key_take(struct ops_cache *c, int64_t order_id,
    const unsigned char *sealed, size_t slen, struct acme_key **key,
    char **pem, size_t *len)
{
	if (c == NULL || c->k.order_id != order_id || c->k.slen != slen ||
	    memcmp(c->k.sealed, sealed, slen) != 0)
		return 0;
	*key = c->k.key;
	*pem = c->k.pem;
	*len = c->k.len;
	c->k.key = NULL;
	c->k.pem = NULL;
	c->k.len = 0;
	cache_key_clear(&c->k);
	return 1;
}

/* The entry of account row, made with its current key, or NULL. */
static struct ops_cache_ent *
cache_find(struct ops_cache *c, const struct store_account *row)
{
	size_t	 i;

	for (i = 0; i < OPS_CACHE_MAX; i++)
		if (c->e[i].id == row->id &&
		    c->e[i].key_enc_len == row->key_enc_len &&
		    memcmp(c->e[i].key_enc, row->key_enc, row->key_enc_len) ==
		    0) {
			c->e[i].used = ++c->tick;
			return &c->e[i];
		}
	return NULL;
}

/* Hands a's ctx and key to the cache (the least recently used entry, or
 * the account's stale one, makes room).  a->cached tells if it took them. */
static void
cache_put(struct ops_cache *c, struct ops_acct *a)
{
	struct ops_cache_ent	*e = &c->e[0];
	size_t			 i;

	for (i = 0; i < OPS_CACHE_MAX; i++) {
		if (c->e[i].id == a->row->id || c->e[i].id == 0) {
			e = &c->e[i];
			break;
		}
		if (c->e[i].used < e->used)
			e = &c->e[i];
	}
	cache_ent_clear(e);
	if ((e->key_enc = malloc(a->row->key_enc_len)) == NULL)
		return;
	memcpy(e->key_enc, a->row->key_enc, a->row->key_enc_len);
	e->key_enc_len = a->row->key_enc_len;
	e->id = a->row->id;
	e->ctx = a->ctx;
	e->key = a->key;
	e->used = ++c->tick;
	a->cached = 1;
}

void
ops_acct_close(struct ops_acct *a)
{
	if (a == NULL)
		return;
	if (!a->cached) {
		acme_ctx_free(a->ctx);
		acme_key_free(a->key);
	}
	store_account_free(a->row);
	memset(a, 0, sizeof(*a));
}

/*
 * Opens account id for owner: row, decrypted key, CA context signing as
 * the account.  PANEL_OK or an error with err filled.
 */
enum panel_err
ops_acct_open(const struct ops *o, int64_t id, int64_t owner,
    struct ops_acct *a, struct ops_err *err)
{
	struct ops_cache_ent	*ce;
	char		 aad[CRYPT_AAD_MAX], *pem = NULL;
	size_t		 len = 0;
	enum panel_err	 pe;
	enum acme_err	 er;

	memset(a, 0, sizeof(*a));
	if ((pe = store_account_get(o->st, id, owner, &a->row)) != PANEL_OK) {
		ops_fail_store(err, pe, "CA account");
		return pe;
	}
	if (a->row->key_enc == NULL) {
		ops_fail(err, 409, "account_state", "account_id",
		    "CA account %lld has no key.", (long long)id);
		pe = PANEL_ERR_ARG;
		goto fail;
	}
	if (o->cache != NULL && (ce = cache_find(o->cache, a->row)) != NULL) {
		a->ctx = ce->ctx;
		a->key = ce->key;
		a->cached = 1;
		if (acme_ctx_set_account(a->ctx, a->key, a->row->kid) !=
		    ACME_OK) {
			pe = PANEL_ERR_NOMEM;
			goto fail;
		}
		return PANEL_OK;
	}
	crypt_aad(aad, "account", id);
	if ((pe = crypt_open(o->kek, aad, a->row->key_enc,
	    a->row->key_enc_len, &pem, &len)) != PANEL_OK) {
		ops_fail(err, 500, "key", NULL, "The account key could not be "
		    "decrypted (wrong key-encryption key?).");
		goto fail;
	}
	er = acme_key_parse_pem(pem, len, &a->key);
	crypt_wipe_free(pem, len);
	if (er != ACME_OK) {
		ops_fail_acme(err, NULL, er, "Account key");
		pe = PANEL_ERR_CRYPTO;
		goto fail;
	}
	if ((pe = ops_acme_ctx(o, a->row->ca_url, &a->ctx, err)) != PANEL_OK)
		goto fail;
	if (acme_ctx_set_account(a->ctx, a->key, a->row->kid) != ACME_OK) {
		pe = PANEL_ERR_NOMEM;
		goto fail;
	}
	if (o->cache != NULL)
		cache_put(o->cache, a);
	return PANEL_OK;
fail:
	ops_acct_close(a);
	return pe;
}

/* Seals a key's PEM under "kind:id"; *out is the caller's. */
enum panel_err
ops_seal_key(const struct ops *o, const struct acme_key *k, const char *kind,
    int64_t id, unsigned char **out, size_t *outlen)
{
	char		 aad[CRYPT_AAD_MAX], *pem = NULL;
	size_t		 len = 0;
	enum panel_err	 pe;

	if (acme_key_pem(k, &pem, &len) != ACME_OK)
		return PANEL_ERR_CRYPTO;
	crypt_aad(aad, kind, id);
	pe = crypt_seal(o->kek, aad, pem, len, out, outlen);
	crypt_wipe_free(pem, len);
	return pe;
}

/* The directory URL of a server field: preset key or URL. */
static const char *
server_url(const struct ops *o, const char *server, const char **preset)
{
	const struct panel_preset	*p;

	*preset = NULL;
	if ((p = panel_preset_get(server)) == NULL)
		return server;
	*preset = p->key;
	return p->url != NULL ? p->url : o->cfg->local_ca_url;
}

enum panel_err
ops_account_create(const struct ops *o, const struct ops_account_req *req,
    int64_t *id, struct ops_err *err)
{
	struct store_account	 row;
	struct acme_account_req	 ar;
	struct acme_account	*acct = NULL;
	struct acme_ctx		*ctx = NULL;
	struct acme_key		*key = NULL;
	unsigned char		*sealed = NULL;
	size_t			 slen = 0;
	char			*contact = NULL, obj[64], *pj;
	const char		*url, *preset;
	const char		*cl[1];
	enum panel_err		 pe;
	enum acme_err		 er;
	int64_t			 now = time(NULL);

	*id = 0;
	if ((url = server_url(o, req->server, &preset)) == NULL) {
		ops_fail(err, 422, "invalid", "acme_server",
		    "The local test CA is not configured here.");
		return PANEL_ERR_INVALID;
	}
	if (req->email != NULL &&
	    asprintf(&contact, "mailto:%s", req->email) == -1)
		return PANEL_ERR_NOMEM;
	cl[0] = contact;
	if ((er = acme_key_new(req->key_type, &key)) != ACME_OK) {
		ops_fail_acme(err, NULL, er, "Account key");
		pe = PANEL_ERR_CRYPTO;
		goto out;
	}
	memset(&row, 0, sizeof(row));
	row.owner = req->owner;
	row.ca_url = (char *)(uintptr_t)url;
	row.ca_preset = (char *)(uintptr_t)preset;
	row.contacts = contact ? &contact : NULL;
	row.ncontacts = contact ? 1 : 0;
	row.key_type = req->key_type;
	row.status = STORE_ACC_NEW;
	row.tos_agreed = req->tos_agreed;
	row.eab_kid = (char *)(uintptr_t)req->eab_kid;
	if ((pe = store_account_add(o->st, &row, now, id)) != PANEL_OK) {
		ops_fail_store(err, pe, "Saving the account");
		goto out;
	}
	snprintf(obj, sizeof(obj), "account:%lld", (long long)*id);
	if ((pe = ops_seal_key(o, key, "account", *id, &sealed, &slen)) !=
	    PANEL_OK || (pe = store_account_set_key(o->st, *id,
	    req->key_type, sealed, slen, now)) != PANEL_OK) {
		ops_fail_store(err, pe, "Saving the account key");
		goto out;
	}
	if ((pe = ops_acme_ctx(o, url, &ctx, err)) != PANEL_OK)
		goto failed;
	acme_ctx_set_account(ctx, key, NULL);
	memset(&ar, 0, sizeof(ar));
	ar.contact = cl;
	ar.ncontact = contact ? 1 : 0;
	ar.tos_agreed = req->tos_agreed;
	ar.eab_kid = req->eab_kid;
	ar.eab_hmac = req->eab_hmac;
	if ((er = acme_account_new(ctx, &ar, &acct)) != ACME_OK) {
		ops_fail_acme(err, ctx, er, "Registering with the CA");
		pe = PANEL_ERR_ARG;
		goto failed;
	}
	if ((pe = store_account_set_kid(o->st, *id, acct->url,
	    STORE_ACC_VALID, now)) != PANEL_OK) {
		ops_fail_store(err, pe, "Saving the account URL");
		goto out;
	}
	ops_audit(o, "account.create", obj, AUDIT_OK, url);
	goto out;
failed:
	pj = err->problem != NULL ? err->problem : NULL;
	store_account_set_status(o->st, *id, STORE_ACC_FAILED, pj, now);
	ops_audit(o, "account.create", obj, AUDIT_FAIL, err->msg);
out:
	acme_account_free(acct);
	acme_ctx_free(ctx);
	acme_key_free(key);
	free(sealed);
	free(contact);
	return pe;
}

enum panel_err
ops_account_update(const struct ops *o, int64_t id, int64_t owner,
    const char *email, struct ops_err *err)
{
	struct ops		 nc = *o;	/* the key may change: no cache */
	struct ops_acct		 a;
	struct acme_account	*acct = NULL;
	char			*contact = NULL, obj[64];
	const char		*cl[1];
	enum panel_err		 pe;
	enum acme_err		 er;

	nc.cache = NULL;
	if ((pe = ops_acct_open(&nc, id, owner, &a, err)) != PANEL_OK)
		return pe;
	snprintf(obj, sizeof(obj), "account:%lld", (long long)id);
	if (email != NULL && asprintf(&contact, "mailto:%s", email) == -1) {
		pe = PANEL_ERR_NOMEM;
		goto out;
	}
	cl[0] = contact;
	if ((er = acme_account_update(a.ctx, cl, contact ? 1 : 0, &acct)) !=
	    ACME_OK) {
		ops_fail_acme(err, a.ctx, er, "Updating the contact");
		ops_audit(o, "account.update", obj, AUDIT_FAIL, err->msg);
		pe = PANEL_ERR_ARG;
		goto out;
	}
	if ((pe = store_account_set_contacts(o->st, id,
	    (const char *const *)cl, contact ? 1 : 0, time(NULL))) !=
	    PANEL_OK) {
		ops_fail_store(err, pe, "Saving the contact");
		goto out;
	}
	ops_audit(o, "account.update", obj, AUDIT_OK, contact);
out:
	free(contact);
	acme_account_free(acct);
	ops_acct_close(&a);
	return pe;
}

enum panel_err
ops_account_rollover(const struct ops *o, int64_t id, int64_t owner,
    enum acme_keytype type, struct ops_err *err)
{
	struct ops		 nc = *o;	/* the key may change: no cache */
	struct ops_acct	 a;
	struct acme_key	*nk = NULL;
	unsigned char	*sealed = NULL;
	size_t		 slen = 0;
	char		 obj[64];
	enum panel_err	 pe;
	enum acme_err	 er;

	nc.cache = NULL;
	if ((pe = ops_acct_open(&nc, id, owner, &a, err)) != PANEL_OK)
		return pe;
	snprintf(obj, sizeof(obj), "account:%lld", (long long)id);
	if ((er = acme_key_new(type, &nk)) != ACME_OK) {
		ops_fail_acme(err, NULL, er, "New account key");
		pe = PANEL_ERR_CRYPTO;
		goto out;
	}
	/* Seal the new key before the CA switches, so a failure between
	 * the two can be told apart by the audit row. */
	if ((pe = ops_seal_key(o, nk, "account", id, &sealed, &slen)) !=
	    PANEL_OK) {
		ops_fail_store(err, pe, "Sealing the new key");
		goto out;
	}
	if ((er = acme_account_keychange(a.ctx, nk)) != ACME_OK) {
		ops_fail_acme(err, a.ctx, er, "Key rollover");
		ops_audit(o, "account.rollover", obj, AUDIT_FAIL, err->msg);
		pe = PANEL_ERR_ARG;
		goto out;
	}
	if ((pe = store_account_set_key(o->st, id, type, sealed, slen,
	    time(NULL))) != PANEL_OK) {
		ops_fail_store(err, pe, "Saving the new key");
		ops_audit(o, "account.rollover", obj, AUDIT_FAIL,
		    "the CA switched keys but the new key was not saved");
		goto out;
	}
	ops_audit(o, "account.rollover", obj, AUDIT_OK,
	    acme_keytype_name(type));
out:
	free(sealed);
	ops_acct_close(&a);	/* frees the ctx before the key it borrows */
	acme_key_free(nk);
	return pe;
}

enum panel_err
ops_account_deactivate(const struct ops *o, int64_t id, int64_t owner,
    struct ops_err *err)
{
	struct ops		 nc = *o;	/* the key may change: no cache */
	struct ops_acct		 a;
	struct acme_account	*acct = NULL;
	char			 obj[64];
	enum panel_err		 pe;
	enum acme_err		 er;

	nc.cache = NULL;
	if ((pe = ops_acct_open(&nc, id, owner, &a, err)) != PANEL_OK)
		return pe;
	snprintf(obj, sizeof(obj), "account:%lld", (long long)id);
	if ((er = acme_account_deactivate(a.ctx, &acct)) != ACME_OK) {
		ops_fail_acme(err, a.ctx, er, "Deactivation");
		ops_audit(o, "account.deactivate", obj, AUDIT_FAIL, err->msg);
		pe = PANEL_ERR_ARG;
		goto out;
	}
	if ((pe = store_account_set_status(o->st, id, STORE_ACC_DEACTIVATED,
	    NULL, time(NULL))) != PANEL_OK) {
		ops_fail_store(err, pe, "Saving the status");
		goto out;
	}
	ops_audit(o, "account.deactivate", obj, AUDIT_OK, NULL);
out:
	acme_account_free(acct);
	ops_acct_close(&a);
	return pe;
}

enum panel_err
ops_cert_revoke(const struct ops *o, int64_t id, int64_t owner, int reason,
    struct ops_err *err)
{
	struct store_cert	*c = NULL;
	struct ops_acct		 a;
	char			 obj[64], why[32];
	enum panel_err		 pe;
	enum acme_err		 er;

	memset(&a, 0, sizeof(a));
	snprintf(obj, sizeof(obj), "certificate:%lld", (long long)id);
	if ((pe = store_cert_get(o->st, id, owner, &c)) != PANEL_OK) {
		ops_fail_store(err, pe, "Certificate");
		return pe;
	}
	if (c->status == STORE_CERT_REVOKED) {
		ops_fail(err, 409, "already_revoked", NULL,
		    "This certificate is already revoked.");
		pe = PANEL_ERR_EXISTS;
		goto out;
	}
	if ((pe = ops_acct_open(o, c->account_id, 0, &a, err)) != PANEL_OK)
		goto out;
	snprintf(why, sizeof(why), "reason %d", reason);
	er = acme_cert_revoke(a.ctx, c->chain_pem, strlen(c->chain_pem),
	    reason, NULL);
	if (er != ACME_OK && !(er == ACME_ERR_PROBLEM &&
	    acme_problem_get(a.ctx)->ptype == ACME_P_ALREADYREVOKED)) {
		ops_fail_acme(err, a.ctx, er, "Revocation");
		ops_audit(o, "certificate.revoke", obj, AUDIT_FAIL, err->msg);
		pe = PANEL_ERR_ARG;
		goto out;
	}
	if ((pe = store_cert_set_revoked(o->st, id, reason, time(NULL))) !=
	    PANEL_OK) {
		ops_fail_store(err, pe, "Saving the revocation");
		goto out;
	}
	ops_audit(o, "certificate.revoke", obj, AUDIT_OK, why);
out:
	ops_acct_close(&a);
	store_cert_free(c);
	return pe;
}

int64_t
ops_renew_at(const struct panel_config *cfg, int64_t not_before,
    int64_t not_after, const char **why)
{
	int64_t		 life = not_after - not_before;
	int64_t		 days = (int64_t)cfg->renew_days_before * 86400;
	int64_t		 t, half;
	const char	*w;

	if (life <= 0) {
		t = not_after;
		w = "no lifetime";
		goto out;
	}
	t = not_before + life * 2 / 3;
	w = "two thirds of the lifetime";
	if (not_after - days < t) {
		t = not_after - days;
		w = "renew_days_before";
	}
	half = not_before + life / 2;
	if (t < half) {
		t = half;
		w = "half of the lifetime (renew_days_before is longer)";
	}
out:
	if (why != NULL)
		*why = w;
	return t;
}

enum panel_err
ops_renewal_info(const struct ops *o, int64_t account_id, const char *certid,
    struct acme_renewal *ren, int *offered, struct ops_err *err)
{
	struct ops_acct	 a;
	enum panel_err	 pe;
	enum acme_err	 er;

	memset(ren, 0, sizeof(*ren));
	*offered = 0;
	if ((pe = ops_acct_open(o, account_id, 0, &a, err)) != PANEL_OK)
		return pe;
	er = acme_ari_fetch(a.ctx, certid, ren);
	if (er == ACME_ERR_UNSUPPORTED)
		pe = PANEL_OK;
	else if (er != ACME_OK) {
		ops_fail_acme(err, a.ctx, er, "renewalInfo");
		pe = PANEL_ERR_ARG;
	} else
		*offered = 1;
	ops_acct_close(&a);
	return pe;
}

int
ops_ari_known(const struct ops *o, int64_t account_id)
{
	const struct acme_directory	*d;
	struct ops_acct			 a;
	int				 rc = -1;

	if (o->cache == NULL ||
	    ops_acct_open(o, account_id, 0, &a, NULL) != PANEL_OK)
		return -1;
	if ((d = acme_directory_get(a.ctx)) != NULL)
		rc = d->renewal_info != NULL;
	ops_acct_close(&a);
	return rc;
}

enum panel_err
ops_cert_key(const struct ops *o, int64_t id, int64_t owner, char **pem,
    size_t *len, struct ops_err *err)
{
	struct store_cert	*c = NULL;
	char			 aad[CRYPT_AAD_MAX], obj[64];
	enum panel_err		 pe;

	*pem = NULL;
	*len = 0;
	snprintf(obj, sizeof(obj), "certificate:%lld", (long long)id);
	if ((pe = store_cert_get(o->st, id, owner, &c)) != PANEL_OK) {
		ops_fail_store(err, pe, "Certificate");
		ops_audit(o, "certificate.key", obj, AUDIT_DENIED,
		    "not found or not the owner");
		return pe;
	}
	if (c->key_enc == NULL) {
		ops_fail(err, 404, "not_found", NULL, "No key is stored for "
		    "this certificate.");
		pe = PANEL_ERR_NOTFOUND;
		goto out;
	}
	crypt_aad(aad, "certificate", id);
	if ((pe = crypt_open(o->kek, aad, c->key_enc, c->key_enc_len, pem,
	    len)) != PANEL_OK) {
		ops_fail(err, 500, "key", NULL, "The key could not be "
		    "decrypted.");
		goto out;
	}
	ops_audit(o, "certificate.key", obj, AUDIT_OK, "private key download");
out:
	store_cert_free(c);
	return pe;
}
