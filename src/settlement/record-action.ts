import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { respondJson } from '../http/respond';
import type { Committer } from '../storage/committer';
import { parseAmount, type RecordResult, type SettlementRecorder } from './record-settlement';

/** A record is a few fields; anything longer is not one. */
const MAX_BODY = 4096;

type Answer = { status: string; body: unknown };

/** Reads a JSON body of at most MAX_BODY bytes; undefined when it is longer or unreadable. */
function readJson(res: HttpResponse, done: (body: unknown, tooLong: boolean) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  res.onData((chunk, last) => {
    if (finished) return;
    size += chunk.byteLength;
    if (size > MAX_BODY) {
      finished = true;
      return done(undefined, true);
    }
    chunks.push(Buffer.from(chunk.slice(0)));
    if (!last) return;
    finished = true;
    try {
      done(JSON.parse(Buffer.concat(chunks).toString('utf8')), false);
    } catch {
      done(undefined, false);
    }
  });
}

/** The answer to a parsed body: the record's fields checked, then the recorder's refusal or its ids. */
export function recordFromBody(body: unknown, record: (r: Parameters<SettlementRecorder['record']>[0]) => RecordResult): Answer {
  const o = body as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { status: '400 Bad Request', body: { error: 'expected a JSON object {peer, direction, amount, reference}' } };
  if (typeof o.peer !== 'string') return { status: '400 Bad Request', body: { error: 'peer must be a string' } };
  const amount = typeof o.amount === 'string' ? parseAmount(o.amount) : undefined;
  if (amount === undefined) return { status: '400 Bad Request', body: { error: 'amount must be a decimal string of an integer in the smallest unit' } };
  const r = record({ peer: o.peer, direction: o.direction as 'received', amount, method: 'out-of-band', reference: String(o.reference ?? '') });
  if (!r.ok) return { status: '400 Bad Request', body: { error: r.reason } };
  return { status: '200 OK', body: { recorded: r.id, transferId: r.transferId } };
}

/**
 * `POST /dashboard/api/settlements` (behind the dashboard's Basic Auth): records an out-of-band settlement.
 * A browser sends Basic credentials with any request to the origin, so a cross-site form could post here: only
 * `application/json` (which a cross-site page cannot send without a CORS preflight we never grant) and, when the
 * browser names one, our own Origin are accepted. The answer waits for the record to reach the disk.
 */
export function recordSettlementAction(recorder: SettlementRecorder, committer: Committer, headers: [string, string][]) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const type = req.getHeader('content-type');
    const origin = req.getHeader('origin');
    const host = req.getHeader('host');
    if (!/^application\/json\b/i.test(type)) return respondJson(res, '415 Unsupported Media Type', { error: 'send application/json' }, headers);
    if (origin !== '' && origin.replace(/^https?:\/\//, '') !== host) return respondJson(res, '403 Forbidden', { error: 'cross-origin request refused' }, headers);
    let aborted = false;
    res.onAborted(() => (aborted = true));
    readJson(res, (body, tooLong) => {
      if (aborted) return;
      if (tooLong) return respondJson(res, '413 Payload Too Large', { error: `body larger than ${MAX_BODY} bytes` }, headers);
      let answer: Answer;
      let durable: Promise<boolean> = Promise.resolve(true);
      try {
        const w = committer.run(() => recordFromBody(body, recorder.record));
        answer = w.value;
        durable = w.durable;
      } catch {
        answer = { status: '500 Internal Server Error', body: { error: 'could not record the settlement' } };
      }
      void durable.then((ok) => {
        if (aborted) return;
        res.cork(() =>
          ok ? respondJson(res, answer.status, answer.body, headers) : respondJson(res, '500 Internal Server Error', { error: 'could not record the settlement' }, headers),
        );
      });
    });
  };
}
