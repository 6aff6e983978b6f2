#!/usr/bin/env bash
# A clerk's issuance at the 千代田区 counter, step by step with curl, against
# the quickstart daemon (deploy/quickstart.sh) and its demo residents
# (deploy/demo/README.md). Each step prints the call and the answer; a call
# that should succeed and does not stops the script (exit 1).
#
# Its residents are its own (鈴木 陽子 and her daughter 紬, 林 和子), none of
# the README's "A day at the counter": an issuance for a resident supersedes
# her valid certificates (R9), so using theirs would invalidate the cards
# made by hand. The keys are throwaway ones made here with openssl, one per
# certificate (R22); no card holds them.
#
# usage: deploy/demo/walkthrough.sh VARDIR API_URL
#        deploy/demo/walkthrough.sh VARDIR API_URL --visit2 APPLICATION_ID ANSWER_CODE
# The voluntary proxy's second visit (R13) is never on the day of the
# first: run the --visit2 form on a later day with the id and code printed.
set -euo pipefail
var=${1:?usage: walkthrough.sh VARDIR API_URL}
api=${2:?usage: walkthrough.sh VARDIR API_URL}
ca=$var/ca
term=$ca/terminal-131016
tls=(--cacert "$ca/client-ca.crt" --cert "$term.crt" --key "$term.key")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

py() { /usr/bin/python3 -c "$@"; }
field() { py 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d.get(k) if isinstance(d, dict) else None
print("" if d is None else d)' "$1"; }
step() { printf '\n== %s\n' "$*"; }
call() {	# call METHOD PATH [JSON]: prints the HTTP status (in $status) and a summary, body in $tmp/body
	local m=$1 p=$2 data=${3:-}
	echo "\$ curl -X $m $api$p${data:+ -d '$data'}" | cut -c1-200
	if [ -n "$data" ]; then
		status=$(curl -sS -o "$tmp/body" -w '%{http_code}' "${tls[@]}" -X "$m" \
			-H 'Content-Type: application/json' --data-binary "$data" "$api$p")
	else
		status=$(curl -sS -o "$tmp/body" -w '%{http_code}' "${tls[@]}" -X "$m" "$api$p")
	fi
	echo "-> $status"
	py 'import json,sys
d=json.load(open(sys.argv[1]))
for k in ("id","state","fee_yen","serial","type","subject","not_after","renewal","capped_by","superseded","rule","detail"):
    if k in d: print("   %s: %s" % (k, d[k]))
if "inquiry" in d: print("   inquiry:", json.dumps(d["inquiry"], ensure_ascii=False))
if "eligibility" in d:
    for t in ("sign", "auth"):
        e = d["eligibility"][t]
        print("   %s: %s" % (t, "eligible until %s (%s, fee %s yen)" % (e["not_after"], e["renewal"], e["fee_yen"]) if e["eligible"] else "refused by %s: %s" % (e["refusal"]["rule"], e["refusal"]["detail"])))' "$tmp/body"
}
# must CALL ARGS...: the call, which should answer 2xx; otherwise stop.
must() {
	"$@"
	case $status in
	2??) ;;
	*) echo "walkthrough: $2 $3 answered $status, not 2xx: stopping" >&2; exit 1 ;;
	esac
}
# The card makes a new key pair for every certificate (R22: one key, one
# holder, one type): card_csr sets csr to a new key's CSR.
card_csr() {
	openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/card.key" -subj /CN=card \
		-outform DER -out "$tmp/card.csr" 2>/dev/null
	csr=$(base64 -w0 "$tmp/card.csr")
}
SELF='{"documents":[{"kind":"mynumber_card","holder":"resident"}]}'
PROXY_ID='{"documents":[{"kind":"passport","holder":"applicant"}]}'
# The walkthrough's residents (deploy/demo/README.md, "Who the demo scripts use").
MOTHER=13101600145	# 鈴木 陽子, born 1978
CHILD=13101600146	# 鈴木 紬, born 2015, her daughter (same household)
ELDER=13101600019	# 林 和子, born 1944
REP="{\"kind\":\"legal_representative\",\"name\":\"鈴木 陽子\",\"relationship\":\"母\"}"
REP_EV='{"documents":[{"kind":"mynumber_card","holder":"applicant"}],"authority":"same_household"}'

if [ "${3:-}" = --visit2 ]; then
	app=${4:?application id}
	answer=${5:?answer code}
	step "Voluntary proxy, second visit: the sealed answer form, the card, the proxy's ID (R13, R14)"
	must call POST "/v1/applications/$app/inquiry-answer" "{\"answer_code\":\"$answer\",\"evidence\":$PROXY_ID}"
	card_csr
	must call POST "/v1/applications/$app/certificates" "{\"type\":\"auth\",\"csr\":\"$csr\"}"
	card_csr
	must call POST "/v1/applications/$app/certificates" "{\"type\":\"sign\",\"csr\":\"$csr\"}"
	exit 0
fi

step "1. Self (本人), both certificates: look the resident up"
must call GET /v1/residents/$MOTHER
step "   file the application (the clerk checked the card: R14 list A)"
must call POST /v1/applications "{\"resident_code\":\"$MOTHER\",\"procedure\":\"issue\",\"types\":[\"sign\",\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF}"
app=$(field id < "$tmp/body")
step "   AUTH first (R7), then SIGN, each from the card's CSR"
card_csr
must call POST "/v1/applications/$app/certificates" "{\"type\":\"auth\",\"csr\":\"$csr\"}"
card_csr
must call POST "/v1/applications/$app/certificates" "{\"type\":\"sign\",\"csr\":\"$csr\"}"

step "2. Her daughter (11) with her, the legal representative (same household): AUTH only (R4, R13)"
must call GET /v1/residents/$CHILD
call POST /v1/applications "{\"resident_code\":\"$CHILD\",\"procedure\":\"issue\",\"types\":[\"sign\"],\"applicant\":$REP,\"evidence\":$REP_EV}"
must call POST /v1/applications "{\"resident_code\":\"$CHILD\",\"procedure\":\"issue\",\"types\":[\"auth\"],\"applicant\":$REP,\"evidence\":$REP_EV}"
app=$(field id < "$tmp/body")
card_csr
must call POST "/v1/applications/$app/certificates" "{\"type\":\"auth\",\"csr\":\"$csr\"}"

step "3. Renewal outside the window: a new issuance that supersedes the valid AUTH (R8, R9)"
must call POST /v1/applications "{\"resident_code\":\"$MOTHER\",\"procedure\":\"renew\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF}"
app=$(field id < "$tmp/body")
card_csr
must call POST "/v1/applications/$app/certificates" "{\"type\":\"auth\",\"csr\":\"$csr\"}"

step "4. Refusals name their rule"
call GET /v1/residents/13101600005
call GET /v1/residents/13101600012
call GET /v1/residents/14100300001

step "5. Voluntary proxy (任意代理人), first visit: an inquiry form goes to the registered address (R13)"
must call POST /v1/applications "{\"resident_code\":\"$ELDER\",\"procedure\":\"issue\",\"types\":[\"sign\",\"auth\"],\"applicant\":{\"kind\":\"voluntary_proxy\",\"name\":\"林 一郎\",\"relationship\":\"知人\"},\"evidence\":$PROXY_ID}"
app=$(field id < "$tmp/body")
answer=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["inquiry"]["answer_code"])' "$tmp/body")
call POST "/v1/applications/$app/inquiry-answer" "{\"answer_code\":\"$answer\",\"evidence\":$PROXY_ID}"
cat <<NEXT

The second visit is refused today (R13: never same-day). On a later day:
  $0 $var $api --visit2 $app $answer
NEXT
