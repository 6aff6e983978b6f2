/*
 * term_card: jpki-terminal's card procedures: a blank card, what is on it,
 * PIN checks, and the R16a PIN procedures: reset at the counter (with an
 * application, R14), PIN change (card-local, reported), reset at a kiosk
 * (a fresh challenge signed with the OTHER key, ca/pinreset.h). The card
 * accepts a reset only with jpkid's one-time authorization; the terminal
 * reports completion only after the card accepted it.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/pinreset.h"
#include "ca/serial.h"
#include "common/clock.h"
#include "common/util.h"
#include "tools/term.h"

#define js	term_js

static const char *
key_label(enum vcard_key k)
{
	return k == VCARD_SIGN ? TR("署名用", "SIGN") : TR("利用者証明用", "AUTH");
}

int
term_open_card(struct term *t, struct vcard **c)
{
	char err[256];
	int rc;

	*c = NULL;
	if (t->card_path == NULL)
		return term_usage_error("--card FILE");
	if ((rc = vcard_open(t->card_path, c, err, sizeof(err))) != VCARD_OK) {
		fprintf(stderr, "%s: %s: %s\n", TR("カードを開けません", "cannot open the card"),
		    t->card_path, err);
		term_out_set("card_error", json_pack("{s:s, s:s}", "code", "open", "message", err));
		return TERM_EXIT_CARD;
	}
	return 0;
}

int
term_cert_serial(const unsigned char *der, size_t len, char *buf, size_t buflen)
{
	const unsigned char *p = der;
	const ASN1_INTEGER *sn;
	X509 *x;
	int ok = -1;

	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return -1;
	sn = X509_get0_serialNumber(x);
	/* The stored form (ca/serial.c): 00f1... for a magnitude f1..., not f1... */
	{
		unsigned char octets[SERIAL_MAX];
		size_t n;

		if (serial_of_integer(sn, octets, &n) == 0 &&
		    serial_hex(octets, n, buf, buflen) != NULL)
			ok = 0;
	}
	X509_free(x);
	return ok;
}

static int
parse_type(struct term *t, enum vcard_key *k)
{
	if (t->type == NULL || vcard_key_parse(t->type, k) != 0)
		return -1;
	return 0;
}

/* The PIN the holder proves with (current PIN of k). */
static int
current_pin(struct term *t, enum vcard_key k, char *pin, size_t len)
{
	char prompt[128];

	snprintf(prompt, sizeof(prompt), "%s%s", key_label(k),
	    TR("の暗証番号", " PIN"));
	return term_read_pin(t->pin_file, k == VCARD_SIGN ? "JPKI_SIGN_PIN" : "JPKI_AUTH_PIN",
	    prompt, 0, -1, pin, len);
}

/* A new PIN for k, R15-checked before anything is asked of the daemon. */
static int
new_pin(struct term *t, enum vcard_key k, char *pin, size_t len)
{
	char prompt[128], msg[160], norm[64];

	snprintf(prompt, sizeof(prompt), "%s%s", key_label(k), k == VCARD_SIGN ?
	    TR("の新しいパスワード (英大文字と数字 6〜16 文字)", " new PIN (6-16 of A-Z, 0-9)") :
	    TR("の新しい暗証番号 (数字 4 桁)", " new PIN (4 digits)"));
	if (term_read_pin(t->new_pin_file, "JPKI_NEW_PIN", prompt, 1, (int)k, pin, len) != 0)
		return TERM_EXIT_USAGE;
	if (vcard_pin_format(k, pin, norm, sizeof(norm), msg, sizeof(msg)) != VCARD_OK) {
		fprintf(stderr, "%s (R15): %s\n", TR("暗証番号の形式が違います",
		    "the PIN has the wrong format"), msg);
		term_out_set("card_error", json_pack("{s:s, s:s, s:s, s:s}", "code", "pin_format",
		    "key", vcard_key_name(k), "message", msg, "rule", "R15"));
		term_wipe(pin, len);
		return TERM_EXIT_CARD;
	}
	term_wipe(norm, sizeof(norm));
	return 0;
}

static int
write_anchors(const char *status, char *path, size_t pathlen)
{
	const char *names[] = { "sign", "auth" };
	struct term_resp r;
	char url[512];
	const unsigned char *p;
	X509 *x;
	FILE *f;
	int fd, i, ok = 0;

	snprintf(path, pathlen, "/tmp/jpki-anchors.XXXXXX");
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	for (i = 0; i < 2 && ok == 0; i++) {
		snprintf(url, sizeof(url), "%s/ca/%s.crt", status, names[i]);
		if (term_http_get_url(url, NULL, &r) != 0 || r.status != 200) {
			term_warn("%s: %s (%ld %s)", TR("CA 証明書を取得できません", "cannot fetch"), url,
			    r.status, r.err);
			ok = -1;
		} else {
			p = (const unsigned char *)r.raw;
			if ((x = d2i_X509(NULL, &p, (long)r.rawlen)) == NULL ||
			    PEM_write_X509(f, x) != 1)
				ok = -1;
			X509_free(x);
		}
		term_resp_free(&r);
	}
	fclose(f);
	if (ok != 0)
		unlink(path);
	return ok;
}

/* The resident's active My Number card in the register (GET /v1/residents). */
static int
register_card(struct term *t, char *number, size_t len)
{
	struct term_resp r;
	char path[128];
	json_t *v;
	size_t i;
	int rc = TERM_EXIT_REFUSED;

	snprintf(path, sizeof(path), "/v1/residents/%s", t->resident);
	if (term_http_call(&t->http, "GET", path, NULL, &r) != 0 || r.status != 200) {
		rc = term_fail_resp(&r);
		goto out;
	}
	json_array_foreach(json_object_get(r.body, "cards"), i, v) {
		if (strcmp(js(v, "kind"), "mynumber") == 0 && strcmp(js(v, "status"), "active") == 0) {
			snprintf(number, len, "%s", js(v, "card_number"));
			rc = 0;
		}
	}
	if (rc != 0)
		fprintf(stderr, "%s (R2)\n", TR("有効なマイナンバーカードがありません",
		    "no active My Number card in the register"));
out:
	term_resp_free(&r);
	return rc;
}

int
cmd_card_new(struct term *t)
{
	struct vcard *c = NULL;
	char err[256], tmp[64], number[32];
	const char *anchors = t->anchors;
	int rc;

	if (t->card_path == NULL || (t->number == NULL) == (t->resident == NULL) || t->nargs != 0)
		return term_usage_error("card new --card FILE (--number CARD_NUMBER | --resident CODE)"
		    " [--anchors PEM | --status URL]");
	if (t->number != NULL && term_check_card_number(t->number) != 0)
		return term_format_error("--number", t->number, TR("カード番号は 0-9 と A-Z の 1〜16 文字",
		    "a card number is 1 to 16 of 0-9 and A-Z"));
	if (t->resident != NULL && term_check_resident_code(t->resident) != 0)
		return term_format_error("--resident", t->resident, TR("住民コードは数字 11 桁",
		    "a resident code is 11 digits"));
	if (t->resident != NULL) {
		if ((rc = register_card(t, number, sizeof(number))) != 0)
			return rc;
		t->number = number;
	}
	if (anchors == NULL && t->status_url != NULL) {
		if (write_anchors(t->status_url, tmp, sizeof(tmp)) != 0)
			return TERM_EXIT_TRANSPORT;
		anchors = tmp;
	}
	rc = vcard_create(t->card_path, t->number, anchors, &c, err, sizeof(err));
	if (anchors == tmp)
		unlink(tmp);
	if (rc != VCARD_OK) {
		fprintf(stderr, "%s: %s\n", TR("カードを作れません", "cannot create the card"), err);
		term_out_set("card_error", json_pack("{s:s, s:s}", "code", rc == VCARD_E_EXISTS ?
		    "exists" : "create", "message", err));
		return TERM_EXIT_CARD;
	}
	term_say("%s %s: %s\n", TR("白紙のカードを作りました", "blank card created"), t->number,
	    t->card_path);
	term_out_card(json_pack("{s:s, s:s}", "action", "create", "card_number", t->number));
	vcard_close(c);
	return 0;
}

/*
 * What a key of the card is: "blank" (nothing issued onto it yet: a key,
 * its PIN and its certificate are installed together, so no PIN and no
 * tries to use up), "LOCKED" (R16: the tries are used up), "ready".
 */
static const char *
key_word(struct vcard *c, enum vcard_key k)
{
	size_t len;

	if (vcard_cert(c, k, &len) == NULL)
		return "blank";
	return vcard_tries_left(c, k) == 0 ? "LOCKED" : "ready";
}

static json_t *
key_state(struct vcard *c, enum vcard_key k)
{
	const unsigned char *der, *p;
	char serial[64], na[64] = "", cn[128] = "";
	size_t len;
	X509 *x;
	json_t *o;
	struct tm tm;

	o = json_pack("{s:i, s:i, s:s}", "tries_left", vcard_tries_left(c, k), "max_tries",
	    vcard_max_tries(k), "state", key_word(c, k));
	if ((der = vcard_cert(c, k, &len)) == NULL) {
		json_object_set_new(o, "certificate", json_false());
		return o;
	}
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
			strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm);
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
		X509_free(x);
	}
	term_cert_serial(der, len, serial, sizeof(serial));
	json_object_set_new(o, "certificate", json_true());
	json_object_set_new(o, "serial", json_string(serial));
	json_object_set_new(o, "not_after", json_string(na));
	json_object_set_new(o, "subject_cn", json_string(cn));
	return o;
}

static int
print_pem(struct vcard *c, enum vcard_key k)
{
	const unsigned char *der, *p;
	size_t len;
	X509 *x;
	int ok;

	if ((der = vcard_cert(c, k, &len)) == NULL) {
		fprintf(stderr, "%s%s\n", key_label(k), TR("の証明書はありません", ": no certificate"));
		return TERM_EXIT_CARD;
	}
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return TERM_EXIT_CARD;
	ok = PEM_write_X509(stdout, x);
	X509_free(x);
	return ok == 1 ? 0 : TERM_EXIT_CARD;
}

int
cmd_card_show(struct term *t)
{
	struct vcard *c;
	json_t *st, *ks;
	enum vcard_key k;
	char na[64];
	int rc;

	if (t->type != NULL && vcard_key_parse(t->type, &k) != 0)
		return term_usage_error("card show --card F [--type sign|auth]");
	if ((rc = term_open_card(t, &c)) != 0)
		return rc;
	if (t->type != NULL && !term_json) {
		/* The certificate alone, PEM on stdout: for openssl and relying parties. */
		rc = print_pem(c, k);
		vcard_close(c);
		return rc;
	}
	st = json_pack("{s:s, s:{}}", "card_number", vcard_card_number(c), "keys");
	term_say("%s %s (%s)\n", TR("カード", "card"), vcard_card_number(c), t->card_path);
	for (k = VCARD_SIGN; k <= VCARD_AUTH; k++) {
		ks = key_state(c, k);
		if (json_is_true(json_object_get(ks, "certificate")))
			term_say("  %s: %s %s, %s %s", key_label(k), TR("シリアル", "serial"),
			    js(ks, "serial"), TR("有効期限", "valid until"),
			    term_fmt_time(js(ks, "not_after"), term_ja, na, sizeof(na)));
		else
			term_say("  %s: %s", key_label(k), TR("証明書なし", "no certificate"));
		if (strcmp(js(ks, "state"), "blank") == 0)
			term_say(", %s\n", TR("未発行 (白紙のカード)", "blank: not yet issued"));
		else if (strcmp(js(ks, "state"), "LOCKED") == 0)
			term_say(", %s (R16)\n", term_word("LOCKED", term_ja));
		else
			term_say(", %s %d/%d\n", TR("残り試行回数", "tries left"),
			    vcard_tries_left(c, k), vcard_max_tries(k));
		json_object_set_new(json_object_get(st, "keys"), vcard_key_name(k), ks);
	}
	term_out_set("card_state", st);
	vcard_close(c);
	return 0;
}

int
cmd_card_verify(struct term *t)
{
	struct vcard *c;
	enum vcard_key k;
	char pin[64];
	int rc, vr;

	if (parse_type(t, &k) != 0)
		return term_usage_error("card verify --card F --type sign|auth");
	if ((rc = term_open_card(t, &c)) != 0)
		return rc;
	if (current_pin(t, k, pin, sizeof(pin)) != 0) {
		vcard_close(c);
		return TERM_EXIT_USAGE;
	}
	vr = vcard_verify_pin(c, k, pin);
	term_wipe(pin, sizeof(pin));
	if (vr != VCARD_OK)
		rc = term_fail_card(c, vr, k, "verify");
	else {
		term_say("%s%s\n", key_label(k), TR("の暗証番号は正しいです", " PIN is correct"));
		term_out_card(json_pack("{s:s, s:s, s:i}", "action", "verify", "key",
		    vcard_key_name(k), "tries_left", vcard_tries_left(c, k)));
	}
	vcard_close(c);
	return rc;
}

/* The card takes the authorization and the new PIN; 0 or the exit status. */
static int
card_accepts(struct vcard *c, enum vcard_key k, const char *authz, const char *pin)
{
	int vr;

	if ((vr = vcard_reset_pin(c, k, authz, pin, clock_now())) != VCARD_OK)
		return term_fail_card(c, vr, k, "reset");
	term_out_card(json_pack("{s:s, s:s, s:i}", "action", "reset", "key", vcard_key_name(k),
	    "tries_left", vcard_tries_left(c, k)));
	term_say("  %s%s\n", key_label(k), TR("の暗証番号を初期化しました (カード)",
	    " PIN reset on the card"));
	return 0;
}

int
cmd_card_reset_pin(struct term *t)
{
	struct vcard *c;
	enum vcard_key k;
	char pin[64], *authz;
	size_t len;
	int rc;

	if (parse_type(t, &k) != 0 || t->authorization_file == NULL)
		return term_usage_error("card reset-pin --card F --type sign|auth --authorization-file F");
	if ((authz = util_read_file(t->authorization_file, &len)) == NULL) {
		term_warn("%s: %s", TR("読めません", "cannot read"), t->authorization_file);
		return TERM_EXIT_USAGE;
	}
	util_rstrip(authz);
	if ((rc = term_open_card(t, &c)) == 0 && (rc = new_pin(t, k, pin, sizeof(pin))) == 0) {
		rc = card_accepts(c, k, authz, pin);
		term_wipe(pin, sizeof(pin));
	}
	vcard_close(c);
	free(authz);
	return rc;
}

/*
 * After POST /v1/pin-resets answered 201 (body r): the card takes the
 * authorization, then POST .../complete. A card refusal skips completion.
 */
static int
finish_reset(struct term *t, struct vcard *c, enum vcard_key k, json_t *authz, const char *pin)
{
	struct term_resp r;
	char path[160], b[64];
	int rc;

	memset(&r, 0, sizeof(r));
	term_say("%s %s (%s %s)\n", TR("初期化の許可を受けました", "reset authorized"), js(authz, "id"),
	    TR("期限", "until"), term_fmt_time(js(authz, "expires_at"), term_ja, b, sizeof(b)));
	if ((rc = card_accepts(c, k, js(authz, "authorization"), pin)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/v1/pin-resets/%s/complete", js(authz, "id"));
	if (term_http_call(&t->http, "POST", path, NULL, &r) != 0 || r.status != 200)
		rc = term_fail_resp(&r);
	else
		term_say("%s\n", TR("完了を報告しました (R16a)", "completion reported (R16a)"));
	term_resp_free(&r);
	return rc;
}

int
cmd_pin_reset(struct term *t)
{
	struct term_resp r;
	struct vcard *c;
	enum vcard_key k;
	char pin[64];
	json_t *body = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	if (t->nargs != 1 || parse_type(t, &k) != 0)
		return term_usage_error("pin-reset APPLICATION --card F --type sign|auth");
	if ((rc = term_open_card(t, &c)) != 0)
		return rc;
	if ((rc = new_pin(t, k, pin, sizeof(pin))) != 0)
		goto out;
	body = json_pack("{s:s, s:s, s:s}", "channel", "counter", "application_id", t->args[0],
	    "key_type", vcard_key_name(k));
	if (term_http_call(&t->http, "POST", "/v1/pin-resets", body, &r) != 0 || r.status != 201) {
		rc = term_fail_resp(&r);
		goto out;
	}
	rc = finish_reset(t, c, k, r.body, pin);
out:
	term_wipe(pin, sizeof(pin));
	json_decref(body);
	term_resp_free(&r);
	vcard_close(c);
	return rc;
}

int
cmd_pin_change(struct term *t)
{
	struct term_resp r;
	struct vcard *c;
	enum vcard_key k;
	char old[64], pin[64], path[128];
	json_t *body = NULL;
	int rc, vr;

	memset(&r, 0, sizeof(r));
	memset(old, 0, sizeof(old));
	memset(pin, 0, sizeof(pin));
	if (parse_type(t, &k) != 0 || t->nargs != 0)
		return term_usage_error("pin-change --card F --type sign|auth");
	if ((rc = term_open_card(t, &c)) != 0)
		return rc;
	if (current_pin(t, k, old, sizeof(old)) != 0) {
		rc = TERM_EXIT_USAGE;
		goto out;
	}
	if ((rc = new_pin(t, k, pin, sizeof(pin))) != 0)
		goto out;
	if ((vr = vcard_change_pin(c, k, old, pin)) != VCARD_OK) {
		rc = term_fail_card(c, vr, k, "change");
		goto out;
	}
	term_out_card(json_pack("{s:s, s:s}", "action", "change", "key", vcard_key_name(k)));
	term_say("%s%s\n", key_label(k), TR("の暗証番号を変更しました (カード)", " PIN changed on the card"));
	/* R16a: a change is card-local and only reported. */
	body = json_pack("{s:s}", "key_type", vcard_key_name(k));
	snprintf(path, sizeof(path), "/v1/cards/%s/pin-changes", vcard_card_number(c));
	if (term_http_call(&t->http, "POST", path, body, &r) != 0 || r.status != 204)
		rc = term_fail_resp(&r);
	else
		term_say("%s\n", TR("変更を報告しました (R16a)", "change reported (R16a)"));
out:
	term_wipe(old, sizeof(old));
	term_wipe(pin, sizeof(pin));
	json_decref(body);
	term_resp_free(&r);
	vcard_close(c);
	return rc;
}

int
cmd_kiosk_pin_reset(struct term *t)
{
	struct term_resp r;
	struct vcard *c;
	enum vcard_key k, other;
	char pin[64], proof_pin[64], path[256], msg[256], *sig64 = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	json_t *body = NULL;
	int rc, vr, n;

	memset(&r, 0, sizeof(r));
	memset(proof_pin, 0, sizeof(proof_pin));
	memset(pin, 0, sizeof(pin));
	if (parse_type(t, &k) != 0 || t->nargs != 0)
		return term_usage_error("kiosk pin-reset --card F --type sign|auth");
	other = k == VCARD_SIGN ? VCARD_AUTH : VCARD_SIGN;
	if ((rc = term_open_card(t, &c)) != 0)
		return rc;
	/* R16a: SIGN reset proven with the AUTH key, AUTH reset with the SIGN key. */
	term_say("%s%s\n", key_label(other), TR("の暗証番号で本人確認します (R16a)",
	    " PIN proves the holder (R16a)"));
	if (current_pin(t, other, proof_pin, sizeof(proof_pin)) != 0) {
		rc = TERM_EXIT_USAGE;
		goto out;
	}
	if ((rc = new_pin(t, k, pin, sizeof(pin))) != 0)
		goto out;
	snprintf(path, sizeof(path), "/v1/pin-resets/challenge?card_number=%s&key_type=%s",
	    vcard_card_number(c), vcard_key_name(k));
	if (term_http_call(&t->http, "GET", path, NULL, &r) != 0 || r.status != 200) {
		rc = term_fail_resp(&r);
		goto out;
	}
	n = pinreset_challenge_message(vcard_card_number(c), vcard_key_name(k),
	    js(r.body, "challenge"), msg, sizeof(msg));
	if (n < 0) {
		term_warn("%s", TR("チャレンジが不正です", "malformed challenge"));
		rc = TERM_EXIT_TRANSPORT;
		goto out;
	}
	vr = vcard_sign(c, other, proof_pin, (const unsigned char *)msg, (size_t)n, &sig, &siglen);
	term_wipe(proof_pin, sizeof(proof_pin));
	if (vr != VCARD_OK) {
		rc = term_fail_card(c, vr, other, "proof");
		goto out;
	}
	term_out_card(json_pack("{s:s, s:s}", "action", "sign_challenge", "key", vcard_key_name(other)));
	if ((sig64 = malloc(4 * ((siglen + 2) / 3) + 1)) == NULL) {
		rc = TERM_EXIT_TRANSPORT;
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)sig64, sig, (int)siglen);
	body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "channel", "kiosk", "card_number",
	    vcard_card_number(c), "key_type", vcard_key_name(k), "challenge", js(r.body, "challenge"),
	    "signature", sig64);
	term_resp_free(&r);
	if (term_http_call(&t->http, "POST", "/v1/pin-resets", body, &r) != 0 || r.status != 201) {
		rc = term_fail_resp(&r);
		goto out;
	}
	rc = finish_reset(t, c, k, r.body, pin);
out:
	term_wipe(pin, sizeof(pin));
	term_wipe(proof_pin, sizeof(proof_pin));
	free(sig);
	free(sig64);
	json_decref(body);
	term_resp_free(&r);
	vcard_close(c);
	return rc;
}
