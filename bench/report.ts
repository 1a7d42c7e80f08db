/**
 * The results of a run: the JSON document written under bench/results/, and the tables printed
 * on stdout (and written beside it as Markdown): absolute figures per system and configuration,
 * and the ratio weft / best peer. A measurement that failed verification shows FAILED, never a
 * number; one that ran out of time shows its partial rate.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEFT_ONLY_WORKLOADS } from './options.js';
import type { ServerInfo } from './server.js';
import { spread } from './stats.js';
import type { PartResult, WorkloadResult } from './workloads/common.js';

export interface SystemInfo {
  label: string;
  system: string;
  config: string;
  version: string;
  description: string;
  dagMethod: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  quick: boolean;
  runs: number;
  host: {
    cpus: number;
    cpuModel: string;
    memoryBytes: number;
    os: string;
    node: string;
    /** 1, 5 and 15 minute load averages when the run started and ended (others' work skews figures). */
    loadAverage: { start: number[]; end: number[] };
  };
  server: ServerInfo;
  systems: SystemInfo[];
  sizes: Record<string, unknown>;
  results: WorkloadResult[];
  /** pg_stat_statements of a profiled weft W3 run (when available). */
  profile: unknown;
  notes: string[];
}

interface Row {
  workload: string;
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
}

/** The figures of the comparison table, in order. */
export function comparisonRows(c1: number, c2: number): Row[] {
  const r = (workload: string, key: string, label: string, unit: string, better: Row['better']): Row => ({ workload, key, label, unit, better });
  return [
    r('W1', 'enqueue_single_per_s', 'enqueue one by one', 'req/s', 'higher'),
    r('W1', 'enqueue_bulk_per_s', 'enqueue in bulk', 'req/s', 'higher'),
    r('W1', `complete_c${c1}_per_s`, `process, concurrency ${c1}`, 'tasks/s', 'higher'),
    r('W1', `complete_c${c2}_per_s`, `process, concurrency ${c2}`, 'tasks/s', 'higher'),
    r('W2', 'start_p50_ms', 'request → step start p50', 'ms', 'lower'),
    r('W2', 'start_p95_ms', 'request → step start p95', 'ms', 'lower'),
    r('W2', 'start_p99_ms', 'request → step start p99', 'ms', 'lower'),
    r('W2', 'complete_p50_ms', 'request → complete p50', 'ms', 'lower'),
    r('W2', 'complete_p95_ms', 'request → complete p95', 'ms', 'lower'),
    r('W2', 'complete_p99_ms', 'request → complete p99', 'ms', 'lower'),
    r('W3', 'tasks_per_s', 'diamond tasks', 'tasks/s', 'higher'),
    r('W3', 'steps_per_s', 'diamond steps', 'steps/s', 'higher'),
    r('W3', 'makespan_p50_ms', 'makespan p50', 'ms', 'lower'),
    r('W3', 'makespan_p95_ms', 'makespan p95', 'ms', 'lower'),
    r('W4', 'steps_per_s', 'chain steps', 'steps/s', 'higher'),
    r('W4', 'handoff_p50_ms', 'hand-off p50', 'ms', 'lower'),
    r('W4', 'handoff_p95_ms', 'hand-off p95', 'ms', 'lower'),
    r('W4', 'idle_handoff_p50_ms', 'hand-off at idle p50', 'ms', 'lower'),
    r('W4', 'idle_handoff_p95_ms', 'hand-off at idle p95', 'ms', 'lower'),
    r('W5', 'tasks_per_s', 'fan tasks', 'tasks/s', 'higher'),
    r('W5', 'steps_per_s', 'fan steps', 'steps/s', 'higher'),
    r('W5', 'makespan_p50_ms', 'makespan p50', 'ms', 'lower'),
    r('W5', 'makespan_p95_ms', 'makespan p95', 'ms', 'lower'),
    r('W5', 'join_wait_p50_ms', 'join wait p50', 'ms', 'lower'),
  ];
}

interface Cell {
  text: string;
  /** The median over runs, when every run of this figure verified. */
  value: number | null;
}

function fmt(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  if (unit === 'ms') return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
  return Math.round(value).toLocaleString('en-US');
}

/** The cell of one figure for one system: median (min–max over runs), or why there is no number. */
function cellOf(results: WorkloadResult[], row: Row): Cell {
  const parts: PartResult[] = [];
  for (const result of results) {
    if (result.workload !== row.workload) continue;
    if (result.error) return { text: 'error', value: null };
    const part = result.parts.find((p) => row.key in p.figures || (p.status !== 'ok' && partCovers(p, row)));
    if (part) parts.push(part);
  }
  if (parts.length === 0) return { text: '', value: null };
  const bad = parts.find((p) => p.status !== 'ok');
  if (bad) {
    if (bad.status === 'timeout') {
      if (row.unit === 'ms') return { text: 'timeout', value: null };
      const steps = row.unit === 'steps/s';
      const partial = steps ? bad.figures.partial_steps_per_s : bad.figures.partial_per_s;
      return { text: partial === undefined ? 'timeout' : `timeout: ${fmt(partial, '/s')} ${steps ? 'steps' : 'tasks'}/s`, value: null };
    }
    return { text: bad.status === 'failed' ? 'FAILED' : bad.status, value: null };
  }
  const s = spread(parts.map((p) => p.figures[row.key]!));
  const text = s.runs > 1 ? `${fmt(s.median, row.unit)} (${fmt(s.min, row.unit)}–${fmt(s.max, row.unit)})` : fmt(s.median, row.unit);
  return { text, value: s.median };
}

/** Which non-ok part stands for a figure (its figures are empty). */
function partCovers(part: PartResult, row: Row): boolean {
  if (row.workload !== 'W1') return true;
  if (row.key.startsWith('enqueue_single')) return part.part === 'enqueue one by one';
  if (row.key.startsWith('enqueue_bulk')) return part.part === 'enqueue in bulk';
  const c = /complete_c(\d+)_per_s/.exec(row.key)?.[1];
  return part.part === `process at concurrency ${c}`;
}

/** The comparison table as rows of strings (header first). */
export function comparisonTable(report: BenchReport): string[][] {
  const [c1, c2] = (report.sizes.w1Concurrency as [number, number] | undefined) ?? [10, 50];
  const labels = report.systems.map((s) => s.label);
  const header = ['workload', 'figure', 'unit', ...labels, 'weft / best peer'];
  const rows: string[][] = [header];
  for (const row of comparisonRows(c1, c2)) {
    const cells = report.systems.map((s) => cellOf(report.results.filter((r) => r.label === s.label), row));
    if (cells.every((c) => c.text === '')) continue;
    const weftIdx = report.systems.findIndex((s) => s.system === 'weft');
    const peers = cells.filter((_, i) => report.systems[i]!.system !== 'weft').map((c) => c.value).filter((v): v is number => v !== null && v > 0);
    let ratio = '';
    const weftValue = weftIdx >= 0 ? cells[weftIdx]!.value : null;
    if (weftValue !== null && peers.length > 0) {
      const best = row.better === 'higher' ? Math.max(...peers) : Math.min(...peers);
      ratio = `${(weftValue / best).toFixed(2)}×`;
    }
    rows.push([row.workload, row.label, row.unit, ...cells.map((c) => c.text || '—'), ratio]);
  }
  return rows;
}

/** Plain-text table with aligned columns. */
export function renderText(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** Markdown table. */
export function renderMarkdown(rows: string[][]): string {
  const [head, ...body] = rows;
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(head!), line(head!.map((_, i) => (i < 3 ? '---' : '---:'))), ...body.map(line)].join('\n');
}

/** weft-only workloads (scale, memory, soak) as label / value lines. */
export function weftOnlyTable(report: BenchReport): string[][] {
  const rows: string[][] = [['workload', 'measurement', 'figure', 'value', 'status']];
  for (const result of report.results.filter((r) => WEFT_ONLY_WORKLOADS.has(r.workload))) {
    if (result.error) rows.push([result.workload, '', '', '', `error: ${result.error}`]);
    for (const part of result.parts) {
      const entries = Object.entries(part.figures);
      if (entries.length === 0) rows.push([result.workload, part.part, '', '', part.status + (part.note ? ` (${part.note})` : '')]);
      for (const [key, value] of entries) {
        const shown = Number.isInteger(value) ? value.toLocaleString('en-US') : String(Math.round(value * 100) / 100);
        rows.push([result.workload, part.part, key, shown, part.status]);
      }
    }
  }
  return rows;
}

/** Writes `<stamp>.json` and `<stamp>.md` under outDir; returns the JSON path. */
export function writeReport(report: BenchReport, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const base = join(outDir, `bench-${stamp}${report.quick ? '-quick' : ''}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
  const notes = report.notes.length > 0 ? ['## Notes', '', ...report.notes.map((n) => `- ${n}`), ''] : [];
  const md = ['## Comparison', '', renderMarkdown(comparisonTable(report)), '', '## weft: scale, memory and soak', '', renderMarkdown(weftOnlyTable(report)), '', ...notes].join('\n');
  writeFileSync(`${base}.md`, md);
  return `${base}.json`;
}
