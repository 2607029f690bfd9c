import cliProgress from 'cli-progress';

/** A progress bar on a TTY (never with --json); returns an update function and a stop function. */
export function progressBar(
  enabled: boolean,
  format: string,
): { update: (value: number, total?: number, payload?: Record<string, string>) => void; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format, hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(value, total, payload) {
      if (!started) {
        bar.start(total ?? 0, value, payload);
        started = true;
      }
      if (total !== undefined) bar.setTotal(total);
      bar.update(value, payload);
    },
    stop: () => started && bar.stop(),
  };
}
