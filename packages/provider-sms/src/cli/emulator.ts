import type { Command } from 'commander';
import { startMsg91Emulator } from '../testing/msg91-emulator.js';
import { startTwilioEmulator } from '../testing/twilio-emulator.js';
import { CliError, type CliIo, errorMessage } from './context.js';
import { parsePositiveInt } from './input.js';
import { writeLine } from './output.js';

interface EmulatorOptions {
  host: string;
  twilioPort: number;
  msg91Port: number;
  json?: boolean;
  pollMs: number;
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
    opts.json ? writeLine(io.stdout, JSON.stringify(event)) : writeLine(io.stdout, text);
  let twilio: Awaited<ReturnType<typeof startTwilioEmulator>> | undefined;
  let msg91: Awaited<ReturnType<typeof startMsg91Emulator>> | undefined;
  try {
    twilio = await startTwilioEmulator({ host: opts.host, port: opts.twilioPort });
    msg91 = await startMsg91Emulator({ host: opts.host, port: opts.msg91Port });
  } catch (err) {
    await twilio?.close().catch(() => undefined);
    throw new CliError(`cannot start the emulators: ${errorMessage(err)}`, 1);
  }
  const tw = twilio;
  const m = msg91;
  emit(
    {
      event: 'ready',
      twilio: { url: tw.url, accountSid: tw.accountSid, authToken: tw.authToken, from: '+15005550006' },
      msg91: { url: m.url, authKey: m.authKey, templateId: m.templateId },
    },
    [
      `Twilio emulator  ${tw.url}   (behaves like Twilio test credentials; magic numbers +1500555000x)`,
      `  account SID    ${tw.accountSid}`,
      `  auth token     ${tw.authToken}   (an emulator credential, not a real one)`,
      '  valid from     +15005550006',
      `MSG91 emulator   ${m.url}`,
      `  auth key       ${m.authKey}`,
      `  template id    ${m.templateId}   (variable: body)`,
      '',
      'Point a service or the CLI at them:',
      `  export TWILIO_API_BASE_URL=${tw.url}`,
      `  export MSG91_API_BASE_URL=${m.url} MSG91_AUTH_KEY=${m.authKey} MSG91_TEMPLATE_ID=${m.templateId}`,
      `  printf %s ${tw.authToken} | provider-sms config set-twilio --tenant acme --account-sid ${tw.accountSid} --from +15005550006`,
      '',
      'Waiting for messages (Ctrl-C to stop)…',
    ].join('\n'),
  );

  // The emulators record accepted messages in arrays: poll them (reset() may shrink them).
  let seenTwilio = 0;
  let seenMsg91 = 0;
  const poll = () => {
    if (tw.messages.length < seenTwilio) seenTwilio = 0;
    for (const msg of tw.messages.slice(seenTwilio)) {
      emit(
        { event: 'message', provider: 'twilio', ...msg },
        `[twilio] ${msg.createdAt.toISOString()} ${msg.sid} ${msg.from ?? msg.messagingServiceSid ?? '-'} → ${msg.to} ` +
          `${msg.status} ${msg.segments} seg ${msg.encoding}: ${JSON.stringify(msg.body)}`,
      );
    }
    seenTwilio = tw.messages.length;
    if (m.messages.length < seenMsg91) seenMsg91 = 0;
    for (const msg of m.messages.slice(seenMsg91)) {
      emit(
        { event: 'message', provider: 'msg91', ...msg },
        `[msg91]  ${msg.createdAt.toISOString()} ${msg.requestId} template ${msg.templateId} → +${msg.mobile} ` +
          `${JSON.stringify(msg.variables)}${msg.crqid ? ` CRQID=${msg.crqid}` : ''}`,
      );
    }
    seenMsg91 = m.messages.length;
  };
  const timer = setInterval(poll, opts.pollMs);
  const why = await untilStopped(signal);
  clearInterval(timer);
  poll();
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
      '--poll-ms <ms>',
      'how often to check for new messages',
      parsePositiveInt('--poll-ms', 60_000),
      200,
    )
    .option('--json', 'one JSON object per line (ready, message, stopped)')
    .action(async (opts: EmulatorOptions) => {
      await runEmulators(opts, io);
    });
}
