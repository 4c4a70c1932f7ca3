/**
 * The Markdown report (bench-results/relay-<date>.md): the terminal report's
 * settings lines as a list, its tables as they are (they are already
 * Markdown), its bar charts in code blocks, and the plot embedded.
 * @module
 */

/** markdownReport - the report lines (as printed) as a Markdown document with the SVG plot linked. */
export function markdownReport(lines: readonly string[], svgFile: string): string {
  const out: string[] = ['# netlayers relay bench', ''];
  let inBars = false;
  for (const block of lines.join('\n').split('\n')) {
    const isTable = block.startsWith('|');
    const isBar = /[█▌]/.test(block) || /: relay MB\/s \(median\)$/.test(block);
    if (isBar !== inBars) {
      out.push('```');
      inBars = isBar;
    }
    if (isTable || isBar) out.push(block);
    else if (block.trim() === '') out.push('');
    else if (/^(Latency|Throughput|Ratios|Goals|Costs|Concurrency)/.test(block)) out.push(`## ${block}`, '');
    else if (/^netlayers relay bench/.test(block)) out.push(`_${block.replace(/^netlayers relay bench — /, '')}_`, '');
    else if (/^(plot|results|report):/.test(block)) continue;
    else out.push(`- ${block}`);
  }
  if (inBars) out.push('```');
  out.push('', '## E-mails relayed vs time (Figure 19 analogue)', '', `![e-mails relayed vs time](${svgFile})`, '');
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
