/*
 * term_fmt: pure text helpers of jpki-terminal, no I/O and no globals (the
 * language is a parameter): instants and dates as the counter reads them
 * (JST, fixed UTC+9 as ca/jpdate.h; the Japanese era in Japanese text), the
 * daemon's status words in Japanese, and the local format checks of what a
 * clerk types (resident code, card number) made before any request.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/jpdate.h"
#include "tools/term.h"

/*
 * The era of jpdate_era() (R25 .4 digit 1..5) by name and its first
 * Gregorian year: year N of an era is (y - first + 1), year 1 is 元年.
 */
static const struct {
	const char	*name;
	int		 first;
} eras[] = {
	{ "明治", 1868 }, { "大正", 1912 }, { "昭和", 1926 }, { "平成", 1989 }, { "令和", 2019 },
};

char *
term_fmt_era(struct jpdate d, char *buf, size_t len)
{
	int e = jpdate_era(d), n;

	if (e < 1 || e > 5 || d.y < eras[e - 1].first) {
		snprintf(buf, len, "%d年%d月%d日", d.y, d.m, d.d);
		return buf;
	}
	n = d.y - eras[e - 1].first + 1;
	if (n == 1)
		snprintf(buf, len, "%s元年%d月%d日", eras[e - 1].name, d.m, d.d);
	else
		snprintf(buf, len, "%s%d年%d月%d日", eras[e - 1].name, n, d.m, d.d);
	return buf;
}

const char *
term_fmt_date(const char *ymd, int ja, char *buf, size_t len)
{
	struct jpdate d;

	if (ymd == NULL || jpdate_parse(ymd, &d) != 0 || !ja) {
		snprintf(buf, len, "%s", ymd != NULL ? ymd : "");
		return buf;
	}
	return term_fmt_era(d, buf, len);
}

/* "YYYY-MM-DDTHH:MM:SS[.fff](Z|+00:00)" as an instant; -1 when not that. */
static int
parse_utc(const char *s, time_t *out)
{
	char date[11];
	struct jpdate d;
	int h, mi, sec, n = 0;
	const char *p;

	if (strlen(s) < 20 || s[10] != 'T')
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (jpdate_parse(date, &d) != 0 || sscanf(s + 11, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 ||
	    n != 8 || h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return -1;
	*out = (time_t)jpdate_to_days(d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

const char *
term_fmt_time(const char *utc, int ja, char *buf, size_t len)
{
	struct jpdate d;
	char day[64], hm[16];
	time_t t;
	long s;

	if (utc == NULL || parse_utc(utc, &t) != 0) {
		snprintf(buf, len, "%s", utc != NULL ? utc : "");
		return buf;
	}
	d = jpdate_from_time(t);
	s = (long)(((t + JPDATE_JST_OFFSET) % 86400 + 86400) % 86400);
	/* Seconds only when there are some: an end of day reads 23:59:59, not 23:59. */
	if (s % 60 != 0)
		snprintf(hm, sizeof(hm), "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(hm, sizeof(hm), "%02ld:%02ld", s / 3600, s / 60 % 60);
	if (ja)
		snprintf(buf, len, "%s %s", term_fmt_era(d, day, sizeof(day)), hm);
	else
		snprintf(buf, len, "%s %s JST", jpdate_format(d, day, sizeof(day)), hm);
	return buf;
}

/* The daemon's enum values (openapi.yaml) and the card's states, in Japanese. */
static const struct {
	const char	*word, *ja;
} words[] = {
	/* certificates, cards, the register */
	{ "valid", "有効" }, { "revoked", "失効" }, { "expired", "期限切れ" },
	{ "active", "有効" }, { "lost", "紛失" }, { "stolen", "盗難" }, { "suspended", "一時停止" },
	{ "returned", "返納" }, { "reissued", "再交付済み" }, { "registered", "登録" },
	{ "removed", "転出" }, { "deceased", "死亡" },
	/* R26 revocation reasons */
	{ "unspecified", "理由なし" }, { "keyCompromise", "鍵の危殆化" },
	{ "cACompromise", "認証局の危殆化" }, { "affiliationChanged", "記載事項の変更" },
	{ "superseded", "更新により失効" }, { "cessationOfOperation", "利用の停止" },
	/* applications */
	{ "planned", "計画" }, { "awaiting_inquiry", "照会書の回答待ち" }, { "ready", "発行可能" },
	{ "completed", "完了" }, { "cancelled", "取消" },
	{ "issue", "発行" }, { "renew", "更新" }, { "pin_reset", "暗証番号の初期化" },
	{ "self", "本人" }, { "legal_representative", "法定代理人" },
	{ "voluntary_proxy", "任意代理人" },
	/* plans: renewal kind and what caps the validity (R6, R7) */
	{ "new", "新規" }, { "renewal", "更新" }, { "renewal_after_expiry", "期限切れ後の更新" },
	{ "reissue", "再発行" }, { "birthday", "誕生日" }, { "card", "カードの有効期限" },
	{ "auth", "利用者証明用電子証明書" }, { "ca", "認証局の有効期限" },
	/* the card (R16) */
	{ "LOCKED", "ロック中" }, { "blank", "未発行" }, { "pending", "発行中" },
};

const char *
term_word(const char *w, int ja)
{
	size_t i;

	if (w == NULL)
		return "";
	if (!ja)
		return w;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i].word, w) == 0)
			return words[i].ja;
	return w;
}

const char *
term_js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

int
term_check_resident_code(const char *s)
{
	return s != NULL && strlen(s) == 11 && strspn(s, "0123456789") == 11 ? 0 : -1;
}

int
term_check_card_number(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n >= 1 && n <= 16 && strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n ? 0 : -1;
}
