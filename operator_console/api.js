// The hub's REST API: JSON both ways, the session's CSRF token on every change.

import { has, t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.reason = body?.error ?? "";
    this.fields = body?.fields ?? [];
    this.code = body?.code ?? null;
    this.params = body?.params ?? {};
  }
}

let csrfToken = "";
const signedOutListeners = new Set();

export function setCsrf(token) {
  csrfToken = token ?? "";
}

/** Call ``listener`` when the hub says the session is gone (a 401 on a request). */
export function onSignedOut(listener) {
  signedOutListeners.add(listener);
}

export async function api(method, path, body = undefined, { quiet401 = false } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = csrfToken;
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, { error: "network" });
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && !quiet401) {
      for (const listener of signedOutListeners) listener(error);
    }
    throw error;
  }
  return data;
}

export const get = (path, options) => api("GET", path, undefined, options);
export const post = (path, body = {}, options) => api("POST", path, body, options);
export const put = (path, body, options) => api("PUT", path, body, options);

// The values of the hub's enumerations (alarm states, priorities, outcomes...), never
// written again here: what the console lists is what the hub accepts.
let known = null;

/** Read the hub's vocabulary (``GET /api/v1/vocabulary``); done once at each sign-in. */
export async function loadVocabulary() {
  known = await get("/api/v1/vocabulary");
}

/** The hub's vocabulary: ``alarm_states``, ``open_alarm_states``, ``resolve_outcomes``... */
export function vocabulary() {
  return known;
}

/** Whether an alarm in ``state`` still waits for someone to act (the hub's open states). */
export function isOpenAlarm(state) {
  return known.open_alarm_states.includes(state);
}

/** The operator's words for what went wrong with a request. */
/** The hub's reason in the operator's language: its code's words, else its English text. */
export function hubReason(code, params, english) {
  const key = `error.code.${code}`;
  return code && has(key) ? t(key, params ?? {}) : english;
}

export function describeError(error) {
  if (!(error instanceof ApiError)) return t("error.other", { reason: String(error?.message ?? error) });
  if (error.code && has(`error.code.${error.code}`)) return hubReason(error.code, error.params, error.reason);
  switch (error.status) {
    case 0:
      return t("error.network");
    case 401:
      return t("error.signed_out");
    case 403:
      return t("error.forbidden");
    case 404:
      return t("error.not_found");
    case 409:
      return t("error.conflict", { reason: error.reason });
    case 422:
      return t("error.invalid", {
        fields: error.fields.map((f) => `${f.field}: ${f.message}`).join("; ") || error.reason,
      });
    default:
      return t("error.other", { reason: error.reason || `HTTP ${error.status}` });
  }
}

/** ISO time for a query string. */
export function isoQuery(date) {
  return encodeURIComponent(date.toISOString());
}
