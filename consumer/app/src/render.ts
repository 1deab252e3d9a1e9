/**
 * The React binding at run time, on whichever React the app has installed (19, then 18): the
 * provider and `useSession()` render on the server as the first paint, `loading`, before any
 * effect starts the client.
 */
import { createElement } from 'react'
import { version } from 'react'
import { renderToString } from 'react-dom/server'
import { App } from './client.js'

const html = renderToString(createElement(App))
if (html !== '<p>Loading…</p>') throw new Error(`React ${version} rendered ${html}`)
console.log(`react ${version}: rendered ${html}`)
