/*
 * term_plan: how jpki-terminal shows what a certificate issued now would
 * be: one type's plan (application plan, or the eligibility of the
 * resident view): validity end in JST (R6, R7), renewal kind, what caps
 * it, the certificate it supersedes (R9), the fee (R18); then the plan's
 * warnings ({slug, rule, detail}) and, for SIGN, its end when AUTH is
 * renewed in the same visit (together_with_auth). Both members are
 * optional: an older daemon does not send them.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "tools/term.h"

#define js	term_js

const char *
term_type_name(const char *t)
{
	if (strcmp(t, "sign") == 0)
		return TR("署名用電子証明書", "SIGN certificate");
	if (strcmp(t, "auth") == 0)
		return TR("利用者証明用電子証明書", "AUTH certificate");
	return t;
}

void
term_print_notes(json_t *p)
{
	json_t *w, *tw = json_object_get(p, "together_with_auth");
	char b[64];
	size_t i;

	if (json_is_object(tw) && *js(tw, "not_after"))
		term_say("    %s %s (%s %s)\n", TR("利用者証明用と同時に更新した場合の有効期限",
		    "if AUTH is renewed in the same visit: valid until"),
		    term_fmt_time(js(tw, "not_after"), term_ja, b, sizeof(b)), TR("上限", "capped by"),
		    json_is_string(json_object_get(tw, "capped_by")) ?
		    term_word(js(tw, "capped_by"), term_ja) : "-");
	json_array_foreach(json_object_get(p, "warnings"), i, w)
		term_say("    %s: %s (%s)\n", TR("注意", "warning"),
		    *js(w, "detail") ? js(w, "detail") : js(w, "slug"),
		    *js(w, "rule") ? js(w, "rule") : "-");
}

void
term_print_plan(const char *type, json_t *p)
{
	json_t *sup = json_object_get(p, "supersedes");
	char b[64];

	term_say("  %s: %s %s (%s, %s %s)%s%s, %s %lld %s\n", term_type_name(type),
	    TR("有効期限", "valid until"), term_fmt_time(js(p, "not_after"), term_ja, b, sizeof(b)),
	    term_word(js(p, "renewal"), term_ja), TR("上限", "capped by"),
	    json_is_string(json_object_get(p, "capped_by")) ?
	    term_word(js(p, "capped_by"), term_ja) : "-",
	    json_is_string(sup) ? TR(", 失効させる証明書 ", ", supersedes ") : "",
	    json_is_string(sup) ? json_string_value(sup) : "", TR("手数料", "fee"),
	    (long long)json_integer_value(json_object_get(p, "fee_yen")), TR("円", "yen"));
	term_print_notes(p);
}
