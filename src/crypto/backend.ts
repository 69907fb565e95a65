/**
 * Which implementation the hot paths use. The fast backends (native keccak, libsecp256k1) load
 * when they can; the audited @noble fallbacks are used when they cannot, or when
 * RLPX_CRYPTO=noble forces them (the test suite runs the golden vectors on both).
 */
export const forceNoble = process.env['RLPX_CRYPTO'] === 'noble';
