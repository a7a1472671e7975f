/*
 * hello: the smallest useful libfcgi responder, the baseline of the
 * panel benchmark (tests/bench/panel.sh).  lighttpd starts it next to
 * acme.fcgi and sends it the same kind of request; whatever it costs is
 * the cost of lighttpd, mod_fastcgi and libfcgi alone.
 *
 * It answers every request with a short HTML page of the usual headers,
 * 200.  It reads nothing from the request but its parameters (which
 * libfcgi has parsed anyway).  Exit 0 when the server closes the socket.
 */
#include <signal.h>
#include <stdio.h>

#include <fcgiapp.h>

static const char	 page[] =
    "Status: 200 OK\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Cache-Control: no-store\r\n"
    "\r\n"
    "<!doctype html>\n<title>hello</title>\n<p>Hello, world.</p>\n";

int
main(void)
{
	FCGX_Request	 r;

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0) {
		fprintf(stderr, "hello: FastCGI initialisation failed\n");
		return 1;
	}
	while (FCGX_Accept_r(&r) >= 0) {
		if (FCGX_PutStr(page, (int)sizeof(page) - 1, r.out) !=
		    (int)sizeof(page) - 1)
			fprintf(stderr, "hello: client went away\n");
		FCGX_Finish_r(&r);
	}
	return 0;
}
