#!/usr/bin/python3
"""tools/loadgen against the real daemon: the bridge on free ports with the REST Colibri2 API
and colibri-ws enabled, then one conference of three participants, every one sending audio and
VP8 simulcast, for 4 s. Checks what loadgen reports (its --json): every endpoint connected and
opened its bridge channel, every endpoint received audio and video from both others, loss below
a few percent, latency and layers measured; and that it exits 0.

Usage: loadgen_smoke_test.py VIDEOBRIDGE_BINARY LOADGEN_BINARY
No fixed ports, no sleeps: every wait is a bounded read of a process's output or its exit."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import daemon_test as d  # noqa: E402

LOADGEN_TIMEOUT_S = 90


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drain(proc, lines):
    """Reads the daemon's output to the end, so a chatty bridge never blocks on a full pipe."""
    for raw in iter(proc.stdout.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        lines.append(line)
        print("  daemon:", line)


def run(tmp, loadgen):
    port = free_port()
    conf = d.BASE_CONF + f"""
videobridge.apis.rest.enabled = true
ice4j.harvest.allowed-addresses = [ "127.0.0.1" ]
videobridge.http-servers.public.port = {port}
videobridge.http-servers.public.host = "127.0.0.1"
videobridge.websockets {{ enabled = true, domains = [ "127.0.0.1:{port}" ], tls = false }}
"""
    daemon = d.Daemon(["--config", d.write_conf(tmp, conf)])
    base = daemon.url()
    lines = list(daemon.output)
    reader = threading.Thread(target=drain, args=(daemon.proc, lines), daemon=True)
    reader.start()
    out = os.path.join(tmp, "loadgen.json")
    args = [loadgen, "--bridge", base, "--conferences", "1", "--participants", "3", "--speakers", "1",
            "--duration", "4", "--warmup", "1", "--json", out, "--bridge-pid", str(daemon.proc.pid)]
    print("  running", " ".join(args))
    p = subprocess.run(args, capture_output=True, text=True, timeout=LOADGEN_TIMEOUT_S)
    for line in p.stderr.splitlines():
        print("  loadgen (stderr):", line)
    for line in p.stdout.splitlines():
        print("  loadgen:", line)

    daemon.proc.send_signal(signal.SIGTERM)
    try:
        code = daemon.proc.wait(timeout=d.DEADLINE_S)
    except subprocess.TimeoutExpired:
        daemon.proc.kill()
        raise AssertionError("the daemon did not stop after SIGTERM")
    reader.join(timeout=d.DEADLINE_S)
    d.expect(code == 0, f"daemon exit status {code}")

    d.expect(p.returncode == 0, f"loadgen exit status {p.returncode}")
    d.expect(os.path.exists(out), "loadgen wrote no JSON")
    with open(out) as f:
        r = json.load(f)
    d.expect(r["ok"] and not r["failures"], f"failures: {r['failures']}")
    e = r["endpoints"]
    d.expect(e["total"] == 3 and e["connected"] == 3, f"endpoints {e}")
    d.expect(e["channels_open"] == 3, f"bridge channels {e}")
    d.expect(3.5 <= r["measured_s"] <= 6, f"measured {r['measured_s']} s")
    for ep in r["per_endpoint"]:
        d.expect(ep["connected"] and ep["channel_open"] and not ep["error"], f"endpoint {ep}")
        d.expect(set(ep["from"]) == {o["id"] for o in r["per_endpoint"] if o["id"] != ep["id"]},
                 f"{ep['id']} lists senders {sorted(ep['from'])}")
        for sender, got in ep["from"].items():
            # 50 audio packets a second for 4 s; video at least the 180p layer's 30 frames a second.
            d.expect(got["audio_packets"] >= 150, f"{ep['id']} got {got['audio_packets']} audio packets from {sender}")
            d.expect(got["video_packets"] >= 100, f"{ep['id']} got {got['video_packets']} video packets from {sender}")
    loss = r["loss"]
    d.expect(loss["expected"] > 1000, f"expected packets {loss['expected']}")
    d.expect(loss["percent"] < 3.0, f"loss {loss['percent']}%")
    for kind in ("audio", "video"):
        lat = r["latency"][kind]
        d.expect(lat["samples"] > 100 and lat["p50_ms"] is not None and lat["p99_ms"] is not None,
                 f"{kind} latency {lat}")
        d.expect(0 <= lat["p50_ms"] < 200, f"{kind} latency p50 {lat['p50_ms']} ms")
    heights = {l["height"]: l for l in r["layers"]}
    d.expect(180 in heights and heights[180]["streams"] == 6, f"layers {r['layers']}")
    d.expect(r["cpu"]["generator_s"] > 0 and r["cpu"]["bridge_s"] is not None, f"cpu {r['cpu']}")
    d.expect(r["sent"]["audio_packets"] > 500 and r["sent"]["video_packets"] > 500, f"sent {r['sent']}")
    print(f"  {e['connected']} endpoints, loss {loss['percent']:.3f}%, audio p50 {r['latency']['audio']['p50_ms']} ms,"
          f" video p50 {r['latency']['video']['p50_ms']} ms, bridge {r['cpu']['bridge_s']:.2f} s CPU")


def main_for(name, run, argv, errors=()):
    """A test's main: `run(tmp, loadgen)` with the binaries from argv, PASS/FAIL printed, every
    daemon it started killed and its temporary folder removed on every way out."""
    if len(argv) != 3:
        print(sys.modules["__main__"].__doc__)
        return 2
    d.BINARY = os.path.abspath(argv[1])
    loadgen = os.path.abspath(argv[2])
    tmp = tempfile.mkdtemp(prefix=f"jvb-{name}-")
    try:
        run(tmp, loadgen)
    except (AssertionError, subprocess.TimeoutExpired, *errors) as e:
        print(f"FAIL {name}: {e}")
        return 1
    finally:
        for daemon in d._started:
            if daemon.proc.poll() is None:
                daemon.proc.kill()
                daemon.proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"PASS {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main_for("loadgen_smoke", run, sys.argv))
