/*
 * CA accounts: list, registration form, registration, detail, contact
 * update, key rollover (RFC 8555 7.3.5) and deactivation (7.3.6).
 *
 * Every input goes through valid_field() before anything is written;
 * the CA work itself (and its audit rows) is ops_account_*'s.  Store
 * getters are owner-checked, so someone else's account is a 404.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pages.h"

/* What the form posts for "another CA" (the URL is in custom_url). */
#define SERVER_CUSTOM	"custom"

/* The values of the registration form, as typed (borrowed). */
struct acc_form {
	const char	*server;	/* preset key, "custom", or URL */
	const char	*custom_url;
	const char	*email;
	const char	*key_type;
	const char	*eab_kid;
	const char	*eab_hmac;
	int		 tos;
};

/* A name for the account's CA: the preset's label, else the host. */
static void
ca_name(const struct store_account *a, char *buf, size_t len)
{
	const struct panel_preset	*p;
	const char			*h;
	size_t				 n;

	if (a->ca_preset != NULL &&
	    (p = panel_preset_get(a->ca_preset)) != NULL) {
		snprintf(buf, len, "%s", p->label);
		return;
	}
	h = a->ca_url != NULL ? a->ca_url : "";
	if (strncmp(h, "https://", 8) == 0)
		h += 8;
	n = strcspn(h, "/?#");
	snprintf(buf, len, "%.*s", (int)(n > 200 ? 200 : n), h);
}

/* The first contact's bare address, or "". */
static const char *
acc_email(const struct store_account *a)
{
	const char	*c;

	if (a->ncontacts == 0 || a->contacts[0] == NULL)
		return "";
	c = a->contacts[0];
	return strncmp(c, "mailto:", 7) == 0 ? c + 7 : c;
}

/* The CA's stored problem (JSON text) as a sentence and its detail. */
static void
acc_problem(const char *error, json_t *out)
{
	json_t		*p;
	const char	*type, *detail;
	char		 msg[512];

	if (error == NULL || (p = json_loads(error, 0, NULL)) == NULL)
		return;
	type = json_string_value(json_object_get(p, "type"));
	detail = json_string_value(json_object_get(p, "detail"));
	if (type != NULL && strcmp(type, "externalAccountRequired") == 0)
		snprintf(msg, sizeof(msg), "This CA needs External Account "
		    "Binding: register again with the EAB key ID and HMAC "
		    "key from the CA's dashboard.");
	else if (type != NULL && (strcmp(type, "invalidContact") == 0 ||
	    strcmp(type, "unsupportedContact") == 0))
		snprintf(msg, sizeof(msg), "The CA refused the contact "
		    "address.");
	else if (type != NULL && strcmp(type, "rateLimited") == 0)
		snprintf(msg, sizeof(msg), "The CA's rate limit for new "
		    "accounts was reached; try again later.");
	else if (type != NULL && strcmp(type, "userActionRequired") == 0)
		snprintf(msg, sizeof(msg), "The CA needs you to act first, "
		    "for example to accept new terms of service.");
	else
		snprintf(msg, sizeof(msg), "The CA refused to register this "
		    "account.");
	json_object_set_new(out, "error_text", json_string(msg));
	if (detail != NULL)
		json_object_set_new(out, "error_detail", json_string(detail));
	json_decref(p);
}

/*
 * An account as the API shows it (DESIGN.md: id, status, acme_server,
 * ca_url, kid, contact[], key_type, created; more fields welcome).  Never
 * the key.  New reference, NULL when out of memory.
 */
static json_t *
account_json(const struct store_account *a)
{
	json_t	*o, *c;
	size_t	 i;
	char	 name[256];

	ca_name(a, name, sizeof(name));
	if ((c = json_array()) == NULL)
		return NULL;
	for (i = 0; i < a->ncontacts; i++)
		json_array_append_new(c, json_string(a->contacts[i]));
	o = json_pack("{s:I,s:s,s:s,s:s,s:s?,s:o,s:s,s:o,s:o,s:s,s:s,s:b}",
	    "id", (json_int_t)a->id,
	    "status", store_acc_status_name(a->status),
	    "acme_server", a->ca_preset != NULL ? a->ca_preset : a->ca_url,
	    "ca_url", a->ca_url,
	    "kid", a->kid,
	    "contact", c,
	    "key_type", acme_keytype_name(a->key_type),
	    "created", page_time(a->created, 1),
	    "updated", page_time(a->updated, 1),
	    "ca_name", name,
	    "email", acc_email(a),
	    "tos_agreed", a->tos_agreed);
	if (o != NULL && a->error != NULL) {
		json_t	*p = json_loads(a->error, 0, NULL);

		json_object_set_new(o, "error", p != NULL ? p : json_null());
	} else if (o != NULL)
		json_object_set_new(o, "error", json_null());
	return o;
}

/* An account as the pages show it. */
static json_t *
account_page(const struct store_account *a)
{
	json_t	*o;
	char	 name[256];

	ca_name(a, name, sizeof(name));
	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:b}",
	    "id", (json_int_t)a->id,
	    "ca_name", name,
	    "ca_url", a->ca_url != NULL ? a->ca_url : "",
	    "status", store_acc_status_name(a->status),
	    "kid", a->kid != NULL ? a->kid : "",
	    "email", acc_email(a),
	    "key_type", acme_keytype_name(a->key_type),
	    "created", page_time(a->created, 0),
	    "active", a->status == STORE_ACC_VALID);
	if (o != NULL)
		acc_problem(a->error, o);
	return o;
}

/* Answers with the account: JSON status + the account. */
static void
account_reply(struct rq *rq, int status, int64_t id)
{
	struct store_account	*a = NULL;
	enum panel_err		 pe;
	char			 loc[64];

	if ((pe = store_account_get(rq->pn->st, id, auth_owner(rq->user),
	    &a)) != PANEL_OK) {
		page_store_fail(rq, pe, "No such CA account.");
		return;
	}
	snprintf(loc, sizeof(loc), "/acme/accounts/%lld", (long long)id);
	resp_header(rq->resp, "Location", loc);
	resp_json(rq->resp, status, account_json(a));
	store_account_free(a);
}

/* The success answer of a POST: 303 to the account, or JSON. */
static void
account_done(struct rq *rq, int status, int64_t id)
{
	char	 path[64];

	if (rq->req->want_json) {
		account_reply(rq, status, id);
		return;
	}
	snprintf(path, sizeof(path), "/acme/accounts/%lld", (long long)id);
	page_redirect(rq, path);
}

/* ------------------------------------------------------------------ */
/* GET /acme/accounts                                                   */

void
accounts_list(struct rq *rq)
{
	struct store_account_list	*l = NULL;
	struct store_user_list		*ul = NULL;
	struct valid_value		 v;
	struct valid_error		 ve;
	json_t				*arr, *d, *e;
	enum panel_err			 pe;
	const char			*s;
	int64_t				 before = 0;
	unsigned			 limit = 0;
	char				 next[24];
	size_t				 i, j;
	int				 admin = auth_is_admin(rq->user);

	/* Pages of 50, newest first: ?before=ID&limit=N as for orders. */
	if (!page_blank(s = req_query(rq->req, "before"))) {
		if ((pe = page_check(rq, "before", "id", s, &v, &ve)) !=
		    PANEL_OK)
			goto bad;
		before = v.i;
		valid_value_clear(&v);
	}
	if (!page_blank(s = req_query(rq->req, "limit"))) {
		if ((pe = page_check(rq, "limit", NULL, s, &v, &ve)) !=
		    PANEL_OK)
			goto bad;
		limit = v.i > 0 && v.i <= 500 ? (unsigned)v.i : 0;
		valid_value_clear(&v);
	}
	if ((pe = store_account_page(rq->pn->st, auth_owner(rq->user),
	    before, limit, &l)) != PANEL_OK) {
		page_store_fail(rq, pe, "No accounts.");
		return;
	}
	if ((arr = json_array()) == NULL)
		goto oom;
	if (rq->req->want_json) {
		for (i = 0; i < l->n; i++)
			json_array_append_new(arr, account_json(&l->v[i]));
		resp_json(rq->resp, 200, json_pack("{s:o,s:o}", "accounts",
		    arr, "next", l->next > 0 ?
		    json_integer((json_int_t)l->next) : json_null()));
		store_account_list_free(l);
		return;
	}
	/* Admins see every owner's accounts: name the owner. */
	if (admin && store_user_list(rq->pn->st, &ul) != PANEL_OK)
		ul = NULL;
	for (i = 0; i < l->n; i++) {
		if ((e = account_page(&l->v[i])) == NULL)
			continue;
		for (j = 0; admin && ul != NULL && j < ul->n; j++)
			if (ul->v[j].id == l->v[i].owner)
				json_object_set_new(e, "owner",
				    json_string(ul->v[j].name));
		json_array_append_new(arr, e);
	}
	store_user_list_free(ul);
	snprintf(next, sizeof(next), "%lld", (long long)l->next);
	d = json_pack("{s:b,s:o,s:b,s:s?,s:b}", "has_accounts",
	    json_array_size(arr) > 0, "accounts", arr, "admin", admin,
	    "next", l->next > 0 ? next : NULL, "newest", before > 0);
	store_account_list_free(l);
	page_render(rq, 200, "accounts", d);
	return;
bad:
	if (pe == PANEL_ERR_INVALID)
		page_error(rq, 400, "invalid", ve.msg, ve.field);
	else
		page_error(rq, 500, "internal", "The request could not be "
		    "checked.", NULL);
	return;
oom:
	store_account_list_free(l);
	rq->resp->failed = 1;
}

/* ------------------------------------------------------------------ */
/* GET /acme/accounts/create, POST /acme/accounts                       */

/* The registration form's data with f's values kept. */
static json_t *
form_data(struct rq *rq, const struct acc_form *f)
{
	const struct panel_preset	*p;
	json_t				*d, *pr;
	size_t				 i, n;
	enum acme_keytype		 kt = ACME_KEY_EC256;
	const char			*sel = f->server;
	int				 eab = 0, custom;

	if (sel == NULL || *sel == '\0')
		sel = rq->pn->cfg->local_ca_url != NULL ? "local-test-ca" :
		    "letsencrypt";
	custom = strcmp(sel, SERVER_CUSTOM) == 0 ||
	    strncmp(sel, "https://", 8) == 0;
	if (f->key_type != NULL)
		(void)acme_keytype_parse(f->key_type, &kt);
	if ((pr = json_array()) == NULL)
		return NULL;
	p = panel_presets(&n);
	for (i = 0; i < n; i++) {
		/* The local test CA only where one is configured. */
		if (p[i].url == NULL && rq->pn->cfg->local_ca_url == NULL)
			continue;
		if (strcmp(p[i].key, sel) == 0 && p[i].eab_required)
			eab = 1;
		json_array_append_new(pr, json_pack("{s:s,s:s,s:b,s:b}",
		    "key", p[i].key, "name", p[i].label, "eab",
		    p[i].eab_required, "checked", strcmp(p[i].key, sel) == 0));
	}
	d = json_pack("{s:o,s:b,s:s,s:s,s:o,s:s,s:s,s:b,s:b}",
	    "presets", pr,
	    "custom_checked", custom,
	    "f_custom_url", f->custom_url != NULL ? f->custom_url :
	    (strncmp(sel, "https://", 8) == 0 ? sel : ""),
	    "f_email", f->email != NULL ? f->email : "",
	    "key_types", page_keytypes(kt),
	    "f_eab_kid", f->eab_kid != NULL ? f->eab_kid : "",
	    /* A secret, like a password: never written back into a page. */
	    "f_eab_hmac", "",
	    "show_eab", eab || !page_blank(f->eab_kid) || !page_blank(f->eab_hmac),
	    "f_tos_agreed", f->tos);
	return d;
}

void
accounts_form(struct rq *rq)
{
	struct acc_form	 f;

	if (rq->req->want_json) {
		/* What a script needs to fill the form: the presets. */
		const struct panel_preset	*p;
		json_t				*a = json_array();
		size_t				 i, n;

		p = panel_presets(&n);
		for (i = 0; a != NULL && i < n; i++) {
			if (p[i].url == NULL &&
			    rq->pn->cfg->local_ca_url == NULL)
				continue;
			json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:b}",
			    "key", p[i].key, "label", p[i].label, "url",
			    p[i].url != NULL ? p[i].url :
			    rq->pn->cfg->local_ca_url, "eab_required",
			    p[i].eab_required));
		}
		resp_json(rq->resp, 200, json_pack("{s:o}", "presets", a));
		return;
	}
	memset(&f, 0, sizeof(f));
	page_render(rq, 200, "account_form", form_data(rq, &f));
}

/* Refuses the registration: the form again, or the API error. */
static void
create_refuse(struct rq *rq, const struct acc_form *f, const char *field,
    const char *msg)
{
	page_form_error(rq, "account_form", form_data(rq, f), field, msg);
}

void
accounts_create(struct rq *rq)
{
	struct acc_form			 f;
	struct valid_value		 vs, ve, vk, vkid, vhmac, vt, vc;
	struct valid_error		 err;
	struct ops_account_req		 ar;
	struct ops_err			 oe;
	struct ops			 o;
	const struct panel_preset	*preset = NULL;
	const char			*contact, *server;
	char				*line = NULL, *p, *save = NULL;
	enum panel_err			 pe;
	int64_t				 id = 0;

	memset(&vs, 0, sizeof(vs));
	memset(&ve, 0, sizeof(ve));
	memset(&vk, 0, sizeof(vk));
	memset(&vkid, 0, sizeof(vkid));
	memset(&vhmac, 0, sizeof(vhmac));
	memset(&vt, 0, sizeof(vt));
	memset(&vc, 0, sizeof(vc));
	memset(&oe, 0, sizeof(oe));
	memset(&f, 0, sizeof(f));
	memset(&ar, 0, sizeof(ar));
	f.server = req_field(rq->req, "acme_server");
	f.custom_url = req_field(rq->req, "custom_url");
	f.email = req_field(rq->req, "email");
	f.key_type = req_field(rq->req, "key_type");
	f.eab_kid = req_field(rq->req, "eab_kid");
	f.eab_hmac = req_field(rq->req, "eab_hmac");
	contact = req_field(rq->req, "contact");

	/* tos_agreed first: the form shows the checkbox kept. */
	if (!page_blank(req_field(rq->req, "tos_agreed"))) {
		pe = page_check(rq, "tos_agreed", "auto",
		    req_field(rq->req, "tos_agreed"), &vt, &err);
		if (pe == PANEL_ERR_INVALID) {
			create_refuse(rq, &f, err.field, err.msg);
			goto out;
		} else if (pe != PANEL_OK)
			goto internal;
		f.tos = vt.i != 0;
	}

	/* The CA: a preset key, "custom" with custom_url, or a URL. */
	server = f.server;
	if (page_blank(server)) {
		create_refuse(rq, &f, "acme_server", "Choose a certificate "
		    "authority.");
		goto out;
	}
	if (strcmp(server, SERVER_CUSTOM) == 0) {
		if (page_blank(f.custom_url)) {
			create_refuse(rq, &f, "acme_server", "Enter the "
			    "directory URL of the other ACME CA (https://...).");
			goto out;
		}
		server = f.custom_url;
	}
	if ((pe = page_check(rq, "acme_server", NULL, server, &vs, &err)) ==
	    PANEL_ERR_INVALID) {
		create_refuse(rq, &f, "acme_server", err.msg);
		goto out;
	} else if (pe != PANEL_OK)
		goto internal;
	preset = vs.preset;
	if (preset != NULL && preset->url == NULL &&
	    rq->pn->cfg->local_ca_url == NULL) {
		create_refuse(rq, &f, "acme_server", "The local test CA is "
		    "not configured on this panel.");
		goto out;
	}

	/* Contact: email (form) or contact[] (API); one address. */
	if (page_blank(f.email) && !page_blank(contact)) {
		if ((line = strdup(contact)) == NULL)
			goto oom;
		for (p = strtok_r(line, "\n", &save); p != NULL;
		    p = strtok_r(NULL, "\n", &save)) {
			if (page_blank(p))
				continue;
			if (vc.s != NULL) {
				create_refuse(rq, &f, "contact", "Give one "
				    "contact e-mail address only.");
				goto out;
			}
			if ((pe = page_check(rq, "contact", "email", p, &vc,
			    &err)) == PANEL_ERR_INVALID) {
				create_refuse(rq, &f, "contact", err.msg);
				goto out;
			} else if (pe != PANEL_OK)
				goto internal;
		}
	} else if (!page_blank(f.email)) {
		if ((pe = page_check(rq, "email", NULL, f.email, &ve,
		    &err)) == PANEL_ERR_INVALID) {
			create_refuse(rq, &f, "email", err.msg);
			goto out;
		} else if (pe != PANEL_OK)
			goto internal;
	}

	ar.key_type = ACME_KEY_EC256;
	if (!page_blank(f.key_type)) {
		if ((pe = page_check(rq, "key_type", NULL, f.key_type, &vk,
		    &err)) == PANEL_ERR_INVALID) {
			create_refuse(rq, &f, "key_type", err.msg);
			goto out;
		} else if (pe != PANEL_OK)
			goto internal;
		if (vk.s == NULL || acme_keytype_parse(vk.s, &ar.key_type)) {
			create_refuse(rq, &f, "key_type", "Choose one of the "
			    "listed key types.");
			goto out;
		}
	}

	/* External Account Binding: both or neither; required by some. */
	if (!page_blank(f.eab_kid)) {
		if ((pe = page_check(rq, "eab_kid", NULL, f.eab_kid, &vkid,
		    &err)) == PANEL_ERR_INVALID) {
			create_refuse(rq, &f, "eab_kid", err.msg);
			goto out;
		} else if (pe != PANEL_OK)
			goto internal;
	}
	if (!page_blank(f.eab_hmac)) {
		if ((pe = page_check(rq, "eab_hmac", NULL, f.eab_hmac,
		    &vhmac, &err)) == PANEL_ERR_INVALID) {
			create_refuse(rq, &f, "eab_hmac", err.msg);
			goto out;
		} else if (pe != PANEL_OK)
			goto internal;
	}
	if (preset != NULL && preset->eab_required &&
	    (vkid.s == NULL || vhmac.s == NULL)) {
		char	 msg[192];

		snprintf(msg, sizeof(msg), "%s needs External Account Binding:"
		    " paste the EAB key ID and HMAC key from your %s "
		    "dashboard.", preset->label, preset->label);
		create_refuse(rq, &f, vkid.s == NULL ? "eab_kid" : "eab_hmac",
		    msg);
		goto out;
	}
	if ((vkid.s == NULL) != (vhmac.s == NULL)) {
		create_refuse(rq, &f, vkid.s == NULL ? "eab_kid" : "eab_hmac",
		    "External Account Binding needs both the key ID and the "
		    "HMAC key.");
		goto out;
	}

	if (!f.tos) {
		create_refuse(rq, &f, "tos_agreed", "Registering means "
		    "agreeing to the CA's terms of service: tick the box to "
		    "accept them.");
		goto out;
	}

	/* All checked: register. */
	ar.owner = rq->user->user_id;
	ar.server = preset != NULL ? preset->key : vs.s;
	ar.email = ve.s != NULL ? ve.s : vc.s;
	ar.eab_kid = vkid.s;
	ar.eab_hmac = vhmac.s;
	ar.tos_agreed = 1;
	page_ops(rq, &o);
	if ((pe = ops_account_create(&o, &ar, &id, &oe)) != PANEL_OK) {
		if (oe.status == 0)
			snprintf(oe.msg, sizeof(oe.msg), "Registration "
			    "failed: %s.", panel_strerror(pe));
		page_ops_error(rq, &oe, "account_form", form_data(rq, &f));
		goto out;
	}
	account_done(rq, 201, id);
	goto out;
oom:
	rq->resp->failed = 1;
	goto out;
internal:
	page_error(rq, 500, "internal", "The form could not be checked.",
	    NULL);
out:
	ops_err_clear(&oe);
	free(line);
	valid_value_clear(&vs);
	valid_value_clear(&ve);
	valid_value_clear(&vk);
	valid_value_clear(&vkid);
	if (vhmac.s != NULL)
		crypt_wipe_free(vhmac.s, strlen(vhmac.s));
	vhmac.s = NULL;
	valid_value_clear(&vhmac);
	valid_value_clear(&vt);
	valid_value_clear(&vc);
}

/* ------------------------------------------------------------------ */
/* GET /acme/accounts/{id} and its POST actions                        */

/* The detail page's data (account borrowed). */
static json_t *
show_data(const struct store_account *a)
{
	return json_pack("{s:o,s:o}", "account", account_page(a),
	    "key_types", page_keytypes(a->key_type));
}

void
accounts_show(struct rq *rq)
{
	struct store_account	*a = NULL;
	enum panel_err		 pe;

	if ((pe = store_account_get(rq->pn->st, rq->id, auth_owner(rq->user),
	    &a)) != PANEL_OK) {
		page_store_fail(rq, pe, "No such CA account.");
		return;
	}
	if (rq->req->want_json)
		resp_json(rq->resp, 200, account_json(a));
	else
		page_render(rq, 200, "account", show_data(a));
	store_account_free(a);
}

/*
 * Loads account rq->id for a POST action (404 when not the user's) and
 * refuses (409) unless it is registered and active.  Returns the row
 * (the caller frees) or NULL with the answer written.
 */
static struct store_account *
action_account(struct rq *rq)
{
	struct store_account	*a = NULL;
	enum panel_err		 pe;

	if ((pe = store_account_get(rq->pn->st, rq->id, auth_owner(rq->user),
	    &a)) != PANEL_OK) {
		page_store_fail(rq, pe, "No such CA account.");
		return NULL;
	}
	if (a->status != STORE_ACC_VALID) {
		char	 msg[160];

		snprintf(msg, sizeof(msg), "This account is %s at the CA; "
		    "only an active account can be changed.",
		    store_acc_status_name(a->status));
		if (rq->req->want_json)
			page_error(rq, 409, "account_inactive", msg, NULL);
		else
			page_form_error(rq, "account", show_data(a), NULL, msg);
		store_account_free(a);
		return NULL;
	}
	return a;
}

/* After an ops call on account a: the answer for success or failure. */
static void
action_done(struct rq *rq, const struct store_account *a, enum panel_err pe,
    struct ops_err *oe)
{
	if (pe != PANEL_OK) {
		if (oe->status == 0)
			snprintf(oe->msg, sizeof(oe->msg), "The action "
			    "failed: %s.", panel_strerror(pe));
		page_ops_error(rq, oe, "account", show_data(a));
		return;
	}
	account_done(rq, 200, a->id);
}

void
accounts_update(struct rq *rq)
{
	struct store_account	*a;
	struct valid_value	 v;
	struct valid_error	 err;
	struct ops_err		 oe;
	struct ops		 o;
	const char		*email = req_field(rq->req, "email");
	const char		*contact = req_field(rq->req, "contact");
	enum panel_err		 pe;

	memset(&v, 0, sizeof(v));
	memset(&oe, 0, sizeof(oe));
	if ((a = action_account(rq)) == NULL)
		return;
	/* The API may send contact[]: one address (or none) here too. */
	if (email == NULL && contact != NULL) {
		if (strchr(contact, '\n') != NULL) {
			page_form_error(rq, "account", show_data(a), "contact",
			    "Give one contact e-mail address only.");
			goto out;
		}
		email = contact;
	}
	if (!page_blank(email)) {
		if ((pe = page_check(rq, "email", NULL, email, &v, &err)) ==
		    PANEL_ERR_INVALID) {
			json_t	*d = show_data(a);

			json_object_set_new(d, "f_email", json_string(email));
			page_form_error(rq, "account", d, "email", err.msg);
			goto out;
		} else if (pe != PANEL_OK) {
			page_error(rq, 500, "internal", "The form could not "
			    "be checked.", NULL);
			goto out;
		}
	}
	page_ops(rq, &o);
	pe = ops_account_update(&o, a->id, auth_owner(rq->user), v.s, &oe);
	action_done(rq, a, pe, &oe);
out:
	ops_err_clear(&oe);
	valid_value_clear(&v);
	store_account_free(a);
}

void
accounts_rollover(struct rq *rq)
{
	struct store_account	*a;
	struct valid_value	 v;
	struct valid_error	 err;
	struct ops_err		 oe;
	struct ops		 o;
	const char		*kt = req_field(rq->req, "key_type");
	enum acme_keytype	 type;
	enum panel_err		 pe;

	memset(&v, 0, sizeof(v));
	memset(&oe, 0, sizeof(oe));
	if ((a = action_account(rq)) == NULL)
		return;
	type = a->key_type;	/* absent: a fresh key of the same type */
	if (!page_blank(kt)) {
		if ((pe = page_check(rq, "key_type", NULL, kt, &v, &err)) !=
		    PANEL_OK) {
			if (pe == PANEL_ERR_INVALID)
				page_form_error(rq, "account", show_data(a),
				    "key_type", err.msg);
			else
				page_error(rq, 500, "internal", "The form "
				    "could not be checked.", NULL);
			goto out;
		}
		if (v.s == NULL || acme_keytype_parse(v.s, &type) != 0) {
			page_form_error(rq, "account", show_data(a),
			    "key_type", "Choose one of the listed key types.");
			goto out;
		}
	}
	page_ops(rq, &o);
	pe = ops_account_rollover(&o, a->id, auth_owner(rq->user), type, &oe);
	action_done(rq, a, pe, &oe);
out:
	ops_err_clear(&oe);
	valid_value_clear(&v);
	store_account_free(a);
}

void
accounts_deactivate(struct rq *rq)
{
	struct store_account	*a;
	struct valid_value	 v;
	struct valid_error	 err;
	struct ops_err		 oe;
	struct ops		 o;
	const char		*confirm = req_field(rq->req, "confirm");
	enum panel_err		 pe;

	memset(&v, 0, sizeof(v));
	memset(&oe, 0, sizeof(oe));
	if ((a = action_account(rq)) == NULL)
		return;
	/*
	 * Deactivation cannot be undone (RFC 8555 7.3.6).  The browser form
	 * must carry the ticked "confirm" box; an API client says what it
	 * means by calling the route, but a confirm it sends must be true.
	 */
	if (!page_blank(confirm)) {
		if ((pe = page_check(rq, "confirm", "auto", confirm, &v,
		    &err)) == PANEL_ERR_INVALID) {
			page_form_error(rq, "account", show_data(a), "confirm",
			    err.msg);
			goto out;
		} else if (pe != PANEL_OK) {
			page_error(rq, 500, "internal", "The form could not "
			    "be checked.", NULL);
			goto out;
		}
	}
	if ((page_blank(confirm) && !rq->req->body_json) ||
	    (!page_blank(confirm) && v.i == 0)) {
		page_form_error(rq, "account", show_data(a), "confirm",
		    "Tick the box to confirm: the CA refuses a deactivated "
		    "account for good.");
		goto out;
	}
	page_ops(rq, &o);
	pe = ops_account_deactivate(&o, a->id, auth_owner(rq->user), &oe);
	action_done(rq, a, pe, &oe);
out:
	ops_err_clear(&oe);
	valid_value_clear(&v);
	store_account_free(a);
}
