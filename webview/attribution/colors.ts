// The diverging scale shared by the text spans, the legend and the heatmap: blue below 0, red above,
// the editor background at 0, so zero looks like plain text in light and dark themes alike.

/** Full-strength ends (ColorBrewer RdBu), legible under the foreground colour of light and dark themes. */
export const NEGATIVE_RGB: readonly [number, number, number] = [33, 102, 172];
export const POSITIVE_RGB: readonly [number, number, number] = [178, 24, 43];
/** Strongest alpha laid over the text, so the theme's foreground keeps its contrast. */
const MAX_ALPHA = 0.8;

/** Background for a value on a scale of ±limit (clipped), or '' for 0 and for an empty scale. */
export function spanBackground(value: number, limit: number): string {
  if (!(limit > 0) || value === 0) return '';
  const strength = Math.min(1, Math.abs(value) / limit);
  const [r, g, b] = value > 0 ? POSITIVE_RGB : NEGATIVE_RGB;
  return `rgba(${r}, ${g}, ${b}, ${(MAX_ALPHA * strength).toFixed(3)})`;
}

/** Colour stops of the heatmap and legend: strongest negative, neutral (the background), strongest positive. */
export function scaleStops(background: string): string[] {
  const mix = (rgb: readonly number[]) => `rgba(${rgb.join(', ')}, ${MAX_ALPHA})`;
  return [mix(NEGATIVE_RGB), background, mix(POSITIVE_RGB)];
}

/** A readable number: fixed for ordinary magnitudes, exponent for the very small or large. */
export function formatValue(value: number, digits = 4): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e4) return value.toExponential(2);
  return value.toFixed(digits);
}
