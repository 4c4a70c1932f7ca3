/** What a benchmark figure was measured on: recorded in every JSON result. */
import os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs visible to Node (`os.availableParallelism()`). */
  cores: number;
  node: string;
  platform: string;
  arch: string;
  totalMemGiB: number;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadavgStart: number[];
  /** The same at the end of the run (filled in when the report is written). */
  loadavgEnd: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadavgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    loadavgEnd: [],
  };
}

/** One line for the top of a benchmark's output. */
export function machineLine(m: MachineInfo): string {
  return `${m.cpuModel} ×${m.cores}, node ${m.node} ${m.platform}/${m.arch}, load average ${m.loadavgStart.join(' ')}`;
}
