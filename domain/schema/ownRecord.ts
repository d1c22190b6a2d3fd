/**
 * z.record that refuses an own "__proto__" key instead of dropping it. YAML
 * and JSON.parse make `__proto__:` an ordinary own key; zod's record skips it
 * without a word (assigning it would set the result's prototype), so an
 * `environment.__proto__` someone wrote would vanish unread.
 */
import { z } from 'zod';

export function ownRecord<K extends z.core.$ZodRecordKey, V extends z.core.SomeType>(key: K, value: V) {
  return z.preprocess((input, ctx) => {
    if (typeof input === 'object' && input !== null && Object.hasOwn(input, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], input, message: '"__proto__" cannot be a key here: it would be dropped unread' });
    }
    return input;
  }, z.record(key, value));
}
