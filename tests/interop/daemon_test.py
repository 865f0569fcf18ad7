#!/usr/bin/python3
"""Interop tests of the real videobridge daemon: start it on a free port with a private
configuration, talk HTTP to it, stop it with a signal, and check what it printed.

Usage: daemon_test.py VIDEOBRIDGE_BINARY CASE
No fixed ports (the bridge binds port 0 and logs the port it got), no sleeps (every wait
is a bounded read of the daemon's output or its exit)."""

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BINARY = None  # set by main(), or by the test scripts that import this module
DEADLINE_S = 20

BASE_CONF = """
videobridge {
  http-servers.private { host = 127.0.0.1, port = 0 }
  ice.udp.port = 0
  health.require-valid-address = false
}
"""


# Every Daemon started in this process: run_named_case kills what a failed case left running.
_started = []


class Daemon:
    def __init__(self, args, env=None, prefix=()):
        self.output = []
        self.proc = subprocess.Popen(list(prefix) + [BINARY] + args, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)
        self._buffer = b""
        _started.append(self)

    def wait_for(self, pattern):
        """Reads output lines until one matches `pattern`; returns the match."""
        regex = re.compile(pattern)
        end = time.monotonic() + DEADLINE_S
        for line in self.output:
            m = regex.search(line)
            if m:
                return m
        while True:
            # Whole lines already read but not yet looked at (an earlier call returned in the
            # middle of a chunk) come first: the daemon may print nothing more.
            while b"\n" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\n", 1)
                line = raw.decode("utf-8", "replace")
                self.output.append(line)
                print("  daemon:", line)
                m = regex.search(line)
                if m:
                    return m
            if time.monotonic() >= end:
                break
            ready, _, _ = select.select([self.proc.stdout], [], [], end - time.monotonic())
            if not ready:
                break
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                break
            self._buffer += chunk
        raise AssertionError(f"daemon never printed /{pattern}/")

    def url(self):
        m = self.wait_for(r"Private HTTP server listening on (http://[\d.]+:\d+/)")
        return m.group(1)

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        return self.wait_exit("after the signal")

    def wait_exit(self, what="by itself"):
        """The exit status, once the rest of the output is read."""
        try:
            rest, _ = self.proc.communicate(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError(f"daemon did not stop {what}")
        for line in (self._buffer + rest).decode("utf-8", "replace").splitlines():
            self.output.append(line)
            print("  daemon:", line)
        return self.proc.returncode


def call(method, url, body=None, content_type="application/json"):
    """An HTTP request with a JSON body (or raw bytes, or none); (status, text)."""
    data = None if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": content_type} if data is not None else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=DEADLINE_S) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def http(method, url, data=None):
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=DEADLINE_S) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def write_conf(tmp, text, name="jvb.conf"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def case_health_and_version(tmp):
    d = Daemon(["--config", write_conf(tmp, BASE_CONF)])
    base = d.url()
    status, headers, body = http("GET", base + "about/health")
    expect(status == 200, f"health status {status}")
    expect(body == b"", f"health body {body!r}")
    expect(headers.get("Content-Type", "").startswith("application/json"), f"health headers {headers}")
    expect("Server" not in headers, "a Server header is sent though send-server-version is false")
    status, headers, body = http("GET", base + "about/version")
    expect(status == 200, f"version status {status}")
    v = json.loads(body)
    expect(v["name"] == "JVB", f"version name {v}")
    expect(re.match(r"^\d+\.\d+\.\d+-", v["version"]), f"version {v}")
    expect(v["os"] == "Linux", f"os {v}")
    expect(headers.get("Access-Control-Allow-Origin") == "*", "CORS header missing on the private server")
    expect(d.stop() == 0, "exit status after SIGTERM")


def case_http_errors(tmp):
    d = Daemon(["--config", write_conf(tmp, BASE_CONF)])
    base = d.url()
    expect(http("GET", base + "no/such/path")[0] == 404, "unknown path is not 404")
    status, headers, _ = http("POST", base + "about/health", data=b"{}")
    expect(status == 405, f"POST /about/health gave {status}")
    expect(headers.get("Allow") == "GET", f"Allow header {headers.get('Allow')}")
    expect(http("TRACE", base + "about/version")[0] == 405, "TRACE is not 405")
    expect(d.stop() == 0, "exit status")


def _stop_with(tmp, sig):
    d = Daemon(["--config", write_conf(tmp, BASE_CONF)])
    d.url()
    code = d.stop(sig)
    expect(code == 0, f"exit status {code} after {sig.name}")
    expect(any("Received signal" in l for l in d.output), "no shutdown log line")
    expect(any(l.endswith("Stopped") for l in d.output), "no final 'Stopped' line")
    expect(all(l.startswith("JVB ") for l in d.output if l.strip()), "a line is not in JVB's log format")


def case_sigterm(tmp):
    _stop_with(tmp, signal.SIGTERM)


def case_sigint(tmp):
    _stop_with(tmp, signal.SIGINT)


def case_unhealthy_without_address(tmp):
    """In a network namespace with only loopback there is no valid address: JVB's health
    check fails with 500 and its message."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("skipped: needs root and unshare for a private network namespace")
        return
    conf = write_conf(tmp, BASE_CONF.replace("require-valid-address = false", "require-valid-address = true"))
    wrapper = write_conf(tmp, 'ip link set lo up && exec "$@"\n', "netns.sh")
    d = Daemon(["--config", conf], prefix=["unshare", "-n", "sh", wrapper])
    url = d.url()
    # The daemon is inside its own namespace; reach it from there too.
    probe = ("import urllib.request,urllib.error,sys\n"
             "try:\n urllib.request.urlopen(sys.argv[1],timeout=10)\n print(200)\n"
             "except urllib.error.HTTPError as e:\n print(e.code, e.read().decode())\n")
    out = subprocess.run(["nsenter", "-t", str(d.proc.pid), "-n", "/usr/bin/python3", "-c", probe,
                          url + "about/health"], capture_output=True, text=True, timeout=DEADLINE_S)
    print("  probe:", out.stdout.strip(), out.stderr.strip())
    expect(out.stdout.startswith("500 No valid IP addresses available for harvesting."),
           f"health in an address-less namespace: {out.stdout!r}")
    expect(d.stop() == 0, "exit status")


def case_syntax_error(tmp):
    conf = write_conf(tmp, "videobridge {\n  ice.udp.port = 10000\n  http-servers { private { port = 0 }\n")
    p = subprocess.run([BINARY, "--config", conf], capture_output=True, text=True, timeout=DEADLINE_S)
    print("  stderr:", p.stderr.strip())
    expect(p.returncode == 78, f"exit status {p.returncode}, expected 78 (EX_CONFIG)")
    expect(re.search(re.escape(conf) + r":\d+:\d+: ", p.stderr), "error is not file:line:column: message")


def case_print_config(tmp):
    conf = write_conf(tmp, BASE_CONF + """
videobridge.ice.udp.port = 10009
videobridge.no-such-key = 1
videobridge.apis.xmpp-client.configs.shard {
  HOSTNAME = localhost, DOMAIN = "auth.example.com", USERNAME = jvb, PASSWORD = "Qw8#zP2a"
  MUC_JIDS = "jvbbrewery@internal.auth.example.com", MUC_NICKNAME = 0c8f2d5e-6b1a
}
""")
    p = subprocess.run([BINARY, "--config", conf, "--print-config", "-Dvideobridge.websockets.server-id=sp"],
                       capture_output=True, text=True, timeout=DEADLINE_S)
    print("  stderr:", p.stderr.strip())
    expect(p.returncode == 0, f"exit status {p.returncode}")
    cfg = json.loads(p.stdout)
    vb = cfg["videobridge"]
    expect(vb["ice"]["udp"]["port"] == 10009, "port override missing")
    expect(vb["websockets"]["server-id"] == "sp", "-D override missing")
    expect(vb["apis"]["xmpp-client"]["configs"]["shard"]["MUC_NICKNAME"] == "0c8f2d5e-6b1a", "nickname")
    expect("Qw8#zP2a" not in p.stdout, "password printed")
    expect(cfg["ice4j"]["consent-freshness"]["interval"] == "5 seconds", "JVB's ice4j override")
    expect("videobridge.no-such-key" in p.stderr, "no warning for the unknown key")


def case_env_file_launch(tmp):
    """The Debian layout: JAVA_SYS_PROPS in the `config` env file names jvb.conf, the legacy
    properties directory and the logging configuration."""
    conf = write_conf(tmp, BASE_CONF)
    os.makedirs(os.path.join(tmp, "videobridge"))
    write_conf(tmp, "org.jitsi.videobridge.SINGLE_PORT_HARVESTER_PORT=10011\n",
               "videobridge/sip-communicator.properties")
    logging_props = write_conf(tmp, ".level=WARNING\n", "logging.properties")
    props = (f"-Dconfig.file={conf} -Dnet.java.sip.communicator.SC_HOME_DIR_LOCATION={tmp} "
             f"-Dnet.java.sip.communicator.SC_HOME_DIR_NAME=videobridge")
    quiet_env_file = write_conf(tmp, f'JAVA_SYS_PROPS="{props} -Djava.util.logging.config.file={logging_props}"\n',
                                "config-quiet")
    env_file = write_conf(tmp, f'# as the Debian package writes it\nJAVA_SYS_PROPS="{props}"\n', "config")

    # As systemd's EnvironmentFile= would pass it: the variable in the environment.
    env = dict(os.environ, JAVA_SYS_PROPS=props)
    p = subprocess.run([BINARY, "--print-config"], env=env, capture_output=True, text=True, timeout=DEADLINE_S)
    expect(p.returncode == 0, f"exit status {p.returncode}: {p.stderr}")
    vb = json.loads(p.stdout)["videobridge"]
    expect(vb["http-servers"]["private"]["port"] == 0, "-Dconfig.file was not used")
    expect(vb["ice"]["udp"]["port"] == 10011, "the legacy properties under SC_HOME_DIR_* were not used")
    expect(" INFO: " in p.stderr, "expected INFO notes without a logging configuration")

    # The logging configuration's .level silences INFO.
    env.pop("JAVA_SYS_PROPS")
    p = subprocess.run([BINARY, "--env-file", quiet_env_file, "--print-config"], env=env, capture_output=True,
                       text=True, timeout=DEADLINE_S)
    expect(p.returncode == 0, f"exit status {p.returncode}: {p.stderr}")
    expect(" INFO: " not in p.stderr, f"INFO lines printed despite .level=WARNING: {p.stderr}")

    # And the daemon itself, started from the env file.
    d = Daemon(["--env-file", env_file], env=env)
    base = d.url()
    expect(http("GET", base + "about/health")[0] == 200, "health of the daemon started from the env file")
    expect(d.stop() == 0, "exit status")


def case_media_port(tmp):
    """The daemon binds the media port; datagrams nobody asked for are dropped without an
    answer or harm, and the daemon keeps serving."""
    d = Daemon(["--config", write_conf(tmp, BASE_CONF)])
    port = int(d.wait_for(r"Media port listening on UDP 0\.0\.0\.0:(\d+)").group(1))
    base = d.url()
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        # Garbage, an RTP-looking packet, a DTLS ClientHello-looking record, and a STUN Binding
        # request for a ufrag no endpoint has.
        stun = bytes.fromhex("0001000c2112a442") + os.urandom(12) + bytes.fromhex("0006000878797a3a61626364")
        for datagram in [b"\xff" * 100, b"\x80\x6f" + b"\x00" * 40, b"\x16\xfe\xfd" + b"\x00" * 60, stun, b""]:
            s.sendto(datagram, ("127.0.0.1", port))
    expect(http("GET", base + "about/health")[0] == 200, "health after stray datagrams")
    expect(d.proc.poll() is None, "daemon died")
    expect(d.stop() == 0, "exit status")


def case_media_port_taken(tmp):
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 0))
        taken = s.getsockname()[1]
        conf = write_conf(tmp, BASE_CONF.replace("ice.udp.port = 0", f"ice.udp.port = {taken}"))
        p = subprocess.run([BINARY, "--config", conf], capture_output=True, text=True, timeout=DEADLINE_S)
    print("  stdout:", p.stdout.strip())
    expect(p.returncode == 1, f"exit status {p.returncode}, expected 1")
    expect(f"cannot bind UDP 0.0.0.0:{taken}" in p.stdout, "no message naming the taken port")


def run_named_case(cases, argv, missing=()):
    """The main() of the case-per-test scripts: `argv` is [script, VIDEOBRIDGE_BINARY, CASE];
    runs cases["case_" + CASE] in a fresh temporary directory and prints PASS or FAIL. `missing`
    names what the machine lacks for these cases (then they fail, saying so)."""
    global BINARY
    BINARY = os.path.abspath(argv[1])
    case = argv[2]
    fn = cases.get("case_" + case)
    if not fn:
        print(f"unknown case {case}")
        return 2
    if missing:
        print(f"FAIL {case}: missing {', '.join(missing)} (tools/install-deps.sh test installs them)")
        return 1
    tmp = tempfile.mkdtemp(prefix="jvb-interop-")
    try:
        fn(tmp)
    except AssertionError as e:
        print(f"FAIL {case}: {e}")
        return 1
    finally:
        for daemon in _started:
            if daemon.proc.poll() is None:
                daemon.proc.kill()
                daemon.proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"PASS {case}")
    return 0


if __name__ == "__main__":
    sys.exit(run_named_case(globals(), sys.argv))
