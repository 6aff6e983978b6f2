/*
 * log: one structured line per event, to the journal when stderr is the
 * journal (JOURNAL_STREAM), else "level=... msg=... key=value" on stderr.
 * Contract: never pass a secret (private key, PIN, answer code, token,
 * connection string with a password) to any of these functions.
 */
#ifndef JPKI_LOG_H
#define JPKI_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void	log_set_level(enum log_level);
void	log_set_ident(const char *);
int	log_parse_level(const char *, enum log_level *);
/* fmt is a free-text message; use log_kv for structured request lines. */
void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Pairs of (key, value) strings, terminated by NULL; values are quoted as needed. */
void	log_kv(enum log_level, const char *msg, ...) __attribute__((sentinel));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
