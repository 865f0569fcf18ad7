#!/usr/bin/python3
"""Prosody killed (SIGKILL) and restarted in the middle of a browser call: signaling goes away,
media must not. Two Chromium pages hold a call through the bridge, driven by the focus over XMPP
(call_chromium_test.Call). Then Prosody dies; while it is gone, and after it is back, each page
keeps receiving the other's audio and video (getStats counters keep increasing); the bridge is
back in the brewery within 5 s of Prosody listening again; the conference and both endpoints
still exist on the bridge; and a third page joining afterwards gets media from both, which needs
the focus and the bridge to talk through the restarted Prosody.

Usage: call_prosody_restart_test.py VIDEOBRIDGE_BINARY FOCUS_BINARY PAGE_DIR"""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import call_chromium_test as call_test  # noqa: E402
import daemon_test as d  # noqa: E402
import webdriver  # noqa: E402

REJOIN_LIMIT_S = 5
JOINED = re.compile(r"joined the brewery \S+ as jvb-1")


def joins(process):
    return sum(bool(JOINED.search(line)) for line in list(process.output))


def until(predicate, what, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return time.monotonic()
        time.sleep(0.05)  # polling a log another thread fills; bounded by the deadline
    raise AssertionError(f"{what} within {timeout} s")


def conference_on_bridge(call, endpoints):
    debug = json.loads(call.debug())
    conferences = debug.get("conferences", {})
    for conference in conferences.values():
        if set(endpoints) <= set(conference.get("endpoints", {})):
            return True
    print("  /debug conferences:", json.dumps(conferences)[:2000])
    return False


def run(focus_binary, page_dir, tmp):
    d.expect(webdriver.available(), "chromium and chromedriver are not installed (make test installs them)")
    started = call_test.start_clock()
    call = None
    people = []
    try:
        call = call_test.Call("xmpp", focus_binary, page_dir, tmp)
        a, b = (call_test.Participant(n, call.url) for n in ("A", "B"))
        people = [a, b]
        for p in people:
            call_test.expect_connected(p)
        names = {p.endpoint: p.name for p in people}
        baseline = {}
        for p in people:
            other = b if p is a else a
            call_test.expect_offered(p, [other])
            state = call_test.expect_media(p, [other], names)
            baseline[p.name] = call_test.counters(state, [other.endpoint])

        print("Prosody is killed")
        joined_before = joins(call.bridge)
        call.prosody.kill()
        for p in people:
            other = b if p is a else a
            state = call_test.expect_media(p, [other], names, baseline=baseline[p.name], min_frames=10,
                                           min_audio=10)
            baseline[p.name] = call_test.counters(state, [other.endpoint])
        d.expect(joins(call.bridge) == joined_before, "the bridge joined a brewery while Prosody was down")

        print("Prosody is back")
        call.prosody.start()  # returns once it accepts connections
        back = time.monotonic()
        rejoined = until(lambda: joins(call.bridge) > joined_before, "the bridge back in the brewery",
                         REJOIN_LIMIT_S)
        print(f"  the bridge rejoined the brewery {rejoined - back:.2f} s after Prosody listened again")
        d.expect(conference_on_bridge(call, [a.endpoint, b.endpoint]),
                 "the conference with both endpoints is gone from the bridge")
        for p in people:
            other = b if p is a else a
            state = call_test.expect_media(p, [other], names, baseline=baseline[p.name], min_frames=10,
                                           min_audio=10)
            baseline[p.name] = call_test.counters(state, [other.endpoint])

        print("C joins through the restarted Prosody")
        c = call_test.Participant("C", call.url)
        people.append(c)
        call_test.expect_connected(c)
        names[c.endpoint] = "C"
        for p in people:
            call_test.expect_offered(p, [o for o in people if o is not p])
        call_test.expect_media(c, [a, b], names)
        for p in (a, b):
            call_test.expect_media(p, [c], names)
        d.expect(call.bridge.proc.poll() is None, "the bridge exited")
        print(f"total {time.monotonic() - started:.1f} s")
    except AssertionError:
        call_test.print_debug(call)
        raise
    finally:
        for p in people:
            p.close()
        if call:
            call.close()


def main():
    return call_test.main_with(__file__, __doc__, run, "jvb-restart-")


if __name__ == "__main__":
    sys.exit(main())
