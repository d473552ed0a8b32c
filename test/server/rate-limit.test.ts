import { describe, expect, it } from 'vitest';
import { InboundRateLimit } from '../../src/server/rate-limit.js';

describe('InboundRateLimit', () => {
  it('accepts a whole minute of frames at once, then refuses, then closes after the refused streak', () => {
    const t = 0;
    const rl = new InboundRateLimit({ perMinute: 10, closeAfterRefused: 3, now: () => t });
    for (let i = 0; i < 10; i++) expect(rl.take()).toBe('accept');
    expect(rl.take()).toBe('refuse');
    expect(rl.take()).toBe('refuse');
    expect(rl.take()).toBe('close');
  });

  it('refills continuously: perMinute/60 frames a second', () => {
    let t = 0;
    const rl = new InboundRateLimit({ perMinute: 60, now: () => t });
    for (let i = 0; i < 60; i++) rl.take();
    expect(rl.take()).toBe('refuse');
    t += 1000;
    expect(rl.take()).toBe('accept');
    expect(rl.take()).toBe('refuse');
  });

  it('forgets a refused streak once frames are accepted again', () => {
    let t = 0;
    const rl = new InboundRateLimit({ perMinute: 60, closeAfterRefused: 2, now: () => t });
    for (let i = 0; i < 60; i++) rl.take();
    expect(rl.take()).toBe('refuse');
    t += 1000;
    expect(rl.take()).toBe('accept');
    expect(rl.take()).toBe('refuse');
    expect(rl.take()).toBe('close');
  });
});
