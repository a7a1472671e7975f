/*
 * acme-admin: the panel's users, API tokens, audit-log check and schema
 * migrations, from the command line.  See acme-admin.8.
 *
 * Exit status: 0 done, 1 failed (or the audit chain is broken), 2 usage.
 * Every change is written to the audit log with actor "acme-admin".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "panel.h"

#define ACTOR		"acme-admin"
#define DEFAULT_CONF	"/etc/acme-panel.conf"
#define PASSWORD_MAX	1024

#define EXIT_USAGE	2

struct admin {
	struct panel_config	*cfg;
	struct store		*st;
	struct auth_policy	 pol;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: acme-admin [-c conf] user add name [--admin] "
	    "[--password-stdin]\n"
	    "       acme-admin [-c conf] user passwd name [--password-stdin]\n"
	    "       acme-admin [-c conf] user role name admin|user\n"
	    "       acme-admin [-c conf] user disable|enable name\n"
	    "       acme-admin [-c conf] user list\n"
	    "       acme-admin [-c conf] token create user [name] "
	    "[--token-stdin]\n"
	    "       acme-admin [-c conf] token revoke id\n"
	    "       acme-admin [-c conf] token list user\n"
	    "       acme-admin [-c conf] audit verify\n"
	    "       acme-admin [-c conf] migrate\n");
}

/* Appends an audit row; a failure is reported but does not fail the
 * command that already happened. */
static void
audit(struct admin *a, const char *action, const char *object,
    enum audit_result r, const char *detail)
{
	enum panel_err	 rc;

	if ((rc = audit_append(a->st, ACTOR, NULL, action, object, r, detail,
	    NULL)) != PANEL_OK)
		fprintf(stderr, "acme-admin: warning: audit log: %s: %s\n",
		    panel_strerror(rc), store_errmsg(a->st));
}

static void
db_error(struct admin *a, const char *what, enum panel_err rc)
{
	fprintf(stderr, "acme-admin: %s: %s%s%s\n", what, panel_strerror(rc),
	    rc == PANEL_ERR_DB ? ": " : "",
	    rc == PANEL_ERR_DB ? store_errmsg(a->st) : "");
}

/* Strips a trailing "\n" or "\r\n". */
static void
chomp(char *s)
{
	size_t	 n = strlen(s);

	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '\r')
		s[--n] = '\0';
}

/*
 * Reads one line from fd-backed stream f into buf; with echo off when
 * f is a terminal.  0, or -1 (EOF, error, or too long).
 */
static int
read_line(FILE *f, FILE *prompt_to, const char *prompt, char *buf,
    size_t len)
{
	struct termios	 old, quiet;
	int		 tty, rc = 0;
	size_t		 n;

	tty = isatty(fileno(f)) && tcgetattr(fileno(f), &old) == 0;
	if (prompt != NULL && prompt_to != NULL) {
		fputs(prompt, prompt_to);
		fflush(prompt_to);
	}
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fileno(f), TCSAFLUSH, &quiet) == -1)
			return -1;
	}
	if (fgets(buf, (int)len, f) == NULL)
		rc = -1;
	else if ((n = strlen(buf)) == len - 1 && buf[n - 1] != '\n') {
		explicit_bzero(buf, len);
		rc = -1;	/* too long: refuse rather than cut */
	}
	if (tty) {
		(void)tcsetattr(fileno(f), TCSAFLUSH, &old);
		if (prompt_to != NULL)
			fputc('\n', prompt_to);
	}
	if (rc == 0)
		chomp(buf);
	return rc;
}

/*
 * A new password, from stdin (one line) or typed twice on the terminal
 * without echo; validated as new_password.  *out is the caller's (wipe
 * and free).  0, or -1 with the reason on stderr.
 */
static int
get_password(struct admin *a, int from_stdin, char **out)
{
	char			 p1[PASSWORD_MAX], p2[PASSWORD_MAX];
	FILE			*tty = NULL;
	struct valid_value	 v;
	struct valid_error	 ve;
	int			 rc = -1;

	*out = NULL;
	memset(&v, 0, sizeof(v));
	if (from_stdin) {
		if (read_line(stdin, NULL, NULL, p1, sizeof(p1)) == -1) {
			fprintf(stderr, "acme-admin: no password on standard "
			    "input (or longer than %d bytes)\n",
			    PASSWORD_MAX - 2);
			goto out;
		}
	} else {
		if ((tty = fopen("/dev/tty", "r+")) == NULL) {
			fprintf(stderr, "acme-admin: no terminal to ask for "
			    "the password; use --password-stdin\n");
			goto out;
		}
		if (read_line(tty, tty, "Password: ", p1, sizeof(p1)) == -1 ||
		    read_line(tty, tty, "Password again: ", p2,
		    sizeof(p2)) == -1) {
			fprintf(stderr, "acme-admin: no password read\n");
			goto out;
		}
		if (strcmp(p1, p2) != 0) {
			fprintf(stderr, "acme-admin: the passwords differ\n");
			goto out;
		}
	}
	if (valid_field("new_password", p1, a->cfg, &v, &ve) != PANEL_OK) {
		fprintf(stderr, "acme-admin: password: %s\n", ve.msg);
		goto out;
	}
	if ((*out = strdup(v.s)) == NULL) {
		fprintf(stderr, "acme-admin: out of memory\n");
		goto out;
	}
	rc = 0;
out:
	if (v.s != NULL)
		explicit_bzero(v.s, strlen(v.s));
	valid_value_clear(&v);
	explicit_bzero(p1, sizeof(p1));
	explicit_bzero(p2, sizeof(p2));
	if (tty != NULL)
		fclose(tty);
	return rc;
}

static void
free_password(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

/* A validated user name into buf, or -1 with the reason printed. */
static int
check_name(struct admin *a, const char *name, char *buf, size_t len)
{
	struct valid_value	 v;
	struct valid_error	 ve;

	memset(&v, 0, sizeof(v));
	if (valid_field("username", name, a->cfg, &v, &ve) != PANEL_OK) {
		fprintf(stderr, "acme-admin: user name: %s\n", ve.msg);
		return -1;
	}
	snprintf(buf, len, "%s", v.s);
	valid_value_clear(&v);
	return 0;
}

/* The user named name; *out the caller's.  -1 with the reason printed. */
static int
find_user(struct admin *a, const char *name, struct store_user **out)
{
	enum panel_err	 rc;

	if ((rc = store_user_by_name(a->st, name, out)) == PANEL_OK)
		return 0;
	if (rc == PANEL_ERR_NOTFOUND)
		fprintf(stderr, "acme-admin: no user %s\n", name);
	else
		db_error(a, name, rc);
	return -1;
}

static void
fmt_time(int64_t t, char buf[21])
{
	if (t <= 0)
		snprintf(buf, 21, "-");
	else
		panel_time_iso((time_t)t, buf);
}

static int
user_add(struct admin *a, int argc, char *argv[])
{
	char		 name[128], obj[160], *pw = NULL;
	int		 i, admin = 0, from_stdin = 0, ret = 1;
	int64_t		 id = 0;
	enum panel_err	 rc;

	if (argc < 1)
		return EXIT_USAGE;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--admin") == 0)
			admin = 1;
		else if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = 1;
		else
			return EXIT_USAGE;
	}
	if (check_name(a, argv[0], name, sizeof(name)) == -1 ||
	    get_password(a, from_stdin, &pw) == -1)
		goto out;
	snprintf(obj, sizeof(obj), "user:%s", name);
	rc = auth_user_create(a->st, &a->pol, name, pw,
	    admin ? PANEL_ROLE_ADMIN : PANEL_ROLE_USER, &id);
	if (rc == PANEL_ERR_EXISTS) {
		fprintf(stderr, "acme-admin: user %s exists already\n", name);
		audit(a, "user.add", obj, AUDIT_FAIL, "exists");
		goto out;
	}
	if (rc != PANEL_OK) {
		db_error(a, "user add", rc);
		audit(a, "user.add", obj, AUDIT_FAIL, panel_strerror(rc));
		goto out;
	}
	audit(a, "user.add", obj, AUDIT_OK, admin ? "role admin" :
	    "role user");
	printf("user %s added (id %lld, %s)\n", name, (long long)id,
	    admin ? "admin" : "user");
	ret = 0;
out:
	free_password(pw);
	return ret;
}

static int
user_passwd(struct admin *a, int argc, char *argv[])
{
	struct store_user	*u = NULL;
	char			 name[128], obj[160], *pw = NULL;
	int			 from_stdin = 0, ret = 1;
	enum panel_err		 rc;

	if (argc < 1 || argc > 2)
		return EXIT_USAGE;
	if (argc == 2) {
		if (strcmp(argv[1], "--password-stdin") != 0)
			return EXIT_USAGE;
		from_stdin = 1;
	}
	if (check_name(a, argv[0], name, sizeof(name)) == -1 ||
	    find_user(a, name, &u) == -1 ||
	    get_password(a, from_stdin, &pw) == -1)
		goto out;
	snprintf(obj, sizeof(obj), "user:%s", name);
	if ((rc = auth_user_set_password(a->st, &a->pol, u->id, pw)) !=
	    PANEL_OK) {
		db_error(a, "user passwd", rc);
		audit(a, "user.passwd", obj, AUDIT_FAIL, panel_strerror(rc));
		goto out;
	}
	audit(a, "user.passwd", obj, AUDIT_OK, "signed out everywhere");
	printf("password of %s changed; its sessions ended\n", name);
	ret = 0;
out:
	free_password(pw);
	store_user_free(u);
	return ret;
}

static int
user_role(struct admin *a, int argc, char *argv[])
{
	struct store_user	*u = NULL;
	enum panel_role		 role;
	char			 name[128], obj[160], detail[64];
	enum panel_err		 rc;
	int			 ret = 1;

	if (argc != 2)
		return EXIT_USAGE;
	if (panel_role_parse(argv[1], &role) != 0) {
		fprintf(stderr, "acme-admin: role must be admin or user\n");
		return EXIT_USAGE;
	}
	if (check_name(a, argv[0], name, sizeof(name)) == -1 ||
	    find_user(a, name, &u) == -1)
		goto out;
	snprintf(obj, sizeof(obj), "user:%s", name);
	snprintf(detail, sizeof(detail), "role %s", panel_role_name(role));
	if ((rc = store_user_set_role(a->st, u->id, role)) != PANEL_OK) {
		db_error(a, "user role", rc);
		audit(a, "user.role", obj, AUDIT_FAIL, detail);
		goto out;
	}
	/* A changed privilege: the old sessions go. */
	if (role != u->role &&
	    (rc = store_session_delete_user(a->st, u->id)) != PANEL_OK)
		db_error(a, "ending sessions", rc);
	audit(a, "user.role", obj, AUDIT_OK, detail);
	printf("%s is now %s\n", name, panel_role_name(role));
	ret = 0;
out:
	store_user_free(u);
	return ret;
}

static int
user_disable(struct admin *a, int argc, char *argv[], int disable)
{
	struct store_user	*u = NULL;
	const char		*action = disable ? "user.disable" :
				    "user.enable";
	char			 name[128], obj[160];
	enum panel_err		 rc;
	int			 ret = 1;

	if (argc != 1)
		return EXIT_USAGE;
	if (check_name(a, argv[0], name, sizeof(name)) == -1 ||
	    find_user(a, name, &u) == -1)
		goto out;
	snprintf(obj, sizeof(obj), "user:%s", name);
	if ((rc = store_user_set_disabled(a->st, u->id, disable)) !=
	    PANEL_OK) {
		db_error(a, action, rc);
		audit(a, action, obj, AUDIT_FAIL, panel_strerror(rc));
		goto out;
	}
	if (disable &&
	    (rc = store_session_delete_user(a->st, u->id)) != PANEL_OK)
		db_error(a, "ending sessions", rc);
	audit(a, action, obj, AUDIT_OK, NULL);
	printf("%s %s\n", name, disable ? "disabled; its sessions ended" :
	    "enabled");
	ret = 0;
out:
	store_user_free(u);
	return ret;
}

static int
user_list(struct admin *a, int argc)
{
	struct store_user_list	*l = NULL;
	enum panel_err		 rc;
	size_t			 i;
	char			 t[21];

	if (argc != 0)
		return EXIT_USAGE;
	if ((rc = store_user_list(a->st, &l)) != PANEL_OK) {
		db_error(a, "user list", rc);
		return 1;
	}
	printf("%-6s %-24s %-6s %-9s %s\n", "ID", "NAME", "ROLE", "STATE",
	    "CREATED");
	for (i = 0; i < l->n; i++) {
		fmt_time(l->v[i].created, t);
		printf("%-6lld %-24s %-6s %-9s %s\n", (long long)l->v[i].id,
		    l->v[i].name, panel_role_name(l->v[i].role),
		    l->v[i].disabled ? "disabled" : "enabled", t);
	}
	store_user_list_free(l);
	return 0;
}

static int
cmd_user(struct admin *a, int argc, char *argv[])
{
	if (argc < 1)
		return EXIT_USAGE;
	if (strcmp(argv[0], "add") == 0)
		return user_add(a, argc - 1, argv + 1);
	if (strcmp(argv[0], "passwd") == 0)
		return user_passwd(a, argc - 1, argv + 1);
	if (strcmp(argv[0], "role") == 0)
		return user_role(a, argc - 1, argv + 1);
	if (strcmp(argv[0], "disable") == 0)
		return user_disable(a, argc - 1, argv + 1, 1);
	if (strcmp(argv[0], "enable") == 0)
		return user_disable(a, argc - 1, argv + 1, 0);
	if (strcmp(argv[0], "list") == 0)
		return user_list(a, argc - 1);
	return EXIT_USAGE;
}

/* One line from f without its newline; the caller frees.  NULL if empty. */
static char *
read_token(FILE *f)
{
	char	 buf[256];
	size_t	 n;

	if (fgets(buf, sizeof(buf), f) == NULL)
		return NULL;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return n > 0 ? strdup(buf) : NULL;
}

static int
token_create(struct admin *a, int argc, char *argv[])
{
	struct store_user	*u = NULL;
	struct valid_value	 v;
	struct valid_error	 ve;
	char			 name[128], obj[64], detail[192];
	char			*tok = NULL;
	int64_t			 id = 0;
	enum panel_err		 rc;
	int			 ret = 1, imported = 0;

	memset(&v, 0, sizeof(v));
	if (argc >= 2 && strcmp(argv[argc - 1], "--token-stdin") == 0) {
		/* Take the token from stdin instead of making one. */
		if ((tok = read_token(stdin)) == NULL) {
			fprintf(stderr, "acme-admin: no token on stdin\n");
			return 1;
		}
		argc--;
		imported = 1;
	}
	if (argc < 1 || argc > 2)
		goto usage;
	if (argc == 2 && valid_field("name", argv[1], a->cfg, &v, &ve) !=
	    PANEL_OK) {
		fprintf(stderr, "acme-admin: token name: %s\n", ve.msg);
		return 1;
	}
	if (check_name(a, argv[0], name, sizeof(name)) == -1 ||
	    find_user(a, name, &u) == -1)
		goto out;
	if (imported)
		rc = auth_token_import(a->st, u->id, v.s != NULL ? v.s : "cli",
		    tok, &id);
	else
		rc = auth_token_create(a->st, u->id, v.s != NULL ? v.s : "cli",
		    &tok, &id);
	if (rc != PANEL_OK) {
		db_error(a, "token create", rc);
		audit(a, "token.create", NULL, AUDIT_FAIL, panel_strerror(rc));
		goto out;
	}
	snprintf(obj, sizeof(obj), "token:%lld", (long long)id);
	snprintf(detail, sizeof(detail), "for %s", name);
	audit(a, "token.create", obj, AUDIT_OK, detail);
	if (!imported) {
		printf("%s\n", tok);
		fprintf(stderr, "token %lld for %s; it is shown only this "
		    "once\n", (long long)id, name);
	}
	ret = 0;
	goto out;
usage:
	ret = EXIT_USAGE;
out:
	if (tok != NULL) {
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
	valid_value_clear(&v);
	store_user_free(u);
	return ret;
}

static int
token_revoke(struct admin *a, int argc, char *argv[])
{
	struct valid_value	 v;
	struct valid_error	 ve;
	char			 obj[64];
	enum panel_err		 rc;

	memset(&v, 0, sizeof(v));
	if (argc != 1)
		return EXIT_USAGE;
	if (valid_field("id", argv[0], a->cfg, &v, &ve) != PANEL_OK) {
		fprintf(stderr, "acme-admin: token id: %s\n", ve.msg);
		return EXIT_USAGE;
	}
	snprintf(obj, sizeof(obj), "token:%lld", (long long)v.i);
	rc = store_token_revoke(a->st, v.i, 0, (int64_t)time(NULL));
	valid_value_clear(&v);
	if (rc == PANEL_ERR_NOTFOUND) {
		fprintf(stderr, "acme-admin: no usable token %s\n", argv[0]);
		audit(a, "token.revoke", obj, AUDIT_FAIL, "not found");
		return 1;
	}
	if (rc != PANEL_OK) {
		db_error(a, "token revoke", rc);
		audit(a, "token.revoke", obj, AUDIT_FAIL, panel_strerror(rc));
		return 1;
	}
	audit(a, "token.revoke", obj, AUDIT_OK, NULL);
	printf("token %s revoked\n", argv[0]);
	return 0;
}

static int
token_list(struct admin *a, int argc, char *argv[])
{
	struct store_user	*u = NULL;
	struct store_token_list	*l = NULL;
	char			 name[128], c[21], used[21], rev[21];
	enum panel_err		 rc;
	size_t			 i;

	if (argc != 1)
		return EXIT_USAGE;
	if (check_name(a, argv[0], name, sizeof(name)) == -1 ||
	    find_user(a, name, &u) == -1)
		return 1;
	if ((rc = store_token_list(a->st, u->id, &l)) != PANEL_OK) {
		db_error(a, "token list", rc);
		store_user_free(u);
		return 1;
	}
	printf("%-6s %-20s %-16s %-20s %-20s %s\n", "ID", "NAME", "HINT",
	    "CREATED", "LAST USED", "REVOKED");
	for (i = 0; i < l->n; i++) {
		fmt_time(l->v[i].created, c);
		fmt_time(l->v[i].last_used, used);
		fmt_time(l->v[i].revoked, rev);
		printf("%-6lld %-20s %-16s %-20s %-20s %s\n",
		    (long long)l->v[i].id, l->v[i].name ? l->v[i].name : "",
		    l->v[i].hint ? l->v[i].hint : "", c, used, rev);
	}
	store_token_list_free(l);
	store_user_free(u);
	return 0;
}

static int
cmd_token(struct admin *a, int argc, char *argv[])
{
	if (argc < 1)
		return EXIT_USAGE;
	if (strcmp(argv[0], "create") == 0)
		return token_create(a, argc - 1, argv + 1);
	if (strcmp(argv[0], "revoke") == 0)
		return token_revoke(a, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return token_list(a, argc - 1, argv + 1);
	return EXIT_USAGE;
}

static int
cmd_audit(struct admin *a, int argc, char *argv[])
{
	int64_t		 bad = 0, count = 0;
	enum panel_err	 rc;
	char		 detail[96];

	if (argc != 1 || strcmp(argv[0], "verify") != 0)
		return EXIT_USAGE;
	rc = audit_verify(a->st, &bad, &count);
	if (rc == PANEL_OK) {
		printf("audit log intact: %lld entries\n", (long long)count);
		snprintf(detail, sizeof(detail), "%lld entries intact",
		    (long long)count);
		audit(a, "audit.verify", "audit_log", AUDIT_OK, detail);
		return 0;
	}
	if (rc == PANEL_ERR_CHAIN) {
		printf("audit log broken at entry %lld\n", (long long)bad);
		snprintf(detail, sizeof(detail), "broken at entry %lld",
		    (long long)bad);
		audit(a, "audit.verify", "audit_log", AUDIT_FAIL, detail);
		return 1;
	}
	db_error(a, "audit verify", rc);
	return 1;
}

static int
cmd_migrate(struct admin *a, int argc)
{
	int		 v = 0;
	enum panel_err	 rc;
	char		 detail[64];

	if (argc != 0)
		return EXIT_USAGE;
	/* store_open applied the pending migrations already. */
	if ((rc = store_schema_version(a->st, &v)) != PANEL_OK) {
		db_error(a, "migrate", rc);
		return 1;
	}
	printf("schema version %d (this program knows up to %d)\n", v,
	    store_schema_latest());
	snprintf(detail, sizeof(detail), "schema version %d", v);
	audit(a, "migrate", "database", AUDIT_OK, detail);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct admin	 a;
	const char	*conf = getenv("ACME_PANEL_CONF");
	char		 err[512];
	enum panel_err	 rc;
	int		 ch, ret;

	memset(&a, 0, sizeof(a));
	if (conf == NULL || *conf == '\0')
		conf = DEFAULT_CONF;
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (strcmp(argv[0], "user") != 0 &&
	    strcmp(argv[0], "token") != 0 && strcmp(argv[0], "audit") != 0 &&
	    strcmp(argv[0], "migrate") != 0)) {
		usage();
		return EXIT_USAGE;
	}

	err[0] = '\0';
	if ((rc = config_load(conf, &a.cfg, err, sizeof(err))) != PANEL_OK) {
		fprintf(stderr, "acme-admin: %s\n", err[0] != '\0' ? err :
		    panel_strerror(rc));
		return 1;
	}
	if ((rc = store_open(a.cfg->database, &a.st)) != PANEL_OK) {
		fprintf(stderr, "acme-admin: %s: %s\n", a.cfg->database,
		    panel_strerror(rc));
		config_free(a.cfg);
		return 1;
	}
	auth_policy_from_config(a.cfg, &a.pol);

	if (strcmp(argv[0], "user") == 0)
		ret = cmd_user(&a, argc - 1, argv + 1);
	else if (strcmp(argv[0], "token") == 0)
		ret = cmd_token(&a, argc - 1, argv + 1);
	else if (strcmp(argv[0], "audit") == 0)
		ret = cmd_audit(&a, argc - 1, argv + 1);
	else
		ret = cmd_migrate(&a, argc - 1);
	if (ret == EXIT_USAGE)
		usage();
	store_close(a.st);
	config_free(a.cfg);
	return ret;
}
