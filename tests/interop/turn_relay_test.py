#!/usr/bin/python3
"""A client that reaches the bridge only through a TURN relay, on a host with several addresses.

Inside a loopback-only network namespace the loopback interface gets two more addresses,
10.99.0.1 and 10.99.0.2. Debian's coturn listens on 127.0.0.1 and relays from 10.99.0.1; the
bridge's media port is bound to the wildcard address and advertises only 10.99.0.2
(ice4j.harvest.allowed-addresses). Page A is relay-only (iceTransportPolicy 'relay'): everything
it sends reaches the bridge from the relay at 10.99.0.1, and coturn forwards back only what comes
from 10.99.0.2, the address A's client made a permission for (RFC 8656 §9). The kernel's own
choice of source for a reply to 10.99.0.1 is 10.99.0.1 itself, so a bridge that lets the kernel
choose is never heard by A: ICE fails. Page B uses its host candidate (127.0.0.1): a reply the
kernel sends from 127.0.0.1 breaks its ICE checks too (RFC 8445 §7.2.5.2.1: a response must come
from where the request went).

Checks: A's selected pair is its relay candidate to the bridge's 10.99.0.2; B's is host to
10.99.0.2; both decode each other's video and receive each other's audio through the bridge.

Usage: turn_relay_test.py VIDEOBRIDGE_BINARY FOCUS_BINARY PAGE_DIR"""

import os
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import call_chromium_test as cc  # noqa: E402
import daemon_test as d  # noqa: E402
import webdriver  # noqa: E402

RELAY_IP, BRIDGE_IP = "10.99.0.1", "10.99.0.2"
TURN_USER, TURN_PASSWORD = "jvb-test", "relay-secret"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def only_bridge_ip(base):
    """call_chromium_test's configuration, with the bridge advertising BRIDGE_IP alone."""
    return lambda prosody: base(prosody) + f'\nice4j.harvest.allowed-addresses = [ "{BRIDGE_IP}" ]\n'


def add_addresses():
    for ip in (RELAY_IP, BRIDGE_IP):
        subprocess.run(["ip", "addr", "add", f"{ip}/32", "dev", "lo"], check=True)


def start_turn(tmp):
    port = free_udp_port()
    argv = [shutil.which("turnserver") or "/usr/bin/turnserver", "-n",
            "--listening-ip=127.0.0.1", f"--listening-port={port}", f"--relay-ip={RELAY_IP}",
            "--min-port=40000", "--max-port=40999",
            "--lt-cred-mech", f"--user={TURN_USER}:{TURN_PASSWORD}", "--realm=jvb.test", "--fingerprint",
            "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--log-file=stdout", "--simple-log",
            f"--pidfile={os.path.join(tmp, 'turn.pid')}", f"--db={os.path.join(tmp, 'turndb')}"]
    turn = cc.Process(argv, "coturn")
    turn.wait_for(r"Total General servers")
    turn.drain()
    return turn, port


def run(focus_binary, page_dir, tmp):
    d.expect(webdriver.available(), "chromium and chromedriver are not installed (make test installs them)")
    d.expect(shutil.which("turnserver") is not None, "coturn is not installed (make test installs it)")
    started = cc.start_clock()
    add_addresses()
    cc.bridge_conf = only_bridge_ip(cc.bridge_conf)
    call = turn = None
    people = []
    try:
        turn, turn_port = start_turn(tmp)
        call = cc.Call("rest", focus_binary, page_dir, tmp)
        print(f"coturn on 127.0.0.1:{turn_port} relaying from {RELAY_IP}; the bridge advertises {BRIDGE_IP}")
        a = cc.Participant("A", call.url, f"&turn=turn:127.0.0.1:{turn_port}?transport=udp"
                                          f"&turn-user={TURN_USER}&turn-pass={TURN_PASSWORD}&relay-only=1")
        b = cc.Participant("B", call.url)
        people = [a, b]
        for p in people:
            cc.expect_connected(p)
        names = {p.endpoint: p.name for p in people}
        for p, want in ((a, "relay"), (b, "host")):
            pair = p.browser.call_async("callState")["selectedPair"]
            d.expect(pair and pair["local"]["type"] == want and pair["remote"]["address"] == BRIDGE_IP,
                     f"{p.name}: the selected ICE pair is {pair}, expected {want} to {BRIDGE_IP}")
            print(f"  {p.name} uses {pair['local']['type']} {pair['local']['address']}:{pair['local']['port']}"
                  f" -> {pair['remote']['address']}:{pair['remote']['port']}")
        for p in people:
            cc.expect_offered(p, [o for o in people if o is not p])
        for p in people:
            cc.expect_media(p, [o for o in people if o is not p], names)
        for p in list(people):
            p.close()
            people.remove(p)
        d.expect(call.bridge.stop() == 0, "bridge exit status after SIGTERM")
        print(f"total {time.monotonic() - started:.1f} s")
    except AssertionError:
        cc.print_debug(call)
        if turn:
            print("--- last lines of coturn ---\n" + "\n".join(turn.output[-20:]))
        raise
    finally:
        for p in people:
            p.close()
        if call:
            call.close()
        if turn and turn.proc.poll() is None:
            turn.proc.kill()
            turn.proc.wait()


def main():
    return cc.main_with(__file__, __doc__, run, "jvb-turn-relay-")


if __name__ == "__main__":
    sys.exit(main())
