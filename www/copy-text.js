// Getting text out of the page: onto the clipboard, or into a file. The
// asynchronous clipboard API is missing on an http:// page served off
// localhost and can be refused (a permissions policy, a denied prompt), so
// copying falls back to the old select-and-copy; a download works everywhere.

/** The Blob URL of the last download, revoked by the next one (so no timer outlives a click). */
let lastUrl = null;

/** Puts `text` on the clipboard; resolves false when the browser let neither way through. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return copyBySelection(text);
  }
}

/** The pre-clipboard-API way: select the text in an off-screen textarea and copy the selection. */
function copyBySelection(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.readOnly = true;
  area.tabIndex = -1;
  area.setAttribute("aria-hidden", "true");
  // element.style, not a style attribute in HTML: the page's CSP allows the former.
  Object.assign(area.style, { position: "fixed", top: "0", left: "-10000px", width: "1px", height: "1px" });
  const focused = document.activeElement;
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  // select() moved focus into the textarea; give it back rather than drop it on <body>.
  if (focused instanceof HTMLElement) focused.focus({ preventScroll: true });
  return copied;
}

/** Saves `text` (a string, or a list of strings or Blobs to join, for text too big for one) as `filename` through a
 *  Blob URL, a download, which the page's CSP does not restrict; returns its size in bytes. */
export function downloadText(text, filename, type = "text/plain;charset=utf-8") {
  if (lastUrl) URL.revokeObjectURL(lastUrl);
  const blob = new Blob(Array.isArray(text) ? text : [text], { type });
  lastUrl = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = lastUrl;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  return blob.size;
}
