/** Draws the depth chart on its canvas (sized to the element and the screen's pixel ratio). */
import { depthCurves, stepPath, type Box, type DepthCurves } from './depth.js';
import type { L2Level } from '../book/types.js';

const BID = '#3fd07f';
const ASK = '#ff6b6b';
const BID_FILL = 'rgba(63, 208, 127, 0.22)';
const ASK_FILL = 'rgba(255, 107, 107, 0.22)';
const AXIS = '#a4b1be';
const GRID = '#2a3340';

function compact(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (a >= 100) return x.toFixed(0);
  return x.toPrecision(4);
}

function fmtPx(x: number): string {
  return Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(5);
}

export function drawDepth(canvas: HTMLCanvasElement, bids: readonly L2Level[], asks: readonly L2Level[]): DepthCurves | null {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth;
  const cssH = canvas.clientHeight;
  if (cssW === 0 || cssH === 0) return null;
  const w = Math.round(cssW * dpr);
  const h = Math.round(cssH * dpr);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  if (bids.length === 0 && asks.length === 0) return null;
  const curves = depthCurves(bids, asks);
  const box: Box = { x: 4, y: 8, width: cssW - 8, height: cssH - 30 };

  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  for (let i = 1; i <= 3; i++) {
    const y = Math.round(box.y + (box.height * i) / 4) + 0.5;
    ctx.beginPath();
    ctx.moveTo(box.x, y);
    ctx.lineTo(box.x + box.width, y);
    ctx.stroke();
  }
  const draw = (path: Array<[number, number]>, stroke: string, fill: string): void => {
    if (path.length === 0) return;
    ctx.beginPath();
    ctx.moveTo(path[0]![0], path[0]![1]);
    for (const [x, y] of path.slice(1)) ctx.lineTo(x, y);
    ctx.closePath();
    ctx.fillStyle = fill;
    ctx.fill();
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  };
  draw(stepPath(curves.bids, true, curves, box), BID, BID_FILL);
  draw(stepPath(curves.asks, false, curves, box), ASK, ASK_FILL);

  ctx.fillStyle = AXIS;
  ctx.font = '11px ui-monospace, "DejaVu Sans Mono", monospace';
  ctx.textBaseline = 'top';
  const base = box.y + box.height + 6;
  ctx.textAlign = 'left';
  ctx.fillText(fmtPx(curves.minPx), box.x, base);
  ctx.textAlign = 'right';
  ctx.fillText(fmtPx(curves.maxPx), box.x + box.width, base);
  if (curves.mid !== null) {
    const x = box.x + ((curves.mid - curves.minPx) / (curves.maxPx - curves.minPx)) * box.width;
    ctx.strokeStyle = AXIS;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(Math.round(x) + 0.5, box.y);
    ctx.lineTo(Math.round(x) + 0.5, box.y + box.height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.textAlign = 'center';
    ctx.fillText(`mid ${fmtPx(curves.mid)}`, x, base);
  }
  // The scale goes where both curves are lowest: beside the mid.
  const midX = curves.mid === null ? box.x + box.width / 2 : box.x + ((curves.mid - curves.minPx) / (curves.maxPx - curves.minPx)) * box.width;
  ctx.textAlign = 'left';
  ctx.fillText(`max Σ ${compact(curves.maxCum)}`, midX + 6, box.y);
  return curves;
}
