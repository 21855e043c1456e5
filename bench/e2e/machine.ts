import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

/** The machine line of a results file. */
export interface MachineInfo {
  cores: number;
  memoryGb: number;
  node: string;
  java: string | null;
  cpuModel: string;
  /** 1-minute load average when the run started: the machine is shared, and this says how much. */
  loadAverage: number;
}

/**
 * Describes this machine: cores, memory, CPU model, Node and Java versions.
 * @returns the machine line.
 * @example const m = machineInfo(); console.log(m.cores, m.java);
 */
export function machineInfo(): MachineInfo {
  let java: string | null;
  try {
    // `java -version` writes to stderr; its first line names the build.
    java = execFileSync('sh', ['-c', 'java -version 2>&1'], { encoding: 'utf8' }).split('\n')[0] || null;
  } catch {
    java = null; // no Java: the Flink engines are skipped
  }
  return {
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    java,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage: Math.round(loadavg()[0] * 100) / 100,
  };
}
