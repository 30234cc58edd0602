// The resident card of a home: who lives there, whom to call and in what order, the home
// unit and its devices, and what happened at home in the last hours.

import { describeError, get, isoQuery, vocabulary } from "./api.js";
import { h, replace } from "./dom.js";
import { formatDate, formatWhen, formatWhenExact, label, t } from "./i18n.js";

const EVENT_HOURS = 6;
const EVENTS_SHOWN = 40;

export class Card {
  constructor(ctx) {
    this.ctx = ctx;
    this.ticket = 0;
    this.reset();
  }

  reset() {
    this.ticket += 1;
    this.container = null;
    this.homeId = null;
    this.card = null;
    this.events = null;
    this.error = null;
    this.options = {};
    this.contactButtons = [];
    this.callButton = null;
    this.presence = null;
  }

  async load(container, homeId, options = {}) {
    this.reset();
    const ticket = this.ticket;
    this.container = container;
    this.homeId = homeId;
    this.options = options;
    this.render();
    const from = new Date(Date.now() - EVENT_HOURS * 3600 * 1000);
    const home = encodeURIComponent(homeId);
    try {
      const [card, events] = await Promise.all([
        get(`/api/v1/homes/${home}`),
        get(`/api/v1/homes/${home}/events?from=${isoQuery(from)}&limit=200&order=newest`),
      ]);
      if (ticket !== this.ticket) return;
      this.card = card;
      this.events = events.items;
      this.ctx.noteCard(card);
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.error = describeError(err);
    }
    this.render();
  }

  render() {
    if (!this.container) return;
    const title = h("h3", { id: "card-title" }, `${t("card.title")} · ${this.homeId}`);
    this.callButton = h(
      "button",
      { type: "button", class: "call", onclick: () => this.ctx.startCall(this.homeId, null) },
      t("action.call_home"),
    );
    const head = h("div", { class: "card-head" }, title, this.callButton);
    if (this.error) {
      replace(this.container, head, h("p", { class: "error" }, this.error));
      this.refreshActions();
      return;
    }
    if (!this.card) {
      replace(this.container, head, h("p", { class: "loading" }, t("panel.loading")));
      this.refreshActions();
      return;
    }
    this.contactButtons = [];
    this.presence = h("p", { class: "presence" });
    replace(
      this.container,
      head,
      h("div", { class: "card-presence" }, h("h4", {}, t("card.presence")), this.presence),
      this.residents(),
      this.contacts(),
      this.devices(),
      this.timeline(),
    );
    this.renderPresence();
    this.refreshActions();
  }

  refreshActions() {
    if (this.callButton) {
      const wanted = this.options.callHome?.() ?? true;
      this.callButton.hidden = !wanted;
      this.callButton.disabled = !this.ctx.actsOnAlarms() || this.ctx.inCall();
    }
    const allowed = this.options.canRecordContact?.() ?? false;
    for (const button of this.contactButtons) button.hidden = !allowed;
  }

  updatePresence(presence) {
    if (!this.card || presence.home_id !== this.homeId) return;
    this.card.presence = {
      ...(this.card.presence ?? {}),
      online: presence.online,
      status_reason: presence.status_reason,
      last_seen: presence.last_seen,
    };
    this.renderPresence();
  }

  renderPresence() {
    if (!this.presence) return;
    const seen = this.card.presence;
    if (!seen) {
      this.presence.className = "presence unknown";
      this.presence.textContent = t("card.unknown");
      return;
    }
    this.presence.className = `presence ${seen.online ? "online" : "offline"}`;
    this.presence.dataset.online = String(seen.online);
    const parts = [seen.online ? t("card.online") : t("card.offline"), t("card.since", { when: formatWhen(seen.last_seen) })];
    if (seen.power) {
      const key = `card.power.${seen.power}`;
      const power = t(key);
      parts.push(t("card.power", { power: power === key ? seen.power : power }));
    }
    this.presence.textContent = parts.join(" · ");
  }

  residents() {
    const people = this.card.residents;
    return h(
      "div",
      { class: "card-residents" },
      h("h4", {}, t("card.residents")),
      people.length === 0
        ? h("p", {}, t("card.no_residents"))
        : people.map((person) =>
            h(
              "article",
              { class: "resident" },
              h("h5", {}, person.full_name),
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
                entry(t("card.medical"), person.medical_notes, "notes medical"),
                entry(t("card.care"), person.care_notes, "notes"),
                entry(t("card.key_safe"), person.key_safe),
              ),
            ),
          ),
    );
  }

  contacts() {
    const contacts = this.card.contacts;
    return h(
      "div",
      { class: "card-contacts" },
      h("h4", {}, t("card.contacts")),
      contacts.length === 0
        ? h("p", {}, t("card.no_contacts"))
        : h(
            "ol",
            { class: "contacts" },
            contacts.map((contact) => {
              const record = h(
                "button",
                { type: "button", class: "small", onclick: () => this.options.onRecordContact?.(contact) },
                t("action.log_contact", { name: contact.name }),
              );
              this.contactButtons.push(record);
              return h(
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
                contact.responder ? h("span", { class: "badge" }, t("card.responder")) : null,
                contact.has_key ? h("span", { class: "badge" }, t("card.has_key")) : null,
                contact.notes ? h("span", { class: "note-text" }, ` — ${contact.notes}`) : null,
                " ",
                record,
              );
            }),
          ),
    );
  }

  devices() {
    const devices = this.card.devices;
    return h(
      "div",
      { class: "card-devices" },
      h("h4", {}, t("card.devices")),
      devices.length === 0
        ? h("p", {}, t("card.no_devices"))
        : h(
            "table",
            {},
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                [t("card.device"), t("card.battery"), t("card.signal"), t("card.last_seen")].map((name) =>
                  h("th", { scope: "col" }, name),
                ),
              ),
            ),
            h(
              "tbody",
              {},
              devices.map((device) =>
                h(
                  "tr",
                  { class: device.battery_percent !== null && device.battery_percent < 20 ? "low" : "" },
                  h("th", { scope: "row" }, device.device_id),
                  h("td", {}, device.battery_percent === null ? "—" : `${device.battery_percent}%`),
                  h("td", {}, device.signal_dbm === null ? "—" : `${device.signal_dbm} dBm`),
                  h("td", {}, device.last_seen ? formatWhen(device.last_seen) : "—"),
                ),
              ),
            ),
          ),
    );
  }

  timeline() {
    const latest = this.events.slice(0, EVENTS_SHOWN); // the hub sends the newest first
    return h(
      "div",
      { class: "card-events" },
      h("h4", {}, t("card.events")),
      latest.length === 0
        ? h("p", {}, t("card.no_events"))
        : h(
            "ol",
            { class: "timeline events" },
            latest.map((event) =>
              h(
                "li",
                { dataset: { kind: event.kind } },
                h("time", { datetime: event.ts }, formatWhenExact(event.ts)),
                " ",
                h("strong", {}, describeEvent(event)),
                ` · ${[event.location, event.device_id].filter(Boolean).join(", ")}`,
              ),
            ),
          ),
    );
  }
}

export function entry(label, value, className = "") {
  return h("div", { class: className }, h("dt", {}, label), h("dd", {}, value ? value : t("card.none")));
}

export function age(birth) {
  const born = new Date(`${birth}T12:00:00`);
  const now = new Date();
  let years = now.getFullYear() - born.getFullYear();
  if (now.getMonth() < born.getMonth() || (now.getMonth() === born.getMonth() && now.getDate() < born.getDate())) {
    years -= 1;
  }
  return years;
}

/** An event of the home in words. */
export function describeEvent(event) {
  const params = { kind: event.kind, value: event.value ?? {} };
  if (vocabulary().trigger_kinds.includes(event.kind)) return t("event.trigger", params);
  const key = `event.${event.kind}`;
  const text = t(key, params);
  return text === key ? t("event.other", params) : text;
}
