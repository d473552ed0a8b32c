// The client's time seam is the project's one (src/util/clock.ts); re-exported under its old path.
export { systemClock, type Clock, type TimerHandle } from '../../util/clock.js';
