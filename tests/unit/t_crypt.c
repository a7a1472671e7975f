/*
 * crypt: the KEK file (creation, permissions), AES-256-GCM sealing with
 * row-bound associated data, tampering, and the durable-write helper;
 * the panel's own SHA-256 and random bytes (util.c), against EVP.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "panel.h"
#include "tap.h"

static char	 dir[] = "/tmp/t_crypt.XXXXXX";

static const char pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2\n"
    "-----END PRIVATE KEY-----\n";

static int
dir_entries(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_seal(const struct panel_kek *k, const struct panel_kek *other)
{
	unsigned char	*b1 = NULL, *b2 = NULL;
	size_t		 l1 = 0, l2 = 0, pl = 0, i;
	char		*pt = NULL, aad[CRYPT_AAD_MAX];
	int		 all;

	is_str(crypt_aad(aad, "account", 17), "account:17", "aad text");
	ok(crypt_seal(k, aad, pem, strlen(pem), &b1, &l1) == PANEL_OK &&
	    l1 == strlen(pem) + 29 && b1[0] == 0x01, "sealed: version, iv, "
	    "ciphertext, tag");
	ok(memmem(b1, l1, "PRIVATE", 7) == NULL, "no plaintext inside");
	ok(crypt_open(k, "account:17", b1, l1, &pt, &pl) == PANEL_OK &&
	    pl == strlen(pem) && strcmp(pt, pem) == 0, "round trip");
	crypt_wipe_free(pt, pl);
	pt = NULL;
	ok(crypt_seal(k, aad, pem, strlen(pem), &b2, &l2) == PANEL_OK &&
	    l1 == l2 && memcmp(b1, b2, l1) != 0, "fresh IV each time");
	free(b2);

	ok(crypt_open(k, "account:18", b1, l1, &pt, &pl) == PANEL_ERR_CRYPTO &&
	    pt == NULL, "another row's AAD fails");
	ok(crypt_open(k, "order:17", b1, l1, &pt, &pl) == PANEL_ERR_CRYPTO,
	    "another kind's AAD fails");
	ok(crypt_open(k, "", b1, l1, &pt, &pl) == PANEL_ERR_CRYPTO,
	    "empty AAD fails");
	ok(crypt_open(other, "account:17", b1, l1, &pt, &pl) ==
	    PANEL_ERR_CRYPTO, "another KEK fails");
	for (i = 0, all = 1; i < l1; i++) {
		b1[i] ^= 0x01;
		all &= crypt_open(k, "account:17", b1, l1, &pt, &pl) ==
		    PANEL_ERR_CRYPTO;
		b1[i] ^= 0x01;
	}
	ok(all, "a flipped bit anywhere (version, IV, text, tag) fails");
	ok(crypt_open(k, "account:17", b1, l1 - 1, &pt, &pl) ==
	    PANEL_ERR_CRYPTO && crypt_open(k, "account:17", b1, 28, &pt,
	    &pl) == PANEL_ERR_CRYPTO, "truncated fails");
	free(b1);
	b1 = NULL;
	ok(crypt_seal(k, "x:1", "", 0, &b1, &l1) == PANEL_OK && l1 == 29 &&
	    crypt_open(k, "x:1", b1, l1, &pt, &pl) == PANEL_OK && pl == 0 &&
	    *pt == '\0', "empty plaintext round trip");
	crypt_wipe_free(pt, pl);
	free(b1);
	ok(crypt_seal(k, NULL, "x", 1, &b1, &l1) == PANEL_ERR_ARG,
	    "AAD is required");
}

static void
test_kek(void)
{
	struct panel_kek	*k = NULL, *k2 = NULL, *o = NULL;
	struct stat		 sb;
	char			 path[300], p2[300], ln[300];
	unsigned char		*b = NULL;
	size_t			 bl = 0, pl = 0;
	char			*pt = NULL;
	int			 fd;

	snprintf(path, sizeof(path), "%s/kek", dir);
	ok(crypt_kek_load(path, &k) == PANEL_OK, "KEK created when missing");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 &&
	    sb.st_size == CRYPT_KEK_LEN, "0600, 32 bytes");
	ok(dir_entries() == 1, "no temporary file left behind");
	ok(crypt_kek_load(path, &k2) == PANEL_OK, "loaded again");
	ok(crypt_seal(k, "a:1", "hi", 2, &b, &bl) == PANEL_OK &&
	    crypt_open(k2, "a:1", b, bl, &pt, &pl) == PANEL_OK &&
	    strcmp(pt, "hi") == 0, "same key after reload");
	crypt_wipe_free(pt, pl);
	free(b);
	snprintf(p2, sizeof(p2), "%s/kek2", dir);
	ok(crypt_kek_load(p2, &o) == PANEL_OK, "a second KEK");
	test_seal(k, o);
	crypt_kek_free(k2);
	crypt_kek_free(o);
	k2 = o = NULL;

	chmod(path, 0640);
	ok(crypt_kek_load(path, &k2) == PANEL_ERR_PERM && k2 == NULL,
	    "group-readable KEK refused");
	chmod(path, 0604);
	ok(crypt_kek_load(path, &k2) == PANEL_ERR_PERM,
	    "world-readable KEK refused");
	chmod(path, 0400);
	ok(crypt_kek_load(path, &k2) == PANEL_OK, "0400 is fine");
	crypt_kek_free(k2);
	k2 = NULL;
	chmod(path, 0600);
	snprintf(ln, sizeof(ln), "%s/kek-link", dir);
	ok(symlink(path, ln) == 0 && crypt_kek_load(ln, &k2) ==
	    PANEL_ERR_PERM, "symlink refused");
	unlink(ln);
	ok(crypt_kek_load(dir, &k2) == PANEL_ERR_PERM ||
	    crypt_kek_load(dir, &k2) == PANEL_ERR_IO, "directory refused");
	fd = open(p2, O_WRONLY | O_TRUNC);
	ok(fd != -1 && write(fd, "short", 5) == 5 && close(fd) == 0 &&
	    crypt_kek_load(p2, &k2) == PANEL_ERR_IO, "wrong size refused");
	ok(crypt_kek_load("", &k2) == PANEL_ERR_ARG, "empty path");
	crypt_kek_free(k);
	crypt_kek_free(NULL);
	unlink(path);
	unlink(p2);
}

/* Two processes create the same missing KEK at once: both end up with
 * the one that reached the file system first. */
static void
test_kek_race(void)
{
	struct panel_kek	*k = NULL;
	unsigned char		*b = NULL;
	size_t			 bl = 0, pl = 0;
	char			 path[300], blob[300], *pt = NULL, *text = NULL;
	pid_t			 pid;
	int			 status = -1;

	snprintf(path, sizeof(path), "%s/race-kek", dir);
	snprintf(blob, sizeof(blob), "%s/blob", dir);
	if ((pid = fork()) == 0) {
		if (crypt_kek_load(path, &k) != PANEL_OK ||
		    crypt_seal(k, "r:1", "child", 5, &b, &bl) != PANEL_OK ||
		    panel_write_file(blob, b, bl, 0600) != PANEL_OK)
			_exit(1);
		_exit(0);
	}
	ok(crypt_kek_load(path, &k) == PANEL_OK, "parent loads");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child sealed");
	ok(panel_read_file(blob, 1024, &text, &bl) == PANEL_OK &&
	    crypt_open(k, "r:1", (unsigned char *)text, bl, &pt, &pl) ==
	    PANEL_OK && strcmp(pt, "child") == 0, "both use the same key");
	crypt_wipe_free(pt, pl);
	free(text);
	crypt_kek_free(k);
	unlink(path);
	unlink(blob);
}

static void
test_write_file(void)
{
	struct stat	 sb;
	char		 path[300], *text = NULL;
	size_t		 len = 0;

	snprintf(path, sizeof(path), "%s/out.pem", dir);
	ok(panel_write_file(path, "first", 5, 0640) == PANEL_OK &&
	    stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640,
	    "durable write with mode");
	ok(panel_write_file(path, "second!", 7, 0600) == PANEL_OK &&
	    panel_read_file(path, 100, &text, &len) == PANEL_OK && len == 7 &&
	    strcmp(text, "second!") == 0 && stat(path, &sb) == 0 &&
	    (sb.st_mode & 0777) == 0600, "replaced whole");
	free(text);
	ok(dir_entries() == 1, "no temporary file left behind");
	ok(panel_read_file(path, 3, &text, &len) == PANEL_ERR_ARG,
	    "read cap");
	ok(panel_write_file("/nonexistent-dir/x", "x", 1, 0600) ==
	    PANEL_ERR_IO && errno == ENOENT, "failure reports errno");
	unlink(path);
}

/* The hex SHA-256 of s (len bytes) by EVP, the reference. */
static void
evp_hex(const unsigned char *s, size_t len, char hex[65])
{
	unsigned char	 md[32];
	unsigned int	 n = 0;
	size_t		 i;

	if (EVP_Digest(s, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		tap_bail("EVP_Digest");
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/*
 * panel_sha256_hex and _parts: FIPS 180-4's examples, then random
 * inputs of every length to 300 (the block edges 55/56/64) hashed whole
 * and cut into random parts, each against EVP; panel_random fills what
 * it is given and does not repeat itself.
 */
static void
test_sha256_random(void)
{
	struct panel_part	 v[8];
	unsigned char		 buf[300], a[64], b[64];
	char			 hex[65], ref[65];
	size_t			 len, k, at, n, bad = 0, badp = 0;

	panel_sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "SHA-256(\"abc\")");
	panel_sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855", "SHA-256 of nothing");
	v[0] = (struct panel_part){ "ab", 2 };
	v[1] = (struct panel_part){ "", 0 };
	v[2] = (struct panel_part){ "c", 1 };
	panel_sha256_parts(v, 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "\"ab\" + \"\" + \"c\"");
	ok(panel_random(buf, sizeof(buf)) == 0, "300 random bytes");
	for (len = 0; len <= sizeof(buf); len++) {
		evp_hex(buf, len, ref);
		panel_sha256_hex(buf, len, hex);
		bad += strcmp(hex, ref) != 0;
		/* The same bytes in up to 8 random parts. */
		for (n = 0, at = 0; n < 8 && at < len; n++) {
			k = n == 7 ? len - at : (size_t)rand() % (len - at + 1);
			v[n] = (struct panel_part){ buf + at, k };
			at += k;
		}
		if (at < len)
			v[n++] = (struct panel_part){ buf + at, len - at };
		panel_sha256_parts(v, n, hex);
		badp += strcmp(hex, ref) != 0;
	}
	ok(bad == 0, "lengths 0-300: panel_sha256_hex equals EVP's SHA-256");
	ok(badp == 0, "and the same bytes cut into parts");
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	ok(panel_random(a, sizeof(a)) == 0 && panel_random(b, sizeof(b)) ==
	    0 && memcmp(a, b, sizeof(a)) != 0 && memcmp(a, (char[64]){ 0 },
	    sizeof(a)) != 0, "two draws of 64 random bytes differ, and are "
	    "not zeros");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		tap_bail("mkdtemp");
	test_sha256_random();
	test_kek();
	test_kek_race();
	test_write_file();
	rmdir(dir);
	return tap_done();
}
