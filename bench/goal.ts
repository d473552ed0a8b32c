/** Goals of bench figures: `"<= 1.5"`, `">= 0.9"`… */

/** `goal` is `"<= 1.5"`, `">= 5000"`, `"< 5"`…: whether `x` meets it. */
export function meets(x: number, goal: string): boolean {
  const m = /^\s*(<=|>=|<|>)\s*([\d.eE+-]+)\s*$/.exec(goal);
  if (!m) throw new Error(`bad goal ${JSON.stringify(goal)}`);
  const g = Number(m[2]);
  switch (m[1]) {
    case '<=':
      return x <= g;
    case '>=':
      return x >= g;
    case '<':
      return x < g;
    default:
      return x > g;
  }
}
