#!/usr/bin/env bash
# A clerk's issuance at the 千代田区 counter, step by step with curl, against
# the quickstart daemon (deploy/quickstart.sh) and its demo residents
# (deploy/demo/README.md). Each step prints the call and the answer.
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
call() {	# call METHOD PATH [JSON]: prints status and a summary, body in $tmp/body
	local m=$1 p=$2 data=${3:-}
	echo "\$ curl -X $m $api$p${data:+ -d '$data'}" | cut -c1-200
	if [ -n "$data" ]; then
		code=$(curl -sS -o "$tmp/body" -w '%{http_code}' "${tls[@]}" -X "$m" \
			-H 'Content-Type: application/json' --data-binary "$data" "$api$p")
	else
		code=$(curl -sS -o "$tmp/body" -w '%{http_code}' "${tls[@]}" -X "$m" "$api$p")
	fi
	echo "-> $code"
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
# The card makes a new key pair for every certificate (R22: one key, one
# holder, one type): card_csr sets csr to a new key's CSR.
card_csr() {
	openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/card.key" -subj /CN=card \
		-outform DER -out "$tmp/card.csr" 2>/dev/null
	csr=$(base64 -w0 "$tmp/card.csr")
}
SELF='{"documents":[{"kind":"mynumber_card","holder":"resident"}]}'

if [ "${3:-}" = --visit2 ]; then
	app=${4:?application id}
	code=${5:?answer code}
	step "Voluntary proxy, second visit: the sealed answer form, the card, the proxy's ID (R13, R14)"
	call POST "/v1/applications/$app/inquiry-answer" \
		"{\"answer_code\":\"$code\",\"evidence\":{\"documents\":[{\"kind\":\"passport\",\"holder\":\"applicant\"}]}}"
	card_csr
	call POST "/v1/applications/$app/certificates" "{\"type\":\"auth\",\"csr\":\"$csr\"}"
	card_csr
	call POST "/v1/applications/$app/certificates" "{\"type\":\"sign\",\"csr\":\"$csr\"}"
	exit 0
fi

step "1. Self (本人), both certificates: look the resident up"
call GET /v1/residents/13101600001
step "   file the application (the clerk checked the card: R14 list A)"
call POST /v1/applications "{\"resident_code\":\"13101600001\",\"procedure\":\"issue\",\"types\":[\"sign\",\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF}"
app=$(field id < "$tmp/body")
step "   AUTH first (R7), then SIGN, each from the card's CSR"
card_csr
call POST "/v1/applications/$app/certificates" "{\"type\":\"auth\",\"csr\":\"$csr\"}"
card_csr
call POST "/v1/applications/$app/certificates" "{\"type\":\"sign\",\"csr\":\"$csr\"}"

step "2. A 10-year-old with a parent (legal representative, same household): AUTH only (R4, R13)"
call GET /v1/residents/13101600002
call POST /v1/applications "{\"resident_code\":\"13101600002\",\"procedure\":\"issue\",\"types\":[\"sign\"],\"applicant\":{\"kind\":\"legal_representative\",\"name\":\"佐藤 健一\",\"relationship\":\"父\"},\"evidence\":{\"documents\":[{\"kind\":\"mynumber_card\",\"holder\":\"applicant\"}],\"authority\":\"same_household\"}}"
call POST /v1/applications "{\"resident_code\":\"13101600002\",\"procedure\":\"issue\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"legal_representative\",\"name\":\"佐藤 健一\",\"relationship\":\"父\"},\"evidence\":{\"documents\":[{\"kind\":\"mynumber_card\",\"holder\":\"applicant\"}],\"authority\":\"same_household\"}}"
app=$(field id < "$tmp/body")
card_csr
call POST "/v1/applications/$app/certificates" "{\"type\":\"auth\",\"csr\":\"$csr\"}"

step "3. Renewal outside the window: a new issuance that supersedes the valid AUTH (R8, R9)"
call POST /v1/applications "{\"resident_code\":\"13101600001\",\"procedure\":\"renew\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF}"
app=$(field id < "$tmp/body")
card_csr
call POST "/v1/applications/$app/certificates" "{\"type\":\"auth\",\"csr\":\"$csr\"}"

step "4. Refusals name their rule"
call GET /v1/residents/13101600005
call GET /v1/residents/13101600012
call GET /v1/residents/14100300001

step "5. Voluntary proxy (任意代理人), first visit: an inquiry form goes to the registered address (R13)"
call POST /v1/applications "{\"resident_code\":\"13101600019\",\"procedure\":\"issue\",\"types\":[\"sign\",\"auth\"],\"applicant\":{\"kind\":\"voluntary_proxy\",\"name\":\"林 一郎\",\"relationship\":\"知人\"},\"evidence\":{\"documents\":[{\"kind\":\"passport\",\"holder\":\"applicant\"}]}}"
app=$(field id < "$tmp/body")
code=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["inquiry"]["answer_code"])' "$tmp/body")
call POST "/v1/applications/$app/inquiry-answer" \
	"{\"answer_code\":\"$code\",\"evidence\":{\"documents\":[{\"kind\":\"passport\",\"holder\":\"applicant\"}]}}"
cat <<NEXT

The second visit is refused today (R13: never same-day). On a later day:
  $0 $var $api --visit2 $app $code
NEXT
