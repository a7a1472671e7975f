/*
 * Orders, part one: the list (filter, keyset pages), the form, placing an
 * order and the local guard in front of the CA's rate limits.  The detail,
 * challenges, respond and finalize pages are order_view.c's; the words
 * they share, order_text.c's (orders.h).
 *
 * Every input goes through valid_field() before anything is written.
 * Store getters are owner-checked: someone else's order is a 404.  The
 * ACME work and its audit rows are ops_*'s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "orders.h"

/*
 * The local guard in front of the CA's limits (Let's Encrypt's are the
 * model): certificates for one exact set of names per week, and failed
 * validations per account and name per hour.
 */
#define GUARD_DUP_MAX		5
#define GUARD_DUP_WINDOW	(7 * 86400)
#define GUARD_FAIL_MAX		5
#define GUARD_FAIL_WINDOW	3600
#define ACCOUNT_CHOICES		200	/* accounts listed in the form */

/* The order form's values as typed (borrowed). */
struct ord_form {
	const char	*account_id;
	const char	*domains;
	const char	*key_type;
	const char	*challenge_type;
	int		 autom;
	int		 auto_renew;
	int		 show_override;
	json_t		*suggestions;	/* borrowed array, or NULL */
};

/* ------------------------------------------------------------------ */
/* Small helpers.                                                       */

/* The CA's name for an account: preset label, else the URL's host. */
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

/* A boolean field: absent gives def; 0/1 in *out.  PANEL_OK or as
 * check_field (ve filled). */
enum panel_err
orders_bool_field(struct rq *rq, const char *field, int def, int *out,
    struct valid_error *ve)
{
	struct valid_value	 v;
	const char		*s = req_field(rq->req, field);
	enum panel_err		 pe;

	*out = def;
	if (s == NULL || *s == '\0')
		return PANEL_OK;
	if ((pe = page_check(rq, field, "auto", s, &v, ve)) == PANEL_OK)
		*out = v.i != 0;
	valid_value_clear(&v);
	return pe;
}

/* ------------------------------------------------------------------ */
/* GET /acme/orders                                                     */

/* The status filter's options: "any", then each status in order. */
enum sel_field { SEL_VALUE, SEL_LABEL, SEL_SELECTED, SEL__MAX };

static const char *const sel_fields[] = {
	[SEL_VALUE] = "value",
	[SEL_LABEL] = "label",
	[SEL_SELECTED] = "selected",
};
_Static_assert(sizeof(sel_fields) / sizeof(sel_fields[0]) == SEL__MAX,
    "sel_fields");

/* An option (tmpl_rows.get); ctx: the list's struct store_order_filter. */
static int
status_option(const void *ctx, size_t i, size_t f, struct tmpl_val *v)
{
	const struct store_order_filter	*flt = ctx;

	switch ((enum sel_field)f) {
	case SEL_VALUE:
	case SEL_LABEL:
		v->type = TV_STR;
		v->s = i > 0 ? store_ord_status_name((enum store_ord_status)
		    (i - 1)) : f == SEL_VALUE ? "" : "any";
		break;
	case SEL_SELECTED:
		v->type = TV_BOOL;
		v->i = i > 0 ? flt->has_status && (size_t)flt->status ==
		    i - 1 : !flt->has_status;
		break;
	default:
		return -1;
	}
	return 0;
}

void
orders_list(struct rq *rq)
{
	struct store_order_filter	 f;
	struct store_order_list		*l = NULL;
	struct valid_value		 v;
	struct valid_error		 ve;
	enum panel_err			 pe;
	enum store_ord_status		 st;
	const char			*s;
	json_t				*d;
	struct jsonw			 w;
	struct tmpl_rows		 rows[2];
	char				 next[24];
	size_t				 i;
	int				 j;

	memset(&f, 0, sizeof(f));
	f.owner = auth_owner(rq->user);
	/* templates/orders.html shows neither error nor certificate. */
	f.brief = !rq->req->want_json;
	if (!page_blank(s = req_query(rq->req, "status"))) {
		if ((pe = page_check(rq, "status", NULL, s, &v, &ve)) !=
		    PANEL_OK)
			goto bad;
		j = v.s != NULL ? store_ord_status_parse(v.s, &st) : -1;
		valid_value_clear(&v);
		if (j != 0) {
			snprintf(ve.msg, sizeof(ve.msg), "Unknown status.");
			ve.field = "status";
			pe = PANEL_ERR_INVALID;
			goto bad;
		}
		f.has_status = 1;
		f.status = st;
	}
	if (!page_blank(s = req_query(rq->req, "before"))) {
		if ((pe = page_check(rq, "before", "id", s, &v, &ve)) !=
		    PANEL_OK)
			goto bad;
		f.before = v.i;
		valid_value_clear(&v);
	}
	if (!page_blank(s = req_query(rq->req, "limit"))) {
		if ((pe = page_check(rq, "limit", NULL, s, &v, &ve)) !=
		    PANEL_OK)
			goto bad;
		f.limit = v.i > 0 && v.i <= 500 ? (unsigned)v.i : 0;
		valid_value_clear(&v);
	}
	if ((pe = store_order_list(rq->pn->st, &f, &l)) != PANEL_OK) {
		page_store_fail(rq, pe, "No orders.");
		return;
	}
	if (rq->req->want_json) {
		/* Written row by row as read: no JSON tree per order. */
		page_json_begin(rq, 200, &w);
		jsonw_obj(&w, NULL);
		jsonw_arr(&w, "orders");
		for (i = 0; i < l->n; i++) {
			jsonw_obj(&w, NULL);
			order_view_members(&w, &l->v[i], 0);
			jsonw_obj_end(&w);
		}
		jsonw_arr_end(&w);
		if (l->next > 0)
			jsonw_int(&w, "next", l->next);
		else
			jsonw_null(&w, "next");
		jsonw_int(&w, "total", l->total);
		jsonw_obj_end(&w);
		page_json_end(rq, &w);
		store_order_list_free(l);
		return;
	}
	order_view_rows(&rows[0], "orders", l->v, l->n, f.brief);
	rows[1] = (struct tmpl_rows){ "statuses", STORE_ORD__MAX + 1,
	    sel_fields, SEL__MAX, status_option, &f };
	snprintf(next, sizeof(next), "%lld", (long long)l->next);
	d = json_pack("{s:b,s:b,s:s,s:s?,s:b,s:I}",
	    "has_orders", l->n > 0,
	    "filtered", f.has_status,
	    "status_filter", f.has_status ?
	    store_ord_status_name(f.status) : "",
	    "next", l->next > 0 ? next : NULL,
	    "newest", f.before > 0,
	    "total", (json_int_t)l->total);
	page_render_rows(rq, 200, "orders", d, rows, 2);
	store_order_list_free(l);
	return;
bad:
	if (pe == PANEL_ERR_INVALID)
		page_error(rq, 400, "invalid", ve.msg, ve.field);
	else
		page_error(rq, 500, "internal", "The request could not be "
		    "checked.", NULL);
}

/* ------------------------------------------------------------------ */
/* GET /acme/orders/create, POST /acme/orders                           */

/* The order form's data: the user's active accounts and f's values. */
static json_t *
form_data(struct rq *rq, const struct ord_form *f)
{
	struct store_account_list	*l = NULL;
	json_t				*accs, *d, *t;
	enum acme_keytype		 kt = ACME_KEY_EC256;
	size_t				 i;
	char				 name[256];
	long long			 sel = 0;
	int64_t				 before = 0;
	int				 dns, many = 0;

	if ((accs = json_array()) == NULL)
		return NULL;
	if (f->account_id != NULL)
		sel = strtoll(f->account_id, NULL, 10);	/* display only */
	/*
	 * The active accounts to choose from, newest first, ACCOUNT_CHOICES
	 * at most: beyond that (an operator's thousands) the form asks for
	 * the account's number instead of a list of them all.
	 */
	while (!many && store_account_page(rq->pn->st, auth_owner(rq->user),
	    before, 500, &l) == PANEL_OK) {
		for (i = 0; i < l->n && !many; i++) {
			const struct store_account *a = &l->v[i];
			const char *em = a->ncontacts > 0 ?
			    a->contacts[0] : "no contact";

			if (a->status != STORE_ACC_VALID)
				continue;
			if (json_array_size(accs) == ACCOUNT_CHOICES) {
				many = 1;
				break;
			}
			if (strncmp(em, "mailto:", 7) == 0)
				em += 7;
			ca_name(a, name, sizeof(name));
			json_array_append_new(accs, json_pack("{s:I,s:s,s:s,"
			    "s:b}", "id", (json_int_t)a->id, "ca_name", name,
			    "email", em, "selected", a->id == sel));
		}
		before = l->next;
		store_account_list_free(l);
		l = NULL;
		if (before <= 0)
			break;
	}
	if (many)
		json_array_clear(accs);
	if (f->key_type != NULL)
		(void)acme_keytype_parse(f->key_type, &kt);
	dns = f->challenge_type != NULL &&
	    strcmp(f->challenge_type, "dns-01") == 0;
	d = json_pack("{s:b,s:b,s:s,s:o,s:s,s:o,s:b,s:b,s:b,s:b,s:b}",
	    "has_accounts", many || json_array_size(accs) > 0,
	    "many_accounts", many,
	    "f_account_id", f->account_id != NULL ? f->account_id : "",
	    "accounts", accs,
	    "f_domains", f->domains != NULL ? f->domains : "",
	    "key_types", page_keytypes(kt),
	    "ch_http", !dns,
	    "ch_dns", dns,
	    "f_auto", f->autom,
	    "f_auto_renew", f->auto_renew,
	    "show_override", f->show_override);
	if (d != NULL && (t = order_text_suggestions(f->suggestions)) != NULL)
		json_object_set_new(d, "suggestions", t);
	return d;
}

void
orders_form(struct rq *rq)
{
	struct ord_form	 f;

	memset(&f, 0, sizeof(f));
	f.autom = 1;
	f.auto_renew = 1;
	page_render(rq, 200, "order_form", form_data(rq, &f));
}

/* Refuses the order: the form again (with suggestions), or the API
 * error shape. */
static void
create_refuse(struct rq *rq, const struct ord_form *f, const char *field,
    const char *msg)
{
	page_form_error(rq, "order_form", form_data(rq, f), field, msg);
}

/*
 * The local guard before the CA's limits, from two counts the store
 * makes (store_guard.c): certificates for exactly these names that this
 * CA issued in the last week, over every owner (the CA counts that way;
 * only the number is shown), and per name the validations of this
 * account that failed in the last hour.  Returns 0 to go on, 1 with msg
 * filled when the order would likely be refused, -1 on a store failure.
 */
static int
limit_guard(struct rq *rq, const struct store_account *acc,
    char *const *names, size_t n, char *msg, size_t len)
{
	struct store	*st = rq->pn->st;
	int64_t		 now = time(NULL), count, worst_count = 0, at;
	size_t		 i, worst = 0;
	char		 when[21];

	if (store_cert_count_names(st, names, n, acc->ca_url,
	    now - GUARD_DUP_WINDOW, &count) != PANEL_OK)
		return -1;
	if (count >= GUARD_DUP_MAX) {
		/* The oldest of the newest GUARD_DUP_MAX has to leave the
		 * window before the next one passes. */
		if (store_cert_names_nth(st, names, n, acc->ca_url,
		    now - GUARD_DUP_WINDOW, GUARD_DUP_MAX - 1, &at) !=
		    PANEL_OK)
			return -1;
		snprintf(msg, len, "%lld certificates for exactly these names "
		    "were issued by this CA in the last 7 days. CAs such as "
		    "Let's Encrypt refuse more than %d a week; the next one "
		    "should pass after %s (UTC). Tick \"Order anyway\" to try "
		    "regardless.", (long long)count, GUARD_DUP_MAX,
		    panel_time_iso((time_t)(at + GUARD_DUP_WINDOW), when));
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (store_authz_failures(st, acc->id, &names[i], 1,
		    now - GUARD_FAIL_WINDOW, &count) != PANEL_OK)
			return -1;
		if (count > worst_count) {
			worst_count = count;
			worst = i;
		}
	}
	if (worst_count >= GUARD_FAIL_MAX) {
		snprintf(msg, len, "Validation of %s failed %lld times in the "
		    "last hour with this CA account. CAs such as Let's "
		    "Encrypt refuse more than %d failures per name and hour. "
		    "Fix the cause shown on the failed order first, or tick "
		    "\"Order anyway\".", names[worst], (long long)worst_count,
		    GUARD_FAIL_MAX);
		return 1;
	}
	return 0;
}

void
orders_create(struct rq *rq)
{
	struct ord_form		 f;
	struct valid_value	 va, vd, vk, vc;
	struct valid_error	 ve;
	struct ops_order_req	 oq;
	struct ops_err		 oe;
	struct ops		 o;
	struct store_account	*acc = NULL;
	struct store_account_list *al = NULL;
	json_t			*sugg = NULL;
	enum panel_err		 pe;
	enum acme_chtype	 ct;
	size_t			 i;
	int64_t			 id = 0, account_id = 0;
	int			 wildcard = 0, ip = 0, override = 0, g;
	int			 form = !rq->req->body_json;
	char			 msg[512];

	memset(&va, 0, sizeof(va));
	memset(&vd, 0, sizeof(vd));
	memset(&vk, 0, sizeof(vk));
	memset(&vc, 0, sizeof(vc));
	memset(&oe, 0, sizeof(oe));
	memset(&oq, 0, sizeof(oq));
	memset(&f, 0, sizeof(f));
	f.account_id = req_field(rq->req, "account_id");
	f.domains = req_field(rq->req, "domains");
	f.key_type = req_field(rq->req, "key_type");
	f.challenge_type = req_field(rq->req, "challenge_type");

	/*
	 * Checkboxes: a browser sends nothing for an unticked box, so the
	 * form's absent means no; a JSON client's absent "auto" means yes
	 * (DESIGN.md), and so does its absent auto_renew (renewals still
	 * ask the billing hook).
	 */
	if ((pe = orders_bool_field(rq, "auto", !form, &f.autom, &ve)) !=
	    PANEL_OK ||
	    (pe = orders_bool_field(rq, "auto_renew", !form, &f.auto_renew,
	    &ve)) != PANEL_OK ||
	    (pe = orders_bool_field(rq, "override_limits", 0, &override,
	    &ve)) != PANEL_OK)
		goto refused;

	/* Names. */
	if (page_blank(f.domains)) {
		create_refuse(rq, &f, "domains", "Enter at least one name, "
		    "for example example.com.");
		goto out;
	}
	if ((pe = page_check(rq, "domains", NULL, f.domains, &vd, &ve)) !=
	    PANEL_OK)
		goto refused;
	if (vd.n == 0) {
		create_refuse(rq, &f, "domains", "Enter at least one name.");
		goto out;
	}
	for (i = 0; i < vd.n; i++) {
		if (strncmp(vd.list[i], "*.", 2) == 0)
			wildcard = 1;
		if (acme_ident_guess(vd.list[i]) == ACME_ID_IP)
			ip = 1;
	}
	sugg = order_text_suggest(vd.list, vd.n);
	f.suggestions = sugg;

	/* Validation method: dns-01 is the default for wildcards. */
	ct = wildcard ? ACME_CH_DNS01 : ACME_CH_HTTP01;
	if (!page_blank(f.challenge_type)) {
		if ((pe = page_check(rq, "challenge_type", NULL,
		    f.challenge_type, &vc, &ve)) != PANEL_OK)
			goto refused;
		ct = acme_chtype_parse(vc.s != NULL ? vc.s : f.challenge_type);
		if (ct != ACME_CH_HTTP01 && ct != ACME_CH_DNS01) {
			create_refuse(rq, &f, "challenge_type", "This panel "
			    "validates with http-01 or dns-01.");
			goto out;
		}
	}
	if (wildcard && ct != ACME_CH_DNS01) {
		create_refuse(rq, &f, "challenge_type", "A wildcard name "
		    "(*.example.com) can only be validated with dns-01: "
		    "choose dns-01, or leave the wildcard out.");
		goto out;
	}
	if (ip && ct == ACME_CH_DNS01) {
		create_refuse(rq, &f, "challenge_type", "An IP address cannot "
		    "be validated with dns-01 (RFC 8738): choose http-01.");
		goto out;
	}

	oq.key_type = ACME_KEY_EC256;
	if (!page_blank(f.key_type)) {
		if ((pe = page_check(rq, "key_type", NULL, f.key_type, &vk,
		    &ve)) != PANEL_OK)
			goto refused;
		if (vk.s == NULL || acme_keytype_parse(vk.s, &oq.key_type)) {
			create_refuse(rq, &f, "key_type", "Choose one of the "
			    "listed key types.");
			goto out;
		}
	}

	/* The account: given, or the only active one there is. */
	if (!page_blank(f.account_id)) {
		if ((pe = page_check(rq, "account_id", NULL, f.account_id,
		    &va, &ve)) != PANEL_OK)
			goto refused;
		account_id = va.i;
	} else if (store_account_list(rq->pn->st, auth_owner(rq->user),
	    &al) == PANEL_OK) {
		size_t	 nvalid = 0;

		for (i = 0; i < al->n; i++)
			if (al->v[i].status == STORE_ACC_VALID) {
				nvalid++;
				account_id = al->v[i].id;
			}
		store_account_list_free(al);
		if (nvalid != 1)
			account_id = 0;
	}
	if (account_id <= 0) {
		create_refuse(rq, &f, "account_id", "Choose the CA account "
		    "to order with.");
		goto out;
	}
	if ((pe = store_account_get(rq->pn->st, account_id,
	    auth_owner(rq->user), &acc)) == PANEL_ERR_NOTFOUND) {
		create_refuse(rq, &f, "account_id", "There is no such CA "
		    "account.");
		goto out;
	} else if (pe != PANEL_OK) {
		page_store_fail(rq, pe, "No such CA account.");
		goto out;
	}
	if (acc->status != STORE_ACC_VALID || acc->kid == NULL) {
		snprintf(msg, sizeof(msg), "CA account %lld is %s; choose an "
		    "active account.", (long long)acc->id,
		    store_acc_status_name(acc->status));
		create_refuse(rq, &f, "account_id", msg);
		goto out;
	}

	/* The local guard in front of the CA's limits. */
	if (!override) {
		if ((g = limit_guard(rq, acc, vd.list, vd.n, msg,
		    sizeof(msg))) == -1) {
			page_store_fail(rq, PANEL_ERR_DB, NULL);
			goto out;
		}
		if (g == 1) {
			char	 obj[64];

			snprintf(obj, sizeof(obj), "account:%lld",
			    (long long)acc->id);
			page_audit(rq, "order.guard", obj, "denied", msg);
			if (rq->req->want_json)
				page_error(rq, 429, "limit_guard", msg,
				    "override_limits");
			else {
				f.show_override = 1;
				create_refuse(rq, &f, "override_limits", msg);
			}
			goto out;
		}
	}

	/* All checked: place it. */
	oq.owner = acc->owner;
	oq.account_id = acc->id;
	oq.domains = vd.list;
	oq.ndomains = vd.n;
	oq.challenge_type = ct;
	oq.autom = f.autom;
	oq.auto_renew = f.auto_renew;
	page_ops(rq, &o);
	if ((pe = ops_order_create(&o, &oq, &id, &oe)) != PANEL_OK) {
		if (oe.status == 0)
			snprintf(oe.msg, sizeof(oe.msg), "The order could not "
			    "be placed: %s.", panel_strerror(pe));
		page_ops_error(rq, &oe, "order_form", form_data(rq, &f));
		goto out;
	}
	if (rq->req->want_json) {
		order_view_reply(rq, 201, id, json_pack("{s:O}", "suggestions",
		    sugg));
	} else {
		snprintf(msg, sizeof(msg), "/acme/orders/%lld", (long long)id);
		page_redirect(rq, msg);
	}
	goto out;
refused:
	if (pe == PANEL_ERR_INVALID)
		create_refuse(rq, &f, ve.field, ve.msg);
	else
		page_error(rq, 500, "internal", "The form could not be "
		    "checked.", NULL);
out:
	ops_err_clear(&oe);
	json_decref(sugg);
	store_account_free(acc);
	valid_value_clear(&va);
	valid_value_clear(&vd);
	valid_value_clear(&vk);
	valid_value_clear(&vc);
}
