// The one translation layer: every word the console shows comes through t(), label() or
// reason().
//
// Dictionaries map a key to a string with {name} placeholders or to a function of the
// parameters and the formatting helpers (for plurals, optional parts, durations). The
// language is chosen in the page, remembered in localStorage, and at first taken from the
// browser (Italian unless the browser prefers English).

import { it } from "./locales/it.js";
import { en } from "./locales/en.js";

export const LANGUAGES = { it, en };
/** In the order the language picker lists them. */
export const LANGUAGE_ORDER = ["it", "en"];
const STORAGE_KEY = "telecare.language";
const FALLBACK = "it";

const listeners = new Set();
let current = initialLanguage();

function initialLanguage() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage refused (private mode): the browser's language decides
  }
  if (stored && stored in LANGUAGES) return stored;
  for (const wanted of navigator.languages ?? [navigator.language]) {
    const code = String(wanted || "").slice(0, 2).toLowerCase();
    if (code in LANGUAGES) return code;
  }
  return FALLBACK;
}

export function language() {
  return current;
}

export function setLanguage(code) {
  if (!(code in LANGUAGES) || code === current) return;
  current = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // not remembered, still switched
  }
  document.documentElement.lang = code;
  for (const listener of listeners) listener(code);
}

/** Call ``listener(code)`` after every change of language. */
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Formatting helpers, handed to dictionary functions as their second argument.

/** "45 min", "5 h 10 min", "2 h". */
export function formatMinutes(minutes) {
  const total = Math.max(0, Math.round(Number(minutes)));
  if (!Number.isFinite(total)) return String(minutes);
  const hours = Math.floor(total / 60);
  const rest = total % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** A timer: "0:07", "12:45", "1:02:03". */
export function formatElapsed(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function asDate(value) {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A moment: the time alone when it is today, else date and time, in the reader's language. */
export function formatWhen(value) {
  const date = asDate(value);
  if (date === null) return String(value ?? "");
  const today = new Date().toDateString() === date.toDateString();
  const options = today
    ? { hour: "2-digit", minute: "2-digit" }
    : { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(current, options).format(date);
}

/** A moment to the second (timelines). */
export function formatWhenExact(value) {
  const date = asDate(value);
  if (date === null) return String(value ?? "");
  const today = new Date().toDateString() === date.toDateString();
  const options = {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    ...(today ? {} : { day: "numeric", month: "short" }),
  };
  return new Intl.DateTimeFormat(current, options).format(date);
}

/** A calendar date (a birth date, "1941-03-02"). */
export function formatDate(value) {
  const date = asDate(`${value}T12:00:00`);
  if (date === null) return String(value ?? "");
  return new Intl.DateTimeFormat(current, { dateStyle: "long" }).format(date);
}

export function formatPercent(share) {
  if (share === null || share === undefined) return "—";
  return new Intl.NumberFormat(current, { style: "percent", maximumFractionDigits: 1 }).format(
    share,
  );
}

/** A number the hub sent as text ("3.1") in the reader's language ("3,1"); else as it came. */
export function formatDecimal(text) {
  const value = Number(text);
  if (text === null || text === undefined || text === "" || !Number.isFinite(value)) return String(text ?? "");
  return new Intl.NumberFormat(current, { maximumFractionDigits: 1 }).format(value);
}

const helpers = {
  minutes: formatMinutes,
  number: formatDecimal,
  when: formatWhen,
  date: formatDate,
  t: (k, p) => t(k, p),
  label: (group, value) => label(group, value),
};

function interpolate(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    params[name] === undefined || params[name] === null ? whole : String(params[name]),
  );
}

function lookup(key) {
  return LANGUAGES[current][key] ?? LANGUAGES[FALLBACK][key];
}

/** Whether ``key`` has a message (in the current language or the fallback). */
export function has(key) {
  return lookup(key) !== undefined;
}

/** The message ``key`` in the current language, with ``params`` put in. */
export function t(key, params = {}) {
  const entry = lookup(key);
  if (entry === undefined) return key;
  return typeof entry === "function" ? entry(params, helpers) : interpolate(entry, params);
}

/**
 * The words for a value of one of the hub's enumerations, keyed ``group.value``
 * (``label("outcome", "false_alarm")``). A value this console has no words for (a newer
 * hub's) is shown as it is.
 */
export function label(group, value) {
  const key = `${group}.${value}`;
  return has(key) ? t(key) : String(value);
}

/** An alarm's reason in words, from the API's ``reason_key`` and ``reason_params``. */
export function reason(key, params = {}) {
  if (typeof key === "string" && key.startsWith("alarm.") && has(key)) {
    return t(key, params ?? {});
  }
  // A reason this console does not know yet (a newer hub): still say what it is.
  const kind = String(key ?? "").replace(/^alarm\./, "") || "?";
  const details = Object.entries(params ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join(", ");
  return t("reason.unknown", { kind, details });
}

/** A review entry's reason in words, from the API's ``reason_key`` and ``reason_params``. */
export function reviewReason(key, params = {}) {
  if (typeof key === "string" && key.startsWith("review.") && has(key)) {
    return t(key, params ?? {});
  }
  // A change this console has no words for yet (a newer hub): its name and its numbers.
  const kind = String(key ?? "").replace(/^review\./, "") || "?";
  const details = Object.entries(params ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join(", ");
  return t("review.unknown", { kind, details });
}

/** Put the words into the static page: data-i18n (text) and data-i18n-<attribute>. */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const attribute of ["aria-label", "placeholder", "title"]) {
    const dataName = `i18n${attribute
      .split("-")
      .map((part) => part[0].toUpperCase() + part.slice(1))
      .join("")}`;
    for (const element of root.querySelectorAll(`[data-i18n-${attribute}]`)) {
      element.setAttribute(attribute, t(element.dataset[dataName]));
    }
  }
}

document.documentElement.lang = current;
