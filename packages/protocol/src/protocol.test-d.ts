import { expectTypeOf, test } from 'vitest'
import type {
  ErrorCode,
  SESSION_END_CODES,
  SessionEndCode,
  TAB_MESSAGE_TYPES,
  TabMessage,
} from './index.js'

test('the derived unions are exactly the lists', () => {
  expectTypeOf<SessionEndCode>().toEqualTypeOf<(typeof SESSION_END_CODES)[number]>()
  expectTypeOf<SessionEndCode>().toExtend<ErrorCode>()
  // Every message type is listed, and nothing else.
  expectTypeOf<(typeof TAB_MESSAGE_TYPES)[number]>().toEqualTypeOf<TabMessage['type']>()
})
