// Version numbers: Redeno's own, and the Redis version whose behaviour it reproduces.

/** Redeno's release. */
export const REDENO_VERSION = "0.1.0";

/** Redis version Redeno answers as (HELLO, INFO): clients pick features by it. */
export const REDIS_VERSION = "7.0.15";
