// A person's activity over 4 weeks, 12 weeks or a year (GET /api/v1/homes/{id}/activity): the
// heatmap by room, hour and day; each daily indicator's trend against the person's usual band;
// the alarms and well-being calls on the same days. Only the hub's kept daily numbers are
// read, never raw events.

import { describeError, get } from "./api.js";
import { dataTable, dayToSeconds, drawHeatmap, figure, formatClock, formatDay, formatNumber, heatLegend, lineChart } from "./charts.js";
import { h, replace } from "./dom.js";
import { formatMinutes, formatWhen, label, t } from "./i18n.js";

/** The ranges the hub offers, in the picker's order; 12 weeks is where the page opens. */
export const RANGES = ["4w", "12w", "1y"];
const FIRST_RANGE = "12w";
/** The days a trend's summary sums up: the same fortnight the review list looks at. */
const RECENT_DAYS = 14;
const SYNC_KEY = "person-days";
/** Tick steps of a value axis per unit: whole counts, hours, round minutes, whole hours. */
const STEPS = {
  count: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  hours: [1, 2, 4, 6, 12, 24],
  minutes: [5, 10, 15, 30, 60, 120, 240, 480, 720],
  time_of_day: [60, 120, 180, 240, 360],
};

/** An indicator's value with its unit, as its band's unit says it reads. */
export function formatValue(unit, value) {
  if (value === null || value === undefined) return "—";
  switch (unit) {
    case "hours":
      return t("unit.hours_value", { n: formatNumber(value, 1) });
    case "minutes":
      return formatMinutes(value);
    case "time_of_day":
      return formatClock(value);
    default:
      return formatNumber(value, 1);
  }
}

function median(values) {
  const known = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const middle = Math.floor(known.length / 2);
  return known.length % 2 ? known[middle] : (known[middle - 1] + known[middle]) / 2;
}

/** The home's calendar day ("2026-03-01") of a moment, in its time zone. */
function localDay(moment, zone) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(new Date(moment));
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** How many of ``marks`` fall on each of ``days`` (by the moment ``when`` picks). */
function perDay(days, marks, when, zone) {
  const index = new Map(days.map((day, i) => [day.day, i]));
  const counts = days.map(() => 0);
  for (const mark of marks) {
    const i = index.get(localDay(when(mark), zone));
    if (i !== undefined) counts[i] += 1;
  }
  return counts;
}

export class Activity {
  constructor(ctx) {
    this.ctx = ctx;
    this.range = FIRST_RANGE;
    this.charts = [];
    this.ticket = 0;
    this.root = h("div", { class: "activity" });
    this.data = null;
    this.error = null;
    this.homeId = null;
  }

  /** Load the home's activity over the chosen range and draw it. */
  async load(homeId) {
    this.homeId = homeId;
    this.ticket += 1;
    const ticket = this.ticket;
    this.data = null;
    this.error = null;
    this.render();
    try {
      const data = await get(`/api/v1/homes/${encodeURIComponent(homeId)}/activity?range=${this.range}`);
      if (ticket !== this.ticket) return;
      this.data = data;
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.error = describeError(err);
    }
    this.render();
  }

  clear() {
    this.ticket += 1;
    this.drawing = (this.drawing ?? 0) + 1;
    this.destroyCharts();
    this.data = null;
    this.homeId = null;
    replace(this.root);
  }

  destroyCharts() {
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
  }

  rangePicker() {
    return h(
      "div",
      { class: "range-picker", role: "group", "aria-label": t("activity.range") },
      h("span", { class: "range-label", "aria-hidden": "true" }, `${t("activity.range")}:`),
      RANGES.map((range) =>
        h(
          "button",
          {
            type: "button",
            class: "small",
            "aria-pressed": range === this.range ? "true" : "false",
            dataset: { range },
            onclick: () => {
              if (range === this.range) return;
              this.range = range;
              this.load(this.homeId);
            },
          },
          t(`activity.range.${range}`),
        ),
      ),
    );
  }

  render() {
    this.destroyCharts();
    this.heatmaps = [];
    this.trends = [];
    this.drawing = (this.drawing ?? 0) + 1;
    delete this.root.dataset.drawn;
    const head = h("div", { class: "activity-head" }, h("h3", { id: "activity-title" }, t("activity.title")), this.rangePicker());
    if (this.error) {
      replace(this.root, head, h("p", { class: "error", role: "status" }, this.error));
      return;
    }
    if (!this.data) {
      replace(this.root, head, h("p", { class: "loading" }, t("panel.loading")));
      return;
    }
    const data = this.data;
    const away = data.days.filter((day) => !day.present).length;
    replace(
      this.root,
      head,
      h(
        "p",
        { class: "meta", id: "activity-span" },
        t("activity.span", {
          first: formatDay(dayToSeconds(data.first), { year: true }),
          last: formatDay(dayToSeconds(data.last), { year: true }),
          days: data.days.length,
          away,
          zone: data.time_zone,
        }),
      ),
      ...(data.days.some((day) => day.present)
        ? [this.heatmapSection(), this.trendsSection()]
        : [h("p", { class: "empty" }, t("activity.no_days"))]),
      this.eventsSection(),
    );
    // Charts measure their box: drawn once the page holds them.
    this.drawCharts();
  }

  // --- the heatmap --------------------------------------------------------------------------

  heatmapSection() {
    const { days, heatmap } = this.data;
    const dayNames = days.map((day) => day.day);
    const rooms = heatmap.rooms
      .map((room, index) => ({ room, counts: heatmap.counts[index] }))
      .filter(({ counts }) => counts.some((hours) => hours.some((n) => n > 0)));
    const max = Math.max(1, ...rooms.flatMap(({ counts }) => counts.flat()));
    this.heatmaps = [];
    const silent = heatmap.rooms.filter((room) => !rooms.some((shown) => shown.room === room));
    const figures = rooms.map(({ room, counts }) => {
      const canvas = h("canvas", { class: "heatmap", dataset: { room, days: String(days.length) } });
      const cells = counts.map((hours, d) => (days[d].present ? hours : null));
      this.heatmaps.push({ canvas, cells, days: dayNames, max });
      return figure({
        id: `heat-${room}`,
        title: label("room", room),
        chart: h("div", { class: "heatmap-box" }, canvas),
        summary: this.roomSummary(room, counts),
      });
    });
    return h(
      "section",
      { class: "activity-heatmap", "aria-labelledby": "heat-title" },
      h("h4", { id: "heat-title" }, t("activity.heatmap")),
      h("p", { class: "meta" }, t("activity.heatmap_how")),
      heatLegend(max),
      rooms.length ? figures : h("p", { class: "empty" }, t("activity.no_activity")),
      silent.length && rooms.length ? h("p", { class: "meta" }, t("activity.silent_rooms", { rooms: silent.map((room) => label("room", room)).join(", ") })) : null,
      rooms.length
        ? h(
            "details",
            { class: "chart-table" },
            h("summary", {}, t("activity.heatmap_table")),
            dataTable(
              t("activity.heatmap_table_caption"),
              [t("chart.day"), ...rooms.map(({ room }) => label("room", room)), t("activity.busiest_hour")],
              days.map((day, d) => {
                const byHour = Array.from({ length: 24 }, (_, hour) => rooms.reduce((sum, { counts }) => sum + counts[d][hour], 0));
                const busiest = byHour.indexOf(Math.max(...byHour));
                return [
                  formatDay(dayToSeconds(day.day), { year: true, weekday: true }),
                  ...rooms.map(({ counts }) => (day.present ? String(counts[d].reduce((a, b) => a + b, 0)) : t("activity.away"))),
                  day.present && byHour[busiest] > 0 ? `${formatClock(busiest * 60)}–${formatClock((busiest + 1) * 60)}` : "—",
                ];
              }),
            ),
          )
        : null,
    );
  }

  /** "Kitchen: 412 readings in 28 days, most between 12:00 and 13:00; none on 3 days." */
  roomSummary(room, counts) {
    const byHour = Array.from({ length: 24 }, (_, hour) => counts.reduce((sum, hours) => sum + hours[hour], 0));
    const readings = byHour.reduce((a, b) => a + b, 0);
    const busiest = byHour.indexOf(Math.max(...byHour));
    const quiet = counts.filter((hours, d) => this.data.days[d].present && hours.every((n) => n === 0)).length;
    return t("activity.room_summary", {
      room: label("room", room),
      readings: formatNumber(readings, 0),
      days: counts.length,
      from: formatClock(busiest * 60),
      to: formatClock((busiest + 1) * 60),
      quiet,
    });
  }

  // --- the trends ---------------------------------------------------------------------------

  trendsSection() {
    const { days, usual } = this.data;
    this.trends = [];
    const figures = usual.map((band) => {
      const values = days.map((day) => day[band.indicator] ?? null);
      const box = h("div", { class: "trend-box" });
      this.trends.push({ box, band, values });
      const rows = days.map((day, d) => [
        formatDay(dayToSeconds(day.day), { year: true, weekday: true }),
        day.present ? formatValue(band.unit, values[d]) : t("activity.away"),
        formatValue(band.unit, band.low[d]),
        formatValue(band.unit, band.median[d]),
        formatValue(band.unit, band.high[d]),
      ]);
      return figure({
        id: `trend-${band.indicator}`,
        title: t(`indicator.${band.indicator}`),
        chart: box,
        summary: this.trendSummary(band, values),
        table: dataTable(
          t(`indicator.${band.indicator}`),
          [t("chart.day"), t("activity.value"), t("activity.usual_low"), t("activity.usual_median"), t("activity.usual_high")],
          rows,
        ),
      });
    });
    return h(
      "section",
      { class: "activity-trends", "aria-labelledby": "trends-title" },
      h("h4", { id: "trends-title" }, t("activity.trends")),
      h("p", { class: "meta" }, t("activity.trends_how")),
      h("div", { class: "trend-grid" }, figures),
    );
  }

  /**
   * "Last 14 days: 5.1 h (middle value); usually between 6.2 h and 8 h, typically 7.1 h."
   * The usual is the band on the fortnight's first day, from the 8 weeks before it: the
   * fortnight is set against the weeks before, not against itself.
   */
  trendSummary(band, values) {
    const recent = median(values.slice(-RECENT_DAYS));
    const last = Math.max(0, band.median.length - RECENT_DAYS);
    const name = t(`indicator.${band.indicator}`);
    const now = formatValue(band.unit, recent);
    if (recent === null) return t("activity.trend_none", { name, days: RECENT_DAYS });
    if (band.median[last] === null) return t("activity.trend_no_band", { name, days: RECENT_DAYS, now });
    return t("activity.trend_summary", {
      name,
      days: RECENT_DAYS,
      now,
      low: formatValue(band.unit, band.low[last]),
      high: formatValue(band.unit, band.high[last]),
      median: formatValue(band.unit, band.median[last]),
    });
  }

  // --- alarms and calls ---------------------------------------------------------------------

  eventsSection() {
    const { days, alarms, calls, time_zone: zone } = this.data;
    this.eventsBox = h("div", { class: "trend-box" });
    // Each alarm on the day it was raised, each call on the day it was planned, in the home's
    // time zone: the same days as the charts above and the lists below.
    this.alarmsPerDay = perDay(days, alarms, (alarm) => alarm.raised_at, zone);
    this.callsPerDay = perDay(days, calls, (call) => call.planned_at, zone);
    const chart = figure({
      id: "alarms-calls",
      title: t("activity.alarms_calls"),
      chart: this.eventsBox,
      summary: t("activity.alarms_calls_summary", { alarms: alarms.length, calls: calls.length, days: days.length }),
      table: dataTable(
        t("activity.alarms_calls"),
        [t("chart.day"), t("activity.alarms_per_day"), t("activity.calls_per_day")],
        days
          .map((day, d) => [formatDay(dayToSeconds(day.day), { year: true, weekday: true }), String(this.alarmsPerDay[d]), String(this.callsPerDay[d])])
          .filter((_, d) => this.alarmsPerDay[d] || this.callsPerDay[d]),
      ),
    });
    return h(
      "section",
      { class: "activity-events", "aria-labelledby": "events-title" },
      h("h4", { id: "events-title" }, t("activity.alarms_calls")),
      chart,
      h("h5", {}, t("activity.alarm_list")),
      h(
        "div",
        { class: "alarm-list" },
        alarms.length === 0
          ? h("p", { class: "empty" }, t("activity.no_alarms"))
          : dataTable(
            t("activity.alarm_list"),
            [t("activity.when"), t("activity.alarm_kind"), t("history.state"), t("history.closed")],
            [...alarms]
              .sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at))
              .map((alarm) => [
                formatWhen(alarm.raised_at),
                `${label("alarmkind", alarm.kind)} · ${t("priority.short", { n: alarm.priority })}`,
                `${label("state", alarm.state)}${alarm.outcome ? ` · ${label("outcome", alarm.outcome)}` : ""}`,
                alarm.closed_at ? formatWhen(alarm.closed_at) : "—",
              ]),
          ),
      ),
      h("h5", {}, t("activity.call_list")),
      h(
        "div",
        { class: "call-list" },
        calls.length === 0
          ? h("p", { class: "empty" }, t("activity.no_calls"))
          : dataTable(
            t("activity.call_list"),
            [t("activity.planned"), t("history.state"), t("task.outcome")],
            [...calls]
              .sort((a, b) => Date.parse(b.planned_at) - Date.parse(a.planned_at))
              .map((call) => [formatWhen(call.planned_at), label("task.state", call.state), call.outcome ? label("task", call.outcome) : "—"]),
          ),
      ),
    );
  }

  // --- drawing ------------------------------------------------------------------------------

  async drawCharts() {
    const drawing = this.drawing;
    for (const map of this.heatmaps) drawHeatmap(map.canvas, map);
    const days = this.data.days.map((day) => day.day);
    const made = [];
    for (const { box, band, values } of this.trends) {
      made.push(
        lineChart(box, {
          days,
          series: [{ label: t(`indicator.${band.indicator}`), values }],
          band: { label: t("activity.usual"), lower: band.low, upper: band.high },
          unit: t(`indicator.${band.indicator}.unit`),
          format: (v) => formatValue(band.unit, v),
          steps: STEPS[band.unit],
          clock: band.unit === "time_of_day",
          syncKey: SYNC_KEY,
        }),
      );
    }
    made.push(
      lineChart(this.eventsBox, {
        days,
        series: [
          { label: t("activity.alarms_per_day"), values: this.alarmsPerDay, color: "#a4221a", align: -1 },
          { label: t("activity.calls_per_day"), values: this.callsPerDay, color: "#1d6b3a", align: 1 },
        ],
        unit: t("activity.per_day"),
        format: (v) => formatNumber(v, 0),
        steps: STEPS.count,
        syncKey: SYNC_KEY,
        bars: true,
        height: 140,
      }),
    );
    const charts = await Promise.all(made);
    if (drawing !== this.drawing || !this.root.isConnected) {
      for (const chart of charts) chart.destroy();
      return;
    }
    this.charts = charts;
    this.root.dataset.drawn = this.range;
  }
}
