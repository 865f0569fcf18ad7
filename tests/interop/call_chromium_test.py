#!/usr/bin/python3
"""A real call through the bridge: the daemon, the focus (tools/focus) and three headless
Chromium pages in one room, inside a loopback-only network namespace. The focus drives the bridge
the way Jicofo does, with Colibri2 IQs through the brewery room of a private Prosody (mode xmpp),
or over the bridge's Colibri2 REST API (mode rest).

Checks, in order: every page joins, answers the focus's offers, and connects ICE and DTLS to the
bridge; every page is offered the other two's audio and video; every page decodes video frames
and receives audio from each of the others (VP8 simulcast sent, projected by the bridge, which
forwards video only once the page has sent ReceiverVideoConstraints on its bridge channel, the
SCTP data channel the offer's data line sets up); every page's bridge channel is open and has
brought at least one DominantSpeakerEndpointChangeEvent or ForwardedSources; one leaves, the other two are renegotiated without it and keep receiving from each other; a fourth
joins and all three see each other. Prints the counters.

Usage: call_chromium_test.py VIDEOBRIDGE_BINARY FOCUS_BINARY PAGE_DIR xmpp|rest"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "dev"))
import colibri2_rest_test as rest  # noqa: E402
import daemon_test as d  # noqa: E402
import webdriver  # noqa: E402
from prosody_instance import ProsodyInstance  # noqa: E402

ROOM = "call-test"
MIN_FRAMES = 31            # "more than 30 video frames" from each other participant
WAIT_MS = 20000            # per in-page wait
TOTAL_S = 110              # all waits together stay within this
DEADLINE = None


class Process(d.Daemon):
    """daemon_test's runner, plus a reader thread once the process is up, so that a chatty
    process never blocks on a full pipe while the browsers run."""

    def __init__(self, argv, label):
        self.output = []
        self._buffer = b""
        self.label = label
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.thread = None

    def drain(self):
        partial, self._buffer = self._buffer, b""  # the start of a line wait_for() did not finish

        def run():
            nonlocal partial
            for raw in iter(self.proc.stdout.readline, b""):
                self.output.append((partial + raw).decode("utf-8", "replace").rstrip("\n"))
                partial = b""
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=d.DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.label} did not stop after the signal")
        if self.thread:
            self.thread.join(timeout=5)
        return self.proc.returncode


class Participant:
    """One call page; `query` adds to its URL (e.g. "&channel=ws")."""

    def __init__(self, name, url, query=""):
        self.name = name
        self.browser = webdriver.Browser(timeout_s=60)
        self.browser.open(f"{url}?room={ROOM}&name={name}{query}")
        self.endpoint = None

    def wait(self, **spec):
        left_ms = int((DEADLINE - time.monotonic()) * 1000)
        d.expect(left_ms > 0, f"the test took longer than {TOTAL_S} s")
        spec.setdefault("timeoutMs", min(WAIT_MS, left_ms))
        result = self.browser.call_async("waitFor", spec)
        d.expect(isinstance(result, dict) and "state" in result, f"{self.name}: waitFor failed: {result}")
        return result

    def close(self):
        self.browser.close()


def counters(state, endpoints):
    return {ep: state["remotes"].get(ep, {"framesDecoded": 0, "videoPacketsReceived": 0, "audioPacketsReceived": 0})
            for ep in endpoints}


def show(p, state, endpoints, names):
    parts = []
    for ep, r in counters(state, endpoints).items():
        parts.append(f"{names[ep]}: {r['framesDecoded']} frames / {r['videoPacketsReceived']} video pkts / "
                     f"{r['audioPacketsReceived']} audio pkts")
    print(f"  {p.name} ({p.endpoint}) receives  " + ("; ".join(parts) or "nothing"))


def expect_connected(p):
    # Connected, and the camera's first simulcast SSRC (the one the bridge projects) is sending.
    # Chrome encodes at most 2 layers for 640x360 and adds the upper one only when its bandwidth
    # estimate allows, so only the lowest layer is certain.
    r = p.wait(connected=True, sendingPrimary=True)
    d.expect(r["ok"], f"{p.name}: did not connect to the bridge and send ({r.get('why')}): {r['state']}")
    p.endpoint = r["state"]["endpoint"]
    s = r["state"]
    d.expect(re.fullmatch(r"[0-9a-f]{8}", p.endpoint or ""), f"{p.name}: endpoint id {p.endpoint!r}")
    d.expect(len(s["sentSimulcast"]) == 3, f"{p.name}: camera not munged into 3 simulcast SSRCs: {s}")
    print(f"  {p.name} joined as {p.endpoint}: ICE {s['ice']}, DTLS {s['dtls']}, "
          f"{s['offers']} offer(s) answered, simulcast SSRCs {s['sentSimulcast']}, sending "
          + ", ".join(f"{l['ssrc']} {l['width']}x{l['height']}" for l in s["sentLayers"]))


def expect_offered(p, others):
    r = p.wait(connected=True, remotes=[o.endpoint for o in others])
    d.expect(r["ok"], f"{p.name}: signaling incomplete ({r.get('why')}): streams {r['state']['streams']}")
    mids = {s["mid"]: (s["endpoint"], s["kind"]) for s in r["state"]["streams"]}
    print(f"  {p.name} is offered {sorted(mids.items())}")
    return r["state"]


def expect_media(p, others, names, baseline=None, min_frames=MIN_FRAMES, min_audio=1):
    eps = [o.endpoint for o in others]
    r = p.wait(media=eps, baseline=baseline or {}, minFrames=min_frames, minAudioPackets=min_audio)
    show(p, r["state"], eps, names)
    d.expect(r["ok"], f"{p.name}: media from {[o.name for o in others]} not received through the bridge: "
                      f"{r.get('why')} within {WAIT_MS} ms")
    return r["state"]


def expect_bridge_channel(p):
    # The page sends its ReceiverVideoConstraints when the channel opens; the bridge sends
    # ForwardedSources on connect and the dominant speaker once anyone has spoken.
    r = p.wait(bridgeOpen=True, bridgeMessages=["DominantSpeakerEndpointChangeEvent", "ForwardedSources"])
    b = r["state"]["bridgeChannel"]
    d.expect(r["ok"], f"{p.name}: bridge channel ({r.get('why')}): {b}")
    d.expect(b["sentCounts"].get("ReceiverVideoConstraints", 0) >= 1, f"{p.name}: no constraints sent: {b}")
    d.expect(b["invalid"] == 0, f"{p.name}: the bridge sent messages that are not bridge messages: {b}")
    print(f"  {p.name}: bridge channel open, received {b['counts']}, dominant speaker {b['dominantSpeaker']}, "
          f"forwarded {b['forwardedSources']}")


def bridge_conf(prosody):
    """The daemon's configuration: REST stays on for /debug (the focus's bitrate panel, and what
    a failing test prints); with a Prosody, the bridge also joins its brewery."""
    if prosody is None:
        return rest.REST_CONF
    return rest.REST_CONF + f"""
videobridge.apis.xmpp-client.presence-interval = 1 second
videobridge.apis.xmpp-client.configs.shard {{
  HOSTNAME = "127.0.0.1", PORT = {prosody.c2s_port}, DOMAIN = "{prosody.auth_domain}"
  USERNAME = "jvb", PASSWORD = "{prosody.passwords['jvb']}"
  MUC_JIDS = "{prosody.brewery}", MUC_NICKNAME = "jvb-1"
  DISABLE_CERTIFICATE_VERIFICATION = true
}}
"""


class Call:
    """Prosody (xmpp mode), the bridge and the focus, started in that order and stopped in
    reverse; `url` is the call page."""

    def __init__(self, mode, focus_binary, page_dir, tmp):
        self.prosody = None
        self.bridge = self.focus = None
        if mode == "xmpp":
            self.prosody = ProsodyInstance(os.path.join(tmp, "prosody"))
            self.prosody.setup()
            self.prosody.start()
        self.bridge = Process([d.BINARY, "--config", d.write_conf(tmp, bridge_conf(self.prosody))], "videobridge")
        self.base = self.bridge.url()
        self.bridge.drain()
        if self.prosody is None:
            signaling = ["--bridge", self.base]
        else:
            p = self.prosody
            signaling = ["--xmpp", f"127.0.0.1:{p.c2s_port}", "--domain", p.auth_domain, "--user", "focus",
                         "--password", p.passwords["focus"], "--brewery", p.brewery,
                         "--disable-certificate-verification", "--bridge-http", self.base]
        self.focus = Process([focus_binary, *signaling, "--listen", "127.0.0.1:0", "--page-dir", page_dir], "focus")
        self.url = self.focus.wait_for(r"^Focus listening on (http://127\.0\.0\.1:\d+/)$").group(1)
        if self.prosody is not None:
            # Conferences can only be placed once the focus knows a bridge.
            self.focus.wait_for(r"Bridge \S+/jvb-1 joined the brewery")
        self.focus.drain()

    def debug(self):
        return d.http("GET", self.base + "debug?full=true")[2].decode()

    def close(self):
        for proc in (self.focus, self.bridge):
            if proc and proc.proc.poll() is None:
                proc.proc.kill()
                proc.proc.wait()
            if proc and proc.thread:
                proc.thread.join(timeout=5)
        for proc, name in ((self.focus, "focus"), (self.bridge, "bridge")):
            if proc:
                print(f"--- last lines of {name} ---\n" + "\n".join(proc.output[-15:]))
        if self.prosody:
            self.prosody.stop()


def start_clock():
    global DEADLINE
    started = time.monotonic()
    DEADLINE = started + TOTAL_S
    return started


def run(mode, focus_binary, page_dir, tmp):
    d.expect(webdriver.available(), "chromium and chromedriver are not installed (make test installs them)")
    started = start_clock()
    call = None
    people = []
    try:
        call = Call(mode, focus_binary, page_dir, tmp)
        bridge, focus, url = call.bridge, call.focus, call.url

        print("three participants join")
        a, b, c = (Participant(n, url) for n in ("A", "B", "C"))
        people = [a, b, c]
        for p in people:
            expect_connected(p)
        names = {p.endpoint: p.name for p in people}
        for p in people:
            expect_offered(p, [o for o in people if o is not p])
        for p in people:
            expect_media(p, [o for o in people if o is not p], names)
        for p in people:
            expect_bridge_channel(p)

        print("C leaves")
        d.expect(c.browser.call_async("leave").get("ok"), "C: leave() failed")
        c.close()
        people.remove(c)
        before = {}
        for p in (a, b):
            other = b if p is a else a
            state = expect_offered(p, [other])
            before[p.name] = counters(state, [other.endpoint])
        for p in (a, b):
            other = b if p is a else a
            expect_media(p, [other], names, baseline=before[p.name], min_frames=10, min_audio=10)

        print("D joins")
        dd = Participant("D", url)
        people.append(dd)
        expect_connected(dd)
        names[dd.endpoint] = "D"
        before = {}
        for p in people:
            others = [o for o in people if o is not p]
            before[p.name] = counters(expect_offered(p, others), [o.endpoint for o in others])
        for p in people:
            # Frames from D, and more frames from those already there.
            expect_media(p, [o for o in people if o is not p], names, baseline=before[p.name])
        expect_bridge_channel(dd)

        print("everyone leaves")
        for p in list(people):
            p.close()
            people.remove(p)
        d.expect(focus.stop() == 0, "focus exit status after SIGTERM")
        focus_log = "\n".join(focus.output)
        d.expect("failed" not in focus_log, f"the focus logged failures:\n{focus_log}")
        d.expect(bridge.stop() == 0, "bridge exit status after SIGTERM")
        created = sum("Created endpoint" in line for line in bridge.output)
        d.expect(created == 4, f"the bridge created {created} endpoints, expected 4")
        print(f"total {time.monotonic() - started:.1f} s")
    except AssertionError:
        print_debug(call)
        raise
    finally:
        for p in people:
            p.close()
        if call:
            call.close()


def print_debug(call):
    """What the bridge's packet path saw, to tell why media did not arrive."""
    try:
        print("--- bridge /debug?full=true ---\n" + call.debug()[:6000])
    except Exception as e:  # the bridge may be gone
        print(f"(no /debug: {e})")


def main_with(script, doc, run, prefix, modes=None):
    """The main() of a call test: VIDEOBRIDGE_BINARY FOCUS_BINARY PAGE_DIR [MODE]; `run` gets
    the focus binary, the page directory and a temporary directory (and the mode first, with
    `modes`)."""
    argc = 5 if modes else 4
    if len(sys.argv) != argc or (modes and sys.argv[4] not in modes):
        print(doc)
        return 2
    d.BINARY = os.path.abspath(sys.argv[1])
    mode = (sys.argv[4],) if modes else ()

    def run_in_tmp():
        tmp = tempfile.mkdtemp(prefix=prefix)
        try:
            run(*mode, os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3]), tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return webdriver.run_test(script, run_in_tmp)


def main():
    return main_with(__file__, __doc__, run, "jvb-call-", ("xmpp", "rest"))


if __name__ == "__main__":
    sys.exit(main())
