// Optional OpenTelemetry spans. `@opentelemetry/api` is an optional peer dependency: it is imported lazily on the
// first span and, when it is absent (or no tracer provider is registered), every span is a no-op.

/** Attribute values a span accepts. */
export type SpanAttributeValue = string | number | boolean;

/** The part of an OpenTelemetry span the package uses. */
export interface SmsSpan {
  setAttribute(key: string, value: SpanAttributeValue): void;
  addEvent(name: string, attributes?: Record<string, SpanAttributeValue>): void;
  setError(message: string): void;
  end(): void;
}

interface OtelSpan {
  setAttribute(key: string, value: SpanAttributeValue): unknown;
  addEvent(name: string, attributes?: Record<string, SpanAttributeValue>): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}
interface OtelTracer {
  startSpan(name: string, options?: { attributes?: Record<string, SpanAttributeValue> }): OtelSpan;
}
interface OtelApi {
  trace: { getTracer(name: string, version?: string): OtelTracer };
}

const TRACER_NAME = '@leadmetrics/provider-sms';
const SPAN_STATUS_ERROR = 2; // SpanStatusCode.ERROR

const NOOP_SPAN: SmsSpan = {
  setAttribute() {},
  addEvent() {},
  setError() {},
  end() {},
};

let apiPromise: Promise<OtelApi | undefined> | undefined;

function loadApi(): Promise<OtelApi | undefined> {
  apiPromise ??= (async () => {
    try {
      const mod = (await import('@opentelemetry/api')) as unknown as OtelApi & { default?: OtelApi };
      const api = mod.trace ? mod : mod.default;
      return api?.trace ? api : undefined;
    } catch {
      return undefined; // optional peer not installed
    }
  })();
  return apiPromise;
}

function clean(
  attributes: Record<string, SpanAttributeValue | undefined>,
): Record<string, SpanAttributeValue> {
  const out: Record<string, SpanAttributeValue> = {};
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined) out[k] = v;
  return out;
}

/** Starts a span through `@opentelemetry/api` when it is installed, else returns a no-op span; never throws. */
export async function startSmsSpan(
  name: string,
  attributes: Record<string, SpanAttributeValue | undefined> = {},
): Promise<SmsSpan> {
  let span: OtelSpan;
  try {
    const api = await loadApi();
    if (!api) return NOOP_SPAN;
    span = api.trace.getTracer(TRACER_NAME).startSpan(name, { attributes: clean(attributes) });
  } catch {
    return NOOP_SPAN;
  }
  // A faulty tracer must never break a send: every call is guarded.
  const guard = (fn: () => unknown) => {
    try {
      fn();
    } catch {
      /* ignore */
    }
  };
  return {
    setAttribute: (k, v) => guard(() => span.setAttribute(k, v)),
    addEvent: (n, a) => guard(() => span.addEvent(n, a ? clean(a) : undefined)),
    setError: (message) => guard(() => span.setStatus({ code: SPAN_STATUS_ERROR, message })),
    end: () => guard(() => span.end()),
  };
}
