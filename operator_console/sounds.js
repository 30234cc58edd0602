// The alarm sound: synthesised with the Web Audio API (no audio files), one pattern per
// priority, repeated while any alarm waits unclaimed. "Mute" silences it for a while only:
// a new alarm, or the end of the pause, brings it back.

/** Per priority: a pause between repeats (s), the wave, and the notes [Hz, s] (0 Hz = rest). */
export const PATTERNS = {
  1: { every: 2.0, wave: "square", gain: 0.12, notes: [[988, 0.12], [0, 0.06], [988, 0.12], [0, 0.06], [988, 0.12]] },
  2: { every: 3.5, wave: "triangle", gain: 0.25, notes: [[784, 0.2], [0, 0.08], [622, 0.25]] },
  3: { every: 6.0, wave: "sine", gain: 0.25, notes: [[587, 0.35]] },
  4: { every: 10.0, wave: "sine", gain: 0.18, notes: [[440, 0.18], [0, 0.12], [440, 0.18]] },
  5: { every: 20.0, wave: "sine", gain: 0.12, notes: [[392, 0.25]] },
};
export const MUTE_MS = 2 * 60 * 1000;

export class Alerter {
  constructor(onChange = () => {}) {
    this.context = null;
    this.priority = null;
    this.mutedUntil = 0;
    this.timer = null;
    this.played = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
    this.onChange = onChange;
  }

  /** Make or wake the audio context; call from a click or key press (browsers insist). */
  unlock() {
    try {
      if (this.context === null) {
        this.context = new AudioContext();
        // Browsers may start it suspended and let it run a moment later: say so when it does.
        this.context.addEventListener("statechange", () => this.changed());
      }
      if (this.context.state === "suspended") {
        this.context.resume().then(() => this.changed(), () => {});
      }
    } catch {
      this.context = null;
    }
    this.changed();
  }

  /** Whether the browser keeps the sound off until the operator presses a button. */
  get blocked() {
    return this.context === null || this.context.state !== "running";
  }

  get muted() {
    return Date.now() < this.mutedUntil;
  }

  /**
   * The most urgent waiting alarm's priority (or null: silence). ``fresh`` says an alarm
   * arrived that was not waiting before: it ends a mute.
   */
  update(priority, { fresh = false } = {}) {
    if (fresh) this.mutedUntil = 0;
    const changed = priority !== this.priority;
    this.priority = priority;
    if (changed || fresh) this.schedule(0);
    this.changed();
  }

  mute() {
    this.mutedUntil = Date.now() + MUTE_MS;
    this.schedule(MUTE_MS);
    this.changed();
  }

  unmute() {
    this.mutedUntil = 0;
    this.schedule(0);
    this.changed();
  }

  stop() {
    this.priority = null;
    this.mutedUntil = 0;
    clearTimeout(this.timer);
    this.changed();
  }

  /** What is happening, for the page and for tests: off, blocked, muted or the priority. */
  get state() {
    if (this.priority === null) return "off";
    if (this.muted) return "muted";
    if (this.blocked) return "blocked";
    return String(this.priority);
  }

  changed() {
    document.body.dataset.alertSound = this.state;
    this.onChange(this.state);
  }

  schedule(delayMs) {
    clearTimeout(this.timer);
    if (this.priority === null) return;
    this.timer = setTimeout(() => this.tick(), delayMs);
  }

  tick() {
    const pattern = PATTERNS[this.priority] ?? PATTERNS[5];
    if (this.muted) {
      this.schedule(this.mutedUntil - Date.now() + 10);
      this.changed();
      return;
    }
    if (!this.blocked) {
      this.play(pattern);
      this.played[this.priority] = (this.played[this.priority] ?? 0) + 1;
    }
    this.changed();
    this.schedule(pattern.every * 1000);
  }

  play(pattern) {
    const context = this.context;
    let at = context.currentTime + 0.02;
    for (const [hz, seconds] of pattern.notes) {
      if (hz > 0) {
        const oscillator = context.createOscillator();
        const envelope = context.createGain();
        oscillator.type = pattern.wave;
        oscillator.frequency.value = hz;
        // A short rise and fall: no clicks, nothing harsh.
        envelope.gain.setValueAtTime(0, at);
        envelope.gain.linearRampToValueAtTime(pattern.gain, at + 0.015);
        envelope.gain.setValueAtTime(pattern.gain, at + seconds - 0.03);
        envelope.gain.linearRampToValueAtTime(0, at + seconds);
        oscillator.connect(envelope).connect(context.destination);
        oscillator.start(at);
        oscillator.stop(at + seconds + 0.01);
      }
      at += seconds;
    }
  }
}
