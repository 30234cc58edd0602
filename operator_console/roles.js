// Which console each role gets: the areas (the operations room, the social work) and their
// views. The hub refuses what a role may not do anyway; this only keeps out of sight what a
// user cannot use, so nobody is offered a queue, a sound or a button their role refuses.

/** The views of each area, in the navigation's order. */
export const AREAS = {
  operations: ["queue", "history", "supervisor"],
  social: ["people", "review", "plans", "report"],
};

/** Views reached from another view, not from the navigation: a person's page. */
const INNER = { person: "social" };

/** The view each area opens on. */
const FIRST = { operations: "queue", social: "people" };

/**
 * The areas of each role, the one a user lands on first. Operators answer alarms; social
 * workers follow their district's people over weeks; supervisors and admins do both.
 */
const ROLE_AREAS = {
  operator: ["operations"],
  supervisor: ["operations", "social"],
  admin: ["operations", "social"],
  social_worker: ["social"],
};

/** Views only supervisors and admins have within an area they share with others. */
const BOSSES_ONLY = new Set(["supervisor"]);
const BOSSES = new Set(["supervisor", "admin"]);

/** The areas ``role`` works in ([] for a role this console does not know). */
export function areasOf(role) {
  return ROLE_AREAS[role] ?? [];
}

/** Whether ``role`` claims and handles alarms and calls (and so hears the alarm sound). */
export function answersAlarms(role) {
  return areasOf(role).includes("operations");
}

export function isBoss(role) {
  return BOSSES.has(role);
}

/** The views of ``area`` that ``role`` may open. */
export function viewsOf(role, area) {
  if (!areasOf(role).includes(area)) return [];
  return AREAS[area].filter((view) => isBoss(role) || !BOSSES_ONLY.has(view));
}

/** Whether ``role`` may open ``view`` (a navigation view or an inner one of its areas). */
export function mayOpen(role, view) {
  const area = areaOf(view);
  return area !== null && (view in INNER ? areasOf(role).includes(area) : viewsOf(role, area).includes(view));
}

/** The area a view belongs to. */
export function areaOf(view) {
  if (view in INNER) return INNER[view];
  return Object.keys(AREAS).find((area) => AREAS[area].includes(view)) ?? null;
}

/** Where ``role`` lands after signing in: its first area's first view (null: nowhere). */
export function landing(role) {
  const area = areasOf(role)[0];
  return area ? FIRST[area] : null;
}

/** The first view of ``area``. */
export function firstView(area) {
  return FIRST[area];
}
