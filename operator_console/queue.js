// The queue: open alarms (most urgent first, then the longest waiting) and, below them, the
// well-being calls. Two listboxes worked from the keyboard: arrows move, Enter opens, C claims.

import { h, replace } from "./dom.js";
import { formatElapsed, formatWhen, label, reason, t } from "./i18n.js";

const AMBER_S = 30;
const RED_S = 60;

export function sortAlarms(alarms) {
  return [...alarms].sort(
    (a, b) =>
      a.priority - b.priority ||
      Date.parse(a.raised_at) - Date.parse(b.raised_at) ||
      a.alarm_id.localeCompare(b.alarm_id),
  );
}

export function isDue(task, now = Date.now()) {
  return task.state === "open" && Date.parse(task.next_try_at) <= now;
}

export function sortCalls(tasks, now = Date.now()) {
  return [...tasks].sort(
    (a, b) =>
      Number(isDue(b, now)) - Number(isDue(a, now)) ||
      Date.parse(a.next_try_at) - Date.parse(b.next_try_at),
  );
}

/** Seconds an alarm has been waiting, and its timer's colour class. */
export function waited(alarm, now = Date.now()) {
  const seconds = (now - Date.parse(alarm.raised_at)) / 1000;
  let level = "";
  if (alarm.state === "raised") {
    if (seconds >= RED_S) level = "red";
    else if (seconds >= AMBER_S) level = "amber";
  }
  return { seconds, level };
}

export class Queue {
  constructor(ctx) {
    this.ctx = ctx;
    this.alarmList = document.getElementById("queue");
    this.callList = document.getElementById("call-queue");
    this.current = { alarm: null, call: null }; // the option holding the tab stop, per list
    this.dueShown = new Map();
    for (const [list, type] of [
      [this.alarmList, "alarm"],
      [this.callList, "call"],
    ]) {
      list.addEventListener("keydown", (event) => this.onKey(event, list, type));
      list.addEventListener("click", (event) => {
        const option = event.target.closest("[role=option]");
        if (option) {
          this.current[type] = option.dataset.id;
          this.ctx.select(type, option.dataset.id);
        }
      });
      list.addEventListener("focusin", (event) => {
        const option = event.target.closest("[role=option]");
        if (option) this.current[type] = option.dataset.id;
      });
    }
  }

  render() {
    const { state } = this.ctx;
    const alarms = sortAlarms(state.alarms.values());
    const tasks = sortCalls(state.calls.values());
    this.fill(this.alarmList, "alarm", alarms.map((alarm) => this.alarmOption(alarm)));
    this.fill(this.callList, "call", tasks.map((task) => this.taskOption(task)));
    document.getElementById("alarms-empty").hidden = alarms.length > 0;
    document.getElementById("calls-empty").hidden = tasks.length > 0;
    document.getElementById("queue-count").textContent = t("queue.count", { n: alarms.length });
    this.dueShown = new Map(tasks.map((task) => [task.task_id, isDue(task)]));
  }

  /** Put ``options`` in ``list`` keeping the tab stop, and the focus if it was there. */
  fill(list, type, options) {
    const hadFocus = list.contains(document.activeElement);
    const focusedIndex = [...list.children].indexOf(document.activeElement);
    replace(list, options);
    if (options.length === 0) {
      this.current[type] = null;
      return;
    }
    let keep = options.find((option) => option.dataset.id === this.current[type]);
    if (!keep) {
      keep = options[Math.min(Math.max(focusedIndex, 0), options.length - 1)];
      this.current[type] = keep.dataset.id;
    }
    keep.tabIndex = 0;
    if (hadFocus) keep.focus({ preventScroll: true });
  }

  alarmOption(alarm) {
    const { state } = this.ctx;
    const selected = state.selected?.type === "alarm" && state.selected.id === alarm.alarm_id;
    const names = this.ctx.homeNames(alarm.home_id);
    const { seconds, level } = waited(alarm);
    const holder =
      alarm.claimed_by === state.me?.username
        ? t("badge.mine")
        : alarm.claimed_by
          ? t("badge.claimed_by", { user: alarm.claimed_by })
          : t("state.raised");
    return h(
      "div",
      {
        role: "option",
        id: `alarm-${alarm.alarm_id}`,
        class: `row alarm p${alarm.priority} state-${alarm.state} ${level ? `timer-${level}` : ""}`,
        tabindex: "-1",
        "aria-selected": selected ? "true" : "false",
        dataset: { id: alarm.alarm_id, state: alarm.state, priority: String(alarm.priority) },
      },
      h(
        "span",
        { class: `priority p${alarm.priority}` },
        h("span", { "aria-hidden": "true" }, t("priority.short", { n: alarm.priority })),
        h("span", { class: "sr-only" }, label("priority", alarm.priority)),
      ),
      h(
        "span",
        { class: "what" },
        h("span", { class: "reason" }, reason(alarm.reason_key, alarm.reason_params)),
        h(
          "span",
          { class: "where" },
          alarm.home_id,
          names.length ? ` · ${names.join(", ")}` : "",
          alarm.trigger_count > 1 ? ` · ${t("badge.repeats", { n: alarm.trigger_count })}` : "",
        ),
      ),
      h(
        "span",
        { class: "when" },
        h("span", { class: "sr-only" }, `${t("timer.label")} `),
        h("span", { class: "timer", dataset: { since: alarm.raised_at } }, formatElapsed(seconds)),
        h("span", { class: "timer-note" }, level ? t(`timer.${level}`) : ""),
      ),
      h(
        "span",
        { class: "badges" },
        alarm.escalated_at ? h("span", { class: "badge escalated" }, t("badge.escalated")) : null,
        h("span", { class: `badge holder ${alarm.claimed_by ? "held" : "waiting"}` }, holder),
      ),
    );
  }

  taskOption(task) {
    const { state } = this.ctx;
    const selected = state.selected?.type === "call" && state.selected.id === task.task_id;
    const due = isDue(task);
    const who = task.resident_name ?? t("task.anyone");
    return h(
      "div",
      {
        role: "option",
        id: `task-${task.task_id}`,
        class: `row task ${due ? "due" : "later"} state-${task.state}`,
        tabindex: "-1",
        "aria-selected": selected ? "true" : "false",
        dataset: { id: task.task_id, state: task.state, due: String(due) },
      },
      h("span", { class: `badge ${due ? "due" : "later"}` }, due ? t("task.due") : t("task.later")),
      h(
        "span",
        { class: "what" },
        h("span", { class: "reason" }, `${t("task.title")} · ${who}`),
        h(
          "span",
          { class: "where" },
          `${task.home_id} · `,
          due
            ? t("task.planned", { when: formatWhen(task.planned_at) })
            : t("task.next_try", { when: formatWhen(task.next_try_at) }),
          ` · ${t("task.attempts", { n: task.attempts, max: task.max_attempts })}`,
        ),
      ),
      h(
        "span",
        { class: "badges" },
        task.claimed_by
          ? h(
              "span",
              { class: "badge holder held" },
              task.claimed_by === state.me?.username
                ? t("badge.mine")
                : t("badge.claimed_by", { user: task.claimed_by }),
            )
          : null,
      ),
    );
  }

  onKey(event, list, type) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const options = [...list.querySelectorAll("[role=option]")];
    if (options.length === 0) return;
    const index = Math.max(0, options.indexOf(document.activeElement));
    let next = null;
    switch (event.key) {
      case "ArrowDown":
        next = options[Math.min(index + 1, options.length - 1)];
        break;
      case "ArrowUp":
        next = options[Math.max(index - 1, 0)];
        break;
      case "Home":
        next = options[0];
        break;
      case "End":
        next = options[options.length - 1];
        break;
      case "Enter":
      case " ":
        event.preventDefault();
        this.ctx.select(type, options[index].dataset.id, { focus: event.key === "Enter" });
        return;
      case "c":
      case "C":
        event.preventDefault();
        this.ctx.claim(type, options[index].dataset.id);
        return;
      default:
        return;
    }
    event.preventDefault();
    for (const option of options) option.tabIndex = -1;
    next.tabIndex = 0;
    this.current[type] = next.dataset.id;
    next.focus();
  }

  /** Back to the queue (Esc in the detail): the selected row, or the first. */
  focusCurrent() {
    const selected = this.ctx.state.selected;
    const list = selected?.type === "call" ? this.callList : this.alarmList;
    const wanted = selected ? list.querySelector(`[data-id="${selected.id}"]`) : null;
    const target =
      wanted ?? list.querySelector("[tabindex='0']") ?? this.alarmList.querySelector("[role=option]");
    if (target) target.focus();
    else document.getElementById("queue-title").focus();
  }

  /** Every second: the timers, their colours, and call tasks falling due. */
  tick() {
    const now = Date.now();
    for (const option of this.alarmList.querySelectorAll("[role=option]")) {
      const alarm = this.ctx.state.alarms.get(option.dataset.id);
      if (!alarm) continue;
      const { seconds, level } = waited(alarm, now);
      option.querySelector(".timer").textContent = formatElapsed(seconds);
      option.querySelector(".timer-note").textContent = level ? t(`timer.${level}`) : "";
      option.classList.toggle("timer-amber", level === "amber");
      option.classList.toggle("timer-red", level === "red");
    }
    for (const task of this.ctx.state.calls.values()) {
      if (this.dueShown.get(task.task_id) !== isDue(task, now)) {
        this.render();
        return;
      }
    }
  }
}
