// The core's Logger over the console of an extension context (the service
// worker's console is what chrome://extensions "Inspect" and tests read).
import type { Logger } from '../../core/public.ts';

export function consoleLogger(context: string): Logger {
  const line = (msg: string, fields?: Record<string, unknown>) =>
    fields ? `[${context}] ${msg} ${JSON.stringify(fields)}` : `[${context}] ${msg}`;
  return {
    debug: () => {},
    info: (msg, fields) => console.info(line(msg, fields)),
    warn: (msg, fields) => console.warn(line(msg, fields)),
    error: (msg, fields) => console.error(line(msg, fields)),
  };
}
