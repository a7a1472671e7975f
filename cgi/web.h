/*
 * acme.fcgi's request and response layer: one request read from the
 * FastCGI (or CGI) environment into a typed struct, one response buffered
 * and written out with every write checked.
 */
#ifndef WEB_H
#define WEB_H

#include <stddef.h>

#include <jansson.h>

#define BODY_MAX	(256 * 1024)	/* largest request body we read */
#define FIELD_MAX	64		/* most form or query fields */

enum method {
	M_GET = 0,
	M_HEAD,
	M_POST,
	M_OTHER,
	M__MAX
};

struct kv {
	char	*key;
	char	*val;
};

/* What the server told us about one request, validated at the edge. */
struct req {
	enum method	 method;
	char		*path;		/* percent-decoded, query cut */
	struct kv	 query[FIELD_MAX];
	size_t		 nquery;
	struct kv	 form[FIELD_MAX]; /* urlencoded body, or JSON body's
					   string/number/bool members */
	size_t		 nform;
	json_t		*json;		/* JSON body, or NULL */
	int		 want_json;	/* Accept: application/json */
	int		 body_json;	/* Content-Type: application/json */
	int		 https;
	int		 body_too_big;
	int		 body_bad;	/* body unreadable or malformed */
	const char	*remote_addr;
	const char	*remote_user;
	const char	*cookie;	/* raw Cookie header */
	const char	*authorization;	/* raw Authorization header */
	const char	*csrf_header;	/* X-CSRF-Token */
	const char	*host;
	const char	*script;	/* how the panel is mounted, e.g. /acme */
};

/* A buffered response. */
struct resp {
	int	 status;
	char	*ctype;
	char	*headers;	/* extra "Name: value\r\n" lines */
	size_t	 hlen;
	char	*body;
	size_t	 len;
	size_t	 cap;
	int	 failed;	/* out of memory while building */
	int	 secret;	/* holds a private key: wiped, never moved */
};

/* The environment of one request (FastCGI params or CGI environ). */
struct env {
	/*
	 * The values of the n parameters called names into vals (NULL for
	 * those the server did not send), all in one call: FastCGI hands
	 * its parameters over as one list, read once instead of once a name.
	 */
	void		 (*params)(void *, const char *const *names, size_t n,
			    const char **vals);
	long		 (*read)(void *, char *, size_t);
	int		 (*write)(void *, const char *, size_t);
	void		*arg;
};

/* Fills r from e; returns 0, or -1 when out of memory.  Bad input is
 * recorded in r (body_bad, body_too_big), never fatal. */
int		 req_read(struct req *r, const struct env *e);
void		 req_clear(struct req *r);
/* The last value of a form (or JSON) field, or NULL.  Borrowed. */
const char	*req_field(const struct req *r, const char *key);
/* The value of a query parameter, or NULL.  Borrowed. */
const char	*req_query(const struct req *r, const char *key);
/* A cookie's value copied into buf (NUL-terminated); 0, or -1 if absent
 * or longer than len - 1. */
int		 req_cookie(const struct req *r, const char *name, char *buf,
		    size_t len);

/* Appends to the body / headers; record failure in resp->failed. */
void		 resp_add(struct resp *p, const char *s, size_t len);
void		 resp_puts(struct resp *p, const char *s);
void		 resp_printf(struct resp *p, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 resp_header(struct resp *p, const char *name,
		    const char *value);
void		 resp_type(struct resp *p, const char *ctype);
/* Writes status line, headers and body through e; 0, or -1 on a failed
 * write (the client went away). */
int		 resp_send(struct resp *p, const struct env *e, int head);
void		 resp_clear(struct resp *p);

/* A JSON body; the reference to v is stolen. */
void		 resp_json(struct resp *p, int status, json_t *v);
/* The API error shape {"error":{"code","message","field"}}. */
void		 resp_json_error(struct resp *p, int status, const char *code,
		    const char *message, const char *field);

/* Percent-decodes s in place ('+' as space when plus); -1 on a bad
 * escape or a decoded NUL. */
int		 url_decode(char *s, int plus);
/* Appends s percent-encoded for a query component to p. */
void		 resp_urlenc(struct resp *p, const char *s);

#endif /* !WEB_H */
