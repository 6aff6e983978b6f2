#!/bin/bash
# tests/docs/check.sh: the documentation a clone carries against the code
# (issue 14): every problem type the daemon can send is in docs/problems.md
# and every entry there is one the code sends, with its status; every rule
# R1-R26 has its section in docs/rules.md, whose links name functions and
# tests that exist; nothing points outside the repository; every relative
# link in README.md and docs/*.md resolves.
#
# How the problem slugs are found (the python part below): the C files of
# api/, daemon/ and ca/ are read with comments removed, and the argument
# lists of every call of
#     api_problem(resp, status, TYPE, title, rule, ...)
#     problem_doc(resp, status, TYPE, title, rule, ...)      (api/problem.c)
#     policy_int_refuse(r, rule, SLUG, fmt, ...)             (ca/policy*.c)
# are split at top-level commas. The string literals of TYPE/SLUG outside
# nested parentheses are the slugs ("a ? "x" : "y"" gives both, a literal in
# strcmp(...) is not one). `.slug = "..."` initializers count too. A TYPE
# without a literal is dynamic: it must be one of DYNAMIC below, which are
# the places that pass a struct policy_refusal's slug on (its slugs come
# from policy_int_refuse or an initializer, so they are all found above).
# A new dynamic site fails the check until it is explained here.
#
# Usage: bash tests/docs/check.sh   (from anywhere; needs python3)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
self=tests/docs/check.sh
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check NAME FILE: ok when FILE is empty, else not ok with its lines.
check() {
	if [ ! -s "$2" ]; then
		echo "ok - $1"
		pass=$((pass + 1))
	else
		echo "not ok - $1"
		head -n 40 "$2" | sed 's/^/    /'
		n=$(wc -l <"$2")
		[ "$n" -gt 40 ] && echo "    ... ($n lines)"
		fail=$((fail + 1))
	fi
}

# The files a clone has: git's list, or (a dist tarball) every file.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files >"$tmp/files"
else
	find . -type f ! -path './_build*' ! -path './.git/*' | sed 's|^\./||' | sort >"$tmp/files"
fi

python3 - "$tmp" <<'EOF'
import re, sys, os, collections
tmp = sys.argv[1]
files = [l.strip() for l in open(os.path.join(tmp, 'files'))]

def strip_comments(s):
    out = []; i = 0; n = len(s)
    while i < n:
        c = s[i]
        if s.startswith('/*', i):
            j = s.find('*/', i + 2)
            out.append('\n' * s[i:j + 2].count('\n')); i = j + 2
        elif s.startswith('//', i):
            i = s.find('\n', i)
        elif c in '"\'':
            j = i + 1
            while s[j] != c:
                j += 2 if s[j] == '\\' else 1
            out.append(s[i:j + 1]); i = j + 1
        else:
            out.append(c); i += 1
    return ''.join(out)

def args_at(s, i):
    """s[i] == '(': the top-level arguments of the call."""
    depth = 0; args = []; cur = []; j = i
    while True:
        c = s[j]
        if c in '"\'':
            k = j + 1
            while s[k] != c:
                k += 2 if s[k] == '\\' else 1
            cur.append(s[j:k + 1]); j = k + 1; continue
        if c in '([{':
            depth += 1
            if depth > 1: cur.append(c)
        elif c in ')]}':
            depth -= 1
            if depth == 0:
                args.append(''.join(cur).strip()); return args
            cur.append(c)
        elif c == ',' and depth == 1:
            args.append(''.join(cur).strip()); cur = []
        else:
            cur.append(c)
        j += 1

def literals(a):
    prev = None
    while prev != a:
        prev = a; a = re.sub(r'\([^()]*\)', '', a)
    return re.findall(r'"((?:[^"\\]|\\.)*)"', a)

# (file, expression) of the known dynamic TYPE arguments.
DYNAMIC = {
    ('api/problem.c', 'type'),			# api_problem -> problem_doc
    ('api/counter/counter.c', 'r->slug'),	# counter_refuse: a policy refusal
    ('api/counter/pin_resets.c', 'r->slug'),	# refuse(): a policy refusal, 409
    ('api/revocation/card_events.c', 'r.slug'),	# policy_r11_card_event
    ('api/schedule/suspensions.c', 'r.slug'),	# policy_r19_window_ok
}
slugs = collections.defaultdict(set)	# slug -> literal statuses
rules = collections.defaultdict(set)	# slug -> literal rule ids
where = collections.defaultdict(list)
bad = []
for f in files:
    if not re.match(r'(api|daemon|ca)/.*\.c$', f): continue
    s = strip_comments(open(f, encoding='utf-8').read())
    for m in re.finditer(r'\b(api_problem|problem_doc|policy_int_refuse)\s*\(', s):
        fn = m.group(1)
        a = args_at(s, m.end() - 1)
        if a[0].startswith('struct'): continue		# the definition
        line = s.count('\n', 0, m.start()) + 1
        t = a[2]
        st = a[1] if fn != 'policy_int_refuse' else ''
        ru = literals(a[1] if fn == 'policy_int_refuse' else a[4])
        lits = literals(t)
        if not lits:
            if (f, t) not in DYNAMIC:
                bad.append(f'{f}:{line}: {fn} with a slug not a literal: {t}')
            continue
        for sl in lits:
            where[sl].append(f'{f}:{line}')
            rules[sl].update(x for x in ru if re.fullmatch(r'R[0-9]+[a-z]?', x))
            if re.fullmatch(r'[0-9]{3}', st): slugs[sl].add(st)
            else: slugs[sl]
    for m in re.finditer(r'\.slug\s*=\s*"([^"]*)"', s):
        slugs[m.group(1)]
        where[m.group(1)].append(f'{f}:{s.count(chr(10), 0, m.start()) + 1}')
with open(os.path.join(tmp, 'code_slugs'), 'w') as o:
    for sl in sorted(slugs):
        o.write(f"{sl}\t{' '.join(sorted(slugs[sl]))}\t{where[sl][0]}\t{' '.join(sorted(rules[sl]))}\n")
with open(os.path.join(tmp, 'dynamic'), 'w') as o:
    for b in bad: o.write(b + '\n')
EOF

# ---- problems.md ----
doc=docs/problems.md
: >"$tmp/out"
[ -f "$doc" ] || echo "$doc is missing" >"$tmp/out"
check "docs/problems.md exists" "$tmp/out"
check "every slug the code passes is a literal or a known dynamic site" "$tmp/dynamic"
grep -E '^### ' "$doc" 2>/dev/null | sed 's/^### *//; s/ *$//' | sort >"$tmp/doc_slugs"
cut -f1 "$tmp/code_slugs" | sort >"$tmp/code_names"
comm -23 "$tmp/code_names" "$tmp/doc_slugs" | while read -r s; do
	echo "$s ($(grep -P "^\Q$s\E\t" "$tmp/code_slugs" | cut -f3)) is not in $doc"
done >"$tmp/out"
check "every problem slug the code can emit is documented ($(wc -l <"$tmp/code_names") slugs)" "$tmp/out"
comm -13 "$tmp/code_names" "$tmp/doc_slugs" | sed "s/\$/ is documented but no code emits it/" >"$tmp/out"
check "every documented slug is emitted by the code" "$tmp/out"
uniq -d "$tmp/doc_slugs" | sed 's/$/ has two entries/' >"$tmp/out"
check "each slug has one entry" "$tmp/out"

# entry_check FIELD COLUMN PATTERN NAME: each entry has a "- **FIELD:**"
# line matching PATTERN, which names every value the code gives its slug
# in column COLUMN of code_slugs (2: literal statuses, 4: literal rule ids,
# from api_problem's status and rule arguments and policy_int_refuse's rule).
entry_check() {
	local field=$1 col=$2 pat=$3 s line v
	awk -v f="- **$field:**" '
		/^### / { if (s != "") print s "\t" l; s = substr($0, 5); l = ""; next }
		/^## / { if (s != "") print s "\t" l; s = ""; next }
		s != "" && index($0, f) == 1 { l = $0 }
		END { if (s != "") print s "\t" l }
	' "$doc" 2>/dev/null | while IFS="$(printf '\t')" read -r s line; do
		if ! echo "$line" | grep -qE "$pat"; then
			echo "$s: no '- **$field:**' line"
			continue
		fi
		for v in $(grep -P "^\Q$s\E\t" "$tmp/code_slugs" | cut -f"$col"); do
			echo "$line" | grep -qw "$v" || echo "$s: the code gives $v, the entry says: $line"
		done
	done >"$tmp/out"
	check "$4" "$tmp/out"
}
entry_check Status 2 '[1-5][0-9][0-9]' \
    "each problem entry has its status(es), including every status the code uses"
entry_check Rule 4 'Rule:\*\* .' "each problem entry names every rule the code cites for it"
grep -q 'urn:jpkid:problem:' "$doc" 2>/dev/null && grep -q '"type"' "$doc" 2>/dev/null &&
	: >"$tmp/out" || echo "$doc does not show a problem document with its urn:jpkid:problem: type" >"$tmp/out"
check "docs/problems.md shows how a problem document looks" "$tmp/out"

# ---- rules.md ----
rules=docs/rules.md
: >"$tmp/out"
for i in $(seq 1 26); do
	grep -qE "^## R${i}[a-z]?( |\$)" "$rules" 2>/dev/null || echo "R$i has no '## R$i ...' heading in $rules"
done >"$tmp/out"
check "R1..R26 each have a heading in docs/rules.md" "$tmp/out"

# [name](../path) where path is not a .md file and name an identifier:
# the function must be in that file (C: defined at column 0, style(9);
# SQL: CREATE FUNCTION/TRIGGER/INDEX name; else the name as a word).
: >"$tmp/out"
: >"$tmp/links"
if [ -f "$rules" ]; then
	grep -oE '\[`?[A-Za-z_][A-Za-z0-9_]*`?\]\(\.\./[^)#]+\)' "$rules" |
	    sed -E 's/^\[`?([A-Za-z_][A-Za-z0-9_]*)`?\]\(\.\.\/([^)]*)\)$/\1 \2/' |
	    grep -vE ' [^ ]*\.md$' | sort -u >"$tmp/links"
fi
while read -r fn path; do
	if [ ! -f "$path" ]; then
		echo "[$fn](../$path): no such file"
	elif [[ $path == *.c || $path == *.h ]]; then
		grep -qE "^$fn\(|^[a-z].*[ *]$fn\(|^#define $fn\b" "$path" ||
		    echo "[$fn](../$path): $fn is not defined there"
	elif [[ $path == *.sql ]]; then
		grep -qiE "(FUNCTION|TRIGGER|INDEX)[[:space:]]+$fn\b" "$path" ||
		    echo "[$fn](../$path): no SQL function, trigger or index $fn there"
	else
		grep -qw -- "$fn" "$path" || echo "[$fn](../$path): $fn does not occur there"
	fi
done <"$tmp/links" >"$tmp/out"
[ -s "$tmp/links" ] || [ ! -f "$rules" ] || echo "$rules links no function" >>"$tmp/out"
[ -f "$rules" ] || echo "$rules is missing" >>"$tmp/out"
check "every function linked from docs/rules.md exists in the linked file ($(wc -l <"$tmp/links") links)" "$tmp/out"

# A backticked test_name cites the test file linked last before it in the
# same paragraph ([tests/unit/test_policy.c](../tests/unit/test_policy.c)
# `test_r4_...`); it must occur there as a word (a Check START_TEST or a
# tests/api `expect` name).
: >"$tmp/tests"
if [ -f "$rules" ]; then
	awk '
		/^[[:space:]]*$/ || /^#/ { f = "" }
		{
			line = $0
			while (match(line, /\]\(\.\.\/tests\/[^)#]+\)|`test_[A-Za-z0-9_]+`/)) {
				tok = substr(line, RSTART, RLENGTH)
				line = substr(line, RSTART + RLENGTH)
				if (substr(tok, 1, 1) == "]")
					f = substr(tok, 6, length(tok) - 6)
				else
					print NR, (f == "" ? "-" : f), substr(tok, 2, length(tok) - 2)
			}
		}' "$rules" >"$tmp/tests"
fi
while read -r n f t; do
	if [ "$f" = - ]; then
		echo "$rules:$n: $t cites no test file before it"
	elif [ ! -f "$f" ]; then
		echo "$rules:$n: $f does not exist"
	elif ! grep -qw -- "$t" "$f"; then
		echo "$rules:$n: $t is not in $f"
	fi
done <"$tmp/tests" >"$tmp/out"
[ -s "$tmp/tests" ] || [ ! -f "$rules" ] || echo "$rules cites no test" >>"$tmp/out"
[ -f "$rules" ] || echo "$rules is missing" >>"$tmp/out"
check "every test cited in docs/rules.md exists in its file ($(wc -l <"$tmp/tests") citations)" "$tmp/out"

# ---- nothing outside the clone ----
# The bare words DESIGN/STYLE/RULES count too ("(DESIGN "API")" meant the
# old design notes). One exception: db/migrations/0001_schema.sql is applied
# and checksummed (db/migrate.c refuses a changed text), so its comments
# keep their 6 old references, which docs/foundation.md explains; any
# other line there, or in any other file, fails.
frozen=db/migrations/0001_schema.sql
frozen_max=6
grep -vxF "$self" "$tmp/files" | while IFS= read -r f; do
	[ -f "$f" ] && grep -IHnE 'RULES\.md|DESIGN\.md|STYLE\.md|\.\./shared|\b(DESIGN|STYLE|RULES)\b' -- "$f"
done >"$tmp/refs"
grep -v "^$frozen:" "$tmp/refs" >"$tmp/out"
n=$(grep -c "^$frozen:" "$tmp/refs")
[ "$n" -le "$frozen_max" ] || grep "^$frozen:" "$tmp/refs" | sed "s/\$/ (more than the $frozen_max frozen lines)/" >>"$tmp/out"
check "no file refers to RULES.md, DESIGN.md, STYLE.md or ../shared ($(wc -l <"$tmp/out") lines)" "$tmp/out"

# ---- relative links in README.md and docs/*.md ----
python3 - "$tmp" README.md docs/*.md >"$tmp/out" <<'EOF'
import re, sys, os
tmp = sys.argv[1]
def anchors(path, cache={}):
    if path in cache: return cache[path]
    seen = {}; out = set(); fence = False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'): fence = not fence
        if fence: continue
        m = re.match(r'#{1,6}\s+(.*?)\s*#*\s*$', line)
        if m:
            # GitHub: lower case, drop punctuation but - and _, spaces to -.
            h = re.sub(r'`', '', m.group(1)).lower()
            h = re.sub(r'[^\w\- ]', '', h).replace(' ', '-')
            k = seen.get(h, 0); seen[h] = k + 1
            out.add(h if k == 0 else f'{h}-{k}')
        for a in re.findall(r'<a (?:id|name)="([^"]+)"', line): out.add(a)
    cache[path] = out
    return out
for md in sys.argv[2:]:
    if not os.path.isfile(md): continue
    fence = False
    for n, line in enumerate(open(md, encoding='utf-8'), 1):
        if line.startswith('```'): fence = not fence
        if fence: continue
        line = re.sub(r'`[^`]*`', '', line)
        for target in re.findall(r'\]\(([^)\s]+)(?:\s+"[^"]*")?\)', line):
            if re.match(r'[a-z]+:', target): continue
            path, _, frag = target.partition('#')
            dest = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
            if not os.path.exists(dest):
                print(f'{md}:{n}: {target}: {dest} does not exist'); continue
            if frag and dest.endswith('.md') and (os.path.basename(dest) in ('problems.md', 'rules.md') or not path):
                if frag not in anchors(dest):
                    print(f'{md}:{n}: {target}: no heading #{frag} in {dest}')
EOF
check "every relative link in README.md and docs/*.md resolves (files and anchors)" "$tmp/out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
