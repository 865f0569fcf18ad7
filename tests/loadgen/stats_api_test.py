#!/usr/bin/python3
"""The statistics of the real daemon as JVB serves them, following a live conference:
/colibri/stats with JVB's keys and JSON types (VideobridgeStatisticsShim.kt), /metrics parsed by
the Prometheus client's strict parsers in text 0.0.4 and OpenMetrics, and as JSON, chosen by the
Accept header (406 for a type it cannot give); the counts go up while tools/loadgen runs a
conference of three and back to zero once the conference is expired; the APIs' switches (404
when off) and the generic 404/405; and /about/health's watchdog: unhealthy while a media worker
is held (the daemon's test hook, JVB_TEST_HOOKS=1), healthy again once it runs; /debug for one
conference and one endpoint, with its transport; /stats (the RTCSTATS API) listing only the
conferences created with rtcstats enabled.

Usage: stats_api_test.py VIDEOBRIDGE_BINARY LOADGEN_BINARY
No fixed ports; every wait is a bounded poll of the daemon's HTTP answers or a process's exit."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import daemon_test as d  # noqa: E402
from loadgen_smoke_test import drain, free_port, main_for  # noqa: E402

LOADGEN_TIMEOUT_S = 90
POLL_S = 0.1

# JVB's /colibri/stats keys this bridge measures, by JSON type.
INTEGER_KEYS = """local_active_endpoints bit_rate_download bit_rate_upload packet_rate_download
packet_rate_upload octo_conferences inactive_conferences endpoints participants receive_only_endpoints
inactive_endpoints octo_endpoints endpoints_sending_audio endpoints_sending_video largest_conference
octo_receive_bitrate octo_receive_packet_rate octo_send_bitrate octo_send_packet_rate total_conferences_created
total_conferences_completed total_conference_seconds total_participants total_relays total_keyframes_received
conferences local_endpoints total_data_channel_messages_received total_data_channel_messages_sent
total_colibri_web_socket_messages_received total_colibri_web_socket_messages_sent total_bytes_received
endpoints_ice_failed dtls_failed_endpoints relays_ice_failed dtls_failed_relays total_bytes_sent
total_packets_received total_packets_sent total_bytes_received_octo total_bytes_sent_octo
total_packets_received_octo total_packets_sent_octo total_dominant_speaker_changes total_ice_failed
total_ice_succeeded total_ice_succeeded_relayed threads muc_clients_configured muc_clients_connected
mucs_configured mucs_joined endpoints_disconnected endpoints_reconnected p2p_conferences
endpoints_with_high_outgoing_loss visitors total_visitors num_eps_no_msg_transport_after_delay
num_relays_no_msg_transport_after_delay total_video_stream_milliseconds_received
endpoints_with_suspended_sources num_eps_oversending tcc_unmatched_feedback""".split()
DOUBLE_KEYS = "incoming_loss outgoing_loss overall_loss stress_level average_participant_stress rtt_aggregate".split()
BOOLEAN_KEYS = "graceful_shutdown shutting_down drain healthy".split()
STRING_KEYS = "current_timestamp version".split()


def get_json(url):
    status, body = d.call("GET", url)
    d.expect(status == 200, f"GET {url}: {status} {body[:200]}")
    return json.loads(body)


def get(url, accept=None):
    headers = {} if accept is None else {"Accept": accept}
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=d.DEADLINE_S) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def quiet_endpoint(endpoint_id):
    """A Colibri2 endpoint that never connects."""
    return {"id": endpoint_id, "create": True, "capabilities": ["source-names"], "transport": {}}


def until(predicate, what, timeout=30):
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        d.expect(time.monotonic() < end, f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL_S)


def check_types(stats):
    for keys, kind in ((INTEGER_KEYS, int), (DOUBLE_KEYS, float), (STRING_KEYS, str)):
        for key in keys:
            d.expect(key in stats, f"/colibri/stats lacks {key}")
            d.expect(type(stats[key]) is kind, f"{key} = {stats[key]!r} is not {kind.__name__}")
    for key in BOOLEAN_KEYS:
        d.expect(type(stats.get(key)) is bool, f"{key} = {stats.get(key)!r} is not a boolean")
    d.expect(time.strptime(stats["current_timestamp"][:19], "%Y-%m-%d %H:%M:%S"), "current_timestamp")


def metric_values(base):
    """Every sample of /metrics, parsed strictly in both text forms, which must agree."""
    status, ctype, text = get(base + "metrics", "text/plain")
    d.expect(status == 200 and ctype.startswith("text/plain; version=0.0.4"), f"text: {status} {ctype}")
    text_samples = {s.name + json.dumps(s.labels, sort_keys=True): s.value
                    for f in parse_text(text) for s in f.samples}
    status, ctype, om = get(base + "metrics", "application/openmetrics-text; version=1.0.0")
    d.expect(status == 200 and ctype.startswith("application/openmetrics-text"), f"openmetrics: {status} {ctype}")
    om_families = {f.name: f for f in parse_openmetrics(om)}
    d.expect(om_families["jitsi_jvb_conferences_created"].type == "counter", "counter family")
    d.expect(om_families["jitsi_jvb_conferences_by_size"].type == "histogram", "histogram family")
    om_samples = {s.name + json.dumps(s.labels, sort_keys=True): s.value
                  for f in om_families.values() for s in f.samples}
    gauges = {k: v for k, v in text_samples.items() if "bitrate" not in k and "rate" not in k}
    for k, v in gauges.items():
        if k in om_samples and not k.startswith(("jitsi_jvb_thread_count", "jitsi_jvb_bytes", "jitsi_jvb_packets")):
            d.expect(om_samples[k] == v or "loss" in k or "stress" in k or "steal" in k,
                     f"{k}: text {v}, openmetrics {om_samples[k]}")
    return {k.split("{")[0] if k.endswith("{}") else k: v for k, v in text_samples.items()}


def run(tmp, loadgen):
    port = free_port()
    conf = d.BASE_CONF + f"""
videobridge.media-workers = 2
videobridge.apis.rest.enabled = true
videobridge.stats.interval = 200 ms
videobridge.health.interval = 200 ms
ice4j.harvest.allowed-addresses = [ "127.0.0.1" ]
videobridge.http-servers.public.port = {port}
videobridge.http-servers.public.host = "127.0.0.1"
videobridge.websockets {{ enabled = true, domains = [ "127.0.0.1:{port}" ], tls = false }}
"""
    env = dict(os.environ, JVB_TEST_HOOKS="1")
    daemon = d.Daemon(["--config", d.write_conf(tmp, conf)], env=env)
    base = daemon.url()
    lines = list(daemon.output)
    threading.Thread(target=drain, args=(daemon.proc, lines), daemon=True).start()

    # Idle: every key with its type, nothing counted yet.
    idle = get_json(base + "colibri/stats")
    check_types(idle)
    d.expect(idle["conferences"] == 0 and idle["endpoints"] == 0 and idle["total_conferences_created"] == 0,
             f"idle: {idle}")
    d.expect(idle["healthy"] is True and idle["drain"] is False, f"idle state: {idle}")
    m = metric_values(base)
    d.expect(m["jitsi_jvb_conferences"] == 0 and m["jitsi_jvb_healthy"] == 1, "idle metrics")

    # Content negotiation and the generic answers.
    status, ctype, body = get(base + "metrics", "application/json")
    d.expect(status == 200 and ctype.startswith("application/json"), f"json: {status} {ctype}")
    j = json.loads(body)
    d.expect(j["conferences"] == 0 and j["healthy"] is True and "conferences_created_total" in j, f"json {j}")
    d.expect(j["conferences_by_size"]["count"] == 0, "json histogram")
    status, ctype, _ = get(base + "metrics", "*/*")
    d.expect(status == 200 and ctype.startswith("application/openmetrics-text"), f"*/*: {ctype}")
    status, ctype, _ = get(base + "metrics")
    d.expect(status == 200, f"no Accept: {status}")
    d.expect(get(base + "metrics", "text/html")[0] == 406, "text/html is not 406")
    d.expect(d.call("POST", base + "metrics", {})[0] == 405, "POST /metrics is not 405")
    d.expect(d.call("POST", base + "colibri/stats", {})[0] == 405, "POST /colibri/stats is not 405")
    d.expect(d.call("GET", base + "colibri/statz")[0] == 404, "an unknown path is not 404")

    # A conference of three: the counts go up while it runs.
    out = os.path.join(tmp, "loadgen.json")
    args = [loadgen, "--bridge", base, "--conferences", "1", "--participants", "3", "--speakers", "1",
            "--duration", "8", "--warmup", "1", "--json", out]
    print("  running", " ".join(args))
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    live = until(lambda: (lambda s: s if s["conferences"] == 1 and s["endpoints"] == 3
                          and s["endpoints_sending_audio"] == 3 and s["bit_rate_download"] > 0
                          and s["packet_rate_upload"] > 0 else None)(get_json(base + "colibri/stats")),
                 "a live conference of three sending", timeout=LOADGEN_TIMEOUT_S)
    print("  live:", {k: live[k] for k in ("conferences", "endpoints", "largest_conference", "bit_rate_download",
                                           "bit_rate_upload", "packet_rate_download", "endpoints_sending_video",
                                           "total_ice_succeeded", "incoming_loss")})
    check_types(live)
    d.expect(live["largest_conference"] == 3 and live["total_conferences_created"] == 1, f"live {live}")
    d.expect(live["total_participants"] == 3 and live["total_ice_succeeded"] >= 3, f"live {live}")
    d.expect(live["local_active_endpoints"] == 3 and live["inactive_conferences"] == 0, f"live {live}")
    m = metric_values(base)
    d.expect(m["jitsi_jvb_conferences"] == 1 and m["jitsi_jvb_current_endpoints"] == 3, "live metrics")
    d.expect(m['jitsi_jvb_conferences_by_size_bucket{"le": "3.0"}'] == 1
             and m['jitsi_jvb_conferences_by_size_bucket{"le": "2.0"}'] == 0, "live histogram")
    d.expect(m["jitsi_jvb_packets_received_total"] > 0 and m["jitsi_jvb_bytes_sent_total"] > 0, "live counters")
    # /debug for one conference and one endpoint: its transport, as an admin needs it.
    summary = get_json(base + "debug")
    d.expect("health" in summary and summary["health"]["success"] is True, f"/debug summary {summary.keys()}")
    (conf_id,) = summary["conferences"].keys()
    endpoint = next(iter(summary["conferences"][conf_id]["endpoints"]))
    one = get_json(base + f"debug/{conf_id}/{endpoint}")["conferences"][conf_id]
    d.expect(list(one["endpoints"]) == [endpoint], f"/debug/conf/ep endpoints {list(one['endpoints'])}")
    t = one["endpoints"][endpoint]["transport"]
    print("  transport:", t)
    d.expect(t["state"] == "connected" and t["ice_state"] == "connected" and t["dtls_state"] == "connected"
             and t["selected_remote"].startswith("127.0.0.1:") and t["srtp_profile"], f"transport {t}")
    d.expect(get_json(base + "debug/0123456789abcdef")["conferences"] == {"0123456789abcdef": "null"},
             "an unknown conference")
    # Each endpoint's streams as a sender: audio and three simulcast encodings, with their rates.
    streams = one["endpoints"][endpoint]["incoming_streams"]
    d.expect(len([s for s in streams if s["kind"] == "audio"]) == 1
             and any(s["kind"] == "video" and s["bps"] > 0 and s["packets"] > 0 for s in streams),
             f"incoming streams {streams}")
    # The round trip: the loadgen's receiver reports echo the sender reports the bridge relays.
    rtt = until(lambda: (lambda s: s if s["rtt_aggregate"] > 0 else None)(get_json(base + "colibri/stats")),
                "a round trip measured", timeout=LOADGEN_TIMEOUT_S)["rtt_aggregate"]
    ep = get_json(base + f"debug/{conf_id}/{endpoint}")["conferences"][conf_id]["endpoints"][endpoint]
    print(f"  rtt_aggregate {rtt} ms; {endpoint}: rtt_ms {ep['rtt_ms']}, outgoing_loss {ep['outgoing_loss']}")
    d.expect(0 < rtt < 1000, f"rtt_aggregate {rtt}")
    d.expect(m.get("jitsi_jvb_average_rtt") is not None, "jitsi_jvb_average_rtt missing")
    # /stats: the loadgen's conference (rtcstats on by default) and not one created without it.
    quiet = {"meeting-id": "no-rtcstats", "name": "quiet@conference.example.org", "create": True,
             "rtcstats-enabled": False, "endpoints": [quiet_endpoint("q1")]}
    status, body = d.call("POST", base + "colibri/v2/conferences", quiet)
    d.expect(status == 200, f"create without rtcstats: {status} {body}")
    status, body = d.call("PATCH", base + "colibri/v2/conferences/no-rtcstats", {"endpoints": [quiet_endpoint("q2")]})
    d.expect(status == 200, f"a second endpoint: {status} {body}")
    rtc = get_json(base + "stats")
    d.expect(list(rtc) == ["conferences"] and list(rtc["conferences"]) == [conf_id], f"/stats {list(rtc)}: {rtc}")
    c = rtc["conferences"][conf_id]
    d.expect(c["rtcstatsEnabled"] is True and "dominantEndpoint" in c["speech_activity"]
             and len(c["endpoints"]) == 3 and c["endpoints"][endpoint]["expired"] is False, f"/stats conference {c}")
    everything = get_json(base + "debug")["conferences"]
    (quiet_id,) = [k for k, v in everything.items() if v["meeting_id"] == "no-rtcstats"]
    d.expect(everything[quiet_id]["rtcstatsEnabled"] is False, f"/debug without rtcstats {everything[quiet_id]}")
    # Two endpoints and no media through the bridge: a peer-to-peer conference.
    until(lambda: get_json(base + "colibri/stats")["p2p_conferences"] == 1, "the quiet conference counted as p2p")
    d.expect(d.call("PATCH", base + "colibri/v2/conferences/no-rtcstats", {"expire": True})[0] == 200,
             "expire the quiet conference")
    stdout, stderr = p.communicate(timeout=LOADGEN_TIMEOUT_S)
    d.expect(p.returncode == 0, f"loadgen exit status {p.returncode}: {stderr[-2000:]}")

    # Expired by loadgen at its end: back to zero, both conferences counted as completed.
    done = until(lambda: (lambda s: s if s["conferences"] == 0 and s["endpoints"] == 0 else None)(
        get_json(base + "colibri/stats")), "the conference gone from the stats")
    d.expect(done["total_conferences_completed"] == 2 and done["total_conference_seconds"] >= 3, f"done {done}")
    d.expect(done["total_bytes_received"] >= live["total_bytes_received"] > 0, f"done {done}")
    d.expect(done["total_data_channel_messages_received"] + done["total_colibri_web_socket_messages_received"] > 0,
             f"bridge-channel messages {done}")
    m = metric_values(base)
    d.expect(m["jitsi_jvb_conferences"] == 0 and m["jitsi_jvb_conferences_completed_total"] == 2, "done metrics")

    # The watchdog: a held media worker makes the bridge unhealthy, and healthy again after.
    with urllib.request.urlopen(urllib.request.Request(base + "test/stall-worker?ms=7000", method="POST"),
                                timeout=d.DEADLINE_S) as r:
        d.expect(r.status == 200, f"stall-worker: {r.status}")
    status, body = until(lambda: (lambda r: r if r[0] != 200 else None)(d.call("GET", base + "about/health")),
                         "/about/health failing while a media worker is held", timeout=15)
    print(f"  held worker: /about/health {status} {body!r}")
    d.expect(status == 500 and "Media worker 0" in body, f"health while held: {status} {body!r}")
    d.expect(get_json(base + "colibri/stats")["healthy"] is False, "healthy stat while held")
    until(lambda: d.call("GET", base + "about/health")[0] == 200, "/about/health back to 200", timeout=20)

    daemon.proc.send_signal(signal.SIGTERM)
    code = daemon.proc.wait(timeout=d.DEADLINE_S)
    d.expect(code == 0, f"daemon exit status {code}")

    # The switches: /colibri/stats is part of the COLIBRI API (off by default), /metrics of
    # the PROMETHEUS API.
    off_conf = d.BASE_CONF + "videobridge.rest.prometheus.enabled = false\nvideobridge.rest.rtcstats.enabled = false\n"
    off = d.Daemon(["--config", d.write_conf(tmp, off_conf, "off.conf")])
    d.expect(d.call("GET", off.url() + "colibri/stats")[0] == 404, "/colibri/stats without the COLIBRI API")
    d.expect(get(off.url() + "metrics")[0] == 404, "/metrics with the PROMETHEUS API off")
    d.expect(d.call("GET", off.url() + "stats")[0] == 404, "/stats with the RTCSTATS API off")
    d.expect(off.stop() == 0, "exit status")


if __name__ == "__main__":
    sys.exit(main_for("stats_api", run, sys.argv, (OSError, json.JSONDecodeError, ValueError)))
