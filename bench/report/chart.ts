import { niceTicks } from './units.js';

/** One bar chart panel: a value per (group, series), with the axis in plain units. */
export interface Panel {
  title: string;
  /** Formats an axis tick or a bar's value with its unit, e.g. `(v) => `${compact(v)} events/s``. */
  format: (value: number) => string;
  /** The value of `series` in `group`, or null when there is none (no bar is drawn). */
  value: (group: string, series: string) => number | null;
}

/** A grouped bar chart of several panels sharing groups, series and one legend. */
export interface ChartSpec {
  groups: readonly string[];
  series: ReadonlyArray<{ name: string; color: string }>;
  panels: readonly Panel[];
  /** Shown under the legend. */
  note?: string;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const WIDTH = 1000;
const LEFT = 110;
const RIGHT = 20;
const PANEL_HEIGHT = 230;
const LABEL_SPACE = 70;

/**
 * Draws the panels one under the other, each with its title, a linear axis from 0 labelled in the
 * panel's units, one group of bars per group and one bar per series that has a value. The legend
 * lists only series that have at least one bar.
 * @param spec - groups, series and panels.
 * @returns the SVG document.
 * @example chartSvg({ groups: ['zone-5m 1M'], series: [{ name: 'streamkit', color: '#2563eb' }], panels: [...] })
 */
export function chartSvg(spec: ChartSpec): string {
  const plotW = WIDTH - LEFT - RIGHT;
  const parts: string[] = [];
  const drawn = new Set<string>();
  let y0 = 0;
  for (const panel of spec.panels) {
    const top = y0 + 34;
    const plotH = PANEL_HEIGHT - 44;
    const values = spec.groups.flatMap((g) => spec.series.map((s) => panel.value(g, s.name))).filter((v): v is number => v !== null);
    parts.push(`<text x="${LEFT}" y="${y0 + 20}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
    if (values.length === 0) {
      parts.push(`<text x="${LEFT}" y="${top + 20}" font-size="12">not measured</text>`);
      y0 += 60;
      continue;
    }
    const ticks = niceTicks(Math.max(...values), 4);
    const hi = ticks[ticks.length - 1];
    const y = (v: number) => top + plotH - (v / hi) * plotH;
    for (const t of ticks) {
      const ty = y(t).toFixed(1);
      parts.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${ty}" y2="${ty}" stroke="#e5e7eb"/>`);
      parts.push(
        `<text x="${LEFT - 6}" y="${(y(t) + 4).toFixed(1)}" font-size="11" text-anchor="end">${escapeXml(panel.format(t))}</text>`,
      );
    }
    const groupW = plotW / spec.groups.length;
    spec.groups.forEach((g, gi) => {
      const present = spec.series.filter((s) => panel.value(g, s.name) !== null);
      const barW = Math.min(24, (groupW - 10) / Math.max(1, present.length));
      const x0 = LEFT + gi * groupW + (groupW - barW * present.length) / 2;
      present.forEach((s, si) => {
        const v = panel.value(g, s.name) as number;
        drawn.add(s.name);
        const by = y(v);
        parts.push(
          `<rect x="${(x0 + si * barW).toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - by).toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${s.name}, ${g}: ${panel.format(v)}`)}</title></rect>`,
        );
      });
    });
    parts.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#111"/>`);
    y0 += PANEL_HEIGHT;
  }
  // Group labels once, under the last panel, slanted so long names do not overlap.
  const groupW = plotW / spec.groups.length;
  spec.groups.forEach((g, gi) => {
    const x = LEFT + gi * groupW + groupW / 2;
    parts.push(
      `<text x="${x.toFixed(1)}" y="${y0 + 4}" font-size="11" text-anchor="end" transform="rotate(-35 ${x.toFixed(1)} ${y0 + 4})">${escapeXml(g)}</text>`,
    );
  });
  y0 += LABEL_SPACE;
  const legend = spec.series.filter((s) => drawn.has(s.name));
  let x = LEFT;
  for (const s of legend) {
    parts.push(`<rect x="${x}" y="${y0}" width="12" height="12" fill="${s.color}"/>`);
    parts.push(`<text x="${x + 16}" y="${y0 + 10}" font-size="12">${escapeXml(s.name)}</text>`);
    x += 30 + s.name.length * 7;
  }
  y0 += 22;
  if (spec.note) {
    parts.push(`<text x="${LEFT}" y="${y0 + 10}" font-size="11" fill="#374151">${escapeXml(spec.note)}</text>`);
    y0 += 20;
  }
  const height = y0 + 6;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Arial, sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`
  );
}
