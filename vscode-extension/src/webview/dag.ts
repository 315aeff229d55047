// Runs inside the DAG webview: renders DOT to SVG with Graphviz (WebAssembly, bundled), makes
// nodes clickable and highlights the ones the extension names. Node ids in luakit's DOT are op
// digests, which Graphviz writes as each node's <title>.
import { instance } from '@viz-js/viz';
import type { FromWebview, ToWebview } from '../protocol';

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };

const vscode = acquireVsCodeApi();
const viz = instance();
const graph = document.getElementById('graph') as HTMLDivElement;
const problems = document.getElementById('problems') as HTMLDivElement;
const status = document.getElementById('status') as HTMLDivElement;
let highlighted = new Set<string>();

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
  graph.replaceChildren(svg);
  for (const node of nodes()) {
    const digest = node.querySelector('title')?.textContent ?? '';
    node.dataset.digest = digest;
    node.addEventListener('click', () => vscode.postMessage({ type: 'reveal', digest }));
  }
  applyHighlight();
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

vscode.postMessage({ type: 'ready' });
