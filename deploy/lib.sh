# Shared by deploy/quickstart.sh, deploy/check.sh and tests/api/run.sh.
# Source it; functions only, no side effects at load time.

PGBIN=/usr/lib/postgresql/15/bin

# Debian 12 packages the build, the daemon and every test suite need.
JPKI_PACKAGES="build-essential autoconf automake libtool pkg-config
 libmicrohttpd-dev libgnutls28-dev libssl-dev libpq-dev libjansson-dev
 libsystemd-dev libp11-dev libinih-dev libargon2-dev liboath-dev oathtool
 libcurl4-openssl-dev check libjs-chart.js
 postgresql postgresql-client softhsm2 opensc gnutls-bin libnss3-tools openssl
 curl valgrind python3 python3-yaml python3-jsonschema systemd procps mandoc
 libjs-chart.js
 debhelper dpkg-dev lintian
 clang libclang-rt-14-dev"
# The browser tests of the console (tests/browser, deploy/check.sh): Debian's
# Chromium driven by playwright-core from npm, and Japanese fonts for the
# screenshots. Node.js >= 20 with npm (nodejs, or Debian's nodejs + npm when
# the machine has no node at all; playwright-core needs 20).
JPKI_BROWSER_PACKAGES="chromium fonts-noto-cjk"
command -v node >/dev/null 2>&1 || JPKI_BROWSER_PACKAGES="$JPKI_BROWSER_PACKAGES nodejs npm"

jpki_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# apt-get only what is missing, so a second run is fast and offline-safe.
# jpki_install_packages [PACKAGES]: default $JPKI_PACKAGES.
jpki_install_packages() {
	local missing="" p
	for p in ${1:-$JPKI_PACKAGES}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	jpki_log "installing:$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "run as root (apt-get install$missing)" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	# The postgresql package starts a system cluster we do not use.
	command -v pg_ctlcluster >/dev/null && pg_ctlcluster 15 main stop 2>/dev/null || true
}

# jpki_build SRCDIR BUILDDIR [configure args...]
jpki_build() {
	local src=$1 build=$2
	shift 2
	if [ ! -x "$src/configure" ] || [ "$src/configure.ac" -nt "$src/configure" ] ||
	   [ "$src/Makefile.am" -nt "$src/Makefile.in" ]; then
		jpki_log "autoreconf"
		(cd "$src" && autoreconf -fi) >/dev/null 2>&1 || (cd "$src" && autoreconf -fi)
	fi
	# An in-tree configure blocks out-of-tree builds: clean it (the build
	# directories of these scripts are _build*).
	if [ -f "$src/config.status" ] && [ "$(cd "$src" && pwd)" != "$(mkdir -p "$build" && cd "$build" && pwd)" ]; then
		jpki_log "cleaning the in-tree configuration of $src (make distclean)"
		make -C "$src" -s distclean >/dev/null 2>&1 || rm -f "$src/config.status"
	fi
	mkdir -p "$build"
	if [ ! -f "$build/Makefile" ] || [ "$src/configure" -nt "$build/Makefile" ] ||
	   [ "$*" != "$(cat "$build/.jpki-configure-args" 2>/dev/null)" ]; then
		jpki_log "configure $*"
		(cd "$build" && "$src/configure" -q "$@") || return 1
		printf '%s' "$*" > "$build/.jpki-configure-args"
	fi
	jpki_log "make"
	make -C "$build" -j"$(nproc)" -s >/dev/null || make -C "$build" -j1
}

# A free TCP port on 127.0.0.1, starting the search at $1.
jpki_free_port() {
	local p=${1:-20000}
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

jpki_as_pg() { runuser -u postgres -- "$@"; }

# A free port for a private cluster, from a random base in 54330-56329:
# clusters set up at once (check.sh runs several suites side by side) must
# not pick the same one; clear of the suites' jpkid ports.
jpki_pg_free_port() { jpki_free_port $((54330 + RANDOM % 2000)); }

# jpki_pg_init DIR: a private cluster in DIR (owned by postgres, 0700),
# listening on a Unix socket in DIR and on 127.0.0.1:PORT (saved in DIR/port).
# Local socket: trust, protected by the directory's mode; TCP: scram with the
# generated password in DIR/password (0600).
jpki_pg_init() {
	local dir=$1 port
	if [ -f "$dir/data/PG_VERSION" ]; then
		return 0
	fi
	mkdir -p "$dir"
	chown postgres: "$dir"
	chmod 0700 "$dir"
	if ! jpki_as_pg test -w "$dir"; then
		echo "the postgres user cannot reach $dir: a parent directory is not" \
		     "searchable by others (chmod o+x it)" >&2
		return 1
	fi
	head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/password"
	chown postgres: "$dir/password"
	chmod 0600 "$dir/password"
	jpki_as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/password" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
	port=$(jpki_pg_free_port)
	echo "$port" > "$dir/port"
	cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
fsync = on
max_connections = 100
CONF
}

# Something accepts TCP connections on 127.0.0.1:PORT.
jpki_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# jpki_pg_start DIR [PORT]: start (if not running) and wait until it accepts.
# Without PORT it listens on DIR/port, or on the next free one when that is
# taken. With PORT it listens exactly there (a running cluster on another
# port is restarted) and fails, starting nothing, when PORT is taken.
jpki_pg_start() {
	local dir=$1 want=${2:-} port
	port=$(cat "$dir/port")
	if jpki_as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		[ -z "$want" ] || [ "$want" = "$port" ] && return 0
		jpki_pg_stop "$dir"
	fi
	if [ -n "$want" ]; then
		if jpki_port_busy "$want"; then
			echo "port $want on 127.0.0.1 is in use" >&2
			return 1
		fi
		port=$want
	elif jpki_port_busy "$port"; then
		# The port may have been taken since init: pick another.
		port=$(jpki_pg_free_port)
	fi
	local tries
	for ((tries = 0; ; tries++)); do
		if [ "$port" != "$(cat "$dir/port")" ]; then
			echo "$port" > "$dir/port"
			sed -i "s/^port = .*/port = $port/" "$dir/data/postgresql.conf"
		fi
		: > "$dir/log.try"
		jpki_as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null \
			2>"$dir/log.try" && return 0
		# Another suite's server or listener took the port between the check
		# and the bind (check.sh runs several at once): another one, unless
		# the caller asked for exactly this port.
		if [ -z "$want" ] && [ "$tries" -lt 5 ] &&
		    tail -n 20 "$dir/log" 2>/dev/null | grep -q 'could not bind.*Address already in use\|could not create any TCP/IP sockets'; then
			port=$(jpki_pg_free_port)
			continue
		fi
		# Say why (shared memory, the disk, ...).
		cat "$dir/log.try" >&2
		echo "PostgreSQL in $dir did not start; the end of $dir/log:" >&2
		tail -n 15 "$dir/log" 2>/dev/null | sed 's/^/  /' >&2
		return 1
	done
}

jpki_pg_stop() {
	local dir=$1
	[ -f "$dir/data/PG_VERSION" ] || return 0
	jpki_as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# psql as the superuser over the socket: jpki_psql DIR DB [psql args...]
jpki_psql() {
	local dir=$1 db=$2
	shift 2
	psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$(cat "$dir/port")" -U postgres -d "$db" "$@"
}

# jpki_pg_createdb DIR [DB]: the login role jpkid (what jpkid connects as)
# and the database DB (default jpkid) once. The database and its schema
# belong to the superuser, who runs the migrations: jpkid gets only the rights
# of db/migrations/0013_runtime_grants.sql (jpki_pg_grant), never CREATE.
# A database made by an older version (owned by jpkid) is given back.
jpki_pg_createdb() {
	local dir=$1 db=${2:-jpkid}
	jpki_psql "$dir" postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'jpkid'" |
		grep -q 1 || jpki_psql "$dir" postgres -c "CREATE ROLE jpkid LOGIN"
	jpki_psql "$dir" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" |
		grep -q 1 || jpki_psql "$dir" postgres -c "CREATE DATABASE $db OWNER postgres"
	if [ "$(jpki_psql "$dir" postgres -tAc "SELECT pg_get_userbyid(datdba) FROM pg_database
	    WHERE datname = '$db'")" = jpkid ]; then
		jpki_psql "$dir" postgres -c "ALTER DATABASE $db OWNER TO postgres"
	fi
}

# jpki_pg_grant DIR [DB] [ROLE]: after the migrations, give ROLE (default
# jpkid) the runtime rights again (idempotent; 0013 does it when it runs).
jpki_pg_grant() {
	jpki_psql "$1" "${2:-jpkid}" -tAc "SELECT jpki_grant_runtime('${3:-jpkid}')" >/dev/null
}

# The conninfo of jpkid: the role jpkid over the cluster's socket.
jpki_pg_conninfo() {	# DIR [DB] [USER]
	echo "host=$1 port=$(cat "$1/port") user=${3:-jpkid} dbname=${2:-jpkid}"
}

# jpki_write_config FILE CADIR CONNINFO API_PORT STATUS_PORT [CONSOLE_PORT]
jpki_write_config() {
	local file=$1 ca=$2 conninfo=$3 api=$4 status=$5 console=${6:-}
	cat > "$file" <<CONF
# written by deploy/lib.sh (jpki_write_config); every key: deploy/jpkid.conf.example
[daemon]
log_level = info
threads = 4
drain_timeout = 10
migrate = true

[api]
listen = 127.0.0.1:$api
tls_cert = $ca/server.crt
tls_key = $ca/server.key
client_ca = $ca/client-ca.crt

[status]
listen = 127.0.0.1:$status

[database]
conninfo = $conninfo
pool_size = 4
borrow_timeout_ms = 2000

[ca.sign]
cert = $ca/sign-ca.crt
key = $ca/sign-ca.key

[ca.auth]
cert = $ca/auth-ca.crt
key = $ca/auth-ca.key

[ocsp.sign]
cert = $ca/sign-ocsp.crt
key = $ca/sign-ocsp.key

[ocsp.auth]
cert = $ca/auth-ocsp.crt
key = $ca/auth-ocsp.key
CONF
	# R13 answer-code key (jpkictl init makes answer.key; a CA directory made
	# before it gets one here; without it voluntary proxy applications are
	# refused with 503).
	[ -f "$ca/answer.key" ] || (umask 077 && openssl rand -hex 32 > "$ca/answer.key")
	printf '\n[issuance]\nanswer_key = %s\n' "$ca/answer.key" >> "$file"
	# R16a PIN reset authority (optional; jpkictl init makes one).
	[ -f "$ca/pinreset.crt" ] && printf '\n[pinreset]\ncert = %s\nkey = %s\n' \
		"$ca/pinreset.crt" "$ca/pinreset.key" >> "$file"
	# Operator console (HTTPS, password + TOTP; docs/operators.md), serving
	# the dashboard files of this source tree (the repo top above deploy/).
	[ -n "$console" ] && printf '\n[console]\nlisten = 127.0.0.1:%s\ndashboard_dir = %s/dashboard\n' \
		"$console" "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" >> "$file"
	# Audit checkpoint key (optional; jpkictl init makes one).
	[ -f "$ca/audit.crt" ] && printf '\n[audit]\ncert = %s\nkey = %s\n' \
		"$ca/audit.crt" "$ca/audit.key" >> "$file"
	chmod 0600 "$file"
}
