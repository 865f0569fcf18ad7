#!/usr/bin/python3
"""Interop tests of the bridge's XMPP signaling against a real Prosody: a private instance
(tools/dev/prosody_instance.py) on free loopback ports, the real daemon logging in as jvb, and
slixmpp playing Jicofo (focus@auth.DOMAIN, nick `focus` in the brewery). Covers login with and
without TLS, the stats presence, the Colibri2 XML vectors replayed through the room, pipelined
requests, the Colibri2 error cases Jicofo reacts to, the XEP-0114 component, reconnection, and an
account added at run time with drain and graceful shutdown in its presence.

Usage: xmpp_signaling_test.py VIDEOBRIDGE_BINARY CASE
No fixed ports and no sleeps: every wait polls a condition until a deadline."""

import asyncio
import copy
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "dev"))
import daemon_test as d  # noqa: E402  (the HTTP helpers, expect(), BASE_CONF)
from prosody_instance import ProsodyInstance  # noqa: E402

try:
    import slixmpp
    from slixmpp.exceptions import IqError, IqTimeout
    from slixmpp.xmlstream.handler import Callback
    from slixmpp.xmlstream.matcher import MatchXPath
except ImportError:  # reported by main(); install-deps.sh test installs python3-slixmpp
    slixmpp = None

DEADLINE_S = 20
IQ_TIMEOUT_S = 10
NS_COLIBRI2 = "jitsi:colibri2"
NS_STATS = "http://jitsi.org/protocol/colibri"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_ICE = "urn:xmpp:jingle:transports:ice-udp:1"
NS_DTLS = "urn:xmpp:jingle:apps:dtls:0"
NS_SSMA = "urn:xmpp:jingle:apps:rtp:ssma:0"
NS_CLIENT = "jabber:client"
NS_HEALTH = "http://jitsi.org/protocol/healthcheck"
NS_VERSION = "jabber:iq:version"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"


def q(ns, name):
    return f"{{{ns}}}{name}"


def xml(text):
    return ET.fromstring(text)


async def until(predicate, what, timeout=DEADLINE_S):
    """Polls `predicate` until it returns something truthy; fails after `timeout`."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


# --- the bridge process -----------------------------------------------------------------------

class Bridge:
    """The daemon with its output read by a thread: the bridge logs while the event loop is busy
    with XMPP, and a pipe nobody reads would eventually block it."""

    def __init__(self, tmp, conf_text, name="jvb"):
        self.name = name
        self.lines = []
        self.cond = threading.Condition()
        path = d.write_conf(tmp, conf_text, name + ".conf")
        self.proc = subprocess.Popen([d.BINARY, "--config", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            print(f"  {self.name}: {line}", flush=True)
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def find(self, pattern):
        regex = re.compile(pattern)
        with self.cond:
            for line in self.lines:
                m = regex.search(line)
                if m:
                    return m
        return None

    def wait_for(self, pattern, timeout=DEADLINE_S):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                m = self.find(pattern)
                if m:
                    return m
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise AssertionError(f"{self.name} never printed /{pattern}/")
                self.cond.wait(left)

    def url(self):
        return self.wait_for(r"Private HTTP server listening on (http://[\d.]+:\d+/)").group(1)

    def version(self):
        status, _, body = d.http("GET", self.url() + "about/version")
        d.expect(status == 200, f"/about/version status {status}")
        return json.loads(body)["version"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name} did not stop after SIGTERM")
        self.reader.join(timeout=DEADLINE_S)
        return self.proc.returncode


def client_conf(prosody, nick="jvb-1", security="disabled", verify=False, port=None, extra=""):
    """A bridge configuration with one XMPP client connection (one brewery) to `prosody`."""
    return d.BASE_CONF + f"""
ice4j.harvest.allowed-addresses = [ "127.0.0.1" ]
videobridge.apis.xmpp-client.presence-interval = 1 second
videobridge.apis.xmpp-client.configs.shard {{
  HOSTNAME = "127.0.0.1"
  PORT = {port or prosody.c2s_port}
  DOMAIN = "{prosody.auth_domain}"
  USERNAME = "jvb"
  PASSWORD = "{prosody.passwords['jvb']}"
  MUC_JIDS = "{prosody.brewery}"
  MUC_NICKNAME = "{nick}"
  DISABLE_CERTIFICATE_VERIFICATION = {'false' if verify else 'true'}
  SECURITY_MODE = "{security}"
}}
""" + extra


RELAY_CONF = """
videobridge.relay {{ enabled = true, relay-id = "{relay_id}", region = "{region}" }}
"""


# --- a TCP relay that keeps what the bridge sends --------------------------------------------

class RecordingProxy:
    """Forwards loopback TCP connections to Prosody's c2s port and records the bytes the bridge
    sends. Prosody strips the MUC <x/> from presence it relays, so only the bridge's own bytes
    show whether a presence carried it (plaintext streams only)."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.sent = []  # one bytearray per accepted connection
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                conn.close()
                continue
            record = bytearray()
            with self.lock:
                self.sent.append(record)
            threading.Thread(target=self._pump, args=(conn, upstream, record), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, conn, None), daemon=True).start()

    def _pump(self, src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record is not None:
                    with self.lock:
                        record += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def raw(self):
        with self.lock:
            return b"".join(bytes(r) for r in self.sent)

    def stanzas(self):
        """Top-level elements the bridge sent after its last stream (re)start, per connection."""
        out = []
        with self.lock:
            records = [bytes(r) for r in self.sent]
        for data in records:
            start = data.rfind(b"<stream:stream")
            if start < 0:
                continue
            parser = ET.XMLPullParser(events=("start", "end"))
            parser.feed(data[start:])
            depth = 0
            try:
                for event, elem in parser.read_events():
                    if event == "start":
                        depth += 1
                    else:
                        depth -= 1
                        if depth == 1:
                            out.append(elem)
            except ET.ParseError:
                pass  # a stanza cut off at the end of the recording
        return out

    def close(self):
        self.listener.close()


# --- the Jicofo stand-in ----------------------------------------------------------------------

class Focus(slixmpp.ClientXMPP if slixmpp else object):
    """focus@auth.DOMAIN in the brewery: records room presence, sends IQs, keeps the order in
    which IQ answers arrive."""

    def __init__(self, prosody, user="focus", nick="focus"):
        super().__init__(f"{prosody.jid(user)}/focus", prosody.passwords[user])
        self.prosody = prosody
        self.nick = nick
        # Prosody's certificate is self-signed.
        self.ssl_context = ssl.create_default_context()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.presences = []  # (monotonic time, element) of every presence from the brewery
        self.answers = []  # ids of IQ results/errors in arrival order
        self.started = False
        self.gone = False
        self.failure = None
        self.add_event_handler("session_start", self._on_session_start)
        self.add_event_handler("failed_auth", lambda *_: self._fail("authentication failed"))
        self.add_event_handler("connection_failed", lambda *_: self._fail("connection failed"))
        self.register_handler(Callback("room presence", MatchXPath(f"{{{NS_CLIENT}}}presence"), self._on_presence))
        self.register_handler(Callback("iq answers", MatchXPath(f"{{{NS_CLIENT}}}iq"), self._on_iq))

    def _fail(self, why):
        self.failure = why

    def _on_session_start(self, _):
        self.started = True

    def _on_presence(self, stanza):
        if stanza["from"].bare == self.prosody.brewery:
            self.presences.append((time.monotonic(), copy.deepcopy(stanza.xml)))

    def _on_iq(self, stanza):
        if stanza["type"] in ("result", "error"):
            self.answers.append(stanza["id"])

    async def login(self):
        self.connect(("127.0.0.1", self.prosody.c2s_port))
        await until(lambda: self.started or self.failure, "the focus to log in")
        d.expect(self.started, f"focus login: {self.failure}")

    async def join(self):
        p = self.make_presence(pto=f"{self.prosody.brewery}/{self.nick}")
        p.append(ET.Element(q(NS_MUC, "x")))
        p.send()
        await until(lambda: self.room_presence(self.nick), "the focus's own presence in the brewery")

    async def close(self):
        if self.started and not self.gone:
            try:
                await asyncio.wait_for(self.disconnect(), DEADLINE_S)
            except Exception as e:  # teardown only; the verdict is already made
                print("  focus disconnect:", e)

    def drop(self):
        """Forgets the connection without a goodbye (its server is gone)."""
        self.gone = True
        self.abort()

    # Presence as the room shows it.
    def room_presence(self, nick, since=0.0, pred=lambda p: True):
        """The latest presence of `nick` received after `since` that satisfies `pred`."""
        for t, p in reversed(self.presences):
            if t >= since and p.get("from", "").split("/", 1)[-1] == nick and pred(p):
                return p
        return None

    async def bridge_presence(self, nick, since=0.0, timeout=DEADLINE_S):
        """Waits for a presence of `nick` with <stats/> (what makes Jicofo register a bridge)."""
        return await until(lambda: self.room_presence(
            nick, since, lambda p: p.get("type") is None and p.find(q(NS_STATS, "stats")) is not None),
            f"a stats presence from {nick}", timeout)

    def occupant_jid(self, nick):
        return f"{self.prosody.brewery}/{nick}"

    def real_jid(self, nick):
        p = self.room_presence(nick)
        item = p.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'item')}") if p is not None else None
        d.expect(item is not None and item.get("jid"), f"no real JID in the presence of {nick}")
        return item.get("jid")

    # IQs.
    def send_request(self, to, child, type_="get"):
        """Sends an IQ with `child` (an Element) and returns (id, future of the answer stanza)."""
        iq = self.make_iq(id=self.new_id(), ito=to, itype=type_)
        if child is not None:
            iq.append(copy.deepcopy(child))
        return iq["id"], asyncio.ensure_future(iq.send(timeout=IQ_TIMEOUT_S))

    async def answer(self, future):
        """The answer (result or error) as an Element."""
        try:
            return (await future).xml
        except IqError as e:
            return e.iq.xml
        except IqTimeout:
            raise AssertionError("no answer to an IQ within " + str(IQ_TIMEOUT_S) + " s")

    async def request(self, to, child, type_="get"):
        _, fut = self.send_request(to, child, type_)
        return await self.answer(fut)


def stats_of(presence):
    stats = presence.find(q(NS_STATS, "stats"))
    d.expect(stats is not None, "presence without stats")
    values = {}
    for s in stats:
        d.expect(s.tag == q(NS_STATS, "stat"), f"stats child {s.tag}")
        values[s.get("name")] = s.get("value")
    return values


def error_of(answer):
    """(condition, colibri2 reason or None, colibri2 endpoint id or None) of an error IQ."""
    d.expect(answer.get("type") == "error", f"expected an error, got {ET.tostring(answer).decode()}")
    err = answer.find(q(NS_CLIENT, "error"))
    d.expect(err is not None, "error IQ without <error/>")
    conditions = [c.tag.split("}")[1] for c in err if c.tag.startswith("{" + NS_STANZAS)]
    cond = next((c for c in conditions if c != "text"), None)
    reason = err.find(q(NS_COLIBRI2, "error"))
    ep = err.find(q(NS_COLIBRI2, "endpoint"))
    return cond, reason.get("reason") if reason is not None else None, ep.get("id") if ep is not None else None


def expect_result(answer, what):
    d.expect(answer.get("type") == "result", f"{what}: {ET.tostring(answer).decode()}")


# --- Colibri2 building blocks -----------------------------------------------------------------

def conference(meeting, *children, create=False, name="room@conference.meet.test", expire=False):
    c = ET.Element(q(NS_COLIBRI2, "conference-modify"), {"meeting-id": meeting})
    if create:
        c.set("create", "true")
        c.set("name", name)
    if expire:
        c.set("expire", "true")
    c.extend(children)
    return c


def endpoint_create(ep):
    return xml(f"<endpoint xmlns='{NS_COLIBRI2}' id='{ep}' create='true'><transport ice-controlling='true'/>"
               f"<capability name='source-names'/></endpoint>")


def endpoint_sources(ep, ssrc):
    return xml(f"<endpoint xmlns='{NS_COLIBRI2}' id='{ep}'><sources><media-source type='audio' id='{ep}-a0'>"
               f"<source xmlns='{NS_SSMA}' ssrc='{ssrc}' name='{ep}-a0'/></media-source></sources></endpoint>")


def endpoint_force_mute(ep):
    return xml(f"<endpoint xmlns='{NS_COLIBRI2}' id='{ep}'><force-mute audio='true' video='true'/></endpoint>")


def endpoint_expire(ep):
    return xml(f"<endpoint xmlns='{NS_COLIBRI2}' id='{ep}' expire='true'/>")


# --- structural comparison of vector responses ------------------------------------------------

CANDIDATE_ATTRS = ("component", "foundation", "generation", "id", "network", "priority", "protocol", "type", "ip",
                   "port")


def compare(expected, actual, path, feedback):
    """Same names, namespaces and attributes; children in any order. Bridge-generated values
    (ICE credentials, candidates, fingerprint text, feedback SSRCs) are checked for form only;
    texts are informative and ignored. Feedback SSRCs are appended to `feedback`."""
    here = f"{path}/{actual.tag.split('}')[-1]}"
    d.expect(expected.tag == actual.tag, f"{path}: <{actual.tag}> where <{expected.tag}> was expected")
    variable = set()
    if expected.tag == q(NS_ICE, "transport"):
        variable = {"ufrag", "pwd"}
        for a in ("ufrag", "pwd"):
            d.expect(len(actual.get(a, "")) >= 4, f"{here}: {a} {actual.get(a)!r}")
    if expected.tag == q(NS_SSMA, "source") and path.endswith("conference-modified/sources/media-source"):
        variable = {"ssrc"}
        d.expect(re.fullmatch(r"\d+", actual.get("ssrc", "")) and int(actual.get("ssrc")) < 2 ** 32,
                 f"{here}: feedback ssrc {actual.get('ssrc')!r}")
        feedback.append((actual.get("name"), actual.get("ssrc")))
    if expected.tag == q(NS_DTLS, "fingerprint"):
        variable = {"hash"}
        d.expect(re.fullmatch(r"([0-9A-Fa-f]{2}:)+[0-9A-Fa-f]{2}", (actual.text or "").strip()),
                 f"{here}: fingerprint {actual.text!r}")
    if expected.tag == q(NS_CLIENT, "error"):
        variable = {"type"}  # Jicofo does not read the error type
    exp_attrs = {k: v for k, v in expected.attrib.items() if k not in variable}
    act_attrs = {k: v for k, v in actual.attrib.items() if k not in variable}
    d.expect(exp_attrs == act_attrs, f"{here}: attributes {act_attrs} != {exp_attrs}")

    exp_children = [c for c in expected if c.tag != q(NS_STANZAS, "text")]
    act_children = [c for c in actual if c.tag != q(NS_STANZAS, "text")]
    if expected.tag == q(NS_ICE, "transport"):
        cands = [c for c in act_children if c.tag == q(NS_ICE, "candidate")]
        d.expect(cands, f"{here}: no candidates")
        for c in cands:
            for a in CANDIDATE_ATTRS:
                d.expect(c.get(a), f"{here}: candidate without {a}: {c.attrib}")
            d.expect(c.get("ip") == "127.0.0.1" and c.get("protocol") == "udp", f"{here}: candidate {c.attrib}")
        exp_children = [c for c in exp_children if c.tag != q(NS_ICE, "candidate")]
        act_children = [c for c in act_children if c.tag != q(NS_ICE, "candidate")]
        # WebSockets are advertised only when enabled; they are not in these configurations.
        exp_children = [c for c in exp_children if c.tag != q(NS_STATS, "web-socket")]
    unmatched = list(act_children)
    for e in exp_children:
        errors = []
        for a in unmatched:
            if a.tag != e.tag:
                continue
            trial = []
            try:
                compare(e, a, here, trial)
            except AssertionError as err:
                errors.append(err)
                continue
            feedback.extend(trial)
            unmatched.remove(a)
            break
        else:
            # The candidate that matched deepest is the one the difference is about.
            raise max(errors, key=lambda err: len(str(err).split(": ")[0]), default=None) or AssertionError(
                f"{here}: missing <{e.tag}> {e.attrib}")
    d.expect(not unmatched, f"{here}: unexpected children {[ (a.tag, a.attrib) for a in unmatched]}")


def vectors_dir():
    shared = os.environ.get("JVB_SHARED_DIR", "")
    path = os.path.join(shared, "docs", "protocol", "vectors")
    return path if shared and os.path.isdir(path) else None


# --- the test scaffolding ---------------------------------------------------------------------

class Scene:
    """What one case started, torn down in reverse order whatever happens."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.cleanups = []
        self.bridges = []
        self.focuses = []

    def prosody(self, name="prosody", **kw):
        p = ProsodyInstance(os.path.join(self.tmp, name), **kw)
        p.setup()
        p.start()
        self.cleanups.append(p.stop)
        return p

    def bridge(self, conf, name="jvb"):
        b = Bridge(self.tmp, conf, name)
        self.bridges.append(b)
        self.cleanups.append(b.stop)
        return b

    def proxy(self, port):
        r = RecordingProxy(port)
        self.cleanups.append(r.close)
        return r

    async def focus(self, prosody, join=True, **kw):
        f = Focus(prosody, **kw)
        self.focuses.append(f)
        await f.login()
        if join:
            await f.join()
        return f

    async def close_async(self):
        for f in self.focuses:
            await f.close()

    def close(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # keep tearing down; the case already has its verdict
                print("  cleanup:", e)


def run_case(tmp, body):
    scene = Scene(tmp)

    async def main():
        try:
            await body(scene)
        finally:
            await scene.close_async()

    try:
        asyncio.run(main())
        # A clean exit also means the XMPP side shut down without hanging.
        for b in scene.bridges:
            code = b.stop()
            d.expect(code == 0, f"{b.name} exit status {code}")
    finally:
        scene.close()


# --- a. login ---------------------------------------------------------------------------------

async def _login(scene, require_encryption, security, verify):
    prosody = scene.prosody(require_encryption=require_encryption)
    proxy = scene.proxy(prosody.c2s_port)
    bridge = scene.bridge(client_conf(prosody, security=security, verify=verify, port=proxy.port))
    focus = await scene.focus(prosody)
    return prosody, proxy, bridge, focus


def case_login_plain(tmp):
    async def body(scene):
        prosody, proxy, bridge, focus = await _login(scene, False, "disabled", False)
        await focus.bridge_presence("jvb-1")
        d.expect(b"<starttls" not in proxy.raw(), "the bridge negotiated TLS with SECURITY_MODE=disabled")
        d.expect(b"jvbbrewery@" in proxy.raw(), "the brewery join is not visible in the plaintext stream")
    run_case(tmp, body)


def case_login_tls(tmp):
    async def body(scene):
        prosody, proxy, bridge, focus = await _login(scene, True, "required", False)
        await focus.bridge_presence("jvb-1")
        d.expect(b"<starttls" in proxy.raw(), "no STARTTLS in the bridge's stream")
        d.expect(b"jvbbrewery@" not in proxy.raw(), "the brewery join went over the wire in clear text")
    run_case(tmp, body)


def case_login_tls_verify(tmp):
    """Certificate verification on and a self-signed certificate: no login, a clear error, and
    the daemon keeps running (and serving HTTP)."""
    async def body(scene):
        prosody, proxy, bridge, focus = await _login(scene, True, "required", True)
        m = await asyncio.to_thread(bridge.wait_for, r"(?i)(SEVERE|WARNING).*(certificate|tls)")
        print("  error line:", m.group(0))
        # The failure is in the TLS handshake, before authentication: nothing can have got in.
        d.expect(focus.room_presence("jvb-1") is None, "the bridge joined despite an unverifiable certificate")
        d.expect(f"Authenticated as {prosody.jid('jvb')}" not in prosody.log_tail(1000),
                 "Prosody authenticated the bridge")
        # It keeps trying (and failing the same way) rather than giving up or exiting.
        await until(lambda: sum(bool(re.search(r"(?i)(SEVERE|WARNING).*(certificate|tls)", l))
                                for l in list(bridge.lines)) >= 3, "a retry that fails the same way")
        d.expect(focus.room_presence("jvb-1") is None, "the bridge joined on a retry")
        d.expect(bridge.proc.poll() is None, "the bridge exited")
        status, _, _ = d.http("GET", bridge.url() + "about/health")
        d.expect(status in (200, 500), f"HTTP after the TLS failure: {status}")
    run_case(tmp, body)


# --- b. presence ------------------------------------------------------------------------------

def case_presence(tmp):
    async def body(scene):
        prosody = scene.prosody()
        proxy = scene.proxy(prosody.c2s_port)
        extra = RELAY_CONF.format(relay_id="relay-7", region="region-x") + 'videobridge.version.release = "rel-42"\n'
        bridge = scene.bridge(client_conf(prosody, port=proxy.port, extra=extra))
        version = bridge.version()
        focus = await scene.focus(prosody)
        first = await focus.bridge_presence("jvb-1")
        s = stats_of(first)
        print("  stats:", s)
        for key in ("stress_level", "average_participant_stress"):
            d.expect(re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", s.get(key) or ""), f"{key} = {s.get(key)!r}")
        for key, want in (("drain", "false"), ("graceful_shutdown", "false"), ("shutting_down", "false"),
                          ("healthy", "true"), ("version", version), ("release", "rel-42"), ("region", "region-x"),
                          ("relay_id", "relay-7"), ("conferences", "0"), ("participants", "0")):
            d.expect(s.get(key) == want, f"stat {key} = {s.get(key)!r}, expected {want!r}")

        # A conference with one endpoint shows up in a later periodic presence.
        created = time.monotonic()
        answer = await focus.request(focus.occupant_jid("jvb-1"),
                                     conference("m-presence", endpoint_create("ep1"), create=True))
        expect_result(answer, "create")
        await until(lambda: (lambda p: p is not None and stats_of(p).get("conferences") == "1"
                             and stats_of(p).get("participants") == "1")(focus.room_presence("jvb-1", created)),
                    "a presence with conferences=1 participants=1", timeout=5)

        # What the bridge itself sent: only the join carries the MUC <x/>.
        def sent_to_room():
            return [p for p in proxy.stanzas() if p.tag == q(NS_CLIENT, "presence")
                    and p.get("to", "").lower().startswith(prosody.brewery)]
        await until(lambda: len(sent_to_room()) >= 3, "the join and two presence updates on the wire", timeout=5)
        room_presences = sent_to_room()
        print("  raw presences from the bridge:", len(room_presences))
        d.expect(room_presences[0].find(q(NS_MUC, "x")) is not None, "the join presence lacks the MUC <x/>")
        for p in room_presences[1:]:
            d.expect(p.find(q(NS_MUC, "x")) is None,
                     f"a presence update carries the MUC <x/>: {ET.tostring(p).decode()}")
        d.expect(sum(p.find(q(NS_STATS, "stats")) is not None for p in room_presences[1:]) >= 2,
                 "no periodic stats updates")

        # Leaving (P6): the bridge says goodbye with an unavailable presence.
        stopped = time.monotonic()
        code = await asyncio.to_thread(bridge.stop)
        d.expect(code == 0, f"exit status {code}")
        await until(lambda: focus.room_presence("jvb-1", stopped, lambda p: p.get("type") == "unavailable"),
                    "the bridge's unavailable presence")
    run_case(tmp, body)


# --- c. the XML vectors -----------------------------------------------------------------------

def case_vectors(tmp):
    vectors = vectors_dir()
    if not vectors:
        print("skipped: JVB_SHARED_DIR has no vectors")
        return
    index = json.load(open(os.path.join(vectors, "index.json")))
    cases = [c for c in index["cases"] if c["kind"] == "iq"]
    # The index lists the conference's end (C08) before the error cases that need the
    # conference; replay it last, then check the conference is gone.
    ends = [c for c in cases if c["id"] == "C08"]
    cases = [c for c in cases if c["id"] != "C08"] + ends

    async def body(scene):
        prosody = scene.prosody()
        # Bridge A and bridge B of the vectors. B is unhealthy (loopback is never a valid
        # address), which is H2's precondition.
        scene.bridge(client_conf(prosody, nick="jvb-a", extra=RELAY_CONF.format(
            relay_id=index["addresses"]["bridgeA_relay_id"], region="us-east-1")), "jvb-a")
        scene.bridge(client_conf(prosody, nick="jvb-b", extra=RELAY_CONF.format(
            relay_id=index["addresses"]["bridgeB_relay_id"], region="eu-central-1")
            + "videobridge.health.require-valid-address = true\n"), "jvb-b")
        # A third bridge for E03, put into graceful shutdown over its private HTTP API.
        c = scene.bridge(client_conf(prosody, nick="jvb-c", extra="videobridge.apis.rest.enabled = true\n"
                                     "videobridge.rest.shutdown.enabled = true\n"), "jvb-c")
        focus = await scene.focus(prosody)
        for nick in ("jvb-a", "jvb-b", "jvb-c"):
            await focus.bridge_presence(nick)
        nicks = {"bridgeA": "jvb-a", "bridgeB": "jvb-b"}
        feedback = {}
        skipped = []
        refused = []
        for case in cases:
            target = nicks[case["target"]]
            if case["id"] == "H2":
                target = "jvb-b"
            elif case["id"] == "E03":
                target = "jvb-c"
                status, body_text = await asyncio.to_thread(d.call, "POST", c.url() + "colibri/shutdown",
                                                            {"graceful-shutdown": True})
                d.expect(status == 200, f"graceful shutdown of jvb-c: {status} {body_text}")
            elif case.get("precondition"):
                skipped.append(f"{case['id']} ({case['precondition']})")
                continue
            request = ET.parse(os.path.join(vectors, case["request"])).getroot()
            to = focus.real_jid(target) if case["id"] == "X1" else focus.occupant_jid(target)
            child = request[0]
            answer = await focus.request(to, child, request.get("type"))
            text = ET.tostring(answer).decode()
            print(f"  {case['id']} -> {target}: {text[:300]}")
            if answer.get("type") == "result":
                d.expect(answer.get("from") == to, f"{case['id']}: answer from {answer.get('from')}, expected {to}")
            if child.find(q(NS_COLIBRI2, "relay")) is not None:
                # Relays (Octo) are not built yet; the bridge refuses them as JVB does with relays
                # disabled (feature-not-implemented), rather than answering without a transport.
                d.expect(error_of(answer)[:2] == ("feature-not-implemented", None), f"{case['id']}: {text}")
                refused.append(case["id"])
                continue
            if case["response"] is None:
                # Optional feature: either supported or refused as not implemented.
                if answer.get("type") == "error":
                    d.expect(error_of(answer)[0] == "feature-not-implemented", f"{case['id']}: {text}")
                else:
                    d.expect(answer.find(q(NS_COLIBRI2, "conference-modified")) is not None, f"{case['id']}: {text}")
                continue
            expected = ET.parse(os.path.join(vectors, case["response"])).getroot()
            d.expect(answer.get("type") == expected.get("type"),
                     f"{case['id']}: type {answer.get('type')}, expected {expected.get('type')}: {text}")
            if expected.get("type") == "error":
                # Only the <error/> matters; a bridge may echo the request next to it.
                exp_children = [expected.find(q(NS_CLIENT, "error"))]
                act_children = [answer.find(q(NS_CLIENT, "error"))]
                d.expect(act_children[0] is not None, f"{case['id']}: no <error/>")
            else:
                exp_children, act_children = list(expected), list(answer)
            d.expect(len(exp_children) == len(act_children), f"{case['id']}: payload {text}")
            got = []
            for e, x in zip(exp_children, act_children):
                try:
                    compare(e, x, case["id"], got)
                except AssertionError as err:
                    raise AssertionError(f"{err}\n  answer: {text}")
            if got:
                meeting = child.get("meeting-id")
                key = (target, meeting)
                ssrcs = dict(got)
                d.expect(set(ssrcs) == {"jvb-a0", "jvb-v0"}, f"{case['id']}: feedback sources {got}")
                d.expect(feedback.setdefault(key, ssrcs) == ssrcs,
                         f"{case['id']}: feedback SSRCs changed in the conference: {feedback[key]} -> {ssrcs}")
            if case["id"] == "C08":
                after = await focus.request(focus.occupant_jid(target), conference(child.get("meeting-id"),
                                                                                   endpoint_force_mute("0ebd8a2c")))
                d.expect(error_of(after)[:2] == ("item-not-found", "conference_not_found"),
                         f"after C08: {ET.tostring(after).decode()}")
        print("  not replayed (precondition not reachable here):", ", ".join(skipped) or "none")
        print("  relay requests refused as not implemented:", ", ".join(refused) or "none")
    run_case(tmp, body)


# --- d. pipelined requests --------------------------------------------------------------------

def case_pipelined(tmp):
    async def body(scene):
        prosody = scene.prosody()
        scene.bridge(client_conf(prosody))
        focus = await scene.focus(prosody)
        await focus.bridge_presence("jvb-1")
        to = focus.occupant_jid("jvb-1")
        meeting = "m-burst"
        # Each request succeeds only if the one before it was applied: the endpoint a request
        # updates was created by the previous one, and each create needs the conference.
        requests = [conference(meeting, endpoint_create("e0"), create=True)]
        for k in range(1, 11):
            requests += [conference(meeting, endpoint_create(f"e{k}")),
                         conference(meeting, endpoint_sources(f"e{k}", 1000 + k)),
                         conference(meeting, endpoint_expire(f"e{k - 1}"))]
        sent = [focus.send_request(to, r) for r in requests]  # no waiting in between
        ids = [i for i, _ in sent]
        answers = [await focus.answer(f) for _, f in sent]
        for n, answer in enumerate(answers):
            expect_result(answer, f"request {n} of the burst")
        arrived = [i for i in focus.answers if i in set(ids)]
        d.expect(arrived == ids, f"answers arrived out of order: {[ids.index(i) for i in arrived]}")
        # And the state is what the sequence leaves: e10 alone.
        last = await focus.request(to, conference(meeting, endpoint_sources("e10", 2000)))
        expect_result(last, "update of the last endpoint")
        gone = await focus.request(to, conference(meeting, endpoint_sources("e9", 2001)))
        d.expect(error_of(gone)[1] == "unknown_endpoint", f"e9 after its expire: {ET.tostring(gone).decode()}")
    run_case(tmp, body)


# --- e. errors and the other IQs --------------------------------------------------------------

def case_errors(tmp):
    async def body(scene):
        prosody = scene.prosody()
        bridge = scene.bridge(client_conf(prosody))
        version = bridge.version()
        focus = await scene.focus(prosody)
        await focus.bridge_presence("jvb-1")
        to = focus.occupant_jid("jvb-1")
        meeting = "m-errors"
        expect_result(await focus.request(to, conference(meeting, endpoint_create("ep1"), create=True)), "create")

        async def expect_error(child, cond, reason=None, ep=None, what="", target=to, type_="get"):
            answer = await focus.request(target, child, type_)
            text = ET.tostring(answer).decode()
            print(f"  {what}: {text[:300]}")
            got = error_of(answer)
            d.expect(got == (cond, reason, ep), f"{what}: got {got}, expected {(cond, reason, ep)}: {text}")

        await expect_error(conference("m-none", endpoint_force_mute("ep1")), "item-not-found", "conference_not_found",
                           what="conference not found")
        await expect_error(conference(meeting, endpoint_create("ep2"), create=True), "conflict",
                           "conference_already_exists", what="conference already exists")
        await expect_error(conference(meeting, endpoint_sources("ghost", 1234)), "item-not-found", "unknown_endpoint",
                           "ghost", what="unknown endpoint")
        relay = xml(f"<relay xmlns='{NS_COLIBRI2}' id='relay-x' expire='true'/>")
        await expect_error(conference(meeting, endpoint_force_mute("ep1"), relay), "feature-not-implemented",
                           "feature_not_implemented", what="endpoint and relay in one request")
        no_meeting = xml(f"<conference-modify xmlns='{NS_COLIBRI2}'><endpoint id='ep1' expire='true'/>"
                         "</conference-modify>")
        await expect_error(no_meeting, "bad-request", what="missing meeting-id", type_="set")
        await expect_error(conference("m-badname", endpoint_create("ep1"), create=True, name="not a jid"),
                           "bad-request", what="invalid conference name")
        # Around the room, straight to the bridge's own JID (the room is non-anonymous).
        real = focus.real_jid("jvb-1")
        d.expect(real.startswith(prosody.jid("jvb") + "/"), f"bridge real JID {real}")
        await expect_error(conference(meeting, expire=True), "forbidden", what="IQ not from the brewery",
                           target=real, type_="set")

        health = await focus.request(to, ET.Element(q(NS_HEALTH, "healthcheck")))
        expect_result(health, "healthcheck")
        d.expect(len(health) == 0, f"healthcheck result not empty: {ET.tostring(health).decode()}")
        ver = await focus.request(to, ET.Element(q(NS_VERSION, "query")))
        expect_result(ver, "version")
        query = ver.find(q(NS_VERSION, "query"))
        d.expect(query is not None and query.findtext(q(NS_VERSION, "name")) == "JVB"
                 and query.findtext(q(NS_VERSION, "version")) == version, f"version: {ET.tostring(ver).decode()}")
        disco = await focus.request(to, ET.Element(q(NS_DISCO_INFO, "query")))
        expect_result(disco, "disco#info")
        features = {f.get("var") for f in disco.iter(q(NS_DISCO_INFO, "feature"))}
        for want in (NS_HEALTH, NS_DTLS, NS_ICE, NS_VERSION):
            d.expect(want in features, f"disco#info lacks {want}: {sorted(features)}")
        ping = await focus.request(to, ET.Element(q("urn:xmpp:ping", "ping")))
        expect_result(ping, "XEP-0199 ping")
        await expect_error(ET.Element(q("urn:example:no-such-thing", "frobnicate")), "service-unavailable",
                           what="unknown IQ child")
        # The conference survived all of this.
        expect_result(await focus.request(to, conference(meeting, endpoint_sources("ep1", 4321))), "ep1 after errors")
    run_case(tmp, body)


# --- f. XEP-0114 component --------------------------------------------------------------------

def component_conf(prosody, allowed=()):
    jids = ", ".join(f'"{j}"' for j in allowed)
    return d.BASE_CONF + f"""
ice4j.harvest.allowed-addresses = [ "127.0.0.1" ]
videobridge.apis.xmpp-component {{
  enabled = true
  hostname = "127.0.0.1"
  port = {prosody.component_port}
  domain = "{prosody.component}"
  secret = "{prosody.component_secret}"
  allowed-jids = [ {jids} ]
}}
"""


async def component_answer(focus, to, child):
    """Polls until the component is connected: until then Prosody itself answers, with an
    error marked <not-connected xmlns='xmpp:prosody.im/protocol/component'/>."""
    end = time.monotonic() + DEADLINE_S
    while True:
        answer = await focus.request(to, child, "set")
        if answer.find(".//{xmpp:prosody.im/protocol/component}not-connected") is None:
            return answer
        if time.monotonic() > end:
            raise AssertionError(f"component never answered: {ET.tostring(answer).decode()}")
        await asyncio.sleep(0.1)


def case_component(tmp):
    async def body(scene):
        prosody = scene.prosody(component="jvb.meet.test")
        bridge = scene.bridge(component_conf(prosody))
        focus = await scene.focus(prosody, join=False)
        health = await component_answer(focus, prosody.component, ET.Element(q(NS_HEALTH, "healthcheck")))
        expect_result(health, "healthcheck to the component")
        created = await focus.request(prosody.component, conference("m-comp", endpoint_create("ep1"), create=True))
        expect_result(created, "create through the component")
        d.expect(created.find(f"{q(NS_COLIBRI2, 'conference-modified')}/{q(NS_COLIBRI2, 'endpoint')}") is not None,
                 f"create answer: {ET.tostring(created).decode()}")
        code = await asyncio.to_thread(bridge.stop)
        d.expect(code == 0, f"exit status {code}")
        scene.bridges.remove(bridge)

        # Only another JID is allowed: the focus is refused.
        scene.bridge(component_conf(prosody, allowed=["jicofo@auth.meet.test"]), "jvb-restricted")
        refused = await component_answer(focus, prosody.component,
                                         conference("m-comp2", endpoint_create("ep1"), create=True))
        d.expect(error_of(refused)[0] == "forbidden", f"not allowed: {ET.tostring(refused).decode()}")
    run_case(tmp, body)


# --- g. reconnection --------------------------------------------------------------------------

def case_reconnect(tmp):
    async def body(scene):
        prosody = scene.prosody()
        scene.bridge(client_conf(prosody, extra="videobridge.entity-expiration.timeout = 10 minutes\n"))
        focus = await scene.focus(prosody)
        await focus.bridge_presence("jvb-1")
        meeting = "m-reconnect"
        expect_result(await focus.request(focus.occupant_jid("jvb-1"),
                                          conference(meeting, endpoint_create("ep1"), create=True)), "create")

        prosody.kill()  # a crash: no stream close, no unavailable presence
        focus.drop()
        prosody.start()
        back = time.monotonic()
        focus2 = await scene.focus(prosody)
        # The room is new (Prosody keeps MUC state in memory): whatever presence focus2 sees
        # from the bridge came from its re-join.
        await focus2.bridge_presence("jvb-1", timeout=max(0.1, back + 5 - time.monotonic()))
        print(f"  bridge back in the brewery {time.monotonic() - back:.2f} s after Prosody listened again")
        to = focus2.occupant_jid("jvb-1")
        still = await focus2.request(to, conference(meeting, endpoint_force_mute("ep1")))
        expect_result(still, "force-mute after the reconnect")
        update = await focus2.request(to, conference(meeting, endpoint_sources("ep1", 5555)))
        expect_result(update, "update of the endpoint after the reconnect")
    run_case(tmp, body)


# --- h. several XMPP servers at once -----------------------------------------------------------

def case_two_servers(tmp):
    """Two accounts on two servers (JVB's multi-shard set-up): the bridge is in both breweries,
    and a conference created through one shard is answered there while the other keeps working."""
    async def body(scene):
        east = scene.prosody("east")
        west = scene.prosody("west")
        second = client_conf(west, nick="jvb-w").split("videobridge.apis.xmpp-client.configs.shard", 1)[1]
        scene.bridge(client_conf(east, nick="jvb-e") + "videobridge.apis.xmpp-client.configs.west" + second)
        focus_east = await scene.focus(east)
        focus_west = await scene.focus(west)
        east_presence = await focus_east.bridge_presence("jvb-e")
        west_presence = await focus_west.bridge_presence("jvb-w")
        for presence in (east_presence, west_presence):
            d.expect(stats_of(presence).get("drain") == "false", f"stats {stats_of(presence)}")
        expect_result(await focus_east.request(focus_east.occupant_jid("jvb-e"),
                                               conference("m-east", endpoint_create("ep1"), create=True)), "east")
        expect_result(await focus_west.request(focus_west.occupant_jid("jvb-w"),
                                               conference("m-west", endpoint_create("ep2"), create=True)), "west")
        # Both shards see the bridge's whole load: two conferences, on either server.
        since = time.monotonic()
        for focus, nick in ((focus_east, "jvb-e"), (focus_west, "jvb-w")):
            await until(lambda: (lambda p: p is not None and stats_of(p).get("conferences") == "2"
                                 and stats_of(p).get("mucs_joined") == "2")(focus.room_presence(nick, since)),
                        f"{nick}: a presence with conferences=2 and mucs_joined=2", timeout=5)
    run_case(tmp, body)


# --- i. accounts, drain and shutdown at run time (the drain, shutdown and muc-client routes) --

def case_runtime_client(tmp):
    """A bridge without XMPP accounts gets one over POST /colibri/muc-client/add: it joins the
    brewery and counts in the stats. Drain and a graceful shutdown show in its presence, creates
    are then refused with the graceful_shutdown error, and /remove makes it leave the room."""
    async def body(scene):
        prosody = scene.prosody()
        bridge = scene.bridge(d.BASE_CONF + """
ice4j.harvest.allowed-addresses = [ "127.0.0.1" ]
# Long: what the test sees within seconds was published because something changed.
videobridge.apis.xmpp-client.presence-interval = 1 hour
videobridge.apis.rest.enabled = true
videobridge.rest.shutdown.enabled = true
""")
        base = bridge.url()
        focus = await scene.focus(prosody)
        account = {"id": "shard", "hostname": "127.0.0.1", "port": str(prosody.c2s_port),
                   "domain": prosody.auth_domain, "username": "jvb", "password": prosody.passwords["jvb"],
                   "muc_jids": prosody.brewery, "muc_nickname": "jvb-rt", "security_mode": "disabled"}
        status, text = await asyncio.to_thread(d.call, "POST", base + "colibri/muc-client/add", account)
        d.expect(status == 200, f"add: {status} {text}")
        s = stats_of(await focus.bridge_presence("jvb-rt"))
        print("  first stats:", s)
        for key, want in (("drain", "false"), ("graceful_shutdown", "false"), ("shutting_down", "false")):
            d.expect(s.get(key) == want, f"stat {key} = {s.get(key)!r}")

        def stat_since(since, key, want):
            return focus.room_presence("jvb-rt", since, lambda p: p.find(q(NS_STATS, "stats")) is not None
                                       and stats_of(p).get(key) == want)
        await until(lambda: stat_since(0, "mucs_joined", "1") and stat_since(0, "muc_clients_connected", "1"),
                    "mucs_joined=1 and muc_clients_connected=1", timeout=5)

        t = time.monotonic()
        status, _ = await asyncio.to_thread(d.call, "POST", base + "colibri/drain/enable", None)
        d.expect(status == 200, f"drain/enable: {status}")
        await until(lambda: stat_since(t, "drain", "true"), "drain=true in the presence", timeout=5)

        # An endpoint keeps the bridge in GRACEFUL_SHUTDOWN.
        to = focus.occupant_jid("jvb-rt")
        expect_result(await focus.request(to, conference("m-rt", endpoint_create("ep1"), create=True)), "create")
        t = time.monotonic()
        status, _ = await asyncio.to_thread(d.call, "POST", base + "colibri/shutdown", {"graceful-shutdown": True})
        d.expect(status == 200, f"shutdown: {status}")
        p = await until(lambda: stat_since(t, "graceful_shutdown", "true"), "graceful_shutdown=true", timeout=5)
        d.expect(stats_of(p).get("shutting_down") == "false", f"shutting_down in {stats_of(p)}")
        got = error_of(await focus.request(to, conference("m-rt2", endpoint_create("ep2"), create=True)))
        d.expect(got[:2] == ("service-unavailable", "graceful_shutdown"), f"create in graceful shutdown: {got}")
        expect_result(await focus.request(to, conference("m-rt", endpoint_create("ep3"))),
                      "a new endpoint in the existing conference")

        t = time.monotonic()
        status, _ = await asyncio.to_thread(d.call, "POST", base + "colibri/muc-client/remove", {"id": "shard"})
        d.expect(status == 200, f"remove: {status}")
        await until(lambda: focus.room_presence("jvb-rt", t, lambda p: p.get("type") == "unavailable"),
                    "the removed client's unavailable presence")
        status, _, listed = d.http("GET", base + "colibri/muc-client/list")
        d.expect(status == 200 and json.loads(listed) == [], f"list after remove: {listed!r}")
    run_case(tmp, body)


if __name__ == "__main__":
    sys.exit(d.run_named_case(globals(), sys.argv, [
        what for what, ok in (("python3-slixmpp", slixmpp is not None), ("prosody", shutil.which("prosody")),
                              ("openssl", shutil.which("openssl"))) if not ok]))
