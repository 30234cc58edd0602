// The social worker's first view: the people of their districts (GET /api/v1/homes), found by
// name or home and opened on their own page.

import { describeError, get } from "./api.js";
import { field, h, replace } from "./dom.js";
import { t } from "./i18n.js";

export class People {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("view-people");
    this.homes = null;
    this.error = null;
    this.filter = "";
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
            ["people.person", "people.home", "people.district", "people.open_col"].map((key) =>
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
      const page = await get("/api/v1/homes?limit=200");
      this.homes = page.items;
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
        return h(
          "tr",
          { dataset: { home: home.home_id } },
          h("th", { scope: "row" }, names),
          h("td", {}, home.home_id),
          h("td", {}, home.district),
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
