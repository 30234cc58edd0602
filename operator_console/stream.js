// The hub's WebSocket (/api/v1/stream): changes in, call signalling both ways; reconnects
// with a growing, jittered wait when it closes.

const FIRST_WAIT_MS = 500;
const LONGEST_WAIT_MS = 15000;

export class Stream {
  /**
   * ``onMessage(message)`` for each JSON message; ``onState("connecting"|"live"|"reconnecting")``;
   * ``onOpen()`` after every (re)connection, when the lists should be reloaded.
   */
  constructor({ onMessage, onState, onOpen }) {
    this.onMessage = onMessage;
    this.onState = onState;
    this.onOpen = onOpen;
    this.socket = null;
    this.failures = 0;
    this.stopped = true;
    this.retry = null;
  }

  start() {
    if (this.socket && !this.stopped) return; // already open (a sign-in answered twice)
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    if (this.socket) this.socket.close(1000, "signed out");
    this.socket = null;
  }

  get live() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /** Send ``message`` now; false when the socket is not open. */
  send(message) {
    if (!this.live) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/stream`);
    this.socket = socket;
    this.onState(this.failures === 0 ? "connecting" : "reconnecting");
    socket.addEventListener("open", () => {
      if (socket !== this.socket) return;
      this.failures = 0;
      this.onState("live");
      this.onOpen();
    });
    socket.addEventListener("message", (event) => {
      if (socket !== this.socket) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onMessage(message);
    });
    socket.addEventListener("close", () => {
      if (socket !== this.socket || this.stopped) return;
      this.socket = null;
      this.failures += 1;
      this.onState("reconnecting");
      const ceiling = Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** (this.failures - 1));
      const wait = ceiling / 2 + Math.random() * (ceiling / 2);
      this.retry = setTimeout(() => this.connect(), wait);
    });
  }
}
