import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LinkClosedError, PortRpc } from '../../../src/platform/web/port-rpc.ts';
import { fakePortPair } from '../../support/fake-port.ts';

interface Left {
  double: { params: { n: number }; result: { n: number } };
}
interface Right {
  greet: { params: { name: string }; result: string };
  fail: { params: Record<string, never>; result: never };
  hang: { params: Record<string, never>; result: never };
}

function pair() {
  const [l, r] = fakePortPair();
  const events: unknown[] = [];
  const eventSeen = Promise.withResolvers<void>();
  const closeSeen = Promise.withResolvers<void>();
  let rightClosed = 0;
  const left = new PortRpc<Left, Right, string>(l, { handlers: { double: async ({ n }) => ({ n: n * 2 }) } });
  const right = new PortRpc<Right, Left, string>(r, {
    handlers: {
      greet: async ({ name }) => `hello ${name}`,
      fail: async () => {
        throw new RangeError('out of range');
      },
      hang: () => new Promise(() => {}),
    },
    onEvent: (event) => {
      events.push(event);
      eventSeen.resolve();
    },
    onClose: () => {
      rightClosed++;
      closeSeen.resolve();
    },
  });
  return {
    left,
    right,
    ports: { l, r },
    events,
    closedCount: () => rightClosed,
    /** Resolve when the right side got its first event / was told the link closed. */
    eventSeen: eventSeen.promise,
    closeSeen: closeSeen.promise,
  };
}

describe('PortRpc', () => {
  test('answers requests both ways, each reply matched to its request', async () => {
    const { left, right } = pair();
    const [a, b, c] = await Promise.all([
      left.call('greet', { name: 'a' }),
      right.call('double', { n: 21 }),
      left.call('greet', { name: 'c' }),
    ]);
    assert.deepEqual([a, b, c], ['hello a', { n: 42 }, 'hello c']);
  });

  test("a handler's error arrives as an error with its name and message", async () => {
    const { left } = pair();
    await assert.rejects(left.call('fail', {}), { name: 'RangeError', message: 'out of range' });
  });

  test('an unknown request type is refused, not left waiting', async () => {
    const { left } = pair();
    await assert.rejects(left.call('nope' as 'greet', { name: '' }), { name: 'TypeError' });
  });

  test('events reach the other side without a reply', async () => {
    const { left, events, eventSeen } = pair();
    const posted = left.emit('ping');
    assert.equal(posted, true);
    await eventSeen;
    assert.deepEqual(events, ['ping']);
  });

  test('calls waiting when the port goes away fail with LinkClosedError, and later calls fail at once', async () => {
    const { left, closedCount, closeSeen } = pair();
    const waiting = left.call('hang', {});
    left.close();
    await assert.rejects(waiting, LinkClosedError);
    await assert.rejects(left.call('greet', { name: 'x' }), LinkClosedError);
    await closeSeen;
    left.close();
    assert.equal(closedCount(), 1, 'the other side is told once');
  });

  test('a call with a timeout fails with LinkClosedError when no reply comes', async () => {
    const { left } = pair();
    await assert.rejects(left.call('hang', {}, 20), LinkClosedError);
  });

  test('requests, replies and events cross on an attached channel once both ends listen there, in one order; a keep-alive on the port', async () => {
    const { left, right, ports, events, eventSeen, closeSeen } = pair();
    // The right side made the channel and handed one end over; the left side speaks first on it.
    const { port1, port2 } = new MessageChannel();
    right.attach(port1 as never, false);
    left.attach(port2 as never, true);
    assert.equal(await left.call('greet', { name: 'a' }), 'hello a');
    assert.deepEqual(await right.call('double', { n: 2 }), { n: 4 });
    assert.deepEqual([ports.l.posted, ports.r.posted], [[], []], 'nothing crossed on the ports');

    left.emit('ping');
    await eventSeen;
    assert.deepEqual(events, ['ping']);
    assert.deepEqual(ports.l.posted, [], 'the event took the channel, behind the replies sent before it');
    left.emitOnPort('alive');
    assert.deepEqual(ports.l.posted, [{ kind: 'event', event: 'alive' }]);

    // The port alone says when the other side is gone: the channel closes with it.
    const hanging = left.call('hang', {});
    left.close();
    await assert.rejects(hanging, LinkClosedError);
    await closeSeen;
    await assert.rejects(right.call('double', { n: 1 }), LinkClosedError);
  });

  test("a reply the channel's structured clone refuses goes on the port, so the call is answered", async () => {
    const [l, r] = fakePortPair();
    const left = new PortRpc<Left, Right, string>(l, {
      handlers: { double: async ({ n }) => ({ n: n * 2 }) },
    });
    const right = new PortRpc<Right, Left, string>(r, {
      handlers: {
        // A function in a result: JSON (the port) drops it, structured clone (the channel) throws.
        greet: async ({ name }) => ({ name, toString: () => name }) as unknown as string,
        fail: async () => ({}) as never,
        hang: () => new Promise(() => {}),
      },
    });
    const { port1, port2 } = new MessageChannel();
    right.attach(port1 as never, false);
    left.attach(port2 as never, true);
    assert.deepEqual(await left.call('greet', { name: 'a' }), { name: 'a' });
    assert.equal(r.posted.length, 1, 'the reply went on the port');
    left.close();
  });

  test('a side that was handed no word on the channel keeps sending on the port', async () => {
    const { left, right, ports } = pair();
    const { port1, port2 } = new MessageChannel();
    right.attach(port1 as never, false);
    assert.equal(await left.call('greet', { name: 'b' }), 'hello b');
    assert.equal(ports.r.posted.length, 1, 'the reply went on the port');
    left.close();
    port2.close();
  });
});
