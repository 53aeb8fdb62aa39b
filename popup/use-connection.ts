// The popup's live view of the background: re-renders on every pushed state
// and when the port drops or comes back.
import { useEffect, useState } from 'preact/hooks';
import type { Connection, PopupClient } from './popup-client.ts';

export function useConnection(client: Pick<PopupClient, 'subscribe'>): Connection {
  const [connection, setConnection] = useState<Connection>({ connected: false, state: undefined });
  useEffect(() => client.subscribe(setConnection), [client]);
  return connection;
}
