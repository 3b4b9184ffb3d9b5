// The evidence the live emulators would send by themselves (Twilio status callbacks, MSG91 delivery reports), fired
// here instead so that a share of it can be withheld: the quiet Twilio account's messages still move to sent, then
// delivered (its listing shows them as Twilio would) but no callback reaches the webhook, and every n-th MSG91
// request's report is held back until `release()` (the run calls it once its workers are stopped). Until then those
// rows are settled only by the ledger's own reconciliation (Twilio) or stay unknown (MSG91) through every re-ask and
// lease expiry: a ledger that re-sends them blindly shows up as duplicates.
import { createServer } from 'node:http';

/**
 * @typedef {{ subscribe(l: (e: any) => void): () => void,
 *   fireStatusCallback(sid: string, o: { status: 'sent' | 'delivered', url?: string }): Promise<unknown> }} TwilioLike
 * @typedef {{ subscribe(l: (e: any) => void): () => void, dlrUrl: string | undefined,
 *   reports: { data: unknown[], responseStatus?: number }[],
 *   fireDeliveryReport(requestId: string, o: { status: 'delivered' }): Promise<unknown> }} Msg91Like
 * @typedef {{ twilio: TwilioLike, msg91: Msg91Like, quietAccountSid: string, withholdReportEvery?: number,
 *   delayMs?: number }} EvidenceOptions
 */

/**
 * Subscribes to both emulators (started with `statusCallbacks: false` and in MSG91's test mode) and fires their
 * evidence `delayMs` (10) after each send, withholding it for `quietAccountSid` and holding it back, until
 * `release()`, for every `withholdReportEvery`-th (4th) MSG91 request.
 * @param {EvidenceOptions} o
 */
export async function startEvidence(o) {
  const every = o.withholdReportEvery ?? 4;
  const delayMs = o.delayMs ?? 10;
  const sink = await startSink();
  /** @type {Set<Promise<void>>} */
  const pending = new Set();
  let closed = false;
  let msg91Requests = 0;
  /** @type {string[] | undefined} MSG91 request ids whose report is held back; undefined once released. */
  let held = [];
  const report = (/** @type {string} */ requestId) =>
    later(async () => {
      if (o.msg91.dlrUrl) await o.msg91.fireDeliveryReport(requestId, { status: 'delivered' });
    });
  const later = (/** @type {() => Promise<unknown>} */ fire) => {
    const p = sleep(delayMs)
      .then(() => (closed ? undefined : fire()))
      .then(
        () => {},
        () => {},
      )
      .finally(() => pending.delete(p));
    pending.add(p);
    return p;
  };
  const offTwilio = o.twilio.subscribe((e) => {
    if (e.type !== 'message' || e.message.status === 'scheduled') return;
    const { sid, accountSid, statusCallback } = e.message;
    const url = accountSid === o.quietAccountSid || !statusCallback ? sink.url : undefined;
    const fire = (/** @type {'sent' | 'delivered'} */ status) =>
      o.twilio.fireStatusCallback(sid, url ? { status, url } : { status });
    later(async () => {
      await fire('sent');
      await sleep(delayMs);
      if (!closed) await fire('delivered');
    });
  });
  const offMsg91 = o.msg91.subscribe((e) => {
    if (e.type !== 'message') return;
    const requestId = e.messages[0]?.requestId;
    if (requestId === undefined) return;
    if (++msg91Requests % every === 0 && held) held.push(requestId);
    else report(requestId);
  });
  return {
    /** Posts the held-back MSG91 reports (later ones are no longer held); resolves once every report is posted. */
    async release() {
      const ids = held ?? [];
      held = undefined;
      for (const id of ids) report(id);
      await this.settled();
      return ids.length;
    },
    /** Resolves once every callback and report started so far has been posted (or failed). */
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    /** The MSG91 request ids whose delivery report the webhook accepted (2xx), from the emulator's `reports`. */
    reportedRequestIds() {
      const ids = new Set();
      for (const r of o.msg91.reports)
        if (r.responseStatus !== undefined && r.responseStatus >= 200 && r.responseStatus < 300)
          for (const d of r.data) ids.add(/** @type {{ requestId?: string }} */ (d).requestId);
      return ids;
    },
    /** Stops firing, waits for what is under way and closes the sink. */
    async close() {
      closed = true;
      offTwilio();
      offMsg91();
      await this.settled();
      await sink.close();
    },
  };
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where withheld Twilio callbacks go: a server on a free loopback port that answers 204 to anything. */
async function startSink() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/withheld`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}
