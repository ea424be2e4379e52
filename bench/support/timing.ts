/** Timing helpers shared by the benchmarks. */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** Wall and CPU (user + system) time of one call, in ms. */
export function timed<T>(run: () => T): { result: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = run();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { result, wall, cpu: (c.user + c.system) / 1000 };
}

/** A duration in ms as the figures print it: two decimals below 10 ms, whole ms above. */
export function ms(x: number): string {
  return x < 10 ? `${x.toFixed(2)} ms` : `${Math.round(x)} ms`;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The p-th percentile of sorted figures (the nearest rank at or below). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs one phase of a benchmark and prints `<bench>: <name>: <wall> ms (CPU <cpu> ms)`; returns what it returned. */
export function phase<T>(bench: string, name: string, work: () => T): T {
  const { result, wall, cpu } = timed(work);
  console.log(`${bench}: ${name}: ${wall.toFixed(0)} ms (CPU ${cpu.toFixed(0)} ms)`);
  return result;
}

/**
 * Watches the event loop from now until `stop()`: the longest block as wall time (perf_hooks)
 * and as the CPU time the process used between two ticks of a 5 ms timer, which is at most a
 * tick beside the longest block's CPU time however loaded the machine (wall time is not).
 */
export function watchBlocks(): { stop(): { wall: number; cpu: number } } {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let lastCpu = process.cpuUsage();
  let blockCpu = 0;
  const ticker = setInterval(() => {
    const used = process.cpuUsage(lastCpu);
    lastCpu = process.cpuUsage();
    blockCpu = Math.max(blockCpu, (used.user + used.system) / 1000);
  }, 5);
  return {
    stop: () => {
      loop.disable();
      clearInterval(ticker);
      return { wall: loop.max / 1e6, cpu: blockCpu };
    },
  };
}
