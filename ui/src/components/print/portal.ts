/**
 * Moves an element to the end of <body>, where the print stylesheet shows it alone (the
 * app's own layout clips to the window and would print one page). Removes it again on
 * destroy, so no patient data stays behind in the document after a lock.
 */
export function portal(node: HTMLElement): { destroy: () => void } {
  document.body.appendChild(node);
  return { destroy: () => node.remove() };
}
