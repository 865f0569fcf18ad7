// The call page's logic. Talks to the focus over the WebSocket at /ws (protocol in
// tools/focus/focus_server.cpp): joins the room, answers the focus's offers with one
// RTCPeerConnection to the bridge, and munges its camera into three simulcast SSRCs the way
// lib-jitsi-meet does (a=ssrc-group:SIM plus one FID group per layer), because the bridge
// expects Jitsi's simulcast signaling. Shows one tile per participant and the bridge's bitrates.
//
// The bridge channel: when the offer has the data line (the bridge allocated SCTP), the page opens
// the in-band data channel lib-jitsi-meet opens ('JVB data channel', DCEP) and talks to the bridge
// directly (as lib-jitsi-meet's BridgeChannel does): it sends ReceiverVideoConstraints (the bridge
// forwards no video before it) from the last-N and pin controls, and shows what the bridge says:
// the dominant speaker, which videos it does not forward, what it asks of our camera. With
// ?channel=ws the page asks the focus for no data line and, as lib-jitsi-meet does when the offer
// has none but the bridge advertised a colibri-ws URL (JitsiConference._setBridgeChannel), opens
// the same channel as a WebSocket to the bridge: the same JSON messages, the same handling.
//
// SSRC rewriting: with ?ssrc-rewriting=1 (or =mid, for rtp-mid-demux as well) the page joins
// with the capability, the focus offers it no remote streams, and the bridge sends every remote
// source on slots of its own SSRCs, announced in VideoSourcesMap/AudioSourcesMap. As
// lib-jitsi-meet does, the page adds each new slot to its remote description itself: a sendonly
// m-line per slot, copied from the focus's own line of that kind, with the slot's SSRC (and RTX)
// and, with mid demux, the slot's mid; then it answers locally, the focus never hears of it. A
// known slot with a new owner is only relabelled: the same track now shows another participant.
//
// A TURN server: ?turn=turn:host:port&turn-user=u&turn-pass=p, and &relay-only=1 to use only
// relayed candidates (iceTransportPolicy 'relay'), as a client behind a strict firewall does.
//
// For tests: window.callState(), window.waitFor(spec), window.leave(), window.setLastN(n),
// window.pin(endpoint or null) (all return promises); window.sendBridgeMessage(obj) (true if
// sent); window.setMicEnabled(bool) (true if there is a microphone); window.bridgeChannel (the
// channel's state: open, transport ('sctp' or 'ws'), received (the last 200 messages), counts by colibriClass,
// dominantSpeaker, forwardedSources, ...). callState() also lists the SSRC-rewriting slots and
// every inbound RTP stream with its mid.
'use strict';

const params = new URLSearchParams(location.search);
const room = params.get('room') || 'demo';
const displayName = params.get('name') || '';
const channelMode = params.get('channel') === 'ws' ? 'ws' : 'sctp';
// null (no rewriting), 'ssrc' (slots told apart by SSRC) or 'mid' (by the mids the bridge stamps)
const ssrcRewriting = {'1': 'ssrc', 'ssrc': 'ssrc', 'mid': 'mid'}[params.get('ssrc-rewriting')] || null;
const turnServer = params.get('turn');
const relayOnly = params.get('relay-only') === '1';

const state = {
  endpoint: null,
  participants: [],  // [{endpoint, name, sending}] from the focus
  streams: [],       // [{mid, endpoint, kind, ssrc, rtx_ssrc}] of the last offer answered
  localRenegotiations: 0,  // slot lines applied without the focus (SSRC rewriting)
  offers: 0,
  answers: 0,
  negotiating: false,
  errors: [],
  stats: null,
  left: false,
};
let ws = null;
let pc = null;
let localStream = null;
let offerChain = Promise.resolve();
// Simulcast SSRCs stay the same across renegotiations (the bridge keys its streams on them):
// [{ssrc, rtx}] for the three layers, generated once for the camera's primary SSRC.
let simulcastLayers = null;
// SSRC rewriting: the focus's last offer (the slot lines are added to it), and the slots the
// bridge announced, in the order they were first announced (their m-lines' order):
// ssrc -> {kind, ssrc, rtx, mid, source, owner, videoType, applied (in the remote description)}.
let focusOffer = null;
const slots = new Map();
let slotRenegotiationQueued = false;
let sdpVersion = 0;  // the o= version of the descriptions the page applies itself

// ---- Bridge channel state ----

const kReceivedLimit = 200;
const kEndpointMessageLimit = 50;
const kPinnedHeight = 720;   // the on-stage video
const kDefaultHeight = 720;  // everyone, when nobody is pinned: the best layer of each
const kThumbnailHeight = 180;  // the others, while someone is pinned

// Plain data only (tests read it through WebDriver); the RTCDataChannel or WebSocket itself is
// channel.
const bridge = {
  open: false,
  state: 'none',               // the channel's readyState (as a name), 'none' before it exists
  transport: null,             // 'sctp' (the data channel) or 'ws' (colibri-ws), once created
  url: null,                   // the bridge's colibri-ws URL, for 'ws'
  offered: false,              // an offer had the data line, or (ws) the bridge's web-socket URL
  firstClass: null,            // colibriClass of the first message received
  received: [],                // the last kReceivedLimit messages, oldest first
  receivedCount: 0,
  counts: {},                  // colibriClass -> messages received
  invalid: 0,                  // not JSON objects with a colibriClass, or binary
  sentCount: 0,
  sentCounts: {},              // colibriClass -> messages sent
  lastConstraints: null,       // the last ReceiverVideoConstraints sent
  serverHello: null,
  dominantSpeaker: null,
  previousSpeakers: [],
  silence: false,
  forwardedSources: null,      // null until the first ForwardedSources: everything counts as forwarded
  senderConstraints: {},       // our source name -> maxHeight the bridge asks for
  connectivity: {},            // endpoint -> false while the bridge sees no media from it
  endpointMessages: [],        // the last kEndpointMessageLimit EndpointMessages
  invalidMappings: 0,          // source map entries that were not usable
};
window.bridgeChannel = bridge;
let channel = null;  // the RTCDataChannel or the colibri-ws WebSocket
const kWebSocketStates = ['connecting', 'open', 'closing', 'closed'];
// What the controls ask for; the ReceiverVideoConstraints follow from them.
const view = {lastN: -1, pinned: null};  // pinned: an endpoint id

const $ = id => document.getElementById(id);

function setStatus(text) {
  $('status').textContent = text;
}

function reportError(what) {
  const text = String(what && what.stack || what);
  state.errors.push(text);
  console.error(text);
  $('errors').textContent = state.errors.slice(-5).join('\n');
}

function send(message) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

async function start() {
  $('room').textContent = room;
  $('leave').onclick = () => window.leave();
  $('lastn').onchange = () => {
    const n = Number($('lastn').value);
    if (!Number.isInteger(n) || n < -1) {
      $('lastn').value = String(view.lastN);
      return;
    }
    view.lastN = n;
    sendConstraints();
  };
  $('apply-sender').onchange = () => applySenderConstraint().catch(e => logBridge('camera limit: ' + e));
  renderBridge();
  try {
    localStream = await navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 360}});
  } catch (e) {
    reportError('no camera/microphone, joining receive-only: ' + e);
  }
  renderTiles();
  const iceServers = turnServer
      ? [{urls: turnServer, username: params.get('turn-user') || '', credential: params.get('turn-pass') || ''}]
      : [];
  pc = new RTCPeerConnection({iceServers, iceTransportPolicy: relayOnly ? 'relay' : 'all', bundlePolicy: 'max-bundle',
                              rtcpMuxPolicy: 'require'});
  pc.ontrack = () => renderTiles();
  pc.oniceconnectionstatechange = () => setStatus(`ICE ${pc.iceConnectionState}`);
  ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  ws.onopen = () => {
    setStatus('joining');
    const join = {type: 'join', room, name: displayName, channel: channelMode};
    if (ssrcRewriting) join.ssrcRewriting = ssrcRewriting;
    send(join);
  };
  ws.onmessage = event => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (e) {
      return reportError('bad message from the focus: ' + event.data);
    }
    handle(message);
  };
  ws.onclose = () => {
    if (!state.left) setStatus('disconnected from the focus');
  };
}

function handle(message) {
  switch (message.type) {
    case 'joined':
      state.endpoint = message.endpoint;
      setStatus(`joined as ${message.endpoint}`);
      renderTiles();
      break;
    case 'offer':
      state.negotiating = true;
      // One offer at a time: the focus never sends the next before our answer, but keep order anyway.
      offerChain = offerChain.then(() => answerOffer(message)).catch(reportError);
      break;
    case 'participants':
      state.participants = message.participants;
      if (view.pinned && !state.participants.some(p => p.endpoint === view.pinned)) {
        view.pinned = null;  // the pinned participant left
        sendConstraints();
      }
      renderTiles();
      renderStats();
      renderBridge();
      break;
    case 'stats':
      state.stats = message;
      renderStats();
      break;
    case 'error':
      reportError('focus: ' + message.message);
      break;
  }
}

async function answerOffer(message) {
  state.offers++;
  focusOffer = message.sdp;
  const included = ssrcRewriting ? [...slots.values()] : [];
  await pc.setRemoteDescription({type: 'offer', sdp: ssrcRewriting ? withSlotLines(message.sdp) : message.sdp});
  for (const slot of included) slot.applied = true;
  // As lib-jitsi-meet: the channel is created once the offer with the data line is applied, so
  // it rides on the association that line describes; the browser opens it (DCEP) once SCTP is up.
  if (!channel && /^m=application /m.test(message.sdp)) {
    bridge.offered = true;
    openBridgeChannel();
  } else if (!channel && typeof message.bridgeWebSocket === 'string') {
    // No data line, but the bridge's colibri-ws: lib-jitsi-meet's fallback.
    bridge.offered = true;
    openBridgeWebSocket(message.bridgeWebSocket);
  }
  // Our microphone and camera go on the transceivers the offer created for mids 0 and 1.
  for (const t of pc.getTransceivers()) {
    if (t.mid !== '0' && t.mid !== '1') continue;
    const track = localStream && localStream.getTracks().find(x => x.kind === (t.mid === '0' ? 'audio' : 'video'));
    if (track && t.sender.track !== track) {
      await t.sender.replaceTrack(track);
      t.sender.setStreams(localStream);
    }
    t.direction = track ? 'sendrecv' : 'recvonly';
  }
  const answer = await pc.createAnswer();
  await pc.setLocalDescription({type: 'answer', sdp: mungeSimulcast(answer.sdp)});
  await gatheringComplete(3000);
  state.streams = message.streams;
  send({type: 'answer', sdp: pc.localDescription.sdp});
  state.answers++;
  state.negotiating = false;
  renderTiles();
  // A new local description may have reset the camera's encodings.
  if ($('apply-sender').checked) applySenderConstraint().catch(e => logBridge('camera limit: ' + e));
}

// Waits (bounded) until ICE gathering is done, so the answer carries our candidates.
function gatheringComplete(timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise(resolve => {
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    function check() {
      if (pc.iceGatheringState === 'complete') done();
    }
    pc.addEventListener('icegatheringstatechange', check);
  });
}

function randomSsrc(taken) {
  for (;;) {
    const ssrc = crypto.getRandomValues(new Uint32Array(1))[0];
    if (ssrc !== 0 && !taken.has(ssrc)) return ssrc;
  }
}

// Replaces the single camera SSRC (and its RTX) of the video m-line with mid 1 by three
// simulcast layers, each with an RTX partner: SIM s1 s2 s3, FID si ri. Chrome honours such a
// munged local description and encodes three layers (lowest resolution first).
function mungeSimulcast(sdp) {
  const lines = sdp.split('\r\n');
  const mLines = lines.map((l, i) => (l.startsWith('m=') ? i : -1)).filter(i => i >= 0);
  let start = -1;
  let end = lines.length;
  for (let k = 0; k < mLines.length; k++) {
    const to = k + 1 < mLines.length ? mLines[k + 1] : lines.length;
    if (lines[mLines[k]].startsWith('m=video') && lines.slice(mLines[k], to).includes('a=mid:1')) {
      start = mLines[k];
      end = to;
      break;
    }
  }
  if (start < 0) return sdp;
  const section = lines.slice(start, end);
  if (!section.some(l => l === 'a=sendrecv' || l === 'a=sendonly')) return sdp;
  if (section.some(l => l.startsWith('a=ssrc-group:SIM'))) return sdp;
  const ssrcLines = section.filter(l => l.startsWith('a=ssrc:'));
  if (ssrcLines.length === 0) return sdp;
  const fid = section.find(l => l.startsWith('a=ssrc-group:FID '));
  const primary = fid ? Number(fid.split(' ')[1]) : Number(ssrcLines[0].slice(7).split(' ')[0]);
  const rtx = fid ? Number(fid.split(' ')[2]) : null;
  const attributes = ssrcLines.filter(l => Number(l.slice(7).split(' ')[0]) === primary)
                         .map(l => l.slice(l.indexOf(' ') + 1))
                         .filter(a => a.startsWith('cname:') || a.startsWith('msid:'));
  if (!simulcastLayers || simulcastLayers[0].ssrc !== primary) {
    const taken = new Set([primary, rtx]);
    simulcastLayers = [{ssrc: primary, rtx}];
    for (let i = 1; i < 3; i++) {
      const ssrc = randomSsrc(taken);
      taken.add(ssrc);
      const r = rtx === null ? null : randomSsrc(taken);
      taken.add(r);
      simulcastLayers.push({ssrc, rtx: r});
    }
  }
  const added = [`a=ssrc-group:SIM ${simulcastLayers.map(l => l.ssrc).join(' ')}`];
  for (const l of simulcastLayers)
    if (l.rtx !== null) added.push(`a=ssrc-group:FID ${l.ssrc} ${l.rtx}`);
  for (const l of simulcastLayers) {
    for (const s of [l.ssrc, l.rtx]) {
      if (s === null) continue;
      for (const a of attributes) added.push(`a=ssrc:${s} ${a}`);
    }
  }
  const kept = section.filter(l => !l.startsWith('a=ssrc:') && !l.startsWith('a=ssrc-group:'));
  // Keep a trailing empty line (the SDP's final CRLF) at the very end.
  const tail = kept.length && kept[kept.length - 1] === '' ? [kept.pop()] : [];
  return [...lines.slice(0, start), ...kept, ...added, ...tail, ...lines.slice(end)].join('\r\n');
}

// ---- SSRC rewriting: the slots the bridge announces ----

// The remote streams the page knows: from the focus's offer, or (SSRC rewriting) the slots in
// the remote description, each attributed to its current owner.
function remoteStreams() {
  if (!ssrcRewriting) return state.streams;
  return [...slots.values()].filter(x => x.applied && x.owner).map(x => ({
    mid: x.mid, endpoint: x.owner, kind: x.kind, ssrc: x.ssrc, rtx_ssrc: x.rtx, source: x.source,
  }));
}

const isSsrc = v => Number.isInteger(v) && v > 0 && v <= 0xffffffff;
const isToken = v => typeof v === 'string' && /^[A-Za-z0-9_.-]{1,32}$/.test(v);

// Takes one VideoSourcesMap or AudioSourcesMap: new slots are added to the session, known ones
// relabelled. Entries that cannot be used are counted and skipped (a slot SSRC must not clash
// with one of another kind, and with mid demux the bridge must give the mid).
function onSourcesMap(kind, message) {
  if (!Array.isArray(message.mappedSources)) {
    bridge.invalidMappings++;
    return logBridge(`${message.colibriClass} without mappedSources`);
  }
  const changes = [];
  let added = false;
  for (const m of message.mappedSources) {
    const owner = m && (m.owner === null || typeof m.owner === 'string') ? m.owner : undefined;
    if (!m || !isSsrc(m.ssrc) || owner === undefined || typeof m.source !== 'string'
        || (kind === 'video' && m.rtx !== undefined && !isSsrc(m.rtx))
        || (ssrcRewriting === 'mid' && !isToken(m.mid))) {
      bridge.invalidMappings++;
      continue;
    }
    let slot = slots.get(m.ssrc);
    if (slot && slot.kind !== kind) {
      bridge.invalidMappings++;
      continue;
    }
    if (!slot) {
      const mid = ssrcRewriting === 'mid' ? m.mid : `${kind[0]}s${slots.size}`;
      if ([...slots.values()].some(x => x.mid === mid) || ['0', '1', 'data'].includes(mid)) {
        bridge.invalidMappings++;
        continue;
      }
      slot = {kind, ssrc: m.ssrc, rtx: kind === 'video' && isSsrc(m.rtx) ? m.rtx : null, mid,
              source: null, owner: null, videoType: null, applied: false};
      slots.set(m.ssrc, slot);
      added = true;
    }
    if (slot.owner !== owner || slot.source !== m.source) changes.push(`${m.source} on ${m.ssrc}`);
    slot.owner = owner;
    slot.source = m.source;
    slot.videoType = typeof m.videoType === 'string' ? m.videoType.toLowerCase() : null;
  }
  if (changes.length) logBridge(`${kind} slots: ${changes.join(', ')}`);
  if (added) scheduleSlotLines();
}

// The new slots go into the session on the offer chain, one local negotiation for all the slots
// announced meanwhile.
function scheduleSlotLines() {
  if (slotRenegotiationQueued) return;
  slotRenegotiationQueued = true;
  offerChain = offerChain.then(async () => {
    slotRenegotiationQueued = false;
    const pending = [...slots.values()].filter(x => !x.applied);
    // Before the focus's first offer there is no session yet; that offer brings them in.
    if (!pending.length || !focusOffer || !pc || pc.signalingState !== 'stable') return;
    const included = [...slots.values()];
    await pc.setRemoteDescription({type: 'offer', sdp: withSlotLines(focusOffer)});
    const answer = await pc.createAnswer();
    await pc.setLocalDescription({type: 'answer', sdp: mungeSimulcast(answer.sdp)});
    for (const slot of included) slot.applied = true;
    state.localRenegotiations++;
    renderTiles();
  }).catch(reportError);
}

// The focus's offer with one sendonly m-line per slot after its own lines, each a copy of the
// focus's line of that kind (codecs, extensions, transport: BUNDLE makes them share one) with the
// slot's mid and SSRCs.
function withSlotLines(sdp) {
  const lines = sdp.split('\r\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const starts = lines.map((l, i) => (l.startsWith('m=') ? i : -1)).filter(i => i >= 0);
  const sections = starts.map((start, k) => lines.slice(start, k + 1 < starts.length ? starts[k + 1] : lines.length));
  const session = starts.length ? lines.slice(0, starts[0]) : lines;
  const template = {
    audio: sections.find(x => x.includes(`a=mid:0`)),
    video: sections.find(x => x.includes(`a=mid:1`)),
  };
  const perSlot = new Set(['mid', 'sendrecv', 'sendonly', 'recvonly', 'inactive', 'ssrc', 'ssrc-group', 'msid',
                           'rid', 'simulcast']);
  const added = [];
  for (const slot of slots.values()) {
    const base = template[slot.kind];
    if (!base) throw new Error(`the focus's offer has no ${slot.kind} line to copy`);
    const stream = `slot-${slot.ssrc}`;
    const section = base.filter(l => !(l.startsWith('a=') && perSlot.has(l.slice(2).split(/[: ]/)[0])));
    section.push(`a=mid:${slot.mid}`, 'a=sendonly', `a=msid:${stream} ${stream}-track`);
    const ssrcs = slot.rtx ? [slot.ssrc, slot.rtx] : [slot.ssrc];
    if (slot.rtx) section.push(`a=ssrc-group:FID ${slot.ssrc} ${slot.rtx}`);
    for (const ssrc of ssrcs) section.push(`a=ssrc:${ssrc} cname:${stream}`, `a=ssrc:${ssrc} msid:${stream} ${stream}-track`);
    added.push({mid: slot.mid, section});
  }
  const mids = added.map(x => x.mid);
  const head = session.map(l => {
    if (l.startsWith('a=group:BUNDLE')) return [l, ...mids].join(' ');
    // A description of its own: later than anything applied before (RFC 3264 §8).
    const o = /^o=(\S+) (\S+) (\d+) (.*)$/.exec(l);
    if (o) {
      sdpVersion = Math.max(sdpVersion + 1, Number(o[3]) + 1);
      return `o=${o[1]} ${o[2]} ${sdpVersion} ${o[4]}`;
    }
    return l;
  });
  return [...head, ...sections.flat(), ...added.flatMap(x => x.section), ''].join('\r\n');
}

// ---- Bridge channel ----

// The bridge names sources as the focus does in its Colibri2 requests: "<endpoint>-v0" for the
// camera, "<endpoint>-a0" for the microphone (tools/focus/sdp.cpp).
const videoSource = endpoint => `${endpoint}-v0`;

function openBridgeChannel() {
  let dc;
  try {
    dc = pc.createDataChannel('JVB data channel', {protocol: 'http://jitsi.org/protocols/colibri'});
  } catch (e) {
    return reportError('cannot create the bridge channel: ' + e);
  }
  bridge.transport = 'sctp';
  bridge.state = dc.readyState;
  attachBridgeChannel(dc, 'data channel');
}

function openBridgeWebSocket(url) {
  let socket;
  try {
    socket = new WebSocket(url);
  } catch (e) {
    return reportError('cannot open the bridge web-socket: ' + e);
  }
  bridge.transport = 'ws';
  bridge.url = url;
  bridge.state = kWebSocketStates[socket.readyState];
  attachBridgeChannel(socket, 'web-socket');
}

// Both transports carry the same text messages and share one set of handlers.
function attachBridgeChannel(c, kind) {
  channel = c;
  channel.onopen = () => {
    bridge.open = true;
    bridge.state = 'open';
    logBridge(`channel open (${kind})`);
    sendConstraints();
    renderBridge();
  };
  channel.onclose = () => {
    bridge.open = false;
    bridge.state = 'closed';
    if (!state.left) logBridge('channel closed');
    renderBridge();
  };
  channel.onerror = event => logBridge('channel error: ' + (event.error ? event.error.message : 'unknown'));
  channel.onmessage = event => onBridgeMessage(event.data);
  renderBridge();
}

function sendBridge(message) {
  if (!channel || !bridge.open) return false;
  try {
    channel.send(JSON.stringify(message));
  } catch (e) {
    logBridge('send failed: ' + e);
    return false;
  }
  const cls = message && message.colibriClass || '(none)';
  bridge.sentCount++;
  bridge.sentCounts[cls] = (bridge.sentCounts[cls] || 0) + 1;
  return true;
}

// The ReceiverVideoConstraints the controls stand for: everyone at the best layer, or the pinned
// participant on stage at 720p and the others as thumbnails. Every field is sent every time, so
// each message stands on its own.
function currentConstraints() {
  const message = {colibriClass: 'ReceiverVideoConstraints', lastN: view.lastN};
  if (view.pinned) {
    const source = videoSource(view.pinned);
    message.defaultConstraints = {maxHeight: kThumbnailHeight};
    message.constraints = {[source]: {maxHeight: kPinnedHeight}};
    message.onStageSources = [source];
  } else {
    message.defaultConstraints = {maxHeight: kDefaultHeight};
    message.constraints = {};
    message.onStageSources = [];
  }
  message.selectedSources = [];
  return message;
}

// Sends the constraints now if the channel is open; the channel's onopen sends them otherwise.
function sendConstraints() {
  const message = currentConstraints();
  if (sendBridge(message)) {
    bridge.lastConstraints = message;
    logBridge('sent ' + describeConstraints(message));
  }
  renderBridge();
  return message;
}

function describeConstraints(m) {
  const stage = m.onStageSources.length ? `on stage ${m.onStageSources.join(', ')} at ${kPinnedHeight}p, ` : '';
  return `constraints: last-N ${m.lastN}, ${stage}others up to ${m.defaultConstraints.maxHeight}p`;
}

function onBridgeMessage(data) {
  if (typeof data !== 'string') {
    bridge.invalid++;
    return logBridge('binary message ignored');
  }
  let message;
  try {
    message = JSON.parse(data);
  } catch (e) {
    message = null;
  }
  if (!message || typeof message !== 'object' || Array.isArray(message) || typeof message.colibriClass !== 'string') {
    bridge.invalid++;
    return logBridge('not a bridge message: ' + data.slice(0, 120));
  }
  const cls = message.colibriClass;
  if (bridge.firstClass === null) bridge.firstClass = cls;
  bridge.received.push(message);
  if (bridge.received.length > kReceivedLimit) bridge.received.splice(0, bridge.received.length - kReceivedLimit);
  bridge.receivedCount++;
  bridge.counts[cls] = (bridge.counts[cls] || 0) + 1;
  switch (cls) {
    case 'ServerHello':
      bridge.serverHello = message;
      logBridge(`server hello${message.version ? ', version ' + message.version : ''}`);
      break;
    case 'DominantSpeakerEndpointChangeEvent':
      if (message.dominantSpeakerEndpoint !== bridge.dominantSpeaker || !!message.silence !== bridge.silence)
        logBridge(`dominant speaker ${nameOf(message.dominantSpeakerEndpoint)}${message.silence ? ' (silence)' : ''}`);
      bridge.dominantSpeaker = typeof message.dominantSpeakerEndpoint === 'string' ? message.dominantSpeakerEndpoint : null;
      bridge.previousSpeakers = Array.isArray(message.previousSpeakers) ? message.previousSpeakers : [];
      bridge.silence = !!message.silence;
      break;
    case 'ForwardedSources':
      if (!Array.isArray(message.forwardedSources)) {
        logBridge('ForwardedSources without a list');
        break;
      }
      bridge.forwardedSources = message.forwardedSources.filter(x => typeof x === 'string');
      logBridge('forwarded video: ' + (bridge.forwardedSources.join(', ') || 'none'));
      break;
    case 'SenderSourceConstraints':
      if (typeof message.sourceName !== 'string' || typeof message.maxHeight !== 'number') {
        logBridge('invalid SenderSourceConstraints');
        break;
      }
      bridge.senderConstraints[message.sourceName] = message.maxHeight;
      logBridge(`the bridge wants ${message.sourceName} up to ${heightText(message.maxHeight)}`);
      if ($('apply-sender').checked) applySenderConstraint().catch(e => logBridge('camera limit: ' + e));
      break;
    case 'EndpointMessage':
      bridge.endpointMessages.push(message);
      if (bridge.endpointMessages.length > kEndpointMessageLimit) bridge.endpointMessages.shift();
      logBridge(`message from ${nameOf(message.from)}: ${JSON.stringify(message.msgPayload).slice(0, 120)}`);
      break;
    case 'VideoSourcesMap':
    case 'AudioSourcesMap':
      // lib-jitsi-meet ignores the maps unless it asked for SSRC rewriting.
      if (ssrcRewriting) onSourcesMap(cls === 'VideoSourcesMap' ? 'video' : 'audio', message);
      break;
    case 'EndpointConnectivityStatusChangeEvent':
      if (typeof message.endpoint === 'string') {
        bridge.connectivity[message.endpoint] = message.active === 'true' || message.active === true;
        logBridge(`${nameOf(message.endpoint)} is ${bridge.connectivity[message.endpoint] ? 'active' : 'inactive'}`);
      }
      break;
    default:
      logBridge(`${cls}: ${data.slice(0, 120)}`);
  }
  renderTiles();
  renderBridge();
}

const heightText = h => (h < 0 ? 'any height' : h === 0 ? 'nothing (stop sending)' : `${h}p`);

function nameOf(endpoint) {
  if (!endpoint) return String(endpoint);
  if (endpoint === state.endpoint) return `me (${endpoint})`;
  const p = state.participants.find(x => x.endpoint === endpoint);
  return p && p.name !== p.endpoint ? `${p.name} (${endpoint})` : endpoint;
}

function logBridge(text) {
  console.info('bridge channel: ' + text);
  const log = $('bridge-log');
  const line = document.createElement('div');
  line.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  log.prepend(line);
  while (log.childElementCount > 8) log.lastElementChild.remove();
}

// Limits the camera's simulcast encodings to what the bridge asks for (as lib-jitsi-meet's
// SendVideoController does): 0 turns them all off, otherwise the layers up to that height stay
// on, the lowest always. Only while the checkbox is on; off restores all layers.
async function applySenderConstraint() {
  const t = pc && pc.signalingState !== 'closed' && pc.getTransceivers().find(x => x.mid === '1');
  if (!t || !t.sender.track || !state.endpoint) return;
  const parameters = t.sender.getParameters();
  const encodings = parameters.encodings || [];
  if (!encodings.length) return;
  const wanted = bridge.senderConstraints[videoSource(state.endpoint)];
  const limit = $('apply-sender').checked && typeof wanted === 'number' ? wanted : -1;
  const height = t.sender.track.getSettings().height || 360;
  let changed = false;
  encodings.forEach((e, i) => {
    const scale = e.scaleResolutionDownBy || 2 ** (encodings.length - 1 - i);
    const active = limit < 0 ? true : limit === 0 ? false : i === 0 || height / scale <= limit;
    if (e.active !== active) changed = true;
    e.active = active;
  });
  if (!changed) return;
  await t.sender.setParameters(parameters);
  logBridge(`camera layers on: ${encodings.map(e => (e.active ? 'on' : 'off')).join(' ')}`);
}

function togglePin(endpoint) {
  view.pinned = view.pinned === endpoint ? null : endpoint;
  sendConstraints();
  renderTiles();
}

function renderBridge() {
  const text = bridge.open ? 'open' : bridge.state === 'none' ? (bridge.offered ? 'not created' : 'not offered')
      : bridge.state;
  $('channel').textContent = `bridge channel${bridge.transport ? ' (' + bridge.transport + ')' : ''}: ${text}`;
  $('channel').className = bridge.open ? 'ok' : 'warn';
  $('dominant').textContent = bridge.dominantSpeaker ? `dominant speaker: ${nameOf(bridge.dominantSpeaker)}` : '';
  const mine = state.endpoint ? bridge.senderConstraints[videoSource(state.endpoint)] : undefined;
  $('sender').textContent = typeof mine === 'number' ? `the bridge wants my camera up to ${heightText(mine)}` : '';
  $('constraints').textContent = bridge.lastConstraints ? 'sent ' + describeConstraints(bridge.lastConstraints) : '';
}

// ---- Tiles and stats ----

function tileFor(id, label, local) {
  let tile = document.querySelector(`.tile[data-endpoint="${id}"]`);
  if (!tile) {
    tile = document.createElement('div');
    tile.className = 'tile' + (local ? ' local' : '');
    tile.dataset.endpoint = id;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;  // sound plays from a separate <audio>, so autoplay is never blocked
    const name = document.createElement('div');
    name.className = 'name';
    const badge = document.createElement('div');
    badge.className = 'badge';
    badge.hidden = true;
    tile.append(video, name, badge);
    if (!local) {
      const pin = document.createElement('button');
      pin.className = 'pin';
      pin.textContent = 'pin';
      pin.onclick = () => togglePin(id);
      tile.append(pin);
    }
    $('tiles').append(tile);
  }
  tile.querySelector('.name').textContent = label;
  return tile;
}

// What the bridge channel says about one tile: dominant speaker, pinned, video not forwarded,
// no media from that endpoint.
function decorateTile(tile, endpoint, local) {
  tile.classList.toggle('dominant', !!endpoint && endpoint === bridge.dominantSpeaker);
  const notes = [];
  if (!local) {
    const pinned = view.pinned === endpoint;
    tile.classList.toggle('pinned', pinned);
    const button = tile.querySelector('.pin');
    button.textContent = pinned ? 'unpin' : 'pin';
    button.disabled = !bridge.open;
    if (bridge.forwardedSources && !bridge.forwardedSources.includes(videoSource(endpoint)))
      notes.push('video off by the bridge');
    if (bridge.connectivity[endpoint] === false) notes.push('no media from this participant');
  }
  tile.classList.toggle('not-forwarded', notes.length > 0);
  const badge = tile.querySelector('.badge');
  badge.textContent = notes.join(' · ');
  badge.hidden = notes.length === 0;
}

function setTrack(element, track) {
  const current = element.srcObject && element.srcObject.getTracks()[0];
  if (current === track) return;
  element.srcObject = track ? new MediaStream([track]) : null;
  if (track) element.play().catch(() => { $('unmute').hidden = false; });
}

function renderTiles() {
  const me = tileFor('local', `${displayName || 'me'}${state.endpoint ? ' (' + state.endpoint + ')' : ''}`, true);
  if (localStream) setTrack(me.querySelector('video'), localStream.getVideoTracks()[0] || null);
  decorateTile(me, state.endpoint, true);
  const byMid = new Map(pc ? pc.getTransceivers().filter(t => t.mid).map(t => [t.mid, t]) : []);
  const present = new Set(['local']);
  for (const p of state.participants) {
    if (p.endpoint === state.endpoint) continue;
    present.add(p.endpoint);
    const tile = tileFor(p.endpoint, p.name === p.endpoint ? p.endpoint : `${p.name} (${p.endpoint})`, false);
    for (const kind of ['video', 'audio']) {
      const s = remoteStreams().find(x => x.endpoint === p.endpoint && x.kind === kind);
      const track = s && byMid.get(s.mid) ? byMid.get(s.mid).receiver.track : null;
      let element = tile.querySelector(kind);
      if (!element) {
        element = document.createElement('audio');
        element.autoplay = true;
        tile.append(element);
      }
      setTrack(element, track);
    }
    decorateTile(tile, p.endpoint, false);
  }
  for (const tile of document.querySelectorAll('.tile'))
    if (!present.has(tile.dataset.endpoint)) tile.remove();
}

function renderStats() {
  const body = $('stats').querySelector('tbody');
  body.textContent = '';
  const kbps = v => (typeof v === 'number' ? (v / 1000).toFixed(0) : 'n/a');
  const endpoints = state.stats && state.stats.endpoints || {};
  for (const p of state.participants) {
    const b = endpoints[p.endpoint];
    const row = document.createElement('tr');
    const label = p.name && p.name !== p.endpoint ? `${p.name} (${p.endpoint})` : p.endpoint;
    for (const text of [p.endpoint === state.endpoint ? `${label}, me` : label,
                        kbps(b && b.incoming_bps), kbps(b && b.outgoing_bps)]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    body.append(row);
  }
  $('stats-note').textContent = !state.stats ? 'waiting for bridge stats'
      : state.stats.available ? 'bitrates as the bridge measures them, every 2 s'
      : `bridge stats unavailable${state.stats.error ? ': ' + state.stats.error : ''}`;
}

$('unmute').onclick = () => {
  for (const e of document.querySelectorAll('video, audio')) e.play().catch(reportError);
  $('unmute').hidden = true;
};

// ---- For tests ----

// The call as getStats sees it; inbound streams are attributed to endpoints by the SSRCs the
// focus announced with the offer.
window.callState = async () => {
  const result = {
    endpoint: state.endpoint, room, ice: pc ? pc.iceConnectionState : 'none', dtls: 'new',
    signaling: pc ? pc.signalingState : 'none', negotiating: state.negotiating, offers: state.offers,
    answers: state.answers, participants: state.participants.map(p => p.endpoint), remotes: {},
    streams: remoteStreams(), focusStreams: state.streams, ssrcRewriting,
    slots: [...slots.values()].map(x => ({...x})), localRenegotiations: state.localRenegotiations,
    inbound: [],  // every inbound RTP stream: {ssrc, kind, mid, packets}
    selectedPair: null,  // {local, remote}: {type, address, port} of the ICE pair in use
    errors: state.errors, statsAvailable: !!(state.stats && state.stats.available),
    sentSimulcast: simulcastLayers ? simulcastLayers.map(l => l.ssrc) : [],
    sentLayers: [],  // outbound video SSRCs with packets sent, and their resolution
    localSdp: pc && pc.localDescription ? pc.localDescription.sdp : '',
    bridgeChannel: {
      open: bridge.open, state: bridge.state, transport: bridge.transport, offered: bridge.offered,
      firstClass: bridge.firstClass, receivedCount: bridge.receivedCount,
      counts: bridge.counts, invalid: bridge.invalid, sentCounts: bridge.sentCounts,
      lastConstraints: bridge.lastConstraints, dominantSpeaker: bridge.dominantSpeaker,
      forwardedSources: bridge.forwardedSources, senderConstraints: bridge.senderConstraints,
      connectivity: bridge.connectivity, endpointMessages: bridge.endpointMessages.length,
      invalidMappings: bridge.invalidMappings,
    },
  };
  if (!pc || pc.signalingState === 'closed') return result;
  const streams = remoteStreams();
  const bySsrc = new Map(streams.map(s => [s.ssrc, s]));
  for (const s of streams)
    result.remotes[s.endpoint] ||= {framesDecoded: 0, videoPacketsReceived: 0, audioPacketsReceived: 0};
  const report = await pc.getStats();
  const candidate = id => {
    const c = id && report.get(id);
    return c ? {type: c.candidateType, address: c.address, port: c.port} : null;
  };
  report.forEach(s => {
    if (s.type === 'transport' && s.dtlsState) result.dtls = s.dtlsState;
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = report.get(s.selectedCandidatePairId);
      if (pair) result.selectedPair = {local: candidate(pair.localCandidateId), remote: candidate(pair.remoteCandidateId)};
    }
    if (s.type === 'outbound-rtp' && s.kind === 'video' && s.packetsSent > 0) {
      result.sentLayers.push({ssrc: s.ssrc, packetsSent: s.packetsSent, width: s.frameWidth || 0,
                              height: s.frameHeight || 0});
    }
    if (s.type !== 'inbound-rtp') return;
    result.inbound.push({ssrc: s.ssrc, kind: s.kind, mid: s.mid || null, packets: s.packetsReceived || 0});
    const stream = bySsrc.get(s.ssrc);
    if (!stream) return;
    const r = result.remotes[stream.endpoint];
    if (s.kind === 'video') {
      r.framesDecoded += s.framesDecoded || 0;
      r.videoPacketsReceived += s.packetsReceived || 0;
    } else {
      r.audioPacketsReceived += s.packetsReceived || 0;
    }
  });
  return result;
};

// Polls callState() until the condition holds or the deadline passes; resolves {ok, state}.
//   spec.connected: ICE connected and DTLS connected, no negotiation outstanding
//   spec.sendingPrimary: the camera's first simulcast SSRC is sending
//   spec.remotes: endpoints whose audio and video must be announced (exactly these)
//   spec.minFrames / spec.minAudioPackets: per endpoint in spec.remotes, above spec.baseline
//   spec.bridgeOpen: the bridge channel is open
//   spec.bridgeMessages: at least one message of one of these colibriClasses was received
//   spec.forwardedSources: the bridge's last ForwardedSources is exactly this set
//   spec.dominantSpeaker: the bridge's dominant speaker is this endpoint
window.waitFor = async spec => {
  const deadline = performance.now() + (spec.timeoutMs || 20000);
  for (;;) {
    const s = await window.callState();
    const why = unmet(spec, s);
    if (!why) return {ok: true, state: s};
    if (performance.now() > deadline) return {ok: false, why, state: s};
    await new Promise(resolve => setTimeout(resolve, 250));
  }
};

function unmet(spec, s) {
  if (spec.connected) {
    if (s.ice !== 'connected' && s.ice !== 'completed') return `ICE is ${s.ice}`;
    if (s.dtls !== 'connected') return `DTLS is ${s.dtls}`;
    if (s.negotiating || s.signaling !== 'stable') return 'negotiation outstanding';
  }
  if (spec.remotes) {
    const announced = new Set(s.streams.map(x => x.endpoint));
    for (const ep of spec.remotes) {
      for (const kind of ['audio', 'video'])
        if (!s.streams.some(x => x.endpoint === ep && x.kind === kind)) return `no ${kind} of ${ep} offered`;
    }
    for (const ep of announced)
      if (!spec.remotes.includes(ep)) return `${ep} is still offered`;
    if (s.negotiating) return 'negotiation outstanding';
  }
  if (spec.sendingPrimary) {
    const first = s.sentLayers.find(l => l.ssrc === s.sentSimulcast[0]);
    if (!first || first.packetsSent < 10) return 'the first simulcast SSRC is not sending';
  }
  const b = s.bridgeChannel;
  if (spec.bridgeOpen && !b.open) return `the bridge channel is ${b.state}`;
  if (spec.bridgeMessages && !spec.bridgeMessages.some(c => b.counts[c] > 0))
    return `no ${spec.bridgeMessages.join(' or ')} on the bridge channel (got ${JSON.stringify(b.counts)})`;
  if (spec.forwardedSources) {
    const got = b.forwardedSources || [];
    const same = got.length === spec.forwardedSources.length && spec.forwardedSources.every(x => got.includes(x));
    if (!same) return `the bridge forwards ${b.forwardedSources ? JSON.stringify(got) : '(no ForwardedSources yet)'}`;
  }
  if (spec.dominantSpeaker !== undefined && b.dominantSpeaker !== spec.dominantSpeaker)
    return `the dominant speaker is ${b.dominantSpeaker}`;
  for (const ep of spec.media || []) {
    const r = s.remotes[ep] || {framesDecoded: 0, audioPacketsReceived: 0};
    const base = (spec.baseline || {})[ep] || {framesDecoded: 0, audioPacketsReceived: 0};
    if (r.framesDecoded - base.framesDecoded < (spec.minFrames || 0))
      return `${r.framesDecoded - base.framesDecoded} video frames decoded from ${ep}`;
    if (r.audioPacketsReceived - base.audioPacketsReceived < (spec.minAudioPackets || 0))
      return `${r.audioPacketsReceived - base.audioPacketsReceived} audio packets received from ${ep}`;
  }
  return null;
}

// Sends one message on the bridge channel as it is; false when the channel is not open.
window.sendBridgeMessage = message => sendBridge(message);

// The controls, for tests; each resolves to the ReceiverVideoConstraints it stands for (sent if
// the channel is open).
window.setLastN = async n => {
  view.lastN = n;
  $('lastn').value = String(n);
  return sendConstraints();
};
window.pin = async endpoint => {
  view.pinned = endpoint || null;
  const message = sendConstraints();
  renderTiles();
  return message;
};

// Turns the microphone on or off (a disabled track sends silence), so that a test can choose
// who speaks: the fake audio device beeps on every page. Returns whether a track was there.
window.setMicEnabled = enabled => {
  const track = localStream && localStream.getAudioTracks()[0];
  if (track) track.enabled = !!enabled;
  return !!track;
};

window.leave = async () => {
  state.left = true;
  send({type: 'leave'});
  if (channel) channel.close();
  if (ws) ws.close();
  if (pc) pc.close();
  if (localStream) localStream.getTracks().forEach(t => t.stop());
  setStatus('left');
  return {ok: true};
};

start().catch(reportError);
