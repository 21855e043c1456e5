import { describe, expect, it } from 'vitest';
import { CreditChannel } from '../../src/delivery/credit-channel.js';

describe('CreditChannel', () => {
  it('lets a sender queue one batch per credit, then makes it wait for the receiver', async () => {
    const channel = new CreditChannel<string>(2);
    await channel.send('a', 10);
    await channel.send('b', 10);
    expect(channel.full).toBe(true);
    let thirdSent = false;
    const third = channel.send('c', 10).then(() => (thirdSent = true));
    await Promise.resolve();
    expect(thirdSent).toBe(false);
    expect(await channel.receive()).toBe('a');
    await third;
    expect(thirdSent).toBe(true);
    expect(channel.peakRecords).toBe(20);
    expect(await channel.receive()).toBe('b');
    expect(await channel.receive()).toBe('c');
  });

  it('lets control elements pass without a credit, in order', async () => {
    const channel = new CreditChannel<string>(1);
    await channel.send('batch', 5);
    await channel.send('watermark', 0);
    expect(await channel.receive()).toBe('batch');
    expect(await channel.receive()).toBe('watermark');
    expect(channel.inFlightRecords).toBe(0);
  });

  it('fails waiting senders and receivers', async () => {
    const channel = new CreditChannel<string>(1);
    const receiving = channel.receive();
    channel.fail(new Error('boom'));
    await expect(receiving).rejects.toThrow('boom');
    await expect(channel.send('x', 1)).rejects.toThrow('boom');
  });

  it('rejects a credit count that is not a positive integer', () => {
    expect(() => new CreditChannel(0)).toThrow(/credits must be a positive integer/);
  });
});
