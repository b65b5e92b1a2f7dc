/**
 * Keyboard movement inside a group of many small focusable items (the tokens of a text, a column of tokens):
 * the group is one Tab stop (only one item has tabindex 0) and the arrow keys, Home and End move within
 * it, so a keyboard user does not Tab through hundreds of tokens to reach the next control. The item moved
 * to becomes the group's Tab stop, so Tab out and back returns to it.
 *
 * Call from the items' keydown handler; returns whether the key moved the focus.
 */
export function moveFocusInGroup(event: KeyboardEvent, itemSelector: string): boolean {
  const item = event.currentTarget as HTMLElement;
  const group = item.parentElement;
  if (!group) return false;
  const items = [...group.querySelectorAll<HTMLElement>(`:scope > ${itemSelector}`)];
  const at = items.indexOf(item);
  const next: Record<string, number> = {
    ArrowRight: at + 1,
    ArrowDown: at + 1,
    ArrowLeft: at - 1,
    ArrowUp: at - 1,
    Home: 0,
    End: items.length - 1,
  };
  const to = next[event.key];
  if (to === undefined || at < 0) return false;
  event.preventDefault();
  const target = items[Math.max(0, Math.min(items.length - 1, to))];
  if (target === item) return true;
  item.tabIndex = -1;
  target.tabIndex = 0;
  target.focus();
  return true;
}
