#!/usr/bin/env bash
# Demo register data check: generates deploy/demo/residents.py's SQL and
# NDJSON, loads the SQL into a throwaway PostgreSQL database migrated by
# jpkictl, and checks what deploy/demo/README.md promises (counts, the mix,
# the showcase residents), that the generator is deterministic and that
# loading twice changes nothing.
#
# usage: tests/demo/check_demo.sh BUILDDIR      (BUILDDIR holds jpkictl; run as root)
# Prints "ok - NAME" / "not ok - NAME" per test and "N passed, N failed" last.
# shellcheck disable=SC2016,SC2034,SC2317  # conditions are eval'd strings
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: check_demo.sh BUILDDIR}" && pwd)
jpkictl=$build/jpkictl
gen=$top/deploy/demo/residents.py
PY=/usr/bin/python3
TODAY=2026-11-21

work=$(mktemp -d /tmp/jpkid-demo.XXXXXX)
chmod 0755 "$work"
pg=$work/pg
passed=0
failed=0

cleanup() {
	jpki_pg_stop "$pg"
	rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1${2:+: $2}"; failed=$((failed + 1)); }
# expect NAME CONDITION-COMMAND... : pass when the command succeeds.
expect() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "$*"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# ---------------------------------------------------------------- generator
"$PY" "$gen" > "$work/a.sql" 2>"$work/gen.err" || { cat "$work/gen.err"; not_ok test_generator_runs; finish; }
"$PY" "$gen" > "$work/b.sql"
"$PY" "$gen" --ndjson > "$work/a.ndjson"
"$PY" "$gen" --ndjson > "$work/b.ndjson"
expect test_generator_runs test -s "$work/a.sql"
expect test_sql_output_is_byte_identical_across_runs cmp -s "$work/a.sql" "$work/b.sql"
expect test_ndjson_output_is_byte_identical_across_runs cmp -s "$work/a.ndjson" "$work/b.ndjson"
expect test_sql_is_one_transaction eval '
	[ "$(grep -c "^BEGIN;$" "$work/a.sql")" = 1 ] && [ "$(tail -n1 "$work/a.sql")" = "COMMIT;" ]'
expect test_every_insert_is_idempotent eval '
	[ "$(grep -c "^INSERT INTO" "$work/a.sql")" = "$(grep -c "^ON CONFLICT (\(resident_code\|card_number\)) DO NOTHING;$" "$work/a.sql")" ]'

# The NDJSON is the register feed's form of the same residents.
ndjson_check() {
	"$PY" - "$work/a.ndjson" <<'EOF'
import json, re, sys
keys = ["resident_code", "municipality_code", "family_name", "given_name",
	"family_name_kana", "given_name_kana", "former_surname", "alias",
	"family_name_substitute", "given_name_substitute", "address_substitute",
	"birth_date", "sex", "address", "adult_ward", "status"]
required = {"resident_code", "municipality_code", "family_name", "given_name",
	"birth_date", "sex", "address", "adult_ward", "status"}
codes = set()
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
	n += 1
	o = json.loads(line)
	assert list(o) == [k for k in keys if k in o], ("key order", o)
	assert required <= set(o), ("missing keys", o)
	assert None not in o.values(), ("null value", o)
	assert isinstance(o["adult_ward"], bool), o
	assert re.fullmatch(r"[0-9]{11}", o["resident_code"]), o
	assert o["resident_code"].startswith(o["municipality_code"]), o
	assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", o["birth_date"]), o
	assert o["resident_code"] not in codes, ("duplicate", o["resident_code"])
	codes.add(o["resident_code"])
assert n == 1000, n
EOF
}
expect test_ndjson_has_1000_unique_residents_with_feed_keys ndjson_check
expect test_count_option eval '[ "$("$PY" "$gen" --count 200 --ndjson | wc -l)" = 200 ]'
expect test_smaller_count_is_a_subset eval '
	"$PY" "$gen" --count 300 --ndjson > "$work/c.ndjson" && ! grep -vxFf "$work/a.ndjson" "$work/c.ndjson" >/dev/null'
expect test_count_option_keeps_showcase eval '
	"$PY" "$gen" --count 200 --ndjson > "$work/d.ndjson" && grep -q "\"resident_code\":\"13101600024\"" "$work/d.ndjson"'

# Names and addresses (R20): everything is representable in JIS X 0208/0212
# (glibc EUC-JP, as ca/charset.c) or has a representable substitute, except
# the one resident kept without a substitute (13101600012).
r20_check() {
	"$PY" - "$work/a.ndjson" <<'EOF'
import json, subprocess, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
vals = []
for o in rows:
	for k in ("family_name", "given_name", "former_surname", "alias", "address",
			"family_name_substitute", "given_name_substitute", "address_substitute"):
		if k in o:
			vals.append(o[k])
text = "\n".join(vals) + "\n"
# iconv -c drops what EUC-JP cannot hold; a round trip shows which values lost characters.
enc = subprocess.run(["iconv", "-c", "-f", "UTF-8", "-t", "EUC-JP"], input=text.encode(),
	capture_output=True).stdout
back = subprocess.run(["iconv", "-f", "EUC-JP", "-t", "UTF-8"], input=enc,
	capture_output=True, check=True).stdout.decode()
ok = {}
for v, w in zip(vals, back.split("\n")):
	ok[v] = (v == w) and not any(0xFF61 <= ord(c) <= 0xFF9F for c in v)
bad = []
for o in rows:
	for k, s in (("family_name", "family_name_substitute"), ("given_name", "given_name_substitute"),
			("address", "address_substitute"), ("former_surname", None), ("alias", None)):
		if k not in o or ok[o[k]]:
			continue
		if s and s in o and ok[o[s]]:
			continue
		bad.append((o["resident_code"], k))
for o in rows:
	for s in ("family_name_substitute", "given_name_substitute", "address_substitute"):
		if s in o and not ok[o[s]]:
			bad.append((o["resident_code"], s))
assert bad == [("13101600012", "family_name")], bad
EOF
}
expect test_r20_everything_representable_or_substituted_but_one r20_check

# ---------------------------------------------------------------- database
if ! { jpki_pg_init "$pg" && jpki_pg_start "$pg"; } >"$work/pg.out" 2>&1; then
	cat "$work/pg.out"
	not_ok setup_postgresql
	finish
fi
jpki_pg_createdb "$pg" jpkid >/dev/null
conninfo="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid"
expect setup_jpkictl_migrate eval '"$jpkictl" migrate --db "$conninfo" > "$work/migrate.out" 2>&1 ||
	{ cat "$work/migrate.out" >&2; false; }'
expect setup_municipalities jpki_psql "$pg" jpkid -f "$top/deploy/demo/municipalities.sql"
expect test_sql_loads_with_every_check_passing eval 'jpki_psql "$pg" jpkid -f "$work/a.sql" >"$work/load1.out" 2>&1 ||
	{ cat "$work/load1.out" >&2; false; }'

q() { jpki_psql "$pg" jpkid -tAc "$1"; }
# is NAME SQL EXPECTED: the query's single value equals EXPECTED.
is() {
	local got
	got=$(q "$2" 2>&1)
	if [ "$got" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$got', want '$3'"; fi
}
# holds NAME SQL-BOOLEAN-EXPRESSION
holds() { is "$1" "SELECT ($2)" t; }

q "CREATE VIEW demo_cards AS
	SELECT c.*, r.municipality_code, r.status AS resident_status,
	    (c.card_family_name, c.card_given_name, c.card_former_surname, c.card_alias,
	     c.card_birth_date, c.card_sex, c.card_address) IS NOT DISTINCT FROM
	    (r.family_name, r.given_name, r.former_surname, r.alias,
	     r.birth_date, r.sex, r.address) AS matches,
	    (c.card_family_name, c.card_given_name, c.card_former_surname, c.card_alias,
	     c.card_birth_date, c.card_sex) IS NOT DISTINCT FROM
	    (r.family_name, r.given_name, r.former_surname, r.alias,
	     r.birth_date, r.sex) AS matches_but_address
	FROM cards c JOIN residents r USING (resident_code)" >/dev/null
act="kind = 'mynumber' AND status = 'active'"
ncards=$(sed -n '2s/^-- (\([0-9]*\) residents, \([0-9]*\) cards.*/\2/p' "$work/a.sql")

is test_resident_count "SELECT count(*) FROM residents" 1000
is test_card_count_equals_generated "SELECT count(*) FROM cards" "$ncards"
holds test_most_residents_hold_an_active_card "(SELECT count(DISTINCT resident_code) FROM cards WHERE $act) >= 900"
is test_every_municipality_has_residents "SELECT count(*) FROM municipalities m
	WHERE (SELECT count(*) FROM residents r WHERE r.municipality_code = m.code) >= 50" 4
is test_resident_code_is_municipality_prefix_and_sequence "SELECT count(*) FROM residents
	WHERE resident_code !~ ('^' || municipality_code || '[0-9]{5}\$')" 0
is test_card_numbers_match_kind "SELECT count(*) FROM cards
	WHERE NOT (kind = 'mynumber' AND card_number ~ '^[1-9][0-9]{11}\$' OR kind = 'juki')" 0

# The mix
holds test_minors_under_15_about_12_percent "(SELECT count(*) FROM residents
	WHERE birth_date > DATE '$TODAY' - interval '15 years') BETWEEN 100 AND 160"
holds test_some_aged_15_to_17 "(SELECT count(*) FROM residents
	WHERE birth_date <= DATE '2011-11-21' AND birth_date > DATE '2008-11-21') >= 10"
holds test_elderly_65_and_over "(SELECT count(*) FROM residents WHERE birth_date <= DATE '1961-11-21') >= 150"
holds test_births_in_the_1930s "(SELECT count(*) FROM residents WHERE birth_date < DATE '1940-01-01') >= 3"
holds test_a_taisho_era_birth "(SELECT count(*) FROM residents WHERE birth_date < DATE '1926-12-25') >= 1"
holds test_adult_wards_at_least_5 "(SELECT count(*) FROM residents WHERE adult_ward) >= 5"
is test_adult_wards_are_adults "SELECT count(*) FROM residents
	WHERE adult_ward AND birth_date > DATE '2008-11-21'" 0
holds test_29_february_births_at_least_3 "(SELECT count(*) FROM residents
	WHERE extract(month FROM birth_date) = 2 AND extract(day FROM birth_date) = 29) >= 3"
holds test_residents_with_substitutes_at_least_3 "(SELECT count(*) FROM residents
	WHERE family_name_substitute IS NOT NULL OR given_name_substitute IS NOT NULL
	   OR address_substitute IS NOT NULL) >= 3"
holds test_each_substitute_kind_present "(SELECT count(*) FILTER (WHERE family_name_substitute IS NOT NULL) > 0
	AND count(*) FILTER (WHERE given_name_substitute IS NOT NULL) > 0
	AND count(*) FILTER (WHERE address_substitute IS NOT NULL) > 0 FROM residents)"
is test_one_resident_with_u20bb7_and_no_substitute "SELECT string_agg(resident_code, ',') FROM residents
	WHERE (family_name || given_name) LIKE '%𠮷%' AND family_name_substitute IS NULL
	  AND given_name_substitute IS NULL" 13101600012
holds test_removed_present "(SELECT count(*) FROM residents WHERE status = 'removed') >= 1"
holds test_deceased_present "(SELECT count(*) FROM residents WHERE status = 'deceased') >= 1"
holds test_former_surnames_present "(SELECT count(*) FROM residents WHERE former_surname IS NOT NULL) >= 3"
holds test_foreign_aliases_present "(SELECT count(*) FROM residents WHERE alias IS NOT NULL) >= 3"
holds test_latin_names_present "(SELECT count(*) FROM residents WHERE family_name ~ '^[A-Z ]+\$') >= 3"
holds test_single_name_present "(SELECT count(*) FROM residents WHERE given_name = '') >= 1"
holds test_sex_9_present "(SELECT count(*) FROM residents WHERE sex = '9') >= 1"
is test_kana_is_katakana "SELECT count(*) FROM residents
	WHERE family_name_kana !~ '^[ァ-ヶー　]+\$' OR given_name_kana !~ '^[ァ-ヶー　]*\$'" 0
is test_addresses_full_width_no_postcode "SELECT count(*) FROM residents r JOIN municipalities m
	ON m.code = r.municipality_code
	WHERE r.address ~ '[0-9〒]' OR r.address NOT LIKE m.prefecture || m.name || '%'
	   OR char_length(r.address) > 200" 0

# Cards
holds test_juki_card_present "(SELECT count(*) FROM cards WHERE kind = 'juki'
	AND expires_on > DATE '$TODAY' AND card_number ~ '^[0-9A-Z]{1,16}\$') >= 1"
holds test_card_mismatch_present "(SELECT count(*) FROM demo_cards WHERE $act AND NOT matches) >= 3"
is test_card_mismatches_are_addresses_only "SELECT count(*) FROM demo_cards
	WHERE $act AND NOT matches_but_address" 0
is test_expired_active_card_is_13101600008_only "SELECT string_agg(resident_code, ',') FROM cards
	WHERE $act AND expires_on < DATE '$TODAY'" 13101600008
holds test_lost_card_present "(SELECT count(*) FROM cards WHERE status = 'lost') >= 1"
holds test_reissued_card_with_new_active_card "(SELECT count(*) FROM cards o JOIN cards n
	USING (resident_code) WHERE o.status = 'reissued' AND n.status = 'active'
	AND n.kind = 'mynumber' AND n.issued_on > o.issued_on) >= 1"
holds test_residents_without_any_card "(SELECT count(*) FROM residents r
	WHERE NOT EXISTS (SELECT 1 FROM cards c WHERE c.resident_code = r.resident_code)) >= 3"
holds test_cards_expiring_within_3_months "(SELECT count(*) FROM cards WHERE $act
	AND expires_on BETWEEN DATE '$TODAY' AND DATE '2027-02-21') >= 5"
is test_cards_issued_after_birth_and_before_today "SELECT count(*) FROM demo_cards
	WHERE issued_on <= card_birth_date OR issued_on > DATE '$TODAY'
	   OR (kind = 'mynumber' AND issued_on < DATE '2016-01-01')" 0

# Card validity: to the 10th birthday after the issue date (18 or over on it),
# otherwise the 5th; a 29 February birthday is 28 February in common years.
expiry_check() {
	q "SELECT resident_code, birth_date, issued_on, expires_on FROM residents
		JOIN cards USING (resident_code) WHERE kind = 'mynumber'" > "$work/expiry.txt" &&
	"$PY" - "$work/expiry.txt" <<'EOF'
import datetime, sys
def anniv(b, y, reach):
	try:
		return b.replace(year=y)
	except ValueError:
		return datetime.date(y, 3, 1) if reach else datetime.date(y, 2, 28)
bad = []
for line in open(sys.argv[1]):
	code, b, i, e = line.strip().split("|")
	b, i, e = (datetime.date.fromisoformat(x) for x in (b, i, e))
	age = i.year - b.year - (i < anniv(b, i.year, True))
	y = i.year
	while anniv(b, y, False) <= i:
		y += 1
	want = anniv(b, y + (10 if age >= 18 else 5) - 1, False)
	if e != want:
		bad.append((code, str(e), str(want)))
assert not bad, bad[:5]
EOF
}
expect test_card_expiry_is_10th_or_5th_birthday_after_issue expiry_check

# ---------------------------------------------------------------- showcase
# (deploy/demo/README.md)
r() { echo "(SELECT $2 FROM residents WHERE resident_code = '$1')"; }
card1() { echo "(SELECT $2 FROM demo_cards WHERE resident_code = '$1' AND $act)"; }
valid_card() {	# one active matching My Number card, valid today
	card1 "$1" "count(*) = 1 AND bool_and(matches) AND bool_and(expires_on >= DATE '$TODAY')"
}
ordinary() {	# registered adult, not a ward, valid matching card
	echo "$(r "$1" "status = 'registered' AND NOT adult_ward AND birth_date <= DATE '2008-11-21'") AND $(valid_card "$1")"
}
holds test_showcase_13101600001_adult_self "$(ordinary 13101600001) AND $(card1 13101600001 "min(expires_on)") = DATE '2032-05-14'"
holds test_showcase_13101600002_minor_age_10_with_parent "$(r 13101600002 "birth_date") = DATE '2016-04-02'
	AND $(r 13101600002 address) = $(r 13101600001 address) AND $(valid_card 13101600002)"
holds test_showcase_13101600003_turns_15_today "$(r 13101600003 birth_date) = DATE '2011-11-21' AND $(valid_card 13101600003)"
holds test_showcase_13101600004_turns_15_tomorrow "$(r 13101600004 birth_date) = DATE '2011-11-22' AND $(valid_card 13101600004)"
holds test_showcase_13101600005_adult_ward "$(r 13101600005 "adult_ward AND status = 'registered'") AND $(valid_card 13101600005)"
holds test_showcase_13101600006_born_29_february "$(r 13101600006 birth_date) = DATE '1988-02-29'
	AND $(valid_card 13101600006) AND $(card1 13101600006 "min(expires_on)") = DATE '2033-02-28'"
holds test_showcase_13101600007_card_expires_2027_01_20 "$(valid_card 13101600007) AND $(card1 13101600007 "min(expires_on)") = DATE '2027-01-20'"
holds test_showcase_13101600008_card_expired "$(card1 13101600008 "count(*) = 1 AND bool_and(matches) AND min(expires_on) = DATE '2026-10-31'")"
holds test_showcase_13101600009_card_lost "$(card1 13101600009 "count(*)") = 0
	AND (SELECT count(*) FROM cards WHERE resident_code = '13101600009' AND status = 'lost') = 1"
holds test_showcase_13101600010_card_address_differs "$(card1 13101600010 "count(*) = 1 AND bool_and(NOT matches AND matches_but_address)")"
holds test_showcase_13101600011_substitute_family_name "$(r 13101600011 "family_name = '𠮷田' AND family_name_substitute = '吉田'") AND $(valid_card 13101600011)"
holds test_showcase_13101600012_no_substitute "$(r 13101600012 "family_name = '𠮷川' AND family_name_substitute IS NULL") AND $(valid_card 13101600012)"
holds test_showcase_13101600013_removed "$(r 13101600013 "status = 'removed'") AND $(valid_card 13101600013)"
holds test_showcase_13101600014_juki_card_only "(SELECT count(*) = 1 AND bool_and(kind = 'juki' AND status = 'active'
	AND expires_on > DATE '$TODAY') FROM cards WHERE resident_code = '13101600014')"
holds test_showcase_13101600015_reissued_card "$(valid_card 13101600015) AND $(card1 13101600015 "min(issued_on)") = DATE '2026-11-10'
	AND (SELECT count(*) FROM cards WHERE resident_code = '13101600015' AND status = 'reissued') = 1"
holds test_showcase_13101600016_no_card "(SELECT count(*) FROM cards WHERE resident_code = '13101600016') = 0
	AND $(r 13101600016 "status = 'registered'")"
holds test_showcase_13101600017_former_surname "$(r 13101600017 "former_surname = '山口'") AND $(valid_card 13101600017)"
holds test_showcase_13101600018_foreign_alias "$(r 13101600018 "alias = '金田　英哲'") AND $(valid_card 13101600018)"
holds test_showcase_13101600019_voluntary_proxy_elderly "$(ordinary 13101600019)"
holds test_showcase_13101600020_voluntary_proxy_adult "$(ordinary 13101600020)"
holds test_showcase_13101600021_turned_15_yesterday "$(r 13101600021 birth_date) = DATE '2011-11-20' AND $(valid_card 13101600021)"
holds test_showcase_13101600022_deceased "$(r 13101600022 "status = 'deceased'")
	AND (SELECT bool_and(status = 'returned') FROM cards WHERE resident_code = '13101600022')"
holds test_showcase_13101600023_address_substitute "$(r 13101600023 "address LIKE '%𠮷野%' AND address_substitute = replace(address, '𠮷', '吉')")
	AND $(valid_card 13101600023)"
holds test_showcase_13101600024_family_and_given_substitutes "$(r 13101600024 "family_name = '髙橋' AND family_name_substitute = '高橋'
	AND given_name = '德子' AND given_name_substitute = '徳子'") AND $(valid_card 13101600024)"
holds test_showcase_13104100001_ordinary "$(ordinary 13104100001)"
holds test_showcase_13104100002_born_2000_02_29 "$(r 13104100002 birth_date) = DATE '2000-02-29' AND $(ordinary 13104100002)"
holds test_showcase_13104100003_born_2012_02_29 "$(r 13104100003 birth_date) = DATE '2012-02-29' AND $(valid_card 13104100003)"
holds test_showcase_13104100004_single_name_sex_9 "$(r 13104100004 "given_name = '' AND sex = '9'") AND $(valid_card 13104100004)"
holds test_showcase_13104100005_adult_ward "$(r 13104100005 adult_ward) AND $(valid_card 13104100005)"
holds test_showcase_14100300001_ordinary "$(ordinary 14100300001)"
holds test_showcase_14100300002_ordinary_former_surname "$(ordinary 14100300002) AND $(r 14100300002 "former_surname = '原田'")"
holds test_showcase_14100300003_born_1925 "$(r 14100300003 birth_date) = DATE '1925-04-08' AND $(valid_card 14100300003)"
holds test_showcase_14100300004_child "$(r 14100300004 "birth_date") = DATE '2019-07-14' AND $(r 14100300004 address) = $(r 14100300001 address)
	AND $(valid_card 14100300004)"
holds test_showcase_14130500001_ordinary "$(ordinary 14130500001)"
holds test_showcase_14130500002_ordinary "$(ordinary 14130500002)"

# ---------------------------------------------------------------- idempotence
before=$(q "SELECT (SELECT count(*) FROM residents) || '/' || (SELECT count(*) FROM cards)
	|| '/' || (SELECT max(updated_at) FROM residents)")
expect test_sql_loads_twice eval 'jpki_psql "$pg" jpkid -f "$work/a.sql" >"$work/load2.out" 2>&1 ||
	{ cat "$work/load2.out" >&2; false; }'
is test_second_load_changes_nothing "SELECT (SELECT count(*) FROM residents) || '/' || (SELECT count(*) FROM cards)
	|| '/' || (SELECT max(updated_at) FROM residents)" "$before"
is test_load_queues_no_register_changes "SELECT count(*) FROM register_changes" 0
expect test_smaller_count_loads_over_full_set eval '"$PY" "$gen" --count 300 |
	jpki_psql "$pg" jpkid >"$work/load3.out" 2>&1 || { cat "$work/load3.out" >&2; false; }'
is test_smaller_count_adds_nothing "SELECT (SELECT count(*) FROM residents) || '/' || (SELECT count(*) FROM cards)
	|| '/' || (SELECT max(updated_at) FROM residents)" "$before"

finish
