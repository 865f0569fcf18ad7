#!/usr/bin/python3
"""The bridge channel driven from headless Chromium: the daemon, the focus (tools/focus, over the
bridge's Colibri2 REST API) and four call pages in one room, inside a loopback-only network
namespace. A, B and D talk to the bridge over the SCTP data channel as lib-jitsi-meet's
BridgeChannel does; C joins with ?channel=ws, so the focus allocates it no SCTP and its offer has
no data line, and it opens the bridge channel on the bridge's colibri-ws URL instead, as
lib-jitsi-meet does in that case (JitsiConference._setBridgeChannel). The daemon serves colibri-ws
on its public HTTP server. C and D join with SSRC rewriting (D with rtp-mid-demux as well): the
focus offers them no remote streams, and they learn of every remote source only from the
bridge's VideoSourcesMap/AudioSourcesMap, adding its slots to their sessions themselves.

Checks, in order, in one call:
  0. A, B and D use SCTP, C the web-socket, which opened with ServerHello as its first message;
     everyone decodes the others' video (which the bridge forwards only after constraints) and
     receives their audio, C and D on the slots the maps announced;
  1. every page's channel opens, and a ClientHello brings a ServerHello back;
  2. an EndpointMessage to everyone reaches the others with "from" set to the sender, and not the
     sender itself (a directed reply reaches the sender after it, so an echo would have come first);
  3. ReceiverVideoConstraints with defaultConstraints.maxHeight 180 bring every video B decodes
     down to at most 180 lines (getStats frameHeight), and maxHeight 720 brings them back up;
  4. the dominant speaker follows the only unmuted microphone (every page's fake microphone plays
     a speech-like file, window.setMicEnabled mutes the others), on every page, and moves when
     another speaks instead (C then A, or A then C when C already was the dominant speaker);
  5. last-N 1 on B leaves B decoding exactly one video, the dominant speaker's (last-N orders by
     speech activity), and one entry in ForwardedSources; last-N -1 brings every video back;
  6. SSRC rewriting on C and D: their focus offers had no remote stream; the maps gave one audio
     and one video slot to each other participant; every inbound RTP stream is on an announced
     slot SSRC, never a sender's own, with D's on the slot's mid; and each slot keeps decoding
     (video frames, audio packets) what its owner sends.
Prints the heights seen and how long each switch took.

Usage: bridge_channel_chromium_test.py VIDEOBRIDGE_BINARY FOCUS_BINARY PAGE_DIR"""

import json
import math
import os
import socket
import sys
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import call_chromium_test as cc  # noqa: E402  (Call, Participant and the join checks)
import daemon_test as d  # noqa: E402
import webdriver  # noqa: E402

TOTAL_S = 200           # all waits together stay within this
SWITCH_MS = 15000       # a layer, last-N or speaker change must show within this
SPEAKER_MS = 20000      # dominant speaker identification needs a few seconds of speech
LOW, HIGH = 180, 720


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ws_bridge_conf(port):
    """call_chromium_test's configuration plus colibri-ws on the public HTTP server. The estimate
    does not limit the allocation here: this test is about what the receivers ask for, and four
    pages on a loaded two-core machine report delays that leave some sources suspended (and a
    receiver with SSRC rewriting without their slots)."""
    base = cc.bridge_conf

    def conf(prosody):
        return base(prosody) + f"""
videobridge.http-servers.public.port = {port}
videobridge.http-servers.public.host = "127.0.0.1"
videobridge.websockets {{ enabled = true, domains = [ "127.0.0.1:{port}" ], tls = false }}
videobridge.cc.trust-bwe = false
"""
    return conf


def check_transports(people, ws_page, port):
    print("0. bridge channel transports")
    for p in people:
        s = p.browser.call_async("callState")
        b = s["bridgeChannel"]
        has_data_line = "\nm=application " in s["localSdp"]
        if p is ws_page:
            d.expect(b["transport"] == "ws", f"{p.name}: the bridge channel is not on the web-socket: {b}")
            d.expect(not has_data_line, f"{p.name}: asked for colibri-ws, yet its session has a data line")
            d.expect(b["firstClass"] == "ServerHello",
                     f"{p.name}: the first message on colibri-ws is {b['firstClass']}, not ServerHello")
            url = execute(p, "return window.bridgeChannel.url;")
            d.expect(isinstance(url, str) and url.startswith(f"ws://127.0.0.1:{port}/colibri-ws/")
                     and p.endpoint in url, f"{p.name}: web-socket URL {url}")
        else:
            d.expect(b["transport"] == "sctp", f"{p.name}: the bridge channel is not the data channel: {b}")
            d.expect(has_data_line, f"{p.name}: no data line in its session")
        print(f"  {p.name}: {b['transport']}, open, first message {b['firstClass']}, "
              f"{b['sentCounts'].get('ReceiverVideoConstraints', 0)} constraints sent, received {b['counts']}")


def execute(p, script, *args):
    """Runs a synchronous script in the page (sendBridgeMessage is synchronous). webdriver.Browser
    has only the asynchronous form, hence its private _call."""
    b = p.browser
    return b._call("POST", f"/session/{b.session}/execute/sync", {"script": script, "args": list(args)})


# Polls, inside the page, an async function body until it returns an object with ok true or the
# deadline passes; resolves that object, or {ok: false, last} with the last value seen. The page's
# own timers do the waiting (100 ms apart), as window.waitFor does.
_POLL = """
const [body, timeoutMs, done] = arguments;
const check = new Function('return (async () => {' + body + '})()');
const deadline = performance.now() + timeoutMs;
(async () => {
  for (;;) {
    const v = await check();
    if (v && v.ok) return v;
    if (performance.now() > deadline) return {ok: false, last: v};
    await new Promise(r => setTimeout(r, 100));
  }
})().then(done, e => done({ok: false, error: String(e && e.stack || e)}));
"""

# Inbound video by endpoint, from getStats (the page's `pc` and its announced streams):
# {endpoint: {height, frames}}; and outbound video layers [{ssrc, rid, width, height, packets}].
_VIDEO = """
const streams = (await window.callState()).streams.filter(s => s.kind === 'video');
const bySsrc = new Map(streams.map(s => [s.ssrc, s.endpoint]));
const inbound = {};
const outbound = [];
(await pc.getStats()).forEach(s => {
  if (s.kind !== 'video') return;
  if (s.type === 'inbound-rtp' && bySsrc.has(s.ssrc)) {
    const r = inbound[bySsrc.get(s.ssrc)] ||= {height: 0, frames: 0};
    r.frames += s.framesDecoded || 0;
    r.height = Math.max(r.height, s.frameHeight || 0);
  }
  if (s.type === 'outbound-rtp')
    outbound.push({ssrc: s.ssrc, width: s.frameWidth || 0, height: s.frameHeight || 0, packets: s.packetsSent,
                   fps: s.framesPerSecond || 0});
});
const bc = window.bridgeChannel;
"""


def poll(p, body, timeout_ms):
    left_ms = int((cc.DEADLINE - time.monotonic()) * 1000)
    d.expect(left_ms > 0, f"the test took longer than {TOTAL_S} s")
    started = time.monotonic()
    b = p.browser
    result = b._call("POST", f"/session/{b.session}/execute/async",
                     {"script": _POLL, "args": [body, min(timeout_ms, left_ms)]})
    d.expect(isinstance(result, dict), f"{p.name}: poll failed: {result}")
    result["ms"] = int((time.monotonic() - started) * 1000)
    return result


def video(p):
    return poll(p, _VIDEO + "return {ok: true, inbound, outbound};", 5000)


def constraints(max_height, last_n=-1):
    return {"colibriClass": "ReceiverVideoConstraints", "lastN": last_n,
            "defaultConstraints": {"maxHeight": max_height}, "constraints": {}, "onStageSources": [],
            "selectedSources": []}


def check_hello(people):
    print("1. ClientHello / ServerHello")
    for p in people:
        before = execute(p, "return window.bridgeChannel.counts.ServerHello || 0;")
        d.expect(execute(p, "return window.sendBridgeMessage(arguments[0]);", {"colibriClass": "ClientHello"}),
                 f"{p.name}: ClientHello not sent (channel not open)")
        r = poll(p, f"const n = window.bridgeChannel.counts.ServerHello || 0; return {{ok: n > {before}, n}};", 5000)
        d.expect(r["ok"], f"{p.name}: no ServerHello after ClientHello: {r}")
        hello = execute(p, "return window.bridgeChannel.serverHello;")
        print(f"  {p.name}: ServerHello in {r['ms']} ms: {json.dumps(hello)}")


def check_endpoint_message(people):
    print("2. EndpointMessage")
    a, others = people[0], people[1:]
    seen = {p.name: execute(p, "return window.bridgeChannel.endpointMessages.length;") for p in people}
    message = {"colibriClass": "EndpointMessage", "to": "", "msgPayload": {"t": 1}}
    d.expect(execute(a, "return window.sendBridgeMessage(arguments[0]);", message), "A: EndpointMessage not sent")
    for p in others:
        r = poll(p, f"""const m = window.bridgeChannel.endpointMessages.slice({seen[p.name]});
                       return {{ok: m.length > 0, m}};""", 5000)
        d.expect(r["ok"], f"{p.name}: A's EndpointMessage did not arrive: {r}")
        got = r["m"]
        d.expect(len(got) == 1 and got[0].get("from") == a.endpoint and got[0].get("msgPayload") == {"t": 1},
                 f"{p.name}: expected one EndpointMessage from {a.endpoint} with payload {{t: 1}}, got {got}")
        print(f"  {p.name} got {json.dumps(got[0])} in {r['ms']} ms")
    # B answers A alone; were A's message echoed to A, the echo would arrive before this reply.
    b = others[0]
    reply = {"colibriClass": "EndpointMessage", "to": a.endpoint, "msgPayload": {"t": 2}}
    d.expect(execute(b, "return window.sendBridgeMessage(arguments[0]);", reply), "B: reply not sent")
    r = poll(a, f"""const m = window.bridgeChannel.endpointMessages.slice({seen[a.name]});
                   return {{ok: m.some(x => x.msgPayload && x.msgPayload.t === 2), m}};""", 5000)
    d.expect(r["ok"], f"A: B's directed reply did not arrive: {r}")
    d.expect(len(r["m"]) == 1 and r["m"][0].get("from") == b.endpoint,
             f"A: expected only B's reply, got {r['m']} (its own message echoed?)")
    print(f"  A got only B's directed reply, in {r['ms']} ms")
    for p in others[1:]:
        n = execute(p, "return window.bridgeChannel.endpointMessages.length;")
        d.expect(n == seen[p.name] + 1, f"{p.name}: received B's message to A ({n - seen[p.name]} new messages)")


def check_heights(b, others):
    print("3. maxHeight 180, then 720, on B")
    eps = [o.endpoint for o in others]
    for o in others:
        layers = video(o)["outbound"]
        print(f"  {o.name} sends " + ", ".join(f"{l['width']}x{l['height']} ({l['packets']} pkts, {l['fps']} fps)"
                                             for l in sorted(layers, key=lambda l: l["height"])))
    start = video(b)["inbound"]
    print(f"  B decodes {json.dumps({o.name: start.get(o.endpoint) for o in others})}")
    for height, cmp in ((LOW, "<="), (HIGH, ">")):
        before = video(b)["inbound"]
        d.expect(execute(b, "return window.sendBridgeMessage(arguments[0]);", constraints(height)),
                 f"B: constraints {height} not sent")
        # Every remote video at the wanted height, and still decoding at it (10 frames more).
        r = poll(b, _VIDEO + f"""
            const eps = {json.dumps(eps)}, before = {json.dumps(before)};
            const ok = eps.every(e => inbound[e] && inbound[e].height {cmp} {LOW}
                                      && inbound[e].frames - (before[e] ? before[e].frames : 0) >= 10);
            return {{ok, inbound}};""", SWITCH_MS)
        got = r.get("inbound") or (r.get("last") or {}).get("inbound")
        heights = {o.name: (got or {}).get(o.endpoint, {}).get("height") for o in others}
        if not r["ok"]:
            sent = {o.name: video(o)["outbound"] for o in others}
            raise AssertionError(f"B: after maxHeight {height} the decoded heights are {heights} (want {cmp} {LOW}) "
                                 f"within {SWITCH_MS} ms: {r}; the senders' layers now: {sent}")
        print(f"  maxHeight {height}: B decodes heights {heights} after {r['ms']} ms")


def check_dominant_speaker(people):
    print("4. dominant speaker")
    a, c = people[0], people[2]
    # Each step must be a change, so that it shows the bridge following the microphones: C first,
    # unless C already is the dominant speaker.
    current = execute(a, "return window.bridgeChannel.dominantSpeaker;")
    order = (c, a) if current != c.endpoint else (a, c)
    print(f"  the dominant speaker is {current} before; {order[0].name} speaks, then {order[1].name}")
    for speaker in order:
        for p in people:
            d.expect(execute(p, "return window.setMicEnabled(arguments[0]);", p is speaker),
                     f"{p.name}: no microphone track")
        for p in people:
            # The speaker itself is told too: lib-jitsi-meet shows its own "speaking" state from it.
            r = poll(p, f"""const s = window.bridgeChannel.dominantSpeaker;
                           return {{ok: s === {json.dumps(speaker.endpoint)}, s}};""", SPEAKER_MS)
            d.expect(r["ok"], f"{p.name}: the dominant speaker is {r.get('last')}, not {speaker.name} "
                              f"({speaker.endpoint}), {SPEAKER_MS} ms after only {speaker.name}'s microphone is on")
            print(f"  only {speaker.name} speaks: {p.name} sees {speaker.name} as dominant after {r['ms']} ms")
    return order[-1]


def check_last_n(b, others, speaker):
    print("5. last-N 1 on B, then -1")
    eps = [o.endpoint for o in others]
    message = b.browser.call_async("setLastN", 1)
    d.expect(isinstance(message, dict) and message.get("lastN") == 1, f"B: setLastN(1): {message}")
    want = f"{speaker.endpoint}-v0"
    r = poll(b, """const f = window.bridgeChannel.forwardedSources;
                   return {ok: !!f && f.length === 1, f};""", SWITCH_MS)
    d.expect(r["ok"], f"B: ForwardedSources after last-N 1: {r}")
    d.expect(r["f"] == [want], f"B: the bridge forwards {r['f']}, expected the dominant speaker's {want}")
    print(f"  ForwardedSources {r['f']} after {r['ms']} ms")
    # Let what was in flight drain (10 frames of the forwarded one), then the others must not move
    # while the forwarded one decodes 30 more.
    grown = "inbound[{0}].frames - base[{0}].frames".format(json.dumps(speaker.endpoint))
    first = poll(b, _VIDEO + f"""const base = {json.dumps(video(b)['inbound'])};
                 return {{ok: {grown} >= 10, inbound}};""", SWITCH_MS)
    d.expect(first["ok"], f"B: the forwarded video stopped: {first}")
    second = poll(b, _VIDEO + f"""const base = {json.dumps(first['inbound'])};
                  return {{ok: {grown} >= 30, inbound}};""", SWITCH_MS)
    d.expect(second["ok"], f"B: the forwarded video stopped: {second}")
    grew = {ep: second["inbound"][ep]["frames"] - first["inbound"][ep]["frames"] for ep in eps}
    names = {o.endpoint: o.name for o in others}
    print(f"  B decoded, over {second['ms']} ms: " + ", ".join(f"{names[e]} +{n} frames" for e, n in grew.items()))
    for ep, n in grew.items():
        d.expect((n >= 30) if ep == speaker.endpoint else (n == 0),
                 f"B: with last-N 1 decoded {n} more frames of {names[ep]} ({grew})")

    message = b.browser.call_async("setLastN", -1)
    d.expect(isinstance(message, dict) and message.get("lastN") == -1, f"B: setLastN(-1): {message}")
    base = video(b)["inbound"]
    r = poll(b, _VIDEO + f"""const base = {json.dumps(base)}, eps = {json.dumps(eps)};
             const f = bc.forwardedSources || [];
             const ok = eps.every(e => f.includes(e + '-v0') && inbound[e].frames - base[e].frames >= 10);
             return {{ok, f, inbound}};""", SWITCH_MS)
    d.expect(r["ok"], f"B: after last-N -1 not every video is back: {r}")
    print(f"  last-N -1: ForwardedSources {sorted(r['f'])}, every video decoding again after {r['ms']} ms")


def bridge_endpoints(call):
    debug = json.loads(call.debug())
    return {ep: e for conf in debug["conferences"].values() for ep, e in conf["endpoints"].items()}


def check_ssrc_rewriting(call, people, rewriting):
    print("6. SSRC rewriting")
    sent = {}
    for p in people:
        s = p.browser.call_async("callState")
        sent[p.endpoint] = set(s["sentSimulcast"]) | {l["ssrc"] for l in s["sentLayers"]}
    names = {p.endpoint: p.name for p in people}
    for p in rewriting:
        others = [o for o in people if o is not p]
        s = p.browser.call_async("callState")
        d.expect(s["ssrcRewriting"] in ("ssrc", "mid"), f"{p.name}: joined without SSRC rewriting: {s['ssrcRewriting']}")
        d.expect(s["focusStreams"] == [], f"{p.name}: the focus offered remote streams: {s['focusStreams']}")
        d.expect(s["bridgeChannel"]["counts"].get("VideoSourcesMap", 0) >= 1
                 and s["bridgeChannel"]["counts"].get("AudioSourcesMap", 0) >= 1,
                 f"{p.name}: no source maps: {s['bridgeChannel']['counts']}")
        d.expect(s["bridgeChannel"]["invalidMappings"] == 0, f"{p.name}: unusable map entries: {s['bridgeChannel']}")
        slots = {x["ssrc"]: x for x in s["slots"]}
        for o in others:
            for kind, suffix in (("video", "-v0"), ("audio", "-a0")):
                mine = [x for x in s["slots"] if x["owner"] == o.endpoint and x["kind"] == kind]
                d.expect(len(mine) == 1 and mine[0]["source"] == o.endpoint + suffix and mine[0]["applied"],
                         f"{p.name}: {kind} slots of {o.name}: {mine} (all slots {s['slots']})")
                if kind == "video":
                    d.expect(mine[0]["rtx"] is not None, f"{p.name}: no RTX on {o.name}'s video slot {mine[0]}")
        theirs = set().union(*(sent[o.endpoint] for o in others))
        active = [x for x in s["inbound"] if x["packets"] > 0]
        for x in active:
            d.expect(x["ssrc"] in slots, f"{p.name}: inbound {x} is not on an announced slot {sorted(slots)}")
            d.expect(x["ssrc"] not in theirs, f"{p.name}: inbound {x} has a sender's own SSRC")
            if s["ssrcRewriting"] == "mid":
                d.expect(x["mid"] == slots[x["ssrc"]]["mid"], f"{p.name}: inbound {x} not on its slot's mid")
        d.expect(len(active) == 2 * len(others), f"{p.name}: {len(active)} inbound streams: {active}")
        before = cc.counters(s, [o.endpoint for o in others])
        state = cc.expect_media(p, others, names, baseline=before, min_frames=30, min_audio=50)
        # The bridge's side: slots in use, and sdes:mid stamped exactly when mid demux was asked for.
        w = bridge_endpoints(call)[p.endpoint].get("ssrc_rewriting")
        mid_demux = s["ssrcRewriting"] == "mid"
        d.expect(w is not None and w["video_slots"] == len(others) and w["audio_slots"] == len(others)
                 and w["mid_demux"] == mid_demux and (w["mids_stamped"] > 0) == mid_demux
                 and w["mid_stamp_failures"] == 0, f"{p.name}: the bridge's rewriting state {w}")
        print(f"  {p.name}: the bridge's rewriter {json.dumps(w)}")
        print(f"  {p.name} ({s['ssrcRewriting']} demux): {len(s['slots'])} slots, "
              f"{s['localRenegotiations']} local renegotiation(s), maps {s['bridgeChannel']['counts'].get('VideoSourcesMap')}"
              f" video / {s['bridgeChannel']['counts'].get('AudioSourcesMap')} audio; "
              + ", ".join(f"{x['kind']} {x['ssrc']}{' mid ' + x['mid'] if x['mid'] else ''} <- {names.get(x['owner'])}"
                          for x in state["slots"]))


def write_speech_like_wav(path):
    """A microphone that sounds like a person: a faint noise floor all the time and louder bursts
    of a voiced tone. Chromium's default fake device beeps on digital silence, which gives the
    dominant speaker identification no noise floor below the beep: a speaker whose quietest level
    is its own beep never counts as speaking (the identification works like JVB's)."""
    rate = 48000
    frames = bytearray()
    seed = 12345
    for i in range(rate * 4):  # 4 s, looped by Chromium
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        noise = (seed >> 16) % 401 - 200  # about -44 dBFS
        t = i / rate
        talking = (t % 1.0) < 0.6  # 600 ms of voice, 400 ms of room noise
        voice = 0
        if talking:
            envelope = min(1.0, (t % 1.0) / 0.05, (0.6 - t % 1.0) / 0.05)
            voice = int(envelope * (6000 * math.sin(2 * math.pi * 220 * t) + 3000 * math.sin(2 * math.pi * 440 * t)))
        sample = max(-32768, min(32767, noise + voice))
        frames += sample.to_bytes(2, "little", signed=True)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def run(focus_binary, page_dir, tmp):
    d.expect(webdriver.available(), "chromium and chromedriver are not installed (make test installs them)")
    speech = os.path.join(tmp, "speech.wav")
    write_speech_like_wav(speech)
    webdriver.CHROMIUM_ARGS.append(f"--use-file-for-fake-audio-capture={speech}")
    cc.TOTAL_S = TOTAL_S
    started = cc.start_clock()
    call = None
    people = []
    try:
        port = free_port()
        cc.bridge_conf = ws_bridge_conf(port)
        call = cc.Call("rest", focus_binary, page_dir, tmp)
        print(f"four participants join: C on colibri-ws (port {port}), C and D with SSRC rewriting")
        a, b = (cc.Participant(n, call.url) for n in ("A", "B"))
        c = cc.Participant("C", call.url, "&channel=ws&ssrc-rewriting=1")
        dd = cc.Participant("D", call.url, "&ssrc-rewriting=mid")
        people = [a, b, c, dd]
        for p in people:
            cc.expect_connected(p)
        names = {p.endpoint: p.name for p in people}
        for p in people:
            cc.expect_offered(p, [o for o in people if o is not p])
        for p in people:
            cc.expect_media(p, [o for o in people if o is not p], names, min_frames=10)
        for p in people:
            cc.expect_bridge_channel(p)
        print(f"  call up after {time.monotonic() - started:.1f} s")

        check_transports(people, c, port)
        check_hello(people)
        check_endpoint_message(people)
        check_heights(b, [a, c, dd])
        speaker = check_dominant_speaker(people)
        check_last_n(b, [a, c, dd], speaker)
        check_ssrc_rewriting(call, people, [c, dd])

        for p in list(people):
            p.close()
            people.remove(p)
        d.expect(call.bridge.stop() == 0, "bridge exit status after SIGTERM")
        print(f"total {time.monotonic() - started:.1f} s")
    except AssertionError:
        cc.print_debug(call)
        raise
    finally:
        for p in people:
            p.close()
        if call:
            call.close()


def main():
    return cc.main_with(__file__, __doc__, run, "jvb-bridge-channel-")


if __name__ == "__main__":
    sys.exit(main())
