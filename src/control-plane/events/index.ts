// The event history of the AWS front ends (CloudTrail-shaped records in DIR/events.jsonl), for
// the composition roots and the `strongroom events` command. Re-exports only.

export { EventLog, matches, type EventFilter, type ApiCallEvent } from './log.js';
