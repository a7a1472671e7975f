/*
 * audit: the hash chain, concurrent appends from two processes, tamper
 * detection, queries with keyset pagination, CSV export.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "panel.h"
#include "tap.h"

static char	 dir[] = "/tmp/t_audit.XXXXXX";

struct buf {
	char	*p;
	size_t	 n;
	int	 fail_after;	/* -1: never */
};

static int
buf_write(void *arg, const char *s, size_t len)
{
	struct buf	*b = arg;
	char		*np;

	if (b->fail_after == 0)
		return -1;
	if (b->fail_after > 0)
		b->fail_after--;
	if ((np = realloc(b->p, b->n + len + 1)) == NULL)
		return -1;
	b->p = np;
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
	return 0;
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3	*db = NULL;
	char	*msg = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		tap_diag("raw exec: %s", msg != NULL ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
}

static int
raw_fails(const char *path, const char *sql)
{
	sqlite3	*db = NULL;
	int	 rc;

	sqlite3_open(path, &db);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc != SQLITE_OK;
}

static void
rm_db(const char *path)
{
	char	 p[300];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void
fill(struct store *st, const char *who, int n)
{
	static const char *const actions[] = { "order.create",
	    "order.finalize", "account.create", "login" };
	char	 obj[32];
	int	 i;

	for (i = 0; i < n; i++) {
		snprintf(obj, sizeof(obj), "order:%d", i % 5);
		if (audit_append(st, who, "192.0.2.1", actions[i % 4], obj,
		    i % 3 == 0 ? AUDIT_FAIL : AUDIT_OK, "detail", NULL) !=
		    PANEL_OK) {
			tap_diag("append: %s", store_errmsg(st));
			return;
		}
	}
}

static void
test_chain(const char *path)
{
	struct store		*st = NULL;
	struct audit_list	*l = NULL;
	struct audit_filter	 f;
	int64_t			 bad = -1, n = 0, id = 0;

	if (store_open(path, &st) != PANEL_OK)
		tap_bail("open");
	ok(audit_verify(st, &bad, &n) == PANEL_OK && n == 0 && bad == 0,
	    "empty log verifies");
	ok(audit_append(st, "alice", "192.0.2.7", "order.create", "order:1",
	    AUDIT_OK, "line1\nline2\x01\x1b[31m \\ \xff end", &id) ==
	    PANEL_OK && id == 1, "append with control characters");
	memset(&f, 0, sizeof(f));
	ok(audit_query(st, &f, &l) == PANEL_OK && l->n == 1 &&
	    strcmp(l->v[0].detail,
	    "line1\\nline2\\x01\\x1b[31m \\\\ \\xff end") == 0,
	    "control characters, backslash and bad UTF-8 escaped");
	ok(l != NULL && l->n == 1 && strlen(l->v[0].at) == 20 &&
	    l->v[0].at[10] == 'T' && l->v[0].at[19] == 'Z' &&
	    strlen(l->v[0].hash) == 64 && strspn(l->v[0].prev_hash, "0") == 64,
	    "UTC ISO 8601 time, genesis link, hex hash");
	audit_list_free(l);
	l = NULL;
	f.no_hash = 1;
	ok(audit_query(st, &f, &l) == PANEL_OK && l->n == 1 &&
	    strcmp(l->v[0].hash, "") == 0 && strcmp(l->v[0].prev_hash, "") == 0
	    && strlen(l->v[0].at) == 20 && strncmp(l->v[0].detail, "line1", 5)
	    == 0, "no_hash: the same entry without its links");
	audit_list_free(l);
	f.no_hash = 0;
	ok(audit_append(st, "", NULL, "x", NULL, AUDIT_OK, NULL, NULL) ==
	    PANEL_ERR_ARG, "actor required");
	fill(st, "bob", 48);
	ok(audit_verify(st, &bad, &n) == PANEL_OK && n == 49,
	    "chain of 49 verifies");
	store_close(st);
}

/* Two processes append at once through their own connections. */
static void
test_concurrent(const char *path)
{
	struct store	*st = NULL;
	pid_t		 pid;
	int		 status = -1;
	int64_t		 bad = -1, n = 0;

	pid = fork();
	if (pid == -1)
		tap_bail("fork");
	if (pid == 0) {
		if (store_open(path, &st) != PANEL_OK)
			_exit(2);
		fill(st, "child", 60);
		store_close(st);
		_exit(0);
	}
	if (store_open(path, &st) != PANEL_OK)
		tap_bail("open");
	fill(st, "parent", 60);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child appended");
	ok(audit_verify(st, &bad, &n) == PANEL_OK && n == 169,
	    "interleaved appends still chain: %lld entries",
	    (long long)n);
	store_close(st);
}

/* The pages' statements (no hashes, no filter but the actor) give the
 * entries the filtered statement gives, page by page. */
static void
test_plain_pages(struct store *st)
{
	static const char *const actors[] = { NULL, "child", "parent",
	    "nobody" };
	struct audit_list	*a = NULL, *b = NULL;
	struct audit_filter	 f;
	const struct audit_entry *x, *y;
	size_t			 k, i, n = 0, bad = 0;

	for (k = 0; k < sizeof(actors) / sizeof(actors[0]); k++) {
		memset(&f, 0, sizeof(f));
		f.actor = actors[k];
		f.limit = 11;
		do {
			f.no_hash = 0;
			if (audit_query(st, &f, &a) != PANEL_OK)
				tap_bail("audit_query");
			f.no_hash = 1;
			if (audit_query(st, &f, &b) != PANEL_OK)
				tap_bail("audit_query");
			bad += a->n != b->n || a->next != b->next;
			for (i = 0; i < a->n && i < b->n; i++, n++) {
				x = &a->v[i];
				y = &b->v[i];
				bad += x->id != y->id || x->result !=
				    y->result || strcmp(x->at, y->at) ||
				    strcmp(x->actor, y->actor) ||
				    strcmp(x->ip, y->ip) ||
				    strcmp(x->action, y->action) ||
				    strcmp(x->object, y->object) ||
				    strcmp(x->detail, y->detail) ||
				    strlen(x->hash) != 64 || *y->hash != '\0'
				    || *y->prev_hash != '\0';
			}
			f.before = a->next;
			audit_list_free(a);
			audit_list_free(b);
		} while (f.before > 0);
	}
	ok(bad == 0 && n == 169 + 60 + 60, "pages without filters or with "
	    "only the actor, without hashes: the same %zu entries", n);
}

static void
test_query(const char *path)
{
	struct store		*st = NULL;
	struct audit_list	*l = NULL;
	struct audit_filter	 f;
	char			 now[21];
	int64_t			 last;
	size_t			 total, i;
	int			 pages, sorted;

	if (store_open(path, &st) != PANEL_OK)
		tap_bail("open");
	memset(&f, 0, sizeof(f));
	f.actor = "child";
	f.limit = 7;
	for (total = 0, pages = 0, sorted = 1, last = INT64_MAX; pages < 20;
	    pages++) {
		if (audit_query(st, &f, &l) != PANEL_OK)
			break;
		for (i = 0; i < l->n; i++) {
			sorted &= l->v[i].id < last &&
			    strcmp(l->v[i].actor, "child") == 0;
			last = l->v[i].id;
		}
		total += l->n;
		f.before = l->next;
		audit_list_free(l);
		if (f.before == 0)
			break;
	}
	ok(total == 60 && pages == 8 && sorted, "keyset pages of 7, newest "
	    "first, only the actor's: %zu", total);
	test_plain_pages(st);
	memset(&f, 0, sizeof(f));
	f.action = "order.*";
	f.limit = 1000;
	l = NULL;
	ok(audit_query(st, &f, &l) == PANEL_OK && l->n == 85 && l->next == 0,
	    "action prefix matches the 85 order.* entries");
	audit_list_free(l);
	f.action = "order.create";
	f.object = "order:0";
	f.has_result = 1;
	f.result = AUDIT_FAIL;
	l = NULL;
	ok(audit_query(st, &f, &l) == PANEL_OK && l->n > 0, "exact action, "
	    "object and result");
	for (i = 0, sorted = 1; l != NULL && i < l->n; i++)
		sorted &= strcmp(l->v[i].action, "order.create") == 0 &&
		    strcmp(l->v[i].object, "order:0") == 0 &&
		    l->v[i].result == AUDIT_FAIL;
	ok(sorted, "every entry matches");
	audit_list_free(l);
	memset(&f, 0, sizeof(f));
	panel_time_iso(time(NULL) + 3600, now);
	f.from = now;
	ok(audit_query(st, &f, &l) == PANEL_OK && l->n == 0, "from the "
	    "future: nothing");
	audit_list_free(l);
	f.from = "2000-01-01T00:00:00Z";
	f.to = now;
	f.limit = 5000;
	ok(audit_query(st, &f, &l) == PANEL_OK && l->n == 169,
	    "time range covers all (limit capped at 1000)");
	audit_list_free(l);
	store_close(st);
}

static void
test_csv(void)
{
	struct audit_entry	 e[2];
	struct audit_list	 l;
	struct buf		 b = { NULL, 0, -1 };
	struct jsonw		 w;
	char			*s;

	memset(e, 0, sizeof(e));
	e[0].id = 7;
	e[0].at = (char[]){ "2025-01-31T12:00:00Z" };
	e[0].actor = (char[]){ "=cmd|' /C calc'!A0" };
	e[0].ip = (char[]){ "+1" };
	e[0].action = (char[]){ "-2" };
	e[0].object = (char[]){ "@SUM(A1)" };
	e[0].result = AUDIT_DENIED;
	e[0].detail = (char[]){ "say \"hi\", then\r\nbye" };
	e[0].hash = (char[]){ "ab" };
	e[1] = e[0];
	e[1].id = 8;
	e[1].actor = (char[]){ "plain" };
	l.v = e;
	l.n = 2;
	l.next = 0;
	ok(audit_csv(&l, 1, buf_write, &b) == PANEL_OK, "csv written");
	is_str(b.p, "\"id\",\"at\",\"actor\",\"ip\",\"action\",\"object\","
	    "\"result\",\"detail\",\"hash\"\r\n"
	    "\"7\",\"2025-01-31T12:00:00Z\",\"'=cmd|' /C calc'!A0\",\"'+1\","
	    "\"'-2\",\"'@SUM(A1)\",\"denied\",\"say \"\"hi\"\", then\r\nbye\","
	    "\"ab\"\r\n"
	    "\"8\",\"2025-01-31T12:00:00Z\",\"plain\",\"'+1\",\"'-2\","
	    "\"'@SUM(A1)\",\"denied\",\"say \"\"hi\"\", then\r\nbye\","
	    "\"ab\"\r\n", "CSV quoted, formulas neutralised");
	free(b.p);
	b.p = NULL;
	b.n = 0;
	b.fail_after = 3;
	ok(audit_csv(&l, 1, buf_write, &b) == PANEL_ERR_WRITE,
	    "writer failure reported");
	free(b.p);

	b.p = NULL;
	b.n = 0;
	b.fail_after = -1;
	jsonw_init(&w, buf_write, &b);
	audit_entry_jsonw(&w, NULL, &e[0]);
	ok(jsonw_finish(&w) == 0, "entry JSON written");
	s = b.p != NULL ? strndup(b.p, b.n) : NULL;
	is_str(s, "{\"id\":7,\"at\":\"2025-01-31T12:00:00Z\",\"actor\":"
	    "\"=cmd|' /C calc'!A0\",\"ip\":\"+1\",\"action\":\"-2\","
	    "\"object\":\"@SUM(A1)\",\"result\":\"denied\",\"detail\":"
	    "\"say \\\"hi\\\", then\\r\\nbye\"}", "entry JSON shape, in "
	    "DESIGN.md's order");
	free(s);
	free(b.p);
	b.p = NULL;
	b.n = 0;
	b.fail_after = 0;
	jsonw_init(&w, buf_write, &b);
	audit_entry_jsonw(&w, NULL, &e[0]);
	ok(jsonw_finish(&w) == -1, "entry JSON: a failed write is reported");
	free(b.p);
}

static void
test_tamper(const char *path)
{
	struct store	*st = NULL;
	int64_t		 bad = -1, n = 0;
	char		 p2[300];

	ok(raw_fails(path, "UPDATE audit_log SET detail = 'x' WHERE id = 17"),
	    "trigger refuses UPDATE");
	ok(raw_fails(path, "DELETE FROM audit_log WHERE id = 17"),
	    "trigger refuses DELETE");
	/* An attacker with the file drops the triggers first. */
	raw_exec(path, "DROP TRIGGER audit_log_no_update; "
	    "UPDATE audit_log SET detail = 'harmless' WHERE id = 17");
	if (store_open(path, &st) != PANEL_OK)
		tap_bail("open");
	ok(audit_verify(st, &bad, &n) == PANEL_ERR_CHAIN && bad == 17,
	    "edited entry found: %lld", (long long)bad);
	store_close(st);

	/* Another log: a row deleted in the middle, then off the end. */
	snprintf(p2, sizeof(p2), "%s/cut.db", dir);
	if (store_open(p2, &st) != PANEL_OK)
		tap_bail("open");
	fill(st, "x", 10);
	store_close(st);
	raw_exec(p2, "DROP TRIGGER audit_log_no_delete; "
	    "DELETE FROM audit_log WHERE id = 10");
	if (store_open(p2, &st) != PANEL_OK)
		tap_bail("open");
	ok(audit_verify(st, &bad, &n) == PANEL_ERR_CHAIN && bad == 10 &&
	    n == 9, "entry cut off the end found (recorded head)");
	store_close(st);
	raw_exec(p2, "DELETE FROM audit_log WHERE id = 4");
	if (store_open(p2, &st) != PANEL_OK)
		tap_bail("open");
	ok(audit_verify(st, &bad, &n) == PANEL_ERR_CHAIN && bad == 5,
	    "entry deleted in the middle: the next one breaks");
	store_close(st);
	rm_db(p2);
}

/* gmtime_r's fields as panel_time_iso (iso) or panel_time_min writes
 * them, for years 0..9999 (strftime's %Y does not pad years below
 * 1000). */
static void
tm_text(time_t t, int iso, char *b, size_t len)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	if (iso)
		snprintf(b, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	else
		snprintf(b, len, "%04d-%02d-%02d %02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min);
}

/* The panel's own UTC formatting agrees with gmtime_r. */
static void
test_time_fmt(void)
{
	static const time_t	 edges[] = { 0, -1, 1, 86399, 86400, -86400,
	    -86401, 951782400, 951868800, 951868799, 4107542400,
	    4107456000, -2203891200, -2203977600, 253402300799,
	    -62167219200, -62162035201, -62162035200, -62164627200,
	    -30610224000, 1767225599, 1767225600, 2147483647, 2147483648 };
	static const time_t	 outside[] = { -62167219201, 253402300800,
	    INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 86400,
	    -1000000000000000, 1000000000000000 };
	char			 a[21], b[32];
	size_t			 i, n = 0, bad = 0;
	time_t			 t;
	uint64_t		 x = 88172645463325252ULL;

	for (i = 0; i < 400000; i++) {
		if (i < sizeof(edges) / sizeof(edges[0]))
			t = edges[i];
		else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* Years 0..9999; every fourth time near 1970-2100. */
			if (i % 4 == 0)
				t = (time_t)(x % 4102444800ULL);
			else
				t = (time_t)(x % 315569520000ULL) -
				    62167219200LL;
		}
		n++;
		tm_text(t, 1, b, sizeof(b));
		if (strcmp(panel_time_iso(t, a), b) != 0 && bad++ < 3)
			tap_diag("%lld: %s, gmtime_r %s", (long long)t, a, b);
		tm_text(t, 0, b, sizeof(b));
		if (strcmp(panel_time_min(t, a), b) != 0 && bad++ < 3)
			tap_diag("%lld: %s, gmtime_r %s", (long long)t, a, b);
	}
	ok(bad == 0, "%zu times, years 0 to 9999, leap days, the epoch's "
	    "and the years' edges: formatted as gmtime_r's fields", n);
	for (i = 0, bad = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		if (strcmp(panel_time_iso(outside[i], a),
		    "1970-01-01T00:00:00Z") != 0 ||
		    strcmp(panel_time_min(outside[i], a),
		    "1970-01-01 00:00") != 0)
			bad++;
	ok(bad == 0, "%zu times before year 0 or after 9999 (to the ends "
	    "of int64): the epoch", i);
	ok(strcmp(panel_time_iso(-62167219200, a), "0000-01-01T00:00:00Z") ==
	    0 && strcmp(panel_time_iso(-62162035201, a),
	    "0000-02-29T23:59:59Z") == 0, "year 0: four digits, and a leap "
	    "year, as ISO 8601 wants");
	ok(strcmp(panel_time_iso(253402300800, a), "1970-01-01T00:00:00Z") ==
	    0, "year 10000: the epoch, not a 5-digit year");
}

int
main(void)
{
	char			 path[300];
	enum audit_result	 r;

	if (mkdtemp(dir) == NULL)
		tap_bail("mkdtemp");
	snprintf(path, sizeof(path), "%s/acme.db", dir);
	ok(audit_result_parse("denied", &r) == 0 && r == AUDIT_DENIED &&
	    audit_result_parse("maybe", &r) == -1 &&
	    strcmp(audit_result_name(AUDIT_FAIL), "fail") == 0,
	    "result names");
	test_time_fmt();
	test_chain(path);
	test_concurrent(path);
	test_query(path);
	test_csv();
	test_tamper(path);
	rm_db(path);
	rmdir(dir);
	return tap_done();
}
