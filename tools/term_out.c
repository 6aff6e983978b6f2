/*
 * term_out: what jpki-terminal shows. Text in Japanese or English for the
 * clerk, or with --json one JSON document per command on stdout:
 *
 *   {"command":..., "ok":bool, "exit":N,
 *    "steps":[{"method","path","status","body"}...],   every daemon call
 *    "card":[{"action":...}...],                       what the card did
 *    "problem":{...}, "card_error":{...}, ...}        when refused
 *
 * PINs are read here and never printed; neither is any private key (the
 * card has no way to give one out).
 */
#include <config.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "tools/term.h"

int	term_ja;
int	term_json;

static json_t	*doc;

void
term_out_begin(const char *command)
{
	json_decref(doc);
	doc = json_pack("{s:s, s:[], s:[]}", "command", command, "steps", "card");
}

void
term_say(const char *fmt, ...)
{
	va_list ap;

	if (term_json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void
term_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "jpki-terminal: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
term_out_step(const char *method, const char *path, long status, json_t *body)
{
	if (doc == NULL)
		return;
	json_array_append_new(json_object_get(doc, "steps"), json_pack("{s:s, s:s, s:i, s:O?}",
	    "method", method, "path", path, "status", (json_int_t)status, "body", body));
}

void
term_out_card(json_t *event)
{
	if (doc == NULL || event == NULL) {
		json_decref(event);
		return;
	}
	json_array_append_new(json_object_get(doc, "card"), event);
}

void
term_out_set(const char *key, json_t *value)
{
	if (doc == NULL) {
		json_decref(value);
		return;
	}
	json_object_set_new(doc, key, value);
}

int
term_out_end(int exit)
{
	if (doc != NULL && term_json) {
		json_object_set_new(doc, "ok", json_boolean(exit == 0));
		json_object_set_new(doc, "exit", json_integer(exit));
		json_dumpf(doc, stdout, JSON_INDENT(1));
		putchar('\n');
	}
	json_decref(doc);
	doc = NULL;
	fflush(stdout);
	return exit;
}

#define jstr	term_js

int
term_fail_resp(const struct term_resp *r)
{
	const char *k;
	json_t *v, *fields;
	int exit;

	if (r->status == 0) {
		fprintf(stderr, "%s: %s\n", TR("通信エラー", "transport error"), r->err);
		term_out_set("transport_error", json_string(r->err));
		return TERM_EXIT_TRANSPORT;
	}
	exit = r->status >= 500 || r->status < 400 ? TERM_EXIT_TRANSPORT : TERM_EXIT_REFUSED;
	if (r->body != NULL)
		term_out_set("problem", json_incref(r->body));
	else
		term_out_set("problem", json_pack("{s:i}", "status", (json_int_t)r->status));
	if (r->retry_after[0] != '\0')
		term_out_set("retry_after", json_string(r->retry_after));
	if (r->status == 503)
		fprintf(stderr, "%s (HTTP 503)%s%s%s\n", TR("サービス停止中です", "service unavailable"),
		    r->retry_after[0] ? TR("。再試行まで ", "; retry after ") : "", r->retry_after,
		    r->retry_after[0] ? TR(" 秒", " s") : "");
	else if (exit == TERM_EXIT_REFUSED)
		fprintf(stderr, "%s (HTTP %ld)\n", TR("拒否されました", "refused"), r->status);
	else
		fprintf(stderr, "%s (HTTP %ld)\n", TR("サーバーエラー", "server error"), r->status);
	if (r->body == NULL) {
		if (r->raw != NULL && r->rawlen > 0)
			fprintf(stderr, "  %.300s\n", r->raw);
		return exit;
	}
	if (*jstr(r->body, "rule"))
		fprintf(stderr, "  %s: %s\n", TR("規則", "rule"), jstr(r->body, "rule"));
	fprintf(stderr, "  %s: %s\n", TR("理由", "title"), jstr(r->body, "title"));
	if (*jstr(r->body, "detail"))
		fprintf(stderr, "  %s: %s\n", TR("詳細", "detail"), jstr(r->body, "detail"));
	if (*jstr(r->body, "type"))
		fprintf(stderr, "  %s: %s\n", TR("種別", "type"), jstr(r->body, "type"));
	fields = json_object_get(r->body, "fields");
	json_object_foreach(fields, k, v)
		fprintf(stderr, "  %s %s: %s\n", TR("項目", "field"), k, json_string_value(v) ?
		    json_string_value(v) : "");
	return exit;
}

int
term_format_error(const char *field, const char *value, const char *expected)
{
	term_out_set("format_error", json_pack("{s:s, s:s}", "field", field, "expected", expected));
	term_warn("%s: %s (%s '%s')", field, expected, TR("入力値", "got"), value);
	return TERM_EXIT_USAGE;
}

static const char *
card_code(int rc)
{
	switch (rc) {
	case VCARD_E_IO:		return "io";
	case VCARD_E_FORMAT:		return "format";
	case VCARD_E_PIN_FORMAT:	return "pin_format";
	case VCARD_E_PIN_WRONG:		return "pin_wrong";
	case VCARD_E_LOCKED:		return "locked";
	case VCARD_E_NO_KEY:		return "no_key";
	case VCARD_E_NO_PENDING:	return "no_pending";
	case VCARD_E_CERT_MISMATCH:	return "cert_mismatch";
	case VCARD_E_AUTHZ_INVALID:	return "authorization_invalid";
	case VCARD_E_AUTHZ_EXPIRED:	return "authorization_expired";
	case VCARD_E_AUTHZ_OTHER:	return "authorization_other";
	case VCARD_E_AUTHZ_USED:	return "authorization_used";
	case VCARD_E_CRYPTO:		return "crypto";
	case VCARD_E_EXISTS:		return "exists";
	default:			return "error";
	}
}

int
term_fail_card(struct vcard *c, int rc, enum vcard_key k, const char *what)
{
	const char *msg = c != NULL ? vcard_last_error(c) : "";
	const char *rule = rc == VCARD_E_PIN_FORMAT ? "R15" :
	    rc == VCARD_E_PIN_WRONG || rc == VCARD_E_LOCKED ? "R16" :
	    rc <= VCARD_E_AUTHZ_INVALID && rc >= VCARD_E_AUTHZ_USED ? "R16a" : NULL;
	json_t *e;
	int tries = c != NULL ? vcard_tries_left(c, k) : -1;

	fprintf(stderr, "%s (%s%s%s): %s\n", TR("カードが拒否しました", "the card refused"), what,
	    rule ? ", " : "", rule ? rule : "", msg);
	if (rc == VCARD_E_PIN_WRONG)
		fprintf(stderr, "  %s: %d\n", TR("残り試行回数", "tries left"), tries);
	else if (rc == VCARD_E_LOCKED)
		fprintf(stderr, "  %s\n", TR("この鍵はロックされています。暗証番号の初期化が必要です (R16)",
		    "this key is locked: a PIN reset is needed (R16)"));
	e = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "code", card_code(rc), "key",
	    vcard_key_name(k), "message", msg, "during", what, "rule", rule);
	if (c != NULL && (rc == VCARD_E_PIN_WRONG || rc == VCARD_E_LOCKED))
		json_object_set_new(e, "tries_left", json_integer(tries));
	term_out_set("card_error", e);
	return TERM_EXIT_CARD;
}

void
term_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

static int
prompt_tty(const char *prompt, char *pin, size_t pinlen)
{
	struct termios old, quiet;
	FILE *tty;
	int ok = -1;

	if ((tty = fopen("/dev/tty", "r+")) == NULL)
		return -1;
	if (tcgetattr(fileno(tty), &old) != 0)
		goto out;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	fprintf(tty, "%s: ", prompt);
	fflush(tty);
	if (tcsetattr(fileno(tty), TCSAFLUSH, &quiet) != 0)
		goto out;
	if (fgets(pin, (int)pinlen, tty) != NULL) {
		pin[strcspn(pin, "\r\n")] = '\0';
		ok = 0;
	}
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
out:
	fclose(tty);
	return ok;
}

int
term_read_pin(const char *file, const char *env, const char *prompt, int confirm,
    int format, char *pin, size_t pinlen)
{
	char again[64], norm[64], msg[160];
	const char *e;
	char *s;
	size_t len;
	int tries;

	if (file != NULL) {
		if ((s = util_read_file(file, &len)) == NULL) {
			term_warn("%s: %s", TR("暗証番号ファイルを読めません", "cannot read the PIN file"), file);
			return -1;
		}
		util_rstrip(s);
		snprintf(pin, pinlen, "%s", s);
		term_wipe(s, len);
		free(s);
		return 0;
	}
	if (env != NULL && (e = getenv(env)) != NULL && *e != '\0') {
		snprintf(pin, pinlen, "%s", e);
		return 0;
	}
	for (tries = 1; ; tries++) {
		if (prompt_tty(prompt, pin, pinlen) != 0) {
			term_warn("%s (%s%s%s)", TR("暗証番号を入力できません: 端末がありません",
			    "no PIN: no terminal to ask on"), TR("ファイルまたは環境変数 ", "a file or "),
			    env != NULL ? env : "", TR("", " in the environment"));
			return -1;
		}
		/* R15 before the confirmation: a typo costs one entry, not the whole procedure. */
		if (format < 0 || vcard_pin_format((enum vcard_key)format, pin, norm, sizeof(norm),
		    msg, sizeof(msg)) == VCARD_OK)
			break;
		term_wipe(norm, sizeof(norm));
		if (tries == 3)
			return 0;	/* the caller's own R15 check refuses it (exit 3) */
		term_warn("%s (R15): %s; %s", TR("暗証番号の形式が違います", "the PIN has the wrong format"),
		    msg, TR("もう一度入力してください", "enter it again"));
	}
	term_wipe(norm, sizeof(norm));
	if (confirm) {
		if (prompt_tty(TR("確認のためもう一度", "again, to confirm"), again, sizeof(again)) != 0 ||
		    strcmp(again, pin) != 0) {
			term_wipe(again, sizeof(again));
			term_wipe(pin, pinlen);
			term_warn("%s", TR("暗証番号が一致しません", "the PINs do not match"));
			return -1;
		}
		term_wipe(again, sizeof(again));
	}
	return 0;
}
