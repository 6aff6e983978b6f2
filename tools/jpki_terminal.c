/*
 * jpki-terminal: the counter terminal (窓口端末) and kiosk client of jpkid,
 * one command per counter procedure, driving a virtual card (tools/vcard.h).
 * Command reference: docs/terminal.md. Exit status: tools/term.h.
 *
 *   jpki-terminal [global options] COMMAND [ARGS] [options]
 */
#include <config.h>

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/term.h"

enum {
	O_API = 256, O_CERT, O_KEY, O_CACERT, O_STATUS, O_LANG, O_JSON, O_CARD, O_ANCHORS,
	O_NUMBER, O_PROCEDURE, O_TYPES, O_APPLICANT, O_NAME, O_RELATIONSHIP, O_DOC,
	O_AUTHORITY, O_DELEGATION, O_CARD_NUMBER, O_TYPE, O_REASON, O_COMMENT, O_OCCURRED,
	O_PIN_FILE, O_NEW_PIN_FILE, O_SIGN_PIN_FILE, O_AUTH_PIN_FILE, O_AUTHZ_FILE, O_RESIDENT, O_BATCH, O_CSV, O_HELP,
	O_VERSION
};

static const struct option longopts[] = {
	{ "api", required_argument, NULL, O_API },
	{ "cert", required_argument, NULL, O_CERT },
	{ "key", required_argument, NULL, O_KEY },
	{ "cacert", required_argument, NULL, O_CACERT },
	{ "status", required_argument, NULL, O_STATUS },
	{ "lang", required_argument, NULL, O_LANG },
	{ "json", no_argument, NULL, O_JSON },
	{ "card", required_argument, NULL, O_CARD },
	{ "anchors", required_argument, NULL, O_ANCHORS },
	{ "number", required_argument, NULL, O_NUMBER },
	{ "procedure", required_argument, NULL, O_PROCEDURE },
	{ "types", required_argument, NULL, O_TYPES },
	{ "applicant", required_argument, NULL, O_APPLICANT },
	{ "name", required_argument, NULL, O_NAME },
	{ "relationship", required_argument, NULL, O_RELATIONSHIP },
	{ "doc", required_argument, NULL, O_DOC },
	{ "authority", required_argument, NULL, O_AUTHORITY },
	{ "delegation-covers-revocation", no_argument, NULL, O_DELEGATION },
	{ "card-number", required_argument, NULL, O_CARD_NUMBER },
	{ "type", required_argument, NULL, O_TYPE },
	{ "reason", required_argument, NULL, O_REASON },
	{ "comment", required_argument, NULL, O_COMMENT },
	{ "occurred-at", required_argument, NULL, O_OCCURRED },
	{ "pin-file", required_argument, NULL, O_PIN_FILE },
	{ "new-pin-file", required_argument, NULL, O_NEW_PIN_FILE },
	{ "sign-pin-file", required_argument, NULL, O_SIGN_PIN_FILE },
	{ "auth-pin-file", required_argument, NULL, O_AUTH_PIN_FILE },
	{ "authorization-file", required_argument, NULL, O_AUTHZ_FILE },
	{ "resident", required_argument, NULL, O_RESIDENT },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "csv", no_argument, NULL, O_CSV },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const struct {
	const char	*word1, *word2;
	int		(*fn)(struct term *);
	const char	*ja, *en;
} cmds[] = {
	{ "card", "new", cmd_card_new, "白紙の仮想カードを作る (--card F --number N | --resident R)",
	  "a blank virtual card (--card F --number N | --resident R)" },
	{ "card", "show", cmd_card_show, "カードの証明書と残り試行回数 (--type T: 証明書の PEM)",
	  "the card's certificates and tries left (--type T: the certificate's PEM)" },
	{ "card", "verify", cmd_card_verify, "暗証番号の照合 (--type T)", "check a PIN on the card (--type T)" },
	{ "card", "reset-pin", cmd_card_reset_pin, "初期化許可をカードに適用 (--authorization-file)",
	  "apply a reset authorization to the card (--authorization-file)" },
	{ "lookup", NULL, cmd_lookup, "住民の照会 (RESIDENT)", "look a resident up (RESIDENT)" },
	{ "apply", NULL, cmd_apply, "申請 (RESIDENT --procedure --types --applicant ...)",
	  "file an application (RESIDENT --procedure --types --applicant ...)" },
	{ "answer", NULL, cmd_answer, "照会書の回答 (APPLICATION CODE --doc ...)",
	  "answer an inquiry (APPLICATION CODE --doc ...)" },
	{ "issue", NULL, cmd_issue, "発行 (APPLICATION --card F)", "issue (APPLICATION --card F)" },
	{ "renew", NULL, cmd_renew, "更新 (RESIDENT --card F)", "renew (RESIDENT --card F)" },
	{ "revoke", NULL, cmd_revoke, "失効 (SERIAL | --card F --type T) --reason R",
	  "revoke (SERIAL | --card F --type T) --reason R" },
	{ "card-event", NULL, cmd_card_event, "カードの紛失などの届出 (CARD EVENT)",
	  "report a card lost, stolen, ... (CARD EVENT)" },
	{ "pin-reset", NULL, cmd_pin_reset, "窓口での暗証番号初期化 (APPLICATION --card F --type T)",
	  "PIN reset at the counter (APPLICATION --card F --type T)" },
	{ "pin-change", NULL, cmd_pin_change, "暗証番号の変更 (--card F --type T)",
	  "PIN change (--card F --type T)" },
	{ "kiosk", "pin-reset", cmd_kiosk_pin_reset, "コンビニでの暗証番号初期化 (--card F --type T)",
	  "PIN reset at a kiosk (--card F --type T)" },
	{ "suspensions", NULL, cmd_suspensions, "一時停止スケジュール (R19)",
	  "the suspension schedule (R19)" },
	{ "notices", NULL, cmd_notices, "有効期限通知書の一覧 ([--batch ID] [--csv])",
	  "expiry notices of this municipality ([--batch ID] [--csv])" },
};

static int
usage(FILE *f)
{
	size_t i;
	char w[32];

	fprintf(f, "%s: jpki-terminal [options] COMMAND [ARGS] [options]\n"
	    "       jpki-terminal --help | --version\n\n%s:\n",
	    TR("使い方", "usage"), TR("コマンド", "commands"));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(w, sizeof(w), "%s%s%s", cmds[i].word1, cmds[i].word2 ? " " : "",
		    cmds[i].word2 ? cmds[i].word2 : "");
		fprintf(f, "  %-16s %s\n", w, TR(cmds[i].ja, cmds[i].en));
	}
	fprintf(f, "\n%s:\n"
	    "  --api URL --cert F --key F --cacert F   (JPKI_TERMINAL_API/_CERT/_KEY/_CACERT)\n"
	    "  --status URL (JPKI_TERMINAL_STATUS)  --card F (JPKI_CARD)  --lang ja|en  --json\n"
	    "%s: jpki-terminal(1), docs/terminal.md\n", TR("共通オプション", "global options"),
	    TR("詳しくは", "reference"));
	return f == stderr ? TERM_EXIT_USAGE : TERM_EXIT_OK;
}

int
term_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "jpki-terminal: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s\n", TR("'jpki-terminal --help' で使い方を表示します",
	    "'jpki-terminal --help' lists the commands"));
	return TERM_EXIT_USAGE;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void
default_lang(void)
{
	const char *l = env("LC_ALL");

	if (l == NULL)
		l = env("LC_MESSAGES");
	if (l == NULL)
		l = env("LANG");
	term_ja = l != NULL && strncmp(l, "ja", 2) == 0;
}

int
main(int argc, char **argv)
{
	struct term t;
	char *pos[16];
	int npos = 0, c, rc, i;
	size_t k;
	char cmdname[40];

	memset(&t, 0, sizeof(t));
	default_lang();
	t.http.api = env("JPKI_TERMINAL_API");
	t.http.cert = env("JPKI_TERMINAL_CERT");
	t.http.key = env("JPKI_TERMINAL_KEY");
	t.http.cacert = env("JPKI_TERMINAL_CACERT");
	t.status_url = env("JPKI_TERMINAL_STATUS");
	t.card_path = env("JPKI_CARD");
	/* Options anywhere on the line; positionals collected in order. */
	opterr = 0;
	while (optind < argc) {
		if ((c = getopt_long(argc, argv, "-h", longopts, NULL)) == -1)
			break;
		switch (c) {
		case 1:
			if (npos == (int)(sizeof(pos) / sizeof(pos[0])))
				return term_usage_error("too many arguments");
			pos[npos++] = optarg;
			break;
		case O_API: t.http.api = optarg; break;
		case O_CERT: t.http.cert = optarg; break;
		case O_KEY: t.http.key = optarg; break;
		case O_CACERT: t.http.cacert = optarg; break;
		case O_STATUS: t.status_url = optarg; break;
		case O_LANG:
			if (strcmp(optarg, "ja") != 0 && strcmp(optarg, "en") != 0)
				return term_usage_error("--lang ja|en");
			term_ja = strcmp(optarg, "ja") == 0;
			break;
		case O_JSON: term_json = 1; break;
		case O_CARD: t.card_path = optarg; break;
		case O_ANCHORS: t.anchors = optarg; break;
		case O_NUMBER: t.number = optarg; break;
		case O_PROCEDURE: t.procedure = optarg; break;
		case O_TYPES: t.types = optarg; break;
		case O_APPLICANT: t.applicant = optarg; break;
		case O_NAME: t.name = optarg; break;
		case O_RELATIONSHIP: t.relationship = optarg; break;
		case O_DOC:
			if (t.ndocs == TERM_MAX_DOCS)
				return term_usage_error("at most %d --doc", TERM_MAX_DOCS);
			t.docs[t.ndocs++] = optarg;
			break;
		case O_AUTHORITY: t.authority = optarg; break;
		case O_DELEGATION: t.delegation = 1; break;
		case O_CARD_NUMBER: t.card_number = optarg; break;
		case O_TYPE: t.type = optarg; break;
		case O_REASON: t.reason = optarg; break;
		case O_COMMENT: t.comment = optarg; break;
		case O_OCCURRED: t.occurred_at = optarg; break;
		case O_PIN_FILE: t.pin_file = optarg; break;
		case O_NEW_PIN_FILE: t.new_pin_file = optarg; break;
		case O_SIGN_PIN_FILE: t.sign_pin_file = optarg; break;
		case O_AUTH_PIN_FILE: t.auth_pin_file = optarg; break;
		case O_AUTHZ_FILE: t.authorization_file = optarg; break;
		case O_RESIDENT: t.resident = optarg; break;
		case O_BATCH: t.batch = optarg; break;
		case O_CSV: t.csv = 1; break;
		case 'h':
		case O_HELP:
			return usage(stdout);
		case O_VERSION:
			printf("jpki-terminal %s\n", PACKAGE_VERSION);
			return TERM_EXIT_OK;
		default:
			fprintf(stderr, "jpki-terminal: %s: %s\n",
			    TR("不明なオプション", "unknown option"), argv[optind - 1]);
			return usage(stderr);
		}
	}
	if (npos == 0)
		return usage(stderr);
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (strcmp(pos[0], cmds[k].word1) != 0)
			continue;
		if (cmds[k].word2 != NULL && (npos < 2 || strcmp(pos[1], cmds[k].word2) != 0))
			continue;
		break;
	}
	if (k == sizeof(cmds) / sizeof(cmds[0]))
		return term_usage_error("%s: %s%s%s", TR("不明なコマンド", "unknown command"), pos[0],
		    npos > 1 ? " " : "", npos > 1 ? pos[1] : "");
	i = cmds[k].word2 != NULL ? 2 : 1;
	t.args = pos + i;
	t.nargs = npos - i;
	if (term_http_init(&t.http) != 0) {
		term_warn("libcurl initialization failed");
		return TERM_EXIT_TRANSPORT;
	}
	snprintf(cmdname, sizeof(cmdname), "%s%s%s", cmds[k].word1, cmds[k].word2 ? " " : "",
	    cmds[k].word2 ? cmds[k].word2 : "");
	term_out_begin(cmdname);
	rc = cmds[k].fn(&t);
	term_http_close(&t.http);
	return term_out_end(rc);
}
