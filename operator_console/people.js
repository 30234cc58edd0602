// The social worker's first view: the people of their districts (GET /api/v1/homes), found by
// name or home and opened on their own page; beside each, their open review list entries
// (GET /api/v1/review) and their care plan's review date when it is due within a month
// (GET /api/v1/care-plans/due).

import { describeError, get } from "./api.js";
import { today } from "./careplan.js";
import { field, h, replace } from "./dom.js";
import { formatDate, reviewReason, t } from "./i18n.js";

/** How far ahead a plan's review date is shown in the list. */
const PLAN_AHEAD_DAYS = 30;

export class People {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("view-people");
    this.homes = null;
    this.error = null;
    this.filter = "";
    this.review = new Map(); // home_id -> open entries
    this.plans = new Map(); // home_id -> next review date
    this.build();
  }

  build() {
    this.filterInput = h("input", {
      type: "search",
      name: "people-filter",
      autocomplete: "off",
      maxlength: "64",
      value: this.filter,
      oninput: () => {
        this.filter = this.filterInput.value.trim();
        this.renderRows();
      },
    });
    this.rows = h("tbody", { id: "people-rows" });
    this.message = h("p", { class: "empty", role: "status" });
    replace(
      this.root,
      h("h2", { id: "people-title", tabindex: "-1" }, t("people.title")),
      h("p", { class: "meta" }, t("people.intro")),
      h(
        "form",
        { class: "search", role: "search", "aria-labelledby": "people-title", onsubmit: (event) => event.preventDefault() },
        field(t("people.filter"), this.filterInput),
      ),
      h(
        "table",
        { class: "people" },
        h("caption", { class: "sr-only" }, t("people.title")),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["people.person", "people.home", "people.district", "people.review", "people.plan", "people.open_col"].map((key) =>
              h("th", { scope: "col" }, key === "people.open_col" ? h("span", { class: "sr-only" }, t("action.open")) : t(key)),
            ),
          ),
        ),
        this.rows,
      ),
      this.message,
    );
    this.renderRows();
  }

  rerender() {
    this.build();
  }

  clear() {
    this.homes = null;
    this.error = null;
    this.filter = "";
    this.build();
  }

  async show() {
    try {
      const [page, review, plans] = await Promise.all([
        get("/api/v1/homes?limit=200"),
        get("/api/v1/review"),
        get(`/api/v1/care-plans/due?within_days=${PLAN_AHEAD_DAYS}`),
      ]);
      this.homes = page.items;
      this.review = new Map();
      for (const entry of review.items) this.review.set(entry.home_id, [...(this.review.get(entry.home_id) ?? []), entry]);
      this.plans = new Map(plans.items.map((plan) => [plan.home_id, plan.next_review]));
      this.error = null;
    } catch (err) {
      this.error = describeError(err);
    }
    this.renderRows();
  }

  /** The homes the filter keeps: a resident's name or the home id containing its words. */
  shown() {
    const wanted = this.filter.toLowerCase();
    return (this.homes ?? []).filter(
      (home) => !wanted || [home.home_id, ...home.residents].some((text) => text.toLowerCase().includes(wanted)),
    );
  }

  renderRows() {
    const homes = this.shown();
    replace(
      this.rows,
      homes.map((home) => {
        const names = home.residents.length ? home.residents.join(", ") : t("people.nobody");
        const entries = this.review.get(home.home_id) ?? [];
        const review = this.plans.get(home.home_id);
        return h(
          "tr",
          { dataset: { home: home.home_id } },
          h("th", { scope: "row" }, names),
          h("td", {}, home.home_id),
          h("td", {}, home.district),
          h(
            "td",
            { class: "review-flag" },
            entries.length
              ? [
                  h("span", { class: "badge due" }, t("people.review_n", { n: entries.length })),
                  h("span", { class: "reasons" }, entries.map((entry) => h("span", { class: "reason" }, reviewReason(entry.reason_key, entry.reason_params)))),
                ]
              : "—",
          ),
          h(
            "td",
            {},
            review ? [formatDate(review), review < today() ? h("span", { class: "badge due" }, t("plans.overdue")) : null] : "—",
          ),
          h(
            "td",
            {},
            h(
              "button",
              {
                type: "button",
                class: "small",
                "aria-label": t("people.open", { names, home: home.home_id }),
                onclick: () => this.ctx.openPerson(home.home_id),
              },
              t("action.open"),
            ),
          ),
        );
      }),
    );
    if (this.error) this.message.textContent = this.error;
    else if (this.homes === null) this.message.textContent = t("panel.loading");
    else if (homes.length === 0) this.message.textContent = this.homes.length ? t("people.none_match") : t("people.empty");
    else this.message.textContent = "";
  }
}
