import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * A one-node Slurm cluster on this machine for the tests: munged (started if it is not running, with the key Debian's
 * package made), slurmctld and slurmd with a configuration and state under `dir`, this machine's CPUs, Slurm running
 * as root. `stop()` ends the daemons it started, by their pid files.
 */
export const SLURM_TOOLS = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/sbin/munged'];

export function slurmInstalled(): boolean {
  return SLURM_TOOLS.every((t) => existsSync(t));
}

export interface SlurmCluster {
  readonly conf: string;
  readonly env: Record<string, string>;
  stop(): void;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export function startSlurm(dir: string, cpus = 2): SlurmCluster {
  const node = hostname().split('.')[0];
  const started: string[] = [];
  // munge: the key (Debian's postinst writes one; make one if it did not), its runtime folder, the daemon as munge
  if (!existsSync('/etc/munge/munge.key')) {
    execFileSync('/bin/sh', [
      '-c',
      'dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null && chown munge:munge ' +
        '/etc/munge/munge.key && chmod 400 /etc/munge/munge.key',
    ]);
  }
  if (spawnSync('pgrep', ['-x', 'munged']).status !== 0) {
    execFileSync('/bin/sh', ['-c', 'mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge']);
    execFileSync('runuser', ['-u', 'munge', '--', '/usr/sbin/munged']);
    started.push('/run/munge/munged.pid');
  }
  for (const d of ['state', 'spool']) mkdirSync(join(dir, d), { recursive: true });
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=tsmtest',
      `SlurmctldHost=${node}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'MpiDefault=none',
      'ReturnToService=2',
      'SchedulerType=sched/backfill',
      'SlurmctldPort=16817',
      'SlurmdPort=16818',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      `NodeName=${node} CPUs=${cpus} State=UNKNOWN`,
      `PartitionName=test Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { SLURM_CONF: conf };
  execFileSync('/usr/sbin/slurmctld', ['-f', conf], { env: { ...process.env, ...env } });
  started.push(join(dir, 'slurmctld.pid'));
  execFileSync('/usr/sbin/slurmd', ['-f', conf], { env: { ...process.env, ...env } });
  started.push(join(dir, 'slurmd.pid'));
  // Daemons write their state when they get SIGTERM: wait until each has exited (SIGKILL after 15 s), so that
  // nothing writes into `dir` once stop() returns and the folder can be removed.
  const stop = () => {
    for (const pidFile of [...started].reverse()) {
      let pid: number;
      try {
        pid = Number(readFileSync(pidFile, 'utf8').trim());
        process.kill(pid, 'SIGTERM');
      } catch {
        continue; // no pid file or already gone
      }
      const alive = () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 150 && alive(); i++) sleep(100);
      if (alive()) process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 50 && alive(); i++) sleep(100);
    }
  };
  // ready when the node is idle
  for (let i = 0; i < 100; i++) {
    const state = spawnSync('/usr/bin/sinfo', ['-h', '-o', '%t'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    }).stdout.trim();
    if (state === 'idle') return { conf, env, stop };
    sleep(200);
  }
  const logs = ['slurmctld.log', 'slurmd.log']
    .map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').slice(-5).join('\n') : ''))
    .join('\n');
  stop();
  throw new Error(`the Slurm node did not become idle within 20 s:\n${logs}`);
}
