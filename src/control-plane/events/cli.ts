// `strongroom events --data-dir DIR [filters]`: prints the matching records of DIR/events.jsonl
// as JSON lines, oldest first. Read-only; the records hold no secrets (they were redacted when
// written).

import { parseArgs } from 'node:util';
import { EventLog, type EventFilter } from './log.js';

export const EVENTS_USAGE = `usage: strongroom events --data-dir DIR [--event-name NAME] [--user-name USER|ARN] [--event-source SRC]
                        [--access-key-id K] [--start-time ISO] [--end-time ISO] [--errors-only] [--max-results N]`;

export interface EventsIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: EventsIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Runs `strongroom events`; returns the exit code. */
export function runEventsCommand(argv: string[], io: EventsIo = stdio): number {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string', default: 'strongroom-data' },
        'event-name': { type: 'string' },
        'user-name': { type: 'string' },
        'event-source': { type: 'string' },
        'access-key-id': { type: 'string' },
        'start-time': { type: 'string' },
        'end-time': { type: 'string' },
        'errors-only': { type: 'boolean', default: false },
        'max-results': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    io.err(`strongroom events: ${(e as Error).message}\n${EVENTS_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.out(EVENTS_USAGE + '\n');
    return 0;
  }
  const filter: EventFilter = {};
  if (values['event-name']) filter.eventName = values['event-name'];
  if (values['user-name']) filter.userName = values['user-name'];
  if (values['event-source']) filter.eventSource = values['event-source'];
  if (values['access-key-id']) filter.accessKeyId = values['access-key-id'];
  if (values['errors-only']) filter.errorsOnly = true;
  for (const [flag, field] of [['start-time', 'startTime'], ['end-time', 'endTime']] as const) {
    const v = values[flag];
    if (v === undefined) continue;
    const t = new Date(v);
    if (Number.isNaN(t.getTime())) {
      io.err(`strongroom events: --${flag} must be an ISO 8601 time, got ${v}\n`);
      return 2;
    }
    filter[field] = t;
  }
  let max = Infinity;
  if (values['max-results'] !== undefined) {
    max = Number(values['max-results']);
    if (!Number.isInteger(max) || max < 1) {
      io.err('strongroom events: --max-results takes a positive integer\n');
      return 2;
    }
  }
  const events = EventLog.open(values['data-dir']!).query(filter);
  const shown = Number.isFinite(max) ? events.slice(-max) : events;
  for (const ev of shown) io.out(JSON.stringify(ev) + '\n');
  return 0;
}
