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
        const type = item.message[0];
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
