#!/usr/bin/python3
"""`videobridge doctor` against a machine with real problems, each case in a private network
namespace this script creates (it re-runs itself under `unshare -n`):

  - lo up; a veth pair whose ve0 has the "LAN" address 10.77.0.2/24 and a route to 203.0.113.0/24,
    the "internet" side of a NAT;
  - the NAT's hairpin emulated by nftables: a datagram this machine sends to 203.0.113.10 on the
    media port is rewritten to 10.77.0.2 (DNAT in the nat output hook), and its answer rewritten
    back by connection tracking, as a router with port forwarding and hairpin does;
  - a STUN server played by this script on 127.0.0.1 that reports a chosen public address (what a
    real server behind that NAT would see);
  - a private Prosody (tools/dev/prosody_instance.py) with slixmpp as Jicofo in the brewery, and
    the real daemon when a case needs a running bridge.

Cases: a clean machine without and with the bridge running (exit 0, every network and XMPP check
OK), a wrong advertised address (a mapping's local address not on the machine, a private address
as the public one), a public address the NAT does not map to, the media port dropped by a
firewall rule (and OK again once the rule is gone), wrong XMPP credentials, Prosody not listening
and its certificate not trusted, the running bridge not in the brewery, and this bridge's
nickname already taken there.
The kernel buffer and clock checks depend on the host and may only warn.

Usage: doctor_test.py VIDEOBRIDGE_BINARY CASE
No fixed ports and no sleeps: ports are the kernel's free ones, every wait polls a condition."""

import asyncio
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import daemon_test as d  # noqa: E402
import webdriver  # noqa: E402  (in_loopback_namespace)
import xmpp_signaling_test as xs  # noqa: E402  (Scene, run_case: Prosody, the focus, the daemon)

LAN_IP = "10.77.0.2"
PUBLIC_IP = "203.0.113.10"
OTHER_PUBLIC_IP = "203.0.113.77"
DOCTOR_TIMEOUT_S = 60
NETNS_MARKER = "JVB_DOCTOR_NETNS"


# --- the namespace's network -------------------------------------------------------------------

def setup_network():
    for argv in (["ip", "link", "add", "ve0", "type", "veth", "peer", "name", "ve1"],
                 ["ip", "link", "set", "ve0", "up"], ["ip", "link", "set", "ve1", "up"],
                 ["ip", "addr", "add", f"{LAN_IP}/24", "dev", "ve0"],
                 ["ip", "route", "add", "203.0.113.0/24", "dev", "ve0"]):
        subprocess.run(argv, check=True)


def nft(script):
    subprocess.run(["nft", "-f", "-"], input=script, text=True, check=True)


def hairpin_nat(udp_port):
    """The router's port forward of PUBLIC_IP:udp_port to LAN_IP, as seen from inside."""
    nft(f"""table ip doctor_nat {{
  chain output {{
    type nat hook output priority -100; policy accept;
    ip daddr {PUBLIC_IP} udp dport {udp_port} dnat to {LAN_IP}
  }}
}}
""")


def drop_udp(udp_port):
    """A host firewall that drops the media port."""
    nft(f"""table inet doctor_fw {{
  chain input {{
    type filter hook input priority 0; policy accept;
    udp dport {udp_port} drop
  }}
}}
""")


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeStun:
    """A STUN server (RFC 5389 Binding) that answers every request with XOR-MAPPED-ADDRESS =
    (public_ip, the request's source port), as a real server behind the NAT would see it."""

    def __init__(self, public_ip):
        self.public_ip = public_ip
        self.requests = []  # source addresses
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)  # how often the thread looks at `stopping`
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                data, src = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) < 20 or struct.unpack("!HHI", data[:8]) != (0x0001, len(data) - 20, 0x2112A442):
                continue
            self.requests.append(src)
            xport = src[1] ^ 0x2112
            xaddr = bytes(a ^ b for a, b in zip(socket.inet_aton(self.public_ip), b"\x21\x12\xa4\x42"))
            attr = struct.pack("!HHBBH", 0x0020, 8, 0, 1, xport) + xaddr
            self.sock.sendto(struct.pack("!HHI", 0x0101, len(attr), 0x2112A442) + data[8:20] + attr, src)

    def close(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()


# --- configuration and the doctor ---------------------------------------------------------------

class Machine:
    """One case's ports and what the configuration says about them."""

    def __init__(self, scene, prosody, stun_ip=PUBLIC_IP):
        self.scene = scene
        self.prosody = prosody
        self.udp_port = free_port(socket.SOCK_DGRAM)
        self.http_port = free_port(socket.SOCK_STREAM)
        self.stun = FakeStun(stun_ip)
        scene.cleanups.append(self.stun.close)

    def conf(self, mappings=((LAN_IP, PUBLIC_IP),), password=None, nick="jvb-1", c2s_port=None,
             udp_port=None, http_port=None, tls="DISABLE_CERTIFICATE_VERIFICATION = true"):
        entries = ", ".join(f'{{ local-address = "{local}", public-address = "{public}" }}'
                            for local, public in mappings)
        return f"""
videobridge {{
  http-servers.private {{ host = 127.0.0.1, port = {http_port or self.http_port} }}
  ice.udp.port = {udp_port or self.udp_port}
  apis.xmpp-client.presence-interval = 1 second
  apis.xmpp-client.configs.shard {{
    HOSTNAME = "127.0.0.1"
    PORT = {c2s_port or self.prosody.c2s_port}
    DOMAIN = "{self.prosody.auth_domain}"
    USERNAME = "jvb"
    PASSWORD = "{password or self.prosody.passwords['jvb']}"
    MUC_JIDS = "{self.prosody.brewery}"
    MUC_NICKNAME = "{nick}"
    {tls}
  }}
}}
ice4j.harvest.mapping.stun.addresses = [ "127.0.0.1:{self.stun.port}" ]
ice4j.harvest.mapping.static-mappings = [ {entries} ]
"""

    def write(self, text, name="doctor.conf"):
        return d.write_conf(self.scene.tmp, text, name)


class Report:
    """The doctor's output, parsed: one entry per finding."""

    LINE = re.compile(r"^(OK|WARN|FAIL) +([^:]+): (.*)$")

    def __init__(self, code, text):
        self.code = code
        self.text = text
        self.findings = []  # [severity, check, what, fixes]
        for line in text.splitlines():
            m = self.LINE.match(line)
            if m:
                self.findings.append([m.group(1), m.group(2), m.group(3), []])
            elif line.strip().startswith("fix: ") and self.findings:
                self.findings[-1][3].append(line.strip()[5:])

    def expect(self, check, severity, *parts, fixes=()):
        """The one finding of `check` with `severity` (a check may report several), and what it
        says."""
        found = [f for f in self.findings if f[1] == check and f[0] == severity]
        d.expect(len(found) == 1, f"{len(found)} {severity} findings for '{check}' in:\n{self.text}")
        f = found[0]
        for part in parts:
            d.expect(part in f[2], f"'{check}' does not say '{part}': {f[2]}")
        for part in fixes:
            d.expect(any(part in fix for fix in f[3]), f"no fix of '{check}' says '{part}': {f[3]}")
        return f

    def expect_no_failure_but_host_dependent(self):
        """Exit 0, and everything that does not depend on the host's kernel or clock is OK."""
        d.expect(self.code == 0, f"doctor exit status {self.code}")
        host = ("net.core.rmem_max", "net.core.netdev_max_backlog", "clock")
        for severity, check, what, _ in self.findings:
            if check not in host:
                d.expect(severity == "OK", f"'{check}' is {severity}: {what}")


def run_doctor(conf_path):
    """Runs `videobridge doctor --config conf_path` to its end."""
    proc = subprocess.run([d.BINARY, "doctor", "--config", conf_path], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=DOCTOR_TIMEOUT_S)
    text = proc.stdout.decode("utf-8", "replace")
    for line in text.splitlines():
        print("  doctor:", line)
    return Report(proc.returncode, text)


async def doctor(conf_path):
    # Off the event loop: the focus keeps answering its server meanwhile.
    return await asyncio.to_thread(run_doctor, conf_path)


async def start_scene(scene, stun_ip=PUBLIC_IP):
    prosody = scene.prosody()
    focus = await scene.focus(prosody)
    return Machine(scene, prosody, stun_ip), focus


async def start_bridge(scene, machine, focus, conf_text, nick, name="jvb"):
    bridge = scene.bridge(conf_text, name)
    await focus.bridge_presence(nick)
    bridge.url()  # the private server listens
    return bridge


# --- cases ------------------------------------------------------------------------------------

def case_clean_stopped(tmp):
    async def body(scene):
        m, _ = await start_scene(scene)
        hairpin_nat(m.udp_port)
        r = await doctor(m.write(m.conf()))
        r.expect_no_failure_but_host_dependent()
        p = m.udp_port
        r.expect("advertised addresses", "OK", f"{LAN_IP}:{p} (host), {PUBLIC_IP}:{p} (srflx)")
        r.expect("static-mappings[0]", "OK", f"{LAN_IP} is advertised as {PUBLIC_IP}")
        r.expect("nat (stun)", "OK", f"sees {LAN_IP} as {PUBLIC_IP}")
        r.expect("media port", "OK", f"UDP {p} is free and receives", f"{LAN_IP}:{p}", f"{PUBLIC_IP}:{p}")
        r.expect("http private", "OK", f"TCP 127.0.0.1:{m.http_port} is free")
        r.expect("xmpp shard", "OK", f"logged in to 127.0.0.1:{m.prosody.c2s_port} as jvb@{m.prosody.auth_domain}")
        r.expect("brewery shard", "OK", f"may join {m.prosody.brewery} (1 other occupant)", "not running")
        d.expect(m.stun.requests, "the STUN server was never asked")
    xs.run_case(tmp, body)


def case_clean_running(tmp):
    async def body(scene):
        m, focus = await start_scene(scene)
        hairpin_nat(m.udp_port)
        conf = m.conf()
        bridge = await start_bridge(scene, m, focus, conf, "jvb-1")
        r = await doctor(m.write(conf))
        r.expect_no_failure_but_host_dependent()
        r.expect("media port", "OK", f"UDP {m.udp_port} is held by the running bridge, videobridge (pid "
                                     f"{bridge.proc.pid})", "reports healthy")
        r.expect("http private", "OK", "served by the running bridge")
        r.expect("brewery shard", "OK", f"the bridge is in {m.prosody.brewery} as jvb-1 (1 other occupant)")
        # The doctor left the room: the bridge is still there, and no "-doctor" occupant remains.
        await xs.until(lambda: focus.room_presence("jvb-1-doctor", pred=lambda p: p.get("type") == "unavailable"),
                       "the doctor's unavailable presence in the brewery")
    xs.run_case(tmp, body)


def case_wrong_address(tmp):
    async def body(scene):
        m, _ = await start_scene(scene)
        r = await doctor(m.write(m.conf(mappings=(("10.9.9.9", PUBLIC_IP), (LAN_IP, "192.168.1.5")))))
        d.expect(r.code == 1, f"doctor exit status {r.code}")
        r.expect("static-mappings[0]", "FAIL", "local-address 10.9.9.9 is not an address of this machine",
                 fixes=[f"{LAN_IP} (ve0)"])
        r.expect("static-mappings[1]", "FAIL", "public-address 192.168.1.5 is a private address",
                 fixes=[f'public-address = "{PUBLIC_IP}"'])
        r.expect("advertised addresses", "FAIL", "only private addresses are advertised",
                 f"sees {LAN_IP} as {PUBLIC_IP}",
                 fixes=[f'local-address = "{LAN_IP}", public-address = "{PUBLIC_IP}"'])
        r.expect("media port", "OK", f"{LAN_IP}:{m.udp_port}")
    xs.run_case(tmp, body)


def case_nat_mismatch(tmp):
    async def body(scene):
        m, _ = await start_scene(scene, stun_ip=OTHER_PUBLIC_IP)
        r = await doctor(m.write(m.conf()))
        d.expect(r.code == 1, f"doctor exit status {r.code}")
        r.expect("static-mappings[0]", "FAIL", f"advertises {PUBLIC_IP} for {LAN_IP}",
                 f"sees {LAN_IP} as {OTHER_PUBLIC_IP}", fixes=[f'public-address = "{OTHER_PUBLIC_IP}"'])
        # Without the router's port forward, the public address does not come back: only a warning,
        # since from inside a NAT without hairpin looks the same.
        r.expect("media port", "OK", f"{LAN_IP}:{m.udp_port}")
        r.expect("media port", "WARN", f"{PUBLIC_IP}:{m.udp_port}")
    xs.run_case(tmp, body)


def case_port_dropped(tmp):
    async def body(scene):
        m, _ = await start_scene(scene)
        hairpin_nat(m.udp_port)
        drop_udp(m.udp_port)
        path = m.write(m.conf())
        r = await doctor(path)
        d.expect(r.code == 1, f"doctor exit status {r.code}")
        p = m.udp_port
        r.expect("media port", "FAIL",
                 f"UDP {p} does not receive: a STUN request sent to {LAN_IP}:{p} (host) never arrived",
                 fixes=[f"nft add rule inet filter input udp dport {p} accept"])
        # The forwarded public address is dropped too, which from inside is only a warning.
        r.expect("media port", "WARN", f"{PUBLIC_IP}:{p}")
        # With the rule gone, the same machine passes.
        subprocess.run(["nft", "delete", "table", "inet", "doctor_fw"], check=True)
        r = await doctor(path)
        r.expect("media port", "OK", f"UDP {p} is free and receives")
    xs.run_case(tmp, body)


def case_wrong_password(tmp):
    async def body(scene):
        m, _ = await start_scene(scene)
        hairpin_nat(m.udp_port)
        r = await doctor(m.write(m.conf(password="not-the-password")))
        d.expect(r.code == 1, f"doctor exit status {r.code}")
        r.expect("xmpp shard", "FAIL", f"Prosody refused the credentials of jvb@{m.prosody.auth_domain} "
                                       "(not-authorized)",
                 fixes=[f"prosodyctl register jvb {m.prosody.auth_domain}"])
        d.expect(not [f for f in r.findings if f[1] == "brewery shard"], "a brewery finding without a login")
        closed = free_port(socket.SOCK_STREAM)
        r = await doctor(m.write(m.conf(c2s_port=closed), "closed.conf"))
        d.expect(r.code == 1, f"doctor exit status {r.code}")
        r.expect("xmpp shard", "FAIL", f"Prosody is not reachable at 127.0.0.1:{closed}: connection refused",
                 fixes=["systemctl start prosody"])
        # TLS required, and Prosody's self-signed certificate not trusted: the reason is shown.
        r = await doctor(m.write(m.conf(tls='SECURITY_MODE = "required"'), "tls.conf"))
        d.expect(r.code == 1, f"doctor exit status {r.code}")
        r.expect("xmpp shard", "FAIL", "TLS with 127.0.0.1", fixes=["DISABLE_CERTIFICATE_VERIFICATION = true"])
        d.expect(re.search(r"rejecting the TLS certificate of .*signer unknown", r.text),
                 f"the certificate's problem is not shown:\n{r.text}")
    xs.run_case(tmp, body)


def case_brewery_not_joined(tmp):
    async def body(scene):
        m, focus = await start_scene(scene)
        hairpin_nat(m.udp_port)
        # The running bridge was started with another nickname than the configuration now says
        # (or never managed to join): it holds the port, and jvb-1 is not in the room.
        await start_bridge(scene, m, focus, m.conf(nick="jvb-elsewhere"), "jvb-elsewhere")
        r = await doctor(m.write(m.conf()))
        d.expect(r.code == 1, f"doctor exit status {r.code}")
        r.expect("media port", "OK", "held by the running bridge")
        r.expect("brewery shard", "FAIL", f"the running bridge is not in {m.prosody.brewery} as jvb-1",
                 fixes=["cannot join"])
    xs.run_case(tmp, body)


def case_nickname_taken(tmp):
    async def body(scene):
        m, focus = await start_scene(scene)
        hairpin_nat(m.udp_port)
        # Another bridge (its own ports) already uses this bridge's nickname; this one is not running.
        other = m.conf(udp_port=free_port(socket.SOCK_DGRAM), http_port=free_port(socket.SOCK_STREAM))
        await start_bridge(scene, m, focus, other, "jvb-1", name="other")
        r = await doctor(m.write(m.conf()))
        d.expect(r.code == 1, f"doctor exit status {r.code}")
        r.expect("media port", "OK", f"UDP {m.udp_port} is free and receives")
        r.expect("brewery shard", "FAIL", "already uses this bridge's nickname jvb-1", fixes=["uuidgen"])
    xs.run_case(tmp, body)


def main():
    outer = webdriver.in_loopback_namespace([sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                                            marker=NETNS_MARKER)
    if outer == 77:
        print("skipped: needs root and unshare for a private network namespace")
        return 77
    if outer is not None:
        return outer
    setup_network()
    missing = [what for what, ok in (("python3-slixmpp", xs.slixmpp is not None),
                                     ("prosody", shutil.which("prosody")), ("openssl", shutil.which("openssl")),
                                     ("nftables", shutil.which("nft"))) if not ok]
    return d.run_named_case(globals(), sys.argv, missing)


if __name__ == "__main__":
    sys.exit(main())
