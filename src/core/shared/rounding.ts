/**
 * The one rounding rule for telemetry: 3 decimals, half up (away from zero), applied to the decimal
 * representation of the number rather than its binary approximation, so 1.0005 becomes 1.001 on every
 * platform. `null` passes through: an unknown value stays unknown.
 */
export function round3(value: number): number;
export function round3(value: number | null): number | null;
export function round3(value: number | null | undefined): number | null;
export function round3(value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isFinite(value)) throw new RangeError(`cannot round non-finite value ${value}`);
  return roundDecimal(value, 3);
}

export function roundDecimal(value: number, places: number): number {
  const sign = value < 0 ? -1 : 1;
  const shifted = Math.round(shiftExponent(Math.abs(value), places));
  const result = sign * shiftExponent(shifted, -places);
  return Object.is(result, -0) ? 0 : result;
}

/** Multiplies by 10^places through the decimal string, which avoids binary error such as 1.0005 * 1000. */
function shiftExponent(value: number, places: number): number {
  const [mantissa, exponent = "0"] = String(value).split("e");
  return Number(`${mantissa}e${Number(exponent) + places}`);
}
