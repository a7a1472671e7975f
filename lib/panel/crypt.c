/*
 * Private keys at rest: AES-256-GCM (OpenSSL EVP) under a key-encryption
 * key kept in a 0600 file outside the database.
 *
 * Sealed format: version (1 byte, 0x01) || IV (12 random bytes) ||
 * ciphertext || tag (16 bytes).  The associated data is the version byte
 * followed by the row's name ("account:17"), so a blob copied to another
 * row, or another kind of row, does not open.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "panel_priv.h"

#define SEAL_VERSION	0x01
#define IV_LEN		12
#define TAG_LEN		16
#define SEAL_OVERHEAD	(1 + IV_LEN + TAG_LEN)
#define SEAL_MAX	(1024 * 1024)	/* keys are a few KiB */

struct panel_kek {
	unsigned char	 key[CRYPT_KEK_LEN];
};

void
crypt_wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

void
crypt_kek_free(struct panel_kek *k)
{
	crypt_wipe_free(k, sizeof(*k));
}

char *
crypt_aad(char buf[CRYPT_AAD_MAX], const char *kind, int64_t id)
{
	snprintf(buf, CRYPT_AAD_MAX, "%s:%" PRId64, kind ? kind : "", id);
	return buf;
}

/* Reads exactly CRYPT_KEK_LEN bytes from an open, checked descriptor. */
static enum panel_err
kek_read(int fd, struct panel_kek *k)
{
	struct stat	 sb;
	size_t		 got = 0;
	ssize_t		 r;

	if (fstat(fd, &sb) == -1)
		return PANEL_ERR_IO;
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0)
		return PANEL_ERR_PERM;
	if (sb.st_size != CRYPT_KEK_LEN) {
		errno = EINVAL;
		return PANEL_ERR_IO;
	}
	while (got < CRYPT_KEK_LEN) {
		r = read(fd, k->key + got, CRYPT_KEK_LEN - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EINVAL;
			return PANEL_ERR_IO;
		}
		got += (size_t)r;
	}
	return PANEL_OK;
}

/*
 * Creates the KEK without ever exposing a half-written file at path: a
 * fresh key is written to a temporary file (O_EXCL, 0600) and fsynced,
 * then link()ed to path, which fails with EEXIST if another process won
 * the race (then its key is the one).  The directory is fsynced.
 */
static enum panel_err
kek_create(const char *path)
{
	unsigned char	 key[CRYPT_KEK_LEN];
	char		 tmp[4096];
	enum panel_err	 err = PANEL_ERR_IO;
	size_t		 off = 0;
	ssize_t		 w;
	int		 fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.new%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return PANEL_ERR_IO;
	}
	/* The kernel's bytes, not RAND_bytes: see panel_random. */
	if (panel_random(key, sizeof(key)) == -1)
		return PANEL_ERR_CRYPTO;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		goto out;
	if (fchmod(fd, 0600) == -1)
		goto fail;
	while (off < sizeof(key)) {
		w = write(fd, key + off, sizeof(key) - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (link(tmp, path) == -1 && errno != EEXIST)
		goto fail;
	(void)unlink(tmp);
	err = panel_fsync_dir(path) == -1 ? PANEL_ERR_IO : PANEL_OK;
	goto out;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	errno = saved;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

enum panel_err
crypt_kek_load(const char *path, struct panel_kek **out)
{
	struct panel_kek	*k;
	enum panel_err		 err;
	int			 fd;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return PANEL_ERR_ARG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT) {
		if ((err = kek_create(path)) != PANEL_OK)
			return err;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd == -1)
		return errno == ELOOP ? PANEL_ERR_PERM : PANEL_ERR_IO;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		close(fd);
		return PANEL_ERR_NOMEM;
	}
	err = kek_read(fd, k);
	close(fd);
	if (err != PANEL_OK) {
		crypt_kek_free(k);
		return err;
	}
	*out = k;
	return PANEL_OK;
}

/* Feeds the associated data: the version byte, then the row name. */
static int
gcm_aad(EVP_CIPHER_CTX *c, const char *aad)
{
	static const unsigned char	 v = SEAL_VERSION;
	int				 n;

	if (EVP_CipherUpdate(c, NULL, &n, &v, 1) != 1)
		return -1;
	if (aad != NULL && *aad != '\0' && EVP_CipherUpdate(c, NULL, &n,
	    (const unsigned char *)aad, (int)strlen(aad)) != 1)
		return -1;
	return 0;
}

enum panel_err
crypt_seal(const struct panel_kek *k, const char *aad, const void *pt,
    size_t len, unsigned char **out, size_t *outlen)
{
	EVP_CIPHER_CTX	*c = NULL;
	unsigned char	*buf = NULL, *iv, *ct;
	enum panel_err	 err = PANEL_ERR_CRYPTO;
	int		 n, fin;

	*out = NULL;
	*outlen = 0;
	if (k == NULL || (pt == NULL && len > 0) || len > SEAL_MAX ||
	    aad == NULL || strlen(aad) >= CRYPT_AAD_MAX)
		return PANEL_ERR_ARG;
	if ((buf = malloc(len + SEAL_OVERHEAD)) == NULL)
		return PANEL_ERR_NOMEM;
	buf[0] = SEAL_VERSION;
	iv = buf + 1;
	ct = iv + IV_LEN;
	if (RAND_bytes(iv, IV_LEN) != 1 ||
	    (c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, k->key, iv) != 1 ||
	    gcm_aad(c, aad) == -1)
		goto out;
	n = 0;
	if (len > 0 && EVP_EncryptUpdate(c, ct, &n, pt, (int)len) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(c, ct + n, &fin) != 1 ||
	    (size_t)(n + fin) != len ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    ct + len) != 1)
		goto out;
	*out = buf;
	*outlen = len + SEAL_OVERHEAD;
	buf = NULL;
	err = PANEL_OK;
out:
	EVP_CIPHER_CTX_free(c);
	if (buf != NULL)
		crypt_wipe_free(buf, len + SEAL_OVERHEAD);
	return err;
}

enum panel_err
crypt_open(const struct panel_kek *k, const char *aad,
    const unsigned char *in, size_t len, char **pt, size_t *ptlen)
{
	EVP_CIPHER_CTX		*c = NULL;
	unsigned char		*buf = NULL;
	unsigned char		 tag[TAG_LEN];
	const unsigned char	*iv, *ct;
	enum panel_err		 err = PANEL_ERR_CRYPTO;
	size_t			 ctlen;
	int			 n = 0, fin;

	*pt = NULL;
	if (ptlen != NULL)
		*ptlen = 0;
	if (k == NULL || in == NULL || aad == NULL)
		return PANEL_ERR_ARG;
	if (len < SEAL_OVERHEAD || len > SEAL_MAX + SEAL_OVERHEAD ||
	    in[0] != SEAL_VERSION)
		return PANEL_ERR_CRYPTO;
	iv = in + 1;
	ct = iv + IV_LEN;
	ctlen = len - SEAL_OVERHEAD;
	memcpy(tag, ct + ctlen, TAG_LEN);
	if ((buf = malloc(ctlen + 1)) == NULL)
		return PANEL_ERR_NOMEM;
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, k->key, iv) != 1 ||
	    gcm_aad(c, aad) == -1)
		goto out;
	if (ctlen > 0 && EVP_DecryptUpdate(c, buf, &n, ct, (int)ctlen) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(c, buf + n, &fin) != 1 ||
	    (size_t)(n + fin) != ctlen)
		goto out;
	buf[ctlen] = '\0';
	*pt = (char *)buf;
	if (ptlen != NULL)
		*ptlen = ctlen;
	buf = NULL;
	err = PANEL_OK;
out:
	EVP_CIPHER_CTX_free(c);
	if (buf != NULL)
		crypt_wipe_free(buf, ctlen + 1);
	return err;
}
