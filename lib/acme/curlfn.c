/*
 * The run-time libcurl loader (see curlfn.h for why): dlopen(3) of
 * libcurl.so.4 and dlsym(3) of the few functions the project calls, into
 * one table filled once per process under pthread_once(3), so that the
 * threads of acme-sweep may race to the first transfer.  A failure is
 * kept, in words, and returned to every later caller; the library is
 * never unloaded.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "curlfn.h"

/* CURLOPT_PROTOCOLS_STR and CURLOPT_REDIR_PROTOCOLS_STR came in 7.85.0. */
#define CURLFN_MIN_VERSION	0x075500
#define CURLFN_MIN_TEXT		"7.85.0"

static const struct {
	const char	*name;
	size_t		 off;
} curlfn_syms[] = {
	{ "curl_easy_init", offsetof(struct curlfn, easy_init) },
	{ "curl_easy_cleanup", offsetof(struct curlfn, easy_cleanup) },
	{ "curl_easy_reset", offsetof(struct curlfn, easy_reset) },
	{ "curl_easy_setopt", offsetof(struct curlfn, easy_setopt) },
	{ "curl_easy_perform", offsetof(struct curlfn, easy_perform) },
	{ "curl_easy_getinfo", offsetof(struct curlfn, easy_getinfo) },
	{ "curl_easy_strerror", offsetof(struct curlfn, easy_strerror) },
	{ "curl_slist_append", offsetof(struct curlfn, slist_append) },
	{ "curl_slist_free_all", offsetof(struct curlfn, slist_free_all) },
};
/* Every member is a function pointer the table above looks up. */
_Static_assert(sizeof(curlfn_syms) / sizeof(curlfn_syms[0]) *
    sizeof(void (*)(void)) == sizeof(struct curlfn),
    "curlfn_syms[] must name every member of struct curlfn");
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
    "dlsym(3) results must fit a function pointer");

static pthread_once_t	 curlfn_once = PTHREAD_ONCE_INIT;
static struct curlfn	 curlfn_tab;
static const struct curlfn *curlfn_ok;	/* &curlfn_tab once loaded */
static char		 curlfn_why[512];

/* Resolves name from h into *fp; 0, or -1 with curlfn_why set. */
static int
curlfn_sym(void *h, const char *name, void *fp)
{
	void	*p;

	(void)dlerror();
	if ((p = dlsym(h, name)) == NULL) {
		snprintf(curlfn_why, sizeof(curlfn_why), "%s has no %s",
		    CURLFN_SONAME, name);
		return -1;
	}
	/* POSIX: a dlsym(3) result converts to a function pointer. */
	memcpy(fp, &p, sizeof(p));
	return 0;
}

/* The pthread_once(3) routine: fills curlfn_tab or curlfn_why. */
static void
curlfn_load(void)
{
	curl_version_info_data	*(*version)(CURLversion) = NULL;
	CURLcode		 (*global_init)(long) = NULL;
	const curl_version_info_data *v;
	const char		*e;
	void			*h;
	size_t			 i;

	if ((h = dlopen(CURLFN_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		snprintf(curlfn_why, sizeof(curlfn_why), "libcurl could not "
		    "be loaded (%s): install Debian's libcurl4",
		    e != NULL ? e : CURLFN_SONAME);
		return;
	}
	for (i = 0; i < sizeof(curlfn_syms) / sizeof(curlfn_syms[0]); i++)
		if (curlfn_sym(h, curlfn_syms[i].name,
		    (char *)&curlfn_tab + curlfn_syms[i].off) == -1)
			goto fail;
	if (curlfn_sym(h, "curl_version_info", &version) == -1 ||
	    curlfn_sym(h, "curl_global_init", &global_init) == -1)
		goto fail;
	v = version(CURLVERSION_NOW);
	if (v == NULL || v->version_num < CURLFN_MIN_VERSION) {
		snprintf(curlfn_why, sizeof(curlfn_why), "libcurl %s is too "
		    "old: %s or later is needed", v != NULL && v->version ?
		    v->version : "(unknown)", CURLFN_MIN_TEXT);
		goto fail;
	}
	if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curlfn_why, sizeof(curlfn_why),
		    "curl_global_init failed");
		goto fail;
	}
	curlfn_ok = &curlfn_tab;
	return;
fail:
	memset(&curlfn_tab, 0, sizeof(curlfn_tab));
	dlclose(h);
}

const struct curlfn *
curlfn_get(void)
{

	if (pthread_once(&curlfn_once, curlfn_load) != 0)
		return NULL;
	return curlfn_ok;
}

const char *
curlfn_error(void)
{

	if (pthread_once(&curlfn_once, curlfn_load) != 0)
		return "pthread_once failed";
	return curlfn_why;
}
