// The district's month (GET /api/v1/districts/{district}/months/{YYYY-MM}): the figures the
// service reports to its funders, with bar charts, and the downloads the hub makes of the same
// figures: a CSV file per table and the printable PDF report.

import { describeError, get, vocabulary } from "./api.js";
import { figure } from "./charts.js";
import { field, h, replace, select } from "./dom.js";
import { formatPercent, formatWhen, label, t } from "./i18n.js";

/** The month before this one, "2026-11": the last whole month, where the page opens. */
export function lastMonth(now = new Date()) {
  const month = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${month.getFullYear()}-${String(month.getMonth() + 1).padStart(2, "0")}`;
}

/** Bars in a table: a row per category, its bar drawn to scale and its number beside it. */
function bars(caption, unit, rows) {
  const max = Math.max(1, ...rows.map(([, value]) => value));
  return h(
    "table",
    { class: "bars" },
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("report.category")), h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("report.bar"))), h("th", { scope: "col" }, unit))),
    h(
      "tbody",
      {},
      rows.map(([name, value]) => {
        const fill = h("span", { class: "fill" });
        // A length set through the DOM's style property: the page's policy allows no inline style.
        fill.style.width = `${(100 * value) / max}%`;
        return h("tr", {}, h("th", { scope: "row" }, name), h("td", { class: "bar", "aria-hidden": "true" }, fill), h("td", { class: "number" }, String(value)));
      }),
    ),
  );
}

/** A plain table of a section's rows: ``columns`` [heading, cell(row)]. */
function table(caption, columns, rows) {
  return h(
    "table",
    { class: "data" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map(([heading]) => h("th", { scope: "col" }, heading)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map(([, cell], i) => (i === 0 ? h("th", { scope: "row" }, cell(row)) : h("td", {}, cell(row))))))),
  );
}

const share = (value) => (value === null || value === undefined ? "—" : formatPercent(value));
const met = (value) => (value === null || value === undefined ? t("report.not_judged") : value ? t("supervisor.met") : t("supervisor.missed"));

export class Report {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("view-report");
    this.figures = null;
    this.error = null;
    this.district = null;
    this.month = lastMonth();
    this.districts = [];
    this.ticket = 0;
    this.choice = null;
  }

  clear() {
    this.ticket += 1;
    this.figures = null;
    this.error = null;
    this.district = null;
    this.month = lastMonth();
    this.districts = [];
    this.choice = null;
    replace(this.root);
  }

  rerender() {
    if (!this.district) return;
    // New words for the form, with what is typed in it kept.
    const typed = this.choice && { district: this.choice.district.value, month: this.choice.month.value };
    this.choice = null;
    this.render();
    if (typed) {
      this.choice.district.value = typed.district;
      this.choice.month.value = typed.month;
    }
  }

  /** The districts the user may report on: theirs, or (an admin's) every district with homes. */
  async show() {
    const me = this.ctx.state.me;
    let districts = [...me.districts];
    if (districts.length === 0) {
      try {
        const homes = await get("/api/v1/homes?limit=200");
        districts = [...new Set(homes.items.map((home) => home.district))];
      } catch (err) {
        this.error = describeError(err);
      }
    }
    this.districts = districts.sort();
    if (!this.district || !this.districts.includes(this.district)) this.district = this.districts[0] ?? null;
    this.choice = null;
    await this.load();
  }

  async load() {
    this.ticket += 1;
    const ticket = this.ticket;
    this.figures = null;
    this.error = null;
    this.render();
    if (!this.district) return;
    try {
      const figures = await get(this.path());
      if (ticket !== this.ticket) return;
      this.figures = figures;
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.error = describeError(err);
    }
    this.render();
  }

  path(suffix = "") {
    return `/api/v1/districts/${encodeURIComponent(this.district)}/months/${this.month}${suffix}`;
  }

  /**
   * The district and month chosen, built once per view: a render while a month loads must not
   * throw away what the user is typing (the month they asked for would become the one shown).
   */
  choiceForm() {
    if (this.choice) return this.choice;
    const title = h("h2", { id: "report-title", tabindex: "-1" }, t("report.title"));
    const district = select({ name: "district" }, this.districts.map((d) => [d, d]));
    district.value = this.district ?? "";
    const month = h("input", { type: "month", name: "month", required: true, value: this.month, max: lastMonth(new Date(Date.now() + 31 * 86400000)) });
    const form = h(
      "form",
      {
        class: "search report-choice",
        "aria-labelledby": "report-title",
        onsubmit: (event) => {
          event.preventDefault();
          if (!/^\d{4}-\d{2}$/.test(month.value)) return;
          this.district = district.value;
          this.month = month.value;
          this.load();
        },
      },
      field(t("report.district"), district),
      field(t("report.month"), month),
      h("button", { type: "submit", class: "primary" }, t("report.show")),
    );
    this.choice = { title, form, district, month };
    return this.choice;
  }

  render() {
    const { title, form } = this.choiceForm();
    if (!this.district) {
      replace(this.root, title, h("p", { class: this.error ? "error" : "empty" }, this.error ?? t("report.no_district")));
      return;
    }
    if (this.error) {
      replace(this.root, title, form, h("p", { class: "error", role: "status" }, this.error));
      return;
    }
    if (!this.figures) {
      replace(this.root, title, form, h("p", { class: "loading" }, t("panel.loading")));
      return;
    }
    const f = this.figures;
    replace(
      this.root,
      title,
      form,
      h("h3", { id: "report-heading" }, t("report.heading", { district: f.district, month: this.monthName(f.month) })),
      h("p", { class: "meta" }, t("report.read_at", { when: formatWhen(f.computed_at), zone: f.time_zone })),
      this.downloads(),
      this.summary(f.summary),
      this.sections(f),
    );
  }

  monthName(month) {
    const [year, number] = month.split("-").map(Number);
    return new Intl.DateTimeFormat(document.documentElement.lang, { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(year, number - 1, 1)));
  }

  downloads() {
    return h(
      "section",
      { class: "downloads", "aria-labelledby": "report-downloads" },
      h("h4", { id: "report-downloads" }, t("report.downloads")),
      h(
        "ul",
        {},
        h("li", {}, h("a", { href: this.path("/report.pdf"), download: "", class: "pdf" }, t("report.pdf"))),
        vocabulary().report_tables.map((name) =>
          h("li", {}, h("a", { href: this.path(`/csv/${name}.csv`), download: "", dataset: { table: name } }, t("report.csv", { table: label("report.table", name) }))),
        ),
      ),
    );
  }

  summary(s) {
    const figures = [
      ["people_served", String(s.people_served)],
      ["alarms", String(s.alarms)],
      ["share_60s", share(s.share_60s)],
      ["share_180s", share(s.share_180s)],
      ["false_alarms", String(s.false_alarms)],
      ["missed_check_ins", String(s.missed_check_ins)],
      ["device_faults", String(s.device_faults)],
      ["calls", t("report.calls_done_of", { done: s.calls_done, planned: s.calls_planned })],
      ["review_entries", String(s.review_entries)],
    ];
    return h(
      "section",
      { "aria-labelledby": "report-summary" },
      h("h4", { id: "report-summary" }, t("report.table.summary")),
      h("dl", { class: "figures" }, figures.map(([name, value]) => h("div", { class: "figure", dataset: { figure: name } }, h("dt", {}, t(`report.summary.${name}`)), h("dd", {}, value)))),
    );
  }

  sections(f) {
    const byKind = new Map();
    for (const row of f.alarms) byKind.set(row.kind, (byKind.get(row.kind) ?? 0) + row.alarms);
    const kinds = [...byKind].sort((a, b) => b[1] - a[1]);
    const calls = f.wellbeing_calls;
    const outcomes = f.outcomes.filter((r) => r.alarms > 0);
    return [
      this.section("people", [
        table(t("report.table.people"), [
          [t("report.people.served"), (p) => String(p.served)],
          [t("report.people.at_start"), (p) => String(p.at_start)],
          [t("report.people.joined"), (p) => String(p.joined)],
          [t("report.people.left"), (p) => String(p.left)],
          [t("report.people.at_end"), (p) => String(p.at_end)],
          [t("report.people.homes"), (p) => String(p.homes)],
        ], [f.people]),
      ]),
      this.section("alarms", [
        kinds.length === 0
          ? h("p", { class: "empty" }, t("report.none"))
          : figure({
              id: "report-alarms-chart",
              title: t("report.chart.alarms"),
              chart: bars(t("report.chart.alarms"), t("report.unit.alarms"), kinds.map(([kind, n]) => [label("alarmkind", kind), n])),
              summary: t("report.chart.alarms_summary", { n: f.summary.alarms, kind: kinds.length ? label("alarmkind", kinds[0][0]) : "—", top: kinds[0]?.[1] ?? 0 }),
            }),
        f.alarms.length
          ? table(t("report.table.alarms"), [
              [t("activity.alarm_kind"), (r) => label("alarmkind", r.kind)],
              [t("report.priority"), (r) => t("priority.short", { n: r.priority })],
              [t("report.unit.alarms"), (r) => String(r.alarms)],
              [t("report.escalated"), (r) => String(r.escalated)],
            ], f.alarms)
          : null,
      ]),
      this.section("answer_times", [
        table(t("report.table.answer_times"), [
          [t("report.priority"), (r) => (r.priority === "all" ? t("report.all") : t("priority.short", { n: r.priority }))],
          [t("report.within_60"), (r) => `${share(r.share_60s)} (${r.within_60s}/${r.judged_60s}) · ${met(r.met_60s)}`],
          [t("report.within_180"), (r) => `${share(r.share_180s)} (${r.within_180s}/${r.judged_180s}) · ${met(r.met_180s)}`],
          [t("report.median"), (r) => (r.median_s === null ? "—" : `${Math.round(r.median_s)} s`)],
          [t("report.p90"), (r) => (r.p90_s === null ? "—" : `${Math.round(r.p90_s)} s`)],
        ], f.answer_times),
        h("p", { class: "meta" }, t("report.targets", { goal60: formatPercent(f.answer_times[0]?.target_60s ?? 0.975), goal180: formatPercent(f.answer_times[0]?.target_180s ?? 0.99) })),
      ]),
      this.section("outcomes", [
        // The outcomes that happened (the CSV file lists every one, with its zero).
        outcomes.length === 0
          ? h("p", { class: "empty" }, t("report.none"))
          : figure({
              id: "report-outcomes-chart",
              title: t("report.chart.outcomes"),
              chart: bars(t("report.chart.outcomes"), t("report.unit.alarms"), outcomes.map((r) => [r.outcome === "open" ? t("report.still_open") : label("outcome", r.outcome), r.alarms])),
              summary: t("report.chart.outcomes_summary", { n: f.outcomes.reduce((sum, r) => sum + r.alarms, 0) }),
            }),
      ]),
      this.section("wellbeing_calls", [
        figure({
          id: "report-calls-chart",
          title: t("report.chart.calls"),
          chart: bars(t("report.chart.calls"), t("report.unit.calls"), ["planned", "done", "unanswered", "skipped", "pending"].map((name) => [t(`report.calls.${name}`), calls[name]])),
          summary: t("report.chart.calls_summary", { done: calls.done, planned: calls.planned, share: share(calls.done_share), attempts: calls.attempts }),
        }),
      ]),
      this.section("check_ins", [h("p", {}, t("report.check_ins", { missed: f.check_ins.missed_check_ins, homes: f.check_ins.homes }))]),
      this.section("device_faults", [
        f.device_faults.length === 0
          ? h("p", { class: "empty" }, t("report.none"))
          : table(t("report.table.device_faults"), [
              [t("activity.alarm_kind"), (r) => label("alarmkind", r.kind)],
              [t("report.unit.alarms"), (r) => String(r.alarms)],
              [t("report.homes"), (r) => String(r.homes)],
            ], f.device_faults),
      ]),
      this.section("review_entries", [
        f.review_entries.length === 0
          ? h("p", { class: "empty" }, t("report.none"))
          : table(t("report.table.review_entries"), [
              [t("report.indicator"), (r) => t(`indicator.${r.indicator}`)],
              [t("review.outcome"), (r) => (r.outcome === "open" ? t("report.still_open") : label("review.outcome", r.outcome))],
              [t("report.entries"), (r) => String(r.entries)],
            ], f.review_entries),
      ]),
    ];
  }

  section(name, content) {
    return h("section", { class: "report-section", dataset: { table: name }, "aria-labelledby": `report-${name}` }, h("h4", { id: `report-${name}` }, label("report.table", name)), content);
  }
}
