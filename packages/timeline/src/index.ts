// @callpermit/timeline: a pair's history → a timeline model (from the Engine's own answers) → one
// self-contained HTML page. Used by `callpermit timeline` and by the HTTP service.

export { machinesMarkdown, stateDiagram } from './machineDiagram.js';
export {
  buildTimeline,
  type CallMark,
  type CallOutcome,
  type NoticeMark,
  type PermissionBand,
  type PermissionBandStatus,
  type RefusalMark,
  type RequestBar,
  type RequestSegment,
  type TimelineInput,
  type TimelineModel,
  type UsageSeries,
} from './model.js';
export { timelinePage } from './page.js';
