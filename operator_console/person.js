// A person's page for social workers: who lives in the home and whom to call, and (as the
// hub gives them) their activity over weeks, their review entries and their care plan. Every
// read of it is audited by the hub.

import { Activity } from "./activity.js";
import { describeError, get, put, vocabulary } from "./api.js";
import { age, entry } from "./card.js";
import { CarePlan } from "./careplan.js";
import { HomeReview } from "./review.js";
import { announce, h, replace, select } from "./dom.js";
import { formatDate, formatWhen, label, t } from "./i18n.js";

export class Person {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("view-person");
    this.ticket = 0;
    this.homeId = null;
    this.card = null;
    this.error = null;
    this.activity = new Activity(ctx);
    this.review = new HomeReview(ctx);
    this.plan = new CarePlan(ctx);
  }

  /** Open the page of the home ``homeId`` (its residents are "the person"). */
  async open(homeId, { focus = true, section = null } = {}) {
    this.ticket += 1;
    const ticket = this.ticket;
    this.homeId = homeId;
    this.card = null;
    this.error = null;
    this.render();
    if (focus && !section) this.root.querySelector("h2")?.focus();
    this.activity.load(homeId);
    this.review.load(homeId);
    const planned = this.plan.load(homeId);
    try {
      const card = await get(`/api/v1/homes/${encodeURIComponent(homeId)}`);
      if (ticket !== this.ticket) return;
      this.card = card;
      this.plan.setResidents(card.residents);
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.error = describeError(err);
    }
    this.render();
    if (section === "plan") {
      // Opened from the plans due: straight to the plan.
      await planned;
      if (ticket !== this.ticket) return;
      this.plan.root.scrollIntoView({ block: "start" });
      this.plan.root.querySelector("h3")?.focus();
    }
  }

  clear() {
    this.ticket += 1;
    this.homeId = null;
    this.card = null;
    this.error = null;
    this.activity.clear();
    this.review.clear();
    this.plan.clear();
    replace(this.root);
  }

  rerender() {
    if (!this.homeId) return;
    this.render();
    this.activity.render();
    this.review.render();
    if (!this.plan.editing) this.plan.render();
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
    // The activity is loaded beside the card and keeps its place (and charts) across redraws.
    if (!this.card) {
      replace(this.root, head, h("p", { class: "loading" }, t("panel.loading")), this.review.root, this.activity.root, this.plan.root);
      return;
    }
    replace(
      this.root,
      head,
      h("p", { class: "meta" }, t("person.district", { district: this.card.district })),
      this.review.root,
      this.activity.root,
      this.plan.root,
      this.about(),
      this.devices(),
    );
  }

  /** The sensors and the room each is in: what makes the activity read as daily living. */
  devices() {
    const devices = this.card.devices;
    const rooms = vocabulary().rooms.map((room) => [room, label("room", room)]);
    return h(
      "section",
      { class: "person-devices card", "aria-labelledby": "person-devices" },
      h("h3", { id: "person-devices" }, t("person.devices")),
      devices.length === 0
        ? h("p", {}, t("card.no_devices"))
        : h(
            "table",
            {},
            h(
              "thead",
              {},
              h("tr", {}, ["card.device", "person.room", "card.last_seen"].map((key) => h("th", { scope: "col" }, t(key)))),
            ),
            h(
              "tbody",
              {},
              devices.map((device) => {
                const choice = select(
                  {
                    "aria-label": t("person.room_of", { device: device.device_id }),
                    dataset: { device: device.device_id },
                    onchange: () => this.saveRoom(device, choice),
                  },
                  rooms,
                  t("person.room_unknown"),
                );
                choice.value = device.room ?? "";
                return h(
                  "tr",
                  { dataset: { device: device.device_id } },
                  h("th", { scope: "row" }, device.device_id),
                  h("td", {}, choice),
                  h("td", {}, device.last_seen ? formatWhen(device.last_seen) : "—"),
                );
              }),
            ),
          ),
    );
  }

  /** Say which room a device is in (``PUT …/devices/{id}``); kept as it was if refused. */
  async saveRoom(device, choice) {
    const room = choice.value || null;
    const path = `/api/v1/homes/${encodeURIComponent(this.homeId)}/devices/${encodeURIComponent(device.device_id)}`;
    try {
      const saved = await put(path, { room });
      device.room = saved.room;
      announce(t("person.room_saved", { device: device.device_id, room: saved.room ? label("room", saved.room) : t("person.room_unknown") }));
    } catch (err) {
      choice.value = device.room ?? "";
      announce(describeError(err), { error: true });
    }
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
