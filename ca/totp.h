/*
 * totp: RFC 6238 time-based one-time passwords (liboath): 6 digits, 30 s
 * steps, HMAC-SHA1, as every authenticator app expects. Codes are compared
 * in constant time; a step once accepted is never accepted again (replay).
 */
#ifndef JPKI_TOTP_H
#define JPKI_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_SECRET_LEN	20	/* bytes (160 bits, RFC 4226 recommendation) */
#define TOTP_DIGITS	6
#define TOTP_STEP_S	30

/* A fresh random secret. 0, or -1. */
int	totp_new_secret(unsigned char secret[TOTP_SECRET_LEN]);
/*
 * Check code against secret at time now, allowing window steps either side
 * (1: the previous, current and next 30 s). A step <= *last_step was used
 * already and is refused. Returns 1 and sets *last_step to the step that
 * matched, or 0.
 */
int	totp_verify(const unsigned char *secret, size_t len, time_t now, int window,
	    const char *code, int64_t *last_step);
/* The code at time now into out (TOTP_DIGITS + 1 bytes). 0, or -1. */
int	totp_code(const unsigned char *secret, size_t len, time_t now, char *out);
/* RFC 4648 base32 of secret, no padding, into out. 0, or -1 (too small). */
int	totp_base32(const unsigned char *secret, size_t len, char *out, size_t outlen);
/*
 * otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * (the Key Uri Format of authenticator apps), percent-encoding issuer and
 * account. 0, or -1 (too small).
 */
int	totp_uri(const unsigned char *secret, size_t len, const char *issuer,
	    const char *account, char *out, size_t outlen);

#endif
