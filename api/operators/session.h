/*
 * session: pieces shared by the console login (api/operators/login.c) and the
 * session check (api/operators/session.c). A session token is 32 random bytes in
 * base64url (the cookie value); the database keeps only SHA-256 of that
 * text. The CSRF token is HMAC-SHA256(key = token, "jpkid csrf v1") in
 * base64url, so it can be derived again from the cookie after a page reload
 * without being stored; the database keeps its SHA-256 too.
 */
#ifndef JPKI_SESSION_H
#define JPKI_SESSION_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "api/api.h"

#define SESSION_COOKIE		"jpkid_session"
#define SESSION_TOKEN_BYTES	32
#define SESSION_B64_LEN		44	/* base64url of 32 bytes, no padding, + NUL */

/* base64url without padding of len bytes into out (4*ceil(len/3)+1 bytes). */
void	session_b64url(const unsigned char *, size_t len, char *out);
/* Lowercase hex SHA-256 of the string s into out (65 bytes). */
void	session_sha256_hex(const char *s, char out[65]);
/* A fresh token; 0, or -1 (no entropy). */
int	session_new_token(char out[SESSION_B64_LEN]);
/* The CSRF token of a session token. */
void	session_csrf(const char *token, char out[SESSION_B64_LEN]);
/* The jpkid_session cookie of req into buf, or NULL when there is none (or a bad one). */
const char *session_cookie(const struct api_req *, char *buf, size_t len);
/*
 * The Origin rule of the console: Origin must equal [console] origin or,
 * when that is unset, "https://" + Host. 1 when it does.
 */
int	session_origin_ok(const struct api_req *);
/* Body of POST and GET /v1/session. */
json_t	*session_body(long long id, const char *username, const char *display_name,
	    const char *role, const char *csrf, time_t expires_at, int idle_s);
/* Set-Cookie for token (max_age > 0) or a clearing one (token NULL). */
void	session_set_cookie(struct api_resp *, const char *token, int max_age);

#endif
