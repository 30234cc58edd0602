// A voice call to a home unit (WebRTC; the unit answers by itself). Signalling goes over the
// console's stream socket: call.start with the offer once it holds a UDP candidate (or
// gathering is done, or after 2 s), the later candidates trickled as call.ice both ways,
// call.answer, call.hangup / call.ended.
//
// For tests and diagnostics, window.telecareCall tells the state and the bytes sent and
// received (RTCPeerConnection.getStats), also kept on the panel as data attributes.

import { get, hubReason } from "./api.js";
import { h, replace } from "./dom.js";
import { formatElapsed, t } from "./i18n.js";

const GATHER_WAIT_MS = 2000;
const STATS_EVERY_MS = 1000;
const LEVEL_EVERY_MS = 100;

function newRef() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `ref-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export class CallPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("call-panel");
    this.call = null;
    this.last = null; // the ended call, still shown
    this.parts = null;
    const panel = this;
    window.telecareCall = {
      get state() {
        return panel.current?.state ?? "idle";
      },
      get callId() {
        return panel.current?.callId ?? null;
      },
      get endReason() {
        return panel.current?.endReason ?? null;
      },
      getStats: () => (this.call ? this.call.stats() : Promise.resolve(this.last?.lastStats ?? null)),
      hangUp: () => this.hangUp("operator"),
    };
    this.render();
  }

  get current() {
    return this.call ?? this.last;
  }

  async start(homeId, alarmId) {
    if (this.call) {
      this.render(t("call.busy"));
      return;
    }
    const call = new HomeCall(this.ctx, homeId, alarmId, () => this.changed(call));
    this.call = call;
    this.last = null;
    this.render();
    this.ctx.detail.refreshActions();
    this.parts.hangUp.focus();
    await call.start();
  }

  handle(message) {
    if (this.call) this.call.handle(message);
  }

  hangUp(reason = "operator") {
    if (this.call) this.call.hangUp(reason);
  }

  /** Signed out: hang up and forget the last call, so the next user sees nothing of it. */
  forget() {
    this.hangUp("operator");
    this.call = null;
    this.last = null;
    this.render();
  }

  /** The stream closed: the hub hangs up a closed socket's calls, so this one is over. */
  connectionLost() {
    if (this.call) this.call.end("connection", "", { tell: false });
  }

  changed(call) {
    if (call.state === "ended" && this.call === call) {
      this.call = null;
      this.last = call;
      if (call.alarmId && call.callId) this.ctx.detail.awaitStep(call.alarmId, "call_ended");
    }
    if (call.alarmId && call.callId && !call.placedShown) {
      call.placedShown = true;
      this.ctx.detail.awaitStep(call.alarmId, "call_started");
    }
    this.refresh();
    this.ctx.detail.refreshActions();
  }

  render(note = "") {
    const call = this.current;
    this.root.hidden = call === null;
    if (call === null) {
      replace(this.root);
      this.parts = null;
      return;
    }
    const parts = {};
    parts.state = h("p", { class: "call-state", role: "status" });
    parts.duration = h("span", { class: "call-duration" });
    parts.local = h("meter", { id: "level-local", min: "0", max: "1", low: "0.05", high: "0.8", optimum: "0.3", value: "0" });
    parts.remote = h("meter", { id: "level-remote", min: "0", max: "1", low: "0.05", high: "0.8", optimum: "0.3", value: "0" });
    parts.mute = h("button", { type: "button", onclick: () => this.call?.toggleMute() });
    parts.hangUp = h("button", { type: "button", class: "danger", onclick: () => this.hangUp("operator") }, t("call.hang_up"));
    parts.note = h("p", { class: "call-note" }, note);
    this.parts = parts;
    replace(
      this.root,
      h("h2", { id: "call-title" }, `${t("call.title")} · ${t("panel.home", { home: call.homeId })}`),
      parts.state,
      h("p", {}, `${t("call.duration")}: `, parts.duration),
      h(
        "div",
        { class: "meters" },
        h("label", { for: "level-local" }, t("call.level_local")),
        parts.local,
        h("label", { for: "level-remote" }, t("call.level_remote")),
        parts.remote,
      ),
      h("div", { class: "actions", role: "group", "aria-label": t("call.title") }, parts.mute, parts.hangUp),
      parts.note,
      call.audio,
    );
    this.refresh();
  }

  refresh() {
    const call = this.current;
    if (!call || !this.parts) {
      this.render();
      return;
    }
    const p = this.parts;
    p.state.textContent =
      call.state === "ended"
        ? t("call.ended", { reason: call.endText() })
        : t(`call.${call.state}`);
    this.root.dataset.state = call.state;
    this.root.dataset.callId = call.callId ?? "";
    p.mute.textContent = call.muted ? t("call.unmute") : t("call.mute");
    p.mute.setAttribute("aria-pressed", call.muted ? "true" : "false");
    p.mute.disabled = call.state === "ended";
    p.hangUp.disabled = call.state === "ended";
    this.tick();
  }

  tick() {
    const call = this.current;
    if (!call || !this.parts) return;
    this.parts.duration.textContent = formatElapsed(call.duration());
    this.parts.local.value = call.levels.local;
    this.parts.remote.value = call.levels.remote;
    const s = call.lastStats;
    if (s) {
      this.root.dataset.bytesSent = String(s.bytesSent);
      this.root.dataset.bytesReceived = String(s.bytesReceived);
    }
  }
}

class HomeCall {
  constructor(ctx, homeId, alarmId, onChange) {
    this.ctx = ctx;
    this.homeId = homeId;
    this.alarmId = alarmId;
    this.onChange = onChange;
    this.ref = newRef();
    this.ending = false;
    this.callId = null;
    this.state = "preparing";
    this.endReason = null;
    this.endDetail = "";
    this.muted = false;
    this.pc = null;
    this.local = null;
    this.offerSent = false;
    this.outgoing = []; // our trickled candidates waiting for the call id
    this.incoming = []; // theirs waiting for the answer
    this.answered = false;
    this.connectedAt = null;
    this.endedAt = null;
    this.levels = { local: 0, remote: 0 };
    this.lastStats = null;
    this.timers = [];
    this.audioContext = null;
    this.audio = h("audio", { autoplay: true, class: "remote-audio" });
  }

  async start() {
    let servers = [];
    try {
      servers = (await get("/api/v1/webrtc")).ice_servers ?? [];
    } catch {
      servers = []; // loopback and closed networks need none
    }
    try {
      this.local = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      this.end("microphone", "", { tell: false });
      return;
    }
    if (this.ending) return this.stopMedia();
    this.pc = new RTCPeerConnection({
      iceServers: servers.map((server) => ({
        urls: server.urls,
        ...(server.username ? { username: server.username } : {}),
        ...(server.credential ? { credential: server.credential } : {}),
      })),
    });
    for (const track of this.local.getTracks()) this.pc.addTrack(track, this.local);
    this.pc.addEventListener("track", (event) => this.remoteTrack(event));
    this.pc.addEventListener("icecandidate", (event) => this.localCandidate(event.candidate));
    this.pc.addEventListener("connectionstatechange", () => this.connectionChanged());
    this.meter("local", this.local);
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await this.gathered();
    if (this.ending) return;
    const sent = this.ctx.sendSignal({
      type: "call.start",
      ref: this.ref,
      home_id: this.homeId,
      alarm_id: this.alarmId ?? null,
      sdp: this.pc.localDescription.sdp,
    });
    if (!sent) {
      this.end("connection", "", { tell: false });
      return;
    }
    this.offerSent = true;
    this.state = "calling";
    this.onChange();
    this.timers.push(setInterval(() => this.stats(), STATS_EVERY_MS));
  }

  gathered() {
    // Chromium finds its UDP candidates within milliseconds but its TCP ones some 120 ms
    // later, and the home unit uses UDP: the offer leaves with the first UDP candidate, the
    // rest follow as call.ice.
    return new Promise((resolve) => {
      const sdp = this.pc.localDescription?.sdp ?? "";
      if (this.pc.iceGatheringState === "complete" || / udp /i.test(sdp.match(/a=candidate:.*/g)?.join(" ") ?? "")) {
        return resolve();
      }
      const done = () => {
        this.pc?.removeEventListener("icegatheringstatechange", check);
        this.pc?.removeEventListener("icecandidate", found);
        resolve();
      };
      const check = () => {
        if (this.pc?.iceGatheringState === "complete") done();
      };
      const found = (event) => {
        if (event.candidate?.protocol === "udp") done();
      };
      this.pc.addEventListener("icegatheringstatechange", check);
      this.pc.addEventListener("icecandidate", found);
      setTimeout(done, GATHER_WAIT_MS);
    });
  }

  localCandidate(candidate) {
    // Candidates found before the offer left are in its SDP; later ones are trickled.
    if (!this.offerSent || this.state === "ended") return;
    const message = {
      type: "call.ice",
      candidate: candidate ? candidate.candidate.replace(/^a=/, "") : "",
      sdp_mid: candidate?.sdpMid ?? "0",
      sdp_mline_index: candidate?.sdpMLineIndex ?? 0,
    };
    if (this.callId) this.ctx.sendSignal({ ...message, call_id: this.callId });
    else this.outgoing.push(message);
  }

  async handle(message) {
    if (message.type === "call.placed" && message.ref === this.ref && !this.callId && (this.state === "ended" || this.ending)) {
      // Hung up before the hub named the call: end it at the hub and the home too.
      this.callId = message.call_id;
      this.ctx.sendSignal({ type: "call.hangup", call_id: message.call_id });
      return;
    }
    if (this.state === "ended" || this.ending) return;
    if (message.ref !== undefined && message.ref !== this.ref) return;
    if (message.call_id !== undefined && message.ref === undefined && message.call_id !== this.callId) return;
    switch (message.type) {
      case "call.placed":
        this.callId = message.call_id;
        for (const candidate of this.outgoing.splice(0)) {
          this.ctx.sendSignal({ ...candidate, call_id: this.callId });
        }
        this.onChange();
        break;
      case "call.refused":
        this.end("refused", hubReason(message.code, message.params, message.error ?? ""), {
          tell: false,
        });
        break;
      case "call.answer":
        try {
          await this.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
          this.answered = true;
          for (const candidate of this.incoming.splice(0)) await this.addRemote(candidate);
        } catch {
          this.end("failed", "", { tell: true });
        }
        break;
      case "call.ice":
        if (this.answered) await this.addRemote(message);
        else this.incoming.push(message);
        break;
      case "call.ended":
        this.end(message.reason ?? "home", "", { tell: false });
        break;
      default:
        break;
    }
  }

  async addRemote(message) {
    const candidate = message.candidate ?? "";
    try {
      await this.pc.addIceCandidate({
        candidate: candidate.replace(/^a=/, ""),
        sdpMid: message.sdp_mid ?? "0",
        sdpMLineIndex: message.sdp_mline_index ?? 0,
      });
    } catch {
      // a candidate the browser cannot use is not the end of the call
    }
  }

  remoteTrack(event) {
    const stream = event.streams[0] ?? new MediaStream([event.track]);
    this.audio.srcObject = stream;
    this.audio.play().catch(() => {});
    this.meter("remote", stream);
  }

  connectionChanged() {
    const state = this.pc?.connectionState;
    if (state === "connected" && this.state !== "connected") {
      this.state = "connected";
      this.connectedAt = Date.now();
      this.onChange();
    } else if (state === "failed") {
      this.end("failed", "", { tell: true });
    }
  }

  meter(which, stream) {
    try {
      if (this.audioContext === null) this.audioContext = new AudioContext();
      if (this.audioContext.state === "suspended") this.audioContext.resume().catch(() => {});
      const source = this.audioContext.createMediaStreamSource(stream);
      const analyser = this.audioContext.createAnalyser();
      analyser.fftSize = 1024;
      source.connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      this.timers.push(
        setInterval(() => {
          analyser.getFloatTimeDomainData(samples);
          let sum = 0;
          for (const sample of samples) sum += sample * sample;
          this.levels[which] = Math.min(1, Math.sqrt(sum / samples.length) * 4);
        }, LEVEL_EVERY_MS),
      );
    } catch {
      // no meter, the call goes on
    }
  }

  toggleMute() {
    this.muted = !this.muted;
    for (const track of this.local?.getAudioTracks() ?? []) track.enabled = !this.muted;
    this.onChange();
  }

  hangUp(reason) {
    this.end(reason, "", { tell: true });
  }

  /** Bytes and packets both ways, from the peer connection's statistics. */
  async stats() {
    if (!this.pc) return this.lastStats;
    const totals = { bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0 };
    try {
      const report = await this.pc.getStats();
      report.forEach((entry) => {
        if (entry.type === "outbound-rtp" && (entry.kind ?? entry.mediaType) === "audio") {
          totals.bytesSent += entry.bytesSent ?? 0;
          totals.packetsSent += entry.packetsSent ?? 0;
        }
        if (entry.type === "inbound-rtp" && (entry.kind ?? entry.mediaType) === "audio") {
          totals.bytesReceived += entry.bytesReceived ?? 0;
          totals.packetsReceived += entry.packetsReceived ?? 0;
        }
      });
    } catch {
      return this.lastStats;
    }
    this.lastStats = {
      ...totals,
      localLevel: this.levels.local,
      remoteLevel: this.levels.remote,
      state: this.state,
      callId: this.callId,
    };
    return this.lastStats;
  }

  duration() {
    if (this.connectedAt === null) return 0;
    return ((this.endedAt ?? Date.now()) - this.connectedAt) / 1000;
  }

  endText() {
    const key = `call.reason.${this.endReason}`;
    const text = t(key, { error: this.endDetail });
    return text === key ? this.endReason : text;
  }

  end(reason, detail, { tell }) {
    if (this.state === "ended" || this.ending) return;
    this.ending = true;
    if (tell && this.callId) this.ctx.sendSignal({ type: "call.hangup", call_id: this.callId });
    this.endReason = reason;
    this.endDetail = detail;
    this.endedAt = Date.now();
    // The last figures before the connection closes.
    const finish = () => {
      this.state = "ended";
      for (const timer of this.timers) clearInterval(timer);
      this.timers = [];
      this.levels = { local: 0, remote: 0 };
      this.pc?.close();
      this.stopMedia();
      this.audioContext?.close().catch(() => {});
      this.onChange();
    };
    this.stats().then(finish, finish);
  }

  stopMedia() {
    for (const track of this.local?.getTracks() ?? []) track.stop();
    this.audio.srcObject = null;
  }
}
