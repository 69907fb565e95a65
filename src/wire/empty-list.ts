/**
 * One empty list shared by the idle queues of every connection (a writer's queues, a byte
 * queue, a peer's outstanding Pings): an empty array of its own costs each of them about 32
 * bytes of heap, and an idle peer has several. It is frozen, so a push onto it throws instead
 * of reaching every other queue: `owned()` gives a queue an array of its own before it adds.
 */
const EMPTY: readonly never[] = Object.freeze([]);

/** The shared empty list, typed as the queue that holds it. */
export function emptyList<T>(): T[] {
  return EMPTY as never[];
}

/** `list` itself, or a new array when it is the shared empty list. */
export function owned<T>(list: T[]): T[] {
  return (list as readonly unknown[]) === EMPTY ? [] : list;
}
