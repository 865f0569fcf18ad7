#!/usr/bin/python3
"""A call keeps flowing while the control thread is held up: the real daemon with two media
workers and its test hook on (JVB_TEST_HOOKS=1: POST /test/stall-control?ms=N holds the control
thread, which runs signaling, HTTP and colibri-ws, as a blocking XMPP send would), two
conferences of three tools/loadgen participants for 5 s, and a 2 s hold of the control thread in
the middle of the measured period. Media runs on the workers, so nothing a participant receives
waits for it: loss stays near zero and the largest added latency stays far below the hold (it
would be about 2000 ms if media waited for the control thread).

Usage: control_stall_test.py VIDEOBRIDGE_BINARY LOADGEN_BINARY
No fixed ports, no sleeps: the hold is the bridge's own; every wait is a bounded read of a
process's output or its exit."""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import daemon_test as d  # noqa: E402
from loadgen_smoke_test import drain, free_port, main_for  # noqa: E402

LOADGEN_TIMEOUT_S = 90
HOLD_MS = 2000
# What the largest added latency may reach: a loaded test machine's hiccups, well under the hold.
MAX_LATENCY_MS = 500


def run(tmp, loadgen):
    port = free_port()
    conf = d.BASE_CONF + f"""
videobridge.media-workers = 2
videobridge.apis.rest.enabled = true
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
    out = os.path.join(tmp, "loadgen.json")
    args = [loadgen, "--bridge", base, "--conferences", "2", "--participants", "3", "--speakers", "1",
            "--duration", "5", "--warmup", "1", "--json", out]
    print("  running", " ".join(args))
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = queue.Queue()

    def read_stderr():
        for line in p.stderr:
            said.put(line.rstrip("\n"))
        said.put(None)

    threading.Thread(target=read_stderr, daemon=True).start()
    deadline = time.monotonic() + LOADGEN_TIMEOUT_S
    while True:
        line = said.get(timeout=max(deadline - time.monotonic(), 0.1))
        d.expect(line is not None, "loadgen ended before measuring")
        print("  loadgen (stderr):", line)
        if "measuring" in line:
            break
    started = time.monotonic()
    with urllib.request.urlopen(urllib.request.Request(base + f"test/stall-control?ms={HOLD_MS}", method="POST"),
                                timeout=30) as r:
        d.expect(r.status == 200, f"stall hook answered {r.status}")
    held = time.monotonic() - started
    print(f"  the control thread was held for {held:.2f} s")
    d.expect(held >= HOLD_MS / 1000 * 0.95, f"the hold took only {held:.2f} s")
    stdout, _ = p.communicate(timeout=LOADGEN_TIMEOUT_S)
    for line in stdout.splitlines():
        print("  loadgen:", line)

    daemon.proc.send_signal(signal.SIGTERM)
    code = daemon.proc.wait(timeout=d.DEADLINE_S)
    d.expect(code == 0, f"daemon exit status {code}")
    d.expect(p.returncode == 0, f"loadgen exit status {p.returncode}")
    with open(out) as f:
        r = json.load(f)
    e = r["endpoints"]
    d.expect(e["total"] == 6 and e["connected"] == 6, f"endpoints {e}")
    for ep in r["per_endpoint"]:
        for sender, got in ep["from"].items():
            # 50 audio packets a second for 5 s, the hold included.
            d.expect(got["audio_packets"] >= 200, f"{ep['id']} got {got['audio_packets']} audio packets from {sender}")
    loss = r["loss"]
    d.expect(loss["expected"] > 1000 and loss["percent"] < 1.0, f"loss {loss}")
    for kind in ("audio", "video"):
        lat = r["latency"][kind]
        d.expect(lat["samples"] > 100 and lat["max_ms"] is not None and lat["max_ms"] < MAX_LATENCY_MS,
                 f"{kind} latency during a {HOLD_MS} ms hold of the control thread: {lat}")
    print(f"  loss {loss['percent']:.3f}%, largest added latency audio {r['latency']['audio']['max_ms']:.1f} ms,"
          f" video {r['latency']['video']['max_ms']:.1f} ms, while the control thread was held {held:.2f} s")


if __name__ == "__main__":
    sys.exit(main_for("control_stall", run, sys.argv, (queue.Empty, OSError)))
