/**
 * A one-line progress bar on stderr (redrawn in place on a terminal, a line per 10 % otherwise).
 */
export function progressBar(total: number | undefined, label = 'events') {
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  let lastDraw = 0;
  let lastDecile = -1;
  const draw = (done: number, final = false) => {
    const now = Date.now();
    if (!final && tty && now - lastDraw < 100) return;
    lastDraw = now;
    const secs = Math.max((now - started) / 1000, 1e-3);
    const rate = `${formatRate(done / secs)} ${label}/s`;
    if (total && total > 0) {
      const frac = Math.min(done / total, 1);
      const decile = Math.floor(frac * 10);
      if (!tty && !final && decile === lastDecile) return;
      lastDecile = decile;
      const width = 30;
      const filled = Math.round(frac * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%`;
      write(`${bar} ${groupDigits(done)}/${groupDigits(total)} ${label}  ${rate}`, final);
    } else {
      write(`${groupDigits(done)} ${label}  ${rate}`, final);
    }
  };
  const write = (line: string, final: boolean) => {
    if (tty) process.stderr.write(`\r${line.padEnd(90)}${final ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  };
  return { update: (done: number) => draw(done), finish: (done: number) => draw(done, true) };
}

function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

/**
 * An integer with thousands separators, as `toLocaleString('en-US')` writes it, without Intl: the
 * first Intl number format costs about 15 ms of ICU set-up, and the bar draws while the job runs.
 * @example groupDigits(1234567) // '1,234,567'
 */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
