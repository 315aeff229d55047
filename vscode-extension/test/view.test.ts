import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MARGIN, READABLE_PX, clampView, fitView, panBy, zoomAt } from '../src/webview/view';

const FONT = 10;

test('a graph that fits readably is shown whole, centred', () => {
  const v = fitView({ width: 300, height: 400 }, { width: 700, height: 800 }, FONT);
  assert.ok(v.scale * FONT >= READABLE_PX);
  assert.ok(v.y >= 0 && v.y + 400 * v.scale <= 800);
  assert.ok(Math.abs(v.x - (700 - 300 * v.scale) / 2) < 1e-9);
});

test('a tall graph is fitted by width at a readable size, from its top, and can be panned to its bottom', () => {
  const graph = { width: 300, height: 3000 };
  const panel = { width: 700, height: 800 };
  const v = fitView(graph, panel, FONT);
  assert.ok(v.scale * FONT >= READABLE_PX - 1e-9, `text ${v.scale * FONT}px`);
  assert.equal(v.y, MARGIN);
  const bottom = panBy(v, 0, -1e9, graph, panel);
  // The last node is reachable and not cut off: the graph's bottom edge plus the margin is in view.
  assert.ok(Math.abs(bottom.y + graph.height * bottom.scale - (panel.height - MARGIN)) < 1e-9);
});

test('a graph too wide for readable text is fitted by its width', () => {
  const v = fitView({ width: 5000, height: 200 }, { width: 700, height: 800 }, FONT);
  assert.ok(Math.abs(v.scale - (700 - 2 * MARGIN) / 5000) < 1e-9);
  assert.ok(v.x >= 0);
});

test('zoom keeps the point under the pointer; panning stops at the edges', () => {
  const graph = { width: 1000, height: 1000 };
  const panel = { width: 500, height: 500 };
  const v = clampView({ scale: 1, x: -100, y: -100 }, graph, panel);
  const z = zoomAt(v, 2, 250, 250, graph, panel);
  assert.equal(z.scale, 2);
  assert.equal((250 - z.x) / z.scale, (250 - v.x) / v.scale);
  const far = panBy(v, 1e6, 1e6, graph, panel);
  assert.equal(far.x, MARGIN);
  assert.equal(far.y, MARGIN);
});
