/**
 * Order-flow presets. `mainnet` is the busy real window of node-data.md (all coins): about
 * 15,000 order statuses/s, 95 % of them rejections, 6,400 raw book diffs/s and 50 fill
 * events/s at 14.6 blocks/s; `quiet` its quiet window; `stress` five times `mainnet`.
 */
export type ProfileName = 'quiet' | 'mainnet' | 'stress';

export const PROFILE_NAMES: readonly ProfileName[] = ['quiet', 'mainnet', 'stress'];

export interface RateProfile {
  statusesPerSecond: number;
  /** Share of statuses that are `…Rejected`. */
  rejectedShare: number;
  diffsPerSecond: number;
  /** Fill events (two per trade). */
  fillsPerSecond: number;
}

export const PROFILES: Record<ProfileName, RateProfile> = {
  quiet: { statusesPerSecond: 7_500, rejectedShare: 0.95, diffsPerSecond: 3_000, fillsPerSecond: 30 },
  mainnet: { statusesPerSecond: 15_000, rejectedShare: 0.95, diffsPerSecond: 6_400, fillsPerSecond: 50 },
  stress: { statusesPerSecond: 75_000, rejectedShare: 0.95, diffsPerSecond: 32_000, fillsPerSecond: 250 },
};

/** Mean fill events one taker produces (two per maker it meets); measured on this simulator. */
const FILLS_PER_TAKER = 4.0;
/** Mean statuses one taker produces (`open`, `filled`, makers' `filled`, 10 % TWAP with none). */
const STATUSES_PER_TAKER = 3.5;
/** Mean raw diffs one taker produces (makers' updates and removes, Gtc remainders). */
const DIFFS_PER_TAKER = 2.0;
/** Share of non-rejected statuses spent on trigger orders (placement, then trigger). */
const TRIGGER_SHARE = 0.04;

/** Expected actions per block, from a profile, the block rate and an optional override. */
export interface BlockPlan {
  rejections: number;
  /** An `open` or a `canceled` (whichever the coin's book needs to stay near its target size). */
  openOrCancel: number;
  takers: number;
  triggerPlacements: number;
  /** Statusless remove + new pairs from the special spot address. */
  statuslessRefresh: number;
}

export function blockPlan(profile: RateProfile, blocksPerSecond: number, eventsPerBlock?: number): BlockPlan {
  const statuses = profile.statusesPerSecond / blocksPerSecond;
  const k = eventsPerBlock === undefined ? 1 : statuses > 0 ? eventsPerBlock / statuses : 0;
  const s = statuses * k;
  const fills = (profile.fillsPerSecond / blocksPerSecond) * k;
  const diffs = (profile.diffsPerSecond / blocksPerSecond) * k;
  const accepted = s * (1 - profile.rejectedShare);
  const takers = fills / FILLS_PER_TAKER;
  const triggerPlacements = accepted * TRIGGER_SHARE;
  // A trigger placement later yields a `triggered` status and, mostly, a `new` diff.
  const openOrCancel = Math.max(0, accepted - takers * STATUSES_PER_TAKER - 2 * triggerPlacements);
  const statusedDiffs = openOrCancel + takers * DIFFS_PER_TAKER + triggerPlacements * 0.9;
  return {
    rejections: s * profile.rejectedShare,
    openOrCancel,
    takers,
    triggerPlacements,
    statuslessRefresh: Math.max(0, (diffs - statusedDiffs) / 2),
  };
}
