// The console: sign-in, the live queue, the selected alarm or call, and the views.
//
// Each role gets its own console (roles.js): operators the operations room (the queue, the
// history), social workers the social work (their district's people, each person's page),
// supervisors and admins both, with a switch between them. Only a role that answers alarms
// opens the live stream and hears the alarm sound.
//
// State lives here; the other modules draw parts of the page from it and call back through
// the context object ``ctx``.

import {
  ApiError,
  describeError,
  get,
  isOpenAlarm,
  loadVocabulary,
  onSignedOut,
  post,
  setCsrf,
} from "./api.js";
import { CallPanel } from "./call.js";
import { Detail } from "./detail.js";
import { announce, h, replace } from "./dom.js";
import { History } from "./history.js";
import {
  LANGUAGE_ORDER,
  label,
  language,
  onLanguageChange,
  setLanguage,
  t,
  translatePage,
} from "./i18n.js";
import { People } from "./people.js";
import { Person } from "./person.js";
import { Plans } from "./plans.js";
import { Queue } from "./queue.js";
import { Report } from "./report.js";
import { Review } from "./review.js";
import { AREAS, answersAlarms, areaOf, areasOf, firstView, isBoss, landing, mayOpen, viewsOf } from "./roles.js";
import { Alerter } from "./sounds.js";
import { Stream } from "./stream.js";
import { Supervisor } from "./supervisor.js";

const PAGES_AT_MOST = 10;
/** Where the skip link leads in the operations room (in the social work: the view's heading). */
const SKIP_TO_QUEUE = "#queue-title";

const $ = (id) => document.getElementById(id);

const state = {
  me: null,
  alarms: new Map(),
  calls: new Map(),
  homes: new Map(), // home_id -> {names: [..], online, last_seen}
  selected: null, // {type: "alarm"|"call", id}
  view: null,
  area: null,
  lastView: {}, // area -> the view last shown in it, to come back to
  waiting: new Set(), // ids of alarms waiting unclaimed at the last look (for the sound)
};

const ctx = {
  state,
  isBoss: () => isBoss(state.me?.role),
  actsOnAlarms: () => answersAlarms(state.me?.role),
  homeNames,
  select,
  claim,
  applyAlarm,
  applyCall,
  reloadCalls: () => reloadCalls(),
  focusQueue: () => queue.focusCurrent(),
  startCall: (homeId, alarmId) => calls.start(homeId, alarmId),
  sendSignal: (message) => stream.send(message),
  inCall: () => calls.call !== null,
  ensureHome,
  showView: (view) => showView(view),
  openPerson: (homeId, options) => openPerson(homeId, options),
};

const alerter = new Alerter(renderSound);
const queue = new Queue(ctx);
const detail = new Detail(ctx);
const calls = new CallPanel(ctx);
const history = new History(ctx);
const supervisor = new Supervisor(ctx);
const people = new People(ctx);
const person = new Person(ctx);
const review = new Review(ctx);
const plans = new Plans(ctx);
const report = new Report(ctx);
ctx.detail = detail;

const stream = new Stream({
  onMessage: receive,
  onState: renderConnection,
  onOpen: () => reloadLists(),
});

// --- start-up and sign-in --------------------------------------------------------------

function boot() {
  const picker = $("language");
  replace(
    picker,
    LANGUAGE_ORDER.map((code) =>
      h("option", { value: code, selected: code === language() }, code === "it" ? "Italiano" : "English"),
    ),
  );
  picker.addEventListener("change", () => setLanguage(picker.value));
  onLanguageChange(() => {
    picker.value = language();
    translatePage();
    rerender();
  });
  translatePage();

  $("login-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("sound-enable").addEventListener("click", () => alerter.unlock());
  for (const button of document.querySelectorAll("[data-area]")) {
    button.addEventListener("click", () => showArea(button.dataset.area));
  }
  $("sound-mute").addEventListener("click", () => {
    alerter.unlock();
    if (alerter.muted) alerter.unmute();
    else alerter.mute();
  });
  for (const button of document.querySelectorAll("[data-view]")) {
    button.addEventListener("click", () => showView(button.dataset.view));
  }
  // Any click or key wakes the audio (browsers start it only after a gesture), for those who
  // answer alarms: nobody else ever gets an audio context.
  const wake = () => state.me && ctx.actsOnAlarms() && alerter.unlock();
  document.addEventListener("pointerdown", wake, { capture: true });
  document.addEventListener("keydown", wake, { capture: true });
  onSignedOut(() => {
    if (state.me) signedOut(t("error.signed_out"));
  });
  setInterval(tick, 1000);
  resume();
}

async function resume() {
  try {
    const me = await get("/api/v1/auth/me", { quiet401: true });
    await enter(me);
  } catch {
    showLogin();
  }
}

function showLogin(message = "") {
  document.body.dataset.signedIn = "false";
  $("shell").hidden = true;
  $("login").hidden = false;
  $("who-box").hidden = true;
  $("login-error").textContent = message;
  $("login-password").value = "";
  $("login-username").focus();
}

async function signIn(event) {
  event.preventDefault();
  const error = $("login-error");
  error.textContent = t("login.checking");
  const username = $("login-username").value.trim();
  const password = $("login-password").value;
  try {
    const me = await post("/api/v1/auth/login", { username, password }, { quiet401: true });
    await enter(me);
    // The sign-in was a click or a key: the sound may start (sticky activation), for a role
    // that answers alarms only.
    if (ctx.actsOnAlarms()) alerter.unlock();
    error.textContent = "";
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 422)) {
      error.textContent = t("login.failed");
    } else if (err instanceof ApiError && err.status === 429) {
      error.textContent = t("login.throttled");
    } else {
      error.textContent = describeError(err);
    }
  }
}

/** Signed in: the hub's vocabulary comes first, as the queue and the forms are drawn from it. */
async function enter(me) {
  await loadVocabulary();
  signedIn(me);
}

function signedIn(me) {
  state.me = me;
  setCsrf(me.csrf_token);
  document.body.dataset.signedIn = "true";
  document.body.dataset.role = me.role;
  $("login").hidden = true;
  $("shell").hidden = false;
  $("who-box").hidden = false;
  const areas = areasOf(me.role);
  const operations = answersAlarms(me.role);
  // Someone who answers no alarm gets no live queue, no connection light and no sound.
  $("sound-box").hidden = !operations;
  $("connection").hidden = !operations;
  $("area-switch").hidden = areas.length < 2;
  for (const area of Object.keys(AREAS)) {
    for (const view of AREAS[area]) $(`nav-${view}`).hidden = !viewsOf(me.role, area).includes(view);
  }
  renderWho();
  const first = landing(me.role);
  if (first === null) {
    announce(t("error.no_views", { role: label("role", me.role) }), { error: true });
    return;
  }
  showView(first);
  if (operations) {
    loadHomeNames();
    reloadLists();
    stream.start();
    queue.focusCurrent();
  }
}

async function signOut() {
  try {
    await post("/api/v1/auth/logout", {}, { quiet401: true });
  } catch {
    // signed out here whatever the hub says
  }
  signedOut("");
}

function signedOut(message) {
  calls.forget(); // hung up while the stream can still carry it
  stream.stop();
  alerter.stop();
  supervisor.stop();
  state.me = null;
  state.view = null;
  state.area = null;
  state.lastView = {};
  state.alarms.clear();
  state.calls.clear();
  state.homes.clear();
  state.waiting.clear();
  asked.clear();
  buffered = [];
  clearTimeout(reloadRetry);
  state.selected = null;
  setCsrf("");
  detail.clear();
  history.clear();
  people.clear();
  person.clear();
  review.clear();
  plans.clear();
  report.clear();
  queue.render();
  for (const area of Object.keys(AREAS)) $(`area-${area}-main`).hidden = true;
  showLogin(message);
}

// --- the lists: loaded through REST, kept up by the stream ------------------------------

let reloading = null;
let reloadAgain = false;
const RELOAD_BACKOFF_FIRST_MS = 1000;
const RELOAD_BACKOFF_MAX_MS = 15000;
let reloadRetry = null;
let reloadBackoff = RELOAD_BACKOFF_FIRST_MS;
let buffered = [];

async function reloadLists() {
  if (reloading) {
    reloadAgain = true;
    return reloading;
  }
  reloading = (async () => {
    let failed = false;
    do {
      reloadAgain = false;
      failed = false;
      try {
        const [open, tasks] = await Promise.all([openAlarms(), get("/api/v1/calls?state=open")]);
        if (!state.me) break; // signed out meanwhile
        state.alarms = new Map(open.map((alarm) => [alarm.alarm_id, alarm]));
        state.calls = new Map(tasks.items.map((task) => [task.task_id, task]));
      } catch (err) {
        failed = true;
        if (!(err instanceof ApiError && err.status === 401)) announce(describeError(err), { error: true });
      }
    } while (reloadAgain);
    reloading = null;
    // A reload that failed is tried again, waiting longer each time: alarms raised while the
    // socket was down must not stay missing until the next reconnect.
    clearTimeout(reloadRetry);
    if (failed && state.me) {
      reloadRetry = setTimeout(reloadLists, reloadBackoff);
      reloadBackoff = Math.min(reloadBackoff * 2, RELOAD_BACKOFF_MAX_MS);
    } else {
      reloadBackoff = RELOAD_BACKOFF_FIRST_MS;
    }
    // What the stream brought meanwhile, in order, over the snapshot: nothing newer is lost.
    const missed = buffered;
    buffered = [];
    if (state.me) for (const message of missed) dispatch(message);
    listsChanged();
    const selected = state.selected;
    if (selected?.type === "alarm" && state.alarms.has(selected.id)) {
      detail.updateAlarm(state.alarms.get(selected.id));
    } else if (selected?.type === "call" && state.calls.has(selected.id)) {
      detail.updateTask(state.calls.get(selected.id));
    } else if (selected && state.me) {
      await refreshClosed(selected);
    }
  })();
  return reloading;
}

// The selected alarm or call was closed while the socket was down: it is no longer in the
// open lists, so its panel is brought up to date from the hub.
async function refreshClosed(selected) {
  try {
    if (selected.type === "alarm") {
      const alarm = await get(`/api/v1/alarms/${encodeURIComponent(selected.id)}`);
      if (state.selected?.id === selected.id) detail.updateAlarm(alarm);
    } else if (selected.type === "call") {
      const page = await get("/api/v1/calls?state=all&limit=200");
      const task = page.items.find((item) => item.task_id === selected.id);
      if (task && state.selected?.id === selected.id) detail.updateTask(task);
    }
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) announce(describeError(err), { error: true });
  }
}

async function openAlarms() {
  const found = [];
  let query = "/api/v1/alarms?state=open&limit=200";
  for (let page = 0; page < PAGES_AT_MOST; page += 1) {
    const result = await get(query);
    found.push(...result.items);
    if (!result.next_before) break;
    query =
      `/api/v1/alarms?state=open&limit=200&before=${encodeURIComponent(result.next_before)}` +
      `&before_id=${result.next_before_id}`;
  }
  return found;
}

let callsTimer = null;

function reloadCalls() {
  clearTimeout(callsTimer);
  callsTimer = setTimeout(async () => {
    try {
      const tasks = await get("/api/v1/calls?state=open");
      state.calls = new Map(tasks.items.map((task) => [task.task_id, task]));
      listsChanged();
      const selected = state.selected;
      if (selected?.type === "call") {
        const task = state.calls.get(selected.id);
        if (task) detail.updateTask(task);
        else detail.refreshTask();
      }
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) announce(describeError(err), { error: true });
    }
  }, 150);
}

function receive(message) {
  if (typeof message?.type !== "string") return;
  if (message.type.startsWith("call.")) {
    calls.handle(message);
    return;
  }
  if (reloading && (message.type === "alarm" || message.type === "call")) {
    buffered.push(message);
    return;
  }
  dispatch(message);
}

function dispatch(message) {
  switch (message.type) {
    case "alarm":
      applyAlarm(message.alarm);
      break;
    case "call":
      applyCall(message.call);
      break;
    case "presence":
      applyPresence(message.presence);
      break;
    case "resync":
      reloadLists();
      break;
    default:
      break;
  }
  supervisor.poke();
}

function applyAlarm(alarm) {
  if (!alarm?.alarm_id) return;
  const known = state.alarms.get(alarm.alarm_id);
  const merged = { ...known, ...alarm };
  if (isOpenAlarm(merged.state)) state.alarms.set(merged.alarm_id, merged);
  else state.alarms.delete(merged.alarm_id);
  if (state.selected?.type === "alarm" && state.selected.id === merged.alarm_id) {
    detail.updateAlarm(merged);
  }
  history.alarmChanged(merged);
  listsChanged();
}

function applyCall(task) {
  // The stream's record lacks the resident's name, "due" and the attempts: ask for the list.
  if (task?.task_id && state.calls.has(task.task_id)) {
    state.calls.set(task.task_id, { ...state.calls.get(task.task_id), ...task });
  }
  reloadCalls();
}

function applyPresence(presence) {
  if (!presence?.home_id) return;
  const home = state.homes.get(presence.home_id) ?? { names: [] };
  state.homes.set(presence.home_id, { ...home, online: presence.online, last_seen: presence.last_seen });
  detail.updatePresence(presence);
}

function listsChanged() {
  for (const alarm of state.alarms.values()) ensureHome(alarm.home_id);
  queue.render();
  const waiting = [...state.alarms.values()].filter((alarm) => alarm.state === "raised");
  const fresh = waiting.some((alarm) => !state.waiting.has(alarm.alarm_id));
  state.waiting = new Set(waiting.map((alarm) => alarm.alarm_id));
  const priority = waiting.length ? Math.min(...waiting.map((alarm) => alarm.priority)) : null;
  alerter.update(priority, { fresh });
}

// --- residents' names for the queue -------------------------------------------------------

async function loadHomeNames() {
  try {
    const homes = await get("/api/v1/homes?limit=200");
    for (const home of homes.items) {
      state.homes.set(home.home_id, {
        names: home.residents,
        online: home.online,
        last_seen: home.last_seen,
      });
    }
    queue.render();
  } catch {
    // names are a help, not a need
  }
}

const asked = new Set();

/** The home's card is fetched once for a home the list of homes did not have. */
function ensureHome(homeId) {
  if (!homeId || state.homes.has(homeId) || asked.has(homeId)) return;
  asked.add(homeId);
  get(`/api/v1/homes/${encodeURIComponent(homeId)}`)
    .then((card) => {
      noteCard(card);
      queue.render();
    })
    .catch(() => {});
}

/** Remember what a fetched card says about its home. */
function noteCard(card) {
  state.homes.set(card.home_id, {
    names: card.residents.map((resident) => resident.full_name),
    online: card.presence?.online ?? null,
    last_seen: card.presence?.last_seen ?? null,
  });
}
ctx.noteCard = noteCard;

function homeNames(homeId) {
  return state.homes.get(homeId)?.names ?? [];
}

// --- selecting and claiming ----------------------------------------------------------------

function select(type, id, { focus = false, record = null } = {}) {
  state.selected = { type, id };
  queue.render();
  if (type === "alarm") {
    detail.openAlarm(record ?? state.alarms.get(id) ?? { alarm_id: id }, { focus });
  } else {
    detail.openTask(record ?? state.calls.get(id), { focus });
  }
}

async function claim(type, id) {
  if (!ctx.actsOnAlarms()) {
    announce(t("error.forbidden"), { error: true });
    return;
  }
  if (type === "alarm") {
    const alarm = state.alarms.get(id);
    if (alarm && alarm.state !== "raised" && alarm.claimed_by && alarm.claimed_by !== state.me.username) {
      announce(t("error.claimed_by", { user: alarm.claimed_by }), { error: true });
      return;
    }
    try {
      applyAlarm(await post(`/api/v1/alarms/${id}/claim`));
      announce(t("done.claimed"));
      if (state.selected?.type === "alarm" && state.selected.id === id) detail.refreshTimeline();
    } catch (err) {
      await explainClaimRefusal(err, id);
    }
  } else {
    try {
      const task = await post(`/api/v1/calls/${id}/claim`);
      state.calls.set(task.task_id, task);
      listsChanged();
      if (state.selected?.type === "call" && state.selected.id === id) detail.updateTask(task);
      announce(t("done.claimed"));
    } catch (err) {
      announce(describeError(err), { error: true });
      reloadCalls();
    }
  }
}

/** A refused claim: say who has it, in the operator's language, when that is the reason. */
async function explainClaimRefusal(err, id) {
  if (err instanceof ApiError && err.status === 409) {
    try {
      const fresh = await get(`/api/v1/alarms/${id}`);
      applyAlarm(fresh);
      if (fresh.claimed_by && fresh.claimed_by !== state.me.username) {
        announce(t("error.claimed_by", { user: fresh.claimed_by }), { error: true });
        return;
      }
    } catch {
      // fall through to the hub's own words
    }
  }
  announce(describeError(err), { error: true });
}

// --- views, header, timers -----------------------------------------------------------------

/** Switch to ``area`` (supervisors and admins): the view last shown there, else its first. */
function showArea(area) {
  if (!state.me || !areasOf(state.me.role).includes(area)) return;
  showView(state.lastView[area] ?? firstView(area));
  document.querySelector(`#area-${area}-main h2`)?.focus();
}

function showView(view) {
  const role = state.me?.role;
  if (!mayOpen(role, view)) view = landing(role);
  if (view === null) return;
  const area = areaOf(view);
  state.view = view;
  state.area = area;
  state.lastView[area] = view;
  for (const name of Object.keys(AREAS)) {
    $(`area-${name}-main`).hidden = name !== area;
    $(`nav-${name}`).hidden = name !== area;
    const button = $(`area-${name}`);
    button.setAttribute("aria-pressed", name === area ? "true" : "false");
  }
  $("area-operations-main").dataset.view = view;
  // The person's page belongs to "people" in the navigation.
  const current = view === "person" ? "people" : view;
  for (const name of [...AREAS.operations, ...AREAS.social, "person"]) {
    $(`view-${name}`).hidden = name !== view;
    const button = $(`nav-${name}`);
    if (!button) continue;
    if (name === current) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  $("skip").setAttribute("href", area === "social" ? `#${view}-title` : SKIP_TO_QUEUE);
  $("skip").textContent = t(`app.skip.${area}`);
  if (view === "supervisor") supervisor.start();
  else supervisor.stop();
  if (view === "history") history.show();
  if (view === "people") people.show();
  if (view === "review") review.show();
  if (view === "plans") plans.show();
  if (view === "report") report.show();
}

function openPerson(homeId, options = {}) {
  showView("person");
  person.open(homeId, options);
}

function renderWho() {
  if (!state.me) return;
  $("who").textContent = t("header.user", {
    username: state.me.username,
    role: label("role", state.me.role),
  });
}

let connection = "connecting";

function renderConnection(value) {
  connection = value ?? connection;
  const element = $("connection");
  element.textContent = t(`connection.${connection}`);
  element.dataset.state = connection;
  if (value === "reconnecting" && state.me) {
    calls.connectionLost();
    // Closed because the session ended? Then a request says 401 and signs out.
    get("/api/v1/auth/me").catch(() => {});
  }
}

function renderSound() {
  const mute = $("sound-mute");
  const enable = $("sound-enable");
  const note = $("sound-state");
  enable.hidden = !(alerter.blocked && state.me);
  mute.textContent = alerter.muted ? t("sound.unmute") : t("sound.mute");
  mute.setAttribute("aria-pressed", alerter.muted ? "true" : "false");
  if (alerter.muted) {
    const until = new Date(alerter.mutedUntil);
    note.textContent = t("sound.muted", {
      until: until.toLocaleTimeString(language(), { hour: "2-digit", minute: "2-digit" }),
    });
  } else if (alerter.state === "blocked") {
    note.textContent = t("sound.blocked");
  } else {
    note.textContent = "";
  }
}

function rerender() {
  renderWho();
  renderConnection();
  renderSound();
  queue.render();
  detail.rerender();
  calls.render();
  history.rerender();
  supervisor.render();
  people.rerender();
  person.rerender();
  review.rerender();
  plans.rerender();
  report.rerender();
  if (state.area) $("skip").textContent = t(`app.skip.${state.area}`);
}

function tick() {
  if (!state.me) return;
  queue.tick();
  detail.tick();
  calls.tick();
}

boot();
