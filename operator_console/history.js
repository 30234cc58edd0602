// History: resolved and cancelled alarms, newest first, searched by home id or resident's name
// (the API's q=), a page at a time (next_before / next_before_id). Opening one shows its
// timeline and card on the right.

import { describeError, get, isOpenAlarm, vocabulary } from "./api.js";
import { field, h, replace } from "./dom.js";
import { formatWhen, label, reason, t } from "./i18n.js";

const PAGE = 25;

/** The states of a closed alarm: the hub's states but the open ones. */
function closedStates() {
  return vocabulary().alarm_states.filter((state) => !isOpenAlarm(state));
}

export class History {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("view-history");
    this.items = [];
    this.next = null;
    this.search = "";
    this.loaded = false;
    this.build();
  }

  build() {
    this.searchInput = h("input", { type: "search", name: "q", autocomplete: "off", maxlength: "64", value: this.search });
    this.list = h("tbody", { id: "history-rows" });
    this.more = h("button", { type: "button", hidden: true, onclick: () => this.load(false) }, t("history.more"));
    this.message = h("p", { class: "empty", role: "status" });
    replace(
      this.root,
      h("h2", { id: "history-title" }, t("history.title")),
      h(
        "form",
        {
          class: "search",
          role: "search",
          "aria-labelledby": "history-title",
          onsubmit: (event) => {
            event.preventDefault();
            this.search = this.searchInput.value.trim();
            this.load(true);
          },
        },
        field(t("history.search_label"), this.searchInput),
        h("button", { type: "submit", class: "primary" }, t("history.search")),
        h(
          "button",
          {
            type: "button",
            onclick: () => {
              this.searchInput.value = "";
              this.search = "";
              this.load(true);
            },
          },
          t("history.clear"),
        ),
      ),
      h(
        "table",
        { class: "history" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["history.when", "history.closed", "history.home_col", "history.reason", "history.state", "history.by", "history.open_col"].map(
              (key) => h("th", { scope: "col" }, key === "history.open_col" ? h("span", { class: "sr-only" }, t("action.open")) : t(key)),
            ),
          ),
        ),
        this.list,
      ),
      this.message,
      this.more,
    );
    this.renderRows();
  }

  clear() {
    this.items = [];
    this.next = null;
    this.loaded = false;
    this.search = "";
    this.build();
  }

  rerender() {
    this.build();
  }

  show() {
    if (!this.loaded) this.load(true);
  }

  async load(fresh) {
    let query = `/api/v1/alarms?state=${closedStates().join(",")}&limit=${PAGE}`;
    if (this.search) query += `&q=${encodeURIComponent(this.search)}`;
    if (!fresh && this.next) {
      query += `&before=${encodeURIComponent(this.next.before)}&before_id=${this.next.before_id}`;
    }
    try {
      const page = await get(query);
      this.items = fresh ? page.items : [...this.items, ...page.items];
      this.next = page.next_before ? { before: page.next_before, before_id: page.next_before_id } : null;
      this.loaded = true;
      for (const alarm of page.items) this.ctx.ensureHome(alarm.home_id);
      this.renderRows();
    } catch (err) {
      this.message.textContent = describeError(err);
    }
  }

  /** An alarm closed while the history is shown goes to its top (when it matches). */
  alarmChanged(alarm) {
    if (!this.loaded || !closedStates().includes(alarm.state)) return;
    if (this.search && !this.matches(alarm)) return;
    if (this.items.some((item) => item.alarm_id === alarm.alarm_id)) return;
    this.items = [alarm, ...this.items];
    this.renderRows();
  }

  /** What the hub's q= keeps: the home id or a resident's name containing the words. */
  matches(alarm) {
    const wanted = this.search.toLowerCase();
    const names = this.ctx.homeNames(alarm.home_id);
    return [alarm.home_id, ...names].some((text) => text.toLowerCase().includes(wanted));
  }

  renderRows() {
    replace(
      this.list,
      this.items.map((alarm) => {
        const names = this.ctx.homeNames(alarm.home_id);
        return h(
          "tr",
          { dataset: { id: alarm.alarm_id } },
          h("td", {}, formatWhen(alarm.raised_at)),
          h("td", {}, alarm.closed_at ? formatWhen(alarm.closed_at) : "—"),
          h("td", {}, alarm.home_id, names.length ? h("span", { class: "names" }, ` · ${names.join(", ")}`) : null),
          h("td", {}, reason(alarm.reason_key, alarm.reason_params)),
          h("td", {}, label("state", alarm.state), alarm.outcome ? ` · ${label("outcome", alarm.outcome)}` : ""),
          h("td", {}, alarm.claimed_by ?? "—"),
          h(
            "td",
            {},
            h(
              "button",
              {
                type: "button",
                class: "small",
                "aria-label": t("history.open_alarm", { home: alarm.home_id, when: formatWhen(alarm.raised_at) }),
                onclick: () => this.ctx.select("alarm", alarm.alarm_id, { focus: true, record: alarm }),
              },
              t("action.open"),
            ),
          ),
        );
      }),
    );
    this.message.textContent = this.loaded && this.items.length === 0 ? t("history.empty") : "";
    this.more.hidden = this.next === null;
  }
}
