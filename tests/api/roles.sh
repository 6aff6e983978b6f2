# Section "roles" of tests/api/run.sh (last): the role matrix. Three
# operators with minted client certificates, one per role; every route of
# api/router.c with a min_role, read from the table itself: each mutating
# route (POST/PUT/PATCH/DELETE) for each role answers 403 naming exactly
# the route's min_role when the role ranks below it, and something else
# otherwise; every GET operator route likewise (a viewer's GET of a viewer
# route is not 403; GET /v1/operators needs admin). The bodies
# are harmless (an unknown member, placeholder ids that do not exist).

mkdir -p "$work/roles"
printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' > "$work/roles/ext.cnf"
for role in viewer officer admin; do
	openssl req -new -newkey rsa:2048 -nodes -keyout "$work/roles/$role.key" \
		-out "$work/roles/$role.csr" -subj "/C=JP/O=jpkid test/CN=operator-$role" 2>/dev/null
	openssl x509 -req -in "$work/roles/$role.csr" -CA "$ca/client-ca.crt" -CAkey "$ca/client-ca.key" \
		-CAcreateserial -days 30 -extfile "$work/roles/ext.cnf" -out "$work/roles/$role.crt" 2>/dev/null
	"$jpkictl" enroll --db "$conninfo" --kind operator --name "roles-$role" "$work/roles/$role.crt" \
		>> "$work/roles/enroll.out" 2>&1
	st_db "UPDATE operators SET role = '$role' WHERE username = 'roles-$role'" >/dev/null
done
expect test_roles_three_operators_enrolled eval '[ "$(st_db "SELECT string_agg(role, '\'','\'' ORDER BY role) FROM operators WHERE username LIKE '\''roles-%'\'' AND enabled")" = admin,officer,viewer ]'

# METHOD PATTERN MIN_ROLE of every operator route with a min_role, from the table.
$PY - "$top/api/router.c" > "$work/roles/routes" <<'PYEOF'
import re, sys
src = open(sys.argv[1]).read()
table = src[src.index("static const struct route routes[]"):]
table = table[:table.index("\n};")]
table = re.sub(r"/\*.*?\*/", "", table, flags=re.S)
row = re.compile(r'\{\s*(LISTENER_[A-Z_ |]+),\s*"([A-Z]+)",\s*"([^"]+)",\s*([A-Z_ |0]+),\s*(NULL|"[a-z]+"),\s*\w+,\s*"[^"]*"\s*\}')
for m in row.finditer(table):
    listeners, method, pattern, principals, role = m.groups()
    if role == "NULL" or "STATUS" in listeners and "OPS" not in listeners and "API" not in listeners:
        continue
    if "PRINCIPAL_OPERATOR" not in principals and "PRINCIPAL_ANY" not in principals:
        continue
    print(method, pattern, role.strip('"'))
PYEOF
expect test_roles_route_table_parsed eval '[ "$(wc -l < "$work/roles/routes")" -ge 20 ] && grep -q "^POST /v1/operators admin$" "$work/roles/routes" && grep -q "^GET /v1/operators admin$" "$work/roles/routes" && grep -q "^POST /v1/certificates/{serial}/revoke officer$" "$work/roles/routes"'

roles_rank() { case $1 in viewer) echo 1 ;; officer) echo 2 ;; admin) echo 3 ;; *) echo 0 ;; esac; }
# A concrete path for a pattern: placeholders that name nothing that exists.
roles_path() {
	echo "$1" | sed -e 's/{serial}/7fffffffffffffff01/g' -e 's/{card_number}/R0LES0000000/g' \
		-e 's/{code}/999999/g' -e 's/{day}/1999-01-01/g' -e 's/{type}/sign/g' \
		-e 's/{file}/none.crl/g' -e 's/{request\*}/AAAA/g' -e 's/{[a-z_]*}/999999999/g'
}
while read -r method pattern min; do
	path=$(roles_path "$pattern")
	slug=$(printf '%s' "$pattern" | tr -c 'A-Za-z0-9' '_' | sed 's/__*/_/g; s/_$//')
	case $method in
	GET)
		# Reads are for every role from min_role up (GET /v1/operators: admin).
		for role in viewer officer admin; do
			[ "$role" = viewer ] || [ "$min" != viewer ] || continue
			call GET "$API$path" --cacert "$ca/client-ca.crt" --cert "$work/roles/$role.crt" \
				--key "$work/roles/$role.key"
			if [ "$(roles_rank "$role")" -lt "$(roles_rank "$min")" ]; then
				expect "test_roles_${role}_GET${slug}_403_needs_$min" eval 'is_problem 403 && jq_eq .required_role "$min"'
			else
				expect "test_roles_${role}_GET${slug}_not_403" eval '[ "$STATUS" != 403 ] && [ "$STATUS" != 000 ]'
			fi
		done
		;;
	*)
		for role in viewer officer admin; do
			call "$method" "$API$path" --cacert "$ca/client-ca.crt" --cert "$work/roles/$role.crt" \
				--key "$work/roles/$role.key" -H 'Content-Type: application/json' \
				--data-binary '{"__roles_probe":true}'
			if [ "$(roles_rank "$role")" -lt "$(roles_rank "$min")" ]; then
				expect "test_roles_${role}_${method}${slug}_403_needs_$min" eval 'is_problem 403 && jq_eq .required_role "$min"'
			else
				expect "test_roles_${role}_${method}${slug}_allowed" eval '[ "$STATUS" != 403 ] && [ "$STATUS" != 000 ]'
			fi
		done
		;;
	esac
done < "$work/roles/routes"
