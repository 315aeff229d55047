// Runs inside the DAG webview: renders DOT to SVG with Graphviz (WebAssembly, bundled), makes
// nodes clickable, highlights the ones the extension names, and zooms and pans (wheel, drag,
// the toolbar's buttons, keys + − 0 and the arrows). Node ids in luakit's DOT are op digests,
// which Graphviz writes as each node's <title>. Colours come from the editor's theme (CSS
// variables, see dagPanel.ts), so a theme change re-colours the graph without a redraw.
import { instance } from '@viz-js/viz';
import type { FromWebview, ToWebview } from '../protocol';
import { type Size, type View, clampView, fitView, panBy, zoomAt } from './view';

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };

const vscode = acquireVsCodeApi();
const viz = instance();
const viewport = document.getElementById('viewport') as HTMLDivElement;
const graph = document.getElementById('graph') as HTMLDivElement;
const problems = document.getElementById('problems') as HTMLDivElement;
const status = document.getElementById('status') as HTMLSpanElement;
let highlighted = new Set<string>();

/** luakit's DOT sets fontsize=10 (compiler/render/dot.py); the fit keeps that readable. */
const FONT_SIZE = 10;
const ZOOM_STEP = 1.25;
const PAN_STEP = 60;
let size: Size = { width: 1, height: 1 };
let view: View = { scale: 1, x: 0, y: 0 };
let zoomedByUser = false;

function panel(): Size {
  return { width: viewport.clientWidth, height: viewport.clientHeight };
}

function show(next: View): void {
  view = next;
  graph.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
  graph.dataset.scale = view.scale.toFixed(3);
}

function fit(): void {
  zoomedByUser = false;
  show(fitView(size, panel(), FONT_SIZE));
}

function zoom(factor: number, px = panel().width / 2, py = panel().height / 2): void {
  zoomedByUser = true;
  show(zoomAt(view, factor, px, py, size, panel()));
}

function pan(dx: number, dy: number): void {
  zoomedByUser = true;
  show(panBy(view, dx, dy, size, panel()));
}

function nodes(): SVGGElement[] {
  return [...graph.querySelectorAll<SVGGElement>('g.node')];
}

function applyHighlight(): void {
  for (const node of nodes()) {
    node.classList.toggle('current', highlighted.has(node.dataset.digest ?? ''));
  }
}

async function render(dot: string): Promise<void> {
  // Graphviz has no metrics for the generic "monospace" (it guesses narrower text than the
  // browser draws, which overflows the boxes); it has exact ones for Courier, which the browser
  // draws with a metric-compatible monospace font.
  const svg = (await viz).renderSVGElement(dot.split('fontname="monospace"').join('fontname="Courier"'));
  // One graph unit (a point) is one CSS pixel at scale 1: the view's arithmetic is in those.
  const box = svg.viewBox.baseVal;
  size = { width: Math.max(box.width, 1), height: Math.max(box.height, 1) };
  svg.setAttribute('width', String(size.width));
  svg.setAttribute('height', String(size.height));
  graph.replaceChildren(svg);
  for (const node of nodes()) {
    const digest = node.querySelector('title')?.textContent ?? '';
    node.dataset.digest = digest;
    node.addEventListener('click', () => vscode.postMessage({ type: 'reveal', digest }));
    // The kind's colour, for the stylesheet to draw the box in (dagPanel.ts: mixed into the
    // theme's background on a dark theme, where a pastel box would glare).
    for (const shape of node.querySelectorAll<SVGElement>('path, polygon')) {
      const fill = shape.getAttribute('fill');
      if (fill && fill !== 'none') {
        shape.style.setProperty('--kind', fill);
      }
    }
  }
  applyHighlight();
  fit();
  problems.textContent = '';
  status.textContent = `${nodes().length} ops · click one to go to its line`;
  vscode.postMessage({ type: 'rendered', nodes: nodes().length });
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  if (message.type === 'graph') {
    render(message.dot).catch((error: unknown) => {
      problems.textContent = `cannot render the graph: ${String(error)}`;
    });
  } else if (message.type === 'problems') {
    problems.textContent = message.problems.join('\n');
    status.textContent = graph.childElementCount > 0 ? 'The script does not evaluate; showing its last graph.' : '';
  } else if (message.type === 'highlight') {
    highlighted = new Set(message.digests);
    applyHighlight();
  }
});

// ------------------------------------------------------------------ zoom and pan

document.getElementById('zoom-in')?.addEventListener('click', () => zoom(ZOOM_STEP));
document.getElementById('zoom-out')?.addEventListener('click', () => zoom(1 / ZOOM_STEP));
document.getElementById('fit')?.addEventListener('click', fit);

viewport.addEventListener(
  'wheel',
  (event) => {
    event.preventDefault();
    const at = viewport.getBoundingClientRect();
    zoom(Math.exp(-event.deltaY * 0.002), event.clientX - at.left, event.clientY - at.top);
  },
  { passive: false },
);

// Dragging pans; a drag that ends on a node is not a click on it.
let drag: { x: number; y: number; moved: boolean } | undefined;
let dragged = false;
viewport.addEventListener('pointerdown', (event) => {
  if (event.button === 0) {
    drag = { x: event.clientX, y: event.clientY, moved: false };
  }
});
window.addEventListener('pointermove', (event) => {
  if (!drag) {
    return;
  }
  const dx = event.clientX - drag.x;
  const dy = event.clientY - drag.y;
  if (drag.moved || Math.abs(dx) + Math.abs(dy) > 4) {
    drag = { x: event.clientX, y: event.clientY, moved: true };
    viewport.classList.add('panning');
    pan(dx, dy);
  }
});
window.addEventListener('pointerup', () => {
  dragged = drag?.moved ?? false;
  drag = undefined;
  viewport.classList.remove('panning');
});
viewport.addEventListener(
  'click',
  (event) => {
    if (dragged) {
      event.stopPropagation();
      dragged = false;
    }
  },
  true,
);

window.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) {
    return; // the workbench's shortcuts
  }
  const keys: Record<string, () => void> = {
    '+': () => zoom(ZOOM_STEP),
    '=': () => zoom(ZOOM_STEP),
    '-': () => zoom(1 / ZOOM_STEP),
    '0': fit,
    ArrowLeft: () => pan(PAN_STEP, 0),
    ArrowRight: () => pan(-PAN_STEP, 0),
    ArrowUp: () => pan(0, PAN_STEP),
    ArrowDown: () => pan(0, -PAN_STEP),
  };
  const action = keys[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
});

// A resized panel (a moved sash, half the window) fits again, unless the user chose a view.
new ResizeObserver(() => (zoomedByUser ? show(clampView(view, size, panel())) : fit())).observe(viewport);

vscode.postMessage({ type: 'ready' });
