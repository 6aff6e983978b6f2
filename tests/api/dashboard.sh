# The dashboard files on the console listener (api/dashboard/static.c):
# the redirects, the page with its asset base, the versioned immutable
# assets (the bytes of dashboard/ and of Debian's Chart.js), validators,
# traversal attempts, the security headers of every console response, the
# routes being absent from the API and status listeners, and a jpkid whose
# dashboard_dir does not exist. Sourced by tests/api/run.sh.

db_csp="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
db_chart=/usr/share/javascript/chart.js/chart.min.js
db_get() {	# db_get BASE PATH [curl args]: a console GET without a session
	local base=$1 path=$2
	shift 2
	call GET "$base$path" --cacert "$ca/client-ca.crt" "$@"
}
# The three headers of every console response, exactly.
db_secure() {
	[ "$(header Content-Security-Policy)" = "$db_csp" ] || { echo "# CSP '$(header Content-Security-Policy)'" >&2; return 1; }
	[ "$(header X-Frame-Options)" = DENY ] && [ "$(header Referrer-Policy)" = no-referrer ]
}
db_sha32() { sha256sum "$1" | cut -c1-32; }

# ---------------------------------------------------------------- redirects
db_get "$CON" /
expect test_dashboard_root_302_to_dashboard eval '[ "$STATUS" = 302 ] && [ "$(header Location)" = /dashboard/ ] && conforms GET / && db_secure'
db_get "$CON" /dashboard
expect test_dashboard_without_slash_301 eval '[ "$STATUS" = 301 ] && [ "$(header Location)" = /dashboard/ ] && conforms GET /dashboard'

# ---------------------------------------------------------------- the page
db_get "$CON" /dashboard/
db_id=$(sed -n 's#.*"/dashboard/a/\([0-9a-f]\{16\}\)/app\.css".*#\1#p' "$work/body" | head -n1)
db_etag=$(header ETag)
cp "$work/body" "$work/db-index.html"
expect test_dashboard_page_html_with_asset_base eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = "text/html; charset=utf-8" ] &&
	conforms GET /dashboard/ && [ ${#db_id} = 16 ] && ! grep -qF "{{ASSET_BASE}}" "$work/body" &&
	grep -qF "src=\"/dashboard/a/$db_id/js/app.js\"" "$work/body" && grep -qF "src=\"/dashboard/a/$db_id/vendor/chart.js\"" "$work/body" &&
	[ "$(header Cache-Control)" = no-cache ]'
expect test_dashboard_page_security_headers db_secure
expect test_dashboard_page_strong_etag_of_its_bytes eval '[ "$db_etag" = "\"$(db_sha32 "$work/body")\"" ]'
db_get "$CON" /dashboard/ -H "If-None-Match: $db_etag"
expect test_dashboard_page_if_none_match_304 eval '[ "$STATUS" = 304 ] && [ ! -s "$work/body" ] && [ "$(header ETag)" = "$db_etag" ] && conforms GET /dashboard/ && db_secure'
db_get "$CON" /dashboard/ -H 'If-None-Match: "0123456789abcdef0123456789abcdef"'
expect test_dashboard_page_other_etag_200 eval '[ "$STATUS" = 200 ] && cmp -s "$work/body" "$work/db-index.html"'

# ---------------------------------------------------------------- assets
A=/dashboard/a/$db_id
db_get "$CON" "$A/app.css"
db_aetag=$(header ETag)
expect test_dashboard_asset_css_bytes_type_and_caching eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = "text/css; charset=utf-8" ] &&
	cmp -s "$work/body" "$top/dashboard/app.css" && conforms GET "$A/app.css" &&
	[ "$(header Cache-Control)" = "public, max-age=31536000, immutable" ] &&
	[ "$db_aetag" = "\"$(db_sha32 "$top/dashboard/app.css")\"" ] && db_secure'
db_get "$CON" "$A/app.css" -H "If-None-Match: $db_aetag"
expect test_dashboard_asset_if_none_match_304 eval '[ "$STATUS" = 304 ] && [ ! -s "$work/body" ] && conforms GET "$A/app.css"'
db_get "$CON" "$A/js/app.js"
expect test_dashboard_asset_module_in_subfolder eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = "text/javascript; charset=utf-8" ] &&
	cmp -s "$work/body" "$top/dashboard/js/app.js" && conforms GET "$A/js/app.js" && cc=$(header Cache-Control) &&
	[[ $cc == *immutable* ]] && [[ $cc == *max-age=31536000* ]]'
db_get "$CON" "$A/favicon.svg"
expect test_dashboard_asset_svg eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = image/svg+xml ] && cmp -s "$work/body" "$top/dashboard/favicon.svg" && conforms GET "$A/favicon.svg"'
db_get "$CON" "$A/vendor/chart.js"
expect test_dashboard_vendor_chartjs_is_debians eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = "text/javascript; charset=utf-8" ] &&
	cmp -s "$work/body" "$db_chart" && conforms GET "$A/vendor/chart.js"'
db_get "$CON" "$A/index.html"
expect test_dashboard_index_also_under_asset_prefix eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = "text/html; charset=utf-8" ] && cmp -s "$work/body" "$work/db-index.html"'
db_other=0000000000000000
[ "$db_id" = "$db_other" ] && db_other=ffffffffffffffff
db_get "$CON" "/dashboard/a/$db_other/app.css"
expect test_dashboard_wrong_set_id_404 eval 'is_problem 404 && conforms GET "/dashboard/a/$db_other/app.css" && jq_eq .type urn:jpkid:problem:not-found && db_secure'
db_get "$CON" "$A/no-such-file.js"
expect test_dashboard_unknown_file_404 eval 'is_problem 404 && conforms GET "$A/no-such-file.js"'
db_trav_ok=1
for p in "../../../etc/passwd" "../../../../../../etc/passwd" "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd" \
	"%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd" "..%2f..%2f..%2f..%2fetc%2fpasswd" "js/../app.css" "./app.css" \
	"%2e%2e/dashboard/index.html" "..%5c..%5cetc%5cpasswd" ".git/config"; do
	db_get "$CON" "$A/$p" --path-as-is
	if ! { is_problem 404 && ! grep -q "root:" "$work/body"; }; then
		echo "# $A/$p: $STATUS" >&2
		db_trav_ok=0
	fi
done
expect test_dashboard_traversal_never_reaches_the_file_system eval '[ $db_trav_ok = 1 ]'

call GET "$ST/metrics"
expect test_dashboard_metrics_route_label eval 'grep -q "^jpkid_http_requests_total{route=\"dashboard\",status=\"200\"} [1-9]" "$work/body" &&
	grep -q "^jpkid_http_requests_total{route=\"dashboard\",status=\"304\"} [1-9]" "$work/body"'

# ---------------------------------------------------------------- other listeners, other routes
db_get "$CON" /v1/session
expect test_dashboard_security_headers_on_console_json_route eval 'is_problem 401 && db_secure && [ "$(header Cache-Control)" = no-store ]'
db_get "$CON" /healthz
expect test_dashboard_healthz_on_console eval '[ "$STATUS" = 200 ] && conforms GET /healthz && jq_eq .status ok && db_secure'
db_get "$CON" /readyz
expect test_dashboard_readyz_on_console eval '[ "$STATUS" = 200 ] && conforms GET /readyz && jq_eq .ready true'
# shellcheck disable=SC2046
call GET "$API/dashboard/" $(tls operator)
expect test_dashboard_not_on_api_listener eval 'is_problem 404 && [ -z "$(header Content-Security-Policy)" ]'
# shellcheck disable=SC2046
call GET "$API$A/app.css" $(tls operator)
expect test_dashboard_assets_not_on_api_listener is_problem 404
call GET "$ST/dashboard/"
expect test_dashboard_not_on_status_listener eval 'is_problem 404 && [ -z "$(header Content-Security-Policy)" ]'
call GET "$ST/"
expect test_dashboard_root_not_on_status_listener is_problem 404

# ---------------------------------------------------------------- not installed
db_api=$(jpki_free_port $((api_port + 800 + RANDOM % 300)))
db_st=$(jpki_free_port $((db_api + 1)))
db_con=$(jpki_free_port $((db_st + 1)))
jpki_write_config "$work/db.conf" "$ca" "$conninfo" "$db_api" "$db_st" "$db_con"
printf '\n[console]\ndashboard_dir = %s\n' "$work/no-such-dashboard" >> "$work/db.conf"
start_jpkid "$work/db.conf" "$work/jpkid-db.log"
db_pid=$JPKID_PID
DC=https://127.0.0.1:$db_con
expect test_dashboard_missing_dir_daemon_starts eval 'wait_ready "http://127.0.0.1:$db_st" 30 &&
	[ "$(grep -c "dashboard not installed" "$work/jpkid-db.log")" = 1 ] && grep -qF "$work/no-such-dashboard" "$work/jpkid-db.log"'
db_get "$DC" /dashboard/
expect test_dashboard_not_installed_404 eval 'is_problem 404 && jq_eq .type urn:jpkid:problem:dashboard-not-installed && conforms GET /dashboard/ && db_secure'
db_get "$DC" "$A/app.css"
expect test_dashboard_not_installed_assets_404 eval 'is_problem 404 && jq_eq .type urn:jpkid:problem:dashboard-not-installed'
printf 'dashboard pass 42\n' > "$work/db-pw"
"$jpkictl" operator add db-view --role viewer --password-file "$work/db-pw" -c "$conf" >/dev/null 2>&1
call POST "$DC/v1/session" --cacert "$ca/client-ca.crt" -H "Origin: $DC" -H 'Content-Type: application/json' \
	--data-binary '{"username":"db-view","password":"dashboard pass 42"}'
db_tok=$(sed -n 's/^[Ss]et-[Cc]ookie: jpkid_session=\([^;]*\);.*/\1/p' "$work/hdrs" | head -n1)
expect test_dashboard_not_installed_login_works eval '[ "$STATUS" = 201 ] && [ -n "$db_tok" ] && db_secure'
db_get "$DC" /v1/session -H "Cookie: jpkid_session=$db_tok"
expect test_dashboard_not_installed_session_api_works eval '[ "$STATUS" = 200 ] && conforms GET /v1/session && jq_eq .operator.username db-view'
kill -TERM "$db_pid"
wait "$db_pid"
db_rc=$?
expect test_dashboard_missing_dir_daemon_clean_exit eval '[ $db_rc = 0 ]'
