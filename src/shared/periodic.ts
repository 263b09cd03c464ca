/** A task run now and then every `everyMs`, one run at a time; `stop()` waits for the current run. */
export interface PeriodicTask {
  stop(): Promise<void>;
}

export function startPeriodic(
  task: () => Promise<unknown>,
  everyMs: number,
  onError: (error: unknown) => void,
): PeriodicTask {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  // Chained, so a slow run delays the next instead of overlapping it.
  const tick = () => {
    running = running.then(task).catch(onError);
  };
  tick();
  const timer = setInterval(() => !stopped && tick(), everyMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
