// The one DOM helper the page's views share.

/** A new `tag` element with class `className` and, if given, `text` as its text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
