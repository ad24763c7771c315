# tests/tools/firefox-lib.sh - headless Firefox ESR, browser process
# cleanup and a local TLS server for the browser tests (sourced after
# tests/lib.sh, in $WORK; browser-chromium.sh uses the cleanup and server
# parts).
#
#   tls_server_cert                 srv.pem/srv.key: P-256, CN and SAN
#                                   127.0.0.1, issued by the test CA
#   tls_server NAME PORT ARGS...    openssl s_server on 127.0.0.1:PORT with
#                                   -Verify 1 -www, log in NAME.log
#   ff_profile DIR MODULE           a fresh profile: NSS DB with MODULE added
#                                   (modutil, as "smartsign"), the test CA
#                                   trusted, user.js (quiet, offline,
#                                   certificate chosen automatically)
#   ff_start DIR                    Firefox on DIR with Marionette (port
#                                   2828); waits until Marionette answers
#   mn ARGS...                      tests/tools/marionette.py ARGS
#   ff_page TAG URL                 load URL, its source in page.TAG.html
#   ff_stop                         quit Firefox (Marionette:Quit), kill what
#                                   is left; fails when it had to kill
#   ff_left                         print the processes of the browsers
#                                   started here still alive
#   browser_cleanup                 (EXIT trap) kill every browser and server
#                                   process group these helpers started
#
# Every browser runs in a process group of its own (setsid), so its content
# and utility processes are killed with it by group id.  The module's debug
# log of the Firefox processes is $WORK/ff-p11.log (SMARTSIGN_DEBUG).
TOOLS=$TOP/tests/tools
FF_PGIDS="" SRV_PIDS=""
FF_TIMEOUT=${FF_TIMEOUT:-60} FF_UP=0

tls_server_cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout srv.key -subj /CN=127.0.0.1 -out srv.csr >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > srv.ext &&
	openssl x509 -req -in srv.csr -CA "$SMARTSIGN_CA" -CAkey "$SMARTSIGN_CA_KEY" \
	    -CAserial srv.srl -CAcreateserial -days 2 -extfile srv.ext \
	    -out srv.pem >/dev/null 2>&1
}

tls_server() {	# name port [s_server args]
	_n=$1 _p=$2; shift 2
	openssl s_server -accept "127.0.0.1:$_p" -cert srv.pem -key srv.key \
	    -CAfile "$SMARTSIGN_CA" -Verify 1 -verify_return_error -www \
	    "$@" > "$_n.log" 2>&1 &
	SRV_PIDS="$SRV_PIDS $!"
	for _ in $(seq 200); do
		ss -ltn | grep -q "127.0.0.1:$_p " && return 0
		sleep 0.05
	done
	return 1
}

ff_profile() {	# dir module
	mkdir -p "$1" "$WORK/ffhome" &&
	certutil -N -d "sql:$1" --empty-password &&
	modutil -dbdir "sql:$1" -add smartsign -libfile "$2" -force >/dev/null &&
	certutil -A -d "sql:$1" -n "Smartsign Test CA" -t CT,C,C -i "$SMARTSIGN_CA" &&
	cat > "$1/user.js" <<'EOF'
user_pref("security.default_personal_cert", "Select Automatically");
user_pref("marionette.port", 2828);
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", 9);
user_pref("network.proxy.ssl", "127.0.0.1");
user_pref("network.proxy.ssl_port", 9);
user_pref("network.proxy.allow_hijacking_localhost", false);
user_pref("network.http.speculative-parallel-limit", 0);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.prefetch-next", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.urlbar.speculativeConnect.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.page", 0);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.safebrowsing.blockedURIs.enabled", false);
user_pref("browser.region.update.enabled", false);
user_pref("app.update.auto", false);
user_pref("app.update.checkInstallTime", false);
user_pref("app.normandy.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.startup.max_resumed_crashes", -1);
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("services.settings.server", "http://127.0.0.1:9/");
user_pref("security.OCSP.enabled", 0);
user_pref("security.remote_settings.crlite_filters.enabled", false);
user_pref("security.enterprise_roots.enabled", false);
EOF
}

ff_start() {	# profile dir
	HOME=$WORK/ffhome XDG_CONFIG_HOME=$WORK/ffhome/.config \
	    XDG_CACHE_HOME=$WORK/ffhome/.cache MOZ_CRASHREPORTER_DISABLE=1 \
	    SMARTSIGN_DEBUG=$WORK/ff-p11.log \
	    setsid firefox-esr --headless --no-remote --marionette \
	    -remote-allow-system-access --profile "$1" about:blank \
	    > "$WORK/firefox.log" 2>&1 &
	FF_PID=$!
	FF_PGIDS="$FF_PGIDS $FF_PID"
	FF_UP=1
	mn --timeout "$FF_TIMEOUT" wait || { FF_UP=0; return 1; }
}

ff_page() {	# tag url: load url, the page's source in page.TAG.html
	mn navigate "$2" > "page.$1.html"
}

mn() {	# fails at once when Firefox did not start: no test waits for nothing
	[ "$FF_UP" = 1 ] || { echo "marionette: Firefox is not running" >&2; return 2; }
	timeout $((FF_TIMEOUT + 15)) python3 "$TOOLS/marionette.py" "$@"
}

gone() {	# pid: true when the process has exited (zombies count as gone)
	! kill -0 "$1" 2>/dev/null && return 0
	[ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}

kill_group() {	# pgid: TERM, wait up to 5 s, KILL
	# Firefox's crash helper detaches into a session of its own: by its pid
	for _p in $(ps -eo pid=,args= | awk -v g="$1" \
	    '$2 ~ /crashhelper$/ && $3 == g { print $1 }'); do
		kill -TERM "$_p" 2>/dev/null
	done
	kill -TERM "-$1" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "-$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "-$1" 2>/dev/null
}

ff_stop() {	# fails when Firefox had to be killed
	[ -n "${FF_PID:-}" ] || return 0
	mn --timeout 10 quit >/dev/null 2>&1
	_rc=1
	for _ in $(seq 150); do gone "$FF_PID" && _rc=0 && break; sleep 0.1; done
	kill_group "$FF_PID"
	wait "$FF_PID" 2>/dev/null
	FF_PID="" FF_UP=0
	return $_rc
}

ff_left() {	# processes of the browsers started here still alive: their
	# process groups, and Firefox's crash helper (named by Firefox's pid)
	for g in $FF_PGIDS; do
		ps -eo pid=,pgid=,args= | awk -v g="$g" \
		    '$2 == g || ($3 ~ /crashhelper$/ && $4 == g)'
	done
}

browser_cleanup() {
	for g in $FF_PGIDS; do kill_group "$g"; done
	for p in $SRV_PIDS; do kill "$p" 2>/dev/null; done
	for p in $SRV_PIDS; do wait "$p" 2>/dev/null; done
}

# jsv FILE EXPR: print the Python expression EXPR over r = the JSON in FILE
# (strings bare, other values as JSON; nothing and status 1 on any error)
jsv() {
	python3 - "$1" "$2" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
    v = eval(sys.argv[2], {"r": r})
except Exception:
    sys.exit(1)
print(v if isinstance(v, str) else json.dumps(v))
PY
}

# check_eq NAME WANT GOT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$3', want '$2')"; fi
}
