// Stream positions in the tokens clients hand back: keys/changes takes two
// sync tokens (`s<stream>_<typing>`, sync/sync-token.ts); only the stream
// position matters to device lists.
import { invalidParam } from '../errors.ts';

const SYNC_TOKEN = /^s(\d{1,15})(?:_\d{1,15})*$/;

export function parseSyncPosition(token: string): number {
  const match = SYNC_TOKEN.exec(token);
  if (!match) throw invalidParam(`Invalid token: ${token.slice(0, 40)}`);
  return Number(match[1]);
}
