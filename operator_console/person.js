// A person's page for social workers: who lives in the home and whom to call, and (as the
// hub gives them) their activity over weeks, their review entries and their care plan. Every
// read of it is audited by the hub.

import { describeError, get } from "./api.js";
import { age, entry } from "./card.js";
import { h, replace } from "./dom.js";
import { formatDate, label, t } from "./i18n.js";

export class Person {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("view-person");
    this.ticket = 0;
    this.homeId = null;
    this.card = null;
    this.error = null;
  }

  /** Open the page of the home ``homeId`` (its residents are "the person"). */
  async open(homeId, { focus = true } = {}) {
    this.ticket += 1;
    const ticket = this.ticket;
    this.homeId = homeId;
    this.card = null;
    this.error = null;
    this.render();
    if (focus) this.root.querySelector("h2")?.focus();
    try {
      const card = await get(`/api/v1/homes/${encodeURIComponent(homeId)}`);
      if (ticket !== this.ticket) return;
      this.card = card;
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.error = describeError(err);
    }
    this.render();
  }

  clear() {
    this.ticket += 1;
    this.homeId = null;
    this.card = null;
    this.error = null;
    replace(this.root);
  }

  rerender() {
    if (this.homeId) this.render();
  }

  names() {
    return this.card?.residents.map((resident) => resident.full_name) ?? [];
  }

  render() {
    const names = this.names();
    const title = h(
      "h2",
      { id: "person-title", tabindex: "-1" },
      names.length ? names.join(", ") : t("person.title"),
      h("span", { class: "home-id" }, ` · ${t("panel.home", { home: this.homeId })}`),
    );
    const back = h("button", { type: "button", class: "small", onclick: () => this.ctx.showView("people") }, t("person.back"));
    const head = h("div", { class: "person-head" }, back, title);
    if (this.error) {
      replace(this.root, head, h("p", { class: "error", role: "status" }, this.error));
      return;
    }
    if (!this.card) {
      replace(this.root, head, h("p", { class: "loading" }, t("panel.loading")));
      return;
    }
    replace(this.root, head, h("p", { class: "meta" }, t("person.district", { district: this.card.district })), this.about());
  }

  /** Who they are and whom to call: read only here, the registry is edited elsewhere. */
  about() {
    const card = this.card;
    return h(
      "section",
      { class: "person-about card", "aria-labelledby": "person-about" },
      h("h3", { id: "person-about" }, t("person.about")),
      card.residents.length === 0
        ? h("p", {}, t("card.no_residents"))
        : card.residents.map((person) =>
            h(
              "article",
              { class: "resident" },
              h("h4", {}, person.full_name),
              h(
                "dl",
                {},
                entry(t("card.address"), person.address),
                entry(
                  t("card.born"),
                  person.date_of_birth
                    ? `${formatDate(person.date_of_birth)} (${t("card.age", { years: age(person.date_of_birth) })})`
                    : "",
                ),
                entry(t("card.language"), label("card.lang", person.language)),
                entry(t("card.care"), person.care_notes, "notes"),
              ),
            ),
          ),
      h("h4", {}, t("card.contacts")),
      card.contacts.length === 0
        ? h("p", {}, t("card.no_contacts"))
        : h(
            "ol",
            { class: "contacts" },
            card.contacts.map((contact) =>
              h(
                "li",
                {},
                h("strong", {}, contact.name),
                contact.relation ? ` (${contact.relation})` : "",
                " · ",
                h(
                  "a",
                  {
                    href: `tel:${contact.phone.replace(/[^+0-9]/g, "")}`,
                    "aria-label": t("card.call_phone", { name: contact.name, phone: contact.phone }),
                  },
                  contact.phone,
                ),
              ),
            ),
          ),
    );
  }
}
