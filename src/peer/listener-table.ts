/**
 * A compact listener table for the EventEmitters every peer has (the Peer and its channels).
 *
 * EventEmitter starts each instance with `{ __proto__: null }`, which V8 keeps as a dictionary:
 * about 180 bytes of heap per emitter even with no listener. An object made from a shared
 * prototype that has no properties (nor a prototype) is a fast-mode object instead, a few
 * bytes until listeners are added. Node's own streams replace the table the same way. Only
 * own properties are ever read from it (events[type], Reflect.ownKeys), as from the original.
 */
import type { EventEmitter } from 'node:events';

const EMPTY_PROTOTYPE: object = Object.create(null);

/** Give a new emitter (no listener yet) the compact table; call right after super(). */
export function compactListenerTable(emitter: EventEmitter): void {
  (emitter as unknown as { _events: object })._events = Object.create(EMPTY_PROTOTYPE);
}
