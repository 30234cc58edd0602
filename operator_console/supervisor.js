// The supervisor's view: the queue now, who handles what, and today's answer times against
// the monitoring standard (97.5% within 60 s, 99% within 180 s). From GET /api/v1/stats/today,
// every 10 s while shown and soon after any change on the stream.

import { ApiError, describeError, get } from "./api.js";
import { h, replace } from "./dom.js";
import { formatPercent, formatWhen, label, t } from "./i18n.js";

const EVERY_MS = 10000;
const AFTER_CHANGE_MS = 1000;

export class Supervisor {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("view-supervisor");
    this.stats = null;
    this.error = null;
    this.updated = null;
    this.timer = null;
    this.soon = null;
    this.running = false;
    this.render();
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), EVERY_MS);
  }

  stop() {
    this.running = false;
    clearInterval(this.timer);
    clearTimeout(this.soon);
    this.timer = this.soon = null;
    this.stats = null; // the next user's figures are their own districts'
  }

  /** A change came on the stream: refresh shortly (one refresh for a burst of changes). */
  poke() {
    if (!this.running || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      this.refresh();
    }, AFTER_CHANGE_MS);
  }

  async refresh() {
    try {
      this.stats = await get("/api/v1/stats/today");
      this.error = null;
      this.updated = new Date();
    } catch (err) {
      this.error = err instanceof ApiError && err.status === 404 ? t("supervisor.unavailable") : describeError(err);
    }
    if (this.running) this.render();
  }

  render() {
    const title = h("h2", { id: "supervisor-title" }, t("supervisor.title"));
    if (this.error && !this.stats) {
      replace(this.root, title, h("p", { class: "error", role: "status" }, this.error));
      return;
    }
    if (!this.stats) {
      replace(this.root, title, h("p", { class: "loading" }, t("panel.loading")));
      return;
    }
    const s = this.stats;
    replace(
      this.root,
      title,
      h(
        "p",
        { class: "meta" },
        t("supervisor.since", { when: formatWhen(s.since) }),
        " · ",
        h("span", { id: "supervisor-updated" }, t("supervisor.updated", { when: formatWhen(this.updated) })),
        this.error ? h("span", { class: "error" }, ` · ${this.error}`) : null,
      ),
      h(
        "section",
        { "aria-labelledby": "sv-queue" },
        h("h3", { id: "sv-queue" }, t("supervisor.queue")),
        h(
          "dl",
          { class: "figures" },
          // The figures the hub counts (open alarms by state, calls due), in its order.
          Object.entries(s.queue).map(([name, count]) =>
            h("div", { class: `figure ${name}`, dataset: { figure: name } }, h("dt", {}, label("supervisor", name)), h("dd", {}, String(count))),
          ),
        ),
      ),
      h(
        "section",
        { "aria-labelledby": "sv-answers" },
        h("h3", { id: "sv-answers" }, t("supervisor.answers")),
        h("p", {}, `${t("supervisor.answered")}: `, h("strong", { dataset: { figure: "answered" } }, String(s.answered?.alarms ?? 0))),
        h(
          "div",
          { class: "targets" },
          this.target(60, s.answered?.within_60s, s.answered?.share_60s, s.answered?.goal_60s ?? 0.975, s.answered?.alarms),
          this.target(180, s.answered?.within_180s, s.answered?.share_180s, s.answered?.goal_180s ?? 0.99, s.answered?.judged_180s ?? s.answered?.alarms),
        ),
      ),
      h(
        "section",
        { "aria-labelledby": "sv-operators" },
        h("h3", { id: "sv-operators" }, t("supervisor.operators")),
        (s.operators ?? []).length === 0
          ? h("p", {}, t("supervisor.no_operators"))
          : h(
              "table",
              { class: "operators" },
              h(
                "thead",
                {},
                h("tr", {}, ["supervisor.operator", "supervisor.signed_in", "supervisor.handles"].map((key) => h("th", { scope: "col" }, t(key)))),
              ),
              h(
                "tbody",
                {},
                s.operators.map((operator) =>
                  h(
                    "tr",
                    { dataset: { operator: operator.username } },
                    h("th", { scope: "row" }, operator.username, operator.role ? h("span", { class: "role" }, ` · ${label("role", operator.role)}`) : null),
                    h("td", {}, operator.signed_in ? t("common.yes") : t("common.no")),
                    h(
                      "td",
                      {},
                      t("supervisor.handling", {
                        alarms: operator.alarms?.length ?? 0,
                        calls: operator.calls?.length ?? 0,
                      }),
                    ),
                  ),
                ),
              ),
            ),
      ),
    );
  }

  target(seconds, within, share, goal, total) {
    let verdict = t("supervisor.no_data");
    let level = "none";
    if (share !== null && share !== undefined) {
      const met = share >= goal;
      verdict = met ? t("supervisor.met") : t("supervisor.missed");
      level = met ? "met" : "missed";
    }
    return h(
      "div",
      { class: `target ${level}`, dataset: { target: String(seconds) } },
      h("h4", {}, t("supervisor.within", { seconds })),
      h("p", { class: "share" }, t("supervisor.share", { share: formatPercent(share), n: within ?? 0, total: total ?? 0, goal: formatPercent(goal) })),
      h("p", { class: "verdict" }, verdict),
    );
  }
}
