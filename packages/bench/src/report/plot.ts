/**
 * The plot: Vega-Lite specs compiled with `vega-lite` and rendered to SVG
 * with `vega`'s headless view in Node (no canvas, no download). Two panels:
 * relay throughput per size and configuration (MB/s, median of readings), and
 * Figure 19's counterpart (e-mails relayed vs time, first latency reading).
 * The PNG beside it is rasterised from this SVG (`png.ts`).
 * @module
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Cell } from './aggregate.js';
import type { Reading } from '../runner.js';

/** renderSvg - the bar chart of MB/s per size and configuration, and the arrivals plot. */
export async function renderSvg(cs: Cell[], readings: Reading[], sizes: string[]): Promise<string> {
  const bars = cs.filter((c) => Number.isFinite(c.mbps.median)).map((c) => ({ size: c.size, config: c.config, mbps: c.mbps.median, lo: c.mbps.min, hi: c.mbps.max }));
  const curve: Array<{ size: string; config: string; ms: number; n: number }> = [];
  for (const r of readings) {
    if (r.kind !== 'latency' || r.arrivalsMs === undefined) continue;
    const a = r.arrivalsMs;
    const step = Math.max(1, Math.floor(a.length / 100));
    for (let i = 0; i < a.length; i += step) curve.push({ size: r.size, config: r.config, ms: a[i] as number, n: i + 1 });
    if (a.length > 0) curve.push({ size: r.size, config: r.config, ms: a[a.length - 1] as number, n: a.length });
  }
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    vconcat: [
      {
        title: 'Relay throughput (MB/s, median; whiskers min–max)',
        data: { values: bars },
        facet: { column: { field: 'size', sort: sizes, title: null } },
        spec: {
          width: 110,
          height: 180,
          layer: [
            { mark: 'bar', encoding: { x: { field: 'config', type: 'nominal', axis: { labels: false, title: null } }, y: { field: 'mbps', type: 'quantitative', title: 'MB/s' }, color: { field: 'config', type: 'nominal' } } },
            { mark: 'rule', encoding: { x: { field: 'config', type: 'nominal' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
          ],
        },
        resolve: { scale: { y: 'independent' } },
      },
      {
        title: 'E-mails relayed vs time (first latency reading; thesis Figure 19)',
        data: { values: curve },
        facet: { column: { field: 'size', sort: sizes, title: null } },
        spec: {
          width: 110,
          height: 180,
          mark: 'line',
          encoding: { x: { field: 'ms', type: 'quantitative', title: 'ms' }, y: { field: 'n', type: 'quantitative', title: 'e-mails' }, color: { field: 'config', type: 'nominal' } },
        },
        resolve: { scale: { x: 'independent', y: 'independent' } },
      },
    ],
  };
  const compiled = vl.compile({ ...spec, config: { legend: { labelLimit: 400 } } } as typeof spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
