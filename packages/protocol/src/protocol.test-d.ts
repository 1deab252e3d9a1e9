import { expectTypeOf, test } from 'vitest'
import {
  SESSION_END_CODES,
  TAB_MESSAGE_TYPES,
  type ErrorCode,
  type SessionEndCode,
  type TabMessage,
} from './index.js'

test('the derived unions are exactly the lists', () => {
  expectTypeOf<SessionEndCode>().toEqualTypeOf<(typeof SESSION_END_CODES)[number]>()
  expectTypeOf<SessionEndCode>().toExtend<ErrorCode>()
  // Every message type is listed, and nothing else.
  expectTypeOf<(typeof TAB_MESSAGE_TYPES)[number]>().toEqualTypeOf<TabMessage['type']>()
})
