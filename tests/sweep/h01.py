#!/usr/bin/env python3
"""The panel's http-01 responder on a free port, for the hostile-CA
tests (which run no lighttpd): each GET is handed to acme.fcgi as a plain
CGI request, so the answer comes from the panel's own code and database.

Usage: h01.py FCGI CONF PORTFILE   (prints nothing; writes the port)
"""
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        env = {"PATH": "/usr/bin:/bin", "ACME_PANEL_CONF": CONF,
               "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET",
               "REQUEST_URI": self.path, "SCRIPT_NAME": "",
               "SERVER_NAME": self.headers.get("Host", "localhost"),
               "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": self.client_address[0]}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        r = subprocess.run([FCGI], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=30)
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, body = r.stdout.partition(b"\n\n")
        status = 502
        for line in head.decode("latin-1").splitlines():
            if line.lower().startswith("status:"):
                status = int(line.split()[1])
        if r.returncode != 0:
            status = 502
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


FCGI, CONF, PORTFILE = sys.argv[1:4]
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
