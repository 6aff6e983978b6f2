/*
 * jpki-terminal: the reference counter terminal (窓口端末) and kiosk client.
 * Internal header shared by tools/jpki_terminal.c (options, dispatch),
 * tools/term_http.c (libcurl over mTLS), tools/term_out.c (Japanese/English
 * text, --json, PIN entry), tools/term_fmt.c (JST dates with the era, status
 * words, format checks), tools/term_plan.c (a type's plan) and the commands
 * in tools/term_counter.c, tools/term_card.c and tools/term_info.c. Command
 * reference: docs/terminal.md.
 *
 * Exit status of every command (TERM_EXIT_*): 0 done; 1 refused by the
 * daemon (a 4xx problem: rule, title, detail, fields are printed); 2 usage;
 * 3 refused by the card (R15 PIN format, R16 wrong PIN or locked, a PIN
 * reset authorization the card does not accept) or the card file is
 * unusable; 4 transport or server error (no answer, 5xx, 503 during a
 * suspension with its Retry-After).
 */
#ifndef JPKI_TERM_H
#define JPKI_TERM_H

#include <stddef.h>

#include <jansson.h>

#include "ca/jpdate.h"
#include "tools/vcard.h"

enum {
	TERM_EXIT_OK = 0,
	TERM_EXIT_REFUSED = 1,
	TERM_EXIT_USAGE = 2,
	TERM_EXIT_CARD = 3,
	TERM_EXIT_TRANSPORT = 4
};

#define TERM_MAX_DOCS	8

/* ---- term_http.c ---- */
struct term_http {
	const char	*api;		/* https://host:port, no trailing slash needed */
	const char	*cert, *key, *cacert;
	void		*curl;		/* CURL * */
};

struct term_resp {
	long		 status;	/* 0: no HTTP answer (transport error) */
	json_t		*body;		/* parsed JSON body or NULL */
	char		*raw;		/* the body as received (NUL-terminated) */
	size_t		 rawlen;
	char		 ctype[128];
	char		 retry_after[32];
	char		 err[256];	/* transport error text */
};

int	term_http_init(struct term_http *);
void	term_http_close(struct term_http *);
/*
 * One call: METHOD api+path with body (JSON, may be NULL). A mutating call
 * (POST/PUT/PATCH/DELETE) carries a fresh random Idempotency-Key that is
 * reused for one automatic retry after a transport error. Returns 0 when
 * an HTTP answer arrived (any status), -1 otherwise (r->err). Every call
 * is recorded for --json (term_out_step).
 */
int	term_http_call(struct term_http *, const char *method, const char *path, json_t *body,
	    struct term_resp *r);
/* A plain GET of an absolute URL (status listener: /ca/sign.crt, /ca/auth.crt); no client certificate. */
int	term_http_get_url(const char *url, const char *cacert, struct term_resp *r);
void	term_resp_free(struct term_resp *);

/* ---- term_out.c ---- */
extern int	term_ja;	/* 1: Japanese text, 0: English */
extern int	term_json;	/* 1: --json machine output */

#define TR(ja, en)	(term_ja ? (ja) : (en))

void	term_out_begin(const char *command);
/* Text output (suppressed with --json): printf-like. */
void	term_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Errors and warnings go to stderr in both modes. */
void	term_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record one daemon call for --json: method, path, status, body (borrowed). */
void	term_out_step(const char *method, const char *path, long status, json_t *body);
/* Record what the card did for --json ({"action":..., ...}; stolen). */
void	term_out_card(json_t *event);
/* Set a top-level member of the --json document (stolen). */
void	term_out_set(const char *key, json_t *value);
/* Print the --json document (when --json) and return exit. */
int	term_out_end(int exit);

/* A refused or failed call: print rule, title, detail, fields; returns the exit status. */
int	term_fail_resp(const struct term_resp *);
/* A card refusal: print the card's message (and tries left); returns TERM_EXIT_CARD. */
int	term_fail_card(struct vcard *, int rc, enum vcard_key, const char *what);

/*
 * PINs, never echoed, never printed. The source in order: file (if not
 * NULL), the environment variable env (if not NULL), then a prompt on
 * /dev/tty without echo (twice when confirm). With format >= 0 (an enum
 * vcard_key) a PIN typed at the prompt is R15-checked before the
 * confirmation and asked again (3 tries; after the third the bad PIN is
 * returned for the caller's own check). 0 and pin, or -1 (message printed).
 */
int	term_read_pin(const char *file, const char *env, const char *prompt, int confirm,
	    int format, char *pin, size_t pinlen);
/*
 * A value typed by the clerk with the wrong format, found before any
 * request: prints "FIELD: EXPECTED (got VALUE)", sets format_error {field,
 * expected} for --json; returns TERM_EXIT_USAGE.
 */
int	term_format_error(const char *field, const char *value, const char *expected);
void	term_wipe(void *, size_t);

/* ---- term_fmt.c: pure helpers (the language is a parameter) ---- */
/* A date in Japanese with its era: "令和8年12月3日", "昭和55年5月14日", "令和元年5月1日". */
char	*term_fmt_era(struct jpdate, char *buf, size_t len);
/* "YYYY-MM-DD": as given (en) or with the era (ja); anything else as given. */
const char *term_fmt_date(const char *ymd, int ja, char *buf, size_t len);
/*
 * An instant of the daemon ("2026-11-21T01:01:00Z") in JST (fixed UTC+9):
 * "2026-11-21 10:01 JST" (en), "令和8年11月21日 10:01" (ja); seconds only
 * when not zero ("23:59:59"). Anything else as given.
 */
const char *term_fmt_time(const char *utc, int ja, char *buf, size_t len);
/* A status word of the daemon or the card (valid, revoked, LOCKED, ...) in Japanese when ja. */
const char *term_word(const char *word, int ja);
/* The string member k of o, or "" (absent, null, not a string). */
const char *term_js(json_t *o, const char *k);
/* 0 for 11 digits (a resident code), -1 otherwise. */
int	term_check_resident_code(const char *);
/* 0 for 1 to 16 of 0-9 and A-Z (12 digits: a My Number card; Juki), -1 otherwise. */
int	term_check_card_number(const char *);

/* ---- term_plan.c ---- */
const char *term_type_name(const char *type);	/* "SIGN certificate" / 署名用電子証明書 */
/* One type's plan line, then its notes (below). */
void	term_print_plan(const char *type, json_t *plan);
/* warnings ("warning: DETAIL (RULE)") and together_with_auth, when present. */
void	term_print_notes(json_t *plan);

/* ---- jpki_terminal.c: options shared by the commands ---- */
struct term {
	struct term_http http;
	const char	*status_url;	/* status listener (card new: CA certificates) */
	const char	*card_path;
	const char	*anchors;
	/* command options */
	const char	*number, *procedure, *types, *applicant, *name, *relationship;
	const char	*authority, *card_number, *type, *reason, *comment, *occurred_at;
	const char	*pin_file, *new_pin_file, *sign_pin_file, *auth_pin_file;
	const char	*authorization_file;
	const char	*resident;	/* card new: take the number from the register */
	const char	*docs[TERM_MAX_DOCS];
	int		 ndocs;
	int		 delegation;	/* --delegation-covers-revocation */
	const char	*batch;		/* notices --batch */
	int		 csv;		/* notices --csv */
	char		**args;		/* positionals after the command word(s) */
	int		 nargs;
};

int	term_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- term_counter.c ---- */
int	cmd_lookup(struct term *);
int	cmd_apply(struct term *);
int	cmd_answer(struct term *);
int	cmd_issue(struct term *);
int	cmd_renew(struct term *);
int	cmd_revoke(struct term *);
int	cmd_card_event(struct term *);
/* Build the evidence object from --doc/--authority; default holder by applicant kind. */
json_t	*term_evidence(struct term *, const char *applicant_kind);
/* Issue the application's types onto the open card (AUTH first). */
int	term_issue_onto(struct term *, struct vcard *, const char *app_id, const char *types);

/* ---- term_card.c ---- */
int	cmd_card_new(struct term *);
int	cmd_card_show(struct term *);
int	cmd_card_verify(struct term *);
int	cmd_card_reset_pin(struct term *);
int	cmd_pin_reset(struct term *);
int	cmd_pin_change(struct term *);
int	cmd_kiosk_pin_reset(struct term *);
/* Open --card (or usage error); on failure prints and returns non-zero exit. */
int	term_open_card(struct term *, struct vcard **);
/* The serial (lowercase hex) of a DER certificate into buf; 0 or -1. */
int	term_cert_serial(const unsigned char *der, size_t len, char *buf, size_t buflen);

/* ---- term_info.c ---- */
int	cmd_suspensions(struct term *);
int	cmd_notices(struct term *);

#endif
