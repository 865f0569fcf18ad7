#!/usr/bin/python3
"""Interop tests of the operator routes of the real daemon (JVB's REST resources Drain.java,
Shutdown.java and MucClient.java; its ShutdownManager): drain on and off, a graceful shutdown
that ends the process, new conferences refused while existing ones keep taking endpoints, and
the muc-client validation errors.

Usage: ops_api_test.py VIDEOBRIDGE_BINARY CASE
No fixed ports and no sleeps: waits are bounded reads of the daemon's output or its exit."""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_test as d  # noqa: E402  (the Daemon runner and HTTP helpers)

OPS_CONF = d.BASE_CONF + """
videobridge.apis.rest.enabled = true
videobridge.rest.shutdown.enabled = true
videobridge.shutdown.shutting-down-delay = 1 second
ice4j.harvest.allowed-addresses = [ "127.0.0.1" ]
"""


def debug_state(base):
    status, body = d.call("GET", base + "debug")
    d.expect(status == 200, f"/debug: {status}")
    return json.loads(body)


def create_request(meeting, *endpoints):
    return {"meeting-id": meeting, "name": "room@conference.example.org", "create": True,
            "endpoints": [{"id": ep, "create": True, "capabilities": ["source-names"],
                           "transport": {"ice-controlling": True}} for ep in endpoints]}


def case_drain(tmp):
    # initial-drain-mode sets the starting value; the default configuration has the DRAIN API on
    # and the COLIBRI and SHUTDOWN APIs off.
    daemon = d.Daemon(["--config", d.write_conf(tmp, d.BASE_CONF + "videobridge.initial-drain-mode = true\n")])
    base = daemon.url()
    status, body = d.call("GET", base + "colibri/drain")
    d.expect(status == 200 and json.loads(body) == {"drain": True}, f"initial drain: {status} {body}")
    for action, want in (("disable", False), ("enable", True), ("enable", True), ("disable", False)):
        status, body = d.call("POST", base + "colibri/drain/" + action)
        d.expect(status == 200 and body == "", f"POST drain/{action}: {status} {body!r}")
        status, body = d.call("GET", base + "colibri/drain")
        d.expect(status == 200 and json.loads(body) == {"drain": want}, f"drain after {action}: {body}")
        d.expect(debug_state(base)["drain"] is want, "/debug disagrees with /colibri/drain")
    d.expect(d.call("GET", base + "colibri/drain/enable")[0] == 405, "GET drain/enable is not 405")
    d.expect(d.call("POST", base + "colibri/shutdown", {"graceful-shutdown": True})[0] == 404,
             "/colibri/shutdown without the SHUTDOWN API")
    d.expect(d.call("GET", base + "colibri/muc-client/list")[0] == 404, "muc-client without the COLIBRI API")
    d.expect(daemon.proc.poll() is None, "the daemon died")
    d.expect(daemon.stop() == 0, "exit status")

    # And off: a disabled DRAIN API answers 404.
    daemon = d.Daemon(["--config", d.write_conf(tmp, d.BASE_CONF + "videobridge.rest.drain.enabled = false\n",
                                                "off.conf")])
    base = daemon.url()
    d.expect(d.call("GET", base + "colibri/drain")[0] == 404, "drain with the DRAIN API off")
    d.expect(d.call("POST", base + "colibri/drain/enable")[0] == 404, "drain/enable with the DRAIN API off")
    d.expect(daemon.stop() == 0, "exit status")


def case_shutdown_idle(tmp):
    """No endpoints: graceful goes on to SHUTTING_DOWN at once, and the process exits 0 after
    shutting-down-delay (1 s here)."""
    daemon = d.Daemon(["--config", d.write_conf(tmp, OPS_CONF)])
    base = daemon.url()
    d.expect(debug_state(base)["shutdown_state"] == "RUNNING", "state before the request")
    asked = time.monotonic()
    status, body = d.call("POST", base + "colibri/shutdown", {"graceful-shutdown": "true"})
    d.expect(status == 200 and body == "", f"shutdown: {status} {body!r}")
    code = daemon.wait_exit()
    took = time.monotonic() - asked
    print(f"  exited {took:.2f} s after the request")
    d.expect(code == 0, f"exit status {code}")
    d.expect(took >= 0.9, f"exited after {took:.2f} s, before the shutting-down delay")
    d.expect(any("SHUTTING_DOWN" in l for l in daemon.output), "no SHUTTING_DOWN log line")
    d.expect(any(l.endswith("Stopped") for l in daemon.output), "no final 'Stopped' line")


def case_shutdown_with_endpoint(tmp):
    """With an endpoint the bridge stays in GRACEFUL_SHUTDOWN: new conferences are refused with
    the graceful-shutdown error, the existing one still takes endpoints; once they are gone the
    bridge shuts down."""
    daemon = d.Daemon(["--config", d.write_conf(tmp, OPS_CONF)])
    base = daemon.url()
    status, body = d.call("POST", base + "colibri/v2/conferences", create_request("m-1", "ep1"))
    d.expect(status == 200, f"create before the shutdown: {status} {body}")

    status, body = d.call("POST", base + "colibri/shutdown", {"graceful-shutdown": True})
    d.expect(status == 200, f"shutdown: {status} {body}")
    d.expect(debug_state(base)["shutdown_state"] == "GRACEFUL_SHUTDOWN", "state after the request")

    status, body = d.call("POST", base + "colibri/v2/conferences", create_request("m-2", "ep9"))
    print(f"  create during the graceful shutdown: {status} {body}")
    d.expect(status == 400 and "In graceful shutdown" in body, f"new conference: {status} {body}")
    status, body = d.call("PATCH", base + "colibri/v2/conferences/m-1",
                        {"endpoints": create_request("m-1", "ep2")["endpoints"]})
    d.expect(status == 200 and json.loads(body)["endpoints"][0]["id"] == "ep2", f"new endpoint: {status} {body}")
    # A second request changes nothing.
    d.expect(d.call("POST", base + "colibri/shutdown", {"graceful-shutdown": True})[0] == 200, "second request")
    d.expect(debug_state(base)["shutdown_state"] == "GRACEFUL_SHUTDOWN", "state after the second request")
    d.expect(daemon.proc.poll() is None, "the daemon exited with endpoints left")

    # The last endpoints leave: SHUTTING_DOWN, then exit.
    status, body = d.call("PATCH", base + "colibri/v2/conferences/m-1",
                        {"endpoints": [{"id": "ep1", "expire": True}, {"id": "ep2", "expire": True}]})
    d.expect(status == 200, f"expire: {status} {body}")
    code = daemon.wait_exit()
    d.expect(code == 0, f"exit status {code}")
    d.expect(any("SHUTTING_DOWN" in l for l in daemon.output), "no SHUTTING_DOWN log line")


def case_shutdown_errors(tmp):
    daemon = d.Daemon(["--config", d.write_conf(tmp, OPS_CONF)])
    base = daemon.url()
    for body in (b"{}", b'{"graceful-shutdown": "maybe"}', b'{"graceful-shutdown": null}', b"[true]", b"{oops",
                 b"", b'{"graceful_shutdown": true}'):
        status, answer = d.call("POST", base + "colibri/shutdown", body)
        print(f"  {body!r}: {status} {answer}")
        d.expect(status == 400, f"{body!r}: {status}")
    status, _ = d.call("POST", base + "colibri/shutdown", b'{"graceful-shutdown": true}', content_type="text/plain")
    d.expect(status == 415, f"text/plain: {status}")
    d.expect(d.call("GET", base + "colibri/shutdown")[0] == 405, "GET /colibri/shutdown")
    d.expect(debug_state(base)["shutdown_state"] == "RUNNING", "a bad request changed the state")
    # Not graceful: SHUTTING_DOWN with the endpoint still there, then exit.
    status, _ = d.call("POST", base + "colibri/v2/conferences", create_request("m-1", "ep1"))
    d.expect(status == 200, "create")
    status, _ = d.call("POST", base + "colibri/shutdown", {"graceful-shutdown": "false"})
    d.expect(status == 200, f"non-graceful shutdown: {status}")
    code = daemon.wait_exit()
    d.expect(code == 0, f"exit status {code}")


def case_muc_client(tmp):
    """Validation, list, add/replace/remove. The server is a TCP port that refuses connections:
    the client keeps retrying in the background, which must not disturb the API."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as refused:
        refused.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = refused.getsockname()[1]
        daemon = d.Daemon(["--config", d.write_conf(tmp, OPS_CONF)])
        base = daemon.url()
        status, body = d.call("GET", base + "colibri/muc-client/list")
        d.expect(status == 200 and json.loads(body) == [], f"empty list: {status} {body}")

        good = {"id": "shard2", "hostname": "127.0.0.1", "port": str(port), "domain": "auth.meet.test",
                "username": "jvb", "password": "s3cret", "muc_jids": "jvbbrewery@internal.auth.meet.test",
                "muc_nickname": "jvb-2", "security_mode": "disabled"}
        bad = [
            ({k: v for k, v in good.items() if k != "id"}, "Missing id"),
            (dict(good, id=5), "Missing id"),
            ({k: v for k, v in good.items() if k != "password"}, "missing PASSWORD"),
            (dict(good, muc_nickname=None), "missing MUC_NICKNAME"),
            (dict(good, port="99999"), "not a port number"),
            (dict(good, security_mode="often"), "SECURITY_MODE"),
            (["shard2"], "JSON object"),
            (b"{nope", "not valid JSON"),
        ]
        for body, why in bad:
            status, answer = d.call("POST", base + "colibri/muc-client/add", body)
            print(f"  add {body!r}: {status} {answer}")
            d.expect(status == 400 and why in answer, f"add {body!r}: {status} {answer!r}")
        d.expect(d.call("POST", base + "colibri/muc-client/add", good, content_type="text/plain")[0] == 415,
                 "add with text/plain")
        d.expect(json.loads(d.call("GET", base + "colibri/muc-client/list")[1]) == [], "a bad add left a client")

        # Names are case-insensitive.
        upper = {("id" if k == "id" else k.upper()): v for k, v in good.items()}
        d.expect(d.call("POST", base + "colibri/muc-client/add", upper)[0] == 200, "add")
        daemon.wait_for(r"XMPP account shard2: jvb@auth\.meet\.test via 127\.0\.0\.1:" + str(port))
        d.expect(json.loads(d.call("GET", base + "colibri/muc-client/list")[1]) == ["shard2"], "list after add")
        # The same server and user again: nothing changes. Another domain: replaced.
        d.expect(d.call("POST", base + "colibri/muc-client/add", dict(good, password="other"))[0] == 200, "re-add")
        d.expect(d.call("POST", base + "colibri/muc-client/add", dict(good, domain="auth2.meet.test"))[0] == 200,
                 "replace")
        daemon.wait_for(r"XMPP account shard2: jvb@auth2\.meet\.test")
        d.expect(json.loads(d.call("GET", base + "colibri/muc-client/list")[1]) == ["shard2"], "list after replace")

        for body in ({"id": "nope"}, {"id": 1}, {}, b"]"):
            status, answer = d.call("POST", base + "colibri/muc-client/remove", body)
            d.expect(status == 400, f"remove {body!r}: {status} {answer}")
        d.expect(d.call("POST", base + "colibri/muc-client/remove", {"id": "shard2"})[0] == 200, "remove")
        d.expect(json.loads(d.call("GET", base + "colibri/muc-client/list")[1]) == [], "list after remove")
        d.expect(d.call("POST", base + "colibri/muc-client/remove", {"id": "shard2"})[0] == 400, "second remove")
        d.expect(daemon.proc.poll() is None, "the daemon died")
        d.expect(daemon.stop() == 0, "exit status")


if __name__ == "__main__":
    sys.exit(d.run_named_case(globals(), sys.argv))
