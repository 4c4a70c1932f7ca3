/**
 * The goodput-vs-loss plot: a Vega-Lite spec compiled with `vega-lite` and
 * rendered to SVG by `vega`'s headless view in Node (no canvas). One panel
 * per RTT; loss rate on x (as categories: 0 has no place on a log axis),
 * median goodput on a log y axis, one line per congestion control, dashed
 * without SACK, whiskers min–max over the seeds.
 *
 * @module
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';

/** One point of the plot. */
export interface LossPoint {
  cc: string;
  sack: boolean;
  rttMs: number;
  /** Loss rate in percent. */
  lossPct: number;
  /** Median, min and max goodput in Mbit/s over the seeds. */
  median: number;
  min: number;
  max: number;
}

/** renderLossSvg - the SVG document of `points`. */
export async function renderLossSvg(points: readonly LossPoint[], title: string): Promise<string> {
  const values = points.map((p) => ({
    rtt: `RTT ${p.rttMs} ms`,
    rttMs: p.rttMs,
    loss: `${p.lossPct} %`,
    order: p.lossPct,
    series: `${p.cc}${p.sack ? ' + SACK' : ''}`,
    cc: p.cc,
    sack: p.sack ? 'SACK' : 'no SACK',
    median: p.median,
    lo: p.min,
    hi: p.max,
  }));
  const x = { field: 'loss', type: 'ordinal', sort: { field: 'order' }, title: 'random loss per frame, each direction', axis: { labelAngle: 0 } } as const;
  const y = { type: 'quantitative', scale: { type: 'log' }, title: 'goodput, Mbit/s (virtual time)' } as const;
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    facet: { column: { field: 'rtt', type: 'nominal', sort: { field: 'rttMs' }, title: null } },
    spec: {
      width: 260,
      height: 220,
      layer: [
        {
          mark: 'line',
          encoding: {
            x,
            y: { ...y, field: 'median' },
            color: { field: 'cc', type: 'nominal', title: 'congestion control' },
            strokeDash: { field: 'sack', type: 'nominal', title: null, sort: ['SACK', 'no SACK'] },
            detail: { field: 'series' },
          },
        },
        { mark: 'point', encoding: { x, y: { ...y, field: 'median' }, color: { field: 'cc', type: 'nominal' }, detail: { field: 'series' } } },
        { mark: { type: 'rule', opacity: 0.5 }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: { field: 'cc', type: 'nominal' }, detail: { field: 'series' } } },
      ],
    },
  };
  const compiled = vl.compile({ ...spec, config: { legend: { labelLimit: 400 } } } as typeof spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
