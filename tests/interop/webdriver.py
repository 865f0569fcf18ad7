"""A small W3C WebDriver client for Debian's headless Chromium (chromium + chromium-driver),
standard library only, and a static file server for test pages. Used by the interop tests.

Waits are bounded reads of process output or HTTP calls with timeouts: no sleeping."""

import http.server
import json
import os
import sys
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    # Without it Chromium gathers no candidates where only loopback exists.
    "--allow-loopback-in-peer-connection",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic",
]


def available():
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


class PageServer:
    """Serves one directory on 127.0.0.1 on a free port, from a thread."""

    def __init__(self, directory):
        handler = lambda *a, **kw: _QuietHandler(*a, directory=directory, **kw)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _free_port():
    # chromedriver cannot report a port it chose itself; this leaves only a tiny window.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One chromedriver process and one Chromium session."""

    def __init__(self, timeout_s=60, extra_args=()):
        self.timeout_s = timeout_s
        self.profile = tempfile.mkdtemp(prefix="jvb-chromium-")
        self.port = _free_port()
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT)
        self._wait_for_driver()
        args = CHROMIUM_ARGS + [f"--user-data-dir={self.profile}"] + list(extra_args)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome",
                                                 "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}}}
        session = self._call("POST", "/session", caps)
        self.session = session["sessionId"]
        self.version = session["capabilities"].get("browserVersion")
        self._call("POST", f"/session/{self.session}/timeouts", {"script": timeout_s * 1000})

    def _wait_for_driver(self):
        end = time.monotonic() + 20
        buffer = b""
        while time.monotonic() < end:
            ready, _, _ = select.select([self.driver.stdout], [], [], end - time.monotonic())
            if not ready:
                break
            chunk = os.read(self.driver.stdout.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
            if b"started successfully" in buffer:
                return
        raise RuntimeError(f"chromedriver did not start: {buffer.decode(errors='replace')}")

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method, data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=self.timeout_s + 10) as r:
            return json.loads(r.read())["value"]

    def open(self, url):
        self._call("POST", f"/session/{self.session}/url", {"url": url})

    def call_async(self, function_name, *args):
        """Calls window[function_name](...args), which returns a promise, and returns its value."""
        script = ("const done = arguments[arguments.length - 1];"
                  f"window[{json.dumps(function_name)}](...Array.from(arguments).slice(0, -1))"
                  ".then(done, e => done({error: String(e && e.stack || e)}));")
        return self._call("POST", f"/session/{self.session}/execute/async", {"script": script, "args": list(args)})

    def close(self):
        try:
            self._call("DELETE", f"/session/{self.session}")
        except Exception:
            pass
        self.driver.terminate()
        try:
            self.driver.wait(10)
        except subprocess.TimeoutExpired:
            self.driver.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def in_loopback_namespace(argv, marker="JVB_IN_NETNS"):
    """Re-runs this script inside a new network namespace where only `lo` exists and is up,
    so test traffic cannot leave the machine. Returns None when already inside; otherwise
    the exit status of the inner run, or 77 when namespaces are not available here."""
    if os.environ.get(marker):
        return None
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return 77
    env = dict(os.environ, **{marker: "1"})
    inner = "ip link set lo up && exec \"$@\""
    return subprocess.call(["unshare", "-n", "sh", "-c", inner, "sh"] + argv, env=env)


def run_test(script, run):
    """The main() of a browser test: re-runs `script` in a loopback-only network namespace and
    there calls run(), which raises AssertionError on failure. Returns the exit status: 0
    passed, 1 failed, 77 skipped (meson's code; only where namespaces cannot be made)."""
    outer = in_loopback_namespace([sys.executable, os.path.abspath(script)] + sys.argv[1:])
    if outer == 77:
        print("skipped: needs root and unshare for a loopback-only network namespace")
        return 77
    if outer is not None:
        return outer
    try:
        run()
    except AssertionError as e:
        print(f"FAIL: {e}")
        return 1
    print("PASS")
    return 0
