// The DAG view's zoom and pan as plain arithmetic (no DOM), unit-tested: where the graph sits in
// the panel, how "fit" is chosen so that text stays readable, and how far one may pan.

/** A scale and a translation: screen = graph * scale + (x, y), in CSS pixels. */
export interface View {
  scale: number;
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Text smaller than this (CSS px) at "fit" is hard to read; see fitView. */
export const READABLE_PX = 11;
/** A small graph is not blown up beyond this. */
export const MAX_FIT_SCALE = 1.6;
export const MIN_SCALE = 0.05;
export const MAX_SCALE = 8;
/** Room around the graph, so that no node touches (or hides under) the panel's edge. */
export const MARGIN = 16;

/**
 * The view that shows the whole graph, if its text (`fontSize` graph units) is then at least
 * READABLE_PX; otherwise the graph's full width at a readable size (or less, when even the
 * width does not fit so), top-aligned, to pan down from there.
 */
export function fitView(graph: Size, panel: Size, fontSize: number): View {
  const room = { width: Math.max(panel.width - 2 * MARGIN, 1), height: Math.max(panel.height - 2 * MARGIN, 1) };
  const whole = Math.min(room.width / graph.width, room.height / graph.height);
  const readable = READABLE_PX / fontSize;
  const byWidth = room.width / graph.width;
  const scale = Math.min(whole >= readable ? whole : Math.min(byWidth, readable), MAX_FIT_SCALE);
  const x = (panel.width - graph.width * scale) / 2;
  const y = graph.height * scale <= room.height ? (panel.height - graph.height * scale) / 2 : MARGIN;
  return clampView({ scale, x, y }, graph, panel);
}

/**
 * Keeps the graph reachable: along each axis it is centred when it fits, else it may move only
 * until its far edge (plus the margin) is inside the panel, so the first and the last node can
 * both be brought into view and none can be lost off-screen.
 */
export function clampView(view: View, graph: Size, panel: Size): View {
  const scale = Math.min(Math.max(view.scale, MIN_SCALE), MAX_SCALE);
  const axis = (offset: number, length: number, room: number): number => {
    const drawn = length * scale;
    if (drawn + 2 * MARGIN <= room) {
      return (room - drawn) / 2;
    }
    return Math.min(Math.max(offset, room - drawn - MARGIN), MARGIN);
  };
  return { scale, x: axis(view.x, graph.width, panel.width), y: axis(view.y, graph.height, panel.height) };
}

/** Zoomed by `factor` about the panel point (px, py), which stays where it is on screen. */
export function zoomAt(view: View, factor: number, px: number, py: number, graph: Size, panel: Size): View {
  const scale = Math.min(Math.max(view.scale * factor, MIN_SCALE), MAX_SCALE);
  const k = scale / view.scale;
  return clampView({ scale, x: px - (px - view.x) * k, y: py - (py - view.y) * k }, graph, panel);
}

export function panBy(view: View, dx: number, dy: number, graph: Size, panel: Size): View {
  return clampView({ ...view, x: view.x + dx, y: view.y + dy }, graph, panel);
}
