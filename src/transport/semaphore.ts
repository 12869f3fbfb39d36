// A cap on things held at once (an SSH connection's session channels), failing every waiter
// together when what it guards is gone.

/** At most `size` holders at once; waiters are served in order, and all fail if the connection does. */
export class Semaphore {
  private held = 0;
  private readonly waiting: Array<{ grant: () => void; fail: (e: Error) => void }> = [];
  private failure: Error | undefined;

  constructor(private readonly size: number) {}

  acquire(): Promise<() => void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.held++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.held--;
          this.waiting.shift()?.grant();
        });
      };
      if (this.held < this.size) grant();
      else this.waiting.push({ grant, fail: reject });
    });
  }

  fail(error: Error): void {
    this.failure = error;
    for (const w of this.waiting.splice(0)) w.fail(error);
  }
}
