// Messages between the DAG webview and the extension (shared by both bundles).

export type ToWebview =
  | { type: 'graph'; title: string; dot: string }
  | { type: 'problems'; problems: string[] }
  | { type: 'highlight'; digests: string[] };

export type FromWebview = { type: 'ready' } | { type: 'reveal'; digest: string } | { type: 'rendered'; nodes: number };
