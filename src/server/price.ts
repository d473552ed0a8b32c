/**
 * Exact order of two non-negative decimal strings (`"81307.0"`, `"0.00001234"`), without
 * going through floats: used to tell whether a changed price lies outside an L2 view.
 */
export function comparePx(a: string, b: string): -1 | 0 | 1 {
  const da = a.indexOf('.');
  const db = b.indexOf('.');
  const ia = trimLeadingZeros(da < 0 ? a : a.slice(0, da));
  const ib = trimLeadingZeros(db < 0 ? b : b.slice(0, db));
  if (ia.length !== ib.length) return ia.length < ib.length ? -1 : 1;
  if (ia !== ib) return ia < ib ? -1 : 1;
  // Same integer part: fraction digits compare lexicographically once trailing zeros go.
  const fa = trimTrailingZeros(da < 0 ? '' : a.slice(da + 1));
  const fb = trimTrailingZeros(db < 0 ? '' : b.slice(db + 1));
  if (fa === fb) return 0;
  return fa < fb ? -1 : 1;
}

function trimLeadingZeros(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return i === 0 ? s : s.slice(i);
}

function trimTrailingZeros(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 48) end--;
  return end === s.length ? s : s.slice(0, end);
}
