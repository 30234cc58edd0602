// The review list: people whose routine has changed for a fortnight against their own weeks
// before (GET /api/v1/review), each with the reason in words and numbers. Not alarms: they
// never reach the operators. A social worker marks an entry seen with what was done and a
// note (POST /api/v1/review/{id}/seen); it comes back only if the change grows.

import { describeError, get, post, vocabulary } from "./api.js";
import { announce, field, h, replace, select } from "./dom.js";
import { formatDate, formatWhen, label, reviewReason, t } from "./i18n.js";

/** The form that marks ``entry`` seen: the outcome, a note, and the button. */
export function seenForm(entry, onSeen) {
  const outcome = select(
    { name: "outcome" },
    vocabulary().review_outcomes.map((value) => [value, label("review.outcome", value)]),
    t("form.choose"),
  );
  const note = h("textarea", { name: "note", rows: "2", maxlength: "4000" });
  const message = h("p", { class: "error", role: "status" });
  const who = entry.resident_name ?? entry.home_id;
  return h(
    "form",
    {
      class: "seen-form",
      "aria-label": t("review.seen_form", { who }),
      onsubmit: async (event) => {
        event.preventDefault();
        message.textContent = "";
        if (!outcome.value) {
          message.textContent = t("review.choose_outcome");
          outcome.focus();
          return;
        }
        try {
          const seen = await post(`/api/v1/review/${entry.entry_id}/seen`, { outcome: outcome.value, note: note.value.trim() });
          announce(t("review.seen_done", { who }));
          onSeen(seen);
        } catch (err) {
          message.textContent = describeError(err);
        }
      },
    },
    field(t("review.outcome"), outcome),
    field(t("review.note"), note),
    h("button", { type: "submit", class: "primary" }, t("review.mark_seen")),
    message,
  );
}

/** What became of a seen entry: its outcome, who and when, and the note. */
export function seenText(entry) {
  return t("review.seen_by", {
    outcome: label("review.outcome", entry.outcome),
    by: entry.seen_by ?? "—",
    when: entry.seen_at ? formatWhen(entry.seen_at) : "—",
  });
}

export class Review {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("view-review");
    this.items = null;
    this.error = null;
    this.render();
  }

  clear() {
    this.items = null;
    this.error = null;
    this.render();
  }

  rerender() {
    this.render();
  }

  async show() {
    try {
      this.items = (await get("/api/v1/review")).items;
      this.error = null;
    } catch (err) {
      this.error = describeError(err);
    }
    this.render();
  }

  render() {
    const title = h("h2", { id: "review-title", tabindex: "-1" }, t("review.title"));
    const intro = h("p", { class: "meta" }, t("review.intro"));
    if (this.error) {
      replace(this.root, title, intro, h("p", { class: "error", role: "status" }, this.error));
      return;
    }
    if (this.items === null) {
      replace(this.root, title, intro, h("p", { class: "loading" }, t("panel.loading")));
      return;
    }
    replace(
      this.root,
      title,
      intro,
      h("p", { class: "count", id: "review-count" }, t("review.count", { n: this.items.length })),
      this.items.length === 0
        ? h("p", { class: "empty" }, t("review.empty"))
        : h("ol", { class: "review-list" }, this.items.map((entry) => this.entry(entry))),
    );
  }

  entry(entry) {
    const who = entry.resident_name ?? t("people.nobody");
    return h(
      "li",
      { class: "review-entry", dataset: { entry: entry.entry_id, home: entry.home_id } },
      h("h3", {}, who, h("span", { class: "home-id" }, ` · ${t("panel.home", { home: entry.home_id })} · ${entry.district}`)),
      h("p", { class: "reason" }, reviewReason(entry.reason_key, entry.reason_params)),
      h(
        "p",
        { class: "meta" },
        t("review.found", { since: formatDate(entry.opened_on), last: formatDate(entry.last_found_on) }),
      ),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "button", "aria-label": t("people.open", { names: who, home: entry.home_id }), onclick: () => this.ctx.openPerson(entry.home_id) },
          t("review.open_person"),
        ),
      ),
      seenForm(entry, () => {
        this.items = this.items.filter((item) => item.entry_id !== entry.entry_id);
        this.render();
        this.root.querySelector("h2")?.focus();
      }),
    );
  }
}

/** A person's entries (GET /api/v1/homes/{id}/review), open or seen, on their page. */
export class HomeReview {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = h("section", { class: "person-review card", "aria-labelledby": "person-review-title" });
    this.ticket = 0;
    this.items = null;
    this.error = null;
    this.homeId = null;
  }

  async load(homeId) {
    this.homeId = homeId;
    this.ticket += 1;
    const ticket = this.ticket;
    this.items = null;
    this.error = null;
    this.render();
    try {
      const items = (await get(`/api/v1/homes/${encodeURIComponent(homeId)}/review`)).items;
      if (ticket !== this.ticket) return;
      this.items = items;
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.error = describeError(err);
    }
    this.render();
  }

  clear() {
    this.ticket += 1;
    this.items = null;
    this.homeId = null;
    replace(this.root);
  }

  render() {
    const title = h("h3", { id: "person-review-title" }, t("review.person_title"));
    if (this.error) {
      replace(this.root, title, h("p", { class: "error", role: "status" }, this.error));
      return;
    }
    if (this.items === null) {
      replace(this.root, title, h("p", { class: "loading" }, t("panel.loading")));
      return;
    }
    replace(
      this.root,
      title,
      this.items.length === 0
        ? h("p", { class: "empty" }, t("review.person_empty"))
        : h(
            "ol",
            { class: "review-list" },
            this.items.map((entry) =>
              h(
                "li",
                { class: `review-entry state-${entry.state}`, dataset: { entry: entry.entry_id, state: entry.state } },
                h("p", { class: "reason" }, reviewReason(entry.reason_key, entry.reason_params)),
                h("p", { class: "meta" }, t("review.found", { since: formatDate(entry.opened_on), last: formatDate(entry.last_found_on) })),
                entry.state === "open"
                  ? seenForm(entry, () => {
                      this.load(this.homeId);
                    })
                  : [h("p", { class: "seen" }, seenText(entry)), entry.note ? h("p", { class: "note-text" }, entry.note) : null],
              ),
            ),
          ),
    );
  }
}
