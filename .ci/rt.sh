#!/usr/bin/env bash
# A real Request Tracker 5 (Debian's request-tracker5, SQLite backend) on 127.0.0.1,
# for the RT connector's integration test (tests/connectors/test_rt.py).
#
# Run as root on Debian 12. Idempotent: the packages are installed, the database
# initialised, the queue, custom field and token created only when missing, and the
# server started only when it does not already answer. A second run takes seconds.
#
#   RT_PORT        port of the standalone server (default 8081), bound to 127.0.0.1
#   RT_TOKEN_FILE  where root's REST2 auth token is written (default /tmp/tier0-rt/token)
#   RT_HOME        database, pid file and server log (default /var/lib/tier0-rt)
#
# The test reads RT_URL (default http://127.0.0.1:$RT_PORT) and the token file.
set -euo pipefail

RT_PORT="${RT_PORT:-8081}"
RT_TOKEN_FILE="${RT_TOKEN_FILE:-/tmp/tier0-rt/token}"
RT_HOME="${RT_HOME:-/var/lib/tier0-rt}"
RT_QUEUE="Tier0"
RT_KEY_FIELD="Tier0 Key"
RT_URL="http://127.0.0.1:${RT_PORT}"
SNIPPET=/etc/request-tracker5/RT_SiteConfig.d/70-tier0.pm
PACKAGES=(request-tracker5 rt5-db-sqlite rt5-standalone dbconfig-no-thanks msmtp-mta w3m curl)

log() { echo "rt.sh: $*" >&2; }

installed() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || return 1
    done
}

# --- 1. packages --------------------------------------------------------------
if ! installed "${PACKAGES[@]}"; then
    started=$(date +%s)
    log "installing ${PACKAGES[*]}"
    # Answers for every debconf question, so nothing prompts. The database is set up
    # below by rt-setup-database rather than by dbconfig-common (dbconfig-no-thanks),
    # so its location and state are ours; msmtp-mta satisfies RT's MTA dependency
    # without a mail daemon (RT is configured not to send mail at all); w3m is the
    # HTML-to-text converter RT asks for at every start.
    debconf-set-selections <<'EOF'
request-tracker5 request-tracker5/rtname string tier0.test
request-tracker5 request-tracker5/organization string tier0.test
request-tracker5 request-tracker5/correspondaddress string rt@tier0.test
request-tracker5 request-tracker5/commentaddress string rt-comment@tier0.test
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1
request-tracker5 request-tracker5/webpath string
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/dbconfig-install boolean false
msmtp msmtp/armor boolean false
EOF
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${PACKAGES[@]}"
    log "packages installed in $(( $(date +%s) - started )) s"
fi

# --- 2. configuration -----------------------------------------------------------
mkdir -p "$RT_HOME"
chown www-data:www-data "$RT_HOME"
chmod 750 "$RT_HOME"
config=$(cat <<EOF
# Written by Tier0's .ci/rt.sh: a local RT for integration tests.
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$RT_HOME/rt5.db');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $RT_PORT);
Set(\$WebPath, '');
Set(\$WebBaseURL, '$RT_URL');
# Never send mail: outgoing messages go to temporary files that are removed.
Set(\$MailCommand, 'testfile');
Set(\$LogToSyslog, undef);
Set(\$LogToSTDERR, 'warning');
# Each REST2 call checks its token with bcrypt; the default cost (12) costs
# ~0.2 s a request. A test instance does not need that.
Set(\$BcryptCost, 4);
# Tier0's priorities as labels in the Tier0 queue (the connector sends these numbers).
Set(%PriorityAsString,
    Default => { Low => 0, Medium => 50, High => 100 },
    '$RT_QUEUE' => [ P1 => 100, P2 => 75, P3 => 50, P4 => 25 ],
);
1;
EOF
)
# The package leaves RT_SiteConfig.pm (empty: the snippets are the configuration)
# readable by root only, and RT runs as www-data.
chown root:www-data /etc/request-tracker5/RT_SiteConfig.pm
chmod 640 /etc/request-tracker5/RT_SiteConfig.pm
config_changed=0
if [ ! -f "$SNIPPET" ] || [ "$(cat "$SNIPPET")" != "$config" ]; then
    printf '%s\n' "$config" > "$SNIPPET"
    chown root:www-data "$SNIPPET"
    chmod 640 "$SNIPPET"
    config_changed=1
fi

as_rt() { runuser -u www-data -- "$@"; }

# --- 3. database ----------------------------------------------------------------
if [ ! -s "$RT_HOME/rt5.db" ]; then
    log "initialising the database $RT_HOME/rt5.db"
    rm -f "$RT_HOME/rt5.db"
    as_rt /usr/sbin/rt-setup-database-5 --action init >"$RT_HOME/setup.log" 2>&1 </dev/null \
        || { cat "$RT_HOME/setup.log" >&2; rm -f "$RT_HOME/rt5.db"; exit 1; }
fi

# --- 4. queue, custom field, token ------------------------------------------------
mkdir -p "$(dirname "$RT_TOKEN_FILE")"
touch "$RT_TOKEN_FILE"
chmod 600 "$RT_TOKEN_FILE"
current_token=$(cat "$RT_TOKEN_FILE")
new_token=$(as_rt env QUEUE="$RT_QUEUE" FIELD="$RT_KEY_FIELD" TOKEN="$current_token" perl -e '
use strict; use warnings;
use lib "/usr/share/request-tracker5/lib";
use RT; RT::LoadConfig(); RT::Init();
my $root = RT::CurrentUser->new(RT->SystemUser); $root->Load("root");
die "no root user\n" unless $root->Id;

my $queue = RT::Queue->new($root);
$queue->Load($ENV{QUEUE});
unless ($queue->Id) {
    my ($ok, $msg) = $queue->Create(Name => $ENV{QUEUE}, Description => "Tickets from Tier0");
    die "queue: $msg\n" unless $ok;
}

my $cf = RT::CustomField->new($root);
$cf->LoadByName(Name => $ENV{FIELD}, LookupType => RT::Ticket->CustomFieldLookupType);
unless ($cf->Id) {
    my ($ok, $msg) = $cf->Create(
        Name => $ENV{FIELD}, Type => "Freeform", MaxValues => 1,
        LookupType => RT::Ticket->CustomFieldLookupType,
        Description => "Idempotency key of the Tier0 ticket this came from",
    );
    die "custom field: $msg\n" unless $ok;
}
unless ($cf->IsAdded($queue->Id)) {
    my ($ok, $msg) = $cf->AddToObject($queue);
    die "custom field on queue: $msg\n" unless $ok;
}

# Keep the token in the file while it is still valid; otherwise make a new one.
my ($uid, $secret) = RT::AuthToken->ParseAuthString($ENV{TOKEN} // "");
if ($uid && $uid == $root->Id) {
    my $tokens = RT::AuthTokens->new($root);
    $tokens->LimitOwner(VALUE => $root->Id);
    while (my $t = $tokens->Next) {
        if ($t->IsToken($secret)) { print $ENV{TOKEN}; exit 0 }
    }
}
my $token = RT::AuthToken->new($root);
my ($id, $msg, $string) = $token->Create(Owner => $root->Id, Description => "tier0-ci");
die "token: $msg\n" unless $id;
print $string;
')
if [ "$new_token" != "$current_token" ]; then
    printf '%s\n' "$new_token" > "$RT_TOKEN_FILE"
    log "wrote a new token to $RT_TOKEN_FILE"
fi

# --- 5. server ----------------------------------------------------------------
pidfile="$RT_HOME/rt-server.pid"
answers() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
        -H "Authorization: token $new_token" "$RT_URL/REST/2.0/queues/all")" = 200 ]
}
# The pid in the file is ours only while it is still an rt-server (pids are reused).
running() {
    [ -s "$pidfile" ] && tr '\0' ' ' < "/proc/$(cat "$pidfile")/cmdline" 2>/dev/null \
        | grep -q 'libexec/rt-server'
}
stop() {
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do running || return 0; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true  # its own process group (setsid)
    sleep 0.5
}

if running && [ "$config_changed" = 1 ]; then
    log "configuration changed: restarting the server"
    stop
fi
if answers; then
    log "RT already answers at $RT_URL"
    exit 0
fi
if running; then  # up but not answering
    log "rt-server $(cat "$pidfile") does not answer: restarting it"
    stop
fi

started=$(date +%s%N)
log "starting rt-server on 127.0.0.1:$RT_PORT (log $RT_HOME/rt-server.log)"
# In a session of its own, so that it outlives this script and the shell that ran it.
setsid setpriv --reuid=www-data --regid=www-data --init-groups \
    /usr/share/request-tracker5/libexec/rt-server \
    --server Starlet --host 127.0.0.1 --port "$RT_PORT" --max-workers 4 \
    >"$RT_HOME/rt-server.log" 2>&1 < /dev/null &
echo $! > "$pidfile"
for _ in $(seq 240); do
    if answers; then
        log "RT answers at $RT_URL after $(( ($(date +%s%N) - started) / 1000000 )) ms"
        exit 0
    fi
    if ! running; then
        log "rt-server exited:"; tail -n 30 "$RT_HOME/rt-server.log" >&2; exit 1
    fi
    sleep 0.5
done
log "RT did not answer within 120 s:"; tail -n 30 "$RT_HOME/rt-server.log" >&2
exit 1
