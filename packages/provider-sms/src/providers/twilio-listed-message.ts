// A message as Twilio's list endpoint returns it, reduced to what reconciliation compares (docs/design.md §11).

/** One listed Twilio message (the SDK's MessageInstance fields reconciliation reads). */
export interface TwilioListedMessage {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  /** As Twilio stored it: may differ from what was sent (Smart Encoding, link shortening) or be empty (redaction). */
  body: string;
  status: string;
  dateCreated: Date;
}

/** What `TwilioProvider.listMessages` filters on: `To`, and `From` unless the sender is a Messaging Service. */
export interface TwilioListQuery {
  to: string;
  from?: string;
  /** Messages per page (1–1000); default 50. */
  pageSize?: number;
}

/** An SDK MessageInstance (or a plain listed resource) as a `TwilioListedMessage`. */
export function toListedMessage(m: Record<string, unknown>): TwilioListedMessage {
  const created = m.dateCreated ?? m.date_created;
  return {
    sid: String(m.sid),
    to: String(m.to),
    from: (m.from as string | null | undefined) ?? null,
    messagingServiceSid:
      ((m.messagingServiceSid ?? m.messaging_service_sid) as string | null | undefined) ?? null,
    body: typeof m.body === 'string' ? m.body : '',
    status: String(m.status),
    dateCreated: created instanceof Date ? created : new Date(String(created)),
  };
}
