// A person's care plan (piano assistenziale individualizzato) on their page: the version in
// force, a form that saves the next version, and every version before it with who saved it
// and when (GET and PUT /api/v1/homes/{id}/care-plan). Nothing is ever overwritten: the hub
// keeps each version, and refuses a save made from a version that is no longer in force.

import { ApiError, describeError, get, put, vocabulary } from "./api.js";
import { announce, field, h, replace, select } from "./dom.js";
import { formatDate, formatWhen, label, t } from "./i18n.js";

/** Today in the reader's calendar, "2026-03-01" (a review date is a calendar day). */
export function today() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

/** A service in words: "Well-being call, by the centre, 2 times a week". */
export function serviceText(service) {
  return t("plan.service_text", {
    what: service.what,
    provider: service.provider,
    times: service.times,
    per: label("plan.per", service.per),
  });
}

export class CarePlan {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = h("section", { class: "care-plan card", "aria-labelledby": "plan-title" });
    this.ticket = 0;
    this.plan = null;
    this.error = null;
    this.editing = false;
    this.homeId = null;
    this.residents = [];
  }

  async load(homeId) {
    this.homeId = homeId;
    this.ticket += 1;
    const ticket = this.ticket;
    this.plan = null;
    this.error = null;
    this.editing = false;
    this.render();
    try {
      const plan = await get(`/api/v1/homes/${encodeURIComponent(homeId)}/care-plan`);
      if (ticket !== this.ticket) return;
      this.plan = plan;
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.error = describeError(err);
    }
    this.render();
  }

  /** The home's residents (from its card), for whom a plan can be. */
  setResidents(residents) {
    this.residents = residents;
    if (!this.editing) this.render();
  }

  clear() {
    this.ticket += 1;
    this.homeId = null;
    this.plan = null;
    replace(this.root);
  }

  residentName(residentId) {
    if (!residentId) return t("plan.whole_home");
    return this.residents.find((r) => r.resident_id === residentId)?.full_name ?? t("plan.former_resident");
  }

  render() {
    const title = h("h3", { id: "plan-title", tabindex: "-1" }, t("plan.title"));
    if (this.error) {
      replace(this.root, title, h("p", { class: "error", role: "status" }, this.error));
      return;
    }
    if (!this.plan) {
      replace(this.root, title, h("p", { class: "loading" }, t("panel.loading")));
      return;
    }
    if (this.editing) {
      replace(this.root, title, this.form());
      return;
    }
    const current = this.plan.current;
    const edit = h(
      "button",
      { type: "button", class: current ? "" : "primary", onclick: () => this.edit() },
      current ? t("plan.edit") : t("plan.create"),
    );
    replace(
      this.root,
      h("div", { class: "card-head" }, title, edit),
      current ? this.version(current, { current: true }) : h("p", { class: "empty" }, t("plan.none")),
      this.history(),
    );
  }

  /** One version: for whom, goals, services, who answers for it, the next review. */
  version(plan, { current = false } = {}) {
    const due = plan.next_review <= today();
    return h(
      "div",
      { class: "plan-version", dataset: { version: String(plan.version) } },
      h(
        "p",
        { class: "meta" },
        t("plan.version_saved", { version: plan.version, by: plan.saved_by, when: formatWhen(plan.saved_at) }),
      ),
      h(
        "dl",
        {},
        h("div", {}, h("dt", {}, t("plan.for")), h("dd", {}, this.residentName(plan.resident_id))),
        h("div", {}, h("dt", {}, t("plan.responsible")), h("dd", {}, plan.responsible)),
        h(
          "div",
          { class: current && due ? "due" : "" },
          h("dt", {}, t("plan.next_review")),
          h(
            "dd",
            { dataset: { nextReview: plan.next_review } },
            formatDate(plan.next_review),
            current && due ? h("span", { class: "badge due" }, t("plan.review_due")) : null,
          ),
        ),
      ),
      h("h4", {}, t("plan.goals")),
      h("ol", { class: "goals" }, plan.goals.map((goal) => h("li", {}, goal))),
      h("h4", {}, t("plan.services")),
      plan.services.length === 0
        ? h("p", { class: "empty" }, t("plan.no_services"))
        : h("ul", { class: "services" }, plan.services.map((service) => h("li", {}, serviceText(service)))),
      plan.notes ? [h("h4", {}, t("plan.notes")), h("p", { class: "note-text" }, plan.notes)] : null,
    );
  }

  /** Every version, newest first; each says what changed from the one before. */
  history() {
    const versions = this.plan.history;
    if (versions.length < 2) return null;
    return h(
      "details",
      { class: "plan-history" },
      h("summary", {}, t("plan.history", { n: versions.length })),
      h(
        "ol",
        { class: "timeline", reversed: true },
        versions.map((plan, index) => {
          const before = versions[index + 1];
          return h(
            "li",
            { dataset: { version: String(plan.version) } },
            h("strong", {}, t("plan.version_saved", { version: plan.version, by: plan.saved_by, when: formatWhen(plan.saved_at) })),
            h("p", { class: "changed" }, before ? t("plan.changed", { what: this.changes(before, plan).join(", ") || t("plan.nothing_changed") }) : t("plan.first")),
            h("details", {}, h("summary", {}, t("plan.show_version", { version: plan.version })), this.version(plan)),
          );
        }),
      ),
    );
  }

  /** The parts of the plan that differ between two versions, in words. */
  changes(before, after) {
    const parts = [];
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    if (before.resident_id !== after.resident_id) parts.push(t("plan.for"));
    if (!same(before.goals, after.goals)) parts.push(t("plan.goals"));
    if (!same(before.services, after.services)) parts.push(t("plan.services"));
    if (before.responsible !== after.responsible) parts.push(t("plan.responsible"));
    if (before.next_review !== after.next_review) parts.push(t("plan.next_review"));
    if (before.notes !== after.notes) parts.push(t("plan.notes"));
    return parts.map((part) => part.toLowerCase());
  }

  edit() {
    this.editing = true;
    this.basedOn = this.plan.current?.version ?? 0;
    this.render();
    this.root.querySelector("textarea, input, select")?.focus();
  }

  /** The whole plan as a form: goals and services as lists of rows one can add to. */
  form() {
    const current = this.plan.current;
    const who = select(
      { name: "resident_id" },
      [["", t("plan.whole_home")], ...this.residents.map((r) => [r.resident_id, r.full_name])],
    );
    who.value = current?.resident_id ?? (this.residents.length === 1 ? this.residents[0].resident_id : "");
    const goals = h("ol", { class: "goal-rows" });
    const addGoal = (text = "") => {
      const area = h("textarea", { name: "goal", rows: "2", maxlength: "1000", required: true, "aria-label": t("plan.goal_n", { n: goals.children.length + 1 }) });
      area.value = text;
      const remove = h("button", { type: "button", class: "small", onclick: () => { row.remove(); renumber(); } }, t("plan.remove"));
      const row = h("li", {}, area, remove);
      goals.append(row);
      renumber();
      return area;
    };
    const renumber = () => {
      [...goals.children].forEach((row, i) => {
        row.querySelector("textarea").setAttribute("aria-label", t("plan.goal_n", { n: i + 1 }));
        row.querySelector("button").setAttribute("aria-label", t("plan.remove_goal", { n: i + 1 }));
      });
    };
    for (const goal of current?.goals ?? [""]) addGoal(goal);

    const services = h("tbody", {});
    const periods = vocabulary().care_service_periods.map((per) => [per, label("plan.per", per)]);
    const addService = (service = { what: "", provider: "", times: 1, per: periods[1]?.[0] ?? periods[0][0] }) => {
      const what = h("input", { name: "what", maxlength: "200", required: true, value: service.what });
      const provider = h("input", { name: "provider", maxlength: "200", required: true, value: service.provider });
      const times = h("input", { name: "times", type: "number", min: "1", max: "100", required: true, value: String(service.times) });
      const per = select({ name: "per" }, periods);
      per.value = service.per;
      const remove = h("button", { type: "button", class: "small", onclick: () => { row.remove(); renumberServices(); } }, t("plan.remove"));
      const row = h("tr", {}, h("td", {}, what), h("td", {}, provider), h("td", {}, times), h("td", {}, per), h("td", {}, remove));
      services.append(row);
      renumberServices();
      return what;
    };
    const renumberServices = () => {
      [...services.children].forEach((row, i) => {
        const n = i + 1;
        const [what, provider, times, per, remove] = row.querySelectorAll("input, select, button");
        what.setAttribute("aria-label", t("plan.service_what_n", { n }));
        provider.setAttribute("aria-label", t("plan.service_provider_n", { n }));
        times.setAttribute("aria-label", t("plan.service_times_n", { n }));
        per.setAttribute("aria-label", t("plan.service_per_n", { n }));
        remove.setAttribute("aria-label", t("plan.remove_service", { n }));
      });
    };
    for (const service of current?.services ?? []) addService(service);

    const responsible = h("input", { name: "responsible", maxlength: "64", required: true, autocomplete: "off", value: current?.responsible ?? this.ctx.state.me.username });
    const review = h("input", { name: "next_review", type: "date", required: true, value: current?.next_review ?? "" });
    const notes = h("textarea", { name: "notes", rows: "3", maxlength: "4000" });
    notes.value = current?.notes ?? "";
    const message = h("p", { class: "error", role: "status" });
    const form = h(
      "form",
      {
        class: "plan-form",
        "aria-labelledby": "plan-title",
        onsubmit: async (event) => {
          event.preventDefault();
          const body = {
            resident_id: who.value || null,
            goals: [...goals.querySelectorAll("textarea")].map((area) => area.value.trim()).filter(Boolean),
            services: [...services.children].map((row) => {
              const [what, provider, times, per] = row.querySelectorAll("input, select");
              return { what: what.value.trim(), provider: provider.value.trim(), times: Number(times.value), per: per.value };
            }),
            responsible: responsible.value.trim(),
            next_review: review.value,
            notes: notes.value.trim(),
            based_on_version: this.basedOn,
          };
          await this.save(body, message);
        },
      },
      field(t("plan.for"), who),
      h("fieldset", {}, h("legend", {}, t("plan.goals")), goals, h("button", { type: "button", class: "small", onclick: () => addGoal().focus() }, t("plan.add_goal"))),
      h(
        "fieldset",
        {},
        h("legend", {}, t("plan.services")),
        h(
          "table",
          { class: "service-rows" },
          h("thead", {}, h("tr", {}, ["plan.service_what", "plan.service_provider", "plan.service_times", "plan.service_per"].map((key) => h("th", { scope: "col" }, t(key))), h("th", {}, h("span", { class: "sr-only" }, t("plan.remove"))))),
          services,
        ),
        h("button", { type: "button", class: "small", onclick: () => addService().focus() }, t("plan.add_service")),
      ),
      field(t("plan.responsible"), responsible),
      field(t("plan.next_review"), review),
      field(t("plan.notes"), notes),
      message,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "primary" }, t("plan.save")),
        h("button", { type: "button", onclick: () => { this.editing = false; this.render(); this.root.querySelector("h3")?.focus(); } }, t("plan.cancel")),
      ),
    );
    return form;
  }

  async save(body, message) {
    message.textContent = "";
    try {
      await put(`/api/v1/homes/${encodeURIComponent(this.homeId)}/care-plan`, body);
      announce(t("plan.saved"));
      this.editing = false;
      await this.load(this.homeId);
      this.root.querySelector("h3")?.focus();
    } catch (err) {
      message.textContent = describeError(err);
      if (err instanceof ApiError && err.code === "care_plan.changed") {
        // Someone saved meanwhile. What was typed stays in the form; saving again (now that
        // the user has been told) makes the next version over theirs.
        const fresh = await get(`/api/v1/homes/${encodeURIComponent(this.homeId)}/care-plan`).catch(() => null);
        if (fresh?.current) {
          this.plan = fresh;
          this.basedOn = fresh.current.version;
          message.textContent = t("plan.changed_meanwhile", {
            version: fresh.current.version,
            by: fresh.current.saved_by,
            when: formatWhen(fresh.current.saved_at),
          });
        }
      }
    }
  }
}
