// Orders events so that each comes after the events it points at (its
// prev_events or auth_events) among those given: Kahn's algorithm, ties
// broken by depth then event id so the order is deterministic. Events caught
// in a cycle (only a forger can make one: ids are hashes) come last, by depth.
import type { RoomEvent } from '../protocol/types.ts';

export function topoSort(
  events: readonly RoomEvent[],
  edges: (event: RoomEvent) => readonly string[],
): RoomEvent[] {
  const byId = new Map(events.map((e) => [e.event_id, e]));
  const waitingOn = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const event of byId.values()) {
    const parents = [...new Set(edges(event))].filter((id) => byId.has(id) && id !== event.event_id);
    waitingOn.set(event.event_id, parents.length);
    for (const parent of parents) children.set(parent, [...(children.get(parent) ?? []), event.event_id]);
  }
  const order = (a: RoomEvent, b: RoomEvent) => a.depth - b.depth || (a.event_id < b.event_id ? -1 : 1);
  let ready = [...byId.values()].filter((e) => waitingOn.get(e.event_id) === 0).sort(order);
  const out: RoomEvent[] = [];
  while (ready.length > 0) {
    const event = ready.shift()!;
    out.push(event);
    const freed: RoomEvent[] = [];
    for (const child of children.get(event.event_id) ?? []) {
      const left = waitingOn.get(child)! - 1;
      waitingOn.set(child, left);
      if (left === 0) freed.push(byId.get(child)!);
    }
    if (freed.length > 0) ready = [...ready, ...freed].sort(order);
  }
  if (out.length < byId.size) {
    const placed = new Set(out.map((e) => e.event_id));
    out.push(...[...byId.values()].filter((e) => !placed.has(e.event_id)).sort(order));
  }
  return out;
}
