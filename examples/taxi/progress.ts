/** Where a progress bar draws: `process.stderr`, or anything with `write` (and `isTTY`) in tests. */
export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** A progress display; see {@link progressBar}. */
export interface ProgressBar {
  /** Records read so far; a smaller count than one already shown is ignored, so the bar never goes back. */
  update(done: number): void;
  /** Marks a completed checkpoint: on the live line on a terminal, as a line of its own otherwise. */
  checkpoint(id: number): void;
  /** Prints a line of its own (on a terminal, above the live bar). */
  note(text: string): void;
  /** Draws the final state once; later calls do nothing. */
  finish(done: number): void;
}

/** On a terminal the live line is redrawn at most this often. */
const REDRAW_MS = 100;
/** Without a terminal and without a total, a line at most this often. */
const LOG_EVERY_MS = 5_000;

/**
 * A progress display on stderr. On a terminal, one line redrawn in place; otherwise (a log, a
 * pipe) a line per 10 % and one final line, never the same count twice. The count shown never
 * decreases, so a resumed job whose input is skipped up to its checkpoint, or a final count
 * smaller than the one drawn, cannot make it go back.
 * @param total - records expected, for a percentage; `undefined` when unknown (a parquet file).
 * @param label - what is counted.
 * @param output - where to draw (default `process.stderr`).
 * @returns the bar.
 * @example
 * const bar = progressBar(10_000);
 * bar.update(4_096);
 * bar.finish(10_000);
 */
export function progressBar(total: number | undefined, label = 'events', output: ProgressOutput = process.stderr): ProgressBar {
  const started = Date.now();
  const tty = output.isTTY === true;
  let shown = 0;
  let lastDraw = 0;
  let lastDecile = -1;
  /** The count on the last line printed without a terminal. */
  let lastPrinted = -1;
  let checkpointText = '';
  let finished = false;

  const text = () => {
    const secs = Math.max((Date.now() - started) / 1000, 1e-3);
    const rate = `${formatRate(shown / secs)} ${label}/s`;
    if (!total || total <= 0) return `${groupDigits(shown)} ${label}  ${rate}${checkpointText}`;
    const frac = Math.min(shown / total, 1);
    const width = 30;
    const filled = Math.round(frac * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%`;
    return `${bar} ${groupDigits(shown)}/${groupDigits(total)} ${label}  ${rate}${checkpointText}`;
  };

  const drawLive = (final: boolean) => {
    output.write(`\r${text().padEnd(90)}${final ? '\n' : ''}`);
    lastDraw = Date.now();
  };

  const printLine = () => {
    lastPrinted = shown;
    lastDraw = Date.now();
    output.write(`${text()}\n`);
  };

  const draw = (final: boolean) => {
    if (tty) {
      if (final || Date.now() - lastDraw >= REDRAW_MS) drawLive(final);
      return;
    }
    if (final) {
      if (shown !== lastPrinted) printLine();
      return;
    }
    if (total && total > 0) {
      const decile = Math.floor(Math.min(shown / total, 1) * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      printLine();
    } else if (Date.now() - lastDraw >= LOG_EVERY_MS) {
      printLine();
    }
  };

  return {
    update(done) {
      if (finished || !(done > shown)) return;
      shown = done;
      draw(false);
    },
    checkpoint(id) {
      if (finished) return;
      checkpointText = `  checkpoint ${id}`;
      if (tty) drawLive(false);
      else output.write(`checkpoint ${id} complete, ${groupDigits(shown)} ${label} read\n`);
    },
    note(line) {
      if (tty) output.write(`\r${' '.repeat(90)}\r${line}\n`);
      else output.write(`${line}\n`);
      if (tty && !finished && lastDraw > 0) drawLive(false);
    },
    finish(done) {
      if (finished) return;
      if (done > shown) shown = done;
      draw(true);
      finished = true;
    },
  };
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
