#!/usr/bin/python3
"""Named end-to-end benchmark scenarios: the real daemon (build/bridge/videobridge) driven by
tools/loadgen, each scenario on a fresh bridge, the bridge pinned to CPU 0 and the generator to
CPU 1, the whole run in a private network namespace (only `lo`, up). Then, once, the forwarding
limit of ../shared/bench/limit/run.sh ("gcm 10 64"), and a Markdown report (plus a PNG plot when
matplotlib is installed) under bench/results/, copied to bench/results/latest.md.

What one scenario records, over a window inside loadgen's measured period: the bridge's CPU
(utime + stime from /proc/PID/stat), the packets it forwarded (its own counter,
GET /debug?full=true -> packet_path.rtp_out, at both ends of the same window), so CPU ns per
forwarded packet and forwarded packets/s; from loadgen's JSON the loss, the added latency
percentiles and the generator's CPU; VmHWM and Threads from /proc/PID/status.

A generator that cannot keep up on its one core (late frames or a saturated core) invalidates a
run: the shape is tried once more when other processes held the generator's CPU, then the
scenario steps down its ladder of lighter shapes; the report names the shape that was actually
measured, and why the heavier ones were dropped. A run the generator drove but the bridge did not
sustain (endpoints failed, or the bridge's core full) is kept as the scenario's saturation point,
and the ladder goes on to a sustained shape.

`f-janus` runs scenario (a)'s shape on our bridge and then on Janus's VideoRoom (Debian's `janus`,
in a network namespace of its own, pinned the same way), both driven by loadgen with SRTP pinned to
AES-GCM, and reports their CPU per forwarded packet side by side (the ratio ours / Janus); without
Janus installed that part is reported as not measured.

Usage: run-scenarios.py [--scenarios "a-10-senders d-100x5"] [--duration 15] [--warmup 3]
                        [--videobridge PATH] [--loadgen PATH] [--out DIR] [--no-limit] [--janus PATH]
       run-scenarios.py --smoke --out DIR    one conference of 3 for 3 s, no limit, no pinning;
                                             exits non-zero unless media flowed both ways and
                                             the report was written (the test suite's bench_smoke)
Standard library only; matplotlib (python3-matplotlib) is optional, for the plot.
Needs root for the network namespace (without it, runs on the host's loopback and says so)."""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
NETNS_MARKER = "JVB_BENCH_IN_NETNS"
BRIDGE_CPU, GENERATOR_CPU = 0, 1
LIMIT_CONFIG = "gcm 10 64"

# Readiness and shutdown bounds; none of them is a measured time.
START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 20
HTTP_TIMEOUT_S = 20

# The end of our window stays this far before loadgen's own end, so the window never reaches the
# moment its endpoints stop sending (loadgen checks its phase every 50 ms).
WINDOW_END_MARGIN_S = 0.25

# The generator is overloaded (the run says nothing about the bridge) when the frames it skipped
# (its `late:` line) exceed this share of the RTP packets it sent plus those frames, or when it
# used this share of its core.
LATE_SHARE_LIMIT = 0.001
GENERATOR_CPU_LIMIT = 0.90
# An overloaded run is tried once more before the scenario steps down when the generator spent
# more than this share of the window waiting for its CPU (other processes on its core): that is
# the machine being busy, not the shape being too heavy.
CONTENTION_RETRY_SHARE = 0.10
# A run the generator drove is the bridge's saturation point, not a sustained one, when endpoints
# failed (loadgen's verdict) or the bridge used this share of its core (its queues, so latency,
# then grow): the scenario keeps its figures and steps down for a sustained shape.
BRIDGE_SATURATED_SHARE = 0.95

BRIDGE_CONF = """
videobridge {{
  http-servers.private {{ host = 127.0.0.1, port = 0 }}
  ice.udp.port = 0
  health.require-valid-address = false
  apis.rest.enabled = true
  media-workers = {workers}
  http-servers.public {{ host = "127.0.0.1", port = {port} }}
  websockets {{ enabled = true, domains = [ "127.0.0.1:{port}" ], tls = false }}
}}
ice4j.harvest.allowed-addresses = [ "127.0.0.1" ]
"""


class Shape:
    """One loadgen run: the arguments that define the load."""

    def __init__(self, conferences, participants, senders=-1, speakers=1, last_n=-1, max_height=180,
                 dtx=False, sample=0, duration=None):
        self.conferences = conferences
        self.participants = participants
        self.senders = participants if senders < 0 else senders
        self.speakers = speakers
        self.last_n = last_n
        self.max_height = max_height
        self.dtx = dtx
        # loadgen samples 1 endpoint in K (decrypts and parses all it gets: latency, layers); with
        # conferences of 5 its default K of 25 would pick only first participants, so such shapes
        # pass a K prime to the conference size.
        self.sample = sample
        self.duration = duration  # None: the run's --duration

    def endpoints(self):
        return self.conferences * self.participants

    def args(self):
        a = ["--conferences", str(self.conferences), "--participants", str(self.participants),
             "--senders", str(self.senders), "--speakers", str(self.speakers),
             "--last-n", str(self.last_n), "--max-height", str(self.max_height)]
        return a + (["--dtx"] if self.dtx else []) + (["--sample", str(self.sample)] if self.sample else [])

    def describe(self):
        if self.conferences == 1:
            head, each = f"1 conference of {self.participants}", ""
        else:
            head, each = f"{self.conferences} conferences of {self.participants}", "in each "
        video = ("all send video" if self.senders == self.participants
                 else "no video" if self.senders == 0
                 else f"video from {self.senders}")
        audio = (f"{self.speakers} speaker" + ("s" if self.speakers != 1 else "")
                 + (", the others' audio with DTX" if self.dtx else ""))
        last_n = "last-N unlimited" if self.last_n < 0 else f"last-N {self.last_n}"
        return (f"{head} ({self.endpoints()} endpoints), {each}{video}, {audio}; {last_n}, "
                f"max-height {self.max_height}")


class Scenario:
    def __init__(self, name, summary, ladder, connect_timeout=30, note=None, janus=False, workers=1):
        self.name = name
        self.summary = summary
        self.ladder = ladder  # the shape asked for first, then lighter ones
        self.connect_timeout = connect_timeout
        self.note = note
        self.janus = janus  # each shape on our bridge, then on Janus's VideoRoom (the comparison)
        self.workers = workers  # videobridge.media-workers; every worker shares the bridge's one core


# Every participant sends audio (loadgen has no audio-less participant) and the bridge forwards
# silence too, so audio fan-out grows with the square of a room's size: the large rooms step down
# to DTX for the silent participants first (what Opus DTX does in real clients), then to fewer
# participants or video senders. The first shape of each ladder is the one asked for.
SCENARIOS = [
    Scenario("a-10-senders", "1 conference of 10, all sending video and audio, 2 speakers, "
             "last-N -1, max-height 720",
             [Shape(1, 10, speakers=2, last_n=-1, max_height=720),
              Shape(1, 10, speakers=2, last_n=-1, max_height=360)]),
    Scenario("b-seeds-room", "1 conference of 100, 5 speaking, all 100 sending video, thumbnails "
             "at 180p, last-N 25",
             [Shape(1, 100, speakers=5, last_n=25, max_height=180),
              Shape(1, 100, speakers=5, last_n=25, max_height=180, dtx=True),
              Shape(1, 50, speakers=5, last_n=25, max_height=180, dtx=True),
              Shape(1, 40, speakers=5, last_n=25, max_height=180, dtx=True)],
             connect_timeout=60),
    Scenario("c-one-to-200", "1 video sender to 200 receivers (1 conference of 201, senders 1), "
             "max-height 720",
             [Shape(1, 201, senders=1, speakers=1, max_height=720),
              Shape(1, 201, senders=1, speakers=1, max_height=720, dtx=True),
              Shape(1, 101, senders=1, speakers=1, max_height=720, dtx=True)],
             connect_timeout=60),
    Scenario("d-100x5", "100 conferences of 5 (500 endpoints), all sending video and audio, "
             "max-height 360",
             [Shape(100, 5, speakers=1, max_height=360, sample=23),
              Shape(100, 5, senders=1, speakers=1, max_height=180, dtx=True, sample=23),
              Shape(100, 5, senders=0, speakers=1, max_height=180, dtx=True, sample=23),
              Shape(50, 5, senders=1, speakers=1, max_height=180, dtx=True, sample=13),
              Shape(40, 5, senders=1, speakers=1, max_height=180, dtx=True, sample=11),
              Shape(25, 5, senders=1, speakers=1, max_height=180, dtx=True, sample=7)],
             connect_timeout=90),
    # (e): the same load on 1 and on 2 media workers, the bridge on its one core either way, so the
    # difference is what sharing the port costs (hand-offs between workers, two loops), not a
    # second core. Ten conferences, so that both workers own some.
    Scenario("e-workers-1", "10 conferences of 5, all sending video and audio, max-height 360, on 1 media worker",
             [Shape(10, 5, speakers=1, max_height=360), Shape(10, 5, speakers=1, max_height=180)], workers=1),
    Scenario("e-workers-2", "the same on 2 media workers (one core): datagrams the kernel gives the other "
             "worker's socket are handed over",
             [Shape(10, 5, speakers=1, max_height=360), Shape(10, 5, speakers=1, max_height=180)], workers=2),
    # Side by side with Janus: the same shape, the same generator, SRTP pinned to AES-GCM on both.
    Scenario("f-janus", "scenario (a) on our bridge and on Janus's VideoRoom: 1 conference of 10, all "
             "sending video (VP8 simulcast, 3 layers) and audio, 2 speakers, max-height 720; SRTP "
             "AEAD_AES_128_GCM on both",
             [Shape(1, 10, speakers=2, last_n=-1, max_height=720),
              Shape(1, 10, speakers=2, last_n=-1, max_height=360),
              Shape(1, 6, speakers=2, last_n=-1, max_height=360)],
             janus=True),
]
SMOKE = Scenario("smoke", "1 conference of 3, all sending (the test suite's smoke)",
                 [Shape(1, 3, speakers=1, max_height=180)])


# ---- small helpers ----

def say(text):
    print(f"bench: {text}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def cpu_seconds(pid):
    """utime + stime of a process (proc(5): fields 14 and 15 of /proc/PID/stat)."""
    text = read(f"/proc/{pid}/stat")
    fields = text[text.rfind(")") + 2:].split()
    if len(fields) < 13:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_queue_wait_seconds(pid):
    """Time the process's main thread spent runnable but waiting for a CPU (proc(5),
    /proc/PID/schedstat: on-CPU ns, waiting ns, timeslices)."""
    fields = read(f"/proc/{pid}/schedstat").split()
    return int(fields[1]) / 1e9 if len(fields) >= 2 else None


def status_field(pid, name):
    m = re.search(rf"^{name}:\s*(\d+)", read(f"/proc/{pid}/status"), re.M)
    return int(m.group(1)) if m else None


def loadavg():
    return " ".join(read("/proc/loadavg").split()[:3])


def machine():
    models = re.findall(r"^model name\s*:\s*(.*)$", read("/proc/cpuinfo"), re.M)
    return {"cpu": models[0] if models else platform.processor() or "unknown",
            "cpus": os.cpu_count() or 1,
            "kernel": platform.release(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def git_describe():
    try:
        return subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True,
                              text=True, timeout=HTTP_TIMEOUT_S).stdout.strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def http_json(url):
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as r:
        return json.loads(r.read())


def pinned(cpu, argv, pin):
    return (["taskset", "-c", str(cpu)] if pin else []) + argv


# ---- the bridge ----

class Bridge:
    """The daemon on free ports, its output copied to a log file by a reader thread."""

    def __init__(self, binary, tmp, pin, workers=1):
        port = free_port()
        conf = os.path.join(tmp, "jvb.conf")
        with open(conf, "w") as f:
            f.write(BRIDGE_CONF.format(port=port, workers=workers))
        self.log_path = os.path.join(tmp, "videobridge.log")
        self.proc = subprocess.Popen(pinned(BRIDGE_CPU, [binary, "--config", conf], pin),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.url = None
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self):
        with open(self.log_path, "w") as log:
            for raw in iter(self.proc.stdout.readline, b""):
                line = raw.decode("utf-8", "replace")
                log.write(line)
                m = re.search(r"Private HTTP server listening on (http://[\d.]+:\d+/)", line)
                if m and not self.url:
                    self.url = m.group(1)
                    self._ready.set()
        self._ready.set()  # exited: wake the waiter

    def wait_ready(self):
        if not self._ready.wait(START_TIMEOUT_S) or not self.url:
            raise RuntimeError("the bridge did not start (no private HTTP server line): " + self.log_tail())
        return self.url

    def counters(self):
        """(forwarded RTP packets, datagrams received on the port, datagrams handed to another
        worker, heap allocations on the media workers' threads or None where not counted)."""
        d = http_json(self.url + "debug?full=true")
        port = d.get("media_port", {})
        return (d["packet_path"]["rtp_out"], port.get("received", 0), port.get("handed_off", 0),
                port.get("heap_allocations"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = "killed: no exit after SIGTERM"
        self._reader.join(timeout=STOP_TIMEOUT_S)
        return code

    def log_tail(self, lines=30):
        return "\n".join(read(self.log_path).splitlines()[-lines:])


# ---- one run of one shape ----

def run_shape(shape, scenario, opts, pin, tmp, extra_args=()):
    """Runs one shape on a fresh bridge; returns a dict of what was measured (or an error)."""
    os.makedirs(tmp, exist_ok=True)
    duration = shape.duration or opts.duration
    out = {"shape": shape.describe(), "endpoints": shape.endpoints(), "duration_s": duration}
    bridge = Bridge(opts.videobridge, tmp, pin, scenario.workers)
    out["workers"] = scenario.workers
    loadgen = None
    try:
        url = bridge.wait_ready()
        pid = bridge.proc.pid
        json_path = os.path.join(tmp, "loadgen.json")
        if os.path.exists(json_path):
            os.remove(json_path)
        argv = [opts.loadgen, "--bridge", url, *shape.args(), "--duration", str(duration),
                "--warmup", str(opts.warmup), "--connect-timeout", str(scenario.connect_timeout),
                "--json", json_path, "--bridge-pid", str(pid), *extra_args]
        out["loadgen_args"] = " ".join(argv[1:])
        say(f"{scenario.name}: {shape.describe()}, {duration:g} s")
        loadgen = subprocess.Popen(pinned(GENERATOR_CPU, argv, pin), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        measuring = threading.Event()
        stderr_lines, stdout_text = [], []

        def read_stderr():
            for line in iter(loadgen.stderr.readline, ""):
                stderr_lines.append(line.rstrip("\n"))
                if "loadgen: measuring" in line:
                    measuring.set()

        def read_stdout():
            stdout_text.append(loadgen.stdout.read())

        readers = [threading.Thread(target=read_stderr, daemon=True),
                   threading.Thread(target=read_stdout, daemon=True)]
        for r in readers:
            r.start()
        # Allocation and ICE/DTLS for hundreds of endpoints take a while; loadgen bounds it with
        # its connect timeout, then warms up.
        deadline = time.monotonic() + scenario.connect_timeout + opts.warmup + 60
        while not measuring.wait(0.1):
            if loadgen.poll() is not None or time.monotonic() > deadline:
                break
        if measuring.is_set():
            # Our window: the same instants for the packet counter and the CPU time.
            p0, r0, h0, first = bridge.counters()
            # Each reading counts before its own JSON, so the window holds one snapshot's JSON;
            # two readings in a row measure that cost, which is taken off below.
            a0 = bridge.counters()[3]
            snapshot_cost = a0 - first if a0 is not None and first is not None else 0
            c0, t0 = cpu_seconds(pid), time.monotonic()
            w0 = (run_queue_wait_seconds(pid), run_queue_wait_seconds(loadgen.pid))
            time.sleep(max(0.0, duration - WINDOW_END_MARGIN_S - (time.monotonic() - t0)))
            w1 = (run_queue_wait_seconds(pid), run_queue_wait_seconds(loadgen.pid))
            c1, t1 = cpu_seconds(pid), time.monotonic()
            p1, r1, h1, a1 = bridge.counters()
            out.update(window_s=t1 - t0, bridge_cpu_s=c1 - c0, forwarded=p1 - p0,
                       threads=status_field(pid, "Threads"),
                       handoff_pct=100 * (h1 - h0) / (r1 - r0) if r1 > r0 else None,
                       worker_allocations=(max(a1 - a0 - snapshot_cost, 0)
                                           if a0 is not None and a1 is not None else None))
            for key, a, b in (("bridge_wait_pct", w0[0], w1[0]), ("generator_wait_pct", w0[1], w1[1])):
                if a is not None and b is not None:
                    out[key] = 100 * (b - a) / (t1 - t0)
        try:
            loadgen.wait(timeout=duration + 60)
        except subprocess.TimeoutExpired:
            loadgen.kill()
            loadgen.wait()
            out["error"] = "loadgen did not finish"
        for r in readers:
            r.join(timeout=STOP_TIMEOUT_S)
        out["loadgen_exit"] = loadgen.returncode
        out["loadgen_text"] = "".join(stdout_text).rstrip("\n")
        out["loadgen_stderr"] = "\n".join(stderr_lines[-20:])
        out["vmhwm_kb"] = status_field(pid, "VmHWM")
        if os.path.exists(json_path):
            with open(json_path) as f:
                out["loadgen"] = json.load(f)
        if not measuring.is_set() and "error" not in out:
            out["error"] = "loadgen never started measuring"
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        out["error"] = str(e)
    finally:
        if loadgen and loadgen.poll() is None:
            loadgen.kill()
            loadgen.wait()
        out["bridge_exit"] = bridge.stop()
        if "error" in out or out.get("loadgen_exit") != 0:
            out["bridge_log_tail"] = bridge.log_tail()
    derive(out)
    return out


def derive(r):
    """The figures of the table, from the raw ones."""
    lg = r.get("loadgen")
    if r.get("forwarded") is not None and r.get("window_s"):
        r["forwarded_pps"] = r["forwarded"] / r["window_s"]
        r["bridge_cpu_pct"] = 100 * r["bridge_cpu_s"] / r["window_s"]
        r["ns_per_forwarded"] = r["bridge_cpu_s"] * 1e9 / r["forwarded"] if r["forwarded"] > 0 else None
    if lg:
        measured = lg["measured_s"] or 1
        r["generator_cpu_pct"] = 100 * lg["cpu"]["generator_s"] / measured
        d = lg["dropped"]
        r["late_frames"] = d["audio_frames_late"] + d["video_frames_late"]
        r["loss_pct"] = lg["loss"]["percent"]
        r["latency"] = {k: (lg["latency"][k]["p50_ms"], lg["latency"][k]["p99_ms"]) for k in ("audio", "video")}
        r["received"] = lg["received"]["rtp_packets"]
        r["sent"] = lg["sent"]["rtp_packets"]


def overload(r):
    """Why the generator could not drive this run, or None."""
    if "loadgen" not in r:
        return None
    reasons = []
    late_share = r["late_frames"] / max(1, r["sent"] + r["late_frames"])
    if late_share > LATE_SHARE_LIMIT:
        reasons.append(f"{r['late_frames']} late frames ({100 * late_share:.2f}% of the packets it sent "
                       "and the frames it skipped)")
    if r["generator_cpu_pct"] >= 100 * GENERATOR_CPU_LIMIT:
        reasons.append(f"generator at {r['generator_cpu_pct']:.0f}% of its core")
    if not reasons:
        return None
    context = []
    if r["generator_cpu_pct"] < 100 * GENERATOR_CPU_LIMIT:
        context.append(f"generator at {r['generator_cpu_pct']:.0f}% of its core")
    if r.get("generator_wait_pct") is not None:
        context.append(f"generator waiting for its CPU {r['generator_wait_pct']:.0f}% of the window")
    if r.get("bridge_cpu_pct") is not None:
        context.append(f"bridge at {r['bridge_cpu_pct']:.0f}% of its core")
    if r.get("loadgen_exit") not in (0, None):
        context.append("loadgen's verdict: failed")
    return "; ".join(reasons + context)


# ---- scenarios, the limit, the workers row ----

def workers_option(videobridge, tmp):
    """Whether the daemon has any media-workers setting: its --help and its effective
    configuration (--print-config) are searched for "worker"."""
    conf = os.path.join(tmp, "print.conf")
    with open(conf, "w") as f:
        f.write(BRIDGE_CONF.format(port=free_port(), workers=1))
    texts = []
    for argv in ([videobridge, "--help"], [videobridge, "--config", conf, "--print-config"]):
        try:
            texts.append(subprocess.run(argv, capture_output=True, text=True, timeout=START_TIMEOUT_S).stdout)
        except (OSError, subprocess.TimeoutExpired):
            pass
    hits = [line.strip() for t in texts for line in t.splitlines() if "worker" in line.lower()]
    return hits


def run_scenario(scenario, opts, pin):
    if scenario.janus:
        return run_janus_comparison(scenario, opts, pin)
    result = {"name": scenario.name, "summary": scenario.summary, "attempts": []}
    if not scenario.ladder:
        hits = workers_option(opts.videobridge, opts.tmp)
        result["not_measured"] = ("not measurable: one media thread (no worker option in `videobridge --help` "
                                  "or `--print-config`)" if not hits else
                                  "not measured: the daemon mentions workers (" + "; ".join(hits[:3]) +
                                  ") but this script does not drive that option yet")
        say(f"{scenario.name}: {result['not_measured']}")
        return result
    tries = [(shape, 1) for shape in scenario.ladder]
    i = 0
    while i < len(tries):
        shape, tries_left = tries[i]
        attempt = os.path.join(opts.tmp, f"{scenario.name}-{len(result['attempts']) + 1}")
        r = run_shape(shape, scenario, opts, pin, attempt)
        why = overload(r)
        if why is None and "error" in r and "loadgen" not in r:
            why = "no result: " + r["error"]
        r["overloaded"] = why
        result["attempts"].append(r)
        if why is None:
            summary = (f"{r.get('forwarded_pps', 0):.0f} forwarded/s, "
                       f"{r.get('ns_per_forwarded') or 0:.0f} ns each, loss {r.get('loss_pct', 0):.3f}%")
            saturation = []
            if r.get("loadgen_exit") != 0:
                failures = (r.get("loadgen") or {}).get("failures") or []
                saturation.append("; ".join(f if len(f) <= 160 else f[:160] + "…" for f in failures[:2])
                                  or "loadgen's verdict: failed")
            if (r.get("bridge_cpu_pct") or 0) >= 100 * BRIDGE_SATURATED_SHARE:
                p50 = r.get("latency", {}).get("audio", (None, None))[0]
                saturation.append(f"bridge at {r['bridge_cpu_pct']:.0f}% of its core"
                                  + (f", audio latency p50 {p50:.0f} ms" if p50 is not None else ""))
            if saturation and i + 1 < len(tries):
                # The generator kept up, the bridge did not: its figures stay (the saturation
                # point) and a lighter shape gives a sustained one.
                r["saturated"] = "; ".join(saturation)
                result.setdefault("saturated", []).append(r)
                say(f"{scenario.name}: the bridge did not sustain it ({summary}; {r['saturated']}); "
                    "trying a lighter shape")
                i += 1
                continue
            result["run"] = r
            say(f"{scenario.name}: measured: {summary}")
            break
        busy = (r.get("generator_wait_pct") or 0) > 100 * CONTENTION_RETRY_SHARE
        if busy and tries_left > 0:
            r["retried"] = True
            tries[i] = (shape, tries_left - 1)
            say(f"{scenario.name}: the generator could not drive it ({why}); other processes held its CPU, "
                "trying the same shape once more")
            continue
        i += 1
        say(f"{scenario.name}: the generator could not drive it ({why})"
            + ("; trying a lighter shape" if i < len(tries) else ""))
    if "run" not in result:
        result["not_measured"] = "not measured: the generator could not drive even the lightest shape"
    return result


# ---- side by side with Janus (f-janus) ----

# Janus gathers no candidates on loopback interfaces (ice.c skips IFF_LOOPBACK), so its network
# namespace gets a veth pair, and Janus and the generator talk over its address (still a local
# route: the same kernel path as loopback).
JANUS_ADDRESS = "10.77.0.1"
JANUS_INTERFACE = "jv0"
JANUS_HTTP_PORT = 8088
SRTP_PIN = "SRTP_AEAD_AES_128_GCM"
JANUS_LIB_DIRS = ["/usr/lib/x86_64-linux-gnu/janus", "/usr/lib/aarch64-linux-gnu/janus", "/usr/lib/janus",
                  "/usr/local/lib/janus", "/opt/janus/lib/janus"]

JANUS_CONF = """general: {{
  configs_folder = "{conf}"
  plugins_folder = "{lib}/plugins"
  transports_folder = "{lib}/transports"
  events_folder = "{lib}/events"
  loggers_folder = "{lib}/loggers"
  debug_level = 4
  session_timeout = 60
}}
certificates: {{
}}
media: {{
}}
nat: {{
  ice_enforce_list = "{interface}"
}}
plugins: {{
  disable = "{plugins}"
}}
transports: {{
  disable = "{transports}"
}}
loggers: {{
  disable = "{loggers}"
}}
events: {{
  broadcast = false
}}
"""
JANUS_HTTP_CONF = """general: {{
  json = "plain"
  base_path = "/janus"
  http = true
  port = {port}
  ip = "{address}"
  https = false
}}
admin: {{
  admin_http = false
}}
"""


def janus_library_dir():
    for d in JANUS_LIB_DIRS:
        if os.path.isfile(os.path.join(d, "plugins", "libjanus_videoroom.so")) and \
                os.path.isfile(os.path.join(d, "transports", "libjanus_http.so")):
            return d
    return None


def janus_unavailable(opts):
    """Why the Janus side cannot be measured here, or None."""
    if not opts.janus or not os.access(opts.janus, os.X_OK):
        return "not measured: Janus is not installed (`tools/install-deps.sh bench` installs Debian's `janus`)"
    if not janus_library_dir():
        return ("not measured: Janus's VideoRoom plugin or HTTP transport was not found in "
                + ", ".join(JANUS_LIB_DIRS))
    if os.geteuid() != 0 or not shutil.which("ip"):
        return ("not measured: Janus gathers no loopback candidates, so it needs a network namespace with a "
                "veth pair, which needs root and `ip`")
    return None


def janus_version(janus):
    try:
        text = subprocess.run([janus, "--help"], capture_output=True, text=True, timeout=START_TIMEOUT_S).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    m = re.search(r"Janus version:\s*\d+\s*\(([^)]+)\)", text)
    return m.group(1) if m else "unknown"


def write_janus_conf(tmp):
    """A configuration folder: the core, the HTTP transport on the namespace's address, and the
    VideoRoom plugin with no static rooms; every other plugin, transport and logger disabled."""
    lib = janus_library_dir()
    conf = os.path.join(tmp, "janus-conf")
    os.makedirs(conf, exist_ok=True)

    def others(kind, keep):
        folder = os.path.join(lib, kind)
        return ",".join(sorted(f for f in os.listdir(folder) if f.endswith(".so") and f != keep)) \
            if os.path.isdir(folder) else ""

    with open(os.path.join(conf, "janus.jcfg"), "w") as f:
        f.write(JANUS_CONF.format(conf=conf, lib=lib, interface=JANUS_INTERFACE,
                                  plugins=others("plugins", "libjanus_videoroom.so"),
                                  transports=others("transports", "libjanus_http.so"),
                                  loggers=others("loggers", None)))
    with open(os.path.join(conf, "janus.transport.http.jcfg"), "w") as f:
        f.write(JANUS_HTTP_CONF.format(port=JANUS_HTTP_PORT, address=JANUS_ADDRESS))
    with open(os.path.join(conf, "janus.plugin.videoroom.jcfg"), "w") as f:
        f.write("general: {\n}\n")
    return conf


class JanusNetns:
    """A named network namespace (`ip netns`) with `lo` and a veth pair up, for Janus and the
    generator that drives it."""

    def __init__(self):
        self.name = f"jvb-bench-janus-{os.getpid()}"
        self.made = False

    def up(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        steps = [["ip", "netns", "add", self.name],
                 ["ip", "-n", self.name, "link", "set", "lo", "up"],
                 ["ip", "-n", self.name, "link", "add", JANUS_INTERFACE, "type", "veth", "peer", "name", "jv1"],
                 ["ip", "-n", self.name, "addr", "add", f"{JANUS_ADDRESS}/24", "dev", JANUS_INTERFACE],
                 ["ip", "-n", self.name, "link", "set", JANUS_INTERFACE, "up"],
                 ["ip", "-n", self.name, "link", "set", "jv1", "up"]]
        for step in steps:
            p = subprocess.run(step, capture_output=True, text=True, timeout=HTTP_TIMEOUT_S)
            if p.returncode != 0:
                raise RuntimeError(f"{' '.join(step)}: {(p.stderr or p.stdout).strip()}")
            self.made = True

    def prefix(self):
        return ["ip", "netns", "exec", self.name]

    def down(self):
        if self.made:
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=HTTP_TIMEOUT_S)


def run_janus_shape(shape, scenario, opts, pin, tmp):
    """One shape on a fresh Janus in its own network namespace, pinned as the bridge is; what
    was measured (or an error). The server's CPU and the packets are loadgen's, over its window."""
    os.makedirs(tmp, exist_ok=True)
    duration = shape.duration or opts.duration
    out = {"shape": shape.describe(), "endpoints": shape.endpoints(), "duration_s": duration, "server": "janus"}
    ns = JanusNetns()
    janus = loadgen = None
    log_path = os.path.join(tmp, "janus.log")
    try:
        ns.up()
        conf = write_janus_conf(tmp)
        with open(log_path, "w") as log:
            janus = subprocess.Popen(ns.prefix() + pinned(BRIDGE_CPU, [opts.janus, "-F", conf, "-o"], pin),
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while "HTTP webserver started" not in read(log_path):
            if janus.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Janus did not start (no \"HTTP webserver started\" line): "
                                   + "\n".join(read(log_path).splitlines()[-30:]))
            time.sleep(0.1)
        pid = janus.pid
        comm = read(f"/proc/{pid}/comm").strip()
        if comm != "janus":
            raise RuntimeError(f"the measured process {pid} is `{comm}`, not janus")
        json_path = os.path.join(tmp, "loadgen.json")
        argv = [opts.loadgen, "--janus", f"http://{JANUS_ADDRESS}:{JANUS_HTTP_PORT}/janus", "--bind", JANUS_ADDRESS,
                *shape.args(), "--duration", str(duration), "--warmup", str(opts.warmup),
                "--connect-timeout", str(scenario.connect_timeout), "--json", json_path, "--bridge-pid", str(pid),
                "--srtp-profiles", SRTP_PIN]
        out["loadgen_args"] = " ".join(argv[1:])
        say(f"{scenario.name}: Janus: {shape.describe()}, {duration:g} s")
        w0 = run_queue_wait_seconds(pid)
        t0 = time.monotonic()
        loadgen = subprocess.Popen(ns.prefix() + pinned(GENERATOR_CPU, argv, pin), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            stdout, stderr = loadgen.communicate(timeout=scenario.connect_timeout + opts.warmup + duration + 90)
        except subprocess.TimeoutExpired:
            loadgen.kill()
            stdout, stderr = loadgen.communicate()
            out["error"] = "loadgen did not finish"
        w1, t1 = run_queue_wait_seconds(pid), time.monotonic()
        if w0 is not None and w1 is not None:
            out["bridge_wait_pct"] = 100 * (w1 - w0) / (t1 - t0)  # over the whole run, not only the window
        out["loadgen_exit"] = loadgen.returncode
        out["loadgen_text"] = stdout.rstrip("\n")
        out["loadgen_stderr"] = "\n".join(stderr.splitlines()[-20:])
        out["vmhwm_kb"] = status_field(pid, "VmHWM")
        out["threads"] = status_field(pid, "Threads")
        if os.path.exists(json_path):
            with open(json_path) as f:
                out["loadgen"] = json.load(f)
            lg = out["loadgen"]
            # The figures of the table, measured as for the bridge but over loadgen's own window.
            if lg["cpu"].get("bridge_s") is not None:
                out.update(window_s=lg["measured_s"], bridge_cpu_s=lg["cpu"]["bridge_s"],
                           forwarded=lg["received"]["rtp_packets"])
        elif "error" not in out:
            out["error"] = "loadgen wrote no results"
    except (RuntimeError, OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
        out["error"] = str(e)
    finally:
        if loadgen and loadgen.poll() is None:
            loadgen.kill()
            loadgen.wait()
        if janus:
            if janus.poll() is None:
                janus.send_signal(signal.SIGTERM)
            try:
                out["bridge_exit"] = janus.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                janus.kill()
                janus.wait()
                out["bridge_exit"] = "killed: no exit after SIGTERM"
        ns.down()
        if "error" in out or out.get("loadgen_exit") != 0:
            out["bridge_log_tail"] = "\n".join(read(log_path).splitlines()[-30:])
    derive(out)
    comparison_figures(out)
    return out


def comparison_figures(r):
    """The comparison's figures, the same way for both servers: the server's CPU from /proc over
    loadgen's measured period (its --bridge-pid) divided by the RTP packets the generator received
    in that period."""
    lg = r.get("loadgen")
    if not lg:
        return
    cpu, received = lg["cpu"].get("bridge_s"), lg["received"]["rtp_packets"]
    measured = lg["measured_s"] or 1
    r["cmp"] = {"cpu_s": cpu, "received": received, "received_pps": received / measured,
                "cpu_pct": 100 * cpu / measured if cpu is not None else None,
                "ns": cpu * 1e9 / received if cpu is not None and received else None,
                "srtp": (lg.get("server") or {}).get("srtp_profiles"),
                "peer_connections": (lg.get("server") or {}).get("peer_connections")}


def sustained(r):
    """Why a run of the comparison is not a sustained figure, or None."""
    reasons = []
    if r.get("loadgen_exit") != 0:
        failures = (r.get("loadgen") or {}).get("failures") or []
        reasons.append("; ".join(f[:160] for f in failures[:2]) or "loadgen's verdict: failed")
    cpu_pct = (r.get("cmp") or {}).get("cpu_pct")
    if cpu_pct is not None and cpu_pct >= 100 * BRIDGE_SATURATED_SHARE:
        reasons.append(f"the server at {cpu_pct:.0f}% of its core")
    return "; ".join(reasons) or None


def run_janus_comparison(scenario, opts, pin):
    """Each shape of the ladder on our bridge, then on Janus, until both were driven and sustained
    the same shape. The bridge's runs are this scenario's attempts (they appear in the main table);
    Janus's are under result["janus"]."""
    result = {"name": scenario.name, "summary": scenario.summary, "attempts": [],
              "janus": {"attempts": [], "version": janus_version(opts.janus) if opts.janus else "not installed"}}
    why_not = janus_unavailable(opts)
    if why_not:
        result["janus"]["not_measured"] = why_not
        say(f"{scenario.name}: Janus {why_not}")
    pair = None
    for k, shape in enumerate(scenario.ladder):
        last = k + 1 == len(scenario.ladder)
        ours = run_shape(shape, scenario, opts, pin, os.path.join(opts.tmp, f"{scenario.name}-{k + 1}-ours"),
                         extra_args=["--srtp-profiles", SRTP_PIN])
        comparison_figures(ours)
        ours["overloaded"] = overload(ours) or (None if "loadgen" in ours else "no result: " + ours.get("error", "?"))
        result["attempts"].append(ours)
        if ours["overloaded"]:
            say(f"{scenario.name}: the generator could not drive our bridge ({ours['overloaded']})")
            continue
        if why_not:
            result["run"] = ours
            break
        janus = run_janus_shape(shape, scenario, opts, pin, os.path.join(opts.tmp, f"{scenario.name}-{k + 1}-janus"))
        janus["overloaded"] = overload(janus) or (None if "loadgen" in janus else
                                                  "no result: " + janus.get("error", "?"))
        result["janus"]["attempts"].append(janus)
        if janus["overloaded"]:
            ours["overloaded"] = f"the Janus side of this shape could not be driven: {janus['overloaded']}"
            say(f"{scenario.name}: the generator could not drive Janus ({janus['overloaded']})")
            continue
        pair = (ours, janus)
        weak = [f"{name}: {why}" for name, why in (("our bridge", sustained(ours)), ("Janus", sustained(janus))) if why]
        if weak and not last:
            note = "not sustained (" + "; ".join(weak) + "), a lighter shape was run"
            ours["overloaded"] = janus["overloaded"] = note
            say(f"{scenario.name}: {note}")
            continue
        if weak:
            result["janus"]["note"] = "the lightest shape was not sustained either: " + "; ".join(weak)
        result["run"], result["janus"]["run"] = pair
        cmp_ours, cmp_janus = ours.get("cmp", {}), janus.get("cmp", {})
        if cmp_ours.get("ns") and cmp_janus.get("ns"):
            result["janus"]["ratio"] = cmp_ours["ns"] / cmp_janus["ns"]
            say(f"{scenario.name}: our bridge {cmp_ours['ns']:.0f} ns, Janus {cmp_janus['ns']:.0f} ns per packet "
                f"received by the generator; ratio ours/Janus {result['janus']['ratio']:.3f}")
        break
    if "run" not in result:
        result["not_measured"] = "not measured: the generator could not drive even the lightest shape on both servers"
        result["janus"].setdefault("not_measured", result["not_measured"])
    return result


def workers_section(results):
    """(e): the same load on 1 and 2 media workers, per forwarded packet."""
    runs = {r.get("run", {}).get("workers"): r.get("run") for r in results
            if r["name"].startswith("e-workers") and r.get("run")}
    one, two = runs.get(1), runs.get(2)
    if not one or not two or not one.get("ns_per_forwarded") or not two.get("ns_per_forwarded"):
        return []
    change = 100 * (two["ns_per_forwarded"] / one["ns_per_forwarded"] - 1)
    verdict = "met" if abs(change) <= 10 else "not met"
    same = "the same shape" if one["shape"] == two["shape"] else "different shapes (see below)"
    return ["## One media worker or two", "",
            f"{same}: {one['ns_per_forwarded']:.0f} ns per forwarded packet on 1 worker, "
            f"{two['ns_per_forwarded']:.0f} ns on 2 ({change:+.1f}%; target within 10%: **{verdict}**), "
            f"with {fmt(two.get('handoff_pct'), '.1f')}% of the datagrams the port received handed to the other "
            "worker (the kernel picks a worker's socket by a hash of the peer's addresses, not by endpoint; the "
            "share is about (N-1)/N for N workers). Both runs have the bridge on one core.", ""]


def janus_section(results):
    """The report's "Side by side with Janus" section (empty when f-janus did not run)."""
    res = next((r for r in results if "janus" in r), None)
    if res is None:
        return []
    j = res["janus"]
    lines = ["## Side by side with Janus", "",
             f"Scenario `{res['name']}`: {res['summary']}. Our bridge, then Debian's Janus {j.get('version')} "
             "(VideoRoom plugin, HTTP API), each run fresh, each pinned to CPU "
             f"{BRIDGE_CPU} with the generator on CPU {GENERATOR_CPU}, each in its own network namespace, driven by "
             "the same `loadgen` (`--janus URL` for Janus) with the endpoints' DTLS offering only "
             f"{SRTP_PIN}.", ""]
    ours, janus = res.get("run"), j.get("run")
    if not janus:
        lines += [f"Janus: {j.get('not_measured', 'not measured')}.", ""]
    rows = [("our bridge (videobridge)", ours), (f"Janus {j.get('version')} (VideoRoom)", janus)]
    head = ("| server | shape | SRTP profiles negotiated (PeerConnections) | server CPU s | server CPU % "
            "| RTP packets received by the generator | received/s | **server ns / received packet** | loss % "
            "| audio latency p50 / p99 ms | video latency p50 / p99 ms | peak RSS (VmHWM) MB | threads "
            "| generator CPU % | late frames |")
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for name, r in rows:
        if not r:
            lines.append(f"| {name} | not measured |" + " |" * 13)
            continue
        c = r.get("cmp", {})
        srtp = ", ".join(f"{k} {v}" for k, v in (c.get("srtp") or {}).items()) or "-"
        rss = r["vmhwm_kb"] / 1024 if r.get("vmhwm_kb") else None
        lines.append("| " + " | ".join([
            name, f"{r['shape']}, {r['duration_s']:g} s", f"{srtp} ({c.get('peer_connections', '-')})",
            fmt(c.get("cpu_s"), ".2f"), fmt(c.get("cpu_pct")), fmt(c.get("received"), "d"),
            fmt(c.get("received_pps")), f"**{fmt(c.get('ns'))}**", fmt(r.get("loss_pct"), ".3f"),
            latency_text(r, "audio"), latency_text(r, "video"), fmt(rss), fmt(r.get("threads"), "d"),
            fmt(r.get("generator_cpu_pct")), fmt(r.get("late_frames"), "d")]) + " |")
    lines.append("")
    if j.get("ratio"):
        ratio = j["ratio"]
        verdict = ("met" if ratio <= 1 / 3 else "not met")
        lines += [f"**CPU per forwarded packet, ours / Janus: {ratio:.3f}** (Janus / ours: {1 / ratio:.2f}). "
                  f"Target: ours at least 3x cheaper (ratio at most 0.333): **{verdict}** in this run.", ""]
    if j.get("note"):
        lines += [f"Note: {j['note']}.", ""]
    lines += ["How it is counted, the same for both: the server's CPU is utime + stime of its process (every "
              "thread) from `/proc/PID/stat`, read by loadgen (`--bridge-pid`) at the start and the end of its "
              "measured period; the forwarded packets are the RTP packets the generator's endpoints received in "
              "that same period (retransmissions included), not the server's own counter, which Janus does not "
              "have. The bridge's row in the main table counts its own `rtp_out` over the script's window "
              "instead, so its ns figure there differs slightly.",
              "",
              "What differs between the two runs, by design of the servers:",
              "",
              "- Janus has one publisher PeerConnection and one multistream subscriber PeerConnection per "
              "participant (2 per participant, each a synthetic endpoint on its own socket); our bridge has one "
              "transport per participant plus its colibri-ws bridge channel.",
              "- Publishers send VP8 simulcast (3 layers, an SSRC `SIM` group, RTX in `FID` groups) to both. Our "
              "bridge picks the layer from each receiver's constraints (max-height); each Janus subscription asks "
              "for the substream of the same height (`substream` 2 for 720, 1 for 360, 0 below).",
              "- Janus rewrites SSRCs per subscriber; the generator maps them back to senders from the subscriber "
              "offer and the `attached` event. The subscriber's answer takes no RTX (Janus then resends "
              "originals on NACK), and takes transport-cc only where Janus put it on the extension id the "
              "synthetic endpoint reads.",
              "- The synthetic endpoint always sends audio: each Janus subscriber PeerConnection also sends one "
              "silent (DTX) packet every 400 ms, which Janus decrypts and drops (under 3 packets/s per "
              "participant).",
              "- ICE: for the publisher, both Janus (the answerer) and the synthetic endpoint (always "
              "ICE-controlled) start controlled; RFC 8445's role-conflict rule settles it during the checks.",
              ""]
    return lines


def run_limit(opts):
    script = opts.limit
    if not os.path.isfile(script):
        return {"error": f"{script} not found"}
    if os.geteuid() != 0:
        return {"error": f"{script} needs root (network namespaces)"}
    say(f"forwarding limit: {script} \"{LIMIT_CONFIG}\"")
    p = subprocess.run(["bash", script, LIMIT_CONFIG], capture_output=True, text=True, timeout=1800)
    m = re.search(r"ns_per_forwarded_packet=([0-9.]+)\s+forwarded_pps_per_core=([0-9.]+)", p.stdout)
    if p.returncode != 0 or not m:
        return {"error": f"run.sh exit {p.returncode}: {(p.stdout + p.stderr).strip()[-500:]}"}
    line = next(line for line in p.stdout.splitlines() if line.startswith("limit "))
    return {"ns": float(m.group(1)), "pps": float(m.group(2)), "line": line}


# ---- the report ----

def fmt(v, spec=".0f", none="-"):
    return none if v is None else format(v, spec)


def latency_text(r, kind):
    p50, p99 = r.get("latency", {}).get(kind, (None, None))
    return f"{fmt(p50, '.2f')} / {fmt(p99, '.2f')}"


def measured_rows(results):
    """(row name, run) for every run with figures: saturation points first, then the sustained run."""
    rows = []
    for res in results:
        rows += [(f"{res['name']} (bridge saturated)", r) for r in res.get("saturated", [])]
        if res.get("run"):
            rows.append((res["name"], res["run"]))
    return rows


def allocations_text(r):
    n, forwarded = r.get("worker_allocations"), r.get("forwarded")
    if n is None:
        return "-"
    return f"{n} ({n / forwarded:.5f})" if forwarded else str(n)


def table(results, limit_ns):
    head = ("| scenario | shape run | bridge CPU s (window) | bridge CPU % | forwarded packets | forwarded/s "
            "| bridge ns / forwarded | ratio to limit | loss % | audio latency p50 / p99 ms "
            "| video latency p50 / p99 ms | peak RSS (VmHWM) MB | threads | generator CPU % | late frames "
            "| waiting for a CPU %, bridge / generator | heap allocations on the media workers (per forwarded) |")
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    measured = dict((id(r), name) for name, r in measured_rows(results))
    for res in results:
        runs = res.get("saturated", []) + ([res["run"]] if res.get("run") else [])
        if not runs:
            rows.append(f"| {res['name']} | {res.get('not_measured', 'not run')} |" + " |" * 15)
            continue
        for r in runs:
            ratio = r["ns_per_forwarded"] / limit_ns if limit_ns and r.get("ns_per_forwarded") else None
            failed = "" if r.get("loadgen_exit") == 0 else " **(loadgen's verdict: failed, see below)**"
            rss = r["vmhwm_kb"] / 1024 if r.get("vmhwm_kb") else None
            workers = r.get("workers", 1)
            on = "" if workers == 1 else (f", {workers} media workers, {fmt(r.get('handoff_pct'), '.1f')}% of "
                                          "received datagrams handed to the other worker")
            cells = [measured[id(r)], f"{r['shape']}{on}, {r['duration_s']:g} s{failed}",
                     fmt(r.get("bridge_cpu_s"), ".2f"), fmt(r.get("bridge_cpu_pct")), fmt(r.get("forwarded"), "d"),
                     fmt(r.get("forwarded_pps")), fmt(r.get("ns_per_forwarded")), fmt(ratio, ".2f"),
                     fmt(r.get("loss_pct"), ".3f"), latency_text(r, "audio"), latency_text(r, "video"),
                     fmt(rss), fmt(r.get("threads"), "d"), fmt(r.get("generator_cpu_pct")),
                     fmt(r.get("late_frames"), "d"),
                     f"{fmt(r.get('bridge_wait_pct'))} / {fmt(r.get('generator_wait_pct'))}",
                     allocations_text(r)]
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def plot(results, limit_ns, path):
    """Cost per forwarded packet and loss against forwarded packets/s; False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    points = [(name.replace(" (bridge saturated)", " (saturated)"), r) for name, r in measured_rows(results)
              if r.get("forwarded_pps") and r.get("ns_per_forwarded")]
    if not points:
        return False
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 7))
    xs = [r["forwarded_pps"] for _, r in points]
    for k, (name, r) in enumerate(points):
        saturated = "saturated" in name
        style = dict(marker="x" if saturated else "o", color="tab:orange" if saturated else "tab:blue")
        top.scatter([r["forwarded_pps"]], [r["ns_per_forwarded"]], **style)
        bottom.scatter([r["forwarded_pps"]], [r.get("loss_pct") or 0], **style)
        # Staggered labels: points of similar load would otherwise print over each other.
        offset = (6, (6, -12, 16, -22)[k % 4])
        top.annotate(name, (r["forwarded_pps"], r["ns_per_forwarded"]), textcoords="offset points",
                     xytext=offset, fontsize=8)
        if r.get("loss_pct"):
            bottom.annotate(name, (r["forwarded_pps"], r["loss_pct"]), textcoords="offset points",
                            xytext=offset, fontsize=8)
    if limit_ns:
        top.axhline(limit_ns, color="gray", linestyle="--", label=f"limit ({LIMIT_CONFIG}): {limit_ns:.0f} ns")
        top.legend(fontsize=8)
    top.set_ylabel("bridge CPU ns per forwarded packet")
    top.set_ylim(0, 1.25 * max([r["ns_per_forwarded"] for _, r in points] + [limit_ns or 0]))
    bottom.set_ylabel("loss % (after RTX repair; unlabelled: none)")
    bottom.set_xlabel("forwarded packets/s (the bridge's rtp_out)")
    bottom.set_ylim(0, max([1.3 * (r.get("loss_pct") or 0) for _, r in points] + [1.0]))
    top.set_title("videobridge: cost and loss against load, one media thread on one core\n"
                  "(o: sustained, x: the bridge's saturation point)", fontsize=10)
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, 1.25 * max(xs))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def report_text(run, results, limit, png_name):
    m = run["machine"]
    limit_ns = limit.get("ns") if limit else None
    lines = [f"# Benchmark scenarios, {run['started']}", "",
             "Written by `tools/bench/run-scenarios.py` (`make bench`). Results are not committed "
             "automatically: a report is committed by hand when the README quotes it "
             "(`bench/results/.gitignore` keeps only the `latest.*` copies out).", ""]
    if run["smoke"]:
        lines += ["**Smoke run** (the test suite's `bench_smoke`): a tiny scenario, no pinning, no limit; "
                  "its figures mean nothing.", ""]
    lines += ["## Machine and run", "",
              f"- CPU: {m['cpu']}, {m['cpus']} logical CPU(s), {m['memory_gb']} GB; kernel {m['kernel']}",
              f"- commit: `{run['commit']}`",
              f"- binaries: `{run['videobridge']}` ({run['videobridge_built']}), "
              f"`{run['loadgen']}` ({run['loadgen_built']}), copied at the start so that every scenario "
              f"runs the same build; `videobridge --version`: {run['version']}",
              f"- load average (1, 5, 15 min) at the start: {run['load_start']}; at the end: {run['load_end']}",
              f"- pinning: {run['pinning']}",
              f"- network: {run['network']}",
              f"- each scenario: a fresh bridge, loadgen's warm-up {run['warmup']:g} s after every endpoint "
              f"connected, then {run['duration']:g} s measured (unless the shape says otherwise)",
              ""]
    if run.get("shared_machine_note"):
        lines += [run["shared_machine_note"], ""]
    lines += ["## Results", "", table(results, limit_ns), ""]
    lines += ["Columns: *bridge CPU s* is utime + stime of the daemon from `/proc/PID/stat` over our window "
              "(from just after loadgen starts measuring until "
              f"{WINDOW_END_MARGIN_S} s before it stops); *forwarded packets* is the bridge's own counter "
              "(`GET /debug?full=true` -> `packet_path.rtp_out`, read at both ends of the same window: RTP "
              "packets it sent to receivers, retransmissions included); *bridge ns / forwarded* divides the two; "
              "*ratio to limit* divides that by the limit's `ns_per_forwarded_packet` below. Loss (after RTX "
              "repair), added one-way latency (receive time minus the send time written into each packet, "
              "sampled receivers), the generator's CPU and its late frames come from loadgen's `--json` over its "
              "own measured period. *Heap allocations* are those the media workers' threads made during "
              "the window (the daemon's counting operator new, `GET /debug?full=true` -> "
              "`media_port.heap_allocations`, summed over workers, less the one debug snapshot the window "
              "holds): the allocator's recomputation (at least once a second per receiver), RTCP reports "
              "and signaling allocate on a worker; the RTP path itself should not. "
              "Peak RSS is `VmHWM` from `/proc/PID/status` after the run; threads is "
              "`Threads:` at the end of the window. *Waiting for a CPU* is the time the bridge's and the "
              "generator's main threads were runnable but not running during the window "
              "(`/proc/PID/schedstat`), as a share of it: other processes on their cores.", ""]
    lines += workers_section(results)
    lines += janus_section(results)
    lines += ["## The forwarding limit", ""]
    if limit is None:
        lines += ["Not run (`--no-limit` or a smoke run).", ""]
    elif "error" in limit:
        lines += [f"Not measured: {limit['error']}", ""]
    else:
        lines += [f"`../shared/bench/limit/run.sh \"{LIMIT_CONFIG}\"`, run once after the scenarios "
                  "(not in parallel with them):", "", "```", limit["line"], "```", "",
                  f"**{limit['ns']:.0f} ns per forwarded packet** ({limit['pps']:.0f} forwarded packets/s per "
                  "core): the cheapest possible forwarding loop (recvmmsg, one SRTP unprotect per input, one "
                  "copy + AEAD_AES_128_GCM protect per output, sendmmsg 64; 10 participants, so a fan-out of 9, "
                  "no RTP parsing, no RTCP, no receive work on its outputs).", ""]
        lines += ["| scenario | bridge ns / forwarded | limit ns / forwarded | ratio |", "|---|---|---|---|"]
        named = measured_rows(results)
        for res in results:
            for name, r in [(n, r) for n, r in named if n.split(" ")[0] == res["name"]] or [(res["name"], {})]:
                if r.get("ns_per_forwarded"):
                    lines.append(f"| {name} | {r['ns_per_forwarded']:.0f} | {limit['ns']:.0f} "
                                 f"| {r['ns_per_forwarded'] / limit['ns']:.2f} |")
                else:
                    lines.append(f"| {name} | - | {limit['ns']:.0f} | - |")
        lines += ["", "The bridge's figure carries everything its one thread does per forwarded packet: the "
                  "receive side (decrypting every incoming packet, including layers nobody asked for), RTCP "
                  "both ways, transport-cc, the bridge channels, ICE consent, HTTP; the limit pays only the "
                  "forwarding itself. Scenarios with a small fan-out (few receivers per incoming packet) pay "
                  "more receive work per forwarded packet than the limit's fan-out of 9.", ""]
    lines += ["## Scenarios and the shapes actually run", ""]
    for res in results:
        lines.append(f"- **{res['name']}** (asked: {res['summary']}):")
        if res.get("not_measured") and not res["attempts"]:
            lines.append(f"  {res['not_measured']}.")
        for a in res["attempts"]:
            if a.get("saturated"):
                lines.append(f"  saturated: {a['shape']}, {a['duration_s']:g} s: the generator kept up "
                             f"({a['generator_cpu_pct']:.0f}% of its core, {a['late_frames']} late frames) but "
                             f"the bridge did not sustain it ({a['saturated']}); its figures are in the table "
                             f"as \"{res['name']} (bridge saturated)\", and a lighter shape was run for a "
                             "sustained figure.")
            elif a is res.get("run"):
                lines.append(f"  measured: {a['shape']}, {a['duration_s']:g} s.")
                failures = (a.get("loadgen") or {}).get("failures") or []
                if a.get("loadgen_exit") != 0:
                    lines.append("  loadgen's verdict on it: failed: "
                                 + ("; ".join(f[:200] for f in failures) or a.get("error", "see below"))
                                 + ". The figures are those of this run as it went.")
            else:
                again = "; tried again, as other processes held the generator's CPU" if a.get("retried") else ""
                lines.append(f"  dropped: {a['shape']}: the generator could not drive it: {a['overloaded']}"
                             f"{again}; no figures are reported for this shape.")
        if res.get("not_measured") and res["attempts"]:
            lines.append(f"  {res['not_measured']}.")
    lines += ["", "A run counts only when loadgen kept up on its core: late frames (its `late:` line) at most "
              f"{100 * LATE_SHARE_LIMIT:g}% of the packets it sent plus those frames, and below "
              f"{100 * GENERATOR_CPU_LIMIT:.0f}% of its core. Otherwise the same shape is tried once more when "
              f"other processes held the generator's CPU for more than {100 * CONTENTION_RETRY_SHARE:.0f}% of the "
              "window, and then the next, lighter shape of the scenario is run. A run the generator drove is "
              "the bridge's saturation point rather than a sustained figure when endpoints failed (loadgen's "
              f"verdict) or the bridge used {100 * BRIDGE_SATURATED_SHARE:.0f}% of its core or more; the next "
              "shape is then run as well. Every participant sends audio "
              "and the bridge forwards silence, so audio fan-out grows with the square of a room's size; the "
              "large rooms step down to DTX for the silent participants (one packet every 400 ms, as Opus DTX) "
              "before they lose participants or video senders.", ""]
    if png_name:
        lines += ["## Plot", "", f"![cost per forwarded packet and loss against load]({png_name})", ""]
    else:
        lines += ["## Plot", "", "Skipped: matplotlib is not installed (`tools/install-deps.sh bench` installs "
                  "python3-matplotlib)." if not run.get("plot_error") else run["plot_error"], ""]
    lines += ["## What this benchmark leaves out", "",
              "- Real networks: everything runs on loopback in one network namespace, so there is no loss, "
              "delay, jitter, reordering or bandwidth limit to react to, and no path MTU; the bridge's "
              "bandwidth estimation and its reaction to congestion are not exercised (it has none yet).",
              "- NIC work: no interrupts, no driver, no GRO/GSO or offloads, no softirq on other cores; "
              "loopback's send path delivers each datagram straight to the receiving socket, and the cost of "
              "that delivery lands partly on the sender's CPU (the bridge's CPU pays part of the generator's "
              "receive and the other way round).",
              "- Other processes: the machine is shared (see the load averages); CPU time is per process, so "
              "it is not inflated by others, but cache and memory-bandwidth contention and the generator "
              "being descheduled are not controlled.",
              "- Real clients: the generator's VP8 is synthetic (sizes and timing, not pictures), it does not "
              "stop sending layers the bridge does not forward, it answers keyframe requests at once, and "
              "every participant sends audio; real browsers send RTCP, padding and probing differently.",
              "- Signalling at scale: Colibri2 allocation and ICE/DTLS set-up happen before the window; "
              "XMPP, Jicofo and Prosody are not involved.",
              "- A second core for the bridge: the generator needs the machine's other core, so `e-workers-2` "
              "runs its two workers on the bridge's one core; it measures what sharing the port costs per "
              "packet, not the throughput of two cores.",
              ""]
    lines += ["## Generator output per scenario", ""]

    def output(title, a, server):
        out = [f"### {title}: {a['shape']}", "", "```", f"loadgen {a.get('loadgen_args', '')}",
               a.get("loadgen_text") or "(no output)", "```"]
        if a.get("error"):
            out += ["", f"Error: {a['error']}"]
        if a.get("loadgen_exit") not in (0, None):
            out += ["", f"loadgen exit status {a['loadgen_exit']}; its last messages:", "", "```",
                    a.get("loadgen_stderr", ""), "```"]
        if a.get("bridge_log_tail"):
            out += ["", f"{server}'s last lines:", "", "```", a["bridge_log_tail"], "```"]
        return out + [""]

    for res in results:
        for a in res["attempts"]:
            tag = "measured" if a is res.get("run") else "saturated" if a.get("saturated") else "dropped"
            lines += output(f"{res['name']} ({tag})", a, "The bridge")
        for a in res.get("janus", {}).get("attempts", []):
            tag = "measured" if a is res["janus"].get("run") else "dropped"
            lines += output(f"{res['name']}, Janus ({tag})", a, "Janus")
    return "\n".join(lines)


# ---- main ----

def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenarios", default="",
                   help="names separated by spaces or commas (default: all): "
                   + ", ".join(s.name for s in SCENARIOS))
    p.add_argument("--duration", type=float, default=15.0, help="measured seconds per scenario (default 15)")
    p.add_argument("--warmup", type=float, default=3.0, help="loadgen's warm-up seconds (default 3)")
    p.add_argument("--videobridge", default=os.path.join(ROOT, "build", "bridge", "videobridge"))
    p.add_argument("--loadgen", default=os.path.join(ROOT, "build", "tools", "loadgen", "loadgen"))
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results"), help="the report's folder")
    p.add_argument("--limit", default=os.path.join(ROOT, "..", "shared", "bench", "limit", "run.sh"))
    p.add_argument("--no-limit", action="store_true", help="skip the forwarding-limit run")
    p.add_argument("--janus", default=shutil.which("janus") or "/usr/bin/janus",
                   help="Janus, for f-janus (default: janus on PATH)")
    p.add_argument("--smoke", action="store_true",
                   help="one conference of 3 for 3 s, no limit, no pinning; checks that media flowed")
    opts = p.parse_args(argv)
    if opts.smoke:
        opts.duration, opts.warmup, opts.no_limit = min(opts.duration, 3.0), 1.0, True
    names = [n for n in re.split(r"[\s,]+", opts.scenarios) if n]
    known = {s.name: s for s in SCENARIOS}
    unknown = [n for n in names if n not in known]
    if unknown:
        p.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    opts.selected = [SMOKE] if opts.smoke else [known[n] for n in names] if names else list(SCENARIOS)
    opts.videobridge = os.path.abspath(opts.videobridge)
    opts.loadgen = os.path.abspath(opts.loadgen)
    opts.out = os.path.abspath(opts.out)
    opts.limit = os.path.abspath(opts.limit)
    return opts


def in_private_namespace(argv):
    """Re-runs this script in a new network namespace where only `lo` exists and is up. None when
    already inside (or when namespaces cannot be made here: the caller says so); otherwise the
    inner run's exit status."""
    if os.environ.get(NETNS_MARKER) is not None:
        return None
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        os.environ[NETNS_MARKER] = ""
        return None
    env = dict(os.environ, **{NETNS_MARKER: "1"})
    inner = 'ip link set lo up && exec "$@"'
    return subprocess.call(["unshare", "-n", "sh", "-c", inner, "sh", sys.executable,
                            os.path.abspath(__file__)] + argv, env=env)


def version(videobridge):
    try:
        return subprocess.run([videobridge, "--version"], capture_output=True, text=True,
                              timeout=START_TIMEOUT_S).stdout.strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def built(path):
    try:
        return datetime.datetime.fromtimestamp(os.path.getmtime(path)).strftime("built %Y-%m-%d %H:%M")
    except OSError:
        return "missing"


def main(argv):
    opts = parse(argv)
    for binary in (opts.videobridge, opts.loadgen):
        if not os.access(binary, os.X_OK):
            print(f"run-scenarios: {binary} is not built (ninja -C build bridge/videobridge "
                  "tools/loadgen/loadgen)", file=sys.stderr)
            return 1
    outer = in_private_namespace(argv)
    if outer is not None:
        return outer
    network = ("a private network namespace (`unshare -n`, only `lo`, up)" if os.environ[NETNS_MARKER] == "1"
               else "the host's loopback: no private network namespace (needs root, unshare and ip)")

    cpus = os.cpu_count() or 1
    allowed = os.sched_getaffinity(0)
    pin = not opts.smoke and cpus >= 2 and {BRIDGE_CPU, GENERATOR_CPU} <= allowed and shutil.which("taskset")
    if opts.smoke:
        pinning = "none (smoke run)"
    elif pin:
        # This script joins the generator's core: the bridge's core runs the bridge alone.
        os.sched_setaffinity(0, {GENERATOR_CPU})
        pinning = f"the bridge on CPU {BRIDGE_CPU}, loadgen (and this script) on CPU {GENERATOR_CPU} (taskset)"
    elif cpus < 2:
        pinning = "none: this machine has 1 CPU, so the bridge and the generator share it"
    else:
        pinning = "none: CPUs 0 and 1 are not both available to this process, or taskset is missing"

    started = datetime.datetime.now()
    run = {"started": started.strftime("%Y-%m-%d %H:%M"), "machine": machine(), "commit": git_describe(),
           "load_start": loadavg(), "pinning": pinning, "network": network, "smoke": opts.smoke,
           "duration": opts.duration, "warmup": opts.warmup,
           "videobridge": os.path.relpath(opts.videobridge, ROOT), "loadgen": os.path.relpath(opts.loadgen, ROOT),
           "videobridge_built": built(opts.videobridge), "loadgen_built": built(opts.loadgen)}
    if run["machine"]["cpus"] <= 2 and not opts.smoke:
        run["shared_machine_note"] = ("With 2 CPUs the bridge and the generator each own one, and anything "
                                      "else running on the machine (builds, tests) competes with one of them: "
                                      "compare ratios across runs, not absolute figures.")
    say(f"{run['machine']['cpu']}, {cpus} CPUs, commit {run['commit']}, load {run['load_start']}; {pinning}; "
        f"{network}")

    opts.tmp = tempfile.mkdtemp(prefix="jvb-bench-")
    # Every scenario runs the same build even if the build directory is relinked meanwhile.
    for attr in ("videobridge", "loadgen"):
        copy = os.path.join(opts.tmp, os.path.basename(getattr(opts, attr)))
        shutil.copy2(getattr(opts, attr), copy)
        setattr(opts, attr, copy)
    run["version"] = version(opts.videobridge)
    results = []
    try:
        for scenario in opts.selected:
            results.append(run_scenario(scenario, opts, pin))
        limit = None if opts.no_limit else run_limit(opts)
    finally:
        keep = any(a.get("error") or a.get("loadgen_exit") not in (0, None)
                   for res in results for a in res["attempts"] + res.get("janus", {}).get("attempts", []))
        if keep:
            for binary in (opts.videobridge, opts.loadgen):
                if os.path.dirname(binary) == opts.tmp and os.path.exists(binary):
                    os.remove(binary)
            say(f"logs kept in {opts.tmp} (one folder per attempt)")
        else:
            shutil.rmtree(opts.tmp, ignore_errors=True)
    run["load_end"] = loadavg()

    os.makedirs(opts.out, exist_ok=True)
    stamp = started.strftime("%Y-%m-%d-%H%M")
    md_path = os.path.join(opts.out, f"{stamp}.md")
    png_path = os.path.join(opts.out, f"{stamp}.png")
    try:
        drawn = plot(results, limit.get("ns") if limit else None, png_path)
    except Exception as e:  # noqa: BLE001 - a broken plot must not lose the report
        drawn = False
        run["plot_error"] = f"Skipped: matplotlib failed: {e}"
    text = report_text(run, results, limit, os.path.basename(png_path) if drawn else None)
    with open(md_path, "w") as f:
        f.write(text)
    latest = os.path.join(opts.out, "latest.md")
    shutil.copyfile(md_path, latest)  # its plot link names the dated PNG beside it
    say(f"report: {md_path}" + (f", plot {png_path}" if drawn else ", plot skipped (no matplotlib)"))
    print(table(results, limit.get("ns") if limit else None))
    if limit and "ns" in limit:
        print(limit["line"])

    if opts.smoke:
        return smoke_verdict(results, md_path)
    # A saturated bridge is a result, not a failure of the benchmark: the report says so.
    failed = [res["name"] for res in results for a in res["attempts"]
              if a is res.get("run") and a.get("loadgen_exit") != 0]
    if failed:
        say(f"loadgen's verdict was 'failed' in the measured run of: {', '.join(failed)} (see the report)")
    if not any(res.get("run") for res in results) and any(res["attempts"] for res in results):
        say("no scenario could be measured")
        return 1
    return 0


def smoke_verdict(results, md_path):
    problems = []
    r = results[0].get("run") or (results[0]["attempts"][-1] if results[0]["attempts"] else {})
    if r.get("error"):
        problems.append(r["error"])
    if r.get("loadgen_exit") != 0:
        problems.append(f"loadgen exit status {r.get('loadgen_exit')}: {r.get('loadgen_text', '')[-800:]}")
    if not r.get("forwarded"):
        problems.append(f"the bridge forwarded {r.get('forwarded')} packets")
    if not r.get("received"):
        problems.append(f"the generator received {r.get('received')} packets")
    if not r.get("bridge_cpu_s"):
        problems.append(f"bridge CPU {r.get('bridge_cpu_s')}")
    if not os.path.getsize(md_path) or "| smoke |" not in read(md_path):
        problems.append(f"the report {md_path} lacks the smoke row")
    if r.get("bridge_exit") != 0:
        problems.append(f"bridge exit status {r.get('bridge_exit')}")
    if problems:
        for p in problems:
            print(f"FAIL bench_smoke: {p}")
        return 1
    print(f"PASS bench_smoke: {r['forwarded']} packets forwarded, {r['received']} received, report {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
