import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** The parts of pglite-socket's internal query queue (0.2.x) that the fix below replaces. */
interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: unknown): void;
  onData(data: Uint8Array): void;
}
interface QueryQueueManager {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: { isInTransaction(): boolean; runExclusive<T>(fn: () => Promise<T>): Promise<T>; execProtocolRawStream(message: Uint8Array, options: { onRawData(data: Uint8Array): void }): Promise<unknown> };
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Extended-protocol messages that open or continue a batch ending at Sync: Parse, Bind, Describe, Execute, Close, Flush. */
const BATCH_MESSAGES = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
/** Flush: the client asks for the answers so far without ending the batch. */
const FLUSH = 'H'.charCodeAt(0);
/** Messages after which PGlite is ready for another connection's query: Sync, simple Query, Terminate. */
const BATCH_ENDS = new Set(['S', 'Q', 'X'].map((c) => c.charCodeAt(0)));

/**
 * pglite-socket multiplexes every connection onto PGlite's one session, message by message, keeping a connection's
 * turn only inside an SQL transaction. A parameterised query is a Parse/Bind/Execute/Sync batch outside any
 * transaction, so two connections' batches interleaved and one bound the other's unnamed statement: errors such as
 * "bind message supplies 1 parameters, but prepared statement requires 5", or wrong rows when the shapes matched
 * (electric-sql/pglite#1046). Its queue also stopped for good after one internal error. This keeps a connection's
 * turn from the first message of a batch to its Sync, and carries on after an error.
 */
export function keepExtendedQueriesTogether(server: PGLiteSocketServer): void {
  const manager = (server as unknown as { queryQueue?: QueryQueueManager }).queryQueue;
  if (!manager || typeof manager.processQueue !== 'function' || !Array.isArray(manager.queue)) {
    throw new Error('pglite-socket changed: its query queue is not where the portal expects it (see src/infrastructure/pglite-query-queue.ts)');
  }
  let batchOwner: number | null = null;
  /**
   * Each connection's answers not yet written. PGlite answers message by message (Parse, Bind, Execute each get a
   * few bytes), and a write per answer cost the database process about 15% of its time in socket writes; the
   * client waits for the batch's end (Sync) or a Flush anyway, so the answers go out together then.
   */
  const pending = new Map<number, Uint8Array[]>();
  const send = (item: QueuedMessage) => {
    const chunks = pending.get(item.handlerId);
    if (!chunks?.length) return;
    pending.delete(item.handlerId);
    item.onData(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  };

  manager.processQueue = async function processQueue(this: QueryQueueManager) {
    if (this.processing || !this.queue.length) return;
    this.processing = true;
    try {
      while (this.queue.length) {
        const owner = batchOwner ?? (this.db.isInTransaction() ? this.lastHandlerId : null);
        const index = owner === null ? 0 : this.queue.findIndex((item) => item.handlerId === owner);
        // The owner's next message is not here yet; enqueueing it runs the queue again.
        if (index === -1) break;
        const [item] = this.queue.splice(index, 1);
        // An item is one message, or (takeWholeBatches) a connection's messages up to a batch's end.
        const type = lastMessageType(item.message);
        if (BATCH_MESSAGES.has(type)) batchOwner = item.handlerId;
        else if (BATCH_ENDS.has(type)) batchOwner = null;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                // PGlite may reuse its buffer: keep a copy until it is written.
                const chunks = pending.get(item.handlerId) ?? [];
                chunks.push(Buffer.from(data));
                pending.set(item.handlerId, chunks);
              },
            }),
          );
        } catch (error) {
          if (batchOwner === item.handlerId) batchOwner = null;
          send(item);
          item.reject(error);
          continue;
        }
        if (BATCH_ENDS.has(type) || type === FLUSH || !BATCH_MESSAGES.has(type)) send(item);
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }.bind(manager);

  const clearQueueForHandler = manager.clearQueueForHandler.bind(manager);
  manager.clearQueueForHandler = (handlerId: number) => {
    clearQueueForHandler(handlerId);
    pending.delete(handlerId);
    // A connection that went away mid-batch must not hold the others up.
    if (batchOwner === handlerId) {
      batchOwner = null;
      void manager.processQueue();
    }
  };
}

/** The type byte of the last of the typed messages in `bytes` (each: type, then a 4-byte length counting itself). */
function lastMessageType(bytes: Uint8Array): number {
  let at = 0;
  let type = bytes[0];
  while (at + 5 <= bytes.length) {
    type = bytes[at];
    at += 1 + ((bytes[at + 1] << 24) | (bytes[at + 2] << 16) | (bytes[at + 3] << 8) | bytes[at + 4]);
  }
  return type;
}

/** The parts of pglite-socket's connection handler (0.2.x) that takeWholeBatches replaces. */
interface SocketHandler {
  socket: { writable: boolean; write(data: Uint8Array): unknown } | null;
  active: boolean;
  messageBuffer: Buffer;
  readonly id: number;
  queryQueue: { enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> };
  handleSslRequest(): boolean;
  handleCancelRequest(): boolean;
  handleData(data: Buffer): Promise<number>;
}

/** The protocol version a startup message carries after its length (3.0). */
const PROTOCOL_3 = 196608;

/**
 * pglite-socket hands PGlite a connection's messages one at a time, each waited for before the next is read: a
 * prepared statement's Bind, Describe, Execute and Sync were four turns of the queue and four calls into PGlite,
 * which cost the embedded database more than running the statement. PGlite reads every message of one call, so
 * this hands it whatever complete messages have arrived, up to and including a batch's end (Sync, a simple query,
 * Terminate), in one go. The answers are the same bytes in the same order. A startup message still goes alone.
 */
export function takeWholeBatches(handlerClass: { prototype: unknown }): void {
  const handler = handlerClass.prototype as SocketHandler;
  if (typeof handler.handleData !== 'function' || typeof handler.handleSslRequest !== 'function' || typeof handler.handleCancelRequest !== 'function') {
    throw new Error('pglite-socket changed: its connection handler is not what the portal expects (see src/infrastructure/pglite-query-queue.ts)');
  }
  handler.handleData = async function handleData(this: SocketHandler, data: Buffer): Promise<number> {
    if (!this.socket || !this.active) return 0;
    this.messageBuffer = this.messageBuffer.length ? Buffer.concat([this.messageBuffer, data]) : data;
    let outgoing = 0;
    let writeError: unknown;
    const onData = (bytes: Uint8Array) => {
      // The answers are already this queue's own copies (keepExtendedQueriesTogether), written as they are.
      if (bytes.length && this.socket?.writable && this.active) {
        (this.socket.write as (data: Uint8Array, callback: (error?: Error) => void) => unknown)(bytes, (error) => {
          if (error) writeError = error;
        });
      }
      outgoing += bytes.length;
    };
    while (this.messageBuffer.length > 0) {
      if (this.handleSslRequest() || this.handleCancelRequest()) continue;
      const buffer = this.messageBuffer;
      let end = 0;
      if (buffer.length >= 8 && buffer.readInt32BE(4) === PROTOCOL_3) {
        // A startup message: its length comes first, no type byte.
        const length = buffer.readInt32BE(0);
        if (buffer.length >= length) end = length;
      } else {
        while (end + 5 <= buffer.length) {
          const next = end + 1 + buffer.readInt32BE(end + 1);
          if (next > buffer.length) break;
          const type = buffer[end];
          end = next;
          if (BATCH_ENDS.has(type)) break;
        }
      }
      if (end === 0) break;
      const chunk = buffer.subarray(0, end);
      this.messageBuffer = buffer.subarray(end);
      if (!this.active || !this.socket) break;
      // Not copied: each 'data' event brings a buffer of its own, and PGlite copies a message into its memory.
      await this.queryQueue.enqueue(this.id, chunk, onData);
      if (writeError) throw writeError;
    }
    return outgoing;
  };
}
