// The selected alarm or well-being call: what it is, what can be done, its timeline, and
// the resident's card. Built once per selection; updates change texts and buttons in place,
// so what the operator is typing in a form survives a change arriving on the stream.

import { describeError, get, isOpenAlarm, post, vocabulary } from "./api.js";
import { Card } from "./card.js";
import { announce, field, h, replace, select } from "./dom.js";
import { formatElapsed, formatWhen, formatWhenExact, label, reason, t } from "./i18n.js";
import { isDue, waited } from "./queue.js";

const TIMELINE_DELAY_MS = 250;

export class Detail {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("detail-body");
    this.card = new Card(ctx);
    this.kind = null;
    this.alarm = null;
    this.timeline = null;
    this.task = null;
    this.parts = {};
    this.loading = 0;
    this.timelineTimer = null;
    document.getElementById("detail").addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.defaultPrevented) {
        event.preventDefault();
        this.ctx.focusQueue();
      }
    });
    this.clear();
  }

  clear() {
    this.kind = null;
    this.alarm = this.task = this.timeline = null;
    this.card.reset();
    replace(this.root, h("p", { class: "empty" }, t("panel.empty")));
  }

  rerender() {
    if (this.kind === "alarm") {
      this.buildAlarm();
      this.renderTimeline();
    } else if (this.kind === "call") {
      this.buildTask();
    } else {
      this.clear();
    }
    this.card.render();
  }

  tick() {
    // Only an open alarm's waiting time runs; a closed one keeps what it shows.
    const open = this.kind === "alarm" && isOpenAlarm(this.alarm.state);
    if (open && this.parts.timer && this.alarm.raised_at) {
      const { seconds, level } = waited(this.alarm);
      this.parts.timer.textContent = formatElapsed(seconds);
      this.parts.timer.dataset.level = level;
      this.parts.timerNote.textContent = level ? t(`timer.${level}`) : "";
    }
  }

  // --- an alarm -------------------------------------------------------------------------

  openAlarm(alarm, { focus = false } = {}) {
    this.kind = "alarm";
    this.alarm = alarm;
    this.task = null;
    this.timeline = null;
    this.card.reset();
    this.buildAlarm();
    if (focus) this.parts.title.focus();
    this.loadAlarm();
  }

  updateAlarm(alarm) {
    if (this.kind !== "alarm" || this.alarm?.alarm_id !== alarm.alarm_id) return;
    this.alarm = { ...this.alarm, ...alarm };
    this.refreshAlarm();
    clearTimeout(this.timelineTimer);
    this.timelineTimer = setTimeout(() => this.refreshTimeline(), TIMELINE_DELAY_MS);
  }

  async loadAlarm() {
    const id = this.alarm.alarm_id;
    const ticket = ++this.loading;
    await this.refreshTimeline();
    if (ticket !== this.loading || this.kind !== "alarm" || this.alarm.alarm_id !== id) return;
    if (this.alarm.home_id) this.card.load(this.parts.card, this.alarm.home_id, this.cardOptions());
  }

  async refreshTimeline() {
    clearTimeout(this.timelineTimer);
    if (this.kind !== "alarm") return;
    const id = this.alarm.alarm_id;
    try {
      const detail = await get(`/api/v1/alarms/${id}`);
      if (this.kind !== "alarm" || this.alarm.alarm_id !== id) return;
      const { timeline, ...alarm } = detail;
      this.alarm = { ...this.alarm, ...alarm };
      this.timeline = timeline;
      this.refreshAlarm();
      this.renderTimeline();
    } catch (err) {
      if (this.kind === "alarm" && this.alarm.alarm_id === id) {
        replace(this.parts.timeline, h("li", { class: "error" }, describeError(err)));
      }
    }
  }

  /**
   * The hub writes a call's start and end on the alarm's timeline just after telling the
   * console, and no alarm change follows: look again until the step is there (a few tries).
   */
  async awaitStep(alarmId, action) {
    const count = () => (this.timeline ?? []).filter((step) => step.action === action).length;
    if (this.kind !== "alarm" || this.alarm.alarm_id !== alarmId) return;
    const before = count();
    for (let attempt = 0; attempt < 8; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250 * (attempt + 1)));
      if (this.kind !== "alarm" || this.alarm.alarm_id !== alarmId) return;
      await this.refreshTimeline();
      if (count() > before) return;
    }
  }

  cardOptions() {
    return {
      onRecordContact: (contact) => this.prefillResponder(contact),
      canRecordContact: () =>
        this.kind === "alarm" && isOpenAlarm(this.alarm.state) && this.ctx.actsOnAlarms(),
      // From a closed alarm or a call task: a call to the home without an alarm.
      callHome: () => !(this.kind === "alarm" && isOpenAlarm(this.alarm.state)),
    };
  }

  buildAlarm() {
    const parts = {};
    parts.title = h("h2", { id: "detail-title", tabindex: "-1" });
    parts.priority = h("span", { class: "priority" });
    parts.state = h("span", { class: "badge state" });
    parts.escalated = h("span", { class: "badge escalated", hidden: true }, t("badge.escalated"));
    parts.timer = h("span", { class: "timer" });
    parts.timerNote = h("span", { class: "timer-note" });
    parts.home = h("p", { class: "home-line" });
    parts.claim = h("button", { type: "button", class: "primary", onclick: () => this.claim() });
    parts.start = h("button", { type: "button", onclick: () => this.act("start", {}, "done.started") }, t("action.start"));
    parts.call = h("button", { type: "button", class: "call", onclick: () => this.callHome() }, t("action.call_home"));
    parts.release = h("button", { type: "button", onclick: () => this.act("release", {}, "done.released") }, t("action.release"));
    parts.resolveForm = this.resolveForm(parts);
    parts.noteForm = this.noteForm(parts);
    parts.responderForm = this.responderForm(parts);
    parts.timeline = h("ol", { class: "timeline", id: "alarm-timeline" });
    parts.card = h("section", { class: "card", "aria-labelledby": "card-title" });
    this.parts = parts;
    replace(
      this.root,
      h(
        "section",
        { class: "panel alarm-panel", "aria-labelledby": "detail-title" },
        h(
          "header",
          { class: "panel-head" },
          parts.title,
          h(
            "p",
            { class: "meta" },
            parts.priority,
            parts.state,
            parts.escalated,
            h("span", { class: "waiting" }, h("span", { class: "sr-only" }, `${t("timer.label")} `), parts.timer, " ", parts.timerNote),
          ),
          parts.home,
        ),
        h(
          "div",
          { class: "actions", role: "group", "aria-label": t("panel.actions") },
          parts.claim,
          parts.start,
          parts.call,
          parts.release,
        ),
        h("div", { class: "forms" }, parts.resolveForm, parts.noteForm, parts.responderForm),
        h(
          "section",
          { class: "timeline-box", "aria-labelledby": "timeline-title" },
          h("h3", { id: "timeline-title" }, t("timeline.title")),
          parts.timeline,
        ),
        parts.card,
      ),
    );
    this.refreshAlarm();
    this.renderTimeline();
  }

  resolveForm(parts) {
    parts.outcome = select(
      { name: "outcome", required: true },
      vocabulary().resolve_outcomes.map((o) => [o, label("outcome", o)]),
      t("form.choose"),
    );
    parts.outcomeNotes = h("textarea", { name: "notes", rows: "2", maxlength: "4000" });
    parts.resolve = h("button", { type: "submit", class: "primary" }, t("action.resolve"));
    return h(
      "form",
      {
        class: "resolve",
        onsubmit: async (event) => {
          event.preventDefault();
          if (!parts.outcome.value) {
            parts.outcome.focus();
            return;
          }
          const body = { outcome: parts.outcome.value };
          if (parts.outcomeNotes.value.trim()) body.notes = parts.outcomeNotes.value.trim();
          if (await this.act("resolve", body, "done.resolved")) {
            parts.outcome.value = "";
            parts.outcomeNotes.value = "";
          }
        },
      },
      field(t("form.outcome"), parts.outcome),
      field(t("form.outcome_notes"), parts.outcomeNotes),
      parts.resolve,
    );
  }

  noteForm(parts) {
    parts.note = h("textarea", { name: "note", rows: "2", maxlength: "4000" });
    parts.addNote = h("button", { type: "submit" }, t("action.add_note"));
    return h(
      "form",
      {
        class: "note",
        onsubmit: async (event) => {
          event.preventDefault();
          const text = parts.note.value.trim();
          if (!text) {
            parts.note.focus();
            return;
          }
          if (await this.act("notes", { text }, "done.note")) parts.note.value = "";
        },
      },
      field(t("form.note"), parts.note),
      parts.addNote,
    );
  }

  responderForm(parts) {
    parts.responderName = h("input", { name: "name", type: "text", maxlength: "200", autocomplete: "off" });
    parts.responderPhone = h("input", { name: "phone", type: "tel", maxlength: "40", autocomplete: "off" });
    parts.responderResult = select(
      { name: "result", required: true },
      vocabulary().responder_results.map((r) => [r, label("responder", r)]),
      t("form.choose"),
    );
    parts.responderNotes = h("input", { name: "notes", type: "text", maxlength: "1000", autocomplete: "off" });
    parts.recordResponder = h("button", { type: "submit" }, t("action.record_responder"));
    return h(
      "form",
      {
        class: "responder",
        onsubmit: async (event) => {
          event.preventDefault();
          const name = parts.responderName.value.trim();
          if (!name) return parts.responderName.focus();
          if (!parts.responderResult.value) return parts.responderResult.focus();
          const body = { name, result: parts.responderResult.value };
          if (parts.responderPhone.value.trim()) body.phone = parts.responderPhone.value.trim();
          if (parts.responderNotes.value.trim()) body.notes = parts.responderNotes.value.trim();
          if (await this.act("responders", body, "done.responder")) {
            for (const input of [parts.responderName, parts.responderPhone, parts.responderResult, parts.responderNotes]) {
              input.value = "";
            }
          }
        },
      },
      h(
        "fieldset",
        {},
        h("legend", {}, t("form.responder")),
        field(t("form.responder_name"), parts.responderName),
        field(t("form.responder_phone"), parts.responderPhone),
        field(t("form.responder_result"), parts.responderResult),
        field(t("form.responder_notes"), parts.responderNotes),
        parts.recordResponder,
      ),
    );
  }

  prefillResponder(contact) {
    if (this.kind !== "alarm") return;
    this.parts.responderName.value = contact.name;
    this.parts.responderPhone.value = contact.phone;
    this.parts.responderResult.focus();
  }

  /** Texts and buttons from ``this.alarm`` (who may do what now). */
  refreshAlarm() {
    const a = this.alarm;
    const p = this.parts;
    if (!p.title) return;
    const me = this.ctx.state.me?.username;
    const acts = this.ctx.actsOnAlarms();
    const holder = a.claimed_by === me || this.ctx.isBoss();
    const open = isOpenAlarm(a.state);
    p.title.textContent = a.reason_key ? reason(a.reason_key, a.reason_params) : t("panel.loading");
    if (a.priority) {
      p.priority.className = `priority p${a.priority}`;
      p.priority.textContent = label("priority", a.priority);
    }
    p.state.textContent = a.state
      ? a.claimed_by && open
        ? `${label("state", a.state)} · ${a.claimed_by === me ? t("badge.mine") : t("badge.claimed_by", { user: a.claimed_by })}`
        : `${label("state", a.state)}${a.outcome ? ` · ${label("outcome", a.outcome)}` : ""}`
      : "";
    p.state.dataset.state = a.state ?? "";
    p.escalated.hidden = !a.escalated_at;
    const names = this.ctx.homeNames(a.home_id);
    p.home.textContent = a.home_id
      ? `${t("panel.home", { home: a.home_id })}${names.length ? ` · ${names.join(", ")}` : ""} · ${t("panel.raised_at", { when: formatWhen(a.raised_at) })}`
      : "";
    this.tick();
    if (!open && a.state) {
      p.timer.textContent = "";
      p.timerNote.textContent = a.closed_at ? formatWhen(a.closed_at) : "";
    }

    const otherHolder = open && a.state !== "raised" && a.claimed_by && a.claimed_by !== me;
    p.claim.textContent = otherHolder ? t("action.claimed_by", { user: a.claimed_by }) : t("action.claim");
    p.claim.disabled = !(acts && a.state === "raised");
    p.claim.hidden = !open;
    p.start.disabled = !(acts && holder && a.state === "claimed");
    p.start.hidden = !open;
    p.release.disabled = !(acts && holder && a.state === "claimed");
    p.release.hidden = !open;
    p.call.disabled = !(acts && open && holder && a.state !== "raised") || this.ctx.inCall();
    p.call.hidden = !open;
    const canResolve = acts && holder && (a.state === "claimed" || a.state === "in_progress");
    p.resolveForm.hidden = !open;
    for (const control of [p.outcome, p.outcomeNotes, p.resolve]) control.disabled = !canResolve;
    p.responderForm.hidden = !open;
    for (const control of [p.responderName, p.responderPhone, p.responderResult, p.responderNotes, p.recordResponder]) {
      control.disabled = !acts;
    }
    p.noteForm.hidden = !acts;
    this.card.refreshActions();
  }

  async claim() {
    await this.ctx.claim("alarm", this.alarm.alarm_id);
    await this.refreshTimeline();
  }

  callHome() {
    this.ctx.startCall(this.alarm.home_id, this.alarm.alarm_id);
  }

  /** POST an action on the alarm; true when the hub took it. */
  async act(action, body, doneKey) {
    const id = this.alarm.alarm_id;
    let ok = false;
    try {
      const updated = await post(`/api/v1/alarms/${id}/${action}`, body);
      this.ctx.applyAlarm(updated);
      announce(t(doneKey));
      ok = true;
    } catch (err) {
      announce(describeError(err), { error: true });
    }
    if (this.kind === "alarm" && this.alarm.alarm_id === id) await this.refreshTimeline();
    return ok;
  }

  renderTimeline() {
    if (!this.parts.timeline) return;
    if (this.timeline === null) {
      replace(this.parts.timeline, h("li", { class: "loading" }, t("panel.loading")));
      return;
    }
    if (this.timeline.length === 0) {
      replace(this.parts.timeline, h("li", {}, t("timeline.empty")));
      return;
    }
    replace(this.parts.timeline, this.timeline.map((step) => timelineItem(step)));
  }

  // --- a well-being call task ---------------------------------------------------------------

  openTask(task, { focus = false } = {}) {
    if (!task) return;
    this.kind = "call";
    this.task = task;
    this.alarm = null;
    this.timeline = null;
    this.card.reset();
    this.buildTask();
    if (focus) this.parts.title.focus();
    this.card.load(this.parts.card, task.home_id, this.cardOptions());
  }

  updateTask(task) {
    if (this.kind !== "call" || this.task?.task_id !== task.task_id) return;
    this.task = { ...this.task, ...task };
    this.refreshTask();
  }

  buildTask() {
    const parts = {};
    parts.title = h("h2", { id: "detail-title", tabindex: "-1" });
    parts.meta = h("p", { class: "meta" });
    parts.home = h("p", { class: "home-line" });
    parts.claim = h("button", { type: "button", class: "primary", onclick: () => this.ctx.claim("call", this.task.task_id) }, t("task.claim"));
    parts.release = h("button", { type: "button", onclick: () => this.taskAct("release", {}) }, t("task.release"));
    parts.call = h("button", { type: "button", class: "call", onclick: () => this.ctx.startCall(this.task.home_id, null) }, t("action.call_home"));
    const outcomes = vocabulary().call_outcomes;
    parts.choices = outcomes.map((outcome) =>
      h("input", { type: "radio", name: "task-outcome", value: outcome, id: `task-outcome-${outcome}` }),
    );
    parts.notes = h("textarea", { name: "notes", rows: "2", maxlength: "4000" });
    parts.record = h("button", { type: "submit", class: "primary" }, t("task.record"));
    parts.form = h(
      "form",
      {
        class: "task-outcome",
        onsubmit: async (event) => {
          event.preventDefault();
          const chosen = parts.choices.find((input) => input.checked);
          if (!chosen) {
            parts.choices[0].focus();
            return;
          }
          const body = { outcome: chosen.value };
          if (parts.notes.value.trim()) body.notes = parts.notes.value.trim();
          if (await this.taskAct("outcome", body)) {
            announce(t("task.recorded"));
            chosen.checked = false;
            parts.notes.value = "";
          }
        },
      },
      h(
        "fieldset",
        {},
        h("legend", {}, t("task.outcome")),
        h(
          "div",
          { class: "choices" },
          outcomes.map((outcome, index) =>
            h("label", { class: "choice", for: `task-outcome-${outcome}` }, parts.choices[index], ` ${label("task", outcome)}`),
          ),
        ),
        field(t("task.notes"), parts.notes),
        parts.record,
      ),
    );
    parts.log = h("ol", { class: "timeline", id: "task-log" });
    parts.card = h("section", { class: "card", "aria-labelledby": "card-title" });
    this.parts = parts;
    replace(
      this.root,
      h(
        "section",
        { class: "panel task-panel", "aria-labelledby": "detail-title" },
        h("header", { class: "panel-head" }, parts.title, parts.meta, parts.home),
        h("div", { class: "actions", role: "group", "aria-label": t("panel.actions") }, parts.claim, parts.release, parts.call),
        parts.form,
        h(
          "section",
          { class: "timeline-box", "aria-labelledby": "task-log-title" },
          h("h3", { id: "task-log-title" }, t("task.log")),
          parts.log,
        ),
        parts.card,
      ),
    );
    this.refreshTask();
  }

  refreshTask() {
    const task = this.task;
    const p = this.parts;
    if (!task || !p.title) return;
    const me = this.ctx.state.me?.username;
    const acts = this.ctx.actsOnAlarms();
    const holder = task.claimed_by === me || this.ctx.isBoss();
    const due = isDue(task);
    p.title.textContent = `${t("task.title")} · ${task.resident_name ?? t("task.anyone")}`;
    replace(
      p.meta,
      h("span", { class: `badge ${due ? "due" : "later"}` }, due ? t("task.due") : label("task.state", task.state)),
      " ",
      t("task.planned", { when: formatWhen(task.planned_at) }),
      " · ",
      t("task.attempts", { n: task.attempts, max: task.max_attempts }),
      task.claimed_by
        ? ` · ${task.claimed_by === me ? t("badge.mine") : t("badge.claimed_by", { user: task.claimed_by })}`
        : "",
    );
    const names = this.ctx.homeNames(task.home_id);
    p.home.textContent = `${t("panel.home", { home: task.home_id })}${names.length ? ` · ${names.join(", ")}` : ""}`;
    p.claim.disabled = !(acts && task.state === "open" && due && !task.claimed_by);
    p.release.disabled = !(acts && task.state === "claimed" && holder);
    p.call.disabled = !acts || this.ctx.inCall();
    const canRecord = acts && task.state === "claimed" && holder;
    for (const control of [...p.choices, p.notes, p.record]) control.disabled = !canRecord;
    replace(
      p.log,
      (task.log ?? []).length
        ? task.log.map((attempt) =>
            h(
              "li",
              { dataset: { action: attempt.outcome } },
              h("time", { datetime: attempt.at }, formatWhenExact(attempt.at)),
              " ",
              h("strong", {}, label("task", attempt.outcome)),
              ` ${t("timeline.by", { actor: attempt.by })}`,
              attempt.notes ? h("span", { class: "note-text" }, ` — ${attempt.notes}`) : null,
            ),
          )
        : h("li", {}, t("timeline.empty")),
    );
    this.card.refreshActions();
  }

  async taskAct(action, body) {
    const id = this.task.task_id;
    try {
      const task = await post(`/api/v1/calls/${id}/${action}`, body);
      this.updateTask(task);
      this.ctx.reloadCalls();
      return true;
    } catch (err) {
      announce(describeError(err), { error: true });
      this.ctx.reloadCalls();
      return false;
    }
  }

  /** Buttons again (a call began or ended). */
  refreshActions() {
    if (this.kind === "alarm") this.refreshAlarm();
    else if (this.kind === "call") this.refreshTask();
  }

  // --- the home's presence, from the stream ----------------------------------------------------

  updatePresence(presence) {
    this.card.updatePresence(presence);
  }
}

/** One step of an alarm's timeline, in words. */
export function timelineItem(step) {
  let action = step.action;
  if (action === "raised" && step.from_state) action = "released";
  const known = [
    "raised",
    "joined",
    "claimed",
    "released",
    "in_progress",
    "resolved",
    "cancelled",
    "escalated",
    "note",
    "responder",
    "call_started",
    "call_ended",
  ];
  const title = known.includes(action) ? t(`timeline.${action}`) : t("timeline.other", { action });
  const actor = step.actor === "system" ? t("timeline.system") : step.actor;
  const d = step.detail ?? {};
  const extra = [];
  if (action === "note" && d.text) extra.push(d.text);
  if (action === "responder") {
    extra.push(`${d.name ?? ""}${d.phone ? ` (${d.phone})` : ""}: ${d.result ? label("responder", d.result) : ""}`);
    if (d.notes) extra.push(d.notes);
  }
  if ((action === "resolved" || action === "cancelled") && d.outcome) {
    extra.push(label("outcome", d.outcome));
    if (d.notes) extra.push(d.notes);
    if (d.reason) extra.push(d.reason);
  }
  if ((action === "raised" || action === "joined") && d.device_id) {
    extra.push(t("timeline.device", { device: d.device_id }));
  }
  if (action === "call_ended") {
    if (d.reason) extra.push(label("call.reason", d.reason));
    extra.push(
      d.answered === "true"
        ? t("timeline.talked", { duration: formatElapsed(Number(d.duration_s ?? 0)) })
        : t("timeline.not_answered"),
    );
  }
  if (!known.includes(action) && Object.keys(d).length) {
    extra.push(Object.entries(d).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", "));
  }
  return h(
    "li",
    { dataset: { action } },
    h("time", { datetime: step.at }, formatWhenExact(step.at)),
    " ",
    h("strong", { class: "step" }, title),
    ` ${t("timeline.by", { actor })}`,
    extra.length ? h("span", { class: "step-detail" }, ` — ${extra.join(" — ")}`) : null,
  );
}
