/**
 * Runs `read` every `intervalMs`, one at a time (a slow read is never overlapped by the next), until the
 * returned function is called; that waits for the read in progress and reads once more, so the last state
 * is always seen. `read` handles its own failures. Used to follow a running workflow by its query.
 */
export function pollWhileRunning(read: () => Promise<void>, intervalMs: number): () => Promise<void> {
  let pending: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    pending = pending.then(read);
  }, intervalMs);
  return async () => {
    clearInterval(timer);
    await pending;
    await read();
  };
}
