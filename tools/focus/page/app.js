// The call page's logic. Talks to the focus over the WebSocket at /ws (protocol in
// tools/focus/focus_server.cpp): joins the room, answers the focus's offers with one
// RTCPeerConnection to the bridge, and munges its camera into three simulcast SSRCs the way
// lib-jitsi-meet does (a=ssrc-group:SIM plus one FID group per layer), because the bridge
// expects Jitsi's simulcast signaling. Shows one tile per participant and the bridge's bitrates.
//
// For tests: window.callState(), window.waitFor(spec), window.leave() (all return promises).
'use strict';

const params = new URLSearchParams(location.search);
const room = params.get('room') || 'demo';
const displayName = params.get('name') || '';

const state = {
  endpoint: null,
  participants: [],  // [{endpoint, name, sending}] from the focus
  streams: [],       // [{mid, endpoint, kind, ssrc, rtx_ssrc}] of the last offer answered
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
  try {
    localStream = await navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 360}});
  } catch (e) {
    reportError('no camera/microphone, joining receive-only: ' + e);
  }
  renderTiles();
  pc = new RTCPeerConnection({iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require'});
  pc.ontrack = () => renderTiles();
  pc.oniceconnectionstatechange = () => setStatus(`ICE ${pc.iceConnectionState}`);
  ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  ws.onopen = () => {
    setStatus('joining');
    send({type: 'join', room, name: displayName});
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
      renderTiles();
      renderStats();
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
  await pc.setRemoteDescription({type: 'offer', sdp: message.sdp});
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
    tile.append(video, name);
    $('tiles').append(tile);
  }
  tile.querySelector('.name').textContent = label;
  return tile;
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
  const byMid = new Map(pc ? pc.getTransceivers().filter(t => t.mid).map(t => [t.mid, t]) : []);
  const present = new Set(['local']);
  for (const p of state.participants) {
    if (p.endpoint === state.endpoint) continue;
    present.add(p.endpoint);
    const tile = tileFor(p.endpoint, p.name === p.endpoint ? p.endpoint : `${p.name} (${p.endpoint})`, false);
    for (const kind of ['video', 'audio']) {
      const s = state.streams.find(x => x.endpoint === p.endpoint && x.kind === kind);
      const track = s && byMid.get(s.mid) ? byMid.get(s.mid).receiver.track : null;
      let element = tile.querySelector(kind);
      if (!element) {
        element = document.createElement('audio');
        element.autoplay = true;
        tile.append(element);
      }
      setTrack(element, track);
    }
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
    streams: state.streams, errors: state.errors, statsAvailable: !!(state.stats && state.stats.available),
    sentSimulcast: simulcastLayers ? simulcastLayers.map(l => l.ssrc) : [],
    sentLayers: [],  // outbound video SSRCs with packets sent, and their resolution
    localSdp: pc && pc.localDescription ? pc.localDescription.sdp : '',
  };
  if (!pc || pc.signalingState === 'closed') return result;
  const bySsrc = new Map(state.streams.map(s => [s.ssrc, s]));
  for (const s of state.streams)
    result.remotes[s.endpoint] ||= {framesDecoded: 0, videoPacketsReceived: 0, audioPacketsReceived: 0};
  const report = await pc.getStats();
  report.forEach(s => {
    if (s.type === 'transport' && s.dtlsState) result.dtls = s.dtlsState;
    if (s.type === 'outbound-rtp' && s.kind === 'video' && s.packetsSent > 0) {
      result.sentLayers.push({ssrc: s.ssrc, packetsSent: s.packetsSent, width: s.frameWidth || 0,
                              height: s.frameHeight || 0});
    }
    if (s.type !== 'inbound-rtp') return;
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

window.leave = async () => {
  state.left = true;
  send({type: 'leave'});
  if (ws) ws.close();
  if (pc) pc.close();
  if (localStream) localStream.getTracks().forEach(t => t.stop());
  setStatus('left');
  return {ok: true};
};

start().catch(reportError);
