/*
 * vcard internals shared by tools/vcard.c (the card's behaviour) and
 * tools/vcard_file.c (the card file: format, parsing, atomic writes).
 * Not for use outside tools/vcard*.c.
 */
#ifndef JPKI_VCARD_INT_H
#define JPKI_VCARD_INT_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tools/vcard.h"

#define VCARD_FORMAT	"jpki-vcard/1"
#define PIN_ITER	20000
#define PIN_SALT	16
#define PIN_HASH	32
#define PIN_MAX		16
#define MAX_ANCHORS	16

struct vpin {
	int		set;
	int		iter;
	unsigned char	salt[PIN_SALT];
	unsigned char	hash[PIN_HASH];
};

struct vkey {
	EVP_PKEY	*key;		/* current key, or NULL */
	struct vpin	 pin;
	int		 tries;
	unsigned char	*cert, *ca;	/* DER, or NULL */
	size_t		 certlen, calen;
	EVP_PKEY	*pend;		/* pending key (vcard_keygen), or NULL */
	struct vpin	 pend_pin;
};

struct vcard {
	char		*path;
	char		 card_number[17];
	X509		*anchors[MAX_ANCHORS];	/* personalization anchors */
	size_t		 nanchors;
	char		(*used)[37];		/* used authorization ids */
	size_t		 nused;
	struct vkey	 k[2];
	char		 err[256];
};

/* Write the whole card to its file atomically. VCARD_OK or an error with c->err set. */
int	vcard_file_save(struct vcard *c);
/* snprintf into err, tolerating err == NULL / errlen == 0. */
void	vcard_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
