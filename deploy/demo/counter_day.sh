#!/usr/bin/env bash
# "A day at the counter" (README.md): the 千代田区 counter with jpki-terminal
# and virtual cards, against the quickstart daemon (deploy/quickstart.sh)
# and its demo residents (deploy/demo/README.md). Each step prints the
# command and what the terminal answered.
#
# usage: deploy/demo/counter_day.sh VARDIR API_URL STATUS_URL
#        deploy/demo/counter_day.sh VARDIR API_URL STATUS_URL --visit2 APPLICATION CODE
# The voluntary proxy's second visit (R13) is never on the day of the first:
# run the --visit2 form on a later day with the id and code printed.
# Cards are kept in VARDIR/cards/<resident code>.card.
# JPKI_TERMINAL: the jpki-terminal binary (default _build/jpki-terminal).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
var=$(cd "${1:?usage: counter_day.sh VARDIR API_URL STATUS_URL}" && pwd)
export JPKI_TERMINAL_API=${2:?API_URL} JPKI_TERMINAL_STATUS=${3:?STATUS_URL}
export JPKI_TERMINAL_CACERT=$var/ca/client-ca.crt
export JPKI_TERMINAL_CERT=$var/ca/terminal-131016.crt JPKI_TERMINAL_KEY=$var/ca/terminal-131016.key
terminal=${JPKI_TERMINAL:-$top/_build/jpki-terminal}
cards=$var/cards
mkdir -p "$cards"
# DEMO PINs, for a demonstration only: a real holder types them at the
# prompt (no echo) and they are never written down like this.
export JPKI_SIGN_PIN=DEMO2026 JPKI_AUTH_PIN=2026

step() { printf '\n== %s\n' "$*"; }
jt() {
	echo "\$ jpki-terminal $*" | sed "s#$var#\$VAR#g"
	"$terminal" "$@"
}
uuid() { grep -oEm1 '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'; }
card() {	# card RESIDENT: the resident's virtual card, made once
	[ -f "$cards/$1.card" ] || jt card new --card "$cards/$1.card" --resident "$1" >&2
	echo "$cards/$1.card"
}

if [ "${4:-}" = --visit2 ]; then
	app=${5:?application id}
	code=${6:?answer code}
	step "Voluntary proxy, second visit: the sealed answer form, the card, the proxy's passport (R13, R14)"
	jt answer "$app" "$code" --doc passport
	jt issue "$app" --card "$(card 13101600020)"
	exit 0
fi

step "1. 佐藤 健一 (adult, self): both certificates"
c=$(card 13101600001)
jt lookup 13101600001
app=$(jt apply 13101600001 --procedure issue --types sign,auth --applicant self | tee /dev/stderr | uuid)
jt issue "$app" --card "$c"
jt card show --card "$c"

step "2. 佐藤 陽葵 (10) with her father, the legal representative: AUTH only (R4, R13)"
c=$(card 13101600002)
REP=(--applicant legal_representative --name "佐藤 健一" --relationship 父
	--doc mynumber_card:applicant --authority same_household)
jt apply 13101600002 --types sign "${REP[@]}" || echo "(refused, as R4 says)"
app=$(jt apply 13101600002 --types auth "${REP[@]}" | tee /dev/stderr | uuid)
jt issue "$app" --card "$c" --types auth

step "3. 斎藤 大輔 through a voluntary proxy, first visit: an inquiry form to his address (R13)"
card 13101600020 > /dev/null
out=$(jt apply 13101600020 --types sign,auth --applicant voluntary_proxy --name "林 一郎" \
	--relationship 知人 --doc passport)
echo "$out"
p_app=$(echo "$out" | uuid)
p_code=$(echo "$out" | grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}' | tail -n1)
jt answer "$p_app" "$p_code" --doc passport || echo "(refused today, as R13 says: never same-day)"

step "4. 金 英哲 loses his card: both certificates revoked (R11), seen by openssl ocsp"
if [ -f "$cards/13101600018.card" ]; then
	echo "(already done in an earlier run: the card is reported lost)"
else
	c=$(card 13101600018)
	app=$(jt apply 13101600018 --types sign,auth | tee /dev/stderr | uuid)
	jt issue "$app" --card "$c"
	"$terminal" card show --card "$c" --type sign > "$cards/13101600018-sign.pem"
	"$terminal" card show --card "$c" --type auth > "$cards/13101600018-auth.pem"
	jt card-event --card "$c" lost
	for t in sign auth; do
		curl -s "$JPKI_TERMINAL_STATUS/ca/$t.crt" | openssl x509 -inform DER -out "$cards/$t-ca.pem"
		echo "\$ openssl ocsp -issuer $t-ca.pem -cert 13101600018-$t.pem -CAfile $t-ca.pem -url $JPKI_TERMINAL_STATUS/ocsp"
		openssl ocsp -issuer "$cards/$t-ca.pem" -cert "$cards/13101600018-$t.pem" \
			-CAfile "$cards/$t-ca.pem" -url "$JPKI_TERMINAL_STATUS/ocsp" 2>&1 | sed "s#$cards/##"
	done
fi

step "5. 佐藤 健一 forgot his SIGN password: locked after 5 tries (R16), reset at a kiosk with his AUTH PIN (R16a)"
c=$cards/13101600001.card
for i in 1 2 3 4 5; do
	JPKI_SIGN_PIN=WRONG0 jt card verify --card "$c" --type sign || true
done
JPKI_TERMINAL_CERT=$var/ca/kiosk.crt JPKI_TERMINAL_KEY=$var/ca/kiosk.key JPKI_NEW_PIN=DEMO2027 \
	jt kiosk pin-reset --card "$c" --type sign
JPKI_SIGN_PIN=DEMO2027 jt card verify --card "$c" --type sign
jt card show --card "$c"

cat <<NEXT

The proxy's second visit is refused today (R13: never same-day). On a later day:
  $0 $var $JPKI_TERMINAL_API $JPKI_TERMINAL_STATUS --visit2 $p_app $p_code
NEXT
