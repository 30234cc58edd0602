// Charts over days: line charts with uPlot (vendored, see docs/console.md) and the activity
// heatmap drawn on a canvas here (uPlot draws no heatmaps). Every chart is a <figure> with a
// title, axes with units, a legend, and a text alternative: a sentence screen readers read
// in place of the picture and a table anyone can open.
//
// Days are calendar days of the home (``"2026-03-01"``): they are placed at midnight UTC and
// read back in UTC, so a chart shows the same days wherever the browser is.

import { h } from "./dom.js";
import { language, t } from "./i18n.js";

const DAY_S = 86400;
const LINE = "#1f5f8b";
const BAND = "rgba(31, 95, 139, 0.16)";
const BAND_EDGE = "rgba(31, 95, 139, 0.45)";
const AXIS = "#555d66";
const GRID = "#e3e7eb";
/** uPlot is loaded on first use: an operator's console never fetches it. */
let uPlotModule = null;

async function uPlotClass() {
  uPlotModule ??= import("./vendor/uplot/uPlot.esm.js");
  return (await uPlotModule).default;
}

/** Seconds since the epoch of a calendar day's midnight UTC. */
export function dayToSeconds(day) {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

const dayFormats = new Map();

/** "3 mar", "3 Mar", and with ``{ year: true }`` "3 mar 2026": a day in the reader's language. */
export function formatDay(seconds, { year = false, weekday = false } = {}) {
  const key = `${language()}|${year}|${weekday}`;
  if (!dayFormats.has(key)) {
    const options = { day: "numeric", month: "short", timeZone: "UTC" };
    if (year) options.year = "numeric";
    if (weekday) options.weekday = "short";
    dayFormats.set(key, new Intl.DateTimeFormat(language(), options));
  }
  return dayFormats.get(key).format(new Date(seconds * 1000));
}

/** "07:30" from minutes after midnight. */
export function formatClock(minutes) {
  if (minutes === null || minutes === undefined || !Number.isFinite(minutes)) return "—";
  const whole = Math.round(minutes);
  const hours = Math.floor(whole / 60) % 24;
  return `${String(hours).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
}

/** A number in the reader's language, with at most ``digits`` decimals. */
export function formatNumber(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return new Intl.NumberFormat(language(), { maximumFractionDigits: digits }).format(value);
}

/**
 * A figure: its title, the chart, the sentence a screen reader reads instead of the chart,
 * and a table with the numbers behind it (closed until opened).
 */
export function figure({ id, title, chart, summary, table }) {
  const captionId = `${id}-caption`;
  const summaryId = `${id}-summary`;
  chart.setAttribute("role", "img");
  chart.setAttribute("aria-labelledby", `${captionId} ${summaryId}`);
  return h(
    "figure",
    { class: "chart", id, "aria-labelledby": captionId },
    h("figcaption", { id: captionId }, title),
    chart,
    h("p", { class: "chart-summary", id: summaryId }, summary),
    table ? h("details", { class: "chart-table" }, h("summary", {}, t("chart.show_table")), table) : null,
  );
}

/** A table of rows: ``head`` the column names, ``rows`` arrays of cells (the first a heading). */
export function dataTable(caption, head, rows) {
  return h(
    "table",
    { class: "data" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, head.map((name) => h("th", { scope: "col" }, name)))),
    h(
      "tbody",
      {},
      rows.map(([first, ...rest]) => h("tr", {}, h("th", { scope: "row" }, first), rest.map((cell) => h("td", {}, cell)))),
    ),
  );
}

/** Steps between day ticks that uPlot may choose from: a day, two, a week... a quarter. */
const DAY_STEPS = [1, 2, 7, 14, 28, 56, 91].map((days) => days * DAY_S);

/**
 * A line chart over days, drawn by uPlot into ``container`` (the chart element of a figure).
 *
 * ``series``: [{label, values, color?, points?, align?}] with a value (or null: no reading)
 * per day (``align`` -1 or 1 puts a bar left or right of its day, with ``bars``);
 * ``band``: {label, lower, upper} the person's usual range, shaded; ``format(value)`` the
 * value with its unit (axis and legend); ``unit`` the axis's title; ``steps`` the distances
 * between the value axis's ticks it may use; ``clock`` a time of day (its axis is not drawn
 * from zero); ``syncKey`` ties the cursors of charts over the same days together.
 */
export async function lineChart(container, { days, series, band = null, unit, format, steps, clock = false, syncKey, height = 170, bars = false }) {
  const uPlot = await uPlotClass();
  const xs = days.map(dayToSeconds);
  const data = [xs, ...series.map((s) => s.values)];
  const chartSeries = [
    { label: t("chart.day"), value: (_u, v) => (v === null ? "—" : formatDay(v, { year: true, weekday: true })) },
    ...series.map((s) => ({
      label: s.label,
      stroke: s.color ?? LINE,
      width: 2,
      fill: bars ? (s.color ?? LINE) : undefined,
      // Side by side when there are two: each bar on its own half of the day.
      paths: bars ? uPlot.paths.bars({ size: [series.length > 1 ? 0.4 : 0.7, 24], align: s.align ?? 0 }) : undefined,
      points: { show: s.points ?? days.length <= 31, size: 5 },
      value: (_u, v) => (v === null || v === undefined ? "—" : format(v)),
      spanGaps: false,
    })),
  ];
  const bands = [];
  if (band) {
    const upper = data.length;
    data.push(band.upper, band.lower);
    chartSeries.push(
      { label: `${band.label} (${t("chart.upper")})`, stroke: BAND_EDGE, width: 1, dash: [4, 4], points: { show: false }, value: (_u, v) => (v === null || v === undefined ? "—" : format(v)) },
      { label: `${band.label} (${t("chart.lower")})`, stroke: BAND_EDGE, width: 1, dash: [4, 4], points: { show: false }, value: (_u, v) => (v === null || v === undefined ? "—" : format(v)) },
    );
    bands.push({ series: [upper, upper + 1], fill: BAND });
  }
  const options = {
    width: Math.max(320, container.clientWidth || 640),
    height,
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
    cursor: { sync: syncKey ? { key: syncKey } : undefined, points: { show: true } },
    legend: { show: true, live: true },
    scales: {
      x: { time: true, range: xs.length ? [xs[0] - DAY_S / 2, xs[xs.length - 1] + DAY_S / 2] : undefined },
      y: { range: (_u, min, max) => (clock ? clockRange(min, max) : yRange(min, max)) },
    },
    axes: [
      {
        stroke: AXIS,
        grid: { stroke: GRID },
        ticks: { stroke: GRID },
        incrs: DAY_STEPS,
        space: 56,
        values: (_u, splits) => splits.map((s) => formatDay(s)),
      },
      {
        label: unit,
        stroke: AXIS,
        grid: { stroke: GRID },
        ticks: { stroke: GRID },
        size: 64,
        incrs: steps,
        values: (_u, splits) => splits.map((v) => format(v)),
      },
    ],
    series: chartSeries,
    bands,
  };
  const chart = new uPlot(options, data, container);
  fitWidth(chart, container);
  return chart;
}

/** The y range of counts and durations: from 0, with a little room above the top. */
function yRange(min, max) {
  if (min === null || max === null) return [0, 1];
  const low = Math.min(0, min);
  const top = max === low ? low + 1 : max + (max - low) * 0.08;
  return [low, top];
}

/** The y range of times of day (minutes after midnight): whole hours around the values. */
function clockRange(min, max) {
  if (min === null || max === null) return [0, 24 * 60];
  return [Math.max(0, Math.floor(min / 60) * 60 - 60), Math.min(24 * 60, Math.ceil(max / 60) * 60 + 60)];
}

/** Keep the chart as wide as its box (the window or the layout may change). */
function fitWidth(chart, container) {
  if (typeof ResizeObserver === "undefined") return;
  const observer = new ResizeObserver(() => {
    const width = Math.max(320, container.clientWidth);
    if (width !== chart.width) chart.setSize({ width, height: chart.height });
  });
  observer.observe(container);
  const destroy = chart.destroy.bind(chart);
  chart.destroy = () => {
    observer.disconnect();
    destroy();
  };
}

// --- the heatmap ----------------------------------------------------------------------------

/** ColorBrewer's "Blues", light to dark: ordered, readable in grey, kind to colour blindness. */
const BLUES = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"];
const NO_DATA = "#d9d9d9";
const ZERO = "#ffffff";

function hexToRgb(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The colour of ``value`` on a scale from 0 to ``max`` (white for none, grey for no data). */
export function heatColour(value, max) {
  if (value === null || value === undefined) return NO_DATA;
  if (value <= 0 || max <= 0) return ZERO;
  const x = Math.min(1, value / max) * (BLUES.length - 2) + 1; // 0 stays white
  const i = Math.min(BLUES.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [hexToRgb(BLUES[i]), hexToRgb(BLUES[i + 1])];
  const mix = a.map((c, k) => Math.round(c + (b[k] - c) * f));
  return `rgb(${mix.join(", ")})`;
}

const MARGIN = { left: 44, right: 8, top: 6, bottom: 22 };

/**
 * Activity by hour of day (rows, midnight at the top) and day (columns) on ``canvas``.
 * ``cells[d]`` is the day's 24 counts (null: no data that day); ``max`` the top of the scale
 * shared by every room's map.
 */
export function drawHeatmap(canvas, { days, cells, max, rowHeight = 6 }) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(320, canvas.parentElement?.clientWidth || 640);
  const height = MARGIN.top + rowHeight * 24 + MARGIN.bottom;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const cellWidth = plotWidth / Math.max(1, days.length);
  for (let d = 0; d < days.length; d += 1) {
    const hours = cells[d];
    for (let hour = 0; hour < 24; hour += 1) {
      g.fillStyle = heatColour(hours ? hours[hour] : null, max);
      // Whole pixels, each cell to the next one's edge: no hairline gaps between cells.
      const x0 = Math.round(MARGIN.left + d * cellWidth);
      const x1 = Math.round(MARGIN.left + (d + 1) * cellWidth);
      const y0 = MARGIN.top + hour * rowHeight;
      g.fillRect(x0, y0, Math.max(1, x1 - x0), rowHeight);
    }
  }
  g.strokeStyle = "#cfd5db";
  g.strokeRect(MARGIN.left - 0.5, MARGIN.top - 0.5, plotWidth + 1, rowHeight * 24 + 1);
  const font = getComputedStyle(canvas).fontFamily || "sans-serif";
  g.font = `11px ${font}`;
  g.fillStyle = AXIS;
  g.textBaseline = "middle";
  g.textAlign = "right";
  for (const hour of [0, 6, 12, 18]) {
    g.fillText(`${String(hour).padStart(2, "0")}:00`, MARGIN.left - 4, MARGIN.top + hour * rowHeight + rowHeight / 2);
  }
  g.textAlign = "center";
  g.textBaseline = "top";
  const every = tickEvery(days.length, plotWidth);
  for (let d = 0; d < days.length; d += every) {
    const text = formatDay(dayToSeconds(days[d]));
    const half = g.measureText(text).width / 2;
    // Centred under its day, but never cut off at the canvas's edges.
    const x = Math.min(width - half - 1, Math.max(half + 1, MARGIN.left + (d + 0.5) * cellWidth));
    g.fillText(text, x, MARGIN.top + rowHeight * 24 + 5);
  }
}

/** Label every day, every week or every four weeks: whatever fits. */
function tickEvery(count, width) {
  for (const step of [1, 7, 14, 28, 56, 91]) {
    if ((count / step) * 64 <= width) return step;
  }
  return 182;
}

/** The heatmap's legend: no data, none, and the scale up to ``max`` with its unit. */
export function heatLegend(max) {
  const steps = 5;
  return h(
    "div",
    { class: "heat-legend", "aria-hidden": "true" },
    h("span", { class: "swatch-row" }, swatch(NO_DATA), t("chart.no_data")),
    h("span", { class: "swatch-row" }, swatch(ZERO), t("chart.none")),
    h(
      "span",
      { class: "swatch-row" },
      Array.from({ length: steps }, (_, i) => swatch(heatColour(((i + 1) / steps) * max, max))),
      t("chart.up_to", { max: formatNumber(max, 0) }),
    ),
  );
}

/** A small square of colour (a canvas: the page allows no inline style). */
function swatch(colour) {
  const canvas = h("canvas", { class: "swatch", width: "14", height: "14" });
  const g = canvas.getContext("2d");
  g.fillStyle = colour;
  g.fillRect(0, 0, 14, 14);
  g.strokeStyle = "#9aa3ab";
  g.strokeRect(0.5, 0.5, 13, 13);
  return canvas;
}
