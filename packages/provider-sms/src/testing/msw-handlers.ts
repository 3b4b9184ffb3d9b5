import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmulatorFault, EmulatorRequest, EmulatorRuntime, ReceivedRequest } from './core.js';
import { type EmulatedMsg91Message, Msg91EmulatorCore, type Msg91Template } from './msg91-emulator.js';
import {
  createTwilioTestAccount,
  type EmulatedMessage,
  type StatusCallbackDelivery,
  TwilioEmulatorCore,
  type TwilioEmulatorMode,
  type TwilioTestAccount,
} from './twilio-emulator.js';

type MswModule = typeof import('msw');

/**
 * One msw request handler (at run time a real msw `HttpHandler`: spread the array into `setupServer(…)` or
 * `server.use(…)`). msw is an optional peer, so these declarations must not import it; and msw's handler
 * classes have private members, which no structural type can satisfy. Hence `any`, under a name.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above — the only type assignable to msw's handler classes without importing msw.
export type MswHttpHandler = any;

let msw: MswModule | undefined;

// Where to resolve msw from: this file (CJS: __filename; ESM: its URL in a stack frame — neither `require` nor
// `import.meta` may appear here, as tsup emits this file as both ESM and CJS), else the working directory.
function resolveBases(): string[] {
  const bases: string[] = [];
  if (typeof __filename === 'string') bases.push(__filename);
  const frame = /(file:\/\/[^\s)]+?):\d+:\d+/.exec(new Error().stack ?? '');
  if (frame?.[1]) bases.push(fileURLToPath(frame[1]));
  bases.push(join(process.cwd(), 'package.json'));
  return bases;
}

// msw is loaded on first use, so that `@leadmetrics/provider-sms/testing` works without it installed.
function loadMsw(): MswModule {
  if (msw) return msw;
  let lastError: unknown;
  for (const base of resolveBases()) {
    try {
      msw = createRequire(base)('msw') as MswModule;
      return msw;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error('twilioHandlers()/msg91Handlers() need the "msw" package (2.x) installed', {
    cause: lastError,
  });
}

/** Options of `twilioHandlers`. */
export interface TwilioHandlersOptions {
  /** Accounts accepted; default one generated test account (exposed on the returned array). */
  accounts?: TwilioTestAccount[];
  /** Default 'https://api.twilio.com'. */
  baseUrl?: string;
  /** An array to record accepted messages into; default a new one (exposed as `.messages`). */
  messages?: EmulatedMessage[];
  /** POST signed status callbacks through `fetch` (msw must let them through); default false. */
  statusCallbacks?: boolean;
  /** 'test' (default) or 'live', as `startTwilioEmulator`. */
  mode?: TwilioEmulatorMode;
}

/** Options of `msg91Handlers`. */
export interface Msg91HandlersOptions {
  /** The valid auth key; default a generated one. */
  authKey?: string;
  /** Known templates; default one generated template with the variable `body`. */
  templates?: Msg91Template[];
  /** Default 1000. */
  balance?: number;
  /** Default 10 000 ms; 0 disables duplicate detection. */
  duplicateWindowMs?: number;
  /** Default 'https://control.msg91.com'. */
  baseUrl?: string;
  /** An array to record accepted recipients into; default a new one (exposed as `.messages`). */
  messages?: EmulatedMsg91Message[];
}

/** Controls shared by both handler sets. */
interface HandlerControls {
  /** Every request received, faulted or not. */
  requests: ReceivedRequest[];
  /** Queues a fault for the next request(s); socket resets become `HttpResponse.error()`. */
  inject(fault: EmulatorFault): void;
}

/** msw handlers of the Twilio emulator, with the emulator's state on the array. */
export type TwilioMswHandlers = MswHttpHandler[] &
  HandlerControls & {
    accountSid: string;
    authToken: string;
    accounts: readonly TwilioTestAccount[];
    messages: EmulatedMessage[];
    /** Message-create requests received, including faulted ones. */
    readonly received: number;
    callbacks: StatusCallbackDelivery[];
    /** Clears messages, requests, callbacks and pending faults. */
    reset(): void;
    /** Resolves when every status callback scheduled so far has been delivered (or failed). */
    settled(): Promise<void>;
  };

/** msw handlers of the MSG91 emulator, with the emulator's state on the array. */
export type Msg91MswHandlers = MswHttpHandler[] &
  HandlerControls & {
    authKey: string;
    templateId: string;
    templates: readonly Msg91Template[];
    messages: EmulatedMsg91Message[];
    /** Send requests received, including faulted ones. */
    readonly received: number;
    readonly balance: number;
    /** Clears messages, requests, pending faults and the duplicate window; restores the balance. */
    reset(): void;
  };

/** Resolves once any of `signals` aborts. */
function untilAborted(signals: readonly AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const any = AbortSignal.any([...signals]);
    if (any.aborted) resolve();
    else any.addEventListener('abort', () => resolve(), { once: true });
  });
}

function catchAll(
  baseUrl: string,
  runtime: EmulatorRuntime,
  behaviour: Parameters<EmulatorRuntime['run']>[1],
): MswHttpHandler {
  const { http, HttpResponse } = loadMsw();
  const base = baseUrl.replace(/\/+$/, '');
  return http.all(`${base}/*`, async ({ request }) => {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => {
      headers[k.toLowerCase()] = v;
    });
    const req: EmulatorRequest = {
      method: request.method.toUpperCase(),
      path: url.pathname + url.search,
      headers,
      body: await request.text(),
    };
    const action = await runtime.run(req, behaviour);
    // A hang answers nothing until the client gives up (its signal) or the handlers' runtime shuts down.
    if (action.kind === 'hang') await untilAborted([request.signal, runtime.signal]);
    if (action.kind !== 'respond') return HttpResponse.error();
    // Always with a body and Content-Length: a body-less mocked response can stall keep-alive clients.
    return HttpResponse.text(action.response.body, {
      status: action.response.status,
      headers: action.response.headers,
    });
  });
}

/** msw handlers behaving like the Twilio emulator (same behaviour function); spread them into `setupServer`. */
export function twilioHandlers(opts: TwilioHandlersOptions = {}): TwilioMswHandlers {
  const accounts = opts.accounts?.length ? [...opts.accounts] : [createTwilioTestAccount()];
  const core = new TwilioEmulatorCore(accounts, opts.statusCallbacks ?? false, opts.messages, opts.mode);
  const handlers = [catchAll(opts.baseUrl ?? 'https://api.twilio.com', core.runtime, core.behaviour)];
  const first = accounts[0]!;
  return Object.defineProperties(handlers, {
    accountSid: { value: first.accountSid },
    authToken: { value: first.authToken },
    accounts: { value: accounts },
    messages: { value: core.messages },
    received: { get: () => core.received },
    requests: { value: core.runtime.requests },
    callbacks: { value: core.callbacks },
    inject: { value: (fault: EmulatorFault) => core.runtime.inject(fault) },
    reset: { value: () => core.reset() },
    settled: { value: () => core.settled() },
  }) as TwilioMswHandlers;
}

/** msw handlers behaving like the MSG91 emulator (same behaviour function); spread them into `setupServer`. */
export function msg91Handlers(opts: Msg91HandlersOptions = {}): Msg91MswHandlers {
  const core = new Msg91EmulatorCore(opts);
  const handlers = [catchAll(opts.baseUrl ?? 'https://control.msg91.com', core.runtime, core.behaviour)];
  return Object.defineProperties(handlers, {
    authKey: { value: core.state.authKey },
    templateId: { value: core.state.templates[0]!.id },
    templates: { value: core.state.templates },
    messages: { value: core.messages },
    received: { get: () => core.received },
    requests: { value: core.runtime.requests },
    balance: { get: () => core.state.balance },
    inject: { value: (fault: EmulatorFault) => core.runtime.inject(fault) },
    reset: { value: () => core.reset() },
  }) as Msg91MswHandlers;
}
