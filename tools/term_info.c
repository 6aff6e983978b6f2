/*
 * term_info: what the counter reads rather than does. The suspension
 * schedule (一時停止スケジュール, R19: GET /v1/suspensions, current and
 * future, the same the municipal pages publish) and the expiry notices of
 * the terminal's own municipality (有効期限通知書, R21: GET /v1/notices,
 * JSON or the CSV as the daemon writes it). Neither changes anything.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/term.h"

#define js	term_js

/* "2026-11-21T01:01:00Z" -> "2026-11-21 10:01 JST" / "令和8年11月21日 10:01" (the counter's time). */
static const char *
jst(const char *utc, char *buf, size_t len)
{
	return term_fmt_time(utc, term_ja, buf, len);
}

static const char *
state_name(const char *s)
{
	if (strcmp(s, "active") == 0)
		return TR("停止中", "active");
	if (strcmp(s, "scheduled") == 0)
		return TR("予定", "scheduled");
	return s;
}

int
cmd_suspensions(struct term *t)
{
	struct term_resp r;
	json_t *list, *v;
	char b1[64], b2[64];
	size_t i;
	int rc = TERM_EXIT_OK;

	if (t->nargs != 0)
		return term_usage_error("suspensions");
	/* Read-only and never stopped by a suspension: the schedule is what a clerk checks then. */
	if (term_http_call(&t->http, "GET", "/v1/suspensions", NULL, &r) != 0 || r.status != 200) {
		rc = term_fail_resp(&r);
		goto out;
	}
	list = json_object_get(r.body, "suspensions");
	if (json_array_size(list) == 0)
		term_say("%s\n", TR("予定されている一時停止はありません (R19)",
		    "no suspension is scheduled (R19)"));
	else {
		term_say("%s (R19)\n", TR("一時停止スケジュール", "suspension schedule"));
		term_say("  %-6s %-8s %-20s %-20s %s\n", "ID", TR("状態", "state"),
		    TR("開始", "starts"), TR("終了", "ends"), TR("理由", "reason"));
	}
	json_array_foreach(list, i, v)
		term_say("  %-6lld %-8s %-20s %-20s %s\n",
		    (long long)json_integer_value(json_object_get(v, "id")),
		    state_name(js(v, "state")), jst(js(v, "starts_at"), b1, sizeof(b1)),
		    jst(js(v, "ends_at"), b2, sizeof(b2)), js(v, "reason"));
	term_out_set("suspensions", list != NULL ? json_incref(list) : json_array());
out:
	term_resp_free(&r);
	return rc;
}

static const char *
type_short(const char *t)
{
	if (strcmp(t, "sign") == 0)
		return TR("署名用", "SIGN");
	if (strcmp(t, "auth") == 0)
		return TR("利用者証明用", "AUTH");
	return t;
}

int
cmd_notices(struct term *t)
{
	struct term_resp r;
	char path[160], b1[64], b2[64];
	json_t *v;
	size_t i, n;
	int rc = TERM_EXIT_OK;

	if (t->nargs != 0)
		return term_usage_error("notices [--batch ID] [--csv]");
	if (t->csv && term_json)
		return term_usage_error("--csv %s --json", TR("と", "excludes"));
	if (t->batch != NULL && ((n = strspn(t->batch, "0123456789")) == 0 || n > 18 ||
	    t->batch[n] != '\0'))
		return term_usage_error("--batch ID (%s)", TR("数字", "digits"));
	/* No municipality: the daemon takes the terminal's own (R1). */
	snprintf(path, sizeof(path), "/v1/notices%s%s%s%s", t->batch || t->csv ? "?" : "",
	    t->batch ? "batch=" : "", t->batch ? t->batch : "",
	    t->csv ? (t->batch ? "&format=csv" : "format=csv") : "");
	if (term_http_call(&t->http, "GET", path, NULL, &r) != 0 || r.status != 200) {
		rc = term_fail_resp(&r);
		goto out;
	}
	if (t->csv) {
		/* The CSV exactly as the daemon wrote it (RFC 4180, CRLF, header row). */
		if (fwrite(r.raw, 1, r.rawlen, stdout) != r.rawlen) {
			term_warn("%s", TR("書き込めません", "cannot write the CSV"));
			rc = TERM_EXIT_TRANSPORT;
		}
		goto out;
	}
	term_say("%s %s (R21)\n", TR("有効期限通知書: 市区町村", "expiry notices of municipality"),
	    js(r.body, "municipality_code"));
	json_array_foreach(json_object_get(r.body, "batches"), i, v)
		term_say("  %s %lld: %s %s, %s %s, %lld %s\n", TR("バッチ", "batch"),
		    (long long)json_integer_value(json_object_get(v, "id")), TR("作成", "created"),
		    jst(js(v, "created_at"), b1, sizeof(b1)), TR("対象 有効期限", "expiring before"),
		    jst(js(v, "expiring_before"), b2, sizeof(b2)),
		    (long long)json_integer_value(json_object_get(v, "count")), TR("件", "notices"));
	if (json_array_size(json_object_get(r.body, "notices")) == 0)
		term_say("  %s\n", TR("通知はありません", "no notices"));
	json_array_foreach(json_object_get(r.body, "notices"), i, v)
		term_say("  #%lld %-12s %s  %s %s  %s %s  %s\n",
		    (long long)json_integer_value(json_object_get(v, "batch_id")),
		    type_short(js(v, "type")), js(v, "serial"), TR("有効期限", "until"),
		    jst(js(v, "not_after"), b1, sizeof(b1)), js(v, "resident_code"), js(v, "name"),
		    js(v, "address"));
	term_out_set("notices", json_incref(r.body));
out:
	term_resp_free(&r);
	return rc;
}
