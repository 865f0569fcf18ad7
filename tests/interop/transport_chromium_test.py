#!/usr/bin/python3
"""Interop test of the transport (ICE, DTLS, SRTP on one UDP port) with headless Chromium,
in a network namespace where only loopback exists.

The harness (transport_harness) plays the bridge: Chromium gets an offer holding the
harness's ICE credentials, its one candidate 127.0.0.1:PORT and its certificate
fingerprint. The test asserts that ICE and DTLS connect, that the harness decrypts
Chromium's audio and video (SRTP from Chromium), and that Chromium decodes the echo the
harness re-encrypts (SRTP from the bridge accepted by Chromium).

Usage: transport_chromium_test.py HARNESS_BINARY PAGES_DIR PROFILE   (PROFILE: gcm | cm80)"""

import json
import os
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webdriver  # noqa: E402

HARNESS = PAGES = PROFILE = None  # set by main()
AUDIO_PT, VIDEO_PT = 111, 96
AUDIO_SSRC, VIDEO_SSRC = 0x1A2B3C4D, 0x5E6F7081
EXPECTED_PROFILES = {"gcm": "SRTP_AEAD_AES_128_GCM", "cm80": "SRTP_AES128_CM_HMAC_SHA1_80"}


def offer_sdp(h):
    common = [
        "c=IN IP4 0.0.0.0",
        f"a=ice-ufrag:{h['ufrag']}",
        f"a=ice-pwd:{h['pwd']}",
        f"a=fingerprint:sha-256 {h['fingerprint']}",
        "a=setup:actpass",
        "a=rtcp-mux",
        "a=sendrecv",
        f"a={h['candidate']}",
        "a=end-of-candidates",
    ]
    lines = ["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
             "a=msid-semantic: WMS bridge",
             f"m=audio 9 UDP/TLS/RTP/SAVPF {AUDIO_PT}"] + common + [
             "a=mid:0", f"a=rtpmap:{AUDIO_PT} opus/48000/2", f"a=fmtp:{AUDIO_PT} minptime=10;useinbandfec=1",
             f"a=ssrc:{AUDIO_SSRC} cname:bridge", f"a=ssrc:{AUDIO_SSRC} msid:bridge audio0",
             f"m=video 9 UDP/TLS/RTP/SAVPF {VIDEO_PT}"] + common + [
             "a=mid:1", f"a=rtpmap:{VIDEO_PT} VP8/90000", f"a=rtcp-fb:{VIDEO_PT} nack pli",
             f"a=ssrc:{VIDEO_SSRC} cname:bridge", f"a=ssrc:{VIDEO_SSRC} msid:bridge video0"]
    return "\r\n".join(lines) + "\r\n"


def answer_params(sdp):
    def first(pattern):
        m = re.search(pattern, sdp, re.M)
        if not m:
            raise AssertionError(f"answer has no {pattern}:\n{sdp}")
        return m.group(1).strip()
    fp = first(r"^a=fingerprint:(.+)$").split(" ", 1)
    return {
        "ufrag": first(r"^a=ice-ufrag:(.+)$"),
        "pwd": first(r"^a=ice-pwd:(.+)$"),
        "fingerprint": {"hash": fp[0], "value": fp[1]},
        "setup": first(r"^a=setup:(\w+)"),
        "candidates": [c.strip() for c in re.findall(r"^a=(candidate:.+)$", sdp, re.M)],
        "audio_pt": AUDIO_PT, "video_pt": VIDEO_PT, "audio_ssrc": AUDIO_SSRC, "video_ssrc": VIDEO_SSRC,
    }


class Harness:
    def __init__(self):
        self.proc = subprocess.Popen([HARNESS, "--profiles", PROFILE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=sys.stderr, text=True, bufsize=1)

    def read(self):
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        if not ready:
            raise AssertionError("harness said nothing for 20 s")
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"harness exited with {self.proc.wait()}")
        return json.loads(line)

    def send(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def close(self):
        try:
            self.send("quit")
            self.proc.wait(10)
        except Exception:
            self.proc.kill()


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def run():
    expect(webdriver.available(), "chromium and chromedriver are not installed (make test installs them)")
    harness = Harness()
    pages = webdriver.PageServer(PAGES)
    browser = None
    try:
        local = harness.read()
        print("harness:", json.dumps(local))
        browser = webdriver.Browser(timeout_s=60)
        print("browser:", browser.version)
        browser.open(pages.url("transport_echo.html"))
        started = time.monotonic()
        answer = browser.call_async("startCall", offer_sdp(local))
        expect(isinstance(answer, str), f"Chromium did not answer: {answer}")
        params = answer_params(answer)
        harness.send(json.dumps(params))
        result = browser.call_async("waitForEcho", 30000)
        elapsed = time.monotonic() - started
        harness.send("stats")
        stats = harness.read()
        print("chromium:", json.dumps(result))
        print("harness stats:", json.dumps(stats))
        print(f"from offer to decoded echo: {elapsed:.1f} s")
        expect(result.get("ice") in ("connected", "completed"), f"Chromium ICE state {result.get('ice')}")
        expect(result.get("dtls") == "connected", f"Chromium DTLS state {result.get('dtls')}")
        expect(stats["ice"] == "connected", f"harness ICE state {stats['ice']}")
        expect(stats["dtls"] == "connected", f"harness DTLS state {stats['dtls']}")
        expect(stats["srtp_profile"] == EXPECTED_PROFILES[PROFILE], f"SRTP profile {stats['srtp_profile']}")
        expect(stats["audio_decrypted"] > 0, "no audio from Chromium decrypted")
        expect(stats["video_decrypted"] > 0, "no video from Chromium decrypted")
        expect(stats["dropped_auth_failed"] == 0, "SRTP authentication failures")
        expect(result.get("ok"), "Chromium did not decode the echo (frames > 30, audio packets > 20)")
    finally:
        if browser:
            browser.close()
        pages.close()
        harness.close()


def main():
    global HARNESS, PAGES, PROFILE
    HARNESS, PAGES, PROFILE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
    return webdriver.run_test(__file__, run)


if __name__ == "__main__":
    sys.exit(main())
