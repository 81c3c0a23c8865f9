#!/bin/bash
# The Debian package, end to end (issue 11): build a Release tree with the /usr prefix, cpack -G DEB,
# lintian, dpkg -i on this machine, then use the installed program the way a user would (version,
# man page, bash completion, the bundled sample, the user service and its wrapper, the native
# messaging host), and dpkg --purge leaving no file behind.
# It installs into the real system, so it runs as root (CI does); it purges the package on exit even
# when a step fails.
#
# usage: deb_test.sh SOURCE_DIR WORK_DIR PROJECT_VERSION
set -euo pipefail
src=$(cd "$1" && pwd)
work=$2
version=$3
pkg=interlocutor

fail() { echo "FAIL: $*" >&2; exit 1; }
t0=$SECONDS
step() { echo "== [$((SECONDS - t0)) s] $*"; }

# Every program the test needs: missing means FAIL (CI installs them all), never a silent skip.
for tool in cmake cpack dpkg dpkg-deb dpkg-shlibdeps apt-get lintian python3 curl mount man systemd-analyze bash; do
    command -v "$tool" >/dev/null || fail "'$tool' is not installed (scripts/setup.sh --test installs it)"
done
[ "$(id -u)" = 0 ] || fail "this test installs a .deb: run it as root (CI does)"
[ -f /usr/share/bash-completion/bash_completion ] || fail "bash-completion is not installed"

mkdir -p "$work"
tree=$work/release
tmp=$(mktemp -d "$work/run.XXXXXX")
serve_pid=""
installed_by_us=0
cleanup() {
    local rc=$?
    if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then kill -KILL "$serve_pid" 2>/dev/null || true; fi
    if [ "$installed_by_us" = 1 ] && dpkg -s "$pkg" >/dev/null 2>&1; then dpkg --purge "$pkg" >/dev/null 2>&1 || true; fi
    rm -rf "$tmp"
    exit $rc
}
trap cleanup EXIT

# A package left by an earlier interrupted run would hide what this build installs.
if dpkg -s "$pkg" >/dev/null 2>&1; then
    step "purging an interlocutor package left installed"
    dpkg --purge "$pkg"
fi

step "configure and build a Release tree ($tree)"
# Tests off: the package tree builds the product only. The tree is kept between runs (incremental).
cmake -S "$src" -B "$tree" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DILC_BUILD_TESTS=OFF -DBUILD_TESTING=OFF >"$work/configure.log" 2>&1 \
    || { tail -30 "$work/configure.log"; fail "configure failed (log: $work/configure.log)"; }
cmake --build "$tree" -j2 >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "build failed (log: $work/build.log)"; }

step "cpack -G DEB"
rm -f "$tree"/*.deb
(cd "$tree" && cpack -G DEB >"$work/cpack.log" 2>&1) || { tail -30 "$work/cpack.log"; fail "cpack failed"; }
debs=("$tree"/*.deb)
if [ ${#debs[@]} != 1 ] || [ ! -f "${debs[0]}" ]; then fail "expected one .deb in $tree, found: ${debs[*]}"; fi
deb=${debs[0]}
arch=$(dpkg --print-architecture)
deb_version=$(dpkg-deb -f "$deb" Version)
[ "$(basename "$deb")" = "${pkg}_${deb_version}_${arch}.deb" ] || fail "file name $(basename "$deb") is not ${pkg}_${deb_version}_${arch}.deb"
# The Debian version is the project version plus the packaging revision: one source for both.
[ "${deb_version%-*}" = "$version" ] || fail "package version $deb_version does not start with the project version $version"
echo "package: $(basename "$deb")"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# dpkg-shlibdeps must have found the shared libraries the binary links (Poco, ICU, SQLite, libc).
for lib in libc6 libpoco libicu libsqlite3 libpsl; do
    grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: shlibdeps did not run on the binary"
done
[ "$(dpkg-deb -f "$deb" Section)" = mail ] || fail "Section is not mail"

step "package contents"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/contents"
expect=(/usr/bin/interlocutor /usr/share/interlocutor/static/index.html /usr/share/man/man1/interlocutor.1.gz
        /usr/share/bash-completion/completions/interlocutor /usr/lib/systemd/user/interlocutor.service
        /usr/lib/interlocutor/interlocutor-user-service /usr/share/doc/interlocutor/copyright
        /usr/share/doc/interlocutor/changelog.Debian.gz)
for f in "$src"/service/static/*; do expect+=("/usr/share/interlocutor/static/$(basename "$f")"); done
for f in "$src"/samples/ardentis/*.mbox.gz; do expect+=("/usr/share/interlocutor/samples/ardentis/$(basename "$f")"); done
with_plugin=0
if [ -f "$src/plugin/CMakeLists.txt" ]; then
    with_plugin=1
    expect+=(/usr/share/interlocutor/interlocutor.xpi)
fi
with_host=0
if [ -f "$src/cli/cmd_native_host.cpp" ] && [ "$with_plugin" = 1 ]; then
    with_host=1
    expect+=(/usr/lib/interlocutor/native-host)
fi
for f in "${expect[@]}"; do grep -qx "$f" "$tmp/contents" || fail "the package lacks $f"; done
if [ "$with_host" = 1 ]; then
    grep -q '^/usr/lib/mozilla/native-messaging-hosts/[^/]*\.json$' "$tmp/contents" || fail "no native-messaging host manifest"
fi
# The changelog entry names the packaged version.
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/interlocutor/changelog.Debian.gz | gzip -dc | head -1 \
    | grep -q "^interlocutor ($deb_version)" || fail "changelog.Debian.gz does not start with version $deb_version"

step "lintian"
# --allow-root: CI runs as root. Errors (E:) fail; warnings are printed for the record.
set +e
lintian --allow-root --tag-display-limit 0 "$deb" >"$tmp/lintian.txt" 2>&1
rc=$?
set -e
cat "$tmp/lintian.txt"
# Exit 1 is "tags at or above the fail level"; anything else but 0 means lintian itself failed.
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "lintian could not check the package (exit $rc)"
if grep -q '^E: ' "$tmp/lintian.txt"; then fail "lintian reports errors"; fi

step "dpkg -i"
installed_by_us=1
if ! dpkg -i "$deb"; then
    # Missing runtime libraries: let apt install them, as a user would.
    apt-get -f install -y
fi
[ "$(dpkg-query -W -f '${Status}' "$pkg")" = "install ok installed" ] || fail "the package is not installed"
dpkg -L "$pkg" | sort >"$tmp/owned"

step "interlocutor --version"
got=$(/usr/bin/interlocutor --version)
[ "$got" = "interlocutor $version" ] || fail "--version says '$got', the project version is $version"

step "man page and bash completion"
man_err=$(MANWIDTH=100 man --warnings -l /usr/share/man/man1/interlocutor.1.gz 2>&1 >"$tmp/man.txt") || fail "man failed: $man_err"
[ -z "$man_err" ] || fail "man page warnings: $man_err"
verbs=$(/usr/bin/interlocutor --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{exit}')
[ -n "$verbs" ] || fail "no verbs in interlocutor --help"
for v in $verbs; do
    grep -q "INTERLOCUTOR ${v^^}" "$tmp/man.txt" || fail "the man page has no section for '$v'"
done
# Every option of 'analyze --help' must be in the page (the page is written from that text).
for opt in $(/usr/bin/interlocutor analyze --help | grep -o '^  --[a-z-]*'); do
    grep -q -- "$opt" "$tmp/man.txt" || fail "the man page lacks analyze option $opt"
done
complete_words() {  # complete_words WORD... : what bash completion offers for the last word
    bash -c 'source /usr/share/bash-completion/bash_completion
             source /usr/share/bash-completion/completions/interlocutor
             COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
             _interlocutor interlocutor "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
             printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
for v in $verbs; do
    complete_words interlocutor "${v:0:3}" | grep -qx "$v" || fail "completion of '${v:0:3}' does not offer $v"
done
complete_words interlocutor analyze --fo | grep -qx -- --format || fail "completion of 'analyze --fo' does not offer --format"
complete_words interlocutor serve --po | grep -qx -- --port || fail "completion of 'serve --po' does not offer --port"

step "ingest the installed sample"
samples=(/usr/share/interlocutor/samples/ardentis/*.mbox.gz)
[ -f "${samples[0]}" ] || fail "no sample mailbox installed"
home=$tmp/home
mkdir -p "$home"
export HOME=$home
unset XDG_CONFIG_HOME XDG_DATA_HOME ILC_STATIC_DIR
/usr/bin/interlocutor ingest "${samples[@]}" --db "$tmp/store.db" --quiet --format json >"$tmp/ingest.json"
# Every message of the mbox files is read (mboxrd: only real separators start with "From ").
expected_read=0
for f in "${samples[@]}"; do expected_read=$((expected_read + $(gzip -dc "$f" | grep -c '^From '))); done
python3 - "$tmp/ingest.json" "$expected_read" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
assert d["read"] == want, f"ingest read {d['read']} messages, the sample holds {want}"
assert d["skipped"] == 0 and d["total_messages"] > 0, d
print(f"ingested: read {d['read']}, stored {d['stored']}, duplicates {d['duplicates']}")
EOF
/usr/bin/interlocutor analyze --db "$tmp/store.db" --now 2026-11-12T10:00:00+01:00 --tz Europe/Paris \
    --holidays /usr/share/interlocutor/samples/ardentis/holidays.txt --format json >"$tmp/findings.json"
n_findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$tmp/findings.json")
[ "$n_findings" -gt 0 ] || fail "the installed program finds nothing in the sample"
echo "findings on the sample: $n_findings"

step "the user service: systemd-analyze verify"
unit=/usr/lib/systemd/user/interlocutor.service
# systemd-analyze checks the unit's syntax and that ExecStart exists and is executable.
systemd-analyze verify "$unit" >"$tmp/verify.txt" 2>&1 || { cat "$tmp/verify.txt"; fail "systemd-analyze verify failed"; }
if grep -i "interlocutor.service" "$tmp/verify.txt"; then fail "systemd-analyze reports problems in the unit"; fi
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ -x "$exec_start" ] || fail "ExecStart $exec_start is not an installed program"

step "the service wrapper without any settings: a clear error, no restart loop"
set +e
"$exec_start" >"$tmp/empty.out" 2>&1
rc=$?
set -e
[ "$rc" = 78 ] || { cat "$tmp/empty.out"; fail "with no store and no sources the wrapper exited $rc, not 78 (EX_CONFIG)"; }
grep -q "sources" "$tmp/empty.out" || fail "the wrapper's error does not tell the user what to do: $(cat "$tmp/empty.out")"

step "interlocutor serve started by the unit's wrapper, from the installed files only"
conf=$home/.config/interlocutor
mkdir -p "$conf"
printf '# the sample, as a user lists their mailboxes\n%s\n\n' "${samples[@]}" >"$conf/sources"
printf 'me = isabelle.charpentier@ardentis.fr\nmanagers = marc.moreau@ardentis.fr\ntz = Europe/Paris\n' >"$conf/config.ini"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# What the unit's EnvironmentFile (~/.config/interlocutor/serve.env) would set.
export ILC_SERVE_OPTS="--port $port --now 2026-11-12T10:00:00+01:00"
# The source tree's dashboard is hidden (a private mount namespace with an empty tmpfs over it), so
# the service must find the installed /usr/share/interlocutor/static. unshare execs: $! is serve.
# shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments.
# A container without CAP_SYS_ADMIN cannot make mount namespaces: then the source tree stays
# visible, and the installed files still win because the service looks there first.
if command -v unshare >/dev/null && unshare --mount true 2>/dev/null; then
    unshare --mount sh -c 'mount -t tmpfs none "$1/service/static" && exec "$2"' _ "$src" "$exec_start" >"$tmp/serve.out" 2>&1 &
else
    echo "note: no mount namespace here; the source dashboard is not hidden"
    "$exec_start" >"$tmp/serve.out" 2>&1 &
fi
serve_pid=$!
db=$home/.local/share/interlocutor/interlocutor.db
ok=0
for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/v1/health" >"$tmp/health.json" 2>/dev/null; then ok=1; break; fi
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.2
done
[ "$ok" = 1 ] || { cat "$tmp/serve.out"; fail "GET /v1/health never answered"; }
echo "health: $(cat "$tmp/health.json")"
python3 - "$tmp/health.json" "$version" <<'EOF2'
import json, sys
h = json.load(open(sys.argv[1]))
assert h.get("version") == sys.argv[2], f"the service reports version {h.get('version')!r}, the project is {sys.argv[2]}"
assert h.get("messages", 0) > 0, f"the service sees no messages: {h}"
EOF2
[ -f "$db" ] || fail "the wrapper did not ingest the sources into $db"
token=$(cat "$home/.local/share/interlocutor/token")
[ "$(stat -c %a "$home/.local/share/interlocutor/token")" = 600 ] || fail "the token file is not private"
curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/" -o "$tmp/index.html" || fail "the dashboard page is not served"
cmp -s "$tmp/index.html" /usr/share/interlocutor/static/index.html || fail "GET / is not the installed index.html"
curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/findings" -o "$tmp/served.json" \
    || fail "GET /v1/findings failed"
python3 - "$tmp/served.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
findings = d["findings"] if isinstance(d, dict) else d
assert len(findings) > 0, "the service serves no findings for the sample"
print(f"served findings: {len(findings)}")
EOF
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/findings")
[ "$code" = 401 ] || [ "$code" = 403 ] || fail "GET /v1/findings without the token answered $code"

if [ "$with_host" = 1 ]; then
    step "the native-messaging host"
    manifest=$(grep '^/usr/lib/mozilla/native-messaging-hosts/.*\.json$' "$tmp/owned")
    # The system manifest must say what `native-host --install` writes for one user (same name,
    # same extension), and point at an installed launcher.
    /usr/bin/interlocutor native-host --install --dir "$tmp/nmh" >/dev/null
    python3 - "$manifest" "$tmp/nmh" "$port" "$token" <<'EOF'
import json, os, struct, subprocess, sys
manifest_path, user_dir, port, token = sys.argv[1:]
sysm = json.load(open(manifest_path))
user_files = os.listdir(user_dir)
assert len(user_files) == 1, user_files
userm = json.load(open(os.path.join(user_dir, user_files[0])))
assert os.path.basename(manifest_path) == sysm["name"] + ".json", manifest_path
for key in ("name", "type", "allowed_extensions"):
    assert sysm[key] == userm[key], f"{key}: system {sysm[key]!r} vs native-host --install {userm[key]!r}"
assert os.access(sysm["path"], os.X_OK), sysm["path"]
# Thunderbird's call: path MANIFEST EXTENSION_ID, a length-prefixed JSON request on stdin. The
# served port is not the default, so the answer's URL differs; the token file is the default one.
req = json.dumps({"type": "get_service"}).encode()
p = subprocess.run([sysm["path"], manifest_path, sysm["allowed_extensions"][0]],
                   input=struct.pack("=I", len(req)) + req, capture_output=True, timeout=20)
assert p.returncode == 0, p.stderr
n = struct.unpack("=I", p.stdout[:4])[0]
answer = json.loads(p.stdout[4:4 + n])
assert answer.get("token") == token, answer
print("native host answers:", {k: v for k, v in answer.items() if k != "token"})
EOF
fi

step "SIGTERM stops the service"
kill -TERM "$serve_pid"
for _ in $(seq 1 100); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$serve_pid" 2>/dev/null; then fail "serve still runs 10 s after SIGTERM"; fi
set +e
wait "$serve_pid"
rc=$?
set -e
serve_pid=""
[ "$rc" = 0 ] || { cat "$tmp/serve.out"; fail "serve exited $rc after SIGTERM"; }
cat "$tmp/serve.out"

step "dpkg --purge leaves no file behind"
dpkg --purge "$pkg"
installed_by_us=0
left=0
while read -r path; do
    [ -e "$path" ] || [ -L "$path" ] || continue
    # A directory shared with other packages (/usr/bin, /usr/share/man/man1) stays, rightly.
    if [ -d "$path" ] && [ ! -L "$path" ] && dpkg-query -S "$path" >/dev/null 2>&1; then continue; fi
    echo "left behind: $path"
    left=1
done <"$tmp/owned"
[ "$left" = 0 ] || fail "files of the package remain after dpkg --purge"
echo "PASS: $(basename "$deb") built, linted, installed, used and purged"
