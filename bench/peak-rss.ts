/**
 * A child process's peak RSS as the kernel keeps it (VmHWM in /proc/PID/status), read every
 * 100 ms while it runs: the figure for a program as users run it, without our own process in it.
 */
import { readFileSync } from 'node:fs';

export interface PeakRss {
  /** The highest VmHWM read so far, MiB. */
  readonly mib: number;
  /** Read once more (the process may still be there) and stop reading. */
  stop(): number;
}

export function watchPeakRss(pid: number): PeakRss {
  let kb = 0;
  const read = (): void => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb = Math.max(kb, Number(m[1]));
    } catch {
      // gone: the last reading stands
    }
  };
  read();
  const timer = setInterval(read, 100);
  const mib = (): number => Math.round((kb / 1024) * 10) / 10;
  return {
    get mib() {
      return mib();
    },
    stop() {
      read();
      clearInterval(timer);
      return mib();
    },
  };
}
