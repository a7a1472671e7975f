/*
 * libcurl, loaded at run time with dlopen(3) on the first transfer.
 *
 * No program of the project links libcurl: acme.fcgi serves pages far
 * more often than it talks to a CA, and Debian's libcurl4 brings some 30
 * libraries (GnuTLS through librtmp, Kerberos, LDAP, libssh2, nghttp2,
 * ...) that would be mapped, relocated and initialised in every process,
 * about 6 MB of resident memory each.  The headers still come from
 * <curl/curl.h>, for the types and constants.
 *
 * Shared by libacme (http.c), lib/panel's self-check, acme-sweep and the
 * tests; not part of acme.h's contract.  Every option value passed
 * through easy_setopt must have the type libcurl reads (long, a pointer,
 * curl_off_t): the calls go through a pointer, so curl's own compile-time
 * checks of curl_easy_setopt do not apply.
 */
#ifndef ACME_CURLFN_H
#define ACME_CURLFN_H

#include <curl/curl.h>

#define CURLFN_SONAME	"libcurl.so.4"

/* The libcurl functions the project calls; each is curl_<member>. */
struct curlfn {
	CURL			*(*easy_init)(void);
	void			 (*easy_cleanup)(CURL *);
	void			 (*easy_reset)(CURL *);
	CURLcode		 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode		 (*easy_perform)(CURL *);
	CURLcode		 (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char		*(*easy_strerror)(CURLcode);
	struct curl_slist	*(*slist_append)(struct curl_slist *,
				    const char *);
	void			 (*slist_free_all)(struct curl_slist *);
};

/*
 * Loads libcurl and runs curl_global_init(CURL_GLOBAL_DEFAULT), once per
 * process; safe to call from any thread, at any time.  Returns the
 * table, which stays valid until the process exits, or NULL when
 * libcurl could not be loaded or started: curlfn_error() then says why.
 */
const struct curlfn	*curlfn_get(void);

/* Why curlfn_get() failed, in words (static text); "" if it did not. */
const char		*curlfn_error(void);

#endif /* !ACME_CURLFN_H */
