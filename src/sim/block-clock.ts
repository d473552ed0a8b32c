/**
 * When each simulated block happens: its `block_time`, how long to wait before writing it in
 * real time, and the `local_time` its lines carry. Simulated time (a start time given) advances
 * by the drawn spacing whatever the speed; otherwise block times follow the wall clock.
 */
import { addNs, formatNodeTime, type NodeInstant } from '../node/format.js';
import { Rng } from '../util/rng.js';

export interface BlockClockOptions {
  seed: number;
  blocksPerSecond: number;
  speed: 'realtime' | 'max';
  /** Simulated time of the first block; undefined: the wall clock. */
  startTime: NodeInstant | undefined;
  /** The streaming layout's spread: in real time a block's first events are due that much earlier. */
  spreadMs: number;
  now: () => number;
}

/** One block's times. */
export interface BlockTimes {
  time: NodeInstant;
  /** `time` as the node writes it. */
  text: string;
  /** How long to wait before writing the block (real time; ≤ 0: write now). Ask once the block is made. */
  waitMs(): number;
  /** `local_time` of a line written now. */
  localTime(): string;
}

/** A wall-clock instant from fractional epoch ms (nanoseconds kept to the microsecond). */
function wallInstant(t: number): NodeInstant {
  const ms = Math.floor(t);
  return { ms, ns: Math.min(999_999, Math.floor((t - ms) * 1e6)) };
}

export class BlockClock {
  // Block spacing draws from its own generator, so that the market is the same whatever the pacing.
  private readonly timing: Rng;
  private readonly meanGapNs: number;
  private simTime: NodeInstant | undefined;
  private lastWall: NodeInstant = { ms: 0, ns: 0 };
  /** Real time: when the current block is due (epoch ms). */
  private due: number;
  private blocks = 0;

  constructor(private readonly o: BlockClockOptions) {
    this.timing = new Rng(o.seed ^ 0x7135);
    this.meanGapNs = 1e9 / o.blocksPerSecond;
    this.simTime = o.startTime;
    this.due = o.now();
  }

  /** The next block's times. */
  next(): BlockTimes {
    const { now, speed } = this.o;
    // Mainnet blocks come 52–153 ms apart at 14.6/s: ±25 % around the mean here.
    const gapNs = Math.round(this.meanGapNs * (0.75 + 0.5 * this.timing.float()));
    const localDelayNs = 250_000_000 + this.timing.int(150_000_000);
    const first = this.blocks++ === 0;
    if (!first && this.simTime) this.simTime = addNs(this.simTime, gapNs);
    if (speed === 'realtime') {
      if (!first) this.due += gapNs / 1e6;
      // Far behind (a paused process): start again from now instead of bursting.
      if (this.due - now() < -1000) this.due = now();
    }
    const simTime = this.simTime;
    const time = simTime ?? this.wallBlockTime();
    const due = this.due;
    const spreadMs = this.o.spreadMs;
    const simLocal = formatNodeTime(addNs(time, localDelayNs));
    return {
      time,
      text: formatNodeTime(time),
      // Streaming: the block's events start that much earlier, so that the last lands at its time.
      waitMs: () => (simTime ? due : time.ms + time.ns / 1e6) - spreadMs - now(),
      localTime: simTime ? (): string => simLocal : (): string => formatNodeTime(wallInstant(Math.max(now(), time.ms))),
    };
  }

  /**
   * In real time the block is made ahead and written at its block time: block_time is when the
   * block reaches the files, as on a node, not when the simulator began the milliseconds it
   * spends making it (which latency figures would otherwise count).
   */
  private wallBlockTime(): NodeInstant {
    const now = this.o.now;
    let t = wallInstant(this.o.speed === 'realtime' ? Math.max(this.due, now()) : now());
    // Wall clocks can step back; block times never do.
    if (t.ms < this.lastWall.ms || (t.ms === this.lastWall.ms && t.ns <= this.lastWall.ns)) t = addNs(this.lastWall, 1000);
    this.lastWall = t;
    return t;
  }
}
