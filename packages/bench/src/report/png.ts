/**
 * PNG of the plot: the SVG rasterised by resvg (`@resvg/resvg-js`, a Rust SVG
 * renderer whose prebuilt binary ships inside its npm package), with the
 * system's fonts. Returns undefined, with the reason, where it cannot load.
 * @module
 */

/** renderPng - the SVG as PNG at 2× scale, or the reason it could not be rendered. */
export async function renderPng(svg: string): Promise<{ png: Uint8Array } | { error: string }> {
  try {
    const { Resvg } = await import('@resvg/resvg-js');
    const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
    return { png: r.render().asPng() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
