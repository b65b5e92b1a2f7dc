import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatValue, scaleStops, spanBackground } from '../../../webview/attribution/colors';

describe('attribution colour scale', () => {
  it('is blue below 0, red above, nothing at 0, and clips at the limit', () => {
    assert.equal(spanBackground(0, 1), '');
    assert.equal(spanBackground(0.5, 0), '', 'an empty scale colours nothing');
    assert.equal(spanBackground(0.5, 1), 'rgba(178, 24, 43, 0.400)');
    assert.equal(spanBackground(-0.25, 0.5), 'rgba(33, 102, 172, 0.400)');
    assert.equal(spanBackground(-3, 1), 'rgba(33, 102, 172, 0.800)');
    assert.equal(spanBackground(3, 1), spanBackground(1, 1));
  });

  it('puts the theme background at the centre of the heatmap and legend', () => {
    assert.deepEqual(scaleStops('#1f1f1f'), ['rgba(33, 102, 172, 0.8)', '#1f1f1f', 'rgba(178, 24, 43, 0.8)']);
  });

  it('formats ordinary and extreme magnitudes readably', () => {
    assert.equal(formatValue(0), '0');
    assert.equal(formatValue(-0.12536), '-0.1254');
    assert.equal(formatValue(0.0000123), '1.23e-5');
    assert.equal(formatValue(12345.6), '1.23e+4');
  });
});
