// Micro-benchmark helpers for bench/*.bench.ts: a fixed number of iterations per case
// (never a time budget), each measured next to a baseline loop over the same bytes, so
// the ratio says how far a case is from "just touching the data" on this machine, this
// run. Results are printed, never asserted: wall-clock speed is not a test.

export interface BenchResult {
  readonly name: string;
  readonly opsPerSec: number;
  readonly baselineOpsPerSec: number;
  /** opsPerSec / baselineOpsPerSec. */
  readonly ratio: number;
}

export interface BenchCase {
  readonly name: string;
  /** Inputs the case cycles through; one operation handles one input. */
  readonly inputs: readonly Uint8Array[];
  /** One operation; return something derived from the input so it cannot be optimised away. */
  readonly run: (input: Uint8Array) => unknown;
  readonly iterations: number;
}

/** Keeps results alive so the JIT cannot drop the work. */
let sink = 0;

function consume(value: unknown): void {
  if (typeof value === 'number') sink = (sink + value) | 0;
  else if (typeof value === 'string') sink = (sink + value.length) | 0;
  else if (value !== null && value !== undefined) sink = (sink + 1) | 0;
}

/** The baseline operation: read every byte of the input once. */
function readAllBytes(input: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < input.length; i++) sum = (sum + (input[i] as number)) | 0;
  return sum;
}

function timeLoop(
  inputs: readonly Uint8Array[],
  iterations: number,
  op: (i: Uint8Array) => unknown,
): number {
  const n = inputs.length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) consume(op(inputs[i % n] as Uint8Array));
  const ns = Number(process.hrtime.bigint() - start);
  return ns === 0 ? Infinity : (iterations * 1e9) / ns;
}

/** Runs one case after a short warm-up of both loops and returns its numbers. */
export function runCase(c: BenchCase): BenchResult {
  const warm = Math.max(1, Math.floor(c.iterations / 10));
  timeLoop(c.inputs, warm, readAllBytes);
  timeLoop(c.inputs, warm, c.run);
  const baselineOpsPerSec = timeLoop(c.inputs, c.iterations, readAllBytes);
  const opsPerSec = timeLoop(c.inputs, c.iterations, c.run);
  return { name: c.name, opsPerSec, baselineOpsPerSec, ratio: opsPerSec / baselineOpsPerSec };
}

function fmt(ops: number): string {
  return Math.round(ops).toLocaleString('en-US').padStart(14);
}

/** One line per case: name, ops/s, baseline ops/s, ratio. */
export function formatResult(r: BenchResult): string {
  return `${r.name.padEnd(40)} ${fmt(r.opsPerSec)} ops/s  baseline ${fmt(r.baselineOpsPerSec)} ops/s  ratio ${r.ratio.toFixed(3)}`;
}

/** Runs every case in order and prints its line; returns the results. */
export function runBench(title: string, cases: readonly BenchCase[]): BenchResult[] {
  console.log(`# ${title}`);
  const results = cases.map((c) => {
    const r = runCase(c);
    console.log(formatResult(r));
    return r;
  });
  if (sink === 0x7fffffff) console.log(''); // reads the sink once
  return results;
}
