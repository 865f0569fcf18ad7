#!/usr/bin/python3
"""Replays the Colibri2 REST vectors (the shared protocol vectors' json/rest-*) in order
against the real daemon with videobridge.apis.rest.enabled, and checks the responses
structurally: the same keys and nesting, fixed values equal, bridge-generated values (ICE
credentials, candidates, fingerprint, feedback SSRCs) only of the right form. Then the error
cases of JVB's /colibri/v2/conferences (Conferences.java).

Usage: colibri2_rest_test.py VIDEOBRIDGE_BINARY CASE   (CASE: vectors | errors)"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_test as d  # noqa: E402  (the Daemon runner and HTTP helpers)

REST_CONF = d.BASE_CONF + """
videobridge.apis.rest.enabled = true
ice4j.harvest.allowed-addresses = [ "127.0.0.1" ]
"""
VARIABLE = {"ufrag", "pwd", "fingerprint", "candidates"}


def vectors_dir():
    shared = os.environ.get("JVB_SHARED_DIR", "")
    path = os.path.join(shared, "docs", "protocol", "vectors", "json")
    return path if shared and os.path.isdir(path) else None


def check_form(key, value, path):
    if key in ("ufrag", "pwd"):
        d.expect(isinstance(value, str) and len(value) >= 4, f"{path}: {key} {value!r}")
    elif key == "fingerprint":
        d.expect(re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", value), f"{path}: fingerprint {value!r}")
    elif key == "candidates":
        d.expect(isinstance(value, list) and value, f"{path}: no candidates")
        for c in value:
            for attr in ("component", "foundation", "generation", "id", "network", "priority", "protocol", "type",
                         "ip", "port"):
                d.expect(attr in c, f"{path}: candidate without {attr}: {c}")
            d.expect(c["ip"] == "127.0.0.1" and c["protocol"] == "udp", f"{path}: candidate {c}")


def compare(expected, actual, path="$"):
    if isinstance(expected, dict):
        d.expect(isinstance(actual, dict), f"{path}: expected an object, got {actual!r}")
        # WebSockets are advertised only when enabled; they are not in this configuration.
        keys = set(expected) - {"web-sockets"}
        d.expect(set(actual) == keys, f"{path}: keys {sorted(actual)} != {sorted(keys)}")
        for k in keys:
            if k in VARIABLE:
                check_form(k, actual[k], f"{path}.{k}")
            else:
                compare(expected[k], actual[k], f"{path}.{k}")
    elif isinstance(expected, list):
        d.expect(isinstance(actual, list) and len(actual) == len(expected), f"{path}: {actual!r} vs {expected!r}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            compare(e, a, f"{path}[{i}]")
    else:
        d.expect(expected == actual, f"{path}: {actual!r} != {expected!r}")


def case_vectors(tmp):
    vectors = vectors_dir()
    if not vectors:
        print("skipped: JVB_SHARED_DIR has no vectors/json")
        return
    daemon = d.Daemon(["--config", d.write_conf(tmp, REST_CONF)])
    base = daemon.url()
    names = sorted(f[:-len(".request.json")] for f in os.listdir(vectors) if f.startswith("rest-")
                   and f.endswith(".request.json"))
    d.expect(len(names) >= 4, f"vectors: {names}")
    meeting = None
    feedback = None
    for name in names:
        request = json.load(open(os.path.join(vectors, name + ".request.json")))
        expected = json.load(open(os.path.join(vectors, name + ".response.json")))
        if "meeting-id" in request and request.get("create"):
            meeting = request["meeting-id"]
            status, body = d.call("POST", base + "colibri/v2/conferences", request)
        else:
            status, body = d.call("PATCH", f"{base}colibri/v2/conferences/{meeting}", request)
        print(f"  {name}: {status} {body[:200]}")
        d.expect(status == 200, f"{name}: status {status} {body}")
        actual = json.loads(body)
        # Feedback SSRCs are the bridge's own; compare their shape, and that they stay the same.
        if "sources" in actual:
            d.expect([s["sources"][0].get("name") for s in actual["sources"]] == ["jvb-a0", "jvb-v0"],
                     f"feedback source names {actual['sources']}")
            ssrcs = [s["sources"][0]["ssrc"] for s in actual["sources"]]
            d.expect(all(isinstance(x, int) and 0 <= x < 2 ** 32 for x in ssrcs), f"feedback SSRCs {ssrcs}")
            d.expect(feedback in (None, ssrcs), "feedback SSRCs changed within the conference")
            feedback = ssrcs
            for e, a in zip(expected["sources"], actual["sources"]):
                e["sources"] = a["sources"]
        compare(expected, actual)
    # rest-04 expired the conference.
    status, _ = d.call("PATCH", f"{base}colibri/v2/conferences/{meeting}", {"endpoints": []})
    d.expect(status == 404, f"PATCH after expire: {status}")
    d.expect(daemon.stop() == 0, "exit status")


def case_errors(tmp):
    daemon = d.Daemon(["--config", d.write_conf(tmp, REST_CONF)])
    base = daemon.url()
    create = {"meeting-id": "m-1", "name": "room@conference.example.org", "create": True,
              "endpoints": [{"id": "ep1", "create": True, "capabilities": ["source-names"],
                             "transport": {"ice-controlling": True}}]}
    status, body = d.call("POST", base + "colibri/v2/conferences", create)
    d.expect(status == 200, f"create: {status} {body}")
    ep = json.loads(body)["endpoints"][0]
    d.expect(ep["transport"]["transport"]["fingerprints"][0]["setup"] == "actpass", f"fingerprint {ep}")
    d.expect(ep["transport"]["transport"]["rtcp-mux"] is True, "rtcp-mux")

    cases = [
        ("POST", "colibri/v2/conferences", create, 400, "Conference already exists"),
        ("POST", "colibri/v2/conferences", b"{not json", 400, "could not parse JSON"),
        ("POST", "colibri/v2/conferences", {"meeting-id": "m-2", "create": True, "endpoints": "x"}, 400,
         "Failed to parse ConferenceModify JSON"),
        ("POST", "colibri/v2/conferences", {"meeting-id": "m-3", "create": True, "name": "not a jid"}, 400,
         "Invalid conference name"),
        ("POST", "colibri/v2/conferences",
         {"meeting-id": "m-4", "create": True, "endpoints": [{"id": "e", "create": True,
                                                              "transport": {"ice-controlling": True}}]},
         400, "Source name support is mandatory"),
        ("PATCH", "colibri/v2/conferences/no-such-meeting", {"endpoints": []}, 404, ""),
        ("PATCH", "colibri/v2/conferences/m-1", {"endpoints": [{"id": "ghost", "transport": {}}]}, 400,
         "Endpoint not found"),
        ("PATCH", "colibri/v2/conferences/m-1", {"endpoints": [{"id": "ghost", "expire": True}]}, 200, ""),
        ("GET", "colibri/v2/conferences", None, 501, ""),
    ]
    for method, path, body, want, text in cases:
        if method == "GET":
            status, answer = d.http("GET", base + path)[0], ""
        else:
            status, answer = d.call(method, base + path, body)
        print(f"  {method} {path}: {status} {answer[:120]}")
        d.expect(status == want, f"{method} {path} {body!r}: {status}, expected {want}")
        d.expect(text in answer, f"{method} {path}: {answer!r} lacks {text!r}")
    status, _ = d.call("POST", base + "colibri/v2/conferences", create, content_type="text/plain")
    d.expect(status == 415, f"text/plain body: {status}")
    # The conference survived the bad requests, and its endpoint still answers.
    status, body = d.call("PATCH", base + "colibri/v2/conferences/m-1",
                        {"endpoints": [{"id": "ep1", "force-mute": {"audio": True}}]})
    d.expect(status == 200 and json.loads(body)["endpoints"][0]["id"] == "ep1", f"after errors: {status} {body}")
    d.expect(daemon.stop() == 0, "exit status")


if __name__ == "__main__":
    sys.exit(d.run_named_case(globals(), sys.argv))
