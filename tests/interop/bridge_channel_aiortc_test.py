#!/usr/bin/python3
"""The bridge channel and the first video of a two-party call, against an independent WebRTC
stack: Debian's python3-aiortc plays both participants, the test plays Jicofo over the daemon's
Colibri2 REST API (the bridge channel as lib-jitsi-meet's BridgeChannel and JVB's
BridgeChannelMessage.kt use it; the endpoint create as Jicofo's Colibri2Session sends it).

Per call (three calls, each in a fresh conference on the same daemon, loopback only):
- the endpoint creates carry `sctp: {}` and the bridge answers port 5000, role server;
- each peer gets an offer made from the bridge's transport (audio, video, and the
  webrtc-datachannel line), answers with DTLS setup active, and its answer goes back to the
  bridge as a Colibri2 endpoint update with its sources, as Jicofo sends after session-accept;
- each peer opens 'JVB data channel' in-band (DCEP, RFC 8832) over SCTP over DTLS (RFC 8261),
  sees it open (aiortc marks it open on the DCEP ACK), sends ClientHello and gets ServerHello;
- A sends video; B gets none of it (no RTP, no frame) for QUIET_S while it has sent no
  ReceiverVideoConstraints (initial max height 0); then B asks for 720p and decodes A's frames
  within VIDEO_S. No participant ever sends a PLI (the test suppresses aiortc's own, which it
  only sends on jitter-buffer overflow), so the keyframe B needs can only come from the bridge
  asking A: checked at A (a PLI for A's video SSRC arrives) and in the daemon's /debug counters;
- A's broadcast EndpointMessage reaches B with `from` set to A's endpoint id.

Usage: bridge_channel_aiortc_test.py VIDEOBRIDGE_BINARY CASE   (CASE: calls)"""

import asyncio
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import colibri2_rest_test as rest  # noqa: E402  (REST_CONF: REST enabled, candidates on 127.0.0.1)
import daemon_test as d  # noqa: E402  (the Daemon runner and HTTP helpers)

try:
    import aioice.ice
    import av
    import numpy
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
    from aiortc.mediastreams import AudioStreamTrack
    from aiortc.rtcdtlstransport import RtpRouter
    from aiortc.rtcrtpreceiver import RTCRtpReceiver
    from aiortc.rtcsctptransport import InitChunk, RTCSctpTransport
    from aiortc.rtp import RtcpPsfbPacket

    MISSING = ()
except ImportError:
    MISSING = ("python3-aiortc",)
    VideoStreamTrack = object  # so that this module still loads and reports what is missing

CALLS = 3
CONNECT_S = 15      # ICE, DTLS, SCTP association and the DCEP OPEN/ACK, per call
HELLO_S = 5
QUIET_S = 2.0       # how long B must get none of A's video without constraints
VIDEO_S = 10        # from B's ReceiverVideoConstraints to its first decoded frame of A
MIN_FRAMES = 5      # B decodes at least this many frames of A
MESSAGE_S = 5

OPUS_PT, VP8_PT, RTX_PT = 111, 100, 96     # as tools/focus/sdp.cpp (and Jicofo's defaults)
AUDIO_LEVEL_EXT, TCC_EXT = 1, 5
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
TCC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
SCTP_PORT, MAX_MESSAGE_SIZE = 5000, 262144
DATA_LABEL, DATA_PROTOCOL = "JVB data channel", "http://jitsi.org/protocols/colibri"
WIDTH, HEIGHT = 320, 240
PSFB_PLI, PSFB_FIR = 1, 4


# --- aiortc adjustments: each says why -------------------------------------------------------

def patch_aiortc():
    # aioice never offers 127.0.0.1; this test stays on loopback, so loopback is all it offers.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

    # aiortc picks the SCTP role from the ICE role: the ICE-controlled side (the answerer) waits
    # for an INIT. Browsers send the INIT whatever their ICE role, and the bridge stays passive
    # (like JVB, it never sends INIT to an endpoint), so our peers must be SCTP clients.
    RTCSctpTransport.is_server = property(lambda self: False)

    # aiortc numbers the first channel 1 as SCTP client. Browsers, the DTLS client here, use even
    # ids (RFC 8832 §6), normally 0. Calls alternate between the two: the bridge must take the
    # stream id the OPEN arrives on, whatever it is.
    original_start = RTCSctpTransport.start

    async def start(self, remote_caps, remote_port):
        await original_start(self, remote_caps, remote_port)
        first = getattr(self, "_test_first_stream_id", None)
        if first is not None:
            self._data_channel_id = first

    RTCSctpTransport.start = start

    # The bridge must stay passive: any INIT our peers receive is recorded and fails the call.
    original_receive_chunk = RTCSctpTransport._receive_chunk

    async def receive_chunk(self, chunk):
        if isinstance(chunk, InitChunk):
            self._test_inits_received = getattr(self, "_test_inits_received", 0) + 1
        await original_receive_chunk(self, chunk)

    RTCSctpTransport._receive_chunk = receive_chunk

    # A receiver that asks for a keyframe itself would hide whether the bridge does. aiortc sends
    # PLIs only on jitter-buffer overflow; none leave our peers, and each attempt is counted.
    async def no_pli(self, media_ssrc):
        owner = getattr(self, "_test_owner", None)
        if owner:
            owner.pli_suppressed.append(media_ssrc)

    RTCRtpReceiver._send_rtcp_pli = no_pli

    # Every payload-specific feedback packet a peer receives (PLI, FIR, REMB), recorded before
    # aiortc routes it (it routes by media SSRC, and reacts to PLI only, not to FIR).
    original_route = RtpRouter.route_rtcp

    def route_rtcp(self, packet):
        owner = getattr(self, "_test_owner", None)
        if owner and isinstance(packet, RtcpPsfbPacket):
            owner.feedback.append((time.monotonic(), packet.fmt, packet.media_ssrc))
        return original_route(self, packet)

    RtpRouter.route_rtcp = route_rtcp


class Wakeup:
    """Condition waits for the asyncio side: every event (a message, a frame produced or
    decoded, a channel opening) calls notify(), and until() re-checks its condition then."""

    def __init__(self):
        self._event = asyncio.Event()

    def notify(self):
        self._event.set()
        self._event = asyncio.Event()

    async def until(self, condition, timeout, what):
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            event = self._event
            result = condition()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            remaining = end - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {what} within {timeout} s")
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                pass


class PatternTrack(VideoStreamTrack):
    """A bar moving across a gradient, so every frame differs and the encoder keeps sending."""

    def __init__(self, wakeup):
        super().__init__()
        self.wakeup = wakeup
        self.count = 0
        self.base = numpy.zeros((HEIGHT, WIDTH, 3), numpy.uint8)
        self.base[:, :, 1] = numpy.linspace(0, 255, WIDTH, dtype=numpy.uint8)

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        image = self.base.copy()
        x = (self.count * 8) % WIDTH
        image[:, x:x + 16, 2] = 255
        self.count += 1
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        self.wakeup.notify()
        return frame


# --- Colibri2 (the test as Jicofo) -----------------------------------------------------------

def endpoint_medias():
    fbs = [{"type": "ccm", "subtype": "fir"}, {"type": "nack"}, {"type": "nack", "subtype": "pli"},
           {"type": "transport-cc"}]
    return [
        {"type": "audio",
         "payload-types": [{"id": str(OPUS_PT), "name": "opus", "clockrate": "48000", "channels": "2",
                            "parameters": {"minptime": "10", "useinbandfec": "1"},
                            "rtcp-fbs": [{"type": "transport-cc"}]}],
         "rtp-hdrexts": [{"id": AUDIO_LEVEL_EXT, "uri": AUDIO_LEVEL_URI}, {"id": TCC_EXT, "uri": TCC_URI}]},
        {"type": "video",
         "payload-types": [{"id": str(VP8_PT), "name": "VP8", "clockrate": "90000", "rtcp-fbs": fbs},
                           {"id": str(RTX_PT), "name": "rtx", "clockrate": "90000",
                            "parameters": {"apt": str(VP8_PT)}}],
         "rtp-hdrexts": [{"id": TCC_EXT, "uri": TCC_URI}]},
    ]


def endpoint_create(endpoint):
    return {"id": endpoint, "create": True, "stats-id": f"aiortc-{endpoint}", "medias": endpoint_medias(),
            "transport": {"ice-controlling": True, "sctp": {}}, "capabilities": ["source-names"]}


def bridge_transport(reply, endpoint):
    for e in reply.get("endpoints", []):
        if e.get("id") == endpoint:
            t = e.get("transport", {})
            sctp = t.get("sctp")
            d.expect(sctp is not None, f"the bridge allocated no SCTP for {endpoint}: {t}")
            d.expect(sctp.get("port") == SCTP_PORT and str(sctp.get("role", "")).lower() == "server",
                     f"sctp answer {sctp}, expected port {SCTP_PORT}, role server")
            ice = dict(t["transport"], sctp=sctp)
            d.expect(ice.get("candidates") and ice.get("fingerprints"), f"no usable transport: {t}")
            return ice
    raise AssertionError(f"reply has no transport for {endpoint}: {reply}")


def candidate_line(c):
    return (f"candidate:{c['foundation']} {c['component']} {c['protocol']} {c['priority']} {c['ip']} "
            f"{c['port']} typ {c['type']} generation {c.get('generation', 0)}")


def transport_lines(ice):
    lines = [f"a=ice-ufrag:{ice['ufrag']}", f"a=ice-pwd:{ice['pwd']}"]
    lines += [f"a=fingerprint:{f['hash']} {f['fingerprint']}" for f in ice["fingerprints"]]
    return lines + ["a=setup:actpass"]


def offer_sdp(ice, remote_streams):
    """The offer Jicofo would give a browser: local audio and video on mids 0 and 1, the data
    line, then one sendonly line per remote stream ({endpoint, kind, ssrc, rtx})."""
    mids = ["0", "1", "data"] + [str(3 + i) for i in range(len(remote_streams))]
    sdp = ["v=0", f"o=- {random.getrandbits(62)} 2 IN IP4 0.0.0.0", "s=-", "t=0 0",
           "a=group:BUNDLE " + " ".join(mids), "a=msid-semantic: WMS *"]
    candidates = [f"a={candidate_line(c)}" for c in ice["candidates"]] + ["a=end-of-candidates"]

    def rtp_line(mid, kind, direction, stream=None):
        if kind == "audio":
            out = [f"m=audio 9 UDP/TLS/RTP/SAVPF {OPUS_PT}"]
        else:
            out = [f"m=video 9 UDP/TLS/RTP/SAVPF {VP8_PT} {RTX_PT}"]
        out += ["c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0"] + transport_lines(ice) + [f"a=mid:{mid}"]
        if kind == "audio":
            out.append(f"a=extmap:{AUDIO_LEVEL_EXT} {AUDIO_LEVEL_URI}")
        out += [f"a=extmap:{TCC_EXT} {TCC_URI}", f"a={direction}"]
        track = stream and f"{stream['endpoint']}-{'a' if kind == 'audio' else 'v'}0"
        if stream:
            out.append(f"a=msid:{stream['endpoint']} {track}")
        out.append("a=rtcp-mux")
        if kind == "audio":
            out += [f"a=rtpmap:{OPUS_PT} opus/48000/2", f"a=rtcp-fb:{OPUS_PT} transport-cc",
                    f"a=fmtp:{OPUS_PT} minptime=10;useinbandfec=1"]
        else:
            out.append(f"a=rtpmap:{VP8_PT} VP8/90000")
            out += [f"a=rtcp-fb:{VP8_PT} {fb}" for fb in ("ccm fir", "nack", "nack pli", "transport-cc")]
            out += [f"a=rtpmap:{RTX_PT} rtx/90000", f"a=fmtp:{RTX_PT} apt={VP8_PT}"]
        if stream:
            ssrcs = [stream["ssrc"]]
            if stream.get("rtx"):
                out.append(f"a=ssrc-group:FID {stream['ssrc']} {stream['rtx']}")
                ssrcs.append(stream["rtx"])
            for s in ssrcs:
                out += [f"a=ssrc:{s} cname:{stream['endpoint']}", f"a=ssrc:{s} msid:{stream['endpoint']} {track}"]
        return out + candidates

    sdp += rtp_line("0", "audio", "sendrecv") + rtp_line("1", "video", "sendrecv")
    sdp += ["m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0"] + transport_lines(ice)
    sdp += ["a=mid:data", f"a=sctp-port:{SCTP_PORT}", f"a=max-message-size:{MAX_MESSAGE_SIZE}"] + candidates
    for mid, stream in zip(mids[3:], remote_streams):
        sdp += rtp_line(mid, stream["kind"], "sendonly", stream)
    return "\r\n".join(sdp) + "\r\n"


def parse_answer(sdp, endpoint):
    """The transport and the local sources of an aiortc answer, as Colibri2 JSON."""
    def first(pattern):
        m = re.search(pattern, sdp, re.M)
        d.expect(m, f"answer has no {pattern}:\n{sdp}")
        return m.group(1).strip()

    hash_name, fingerprint = first(r"^a=fingerprint:(.+)$").split(" ", 1)
    setup = first(r"^a=setup:(\w+)")
    d.expect(setup == "active", f"aiortc answered a=setup:{setup}, expected active")
    candidates = []
    for line in sorted(set(re.findall(r"^a=candidate:(.+?)\r?$", sdp, re.M))):
        f = line.split()
        candidates.append({"foundation": f[0], "component": f[1], "protocol": f[2].lower(), "priority": f[3],
                           "ip": f[4], "port": f[5], "type": f[7], "generation": "0", "network": "0",
                           "id": f"{random.getrandbits(64):016x}"})
    d.expect(candidates, f"answer has no candidates:\n{sdp}")

    sections = re.split(r"\r?\n(?=m=)", sdp)
    sources, ssrcs = [], {}
    for section in sections[1:]:
        mid = re.search(r"^a=mid:(\S+)", section, re.M).group(1)
        if mid not in ("0", "1"):
            continue
        kind = "audio" if mid == "0" else "video"
        found = list(dict.fromkeys(int(s) for s in re.findall(r"^a=ssrc:(\d+) ", section, re.M)))
        d.expect(found, f"aiortc sends no {kind} (mid {mid}):\n{section}")
        name = f"{endpoint}-{'a' if kind == 'audio' else 'v'}0"
        source = {"type": kind, "id": name, "sources": []}
        for s in found:
            entry = {"ssrc": s, "name": name}
            if kind == "video":
                entry["videoType"] = "camera"
            source["sources"].append(entry)
        fid = re.search(r"^a=ssrc-group:FID (\d+) (\d+)", section, re.M)
        if fid:
            source["ssrc-groups"] = [{"semantics": "FID", "sources": [int(fid.group(1)), int(fid.group(2))]}]
        sources.append(source)
        ssrcs[kind] = (int(fid.group(1)), int(fid.group(2))) if fid else (found[0], None)
    transport = {"xmlns": "urn:xmpp:jingle:transports:ice-udp:1", "ufrag": first(r"^a=ice-ufrag:(\S+)"),
                 "pwd": first(r"^a=ice-pwd:(\S+)"), "rtcp-mux": True, "candidates": candidates,
                 "fingerprints": [{"fingerprint": fingerprint, "hash": hash_name, "setup": setup}]}
    d.expect(re.search(r"^m=application [1-9]\d* UDP/DTLS/SCTP webrtc-datachannel", sdp, re.M),
             f"aiortc rejected or changed the data line:\n{sdp}")
    return transport, sources, ssrcs


# --- the peers -------------------------------------------------------------------------------

class Peer:
    def __init__(self, name, endpoint, wakeup, first_stream_id):
        self.name, self.endpoint, self.wakeup = name, endpoint, wakeup
        self.first_stream_id = first_stream_id
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.channel = None
        self.opened_at = None
        self.messages = []          # (monotonic time, decoded JSON)
        self.feedback = []          # (monotonic time, PSFB fmt, media SSRC) received
        self.pli_suppressed = []    # media SSRCs aiortc wanted to send a PLI for
        self.frames = []            # (monotonic time, width, height) decoded from the remote video
        self.remote_video = None    # (receiver, track) of the remote video line, if any
        self.ssrcs = {}
        self.tasks = []

    async def answer(self, offer):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        self.pc.addTrack(AudioStreamTrack())
        self.pc.addTrack(PatternTrack(self.wakeup))
        for t in self.pc.getTransceivers():
            t.receiver._test_owner = self
            if t.mid in ("0", "1"):
                d.expect(t.sender.track is not None and t.sender.track.kind == t.kind,
                         f"{self.name}: local {t.kind} track not on mid {t.mid}")
            elif t.kind == "video":
                self.remote_video = (t.receiver, t.receiver.track)
        self.channel = self.pc.createDataChannel(DATA_LABEL, protocol=DATA_PROTOCOL)
        d.expect(not self.channel.negotiated, "the channel must be in-band (DCEP)")
        self.channel.on("open", self._on_open)
        self.channel.on("message", self._on_message)
        self.pc.sctp._test_first_stream_id = self.first_stream_id
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        for t in self.pc.getTransceivers():
            t.sender.transport._rtp_router._test_owner = self
        self.pc.sctp.transport._rtp_router._test_owner = self
        if self.remote_video:
            self.tasks.append(asyncio.ensure_future(self._consume(self.remote_video[1])))
        return self.pc.localDescription.sdp

    def _on_open(self):
        self.opened_at = time.monotonic()
        self.send({"colibriClass": "ClientHello"})
        self.wakeup.notify()

    def _on_message(self, text):
        try:
            message = json.loads(text)
        except (TypeError, ValueError):
            message = {"unparsable": repr(text)}
        self.messages.append((time.monotonic(), message))
        self.wakeup.notify()

    def send(self, message):
        self.channel.send(json.dumps(message))

    async def _consume(self, track):
        while True:
            frame = await track.recv()
            self.frames.append((time.monotonic(), frame.width, frame.height))
            self.wakeup.notify()

    def received(self, colibri_class):
        return [(t, m) for t, m in self.messages if m.get("colibriClass") == colibri_class]

    async def video_stats(self, sender):
        """(packets, SSRCs) of the video RTP this peer sent (sender=True) or received."""
        total, ssrcs = 0, set()
        for t in self.pc.getTransceivers():
            if t.kind != "video":
                continue
            report = await (t.sender.getStats() if sender else t.receiver.getStats())
            for s in report.values():
                if s.type == ("outbound-rtp" if sender else "inbound-rtp"):
                    total += s.packetsSent if sender else s.packetsReceived
                    ssrcs.add(s.ssrc)
        return total, ssrcs

    async def close(self):
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


# --- the daemon ------------------------------------------------------------------------------

def drain(daemon):
    """Keeps reading the daemon's output from a thread while asyncio runs the call, so that a
    chatty daemon never blocks on a full pipe."""
    partial, daemon._buffer = daemon._buffer, b""

    def run():
        nonlocal partial
        for raw in iter(daemon.proc.stdout.readline, b""):
            daemon.output.append((partial + raw).decode("utf-8", "replace").rstrip("\n"))
            partial = b""

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


async def rest_call(method, url, body=None):
    status, text = await asyncio.get_running_loop().run_in_executor(None, d.call, method, url, body)
    d.expect(status == 200, f"{method} {url}: {status} {text}")
    return json.loads(text) if text else {}


async def debug_full(base):
    status, _, body = await asyncio.get_running_loop().run_in_executor(None, d.http, "GET",
                                                                        base + "debug?full=true")
    d.expect(status == 200, f"/debug?full=true: {status}")
    return json.loads(body)


def endpoint_debug(debug, endpoint):
    for c in debug.get("conferences", {}).values():
        if isinstance(c.get("endpoints"), dict) and endpoint in c["endpoints"]:
            return c["endpoints"][endpoint]
    return {}


# --- one call --------------------------------------------------------------------------------

async def one_call(base, number, timings):
    wakeup = Wakeup()
    t_start = time.monotonic()
    meeting = f"aiortc-{number}-{random.getrandbits(32):08x}"
    a_id, b_id = (f"{random.getrandbits(32):08x}" for _ in range(2))
    first_sid = 1 if number % 2 else 0
    a = Peer("A", a_id, wakeup, first_sid)
    b = Peer("B", b_id, wakeup, first_sid)
    conf_url = f"{base}colibri/v2/conferences/{meeting}"
    expired = False
    try:
        # As Jicofo: the conference with A, then B joining it.
        reply = await rest_call("POST", base + "colibri/v2/conferences",
                                {"meeting-id": meeting, "name": f"room{number}@conference.example.org",
                                 "create": True, "endpoints": [endpoint_create(a_id)]})
        a_ice = bridge_transport(reply, a_id)
        reply = await rest_call("PATCH", conf_url, {"endpoints": [endpoint_create(b_id)]})
        b_ice = bridge_transport(reply, b_id)

        a_transport, a_sources, a.ssrcs = parse_answer(await a.answer(offer_sdp(a_ice, [])), a_id)
        await rest_call("PATCH", conf_url, {"endpoints": [{"id": a_id, "transport": {"transport": a_transport},
                                                           "sources": a_sources}]})
        streams = [{"endpoint": a_id, "kind": "audio", "ssrc": a.ssrcs["audio"][0]},
                   {"endpoint": a_id, "kind": "video", "ssrc": a.ssrcs["video"][0], "rtx": a.ssrcs["video"][1]}]
        b_transport, b_sources, b.ssrcs = parse_answer(await b.answer(offer_sdp(b_ice, streams)), b_id)
        d.expect(b.remote_video, "B has no receiver for A's video")
        await rest_call("PATCH", conf_url, {"endpoints": [{"id": b_id, "transport": {"transport": b_transport},
                                                           "sources": b_sources}]})
        t_signalled = time.monotonic()

        # The bridge channel: DCEP OPEN/ACK (aiortc opens the channel on the ACK), then hellos.
        await wakeup.until(lambda: a.opened_at and b.opened_at, CONNECT_S, "open bridge channel on both peers "
                           f"(A: {a.channel.readyState}, B: {b.channel.readyState}, "
                           f"ICE A/B: {a.pc.iceConnectionState}/{b.pc.iceConnectionState})")
        print(f"  call {number}: bridge's sctp answer {a_ice['sctp']}; channels open on stream ids "
              f"A={a.channel.id} B={b.channel.id}")
        for p in (a, b):
            inits = getattr(p.pc.sctp, "_test_inits_received", 0)
            d.expect(inits == 0, f"{p.name} received {inits} SCTP INIT from the bridge, which must stay passive")
        d.expect(a.channel.id % 2 == first_sid and b.channel.id % 2 == first_sid,
                 f"stream ids {a.channel.id}, {b.channel.id}")
        await wakeup.until(lambda: a.received("ServerHello") and b.received("ServerHello"), HELLO_S,
                           "ServerHello on both channels")
        t_open = max(a.opened_at, b.opened_at)
        hello = max(a.received("ServerHello")[0][0] - a.opened_at, b.received("ServerHello")[0][0] - b.opened_at)

        # Media flows: A has sent video for a while, and the bridge gets it.
        async def a_sending():
            return (await a.video_stats(sender=True))[0] >= 30
        await wakeup.until(a_sending, CONNECT_S, "video RTP sent by A")

        # No video for B before its constraints: wait for RTP or a frame that must not come.
        async def b_gets_video():
            return b.frames or (await b.video_stats(sender=False))[0] > 0
        try:
            await wakeup.until(b_gets_video, QUIET_S, "")
        except AssertionError:
            pass  # the expected outcome: nothing within QUIET_S
        packets, ssrcs = await b.video_stats(sender=False)
        d.expect(not b.frames and packets == 0,
                 f"B got A's video before sending ReceiverVideoConstraints: {packets} RTP packets on "
                 f"SSRCs {sorted(ssrcs)}, {len(b.frames)} frames")
        before = await debug_full(base)
        a_in = endpoint_debug(before, a_id).get("packets", {}).get("incoming", 0)
        d.expect(a_in > 0, f"the bridge received nothing from A: {endpoint_debug(before, a_id)}")
        kf_before = before["packet_path"]["keyframe_requests_sent"]
        a_video = a.ssrcs["video"][0]
        a_plis_before = [f for f in a.feedback if f[2] == a_video and f[1] in (PSFB_PLI, PSFB_FIR)]

        # B asks for video; the bridge must ask A for a keyframe itself.
        t_constraints = time.monotonic()
        b.send({"colibriClass": "ReceiverVideoConstraints", "defaultConstraints": {"maxHeight": 720}})
        try:
            await wakeup.until(lambda: len(b.frames) >= MIN_FRAMES, VIDEO_S, f"{MIN_FRAMES} frames of A decoded by B")
        except AssertionError as e:
            after = await debug_full(base)
            raise AssertionError(
                f"{e}; B got {(await b.video_stats(sender=False))[0]} video RTP packets, A received "
                f"feedback {a.feedback} (fmt 1 PLI, 4 FIR, 15 REMB), keyframe_requests_sent "
                f"{kf_before} -> {after['packet_path']['keyframe_requests_sent']}, B's endpoint: "
                f"{json.dumps(endpoint_debug(after, b_id))}")
        first_frame = b.frames[0][0] - t_constraints
        d.expect(b.frames[0][1:] == (WIDTH, HEIGHT), f"B decoded {b.frames[0][1:]}, A sends {WIDTH}x{HEIGHT}")
        after = await debug_full(base)
        kf_after = after["packet_path"]["keyframe_requests_sent"]
        requests = [f for f in a.feedback if f[2] == a_video and f[1] in (PSFB_PLI, PSFB_FIR)]
        new_requests = [f for f in requests if f[0] >= t_constraints]
        d.expect(new_requests, f"A got no keyframe request for its video after B's constraints: {a.feedback}")
        d.expect(kf_after > kf_before, f"keyframe_requests_sent did not grow: {kf_before} -> {kf_after}")
        # ForwardedSources names exactly what B now gets (the complete set, as JVB sends it).
        a_source = f"{a_id}-v0"
        await wakeup.until(lambda: b.received("ForwardedSources") and
                           b.received("ForwardedSources")[-1][1].get("forwardedSources") == [a_source],
                           MESSAGE_S, f"ForwardedSources [{a_source}] at B")
        forwarded = [m.get("forwardedSources") for _, m in b.received("ForwardedSources")]

        # An endpoint message, broadcast by A, reaches B marked as from A.
        t_message = time.monotonic()
        a.send({"colibriClass": "EndpointMessage", "to": "", "msgPayload": {"hello": 1}})

        def b_got_message():
            return [m for _, m in b.received("EndpointMessage") if m.get("msgPayload") == {"hello": 1}]
        await wakeup.until(b_got_message, MESSAGE_S, "EndpointMessage from A at B")
        message = b_got_message()[0]
        d.expect(message.get("from") == a_id, f"EndpointMessage at B has from={message.get('from')!r}, "
                 f"expected {a_id!r}: {message}")
        d.expect(message.get("to") == "", f"'to' not preserved: {message}")
        message_latency = b.received("EndpointMessage")[0][0] - t_message
        d.expect(not a.received("EndpointMessage"), f"A got its own broadcast back: {a.received('EndpointMessage')}")

        timings.append({"call": number, "signalling_s": round(t_signalled - t_start, 2),
                        "channels_open_s": round(t_open - t_signalled, 2), "server_hello_ms": round(hello * 1000, 1),
                        "first_frame_after_constraints_s": round(first_frame, 2),
                        "frames": len(b.frames), "endpoint_message_ms": round(message_latency * 1000, 1)})
        print(f"  call {number}: {json.dumps(timings[-1])}")
        print(f"  call {number}: keyframe requests at A (fmt, delay after constraints s): "
              f"{[(f[1], round(f[0] - t_constraints, 3)) for f in requests]} (before constraints: "
              f"{len(a_plis_before)}); bridge keyframe_requests_sent {kf_before} -> {kf_after}; PLIs aiortc "
              f"wanted to send (suppressed): A {len(a.pli_suppressed)}, B {len(b.pli_suppressed)}")
        print(f"  call {number}: messages at B: {[m.get('colibriClass') for _, m in b.messages]}; "
              f"ForwardedSources at B: {forwarded}")
        print(f"  call {number}: messages at A: {[m.get('colibriClass') for _, m in a.messages]}")
        print(f"  call {number}: B's channel state on the bridge: "
              f"{json.dumps(endpoint_debug(after, b_id).get('bridge_channel'))}, allocation "
              f"{json.dumps(endpoint_debug(after, b_id).get('allocation'))}")

        # Jicofo ends the conference; the daemon must live on for the next call.
        await a.close()
        await b.close()
        await rest_call("PATCH", conf_url, {"expire": True})
        debug = await debug_full(base)
        d.expect(not any(c.get("meeting_id") == meeting for c in debug["conferences"].values()),
                 f"conference {meeting} still listed after its expire")
        expired = True
    finally:
        await a.close()
        await b.close()
        if not expired:
            try:  # best effort: the daemon may be what failed
                await asyncio.get_running_loop().run_in_executor(None, d.call, "PATCH", conf_url, {"expire": True})
            except OSError:
                pass


async def calls(base):
    timings = []
    for number in range(1, CALLS + 1):
        await one_call(base, number, timings)
    return timings


def case_calls(tmp):
    patch_aiortc()
    daemon = d.Daemon(["--config", d.write_conf(tmp, rest.REST_CONF)])
    base = daemon.url()
    daemon.wait_for(r"Media port listening on UDP")
    reader = drain(daemon)
    t0 = time.monotonic()
    try:
        timings = asyncio.run(calls(base))
    except Exception as e:
        # A dead daemon shows up as a refused or cut HTTP request: say so, with its last words.
        code = daemon.proc.poll()
        print(f"  daemon exit status: {code}; its last lines:")
        for line in daemon.output[-60:]:
            print("  daemon:", line)
        if isinstance(e, AssertionError):
            raise
        traceback.print_exc()
        died = f" (the daemon died: exit status {code})" if code is not None else ""
        raise AssertionError(f"{type(e).__name__}: {e}{died}") from e
    notable = [line for line in daemon.output if re.search(r"\b(WARN|WARNING|SEVERE|ERROR)\b", line)]
    print(f"  daemon: {len(daemon.output)} lines, {len(notable)} warnings/errors")
    for line in notable[-40:]:
        print("  daemon:", line)
    print(f"  {len(timings)} calls in {time.monotonic() - t0:.1f} s")
    # Not Daemon.stop(): its communicate() would race the reader thread for the pipe.
    daemon.proc.terminate()
    try:
        code = daemon.proc.wait(timeout=d.DEADLINE_S)
    except subprocess.TimeoutExpired:
        raise AssertionError("the daemon did not stop after SIGTERM")
    reader.join(timeout=5)
    d.expect(code == 0, f"exit status {code}")

if __name__ == "__main__":
    sys.exit(d.run_named_case(globals(), sys.argv, MISSING))
