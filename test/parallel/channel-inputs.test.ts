import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChannelInputs } from '../../src/parallel/channel-inputs.js';
import { ExchangeError } from '../../src/parallel/exchange-error.js';
import type { ExchangeFrame } from '../../src/parallel/exchange-frame.js';

type Frame = ExchangeFrame<string>;

const records = (...values: string[]): Frame => ({ kind: 'records', values, times: values.map(() => 0) });
const watermark = (time: number): Frame => ({ kind: 'watermark', time });
const barrier = (checkpointId: number): Frame => ({ kind: 'barrier', checkpointId });
const IDLE: Frame = { kind: 'idle' };
const END: Frame = { kind: 'end' };

/** Pushes `[channel, frame]` pairs in order and returns the merged stream. */
function merge(inputs: ChannelInputs<string>, pushes: Array<[number, Frame]>): Frame[] {
  return pushes.flatMap(([channel, frame]) => [...inputs.push(channel, frame)]);
}

/** The merged stream without its record frames' times, easier to read in an expectation. */
function brief(frames: Frame[]): Array<string | number> {
  return frames.map((f) => {
    switch (f.kind) {
      case 'records':
        return f.values.join(',');
      case 'watermark':
        return f.time;
      case 'barrier':
        return `barrier ${f.checkpointId}`;
      default:
        return f.kind;
    }
  });
}

/** The record values of `frames`, in order. */
const valuesOf = (frames: Frame[]): string[] => frames.flatMap((f) => (f.kind === 'records' ? f.values : []));

// ---------------------------------------------------------------------------------------------
// The model: each channel's frames, and what the merge knows of it after taking its first q.

/** Watermark, idleness and end of a channel after each prefix of its frames. */
interface ChannelModel {
  frames: Frame[];
  /** `states[q]`: after its first q frames. */
  states: Array<{ watermark: number; idle: boolean; ended: boolean }>;
  /** Position in `frames` of the barrier with each id. */
  barrierAt: Map<number, number>;
}

function modelOf(frames: Frame[]): ChannelModel {
  let state = { watermark: -Infinity, idle: false, ended: false };
  const states = [state];
  const barrierAt = new Map<number, number>();
  frames.forEach((f, position) => {
    if (f.kind === 'records') state = { ...state, idle: false };
    if (f.kind === 'watermark') state = { ...state, idle: false, watermark: Math.max(state.watermark, f.time) };
    if (f.kind === 'idle') state = { ...state, idle: true };
    if (f.kind === 'end') state = { ...state, ended: true };
    if (f.kind === 'barrier') barrierAt.set(f.checkpointId, position);
    states.push(state);
  });
  return { frames, states, barrierAt };
}

/**
 * How many of the first `received` frames of a channel the merge has taken once barriers up to
 * `aligned` went out: all of them, except that it stops right after the first barrier not aligned yet.
 */
function taken(channel: ChannelModel, received: number, aligned: number): number {
  for (let q = 0; q < received; q++) {
    const f = channel.frames[q];
    if (f.kind === 'barrier' && f.checkpointId > aligned) return q + 1;
  }
  return received;
}

/** True when the first `received` frames of a channel hold a barrier not aligned yet: the channel is blocked. */
function waitsAtBarrier(channel: ChannelModel, received: number, aligned: number): boolean {
  return channel.frames.slice(0, received).some((f) => f.kind === 'barrier' && f.checkpointId > aligned);
}

/** What a channel allows the merged watermark to be: +Infinity when idle or ended (it is left out). */
function allowance(state: { watermark: number; idle: boolean; ended: boolean }): number {
  return state.idle || state.ended ? Infinity : state.watermark;
}

// ---------------------------------------------------------------------------------------------
// Random channels: records, non-decreasing watermarks, idle marks, barriers 1..k in order, end.

type Op = { kind: 'records'; times: number[] } | { kind: 'watermark'; step: number } | { kind: 'idle' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('records' as const), times: fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 3 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('watermark' as const), step: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'idle' as const }) },
);

/** A channel carries barriers 1..carried, with a run of frames before, between and after them. */
const channelOps = (barriers: number) =>
  fc
    .oneof(fc.constant(barriers), fc.integer({ min: 0, max: barriers }))
    .chain((carried) => fc.array(fc.array(op, { maxLength: 5 }), { minLength: carried + 1, maxLength: carried + 1 }));

const scenario = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 })).chain(([channels, barriers]) =>
  fc.record({
    channels: fc.array(channelOps(barriers), { minLength: channels, maxLength: channels }),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 100 }),
  }),
);

/** The frames of channel `c`: record values are `c:n`, numbered in order. */
function framesOf(c: number, segments: Op[][]): Frame[] {
  const frames: Frame[] = [];
  let n = 0;
  let time = 0;
  segments.forEach((segment, s) => {
    for (const o of segment) {
      if (o.kind === 'records') frames.push({ kind: 'records', values: o.times.map(() => `${c}:${n++}`), times: o.times });
      else if (o.kind === 'watermark') frames.push(watermark((time += o.step)));
      else frames.push(IDLE);
    }
    if (s < segments.length - 1) frames.push(barrier(s + 1));
  });
  frames.push(END);
  return frames;
}

describe('ChannelInputs against the model, over random interleavings of 1..4 channels', () => {
  it('keeps every record once in its channel order, aligns barriers, and bounds the watermark by the minimum', () => {
    fc.assert(
      fc.property(scenario, ({ channels: plans, picks }) => {
        const channels = plans.map((segments, c) => modelOf(framesOf(c, segments)));
        const inputs = new ChannelInputs<string>(channels.length);
        const received = channels.map(() => 0);
        const output: Frame[] = [];
        let aligned = 0;
        let forwarded = -Infinity;
        for (let step = 0; ; step++) {
          const open = channels.flatMap((ch, c) => (received[c] < ch.frames.length ? [c] : []));
          if (open.length === 0) break;
          const c = open[picks[step % picks.length] % open.length];
          const before = channels.map((ch, i) => taken(ch, received[i], aligned));
          const out = inputs.push(c, channels[c].frames[received[c]++]);
          for (const f of out) {
            if (f.kind === 'barrier') {
              expect(f.checkpointId).toBe(aligned + 1);
              aligned = f.checkpointId;
            }
            if (f.kind === 'watermark') {
              expect(f.time).toBeGreaterThan(forwarded);
              forwarded = f.time;
              // Each channel has taken between what it had before this push and what it may have
              // taken by now; the watermark is at most the minimum of the most each allows.
              const bound = Math.min(
                ...channels.map((ch, i) => {
                  const upTo = taken(ch, received[i], aligned);
                  return Math.max(...ch.states.slice(before[i], upTo + 1).map(allowance));
                }),
              );
              expect(f.time).toBeLessThanOrEqual(bound);
            }
            output.push(f);
          }
          // After the push the merge has taken exactly what the model says; the watermark caught up.
          const now = channels.map((ch, i) => ch.states[taken(ch, received[i], aligned)]);
          const running = now.filter((s) => !s.ended);
          const active = running.filter((s) => !s.idle);
          if (running.length === 0) expect(forwarded).toBe(Infinity);
          else if (active.length > 0) expect(forwarded).toBeGreaterThanOrEqual(Math.min(...active.map((s) => s.watermark)));
          else expect(output.filter((f) => f.kind !== 'barrier').at(-1)?.kind).toBe('idle');
          const held = channels.flatMap((ch, i) => ch.frames.slice(taken(ch, received[i], aligned), received[i]));
          expect(inputs.heldFrames).toBe(held.length);
          expect(inputs.heldRecords).toBe(valuesOf(held).length);
          channels.forEach((ch, i) => expect(inputs.isBlocked(i)).toBe(waitsAtBarrier(ch, received[i], aligned)));
        }

        // Every record once, in its channel's order.
        const emitted = valuesOf(output);
        channels.forEach((ch, c) => expect(emitted.filter((v) => v.startsWith(`${c}:`))).toEqual(valuesOf(ch.frames)));
        expect(emitted).toHaveLength(channels.reduce((n, ch) => n + valuesOf(ch.frames).length, 0));

        // Each barrier once, in order; a record goes out before barrier k iff it came before barrier k on its channel.
        const carried = Math.max(...channels.map((ch) => ch.barrierAt.size));
        const barrierOut = new Map<number, number>();
        output.forEach((f, i) => f.kind === 'barrier' && barrierOut.set(f.checkpointId, i));
        expect([...barrierOut.keys()]).toEqual(Array.from({ length: carried }, (_, k) => k + 1));
        expect(output.filter((f) => f.kind === 'barrier')).toHaveLength(carried);
        output.forEach((f, i) => {
          if (f.kind !== 'records') return;
          if (f.values.length === 0) return;
          const c = Number(f.values[0].split(':')[0]);
          const position = channels[c].frames.indexOf(f);
          for (const [k, at] of barrierOut) {
            const onChannel = channels[c].barrierAt.get(k) ?? Infinity;
            expect(i < at).toBe(position < onChannel);
          }
        });

        // The final watermark, then the end, last.
        expect(output.filter((f) => f.kind === 'end')).toHaveLength(1);
        expect(output.at(-1)?.kind).toBe('end');
        expect(output.filter((f) => f.kind === 'watermark').at(-1)).toEqual(watermark(Infinity));
        expect(inputs.ended).toBe(true);
        expect(inputs.heldFrames).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('ChannelInputs watermark', () => {
  it('is the minimum over the channels that are not idle: an idle channel is left out, then taken back', () => {
    const inputs = new ChannelInputs<string>(2);
    expect(
      brief(
        merge(inputs, [
          [0, watermark(10)],
          [1, watermark(5)],
        ]),
      ),
    ).toEqual([5]);
    expect(brief(merge(inputs, [[1, IDLE]]))).toEqual([10]);
    expect(brief(merge(inputs, [[0, watermark(20)]]))).toEqual([20]);
    // Channel 1 is back with its records and its old watermark 5: the merge holds at 20 until it passes.
    expect(
      brief(
        merge(inputs, [
          [1, records('b1')],
          [0, watermark(30)],
        ]),
      ),
    ).toEqual(['b1']);
    expect(brief(merge(inputs, [[1, watermark(25)]]))).toEqual([25]);
    expect(brief(merge(inputs, [[1, watermark(40)]]))).toEqual([30]);
    expect(inputs.watermark).toBe(30);
  });

  it('holds while every running channel is idle, and says idle once', () => {
    const inputs = new ChannelInputs<string>(3);
    expect(
      brief(
        merge(inputs, [
          [0, watermark(10)],
          [1, watermark(10)],
          [2, watermark(10)],
        ]),
      ),
    ).toEqual([10]);
    expect(
      brief(
        merge(inputs, [
          [2, END],
          [0, IDLE],
          [1, IDLE],
          [1, IDLE],
          [0, IDLE],
        ]),
      ),
    ).toEqual(['idle']);
    // Records from an idle channel make the merged stream active again; its watermark resumes.
    expect(
      brief(
        merge(inputs, [
          [0, records('a1')],
          [0, watermark(50)],
        ]),
      ),
    ).toEqual(['a1', 50]);
    expect(brief(merge(inputs, [[0, IDLE]]))).toEqual(['idle']);
    expect(brief(merge(inputs, [[1, watermark(60)]]))).toEqual([60]);
  });

  it('counts an ended channel as +Infinity, sends +Infinity when all ended, then the end', () => {
    const inputs = new ChannelInputs<string>(2);
    expect(
      brief(
        merge(inputs, [
          [0, watermark(10)],
          [1, watermark(20)],
          [0, END],
        ]),
      ),
    ).toEqual([10, 20]);
    expect(brief(merge(inputs, [[1, END]]))).toEqual([Infinity, 'end']);
    expect(inputs.ended).toBe(true);
  });

  it('does not send +Infinity twice when the channels already brought the watermark there', () => {
    const inputs = new ChannelInputs<string>(2);
    expect(
      brief(
        merge(inputs, [
          [0, watermark(Infinity)],
          [1, watermark(Infinity)],
          [0, END],
          [1, END],
        ]),
      ),
    ).toEqual([Infinity, 'end']);
  });
});

describe('ChannelInputs barrier alignment', () => {
  it('holds the frames after a barrier until every channel delivered it, then sends the barrier and them', () => {
    const inputs = new ChannelInputs<string>(2);
    expect(
      brief(
        merge(inputs, [
          [0, records('a1')],
          [0, barrier(1)],
          [0, records('a2', 'a3')],
          [0, watermark(9)],
        ]),
      ),
    ).toEqual(['a1']);
    expect(inputs.isBlocked(0)).toBe(true);
    expect(inputs.aligningBarrier).toBe(1);
    expect([inputs.heldFrames, inputs.heldRecords]).toEqual([2, 2]);
    expect(
      brief(
        merge(inputs, [
          [1, records('b1')],
          [1, watermark(5)],
        ]),
      ),
    ).toEqual(['b1']);
    expect(brief(merge(inputs, [[1, barrier(1)]]))).toEqual(['barrier 1', 'a2,a3', 5]);
    expect([inputs.isBlocked(0), inputs.heldFrames, inputs.heldRecords, inputs.aligningBarrier]).toEqual([false, 0, 0, undefined]);
  });

  it('does not wait for a channel that ended during the alignment', () => {
    const inputs = new ChannelInputs<string>(3);
    expect(
      brief(
        merge(inputs, [
          [0, barrier(1)],
          [0, records('a1')],
          [1, barrier(1)],
          [1, records('b1')],
        ]),
      ),
    ).toEqual([]);
    expect(
      brief(
        merge(inputs, [
          [2, records('c1')],
          [2, END],
        ]),
      ),
    ).toEqual(['c1', 'barrier 1', 'a1', 'b1']);
    // Barrier 2 is aligned over the two channels left.
    expect(
      brief(
        merge(inputs, [
          [1, barrier(2)],
          [1, END],
          [0, barrier(2)],
          [0, END],
        ]),
      ),
    ).toEqual(['barrier 2', Infinity, 'end']);
  });

  it('aligns the next barrier among the held frames after the first is released', () => {
    const inputs = new ChannelInputs<string>(2);
    merge(inputs, [
      [0, barrier(1)],
      [0, records('a1')],
      [0, barrier(2)],
      [0, records('a2')],
    ]);
    expect(inputs.heldFrames).toBe(3);
    expect(brief(merge(inputs, [[1, barrier(1)]]))).toEqual(['barrier 1', 'a1']);
    expect([inputs.isBlocked(0), inputs.heldFrames, inputs.aligningBarrier]).toEqual([true, 1, 2]);
    expect(
      brief(
        merge(inputs, [
          [1, records('b1')],
          [1, barrier(2)],
        ]),
      ),
    ).toEqual(['b1', 'barrier 2', 'a2']);
  });

  it('sends a barrier at once when the other channels have ended', () => {
    const inputs = new ChannelInputs<string>(2);
    expect(
      brief(
        merge(inputs, [
          [1, END],
          [0, barrier(3)],
          [0, records('a1')],
        ]),
      ),
    ).toEqual(['barrier 3', 'a1']);
  });
});

describe('ChannelInputs protocol errors', () => {
  const protocolError = (message: RegExp) =>
    expect.objectContaining({ name: 'ExchangeError', reason: 'protocol', message: expect.stringMatching(message) });

  it('refuses a barrier that does not increase on its channel', () => {
    const inputs = new ChannelInputs<string>(2);
    merge(inputs, [
      [0, barrier(2)],
      [1, barrier(2)],
    ]);
    expect(() => inputs.push(0, barrier(2))).toThrow(protocolError(/channel 0 sent barrier 2 after barrier 2/));
  });

  it('refuses a barrier of another checkpoint while one is aligned', () => {
    const inputs = new ChannelInputs<string>(2);
    inputs.push(0, barrier(1));
    expect(() => inputs.push(1, barrier(2))).toThrow(protocolError(/channel 1 sent barrier 2 while barrier 1 is aligned/));
  });

  it('refuses a frame after the end, even while the end is held', () => {
    const inputs = new ChannelInputs<string>(2);
    inputs.push(0, END);
    expect(() => inputs.push(0, records('late'))).toThrow(protocolError(/channel 0 sent a frame \(records\) after its end/));
    const held = new ChannelInputs<string>(2);
    merge(held, [
      [0, barrier(1)],
      [0, END],
    ]);
    expect(() => held.push(0, watermark(1))).toThrow(protocolError(/channel 0 sent a frame \(watermark\) after its end/));
  });

  it('stays broken after a protocol error', () => {
    const inputs = new ChannelInputs<string>(2);
    inputs.push(0, END);
    expect(() => inputs.push(0, END)).toThrow(ExchangeError);
    expect(() => inputs.push(1, records('b1'))).toThrow(protocolError(/channel 0 sent a frame \(end\) after its end/));
  });

  it('refuses a channel number out of range, and a channel count below one', () => {
    const inputs = new ChannelInputs<string>(2);
    expect(() => inputs.push(2, END)).toThrow(RangeError);
    expect(() => inputs.push(-1, END)).toThrow(/channel must be an integer from 0 to 1, got -1/);
    expect(() => inputs.isBlocked(0.5)).toThrow(RangeError);
    expect(() => new ChannelInputs(0)).toThrow(/channelCount must be a positive integer, got 0/);
  });
});
