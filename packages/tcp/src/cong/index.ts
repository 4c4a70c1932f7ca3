/**
 * Pluggable congestion control (Linux `tcp_congestion_ops`): the interface,
 * the registry and the built-in modules reno, cubic (default) and vegas.
 *
 * @module
 */
export * from './ops.js';
export { renoCongestionOps, tcpRenoCongAvoid, tcpRenoSsthresh } from './reno.js';
export { cubicCongestionOps, cubicK, cubicW, CubicPriv, CUBIC_ALPHA, CUBIC_BETA, CUBIC_C, CUBIC_FAST_CONVERGENCE } from './cubic.js';
export {
  HystartState,
  HYSTART_CSS_GROWTH_DIVISOR,
  HYSTART_CSS_ROUNDS,
  HYSTART_MAX_RTT_THRESH,
  HYSTART_MIN_RTT_DIVISOR,
  HYSTART_MIN_RTT_THRESH,
  HYSTART_N_RTT_SAMPLE,
} from './hystart.js';
export { vegasCongestionOps, VegasPriv, VEGAS_ALPHA, VEGAS_BETA, VEGAS_GAMMA } from './vegas.js';
export {
  tcpRegisterCongestionControl,
  tcpUnregisterCongestionControl,
  tcpCaFind,
  tcpGetAvailableCongestionControl,
  tcpGetAllowedCongestionControl,
  tcpSetCongestionControl,
  tcpReinitCongestionControl,
  tcpInitCongestionControl,
  tcpCleanupCongestionControl,
  TCP_CA_MAX_MODULES,
} from './registry.js';
