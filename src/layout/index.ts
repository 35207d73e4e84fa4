export {
  createLayout,
  LayoutBuilder,
  parseExpiry,
  parseRules,
  type StepOptions,
  type InspectionOptions,
} from './builder.js';
export { lintLayout, type Finding, type LintResult, type LintOptions } from './lint.js';
export { inferLayout, compressPaths, escapePattern, type TrialLink } from './infer.js';
export {
  layoutGraph,
  toMermaid,
  toDot,
  toHTML,
  type LayoutGraph,
  type GraphNode,
  type GraphEdge,
  type NodeStatus,
  type ReportLike,
} from './graph.js';
