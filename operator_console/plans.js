// Care plans whose review is due (GET /api/v1/care-plans/due): now and overdue, or coming in
// the next weeks, the earliest first, each leading to the person's page and their plan.

import { describeError, get } from "./api.js";
import { today } from "./careplan.js";
import { field, h, replace, select } from "./dom.js";
import { formatDate, t } from "./i18n.js";

/** How far ahead the list looks, in days: due now, or within two weeks, a month, a quarter. */
const AHEAD = [0, 14, 30, 90];

export class Plans {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("view-plans");
    this.items = null;
    this.error = null;
    this.within = 0;
    this.ticket = 0;
  }

  clear() {
    this.ticket += 1;
    this.items = null;
    this.error = null;
    this.within = 0;
    replace(this.root);
  }

  rerender() {
    this.render();
  }

  async show() {
    this.ticket += 1;
    const ticket = this.ticket;
    this.items = null;
    this.render();
    try {
      const page = await get(`/api/v1/care-plans/due?within_days=${this.within}`);
      if (ticket !== this.ticket) return;
      this.items = page.items;
      this.error = null;
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.error = describeError(err);
    }
    this.render();
  }

  render() {
    const title = h("h2", { id: "plans-title", tabindex: "-1" }, t("plans.title"));
    const ahead = select(
      { name: "within", onchange: () => { this.within = Number(ahead.value); this.show(); } },
      AHEAD.map((days) => [String(days), t(`plans.within.${days}`)]),
    );
    ahead.value = String(this.within);
    const choice = h("form", { class: "search", "aria-labelledby": "plans-title", onsubmit: (event) => event.preventDefault() }, field(t("plans.within"), ahead));
    let body;
    if (this.error) body = h("p", { class: "error", role: "status" }, this.error);
    else if (this.items === null) body = h("p", { class: "loading" }, t("panel.loading"));
    else if (this.items.length === 0) body = h("p", { class: "empty" }, t("plans.empty"));
    else body = this.table();
    replace(this.root, title, h("p", { class: "meta" }, t("plans.intro")), choice, body);
  }

  table() {
    const now = today();
    return h(
      "table",
      { class: "plans" },
      h("caption", { class: "sr-only" }, t("plans.title")),
      h(
        "thead",
        {},
        h("tr", {}, ["people.person", "people.home", "plan.responsible", "plan.next_review", "people.open_col"].map((key) =>
          h("th", { scope: "col" }, key === "people.open_col" ? h("span", { class: "sr-only" }, t("action.open")) : t(key)),
        )),
      ),
      h(
        "tbody",
        {},
        this.items.map((plan) => {
          const who = plan.resident_name ?? (plan.residents.join(", ") || t("people.nobody"));
          const late = plan.next_review < now;
          return h(
            "tr",
            { dataset: { home: plan.home_id } },
            h("th", { scope: "row" }, who),
            h("td", {}, `${plan.home_id} · ${plan.district}`),
            h("td", {}, plan.responsible),
            h(
              "td",
              { class: late ? "late" : "" },
              formatDate(plan.next_review),
              late ? h("span", { class: "badge due" }, t("plans.overdue")) : plan.next_review === now ? h("span", { class: "badge due" }, t("plans.today")) : null,
            ),
            h(
              "td",
              {},
              h("button", { type: "button", class: "small", "aria-label": t("plans.open", { who }), onclick: () => this.ctx.openPerson(plan.home_id, { section: "plan" }) }, t("action.open")),
            ),
          );
        }),
      ),
    );
  }
}
