#!/usr/bin/env bash
# "A day at the counter" (README.md), scripted: the same five procedures with
# jpki-terminal and virtual cards, against the quickstart daemon
# (deploy/quickstart.sh) and its demo residents (deploy/demo/README.md).
# Each step prints the command and what the terminal answered.
#
# It runs at the other demo counter, 横浜市 (terminal-141003), for residents
# of its own: the 村上 family and 長谷川 ハル. So it never touches the
# README's 千代田区 residents or the cards made by hand (a second card of
# theirs would supersede their certificates, R9, and 金 英哲's lost card
# cannot be lost twice, R2), and it runs before or after the README's steps,
# and again on any day.
#
# usage: deploy/demo/counter_day.sh VARDIR API_URL STATUS_URL
#        deploy/demo/counter_day.sh VARDIR API_URL STATUS_URL --visit2 APPLICATION CODE
# The voluntary proxy's second visit (R13) is never on the day of the first:
# run the --visit2 form on a later day with the id and code printed.
# Cards are kept in VARDIR/cards/counter_day/<resident code>.card.
# JPKI_TERMINAL: the jpki-terminal binary (default _build/jpki-terminal).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
var=$(cd "${1:?usage: counter_day.sh VARDIR API_URL STATUS_URL}" && pwd)
export JPKI_TERMINAL_API=${2:?API_URL} JPKI_TERMINAL_STATUS=${3:?STATUS_URL}
export JPKI_TERMINAL_CACERT=$var/ca/client-ca.crt
export JPKI_TERMINAL_CERT=$var/ca/terminal-141003.crt JPKI_TERMINAL_KEY=$var/ca/terminal-141003.key
terminal=${JPKI_TERMINAL:-$top/_build/jpki-terminal}
cards=$var/cards/counter_day
mkdir -p "$cards"
# DEMO PINs, for a demonstration only: a real holder types them at the
# prompt (no echo) and they are never written down like this.
export JPKI_SIGN_PIN=DEMO2026 JPKI_AUTH_PIN=2026

KENTA=14100300001 AI=14100300002 HARU=14100300003 MINATO=14100300004

step() { printf '\n== %s\n' "$*"; }
jt() {
	echo "\$ jpki-terminal $*" | sed "s#$var#\$VAR#g"
	"$terminal" "$@"
}
uuid() { grep -oEm1 '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'; }
# register_card RESIDENT: the number of the resident's active My Number card
# in the register (empty when there is none: lost, R2).
register_card() {
	"$terminal" --json lookup "$1" | /usr/bin/python3 -c 'import json,sys
for c in json.load(sys.stdin)["resident"].get("cards", []):
    if c.get("kind") == "mynumber" and c.get("status") == "active": print(c["card_number"])'
}
# card RESIDENT: the virtual card of the resident's current card, made once.
# A card file of an earlier card (one the register no longer has active) is
# kept aside as RESIDENT-NUMBER.card.
card() {
	local f=$cards/$1.card number held
	number=$(register_card "$1")
	if [ -f "$f" ]; then
		held=$("$terminal" --json card show --card "$f" |
			/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["card_state"]["card_number"])')
		[ "$held" = "$number" ] && { echo "$f"; return; }
		mv "$f" "$cards/$1-$held.card"
	fi
	jt card new --card "$f" --resident "$1" >&2
	echo "$f"
}

if [ "${4:-}" = --visit2 ]; then
	app=${5:?application id}
	code=${6:?answer code}
	step "Voluntary proxy, second visit: the sealed answer form, the card, the proxy's passport (R13, R14)"
	jt answer "$app" "$code" --doc passport
	jt issue "$app" --card "$(card $HARU)"
	exit 0
fi

step "1. 村上 健太 (adult, self): both certificates"
c=$(card $KENTA)
jt lookup $KENTA
out=$(jt apply $KENTA --procedure issue --types sign,auth --applicant self)
echo "$out"
jt issue "$(echo "$out" | uuid)" --card "$c"
jt card show --card "$c"

step "2. 村上 湊 (7) with his father, the legal representative: AUTH only (R4, R13)"
c=$(card $MINATO)
REP=(--applicant legal_representative --name "村上 健太" --relationship 父
	--doc mynumber_card:applicant --authority same_household)
jt apply $MINATO --types sign "${REP[@]}" || echo "(refused, as R4 says)"
out=$(jt apply $MINATO --types auth "${REP[@]}")
echo "$out"
jt issue "$(echo "$out" | uuid)" --card "$c" --types auth

step "3. 長谷川 ハル (born 1925, 大正14年) through a voluntary proxy, first visit: an inquiry form to her address (R13)"
card $HARU > /dev/null
out=$(jt apply $HARU --types sign,auth --applicant voluntary_proxy --name "森 直人" \
	--relationship 知人 --doc passport)
echo "$out"
p_app=$(echo "$out" | uuid)
p_code=$(echo "$out" | grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}' | tail -n1)
jt answer "$p_app" "$p_code" --doc passport || echo "(refused today, as R13 says: never same-day)"

step "4. 村上 愛 loses her card: both certificates revoked (R11), seen by openssl ocsp"
if [ -z "$(register_card $AI)" ]; then
	echo "(skipped: her card is already reported lost, by an earlier run; the register has no active card of hers: R2)"
else
	c=$(card $AI)
	out=$(jt apply $AI --types sign,auth)
	echo "$out"
	jt issue "$(echo "$out" | uuid)" --card "$c"
	"$terminal" card show --card "$c" --type sign > "$cards/$AI-sign.pem"
	"$terminal" card show --card "$c" --type auth > "$cards/$AI-auth.pem"
	jt card-event --card "$c" lost
	for t in sign auth; do
		curl -s "$JPKI_TERMINAL_STATUS/ca/$t.crt" | openssl x509 -inform DER -out "$cards/$t-ca.pem"
		echo "\$ openssl ocsp -issuer $t-ca.pem -cert $AI-$t.pem -CAfile $t-ca.pem -url $JPKI_TERMINAL_STATUS/ocsp"
		openssl ocsp -issuer "$cards/$t-ca.pem" -cert "$cards/$AI-$t.pem" \
			-CAfile "$cards/$t-ca.pem" -url "$JPKI_TERMINAL_STATUS/ocsp" 2>&1 | sed "s#$cards/##"
	done
fi

step "5. 村上 健太 forgot his SIGN password: locked after 5 tries (R16), reset at a kiosk with his AUTH PIN (R16a)"
c=$(card $KENTA)
for _ in 1 2 3 4 5; do
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
