/*
 * term_counter: the counter procedures of jpki-terminal that talk to the
 * register side of jpkid: lookup, apply, answer (visit 2), issue, renew,
 * revoke and card events (R1-R14, R18). The card side (keys, PINs) is
 * tools/vcard.c; PIN procedures are in tools/term_card.c.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/util.h"
#include "tools/term.h"

#define js	term_js

#define type_name	term_type_name
#define W(s)		term_word((s), term_ja)

/* The formats of openapi.yaml for what the clerk typed, checked before any request (exit 2). */
static int
check_resident(const char *field, const char *code)
{
	if (term_check_resident_code(code) == 0)
		return 0;
	return term_format_error(field, code, TR("住民コードは数字 11 桁", "a resident code is 11 digits"));
}

static int
check_card(const char *field, const char *number)
{
	if (number == NULL || term_check_card_number(number) == 0)
		return 0;
	return term_format_error(field, number, TR("カード番号は 0-9 と A-Z の 1〜16 文字",
	    "a card number is 1 to 16 of 0-9 and A-Z"));
}

/* "sign,auth" -> ["auth","sign"] (AUTH first, R7); NULL on a bad list. */
static json_t *
parse_types(const char *s)
{
	int sign = 0, auth = 0;
	const char *p = s;
	size_t n;
	json_t *a;

	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n == 4 && strncmp(p, "sign", 4) == 0)
			sign = 1;
		else if (n == 4 && strncmp(p, "auth", 4) == 0)
			auth = 1;
		else
			return NULL;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!sign && !auth)
		return NULL;
	a = json_array();
	if (auth)
		json_array_append_new(a, json_string("auth"));
	if (sign)
		json_array_append_new(a, json_string("sign"));
	return a;
}

json_t *
term_evidence(struct term *t, const char *kind)
{
	json_t *ev, *docs, *d;
	char buf[128], *tok, *save;
	const char *holder;
	int i;

	docs = json_array();
	for (i = 0; i < t->ndocs; i++) {
		snprintf(buf, sizeof(buf), "%s", t->docs[i]);
		tok = strtok_r(buf, ":", &save);
		if (tok == NULL) {
			json_decref(docs);
			return NULL;
		}
		d = json_pack("{s:s}", "kind", tok);
		holder = NULL;
		while ((tok = strtok_r(NULL, ":", &save)) != NULL) {
			if (strcmp(tok, "resident") == 0 || strcmp(tok, "applicant") == 0)
				holder = strcmp(tok, "resident") == 0 ? "resident" : "applicant";
			else if (strcmp(tok, "expired") == 0 || strcmp(tok, "copy") == 0)
				json_object_set_new(d, tok, json_true());
			else {
				json_decref(d);
				json_decref(docs);
				return NULL;
			}
		}
		if (holder == NULL)
			holder = strcmp(kind, "self") == 0 ? "resident" : "applicant";
		json_object_set_new(d, "holder", json_string(holder));
		json_array_append_new(docs, d);
	}
	/* Self with nothing declared: the card itself (R14, list A). */
	if (t->ndocs == 0 && strcmp(kind, "self") == 0)
		json_array_append_new(docs, json_pack("{s:s, s:s}", "kind", "mynumber_card",
		    "holder", "resident"));
	ev = json_pack("{s:o}", "documents", docs);
	if (t->authority != NULL)
		json_object_set_new(ev, "authority", json_string(t->authority));
	return ev;
}

int
cmd_lookup(struct term *t)
{
	struct term_resp r;
	char path[128];
	json_t *res, *v, *e, *ref;
	size_t i;
	const char *ty[] = { "sign", "auth" };
	char b1[64], b2[64];
	int rc = TERM_EXIT_OK;

	if (t->nargs != 1)
		return term_usage_error("lookup RESIDENT");
	if ((rc = check_resident("RESIDENT", t->args[0])) != 0)
		return rc;
	snprintf(path, sizeof(path), "/v1/residents/%s", t->args[0]);
	if (term_http_call(&t->http, "GET", path, NULL, &r) != 0 || r.status != 200) {
		rc = term_fail_resp(&r);
		goto out;
	}
	res = json_object_get(r.body, "resident");
	term_say("%s %s  %s%s%s (%s %lld%s, %s %s)\n", TR("住民", "resident"), js(res, "resident_code"),
	    js(res, "family_name"), *js(res, "given_name") ? " " : "", js(res, "given_name"),
	    TR("年齢", "age"), (long long)json_integer_value(json_object_get(res, "age")),
	    TR("歳", ""), TR("生年月日", "born"), term_fmt_date(js(res, "birth_date"), term_ja, b1,
	    sizeof(b1)));
	term_say("  %s: %s\n", TR("住所", "address"), js(res, "address"));
	if (json_is_true(json_object_get(res, "adult_ward")))
		term_say("  %s\n", TR("成年被後見人", "adult ward"));
	if (strcmp(js(res, "status"), "registered") != 0)
		term_say("  %s: %s\n", TR("住民登録", "register status"), W(js(res, "status")));
	json_array_foreach(json_object_get(r.body, "cards"), i, v)
		term_say("  %s %s: %s, %s %s\n", TR("カード", "card"), js(v, "card_number"),
		    W(js(v, "status")), TR("有効期限", "expires"),
		    term_fmt_date(js(v, "expires_on"), term_ja, b1, sizeof(b1)));
	json_array_foreach(json_object_get(r.body, "certificates"), i, v)
		term_say("  %s %s (%s): %s, %s %s%s%s\n", TR("証明書", "certificate"), js(v, "serial"),
		    js(v, "type"), W(js(v, "status")), TR("有効期限", "until"),
		    term_fmt_time(js(v, "not_after"), term_ja, b2, sizeof(b2)),
		    json_is_string(json_object_get(v, "reason")) ? ", " : "", W(js(v, "reason")));
	for (i = 0; i < 2; i++) {
		e = json_object_get(json_object_get(r.body, "eligibility"), ty[i]);
		if (json_is_true(json_object_get(e, "eligible"))) {
			char kinds[96] = "";
			json_t *k;
			size_t j;

			term_print_plan(ty[i], e);
			json_array_foreach(json_object_get(e, "applicant_kinds"), j, k)
				snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s",
				    j ? ", " : "", W(json_string_value(k)));
			term_say("    %s: %s%s%s\n", TR("申請できる人", "who may apply"), kinds,
			    json_is_string(json_object_get(e, "renewal_window_opens")) ?
			    TR("; 更新受付開始 ", "; renewal window opens ") : "",
			    term_fmt_date(js(e, "renewal_window_opens"), term_ja, b1, sizeof(b1)));
		} else {
			ref = json_object_get(e, "refusal");
			term_say("  %s: %s (%s): %s\n", type_name(ty[i]), TR("発行できません", "refused"),
			    js(ref, "rule"), js(ref, "detail"));
			term_print_notes(e);
		}
	}
	term_out_set("resident", json_incref(r.body));
out:
	term_resp_free(&r);
	return rc;
}

/* POST /v1/applications from the options; the 201 body in *app (caller frees). */
static int
file_application(struct term *t, const char *resident, const char *procedure, const char *types,
    const char *card_number, json_t **app)
{
	struct term_resp r;
	const char *kind = t->applicant != NULL ? t->applicant : "self";
	json_t *body, *ty, *ev, *applicant, *p, *inq;
	const char *k;
	char b[64];
	int rc = TERM_EXIT_OK;

	*app = NULL;
	if ((rc = check_resident("RESIDENT", resident)) != 0 ||
	    (rc = check_card("--card-number", card_number)) != 0)
		return rc;
	if ((ty = parse_types(types)) == NULL)
		return term_usage_error("--types sign,auth | sign | auth");
	if ((ev = term_evidence(t, kind)) == NULL) {
		json_decref(ty);
		return term_usage_error("--doc KIND[:resident|applicant][:expired][:copy]");
	}
	applicant = json_pack("{s:s}", "kind", kind);
	if (t->name != NULL)
		json_object_set_new(applicant, "name", json_string(t->name));
	if (t->relationship != NULL)
		json_object_set_new(applicant, "relationship", json_string(t->relationship));
	body = json_pack("{s:s, s:s, s:o, s:o, s:o}", "resident_code", resident, "procedure",
	    procedure, "types", ty, "applicant", applicant, "evidence", ev);
	if (card_number != NULL)
		json_object_set_new(body, "card_number", json_string(card_number));
	if (t->delegation)
		json_object_set_new(body, "delegation_covers_revocation", json_true());
	if (term_http_call(&t->http, "POST", "/v1/applications", body, &r) != 0 || r.status != 201) {
		rc = term_fail_resp(&r);
		goto out;
	}
	term_say("%s %s (%s: %s, %s: %s)\n", TR("申請を受け付けました", "application filed"),
	    js(r.body, "id"), TR("状態", "state"), W(js(r.body, "state")), TR("手続", "procedure"),
	    W(js(r.body, "procedure")));
	json_object_foreach(json_object_get(r.body, "plan"), k, p)
		term_print_plan(k, p);
	term_say("  %s: %lld %s\n", TR("手数料合計", "total fee"),
	    (long long)json_integer_value(json_object_get(r.body, "fee_yen")), TR("円", "yen"));
	if ((inq = json_object_get(r.body, "inquiry")) != NULL) {
		term_say("\n%s\n", TR("照会書兼回答書 (住民登録地に郵送; R13)",
		    "inquiry form (mailed to the registered address; R13)"));
		term_say("  %s: %s\n  %s: %s\n  %s: %s\n", TR("宛名", "addressee"), js(inq, "addressee"),
		    TR("住所", "address"), js(inq, "address"), TR("回答期限", "expires"),
		    term_fmt_time(js(inq, "expires_at"), term_ja, b, sizeof(b)));
		/* The purpose of the form: printed here and nowhere else. */
		if (*js(inq, "answer_code"))
			term_say("  %s: %s\n", TR("回答コード", "answer code"), js(inq, "answer_code"));
		term_say("%s\n", TR("2回目の来庁 (翌日以降): jpki-terminal answer APPLICATION CODE --doc ...",
		    "second visit (a later day): jpki-terminal answer APPLICATION CODE --doc ..."));
	}
	*app = json_incref(r.body);
	term_out_set("application", json_incref(r.body));
out:
	json_decref(body);
	term_resp_free(&r);
	return rc;
}

int
cmd_apply(struct term *t)
{
	json_t *app;
	int rc;

	if (t->nargs != 1)
		return term_usage_error("apply RESIDENT --procedure issue|renew|pin_reset --types ...");
	rc = file_application(t, t->args[0], t->procedure != NULL ? t->procedure : "issue",
	    t->types != NULL ? t->types : "sign,auth", t->card_number, &app);
	json_decref(app);
	return rc;
}

int
cmd_answer(struct term *t)
{
	struct term_resp r;
	char path[128];
	json_t *body, *ev;
	int rc = TERM_EXIT_OK;

	if (t->nargs != 2)
		return term_usage_error("answer APPLICATION CODE --doc KIND ...");
	if (t->ndocs == 0 || (ev = term_evidence(t, "voluntary_proxy")) == NULL)
		return term_usage_error("answer: --doc KIND[:applicant] (the proxy's ID, R14)");
	body = json_pack("{s:s, s:o}", "answer_code", t->args[1], "evidence", ev);
	snprintf(path, sizeof(path), "/v1/applications/%s/inquiry-answer", t->args[0]);
	if (term_http_call(&t->http, "POST", path, body, &r) != 0 || r.status != 200) {
		rc = term_fail_resp(&r);
		goto out;
	}
	term_say("%s %s: %s\n", TR("照会書の回答を確認しました。申請", "inquiry answered; application"),
	    js(r.body, "id"), W(js(r.body, "state")));
out:
	json_decref(body);
	term_resp_free(&r);
	return rc;
}

static int
pem_to_der(const char *pem, unsigned char **der, size_t *len)
{
	BIO *b;
	X509 *x;
	unsigned char *p = NULL;
	int n;

	*der = NULL;
	if ((b = BIO_new_mem_buf(pem, -1)) == NULL)
		return -1;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (x == NULL)
		return -1;
	n = i2d_X509(x, &p);
	X509_free(x);
	if (n <= 0)
		return -1;
	*der = p;
	*len = (size_t)n;
	return 0;
}

static char *
b64(const unsigned char *p, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

/* One type: key on the card (pending), CSR, POST, install. */
static int
issue_one(struct term *t, struct vcard *c, const char *app_id, enum vcard_key k, const char *pin)
{
	struct term_resp r;
	unsigned char *csr = NULL, *cert = NULL, *ca = NULL;
	size_t csrlen = 0, certlen = 0, calen = 0;
	char path[128], *csr64 = NULL, b[64];
	json_t *body = NULL;
	int rc = TERM_EXIT_OK, vr;

	memset(&r, 0, sizeof(r));
	if ((vr = vcard_keygen(c, k, pin)) != VCARD_OK ||
	    (vr = vcard_csr(c, k, &csr, &csrlen)) != VCARD_OK)
		return term_fail_card(c, vr, k, "keygen");
	term_out_card(json_pack("{s:s, s:s}", "action", "keygen", "key", vcard_key_name(k)));
	csr64 = b64(csr, csrlen);
	body = json_pack("{s:s, s:s}", "type", vcard_key_name(k), "csr", csr64);
	snprintf(path, sizeof(path), "/v1/applications/%s/certificates", app_id);
	if (term_http_call(&t->http, "POST", path, body, &r) != 0 || r.status != 201) {
		rc = term_fail_resp(&r);
		goto out;
	}
	if (pem_to_der(js(r.body, "certificate"), &cert, &certlen) != 0 ||
	    pem_to_der(js(r.body, "chain"), &ca, &calen) != 0) {
		term_warn("%s", TR("証明書を読めません", "unreadable certificate in the answer"));
		rc = TERM_EXIT_TRANSPORT;
		goto out;
	}
	if ((vr = vcard_install(c, k, cert, certlen, ca, calen)) != VCARD_OK) {
		rc = term_fail_card(c, vr, k, "install");
		goto out;
	}
	term_out_card(json_pack("{s:s, s:s, s:s}", "action", "install", "key", vcard_key_name(k),
	    "serial", js(r.body, "serial")));
	term_say("  %s: %s %s, %s %s, %s%s\n", type_name(vcard_key_name(k)),
	    TR("シリアル", "serial"), js(r.body, "serial"), TR("有効期限", "valid until"),
	    term_fmt_time(js(r.body, "not_after"), term_ja, b, sizeof(b)),
	    TR("カードに書き込みました", "written to the card"),
	    json_array_size(json_object_get(r.body, "superseded")) ?
	    TR(" (旧証明書は失効: R9)", " (the previous one is revoked: R9)") : "");
out:
	free(csr);
	free(csr64);
	OPENSSL_free(cert);
	OPENSSL_free(ca);
	json_decref(body);
	term_resp_free(&r);
	return rc;
}

/*
 * Without --types: the types of the application (GET /v1/applications/{id})
 * that are not issued yet, as "auth,sign" into list. A type not applied
 * for is never tried: the daemon checks the application's state before its
 * types, so after AUTH completed an AUTH-only application a SIGN request
 * would be refused as wrong-state. 0, or the exit status (printed).
 */
static int
applied_types(struct term *t, const char *app_id, char *list, size_t len)
{
	struct term_resp r;
	char path[160];
	json_t *v, *w;
	size_t i, j;
	int rc = TERM_EXIT_OK, done;

	list[0] = '\0';
	snprintf(path, sizeof(path), "/v1/applications/%s", app_id);
	if (term_http_call(&t->http, "GET", path, NULL, &r) != 0 || r.status != 200) {
		rc = term_fail_resp(&r);
		goto out;
	}
	json_array_foreach(json_object_get(r.body, "types"), i, v) {
		if (!json_is_string(v))
			continue;
		done = 0;
		json_array_foreach(json_object_get(r.body, "issued_types"), j, w)
			done |= json_equal(v, w);
		if (done) {
			term_say("  %s: %s\n", type_name(json_string_value(v)),
			    TR("発行済み (省略)", "already issued (skipped)"));
			continue;
		}
		snprintf(list + strlen(list), len - strlen(list), "%s%s", list[0] ? "," : "",
		    json_string_value(v));
	}
	if (list[0] == '\0') {
		term_warn("%s (%s: %s)", TR("発行できる証明書がありません", "nothing to issue"),
		    TR("申請の状態", "application state"), W(js(r.body, "state")));
		rc = TERM_EXIT_REFUSED;
	}
out:
	term_resp_free(&r);
	return rc;
}

int
term_issue_onto(struct term *t, struct vcard *c, const char *app_id, const char *types)
{
	char pins[2][64], msg[160], norm[64], applied[16];
	const char *list = types;
	json_t *ty, *v;
	enum vcard_key k;
	size_t i;
	int rc = TERM_EXIT_OK;

	if (list == NULL) {
		if ((rc = applied_types(t, app_id, applied, sizeof(applied))) != 0)
			return rc;
		list = applied;
	}
	if ((ty = parse_types(list)) == NULL)
		return term_usage_error("--types sign,auth | sign | auth");
	memset(pins, 0, sizeof(pins));
	/* Every new PIN first (R15), so a bad one stops before anything is issued. */
	json_array_foreach(ty, i, v) {
		vcard_key_parse(json_string_value(v), &k);
		if (term_read_pin(k == VCARD_SIGN ? t->sign_pin_file : t->auth_pin_file,
		    k == VCARD_SIGN ? "JPKI_SIGN_PIN" : "JPKI_AUTH_PIN",
		    k == VCARD_SIGN ? TR("署名用パスワード (英大文字と数字 6〜16 文字) を設定",
		    "new SIGN PIN (6-16 of A-Z, 0-9)") : TR("利用者証明用暗証番号 (数字 4 桁) を設定",
		    "new AUTH PIN (4 digits)"), 1, (int)k, pins[k], sizeof(pins[k])) != 0) {
			rc = TERM_EXIT_USAGE;
			goto out;
		}
		if (vcard_pin_format(k, pins[k], norm, sizeof(norm), msg, sizeof(msg)) != VCARD_OK) {
			fprintf(stderr, "%s (R15): %s\n", TR("暗証番号の形式が違います",
			    "the PIN has the wrong format"), msg);
			term_out_set("card_error", json_pack("{s:s, s:s, s:s, s:s}", "code",
			    "pin_format", "key", vcard_key_name(k), "message", msg, "rule", "R15"));
			rc = TERM_EXIT_CARD;
			goto out;
		}
		term_wipe(norm, sizeof(norm));
	}
	term_say("%s %s (%s %s)\n", TR("発行", "issuing"), app_id, TR("カード", "card"),
	    vcard_card_number(c));
	json_array_foreach(ty, i, v) {
		vcard_key_parse(json_string_value(v), &k);
		if ((rc = issue_one(t, c, app_id, k, pins[k])) != 0)
			goto out;
	}
out:
	term_wipe(pins, sizeof(pins));
	json_decref(ty);
	return rc;
}

int
cmd_issue(struct term *t)
{
	struct vcard *c;
	int rc;

	if (t->nargs != 1)
		return term_usage_error("issue APPLICATION --card F [--types auth,sign]");
	if ((rc = term_open_card(t, &c)) != 0)
		return rc;
	rc = term_issue_onto(t, c, t->args[0], t->types);
	vcard_close(c);
	return rc;
}

int
cmd_renew(struct term *t)
{
	struct vcard *c;
	json_t *app = NULL, *v;
	char types[16] = "";
	size_t i;
	int rc;

	if (t->nargs != 1)
		return term_usage_error("renew RESIDENT --card F [--types sign,auth]");
	if ((rc = term_open_card(t, &c)) != 0)
		return rc;
	rc = file_application(t, t->args[0], "renew", t->types != NULL ? t->types : "sign,auth",
	    t->card_number != NULL ? t->card_number : vcard_card_number(c), &app);
	if (rc != 0)
		goto out;
	if (strcmp(js(app, "state"), "ready") != 0) {
		term_say("%s\n", TR("照会書の回答の後に発行します (R13)",
		    "issued after the inquiry is answered (R13)"));
		goto out;
	}
	json_array_foreach(json_object_get(app, "types"), i, v)
		snprintf(types + strlen(types), sizeof(types) - strlen(types), "%s%s", i ? "," : "",
		    json_string_value(v));
	rc = term_issue_onto(t, c, js(app, "id"), types);
out:
	json_decref(app);
	vcard_close(c);
	return rc;
}

int
cmd_revoke(struct term *t)
{
	struct term_resp r;
	struct vcard *c = NULL;
	char serial[64], path[128], b[64];
	const unsigned char *der;
	enum vcard_key k;
	json_t *body;
	size_t len;
	int rc = TERM_EXIT_OK;

	if (t->nargs == 1) {
		snprintf(serial, sizeof(serial), "%s", t->args[0]);
	} else if (t->nargs == 0 && t->type != NULL) {
		if (vcard_key_parse(t->type, &k) != 0)
			return term_usage_error("--type sign|auth");
		if ((rc = term_open_card(t, &c)) != 0)
			return rc;
		der = vcard_cert(c, k, &len);
		if (der == NULL || term_cert_serial(der, len, serial, sizeof(serial)) != 0) {
			rc = term_fail_card(c, VCARD_E_NO_KEY, k, "certificate");
			vcard_close(c);
			return rc;
		}
		vcard_close(c);
	} else
		return term_usage_error("revoke SERIAL | --card F --type sign|auth  [--reason R]");
	body = json_pack("{s:s}", "reason", t->reason != NULL ? t->reason : "unspecified");
	if (t->comment != NULL)
		json_object_set_new(body, "comment", json_string(t->comment));
	snprintf(path, sizeof(path), "/v1/certificates/%s/revoke", serial);
	if (term_http_call(&t->http, "POST", path, body, &r) != 0 || r.status != 200) {
		rc = term_fail_resp(&r);
		goto out;
	}
	term_say("%s %s (%s): %s %s, %s\n", TR("失効しました", "revoked"), js(r.body, "serial"),
	    js(r.body, "type"), TR("理由", "reason"), W(js(r.body, "reason")),
	    term_fmt_time(js(r.body, "revoked_at"), term_ja, b, sizeof(b)));
	term_out_set("certificate", json_incref(r.body));
out:
	json_decref(body);
	term_resp_free(&r);
	return rc;
}

int
cmd_card_event(struct term *t)
{
	struct term_resp r;
	struct vcard *c = NULL;
	char number[32], path[128];
	const char *event;
	json_t *body, *v;
	size_t i;
	int rc = TERM_EXIT_OK;

	if (t->nargs == 2) {
		snprintf(number, sizeof(number), "%s", t->args[0]);
		event = t->args[1];
	} else if (t->nargs == 1 && t->card_path != NULL) {
		if ((rc = term_open_card(t, &c)) != 0)
			return rc;
		snprintf(number, sizeof(number), "%s", vcard_card_number(c));
		vcard_close(c);
		event = t->args[0];
	} else
		return term_usage_error("card-event CARD_NUMBER lost|stolen|suspended|returned|reissued");
	if ((rc = check_card("CARD_NUMBER", number)) != 0)
		return rc;
	body = json_pack("{s:s}", "event", event);
	if (t->occurred_at != NULL)
		json_object_set_new(body, "occurred_at", json_string(t->occurred_at));
	if (t->comment != NULL)
		json_object_set_new(body, "comment", json_string(t->comment));
	snprintf(path, sizeof(path), "/v1/cards/%s/events", number);
	if (term_http_call(&t->http, "POST", path, body, &r) != 0 || r.status != 201) {
		rc = term_fail_resp(&r);
		goto out;
	}
	term_say("%s %s: %s -> %s (R11)\n", TR("届出を受け付けました。カード", "recorded; card"),
	    number, W(js(r.body, "previous_status")), W(js(r.body, "status")));
	json_array_foreach(json_object_get(r.body, "revoked"), i, v)
		term_say("  %s %s (%s): %s\n", TR("失効", "revoked"), js(v, "serial"), js(v, "type"),
		    W(js(v, "reason")));
	term_out_set("event", json_incref(r.body));
out:
	json_decref(body);
	term_resp_free(&r);
	return rc;
}
