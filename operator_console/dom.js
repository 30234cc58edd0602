// Building the page from data without HTML strings: text is always text, never markup.

/**
 * h("button", {class: "x", onclick: fn, "aria-label": "…", disabled: true}, "text", child…)
 * Attributes: ``class``, ``text``, ``dataset`` (object), ``on<event>`` (handlers), booleans
 * (``disabled``, ``hidden``, ``checked``, ``selected``, ``required``) and the rest as
 * attributes. Children: nodes, strings, numbers, arrays; null, undefined and false are left out.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (["disabled", "hidden", "checked", "selected", "required", "multiple"].includes(name)) {
      element[name] = Boolean(value);
    } else if (name === "value") element.value = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Replace what ``element`` holds. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

let said = 0;

/** Tell the operator (and screen readers) how an action went. */
export function announce(text, { error = false } = {}) {
  const region = document.getElementById(error ? "alert" : "status");
  if (!region) return;
  const id = ++said;
  region.textContent = text;
  region.hidden = false;
  setTimeout(() => {
    if (said === id) {
      region.textContent = "";
      region.hidden = true;
    }
  }, error ? 12000 : 5000);
}

/** A <select> of ``options`` ([value, label]) with a first "choose" entry when given. */
export function select(attributes, options, chooseLabel = null) {
  return h(
    "select",
    attributes,
    chooseLabel === null ? null : h("option", { value: "" }, chooseLabel),
    options.map(([value, label]) => h("option", { value }, label)),
  );
}

/** A labelled control: <div class="field"><label for=…>…</label>control</div>. */
export function field(label, control) {
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 10)}`;
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}
