/*
 * sfu client library — talks to the Conference API of this server
 * (docs/API.md): REST commands, the event stream, publishing and viewing
 * streams over WebRTC with trickled ICE candidates.
 *
 * Plain JavaScript, no dependencies, no build step. Load it either way:
 *   <script src="/client.js"></script>          -> window.SfuClient, window.SfuError
 *   <script type="module">import '/client.js'; const { SfuClient } = globalThis;</script>
 *
 *   const client = new SfuClient({ baseUrl: location.origin, getToken: () =>
 *       SfuClient.fetchToken({ baseUrl: location.origin, clientId, clientSecret }) });
 *   await client.join({ conferenceId, userEndpointId });
 *   const sub = client.events(conferenceId, { userEndpointId, onEvent: e => console.log(e.type) });
 *   const pub = await client.publish({ conferenceId, userEndpointId, stream, type: 'MIC_AND_CAM' });
 */
(function (global) {
  'use strict';

  const API = '/rtc-api/conferences';
  const DEFAULT_TIMEOUT_MS = 15000;
  const ICE_SERVERS_MAX_AGE_MS = 10 * 60 * 1000;
  const TRICKLE_INTERVAL_MS = 100;
  const MAX_CANDIDATES_PER_CALL = 64;   // the server rejects larger batches
  const POLL_WAIT_S = 25;

  /** Every event type the server emits (custom `sendEvent` types come on top). */
  const EVENT_TYPES = [
    'ConferenceCreatedEvent', 'ConferenceParticipantJoinedEvent', 'ConferenceParticipantLeftEvent',
    'ConferenceParticipantMetadataUpdatedEvent', 'ConferenceParticipantStateChangedEvent',
    'ConferenceStreamPublishedEvent', 'ConferenceStreamUnpublishedEvent',
    'ConferenceStreamMetadataUpdatedEvent', 'ConferenceStreamBitrateUpdatedEvent',
    'ConferenceStreamViewStartedEvent', 'ConferenceStreamViewStoppedEvent',
    'ConferenceMetadataUpdatedEvent', 'ConferenceEndedEvent',
  ];

  /** An error answer of the API (`{error, message}`), or a local failure. */
  class SfuError extends Error {
    constructor(status, code, message, body) {
      super(message || code || ('HTTP ' + status));
      this.name = 'SfuError';
      this.status = status;   // HTTP status; 0 for network, timeout and WebRTC failures
      this.code = code;       // e.g. 'CONFERENCE_NOT_FOUND', 'MEDIA_UNAVAILABLE', 'NETWORK_ERROR'
      this.body = body;
    }
    toString() { return 'SfuError ' + this.status + ' ' + this.code + ': ' + this.message; }
  }

  // ---------------------------------------------------------------- helpers

  /** `streamId` given as 'abc' or {id: 'abc'} -> {id: 'abc'}. */
  function streamRef(s) {
    if (s === undefined || s === null) return undefined;
    return typeof s === 'string' ? { id: s } : s;
  }
  /** `streamId` given as 'abc' or {id: 'abc'} -> 'abc'. */
  function streamKey(s) {
    if (s === undefined || s === null) return undefined;
    return typeof s === 'string' ? s : s.id;
  }
  function withoutUndefined(o) {
    const r = {};
    for (const k of Object.keys(o || {})) if (o[k] !== undefined) r[k] = o[k];
    return r;
  }
  function sleep(ms, signal) {
    return new Promise(resolve => {
      const t = setTimeout(resolve, ms);
      if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
  }
  /** Seconds until a JWT expires (Infinity when it cannot be read). */
  function tokenLifetime(token) {
    try {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const claims = JSON.parse(atob(part + '==='.slice((part.length + 3) % 4)));
      return typeof claims.exp === 'number' ? claims.exp - Date.now() / 1000 : Infinity;
    } catch (_) {
      return Infinity;
    }
  }
  function warn(...args) { if (global.console) console.warn('[sfu]', ...args); }

  /**
   * Collects ICE candidates and sends them in batches (every ~100 ms, at most
   * 64 per call, in order). Nothing is sent before `start()` (which is called
   * once the answer names the stream or viewer); a null or empty candidate
   * becomes one `end-of-candidates` entry (empty candidate string).
   */
  class Trickler {
    constructor(send, onError) {
      this.send = send;
      this.onError = onError;
      this.pending = [];
      this.started = false;
      this.stopped = false;
      this.ended = false;
      this.timer = null;
      this.chain = Promise.resolve();
      this.sent = 0;
      this.firstMid = null;
    }
    add(c) {
      if (this.stopped || this.ended) return;
      if (!c || !c.candidate) {
        this.ended = true;
        this.pending.push({ candidate: '', sdpMid: c && c.sdpMid != null ? c.sdpMid : this.firstMid, sdpMLineIndex: c && c.sdpMLineIndex != null ? c.sdpMLineIndex : 0 });
      } else {
        if (this.firstMid === null && c.sdpMid != null) this.firstMid = c.sdpMid;
        this.pending.push({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
      }
      this.schedule();
    }
    start() { this.started = true; this.schedule(); }
    stop() { this.stopped = true; this.pending = []; if (this.timer) clearTimeout(this.timer); this.timer = null; }
    schedule() {
      if (!this.started || this.stopped || this.timer || this.pending.length === 0) return;
      this.timer = setTimeout(() => { this.timer = null; this.flush(); }, TRICKLE_INTERVAL_MS);
    }
    flush() {
      while (this.pending.length > 0 && !this.stopped) {
        const batch = this.pending.splice(0, MAX_CANDIDATES_PER_CALL);
        this.sent += batch.length;
        this.chain = this.chain.then(() => this.stopped ? null : this.send(batch)).catch(e => { if (!this.stopped && this.onError) this.onError(e); });
      }
      return this.chain;
    }
    /** Resolves when everything collected so far has been sent. */
    drain() { if (this.timer) { clearTimeout(this.timer); this.timer = null; } return this.flush(); }
  }

  // ---------------------------------------------------------------- stats

  const previousStats = typeof WeakMap === 'function' ? new WeakMap() : null;

  /**
   * A small summary of `pc.getStats()`. Rates (`bitrateIn`, `bitrateOut`,
   * `lossRate`) are computed against the previous call for the same pc.
   */
  async function summarizeStats(pc) {
    const report = await pc.getStats();
    const s = {
      timestamp: Date.now(),
      connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState,
      iceGatheringState: pc.iceGatheringState, signalingState: pc.signalingState, dtlsState: null,
      framesDecoded: 0, framesPerSecond: 0, frameWidth: 0, frameHeight: 0,
      framesEncoded: 0, framesSent: 0,
      packetsReceived: 0, packetsLost: 0, bytesReceived: 0,
      packetsSent: 0, bytesSent: 0,
      jitter: 0, roundTripTime: null, audioLevel: null,
      audio: { packetsReceived: 0, packetsLost: 0, bytesReceived: 0, packetsSent: 0, bytesSent: 0, jitter: 0, audioLevel: null, totalSamplesReceived: 0 },
      video: { packetsReceived: 0, packetsLost: 0, bytesReceived: 0, packetsSent: 0, bytesSent: 0, jitter: 0, framesDecoded: 0, framesPerSecond: 0, framesEncoded: 0, framesSent: 0, keyFramesDecoded: 0, codec: null },
      bitrateIn: 0, bitrateOut: 0, lossRate: 0,
    };
    const codecs = {};
    let selectedPairId = null;
    const pairs = {};
    report.forEach(r => {
      if (r.type === 'codec') codecs[r.id] = r.mimeType;
      if (r.type === 'candidate-pair') pairs[r.id] = r;
      if (r.type === 'transport') {
        if (r.dtlsState) s.dtlsState = r.dtlsState;
        if (r.selectedCandidatePairId) selectedPairId = r.selectedCandidatePairId;
      }
    });
    report.forEach(r => {
      const kind = r.kind || r.mediaType;
      const k = kind === 'audio' ? s.audio : kind === 'video' ? s.video : null;
      if (r.type === 'inbound-rtp' && k) {
        k.packetsReceived += r.packetsReceived || 0;
        k.packetsLost += Math.max(0, r.packetsLost || 0);
        k.bytesReceived += r.bytesReceived || 0;
        k.jitter = Math.max(k.jitter, r.jitter || 0);
        if (kind === 'video') {
          k.framesDecoded += r.framesDecoded || 0;
          k.framesPerSecond += r.framesPerSecond || 0;
          k.keyFramesDecoded += r.keyFramesDecoded || 0;
          if (r.frameWidth) { s.frameWidth = r.frameWidth; s.frameHeight = r.frameHeight; }
        } else {
          if (typeof r.audioLevel === 'number') k.audioLevel = r.audioLevel;
          k.totalSamplesReceived += r.totalSamplesReceived || 0;
        }
        if (r.codecId && codecs[r.codecId]) k.codec = codecs[r.codecId];
      } else if (r.type === 'outbound-rtp' && k) {
        k.packetsSent += r.packetsSent || 0;
        k.bytesSent += r.bytesSent || 0;
        if (kind === 'video') {
          k.framesEncoded += r.framesEncoded || 0;
          k.framesSent += r.framesSent || 0;
          k.framesPerSecond += r.framesPerSecond || 0;
          if (r.frameWidth) { s.frameWidth = r.frameWidth; s.frameHeight = r.frameHeight; }
        }
        if (r.codecId && codecs[r.codecId]) k.codec = codecs[r.codecId];
      } else if (r.type === 'remote-inbound-rtp') {
        if (typeof r.roundTripTime === 'number' && s.roundTripTime === null) s.roundTripTime = r.roundTripTime;
        if (k) k.packetsLost += Math.max(0, r.packetsLost || 0);
      } else if (r.type === 'media-source' && kind === 'audio' && typeof r.audioLevel === 'number') {
        s.audio.audioLevel = r.audioLevel;
      }
    });
    let pair = selectedPairId ? pairs[selectedPairId] : null;
    if (!pair) for (const id in pairs) if (pairs[id].nominated && pairs[id].state === 'succeeded') pair = pairs[id];
    if (pair && typeof pair.currentRoundTripTime === 'number') s.roundTripTime = pair.currentRoundTripTime;
    if (!s.dtlsState) {
      try {
        const t = pc.getTransceivers().map(x => x.sender && x.sender.transport).find(Boolean);
        if (t) s.dtlsState = t.state;
      } catch (_) { /* old browsers */ }
    }
    for (const f of ['packetsReceived', 'packetsLost', 'bytesReceived', 'packetsSent', 'bytesSent']) s[f] = s.audio[f] + s.video[f];
    s.jitter = Math.max(s.audio.jitter, s.video.jitter);
    s.framesDecoded = s.video.framesDecoded;
    s.framesPerSecond = s.video.framesPerSecond;
    s.framesEncoded = s.video.framesEncoded;
    s.framesSent = s.video.framesSent;
    s.audioLevel = s.audio.audioLevel;
    const prev = previousStats && previousStats.get(pc);
    if (prev) {
      const dt = (s.timestamp - prev.timestamp) / 1000;
      if (dt > 0) {
        s.bitrateIn = Math.max(0, Math.round((s.bytesReceived - prev.bytesReceived) * 8 / dt));
        s.bitrateOut = Math.max(0, Math.round((s.bytesSent - prev.bytesSent) * 8 / dt));
      }
      const lost = s.packetsLost - prev.packetsLost;
      const got = s.packetsReceived - prev.packetsReceived;
      s.lossRate = lost > 0 && lost + got > 0 ? lost / (lost + got) : 0;
    }
    if (previousStats) previousStats.set(pc, { timestamp: s.timestamp, bytesReceived: s.bytesReceived, bytesSent: s.bytesSent, packetsLost: s.packetsLost, packetsReceived: s.packetsReceived });
    return s;
  }

  function connectionStates(pc) {
    let dtls = null;
    try {
      const t = pc.getTransceivers().map(x => x.sender && x.sender.transport).find(Boolean);
      if (t) dtls = t.state;
    } catch (_) { /* not supported */ }
    return { connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState, iceGatheringState: pc.iceGatheringState, dtlsState: dtls };
  }

  // ---------------------------------------------------------------- publication, subscription

  /** A stream this client publishes. */
  class Publication {
    constructor(client, args, pc, trickler, answer) {
      this.client = client;
      this.conferenceId = args.conferenceId;
      this.userEndpointId = args.userEndpointId;
      this.streamId = answer.streamId && answer.streamId.id;
      this.type = args.type;
      this.stream = args.stream;
      this.pc = pc;
      this.sdpAnswer = answer.sdpAnswer;
      this.trickler = trickler;
      this.stopped = false;
    }
    /** Closes the peer connection and unpublishes (a stream already gone is fine). */
    async stop({ stopTracks = false, unpublish = true } = {}) {
      if (this.stopped) return;
      this.stopped = true;
      this.trickler.stop();
      this.pc.close();
      if (stopTracks && this.stream) this.stream.getTracks().forEach(t => t.stop());
      if (!unpublish) return;
      try {
        await this.client.unpublishStream({ conferenceId: this.conferenceId, userEndpointId: this.userEndpointId, streamId: this.streamId });
      } catch (e) {
        if (!(e instanceof SfuError) || e.status !== 404) throw e;
      }
    }
    /** Caps the video bitrate (bit/s) on the server and in the local encoder; 0 lifts the local cap. */
    async setBitrate(bps) {
      await this.client.updatePublishedStreamBitrate({ conferenceId: this.conferenceId, userEndpointId: this.userEndpointId, streamId: this.streamId, videoBitrate: bps });
      await this._capEncoder(bps);
    }
    async _capEncoder(bps) {
      for (const sender of this.pc.getSenders()) {
        if (!sender.track || sender.track.kind !== 'video' || !sender.getParameters) continue;
        try {
          const p = sender.getParameters();
          if (!p.encodings || p.encodings.length === 0) p.encodings = [{}];
          for (const enc of p.encodings) { if (bps > 0) enc.maxBitrate = bps; else delete enc.maxBitrate; }
          await sender.setParameters(p);
        } catch (e) { warn('setParameters', e); }
      }
    }
    /** Updates this stream's metadata (replaces it). */
    updateMetadata(newMetadata) {
      return this.client.updateStreamMetadata({ conferenceId: this.conferenceId, userEndpointId: this.userEndpointId, streamId: this.streamId, newMetadata });
    }
    stats() { return summarizeStats(this.pc); }
    states() { return connectionStates(this.pc); }
  }

  /** A stream of someone else that this client views. */
  class Subscription {
    constructor(client, args, pc, trickler, answer, stream) {
      this.client = client;
      this.conferenceId = args.conferenceId;
      this.userEndpointId = args.userEndpointId;
      this.streamId = streamKey(args.streamId);
      this.viewerId = answer.viewerId;
      this.pc = pc;
      this.stream = stream;
      this.sdpAnswer = answer.sdpAnswer;
      this.trickler = trickler;
      this.stopped = false;
    }
    /** Closes the peer connection and stops viewing (a view already gone is fine). */
    async stop({ stopView = true } = {}) {
      if (this.stopped) return;
      this.stopped = true;
      this.trickler.stop();
      this.pc.close();
      this.stream.getTracks().forEach(t => t.stop());
      if (!stopView) return;
      try {
        await this.client.stopViewStream({ conferenceId: this.conferenceId, userEndpointId: this.userEndpointId, streamId: this.streamId, viewerId: this.viewerId });
      } catch (e) {
        if (!(e instanceof SfuError) || e.status !== 404) throw e;
      }
    }
    stats() { return summarizeStats(this.pc); }
    states() { return connectionStates(this.pc); }
  }

  // ---------------------------------------------------------------- events

  /**
   * A live subscription to a conference's events: Server-Sent Events through
   * EventSource (which resumes by itself with Last-Event-ID), or long-polling
   * where EventSource is missing. Events are delivered once each, in version
   * order; a gap (e.g. a custom event type EventSource was not listening for)
   * is filled from `GET events?v=`.
   */
  class EventSubscription {
    constructor(client, conferenceId, opts) {
      this.client = client;
      this.conferenceId = conferenceId;
      this.userEndpointId = opts.userEndpointId;
      this.version = Math.max(0, Number(opts.fromVersion) || 0);
      this.onEvent = opts.onEvent || (() => {});
      this.onError = opts.onError || null;
      this.onOpen = opts.onOpen || null;
      this.onClose = opts.onClose || null;
      this.onReset = opts.onReset || null;
      this.extraTypes = opts.types || [];
      const want = opts.transport || 'auto';
      this.transport = want === 'poll' || (want === 'auto' && typeof global.EventSource !== 'function') ? 'poll' : 'sse';
      this.closed = false;
      this.abort = typeof AbortController === 'function' ? new AbortController() : null;
      this.es = null;
      this.filling = null;
      this.queue = [];
      this.retries = 0;
      this.done = new Promise(resolve => { this._resolveDone = resolve; });
      if (this.transport === 'sse') this._openSSE(); else this._poll();
    }

    close(reason = 'closed') {
      if (this.closed) return;
      this.closed = true;
      if (this.es) { this.es.close(); this.es = null; }
      if (this.abort) this.abort.abort();
      if (this.onClose) { try { this.onClose(reason); } catch (e) { warn(e); } }
      this._resolveDone(reason);
    }

    _reset(info) {
      if (this.onReset) { try { this.onReset(info); } catch (e) { warn(e); } } else warn('events reset:', info);
    }

    /** 410: the events after our version are gone; continue from the conference's version now. */
    async _skipExpired() {
      const c = await this.client.getConference(this.conferenceId);
      const info = { reason: 'EVENTS_EXPIRED', lastEventId: this.version, conferenceVersion: c.version };
      this.version = Math.max(this.version, c.version);
      this._reset(info);
    }

    _error(e) {
      if (this.onError) { try { this.onError(e); } catch (x) { warn(x); } } else warn('events:', e);
    }

    _deliver(event) {
      const v = event.conferenceVersion;
      if (typeof v === 'number') {
        if (v <= this.version) return;           // already delivered (resume overlap)
        this.version = v;
      }
      try { this.onEvent(event); } catch (e) { warn('onEvent threw', e); }
      if (event.type === 'ConferenceEndedEvent') this.close('ended');
    }

    /** Handles one event from the stream, keeping version order. */
    _accept(event) {
      if (this.closed) return;
      const v = event.conferenceVersion;
      if (typeof v !== 'number' || v <= this.version) { if (typeof v !== 'number') this._deliver(event); return; }
      if (this.filling || v > this.version + 1) {
        this.queue.push(event);
        if (!this.filling) this.filling = this._fill().finally(() => { this.filling = null; });
        return;
      }
      this._deliver(event);
    }

    async _fill() {
      // Something between this.version and the queued events was missed.
      try {
        const list = await this.client.getEvents(this.conferenceId, { v: this.version, wait: 0, signal: this.abort && this.abort.signal });
        for (const e of list) if (!this.closed) this._deliver(e);
      } catch (e) {
        if (!this.closed) this._error(e);
      }
      const queued = this.queue.sort((a, b) => a.conferenceVersion - b.conferenceVersion);
      this.queue = [];
      for (const e of queued) if (!this.closed) this._deliver(e);
    }

    async _openSSE() {
      if (this.closed) return;
      let token;
      try { token = await this.client.currentToken(); } catch (e) { this._error(e); this.close('error'); return; }
      if (this.closed) return;
      const q = new URLSearchParams({ v: String(this.version) });
      if (token) q.set('access_token', token);
      if (this.userEndpointId) q.set('userEndpointId', this.userEndpointId);
      const es = new global.EventSource(this.client.baseUrl + API + '/' + encodeURIComponent(this.conferenceId) + '/events/stream?' + q.toString());
      this.es = es;
      const handler = m => {
        let event;
        try { event = JSON.parse(m.data); } catch (e) { this._error(e); return; }
        this.retries = 0;
        this._accept(event);
      };
      for (const t of EVENT_TYPES.concat(this.extraTypes)) es.addEventListener(t, handler);
      es.onmessage = handler;
      // The server did not send every event (reason EVENTS_EXPIRED: the log
      // no longer holds them; TOO_SLOW: the stream closes and EventSource
      // resumes with Last-Event-ID).
      es.addEventListener('reset', m => {
        let info = {};
        try { info = JSON.parse(m.data); } catch (e) { /* keep {} */ }
        if (info.reason === 'EVENTS_EXPIRED' && typeof info.firstAvailableVersion === 'number') {
          this.version = Math.max(this.version, info.firstAvailableVersion - 1);
        }
        this._reset(info);
      });
      es.onopen = () => { this.retries = 0; if (this.onOpen) this.onOpen(); };
      es.onerror = () => {
        if (this.closed || es !== this.es) return;
        if (es.readyState !== 2) return;         // CONNECTING: EventSource retries by itself
        // Closed for good (an error status or a wrong content type): ask the
        // API what is wrong, then reopen with a fresh token from our version.
        es.close();
        this.es = null;
        this._diagnoseAndReopen();
      };
    }

    async _diagnoseAndReopen() {
      try {
        await this.client.getEvents(this.conferenceId, { v: this.version, wait: 0, signal: this.abort && this.abort.signal });
      } catch (e) {
        if (this.closed) return;
        this._error(e);
        if (e instanceof SfuError && (e.status === 404 || e.status === 403 || (e.status === 401 && !this.client.getToken) || e.status === 400)) {
          this.close('error');
          return;
        }
      }
      this.retries += 1;
      await sleep(Math.min(10000, 500 * Math.pow(2, Math.min(this.retries, 5))), this.abort && this.abort.signal);
      if (!this.closed) this._openSSE();
    }

    async _poll() {
      while (!this.closed) {
        try {
          const list = await this.client.getEvents(this.conferenceId, {
            v: this.version, wait: POLL_WAIT_S, userEndpointId: this.userEndpointId,
            signal: this.abort && this.abort.signal, timeout: (POLL_WAIT_S + 15) * 1000,
          });
          if (!this._opened) { this._opened = true; if (this.onOpen) this.onOpen(); }
          this.retries = 0;
          for (const e of list) { if (this.closed) break; this._deliver(e); }
        } catch (e) {
          if (this.closed) return;
          if (e instanceof SfuError && e.status === 410) {
            try { await this._skipExpired(); continue; } catch (x) { e = x; }
          }
          this._error(e);
          if (e instanceof SfuError && (e.status === 404 || e.status === 403 || e.status === 400 || (e.status === 401 && !this.client.getToken))) {
            this.close('error');
            return;
          }
          this.retries += 1;
          await sleep(Math.min(10000, 500 * Math.pow(2, Math.min(this.retries, 5))), this.abort && this.abort.signal);
        }
      }
    }
  }

  // ---------------------------------------------------------------- the client

  class SfuClient {
    /**
     * @param baseUrl  the server, e.g. 'https://sfu.example' (default: this page's origin)
     * @param token    a bearer token (JWT)
     * @param getToken async () => token; called when there is no token, when it
     *                 is about to expire, and once after a 401
     * @param timeout  ms before a REST call fails with code TIMEOUT (default 15000)
     */
    constructor({ baseUrl, token, getToken, timeout } = {}) {
      if (!baseUrl) baseUrl = global.location && /^https?:/.test(global.location.protocol) ? global.location.origin : '';
      this.baseUrl = String(baseUrl).replace(/\/+$/, '');
      this.token = token || null;
      this.getToken = getToken || null;
      this.timeout = timeout || DEFAULT_TIMEOUT_MS;
    }

    /** Gets a token by OAuth client credentials (`POST /security/oauth/token`). */
    static async fetchToken({ baseUrl, clientId, clientSecret, userId } = {}) {
      baseUrl = String(baseUrl || (global.location ? global.location.origin : '')).replace(/\/+$/, '');
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      if (userId) form.set('user_id', userId);
      let res;
      try {
        res = await fetch(baseUrl + '/security/oauth/token', {
          method: 'POST',
          headers: { 'Authorization': 'Basic ' + btoa(clientId + ':' + clientSecret), 'Content-Type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        });
      } catch (e) {
        throw new SfuError(0, 'NETWORK_ERROR', 'cannot reach ' + baseUrl + ': ' + e.message);
      }
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new SfuError(res.status, (body && body.error) || 'HTTP_' + res.status, (body && (body.message || body.error_description)) || res.statusText, body);
      return body.access_token;
    }

    /** The token to use now (asks getToken when missing or expiring within 30 s). */
    async currentToken() {
      if (this.getToken && (!this.token || tokenLifetime(this.token) < 30)) {
        this.token = await this.getToken();
      }
      return this.token;
    }

    /**
     * One API call: parsed JSON (null for 204), or an SfuError.
     * options: {signal, timeout, keepalive}
     */
    async request(method, path, body, options = {}) {
      for (let attempt = 0; ; attempt++) {
        const token = await this.currentToken();
        const headers = {};
        if (token) headers['Authorization'] = 'Bearer ' + token;
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        const ctrl = typeof AbortController === 'function' ? new AbortController() : null;
        const timeout = options.timeout || this.timeout;
        let timedOut = false;
        const timer = ctrl ? setTimeout(() => { timedOut = true; ctrl.abort(); }, timeout) : null;
        const onAbort = () => ctrl && ctrl.abort();
        if (options.signal) options.signal.addEventListener('abort', onAbort, { once: true });
        let res, text;
        try {
          res = await fetch(this.baseUrl + path, {
            method, headers, body: body === undefined ? undefined : JSON.stringify(withoutUndefined(body)),
            signal: ctrl ? ctrl.signal : undefined, keepalive: !!options.keepalive, cache: 'no-store',
          });
          text = await res.text();
        } catch (e) {
          if (timedOut) throw new SfuError(0, 'TIMEOUT', method + ' ' + path + ' got no answer within ' + timeout + ' ms');
          if (options.signal && options.signal.aborted) throw new SfuError(0, 'ABORTED', method + ' ' + path + ' aborted');
          throw new SfuError(0, 'NETWORK_ERROR', 'cannot reach ' + (this.baseUrl || 'the server') + ': ' + e.message);
        } finally {
          if (timer) clearTimeout(timer);
          if (options.signal) options.signal.removeEventListener('abort', onAbort);
        }
        let data = null;
        if (text) { try { data = JSON.parse(text); } catch (_) { data = text; } }
        if (res.status === 401 && this.getToken && attempt === 0) { this.token = null; continue; }
        if (!res.ok) {
          const code = data && typeof data === 'object' && data.error ? data.error : 'HTTP_' + res.status;
          const message = data && typeof data === 'object' && data.message ? data.message : (typeof data === 'string' && data) || res.statusText || ('HTTP ' + res.status);
          throw new SfuError(res.status, code, message, data);
        }
        return data;
      }
    }

    command(name, body, options) { return this.request('POST', API + '/' + name, body || {}, options); }

    // ---- REST commands (bodies exactly as in docs/API.md; streamId may be 'id' or {id})
    create(body = {}) { return this.command('create', body); }
    join(body) { return this.command('join', body); }
    leave(body, options) { return this.command('leave', body, options); }
    end(body) { return this.command('end', body); }
    publishStream(body) { return this.command('publishStream', { ...body, streamId: streamRef(body.streamId) }); }
    unpublishStream(body) { return this.command('unpublishStream', { ...body, streamId: streamRef(body.streamId) }); }
    viewStream(body) { return this.command('viewStream', { ...body, streamId: streamRef(body.streamId) }); }
    stopViewStream(body) { return this.command('stopViewStream', { ...body, streamId: streamRef(body.streamId) }); }
    addPublishStreamIceCandidates(body) { return this.command('addPublishStreamIceCandidates', { ...body, streamId: streamRef(body.streamId) }); }
    addViewStreamIceCandidates(body) { return this.command('addViewStreamIceCandidates', { ...body, streamId: streamRef(body.streamId) }); }
    updatePublishedStreamBitrate(body) { return this.command('updatePublishedStreamBitrate', { ...body, streamId: streamRef(body.streamId) }); }
    updateMetadata(body) { return this.command('updateMetadata', body); }
    updateParticipantMetadata(body) { return this.command('updateParticipantMetadata', body); }
    updateStreamMetadata(body) { return this.command('updateStreamMetadata', { ...body, streamId: streamRef(body.streamId) }); }
    sendEvent(body) { return this.command('sendEvent', body); }
    getConference(conferenceId) { return this.request('GET', API + '/' + encodeURIComponent(conferenceId)); }
    simpleView(conferenceId) { return this.request('GET', API + '/' + encodeURIComponent(conferenceId) + '/simpleView'); }
    /** `GET {id}/events?v=&wait=` — one batch of events (the long-poll call). */
    getEvents(conferenceId, { v = 0, wait, userEndpointId, signal, timeout } = {}) {
      const q = new URLSearchParams({ v: String(v) });
      if (wait !== undefined) q.set('wait', String(wait));
      if (userEndpointId) q.set('userEndpointId', userEndpointId);
      if (timeout === undefined && wait) timeout = (wait + 15) * 1000;
      return this.request('GET', API + '/' + encodeURIComponent(conferenceId) + '/events?' + q.toString(), undefined, { signal, timeout });
    }

    /**
     * Subscribes to a conference's events from `fromVersion` (exclusive; 0 = all).
     * options: {fromVersion, userEndpointId, onEvent(event), onOpen(), onError(err),
     *           onClose(reason), onReset({reason, lastEventId, ...}) (events were missed:
     *           the log dropped them, or the stream fell behind), transport:
     *           'auto'|'sse'|'poll', types: [custom event names]}
     * Returns {close(), version, transport, done: Promise<reason>}. It closes
     * itself after ConferenceEndedEvent (reason 'ended') or on 401/403/404 ('error').
     */
    events(conferenceId, options = {}) { return new EventSubscription(this, conferenceId, options); }

    // ---- WebRTC helpers

    /**
     * `GET /rtc-api/iceServers`: the STUN/TURN servers the operator configured
     * (RTCIceServer[], TURN entries with this caller's time-limited credential).
     * Kept for 10 minutes; an empty list when the server offers none.
     */
    async getIceServers() {
      const now = Date.now();
      if (!this._iceServers || now - this._iceServers.at > ICE_SERVERS_MAX_AGE_MS) {
        const body = await this.request('GET', '/rtc-api/iceServers');
        this._iceServers = { at: now, list: (body && Array.isArray(body.iceServers)) ? body.iceServers : [] };
      }
      return this._iceServers.list;
    }

    /** The RTCConfiguration for a publish/view: the server's ICE servers unless rtcConfiguration names its own. */
    async _rtcConfiguration(rtcConfiguration) {
      const config = { bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', ...(rtcConfiguration || {}) };
      if (!config.iceServers) {
        try {
          config.iceServers = await this.getIceServers();
        } catch (e) {
          warn('iceServers (connecting without STUN/TURN)', e);
          config.iceServers = [];
        }
      }
      return config;
    }

    /**
     * Publishes a MediaStream: sendonly transceivers, offer, publishStream,
     * answer, trickled candidates. Rejects with the API's SfuError (e.g. 503
     * MEDIA_UNAVAILABLE) after closing the peer connection.
     */
    async publish({ conferenceId, userEndpointId, stream, type, metadata, videoBitrate, streamId, rtcConfiguration, onCandidateError } = {}) {
      if (!stream || typeof stream.getTracks !== 'function') throw new SfuError(0, 'INVALID_ARGUMENT', 'publish needs a MediaStream');
      const tracks = stream.getTracks();
      if (tracks.length === 0) throw new SfuError(0, 'INVALID_ARGUMENT', 'the MediaStream has no tracks');
      const hasAudio = tracks.some(t => t.kind === 'audio');
      const hasVideo = tracks.some(t => t.kind === 'video');
      if (!type) type = hasAudio && hasVideo ? 'MIC_AND_CAM' : hasVideo ? 'CAM' : 'MIC';
      const pc = new RTCPeerConnection(await this._rtcConfiguration(rtcConfiguration));
      const args = { conferenceId, userEndpointId, stream, type };
      let id = streamKey(streamId) || null;
      const trickler = new Trickler(batch => this.addPublishStreamIceCandidates({ conferenceId, userEndpointId, streamId: id, iceCandidates: batch }),
        onCandidateError || (e => warn('addPublishStreamIceCandidates', e)));
      pc.addEventListener('icecandidate', e => trickler.add(e.candidate));
      let answer;
      try {
        // Audio first, then video: a stable m-line order for the server.
        const ordered = tracks.filter(t => t.kind === 'audio').concat(tracks.filter(t => t.kind !== 'audio'));
        for (const track of ordered) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        answer = await this.publishStream({ conferenceId, userEndpointId, conferenceStreamType: type, sdpOffer: offer.sdp, streamId: id || undefined, metadata, videoBitrate });
        id = answer.streamId && answer.streamId.id;
        await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdpAnswer });
      } catch (e) {
        trickler.stop();
        pc.close();
        if (answer && id) this.unpublishStream({ conferenceId, userEndpointId, streamId: id }).catch(() => {});
        throw e instanceof SfuError ? e : new SfuError(0, 'WEBRTC_ERROR', 'publish failed: ' + (e && e.message || e));
      }
      trickler.start();
      const pub = new Publication(this, args, pc, trickler, answer);
      if (videoBitrate > 0) pub._capEncoder(videoBitrate).catch(e => warn('setParameters', e));
      return pub;
    }

    /**
     * Views a published stream: recvonly audio and video, offer, viewStream,
     * answer, trickled candidates. `subscription.stream` gets the tracks.
     */
    async view({ conferenceId, userEndpointId, streamId, viewerId, metadata, rtcConfiguration, onTrack, onCandidateError } = {}) {
      const pc = new RTCPeerConnection(await this._rtcConfiguration(rtcConfiguration));
      const stream = new MediaStream();
      pc.addEventListener('track', e => {
        if (!stream.getTracks().includes(e.track)) stream.addTrack(e.track);
        if (onTrack) onTrack(e.track, stream);
      });
      let vid = viewerId || null;
      const trickler = new Trickler(batch => this.addViewStreamIceCandidates({ conferenceId, userEndpointId, streamId, viewerId: vid, iceCandidates: batch }),
        onCandidateError || (e => warn('addViewStreamIceCandidates', e)));
      pc.addEventListener('icecandidate', e => trickler.add(e.candidate));
      let answer;
      try {
        pc.addTransceiver('audio', { direction: 'recvonly' });
        pc.addTransceiver('video', { direction: 'recvonly' });
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        answer = await this.viewStream({ conferenceId, userEndpointId, streamId, sdpOffer: offer.sdp, viewerId: vid || undefined, metadata });
        vid = answer.viewerId;
        await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdpAnswer });
      } catch (e) {
        trickler.stop();
        pc.close();
        if (answer && vid) this.stopViewStream({ conferenceId, userEndpointId, streamId, viewerId: vid }).catch(() => {});
        throw e instanceof SfuError ? e : new SfuError(0, 'WEBRTC_ERROR', 'view failed: ' + (e && e.message || e));
      }
      trickler.start();
      return new Subscription(this, { conferenceId, userEndpointId, streamId }, pc, trickler, answer, stream);
    }

    /** A summary of pc.getStats() (see summarizeStats). */
    stats(pc) { return summarizeStats(pc); }
  }

  SfuClient.SfuError = SfuError;
  SfuClient.Publication = Publication;
  SfuClient.Subscription = Subscription;
  SfuClient.EVENT_TYPES = EVENT_TYPES.slice();
  SfuClient.stats = summarizeStats;
  SfuClient.Trickler = Trickler;   // internal; exposed for tests
  global.SfuClient = SfuClient;
  global.SfuError = SfuError;
})(typeof globalThis !== 'undefined' ? globalThis : typeof window !== 'undefined' ? window : this);
