#!/usr/bin/python3
"""Headless Chromium connects to the real daemon: a conference and an endpoint are created
over the Colibri2 REST API, Chromium gets an offer made from the endpoint's transport in the
answer (ICE credentials, candidates, fingerprint), its answer goes back to the bridge as a
transport update, and ICE and DTLS must connect on the daemon's media port. Runs in a
loopback-only network namespace.

Usage: daemon_chromium_test.py VIDEOBRIDGE_BINARY PAGES_DIR"""

import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import colibri2_rest_test as rest  # noqa: E402
import daemon_test as d  # noqa: E402
import transport_chromium_test as tc  # noqa: E402
import webdriver  # noqa: E402

PAGES = os.path.abspath(sys.argv[2])


def offer_from(transport):
    ice = transport["transport"]
    c = ice["candidates"][0]
    return tc.offer_sdp({
        "ufrag": ice["ufrag"], "pwd": ice["pwd"], "fingerprint": ice["fingerprints"][0]["fingerprint"],
        "candidate": f"candidate:{c['foundation']} 1 udp {c['priority']} {c['ip']} {c['port']} typ {c['type']}",
    })


def run(tmp):
    d.expect(webdriver.available(), "chromium and chromedriver are not installed (make test installs them)")
    daemon = d.Daemon(["--config", d.write_conf(tmp, rest.REST_CONF)])
    base = daemon.url()
    create = {"meeting-id": "chromium-1", "name": "room@conference.example.org", "create": True,
              "endpoints": [{"id": "abcd0001", "create": True, "capabilities": ["source-names"],
                             "transport": {"ice-controlling": True}}]}
    status, body = d.call("POST", base + "colibri/v2/conferences", create)
    d.expect(status == 200, f"create: {status} {body}")
    transport = json.loads(body)["endpoints"][0]["transport"]
    pages = webdriver.PageServer(PAGES)
    browser = webdriver.Browser(timeout_s=60)
    try:
        browser.open(pages.url("transport_echo.html"))
        answer = browser.call_async("startCall", offer_from(transport))
        d.expect(isinstance(answer, str), f"Chromium did not answer: {answer}")
        a = tc.answer_params(answer)
        update = {"endpoints": [{"id": "abcd0001", "transport": {"transport": {
            "xmlns": "urn:xmpp:jingle:transports:ice-udp:1", "ufrag": a["ufrag"], "pwd": a["pwd"], "rtcp-mux": True,
            "fingerprints": [{"fingerprint": a["fingerprint"]["value"], "hash": a["fingerprint"]["hash"],
                              "setup": a["setup"]}]}}}]}
        status, body = d.call("PATCH", base + "colibri/v2/conferences/chromium-1", update)
        d.expect(status == 200, f"transport update: {status} {body}")
        result = browser.call_async("waitForConnected", 20000)
        print("chromium:", json.dumps(result))
        d.expect(result.get("ok"), f"ICE/DTLS with the daemon did not connect: {result}")
        d.expect(result.get("selectedPair", "").endswith(f":{transport['transport']['candidates'][0]['port']} (host)"),
                 f"selected pair {result.get('selectedPair')}")
    finally:
        browser.close()
        pages.close()
    d.expect(daemon.stop() == 0, "exit status")
    d.expect(any("DTLS connected" in line for line in daemon.output), "the daemon did not log its DTLS connection")


def main():
    d.BINARY = os.path.abspath(sys.argv[1])

    def run_in_tmp():
        tmp = tempfile.mkdtemp(prefix="jvb-chromium-")
        try:
            run(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return webdriver.run_test(__file__, run_in_tmp)


if __name__ == "__main__":
    sys.exit(main())
