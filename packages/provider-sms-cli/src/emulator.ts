import {
  type EmulatedMessage,
  type EmulatedMsg91Message,
  startMsg91Emulator,
  startSmsInbox,
  startTwilioEmulator,
} from '@leadmetrics/provider-sms/testing';
import type { Command } from 'commander';
import { CliError, type CliIo, errorMessage } from './context.js';
import { parsePositiveInt } from './input.js';
import { jsonLine, terminalSafe, writeLine } from './output.js';

interface EmulatorOptions {
  host: string;
  twilioPort: number;
  msg91Port: number;
  inboxPort: number;
  /** `--no-inbox` sets it false. */
  inbox: boolean;
  msg91DlrUrl?: string;
  autoStatusCallbacks?: boolean;
  json?: boolean;
  seed?: string;
  /** `--live`: both emulators behave like live accounts (reads answered, reports and callbacks by themselves). */
  live?: boolean;
  /** `--msg91-balance N`: the MSG91 emulator's starting balance (SMS credits). */
  msg91Balance?: number;
}

/** Resolves on the first SIGINT/SIGTERM (or when `signal` aborts). */
function untilStopped(signal?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(why);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    signal?.addEventListener('abort', () => done('abort'), { once: true });
  });
}

/** Runs both emulators until SIGINT/SIGTERM, printing their URLs, credentials and each message they receive. */
export async function runEmulators(opts: EmulatorOptions, io: CliIo, signal?: AbortSignal): Promise<void> {
  const emit = (event: Record<string, unknown>, text: string) =>
    writeLine(io.stdout, opts.json ? jsonLine(event) : text);
  let twilio: Awaited<ReturnType<typeof startTwilioEmulator>> | undefined;
  let msg91: Awaited<ReturnType<typeof startMsg91Emulator>> | undefined;
  let inbox: Awaited<ReturnType<typeof startSmsInbox>> | undefined;
  try {
    // With the inbox, delivery outcomes are pushed by hand from the page; automatic ones only on request.
    // A live account reports by itself, so --live turns them on unless asked otherwise.
    const statusCallbacks = opts.autoStatusCallbacks ?? (opts.live === true || !opts.inbox);
    const seed = opts.seed !== undefined ? { seed: opts.seed } : {};
    const mode = opts.live ? 'live' : 'test';
    twilio = await startTwilioEmulator({
      host: opts.host,
      port: opts.twilioPort,
      statusCallbacks,
      mode,
      ...seed,
    });
    msg91 = await startMsg91Emulator({
      host: opts.host,
      port: opts.msg91Port,
      mode,
      ...seed,
      ...(opts.msg91DlrUrl ? { dlrUrl: opts.msg91DlrUrl } : {}),
      ...(opts.msg91Balance !== undefined ? { balance: opts.msg91Balance } : {}),
    });
    if (opts.inbox) {
      inbox = await startSmsInbox({
        twilio,
        msg91,
        host: opts.host,
        port: opts.inboxPort,
        ...(opts.msg91DlrUrl ? { msg91DlrUrl: opts.msg91DlrUrl } : {}),
      });
    }
  } catch (err) {
    await Promise.allSettled([twilio?.close(), msg91?.close()]);
    throw new CliError(`cannot start the emulators: ${errorMessage(err)}`, 1);
  }
  const tw = twilio;
  const m = msg91;
  const live = tw.mode === 'live';
  emit(
    {
      event: 'ready',
      mode: tw.mode,
      twilio: { url: tw.url, accountSid: tw.accountSid, authToken: tw.authToken, from: '+15005550006' },
      msg91: { url: m.url, authKey: m.authKey, templateId: m.templateId, balance: m.balance },
      ...(inbox ? { inbox: inbox.url } : {}),
    },
    [
      ...(inbox ? [`inbox: ${inbox.url}`] : []),
      live
        ? `Twilio emulator  ${tw.url}   (live mode: behaves like a live account; reads answered, status callbacks by itself)`
        : `Twilio emulator  ${tw.url}   (behaves like Twilio test credentials; magic numbers +1500555000x)`,
      `  account SID    ${tw.accountSid}`,
      `  auth token     ${tw.authToken}   (an emulator credential, not a real one)`,
      live ? '  valid from     any number (+15005550006 too)' : '  valid from     +15005550006',
      `MSG91 emulator   ${m.url}${live ? '   (live mode: delivery reports to --msg91-dlr-url by itself)' : ''}`,
      `  auth key       ${m.authKey}`,
      `  template id    ${m.templateId}   (variable: body)`,
      `  balance        ${m.balance} credits`,
      '',
      'Point a service or the CLI at them:',
      `  export TWILIO_API_BASE_URL=${tw.url}`,
      `  export MSG91_API_BASE_URL=${m.url} MSG91_AUTH_KEY=${m.authKey} MSG91_TEMPLATE_ID=${m.templateId}`,
      `  printf %s ${tw.authToken} | provider-sms config set-twilio --tenant acme --account-sid ${tw.accountSid} --from +15005550006`,
      '',
      'Waiting for messages (Ctrl-C to stop)…',
    ].join('\n'),
  );

  const printTwilio = (msg: EmulatedMessage) =>
    emit(
      { event: 'message', provider: 'twilio', ...msg },
      terminalSafe(
        `[twilio] ${msg.createdAt.toISOString()} ${msg.sid} ${msg.from ?? msg.messagingServiceSid ?? '-'} → ${msg.to} ` +
          `${msg.status} ${msg.segments} seg ${msg.encoding}: ${JSON.stringify(msg.body)}`,
      ),
    );
  const printMsg91 = (msg: EmulatedMsg91Message) =>
    emit(
      { event: 'message', provider: 'msg91', ...msg },
      terminalSafe(
        `[msg91]  ${msg.createdAt.toISOString()} ${msg.requestId} template ${msg.templateId} → +${msg.mobile} ` +
          `${JSON.stringify(msg.variables)}${msg.crqid ? ` CRQID=${msg.crqid}` : ''}`,
      ),
    );
  const unsubscribe = [
    tw.subscribe((e) => {
      if (e.type === 'message') printTwilio(e.message);
    }),
    m.subscribe((e) => {
      if (e.type === 'message') for (const msg of e.messages) printMsg91(msg);
    }),
  ];
  const why = await untilStopped(signal);
  for (const off of unsubscribe) off();
  await inbox?.close().catch(() => undefined);
  await Promise.allSettled([tw.close(), m.close()]);
  emit({ event: 'stopped', signal: why }, `Stopped (${why}).`);
}

/** Registers `emulator`. */
export function registerEmulatorCommand(program: Command, io: CliIo): void {
  program
    .command('emulator')
    .description(
      'run the Twilio and MSG91 emulators until Ctrl-C, printing their URLs, credentials and each message received',
    )
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option(
      '--twilio-port <port>',
      'Twilio emulator port (0 = any free port)',
      parsePositiveInt('--twilio-port', 65_535, true),
      4010,
    )
    .option(
      '--msg91-port <port>',
      'MSG91 emulator port (0 = any free port)',
      parsePositiveInt('--msg91-port', 65_535, true),
      4011,
    )
    .option(
      '--inbox-port <port>',
      'SMS inbox web page port (0 = any free port)',
      parsePositiveInt('--inbox-port', 65_535, true),
      4012,
    )
    .option('--no-inbox', 'do not serve the SMS inbox page')
    .option('--msg91-dlr-url <url>', 'where the inbox posts MSG91 delivery reports (DLR v2)')
    .option(
      '--auto-status-callbacks',
      "fire Twilio 'sent' then 'delivered' callbacks automatically (default: only without the inbox)",
    )
    .option(
      '--seed <text>',
      'derive the emulator credentials (account SID, auth token, MSG91 key, template id) from this text: ' +
        'the same seed gives the same ones after a restart (default: random each run)',
      (value: string) => {
        if (!value) throw new CliError('--seed must not be empty');
        return value;
      },
    )
    .option(
      '--live',
      'behave like live accounts: Twilio answers message fetch/list and account reads and fires status callbacks ' +
        'by itself; MSG91 posts delivery reports to --msg91-dlr-url by itself (default: test-credential rules)',
    )
    .option(
      '--msg91-balance <credits>',
      "the MSG91 emulator's starting balance in SMS credits (default 1000)",
      parsePositiveInt('--msg91-balance', Number.MAX_SAFE_INTEGER, true),
    )
    .option('--json', 'one JSON object per line (ready, message, stopped)')
    .action(async (opts: EmulatorOptions) => {
      await runEmulators(opts, io);
    });
}
