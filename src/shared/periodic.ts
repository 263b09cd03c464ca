/** A task run now and then every `everyMs`, one run at a time; `stop()` waits for the current run. */
export interface PeriodicTask {
  /** Runs the task as soon as the current run ends, instead of at the next interval. */
  trigger(): void;
  stop(): Promise<void>;
}

export function startPeriodic(
  task: () => Promise<unknown>,
  everyMs: number,
  onError: (error: unknown) => void,
): PeriodicTask {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let queued = false;
  // Chained, so a slow run delays the next instead of overlapping it; a run already waiting its
  // turn stands for any number of later requests.
  const tick = () => {
    if (queued || stopped) return;
    queued = true;
    running = running
      .then(() => {
        queued = false;
        return task();
      })
      .catch(onError);
  };
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    trigger: tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
