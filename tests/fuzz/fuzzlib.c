/* Shared helpers of the libFuzzer harnesses (fuzzlib.h). */
#include <config.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/devca.h"
#include "ca/keyring.h"
#include "common/log.h"
#include "tests/fuzz/fuzzlib.h"

static char tmpdir[64];

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

struct keyring *
fuzz_keyring(void)
{
	static const char *const stem[4] = { "sign-ca", "auth-ca", "sign-ocsp", "auth-ocsp" };
	struct devca_opts o;
	struct keyring_spec s[4], pr;
	struct keyring *kr;
	char dir[64], cadir[80], cert[5][128], key[5][128], err[512];
	int i;

	snprintf(dir, sizeof(dir), "/tmp/jpkid-fuzz-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(cadir, sizeof(cadir), "%s/ca", dir);
	memset(&o, 0, sizeof(o));
	o.dir = cadir;
	if (devca_init(&o, err, sizeof(err)) != 0) {
		fprintf(stderr, "devca_init: %s\n", err);
		abort();
	}
	for (i = 0; i < 4; i++) {
		snprintf(cert[i], sizeof(cert[i]), "%s/%s.crt", cadir, stem[i]);
		snprintf(key[i], sizeof(key[i]), "%s/%s.key", cadir, stem[i]);
		s[i].cert = cert[i];
		s[i].key = key[i];
		s[i].pin_file = NULL;
	}
	/* R16a: the PIN reset authority too (POST /v1/pin-resets/{id}/complete). */
	snprintf(cert[4], sizeof(cert[4]), "%s/pinreset.crt", cadir);
	snprintf(key[4], sizeof(key[4]), "%s/pinreset.key", cadir);
	pr.cert = cert[4];
	pr.key = key[4];
	pr.pin_file = NULL;
	if (keyring_load(&s[0], &s[1], &s[2], &s[3], &pr, &kr, err, sizeof(err)) != 0) {
		fprintf(stderr, "keyring_load: %s\n", err);
		abort();
	}
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return kr;
}

char *
fuzz_cstr(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static void
rm_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_file(const unsigned char *data, size_t size)
{
	static char path[96];
	int fd;

	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/jpkid-fuzz-XXXXXX");
		if (mkdtemp(tmpdir) == NULL)
			abort();
		atexit(rm_tmpdir);
	}
	snprintf(path, sizeof(path), "%s/input", tmpdir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
		abort();
	return path;
}

void
fuzz_quiet_logs(void)
{
	/*
	 * Only errors: common/log.c writes to fd 2 with write(2), like the
	 * sanitizers and libFuzzer, so the fd cannot be closed without losing
	 * their reports.
	 */
	log_set_level(LOG_LVL_ERR);
}

unsigned
fdp_u8(struct fdp *f)
{
	if (f->n == 0)
		return 0;
	f->n--;
	return *f->p++;
}

unsigned long long
fdp_u64(struct fdp *f)
{
	unsigned long long v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | fdp_u8(f);
	return v;
}

const unsigned char *
fdp_bytes(struct fdp *f, size_t max, size_t *len)
{
	const unsigned char *p;

	*len = fdp_u8(f) % (max + 1);
	if (*len > f->n)
		*len = f->n;
	p = f->p;
	f->p += *len;
	f->n -= *len;
	return p;
}
