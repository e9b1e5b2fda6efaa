import { describe, expect, it } from 'vitest';
import { deviceByPrefix, groupedId } from '../../components/sync/device-id';
import { isPeerAddress } from './sync';

describe('peer addresses and workstation ids', () => {
  it('accepts host:port with a name, IPv4 or [IPv6], and refuses the rest', () => {
    expect(isPeerAddress('192.168.1.20:8421')).toBe(true);
    expect(isPeerAddress('exam-2.local:8421')).toBe(true);
    expect(isPeerAddress('[fe80::1]:8421')).toBe(true);
    expect(isPeerAddress('192.168.1.20')).toBe(false);
    expect(isPeerAddress('exam room:8421')).toBe(false);
    expect(isPeerAddress('host:0')).toBe(false);
    expect(isPeerAddress('host:70000')).toBe(false);
  });

  it('groups an id in fours and finds the workstation a short id belongs to', () => {
    expect(groupedId('AB12cd34ef567890')).toBe('ab12 cd34 ef56 7890');
    const devices = [{ device: 'ab12cd34ef567890ffff', name: 'Exam 2' }];
    expect(deviceByPrefix(devices, 'ab12cd34ef567890')?.name).toBe('Exam 2');
    expect(deviceByPrefix(devices, '0000')).toBeUndefined();
    expect(deviceByPrefix(devices, '')).toBeUndefined();
  });
});
