/** Small DOM helpers: the page builds every element itself (no HTML strings, so no injection). */
import { codedError } from '../errors.js';

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw codedError('PAGE', `page element #${id} is missing`);
  return el;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className !== undefined && className !== '') e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Sets text only when it differs (the ladder updates every block; untouched nodes stay cheap). */
export function setText(e: Element, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}
