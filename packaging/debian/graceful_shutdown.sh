#!/bin/sh
# Shuts the bridge down gracefully, as Jitsi Videobridge's script of this name does for JVB: it
# asks the bridge to stop taking conferences and to exit once its participants are gone (POST
# /colibri/shutdown with {"graceful-shutdown": true} on the private HTTP server), then polls
# /colibri/stats and prints how many participants are left until none is and the process has
# exited. The bridge decides when: it waits for its participants at most
# videobridge.shutdown.graceful-shutdown-max-duration, then videobridge.shutdown.shutting-down-delay
# (60 s by default) more, and exits with status 0, so systemd does not restart it. This script
# never kills it (`systemctl stop jitsi-videobridge2` does).
#
# Needs curl, and in jvb.conf: videobridge.apis.rest.enabled = true (/colibri/stats) and
# videobridge.rest.shutdown.enabled = true (/colibri/shutdown). Run it as root or as jvb: it
# looks at the process in /proc.
#
# Usage: graceful_shutdown.sh [-p PID] [-P PORT | -h URL] [-t SECONDS] [-i SECONDS] [-s]
#   -p PID      the bridge's process (JVB's option). Default: the jitsi-videobridge2 service's
#               main process when systemd runs it; with none, the bridge counts as gone when its
#               HTTP server stops answering.
#   -P PORT     the private HTTP server's port on 127.0.0.1 (default 8080)
#   -h URL      the private HTTP server's base URL instead (JVB's option; default
#               http://127.0.0.1:8080)
#   -t SECONDS  how long to wait for the exit once no participant is left (default 90)
#   -i SECONDS  how often to poll (default 5)
#   -s          silent: print errors only
#
# Exit status:
#   0  the bridge has exited
#   1  the shutdown request failed: the bridge did not answer, or not with 200 (404: the
#      shutdown API is off; see above)
#   2  usage error: a bad option, no such process, or curl missing
#   3  timed out: the bridge still runs -t SECONDS after its last participant left
set -u

url=http://127.0.0.1:8080
pid=
exit_timeout=90
interval=5
verbose=1

usage() {
    echo "usage: $0 [-p PID] [-P PORT | -h URL] [-t SECONDS] [-i SECONDS] [-s]" >&2
    exit 2
}

info() {
    if [ "$verbose" = 1 ]; then
        echo "$@"
    fi
}

error() {
    echo "$@" >&2
}

is_number() {
    case $1 in
    '' | *[!0-9]*) return 1 ;;
    *) return 0 ;;
    esac
}

while getopts p:P:h:t:i:s opt; do
    case $opt in
    p) pid=$OPTARG ;;
    P)
        is_number "$OPTARG" || usage
        url=http://127.0.0.1:$OPTARG
        ;;
    h) url=${OPTARG%/} ;;
    t) exit_timeout=$OPTARG ;;
    i) interval=$OPTARG ;;
    s) verbose=0 ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
is_number "$exit_timeout" || usage
if ! is_number "$interval" || [ "$interval" -eq 0 ]; then
    usage
fi
if ! command -v curl >/dev/null 2>&1; then
    error "curl is missing: apt-get install curl"
    exit 2
fi

# The process, when known, is what "exited" means; a zombie (not yet reaped) has exited.
alive() {
    state=$(sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

if [ -z "$pid" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    pid=$(systemctl show --property=MainPID --value jitsi-videobridge2.service 2>/dev/null)
    [ "$pid" != 0 ] || pid=
fi
if [ -n "$pid" ]; then
    if ! is_number "$pid"; then
        error "the PID must be a number: $pid"
        exit 2
    fi
    if ! alive; then
        error "no process $pid"
        exit 2
    fi
fi

# {"graceful-shutdown": true}; the bridge answers 200 with an empty body.
response=$(curl -sS --max-time 10 -w '\n%{http_code}' -H 'Content-Type: application/json' \
    -d '{"graceful-shutdown": true}' "$url/colibri/shutdown" 2>&1)
code=$(printf '%s\n' "$response" | tail -n 1)
body=$(printf '%s\n' "$response" | sed '$d')
case $code in
200) ;;
404)
    error "$url/colibri/shutdown is not there (404): set videobridge.apis.rest.enabled = true and" \
        "videobridge.rest.shutdown.enabled = true in jvb.conf"
    exit 1
    ;;
000)
    error "the bridge does not answer at $url: $body"
    exit 1
    ;;
*)
    error "the shutdown request got $code from $url: $body"
    exit 1
    ;;
esac
info "Graceful shutdown started (${pid:+process $pid, }$url)"

# A value of the flat JSON object /colibri/stats answers, e.g. {...,"participants":3,...}.
stats_value() {
    printf '%s\n' "$stats" | sed -n "s/.*[{,]\"$1\":\([0-9][0-9]*\).*/\1/p"
}

started=$(date +%s)
empty_since=
last=
while :; do
    stats=$(curl -s --max-time 5 "$url/colibri/stats")
    status=$?
    if [ -n "$pid" ]; then
        gone=0
        alive || gone=1
    else
        # 7: connection refused; the HTTP server closes when the process exits.
        gone=$((status == 7))
    fi
    if [ "$gone" = 1 ]; then
        info "The bridge has exited ($(($(date +%s) - started)) s)"
        exit 0
    fi

    participants=$(stats_value participants)
    octo=$(stats_value octo_endpoints)
    if [ "$status" = 0 ] && [ -n "$participants" ] && [ -n "$octo" ]; then
        left=$((participants - octo))
    else
        left=  # unknown: counts as none, so the wait for the exit is bounded
    fi
    if [ -n "$left" ] && [ "$left" -gt 0 ]; then
        empty_since=
        if [ "$left" != "$last" ]; then
            info "Participants left: $left"
        fi
    else
        if [ -z "$empty_since" ]; then
            empty_since=$(date +%s)
            if [ -n "$left" ]; then
                info "No participant left; waiting up to $exit_timeout s for the bridge to exit"
            else
                info "The statistics are unavailable; waiting up to $exit_timeout s for the bridge to exit"
            fi
        elif [ $(($(date +%s) - empty_since)) -ge "$exit_timeout" ]; then
            error "The bridge${pid:+ (process $pid)} still runs $exit_timeout s after its last participant left"
            exit 3
        fi
    fi
    last=$left
    sleep "$interval"
done
