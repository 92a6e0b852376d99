// Every setting of the form lives in the page's query string, so a run can be
// shared as a link and replayed: the form is filled from the URL on load and
// the URL is rewritten from the form at each Run.

/** Pasted documents longer than this stay out of the URL (browsers and servers cap URL length). */
export const MAX_URL_DOCUMENTS = 2000;

/** The form's named fields whose value belongs in the URL. */
function settings(form) {
  return [...form.elements].filter((field) => field.name && field.type !== "submit" && field.type !== "button");
}

/** Fills `form` from `search` ("?chunks=200&seed=7"); unknown names are ignored, and a value a
 *  select does not offer leaves it as it was. Returns true if any field was set. */
export function restoreForm(form, search) {
  const params = new URLSearchParams(search);
  let restored = false;
  for (const field of settings(form)) {
    if (!params.has(field.name)) continue;
    const value = params.get(field.name);
    if (field.tagName === "SELECT" && ![...field.options].some((option) => option.value === value)) continue;
    field.value = value;
    restored = true;
  }
  return restored;
}

/** The query string for the form as it is; blank fields and over-long documents are left out.
 *  `extra` (e.g. the seed a run actually used) overrides fields. */
export function formQuery(form, extra = {}) {
  const params = new URLSearchParams();
  for (const field of settings(form)) {
    const value = extra[field.name] ?? field.value;
    if (value === "" || (field.name === "documents" && value.length > MAX_URL_DOCUMENTS)) continue;
    params.set(field.name, value);
  }
  const query = params.toString();
  return query === "" ? "" : `?${query}`;
}

/** Rewrites the address bar without a reload or a history entry per run. */
export function saveForm(form, extra) {
  try {
    history.replaceState(null, "", `${location.pathname}${formQuery(form, extra)}${location.hash}`);
  } catch {
    // A page opened from file:// may refuse; the form still works.
  }
}
