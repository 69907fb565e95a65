/** Disconnect reason names, as geth prints them. */
import { describe, expect, it } from 'vitest';
import { DisconnectReason, reasonName } from '../src/reasons.js';

describe('reasonName', () => {
  it('names known codes as geth does', () => {
    expect(reasonName(0x00)).toBe('disconnect requested');
    expect(reasonName(0x03)).toBe('useless peer');
    expect(reasonName(0x04)).toBe('too many peers');
    expect(reasonName(0x0b)).toBe('read timeout');
    expect(reasonName(0x10)).toBe('subprotocol error');
  });

  it('reports unknown codes with their hex value', () => {
    expect(reasonName(0x20)).toBe('unknown disconnect reason 0x20');
    expect(reasonName(0x0c)).toBe('unknown disconnect reason 0x0c');
    expect(reasonName(0xfe)).toBe('unknown disconnect reason 0xfe');
    // 0xff is DisconnectReason.Unknown: what an unreadable remote reason is reported as.
    expect(reasonName(DisconnectReason.Unknown)).toBe('unknown');
  });
});
