/*
 * What the order pages share among their files: orders.c (list, form,
 * placing an order and the local limit guard), order_text.c (the CA's
 * problems and other advice in plain words, times) and order_view.c
 * (the order's JSON and page shapes, detail, challenges, respond,
 * finalize).  Only those three include it; the route table's handlers
 * are in pages.h.
 */
#ifndef ORDERS_H
#define ORDERS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pages.h"

/* orders.c */

/* A boolean form or JSON field: absent gives def; 0/1 in *out.  PANEL_OK,
 * PANEL_ERR_INVALID (ve filled) or another error. */
enum panel_err	 orders_bool_field(struct rq *, const char *field, int def,
		    int *out, struct valid_error *ve);

/* order_text.c */

/* The http-01 URL the CA fetches for name and token (RFC 8555 8.3),
 * into buf; IPv6 in brackets. */
void		 order_text_http01_url(const char *name, const char *token,
		    char *buf, size_t len);
/*
 * A stored problem (JSON text as ops_problem_json writes it) explained:
 * the parsed problem plus "message" in plain words, also for each
 * subproblem.  o, name and token (each may be NULL) tell what it is
 * about.  New reference, or NULL when error is NULL.
 */
json_t		*order_text_problem(const char *error,
		    const struct store_order *o, const char *name,
		    const char *token);
/* The same problem added to a page object out: error_text, error_detail
 * and error_sub (has_error_sub).  Nothing when error is NULL. */
void		 order_text_problem_page(json_t *out, const char *error,
		    const struct store_order *o, const char *name,
		    const char *token);
/* Names worth adding ("example.com" for "www.example.com" or
 * "*.example.com" when missing): a new array, maybe empty. */
json_t		*order_text_suggest(char *const *v, size_t n);
/* Suggestions s (an array of strings) as one sentence for the pages;
 * new reference, or NULL when there are none. */
json_t		*order_text_suggestions(const json_t *s);

/* order_view.c */

/*
 * Writes an order as the API shows it (DESIGN.md's shape plus the
 * settings and times) as members of the object w has open; with_authz
 * adds the authorizations and challenges (only when o was read with
 * store_order_get).  The one source of an order's JSON: the list and the
 * single order's answers all write it here.  Errors stay in w.
 */
void		 order_view_members(struct jsonw *w,
		    const struct store_order *o, int with_authz);
/* The order's summary for pages (list rows, the detail's top).  New
 * reference or NULL. */
json_t		*order_view_page(const struct store_order *o);
/* Fills rows with the list name of v[0..n-1] (borrowed), each row with
 * order_view_page's fields, for tmpl_render_rows.  brief: v is a brief
 * list (store_order_filter.brief), whose rows lack the account, key
 * type, auto_renew and certificate: those fields are then absent. */
void		 order_view_rows(struct tmpl_rows *rows, const char *name,
		    const struct store_order *v, size_t n, int brief);
/* The JSON answer with order id read again (owner-checked), extra's
 * members (reference stolen, may be NULL; keys not the order's) after
 * its own; 201 adds Location. */
void		 order_view_reply(struct rq *, int status, int64_t id,
		    json_t *extra);

#endif /* !ORDERS_H */
