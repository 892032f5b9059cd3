// A readers-writer lock for one application's daemon state: crypto calls on different sessions
// share it and run side by side; calls that change the application's state (login, sessions,
// objects, keys) hold it alone. FIFO, so a waiting writer is not starved by a stream of readers.
// Never holds anything but callbacks: no I/O here.

interface Waiter {
  write: boolean;
  go: () => void;
}

export class RwLock {
  private readers = 0;
  private writer = false;
  private readonly queue: Waiter[] = [];

  /** Runs f alongside other shared holders. */
  async shared<T>(f: () => Promise<T>): Promise<T> {
    if (!this.writer && this.queue.length === 0) this.readers++;
    else await new Promise<void>((go) => this.queue.push({ write: false, go }));
    try {
      return await f();
    } finally {
      this.readers--;
      this.pump();
    }
  }

  /** Runs f alone. */
  async exclusive<T>(f: () => Promise<T>): Promise<T> {
    if (!this.writer && this.readers === 0 && this.queue.length === 0) this.writer = true;
    else await new Promise<void>((go) => this.queue.push({ write: true, go }));
    try {
      return await f();
    } finally {
      this.writer = false;
      this.pump();
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.writer) {
      const next = this.queue[0]!;
      if (next.write) {
        if (this.readers > 0) return;
        this.queue.shift();
        this.writer = true;
        next.go();
        return;
      }
      this.queue.shift();
      this.readers++;
      next.go();
    }
  }
}
